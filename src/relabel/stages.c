/* stages.c: the log stages docker, json, regex, labels, static_labels, timestamp, output and drop. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "gotime.h"
#include "json.h"
#include "labels.h"
#include "log.h"
#include "obs.h"
#include "stages.h"
#include "yconf.h"
#include "banned.h"

enum kind {
	ST_DOCKER, ST_JSON, ST_REGEX, ST_LABELS, ST_STATIC, ST_TIMESTAMP,
	ST_OUTPUT, ST_DROP,
};

/* The extracted map of one entry: names and values in one arena. */
struct xent {
	size_t name, nlen, value, vlen;
};

struct xmap {
	struct xent *v;
	size_t n, cap;
	struct buf arena;
};

struct kv {
	char *name;
	char *value;		/* labels: source; static: value; json: path */
	struct json_path path;
};

struct stage {
	enum kind kind;
	char *source;
	struct kv *kv;
	size_t nkv;
	int drop_malformed;
	pcre2_code *re;
	pcre2_match_data *md;
	int jit;
	/* regex: the named groups, read once at load */
	PCRE2_SPTR names;
	uint32_t nnames, name_size;
	struct gotime *fmts;
	size_t nfmts;
	char *location;
	int fudge;
	/* drop */
	char **sources;
	size_t nsources;
	char *separator;
	char *value;
	int64_t older_ms;
	uint64_t longer;
	int has_older, has_longer;
	char *reason;
};

/* Last good timestamp per stream, for action_on_failure: fudge. */
#define FUDGE_SLOTS 4096
struct fudge {
	uint64_t hash;
	int64_t ts;
	int used;
};

struct stages {
	struct stage *v;
	size_t n;
	/* The extracted map: the stream labels as they were when the stages
	 * began (init), under what the stages extracted since (x). */
	const struct labels *init;
	struct labels snap;
	struct xmap x;
	int line_set;		/* a stage replaced the line */
	struct json_doc doc;
	struct buf tmp;
	struct gotime rfc3339nano;
	struct fudge *fudge;
};

/* Bounds of what one entry may extract: a log line's worth. */
#define XMAP_MAX (4 * OBS_LINE_MAX)

static void
xmap_reset(struct xmap *x)
{
	x->n = 0;
	buf_reset(&x->arena);
}

static long
xmap_find(const struct xmap *x, const char *name, size_t nlen)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (x->v[i].nlen == nlen &&
		    memcmp(x->arena.p + x->v[i].name, name, nlen) == 0)
			return (long)i;
	return -1;
}

/* A value of the extracted map: set by a stage, or a stream label. */
static const char *
xmap_get(const struct stages *st, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);
	long i = xmap_find(&st->x, name, nlen);

	if (i >= 0) {
		*vlen = st->x.v[i].vlen;
		return st->x.arena.p + st->x.v[i].value;
	}
	i = labels_find(st->init, name, nlen);
	if (i < 0)
		return NULL;
	*vlen = st->init->v[i].vlen;
	return labels_value(st->init, (size_t)i);
}

/* value may point into the arena itself: buf_add() survives that. */
static int
xmap_set(struct xmap *x, const char *name, size_t nlen, const char *value,
	 size_t vlen)
{
	long i = xmap_find(x, name, nlen);
	size_t voff;

	if (x->arena.p && value >= x->arena.p &&
	    value < x->arena.p + x->arena.len) {
		size_t off = (size_t)(value - x->arena.p);

		if (buf_grow(&x->arena, vlen + 1) < 0)
			return -1;
		value = x->arena.p + off;
	}
	voff = x->arena.len;
	if (buf_add(&x->arena, value, vlen) < 0 ||
	    buf_addch(&x->arena, '\0') < 0)
		return -1;
	if (i >= 0) {
		x->v[i].value = voff;
		x->v[i].vlen = vlen;
		return 0;
	}
	if (x->n == x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 16;
		struct xent *nv = realloc(x->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			errno = ENOMEM;
			return -1;
		}
		x->v = nv;
		x->cap = ncap;
	}
	x->v[x->n].name = x->arena.len;
	x->v[x->n].nlen = nlen;
	x->v[x->n].value = voff;
	x->v[x->n].vlen = vlen;
	if (buf_add(&x->arena, name, nlen) < 0 ||
	    buf_addch(&x->arena, '\0') < 0)
		return -1;
	x->n++;
	return 0;
}

