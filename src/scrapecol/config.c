/* config.c: scrapecol's -c FILE, a Prometheus scrape_configs file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "httpconf.h"
#include "labels.h"
#include "log.h"
#include "obs.h"
#include "relabel.h"
#include "scrapecol.h"
#include "yconf.h"
#include "banned.h"

#define DEFAULT_INTERVAL_MS 60000
#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_SD_REFRESH_MS 300000

struct globals {
	int64_t interval_ms, timeout_ms;
};

/* params: {name: [values...]}, as url.Values. */
static int
load_params(struct sc_config *cfg, struct job *job, const struct ynode *m)
{
	const struct ynode *p = NULL;
	size_t i, j;

	if (yconf_map(m, "params", &p) < 0)
		return -1;
	if (p == NULL || p->n == 0)
		return 0;
	job->params = calloc(p->n, sizeof(*job->params));
	if (job->params == NULL || httpconf_own(&cfg->hc, (char *)job->params) ==
	    NULL) {
		yconf_error(p, "params", "out of memory");
		return -1;
	}
	for (i = 0; i < p->n; i++) {
		const struct ynode *k = p->items[i], *v = p->vals[i];
		const char **vals;

		if (v->type != YNODE_SEQ) {
			yconf_error(v, k->str, "expected a list of strings");
			return -1;
		}
		vals = calloc(v->n + 1, sizeof(*vals));
		if (vals == NULL || httpconf_own(&cfg->hc, (char *)vals) == NULL) {
			yconf_error(v, k->str, "out of memory");
			return -1;
		}
		for (j = 0; j < v->n; j++) {
			if (v->items[j]->type != YNODE_SCALAR) {
				yconf_error(v->items[j], k->str,
				    "expected a string");
				return -1;
			}
			vals[j] = v->items[j]->str;
		}
		job->params[job->nparams].name = k->str;
		job->params[job->nparams].values = vals;
		job->params[job->nparams++].nvalues = v->n;
	}
	return 0;
}

/* One static_configs entry: targets and labels, checked now. */
static int
check_group(const struct ynode *g, const char *what)
{
	static const char *const keys[] = { "targets", "labels", NULL };
	const struct ynode *tg = NULL, *lb = NULL;
	size_t i;

	if (g->type != YNODE_MAP) {
		yconf_error(g, what, "expected a mapping");
		return -1;
	}
	if (yconf_check_keys(g, keys) < 0 || yconf_seq(g, "targets", &tg) < 0 ||
	    yconf_map(g, "labels", &lb) < 0)
		return -1;
	for (i = 0; tg != NULL && i < tg->n; i++)
		if (tg->items[i]->type != YNODE_SCALAR) {
			yconf_error(tg->items[i], "targets",
			    "expected a string");
			return -1;
		}
	for (i = 0; lb != NULL && i < lb->n; i++) {
		const struct ynode *k = lb->items[i], *v = lb->vals[i];

		if (!label_name_valid(k->str, k->len)) {
			yconf_error(k, "labels", "\"%s\" is not a valid label "
			    "name", k->str);
			return -1;
		}
		if (v->type != YNODE_SCALAR) {
			yconf_error(v, k->str, "expected a string");
			return -1;
		}
	}
	return 0;
}

static int
load_sd(struct sc_config *cfg, struct job *job, const struct ynode *m)
{
	static const char *const keys[] = { "files", "refresh_interval", NULL };
	const struct ynode *seq = NULL;
	size_t i, j;

	if (yconf_seq(m, "file_sd_configs", &seq) < 0)
		return -1;
	if (seq == NULL || seq->n == 0)
		return 0;
	job->sd = calloc(seq->n, sizeof(*job->sd));
	if (job->sd == NULL || httpconf_own(&cfg->hc, (char *)job->sd) == NULL) {
		yconf_error(seq, "file_sd_configs", "out of memory");
		return -1;
	}
	for (i = 0; i < seq->n; i++) {
		const struct ynode *e = seq->items[i], *files = NULL;
		struct sd_files *sd = &job->sd[i];

		job->nsd = i + 1;
		sd->refresh_ms = DEFAULT_SD_REFRESH_MS;
		if (e->type != YNODE_MAP) {
			yconf_error(e, "file_sd_configs", "expected a mapping");
			return -1;
		}
		if (yconf_check_keys(e, keys) < 0 ||
		    yconf_seq(e, "files", &files) < 0 ||
		    yconf_duration(e, "refresh_interval", &sd->refresh_ms) < 0)
			return -1;
		if (files == NULL || files->n == 0) {
			yconf_error(e, "files", "file service discovery config "
			    "must contain at least one path name");
			return -1;
		}
		sd->patterns = calloc(files->n, sizeof(*sd->patterns));
		if (sd->patterns == NULL ||
		    httpconf_own(&cfg->hc, (char *)sd->patterns) == NULL) {
			yconf_error(files, "files", "out of memory");
			return -1;
		}
		for (j = 0; j < files->n; j++) {
			const struct ynode *f = files->items[j];
			const char *ext, *res;

			if (f->type != YNODE_SCALAR) {
				yconf_error(f, "files", "expected a string");
				return -1;
			}
			ext = strrchr(f->str, '.');
			if (ext == NULL || (strcmp(ext, ".json") != 0 &&
			    strcmp(ext, ".yml") != 0 &&
			    strcmp(ext, ".yaml") != 0)) {
				yconf_error(f, "files", "path name \"%s\" is "
				    "not valid for file discovery", f->str);
				return -1;
			}
			if (httpconf_path(&cfg->hc, f, "files", 0, &res) < 0)
				return -1;
			sd->patterns[sd->npatterns++] = (char *)res;
		}
	}
	return 0;
}

