/* t_parse.c: unit tests for the bounded number, duration and size parsers. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"
#include "tap.h"
#include "banned.h"

static int
dur(const char *s, int64_t *ms)
{
	errno = 0;
	return parse_duration(s, strlen(s), ms);
}

static const struct {
	const char *in;
	int64_t ms;
} durs[] = {
	{ "0", 0 },
	{ "0s", 0 },
	{ "1ms", 1 },
	{ "500ms", 500 },
	{ "15s", 15000 },
	{ "1m", 60000 },
	{ "1h30m", 5400000 },
	{ "1m5s", 65000 },
	{ "1m5ms", 60005 },
	{ "2d", INT64_C(172800000) },
	{ "1w", INT64_C(604800000) },
	{ "1y", INT64_C(31536000000) },
	{ "1y2w3d4h5m6s7ms", INT64_C(31536000000) + 2 * INT64_C(604800000) +
	    3 * INT64_C(86400000) + 4 * 3600000 + 5 * 60000 + 6000 + 7 },
	{ "90s", 90000 },
	{ "0h0m", 0 },
	{ "292y", INT64_C(292) * 31536000000 },
	{ "9223372036854ms", INT64_C(9223372036854) },
};

static const char *bad_durs[] = {
	"", "s", "1", "01", "00", "1.5h", "-1s", "+1s", "1s1m", "1m1m",
	"1ms1s", "1h 30m", " 1s", "1s ", "1S", "1H", "1x", "1sec", "1mss",
	"5mm", "1d1d", "ms", "1m s",
};

static void
test_duration(void)
{
	int64_t ms;
	size_t i;

	for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		ms = -1;
		ok(dur(durs[i].in, &ms) == 0 && ms == durs[i].ms,
		    "duration '%s'", durs[i].in);
	}
	for (i = 0; i < sizeof(bad_durs) / sizeof(bad_durs[0]); i++) {
		ms = -7;
		ok(dur(bad_durs[i], &ms) == -1 && errno == EINVAL && ms == -7,
		    "duration '%s' is EINVAL", bad_durs[i]);
	}
	/* Go's time.Duration holds ~292 years of nanoseconds. */
	ok(dur("293y", &ms) == -1 && errno == ERANGE, "293y is ERANGE");
	ok(dur("9223372036855ms", &ms) == -1 && errno == ERANGE,
	    "one ms past time.Duration is ERANGE");
	ok(dur("292y200d", &ms) == -1 && errno == ERANGE, "a sum past the range is ERANGE");
	ok(dur("99999999999999999999999s", &ms) == -1 && errno == ERANGE,
	    "a number past uint64 is ERANGE");
	ok(dur("99999999999999999999999s1x", &ms) == -1 && errno == EINVAL,
	    "bad syntax wins over range");
	ok(parse_duration("15s", 2, &ms) == -1, "duration honours the length");
	ok(parse_duration("1m", 2, &ms) == 0 && ms == 60000, "duration of exact length");
}

