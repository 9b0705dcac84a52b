/* seen.c: a scrape's lines kept compact until written, and its series for the next scrape's staleness markers. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "scrapecol.h"
#include "banned.h"

/* Keys are at most this long: a series key comes from one line of a
 * body, and lines are cut at the body's limit. */
#define KEY_MAX (SC_BLOCK_MAX / 2)

static void
key_init(struct seen_key *k)
{
	buf_init(&k->text, KEY_MAX);
	k->seg = NULL;
	k->nseg = k->segcap = 0;
}

static void
key_free(struct seen_key *k)
{
	buf_free(&k->text);
	free(k->seg);
	key_init(k);
}

/* Room for n segments (n + 1 offsets). */
static int
key_segs_grow(struct seen_key *k, size_t n)
{
	size_t ncap = k->segcap ? k->segcap : 16;
	uint32_t *ns;

	while (ncap < n + 1)
		ncap *= 2;
	if (ncap > SIZE_MAX / sizeof(*ns)) {
		errno = ENOMEM;
		return -1;
	}
	ns = realloc(k->seg, ncap * sizeof(*ns));
	if (ns == NULL)
		return -1;
	k->seg = ns;
	k->segcap = ncap;
	return 0;
}

static inline int
key_segs(struct seen_key *k, size_t n)
{
	return n + 1 <= k->segcap ? 0 : key_segs_grow(k, n);
}

/* Cuts k's text into segments: after '{' and each ',' outside quotes.
 * Any cut would do (the code is exact either way); these make the
 * segments labels, which is what changes from one key to the next. */
static int
key_split(struct seen_key *k)
{
	const char *p = k->text.p, *c = p, *end = p + k->text.len;

	k->nseg = 0;
	if (key_segs(k, 8) < 0)
		return -1;
	k->seg[0] = 0;
	/* text is NUL-terminated; a NUL within it is a plain byte */
	while (c < end) {
		c += strcspn(c, "\"{,");
		if (c >= end)
			break;
		if (*c == '"') {
			for (c++; c < end; c++) {
				c += strcspn(c, "\"\\");
				if (c >= end || *c == '"')
					break;
				if (*c == '\\' && c + 1 < end)
					c++;
			}
			if (c >= end)
				break;
		} else if (*c != '\0' && c + 1 < end) {
			if (key_segs(k, k->nseg + 2) < 0)
				return -1;
			k->seg[++k->nseg] = (uint32_t)(c + 1 - p);
		}
		c++;
	}
	k->seg[++k->nseg] = (uint32_t)k->text.len;
	return 0;
}

static inline int key_put(struct seen_key *k, const char *p, size_t n);

static int
key_copy(struct seen_key *dst, const struct seen_key *src)
{
	dst->text.len = 0;
	if (key_put(dst, src->text.p, src->text.len) < 0 ||
	    key_segs(dst, src->nseg) < 0)
		return -1;
	memcpy(dst->seg, src->seg, (src->nseg + 1) * sizeof(*dst->seg));
	dst->nseg = src->nseg;
	return 0;
}

/* Writes v as a varint at dst (room for 10 bytes): its length. */
static inline size_t
varint_write(char *dst, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		dst[n++] = (char)(v | 0x80);
		v >>= 7;
	}
	dst[n++] = (char)v;
	return n;
}

static int
put_varint(struct buf *b, uint64_t v)
{
	char t[10];

	return buf_add(b, t, varint_write(t, v));
}

static int
get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
	const unsigned char *p = *pp;
	uint64_t x = 0;
	unsigned sh = 0;

	while (p < end && sh < 64) {
		x |= (uint64_t)(*p & 0x7f) << sh;
		if (!(*p++ & 0x80)) {
			*pp = p;
			*v = x;
			return 0;
		}
		sh += 7;
	}
	return -1;
}

/*
 * A record's first byte is its kind, with a bit for how its value is
 * kept: an integer as a zigzag varint, a float exact in 4 bytes, or
 * else the 8 bytes of the double (NaN payloads, the stale marker's
 * among them, are kept as they are).
 */
#define VAL_INT 0x80
#define VAL_F32 0x20
#define KIND(tag) ((tag) & ~(VAL_INT | VAL_F32))

