/* stats.h: a program's own counters as a .prom file (--stats-file). */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>

#include "buf.h"

/*
 * Appends one metric to a text exposition in b: "# HELP", "# TYPE" (once
 * per name: pass the same name in a row and only the first gets them) and
 * the sample; labels is a preformatted body such as `endpoint="x"` or "".
 * The labels in the environment variable OBS_STATS_LABELS (a body such as
 * `pipeline="host",member="rwsend"`, set by obsd) are added to every
 * sample, so members of different pipelines never write the same series;
 * a value that does not parse as a label set is ignored.
 */
int stats_add(struct buf *b, const char *name, const char *type,
	      const char *help, const char *labels, double value);
/* Writes b to path atomically (see atomicfile_write). */
int stats_write(const char *path, const struct buf *b);

#endif
