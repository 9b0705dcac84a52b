/* sender.c: per-shard queues and the sender threads that empty them. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "obs.h"
#include "queue.h"
#include "rwsend.h"
#include "banned.h"

volatile int rw_abort;
/* A record buffer larger than this is freed when its sender waits. */
#define REC_KEEP (16u << 10)

/* log_limited keeps its counts in the limit: one sender at a time */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int draining;
static atomic_int running;

static const char *const rw_headers[] = {
	"Content-Encoding: snappy",
	"Content-Type: application/x-protobuf",
	"X-Prometheus-Remote-Write-Version: 0.1.0",
};

enum { SEND_OK, SEND_DROP, SEND_RETRY };

static int mkdir_p(const char *path)
{
	struct buf b = BUF_INIT(4096);
	char *p;
	int ret = 0;

	if (buf_addstr(&b, path) < 0)
		return -1;
	for (p = b.p + 1; ret == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		int end = *p == '\0';

		*p = '\0';
		if (mkdir(b.p, 0700) < 0 && errno != EEXIST)
			ret = -1;
		if (end)
			break;
		*p = '/';
	}
	buf_free(&b);
	return ret;
}

static int64_t sync_interval_ms;

static struct queue *open_disk(const char *base, const char *leaf,
			       const struct queue_opts *o)
{
	struct buf path = BUF_INIT(4096);
	struct queue *q = NULL;

	if (buf_addf(&path, "%s/%s", base, leaf) == 0)
		q = queue_open(buf_cstr(&path), o);
	if (q)
		queue_set_sync_interval(q, sync_interval_ms);
	buf_free(&path);
	return q;
}

/* Shard directories of an earlier run with more shards: drained first. */
static int open_legacy(struct rw_endpoint *ep, const char *base,
		       const struct queue_opts *o)
{
	DIR *d = opendir(base);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		unsigned long m;
		char *end;
		struct queue *q, **v;
		struct rw_shard *sh;
		struct queue_stats st;

		if (strncmp(de->d_name, "shard-", 6) != 0)
			continue;
		errno = 0;
		m = strtoul(de->d_name + 6, &end, 10);
		if (errno || *end || end == de->d_name + 6 || m < ep->nshards)
			continue;
		q = open_disk(base, de->d_name, o);
		if (!q) {
			ret = -1;
			break;
		}
		queue_stats(q, &st);
		if (!st.records) {
			queue_close(q);
			continue;
		}
		sh = &ep->shards[m % ep->nshards];
		v = realloc(sh->legacy, (sh->nlegacy + 1) * sizeof(*v));
		if (!v) {
			queue_close(q);
			ret = -1;
			break;
		}
		sh->legacy = v;
		sh->legacy[sh->nlegacy++] = q;
		atomic_fetch_add(&ep->legacy_left, 1);
		log_debug("endpoint '%s': draining %s/%s first", ep->name,
			  base, de->d_name);
	}
	closedir(d);
	return ret;
}

int rw_shards_open(struct rw_endpoint *ep, const struct rw_global *g)
{
	struct queue_opts mo, dop;
	struct buf base = BUF_INIT(4096);
	size_t i;
	int ret = -1;

	ep->nshards = (size_t)ep->qc.max_shards;
	ep->shards = calloc(ep->nshards, sizeof(*ep->shards));
	if (!ep->shards)
		return -1;
	sync_interval_ms = g->sync_interval_ms;
	memset(&mo, 0, sizeof(mo));
	mo.max_bytes = g->queue_max_bytes / ep->nshards;
	mo.max_age_ms = g->queue_max_age_ms;
	mo.segment_bytes = 8u << 20;
	mo.sync = g->sync;
	dop = mo;
	if (g->queue_dir) {
		if (buf_addf(&base, "%s/%s", g->queue_dir, ep->qname) < 0 ||
		    mkdir_p(buf_cstr(&base)) < 0) {
			log_errno("cannot create queue directory '%s'",
				  buf_cstr(&base));
			goto out;
		}
	}
	for (i = 0; i < ep->nshards; i++) {
		struct rw_shard *sh = &ep->shards[i];
		char leaf[32];

		sh->ep = ep;
		sh->idx = (int)i;
		pthread_mutex_init(&sh->mu, NULL);
		{
			pthread_condattr_t ca;

			pthread_condattr_init(&ca);
			pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
			pthread_cond_init(&sh->cv, &ca);
			pthread_condattr_destroy(&ca);
		}
		rw_batch_init(&sh->batch);
		buf_init(&sh->rec, 0);
		buf_init(&sh->tmp, 0);
		snprintf(leaf, sizeof(leaf), "shard-%zu", i);
		if (g->queue_dir && !g->spool_on_failure) {
			sh->q = open_disk(buf_cstr(&base), leaf, &dop);
		} else {
			sh->q_mem = 1;
			sh->q = queue_open(NULL, &mo);
			if (sh->q && g->queue_dir)
				sh->spool = open_disk(buf_cstr(&base), leaf,
						      &dop);
			if (g->queue_dir && !sh->spool)
				goto out;
		}
		if (!sh->q)
			goto out;
		ep->http.cancel = &rw_abort;
		sh->http = http_client_new(&ep->http);
		if (!sh->http)
			goto out;
	}
	if (g->queue_dir && open_legacy(ep, buf_cstr(&base), &dop) < 0)
		goto out;
	ret = 0;
out:
	buf_free(&base);
	return ret;
}