static void
test_ints(void)
{
	int64_t i;
	uint64_t u;
	long l;

	ok(parse_i64("42", 2, 0, 100, &i) == 0 && i == 42, "i64 42");
	ok(parse_i64("-42", 3, -100, 100, &i) == 0 && i == -42, "i64 -42");
	ok(parse_i64("0", 1, 0, 0, &i) == 0 && i == 0, "i64 0 in [0,0]");
	ok(parse_i64("9223372036854775807", 19, INT64_MIN, INT64_MAX, &i) == 0 &&
	    i == INT64_MAX, "i64 max");
	ok(parse_i64("-9223372036854775808", 20, INT64_MIN, INT64_MAX, &i) == 0 &&
	    i == INT64_MIN, "i64 min");
	i = 5;
	errno = 0;
	ok(parse_i64("9223372036854775808", 19, INT64_MIN, INT64_MAX, &i) == -1 &&
	    errno == ERANGE && i == 5, "i64 max+1 is ERANGE");
	errno = 0;
	ok(parse_i64("-9223372036854775809", 20, INT64_MIN, INT64_MAX, &i) == -1 &&
	    errno == ERANGE, "i64 min-1 is ERANGE");
	errno = 0;
	ok(parse_i64("101", 3, 0, 100, &i) == -1 && errno == ERANGE, "i64 above max");
	errno = 0;
	ok(parse_i64("-1", 2, 0, 100, &i) == -1 && errno == ERANGE, "i64 below min");
	errno = 0;
	ok(parse_i64("", 0, 0, 100, &i) == -1 && errno == EINVAL, "i64 empty");
	errno = 0;
	ok(parse_i64("-", 1, -5, 100, &i) == -1 && errno == EINVAL, "i64 sign alone");
	errno = 0;
	ok(parse_i64("+1", 2, 0, 100, &i) == -1 && errno == EINVAL, "i64 plus sign");
	errno = 0;
	ok(parse_i64(" 1", 2, 0, 100, &i) == -1 && errno == EINVAL, "i64 leading space");
	errno = 0;
	ok(parse_i64("1 ", 2, 0, 100, &i) == -1 && errno == EINVAL, "i64 trailing space");
	errno = 0;
	ok(parse_i64("1x", 2, 0, 100, &i) == -1 && errno == EINVAL, "i64 trailing junk");
	errno = 0;
	ok(parse_i64("0x1", 3, 0, 100, &i) == -1 && errno == EINVAL, "i64 no hex");
	errno = 0;
	ok(parse_i64("--1", 3, -5, 100, &i) == -1 && errno == EINVAL, "i64 double sign");
	ok(parse_i64("123", 2, 0, 100, &i) == 0 && i == 12, "i64 honours the length");

	ok(parse_u64("18446744073709551615", 20, 0, UINT64_MAX, &u) == 0 &&
	    u == UINT64_MAX, "u64 max");
	errno = 0;
	ok(parse_u64("18446744073709551616", 20, 0, UINT64_MAX, &u) == -1 &&
	    errno == ERANGE, "u64 max+1 is ERANGE");
	errno = 0;
	ok(parse_u64("99999999999999999999x", 21, 0, UINT64_MAX, &u) == -1 &&
	    errno == EINVAL, "u64 junk after an overflow is EINVAL");
	errno = 0;
	ok(parse_u64("-1", 2, 0, UINT64_MAX, &u) == -1 && errno == EINVAL, "u64 no sign");
	errno = 0;
	ok(parse_u64("4", 1, 5, 10, &u) == -1 && errno == ERANGE, "u64 below min");
	ok(parse_u64("007", 3, 0, 10, &u) == 0 && u == 7, "u64 leading zeros");

	ok(parse_int_arg("8080", 1, 65535, &l) == 0 && l == 8080, "int_arg 8080");
	errno = 0;
	ok(parse_int_arg("0", 1, 65535, &l) == -1 && errno == ERANGE, "int_arg below min");
	errno = 0;
	ok(parse_int_arg("80a", 1, 65535, &l) == -1 && errno == EINVAL, "int_arg junk");
	errno = 0;
	ok(parse_int_arg("", 1, 65535, &l) == -1 && errno == EINVAL, "int_arg empty");
	errno = 0;
	ok(parse_int_arg(NULL, 1, 65535, &l) == -1 && errno == EINVAL, "int_arg NULL");
	ok(parse_int_arg("-3", -5, 5, &l) == 0 && l == -3, "int_arg negative");
}

static void
test_size(void)
{
	uint64_t b;

#define SIZE_OK(s, want) \
	ok(parse_size(s, strlen(s), &b) == 0 && b == (want), "size '%s'", s)
#define SIZE_BAD(s, e) \
	do { errno = 0; b = 3; \
	ok(parse_size(s, strlen(s), &b) == -1 && errno == (e) && b == 3, \
	    "size '%s' rejected", s); } while (0)
	SIZE_OK("0", 0);
	SIZE_OK("123", 123);
	SIZE_OK("123B", 123);
	SIZE_OK("1KB", 1000);
	SIZE_OK("2MB", 2000000);
	SIZE_OK("3GB", UINT64_C(3000000000));
	SIZE_OK("4TB", UINT64_C(4000000000000));
	SIZE_OK("1KiB", 1024);
	SIZE_OK("64MiB", UINT64_C(64) << 20);
	SIZE_OK("1GiB", UINT64_C(1) << 30);
	SIZE_OK("2TiB", UINT64_C(2) << 40);
	SIZE_OK("16777215TiB", UINT64_C(16777215) << 40);
	SIZE_BAD("", EINVAL);
	SIZE_BAD("KB", EINVAL);
	SIZE_BAD("1kb", EINVAL);
	SIZE_BAD("1 KB", EINVAL);
	SIZE_BAD("1K", EINVAL);
	SIZE_BAD("1KBx", EINVAL);
	SIZE_BAD("1.5MB", EINVAL);
	SIZE_BAD("-1", EINVAL);
	SIZE_BAD("16777216TiB", ERANGE);
	SIZE_BAD("99999999999999999999", ERANGE);
}

int
main(void)
{
	test_duration();
	test_ints();
	test_size();
	return done_testing();
}
