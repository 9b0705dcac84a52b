/* out.c: the one writer of standard output, shared by the followers. */
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "lineio.h"
#include "logtail.h"
#include "record.h"
#include "banned.h"

struct lt_out lt_out = { .mu = PTHREAD_MUTEX_INITIALIZER };

int out_flush(void)
{
	int ret = 0;

	pthread_mutex_lock(&lt_out.mu);
	if (lt_out.failed || lineio_flush(&lt_out.w) < 0) {
		lt_out.failed = 1;
		ret = -1;
	}
	pthread_mutex_unlock(&lt_out.mu);
	return ret;
}

int out_prefix(struct buf *pre, const struct labels *ls)
{
	struct record rec;
	int ret = -1;

	/* lineio's own form of an entry, cut after the labels */
	record_init(&rec);
	rec.kind = REC_LOG;
	buf_reset(pre);
	if (labels_copy(&rec.labels, ls) == 0 &&
	    lineio_format_record(pre, &rec) == 0 && pre->len >= 5 &&
	    memcmp(pre->p + pre->len - 5, " 0 \"\"", 5) == 0) {
		buf_truncate(pre, pre->len - 5);
		ret = 0;
	}
	record_free(&rec);
	return ret;
}

int out_entry_pre(const struct buf *pre, int64_t ts, const char *line,
		  size_t len)
{
	struct buf *t = &lt_out.tail;
	int ret = 0;

	if (len > lt_out.max_line) {
		len = lt_out.max_line;
		atomic_fetch_add(&lt_out.truncated, 1);
	}
	pthread_mutex_lock(&lt_out.mu);
	buf_reset(t);
	if (lt_out.failed || buf_addf(t, " %" PRId64 " \"", ts) < 0 ||
	    logline_escape(t, line, len) < 0 || buf_addch(t, '"') < 0 ||
	    lineio_write_joined(&lt_out.w, pre->p, pre->len, t->p, t->len) <
		    0) {
		lt_out.failed = 1;
		ret = -1;
	}
	pthread_mutex_unlock(&lt_out.mu);
	if (!ret) {
		atomic_fetch_add(&lt_out.entries, 1);
		atomic_fetch_add(&lt_out.bytes, len);
	}
	return ret;
}
