/* batch.c: pending batches and their encoding as remote-write requests. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include "buf.h"
#include "labels.h"
#include "rwsend.h"
#include "banned.h"

void rw_batch_init(struct rw_batch *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->arena, RW_BATCH_ARENA_MAX + (2u << 20));
	buf_init(&b->pb, 0);
}

void rw_batch_free(struct rw_batch *b)
{
	free(b->s);
	free(b->labs);
	buf_free(&b->arena);
	free(b->pts);
	free(b->ppts);
	free(b->psm);
	free(b->ppsm);
	free(b->plb);
	free(b->pplb);
	buf_free(&b->pb);
	memset(b, 0, sizeof(*b));
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *v;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	v = realloc(*p, n * size);
	if (!v)
		return -1;
	*p = v;
	*cap = n;
	return 0;
}

int rw_batch_add(struct rw_batch *b, const struct labels *ls, double v,
		 int64_t ts)
{
	size_t i, arena0 = b->arena.len;
	struct rw_sample *s;

	if (grow((void **)&b->s, &b->cap, b->n + 1, sizeof(*b->s)) < 0 ||
	    grow((void **)&b->labs, &b->labcap, b->nlabs + ls->n,
		 sizeof(*b->labs)) < 0)
		return -1;
	for (i = 0; i < ls->n; i++) {
		struct rw_lab *l = &b->labs[b->nlabs + i];

		l->name = (uint32_t)b->arena.len;
		if (buf_add(&b->arena, labels_name(ls, i), ls->v[i].nlen + 1) <
		    0)
			goto undo;
		l->value = (uint32_t)b->arena.len;
		if (buf_add(&b->arena, labels_value(ls, i),
			    ls->v[i].vlen + 1) < 0)
			goto undo;
	}
	s = &b->s[b->n++];
	s->lab = (uint32_t)b->nlabs;
	s->nlab = (uint32_t)ls->n;
	s->value = v;
	s->ts = ts;
	b->nlabs += ls->n;
	if (b->n == 1 || ts < b->min_ts)
		b->min_ts = ts;
	return 0;
undo:
	buf_truncate(&b->arena, arena0);
	return -1;
}

/* Grows n arrays (pointer, element size pairs) to hold need elements. */
static int grow_all(size_t need, size_t *cap, int n, ...)
{
	size_t c = *cap ? *cap : 64;
	va_list ap;
	int i, ret = 0;

	while (c < need)
		c *= 2;
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		void **p = va_arg(ap, void **);
		size_t size = va_arg(ap, size_t);
		void *v = realloc(*p, c * size);

		if (!v) {
			ret = -1;
			break;
		}
		*p = v;
	}
	va_end(ap);
	if (ret == 0)
		*cap = c;
	return ret;
}

static int compress_record(const struct buf *pb, int kind, uint32_t count,
			   int64_t min_ts, struct buf *out)
{
	struct rwrec_hdr h;
	size_t clen = snappy_max_compressed_length(pb->len);

	memset(&h, 0, sizeof(h));
	h.magic = RWREC_MAGIC;
	h.kind = (uint8_t)kind;
	h.count = count;
	h.min_ts = min_ts;
	buf_reset(out);
	if (buf_grow(out, sizeof(h) + clen) < 0)
		return -1;
	memcpy(out->p, &h, sizeof(h));
	if (snappy_compress(pb->p ? pb->p : "", pb->len, out->p + sizeof(h),
			    &clen) != SNAPPY_OK) {
		errno = EINVAL;
		return -1;
	}
	out->len = sizeof(h) + clen;
	out->p[out->len] = '\0';
	return 0;
}

static int pack_request(const Prometheus__WriteRequest *wr, struct buf *pb)
{
	size_t n = prometheus__write_request__get_packed_size(wr);

	buf_reset(pb);
	if (buf_grow(pb, n + 1) < 0)
		return -1;
	pb->len = prometheus__write_request__pack(wr, (uint8_t *)pb->p);
	return 0;
}

/*
 * As Prometheus' queue manager does, each sample becomes a TimeSeries of
 * its own; labels come sorted from the label set.
 */