static int
xmap_sets(struct xmap *x, const char *name, const char *value, size_t vlen)
{
	return xmap_set(x, name, strlen(name), value, vlen);
}

static int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		unsigned c = *p, need, cp, min;

		if (c < 0x80) {
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1; cp = c & 0x1f; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2; cp = c & 0x0f; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return 0;
		}
		if ((size_t)(end - p) <= need)
			return 0;
		for (p++; need; need--, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (*p & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return 0;
	}
	return 1;
}

/* Config helpers: every error is reported with file, line and key. */

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		log_error("out of memory");
	return d;
}

static int
get_str(const struct ynode *map, const char *key, char **out)
{
	const char *s = NULL;
	int r = yconf_str(map, key, &s);

	if (r < 0)
		return -1;
	if (r == 1 || s == NULL)
		return 0;
	*out = xstrdup(s);
	return *out ? 0 : -1;
}

static int
compile_re(struct stage *s, const struct ynode *at, const char *key,
	   const char *pat)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
	    PCRE2_DOLLAR_ENDONLY;
	pcre2_compile_context *cc;
	PCRE2_SIZE erroff;
	int errcode;

	cc = pcre2_compile_context_create(NULL);
	if (cc == NULL) {
		log_error("out of memory");
		return -1;
	}
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	s->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts,
	    &errcode, &erroff, cc);
	pcre2_compile_context_free(cc);
	if (s->re == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		yconf_error(at, key, "invalid regex at offset %zu: %s",
		    (size_t)erroff, (const char *)msg);
		return -1;
	}
	s->jit = pcre2_jit_compile(s->re, PCRE2_JIT_COMPLETE) == 0;
	if (pcre2_pattern_info(s->re, PCRE2_INFO_NAMECOUNT, &s->nnames) != 0 ||
	    pcre2_pattern_info(s->re, PCRE2_INFO_NAMEENTRYSIZE,
	    &s->name_size) != 0 ||
	    pcre2_pattern_info(s->re, PCRE2_INFO_NAMETABLE, &s->names) != 0)
		s->nnames = 0;
	s->md = pcre2_match_data_create_from_pattern(s->re, NULL);
	if (s->md == NULL) {
		log_error("out of memory");
		return -1;
	}
	return 0;
}

static int
re_match(struct stage *s, const char *subj, size_t n)
{
	int rc;

	if (s->jit)
		rc = pcre2_jit_match(s->re, (PCRE2_SPTR)subj, n, 0, 0, s->md,
		    NULL);
	else
		rc = pcre2_match(s->re, (PCRE2_SPTR)subj, n, 0, 0, s->md, NULL);
	return rc;
}

/* A map of name -> scalar (or null) for labels, static_labels, json. */
static int
load_kv(struct stage *s, const struct ynode *map, const char *key,
	int need_label_names, int need_values)
{
	size_t i;

	if (ynode_is_null(map) || map->type != YNODE_MAP || map->n == 0) {
		yconf_error(map, key, "expected a non-empty mapping");
		return -1;
	}
	s->kv = calloc(map->n, sizeof(*s->kv));
	if (s->kv == NULL) {
		log_error("out of memory");
		return -1;
	}
	for (i = 0; i < map->n; i++) {
		const struct ynode *k = map->items[i], *v = map->vals[i];
		struct kv *e = &s->kv[s->nkv++];

		if (need_label_names && !label_name_valid(k->str, k->len)) {
			yconf_error(k, key, "invalid label name '%s'", k->str);
			return -1;
		}
		if (!ynode_is_null(v) && v->type != YNODE_SCALAR) {
			yconf_error(v, k->str, "expected a string");
			return -1;
		}
		if (need_values && ynode_is_null(v)) {
			yconf_error(k, k->str, "a value is required");
			return -1;
		}
		e->name = xstrdup(k->str);
		/* An empty source or path means the same name. */
		e->value = xstrdup(ynode_is_null(v) || v->len == 0 ?
		    (need_values ? "" : k->str) : v->str);
		if (e->name == NULL || e->value == NULL)
			return -1;
	}
	return 0;
}

