/* out.c: gathers one cycle's samples and writes them sorted as node_exporter does. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcol.h"
#include "labels.h"
#include "lineio.h"
#include "value.h"
#include "banned.h"

#define OUT_ARENA_MAX (256u * 1024 * 1024)
#define OUT_MAX_LABELS 64

static void cache_free(void);

/* Families are found by name through a small open-addressing table. */
static size_t *fam_index;
static size_t fam_slots;

static uint64_t name_hash(const char *s)
{
	return hc_hash(s, strlen(s));
}

void out_init(struct out *o)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->arena, OUT_ARENA_MAX);
	buf_init(&o->metabuf, 1u << 20);
	labels_init(&o->ls);
}

/*
 * Families outlive a cycle (the next one has the same names), so a cycle
 * costs no allocation for them; only samples are forgotten.
 */
void out_reset(struct out *o)
{
	o->n = 0;
	buf_reset(&o->arena);
}

void out_free(struct out *o)
{
	size_t i;

	for (i = 0; i < o->nfams; i++) {
		free(o->fams[i].name);
		free(o->fams[i].help);
		free(o->fams[i].meta);
	}
	o->nfams = 0;
	out_reset(o);
	free(o->fams);
	free(o->s);
	buf_free(&o->arena);
	labels_free(&o->ls);
	free(fam_index);
	fam_index = NULL;
	fam_slots = 0;
	buf_free(&o->metabuf);
	cache_free();
	memset(o, 0, sizeof(*o));
}

/* Slot values are family index + 1; 0 is empty. */
static int fam_rehash(struct out *o, size_t slots)
{
	size_t *t = calloc(slots, sizeof(*t));
	size_t i;

	if (!t)
		return -1;
	for (i = 0; i < o->nfams; i++) {
		size_t j = name_hash(o->fams[i].name) & (slots - 1);

		while (t[j])
			j = (j + 1) & (slots - 1);
		t[j] = i + 1;
	}
	free(fam_index);
	fam_index = t;
	fam_slots = slots;
	return 0;
}

static long fam_find(struct out *o, const char *name, size_t *slot)
{
	size_t j;

	if (!fam_slots)
		return -1;
	j = name_hash(name) & (fam_slots - 1);
	while (fam_index[j]) {
		if (strcmp(o->fams[fam_index[j] - 1].name, name) == 0)
			return (long)(fam_index[j] - 1);
		j = (j + 1) & (fam_slots - 1);
	}
	*slot = j;
	return -1;
}

struct out_mark out_mark(const struct out *o)
{
	struct out_mark m = { o->n, o->arena.len };

	return m;
}

void out_rollback(struct out *o, struct out_mark m)
{
	if (m.n <= o->n)
		o->n = m.n;
	if (m.arena <= o->arena.len)
		buf_truncate(&o->arena, m.arena);
}

int out_has_family(const struct out *o, const char *name)
{
	size_t slot;

	return fam_find((struct out *)o, name, &slot) >= 0;
}

static long fam_get(struct out *o, const char *name, const char *help,
		    enum out_type type)
{
	size_t slot = 0;
	long i = fam_find(o, name, &slot);
	struct out_fam *f;

	if (i >= 0)
		return i;
	if ((o->nfams + 1) * 2 > fam_slots) {
		if (fam_rehash(o, fam_slots ? fam_slots * 2 : 256) < 0)
			return -1;
		(void)fam_find(o, name, &slot);
	}
	if (o->nfams == o->capfams) {
		size_t cap = o->capfams ? o->capfams * 2 : 128;
		struct out_fam *nf = realloc(o->fams, cap * sizeof(*nf));

		if (!nf)
			return -1;
		o->fams = nf;
		o->capfams = cap;
	}
	f = &o->fams[o->nfams];
	f->name = strdup(name);
	f->help = strdup(help);
	f->type = type;
	f->meta = NULL;
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		return -1;
	}
	fam_index[slot] = o->nfams + 1;
	return (long)o->nfams++;
}

