/* sig.c: signal handlers that only set flags for the main loop. */
#include <signal.h>
#include <string.h>

#include "sig.h"
#include "banned.h"

volatile sig_atomic_t sig_stop;
volatile sig_atomic_t sig_hup;

static void
sig_handler(int signo)
{
	if (signo == SIGHUP)
		sig_hup = 1;
	else
		sig_stop = 1;
}

int
sig_init(void)
{
	static const int stops[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: blocking calls return EINTR */
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		if (sigaction(stops[i], &sa, NULL) < 0)
			return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;
	return 0;
}
