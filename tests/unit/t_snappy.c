/* t_snappy.c: Snappy round trips of edge cases, exact encodings, and a table of corrupt blocks the decoder must refuse. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snappy.h"
#include "tap.h"
#include "banned.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned char
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned char)(rng >> 24);
}

static unsigned char *
random_bytes(size_t n)
{
	unsigned char *p = malloc(n ? n : 1);
	size_t i;

	if (!p)
		abort();
	for (i = 0; i < n; i++)
		p[i] = rnd();
	return p;
}

/* Encodes n bytes, checks the bound, decodes from an exactly sized copy
 * (so ASan sees any read past the block) into an exactly sized buffer.
 * Fills *zlen with the encoded size; 1 when the bytes came back. */
static int
round_trip(const void *in, size_t n, size_t *zlen)
{
	size_t bound = snappy_max_encoded_length(n), got = 0, z;
	unsigned char *enc = malloc(bound), *exact, *out;
	int res;

	if (!enc)
		abort();
	z = snappy_encode(in, n, enc);
	*zlen = z;
	exact = malloc(z);
	out = malloc(n ? n : 1);
	if (!exact || !out)
		abort();
	memcpy(exact, enc, z);
	res = z > 0 && z <= bound &&
	      snappy_decoded_length(exact, z, &got) == 0 && got == n &&
	      snappy_decode(exact, z, n ? out : NULL, n) == 0 &&
	      (n == 0 || memcmp(out, in, n) == 0);
	free(enc);
	free(exact);
	free(out);
	return res;
}

/* Decodes a hand-made block from an exactly sized copy; 0 or -1. */
static int
decode_exact(const unsigned char *blk, size_t n, void *out, size_t outlen)
{
	unsigned char *p = malloc(n ? n : 1);
	int res;

	if (!p)
		abort();
	if (n)
		memcpy(p, blk, n);
	res = snappy_decode(n ? p : NULL, n, out, outlen);
	free(p);
	return res;
}

struct bad {
	const char *what;
	const unsigned char *blk;
	size_t n;
	size_t outlen;		/* the buffer given to the decoder */
};

#define B(...) (const unsigned char[]){ __VA_ARGS__ }, \
	sizeof((const unsigned char[]){ __VA_ARGS__ })

static const struct bad bad[] = {
	{ "empty block (no length)", (const unsigned char *)"", 0, 0 },
	{ "length prefix cut short", B(0x80), 0 },
	{ "length prefix of 6 bytes", B(0x80, 0x80, 0x80, 0x80, 0x80, 0x00), 0 },
	{ "length above 2^32-1", B(0xff, 0xff, 0xff, 0xff, 0x1f), 16 },
	{ "length other than the buffer's", B(0x02, 0x04, 'a', 'b'), 3 },
	{ "literal past the end of the block", B(0x05, 0x10, 'a', 'b'), 5 },
	{ "literal length byte missing", B(0x05, 0xf0), 5 },
	{ "literal 4-byte length cut short", B(0x05, 0xfc, 0x01, 0x00), 5 },
	{ "literal of 2^32 bytes", B(0x05, 0xfc, 0xff, 0xff, 0xff, 0xff, 'a'),
	  5 },
	{ "literal longer than the length", B(0x01, 0x04, 'a', 'b'), 1 },
	{ "copy at offset 0", B(0x05, 0x00, 'a', 0x01, 0x00), 5 },
	{ "copy from before the start", B(0x05, 0x00, 'a', 0x01, 0x02), 5 },
	{ "copy past the length", B(0x04, 0x00, 'a', 0x01, 0x01), 4 },
	{ "1-byte-offset copy cut short", B(0x05, 0x00, 'a', 0x01), 5 },
	{ "2-byte-offset copy cut short", B(0x05, 0x00, 'a', 0x0e, 0x01), 5 },
	{ "4-byte-offset copy cut short", B(0x05, 0x00, 'a', 0x0f, 0x01, 0x00,
					     0x00), 5 },
	{ "4-byte-offset copy from 2^32-1 back", B(0x05, 0x00, 'a', 0x0f, 0xff,
						   0xff, 0xff, 0xff), 5 },
	{ "elements short of the length", B(0x05, 0x08, 'a', 'b', 'c'), 5 },
	{ "2-byte-offset copy of 64 past the length", B(0x05, 0x00, 'a', 0xfe,
							 0x01, 0x00), 5 },
};