static int
val_code(double v, int64_t *iv, float *fv)
{
	if (v >= -9007199254740992.0 && v <= 9007199254740992.0) {
		int64_t i = (int64_t)v;

		if ((double)i == v && !(i == 0 && signbit(v))) {
			*iv = i;
			return VAL_INT;
		}
	}
	if (fabs(v) <= FLT_MAX) {
		float f = (float)v;

		if ((double)f == v) {
			*fv = f;
			return VAL_F32;
		}
	}
	return 0;
}

/* Writes the value where b has room for 10 bytes: its length. */
static inline size_t
val_write(char *dst, int code, double v, int64_t iv, float fv)
{
	if (code == VAL_INT)
		return varint_write(dst, ((uint64_t)iv << 1) ^
		    (uint64_t)(iv < 0 ? -1 : 0));
	if (code == VAL_F32) {
		memcpy(dst, &fv, 4);
		return 4;
	}
	memcpy(dst, &v, 8);
	return 8;
}

/* Reads a value kept as tag says; -1 if cut short. */
static inline int
val_get(const unsigned char **pp, const unsigned char *end, int tag,
	double *v)
{
	if (tag & VAL_INT) {
		uint64_t u;

		if (get_varint(pp, end, &u) < 0)
			return -1;
		*v = (double)((int64_t)(u >> 1) ^ -(int64_t)(u & 1));
		return 0;
	}
	if (tag & VAL_F32) {
		float f;

		if (end - *pp < 4)
			return -1;
		memcpy(&f, *pp, 4);
		*pp += 4;
		*v = f;
		return 0;
	}
	if (end - *pp < 8)
		return -1;
	memcpy(v, *pp, 8);
	*pp += 8;
	return 0;
}

void
seen_iter_init(struct seen_iter *it)
{
	key_init(&it->k[0]);
	key_init(&it->k[1]);
	seen_iter_rewind(it);
}

void
seen_iter_rewind(struct seen_iter *it)
{
	it->pos = it->idx = 0;
	it->cur = 0;
	buf_reset(&it->k[0].text);
	it->k[0].nseg = 0;
}

void
seen_iter_free(struct seen_iter *it)
{
	key_free(&it->k[0]);
	key_free(&it->k[1]);
}

/* Appends n bytes to a key being decoded: the hot path of reading, so
 * without buf_add()'s checks for overlap. */
static inline int
key_put(struct seen_key *k, const char *p, size_t n)
{
	struct buf *t = &k->text;

	if (t->len + n + 1 > t->cap && buf_grow(t, n) < 0)
		return -1;
	memcpy(t->p + t->len, p, n);
	t->len += n;
	return 0;
}

static inline int
get_varint_fast(const unsigned char **pp, const unsigned char *end,
		uint64_t *v)
{
	if (*pp < end && **pp < 0x80) {
		*v = *(*pp)++;
		return 0;
	}
	return get_varint(pp, end, v);
}

/*
 * Decodes the segments from i on of a key of nseg segments, coded
 * against last, into k, whose segments before i are those of last;
 * -1 if the code is bad.
 */
static int
key_decode_at(const unsigned char **pp, const unsigned char *end,
	      const struct seen_key *last, struct seen_key *k, size_t nseg,
	      size_t i)
{
	uint64_t v, p;

	if (key_segs(k, nseg) < 0)
		return -1;
	k->text.len = 0;
	if (key_put(k, last->text.p, last->seg[i]) < 0)
		return -1;
	memcpy(k->seg, last->seg, (i + 1) * sizeof(*k->seg));
	while (i < nseg) {
		if (get_varint_fast(pp, end, &v) < 0)
			return -1;
		if (!(v & 1)) {		/* a run of segments as in last */
			size_t run = (size_t)(v >> 1), a, base = k->text.len, j;

			if (run == 0 || run > nseg - i || i + run > last->nseg)
				return -1;
			a = last->seg[i];
			if (key_put(k, last->text.p + a,
			    last->seg[i + run] - a) < 0)
				return -1;
			for (j = 1; j <= run; j++)
				k->seg[i + j] = (uint32_t)(base +
				    (last->seg[i + j] - a));
			i += run;
			continue;
		}
		if (get_varint_fast(pp, end, &p) < 0 ||
		    (uint64_t)(end - *pp) < (v >> 1))
			return -1;
		if (p > 0 && (i >= last->nseg ||
		    p > last->seg[i + 1] - last->seg[i]))
			return -1;
		if ((p > 0 && key_put(k, last->text.p + last->seg[i],
		    (size_t)p) < 0) ||
		    key_put(k, (const char *)*pp, (size_t)(v >> 1)) < 0)
			return -1;
		*pp += v >> 1;
		k->seg[++i] = (uint32_t)k->text.len;
	}
	k->nseg = nseg;
	if (k->text.len == 0)
		return -1;
	k->text.p[k->text.len] = '\0';
	return 0;
}

