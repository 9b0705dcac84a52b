/* fuzz_logtail_dlog.c: libFuzzer harness for logtail's Docker log parsers (json-file lines, API frames). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The parsers are pure buffer functions in one file of logtail. */
#include "../../src/logtail/dlog.c"

#include "banned.h"

/*
 * The input goes, in a buffer of exactly its size (so ASan sees a read
 * past the end), through the json-file line parser, the time parser, and
 * the frame demultiplexer with the API line splitter, as logtail's API
 * reader chains them; what they return must lie inside the input.  The
 * json-file fast path must agree with the full parser on every line it
 * takes.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_doc doc;
	static struct buf scratch;
	static int init;
	char *p = malloc(size ? size : 1);
	struct dlog_entry e;
	const char *err, *pl, *rest;
	size_t off = 0, plen, rlen;
	int64_t ns;
	int stream;

	if (!p)
		return 0;
	if (!init) {
		json_doc_init(&doc);
		buf_init(&scratch, 0);
		init = 1;
	}
	memcpy(p, data, size);
	if (dlog_parse_json_fast(&scratch, p, size, &e) == 1) {
		struct dlog_entry f = e;

		if (dlog_parse_json(&doc, p, size, &e, &err) != 0 ||
		    e.len != f.len || e.stream != f.stream || e.ts != f.ts ||
		    e.partial != f.partial ||
		    (e.len && memcmp(e.log, f.log, e.len) != 0))
			abort();
	}
	if (dlog_parse_json(&doc, p, size, &e, &err) == 0) {
		volatile char last;

		if (e.stream != 1 && e.stream != 2)
			abort();
		/* the log lies in the document: its last byte is readable */
		if (e.len)
			last = e.log[e.len - 1];
		(void)last;
	}
	docker_parse_time(p, size, &ns);
	for (;;) {
		long n = dlog_frame(p + off, size - off, &stream, &pl, &plen);

		if (n <= 0)
			break;
		if ((size_t)n > size - off || pl < p || pl + plen > p + size ||
		    stream < 0 || stream > 2)
			abort();
		if (dlog_api_line(pl, plen, &ns, &rest, &rlen) == 0 &&
		    (rest < pl || rest + rlen > pl + plen))
			abort();
		off += (size_t)n;
	}
	free(p);
	return 0;
}
