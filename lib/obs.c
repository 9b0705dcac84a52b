/* obs.c: what every program shares: the --version line. */
#include <stdio.h>

#include "log.h"
#include "obs.h"
#include "banned.h"

void
obs_print_version(void)
{
	printf("%s version %s\n", log_progname(), OBS_VERSION);
	fflush(stdout);
}
