/* parse.c: bounded parsers for integers, durations and sizes. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"
#include "banned.h"

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Digits only, at least one; ERANGE past UINT64_MAX. */
static int
digits_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned d;

		if (!is_digit((unsigned char)s[i])) {
			errno = EINVAL;
			return -1;
		}
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			/* Keep reading: junk later is EINVAL, not ERANGE. */
			for (; i < len; i++)
				if (!is_digit((unsigned char)s[i])) {
					errno = EINVAL;
					return -1;
				}
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
parse_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (digits_u64(s, len, &v) < 0)
		return -1;
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* An optional '-' then digits: negative numbers need their sign. */
int
parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	int neg = len > 0 && s[0] == '-';
	uint64_t u;
	int64_t v;

	if (digits_u64(s + neg, len - (size_t)neg, &u) < 0)
		return -1;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1) {
			errno = ERANGE;
			return -1;
		}
		v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	} else {
		if (u > (uint64_t)INT64_MAX) {
			errno = ERANGE;
			return -1;
		}
		v = (int64_t)u;
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_int_arg(const char *s, long min, long max, long *out)
{
	int64_t v;

	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (parse_i64(s, strlen(s), min, max, &v) < 0)
		return -1;
	*out = (long)v;
	return 0;
}

/* Units in the only order Prometheus accepts them, largest first. */
static const struct {
	const char *name;
	int64_t ms;
} dur_units[] = {
	{ "y", INT64_C(365) * 24 * 3600 * 1000 },
	{ "w", INT64_C(7) * 24 * 3600 * 1000 },
	{ "d", INT64_C(24) * 3600 * 1000 },
	{ "h", INT64_C(3600) * 1000 },
	{ "m", INT64_C(60) * 1000 },
	{ "s", INT64_C(1000) },
	{ "ms", INT64_C(1) },
};
#define N_DUR_UNITS (sizeof(dur_units) / sizeof(dur_units[0]))

/* Prometheus keeps durations as Go time.Duration (int64 nanoseconds). */
#define DUR_MAX_MS (INT64_MAX / 1000000)

int
parse_duration(const char *s, size_t len, int64_t *ms)
{
	size_t i = 0, next = 0;
	int64_t total = 0;
	int range = 0;

	if (len == 1 && s[0] == '0') {
		*ms = 0;
		return 0;
	}
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	while (i < len) {
		size_t start = i, u, ulen;
		uint64_t n;

		while (i < len && is_digit((unsigned char)s[i]))
			i++;
		if (i == start || i == len) {
			errno = EINVAL;
			return -1;
		}
		/* "ms" before "m": "5ms" is milliseconds, "5m3s" minutes. */
		if (s[i] == 'm' && i + 1 < len && s[i + 1] == 's')
			ulen = 2;
		else
			ulen = 1;
		for (u = next; u < N_DUR_UNITS; u++)
			if (strlen(dur_units[u].name) == ulen &&
			    memcmp(dur_units[u].name, s + i, ulen) == 0)
				break;
		if (u == N_DUR_UNITS) {
			errno = EINVAL;
			return -1;
		}
		if (digits_u64(s + start, i - start, &n) < 0 ||
		    n > (uint64_t)(DUR_MAX_MS / dur_units[u].ms)) {
			range = 1;
		} else {
			total += (int64_t)n * dur_units[u].ms;
			if (total > DUR_MAX_MS)
				range = 1;
		}
		next = u + 1;
		i += ulen;
	}
	/* The whole string is checked first: bad syntax is EINVAL, not ERANGE. */
	if (range) {
		errno = ERANGE;
		return -1;
	}
	*ms = total;
	return 0;
}

static const struct {
	const char *name;
	uint64_t mult;
} size_units[] = {
	{ "", 1 },
	{ "B", 1 },
	{ "KB", UINT64_C(1000) },
	{ "MB", UINT64_C(1000) * 1000 },
	{ "GB", UINT64_C(1000) * 1000 * 1000 },
	{ "TB", UINT64_C(1000) * 1000 * 1000 * 1000 },
	{ "KiB", UINT64_C(1) << 10 },
	{ "MiB", UINT64_C(1) << 20 },
	{ "GiB", UINT64_C(1) << 30 },
	{ "TiB", UINT64_C(1) << 40 },
};

int
parse_size(const char *s, size_t len, uint64_t *bytes)
{
	size_t i = 0, u;
	uint64_t n;

	while (i < len && is_digit((unsigned char)s[i]))
		i++;
	if (i == 0) {
		errno = EINVAL;
		return -1;
	}
	for (u = 0; u < sizeof(size_units) / sizeof(size_units[0]); u++)
		if (strlen(size_units[u].name) == len - i &&
		    memcmp(size_units[u].name, s + i, len - i) == 0)
			break;
	if (u == sizeof(size_units) / sizeof(size_units[0])) {
		errno = EINVAL;
		return -1;
	}
	if (digits_u64(s, i, &n) < 0)
		return -1;
	if (n > UINT64_MAX / size_units[u].mult) {
		errno = ERANGE;
		return -1;
	}
	*bytes = n * size_units[u].mult;
	return 0;
}
