/* main.c: lokipush, which delivers log entries to Loki's push API. */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "buf.h"
#include "clock.h"
#include "expo.h"
#include "hash.h"
#include "http.h"
#include "journal.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "lokipush.h"
#include "obs.h"
#include "queue.h"
#include "record.h"
#include "sig.h"
#include "stats.h"
#include "banned.h"

#define DEFAULT_DISK_MAX (1024ull << 20)
#define DEFAULT_MEM_MAX (64ull << 20)

static const char usage_text[] =
	"usage: lokipush [-hv] [-q DIR] [--drain-timeout DUR] "
	"[--no-fsync]\n"
	"                [--queue-max-age DUR] [--queue-max-bytes SIZE]\n"
	"                [--stats-file PATH] -c FILE | -u URL "
	"[endpoint options]\n"
	"endpoint options: [--basic-auth-user USER] "
	"[--basic-auth-password-file FILE]\n"
	"  [--batch-size SIZE] [--batch-wait DUR] [--bearer-token-file FILE]\n"
	"  [--ca-file FILE] [--cert-file FILE] [--format protobuf|json]\n"
	"  [--header 'NAME: VALUE'] [--insecure-skip-verify] "
	"[--key-file FILE]\n"
	"  [--max-age DUR] [--max-backoff DUR] [--max-retries N] "
	"[--min-backoff DUR]\n"
	"  [--no-retry-on-429] [--proxy-url URL] [--remote-timeout DUR]\n"
	"  [--server-name NAME] [--tenant-id ID]\n";

/* and the HTTP client flags of args.h (ARGS_HTTP_*) */
enum {
	OPT_BATCH_SIZE = 256, OPT_BATCH_WAIT, OPT_DRAIN, OPT_FORMAT,
	OPT_HEADER, OPT_MAX_AGE, OPT_MAX_BACKOFF, OPT_MAX_RETRIES,
	OPT_MIN_BACKOFF, OPT_NO_FSYNC, OPT_NO_429, OPT_QMAX_AGE,
	OPT_QMAX_BYTES, OPT_TIMEOUT, OPT_STATS, OPT_TENANT, OPT_VERSION,
};

