/* lokipush.h: what the parts of lokipush share: the endpoint, batches, the sender. */
#ifndef LOKIPUSH_H
#define LOKIPUSH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "httpconf.h"
#include "labels.h"
#include "queue.h"
#include "yconf.h"

/* Every queued record is this header and a packed PushRequest, not yet
 * compressed (host byte order: the queue never leaves the machine). */
struct lprec_hdr {
	uint8_t magic;		/* 'L' */
	uint8_t version;	/* 1 */
	uint16_t pad;
	uint32_t count;		/* entries */
	int64_t min_ts, max_ts;	/* ns */
};
#define LPREC_MAGIC 'L'

enum lp_format { LP_PROTOBUF, LP_JSON };

struct lp_endpoint {
	const char *url;
	const char *name;
	const char *tenant_id;
	struct http_opts http;
	struct httpconf hc;
	uint64_t batch_size;
	int64_t batch_wait_ms, remote_timeout_ms;
	int64_t min_backoff_ms, max_backoff_ms;
	long max_retries;	/* 0: retry for ever */
	int retry_on_429;
	enum lp_format format;
	int64_t max_age_ms;	/* 0: no limit */
	struct ynode *yroot;	/* -c: strings point into it */
	const char *flag_headers[32];
	size_t nflag_headers;
};

struct lp_stats {
	atomic_uint_fast64_t entries_in, bytes_in, entries_sent, bytes_sent;
	atomic_uint_fast64_t entries_failed, entries_too_old, entries_dropped;
	atomic_uint_fast64_t entries_retried;
	atomic_uint_fast64_t batches_queued, batches_sent, batches_failed;
	atomic_uint_fast64_t requests, requests_failed, latency_ms_sum;
	atomic_uint_fast64_t corrupt_records, push_errors, lines_bad;
	atomic_uint_fast64_t streams_in_batch;
};

/* config.c */
void lp_endpoint_defaults(struct lp_endpoint *ep);
int lp_config_load(struct lp_endpoint *ep, const char *path);
/* Fills in the user agent and headers; -1 on ENOMEM. */
int lp_endpoint_finish(struct lp_endpoint *ep);
void lp_endpoint_free(struct lp_endpoint *ep);
int lp_header_ok(const char *name, size_t len);

/* batch.c: the batch being built, entries grouped by stream. */
struct lp_batch;
struct lp_batch *lp_batch_new(void);
void lp_batch_free(struct lp_batch *b);
/* Adds one entry of the stream ls; -1 on ENOMEM/EMSGSIZE. */
int lp_batch_add(struct lp_batch *b, const struct labels *ls, int64_t ts,
		 const char *line, size_t len);
/*
 * The same for a stream whose labels are formatted already (as
 * labels_format(ls, 0, 1) writes them) with lp_stream_hash(); hint, if
 * not NULL, is where the stream was found last time, kept by the caller
 * (start it at SIZE_MAX).
 */
uint64_t lp_stream_hash(const char *key, size_t len);
int lp_batch_add_key(struct lp_batch *b, const char *key, size_t klen,
		     uint64_t hash, size_t *hint, int64_t ts, const char *line,
		     size_t len);
size_t lp_batch_entries(const struct lp_batch *b);
size_t lp_batch_bytes(const struct lp_batch *b);	/* line bytes */
/* Encodes header + PushRequest (streams sorted, entries of a stream in
 * time order) into out, and empties the batch. */
int lp_batch_encode(struct lp_batch *b, struct buf *out);
/* Drops the entries older than cutoff from a record in place; returns
 * the entries kept, -1 on a corrupt record. */
long lp_record_filter_old(struct buf *rec, int64_t cutoff, uint64_t *dropped);
/* The request body for a record: snappy(protobuf) or JSON. */
int lp_record_body(const struct buf *rec, enum lp_format f, struct buf *out);

/* sender.c */
extern volatile int lp_abort;
int lp_sender_open(struct lp_endpoint *ep, const char *queue_dir,
		   const struct queue_opts *qo, struct lp_stats *st);
int lp_sender_start(void);
int lp_sender_push(const void *rec, size_t len, int64_t now_ms);
void lp_sender_drain(void);
/* Waits for the sender; 1 when the deadline passed first. */
int lp_sender_join(int64_t deadline_mono);
void lp_sender_qstats(struct queue_stats *st);
/* queue_tail() of the queue. */
void lp_sender_tail(uint64_t *seg, int64_t *end);
/* Closes the queue; returns the records left only in memory. */
uint64_t lp_sender_close(void);

#endif
