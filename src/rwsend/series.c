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
 * Series come in runs sharing most of their text (a metric's series,
 * one after the other), so an entry keeps its text, and its labels, as
 * the length it shares with the entry before it and the rest, as a
 * sorted index does.
 * Every SC_RUN entries one keeps its whole text, so an entry found by its
 * hash is spelled out from at most SC_RUN entries; the usual lookup, of
 * the entry after the last one found, compares with that one's text.
 */
#define SC_SLOTS 32768		/* power of two */
#define SC_PROBE 16
#define SC_ARENA (4u << 20)
#define SC_KEYMAX (SC_ARENA / 64)	/* an entry's bound, hence a key's */
#define SC_RUN 16

struct sc_slot {
	uint32_t hash;		/* of the key; 0: empty */
	uint32_t off;		/* entry in the arena */
};

/* An entry in the arena: this header, the key past pre, the labels past
 * lpre. */
struct sc_ent {
	uint16_t klen, llen;	/* both below SC_KEYMAX */
	uint32_t shash;
	uint16_t pre;		/* key bytes shared with the entry before */
	uint16_t lpre;		/* labels bytes shared with it */
	uint32_t back;		/* bytes back to its run's first entry, and
				 * SC_DROPPED */
};
#define SC_DROPPED 0x80000000u
#define SC_BACK(e) ((e)->back & ~SC_DROPPED)

struct rw_scache {
	struct sc_slot *slot;
	unsigned char *arena;
	size_t used, n;
	size_t next;		/* the entry after the last one found */
	size_t run_off, nrun;	/* the run puts add to */
	char *cur;		/* the key of the last one found */
	unsigned char *curlab;	/* ... and its labels */
	char *last;		/* the key of the last one put */
	unsigned char *lastlab;	/* ... and its labels */
	unsigned char *newlab;	/* the labels being put */
	char *tmp;		/* a key spelled out */
	unsigned char *tmplab;	/* ... and its labels */
	size_t lastlen, lastllen;
};

/* An entry's size, its end aligned for the next one's header. */
static size_t sc_size(size_t kept, size_t llen)
{
	return (sizeof(struct sc_ent) + kept + llen + 7) & ~(size_t)7;
}

