/* value.c: sample values, parsed and printed as Prometheus does. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"
#include "banned.h"

/* Go's math.NaN(): what Prometheus stores for a parsed "NaN". */
#define VALUE_NAN_BITS UINT64_C(0x7ff8000000000001)

static double
from_bits(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static uint64_t
to_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

double
value_stale(void)
{
	return from_bits(VALUE_STALE_BITS);
}

int
value_is_stale(double v)
{
	return to_bits(v) == VALUE_STALE_BITS;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
}

static int
eq_nocase(const char *s, size_t len, const char *word)
{
	size_t i;

	if (len != strlen(word))
		return 0;
	for (i = 0; i < len; i++)
		if (lower((unsigned char)s[i]) != word[i])
			return 0;
	return 1;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Go's decimal float syntax: [+-] digits [. digits] [e [+-] digits], with
 * at least one mantissa digit.  Prometheus refuses 'p', 'P' and '_' before
 * calling ParseFloat, so hexadecimal floats and digit separators are out.
 */
static int
decimal_ok(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && is_digit((unsigned char)s[i]))
		i++, digits++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && is_digit((unsigned char)s[i]))
			i++, digits++;
	}
	if (digits == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t ed = 0;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < len && is_digit((unsigned char)s[i]))
			i++, ed++;
		if (ed == 0)
			return 0;
	}
	return i == len;
}

/* Powers of ten that are exact doubles. */
static const double exact10[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * Most values are short decimals: with at most 19 digits whose integer m
 * is below 2^53 and a decimal exponent e within +-22, m and 10^|e| are
 * exact doubles and one multiplication or division rounds correctly, so
 * the result is strtod's (and Go's, which takes the same shortcut).
 * Returns -1 for anything else, which then takes the general path.
 */
static int
parse_short(const char *s, size_t len, double *out)
{
	size_t i = 0, nd = 0, frac = 0;
	uint64_t m = 0;
	int neg = 0, e = 0, eneg = 0;
	double d;

	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i++;
	}
	for (; i < len && is_digit((unsigned char)s[i]); i++, nd++)
		m = m * 10 + (uint64_t)(s[i] - '0');
	if (i < len && s[i] == '.')
		for (i++; i < len && is_digit((unsigned char)s[i]); i++, nd++, frac++)
			m = m * 10 + (uint64_t)(s[i] - '0');
	if (nd == 0 || nd > 19 || (m >> 53) != 0)
		return -1;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t ed = 0;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < len && is_digit((unsigned char)s[i]) && ed < 3; i++, ed++)
			e = e * 10 + (s[i] - '0');
		if (ed == 0)
			return -1;
		if (eneg)
			e = -e;
	}
	if (i != len)
		return -1;
	e -= (int)frac;
	if (e < -22 || e > 22)
		return -1;
	d = (double)m;
	if (e > 0)
		d *= exact10[e];
	else if (e < 0)
		d /= exact10[-e];
	*out = neg ? -d : d;
	return 0;
}