int
main(void)
{
	unsigned char lit[70000], out[256], *r, *big, *blk;
	size_t z, i, k, n, got, fails;
	int all;

	plan(33 + (int)(sizeof(bad) / sizeof(bad[0])));

	/* exact encodings of the smallest inputs */
	z = snappy_encode(NULL, 0, out);
	ok(z == 1 && out[0] == 0x00, "empty input is the one byte 0x00");
	z = snappy_encode("a", 1, out);
	is_mem(out, "\x01\x00" "a", 3, "one byte: length 1, a literal of 1");
	ok(z == 3, "one byte encodes to 3 bytes");

	/* literals: random bytes do not match, so they stay one literal */
	r = random_bytes(sizeof(lit));
	memcpy(lit, r, sizeof(lit));
	free(r);
	blk = malloc(snappy_max_encoded_length(sizeof(lit)));
	if (!blk)
		abort();
	z = snappy_encode(lit, 60, blk);
	ok(z == 62 && blk[0] == 60 && blk[1] == 59 << 2,
	   "60-byte literal: tag holds 59 (length - 1)");
	z = snappy_encode(lit, 61, blk);
	ok(z == 64 && blk[1] == 60 << 2 && blk[2] == 60,
	   "61-byte literal: tag 60, one length byte 60");
	z = snappy_encode(lit, 256, blk);
	ok(z == 2 + 2 + 256 && blk[2] == 60 << 2 && blk[3] == 0xff,
	   "256-byte literal: tag 60, one length byte 255");
	z = snappy_encode(lit, 65536, blk);
	ok(z == 3 + 3 + 65536 && blk[3] == 61 << 2 && blk[4] == 0xff &&
	   blk[5] == 0xff, "65536-byte literal: tag 61, length 65535");
	ok(round_trip(lit, 0, &z) && z == 1, "round trip: empty");
	ok(round_trip(lit, 1, &z), "round trip: 1 byte");
	ok(round_trip(lit, 60, &z), "round trip: 60-byte literal");
	ok(round_trip(lit, 61, &z), "round trip: 61-byte literal");
	ok(round_trip(lit, 256, &z), "round trip: 256-byte literal");
	ok(round_trip(lit, 65536, &z), "round trip: 65536-byte literal");
	ok(round_trip(lit, sizeof(lit), &z) &&
	   z <= sizeof(lit) + sizeof(lit) / 1000 + 16,
	   "round trip: 70000 incompressible bytes grow by under 0.1%%");
	free(blk);

	/* long runs: overlapping copies */
	big = malloc(1u << 20);
	if (!big)
		abort();
	memset(big, 'x', 1u << 20);
	ok(round_trip(big, 1u << 20, &z) && z < (1u << 20) / 20,
	   "round trip: 1 MiB of one byte, to under 1/20 (%zu bytes)", z);
	for (i = 0; i < (1u << 20); i++)
		big[i] = "abc"[i % 3];
	ok(round_trip(big, 1u << 20, &z) && z < (1u << 20) / 20,
	   "round trip: 1 MiB of a 3-byte pattern (%zu bytes)", z);
	for (k = 14; k < 20; k++)
		if (!round_trip(big, k, &z))
			break;
	ok(k == 20, "round trip: 14..19 bytes (around the matcher's margin)");

	/* copies from far back: a random block, then itself again */
	r = random_bytes(3000);
	memcpy(big, r, 3000);
	memcpy(big + 3000, r, 3000);
	ok(round_trip(big, 6000, &z) && z < 3000 + 200,
	   "round trip: copy from 3000 back (offset > 2048), %zu bytes", z);
	free(r);
	r = random_bytes(40000);
	memcpy(big, r, 40000);
	memcpy(big + 40000, r, 40000);
	ok(round_trip(big, 80000, &z),
	   "round trip: 80000 bytes repeating at 40000");
	free(r);
	/* SNAPPY_FRAG-sized fragments: the second one's copies stay in it */
	r = random_bytes(1u << 20);
	for (i = 0; i + 512 <= (1u << 20); i += 512)
		memcpy(big + i, r + (i / 512 % 300) * 512, 512);
	ok(round_trip(big, 1u << 20, &z), "round trip: 1 MiB, 512-byte "
	   "blocks repeating 300 apart (%zu bytes)", z);
	free(r);
	r = random_bytes(1u << 20);
	ok(round_trip(r, 1u << 20, &z), "round trip: 1 MiB random");
	free(r);

	/* joined fragments make the block of the whole */
	{
		size_t whole = snappy_max_encoded_length(200000);
		unsigned char *a = malloc(whole), *b = malloc(whole);
		size_t la, lb = 0;

		if (!a || !b)
			abort();
		la = snappy_encode(big, 200000, a);
		lb += snappy_put_length(200000, b + lb);
		lb += snappy_encode_elements(big, SNAPPY_FRAG, b + lb);
		lb += snappy_encode_elements(big + SNAPPY_FRAG, SNAPPY_FRAG,
					     b + lb);
		lb += snappy_encode_elements(big + 2 * SNAPPY_FRAG,
					     200000 - 2 * SNAPPY_FRAG, b + lb);
		ok(la == lb && memcmp(a, b, la) == 0,
		   "fragments encoded one by one equal the whole");
		free(a);
		free(b);
	}

	/* text compresses about as the reference does (~2x for this) */
	{
		size_t len = 0;

		while (len + 120 < (1u << 20)) {
			int w = snprintf((char *)big + len, 120,
			    "node_cpu_seconds_total{cpu=\"%zu\",mode=\"idle\","
			    "instance=\"h%zu:9100\"} %zu\n", len % 7,
			    len % 13, len * 7919 % 100003);

			len += (size_t)w;
		}
		ok(round_trip(big, len, &z) && z < len / 3,
		   "round trip: %zu bytes of exposition text to %zu", len, z);
	}

	/* decoding hand-made blocks with every element kind */
	{
		static const unsigned char c1[] = { 0x08, 0x0c, 'a', 'b', 'c',
						    'd', 0x01, 0x04 };
		static const unsigned char c2[] = { 0x0a, 0x00, 'z', 0x22, 0x01,
						    0x00 };
		static const unsigned char c4[] = { 0x07, 0x08, 'a', 'b', 'c',
						    0x0f, 0x03, 0x00, 0x00,
						    0x00 };

		ok(decode_exact(c1, sizeof(c1), out, 8) == 0 &&
		   memcmp(out, "abcdabcd", 8) == 0,
		   "1-byte-offset copy: abcd + copy(4 back, 4)");
		ok(decode_exact(c2, sizeof(c2), out, 10) == 0 &&
		   memcmp(out, "zzzzzzzzzz", 10) == 0,
		   "2-byte-offset copy overlapping itself: a run of 9");
		ok(decode_exact(c4, sizeof(c4), out, 7) == 0 &&
		   memcmp(out, "abcabca", 7) == 0,
		   "4-byte-offset copy: abc + copy(3 back, 4)");
	}
	{
		/* a literal of 70000 bytes, then a copy from 70000 back */
		size_t cap = 70000 + 16, ulen = 70004;
		unsigned char *b2 = malloc(cap), *o2 = malloc(ulen);

		if (!b2 || !o2)
			abort();
		n = snappy_put_length(ulen, b2);
		b2[n++] = 62 << 2;	/* 3 length bytes */
		b2[n++] = (unsigned char)(69999 & 0xff);
		b2[n++] = (unsigned char)(69999 >> 8 & 0xff);
		b2[n++] = (unsigned char)(69999 >> 16);
		memcpy(b2 + n, lit, 70000);
		n += 70000;
		b2[n++] = 0x03 | 3 << 2;	/* copy of 4, 4-byte offset */
		b2[n++] = (unsigned char)(70000 & 0xff);
		b2[n++] = (unsigned char)(70000 >> 8 & 0xff);
		b2[n++] = (unsigned char)(70000 >> 16);
		b2[n++] = 0;
		ok(decode_exact(b2, n, o2, ulen) == 0 &&
		   memcmp(o2, lit, 70000) == 0 &&
		   memcmp(o2 + 70000, lit, 4) == 0,
		   "copy from 70000 back (offset > 65535)");
		ok(decode_exact(b2, n, o2, ulen - 1) == -1,
		   "a buffer one byte short of the length is refused");
		free(b2);
		free(o2);
	}

	/* the length prefix */
	ok(snappy_decoded_length("\xff\xff\xff\xff\x0f", 5, &got) == 0 &&
	   got == 0xffffffffu, "length prefix 2^32-1 in 5 bytes");
	ok(snappy_decoded_length("\x80\x01", 2, &got) == 0 && got == 128,
	   "length prefix 128");
	ok(snappy_decoded_length("\x80\x01", 1, &got) == -1,
	   "length prefix cut short");

	/* every strict prefix of a good block is refused */
	blk = malloc(snappy_max_encoded_length(6000));
	if (!blk)
		abort();
	r = random_bytes(2000);
	memcpy(big, r, 2000);
	memcpy(big + 2000, r, 2000);
	memset(big + 4000, 'q', 2000);
	free(r);
	z = snappy_encode(big, 6000, blk);
	r = malloc(6000);
	if (!r)
		abort();
	all = 1;
	for (k = 0; k < z; k++)
		if (decode_exact(blk, k, r, 6000) != -1)
			all = 0;
	ok(all, "each of the %zu strict prefixes of a block is refused", z);

	/* flipping bytes: refused or decoded, never read or written out of
	 * bounds (ASan watches the exact buffers) */
	fails = 0;
	for (k = 0; k < z; k++) {
		for (i = 0; i < 8; i++) {
			blk[k] ^= (unsigned char)(1u << i);
			if (decode_exact(blk, z, r, 6000) != 0)
				fails++;
			blk[k] ^= (unsigned char)(1u << i);
		}
	}
	ok(fails > 0 && decode_exact(blk, z, r, 6000) == 0,
	   "single bit flips: %zu of %zu refused, none out of bounds", fails,
	   z * 8);
	free(r);
	free(blk);
	free(big);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char *o = malloc(bad[i].outlen ? bad[i].outlen : 1);

		if (!o)
			abort();
		ok(decode_exact(bad[i].blk, bad[i].n, bad[i].outlen ? o : NULL,
				bad[i].outlen) == -1, "refused: %s",
		   bad[i].what);
		free(o);
	}
	return done_testing();
}
