/* config.c: lokipush's endpoint, from flags or an Alloy loki.write endpoint block in YAML. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "httpconf.h"
#include "log.h"
#include "lokipush.h"
#include "obs.h"
#include "yconf.h"
#include "banned.h"

/* Headers lokipush sets itself. */
static const char *const reserved[] = {
	"Authorization", "Host", "Content-Encoding", "Content-Length",
	"Content-Type", "User-Agent", "Connection", "Keep-Alive",
	"Proxy-Authenticate", "Proxy-Authorization", "Www-Authenticate",
	"Accept-Encoding", "X-Scope-OrgID", NULL,
};

int lp_header_ok(const char *name, size_t len)
{
	return httpconf_header_ok(name, len, reserved);
}

/* Alloy's loki.write endpoint defaults. */
void lp_endpoint_defaults(struct lp_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->batch_size = 1u << 20;
	ep->batch_wait_ms = 1000;
	ep->remote_timeout_ms = 10000;
	ep->min_backoff_ms = 500;
	ep->max_backoff_ms = 5 * 60 * 1000;
	ep->max_retries = 10;
	ep->retry_on_429 = 1;
	ep->http.follow_redirects = 1;
	/* Loki rejects entries older than a week by default: a margin of
	 * an hour for the time in the queue */
	ep->max_age_ms = (int64_t)167 * 3600 * 1000;
}

int lp_endpoint_finish(struct lp_endpoint *ep)
{
	ep->http.user_agent = "obs-lokipush/" OBS_VERSION;
	ep->http.timeout_ms = ep->remote_timeout_ms;
	/* endpoint flags go with -u only, so headers come from one place */
	if (ep->nflag_headers) {
		ep->http.headers = ep->flag_headers;
		ep->http.n_headers = ep->nflag_headers;
	}
	return 0;
}

int lp_config_load(struct lp_endpoint *ep, const char *path)
{
	static const char *const keys[] = { "url", "name", "tenant_id",
		"batch_size", "batch_wait", "remote_timeout",
		"min_backoff_period", "max_backoff_period",
		"max_backoff_retries", "retry_on_http_429", "enable_http2",
		"max_age", "format", HTTPCONF_KEYS, NULL };
	static const char *const unsupported[] = { "oauth2", "sigv4",
		"queue_config", "no_proxy", "proxy_from_environment",
		"proxy_connect_header", NULL };
	const struct ynode *root, *v;
	const char *fmt = NULL;
	uint64_t bs = ep->batch_size;
	int dummy = 0;
	size_t i;

	ep->yroot = yconf_load(path);
	if (!ep->yroot)
		return -1;
	root = ep->yroot;
	/* the block itself, or wrapped as "endpoint:" */
	v = ynode_get(root, "endpoint");
	if (v && root->type == YNODE_MAP && root->n == 1) {
		if (v->type != YNODE_MAP) {
			yconf_error(v, "endpoint", "expected a mapping");
			return -1;
		}
		root = v;
	}
	for (i = 0; unsupported[i]; i++)
		if ((v = ynode_get(root, unsupported[i]))) {
			yconf_error(v, unsupported[i],
				    "not supported by lokipush");
			return -1;
		}
	if (yconf_check_keys(root, keys) < 0)
		return -1;
	if (yconf_str(root, "url", &ep->url) != 0) {
		if (ynode_is_null(ynode_get(root, "url")))
			yconf_error(root, "url", "missing");
		return -1;
	}
	if (strncmp(ep->url, "http://", 7) != 0 &&
	    strncmp(ep->url, "https://", 8) != 0) {
		yconf_error(ynode_get(root, "url"), "url",
			    "'%s' is not an http or https URL", ep->url);
		return -1;
	}
	if (yconf_str(root, "name", &ep->name) < 0 ||
	    yconf_str(root, "tenant_id", &ep->tenant_id) < 0 ||
	    yconf_size(root, "batch_size", &bs) < 0 ||
	    yconf_duration(root, "batch_wait", &ep->batch_wait_ms) < 0 ||
	    yconf_duration(root, "remote_timeout", &ep->remote_timeout_ms) <
		    0 ||
	    yconf_duration(root, "min_backoff_period", &ep->min_backoff_ms) <
		    0 ||
	    yconf_duration(root, "max_backoff_period", &ep->max_backoff_ms) <
		    0 ||
	    yconf_int(root, "max_backoff_retries", 0, 1000000,
		      &ep->max_retries) < 0 ||
	    yconf_bool(root, "retry_on_http_429", &ep->retry_on_429) < 0 ||
	    yconf_bool(root, "enable_http2", &dummy) < 0 ||
	    yconf_duration(root, "max_age", &ep->max_age_ms) < 0 ||
	    yconf_str(root, "format", &fmt) < 0 ||
	    httpconf_load(&ep->hc, &ep->http, root, reserved) < 0)
		return -1;
	if (fmt && strcmp(fmt, "json") == 0) {
		ep->format = LP_JSON;
	} else if (fmt && strcmp(fmt, "protobuf") != 0) {
		yconf_error(ynode_get(root, "format"), "format",
			    "'%s' is not protobuf or json", fmt);
		return -1;
	}
	if (bs < 1 || bs > (64u << 20)) {
		yconf_error(ynode_get(root, "batch_size"), "batch_size",
			    "must be between 1B and 64MiB");
		return -1;
	}
	ep->batch_size = bs;
	if (ep->batch_wait_ms <= 0 || ep->remote_timeout_ms <= 0 ||
	    ep->min_backoff_ms <= 0) {
		yconf_error(root, NULL,
			    "batch_wait, remote_timeout and min_backoff_period "
			    "must be greater than 0");
		return -1;
	}
	if (ep->max_backoff_ms < ep->min_backoff_ms) {
		yconf_error(root, "max_backoff_period",
			    "is less than min_backoff_period");
		return -1;
	}
	return 0;
}

void lp_endpoint_free(struct lp_endpoint *ep)
{
	httpconf_free(&ep->hc);
	yconf_free(ep->yroot);
	ep->yroot = NULL;
}