int
value_parse(const char *s, size_t len, double *out)
{
	char small[64], *tmp = small, *end;
	const char *w = s;
	size_t wl = len;
	int neg = 0;
	double d;

	if (len == 0)
		return -1;
	if (parse_short(s, len, out) == 0)
		return 0;
	if (len == 5 && memcmp(s, "stale", 5) == 0) {
		*out = value_stale();
		return 0;
	}
	/* Go: "NaN" unsigned only; "Inf" and "Infinity" with an optional sign. */
	if (eq_nocase(s, len, "nan")) {
		*out = from_bits(VALUE_NAN_BITS);
		return 0;
	}
	if (w[0] == '+' || w[0] == '-') {
		neg = w[0] == '-';
		w++;
		wl--;
	}
	if (eq_nocase(w, wl, "inf") || eq_nocase(w, wl, "infinity")) {
		*out = neg ? -INFINITY : INFINITY;
		return 0;
	}
	if (!decimal_ok(s, len))
		return -1;
	if (len >= sizeof(small)) {
		tmp = malloc(len + 1);
		if (tmp == NULL)
			return -1;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	d = strtod(tmp, &end);
	/* Go reports overflow as an error and underflow to zero as a value. */
	if (end != tmp + len || (errno == ERANGE && isinf(d))) {
		if (tmp != small)
			free(tmp);
		return -1;
	}
	if (tmp != small)
		free(tmp);
	*out = d;
	return 0;
}

/*
 * Decimal digits of x > 0 rounded to prec significant digits (no trailing
 * zeros kept beyond what printf gives), and the exponent of the first one.
 */
static int
digits_at(double x, int prec, char *dig, int *exp10)
{
	char tmp[48];
	int n, i, nd = 0;
	char *e;

	n = snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	for (i = 0; tmp[i] && tmp[i] != 'e'; i++)
		if (is_digit((unsigned char)tmp[i]))
			dig[nd++] = tmp[i];
	dig[nd] = '\0';
	e = tmp + i;
	*exp10 = (int)strtol(e + 1, NULL, 10);
	return nd;
}

/* Reads back dig (nd digits, first at 10^exp10) as a double. */
static double
digits_value(const char *dig, int nd, int exp10)
{
	char tmp[48];

	snprintf(tmp, sizeof(tmp), "0.%.*se%d", nd, dig, exp10 + 1);
	return strtod(tmp, NULL);
}

/* Adds delta (+1 or -1) to the last of nd digits, keeping nd digits. */
static int
digits_step(char *dig, int nd, int *exp10, int delta)
{
	int i;

	if (delta > 0) {
		for (i = nd - 1; i >= 0 && dig[i] == '9'; i--)
			dig[i] = '0';
		if (i < 0) {
			dig[0] = '1';
			(*exp10)++;
			return nd;
		}
		dig[i]++;
		return nd;
	}
	for (i = nd - 1; i >= 0 && dig[i] == '0'; i--)
		dig[i] = '9';
	if (i < 0)
		return -1;
	dig[i]--;
	if (dig[0] == '0') {
		if (nd == 1)
			return -1;
		memmove(dig, dig + 1, (size_t)nd - 1);
		nd--;
		dig[nd] = '\0';
		(*exp10)--;
	}
	return nd;
}

/*
 * The shortest digits that read back as x, and among those the closest to
 * x (what Go's strconv produces with precision -1), the slow exact way:
 * printf rounds correctly and strtod decides.  The closest P-digit decimal
 * reads back for every P from some P0 on, so a binary search finds P0;
 * only below a power of two, where the gap to the next smaller double is
 * half as wide, can the neighbour across x read back first.
 */
static int
shortest_slow(double x, char *dig, int *exp10)
{
	uint64_t u = to_bits(x);
	char best[24];
	int lo = 1, hi = 17, nd = 0, e = 0, p;

	if ((u & ((UINT64_C(1) << 52) - 1)) == 0 && (u >> 52) > 1) {
		for (p = 1; p <= 17; p++) {
			double c;

			nd = digits_at(x, p, best, &e);
			if (nd <= 0)
				continue;
			c = digits_value(best, nd, e);
			if (c == x)
				break;
			nd = digits_step(best, nd, &e, c < x ? 1 : -1);
			if (nd > 0 && digits_value(best, nd, e) == x)
				break;
		}
	} else {
		while (lo < hi) {
			int mid = lo + (hi - lo) / 2;

			nd = digits_at(x, mid, best, &e);
			if (nd > 0 && digits_value(best, nd, e) == x)
				hi = mid;
			else
				lo = mid + 1;
		}
		nd = digits_at(x, lo, best, &e);
	}
	if (nd <= 0)
		nd = digits_at(x, 17, best, &e);
	while (nd > 1 && best[nd - 1] == '0')
		nd--;
	memcpy(dig, best, (size_t)nd);
	dig[nd] = '\0';
	*exp10 = e;
	return nd;
}

/*
 * Shortest digits, fast: x = m * 2^e is scaled by a 128-bit approximation
 * of 10^k so that N = floor(x * 10^k) has 19 digits, with 64 more bits of
 * fraction.  From N the closest P-digit decimal for any P <= 17 is one
 * division, and whether it reads back as x is one multiplication: a
 * decimal d reads back as x when |d - x| < ulp/2 = x / 2m, that is when
 * m * |d - x| < x / 2 (x / 4 below a power of two, where the gap to the
 * next smaller double is half as wide).  The table is good to about 2^-118,
 * so only decisions within a wide margin of a tie or of an interval edge
 * are in doubt; those return -1 and take the exact slow path.
 */
typedef unsigned __int128 u128;

#define POW10_KMIN (-300)
#define POW10_KMAX 350

static struct pow10 {
	uint64_t hi, lo;	/* 10^k ~ (hi:lo) * 2^s, top bit of hi set */
	int s;
} pow10_tab[POW10_KMAX - POW10_KMIN + 1];
static pthread_once_t pow10_once = PTHREAD_ONCE_INIT;

static const uint64_t pow10_u64[20] = {
	UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000),
	UINT64_C(10000), UINT64_C(100000), UINT64_C(1000000),
	UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000),
	UINT64_C(10000000000), UINT64_C(100000000000),
	UINT64_C(1000000000000), UINT64_C(10000000000000),
	UINT64_C(100000000000000), UINT64_C(1000000000000000),
	UINT64_C(10000000000000000), UINT64_C(100000000000000000),
	UINT64_C(1000000000000000000), UINT64_C(10000000000000000000),
};

