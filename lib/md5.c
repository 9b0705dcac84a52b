/* md5.c: MD5 message digest, written from the description in RFC 1321. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "md5.h"
#include "banned.h"

/*
 * The four rounds of RFC 1321 3.4, unrolled: each step adds one of the
 * sine-derived constants and rotates by the round's shift.
 */
#define md5_f(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define md5_g(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define md5_h(x, y, z) ((x) ^ (y) ^ (z))
#define md5_i(x, y, z) ((y) ^ ((x) | ~(z)))
#define MD5_STEP(f, a, b, c, d, m, k, s) do {				\
		(a) += f((b), (c), (d)) + (m) + (uint32_t)(k);		\
		(a) = ((a) << (s)) | ((a) >> (32 - (s)));		\
		(a) += (b);						\
	} while (0)

static void
md5_block(struct md5 *ctx, const unsigned char *p)
{
	uint32_t m[16], a, b, c, d;
	unsigned i;

	for (i = 0; i < 16; i++)
		m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		    (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	a = ctx->h[0];
	b = ctx->h[1];
	c = ctx->h[2];
	d = ctx->h[3];

	MD5_STEP(md5_f, a, b, c, d, m[0], 0xd76aa478, 7);
	MD5_STEP(md5_f, d, a, b, c, m[1], 0xe8c7b756, 12);
	MD5_STEP(md5_f, c, d, a, b, m[2], 0x242070db, 17);
	MD5_STEP(md5_f, b, c, d, a, m[3], 0xc1bdceee, 22);
	MD5_STEP(md5_f, a, b, c, d, m[4], 0xf57c0faf, 7);
	MD5_STEP(md5_f, d, a, b, c, m[5], 0x4787c62a, 12);
	MD5_STEP(md5_f, c, d, a, b, m[6], 0xa8304613, 17);
	MD5_STEP(md5_f, b, c, d, a, m[7], 0xfd469501, 22);
	MD5_STEP(md5_f, a, b, c, d, m[8], 0x698098d8, 7);
	MD5_STEP(md5_f, d, a, b, c, m[9], 0x8b44f7af, 12);
	MD5_STEP(md5_f, c, d, a, b, m[10], 0xffff5bb1, 17);
	MD5_STEP(md5_f, b, c, d, a, m[11], 0x895cd7be, 22);
	MD5_STEP(md5_f, a, b, c, d, m[12], 0x6b901122, 7);
	MD5_STEP(md5_f, d, a, b, c, m[13], 0xfd987193, 12);
	MD5_STEP(md5_f, c, d, a, b, m[14], 0xa679438e, 17);
	MD5_STEP(md5_f, b, c, d, a, m[15], 0x49b40821, 22);

	MD5_STEP(md5_g, a, b, c, d, m[1], 0xf61e2562, 5);
	MD5_STEP(md5_g, d, a, b, c, m[6], 0xc040b340, 9);
	MD5_STEP(md5_g, c, d, a, b, m[11], 0x265e5a51, 14);
	MD5_STEP(md5_g, b, c, d, a, m[0], 0xe9b6c7aa, 20);
	MD5_STEP(md5_g, a, b, c, d, m[5], 0xd62f105d, 5);
	MD5_STEP(md5_g, d, a, b, c, m[10], 0x02441453, 9);
	MD5_STEP(md5_g, c, d, a, b, m[15], 0xd8a1e681, 14);
	MD5_STEP(md5_g, b, c, d, a, m[4], 0xe7d3fbc8, 20);
	MD5_STEP(md5_g, a, b, c, d, m[9], 0x21e1cde6, 5);
	MD5_STEP(md5_g, d, a, b, c, m[14], 0xc33707d6, 9);
	MD5_STEP(md5_g, c, d, a, b, m[3], 0xf4d50d87, 14);
	MD5_STEP(md5_g, b, c, d, a, m[8], 0x455a14ed, 20);
	MD5_STEP(md5_g, a, b, c, d, m[13], 0xa9e3e905, 5);
	MD5_STEP(md5_g, d, a, b, c, m[2], 0xfcefa3f8, 9);
	MD5_STEP(md5_g, c, d, a, b, m[7], 0x676f02d9, 14);
	MD5_STEP(md5_g, b, c, d, a, m[12], 0x8d2a4c8a, 20);

	MD5_STEP(md5_h, a, b, c, d, m[5], 0xfffa3942, 4);
	MD5_STEP(md5_h, d, a, b, c, m[8], 0x8771f681, 11);
	MD5_STEP(md5_h, c, d, a, b, m[11], 0x6d9d6122, 16);
	MD5_STEP(md5_h, b, c, d, a, m[14], 0xfde5380c, 23);
	MD5_STEP(md5_h, a, b, c, d, m[1], 0xa4beea44, 4);
	MD5_STEP(md5_h, d, a, b, c, m[4], 0x4bdecfa9, 11);
	MD5_STEP(md5_h, c, d, a, b, m[7], 0xf6bb4b60, 16);
	MD5_STEP(md5_h, b, c, d, a, m[10], 0xbebfbc70, 23);
	MD5_STEP(md5_h, a, b, c, d, m[13], 0x289b7ec6, 4);
	MD5_STEP(md5_h, d, a, b, c, m[0], 0xeaa127fa, 11);
	MD5_STEP(md5_h, c, d, a, b, m[3], 0xd4ef3085, 16);
	MD5_STEP(md5_h, b, c, d, a, m[6], 0x04881d05, 23);
	MD5_STEP(md5_h, a, b, c, d, m[9], 0xd9d4d039, 4);
	MD5_STEP(md5_h, d, a, b, c, m[12], 0xe6db99e5, 11);
	MD5_STEP(md5_h, c, d, a, b, m[15], 0x1fa27cf8, 16);
	MD5_STEP(md5_h, b, c, d, a, m[2], 0xc4ac5665, 23);

	MD5_STEP(md5_i, a, b, c, d, m[0], 0xf4292244, 6);
	MD5_STEP(md5_i, d, a, b, c, m[7], 0x432aff97, 10);
	MD5_STEP(md5_i, c, d, a, b, m[14], 0xab9423a7, 15);
	MD5_STEP(md5_i, b, c, d, a, m[5], 0xfc93a039, 21);
	MD5_STEP(md5_i, a, b, c, d, m[12], 0x655b59c3, 6);
	MD5_STEP(md5_i, d, a, b, c, m[3], 0x8f0ccc92, 10);
	MD5_STEP(md5_i, c, d, a, b, m[10], 0xffeff47d, 15);
	MD5_STEP(md5_i, b, c, d, a, m[1], 0x85845dd1, 21);
	MD5_STEP(md5_i, a, b, c, d, m[8], 0x6fa87e4f, 6);
	MD5_STEP(md5_i, d, a, b, c, m[15], 0xfe2ce6e0, 10);
	MD5_STEP(md5_i, c, d, a, b, m[6], 0xa3014314, 15);
	MD5_STEP(md5_i, b, c, d, a, m[13], 0x4e0811a1, 21);
	MD5_STEP(md5_i, a, b, c, d, m[4], 0xf7537e82, 6);
	MD5_STEP(md5_i, d, a, b, c, m[11], 0xbd3af235, 10);
	MD5_STEP(md5_i, c, d, a, b, m[2], 0x2ad7d2bb, 15);
	MD5_STEP(md5_i, b, c, d, a, m[9], 0xeb86d391, 21);

	ctx->h[0] += a;
	ctx->h[1] += b;
	ctx->h[2] += c;
	ctx->h[3] += d;
}

void
md5_init(struct md5 *c)
{
	c->h[0] = 0x67452301;
	c->h[1] = 0xefcdab89;
	c->h[2] = 0x98badcfe;
	c->h[3] = 0x10325476;
	c->nbytes = 0;
	c->used = 0;
}

void
md5_update(struct md5 *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t take;

	c->nbytes += n;
	if (c->used) {
		take = 64 - c->used < n ? 64 - c->used : n;
		memcpy(c->block + c->used, p, take);
		c->used += take;
		p += take;
		n -= take;
		if (c->used < 64)
			return;
		md5_block(c, c->block);
		c->used = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		md5_block(c, p);
	if (n) {
		memcpy(c->block, p, n);
		c->used = n;
	}
}

void
md5_final(struct md5 *c, unsigned char out[MD5_DIGEST_LEN])
{
	uint64_t bits = c->nbytes * 8;
	unsigned char pad[72];
	size_t padlen, i;

	/* 0x80, zeros up to 56 mod 64, then the bit length little-endian. */
	padlen = c->used < 56 ? 56 - c->used : 120 - c->used;
	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char)(bits >> (8 * i));
	md5_update(c, pad, padlen + 8);
	for (i = 0; i < 4; i++) {
		out[4 * i] = (unsigned char)c->h[i];
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 3] = (unsigned char)(c->h[i] >> 24);
	}
}

void
md5_sum(const void *data, size_t n, unsigned char out[MD5_DIGEST_LEN])
{
	struct md5 c;

	md5_init(&c);
	md5_update(&c, data, n);
	md5_final(&c, out);
}
