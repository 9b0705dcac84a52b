/* batch.c: pending batches and their encoding as remote-write requests. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crc32c.h"
#include "labels.h"
#include "rwsend.h"
#include "snappy.h"
#include "banned.h"

void rw_batch_init(struct rw_batch *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->pb, RW_BATCH_MAX + (2u << 20));
	buf_init(&b->z, snappy_max_encoded_length(RW_BATCH_MAX +
						  (2u << 20)) + 16);
}

void rw_batch_free(struct rw_batch *b)
{
	buf_free(&b->pb);
	buf_free(&b->z);
	memset(b, 0, sizeof(*b));
}

/*
 * The packed labels kept for reuse: a direct-mapped table of label pairs,
 * each with the Label bytes protobuf-c made for it, in one fixed arena.
 * When the arena is full it is emptied whole, so memory stays bounded
 * however many label pairs the input has.  Only the reader thread uses it.
 */
#define LC_SLOTS 4096
#define LC_ARENA (256u << 10)

struct lc_slot {
	uint32_t hash, off, klen, plen;	/* key at off, packed after it */
};

static struct {
	struct lc_slot *slot;
	unsigned char *arena;
	size_t used;
} lc;

void rw_batch_cache_free(void)
{
	free(lc.slot);
	free(lc.arena);
	memset(&lc, 0, sizeof(lc));
}

static void lc_clear(void)
{
	memset(lc.slot, 0, LC_SLOTS * sizeof(*lc.slot));
	lc.used = 0;
}

/* The packed Label of one pair, made by protobuf-c on a miss.  The caller
 * made room for it (see lc_room), so the arena is not emptied under the
 * bytes of the set's other labels. */
static void lc_get(const char *n, size_t nlen, const char *v, size_t vlen,
		   uint32_t h, ProtobufCBinaryData *out)
{
	Prometheus__PackedLabel l;
	struct lc_slot *s = &lc.slot[h & (LC_SLOTS - 1)];
	unsigned char *k;

	if (s->hash == h && s->klen == nlen + 1 + vlen) {
		k = lc.arena + s->off;
		if (memcmp(k, n, nlen + 1) == 0 &&
		    memcmp(k + nlen + 1, v, vlen) == 0) {
			out->data = k + s->klen;
			out->len = s->plen;
			return;
		}
	}
	k = lc.arena + lc.used;
	memcpy(k, n, nlen + 1);
	memcpy(k + nlen + 1, v, vlen);
	prometheus__packed_label__init(&l);
	/* protobuf-c only reads them */
	l.name.data = (uint8_t *)(uintptr_t)n;
	l.name.len = nlen;
	l.value.data = (uint8_t *)(uintptr_t)v;
	l.value.len = vlen;
	s->hash = h;
	s->off = (uint32_t)lc.used;
	s->klen = (uint32_t)(nlen + 1 + vlen);
	s->plen = (uint32_t)prometheus__packed_label__pack(&l, k + s->klen);
	lc.used += s->klen + s->plen;
	out->data = k + s->klen;
	out->len = s->plen;
}

/* Room in the arena for every label of ls, missed or not: 0, or -1 when
 * the set is too big to keep (its labels are then packed uncached). */
static int lc_room(const struct labels *ls)
{
	size_t i, need = 0;

	if (!lc.slot) {
		lc.slot = calloc(LC_SLOTS, sizeof(*lc.slot));
		lc.arena = malloc(LC_ARENA);
		if (!lc.slot || !lc.arena) {
			rw_batch_cache_free();
			return -1;
		}
	}
	/* key, and a Label: two keys, two lengths of at most 5 bytes */
	for (i = 0; i < ls->n; i++)
		need += 2 * (ls->v[i].nlen + ls->v[i].vlen) + 14;
	if (need > LC_ARENA / 4)
		return -1;
	if (lc.used + need > LC_ARENA)
		lc_clear();
	return 0;
}

/* The labels of a set too big to keep, packed into the scratch. */
static int pack_uncached(struct rw_packed *pk, const struct labels *ls)
{
	size_t i, need = 0, at = 0;

	for (i = 0; i < ls->n; i++)
		need += ls->v[i].nlen + ls->v[i].vlen + 12;
	buf_reset(&pk->scratch);
	if (buf_grow(&pk->scratch, need) < 0)
		return -1;
	for (i = 0; i < ls->n; i++) {
		Prometheus__PackedLabel l = PROMETHEUS__PACKED_LABEL__INIT;
		uint8_t *p = (uint8_t *)pk->scratch.p + at;

		/* protobuf-c only reads them */
		l.name.data = (uint8_t *)(uintptr_t)labels_name(ls, i);
		l.name.len = ls->v[i].nlen;
		l.value.data = (uint8_t *)(uintptr_t)labels_value(ls, i);
		l.value.len = ls->v[i].vlen;
		pk->lab[i].data = p;
		pk->lab[i].len = prometheus__packed_label__pack(&l, p);
		at += pk->lab[i].len;
	}
	pk->hash = (uint32_t)labels_hash(ls);
	return 0;
}

