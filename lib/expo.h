/* expo.h: the Prometheus text (0.0.4) and OpenMetrics 1.0 exposition parser. */
#ifndef EXPO_H
#define EXPO_H

#include <stddef.h>

#include "buf.h"
#include "record.h"

/*
 * One parser for every reader of metric text: the line reader uses it for
 * sample and comment lines, scrapecol for whole scrape bodies.  It is fed
 * one line at a time (without the newline) and keeps what OpenMetrics needs
 * across lines (the current family and its type, whether # EOF was seen).
 */
enum expo_type {
	EXPO_UNTYPED, EXPO_COUNTER, EXPO_GAUGE, EXPO_HISTOGRAM, EXPO_SUMMARY,
	EXPO_INFO, EXPO_STATESET, EXPO_GAUGEHISTOGRAM, EXPO_UNKNOWN,
};

enum expo_result {
	EXPO_ERROR = -1,	/* *err says why, *errcol where (0-based) */
	EXPO_EMPTY = 0,		/* blank line: nothing */
	EXPO_SAMPLE,		/* rec is a REC_SAMPLE */
	EXPO_META,		/* rec is a REC_COMMENT with meta set */
	EXPO_COMMENT,		/* rec is a REC_COMMENT, meta NONE */
	EXPO_SKIP,		/* valid but not kept: OpenMetrics _created */
	EXPO_EOF,		/* OpenMetrics "# EOF" */
};

struct expo {
	int openmetrics;	/* 1: OpenMetrics 1.0 rules */
	int eof_seen;
	enum expo_type family_type;
	struct buf family;	/* name from the last # TYPE line */
	/* 1 when the last EXPO_SAMPLE was plain text: a metric name of
	 * [a-zA-Z_:][a-zA-Z0-9_:]*, label names of [a-zA-Z_][a-zA-Z0-9_]*,
	 * no empty value and none with a byte to escape, so a writer may
	 * copy names and values as they are. */
	int plain;
};

void expo_init(struct expo *ex, int openmetrics);
void expo_free(struct expo *ex);
/*
 * Returns the type named by a # TYPE word, or -1 if unknown.  OpenMetrics
 * takes its own eight words; the text format takes those and "untyped"
 * (Prometheus' text parser knows only counter, gauge, histogram, summary
 * and untyped, but the obs format carries types read from OpenMetrics).
 */
int expo_type_parse(const char *s, size_t n, int openmetrics);
const char *expo_type_name(enum expo_type t);

/*
 * Parses one line into rec.  Prometheus text: timestamps are integer
 * milliseconds.  OpenMetrics: timestamps are seconds (float) and are
 * converted to milliseconds; exemplars (" # {...} v [ts]") are ignored;
 * "_created" series of counters, histograms and summaries are skipped, as
 * Prometheus does by default; anything after "# EOF" is an error.
 * A sample line starting with '{' is not accepted here (that is a log
 * entry in the obs format).
 *
 * The rules are those of Prometheus' own parsers (model/textparse): text
 * format lines take blanks (space or tab) between tokens, a trailing comma
 * and even a missing comma in the label list; OpenMetrics takes exactly one
 * space where its spec puts one, and nothing else.  Label names may be
 * double-quoted (Prometheus 3: {"my.label"="v"}).  Label values must be
 * valid UTF-8; unknown escapes in them stay as written.  Labels are left
 * sorted with the metric name as __name__; a name given twice is an error;
 * labels with empty values are dropped (empty means absent).  The text
 * format also takes "# UNIT name unit" as metadata (an obs extension);
 * other comments are EXPO_COMMENT.  In OpenMetrics mode a blank line, a
 * comment other than HELP, TYPE, UNIT and EOF, and any line after "# EOF"
 * are errors: a caller that splits a body at '\n' must not feed the empty
 * piece after the last newline.  The _created samples skipped are those
 * named FAMILY_created after "# TYPE FAMILY counter|histogram|summary"
 * (the types Prometheus reads a created timestamp from).  *err is a static
 * lowercase phrase ("invalid value"); rec->raw is set to line.
 */
enum expo_result expo_parse_line(struct expo *ex, const char *line, size_t len,
				 struct record *rec, const char **err,
				 size_t *errcol);

/*
 * Parses the label set "{name="value",...}" at line[*pos] (which must be
 * '{') by the text format's rules, appends its labels to ls, sorts ls,
 * rejects a name given twice and drops empty values.  On success returns 0
 * and moves *pos past the '}'; else -1 with *err and *errcol.  For the
 * stream of log entries.
 */
int expo_parse_labelset(const char *line, size_t len, size_t *pos,
			struct labels *ls, const char **err, size_t *errcol);

/* 1 if s[0..n) is valid UTF-8 (as Go's utf8.Valid), else 0. */
int expo_utf8_valid(const char *s, size_t n);

#endif
