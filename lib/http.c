/* http.c: the suite's HTTP client: its own HTTP/1.1 transport for http:// and unix sockets, libcurl loaded at run time for the rest. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Only types and constants come from curl's headers: the library itself
 * is loaded on first use, so programs that speak plain HTTP never map it
 * (and the forty libraries it pulls in). */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <zlib.h>

#include "atomicfile.h"
#include "buf.h"
#include "clock.h"
#include "http.h"
#include "httpwire.h"
#include "log.h"
#include "banned.h"

#define HTTP_BODY_DEFAULT (64 * 1024)
#define HTTP_SECRET_MAX (64 * 1024)
#define HTTP_REDIRECTS_MAX 10
#define HTTP_CANCEL_POLL_MS 100
#define HTTP_RBUF 16384
#define HTTP_LIBCURL "libcurl.so.4"

/* libcurl's entry points, resolved once by curl_load(). */
static struct {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
	void (*url_cleanup)(CURLU *);
	void (*free)(void *);
} cx;
static pthread_once_t cx_once = PTHREAD_ONCE_INIT;
static int cx_loaded;
static char cx_error[200];

struct http_client {
	struct http_opts o;
	/* owned copies of every string in o */
	char **strs;
	size_t nstrs;
	char **hdrs;
	/* the native transport's connection, kept alive between requests
	   to the same place (conn_key) */
	int fd;
	char conn_key[320];
	struct httpwire wire;
	z_stream z;
	int z_on, z_end;
	char rbuf[HTTP_RBUF];
	/* libcurl: made on the first request that needs it */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	struct http_response *cur;
};

/* A URL the native transport takes: http://host[:port]/target. */
struct http_url {
	char host[256];		/* without the brackets of an IPv6 literal */
	int ipv6;
	int port;
	const char *target;	/* path and query, fragment cut */
	size_t target_len;
	const char *authority;	/* host[:port] as written */
	size_t authority_len;
};

/* One request in flight on the native transport. */
struct xfer {
	struct http_client *c;
	struct http_response *r;
	int64_t t0;
	int64_t deadline;	/* monotonic ms; 0: none */
	uint64_t received;
	int redirect;		/* this answer is followed, its body dropped */
	int failed;
};

static void curl_load_once(void)
{
	static const struct {
		const char *name;
		void **slot;
	} syms[] = {
		{ "curl_global_init", (void **)&cx.global_init },
		{ "curl_global_cleanup", (void **)&cx.global_cleanup },
		{ "curl_easy_init", (void **)&cx.easy_init },
		{ "curl_easy_cleanup", (void **)&cx.easy_cleanup },
		{ "curl_easy_reset", (void **)&cx.easy_reset },
		{ "curl_easy_setopt", (void **)&cx.easy_setopt },
		{ "curl_easy_perform", (void **)&cx.easy_perform },
		{ "curl_easy_getinfo", (void **)&cx.easy_getinfo },
		{ "curl_easy_strerror", (void **)&cx.easy_strerror },
		{ "curl_slist_append", (void **)&cx.slist_append },
		{ "curl_slist_free_all", (void **)&cx.slist_free_all },
		{ "curl_url", (void **)&cx.url },
		{ "curl_url_set", (void **)&cx.url_set },
		{ "curl_url_get", (void **)&cx.url_get },
		{ "curl_url_cleanup", (void **)&cx.url_cleanup },
		{ "curl_free", (void **)&cx.free },
	};
	const char *env = getenv("OBS_LIBCURL");
	void *h;
	size_t i;

	/* OBS_LIBCURL names another copy (tests use it to name none). */
	h = dlopen(env && *env ? env : HTTP_LIBCURL, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(cx_error, sizeof(cx_error), "cannot load %s: %s",
			 HTTP_LIBCURL, dlerror());
		return;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(cx_error, sizeof(cx_error),
				 "cannot load %s: no %s", HTTP_LIBCURL,
				 syms[i].name);
			return;
		}
	}
	if (cx.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(cx_error, sizeof(cx_error), "cannot initialise %s",
			 HTTP_LIBCURL);
		return;
	}
	cx_loaded = 1;
}

/* 0 when libcurl is there; else -1 with the reason in r->error. */
static int curl_load(struct http_response *r)
{
	pthread_once(&cx_once, curl_load_once);
	if (cx_loaded)
		return 0;
	snprintf(r->error, sizeof(r->error), "%s", cx_error);
	return -1;
}

int http_global_init(void)
{
	return 0;
}

