/* t_json.c: unit tests of the JSON parser, writer and paths (lib/json.c). */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "tap.h"
#include "banned.h"

static struct json_doc doc;

static const struct json *
parse(const char *s)
{
	struct json_err err;

	return json_parse(&doc, s, strlen(s), &err);
}

/* Parses s and writes it back compactly; "ERR@OFF: msg" on an error. */
static const char *
roundtrip(const char *s, size_t len)
{
	static struct buf out = BUF_INIT(0);
	struct json_err err;
	const struct json *v;

	buf_reset(&out);
	v = json_parse(&doc, s, len, &err);
	if (v == NULL)
		buf_addf(&out, "ERR@%zu: %s", err.off, err.msg);
	else
		json_write(&out, v);
	return buf_cstr(&out);
}

#define RT(in, want) is_str(roundtrip(in, strlen(in)), want, "%s", in)

/* Evaluates path on the document s; the string value, compact JSON of
 * anything else, "(missing)" or "PATHERR@OFF". */
static const char *
at(const char *s, const char *path)
{
	static struct buf out = BUF_INIT(0);
	struct json_path p;
	struct json_err err;
	const struct json *root, *v;

	buf_reset(&out);
	if (json_path_compile(&p, path, strlen(path), &err) < 0) {
		buf_addf(&out, "PATHERR@%zu", err.off);
		return buf_cstr(&out);
	}
	root = parse(s);
	v = root ? json_path_eval(&p, root) : NULL;
	if (v == NULL)
		buf_addstr(&out, "(missing)");
	else if (v->type == JSON_STRING)
		buf_add(&out, v->str, v->len);
	else
		json_write(&out, v);
	json_path_free(&p);
	return buf_cstr(&out);
}

static void
test_values(void)
{
	const struct json *v;

	RT("null", "null");
	RT(" true ", "true");
	RT("false", "false");
	RT("0", "0");
	RT("-12.5e+3", "-12.5e+3");
	RT("\"\"", "\"\"");
	RT("[]", "[]");
	RT("{}", "{}");
	RT("[1, [2, {\"a\" : null}], \"x\"]", "[1,[2,{\"a\":null}],\"x\"]");
	is_str(roundtrip("\r\n\t{\"k\":\"v\"}\n", 12), "{\"k\":\"v\"}",
	       "white space around a value");
	v = parse("-12.5e+3");
	ok(v && v->type == JSON_NUMBER && v->num == -12500.0,
	   "number value is decoded");
	v = parse("{\"a\":1,\"b\":2,\"a\":3}");
	ok(v && v->n == 3, "object keeps repeated keys");
	v = json_get(v, "a", 1);
	ok(v && v->num == 3.0, "json_get returns the last of repeated keys");
	v = parse("[10,20,30]");
	ok(json_at(v, -1) && json_at(v, -1)->num == 30.0, "json_at(-1) is last");
	ok(json_at(v, 3) == NULL && json_at(v, -4) == NULL,
	   "json_at out of range is NULL");
}

static void
test_strings(void)
{
	const struct json *v;

	RT("\"a\\\"b\\\\c\\/d\"", "\"a\\\"b\\\\c/d\"");
	RT("\"\\b\\f\\n\\r\\t\"", "\"\\u0008\\u000c\\n\\r\\t\"");
	v = parse("\"\\u00e9\\u20ac\\ud83d\\ude00\"");
	ok(v && v->len == 9 &&
	   memcmp(v->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9) == 0,
	   "\\u escapes and a surrogate pair decode to UTF-8");
	v = parse("\"\\ud83dx\"");
	ok(v && strcmp(v->str, "\xef\xbf\xbdx") == 0,
	   "a lone high surrogate becomes U+FFFD");
	v = parse("\"\\ude00\"");
	ok(v && strcmp(v->str, "\xef\xbf\xbd") == 0,
	   "a lone low surrogate becomes U+FFFD");
	v = parse("\"\\ud83d\\u0041\"");
	ok(v && strcmp(v->str, "\xef\xbf\xbd" "A") == 0,
	   "a high surrogate followed by a non-surrogate keeps both");
	v = parse("\"\\u0000z\"");
	ok(v && v->len == 2 && v->str[0] == '\0' && v->str[1] == 'z',
	   "\\u0000 decodes to a NUL byte counted in len");
	v = parse("\"\xff\xfe\"");
	ok(v && v->len == 2, "invalid UTF-8 bytes are kept as they are");
	is_str(roundtrip("\"\\u001f\"", 8), "\"\\u001f\"",
	       "control bytes are written as \\u00XX");
	/* Docker json-file, the line this parser exists for. */
	v = parse("{\"log\":\"level=info msg=\\\"hi\\\"\\n\",\"stream\":\"stdout\","
		  "\"time\":\"2024-05-01T10:00:00.123456789Z\"}");
	v = json_get(v, "log", 3);
	is_str(v ? v->str : NULL, "level=info msg=\"hi\"\n", "docker log line");
}

