/* main.c: relabel, Prometheus relabel_configs and log stages on a stream of obs lines. */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "expo.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "record.h"
#include "relabel.h"
#include "sig.h"
#include "stages.h"
#include "stats.h"
#include "value.h"
#include "yconf.h"
#include "banned.h"

#define STATS_INTERVAL_MS 10000

enum drop_reason { DROP_RULE, DROP_INVALID_NAME, DROP_MALFORMED, DROP_STAGE,
		   DROP_NREASONS };
static const char *const drop_names[] = { "rule", "invalid_name", "malformed",
    "stage" };

/*
 * Series already seen, as Prometheus' scrape cache keeps them.  A sample
 * line is its series text (name{labels}: the key) and " VALUE[ TS]", and
 * one series text always parses, relabels and formats the same way: so
 * the outcome for the first line of a series is kept under its text, and
 * later lines of it only have their value and timestamp read.  The cache
 * is bounded; when full it starts over empty.  If it filled up with fewer
 * hits than series (the series do not repeat within its size), it rests
 * for a number of lines that doubles each time this happens again.
 *
 * The series of a target differ from one to the next in a label value
 * or two, and relabeling mostly inserts or changes a few labels: so a key
 * is kept as the bytes it does not share with the key kept before it at
 * its start, at its end, and in one run between two values that differ
 * (whole at least every SEEN_RUN + 1 keys, so that any key is rebuilt
 * from a few), and a rewritten series as the bytes between what it
 * shares with the start and the end of its own key.  Lines come in the
 * order of the series kept, mostly: the key kept is rebuilt from the one
 * before it in place, and compared whole with the line, so the cache
 * never takes a line for another.  This keeps a fifth to a tenth of the
 * text for the series of a target.
 */
#define SEEN_MAX_BYTES (16u << 20)	/* key parts, names, middles */
#define SEEN_MAX_ENTS (1u << 16)
#define SEEN_MIN_SLOTS 16384u	/* with room for 12288 series */
/* malloc() maps such sizes, and only the pages used count. */
#define SEEN_ARENA_START (128u << 10)
#define SEEN_RUN 16
#define SEEN_TEXT_MAX UINT16_MAX	/* longer keys and series: not kept */
#define SEEN_REST_MIN (1ul << 20)	/* lines */
#define SEEN_REST_MAX (1ul << 26)

/* How a cache pays, since it last started over, and how long it rests. */
struct cache_pay {
	unsigned long hits, puts;
	unsigned long rest, rest_next;	/* lines left to rest, the next rest */
	int resting;			/* for the line at hand */
};

enum seen_result { SEEN_RAW, SEEN_REWRITE, SEEN_DROP_RULE, SEEN_DROP_NAME };

/* What follows the key of a sample line. */
struct tail {
	size_t klen;		/* the key is line[0..klen) */
	const char *val;	/* the value token */
	size_t vlen;
	int has_ts;
	const char *ts;		/* its digits, read by tail_ts() when needed */
	size_t tslen;
	int plain;		/* " VALUE[ TS]" is as lineio writes it */
	double v;		/* unless plain: the value */
};

/*
 * One series.  Its record in the arena, 16-bit numbers in host order:
 * NLEN PRE SUF, then for SEEN_REWRITE OPRE OSUF MLEN and MID (32 bits):
 * the series is key[0..OPRE) arena[MID..MID+MLEN) key[KLEN-OSUF..KLEN);
 * then (flag SEEN_TWO) L1 X CM; then (flag SEEN_OWN_NAME) the name; then
 * the bytes of the key that are not those of the key before it (struct
 * seen_rec).  Without flag SEEN_DELTA the key is these bytes alone.
 */
struct seen_ent {
	uint32_t hash;		/* of the key */
	uint32_t off;		/* of the record */
	uint32_t next;		/* 1 + the series read after it, or 0 */
	uint16_t klen;
	uint8_t result;		/* enum seen_result */
	uint8_t flags;
};

#define SEEN_DELTA 1
#define SEEN_OWN_NAME 2	/* the name is not key[0..NLEN) */
#define SEEN_TWO 4	/* L1 X CM: see seen_rec */

/*
 * A record read.  The key is, of the key before it, prev[0..pre), then
 * lit[0..l1), then prev[x..x+cm), then the rest of lit, then the last
 * suf bytes of prev.
 */
struct seen_rec {
	size_t nlen, pre, suf, l1, x, cm, llen, opre, osuf, mlen;
	const char *name;	/* NULL: the start of the key */
	const char *mid;
	const char *lit;	/* llen bytes */
};

struct seen {
	struct seen_ent *ents;
	size_t nents, maxents;
	uint32_t *tab;			/* 1 + the series, or 0: a free slot */
	size_t nslots;			/* maxents is 3/4 of them, or less */
	struct buf arena;
	/* The whole key of series kent, or none if kent == SIZE_MAX. */
	struct buf key;
	size_t kent;
	struct buf spare;		/* seen_step()'s other key */
	size_t run;			/* keys kept since one kept whole */
	uint32_t last_mid, last_mlen;	/* the middle kept last */
	struct buf series;		/* seen_put: the series formatted */
	struct buf head;		/* seen_take: the line's new head */
	/* The line just looked up in vain, split and hashed, for seen_put. */
	const char *miss;
	uint64_t miss_hash;
	struct tail miss_tail;
	/* Collectors write their series in the same order every cycle: the
	 * series after the one just read is tried before the table. */
	size_t prev;			/* 1 + the series just read, or 0 */
	/* What family_sample() said for the name of series fam_ent - 1,
	 * while the family's gen is fam_gen. */
	size_t fam_ent, fam_nlen;
	unsigned long fam_gen;
	int fam_mine;
	struct cache_pay pay;
};

/*
 * Log streams already seen.  The label set of a log entry, "{...}" as
 * written, alone decides what the rules do to it: so their outcome for
 * the first entry of a stream is kept under that text, and later entries
 * of the stream only have their timestamp and line read, and the stages
 * (which may read the line) run on a copy of the labels kept.  Only
 * entries whose ' TS "line"' is as lineio writes it take this way.  The
 * cache is bounded; when full it starts over empty, and rests as the
 * series cache does if it did not pay.
 */
#define LOGC_SLOTS 1024u		/* at most half of them used */
#define LOGC_MAX_BYTES (4u << 20)	/* keys, labels and heads */

struct lstream {
	uint64_t hash;
	char *key;		/* NULL: a free slot */
	size_t klen;
	int drop;		/* the rules drop the stream */
	struct labels ls;	/* stages: the labels after the rules */
	char *head;		/* no stages: "{...}" to write, NULL: the line */
	size_t hlen;
};

struct logc {
	struct lstream *tab;
	size_t used, bytes;
	struct lstream *last[4];	/* most recently used first */
	struct labels work;	/* the labels the stages change */
	struct buf text;	/* the line, unescaped */
	struct buf out;
	struct cache_pay pay;
};

/* The metadata of the metric family being read, held until a sample of
 * it is kept, so a family whose samples all go loses its # lines too. */
struct family {
	struct buf name;
	struct buf pending;	/* raw # TYPE/HELP/UNIT lines, each with \n */
	int open;
	int emitted;
	int had_sample;
	unsigned long gen;	/* changes when open or name may have */
};

struct relabel_prog {
	struct relabel_rules rules;
	struct stages *stages;
	struct labels ext;		/* external labels */
	struct labels orig;		/* the set before the rules, to compare */
	struct lineio_writer w;
	struct record rec;
	struct family fam;
	struct seen seen;
	struct logc logc;
	struct buf name;		/* the metric name before the rules */
	const char *stats_path;
	int64_t next_stats;
	unsigned long lines_in;
	unsigned long bad_done;	/* bad lines of inputs already closed */
	unsigned long dropped[DROP_NREASONS];
	int out_failed;		/* stdout is gone: stop at once */
};

static const char usage_text[] =
    "usage: relabel [-hv] [-c FILE] [-l NAME=VALUE]... [--stats-file PATH] "
    "[--version] [FILE...]\n";

static void
usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Stage drops counted per drop_counter_reason, as Promtail does; the
 * reasons are few and fixed by the config, so a list will do. */
struct stage_count {
	const char *reason;
	unsigned long n;
};

static struct stage_count *stage_counts;
static size_t nstage_counts;

