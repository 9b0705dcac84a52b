/* tap.h: a tiny header-only TAP producer for the lib/ unit tests. */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Counters live in statics: each unit test is one translation unit. */
static int tap_run_;
static int tap_failed_;
static int tap_planned_ = -1;

static inline void
tap_plan(int n)
{
	tap_planned_ = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* plan(n) prints "1..n" up front; without it done_testing() prints the plan. */
#define plan(n) tap_plan(n)

static inline int
tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_run_++;
	if (!cond)
		tap_failed_++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run_);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 2, 3)))
static inline int
ok(int cond, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

static inline void
diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* diag writes a "# " comment to stdout, which TAP consumers show. */
static inline void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* is_str: got may be NULL; NULL equals NULL only. */
__attribute__((format(printf, 3, 4)))
static inline int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int r, same;

	if (got == NULL || want == NULL)
		same = got == want;
	else
		same = strcmp(got, want) == 0;
	va_start(ap, fmt);
	r = tap_vok(same, fmt, ap);
	va_end(ap);
	if (!same) {
		diag("     got: %s%s%s", got ? "'" : "", got ? got : "NULL",
		    got ? "'" : "");
		diag("expected: %s%s%s", want ? "'" : "", want ? want : "NULL",
		    want ? "'" : "");
	}
	return r;
}

__attribute__((format(printf, 3, 4)))
static inline int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vok(got == want, fmt, ap);
	va_end(ap);
	if (got != want) {
		diag("     got: %lld", got);
		diag("expected: %lld", want);
	}
	return r;
}

/* is_mem compares n bytes, for buffers that hold NULs. */
__attribute__((format(printf, 4, 5)))
static inline int
is_mem(const void *got, const void *want, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r, same;

	same = got != NULL && want != NULL && memcmp(got, want, n) == 0;
	va_start(ap, fmt);
	r = tap_vok(same, fmt, ap);
	va_end(ap);
	return r;
}

/* done_testing prints the plan if none was given and returns the exit
 * status: 1 if any test failed or the count does not match the plan. */
static inline int
done_testing(void)
{
	if (tap_planned_ < 0) {
		printf("1..%d\n", tap_run_);
	} else if (tap_planned_ != tap_run_) {
		diag("planned %d tests but ran %d", tap_planned_, tap_run_);
		fflush(stdout);
		return 1;
	}
	if (tap_failed_)
		diag("failed %d of %d tests", tap_failed_, tap_run_);
	fflush(stdout);
	return tap_failed_ ? 1 : 0;
}

#endif