/* Each step multiplies or divides by 10 and truncates to 128 bits: an
 * error of at most 2^-127 per step, 350 steps at most. */
static void
pow10_build(void)
{
	struct pow10 *t = pow10_tab - POW10_KMIN;
	int k;

	t[0].hi = UINT64_C(1) << 63;
	t[0].lo = 0;
	t[0].s = -127;
	for (k = 1; k <= POW10_KMAX; k++) {
		u128 a = (u128)t[k - 1].lo * 10;
		u128 b = (u128)t[k - 1].hi * 10 + (uint64_t)(a >> 64);
		uint64_t l0 = (uint64_t)a, h0 = (uint64_t)b, h1 = (uint64_t)(b >> 64);
		int sh = 64 - __builtin_clzll(h1);

		t[k].hi = (h1 << (64 - sh)) | (h0 >> sh);
		t[k].lo = (h0 << (64 - sh)) | (l0 >> sh);
		t[k].s = t[k - 1].s + sh;
	}
	for (k = -1; k >= POW10_KMIN; k--) {
		uint64_t q2, q1, q0;
		u128 cur;
		int z;

		cur = t[k + 1].hi;
		q2 = (uint64_t)(cur / 10);
		cur = ((cur % 10) << 64) | t[k + 1].lo;
		q1 = (uint64_t)(cur / 10);
		cur = (cur % 10) << 64;
		q0 = (uint64_t)(cur / 10);
		z = __builtin_clzll(q2);
		t[k].hi = (q2 << z) | (z ? q1 >> (64 - z) : 0);
		t[k].lo = (q1 << z) | (z ? q0 >> (64 - z) : 0);
		t[k].s = t[k + 1].s - z;
	}
}

#define TIE_MARGIN ((u128)1 << 20)
#define EDGE_MARGIN ((u128)1 << 72)

/* Bits [r, r + 128) of the 192-bit l2:l1:l0; *over if bits above are set. */
static u128
shr192(uint64_t l2, uint64_t l1, uint64_t l0, int r, int *over)
{
	u128 hi = ((u128)l2 << 64) | l1;

	if (r == 0) {
		*over = l2 != 0;
		return ((u128)l1 << 64) | l0;
	}
	if (r < 64) {
		*over = (l2 >> r) != 0;
		return (hi << (64 - r)) | (l0 >> r);
	}
	*over = 0;
	return hi >> (r - 64);
}

struct scaled {
	u128 X;		/* x * 10^k in 64.64 fixed point */
	uint64_t N;	/* its integer part, 19 digits */
	uint64_t m;
	int E;		/* decimal exponent of the first digit of x */
	int asym;	/* x is a power of two: the gap below is half */
};

