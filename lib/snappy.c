/* snappy.c: a Snappy block encoder (greedy, hash-table matcher) and a bounds-checked decoder. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "snappy.h"
#include "banned.h"

/*
 * Element tags: the low two bits say the kind.  A literal keeps its length
 * minus one in the upper six bits, or 60..63 for one to four bytes of it
 * that follow.  A copy of 4..11 bytes from at most 2047 back fits in two
 * bytes (1-byte offset); up to 64 bytes from at most 65535 back in three.
 */
enum { TAG_LITERAL = 0, TAG_COPY1 = 1, TAG_COPY2 = 2, TAG_COPY4 = 3 };

/* The matcher hashes 4 bytes; near the end of a fragment it stops looking,
 * so its loads never need a bound check of their own. */
#define MATCH_MIN 4
#define INPUT_MARGIN 15
#define TABLE_BITS_MIN 8
#define TABLE_BITS_MAX 14

static uint32_t
load32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t
load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The top TABLE_BITS_MAX bits of a multiplicative hash, cut to the
 * table's size: as the reference picks them, so both find the same
 * matches (and make blocks of the same size) on most inputs. */
static uint32_t
hash4(const unsigned char *p, uint32_t mask)
{
	return (load32(p) * 0x1e35a7bdu) >> (32 - TABLE_BITS_MAX) & mask;
}

size_t
snappy_max_encoded_length(size_t len)
{
	/* a literal costs at most 5 bytes of tag on top of its bytes, a copy
	 * never more than it saves; the reference's bound covers both */
	return 32 + len + len / 6;
}

size_t
snappy_put_length(size_t len, void *out)
{
	unsigned char *p = out;
	size_t n = 0;

	while (len >= 0x80) {
		p[n++] = (unsigned char)(len | 0x80);
		len >>= 7;
	}
	p[n++] = (unsigned char)len;
	return n;
}

static unsigned char *
emit_literal(unsigned char *op, const unsigned char *p, size_t len)
{
	size_t n = len - 1;

	if (n < 60) {
		*op++ = (unsigned char)(TAG_LITERAL | n << 2);
	} else {
		int nb = 1;

		while (nb < 4 && (n >> (8 * nb)) != 0)
			nb++;
		*op++ = (unsigned char)(TAG_LITERAL | (59 + nb) << 2);
		while (nb-- > 0) {
			*op++ = (unsigned char)n;
			n >>= 8;
		}
	}
	memcpy(op, p, len);
	return op + len;
}

/* One copy element: 4 <= len <= 64, 0 < off < 65536. */
static unsigned char *
emit_copy_short(unsigned char *op, size_t off, size_t len)
{
	if (len < 12 && off < 2048) {
		*op++ = (unsigned char)(TAG_COPY1 | (len - 4) << 2 |
					(off >> 8) << 5);
		*op++ = (unsigned char)off;
	} else {
		*op++ = (unsigned char)(TAG_COPY2 | (len - 1) << 2);
		*op++ = (unsigned char)off;
		*op++ = (unsigned char)(off >> 8);
	}
	return op;
}

/* A match of any length (at least 4): copies of 64, keeping the last at 4
 * or more. */
static unsigned char *
emit_copy(unsigned char *op, size_t off, size_t len)
{
	while (len >= 68) {
		op = emit_copy_short(op, off, 64);
		len -= 64;
	}
	if (len > 64) {
		op = emit_copy_short(op, off, 60);
		len -= 60;
	}
	return emit_copy_short(op, off, len);
}

/* How many bytes at b (up to end) equal those at a, which is before b. */
static size_t
match_length(const unsigned char *a, const unsigned char *b,
	     const unsigned char *end)
{
	const unsigned char *start = b;

	while (end - b >= 8) {
		uint64_t x = load64(a) ^ load64(b);

		if (x != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			b += __builtin_ctzll(x) >> 3;
			return (size_t)(b - start);
#else
			break;
#endif
		}
		a += 8;
		b += 8;
	}
	while (b < end && *a == *b) {
		a++;
		b++;
	}
	return (size_t)(b - start);
}

/*
 * One fragment (at most SNAPPY_FRAG bytes), greedily: the table maps the
 * hash of 4 bytes to where they were last seen in the fragment; a hit
 * that really matches becomes a copy, extended as far as it goes.  Where
 * nothing matches for a while the search steps over more bytes at a time
 * (one more every 32 misses), so incompressible input passes fast.
 */
