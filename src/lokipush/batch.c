/* batch.c: the batch being built, grouped by stream, and its encodings. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include "buf.h"
#include "expo.h"
#include "hash.h"
#include "json.h"
#include "labels.h"
#include "lokipush.h"
#include "obs.h"

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

static struct stream *find_stream(struct lp_batch *b)
{
	uint64_t h = obs_fnv1a64(b->key.p, b->key.len);
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

int lp_batch_add(struct lp_batch *b, const struct labels *ls, int64_t ts,
		 const char *line, size_t len)
{
	struct stream *s;
	struct entry *e;
	size_t off;

	buf_reset(&b->key);
	if (labels_format(&b->key, ls, 0, 1) < 0 || buf_addch(&b->key, 0) < 0)
		return -1;
	b->key.len--;
	s = find_stream(b);
	if (!s)
		return -1;
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

int lp_batch_encode(struct lp_batch *b, struct buf *out)
{
	static const Logproto__StreamAdapter sinit =
		LOGPROTO__STREAM_ADAPTER__INIT;
	static const Logproto__EntryAdapter einit =
		LOGPROTO__ENTRY_ADAPTER__INIT;
	static const Logproto__Timestamp tinit = LOGPROTO__TIMESTAMP__INIT;
	Logproto__PushRequest req = LOGPROTO__PUSH_REQUEST__INIT;
	Logproto__StreamAdapter *sa = NULL, **psa = NULL;
	Logproto__EntryAdapter *ea = NULL, **pea = NULL;
	Logproto__Timestamp *ta = NULL;
	struct entry *tmp = NULL;
	struct lprec_hdr h;
	size_t i, j, k = 0, maxn = 0;
	int ret = -1;

	buf_reset(out);
	memset(&h, 0, sizeof(h));
	h.magic = LPREC_MAGIC;
	h.version = 1;
	h.count = (uint32_t)b->entries;
	h.min_ts = b->min_ts;
	h.max_ts = b->max_ts;
	if (buf_add(out, &h, sizeof(h)) < 0)
		goto out;
	for (i = 0; i < b->ns; i++)
		if (b->s[i].n > maxn)
			maxn = b->s[i].n;
	/* a stable order of streams, so a test can compare bodies */
	qsort(b->s, b->ns, sizeof(*b->s), cmp_stream);
	sa = calloc(b->ns + 1, sizeof(*sa));
	psa = calloc(b->ns + 1, sizeof(*psa));
	ea = calloc(b->entries + 1, sizeof(*ea));
	pea = calloc(b->entries + 1, sizeof(*pea));
	ta = calloc(b->entries + 1, sizeof(*ta));
	tmp = calloc(maxn + 1, sizeof(*tmp));
	if (!sa || !psa || !ea || !pea || !ta || !tmp)
		goto out;
	for (i = 0; i < b->ns; i++) {
		struct stream *s = &b->s[i];

		if (s->unsorted)
			sort_entries(s->e, s->n, tmp);
		sa[i] = sinit;
		sa[i].labels = b->arena.p + s->lab;
		sa[i].n_entries = s->n;
		sa[i].entries = pea + k;
		psa[i] = &sa[i];
		for (j = 0; j < s->n; j++, k++) {
			struct entry *e = &s->e[j];

			ta[k] = tinit;
			ta[k].seconds = e->ts / 1000000000;
			ta[k].nanos = (int32_t)(e->ts % 1000000000);
			ea[k] = einit;
			ea[k].timestamp = &ta[k];
			ea[k].line.data = (uint8_t *)b->arena.p + e->off;
			ea[k].line.len = e->len;
			pea[k] = &ea[k];
		}
	}
	req.n_streams = b->ns;
	req.streams = psa;
	ret = pack(&req, out);
out:
	free(sa);
	free(psa);
	free(ea);
	free(pea);
	free(ta);
	free(tmp);
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
	n = snappy_max_compressed_length(rec->len - sizeof(h));
	if (buf_grow(out, n + 1) < 0)
		return -1;
	if (snappy_compress(rec->p + sizeof(h), rec->len - sizeof(h), out->p,
			    &n) != SNAPPY_OK)
		return -1;
	out->len = n;
	out->p[n] = '\0';
	return 0;
}
