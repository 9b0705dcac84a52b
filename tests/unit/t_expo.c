/* t_expo.c: unit tests of the text exposition and OpenMetrics line parser. */
#include <stdio.h>
#include <string.h>

#include "expo.h"
#include "labels.h"
#include "record.h"
#include "value.h"
#include "tap.h"
#include "banned.h"

/*
 * A record as one string, values raw (not escaped) so that the tests see
 * exactly what was unescaped: "__name__=foo,a=b 1 @123" for a sample,
 * "HELP foo|text" for metadata, "COMMENT" for other comments.
 */
static const char *
show(const struct record *rec)
{
	static char out[1024];
	char val[VALUE_FMT_MAX];
	size_t i, n = 0;
	static const char *kinds[] = { "NONE", "HELP", "TYPE", "UNIT" };
	const char *kindname = "NONE";

	out[0] = '\0';
	if (rec->kind == REC_COMMENT) {
		if (rec->meta == META_HELP)
			kindname = kinds[1];
		else if (rec->meta == META_TYPE)
			kindname = kinds[2];
		else if (rec->meta == META_UNIT)
			kindname = kinds[3];
		if (rec->meta == META_NONE)
			snprintf(out, sizeof(out), "COMMENT");
		else
			snprintf(out, sizeof(out), "%s %s|%s", kindname,
			    buf_cstr(&rec->meta_name), buf_cstr(&rec->text));
		return out;
	}
	for (i = 0; i < rec->labels.n && n < sizeof(out); i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s=%s",
		    i ? "," : "", labels_name(&rec->labels, i),
		    labels_value(&rec->labels, i));
	value_format(rec->value, val);
	if (n < sizeof(out))
		n += (size_t)snprintf(out + n, sizeof(out) - n, " %s", val);
	if (rec->has_ts && n < sizeof(out))
		snprintf(out + n, sizeof(out) - n, " @%lld", (long long)rec->ts);
	return out;
}

struct okcase {
	int om;
	const char *line;
	enum expo_result want;
	const char *show;	/* NULL: do not compare */
};

