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
 */
#define SC_SLOTS 32768		/* power of two */
#define SC_PROBE 16
#define SC_ARENA (4u << 20)

struct sc_slot {
	uint32_t hash;		/* of the key; 0: empty */
	uint32_t off;		/* entry in the arena */
};

/* An entry in the arena: this header, the key, the labels. */
struct sc_ent {
	uint32_t klen, llen, shash, dropped;
};

struct rw_scache {
	struct sc_slot *slot;
	unsigned char *arena;
	size_t used, n;
	size_t next;		/* the entry after the last one found */
};

/* An entry's size, its end aligned for the next one's header. */
static size_t sc_size(size_t klen, size_t llen)
{
	return (sizeof(struct sc_ent) + klen + llen + 7) & ~(size_t)7;
}

struct rw_scache *rw_scache_new(void)
{
	struct rw_scache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->slot = calloc(SC_SLOTS, sizeof(*c->slot));
	c->arena = malloc(SC_ARENA);
	if (!c->slot || !c->arena) {
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
	free(c);
}

static void sc_clear(struct rw_scache *c)
{
	memset(c->slot, 0, SC_SLOTS * sizeof(*c->slot));
	c->used = 0;
	c->n = 0;
	c->next = 0;
}

static uint32_t sc_hash(const char *key, size_t klen)
{
	/* 0 marks an empty slot */
	return crc32c(0, key, klen) | 1;
}

static void sc_out(struct rw_scache *c, size_t off, const struct sc_ent *e,
		   struct rw_series *out)
{
	const unsigned char *p = c->arena + off + sizeof(*e);

	out->lab = p + e->klen;
	out->llen = e->llen;
	out->hash = e->shash;
	out->dropped = (int)e->dropped;
	c->next = off + sc_size(e->klen, e->llen);
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
		if (e.klen == klen &&
		    memcmp(c->arena + c->next + sizeof(e), key, klen) == 0) {
			sc_out(c, c->next, &e, out);
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
		if (e.klen != klen ||
		    memcmp(c->arena + s->off + sizeof(e), key, klen) != 0)
			continue;
		sc_out(c, s->off, &e, out);
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
	unsigned char *p;

	need = sc_size(klen, llen);
	if (need > SC_ARENA / 64)
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
	p = c->arena + c->used;
	e.klen = (uint32_t)klen;
	e.llen = (uint32_t)llen;
	e.shash = dropped ? 0 : pk->hash;
	e.dropped = (uint32_t)dropped;
	memcpy(p, &e, sizeof(e));
	memcpy(p + sizeof(e), key, klen);
	if (llen)
		rw_labels_blob(pk, p + sizeof(e) + klen);
	c->slot[i].hash = h;
	c->slot[i].off = (uint32_t)c->used;
	c->used += need;
	c->n++;
	return 0;
}
