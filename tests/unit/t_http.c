/* t_http.c: unit tests for the HTTP client, its native transport and its libcurl path, against loopback servers. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "clock.h"
#include "http.h"
#include "atomicfile.h"
#include "log.h"
#include "tap.h"
#include "banned.h"

/* A one-shot server: answers each of n connections' single request with
 * the canned reply, keeping what the client sent. */
struct server {
	int fd;
	int port;
	const char *reply;
	size_t reply_len;
	char got[8192];
	size_t got_len;
	int requests;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	ssize_t n;
	size_t off = 0;

	if (c < 0)
		return NULL;
	/* read until the blank line and the body (Content-Length small) */
	while (off < sizeof(s->got) - 1) {
		n = read(c, s->got + off, sizeof(s->got) - 1 - off);
		if (n <= 0)
			break;
		off += (size_t)n;
		s->got[off] = '\0';
		if (strstr(s->got, "\r\n\r\n") &&
		    strstr(s->got, "\r\n\r\nbody"))
			break;
		if (strstr(s->got, "\r\n\r\n") && strncmp(s->got, "GET", 3) == 0)
			break;
	}
	s->got_len = off;
	s->requests++;
	off = 0;
	while (off < s->reply_len) {
		n = write(c, s->reply + off, s->reply_len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(c);
	return NULL;
}

static int server_start(struct server *s, pthread_t *t)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s->fd, 4) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	s->port = ntohs(a.sin_port);
	return pthread_create(t, NULL, serve, s);
}

/*
 * A scripted server for the native transport: it answers requests in
 * turn with reply[i] on kept connections; a NULL reply reads the request
 * and closes without an answer, close_after[i] closes after the answer,
 * hang reads the request and waits for the client to go, greet answers
 * before any request (for a TLS client).  Every request
 * lands in got.
 */
#define SCRIPT_MAX 8
struct script {
	int fd;
	int port;
	const char *reply[SCRIPT_MAX];
	size_t reply_len[SCRIPT_MAX];	/* 0: strlen */
	int close_after[SCRIPT_MAX];
	int n;
	int hang;
	int greet;	/* answer reply[0] on connecting, unasked, and close */
	struct buf got;
	int conns, reqs;
};

/* Reads one request (head and Content-Length body) into got; -1 at EOF. */
static int read_request(int c, struct buf *got)
{
	char tmp[4096];
	size_t start = got->len, want = 0;
	const char *end = NULL;

	for (;;) {
		struct pollfd pfd = { .fd = c, .events = POLLIN };
		ssize_t n;

		if (end && got->len >= want)
			return 0;
		if (poll(&pfd, 1, 5000) <= 0)
			return -1;
		n = read(c, tmp, sizeof(tmp));
		if (n <= 0)
			return -1;
		buf_add(got, tmp, (size_t)n);
		if (!end) {
			end = memmem(got->p + start, got->len - start,
				     "\r\n\r\n", 4);
			if (end) {
				const char *cl = memmem(got->p + start,
						(size_t)(end - got->p) - start,
						"Content-Length: ", 16);

				want = (size_t)(end - got->p) + 4 +
				       (cl ? strtoul(cl + 16, NULL, 10) : 0);
			}
		}
	}
}

static void *script_serve(void *arg)
{
	struct script *s = arg;
	int i = 0;

	while (i < s->n || s->hang) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int c;

		if (poll(&pfd, 1, 5000) <= 0)
			return NULL;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		s->conns++;
		if (s->greet) {
			if (write(c, s->reply[0], strlen(s->reply[0])) < 0)
				s->greet = -1;
			close(c);
			return NULL;
		}
		while (read_request(c, &s->got) == 0) {
			size_t len, off = 0;

			s->reqs++;
			if (s->hang) {
				char t;

				while (read(c, &t, 1) > 0)
					;
				close(c);
				return NULL;
			}
			if (!s->reply[i]) {
				i++;
				break;
			}
			len = s->reply_len[i] ? s->reply_len[i] :
						strlen(s->reply[i]);
			while (off < len) {
				ssize_t n = write(c, s->reply[i] + off,
						  len - off);

				if (n <= 0)
					break;
				off += (size_t)n;
			}
			if (s->close_after[i++] || i >= s->n)
				break;
		}
		close(c);
	}
	return NULL;
}

