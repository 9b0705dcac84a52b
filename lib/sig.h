/* sig.h: signal handling for a clean stop: handlers set flags, loops act. */
#ifndef SIG_H
#define SIG_H

#include <signal.h>

extern volatile sig_atomic_t sig_stop;	/* SIGTERM or SIGINT seen */
extern volatile sig_atomic_t sig_hup;	/* SIGHUP seen */

/*
 * Installs the handlers (without SA_RESTART, so a blocking read returns
 * EINTR and the loop sees the flag) and ignores SIGPIPE, so a closed pipe
 * is EPIPE from write(2), not a silent death.  Returns -1 on failure.
 */
int sig_init(void);

#endif