/* Lines Prometheus' text parser accepts, and what they hold. */
static const struct okcase prom_ok[] = {
	{ 0, "", EXPO_EMPTY, NULL },
	{ 0, " \t ", EXPO_EMPTY, NULL },
	{ 0, "foo 1", EXPO_SAMPLE, "__name__=foo 1" },
	{ 0, "foo{a=\"b\"} 1 123", EXPO_SAMPLE, "__name__=foo,a=b 1 @123" },
	{ 0, "foo{b=\"2\",a=\"1\",} 1", EXPO_SAMPLE, "__name__=foo,a=1,b=2 1" },
	{ 0, "  foo { a = \"b\" , }\t 2.5 \t 7  ", EXPO_SAMPLE,
	  "__name__=foo,a=b 2.5 @7" },
	{ 0, "foo{a=\"1\" b=\"2\"} 1", EXPO_SAMPLE, "__name__=foo,a=1,b=2 1" },
	{ 0, "foo{a=\"x\\\\y\\\"z\\nw\"} 1", EXPO_SAMPLE,
	  "__name__=foo,a=x\\y\"z\nw 1" },
	{ 0, "foo{a=\"\\t\\q\\\\n\"} 1", EXPO_SAMPLE,
	  "__name__=foo,a=\\t\\q\\n 1" },
	{ 0, "foo{} 1", EXPO_SAMPLE, "__name__=foo 1" },
	{ 0, "foo{a=\"b\"}1", EXPO_SAMPLE, "__name__=foo,a=b 1" },
	{ 0, "foo{a=\"\"} 1", EXPO_SAMPLE, "__name__=foo 1" },
	{ 0, "foo{\"my.label\"=\"v\"} 1", EXPO_SAMPLE,
	  "__name__=foo,my.label=v 1" },
	{ 0, "some:aggregate:rate5m{a_b=\"c\"}\t1", EXPO_SAMPLE,
	  "__name__=some:aggregate:rate5m,a_b=c 1" },
	{ 0, "_x{_y=\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"} -0.5", EXPO_SAMPLE,
	  "__name__=_x,_y=\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 -0.5" },
	{ 0, "foo NaN", EXPO_SAMPLE, "__name__=foo NaN" },
	{ 0, "foo +Inf", EXPO_SAMPLE, "__name__=foo +Inf" },
	{ 0, "foo -Inf 0", EXPO_SAMPLE, "__name__=foo -Inf @0" },
	{ 0, "foo stale 1700000000000", EXPO_SAMPLE,
	  "__name__=foo stale @1700000000000" },
	{ 0, "foo 1e3 9223372036854775807", EXPO_SAMPLE,
	  "__name__=foo 1000 @9223372036854775807" },
	{ 0, "foo{z=\"1\",y=\"2\",x=\"3\",w=\"4\",v=\"5\",u=\"6\",t=\"7\","
	  "s=\"8\",r=\"9\",q=\"10\",p=\"11\",o=\"12\",n=\"13\",m=\"14\","
	  "l=\"15\",k=\"16\",j=\"17\",i=\"18\",h=\"19\",g=\"20\"} 1",
	  EXPO_SAMPLE, "__name__=foo,g=20,h=19,i=18,j=17,k=16,l=15,m=14,"
	  "n=13,o=12,p=11,q=10,r=9,s=8,t=7,u=6,v=5,w=4,x=3,y=2,z=1 1" },
	{ 0, "# HELP foo Some help\\ntext \\\\ here \\\"q\\\" \\t", EXPO_META,
	  "HELP foo|Some help\ntext \\ here \\\"q\\\" \\t" },
	{ 0, "# HELP foo", EXPO_META, "HELP foo|" },
	{ 0, "# HELP foo ", EXPO_META, "HELP foo|" },
	{ 0, "# HELP foo  two", EXPO_META, "HELP foo| two" },
	{ 0, "# HELP foo\tx", EXPO_META, "HELP foo|x" },
	{ 0, "# HELP \"foo.bar\" x", EXPO_META, "HELP foo.bar|x" },
	{ 0, "# TYPE foo counter", EXPO_META, "TYPE foo|counter" },
	{ 0, "# \tTYPE\tfoo gauge", EXPO_META, "TYPE foo|gauge" },
	{ 0, "# TYPE foo untyped", EXPO_META, "TYPE foo|untyped" },
	{ 0, "# TYPE foo summary", EXPO_META, "TYPE foo|summary" },
	{ 0, "# TYPE foo histogram", EXPO_META, "TYPE foo|histogram" },
	{ 0, "# TYPE foo gaugehistogram", EXPO_META, "TYPE foo|gaugehistogram" },
	{ 0, "# TYPE foo info", EXPO_META, "TYPE foo|info" },
	{ 0, "# UNIT foo_seconds seconds", EXPO_META, "UNIT foo_seconds|seconds" },
	{ 0, "# some comment", EXPO_COMMENT, "COMMENT" },
	{ 0, "#", EXPO_COMMENT, "COMMENT" },
	{ 0, "# HELP", EXPO_COMMENT, "COMMENT" },
	{ 0, "#HELP foo x", EXPO_COMMENT, "COMMENT" },
	{ 0, "# HELPER foo x", EXPO_COMMENT, "COMMENT" },
	{ 0, "# EOF", EXPO_COMMENT, "COMMENT" },
	{ 0, "  # indented", EXPO_COMMENT, "COMMENT" },
};

struct errcase {
	int om;
	const char *line;
	const char *err;
	size_t col;
};

