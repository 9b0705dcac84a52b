/* hash.c: 64-bit FNV-1a. */
#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "banned.h"

uint64_t
obs_fnv1a64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}
