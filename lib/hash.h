/* hash.h: the one FNV-1a hash every program and the library use for tables and names. */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * 64-bit FNV-1a of n bytes.  Stable across runs and builds: rwsend names
 * a queue directory with it (url-HASH), so it must never change.
 */
uint64_t obs_fnv1a64(const void *p, size_t n);

#endif
