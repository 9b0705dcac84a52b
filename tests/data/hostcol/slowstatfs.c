/* slowstatfs.c: an LD_PRELOAD shim for hostcol.bats: statfs(2) on a path
 * containing $SLOW_STATFS_MATCH sleeps $SLOW_STATFS_MS first, once (while
 * the file $SLOW_STATFS_ONCE exists; the slow call removes it), so a test
 * gets a mount that hangs and then answers. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

static void maybe_slow(const char *path)
{
	const char *m = getenv("SLOW_STATFS_MATCH");
	const char *once = getenv("SLOW_STATFS_ONCE");
	const char *ms = getenv("SLOW_STATFS_MS");
	struct timespec ts;
	long n;

	if (!m || !once || !ms || !strstr(path, m) || unlink(once) != 0)
		return;
	n = strtol(ms, NULL, 10);
	fprintf(stderr, "slowstatfs: slow call on %s\n", path);
	ts.tv_sec = n / 1000;
	ts.tv_nsec = (n % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

int statfs(const char *path, struct statfs *buf)
{
	int (*real)(const char *, struct statfs *) =
		(int (*)(const char *, struct statfs *))dlsym(RTLD_NEXT, "statfs");

	maybe_slow(path);
	return real(path, buf);
}

int statfs64(const char *path, struct statfs64 *buf)
{
	int (*real)(const char *, struct statfs64 *) =
		(int (*)(const char *, struct statfs64 *))dlsym(RTLD_NEXT, "statfs64");

	maybe_slow(path);
	return real(path, buf);
}