static const struct errcase prom_err[] = {
	{ 0, "foo", "expected value", 3 },
	{ 0, "foo{a=\"b\"}", "expected value", 10 },
	{ 0, "foo{a=\"b\"}   ", "expected value", 13 },
	{ 0, "foo x", "invalid value", 4 },
	{ 0, "foo true", "invalid value", 4 },
	{ 0, "foo 1_2", "invalid value", 4 },
	{ 0, "foo 0x1p-3", "invalid value", 4 },
	{ 0, "foo 1 abc", "invalid timestamp", 6 },
	{ 0, "foo 1 -5", "invalid timestamp", 6 },
	{ 0, "foo 1 1.5", "invalid timestamp", 6 },
	{ 0, "foo 1 9223372036854775808", "invalid timestamp", 6 },
	{ 0, "foo 1 2 3", "unexpected text after timestamp", 8 },
	{ 0, "foo{a=\"b} 1", "unterminated label value", 6 },
	{ 0, "foo{a=\"b\\\"} 1", "unterminated label value", 6 },
	{ 0, "foo{a=\"b\\", "unterminated label value", 6 },
	{ 0, "foo{\"a} 1", "unterminated label name", 4 },
	{ 0, "foo{1a=\"b\"} 1", "expected label name", 4 },
	{ 0, "foo{=\"b\"} 1", "expected label name", 4 },
	{ 0, "foo{\xff=\"b\"} 1", "expected label name", 4 },
	{ 0, "foo{a-b=\"c\"} 1", "expected '=' after label name", 5 },
	{ 0, "foo{a} 1", "expected '=' after label name", 5 },
	{ 0, "foo{\"x\"} 1", "expected '=' after label name", 7 },
	{ 0, "foo{a=b} 1", "expected label value", 6 },
	{ 0, "foo{a='b'} 1", "expected label value", 6 },
	{ 0, "foo{a=", "expected label value", 6 },
	{ 0, "foo{\"\"=\"b\"} 1", "invalid label name", 4 },
	{ 0, "foo{a=\"1\",a=\"2\"} 1", "duplicate label name", 10 },
	{ 0, "foo{__name__=\"x\"} 1", "duplicate label name", 4 },
	{ 0, "foo{a=\"1\",b=\"2\",a=\"3\"} 1", "duplicate label name", 16 },
	{ 0, "foo{a=\"1\",a=\"\"} 1", "duplicate label name", 10 },
	{ 0, "foo{a=\"b\"", "unterminated label set", 9 },
	{ 0, "foo{a=\"b\", ", "unterminated label set", 11 },
	{ 0, "foo{,} 1", "expected label name", 4 },
	{ 0, "foo{a=\"1\",,} 1", "expected label name", 10 },
	{ 0, "{a=\"b\"} 1", "expected metric name", 0 },
	{ 0, "1foo 1", "expected metric name", 0 },
	{ 0, "foo{a=\"\xff\"} 1", "invalid utf-8 in label value", 6 },
	{ 0, "foo{a=\"\xc0\xaf\"} 1", "invalid utf-8 in label value", 6 },
	{ 0, "foo{a=\"\xed\xa0\x80\"} 1", "invalid utf-8 in label value", 6 },
	{ 0, "foo{a=\"\xf4\x90\x80\x80\"} 1", "invalid utf-8 in label value", 6 },
	{ 0, "foo{a=\"\xe2\x82\"} 1", "invalid utf-8 in label value", 6 },
	{ 0, "# TYPE foo bogus", "invalid metric type", 11 },
	{ 0, "# TYPE foo  gauge", "invalid metric type", 11 },
	{ 0, "# TYPE foo gauge ", "invalid metric type", 11 },
	{ 0, "# TYPE foo", "invalid metric type", 10 },
	{ 0, "# TYPE ", "expected metric name", 7 },
	{ 0, "# TYPE #", "expected metric name", 7 },
	{ 0, "# HELP 1x y", "expected metric name", 7 },
	{ 0, "# HELP \"foo y", "unterminated metric name", 7 },
	{ 0, "# HELP foo \xff", "invalid utf-8 in help text", 11 },
};

