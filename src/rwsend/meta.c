/* meta.c: the metric metadata seen in # TYPE, HELP and UNIT lines, bounded. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "hash.h"
#include "log.h"
#include "obs.h"
#include "record.h"
#include "rwsend.h"
#include "banned.h"

/*
 * Families live in an open-addressing table of RW_META_MAX entries at
 * most; past that, new families are counted and not kept, so memory stays
 * bounded however many families the input names.
 */
struct meta {
	char *name;
	char *help;
	char *unit;
	int type;
};

#define META_SLOTS 16384	/* power of two, > RW_META_MAX */

static struct meta *tab;
static size_t count;
static int dirty;
static int64_t dirty_since;
static unsigned long overflow;

/* Prometheus' FromMetadataType: the # TYPE word to the prompb enum. */
static int type_of(const char *w)
{
	static const struct {
		const char *word;
		int type;
	} map[] = {
		{ "counter", PROMETHEUS__METRIC_METADATA__METRIC_TYPE__COUNTER },
		{ "gauge", PROMETHEUS__METRIC_METADATA__METRIC_TYPE__GAUGE },
		{ "histogram",
		  PROMETHEUS__METRIC_METADATA__METRIC_TYPE__HISTOGRAM },
		{ "gaugehistogram",
		  PROMETHEUS__METRIC_METADATA__METRIC_TYPE__GAUGEHISTOGRAM },
		{ "summary", PROMETHEUS__METRIC_METADATA__METRIC_TYPE__SUMMARY },
		{ "info", PROMETHEUS__METRIC_METADATA__METRIC_TYPE__INFO },
		{ "stateset",
		  PROMETHEUS__METRIC_METADATA__METRIC_TYPE__STATESET },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(w, map[i].word) == 0)
			return map[i].type;
	return PROMETHEUS__METRIC_METADATA__METRIC_TYPE__UNKNOWN;
}

static int set_str(char **dst, const char *s)
{
	char *d;

	if (*dst && strcmp(*dst, s) == 0)
		return 0;
	d = strdup(s);
	if (!d)
		return -1;
	free(*dst);
	*dst = d;
	return 1;
}

int rw_meta_note(const struct record *rec)
{
	const char *name = buf_cstr(&rec->meta_name);
	const char *text = buf_cstr(&rec->text);
	size_t nlen = rec->meta_name.len, i;
	struct meta *m = NULL;
	int changed = 0;

	if (rec->meta == META_NONE || nlen == 0)
		return 0;
	if (!tab) {
		tab = calloc(META_SLOTS, sizeof(*tab));
		if (!tab)
			return -1;
	}
	for (i = obs_fnv1a64(name, nlen) & (META_SLOTS - 1);;
	     i = (i + 1) & (META_SLOTS - 1)) {
		if (!tab[i].name)
			break;
		if (strcmp(tab[i].name, name) == 0) {
			m = &tab[i];
			break;
		}
	}
	if (!m) {
		if (count >= RW_META_MAX) {
			if (overflow++ == 0)
				log_warn("more than %d metric "
					 "families: metadata of new ones is "
					 "not sent",
					 RW_META_MAX);
			return 0;
		}
		m = &tab[i];
		m->name = strdup(name);
		if (!m->name)
			return -1;
		m->type = PROMETHEUS__METRIC_METADATA__METRIC_TYPE__UNKNOWN;
		count++;
		changed = 1;
	}
	switch (rec->meta) {
	case META_TYPE:
		if (m->type != type_of(text)) {
			m->type = type_of(text);
			changed = 1;
		}
		break;
	case META_HELP:
		changed |= set_str(&m->help, text);
		break;
	case META_UNIT:
		changed |= set_str(&m->unit, text);
		break;
	default:
		break;
	}
	if (changed < 0)
		return -1;
	if (changed && !dirty) {
		dirty = 1;
		dirty_since = clock_mono_ms();
	}
	return 0;
}

int rw_meta_dirty(void)
{
	return dirty;
}

size_t rw_meta_count(void)
{
	return count;
}

unsigned long rw_meta_overflow(void)
{
	return overflow;
}

static int flush_one(struct rw_endpoint *ep, struct buf *rec)
{
	Prometheus__MetricMetadata *mm, **pm;
	size_t i, n = 0, per = (size_t)ep->meta_max_per_send;
	int ret = 0;

	mm = calloc(per, sizeof(*mm));
	pm = calloc(per, sizeof(*pm));
	if (!mm || !pm) {
		free(mm);
		free(pm);
		return -1;
	}
	for (i = 0; i < META_SLOTS; i++) {
		struct meta *m = &tab[i];

		if (!m->name)
			continue;
		prometheus__metric_metadata__init(&mm[n]);
		mm[n].type = m->type;
		mm[n].metric_family_name = m->name;
		if (m->help)
			mm[n].help = m->help;
		if (m->unit)
			mm[n].unit = m->unit;
		pm[n] = &mm[n];
		if (++n == per) {
			if (rw_meta_encode(pm, n, rec) < 0 ||
			    rw_shard_push(&ep->shards[0], rec->p, rec->len,
					  clock_ms()) < 0)
				ret = -1;
			n = 0;
		}
	}
	if (n && (rw_meta_encode(pm, n, rec) < 0 ||
		  rw_shard_push(&ep->shards[0], rec->p, rec->len,
				clock_ms()) < 0))
		ret = -1;
	free(mm);
	free(pm);
	return ret;
}

/*
 * Prometheus sends all metadata every send_interval; rwsend does that and
 * also sends soon (one batch deadline) after new metadata appears, so a
 * one-shot run delivers it too.
 */
int rw_meta_flush(struct rw_endpoint *eps, size_t nep, int64_t now_mono,
		  int force)
{
	struct buf rec = BUF_INIT(0);
	size_t e;
	int ret = 0;

	if (!count)
		return 0;
	for (e = 0; e < nep; e++) {
		struct rw_endpoint *ep = &eps[e];
		int due = 0;

		if (!ep->meta_send)
			continue;
		if (dirty && (force || now_mono - dirty_since >=
						ep->qc.batch_send_deadline_ms))
			due = 1;
		if (ep->meta_last_mono &&
		    now_mono - ep->meta_last_mono >= ep->meta_interval_ms)
			due = 1;
		if (!due)
			continue;
		if (flush_one(ep, &rec) < 0)
			ret = -1;
		ep->meta_last_mono = now_mono;
	}
	if (dirty && (force || now_mono - dirty_since >=
					eps[0].qc.batch_send_deadline_ms))
		dirty = 0;
	buf_free(&rec);
	return ret;
}

void rw_meta_free(void)
{
	size_t i;

	if (!tab)
		return;
	for (i = 0; i < META_SLOTS; i++) {
		free(tab[i].name);
		free(tab[i].help);
		free(tab[i].unit);
	}
	free(tab);
	tab = NULL;
	count = 0;
}
