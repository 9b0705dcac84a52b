/* clock.h: wall-clock and monotonic time in the units the format uses. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

int64_t clock_ms(void);		/* wall clock, ms since the epoch */
int64_t clock_ns(void);		/* wall clock, ns since the epoch */
int64_t clock_mono_ms(void);	/* monotonic, for timeouts and intervals */
int64_t clock_mono_ns(void);	/* monotonic, for durations */
/* Sleeps ms unless a signal arrives first (returns early then). */
void clock_sleep_ms(int64_t ms);
/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12);
 * negative before it. */
int64_t clock_days_from_civil(int64_t y, int m, int d);

#endif
