/* main.c: scrapecol, Prometheus and OpenMetrics endpoints scraped into the line format. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "buf.h"
#include "clock.h"
#include "http.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "parse.h"
#include "scrapecol.h"
#include "sig.h"
#include "stats.h"
#include "banned.h"

#define STATS_INTERVAL_MS 10000
#define SD_CHECK_MS 1000

struct output sc_out = { .mu = PTHREAD_MUTEX_INITIALIZER };

static const char usage_text[] =
    "usage: scrapecol [-hv] [-c FILE [--check-config | --once]] [-j JOB] [-t DUR]\n"
    "                 [--bearer-token-file FILE] [--stats-file PATH] "
    "[--version] [URL...]\n";

static void
usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Whole lines from where they lie, without the copy into the
 * writer's buffer. */
static int
write_chunks(int fd, const char *p, size_t n)
{
	while (n > 0) {
		size_t lim = n < OBS_LINE_ATOMIC ? n : OBS_LINE_ATOMIC, k;
		const char *nl = memrchr(p, '\n', lim);
		ssize_t w;

		if (nl == NULL)		/* one line longer than lim */
			nl = memchr(p + lim, '\n', n - lim);
		k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		while (k > 0) {
			w = write(fd, p, k);
			if (w < 0) {
				struct pollfd pfd = { fd, POLLOUT, 0 };

				if (errno == EINTR)
					continue;
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					return -1;
				(void)poll(&pfd, 1, -1);
				continue;
			}
			p += w;
			n -= (size_t)w;
			k -= (size_t)w;
		}
	}
	return 0;
}

void
output_begin(void)
{
	pthread_mutex_lock(&sc_out.mu);
	if (!sc_out.failed && lineio_flush(&sc_out.w) < 0) {
		log_errno("write to standard output");
		sc_out.failed = 1;
	}
}

int
output_lines(const char *p, size_t n, unsigned long nlines)
{
	if (sc_out.failed)
		return -1;
	if (write_chunks(sc_out.w.fd, p, n) < 0) {
		log_errno("write to standard output");
		sc_out.failed = 1;
		return -1;
	}
	sc_out.w.lines += nlines;
	return 0;
}

void
output_end(void)
{
	pthread_mutex_unlock(&sc_out.mu);
}

/* The ad-hoc job of URL operands: the URL as given, job -j, instance
 * host:port. */
struct adhoc {
	const char *job;
	int64_t timeout_ms;
	const char *token_file;
};

static int
adhoc_job(struct job *job, const struct adhoc *a)
{
	const char *tok = getenv("SCRAPECOL_BEARER_TOKEN");

	job_defaults(job);
	job->name = a->job;
	job->interval_ms = a->timeout_ms;
	job->timeout_ms = a->timeout_ms;
	if (a->token_file != NULL) {
		job->http.bearer_token_file = a->token_file;
	} else if (tok != NULL && *tok != '\0') {
		job->http.bearer_token = tok;
	}
	return 0;
}

/* instance of a URL: its host and port, the port from the scheme if the
 * URL has none (as __address__ would be). */
static int
url_instance(const char *url, struct labels *ls)
{
	const char *h, *e;
	int https = strncmp(url, "https://", 8) == 0;
	struct buf b = BUF_INIT(4096);
	int rc;

	if (!https && strncmp(url, "http://", 7) != 0)
		return -1;
	h = url + (https ? 8 : 7);
	e = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(e - h)) != NULL)
		h = (const char *)memchr(h, '@', (size_t)(e - h)) + 1;
	if (e == h)
		return -1;
	rc = buf_add(&b, h, (size_t)(e - h));
	if (rc == 0 && (h[0] == '[' ? e[-1] == ']' :
	    memchr(h, ':', (size_t)(e - h)) == NULL))
		rc = buf_addstr(&b, https ? ":443" : ":80");
	if (rc == 0)
		rc = labels_set(ls, "instance", 8, b.p, b.len);
	buf_free(&b);
	return rc;
}

