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
