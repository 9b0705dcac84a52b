/* clock.c: wall-clock and monotonic time in milliseconds and nanoseconds. */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "banned.h"

static int64_t
clock_read(clockid_t id, int64_t div)
{
	struct timespec ts;

	/* These clocks exist on every Linux; a failure leaves 0, not garbage. */
	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * (1000000000 / div) + ts.tv_nsec / div;
}

int64_t
clock_ms(void)
{
	return clock_read(CLOCK_REALTIME, 1000000);
}

int64_t
clock_ns(void)
{
	return clock_read(CLOCK_REALTIME, 1);
}

int64_t
clock_mono_ms(void)
{
	return clock_read(CLOCK_MONOTONIC, 1000000);
}

int64_t
clock_mono_ns(void)
{
	return clock_read(CLOCK_MONOTONIC, 1);
}

void
clock_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	/* One call only: EINTR means a signal the caller wants to see. */
	(void)nanosleep(&ts, NULL);
}

/* Howard Hinnant's days_from_civil: years run March to February, so the
 * leap day is last and eras of 400 years repeat exactly. */
int64_t
clock_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