/* Listens on 127.0.0.1, on ::1 (v6), or on the unix socket path. */
static int script_start(struct script *s, pthread_t *t, int v6,
			const char *path)
{
	buf_init(&s->got, 0);
	if (path) {
		struct sockaddr_un a;

		memset(&a, 0, sizeof(a));
		a.sun_family = AF_UNIX;
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
		unlink(path);
		s->fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s->fd < 0 ||
		    bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			return -1;
	} else if (v6) {
		struct sockaddr_in6 a;
		socklen_t len = sizeof(a);

		memset(&a, 0, sizeof(a));
		a.sin6_family = AF_INET6;
		a.sin6_addr = in6addr_loopback;
		s->fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (s->fd < 0 ||
		    bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    getsockname(s->fd, (struct sockaddr *)&a, &len) < 0)
			return -1;
		s->port = ntohs(a.sin6_port);
	} else {
		struct sockaddr_in a;
		socklen_t len = sizeof(a);

		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s->fd = socket(AF_INET, SOCK_STREAM, 0);
		if (s->fd < 0 ||
		    bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    getsockname(s->fd, (struct sockaddr *)&a, &len) < 0)
			return -1;
		s->port = ntohs(a.sin_port);
	}
	if (listen(s->fd, 8) < 0)
		return -1;
	return pthread_create(t, NULL, script_serve, s);
}

static void script_stop(struct script *s, pthread_t t)
{
	pthread_join(t, NULL);
	close(s->fd);
	buf_free(&s->got);
}

/* Counts where line occurs in what the server got. */
static int got_count(const struct script *s, const char *line)
{
	const char *p = s->got.p, *end = s->got.p + s->got.len;
	size_t n = strlen(line);
	int k = 0;

	while (p && p < end) {
		p = memmem(p, (size_t)(end - p), line, n);
		if (p) {
			k++;
			p += n;
		}
	}
	return k;
}

static int maps_have(const char *what)
{
	char *m = NULL;
	size_t len;
	int r;

	if (file_read_all("/proc/self/maps", 1 << 24, &m, &len) < 0)
		return -1;
	r = strstr(m, what) != NULL;
	free(m);
	return r;
}

struct collect {
	struct buf b;
	int calls;
	int fail_at;
};

static size_t on_data(const char *p, size_t n, void *arg)
{
	struct collect *k = arg;

	k->calls++;
	if (k->fail_at && k->calls >= k->fail_at)
		return 0;
	buf_add(&k->b, p, n);
	return n;
}

static volatile int cancel_flag;

static void *cancel_later(void *arg)
{
	(void)arg;
	usleep(200 * 1000);
	cancel_flag = 1;
	return NULL;
}

static void gzip_make(struct buf *out, const char *in, size_t n)
{
	z_stream z;
	char tmp[65536];

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (unsigned)n;
	do {
		z.next_out = (unsigned char *)tmp;
		z.avail_out = sizeof(tmp);
		deflate(&z, Z_FINISH);
		buf_add(out, tmp, sizeof(tmp) - z.avail_out);
	} while (z.avail_out == 0);
	deflateEnd(&z);
}

static struct http_client *client(const char *ua, int64_t timeout_ms)
{
	struct http_opts o;

	memset(&o, 0, sizeof(o));
	o.user_agent = ua;
	o.timeout_ms = timeout_ms;
	return http_client_new(&o);
}

