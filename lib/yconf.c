/* yconf.c: YAML configuration files read with libyaml's event parser into a node tree. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "buf.h"
#include "hash.h"
#include "log.h"
#include "parse.h"
#include "yconf.h"
#include "banned.h"

/*
 * Hostile input must not take unbounded memory or stack: the file, the
 * nesting and the node count (aliases included, as each is a pointer in
 * its parent) are capped.
 */
#define YCONF_MAX_FILE (16u * 1024 * 1024)
#define YCONF_MAX_DEPTH 64
#define YCONF_MAX_NODES 1000000
#define YCONF_MAX_SECRET (64u * 1024)

/*
 * The root node is the first member of the document, so yconf_free() can
 * find the list of every other node (each freed once, however many
 * aliases point at it) and the file name.
 */
struct ydoc {
	struct ynode root;
	char *file;
	struct ynode **nodes;
	size_t n, cap;
};

struct anchor {
	char *name;
	struct ynode *node;	/* NULL while the anchored node is open */
};

struct frame {
	struct ynode *node;
	size_t cap;
	struct ynode *key;	/* map: key waiting for its value */
};

struct loader {
	struct ydoc *doc;
	int have_root;
	size_t count;
	struct frame stack[YCONF_MAX_DEPTH];
	int depth;
	struct anchor *anchors;	/* open-addressing table */
	size_t nanchors, acap;
	const char *data;	/* the input, to turn a byte offset into a line */
	size_t len;
};

static void
node_release(struct ynode *n)
{
	free(n->str);
	free(n->items);
	free(n->vals);
}

void
yconf_free(struct ynode *root)
{
	struct ydoc *doc = (struct ydoc *)root;
	size_t i;

	if (root == NULL)
		return;
	for (i = 0; i < doc->n; i++) {
		node_release(doc->nodes[i]);
		free(doc->nodes[i]);
	}
	node_release(&doc->root);
	free(doc->nodes);
	free(doc->file);
	free(doc);
}

