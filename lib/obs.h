/* obs.h: what every program of the suite shares: exit status and version. */
#ifndef OBS_H
#define OBS_H

#ifndef OBS_VERSION
#define OBS_VERSION "0.0.0"
#endif

/*
 * One exit-status table for the whole suite (documented in every man page):
 * 0 success; 1 a runtime failure that may pass (I/O, network, a receiver
 * down), so a supervisor restarts with backoff; 2 a usage or configuration
 * error, permanent until the configuration changes.
 */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_CONFIG = 2,
};

/* Lines written by any program are at most this long in one write(2). */
#define OBS_LINE_ATOMIC 4096
/* Readers accept lines up to this long; longer is a per-line error. */
#define OBS_LINE_MAX (1024 * 1024)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Prints "PROG version VERSION" on stdout; for every program's --version. */
void obs_print_version(void);

#endif
