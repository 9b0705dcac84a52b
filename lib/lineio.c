/* lineio.c: the streaming line reader and the atomic line writer of the obs format. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "expo.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "parse.h"
#include "value.h"
#include "banned.h"

#define READ_CHUNK 65536
/* An escaped log line may be four times its size (\xHH). */
#define WRITER_MAX (4 * OBS_LINE_MAX + OBS_LINE_ATOMIC)

static int
is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

/* Blocks until fd is ready, for a caller that wants blocking reads or
 * writes on a descriptor someone else made O_NONBLOCK; -1 on EINTR. */
static int
wait_fd(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	return poll(&p, 1, -1) < 0 ? -1 : 0;
}

int
lineio_reader_init(struct lineio_reader *r, int fd, const char *name)
{
	struct log_limit rl = LOG_LIMIT_INIT;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name != NULL ? name : "-";
	r->next_nl = SIZE_MAX;
	/* One whole line of the maximum size plus one read beyond it. */
	buf_init(&r->in, OBS_LINE_MAX + READ_CHUNK + 1);
	expo_init(&r->ex, 0);
	r->limit = rl;
	return 0;
}

void
lineio_reader_free(struct lineio_reader *r)
{
	buf_free(&r->in);
	expo_free(&r->ex);
}

static void
report(struct lineio_reader *r, const char *why, size_t col, int has_col)
{
	r->bad++;
	if (r->quiet)
		return;
	if (has_col)
		log_limited(&r->limit, "%s:%lu: %s at column %zu", r->name,
		    r->lineno, why, col + 1);
	else
		log_limited(&r->limit, "%s:%lu: %s", r->name, r->lineno, why);
}

/*
 * Reads more input after the partial line in[pos..len).  Bytes already
 * returned are dropped first, so that the buffer holds at most one line
 * plus one read; a partial line past OBS_LINE_MAX is reported and then
 * skipped up to its newline.
 */
static int
fill(struct lineio_reader *r)
{
	ssize_t n;

	if (r->skipping) {
		buf_reset(&r->in);
	} else if (r->pos > 0) {
		buf_consume(&r->in, r->pos);
	}
	r->pos = 0;
	r->scan = r->in.len;
	if (!r->skipping && r->in.len > OBS_LINE_MAX) {
		r->lineno++;
		report(r, "line too long", 0, 0);
		r->skipping = 1;
		buf_reset(&r->in);
		r->scan = 0;
	}
	if (buf_grow(&r->in, READ_CHUNK) < 0)
		return LINEIO_ERR;
	for (;;) {
		n = read(r->fd, r->in.p + r->in.len, READ_CHUNK);
		if (n > 0) {
			r->in.len += (size_t)n;
			r->in.p[r->in.len] = '\0';
			return 0;
		}
		if (n == 0) {
			r->eof = 1;
			return 0;
		}
		/* A signal handler's flag is for the caller to see. */
		if (errno == EINTR)
			return LINEIO_ERR;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (r->nonblock)
				return LINEIO_AGAIN;
			if (wait_fd(r->fd, POLLIN) < 0)
				return LINEIO_ERR;
			continue;
		}
		return LINEIO_ERR;
	}
}

/* 1 if the line gave a record, 0 if it was blank or bad. */
static int
parse_line(struct lineio_reader *r, const char *line, size_t len,
	   struct record *rec)
{
	const char *err = NULL;
	size_t col = 0;
	enum expo_result res;

	if (len == 0)
		return 0;
	if (len > OBS_LINE_MAX) {
		report(r, "line too long", 0, 0);
		return 0;
	}
	if (line[0] == '{') {
		if (logentry_parse(line, len, rec, &err, &col) < 0) {
			report(r, err, col, 1);
			return 0;
		}
	} else {
		res = expo_parse_line(&r->ex, line, len, rec, &err, &col);
		if (res == EXPO_ERROR) {
			report(r, err, col, 1);
			return 0;
		}
		if (res != EXPO_SAMPLE && res != EXPO_META &&
		    res != EXPO_COMMENT)
			return 0;
	}
	rec->raw = line;
	rec->raw_len = len;
	r->lines++;
	return 1;
}

