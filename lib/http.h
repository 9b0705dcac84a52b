/* http.h: the suite's one HTTP client: HTTP/1.1 of its own, libcurl (loaded at run time) for TLS and proxies. */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * A client keeps its connection to a receiver alive and reuses it from
 * request to request (a kept connection found closed before any byte of
 * the answer is replaced and the request sent again, once); a client
 * belongs to one thread at a time (make one per sender thread).  Call
 * http_global_init() once in main() before any thread starts.
 *
 * Plain http:// URLs and unix sockets go over the client's own HTTP/1.1
 * transport.  https://, a proxy (proxy_url, or http_proxy, HTTP_PROXY,
 * all_proxy or ALL_PROXY in the environment for a host no_proxy does not
 * name) and URLs it leaves (user info, dot segments, server_name) go
 * through libcurl, loaded with dlopen("libcurl.so.4") on the first such
 * request (OBS_LIBCURL in the environment names another file); when it
 * cannot be loaded that request fails with an error naming it.  Either
 * way the same headers go out in the same order.
 *
 * TLS peers are verified by default (system CAs, or ca_file); only
 * insecure_skip_verify turns that off.  server_name sets the name used for
 * SNI and certificate verification while connecting to the URL's host.
 * Secrets never travel in argv: the basic-auth password and the bearer
 * token are either given as strings (read by the caller from the
 * environment or a config file) or named as files, which are re-read on
 * every request (trailing newline trimmed) so a rotated token takes effect
 * without a restart, as in Prometheus.
 */
struct http_opts {
	const char *user_agent;		/* "obs-PROG/VERSION" */
	int64_t timeout_ms;		/* whole request; 0: 30s */
	int64_t connect_timeout_ms;	/* 0: min(timeout, 10s) */
	const char *ca_file, *cert_file, *key_file, *server_name;
	int insecure_skip_verify;
	const char *proxy_url;		/* NULL: libcurl's *_proxy env rules */
	const char *basic_user;		/* basic auth when not NULL */
	const char *basic_password, *basic_password_file;
	const char *auth_type;		/* Authorization scheme; NULL: Bearer */
	const char *bearer_token, *bearer_token_file;
	const char *const *headers;	/* "Name: value" strings, n_headers */
	size_t n_headers;
	size_t max_body;		/* response body kept; 0: 64 KiB */
	int follow_redirects;
	/* when not NULL and set (by another thread), a request in flight is
	   abandoned at once (error "cancelled"), for a bounded shutdown */
	const volatile int *cancel;
	/* when set, sent as Accept-Encoding ("gzip") and the body is
	   decoded; the cap applies to the decoded body */
	const char *accept_encoding;
	/* when set, a body past max_body ends the request: -1 with error
	   "body size limit exceeded" and body_truncated set */
	int max_body_abort;
	/* when set, connect to this unix socket instead of the URL's host
	   (the Docker Engine API: "/var/run/docker.sock") */
	const char *unix_socket_path;
	/* streaming (the Docker /logs?follow=1 and /events endpoints,
	   scrapecol's bodies): when on_data is set, the body goes to it
	   as it arrives instead of into the response (max_body does not
	   apply), decoded when accept_encoding asked for that; the
	   response's status and content_type are set before the first
	   call; only the final answer's body comes (not that of a
	   redirect followed).  A return other than n ends the request
	   with an error.  stream_no_timeout drops the whole-request
	   timeout (the connect timeout stays). */
	size_t (*on_data)(const char *p, size_t n, void *arg);
	void *on_data_arg;
	int stream_no_timeout;
};

/*
 * What came back.  status is 0 when no HTTP answer arrived (DNS,
 * connect, TLS, timeout): error then holds the reason, worded as libcurl
 * words it ("Failed to connect to H port P: ...", "Operation timed out
 * after N milliseconds ...").  body holds
 * at most max_body bytes of the answer (body_truncated says if more came).
 * retry_after_ms is the Retry-After header as a delay (seconds or an HTTP
 * date), -1 when absent or unparsable.
 */
struct http_response {
	long status;
	struct buf body;
	int body_truncated;
	int64_t retry_after_ms;
	int64_t elapsed_ms;
	char error[256];
	char content_type[128];	/* the Content-Type answered, "" if none */
};

struct http_client;

/* Once per process, before threads; does not load libcurl.  -1 on failure. */
int http_global_init(void);
void http_global_cleanup(void);

/* NULL with the reason reported on stderr.  Strings in opts are copied. */
struct http_client *http_client_new(const struct http_opts *opts);
void http_client_free(struct http_client *c);

void http_response_init(struct http_response *r);
void http_response_free(struct http_response *r);

/*
 * Sends one request: method "GET", "POST", "PUT", ...; extra headers
 * ("Name: value") come after the client's own.  Returns 0 when an HTTP
 * answer arrived (any status: the caller judges it), -1 when none did
 * (r->error says why; also on a missing secret file).
 */
int http_request(struct http_client *c, const char *method, const char *url,
		 const char *const *headers, size_t n_headers,
		 const void *body, size_t len, struct http_response *r);

/* Parses a Retry-After value: delay-seconds or an IMF-fixdate; -1 if bad. */
int64_t http_parse_retry_after(const char *s, size_t len, int64_t now_ms);

/* 1 for statuses a sender retries: 5xx, and 429 when retry_429 is set. */
int http_status_retryable(long status, int retry_429);

/* The first line of the answer's body, control bytes made blanks and
 * trailing blanks cut, into dst (n > 0 bytes, NUL-terminated): the
 * receiver's reason for an error message. */
void http_response_reason(const struct http_response *r, char *dst, size_t n);

#endif
