/* sender.c: the sender thread: queued batches to Loki, with retries and backoff. */
#include <sys/stat.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "lokipush.h"
#include "obs.h"
#include "queue.h"
#include "sig.h"
#include "banned.h"

volatile int lp_abort;

enum { SEND_OK, SEND_DROP, SEND_RETRY };

/* One endpoint, one sender, as Promtail's client: batches stay in order. */
static struct {
	struct lp_endpoint *ep;
	struct lp_stats *st;
	struct queue *q;
	int q_mem;
	struct http_client *http;
	pthread_t thr;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int draining, running;
	struct buf rec, body, hdr;
	const char *headers[3];
	size_t nheaders;
	uint64_t mem_high;	/* memory queue: the reader waits past it */
} S;

int lp_sender_open(struct lp_endpoint *ep, const char *queue_dir,
		   const struct queue_opts *qo, struct lp_stats *st)
{
	pthread_condattr_t ca;

	S.ep = ep;
	S.st = st;
	pthread_mutex_init(&S.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&S.cv, &ca);
	pthread_condattr_destroy(&ca);
	buf_init(&S.rec, 0);
	buf_init(&S.body, 0);
	buf_init(&S.hdr, 4096);
	if (queue_dir && mkdir(queue_dir, 0700) < 0 && errno != EEXIST) {
		log_errno("cannot create queue directory '%s'", queue_dir);
		return -1;
	}
	S.q_mem = !queue_dir;
	S.mem_high = ep->batch_size + ep->batch_size / 2;
	if (qo->max_bytes && S.mem_high > qo->max_bytes)
		S.mem_high = qo->max_bytes;
	S.q = queue_open(queue_dir, qo);
	if (!S.q)
		return -1;
	S.headers[S.nheaders++] = ep->format == LP_JSON
					  ? "Content-Type: application/json"
					  : "Content-Type: application/x-protobuf";
	if (ep->tenant_id) {
		if (buf_addf(&S.hdr, "X-Scope-OrgID: %s", ep->tenant_id) < 0)
			return -1;
		S.headers[S.nheaders++] = S.hdr.p;
	}
	ep->http.cancel = &lp_abort;
	S.http = http_client_new(&ep->http);
	return S.http ? 0 : -1;
}

