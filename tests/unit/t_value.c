/* t_value.c: unit tests for sample values: Go's float syntax and printing. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"
#include "tap.h"
#include "banned.h"

static uint64_t
bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static double
from_bits(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/* Expected strings are Go's strconv.FormatFloat(v, 'g', -1, 64). */
static const struct {
	double v;
	const char *want;
} fmts[] = {
	{ 0.0, "0" },
	{ -0.0, "-0" },
	{ 1, "1" },
	{ -1, "-1" },
	{ 0.25, "0.25" },
	{ 12.5, "12.5" },
	{ 0.1, "0.1" },
	{ 0.1 + 0.2, "0.30000000000000004" },
	{ 1.0 / 3, "0.3333333333333333" },
	{ 2.0 / 3, "0.6666666666666666" },
	{ 100000, "100000" },
	{ 123456, "123456" },
	{ 999999, "999999" },
	{ 999999.5, "999999.5" },
	{ 123456.7, "123456.7" },
	{ 1e6, "1e+06" },
	{ 1234567, "1.234567e+06" },
	{ 1234567.8, "1.2345678e+06" },
	{ 1e15, "1e+15" },
	{ 1e21, "1e+21" },
	{ 1e22, "1e+22" },
	{ 1e23, "1e+23" },
	{ 1e100, "1e+100" },
	{ 1e308, "1e+308" },
	{ 9007199254740992.0, "9.007199254740992e+15" },
	{ 9223372036854775808.0, "9.223372036854776e+18" },
	{ 18446744073709551616.0, "1.8446744073709552e+19" },
	{ 4.468743327960138e+16, "4.468743327960138e+16" },
	{ 1.7976931348623157e308, "1.7976931348623157e+308" },
	{ 0.001, "0.001" },
	{ 0.0001, "0.0001" },
	{ 0.00015, "0.00015" },
	{ 0.00001, "1e-05" },
	{ 2.5e-05, "2.5e-05" },
	{ 4.9351e-05, "4.9351e-05" },
	{ 7.424100000000001e-05, "7.424100000000001e-05" },
	{ 9.990000000000002e-05, "9.990000000000002e-05" },
	{ -3.5e-07, "-3.5e-07" },
	{ 1e-07, "1e-07" },
	{ 1.23e-18, "1.23e-18" },
	{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
	{ 5e-324, "5e-324" },
	{ -1.5e-323, "-1.5e-323" },
	/* 9 to 15 digits past the few-decimals test: the closest
	 * 15-digit decimal without its trailing zeros; subnormals search. */
	{ 0.000169442, "0.000169442" },
	{ 0.000169442 + 2e-18, "0.00016944200000000201" },
	{ 1.2345678901e-05, "1.2345678901e-05" },
	{ 0.123456789012345, "0.123456789012345" },
	{ 3.14159265358979, "3.14159265358979" },
	{ 2.2250738585072014e-308 * 3, "6.675221575521604e-308" },
	{ 1.2345e-315, "1.2345e-315" },
	{ 4.94065645841247e-320, "4.9407e-320" },
	/* Exact ties and powers of two take the careful path. */
	{ 0.5, "0.5" },
	{ 2.5, "2.5" },
	{ 12345.5, "12345.5" },
	{ 0x1p-25, "2.9802322387695312e-08" },
	{ 0x1p-24, "5.960464477539063e-08" },
	{ 0x1p70, "1.1805916207174113e+21" },
	{ 39644862132769016.0, "3.9644862132769016e+16" },
	{ 0.37037010000000004, "0.37037010000000004" },
	{ INFINITY, "+Inf" },
	{ -INFINITY, "-Inf" },
	/* Integers from 10^6 to 2^53 are their digits in exponent form. */
	{ 1000001, "1.000001e+06" },
	{ 9999999, "9.999999e+06" },
	{ 10000000, "1e+07" },
	{ 1.2e7, "1.2e+07" },
	{ 1e9, "1e+09" },
	{ 1e12, "1e+12" },
	{ 123456789012, "1.23456789012e+11" },
	{ 240977186816, "2.40977186816e+11" },
	{ 999999999999999.0, "9.99999999999999e+14" },
	{ 1e15 + 1, "1.000000000000001e+15" },
	{ 4503599627370497.0, "4.503599627370497e+15" },
	{ 9007199254740991.0, "9.007199254740991e+15" },
	{ 9007199254740994.0, "9.007199254740994e+15" },
	{ 1e16, "1e+16" },
	{ 1e17, "1e+17" },
	{ -1234567, "-1.234567e+06" },
	{ -1e6, "-1e+06" },
	/* One to eight decimals, and more. */
	{ 1.25, "1.25" },
	{ 0.123, "0.123" },
	{ 1.2345, "1.2345" },
	{ 12.34567, "12.34567" },
	{ 1.234567, "1.234567" },
	{ 0.1234567, "0.1234567" },
	{ 0.12345678, "0.12345678" },
	{ 123.456789, "123.456789" },
	{ 99999.99999999, "99999.99999999" },
	{ 15792.77, "15792.77" },
	{ -15792.77, "-15792.77" },
	{ -0.001, "-0.001" },
	{ 0.000123, "0.000123" },
	{ 1234567.5, "1.2345675e+06" },
	{ 1796029590.297658, "1.796029590297658e+09" },
	{ 0.005115952000778634, "0.005115952000778634" },
	{ 0.0004507329977059271, "0.0004507329977059271" },
	{ -0.00040788099795463495, "-0.00040788099795463495" },
};

static void
test_format(void)
{
	char out[VALUE_FMT_MAX];
	size_t i, n;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		n = value_format(fmts[i].v, out);
		is_str(out, fmts[i].want, "format %s", fmts[i].want);
		if (n != strlen(fmts[i].want))
			diag("length %zu for %s", n, fmts[i].want);
	}
	is_int((long long)value_format(NAN, out), 3, "NaN length");
	is_str(out, "NaN", "format NaN");
	value_format(-NAN, out);
	is_str(out, "NaN", "format negative NaN");
	value_format(from_bits(UINT64_C(0x7ff8000000000001)), out);
	is_str(out, "NaN", "format Go's NaN");
	is_int((long long)value_format(value_stale(), out), 5, "stale length");
	is_str(out, "stale", "format the staleness marker");
	value_format(from_bits(UINT64_C(0x7ff0000000000003)), out);
	is_str(out, "NaN", "a NaN one bit away from stale is NaN");
	value_format(-1.7976931348623157e308, out);
	is_str(out, "-1.7976931348623157e+308", "longest output fits");
	ok(strlen(out) < VALUE_FMT_MAX, "longest output below VALUE_FMT_MAX");
}

