/* expo.c: the Prometheus text (0.0.4) and OpenMetrics 1.0 parser, one line at a time. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "expo.h"
#include "labels.h"
#include "obs.h"
#include "parse.h"
#include "value.h"
#include "banned.h"

/*
 * The grammar follows Prometheus' model/textparse lexers rather than the
 * written specs where they differ, because a line Prometheus accepts must
 * pass through us too: the text format takes blanks (space, tab) between
 * any two tokens, a missing comma between labels and a trailing comma;
 * OpenMetrics takes exactly one space where the spec says so and nothing
 * else.
 */
struct cur {
	const char *s;
	size_t n, i;
	int om;
	const char *err;
	size_t col;
	struct buf tmp;		/* unescaped names and values */
};

/* When a duplicate label is found, where its second occurrence sits. */
struct lfind {
	const char *name;
	size_t nlen;
	int want;
	int seen;
	size_t col;
};

/*
 * Byte classes for the fast path of sample lines (fast_sample), one table
 * lookup per byte; NUL stops every scan, as the copy scanned ends with
 * one.  Ranges are a GNU C extension, as elsewhere in lib/.
 */
enum {
	CL_LSTART = 1,		/* [a-zA-Z_] */
	CL_LNAME = 2,		/* [a-zA-Z0-9_] */
	CL_MSTART = 4,		/* [a-zA-Z_:] */
	CL_MNAME = 8,		/* [a-zA-Z0-9_:] */
	CL_VSTOP = 16,		/* ends the plain part of a label value */
	CL_TSTOP = 32,		/* ends a token of the text format */
};

#define CL_LETTER (CL_LSTART | CL_LNAME | CL_MSTART | CL_MNAME)

static const unsigned char cls[256] = {
	[0] = CL_VSTOP | CL_TSTOP,
	['a' ... 'z'] = CL_LETTER,
	['A' ... 'Z'] = CL_LETTER,
	['_'] = CL_LETTER,
	['0' ... '9'] = CL_LNAME | CL_MNAME,
	[':'] = CL_MSTART | CL_MNAME,
	['"'] = CL_VSTOP,
	['\\'] = CL_VSTOP,
	['\n'] = CL_VSTOP,	/* never in a line split at '\n', but escaped */
	[0x80 ... 0xff] = CL_VSTOP,
	[' '] = CL_TSTOP,
	['\t'] = CL_TSTOP,
	['{'] = CL_TSTOP,
};

static int
fail(struct cur *c, size_t col, const char *why)
{
	c->err = why;
	c->col = col;
	return -1;
}

static int
is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

static int
is_lname_start(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    ch == '_';
}

static int
is_lname_char(int ch)
{
	return is_lname_start(ch) || (ch >= '0' && ch <= '9');
}

static int
is_mname_start(int ch)
{
	return is_lname_start(ch) || ch == ':';
}

static int
is_mname_char(int ch)
{
	return is_lname_char(ch) || ch == ':';
}

static int
at(const struct cur *c, size_t i)
{
	return i < c->n ? (unsigned char)c->s[i] : -1;
}

static void
skip_blanks(struct cur *c)
{
	if (c->om)
		return;
	while (c->i < c->n && is_blank((unsigned char)c->s[c->i]))
		c->i++;
}

/* Timestamps of the text format are digits only, as Prometheus' lexer
 * has them: no sign. */
static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

static int
starts_with(const struct cur *c, size_t i, const char *word)
{
	size_t k = strlen(word);

	return c->n - i >= k && memcmp(c->s + i, word, k) == 0;
}

/* As Go's utf8.Valid: no overlong forms, surrogates or code points past
 * U+10FFFF. */