static void
load_error(const struct loader *ld, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
load_error(const struct loader *ld, size_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s:%zu: %s", ld->doc->file, line, msg);
}

/* The slot holding name, or the empty slot where it would go. */
static struct anchor *
anchor_slot(struct anchor *tab, size_t cap, const char *name)
{
	size_t i = (size_t)obs_fnv1a64(name, strlen(name)) & (cap - 1);

	while (tab[i].name && strcmp(tab[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int
anchor_grow(struct loader *ld)
{
	size_t ncap = ld->acap ? ld->acap * 2 : 16, i;
	struct anchor *nt, *s;

	nt = calloc(ncap, sizeof(*nt));
	if (nt == NULL)
		return -1;
	for (i = 0; i < ld->acap; i++) {
		if (ld->anchors[i].name == NULL)
			continue;
		s = anchor_slot(nt, ncap, ld->anchors[i].name);
		*s = ld->anchors[i];
	}
	free(ld->anchors);
	ld->anchors = nt;
	ld->acap = ncap;
	return 0;
}

/* Opens (or reopens: YAML lets an anchor be redefined) name for node. */
static struct anchor *
anchor_open(struct loader *ld, const char *name)
{
	struct anchor *s;

	if ((ld->nanchors + 1) * 2 > ld->acap && anchor_grow(ld) < 0)
		return NULL;
	s = anchor_slot(ld->anchors, ld->acap, name);
	if (s->name == NULL) {
		s->name = strdup(name);
		if (s->name == NULL)
			return NULL;
		ld->nanchors++;
	}
	s->node = NULL;
	return s;
}

static void
anchors_free(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->acap; i++)
		free(ld->anchors[i].name);
	free(ld->anchors);
}

static struct ynode *
node_new(struct loader *ld, enum ynode_type type, const yaml_mark_t *mark)
{
	struct ydoc *doc = ld->doc;
	struct ynode *n;

	if (++ld->count > YCONF_MAX_NODES) {
		load_error(ld, mark->line + 1, "more than %d nodes",
			   YCONF_MAX_NODES);
		return NULL;
	}
	if (!ld->have_root) {
		n = &doc->root;
		ld->have_root = 1;
	} else {
		if (doc->n == doc->cap) {
			size_t ncap = doc->cap ? doc->cap * 2 : 64;
			struct ynode **nv;

			nv = realloc(doc->nodes, ncap * sizeof(*nv));
			if (nv == NULL)
				goto nomem;
			doc->nodes = nv;
			doc->cap = ncap;
		}
		n = calloc(1, sizeof(*n));
		if (n == NULL)
			goto nomem;
		doc->nodes[doc->n++] = n;
	}
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->line = mark->line + 1 > INT32_MAX ? INT32_MAX : (int)mark->line + 1;
	n->col = mark->column + 1 > INT32_MAX ? INT32_MAX :
		(int)mark->column + 1;
	n->file = doc->file;
	return n;
nomem:
	load_error(ld, mark->line + 1, "out of memory");
	return NULL;
}

static int
items_push(struct loader *ld, struct frame *f, struct ynode *key,
	   struct ynode *val)
{
	struct ynode *p = f->node;

	if (p->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 4;
		struct ynode **ni, **nv;

		ni = realloc(p->items, ncap * sizeof(*ni));
		if (ni == NULL)
			goto nomem;
		p->items = ni;
		if (p->type == YNODE_MAP) {
			nv = realloc(p->vals, ncap * sizeof(*nv));
			if (nv == NULL)
				goto nomem;
			p->vals = nv;
		}
		f->cap = ncap;
	}
	p->items[p->n] = key;
	if (p->type == YNODE_MAP)
		p->vals[p->n] = val;
	p->n++;
	return 0;
nomem:
	load_error(ld, (size_t)p->line, "out of memory");
	return -1;
}

/* Hangs a finished node (or an alias of one) under the open container. */
static int
attach(struct loader *ld, struct ynode *n)
{
	struct frame *f;

	if (ld->depth == 0)
		return 0;	/* the root itself */
	f = &ld->stack[ld->depth - 1];
	if (f->node->type == YNODE_SEQ)
		return items_push(ld, f, n, NULL);
	if (f->key == NULL) {
		if (n->type != YNODE_SCALAR) {
			load_error(ld, (size_t)n->line,
				   "a mapping key must be a scalar");
			return -1;
		}
		f->key = n;
		return 0;
	}
	if (items_push(ld, f, f->key, n) < 0)
		return -1;
	f->key = NULL;
	return 0;
}

static int
key_cmp(const struct ynode *a, const struct ynode *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->str, b->str, n);

	if (c)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

static int
dup_order(const void *pa, const void *pb, void *keys)
{
	const struct ynode *const *k = keys;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = key_cmp(k[a], k[b]);

	if (c)
		return c;
	return (a > b) - (a < b);
}

/* Reports a key defined twice, as Prometheus' strict YAML does. */
static int
check_dups(struct loader *ld, const struct ynode *map)
{
	const struct ynode *first = NULL, *again = NULL;
	size_t i, j, *idx;

	if (map->n <= 16) {
		for (j = 1; j < map->n && !again; j++)
			for (i = 0; i < j; i++)
				if (key_cmp(map->items[i], map->items[j]) == 0) {
					first = map->items[i];
					again = map->items[j];
					break;
				}
	} else {
		idx = malloc(map->n * sizeof(*idx));
		if (idx == NULL) {
			load_error(ld, (size_t)map->line, "out of memory");
			return -1;
		}
		for (i = 0; i < map->n; i++)
			idx[i] = i;
		qsort_r(idx, map->n, sizeof(*idx), dup_order, map->items);
		/* The first pair in document order is the one to report. */
		for (i = 1; i < map->n; i++) {
			if (key_cmp(map->items[idx[i - 1]],
				    map->items[idx[i]]) != 0)
				continue;
			if (again == NULL || map->items[idx[i]]->line <
			    again->line) {
				first = map->items[idx[i - 1]];
				again = map->items[idx[i]];
			}
		}
		free(idx);
	}
	if (again == NULL)
		return 0;
	load_error(ld, (size_t)again->line,
		   "%.*s: key already defined at line %d",
		   again->len > 100 ? 100 : (int)again->len, again->str,
		   first->line);
	return -1;
}

static int
open_anchor_for(struct loader *ld, const yaml_char_t *anchor)
{
	if (anchor && anchor_open(ld, (const char *)anchor) == NULL) {
		log_error("%s: out of memory", ld->doc->file);
		return -1;
	}
	return 0;
}

static void
close_anchor(struct loader *ld, const char *name, struct ynode *n)
{
	struct anchor *a = anchor_slot(ld->anchors, ld->acap, name);

	if (a->name)
		a->node = n;
}

static int
is_str_tag(const yaml_char_t *tag)
{
	return tag && (strcmp((const char *)tag, "!") == 0 ||
		       strcmp((const char *)tag, YAML_STR_TAG) == 0);
}

static int
on_scalar(struct loader *ld, yaml_event_t *ev)
{
	struct ynode *n;

	if (open_anchor_for(ld, ev->data.scalar.anchor) < 0)
		return -1;
	n = node_new(ld, YNODE_SCALAR, &ev->start_mark);
	if (n == NULL)
		return -1;
	n->str = malloc(ev->data.scalar.length + 1);
	if (n->str == NULL) {
		load_error(ld, (size_t)n->line, "out of memory");
		return -1;
	}
	memcpy(n->str, ev->data.scalar.value, ev->data.scalar.length);
	n->str[ev->data.scalar.length] = '\0';
	n->len = ev->data.scalar.length;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		!is_str_tag(ev->data.scalar.tag);
	if (ev->data.scalar.anchor)
		close_anchor(ld, (const char *)ev->data.scalar.anchor, n);
	return attach(ld, n);
}

static int
on_alias(struct loader *ld, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct anchor *a = NULL;

	if (ld->acap)
		a = anchor_slot(ld->anchors, ld->acap, name);
	if (a == NULL || a->name == NULL) {
		load_error(ld, ev->start_mark.line + 1, "unknown anchor '%s'",
			   name);
		return -1;
	}
	if (a->node == NULL) {
		load_error(ld, ev->start_mark.line + 1,
			   "anchor '%s' value contains itself", name);
		return -1;
	}
	if (++ld->count > YCONF_MAX_NODES) {
		load_error(ld, ev->start_mark.line + 1, "more than %d nodes",
			   YCONF_MAX_NODES);
		return -1;
	}
	return attach(ld, a->node);
}

static int
on_open(struct loader *ld, yaml_event_t *ev, enum ynode_type type)
{
	const yaml_char_t *anchor = type == YNODE_SEQ ?
		ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
	struct frame *f;
	struct ynode *n;

	if (ld->depth == YCONF_MAX_DEPTH) {
		load_error(ld, ev->start_mark.line + 1,
			   "nested deeper than %d levels", YCONF_MAX_DEPTH);
		return -1;
	}
	if (open_anchor_for(ld, anchor) < 0)
		return -1;
	n = node_new(ld, type, &ev->start_mark);
	if (n == NULL)
		return -1;
	f = &ld->stack[ld->depth++];
	f->node = n;
	f->cap = 0;
	f->key = NULL;
	/* The anchor name is needed again at the end event. */
	if (anchor) {
		n->str = strdup((const char *)anchor);
		if (n->str == NULL) {
			load_error(ld, (size_t)n->line, "out of memory");
			return -1;
		}
	}
	return 0;
}

/*
 * Drops every entry whose key occurred earlier in the mapping, sorting an
 * index so that a merge of many big mappings stays O(n log n).
 */
static int
keep_first_keys(struct loader *ld, struct ynode *map)
{
	size_t i, j, *idx;
	unsigned char *keep;

	idx = malloc(map->n * sizeof(*idx) + 1);
	keep = malloc(map->n + 1);
	if (idx == NULL || keep == NULL) {
		free(idx);
		free(keep);
		load_error(ld, (size_t)map->line, "out of memory");
		return -1;
	}
	for (i = 0; i < map->n; i++) {
		idx[i] = i;
		keep[i] = 1;
	}
	qsort_r(idx, map->n, sizeof(*idx), dup_order, map->items);
	for (i = 1; i < map->n; i++)
		if (key_cmp(map->items[idx[i - 1]], map->items[idx[i]]) == 0)
			keep[idx[i]] = 0;
	for (i = j = 0; i < map->n; i++) {
		if (!keep[i])
			continue;
		map->items[j] = map->items[i];
		map->vals[j++] = map->vals[i];
	}
	map->n = j;
	free(idx);
	free(keep);
	return 0;
}

/* Appends the entries of src (YAML merge, "<<: *base"); see merge_keys. */
static int
merge_from(struct loader *ld, struct frame *f, const struct ynode *src,
	   const struct ynode *at)
{
	size_t i;

	if (src->type != YNODE_MAP) {
		load_error(ld, (size_t)at->line,
			   "<<: a merge needs a mapping or a sequence of mappings");
		return -1;
	}
	for (i = 0; i < src->n; i++) {
		if (++ld->count > YCONF_MAX_NODES) {
			load_error(ld, (size_t)at->line, "more than %d nodes",
				   YCONF_MAX_NODES);
			return -1;
		}
		if (items_push(ld, f, src->items[i], src->vals[i]) < 0)
			return -1;
	}
	return 0;
}

/*
 * Resolves a plain "<<" key as Go's yaml.v2 does: keys written in the
 * mapping win over merged ones, and earlier mappings of a merged
 * sequence over later ones.
 */
static int
merge_keys(struct loader *ld, struct frame *f)
{
	struct ynode *map = f->node, *val;
	size_t i, j;

	for (i = 0; i < map->n; i++)
		if (map->items[i]->plain && strcmp(map->items[i]->str, "<<") == 0)
			break;
	if (i == map->n)
		return 0;
	val = map->vals[i];
	memmove(map->items + i, map->items + i + 1,
		(map->n - i - 1) * sizeof(*map->items));
	memmove(map->vals + i, map->vals + i + 1,
		(map->n - i - 1) * sizeof(*map->vals));
	map->n--;
	if (val->type != YNODE_SEQ) {
		if (merge_from(ld, f, val, val) < 0)
			return -1;
	} else {
		for (j = 0; j < val->n; j++)
			if (merge_from(ld, f, val->items[j], val->items[j]) < 0)
				return -1;
	}
	return keep_first_keys(ld, map);
}

static int
on_close(struct loader *ld)
{
	struct frame *f = &ld->stack[--ld->depth];
	struct ynode *n = f->node;

	if (n->type == YNODE_MAP &&
	    (check_dups(ld, n) < 0 || merge_keys(ld, f) < 0))
		return -1;
	if (n->str) {
		close_anchor(ld, n->str, n);
		free(n->str);
		n->str = NULL;
	}
	return attach(ld, n);
}

static void
parser_error(struct loader *ld, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";
	size_t line = p->problem_mark.line + 1;

	if (p->error == YAML_MEMORY_ERROR) {
		log_error("%s: out of memory", ld->doc->file);
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a line. */
		size_t i, end = p->problem_offset < ld->len ?
			p->problem_offset : ld->len;

		for (line = 1, i = 0; i < end; i++)
			line += ld->data[i] == '\n';
		load_error(ld, line, "%s", problem);
		return;
	}
	if (p->context)
		load_error(ld, line, "%s (%s at line %zu)", problem,
			   p->context, p->context_mark.line + 1);
	else
		load_error(ld, line, "%s", problem);
}

static int
run_parser(struct loader *ld, yaml_parser_t *p)
{
	yaml_event_t ev;
	int docs = 0, done = 0, rc = 0;

	while (!done && rc == 0) {
		if (!yaml_parser_parse(p, &ev)) {
			parser_error(ld, p);
			return -1;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			/* A second document would be silently ignored by
			 * Go's yaml: refuse it rather than drop config. */
			if (++docs > 1) {
				load_error(ld, ev.start_mark.line + 1,
					   "only one YAML document is allowed");
				rc = -1;
			}
			break;
		case YAML_SCALAR_EVENT:
			rc = on_scalar(ld, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(ld, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = on_open(ld, &ev, YNODE_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = on_open(ld, &ev, YNODE_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = on_close(ld);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	return rc;
}

struct ynode *
yconf_parse(const char *data, size_t len, const char *name)
{
	struct loader ld;
	yaml_parser_t p;
	int rc;

	memset(&ld, 0, sizeof(ld));
	ld.data = data;
	ld.len = len;
	ld.doc = calloc(1, sizeof(*ld.doc));
	if (ld.doc == NULL || (ld.doc->file = strdup(name)) == NULL) {
		free(ld.doc);
		log_error("%s: out of memory", name);
		return NULL;
	}
	if (!yaml_parser_initialize(&p)) {
		log_error("%s: out of memory", name);
		yconf_free(&ld.doc->root);
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	rc = run_parser(&ld, &p);
	yaml_parser_delete(&p);
	anchors_free(&ld);
	if (rc == 0 && !ld.have_root) {
		/* An empty file is an empty document: a null root. */
		ld.doc->root.type = YNODE_SCALAR;
		ld.doc->root.line = ld.doc->root.col = 1;
		ld.doc->root.file = ld.doc->file;
		ld.doc->root.plain = 1;
		ld.doc->root.str = calloc(1, 1);
		if (ld.doc->root.str == NULL) {
			log_error("%s: out of memory", name);
			rc = -1;
		}
	}
	if (rc < 0) {
		/* Open frames hold anchor names in str: free releases them. */
		yconf_free(&ld.doc->root);
		return NULL;
	}
	return &ld.doc->root;
}

/* Reads at most max bytes of path into b (errors logged). */
static int
read_file_capped(const char *path, size_t max, struct buf *b, int *toobig)
{
	char chunk[8192];
	ssize_t r;
	int fd;

	*toobig = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r == 0) {
			close(fd);
			return 0;
		}
		if (b->len + (size_t)r > max) {
			*toobig = 1;
			errno = EFBIG;
			break;
		}
		if (buf_add(b, chunk, (size_t)r) < 0)
			break;
	}
	r = errno;
	close(fd);
	errno = (int)r;
	return -1;
}

struct ynode *
yconf_load(const char *path)
{
	struct buf b = BUF_INIT(YCONF_MAX_FILE);
	struct ynode *root;
	int toobig;

	if (read_file_capped(path, YCONF_MAX_FILE, &b, &toobig) < 0) {
		if (toobig)
			log_error("cannot read '%s': larger than %u MiB", path,
				  YCONF_MAX_FILE >> 20);
		else
			log_errno("cannot read '%s'", path);
		buf_free(&b);
		return NULL;
	}
	root = yconf_parse(b.p ? b.p : "", b.len, path);
	buf_free(&b);
	return root;
}

static int
is_null_word(const char *s)
{
	return strcmp(s, "") == 0 || strcmp(s, "~") == 0 ||
		strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
		strcmp(s, "NULL") == 0;
}

int
ynode_is_null(const struct ynode *n)
{
	return n == NULL ||
		(n->type == YNODE_SCALAR && n->plain && is_null_word(n->str));
}

const struct ynode *
ynode_get(const struct ynode *map, const char *key)
{
	size_t i, klen;

	if (map == NULL || map->type != YNODE_MAP)
		return NULL;
	klen = strlen(key);
	for (i = 0; i < map->n; i++)
		if (map->items[i]->len == klen &&
		    memcmp(map->items[i]->str, key, klen) == 0)
			return map->vals[i];
	return NULL;
}

void
yconf_error(const struct ynode *at, const char *key, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at == NULL && key)
		log_error("%s: %s", key, msg);
	else if (at == NULL)
		log_error("%s", msg);
	else if (key)
		log_error("%s:%d: %s: %s", at->file, at->line, key, msg);
	else
		log_error("%s:%d: %s", at->file, at->line, msg);
}

int
yconf_check_keys(const struct ynode *map, const char *const *allowed)
{
	size_t i, j;
	int rc = 0;

	if (ynode_is_null(map))
		return 0;
	if (map->type != YNODE_MAP) {
		yconf_error(map, NULL, "expected a mapping");
		return -1;
	}
	for (i = 0; i < map->n; i++) {
		const struct ynode *k = map->items[i];

		for (j = 0; allowed[j]; j++)
			if (strlen(allowed[j]) == k->len &&
			    memcmp(allowed[j], k->str, k->len) == 0)
				break;
		if (allowed[j] == NULL) {
			yconf_error(k, k->str, "unknown key");
			rc = -1;
		}
	}
	return rc;
}

/* The value of key if present and not null; *rc is 1 otherwise. */
static const struct ynode *
lookup(const struct ynode *map, const char *key, int *rc)
{
	const struct ynode *v = ynode_get(map, key);

	*rc = ynode_is_null(v) ? 1 : 0;
	return *rc ? NULL : v;
}

static int
want_scalar(const struct ynode *v, const char *key, const char *what)
{
	if (v->type == YNODE_SCALAR)
		return 0;
	yconf_error(v, key, "expected %s, got a %s", what,
		    v->type == YNODE_SEQ ? "sequence" : "mapping");
	return -1;
}

int
yconf_str(const struct ynode *map, const char *key, const char **out)
{
	const struct ynode *v;
	int rc;

	if ((v = lookup(map, key, &rc)) == NULL)
		return rc;
	if (want_scalar(v, key, "a string") < 0)
		return -1;
	*out = v->str;
	return 0;
}

int
yconf_bool(const struct ynode *map, const char *key, int *out)
{
	/* The words Go's yaml.v2 reads as booleans (YAML 1.1). */
	static const char *const yes[] = {
		"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
		"on", "On", "ON", NULL,
	};
	static const char *const no[] = {
		"n", "N", "no", "No", "NO", "false", "False", "FALSE",
		"off", "Off", "OFF", NULL,
	};
	const struct ynode *v;
	size_t i;
	int rc;

	if ((v = lookup(map, key, &rc)) == NULL)
		return rc;
	if (want_scalar(v, key, "true or false") < 0)
		return -1;
	if (v->plain) {
		for (i = 0; yes[i]; i++)
			if (strcmp(v->str, yes[i]) == 0) {
				*out = 1;
				return 0;
			}
		for (i = 0; no[i]; i++)
			if (strcmp(v->str, no[i]) == 0) {
				*out = 0;
				return 0;
			}
	}
	yconf_error(v, key, "expected true or false, got '%.64s'", v->str);
	return -1;
}

/* YAML integers: decimal with an optional sign, 0x hex, 0o octal. */
static int
scan_int(const char *s, size_t len, int64_t *out)
{
	int neg = 0, base = 10;
	uint64_t u;
	size_t i = 0;

	if (len && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (len - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o')) {
		base = s[i + 1] == 'x' ? 16 : 8;
		i += 2;
	}
	if (i == len)
		return -1;
	u = 0;
	for (; i < len; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		if (d >= base)
			return -1;
		if (u > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -2;
		u = u * (uint64_t)base + (uint64_t)d;
	}
	if (!neg && u > (uint64_t)INT64_MAX)
		return -2;
	if (neg && u > (uint64_t)INT64_MAX + 1)
		return -2;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

int
yconf_int(const struct ynode *map, const char *key, long min, long max,
	  long *out)
{
	const struct ynode *v;
	int64_t x = 0;	/* set when scan_int succeeds; gcc -O1 cannot tell */
	int rc, r;

	if ((v = lookup(map, key, &rc)) == NULL)
		return rc;
	if (want_scalar(v, key, "an integer") < 0)
		return -1;
	r = v->plain ? scan_int(v->str, v->len, &x) : -1;
	if (r == -1) {
		yconf_error(v, key, "expected an integer, got '%.64s'",
			    v->str);
		return -1;
	}
	if (r == -2 || x < min || x > max) {
		yconf_error(v, key, "%.64s is out of range [%ld, %ld]",
			    v->str, min, max);
		return -1;
	}
	*out = (long)x;
	return 0;
}

int
yconf_duration(const struct ynode *map, const char *key, int64_t *ms)
{
	const struct ynode *v;
	int rc;

	if ((v = lookup(map, key, &rc)) == NULL)
		return rc;
	if (want_scalar(v, key, "a duration") < 0)
		return -1;
	if (parse_duration(v->str, v->len, ms) < 0) {
		yconf_error(v, key, "invalid duration '%.64s'", v->str);
		return -1;
	}
	return 0;
}

int
yconf_size(const struct ynode *map, const char *key, uint64_t *bytes)
{
	const struct ynode *v;
	int rc;

	if ((v = lookup(map, key, &rc)) == NULL)
		return rc;
	if (want_scalar(v, key, "a size") < 0)
		return -1;
	if (parse_size(v->str, v->len, bytes) < 0) {
		yconf_error(v, key, "invalid size '%.64s'", v->str);
		return -1;
	}
	return 0;
}

static int
want_type(const struct ynode *map, const char *key, enum ynode_type type,
	  const struct ynode **out)
{
	const struct ynode *v;
	int rc;

	if ((v = lookup(map, key, &rc)) == NULL)
		return rc;
	if (v->type != type) {
		yconf_error(v, key, "expected a %s",
			    type == YNODE_SEQ ? "sequence" : "mapping");
		return -1;
	}
	*out = v;
	return 0;
}

int
yconf_seq(const struct ynode *map, const char *key, const struct ynode **out)
{
	return want_type(map, key, YNODE_SEQ, out);
}

int
yconf_map(const struct ynode *map, const char *key, const struct ynode **out)
{
	return want_type(map, key, YNODE_MAP, out);
}

int
yconf_file_secret(const struct ynode *map, const char *key, char **out)
{
	struct buf path = BUF_INIT(4096), data = BUF_INIT(YCONF_MAX_SECRET);
	const struct ynode *v;
	const char *slash;
	int rc, toobig;

	if ((v = lookup(map, key, &rc)) == NULL)
		return rc;
	if (want_scalar(v, key, "a file name") < 0)
		return -1;
	/* A relative name is relative to the configuration file, as in
	 * Prometheus. */
	slash = strrchr(v->file, '/');
	if (v->str[0] != '/' && slash &&
	    buf_add(&path, v->file, (size_t)(slash - v->file) + 1) < 0)
		goto fail;
	if (buf_add(&path, v->str, v->len) < 0)
		goto fail;
	if (read_file_capped(path.p, YCONF_MAX_SECRET, &data, &toobig) < 0) {
		if (toobig)
			yconf_error(v, key, "cannot read '%s': larger than %u KiB",
				    path.p, YCONF_MAX_SECRET >> 10);
		else
			yconf_error(v, key, "cannot read '%s': %s", path.p,
				    strerror(errno));
		buf_free(&path);
		buf_free(&data);
		return -1;
	}
	if (data.len && data.p[data.len - 1] == '\n')
		buf_truncate(&data, data.len - 1);
	*out = data.p ? data.p : calloc(1, 1);
	buf_free(&path);
	if (*out == NULL)
		goto fail;
	return 0;
fail:
	yconf_error(v, key, "%s", strerror(errno));
	buf_free(&path);
	buf_free(&data);
	return -1;
}
