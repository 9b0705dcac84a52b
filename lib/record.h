/* record.h: one line of the obs format, parsed: a sample, a log entry or a comment. */
#ifndef RECORD_H
#define RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "labels.h"

enum rec_kind {
	REC_SAMPLE,	/* name{labels} VALUE [TIMESTAMP_MS] */
	REC_LOG,	/* {labels} TIMESTAMP_NS "line" */
	REC_COMMENT,	/* # ... (meta says whether it is TYPE, HELP or UNIT) */
};

enum meta_kind { META_NONE, META_TYPE, META_HELP, META_UNIT };

/*
 * A record owns its buffers and is reused from line to line; record_free()
 * releases them.  raw points at the line as read (without the newline) in
 * the reader's buffer and is valid until the next read.
 */
struct record {
	enum rec_kind kind;
	struct labels labels;	/* sample: includes __name__; log: the stream */
	double value;		/* sample; the staleness NaN for "stale" */
	int64_t ts;		/* sample: ms since the epoch; log: ns */
	int has_ts;		/* sample lines may omit the timestamp */
	enum meta_kind meta;	/* comment: TYPE, HELP, UNIT or NONE */
	struct buf meta_name;	/* comment with meta: the metric family name */
	struct buf text;	/* log: the unescaped line; meta: TYPE word,
				   unescaped HELP text, or UNIT */
	const char *raw;
	size_t raw_len;
};

void record_init(struct record *rec);
void record_reset(struct record *rec);
void record_free(struct record *rec);

#endif