static int
run_adhoc(const struct adhoc *a, char **urls, int n)
{
	struct job job;
	struct target **ts;
	struct labels ls;
	int i, failed = 0;

	if (adhoc_job(&job, a) < 0)
		return EXIT_CONFIG;
	ts = calloc((size_t)n, sizeof(*ts));
	if (ts == NULL) {
		log_errno("scrape");
		return EXIT_RUNTIME;
	}
	labels_init(&ls);
	for (i = 0; i < n; i++) {
		labels_reset(&ls);
		if (labels_set(&ls, "job", 3, job.name, strlen(job.name)) < 0 ||
		    url_instance(urls[i], &ls) < 0) {
			failed = 1;
			continue;
		}
		ts[i] = target_new(&job, &ls, urls[i], job.interval_ms,
		    job.timeout_ms);
		if (ts[i] == NULL) {
			failed = 1;
			continue;
		}
		ts[i]->once = 1;
		if (target_start(ts[i]) < 0)
			failed = 1;
	}
	for (i = 0; i < n; i++) {
		if (ts[i] == NULL)
			continue;
		if (ts[i]->started)
			pthread_join(ts[i]->thr, NULL);
		ts[i]->started = 0;
		if (ts[i]->last_failed || !ts[i]->ever_scraped)
			failed = 1;
		target_stop(ts[i], 0);
	}
	free(ts);
	labels_free(&ls);
	relabel_free(&job.relabel);
	return failed || sc_out.failed ? EXIT_RUNTIME : EXIT_OK;
}

static void
write_stats(const char *path, const struct sc_config *cfg)
{
	struct buf b = BUF_INIT(0), lab = BUF_INIT(1 << 16);
	size_t i, j;
	int r = 0;

	for (i = 0; i < cfg->njobs; i++) {
		const struct job *job = &cfg->jobs[i];
		struct sc_counters c = { 0, 0, 0, 0 };

		for (j = 0; j < job->ntargets; j++) {
			c.scrapes += job->targets[j]->n.scrapes;
			c.failures += job->targets[j]->n.failures;
			c.samples += job->targets[j]->n.samples;
			c.stale += job->targets[j]->n.stale;
		}
		buf_reset(&lab);
		r |= buf_addstr(&lab, "job=\"");
		r |= label_escape(&lab, job->name, strlen(job->name));
		r |= buf_addch(&lab, '"');
		r |= stats_add(&b, "obs_scrapecol_targets", "gauge",
		    "Targets scraped now.", buf_cstr(&lab),
		    (double)job->ntargets);
	}
	for (i = 0; i < cfg->njobs; i++) {
		const struct job *job = &cfg->jobs[i];
		uint64_t v[4] = { 0, 0, 0, 0 };
		static const char *const names[] = {
		    "obs_scrapecol_scrapes_total",
		    "obs_scrapecol_scrape_failures_total",
		    "obs_scrapecol_samples_total",
		    "obs_scrapecol_stale_markers_total" };
		static const char *const helps[] = { "Scrapes done.",
		    "Scrapes that failed (up 0).",
		    "Samples written by successful scrapes.",
		    "Staleness markers written." };
		size_t k;

		for (j = 0; j < job->ntargets; j++) {
			v[0] += job->targets[j]->n.scrapes;
			v[1] += job->targets[j]->n.failures;
			v[2] += job->targets[j]->n.samples;
			v[3] += job->targets[j]->n.stale;
		}
		buf_reset(&lab);
		r |= buf_addstr(&lab, "job=\"");
		r |= label_escape(&lab, job->name, strlen(job->name));
		r |= buf_addch(&lab, '"');
		for (k = 0; k < 4; k++)
			r |= stats_add(&b, names[k], "counter", helps[k],
			    buf_cstr(&lab), (double)v[k]);
	}
	r |= stats_add(&b, "obs_scrapecol_lines_out_total", "counter",
	    "Lines written.", "", (double)sc_out.w.lines);
	if (r != 0 || stats_write(path, &b) < 0)
		log_errno("write stats '%s'", path);
	buf_free(&b);
	buf_free(&lab);
}

/* SIGHUP: the new file replaces the running config if it loads; targets
 * that stay go on with their series, those gone are marked stale. */
static void
reload(struct sc_config *cfg)
{
	struct sc_config ncfg;
	size_t i, j;

	if (config_load(&ncfg, cfg->file) < 0) {
		config_free(&ncfg);
		log_error("reload '%s' failed: the running config stays",
		    cfg->file);
		return;
	}
	for (i = 0; i < ncfg.njobs; i++) {
		struct job *prev = NULL;

		for (j = 0; j < cfg->njobs; j++)
			if (strcmp(cfg->jobs[j].name, ncfg.jobs[i].name) == 0)
				prev = &cfg->jobs[j];
		discover_job(&ncfg.jobs[i], prev, 0);
	}
	for (i = 0; i < cfg->njobs; i++) {
		for (j = 0; j < cfg->jobs[i].ntargets; j++)
			target_stop(cfg->jobs[i].targets[j], 1);
		cfg->jobs[i].ntargets = 0;
	}
	config_free(cfg);
	*cfg = ncfg;
	log_debug("reloaded '%s'", cfg->file);
}