/* OpenMetrics, one family after the other, as a body would give them. */
static const struct okcase om_ok[] = {
	{ 1, "# TYPE foo counter", EXPO_META, "TYPE foo|counter" },
	{ 1, "# HELP foo a \\\"q\\\" \\\\n \\n", EXPO_META,
	  "HELP foo|a \"q\" \\n \n" },
	{ 1, "# UNIT foo_seconds seconds", EXPO_META, "UNIT foo_seconds|seconds" },
	{ 1, "# UNIT foo_seconds ", EXPO_META, "UNIT foo_seconds|" },
	{ 1, "foo_total 1", EXPO_SAMPLE, "__name__=foo_total 1" },
	{ 1, "foo_total{a=\"b\",} 1 1.5", EXPO_SAMPLE,
	  "__name__=foo_total,a=b 1 @1500" },
	{ 1, "foo_total 1 -1.5", EXPO_SAMPLE, "__name__=foo_total 1 @-1500" },
	{ 1, "foo_total 1 1700000000.123", EXPO_SAMPLE,
	  "__name__=foo_total 1 @1700000000123" },
	{ 1, "foo_total 1 1700000000", EXPO_SAMPLE,
	  "__name__=foo_total 1 @1700000000000" },
	{ 1, "foo_created 1.7e9", EXPO_SKIP, NULL },
	{ 1, "foo_created{a=\"b\"} 1.7e9 1", EXPO_SKIP, NULL },
	{ 1, "bar_created 5", EXPO_SAMPLE, "__name__=bar_created 5" },
	{ 1, "foo_total 1 # {trace_id=\"abc\"} 0.5 1.25", EXPO_SAMPLE,
	  "__name__=foo_total 1" },
	{ 1, "foo_total 1 2.5 # {trace_id=\"abc\",span=\"x\"} 0.5", EXPO_SAMPLE,
	  "__name__=foo_total 1 @2500" },
	{ 1, "foo_total 1 # {} 0.5", EXPO_SAMPLE, "__name__=foo_total 1" },
	{ 1, "# TYPE h histogram", EXPO_META, "TYPE h|histogram" },
	{ 1, "h_bucket{le=\"+Inf\"} 3", EXPO_SAMPLE, "__name__=h_bucket,le=+Inf 3" },
	{ 1, "h_created 1", EXPO_SKIP, NULL },
	{ 1, "# TYPE s summary", EXPO_META, "TYPE s|summary" },
	{ 1, "s_created 1", EXPO_SKIP, NULL },
	{ 1, "# TYPE g gaugehistogram", EXPO_META, "TYPE g|gaugehistogram" },
	{ 1, "g_created 1", EXPO_SAMPLE, "__name__=g_created 1" },
	{ 1, "# TYPE i info", EXPO_META, "TYPE i|info" },
	{ 1, "# TYPE st stateset", EXPO_META, "TYPE st|stateset" },
	{ 1, "# TYPE u unknown", EXPO_META, "TYPE u|unknown" },
	{ 1, "u_created 1", EXPO_SAMPLE, "__name__=u_created 1" },
	{ 1, "u NaN", EXPO_SAMPLE, "__name__=u NaN" },
	{ 1, "# EOF", EXPO_EOF, NULL },
};

static const struct errcase om_err[] = {
	{ 1, "", "blank line", 0 },
	{ 1, "# foo", "invalid comment", 2 },
	{ 1, "#", "invalid comment", 1 },
	{ 1, "#\tTYPE foo gauge", "invalid comment", 1 },
	{ 1, "# EOF ", "unexpected text after # EOF", 5 },
	{ 1, "# EOFx", "unexpected text after # EOF", 5 },
	{ 1, "# TYPE foo untyped", "invalid metric type", 11 },
	{ 1, "# HELP foo", "expected text after metric name", 10 },
	{ 1, "# HELP  foo x", "expected metric name", 7 },
	{ 1, "# UNIT foo seconds", "unit is not a suffix of the metric name", 11 },
	{ 1, "# UNIT seconds seconds", "unit is not a suffix of the metric name", 15 },
	{ 1, " foo 1", "expected metric name", 0 },
	{ 1, "foo  1", "expected value", 4 },
	{ 1, "foo\t1", "expected value", 3 },
	{ 1, "foo 1 ", "expected timestamp", 6 },
	{ 1, "foo {a=\"b\"} 1", "invalid value", 4 },
	{ 1, "foo stale", "invalid value", 4 },
	{ 1, "foo 1 NaN", "invalid timestamp", 6 },
	{ 1, "foo 1 +Inf", "invalid timestamp", 6 },
	{ 1, "foo 1 1e300", "timestamp out of range", 6 },
	{ 1, "foo 1 stale", "invalid timestamp", 6 },
	{ 1, "foo 1 2 3", "unexpected text after timestamp", 7 },
	{ 1, "foo{a=\"b\", c=\"d\"} 1", "expected label name", 10 },
	{ 1, "foo{a=\"1\"b=\"2\"} 1", "expected ',' or '}'", 9 },
	{ 1, "foo{a = \"1\"} 1", "expected '=' after label name", 5 },
	{ 1, "foo_total 1 # {trace_id=\"abc\"}", "expected exemplar value", 30 },
	{ 1, "foo_total 1 # {trace_id=\"abc\"} x", "invalid exemplar value", 31 },
	{ 1, "foo_total 1 # {trace_id=\"abc\"} 1 NaN",
	  "invalid exemplar timestamp", 33 },
	{ 1, "foo_total 1 # {trace_id=\"abc\"} 1 2 3",
	  "unexpected text after exemplar", 34 },
	{ 1, "foo_total 1 # {trace_id=abc} 1", "expected label value", 24 },
	{ 1, "foo_total 1 #{a=\"b\"} 1", "invalid timestamp", 12 },
};