static void
test_errors(void)
{
	RT("", "ERR@0: unexpected end of input");
	RT("   ", "ERR@3: unexpected end of input");
	RT("nul", "ERR@0: invalid literal");
	RT("[1,]", "ERR@3: invalid number");
	RT("[1 2]", "ERR@3: expected ',' or ']'");
	RT("{\"a\" 1}", "ERR@5: expected ':'");
	RT("{a:1}", "ERR@1: expected a string key");
	RT("{\"a\":1,}", "ERR@7: expected a string key");
	RT("\"abc", "ERR@4: unterminated string");
	RT("\"a\\qb\"", "ERR@2: invalid escape in string");
	RT("\"a\\u12G4\"", "ERR@2: invalid escape in string");
	RT("\"a\tb\"", "ERR@2: control character in string");
	RT("01", "ERR@1: trailing data after the value");
	RT("1.", "ERR@2: invalid number");
	RT("1e", "ERR@2: invalid number");
	RT("-", "ERR@1: invalid number");
	RT("+1", "ERR@0: invalid number");
	RT("{} {}", "ERR@3: trailing data after the value");
	RT("[1", "ERR@2: unterminated array");
	RT("{\"a\":1", "ERR@6: unterminated object");
	/* The length bounds the input: nothing past len is read. */
	is_str(roundtrip("[1]xyz", 3), "[1]", "reads only len bytes");
	is_str(roundtrip("\"ab\"", 3), "ERR@3: unterminated string",
	       "a string cut by len is unterminated");
}

static void
test_limits(void)
{
	char deep[200];
	struct json_err err;
	size_t i;

	for (i = 0; i < 65; i++)
		deep[i] = '[';
	for (i = 0; i < 65; i++)
		deep[65 + i] = ']';
	is_str(roundtrip(deep, 130), "ERR@64: nesting too deep",
	       "depth 65 is rejected");
	is_str(roundtrip(deep + 1, 128),
	       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	       "depth 64 is accepted");
	doc.max_nodes = 3;
	is_str(roundtrip("[1,2]", 5), "[1,2]", "three values fit max_nodes 3");
	is_str(roundtrip("[1,2,3]", 7), "ERR@5: too many values",
	       "a fourth value passes max_nodes 3");
	doc.max_nodes = 0;
	doc.max_len = 4;
	ok(json_parse(&doc, "[1,2]", 5, &err) == NULL && err.off == 4 &&
	   strcmp(err.msg, "input too long") == 0, "max_len bounds the input");
	doc.max_len = 0;
}

static void
test_reuse(void)
{
	char big[300000];
	const struct json *v;
	size_t i, n = 0;

	/* A document bigger than one arena chunk, then a small one. */
	big[n++] = '[';
	for (i = 0; i < 20000; i++) {
		if (i)
			big[n++] = ',';
		n += (size_t)snprintf(big + n, sizeof(big) - n, "\"%05zu\"", i);
	}
	big[n++] = ']';
	v = json_parse(&doc, big, n, &(struct json_err){ 0, NULL });
	ok(v && v->n == 20000 && strcmp(json_at(v, 19999)->str, "19999") == 0,
	   "a document spanning several arena chunks");
	v = parse("{\"x\":[true]}");
	ok(v && json_get(v, "x", 1) && json_get(v, "x", 1)->n == 1,
	   "the arena is reused by the next parse");
}

