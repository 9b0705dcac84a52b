/* http.c: the libcurl wrapper every sender and scraper of the suite uses. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "atomicfile.h"
#include "buf.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "banned.h"

#define HTTP_BODY_DEFAULT (64 * 1024)
#define HTTP_SECRET_MAX (64 * 1024)

struct http_client {
	CURL *curl;
	struct http_opts o;
	/* owned copies of every string in o */
	char **strs;
	size_t nstrs;
	char **hdrs;
	char errbuf[CURL_ERROR_SIZE];
	struct http_response *cur;
};

int http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("cannot initialise libcurl");
		return -1;
	}
	return 0;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

static int dup_str(struct http_client *c, const char **s)
{
	char **v;
	char *d;

	if (!*s)
		return 0;
	d = strdup(*s);
	if (!d)
		return -1;
	v = realloc(c->strs, (c->nstrs + 1) * sizeof(*v));
	if (!v) {
		free(d);
		return -1;
	}
	c->strs = v;
	c->strs[c->nstrs++] = d;
	*s = d;
	return 0;
}

void http_client_free(struct http_client *c)
{
	size_t i;

	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	for (i = 0; i < c->nstrs; i++)
		free(c->strs[i]);
	free(c->strs);
	free(c->hdrs);
	free(c);
}

struct http_client *http_client_new(const struct http_opts *opts)
{
	struct http_client *c;
	size_t i;

	c = calloc(1, sizeof(*c));
	if (!c) {
		log_errno("cannot allocate http client");
		return NULL;
	}
	c->o = *opts;
	if (dup_str(c, &c->o.user_agent) || dup_str(c, &c->o.ca_file) ||
	    dup_str(c, &c->o.cert_file) || dup_str(c, &c->o.key_file) ||
	    dup_str(c, &c->o.server_name) || dup_str(c, &c->o.proxy_url) ||
	    dup_str(c, &c->o.basic_user) || dup_str(c, &c->o.basic_password) ||
	    dup_str(c, &c->o.basic_password_file) ||
	    dup_str(c, &c->o.auth_type) || dup_str(c, &c->o.bearer_token) ||
	    dup_str(c, &c->o.bearer_token_file))
		goto nomem;
	if (dup_str(c, &c->o.accept_encoding))
		goto nomem;
	if (dup_str(c, &c->o.unix_socket_path))
		goto nomem;
	if (opts->n_headers) {
		c->hdrs = calloc(opts->n_headers, sizeof(*c->hdrs));
		if (!c->hdrs)
			goto nomem;
		for (i = 0; i < opts->n_headers; i++) {
			const char *h = opts->headers[i];

			if (dup_str(c, &h))
				goto nomem;
			c->hdrs[i] = (char *)h;
		}
		c->o.headers = (const char *const *)c->hdrs;
	}
	if (!c->o.max_body)
		c->o.max_body = HTTP_BODY_DEFAULT;
	if (c->o.timeout_ms <= 0)
		c->o.timeout_ms = 30000;
	if (c->o.connect_timeout_ms <= 0)
		c->o.connect_timeout_ms =
			c->o.timeout_ms < 10000 ? c->o.timeout_ms : 10000;
	c->curl = curl_easy_init();
	if (!c->curl) {
		log_error("cannot create a libcurl handle");
		http_client_free(c);
		return NULL;
	}
	return c;
nomem:
	log_errno("cannot allocate http client");
	http_client_free(c);
	return NULL;
}

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
	r->retry_after_ms = -1;
}

