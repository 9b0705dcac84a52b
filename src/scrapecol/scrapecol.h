/* scrapecol.h: what the parts of scrapecol share: jobs, targets, the output. */
#ifndef SCRAPECOL_H
#define SCRAPECOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "expo.h"
#include "http.h"
#include "httpconf.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "record.h"
#include "relabel.h"
#include "yconf.h"

/* A response body past this many bytes fails the scrape when the job
 * sets no body_size_limit. */
#define SC_BODY_MAX (256u << 20)

/* Bytes of one scrape's kept lines (see struct seen): past it the
 * scrape fails. */
#define SC_BLOCK_MAX (1u << 30)

/*
 * A series key decoded: its text and where its segments start.  A key
 * is cut into segments after its '{' and after each ',' outside quotes,
 * so the keys of one family differ in a few segments only.
 */
struct seen_key {
	struct buf text;
	uint32_t *seg;		/* nseg + 1 offsets into text */
	size_t nseg, segcap;
};

/* A reader of a struct seen's records, in order. */
struct seen_iter {
	size_t pos;		/* offset of the next record */
	size_t idx;		/* samples read so far */
	struct seen_key k[2];	/* k[cur]: the last key read, decoded in */
	int cur;		/* place when it can, else into the other */
};

/* What seen_next() read. */
struct seen_rec {
	int kind;		/* SEEN_COMMENT, SEEN_SAMPLE or SEEN_OWN_TS */
	const char *text;	/* the comment line, or the key */
	size_t len;
	double value;
	int64_t ts;		/* SEEN_OWN_TS only */
	size_t idx;		/* samples: 0, 1, ... in order */
	size_t enc, enclen;	/* samples: where the key's code lies */
	const uint32_t *seg;	/* samples: the key's segments */
	size_t nseg;
};
#define SEEN_COMMENT 'C'
#define SEEN_SAMPLE 'S'		/* tracked for staleness */
#define SEEN_OWN_TS 'O'		/* its own timestamp: not tracked */

struct seen_slot {
	uint32_t hash, idx1;	/* idx1: sample index + 1; 0 empty */
};

/*
 * The lines one scrape of a target keeps until it is written (nothing
 * of a scrape that fails goes out) and then for the next scrape, which
 * writes "stale" for its series that went away.  The lines are records
 * in enc: a comment as it is; a sample as its value (an integer as a
 * varint, one a float holds as such in 4 bytes), its timestamp when it
 * has its own, and its key coded against the key of the sample
 * before (segments the same as there are copied, the others written
 * after the prefix they share), every SEEN_RESTART-th key whole so any
 * key can be read from the nearest such one.  A scrape lists its series
 * in the order of the last one, mostly: the last scrape is read along
 * from a cursor, and the code of a key found there in step is copied as
 * it is.  Tables that find a key by its hash are made only for keys out
 * of order (all of the last scrape's, with their text for as long as
 * that scrape is the last one: a target that lists its series in
 * another order each time costs memory like the text of its series)
 * and new series (this scrape's new ones, to tell a series given
 * twice).
 */
#define SEEN_RESTART 64
struct seen {
	struct buf enc;
	size_t n;		/* samples */
	size_t marked;		/* samples marked seen again */
	unsigned char *mark;	/* a bit per sample */
	size_t markcap;		/* bytes */
	uint32_t *restart;	/* enc offset of sample i * SEEN_RESTART */
	size_t nrestart, restartcap;
	struct seen_slot *tab;
	size_t cap, ntab;	/* cap: 0 or a power of two */
	int taball;		/* tab holds every tracked sample */
	/* with taball: the keys as text (ktext at koff[i], klen[i]), so
	 * a lookup out of order compares them at once */
	struct buf ktext;
	uint32_t *koff, *klen;
	size_t kcap;
	struct seen_key last;	/* the key of the last sample added */
	struct seen_key scratch;
	/* read as the last scrape */
	struct seen_iter rd, ra;	/* the cursor; random access */
	int peeked;		/* rd's next tracked sample is in peek */
	int rdstale;		/* rd's last key is cur's (put_in_step()) */
	struct seen_rec peek;
	int step;		/* the last sample added was read at step_idx */
	size_t step_idx;
};

void seen_init(struct seen *s);
/* Empties the records, keeping the memory (but for the keys' text made
 * for lookups out of order). */
void seen_reset(struct seen *s);
void seen_free(struct seen *s);
void seen_swap(struct seen *a, struct seen *b);
/* Drops tables that only served the scrape that built s. */
void seen_trim(struct seen *s);

/* Appends a comment line (without its newline); -1 on ENOMEM/EMSGSIZE. */
int seen_comment(struct seen *s, const char *line, size_t len);
/*
 * Appends the sample of series key[0..len) to cur, prev being the last
 * scrape: with has_ts, a sample of its own timestamp ts, never tracked;
 * else one tracked for staleness, marked in prev when prev has it.
 * Returns 1 for a series prev did not have (or has_ts), 2 for one it
 * had, 0 when cur has the series already (nothing added: the first one
 * stands), -1 on ENOMEM or EMSGSIZE.
 */
int seen_put(struct seen *cur, struct seen *prev, const char *key,
	     size_t len, double v, int has_ts, int64_t ts);

/* The next tracked sample of prev at its cursor (NULL if none), and
 * its taking as the sample put, of value v: what seen_put() returns for
 * its key. */
const struct seen_rec *seen_peek(struct seen *cur, struct seen *prev);
int seen_take(struct seen *cur, struct seen *prev, double v);

