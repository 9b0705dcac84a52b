/* fuzz_httpwire.c: libFuzzer harness for the HTTP/1.x response parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpwire.h"
#include "banned.h"

/*
 * The first byte picks the piece size the answer is fed in (1..256) and
 * whether the request was HEAD; the rest is the answer.  Fed whole and
 * in pieces, the parser must reach the same end with the same body, use
 * no byte twice, and never hand out a body piece outside the input.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	int event;
	size_t body_len;
	uint32_t body_sum;
	int status;
};

static void parse(struct httpwire *w, const char *in, size_t n, size_t step,
		  int head, struct run *out)
{
	size_t off = 0;

	httpwire_init(w, head);
	memset(out, 0, sizeof(*out));
	out->event = HTTPWIRE_MORE;
	while (out->event == HTTPWIRE_MORE) {
		size_t piece = n - off < step ? n - off : step, pos = 0;

		for (;;) {
			const char *b;
			size_t u, bl, i;
			enum httpwire_event ev;

			ev = httpwire_feed(w, in + off + pos, piece - pos, &u,
					   &b, &bl);
			if (u > piece - pos)
				abort();
			pos += u;
			if (ev == HTTPWIRE_BODY) {
				if (b < in || b + bl > in + n)
					abort();
				for (i = 0; i < bl; i++)
					out->body_sum = out->body_sum * 31 +
							(uint8_t)b[i];
				out->body_len += bl;
				continue;
			}
			if (ev == HTTPWIRE_HEAD) {
				out->status = w->status;
				continue;
			}
			out->event = ev;
			break;
		}
		off += pos;
		if (out->event == HTTPWIRE_MORE && off == n) {
			out->event = httpwire_eof(w);
			break;
		}
		if (out->event == HTTPWIRE_MORE && pos < piece)
			abort();	/* MORE must mean every byte was used */
	}
	if (w->content_type[sizeof(w->content_type) - 1] != '\0' ||
	    w->location[sizeof(w->location) - 1] != '\0' ||
	    w->error[sizeof(w->error) - 1] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct httpwire w;
	struct run a, b;
	size_t step;
	int head;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] & 0x7f) * 2 + 1;
	head = data[0] >> 7;
	parse(&w, (const char *)data + 1, size - 1, size, head, &a);
	parse(&w, (const char *)data + 1, size - 1, step, head, &b);
	if (a.event != b.event || a.body_len != b.body_len ||
	    a.body_sum != b.body_sum || a.status != b.status)
		abort();
	return 0;
}