int rw_labels_pack(struct rw_packed *pk, const struct labels *ls)
{
	size_t i;
	uint32_t h = 0;

	if (ls->n > pk->cap) {
		size_t c = pk->cap ? pk->cap : 16;
		ProtobufCBinaryData *l;

		while (c < ls->n)
			c *= 2;
		l = realloc(pk->lab, c * sizeof(*l));
		if (!l)
			return -1;
		pk->lab = l;
		pk->cap = c;
	}
	pk->n = ls->n;
	if (lc_room(ls) < 0)
		return pack_uncached(pk, ls);
	for (i = 0; i < ls->n; i++) {
		const char *n = labels_name(ls, i), *v = labels_value(ls, i);
		size_t nlen = ls->v[i].nlen, vlen = ls->v[i].vlen;
		/* over name, its NUL, and value; 0 marks an empty slot */
		uint32_t ph = crc32c(crc32c(0, n, nlen + 1), v, vlen) | 1;

		lc_get(n, nlen, v, vlen, ph, &pk->lab[i]);
		h = (h ^ ph) * 0x9e3779b1u;
	}
	pk->hash = h ^ (h >> 16);
	return 0;
}

void rw_packed_free(struct rw_packed *pk)
{
	free(pk->lab);
	buf_free(&pk->scratch);
	memset(pk, 0, sizeof(*pk));
}

/*
 * As Prometheus' queue manager does, each sample becomes a TimeSeries of
 * its own.  protobuf-c packs it at once, its size computed once, as one
 * element of WriteRequest's field 1 (timeseries): the key byte and the
 * length go before it, so the batch is always a whole WriteRequest and
 * nothing of a sample is kept but those bytes.  Its labels are Labels that
 * protobuf-c packed (pack.proto says how).
 */
#define WR_TIMESERIES_KEY 0x0a	/* field 1, wire type 2 (length-delimited) */

size_t rw_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/*
 * A batch is compressed as it grows, a fragment at a time, so each shard
 * holds its batch compressed and at most a fragment of it packed.  The
 * elements of fragments encoded one by one, behind the length of the
 * whole, are a block of the whole (snappy.h).  A fragment is half the
 * encoder's own: each shard's packed tail is then 32 KiB, not 64, for
 * some 4% more compressed bytes (a request's series repeat within a few
 * KiB).
 */
#define Z_FRAG (SNAPPY_FRAG / 2)

/* Appends the elements for len bytes at p to z (without the length a
 * block puts first). */
static int z_append(struct buf *z, const char *p, size_t len)
{
	if (buf_grow(z, snappy_max_encoded_length(len) + 1) < 0)
		return -1;
	z->len += snappy_encode_elements(p, len, z->p + z->len);
	z->p[z->len] = '\0';
	return 0;
}

/* Compresses the batch's whole fragments; keeps the rest packed.  Out of
 * memory it keeps more packed, which the record compresses at the end. */
static void batch_spill(struct rw_batch *b)
{
	size_t off = 0;

	while (b->pb.len - off >= Z_FRAG &&
	       z_append(&b->z, b->pb.p + off, Z_FRAG) == 0)
		off += Z_FRAG;
	if (off) {
		buf_consume(&b->pb, off);
		b->zin += off;
	}
}

int rw_batch_add(struct rw_batch *b, const struct rw_packed *pk, double v,
		 int64_t ts)
{
	Prometheus__PackedTimeSeries t = PROMETHEUS__PACKED_TIME_SERIES__INIT;
	Prometheus__Sample sm = PROMETHEUS__SAMPLE__INIT, *psm = &sm;
	size_t n, k;
	uint8_t *p;

	sm.value = v;
	sm.timestamp = ts;
	t.n_samples = 1;
	t.samples = &psm;
	t.n_labels = pk->n;
	t.labels = pk->lab;
	n = prometheus__packed_time_series__get_packed_size(&t);
	/* key, length (at most 10 bytes), series, and buf's NUL */
	if (buf_grow(&b->pb, n + 12) < 0)
		return -1;
	p = (uint8_t *)b->pb.p + b->pb.len;
	p[0] = WR_TIMESERIES_KEY;
	k = 1 + rw_varint_put(p + 1, n);
	b->pb.len += k + prometheus__packed_time_series__pack(&t, p + k);
	b->pb.p[b->pb.len] = '\0';
	if (b->n++ == 0 || ts < b->min_ts)
		b->min_ts = ts;
	if (b->pb.len >= Z_FRAG)
		batch_spill(b);
	return 0;
}

size_t rw_labels_blob_size(const struct rw_packed *pk)
{
	Prometheus__PackedTimeSeries t = PROMETHEUS__PACKED_TIME_SERIES__INIT;

	t.n_labels = pk->n;
	t.labels = pk->lab;
	return prometheus__packed_time_series__get_packed_size(&t);
}

size_t rw_labels_blob(const struct rw_packed *pk, uint8_t *out)
{
	Prometheus__PackedTimeSeries t = PROMETHEUS__PACKED_TIME_SERIES__INIT;

	t.n_labels = pk->n;
	t.labels = pk->lab;
	return prometheus__packed_time_series__pack(&t, out);
}

