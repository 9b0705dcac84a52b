/* files.c: the files named by paths and globs, followed, with their positions. */
#include <sys/stat.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "labels.h"
#include "log.h"
#include "logtail.h"
#include "banned.h"

struct tfile {
	struct follow f;
	struct labels ls;
	struct buf pre;		/* the labels, formatted */
	struct buf key;		/* "file:PATH" */
	int seen;		/* matched by this pass */
};

static struct {
	char **globs;
	size_t nglobs;
	struct tfile **v;
	size_t n, cap;
	unsigned long opened, rotations, truncations;
} F;

int files_init(char **globs, size_t n)
{
	F.globs = globs;
	F.nglobs = n;
	return 0;
}

static int on_line(void *arg, const char *line, size_t len, int over)
{
	struct tfile *t = arg;
	int64_t ts = clock_ns();

	/* one stream's entries in time order, whatever the clock does */
	if (ts <= t->f.last_ts)
		ts = t->f.last_ts + 1;
	t->f.last_ts = ts;
	if (over)
		atomic_fetch_add(&lt_out.truncated, 1);
	return out_entry_pre(&t->pre, ts, line, len);
}

static struct tfile *find(const char *path)
{
	size_t i;

	for (i = 0; i < F.n; i++)
		if (strcmp(F.v[i]->f.path, path) == 0)
			return F.v[i];
	return NULL;
}

static void tfile_free(struct tfile *t)
{
	follow_close(&t->f);
	labels_free(&t->ls);
	buf_free(&t->pre);
	buf_free(&t->key);
	free(t);
}

static void add_file(const char *path)
{
	struct tfile *t;
	struct stat st;
	int64_t off = 0;
	uint64_t dev = 0, ino = 0;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	if (F.n == F.cap) {
		size_t c = F.cap ? F.cap * 2 : 16;
		struct tfile **v = realloc(F.v, c * sizeof(*v));

		if (!v)
			return;
		F.v = v;
		F.cap = c;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	labels_init(&t->ls);
	buf_init(&t->key, 8192);
	buf_init(&t->pre, 65536);
	if (buf_addf(&t->key, "file:%s", path) < 0 ||
	    labels_set(&t->ls, "filename", 8, path, strlen(path)) < 0 ||
	    out_prefix(&t->pre, &t->ls) < 0) {
		tfile_free(t);
		return;
	}
	positions_lookup(&positions, t->key.p, &off, &dev, &ino);
	if (follow_open(&t->f, path, off, dev, ino, lt_out.max_line) < 0) {
		log_errno("cannot open '%s'", path);
		labels_free(&t->ls);
		buf_free(&t->pre);
		buf_free(&t->key);
		free(t);
		return;
	}
	if (t->f.off)
		log_debug("'%s': resuming at byte %lld", path,
			  (long long)t->f.off);
	F.v[F.n++] = t;
	F.opened++;
}

int files_poll(int once)
{
	size_t i, j;

	for (i = 0; i < F.nglobs; i++) {
		glob_t g;
		int r = glob(F.globs[i], GLOB_NOSORT, NULL, &g);

		if (r == 0)
			for (j = 0; j < g.gl_pathc; j++)
				if (!find(g.gl_pathv[j]))
					add_file(g.gl_pathv[j]);
		if (r == 0 || r == GLOB_NOMATCH)
			globfree(&g);
	}
	for (i = 0; i < F.n;) {
		struct tfile *t = F.v[i];
		unsigned long ro = t->f.rotations, tr = t->f.truncations;
		int r = follow_poll(&t->f, on_line, t, once);

		if (r < 0)
			return -1;
		F.rotations += t->f.rotations - ro;
		F.truncations += t->f.truncations - tr;
		if (r == 1) {
			/* gone, and nothing took its name: forget it */
			positions_drop(&positions, t->key.p);
			tfile_free(t);
			F.v[i] = F.v[--F.n];
			continue;
		}
		positions_set(&positions, t->key.p, t->f.off, t->f.dev,
			      t->f.ino);
		i++;
	}
	return 0;
}

void files_stats(struct buf *b)
{
	size_t i;
	int64_t lag = 0;

	for (i = 0; i < F.n; i++) {
		struct stat st;

		if (fstat(F.v[i]->f.fd, &st) == 0 &&
		    (int64_t)st.st_size > F.v[i]->f.off)
			lag += (int64_t)st.st_size - F.v[i]->f.off;
	}
	buf_addf(b,
		 "# HELP obs_logtail_files_open Files followed.\n"
		 "# TYPE obs_logtail_files_open gauge\n"
		 "obs_logtail_files_open %zu\n"
		 "# HELP obs_logtail_files_opened_total Files opened.\n"
		 "# TYPE obs_logtail_files_opened_total counter\n"
		 "obs_logtail_files_opened_total %lu\n"
		 "# HELP obs_logtail_files_rotations_total Files replaced "
		 "under their name (rotation by rename).\n"
		 "# TYPE obs_logtail_files_rotations_total counter\n"
		 "obs_logtail_files_rotations_total %lu\n"
		 "# HELP obs_logtail_files_truncations_total Files that shrank "
		 "(copytruncate) and were read again from the start.\n"
		 "# TYPE obs_logtail_files_truncations_total counter\n"
		 "obs_logtail_files_truncations_total %lu\n"
		 "# HELP obs_logtail_files_lag_bytes Bytes written to the "
		 "files followed and not read yet.\n"
		 "# TYPE obs_logtail_files_lag_bytes gauge\n"
		 "obs_logtail_files_lag_bytes %lld\n",
		 F.n, F.opened, F.rotations, F.truncations, (long long)lag);
}

void files_free(void)
{
	size_t i;

	for (i = 0; i < F.n; i++)
		tfile_free(F.v[i]);
	free(F.v);
	memset(&F, 0, sizeof(F));
}
