/* labels.c: sorted label sets in one arena, their escaping and formatting. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "labels.h"
#include "banned.h"

/* Offsets are 32-bit, so the arena of one set stays below 4 GiB. */
#define ARENA_MAX ((size_t)UINT32_MAX - 1)
/* Below this many labels an insertion sort beats qsort's call overhead. */
#define SORT_SMALL 24

void
labels_init(struct labels *ls)
{
	ls->v = NULL;
	ls->n = 0;
	ls->cap = 0;
	buf_init(&ls->arena, ARENA_MAX);
}

void
labels_reset(struct labels *ls)
{
	ls->n = 0;
	buf_reset(&ls->arena);
}

void
labels_free(struct labels *ls)
{
	free(ls->v);
	ls->v = NULL;
	ls->n = 0;
	ls->cap = 0;
	buf_free(&ls->arena);
}

int
labels_reserve(struct labels *ls, size_t n)
{
	struct label *nv;
	size_t ncap;

	if (n <= ls->cap)
		return 0;
	ncap = ls->cap ? ls->cap : 16;
	while (ncap < n) {
		if (ncap > SIZE_MAX / 2 / sizeof(*nv)) {
			errno = ENOMEM;
			return -1;
		}
		ncap *= 2;
	}
	nv = realloc(ls->v, ncap * sizeof(*nv));
	if (nv == NULL) {
		errno = ENOMEM;
		return -1;
	}
	ls->v = nv;
	ls->cap = ncap;
	return 0;
}

int
labels_copy(struct labels *dst, const struct labels *src)
{
	if (dst == src)
		return 0;
	labels_reset(dst);
	if (labels_reserve(dst, src->n) < 0)
		return -1;
	if (src->arena.len && buf_add(&dst->arena, src->arena.p, src->arena.len) < 0)
		return -1;
	if (src->n)
		memcpy(dst->v, src->v, src->n * sizeof(*src->v));
	dst->n = src->n;
	return 0;
}

/* The offset of p in the arena if it points there, or -1: callers may pass
 * names and values read from this very set, which a realloc would move. */
static long long
arena_offset(const struct labels *ls, const char *p)
{
	uintptr_t a = (uintptr_t)ls->arena.p, x = (uintptr_t)p;

	if (ls->arena.p == NULL || x < a || x >= a + ls->arena.cap)
		return -1;
	return (long long)(x - a);
}

/* Stores name\0value\0 in the arena and fills l; the array is untouched. */
static int
arena_store(struct labels *ls, struct label *l, const char *name, size_t nlen,
	    const char *value, size_t vlen)
{
	size_t at = ls->arena.len;
	char *p;

	if (nlen > ARENA_MAX || vlen > ARENA_MAX - nlen) {
		errno = EMSGSIZE;
		return -1;
	}
	/* Growing may move the arena, and name or value may point into it. */
	if (ls->arena.cap - ls->arena.len <= nlen + vlen + 2) {
		long long noff = arena_offset(ls, name);
		long long voff = arena_offset(ls, value);

		if (buf_grow(&ls->arena, nlen + vlen + 2) < 0)
			return -1;
		if (noff >= 0)
			name = ls->arena.p + noff;
		if (voff >= 0)
			value = ls->arena.p + voff;
	}
	p = ls->arena.p + at;
	if (nlen)
		memmove(p, name, nlen);
	p[nlen] = '\0';
	if (vlen)
		memmove(p + nlen + 1, value, vlen);
	p[nlen + 1 + vlen] = '\0';
	ls->arena.len = at + nlen + vlen + 2;
	ls->arena.p[ls->arena.len] = '\0';
	l->name = (uint32_t)at;
	l->nlen = (uint32_t)nlen;
	l->value = (uint32_t)(at + nlen + 1);
	l->vlen = (uint32_t)vlen;
	return 0;
}

long
labels_arena_add(struct labels *ls, const char *s, size_t n)
{
	size_t at = ls->arena.len;

	/* The common case in one copy; buf_add() copes with the rest (s in
	 * the arena, growth, the cap). */
	if (ls->arena.p != NULL && ls->arena.cap - at > n + 1) {
		char *p = ls->arena.p + at;

		memmove(p, s, n);
		p[n] = '\0';
		p[n + 1] = '\0';
		ls->arena.len = at + n + 1;
		return (long)at;
	}
	if (buf_add(&ls->arena, s, n) < 0)
		return -1;
	if (buf_addch(&ls->arena, '\0') < 0) {
		buf_truncate(&ls->arena, at);
		return -1;
	}
	return (long)at;
}