void http_global_cleanup(void)
{
	if (cx_loaded)
		cx.global_cleanup();
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

static void conn_close(struct http_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->conn_key[0] = '\0';
}

static void inflate_stop(struct http_client *c)
{
	if (c->z_on)
		inflateEnd(&c->z);
	c->z_on = 0;
}

void http_client_free(struct http_client *c)
{
	size_t i;

	if (!c)
		return;
	conn_close(c);
	inflate_stop(c);
	if (c->curl)
		cx.easy_cleanup(c->curl);
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
	c->fd = -1;
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

/* The secrets of one request, read from their files when named. */
struct creds {
	const char *bearer;	/* the token, or NULL */
	const char *password;	/* basic auth, when basic_user is set */
	char *bearer_file, *password_file;
};

static int creds_read(const struct http_client *c, struct creds *k,
		      struct http_response *r)
{
	memset(k, 0, sizeof(*k));
	k->bearer = c->o.bearer_token;
	k->password = c->o.basic_password;
	if (c->o.bearer_token_file) {
		if (read_secret(c->o.bearer_token_file, &k->bearer_file,
				r->error, sizeof(r->error)) < 0)
			return -1;
		k->bearer = k->bearer_file;
	}
	if (c->o.basic_user && c->o.basic_password_file) {
		if (read_secret(c->o.basic_password_file, &k->password_file,
				r->error, sizeof(r->error)) < 0)
			return -1;
		k->password = k->password_file;
	}
	return 0;
}

static void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void creds_free(struct creds *k)
{
	secret_free(k->bearer_file);
	secret_free(k->password_file);
}

/* ---- libcurl, for https, proxies and what the native transport leaves ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_client *c = arg;
	struct http_response *r = c->cur;
	size_t len = size * n, room;

	if (c->o.on_data) {
		/* The status and type are known before the body, as
		   the native transport has them (a scraper judges the
		   body by them as it streams). */
		if (r->status == 0) {
			char *ct = NULL;

			cx.easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE,
					&r->status);
			if (cx.easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE,
					    &ct) == CURLE_OK && ct)
				snprintf(r->content_type,
					 sizeof(r->content_type), "%s", ct);
		}
		return c->o.on_data(p, len, c->o.on_data_arg);
	}

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

static struct curl_slist *slist_add(struct curl_slist *l, const char *s,
				    int *bad)
{
	struct curl_slist *n = cx.slist_append(l, s);

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
	CURLU *u = cx.url();
	char *host = NULL, *port = NULL, *nu = NULL;
	struct buf b = BUF_INIT(4096);
	int ret = -1;

	if (!u)
		goto out;
	if (cx.url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    cx.url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    cx.url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		    CURLUE_OK ||
	    cx.url_set(u, CURLUPART_HOST, c->o.server_name, 0) !=
		    CURLUE_OK ||
	    cx.url_get(u, CURLUPART_URL, &nu, 0) != CURLUE_OK) {
		snprintf(r->error, sizeof(r->error),
			 "cannot apply server_name to url '%s'", url);
		goto out;
	}
	if (buf_addf(&b, "%s:%s:%s:%s", c->o.server_name, port, host, port) <
	    0)
		goto out;
	*connect_to = cx.slist_append(NULL, buf_cstr(&b));
	if (!*connect_to)
		goto out;
	*newurl = strdup(nu);
	if (!*newurl) {
		cx.slist_free_all(*connect_to);
		*connect_to = NULL;
		goto out;
	}
	ret = 0;
out:
	cx.free(host);
	cx.free(port);
	cx.free(nu);
	if (u)
		cx.url_cleanup(u);
	buf_free(&b);
	return ret;
}

/* noauth: the request follows a redirect to another host, which gets
 * no credentials (as libcurl does when it follows one itself). */
static int curl_request(struct http_client *c, const char *method,
			const char *url, const char *const *headers,
			size_t n_headers, const void *body, size_t len,
			struct http_response *r, int noauth)
{
	CURL *h;
	struct curl_slist *hl = NULL, *connect_to = NULL;
	struct buf auth = BUF_INIT(HTTP_SECRET_MAX + 256);
	struct creds k;
	char *newurl = NULL;
	int64_t t0 = clock_mono_ms();
	CURLcode rc;
	long status = 0;
	size_t i;
	int bad = 0, ret = -1;

	memset(&k, 0, sizeof(k));
	if (curl_load(r) < 0)
		return -1;
	if (!c->curl) {
		c->curl = cx.easy_init();
		if (!c->curl) {
			snprintf(r->error, sizeof(r->error),
				 "cannot create a libcurl handle");
			return -1;
		}
	}
	h = c->curl;
	c->errbuf[0] = '\0';
	c->cur = r;

