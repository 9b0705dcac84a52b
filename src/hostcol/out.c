/* out.c: gathers one cycle's samples and writes them sorted as node_exporter does. */
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcol.h"
#include "labels.h"
#include "lineio.h"
#include "obs.h"
#include "value.h"
#include "banned.h"

#define OUT_ARENA_MAX (256u * 1024 * 1024)
#define OUT_MAX_LABELS 64
/* The longest text value_format() may write (value.h's bound, NUL
 * excluded; today's longest is 24: -1.2345678901234567e-308).  A line's
 * room is sized by it, so no value can overrun the room. */
#define OUT_VALUE_MAX (VALUE_FMT_MAX - 1)

static void cache_clear(void);
static void cache_free(void);

/* Families are found by name through a small open-addressing table. */
static size_t *fam_index;
static size_t fam_slots;

/*
 * The program's read-only memory: its string literals, which no one can
 * change.  A kept call keeps only the address of each such string it
 * was made with: the same address again is the same text, so the most
 * common call (literal names) is matched without strcmp, and its text is
 * not copied.  Pointers elsewhere prove nothing (callers reuse their
 * buffers): those strings are kept and compared.  Each read-only PT_LOAD
 * segment counts alone, not the span from the first to the last: where
 * segments are aligned past the page size (64 KiB on some arm64
 * builds) the gaps between them are unmapped, and a later mmap could
 * land there.
 */
#define RO_MAX 8
static struct {
	uintptr_t lo, hi;
} ro_seg[RO_MAX];
static size_t nro;
static int ro_known;

/* The first object is the program: its PT_LOAD segments without write
 * permission (none, if there are more than RO_MAX). */
static int ro_segments(struct dl_phdr_info *info, size_t size, void *arg)
{
	size_t i;

	(void)size;
	(void)arg;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = (uintptr_t)(info->dlpi_addr + ph->p_vaddr);

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) ||
		    ph->p_memsz == 0)
			continue;
		if (nro == RO_MAX) {
			nro = 0;
			break;
		}
		ro_seg[nro].lo = a;
		ro_seg[nro].hi = a + ph->p_memsz;
		nro++;
	}
	return 1;
}

/* Whether s is in read-only memory. */
static int ro_has(const char *s)
{
	uintptr_t a = (uintptr_t)s;
	size_t i;

	if (!ro_known) {
		ro_known = 1;
		dl_iterate_phdr(ro_segments, NULL);
	}
	for (i = 0; i < nro; i++)
		if (a >= ro_seg[i].lo && a < ro_seg[i].hi)
			return 1;
	return 0;
}

static uint64_t name_hash(const char *s)
{
	return hc_hash(s, strlen(s));
}

/*
 * The series cache: a series (family, part, bound and label pairs) seen
 * in an earlier cycle keeps its key, its formatted text,
 * name{label="value",...}, and the call that added it (family name,
 * part, bound and the pairs in the order given).  When as many series as
 * were seen in the last cycle have gone stale, it starts afresh.
 */
struct series {
	uint64_t hash;
	double bound;
	uint32_t key, klen;	/* into cache_keys: fam, kind, bound, pairs */
	uint32_t call;		/* into cache_calls */
	uint32_t text, tlen;	/* into cache_text */
	uint32_t fam;
	uint8_t kind, nlabels;
};

/* A key starts with the family, the part and the bound; sorted
 * "name\0value\0" pairs follow. */
#define KEY_HDR (sizeof(uint32_t) + 1 + sizeof(double))

static struct series *cache;
static size_t ncache, capcache;
static size_t *cache_slot;	/* open addressing: index + 1, 0 empty */
static size_t cache_slots;
static struct buf cache_keys = BUF_INIT(OUT_ARENA_MAX);
static struct buf cache_calls = BUF_INIT(OUT_ARENA_MAX);
static struct buf cache_text = BUF_INIT(OUT_ARENA_MAX);