int
expo_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len, k;

	while (i < n) {
		unsigned int ch = p[i], lo = 0x80, hi = 0xbf;

		if (ch < 0x80) {
			i++;
			continue;
		}
		if (ch >= 0xc2 && ch <= 0xdf) {
			len = 2;
		} else if (ch >= 0xe0 && ch <= 0xef) {
			len = 3;
			if (ch == 0xe0)
				lo = 0xa0;
			else if (ch == 0xed)
				hi = 0x9f;
		} else if (ch >= 0xf0 && ch <= 0xf4) {
			len = 4;
			if (ch == 0xf0)
				lo = 0x90;
			else if (ch == 0xf4)
				hi = 0x8f;
		} else {
			return 0;
		}
		if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (k = 2; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

/*
 * A double-quoted string at c->i: any byte but an unescaped quote, and a
 * backslash escapes the byte after it (which escapes mean something is up
 * to the caller).  Leaves the body in [*start, *start + *len).
 */
static int
scan_quoted(struct cur *c, size_t *start, size_t *len, const char *unterminated)
{
	size_t open = c->i, j = c->i + 1;

	while (j < c->n && c->s[j] != '"') {
		if (c->s[j] == '\\')
			j++;
		j++;
	}
	if (j >= c->n)
		return fail(c, open, unterminated);
	*start = open + 1;
	*len = j - open - 1;
	c->i = j + 1;
	return 0;
}

static void
lfind_check(struct lfind *f, const char *name, size_t nlen, size_t col)
{
	if (f->nlen == nlen && memcmp(f->name, name, nlen) == 0 &&
	    ++f->seen == f->want)
		f->col = col;
}

/*
 * The label list from '{' to '}'.  Labels go onto ls (if not NULL, as
 * written: the caller sorts); with f set, nothing is kept and f records
 * the column of the duplicated name.
 */
static int
parse_labels(struct cur *c, struct labels *ls, struct lfind *f)
{
	c->i++;
	for (;;) {
		size_t ncol, nstart, nlen, vcol, vstart, vlen;
		const char *name, *value;
		int quoted = 0;

		skip_blanks(c);
		if (c->i >= c->n)
			return fail(c, c->i, "unterminated label set");
		if (c->s[c->i] == '}') {
			c->i++;
			return 0;
		}
		ncol = nstart = c->i;
		if (is_lname_start(at(c, c->i))) {
			while (is_lname_char(at(c, c->i)))
				c->i++;
			nlen = c->i - nstart;
		} else if (c->s[c->i] == '"') {
			/* Prometheus 3 quotes names outside [a-zA-Z_][a-zA-Z0-9_]*. */
			if (scan_quoted(c, &nstart, &nlen,
			    "unterminated label name") < 0)
				return -1;
			quoted = 1;
		} else {
			return fail(c, c->i, "expected label name");
		}
		skip_blanks(c);
		if (at(c, c->i) != '=')
			return fail(c, c->i, "expected '=' after label name");
		c->i++;
		skip_blanks(c);
		if (at(c, c->i) != '"')
			return fail(c, c->i, "expected label value");
		vcol = c->i;
		if (scan_quoted(c, &vstart, &vlen, "unterminated label value") < 0)
			return -1;
		if (!expo_utf8_valid(c->s + vstart, vlen))
			return fail(c, vcol, "invalid utf-8 in label value");

		buf_reset(&c->tmp);
		name = c->s + nstart;
		if (quoted) {
			if (label_unescape(&c->tmp, name, nlen) < 0)
				return fail(c, ncol, "out of memory");
			nlen = c->tmp.len;
			if (nlen == 0 || !expo_utf8_valid(c->tmp.p, nlen))
				return fail(c, ncol, "invalid label name");
		}
		value = c->s + vstart;
		if (memchr(value, '\\', vlen) != NULL) {
			size_t mark = c->tmp.len;

			if (label_unescape(&c->tmp, value, vlen) < 0)
				return fail(c, vcol, "out of memory");
			vlen = c->tmp.len - mark;
			value = c->tmp.p + mark;
		}
		if (quoted)
			name = c->tmp.p;	/* the unescape may have moved it */

		if (f != NULL)
			lfind_check(f, name, nlen, ncol);
		else if (ls != NULL &&
		    labels_push(ls, name, nlen, value, vlen) < 0)
			return fail(c, ncol, "out of memory");

		skip_blanks(c);
		if (at(c, c->i) == ',') {
			c->i++;
			continue;
		}
		/* Prometheus' text parser takes a missing comma; OpenMetrics
		 * does not. */
		if (c->om && at(c, c->i) != '}')
			return fail(c, c->i, "expected ',' or '}'");
	}
}

static int
same_name(const struct labels *ls, size_t a, size_t b)
{
	return ls->v[a].nlen == ls->v[b].nlen &&
	    memcmp(labels_name(ls, a), labels_name(ls, b), ls->v[a].nlen) == 0;
}

/*
 * Sorts ls, rejects a name given twice (pointing at the second one, found
 * by reading the list at lbrace again) and drops empty values, which mean
 * "no label" here as in Prometheus.
 */
static int
finish_labels(struct cur *c, struct labels *ls, size_t lbrace, int has_name)
{
	size_t i, k;

	if (labels_sort(ls) < 0) {
		struct lfind f = { NULL, 0, 2, 0, lbrace };
		struct cur again = *c;

		if (errno != EEXIST)
			return fail(c, 0, "out of memory");
		for (i = 1; i < ls->n && !same_name(ls, i - 1, i); i++)
			;
		if (i < ls->n && lbrace != SIZE_MAX) {
			f.name = labels_name(ls, i);
			f.nlen = ls->v[i].nlen;
			if (has_name && f.nlen == sizeof(LABELS_NAME) - 1 &&
			    memcmp(f.name, LABELS_NAME, f.nlen) == 0)
				f.want = 1;
			again.i = lbrace;
			again.tmp = (struct buf)BUF_INIT(OBS_LINE_MAX);
			parse_labels(&again, NULL, &f);
			buf_free(&again.tmp);
		}
		return fail(c, f.col, "duplicate label name");
	}
	for (i = k = 0; i < ls->n; i++)
		if (ls->v[i].vlen > 0)
			ls->v[k++] = ls->v[i];
	ls->n = k;
	return 0;
}

int
expo_parse_labelset(const char *line, size_t len, size_t *pos,
		    struct labels *ls, const char **err, size_t *errcol)
{
	struct cur c = { line, len, *pos, 0, NULL, 0, BUF_INIT(OBS_LINE_MAX) };
	size_t lbrace = *pos;
	int r = -1;

	if (at(&c, c.i) != '{')
		fail(&c, c.i, "expected '{'");
	else if (parse_labels(&c, ls, NULL) == 0 &&
	    finish_labels(&c, ls, lbrace, 0) == 0)
		r = 0;
	buf_free(&c.tmp);
	if (r == 0) {
		*pos = c.i;
	} else {
		*err = c.err;
		*errcol = c.col;
	}
	return r;
}

static const struct {
	const char *word;
	enum expo_type type;
	int prom, om;
} types[] = {
	{ "counter", EXPO_COUNTER, 1, 1 },
	{ "gauge", EXPO_GAUGE, 1, 1 },
	{ "histogram", EXPO_HISTOGRAM, 1, 1 },
	{ "summary", EXPO_SUMMARY, 1, 1 },
	{ "untyped", EXPO_UNTYPED, 1, 0 },
	/* Not Prometheus' text format, but the obs format carries what
	 * scrapecol read from OpenMetrics targets. */
	{ "gaugehistogram", EXPO_GAUGEHISTOGRAM, 1, 1 },
	{ "info", EXPO_INFO, 1, 1 },
	{ "stateset", EXPO_STATESET, 1, 1 },
	{ "unknown", EXPO_UNKNOWN, 1, 1 },
};

int
expo_type_parse(const char *s, size_t n, int openmetrics)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		if ((openmetrics ? types[i].om : types[i].prom) &&
		    strlen(types[i].word) == n &&
		    memcmp(types[i].word, s, n) == 0)
			return (int)types[i].type;
	return -1;
}

const char *
expo_type_name(enum expo_type t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (types[i].type == t)
			return types[i].word;
	return "untyped";
}

void
expo_init(struct expo *ex, int openmetrics)
{
	ex->openmetrics = openmetrics;
	ex->eof_seen = 0;
	ex->family_type = EXPO_UNTYPED;
	buf_init(&ex->family, OBS_LINE_MAX);
	ex->plain = 0;
}

void
expo_free(struct expo *ex)
{
	buf_free(&ex->family);
}

/* The text format's HELP escapes are only \\ and \n; others stay. */
static int
help_unescape(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];

		if (ch == '\\' && i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == 'n'))
			ch = s[++i] == 'n' ? '\n' : '\\';
		if (buf_addch(out, ch) < 0)
			return -1;
	}
	return 0;
}

