/* series.c: the packed labels of recent series, found by their text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "rwsend.h"
#include "banned.h"

/*
 * Most input repeats the same series cycle after cycle, so an endpoint
 * keeps, for the text of each series it saw lately (the line up to its
 * value), what parsing, relabeling and packing made of it: the labels part
 * of its TimeSeries and its shard hash.  A line whose series text is kept
 * costs a lookup, its value and its timestamp.  The table and the arena
 * are fixed: when either is full, everything is forgotten at once, so
 * memory stays bounded however many series the input has.
 *
 * Series come in runs that differ in a few label values (a metric's
 * series, one after the other), so an entry keeps its text, and its
 * labels, as the changes from the entry before it (sc_delta).  Every
 * SC_RUN entries one keeps all its bytes, so an entry found by its hash is
 * spelled out from at most SC_RUN entries; the usual lookup, of the entry
 * after the last one found, compares with that one.
 */
#define SC_SLOTS 32768		/* power of two */
#define SC_PROBE 16
#define SC_ARENA (4u << 20)	/* offsets fit SC_OFF_BITS */
#define SC_OFF_BITS 22
#define SC_KEYMAX (SC_ARENA / 64)	/* an entry's bound, hence a key's */
#define SC_RUN 32

/* A slot: the entry's offset in the arena, and above it bits of the key's
 * hash, never all 0 (0: an empty slot). */
#define SC_OFF(s) ((s) & ((1u << SC_OFF_BITS) - 1))
#define SC_TAG(h) (((h) >> SC_OFF_BITS | 1) << SC_OFF_BITS)

/*
 * An entry in the arena: this header (unaligned, read by memcpy), then
 * the text and the labels, each as a delta from the entry before's, or
 * whole for the first entry of a run.  A delta is steps of three varints
 * (bytes kept, bytes new, bytes of the old replaced) and the new bytes;
 * what the steps leave is the old one's end, kept.
 */
struct sc_ent {
	uint16_t klen, llen;	/* both below SC_KEYMAX */
	uint16_t kd, ld;	/* bytes of the text's and labels' deltas */
	uint32_t shash;
	uint32_t back;		/* bytes back to its run's first entry (0:
				 * it is the first), and SC_DROPPED */
};
#define SC_DROPPED 0x80000000u
#define SC_BACK(e) ((e)->back & ~SC_DROPPED)
/* a delta longer than this is made the simple way: what the two share at
 * their start and end, and the middle new */
#define SC_DELTA_SLACK 12
#define SC_SAME_MIN 4		/* equal bytes worth a step of their own */

struct rw_scache {
	uint32_t *slot;
	unsigned char *arena;
	size_t used, n;
	size_t next;		/* the entry after the last one found */
	size_t run_off, nrun;	/* the run puts add to */
	char *cur;		/* the text of the last one found */
	unsigned char *curlab;	/* ... and its labels */
	size_t curlen, curllen;
	unsigned char *getlab;	/* the labels being looked at */
	char *last;		/* the text of the last one put */
	unsigned char *lastlab;	/* ... and its labels */
	size_t lastlen, lastllen;
	unsigned char *newlab;	/* the labels being put */
	char *tmp[2];		/* texts spelled out */
	unsigned char *tmplab[2];	/* ... and labels */
};

static size_t sc_esize(const struct sc_ent *e)
{
	return sizeof(*e) + e->kd + e->ld;
}

struct rw_scache *rw_scache_new(void)
{
	struct rw_scache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->slot = calloc(SC_SLOTS, sizeof(*c->slot));
	c->arena = malloc(SC_ARENA);
	c->cur = malloc(SC_KEYMAX);
	c->curlab = malloc(SC_KEYMAX);
	c->getlab = malloc(SC_KEYMAX);
	c->last = malloc(SC_KEYMAX);
	c->lastlab = malloc(SC_KEYMAX);
	c->newlab = malloc(SC_KEYMAX);
	c->tmp[0] = malloc(SC_KEYMAX);
	c->tmp[1] = malloc(SC_KEYMAX);
	c->tmplab[0] = malloc(SC_KEYMAX);
	c->tmplab[1] = malloc(SC_KEYMAX);
	if (!c->slot || !c->arena || !c->cur || !c->curlab || !c->getlab ||
	    !c->last || !c->lastlab || !c->newlab || !c->tmp[0] ||
	    !c->tmp[1] || !c->tmplab[0] || !c->tmplab[1]) {
		rw_scache_free(c);
		return NULL;
	}
	return c;
}

