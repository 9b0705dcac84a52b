/* record.c: the reusable parsed form of one line. */
#include <stddef.h>

#include "obs.h"
#include "record.h"
#include "banned.h"

void
record_init(struct record *rec)
{
	rec->kind = REC_SAMPLE;
	labels_init(&rec->labels);
	rec->value = 0;
	rec->ts = 0;
	rec->has_ts = 0;
	rec->meta = META_NONE;
	/* No field of a record can be longer than the line it came from. */
	buf_init(&rec->meta_name, OBS_LINE_MAX);
	buf_init(&rec->text, OBS_LINE_MAX);
	rec->raw = NULL;
	rec->raw_len = 0;
}

void
record_reset(struct record *rec)
{
	rec->kind = REC_SAMPLE;
	labels_reset(&rec->labels);
	rec->value = 0;
	rec->ts = 0;
	rec->has_ts = 0;
	rec->meta = META_NONE;
	buf_reset(&rec->meta_name);
	buf_reset(&rec->text);
	rec->raw = NULL;
	rec->raw_len = 0;
}

void
record_free(struct record *rec)
{
	labels_free(&rec->labels);
	buf_free(&rec->meta_name);
	buf_free(&rec->text);
	record_reset(rec);
}
