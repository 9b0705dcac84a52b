/* t_journal.c: unit tests for lib/journal.c, the sender's input journal and its line reader. */
#include <errno.h>
#include <fcntl.h>
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
	is_str(t, "two\nthree", "the journal holds what is not queued");
	free(t);

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
	return done_testing();
}
