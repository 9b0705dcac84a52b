/* log.h: diagnostics on stderr with the program name, rate-limited. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <time.h>

/*
 * Messages read "PROG: message" (errors) or "PROG: warning: message", one
 * line each, lowercase, no final period.  log_init() sets PROG; it must be
 * called first in main().  Nothing here exits: the caller decides.
 */
void log_init(const char *progname);
const char *log_progname(void);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like log_error, with ": strerror(errno)" appended. */
void log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug messages print only after log_set_verbose(1) (the -v option). */
void log_set_verbose(int on);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A rate limit for one kind of message: at most burst messages per
 * interval seconds; the rest are counted and summarised as "PROG: N similar
 * messages suppressed" when the next interval opens.  Zero-initialise with
 * LOG_LIMIT_INIT.
 */
struct log_limit {
	int burst;
	int interval;
	time_t start;
	int printed;
	unsigned long suppressed;
};
#define LOG_LIMIT_INIT { 10, 10, 0, 0, 0 }
void log_limited(struct log_limit *rl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints the pending "N similar messages suppressed" line now (at exit). */
void log_limit_flush(struct log_limit *rl);

#endif