/* 1 if d (an integer in units of N) reads back as x, 0 if not, -1 if in doubt. */
static int
reads_back(const struct scaled *sc, uint64_t d)
{
	u128 C = (u128)d << 64, diff, bound, prod, gap, lo, hi;
	int below = C < sc->X;

	diff = below ? sc->X - C : C - sc->X;
	bound = below && sc->asym ? sc->X >> 2 : sc->X >> 1;
	/* diff * m in two 64-bit halves: past 128 bits it is far out (a
	 * 128-bit division would tell the same, slower). */
	lo = (u128)(uint64_t)diff * sc->m;
	hi = (u128)(uint64_t)(diff >> 64) * sc->m + (uint64_t)(lo >> 64);
	if (hi >> 64)
		return 0;
	prod = (hi << 64) | (uint64_t)lo;
	gap = prod > bound ? prod - bound : bound - prod;
	if (gap < EDGE_MARGIN)
		return -1;
	return prod < bound;
}

#define NONE_READS_BACK UINT64_MAX

/*
 * The closest P-digit decimal, in units of N; 0 if x is too near the
 * middle of two to tell which is closer, unless neither reads back as x,
 * which is NONE_READS_BACK (x = 12345.5 has five-digit ties that do not
 * matter).
 */
static uint64_t
closest(const struct scaled *sc, int p)
{
	uint64_t div = pow10_u64[19 - p], q = sc->N / div, rem = sc->N % div;
	u128 R = ((u128)rem << 64) | (uint64_t)sc->X;
	u128 H = (u128)(div / 2) << 64;
	u128 gap = R > H ? R - H : H - R;

	if (gap < TIE_MARGIN) {
		if ((q == 0 || reads_back(sc, q * div) == 0) &&
		    reads_back(sc, (q + 1) * div) == 0)
			return NONE_READS_BACK;
		return 0;
	}
	return (q + (R > H)) * div;
}

static int
scale(double x, struct scaled *sc)
{
	uint64_t u = to_bits(x), frac = u & ((UINT64_C(1) << 52) - 1);
	int bexp = (int)(u >> 52) & 0x7ff, e, bits, tries;

	if (bexp == 0) {
		sc->m = frac;
		e = -1074;
	} else {
		sc->m = frac | (UINT64_C(1) << 52);
		e = bexp - 1075;
	}
	sc->asym = frac == 0 && bexp > 1;
	bits = 64 - __builtin_clzll(sc->m) + e - 1;	/* x in [2^bits, 2^(bits+1)) */
	/* floor(bits * log10(2)), never above the true exponent */
	sc->E = (int)(((int64_t)bits * 78913) >> 18);
	for (tries = 0; tries < 4; tries++) {
		int k = 18 - sc->E, r, over;
		const struct pow10 *t;
		u128 a, b, mid;
		uint64_t l0, l1, l2;

		if (k < POW10_KMIN || k > POW10_KMAX)
			return -1;
		t = &pow10_tab[k - POW10_KMIN];
		a = (u128)sc->m * t->lo;
		b = (u128)sc->m * t->hi;
		l0 = (uint64_t)a;
		mid = (u128)(uint64_t)(a >> 64) + (uint64_t)b;
		l1 = (uint64_t)mid;
		l2 = (uint64_t)(b >> 64) + (uint64_t)(mid >> 64);
		r = -(e + t->s + 64);
		if (r < 0 || r >= 128)
			return -1;
		sc->X = shr192(l2, l1, l0, r, &over);
		sc->N = (uint64_t)(sc->X >> 64);
		if (over || sc->N >= pow10_u64[19]) {
			sc->E++;
			continue;
		}
		if (sc->N < pow10_u64[18]) {
			sc->E--;
			continue;
		}
		return 0;
	}
	return -1;
}

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

/* The decimal digits of q at the end of tmp[24]; returns where they start. */
static char *
utoa_end(uint64_t q, char *end)
{
	char *p = end;
	uint32_t s;
	int i;

	/* Eight digits at a time, the rest in 32 bits: cheaper than 64-bit
	 * division at every step. */
	while (q >= 100000000) {
		uint32_t lo = (uint32_t)(q % 100000000);

		q /= 100000000;
		for (i = 0; i < 4; i++) {
			p -= 2;
			memcpy(p, digit_pairs + 2 * (lo % 100), 2);
			lo /= 100;
		}
	}
	s = (uint32_t)q;
	while (s >= 100) {
		unsigned r = s % 100;

		s /= 100;
		p -= 2;
		memcpy(p, digit_pairs + 2 * r, 2);
	}
	if (s >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * s, 2);
	} else {
		*--p = (char)('0' + s);
	}
	return p;
}