static void deadline(struct timespec *t, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

void lp_sender_tail(uint64_t *seg, int64_t *end)
{
	pthread_mutex_lock(&S.mu);
	queue_tail(S.q, seg, end);
	pthread_mutex_unlock(&S.mu);
}

int lp_sender_push(const void *rec, size_t len, int64_t now_ms)
{
	int ret;

	pthread_mutex_lock(&S.mu);
	/* a memory queue pushes back on the input instead of growing:
	 * what waits upstream waits in the pipe, not in our memory */
	while (S.q_mem && !lp_abort && !sig_stop) {
		struct queue_stats st;
		struct timespec t;

		queue_stats(S.q, &st);
		if (!st.records || st.bytes + len <= S.mem_high)
			break;
		deadline(&t, 200);
		pthread_cond_timedwait(&S.cv, &S.mu, &t);
	}
	ret = queue_push(S.q, rec, len, now_ms);
	pthread_cond_broadcast(&S.cv);
	pthread_mutex_unlock(&S.mu);
	if (ret < 0) {
		log_errno("cannot queue a batch");
		atomic_fetch_add(&S.st->push_errors, 1);
		return -1;
	}
	atomic_fetch_add(&S.st->batches_queued, 1);
	return 0;
}

static int corrupt(void)
{
	log_error("corrupt queue record skipped");
	atomic_fetch_add(&S.st->corrupt_records, 1);
	return SEND_DROP;
}

static int deliver(int64_t *retry_after, int last_try)
{
	static struct log_limit lim_retry = LOG_LIMIT_INIT;
	static struct log_limit lim_drop = LOG_LIMIT_INIT;
	struct lp_endpoint *ep = S.ep;
	struct http_response r;
	struct lprec_hdr h;
	char why[512];
	int ret;

	*retry_after = -1;
	if (S.rec.len < sizeof(h))
		return corrupt();
	memcpy(&h, S.rec.p, sizeof(h));
	if (h.magic != LPREC_MAGIC || h.version != 1)
		return corrupt();
	if (ep->max_age_ms > 0 && h.min_ts < clock_ns() - ep->max_age_ms *
								  1000000) {
		uint64_t dropped = 0;
		long kept = lp_record_filter_old(
			&S.rec, clock_ns() - ep->max_age_ms * 1000000,
			&dropped);

		if (kept < 0)
			return corrupt();
		atomic_fetch_add(&S.st->entries_too_old, dropped);
		if (kept == 0)
			return SEND_DROP;
		memcpy(&h, S.rec.p, sizeof(h));
	}
	if (lp_record_body(&S.rec, ep->format, &S.body) < 0)
		return corrupt();

	http_response_init(&r);
	ret = http_request(S.http, "POST", ep->url, S.headers, S.nheaders,
			   S.body.p, S.body.len, &r);
	atomic_fetch_add(&S.st->requests, 1);
	atomic_fetch_add(&S.st->latency_ms_sum, (uint64_t)r.elapsed_ms);
	if (ret < 0) {
		if (!lp_abort)
			log_limited(&lim_retry,
				    "warning: cannot send %u entries to '%s': "
				    "%s%s",
				    h.count, ep->url, r.error,
				    last_try ? "" : "; retrying");
		ret = SEND_RETRY;
	} else if (r.status >= 200 && r.status <= 299) {
		atomic_fetch_add(&S.st->entries_sent, h.count);
		atomic_fetch_add(&S.st->batches_sent, 1);
		atomic_fetch_add(&S.st->bytes_sent, S.body.len);
		ret = SEND_OK;
	} else if (http_status_retryable(r.status, ep->retry_on_429)) {
		http_response_reason(&r, why, sizeof(why));
		log_limited(&lim_retry,
			    "warning: receiver answered HTTP %ld to %u entries: "
			    "'%s'%s",
			    r.status, h.count, why, last_try ? "" : "; retrying");
		*retry_after = r.retry_after_ms;
		ret = SEND_RETRY;
	} else {
		http_response_reason(&r, why, sizeof(why));
		log_limited(&lim_drop,
			    "receiver rejected %u entries with HTTP %ld: '%s'; "
			    "batch dropped",
			    h.count, r.status, why);
		atomic_fetch_add(&S.st->entries_failed, h.count);
		atomic_fetch_add(&S.st->batches_failed, 1);
		ret = SEND_DROP;
	}
	if (ret == SEND_RETRY) {
		atomic_fetch_add(&S.st->requests_failed, 1);
		if (last_try) {
			log_error("gave up on %u entries after %ld retries; "
				  "batch dropped",
				  h.count, ep->max_retries);
			atomic_fetch_add(&S.st->entries_failed, h.count);
			atomic_fetch_add(&S.st->batches_failed, 1);
			ret = SEND_DROP;
		} else {
			atomic_fetch_add(&S.st->entries_retried, h.count);
		}
	}
	http_response_free(&r);
	return ret;
}

/* Sleeps ms, woken early only by an abort. */
static void wait_ms(int64_t ms)
{
	int64_t until = clock_mono_ms() + ms;
	struct timespec ts;

	pthread_mutex_lock(&S.mu);
	while (!lp_abort && clock_mono_ms() < until) {
		int64_t t = until - clock_mono_ms();

		deadline(&ts, t > 200 ? 200 : t);
		pthread_cond_timedwait(&S.cv, &S.mu, &ts);
	}
	pthread_mutex_unlock(&S.mu);
}

static void *sender_main(void *arg)
{
	int64_t backoff = S.ep->min_backoff_ms;
	long tries = 0;
	int unsaved = 0;

	(void)arg;
	for (;;) {
		int64_t ts, retry_after;
		int have = 0, res, timedout = 0;

		pthread_mutex_lock(&S.mu);
		for (;;) {
			struct timespec t;

			if (lp_abort)
				break;
			have = queue_peek(S.q, &S.rec, &ts);
			if (have != 0)
				break;
			if (atomic_load(&S.draining))
				break;
			/* idle a whole wait: save the acks now, so a crash
			 * while quiet sends nothing twice */
			if (unsaved && timedout) {
				queue_flush(S.q);
				unsaved = 0;
			}
			deadline(&t, 200);
			timedout = pthread_cond_timedwait(&S.cv, &S.mu, &t) ==
				   ETIMEDOUT;
		}
		pthread_mutex_unlock(&S.mu);
		if (have < 0)
			log_errno("cannot read the queue");
		if (have != 1 || lp_abort)
			break;

		res = deliver(&retry_after,
			      S.ep->max_retries > 0 &&
				      tries >= S.ep->max_retries);
		if (res != SEND_RETRY) {
			pthread_mutex_lock(&S.mu);
			queue_ack(S.q);
			pthread_cond_broadcast(&S.cv);
			pthread_mutex_unlock(&S.mu);
			unsaved = 1;
			tries = 0;
			if (res == SEND_OK)
				backoff = S.ep->min_backoff_ms;
			continue;
		}
		tries++;
		wait_ms(retry_after >= 0 ? retry_after : backoff);
		backoff *= 2;
		if (backoff > S.ep->max_backoff_ms)
			backoff = S.ep->max_backoff_ms;
	}
	atomic_store(&S.running, 0);
	return NULL;
}

int lp_sender_start(void)
{
	int e;

	atomic_store(&S.running, 1);
	e = pthread_create(&S.thr, NULL, sender_main, NULL);
	if (e) {
		atomic_store(&S.running, 0);
		errno = e;
		log_errno("cannot start the sender thread");
		return -1;
	}
	S.started = 1;
	return 0;
}

void lp_sender_drain(void)
{
	atomic_store(&S.draining, 1);
	pthread_mutex_lock(&S.mu);
	pthread_cond_broadcast(&S.cv);
	pthread_mutex_unlock(&S.mu);
}

int lp_sender_join(int64_t until)
{
	int late = 0;

	while (S.started && atomic_load(&S.running)) {
		if (clock_mono_ms() >= until || lp_abort) {
			late = 1;
			lp_abort = 1;
			pthread_mutex_lock(&S.mu);
			pthread_cond_broadcast(&S.cv);
			pthread_mutex_unlock(&S.mu);
			break;
		}
		clock_sleep_ms(20);
	}
	if (S.started) {
		pthread_join(S.thr, NULL);
		S.started = 0;
	}
	return late;
}

void lp_sender_qstats(struct queue_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!S.q)
		return;
	pthread_mutex_lock(&S.mu);
	queue_stats(S.q, st);
	pthread_mutex_unlock(&S.mu);
}

uint64_t lp_sender_close(void)
{
	struct queue_stats st;
	uint64_t left = 0;

	if (S.q) {
		queue_stats(S.q, &st);
		if (S.q_mem)
			left = st.records;
		queue_close(S.q);
		S.q = NULL;
	}
	http_client_free(S.http);
	S.http = NULL;
	buf_free(&S.rec);
	buf_free(&S.body);
	buf_free(&S.hdr);
	pthread_mutex_destroy(&S.mu);
	pthread_cond_destroy(&S.cv);
	return left;
}
