/* args.c: checks of command-line option arguments with one way to report them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

int args_bad(const char *opt, const char *arg, const char *why)
{
	log_error("invalid %s '%s': %s", opt, arg, why);
	return -1;
}

int args_duration(const char *opt, const char *arg, int64_t min,
		  int64_t *ms)
{
	int64_t v;

	if (parse_duration(arg, strlen(arg), &v) < 0)
		return args_bad(opt, arg, "not a duration such as 5s or 1m30s");
	if (v < min)
		return args_bad(opt, arg, "too small");
	*ms = v;
	return 0;
}

int args_size(const char *opt, const char *arg, uint64_t min, uint64_t max,
	      uint64_t *bytes)
{
	char why[96];
	uint64_t v;

	if (parse_size(arg, strlen(arg), &v) < 0)
		return args_bad(opt, arg, "not a size such as 512KiB");
	if (v < min || v > max) {
		snprintf(why, sizeof(why), "not between %llu and %llu bytes",
			 (unsigned long long)min, (unsigned long long)max);
		return args_bad(opt, arg, why);
	}
	*bytes = v;
	return 0;
}

int args_int(const char *opt, const char *arg, long min, long max, long *v)
{
	char why[96];

	if (parse_int_arg(arg, min, max, v) < 0) {
		snprintf(why, sizeof(why), "not a number in [%ld, %ld]", min,
			 max);
		return args_bad(opt, arg, why);
	}
	return 0;
}

int args_readable(const char *opt, const char *arg)
{
	if (access(arg, R_OK) < 0)
		return args_bad(opt, arg, strerror(errno));
	return 0;
}

int args_http(int opt, const char *arg, struct http_opts *o)
{
	switch (opt) {
	case ARGS_HTTP_BASIC_USER:
		o->basic_user = arg;
		return 1;
	case ARGS_HTTP_BASIC_PASS_FILE:
		o->basic_password_file = arg;
		return args_readable("--basic-auth-password-file", arg) < 0 ? -1
									    : 1;
	case ARGS_HTTP_BEARER_FILE:
		o->bearer_token_file = arg;
		return args_readable("--bearer-token-file", arg) < 0 ? -1 : 1;
	case ARGS_HTTP_CA:
		o->ca_file = arg;
		return args_readable("--ca-file", arg) < 0 ? -1 : 1;
	case ARGS_HTTP_CERT:
		o->cert_file = arg;
		return args_readable("--cert-file", arg) < 0 ? -1 : 1;
	case ARGS_HTTP_INSECURE:
		o->insecure_skip_verify = 1;
		return 1;
	case ARGS_HTTP_KEY:
		o->key_file = arg;
		return args_readable("--key-file", arg) < 0 ? -1 : 1;
	case ARGS_HTTP_PROXY:
		o->proxy_url = arg;
		return 1;
	case ARGS_HTTP_SERVER_NAME:
		o->server_name = arg;
		return 1;
	}
	return 0;
}

int args_http_check(const struct http_opts *o)
{
	if (!o->cert_file != !o->key_file) {
		log_error("--cert-file and --key-file go together");
		return -1;
	}
	if (o->basic_password_file && !o->basic_user) {
		log_error("--basic-auth-password-file needs --basic-auth-user");
		return -1;
	}
	if (o->basic_user && o->bearer_token_file) {
		log_error("basic auth and a bearer token exclude each other");
		return -1;
	}
	return 0;
}
