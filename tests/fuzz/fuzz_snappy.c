/* fuzz_snappy.c: libFuzzer harness: arbitrary bytes decoded as a Snappy block, and encoded then decoded back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snappy.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* The input as a block: refused, or decoded into exactly the bytes its
 * prefix says (the output buffer is capped, so a huge prefix is refused
 * for want of room, not allocated). */
static void
decode_any(const uint8_t *data, size_t size)
{
	size_t len;
	uint8_t *out;

	if (snappy_decoded_length(data, size, &len) < 0)
		return;
	if (len > (1u << 20))
		len = 1u << 20;
	out = malloc(len ? len : 1);
	check(out != NULL);
	(void)snappy_decode(data, size, len ? out : NULL, len);
	free(out);
}

/* The input as data: it must come back the same, in no more than the
 * bound, whether encoded whole or as elements behind its length. */
static void
round_trip(const uint8_t *data, size_t size)
{
	size_t bound = snappy_max_encoded_length(size), z, k, len;
	uint8_t *enc = malloc(bound), *el = malloc(bound), *exact;
	uint8_t *out = malloc(size ? size : 1);

	check(enc != NULL && el != NULL && out != NULL);
	z = snappy_encode(data, size, enc);
	check(z > 0 && z <= bound);
	k = snappy_put_length(size, el);
	check(k <= z && memcmp(el, enc, k) == 0);
	check(snappy_encode_elements(data, size, el) == z - k);
	check(memcmp(el, enc + k, z - k) == 0);
	free(el);
	exact = malloc(z);
	check(exact != NULL);
	memcpy(exact, enc, z);
	check(snappy_decoded_length(exact, z, &len) == 0 && len == size);
	check(snappy_decode(exact, z, size ? out : NULL, size) == 0);
	check(size == 0 || memcmp(out, data, size) == 0);
	if (size > 0)
		check(snappy_decode(exact, z, out, size - 1) == -1);
	free(exact);
	free(enc);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_any(data, size);
	round_trip(data, size);
	return 0;
}