static void test_keepalive(void)
{
	struct script s = { .n = 4 };
	struct http_client *c;
	struct http_response r;
	struct buf url = BUF_INIT(0);
	pthread_t t;
	int a, b, d, e;

	s.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
	s.reply[1] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "3;x=y\r\ntwo\r\n0\r\n\r\n";
	s.reply[2] = "HTTP/1.1 204 No Content\r\n\r\n";
	s.reply[3] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfour";
	ok(script_start(&s, &t, 0, NULL) == 0, "keep-alive: server started");
	c = client("obs-test/1", 5000);
	http_response_init(&r);
	buf_addf(&url, "http://127.0.0.1:%d/k", s.port);
	a = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r) == 0 &&
	    r.status == 200 && r.body.len == 3;
	b = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r) == 0 &&
	    r.status == 200 && r.body.len == 3 &&
	    memcmp(r.body.p, "two", 3) == 0;
	d = http_request(c, "POST", url.p, NULL, 0, "x", 1, &r) == 0 &&
	    r.status == 204 && r.body.len == 0;
	e = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r) == 0 &&
	    r.status == 200 && r.body.len == 4;
	ok(a && b && d && e,
	   "keep-alive: length, chunked, 204 and length answers in turn");
	script_stop(&s, t);
	is_int(s.conns, 1, "keep-alive: one connection for four requests");
	is_int(s.reqs, 4, "keep-alive: four requests");
	http_response_free(&r);
	http_client_free(c);
	buf_free(&url);
}

static void test_resend(void)
{
	struct script s = { .n = 3 };
	struct http_client *c;
	struct http_response r;
	struct buf url = BUF_INIT(0);
	pthread_t t;
	int rc;

	s.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na";
	s.reply[1] = NULL;	/* the kept connection dies under the request */
	s.reply[2] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb";
	ok(script_start(&s, &t, 0, NULL) == 0, "resend: server started");
	c = client("obs-test/1", 5000);
	http_response_init(&r);
	buf_addf(&url, "http://127.0.0.1:%d/r", s.port);
	rc = http_request(c, "POST", url.p, NULL, 0, "one", 3, &r);
	is_int(rc, 0, "resend: first answer");
	rc = http_request(c, "POST", url.p, NULL, 0, "two", 3, &r);
	ok(rc == 0 && r.status == 200 && r.body.len == 1 && r.body.p[0] == 'b',
	   "resend: a kept connection closed before the answer: sent again "
	   "(%s)", r.error);
	script_stop(&s, t);
	is_int(s.conns, 2, "resend: on a second connection");
	is_int(s.reqs, 3, "resend: the request went twice");
	http_response_free(&r);
	http_client_free(c);
	buf_free(&url);

	/* a fresh connection closed without an answer is an error */
	memset(&s, 0, sizeof(s));
	s.n = 1;
	s.reply[0] = NULL;
	ok(script_start(&s, &t, 0, NULL) == 0, "empty reply: server started");
	c = client("obs-test/1", 5000);
	http_response_init(&r);
	buf_reset(&url);
	buf_addf(&url, "http://127.0.0.1:%d/e", s.port);
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ok(rc == -1 && strcmp(r.error, "Empty reply from server") == 0,
	   "empty reply: -1, %s", r.error);
	script_stop(&s, t);
	is_int(s.reqs, 1, "empty reply: not sent again");
	http_response_free(&r);
	http_client_free(c);
	buf_free(&url);
}