static int
load_limits(struct job *job, const struct ynode *m)
{
	return yconf_size(m, "body_size_limit", &job->body_size_limit) < 0 ||
	    yconf_int(m, "sample_limit", 0, LONG_MAX, &job->sample_limit) < 0 ||
	    yconf_int(m, "target_limit", 0, LONG_MAX, &job->target_limit) < 0 ||
	    yconf_int(m, "label_limit", 0, LONG_MAX, &job->label_limit) < 0 ||
	    yconf_int(m, "label_name_length_limit", 0, LONG_MAX,
	    &job->label_name_length_limit) < 0 ||
	    yconf_int(m, "label_value_length_limit", 0, LONG_MAX,
	    &job->label_value_length_limit) < 0 ? -1 : 0;
}

void
job_defaults(struct job *job)
{
	memset(job, 0, sizeof(*job));
	job->metrics_path = "/metrics";
	job->scheme = "http";
	job->honor_timestamps = 1;
	job->http.follow_redirects = 1;
	relabel_init(&job->relabel);
}

static int
load_job(struct sc_config *cfg, struct job *job, const struct ynode *m,
	 const struct globals *g)
{
	/* With HTTPCONF_KEYS but headers, which Prometheus 2.42 lacks. */
	static const char *const keys[] = { "job_name", "honor_labels",
	    "honor_timestamps", "params", "scrape_interval", "scrape_timeout",
	    "metrics_path", "scheme", "body_size_limit", "sample_limit",
	    "target_limit", "label_limit", "label_name_length_limit",
	    "label_value_length_limit", "static_configs", "file_sd_configs",
	    "relabel_configs", "metric_relabel_configs", "basic_auth",
	    "authorization", "bearer_token", "bearer_token_file", "tls_config",
	    "proxy_url", "follow_redirects", "enable_http2", NULL };
	const struct ynode *st = NULL, *mr = NULL, *v;
	int dummy = 0;
	size_t i;

	job_defaults(job);
	job->interval_ms = g->interval_ms;
	if (m->type != YNODE_MAP) {
		yconf_error(m, "scrape_configs", "expected a mapping");
		return -1;
	}
	/* Other service discoveries: say so rather than "unknown key". */
	for (i = 0; i < m->n; i++) {
		const char *k = m->items[i]->str;
		size_t kl = m->items[i]->len;

		if (kl > 11 && strcmp(k + kl - 11, "_sd_configs") == 0 &&
		    strcmp(k, "file_sd_configs") != 0) {
			yconf_error(m->items[i], k, "not supported by "
			    "scrapecol (static_configs and file_sd_configs "
			    "are)");
			return -1;
		}
	}
	if (yconf_check_keys(m, keys) < 0)
		return -1;
	if (yconf_str(m, "job_name", &job->name) != 0 || job->name[0] == '\0') {
		if (ynode_is_null(ynode_get(m, "job_name")))
			yconf_error(m, "job_name", "job_name is empty");
		return -1;
	}
	if (yconf_bool(m, "honor_labels", &job->honor_labels) < 0 ||
	    yconf_bool(m, "honor_timestamps", &job->honor_timestamps) < 0 ||
	    yconf_duration(m, "scrape_interval", &job->interval_ms) < 0 ||
	    yconf_duration(m, "scrape_timeout", &job->timeout_ms) < 0 ||
	    yconf_str(m, "metrics_path", &job->metrics_path) < 0 ||
	    yconf_str(m, "scheme", &job->scheme) < 0 ||
	    yconf_bool(m, "enable_http2", &dummy) < 0 ||
	    load_limits(job, m) < 0 || load_params(cfg, job, m) < 0 ||
	    httpconf_load(&cfg->hc, &job->http, m, NULL) < 0)
		return -1;
	if (strcmp(job->scheme, "http") != 0 &&
	    strcmp(job->scheme, "https") != 0) {
		yconf_error(ynode_get(m, "scheme"), "scheme",
		    "unknown scheme '%s': expected http or https", job->scheme);
		return -1;
	}
	if (job->interval_ms <= 0) {
		yconf_error(ynode_get(m, "scrape_interval"), "scrape_interval",
		    "must be greater than 0");
		return -1;
	}
	if (job->timeout_ms > job->interval_ms) {
		yconf_error(ynode_get(m, "scrape_timeout"), "scrape_timeout",
		    "scrape timeout greater than scrape interval for scrape "
		    "config with job name \"%s\"", job->name);
		return -1;
	}
	if (job->timeout_ms <= 0)
		job->timeout_ms = g->timeout_ms > job->interval_ms ?
		    job->interval_ms : g->timeout_ms;
	if (yconf_seq(m, "static_configs", &st) < 0)
		return -1;
	if (st != NULL) {
		job->groups = (const struct ynode **)st->items;
		job->ngroups = st->n;
		for (i = 0; i < st->n; i++)
			if (check_group(st->items[i], "static_configs") < 0)
				return -1;
	}
	if (load_sd(cfg, job, m) < 0)
		return -1;
	if (relabel_load(&job->relabel, ynode_get(m, "relabel_configs")) < 0)
		return -1;
	if (yconf_seq(m, "metric_relabel_configs", &mr) < 0)
		return -1;
	if (mr != NULL) {
		/* Checked here, loaded again by each target's thread. */
		struct relabel_rules tmp;
		int r;

		relabel_init(&tmp);
		r = relabel_load(&tmp, mr);
		relabel_free(&tmp);
		if (r < 0)
			return -1;
		job->metric_relabel = mr;
	}
	v = ynode_get(m, "metrics_path");
	if (job->metrics_path[0] != '/') {
		yconf_error(v, "metrics_path", "must start with '/'");
		return -1;
	}
	return 0;
}