static void
test_paths(void)
{
	const char *d = "{\"a\":{\"b\":[{\"c\":\"deep\"},2,3]},\"x-y\":\"q\","
			"\"p.q\":{\"r\":1},\"n\":null,\"arr\":[[5,6]]}";
	struct json_path p;
	struct json_err err;

	is_str(at(d, "a.b[0].c"), "deep", "dotted path with an index");
	is_str(at(d, "a.b[-1]"), "3", "negative index");
	is_str(at(d, "a.b[3]"), "(missing)", "index past the end");
	is_str(at(d, "\"x-y\""), "q", "quoted identifier");
	is_str(at(d, "\"p.q\".r"), "1", "quoted identifier with a dot");
	is_str(at(d, "a"), "{\"b\":[{\"c\":\"deep\"},2,3]}", "object value");
	is_str(at(d, "n"), "null", "null value is present");
	is_str(at(d, "arr[0][1]"), "6", "nested indices");
	is_str(at(d, "a.zz"), "(missing)", "missing key");
	is_str(at(d, "a.b.c"), "(missing)", "key on an array is missing");
	is_str(at("[7,8]", "[1]"), "8", "index at the start");
	is_str(at(d, "\"a\\u0062\""), "(missing)", "escape in a quoted key");
	is_str(at("{\"ab\":1}", "\"a\\u0062\""), "1",
	       "escape in a quoted key decodes");
	is_str(at(d, ""), "PATHERR@0", "empty path");
	is_str(at(d, "a."), "PATHERR@2", "trailing dot");
	is_str(at(d, ".a"), "PATHERR@0", "leading dot");
	is_str(at(d, "a..b"), "PATHERR@2", "double dot");
	is_str(at(d, "a[x]"), "PATHERR@2", "non-numeric index");
	is_str(at(d, "a[1"), "PATHERR@3", "unclosed index");
	is_str(at(d, "a b"), "PATHERR@1", "space");
	is_str(at(d, "a[*]"), "PATHERR@2", "wildcard is not supported");
	is_str(at(d, "\"ab"), "PATHERR@3", "unterminated quoted key");
	is_str(at(d, "a[0]b"), "PATHERR@4", "name right after an index");
	ok(json_path_compile(&p, "a.b", 3, &err) == 0 && p.n == 2,
	   "a.b compiles to two steps");
	json_path_free(&p);
}

static void
test_unescape(void)
{
	char dst[32];
	size_t end;

	/* the decoded length, NUL-terminated; *end at the closing quote */
	ok(json_unescape(dst, "ab\\\"c\"x", 7, &end) == 4 && end == 5 &&
	   strcmp(dst, "ab\"c") == 0, "json_unescape: an escaped quote, then the closing one");
	ok(json_unescape(dst, "\\u00e9\"", 7, &end) == 2 && end == 6 &&
	   strcmp(dst, "\xc3\xa9") == 0, "json_unescape: \\u00e9 is UTF-8");
	ok(json_unescape(dst, "abc", 3, &end) == -1 && end == 3,
	   "json_unescape: no closing quote: -1, end n");
	ok(json_unescape(dst, "a\x01b\"", 4, &end) == -1 && end == 1,
	   "json_unescape: a raw control byte: -1 at its offset");
	ok(json_unescape(dst, "a\\qb\"", 5, &end) == -1 && end == 1,
	   "json_unescape: a bad escape: -1 at its offset");
}

int
main(void)
{
	json_doc_init(&doc);
	test_unescape();
	test_values();
	test_strings();
	test_errors();
	test_limits();
	test_reuse();
	test_paths();
	json_doc_free(&doc);
	return done_testing();
}