static void
run_ok(struct expo *ex, const struct okcase *c, struct record *rec)
{
	const char *err = "none";
	size_t col = 99;
	enum expo_result r;

	r = expo_parse_line(ex, c->line, strlen(c->line), rec, &err, &col);
	if (!is_int(r, c->want, "%s: '%s' gives %d", c->om ? "om" : "prom",
	    c->line, (int)c->want))
		diag("error: %s at %zu", r == EXPO_ERROR ? err : "-", col);
	if (c->show != NULL && r == c->want)
		is_str(show(rec), c->show, "%s: '%s' holds it", c->om ? "om" :
		    "prom", c->line);
}

static void
run_err(const struct errcase *c, struct record *rec)
{
	struct expo ex;
	const char *err = NULL;
	size_t col = 999;
	enum expo_result r;

	expo_init(&ex, c->om);
	r = expo_parse_line(&ex, c->line, strlen(c->line), rec, &err, &col);
	if (!is_int(r, EXPO_ERROR, "%s: '%s' is an error", c->om ? "om" :
	    "prom", c->line))
		diag("got %s", show(rec));
	else if (is_str(err, c->err, "%s: '%s' says why", c->om ? "om" :
	    "prom", c->line))
		is_int((long long)col, (long long)c->col, "%s: '%s' says where",
		    c->om ? "om" : "prom", c->line);
	expo_free(&ex);
}

/* Parses a whole file in place, in text-format or OpenMetrics mode. */
static void
parse_file(const char *path, int om, long want_samples)
{
	static char data[1 << 20];
	struct expo ex;
	struct record rec;
	FILE *f = fopen(path, "r");
	size_t n, i, start = 0;
	long samples = 0, bad = 0, lines = 0;

	if (!ok(f != NULL, "open %s", path)) {
		ok(0, "%s parses", path);
		return;
	}
	n = fread(data, 1, sizeof(data) - 1, f);
	fclose(f);
	expo_init(&ex, om);
	record_init(&rec);
	for (i = 0; i <= n; i++) {
		const char *err = NULL;
		size_t col = 0;
		enum expo_result r;

		if (i < n && data[i] != '\n')
			continue;
		if (i == n && start == n)
			break;
		lines++;
		r = expo_parse_line(&ex, data + start, i - start, &rec, &err, &col);
		if (r == EXPO_ERROR) {
			if (bad++ < 5)
				diag("%s:%ld: %s at column %zu", path, lines, err,
				    col + 1);
		} else if (r == EXPO_SAMPLE) {
			samples++;
		}
		start = i + 1;
	}
	ok(bad == 0 && (want_samples < 0 || samples == want_samples),
	    "%s: %ld lines, %ld samples, %ld bad", path, lines, samples, bad);
	record_free(&rec);
	expo_free(&ex);
}

/*
 * Sample lines take a fast path when they start with a metric name; a
 * line with a blank in front takes the general one.  Both must read every
 * line the same way: lines built at random from pieces that each path
 * treats differently (escapes, blanks, UTF-8, empty and repeated names,
 * odd values), and mutations of them, are read both ways and compared.
 */
