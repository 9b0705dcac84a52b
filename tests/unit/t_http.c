/* t_http.c: unit tests for the libcurl wrapper, against a loopback socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
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
	       0, "request answered");
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

	/* a missing secret file fails before sending */
	unlink(tok);
	is_int(http_request(c, "GET", buf_cstr(&url), NULL, 0, NULL, 0, &r), -1,
	       "missing token file is -1");
	ok(strstr(r.error, tok) != NULL, "error names the file: %s", r.error);

	http_response_free(&r);
	http_client_free(c);
	http_global_cleanup();
	buf_free(&reply);
	buf_free(&url);
	return done_testing();
}
