/* t_md5.c: MD5 against the test suite of RFC 1321 appendix A.5. */
#include <stdio.h>
#include <string.h>

#include "md5.h"
#include "tap.h"
#include "banned.h"

static void
hex(const unsigned char *d, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < MD5_DIGEST_LEN; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * MD5_DIGEST_LEN] = '\0';
}

int
main(void)
{
	static const struct {
		const char *in, *want;
	} rfc[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz",
		  "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "1234567890123456789012345678901234567890"
		  "1234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};
	unsigned char d[MD5_DIGEST_LEN];
	char got[2 * MD5_DIGEST_LEN + 1];
	struct md5 c;
	size_t i, j, n;

	plan((int)(sizeof(rfc) / sizeof(rfc[0])) + 4);
	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		md5_sum(rfc[i].in, strlen(rfc[i].in), d);
		hex(d, got);
		is_str(got, rfc[i].want, "MD5(\"%.20s\")", rfc[i].in);
	}

	/* The same digest fed one byte at a time crosses every block edge. */
	n = strlen(rfc[6].in);
	md5_init(&c);
	for (j = 0; j < n; j++)
		md5_update(&c, rfc[6].in + j, 1);
	md5_final(&c, d);
	hex(d, got);
	is_str(got, rfc[6].want, "byte-at-a-time update");

	/* 55, 56 and 64 bytes are the padding edge cases. */
	{
		static const struct {
			size_t n;
			const char *want;
		} edge[] = {
			{ 55, "04364420e25c512fd958a70738aa8f72" },
			{ 56, "668a72d5ba17f08e62dabcafad6db14b" },
			{ 64, "c1bb4f81d892b2d57947682aeb252456" },
		};
		char buf[64];

		memset(buf, 'x', sizeof(buf));
		for (j = 0; j < 3; j++) {
			md5_sum(buf, edge[j].n, d);
			hex(d, got);
			is_str(got, edge[j].want, "%zu bytes of 'x'", edge[j].n);
		}
	}
	return done_testing();
}
