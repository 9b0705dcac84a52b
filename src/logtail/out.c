/* out.c: the one writer of standard output, shared by the followers. */
#include <pthread.h>
#include <unistd.h>

#include "lineio.h"
#include "logtail.h"
#include "banned.h"

struct lt_out lt_out = { .mu = PTHREAD_MUTEX_INITIALIZER };

int out_entry(const struct labels *ls, int64_t ts, const char *line,
	      size_t len)
{
	int ret = 0;

	if (len > lt_out.max_line) {
		len = lt_out.max_line;
		atomic_fetch_add(&lt_out.truncated, 1);
	}
	pthread_mutex_lock(&lt_out.mu);
	if (lt_out.failed ||
	    lineio_write_log(&lt_out.w, ls, ts, line, len) < 0) {
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