static void test_head_bytes(void)
{
	struct script s = { .n = 3 };
	struct http_client *c;
	struct http_response r;
	struct http_opts o;
	struct buf url = BUF_INIT(0), want = BUF_INIT(0);
	const char *ch[] = { "X-Client: c", "Accept: text/plain",
			     "X-Gone:", "X-Empty;" };
	const char *rh[] = { "Content-Type: application/x-protobuf" };
	pthread_t t;
	int rc;

	s.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	s.reply[1] = "HTTP/1.0 200 OK\r\nContent-Type: text/x\r\n\r\nto close";
	s.close_after[1] = 1;
	s.reply[2] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	ok(script_start(&s, &t, 0, NULL) == 0, "head bytes: server started");
	memset(&o, 0, sizeof(o));
	o.user_agent = "obs-test/2";
	o.headers = ch;
	o.n_headers = 4;
	o.basic_user = "me";
	o.basic_password = "pw";
	c = http_client_new(&o);
	http_response_init(&r);
	buf_addf(&url, "http://127.0.0.1:%d/w?a=1#frag", s.port);
	rc = http_request(c, "POST", url.p, rh, 1, "body", 4, &r);
	is_int(rc, 0, "head bytes: answered");
	buf_addf(&want, "POST /w?a=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			"Authorization: Basic bWU6cHc=\r\n"
			"User-Agent: obs-test/2\r\n"
			"X-Client: c\r\nAccept: text/plain\r\nX-Empty:\r\n"
			"Content-Type: application/x-protobuf\r\n"
			"Content-Length: 4\r\n\r\nbody", s.port);
	ok(s.got.len == want.len && memcmp(s.got.p, want.p, want.len) == 0,
	   "head bytes: libcurl's headers and order; a given header "
	   "replaces ours, 'Name:' removes, 'Name;' sends empty");
	if (s.got.len != want.len || memcmp(s.got.p, want.p, want.len))
		diag("got: %.*s", (int)s.got.len, s.got.p);
	/* an HTTP/1.0 answer delimited by the close */
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ok(rc == 0 && r.body.len == 8 && memcmp(r.body.p, "to close", 8) == 0,
	   "HTTP/1.0 body read to the close");
	is_str(r.content_type, "text/x", "Content-Type answered");
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	is_int(rc, 0, "a new connection after the close");
	script_stop(&s, t);
	is_int(s.conns, 2, "two connections");
	http_response_free(&r);
	http_client_free(c);
	buf_free(&url);
	buf_free(&want);
}

static void test_gzip_stream(void)
{
	struct script s = { .n = 2 };
	struct http_client *c;
	struct http_response r;
	struct http_opts o;
	struct collect k;
	struct buf url = BUF_INIT(0), plain = BUF_INIT(0), gz = BUF_INIT(0),
		   r0 = BUF_INIT(0);
	pthread_t t;
	int rc, i;

	for (i = 0; i < 20000; i++)
		buf_addf(&plain, "metric_%d{a=\"b\"} %d\n", i % 50, i);
	gzip_make(&gz, plain.p, plain.len);
	buf_addf(&r0, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		      "Content-Length: %zu\r\n\r\n", gz.len);
	buf_add(&r0, gz.p, gz.len);
	s.reply[0] = r0.p;
	s.reply_len[0] = r0.len;
	s.reply[1] = r0.p;
	s.reply_len[1] = r0.len;
	s.close_after[1] = 1;
	ok(script_start(&s, &t, 0, NULL) == 0, "gzip: server started");
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 5000;
	o.accept_encoding = "gzip";
	o.max_body = 1 << 20;
	c = http_client_new(&o);
	http_response_init(&r);
	buf_addf(&url, "http://127.0.0.1:%d/gz", s.port);
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ok(rc == 0 && r.body.len == plain.len &&
		   memcmp(r.body.p, plain.p, plain.len) == 0,
	   "gzip: body inflated (%zu bytes from %zu)", r.body.len, gz.len);
	ok(memmem(s.got.p, s.got.len, "\r\nAccept-Encoding: gzip\r\n", 25) !=
		   NULL,
	   "gzip: asked for");
	http_client_free(c);
	/* the cap holds for the inflated body */
	o.max_body = 1000;
	o.max_body_abort = 1;
	c = http_client_new(&o);
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ok(rc == -1 && r.body_truncated &&
		   strcmp(r.error, "body size limit exceeded") == 0,
	   "gzip: past max_body on the inflated bytes: %s", r.error);
	http_client_free(c);
	script_stop(&s, t);

	/* streaming: on_data gets the chunked body piece by piece */
	memset(&s, 0, sizeof(s));
	s.n = 2;
	s.reply[0] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "6\r\nline1\n\r\n6\r\nline2\n\r\n0\r\n\r\n";
	s.reply[1] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "6\r\nline1\n\r\n6\r\nline2\n\r\n0\r\n\r\n";
	ok(script_start(&s, &t, 0, NULL) == 0, "stream: server started");
	memset(&o, 0, sizeof(o));
	memset(&k, 0, sizeof(k));
	buf_init(&k.b, 0);
	o.timeout_ms = 5000;
	o.on_data = on_data;
	o.on_data_arg = &k;
	o.stream_no_timeout = 1;
	c = http_client_new(&o);
	buf_reset(&url);
	buf_addf(&url, "http://127.0.0.1:%d/logs?follow=1", s.port);
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ok(rc == 0 && k.b.len == 12 && memcmp(k.b.p, "line1\nline2\n", 12) == 0 &&
		   r.body.len == 0,
	   "stream: on_data got the body, the response none");
	k.fail_at = k.calls + 1;
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ok(rc == -1 && strcmp(r.error, "Failed writing body") == 0,
	   "stream: on_data refusing ends the request: %s", r.error);
	http_client_free(c);
	script_stop(&s, t);
	buf_free(&k.b);
	http_response_free(&r);
	buf_free(&url);
	buf_free(&plain);
	buf_free(&gz);
	buf_free(&r0);
}