	cx.easy_reset(h);
	for (i = 0; i < c->o.n_headers; i++)
		hl = slist_add(hl, c->o.headers[i], &bad);
	for (i = 0; i < n_headers; i++)
		hl = slist_add(hl, headers[i], &bad);
	/* libcurl would wait for a 100 Continue on large bodies. */
	hl = slist_add(hl, "Expect:", &bad);
	if (!noauth && creds_read(c, &k, r) < 0)
		goto out;
	if (!noauth && k.bearer) {
		if (buf_addf(&auth, "Authorization: %s %s",
			     c->o.auth_type ? c->o.auth_type : "Bearer",
			     k.bearer) < 0)
			bad = 1;
		hl = slist_add(hl, buf_cstr(&auth), &bad);
	}
	if (bad) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		goto out;
	}
	if (!noauth && c->o.basic_user) {
		cx.easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		cx.easy_setopt(h, CURLOPT_USERNAME, c->o.basic_user);
		cx.easy_setopt(h, CURLOPT_PASSWORD,
			       k.password ? k.password : "");
	}
	if (c->o.server_name) {
		if (apply_server_name(c, url, &newurl, &connect_to, r) < 0)
			goto out;
		url = newurl;
		cx.easy_setopt(h, CURLOPT_CONNECT_TO, connect_to);
	}

	cx.easy_setopt(h, CURLOPT_URL, url);
	cx.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cx.easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	cx.easy_setopt(h, CURLOPT_TIMEOUT_MS,
		       c->o.stream_no_timeout ? 0L : (long)c->o.timeout_ms);
	cx.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
		       (long)c->o.connect_timeout_ms);
	cx.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	cx.easy_setopt(h, CURLOPT_FOLLOWLOCATION,
		       (long)(c->o.follow_redirects != 0));
	cx.easy_setopt(h, CURLOPT_MAXREDIRS, (long)HTTP_REDIRECTS_MAX);
	if (c->o.cancel) {
		cx.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		cx.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		cx.easy_setopt(h, CURLOPT_XFERINFODATA, c);
	}
	if (c->o.user_agent)
		cx.easy_setopt(h, CURLOPT_USERAGENT, c->o.user_agent);
	if (c->o.unix_socket_path)
		cx.easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH,
			       c->o.unix_socket_path);
	cx.easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	cx.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	cx.easy_setopt(h, CURLOPT_WRITEDATA, c);
	cx.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	cx.easy_setopt(h, CURLOPT_HEADERDATA, c);
	cx.easy_setopt(h, CURLOPT_SSL_VERIFYPEER,
		       (long)!c->o.insecure_skip_verify);
	cx.easy_setopt(h, CURLOPT_SSL_VERIFYHOST,
		       c->o.insecure_skip_verify ? 0L : 2L);
	if (c->o.ca_file)
		cx.easy_setopt(h, CURLOPT_CAINFO, c->o.ca_file);
	if (c->o.cert_file)
		cx.easy_setopt(h, CURLOPT_SSLCERT, c->o.cert_file);
	if (c->o.key_file)
		cx.easy_setopt(h, CURLOPT_SSLKEY, c->o.key_file);
	if (c->o.proxy_url)
		cx.easy_setopt(h, CURLOPT_PROXY, c->o.proxy_url);
	if (c->o.accept_encoding)
		cx.easy_setopt(h, CURLOPT_ACCEPT_ENCODING,
			       c->o.accept_encoding);

	if (strcmp(method, "GET") == 0) {
		cx.easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			cx.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		cx.easy_setopt(h, CURLOPT_POST, 1L);
		cx.easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		cx.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
			       (curl_off_t)(body ? len : 0));
	}

	rc = cx.easy_perform(h);
	r->elapsed_ms += clock_mono_ms() - t0;
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
			 c->errbuf[0] ? c->errbuf : cx.easy_strerror(rc));
		goto out;
	}
	cx.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	r->status = status;
	{
		char *ct = NULL;

		if (cx.easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) ==
			    CURLE_OK && ct)
			snprintf(r->content_type, sizeof(r->content_type),
				 "%s", ct);
	}
	ret = 0;
out:
	/* The handle keeps pointers to these until the next request. */
	cx.easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	cx.easy_setopt(h, CURLOPT_CONNECT_TO, NULL);
	cx.easy_setopt(h, CURLOPT_PASSWORD, NULL);
	cx.slist_free_all(hl);
	cx.slist_free_all(connect_to);
	creds_free(&k);
	if (auth.p)
		explicit_bzero(auth.p, auth.len);
	buf_free(&auth);
	free(newurl);
	c->cur = NULL;
	return ret;
}

/* ---- the native HTTP/1.1 transport ---- */

static int url_char_ok(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f;
}

/*
 * 0 when url is one the native transport takes as libcurl would:
 * http://host[:port][/path][?query][#fragment], a plain host name or
 * address, no user info, no dot segments; -1 leaves it to libcurl.
 */
static int url_parse(const char *url, struct http_url *u)
{
	const char *p, *a, *end, *hs, *he;
	size_t i, n;
	long port = 80;

	memset(u, 0, sizeof(*u));
	for (p = url; *p; p++)
		if (!url_char_ok((unsigned char)*p))
			return -1;
	if (strncasecmp(url, "http://", 7) != 0)
		return -1;
	a = url + 7;
	end = a + strcspn(a, "/?#");
	u->authority = a;
	u->authority_len = (size_t)(end - a);
	if (memchr(a, '@', u->authority_len))
		return -1;
	if (*a == '[') {
		hs = a + 1;
		he = memchr(hs, ']', (size_t)(end - hs));
		if (!he)
			return -1;
		for (p = hs; p < he; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.')
				return -1;
		u->ipv6 = 1;
		p = he + 1;
	} else {
		hs = a;
		he = memchr(a, ':', (size_t)(end - a));
		if (!he)
			he = end;
		for (p = hs; p < he; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '.' && *p != '_')
				return -1;
		p = he;
	}
	n = (size_t)(he - hs);
	if (n == 0 || n >= sizeof(u->host))
		return -1;
	memcpy(u->host, hs, n);
	u->host[n] = '\0';
	if (p < end) {
		if (*p != ':')
			return -1;
		p++;
		if (p < end) {
			if (end - p > 5)
				return -1;
			for (port = 0; p < end; p++) {
				if (!isdigit((unsigned char)*p))
					return -1;
				port = port * 10 + (*p - '0');
			}
			if (port < 1 || port > 65535)
				return -1;
		}
	}
	u->port = (int)port;
	u->target = end;
	u->target_len = strcspn(end, "#");
	/* libcurl would remove dot segments: leave those to it */
	for (i = 0; i < u->target_len && end[i] != '?'; i++) {
		if (end[i] == '/' && end[i + 1] == '.' &&
		    (end[i + 2] == '/' || end[i + 2] == '?' ||
		     end[i + 2] == '#' || end[i + 2] == '\0' ||
		     (end[i + 2] == '.' &&
		      (end[i + 3] == '/' || end[i + 3] == '?' ||
		       end[i + 3] == '#' || end[i + 3] == '\0'))))
			return -1;
	}
	return 0;
}

/* A no_proxy entry matches host as libcurl reads it (names and domain
 * suffixes; "*" is every host).  Address ranges are left unmatched,
 * which sends the request to libcurl, and libcurl decides. */
static int no_proxy_match(const char *list, const char *host)
{
	size_t hl = strlen(host);
	const char *p = list;

	while (*p) {
		size_t n;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, ", \t");
		if (n == 1 && *p == '*')
			return 1;
		if (n && *p == '.')
			p++, n--;
		if (n && n <= hl && strncasecmp(host + hl - n, p, n) == 0 &&
		    (n == hl || host[hl - n - 1] == '.'))
			return 1;
		p += n;
	}
	return 0;
}