int
labels_push(struct labels *ls, const char *name, size_t nlen,
	    const char *value, size_t vlen)
{
	struct label l;

	if (labels_reserve(ls, ls->n + 1) < 0)
		return -1;
	if (arena_store(ls, &l, name, nlen, value, vlen) < 0)
		return -1;
	ls->v[ls->n++] = l;
	return 0;
}

static int
name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
label_cmp_r(const void *x, const void *y, void *arg)
{
	const struct label *a = x, *b = y;
	const unsigned char *an = (const unsigned char *)arg + a->name;
	const unsigned char *bn = (const unsigned char *)arg + b->name;

	/* Names are NUL-terminated: the first bytes decide most comparisons. */
	if (an[0] != bn[0])
		return an[0] - bn[0];
	return labels_name_cmp((const char *)an, a->nlen, (const char *)bn,
	    b->nlen);
}

int
labels_sort(struct labels *ls)
{
	const char *arena = ls->arena.p;
	size_t i, j;

	if (ls->n < 2)
		return 0;
	/* Parsers mostly see sets written sorted: one pass proves it, and
	 * strict order also rules out a name given twice. */
	for (i = 1; i < ls->n; i++)
		if (label_cmp_r(&ls->v[i - 1], &ls->v[i], ls->arena.p) >= 0)
			break;
	if (i == ls->n)
		return 0;
	if (ls->n <= SORT_SMALL) {
		for (i = 1; i < ls->n; i++) {
			struct label t = ls->v[i];

			for (j = i; j > 0 && label_cmp_r(&ls->v[j - 1], &t,
			    ls->arena.p) > 0; j--)
				ls->v[j] = ls->v[j - 1];
			ls->v[j] = t;
		}
	} else {
		qsort_r(ls->v, ls->n, sizeof(*ls->v), label_cmp_r, ls->arena.p);
	}
	for (i = 1; i < ls->n; i++) {
		const struct label *a = &ls->v[i - 1], *b = &ls->v[i];

		if (a->nlen == b->nlen &&
		    memcmp(arena + a->name, arena + b->name, a->nlen) == 0) {
			errno = EEXIST;
			return -1;
		}
	}
	return 0;
}