static int
load_json(struct stage *s, const struct ynode *cfg)
{
	static const char *const keys[] = { "expressions", "source",
	    "drop_malformed", NULL };
	const struct ynode *exprs = NULL;
	size_t i;

	if (yconf_check_keys(cfg, keys) < 0 || get_str(cfg, "source",
	    &s->source) < 0 || yconf_bool(cfg, "drop_malformed",
	    &s->drop_malformed) < 0 || yconf_map(cfg, "expressions", &exprs) < 0)
		return -1;
	if (exprs == NULL) {
		yconf_error(cfg, "expressions", "required");
		return -1;
	}
	if (load_kv(s, exprs, "expressions", 0, 0) < 0)
		return -1;
	for (i = 0; i < s->nkv; i++) {
		struct json_err err;

		if (json_path_compile(&s->kv[i].path, s->kv[i].value,
		    strlen(s->kv[i].value), &err) < 0) {
			yconf_error(exprs->items[i], s->kv[i].name,
			    "invalid expression '%s' at offset %zu: %s",
			    s->kv[i].value, err.off, err.msg);
			return -1;
		}
	}
	return 0;
}

static int
load_regex(struct stage *s, const struct ynode *cfg)
{
	static const char *const keys[] = { "expression", "source", NULL };
	const char *expr = NULL;

	if (yconf_check_keys(cfg, keys) < 0 || get_str(cfg, "source",
	    &s->source) < 0 || yconf_str(cfg, "expression", &expr) < 0)
		return -1;
	if (expr == NULL || expr[0] == '\0') {
		yconf_error(cfg, "expression", "required");
		return -1;
	}
	return compile_re(s, ynode_get(cfg, "expression"), "expression", expr);
}

static int
load_timestamp(struct stage *s, const struct ynode *cfg)
{
	static const char *const keys[] = { "source", "format",
	    "fallback_formats", "location", "action_on_failure", NULL };
	const struct ynode *fb = NULL;
	const char *fmt = NULL, *action = "fudge";
	const char *err;
	size_t i;

	if (yconf_check_keys(cfg, keys) < 0 || get_str(cfg, "source",
	    &s->source) < 0 || yconf_str(cfg, "format", &fmt) < 0 ||
	    yconf_seq(cfg, "fallback_formats", &fb) < 0 ||
	    get_str(cfg, "location", &s->location) < 0 ||
	    yconf_str(cfg, "action_on_failure", &action) < 0)
		return -1;
	if (s->source == NULL) {
		yconf_error(cfg, "source", "required");
		return -1;
	}
	if (fmt == NULL || fmt[0] == '\0') {
		yconf_error(cfg, "format", "required");
		return -1;
	}
	if (strcmp(action, "fudge") != 0 && strcmp(action, "skip") != 0) {
		yconf_error(ynode_get(cfg, "action_on_failure"),
		    "action_on_failure", "must be fudge or skip, not '%s'",
		    action);
		return -1;
	}
	s->fudge = strcmp(action, "fudge") == 0;
	if (s->location && !gotime_location_valid(s->location)) {
		yconf_error(ynode_get(cfg, "location"), "location",
		    "unknown time zone '%s'", s->location);
		return -1;
	}
	s->fmts = calloc(1 + (fb ? fb->n : 0), sizeof(*s->fmts));
	if (s->fmts == NULL) {
		log_error("out of memory");
		return -1;
	}
	for (i = 0; i < 1 + (fb ? fb->n : 0); i++) {
		const struct ynode *at = i ? fb->items[i - 1] :
		    ynode_get(cfg, "format");
		const char *f = i ? at->str : fmt;

		if (i && (at->type != YNODE_SCALAR || at->len == 0)) {
			yconf_error(at, "fallback_formats", "expected a format");
			return -1;
		}
		if (gotime_compile(&s->fmts[i], f, &err) < 0) {
			yconf_error(at, i ? "fallback_formats" : "format",
			    "'%s': %s", f, err);
			return -1;
		}
		s->nfmts++;
	}
	return 0;
}

static int
load_output(struct stage *s, const struct ynode *cfg)
{
	static const char *const keys[] = { "source", NULL };

	if (yconf_check_keys(cfg, keys) < 0 ||
	    get_str(cfg, "source", &s->source) < 0)
		return -1;
	if (s->source == NULL || s->source[0] == '\0') {
		yconf_error(cfg, "source", "required");
		return -1;
	}
	return 0;
}

