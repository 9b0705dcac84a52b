/* json.h: a small, bounded JSON parser into a read-only tree, and paths into it. */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

#include "buf.h"

/*
 * json_parse() reads exactly one JSON value (RFC 8259, with surrounding
 * white space) from s[0..len); s need not be NUL-terminated and nothing
 * past len is read, so it suits one line of a stream (a Docker json-file
 * line, a log line).  The tree lives in an arena owned by the document and
 * stays valid until the next json_parse() or json_doc_free() on it; parse
 * after parse reuses the memory.
 *
 * Bounds: input longer than max_len, nesting deeper than max_depth, or more
 * than max_nodes values is an error, so memory is at most a small multiple
 * of the input.  Strings are decoded: escapes, and \uXXXX (surrogate pairs
 * joined) into UTF-8; a lone surrogate becomes U+FFFD as in Go; other bytes
 * are kept as they are (invalid UTF-8 is not rejected).  A control byte
 * below 0x20 inside a string is an error, as the grammar says.  In an
 * object a repeated key is kept; json_get() returns the last one (what Go's
 * encoding/json does).
 *
 * On error json_parse() returns NULL and sets err: a static message and
 * the byte offset in s where the parser stopped.
 */
enum json_type {
	JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING,
	JSON_ARRAY, JSON_OBJECT,
};

struct json {
	enum json_type type;
	const char *str;	/* string: decoded, NUL-terminated;
				   number: its text as written */
	size_t len;
	double num;		/* number: the value (strtod) */
	const char *key;	/* member of an object: its decoded key */
	size_t klen;
	struct json *child;	/* array, object: first item, in order */
	struct json *next;	/* next item of the same parent */
	size_t n;		/* array, object: number of items */
};

struct json_err {
	size_t off;
	const char *msg;
};

#define JSON_MAX_DEPTH 64
#define JSON_MAX_NODES 100000

struct json_chunk;

struct json_doc {
	size_t max_len;		/* 0: OBS_LINE_MAX */
	size_t max_depth;	/* 0: JSON_MAX_DEPTH */
	size_t max_nodes;	/* 0: JSON_MAX_NODES */
	/* private */
	struct json_chunk *chunks;
	size_t nodes;
};

void json_doc_init(struct json_doc *d);
const struct json *json_parse(struct json_doc *d, const char *s, size_t len,
			      struct json_err *err);
void json_doc_free(struct json_doc *d);

/* Member key of an object (the last of repeated keys), or NULL. */
const struct json *json_get(const struct json *obj, const char *key,
			    size_t klen);
/* Item i of an array (negative counts from the end), or NULL. */
const struct json *json_at(const struct json *arr, long i);

/* Appends v as compact JSON (members in input order); -1 on ENOMEM/EMSGSIZE. */
int json_write(struct buf *out, const struct json *v);
/* Appends s as a quoted JSON string (\uXXXX for other control bytes). */
int json_quote(struct buf *out, const char *s, size_t n);
/*
 * Decodes one JSON string as json_parse() does, from s (just past its
 * opening quote) up to its closing quote, reading nothing at or past
 * s + n, into dst, which holds at least n bytes: nothing decodes longer
 * than it is written.  Returns the decoded length, NUL-terminated in dst,
 * with *end the offset of the closing quote; or -1 with *end the offset
 * of the control byte or bad escape that stopped it (n: no closing quote).
 */
long json_unescape(char *dst, const char *s, size_t n, size_t *end);

/*
 * Paths: the part of JMESPath that names one value, as Promtail's json
 * stage is used in practice: identifiers ([A-Za-z_][A-Za-z0-9_]*) and
 * quoted identifiers ("a-b", "a.b", JSON escapes) joined by '.', and array
 * indices [N] or [-N] after any of them or at the start.  No wildcards,
 * slices, filters, functions, pipes or multi-selects.
 */
struct json_step;

struct json_path {
	struct json_step *v;
	size_t n;
};

/* Compiles s[0..len); -1 with err (message, offset) on a syntax error or
 * ENOMEM ("out of memory"). */
int json_path_compile(struct json_path *p, const char *s, size_t len,
		      struct json_err *err);
/* The value named by p under root, or NULL when any step is missing. */
const struct json *json_path_eval(const struct json_path *p,
				  const struct json *root);
void json_path_free(struct json_path *p);

#endif