void seen_iter_init(struct seen_iter *it);
void seen_iter_free(struct seen_iter *it);
/* Reads records from the start. */
void seen_iter_rewind(struct seen_iter *it);
/* The next record: 1, 0 at the end, -1 if enc is damaged.  The key is
 * valid until the next call. */
int seen_next(const struct seen *s, struct seen_iter *it, struct seen_rec *r);
/* 1 if prev's sample idx was marked seen again. */
int seen_marked(const struct seen *s, size_t idx);

/* One query parameter of a job (params: a list of values per name). */
struct sc_param {
	const char *name;
	const char *const *values;
	size_t nvalues;
};

/* A file_sd_configs file seen: its identity, to notice a change. */
struct sd_file {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
	char *data;		/* last contents read well (kept on errors) */
	size_t len;
};

struct sd_files {
	char **patterns;	/* resolved against the config file's dir */
	size_t npatterns;
	struct sd_file *files;
	size_t nfiles;
	int64_t refresh_ms;
	int64_t next_refresh;	/* monotonic */
};

struct target;
struct scrape;

/* One scrape_configs entry. */
struct job {
	const char *name;
	int64_t interval_ms, timeout_ms;
	const char *metrics_path, *scheme;
	struct sc_param *params;
	size_t nparams;
	int honor_labels, honor_timestamps;
	struct http_opts http;
	uint64_t body_size_limit;
	long sample_limit, label_limit, label_name_length_limit;
	long label_value_length_limit, target_limit;
	struct relabel_rules relabel;	/* on targets, main thread only */
	const struct ynode *metric_relabel; /* loaded once per target thread */
	const struct ynode **groups;	/* static_configs entries */
	size_t ngroups;
	struct sd_files *sd;		/* one per file_sd_configs entry */
	size_t nsd;
	/* runtime */
	struct target **targets;
	size_t ntargets;
};

struct sc_config {
	const char *file;
	struct ynode *yroot;
	struct job *jobs;
	size_t njobs;
	struct httpconf hc;	/* owns the jobs' allocations */
};

/* A job with Prometheus' defaults (path, scheme, honor_timestamps). */
void job_defaults(struct job *job);
/* Loads -c FILE; errors are reported as FILE:LINE: KEY: reason. */
int config_load(struct sc_config *cfg, const char *path);
void config_free(struct sc_config *cfg);

/* The one writer of stdout, shared by the target threads. */
struct output {
	pthread_mutex_t mu;
	struct lineio_writer w;
	int failed;		/* stdout is gone: stop */
};

extern struct output sc_out;
/* A scrape's lines go out between output_begin() and output_end(),
 * under the lock, so they stay together: output_lines() writes whole
 * lines, each write(2) at most OBS_LINE_ATOMIC bytes ending at a line
 * end as lineio's writer does; -1 on error (reported once,
 * sc_out.failed set). */
void output_begin(void);
int output_lines(const char *p, size_t n, unsigned long nlines);
void output_end(void);

struct sc_counters {
	uint64_t scrapes, failures, samples, stale;
};

/* A target: one thread scraping one URL on its interval. */
struct target {
	struct job *job;
	struct labels labels;	/* all, __address__ and the like included */
	struct labels pub;	/* what goes on series: no "__" labels */
	struct buf pubtext;	/* pub as written: name="value" each */
	uint32_t *pubcut;	/* pub.n + 1 offsets into pubtext */
	int direct;		/* keys may be written from pubtext */
	char *url;
	uint64_t id;		/* labels_hash(labels): identity in a job */
	int64_t interval_ms, timeout_ms;
	int once;		/* one scrape, then the thread ends */
	struct http_client *http;
	struct relabel_rules mrelabel;
	pthread_t thr;
	int started;
	volatile int stop;	/* also cancels a request in flight */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* owned by the thread */
	struct seen prev, cur;	/* cur: the scrape under way */
	struct seen_iter it;
	struct record rec, rep;
	struct expo ex;
	struct buf pending, family, conflicts;
	struct buf key;		/* the series key being made */
	struct buf line;	/* the body's line cut by a chunk's end */
	struct buf out;		/* lines on their way to stdout */
	struct scrape *sx;	/* the scrape under way */
	struct http_response resp;
	struct log_limit limit;
	int last_failed;	/* the last scrape failed */
	int ever_scraped;
	struct sc_counters n;	/* read by the stats writer, racy is fine */
};

/* target.c */
struct target *target_new(struct job *job, const struct labels *ls,
			  const char *url, int64_t interval_ms,
			  int64_t timeout_ms);
int target_start(struct target *t);
/* Stops the thread and frees the target; stale markers for what it last
 * wrote when end_stale is set (the target went away). */
void target_stop(struct target *t, int end_stale);
/* Stops old and takes over its last scrape's series (for staleness),
 * then frees old: a target carried over a reload. */
void target_adopt(struct target *t, struct target *old);
/* One scrape (what the thread runs each interval); 0 up, -1 down. */
int target_scrape(struct target *t);

/* discover.c: targets of a job from static_configs and file_sd_configs,
 * with relabel_configs applied; syncs job->targets: targets that stay
 * keep running, new ones start (taking over those of prev, the job of the
 * same name before a reload, when not NULL), gone ones stop. */
int discover_job(struct job *job, struct job *prev, int once);
/* 1 if a file_sd file of the job changed (or the refresh is due). */
int discover_changed(struct job *job);

/* Go's model.Duration format: "15s", "1m30s", "500ms". */
int duration_format(struct buf *out, int64_t ms);
/* Appends s percent-encoded as Go's url.QueryEscape does. */
int query_escape(struct buf *out, const char *s, size_t n);

#endif