static void
count_stage(const char *reason)
{
	struct stage_count *nv;
	size_t i;

	for (i = 0; i < nstage_counts; i++)
		if (strcmp(stage_counts[i].reason, reason) == 0) {
			stage_counts[i].n++;
			return;
		}
	nv = realloc(stage_counts, (nstage_counts + 1) * sizeof(*nv));
	if (nv == NULL)
		return;
	stage_counts = nv;
	stage_counts[nstage_counts].reason = reason;
	stage_counts[nstage_counts++].n = 1;
}

static void
write_stats(struct relabel_prog *p, unsigned long bad_now)
{
	struct buf b = BUF_INIT(0);
	char lab[256];
	size_t i;
	int r;

	if (p->stats_path == NULL)
		return;
	p->dropped[DROP_MALFORMED] = p->bad_done + bad_now;
	r = stats_add(&b, "obs_relabel_lines_in_total", "counter",
	    "Lines read, malformed ones included.", "",
	    (double)(p->lines_in + p->bad_done + bad_now));
	r |= stats_add(&b, "obs_relabel_lines_out_total", "counter",
	    "Lines written.", "", (double)p->w.lines);
	for (i = 0; i < DROP_NREASONS; i++) {
		snprintf(lab, sizeof(lab), "reason=\"%s\"", drop_names[i]);
		r |= stats_add(&b, "obs_relabel_dropped_total", "counter",
		    "Lines dropped, by reason.", lab, (double)p->dropped[i]);
	}
	for (i = 0; i < nstage_counts; i++) {
		struct buf l = BUF_INIT(sizeof(lab));

		if (buf_addstr(&l, "reason=\"") == 0 &&
		    label_escape(&l, stage_counts[i].reason,
		    strlen(stage_counts[i].reason)) == 0 &&
		    buf_addch(&l, '"') == 0)
			r |= stats_add(&b, "obs_relabel_stage_dropped_total",
			    "counter", "Log entries dropped by drop stages, by "
			    "drop_counter_reason.", buf_cstr(&l),
			    (double)stage_counts[i].n);
		buf_free(&l);
	}
	if (r != 0 || stats_write(p->stats_path, &b) < 0)
		log_errno("write stats '%s'", p->stats_path);
	buf_free(&b);
	p->next_stats = clock_mono_ms() + STATS_INTERVAL_MS;
}

/* Loads -c FILE; every error is reported with file, line and key. */
static int
load_config(struct relabel_prog *p, const char *path)
{
	static const char *const keys[] = { "external_labels",
	    "metric_name_validation_scheme", "relabel_configs", "stages",
	    NULL };
	const struct ynode *ext = NULL;
	const char *scheme = "legacy";
	struct ynode *root;
	size_t i;
	int rc = -1, utf8;

	root = yconf_load(path);
	if (root == NULL)
		return -1;
	if (ynode_is_null(root)) {
		yconf_free(root);
		return 0;
	}
	if (yconf_check_keys(root, keys) < 0 ||
	    yconf_str(root, "metric_name_validation_scheme", &scheme) < 0)
		goto out;
	/* Prometheus 3's global key: legacy names unless the receiver (and
	 * everything between) takes UTF-8 names, as Prometheus 3 does. */
	utf8 = strcmp(scheme, "utf8") == 0;
	if (!utf8 && strcmp(scheme, "legacy") != 0) {
		yconf_error(ynode_get(root, "metric_name_validation_scheme"),
		    "metric_name_validation_scheme",
		    "must be either 'legacy' or 'utf8', got '%s'", scheme);
		goto out;
	}
	relabel_set_scheme(&p->rules,
	    utf8 ? RELABEL_SCHEME_UTF8 : RELABEL_SCHEME_LEGACY);
	if (relabel_load(&p->rules, ynode_get(root, "relabel_configs")) < 0 ||
	    stages_load(&p->stages, ynode_get(root, "stages")) < 0 ||
	    yconf_map(root, "external_labels", &ext) < 0)
		goto out;
	for (i = 0; ext && i < ext->n; i++) {
		const struct ynode *k = ext->items[i], *v = ext->vals[i];

		if (utf8 ? k->len == 0 || memchr(k->str, '\0', k->len) ||
		    !expo_utf8_valid(k->str, k->len) :
		    !label_name_valid(k->str, k->len)) {
			yconf_error(k, "external_labels",
			    "invalid label name '%s'", k->str);
			goto out;
		}
		if (v->type != YNODE_SCALAR) {
			yconf_error(v, k->str, "expected a string");
			goto out;
		}
		if (!ynode_is_null(v) &&
		    labels_set(&p->ext, k->str, k->len, v->str, v->len) < 0) {
			log_errno("config '%s'", path);
			goto out;
		}
	}
	rc = 0;
out:
	yconf_free(root);
	return rc;
}

static int
parse_label_arg(struct relabel_prog *p, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);

	if (eq == NULL || !label_name_valid(arg, nlen)) {
		log_error("-l '%s': expected NAME=VALUE with a valid label name",
		    arg);
		return -1;
	}
	if (labels_set(&p->ext, arg, nlen, eq + 1, strlen(eq + 1)) < 0) {
		log_errno("-l '%s'", arg);
		return -1;
	}
	return 0;
}

/* 1 if the set holds what labels_drop_internal() would remove. */
static int
has_internal(const struct labels *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		const char *n = labels_name(ls, i);

		if (ls->v[i].vlen == 0)
			return 1;
		if (n[0] == '_' && n[1] == '_' && strcmp(n, LABELS_NAME) != 0)
			return 1;
	}
	return 0;
}

/* Adds the external labels the set lacks; returns how many, -1 on ENOMEM. */
static int
add_external(struct relabel_prog *p, struct labels *ls)
{
	size_t i;
	int added = 0;

	for (i = 0; i < p->ext.n; i++) {
		const char *n = labels_name(&p->ext, i);

		if (labels_find(ls, n, p->ext.v[i].nlen) >= 0)
			continue;
		if (labels_set(ls, n, p->ext.v[i].nlen,
		    labels_value(&p->ext, i), p->ext.v[i].vlen) < 0)
			return -1;
		added++;
	}
	return added;
}

/* Suffixes of the series of one family (histograms, summaries, counters). */
static int
in_family(const char *name, size_t nlen, const struct buf *fam)
{
	static const char *const sfx[] = { "_bucket", "_count", "_sum",
	    "_total", "_created", "_info", "_gcount", "_gsum" };
	size_t i;

	if (nlen < fam->len || memcmp(name, fam->p, fam->len) != 0)
		return 0;
	if (nlen == fam->len)
		return 1;
	for (i = 0; i < ARRAY_SIZE(sfx); i++)
		if (nlen - fam->len == strlen(sfx[i]) &&
		    memcmp(name + fam->len, sfx[i], nlen - fam->len) == 0)
			return 1;
	return 0;
}

static int
family_emit(struct relabel_prog *p)
{
	struct family *f = &p->fam;
	size_t off = 0;

	while (off < f->pending.len) {
		const char *l = f->pending.p + off;
		const char *nl = memchr(l, '\n', f->pending.len - off);
		size_t n = (size_t)(nl - l);

		if (lineio_write_raw(&p->w, l, n) < 0)
			return -1;
		off += n + 1;
	}
	buf_reset(&f->pending);
	f->emitted = 1;
	return 0;
}

/* Ends the family; metadata of a family without any sample is kept. */
static int
family_close(struct relabel_prog *p)
{
	struct family *f = &p->fam;
	int r = 0;

	if (f->open && !f->emitted && !f->had_sample)
		r = family_emit(p);
	buf_reset(&f->pending);
	f->open = 0;
	f->gen++;
	return r;
}

static int
on_meta(struct relabel_prog *p, const struct record *rec)
{
	struct family *f = &p->fam;

	f->gen++;
	if (!f->open || f->name.len != rec->meta_name.len ||
	    memcmp(f->name.p, rec->meta_name.p, f->name.len) != 0) {
		if (family_close(p) < 0)
			return -1;
		buf_reset(&f->name);
		if (buf_add(&f->name, rec->meta_name.p, rec->meta_name.len) < 0)
			return -1;
		f->open = 1;
		f->emitted = 0;
		f->had_sample = 0;
	}
	if (f->emitted)
		return lineio_write_raw(&p->w, rec->raw, rec->raw_len);
	if (buf_add(&f->pending, rec->raw, rec->raw_len) < 0 ||
	    buf_addch(&f->pending, '\n') < 0)
		return -1;
	return 0;
}