static const char *env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* 1 when a proxy applies to host: then libcurl carries the request. */
static int proxy_applies(const struct http_client *c, const char *host)
{
	const char *np;

	if (c->o.proxy_url && *c->o.proxy_url)
		return 1;
	if (!env_set("http_proxy") && !env_set("HTTP_PROXY") &&
	    !env_set("all_proxy") && !env_set("ALL_PROXY"))
		return 0;
	np = env_set("no_proxy");
	if (!np)
		np = env_set("NO_PROXY");
	return !(np && no_proxy_match(np, host));
}

static void xfer_timeout(struct xfer *x, int connecting)
{
	int64_t ms = clock_mono_ms() - x->t0;

	if (connecting)
		snprintf(x->r->error, sizeof(x->r->error),
			 "Connection timed out after %lld milliseconds",
			 (long long)ms);
	else
		snprintf(x->r->error, sizeof(x->r->error),
			 "Operation timed out after %lld milliseconds with "
			 "%llu bytes received",
			 (long long)ms, (unsigned long long)x->received);
}

/*
 * Waits until fd is ready for events, at most until deadline (0: none),
 * looking at the cancel flag every HTTP_CANCEL_POLL_MS.  -1 with the
 * error set on a timeout or a cancel.
 */
static int fd_wait(struct xfer *x, int fd, short events, int64_t deadline,
		   int connecting)
{
	const volatile int *cancel = x->c->o.cancel;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int64_t now = clock_mono_ms(), slice = -1;
		int n;

		if (cancel && *cancel) {
			snprintf(x->r->error, sizeof(x->r->error),
				 "cancelled");
			return -1;
		}
		if (deadline) {
			if (now >= deadline) {
				xfer_timeout(x, connecting);
				return -1;
			}
			slice = deadline - now;
		}
		if (cancel && (slice < 0 || slice > HTTP_CANCEL_POLL_MS))
			slice = HTTP_CANCEL_POLL_MS;
		n = poll(&pfd, 1, (int)slice);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			snprintf(x->r->error, sizeof(x->r->error),
				 "poll failed: %s", strerror(errno));
			return -1;
		}
	}
}

/* The earlier of the request's deadline and the connect timeout. */
static int64_t connect_deadline(const struct xfer *x)
{
	int64_t d = clock_mono_ms() + x->c->o.connect_timeout_ms;

	return x->deadline && x->deadline < d ? x->deadline : d;
}

/* Connects one socket to sa; the errno of a failure in *err, or -1 with
 * the error set (timeout, cancel). */
static int sock_connect(struct xfer *x, int family, const struct sockaddr *sa,
			socklen_t len, int *fdp, int *err)
{
	int fd, e = 0, one = 1;
	socklen_t el = sizeof(e);

	*fdp = -1;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = errno;
		return 0;
	}
	if (family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS) {
			*err = errno;
			close(fd);
			return 0;
		}
		if (fd_wait(x, fd, POLLOUT, connect_deadline(x), 1) < 0) {
			close(fd);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e) {
			*err = e;
			close(fd);
			return 0;
		}
	}
	*fdp = fd;
	return 0;
}

/*
 * A host name is looked up on a thread of its own, so the request's
 * deadline and cancel flag bound the wait (getaddrinfo has no timeout);
 * an abandoned lookup finishes and frees itself.
 */
struct lookup {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs, done, rc;
	struct addrinfo *res;
	char host[256], port[8];
};

static void lookup_put(struct lookup *q)
{
	int last;

	pthread_mutex_lock(&q->mu);
	last = --q->refs == 0;
	pthread_mutex_unlock(&q->mu);
	if (!last)
		return;
	if (q->res)
		freeaddrinfo(q->res);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static void *lookup_main(void *arg)
{
	struct lookup *q = arg;
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(q->host, q->port, &hints, &res);
	pthread_mutex_lock(&q->mu);
	q->rc = rc;
	q->res = rc == 0 ? res : NULL;
	q->done = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	lookup_put(q);
	return NULL;
}

static int resolve(struct xfer *x, const char *host, const char *port,
		   struct addrinfo **res)
{
	const volatile int *cancel = x->c->o.cancel;
	int64_t deadline = connect_deadline(x);
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t t;
	struct lookup *q;
	int rc = -1, started;

	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(x->r->error, sizeof(x->r->error), "out of memory");
		return -1;
	}
	snprintf(q->host, sizeof(q->host), "%s", host);
	snprintf(q->port, sizeof(q->port), "%s", port);
	q->refs = 2;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	started = pthread_create(&t, &ta, lookup_main, q) == 0;
	pthread_attr_destroy(&ta);
	if (!started) {
		q->refs = 1;
		lookup_put(q);
		snprintf(x->r->error, sizeof(x->r->error),
			 "cannot start a lookup of %.200s", host);
		return -1;
	}
	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct timespec ts;
		int64_t now = clock_mono_ms(), until;

		if (q->done) {
			if (q->rc == 0 && q->res) {
				*res = q->res;
				q->res = NULL;
				rc = 0;
			} else {
				snprintf(x->r->error, sizeof(x->r->error),
					 "Could not resolve host: %.200s",
					 host);
			}
			break;
		}
		if (cancel && *cancel) {
			snprintf(x->r->error, sizeof(x->r->error),
				 "cancelled");
			break;
		}
		if (now >= deadline) {
			snprintf(x->r->error, sizeof(x->r->error),
				 "Resolving timed out after %lld milliseconds",
				 (long long)(now - x->t0));
			break;
		}
		until = deadline;
		if (cancel && until > now + HTTP_CANCEL_POLL_MS)
			until = now + HTTP_CANCEL_POLL_MS;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)((until - now) / 1000);
		ts.tv_nsec += (long)((until - now) % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&q->cv, &q->mu, &ts);
	}
	pthread_mutex_unlock(&q->mu);
	lookup_put(q);
	return rc;
}