/* "# HELP", "# TYPE", "# UNIT" (also in the text format: see obs-format(5))
 * and other comments. */
static enum expo_result
parse_comment(struct expo *ex, struct cur *c, struct record *rec)
{
	static const char *words[] = { "HELP", "TYPE", "UNIT" };
	static const enum meta_kind kinds[] = { META_HELP, META_TYPE, META_UNIT };
	enum meta_kind kind = META_NONE;
	size_t i, nstart, nlen, tcol;
	const char *text;
	size_t tlen;
	int quoted = 0;

	rec->kind = REC_COMMENT;
	c->i++;
	if (c->om) {
		if (c->n - c->i == 4 && starts_with(c, c->i, " EOF")) {
			ex->eof_seen = 1;
			return EXPO_EOF;
		}
		if (at(c, c->i) != ' ')
			return fail(c, c->i, "invalid comment");
		c->i++;
		if (starts_with(c, c->i, "EOF"))
			return fail(c, c->i + 3, "unexpected text after # EOF");
	} else {
		if (!is_blank(at(c, c->i)))
			return EXPO_COMMENT;
		skip_blanks(c);
	}
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (starts_with(c, c->i, words[i]) &&
		    (c->om ? at(c, c->i + 4) == ' ' : is_blank(at(c, c->i + 4))))
			kind = kinds[i];
	if (kind == META_NONE) {
		if (c->om)
			return fail(c, c->i, "invalid comment");
		return EXPO_COMMENT;
	}
	c->i += 5;
	skip_blanks(c);

	nstart = c->i;
	if (is_mname_start(at(c, c->i))) {
		while (is_mname_char(at(c, c->i)))
			c->i++;
		nlen = c->i - nstart;
	} else if (at(c, c->i) == '"') {
		if (scan_quoted(c, &nstart, &nlen, "unterminated metric name") < 0)
			return EXPO_ERROR;
		quoted = 1;
	} else {
		return fail(c, c->i, "expected metric name");
	}
	if (quoted) {
		if (label_unescape(&rec->meta_name, c->s + nstart, nlen) < 0)
			return fail(c, nstart, "out of memory");
		if (rec->meta_name.len == 0 ||
		    !expo_utf8_valid(rec->meta_name.p, rec->meta_name.len))
			return fail(c, nstart, "invalid metric name");
	} else if (buf_add(&rec->meta_name, c->s + nstart, nlen) < 0) {
		return fail(c, nstart, "out of memory");
	}

	/* Prometheus drops the one byte after the name, whatever it is;
	 * OpenMetrics wants it to be a space. */
	if (c->om && at(c, c->i) != ' ')
		return fail(c, c->i, "expected text after metric name");
	if (c->i < c->n)
		c->i++;
	tcol = c->i;
	text = c->s + c->i;
	tlen = c->n - c->i;

	switch (kind) {
	case META_TYPE: {
		int t = expo_type_parse(text, tlen, c->om);

		if (t < 0)
			return fail(c, tcol, "invalid metric type");
		if (buf_add(&rec->text, text, tlen) < 0)
			return fail(c, tcol, "out of memory");
		buf_reset(&ex->family);
		if (buf_add(&ex->family, rec->meta_name.p, rec->meta_name.len) < 0)
			return fail(c, nstart, "out of memory");
		ex->family_type = (enum expo_type)t;
		break;
	}
	case META_HELP:
		if (!expo_utf8_valid(text, tlen))
			return fail(c, tcol, "invalid utf-8 in help text");
		if ((c->om ? label_unescape(&rec->text, text, tlen) :
		    help_unescape(&rec->text, text, tlen)) < 0)
			return fail(c, tcol, "out of memory");
		break;
	case META_UNIT: {
		const char *m = buf_cstr(&rec->meta_name);
		size_t mlen = rec->meta_name.len;

		if (c->om && tlen > 0 && (mlen < tlen + 1 ||
		    memcmp(m + mlen - tlen, text, tlen) != 0 ||
		    m[mlen - tlen - 1] != '_'))
			return fail(c, tcol, "unit is not a suffix of the metric name");
		if (buf_add(&rec->text, text, tlen) < 0)
			return fail(c, tcol, "out of memory");
		break;
	}
	default:
		break;
	}
	rec->meta = kind;
	return EXPO_META;
}

