/* args.h: command-line option arguments, checked and reported alike in every program. */
#ifndef ARGS_H
#define ARGS_H

#include <stdint.h>

/*
 * Each check reports a bad argument as "PROG: invalid OPT 'ARG': reason"
 * and returns -1 (the caller exits 2); 0 when the argument is good, with
 * the value stored.
 */
int args_bad(const char *opt, const char *arg, const char *why);
/* A Prometheus duration ("250ms", "1m30s") of at least min ms. */
int args_duration(const char *opt, const char *arg, int64_t min,
		  int64_t *ms);
/* A size ("512KiB") in [min, max] bytes. */
int args_size(const char *opt, const char *arg, uint64_t min, uint64_t max,
	      uint64_t *bytes);
/* A whole number in [min, max]. */
int args_int(const char *opt, const char *arg, long min, long max, long *v);
/* A file that can be read now (secrets are read again when used). */
int args_readable(const char *opt, const char *arg);

#endif