static int conn_open(struct xfer *x, const struct http_url *u)
{
	struct http_client *c = x->c;
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int fd = -1, err = 0, rc;

	if (c->o.unix_socket_path) {
		struct sockaddr_un sun;
		size_t n = strlen(c->o.unix_socket_path);

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (n >= sizeof(sun.sun_path)) {
			snprintf(x->r->error, sizeof(x->r->error),
				 "unix socket path too long: %s",
				 c->o.unix_socket_path);
			return -1;
		}
		memcpy(sun.sun_path, c->o.unix_socket_path, n);
		if (sock_connect(x, AF_UNIX, (struct sockaddr *)&sun,
				 sizeof(sun), &fd, &err) < 0)
			return -1;
		if (fd < 0) {
			snprintf(x->r->error, sizeof(x->r->error),
				 "Failed to connect to %s: %s",
				 c->o.unix_socket_path, strerror(err));
			return -1;
		}
		c->fd = fd;
		return 0;
	}
	snprintf(port, sizeof(port), "%d", u->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	rc = getaddrinfo(u->host, port, &hints, &res);
	if (rc != 0 && resolve(x, u->host, port, &res) < 0)
		return -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		if (sock_connect(x, ai->ai_family, ai->ai_addr,
				 ai->ai_addrlen, &fd, &err) < 0) {
			freeaddrinfo(res);
			return -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(x->r->error, sizeof(x->r->error),
			 "Failed to connect to %.200s port %d: %s", u->host,
			 u->port, strerror(err ? err : ECONNREFUSED));
		return -1;
	}
	c->fd = fd;
	return 0;
}

/* 1 when a kept connection was closed by the peer (or has bytes no
 * request asked for): it cannot carry the next request. */
static int conn_stale(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/* Sends iov whole; -1 with *err set to the errno, or -1 with the error
 * set on a timeout or cancel (*err 0). */
static int send_all(struct xfer *x, struct iovec *iov, int cnt, int *err)
{
	*err = 0;
	while (cnt > 0) {
		struct msghdr m;
		ssize_t n;

		memset(&m, 0, sizeof(m));
		m.msg_iov = iov;
		m.msg_iovlen = (size_t)cnt;
		n = sendmsg(x->c->fd, &m, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (fd_wait(x, x->c->fd, POLLOUT, x->deadline,
					    0) < 0)
					return -1;
				continue;
			}
			*err = errno;
			return -1;
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++, cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int header_name_is(const char *h, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(h, name, n) == 0 && (h[n] == ':' || h[n] == ';');
}

/* 1 when a header the caller gave names it (replaced or removed). */
static int header_given(const char *const *h1, size_t n1,
			const char *const *h2, size_t n2, const char *name)
{
	size_t i;

	for (i = 0; i < n1; i++)
		if (header_name_is(h1[i], name))
			return 1;
	for (i = 0; i < n2; i++)
		if (header_name_is(h2[i], name))
			return 1;
	return 0;
}

/* A caller's header as libcurl sends it: "Name:" alone removes the
 * header, "Name;" sends it empty. */
static int header_add(struct buf *b, const char *h)
{
	size_t n = strcspn(h, ":;");
	const char *v = h + n;

	if (!*v || n == 0)
		return 0;
	if (v[1] == '\0' || strspn(v + 1, " \t") == strlen(v + 1)) {
		if (*v == ':')
			return 0;
		return buf_addf(b, "%.*s:\r\n", (int)n, h);
	}
	if (*v == ';')
		return 0;	/* "Name; value" is no header to libcurl */
	return buf_addf(b, "%s\r\n", h);
}

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int base64_add(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 |
			     p[i + 2];
		char q[4] = { b64chars[v >> 18], b64chars[(v >> 12) & 63],
			      b64chars[(v >> 6) & 63], b64chars[v & 63] };

		if (buf_add(b, q, 4) < 0)
			return -1;
	}
	if (i < n) {
		unsigned v = (unsigned)p[i] << 16 |
			     (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
		char q[4] = { b64chars[v >> 18], b64chars[(v >> 12) & 63],
			      i + 1 < n ? b64chars[(v >> 6) & 63] : '=', '=' };

		if (buf_add(b, q, 4) < 0)
			return -1;
	}
	return 0;
}

/* 1 when s would end a header line early (a request could be smuggled
 * in with a token file or a configured header); the basic-auth password
 * goes out in base64 and may hold anything. */
static int breaks_line(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

static int head_unsafe(const struct http_client *c, const char *method,
		       const char *const *hs, size_t nh,
		       const struct creds *k)
{
	size_t i;

	if (breaks_line(c->o.user_agent) || breaks_line(c->o.auth_type) ||
	    breaks_line(c->o.accept_encoding) || strpbrk(method, " \r\n") ||
	    (k && breaks_line(k->bearer)))
		return 1;
	for (i = 0; i < c->o.n_headers; i++)
		if (breaks_line(c->o.headers[i]))
			return 1;
	for (i = 0; i < nh; i++)
		if (breaks_line(hs[i]))
			return 1;
	return 0;
}

static int method_has_body(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/*
 * The request head, with libcurl's headers in libcurl's order (receivers
 * and tests see the same bytes whichever transport sent them): Host,
 * Authorization (basic), User-Agent, Accept, Accept-Encoding, the
 * client's headers, the request's, Authorization (bearer),
 * Content-Length and Content-Type for a body.  A header the caller gives
 * replaces ours of the same name.
 */
static int head_build(struct http_client *c, struct buf *b, const char *method,
		      const struct http_url *u, const char *const *hs,
		      size_t nh, size_t len, const struct creds *k)
{
	const char *const *ch = c->o.headers;
	size_t nc = c->o.n_headers, i;
	int e = 0;

	e |= buf_addf(b, "%s ", method);
	if (u->target_len == 0 || u->target[0] != '/')
		e |= buf_addch(b, '/');
	e |= buf_addf(b, "%.*s HTTP/1.1\r\n", (int)u->target_len, u->target);
	if (!header_given(ch, nc, hs, nh, "Host")) {
		if (u->ipv6)
			e |= buf_addf(b, "Host: [%s]", u->host);
		else
			e |= buf_addf(b, "Host: %s", u->host);
		if (u->port != 80)
			e |= buf_addf(b, ":%d", u->port);
		e |= buf_addstr(b, "\r\n");
	}
	if (k && c->o.basic_user &&
	    !header_given(ch, nc, hs, nh, "Authorization")) {
		struct buf up = BUF_INIT(2 * HTTP_SECRET_MAX);

		e |= buf_addf(&up, "%s:%s", c->o.basic_user,
			      k->password ? k->password : "");
		e |= buf_addstr(b, "Authorization: Basic ");
		e |= base64_add(b, up.p ? up.p : "", up.len);
		e |= buf_addstr(b, "\r\n");
		if (up.p)
			explicit_bzero(up.p, up.len);
		buf_free(&up);
	}
	if (c->o.user_agent && !header_given(ch, nc, hs, nh, "User-Agent"))
		e |= buf_addf(b, "User-Agent: %s\r\n", c->o.user_agent);
	if (!header_given(ch, nc, hs, nh, "Accept"))
		e |= buf_addstr(b, "Accept: */*\r\n");
	if (c->o.accept_encoding &&
	    !header_given(ch, nc, hs, nh, "Accept-Encoding"))
		e |= buf_addf(b, "Accept-Encoding: %s\r\n",
			      c->o.accept_encoding);
	for (i = 0; i < nc; i++)
		e |= header_add(b, ch[i]);
	for (i = 0; i < nh; i++)
		e |= header_add(b, hs[i]);
	if (k && k->bearer)
		e |= buf_addf(b, "Authorization: %s %s\r\n",
			      c->o.auth_type ? c->o.auth_type : "Bearer",
			      k->bearer);
	if (method_has_body(method)) {
		if (!header_given(ch, nc, hs, nh, "Content-Length"))
			e |= buf_addf(b, "Content-Length: %zu\r\n", len);
		if (!header_given(ch, nc, hs, nh, "Content-Type"))
			e |= buf_addstr(b, "Content-Type: "
					   "application/x-www-form-urlencoded\r\n");
	}
	e |= buf_addstr(b, "\r\n");
	return e ? -1 : 0;
}

/* Hands decoded body bytes to the caller: on_data, or the capped body. */
static int body_deliver(struct xfer *x, const char *p, size_t n)
{
	struct http_client *c = x->c;
	struct http_response *r = x->r;
	size_t room;

	if (x->redirect || n == 0)
		return 0;
	if (c->o.on_data) {
		if (c->o.on_data(p, n, c->o.on_data_arg) != n) {
			snprintf(r->error, sizeof(r->error),
				 "Failed writing body");
			return -1;
		}
		return 0;
	}
	room = r->body.len < c->o.max_body ? c->o.max_body - r->body.len : 0;
	if (n > room) {
		r->body_truncated = 1;
		if (c->o.max_body_abort) {
			snprintf(r->error, sizeof(r->error),
				 "body size limit exceeded");
			return -1;
		}
	}
	if (room && buf_add(&r->body, p, n < room ? n : room) < 0)
		r->body_truncated = 1;
	return 0;
}

/* A piece of the body as sent: inflated first when the answer is
 * compressed and we asked for that. */
static int body_piece(struct xfer *x, const char *p, size_t n)
{
	struct http_client *c = x->c;
	char out[16384];

	if (!c->z_on)
		return body_deliver(x, p, n);
	/* nothing more would be kept: the rest need not be inflated */
	if (c->z_end || (x->r->body_truncated && !c->o.on_data))
		return 0;
	c->z.next_in = (unsigned char *)(uintptr_t)p;
	c->z.avail_in = (unsigned)n;
	while (c->z.avail_in > 0 && !c->z_end) {
		int zr;

		c->z.next_out = (unsigned char *)out;
		c->z.avail_out = sizeof(out);
		zr = inflate(&c->z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			snprintf(x->r->error, sizeof(x->r->error),
				 "Error while processing content "
				 "unencoding: %s",
				 c->z.msg ? c->z.msg : "bad data");
			return -1;
		}
		if (body_deliver(x, out, sizeof(out) - c->z.avail_out) < 0)
			return -1;
		if (zr == Z_STREAM_END)
			c->z_end = 1;
		else if (zr == Z_BUF_ERROR)
			break;
	}
	return 0;
}

/* The head of the final answer is in: status, headers we keep, and how
 * the body is decoded. */
static int head_take(struct xfer *x)
{
	struct http_client *c = x->c;
	struct httpwire *w = &c->wire;
	const char *ce = w->content_encoding;
	int bits = 0;

	x->r->status = w->status;
	snprintf(x->r->content_type, sizeof(x->r->content_type), "%s",
		 w->content_type);
	if (w->retry_after[0])
		x->r->retry_after_ms = http_parse_retry_after(
			w->retry_after, strlen(w->retry_after), clock_ms());
	x->redirect = c->o.follow_redirects && w->location[0] &&
		      (w->status == 301 || w->status == 302 ||
		       w->status == 303 || w->status == 307 ||
		       w->status == 308);
	if (!c->o.accept_encoding || !ce[0] || x->redirect ||
	    strcasecmp(ce, "identity") == 0)
		return 0;
	if (strcasecmp(ce, "gzip") == 0 || strcasecmp(ce, "x-gzip") == 0)
		bits = 16 + MAX_WBITS;
	else if (strcasecmp(ce, "deflate") == 0)
		bits = MAX_WBITS;
	else {
		snprintf(x->r->error, sizeof(x->r->error),
			 "Unrecognized content encoding type: %s", ce);
		return -1;
	}
	memset(&c->z, 0, sizeof(c->z));
	if (inflateInit2(&c->z, bits) != Z_OK) {
		snprintf(x->r->error, sizeof(x->r->error),
			 "cannot start inflating the body");
		return -1;
	}
	c->z_on = 1;
	c->z_end = 0;
	return 0;
}

/*
 * Reads one answer.  0 when it is complete; -1 with the error set; 1
 * when the connection was closed before any byte of it (the caller may
 * send again on a new one).
 */
static int answer_read(struct xfer *x, const char *method, int reused)
{
	struct http_client *c = x->c;
	struct httpwire *w = &c->wire;

	httpwire_init(w, strcmp(method, "HEAD") == 0);
	for (;;) {
		ssize_t n = recv(c->fd, c->rbuf, sizeof(c->rbuf), 0);
		size_t off = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (fd_wait(x, c->fd, POLLIN, x->deadline, 0) <
				    0)
					return -1;
				continue;
			}
			if (reused && httpwire_empty(w))
				return 1;
			snprintf(x->r->error, sizeof(x->r->error),
				 "Recv failure: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			if (reused && httpwire_empty(w))
				return 1;
			if (httpwire_eof(w) != HTTPWIRE_DONE) {
				snprintf(x->r->error, sizeof(x->r->error),
					 "%s", w->error);
				return -1;
			}
			w->keep_alive = 0;
			return 0;
		}
		x->received += (uint64_t)n;
		for (;;) {
			const char *b;
			size_t u, bl;
			enum httpwire_event ev;

			ev = httpwire_feed(w, c->rbuf + off, (size_t)n - off,
					   &u, &b, &bl);
			off += u;
			if (ev == HTTPWIRE_MORE)
				break;
			if (ev == HTTPWIRE_ERROR) {
				snprintf(x->r->error, sizeof(x->r->error),
					 "%s", w->error);
				return -1;
			}
			if (ev == HTTPWIRE_DONE) {
				if (off < (size_t)n)
					w->keep_alive = 0;
				return 0;
			}
			if (ev == HTTPWIRE_HEAD && head_take(x) < 0)
				return -1;
			if (ev == HTTPWIRE_BODY && body_piece(x, b, bl) < 0)
				return -1;
		}
	}
}

/* One request and its answer on the native transport, sent again once
 * on a new connection when a kept one turns out closed. */
static int native_once(struct xfer *x, const char *method,
		       const struct http_url *u, const char *const *hs,
		       size_t nh, const void *body, size_t len,
		       const struct creds *k)
{
	struct http_client *c = x->c;
	struct buf head = BUF_INIT(4 * HTTP_SECRET_MAX);
	char key[sizeof(c->conn_key)];
	int attempt, ret = -1, err;

	if (c->o.unix_socket_path)
		snprintf(key, sizeof(key), "unix:%s", c->o.unix_socket_path);
	else
		snprintf(key, sizeof(key), "%s:%d", u->host, u->port);
	if (head_unsafe(c, method, hs, nh, k)) {
		snprintf(x->r->error, sizeof(x->r->error),
			 "a header or the token holds a line break");
		goto out;
	}
	if (head_build(c, &head, method, u, hs, nh, body ? len : 0, k) < 0) {
		snprintf(x->r->error, sizeof(x->r->error),
			 "request head too large");
		goto out;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		struct iovec iov[2];
		int reused, rc;

		if (c->fd >= 0 &&
		    (strcmp(c->conn_key, key) != 0 || conn_stale(c->fd)))
			conn_close(c);
		reused = c->fd >= 0;
		if (!reused) {
			if (conn_open(x, u) < 0)
				goto out;
			snprintf(c->conn_key, sizeof(c->conn_key), "%s", key);
		}
		iov[0].iov_base = head.p;
		iov[0].iov_len = head.len;
		iov[1].iov_base = (void *)(uintptr_t)(body ? body : "");
		iov[1].iov_len = method_has_body(method) && body ? len : 0;
		if (send_all(x, iov, iov[1].iov_len ? 2 : 1, &err) < 0) {
			if (err == 0 || reused) {
				conn_close(c);
				if (err == 0)
					goto out;
				continue;
			}
			/* the peer may have answered before it stopped
			   reading (a 413 to a body too large) */
			rc = answer_read(x, method, 0);
			inflate_stop(c);
			conn_close(c);
			if (rc == 0) {
				ret = 0;
				goto out;
			}
			snprintf(x->r->error, sizeof(x->r->error),
				 "Send failure: %s", strerror(err));
			goto out;
		}
		rc = answer_read(x, method, reused);
		inflate_stop(c);
		if (rc == 1) {
			conn_close(c);
			continue;
		}
		if (rc < 0 || !c->wire.keep_alive)
			conn_close(c);
		ret = rc;
		goto out;
	}
	snprintf(x->r->error, sizeof(x->r->error), "Empty reply from server");
out:
	if (head.p)
		explicit_bzero(head.p, head.len);
	buf_free(&head);
	return ret;
}

/* The URL a Location names, from the URL it answered (RFC 3986 5.2,
 * without dot-segment removal: such URLs go to libcurl). */
static int location_resolve(struct buf *out, const struct http_url *u,
			    const char *loc)
{
	size_t n = strcspn(loc, "#"), i;

	buf_reset(out);
	for (i = 0; i < n && isalpha((unsigned char)loc[i]); i++)
		;
	if (i > 0 && i + 2 < n && strncmp(loc + i, "://", 3) == 0)
		return buf_addf(out, "%.*s", (int)n, loc);
	if (loc[0] == '/' && loc[1] == '/')
		return buf_addf(out, "http:%.*s", (int)n, loc);
	if (buf_addf(out, "http://%.*s", (int)u->authority_len,
		     u->authority) < 0)
		return -1;
	if (loc[0] == '/')
		return buf_addf(out, "%.*s", (int)n, loc);
	if (loc[0] == '?') {
		size_t pl = strcspn(u->target, "?#");

		return buf_addf(out, "%.*s%.*s", (int)pl, u->target, (int)n,
				loc);
	}
	{
		size_t pl = strcspn(u->target, "?#");

		while (pl && u->target[pl - 1] != '/')
			pl--;
		if (pl == 0)
			return buf_addf(out, "/%.*s", (int)n, loc);
		return buf_addf(out, "%.*s%.*s", (int)pl, u->target, (int)n,
				loc);
	}
}

static int same_origin(const struct http_url *a, const struct http_url *b)
{
	return strcasecmp(a->host, b->host) == 0 && a->port == b->port;
}

int http_request(struct http_client *c, const char *method, const char *url,
		 const char *const *headers, size_t n_headers,
		 const void *body, size_t len, struct http_response *r)
{
	struct http_url u, first;
	struct buf next = BUF_INIT(16384), cur = BUF_INIT(16384);
	struct creds k;
	struct xfer x;
	int hops = 0, noauth = 0, ret = -1;

	buf_reset(&r->body);
	r->status = 0;
	r->body_truncated = 0;
	r->retry_after_ms = -1;
	r->error[0] = '\0';
	r->content_type[0] = '\0';
	r->elapsed_ms = 0;

	if (c->o.server_name || url_parse(url, &u) < 0 ||
	    (!c->o.unix_socket_path && proxy_applies(c, u.host)))
		return curl_request(c, method, url, headers, n_headers, body,
				    len, r, 0);

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.r = r;
	x.t0 = clock_mono_ms();
	x.deadline = c->o.stream_no_timeout ? 0 : x.t0 + c->o.timeout_ms;
	first = u;
	if (creds_read(c, &k, r) < 0)
		goto out;
	for (;;) {
		if (native_once(&x, method, &u, headers, n_headers, body, len,
				noauth ? NULL : &k) < 0)
			goto out;
		if (!x.redirect) {
			ret = 0;
			goto out;
		}
		if (++hops > HTTP_REDIRECTS_MAX) {
			snprintf(r->error, sizeof(r->error),
				 "Maximum (%d) redirects followed",
				 HTTP_REDIRECTS_MAX);
			goto out;
		}
		if (c->wire.location_cut ||
		    location_resolve(&next, &u, c->wire.location) < 0) {
			snprintf(r->error, sizeof(r->error),
				 "redirect location too long");
			goto out;
		}
		/* as libcurl: a POST redirected by 301, 302, 303 is a GET */
		if (c->wire.status == 303 ||
		    ((c->wire.status == 301 || c->wire.status == 302) &&
		     strcmp(method, "POST") == 0)) {
			if (strcmp(method, "HEAD") != 0)
				method = "GET";
		}
		buf_reset(&cur);
		if (buf_add(&cur, next.p, next.len) < 0) {
			snprintf(r->error, sizeof(r->error), "out of memory");
			goto out;
		}
		url = buf_cstr(&cur);
		r->status = 0;
		r->retry_after_ms = -1;
		r->content_type[0] = '\0';
		x.redirect = 0;
		if (url_parse(url, &u) < 0 ||
		    (!c->o.unix_socket_path && proxy_applies(c, u.host))) {
			r->elapsed_ms = clock_mono_ms() - x.t0;
			ret = curl_request(c, method, url, headers, n_headers,
					   body, len, r,
					   noauth ||
						   strncasecmp(url, "http://",
							       7) != 0 ||
						   !same_origin(&first, &u));
			goto done;
		}
		if (!same_origin(&first, &u))
			noauth = 1;
	}
out:
	r->elapsed_ms = clock_mono_ms() - x.t0;
	if (ret < 0)
		r->status = 0;	/* no answer, as libcurl reports it */
done:
	creds_free(&k);
	buf_free(&next);
	buf_free(&cur);
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
