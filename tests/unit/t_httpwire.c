/* t_httpwire.c: unit tests for the HTTP/1.x response parser, whole and fed in pieces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "httpwire.h"
#include "tap.h"
#include "banned.h"

/* What one parse of an answer gave. */
struct got {
	int event;		/* the last event: DONE, ERROR or MORE */
	int heads;		/* HTTPWIRE_HEAD events seen */
	struct buf body;
	size_t rest;		/* bytes left unused after DONE */
	struct httpwire w;
};

/*
 * Feeds in[0..n) in pieces of step bytes (0: all at once), then, when
 * eof is set and the answer is not done, the close.
 */
static void run(struct got *g, const char *in, size_t n, size_t step,
		int head_request, int eof)
{
	size_t off = 0;

	memset(g, 0, sizeof(*g));
	buf_init(&g->body, 0);
	httpwire_init(&g->w, head_request);
	g->event = HTTPWIRE_MORE;
	while (g->event != HTTPWIRE_DONE && g->event != HTTPWIRE_ERROR) {
		size_t piece = step && n - off > step ? step : n - off;
		size_t pos = 0;

		for (;;) {
			const char *b;
			size_t u, bl;
			int ev = httpwire_feed(&g->w, in + off + pos,
					       piece - pos, &u, &b, &bl);

			pos += u;
			if (ev == HTTPWIRE_HEAD)
				g->heads++;
			else if (ev == HTTPWIRE_BODY)
				buf_add(&g->body, b, bl);
			else {
				g->event = ev;
				break;
			}
		}
		off += pos;
		if (g->event == HTTPWIRE_DONE)
			g->rest = n - off;
		if (g->event != HTTPWIRE_MORE)
			break;
		if (off == n) {
			if (eof)
				g->event = httpwire_eof(&g->w);
			break;
		}
	}
}

static void got_free(struct got *g)
{
	buf_free(&g->body);
}

/* An answer parsed whole and byte by byte gives the same result. */
static void same_split(const char *name, const char *in, int eof,
		       int want_event, const char *want_body)
{
	struct got a, b;
	size_t n = strlen(in);

	run(&a, in, n, 0, 0, eof);
	run(&b, in, n, 1, 0, eof);
	ok(a.event == want_event && b.event == want_event &&
		   a.heads == b.heads && a.body.len == b.body.len &&
		   (!want_body ||
		    (strlen(want_body) == a.body.len &&
		     memcmp(a.body.p, want_body, a.body.len) == 0 &&
		     memcmp(b.body.p, want_body, b.body.len) == 0)),
	   "%s: whole and byte by byte (%d, %d)", name, a.event, b.event);
	got_free(&a);
	got_free(&b);
}

