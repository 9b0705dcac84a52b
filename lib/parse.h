/* parse.h: the one bounded parser for numbers, durations and sizes. */
#ifndef PARSE_H
#define PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Each parser reads the whole of s[0..len) (no sign, space or trailing
 * bytes beyond what the grammar allows), stores the result only on success
 * and returns 0, or returns -1 with errno EINVAL (not a number) or ERANGE
 * (outside [min, max]).
 */
int parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);
int parse_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);
/* A C-string convenience for option arguments. */
int parse_int_arg(const char *s, long min, long max, long *out);

/*
 * Prometheus durations: one or more <number><unit> with units ms, s, m, h,
 * d, w, y in decreasing order ("1h30m", "500ms", "15s"); "0" alone is zero.
 * The result is in milliseconds.
 */
int parse_duration(const char *s, size_t len, int64_t *ms);
/* Sizes: a number with an optional B, KB, MB, GB, TB, KiB, MiB, GiB, TiB. */
int parse_size(const char *s, size_t len, uint64_t *bytes);

#endif
