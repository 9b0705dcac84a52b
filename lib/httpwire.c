/* httpwire.c: the HTTP/1.x response parser: status line, headers, Content-Length, chunked and close-delimited bodies. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "httpwire.h"
#include "banned.h"

enum {
	ST_STATUS,	/* before or inside the status line */
	ST_HEADER,	/* header lines */
	ST_NOBODY,	/* the head is out; no body follows */
	ST_BODY_LEN,	/* remain bytes of a Content-Length body */
	ST_BODY_CLOSE,	/* a body that ends at the close */
	ST_CHUNK_SIZE,	/* the chunk-size line */
	ST_CHUNK_DATA,	/* remain bytes of chunk data */
	ST_CHUNK_END,	/* the CRLF after chunk data */
	ST_TRAILER,	/* trailer lines after the last chunk */
	ST_DONE,
	ST_ERROR
};

/* Leading empty lines tolerated before a status line (RFC 9112 2.2). */
#define HTTPWIRE_BLANKS_MAX 4

static enum httpwire_event fail(struct httpwire *w, const char *why)
{
	snprintf(w->error, sizeof(w->error), "%s", why);
	w->state = ST_ERROR;
	w->keep_alive = 0;
	return HTTPWIRE_ERROR;
}

static void head_reset(struct httpwire *w)
{
	w->minor = 0;
	w->status = 0;
	w->chunked = 0;
	w->content_length = -1;
	w->until_close = 0;
	w->keep_alive = 0;
	w->content_type[0] = '\0';
	w->content_encoding[0] = '\0';
	w->retry_after[0] = '\0';
	w->location[0] = '\0';
	w->location_cut = 0;
	w->conn_close = w->conn_keep = 0;
	w->have_length = 0;
	w->te_seen = 0;
	w->lines = 0;
}

void httpwire_init(struct httpwire *w, int head_request)
{
	head_reset(w);
	w->error[0] = '\0';
	w->used = 0;
	w->state = ST_STATUS;
	w->head_request = head_request;
	w->remain = 0;
	w->head_bytes = 0;
	w->line_len = 0;
}

int httpwire_empty(const struct httpwire *w)
{
	return w->used == 0;
}

/*
 * Collects one line into w->line.  Returns 1 with the line (CR LF or a
 * bare LF cut, NUL-terminated) when its end was found, 0 when all of p
 * was taken and the line goes on, -1 when it is too long.  *used counts
 * what was taken either way.
 */
static int line_take(struct httpwire *w, const char *p, size_t n, size_t *used)
{
	const char *nl = memchr(p, '\n', n);
	size_t take = nl ? (size_t)(nl - p) + 1 : n;

	if (w->line_len + take > sizeof(w->line) - 1)
		return -1;
	memcpy(w->line + w->line_len, p, take);
	w->line_len += take;
	*used = take;
	if (!nl)
		return 0;
	w->line_len--;
	if (w->line_len && w->line[w->line_len - 1] == '\r')
		w->line_len--;
	w->line[w->line_len] = '\0';
	return 1;
}