int rw_batch_encode(struct rw_batch *b, struct buf *out)
{
	Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
	size_t i;
	int ret;

	if (b->n > b->pcap) {
		size_t c = b->pcap;

		if (grow_all(b->n, &c, 4, (void **)&b->pts, sizeof(*b->pts),
			     (void **)&b->ppts, sizeof(*b->ppts),
			     (void **)&b->psm, sizeof(*b->psm),
			     (void **)&b->ppsm, sizeof(*b->ppsm)) < 0)
			return -1;
		b->pcap = c;
	}
	if (b->nlabs > b->plcap) {
		size_t c = b->plcap;

		if (grow_all(b->nlabs, &c, 2, (void **)&b->plb,
			     sizeof(*b->plb), (void **)&b->pplb,
			     sizeof(*b->pplb)) < 0)
			return -1;
		b->plcap = c;
	}
	for (i = 0; i < b->nlabs; i++) {
		static const Prometheus__Label init = PROMETHEUS__LABEL__INIT;
		Prometheus__Label *l = &b->plb[i];

		*l = init;
		l->name = b->arena.p + b->labs[i].name;
		l->value = b->arena.p + b->labs[i].value;
		b->pplb[i] = l;
	}
	for (i = 0; i < b->n; i++) {
		static const Prometheus__TimeSeries tinit =
			PROMETHEUS__TIME_SERIES__INIT;
		static const Prometheus__Sample sinit = PROMETHEUS__SAMPLE__INIT;
		Prometheus__TimeSeries *t = &b->pts[i];
		Prometheus__Sample *s = &b->psm[i];

		*t = tinit;
		*s = sinit;
		s->value = b->s[i].value;
		s->timestamp = b->s[i].ts;
		b->ppsm[i] = s;
		t->n_samples = 1;
		t->samples = &b->ppsm[i];
		t->n_labels = b->s[i].nlab;
		t->labels = &b->pplb[b->s[i].lab];
		b->ppts[i] = t;
	}
	wr.n_timeseries = b->n;
	wr.timeseries = b->ppts;
	ret = pack_request(&wr, &b->pb);
	if (ret == 0)
		ret = compress_record(&b->pb, RWREC_SAMPLES, (uint32_t)b->n,
				      b->min_ts, out);
	b->n = 0;
	b->nlabs = 0;
	b->min_ts = 0;
	b->first_mono = 0;
	buf_reset(&b->arena);
	/* Keep the capacity for the next batch, but not a huge one-off. */
	if (b->pb.cap > (8u << 20))
		buf_free(&b->pb);
	return ret;
}

int rw_meta_encode(Prometheus__MetricMetadata **m, size_t n, struct buf *out)
{
	Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
	struct buf pb = BUF_INIT(0);
	int ret;

	wr.n_metadata = n;
	wr.metadata = m;
	ret = pack_request(&wr, &pb);
	if (ret == 0)
		ret = compress_record(&pb, RWREC_META, (uint32_t)n, 0, out);
	buf_free(&pb);
	return ret;
}

long rw_record_filter_old(struct buf *rec, int64_t cutoff, uint64_t *dropped,
			  struct buf *tmp)
{
	struct rwrec_hdr h;
	Prometheus__WriteRequest *wr;
	size_t ulen, i, j, kept_ts = 0;
	long kept = 0;
	int64_t min_ts = 0;
	int ret;

	*dropped = 0;
	if (rec->len < sizeof(h))
		return -1;
	memcpy(&h, rec->p, sizeof(h));
	if (snappy_uncompressed_length(rec->p + sizeof(h), rec->len - sizeof(h),
				       &ulen) != SNAPPY_OK ||
	    ulen > (256u << 20))
		return -1;
	buf_reset(tmp);
	if (buf_grow(tmp, ulen + 1) < 0)
		return -1;
	if (snappy_uncompress(rec->p + sizeof(h), rec->len - sizeof(h), tmp->p,
			      &ulen) != SNAPPY_OK)
		return -1;
	tmp->len = ulen;
	wr = prometheus__write_request__unpack(NULL, ulen,
					       (const uint8_t *)tmp->p);
	if (!wr)
		return -1;
	for (i = 0; i < wr->n_timeseries; i++) {
		Prometheus__TimeSeries *t = wr->timeseries[i];
		size_t k = 0;

		/* kept samples move to the front, in order; the dropped
		 * ones stay in the array so free_unpacked frees them */
		for (j = 0; j < t->n_samples; j++) {
			Prometheus__Sample *x = t->samples[j];

			if (x->timestamp < cutoff) {
				(*dropped)++;
				continue;
			}
			t->samples[j] = t->samples[k];
			t->samples[k++] = x;
			if (!kept || x->timestamp < min_ts)
				min_ts = x->timestamp;
			kept++;
		}
	}
	if (*dropped == 0) {
		prometheus__write_request__free_unpacked(wr, NULL);
		return kept;
	}
	{
		Prometheus__WriteRequest out = PROMETHEUS__WRITE_REQUEST__INIT;
		Prometheus__TimeSeries **keep;
		Prometheus__TimeSeries *copies;

		keep = calloc(wr->n_timeseries + 1, sizeof(*keep));
		copies = calloc(wr->n_timeseries + 1, sizeof(*copies));
		if (!keep || !copies) {
			free(keep);
			free(copies);
			prometheus__write_request__free_unpacked(wr, NULL);
			return -1;
		}
		for (i = 0; i < wr->n_timeseries; i++) {
			Prometheus__TimeSeries *t = wr->timeseries[i];
			size_t k = 0;

			for (j = 0; j < t->n_samples; j++)
				if (t->samples[j]->timestamp >= cutoff)
					k++;
			if (!k)
				continue;
			copies[kept_ts] = *t;
			copies[kept_ts].n_samples = k;
			keep[kept_ts] = &copies[kept_ts];
			kept_ts++;
		}
		out.n_timeseries = kept_ts;
		out.timeseries = keep;
		out.n_metadata = wr->n_metadata;
		out.metadata = wr->metadata;
		ret = 0;
		if (kept) {
			struct buf pb = BUF_INIT(0);

			ret = pack_request(&out, &pb);
			if (ret == 0)
				ret = compress_record(&pb, h.kind,
						      (uint32_t)kept, min_ts,
						      rec);
			buf_free(&pb);
		}
		free(keep);
		free(copies);
	}
	prometheus__write_request__free_unpacked(wr, NULL);
	return ret < 0 ? -1 : kept;
}