static int
load_drop(struct stage *s, const struct ynode *cfg)
{
	static const char *const keys[] = { "source", "separator",
	    "expression", "value", "older_than", "longer_than",
	    "drop_counter_reason", NULL };
	const struct ynode *src = ynode_get(cfg, "source");
	const char *expr = NULL;
	int r;

	if (yconf_check_keys(cfg, keys) < 0 || yconf_str(cfg, "expression",
	    &expr) < 0 || get_str(cfg, "value", &s->value) < 0 ||
	    get_str(cfg, "separator", &s->separator) < 0 ||
	    get_str(cfg, "drop_counter_reason", &s->reason) < 0)
		return -1;
	if (!ynode_is_null(src)) {
		size_t i, n = src->type == YNODE_SEQ ? src->n : 1;

		if (src->type == YNODE_MAP || n == 0) {
			yconf_error(src, "source", "expected a name or a list");
			return -1;
		}
		s->sources = calloc(n, sizeof(*s->sources));
		if (s->sources == NULL) {
			log_error("out of memory");
			return -1;
		}
		for (i = 0; i < n; i++) {
			const struct ynode *it = src->type == YNODE_SEQ ?
			    src->items[i] : src;

			if (it->type != YNODE_SCALAR || it->len == 0) {
				yconf_error(it, "source", "expected a name");
				return -1;
			}
			s->sources[s->nsources] = xstrdup(it->str);
			if (s->sources[s->nsources++] == NULL)
				return -1;
		}
	}
	if ((r = yconf_duration(cfg, "older_than", &s->older_ms)) < 0)
		return -1;
	s->has_older = r == 0;
	if ((r = yconf_size(cfg, "longer_than", &s->longer)) < 0)
		return -1;
	s->has_longer = r == 0;
	if (s->value && expr) {
		yconf_error(cfg, "value", "cannot be used with expression");
		return -1;
	}
	if (s->value && s->nsources == 0) {
		yconf_error(cfg, "value", "needs a source");
		return -1;
	}
	if (!expr && !s->nsources && !s->has_older && !s->has_longer) {
		yconf_error(cfg, NULL, "drop needs one of source, expression, "
		    "older_than or longer_than");
		return -1;
	}
	if (s->separator == NULL && (s->separator = xstrdup(";")) == NULL)
		return -1;
	if (s->reason == NULL && (s->reason = xstrdup("drop_stage")) == NULL)
		return -1;
	if (expr && compile_re(s, ynode_get(cfg, "expression"), "expression",
	    expr) < 0)
		return -1;
	return 0;
}

static int
load_stage(struct stage *s, const struct ynode *item)
{
	static const char *const names[] = { "docker", "json", "regex",
	    "labels", "static_labels", "timestamp", "output", "drop" };
	static const char *const none[] = { NULL };
	const struct ynode *k, *cfg;
	const char *name;
	size_t i;

	if (item->type != YNODE_MAP || item->n != 1) {
		yconf_error(item, "stages",
		    "each stage is a mapping with one key, the stage name");
		return -1;
	}
	k = item->items[0];
	cfg = item->vals[0];
	name = k->str;
	/* Alloy writes stage.NAME; Promtail just NAME. */
	if (strncmp(name, "stage.", 6) == 0)
		name += 6;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			break;
	if (i == ARRAY_SIZE(names)) {
		yconf_error(k, k->str, "unknown stage");
		return -1;
	}
	if (!ynode_is_null(cfg) && cfg->type != YNODE_MAP) {
		yconf_error(cfg, k->str, "expected a mapping");
		return -1;
	}
	s->kind = (enum kind)i;
	switch (s->kind) {
	case ST_DOCKER:
		return yconf_check_keys(cfg, none);
	case ST_JSON:
		return load_json(s, cfg);
	case ST_REGEX:
		return load_regex(s, cfg);
	case ST_LABELS:
		/* Promtail's labels map, or Alloy's values = {...}. */
		if (ynode_get(cfg, "values") && cfg->n == 1 &&
		    ynode_get(cfg, "values")->type == YNODE_MAP)
			cfg = ynode_get(cfg, "values");
		return load_kv(s, cfg, k->str, 1, 0);
	case ST_STATIC:
		if (ynode_get(cfg, "values") && cfg->n == 1 &&
		    ynode_get(cfg, "values")->type == YNODE_MAP)
			cfg = ynode_get(cfg, "values");
		return load_kv(s, cfg, k->str, 1, 1);
	case ST_TIMESTAMP:
		return load_timestamp(s, cfg);
	case ST_OUTPUT:
		return load_output(s, cfg);
	case ST_DROP:
		return load_drop(s, cfg);
	}
	return -1;
}

