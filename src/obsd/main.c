/* main.c: obsd, the supervisor that runs obs pipelines from one YAML file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "buf.h"
#include "log.h"
#include "obs.h"
#include "obsd.h"
#include "banned.h"

static const char usage_text[] =
    "usage: obsd [-hv] -c FILE [--backoff-max DUR] [--backoff-min DUR]\n"
    "            [--backoff-reset DUR] [--run-dir DIR] [--stats-dir DIR]\n"
    "            [--stop-timeout DUR] [--version] [check | run | status]\n";

static void
usage(FILE *f)
{
	fputs(usage_text, f);
}

/* A duration option from min ms to a day. */
static int
duration_arg(const char *opt, const char *arg, int64_t min, int64_t *ms)
{
	if (args_duration(opt, arg, min, ms) < 0)
		return -1;
	if (*ms > INT64_C(86400000))
		return args_bad(opt, arg, "longer than 1d");
	return 0;
}

/* Members inherit 0, 1 and 2: make sure they are open, if on /dev/null. */
static int
std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= STDERR_FILENO)
		;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
state_exists(const struct opts *o)
{
	struct buf path = BUF_INIT(0);
	int r = state_path(o, &path) == 0 && access(path.p, F_OK) == 0;

	buf_free(&path);
	return r;
}

/* The state file keeps paths that `obsd status` reads from anywhere. */
static const char *
absolute(const char *path, struct buf *keep)
{
	char cwd[PATH_MAX];

	if (path == NULL || path[0] == '/')
		return path;
	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    buf_addf(keep, "%s/%s", cwd, path) < 0)
		return path;
	return keep->p;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "backoff-max", required_argument, NULL, 'M' },
		{ "backoff-min", required_argument, NULL, 'm' },
		{ "backoff-reset", required_argument, NULL, 'R' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "stats-dir", required_argument, NULL, 'S' },
		{ "stop-timeout", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o;
	struct conf *conf = NULL;
	struct buf rundir = BUF_INIT(0), cfg = BUF_INIT(0), sdir = BUF_INIT(0);
	const char *cmd = "run", *xdg;
	int c, status = EXIT_CONFIG;

	log_init(argv[0]);
	memset(&o, 0, sizeof(o));
	o.stop_timeout = 10000;
	o.backoff_min = 100;
	o.backoff_max = 30000;
	o.healthy = 60000;
	while ((c = getopt_long(argc, argv, "c:hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 'h':
			usage(stdout);
			status = EXIT_OK;
			goto out;
		case 'M':
			if (duration_arg("--backoff-max", optarg, 1, &o.backoff_max) < 0)
				goto out;
			break;
		case 'm':
			if (duration_arg("--backoff-min", optarg, 1, &o.backoff_min) < 0)
				goto out;
			break;
		case 'R':
			if (duration_arg("--backoff-reset", optarg, 1, &o.healthy) < 0)
				goto out;
			break;
		case 'r':
			o.run_dir = optarg;
			break;
		case 'S':
			o.stats_dir = optarg;
			break;
		case 'T':
			if (duration_arg("--stop-timeout", optarg, 0, &o.stop_timeout) < 0)
				goto out;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case 'V':
			obs_print_version();
			status = EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || o.config == NULL) {
		usage(stderr);
		goto out;
	}
	if (argc == 1)
		cmd = argv[0];
	if (strcmp(cmd, "run") != 0 && strcmp(cmd, "status") != 0 &&
	    strcmp(cmd, "check") != 0) {
		log_error("unknown command '%s': expected check, run or status",
		    cmd);
		usage(stderr);
		goto out;
	}
	if (o.backoff_min > o.backoff_max) {
		log_error("--backoff-min is longer than --backoff-max");
		goto out;
	}
	if (o.run_dir == NULL) {
		xdg = getenv("XDG_RUNTIME_DIR");
		if (xdg && *xdg && buf_addf(&rundir, "%s/obsd", xdg) == 0)
			o.run_dir = rundir.p;
		else
			o.run_dir = "/run/obsd";
	}
	o.config_abs = absolute(o.config, &cfg);
	o.stats_dir = absolute(o.stats_dir, &sdir);
	if (strcmp(cmd, "status") == 0) {
		/* A system obsd publishes in /run/obsd even when the shell
		 * that asks has an XDG_RUNTIME_DIR. */
		if (o.run_dir == rundir.p && !state_exists(&o))
			o.run_dir = "/run/obsd";
		status = status_print(&o);
		goto out;
	}
	if (std_fds() < 0) {
		log_errno("open '/dev/null'");
		status = EXIT_RUNTIME;
		goto out;
	}
	/* Every configuration error is reported before anything starts. */
	conf = conf_load(o.config);
	if (conf == NULL)
		goto out;
	if (strcmp(cmd, "check") == 0) {
		status = EXIT_OK;
		goto out;
	}
	status = super_run(&o, conf);
out:
	conf_free(conf);
	buf_free(&rundir);
	buf_free(&cfg);
	buf_free(&sdir);
	return status;
}