int
lineio_read_line(struct lineio_reader *r, const char **linep, size_t *lenp)
{
	for (;;) {
		const char *line, *nl = NULL, *q;
		size_t len;
		int n;

		if (r->next_nl != SIZE_MAX) {
			nl = r->in.p + r->next_nl;
			r->next_nl = SIZE_MAX;
		} else if (r->scan < r->in.len) {
			nl = memchr(r->in.p + r->scan, '\n', r->in.len - r->scan);
		}
		if (nl != NULL) {
			line = r->in.p + r->pos;
			len = (size_t)(nl - line);
			r->pos = r->scan = (size_t)(nl - r->in.p) + 1;
			/* Where the next line ends, for lineio_pending() and the
			 * next call: one search per line. */
			q = memchr(r->in.p + r->scan, '\n', r->in.len - r->scan);
			if (q != NULL)
				r->next_nl = (size_t)(q - r->in.p);
			else
				r->scan = r->in.len;
			if (r->skipping) {
				r->skipping = 0;
				continue;
			}
		} else if (r->eof) {
			if (r->pos == r->in.len || r->skipping) {
				r->skipping = 0;
				r->pos = r->scan = r->in.len;
				return LINEIO_EOF;
			}
			/* A last line without a newline is still a line. */
			line = r->in.p + r->pos;
			len = r->in.len - r->pos;
			r->pos = r->scan = r->in.len;
		} else {
			r->scan = r->in.len;
			n = fill(r);
			if (n < 0)
				return n;
			continue;
		}
		r->lineno++;
		if (len > 0) {
			*linep = line;
			*lenp = len;
			return LINEIO_OK;
		}
	}
}

int
lineio_parse(struct lineio_reader *r, const char *line, size_t len,
	     struct record *rec)
{
	return parse_line(r, line, len, rec);
}

int
lineio_read(struct lineio_reader *r, struct record *rec)
{
	for (;;) {
		const char *line;
		size_t len;
		int n = lineio_read_line(r, &line, &len);

		if (n != LINEIO_OK)
			return n;
		if (parse_line(r, line, len, rec))
			return LINEIO_OK;
	}
}

int
lineio_pending(const struct lineio_reader *r)
{
	if (r->eof || r->next_nl != SIZE_MAX)
		return 1;
	return r->scan < r->in.len &&
	    memchr(r->in.p + r->scan, '\n', r->in.len - r->scan) != NULL;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Room for n more bytes and the NUL, as buf_add() makes it, without a
 * call while there is. */
static inline int
room(struct buf *b, size_t n)
{
	return b->cap - b->len > n ? 0 : buf_grow(b, n);
}

/* The body of a log line, unescaped; *bad is where a bad escape starts. */
static int
unescape_at(struct buf *out, const char *s, size_t n, size_t *bad)
{
	size_t i = 0, start = out->len;

	for (;;) {
		const char *bs = i < n ? memchr(s + i, '\\', n - i) : NULL;
		size_t run = (bs != NULL ? (size_t)(bs - s) : n) - i;
		int ch, h1, h2, elen = 2;

		if (bs == NULL) {
			if (room(out, run) < 0)
				goto fail;
			memcpy(out->p + out->len, s + i, run);
			out->len += run;
			out->p[out->len] = '\0';
			return 0;
		}
		i += run;
		if (i + 1 >= n)
			goto inval;
		switch (s[i + 1]) {
		case '\\': ch = '\\'; break;
		case '"': ch = '"'; break;
		case 'n': ch = '\n'; break;
		case 'r': ch = '\r'; break;
		case 't': ch = '\t'; break;
		case 'x':
			if (i + 3 >= n || (h1 = hexval(s[i + 2])) < 0 ||
			    (h2 = hexval(s[i + 3])) < 0)
				goto inval;
			ch = h1 << 4 | h2;
			elen = 4;
			break;
		default:
			goto inval;
		}
		if (room(out, run + 1) < 0)
			goto fail;
		memcpy(out->p + out->len, s + i - run, run);
		out->len += run;
		out->p[out->len++] = (char)ch;
		i += (size_t)elen;
	}
inval:
	*bad = i;
	errno = EINVAL;
fail:
	buf_truncate(out, start);
	return -1;
}

int
logline_unescape(struct buf *out, const char *s, size_t n)
{
	size_t bad;

	return unescape_at(out, s, n, &bad);
}

int
logline_escape(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0, start = out->len;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[4] = { '\\', 0, 0, 0 };
		size_t elen = 2;

		switch (ch) {
		case '\\': esc[1] = '\\'; break;
		case '"': esc[1] = '"'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			if (ch >= 0x20 && ch != 0x7f)
				continue;
			esc[1] = 'x';
			esc[2] = hex[ch >> 4];
			esc[3] = hex[ch & 0xf];
			elen = 4;
		}
		if (buf_add(out, s + run, i - run) < 0 || buf_add(out, esc, elen) < 0)
			goto fail;
		run = i + 1;
	}
	if (buf_add(out, s + run, n - run) < 0)
		goto fail;
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

size_t
logentry_labels_end(const char *line, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++) {
		if (line[i] == '}')
			return i + 1;
		if (line[i] != '"')
			continue;
		for (i++; i < len && line[i] != '"'; i++)
			if (line[i] == '\\')
				i++;
	}
	return 0;
}

