/* t_stats.c: the labels obsd hands to its members through OBS_STATS_LABELS. */
#include <stdlib.h>

#include "buf.h"
#include "stats.h"
#include "tap.h"
#include "banned.h"

int
main(void)
{
	struct buf b = BUF_INIT(0);

	/* stats.c reads the variable once, so it is set before the first add. */
	if (setenv("OBS_STATS_LABELS", "pipeline=\"host\",member=\"rwsend\"", 1) != 0)
		return 1;
	ok(stats_add(&b, "obs_x_total", "counter", "X.", "", 3) == 0,
	   "stats_add without labels of its own");
	ok(stats_add(&b, "obs_y", "gauge", NULL, "endpoint=\"a\"", 1) == 0,
	   "stats_add with labels of its own");
	is_str(buf_cstr(&b),
	       "# HELP obs_x_total X.\n"
	       "# TYPE obs_x_total counter\n"
	       "obs_x_total{pipeline=\"host\",member=\"rwsend\"} 3\n"
	       "# TYPE obs_y gauge\n"
	       "obs_y{endpoint=\"a\",pipeline=\"host\",member=\"rwsend\"} 1\n",
	       "the environment's labels follow the sample's own");
	buf_free(&b);
	return done_testing();
}