void http_response_free(struct http_response *r)
{
	buf_free(&r->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_client *c = arg;
	struct http_response *r = c->cur;
	size_t len = size * n, room;

	if (c->o.on_data)
		return c->o.on_data(p, len, c->o.on_data_arg);

	room = r->body.len < c->o.max_body ? c->o.max_body - r->body.len : 0;
	if (len > room)
		r->body_truncated = 1;
	if (len > room && c->o.max_body_abort)
		return 0;	/* libcurl stops: CURLE_WRITE_ERROR */
	if (room && buf_add(&r->body, p, len < room ? len : room) < 0)
		r->body_truncated = 1;
	return len;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn,
		       curl_off_t ut, curl_off_t un)
{
	struct http_client *c = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return c->o.cancel && *c->o.cancel;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_client *c = arg;
	size_t len = size * n;
	static const char key[] = "retry-after:";

	if (len > sizeof(key) - 1 &&
	    strncasecmp(p, key, sizeof(key) - 1) == 0) {
		const char *v = p + sizeof(key) - 1;
		size_t vl = len - (sizeof(key) - 1);

		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && isspace((unsigned char)v[vl - 1]))
			vl--;
		c->cur->retry_after_ms =
			http_parse_retry_after(v, vl, clock_ms());
	}
	return len;
}

int64_t http_parse_retry_after(const char *s, size_t len, int64_t now_ms)
{
	char tmp[64];
	struct tm tm;
	const char *end;
	int64_t secs = 0;
	size_t i;
	time_t t;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	for (i = 0; i < len && isdigit((unsigned char)s[i]); i++) {
		if (secs > 100000000)
			return -1;
		secs = secs * 10 + (s[i] - '0');
	}
	if (i == len)
		return secs * 1000;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(&tm, 0, sizeof(tm));
	end = strptime(tmp, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	if ((int64_t)t * 1000 <= now_ms)
		return 0;
	return (int64_t)t * 1000 - now_ms;
}

int http_status_retryable(long status, int retry_429)
{
	if (status >= 500 && status <= 599)
		return 1;
	return status == 429 && retry_429;
}

static int read_secret(const char *path, char **out, char *err, size_t errsz)
{
	size_t len;

	if (file_read_all(path, HTTP_SECRET_MAX, out, &len) < 0) {
		snprintf(err, errsz, "cannot read '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	while (len && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
		(*out)[--len] = '\0';
	return 0;
}

static struct curl_slist *slist_add(struct curl_slist *l, const char *s,
				    int *bad)
{
	struct curl_slist *n = curl_slist_append(l, s);

	if (!n)
		*bad = 1;
	return n ? n : l;
}

/*
 * server_name: the URL's host becomes server_name (so SNI and the
 * certificate check use it) and CONNECT_TO sends the connection to the
 * original host and port.
 */
static int apply_server_name(struct http_client *c, const char *url,
			     char **newurl, struct curl_slist **connect_to,
			     struct http_response *r)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *nu = NULL;
	struct buf b = BUF_INIT(4096);
	int ret = -1;

	if (!u)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		    CURLUE_OK ||
	    curl_url_set(u, CURLUPART_HOST, c->o.server_name, 0) !=
		    CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &nu, 0) != CURLUE_OK) {
		snprintf(r->error, sizeof(r->error),
			 "cannot apply server_name to url '%s'", url);
		goto out;
	}
	if (buf_addf(&b, "%s:%s:%s:%s", c->o.server_name, port, host, port) <
	    0)
		goto out;
	*connect_to = curl_slist_append(NULL, buf_cstr(&b));
	if (!*connect_to)
		goto out;
	*newurl = strdup(nu);
	if (!*newurl) {
		curl_slist_free_all(*connect_to);
		*connect_to = NULL;
		goto out;
	}
	ret = 0;
out:
	curl_free(host);
	curl_free(port);
	curl_free(nu);
	curl_url_cleanup(u);
	buf_free(&b);
	return ret;
}

