/* t_lineio.c: unit tests of the line reader, the log-entry line and the atomic writer. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "record.h"
#include "value.h"
#include "tap.h"
#include "banned.h"

/* An fd that reads back data: a memfd, so any size works without a
 * thread or a child to feed a pipe. */
static int
input_fd(const char *data, size_t n)
{
	int fd = memfd_create("t_lineio", 0);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < n) {
		ssize_t k = write(fd, data + off, n - off);

		if (k <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)k;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads all of data and writes back each record in canonical form after
 * its line number ("3: foo 1"), then "res=R bad=N lines=M".
 */
static void
read_all(const char *data, size_t n, struct buf *out, int quiet)
{
	struct lineio_reader r;
	struct lineio_writer w;
	struct record rec;
	int p[2], fd = input_fd(data, n), res;
	char tmp[4096];
	ssize_t k;

	buf_reset(out);
	if (fd < 0 || pipe(p) < 0) {
		buf_addstr(out, "setup failed");
		return;
	}
	lineio_reader_init(&r, fd, "in");
	r.quiet = quiet;
	lineio_writer_init(&w, p[1], "out");
	record_init(&rec);
	while ((res = lineio_read(&r, &rec)) == LINEIO_OK) {
		buf_addf(out, "%lu: ", r.lineno);
		if (lineio_write_record(&w, &rec) < 0 || lineio_flush(&w) < 0)
			break;
		/* One record is one line, far below the pipe's size. */
		do {
			k = read(p[0], tmp, sizeof(tmp));
			if (k > 0)
				buf_add(out, tmp, (size_t)k);
		} while (k > 0 && tmp[k - 1] != '\n');
	}
	buf_addf(out, "res=%d bad=%lu lines=%lu", res, r.bad, r.lines);
	record_free(&rec);
	lineio_writer_free(&w);
	lineio_reader_free(&r);
	close(p[0]);
	close(p[1]);
	close(fd);
}

/* Runs f with stderr going to a file, and returns what it wrote. */
static const char *
stderr_of(const char *data, size_t n, struct buf *out, int quiet)
{
	static char err[4096];
	char path[] = "/tmp/t_lineio.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t k;

	err[0] = '\0';
	if (fd < 0 || saved < 0)
		return "setup failed";
	unlink(path);
	fflush(stderr);
	dup2(fd, 2);
	read_all(data, n, out, quiet);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	k = pread(fd, err, sizeof(err) - 1, 0);
	close(fd);
	err[k > 0 ? k : 0] = '\0';
	return err;
}

static void
test_reader(void)
{
	struct buf out = BUF_INIT(0);
	static const char input[] =
	    "# HELP foo The foo.\n"
	    "# TYPE foo counter\n"
	    "\n"
	    "foo{b=\"2\",a=\"1\"} 1 1000\n"
	    "   \n"
	    "foo x\n"
	    "{job=\"x\"} 1700000000000000000 \"hello\\tworld\"\n"
	    "{job=\"x\"} 1 \"bad \\q\"\n"
	    "# a comment\n"
	    "bar 2";
	const char *err;

	err = stderr_of(input, sizeof(input) - 1, &out, 0);
	is_str(buf_cstr(&out),
	    "1: # HELP foo The foo.\n"
	    "2: # TYPE foo counter\n"
	    "4: foo{a=\"1\",b=\"2\"} 1 1000\n"
	    "7: {job=\"x\"} 1700000000000000000 \"hello\\tworld\"\n"
	    "9: # a comment\n"
	    "10: bar 2\n"
	    "res=0 bad=2 lines=6",
	    "reader: records, line numbers, last line without newline");
	is_str(err,
	    "t_lineio: in:6: invalid value at column 5\n"
	    "t_lineio: in:8: invalid escape in log line at column 18\n",
	    "reader: bad lines reported as PROG: NAME:LINE: reason");

	err = stderr_of(input, sizeof(input) - 1, &out, 1);
	is_str(err, "", "reader: quiet reports nothing");
	ok(strstr(buf_cstr(&out), "bad=2 lines=6") != NULL,
	    "reader: quiet still counts");

	read_all("", 0, &out, 1);
	is_str(buf_cstr(&out), "res=0 bad=0 lines=0", "reader: empty input");
	read_all("\n\n \n", 4, &out, 1);
	is_str(buf_cstr(&out), "res=0 bad=0 lines=0", "reader: blank lines only");
	read_all("foo 1\n", 6, &out, 1);
	is_str(buf_cstr(&out), "1: foo 1\nres=0 bad=0 lines=1",
	    "reader: one line");
	read_all("foo 1", 5, &out, 1);
	is_str(buf_cstr(&out), "1: foo 1\nres=0 bad=0 lines=1",
	    "reader: no final newline");
	read_all("foo 1\r\n", 7, &out, 1);
	is_str(buf_cstr(&out), "res=0 bad=1 lines=0",
	    "reader: a CR is not a blank (as in Prometheus)");
	read_all("foo\0 1\nbar 1\n", 13, &out, 1);
	is_str(buf_cstr(&out), "2: bar 1\nres=0 bad=1 lines=1",
	    "reader: a NUL in a line is an error for that line");
	buf_free(&out);
}

/* Lines at and past OBS_LINE_MAX. */
static void
test_long_lines(void)
{
	struct buf in = BUF_INIT(0), out = BUF_INIT(0);
	struct lineio_reader r;
	struct record rec;
	size_t pad;
	const char *err;
	char want[128];
	int fd, res;

	/* A valid sample of exactly OBS_LINE_MAX bytes. */
	buf_addstr(&in, "foo{a=\"");
	pad = OBS_LINE_MAX - in.len - strlen("\"} 1");
	while (pad-- > 0)
		buf_addch(&in, 'x');
	buf_addstr(&in, "\"} 1\n");
	/* One byte too long, then a good line. */
	buf_addstr(&in, "bar{a=\"");
	pad = OBS_LINE_MAX + 1 - strlen("bar{a=\"") - strlen("\"} 1");
	while (pad-- > 0)
		buf_addch(&in, 'y');
	buf_addstr(&in, "\"} 1\nbaz 3\n");
	/* Three MiB of one line, then a good line. */
	for (pad = 0; pad < 3 * OBS_LINE_MAX; pad++)
		buf_addch(&in, 'z');
	buf_addstr(&in, "\nqux 4\n");
	/* Too long at the end without a newline. */
	for (pad = 0; pad < OBS_LINE_MAX + 5; pad++)
		buf_addch(&in, 'w');

	fd = input_fd(in.p, in.len);
	lineio_reader_init(&r, fd, "big");
	r.quiet = 1;
	record_init(&rec);
	res = lineio_read(&r, &rec);
	ok(res == LINEIO_OK && rec.kind == REC_SAMPLE &&
	    rec.raw_len == OBS_LINE_MAX, "long: a line of OBS_LINE_MAX bytes is read");
	res = lineio_read(&r, &rec);
	ok(res == LINEIO_OK && r.lineno == 3 && r.bad == 1 &&
	    rec.raw_len == 5 && memcmp(rec.raw, "baz 3", 5) == 0,
	    "long: one byte more is dropped, the next line read");
	res = lineio_read(&r, &rec);
	ok(res == LINEIO_OK && r.lineno == 5 && r.bad == 2 &&
	    memcmp(rec.raw, "qux 4", 5) == 0,
	    "long: a 3 MiB line is dropped, the next line read");
	ok(r.in.cap <= OBS_LINE_MAX + 65536 + 2,
	    "long: the buffer never held the 3 MiB line (cap %zu)", r.in.cap);
	res = lineio_read(&r, &rec);
	ok(res == LINEIO_EOF && r.bad == 3 && r.lines == 3,
	    "long: an over-long last line without newline is dropped");
	record_free(&rec);
	lineio_reader_free(&r);
	close(fd);

	buf_reset(&in);
	for (pad = 0; pad < OBS_LINE_MAX + 1; pad++)
		buf_addch(&in, 'v');
	buf_addstr(&in, "\nfoo 1\n");
	err = stderr_of(in.p, in.len, &out, 0);
	snprintf(want, sizeof(want), "t_lineio: in:1: line too long\n");
	is_str(err, want, "long: reported once as 'line too long'");
	is_str(buf_cstr(&out), "2: foo 1\nres=0 bad=1 lines=1",
	    "long: and the stream goes on");
	buf_free(&in);
	buf_free(&out);
}

static void
test_nonblock(void)
{
	struct lineio_reader r;
	struct record rec;
	int p[2];

	if (pipe(p) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		ok(0, "nonblock: setup");
		return;
	}
	lineio_reader_init(&r, p[0], "pipe");
	r.nonblock = 1;
	record_init(&rec);
	is_int(lineio_read(&r, &rec), LINEIO_AGAIN, "nonblock: nothing yet");
	is_int(write(p[1], "foo 1\nbar", 9), 9, "nonblock: write");
	is_int(lineio_pending(&r), 0, "nonblock: nothing buffered yet");
	is_int(lineio_read(&r, &rec), LINEIO_OK, "nonblock: a whole line");
	is_int(lineio_pending(&r), 0, "nonblock: half a line is not pending");
	is_int(lineio_read(&r, &rec), LINEIO_AGAIN, "nonblock: half a line");
	is_int(write(p[1], " 2\nbaz 3\n", 9), 9, "nonblock: write the rest");
	is_int(lineio_read(&r, &rec), LINEIO_OK, "nonblock: the rest");
	ok(rec.raw_len == 5 && memcmp(rec.raw, "bar 2", 5) == 0,
	    "nonblock: is the whole line");
	is_int(lineio_pending(&r), 1, "nonblock: the next line is pending");
	is_int(lineio_read(&r, &rec), LINEIO_OK, "nonblock: read it");
	close(p[1]);
	is_int(lineio_read(&r, &rec), LINEIO_EOF, "nonblock: end of input");
	record_free(&rec);
	lineio_reader_free(&r);
	close(p[0]);
}

/* A blocking reader on a descriptor someone made O_NONBLOCK waits for
 * the line instead of failing with EAGAIN. */
static void
test_wait(void)
{
	struct lineio_reader r;
	struct record rec;
	int p[2], status = 0;
	pid_t pid;

	if (pipe(p) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		ok(0, "wait: setup");
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		usleep(50000);
		if (write(p[1], "late 1\n", 7) != 7)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	lineio_reader_init(&r, p[0], "pipe");
	record_init(&rec);
	ok(lineio_read(&r, &rec) == LINEIO_OK && rec.raw_len == 6 &&
	    memcmp(rec.raw, "late 1", 6) == 0, "wait: the line that came late");
	is_int(lineio_read(&r, &rec), LINEIO_EOF, "wait: then the end");
	waitpid(pid, &status, 0);
	record_free(&rec);
	lineio_reader_free(&r);
	close(p[0]);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/* A signal during a blocking read comes back as EINTR, so that a program
 * can look at the flag its handler set; reading again loses nothing. */
static void
test_eintr(void)
{
	struct lineio_reader r;
	struct record rec;
	struct sigaction sa;
	int p[2], res;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	if (pipe(p) < 0 || sigaction(SIGALRM, &sa, NULL) < 0) {
		ok(0, "eintr: setup");
		return;
	}
	lineio_reader_init(&r, p[0], "pipe");
	record_init(&rec);
	is_int(write(p[1], "half", 4), 4, "eintr: half a line");
	alarm(1);
	errno = 0;
	res = lineio_read(&r, &rec);
	ok(res == LINEIO_ERR && errno == EINTR, "eintr: the read is interrupted");
	is_int(write(p[1], " 1\n", 3), 3, "eintr: the rest of the line");
	ok(lineio_read(&r, &rec) == LINEIO_OK && rec.raw_len == 6 &&
	    memcmp(rec.raw, "half 1", 6) == 0, "eintr: nothing was lost");
	signal(SIGALRM, SIG_DFL);
	record_free(&rec);
	lineio_reader_free(&r);
	close(p[0]);
	close(p[1]);
}

static void
test_format(void)
{
	struct record rec;
	struct buf b = BUF_INIT(0);

	record_init(&rec);
	rec.kind = REC_COMMENT;
	ok(lineio_format_record(&b, &rec) == 0, "format: a bare comment");
	is_str(buf_cstr(&b), "#", "format: is '#'");
	rec.kind = (enum rec_kind)42;
	errno = 0;
	ok(lineio_format_record(&b, &rec) < 0 && errno == EINVAL && b.len == 1,
	    "format: an unknown kind is EINVAL and adds nothing");
	buf_reset(&b);
	rec.kind = REC_SAMPLE;
	labels_set(&rec.labels, LABELS_NAME, 8, "up", 2);
	labels_set(&rec.labels, "job", 3, "a", 1);
	rec.value = 1;
	rec.ts = 1700000000000;
	rec.has_ts = 1;
	ok(lineio_format_record(&b, &rec) == 0, "format: a sample");
	is_str(buf_cstr(&b), "up{job=\"a\"} 1 1700000000000",
	    "format: no newline added");
	record_free(&rec);
	buf_free(&b);
}

/* lineio_read_line() then lineio_parse() is lineio_read(). */
static void
test_two_step(void)
{
	static const char data[] = "a 1\n\n# c\nbad{ 1\n  \nb{x=\"y\"} 2 3\nc 4";
	struct lineio_reader r;
	struct record rec;
	struct buf got = BUF_INIT(0), want = BUF_INIT(0);
	const char *line;
	size_t len;
	int fd = input_fd(data, sizeof(data) - 1), res;

	read_all(data, sizeof(data) - 1, &want, 1);
	lineio_reader_init(&r, fd, "in");
	r.quiet = 1;
	record_init(&rec);
	while ((res = lineio_read_line(&r, &line, &len)) == LINEIO_OK) {
		ok(len > 0 && line[len - 1] != '\n', "two steps: line %lu is "
		    "whole, without its newline", r.lineno);
		if (lineio_parse(&r, line, len, &rec)) {
			buf_addf(&got, "%lu: ", r.lineno);
			lineio_format_record(&got, &rec);
			buf_addch(&got, '\n');
		}
	}
	buf_addf(&got, "res=%d bad=%lu lines=%lu", res, r.bad, r.lines);
	is_str(buf_cstr(&got), buf_cstr(&want),
	    "two steps: the records, lines and bad lines of lineio_read");
	record_free(&rec);
	lineio_reader_free(&r);
	close(fd);
	buf_free(&got);
	buf_free(&want);
}

/* The series text, then the value and timestamp, is the sample line. */
static void
test_series(void)
{
	static const char *sets[][6] = {
		{ "up", NULL },
		{ "up", "job", "a", NULL },
		{ "x", "a", "q\"\\\nz", "b.c", "v", NULL },
		{ "x", "\"odd\"", "1", "zz", "", NULL },
	};
	static const double vals[] = { 1, 0.25, 1e10, -3.5e-7 };
	struct buf a = BUF_INIT(0), b = BUF_INIT(0);
	struct lineio_writer w;
	struct record rec;
	char got[512];
	size_t i, k;
	int p[2];

	if (pipe(p) < 0) {
		ok(0, "series: pipe");
		return;
	}
	lineio_writer_init(&w, p[1], "out");
	record_init(&rec);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		ssize_t n;

		labels_reset(&rec.labels);
		labels_set(&rec.labels, LABELS_NAME, 8, sets[i][0],
		    strlen(sets[i][0]));
		for (k = 1; sets[i][k] != NULL; k += 2)
			labels_push(&rec.labels, sets[i][k], strlen(sets[i][k]),
			    sets[i][k + 1], strlen(sets[i][k + 1]));
		labels_sort(&rec.labels);
		rec.kind = REC_SAMPLE;
		rec.value = vals[i];
		rec.ts = (int64_t)i * 1000;
		rec.has_ts = i != 1;
		buf_reset(&a);
		buf_reset(&b);
		lineio_format_record(&a, &rec);
		ok(lineio_format_series(&b, &rec.labels) == 0 &&
		    b.len <= a.len && memcmp(a.p, b.p, b.len) == 0 &&
		    a.p[b.len] == ' ', "series: set %zu is the start of its "
		    "line", i);
		ok(lineio_write_series(&w, b.p, b.len, rec.value, rec.ts,
		    rec.has_ts) == 0 && lineio_write_joined(&w, b.p, b.len,
		    a.p + b.len, a.len - b.len) == 0 && lineio_flush(&w) == 0,
		    "series: written");
		buf_addch(&a, '\n');
		buf_add(&a, a.p, a.len);
		n = read(p[0], got, sizeof(got));
		ok(n == (ssize_t)a.len && memcmp(got, a.p, a.len) == 0,
		    "series: write_series and write_joined write the line");
	}
	record_free(&rec);
	lineio_writer_free(&w);
	close(p[0]);
	close(p[1]);
	buf_free(&a);
	buf_free(&b);
}

struct logcase {
	const char *line;
	const char *err;	/* NULL: must parse */
	size_t col;
	const char *text;	/* the unescaped line */
	size_t tlen;
};

static const struct logcase logcases[] = {
	{ "{a=\"b\"} 123 \"hello\"", NULL, 0, "hello", 5 },
	{ "{} 0 \"\"", NULL, 0, "", 0 },
	{ "{job=\"x\", app=\"y\",}\t5 \t\"x\"  ", NULL, 0, "x", 1 },
	{ "{} 1 \"a\\\\b\\\"c\\nd\\re\\tf\\x1bg\\x7Fh\\x00i\\xffj\"", NULL, 0,
	  "a\\b\"c\nd\re\tf\x1bg\x7fh\0i\xffj", 19 },
	{ "{} 1 \"raw\ttab \xc3\xa9\"", NULL, 0, "raw\ttab \xc3\xa9", 10 },
	{ "{} 1 \"bad \\q\"", "invalid escape in log line", 10, NULL, 0 },
	{ "{} 1 \"\\x1\"", "invalid escape in log line", 6, NULL, 0 },
	{ "{} 1 \"\\xZZ\"", "invalid escape in log line", 6, NULL, 0 },
	{ "{} 1 \"\\x\x10\x11\"", "invalid escape in log line", 6, NULL, 0 },
	{ "{} 1 \"x\\\"", "unterminated log line", 5, NULL, 0 },
	{ "{} 1 \"abc", "unterminated log line", 5, NULL, 0 },
	{ "{} 1 abc", "expected quoted log line", 5, NULL, 0 },
	{ "{} 1", "expected quoted log line", 4, NULL, 0 },
	{ "{} \"x\"", "expected timestamp", 3, NULL, 0 },
	{ "{} -1 \"x\"", "expected timestamp", 3, NULL, 0 },
	{ "{} 12a \"x\"", "invalid timestamp", 3, NULL, 0 },
	{ "{} 9223372036854775808 \"x\"", "invalid timestamp", 3, NULL, 0 },
	{ "{}1 \"x\"", "expected blank after label set", 2, NULL, 0 },
	{ "{} 1 \"x\" y", "unexpected text after log line", 9, NULL, 0 },
	{ "{a=\"1\",a=\"2\"} 1 \"x\"", "duplicate label name", 7, NULL, 0 },
	{ "{1=\"2\"} 1 \"x\"", "expected label name", 1, NULL, 0 },
	{ "{a=\"\xff\"} 1 \"x\"", "invalid utf-8 in label value", 3, NULL, 0 },
	{ "{a=\"b} 1 \"x\"", "expected '=' after label name", 11, NULL, 0 },
	{ "{a=\"b\" 1 \"x\"", "expected label name", 7, NULL, 0 },
};

static void
test_logentry(void)
{
	struct record rec;
	struct buf b = BUF_INIT(0), back = BUF_INIT(0);
	char all[256];
	size_t i;

	record_init(&rec);
	for (i = 0; i < sizeof(logcases) / sizeof(logcases[0]); i++) {
		const struct logcase *c = &logcases[i];
		const char *err = NULL;
		size_t col = 999;
		int r = logentry_parse(c->line, strlen(c->line), &rec, &err, &col);

		if (c->err == NULL) {
			if (!ok(r == 0 && rec.kind == REC_LOG && rec.text.len == c->tlen &&
			    memcmp(buf_cstr(&rec.text), c->text, c->tlen) == 0,
			    "log: '%s' parses", c->line))
				diag("err %s at %zu", err ? err : "-", col);
		} else if (is_int(r, -1, "log: '%s' is an error", c->line) &&
		    is_str(err, c->err, "log: '%s' says why", c->line)) {
			is_int((long long)col, (long long)c->col,
			    "log: '%s' says where", c->line);
		}
	}
	{
		const char *err = NULL;
		size_t col;
		const char *l = "{b=\"2\",a=\"1\",c=\"\"} 42 \"x\"";

		logentry_parse(l, strlen(l), &rec, &err, &col);
		ok(rec.labels.n == 2 && strcmp(labels_name(&rec.labels, 0), "a") == 0 &&
		    strcmp(labels_value(&rec.labels, 1), "2") == 0 && rec.ts == 42 &&
		    rec.has_ts, "log: labels sorted, empty dropped, timestamp kept");
	}

	/* Every byte survives escape + unescape, and the escaped form has no
	 * control byte, quote or newline left. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (char)i;
	ok(logline_escape(&b, all, sizeof(all)) == 0, "log: escape all bytes");
	for (i = 0; i < b.len; i++)
		if ((unsigned char)b.p[i] < 0x20 || b.p[i] == 0x7f ||
		    (b.p[i] == '"' && (i == 0 || b.p[i - 1] != '\\')))
			break;
	is_int((long long)i, (long long)b.len, "log: escaped form is clean");
	ok(logline_unescape(&back, b.p, b.len) == 0 && back.len == sizeof(all) &&
	    memcmp(back.p, all, sizeof(all)) == 0, "log: unescape gives them back");
	buf_reset(&b);
	logline_escape(&b, "a\"b\\c\nd\re\tf\x01g\x7fh\x1f", 16);
	is_str(buf_cstr(&b), "a\\\"b\\\\c\\nd\\re\\tf\\x01g\\x7fh\\x1f",
	    "log: escape uses \\\\ \\\" \\n \\r \\t \\xHH");
	buf_reset(&back);
	errno = 0;
	ok(logline_unescape(&back, "ab\\", 3) < 0 && errno == EINVAL &&
	    back.len == 0, "log: a lone backslash is EINVAL, nothing added");
	ok(logline_unescape(&back, "\\u0041", 6) < 0 && errno == EINVAL,
	    "log: \\u is not an escape");
	buf_free(&b);
	buf_free(&back);
	record_free(&rec);
}

/* Reads from fd what is there now into b. */
static void
drain_fd(int fd, struct buf *b)
{
	char tmp[8192];
	ssize_t k;

	while ((k = read(fd, tmp, sizeof(tmp))) > 0)
		buf_add(b, tmp, (size_t)k);
}

static void
test_writer_bytes(void)
{
	struct lineio_writer w;
	struct labels ls;
	struct buf got = BUF_INIT(0);
	struct record rec;
	int p[2];
	const char *err;
	size_t col;

	if (pipe(p) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		ok(0, "writer: setup");
		return;
	}
	lineio_writer_init(&w, p[1], "out");
	labels_init(&ls);
	labels_set(&ls, "b", 1, "x\"y\\z\nw", 7);
	labels_set(&ls, LABELS_NAME, 8, "foo", 3);
	labels_set(&ls, "a", 1, "1", 1);
	ok(lineio_write_sample(&w, &ls, 1.5, 123, 1) == 0, "writer: sample");
	ok(lineio_write_sample(&w, &ls, value_stale(), 0, 0) == 0,
	    "writer: stale, no timestamp");
	drain_fd(p[0], &got);
	is_int((long long)got.len, 0, "writer: nothing written before flush");
	labels_reset(&ls);
	labels_set(&ls, "job", 3, "x", 1);
	ok(lineio_write_log(&w, &ls, 1700000000123456789LL, "hi\x01\"\\\n", 6) == 0,
	    "writer: log");
	labels_reset(&ls);
	ok(lineio_write_log(&w, &ls, 0, "", 0) == 0, "writer: log, no labels");
	labels_set(&ls, LABELS_NAME, 8, "m", 1);
	labels_set(&ls, "utf-8.label", 11, "v", 1);
	ok(lineio_write_sample(&w, &ls, -3.5e-07, 5, 1) == 0,
	    "writer: quoted label name");
	ok(lineio_write_meta(&w, META_HELP, "foo", "a\\b\nc \"q\"") == 0,
	    "writer: help");
	ok(lineio_write_meta(&w, META_TYPE, "foo", "counter") == 0, "writer: type");
	ok(lineio_write_meta(&w, META_UNIT, "foo_seconds", "seconds") == 0,
	    "writer: unit");
	ok(lineio_write_meta(&w, META_HELP, "foo.bar", "") == 0,
	    "writer: help, quoted name, empty text");
	errno = 0;
	ok(lineio_write_meta(&w, META_NONE, "x", "y") < 0 && errno == EINVAL,
	    "writer: meta NONE is EINVAL");
	ok(lineio_write_raw(&w, "# raw", 5) == 0, "writer: raw");
	record_init(&rec);
	logentry_parse("{b=\"2\",a=\"1\"} 5 \"x\\ty\"", 23, &rec, &err, &col);
	ok(lineio_write_record(&w, &rec) == 0, "writer: a log record");
	ok(lineio_flush(&w) == 0, "writer: flush");
	drain_fd(p[0], &got);
	is_str(buf_cstr(&got),
	    "foo{a=\"1\",b=\"x\\\"y\\\\z\\nw\"} 1.5 123\n"
	    "foo{a=\"1\",b=\"x\\\"y\\\\z\\nw\"} stale\n"
	    "{job=\"x\"} 1700000000123456789 \"hi\\x01\\\"\\\\\\n\"\n"
	    "{} 0 \"\"\n"
	    "m{\"utf-8.label\"=\"v\"} -3.5e-07 5\n"
	    "# HELP foo a\\\\b\\nc \"q\"\n"
	    "# TYPE foo counter\n"
	    "# UNIT foo_seconds seconds\n"
	    "# HELP \"foo.bar\" \n"
	    "# raw\n"
	    "{a=\"1\",b=\"2\"} 5 \"x\\ty\"\n",
	    "writer: exact bytes");
	is_int((long long)w.lines, 11, "writer: counts lines");
	record_free(&rec);
	labels_free(&ls);
	lineio_writer_free(&w);
	close(p[0]);
	close(p[1]);
	buf_free(&got);
}

/* What goes in comes out the same, in canonical form. */
static void
test_roundtrip(void)
{
	static const char input[] =
	    "# HELP go_gc A summary.\\nSecond line \\\\ here.\n"
	    "# TYPE go_gc summary\n"
	    "# UNIT go_gc_seconds seconds\n"
	    "go_gc{quantile=\"0.5\"} 4.9351e-05\n"
	    "  go_gc { quantile = \"1\" , } 1e+06\t 1700000000000 \n"
	    "x{z=\"a\\\\b\\\"c\\nd\",a=\"\",m=\"\\q\"} NaN\n"
	    "x -Inf\n"
	    "x +inf\n"
	    "x stale 5\n"
	    "x{\"my.label\"=\"1\"} 0.1\n"
	    "{job=\"a\",filename=\"/var/log/x\"}  17 \"caf\xc3\xa9 \\x09\\t\\\"q\\\"\"\n"
	    "#comment stays as written  \n";
	static const char want[] =
	    "1: # HELP go_gc A summary.\\nSecond line \\\\ here.\n"
	    "2: # TYPE go_gc summary\n"
	    "3: # UNIT go_gc_seconds seconds\n"
	    "4: go_gc{quantile=\"0.5\"} 4.9351e-05\n"
	    "5: go_gc{quantile=\"1\"} 1e+06 1700000000000\n"
	    "6: x{m=\"\\\\q\",z=\"a\\\\b\\\"c\\nd\"} NaN\n"
	    "7: x -Inf\n"
	    "8: x +Inf\n"
	    "9: x stale 5\n"
	    "10: x{\"my.label\"=\"1\"} 0.1\n"
	    "11: {filename=\"/var/log/x\",job=\"a\"} 17 \"caf\xc3\xa9 \\t\\t\\\"q\\\"\"\n"
	    "12: #comment stays as written  \n"
	    "res=0 bad=0 lines=12";
	struct buf out = BUF_INIT(0);

	read_all(input, sizeof(input) - 1, &out, 0);
	is_str(buf_cstr(&out), want, "roundtrip: canonical form");
	buf_free(&out);
}

/*
 * The write boundaries: a SOCK_SEQPACKET socket keeps each write(2) as one
 * message, so the reader sees exactly how the writer cut its output.
 */
static void
test_boundaries(void)
{
	struct lineio_writer w;
	struct buf want = BUF_INIT(0), line = BUF_INIT(0), got = BUF_INIT(0);
	int sv[2], i, msgs = 0, bad = 0, big_alone = 0;
	char *msg = malloc(1 << 16);
	int sndbuf = 1 << 20;
	size_t prev = 0;

	if (msg == NULL || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		ok(0, "boundaries: setup");
		free(msg);
		return;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf));
	lineio_writer_init(&w, sv[0], "sock");
	/* Lines of 1 to 300 bytes, one of 4095, one of exactly 4096 (with
	 * its newline) and one of 10000. */
	for (i = 0; i < 400; i++) {
		size_t len = (size_t)(i * 37 % 300);

		if (i == 100)
			len = 4094;
		if (i == 200)
			len = 4095;
		if (i == 300)
			len = 9999;
		buf_reset(&line);
		buf_addf(&line, "l%d ", i);
		while (line.len < len)
			buf_addch(&line, 'a' + i % 26);
		lineio_write_raw(&w, line.p, line.len);
		buf_add(&want, line.p, line.len);
		buf_addch(&want, '\n');
	}
	ok(lineio_flush(&w) == 0, "boundaries: flush");
	shutdown(sv[0], SHUT_WR);
	for (;;) {
		ssize_t k = recv(sv[1], msg, 1 << 16, 0);
		const char *first_nl;

		if (k <= 0)
			break;
		msgs++;
		first_nl = memchr(msg, '\n', (size_t)k);
		if (msg[k - 1] != '\n')
			bad++;	/* not on a line end */
		else if (k > OBS_LINE_ATOMIC) {
			if (first_nl != msg + k - 1)
				bad++;	/* more than one line past the limit */
			else
				big_alone++;
		} else if (prev > 0 && prev + (size_t)(first_nl - msg) + 1 <=
		    OBS_LINE_ATOMIC && k != 0) {
			bad++;	/* the previous write had room for this line */
		}
		prev = (size_t)k > OBS_LINE_ATOMIC ? 0 : (size_t)k;
		buf_add(&got, msg, (size_t)k);
	}
	ok(got.len == want.len && memcmp(got.p, want.p, want.len) == 0,
	    "boundaries: all bytes arrive in order (%zu)", got.len);
	is_int(bad, 0, "boundaries: every write ends a line, is at most %d bytes "
	    "unless one line alone, and is as full as it can be", OBS_LINE_ATOMIC);
	is_int(big_alone, 1, "boundaries: the 10000-byte line went alone");
	ok(msgs >= (int)(want.len / OBS_LINE_ATOMIC),
	    "boundaries: %d writes for %zu bytes", msgs, want.len);
	lineio_writer_free(&w);
	close(sv[0]);
	close(sv[1]);
	free(msg);
	buf_free(&want);
	buf_free(&line);
	buf_free(&got);
}

/* A reader slower than the writer, on a non-blocking pipe of one page:
 * EAGAIN and partial writes must not lose or reorder a byte. */
static void
test_slow_reader(void)
{
	struct lineio_writer w;
	struct buf want = BUF_INIT(0), got = BUF_INIT(0);
	int p[2], i, status = 0;
	pid_t pid;

	if (pipe(p) < 0) {
		ok(0, "slow: setup");
		return;
	}
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	pid = fork();
	if (pid == 0) {
		char tmp[1000];
		ssize_t k;

		close(p[1]);
		while ((k = read(p[0], tmp, sizeof(tmp))) > 0) {
			if (write(3, tmp, (size_t)k) != k)
				_exit(2);
			usleep(200);
		}
		_exit(0);
	}
	close(p[0]);
	lineio_writer_init(&w, p[1], "pipe");
	for (i = 0; i < 3000; i++) {
		char l[64];
		int n = snprintf(l, sizeof(l), "line %d %s", i,
		    i % 7 ? "x" : "a somewhat longer line here");

		lineio_write_raw(&w, l, (size_t)n);
		buf_add(&want, l, (size_t)n);
		buf_addch(&want, '\n');
	}
	/* One line longer than the pipe: partial writes for sure. */
	{
		struct buf big = BUF_INIT(0);

		while (big.len < 20000)
			buf_addstr(&big, "0123456789");
		lineio_write_raw(&w, big.p, big.len);
		buf_add(&want, big.p, big.len);
		buf_addch(&want, '\n');
		buf_free(&big);
	}
	ok(lineio_flush(&w) == 0, "slow: flush");
	close(p[1]);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "slow: reader done");
	{
		int fd = open("/proc/self/fd/3", O_RDONLY);

		if (fd >= 0) {
			drain_fd(fd, &got);
			close(fd);
		}
	}
	ok(got.len == want.len && memcmp(got.p, want.p, want.len) == 0,
	    "slow: every byte arrived in order (%zu of %zu)", got.len, want.len);
	lineio_writer_free(&w);
	buf_free(&want);
	buf_free(&got);
}

static void
test_epipe(void)
{
	struct lineio_writer w;
	int p[2], r;

	if (pipe(p) < 0) {
		ok(0, "epipe: setup");
		return;
	}
	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	lineio_writer_init(&w, p[1], "out");
	ok(lineio_write_raw(&w, "foo 1", 5) == 0, "epipe: buffered");
	errno = 0;
	r = lineio_flush(&w);
	ok(r == -1 && errno == EPIPE, "epipe: flush fails with EPIPE");
	lineio_writer_free(&w);
	close(p[1]);
}

static void
test_logentry_fast(void)
{
	static const char l1[] = "{a=\"}\"} 1 \"x\"";
	static const char l2[] = "{a=\"x\" 1 \"y\"";
	const char *body;
	size_t blen;
	int64_t ts;
	int esc;

	ok(logentry_labels_end(l1, sizeof(l1) - 1) == 7,
	   "logentry_labels_end: a } inside quotes does not end the set");
	ok(logentry_labels_end(l2, sizeof(l2) - 1) == 0,
	   "logentry_labels_end: no } ends it: 0");
	ok(logentry_tail(" 5 \"a\\x01\"", 10, &ts, &body, &blen, &esc) == 0 &&
	   ts == 5 && blen == 5 && esc == 1 && memcmp(body, "a\\x01", 5) == 0,
	   "logentry_tail: the canonical tail, with an escape");
	ok(logentry_tail(" 05 \"a\"", 7, &ts, &body, &blen, &esc) == -1,
	   "logentry_tail: a leading zero is not canonical");
	ok(logentry_tail(" 5 \"\\x41\"", 9, &ts, &body, &blen, &esc) == -1,
	   "logentry_tail: an escaped printable byte is not canonical");
	ok(logentry_tail(" 5 \"a\x7f\"", 6, &ts, &body, &blen, &esc) == -1,
	   "logentry_tail: a raw DEL is not canonical");
}

int
main(void)
{
	/* fd 3: where the slow reader child puts what it read. */
	char path[] = "/tmp/t_lineio.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || dup2(fd, 3) < 0)
		return 1;
	unlink(path);
	if (fd != 3)
		close(fd);
	log_init("t_lineio");

	test_reader();
	test_long_lines();
	test_nonblock();
	test_wait();
	test_eintr();
	test_format();
	test_two_step();
	test_series();
	test_logentry();
	test_writer_bytes();
	test_roundtrip();
	test_boundaries();
	test_slow_reader();
	test_epipe();
	test_logentry_fast();
	return done_testing();
}