static int
parses(const char *s, double *d)
{
	return value_parse(s, strlen(s), d) == 0;
}

static const struct {
	const char *in;
	double want;
} goods[] = {
	{ "1", 1 },
	{ "0", 0 },
	{ "-1.5", -1.5 },
	{ "+1", 1 },
	{ "00012", 12 },
	{ ".5", 0.5 },
	{ "5.", 5 },
	{ "1e3", 1000 },
	{ "1E-3", 0.001 },
	{ "1e+3", 1000 },
	{ "-3.5e-07", -3.5e-07 },
	{ "1.7976931348623157e308", 1.7976931348623157e308 },
	{ "4.9e-324", 5e-324 },
	{ "1e-400", 0 },
	{ "0.30000000000000004", 0.1 + 0.2 },
	{ "Inf", INFINITY },
	{ "+Inf", INFINITY },
	{ "-Inf", -INFINITY },
	{ "inf", INFINITY },
	{ "-INF", -INFINITY },
	{ "Infinity", INFINITY },
	{ "+infinity", INFINITY },
	{ "-Infinity", -INFINITY },
};

static const char *bads[] = {
	"", " 1", "1 ", "1\t", "1x", "x", "+", "-", ".", "+.", "e5", "1e",
	"1e+", "1e-", "1.2.3", "1,5", "--1", "+-1", "0x10", "0x1p4", "0X1P-2",
	"1p4", "1_000", "1__0", "+nan", "-nan", "nanx", "na", "in", "infinit",
	"infinityx", "+infx", "Stale", "stale ", "STALE", "1e400", "-1e400",
	"1e99999999999999999999",
};

