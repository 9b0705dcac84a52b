/* clock.h: wall-clock and monotonic time in the units the format uses. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

int64_t clock_ms(void);		/* wall clock, ms since the epoch */
int64_t clock_ns(void);		/* wall clock, ns since the epoch */
int64_t clock_mono_ms(void);	/* monotonic, for timeouts and intervals */
/* Sleeps ms unless a signal arrives first (returns early then). */
void clock_sleep_ms(int64_t ms);

#endif
