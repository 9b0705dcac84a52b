/* t_atomicfile.c: unit tests for whole-file replace and read, and stats files. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "buf.h"
#include "stats.h"
#include "value.h"
#include "tap.h"
#include "banned.h"

static char dir[64];

static const char *
path(const char *name)
{
	static struct buf p = BUF_INIT(0);

	buf_reset(&p);
	buf_addf(&p, "%s/%s", dir, name);
	return p.p;
}

/* Number of entries in dir besides . and .. */
static int
entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void
test_write_read(void)
{
	char *s = NULL;
	size_t n = 0;
	char big[10000];

	ok(atomicfile_write(path("a"), "hello\n", 6) == 0, "write a new file");
	ok(file_read_all(path("a"), 100, &s, &n) == 0 && n == 6 &&
	    strcmp(s, "hello\n") == 0, "read it back");
	free(s);
	ok(atomicfile_write(path("a"), "x", 1) == 0, "replace it");
	ok(file_read_all(path("a"), 100, &s, &n) == 0 && n == 1 &&
	    strcmp(s, "x") == 0, "replaced content");
	free(s);
	is_int(entries(), 1, "no temporary file is left behind");
	ok(atomicfile_write(path("empty"), "", 0) == 0, "write an empty file");
	ok(file_read_all(path("empty"), 10, &s, &n) == 0 && n == 0 && s[0] == '\0',
	    "empty file reads as \"\"");
	free(s);

	memset(big, 'b', sizeof(big));
	ok(atomicfile_write(path("big"), big, sizeof(big)) == 0, "write 10000 bytes");
	ok(file_read_all(path("big"), sizeof(big), &s, &n) == 0 && n == sizeof(big) &&
	    memcmp(s, big, n) == 0 && s[n] == '\0', "read exactly max bytes");
	free(s);
	s = NULL;
	errno = 0;
	ok(file_read_all(path("big"), sizeof(big) - 1, &s, &n) == -1 &&
	    errno == EFBIG && s == NULL, "one byte over max is EFBIG");
	errno = 0;
	ok(file_read_all(path("missing"), 10, &s, &n) == -1 && errno == ENOENT,
	    "missing file is ENOENT");
	errno = 0;
	ok(file_read_all(dir, 10, &s, &n) == -1 && errno == EISDIR,
	    "a directory is EISDIR");

	errno = 0;
	ok(atomicfile_write(path("nodir/x"), "x", 1) == -1 && errno == ENOENT,
	    "write into a missing directory is ENOENT");
	ok(mkdir(path("sub"), 0755) == 0, "make a directory in the way");
	errno = 0;
	ok(atomicfile_write(path("sub"), "x", 1) == -1 && errno == EISDIR,
	    "rename over a directory fails with EISDIR");
	is_int(entries(), 4, "the failed write left no temporary file");
	rmdir(path("sub"));
	{
		/* A relative path: the directory to sync is ".". */
		char cwd[4096];

		if (getcwd(cwd, sizeof(cwd)) && chdir(dir) == 0) {
			ok(atomicfile_write("rel", "r", 1) == 0, "write a relative path");
			if (chdir(cwd) != 0)
				diag("cannot go back to %s", cwd);
		} else {
			ok(0, "write a relative path (chdir failed)");
		}
	}
	unlink(path("rel"));
	unlink(path("a"));
	unlink(path("empty"));
	unlink(path("big"));
}

static void
test_stats(void)
{
	struct buf b = BUF_INIT(0), small = BUF_INIT(10);
	char *s = NULL;
	size_t n;

	ok(stats_add(&b, "obs_lines_total", "counter", "Lines read.",
	    "", 12) == 0, "stats_add a plain counter");
	ok(stats_add(&b, "obs_errors_total", "counter", "Errors by kind.",
	    "kind=\"parse\"", 1) == 0, "stats_add a labelled counter");
	ok(stats_add(&b, "obs_errors_total", "counter", "Errors by kind.",
	    "kind=\"io\"", 0) == 0, "stats_add the same name again");
	ok(stats_add(&b, "obs_lag_seconds", "gauge", "Back\\slash\nnewline.",
	    NULL, 1e-7) == 0, "stats_add with escapes in HELP");
	ok(stats_add(&b, "obs_x", NULL, NULL, NULL, 1234567) == 0,
	    "stats_add without HELP and TYPE");
	ok(stats_add(&b, "obs_errors", "gauge", "Prefix of a name seen before.",
	    "", 2) == 0, "stats_add a name that prefixes the previous one");
	is_str(b.p,
	    "# HELP obs_lines_total Lines read.\n"
	    "# TYPE obs_lines_total counter\n"
	    "obs_lines_total 12\n"
	    "# HELP obs_errors_total Errors by kind.\n"
	    "# TYPE obs_errors_total counter\n"
	    "obs_errors_total{kind=\"parse\"} 1\n"
	    "obs_errors_total{kind=\"io\"} 0\n"
	    "# HELP obs_lag_seconds Back\\\\slash\\nnewline.\n"
	    "# TYPE obs_lag_seconds gauge\n"
	    "obs_lag_seconds 1e-07\n"
	    "obs_x 1.234567e+06\n"
	    "# HELP obs_errors Prefix of a name seen before.\n"
	    "# TYPE obs_errors gauge\n"
	    "obs_errors 2\n",
	    "stats exposition text");
	{
		struct buf c = BUF_INIT(0);

		stats_add(&c, "a_total", "counter", NULL, "x=\"1\"", 1);
		stats_add(&c, "a", "gauge", NULL, "", 2);
		stats_add(&c, "a", "gauge", NULL, "", 3);
		is_str(c.p, "# TYPE a_total counter\na_total{x=\"1\"} 1\n"
		    "# TYPE a gauge\na 2\na 3\n",
		    "a name that is a prefix of the previous one gets its TYPE");
		buf_free(&c);
	}
	ok(stats_write(path("s.prom"), &b) == 0, "stats_write");
	ok(file_read_all(path("s.prom"), 4096, &s, &n) == 0 && n == b.len &&
	    memcmp(s, b.p, n) == 0, "stats file holds the text");
	free(s);
	unlink(path("s.prom"));
	ok(stats_add(&small, "a_very_long_metric_name", "gauge", "h", "", 1) == -1,
	    "stats_add past the cap fails");
	is_int((long long)small.len, 0, "failed stats_add leaves the buffer unchanged");
	buf_free(&small);
	buf_free(&b);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/t_atomicfile.XXXXXX",
	    tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_write_read();
	test_stats();
	if (rmdir(dir) != 0)
		diag("rmdir %s: %s", dir, strerror(errno));
	return done_testing();
}
