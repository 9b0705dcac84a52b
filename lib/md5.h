/* md5.h: MD5 (RFC 1321), for Prometheus' hashmod relabel action only. */
#ifndef MD5_H
#define MD5_H

#include <stddef.h>
#include <stdint.h>

/*
 * MD5 is broken as a cryptographic hash; it is here because hashmod must
 * give the same shard numbers as Prometheus, which hashes with MD5.
 */
#define MD5_DIGEST_LEN 16

struct md5 {
	uint32_t h[4];
	uint64_t nbytes;
	unsigned char block[64];
	size_t used;
};

void md5_init(struct md5 *c);
void md5_update(struct md5 *c, const void *data, size_t n);
void md5_final(struct md5 *c, unsigned char out[MD5_DIGEST_LEN]);
/* The digest of one buffer in one call. */
void md5_sum(const void *data, size_t n, unsigned char out[MD5_DIGEST_LEN]);

#endif
