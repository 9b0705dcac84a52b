/* gotime.c: Go's time.Parse reference layouts, and Promtail's Unix formats. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "gotime.h"
#include "banned.h"

enum std {
	STD_LIT, STD_LONG_MONTH, STD_MONTH, STD_NUM_MONTH, STD_ZERO_MONTH,
	STD_LONG_WEEKDAY, STD_WEEKDAY, STD_DAY, STD_UNDER_DAY, STD_ZERO_DAY,
	STD_UNDER_YDAY, STD_ZERO_YDAY, STD_HOUR, STD_HOUR12, STD_ZERO_HOUR12,
	STD_MIN, STD_ZERO_MIN, STD_SEC, STD_ZERO_SEC, STD_LONG_YEAR, STD_YEAR,
	STD_PM_UPPER, STD_PM_LOWER, STD_TZ,
	STD_ISO_TZ, STD_ISO_COLON_TZ, STD_ISO_SHORT_TZ, STD_ISO_SEC_TZ,
	STD_ISO_COLON_SEC_TZ,
	STD_NUM_TZ, STD_NUM_COLON_TZ, STD_NUM_SHORT_TZ, STD_NUM_SEC_TZ,
	STD_NUM_COLON_SEC_TZ,
	STD_FRAC0, STD_FRAC9,
};

struct gotime_tok {
	enum std code;
	const char *lit;	/* STD_LIT: points into the owned layout copy */
	size_t len;		/* STD_LIT: bytes; STD_FRAC*: digits */
};

static const struct {
	const char *name, *layout;
} named[] = {
	{ "ANSIC", "Mon Jan _2 15:04:05 2006" },
	{ "UnixDate", "Mon Jan _2 15:04:05 MST 2006" },
	{ "RubyDate", "Mon Jan 02 15:04:05 -0700 2006" },
	{ "RFC822", "02 Jan 06 15:04 MST" },
	{ "RFC822Z", "02 Jan 06 15:04 -0700" },
	{ "RFC850", "Monday, 02-Jan-06 15:04:05 MST" },
	{ "RFC1123", "Mon, 02 Jan 2006 15:04:05 MST" },
	{ "RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700" },
	{ "RFC3339", "2006-01-02T15:04:05Z07:00" },
	{ "RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00" },
	{ "Kitchen", "3:04PM" },
	{ "Stamp", "Jan _2 15:04:05" },
	{ "StampMilli", "Jan _2 15:04:05.000" },
	{ "StampMicro", "Jan _2 15:04:05.000000" },
	{ "StampNano", "Jan _2 15:04:05.000000000" },
};

static const char *const long_months[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};
static const char *const long_days[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday",
};

static int
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Go's nextStdChunk: the std code at s (and its length), or STD_LIT. */
static enum std
std_at(const char *s, size_t *n)
{
	static const struct {
		const char *p;
		enum std code;
	} fixed[] = {
		/* Longest first where one is a prefix of another. */
		{ "January", STD_LONG_MONTH }, { "Jan", STD_MONTH },
		{ "Monday", STD_LONG_WEEKDAY }, { "Mon", STD_WEEKDAY },
		{ "MST", STD_TZ },
		{ "01", STD_ZERO_MONTH }, { "02", STD_ZERO_DAY },
		{ "03", STD_ZERO_HOUR12 }, { "04", STD_ZERO_MIN },
		{ "05", STD_ZERO_SEC }, { "06", STD_YEAR },
		{ "002", STD_ZERO_YDAY },
		{ "15", STD_HOUR }, { "1", STD_NUM_MONTH },
		{ "2006", STD_LONG_YEAR }, { "2", STD_DAY },
		{ "__2", STD_UNDER_YDAY }, { "_2", STD_UNDER_DAY },
		{ "3", STD_HOUR12 }, { "4", STD_MIN }, { "5", STD_SEC },
		{ "PM", STD_PM_UPPER }, { "pm", STD_PM_LOWER },
		{ "-07:00:00", STD_NUM_COLON_SEC_TZ },
		{ "-070000", STD_NUM_SEC_TZ }, { "-07:00", STD_NUM_COLON_TZ },
		{ "-0700", STD_NUM_TZ }, { "-07", STD_NUM_SHORT_TZ },
		{ "Z07:00:00", STD_ISO_COLON_SEC_TZ },
		{ "Z070000", STD_ISO_SEC_TZ }, { "Z07:00", STD_ISO_COLON_TZ },
		{ "Z0700", STD_ISO_TZ }, { "Z07", STD_ISO_SHORT_TZ },
	};
	size_t i;

	/* "002" must win over "02" ... and "_2006" is "_" then "2006". */
	if (has_prefix(s, "002")) {
		*n = 3;
		return STD_ZERO_YDAY;
	}
	if (has_prefix(s, "_2006"))
		return STD_LIT;
	if ((s[0] == '.' || s[0] == ',') && (s[1] == '0' || s[1] == '9')) {
		size_t j = 1;

		while (s[j] == s[1])
			j++;
		if (!is_digit(s[j])) {
			*n = j;
			return s[1] == '0' ? STD_FRAC0 : STD_FRAC9;
		}
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (has_prefix(s, fixed[i].p)) {
			*n = strlen(fixed[i].p);
			return fixed[i].code;
		}
	}
	return STD_LIT;
}