/*
 * Decodes the next key of it: in place over the last one while every
 * segment kept stays where it was (the usual case: a label or two
 * changed at the end, or changed but kept its length), else into the
 * other key from where that stops.  -1 if the code is bad.
 */
static int
key_decode(const unsigned char **pp, const unsigned char *end,
	   struct seen_iter *it)
{
	struct seen_key *k = &it->k[it->cur];
	uint64_t nseg, v, pre;
	size_t i = 0, oldn = k->nseg;

	if (get_varint_fast(pp, end, &nseg) < 0 || nseg == 0 ||
	    nseg > KEY_MAX || key_segs(k, (size_t)nseg) < 0)
		return -1;
	if (oldn == 0)
		k->seg[0] = 0;
	while (i < nseg) {
		const unsigned char *op = *pp;
		size_t len, at;

		if (get_varint_fast(pp, end, &v) < 0)
			return -1;
		if (!(v & 1)) {
			size_t run = (size_t)(v >> 1);

			if (run == 0 || run > nseg - i || i + run > oldn)
				return -1;
			i += run;
			continue;
		}
		if (get_varint_fast(pp, end, &pre) < 0 ||
		    (uint64_t)(end - *pp) < (v >> 1))
			return -1;
		len = (size_t)(v >> 1);
		if (pre > 0 && (i >= oldn || pre > k->seg[i + 1] - k->seg[i]))
			return -1;
		if (i + 1 < nseg && i + 1 < oldn &&
		    pre + len != k->seg[i + 1] - k->seg[i]) {
			/* the segments after this one would move */
			*pp = op;
			if (key_decode_at(pp, end, k, &it->k[!it->cur],
			    (size_t)nseg, i) < 0)
				return -1;
			it->cur = !it->cur;
			return 0;
		}
		at = k->seg[i] + (size_t)pre;
		if (at > 0 && at >= k->text.cap) {
			errno = EINVAL;
			return -1;
		}
		k->text.len = at;
		if (key_put(k, (const char *)*pp, len) < 0)
			return -1;
		*pp += len;
		k->seg[++i] = (uint32_t)k->text.len;
	}
	k->nseg = (size_t)nseg;
	k->text.len = k->seg[nseg];
	if (k->text.len == 0)
		return -1;
	k->text.p[k->text.len] = '\0';
	return 0;
}

int
seen_next(const struct seen *s, struct seen_iter *it, struct seen_rec *r)
{
	const unsigned char *base = (const unsigned char *)s->enc.p;
	const unsigned char *p = base + it->pos, *end = base + s->enc.len;
	uint64_t len;
	int tag;

	if (it->pos >= s->enc.len)
		return 0;
	tag = *p++;
	r->kind = KIND(tag);
	if (r->kind == SEEN_COMMENT) {
		if (get_varint(&p, end, &len) < 0 ||
		    (uint64_t)(end - p) < len)
			return -1;
		r->text = (const char *)p;
		r->len = (size_t)len;
		it->pos = (size_t)(p + len - base);
		return 1;
	}
	if (r->kind != SEEN_SAMPLE && r->kind != SEEN_OWN_TS)
		return -1;
	r->enc = (size_t)(p - base);
	if (key_decode(&p, end, it) < 0)
		return -1;
	r->enclen = (size_t)(p - base) - r->enc;
	if (val_get(&p, end, tag, &r->value) < 0)
		return -1;
	r->ts = 0;
	if (r->kind == SEEN_OWN_TS) {
		if (end - p < 8)
			return -1;
		memcpy(&r->ts, p, 8);
		p += 8;
	}
	r->text = it->k[it->cur].text.p;
	r->len = it->k[it->cur].text.len;
	r->seg = it->k[it->cur].seg;
	r->nseg = it->k[it->cur].nseg;
	r->idx = it->idx++;
	it->pos = (size_t)(p - base);
	return 1;
}

