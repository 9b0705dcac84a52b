/* snappy.h: Snappy block compression (the raw format, no framing). */
#ifndef SNAPPY_H
#define SNAPPY_H

#include <stddef.h>

/*
 * A Snappy block is the uncompressed length as a little-endian varint (at
 * most 2^32-1), then elements: literals, and copies of bytes already
 * produced.  This is the format of remote write and Loki push bodies
 * ("Content-Encoding: snappy"); any conforming decoder reads what
 * snappy_encode() makes, and snappy_decode() reads any conforming block.
 *
 * The encoder works on independent 64 KiB fragments of its input (as the
 * reference implementation does), so its copies never reach back past the
 * start of the fragment they are in.  Hence a block may be made a piece
 * at a time: the elements of each piece (snappy_encode_elements()),
 * joined behind the length of the whole (snappy_put_length()), are a
 * block of the whole; the very block snappy_encode() makes when every
 * piece but the last is SNAPPY_FRAG bytes.
 */
#define SNAPPY_FRAG (64u << 10)
#define SNAPPY_LEN_MAX 0xffffffffu

/* The most bytes snappy_encode() writes for len bytes of input: a bound
 * of the length prefix and of the elements. */
size_t snappy_max_encoded_length(size_t len);

/* Writes the block for len bytes at in (in may be NULL when len is 0) to
 * out, which has room for snappy_max_encoded_length(len) bytes; returns
 * the bytes written.  len must be at most SNAPPY_LEN_MAX: a longer input
 * writes nothing and returns 0 (no block is shorter than one byte). */
size_t snappy_encode(const void *in, size_t len, void *out);

/* The elements alone, without the length prefix; out has room for
 * snappy_max_encoded_length(len) bytes.  Returns the bytes written. */
size_t snappy_encode_elements(const void *in, size_t len, void *out);

/* The length prefix of a block of len uncompressed bytes (1 to 5 bytes
 * into out, which has room for 5); returns the bytes written. */
size_t snappy_put_length(size_t len, void *out);

/* Reads the uncompressed length from the front of the block of n bytes at
 * in: 0 with *len set, or -1 when the prefix is cut short, longer than 5
 * bytes or above SNAPPY_LEN_MAX. */
int snappy_decoded_length(const void *in, size_t n, size_t *len);

/* Decodes the block of n bytes at in into out, which holds outlen bytes:
 * 0 when the block is well formed and decodes to exactly outlen bytes,
 * else -1 (a truncated element, a copy from before the start or at offset
 * 0, more or fewer bytes than the prefix says or than outlen).  It reads
 * no byte outside in[0..n) and writes none outside out[0..outlen). */
int snappy_decode(const void *in, size_t n, void *out, size_t outlen);

#endif