/* A token up to the next blank (or '{' in the text format, as its lexer
 * stops there). */
static size_t
token(struct cur *c)
{
	size_t start = c->i;

	while (c->i < c->n) {
		int ch = (unsigned char)c->s[c->i];

		if (ch == ' ' || (!c->om && (ch == '\t' || ch == '{')))
			break;
		c->i++;
	}
	return c->i - start;
}

/* OpenMetrics timestamps are float seconds; we keep milliseconds, cut
 * toward zero as Prometheus' int64(ts * 1000) does. */
static int
om_timestamp(struct cur *c, size_t start, size_t len, int64_t *ms)
{
	double ts, x;

	if (value_parse(c->s + start, len, &ts) < 0 || value_is_stale(ts) ||
	    !isfinite(ts))
		return fail(c, start, "invalid timestamp");
	x = ts * 1000.0;
	if (!(x > -9223372036854775808.0 && x < 9223372036854775808.0))
		return fail(c, start, "timestamp out of range");
	*ms = (int64_t)x;
	return 0;
}

/* " # {labels} value [timestamp]": checked, then forgotten. */
static int
parse_exemplar(struct cur *c)
{
	size_t start, len;
	double v;
	int64_t ts;

	c->i += 3;
	if (parse_labels(c, NULL, NULL) < 0)
		return -1;
	if (at(c, c->i) != ' ')
		return fail(c, c->i, "expected exemplar value");
	c->i++;
	start = c->i;
	len = token(c);
	if (len == 0 || value_parse(c->s + start, len, &v) < 0 ||
	    value_is_stale(v))
		return fail(c, start, "invalid exemplar value");
	if (c->i == c->n)
		return 0;
	c->i++;
	start = c->i;
	len = token(c);
	if (len == 0 || om_timestamp(c, start, len, &ts) < 0)
		return fail(c, start, "invalid exemplar timestamp");
	if (c->i != c->n)
		return fail(c, c->i, "unexpected text after exemplar");
	return 0;
}

