/* labels.h: label sets (the identity of a series or a log stream). */
#ifndef LABELS_H
#define LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * A label set keeps names and values, each NUL-terminated, in one arena
 * owned by the set; a label holds offsets into it, so adding never
 * invalidates earlier labels.  The metric name is the label "__name__", as
 * in Prometheus.  Sets are kept sorted by name (byte order) by every
 * function except labels_push(), which appends for a parser that sorts
 * once with labels_sort() at the end.  An empty value means "no label":
 * labels_set() with vlen 0 removes the label.  Arena space of replaced
 * values is reclaimed only by labels_reset().
 */
struct label {
	uint32_t name, nlen;
	uint32_t value, vlen;
};

struct labels {
	struct label *v;
	size_t n, cap;
	struct buf arena;
};

#define LABELS_NAME "__name__"

void labels_init(struct labels *ls);
void labels_reset(struct labels *ls);
void labels_free(struct labels *ls);
int labels_copy(struct labels *dst, const struct labels *src);

static inline const char *labels_name(const struct labels *ls, size_t i)
{
	return ls->arena.p + ls->v[i].name;
}
static inline const char *labels_value(const struct labels *ls, size_t i)
{
	return ls->arena.p + ls->v[i].value;
}

/* Appends without sorting or checking; -1 on ENOMEM. */
int labels_push(struct labels *ls, const char *name, size_t nlen,
		const char *value, size_t vlen);
/* Makes room for n labels in all; -1 on ENOMEM. */
int labels_reserve(struct labels *ls, size_t n);

/*
 * For a parser that cuts names and values out of a line in place:
 * labels_arena_add() appends s[0..n) and a NUL to the arena and returns
 * the offset of the copy (-1 on ENOMEM/EMSGSIZE); the parser then ends
 * each name and value in the copy with a NUL and appends the label with
 * labels_push_ref(), which takes arena offsets, neither checks nor sorts
 * (as labels_push()), and returns -1 on ENOMEM.
 */
long labels_arena_add(struct labels *ls, const char *s, size_t n);
static inline int labels_push_ref(struct labels *ls, size_t name, size_t nlen,
				  size_t value, size_t vlen)
{
	struct label *l;

	if (ls->n == ls->cap && labels_reserve(ls, ls->n + 1) < 0)
		return -1;
	l = &ls->v[ls->n++];
	l->name = (uint32_t)name;
	l->nlen = (uint32_t)nlen;
	l->value = (uint32_t)value;
	l->vlen = (uint32_t)vlen;
	return 0;
}
/*
 * Byte order of two label names, a prefix first (<0, 0, >0).  Names are
 * short and mostly differ early: a byte loop beats the call to memcmp.
 */
static inline int labels_name_cmp(const char *a, size_t alen, const char *b,
				  size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
	return alen < blen ? -1 : alen > blen;
}
/* Sorts by name; -1 with errno EEXIST if a name occurs twice. */
int labels_sort(struct labels *ls);
/* Sets name to value in a sorted set (vlen 0 deletes); -1 on ENOMEM. */
int labels_set(struct labels *ls, const char *name, size_t nlen,
	       const char *value, size_t vlen);
int labels_del(struct labels *ls, const char *name, size_t nlen);
/* Index of name in a sorted set, or -1. */
long labels_find(const struct labels *ls, const char *name, size_t nlen);
/* Value of name (NUL-terminated, length in *vlen if not NULL), or NULL. */
const char *labels_get(const struct labels *ls, const char *name, size_t *vlen);
/* Removes labels with empty values and those starting with "__" except
 * __name__ (what Prometheus does after relabeling). */
void labels_drop_internal(struct labels *ls);
/* A 64-bit hash of names and values (stable across runs), for sharding. */
uint64_t labels_hash(const struct labels *ls);
/* Byte order comparison of two sorted sets; 0 when equal. */
int labels_cmp(const struct labels *a, const struct labels *b);

/* [a-zA-Z_][a-zA-Z0-9_]* */
int label_name_valid(const char *s, size_t n);
/* [a-zA-Z_:][a-zA-Z0-9_:]* */
int metric_name_valid(const char *s, size_t n);

/*
 * Escaping of label values as Prometheus' text format: \\ \" and \n.
 * label_escape() appends the escaped form of s to out.  label_unescape()
 * appends the value of an escaped body (without quotes) to out; an unknown
 * escape is kept as written, as Prometheus' parser does; returns -1 only on
 * ENOMEM/EMSGSIZE.
 */
int label_escape(struct buf *out, const char *s, size_t n);
int label_unescape(struct buf *out, const char *s, size_t n);

/*
 * Writes the set as {a="1",b="2"} without __name__ (nothing at all if
 * there is no other label and with_empty is 0); with_name puts the metric
 * name in front as Prometheus text does: name{...}.
 */
int labels_format(struct buf *out, const struct labels *ls, int with_name,
		  int with_empty);

#endif