void rw_scache_free(struct rw_scache *c)
{
	if (!c)
		return;
	free(c->slot);
	free(c->arena);
	free(c->cur);
	free(c->curlab);
	free(c->getlab);
	free(c->last);
	free(c->lastlab);
	free(c->newlab);
	free(c->tmp[0]);
	free(c->tmp[1]);
	free(c->tmplab[0]);
	free(c->tmplab[1]);
	free(c);
}

static void sc_clear(struct rw_scache *c)
{
	memset(c->slot, 0, SC_SLOTS * sizeof(*c->slot));
	c->used = 0;
	c->n = 0;
	c->next = 0;
	c->nrun = 0;
}

static uint32_t sc_hash(const char *key, size_t klen)
{
	return crc32c(0, key, klen);
}

/* Deltas are ours, in the arena: lengths below SC_KEYMAX, 3 bytes at most. */
static const unsigned char *sc_get_varint(const unsigned char *p, size_t *v)
{
	size_t x = *p & 0x7f;

	if (*p++ & 0x80) {
		x |= (size_t)(*p & 0x7f) << 7;
		if (*p++ & 0x80)
			x |= (size_t)*p++ << 14;
	}
	*v = x;
	return p;
}

static unsigned char *sc_step(unsigned char *q, size_t same, size_t add,
			      size_t drop, const unsigned char *bytes)
{
	q += rw_varint_put(q, same);
	q += rw_varint_put(q, add);
	q += rw_varint_put(q, drop);
	memcpy(q, bytes, add);
	return q + add;
}

/*
 * The delta of a (len bytes) from the old o (olen) into q, which has room
 * for len + SC_DELTA_SLACK bytes; returns its end.  Of the same length,
 * they are compared byte for byte, and each run of changes is a step (a
 * series' label values change in place: a counter's digit, a device
 * number).  Else, or when that makes more bytes, one step: the middle
 * between what they share at their start and at their end.
 */
static unsigned char *sc_delta(unsigned char *q, const void *a, size_t len,
			       const void *o, size_t olen)
{
	const unsigned char *x = a, *y = o;
	unsigned char *start = q;
	size_t i = 0, pre = 0, suf = 0, same, j;

	if (len == olen) {
		while (i < len) {
			for (same = 0; i + same < len && x[i + same] == y[i + same];
			     same++)
				;
			if (i + same == len)
				return q;	/* the rest is the old end */
			/* the change runs to the next SC_SAME_MIN equal
			 * bytes, or to the end */
			for (j = i + same; j < len; j++) {
				size_t k = 0;

				while (k < SC_SAME_MIN && j + k < len &&
				       x[j + k] == y[j + k])
					k++;
				if (k == SC_SAME_MIN || j + k == len)
					break;
				j += k;
			}
			if ((size_t)(q - start) + 9 + (j - i - same) >
			    len + SC_DELTA_SLACK - 9)
				break;
			q = sc_step(q, same, j - i - same, j - i - same,
				    x + i + same);
			i = j;
		}
		if (i == len)
			return q;
		q = start;
	}
	while (pre < len && pre < olen && x[pre] == y[pre])
		pre++;
	while (suf < len - pre && suf < olen - pre &&
	       x[len - 1 - suf] == y[olen - 1 - suf])
		suf++;
	if (pre + suf == len && len == olen)
		return q;
	return sc_step(q, pre, len - pre - suf, olen - pre - suf, x + pre);
}

/* memcmp() == 0, without a call for the few bytes most steps hold. */
static inline int sc_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	uint64_t u, w;

	if (n > 16)
		return memcmp(a, b, n) == 0;
	if (n >= 8) {
		memcpy(&u, x, 8);
		memcpy(&w, y, 8);
		if (u != w)
			return 0;
		memcpy(&u, x + n - 8, 8);
		memcpy(&w, y + n - 8, 8);
		return u == w;
	}
	for (; n > 0; n--)
		if (*x++ != *y++)
			return 0;
	return 1;
}

/* Whether the n bytes at a are what delta q (qn bytes) makes of o. */
static int sc_delta_is(const char *a, size_t n, const unsigned char *q,
		       size_t qn, const char *o, size_t olen)
{
	const unsigned char *qend = q + qn;
	size_t i = 0, b = 0, same, add, drop;

	while (q < qend) {
		q = sc_get_varint(q, &same);
		q = sc_get_varint(q, &add);
		q = sc_get_varint(q, &drop);
		if (same + add > n - i || same + drop > olen - b ||
		    add > (size_t)(qend - q) || !sc_eq(a + i, o + b, same) ||
		    !sc_eq(a + i + same, q, add))
			return 0;
		i += same + add;
		b += same + drop;
		q += add;
	}
	return n - i == olen - b && sc_eq(a + i, o + b, n - i);
}

/* Makes in d (n bytes, not o) what delta q (qn bytes) makes of o; 0, or -1
 * when it does not fit. */