static int
is_exemplar(const struct cur *c)
{
	return c->om && starts_with(c, c->i, " # {");
}

static enum expo_result
parse_sample(struct expo *ex, struct cur *c, struct record *rec)
{
	size_t nstart = c->i, nlen, lbrace = SIZE_MAX, start, len;

	rec->kind = REC_SAMPLE;
	if (!is_mname_start(at(c, c->i)))
		return fail(c, c->i, "expected metric name");
	while (is_mname_char(at(c, c->i)))
		c->i++;
	nlen = c->i - nstart;
	if (labels_push(&rec->labels, LABELS_NAME, sizeof(LABELS_NAME) - 1,
	    c->s + nstart, nlen) < 0)
		return fail(c, nstart, "out of memory");
	skip_blanks(c);
	if (at(c, c->i) == '{') {
		lbrace = c->i;
		if (parse_labels(c, &rec->labels, NULL) < 0)
			return EXPO_ERROR;
	}
	if (finish_labels(c, &rec->labels, lbrace, 1) < 0)
		return EXPO_ERROR;

	if (c->om) {
		if (at(c, c->i) != ' ')
			return fail(c, c->i, "expected value");
		c->i++;
	} else {
		skip_blanks(c);
	}
	start = c->i;
	len = token(c);
	if (len == 0)
		return fail(c, start, "expected value");
	if (value_parse(c->s + start, len, &rec->value) < 0 ||
	    (c->om && value_is_stale(rec->value)))
		return fail(c, start, "invalid value");

	if (c->om) {
		if (c->i < c->n && !is_exemplar(c)) {
			c->i++;
			start = c->i;
			len = token(c);
			if (len == 0)
				return fail(c, start, "expected timestamp");
			if (om_timestamp(c, start, len, &rec->ts) < 0)
				return EXPO_ERROR;
			rec->has_ts = 1;
		}
		if (is_exemplar(c) && parse_exemplar(c) < 0)
			return EXPO_ERROR;
		if (c->i != c->n)
			return fail(c, c->i, "unexpected text after timestamp");
		if ((ex->family_type == EXPO_COUNTER ||
		    ex->family_type == EXPO_HISTOGRAM ||
		    ex->family_type == EXPO_SUMMARY) &&
		    nlen == ex->family.len + 8 &&
		    memcmp(c->s + nstart, ex->family.p, ex->family.len) == 0 &&
		    memcmp(c->s + nstart + ex->family.len, "_created", 8) == 0)
			return EXPO_SKIP;
		return EXPO_SAMPLE;
	}

	skip_blanks(c);
	if (c->i == c->n)
		return EXPO_SAMPLE;
	start = c->i;
	while (c->i < c->n && !is_blank((unsigned char)c->s[c->i]))
		c->i++;
	len = c->i - start;
	if (!all_digits(c->s + start, len) ||
	    parse_i64(c->s + start, len, 0, INT64_MAX, &rec->ts) < 0)
		return fail(c, start, "invalid timestamp");
	rec->has_ts = 1;
	skip_blanks(c);
	if (c->i != c->n)
		return fail(c, c->i, "unexpected text after timestamp");
	return EXPO_SAMPLE;
}

