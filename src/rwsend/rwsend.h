/* rwsend.h: what the parts of rwsend share: endpoints, batches, shards. */
#ifndef RWSEND_H
#define RWSEND_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "httpconf.h"
#include "labels.h"
#include "queue.h"
#include "record.h"
#include "relabel.h"
#include "yconf.h"

#include "pack.pb-c.h"
#include "remote.pb-c.h"

#define RW_MAX_SHARDS 64
#define RW_META_MAX 10000	/* metric families remembered for metadata */
#define RW_BATCH_MAX (16u << 20)	/* packed bytes in one batch */

/* Every queued record starts with this header (little-endian host order:
 * the queue never leaves the machine). */
enum { RWREC_SAMPLES = 1, RWREC_META = 2 };
struct rwrec_hdr {
	uint8_t magic;		/* 'R' */
	uint8_t kind;		/* RWREC_* */
	uint16_t pad;
	uint32_t count;		/* samples or metadata entries */
	int64_t min_ts;		/* oldest sample timestamp, ms */
};
#define RWREC_MAGIC 'R'

struct rw_queue_config {
	long capacity, max_shards, min_shards, max_samples_per_send;
	int64_t batch_send_deadline_ms, min_backoff_ms, max_backoff_ms;
	int64_t sample_age_limit_ms;
	int retry_on_429;
};

struct rw_stats {
	/* samples_in is the reader's alone; the senders' counters are at
	 * least a cache line away, so counting a sample does not contend
	 * (padding, not _Alignas: endpoints come from calloc) */
	atomic_uint_fast64_t samples_in;
	char pad_[64 - sizeof(atomic_uint_fast64_t)];
	atomic_uint_fast64_t samples_sent, samples_retried;
	atomic_uint_fast64_t samples_failed, samples_dropped;
	atomic_uint_fast64_t samples_resent_refused;	/* see deliver() */
	atomic_uint_fast64_t samples_too_old, samples_relabel_dropped;
	atomic_uint_fast64_t meta_sent, meta_failed;
	atomic_uint_fast64_t batches_queued, batches_sent, batches_failed;
	atomic_uint_fast64_t bytes_sent, requests, requests_failed;
	atomic_uint_fast64_t latency_ms_sum;
	atomic_uint_fast64_t push_errors, corrupt_records;
};

/* A pending batch: built by the reader thread only. */
struct rw_batch {
	size_t n;		/* samples */
	struct buf pb;		/* their WriteRequest, packed, from byte zin */
	struct buf z;		/* its first zin bytes, snappy-compressed */
	size_t zin;
	int64_t first_mono;	/* when the first sample came */
	int64_t jpos;		/* journal offset of its first sample's line */
	int64_t jlast;		/* ... and of its last sample's line */
	int64_t queued_to;	/* input offset (from the first byte ever
				 * journaled) below which this shard's
				 * samples are all queued */
	int64_t pend_to;	/* queued_to once the push in hand lands */
	uint64_t pend_seg;	/* queue_tail() before that push */
	int64_t pend_end;
	int64_t min_ts;
};

/* A label set as packed Labels (see pack.proto), and a hash of it. */
struct rw_packed {
	ProtobufCBinaryData *lab;
	size_t n, cap;
	uint32_t hash;
	struct buf scratch;	/* the Labels of a set too big to keep */
};

/* A series as the cache keeps it (series.c). */
struct rw_series {
	const unsigned char *lab;	/* the labels part of its TimeSeries */
	size_t llen;
	uint32_t hash;			/* its shard hash (rw_packed's) */
	int dropped;			/* write_relabel_configs drop it */
};
struct rw_scache;

struct rw_endpoint;

struct rw_shard {
	struct rw_endpoint *ep;
	int idx;
	pthread_t thr;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct queue *q;	/* memory, or disk with --spool always */
	int q_mem;
	struct queue *spool;	/* disk, with --spool on-failure */
	int failing;		/* on-failure: receiver failing, spool */
	struct queue **legacy;	/* old shard dirs to drain first */
	size_t nlegacy;
	struct rw_batch batch;
	struct http_client *http;
	struct buf rec, tmp;	/* sender scratch */
};

struct rw_endpoint {
	const char *name;	/* config name, or "url-HASH" */
	char *qname;		/* directory name under the queue dir */
	const char *url;
	struct http_opts http;
	const char **headers;
	size_t nheaders;
	struct httpconf hc;	/* what the config's HTTP block made */
	int64_t remote_timeout_ms;
	struct rw_queue_config qc;
	int meta_send;
	int64_t meta_interval_ms;
	long meta_max_per_send;
	struct relabel_rules relabel;
	int has_relabel;
	struct labels scratch;
	/* runtime */
	struct rw_scache *sc;	/* NULL: no cache (out of memory) */
	struct rw_shard *shards;
	size_t nshards;
	atomic_int legacy_left;	/* legacy queues not yet drained */
	struct rw_stats st;
	int64_t meta_last_mono;
	struct buf hdrbuf;
};