static void
test_parse(void)
{
	double d;
	size_t i;
	char longnum[200];

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		d = -12345;
		ok(parses(goods[i].in, &d) && bits(d) == bits(goods[i].want),
		    "parse '%s'", goods[i].in);
	}
	ok(parses("-0", &d) && d == 0 && signbit(d), "parse -0 keeps the sign");
	ok(parses("NaN", &d) && bits(d) == UINT64_C(0x7ff8000000000001),
	    "parse NaN gives Go's NaN bits");
	ok(parses("nan", &d) && isnan(d) && !value_is_stale(d), "parse nan");
	ok(parses("nAn", &d) && isnan(d), "parse nAn");
	ok(parses("stale", &d) && bits(d) == VALUE_STALE_BITS, "parse stale");
	ok(value_is_stale(d), "value_is_stale on the marker");
	ok(!value_is_stale(NAN), "value_is_stale on another NaN");
	ok(!value_is_stale(1), "value_is_stale on 1");
	ok(bits(value_stale()) == VALUE_STALE_BITS, "value_stale bits");
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		d = 42;
		ok(value_parse(bads[i], strlen(bads[i]), &d) == -1 && d == 42,
		    "reject '%s' and leave the output alone", bads[i]);
	}
	ok(value_parse("12", 1, &d) == 0 && d == 1, "parse honours the length");
	ok(value_parse("1\0", 2, &d) == -1, "parse rejects an embedded NUL");
	ok(value_parse("1\n", 2, &d) == -1, "parse rejects a newline");
	ok(value_parse("stalex", 5, &d) == 0 && value_is_stale(d),
	    "stale within a longer buffer");

	/* Longer than any stack copy: the heap path. */
	memset(longnum, '0', sizeof(longnum));
	longnum[1] = '.';
	longnum[sizeof(longnum) - 1] = '5';
	ok(value_parse(longnum, sizeof(longnum), &d) == 0 && d > 0 && d < 1e-190,
	    "parse a 200-byte number");
	longnum[100] = 'x';
	ok(value_parse(longnum, sizeof(longnum), &d) == -1,
	    "reject junk inside a 200-byte number");
}

/* Every double printed and read back is the same double. */
static void
test_roundtrip(void)
{
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	char out[VALUE_FMT_MAX];
	int i, bad = 0;
	double d, back;

	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d = from_bits(i % 4 == 0 ? x & UINT64_C(0xfff0000000000000) : x);
		if (isnan(d))
			continue;
		value_format(d, out);
		if (value_parse(out, strlen(out), &back) < 0 || bits(back) != bits(d)) {
			if (bad++ < 5)
				diag("round trip of %016llx: '%s'",
				    (unsigned long long)bits(d), out);
		}
	}
	is_int(bad, 0, "200000 doubles survive format and parse");
}

/* Texts value_canonical() takes, and ones it must not. */
static void
test_canonical(void)
{
	static const char *yes[] = { "0", "-0", "1", "-3", "1550.5", "0.25",
	    "0.0001", "0.0025", "100000", "999999", "123456.5",
	    "123456.123456789", "-0.5", "10.01" };
	static const char *no[] = { "", "-", "+1", "1.50", "1.0", "1.", ".5",
	    "007", "00", "1000000", "1e+06", "1e-05", "0.00001",
	    "123456.1234567891", "NaN", "+Inf", "stale", "1_0", "0x10",
	    "--1", "1.5.", "1 ", " 1" };
	char out[VALUE_FMT_MAX];
	double d;
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		ok(value_canonical(yes[i], strlen(yes[i])) &&
		    value_parse(yes[i], strlen(yes[i]), &d) == 0 &&
		    value_format(d, out) == strlen(yes[i]) &&
		    strcmp(out, yes[i]) == 0, "canonical: '%s'", yes[i]);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ok(!value_canonical(no[i], strlen(no[i])), "not canonical: '%s'",
		    no[i]);
}

