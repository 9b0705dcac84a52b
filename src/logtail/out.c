/* out.c: the one writer of standard output, shared by the followers. */
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

/* What logline_escape() does not copy as it is. */
static const unsigned char esc_byte[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f] = 1,
};

/*
 * ' TS "LINE"' as lineio_write_log() writes it (the timestamp as %lld,
 * the line through logline_escape()), into room made for the worst case.
 */
static int put_tail(struct buf *t, int64_t ts, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char num[24], *d, *q = num + sizeof(num);
	uint64_t u = ts < 0 ? -(uint64_t)ts : (uint64_t)ts;
	size_t i, run = 0;

	buf_reset(t);
	if (buf_grow(t, 4 * n + sizeof(num) + 4) < 0)
		return -1;
	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (ts < 0)
		*--q = '-';
	d = t->p;
	*d++ = ' ';
	memcpy(d, q, (size_t)(num + sizeof(num) - q));
	d += num + sizeof(num) - q;
	*d++ = ' ';
	*d++ = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!esc_byte[c])
			continue;
		memcpy(d, s + run, i - run);
		d += i - run;
		run = i + 1;
		*d++ = '\\';
		switch (c) {
		case '\\': *d++ = '\\'; break;
		case '"': *d++ = '"'; break;
		case '\n': *d++ = 'n'; break;
		case '\r': *d++ = 'r'; break;
		case '\t': *d++ = 't'; break;
		default:
			*d++ = 'x';
			*d++ = hex[c >> 4];
			*d++ = hex[c & 0xf];
		}
	}
	memcpy(d, s + run, n - run);
	d += n - run;
	*d++ = '"';
	*d = '\0';
	t->len = (size_t)(d - t->p);
	return 0;
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
	if (lt_out.failed || put_tail(t, ts, line, len) < 0 ||
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