int out_add_part(struct out *o, const char *name, const char *help,
		 enum out_type type, int kind, double bound, double v,
		 size_t n, const char *const *names, const char *const *values)
{
	size_t order[OUT_MAX_LABELS];
	struct out_sample *s;
	size_t i, j, start = o->arena.len;
	long fam = -1;

	/* The sample added here last cycle is most likely of the same
	 * family: one strcmp, not a hash and a probe. */
	if (o->n < o->seen && o->s[o->n].fam < o->nfams &&
	    strcmp(o->fams[o->s[o->n].fam].name, name) == 0)
		fam = (long)o->s[o->n].fam;
	if (fam < 0)
		fam = fam_get(o, name, help, type);
	if (fam < 0 || n > OUT_MAX_LABELS)
		return -1;
	/* Labels are kept sorted by name: the sort key of a series is its
	 * values in that order. */
	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && strcmp(names[order[j - 1]], names[i]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < n; i++) {
		const char *nm = names[order[i]], *val = values[order[i]];

		if (buf_add(&o->arena, nm, strlen(nm) + 1) < 0 ||
		    buf_add(&o->arena, val, strlen(val) + 1) < 0) {
			buf_truncate(&o->arena, start);
			return -1;
		}
	}
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		struct out_sample *ns = realloc(o->s, cap * sizeof(*ns));

		if (!ns) {
			buf_truncate(&o->arena, start);
			return -1;
		}
		o->s = ns;
		o->cap = cap;
	}
	s = &o->s[o->n];
	s->fam = (size_t)fam;
	s->off = start;
	s->nlabels = n;
	s->seq = o->n;
	s->v = v;
	s->kind = kind;
	s->bound = bound;
	s->llen = o->arena.len - start;
	o->n++;
	if (o->n > o->seen)
		o->seen = o->n;
	return 0;
}

int out_addv(struct out *o, const char *name, const char *help,
	     enum out_type type, double v, size_t n,
	     const char *const *names, const char *const *values)
{
	return out_add_part(o, name, help, type, OUT_PLAIN, 0, v, n, names,
			    values);
}

int out_add(struct out *o, const char *name, const char *help,
	    enum out_type type, double v, ...)
{
	const char *names[OUT_MAX_LABELS], *values[OUT_MAX_LABELS];
	size_t n = 0;
	const char *ln;
	va_list ap;

	va_start(ap, v);
	while ((ln = va_arg(ap, const char *)) != NULL) {
		const char *lv = va_arg(ap, const char *);

		if (n == OUT_MAX_LABELS) {
			va_end(ap);
			errno = E2BIG;
			return -1;
		}
		names[n] = ln;
		values[n] = lv ? lv : "";
		n++;
	}
	va_end(ap);
	return out_addv(o, name, help, type, v, n, names, values);
}

/* qsort has no context argument in C99: the arena base is set per sort. */
static const struct out *sort_out;

static int sample_cmp(const void *x, const void *y)
{
	const struct out_sample *a = x, *b = y;
	const char *pa, *pb;
	size_t i;
	int c;

	if (a->fam != b->fam)
		return strcmp(sort_out->fams[a->fam].name,
			      sort_out->fams[b->fam].name);
	if (a->nlabels != b->nlabels)
		return a->nlabels < b->nlabels ? -1 : 1;
	pa = sort_out->arena.p + a->off;
	pb = sort_out->arena.p + b->off;
	for (i = 0; i < a->nlabels; i++) {
		pa += strlen(pa) + 1;
		pb += strlen(pb) + 1;
		c = strcmp(pa, pb);
		if (c)
			return c;
		pa += strlen(pa) + 1;
		pb += strlen(pb) + 1;
	}
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->bound != b->bound)
		return a->bound < b->bound ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static const char *type_word(enum out_type t)
{
	switch (t) {
	case OUT_COUNTER:
		return "counter";
	case OUT_GAUGE:
		return "gauge";
	case OUT_SUMMARY:
		return "summary";
	case OUT_HISTOGRAM:
		return "histogram";
	case OUT_UNTYPED:
		break;
	}
	return "untyped";
}