/*
 * Writes q's digits without trailing zeros to dig (NUL-terminated);
 * returns their count, and in *total the count with those zeros.
 */
static int
put_digits(uint64_t q, char *dig, int *total)
{
	char tmp[24], *end = tmp + sizeof(tmp), *p = utoa_end(q, end);
	int n = (int)(end - p);

	*total = n;
	while (n > 1 && p[n - 1] == '0')
		n--;
	memcpy(dig, p, (size_t)n);
	dig[n] = '\0';
	return n;
}

/* Tries candidate d for p digits: 1 accepted (stored), 0 no, -1 in doubt. */
static int
take(const struct scaled *sc, uint64_t d, int p, char *dig, int *exp10, int *nd)
{
	int r, total;

	if (d == 0)
		return 0;
	r = reads_back(sc, d);
	if (r <= 0)
		return r;
	*nd = put_digits(d / pow10_u64[19 - p], dig, &total);
	*exp10 = sc->E - p + total;
	return 1;
}

/* Does the closest p-digit decimal read back as x?  -1 if in doubt. */
static int
reads_at(const struct scaled *sc, int p)
{
	uint64_t d = closest(sc, p);

	if (d == 0)
		return -1;
	return d == NONE_READS_BACK ? 0 : reads_back(sc, d);
}

static int
shortest_fast(double x, char *dig, int *exp10)
{
	struct scaled sc;
	uint64_t d;
	int lo = 1, hi = 17, p, r, nd = 0;

	if (pthread_once(&pow10_once, pow10_build) != 0 || scale(x, &sc) < 0)
		return -1;
	if (sc.asym) {
		/* Closeness and reading back part ways here: try each length
		 * with the closest decimal and its neighbour across x. */
		for (p = 1; p <= 17; p++) {
			uint64_t div = pow10_u64[19 - p];

			if ((d = closest(&sc, p)) == 0)
				return -1;
			if (d == NONE_READS_BACK)
				continue;
			if ((r = take(&sc, d, p, dig, exp10, &nd)) != 0)
				return r < 0 ? -1 : nd;
			d = ((u128)d << 64) < sc.X ? d + div : d - div;
			if ((r = take(&sc, d, p, dig, exp10, &nd)) != 0)
				return r < 0 ? -1 : nd;
		}
		return -1;
	}
	/*
	 * Elsewhere the closest P-digit decimal reads back for all P >= P0.
	 * Most values that get here (few-decimal ones do not) need 16 or
	 * 17 digits: 16 and 15 are tried first, then the search goes on
	 * below.
	 */
	if ((r = reads_at(&sc, 16)) < 0)
		return -1;
	if (!r)
		lo = 17;
	else if ((r = reads_at(&sc, 15)) < 0)
		return -1;
	else if (!r)
		lo = hi = 16;
	else if (x >= DBL_MIN)
		/*
		 * The closest 15-digit decimal D reads back: without its
		 * trailing zeros (take() drops them) it is the shortest.
		 * A shorter one that read back would be another decimal in
		 * x's rounding interval, at least 10^-15 of x from D, and
		 * a normal double's interval is narrower (2^-52 of x).  D
		 * is the closest of the shorter length too.  A subnormal
		 * has a wider interval: it takes the search.
		 */
		lo = hi = 15;
	else
		hi = 15;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if ((r = reads_at(&sc, mid)) < 0)
			return -1;
		if (r)
			hi = mid;
		else
			lo = mid + 1;
	}
	if ((d = closest(&sc, lo)) == 0 || d == NONE_READS_BACK)
		return -1;
	r = take(&sc, d, lo, dig, exp10, &nd);
	return r == 1 ? nd : -1;
}

