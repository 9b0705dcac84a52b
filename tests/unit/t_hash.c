/* t_hash.c: FNV-1a (lib/hash.h) and the civil-date arithmetic of lib/clock.h. */
#include <stdint.h>

#include "clock.h"
#include "hash.h"
#include "tap.h"
#include "banned.h"

int
main(void)
{
	/* The published FNV-1a 64-bit test vectors. */
	ok(obs_fnv1a64("", 0) == UINT64_C(0xcbf29ce484222325), "fnv1a64 of nothing is the offset basis");
	ok(obs_fnv1a64("a", 1) == UINT64_C(0xaf63dc4c8601ec8c), "fnv1a64(\"a\")");
	ok(obs_fnv1a64("foobar", 6) == UINT64_C(0x85944171f73967e8), "fnv1a64(\"foobar\")");

	ok(clock_days_from_civil(1970, 1, 1) == 0, "1970-01-01 is day 0");
	ok(clock_days_from_civil(2000, 3, 1) == 11017, "2000-03-01 is day 11017");
	ok(clock_days_from_civil(1969, 12, 31) == -1, "1969-12-31 is day -1");
	ok(clock_days_from_civil(2024, 2, 29) == 19782, "a leap day");
	ok(clock_days_from_civil(2100, 3, 1) - clock_days_from_civil(2100, 2, 28) == 1,
	   "2100 is not a leap year");
	return done_testing();
}