/* A line must not hold NUL or a stray CR: they hide header ends. */
static int line_clean(const struct httpwire *w)
{
	return memchr(w->line, '\0', w->line_len) == NULL &&
	       memchr(w->line, '\r', w->line_len) == NULL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int parse_status(struct httpwire *w)
{
	const char *s = w->line;

	if (w->line_len < 12 || strncmp(s, "HTTP/1.", 7) != 0 ||
	    (s[7] != '0' && s[7] != '1') || s[8] != ' ')
		return -1;
	w->minor = s[7] - '0';
	if (!is_digit(s[9]) || !is_digit(s[10]) || !is_digit(s[11]) ||
	    s[9] == '0')
		return -1;
	if (w->line_len > 12 && s[12] != ' ')
		return -1;
	w->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	return 0;
}

/* Copies v into dst (cut to fit). */
static void field_set(char *dst, size_t size, const char *v, size_t len)
{
	if (len > size - 1)
		len = size - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static int token_is(const char *t, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(t, want, len) == 0;
}

/* Calls each comma-separated token of v[0..len) through the flags it
 * sets: Connection and Transfer-Encoding. */
static void list_scan(struct httpwire *w, const char *v, size_t len, int te)
{
	size_t i = 0;

	while (i < len) {
		size_t a, b;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		a = i;
		while (i < len && v[i] != ',')
			i++;
		b = i;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (b == a)
			continue;
		if (te) {
			w->chunked = token_is(v + a, b - a, "chunked");
		} else if (token_is(v + a, b - a, "close")) {
			w->conn_close = 1;
		} else if (token_is(v + a, b - a, "keep-alive")) {
			w->conn_keep = 1;
		}
	}
}

static int parse_length(struct httpwire *w, const char *v, size_t len)
{
	int64_t n = 0;
	size_t i;

	if (len == 0 || len > 18)
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_digit(v[i]))
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	if (w->have_length && w->content_length != n)
		return -1;
	w->have_length = 1;
	w->content_length = n;
	return 0;
}

static enum httpwire_event parse_header(struct httpwire *w)
{
	const char *s = w->line, *colon, *v;
	size_t nlen, vlen, i;

	if (s[0] == ' ' || s[0] == '\t')
		return fail(w, "folded header line in response");
	colon = memchr(s, ':', w->line_len);
	if (!colon || colon == s)
		return fail(w, "malformed header line in response");
	nlen = (size_t)(colon - s);
	for (i = 0; i < nlen; i++)
		if (s[i] == ' ' || s[i] == '\t')
			return fail(w, "malformed header name in response");
	v = colon + 1;
	vlen = w->line_len - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;

	if (token_is(s, nlen, "Content-Length")) {
		if (parse_length(w, v, vlen) < 0)
			return fail(w, "bad Content-Length in response");
	} else if (token_is(s, nlen, "Transfer-Encoding")) {
		w->te_seen = 1;
		list_scan(w, v, vlen, 1);
	} else if (token_is(s, nlen, "Connection")) {
		list_scan(w, v, vlen, 0);
	} else if (token_is(s, nlen, "Content-Type")) {
		field_set(w->content_type, sizeof(w->content_type), v, vlen);
	} else if (token_is(s, nlen, "Content-Encoding")) {
		field_set(w->content_encoding, sizeof(w->content_encoding), v,
			  vlen);
	} else if (token_is(s, nlen, "Retry-After")) {
		if (vlen < sizeof(w->retry_after))
			field_set(w->retry_after, sizeof(w->retry_after), v,
				  vlen);
		else
			w->retry_after[0] = '\0';
	} else if (token_is(s, nlen, "Location")) {
		w->location_cut = vlen >= sizeof(w->location);
		field_set(w->location, sizeof(w->location), v, vlen);
	}
	return HTTPWIRE_MORE;
}

/* The head is complete: how the body is framed (RFC 9112 6.3). */
static enum httpwire_event head_done(struct httpwire *w)
{
	if (w->status == 101)
		return fail(w, "unexpected 101 Switching Protocols");
	if (w->status < 200) {
		/* an interim answer: the real one follows */
		head_reset(w);
		w->state = ST_STATUS;
		return HTTPWIRE_MORE;
	}
	w->keep_alive = w->minor == 1 ? !w->conn_close : w->conn_keep &&
							     !w->conn_close;
	if (w->head_request || w->status == 204 || w->status == 304) {
		w->state = ST_NOBODY;
	} else if (w->te_seen && w->chunked) {
		w->content_length = -1;
		w->state = ST_CHUNK_SIZE;
	} else if (w->te_seen) {
		w->chunked = 0;
		w->until_close = 1;
		w->content_length = -1;
		w->state = ST_BODY_CLOSE;
	} else if (w->have_length) {
		w->remain = (uint64_t)w->content_length;
		w->state = ST_BODY_LEN;
	} else {
		w->until_close = 1;
		w->state = ST_BODY_CLOSE;
	}
	if (w->until_close)
		w->keep_alive = 0;
	return HTTPWIRE_HEAD;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* chunk-size [ BWS ";" chunk-ext ]: the extension is skipped. */
static int parse_chunk_size(struct httpwire *w, uint64_t *size)
{
	const char *s = w->line;
	uint64_t v = 0;
	size_t i = 0;
	int d;

	while (i < w->line_len && (d = hex_value(s[i])) >= 0) {
		if (i >= 15)
			return -1;	/* past 2^60: not a size we take */
		v = v * 16 + (uint64_t)d;
		i++;
	}
	if (i == 0)
		return -1;
	while (i < w->line_len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < w->line_len && s[i] != ';')
		return -1;
	*size = v;
	return 0;
}

/* One line of the head or the trailer, counted against the cap. */
static int head_line(struct httpwire *w, const char *p, size_t n, size_t *used,
		     enum httpwire_event *ev)
{
	int r = line_take(w, p, n, used);

	w->head_bytes += *used;
	if (r < 0 || w->head_bytes > HTTPWIRE_HEAD_MAX) {
		*ev = fail(w, r < 0 ? "response header line too long" :
				      "response headers too large");
		return -1;
	}
	if (r == 1 && !line_clean(w)) {
		*ev = fail(w, "control bytes in response header");
		return -1;
	}
	return r;
}

enum httpwire_event httpwire_feed(struct httpwire *w, const char *p, size_t n,
				  size_t *used, const char **body,
				  size_t *body_len)
{
	enum httpwire_event ev = HTTPWIRE_MORE;
	size_t off = 0, u, take;
	int r;

	*body = NULL;
	*body_len = 0;
	while (ev == HTTPWIRE_MORE) {
		switch (w->state) {
		case ST_DONE:
			ev = HTTPWIRE_DONE;
			continue;
		case ST_ERROR:
			ev = HTTPWIRE_ERROR;
			continue;
		case ST_NOBODY:
			w->state = ST_DONE;
			continue;
		case ST_BODY_LEN:
			if (w->remain == 0) {
				w->state = ST_DONE;
				continue;
			}
			break;
		default:
			break;
		}
		if (off == n)
			break;
		switch (w->state) {
		case ST_STATUS:
			r = head_line(w, p + off, n - off, &u, &ev);
			off += u;
			if (r <= 0)
				break;
			if (w->line[0] == '\0') {
				w->line_len = 0;
				if (++w->lines > HTTPWIRE_BLANKS_MAX)
					ev = fail(w, "no status line in response");
				break;
			}
			w->lines = 0;
			if (parse_status(w) < 0)
				ev = fail(w, "malformed status line in response");
			else
				w->state = ST_HEADER;
			w->line_len = 0;
			break;
		case ST_HEADER:
			r = head_line(w, p + off, n - off, &u, &ev);
			off += u;
			if (r <= 0)
				break;
			ev = w->line[0] ? parse_header(w) : head_done(w);
			w->line_len = 0;
			break;
		case ST_BODY_LEN:
		case ST_CHUNK_DATA:
			take = n - off;
			if (take > w->remain)
				take = (size_t)w->remain;
			*body = p + off;
			*body_len = take;
			off += take;
			w->remain -= take;
			if (w->remain == 0 && w->state == ST_CHUNK_DATA)
				w->state = ST_CHUNK_END;
			ev = HTTPWIRE_BODY;
			break;
		case ST_BODY_CLOSE:
			*body = p + off;
			*body_len = n - off;
			off = n;
			ev = HTTPWIRE_BODY;
			break;
		case ST_CHUNK_SIZE:
			r = line_take(w, p + off, n - off, &u);
			off += u;
			if (r < 0) {
				ev = fail(w, "chunk size line too long");
				break;
			}
			if (r == 0)
				break;
			if (parse_chunk_size(w, &w->remain) < 0) {
				ev = fail(w, "bad chunk size in response");
				break;
			}
			w->line_len = 0;
			if (w->remain == 0) {
				w->head_bytes = 0;
				w->state = ST_TRAILER;
			} else {
				w->state = ST_CHUNK_DATA;
			}
			break;
		case ST_CHUNK_END:
			r = line_take(w, p + off, n - off, &u);
			off += u;
			if (r < 0 || (r == 1 && w->line_len != 0) ||
			    (r == 0 && (w->line_len > 1 ||
					w->line[0] != '\r'))) {
				ev = fail(w, "chunk data not followed by CRLF");
				break;
			}
			if (r == 1)
				w->state = ST_CHUNK_SIZE;
			break;
		case ST_TRAILER:
			r = head_line(w, p + off, n - off, &u, &ev);
			off += u;
			if (r <= 0)
				break;
			w->line_len = 0;
			if (w->line[0] == '\0')
				w->state = ST_DONE;
			break;
		}
	}
	w->used += off;
	*used = off;
	return ev;
}

enum httpwire_event httpwire_eof(struct httpwire *w)
{
	char why[96];

	switch (w->state) {
	case ST_DONE:
	case ST_NOBODY:
		w->state = ST_DONE;
		return HTTPWIRE_DONE;
	case ST_BODY_CLOSE:
		w->state = ST_DONE;
		return HTTPWIRE_DONE;
	case ST_ERROR:
		return HTTPWIRE_ERROR;
	case ST_BODY_LEN:
		if (w->remain == 0) {
			w->state = ST_DONE;
			return HTTPWIRE_DONE;
		}
		snprintf(why, sizeof(why),
			 "transfer closed with %llu bytes remaining to read",
			 (unsigned long long)w->remain);
		return fail(w, why);
	case ST_STATUS:
		if (w->used == 0)
			return fail(w, "Empty reply from server");
		/* fall through */
	case ST_HEADER:
		return fail(w, "connection closed in the response headers");
	default:
		return fail(w, "transfer closed with outstanding read data "
			       "remaining");
	}
}