/*
 * Values with few decimals, fast.  If some decimal with k digits after
 * the point reads back as x, it is q = round(x * 10^k): below 2^44 the
 * product is off by far less than the distance to the next integer.
 * Reading q * 10^-k back is one correctly rounded division of exact
 * doubles.  The smallest k that works gives the shortest digits, and q
 * is the closest of them, as Go picks.  k = 0 is the integer case of
 * shortest_digits(); past k = FEW_MAX this returns -1.  9 decimals take
 * whole nanoseconds in seconds (durations), the most common values
 * written that change every time.
 */
#define FEW_MAX 9
#define FEW_LIM 17592186044416.0	/* 2^44 */

static int
few_decimals(double x, uint64_t *qp)
{
	int k;

	/*
	 * The most decimals K (9, else 8) whose product is below 2^44
	 * answer for all fewer: a q with k decimals that reads back as x
	 * is one with K too, q * 10^(K-k), and x's rounding interval
	 * (narrower than 2^-52 of x, so than 10^-K) holds no other
	 * K-decimal.  When round(x * 10^K) does not read back, no shorter
	 * decimal does (most values that get here need more digits: told
	 * in one step); when it does, it is that q * 10^(K-k) for the
	 * smallest k: its trailing zeros say k.
	 */
	for (k = FEW_MAX; k >= 8; k--) {
		double t = x * exact10[k];
		uint64_t q;

		if (t >= FEW_LIM)
			continue;
		q = (uint64_t)(t + 0.5);
		if (q == 0 || (double)q / exact10[k] != x)
			return -1;
		while (k > 1 && q % 10 == 0) {
			q /= 10;
			k--;
		}
		*qp = q;
		return k;
	}
	/* Above 2^44 / 10^8 (~175922): fewer decimals, one by one. */
	for (k = 1; k <= FEW_MAX; k++) {
		double t = x * exact10[k];
		uint64_t q;

		if (t >= FEW_LIM)
			return -1;
		q = (uint64_t)(t + 0.5);
		if (q != 0 && (double)q / exact10[k] == x) {
			*qp = q;
			return k;
		}
	}
	return -1;
}

static int
shortest_few(double x, char *dig, int *exp10)
{
	uint64_t q;
	int k = few_decimals(x, &q), nd, total;

	if (k < 0)
		return -1;
	nd = put_digits(q, dig, &total);
	*exp10 = total - 1 - k;
	return nd;
}

/*
 * The common case, x > 0 below 10^6 with at most FEW_MAX decimals: Go writes
 * it without an exponent, as the digits of q = x * 10^k with a point k
 * digits from the right (no trailing zeros: see few_decimals()).
 * Returns the length written to out, or 0 to take the general path (with
 * *few_failed set when few_decimals() said no, not to ask it twice).
 */
