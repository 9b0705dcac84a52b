/* seen.c: the block a target's scrape wrote and its series, for staleness markers. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "scrapecol.h"
#include "banned.h"

void
seen_init(struct seen *s)
{
	buf_init(&s->text, SC_BLOCK_MAX);
	s->e = NULL;
	s->n = s->ecap = s->marked = s->next = s->ntab = 0;
	s->tab = NULL;
	s->cap = 0;
}

void
seen_reset(struct seen *s)
{
	buf_reset(&s->text);
	if (s->ntab > 0)
		memset(s->tab, 0, s->cap * sizeof(*s->tab));
	s->n = s->marked = s->next = s->ntab = 0;
}

void
seen_free(struct seen *s)
{
	buf_free(&s->text);
	free(s->e);
	free(s->tab);
	seen_init(s);
}

void
seen_swap(struct seen *a, struct seen *b)
{
	struct seen t = *a;

	*a = *b;
	*b = t;
}

static const char *
key_of(const struct seen *s, const struct seen_entry *e)
{
	return s->text.p + (e->off & ~SEEN_MARK);
}

static int
same_key(const struct seen *s, const struct seen_entry *e, const char *key,
	 size_t len)
{
	return e->len == len && memcmp(key_of(s, e), key, len) == 0;
}

/* Hashes are made only for the table, never 0 (0: not made yet). */
static uint64_t
key_hash(const char *key, size_t len)
{
	uint64_t h = obs_fnv1a64(key, len);

	return h != 0 ? h : 1;
}

/* The table slot that holds key, or the empty one where it would go. */
static uint32_t *
slot_of(const struct seen *s, uint64_t hash, const char *key, size_t len)
{
	size_t mask = s->cap - 1, i = (size_t)(hash ^ hash >> 32) & mask;

	for (;;) {
		uint32_t *sl = &s->tab[i];

		if (*sl == 0 || (s->e[*sl - 1].hash == hash &&
		    same_key(s, &s->e[*sl - 1], key, len)))
			return sl;
		i = (i + 1) & mask;
	}
}

/* Room for one more entry. */
static int
grow_entries(struct seen *s)
{
	size_t ncap = s->ecap ? s->ecap * 2 : 256;
	struct seen_entry *ne;

	if (s->n < s->ecap)
		return 0;
	if (ncap > UINT32_MAX || ncap > SIZE_MAX / sizeof(*ne)) {
		errno = ENOMEM;
		return -1;
	}
	ne = realloc(s->e, ncap * sizeof(*ne));
	if (ne == NULL)
		return -1;
	s->e = ne;
	s->ecap = ncap;
	return 0;
}

/* Puts every entry in the table, kept at most half full so probes stay
 * short (4 bytes a slot: cheaper than a fuller table of wider slots). */
static int
fill_table(struct seen *s, size_t want)
{
	if (want * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap : 1024;
		uint32_t *nt;

		while (want * 2 > ncap)
			ncap *= 2;
		nt = calloc(ncap, sizeof(*nt));
		if (nt == NULL)
			return -1;
		free(s->tab);
		s->tab = nt;
		s->cap = ncap;
		s->ntab = 0;
	}
	for (; s->ntab < s->n; s->ntab++) {
		struct seen_entry *e = &s->e[s->ntab];

		if (e->hash == 0)
			e->hash = key_hash(key_of(s, e), e->len);
		*slot_of(s, e->hash, key_of(s, e), e->len) =
		    (uint32_t)s->ntab + 1;
	}
	return 0;
}

static int
check_key(const struct seen *s, size_t off, size_t len)
{
	if (len == 0 || off + len > s->text.len) {
		errno = EINVAL;
		return -1;
	}
	if (off + len >= SEEN_MARK) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

static int
append(struct seen *s, uint64_t hash, size_t off, size_t len)
{
	struct seen_entry *e;

	if (check_key(s, off, len) < 0 || grow_entries(s) < 0)
		return -1;
	e = &s->e[s->n++];
	e->hash = hash;
	e->off = (uint32_t)off;
	e->len = (uint32_t)len;
	return 0;
}

int
seen_append(struct seen *s, size_t off, size_t len)
{
	return append(s, 0, off, len);
}

int
seen_add(struct seen *s, size_t off, size_t len)
{
	uint64_t hash;
	uint32_t *sl;

	if (check_key(s, off, len) < 0 || grow_entries(s) < 0 ||
	    fill_table(s, s->n + 1) < 0)
		return -1;
	hash = key_hash(s->text.p + off, len);
	sl = slot_of(s, hash, s->text.p + off, len);
	if (*sl != 0)
		return 0;
	if (append(s, hash, off, len) < 0)
		return -1;
	*sl = (uint32_t)s->n;
	s->ntab = s->n;
	return 1;
}

int
seen_mark(struct seen *s, const char *key, size_t len)
{
	struct seen_entry *e;
	size_t i;

	if (s->n == 0 || len == 0)
		return 0;
	i = s->next;
	if (i >= s->n || !same_key(s, &s->e[i], key, len)) {
		uint32_t *sl;

		/* Out of order: the table, made now if not yet. */
		if (fill_table(s, s->n) < 0)
			return -1;
		sl = slot_of(s, key_hash(key, len), key, len);
		if (*sl == 0)
			return 0;
		i = *sl - 1;
	}
	s->next = i + 1;
	e = &s->e[i];
	if (e->off & SEEN_MARK)
		return 2;
	e->off |= SEEN_MARK;
	s->marked++;
	return 1;
}