static int
is_lowhex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Bytes a log line body does not hold as they are. */
static const unsigned char tail_stop[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f] = 1,
};

int
logentry_tail(const char *s, size_t n, int64_t *ts, const char **body,
	      size_t *blen, int *esc)
{
	static const char imax[] = "9223372036854775807";
	const char *e = s + n, *q;
	uint64_t v = 0;
	size_t nd;

	if (n < 5 || s[0] != ' ' || e[-1] != '"')
		return -1;
	for (q = s + 1; q < e && *q >= '0' && *q <= '9'; q++)
		v = v * 10 + (uint64_t)(*q - '0');
	nd = (size_t)(q - s - 1);
	if (nd == 0 || nd > 19 || (nd > 1 && s[1] == '0') ||
	    (nd == 19 && memcmp(s + 1, imax, 19) > 0) ||
	    e - q < 3 || q[0] != ' ' || q[1] != '"')
		return -1;
	*ts = (int64_t)v;
	*body = q + 2;
	*blen = (size_t)(e - q - 3);
	*esc = 0;
	for (q += 2, e--; q < e; q++) {
		unsigned char c;
		uint64_t w;
		int x;

		while (e - q >= 8) {
			memcpy(&w, q, 8);
			if (lineio_word_has_below(w, 0x20) |
			    lineio_word_has(w, '"') | lineio_word_has(w, '\\') |
			    lineio_word_has(w, 0x7f))
				break;
			q += 8;
		}
		while (q < e && !tail_stop[(unsigned char)*q])
			q++;
		if (q >= e)
			break;
		c = (unsigned char)*q;
		if (c != '\\' || q + 1 >= e)
			return -1;
		*esc = 1;
		switch (*++q) {
		case '\\': case '"': case 'n': case 'r': case 't':
			continue;
		case 'x':
			if (e - q < 3 || !is_lowhex(q[1]) || !is_lowhex(q[2]))
				return -1;
			x = hexval(q[1]) << 4 | hexval(q[2]);
			if ((x >= 0x20 && x != 0x7f) || x == '\n' ||
			    x == '\r' || x == '\t')
				return -1;
			q += 2;
			continue;
		default:
			return -1;
		}
	}
	return 0;
}

static int
entry_fail(const char **err, size_t *errcol, const char *why, size_t col)
{
	*err = why;
	*errcol = col;
	return -1;
}

