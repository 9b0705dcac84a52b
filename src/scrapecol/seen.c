/* seen.c: the set of series a target's scrape wrote, for staleness markers. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scrapecol.h"
#include "banned.h"

void
seen_init(struct seen *s)
{
	buf_init(&s->keys, SC_KEYS_MAX);
	s->tab = NULL;
	s->cap = 0;
	s->n = 0;
}

void
seen_reset(struct seen *s)
{
	buf_reset(&s->keys);
	if (s->tab != NULL)
		memset(s->tab, 0, s->cap * sizeof(*s->tab));
	s->n = 0;
}

void
seen_free(struct seen *s)
{
	buf_free(&s->keys);
	free(s->tab);
	s->tab = NULL;
	s->cap = 0;
	s->n = 0;
}

void
seen_swap(struct seen *a, struct seen *b)
{
	struct seen t = *a;

	*a = *b;
	*b = t;
}

/* The slot that holds key, or the empty one where it would go. */
static struct seen_slot *
slot_of(const struct seen *s, uint64_t hash, const char *key, size_t len)
{
	size_t mask = s->cap - 1, i = (size_t)hash & mask;

	for (;;) {
		struct seen_slot *sl = &s->tab[i];

		if (sl->len == 0)
			return sl;
		if (sl->hash == hash && sl->len == len &&
		    memcmp(s->keys.p + (sl->off & ~SEEN_MARK), key, len) == 0)
			return sl;
		i = (i + 1) & mask;
	}
}

static int
grow(struct seen *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 1024, i;
	struct seen_slot *old = s->tab, *nt;
	size_t ocap = s->cap;

	if (ncap > SIZE_MAX / sizeof(*nt)) {
		errno = ENOMEM;
		return -1;
	}
	nt = calloc(ncap, sizeof(*nt));
	if (nt == NULL)
		return -1;
	s->tab = nt;
	s->cap = ncap;
	for (i = 0; i < ocap; i++) {
		struct seen_slot *sl;

		if (old[i].len == 0)
			continue;
		sl = slot_of(s, old[i].hash,
		    s->keys.p + (old[i].off & ~SEEN_MARK), old[i].len);
		*sl = old[i];
	}
	free(old);
	return 0;
}

int
seen_add(struct seen *s, uint64_t hash, const char *key, size_t len)
{
	struct seen_slot *sl;
	size_t off;

	if (len == 0 || len > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	/* At most half full, so probes stay short. */
	if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
		return -1;
	sl = slot_of(s, hash, key, len);
	if (sl->len != 0)
		return 0;
	off = s->keys.len;
	if (off + len >= SEEN_MARK) {
		errno = EMSGSIZE;
		return -1;
	}
	if (buf_add(&s->keys, key, len) < 0)
		return -1;
	sl->hash = hash;
	sl->off = (uint32_t)off;
	sl->len = (uint32_t)len;
	s->n++;
	return 1;
}

int
seen_mark(struct seen *s, uint64_t hash, const char *key, size_t len)
{
	struct seen_slot *sl;

	if (s->cap == 0 || len == 0)
		return 0;
	sl = slot_of(s, hash, key, len);
	if (sl->len == 0)
		return 0;
	sl->off |= SEEN_MARK;
	return 1;
}
