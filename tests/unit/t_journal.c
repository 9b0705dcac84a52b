/* t_journal.c: unit tests for lib/journal.c, the sender's input journal and its line reader. */
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "journal.h"
#include "lineio.h"
#include "log.h"
#include "tap.h"
#include "banned.h"

static char dir[] = "/tmp/t_journal.XXXXXX";

static int pipe_with(const char *s)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	if (write(p[1], s, strlen(s)) != (ssize_t)strlen(s))
		return -1;
	close(p[1]);
	return p[0];
}

struct gathered {
	unsigned long lines, ticks;
	int bad;
};

static void count_line(void *arg, const char *line, size_t len)
{
	struct gathered *g = arg;
	char want[32];

	snprintf(want, sizeof(want), "line %lu", g->lines);
	if (len != strlen(want) || memcmp(line, want, len) != 0)
		g->bad = 1;
	g->lines++;
}

static int64_t count_tick(void *arg)
{
	((struct gathered *)arg)->ticks++;
	return 1000;
}

/*
 * A writer that trickles 200 short lines, one write each, 1 ms apart: with
 * gathering they all arrive, in order, in far fewer reads than writes.
 */
static void test_gather(void)
{
	static const volatile sig_atomic_t stop;
	struct gathered g = { 0, 0, 0 };
	struct jreader r;
	int p[2], st = -1, fd;
	pid_t pid;

	fd = open("/dev/null", O_RDONLY);
	jreader_init(&r, fd, "null", NULL);
	jreader_gather(&r, 50);
	is_int(r.gather_ms, 0, "gather: not on a file");
	jreader_free(&r);
	close(fd);

	if (pipe(p) < 0) {
		ok(0, "gather: pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		char b[32];
		int i, n;

		close(p[0]);
		for (i = 0; i < 200; i++) {
			n = snprintf(b, sizeof(b), "line %d\n", i);
			if (write(p[1], b, (size_t)n) != n)
				_exit(1);
			usleep(1000);
		}
		_exit(0);
	}
	close(p[1]);
	jreader_init(&r, p[0], "pipe", NULL);
	jreader_nonblock(&r);
	jreader_gather(&r, 50);
	ok(r.gather_ms == 50, "gather: on a pipe");
	is_int(jreader_pump(&r, &stop, count_line, count_tick, &g), 0,
	       "gather: pump to the end");
	if (pid > 0)
		waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "gather: the writer wrote all");
	ok(g.lines == 200 && !g.bad, "gather: every line, in order");
	/* a read per write would tick about 200 times */
	ok(g.ticks < 100, "gather: fewer reads than writes");
	jreader_restore(&r);
	jreader_free(&r);
	close(p[0]);
}

static void write_journal(const char *text)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/journal", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		perror(path);
	if (fd >= 0)
		close(fd);
}

static char *journal_text(void)
{
	char path[256], *data = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/journal", dir);
	if (file_read_all(path, 1 << 20, &data, &len) < 0)
		return NULL;
	return data;
}

int main(void)
{
	struct journal j, j2;
	struct jreader r;
	const char *line;
	size_t len;
	char *t;
	char buf[64];
	int fd, rc;

	log_init("t_journal");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	ok(journal_open(&j, dir) == 0, "journal_open creates the journal");
	is_int(j.size, 0, "a new journal is empty");
	ok(journal_open(&j2, dir) < 0, "a second open of the same dir fails (lock)");
	is_int(journal_reader(&j), -1, "nothing to replay in an empty journal");

	fd = pipe_with("one\ntwo\nthree");
	jreader_init(&r, fd, "-", &j);
	rc = jreader_read(&r, &line, &len);
	ok(rc == LINEIO_OK && len == 3 && memcmp(line, "one", 3) == 0,
	   "first line");
	is_int(r.line_off, 0, "first line at offset 0");
	is_int(j.size, 13, "the chunk read is in the journal before the line comes back");
	rc = jreader_read(&r, &line, &len);
	ok(rc == LINEIO_OK && len == 3 && memcmp(line, "two", 3) == 0,
	   "second line");
	is_int(r.line_off, 4, "second line at offset 4");
	is_int(jreader_next(&r), 8, "next unread byte after the second line");

	ok(journal_cut(&j, 4) == 0, "cut the first line");
	jreader_shift(&r, 4);
	is_int(j.size, 9, "the journal keeps 9 bytes");
	is_int(r.line_off, 0, "offsets follow the cut");
	t = journal_text();
	is_str(t, "#obs-journal 00000000000000000004\ntwo\nthree",
	       "the journal holds what is not queued, after its base");
	free(t);
	is_int(j.base, 4, "the cut moved the base");

	rc = jreader_read(&r, &line, &len);
	ok(rc == LINEIO_OK && len == 5 && memcmp(line, "three", 5) == 0,
	   "a last line without newline is a line");
	is_int(jreader_read(&r, &line, &len), LINEIO_EOF, "then EOF");
	jreader_free(&r);
	close(fd);

	fd = journal_reader(&j);
	ok(fd >= 0, "a journal with bytes can be replayed");
	jreader_init(&r, fd, "journal", NULL);
	r.drop_partial = 1;
	rc = jreader_read(&r, &line, &len);
	ok(rc == LINEIO_OK && len == 3 && memcmp(line, "two", 3) == 0,
	   "replay returns the kept line");
	is_int(jreader_read(&r, &line, &len), LINEIO_EOF,
	       "a partial last line of a replay is dropped");
	jreader_free(&r);
	close(fd);

	journal_close(&j, 0);
	ok(journal_open(&j, dir) == 0 && j.has_base && j.base == 4 &&
	       j.size == 9,
	   "a reopened journal has its base from the file");
	fd = journal_reader(&j);
	ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 9 &&
	       memcmp(buf, "two\nthree", 9) == 0,
	   "the replay starts after the base line");
	if (fd >= 0)
		close(fd);
	ok(journal_cut(&j, 9) == 0 && j.size == 0 && j.base == 13,
	   "a cut of everything moves the base");
	t = journal_text();
	is_str(t, "", "a journal cut to nothing is empty, without a base");
	free(t);
	journal_close(&j, 0);
	ok(journal_open(&j, dir) == 0 && !j.has_base && j.base == 0,
	   "an empty journal has no base");
	journal_set_base(&j, 13);
	ok(journal_append(&j, "four\n", 5) == 0 && j.size == 5 && j.base == 13,
	   "the first append to an empty journal");
	t = journal_text();
	is_str(t, "#obs-journal 00000000000000000013\nfour\n",
	       "writes the base the owner set with it");
	free(t);
	journal_set_base(&j, 99);
	is_int(j.base, 13, "the base in the file wins over the owner's");
	journal_close(&j, 0);
	write_journal("five\n");
	ok(journal_open(&j, dir) == 0 && !j.has_base && j.size == 5,
	   "an older journal, without a base line: all of it is input");
	journal_set_base(&j, 20);
	ok(journal_cut(&j, 2) == 0 && j.base == 22,
	   "its first cut gives it a base");
	t = journal_text();
	is_str(t, "#obs-journal 00000000000000000022\nve\n",
	       "written with the bytes kept");
	free(t);
	journal_close(&j, 1);
	t = journal_text();
	ok(t == NULL && errno == ENOENT, "close with remove deletes the journal");
	free(t);
	ok(journal_open(&j, dir) == 0 && j.size == 0,
	   "the lock is released at close");
	journal_close(&j, 1);
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/journal.lock", dir);
		unlink(p);
		rmdir(dir);
	}
	test_gather();
	return done_testing();
}
