/* main.c: rwsend, which delivers metric lines to remote-write receivers. */
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "buf.h"
#include "clock.h"
#include "expo.h"
#include "http.h"
#include "journal.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "parse.h"
#include "record.h"
#include "relabel.h"
#include "rwsend.h"
#include "sig.h"
#include "stats.h"
#include "value.h"
#include "banned.h"

#define DEFAULT_DISK_MAX (1024ull << 20)
#define DEFAULT_MEM_MAX (64ull << 20)
#define MAX_FLAG_HEADERS 32
/* The journal is cut when its queued head is at least half of it and it
 * passed JOURNAL_CUT; past JOURNAL_FORCE every batch is queued to cut it. */
#define JOURNAL_CUT (8 << 20)
#define JOURNAL_FORCE (64 << 20)
#define ENC_KEEP (16u << 10)	/* an encoding buffer kept while idle */
#define ENC_IDLE_MS 200

static const char usage_text[] =
	"usage: rwsend [-hv] [-q DIR] [--drain-timeout DUR] "
	"[--queue-max-age DUR]\n"
	"              [--fsync-interval DUR] [--queue-max-bytes SIZE]\n"
	"              [--spool always|on-failure] [--stats-file PATH] "
	"[--no-fsync]\n"
	"              -c FILE | -u URL [endpoint options]\n"
	"endpoint options: [--basic-auth-user USER] "
	"[--basic-auth-password-file FILE]\n"
	"  [--batch-send-deadline DUR] [--bearer-token-file FILE] "
	"[--ca-file FILE]\n"
	"  [--cert-file FILE] [--header 'NAME: VALUE'] "
	"[--insecure-skip-verify]\n"
	"  [--key-file FILE] [--max-backoff DUR] [--max-samples-per-send N]\n"
	"  [--metadata-send-interval DUR] [--min-backoff DUR] [--name NAME]\n"
	"  [--no-metadata] [--no-retry-on-429] [--proxy-url URL]\n"
	"  [--remote-timeout DUR] [--sample-age-limit DUR] "
	"[--server-name NAME]\n"
	"  [--shards N]\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* and the HTTP client flags of args.h (ARGS_HTTP_*) */