int
logentry_parse(const char *line, size_t len, struct record *rec,
	       const char **err, size_t *errcol)
{
	size_t pos = 0, start, body, j, bad = 0;

	labels_reset(&rec->labels);
	buf_reset(&rec->meta_name);
	buf_reset(&rec->text);
	rec->kind = REC_LOG;
	rec->meta = META_NONE;
	rec->value = 0;
	rec->ts = 0;
	rec->has_ts = 1;
	rec->raw = line;
	rec->raw_len = len;

	if (expo_parse_labelset(line, len, &pos, &rec->labels, err, errcol) < 0)
		return -1;
	if (pos < len && !is_blank((unsigned char)line[pos]))
		return entry_fail(err, errcol, "expected blank after label set", pos);
	while (pos < len && is_blank((unsigned char)line[pos]))
		pos++;
	start = pos;
	while (pos < len && line[pos] >= '0' && line[pos] <= '9')
		pos++;
	if (pos == start)
		return entry_fail(err, errcol, "expected timestamp", start);
	if ((pos < len && !is_blank((unsigned char)line[pos])) ||
	    parse_i64(line + start, pos - start, 0, INT64_MAX, &rec->ts) < 0)
		return entry_fail(err, errcol, "invalid timestamp", start);
	while (pos < len && is_blank((unsigned char)line[pos]))
		pos++;
	if (pos >= len || line[pos] != '"')
		return entry_fail(err, errcol, "expected quoted log line", pos);
	body = pos + 1;
	for (j = body; j < len && line[j] != '"'; j++)
		if (line[j] == '\\')
			j++;
	if (j >= len)
		return entry_fail(err, errcol, "unterminated log line", pos);
	if (unescape_at(&rec->text, line + body, j - body, &bad) < 0) {
		if (errno == EINVAL)
			return entry_fail(err, errcol, "invalid escape in log line",
			    body + bad);
		return entry_fail(err, errcol, "out of memory", body);
	}
	pos = j + 1;
	while (pos < len && is_blank((unsigned char)line[pos]))
		pos++;
	if (pos != len)
		return entry_fail(err, errcol, "unexpected text after log line", pos);
	return 0;
}

/* The writer. */

void
lineio_writer_init(struct lineio_writer *w, int fd, const char *name)
{
	w->fd = fd;
	w->name = name != NULL ? name : "-";
	w->lines = 0;
	buf_init(&w->out, WRITER_MAX);
}

void
lineio_writer_free(struct lineio_writer *w)
{
	buf_free(&w->out);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				(void)wait_fd(fd, POLLOUT);
				continue;
			}
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * Writes whole lines in chunks of at most OBS_LINE_ATOMIC bytes (a longer
 * line alone), while at least min bytes are buffered: min OBS_LINE_ATOMIC
 * keeps a short tail for the next line to fill, 1 writes everything.
 */
static int
drain(struct lineio_writer *w, size_t min)
{
	size_t off = 0;
	int r = 0, e = 0;

	while (w->out.len - off >= min && w->out.len > off) {
		const char *p = w->out.p + off, *nl;
		size_t avail = w->out.len - off, n;
		size_t lim = avail < OBS_LINE_ATOMIC ? avail : OBS_LINE_ATOMIC;

		nl = memrchr(p, '\n', lim);
		if (nl == NULL)
			nl = memchr(p + lim, '\n', avail - lim);
		n = nl != NULL ? (size_t)(nl - p) + 1 : avail;
		if (write_all(w->fd, p, n) < 0) {
			e = errno;
			r = -1;
			break;
		}
		off += n;
	}
	buf_consume(&w->out, off);
	if (r < 0)
		errno = e;
	return r;
}

/* Ends a line begun at mark: undone if it could not be formatted whole. */
static int
line_end(struct lineio_writer *w, size_t mark, int ok)
{
	if (ok && w->out.cap - w->out.len > 1) {
		w->out.p[w->out.len++] = '\n';
		w->out.p[w->out.len] = '\0';
	} else if (!ok || buf_addch(&w->out, '\n') < 0) {
		int e = errno;

		buf_truncate(&w->out, mark);
		errno = e;
		return -1;
	}
	w->lines++;
	if (w->out.len >= OBS_LINE_ATOMIC)
		return drain(w, OBS_LINE_ATOMIC);
	return 0;
}

/* A label name as Prometheus 3 writes it: quoted when not [a-zA-Z_]\w*. */
static int
add_name(struct buf *out, const char *s, size_t n)
{
	if (label_name_valid(s, n))
		return buf_add(out, s, n);
	if (buf_addch(out, '"') < 0 || label_escape(out, s, n) < 0)
		return -1;
	return buf_addch(out, '"');
}