int http_request(struct http_client *c, const char *method, const char *url,
		 const char *const *headers, size_t n_headers,
		 const void *body, size_t len, struct http_response *r)
{
	CURL *h = c->curl;
	struct curl_slist *hl = NULL, *connect_to = NULL;
	struct buf auth = BUF_INIT(HTTP_SECRET_MAX + 256);
	char *secret = NULL, *newurl = NULL;
	const char *pass = c->o.basic_password;
	int64_t t0;
	CURLcode rc;
	long status = 0;
	size_t i;
	int bad = 0, ret = -1;

	buf_reset(&r->body);
	r->status = 0;
	r->body_truncated = 0;
	r->retry_after_ms = -1;
	r->error[0] = '\0';
	r->content_type[0] = '\0';
	r->elapsed_ms = 0;
	c->errbuf[0] = '\0';
	c->cur = r;

	curl_easy_reset(h);
	for (i = 0; i < c->o.n_headers; i++)
		hl = slist_add(hl, c->o.headers[i], &bad);
	for (i = 0; i < n_headers; i++)
		hl = slist_add(hl, headers[i], &bad);
	/* libcurl would wait for a 100 Continue on large bodies. */
	hl = slist_add(hl, "Expect:", &bad);
	if (c->o.bearer_token || c->o.bearer_token_file) {
		const char *tok = c->o.bearer_token;

		if (c->o.bearer_token_file) {
			if (read_secret(c->o.bearer_token_file, &secret,
					r->error, sizeof(r->error)) < 0)
				goto out;
			tok = secret;
		}
		if (buf_addf(&auth, "Authorization: %s %s",
			     c->o.auth_type ? c->o.auth_type : "Bearer",
			     tok) < 0)
			bad = 1;
		hl = slist_add(hl, buf_cstr(&auth), &bad);
	}
	if (bad) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		goto out;
	}
	if (c->o.basic_user) {
		if (c->o.basic_password_file) {
			if (read_secret(c->o.basic_password_file, &secret,
					r->error, sizeof(r->error)) < 0)
				goto out;
			pass = secret;
		}
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->o.basic_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, pass ? pass : "");
	}
	if (c->o.server_name) {
		if (apply_server_name(c, url, &newurl, &connect_to, r) < 0)
			goto out;
		url = newurl;
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to);
	}

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
			 c->o.stream_no_timeout ? 0L : (long)c->o.timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)c->o.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION,
			 (long)(c->o.follow_redirects != 0));
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	if (c->o.cancel) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	}
	if (c->o.user_agent)
		curl_easy_setopt(h, CURLOPT_USERAGENT, c->o.user_agent);
	if (c->o.unix_socket_path)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH,
				 c->o.unix_socket_path);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER,
			 (long)!c->o.insecure_skip_verify);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST,
			 c->o.insecure_skip_verify ? 0L : 2L);
	if (c->o.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->o.ca_file);
	if (c->o.cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->o.cert_file);
	if (c->o.key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->o.key_file);
	if (c->o.proxy_url)
		curl_easy_setopt(h, CURLOPT_PROXY, c->o.proxy_url);
	if (c->o.accept_encoding)
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING,
				 c->o.accept_encoding);

	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(body ? len : 0));
	}

	t0 = clock_mono_ms();
	rc = curl_easy_perform(h);
	r->elapsed_ms = clock_mono_ms() - t0;
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(r->error, sizeof(r->error), "cancelled");
		goto out;
	}
	if (rc == CURLE_WRITE_ERROR && c->o.max_body_abort &&
	    r->body_truncated) {
		snprintf(r->error, sizeof(r->error),
			 "body size limit exceeded");
		goto out;
	}
	if (rc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s",
			 c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	r->status = status;
	{
		char *ct = NULL;

		if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) ==
			    CURLE_OK && ct)
			snprintf(r->content_type, sizeof(r->content_type),
				 "%s", ct);
	}
	ret = 0;
out:
	/* The handle keeps pointers to these until the next request. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_CONNECT_TO, NULL);
	curl_easy_setopt(h, CURLOPT_PASSWORD, NULL);
	curl_slist_free_all(hl);
	curl_slist_free_all(connect_to);
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	if (auth.p)
		explicit_bzero(auth.p, auth.len);
	buf_free(&auth);
	free(newurl);
	c->cur = NULL;
	return ret;
}

void http_response_reason(const struct http_response *r, char *dst, size_t n)
{
	size_t i, len = r->body.len < n - 1 ? r->body.len : n - 1;

	for (i = 0; i < len; i++) {
		char c = r->body.p[i];

		if (c == '\n' || c == '\r')
			break;
		dst[i] = (c < 0x20 || c == 0x7f) ? ' ' : c;
	}
	while (i && dst[i - 1] == ' ')
		i--;
	dst[i] = '\0';
}