int main(void)
{
	struct got g;
	struct buf big = BUF_INIT(0);
	const char *s;
	size_t i;

	/* Content-Length */
	s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Content-Type: text/plain; version=0.0.4\r\n\r\nhello";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_DONE, "length body: done");
	is_int(g.w.status, 200, "status");
	is_int(g.heads, 1, "one head event");
	is_int((long long)g.body.len, 5, "body length");
	ok(g.body.len == 5 && memcmp(g.body.p, "hello", 5) == 0, "body bytes");
	is_str(g.w.content_type, "text/plain; version=0.0.4", "Content-Type");
	ok(g.w.keep_alive, "HTTP/1.1 keeps the connection");
	got_free(&g);
	same_split("length body", s, 0, HTTPWIRE_DONE, "hello");

	/* bytes after the answer are left to the caller */
	s = "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_DONE, "204: done without a body");
	is_int((long long)g.body.len, 0, "204: no body");
	is_int((long long)g.rest, 17, "204: what follows is not taken");
	got_free(&g);

	/* chunked, with extensions and a trailer */
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5;name=value\r\nhello\r\n6 ; x=\"y\"\r\n world\r\n"
	    "0\r\nX-Trailer: 1\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_DONE, "chunked: done");
	ok(g.w.chunked && g.w.keep_alive, "chunked, keep-alive");
	ok(g.body.len == 11 && memcmp(g.body.p, "hello world", 11) == 0,
	   "chunked: body joined, extensions skipped");
	is_int((long long)g.rest, 0, "chunked: trailer consumed");
	got_free(&g);
	same_split("chunked", s, 0, HTTPWIRE_DONE, "hello world");
	same_split("chunked, upper-case hex",
		   "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\n\r\n"
		   "A\r\n0123456789\r\n0\r\n\r\n",
		   0, HTTPWIRE_DONE, "0123456789");

	/* bad chunk sizes */
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "chunk size not hex: error");
	is_str(g.w.error, "bad chunk size in response", "and why");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "1000000000000000\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "chunk size of 2^60: error");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "-1\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "negative chunk size: error");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabcX\r\n0\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "chunk longer than its size: error");
	is_str(g.w.error, "chunk data not followed by CRLF", "and why");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab";
	run(&g, s, strlen(s), 0, 0, 1);
	is_int(g.event, HTTPWIRE_ERROR, "chunked body cut by the close");
	got_free(&g);

	/* Content-Length: bad, conflicting, cut short */
	s = "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "Content-Length not a number");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "negative Content-Length");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "two different Content-Lengths");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "Content-Length past 18 digits");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
	run(&g, s, strlen(s), 0, 0, 1);
	is_int(g.event, HTTPWIRE_ERROR, "body cut by the close");
	is_str(g.w.error, "transfer closed with 7 bytes remaining to read",
	       "and how much is missing");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	ok(g.event == HTTPWIRE_DONE && g.body.len == 2,
	   "Transfer-Encoding wins over Content-Length");
	got_free(&g);

	/* close-delimited bodies */
	s = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close";
	run(&g, s, strlen(s), 0, 0, 1);
	is_int(g.event, HTTPWIRE_DONE, "HTTP/1.0 body ends at the close");
	ok(g.body.len == 11 && !g.w.keep_alive && g.w.until_close,
	   "and the connection is not kept");
	got_free(&g);
	same_split("HTTP/1.0 close-delimited", s, 1, HTTPWIRE_DONE,
		   "until close");
	s = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0"
	    "\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	ok(g.event == HTTPWIRE_DONE && g.w.keep_alive && g.w.minor == 0,
	   "HTTP/1.0 with keep-alive and a length is kept");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	ok(g.event == HTTPWIRE_DONE && !g.w.keep_alive,
	   "Connection: close is not kept");
	got_free(&g);

	/* answers without a body */
	s = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
	run(&g, s, strlen(s), 0, 1, 0);
	ok(g.event == HTTPWIRE_DONE && g.body.len == 0 && g.w.keep_alive,
	   "HEAD: no body whatever Content-Length says");
	got_free(&g);
	s = "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	ok(g.event == HTTPWIRE_DONE && g.body.len == 0, "304: no body");
	got_free(&g);
	s = "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	ok(g.event == HTTPWIRE_DONE && g.body.len == 0,
	   "204: no body even when chunked is said");
	got_free(&g);

	/* interim answers */
	s = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
	run(&g, s, strlen(s), 0, 0, 0);
	ok(g.event == HTTPWIRE_DONE && g.w.status == 201 && g.heads == 1 &&
		   g.body.len == 2,
	   "100 Continue and 102 skipped: one head, the final status");
	got_free(&g);
	same_split("100 Continue", s, 0, HTTPWIRE_DONE, "ok");
	s = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "101 is an error");
	got_free(&g);

	/* line ends: a bare LF is taken, a lone CR is not */
	s = "HTTP/1.1 200 OK\nContent-Length: 2\nRetry-After: 30\n\nhi";
	run(&g, s, strlen(s), 0, 0, 0);
	ok(g.event == HTTPWIRE_DONE && g.body.len == 2,
	   "missing CR: bare LF line ends");
	is_str(g.w.retry_after, "30", "Retry-After kept, trimmed");
	got_free(&g);
	s = "HTTP/1.1 200 OK\rContent-Length: 2\r\n\r\nhi";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "a CR inside a line is an error");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n";
	run(&g, s, strlen(s), 0, 0, 1);
	is_int(g.event, HTTPWIRE_ERROR, "closed in the headers");
	is_str(g.w.error, "connection closed in the response headers",
	       "and why");
	got_free(&g);
	run(&g, "", 0, 0, 0, 1);
	is_int(g.event, HTTPWIRE_ERROR, "closed before any byte");
	is_str(g.w.error, "Empty reply from server", "as libcurl says it");
	got_free(&g);

	/* status lines */
	s = "HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	ok(g.event == HTTPWIRE_DONE && g.w.status == 503,
	   "a status line without a reason");
	got_free(&g);
	s = "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_DONE, "an empty line before the status");
	got_free(&g);
	{
		static const char *const bad[] = {
			"HTTP/2 200 OK\r\n\r\n",
			"HTTP/1.1 20 OK\r\n\r\n",
			"HTTP/1.1 099 OK\r\n\r\n",
			"HTTP/1.1 2000 OK\r\n\r\n",
			"HTTP/1.1  200 OK\r\n\r\n",
			"ICY 200 OK\r\n\r\n",
			"<html>\r\n\r\n",
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			run(&g, bad[i], strlen(bad[i]), 0, 0, 0);
			is_int(g.event, HTTPWIRE_ERROR, "bad status line %zu",
			       i);
			got_free(&g);
		}
	}

	/* header lines */
	s = "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "a folded line is an error");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "a blank before the colon");
	got_free(&g);
	s = "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "a line without a colon");
	got_free(&g);
	{
		static const char nul[] =
			"HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";

		run(&g, nul, sizeof(nul) - 1, 0, 0, 0);
		is_int(g.event, HTTPWIRE_ERROR, "a NUL in a header");
		got_free(&g);
	}

	/* huge heads are capped */
	buf_addstr(&big, "HTTP/1.1 200 OK\r\nX-Long: ");
	for (i = 0; i < HTTPWIRE_LINE_MAX; i++)
		buf_addch(&big, 'a');
	buf_addstr(&big, "\r\n\r\n");
	run(&g, big.p, big.len, 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "one header line past the cap");
	is_str(g.w.error, "response header line too long", "and why");
	got_free(&g);
	run(&g, big.p, big.len, 1000, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "the same fed in pieces");
	got_free(&g);
	buf_reset(&big);
	buf_addstr(&big, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 2000; i++)
		buf_addf(&big, "X-Many-%zu: %040zu\r\n", i, i);
	buf_addstr(&big, "\r\n");
	run(&g, big.p, big.len, 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "many header lines past the cap");
	is_str(g.w.error, "response headers too large", "and why");
	got_free(&g);
	buf_reset(&big);
	buf_addstr(&big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "0\r\n");
	for (i = 0; i < 2000; i++)
		buf_addf(&big, "X-Trailer-%zu: %040zu\r\n", i, i);
	run(&g, big.p, big.len, 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "trailers are capped too");
	got_free(&g);
	buf_reset(&big);
	buf_addstr(&big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "1;");
	for (i = 0; i < HTTPWIRE_LINE_MAX; i++)
		buf_addch(&big, 'e');
	run(&g, big.p, big.len, 0, 0, 0);
	is_int(g.event, HTTPWIRE_ERROR, "a chunk extension past the cap");
	got_free(&g);

	/* the fields a client acts on */
	s = "HTTP/1.1 301 Moved\r\nLocation:  /new?a=1 \r\n"
	    "Content-Encoding: gzip\r\nContent-Length: 0\r\n\r\n";
	run(&g, s, strlen(s), 0, 0, 0);
	is_str(g.w.location, "/new?a=1", "Location trimmed");
	is_str(g.w.content_encoding, "gzip", "Content-Encoding");
	got_free(&g);
	buf_reset(&big);
	buf_addstr(&big, "HTTP/1.1 302 Found\r\nRetry-After: ");
	for (i = 0; i < 100; i++)
		buf_addch(&big, '1');
	buf_addstr(&big, "\r\nLocation: /");
	for (i = 0; i < 3000; i++)
		buf_addch(&big, 'l');
	buf_addstr(&big, "\r\nContent-Length: 0\r\n\r\n");
	run(&g, big.p, big.len, 0, 0, 0);
	ok(g.event == HTTPWIRE_DONE && g.w.retry_after[0] == '\0' &&
		   g.w.location_cut,
	   "an over-long Retry-After is dropped, a Location marked cut");
	got_free(&g);

	buf_free(&big);
	return done_testing();
}
