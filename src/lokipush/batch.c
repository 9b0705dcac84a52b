/* batch.c: the batch being built, grouped by stream, and its encodings. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expo.h"
#include "hash.h"
#include "json.h"
#include "labels.h"
#include "lokipush.h"
#include "obs.h"
#include "snappy.h"

#include "push.pb-c.h"
#include "banned.h"

struct entry {
	int64_t ts;
	size_t off;		/* of the line in the arena */
	size_t len;
};

struct stream {
	size_t lab;		/* formatted labels in the arena */
	size_t lablen;
	uint64_t hash;
	struct entry *e;
	size_t n, cap;
	int unsorted;
};

struct lp_batch {
	struct stream *s;
	size_t ns, scap;
	size_t *tab;		/* 1 + stream index, 0 empty; power of 2 */
	size_t tabn;
	struct buf arena;	/* labels and lines */
	struct buf key;		/* scratch: the entry's formatted labels */
	size_t entries, bytes;
	int64_t min_ts, max_ts;
};

struct lp_batch *lp_batch_new(void)
{
	struct lp_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	/* lines are capped at OBS_LINE_MAX, a batch at 64 MiB of them */
	buf_init(&b->arena, 256u << 20);
	buf_init(&b->key, OBS_LINE_MAX);
	return b;
}

static void batch_clear(struct lp_batch *b)
{
	size_t i;

	for (i = 0; i < b->ns; i++)
		free(b->s[i].e);
	b->ns = 0;
	if (b->tab)
		memset(b->tab, 0, b->tabn * sizeof(*b->tab));
	buf_reset(&b->arena);
	b->entries = b->bytes = 0;
}

void lp_batch_free(struct lp_batch *b)
{
	if (!b)
		return;
	batch_clear(b);
	free(b->s);
	free(b->tab);
	buf_free(&b->arena);
	buf_free(&b->key);
	free(b);
}

size_t lp_batch_entries(const struct lp_batch *b)
{
	return b->entries;
}

size_t lp_batch_bytes(const struct lp_batch *b)
{
	return b->bytes;
}

static int rehash(struct lp_batch *b)
{
	size_t n = b->tabn ? b->tabn * 2 : 64, i;
	size_t *t = calloc(n, sizeof(*t));

	if (!t)
		return -1;
	for (i = 0; i < b->ns; i++) {
		size_t j = b->s[i].hash & (n - 1);

		while (t[j])
			j = (j + 1) & (n - 1);
		t[j] = i + 1;
	}
	free(b->tab);
	b->tab = t;
	b->tabn = n;
	return 0;
}

static struct stream *find_stream(struct lp_batch *b, uint64_t h)
{
	struct stream *s;
	size_t j;
	long off;

	if ((b->ns + 1) * 2 > b->tabn && rehash(b) < 0)
		return NULL;
	for (j = h & (b->tabn - 1); b->tab[j]; j = (j + 1) & (b->tabn - 1)) {
		s = &b->s[b->tab[j] - 1];
		if (s->hash == h && s->lablen == b->key.len &&
		    memcmp(b->arena.p + s->lab, b->key.p, b->key.len) == 0)
			return s;
	}
	if (b->ns == b->scap) {
		size_t c = b->scap ? b->scap * 2 : 16;
		struct stream *v = realloc(b->s, c * sizeof(*v));

		if (!v)
			return NULL;
		b->s = v;
		b->scap = c;
	}
	off = (long)b->arena.len;
	if (buf_add(&b->arena, b->key.p, b->key.len + 1) < 0)
		return NULL;
	s = &b->s[b->ns];
	memset(s, 0, sizeof(*s));
	s->lab = (size_t)off;
	s->lablen = b->key.len;
	s->hash = h;
	b->tab[j] = ++b->ns;
	return s;
}

uint64_t lp_stream_hash(const char *key, size_t len)
{
	return obs_fnv1a64(key, len);
}

int lp_batch_add(struct lp_batch *b, const struct labels *ls, int64_t ts,
		 const char *line, size_t len)
{
	buf_reset(&b->key);
	if (labels_format(&b->key, ls, 0, 1) < 0)
		return -1;
	return lp_batch_add_key(b, buf_cstr(&b->key), b->key.len,
				lp_stream_hash(b->key.p, b->key.len), NULL,
				ts, line, len);
}