static int
add_labels(struct buf *out, const struct labels *ls, int with_name)
{
	size_t i;
	int first = 1;

	if (with_name) {
		size_t nlen = 0;
		const char *name = labels_get(ls, LABELS_NAME, &nlen);

		if (name != NULL && buf_add(out, name, nlen) < 0)
			return -1;
	}
	for (i = 0; i < ls->n; i++) {
		const struct label *l = &ls->v[i];

		if (l->vlen == 0 || (with_name &&
		    l->nlen == sizeof(LABELS_NAME) - 1 &&
		    memcmp(labels_name(ls, i), LABELS_NAME, l->nlen) == 0))
			continue;
		if (buf_addch(out, first ? '{' : ',') < 0 ||
		    add_name(out, labels_name(ls, i), l->nlen) < 0 ||
		    buf_add(out, "=\"", 2) < 0 ||
		    label_escape(out, labels_value(ls, i), l->vlen) < 0 ||
		    buf_addch(out, '"') < 0)
			return -1;
		first = 0;
	}
	if (first)
		return with_name ? 0 : buf_add(out, "{}", 2);
	return buf_addch(out, '}');
}

static int
fmt_sample_slow(struct buf *out, const struct labels *ls, double v,
		int64_t ts_ms, int has_ts)
{
	char val[VALUE_FMT_MAX];
	size_t n = value_format(v, val);

	if (add_labels(out, ls, 1) < 0 || buf_addch(out, ' ') < 0 ||
	    buf_add(out, val, n) < 0)
		return -1;
	return has_ts ? buf_addf(out, " %" PRId64, ts_ms) : 0;
}

/*
 * The fast writer: room for the worst case (every byte escaped) is made
 * once, then bytes go straight in.  Byte classes: what a label name is
 * made of, and what a label value escapes.
 */
enum { WC_NAME = 1, WC_NAME1 = 2, WC_ESC = 4 };

static const unsigned char wcls[256] = {
	['a' ... 'z'] = WC_NAME | WC_NAME1,
	['A' ... 'Z'] = WC_NAME | WC_NAME1,
	['_'] = WC_NAME | WC_NAME1,
	['0' ... '9'] = WC_NAME,
	['\\'] = WC_ESC,
	['"'] = WC_ESC,
	['\n'] = WC_ESC,
};

/* At most 2 bytes out for each byte in, and quotes around a name. */
static size_t
labels_room(const struct labels *ls)
{
	size_t i, need = 2;

	for (i = 0; i < ls->n; i++)
		need += 2 * ((size_t)ls->v[i].nlen + ls->v[i].vlen) + 6;
	return need;
}

static char *
put_escaped(char *p, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (wcls[c] & WC_ESC) {
			*p++ = '\\';
			c = c == '\n' ? 'n' : c;
		}
		*p++ = (char)c;
	}
	return p;
}

/* Copies s to p if it is a plain label name ([a-zA-Z_][a-zA-Z0-9_]*):
 * 1, or 0 (what was copied is to be overwritten). */
static int
put_plain_name(char *p, const char *s, size_t n)
{
	unsigned char all = WC_NAME;
	size_t i;

	if (n == 0 || !(wcls[(unsigned char)s[0]] & WC_NAME1))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		all &= wcls[c];
		p[i] = (char)c;
	}
	return all != 0;
}

static int
is_metric_name_label(const struct labels *ls, size_t i)
{
	return ls->v[i].nlen == sizeof(LABELS_NAME) - 1 &&
	    memcmp(labels_name(ls, i), LABELS_NAME, sizeof(LABELS_NAME) - 1) == 0;
}