#define SEEN_MUL UINT64_C(0x9fb21c651e98df25)

static uint64_t
seen_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * SEEN_MUL;
	return h ^ (h >> 32);
}

/* Word at a time; the last word overlaps when the length is not a
 * multiple of 8.  Only this process reads it: byte order does not matter. */
static uint64_t
seen_hash(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325) ^ n, w;
	size_t i;

	if (n < 8) {
		for (w = 0, i = 0; i < n; i++)
			w = w << 8 | (unsigned char)s[i];
		return seen_mix(h, w);
	}
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = seen_mix(h, w);
	}
	if (i < n) {
		memcpy(&w, s + n - 8, 8);
		h = seen_mix(h, w);
	}
	return h ^ (h >> 29);
}

static void
seen_clear(struct seen *c)
{
	if (c->tab != NULL)
		memset(c->tab, 0, c->nslots * sizeof(*c->tab));
	c->nents = 0;
	c->prev = 0;
	c->kent = SIZE_MAX;
	c->run = 0;
	c->last_mid = c->last_mlen = 0;
	c->fam_ent = 0;
	buf_reset(&c->arena);
}

/* 1 if the cache rests for the line at hand. */
static int
pay_resting(struct cache_pay *y)
{
	y->resting = y->rest > 0;
	if (y->resting)
		y->rest--;
	return y->resting;
}

/* At a start over: rests if the cache did not pay, each time longer. */
static void
pay_start_over(struct cache_pay *y)
{
	if (y->hits < y->puts) {
		y->rest = y->rest_next;
		if (y->rest_next < SEEN_REST_MAX)
			y->rest_next *= 2;
	} else {
		y->rest_next = SEEN_REST_MIN;
	}
	y->hits = y->puts = 0;
}

/* Starts over when full, and rests if the cache did not pay. */
static void
seen_full(struct seen *c)
{
	pay_start_over(&c->pay);
	seen_clear(c);
}

static void
seen_free(struct seen *c)
{
	free(c->tab);
	free(c->ents);
	c->tab = NULL;
	c->ents = NULL;
	c->nslots = c->nents = c->maxents = 0;
	buf_free(&c->arena);
	buf_free(&c->key);
	buf_free(&c->spare);
	buf_free(&c->series);
	buf_free(&c->head);
}

static size_t
seen_get16(const unsigned char *q)
{
	uint16_t v;

	memcpy(&v, q, sizeof(v));
	return v;
}

static int
seen_add16(struct buf *b, size_t v)
{
	uint16_t w = (uint16_t)v;

	return buf_add(b, &w, sizeof(w));
}

/* How many bytes a[] and b[] start with alike, of n; and end with alike.
 * Eight at a time where the first (the last) byte is the lowest (the
 * highest) of a word. */
static size_t
seen_same_start(const char *a, const char *b, size_t n)
{
	size_t i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x, y;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return i + (size_t)__builtin_ctzll(x ^ y) / 8;
	}
#endif
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

static size_t
seen_same_end(const char *a, const char *b, size_t n)
{
	size_t i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x, y;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, a - i - 8, 8);
		memcpy(&y, b - i - 8, 8);
		if (x != y)
			return i + (size_t)__builtin_clzll(x ^ y) / 8;
	}
#endif
	while (i < n && a[-1 - (ptrdiff_t)i] == b[-1 - (ptrdiff_t)i])
		i++;
	return i;
}

