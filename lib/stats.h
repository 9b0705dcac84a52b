/* stats.h: a program's own counters as a .prom file (--stats-file). */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>

#include "buf.h"

/*
 * Appends one metric to a text exposition in b: "# HELP", "# TYPE" (once
 * per name: pass the same name in a row and only the first gets them) and
 * the sample; labels is a preformatted body such as `endpoint="x"` or "".
 */
int stats_add(struct buf *b, const char *name, const char *type,
	      const char *help, const char *labels, double value);
/* Writes b to path atomically (see atomicfile_write). */
int stats_write(const char *path, const struct buf *b);

#endif