struct rw_config {
	struct rw_endpoint *ep;
	size_t nep;
	struct ynode *yroot;	/* kept: endpoints point into it */
	const char *file;
};

/* Global settings from the command line. */
struct rw_global {
	const char *queue_dir;
	uint64_t queue_max_bytes;
	int64_t queue_max_age_ms;
	int spool_on_failure;
	int64_t drain_timeout_ms;
	const char *stats_file;
	int64_t stats_interval_ms;
	int sync;
	int64_t sync_interval_ms;	/* group commit, see queue_sync() */
};

/* config.c */
void rw_endpoint_defaults(struct rw_endpoint *ep);
/* Fills in the user agent, header defaults and queue directory name. */
int rw_endpoint_finish(struct rw_endpoint *ep);
/* "Name: value" for an extra header; -1 (reported) on a reserved name. */
int rw_header_ok(const char *name, size_t len);
int rw_config_load(struct rw_config *cfg, const char *path);
void rw_config_free(struct rw_config *cfg);

/* batch.c */
void rw_batch_init(struct rw_batch *b);
void rw_batch_free(struct rw_batch *b);
/* Frees the packed labels kept for all batches (at exit). */
void rw_batch_cache_free(void);
/* Packs the labels of ls, valid until the next call. */
int rw_labels_pack(struct rw_packed *pk, const struct labels *ls);
void rw_packed_free(struct rw_packed *pk);
int rw_batch_add(struct rw_batch *b, const struct rw_packed *pk, double v,
		 int64_t ts);
/* The labels part of the TimeSeries of pk: its size, and the bytes
 * (protobuf-c packs a PackedTimeSeries with the labels and no sample). */
size_t rw_labels_blob_size(const struct rw_packed *pk);
/* Writes v as a protobuf varint (at most 10 bytes) at p; returns its size. */
size_t rw_varint_put(uint8_t *p, uint64_t v);
size_t rw_labels_blob(const struct rw_packed *pk, uint8_t *out);
/* rw_batch_add for a series kept as its labels part. */
int rw_batch_add_series(struct rw_batch *b, const struct rw_series *s,
			double v, int64_t ts);
/* Encodes the batch as a queue record (header + snappy(WriteRequest))
 * into out and empties the batch. */
int rw_batch_encode(struct rw_batch *b, struct buf *out);
/* Metadata-only WriteRequest record. */
int rw_meta_encode(Prometheus__MetricMetadata **m, size_t n, struct buf *out);
/* Drops samples older than cutoff from a record; fills *dropped; returns
 * the samples kept (0: nothing left), -1 on a corrupt record. */
long rw_record_filter_old(struct buf *rec, int64_t cutoff, uint64_t *dropped,
			  struct buf *tmp);

/* series.c */
struct rw_scache *rw_scache_new(void);
void rw_scache_free(struct rw_scache *c);
/* 1 with *out (valid until the next get or put) if key is kept, else 0. */
int rw_scache_get(struct rw_scache *c, const char *key, size_t klen,
		  struct rw_series *out);
/* Keeps key's packed labels, or that relabeling drops it; -1 if too big. */
int rw_scache_put(struct rw_scache *c, const char *key, size_t klen,
		  const struct rw_packed *pk, int dropped);

/* meta.c */
int rw_meta_note(const struct record *rec);
int rw_meta_dirty(void);
size_t rw_meta_count(void);
/* Pushes all metadata to each endpoint that sends it (to shard 0). */
int rw_meta_flush(struct rw_endpoint *eps, size_t nep, int64_t now_mono,
		  int force);
void rw_meta_free(void);
unsigned long rw_meta_overflow(void);

/* sender.c */
extern volatile int rw_abort;	/* drain timeout passed: stop now */
int rw_shards_open(struct rw_endpoint *ep, const struct rw_global *g);
int rw_shards_start(struct rw_endpoint *ep);
/* Queues one encoded record on a shard; wakes its sender. */
int rw_shard_push(struct rw_shard *sh, const void *rec, size_t len,
		  int64_t now_ms);
/* Syncs the disk queues whose group-commit interval passed, or (force)
 * every disk queue with unsynced batches. */
void rw_shards_sync(struct rw_endpoint *ep, int force);
void rw_senders_drain(void);
/* Waits for every sender; returns 1 when the deadline passed first. */
int rw_senders_join(struct rw_endpoint *eps, size_t nep, int64_t deadline);
/* Closes queues; returns the records left only in memory. */
uint64_t rw_shards_close(struct rw_endpoint *ep);
void rw_shard_qstats(struct rw_endpoint *ep, struct queue_stats *st);

#endif