/* Strict byte order of two NUL-terminated names. */
static int
name_before(const char *a, const char *b)
{
	while (*a == *b && *a != '\0') {
		a++;
		b++;
	}
	return (unsigned char)*a < (unsigned char)*b;
}

/*
 * The common sample line, name{a="x",b="y"} VALUE [TS] with single spaces,
 * read in one pass: the arena of the set starts as a copy of the line, and
 * names and values are cut out of the copy in place.  Anything out of the
 * ordinary (other blanks, escapes, quoted names, empty values, a missing
 * comma, labels out of order, a value or timestamp this path does not
 * read) returns 0, and the general parser reads the line again from the
 * start: it alone decides errors, so this path accepts only lines it
 * accepts, with the same result.
 */
static int
fast_sample(const char *s, size_t n, struct record *rec)
{
	struct labels *ls = &rec->labels;
	const unsigned char *u;
	size_t i = 1, k, start, nlen;
	long base, nameoff;
	uint64_t ts;
	char *a;

	base = labels_arena_add(ls, s, n);
	nameoff = labels_arena_add(ls, LABELS_NAME, sizeof(LABELS_NAME) - 1);
	if (base < 0 || nameoff < 0)
		return 0;
	/* Loops scan the copy, whose NUL at a[n] stops them without a
	 * bound check; tests of single bytes read s, as a is cut. */
	a = ls->arena.p + base;
	u = (const unsigned char *)a;
	while (cls[u[i]] & CL_MNAME)
		i++;
	if (i >= n || labels_push_ref(ls, (size_t)nameoff,
	    sizeof(LABELS_NAME) - 1, (size_t)base, i) < 0)
		return 0;
	a[i] = '\0';
	if (s[i] == '{') {
		for (i++;;) {
			int high = 0;

			if (i >= n)
				return 0;
			if (s[i] == '}')
				break;
			if (!(cls[u[i]] & CL_LSTART))
				return 0;
			start = i;
			while (cls[u[++i]] & CL_LNAME)
				;
			if (n - i < 3 || s[i] != '=' || s[i + 1] != '"')
				return 0;
			nlen = i - start;
			a[i] = '\0';
			i += 2;
			k = i;
			for (;;) {
				while (!(cls[u[i]] & CL_VSTOP))
					i++;
				if (u[i] < 0x80)
					break;
				high = 1;
				i++;
			}
			if (i >= n || s[i] != '"' || i == k)
				return 0;
			if (high && !expo_utf8_valid(s + k, i - k))
				return 0;
			a[i] = '\0';
			if (labels_push_ref(ls, (size_t)base + start, nlen,
			    (size_t)base + k, i - k) < 0)
				return 0;
			i++;
			if (i < n && s[i] == ',')
				i++;
			else if (i >= n || s[i] != '}')
				return 0;
		}
		i++;
	}
	if (i >= n || s[i] != ' ')
		return 0;
	k = ++i;
	while (!(cls[u[i]] & CL_TSTOP))
		i++;
	if (i == k || (i < n && s[i] != ' ') ||
	    value_parse(s + k, i - k, &rec->value) < 0)
		return 0;
	if (i < n) {
		/* Digits only, as the text format's lexer has them; 18 of
		 * them cannot overflow. */
		k = ++i;
		if (n - k > 18 || n == k)
			return 0;
		for (ts = 0; i < n; i++) {
			unsigned d = (unsigned)u[i] - '0';

			if (d > 9)
				return 0;
			ts = ts * 10 + d;
		}
		rec->ts = (int64_t)ts;
		rec->has_ts = 1;
	}
	/* Strictly sorted also means no name twice. */
	for (k = 1; k < ls->n; k++)
		if (!name_before(labels_name(ls, k - 1), labels_name(ls, k)))
			return labels_sort(ls) == 0;
	return 1;
}

