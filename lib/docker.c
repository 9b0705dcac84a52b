/* docker.c: the Docker Engine API client and its container list, shared by ctrcol and logtail. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "docker.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "banned.h"

int docker_api_open(struct docker_api *d, const char *host,
		    const char *user_agent, int64_t timeout_ms)
{
	struct http_opts o;
	struct buf b = BUF_INIT(4096);
	const char *sock = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	http_response_init(&d->resp);
	if (strncmp(host, "unix://", 7) == 0) {
		sock = host + 7;
		r = buf_addstr(&b, "http://docker");
	} else if (host[0] == '/') {
		sock = host;
		r = buf_addstr(&b, "http://docker");
	} else if (strncmp(host, "tcp://", 6) == 0) {
		r = buf_addf(&b, "http://%s", host + 6);
	} else {
		log_error("bad docker host '%s': want unix://PATH or "
			  "tcp://HOST:PORT", host);
		errno = EINVAL;
		return -1;
	}
	while (r == 0 && b.len && b.p[b.len - 1] == '/')
		buf_truncate(&b, b.len - 1);
	d->base = r == 0 ? strdup(buf_cstr(&b)) : NULL;
	d->where = strdup(host);
	buf_free(&b);
	if (!d->base || !d->where) {
		log_errno("cannot set up the docker client");
		docker_api_close(d);
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.user_agent = user_agent;
	o.timeout_ms = timeout_ms;
	o.connect_timeout_ms = timeout_ms;
	o.max_body = DOCKER_BODY_MAX;
	o.max_body_abort = 1;
	o.unix_socket_path = sock;
	d->http = http_client_new(&o);
	if (!d->http) {
		docker_api_close(d);
		return -1;
	}
	return 0;
}

void docker_api_close(struct docker_api *d)
{
	http_client_free(d->http);
	http_response_free(&d->resp);
	free(d->base);
	free(d->where);
	memset(d, 0, sizeof(*d));
}

int docker_api_get(struct docker_api *d, const char *path, struct buf *why)
{
	struct buf url = BUF_INIT(8192);
	int rc = -1;

	if (buf_addf(&url, "%s%s", d->base, path) < 0) {
		d->resp.status = 0;
		buf_addstr(why, "url too long");
		goto out;
	}
	if (http_request(d->http, "GET", buf_cstr(&url), NULL, 0, NULL, 0,
			 &d->resp) < 0) {
		buf_addstr(why, d->resp.error);
		goto out;
	}
	if (d->resp.status != 200) {
		buf_addf(why, "%s answered status %ld", path, d->resp.status);
		goto out;
	}
	rc = 0;
out:
	buf_free(&url);
	return rc;
}

int docker_is_id(const char *s, size_t len)
{
	size_t i;

	if (len != DOCKER_ID_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int docker_parse_list(struct json_doc *doc, const char *p, size_t len,
		      int (*fn)(const char *id, void *arg), void *arg)
{
	const struct json *root, *c, *id;
	struct json_err err;

	root = json_parse(doc, p, len, &err);
	if (!root || root->type != JSON_ARRAY)
		return -1;
	for (c = root->child; c; c = c->next) {
		id = json_get(c, "Id", 2);
		if (!id || id->type != JSON_STRING ||
		    !docker_is_id(id->str, id->len))
			continue;
		if (fn(id->str, arg) < 0)
			return -1;
	}
	return 0;
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int docker_parse_time(const char *s, size_t len, int64_t *ns)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, t;
	size_t i = 19, nd = 0;

	if (len < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
	    s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
	    digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
			if (nd < 9)
				frac = frac * 10 + (s[i] - '0');
		if (nd == 0)
			return -1;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (i == len - 1 && (s[i] == 'Z' || s[i] == 'z')) {
		sign = 0;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
		   s[i + 3] == ':' && !digits(s + i + 1, 2, &oh) &&
		   !digits(s + i + 4, 2, &om)) {
		sign = s[i] == '-' ? -1 : 1;
	} else {
		return -1;
	}
	t = clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	if (t < 0 || t > INT64_MAX / 1000000000 - 1)
		return -1;
	*ns = t * 1000000000 + frac;
	return 0;
}