/* add_labels() into room made by labels_room(). */
static char *
put_labels(char *p, const struct labels *ls, int with_name)
{
	size_t i;
	int first = 1;

	if (with_name) {
		size_t nlen = 0;
		const char *name = labels_get(ls, LABELS_NAME, &nlen);

		if (name != NULL) {
			memcpy(p, name, nlen);
			p += nlen;
		}
	}
	for (i = 0; i < ls->n; i++) {
		const struct label *l = &ls->v[i];
		const char *name = labels_name(ls, i);

		if (l->vlen == 0 || (with_name && name[0] == '_' &&
		    is_metric_name_label(ls, i)))
			continue;
		*p++ = first ? '{' : ',';
		first = 0;
		/* Copied and checked in one pass; quoted if it was not plain. */
		if (!put_plain_name(p, name, l->nlen)) {
			*p++ = '"';
			p = put_escaped(p, name, l->nlen);
			*p++ = '"';
		} else {
			p += l->nlen;
		}
		*p++ = '=';
		*p++ = '"';
		p = put_escaped(p, labels_value(ls, i), l->vlen);
		*p++ = '"';
	}
	if (!first) {
		*p++ = '}';
	} else if (!with_name) {
		*p++ = '{';
		*p++ = '}';
	}
	return p;
}

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

