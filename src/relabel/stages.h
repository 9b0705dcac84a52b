/* stages.h: log processing stages (Promtail pipeline_stages, Alloy loki.process). */
#ifndef STAGES_H
#define STAGES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "labels.h"
#include "yconf.h"

struct stages;

/* Loads a stages sequence (null is none); NULL after reporting
 * "FILE:LINE: KEY: reason" for a bad one.  *out is NULL for no stages. */
int stages_load(struct stages **out, const struct ynode *seq);
size_t stages_count(const struct stages *st);

/*
 * Runs the stages in order on one entry: its stream labels (sorted), its
 * timestamp in ns and its text.  Returns 1 to keep the entry, 0 when a
 * drop stage dropped it (*reason is its drop_counter_reason), -1 on
 * ENOMEM/EMSGSIZE.
 */
int stages_apply(struct stages *st, struct labels *ls, int64_t *ts_ns,
		 struct buf *line, const char **reason);
/*
 * stages_apply() for a caller that keeps the stream labels the stages
 * start from: init (sorted, left as it is) is what the extracted map
 * begins with, ls a copy of it that the stages change.  *line_set is 1
 * when a stage replaced the line (docker, output).
 */
int stages_apply_from(struct stages *st, const struct labels *init,
		      struct labels *ls, int64_t *ts_ns, struct buf *line,
		      const char **reason, int *line_set);
void stages_free(struct stages *st);

#endif