int lp_batch_add_key(struct lp_batch *b, const char *key, size_t klen,
		     uint64_t hash, size_t *hint, int64_t ts, const char *line,
		     size_t len)
{
	struct stream *s = NULL;
	struct entry *e;
	size_t off;

	if (hint && *hint < b->ns) {
		s = &b->s[*hint];
		if (s->hash != hash || s->lablen != klen ||
		    memcmp(b->arena.p + s->lab, key, klen) != 0)
			s = NULL;
	}
	if (!s) {
		if (key != b->key.p) {
			buf_reset(&b->key);
			if (buf_add(&b->key, key, klen) < 0)
				return -1;
		}
		s = find_stream(b, hash);
		if (!s)
			return -1;
		if (hint)
			*hint = (size_t)(s - b->s);
	}
	if (s->n == s->cap) {
		size_t c = s->cap ? s->cap * 2 : 8;

		e = realloc(s->e, c * sizeof(*e));
		if (!e)
			return -1;
		s->e = e;
		s->cap = c;
	}
	off = b->arena.len;
	if (buf_add(&b->arena, line, len) < 0)
		return -1;
	e = &s->e[s->n];
	if (s->n && ts < s->e[s->n - 1].ts)
		s->unsorted = 1;
	e->ts = ts;
	e->off = off;
	e->len = len;
	s->n++;
	if (!b->entries || ts < b->min_ts)
		b->min_ts = ts;
	if (!b->entries || ts > b->max_ts)
		b->max_ts = ts;
	b->entries++;
	b->bytes += len;
	return 0;
}

/* Entries of a stream in time order, equal times in the order read. */
static void sort_entries(struct entry *e, size_t n, struct entry *tmp)
{
	size_t m = n / 2, i = 0, j = m, k = 0;

	if (n < 2)
		return;
	sort_entries(e, m, tmp);
	sort_entries(e + m, n - m, tmp);
	if (e[m - 1].ts <= e[m].ts)
		return;
	while (i < m && j < n)
		tmp[k++] = e[j].ts < e[i].ts ? e[j++] : e[i++];
	while (i < m)
		tmp[k++] = e[i++];
	while (j < n)
		tmp[k++] = e[j++];
	memcpy(e, tmp, n * sizeof(*e));
}