static int sc_delta_apply(void *d, size_t n, const unsigned char *q,
			  size_t qn, const void *o, size_t olen)
{
	const unsigned char *qend = q + qn, *y = o;
	unsigned char *x = d;
	size_t i = 0, b = 0, same, add, drop;

	while (q < qend) {
		q = sc_get_varint(q, &same);
		q = sc_get_varint(q, &add);
		q = sc_get_varint(q, &drop);
		if (same + add > n - i || same + drop > olen - b ||
		    add > (size_t)(qend - q))
			return -1;
		memcpy(x + i, y + b, same);
		memcpy(x + i + same, q, add);
		i += same + add;
		b += same + drop;
		q += add;
	}
	if (n - i != olen - b)
		return -1;
	memcpy(x + i, y + b, n - i);
	return 0;
}

/*
 * sc_delta_apply() onto o itself (olen bytes, room for SC_KEYMAX), for
 * the delta of an entry after o's: its steps are those of one length
 * (each as many bytes new as replaced, so only the new ones are written)
 * or a single step.  -1, o spoilt, if it does not make n bytes.
 */
static int sc_delta_onto(void *o, size_t n, const unsigned char *q,
			 size_t qn, size_t olen)
{
	const unsigned char *qend = q + qn;
	unsigned char *x = o;
	size_t i = 0, same, add, drop;

	while (q < qend) {
		q = sc_get_varint(q, &same);
		q = sc_get_varint(q, &add);
		q = sc_get_varint(q, &drop);
		if (same + drop > olen - i || add > (size_t)(qend - q) ||
		    olen - drop + add > SC_KEYMAX)
			return -1;
		if (add != drop)
			memmove(x + i + same + add, x + i + same + drop,
				olen - i - same - drop);
		memcpy(x + i + same, q, add);
		i += same + add;
		olen = olen - drop + add;
		q += add;
	}
	return olen == n ? 0 : -1;
}

/* What the entry at off, found, gives (its labels in curlab). */
static void sc_out(struct rw_scache *c, size_t off, const struct sc_ent *e,
		   struct rw_series *out)
{
	out->lab = c->curlab;
	out->llen = e->llen;
	out->hash = e->shash;
	out->dropped = (e->back & SC_DROPPED) != 0;
	c->next = off + sc_esize(e);
}

/* Makes the entry at off, found, the last one found: its labels are in
 * getlab. */
static void sc_found(struct rw_scache *c, size_t off, const struct sc_ent *e,
		     const char *key, struct rw_series *out)
{
	unsigned char *t = c->curlab;

	c->curlab = c->getlab;
	c->getlab = t;
	c->curllen = e->llen;
	memcpy(c->cur, key, e->klen);
	c->curlen = e->klen;
	sc_out(c, off, e, out);
}

/*
 * Whether the entry e (whose deltas are at p) is key, the entry before it
 * having text base (blen bytes) and labels blab (bllen); fills getlab
 * with its labels if so.  The first of a run keeps its bytes whole.
 */
static int sc_is(struct rw_scache *c, const struct sc_ent *e,
		 const unsigned char *p, const char *base, size_t blen,
		 const unsigned char *blab, size_t bllen, const char *key,
		 size_t klen)
{
	if (e->klen != klen)
		return 0;
	if (SC_BACK(e) == 0) {
		if (memcmp(key, p, klen) != 0)
			return 0;
		memcpy(c->getlab, p + e->kd, e->llen);
		return 1;
	}
	return sc_delta_is(key, klen, p, e->kd, base, blen) &&
	       sc_delta_apply(c->getlab, e->llen, p + e->kd, e->ld, blab,
			      bllen) == 0;
}

/* Whether the entry e at off is key, spelling out the entries before it
 * from the first of its run. */
static int sc_is_far(struct rw_scache *c, size_t off, const struct sc_ent *e,
		     const char *key, size_t klen)
{
	struct sc_ent r;
	size_t o = off - SC_BACK(e), tlen = 0, tllen = 0;
	const unsigned char *p;
	int t = 0;

	if (e->klen != klen)
		return 0;
	for (;;) {
		memcpy(&r, c->arena + o, sizeof(r));
		p = c->arena + o + sizeof(r);
		if (o == off)
			break;
		if (SC_BACK(&r) == 0) {
			memcpy(c->tmp[t], p, r.klen);
			memcpy(c->tmplab[t], p + r.kd, r.llen);
		} else if (sc_delta_apply(c->tmp[!t], r.klen, p, r.kd,
					  c->tmp[t], tlen) < 0 ||
			   sc_delta_apply(c->tmplab[!t], r.llen, p + r.kd,
					  r.ld, c->tmplab[t], tllen) < 0) {
			return 0;
		} else {
			t = !t;
		}
		tlen = r.klen;
		tllen = r.llen;
		o += sc_esize(&r);
	}
	return sc_is(c, e, p, c->tmp[t], tlen, c->tmplab[t], tllen, key, klen);
}

