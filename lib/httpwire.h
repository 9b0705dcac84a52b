/* httpwire.h: an incremental parser for HTTP/1.x responses: status line, headers and body framing. */
#ifndef HTTPWIRE_H
#define HTTPWIRE_H

#include <stddef.h>
#include <stdint.h>

#define HTTPWIRE_LINE_MAX 8192		/* one status, header or chunk-size line */
#define HTTPWIRE_HEAD_MAX (64 * 1024)	/* all lines of one response's head */

/*
 * What httpwire_feed() found.  Interim 1xx answers (100 Continue) are
 * skipped; HTTPWIRE_HEAD comes once, for the final answer, before any
 * HTTPWIRE_BODY.  After HTTPWIRE_DONE or HTTPWIRE_ERROR the parser stays
 * there.
 */
enum httpwire_event {
	HTTPWIRE_MORE,	/* every byte given was used: feed more, or httpwire_eof() */
	HTTPWIRE_HEAD,	/* the final answer's head is complete: the fields below hold */
	HTTPWIRE_BODY,	/* *body, *body_len: the next piece of the body as sent */
	HTTPWIRE_DONE,	/* the answer ended; bytes after it are not ours */
	HTTPWIRE_ERROR	/* error says why; the connection cannot be reused */
};

/*
 * One answer on one connection.  The parser only frames the body (it
 * does not decode Content-Encoding) and keeps only the fields a client
 * acts on.  Header values that do not fit their field are cut; a
 * Retry-After that does not fit is dropped, a Location that does not fit
 * is an error only when asked for with httpwire_location().
 */
struct httpwire {
	int minor;			/* HTTP/1.minor */
	int status;
	int chunked;
	int64_t content_length;		/* -1: absent */
	int until_close;		/* the body ends when the peer closes */
	int keep_alive;			/* the connection may carry another request */
	char content_type[128];
	char content_encoding[64];
	char retry_after[64];
	char location[2048];
	int location_cut;
	char error[128];
	size_t used;			/* input bytes consumed so far */

	/* parser state, private */
	int state;
	int head_request;
	int conn_close, conn_keep;
	int have_length;
	int te_seen;
	int lines;
	uint64_t remain;
	size_t head_bytes;
	size_t line_len;
	char line[HTTPWIRE_LINE_MAX];
};

/* Ready for one answer; head_request: the request was HEAD (no body). */
void httpwire_init(struct httpwire *w, int head_request);

/*
 * Parses p[0..n): sets *used to the bytes consumed (the caller feeds the
 * rest again) and, for HTTPWIRE_BODY, *body and *body_len to a piece of
 * p.  May return HTTPWIRE_DONE with n == 0 (an answer without a body).
 */
enum httpwire_event httpwire_feed(struct httpwire *w, const char *p, size_t n,
				  size_t *used, const char **body,
				  size_t *body_len);

/* The peer closed the connection: HTTPWIRE_DONE when that ends the answer
 * (a body delimited by the close), else HTTPWIRE_ERROR with the reason. */
enum httpwire_event httpwire_eof(struct httpwire *w);

/* 1 when no byte of an answer has arrived yet. */
int httpwire_empty(const struct httpwire *w);

#endif