static size_t
format_plain(double x, char *out, int *few_failed)
{
	char tmp[24], *d, *end = tmp + sizeof(tmp), *o = out;
	uint64_t q;
	size_t nd;
	int k = 0;

	if (!(x < 1e6))
		return 0;
	if (x == (double)(uint64_t)x) {
		q = (uint64_t)x;
	} else if (x < 1e-4) {
		return 0;
	} else if ((k = few_decimals(x, &q)) < 0) {
		*few_failed = 1;
		return 0;
	}
	d = utoa_end(q, end);
	nd = (size_t)(end - d);
	if ((int)nd - 1 - k < -4)
		return 0;
	if (k == 0) {
		memcpy(o, d, nd);
		o += nd;
	} else if (nd > (size_t)k) {
		memcpy(o, d, nd - (size_t)k);
		o += nd - (size_t)k;
		*o++ = '.';
		memcpy(o, end - k, (size_t)k);
		o += k;
	} else {
		*o++ = '0';
		*o++ = '.';
		memset(o, '0', (size_t)k - nd);
		o += (size_t)k - nd;
		memcpy(o, d, nd);
		o += nd;
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* few_failed: few_decimals() already said no for x. */
static int
shortest_digits(double x, char *dig, int *exp10, int few_failed)
{
	int nd;

	/* Integers below 2^53 are exact: their digits are the shortest. */
	if (x < 9007199254740992.0 && x == (double)(uint64_t)x) {
		int total;

		nd = put_digits((uint64_t)x, dig, &total);
		*exp10 = total - 1;
		return nd;
	}
	nd = few_failed ? -1 : shortest_few(x, dig, exp10);
	if (nd > 0)
		return nd;
	nd = shortest_fast(x, dig, exp10);
	if (nd > 0)
		return nd;
	return shortest_slow(x, dig, exp10);
}

size_t
value_format(double v, char *dst)
{
	char dig[24];
	int nd, exp10, dp, n = 0, few_failed = 0;

	if (isnan(v)) {
		memcpy(dst, value_is_stale(v) ? "stale" : "NaN",
		    value_is_stale(v) ? 6 : 4);
		return strlen(dst);
	}
	if (isinf(v)) {
		memcpy(dst, v > 0 ? "+Inf" : "-Inf", 5);
		return 4;
	}
	if (signbit(v)) {
		dst[n++] = '-';
		v = -v;
	}
	if (v == 0) {
		dst[n++] = '0';
		dst[n] = '\0';
		return (size_t)n;
	}
	if ((nd = (int)format_plain(v, dst + n, &few_failed)) > 0)
		return (size_t)(n + nd);
	nd = shortest_digits(v, dig, &exp10, few_failed);
	if (exp10 < -4 || exp10 >= 6) {
		/* d[.ddd]e±XX with at least two exponent digits, as Go. */
		int ae = exp10 < 0 ? -exp10 : exp10;

		dst[n++] = dig[0];
		if (nd > 1) {
			dst[n++] = '.';
			memcpy(dst + n, dig + 1, (size_t)nd - 1);
			n += nd - 1;
		}
		dst[n++] = 'e';
		dst[n++] = exp10 < 0 ? '-' : '+';
		if (ae >= 100)
			dst[n++] = (char)('0' + ae / 100);
		dst[n++] = (char)('0' + ae / 10 % 10);
		dst[n++] = (char)('0' + ae % 10);
		dst[n] = '\0';
		return (size_t)n;
	}
	/* Plain: the digits with the point dp digits in, zeros padding
	 * either side. */
	dp = exp10 + 1;
	if (dp <= 0) {
		dst[n++] = '0';
	} else if (nd >= dp) {
		memcpy(dst + n, dig, (size_t)dp);
		n += dp;
	} else {
		memcpy(dst + n, dig, (size_t)nd);
		memset(dst + n + nd, '0', (size_t)(dp - nd));
		n += dp;
	}
	if (nd > dp) {
		int from = dp > 0 ? dp : 0;

		dst[n++] = '.';
		if (dp < 0) {
			memset(dst + n, '0', (size_t)-dp);
			n += -dp;
		}
		memcpy(dst + n, dig + from, (size_t)(nd - from));
		n += nd - from;
	}
	dst[n] = '\0';
	return (size_t)n;
}

/*
 * A decimal of at most 15 significant digits reads back from the double
 * it parses to (15 digits are finer than the gap between doubles), and
 * no shorter decimal reads as that double: it is the shortest form, and
 * value_format() writes it plainly when its first digit is at 10^-4 to
 * 10^5, without leading zeros, a '+', a trailing '.' or trailing zeros
 * after the point.
 */
int
value_canonical(const char *s, size_t len)
{
	size_t i = 0, start, ip, sig, lead = 0;

	if (len > 0 && s[0] == '-')
		i++;
	start = i;
	while (i < len && is_digit((unsigned char)s[i]))
		i++;
	ip = i - start;
	if (ip == 0 || ip > 6 || (ip > 1 && s[start] == '0'))
		return 0;
	if (i == len)
		return 1;
	if (s[i] != '.' || i + 1 == len || s[len - 1] == '0')
		return 0;
	sig = s[start] == '0' ? 0 : ip;
	for (i++; i < len; i++) {
		if (!is_digit((unsigned char)s[i]))
			return 0;
		if (sig > 0)
			sig++;
		else if (s[i] == '0')
			lead++;
		else
			sig = 1;
	}
	/* 0.000ddd: the first digit must be at 10^-4 or above. */
	return sig <= 15 && (s[start] != '0' || lead <= 3);
}