static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned
rng(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static size_t
gen_line(char *out, size_t cap)
{
	static const char *names[] = { "foo", "node_cpu_seconds_total", "a:b",
	    "_x", "up", "foo_bucket" };
	static const char *lnames[] = { "a", "b", "le", "zz", "A", "_c",
	    "instance", "__name__", "\"q.n\"", "a1" };
	static const char *lvals[] = { "x", "", "host01.lan:9100", "a\\\\b",
	    "a\\\"b", "a\\nb", "\xc3\xa9t\xc3\xa9", "\xff", "\xe2\x82",
	    "sp ace", "br{ace}", "t\tab", "0.5", "\\q" };
	static const char *vals[] = { "1", "0", "-0", "1.5", "1e3", "1E-3",
	    "+Inf", "-Inf", "NaN", "nan", "stale", "0x1p3", "1_0", ".5", "5.",
	    "1e400", "1e-400", "123456789012345678901234", "9007199254740993",
	    "x", "", "1.50", "+.5e+2", "-12345.678e-2" };
	static const char *tss[] = { "", " 1714557600000", " 0", " -1",
	    " 00012", " 9223372036854775807", " 9223372036854775808",
	    " 12a", "  5", " 5 ", "\t5", " 1.5" };
	size_t n = 0, k, nl;

#define PUT(str) do { \
		const char *s_ = (str); \
		size_t l_ = strlen(s_); \
		if (n + l_ < cap) { \
			memcpy(out + n, s_, l_); \
			n += l_; \
		} \
	} while (0)
	PUT(names[rng(6)]);
	if (rng(5)) {
		PUT(rng(8) ? "{" : " {");
		nl = rng(6);
		for (k = 0; k < nl; k++) {
			PUT(lnames[rng(10)]);
			PUT(rng(12) ? "=" : " = ");
			PUT("\"");
			PUT(lvals[rng(14)]);
			PUT("\"");
			if (k + 1 < nl || rng(6) == 0)
				PUT(rng(10) ? "," : rng(2) ? ", " : "");
		}
		PUT(rng(15) ? "}" : "");
	}
	PUT(rng(10) ? " " : rng(2) ? "\t" : "  ");
	PUT(vals[rng(24)]);
	PUT(tss[rng(12)]);
#undef PUT
	out[n] = '\0';
	return n;
}

static long both_samples;

/* Both paths on line: 1 if they agree. */
static int
same_both_ways(const char *line, size_t len)
{
	static char shifted[600];
	struct expo ex;
	struct record a, b;
	const char *ea = NULL, *eb = NULL;
	size_t ca = 0, cb = 0;
	enum expo_result ra, rb;
	char sa[1024];
	int same;

	shifted[0] = ' ';
	memcpy(shifted + 1, line, len);
	record_init(&a);
	record_init(&b);
	expo_init(&ex, 0);
	ra = expo_parse_line(&ex, line, len, &a, &ea, &ca);
	snprintf(sa, sizeof(sa), "%s", show(&a));
	rb = expo_parse_line(&ex, shifted, len + 1, &b, &eb, &cb);
	same = ra == rb;
	both_samples += ra == EXPO_SAMPLE;
	if (same && ra == EXPO_ERROR)
		same = strcmp(ea, eb) == 0 && ca + 1 == cb;
	else if (same && ra == EXPO_SAMPLE)
		same = strcmp(sa, show(&b)) == 0 &&
		    memcmp(&a.value, &b.value, sizeof(a.value)) == 0;
	if (!same)
		diag("'%.*s': %d %s %zu / %d %s %zu", (int)len, line, ra,
		    ra == EXPO_ERROR ? ea : sa, ca, rb,
		    rb == EXPO_ERROR ? eb : show(&b), cb);
	expo_free(&ex);
	record_free(&a);
	record_free(&b);
	return same;
}

static void
fast_path_agrees(void)
{
	static const char pool[] = "a_:{}=\",\\ \t.01e+-\n\xc3\xa9\x00Z#";
	char line[512];
	long i, bad = 0, samples = 0;

	for (i = 0; i < 200000; i++) {
		size_t len = gen_line(line, 400), k;

		/* A quarter of the lines get a few bytes changed. */
		if (rng(4) == 0 && len > 0)
			for (k = rng(3) + 1; k > 0; k--)
				line[rng((unsigned)len)] =
				    pool[rng(sizeof(pool) - 1)];
		if (!same_both_ways(line, len) && ++bad > 20)
			break;
		samples++;
	}
	ok(bad == 0 && both_samples > samples / 10,
	    "fast and general paths agree on %ld generated lines (%ld samples)",
	    samples, both_samples);
}