int rw_shard_push(struct rw_shard *sh, const void *rec, size_t len,
		  int64_t now_ms)
{
	struct queue *q;
	struct queue_stats st;
	int ret;

	pthread_mutex_lock(&sh->mu);
	q = sh->q;
	if (sh->spool) {
		queue_stats(sh->spool, &st);
		if (sh->failing || st.records)
			q = sh->spool;
	}
	ret = queue_push(q, rec, len, now_ms);
	pthread_cond_signal(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
	if (ret < 0) {
		log_errno("endpoint '%s': cannot queue a batch", sh->ep->name);
		atomic_fetch_add(&sh->ep->st.push_errors, 1);
		return -1;
	}
	atomic_fetch_add(&sh->ep->st.batches_queued, 1);
	return 0;
}

void rw_shards_sync(struct rw_endpoint *ep, int force)
{
	static struct log_limit lim = LOG_LIMIT_INIT;
	size_t i;

	for (i = 0; i < ep->nshards; i++) {
		struct rw_shard *sh = &ep->shards[i];
		int r, err;

		pthread_mutex_lock(&sh->mu);
		r = queue_sync(sh->q, force);
		if (r == 0 && sh->spool)
			r = queue_sync(sh->spool, force);
		err = errno;
		pthread_mutex_unlock(&sh->mu);
		if (r < 0) {
			pthread_mutex_lock(&log_mu);
			log_limited(&lim, "endpoint '%s': cannot sync the "
				    "queue: %s", ep->name, strerror(err));
			pthread_mutex_unlock(&log_mu);
		}
	}
}

/* Moves the memory queue into the spool, oldest first (caller locks). */
static void spool_memory(struct rw_shard *sh)
{
	int64_t ts;

	while (queue_peek(sh->q, &sh->tmp, &ts) == 1) {
		if (queue_push(sh->spool, sh->tmp.p, sh->tmp.len, ts) < 0) {
			log_errno("endpoint '%s': cannot spool to disk",
				  sh->ep->name);
			return;
		}
		queue_ack(sh->q);
	}
}

static void wait_ms(struct rw_shard *sh, int64_t ms)
{
	int64_t until = clock_mono_ms() + ms;
	struct timespec ts;

	pthread_mutex_lock(&sh->mu);
	while (!rw_abort && clock_mono_ms() < until) {
		int64_t now = clock_mono_ms(), t;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = until - now;
		if (t > 500)
			t = 500;
		ts.tv_sec += t / 1000;
		ts.tv_nsec += (long)(t % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sh->cv, &sh->mu, &ts);
	}
	pthread_mutex_unlock(&sh->mu);
}

/*
 * A receiver's reason for refusing samples it has already: Prometheus'
 * "out of order sample", "duplicate sample for timestamp" and "out of
 * bounds" (too old), Mimir's wordings of the same.
 */
static int refused_as_had(const char *why)
{
	static const char *const had[] = {
		"out of order", "out-of-order", "duplicate sample",
		"out of bounds", "too old",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(had); i++)
		if (strcasestr(why, had[i]))
			return 1;
	return 0;
}

/* resent: the record a run killed while delivering it may have had
 * delivered (queue_head_from_open()). */
static int deliver(struct rw_shard *sh, int resent, int64_t *retry_after)
{
	static atomic_int told;
	static struct log_limit lim_retry = LOG_LIMIT_INIT;
	static struct log_limit lim_drop = LOG_LIMIT_INIT;
	struct rw_endpoint *ep = sh->ep;
	struct http_response r;
	struct rwrec_hdr h;
	const char *what;
	char why[512];
	int meta, ret;

	*retry_after = -1;
	if (sh->rec.len < sizeof(h)) {
		log_error("endpoint '%s': corrupt queue record skipped",
			  ep->name);
		atomic_fetch_add(&ep->st.corrupt_records, 1);
		return SEND_DROP;
	}
	memcpy(&h, sh->rec.p, sizeof(h));
	if (h.magic != RWREC_MAGIC ||
	    (h.kind != RWREC_SAMPLES && h.kind != RWREC_META)) {
		log_error("endpoint '%s': corrupt queue record skipped",
			  ep->name);
		atomic_fetch_add(&ep->st.corrupt_records, 1);
		return SEND_DROP;
	}
	meta = h.kind == RWREC_META;
	what = meta ? "metadata entries" : "samples";
	if (!meta && ep->qc.sample_age_limit_ms > 0 &&
	    h.min_ts < clock_ms() - ep->qc.sample_age_limit_ms) {
		uint64_t dropped = 0;
		long kept = rw_record_filter_old(
			&sh->rec, clock_ms() - ep->qc.sample_age_limit_ms,
			&dropped, &sh->tmp);

		if (kept < 0) {
			log_error("endpoint '%s': corrupt queue record skipped",
				  ep->name);
			atomic_fetch_add(&ep->st.corrupt_records, 1);
			return SEND_DROP;
		}
		atomic_fetch_add(&ep->st.samples_too_old, dropped);
		if (kept == 0)
			return SEND_DROP;
		memcpy(&h, sh->rec.p, sizeof(h));
	}

	http_response_init(&r);
	ret = http_request(sh->http, "POST", ep->url, rw_headers,
			   ARRAY_SIZE(rw_headers), sh->rec.p + sizeof(h),
			   sh->rec.len - sizeof(h), &r);
	atomic_fetch_add(&ep->st.requests, 1);
	atomic_fetch_add(&ep->st.latency_ms_sum, (uint64_t)r.elapsed_ms);
	if (ret < 0) {
		pthread_mutex_lock(&log_mu);
		if (!rw_abort)
			log_limited(&lim_retry,
				    "warning: endpoint '%s': cannot send %u %s "
				    "to '%s': %s; retrying",
				    ep->name, h.count, what, ep->url, r.error);
		pthread_mutex_unlock(&log_mu);
		ret = SEND_RETRY;
	} else if (r.status >= 200 && r.status <= 299) {
		atomic_fetch_add(meta ? &ep->st.meta_sent : &ep->st.samples_sent,
				 h.count);
		atomic_fetch_add(&ep->st.batches_sent, 1);
		atomic_fetch_add(&ep->st.bytes_sent, sh->rec.len - sizeof(h));
		ret = SEND_OK;
	} else if (http_status_retryable(r.status, ep->qc.retry_on_429)) {
		http_response_reason(&r, why, sizeof(why));
		pthread_mutex_lock(&log_mu);
		log_limited(&lim_retry,
			    "warning: endpoint '%s': receiver answered HTTP "
			    "%ld to %u %s: %s; retrying",
			    ep->name, r.status, h.count, what, why);
		pthread_mutex_unlock(&log_mu);
		*retry_after = r.retry_after_ms;
		ret = SEND_RETRY;
	} else if (resent && !meta && r.status == 400 &&
		   (http_response_reason(&r, why, sizeof(why)),
		    refused_as_had(why))) {
		/* a duplicate of its delivery before the crash, not a loss */
		if (atomic_exchange(&told, 1) == 0) {
			pthread_mutex_lock(&log_mu);
			log_error("endpoint '%s': %u samples sent again after a "
				  "restart were refused as the receiver has "
				  "them (%s); not a failure",
				  ep->name, h.count, why);
			pthread_mutex_unlock(&log_mu);
		}
		atomic_fetch_add(&ep->st.samples_resent_refused, h.count);
		ret = SEND_DROP;
	} else {
		http_response_reason(&r, why, sizeof(why));
		pthread_mutex_lock(&log_mu);
		log_limited(&lim_drop,
			    "endpoint '%s': receiver rejected %u %s with HTTP "
			    "%ld: %s; batch dropped",
			    ep->name, h.count, what, r.status, why);
		pthread_mutex_unlock(&log_mu);
		atomic_fetch_add(meta ? &ep->st.meta_failed
				      : &ep->st.samples_failed,
				 h.count);
		atomic_fetch_add(&ep->st.batches_failed, 1);
		ret = SEND_DROP;
	}
	if (ret == SEND_RETRY) {
		atomic_fetch_add(&ep->st.requests_failed, 1);
		if (!meta)
			atomic_fetch_add(&ep->st.samples_retried, h.count);
	}
	http_response_free(&r);
	return ret;
}

/* The queue to send from next, or NULL; caller locks.  Legacy shard
 * directories go first, and no shard sends live data before all of them
 * are empty, so a series never overtakes its own backlog. */
static struct queue *next_source(struct rw_shard *sh, int64_t *ts, int *wait)
{
	struct rw_endpoint *ep = sh->ep;
	int r;

	*wait = 0;
	while (sh->nlegacy) {
		r = queue_peek(sh->legacy[0], &sh->rec, ts);
		if (r == 1)
			return sh->legacy[0];
		if (r < 0)
			return NULL;
		queue_close(sh->legacy[0]);
		memmove(sh->legacy, sh->legacy + 1,
			--sh->nlegacy * sizeof(*sh->legacy));
		atomic_fetch_sub(&ep->legacy_left, 1);
	}
	if (atomic_load(&ep->legacy_left) > 0) {
		*wait = 1;
		return NULL;
	}
	if (sh->spool) {
		r = queue_peek(sh->spool, &sh->rec, ts);
		if (r == 1)
			return sh->spool;
		if (r < 0)
			return NULL;
	}
	r = queue_peek(sh->q, &sh->rec, ts);
	return r == 1 ? sh->q : NULL;
}

static void *sender_main(void *arg)
{
	struct rw_shard *sh = arg;
	struct rw_endpoint *ep = sh->ep;
	int64_t backoff = ep->qc.min_backoff_ms;
	int unsaved = 0;	/* acks since the head files were written */

	for (;;) {
		struct queue *src = NULL;
		struct queue_stats st;
		int64_t ts, retry_after;
		int wait, res, resent = 0, timedout = 0;

		pthread_mutex_lock(&sh->mu);
		for (;;) {
			struct timespec t;

			if (rw_abort)
				break;
			src = next_source(sh, &ts, &wait);
			if (src) {
				resent = queue_head_from_open(src);
				break;
			}
			if (!wait && atomic_load(&draining))
				break;
			/* Idle for a whole wait: record what was acknowledged
			 * now, so a crash while quiet sends nothing twice. */
			if (unsaved && timedout) {
				size_t k;

				queue_flush(sh->q);
				if (sh->spool)
					queue_flush(sh->spool);
				for (k = 0; k < sh->nlegacy; k++)
					queue_flush(sh->legacy[k]);
				unsaved = 0;
			}
			/* idle for a whole wait, a shard holds no record: the
			 * pages of one, mapped apart (see main), go back (not
			 * between batches that come fast: page faults) */
			if (timedout && sh->rec.cap > REC_KEEP)
				buf_free(&sh->rec);
			if (timedout && sh->tmp.cap > REC_KEEP)
				buf_free(&sh->tmp);
			/* a push, the drain and the abort all signal cv:
			 * the timeout is for the idle head save, and a
			 * slow look at the legacy queues of other shards */
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (unsaved) {
				t.tv_nsec += 200000000L;
				if (t.tv_nsec >= 1000000000L) {
					t.tv_sec++;
					t.tv_nsec -= 1000000000L;
				}
			} else {
				t.tv_sec++;
			}
			timedout = pthread_cond_timedwait(&sh->cv, &sh->mu,
							  &t) == ETIMEDOUT;
		}
		pthread_mutex_unlock(&sh->mu);
		if (!src)
			break;

		res = deliver(sh, resent, &retry_after);
		pthread_mutex_lock(&sh->mu);
		if (res != SEND_RETRY) {
			queue_ack(src);
			unsaved = 1;
			if (res == SEND_OK) {
				backoff = ep->qc.min_backoff_ms;
				if (sh->failing && sh->spool) {
					queue_stats(sh->spool, &st);
					if (!st.records)
						sh->failing = 0;
				}
			}
		} else if (sh->spool && !sh->failing) {
			sh->failing = 1;
			spool_memory(sh);
		}
		pthread_mutex_unlock(&sh->mu);
		if (res == SEND_RETRY && !rw_abort) {
			wait_ms(sh, retry_after >= 0 ? retry_after : backoff);
			backoff *= 2;
			if (backoff > ep->qc.max_backoff_ms)
				backoff = ep->qc.max_backoff_ms;
		}
	}
	atomic_fetch_sub(&running, 1);
	return NULL;
}

int rw_shards_start(struct rw_endpoint *ep)
{
	size_t i;
	int e;

	for (i = 0; i < ep->nshards; i++) {
		struct rw_shard *sh = &ep->shards[i];

		atomic_fetch_add(&running, 1);
		e = pthread_create(&sh->thr, NULL, sender_main, sh);
		if (e) {
			atomic_fetch_sub(&running, 1);
			errno = e;
			log_errno("cannot start a sender thread");
			return -1;
		}
		sh->started = 1;
		/* so top -H and perf tell senders from the reader */
		pthread_setname_np(sh->thr, "rwsend-sender");
	}
	return 0;
}

void rw_senders_drain(void)
{
	atomic_store(&draining, 1);
}

static void wake_all(struct rw_endpoint *eps, size_t nep)
{
	size_t e, i;

	for (e = 0; e < nep; e++)
		for (i = 0; i < eps[e].nshards; i++) {
			pthread_mutex_lock(&eps[e].shards[i].mu);
			pthread_cond_broadcast(&eps[e].shards[i].cv);
			pthread_mutex_unlock(&eps[e].shards[i].mu);
		}
}

int rw_senders_join(struct rw_endpoint *eps, size_t nep, int64_t deadline)
{
	size_t e, i;
	int late = 0;

	wake_all(eps, nep);
	while (atomic_load(&running) > 0) {
		if (clock_mono_ms() >= deadline || rw_abort) {
			late = 1;
			rw_abort = 1;
			wake_all(eps, nep);
			break;
		}
		clock_sleep_ms(20);
	}
	for (e = 0; e < nep; e++)
		for (i = 0; i < eps[e].nshards; i++)
			if (eps[e].shards[i].started) {
				pthread_join(eps[e].shards[i].thr, NULL);
				eps[e].shards[i].started = 0;
			}
	return late;
}

uint64_t rw_shards_close(struct rw_endpoint *ep)
{
	uint64_t left = 0;
	size_t i, j;

	if (!ep->shards)
		return 0;
	for (i = 0; i < ep->nshards; i++) {
		struct rw_shard *sh = &ep->shards[i];
		struct queue_stats st;

		if (sh->spool && sh->q)
			spool_memory(sh);
		if (sh->q) {
			/* a disk queue keeps its records for the next run;
			 * what is left in memory is lost */
			queue_stats(sh->q, &st);
			if (sh->q_mem)
				left += st.records;
			queue_close(sh->q);
		}
		if (sh->spool)
			queue_close(sh->spool);
		for (j = 0; j < sh->nlegacy; j++)
			queue_close(sh->legacy[j]);
		free(sh->legacy);
		rw_batch_free(&sh->batch);
		http_client_free(sh->http);
		buf_free(&sh->rec);
		buf_free(&sh->tmp);
		pthread_mutex_destroy(&sh->mu);
		pthread_cond_destroy(&sh->cv);
	}
	free(ep->shards);
	ep->shards = NULL;
	return left;
}

void rw_shard_qstats(struct rw_endpoint *ep, struct queue_stats *sum)
{
	size_t i, j;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < ep->nshards; i++) {
		struct rw_shard *sh = &ep->shards[i];
		struct queue *qs[3];
		size_t n = 0, k;
		struct queue_stats st;

		pthread_mutex_lock(&sh->mu);
		qs[n++] = sh->q;
		if (sh->spool)
			qs[n++] = sh->spool;
		for (k = 0; k < n; k++) {
			queue_stats(qs[k], &st);
			sum->records += st.records;
			sum->bytes += st.bytes;
			sum->segments += st.segments;
			if (st.oldest_ms &&
			    (!sum->oldest_ms || st.oldest_ms < sum->oldest_ms))
				sum->oldest_ms = st.oldest_ms;
			sum->dropped_records += st.dropped_records;
			sum->dropped_bytes += st.dropped_bytes;
			sum->corrupt_records += st.corrupt_records;
		}
		for (j = 0; j < sh->nlegacy; j++) {
			queue_stats(sh->legacy[j], &st);
			sum->records += st.records;
			sum->bytes += st.bytes;
			sum->segments += st.segments;
			if (st.oldest_ms &&
			    (!sum->oldest_ms || st.oldest_ms < sum->oldest_ms))
				sum->oldest_ms = st.oldest_ms;
		}
		pthread_mutex_unlock(&sh->mu);
	}
}