static void test_timeouts(void)
{
	struct script s = { .hang = 1 };
	struct http_client *c;
	struct http_response r;
	struct http_opts o;
	struct buf url = BUF_INIT(0);
	pthread_t t, ct;
	int64_t t0, ms;
	int rc;

	ok(script_start(&s, &t, 0, NULL) == 0, "timeout: server started");
	c = client("obs-test/1", 300);
	http_response_init(&r);
	buf_addf(&url, "http://127.0.0.1:%d/hang", s.port);
	t0 = clock_mono_ms();
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ms = clock_mono_ms() - t0;
	ok(rc == -1 && strncmp(r.error, "Operation timed out after ", 26) == 0,
	   "timeout: %s", r.error);
	ok(ms >= 290 && ms < 3000, "timeout: after %lld ms", (long long)ms);
	http_client_free(c);
	script_stop(&s, t);

	/* the cancel flag ends a request with no timeout at once */
	memset(&s, 0, sizeof(s));
	s.hang = 1;
	ok(script_start(&s, &t, 0, NULL) == 0, "cancel: server started");
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 60000;
	o.stream_no_timeout = 1;
	o.cancel = &cancel_flag;
	c = http_client_new(&o);
	buf_reset(&url);
	buf_addf(&url, "http://127.0.0.1:%d/hang", s.port);
	cancel_flag = 0;
	pthread_create(&ct, NULL, cancel_later, NULL);
	t0 = clock_mono_ms();
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ms = clock_mono_ms() - t0;
	pthread_join(ct, NULL);
	ok(rc == -1 && strcmp(r.error, "cancelled") == 0, "cancel: %s",
	   r.error);
	ok(ms >= 190 && ms < 1500, "cancel: within 100 ms of the flag (%lld ms)",
	   (long long)ms);
	http_client_free(c);
	script_stop(&s, t);
	http_response_free(&r);
	buf_free(&url);
}

static void test_redirect(void)
{
	struct script s = { .n = 4 };
	struct http_client *c;
	struct http_response r;
	struct http_opts o;
	struct buf url = BUF_INIT(0);
	pthread_t t;
	int rc;

	s.reply[0] = "HTTP/1.1 302 Found\r\nLocation: /b?x=1\r\n"
		     "Content-Length: 5\r\n\r\nmoved";
	s.reply[1] = "HTTP/1.1 301 Moved\r\nLocation: c\r\n"
		     "Content-Length: 0\r\n\r\n";
	s.reply[2] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhere";
	s.reply[3] = "HTTP/1.1 302 Found\r\nLocation: /b\r\n"
		     "Content-Length: 0\r\n\r\n";
	ok(script_start(&s, &t, 0, NULL) == 0, "redirect: server started");
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 5000;
	o.follow_redirects = 1;
	c = http_client_new(&o);
	http_response_init(&r);
	buf_addf(&url, "http://127.0.0.1:%d/a/start", s.port);
	rc = http_request(c, "POST", url.p, NULL, 0, "xyz", 3, &r);
	ok(rc == 0 && r.status == 200 && r.body.len == 4 &&
		   memcmp(r.body.p, "here", 4) == 0,
	   "redirect: two hops followed, the last body kept");
	ok(got_count(&s, "POST /a/start HTTP/1.1\r\n") == 1 &&
		   got_count(&s, "GET /b?x=1 HTTP/1.1\r\n") == 1 &&
		   got_count(&s, "GET /c HTTP/1.1\r\n") == 1,
	   "redirect: absolute and relative Locations, POST becomes GET");
	http_client_free(c);
	o.follow_redirects = 0;
	c = http_client_new(&o);
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ok(rc == 0 && r.status == 302, "redirect: not followed unless asked");
	http_client_free(c);
	script_stop(&s, t);
	http_response_free(&r);
	buf_free(&url);
}