static int
load_global(const struct ynode *root, struct globals *g)
{
	static const char *const keys[] = { "scrape_interval", "scrape_timeout",
	    "evaluation_interval", "external_labels", NULL };
	const struct ynode *m = NULL, *ext;
	int64_t eval = 0;

	g->interval_ms = DEFAULT_INTERVAL_MS;
	g->timeout_ms = 0;
	if (yconf_map(root, "global", &m) < 0)
		return -1;
	if (m == NULL) {
		g->timeout_ms = DEFAULT_TIMEOUT_MS;
		return 0;
	}
	if (yconf_check_keys(m, keys) < 0)
		return -1;
	ext = ynode_get(m, "external_labels");
	if (ext != NULL) {
		yconf_error(ext, "external_labels", "not scrapecol's: set "
		    "external labels in relabel (-l NAME=VALUE or "
		    "external_labels:)");
		return -1;
	}
	if (yconf_duration(m, "scrape_interval", &g->interval_ms) < 0 ||
	    yconf_duration(m, "scrape_timeout", &g->timeout_ms) < 0 ||
	    yconf_duration(m, "evaluation_interval", &eval) < 0)
		return -1;
	if (g->interval_ms <= 0) {
		yconf_error(ynode_get(m, "scrape_interval"), "scrape_interval",
		    "must be greater than 0");
		return -1;
	}
	if (g->timeout_ms > g->interval_ms) {
		yconf_error(ynode_get(m, "scrape_timeout"), "scrape_timeout",
		    "global scrape timeout greater than scrape interval");
		return -1;
	}
	if (g->timeout_ms <= 0)
		g->timeout_ms = DEFAULT_TIMEOUT_MS > g->interval_ms ?
		    g->interval_ms : DEFAULT_TIMEOUT_MS;
	return 0;
}

int
config_load(struct sc_config *cfg, const char *path)
{
	static const char *const top[] = { "global", "scrape_configs", NULL };
	const struct ynode *seq = NULL;
	struct globals g;
	size_t i, j;

	memset(cfg, 0, sizeof(*cfg));
	cfg->file = path;
	cfg->yroot = yconf_load(path);
	if (cfg->yroot == NULL)
		return -1;
	if (yconf_check_keys(cfg->yroot, top) < 0 ||
	    load_global(cfg->yroot, &g) < 0 ||
	    yconf_seq(cfg->yroot, "scrape_configs", &seq) < 0)
		return -1;
	if (seq == NULL || seq->n == 0) {
		yconf_error(cfg->yroot, "scrape_configs",
		    "no scrape_configs: nothing to scrape");
		return -1;
	}
	cfg->jobs = calloc(seq->n, sizeof(*cfg->jobs));
	if (cfg->jobs == NULL) {
		log_errno("config '%s'", path);
		return -1;
	}
	for (i = 0; i < seq->n; i++) {
		cfg->njobs = i + 1;
		if (load_job(cfg, &cfg->jobs[i], seq->items[i], &g) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(cfg->jobs[j].name, cfg->jobs[i].name) == 0) {
				yconf_error(ynode_get(seq->items[i],
				    "job_name"), "job_name", "found multiple "
				    "scrape configs with job name \"%s\"",
				    cfg->jobs[i].name);
				return -1;
			}
	}
	return 0;
}

void
config_free(struct sc_config *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->njobs; i++) {
		struct job *job = &cfg->jobs[i];

		relabel_free(&job->relabel);
		for (j = 0; j < job->nsd; j++) {
			size_t k;

			for (k = 0; k < job->sd[j].nfiles; k++) {
				free(job->sd[j].files[k].path);
				free(job->sd[j].files[k].data);
			}
			free(job->sd[j].files);
		}
		free(job->targets);
	}
	free(cfg->jobs);
	httpconf_free(&cfg->hc);
	yconf_free(cfg->yroot);
	memset(cfg, 0, sizeof(*cfg));
}