/* Index of the first label whose name is >= name (n if none). */
static size_t
labels_lower(const struct labels *ls, const char *name, size_t nlen)
{
	size_t lo = 0, hi = ls->n;

	/* Series have a dozen labels or so: a scan on first bytes wins. */
	if (ls->n <= 16 && nlen > 0) {
		unsigned char c = (unsigned char)name[0];

		for (lo = 0; lo < hi; lo++) {
			const struct label *l = &ls->v[lo];
			unsigned char f = (unsigned char)ls->arena.p[l->name];

			if (f > c || (f == c &&
			    labels_name_cmp(ls->arena.p + l->name, l->nlen,
			    name, nlen) >= 0))
				break;
		}
		return lo;
	}

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct label *l = &ls->v[mid];

		if (labels_name_cmp(ls->arena.p + l->name, l->nlen, name,
		    nlen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long
labels_find(const struct labels *ls, const char *name, size_t nlen)
{
	size_t i = labels_lower(ls, name, nlen);

	if (i < ls->n && ls->v[i].nlen == nlen &&
	    labels_name_cmp(ls->arena.p + ls->v[i].name, nlen, name, nlen) == 0)
		return (long)i;
	return -1;
}

static void
labels_remove_at(struct labels *ls, size_t i)
{
	memmove(&ls->v[i], &ls->v[i + 1], (ls->n - i - 1) * sizeof(*ls->v));
	ls->n--;
}

int
labels_set(struct labels *ls, const char *name, size_t nlen,
	   const char *value, size_t vlen)
{
	size_t i = labels_lower(ls, name, nlen);
	int found = i < ls->n && ls->v[i].nlen == nlen &&
	    labels_name_cmp(ls->arena.p + ls->v[i].name, nlen, name, nlen) == 0;
	struct label l;

	if (vlen == 0) {
		if (found)
			labels_remove_at(ls, i);
		return 0;
	}
	if (found) {
		struct label *cur = &ls->v[i];

		if (vlen == cur->vlen &&
		    memcmp(ls->arena.p + cur->value, value, vlen) == 0)
			return 0;
		/* A value no longer than the old one goes in place. */
		if (vlen <= cur->vlen) {
			char *dst = ls->arena.p + cur->value;

			memmove(dst, value, vlen);
			dst[vlen] = '\0';
			cur->vlen = (uint32_t)vlen;
			return 0;
		}
		if (arena_store(ls, &l, name, nlen, value, vlen) < 0)
			return -1;
		ls->v[i] = l;
		return 0;
	}
	if (labels_reserve(ls, ls->n + 1) < 0)
		return -1;
	if (arena_store(ls, &l, name, nlen, value, vlen) < 0)
		return -1;
	memmove(&ls->v[i + 1], &ls->v[i], (ls->n - i) * sizeof(*ls->v));
	ls->v[i] = l;
	ls->n++;
	return 0;
}

int
labels_del(struct labels *ls, const char *name, size_t nlen)
{
	long i = labels_find(ls, name, nlen);

	if (i >= 0)
		labels_remove_at(ls, (size_t)i);
	return 0;
}

const char *
labels_get(const struct labels *ls, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);
	long i;

	/* __name__ sorts before every lowercase name: mostly it is first. */
	if (ls->n > 0 && ls->v[0].nlen == nlen &&
	    memcmp(ls->arena.p + ls->v[0].name, name, nlen) == 0)
		i = 0;
	else
		i = labels_find(ls, name, nlen);

	if (i < 0)
		return NULL;
	if (vlen)
		*vlen = ls->v[i].vlen;
	return ls->arena.p + ls->v[i].value;
}

void
labels_drop_internal(struct labels *ls)
{
	size_t i, j = 0;

	for (i = 0; i < ls->n; i++) {
		const struct label *l = &ls->v[i];
		const char *name = ls->arena.p + l->name;

		if (l->vlen == 0)
			continue;
		if (l->nlen >= 2 && name[0] == '_' && name[1] == '_' &&
		    !(l->nlen == sizeof(LABELS_NAME) - 1 &&
		      memcmp(name, LABELS_NAME, l->nlen) == 0))
			continue;
		ls->v[j++] = *l;
	}
	ls->n = j;
}

/*
 * A word-at-a-time multiply-xorshift hash of each name and value, each
 * ended by its length: stable across runs and machines (words are read
 * little-endian), fast on the short strings labels are, and mixed well
 * enough for sharding.
 */
#define HASH_SEED UINT64_C(0xcbf29ce484222325)
#define HASH_MUL UINT64_C(0x9fb21c651e98df25)

static uint64_t
load_le32(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24;
}

static uint64_t
load_le64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

static uint64_t
hash_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * HASH_MUL;
	return h ^ (h >> 29);
}

static uint64_t
hash_bytes(uint64_t h, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t w;

	while (n >= 8) {
		h = hash_mix(h, load_le64(p));
		p += 8;
		n -= 8;
	}
	/* The tail in one word (overlapping reads cover every byte), with
	 * its length on top so that "ab","c" and "a","bc" differ. */
	if (n >= 4)
		w = load_le32(p) | load_le32(p + n - 4) << 32;
	else if (n > 0)
		w = (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 |
		    (uint64_t)p[n - 1] << 16;
	else
		w = 0;
	h = hash_mix(h, w);
	return hash_mix(h, (uint64_t)n | UINT64_C(0xff00));
}

uint64_t
labels_hash(const struct labels *ls)
{
	uint64_t h = HASH_SEED;
	size_t i;

	for (i = 0; i < ls->n; i++) {
		const struct label *l = &ls->v[i];

		h = hash_bytes(h, ls->arena.p + l->name, l->nlen);
		h = hash_bytes(h, ls->arena.p + l->value, l->vlen);
	}
	h ^= h >> 33;
	h *= HASH_MUL;
	return h ^ (h >> 32);
}

int
labels_cmp(const struct labels *a, const struct labels *b)
{
	size_t i, n = a->n < b->n ? a->n : b->n;
	int c;

	for (i = 0; i < n; i++) {
		const struct label *x = &a->v[i], *y = &b->v[i];

		c = name_cmp(a->arena.p + x->name, x->nlen,
		    b->arena.p + y->name, y->nlen);
		if (c)
			return c;
		c = name_cmp(a->arena.p + x->value, x->vlen,
		    b->arena.p + y->value, y->vlen);
		if (c)
			return c;
	}
	return a->n < b->n ? -1 : a->n > b->n;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Name bytes by table, as every written series checks its names. */
enum { NC_LABEL = 1, NC_METRIC = 2 };

static const unsigned char name_chars[256] = {
	['a' ... 'z'] = NC_LABEL | NC_METRIC,
	['A' ... 'Z'] = NC_LABEL | NC_METRIC,
	['_'] = NC_LABEL | NC_METRIC,
	['0' ... '9'] = NC_LABEL | NC_METRIC,
	[':'] = NC_METRIC,
};

static int
name_valid(const char *s, size_t n, unsigned char cls)
{
	size_t i;

	if (n == 0 || is_digit((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!(name_chars[(unsigned char)s[i]] & cls))
			return 0;
	return 1;
}

int
label_name_valid(const char *s, size_t n)
{
	return name_valid(s, n, NC_LABEL);
}

int
metric_name_valid(const char *s, size_t n)
{
	return name_valid(s, n, NC_METRIC);
}

int
label_escape(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0, start = out->len;

	for (i = 0; i < n; i++) {
		const char *esc;

		switch (s[i]) {
		case '\\': esc = "\\\\"; break;
		case '"': esc = "\\\""; break;
		case '\n': esc = "\\n"; break;
		default: continue;
		}
		if (buf_add(out, s + run, i - run) < 0 || buf_add(out, esc, 2) < 0)
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

int
label_unescape(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0, start = out->len;

	for (i = 0; i + 1 < n; i++) {
		char c;

		if (s[i] != '\\')
			continue;
		switch (s[i + 1]) {
		case '\\': c = '\\'; break;
		case '"': c = '"'; break;
		case 'n': c = '\n'; break;
		default:
			/* Unknown escapes stay as written; skip the pair so
			 * that in "\\\\n" the second backslash is not read
			 * as starting an escape. */
			i++;
			continue;
		}
		if (buf_add(out, s + run, i - run) < 0 || buf_addch(out, c) < 0)
			goto fail;
		i++;
		run = i + 1;
	}
	if (buf_add(out, s + run, n - run) < 0)
		goto fail;
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

static int
is_name_label(const struct labels *ls, const struct label *l)
{
	return l->nlen == sizeof(LABELS_NAME) - 1 &&
	    memcmp(ls->arena.p + l->name, LABELS_NAME, l->nlen) == 0;
}

/* Appends with a checked, growing add per piece: the path near the cap. */
static int
labels_format_slow(struct buf *out, const struct labels *ls, int with_name,
		   int with_empty)
{
	size_t i, start = out->len;
	int first = 1;

	if (with_name) {
		long k = labels_find(ls, LABELS_NAME, sizeof(LABELS_NAME) - 1);

		if (k >= 0 && buf_add(out, ls->arena.p + ls->v[k].value,
		    ls->v[k].vlen) < 0)
			goto fail;
	}
	for (i = 0; i < ls->n; i++) {
		const struct label *l = &ls->v[i];

		if (is_name_label(ls, l))
			continue;
		if (buf_addch(out, first ? '{' : ',') < 0 ||
		    buf_add(out, ls->arena.p + l->name, l->nlen) < 0 ||
		    buf_add(out, "=\"", 2) < 0 ||
		    label_escape(out, ls->arena.p + l->value, l->vlen) < 0 ||
		    buf_addch(out, '"') < 0)
			goto fail;
		first = 0;
	}
	if (first) {
		if (with_empty && buf_add(out, "{}", 2) < 0)
			goto fail;
	} else if (buf_addch(out, '}') < 0) {
		goto fail;
	}
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

/*
 * The hot path of every writer: room for the worst case (every value byte
 * escaped) is made once, then bytes are copied with no further checks.
 */
int
labels_format(struct buf *out, const struct labels *ls, int with_name,
	      int with_empty)
{
	const struct label *name = NULL;
	size_t i, need = 2;
	char *p;
	int first = 1;

	for (i = 0; i < ls->n; i++) {
		const struct label *l = &ls->v[i];

		if (is_name_label(ls, l)) {
			if (name == NULL)
				name = l;
		} else {
			need += l->nlen + 2 * (size_t)l->vlen + 4;
		}
	}
	if (with_name && name)
		need += name->vlen;
	if (buf_grow(out, need) < 0)
		return labels_format_slow(out, ls, with_name, with_empty);
	p = out->p + out->len;
	if (with_name && name) {
		memcpy(p, ls->arena.p + name->value, name->vlen);
		p += name->vlen;
	}
	for (i = 0; i < ls->n; i++) {
		const struct label *l = &ls->v[i];
		const char *v = ls->arena.p + l->value;
		size_t j;

		if (is_name_label(ls, l))
			continue;
		*p++ = first ? '{' : ',';
		first = 0;
		memcpy(p, ls->arena.p + l->name, l->nlen);
		p += l->nlen;
		*p++ = '=';
		*p++ = '"';
		for (j = 0; j < l->vlen; j++) {
			char c = v[j];

			if (c == '\\' || c == '"') {
				*p++ = '\\';
				*p++ = c;
			} else if (c == '\n') {
				*p++ = '\\';
				*p++ = 'n';
			} else {
				*p++ = c;
			}
		}
		*p++ = '"';
	}
	if (!first) {
		*p++ = '}';
	} else if (with_empty) {
		*p++ = '{';
		*p++ = '}';
	}
	out->len = (size_t)(p - out->p);
	out->p[out->len] = '\0';
	return 0;
}
