/* dlog.c: Docker's log formats (json-file lines, API frames) parsed from buffers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "docker.h"
#include "json.h"
#include "logtail.h"
#include "banned.h"

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
	e->log = log->str;
	e->len = log->len;
	e->partial = 1;
	if (e->len && e->log[e->len - 1] == '\n') {
		e->partial = 0;
		e->len--;
		if (e->len && e->log[e->len - 1] == '\r')
			e->len--;
	}
	return 0;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t utf8_put(char *d, unsigned cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | (cp >> 6));
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | (cp >> 12));
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | (cp >> 18));
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Bytes a JSON string does not hold as they are. */
static const unsigned char json_stop[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

/*
 * Decodes the JSON string that starts after the quote at s, up to e,
 * into d as lib/json does (a lone surrogate is U+FFFD); returns the
 * position of its closing quote, or NULL (a control byte, a bad escape,
 * no end: the generic parser says which).
 */
static const char *json_str(const char *s, const char *e, char *d,
			    size_t *dlen)
{
	char *o = d;

	while (s < e) {
		const char *run = s;
		unsigned cp, lo;

		while (s < e && !json_stop[(unsigned char)*s])
			s++;
		memcpy(o, run, (size_t)(s - run));
		o += s - run;
		if (s >= e || (unsigned char)*s < 0x20)
			return NULL;
		if (*s == '"') {
			*dlen = (size_t)(o - d);
			return s;
		}
		if (e - s < 2)
			return NULL;
		switch (s[1]) {
		case '"': *o++ = '"'; s += 2; continue;
		case '\\': *o++ = '\\'; s += 2; continue;
		case '/': *o++ = '/'; s += 2; continue;
		case 'b': *o++ = '\b'; s += 2; continue;
		case 'f': *o++ = '\f'; s += 2; continue;
		case 'n': *o++ = '\n'; s += 2; continue;
		case 'r': *o++ = '\r'; s += 2; continue;
		case 't': *o++ = '\t'; s += 2; continue;
		case 'u': break;
		default: return NULL;
		}
		if (e - s < 6 || hex4(s + 2, &cp) < 0)
			return NULL;
		s += 6;
		if (cp >= 0xd800 && cp < 0xdc00) {
			if (e - s >= 6 && s[0] == '\\' && s[1] == 'u' &&
			    hex4(s + 2, &lo) == 0 && lo >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				s += 6;
			} else {
				cp = 0xfffd;
			}
		} else if (cp >= 0xdc00 && cp < 0xe000) {
			cp = 0xfffd;
		}
		o += utf8_put(o, cp);
	}
	return NULL;
}

int dlog_parse_json_fast(struct buf *scratch, const char *line, size_t len,
			 struct dlog_entry *e)
{
	static const char head[] = "{\"log\":\"";
	static const char mid[] = ",\"stream\":\"std";
	static const char tail[] = ",\"time\":\"";
	const char *end = line + len, *q, *t;
	size_t n;

	if (len < sizeof(head) - 1 || memcmp(line, head, sizeof(head) - 1))
		return 0;
	buf_reset(scratch);
	if (buf_grow(scratch, len) < 0)
		return 0;
	q = json_str(line + sizeof(head) - 1, end, scratch->p, &n);
	if (!q)
		return 0;
	q++;
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
	scratch->len = n;
	scratch->p[n] = '\0';
	e->log = scratch->p;
	e->len = n;
	e->partial = 1;
	if (e->len && e->log[e->len - 1] == '\n') {
		e->partial = 0;
		e->len--;
		if (e->len && e->log[e->len - 1] == '\r')
			e->len--;
	}
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
