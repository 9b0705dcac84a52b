/* dlog.c: Docker's log formats (json-file lines, API frames) parsed from buffers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "docker.h"
#include "json.h"
#include "logtail.h"
#include "banned.h"

/* A json-file "log" ends with the newline the container wrote, unless
 * Docker cut a long line into parts: only the last part has it. */
static void entry_set_log(struct dlog_entry *e, const char *s, size_t n)
{
	e->log = s;
	e->len = n;
	e->partial = 1;
	if (e->len && e->log[e->len - 1] == '\n') {
		e->partial = 0;
		e->len--;
		if (e->len && e->log[e->len - 1] == '\r')
			e->len--;
	}
}

int dlog_parse_json(struct json_doc *doc, const char *line, size_t len,
		    struct dlog_entry *e, const char **err)
{
	const struct json *root, *log, *stream, *time;
	struct json_err je;

	root = json_parse(doc, line, len, &je);
	if (!root) {
		*err = je.msg;
		return -1;
	}
	if (root->type != JSON_OBJECT) {
		*err = "not a json object";
		return -1;
	}
	log = json_get(root, "log", 3);
	stream = json_get(root, "stream", 6);
	time = json_get(root, "time", 4);
	if (!log || log->type != JSON_STRING) {
		*err = "no \"log\" string";
		return -1;
	}
	if (!time || time->type != JSON_STRING ||
	    docker_parse_time(time->str, time->len, &e->ts) < 0) {
		*err = "no \"time\" in RFC 3339";
		return -1;
	}
	e->stream = 1;
	if (stream && stream->type == JSON_STRING &&
	    strcmp(stream->str, "stderr") == 0)
		e->stream = 2;
	entry_set_log(e, log->str, log->len);
	return 0;
}

int dlog_parse_json_fast(struct buf *scratch, const char *line, size_t len,
			 struct dlog_entry *e)
{
	static const char head[] = "{\"log\":\"";
	static const char mid[] = ",\"stream\":\"std";
	static const char tail[] = ",\"time\":\"";
	const char *end = line + len, *q, *t;
	size_t stop;
	long n;

	if (len < sizeof(head) - 1 || memcmp(line, head, sizeof(head) - 1))
		return 0;
	buf_reset(scratch);
	if (buf_grow(scratch, len) < 0)
		return 0;
	q = line + sizeof(head) - 1;
	n = json_unescape(scratch->p, q, (size_t)(end - q), &stop);
	if (n < 0)
		return 0;
	q += stop + 1;
	if (end - q < (long)(sizeof(mid) - 1 + 4 + sizeof(tail) - 1 + 2) ||
	    memcmp(q, mid, sizeof(mid) - 1))
		return 0;
	q += sizeof(mid) - 1;
	if (!memcmp(q, "out\"", 4))
		e->stream = 1;
	else if (!memcmp(q, "err\"", 4))
		e->stream = 2;
	else
		return 0;
	q += 4;
	if (memcmp(q, tail, sizeof(tail) - 1))
		return 0;
	q += sizeof(tail) - 1;
	/* the time holds no escape, and ends the object and the line */
	t = memchr(q, '"', (size_t)(end - q));
	if (!t || end - t != 2 || t[1] != '}' || memchr(q, '\\', (size_t)(t - q)) ||
	    docker_parse_time(q, (size_t)(t - q), &e->ts) < 0)
		return 0;
	scratch->len = (size_t)n;
	entry_set_log(e, scratch->p, scratch->len);
	return 1;
}

long dlog_frame(const char *buf, size_t len, int *stream,
		const char **payload, size_t *plen)
{
	const unsigned char *u = (const unsigned char *)buf;
	uint32_t n;

	if (len < 8)
		return 0;
	if (u[0] > 2 || u[1] || u[2] || u[3])
		return -1;
	n = (uint32_t)u[4] << 24 | (uint32_t)u[5] << 16 |
	    (uint32_t)u[6] << 8 | u[7];
	if (len - 8 < n)
		return 0;
	*stream = u[0];
	*payload = buf + 8;
	*plen = n;
	return (long)n + 8;
}

int dlog_api_line(const char *s, size_t len, int64_t *ts, const char **rest,
		  size_t *rlen)
{
	const char *sp = memchr(s, ' ', len);

	if (!sp || docker_parse_time(s, (size_t)(sp - s), ts) < 0)
		return -1;
	*rest = sp + 1;
	*rlen = len - (size_t)(sp - s) - 1;
	return 0;
}
