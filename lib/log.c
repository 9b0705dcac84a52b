/* log.c: one-line diagnostics on stderr, and their rate limit. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "banned.h"

/* Long enough for a path and a reason; longer messages are cut, not split. */
#define LOG_LINE_MAX 2048

static char progname[64] = "obs";
static int verbose;

void
log_init(const char *name)
{
	const char *slash;
	size_t n;

	if (name == NULL || *name == '\0')
		return;
	slash = strrchr(name, '/');
	if (slash && slash[1])
		name = slash + 1;
	n = strlen(name);
	if (n >= sizeof(progname))
		n = sizeof(progname) - 1;
	memcpy(progname, name, n);
	progname[n] = '\0';
}

const char *
log_progname(void)
{
	return progname;
}

void
log_set_verbose(int on)
{
	verbose = on;
}

/*
 * Builds the whole line first and writes it with one write(2), so that
 * messages from programs sharing a stderr do not interleave.
 */
static void
log_emit(const char *kind, const char *fmt, va_list ap, int errnum)
{
	char line[LOG_LINE_MAX];
	size_t n;
	int r, saved = errno;

	r = snprintf(line, sizeof(line), "%s: %s", progname, kind);
	n = r < 0 ? 0 : (size_t)r;
	if (n < sizeof(line)) {
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		if (r > 0)
			n += (size_t)r;
	}
	if (errnum && n < sizeof(line)) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", strerror(errnum));
		if (r > 0)
			n += (size_t)r;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	{
		const char *p = line;

		while (n > 0) {
			ssize_t w = write(STDERR_FILENO, p, n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			p += w;
			n -= (size_t)w;
		}
	}
	errno = saved;
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("", fmt, ap, 0);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("warning: ", fmt, ap, 0);
	va_end(ap);
}

void
log_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit("", fmt, ap, errnum ? errnum : EIO);
	va_end(ap);
	errno = errnum;
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	log_emit("debug: ", fmt, ap, 0);
	va_end(ap);
}

/* Monotonic seconds, never 0, so that start 0 means "no interval yet". */
static time_t
log_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 1;
	return ts.tv_sec + 1;
}

static void
log_summary(struct log_limit *rl)
{
	if (rl->suppressed)
		log_error("%lu similar messages suppressed", rl->suppressed);
	rl->suppressed = 0;
}

void
log_limited(struct log_limit *rl, const char *fmt, ...)
{
	time_t now = log_now();
	int interval = rl->interval > 0 ? rl->interval : 1;
	va_list ap;

	if (rl->start == 0 || now < rl->start || now - rl->start >= interval) {
		log_summary(rl);
		rl->start = now;
		rl->printed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->suppressed++;
		return;
	}
	rl->printed++;
	va_start(ap, fmt);
	log_emit("", fmt, ap, 0);
	va_end(ap);
}

void
log_limit_flush(struct log_limit *rl)
{
	log_summary(rl);
}