void
gotime_free(struct gotime *t)
{
	/* Literals point into the layout copy in the same allocation. */
	free(t->tok);
	t->tok = NULL;
	t->ntok = 0;
}

int
gotime_compile(struct gotime *t, const char *format, const char **err)
{
	const char *layout = format;
	size_t i, n, ntok = 0, fields = 0, flen;
	struct gotime_tok *tok;
	char *copy;

	t->tok = NULL;
	t->ntok = 0;
	t->has_year = 0;
	t->kind = GOTIME_LAYOUT;
	if (strcmp(format, "Unix") == 0 || strcmp(format, "UnixMs") == 0 ||
	    strcmp(format, "UnixUs") == 0 || strcmp(format, "UnixNs") == 0) {
		t->kind = format[4] == '\0' ? GOTIME_UNIX :
		    format[4] == 'M' ? GOTIME_UNIX_MS :
		    format[4] == 'U' ? GOTIME_UNIX_US : GOTIME_UNIX_NS;
		return 0;
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strcmp(format, named[i].name) == 0)
			layout = named[i].layout;
	flen = strlen(layout);
	/* At most one token per byte; the layout copy follows the tokens. */
	tok = malloc((flen + 1) * sizeof(*tok) + flen + 1);
	if (tok == NULL) {
		*err = "out of memory";
		return -1;
	}
	copy = (char *)(tok + flen + 1);
	memcpy(copy, layout, flen + 1);
	for (i = 0; i < flen; i += n) {
		enum std code = std_at(copy + i, &n);

		if (code == STD_LIT) {
			n = 1;
			if (ntok && tok[ntok - 1].code == STD_LIT) {
				tok[ntok - 1].len++;
				continue;
			}
			tok[ntok].lit = copy + i;
			tok[ntok].len = 1;
		} else {
			fields++;
			tok[ntok].lit = NULL;
			tok[ntok].len = code == STD_FRAC0 || code == STD_FRAC9 ?
			    n - 1 : 0;
			if (code == STD_LONG_YEAR || code == STD_YEAR)
				t->has_year = 1;
		}
		tok[ntok++].code = code;
	}
	if (fields == 0) {
		free(tok);
		*err = "layout has no time fields";
		return -1;
	}
	t->tok = tok;
	t->ntok = ntok;
	return 0;
}

/* Reads 1..max digits (exactly max when fixed); -1 if none. */
static int
getnum(const char **s, const char *end, int max, int fixed, int *out)
{
	const char *p = *s;
	int v = 0, n = 0;

	while (p < end && n < max && is_digit(*p)) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0 || (fixed && n != max))
		return -1;
	*out = v;
	*s = p;
	return 0;
}

/* Case-insensitive match of one of names at *s; its index or -1. */
static int
lookup(const char **s, const char *end, const char *const *names, size_t n,
       size_t cut)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = cut ? cut : strlen(names[i]);

		if ((size_t)(end - *s) >= len &&
		    strncasecmp(*s, names[i], len) == 0) {
			*s += len;
			return (int)i;
		}
	}
	return -1;
}