enum {
	OPT_DEADLINE = 256, OPT_DRAIN, OPT_FSYNC_INTERVAL, OPT_HEADER, OPT_MAX_BACKOFF,
	OPT_MAX_SAMPLES, OPT_META_INTERVAL, OPT_MIN_BACKOFF, OPT_NAME,
	OPT_NO_FSYNC, OPT_NO_META, OPT_NO_429, OPT_QMAX_AGE, OPT_QMAX_BYTES,
	OPT_TIMEOUT, OPT_AGE_LIMIT, OPT_SHARDS, OPT_SPOOL, OPT_STATS,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "basic-auth-password-file", required_argument, NULL,
	  ARGS_HTTP_BASIC_PASS_FILE },
	{ "basic-auth-user", required_argument, NULL, ARGS_HTTP_BASIC_USER },
	{ "batch-send-deadline", required_argument, NULL, OPT_DEADLINE },
	{ "bearer-token-file", required_argument, NULL, ARGS_HTTP_BEARER_FILE },
	{ "ca-file", required_argument, NULL, ARGS_HTTP_CA },
	{ "cert-file", required_argument, NULL, ARGS_HTTP_CERT },
	{ "config", required_argument, NULL, 'c' },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
	{ "fsync-interval", required_argument, NULL, OPT_FSYNC_INTERVAL },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "help", no_argument, NULL, 'h' },
	{ "insecure-skip-verify", no_argument, NULL, ARGS_HTTP_INSECURE },
	{ "key-file", required_argument, NULL, ARGS_HTTP_KEY },
	{ "max-backoff", required_argument, NULL, OPT_MAX_BACKOFF },
	{ "max-samples-per-send", required_argument, NULL, OPT_MAX_SAMPLES },
	{ "metadata-send-interval", required_argument, NULL,
	  OPT_META_INTERVAL },
	{ "min-backoff", required_argument, NULL, OPT_MIN_BACKOFF },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "no-fsync", no_argument, NULL, OPT_NO_FSYNC },
	{ "no-metadata", no_argument, NULL, OPT_NO_META },
	{ "no-retry-on-429", no_argument, NULL, OPT_NO_429 },
	{ "proxy-url", required_argument, NULL, ARGS_HTTP_PROXY },
	{ "queue-dir", required_argument, NULL, 'q' },
	{ "queue-max-age", required_argument, NULL, OPT_QMAX_AGE },
	{ "queue-max-bytes", required_argument, NULL, OPT_QMAX_BYTES },
	{ "remote-timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "sample-age-limit", required_argument, NULL, OPT_AGE_LIMIT },
	{ "server-name", required_argument, NULL, ARGS_HTTP_SERVER_NAME },
	{ "shards", required_argument, NULL, OPT_SHARDS },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "stats-file", required_argument, NULL, OPT_STATS },
	{ "url", required_argument, NULL, 'u' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* ---- the reader ---- */

struct reader {
	struct rw_endpoint *eps;
	size_t nep;
	const struct rw_global *g;
	struct buf enc;
	int64_t enc_mono;	/* when enc last held a batch */
	int64_t next_stats;
	unsigned long logs;
	int need_now;		/* some endpoint has a sample_age_limit */
	struct log_limit lim_log;
	struct jreader in;	/* standard input, or a journal to replay */
	struct journal jn;
	int journal;		/* jn is open */
	int64_t jabs;		/* input offset of the journal's first byte */
	int posfd;		/* DIR/journal.pos, see save_pos() */
	int replaying;
	int crash_after_append;	/* test hook, see main() */
	struct expo ex;
	struct rw_packed pk;
	unsigned long bad;	/* lines dropped as malformed */
	struct log_limit lim_bad;
	struct record rec;	/* the line being read */
	size_t klen;		/* its series text, 0 if none (add_fast) */
};

/*
 * DIR/journal.pos says how far into the input each shard's samples are
 * queued, so that a replay queues only what was not: a replayed sample
 * that the receiver already has could make it reject the whole batch (as
 * Prometheus does with "out of order sample"), and with it the samples
 * that were lost.  Offsets count from the first byte ever journaled,
 * across cuts (the journal's base).  It is rewritten in place, one small
 * pwrite(2) that a kill cannot tear, twice per batch queued: before the
 * push, with the offset the batch covers and where the shard's queue ends
 * (queue_tail()), and after it, with the offset as the shard's.  A kill
 * between the two leaves the intent, and the next run finds in the queue
 * whether the push landed: the hand-off from journal to queue is atomic.
 * It says the layout it was written for; a different layout (other
 * endpoints or shards) makes the replay queue everything again.
 */
#define POS_MAGIC 0x6a77736fu	/* "osw" "j": queued_to per shard */
#define POS_MAGIC2 0x6b77736fu	/* "osw" "k": and the intent */
#define POS_PER 4		/* queued_to, pend_to, pend_seg, pend_end */
#define POS_MAX (RW_MAX_SHARDS * 8 * POS_PER + 1)

struct pos_head {
	uint32_t magic, n;	/* n: shard entries */
	int64_t jabs;
};

static void save_pos(struct reader *rd, int64_t jabs)
{
	static int64_t v[POS_MAX];
	static unsigned char b[sizeof(struct pos_head) + sizeof(v)];
	struct pos_head h = { POS_MAGIC2, 0, jabs };
	size_t e, i, n = 0, k = 0;
	ssize_t want;

	if (rd->posfd < 0)
		return;
	for (e = 0; e < rd->nep && e < 8; e++)
		for (i = 0; i < rd->eps[e].nshards; i++) {
			const struct rw_batch *bt = &rd->eps[e].shards[i].batch;

			v[k++] = bt->queued_to;
			v[k++] = bt->pend_to;
			v[k++] = (int64_t)bt->pend_seg;
			v[k++] = bt->pend_end;
			n++;
		}
	/* the layout: shards per endpoint, one byte each */
	v[k] = 0;
	for (e = 0; e < rd->nep && e < 8; e++)
		v[k] |= (int64_t)rd->eps[e].nshards << (8 * e);
	h.n = (uint32_t)n;
	want = (ssize_t)(sizeof(h) + (k + 1) * sizeof(v[0]));
	memcpy(b, &h, sizeof(h));
	memcpy(b + sizeof(h), v, (k + 1) * sizeof(v[0]));
	if (pwrite(rd->posfd, b, (size_t)want, 0) != want) {
		log_errno("cannot write '%s.pos'; a replay may send samples "
			  "twice",
			  buf_cstr(&rd->jn.path));
		close(rd->posfd);
		rd->posfd = -1;
	}
}

/* Whether the push of an intent save_pos() recorded is in sh's queue. */
static int pos_landed(struct rw_shard *sh, const struct rw_batch *bt)
{
	uint64_t seg;
	int64_t end;

	pthread_mutex_lock(&sh->mu);
	queue_tail(sh->q, &seg, &end);
	pthread_mutex_unlock(&sh->mu);
	return queue_tail_grew(bt->pend_seg, bt->pend_end, seg, end);
}

/* Reads what save_pos() wrote (or an older version's file, without the
 * intent); with anything amiss, every shard starts at 0 and the replay
 * queues all of the journal. */
static void load_pos(struct reader *rd)
{
	static int64_t v[POS_MAX];
	static unsigned char b[sizeof(struct pos_head) + sizeof(v)];
	struct pos_head h;
	int64_t layout = 0;
	size_t e, i, n = 0, per, k = 0;
	ssize_t r;

	for (e = 0; e < rd->nep; e++)
		n += rd->eps[e].nshards;
	for (e = 0; e < rd->nep && e < 8; e++)
		layout |= (int64_t)rd->eps[e].nshards << (8 * e);
	r = pread(rd->posfd, b, sizeof(b), 0);
	if (r < (ssize_t)sizeof(h))
		return;
	memcpy(&h, b, sizeof(h));
	per = h.magic == POS_MAGIC2 ? POS_PER : 1;
	if ((h.magic != POS_MAGIC && h.magic != POS_MAGIC2) || h.n != n ||
	    rd->nep > 8 || n * per >= POS_MAX || h.jabs < 0 ||
	    r < (ssize_t)(sizeof(h) + (n * per + 1) * sizeof(v[0])))
		return;
	memcpy(v, b + sizeof(h), (n * per + 1) * sizeof(v[0]));
	/* the input offsets go on from where they were, even when the
	 * journal went meanwhile */
	rd->jabs = h.jabs;
	if (v[n * per] != layout)
		return;
	for (e = 0; e < rd->nep; e++)
		for (i = 0; i < rd->eps[e].nshards; i++, k += per) {
			struct rw_shard *sh = &rd->eps[e].shards[i];
			struct rw_batch *bt = &sh->batch;

			bt->queued_to = v[k];
			if (per == 1 || v[k + 1] <= v[k])
				continue;
			bt->pend_to = v[k + 1];
			bt->pend_seg = (uint64_t)v[k + 2];
			bt->pend_end = v[k + 3];
			if (pos_landed(sh, bt))
				bt->queued_to = bt->pend_to;
			bt->pend_to = 0;
		}
}

static int open_pos(struct reader *rd)
{
	struct buf path = BUF_INIT(4096);
	int fd = -1;

	if (buf_addf(&path, "%s.pos", buf_cstr(&rd->jn.path)) == 0)
		fd = open(buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		log_errno("cannot open '%s'; a replay may send samples twice",
			  buf_cstr(&path));
	buf_free(&path);
	return fd;
}

static void flush_shard(struct reader *rd, struct rw_shard *sh)
{
	struct rw_endpoint *ep = sh->ep;
	size_t n = sh->batch.n;
	int64_t to = rd->jabs + sh->batch.jlast + 1;

	if (!n)
		return;
	if (rw_batch_encode(&sh->batch, &rd->enc) < 0) {
		log_errno("endpoint '%s': cannot encode a batch of %zu samples",
			  ep->name, n);
		atomic_fetch_add(&ep->st.samples_dropped, n);
	} else {
		/* the intent first: see journal.pos above */
		if (rd->journal) {
			sh->batch.pend_to = to;
			pthread_mutex_lock(&sh->mu);
			queue_tail(sh->q, &sh->batch.pend_seg,
				   &sh->batch.pend_end);
			pthread_mutex_unlock(&sh->mu);
			save_pos(rd, rd->jabs);
		}
		if (rw_shard_push(sh, rd->enc.p, rd->enc.len, clock_ms()) < 0)
			atomic_fetch_add(&ep->st.samples_dropped, n);
		else if (rd->crash_after_append)
			raise(SIGKILL);
	}
	rd->enc_mono = clock_mono_ms();
	if (rd->journal) {
		sh->batch.queued_to = to;
		sh->batch.pend_to = 0;
		save_pos(rd, rd->jabs);
	}
}

static void flush_all(struct reader *rd)
{
	size_t e, i;

	for (e = 0; e < rd->nep; e++)
		for (i = 0; i < rd->eps[e].nshards; i++)
			flush_shard(rd, &rd->eps[e].shards[i]);
}

static int write_stats(struct reader *rd);

/* Where the journal is needed from: the first line of the oldest batch
 * not yet queued, or the next line to parse. */
static int64_t journal_needed(struct reader *rd)
{
	int64_t need = jreader_next(&rd->in);
	size_t e, i;

	for (e = 0; e < rd->nep; e++)
		for (i = 0; i < rd->eps[e].nshards; i++) {
			struct rw_batch *b = &rd->eps[e].shards[i].batch;

			if (b->n && b->jpos < need)
				need = b->jpos;
		}
	return need;
}

static void cut_journal(struct reader *rd, int64_t from)
{
	size_t e, i;

	if (from <= 0)
		return;
	/* The new base first, for a journal cut to nothing, which keeps no
	 * base of its own; a journal that keeps input has the base in it,
	 * moved with the cut by the same rename. */
	save_pos(rd, rd->jabs + from);
	if (journal_cut(&rd->jn, from) < 0) {
		save_pos(rd, rd->jabs);
		return;
	}
	rd->jabs = rd->jn.base;
	jreader_shift(&rd->in, from);
	for (e = 0; e < rd->nep; e++)
		for (i = 0; i < rd->eps[e].nshards; i++) {
			struct rw_batch *b = &rd->eps[e].shards[i].batch;

			if (b->n) {
				b->jpos -= from;
				b->jlast -= from;
			}
		}
}

/* Cuts what is queued off the journal when that is cheap: all of it, or
 * its larger part once it is big. */
static void tend_journal(struct reader *rd)
{
	int64_t need;

	if (!rd->journal || rd->jn.fd < 0 || rd->jn.size == 0)
		return;
	need = journal_needed(rd);
	if (need >= rd->jn.size ||
	    (rd->jn.size >= JOURNAL_CUT && need >= rd->jn.size / 2)) {
		cut_journal(rd, need);
	} else if (rd->jn.size >= JOURNAL_FORCE) {
		flush_all(rd);
		cut_journal(rd, journal_needed(rd));
	}
}

/* Flushes batches past their deadline, metadata and the stats file;
 * returns the milliseconds until the next thing falls due. */
static int64_t tick(void *arg)
{
	struct reader *rd = arg;
	int64_t now = clock_mono_ms(), next = 1000;
	size_t e, i;

	for (e = 0; e < rd->nep; e++) {
		struct rw_endpoint *ep = &rd->eps[e];

		for (i = 0; i < ep->nshards; i++) {
			struct rw_batch *b = &ep->shards[i].batch;
			int64_t left;

			if (!b->n)
				continue;
			left = b->first_mono + ep->qc.batch_send_deadline_ms -
			       now;
			if (left <= 0)
				flush_shard(rd, &ep->shards[i]);
			else if (left < next)
				next = left;
		}
	}
	if (rw_meta_dirty() || rw_meta_count())
		rw_meta_flush(rd->eps, rd->nep, now, 0);
	/* no batch for a while: the encoding buffer's pages go back (mapped
	 * apart, see main); not after each batch, which costs page faults
	 * when batches come fast */
	if (rd->enc.cap > ENC_KEEP && now - rd->enc_mono >= ENC_IDLE_MS)
		buf_free(&rd->enc);
	tend_journal(rd);
	if (rd->g->queue_dir && rd->g->sync && rd->g->sync_interval_ms > 0) {
		for (e = 0; e < rd->nep; e++)
			rw_shards_sync(&rd->eps[e], 0);
		if (rd->g->sync_interval_ms < next)
			next = rd->g->sync_interval_ms;
	}
	if (rd->g->stats_file && now >= rd->next_stats) {
		write_stats(rd);
		rd->next_stats = now + rd->g->stats_interval_ms;
	}
	return next < 1 ? 1 : next;
}

/* After a sample went into sh's batch: its journal span, and a flush when
 * the batch is full. */
static void sample_added(struct reader *rd, struct rw_endpoint *ep,
			 struct rw_shard *sh)
{
	if (sh->batch.n == 1) {
		sh->batch.first_mono = clock_mono_ms();
		sh->batch.jpos = rd->in.line_off;
	}
	sh->batch.jlast = rd->in.line_off;
	if (sh->batch.n >= (size_t)ep->qc.max_samples_per_send ||
	    sh->batch.zin + sh->batch.pb.len >= RW_BATCH_MAX)
		flush_shard(rd, sh);
}

/* The shard of a series, or NULL when a replay queued the line before. */
static struct rw_shard *shard_of(struct reader *rd, struct rw_endpoint *ep,
				 uint32_t hash)
{
	struct rw_shard *sh = &ep->shards[hash % ep->nshards];

	if (rd->replaying && rd->jabs + rd->in.line_off < sh->batch.queued_to) {
		/* queued before the kill: counted then */
		atomic_fetch_sub(&ep->st.samples_in, 1);
		return NULL;
	}
	return sh;
}

static void add_series(struct reader *rd, struct rw_endpoint *ep,
		       const struct rw_series *s, double v, int64_t ts,
		       int64_t now)
{
	struct rw_shard *sh;

	/* only this thread writes it: no locked add per sample */
	atomic_store_explicit(&ep->st.samples_in,
			      atomic_load_explicit(&ep->st.samples_in,
						   memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (s->dropped) {
		atomic_fetch_add(&ep->st.samples_relabel_dropped, 1);
		return;
	}
	if (ep->qc.sample_age_limit_ms > 0 &&
	    ts < now - ep->qc.sample_age_limit_ms) {
		atomic_fetch_add(&ep->st.samples_too_old, 1);
		return;
	}
	/* a series always goes to the same shard, so its samples stay in
	 * order */
	if (!(sh = shard_of(rd, ep, s->hash)))
		return;
	if (rw_batch_add_series(&sh->batch, s, v, ts) < 0) {
		log_errno("endpoint '%s': cannot add a sample", ep->name);
		atomic_fetch_add(&ep->st.samples_dropped, 1);
		return;
	}
	sample_added(rd, ep, sh);
}

/*
 * Where the series text of a sample line ends: after its last '}', which
 * neither a value nor a timestamp holds, or after the metric name when
 * there are no labels; 0 when the line is none of these.  The labels a
 * valid line gives depend on that text alone, so they are kept by it
 * (series.c).
 */
static size_t series_len(const char *line, size_t len)
{
	const char *p = memrchr(line, '}', len);
	size_t i = 0;

	if (p)
		return (size_t)(p - line) + 1;
	while (i < len && ((line[i] >= 'a' && line[i] <= 'z') ||
			   (line[i] >= 'A' && line[i] <= 'Z') ||
			   (line[i] >= '0' && line[i] <= '9') || line[i] == '_' ||
			   line[i] == ':'))
		i++;
	return i < len && (line[i] == ' ' || line[i] == '\t') ? i : 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Most values are integers: up to 15 digits, with an optional '-', are
 * exact in a double, the very value value_parse() gives them. */
static int int_value(const char *s, size_t n, double *v)
{
	size_t i = s[0] == '-';
	int64_t x = 0;

	if (n - i == 0 || n - i > 15)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = s[0] == '-' ? -(double)x : (double)x;
	return 0;
}

/* " VALUE [TS]" after the series text, read as expo_parse_line() reads
 * it; -1 for anything it would reject or that this path leaves to it. */
static int parse_tail(const char *s, size_t n, double *v, int64_t *ts,
		      int *has_ts)
{
	size_t i = 0, start;
	int64_t t = 0;

	while (i < n && is_blank(s[i]))
		i++;
	start = i;
	while (i < n && !is_blank(s[i]) && s[i] != '{')
		i++;
	if (i == start || (i < n && s[i] == '{') ||
	    (int_value(s + start, i - start, v) < 0 &&
	     value_parse(s + start, i - start, v) < 0))
		return -1;
	while (i < n && is_blank(s[i]))
		i++;
	*has_ts = i < n;
	if (i == n)
		return 0;
	start = i;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		/* 18 digits cannot overflow; more go the long way */
		if (i - start == 18)
			return -1;
		t = t * 10 + (s[i++] - '0');
	}
	if (i == start)
		return -1;
	while (i < n && is_blank(s[i]))
		i++;
	if (i != n)
		return -1;
	*ts = t;
	return 0;
}

#define FAST_EP_MAX 8

/* A sample line whose series every endpoint keeps: 1 when it is added, 0
 * when the line must be parsed (rd->klen then says what to keep). */
static int add_fast(struct reader *rd, const char *line, size_t len)
{
	struct rw_series s[FAST_EP_MAX];
	size_t e;
	double v;
	int64_t ts = 0, now = 0;
	int has_ts;

	rd->klen = 0;
	if (len == 0 || line[0] == '#' || line[0] == '{' ||
	    rd->nep > FAST_EP_MAX)
		return 0;
	rd->klen = series_len(line, len);
	if (rd->klen == 0)
		return 0;
	for (e = 0; e < rd->nep; e++)
		if (!rd->eps[e].sc ||
		    !rw_scache_get(rd->eps[e].sc, line, rd->klen, &s[e]))
			return 0;
	if (parse_tail(line + rd->klen, len - rd->klen, &v, &ts, &has_ts) < 0)
		return 0;
	if (rd->need_now || !has_ts)
		now = clock_ms();
	if (!has_ts)
		ts = now;
	for (e = 0; e < rd->nep; e++)
		add_series(rd, &rd->eps[e], &s[e], v, ts, now);
	return 1;
}

/* A sample the long way: relabeled, packed, and kept for its next line. */
static void add_sample(struct reader *rd, struct record *rec,
		       const char *line)
{
	int64_t now = 0;
	size_t e;

	if (rd->need_now || !rec->has_ts)
		now = clock_ms();
	if (!rec->has_ts)
		rec->ts = now;
	for (e = 0; e < rd->nep; e++) {
		struct rw_endpoint *ep = &rd->eps[e];
		const struct labels *ls = &rec->labels;
		struct rw_series ser;
		struct rw_shard *sh;
		int r;

		/* kept already when only another endpoint missed it */
		if (rd->klen && ep->sc &&
		    rw_scache_get(ep->sc, line, rd->klen, &ser)) {
			add_series(rd, ep, &ser, rec->value, rec->ts, now);
			continue;
		}
		if (ep->has_relabel) {
			if (labels_copy(&ep->scratch, ls) < 0) {
				atomic_fetch_add(&ep->st.samples_in, 1);
				atomic_fetch_add(&ep->st.samples_dropped, 1);
				continue;
			}
			r = relabel_apply(&ep->relabel, &ep->scratch);
			if (r <= 0 || ep->scratch.n == 0) {
				atomic_fetch_add(&ep->st.samples_in, 1);
				if (r < 0) {
					atomic_fetch_add(
						&ep->st.samples_dropped, 1);
					continue;
				}
				if (rd->klen && ep->sc)
					rw_scache_put(ep->sc, line, rd->klen,
						      NULL, 1);
				atomic_fetch_add(
					&ep->st.samples_relabel_dropped, 1);
				continue;
			}
			ls = &ep->scratch;
		}
		if (ep->qc.sample_age_limit_ms > 0 &&
		    rec->ts < now - ep->qc.sample_age_limit_ms) {
			atomic_fetch_add(&ep->st.samples_in, 1);
			atomic_fetch_add(&ep->st.samples_too_old, 1);
			continue;
		}
		if (rw_labels_pack(&rd->pk, ls) < 0) {
			log_errno("endpoint '%s': cannot add a sample",
				  ep->name);
			atomic_fetch_add(&ep->st.samples_in, 1);
			atomic_fetch_add(&ep->st.samples_dropped, 1);
			continue;
		}
		if (rd->klen && ep->sc &&
		    rw_scache_put(ep->sc, line, rd->klen, &rd->pk, 0) == 0 &&
		    rw_scache_get(ep->sc, line, rd->klen, &ser)) {
			add_series(rd, ep, &ser, rec->value, rec->ts, now);
			continue;
		}
		atomic_fetch_add(&ep->st.samples_in, 1);
		if (!(sh = shard_of(rd, ep, rd->pk.hash)))
			continue;
		if (rw_batch_add(&sh->batch, &rd->pk, rec->value, rec->ts) < 0) {
			log_errno("endpoint '%s': cannot add a sample",
				  ep->name);
			atomic_fetch_add(&ep->st.samples_dropped, 1);
			continue;
		}
		sample_added(rd, ep, sh);
	}
}

/* 1 if the line gave a record; a bad one is reported and counted. */
static int parse_line(struct reader *rd, const char *line, size_t len,
		      struct record *rec)
{
	const char *err = NULL;
	size_t col = 0;
	enum expo_result res;

	if (len == 0)
		return 0;
	if (line[0] == '{') {
		if (logentry_parse(line, len, rec, &err, &col) == 0)
			return 1;
	} else {
		res = expo_parse_line(&rd->ex, line, len, rec, &err, &col);
		if (res != EXPO_ERROR)
			return res == EXPO_SAMPLE || res == EXPO_META ||
			       res == EXPO_COMMENT;
	}
	rd->bad++;
	log_limited(&rd->lim_bad, "%s:%lu: %s at column %zu", rd->in.name,
		    rd->in.lineno, err, col + 1);
	return 0;
}

static void add_line(void *arg, const char *line, size_t len)
{
	struct reader *rd = arg;
	struct record *rec = &rd->rec;

	if (add_fast(rd, line, len))
		return;
	if (!parse_line(rd, line, len, rec))
		return;
	if (rec->kind == REC_SAMPLE) {
		add_sample(rd, rec, line);
	} else if (rec->kind == REC_COMMENT) {
		if (rec->meta != META_NONE && rw_meta_note(rec) < 0)
			log_errno("cannot keep metadata");
	} else {
		rd->logs++;
		log_limited(&rd->lim_log,
			    "%s:%lu: a log entry is not a metric sample; "
			    "dropped",
			    rd->in.name, rd->in.lineno);
	}
}

/* What a run killed before it queued everything it read: the journal is
 * read through the same path before standard input. */
static int replay_journal(struct reader *rd)
{
	int fd = journal_reader(&rd->jn), ret;

	if (fd < 0)
		return 0;
	log_warn("replaying %lld bytes of input that an earlier run read "
		 "but did not queue, from '%s'",
		 (long long)rd->jn.size, buf_cstr(&rd->jn.path));
	jreader_init(&rd->in, fd, buf_cstr(&rd->jn.path), NULL);
	rd->in.drop_partial = 1;
	rd->replaying = 1;
	ret = jreader_pump(&rd->in, &sig_stop, add_line, tick, rd);
	rd->replaying = 0;
	flush_all(rd);
	if (ret == 0)
		cut_journal(rd, jreader_next(&rd->in));
	rd->bad += rd->in.bad;
	rd->in.bad = 0;
	close(fd);
	jreader_free(&rd->in);
	return ret;
}

static int read_input(struct reader *rd)
{
	int ret = 0;

	if (rd->journal) {
		ret = replay_journal(rd);
		if (ret < 0 || sig_stop)
			return ret;
	}
	jreader_init(&rd->in, STDIN_FILENO, "-", rd->journal ? &rd->jn : NULL);
	/* Offsets count from the start of the journal file. */
	if (rd->journal)
		jreader_shift(&rd->in, -rd->jn.size);
	jreader_nonblock(&rd->in);
	/* a pipeline's lines come a write of a few dozen at a time: take
	 * many writes per read (a batch waits seconds for its deadline
	 * anyway) */
	jreader_gather(&rd->in, 50);
	ret = jreader_pump(&rd->in, &sig_stop, add_line, tick, rd);
	jreader_restore(&rd->in);
	return ret;
}

/* ---- --stats-file ---- */

struct stat_def {
	const char *name, *type, *help;
};

static const struct stat_def stat_defs[] = {
	{ "obs_rwsend_samples_in_total", "counter",
	  "Samples read for this endpoint." },
	{ "obs_rwsend_samples_sent_total", "counter",
	  "Samples the receiver acknowledged." },
	{ "obs_rwsend_samples_retried_total", "counter",
	  "Samples in requests that failed and were retried." },
	{ "obs_rwsend_samples_failed_total", "counter",
	  "Samples in batches the receiver rejected (4xx), dropped." },
	{ "obs_rwsend_samples_resent_refused_total", "counter",
	  "Samples sent again after a restart and refused as the receiver "
	  "had them from before it (out of order, duplicate, too old)." },
	{ "obs_rwsend_samples_dropped_total", "counter",
	  "Samples dropped before queueing (encoding or queue errors)." },
	{ "obs_rwsend_samples_dropped_too_old_total", "counter",
	  "Samples older than sample_age_limit, dropped." },
	{ "obs_rwsend_samples_relabel_dropped_total", "counter",
	  "Samples dropped by write_relabel_configs." },
	{ "obs_rwsend_metadata_sent_total", "counter",
	  "Metadata entries the receiver acknowledged." },
	{ "obs_rwsend_metadata_failed_total", "counter",
	  "Metadata entries the receiver rejected." },
	{ "obs_rwsend_batches_queued_total", "counter",
	  "Batches written to the queue." },
	{ "obs_rwsend_batches_sent_total", "counter",
	  "Batches the receiver acknowledged." },
	{ "obs_rwsend_batches_failed_total", "counter",
	  "Batches the receiver rejected." },
	{ "obs_rwsend_sent_bytes_total", "counter",
	  "Compressed request bytes acknowledged." },
	{ "obs_rwsend_requests_total", "counter",
	  "HTTP requests made." },
	{ "obs_rwsend_requests_failed_total", "counter",
	  "Requests that failed and were retried." },
	{ "obs_rwsend_request_duration_seconds_total", "counter",
	  "Time spent in requests." },
	{ "obs_rwsend_queue_batches", "gauge", "Batches in the queue." },
	{ "obs_rwsend_queue_bytes", "gauge", "Bytes in the queue." },
	{ "obs_rwsend_queue_segments", "gauge", "Queue segment files." },
	{ "obs_rwsend_queue_oldest_age_seconds", "gauge",
	  "Age of the oldest queued batch." },
	{ "obs_rwsend_queue_dropped_batches_total", "counter",
	  "Batches dropped by --queue-max-bytes or --queue-max-age." },
	{ "obs_rwsend_queue_dropped_bytes_total", "counter",
	  "Bytes dropped by --queue-max-bytes or --queue-max-age." },
	{ "obs_rwsend_queue_corrupt_records_total", "counter",
	  "Queue records skipped as torn or corrupt." },
};

static void stat_values(struct rw_endpoint *ep, double *v, int64_t now)
{
	struct rw_stats *s = &ep->st;
	struct queue_stats q;
	int i = 0;

	rw_shard_qstats(ep, &q);
	v[i++] = (double)atomic_load(&s->samples_in);
	v[i++] = (double)atomic_load(&s->samples_sent);
	v[i++] = (double)atomic_load(&s->samples_retried);
	v[i++] = (double)atomic_load(&s->samples_failed);
	v[i++] = (double)atomic_load(&s->samples_resent_refused);
	v[i++] = (double)atomic_load(&s->samples_dropped);
	v[i++] = (double)atomic_load(&s->samples_too_old);
	v[i++] = (double)atomic_load(&s->samples_relabel_dropped);
	v[i++] = (double)atomic_load(&s->meta_sent);
	v[i++] = (double)atomic_load(&s->meta_failed);
	v[i++] = (double)atomic_load(&s->batches_queued);
	v[i++] = (double)atomic_load(&s->batches_sent);
	v[i++] = (double)atomic_load(&s->batches_failed);
	v[i++] = (double)atomic_load(&s->bytes_sent);
	v[i++] = (double)atomic_load(&s->requests);
	v[i++] = (double)atomic_load(&s->requests_failed);
	v[i++] = (double)atomic_load(&s->latency_ms_sum) / 1000.0;
	v[i++] = (double)q.records;
	v[i++] = (double)q.bytes;
	v[i++] = (double)q.segments;
	v[i++] = q.oldest_ms ? (double)(now - q.oldest_ms) / 1000.0 : 0;
	v[i++] = (double)q.dropped_records;
	v[i++] = (double)q.dropped_bytes;
	v[i++] = (double)(q.corrupt_records +
			  atomic_load(&s->corrupt_records));
}

static int write_stats(struct reader *rd)
{
	enum { NSTAT = ARRAY_SIZE(stat_defs) };
	struct buf b = BUF_INIT(16u << 20), lab = BUF_INIT(4096);
	double *v;
	size_t e, i;
	int ret = -1;

	v = calloc(rd->nep * NSTAT, sizeof(*v));
	if (!v)
		goto out;
	for (e = 0; e < rd->nep; e++)
		stat_values(&rd->eps[e], v + e * NSTAT, clock_ms());
	for (i = 0; i < NSTAT; i++)
		for (e = 0; e < rd->nep; e++) {
			buf_reset(&lab);
			if (buf_addstr(&lab, "endpoint=\"") < 0 ||
			    label_escape(&lab, rd->eps[e].name,
					 strlen(rd->eps[e].name)) < 0 ||
			    buf_addch(&lab, '"') < 0 ||
			    stats_add(&b, stat_defs[i].name, stat_defs[i].type,
				      stat_defs[i].help, buf_cstr(&lab),
				      v[e * NSTAT + i]) < 0)
				goto out;
		}
	if (stats_add(&b, "obs_rwsend_lines_bad_total", "counter",
		      "Input lines dropped as malformed.", "",
		      (double)(rd->in.bad + rd->bad + rd->logs)) < 0 ||
	    stats_add(&b, "obs_rwsend_metadata_families", "gauge",
		      "Metric families with metadata kept.", "",
		      (double)rw_meta_count()) < 0)
		goto out;
	ret = stats_write(rd->g->stats_file, &b);
out:
	if (ret < 0)
		log_errno("cannot write stats file '%s'", rd->g->stats_file);
	free(v);
	buf_free(&b);
	buf_free(&lab);
	return ret;
}

/* ---- main ---- */

struct flags {
	const char *config, *url;
	int endpoint_opts;	/* an endpoint option was given */
	const char *headers[MAX_FLAG_HEADERS];
	size_t nheaders;
	int no_meta;
	struct rw_endpoint ep;
};

static int endpoint_option(struct flags *f, int c, const char *arg)
{
	struct rw_endpoint *ep = &f->ep;
	long n;
	int r = args_http(c, arg, &ep->http);

	f->endpoint_opts = 1;
	if (r != 0)
		return r < 0 ? -1 : 0;
	switch (c) {
	case OPT_DEADLINE:
		return args_duration("--batch-send-deadline", arg, 1,
				     &ep->qc.batch_send_deadline_ms);
	case OPT_HEADER: {
		const char *colon = strchr(arg, ':');

		if (!colon || !rw_header_ok(arg, (size_t)(colon - arg)) ||
		    strchr(arg, '\n') || strchr(arg, '\r'))
			return args_bad("--header", arg,
					"not 'NAME: VALUE' with a header "
					"rwsend does not set itself");
		if (f->nheaders == MAX_FLAG_HEADERS)
			return args_bad("--header", arg, "too many headers");
		f->headers[f->nheaders++] = arg;
		return 0;
	}
	case OPT_MAX_BACKOFF:
		return args_duration("--max-backoff", arg, 1,
				     &ep->qc.max_backoff_ms);
	case OPT_MAX_SAMPLES:
		if (args_int("--max-samples-per-send", arg, 1, 1000000, &n) < 0)
			return -1;
		ep->qc.max_samples_per_send = n;
		return 0;
	case OPT_META_INTERVAL:
		return args_duration("--metadata-send-interval", arg, 1,
				     &ep->meta_interval_ms);
	case OPT_MIN_BACKOFF:
		return args_duration("--min-backoff", arg, 1,
				     &ep->qc.min_backoff_ms);
	case OPT_NAME:
		if (!*arg)
			return args_bad("--name", arg, "empty");
		ep->name = arg;
		return 0;
	case OPT_NO_META:
		ep->meta_send = 0;
		return 0;
	case OPT_NO_429:
		ep->qc.retry_on_429 = 0;
		return 0;
	case OPT_TIMEOUT:
		return args_duration("--remote-timeout", arg, 1,
				     &ep->remote_timeout_ms);
	case OPT_AGE_LIMIT:
		return args_duration("--sample-age-limit", arg, 0,
				     &ep->qc.sample_age_limit_ms);
	case OPT_SHARDS:
		if (args_int("--shards", arg, 1, RW_MAX_SHARDS, &n) < 0)
			return -1;
		ep->qc.max_shards = n;
		return 0;
	}
	return -1;
}

static int finish(struct rw_config *cfg, struct rw_global *g,
		  int input_failed, int late)
{
	uint64_t left = 0, failed = 0, dropped = 0, qdropped = 0, queued = 0;
	size_t e;

	for (e = 0; e < cfg->nep; e++) {
		struct rw_endpoint *ep = &cfg->ep[e];
		struct queue_stats q;

		rw_shard_qstats(ep, &q);
		queued += q.records;
		qdropped += q.dropped_records;
		failed += atomic_load(&ep->st.samples_failed) +
			  atomic_load(&ep->st.meta_failed);
		dropped += atomic_load(&ep->st.samples_dropped) +
			   atomic_load(&ep->st.push_errors);
	}
	for (e = 0; e < cfg->nep; e++)
		left += rw_shards_close(&cfg->ep[e]);
	if (left)
		log_error("%llu batches not delivered and lost (no -q DIR)",
			  (unsigned long long)left);
	else if (late && queued && g->queue_dir)
		log_warn("%llu batches not yet delivered stay queued "
			 "in '%s'",
			 (unsigned long long)queued, g->queue_dir);
	if (failed)
		log_error("%llu samples or metadata entries rejected by the "
			  "receiver",
			  (unsigned long long)failed);
	if (qdropped)
		log_error("%llu queued batches dropped by the queue bounds",
			  (unsigned long long)qdropped);
	if (dropped)
		log_error("%llu samples could not be queued",
			  (unsigned long long)dropped);
	return (input_failed || left || failed || qdropped || dropped)
		       ? EXIT_RUNTIME
		       : EXIT_OK;
}

int main(int argc, char **argv)
{
	struct rw_global g;
	struct rw_config cfg;
	struct flags f;
	struct reader rd;
	const char *spool = NULL;
	int c, rc, input_failed, late, max_set = 0;
	size_t e;

	log_init("rwsend");
#if defined(M_MMAP_THRESHOLD) && defined(M_ARENA_MAX)
	/* Buffers of 32KiB and more (batches, records, the input) get pages
	 * of their own, returned when freed, where glibc's moving threshold
	 * would put them in the heap, whose freed holes stay resident; the
	 * senders allocate little and share one arena.  Some 300KiB less
	 * RSS at 10,000 samples a second. */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024);
	mallopt(M_ARENA_MAX, 1);
#endif
	memset(&g, 0, sizeof(g));
	memset(&cfg, 0, sizeof(cfg));
	memset(&f, 0, sizeof(f));
	g.drain_timeout_ms = 30000;
	g.stats_interval_ms = 1000;
	g.sync = 1;
	g.sync_interval_ms = 1000;
	rw_endpoint_defaults(&f.ep);

	while ((c = getopt_long(argc, argv, "c:hq:u:v", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			f.config = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'q':
			g.queue_dir = optarg;
			break;
		case 'u':
			f.url = optarg;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case OPT_DRAIN:
			if (args_duration("--drain-timeout", optarg, 0,
					  &g.drain_timeout_ms) < 0)
				return EXIT_CONFIG;
			break;
		case OPT_FSYNC_INTERVAL:
			if (args_duration("--fsync-interval", optarg, 0,
					  &g.sync_interval_ms) < 0)
				return EXIT_CONFIG;
			break;
		case OPT_NO_FSYNC:
			g.sync = 0;
			break;
		case OPT_QMAX_AGE:
			if (args_duration("--queue-max-age", optarg, 0,
					  &g.queue_max_age_ms) < 0)
				return EXIT_CONFIG;
			break;
		case OPT_QMAX_BYTES:
			if (parse_size(optarg, strlen(optarg),
				       &g.queue_max_bytes) < 0) {
				args_bad("--queue-max-bytes", optarg,
					 "not a size such as 512MiB");
				return EXIT_CONFIG;
			}
			max_set = 1;
			break;
		case OPT_SPOOL:
			spool = optarg;
			if (strcmp(optarg, "always") == 0) {
				g.spool_on_failure = 0;
			} else if (strcmp(optarg, "on-failure") == 0) {
				g.spool_on_failure = 1;
			} else {
				args_bad("--spool", optarg,
					 "not 'always' or 'on-failure'");
				return EXIT_CONFIG;
			}
			break;
		case OPT_STATS:
			g.stats_file = optarg;
			break;
		case OPT_VERSION:
			obs_print_version();
			return EXIT_OK;
		case '?':
			usage(stderr);
			return EXIT_CONFIG;
		default:
			if (endpoint_option(&f, c, optarg) < 0)
				return EXIT_CONFIG;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0) {
		log_error("unexpected operand '%s': input is standard input",
			  argv[0]);
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (!f.config == !f.url) {
		log_error(f.config ? "-c and -u exclude each other"
				   : "no receiver: give -u URL or -c FILE");
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (f.config && f.endpoint_opts) {
		log_error("endpoint options go with -u, not -c: set them in "
			  "'%s'",
			  f.config);
		return EXIT_CONFIG;
	}
	if (spool && g.spool_on_failure && !g.queue_dir) {
		log_error("--spool on-failure needs -q DIR");
		return EXIT_CONFIG;
	}
	if (!max_set)
		g.queue_max_bytes = g.queue_dir ? DEFAULT_DISK_MAX
						: DEFAULT_MEM_MAX;

	if (f.url) {
		if (strncmp(f.url, "http://", 7) != 0 &&
		    strncmp(f.url, "https://", 8) != 0) {
			args_bad("-u", f.url, "not an http or https URL");
			return EXIT_CONFIG;
		}
		if (args_http_check(&f.ep.http) < 0)
			return EXIT_CONFIG;
		if (f.ep.qc.max_backoff_ms < f.ep.qc.min_backoff_ms) {
			log_error("--max-backoff is less than --min-backoff");
			return EXIT_CONFIG;
		}
		f.ep.url = f.url;
		f.ep.headers = f.headers;
		f.ep.nheaders = f.nheaders;
		cfg.ep = calloc(1, sizeof(*cfg.ep));
		if (!cfg.ep) {
			log_errno("cannot allocate");
			return EXIT_RUNTIME;
		}
		cfg.ep[0] = f.ep;
		cfg.nep = 1;
		if (rw_endpoint_finish(&cfg.ep[0]) < 0) {
			log_errno("cannot allocate");
			return EXIT_RUNTIME;
		}
	} else {
		relabel_free(&f.ep.relabel);
		labels_free(&f.ep.scratch);
		buf_free(&f.ep.hdrbuf);
		if (rw_config_load(&cfg, f.config) < 0) {
			rw_config_free(&cfg);
			return EXIT_CONFIG;
		}
	}

	if (sig_init() < 0 || http_global_init() < 0) {
		rw_config_free(&cfg);
		return EXIT_RUNTIME;
	}
	for (e = 0; e < cfg.nep; e++)
		if (rw_shards_open(&cfg.ep[e], &g) < 0) {
			for (; e + 1 > 0; e--)
				rw_shards_close(&cfg.ep[e]);
			rw_config_free(&cfg);
			return EXIT_RUNTIME;
		}
	for (e = 0; e < cfg.nep; e++)
		if (rw_shards_start(&cfg.ep[e]) < 0) {
			rw_abort = 1;
			rw_senders_drain();
			rw_senders_join(cfg.ep, cfg.nep, 0);
			finish(&cfg, &g, 1, 1);
			rw_config_free(&cfg);
			return EXIT_RUNTIME;
		}

	/* without a cache every line takes the long way */
	for (e = 0; e < cfg.nep; e++)
		cfg.ep[e].sc = rw_scache_new();
	memset(&rd, 0, sizeof(rd));
	rd.posfd = -1;
	/* A test-only hook, as git and SQLite have: tests/rwsend.bats kills
	 * rwsend at the one point of the hand-off from journal to queue
	 * that a kill -9 under load hits once in many runs.  Not for users,
	 * so not in the man page. */
	{
		const char *crash = getenv("OBS_RWSEND_TEST_CRASH");

		rd.crash_after_append =
			crash && strcmp(crash, "after-queue-append") == 0;
	}
	rd.eps = cfg.ep;
	rd.nep = cfg.nep;
	rd.g = &g;
	buf_init(&rd.enc, 0);
	rd.lim_log = (struct log_limit)LOG_LIMIT_INIT;
	rd.lim_bad = (struct log_limit)LOG_LIMIT_INIT;
	/* the packed labels of one line (at most OBS_LINE_MAX, a label of
	 * it at least 6 bytes, packed at most 14) */
	buf_init(&rd.pk.scratch, 3 * OBS_LINE_MAX);
	expo_init(&rd.ex, 0);
	record_init(&rd.rec);
	for (e = 0; e < cfg.nep; e++)
		if (cfg.ep[e].qc.sample_age_limit_ms > 0)
			rd.need_now = 1;
	/* With memory queues, queued is not durable: no journal. */
	if (g.queue_dir && !g.spool_on_failure) {
		if (journal_open(&rd.jn, g.queue_dir) < 0) {
			rw_abort = 1;
			rw_senders_drain();
			rw_senders_join(cfg.ep, cfg.nep, 0);
			finish(&cfg, &g, 1, 1);
			rw_config_free(&cfg);
			return EXIT_RUNTIME;
		}
		rd.journal = 1;
		rd.posfd = open_pos(&rd);
		if (rd.posfd >= 0)
			load_pos(&rd);
		/* the journal's own base, if it has one, is the truth */
		journal_set_base(&rd.jn, rd.jabs);
		rd.jabs = rd.jn.base;
	}
	input_failed = read_input(&rd) < 0;

	/* EOF or a signal: flush, then wait for the receivers. */
	flush_all(&rd);
	if (rd.journal) {
		int64_t need = jreader_next(&rd.in);

		/* all queued: the journal goes (the offsets go on from its
		 * end); else its tail stays */
		if (need < rd.jn.size) {
			cut_journal(&rd, need);
			journal_close(&rd.jn, 0);
		} else {
			if (!rd.jn.failed)
				save_pos(&rd, rd.jabs + rd.jn.size);
			journal_close(&rd.jn, !rd.jn.failed);
		}
		if (rd.posfd >= 0)
			close(rd.posfd);
	}
	rw_meta_flush(cfg.ep, cfg.nep, clock_mono_ms(), 1);
	/* on disk now, not after the drain, which may take long */
	if (g.queue_dir && g.sync)
		for (e = 0; e < cfg.nep; e++)
			rw_shards_sync(&cfg.ep[e], 1);
	rw_senders_drain();
	late = rw_senders_join(cfg.ep, cfg.nep,
			       clock_mono_ms() + g.drain_timeout_ms);
	if (g.stats_file)
		write_stats(&rd);
	jreader_free(&rd.in);
	expo_free(&rd.ex);
	record_free(&rd.rec);
	rw_packed_free(&rd.pk);
	buf_free(&rd.enc);
	rc = finish(&cfg, &g, input_failed, late);
	rw_meta_free();
	rw_batch_cache_free();
	for (e = 0; e < cfg.nep; e++)
		rw_scache_free(cfg.ep[e].sc);
	rw_config_free(&cfg);
	http_global_cleanup();
	return rc;
}