/* Builds the sample's label set (with __name__, le or quantile) in o->ls. */
static int sample_labels(struct out *o, const struct out_sample *s)
{
	const struct out_fam *f = &o->fams[s->fam];
	const char *p = o->arena.p ? o->arena.p + s->off : "";
	char name[512], bound[VALUE_FMT_MAX];
	const char *suffix = "";
	size_t i, nl = strlen(f->name), sl;

	switch (s->kind) {
	case OUT_BUCKET:
		suffix = "_bucket";
		break;
	case OUT_SUM:
		suffix = "_sum";
		break;
	case OUT_COUNT:
		suffix = "_count";
		break;
	default:
		break;
	}
	sl = strlen(suffix);
	if (nl + sl >= sizeof(name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, f->name, nl);
	memcpy(name + nl, suffix, sl + 1);
	labels_reset(&o->ls);
	if (labels_push(&o->ls, LABELS_NAME, strlen(LABELS_NAME), name,
			nl + sl) < 0)
		return -1;
	for (i = 0; i < s->nlabels; i++) {
		const char *nm = p, *val;
		size_t nml = strlen(p), vl;

		p += nml + 1;
		val = p;
		vl = strlen(p);
		p += vl + 1;
		if (labels_push(&o->ls, nm, nml, val, vl) < 0)
			return -1;
	}
	if (s->kind == OUT_BUCKET || s->kind == OUT_QUANTILE) {
		const char *bn = s->kind == OUT_BUCKET ? "le" : "quantile";

		value_format(s->bound, bound);
		if (labels_push(&o->ls, bn, strlen(bn), bound,
				strlen(bound)) < 0)
			return -1;
	}
	return labels_sort(&o->ls);
}

/*
 * The series cache: a series (family, part, bound and label pairs) seen
 * in an earlier cycle keeps its formatted text, name{label="value",...},
 * so a cycle formats and escapes only new series.  When as many series
 * as were seen in the last cycle have gone stale, it starts afresh.
 */
struct series {
	uint64_t hash;
	size_t key, klen;	/* into cache_keys */
	size_t text, tlen;	/* into cache_text */
};

static struct series *cache;
static size_t ncache;
static size_t *cache_slot;	/* open addressing: index + 1, 0 empty */
static size_t cache_slots;
static struct buf cache_keys = BUF_INIT(OUT_ARENA_MAX);
static struct buf cache_text = BUF_INIT(OUT_ARENA_MAX);
static struct buf keybuf = BUF_INIT(1u << 20);

/* The last cycle's series ids in insertion order and in written order:
 * when a cycle adds the same series in the same order, its sorted order
 * is the last one's. */
static size_t *prev_ids, *prev_perm, nprev, capprev;

static void cache_clear(void)
{
	free(cache);
	free(cache_slot);
	cache = NULL;
	cache_slot = NULL;
	ncache = cache_slots = 0;
	buf_reset(&cache_keys);
	buf_reset(&cache_text);
	nprev = 0;
}

static void cache_free(void)
{
	cache_clear();
	buf_free(&cache_keys);
	buf_free(&cache_text);
	buf_free(&keybuf);
	free(prev_ids);
	free(prev_perm);
	prev_ids = prev_perm = NULL;
	capprev = 0;
}

static uint64_t bytes_hash(const char *p, size_t n)
{
	return hc_hash(p, n);
}

static int cache_grow_slots(void)
{
	size_t slots = cache_slots ? cache_slots * 2 : 1024, i;
	size_t *t = calloc(slots, sizeof(*t));

	if (!t)
		return -1;
	for (i = 0; i < ncache; i++) {
		size_t j = cache[i].hash & (slots - 1);

		while (t[j])
			j = (j + 1) & (slots - 1);
		t[j] = i + 1;
	}
	free(cache_slot);
	cache_slot = t;
	cache_slots = slots;
	return 0;
}

/* The cache id of sample s, adding (and formatting) it when new; hint
 * is the id the sample at its place had last cycle (or -1): most cycles
 * add the same series in the same order, and comparing with that one
 * entry spares the hash and the probe of a table no longer in cache. */
static long series_id(struct out *o, const struct out_sample *s, long hint)
{
	static size_t cap;
	const size_t hdr = sizeof(s->fam) + sizeof(s->kind) + sizeof(s->bound);
	struct series *e;
	uint64_t h;
	size_t j;

	/* Most often the hint is it: compared in place, with no key
	 * built. */
	if (hint >= 0 && (size_t)hint < ncache) {
		const char *k;

		e = &cache[hint];
		k = cache_keys.p + e->key;
		if (e->klen == hdr + s->llen &&
		    memcmp(k, &s->fam, sizeof(s->fam)) == 0 &&
		    memcmp(k + sizeof(s->fam), &s->kind, sizeof(s->kind)) == 0 &&
		    memcmp(k + sizeof(s->fam) + sizeof(s->kind), &s->bound,
			   sizeof(s->bound)) == 0 &&
		    (s->llen == 0 ||
		     memcmp(k + hdr, o->arena.p + s->off, s->llen) == 0))
			return hint;
	}
	/* One copy into the key, not a buf_add a field: this runs for every
	 * new series. */
	buf_reset(&keybuf);
	if (buf_grow(&keybuf, sizeof(s->fam) + sizeof(s->kind) +
				  sizeof(s->bound) + s->llen) < 0)
		return -1;
	memcpy(keybuf.p, &s->fam, sizeof(s->fam));
	memcpy(keybuf.p + sizeof(s->fam), &s->kind, sizeof(s->kind));
	memcpy(keybuf.p + sizeof(s->fam) + sizeof(s->kind), &s->bound,
	       sizeof(s->bound));
	if (s->llen)
		memcpy(keybuf.p + sizeof(s->fam) + sizeof(s->kind) +
			       sizeof(s->bound),
		       o->arena.p + s->off, s->llen);
	keybuf.len = sizeof(s->fam) + sizeof(s->kind) + sizeof(s->bound) +
		     s->llen;
	h = bytes_hash(keybuf.p, keybuf.len);
	if ((ncache + 1) * 2 > cache_slots && cache_grow_slots() < 0)
		return -1;
	j = h & (cache_slots - 1);
	while (cache_slot[j]) {
		e = &cache[cache_slot[j] - 1];
		if (e->hash == h && e->klen == keybuf.len &&
		    memcmp(cache_keys.p + e->key, keybuf.p, keybuf.len) == 0)
			return (long)(cache_slot[j] - 1);
		j = (j + 1) & (cache_slots - 1);
	}
	if (ncache == cap || !cache) {
		size_t nc = ncache == cap ? (cap ? cap * 2 : 1024) : cap;
		struct series *nv = realloc(cache, nc * sizeof(*nv));

		if (!nv)
			return -1;
		cache = nv;
		cap = nc;
	}
	e = &cache[ncache];
	e->hash = h;
	e->key = cache_keys.len;
	e->klen = keybuf.len;
	e->text = cache_text.len;
	if (buf_add(&cache_keys, keybuf.p, keybuf.len) < 0)
		return -1;
	if (sample_labels(o, s) < 0 ||
	    lineio_format_series(&cache_text, &o->ls) < 0) {
		buf_truncate(&cache_keys, e->key);
		return -1;
	}
	e->tlen = cache_text.len - e->text;
	cache_slot[j] = ncache + 1;
	return (long)ncache++;
}

/* "# HELP name text" and "# TYPE name word", formatted once a family. */
static int fam_meta(struct out *o, struct out_fam *f, struct lineio_writer *w)
{
	const char *t = type_word(f->type), *h;
	size_t nl = strlen(f->name), i;
	int valid = nl > 0;
	struct buf *m = &o->metabuf;

	if (f->meta)
		goto write;
	for (i = 0; i < nl; i++) {
		char c = f->name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9')))
			valid = 0;
	}
	if (!valid)
		return lineio_write_meta(w, META_HELP, f->name, f->help) < 0 ||
		       lineio_write_meta(w, META_TYPE, f->name, t) < 0 ? -1 : 0;
	buf_reset(m);
	if (buf_add(m, "# HELP ", 7) < 0 || buf_add(m, f->name, nl) < 0 ||
	    buf_addch(m, ' ') < 0)
		return -1;
	/* HELP escapes backslash and newline only, as Prometheus does. */
	for (h = f->help; *h; h++) {
		size_t run = strcspn(h, "\\\n");
		int r;

		if (run) {
			if (buf_add(m, h, run) < 0)
				return -1;
			h += run;
			if (!*h)
				break;
		}
		r = *h == '\\' ? buf_add(m, "\\\\", 2) :
				  buf_add(m, "\\n", 2);
		if (r < 0)
			return -1;
	}
	f->helplen = m->len;
	/* Both lines in one piece, written with one call. */
	if (buf_addch(m, '\n') < 0 || buf_add(m, "# TYPE ", 7) < 0 ||
	    buf_add(m, f->name, nl) < 0 || buf_addch(m, ' ') < 0 ||
	    buf_addstr(m, t) < 0)
		return -1;
	f->typelen = m->len - f->helplen - 1;
	f->meta = malloc(m->len);
	if (!f->meta)
		return -1;
	memcpy(f->meta, m->p, m->len);
write:
	if (lineio_write_raw(w, f->meta, f->helplen + 1 + f->typelen) < 0)
		return -1;
	return 0;
}

int out_write(struct out *o, struct lineio_writer *w, int64_t ts_ms)
{
	size_t i, last = SIZE_MAX, *perm, tslen, tl;
	char ts[24], tail[1 + VALUE_FMT_MAX + sizeof(ts)];
	int same;

	tail[0] = ' ';
	tslen = (size_t)snprintf(ts, sizeof(ts), " %" PRId64, ts_ms);
	/* Series seen before keep their text; too many stale ones, and the
	 * cache starts afresh. */
	if (ncache > 4096 && ncache > 2 * o->n)
		cache_clear();
	for (i = 0; i < o->n; i++) {
		long id = series_id(o, &o->s[i],
				    i < nprev ? (long)prev_ids[i] : -1);

		if (id < 0)
			return -1;
		o->s[i].sid = (size_t)id;
	}
	same = nprev == o->n;
	for (i = 0; same && i < o->n; i++)
		same = prev_ids[i] == o->s[i].sid;
	if (o->n > capprev) {
		size_t cap = o->n * 2;
		size_t *a = realloc(prev_ids, cap * sizeof(*a));

		if (!a)
			return -1;
		prev_ids = a;
		a = realloc(prev_perm, cap * sizeof(*a));
		if (!a)
			return -1;
		prev_perm = a;
		capprev = cap;
	}
	perm = prev_perm;
	if (!same) {
		for (i = 0; i < o->n; i++)
			prev_ids[i] = o->s[i].sid;
		nprev = o->n;
		sort_out = o;
		if (o->n > 1)
			qsort(o->s, o->n, sizeof(*o->s), sample_cmp);
		sort_out = NULL;
		/* The samples are in written order now; seq is where each
		 * was added. */
		for (i = 0; i < o->n; i++)
			perm[i] = i;
	}
	for (i = 0; i < o->n; i++) {
		const struct out_sample *s = &o->s[perm[i]];
		const struct series *e = &cache[s->sid];

		if (s->fam != last) {
			if (fam_meta(o, &o->fams[s->fam], w) < 0)
				return -1;
			last = s->fam;
		}
		/* The same line lineio_write_series() writes, with the
		 * cycle's timestamp formatted once, not once a sample. */
		tl = 1 + value_format(s->v, tail + 1);
		memcpy(tail + tl, ts, tslen);
		if (lineio_write_joined(w, cache_text.p + e->text, e->tlen,
					tail, tl + tslen) < 0)
			return -1;
	}
	/* The next cycle reuses the order: written position -> the
	 * insertion index of the sample written there. */
	if (!same)
		for (i = 0; i < o->n; i++)
			perm[i] = o->s[i].seq;
	return 0;
}