/*
 * The last cycle, for the next one, which mostly adds the same series in
 * the same order: the series added at each place, with where its call is
 * kept, so that a call is compared with it before anything is copied.
 * When a cycle adds the same series in the same order, its sorted order
 * (the lines below) is the last one's.
 */
struct prev {
	uint32_t sid, call;
};

static struct prev *prev;
/* At most o->cap: nprev is o->n when set, and o->s never shrinks but in
 * out_free(), which clears it (out_init() too, for a new out). */
static size_t nprev, capprev;
/* Set when this cycle added a sample of another series than last
 * cycle's at the same place: the lines are built again. */
static int diverged;

/*
 * The written lines as they stand between cycles, in written order: the
 * sample's place in insertion order, the length of its head (# HELP and
 * # TYPE before the first line of a family, then name{labels} and a
 * space), and the value last written after it with the length of its
 * text: a value that did not change is not formatted again.
 */
struct line {
	uint64_t bits;
	uint32_t at;		/* insertion index */
	uint32_t hlen;
	uint8_t vlen;
	uint8_t nl;		/* lines in the head and sample: 1, or 3 */
};

static struct line *lines;
static size_t caplines;

/*
 * The text of the lines as last written, timestamps and all, in blocks
 * of consecutive lines: a cycle that writes the same lines in the same
 * order patches each line's timestamp and the values that changed in
 * place, and copies a block whole, not a line at a time.  A block has
 * room for each of its lines' values at their longest: a value whose
 * text got longer or shorter moves the rest of its block only.  Just
 * built, a block holds each line's head at the start of its room and
 * the first write packs them.
 */
#define BLOCK_MAX 1024

struct block {
	uint32_t off, len;	/* its text, into img */
	uint32_t first, end;	/* its lines */
	uint32_t nl;		/* lines written, # HELP and # TYPE too */
	int fresh;		/* heads only, each at the start of its room */
};

static struct block *blocks;
static size_t nblocks, capblocks;
static struct buf img = BUF_INIT(OUT_ARENA_MAX);
static size_t img_tslen;	/* the timestamp text's length in img */

void out_init(struct out *o)
{
	memset(o, 0, sizeof(*o));
	nprev = 0;
	buf_init(&o->key, OUT_ARENA_MAX);
	buf_init(&o->metabuf, 1u << 20);
	labels_init(&o->ls);
}

/*
 * Families and series outlive a cycle (the next one has the same ones),
 * so a cycle costs no allocation for them; only samples are forgotten.
 */
void out_reset(struct out *o)
{
	if (ncache > 4096 && ncache > 2 * o->n)
		cache_clear();
	o->n = 0;
	diverged = 0;
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
	free(o->fams);
	free(o->s);
	buf_free(&o->key);
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
	struct out_mark m = { o->n };

	return m;
}