/*
 * Two packed messages of one type back to back are one message with the
 * fields of both, so a TimeSeries is its kept labels part followed by its
 * samples field: the key and length of field 2 around a Sample.  The
 * Sample is packed here, as protobuf-c packs it (proto3: a field equal to
 * 0 is left out, -0.0 too), since it costs less than the labels' copy:
 * the value as 8 little-endian bytes, the timestamp as a varint.
 */
#define TS_SAMPLES_KEY 0x12	/* field 2, wire type 2 (length-delimited) */
#define SAMPLE_VALUE_KEY 0x09	/* field 1, wire type 1 (64-bit) */
#define SAMPLE_TS_KEY 0x10	/* field 2, wire type 0 (varint) */
#define SAMPLE_MAX 20		/* two keys, 8 bytes, a varint of 10 */

/* A double's 8 bytes, little-endian. */
static void le64_put(uint8_t *p, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &bits, sizeof(bits));
#else
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(bits >> (8 * i));
#endif
}

static size_t sample_pack(double v, int64_t ts, uint8_t *p)
{
	size_t n = 0;

	if (v != 0) {
		p[n++] = SAMPLE_VALUE_KEY;
		le64_put(p + n, v);
		n += 8;
	}
	if (ts != 0) {
		p[n++] = SAMPLE_TS_KEY;
		n += rw_varint_put(p + n, (uint64_t)ts);
	}
	return n;
}

int rw_batch_add_series(struct rw_batch *b, const struct rw_series *s,
			double v, int64_t ts)
{
	uint8_t sample[SAMPLE_MAX];
	size_t slen = sample_pack(v, ts, sample), n, k;
	uint8_t *p;

	/* key, length, labels, samples key and length, sample, NUL */
	if (buf_grow(&b->pb, 1 + 10 + s->llen + 2 + slen + 1) < 0)
		return -1;
	p = (uint8_t *)b->pb.p + b->pb.len;
	n = s->llen + 2 + slen;
	p[0] = WR_TIMESERIES_KEY;
	k = 1 + rw_varint_put(p + 1, n);
	memcpy(p + k, s->lab, s->llen);
	p[k + s->llen] = TS_SAMPLES_KEY;
	p[k + s->llen + 1] = (uint8_t)slen;
	memcpy(p + k + s->llen + 2, sample, slen);
	b->pb.len += k + n;
	b->pb.p[b->pb.len] = '\0';
	if (b->n++ == 0 || ts < b->min_ts)
		b->min_ts = ts;
	if (b->pb.len >= Z_FRAG)
		batch_spill(b);
	return 0;
}

static int compress_record(const struct buf *pb, int kind, uint32_t count,
			   int64_t min_ts, struct buf *out)
{
	struct rwrec_hdr h;
	size_t clen = snappy_max_encoded_length(pb->len);

	memset(&h, 0, sizeof(h));
	h.magic = RWREC_MAGIC;
	h.kind = (uint8_t)kind;
	h.count = count;
	h.min_ts = min_ts;
	if (pb->len > SNAPPY_LEN_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	buf_reset(out);
	if (buf_grow(out, sizeof(h) + clen) < 0)
		return -1;
	memcpy(out->p, &h, sizeof(h));
	clen = snappy_encode(pb->p, pb->len, out->p + sizeof(h));
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

/* The record of a batch: the header, the length of the whole request,
 * the fragments compressed so far, then the rest. */
static int batch_record(struct rw_batch *b, struct buf *out)
{
	struct rwrec_hdr h;
	uint8_t len[5];
	size_t k = snappy_put_length(b->zin + b->pb.len, len);

	memset(&h, 0, sizeof(h));
	h.magic = RWREC_MAGIC;
	h.kind = RWREC_SAMPLES;
	h.count = (uint32_t)b->n;
	h.min_ts = b->min_ts;
	buf_reset(out);
	if (buf_add(out, &h, sizeof(h)) < 0 || buf_add(out, len, k) < 0 ||
	    buf_add(out, b->z.p ? b->z.p : "", b->z.len) < 0)
		return -1;
	return z_append(out, b->pb.p, b->pb.len);
}

int rw_batch_encode(struct rw_batch *b, struct buf *out)
{
	int ret;

	ret = batch_record(b, out);
	b->n = 0;
	b->min_ts = 0;
	b->first_mono = 0;
	b->zin = 0;
	buf_reset(&b->pb);
	buf_reset(&b->z);
	/* Keep the capacity for the next batch, but not a huge one-off. */
	if (b->pb.cap > (8u << 20))
		buf_free(&b->pb);
	if (b->z.cap > (8u << 20))
		buf_free(&b->z);
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
	if (snappy_decoded_length(rec->p + sizeof(h), rec->len - sizeof(h),
				  &ulen) < 0 || ulen > (256u << 20))
		return -1;
	buf_reset(tmp);
	if (buf_grow(tmp, ulen + 1) < 0)
		return -1;
	if (snappy_decode(rec->p + sizeof(h), rec->len - sizeof(h), tmp->p,
			  ulen) < 0)
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