static void test_unix_v6(void)
{
	struct script s = { .n = 1 };
	struct http_client *c;
	struct http_response r;
	struct http_opts o;
	struct buf url = BUF_INIT(0);
	char path[] = "/tmp/t_http_sock.XXXXXX";
	pthread_t t;
	int rc, fd;

	fd = mkstemp(path);
	if (fd >= 0)
		close(fd);
	s.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
	ok(script_start(&s, &t, 0, path) == 0, "unix: server started");
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 5000;
	o.unix_socket_path = path;
	c = http_client_new(&o);
	http_response_init(&r);
	rc = http_request(c, "GET", "http://docker/_ping", NULL, 0, NULL, 0,
			  &r);
	ok(rc == 0 && r.status == 200 && r.body.len == 2,
	   "unix: answered over the socket");
	ok(got_count(&s, "GET /_ping HTTP/1.1\r\nHost: docker\r\n") == 1,
	   "unix: Host from the URL");
	script_stop(&s, t);
	unlink(path);
	rc = http_request(c, "GET", "http://docker/_ping", NULL, 0, NULL, 0,
			  &r);
	ok(rc == -1 && strstr(r.error, path) != NULL,
	   "unix: no socket: the error names it: %s", r.error);
	http_client_free(c);

	/* a name: looked up, every address tried in turn */
	memset(&s, 0, sizeof(s));
	s.n = 1;
	s.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nname";
	ok(script_start(&s, &t, 0, NULL) == 0, "name: server started");
	c = client(NULL, 5000);
	buf_addf(&url, "http://localhost:%d/n", s.port);
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ok(rc == 0 && r.body.len == 4, "name: localhost answered (%s)",
	   r.error);
	buf_reset(&url);
	buf_addf(&url, "GET /n HTTP/1.1\r\nHost: localhost:%d\r\n", s.port);
	ok(got_count(&s, url.p) == 1, "name: Host as written");
	buf_reset(&url);
	http_client_free(c);
	script_stop(&s, t);

	memset(&s, 0, sizeof(s));
	s.n = 1;
	s.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6";
	if (script_start(&s, &t, 1, NULL) != 0) {
		ok(1, "# SKIP no IPv6 loopback");
		ok(1, "# SKIP no IPv6 loopback");
	} else {
		c = client(NULL, 5000);
		buf_addf(&url, "http://[::1]:%d/six", s.port);
		rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
		ok(rc == 0 && r.body.len == 2, "IPv6: answered (%s)", r.error);
		buf_reset(&url);
		buf_addf(&url, "GET /six HTTP/1.1\r\nHost: [::1]:%d\r\n",
			 s.port);
		ok(got_count(&s, url.p) == 1, "IPv6: Host in brackets");
		http_client_free(c);
		script_stop(&s, t);
	}
	http_response_free(&r);
	buf_free(&url);
}