static void
stage_free(struct stage *s)
{
	size_t i;

	free(s->source);
	for (i = 0; i < s->nkv; i++) {
		free(s->kv[i].name);
		free(s->kv[i].value);
		json_path_free(&s->kv[i].path);
	}
	free(s->kv);
	if (s->md)
		pcre2_match_data_free(s->md);
	if (s->re)
		pcre2_code_free(s->re);
	for (i = 0; i < s->nfmts; i++)
		gotime_free(&s->fmts[i]);
	free(s->fmts);
	free(s->location);
	for (i = 0; i < s->nsources; i++)
		free(s->sources[i]);
	free(s->sources);
	free(s->separator);
	free(s->value);
	free(s->reason);
}

void
stages_free(struct stages *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++)
		stage_free(&st->v[i]);
	free(st->v);
	free(st->x.v);
	buf_free(&st->x.arena);
	json_doc_free(&st->doc);
	labels_free(&st->snap);
	buf_free(&st->tmp);
	gotime_free(&st->rfc3339nano);
	free(st->fudge);
	free(st);
}

int
stages_load(struct stages **out, const struct ynode *seq)
{
	struct stages *st;
	const char *err;
	size_t i;

	*out = NULL;
	if (ynode_is_null(seq))
		return 0;
	if (seq->type != YNODE_SEQ) {
		yconf_error(seq, "stages", "expected a list of stages");
		return -1;
	}
	if (seq->n == 0)
		return 0;
	st = calloc(1, sizeof(*st));
	if (st == NULL || (st->v = calloc(seq->n, sizeof(*st->v))) == NULL ||
	    (st->fudge = calloc(FUDGE_SLOTS, sizeof(*st->fudge))) == NULL) {
		log_error("out of memory");
		stages_free(st);
		return -1;
	}
	buf_init(&st->x.arena, XMAP_MAX);
	labels_init(&st->snap);
	buf_init(&st->tmp, OBS_LINE_MAX);
	json_doc_init(&st->doc);
	if (gotime_compile(&st->rfc3339nano, "RFC3339Nano", &err) < 0) {
		log_error("%s", err);
		stages_free(st);
		return -1;
	}
	for (i = 0; i < seq->n; i++) {
		st->n++;
		if (load_stage(&st->v[i], seq->items[i]) < 0) {
			stages_free(st);
			return -1;
		}
	}
	*out = st;
	return 0;
}

size_t
stages_count(const struct stages *st)
{
	return st ? st->n : 0;
}

/* The value a stage reads: an extracted value by name, or the line. */
static const char *
source_of(struct stages *st, const struct stage *s, const struct buf *line,
	  size_t *len)
{
	if (s->source == NULL) {
		*len = line->len;
		return buf_cstr(line);
	}
	return xmap_get(st, s->source, len);
}

static struct fudge *
fudge_slot(struct stages *st, const struct labels *ls, uint64_t *hash)
{
	*hash = labels_hash(ls);
	return &st->fudge[*hash % FUDGE_SLOTS];
}

/* Promtail's timestamp stage: parse, else fudge (last good + 1ns) or skip. */
static void
set_time(struct stages *st, const struct gotime *fmts, size_t nfmts,
	 const char *loc, int fudge, const char *v, size_t vlen,
	 const struct labels *ls, int64_t *ts)
{
	struct fudge *f;
	uint64_t hash;
	const char *err = "source not found";
	size_t i;

	for (i = 0; v && i < nfmts; i++) {
		int64_t ns;

		if (gotime_parse(&fmts[i], v, vlen, loc, &ns, &err) == 0) {
			*ts = ns;
			if (fudge) {
				f = fudge_slot(st, ls, &hash);
				f->hash = hash;
				f->ts = ns;
				f->used = 1;
			}
			return;
		}
	}
	log_debug("timestamp '%.*s': %s", v ? (int)(vlen > 64 ? 64 : vlen) : 0,
	    v ? v : "", err);
	if (!fudge)
		return;
	f = fudge_slot(st, ls, &hash);
	if (f->used && f->hash == hash) {
		f->ts++;
		*ts = f->ts;
	}
}