void
seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->enc, SC_BLOCK_MAX);
	buf_init(&s->ktext, SC_BLOCK_MAX);
	key_init(&s->last);
	key_init(&s->scratch);
	seen_iter_init(&s->rd);
	seen_iter_init(&s->ra);
}

void
seen_reset(struct seen *s)
{
	buf_reset(&s->enc);
	if (s->ntab > 0)
		memset(s->tab, 0, s->cap * sizeof(*s->tab));
	if (s->markcap > 0)
		memset(s->mark, 0, s->markcap);
	s->n = s->marked = s->nrestart = s->ntab = 0;
	s->taball = 0;
	buf_free(&s->ktext);
	free(s->koff);
	free(s->klen);
	s->koff = s->klen = NULL;
	s->kcap = 0;
	buf_reset(&s->last.text);
	s->last.nseg = 0;
	seen_iter_rewind(&s->rd);
	s->peeked = s->rdstale = 0;
	s->step = 0;
}

void
seen_trim(struct seen *s)
{
	if (s->taball)
		return;
	free(s->tab);
	s->tab = NULL;
	s->cap = s->ntab = 0;
}

void
seen_free(struct seen *s)
{
	buf_free(&s->enc);
	buf_free(&s->ktext);
	free(s->koff);
	free(s->klen);
	free(s->mark);
	free(s->restart);
	free(s->tab);
	key_free(&s->last);
	key_free(&s->scratch);
	seen_iter_free(&s->rd);
	seen_iter_free(&s->ra);
	memset(s, 0, sizeof(*s));
	seen_init(s);
}

void
seen_swap(struct seen *a, struct seen *b)
{
	struct seen t = *a;

	*a = *b;
	*b = t;
	seen_iter_rewind(&a->rd);
	seen_iter_rewind(&b->rd);
	a->peeked = b->peeked = 0;
	a->rdstale = b->rdstale = 0;
	a->step = b->step = 0;
}

int
seen_marked(const struct seen *s, size_t idx)
{
	return idx < s->n && (s->mark[idx / 8] >> (idx % 8) & 1);
}

/* Marks sample idx: 1, or 2 when it was marked already. */
static int
mark_set(struct seen *s, size_t idx)
{
	if (seen_marked(s, idx))
		return 2;
	s->mark[idx / 8] |= (unsigned char)(1u << (idx % 8));
	s->marked++;
	return 1;
}

static uint32_t
key_hash(const char *key, size_t len)
{
	uint64_t h = obs_fnv1a64(key, len);

	return (uint32_t)(h ^ h >> 32);
}

/* Reads sample idx into s->ra (from the nearest whole key before it). */
static int
read_at(struct seen *s, size_t idx, struct seen_rec *r)
{
	size_t ri = idx / SEEN_RESTART;

	if (ri >= s->nrestart)
		return -1;
	seen_iter_rewind(&s->ra);
	s->ra.pos = s->restart[ri];
	s->ra.idx = ri * SEEN_RESTART;
	for (;;) {
		int k = seen_next(s, &s->ra, r);

		if (k <= 0)
			return -1;
		if (r->kind != SEEN_COMMENT && r->idx == idx)
			return 0;
	}
}

/* The table's slot of key, or the empty one where it would go; -1 on a
 * damaged record. */
static int
slot_find(struct seen *s, uint32_t h, const char *key, size_t len,
	  struct seen_slot **out)
{
	size_t mask = s->cap - 1, i = h & mask;
	struct seen_rec r;

	for (;;) {
		struct seen_slot *sl = &s->tab[i];

		if (sl->idx1 == 0) {
			*out = sl;
			return 0;
		}
		if (sl->hash == h && s->taball) {
			size_t j = sl->idx1 - 1;

			if (s->klen[j] == len && memcmp(s->ktext.p + s->koff[j],
			    key, len) == 0) {
				*out = sl;
				return 0;
			}
		} else if (sl->hash == h) {
			if (read_at(s, sl->idx1 - 1, &r) < 0)
				return -1;
			if (r.len == len && memcmp(r.text, key, len) == 0) {
				*out = sl;
				return 0;
			}
		}
		i = (i + 1) & mask;
	}
}