/* A numeric zone: sign, hh, [:]mm, [:]ss as the std code says. */
static int
numzone(enum std code, const char **s, const char *end, long *off)
{
	const char *p = *s;
	int colon = code == STD_NUM_COLON_TZ || code == STD_ISO_COLON_TZ ||
	    code == STD_NUM_COLON_SEC_TZ || code == STD_ISO_COLON_SEC_TZ;
	int shortz = code == STD_NUM_SHORT_TZ || code == STD_ISO_SHORT_TZ;
	int secs = code == STD_NUM_SEC_TZ || code == STD_ISO_SEC_TZ ||
	    code == STD_NUM_COLON_SEC_TZ || code == STD_ISO_COLON_SEC_TZ;
	int sign, hh, mm = 0, ss = 0;

	if (p >= end || (*p != '+' && *p != '-'))
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (getnum(&p, end, 2, 1, &hh) < 0)
		return -1;
	if (!shortz) {
		if (colon && (p >= end || *p++ != ':'))
			return -1;
		if (getnum(&p, end, 2, 1, &mm) < 0)
			return -1;
	}
	if (secs) {
		if (colon && (p >= end || *p++ != ':'))
			return -1;
		if (getnum(&p, end, 2, 1, &ss) < 0)
			return -1;
	}
	if (hh > 24 || mm > 59 || ss > 59)
		return -1;
	*off = sign * (hh * 3600L + mm * 60L + ss);
	*s = p;
	return 0;
}

/* A zone abbreviation: UTC, GMT[+-N], or 3 to 5 letters (offset zero). */
static int
abbrev(const char **s, const char *end, int *utc)
{
	const char *p = *s;
	size_t n = 0;

	while (p + n < end && ((p[n] >= 'A' && p[n] <= 'Z') ||
	    (n > 0 && p[n] >= 'a' && p[n] <= 'z')) && n < 5)
		n++;
	if (n < 3)
		return -1;
	*utc = (n == 3 && (strncmp(p, "UTC", 3) == 0 ||
	    strncmp(p, "GMT", 3) == 0));
	p += n;
	/* GMT+3 and the like: Go takes the hours as the offset. */
	if (n == 3 && strncmp(*s, "GMT", 3) == 0 && p < end &&
	    (*p == '+' || *p == '-') && p + 1 < end && is_digit(p[1]))
		return -2;
	*s = p;
	return 0;
}

static int
is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in(int m, long y)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

static char *tz_current;

