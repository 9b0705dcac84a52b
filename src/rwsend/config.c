/* config.c: rwsend's endpoints, from flags or a Prometheus remote_write file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "httpconf.h"
#include "log.h"
#include "obs.h"
#include "relabel.h"
#include "rwsend.h"
#include "yconf.h"
#include "banned.h"

/*
 * One shard, where Prometheus' queue manager starts too: it carries far
 * more than a homelab sends (bench/rwsend.sh: 0.75-0.95 million samples a
 * second to a VictoriaMetrics on the same host), and each shard more costs a thread, a connection, a queue and
 * an fdatasync per --fsync-interval.  max_shards raises it.
 */
#define RW_DEFAULT_SHARDS 1

void rw_endpoint_defaults(struct rw_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->remote_timeout_ms = 30000;
	ep->qc.capacity = 2500;
	ep->qc.max_shards = RW_DEFAULT_SHARDS;
	ep->qc.min_shards = 1;
	ep->qc.max_samples_per_send = 2000;
	ep->qc.batch_send_deadline_ms = 5000;
	ep->qc.min_backoff_ms = 30;
	ep->qc.max_backoff_ms = 5000;
	ep->qc.retry_on_429 = 1;
	ep->meta_send = 1;
	ep->meta_interval_ms = 60000;
	ep->meta_max_per_send = 500;
	ep->http.follow_redirects = 1;
	relabel_init(&ep->relabel);
	labels_init(&ep->scratch);
	buf_init(&ep->hdrbuf, 4096);
}

/* Headers the sender sets itself, as Prometheus' reservedHeaders. */
static const char *const reserved[] = {
	"Authorization", "Host", "Content-Encoding", "Content-Length",
	"Content-Type", "User-Agent", "Connection", "Keep-Alive",
	"Proxy-Authenticate", "Proxy-Authorization", "Www-Authenticate",
	"Accept-Encoding", "X-Prometheus-Remote-Write-Version",
	"X-Prometheus-Remote-Read-Version",
	"X-Prometheus-Scrape-Timeout-Seconds", NULL,
};

int rw_header_ok(const char *name, size_t len)
{
	return httpconf_header_ok(name, len, reserved);
}

int rw_endpoint_finish(struct rw_endpoint *ep)
{
	struct buf q = BUF_INIT(1024);
	const char *s;

	ep->http.user_agent = "obs-rwsend/" OBS_VERSION;
	ep->http.timeout_ms = ep->remote_timeout_ms;
	ep->http.headers = ep->headers;
	ep->http.n_headers = ep->nheaders;
	if (ep->qc.max_shards > RW_MAX_SHARDS)
		ep->qc.max_shards = RW_MAX_SHARDS;
	if (ep->qc.max_shards < 1)
		ep->qc.max_shards = 1;
	if (ep->name) {
		for (s = ep->name; *s; s++) {
			char c = *s;

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			      (c == '.' && s != ep->name)))
				c = '_';
			if (buf_addch(&q, c) < 0)
				goto nomem;
		}
	} else {
		uint64_t h = obs_fnv1a64(ep->url, strlen(ep->url));

		if (buf_addf(&q, "url-%016llx", (unsigned long long)h) < 0)
			goto nomem;
		ep->name = NULL;
	}
	ep->qname = q.p;
	if (!ep->name)
		ep->name = ep->qname;
	return 0;
nomem:
	buf_free(&q);
	return -1;
}

static int load_queue(struct rw_endpoint *ep, const struct ynode *item)
{
	static const char *const keys[] = { "capacity", "max_shards",
		"min_shards", "max_samples_per_send", "batch_send_deadline",
		"min_backoff", "max_backoff", "retry_on_http_429",
		"sample_age_limit", NULL };
	struct rw_queue_config *qc = &ep->qc;
	const struct ynode *q = NULL;

	if (yconf_map(item, "queue_config", &q) < 0)
		return -1;
	if (!q)
		return 0;
	if (yconf_check_keys(q, keys) < 0 ||
	    yconf_int(q, "capacity", 1, 100000000, &qc->capacity) < 0 ||
	    yconf_int(q, "max_shards", 1, 100000, &qc->max_shards) < 0 ||
	    yconf_int(q, "min_shards", 1, 100000, &qc->min_shards) < 0 ||
	    yconf_int(q, "max_samples_per_send", 1, 1000000,
		      &qc->max_samples_per_send) < 0 ||
	    yconf_duration(q, "batch_send_deadline",
			   &qc->batch_send_deadline_ms) < 0 ||
	    yconf_duration(q, "min_backoff", &qc->min_backoff_ms) < 0 ||
	    yconf_duration(q, "max_backoff", &qc->max_backoff_ms) < 0 ||
	    yconf_bool(q, "retry_on_http_429", &qc->retry_on_429) < 0 ||
	    yconf_duration(q, "sample_age_limit", &qc->sample_age_limit_ms) <
		    0)
		return -1;
	if (qc->batch_send_deadline_ms <= 0) {
		yconf_error(ynode_get(q, "batch_send_deadline"),
			    "batch_send_deadline", "must be greater than 0");
		return -1;
	}
	if (qc->min_backoff_ms <= 0)
		qc->min_backoff_ms = 1;
	if (qc->max_backoff_ms < qc->min_backoff_ms) {
		yconf_error(q, "max_backoff", "is less than min_backoff");
		return -1;
	}
	return 0;
}