/* libcurl: only for https and proxies, loaded then and not before. */
static void test_libcurl(void)
{
	struct script s = { .n = 1 };
	struct http_client *c;
	struct http_response r;
	struct buf url = BUF_INIT(0);
	pthread_t t;
	pid_t pid;
	int st = -1, rc;

	is_int(maps_have("libcurl"), 0,
	       "libcurl not mapped after plain http requests");
	pid = fork();
	if (pid == 0) {
		setenv("OBS_LIBCURL", "/nonexistent/libcurl.so.4", 1);
		c = client(NULL, 1000);
		http_response_init(&r);
		rc = http_request(c, "GET", "https://127.0.0.1:1/", NULL, 0,
				  NULL, 0, &r);
		_exit(rc == -1 && strstr(r.error, "libcurl.so.4") != NULL ?
			      0 : 1);
	}
	waitpid(pid, &st, 0);
	ok(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "https without libcurl: -1, the error names libcurl.so.4");

	/* a proxy from the environment goes through libcurl */
	s.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nproxy";
	ok(script_start(&s, &t, 0, NULL) == 0, "proxy: server started");
	buf_addf(&url, "http://127.0.0.1:%d", s.port);
	setenv("http_proxy", url.p, 1);
	setenv("no_proxy", "example.org", 1);
	c = client("obs-test/1", 5000);
	http_response_init(&r);
	rc = http_request(c, "GET", "http://obs-test.invalid:9/via", NULL, 0, NULL,
			  0, &r);
	ok(rc == 0 && r.status == 200 && r.body.len == 5,
	   "proxy: answered by the proxy (%s)", r.error);
	ok(got_count(&s, "GET http://obs-test.invalid:9/via HTTP/1.1\r\n") == 1,
	   "proxy: the absolute URL asked of it");
	script_stop(&s, t);
	is_int(maps_have("libcurl"), 1, "libcurl mapped once needed");

	/* no_proxy naming the host: straight there, natively */
	memset(&s, 0, sizeof(s));
	s.n = 1;
	s.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ndirect";
	ok(script_start(&s, &t, 0, NULL) == 0, "no_proxy: server started");
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("no_proxy", "example.org, .localdomain,127.0.0.1", 1);
	buf_reset(&url);
	buf_addf(&url, "http://127.0.0.1:%d/np", s.port);
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ok(rc == 0 && r.body.len == 6 && got_count(&s, "GET /np HTTP/1.1") == 1,
	   "no_proxy: the host it names is not proxied (%s)", r.error);
	script_stop(&s, t);
	unsetenv("http_proxy");
	unsetenv("no_proxy");

	/* https to a plain server: libcurl's TLS error */
	memset(&s, 0, sizeof(s));
	s.n = 1;
	s.greet = 1;
	s.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	ok(script_start(&s, &t, 0, NULL) == 0, "https: server started");
	buf_reset(&url);
	buf_addf(&url, "https://127.0.0.1:%d/", s.port);
	rc = http_request(c, "GET", url.p, NULL, 0, NULL, 0, &r);
	ok(rc == -1 && r.status == 0 && r.error[0],
	   "https to a plain server fails in libcurl: %s", r.error);
	script_stop(&s, t);
	http_client_free(c);
	http_response_free(&r);
	buf_free(&url);
}