static int cmp_stream(const void *a, const void *b)
{
	const struct stream *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* Packs a PushRequest from the message arrays given (all built). */
static int pack(Logproto__PushRequest *req, struct buf *out)
{
	size_t n = logproto__push_request__get_packed_size(req);

	if (buf_grow(out, n + 1) < 0)
		return -1;
	logproto__push_request__pack(req, (uint8_t *)out->p + out->len);
	out->len += n;
	out->p[out->len] = '\0';
	return 0;
}

/*
 * The PushRequest is written here, not by protobuf-c: straight from the
 * arena, without a message tree of the batch.  The bytes are the ones
 * protobuf-c packs for the same messages (proto3: zero scalars and empty
 * strings left out, the timestamp message always there), which
 * lp_record_filter_old() and the tests read back with protobuf-c.
 */
static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Timestamp{seconds = 1, nanos = 2} of a time in ns (never negative). */
static size_t ts_len(int64_t ts)
{
	uint64_t sec = (uint64_t)(ts / 1000000000), ns = (uint64_t)(ts % 1000000000);

	return (sec ? 1 + varint_len(sec) : 0) + (ns ? 1 + varint_len(ns) : 0);
}

/* EntryAdapter{timestamp = 1, line = 2}, without its own tag and length. */
static size_t entry_len(const struct entry *e)
{
	size_t t = ts_len(e->ts);

	return 1 + varint_len(t) + t +
	       (e->len ? 1 + varint_len(e->len) + e->len : 0);
}

static size_t stream_len(const struct stream *s)
{
	size_t n = s->lablen ? 1 + varint_len(s->lablen) + s->lablen : 0, j;

	for (j = 0; j < s->n; j++) {
		size_t el = entry_len(&s->e[j]);

		n += 1 + varint_len(el) + el;
	}
	return n;
}

static uint8_t *put_stream(uint8_t *p, const struct lp_batch *b,
			   const struct stream *s)
{
	size_t j;

	if (s->lablen) {
		*p++ = 0x0a;
		p = put_varint(p, s->lablen);
		memcpy(p, b->arena.p + s->lab, s->lablen);
		p += s->lablen;
	}
	for (j = 0; j < s->n; j++) {
		const struct entry *e = &s->e[j];
		uint64_t sec = (uint64_t)(e->ts / 1000000000);
		uint64_t ns = (uint64_t)(e->ts % 1000000000);

		*p++ = 0x12;
		p = put_varint(p, entry_len(e));
		*p++ = 0x0a;
		p = put_varint(p, ts_len(e->ts));
		if (sec) {
			*p++ = 0x08;
			p = put_varint(p, sec);
		}
		if (ns) {
			*p++ = 0x10;
			p = put_varint(p, ns);
		}
		if (e->len) {
			*p++ = 0x12;
			p = put_varint(p, e->len);
			memcpy(p, b->arena.p + e->off, e->len);
			p += e->len;
		}
	}
	return p;
}

int lp_batch_encode(struct lp_batch *b, struct buf *out)
{
	struct entry *tmp = NULL;
	struct lprec_hdr h;
	size_t i, maxn = 0, total = 0, *slen = NULL;
	uint8_t *p;
	int ret = -1;

	buf_reset(out);
	memset(&h, 0, sizeof(h));
	h.magic = LPREC_MAGIC;
	h.version = 1;
	h.count = (uint32_t)b->entries;
	h.min_ts = b->min_ts;
	h.max_ts = b->max_ts;
	for (i = 0; i < b->ns; i++)
		if (b->s[i].n > maxn)
			maxn = b->s[i].n;
	/* a stable order of streams, so a test can compare bodies */
	qsort(b->s, b->ns, sizeof(*b->s), cmp_stream);
	tmp = calloc(maxn + 1, sizeof(*tmp));
	slen = calloc(b->ns + 1, sizeof(*slen));
	if (!tmp || !slen)
		goto out;
	for (i = 0; i < b->ns; i++) {
		if (b->s[i].unsorted)
			sort_entries(b->s[i].e, b->s[i].n, tmp);
		slen[i] = stream_len(&b->s[i]);
		total += 1 + varint_len(slen[i]) + slen[i];
	}
	if (buf_grow(out, sizeof(h) + total) < 0)
		goto out;
	memcpy(out->p, &h, sizeof(h));
	p = (uint8_t *)out->p + sizeof(h);
	for (i = 0; i < b->ns; i++) {
		*p++ = 0x0a;
		p = put_varint(p, slen[i]);
		p = put_stream(p, b, &b->s[i]);
	}
	out->len = sizeof(h) + total;
	out->p[out->len] = '\0';
	ret = (size_t)((char *)p - out->p) == out->len ? 0 : -1;
out:
	free(tmp);
	free(slen);
	batch_clear(b);
	return ret;
}

static Logproto__PushRequest *unpack(const struct buf *rec,
				     struct lprec_hdr *h)
{
	if (rec->len < sizeof(*h))
		return NULL;
	memcpy(h, rec->p, sizeof(*h));
	if (h->magic != LPREC_MAGIC || h->version != 1)
		return NULL;
	return logproto__push_request__unpack(
		NULL, rec->len - sizeof(*h),
		(const uint8_t *)rec->p + sizeof(*h));
}

static int64_t entry_ts(const Logproto__EntryAdapter *e)
{
	if (!e->timestamp)
		return 0;
	return e->timestamp->seconds * 1000000000 + e->timestamp->nanos;
}

long lp_record_filter_old(struct buf *rec, int64_t cutoff, uint64_t *dropped)
{
	Logproto__PushRequest out = LOGPROTO__PUSH_REQUEST__INIT;
	Logproto__PushRequest *req;
	Logproto__StreamAdapter *sa = NULL, **psa = NULL;
	Logproto__EntryAdapter **pea = NULL;
	struct lprec_hdr h;
	size_t i, j, ns = 0, total = 0, k = 0;
	long kept = 0;
	int64_t lo = 0, hi = 0;

	*dropped = 0;
	req = unpack(rec, &h);
	if (!req)
		return -1;
	for (i = 0; i < req->n_streams; i++)
		total += req->streams[i]->n_entries;
	/* shallow copies that point at the kept entries only */
	sa = calloc(req->n_streams + 1, sizeof(*sa));
	psa = calloc(req->n_streams + 1, sizeof(*psa));
	pea = calloc(total + 1, sizeof(*pea));
	if (!sa || !psa || !pea) {
		kept = -1;
		goto out;
	}
	for (i = 0; i < req->n_streams; i++) {
		Logproto__StreamAdapter *s = req->streams[i];
		size_t first = k;

		for (j = 0; j < s->n_entries; j++) {
			int64_t ts = entry_ts(s->entries[j]);

			if (ts < cutoff) {
				(*dropped)++;
				continue;
			}
			if (!kept || ts < lo)
				lo = ts;
			if (!kept || ts > hi)
				hi = ts;
			kept++;
			pea[k++] = s->entries[j];
		}
		if (k == first)
			continue;
		sa[ns] = *s;
		sa[ns].entries = pea + first;
		sa[ns].n_entries = k - first;
		psa[ns] = &sa[ns];
		ns++;
	}
	out.n_streams = ns;
	out.streams = psa;
	buf_truncate(rec, sizeof(h));
	h.count = (uint32_t)kept;
	h.min_ts = lo;
	h.max_ts = hi;
	memcpy(rec->p, &h, sizeof(h));
	if (pack(&out, rec) < 0)
		kept = -1;
out:
	free(sa);
	free(psa);
	free(pea);
	logproto__push_request__free_unpacked(req, NULL);
	return kept;
}

/* {"streams":[{"stream":{..},"values":[["NS","line"],..]},..]} */
static int json_body(const Logproto__PushRequest *req, struct buf *out)
{
	struct labels ls;
	size_t i, j, k;
	int ret = -1;

	labels_init(&ls);
	if (buf_addstr(out, "{\"streams\":[") < 0)
		goto out;
	for (i = 0; i < req->n_streams; i++) {
		const Logproto__StreamAdapter *s = req->streams[i];
		const char *err;
		size_t pos = 0, col;

		labels_reset(&ls);
		if (expo_parse_labelset(s->labels, strlen(s->labels), &pos, &ls,
					&err, &col) < 0) {
			errno = EINVAL;
			goto out;
		}
		if (buf_addstr(out, i ? ",{\"stream\":{" : "{\"stream\":{") < 0)
			goto out;
		for (k = 0; k < ls.n; k++) {
			const char *v = labels_value(&ls, k);

			if ((k && buf_addch(out, ',') < 0) ||
			    json_quote(out, labels_name(&ls, k),
				       strlen(labels_name(&ls, k))) < 0 ||
			    buf_addch(out, ':') < 0 ||
			    json_quote(out, v, strlen(v)) < 0)
				goto out;
		}
		if (buf_addstr(out, "},\"values\":[") < 0)
			goto out;
		for (j = 0; j < s->n_entries; j++) {
			const Logproto__EntryAdapter *e = s->entries[j];

			if (buf_addf(out, "%s[\"%lld\",", j ? "," : "",
				     (long long)entry_ts(e)) < 0 ||
			    json_quote(out, (const char *)e->line.data,
				       e->line.len) < 0 ||
			    buf_addch(out, ']') < 0)
				goto out;
		}
		if (buf_addstr(out, "]}") < 0)
			goto out;
	}
	ret = buf_addstr(out, "]}");
out:
	labels_free(&ls);
	return ret;
}

int lp_record_body(const struct buf *rec, enum lp_format f, struct buf *out)
{
	struct lprec_hdr h;
	size_t n;
	int ret;

	buf_reset(out);
	if (f == LP_JSON) {
		Logproto__PushRequest *req = unpack(rec, &h);

		if (!req)
			return -1;
		ret = json_body(req, out);
		logproto__push_request__free_unpacked(req, NULL);
		return ret;
	}
	if (rec->len < sizeof(h))
		return -1;
	if (rec->len - sizeof(h) > SNAPPY_LEN_MAX)
		return -1;
	n = snappy_max_encoded_length(rec->len - sizeof(h));
	if (buf_grow(out, n + 1) < 0)
		return -1;
	n = snappy_encode(rec->p + sizeof(h), rec->len - sizeof(h), out->p);
	out->len = n;
	out->p[n] = '\0';
	return 0;
}
