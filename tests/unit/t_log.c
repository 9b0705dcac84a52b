/* t_log.c: unit tests for logging, its rate limit, --version, signals and clocks. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "obs.h"
#include "sig.h"
#include "tap.h"
#include "banned.h"

static char capfile[64];
static int saved_fd = -1;

/* Sends fd (stderr or stdout) to a fresh file until capture_end(). */
static void
capture_begin(int fd)
{
	int t;

	fflush(NULL);
	snprintf(capfile, sizeof(capfile), "/tmp/t_log.XXXXXX");
	t = mkstemp(capfile);
	saved_fd = dup(fd);
	dup2(t, fd);
	close(t);
}

static const char *
capture_end(int fd)
{
	static char text[4096];
	ssize_t n;
	int t;

	fflush(NULL);
	dup2(saved_fd, fd);
	close(saved_fd);
	text[0] = '\0';
	t = open(capfile, O_RDONLY);
	if (t >= 0) {
		n = read(t, text, sizeof(text) - 1);
		text[n > 0 ? n : 0] = '\0';
		close(t);
	}
	unlink(capfile);
	return text;
}

static void
test_messages(void)
{
	char longmsg[5000];

	is_str(log_progname(), "obs", "progname before log_init");
	log_init("/usr/local/bin/hostcol");
	is_str(log_progname(), "hostcol", "log_init keeps the basename");
	log_init("relabel");
	is_str(log_progname(), "relabel", "log_init with a plain name");

	capture_begin(2);
	log_error("read failed '%s': %s", "x.prom", "no such file");
	log_warn("skipping %d lines", 3);
	errno = ENOENT;
	log_errno("cannot open '%s'", "cfg.yml");
	log_debug("not shown");
	log_set_verbose(1);
	log_debug("shown %d", 1);
	log_set_verbose(0);
	is_str(capture_end(2),
	    "relabel: read failed 'x.prom': no such file\n"
	    "relabel: warning: skipping 3 lines\n"
	    "relabel: cannot open 'cfg.yml': No such file or directory\n"
	    "relabel: debug: shown 1\n",
	    "error, warning, errno and debug lines");

	errno = EPIPE;
	capture_begin(2);
	log_error("x");
	capture_end(2);
	is_int(errno, EPIPE, "logging keeps errno");

	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	capture_begin(2);
	log_error("%s", longmsg);
	{
		const char *t = capture_end(2);
		size_t n = strlen(t);

		ok(n > 1000 && n < 4096 && t[n - 1] == '\n' &&
		    strchr(t, '\n') == t + n - 1,
		    "an over-long message is cut to one line");
	}
}

static void
test_limit(void)
{
	struct log_limit rl = LOG_LIMIT_INIT;
	struct log_limit zero = LOG_LIMIT_INIT;
	int i;

	is_int(zero.burst, 10, "default burst 10");
	is_int(zero.interval, 10, "default interval 10s");
	rl.burst = 3;
	rl.interval = 60;
	capture_begin(2);
	for (i = 1; i <= 5; i++)
		log_limited(&rl, "bad line %d", i);
	is_str(capture_end(2),
	    "relabel: bad line 1\nrelabel: bad line 2\nrelabel: bad line 3\n",
	    "only burst messages per interval");
	is_int((long long)rl.suppressed, 2, "the rest are counted");

	/* Pretend the interval has passed. */
	rl.start -= 60;
	capture_begin(2);
	log_limited(&rl, "bad line %d", 6);
	log_limited(&rl, "bad line %d", 7);
	is_str(capture_end(2),
	    "relabel: 2 similar messages suppressed\n"
	    "relabel: bad line 6\nrelabel: bad line 7\n",
	    "the next interval opens with the summary");
	is_int((long long)rl.suppressed, 0, "the count restarts");

	rl.start -= 60;
	capture_begin(2);
	log_limited(&rl, "bad line %d", 8);
	is_str(capture_end(2), "relabel: bad line 8\n",
	    "no summary when nothing was suppressed");

	capture_begin(2);
	log_limited(&rl, "a");
	log_limited(&rl, "b");
	log_limited(&rl, "c");
	log_limit_flush(&rl);
	log_limit_flush(&rl);
	is_str(capture_end(2),
	    "relabel: a\nrelabel: b\nrelabel: 1 similar messages suppressed\n",
	    "flush prints the pending summary once");
}

static void
test_version(void)
{
	log_init("rwsend");
	capture_begin(1);
	obs_print_version();
	is_str(capture_end(1), "rwsend version " OBS_VERSION "\n", "--version line");
}

static void
test_signals(void)
{
	int p[2];
	ssize_t w;

	ok(sig_init() == 0, "sig_init");
	ok(!sig_stop && !sig_hup, "no flags before a signal");
	raise(SIGHUP);
	ok(sig_hup && !sig_stop, "SIGHUP sets sig_hup");
	raise(SIGTERM);
	ok(sig_stop, "SIGTERM sets sig_stop");
	sig_stop = 0;
	raise(SIGINT);
	ok(sig_stop, "SIGINT sets sig_stop");
	{
		struct sigaction sa;

		sigaction(SIGTERM, NULL, &sa);
		ok(!(sa.sa_flags & SA_RESTART), "handlers are installed without SA_RESTART");
	}
	if (pipe(p) == 0) {
		close(p[0]);
		errno = 0;
		w = write(p[1], "x", 1);
		ok(w == -1 && errno == EPIPE, "SIGPIPE is ignored: write gives EPIPE");
		close(p[1]);
	} else {
		ok(0, "pipe");
	}
}

static void
test_clock(void)
{
	int64_t ms = clock_ms(), ns = clock_ns(), m0, m1;

	ok(ms > INT64_C(1600000000000) && ms < INT64_C(4102444800000),
	    "clock_ms is ms since the epoch");
	ok(ns / 1000000 - ms >= 0 && ns / 1000000 - ms < 1000,
	    "clock_ns agrees with clock_ms");
	m0 = clock_mono_ms();
	clock_sleep_ms(30);
	m1 = clock_mono_ms();
	ok(m1 - m0 >= 29 && m1 - m0 < 5000, "clock_sleep_ms(30) sleeps about 30ms");
	m0 = clock_mono_ms();
	clock_sleep_ms(0);
	clock_sleep_ms(-5);
	ok(clock_mono_ms() - m0 < 20, "zero or negative sleep returns at once");
}

int
main(void)
{
	test_messages();
	test_limit();
	test_version();
	test_signals();
	test_clock();
	return done_testing();
}