/* Room in the table for want keys, kept at most 3/4 full. */
static int
tab_room(struct seen *s, size_t want)
{
	struct seen_slot *old = s->tab, *nt;
	size_t ocap = s->cap, ncap = s->cap ? s->cap : 1024, i;

	if (want * 4 <= s->cap * 3)
		return 0;
	while (want * 4 > ncap * 3)
		ncap *= 2;
	if (ncap > SIZE_MAX / sizeof(*nt)) {
		errno = ENOMEM;
		return -1;
	}
	nt = calloc(ncap, sizeof(*nt));
	if (nt == NULL)
		return -1;
	s->tab = nt;
	s->cap = ncap;
	for (i = 0; i < ocap; i++) {	/* the hashes are kept: no reads */
		size_t j;

		if (old[i].idx1 == 0)
			continue;
		for (j = old[i].hash & (ncap - 1); nt[j].idx1 != 0;
		    j = (j + 1) & (ncap - 1))
			;
		nt[j] = old[i];
	}
	free(old);
	return 0;
}

/* Every tracked sample of s in its table, for lookups out of order. */
static int
tab_fill(struct seen *s)
{
	struct seen_iter *it = &s->ra;
	struct seen_rec r;
	int k;

	if (s->taball)
		return 0;
	if (s->ntab > 0)
		memset(s->tab, 0, s->cap * sizeof(*s->tab));
	s->ntab = 0;
	if (tab_room(s, s->n) < 0)
		return -1;
	if (s->kcap < s->n) {
		uint32_t *no = realloc(s->koff, s->n * sizeof(*no)), *nl;

		if (no == NULL)
			return -1;
		s->koff = no;
		nl = realloc(s->klen, s->n * sizeof(*nl));
		if (nl == NULL)
			return -1;
		s->klen = nl;
		s->kcap = s->n;
	}
	buf_reset(&s->ktext);
	seen_iter_rewind(it);
	while ((k = seen_next(s, it, &r)) > 0) {
		uint32_t h;
		size_t j;

		if (r.kind != SEEN_SAMPLE)
			continue;
		if (s->ktext.len > UINT32_MAX - r.len) {
			errno = EMSGSIZE;
			return -1;
		}
		s->koff[r.idx] = (uint32_t)s->ktext.len;
		s->klen[r.idx] = (uint32_t)r.len;
		if (buf_add(&s->ktext, r.text, r.len) < 0)
			return -1;
		h = key_hash(r.text, r.len);
		for (j = h & (s->cap - 1); s->tab[j].idx1 != 0;
		    j = (j + 1) & (s->cap - 1))
			;
		s->tab[j].hash = h;
		s->tab[j].idx1 = (uint32_t)r.idx + 1;
		s->ntab++;
	}
	if (k < 0) {
		errno = EINVAL;
		return -1;
	}
	s->taball = 1;
	return 0;
}

/* Looks key up in prev's table: its sample index + 1, or 0. */
static int
prev_find(struct seen *prev, const char *key, size_t len, size_t *idx1)
{
	struct seen_slot *sl;

	if (tab_fill(prev) < 0 ||
	    slot_find(prev, key_hash(key, len), key, len, &sl) < 0)
		return -1;
	*idx1 = sl->idx1;
	return 0;
}

/* The next tracked sample of prev at its cursor, into prev->peek: 1,
 * 0 at the end, -1 if damaged.  Untracked ones are read past. */
static int
prev_peek(struct seen *prev)
{
	int k;

	if (prev->peeked)
		return 1;
	while ((k = seen_next(prev, &prev->rd, &prev->peek)) > 0)
		if (prev->peek.kind == SEEN_SAMPLE) {
			prev->peeked = 1;
			return 1;
		}
	return k;
}

/* Moves prev's cursor past sample idx (ahead of it). */
static int
prev_skip_to(struct seen *prev, size_t idx)
{
	for (;;) {
		int k = prev_peek(prev);

		if (k <= 0)
			return -1;
		prev->peeked = 0;
		if (prev->peek.idx == idx)
			return 0;
	}
}

static inline int
mark_room(struct seen *s)
{
	unsigned char *nm;
	size_t ncap;

	if (s->n / 8 < s->markcap)
		return 0;
	ncap = s->markcap ? s->markcap * 2 : 256;
	nm = realloc(s->mark, ncap);
	if (nm == NULL)
		return -1;
	memset(nm + s->markcap, 0, ncap - s->markcap);
	s->mark = nm;
	s->markcap = ncap;
	return 0;
}

