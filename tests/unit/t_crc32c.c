/* t_crc32c.c: CRC-32C against published check values and a bitwise model. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crc32c.h"
#include "tap.h"
#include "banned.h"

/* The definition, one bit at a time: the table must agree with it. */
static uint32_t
crc32c_bitwise(const unsigned char *p, size_t len)
{
	uint32_t crc = 0xffffffff;
	int k;

	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
	}
	return ~crc;
}

int
main(void)
{
	unsigned char zeros[32], ones[32], inc[32], dec[32], big[4099];
	const char *check = "123456789";
	size_t i, split, bad;
	uint32_t whole;

	plan(14);
	is_int(crc32c(0, check, strlen(check)), 0xe3069283,
	    "check value of \"123456789\" is 0xE3069283");
	is_int(crc32c(0, "", 0), 0, "empty input gives 0");
	is_int(crc32c(0x1234, "", 0), 0x1234, "empty input keeps the running crc");

	/* RFC 3720 (iSCSI) appendix B.4 test vectors. */
	memset(zeros, 0, sizeof(zeros));
	memset(ones, 0xff, sizeof(ones));
	for (i = 0; i < 32; i++) {
		inc[i] = (unsigned char)i;
		dec[i] = (unsigned char)(31 - i);
	}
	is_int(crc32c(0, zeros, 32), 0x8a9136aa, "RFC 3720: 32 bytes of zeros");
	is_int(crc32c(0, ones, 32), 0x62a8ab43, "RFC 3720: 32 bytes of 0xff");
	is_int(crc32c(0, inc, 32), 0x46dd794e, "RFC 3720: 32 incrementing bytes");
	is_int(crc32c(0, dec, 32), 0x113fdb5c, "RFC 3720: 32 decrementing bytes");

	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7919 + (i >> 5));
	whole = crc32c(0, big, sizeof(big));
	is_int(whole, crc32c_bitwise(big, sizeof(big)),
	    "4099 bytes agree with the bitwise definition");

	bad = 0;
	for (split = 0; split <= sizeof(big); split += 97)
		if (crc32c(crc32c(0, big, split), big + split,
		    sizeof(big) - split) != whole)
			bad++;
	is_int((long long)bad, 0, "chaining at any split gives the same crc");

	bad = 0;
	for (i = 0; i < 256; i++) {
		unsigned char c = (unsigned char)i;

		if (crc32c(0, &c, 1) != crc32c_bitwise(&c, 1))
			bad++;
	}
	is_int((long long)bad, 0, "every table entry agrees with the bitwise definition");

	/* The instruction path (if the CPU has it) and the table path agree
	 * at every alignment and length, chained or not. */
	bad = 0;
	for (i = 0; i < 64; i++)
		for (split = 0; split < 70; split++)
			if (crc32c(0x5a5a5a5a, big + i, split) !=
			    crc32c_table_only(0x5a5a5a5a, big + i, split))
				bad++;
	is_int((long long)bad, 0, "fast and table paths agree at every offset and length");
	is_int(crc32c_table_only(0, check, strlen(check)), 0xe3069283,
	    "table path: check value");

	big[100] ^= 0x01;
	ok(crc32c(0, big, sizeof(big)) != whole, "one flipped bit changes the crc");
	big[100] ^= 0x01;
	ok(crc32c(0, big, sizeof(big)) == whole, "flipping it back restores it");
	return done_testing();
}
