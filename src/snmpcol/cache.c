/* cache.c: the lookup columns of a module kept across polls, so slow agents are not walked for them every time. */
#include <stdlib.h>
#include <string.h>

#include "snmpcol.h"
#include "banned.h"

static int
oid_has_prefix(const uint32_t *v, size_t n, const struct sc_oid *prefix)
{
	return n >= prefix->n && sc_oid_cmp(v, prefix->n, prefix->v, prefix->n) == 0;
}

static int
col_cmp(const void *a, const void *b)
{
	const struct sc_oid *x = a, *y = b;

	return sc_oid_cmp(x->v, x->n, y->v, y->n);
}

int
sc_cache_init(struct sc_cache *c, const struct sc_module *m)
{
	size_t i, j, k, n = 0, cap = 0;

	memset(c, 0, sizeof(*c));
	/* A filter rewrites the walks and gets of each scrape: what a
	 * cache would leave out is not known in advance. */
	if (m->nfilters > 0)
		return 0;
	for (i = 0; i < m->nmetrics; i++)
		cap += m->metrics[i].nlookups;
	if (cap == 0)
		return 0;
	c->cols.v = calloc(cap, sizeof(*c->cols.v));
	if (c->cols.v == NULL)
		return -1;
	for (i = 0; i < m->nmetrics; i++)
		for (j = 0; j < m->metrics[i].nlookups; j++) {
			const struct sc_lookup *lk = &m->metrics[i].lookups[j];

			if (lk->nlabels == 0)
				continue;
			/* A column no walk covers is not fetched at all
			 * (snmp_exporter 0.21 leaves its label empty). */
			for (k = 0; k < m->nwalk; k++)
				if (oid_has_prefix(lk->oid.v, lk->oid.n, &m->walk[k]))
					break;
			if (k < m->nwalk)
				c->cols.v[n++] = lk->oid;
		}
	qsort(c->cols.v, n, sizeof(*c->cols.v), col_cmp);
	/* Sorted, a column inside another comes right after it. */
	for (i = 0, j = 0; i < n; i++)
		if (j == 0 || !oid_has_prefix(c->cols.v[i].v, c->cols.v[i].n,
		    &c->cols.v[j - 1]))
			c->cols.v[j++] = c->cols.v[i];
	c->cols.n = j;
	return 0;
}

void
sc_cache_free(struct sc_cache *c)
{
	free(c->cols.v);
	sc_pdus_free(&c->pdus);
	memset(c, 0, sizeof(*c));
}

const struct sc_skip *
sc_cache_skip(const struct sc_cache *c, int64_t now, int64_t ttl_ms)
{
	if (c->cols.n == 0 || !c->filled || now - c->filled_ms >= ttl_ms)
		return NULL;
	return &c->cols;
}

int
sc_cache_fill(struct sc_cache *c, const struct sc_pdus *p, int64_t now)
{
	size_t i, k;

	sc_pdus_reset(&c->pdus);
	c->filled = 0;
	if (c->cols.n == 0)
		return 0;
	for (i = 0; i < p->n; i++)
		for (k = 0; k < c->cols.n; k++)
			if (oid_has_prefix(p->v[i].name, p->v[i].nlen, &c->cols.v[k])) {
				if (sc_pdus_add(&c->pdus, p->v[i].name, p->v[i].nlen,
				    &p->v[i].v) < 0) {
					sc_pdus_reset(&c->pdus);
					return -1;
				}
				break;
			}
	c->filled = 1;
	c->filled_ms = now;
	return 0;
}

int
sc_cache_apply(const struct sc_cache *c, struct sc_pdus *p)
{
	size_t i, returned = p->returned;

	for (i = 0; i < c->pdus.n; i++)
		if (sc_pdus_add(p, c->pdus.v[i].name, c->pdus.v[i].nlen,
		    &c->pdus.v[i].v) < 0) {
			p->returned = returned;
			return -1;
		}
	p->returned = returned;
	return 0;
}