void out_rollback(struct out *o, struct out_mark m)
{
	if (m.n <= o->n)
		o->n = m.n;
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

static void cache_clear(void)
{
	free(cache);
	free(cache_slot);
	cache = NULL;
	cache_slot = NULL;
	ncache = capcache = cache_slots = 0;
	buf_reset(&cache_keys);
	buf_reset(&cache_calls);
	buf_reset(&cache_text);
	nprev = 0;
}

static void cache_free(void)
{
	cache_clear();
	buf_free(&cache_keys);
	buf_free(&cache_calls);
	buf_free(&cache_text);
	buf_free(&img);
	free(prev);
	free(lines);
	free(blocks);
	prev = NULL;
	lines = NULL;
	blocks = NULL;
	capprev = caplines = nblocks = capblocks = 0;
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

/*
 * Does the call match the one kept at k?  A kept call is the part, the
 * number of pairs, the bound, then the family name and each label name
 * and value: a read-only one as CALL_RO and its address (its text is
 * there; the whole address, not an offset: one load and compare a
 * string, and a call has few), another as a length byte (CALL_LONG:
 * longer), the bytes and a NUL.
 */
#define CALL_RO 254
#define CALL_LONG 255

static inline int call_str(const unsigned char **kp, const char *s)
{
	const unsigned char *k = *kp;
	size_t len = k[0];

	if (len == CALL_RO) {
		const char *ro;

		memcpy(&ro, k + 1, sizeof(ro));
		*kp = k + 1 + sizeof(ro);
		return s == ro || strcmp(ro, s) == 0;
	}
	if (strcmp((const char *)k + 1, s))
		return 0;
	if (len == CALL_LONG)
		len = strlen((const char *)k + 1);
	*kp = k + len + 2;
	return 1;
}

/* names[i * st] and values[i * st] are the pairs; a NULL value is "". */
static inline int call_same(const unsigned char *k, const char *name,
			    int kind, double bound, size_t n,
			    const char *const *names,
			    const char *const *values, size_t st)
{
	size_t i;

	if (k[0] != (unsigned char)kind || k[1] != n ||
	    memcmp(k + 2, &bound, sizeof(bound)) != 0)
		return 0;
	k += 2 + sizeof(bound);
	if (!call_str(&k, name))
		return 0;
	for (i = 0; i < n; i++) {
		const char *val = values[i * st];

		if (!call_str(&k, names[i * st]) ||
		    !call_str(&k, val ? val : ""))
			return 0;
	}
	return 1;
}

/* call_same() for out_addl()'s pairs (name, value or NULL for "", ...,
 * NULL): their number is the kept one if they end there, so they are
 * not counted first. */
static inline int call_same_pairs(const unsigned char *k, const char *name,
				  const char *const *pairs)
{
	static const double zero;
	size_t i, n = k[1];

	if (k[0] != OUT_PLAIN || memcmp(k + 2, &zero, sizeof(zero)) != 0)
		return 0;
	k += 2 + sizeof(zero);
	if (!call_str(&k, name))
		return 0;
	for (i = 0; i < n; i++) {
		const char *val = pairs[2 * i + 1];

		if (!pairs[2 * i] || !call_str(&k, pairs[2 * i]) ||
		    !call_str(&k, val ? val : ""))
			return 0;
	}
	return pairs[2 * n] == NULL;
}

static int call_put_str(struct buf *b, const char *s)
{
	size_t len;
	unsigned char c;

	if (ro_has(s))
		return buf_addch(b, CALL_RO) < 0 ||
		       buf_add(b, &s, sizeof(s)) < 0 ? -1 : 0;
	len = strlen(s);
	c = len < CALL_RO ? (unsigned char)len : CALL_LONG;
	return buf_addch(b, c) < 0 || buf_add(b, s, len + 1) < 0 ? -1 : 0;
}

static int call_keep(const char *name, int kind, double bound, size_t n,
		     const char *const *names, const char *const *values)
{
	size_t start = cache_calls.len, i;
	int r;

	r = buf_addch(&cache_calls, kind) < 0 ||
	    buf_addch(&cache_calls, (int)n) < 0 ||
	    buf_add(&cache_calls, &bound, sizeof(bound)) < 0 ||
	    call_put_str(&cache_calls, name) < 0;
	for (i = 0; !r && i < n; i++)
		r = call_put_str(&cache_calls, names[i]) < 0 ||
		    call_put_str(&cache_calls, values[i]) < 0;
	if (r) {
		buf_truncate(&cache_calls, start);
		return -1;
	}
	return 0;
}

/* Builds series e's label set (with __name__, le or quantile) in o->ls;
 * p holds its sorted pairs. */
static int series_labels(struct out *o, const struct series *e, const char *p)
{
	const struct out_fam *f = &o->fams[e->fam];
	struct buf *name = &o->metabuf;
	char bound[VALUE_FMT_MAX];
	const char *suffix = "";
	size_t i;

	switch (e->kind) {
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
	buf_reset(name);
	if (buf_addstr(name, f->name) < 0 || buf_addstr(name, suffix) < 0)
		return -1;
	labels_reset(&o->ls);
	if (labels_push(&o->ls, LABELS_NAME, strlen(LABELS_NAME), name->p,
			name->len) < 0)
		return -1;
	for (i = 0; i < e->nlabels; i++) {
		const char *nm = p, *val;
		size_t nml = strlen(p), vl;

		p += nml + 1;
		val = p;
		vl = strlen(p);
		p += vl + 1;
		if (labels_push(&o->ls, nm, nml, val, vl) < 0)
			return -1;
	}
	if (e->kind == OUT_BUCKET || e->kind == OUT_QUANTILE) {
		const char *bn = e->kind == OUT_BUCKET ? "le" : "quantile";

		value_format(e->bound, bound);
		if (labels_push(&o->ls, bn, strlen(bn), bound,
				strlen(bound)) < 0)
			return -1;
	}
	return labels_sort(&o->ls);
}

/*
 * The cache id of the series a call adds, adding (and formatting) it
 * when new: its key is the family, part, bound and the pairs sorted by
 * label name.
 */
static long series_find(struct out *o, uint32_t fam, const char *name,
			int kind, double bound, size_t n,
			const char *const *names, const char *const *values)
{
	size_t order[OUT_MAX_LABELS];
	struct buf *k = &o->key;
	struct series *e;
	unsigned char kd = (unsigned char)kind;
	uint64_t h;
	size_t i, j;

	/* Labels are kept sorted by name: the sort key of a series is its
	 * values in that order. */
	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && strcmp(names[order[j - 1]], names[i]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	buf_reset(k);
	if (buf_add(k, &fam, sizeof(fam)) < 0 || buf_add(k, &kd, 1) < 0 ||
	    buf_add(k, &bound, sizeof(bound)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *nm = names[order[i]], *val = values[order[i]];

		if (buf_add(k, nm, strlen(nm) + 1) < 0 ||
		    buf_add(k, val, strlen(val) + 1) < 0)
			return -1;
	}
	h = hc_hash(k->p, k->len);
	if ((ncache + 1) * 2 > cache_slots && cache_grow_slots() < 0)
		return -1;
	j = h & (cache_slots - 1);
	while (cache_slot[j]) {
		e = &cache[cache_slot[j] - 1];
		if (e->hash == h && e->klen == k->len &&
		    memcmp(cache_keys.p + e->key, k->p, k->len) == 0)
			return (long)(cache_slot[j] - 1);
		j = (j + 1) & (cache_slots - 1);
	}
	if (ncache == UINT32_MAX)
		return -1;
	if (ncache == capcache) {
		size_t nc = capcache ? capcache * 2 : 512;
		struct series *nv = realloc(cache, nc * sizeof(*nv));

		if (!nv)
			return -1;
		cache = nv;
		capcache = nc;
	}
	e = &cache[ncache];
	e->hash = h;
	e->bound = bound;
	e->key = (uint32_t)cache_keys.len;
	e->klen = (uint32_t)k->len;
	e->call = (uint32_t)cache_calls.len;
	e->text = (uint32_t)cache_text.len;
	e->fam = fam;
	e->kind = kd;
	e->nlabels = (uint8_t)n;
	if (buf_add(&cache_keys, k->p, k->len) < 0)
		return -1;
	if (call_keep(name, kind, bound, n, names, values) < 0 ||
	    series_labels(o, e, k->p + KEY_HDR) < 0 ||
	    lineio_format_series(&cache_text, &o->ls) < 0) {
		buf_truncate(&cache_keys, e->key);
		buf_truncate(&cache_calls, e->call);
		return -1;
	}
	e->tlen = (uint32_t)(cache_text.len - e->text);
	cache_slot[j] = ncache + 1;
	return (long)ncache++;
}

/* out_add_part() for n <= OUT_MAX_LABELS; tried: out_addl() found the
 * call is not last cycle's at this place (not asked again). */
static int add_part(struct out *o, const char *name, const char *help,
		    enum out_type type, int kind, double bound, double v,
		    size_t n, const char *const *names,
		    const char *const *values, int tried)
{
	long sid = -1, fam = -1;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		struct out_sample *ns = realloc(o->s, cap * sizeof(*ns));

		if (!ns)
			return -1;
		o->s = ns;
		o->cap = cap;
	}
	/* Most calls repeat the one made at this place last cycle: compared
	 * with it in place, nothing is copied, sorted or looked up. */
	if (o->n < nprev) {
		const struct prev *p = &prev[o->n];

		if (!tried &&
		    call_same((const unsigned char *)cache_calls.p + p->call,
			      name, kind, bound, n, names, values, 1))
			sid = (long)p->sid;
		else if (strcmp(o->fams[cache[p->sid].fam].name, name) == 0)
			fam = (long)cache[p->sid].fam;
	}
	if (sid < 0) {
		if (fam < 0)
			fam = fam_get(o, name, help, type);
		if (fam < 0)
			return -1;
		sid = series_find(o, (uint32_t)fam, name, kind, bound, n,
				  names, values);
		if (sid < 0)
			return -1;
	}
	if (o->n >= nprev || prev[o->n].sid != (uint32_t)sid)
		diverged = 1;
	o->s[o->n].v = v;
	o->s[o->n].sid = (uint32_t)sid;
	o->n++;
	return 0;
}

int out_add_part(struct out *o, const char *name, const char *help,
		 enum out_type type, int kind, double bound, double v,
		 size_t n, const char *const *names, const char *const *values)
{
	if (n > OUT_MAX_LABELS)
		return -1;
	return add_part(o, name, help, type, kind, bound, v, n, names,
			values, 0);
}

int out_addv(struct out *o, const char *name, const char *help,
	     enum out_type type, double v, size_t n,
	     const char *const *names, const char *const *values)
{
	return out_add_part(o, name, help, type, OUT_PLAIN, 0, v, n, names,
			    values);
}

/* out_addl() for a call that is not the one made at this place last
 * cycle: kept out of its way. */
static __attribute__((noinline)) int
addl_new(struct out *o, const char *name, const char *help,
	 enum out_type type, double v, const char *const *pairs, int tried)
{
	const char *names[OUT_MAX_LABELS], *values[OUT_MAX_LABELS];
	size_t i, n = 0;

	while (pairs[2 * n])
		n++;
	if (n > OUT_MAX_LABELS) {
		errno = E2BIG;
		return -1;
	}
	for (i = 0; i < n; i++) {
		names[i] = pairs[2 * i];
		values[i] = pairs[2 * i + 1] ? pairs[2 * i + 1] : "";
	}
	return add_part(o, name, help, type, OUT_PLAIN, 0, v, n, names,
			values, tried);
}

int out_addl(struct out *o, const char *name, const char *help,
	     enum out_type type, double v, const char *const *pairs)
{
	/* nprev <= o->cap: there is room for the sample. */
	int tried = o->n < nprev;

	/* Most calls repeat the one made at this place last cycle: the
	 * sample is that series', and nothing is copied or looked up. */
	if (tried &&
	    call_same_pairs((const unsigned char *)cache_calls.p +
			    prev[o->n].call, name, pairs)) {
		o->s[o->n].v = v;
		o->s[o->n].sid = prev[o->n].sid;
		o->n++;
		return 0;
	}
	return addl_new(o, name, help, type, v, pairs, tried);
}

/* qsort has no context argument in C99: the samples are set per sort. */
static const struct out *sort_out;

/* Family name, number of labels, label values in label-name order, part,
 * bound, then insertion order. */
static int sample_cmp(const void *x, const void *y)
{
	uint32_t ia = ((const struct line *)x)->at;
	uint32_t ib = ((const struct line *)y)->at;
	const struct series *a = &cache[sort_out->s[ia].sid];
	const struct series *b = &cache[sort_out->s[ib].sid];
	const char *pa, *pb;
	size_t i;
	int c;

	if (a->fam != b->fam)
		return strcmp(sort_out->fams[a->fam].name,
			      sort_out->fams[b->fam].name);
	if (a->nlabels != b->nlabels)
		return a->nlabels < b->nlabels ? -1 : 1;
	pa = cache_keys.p + a->key + KEY_HDR;
	pb = cache_keys.p + b->key + KEY_HDR;
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
	return ia < ib ? -1 : ia > ib;
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

/* The name in # HELP and # TYPE: as it is, or quoted as Prometheus 3
 * writes a name outside the classic syntax. */
static int meta_name(struct buf *m, const char *name, size_t nl)
{
	size_t i;
	int valid = nl > 0;

	for (i = 0; i < nl; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9')))
			valid = 0;
	}
	if (valid || metric_name_valid(name, nl))
		return buf_add(m, name, nl);
	if (buf_addch(m, '"') < 0 || label_escape(m, name, nl) < 0)
		return -1;
	return buf_addch(m, '"');
}

/* "# HELP name text\n# TYPE name word", formatted once a family. */
static int fam_meta(struct out *o, struct out_fam *f)
{
	const char *t = type_word(f->type), *h;
	size_t nl = strlen(f->name);
	struct buf *m = &o->metabuf;

	if (f->meta)
		return 0;
	buf_reset(m);
	if (buf_add(m, "# HELP ", 7) < 0 || meta_name(m, f->name, nl) < 0 ||
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
	if (buf_addch(m, '\n') < 0 || buf_add(m, "# TYPE ", 7) < 0 ||
	    meta_name(m, f->name, nl) < 0 || buf_addch(m, ' ') < 0 ||
	    buf_addstr(m, t) < 0)
		return -1;
	f->typelen = m->len - f->helplen - 1;
	f->meta = malloc(m->len);
	if (!f->meta)
		return -1;
	memcpy(f->meta, m->p, m->len);
	return 0;
}

/* A line's room in a fresh block: its head, the longest value (no text
 * of value_format() is longer than OUT_VALUE_MAX, by value.h's contract:
 * the room holds any value the line takes later), the timestamp and the
 * newline. */
static size_t line_room(const struct line *l, size_t tslen)
{
	return l->hlen + OUT_VALUE_MAX + tslen + 1;
}

static int block_add(size_t first, size_t end, size_t off, uint32_t nl)
{
	struct block *k;

	if (nblocks == capblocks) {
		size_t c = capblocks ? capblocks * 2 : 64;
		struct block *nb = realloc(blocks, c * sizeof(*nb));

		if (!nb)
			return -1;
		blocks = nb;
		capblocks = c;
	}
	k = &blocks[nblocks++];
	k->off = (uint32_t)off;
	k->len = 0;
	k->first = (uint32_t)first;
	k->end = (uint32_t)end;
	k->nl = nl;
	k->fresh = 1;
	return 0;
}

/* Sorts the samples and lays out the lines' heads in blocks for that
 * order, with room for values and timestamps tslen long. */
static int lines_build(struct out *o, size_t tslen)
{
	size_t i, last = SIZE_MAX, first = 0, bstart = 0;
	uint32_t bnl = 0;

	nprev = 0;
	nblocks = 0;
	if (o->n > capprev) {
		size_t cap = o->n * 2;
		struct prev *np = realloc(prev, cap * sizeof(*np));

		if (!np)
			return -1;
		prev = np;
		capprev = cap;
	}
	if (o->n > caplines) {
		size_t cap = o->n * 2;
		struct line *nl = realloc(lines, cap * sizeof(*nl));

		if (!nl)
			return -1;
		lines = nl;
		caplines = cap;
	}
	for (i = 0; i < o->n; i++)
		lines[i].at = (uint32_t)i;
	sort_out = o;
	if (o->n > 1)
		qsort(lines, o->n, sizeof(*lines), sample_cmp);
	sort_out = NULL;
	buf_reset(&img);
	for (i = 0; i < o->n; i++) {
		struct line *l = &lines[i];
		const struct series *e = &cache[o->s[l->at].sid];
		struct out_fam *f = &o->fams[e->fam];
		size_t start = img.len, room;

		l->nl = 1;
		if (e->fam != last) {
			if (fam_meta(o, f) < 0 ||
			    buf_add(&img, f->meta,
				    f->helplen + 1 + f->typelen) < 0 ||
			    buf_addch(&img, '\n') < 0)
				return -1;
			last = e->fam;
			l->nl = 3;
		}
		if (buf_add(&img, cache_text.p + e->text, e->tlen) < 0 ||
		    buf_addch(&img, ' ') < 0)
			return -1;
		l->hlen = (uint32_t)(img.len - start);
		l->vlen = 0;
		room = line_room(l, tslen);
		if (buf_grow(&img, room - l->hlen) < 0)
			return -1;
		img.len += room - l->hlen;
		/* A block ends before a line that would take it past
		 * BLOCK_MAX; a longer line is a block alone. */
		if (i > first && start - bstart + room > BLOCK_MAX) {
			if (block_add(first, i, bstart, bnl) < 0)
				return -1;
			first = i;
			bstart = start;
			bnl = 0;
		}
		bnl += l->nl;
	}
	if (o->n > first &&
	    block_add(first, o->n, bstart, bnl) < 0)
		return -1;
	img_tslen = tslen;
	for (i = 0; i < o->n; i++) {
		prev[i].sid = o->s[i].sid;
		prev[i].call = cache[o->s[i].sid].call;
	}
	nprev = o->n;
	return 0;
}

/* " ms" as snprintf's " %" PRId64 writes it, into ts[24]; its length. */
static size_t ts_text(char *ts, int64_t ms)
{
	size_t n = 1;

	ts[0] = ' ';
	if (ms < 0)
		ts[n++] = '-';
	return n + hc_u64_str(ts + n, ms < 0 ? 0 - (uint64_t)ms : (uint64_t)ms);
}

/* Packs fresh block k: each line's head moves down to the end of the
 * line before, its value and the timestamp follow. */
static void block_pack(struct block *k, const struct out_sample *smp,
		       const char *ts, size_t tslen)
{
	char *src = img.p + k->off, *dst = src;
	size_t j;

	for (j = k->first; j < k->end; j++) {
		struct line *l = &lines[j];
		double v = smp[l->at].v;
		size_t room = line_room(l, tslen), vl;
		char val[VALUE_FMT_MAX];

		/* dst is at or below src: what is written ends within the
		 * room of this line, ahead of the heads not read yet. */
		if (dst != src)
			memmove(dst, src, l->hlen);
		vl = value_format(v, val);
		memcpy(dst + l->hlen, val, vl);
		memcpy(&l->bits, &v, sizeof(l->bits));
		l->vlen = (uint8_t)vl;
		memcpy(dst + l->hlen + vl, ts, tslen);
		dst[l->hlen + vl + tslen] = '\n';
		dst += l->hlen + vl + tslen + 1;
		src += room;
	}
	k->len = (uint32_t)(dst - (img.p + k->off));
	k->fresh = 0;
}

/* Block k as last written with this cycle's timestamp (ts, as long as
 * last cycle's and at least a word long) and the values that changed. */
static void block_patch(struct block *k, const struct out_sample *smp,
			const char *ts, size_t tslen)
{
	/* In locals: the stores of text could alias them. */
	struct line *l = lines + k->first, *end = lines + k->end;
	char *p = img.p + k->off, *text_end = p + k->len;
	size_t ts_b_at = tslen - sizeof(uint64_t);
	uint64_t ts_a, ts_b;

	/* The timestamp as two words, the second ending where it ends (a
	 * constant size is cheaper than its length). */
	memcpy(&ts_a, ts, sizeof(ts_a));
	memcpy(&ts_b, ts + ts_b_at, sizeof(ts_b));
	for (; l < end; l++) {
		const double *v = &smp[l->at].v;
		char *d = p + l->hlen;
		uint64_t bits;

		memcpy(&bits, v, sizeof(bits));
		if (bits != l->bits) {
			char val[VALUE_FMT_MAX];
			size_t vl = value_format(*v, val);

			/* The rest of the block moves (there is room). */
			if (vl != l->vlen) {
				memmove(d + vl, d + l->vlen,
					(size_t)(text_end - (d + l->vlen)));
				text_end += (ptrdiff_t)vl - l->vlen;
				l->vlen = (uint8_t)vl;
			}
			memcpy(d, val, vl);
			l->bits = bits;
		}
		d += l->vlen;
		memcpy(d, &ts_a, sizeof(ts_a));
		memcpy(d + ts_b_at, &ts_b, sizeof(ts_b));
		p = d + tslen + 1;
	}
	k->len = (uint32_t)(text_end - (img.p + k->off));
}

/*
 * The lines go into the writer's buffer, which is handed to write(2)
 * (lineio_flush) whenever the next line would take it past
 * OBS_LINE_ATOMIC bytes: each write ends at a line end.
 */
int out_write(struct out *o, struct lineio_writer *w, int64_t ts_ms)
{
	struct buf *b = &w->out;
	const struct out_sample *smp = o->s;
	size_t i, tslen, pos;
	unsigned long nlines = 0;
	char ts[24] = "";

	tslen = ts_text(ts, ts_ms);
	/* Last cycle's series in last cycle's order, with a timestamp as
	 * long: its text stands but for the timestamps and the values.  A
	 * timestamp that two words do not cover exactly (shorter than one:
	 * before 1970-01-01 00:16:40 UTC; longer than two: from the year
	 * 33658, or far before 1970) is rare enough to lay the lines out
	 * anew, since block_patch() writes a timestamp as its first and
	 * last word. */
	if ((diverged || nprev != o->n || tslen != img_tslen ||
	     tslen < sizeof(uint64_t) || tslen > 2 * sizeof(uint64_t)) &&
	    lines_build(o, tslen) < 0)
		return -1;
	diverged = 0;
	/* Room for a whole piece. */
	if (buf_grow(b, OBS_LINE_ATOMIC) < 0)
		return -1;
	pos = b->len;
	for (i = 0; i < nblocks; i++) {
		struct block *k = &blocks[i];
		const char *t, *run;
		size_t j;

		if (k->fresh)
			block_pack(k, smp, ts, tslen);
		else
			block_patch(k, smp, ts, tslen);
		t = img.p + k->off;
		if (pos + k->len <= OBS_LINE_ATOMIC) {
			memcpy(b->p + pos, t, k->len);
			pos += k->len;
			nlines += k->nl;
			continue;
		}
		/* The block ends this piece: the lines that fit go in it
		 * (from run to t), the others start the next. */
		run = t;
		for (j = k->first; j < k->end; j++) {
			const struct line *l = &lines[j];
			size_t len = l->hlen + l->vlen + tslen + 1;

			if (pos + (size_t)(t - run) + len > OBS_LINE_ATOMIC) {
				memcpy(b->p + pos, run, (size_t)(t - run));
				b->len = pos + (size_t)(t - run);
				w->lines += nlines;
				nlines = 0;
				if (b->len && lineio_flush(w) < 0)
					return -1;
				pos = b->len;
				run = t;
				/* A line longer than a piece goes alone. */
				if (len > OBS_LINE_ATOMIC) {
					if (buf_add(b, t, len) < 0 ||
					    lineio_flush(w) < 0)
						return -1;
					w->lines += l->nl;
					pos = b->len;
					t += len;
					run = t;
					continue;
				}
			}
			nlines += l->nl;
			t += len;
		}
		memcpy(b->p + pos, run, (size_t)(t - run));
		pos += (size_t)(t - run);
	}
	b->len = pos;
	w->lines += nlines;
	b->p[pos] = '\0';
	return 0;
}