/*
 * Input repeats its series in the same order cycle after cycle, and the
 * arena holds them in the order they were first seen: so the entry after
 * the last one found is tried first, without a hash or a random access.
 */
int rw_scache_get(struct rw_scache *c, const char *key, size_t klen,
		  struct rw_series *out)
{
	struct sc_ent e;
	uint32_t h, tag;
	size_t i, k;

	if (c->next < c->used) {
		const unsigned char *p = c->arena + c->next + sizeof(e);

		memcpy(&e, c->arena + c->next, sizeof(e));
		/* the usual lookup: the last one found is the entry before,
		 * so its text and labels are made this one's in place */
		if (e.klen == klen && SC_BACK(&e) != 0 &&
		    sc_delta_is(key, klen, p, e.kd, c->cur, c->curlen)) {
			memcpy(c->cur, key, klen);
			if (sc_delta_onto(c->curlab, e.llen, p + e.kd, e.ld,
					  c->curllen) < 0) {
				sc_clear(c);	/* not ours: cannot be */
				return 0;
			}
			c->curlen = klen;
			c->curllen = e.llen;
			sc_out(c, c->next, &e, out);
			return 1;
		}
		if (e.klen == klen && SC_BACK(&e) == 0 &&
		    sc_is(c, &e, p, NULL, 0, NULL, 0, key, klen)) {
			sc_found(c, c->next, &e, key, out);
			return 1;
		}
	}
	h = sc_hash(key, klen);
	tag = SC_TAG(h);
	for (k = 0, i = h & (SC_SLOTS - 1); k < SC_PROBE;
	     k++, i = (i + 1) & (SC_SLOTS - 1)) {
		uint32_t s = c->slot[i];

		if (!s)
			return 0;
		if ((s & ~((1u << SC_OFF_BITS) - 1)) != tag)
			continue;
		memcpy(&e, c->arena + SC_OFF(s), sizeof(e));
		if (!sc_is_far(c, SC_OFF(s), &e, key, klen))
			continue;
		sc_found(c, SC_OFF(s), &e, key, out);
		return 1;
	}
	return 0;
}

int rw_scache_put(struct rw_scache *c, const char *key, size_t klen,
		  const struct rw_packed *pk, int dropped)
{
	struct sc_ent e;
	size_t llen = dropped ? 0 : rw_labels_blob_size(pk), need, i, k;
	uint32_t h = sc_hash(key, klen);
	unsigned char *p, *q, *t;

	need = sizeof(e) + klen + llen + 2 * SC_DELTA_SLACK;
	if (need > SC_KEYMAX)
		return -1;
	if (c->used + need > SC_ARENA || c->n >= SC_SLOTS / 4 * 3)
		sc_clear(c);
	for (k = 0, i = h & (SC_SLOTS - 1); k < SC_PROBE;
	     k++, i = (i + 1) & (SC_SLOTS - 1))
		if (!c->slot[i])
			break;
	if (k == SC_PROBE) {
		sc_clear(c);
		i = h & (SC_SLOTS - 1);
	}
	if (c->nrun == 0 || c->nrun == SC_RUN) {
		c->run_off = c->used;
		c->nrun = 0;
	}
	if (llen)
		rw_labels_blob(pk, c->newlab);
	p = c->arena + c->used;
	q = p + sizeof(e);
	if (c->nrun == 0) {
		memcpy(q, key, klen);
		e.kd = (uint16_t)klen;
		memcpy(q + klen, c->newlab, llen);
		e.ld = (uint16_t)llen;
	} else {
		t = sc_delta(q, key, klen, c->last, c->lastlen);
		e.kd = (uint16_t)(t - q);
		e.ld = (uint16_t)(sc_delta(t, c->newlab, llen, c->lastlab,
					   c->lastllen) - t);
	}
	e.klen = (uint16_t)klen;
	e.llen = (uint16_t)llen;
	e.shash = dropped ? 0 : pk->hash;
	e.back = (uint32_t)(c->used - c->run_off) | (dropped ? SC_DROPPED : 0);
	memcpy(p, &e, sizeof(e));
	memcpy(c->last, key, klen);
	c->lastlen = klen;
	t = c->lastlab;
	c->lastlab = c->newlab;
	c->newlab = t;
	c->lastllen = llen;
	c->nrun++;
	c->slot[i] = SC_TAG(h) | (uint32_t)c->used;
	c->used += sc_esize(&e);
	c->n++;
	return 0;
}