/* Short decimals take a fast path both ways: it must agree with the
 * general one on every decimal with up to 9 digits and 8 decimals. */
static void
test_short(void)
{
	uint64_t x = UINT64_C(0x2545f4914f6cdd1d);
	char in[48], out[VALUE_FMT_MAX], *end;
	int i, bad = 0;
	double d;

	for (i = 0; i < 200000; i++) {
		unsigned long long m;
		int k, n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		m = (unsigned long long)(x % 1000000000);
		k = (int)((x >> 32) % 9);
		n = snprintf(in, sizeof(in), "%s%llu.%0*llue%d",
		    x >> 63 ? "-" : "", m / 100000, 5, m % 100000, -k);
		if (value_parse(in, (size_t)n, &d) < 0 ||
		    bits(d) != bits(strtod(in, &end))) {
			if (bad++ < 5)
				diag("parse '%s'", in);
			continue;
		}
		value_format(d, out);
		if (value_canonical(out, strlen(out)) &&
		    value_parse(out, strlen(out), &d) == 0 &&
		    value_format(d, in) != strlen(out)) {
			if (bad++ < 5)
				diag("format '%s'", out);
		}
	}
	is_int(bad, 0, "200000 short decimals parse as strtod does");
}

/* The significant digits of a printed number: no sign, point, exponent,
 * or leading and trailing zeros. */
static void
sig_digits(const char *s, char *dig)
{
	char *d = dig;

	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && (d > dig || *s != '0'))
			*d++ = *s;
	while (d > dig + 1 && d[-1] == '0')
		d--;
	*d = '\0';
}

/*
 * The digits are the shortest that read back, and the closest of those
 * (Go's choice): printf's correctly rounded %.*e with the fewest digits
 * that strtod reads back as the value.  Over the values the fast paths
 * take: few decimals, durations of microseconds, and any double.
 */
static void
test_shortest(void)
{
	uint64_t x = UINT64_C(0x853c49e6748fea9b);
	char out[VALUE_FMT_MAX], ref[48], a[48], b[48];
	const char *e;
	int i, p, bad = 0;
	double d;

	for (i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (i % 4) {
		case 0:
			d = (double)(x % 100000000000) /
			    pow(10, (double)((x >> 40) % 13));
			break;
		case 1:
			d = 1e-7 + (double)(x >> 11) / 9007199254740992.0 * 1e-3;
			break;
		case 2:
			d = (double)(x >> 11) / 9007199254740992.0 * 2e9;
			break;
		default:
			d = from_bits(x);
			if (isnan(d) || isinf(d))
				continue;
		}
		value_format(d, out);
		for (p = 1; p <= 17; p++) {
			snprintf(ref, sizeof(ref), "%.*e", p - 1, d);
			if (strtod(ref, NULL) == d)
				break;
		}
		sig_digits(out, a);
		sig_digits(ref, b);
		/* and no zero ends a fraction */
		e = strchr(out, 'e');
		e = e ? e : out + strlen(out);
		if (strcmp(a, b) != 0 || strtod(out, NULL) != d ||
		    (strchr(out, '.') && e[-1] == '0')) {
			if (bad++ < 5)
				diag("%016llx: '%s', shortest '%s'",
				    (unsigned long long)bits(d), out, ref);
		}
	}
	is_int(bad, 0, "100000 doubles print their shortest closest digits");
}

int
main(void)
{
	test_format();
	test_parse();
	test_roundtrip();
	test_canonical();
	test_short();
	test_shortest();
	return done_testing();
}