/* The record head: its kind, and where a whole key starts. */
static int
rec_begin(struct seen *s, int kind)
{
	if (s->n >= UINT32_MAX - 1 || s->enc.len >= UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (mark_room(s) < 0)
		return -1;
	if (s->n % SEEN_RESTART == 0) {
		if (s->nrestart == s->restartcap) {
			size_t ncap = s->restartcap ? s->restartcap * 2 : 64;
			uint32_t *nr = realloc(s->restart,
			    ncap * sizeof(*nr));

			if (nr == NULL)
				return -1;
			s->restart = nr;
			s->restartcap = ncap;
		}
		s->restart[s->nrestart++] = (uint32_t)s->enc.len;
	}
	if (s->enc.len + 2 > s->enc.cap && buf_grow(&s->enc, 1) < 0)
		return -1;
	s->enc.p[s->enc.len++] = (char)(unsigned char)kind;
	return 0;
}

/* Codes k (split) against s->last, whole at a restart. */
static int
key_encode(struct seen *s, const struct seen_key *k)
{
	const struct seen_key *l = &s->last;
	int whole = s->n % SEEN_RESTART == 0;
	size_t i, run = 0, o;
	char *d;

	/* at most two varints a segment, and its bytes */
	if (k->nseg > (SIZE_MAX - k->text.len - 10) / 20 ||
	    buf_grow(&s->enc, 10 + 20 * k->nseg + k->text.len) < 0)
		return -1;
	d = s->enc.p;
	o = s->enc.len;
	o += varint_write(d + o, k->nseg);
	for (i = 0; i < k->nseg; i++) {
		const char *a = k->text.p + k->seg[i];
		size_t an = k->seg[i + 1] - k->seg[i], p = 0, ln = 0;
		const char *b = NULL;

		if (!whole && i < l->nseg) {
			b = l->text.p + l->seg[i];
			ln = l->seg[i + 1] - l->seg[i];
			if (an == ln && memcmp(a, b, an) == 0) {
				run++;
				continue;
			}
		}
		if (run > 0)
			o += varint_write(d + o, run << 1);
		run = 0;
		if (b != NULL)
			while (p < an && p < ln && a[p] == b[p])
				p++;
		o += varint_write(d + o, (uint64_t)(an - p) << 1 | 1);
		o += varint_write(d + o, p);
		memcpy(d + o, a + p, an - p);
		o += an - p;
	}
	if (run > 0)
		o += varint_write(d + o, run << 1);
	s->enc.len = o;
	return 0;
}

/* Appends a sample record; code: the key's code when it may be copied
 * (made against the key s->last holds), else NULL. */
static int
rec_sample(struct seen *s, int kind, const struct seen_key *k,
	   const char *code, size_t codelen, double v, int64_t ts)
{
	size_t mark = s->enc.len, nr = s->nrestart;
	int64_t iv = 0;
	float fv = 0;
	int vc = val_code(v, &iv, &fv);

	if (rec_begin(s, kind | vc) < 0)
		return -1;
	if (code != NULL) {
		/* the hot path: one check, plain copies */
		if (buf_grow(&s->enc, codelen + 10) < 0)
			goto fail;
		memcpy(s->enc.p + s->enc.len, code, codelen);
		s->enc.len += codelen;
	} else if (key_encode(s, k) < 0 || buf_grow(&s->enc, 10) < 0) {
		goto fail;
	}
	s->enc.len += val_write(s->enc.p + s->enc.len, vc, v, iv, fv);
	if (kind == SEEN_OWN_TS && buf_add(&s->enc, &ts, 8) < 0)
		goto fail;
	if (k == &s->scratch) {
		struct seen_key t = s->last;

		s->last = s->scratch;
		s->scratch = t;
	} else if (key_copy(&s->last, k) < 0) {
		goto fail;
	}
	s->n++;
	return 0;
fail:
	buf_truncate(&s->enc, mark);
	s->nrestart = nr;
	buf_reset(&s->last.text);
	s->last.nseg = 0;
	return -1;
}

/* A new series of cur: 1 added, 0 when cur has it already. */
static int
put_new(struct seen *cur, const struct seen_key *k, double v)
{
	uint32_t h = key_hash(k->text.p, k->text.len);
	struct seen_slot *sl;

	if (tab_room(cur, cur->ntab + 1) < 0 ||
	    slot_find(cur, h, k->text.p, k->text.len, &sl) < 0)
		return -1;
	if (sl->idx1 != 0)
		return 0;
	if (rec_sample(cur, SEEN_SAMPLE, k, NULL, 0, v, 0) < 0)
		return -1;
	sl->hash = h;
	sl->idx1 = (uint32_t)cur->n;
	cur->ntab++;
	return 1;
}

/* The key at prev's cursor is the one put: marks it there and adds it
 * to cur, copying prev's code of it when cur is in step. */
static int
put_at_cursor(struct seen *cur, struct seen *prev, int step, double v)
{
	const struct seen_key *k = &prev->rd.k[prev->rd.cur];
	size_t at = prev->peek.idx;
	int whole = cur->n % SEEN_RESTART == 0;
	const char *code = NULL;

	prev->peeked = 0;
	if (mark_set(prev, at) == 2)
		return 0;
	if (step && at == cur->step_idx + 1 &&
	    (!whole || at % SEEN_RESTART == 0))
		code = prev->enc.p + prev->peek.enc;
	if (rec_sample(cur, SEEN_SAMPLE, k, code, prev->peek.enclen, v,
	    0) < 0)
		return -1;
	cur->step = 1;
	cur->step_idx = at;
	return 2;
}

/*
 * Whether code (of a key coded against l) is that of key[0..len),
 * without decoding it: 1 with k->seg set to the key's segments and *clen
 * to the code's length, 0 if not, -1 if the code is bad.
 */
static int
code_match(const unsigned char *p, const unsigned char *end,
	   const struct seen_key *l, const char *key, size_t len,
	   struct seen_key *k, size_t *clen)
{
	const unsigned char *p0 = p;
	uint64_t nseg, v, pre;
	size_t i = 0, off = 0;

	if (get_varint_fast(&p, end, &nseg) < 0 || nseg == 0 ||
	    nseg > KEY_MAX || key_segs(k, (size_t)nseg) < 0)
		return -1;
	k->seg[0] = 0;
	while (i < nseg) {
		if (get_varint_fast(&p, end, &v) < 0)
			return -1;
		if (!(v & 1)) {
			size_t run = (size_t)(v >> 1), a, n, j;

			if (run == 0 || run > nseg - i || i + run > l->nseg)
				return -1;
			a = l->seg[i];
			n = l->seg[i + run] - a;
			if (n > len - off ||
			    memcmp(key + off, l->text.p + a, n) != 0)
				return 0;
			for (j = 1; j <= run; j++)
				k->seg[i + j] = (uint32_t)(off +
				    (l->seg[i + j] - a));
			off += n;
			i += run;
			continue;
		}
		if (get_varint_fast(&p, end, &pre) < 0 ||
		    (uint64_t)(end - p) < (v >> 1))
			return -1;
		if (pre > 0 && (i >= l->nseg ||
		    pre > l->seg[i + 1] - l->seg[i]))
			return -1;
		if (pre + (v >> 1) > len - off ||
		    memcmp(key + off, l->text.p + l->seg[i], (size_t)pre) ||
		    memcmp(key + off + pre, p, (size_t)(v >> 1)) != 0)
			return 0;
		off += (size_t)(pre + (v >> 1));
		p += v >> 1;
		k->seg[++i] = (uint32_t)off;
	}
	if (off != len)
		return 0;
	k->nseg = (size_t)nseg;
	*clen = (size_t)(p - p0);
	return 1;
}

/* prev's cursor was moved along without decoding (put_in_step()): its
 * last key is the one cur added last. */
static int
prev_resync(struct seen *cur, struct seen *prev)
{
	if (!prev->rdstale)
		return 0;
	prev->rdstale = 0;
	return key_copy(&prev->rd.k[prev->rd.cur], &cur->last);
}

/*
 * The common case: cur is in step with prev, whose next tracked sample
 * is coded against the key cur added last, so the key put is compared
 * with that code, not decoded.  Returns what seen_put() does, or 3 when
 * the key is not the next one (nothing changed but comments read past).
 */
static int
put_in_step(struct seen *cur, struct seen *prev, const char *key,
	    size_t len, double v)
{
	struct seen_iter *rd = &prev->rd;
	const unsigned char *base = (const unsigned char *)prev->enc.p;
	const unsigned char *p, *end = base + prev->enc.len;
	struct seen_key *k = &cur->scratch;
	size_t clen = 0, at = rd->idx, next;
	int whole = cur->n % SEEN_RESTART == 0;
	const char *code;
	int r;

	while (rd->pos < prev->enc.len && base[rd->pos] == SEEN_COMMENT) {
		uint64_t n;

		p = base + rd->pos + 1;
		if (get_varint(&p, end, &n) < 0 || (uint64_t)(end - p) < n)
			return -1;
		rd->pos = (size_t)(p + n - base);
	}
	if (rd->pos >= prev->enc.len || KIND(base[rd->pos]) != SEEN_SAMPLE)
		return 3;
	p = base + rd->pos + 1;
	r = code_match(p, end, &cur->last, key, len, k, &clen);
	if (r <= 0)
		return r < 0 ? -1 : 3;
	{
		const unsigned char *q = p + clen;
		double pv;

		if (q > end || val_get(&q, end, base[rd->pos], &pv) < 0)
			return -1;
		next = (size_t)(q - base);
	}
	code = (const char *)p;
	k->text.len = 0;
	if (key_put(k, key, len) < 0)
		return -1;
	k->text.p[len] = '\0';
	rd->pos = next;
	rd->idx++;
	if (mark_set(prev, at) == 2) {
		/* given twice: cur's last key stays, prev's cursor has
		 * this one */
		cur->step = 0;
		prev->rdstale = 0;
		return key_copy(&rd->k[rd->cur], k) < 0 ? -1 : 0;
	}
	prev->rdstale = 1;
	if (rec_sample(cur, SEEN_SAMPLE, k, !whole || at % SEEN_RESTART == 0 ?
	    code : NULL, clen, v, 0) < 0)
		return -1;
	cur->step = 1;
	cur->step_idx = at;
	return 2;
}

int
seen_put(struct seen *cur, struct seen *prev, const char *key, size_t len,
	 double v, int has_ts, int64_t ts)
{
	struct seen_key *k = &cur->scratch;
	size_t idx1 = 0, at;
	int r, step = cur->step;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	cur->step = 0;
	if (!has_ts && step && !prev->peeked &&
	    prev->rd.idx == cur->step_idx + 1) {
		r = put_in_step(cur, prev, key, len, v);
		if (r != 3)
			return r;
	}
	if (prev_resync(cur, prev) < 0)
		return -1;
	if (!has_ts && prev->n > 0) {
		r = prev_peek(prev);
		if (r < 0)
			goto bad;
		if (r > 0 && prev->peek.len == len &&
		    memcmp(prev->peek.text, key, len) == 0)
			return put_at_cursor(cur, prev, step, v);
	}
	buf_reset(&k->text);
	if (buf_add(&k->text, key, len) < 0 || key_split(k) < 0)
		return -1;
	if (has_ts)
		return rec_sample(cur, SEEN_OWN_TS, k, NULL, 0, v, ts) < 0 ?
		    -1 : 1;
	if (prev->n > 0 && prev_find(prev, key, len, &idx1) < 0)
		goto bad;
	if (idx1 == 0)
		return put_new(cur, k, v);
	at = idx1 - 1;
	if (mark_set(prev, at) == 2)
		return 0;
	if (rec_sample(cur, SEEN_SAMPLE, k, NULL, 0, v, 0) < 0)
		return -1;
	/* Ahead of the cursor: go there, the keys between went away. */
	if (prev->peeked && prev->peek.idx <= at) {
		if (prev_skip_to(prev, at) < 0)
			goto bad;
		cur->step = 1;
		cur->step_idx = at;
	}
	return 2;
bad:
	if (errno != ENOMEM)
		errno = EINVAL;
	return -1;
}

const struct seen_rec *
seen_peek(struct seen *cur, struct seen *prev)
{
	if (prev->n == 0 || prev_resync(cur, prev) < 0 || prev_peek(prev) <= 0)
		return NULL;
	return &prev->peek;
}

int
seen_take(struct seen *cur, struct seen *prev, double v)
{
	int step = cur->step;

	cur->step = 0;
	return put_at_cursor(cur, prev, step, v);
}

int
seen_comment(struct seen *s, const char *line, size_t len)
{
	size_t mark = s->enc.len;

	if (buf_addch(&s->enc, SEEN_COMMENT) < 0 ||
	    put_varint(&s->enc, len) < 0 || buf_add(&s->enc, line, len) < 0) {
		buf_truncate(&s->enc, mark);
		return -1;
	}
	return 0;
}