enum expo_result
expo_parse_line(struct expo *ex, const char *line, size_t len,
		struct record *rec, const char **err, size_t *errcol)
{
	struct cur c = { line, len, 0, ex->openmetrics, NULL, 0,
	    BUF_INIT(OBS_LINE_MAX) };
	enum expo_result r;

	labels_reset(&rec->labels);
	buf_reset(&rec->meta_name);
	buf_reset(&rec->text);
	rec->kind = REC_COMMENT;
	rec->meta = META_NONE;
	rec->value = 0;
	rec->ts = 0;
	rec->has_ts = 0;
	rec->raw = line;
	rec->raw_len = len;
	ex->plain = 0;

	if (!c.om && len > 0 && (cls[(unsigned char)line[0]] & CL_MSTART)) {
		rec->kind = REC_SAMPLE;
		if (fast_sample(line, len, rec)) {
			/* Its grammar has nothing to escape. */
			ex->plain = 1;
			return EXPO_SAMPLE;
		}
		labels_reset(&rec->labels);
		rec->kind = REC_COMMENT;
		rec->value = 0;
		rec->ts = 0;
		rec->has_ts = 0;
	}
	skip_blanks(&c);
	if (c.om && ex->eof_seen)
		r = fail(&c, 0, "unexpected data after # EOF");
	else if (c.i == len)
		r = c.om ? fail(&c, 0, "blank line") : EXPO_EMPTY;
	else if (line[c.i] == '#')
		r = parse_comment(ex, &c, rec);
	else
		r = parse_sample(ex, &c, rec);
	buf_free(&c.tmp);
	if (r == EXPO_ERROR) {
		*err = c.err;
		*errcol = c.col;
	}
	return r;
}