/* Decimal digits of v, as printf's %" PRId64 " writes them. */
static char *
put_i64(char *p, int64_t v)
{
	char tmp[24], *t = tmp + sizeof(tmp);
	uint64_t u = (uint64_t)v;
	size_t n;

	if (v < 0) {
		*p++ = '-';
		u = -u;
	}
	while (u >= 100) {
		t -= 2;
		memcpy(t, digit_pairs + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		t -= 2;
		memcpy(t, digit_pairs + 2 * u, 2);
	} else {
		*--t = (char)('0' + u);
	}
	n = (size_t)(tmp + sizeof(tmp) - t);
	memcpy(p, t, n);
	return p + n;
}

static int
fmt_sample(struct buf *out, const struct labels *ls, double v, int64_t ts_ms,
	   int has_ts)
{
	char *p;

	if (buf_grow(out, labels_room(ls) + VALUE_FMT_MAX + 24) < 0)
		return fmt_sample_slow(out, ls, v, ts_ms, has_ts);
	p = put_labels(out->p + out->len, ls, 1);
	*p++ = ' ';
	p += value_format(v, p);
	if (has_ts) {
		*p++ = ' ';
		p = put_i64(p, ts_ms);
	}
	*p = '\0';
	out->len = (size_t)(p - out->p);
	return 0;
}

static int
fmt_log(struct buf *out, const struct labels *ls, int64_t ts_ns,
	const char *line, size_t len)
{
	if (add_labels(out, ls, 0) < 0 ||
	    buf_addf(out, " %" PRId64 " \"", ts_ns) < 0 ||
	    logline_escape(out, line, len) < 0)
		return -1;
	return buf_addch(out, '"');
}

/* HELP text escapes of the text format: \\ and \n only. */
static int
help_escape(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int r;

		if (s[i] == '\\')
			r = buf_add(out, "\\\\", 2);
		else if (s[i] == '\n')
			r = buf_add(out, "\\n", 2);
		else
			r = buf_addch(out, s[i]);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int
fmt_meta(struct buf *out, enum meta_kind kind, const char *name, size_t nlen,
	 const char *text, size_t tlen)
{
	static const char *words[] = { NULL, "TYPE", "HELP", "UNIT" };

	if (kind != META_TYPE && kind != META_HELP && kind != META_UNIT) {
		errno = EINVAL;
		return -1;
	}
	if (buf_add(out, "# ", 2) < 0 || buf_addstr(out, words[kind]) < 0 ||
	    buf_addch(out, ' ') < 0)
		return -1;
	if (metric_name_valid(name, nlen)) {
		if (buf_add(out, name, nlen) < 0)
			return -1;
	} else if (buf_addch(out, '"') < 0 || label_escape(out, name, nlen) < 0 ||
	    buf_addch(out, '"') < 0) {
		return -1;
	}
	if (buf_addch(out, ' ') < 0)
		return -1;
	return kind == META_HELP ? help_escape(out, text, tlen) :
	    buf_add(out, text, tlen);
}

int
lineio_format_record(struct buf *out, const struct record *rec)
{
	size_t mark = out->len;
	int r;

	switch (rec->kind) {
	case REC_SAMPLE:
		r = fmt_sample(out, &rec->labels, rec->value, rec->ts,
		    rec->has_ts);
		break;
	case REC_LOG:
		r = fmt_log(out, &rec->labels, rec->ts, buf_cstr(&rec->text),
		    rec->text.len);
		break;
	case REC_COMMENT:
		if (rec->meta != META_NONE)
			r = fmt_meta(out, rec->meta, buf_cstr(&rec->meta_name),
			    rec->meta_name.len, buf_cstr(&rec->text),
			    rec->text.len);
		else if (rec->raw != NULL)
			r = buf_add(out, rec->raw, rec->raw_len);
		else
			r = buf_addch(out, '#');
		break;
	default:
		errno = EINVAL;
		r = -1;
	}
	if (r < 0) {
		int e = errno;

		buf_truncate(out, mark);
		errno = e;
	}
	return r;
}

int
lineio_format_series(struct buf *out, const struct labels *ls)
{
	size_t mark = out->len;
	char *p;

	if (buf_grow(out, labels_room(ls)) == 0) {
		p = put_labels(out->p + out->len, ls, 1);
		*p = '\0';
		out->len = (size_t)(p - out->p);
		return 0;
	}
	if (add_labels(out, ls, 1) < 0) {
		int e = errno;

		buf_truncate(out, mark);
		errno = e;
		return -1;
	}
	return 0;
}

static int
fmt_series(struct buf *out, const char *series, size_t n, double v,
	   int64_t ts_ms, int has_ts)
{
	char *p;

	if (buf_grow(out, n + VALUE_FMT_MAX + 24) < 0)
		return -1;
	p = out->p + out->len;
	memcpy(p, series, n);
	p += n;
	*p++ = ' ';
	p += value_format(v, p);
	if (has_ts) {
		*p++ = ' ';
		p = put_i64(p, ts_ms);
	}
	*p = '\0';
	out->len = (size_t)(p - out->p);
	return 0;
}

int
lineio_write_series(struct lineio_writer *w, const char *series, size_t n,
		    double v, int64_t ts_ms, int has_ts)
{
	size_t mark = w->out.len;

	return line_end(w, mark,
	    fmt_series(&w->out, series, n, v, ts_ms, has_ts) == 0);
}

int
lineio_write_sample(struct lineio_writer *w, const struct labels *ls,
		    double v, int64_t ts_ms, int has_ts)
{
	size_t mark = w->out.len;

	return line_end(w, mark, fmt_sample(&w->out, ls, v, ts_ms, has_ts) == 0);
}

int
lineio_write_log(struct lineio_writer *w, const struct labels *ls,
		 int64_t ts_ns, const char *line, size_t len)
{
	size_t mark = w->out.len;

	return line_end(w, mark, fmt_log(&w->out, ls, ts_ns, line, len) == 0);
}

int
lineio_write_meta(struct lineio_writer *w, enum meta_kind kind,
		  const char *name, const char *text)
{
	size_t mark = w->out.len;

	return line_end(w, mark, fmt_meta(&w->out, kind, name, strlen(name),
	    text, strlen(text)) == 0);
}

int
lineio_write_joined(struct lineio_writer *w, const char *head, size_t hlen,
		    const char *tail, size_t tlen)
{
	size_t mark = w->out.len;
	int ok = buf_grow(&w->out, hlen + tlen) == 0;

	if (ok) {
		memcpy(w->out.p + w->out.len, head, hlen);
		memcpy(w->out.p + w->out.len + hlen, tail, tlen);
		w->out.len += hlen + tlen;
	}
	return line_end(w, mark, ok);
}

int
lineio_write_raw(struct lineio_writer *w, const char *line, size_t len)
{
	size_t mark = w->out.len;

	return line_end(w, mark, buf_add(&w->out, line, len) == 0);
}

int
lineio_write_record(struct lineio_writer *w, const struct record *rec)
{
	size_t mark = w->out.len;

	return line_end(w, mark, lineio_format_record(&w->out, rec) == 0);
}

int
lineio_flush(struct lineio_writer *w)
{
	return drain(w, 1);
}