int
main(void)
{
	struct expo ex;
	struct record rec;
	size_t i;

	record_init(&rec);

	expo_init(&ex, 0);
	for (i = 0; i < sizeof(prom_ok) / sizeof(prom_ok[0]); i++)
		run_ok(&ex, &prom_ok[i], &rec);
	expo_free(&ex);
	for (i = 0; i < sizeof(prom_err) / sizeof(prom_err[0]); i++)
		run_err(&prom_err[i], &rec);

	expo_init(&ex, 1);
	for (i = 0; i < sizeof(om_ok) / sizeof(om_ok[0]); i++)
		run_ok(&ex, &om_ok[i], &rec);
	{
		const char *err = NULL;
		size_t col = 9;

		is_int(expo_parse_line(&ex, "foo 1", 5, &rec, &err, &col),
		    EXPO_ERROR, "om: a line after # EOF is an error");
		is_str(err, "unexpected data after # EOF", "om: says so");
		is_int(ex.eof_seen, 1, "om: eof_seen is set");
	}
	expo_free(&ex);
	for (i = 0; i < sizeof(om_err) / sizeof(om_err[0]); i++)
		run_err(&om_err[i], &rec);

	/* The line is read within its length only: no NUL needed. */
	{
		char line[] = "foo{a=\"b\"} 1 123XYZ";
		const char *err = NULL;
		size_t col = 0;

		expo_init(&ex, 0);
		is_int(expo_parse_line(&ex, line, 16, &rec, &err, &col),
		    EXPO_SAMPLE, "a line is bounded by its length");
		is_str(show(&rec), "__name__=foo,a=b 1 @123", "and holds it");
		ok(rec.raw == line && rec.raw_len == 16, "raw is the line");
		expo_free(&ex);
	}

	/* plain: a line whose names and values a writer may copy. */
	{
		static const struct {
			const char *line;
			int om, plain;
		} v[] = {
			{ "a{b=\"c\",d=\"\xc3\xa9\"} 1 17", 0, 1 },
			{ "a{d=\"1\",b=\"2\"} 1", 0, 1 },	/* sorted here */
			{ "a:b 1", 0, 1 },
			{ "a{b=\"c\\\"d\"} 1", 0, 0 },	/* an escape */
			{ "a{b=\"\"} 1", 0, 0 },		/* an empty value */
			{ "a{\"b.c\"=\"d\"} 1", 0, 0 },	/* a quoted name */
			{ "a  1", 0, 0 },			/* two blanks */
			{ "a 1", 1, 0 },			/* OpenMetrics */
		};
		const char *err = NULL;
		size_t col = 0, k;

		for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			expo_init(&ex, v[k].om);
			is_int(expo_parse_line(&ex, v[k].line, strlen(v[k].line),
			    &rec, &err, &col), EXPO_SAMPLE, "plain: %s parses",
			    v[k].line);
			is_int(ex.plain, v[k].plain, "plain: %s is %d",
			    v[k].line, v[k].plain);
			expo_free(&ex);
		}
		expo_init(&ex, 0);
		expo_parse_line(&ex, "a 1", 3, &rec, &err, &col);
		expo_parse_line(&ex, "# HELP a b", 10, &rec, &err, &col);
		is_int(ex.plain, 0, "plain: only for the sample just read");
		expo_free(&ex);
	}

	/* The type table, both ways. */
	is_int(expo_type_parse("counter", 7, 0), EXPO_COUNTER, "type counter");
	is_int(expo_type_parse("untyped", 7, 0), EXPO_UNTYPED, "type untyped");
	is_int(expo_type_parse("untyped", 7, 1), -1, "om has no untyped");
	is_int(expo_type_parse("unknown", 7, 1), EXPO_UNKNOWN, "om unknown");
	is_int(expo_type_parse("info", 4, 0), EXPO_INFO,
	    "the obs text format carries info");
	is_int(expo_type_parse("Gauge", 5, 0), -1, "type words are lowercase");
	is_int(expo_type_parse("gauge", 4, 0), -1, "a prefix is no type");
	is_str(expo_type_name(EXPO_GAUGEHISTOGRAM), "gaugehistogram",
	    "type name gaugehistogram");
	is_str(expo_type_name(EXPO_UNTYPED), "untyped", "type name untyped");

	ok(expo_utf8_valid("", 0), "utf-8: empty is valid");
	ok(expo_utf8_valid("\xf4\x8f\xbf\xbf", 4), "utf-8: U+10FFFF is valid");
	ok(!expo_utf8_valid("\xe0\x80\x80", 3), "utf-8: overlong is not");
	ok(!expo_utf8_valid("\xf8\x88\x80\x80\x80", 5), "utf-8: 5 bytes is not");

	fast_path_agrees();

	/* Real exporters' output, read in place. */
	parse_file("/work/shared/peers/node_exporter/e2e-output.txt", 0, 3027);
	parse_file("/work/shared/peers/node_exporter/e2e-64k-page-output.txt",
	    0, 3003);
	parse_file("/work/shared/peers/cadvisor/prometheus_metrics", 0, 287);

	record_free(&rec);
	return done_testing();
}