static int
run_docker(struct stages *st, struct labels *ls, int64_t *ts,
	   struct buf *line)
{
	const struct json *root, *log, *stream, *time;
	struct json_err err;
	size_t n;

	root = json_parse(&st->doc, line->p ? line->p : "", line->len, &err);
	if (root == NULL || root->type != JSON_OBJECT) {
		log_debug("docker: not a json-file line at byte %zu: %s",
		    root ? 0 : err.off, root ? "not an object" : err.msg);
		return 0;
	}
	log = json_get(root, "log", 3);
	stream = json_get(root, "stream", 6);
	time = json_get(root, "time", 4);
	if (stream && stream->type == JSON_STRING) {
		if (xmap_sets(&st->x, "stream", stream->str, stream->len) < 0)
			return -1;
		if (utf8_valid(stream->str, stream->len) &&
		    labels_set(ls, "stream", 6, stream->str, stream->len) < 0)
			return -1;
	}
	if (time && time->type == JSON_STRING &&
	    xmap_sets(&st->x, "timestamp", time->str, time->len) < 0)
		return -1;
	set_time(st, &st->rfc3339nano, 1, NULL, 1,
	    time && time->type == JSON_STRING ? time->str : NULL,
	    time ? time->len : 0, ls, ts);
	if (log && log->type == JSON_STRING) {
		if (xmap_sets(&st->x, "output", log->str, log->len) < 0)
			return -1;
		n = log->len;
		if (n && log->str[n - 1] == '\n')
			n--;
		buf_reset(line);
		st->line_set = 1;
		if (buf_add(line, log->str, n) < 0)
			return -1;
	}
	return 0;
}