static int load_meta(struct rw_endpoint *ep, const struct ynode *item)
{
	static const char *const keys[] = { "send", "send_interval",
		"max_samples_per_send", NULL };
	const struct ynode *m = NULL;

	if (yconf_map(item, "metadata_config", &m) < 0)
		return -1;
	if (!m)
		return 0;
	if (yconf_check_keys(m, keys) < 0 ||
	    yconf_bool(m, "send", &ep->meta_send) < 0 ||
	    yconf_duration(m, "send_interval", &ep->meta_interval_ms) < 0 ||
	    yconf_int(m, "max_samples_per_send", 1, 1000000,
		      &ep->meta_max_per_send) < 0)
		return -1;
	if (ep->meta_interval_ms <= 0) {
		yconf_error(ynode_get(m, "send_interval"), "send_interval",
			    "must be greater than 0");
		return -1;
	}
	return 0;
}

static int load_endpoint(struct rw_endpoint *ep, const struct ynode *item)
{
	static const char *const keys[] = { "url", "name", "remote_timeout",
		"write_relabel_configs", "enable_http2", "queue_config",
		"metadata_config", "send_exemplars", "send_native_histograms",
		HTTPCONF_KEYS, NULL };
	static const char *const unsupported[] = { "oauth2", "sigv4",
		"azuread", "no_proxy", "proxy_from_environment",
		"proxy_connect_header", NULL };
	const struct ynode *rl = NULL;
	int dummy = 0;
	size_t i;

	rw_endpoint_defaults(ep);
	if (item->type != YNODE_MAP) {
		yconf_error(item, "remote_write", "expected a mapping");
		return -1;
	}
	for (i = 0; unsupported[i]; i++) {
		const struct ynode *v = ynode_get(item, unsupported[i]);

		if (v) {
			yconf_error(v, unsupported[i],
				    "not supported by rwsend");
			return -1;
		}
	}
	if (yconf_check_keys(item, keys) < 0)
		return -1;
	if (yconf_str(item, "url", &ep->url) != 0) {
		if (!ynode_get(item, "url") || ynode_is_null(ynode_get(item, "url")))
			yconf_error(item, "url", "missing");
		return -1;
	}
	if (strncmp(ep->url, "http://", 7) != 0 &&
	    strncmp(ep->url, "https://", 8) != 0) {
		yconf_error(ynode_get(item, "url"), "url",
			    "'%s' is not an http or https URL", ep->url);
		return -1;
	}
	if (yconf_str(item, "name", &ep->name) < 0 ||
	    yconf_duration(item, "remote_timeout", &ep->remote_timeout_ms) <
		    0 ||
	    yconf_bool(item, "enable_http2", &dummy) < 0 ||
	    yconf_bool(item, "send_exemplars", &dummy) < 0 ||
	    yconf_bool(item, "send_native_histograms", &dummy) < 0 ||
	    httpconf_load(&ep->hc, &ep->http, item, reserved) < 0 ||
	    load_queue(ep, item) < 0 || load_meta(ep, item) < 0)
		return -1;
	ep->headers = ep->hc.headers;
	ep->nheaders = ep->hc.nheaders;
	if (ep->name && !*ep->name)
		ep->name = NULL;
	if (ep->remote_timeout_ms <= 0) {
		yconf_error(ynode_get(item, "remote_timeout"), "remote_timeout",
			    "must be greater than 0");
		return -1;
	}
	if (yconf_seq(item, "write_relabel_configs", &rl) < 0)
		return -1;
	if (rl) {
		if (relabel_load(&ep->relabel, rl) < 0)
			return -1;
		ep->has_relabel = ep->relabel.n > 0;
	}
	if (rw_endpoint_finish(ep) < 0) {
		yconf_error(item, NULL, "out of memory");
		return -1;
	}
	return 0;
}

int rw_config_load(struct rw_config *cfg, const char *path)
{
	static const char *const top[] = { "remote_write", NULL };
	const struct ynode *seq = NULL;
	size_t i, j;

	memset(cfg, 0, sizeof(*cfg));
	cfg->file = path;
	cfg->yroot = yconf_load(path);
	if (!cfg->yroot)
		return -1;
	if (yconf_check_keys(cfg->yroot, top) < 0 ||
	    yconf_seq(cfg->yroot, "remote_write", &seq) < 0)
		return -1;
	if (!seq || seq->n == 0) {
		yconf_error(cfg->yroot, "remote_write", "no endpoint configured");
		return -1;
	}
	cfg->ep = calloc(seq->n, sizeof(*cfg->ep));
	if (!cfg->ep) {
		log_errno("cannot allocate endpoints");
		return -1;
	}
	for (i = 0; i < seq->n; i++) {
		cfg->nep = i + 1;
		if (load_endpoint(&cfg->ep[i], seq->items[i]) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(cfg->ep[j].qname, cfg->ep[i].qname) == 0) {
				yconf_error(seq->items[i],
					    ynode_get(seq->items[i], "name")
						    ? "name"
						    : "url",
					    "duplicate remote write endpoint "
					    "'%s'",
					    cfg->ep[i].name);
				return -1;
			}
	}
	return 0;
}

void rw_config_free(struct rw_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nep; i++) {
		relabel_free(&cfg->ep[i].relabel);
		labels_free(&cfg->ep[i].scratch);
		buf_free(&cfg->ep[i].hdrbuf);
		httpconf_free(&cfg->ep[i].hc);
		free(cfg->ep[i].qname);
	}
	free(cfg->ep);
	yconf_free(cfg->yroot);
	memset(cfg, 0, sizeof(*cfg));
}