int main(void)
{
	struct http_opts o;
	struct http_client *c;
	struct http_response r;
	struct server s;
	pthread_t t;
	struct buf reply = BUF_INIT(0), url = BUF_INIT(0);
	char tok[] = "/tmp/t_http_token.XXXXXX";
	const char *hdrs[] = { "X-Extra: 1" };
	int fd, i;

	log_init("t_http");
	/* Retry-After */
	is_int(http_parse_retry_after("120", 3, 0), 120000, "delay-seconds");
	is_int(http_parse_retry_after("0", 1, 0), 0, "zero seconds");
	is_int(http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 29,
				      INT64_C(1445412470000)),
	       10000, "an HTTP date 10 s ahead");
	is_int(http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 29,
				      INT64_C(1445412490000)),
	       0, "an HTTP date in the past is no delay");
	is_int(http_parse_retry_after("", 0, 0), -1, "empty");
	is_int(http_parse_retry_after("-5", 2, 0), -1, "negative");
	is_int(http_parse_retry_after("12x", 3, 0), -1, "trailing junk");
	is_int(http_parse_retry_after("99999999999999", 14, 0), -1,
	       "too many seconds");

	/* what is retried */
	ok(http_status_retryable(500, 1) && http_status_retryable(502, 0) &&
		   http_status_retryable(503, 0) && http_status_retryable(504, 0),
	   "5xx retries");
	ok(!http_status_retryable(400, 1) && !http_status_retryable(401, 1) &&
		   !http_status_retryable(404, 1) &&
		   !http_status_retryable(413, 1),
	   "400, 401, 404, 413 do not");
	ok(http_status_retryable(429, 1) && !http_status_retryable(429, 0),
	   "429 only when asked");

	ok(http_global_init() == 0, "global init");

	/* a 503 with Retry-After and a body past the cap */
	buf_addstr(&reply, "HTTP/1.1 503 Service Unavailable\r\n"
			   "Retry-After: 7\r\nConnection: close\r\n"
			   "Content-Length: 100000\r\n\r\n");
	for (i = 0; i < 100000; i++)
		buf_addch(&reply, i < 5 ? "busy\n"[i] : 'x');
	memset(&s, 0, sizeof(s));
	s.reply = reply.p;
	s.reply_len = reply.len;
	ok(server_start(&s, &t) == 0, "server started");

	fd = mkstemp(tok);
	ok(fd >= 0 && write(fd, "s3cret\n", 7) == 7, "token file");
	close(fd);

	memset(&o, 0, sizeof(o));
	o.user_agent = "obs-test/1";
	o.timeout_ms = 5000;
	o.bearer_token_file = tok;
	o.headers = hdrs;
	o.n_headers = 1;
	o.max_body = 1000;
	c = http_client_new(&o);
	ok(c != NULL, "client");
	buf_addf(&url, "http://127.0.0.1:%d/api/v1/push", s.port);
	http_response_init(&r);
	is_int(http_request(c, "POST", buf_cstr(&url), NULL, 0, "body", 4, &r),
	       0, "request answered %s", r.error);
	pthread_join(t, NULL);
	is_int(r.status, 503, "status");
	is_int(r.retry_after_ms, 7000, "Retry-After parsed");
	is_int((long long)r.body.len, 1000, "body capped at max_body");
	ok(r.body_truncated, "and marked truncated");
	ok(r.body.len >= 5 && memcmp(r.body.p, "busy\n", 5) == 0,
	   "body kept from the start");
	ok(strstr(s.got, "POST /api/v1/push HTTP/1.1\r\n") != NULL,
	   "method and path");
	ok(strstr(s.got, "\r\nAuthorization: Bearer s3cret\r\n") != NULL,
	   "bearer token read from the file, newline trimmed");
	ok(strstr(s.got, "\r\nUser-Agent: obs-test/1\r\n") != NULL,
	   "user agent");
	ok(strstr(s.got, "\r\nX-Extra: 1\r\n") != NULL, "extra header");
	ok(strstr(s.got, "Expect:") == NULL, "no Expect: 100-continue");

	/* nothing listens: no answer, an error */
	close(s.fd);
	is_int(http_request(c, "POST", buf_cstr(&url), NULL, 0, "body", 4, &r),
	       -1, "refused connection is -1");
	is_int(r.status, 0, "no status");
	ok(r.error[0] != '\0', "error says why: %s", r.error);

	/* a token with a line break inside is refused before sending */
	fd = open(tok, O_WRONLY | O_TRUNC);
	ok(fd >= 0 && write(fd, "a\r\nX-Smuggled: 1\n", 17) == 17,
	   "token file with a line break");
	close(fd);
	is_int(http_request(c, "GET", buf_cstr(&url), NULL, 0, NULL, 0, &r), -1,
	       "a token that breaks the line is -1");
	is_str(r.error, "a header or the token holds a line break",
	       "and says why");

	/* a missing secret file fails before sending */
	unlink(tok);
	is_int(http_request(c, "GET", buf_cstr(&url), NULL, 0, NULL, 0, &r), -1,
	       "missing token file is -1");
	ok(strstr(r.error, tok) != NULL, "error names the file: %s", r.error);

	http_response_free(&r);
	http_client_free(c);

	test_keepalive();
	test_resend();
	test_head_bytes();
	test_gzip_stream();
	test_timeouts();
	test_redirect();
	test_unix_v6();
	test_libcurl();
	http_global_cleanup();
	buf_free(&reply);
	buf_free(&url);
	return done_testing();
}
