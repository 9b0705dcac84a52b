/* fuzz_json.c: libFuzzer harness for the JSON parser, writer and paths. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "banned.h"

/*
 * Whatever parses must write back to JSON that parses again and writes the
 * same bytes (the writer's output is canonical); the first line of the
 * input is also tried as a path against the document.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_doc doc, doc2;
	struct buf a = BUF_INIT(0), b = BUF_INIT(0);
	const char *s = (const char *)data;
	const struct json *v, *w;
	struct json_err err;
	struct json_path path;
	const char *nl = memchr(s, '\n', size);

	if (nl && json_path_compile(&path, s, (size_t)(nl - s), &err) == 0) {
		v = json_parse(&doc, nl + 1, size - (size_t)(nl + 1 - s), &err);
		if (v)
			(void)json_path_eval(&path, v);
		json_path_free(&path);
	}
	v = json_parse(&doc, s, size, &err);
	if (v == NULL) {
		if (err.msg == NULL || err.off > size)
			abort();
		return 0;
	}
	if (json_write(&a, v) < 0)
		abort();
	w = json_parse(&doc2, a.p, a.len, &err);
	if (w == NULL)
		abort();
	if (json_write(&b, w) < 0 || a.len != b.len ||
	    memcmp(a.p, b.p, a.len) != 0)
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