static size_t sc_esize(const struct sc_ent *e)
{
	return sc_size((size_t)e->klen - e->pre, (size_t)e->llen - e->lpre);
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
	c->last = malloc(SC_KEYMAX);
	c->lastlab = malloc(SC_KEYMAX);
	c->newlab = malloc(SC_KEYMAX);
	c->tmp = malloc(SC_KEYMAX);
	c->tmplab = malloc(SC_KEYMAX);
	if (!c->slot || !c->arena || !c->cur || !c->curlab || !c->last ||
	    !c->lastlab || !c->newlab || !c->tmp || !c->tmplab) {
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
	free(c->last);
	free(c->lastlab);
	free(c->newlab);
	free(c->tmp);
	free(c->tmplab);
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
	/* 0 marks an empty slot */
	return crc32c(0, key, klen) | 1;
}

/* Makes the entry found the last one found; prevlab holds the labels of
 * the entry before it (curlab itself on the usual lookup). */
static void sc_out(struct rw_scache *c, size_t off, const struct sc_ent *e,
		   const unsigned char *prevlab, const char *key,
		   struct rw_series *out)
{
	const unsigned char *p = c->arena + off + sizeof(*e);

	if (prevlab != c->curlab)
		memcpy(c->curlab, prevlab, e->lpre);
	memcpy(c->curlab + e->lpre, p + (e->klen - e->pre),
	       (size_t)e->llen - e->lpre);
	out->lab = c->curlab;
	out->llen = e->llen;
	out->hash = e->shash;
	out->dropped = (e->back & SC_DROPPED) != 0;
	memcpy(c->cur, key, e->klen);
	c->next = off + sc_esize(e);
}

/* Whether the entry e at off, whose predecessor's key is prev, is key. */
static int sc_is(const struct rw_scache *c, size_t off, const struct sc_ent *e,
		 const char *prev, const char *key, size_t klen)
{
	return e->klen == klen && memcmp(key, prev, e->pre) == 0 &&
	       memcmp(key + e->pre, c->arena + off + sizeof(*e),
		      klen - e->pre) == 0;
}

/* Whether the entry e at off is key, spelling out its key from the first
 * entry of its run. */
static int sc_is_far(struct rw_scache *c, size_t off, const struct sc_ent *e,
		     const char *key, size_t klen)
{
	struct sc_ent r;
	size_t o = off - SC_BACK(e);

	if (e->klen != klen)
		return 0;
	for (;;) {
		const unsigned char *p = c->arena + o + sizeof(r);

		memcpy(&r, c->arena + o, sizeof(r));
		if (o == off)
			return sc_is(c, off, e, c->tmp, key, klen);
		memcpy(c->tmp + r.pre, p, (size_t)r.klen - r.pre);
		memcpy(c->tmplab + r.lpre, p + (r.klen - r.pre),
		       (size_t)r.llen - r.lpre);
		o += sc_esize(&r);
	}
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
	uint32_t h;
	size_t i, k;

	if (c->next < c->used) {
		memcpy(&e, c->arena + c->next, sizeof(e));
		if (sc_is(c, c->next, &e, c->cur, key, klen)) {
			sc_out(c, c->next, &e, c->curlab, key, out);
			return 1;
		}
	}
	h = sc_hash(key, klen);
	for (k = 0, i = h & (SC_SLOTS - 1); k < SC_PROBE;
	     k++, i = (i + 1) & (SC_SLOTS - 1)) {
		const struct sc_slot *s = &c->slot[i];

		if (!s->hash)
			return 0;
		if (s->hash != h)
			continue;
		memcpy(&e, c->arena + s->off, sizeof(e));
		if (!sc_is_far(c, s->off, &e, key, klen))
			continue;
		sc_out(c, s->off, &e, c->tmplab, key, out);
		return 1;
	}
	return 0;
}

int rw_scache_put(struct rw_scache *c, const char *key, size_t klen,
		  const struct rw_packed *pk, int dropped)
{
	struct sc_ent e;
	size_t llen = dropped ? 0 : rw_labels_blob_size(pk), need, i, k;
	size_t pre = 0, lpre = 0;
	uint32_t h = sc_hash(key, klen);
	unsigned char *p, *t;

	need = sc_size(klen, llen);
	if (need > SC_KEYMAX)
		return -1;
	if (c->used + need > SC_ARENA || c->n >= SC_SLOTS / 4 * 3)
		sc_clear(c);
	for (k = 0, i = h & (SC_SLOTS - 1); k < SC_PROBE;
	     k++, i = (i + 1) & (SC_SLOTS - 1))
		if (!c->slot[i].hash)
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
	if (c->nrun) {
		while (pre < klen && pre < c->lastlen && key[pre] == c->last[pre])
			pre++;
		while (lpre < llen && lpre < c->lastllen &&
		       c->newlab[lpre] == c->lastlab[lpre])
			lpre++;
	}
	p = c->arena + c->used;
	e.klen = (uint16_t)klen;
	e.llen = (uint16_t)llen;
	e.shash = dropped ? 0 : pk->hash;
	e.pre = (uint16_t)pre;
	e.lpre = (uint16_t)lpre;
	e.back = (uint32_t)(c->used - c->run_off) | (dropped ? SC_DROPPED : 0);
	memcpy(p, &e, sizeof(e));
	memcpy(p + sizeof(e), key + pre, klen - pre);
	memcpy(p + sizeof(e) + klen - pre, c->newlab + lpre, llen - lpre);
	memcpy(c->last, key, klen);
	c->lastlen = klen;
	t = c->lastlab;
	c->lastlab = c->newlab;
	c->newlab = t;
	c->lastllen = llen;
	c->nrun++;
	c->slot[i].hash = h;
	c->slot[i].off = (uint32_t)c->used;
	c->used += sc_esize(&e);
	c->n++;
	return 0;
}
