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
/* Bytes of one scrape's output, which holds the series keys kept for
 * staleness: past it the scrape fails. */
#define SC_BLOCK_MAX (1u << 30)

/*
 * One scrape of a target: the block of lines it writes, and its series,
 * each the key (name{labels}, as written) at an offset in the block, so
 * the next scrape can tell which series went away and write "stale" for
 * them.  The keys are never copied: a target keeps two of these, this
 * scrape's and the last one's.  Entries are in the order written.
 * Scrapes of a target list their series in the same order, so the last
 * scrape's entries are matched from a cursor, and the table (entry
 * indexes + 1, 0 empty) that finds a key by its hash is made only when a
 * key is out of order or a new series must be told from the others
 * (ntab: how many entries are in it; hash 0: not made yet).
 */
struct seen_entry {
	uint64_t hash;
	uint32_t off, len;	/* off may carry SEEN_MARK */
};
#define SEEN_MARK 0x80000000u

struct seen {
	struct buf text;	/* the block; under SEEN_MARK bytes */
	struct seen_entry *e;
	size_t n, ecap, marked, next, ntab;
	uint32_t *tab;
	size_t cap;		/* 0 or a power of two */
};

void seen_init(struct seen *s);
/* Adds the key text.p[off, off + len): 1 when added, 0 when the key was
 * already there, -1 on ENOMEM or EMSGSIZE. */
int seen_add(struct seen *s, size_t off, size_t len);
/* Adds a key the caller knows is not there yet (0, or -1). */
int seen_append(struct seen *s, size_t off, size_t len);
/* Marks the key as seen again: 1, or 2 when it was marked already; 0
 * when it is not there (so the unmarked keys are those that went away);
 * -1 on ENOMEM. */
int seen_mark(struct seen *s, const char *key, size_t len);
/* Empties the block and the series, keeping the memory. */
void seen_reset(struct seen *s);
void seen_free(struct seen *s);
void seen_swap(struct seen *a, struct seen *b);

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
/* Writes a block of nlines whole lines under the lock, each write(2) at
 * most OBS_LINE_ATOMIC bytes ending at a line end as lineio's writer
 * does; -1 on error (reported once, sc_out.failed set). */
int output_block(const struct buf *block, unsigned long nlines);

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
	struct seen prev, cur;	/* cur.text is the block being written */
	struct record rec, rep;
	struct expo ex;
	struct buf pending, family, conflicts;
	unsigned long nlines;	/* lines in cur.text */
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
