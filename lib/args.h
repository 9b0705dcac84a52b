/* args.h: command-line option arguments, checked and reported alike in every program. */
#ifndef ARGS_H
#define ARGS_H

#include <stdint.h>

#include "http.h"

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

/*
 * The HTTP client flags of the senders (rwsend, lokipush), with these
 * getopt_long values for their option tables: --basic-auth-user USER,
 * --basic-auth-password-file FILE, --bearer-token-file FILE, --ca-file
 * FILE, --cert-file FILE, --key-file FILE (files readable now),
 * --insecure-skip-verify, --proxy-url URL, --server-name NAME.
 */
enum {
	ARGS_HTTP_BASIC_USER = 0x4000, ARGS_HTTP_BASIC_PASS_FILE,
	ARGS_HTTP_BEARER_FILE, ARGS_HTTP_CA, ARGS_HTTP_CERT,
	ARGS_HTTP_INSECURE, ARGS_HTTP_KEY, ARGS_HTTP_PROXY,
	ARGS_HTTP_SERVER_NAME
};
/* 1 when opt is one of them (stored in o), 0 when not, -1 when bad. */
int args_http(int opt, const char *arg, struct http_opts *o);
/* After the options: cert with key, a password file with a user, basic
 * auth or a bearer token; -1 reported otherwise. */
int args_http_check(const struct http_opts *o);

#endif
