/* main.c: logtail, which follows container logs and files and prints log entries. */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "buf.h"
#include "clock.h"
#include "http.h"
#include "lineio.h"
#include "log.h"
#include "logtail.h"
#include "obs.h"
#include "parse.h"
#include "sig.h"
#include "stats.h"
#include "banned.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"

static const char usage_text[] =
	"usage: logtail [-hv] [--docker[=SOCKET]] [--docker-read "
	"auto|api|json-file]\n"
	"               [--max-line-size SIZE] [--once] [--poll-interval DUR]\n"
	"               [--positions FILE] [--stats-file PATH] "
	"[--sync-period DUR]\n"
	"               [--version] [PATH|GLOB...]\n";

enum {
	OPT_DOCKER = 256, OPT_DOCKER_READ, OPT_MAX_LINE, OPT_ONCE, OPT_POLL,
	OPT_POSITIONS, OPT_STATS, OPT_SYNC, OPT_VERSION,
};

static const struct option longopts[] = {
	{ "docker", optional_argument, NULL, OPT_DOCKER },
	{ "docker-read", required_argument, NULL, OPT_DOCKER_READ },
	{ "help", no_argument, NULL, 'h' },
	{ "max-line-size", required_argument, NULL, OPT_MAX_LINE },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "poll-interval", required_argument, NULL, OPT_POLL },
	{ "positions", required_argument, NULL, OPT_POSITIONS },
	{ "stats-file", required_argument, NULL, OPT_STATS },
	{ "sync-period", required_argument, NULL, OPT_SYNC },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

volatile int logtail_stop;

static void write_stats(const char *path, int docker, int nfiles)
{
	struct buf b = BUF_INIT(1u << 20);

	stats_add(&b, "obs_logtail_entries_total", "counter",
		  "Log entries written.", "",
		  (double)atomic_load(&lt_out.entries));
	stats_add(&b, "obs_logtail_bytes_total", "counter",
		  "Bytes of log lines written.", "",
		  (double)atomic_load(&lt_out.bytes));
	stats_add(&b, "obs_logtail_lines_truncated_total", "counter",
		  "Lines cut to --max-line-size.", "",
		  (double)atomic_load(&lt_out.truncated));
	if (nfiles)
		files_stats(&b);
	if (docker)
		docker_stats(&b);
	if (stats_write(path, &b) < 0)
		log_errno("cannot write stats file '%s'", path);
	buf_free(&b);
}

/*
 * Log entries stream through the pipeline faster than one program of it
 * reads them at times: with the default 64 KiB pipe, the writer sleeps
 * and is woken every 4 KiB, a pair of context switches each.  A pipe as
 * large as an unprivileged process may ask for (pipe-max-size, 1 MiB by
 * default) lets each side run on.  Not a pipe, or a refusal: nothing.
 */
static void pipe_widen(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
}

int main(int argc, char **argv)
{
	const char *socket = NULL, *posfile = NULL, *stats = NULL;
	enum docker_read mode = DREAD_AUTO;
	int64_t poll_ms = 250, sync_ms = 10000, next_sync, next_stats = 0;
	uint64_t max_line = 256 * 1024;
	int c, once = 0, docker = 0, rc = EXIT_OK;

	log_init("logtail");
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'v':
			log_set_verbose(1);
			break;
		case OPT_DOCKER:
			docker = 1;
			socket = optarg ? optarg : DEFAULT_SOCKET;
			if (strncmp(socket, "unix://", 7) == 0)
				socket += 7;
			if (!*socket) {
				args_bad("--docker", optarg,
					 "not a socket path");
				return EXIT_CONFIG;
			}
			break;
		case OPT_DOCKER_READ:
			if (strcmp(optarg, "auto") == 0)
				mode = DREAD_AUTO;
			else if (strcmp(optarg, "api") == 0)
				mode = DREAD_API;
			else if (strcmp(optarg, "json-file") == 0)
				mode = DREAD_JSONFILE;
			else {
				args_bad("--docker-read", optarg,
					 "not auto, api or json-file");
				return EXIT_CONFIG;
			}
			break;
		case OPT_MAX_LINE:
			if (args_size("--max-line-size", optarg, 1,
				      OBS_LINE_MAX / 2, &max_line) < 0)
				return EXIT_CONFIG;
			break;
		case OPT_ONCE:
			once = 1;
			break;
		case OPT_POLL:
			if (args_duration("--poll-interval", optarg, 1,
					  &poll_ms) < 0)
				return EXIT_CONFIG;
			break;
		case OPT_POSITIONS:
			posfile = optarg;
			break;
		case OPT_STATS:
			stats = optarg;
			break;
		case OPT_SYNC:
			if (args_duration("--sync-period", optarg, 1,
					  &sync_ms) < 0)
				return EXIT_CONFIG;
			break;
		case OPT_VERSION:
			obs_print_version();
			return EXIT_OK;
		default:
			fputs(usage_text, stderr);
			return EXIT_CONFIG;
		}
	}
	argc -= optind;
	argv += optind;
	if (!docker && argc == 0) {
		log_error("nothing to follow: give --docker or paths");
		fputs(usage_text, stderr);
		return EXIT_CONFIG;
	}
	if (mode != DREAD_AUTO && !docker) {
		log_error("--docker-read goes with --docker");
		return EXIT_CONFIG;
	}

	lt_out.max_line = (size_t)max_line;
	buf_init(&lt_out.tail, 4 * (size_t)max_line + 64);
	pipe_widen(STDOUT_FILENO);
	lineio_writer_init(&lt_out.w, STDOUT_FILENO, "standard output");
	if (sig_init() < 0 || http_global_init() < 0)
		return EXIT_RUNTIME;
	if (positions_load(&positions, posfile) < 0)
		return EXIT_RUNTIME;
	files_init(argv, (size_t)argc);
	if (docker && docker_init(socket, mode, once) < 0) {
		positions_free(&positions);
		return EXIT_RUNTIME;
	}

	next_sync = clock_mono_ms() + sync_ms;
	for (;;) {
		int64_t now;

		if (argc && files_poll(once) < 0)
			break;
		if (docker && docker_poll(once) < 0) {
			rc = EXIT_RUNTIME;
			break;
		}
		if (out_flush() < 0)
			break;
		now = clock_mono_ms();
		/* positions only after what they count is written out */
		if (positions.dirty && now >= next_sync) {
			positions_save(&positions);
			next_sync = now + sync_ms;
		}
		if (stats && now >= next_stats) {
			write_stats(stats, docker, argc);
			next_stats = now + 1000;
		}
		if (once || sig_stop)
			break;
		clock_sleep_ms(poll_ms);
		if (sig_stop)
			logtail_stop = 1;
	}
	logtail_stop = 1;
	if (docker)
		docker_free();
	if (out_flush() < 0) {
		log_errno("cannot write to standard output");
		rc = EXIT_RUNTIME;
	}
	if (lt_out.failed)
		rc = EXIT_RUNTIME;
	/* at stop: what was written is recorded, so nothing comes twice */
	if (!lt_out.failed && positions.path && positions_save(&positions) < 0)
		rc = EXIT_RUNTIME;
	if (stats)
		write_stats(stats, docker, argc);
	files_free();
	positions_free(&positions);
	lineio_writer_free(&lt_out.w);
	buf_free(&lt_out.tail);
	http_global_cleanup();
	return rc;
}