/* The offset of wall time tm in zone loc, found with mktime under TZ=loc. */
static int
zone_offset(const char *loc, long year, int mon, int day, int hour, int min,
	    int sec, long *off)
{
	struct tm tm;
	time_t tt;
	int64_t wall;

	if (tz_current == NULL || strcmp(tz_current, loc) != 0) {
		char *cp = strdup(loc);

		if (cp == NULL)
			return -1;
		if (strcmp(loc, "Local") == 0)
			unsetenv("TZ");
		else if (setenv("TZ", loc, 1) < 0) {
			free(cp);
			return -1;
		}
		tzset();
		free(tz_current);
		tz_current = cp;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(year - 1900);
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	errno = 0;
	tt = mktime(&tm);
	if (tt == (time_t)-1 && errno)
		return -1;
	wall = clock_days_from_civil(year, mon, day) * 86400 + hour * 3600 +
	    min * 60 + sec;
	*off = (long)(wall - (int64_t)tt);
	return 0;
}

int
gotime_location_valid(const char *loc)
{
	char path[512];
	struct stat st;
	int n;

	if (strcmp(loc, "UTC") == 0 || strcmp(loc, "Local") == 0)
		return 1;
	if (loc[0] == '\0' || loc[0] == '/' || strstr(loc, "..") != NULL)
		return 0;
	n = snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", loc);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Promtail's Unix formats: integer, or for Unix seconds "S.F" (F <= 9). */
static int
parse_unix(enum gotime_kind kind, const char *s, size_t len, int64_t *ns,
	   const char **err)
{
	static const int64_t mult[] = { 1000000000, 1000000, 1000, 1 };
	const char *p = s, *end = s + len;
	int neg = 0, nfrac = 0;
	int64_t v = 0, frac = 0, m;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p >= end || !is_digit(*p))
		goto bad;
	while (p < end && is_digit(*p)) {
		if (v > (INT64_MAX - 9) / 10)
			goto range;
		v = v * 10 + (*p++ - '0');
	}
	if (kind == GOTIME_UNIX && p < end && *p == '.') {
		p++;
		while (p < end && is_digit(*p)) {
			if (++nfrac > 9) {
				*err = "fractional part too long";
				return -1;
			}
			frac = frac * 10 + (*p++ - '0');
		}
		for (; nfrac < 9; nfrac++)
			frac *= 10;
	}
	if (p != end)
		goto bad;
	m = mult[kind - GOTIME_UNIX];
	if (v > (INT64_MAX - frac) / m)
		goto range;
	v = v * m + frac;
	*ns = neg ? -v : v;
	return 0;
bad:
	*err = "not a number";
	return -1;
range:
	*err = "timestamp out of range";
	return -1;
}

/* Go's skip(): literal text, where a run of spaces matches a run of spaces. */
static int
skip_lit(const char **s, const char *end, const char *lit, size_t n)
{
	const char *p = *s;
	size_t i = 0;

	while (i < n) {
		if (lit[i] == ' ') {
			if (p < end && *p != ' ')
				return -1;
			while (i < n && lit[i] == ' ')
				i++;
			while (p < end && *p == ' ')
				p++;
			continue;
		}
		if (p >= end || *p != lit[i])
			return -1;
		p++;
		i++;
	}
	*s = p;
	return 0;
}

/* Digits after '.' or ',' as nanoseconds (more than 9 are cut). */
static int
frac_ns(const char **s, const char *end, size_t want, int *ns)
{
	const char *p = *s + 1;
	size_t n = 0;
	int v = 0;

	while (p < end && is_digit(*p) && (want == 0 || n < want)) {
		if (n < 9)
			v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0 || (want && n != want))
		return -1;
	for (; n < 9; n++)
		v *= 10;
	*ns = v;
	*s = p;
	return 0;
}

int
gotime_parse(const struct gotime *t, const char *s, size_t len,
	     const char *loc, int64_t *ns, const char **err)
{
	const char *p = s, *end = s + len;
	long year = 0, off = 0;
	int mon = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0;
	int nsec = 0, pm = -1, zone = 0, v, utc;
	int64_t secs;
	size_t i;

	if (t->kind != GOTIME_LAYOUT)
		return parse_unix(t->kind, s, len, ns, err);
	*err = "does not match the layout";
	for (i = 0; i < t->ntok; i++) {
		const struct gotime_tok *k = &t->tok[i];
		int r = 0;

		switch (k->code) {
		case STD_LIT:
			r = skip_lit(&p, end, k->lit, k->len);
			break;
		case STD_LONG_YEAR:
			r = getnum(&p, end, 4, 1, &v);
			year = v;
			break;
		case STD_YEAR:
			r = getnum(&p, end, 2, 1, &v);
			year = v >= 69 ? 1900 + v : 2000 + v;
			break;
		case STD_LONG_MONTH:
			v = lookup(&p, end, long_months, 12, 0);
			r = v < 0 ? -1 : 0;
			mon = v + 1;
			break;
		case STD_MONTH:
			v = lookup(&p, end, long_months, 12, 3);
			r = v < 0 ? -1 : 0;
			mon = v + 1;
			break;
		case STD_NUM_MONTH:
		case STD_ZERO_MONTH:
			r = getnum(&p, end, 2, k->code == STD_ZERO_MONTH, &mon);
			if (r == 0 && (mon < 1 || mon > 12))
				r = -1;
			break;
		case STD_LONG_WEEKDAY:
			r = lookup(&p, end, long_days, 7, 0) < 0 ? -1 : 0;
			break;
		case STD_WEEKDAY:
			r = lookup(&p, end, long_days, 7, 3) < 0 ? -1 : 0;
			break;
		case STD_UNDER_DAY:
			if (p < end && *p == ' ')
				p++;
			/* FALLTHROUGH */
		case STD_DAY:
		case STD_ZERO_DAY:
			r = getnum(&p, end, 2, k->code == STD_ZERO_DAY, &day);
			if (r == 0 && (day < 1 || day > 31))
				r = -1;
			break;
		case STD_UNDER_YDAY:
			for (v = 0; v < 2 && p < end && *p == ' '; v++)
				p++;
			r = getnum(&p, end, 3, 0, &yday);
			break;
		case STD_ZERO_YDAY:
			r = getnum(&p, end, 3, 1, &yday);
			break;
		case STD_HOUR:
			r = getnum(&p, end, 2, 0, &hour);
			if (r == 0 && hour > 23)
				r = -1;
			break;
		case STD_HOUR12:
		case STD_ZERO_HOUR12:
			r = getnum(&p, end, 2, k->code == STD_ZERO_HOUR12,
			    &hour);
			if (r == 0 && hour > 12)
				r = -1;
			break;
		case STD_MIN:
		case STD_ZERO_MIN:
			r = getnum(&p, end, 2, k->code == STD_ZERO_MIN, &min);
			if (r == 0 && min > 59)
				r = -1;
			break;
		case STD_SEC:
		case STD_ZERO_SEC:
			r = getnum(&p, end, 2, k->code == STD_ZERO_SEC, &sec);
			if (r == 0 && sec > 59)
				r = -1;
			/* Go takes a fraction the layout does not name. */
			if (r == 0 && end - p >= 2 && (*p == '.' || *p == ',') &&
			    is_digit(p[1]) && (i + 1 >= t->ntok ||
			    (t->tok[i + 1].code != STD_FRAC0 &&
			     t->tok[i + 1].code != STD_FRAC9)))
				r = frac_ns(&p, end, 0, &nsec);
			break;
		case STD_FRAC0:
			if (p >= end || (*p != '.' && *p != ','))
				r = -1;
			else
				r = frac_ns(&p, end, k->len, &nsec);
			break;
		case STD_FRAC9:
			if (end - p >= 2 && (*p == '.' || *p == ',') &&
			    is_digit(p[1]))
				r = frac_ns(&p, end, 0, &nsec);
			break;
		case STD_PM_UPPER:
		case STD_PM_LOWER:
			if (end - p < 2)
				r = -1;
			else if (strncasecmp(p, "PM", 2) == 0)
				pm = 1;
			else if (strncasecmp(p, "AM", 2) == 0)
				pm = 0;
			else
				r = -1;
			p += r == 0 ? 2 : 0;
			break;
		case STD_ISO_TZ:
		case STD_ISO_COLON_TZ:
		case STD_ISO_SHORT_TZ:
		case STD_ISO_SEC_TZ:
		case STD_ISO_COLON_SEC_TZ:
			if (p < end && *p == 'Z') {
				p++;
				off = 0;
				zone = 1;
				break;
			}
			/* FALLTHROUGH */
		case STD_NUM_TZ:
		case STD_NUM_COLON_TZ:
		case STD_NUM_SHORT_TZ:
		case STD_NUM_SEC_TZ:
		case STD_NUM_COLON_SEC_TZ:
			r = numzone(k->code, &p, end, &off);
			zone = 1;
			break;
		case STD_TZ:
			r = abbrev(&p, end, &utc);
			if (r == -2) {
				p += 3;
				r = numzone(STD_NUM_SHORT_TZ, &p, end, &off);
				if (r < 0) {
					/* GMT+N with one digit */
					int h;

					r = -1;
					if (p < end && (*p == '+' || *p == '-')) {
						int sg = *p == '-' ? -1 : 1;
						const char *q = p + 1;

						if (getnum(&q, end, 2, 0, &h) == 0) {
							off = sg * h * 3600L;
							p = q;
							r = 0;
						}
					}
				}
				zone = 1;
			} else if (r == 0) {
				/* Other names have no known offset: zero, as
				 * Go fabricates, unless a location says. */
				off = 0;
				zone = utc || loc == NULL;
			}
			break;
		}
		if (r < 0)
			return -1;
	}
	if (p != end) {
		*err = "extra text after the layout";
		return -1;
	}
	if (pm == 1 && hour < 12)
		hour += 12;
	else if (pm == 0 && hour == 12)
		hour = 0;
	if (!t->has_year) {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		year = tm.tm_year + 1900L;
	}
	if (yday >= 0) {
		int m = 1, d = yday;

		if (yday < 1 || yday > (is_leap(year) ? 366 : 365)) {
			*err = "day of year out of range";
			return -1;
		}
		while (d > days_in(m, year)) {
			d -= days_in(m, year);
			m++;
		}
		if ((mon >= 0 && mon != m) || (day >= 0 && day != d)) {
			*err = "day of year does not match the date";
			return -1;
		}
		mon = m;
		day = d;
	}
	if (mon < 0)
		mon = 1;
	if (day < 0)
		day = 1;
	if (day > days_in(mon, year)) {
		*err = "day out of range";
		return -1;
	}
	if (!zone && loc != NULL && strcmp(loc, "UTC") != 0 &&
	    zone_offset(loc, year, mon, day, hour, min, sec, &off) < 0) {
		*err = "cannot convert to the location";
		return -1;
	}
	secs = clock_days_from_civil(year, mon, day) * 86400 + hour * 3600L +
	    min * 60L + sec - off;
	if (secs > INT64_MAX / 1000000000 - 1 ||
	    secs < INT64_MIN / 1000000000 + 1) {
		*err = "timestamp out of range";
		return -1;
	}
	*ns = secs * 1000000000 + nsec;
	return 0;
}