static unsigned char *
encode_fragment(const unsigned char *base, size_t len, unsigned char *op,
		uint16_t *table)
{
	const unsigned char *ip = base, *end = base + len, *lit = base;
	const unsigned char *limit, *next, *cand;
	size_t tsize = (size_t)1 << TABLE_BITS_MIN;
	uint32_t h, skip, mask;

	if (len < INPUT_MARGIN)
		goto tail;
	while (tsize < len && tsize < ((size_t)1 << TABLE_BITS_MAX))
		tsize <<= 1;
	mask = (uint32_t)tsize - 1;
	memset(table, 0, tsize * sizeof(*table));
	limit = end - INPUT_MARGIN;
	next = ip + 1;
	for (;;) {
		skip = 32;
		do {
			ip = next;
			next = ip + (skip++ >> 5);
			if (next > limit)
				goto tail;
			h = hash4(ip, mask);
			cand = base + table[h];
			table[h] = (uint16_t)(ip - base);
		} while (load32(cand) != load32(ip));
		op = emit_literal(op, lit, (size_t)(ip - lit));
		/* a copy often follows a copy: check the next position at
		 * once, before going back to skipping */
		do {
			size_t m = MATCH_MIN + match_length(cand + MATCH_MIN,
							    ip + MATCH_MIN, end);

			op = emit_copy(op, (size_t)(ip - cand), m);
			ip += m;
			lit = ip;
			if (ip >= limit)
				goto tail;
			table[hash4(ip - 1, mask)] = (uint16_t)(ip - 1 - base);
			h = hash4(ip, mask);
			cand = base + table[h];
			table[h] = (uint16_t)(ip - base);
		} while (load32(cand) == load32(ip));
		next = ip + 1;
	}
tail:
	if (lit < end)
		op = emit_literal(op, lit, (size_t)(end - lit));
	return op;
}

size_t
snappy_encode_elements(const void *in, size_t len, void *out)
{
	uint16_t table[(size_t)1 << TABLE_BITS_MAX];
	const unsigned char *p = in;
	unsigned char *op = out;

	while (len > 0) {
		size_t n = len < SNAPPY_FRAG ? len : SNAPPY_FRAG;

		op = encode_fragment(p, n, op, table);
		p += n;
		len -= n;
	}
	return (size_t)(op - (unsigned char *)out);
}

size_t
snappy_encode(const void *in, size_t len, void *out)
{
	size_t k;

	if ((uint64_t)len > SNAPPY_LEN_MAX)
		return 0;
	k = snappy_put_length(len, out);
	return k + snappy_encode_elements(in, len, (unsigned char *)out + k);
}

/* The length prefix: its bytes, or -1. */
static int
get_length(const unsigned char *p, size_t n, uint64_t *len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 5 && i < n; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			if (v > SNAPPY_LEN_MAX)
				return -1;
			*len = v;
			return (int)i + 1;
		}
	}
	return -1;
}

int
snappy_decoded_length(const void *in, size_t n, size_t *len)
{
	uint64_t v;

	if (get_length(in, n, &v) < 0 || v > SIZE_MAX)
		return -1;
	*len = (size_t)v;
	return 0;
}

int
snappy_decode(const void *in, size_t n, void *out, size_t outlen)
{
	const unsigned char *ip = in, *end = ip + n;
	unsigned char *o = out;
	uint64_t ulen, len, off;
	size_t op = 0, k;
	int pre;

	if ((pre = get_length(ip, n, &ulen)) < 0 || ulen != outlen)
		return -1;
	ip += pre;
	while (ip < end) {
		unsigned tag = *ip++;

		switch (tag & 3) {
		case TAG_LITERAL:
			len = tag >> 2;
			if (len >= 60) {
				size_t nb = (size_t)len - 59, i;

				if ((size_t)(end - ip) < nb)
					return -1;
				len = 0;
				for (i = 0; i < nb; i++)
					len |= (uint64_t)ip[i] << (8 * i);
				ip += nb;
			}
			len++;
			if (len > (uint64_t)(end - ip) || len > outlen - op)
				return -1;
			memcpy(o + op, ip, (size_t)len);
			ip += len;
			op += (size_t)len;
			continue;
		case TAG_COPY1:
			if (end - ip < 1)
				return -1;
			len = ((tag >> 2) & 7) + 4;
			off = (uint64_t)(tag >> 5) << 8 | ip[0];
			ip += 1;
			break;
		case TAG_COPY2:
			if (end - ip < 2)
				return -1;
			len = (tag >> 2) + 1;
			off = (uint64_t)ip[0] | (uint64_t)ip[1] << 8;
			ip += 2;
			break;
		default:
			if (end - ip < 4)
				return -1;
			len = (tag >> 2) + 1;
			off = (uint64_t)ip[0] | (uint64_t)ip[1] << 8 |
			      (uint64_t)ip[2] << 16 | (uint64_t)ip[3] << 24;
			ip += 4;
			break;
		}
		if (off == 0 || off > op || len > outlen - op)
			return -1;
		if (off >= len) {
			memcpy(o + op, o + op - off, (size_t)len);
		} else {
			/* overlapping: a run, byte by byte as the format says */
			for (k = 0; k < len; k++)
				o[op + k] = o[op - off + k];
		}
		op += (size_t)len;
	}
	return op == outlen ? 0 : -1;
}