static const struct option longopts[] = {
	{ "basic-auth-password-file", required_argument, NULL,
	  ARGS_HTTP_BASIC_PASS_FILE },
	{ "basic-auth-user", required_argument, NULL, ARGS_HTTP_BASIC_USER },
	{ "batch-size", required_argument, NULL, OPT_BATCH_SIZE },
	{ "batch-wait", required_argument, NULL, OPT_BATCH_WAIT },
	{ "bearer-token-file", required_argument, NULL, ARGS_HTTP_BEARER_FILE },
	{ "ca-file", required_argument, NULL, ARGS_HTTP_CA },
	{ "cert-file", required_argument, NULL, ARGS_HTTP_CERT },
	{ "config", required_argument, NULL, 'c' },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "help", no_argument, NULL, 'h' },
	{ "insecure-skip-verify", no_argument, NULL, ARGS_HTTP_INSECURE },
	{ "key-file", required_argument, NULL, ARGS_HTTP_KEY },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "max-backoff", required_argument, NULL, OPT_MAX_BACKOFF },
	{ "max-retries", required_argument, NULL, OPT_MAX_RETRIES },
	{ "min-backoff", required_argument, NULL, OPT_MIN_BACKOFF },
	{ "no-fsync", no_argument, NULL, OPT_NO_FSYNC },
	{ "no-retry-on-429", no_argument, NULL, OPT_NO_429 },
	{ "proxy-url", required_argument, NULL, ARGS_HTTP_PROXY },
	{ "queue-dir", required_argument, NULL, 'q' },
	{ "queue-max-age", required_argument, NULL, OPT_QMAX_AGE },
	{ "queue-max-bytes", required_argument, NULL, OPT_QMAX_BYTES },
	{ "remote-timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "server-name", required_argument, NULL, ARGS_HTTP_SERVER_NAME },
	{ "stats-file", required_argument, NULL, OPT_STATS },
	{ "tenant-id", required_argument, NULL, OPT_TENANT },
	{ "url", required_argument, NULL, 'u' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

struct global {
	const char *queue_dir, *stats_file;
	uint64_t queue_max_bytes;
	int64_t queue_max_age_ms, drain_timeout_ms;
	int sync;
};

/* ---- the streams seen ---- */

/*
 * Entries of one stream share their label set, written the same way: so
 * the labels a stream sends, formatted and hashed, are kept under the
 * text "{...}" its lines start with, and later lines of it only have
 * their timestamp and line read.  Bounded: full, it starts over.
 */
#define SC_SLOTS 1024u		/* at most half of them used */
#define SC_MAX_BYTES (4u << 20)

struct sc_ent {
	char *key;		/* the text, then the labels to send */
	size_t klen, flen;
	uint64_t khash, fhash;
	size_t hint;		/* where lp_batch_add_key() found it */
};

struct scache {
	struct sc_ent *tab;
	size_t used, bytes;
	struct sc_ent *last[4];
	struct buf text;
	struct labels tmp;
};

static uint64_t sc_hash(const char *s, size_t n)
{
	return obs_fnv1a64(s, n);
}

static void sc_clear(struct scache *c)
{
	size_t i;

	for (i = 0; c->tab && i < SC_SLOTS; i++) {
		free(c->tab[i].key);
		c->tab[i].key = NULL;
	}
	c->used = c->bytes = 0;
	memset(c->last, 0, sizeof(c->last));
}

static void sc_free(struct scache *c)
{
	sc_clear(c);
	free(c->tab);
	c->tab = NULL;
	buf_free(&c->text);
	labels_free(&c->tmp);
}

static struct sc_ent *sc_slot(const struct scache *c, uint64_t h,
			      const char *key, size_t klen)
{
	size_t i = (size_t)h & (SC_SLOTS - 1);

	for (;; i = (i + 1) & (SC_SLOTS - 1)) {
		struct sc_ent *e = &c->tab[i];

		if (!e->key || (e->khash == h && e->klen == klen &&
				memcmp(e->key, key, klen) == 0))
			return e;
	}
}

static struct sc_ent *sc_get(struct scache *c, const char *line, size_t len)
{
	struct sc_ent *e;
	size_t k, i;

	/* lines of a few streams interleave: those seen last first */
	for (i = 0; i < ARRAY_SIZE(c->last) && (e = c->last[i]); i++)
		if (e->klen < len && memcmp(line, e->key, e->klen) == 0)
			goto found;
	if (!c->used || !(k = logentry_labels_end(line, len)))
		return NULL;
	e = sc_slot(c, sc_hash(line, k), line, k);
	if (!e->key)
		return NULL;
	i = ARRAY_SIZE(c->last) - 1;
found:
	memmove(c->last + 1, c->last, i * sizeof(c->last[0]));
	c->last[0] = e;
	return e;
}

/* Keeps the stream of a line that logentry_parse() took, ls its labels. */
static void sc_put(struct scache *c, const char *line, size_t len,
		   const struct labels *ls)
{
	struct buf f = BUF_INIT(OBS_LINE_MAX);
	struct sc_ent *e;
	const char *err;
	size_t k = logentry_labels_end(line, len), pos = 0, col;
	uint64_t h;

	if (!k || (!c->tab && !(c->tab = calloc(SC_SLOTS, sizeof(*c->tab)))))
		return;
	h = sc_hash(line, k);
	if (sc_slot(c, h, line, k)->key)
		return;
	labels_reset(&c->tmp);
	if (expo_parse_labelset(line, len, &pos, &c->tmp, &err, &col) < 0 ||
	    pos != k || labels_format(&f, ls, 0, 1) < 0)
		goto out;
	if ((c->used + 1) * 2 > SC_SLOTS ||
	    c->bytes + k + f.len > SC_MAX_BYTES)
		sc_clear(c);
	e = sc_slot(c, h, line, k);
	if (!(e->key = malloc(k + f.len + 1)))
		goto out;
	memcpy(e->key, line, k);
	memcpy(e->key + k, f.p, f.len + 1);
	e->klen = k;
	e->flen = f.len;
	e->khash = h;
	e->fhash = lp_stream_hash(f.p, f.len);
	e->hint = SIZE_MAX;
	c->used++;
	c->bytes += k + f.len;
out:
	buf_free(&f);
}

/*
 * What follows the label set, ' TS "BODY"', when it is as lineio writes
 * it: the timestamp, and the body unescaped into out.  -1 on anything
 * else (then logentry_parse() reads the line, and reports it if it is
 * bad).
 */
static int sc_tail(const char *s, size_t n, int64_t *ts, struct buf *out)
{
	const char *body;
	size_t blen;
	int esc;

	if (logentry_tail(s, n, ts, &body, &blen, &esc) < 0)
		return -1;
	buf_reset(out);
	return esc ? logline_unescape(out, body, blen) :
		     buf_add(out, body, blen);
}

/* ---- the reader ---- */

struct reader {
	struct lp_endpoint *ep;
	const struct global *g;
	struct lp_stats st;
	struct lp_batch *batch;
	int64_t first_mono;	/* when the batch got its first entry */
	int64_t jpos;		/* journal offset of its first entry's line */
	struct buf enc;
	struct record rec;
	struct jreader in;
	struct journal jn;
	int journal;
	int posfd;		/* DIR/journal.pos, see pos_save() */
	int crash_after_append;	/* test hook, see main() */
	int64_t next_stats;
	struct log_limit lim;
	struct scache sc;
};

/*
 * The journal is cut after each batch is queued; a kill between the push
 * and the cut would make the next run queue the batch's entries again.
 * So DIR/journal.pos, rewritten in place by one pwrite(2) that a kill
 * cannot tear, holds before each push the input offset the cut after it
 * goes to and where the queue ends (queue_tail()); the next run finds in
 * the queue whether that push landed and then makes the cut first.  It
 * also keeps the base for the next journal, so input offsets never go
 * back and an intent of an older journal matches nothing.
 */
#define POS_MAGIC 0x6c77736fu	/* "osw" "l" */

struct lp_pos {
	uint32_t magic, pad;
	int64_t next_base;	/* base of a journal made afresh */
	int64_t cut_to;		/* the intent: input offset, 0 none */
	uint64_t seg;		/* queue_tail() before the push */
	int64_t end;
};

static void pos_save(struct reader *rd, int64_t cut_to)
{
	struct lp_pos p = { POS_MAGIC, 0, 0, cut_to, 0, 0 };

	if (rd->posfd < 0)
		return;
	p.next_base = rd->jn.base + rd->jn.size;
	if (cut_to > 0)
		lp_sender_tail(&p.seg, &p.end);
	if (pwrite(rd->posfd, &p, sizeof(p), 0) != (ssize_t)sizeof(p)) {
		log_errno("cannot write '%s.pos'; a replay may send entries "
			  "twice",
			  buf_cstr(&rd->jn.path));
		close(rd->posfd);
		rd->posfd = -1;
	}
}

/* Opens DIR/journal.pos, gives the journal its base and makes the cut
 * that a push which landed before a kill was to be followed by. */
static void pos_load(struct reader *rd)
{
	struct buf path = BUF_INIT(4096);
	struct lp_pos p;
	uint64_t seg;
	int64_t end;

	if (buf_addf(&path, "%s.pos", buf_cstr(&rd->jn.path)) == 0)
		rd->posfd = open(buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC,
				 0600);
	if (rd->posfd < 0)
		log_errno("cannot open '%s'; a replay may send entries twice",
			  buf_cstr(&path));
	buf_free(&path);
	if (rd->posfd < 0 ||
	    pread(rd->posfd, &p, sizeof(p), 0) != (ssize_t)sizeof(p) ||
	    p.magic != POS_MAGIC || p.next_base < 0)
		return;
	journal_set_base(&rd->jn, p.next_base);
	if (p.cut_to <= rd->jn.base || rd->jn.size == 0)
		return;
	lp_sender_tail(&seg, &end);
	if (queue_tail_grew(p.seg, p.end, seg, end))
		journal_cut(&rd->jn, p.cut_to - rd->jn.base);
}

/* Queues the batch; the caller then cuts the journal at cut. */
static void flush_batch(struct reader *rd, int64_t cut)
{
	size_t n = lp_batch_entries(rd->batch);

	if (!n)
		return;
	if (lp_batch_encode(rd->batch, &rd->enc) < 0) {
		log_errno("cannot encode a batch of %zu entries", n);
		atomic_fetch_add(&rd->st.entries_dropped, n);
		return;
	}
	if (rd->journal && cut > 0)
		pos_save(rd, rd->jn.base + cut);
	if (lp_sender_push(rd->enc.p, rd->enc.len, clock_ms()) < 0)
		atomic_fetch_add(&rd->st.entries_dropped, n);
	else if (rd->crash_after_append)
		raise(SIGKILL);
}

/* Cuts what is queued off the journal after each batch: what is left is
 * the batch being built and the lines not parsed yet, so a replay after
 * kill -9 sends nothing that is in the queue. */
static void journal_tend(struct reader *rd, int64_t need)
{

	if (!rd->journal || rd->jn.fd < 0 || rd->jn.size == 0)
		return;
	if (lp_batch_entries(rd->batch) && rd->jpos < need)
		need = rd->jpos;
	if (need <= 0)
		return;
	if (journal_cut(&rd->jn, need) < 0)
		return;
	jreader_shift(&rd->in, need);
	if (lp_batch_entries(rd->batch))
		rd->jpos -= need;
}

static int write_stats(struct reader *rd);

/* Flushes a batch past batch_wait and writes the stats file; returns the
 * milliseconds until the next thing falls due. */
static int64_t tick(void *arg)
{
	struct reader *rd = arg;
	int64_t now = clock_mono_ms(), next = 1000;

	if (lp_batch_entries(rd->batch)) {
		int64_t left = rd->first_mono + rd->ep->batch_wait_ms - now;

		if (left <= 0) {
			flush_batch(rd, jreader_next(&rd->in));
			journal_tend(rd, jreader_next(&rd->in));
		} else if (left < next) {
			next = left;
		}
	}
	if (rd->g->stats_file) {
		if (now >= rd->next_stats) {
			write_stats(rd);
			rd->next_stats = now + 1000;
		}
		if (rd->next_stats - now < next)
			next = rd->next_stats - now;
	}
	return next < 1 ? 1 : next;
}

static void bad_line(struct reader *rd, const char *why, size_t col)
{
	atomic_fetch_add(&rd->st.lines_bad, 1);
	log_limited(&rd->lim, "%s:%lu: %s at column %zu", rd->in.name,
		    rd->in.lineno, why, col + 1);
}

static void add_line(void *arg, const char *line, size_t len)
{
	struct reader *rd = arg;
	struct lp_endpoint *ep = rd->ep;
	struct record *rec = &rd->rec;
	const char *err = NULL, *text;
	struct sc_ent *e;
	struct buf *tb;
	size_t col = 0, tlen;
	int64_t ts;
	int r;

	if (len == 0 || line[0] == '#')
		return;
	if (line[0] != '{') {
		bad_line(rd, "not a log entry", 0);
		return;
	}
	e = len <= OBS_LINE_MAX ? sc_get(&rd->sc, line, len) : NULL;
	if (e && sc_tail(line + e->klen, len - e->klen, &ts, &rd->sc.text) == 0) {
		tb = &rd->sc.text;
	} else {
		e = NULL;
		if (logentry_parse(line, len, rec, &err, &col) < 0) {
			bad_line(rd, err, col);
			return;
		}
		if (rec->labels.n == 0) {
			bad_line(rd, "a log entry needs at least one label", 0);
			return;
		}
		ts = rec->ts;
		tb = &rec->text;
		sc_put(&rd->sc, line, len, &rec->labels);
	}
	text = buf_cstr(tb);
	tlen = tb->len;
	atomic_fetch_add(&rd->st.entries_in, 1);
	atomic_fetch_add(&rd->st.bytes_in, tlen);
	if (ep->max_age_ms > 0 && ts < clock_ns() - ep->max_age_ms * 1000000) {
		atomic_fetch_add(&rd->st.entries_too_old, 1);
		return;
	}
	/* as Promtail: an entry that would pass batch_size sends first;
	 * this line stays in the journal, it is not in a batch yet */
	if (lp_batch_entries(rd->batch) &&
	    lp_batch_bytes(rd->batch) + tlen > ep->batch_size) {
		flush_batch(rd, rd->in.line_off);
		journal_tend(rd, rd->in.line_off);
	}
	if (e)
		r = lp_batch_add_key(rd->batch, e->key + e->klen, e->flen,
				     e->fhash, &e->hint, ts, text, tlen);
	else
		r = lp_batch_add(rd->batch, &rec->labels, ts, text, tlen);
	if (r < 0) {
		log_errno("cannot add an entry to the batch");
		atomic_fetch_add(&rd->st.entries_dropped, 1);
		return;
	}
	if (lp_batch_entries(rd->batch) == 1) {
		rd->first_mono = clock_mono_ms();
		rd->jpos = rd->in.line_off;
	}
	if (lp_batch_bytes(rd->batch) >= ep->batch_size) {
		flush_batch(rd, jreader_next(&rd->in));
		journal_tend(rd, jreader_next(&rd->in));
	}
}

/* What a run killed before it queued everything it read. */
static int replay_journal(struct reader *rd)
{
	int fd = journal_reader(&rd->jn), ret;
	unsigned long bad;

	if (fd < 0)
		return 0;
	log_warn("replaying %lld bytes of input that an earlier run read "
		 "but did not queue, from '%s'",
		 (long long)rd->jn.size, buf_cstr(&rd->jn.path));
	jreader_init(&rd->in, fd, buf_cstr(&rd->jn.path), NULL);
	rd->in.drop_partial = 1;
	ret = jreader_pump(&rd->in, &sig_stop, add_line, tick, rd);
	flush_batch(rd, ret == 0 ? jreader_next(&rd->in) : 0);
	if (ret == 0 && journal_cut(&rd->jn, jreader_next(&rd->in)) == 0)
		jreader_shift(&rd->in, jreader_next(&rd->in));
	bad = rd->in.bad;
	close(fd);
	jreader_free(&rd->in);
	atomic_fetch_add(&rd->st.lines_bad, bad);
	return ret;
}

/*
 * Log entries stream through the pipeline faster than one program of it
 * reads them at times: with the default 64 KiB pipe, the writer sleeps
 * and is woken every 4 KiB, a pair of context switches each.  A pipe as
 * large as an unprivileged process may ask for (pipe-max-size, 1 MiB by
 * default) lets each side run on.  Not a pipe, or a refusal: nothing.
 */
static void pipe_widen(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
}

static int read_input(struct reader *rd)
{
	int ret;

	if (rd->journal) {
		ret = replay_journal(rd);
		if (ret < 0 || sig_stop)
			return ret;
	}
	pipe_widen(STDIN_FILENO);
	jreader_init(&rd->in, STDIN_FILENO, "-", rd->journal ? &rd->jn : NULL);
	/* offsets count from the start of the journal file */
	if (rd->journal)
		jreader_shift(&rd->in, -rd->jn.size);
	jreader_nonblock(&rd->in);
	ret = jreader_pump(&rd->in, &sig_stop, add_line, tick, rd);
	jreader_restore(&rd->in);
	atomic_fetch_add(&rd->st.lines_bad, rd->in.bad);
	return ret;
}

/* ---- stats ---- */

static int write_stats(struct reader *rd)
{
	struct lp_stats *s = &rd->st;
	struct queue_stats q;
	struct buf b = BUF_INIT(1u << 20);
	int ret = -1;

	lp_sender_qstats(&q);
#define C(name, help, v)                                                     \
	if (stats_add(&b, "obs_lokipush_" name, "counter", help, "",         \
		      (double)(v)) < 0)                                      \
		goto out;
#define G(name, help, v)                                                     \
	if (stats_add(&b, "obs_lokipush_" name, "gauge", help, "",           \
		      (double)(v)) < 0)                                      \
		goto out;
	C("entries_in_total", "Log entries read.", atomic_load(&s->entries_in))
	C("bytes_in_total", "Bytes of log lines read.",
	  atomic_load(&s->bytes_in))
	C("entries_sent_total", "Log entries the receiver accepted.",
	  atomic_load(&s->entries_sent))
	C("bytes_sent_total", "Request body bytes the receiver accepted.",
	  atomic_load(&s->bytes_sent))
	C("entries_failed_total",
	  "Log entries dropped: rejected by the receiver or out of retries.",
	  atomic_load(&s->entries_failed))
	C("entries_too_old_total", "Log entries dropped as older than --max-age.",
	  atomic_load(&s->entries_too_old))
	C("entries_dropped_total", "Log entries that could not be queued.",
	  atomic_load(&s->entries_dropped) + atomic_load(&s->push_errors))
	C("entries_retried_total", "Log entries sent again after a failure.",
	  atomic_load(&s->entries_retried))
	C("lines_bad_total", "Input lines dropped as malformed.",
	  atomic_load(&s->lines_bad))
	C("batches_queued_total", "Batches queued.",
	  atomic_load(&s->batches_queued))
	C("batches_sent_total", "Batches the receiver accepted.",
	  atomic_load(&s->batches_sent))
	C("batches_failed_total", "Batches dropped.",
	  atomic_load(&s->batches_failed))
	C("requests_total", "Push requests made.", atomic_load(&s->requests))
	C("requests_failed_total", "Push requests that will be retried.",
	  atomic_load(&s->requests_failed))
	C("request_duration_seconds_total", "Time spent in push requests.",
	  (double)atomic_load(&s->latency_ms_sum) / 1000.0)
	C("queue_corrupt_records_total", "Queue records skipped as corrupt.",
	  q.corrupt_records + atomic_load(&s->corrupt_records))
	C("queue_dropped_records_total",
	  "Batches dropped by --queue-max-bytes or --queue-max-age.",
	  q.dropped_records)
	G("queue_records", "Batches waiting in the queue.", q.records)
	G("queue_bytes", "Bytes waiting in the queue.", q.bytes)
	G("queue_oldest_age_seconds", "Age of the oldest queued batch.",
	  q.oldest_ms ? (double)(clock_ms() - q.oldest_ms) / 1000.0 : 0)
#undef C
#undef G
	ret = stats_write(rd->g->stats_file, &b);
out:
	if (ret < 0)
		log_errno("cannot write stats file '%s'", rd->g->stats_file);
	buf_free(&b);
	return ret;
}

/* ---- main ---- */

static int endpoint_option(struct lp_endpoint *ep, int c, const char *arg)
{
	long n;
	uint64_t sz;
	int r = args_http(c, arg, &ep->http);

	if (r != 0)
		return r < 0 ? -1 : 0;
	switch (c) {
	case OPT_BATCH_SIZE:
		if (args_size("--batch-size", arg, 1, 64u << 20, &sz) < 0)
			return -1;
		ep->batch_size = sz;
		return 0;
	case OPT_BATCH_WAIT:
		return args_duration("--batch-wait", arg, 1, &ep->batch_wait_ms);
	case OPT_FORMAT:
		if (strcmp(arg, "json") == 0)
			ep->format = LP_JSON;
		else if (strcmp(arg, "protobuf") == 0)
			ep->format = LP_PROTOBUF;
		else
			return args_bad("--format", arg,
				       "not 'protobuf' or 'json'");
		return 0;
	case OPT_HEADER: {
		const char *colon = strchr(arg, ':');

		if (!colon || !lp_header_ok(arg, (size_t)(colon - arg)) ||
		    strchr(arg, '\n') || strchr(arg, '\r'))
			return args_bad("--header", arg,
				       "not 'NAME: VALUE' with a header "
				       "lokipush does not set itself");
		if (ep->nflag_headers == ARRAY_SIZE(ep->flag_headers))
			return args_bad("--header", arg, "too many headers");
		ep->flag_headers[ep->nflag_headers++] = arg;
		return 0;
	}
	case OPT_MAX_AGE:
		return args_duration("--max-age", arg, 0, &ep->max_age_ms);
	case OPT_MAX_BACKOFF:
		return args_duration("--max-backoff", arg, 1, &ep->max_backoff_ms);
	case OPT_MAX_RETRIES:
		if (args_int("--max-retries", arg, 0, 1000000, &n) < 0)
			return -1;
		ep->max_retries = n;
		return 0;
	case OPT_MIN_BACKOFF:
		return args_duration("--min-backoff", arg, 1, &ep->min_backoff_ms);
	case OPT_NO_429:
		ep->retry_on_429 = 0;
		return 0;
	case OPT_TIMEOUT:
		return args_duration("--remote-timeout", arg, 1,
				    &ep->remote_timeout_ms);
	case OPT_TENANT:
		if (!*arg || strchr(arg, '\n') || strchr(arg, '\r'))
			return args_bad("--tenant-id", arg, "not a one-line name");
		ep->tenant_id = arg;
		return 0;
	}
	return -1;
}

static int check_url_flags(struct lp_endpoint *ep, const char *url)
{
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)
		return args_bad("-u", url, "not an http or https URL");
	if (args_http_check(&ep->http) < 0)
		return -1;
	if (ep->max_backoff_ms < ep->min_backoff_ms) {
		log_error("--max-backoff is less than --min-backoff");
		return -1;
	}
	ep->url = url;
	return 0;
}

static int finish(struct reader *rd, int input_failed, int late)
{
	struct queue_stats q;
	uint64_t left, failed, dropped;

	lp_sender_qstats(&q);
	failed = atomic_load(&rd->st.entries_failed);
	dropped = atomic_load(&rd->st.entries_dropped) +
		  atomic_load(&rd->st.push_errors);
	left = lp_sender_close();
	if (left)
		log_error("%llu batches not delivered and lost (no -q DIR)",
			  (unsigned long long)left);
	else if (late && q.records && rd->g->queue_dir)
		log_warn("%llu batches not yet delivered stay queued in '%s'",
			 (unsigned long long)q.records, rd->g->queue_dir);
	if (failed)
		log_error("%llu entries rejected by the receiver or out of "
			  "retries",
			  (unsigned long long)failed);
	if (q.dropped_records)
		log_error("%llu queued batches dropped by the queue bounds",
			  (unsigned long long)q.dropped_records);
	if (dropped)
		log_error("%llu entries could not be queued",
			  (unsigned long long)dropped);
	return (input_failed || left || failed || q.dropped_records ||
		dropped)
		       ? EXIT_RUNTIME
		       : EXIT_OK;
}

int main(int argc, char **argv)
{
	static struct reader rd;
	struct lp_endpoint ep;
	struct global g;
	struct queue_opts qo;
	const char *config = NULL, *url = NULL;
	int c, rc, input_failed, late, endpoint_opts = 0, max_set = 0;

	log_init("lokipush");
	/* Each batch passes through buffers of its size (the batch, its
	 * encoding, the queue's copy, the sender's): a fixed mmap threshold
	 * keeps those mapped on their own, so the queue's copy gives its
	 * pages back once sent, rather than glibc raising the threshold to
	 * its size and keeping them in the heap. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	memset(&g, 0, sizeof(g));
	g.drain_timeout_ms = 30000;
	g.sync = 1;
	lp_endpoint_defaults(&ep);

	while ((c = getopt_long(argc, argv, "c:hq:u:v", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'q':
			g.queue_dir = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case OPT_DRAIN:
			if (args_duration("--drain-timeout", optarg, 0,
					 &g.drain_timeout_ms) < 0)
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
			if (args_size("--queue-max-bytes", optarg, 0,
				      UINT64_MAX, &g.queue_max_bytes) < 0)
				return EXIT_CONFIG;
			max_set = 1;
			break;
		case OPT_STATS:
			g.stats_file = optarg;
			break;
		case OPT_VERSION:
			obs_print_version();
			return EXIT_OK;
		case '?':
			fputs(usage_text, stderr);
			return EXIT_CONFIG;
		default:
			endpoint_opts = 1;
			if (endpoint_option(&ep, c, optarg) < 0)
				return EXIT_CONFIG;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0) {
		log_error("unexpected operand '%s': input is standard input",
			  argv[0]);
		fputs(usage_text, stderr);
		return EXIT_CONFIG;
	}
	if (!config == !url) {
		log_error(config ? "-c and -u exclude each other"
				 : "no receiver: give -u URL or -c FILE");
		fputs(usage_text, stderr);
		return EXIT_CONFIG;
	}
	if (config && endpoint_opts) {
		log_error("endpoint options go with -u, not -c: set them in "
			  "'%s'",
			  config);
		return EXIT_CONFIG;
	}
	if (url && check_url_flags(&ep, url) < 0)
		return EXIT_CONFIG;
	if (config && lp_config_load(&ep, config) < 0) {
		lp_endpoint_free(&ep);
		return EXIT_CONFIG;
	}
	lp_endpoint_finish(&ep);
	if (!max_set)
		g.queue_max_bytes = g.queue_dir ? DEFAULT_DISK_MAX
						: DEFAULT_MEM_MAX;

	if (sig_init() < 0 || http_global_init() < 0) {
		lp_endpoint_free(&ep);
		return EXIT_RUNTIME;
	}
	memset(&qo, 0, sizeof(qo));
	qo.max_bytes = g.queue_max_bytes;
	qo.max_age_ms = g.queue_max_age_ms;
	qo.segment_bytes = 8u << 20;
	qo.sync = g.sync;
	rd.ep = &ep;
	rd.g = &g;
	rd.posfd = -1;
	/* A test-only hook, as git and SQLite have: tests/lokipush.bats
	 * kills lokipush between a batch's push and the journal cut after
	 * it.  Not for users, so not in the man page. */
	{
		const char *crash = getenv("OBS_LOKIPUSH_TEST_CRASH");

		rd.crash_after_append =
			crash && strcmp(crash, "after-queue-append") == 0;
	}
	rd.lim = (struct log_limit)LOG_LIMIT_INIT;
	buf_init(&rd.enc, 0);
	record_init(&rd.rec);
	buf_init(&rd.sc.text, OBS_LINE_MAX);
	labels_init(&rd.sc.tmp);
	rd.batch = lp_batch_new();
	if (!rd.batch || lp_sender_open(&ep, g.queue_dir, &qo, &rd.st) < 0 ||
	    (g.queue_dir && journal_open(&rd.jn, g.queue_dir) < 0) ||
	    lp_sender_start() < 0) {
		lp_abort = 1;
		lp_sender_drain();
		lp_sender_join(0);
		lp_sender_close();
		lp_batch_free(rd.batch);
		lp_endpoint_free(&ep);
		return EXIT_RUNTIME;
	}
	rd.journal = g.queue_dir != NULL;
	if (rd.journal)
		pos_load(&rd);
	input_failed = read_input(&rd) < 0;

	/* EOF or a signal: queue the batch, then wait for the receiver */
	flush_batch(&rd, rd.journal ? jreader_next(&rd.in) : 0);
	if (rd.journal) {
		int64_t need = jreader_next(&rd.in);

		if (need < rd.jn.size)
			journal_cut(&rd.jn, need);
		/* the base for the next journal, before this one goes */
		else if (!rd.jn.failed)
			pos_save(&rd, 0);
		journal_close(&rd.jn, need >= rd.jn.size && !rd.jn.failed);
		if (rd.posfd >= 0)
			close(rd.posfd);
	}
	lp_sender_drain();
	late = lp_sender_join(clock_mono_ms() + g.drain_timeout_ms);
	if (g.stats_file)
		write_stats(&rd);
	jreader_free(&rd.in);
	rc = finish(&rd, input_failed, late);
	buf_free(&rd.enc);
	record_free(&rd.rec);
	sc_free(&rd.sc);
	lp_batch_free(rd.batch);
	lp_endpoint_free(&ep);
	http_global_cleanup();
	return rc;
}
