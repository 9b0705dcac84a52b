/* gotime.h: timestamps parsed by Go reference layouts, as Promtail's timestamp stage. */
#ifndef GOTIME_H
#define GOTIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * A format is one of the names Promtail knows (ANSIC, UnixDate, RubyDate,
 * RFC822, RFC822Z, RFC850, RFC1123, RFC1123Z, RFC3339, RFC3339Nano,
 * Kitchen, Stamp, StampMilli, StampMicro, StampNano, Unix, UnixMs, UnixUs,
 * UnixNs) or a Go reference layout built from "Mon Jan 2 15:04:05 MST
 * 2006" ("2006-01-02 15:04:05", "02/Jan/2006:15:04:05 -0700").
 */
enum gotime_kind { GOTIME_LAYOUT, GOTIME_UNIX, GOTIME_UNIX_MS, GOTIME_UNIX_US,
		   GOTIME_UNIX_NS };

struct gotime_tok;

struct gotime {
	enum gotime_kind kind;
	struct gotime_tok *tok;
	size_t ntok;
	int has_year;
};

/* Compiles format; -1 with *err set (a layout without any field). */
int gotime_compile(struct gotime *t, const char *format, const char **err);
/*
 * Parses s[0..len) into nanoseconds since the epoch.  Without a zone in
 * the value the time is read in loc (an IANA name such as
 * "Europe/Berlin"), or in UTC when loc is NULL; a layout without a year
 * takes the current year.  Returns 0, or -1 with *err set.
 */
int gotime_parse(const struct gotime *t, const char *s, size_t len,
		 const char *loc, int64_t *ns, const char **err);
void gotime_free(struct gotime *t);
/* 1 if loc names a zone in the system's zoneinfo (or is "UTC"/"Local"). */
int gotime_location_valid(const char *loc);

#endif