/* memcpy() for the short pieces of a line, mostly under 16 bytes. */
static inline void
seen_copy(char *d, const char *s, size_t n)
{
	uint64_t a, b;
	uint32_t u, v;

	if (n < 4) {
		if (n > 0) {
			d[0] = s[0];
			d[n / 2] = s[n / 2];
			d[n - 1] = s[n - 1];
		}
	} else if (n <= 8) {
		memcpy(&u, s, 4);
		memcpy(&v, s + n - 4, 4);
		memcpy(d, &u, 4);
		memcpy(d + n - 4, &v, 4);
	} else if (n <= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else {
		memcpy(d, s, n);
	}
}

static inline void
seen_read(const struct seen *c, const struct seen_ent *e, struct seen_rec *r)
{
	const unsigned char *q = (const unsigned char *)c->arena.p + e->off;
	uint32_t mid;

	r->nlen = seen_get16(q);
	r->pre = seen_get16(q + 2);
	r->suf = seen_get16(q + 4);
	q += 6;
	if (e->result == SEEN_REWRITE) {
		r->opre = seen_get16(q);
		r->osuf = seen_get16(q + 2);
		r->mlen = seen_get16(q + 4);
		memcpy(&mid, q + 6, sizeof(mid));
		r->mid = c->arena.p + mid;
		q += 10;
	}
	r->llen = e->klen - r->pre - r->suf;
	r->l1 = r->llen;
	r->x = r->cm = 0;
	if (e->flags & SEEN_TWO) {
		r->l1 = seen_get16(q);
		r->x = seen_get16(q + 2);
		r->cm = seen_get16(q + 4);
		r->llen -= r->cm;
		q += 6;
	}
	r->name = NULL;
	if (e->flags & SEEN_OWN_NAME) {
		r->name = (const char *)q;
		q += r->nlen;
	}
	r->lit = (const char *)q;
}

/*
 * Makes c->key, the key of series i - 1 (or anything if series i is kept
 * whole), the key of series i: in place, unless what it shares with the
 * key before it in the middle moved.
 */
static inline __attribute__((always_inline)) int
seen_step(struct seen *c, size_t i, const struct seen_rec *r)
{
	const struct seen_ent *e = &c->ents[i];
	size_t klen = e->klen, plen = c->key.len, l2 = r->llen - r->l1;
	char *prev = c->key.p, *d;
	struct buf t;

	if (!(e->flags & SEEN_DELTA))
		plen = 0;
	c->kent = SIZE_MAX;
	if (r->pre + r->suf > plen || r->x + r->cm > plen) {
		errno = EINVAL;
		return -1;
	}
	if (r->cm == 0 || r->x == r->pre + r->l1) {
		c->key.len = plen;
		if (klen >= c->key.cap && buf_grow(&c->key, klen - plen) < 0)
			return -1;
		prev = c->key.p;
		if (plen != klen)
			memmove(prev + klen - r->suf, prev + plen - r->suf,
			    r->suf);
		seen_copy(prev + r->pre, r->lit, r->l1);
		if (l2 > 0)
			seen_copy(prev + klen - r->suf - l2, r->lit + r->l1,
			    l2);
		prev[klen] = '\0';
		c->key.len = klen;
	} else {
		c->spare.len = 0;
		if (klen >= c->spare.cap && buf_grow(&c->spare, klen) < 0)
			return -1;
		d = c->spare.p;
		seen_copy(d, prev, r->pre);
		seen_copy(d + r->pre, r->lit, r->l1);
		seen_copy(d + r->pre + r->l1, prev + r->x, r->cm);
		seen_copy(d + klen - r->suf - l2, r->lit + r->l1, l2);
		seen_copy(d + klen - r->suf, prev + plen - r->suf, r->suf);
		d[klen] = '\0';
		c->spare.len = klen;
		t = c->key;
		c->key = c->spare;
		c->spare = t;
	}
	c->kent = i;
	return 0;
}

/* Makes c->key the key of series i, from the last one kept whole. */
static int
seen_rebuild(struct seen *c, size_t i)
{
	struct seen_rec r;
	size_t k = i;

	if (c->kent == i)
		return 0;
	while (c->ents[k].flags & SEEN_DELTA)	/* the first has none */
		k--;
	if (c->kent != SIZE_MAX && c->kent >= k && c->kent < i)
		k = c->kent + 1;
	for (; k <= i; k++) {
		seen_read(c, &c->ents[k], &r);
		if (seen_step(c, k, &r) < 0)
			return -1;
	}
	return 0;
}

/* Notes that key[0..klen) is the key of series i: kept in c->key. */
static void
seen_remember(struct seen *c, size_t i, const char *key, size_t klen)
{
	struct buf *b = &c->key;

	if (c->kent == i)
		return;
	/* As buf_add() does, at every line: without its checks. */
	b->len = 0;
	c->kent = SIZE_MAX;
	if (klen >= b->cap && buf_grow(b, klen) < 0)
		return;
	memcpy(b->p, key, klen);
	b->len = klen;
	b->p[klen] = '\0';
	c->kent = i;
}

/*
 * 1 if key[0..klen) is the key of series i, with its record in *r.  The
 * key kept is rebuilt in c->key and compared whole.
 */
static int
seen_is(struct seen *c, size_t i, const char *key, size_t klen,
	struct seen_rec *r)
{
	const struct seen_ent *e = &c->ents[i];

	if (e->klen != klen)
		return 0;
	seen_read(c, e, r);
	if (c->kent != i) {
		if ((e->flags & SEEN_DELTA) && c->kent != i - 1 &&
		    seen_rebuild(c, i - 1) < 0)
			return 0;
		if (seen_step(c, i, r) < 0)
			return 0;
	}
	return memcmp(c->key.p, key, klen) == 0;
}

/* The slot of the key in the table: its series (its record in *r), or a
 * free one. */
static uint32_t *
seen_slot(struct seen *c, uint64_t h, const char *key, size_t klen,
	  struct seen_rec *r)
{
	size_t m = c->nslots - 1, i = (size_t)h & m;

	for (;; i = (i + 1) & m) {
		uint32_t *s = &c->tab[i];

		if (*s == 0 || (c->ents[*s - 1].hash == (uint32_t)h &&
		    seen_is(c, *s - 1, key, klen, r)))
			return s;
	}
}

/* Doubles the table (or makes the first) and the room for series, three
 * quarters of its slots; -1 if it cannot grow. */
static int
seen_grow(struct seen *c)
{
	size_t ns = c->nslots ? 2 * c->nslots : SEEN_MIN_SLOTS, n, m, i, j;
	struct seen_ent *ne;
	uint32_t *nt;

	n = ns / 4 * 3 < SEEN_MAX_ENTS ? ns / 4 * 3 : SEEN_MAX_ENTS;
	if (n <= c->maxents || (nt = calloc(ns, sizeof(*nt))) == NULL)
		return -1;
	if ((ne = realloc(c->ents, n * sizeof(*ne))) == NULL) {
		free(nt);
		return -1;
	}
	/* Room the arena need not copy while it grows at first. */
	if (c->arena.cap == 0)
		(void)buf_grow(&c->arena, SEEN_ARENA_START);
	c->ents = ne;
	c->maxents = n;
	free(c->tab);
	c->tab = nt;
	c->nslots = ns;
	m = ns - 1;
	for (i = 0; i < c->nents; i++) {
		for (j = c->ents[i].hash & m; c->tab[j] != 0; j = (j + 1) & m)
			;
		c->tab[j] = (uint32_t)(i + 1);
	}
	return 0;
}

static int
is_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\t' || s[i] == '{')
			return 0;
	return n > 0;
}

/* The value token: plain as written, or else read. */
static int
tail_value(struct tail *t, const char *s, size_t n)
{
	t->val = s;
	t->vlen = n;
	t->plain = value_canonical(s, n);
	return t->plain || value_parse(s, n, &t->v) == 0 ? 0 : -1;
}

static int64_t
tail_ts(const struct tail *t)
{
	uint64_t ts = 0, w;
	size_t i, n = t->tslen;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* The last eight digits at once, first digit in the lowest byte:
	 * pairs, then fours, then all eight. */
	if (n >= 8) {
		for (i = 0; i < n - 8; i++)
			ts = ts * 10 + (uint64_t)(t->ts[i] - '0');
		memcpy(&w, t->ts + n - 8, 8);
		w -= UINT64_C(0x3030303030303030);
		w = (w * 10 + (w >> 8)) & UINT64_C(0x00ff00ff00ff00ff);
		w = (w * 100 + (w >> 16)) & UINT64_C(0x0000ffff0000ffff);
		w = (w * 10000 + (w >> 32)) & UINT64_C(0xffffffff);
		return (int64_t)(ts * 100000000 + w);
	}
#endif
	for (i = 0; i < n; i++)
		ts = ts * 10 + (uint64_t)(t->ts[i] - '0');
	return (int64_t)ts;
}

/* The whole of split_line(), for the lines its fast way does not take. */
static int
split_slow(const char *s, size_t n, struct tail *t)
{
	const char *p2 = memrchr(s, ' ', n), *p1, *e = s + n, *q;

	if (p2 == NULL || p2 + 1 == e)
		return -1;
	for (q = p2 + 1; q < e && *q >= '0' && *q <= '9'; q++)
		;
	if (q == e && e - p2 - 1 <= 18 &&
	    (p1 = memrchr(s, ' ', (size_t)(p2 - s))) != NULL &&
	    is_token(p1 + 1, (size_t)(p2 - p1 - 1)) &&
	    tail_value(t, p1 + 1, (size_t)(p2 - p1 - 1)) == 0) {
		t->klen = (size_t)(p1 - s);
		t->has_ts = 1;
		t->ts = p2 + 1;
		t->tslen = (size_t)(e - p2 - 1);
		/* A timestamp is written without leading zeros. */
		if (t->plain && p2[1] == '0' && e - p2 > 2) {
			t->plain = 0;
			(void)value_parse(t->val, t->vlen, &t->v);
		}
		return 0;
	}
	if (!is_token(p2 + 1, (size_t)(e - p2 - 1)) ||
	    tail_value(t, p2 + 1, (size_t)(e - p2 - 1)) < 0)
		return -1;
	t->klen = (size_t)(p2 - s);
	t->has_ts = 0;
	t->ts = NULL;
	t->tslen = 0;
	return 0;
}

#define SEEN_HIGH4 UINT64_C(0xf0f0f0f0f0f0f0f0)
#define SEEN_DIGIT3 UINT64_C(0x3030303030303030)
#define SEEN_SIXES UINT64_C(0x0606060606060606)

/*
 * Splits a sample line as KEY " " VALUE [" " TS], with VALUE a token of
 * the text format (no blank, no '{') that value_parse() reads and TS up
 * to 18 digits; -1 if the line is not so.  Then the text format reads
 * the series from KEY alone, whatever the value: the key of the cache.
 * The way of nearly every line, "KEY VALUE TS", is read from the end in
 * one pass; split_slow() reads the others.
 */
static int
split_line(const char *s, size_t n, struct tail *t)
{
	const char *e = s + n, *q = e, *v;

	/* Eight digits at a time: bytes 0x30-0x39 are those that keep
	 * 0x3_ with 6 added, as no byte carries into the next then. */
	while (q - s >= 8) {
		uint64_t w;

		memcpy(&w, q - 8, 8);
		if ((w & SEEN_HIGH4) != SEEN_DIGIT3 ||
		    ((w + SEEN_SIXES) & SEEN_HIGH4) != SEEN_DIGIT3)
			break;
		q -= 8;
	}
	while (q > s && (unsigned char)(q[-1] - '0') < 10)
		q--;
	if (q == e || e - q > 18 || q == s || q[-1] != ' ')
		return split_slow(s, n, t);
	/* No tab nor '{' in what value_parse() takes: no need to look. */
	for (v = q - 1; v > s && v[-1] != ' '; v--)
		;
	if (v == s || v == q - 1 || tail_value(t, v, (size_t)(q - 1 - v)) < 0)
		return split_slow(s, n, t);
	t->klen = (size_t)(v - 1 - s);
	t->has_ts = 1;
	t->ts = q;
	t->tslen = (size_t)(e - q);
	if (t->plain && q[0] == '0' && e - q > 1) {
		t->plain = 0;
		(void)value_parse(t->val, t->vlen, &t->v);
	}
	return 0;
}

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Notes that series i was read after the series read before it. */
static void
seen_link(struct seen *c, size_t i)
{
	if (c->prev)
		c->ents[c->prev - 1].next = (uint32_t)(i + 1);
	c->prev = i + 1;
}

/* The middle of a rewritten series (in c->series): what is left between
 * what it shares with the start and the end of the key. */
static void
seen_middle(const struct seen *c, const char *key, size_t klen,
	    struct seen_rec *r)
{
	const char *o = c->series.p;
	size_t olen = c->series.len, lim = olen < klen ? olen : klen;
	size_t pre, suf;

	pre = seen_same_start(o, key, lim);
	suf = seen_same_end(o + olen, key + klen, lim - pre);
	r->opre = pre;
	r->osuf = suf;
	r->mlen = olen - pre - suf;
	r->mid = o + pre;
}

/*
 * Where key[a..) and prev[b..) share most bytes, from the k-th ',' of
 * key[from..kend) and of prev[from..pend) (the label after a value that
 * differs, in series with the same labels).  Returns how many bytes (0
 * if none), with *ap and *bp.
 */
static size_t
seen_common(const char *key, size_t kend, const char *prev, size_t pend,
	    size_t from, size_t *ap, size_t *bp)
{
	size_t a = from, b = from, n, best = 0;

	for (;;) {
		while (a < kend && key[a] != ',')
			a++;
		while (b < pend && prev[b] != ',')
			b++;
		if (a >= kend || b >= pend)
			return best;
		n = kend - a < pend - b ? kend - a : pend - b;
		n = seen_same_start(key + a, prev + b, n);
		if (n > best) {
			best = n;
			*ap = a;
			*bp = b;
		}
		a += n;
		b += n;
	}
}

/*
 * Adds the record of a series at the end of the arena (after its middle
 * if that is not the one kept last); its offset in e->off.  With *delta,
 * the key is kept on c->key, the key before it, unless they share little
 * (then it is kept whole and *delta is made 0).
 */
static int
seen_add_rec(struct seen *c, struct seen_ent *e, const char *key,
	     struct seen_rec *r, int *delta)
{
	struct buf *a = &c->arena;
	const char *prev = c->key.p;
	uint32_t mid = c->last_mid;
	size_t klen = e->klen, plen = c->key.len, pre = 0, suf = 0, lim;
	size_t ka = 0, pb = 0, cm = 0;

	if (*delta) {
		lim = plen < klen ? plen : klen;
		pre = seen_same_start(key, prev, lim);
		suf = seen_same_end(key + klen, prev + plen, lim - pre);
		if (pre + suf < 8)
			*delta = 0;
	}
	if (!*delta)
		pre = suf = 0;
	/* Two values that differ, far apart: keep what lies between once. */
	if (*delta && klen - pre - suf >= 24) {
		cm = seen_common(key, klen - suf, prev, plen - suf, pre + 1,
		    &ka, &pb);
		if (cm < 12)
			cm = 0;
	}
	e->flags &= (uint8_t)~(SEEN_DELTA | SEEN_TWO);
	e->flags |= (uint8_t)((*delta ? SEEN_DELTA : 0) | (cm ? SEEN_TWO : 0));
	/* The labels a rule or -l adds are mostly the same bytes. */
	if (e->result == SEEN_REWRITE && (r->mlen != c->last_mlen ||
	    (r->mlen > 0 && memcmp(a->p + mid, r->mid, r->mlen) != 0))) {
		mid = (uint32_t)a->len;
		if (buf_add(a, r->mid, r->mlen) < 0)
			return -1;
		c->last_mid = mid;
		c->last_mlen = (uint32_t)r->mlen;
	}
	e->off = (uint32_t)a->len;
	if (seen_add16(a, r->nlen) < 0 || seen_add16(a, pre) < 0 ||
	    seen_add16(a, suf) < 0)
		return -1;
	if (e->result == SEEN_REWRITE &&
	    (seen_add16(a, r->opre) < 0 || seen_add16(a, r->osuf) < 0 ||
	    seen_add16(a, r->mlen) < 0 || buf_add(a, &mid, sizeof(mid)) < 0))
		return -1;
	if (cm && (seen_add16(a, ka - pre) < 0 || seen_add16(a, pb) < 0 ||
	    seen_add16(a, cm) < 0))
		return -1;
	if ((e->flags & SEEN_OWN_NAME) && buf_add(a, r->name, r->nlen) < 0)
		return -1;
	if (cm)
		return buf_add(a, key + pre, ka - pre) < 0 ||
		    buf_add(a, key + ka + cm, klen - suf - ka - cm) < 0 ? -1 : 0;
	return buf_add(a, key + pre, klen - pre - suf);
}

/*
 * Keeps the outcome for the series of rec (read from rec->raw), with the
 * series text to write for SEEN_REWRITE formatted from ls into
 * p->seen.series; returns 0, or -1 if the line does not split as the
 * cache needs or the cache could not take it (the caller then writes
 * without it).
 */
static int
seen_put(struct relabel_prog *p, const struct record *rec,
	 const struct labels *ls, enum seen_result result)
{
	struct seen *c = &p->seen;
	const char *key = rec->raw;
	size_t klen, start, i;
	struct seen_rec r, other;
	struct seen_ent ent;
	uint32_t *slot;
	struct tail t;
	uint64_t h;
	int tries, delta;

	if (c->pay.resting)
		return -1;
	if (c->miss == rec->raw)
		t = c->miss_tail;
	if (rec->raw_len > OBS_LINE_MAX || rec->raw[0] == '#' ||
	    (c->miss != rec->raw && split_line(rec->raw, rec->raw_len, &t) < 0) ||
	    t.klen == 0 ||
	    t.has_ts != rec->has_ts || (t.has_ts && tail_ts(&t) != rec->ts) ||
	    (t.plain && value_parse(t.val, t.vlen, &t.v) < 0) ||
	    !same_bits(t.v, rec->value))
		return -1;
	klen = t.klen;
	memset(&r, 0, sizeof(r));
	r.name = p->name.p;
	r.nlen = p->name.len;
	if (result == SEEN_REWRITE) {
		buf_reset(&c->series);
		if (lineio_format_series(&c->series, ls) < 0)
			return -1;
		seen_middle(c, key, klen, &r);
	}
	if (klen > SEEN_TEXT_MAX || r.nlen > SEEN_TEXT_MAX ||
	    r.mlen > SEEN_TEXT_MAX)
		return -1;
	memset(&ent, 0, sizeof(ent));
	ent.result = (uint8_t)result;
	ent.klen = (uint16_t)klen;
	if (r.nlen > 0 && (r.nlen > klen || memcmp(key, r.name, r.nlen) != 0))
		ent.flags |= SEEN_OWN_NAME;
	h = c->miss == rec->raw ? c->miss_hash : seen_hash(key, klen);
	ent.hash = (uint32_t)h;
	for (tries = 0; tries < 2; tries++) {
		if (c->nents == c->maxents && seen_grow(c) < 0)
			seen_full(c);
		if (c->pay.rest > 0 || c->maxents == 0)
			return -1;
		i = c->nents;
		delta = i > 0 && c->kent == i - 1 && c->run < SEEN_RUN;
		start = c->arena.len;
		if (seen_add_rec(c, &ent, key, &r, &delta) == 0) {
			/* Not there unless the line took no look-up. */
			slot = seen_slot(c, h, key, klen, &other);
			c->ents[i] = ent;
			c->nents++;
			*slot = (uint32_t)(i + 1);
			seen_remember(c, i, key, klen);
			c->run = delta ? c->run + 1 : 0;
			seen_link(c, i);
			c->pay.puts++;
			return 0;
		}
		/* Full: start over once. */
		buf_truncate(&c->arena, start);
		seen_full(c);
		if (c->pay.rest > 0)
			return -1;
	}
	return -1;
}

/* The series of the line split as t, with its record in *r, or NULL
 * (then the line is kept in miss). */
static const struct seen_ent *
seen_get(struct seen *c, const char *line, const struct tail *t,
	 struct seen_rec *r)
{
	uint32_t *slot, next;
	uint64_t h;
	size_t i;

	if (c->prev && (next = c->ents[c->prev - 1].next) != 0 &&
	    seen_is(c, next - 1, line, t->klen, r)) {
		i = next - 1;
		c->prev = i + 1;
	} else {
		h = seen_hash(line, t->klen);
		slot = seen_slot(c, h, line, t->klen, r);
		if (*slot == 0) {
			c->miss = line;
			c->miss_hash = h;
			c->miss_tail = *t;
			return NULL;
		}
		i = *slot - 1;
		seen_link(c, i);
	}
	return &c->ents[i];
}

/* Notes a sample of the metric name in the open family, if any; 1 if it
 * belongs to it, 0 if not, -1 on a write error. */
static int
family_sample(struct relabel_prog *p, const char *name, size_t nlen)
{
	struct family *f = &p->fam;

	if (!f->open)
		return 0;
	if (name && in_family(name, nlen, &f->name)) {
		f->had_sample = 1;
		return 1;
	}
	return family_close(p) < 0 ? -1 : 0;
}

/*
 * A line whose series is in the cache: what on_sample() would do, from
 * the outcome kept.  Returns 1 if done (*w the write status), 0 if the
 * line must be parsed.
 */
static int
seen_take(struct relabel_prog *p, struct lineio_reader *r, const char *line,
	  size_t len, int *w)
{
	struct seen *c = &p->seen;
	const struct seen_ent *e;
	struct buf *head = &c->head;
	struct seen_rec rec;
	char tl[VALUE_FMT_MAX + 24];	/* " VALUE TS" */
	struct tail t;
	size_t end, hlen, i, n;
	int mine;

	c->miss = NULL;
	if (pay_resting(&c->pay))
		return 0;
	if (c->nslots == 0 || len > OBS_LINE_MAX || line[0] == '#' ||
	    line[0] == '{' || split_line(line, len, &t) < 0 ||
	    (e = seen_get(c, line, &t, &rec)) == NULL)
		return 0;
	r->lines++;
	p->lines_in++;
	c->pay.hits++;
	*w = 0;
	/* The name of the series read before it, if they share it: what
	 * family_sample() said for it holds while the family is the same. */
	i = (size_t)(e - c->ents);
	if (c->fam_ent == i && c->fam_gen == p->fam.gen &&
	    (e->flags & (SEEN_DELTA | SEEN_OWN_NAME)) == SEEN_DELTA &&
	    c->fam_nlen == rec.nlen && rec.pre > rec.nlen) {
		mine = c->fam_mine;
	} else {
		mine = family_sample(p, rec.name ? rec.name : line, rec.nlen);
		if (mine < 0) {
			*w = -1;
			return 1;
		}
	}
	c->fam_ent = rec.name ? 0 : i + 1;
	c->fam_nlen = rec.nlen;
	c->fam_gen = p->fam.gen;
	c->fam_mine = mine;
	switch (e->result) {
	case SEEN_DROP_RULE:
		p->dropped[DROP_RULE]++;
		return 1;
	case SEEN_DROP_NAME:
		p->dropped[DROP_INVALID_NAME]++;
		return 1;
	default:
		break;
	}
	if (mine && !p->fam.emitted && family_emit(p) < 0) {
		*w = -1;
		return 1;
	}
	if (e->result == SEEN_RAW) {
		*w = lineio_write_raw(&p->w, line, len);
		return 1;
	}
	/* The series is the line's own start, the middle, its own end. */
	end = t.klen - rec.osuf;
	hlen = rec.opre + rec.mlen;
	head->len = 0;
	if (hlen + rec.osuf >= head->cap &&
	    buf_grow(head, hlen + rec.osuf) < 0) {
		*w = -1;
		return 1;
	}
	seen_copy(head->p, line, rec.opre);
	seen_copy(head->p + rec.opre, rec.mid, rec.mlen);
	if (t.plain) {
		*w = lineio_write_joined(&p->w, head->p, hlen, line + end,
		    len - end);
		return 1;
	}
	seen_copy(head->p + hlen, line + end, rec.osuf);
	hlen += rec.osuf;
	/* The value formatted as lineio_write_series() does, and the
	 * timestamp as written when it is as it would write it too. */
	if (t.has_ts && t.ts[0] == '0' && t.tslen > 1) {
		*w = lineio_write_series(&p->w, head->p, hlen, t.v,
		    tail_ts(&t), t.has_ts);
		return 1;
	}
	tl[0] = ' ';
	n = 1 + value_format(t.v, tl + 1);
	if (t.has_ts) {
		tl[n++] = ' ';
		memcpy(tl + n, t.ts, t.tslen);
		n += t.tslen;
	}
	*w = lineio_write_joined(&p->w, head->p, hlen, tl, n);
	return 1;
}

/* Bytes of label names a writer leaves as they are, and value escapes. */
static const unsigned char name_byte[256] = {
	['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['_'] = 1, ['0' ... '9'] = 2,
};

static const unsigned char value_stop[256] = {
	['\\'] = 1, ['"'] = 1, ['\n'] = 1,
};

static char *
put_escaped(char *d, const char *s, size_t n)
{
	size_t i, run = 0;
	uint64_t w;

	for (i = 0; i < n; i++) {
		char c;

		while (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if (lineio_word_has(w, '\\') | lineio_word_has(w, '"') |
			    lineio_word_has(w, '\n'))
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = s[i];
		if (!value_stop[(unsigned char)c])
			continue;
		memcpy(d, s + run, i - run);
		d += i - run;
		*d++ = '\\';
		*d++ = c == '\n' ? 'n' : c;
		run = i + 1;
	}
	memcpy(d, s + run, n - run);
	return d + n - run;
}

/* The label set of a log entry as lineio_write_record() writes it. */
static int
log_head(struct buf *out, const struct labels *ls)
{
	size_t i, j, room = 3;
	char *d;
	int first = 1;

	for (i = 0; i < ls->n; i++)
		room += 2 * ((size_t)ls->v[i].nlen + ls->v[i].vlen) + 6;
	if (buf_grow(out, room) < 0)
		return -1;
	d = out->p + out->len;
	for (i = 0; i < ls->n; i++) {
		const char *n = labels_name(ls, i);
		size_t nlen = ls->v[i].nlen;
		int plain = nlen > 0 && name_byte[(unsigned char)n[0]] == 1;

		if (ls->v[i].vlen == 0)
			continue;
		*d++ = first ? '{' : ',';
		first = 0;
		for (j = 0; plain && j < nlen; j++)
			plain = name_byte[(unsigned char)n[j]] != 0;
		if (plain) {
			memcpy(d, n, nlen);
			d += nlen;
		} else {
			*d++ = '"';
			d = put_escaped(d, n, nlen);
			*d++ = '"';
		}
		*d++ = '=';
		*d++ = '"';
		d = put_escaped(d, labels_value(ls, i), ls->v[i].vlen);
		*d++ = '"';
	}
	if (first)
		*d++ = '{';
	*d++ = '}';
	*d = '\0';
	out->len = (size_t)(d - out->p);
	return 0;
}

static void
lstream_free(struct lstream *e)
{
	free(e->key);
	free(e->head);
	labels_free(&e->ls);
	memset(e, 0, sizeof(*e));
}

static void
logc_clear(struct logc *c)
{
	size_t i;

	for (i = 0; c->tab && i < LOGC_SLOTS; i++)
		if (c->tab[i].key)
			lstream_free(&c->tab[i]);
	c->used = c->bytes = 0;
	memset(c->last, 0, sizeof(c->last));
}

static void
logc_free(struct logc *c)
{
	logc_clear(c);
	free(c->tab);
	c->tab = NULL;
	labels_free(&c->work);
	buf_free(&c->text);
	buf_free(&c->out);
}

/* Frees an entry of a failed put, which no lookup returned yet. */
static void
logc_forget(struct logc *c, struct lstream *e)
{
	lstream_free(e);
	c->used--;
}

static struct lstream *
logc_slot(const struct logc *c, uint64_t h, const char *key, size_t klen)
{
	size_t i = (size_t)h & (LOGC_SLOTS - 1);

	for (;; i = (i + 1) & (LOGC_SLOTS - 1)) {
		struct lstream *e = &c->tab[i];

		if (e->key == NULL || (e->hash == h && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0))
			return e;
	}
}

/* The stream of a log line, if kept: its key is what the line starts with. */
static struct lstream *
logc_get(struct logc *c, const char *line, size_t len)
{
	struct lstream *e;
	size_t k, i;

	/* Lines of a few streams interleave: try those seen last. */
	for (i = 0; i < ARRAY_SIZE(c->last) && (e = c->last[i]) != NULL; i++)
		if (e->klen < len && memcmp(line, e->key, e->klen) == 0)
			goto found;
	if (c->used == 0 || (k = logentry_labels_end(line, len)) == 0)
		return NULL;
	e = logc_slot(c, seen_hash(line, k), line, k);
	if (e->key == NULL)
		return NULL;
	i = ARRAY_SIZE(c->last) - 1;
found:
	memmove(c->last + 1, c->last, i * sizeof(c->last[0]));
	c->last[0] = e;
	return e;
}

/*
 * Keeps the outcome of the rules for the stream of rec: dropped (ls
 * NULL) or the labels they left (kept if there are stages).  Returns the
 * entry, for logc_done(), or NULL if the line's stream is not kept.
 */
static struct lstream *
logc_put(struct relabel_prog *p, const struct record *rec,
	 const struct labels *ls)
{
	struct logc *c = &p->logc;
	struct lstream *e;
	const char *err;
	size_t k, pos = 0, col, i, size;
	uint64_t h;

	if (c->pay.resting ||
	    (k = logentry_labels_end(rec->raw, rec->raw_len)) == 0)
		return NULL;
	if (c->tab == NULL &&
	    (c->tab = calloc(LOGC_SLOTS, sizeof(*c->tab))) == NULL)
		return NULL;
	h = seen_hash(rec->raw, k);
	if (logc_slot(c, h, rec->raw, k)->key != NULL)
		return NULL;
	/* Where the parser ends the set, to be sure. */
	labels_reset(&c->work);
	if (expo_parse_labelset(rec->raw, rec->raw_len, &pos, &c->work, &err,
	    &col) < 0 || pos != k)
		return NULL;
	size = k + (ls ? ls->arena.len + ls->n * sizeof(struct label) : 0);
	if ((c->used + 1) * 2 > LOGC_SLOTS || c->bytes + size > LOGC_MAX_BYTES) {
		pay_start_over(&c->pay);
		logc_clear(c);
		if (c->pay.rest > 0)
			return NULL;
	}
	e = logc_slot(c, h, rec->raw, k);
	if ((e->key = malloc(k)) == NULL)
		return NULL;
	memcpy(e->key, rec->raw, k);
	e->klen = k;
	e->hash = h;
	e->drop = ls == NULL;
	labels_init(&e->ls);
	c->used++;
	c->pay.puts++;
	c->bytes += size;
	if (ls && p->stages) {
		for (i = 0; i < ls->n; i++)
			if (labels_push(&e->ls, labels_name(ls, i),
			    ls->v[i].nlen, labels_value(ls, i),
			    ls->v[i].vlen) < 0) {
				/* Left as dropped would be wrong: forget it. */
				logc_forget(c, e);
				return NULL;
			}
	}
	return e;
}

/* Without stages: what to write for the stream, the line (ls NULL) or
 * the labels ls in front of its tail; the entry is forgotten on ENOMEM. */
static void
logc_done(struct relabel_prog *p, struct lstream *e, const struct labels *ls)
{
	struct logc *c = &p->logc;

	if (ls == NULL)
		return;
	buf_reset(&c->out);
	if (log_head(&c->out, ls) == 0 &&
	    (e->head = malloc(c->out.len)) != NULL) {
		memcpy(e->head, c->out.p, c->out.len);
		e->hlen = c->out.len;
		c->bytes += e->hlen;
		return;
	}
	logc_forget(c, e);
}

/*
 * A log line of a stream kept: what on_log() would do, from the outcome
 * kept.  Returns 1 if done (*w the write status), 0 if the line must be
 * parsed.
 */
static int
log_take(struct relabel_prog *p, struct lineio_reader *r, const char *line,
	 size_t len, int *w)
{
	struct logc *c = &p->logc;
	const char *body, *tail, *reason = NULL;
	struct lstream *e;
	size_t blen, tlen;
	int64_t ts, ts0;
	int esc, rc, line_set;

	if (pay_resting(&c->pay))
		return 0;
	if (len > OBS_LINE_MAX || (e = logc_get(c, line, len)) == NULL)
		return 0;
	tail = line + e->klen;
	tlen = len - e->klen;
	if (logentry_tail(tail, tlen, &ts, &body, &blen, &esc) < 0)
		return 0;
	r->lines++;
	p->lines_in++;
	c->pay.hits++;
	*w = 0;
	if (e->drop) {
		p->dropped[DROP_RULE]++;
		return 1;
	}
	if (p->stages == NULL) {
		*w = e->head == NULL ? lineio_write_raw(&p->w, line, len) :
		    lineio_write_joined(&p->w, e->head, e->hlen, tail, tlen);
		return 1;
	}
	ts0 = ts;
	buf_reset(&c->text);
	if (labels_copy(&c->work, &e->ls) < 0 ||
	    (esc ? logline_unescape(&c->text, body, blen) :
	    buf_add(&c->text, body, blen)) < 0) {
		*w = -1;
		return 1;
	}
	rc = stages_apply_from(p->stages, &e->ls, &c->work, &ts, &c->text,
	    &reason, &line_set);
	if (rc == 0) {
		p->dropped[DROP_STAGE]++;
		count_stage(reason);
		return 1;
	}
	if (rc < 0) {
		*w = -1;
		return 1;
	}
	if (has_internal(&c->work))
		labels_drop_internal(&c->work);
	buf_reset(&c->out);
	if (add_external(p, &c->work) < 0 || log_head(&c->out, &c->work) < 0) {
		*w = -1;
		return 1;
	}
	if (!line_set && ts == ts0) {
		*w = lineio_write_joined(&p->w, c->out.p, c->out.len, tail,
		    tlen);
		return 1;
	}
	if (buf_addf(&c->out, " %" PRId64 " \"", ts) < 0 ||
	    logline_escape(&c->out, buf_cstr(&c->text), c->text.len) < 0 ||
	    buf_addch(&c->out, '"') < 0) {
		*w = -1;
		return 1;
	}
	*w = lineio_write_raw(&p->w, c->out.p, c->out.len);
	return 1;
}

static int
on_sample(struct relabel_prog *p, struct record *rec)
{
	struct labels *ls = &rec->labels;
	struct family *f = &p->fam;
	const char *name;
	size_t nlen = 0;
	int changed = 0, r, mine;

	name = labels_get(ls, LABELS_NAME, &nlen);
	buf_reset(&p->name);
	if (name != NULL && buf_add(&p->name, name, nlen) < 0)
		return -1;
	if ((mine = family_sample(p, name, nlen)) < 0)
		return -1;
	if (p->rules.n) {
		if (labels_copy(&p->orig, ls) < 0)
			return -1;
		r = relabel_apply(&p->rules, ls);
		if (r < 0)
			return -1;
		if (r == 0) {
			p->dropped[DROP_RULE]++;
			(void)seen_put(p, rec, ls, SEEN_DROP_RULE);
			return 0;
		}
		name = labels_get(ls, LABELS_NAME, &nlen);
		if (name == NULL || !metric_name_valid(name, nlen)) {
			p->dropped[DROP_INVALID_NAME]++;
			(void)seen_put(p, rec, ls, SEEN_DROP_NAME);
			return 0;
		}
	}
	if (has_internal(ls)) {
		labels_drop_internal(ls);
		changed = 1;
	}
	if ((r = add_external(p, ls)) < 0)
		return -1;
	changed |= r > 0;
	if (p->rules.n && !changed)
		changed = labels_cmp(&p->orig, ls) != 0;
	if (mine && !f->emitted && family_emit(p) < 0)
		return -1;
	if (!changed) {
		(void)seen_put(p, rec, ls, SEEN_RAW);
		return lineio_write_raw(&p->w, rec->raw, rec->raw_len);
	}
	if (seen_put(p, rec, ls, SEEN_REWRITE) == 0)
		return lineio_write_series(&p->w, p->seen.series.p,
		    p->seen.series.len, rec->value, rec->ts, rec->has_ts);
	return lineio_write_record(&p->w, rec);
}

static int
on_log(struct relabel_prog *p, struct record *rec)
{
	struct labels *ls = &rec->labels;
	struct lstream *e;
	const char *reason = NULL;
	int changed = 0, r;

	if (p->rules.n) {
		if (labels_copy(&p->orig, ls) < 0)
			return -1;
		r = relabel_apply(&p->rules, ls);
		if (r < 0)
			return -1;
		if (r == 0) {
			p->dropped[DROP_RULE]++;
			(void)logc_put(p, rec, NULL);
			return 0;
		}
	}
	if (p->stages) {
		(void)logc_put(p, rec, ls);
		r = stages_apply(p->stages, ls, &rec->ts, &rec->text, &reason);
		if (r < 0)
			return -1;
		if (r == 0) {
			p->dropped[DROP_STAGE]++;
			count_stage(reason);
			return 0;
		}
		changed = 1;
	}
	if (has_internal(ls)) {
		labels_drop_internal(ls);
		changed = 1;
	}
	if ((r = add_external(p, ls)) < 0)
		return -1;
	changed |= r > 0;
	if (p->rules.n && !changed)
		changed = labels_cmp(&p->orig, ls) != 0;
	if (p->stages == NULL && (e = logc_put(p, rec, ls)) != NULL)
		logc_done(p, e, changed ? ls : NULL);
	if (!changed)
		return lineio_write_raw(&p->w, rec->raw, rec->raw_len);
	return lineio_write_record(&p->w, rec);
}

/*
 * Waits for input when none is buffered: flushes stdout first so nothing
 * sits in our buffer while the pipe is idle, and writes the stats file
 * on time while waiting.  Returns -1 on a write error.
 */
static int
wait_input(struct relabel_prog *p, struct lineio_reader *r)
{
	struct pollfd pfd = { r->fd, POLLIN, 0 };
	int n;

	if (lineio_pending(r))
		return 0;
	n = poll(&pfd, 1, 0);
	if (n != 0)
		return 0;
	if (lineio_flush(&p->w) < 0)
		return -1;
	while (!sig_stop) {
		int timeout = -1;

		if (p->stats_path) {
			int64_t left = p->next_stats - clock_mono_ms();

			if (left <= 0) {
				write_stats(p, r->bad);
				continue;
			}
			timeout = (int)left;
		}
		n = poll(&pfd, 1, timeout);
		if (n != 0)
			break;
	}
	return 0;
}

static int
write_failed(struct relabel_prog *p)
{
	log_errno("write 'stdout'");
	p->out_failed = 1;
	return EXIT_RUNTIME;
}

static int
on_record(struct relabel_prog *p, struct record *rec)
{
	switch (rec->kind) {
	case REC_SAMPLE:
		return on_sample(p, rec);
	case REC_LOG:
		return on_log(p, rec);
	case REC_COMMENT:
		if (rec->meta != META_NONE)
			return on_meta(p, rec);
		return lineio_write_raw(&p->w, rec->raw, rec->raw_len);
	}
	return 0;
}

/* Reads one input to its end; returns an exit status. */
static int
run_input(struct relabel_prog *p, int fd, const char *name)
{
	struct lineio_reader r;
	unsigned long since = 0;
	int status = EXIT_OK;

	lineio_reader_init(&r, fd, name);
	while (!sig_stop) {
		const char *line;
		size_t len;
		int rc, w = 0;

		if (wait_input(p, &r) < 0) {
			status = write_failed(p);
			break;
		}
		if (sig_stop)
			break;
		rc = lineio_read_line(&r, &line, &len);
		if (rc == LINEIO_EOF)
			break;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			log_errno("read '%s'", name);
			status = EXIT_RUNTIME;
			break;
		}
		if (line[0] == '{' ? !log_take(p, &r, line, len, &w) :
		    !seen_take(p, &r, line, len, &w)) {
			if (!lineio_parse(&r, line, len, &p->rec))
				continue;
			p->lines_in++;
			w = on_record(p, &p->rec);
		}
		if (w < 0) {
			if (errno == ENOMEM || errno == EMSGSIZE)
				log_errno("'%s' line %lu", name, r.lineno);
			else
				write_failed(p);
			status = EXIT_RUNTIME;
			break;
		}
		if (p->stats_path && ++since >= 1024) {
			since = 0;
			if (clock_mono_ms() >= p->next_stats)
				write_stats(p, r.bad);
		}
	}
	if (status == EXIT_OK && family_close(p) < 0)
		status = write_failed(p);
	p->fam.open = 0;
	p->fam.gen++;
	p->bad_done += r.bad;
	lineio_reader_free(&r);
	return status;
}

static int
run(struct relabel_prog *p, int argc, char **argv)
{
	static char *const stdin_only[] = { "-", NULL };
	int status = EXIT_OK, i;

	if (argc == 0) {
		argv = (char **)stdin_only;
		argc = 1;
	}
	for (i = 0; i < argc && !sig_stop; i++) {
		int fd = STDIN_FILENO, s;

		if (strcmp(argv[i], "-") != 0) {
			fd = open(argv[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				log_errno("open '%s'", argv[i]);
				status = EXIT_RUNTIME;
				continue;
			}
		}
		s = run_input(p, fd, strcmp(argv[i], "-") ? argv[i] : "stdin");
		if (fd != STDIN_FILENO)
			close(fd);
		if (s != EXIT_OK) {
			status = s;
			/* A closed stdout ends the run; a bad input does not. */
			if (p->out_failed)
				return status;
		}
	}
	if (lineio_flush(&p->w) < 0)
		status = write_failed(p);
	return status;
}

/*
 * Lines stream through the pipeline faster than one program of it
 * reads them at times: with the default 64 KiB pipe, the writer sleeps
 * and is woken every 4 KiB, a pair of context switches each.  A pipe as
 * large as an unprivileged process may ask for (pipe-max-size, 1 MiB by
 * default) lets each side run on.  Not a pipe, or a refusal: nothing.
 */
static void
pipe_widen(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "label", required_argument, NULL, 'l' },
		{ "stats-file", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct relabel_prog p;
	struct labels cli;
	const char *config = NULL;
	int c, status = EXIT_CONFIG;
	size_t i;

	log_init(argv[0]);
	memset(&p, 0, sizeof(p));
	relabel_init(&p.rules);
	labels_init(&p.ext);
	labels_init(&p.orig);
	labels_init(&cli);
	record_init(&p.rec);
	buf_init(&p.seen.arena, SEEN_MAX_BYTES);
	buf_init(&p.seen.key, OBS_LINE_MAX);
	buf_init(&p.seen.spare, OBS_LINE_MAX);
	buf_init(&p.seen.series, OBS_LINE_MAX);
	buf_init(&p.seen.head, OBS_LINE_MAX);
	p.seen.kent = SIZE_MAX;
	p.seen.pay.rest_next = SEEN_REST_MIN;
	p.logc.pay.rest_next = SEEN_REST_MIN;
	labels_init(&p.logc.work);
	buf_init(&p.logc.text, OBS_LINE_MAX);
	buf_init(&p.logc.out, 4 * OBS_LINE_MAX + 64);
	buf_init(&p.name, OBS_LINE_MAX);
	buf_init(&p.fam.name, OBS_LINE_MAX);
	buf_init(&p.fam.pending, OBS_LINE_MAX);
	while ((c = getopt_long(argc, argv, "c:hl:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			status = EXIT_OK;
			goto out;
		case 'l':
			if (parse_label_arg(&p, optarg) < 0)
				goto out;
			break;
		case 'S':
			p.stats_path = optarg;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case 'V':
			obs_print_version();
			status = EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	argc -= optind;
	argv += optind;

	/* -l wins over external_labels of the file: apply the file first. */
	if (config) {
		if (labels_copy(&cli, &p.ext) < 0) {
			log_errno("-l");
			goto out;
		}
		labels_reset(&p.ext);
		if (load_config(&p, config) < 0)
			goto out;
		for (i = 0; i < cli.n; i++)
			if (labels_set(&p.ext, labels_name(&cli, i),
			    cli.v[i].nlen, labels_value(&cli, i),
			    cli.v[i].vlen) < 0) {
				log_errno("-l");
				goto out;
			}
	}
	if (sig_init() < 0) {
		log_errno("signals");
		status = EXIT_RUNTIME;
		goto out;
	}
	pipe_widen(STDIN_FILENO);
	pipe_widen(STDOUT_FILENO);
	lineio_writer_init(&p.w, STDOUT_FILENO, "stdout");
	p.next_stats = clock_mono_ms() + STATS_INTERVAL_MS;

	status = run(&p, argc, argv);

	write_stats(&p, 0);
	lineio_writer_free(&p.w);
out:
	record_free(&p.rec);
	relabel_free(&p.rules);
	stages_free(p.stages);
	labels_free(&p.ext);
	labels_free(&p.orig);
	labels_free(&cli);
	buf_free(&p.fam.name);
	buf_free(&p.fam.pending);
	buf_free(&p.name);
	seen_free(&p.seen);
	logc_free(&p.logc);
	free(stage_counts);
	return status;
}