static int
run_json(struct stages *st, struct stage *s, struct buf *line, int *drop)
{
	const struct json *root;
	struct json_err err;
	const char *src;
	size_t len, i;

	src = source_of(st, s, line, &len);
	if (src == NULL)
		return 0;
	root = json_parse(&st->doc, src, len, &err);
	if (root == NULL || root->type != JSON_OBJECT) {
		log_debug("json: not a json object at byte %zu: %s",
		    root ? 0 : err.off, root ? "not an object" : err.msg);
		if (s->drop_malformed)
			*drop = 1;
		return 0;
	}
	/* The tree does not point into the source, so the map may change. */
	for (i = 0; i < s->nkv; i++) {
		const struct json *v = json_path_eval(&s->kv[i].path, root);
		int r;

		if (v == NULL || v->type == JSON_NULL)
			continue;
		if (v->type == JSON_STRING) {
			r = xmap_sets(&st->x, s->kv[i].name, v->str, v->len);
		} else {
			buf_reset(&st->tmp);
			r = json_write(&st->tmp, v);
			if (r == 0)
				r = xmap_sets(&st->x, s->kv[i].name,
				    buf_cstr(&st->tmp), st->tmp.len);
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

static int
run_regex(struct stages *st, struct stage *s, struct buf *line)
{
	PCRE2_SIZE *ov;
	uint32_t i;
	const char *src;
	size_t len;
	int rc;

	src = source_of(st, s, line, &len);
	if (src == NULL)
		return 0;
	rc = re_match(s, src, len);
	if (rc < 0)
		return 0;
	/* Copy the subject: setting values may move the map's arena. */
	if (s->source) {
		buf_reset(&st->tmp);
		if (buf_add(&st->tmp, src, len) < 0)
			return -1;
		src = buf_cstr(&st->tmp);
	}
	ov = pcre2_get_ovector_pointer(s->md);
	for (i = 0; i < s->nnames; i++) {
		const unsigned char *e = s->names + (size_t)i * s->name_size;
		uint32_t g = (uint32_t)(e[0] << 8 | e[1]);
		const char *v = "";
		size_t vlen = 0;

		/* A group that did not take part gives "", as in Go. */
		if ((int)g < rc && ov[2 * g] != PCRE2_UNSET) {
			v = src + ov[2 * g];
			vlen = ov[2 * g + 1] - ov[2 * g];
		}
		if (xmap_sets(&st->x, (const char *)e + 2, v, vlen) < 0)
			return -1;
	}
	return 0;
}

static int
run_labels(struct stages *st, struct stage *s, struct labels *ls)
{
	size_t i, vlen;

	for (i = 0; i < s->nkv; i++) {
		const char *v = xmap_get(st, s->kv[i].value, &vlen);

		if (v == NULL || !utf8_valid(v, vlen))
			continue;
		if (labels_set(ls, s->kv[i].name, strlen(s->kv[i].name), v,
		    vlen) < 0)
			return -1;
	}
	return 0;
}

static int
run_static(struct stage *s, struct labels *ls)
{
	size_t i;

	for (i = 0; i < s->nkv; i++)
		if (labels_set(ls, s->kv[i].name, strlen(s->kv[i].name),
		    s->kv[i].value, strlen(s->kv[i].value)) < 0)
			return -1;
	return 0;
}

static int
run_output(struct stages *st, struct stage *s, struct buf *line)
{
	const char *v;
	size_t vlen;

	v = xmap_get(st, s->source, &vlen);
	if (v == NULL)
		return 0;
	/* v may be a stream label's value: init never points into line. */
	buf_reset(line);
	st->line_set = 1;
	return buf_add(line, v, vlen);
}

/* Promtail's drop: every condition given must hold to drop. */
static int
should_drop(struct stages *st, struct stage *s, int64_t ts,
	    const struct buf *line)
{
	const char *subj = buf_cstr(line);
	size_t n = line->len, i;

	if (s->has_longer && (uint64_t)line->len <= s->longer)
		return 0;
	if (s->has_older && ts / 1000000 >= clock_ms() - s->older_ms)
		return 0;
	if (s->nsources) {
		buf_reset(&st->tmp);
		for (i = 0; i < s->nsources; i++) {
			size_t vlen;
			const char *v = xmap_get(st, s->sources[i], &vlen);

			if (v == NULL)
				return 0;
			if ((i && buf_addstr(&st->tmp, s->separator) < 0) ||
			    buf_add(&st->tmp, v, vlen) < 0)
				return -1;
		}
		subj = buf_cstr(&st->tmp);
		n = st->tmp.len;
		if (s->value && (strlen(s->value) != n ||
		    memcmp(s->value, subj, n) != 0))
			return 0;
	}
	if (s->re && re_match(s, subj, n) < 0)
		return 0;
	return 1;
}

int
stages_apply(struct stages *st, struct labels *ls, int64_t *ts_ns,
	     struct buf *line, const char **reason)
{
	int line_set;

	if (st == NULL)
		return 1;
	if (labels_copy(&st->snap, ls) < 0)
		return -1;
	return stages_apply_from(st, &st->snap, ls, ts_ns, line, reason,
	    &line_set);
}

int
stages_apply_from(struct stages *st, const struct labels *init,
		  struct labels *ls, int64_t *ts_ns, struct buf *line,
		  const char **reason, int *line_set)
{
	size_t i;

	*line_set = 0;
	if (st == NULL)
		return 1;
	/* Promtail starts the extracted map with the stream labels. */
	xmap_reset(&st->x);
	st->init = init;
	st->line_set = 0;
	for (i = 0; i < st->n; i++) {
		struct stage *s = &st->v[i];
		size_t vlen = 0;
		const char *v;
		int r = 0, drop = 0;

		switch (s->kind) {
		case ST_DOCKER:
			r = run_docker(st, ls, ts_ns, line);
			break;
		case ST_JSON:
			r = run_json(st, s, line, &drop);
			if (drop) {
				*reason = "drop_malformed";
				return 0;
			}
			break;
		case ST_REGEX:
			r = run_regex(st, s, line);
			break;
		case ST_LABELS:
			r = run_labels(st, s, ls);
			break;
		case ST_STATIC:
			r = run_static(s, ls);
			break;
		case ST_TIMESTAMP:
			v = xmap_get(st, s->source, &vlen);
			set_time(st, s->fmts, s->nfmts, s->location, s->fudge,
			    v, vlen, ls, ts_ns);
			break;
		case ST_OUTPUT:
			r = run_output(st, s, line);
			break;
		case ST_DROP:
			r = should_drop(st, s, *ts_ns, line);
			if (r == 1) {
				*reason = s->reason;
				return 0;
			}
			break;
		}
		if (r < 0)
			return -1;
	}
	*line_set = st->line_set;
	return 1;
}