static int
run_config(struct sc_config *cfg, int once, const char *stats_path)
{
	int64_t next_sd = 0, next_stats = 0;
	size_t i, j;
	int failed = 0;

	for (i = 0; i < cfg->njobs; i++)
		if (discover_job(&cfg->jobs[i], NULL, once) < 0)
			failed = 1;
	if (once) {
		for (i = 0; i < cfg->njobs; i++)
			for (j = 0; j < cfg->jobs[i].ntargets; j++) {
				struct target *t = cfg->jobs[i].targets[j];

				pthread_join(t->thr, NULL);
				t->started = 0;
				if (t->last_failed || !t->ever_scraped)
					failed = 1;
			}
		if (stats_path != NULL)
			write_stats(stats_path, cfg);
		goto out;
	}
	next_sd = clock_mono_ms() + SD_CHECK_MS;
	while (!sig_stop && !sc_out.failed) {
		int64_t now = clock_mono_ms(), wake = next_sd;

		if (sig_hup) {
			sig_hup = 0;
			reload(cfg);
		}

		if (stats_path != NULL && now >= next_stats) {
			write_stats(stats_path, cfg);
			next_stats = now + STATS_INTERVAL_MS;
		}
		if (now >= next_sd) {
			for (i = 0; i < cfg->njobs; i++)
				if (cfg->jobs[i].nsd > 0 &&
				    discover_changed(&cfg->jobs[i]))
					discover_job(&cfg->jobs[i], NULL, 0);
			next_sd = now + SD_CHECK_MS;
			wake = next_sd;
		}
		if (stats_path != NULL && next_stats < wake)
			wake = next_stats;
		clock_sleep_ms(wake - clock_mono_ms());
	}
out:
	for (i = 0; i < cfg->njobs; i++) {
		for (j = 0; j < cfg->jobs[i].ntargets; j++)
			target_stop(cfg->jobs[i].targets[j], 0);
		cfg->jobs[i].ntargets = 0;
	}
	if (sc_out.failed)
		return EXIT_RUNTIME;
	return failed ? EXIT_RUNTIME : EXIT_OK;
}

int
main(int argc, char **argv)
{
	enum { OPT_BEARER = 256, OPT_CHECK, OPT_ONCE, OPT_STATS, OPT_VERSION };
	static const struct option opts[] = {
		{ "bearer-token-file", required_argument, NULL, OPT_BEARER },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "job", required_argument, NULL, 'j' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "stats-file", required_argument, NULL, OPT_STATS },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct adhoc a = { "scrapecol", 10000, NULL };
	struct sc_config cfg;
	const char *config = NULL, *stats_path = NULL;
	int c, check = 0, once = 0, rc;

	log_init(argv[0]);
	lineio_writer_init(&sc_out.w, STDOUT_FILENO, "-");
	while ((c = getopt_long(argc, argv, "c:hj:t:v", opts, NULL)) != -1) {
		switch (c) {
		case OPT_BEARER:
			if (args_readable("--bearer-token-file", optarg) < 0)
				return EXIT_CONFIG;
			a.token_file = optarg;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'j':
			if (*optarg == '\0') {
				args_bad("-j", optarg, "the job name is empty");
				return EXIT_CONFIG;
			}
			a.job = optarg;
			break;
		case OPT_ONCE:
			once = 1;
			break;
		case OPT_STATS:
			stats_path = optarg;
			break;
		case 't':
			if (args_duration("-t", optarg, 1, &a.timeout_ms) < 0)
				return EXIT_CONFIG;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case OPT_VERSION:
			obs_print_version();
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	argc -= optind;
	argv += optind;
	if (config != NULL && argc > 0) {
		log_error("-c and URL operands exclude each other");
		return EXIT_CONFIG;
	}
	if (config == NULL && argc == 0) {
		log_error("nothing to scrape: give URL operands or -c FILE");
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (config == NULL && (once || check)) {
		log_error("%s goes with -c", once ? "--once" : "--check-config");
		return EXIT_CONFIG;
	}
	for (c = 0; c < argc; c++)
		if (strncmp(argv[c], "http://", 7) != 0 &&
		    strncmp(argv[c], "https://", 8) != 0) {
			args_bad("URL", argv[c], "not an http or https URL");
			return EXIT_CONFIG;
		}
	if (config != NULL && config_load(&cfg, config) < 0) {
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	if (check) {
		config_free(&cfg);
		return EXIT_OK;
	}
	if (sig_init() < 0 || http_global_init() < 0) {
		log_errno("start");
		if (config != NULL)
			config_free(&cfg);
		return EXIT_RUNTIME;
	}
	if (config == NULL) {
		rc = run_adhoc(&a, argv, argc);
	} else {
		rc = run_config(&cfg, once, stats_path);
		config_free(&cfg);
	}
	lineio_writer_free(&sc_out.w);
	http_global_cleanup();
	return rc;
}
