/* filesystem.c: the filesystem collector (mountinfo, and statfs in a thread per mount with a deadline). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

int filesystem_init(struct hc *hc)
{
	const char *mpx = hc->fs_mp_exclude, *fsx = hc->fs_type_exclude;

	/* An include without an explicit exclude replaces the default
	 * exclude; both given is an error, as in node_exporter. */
	if (hc->fs_mp_include && *hc->fs_mp_include) {
		if (hc->fs_mp_exclude_set && mpx && *mpx) {
			log_error("--collector.filesystem.mount-points-exclude and "
				  "--collector.filesystem.mount-points-include are "
				  "mutually exclusive");
			return -1;
		}
		mpx = NULL;
	}
	if (hc->fs_type_include && *hc->fs_type_include) {
		if (hc->fs_type_exclude_set && fsx && *fsx) {
			log_error("--collector.filesystem.fs-types-exclude and "
				  "--collector.filesystem.fs-types-include are "
				  "mutually exclusive");
			return -1;
		}
		fsx = NULL;
	}
	if (filter_init(&hc->fs_mp_filter, "mount point filter", mpx,
			hc->fs_mp_include) < 0 ||
	    filter_init(&hc->fs_type_filter, "fs type filter", fsx,
			hc->fs_type_include) < 0)
		return -1;
	return 0;
}

/*
 * statfs(2) calls handed to worker threads.  A cycle queues all its calls
 * at once and wakes one worker, which answers them in turn and wakes the
 * cycle once when the last is done: two wake-ups a cycle however many
 * mounts there are.  While calls wait unstarted, the cycle wakes another
 * worker (or starts one) every POOL_SPAWN_MS, so a worker stuck on a dead
 * mount holds up the others that long at most, never past the deadline.
 * Both the worker and the cycle hold a reference to a call; the last to
 * let go frees it, so a cycle that gave up on a stuck mount leaves the
 * worker to finish (and free) it in its own time.  Everything here is
 * under pool_mu.
 */
struct statjob {
	int refs;
	int done;
	int err;
	uint64_t gen;		/* the cycle that queued it */
	struct statfs st;
	char *path;
	char *mountpoint;
	struct statjob *next;
};

#define POOL_MAX 64
#define POOL_SPAWN_MS 5

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;	/* workers */
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;	/* the cycle */
static struct statjob *queue_head, *queue_tail;
static size_t queued, idle, workers;
static uint64_t cycle_gen;
static size_t cycle_left;	/* calls of cycle_gen not answered yet */

static void job_unref_locked(struct statjob *j)
{
	if (--j->refs == 0) {
		free(j->path);
		free(j->mountpoint);
		free(j);
	}
}

static void job_release(struct statjob *j)
{
	pthread_mutex_lock(&pool_mu);
	job_unref_locked(j);
	pthread_mutex_unlock(&pool_mu);
}

static void *worker_run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool_mu);
	for (;;) {
		struct statjob *j;
		struct statfs st;
		int err;

		while (!queue_head) {
			idle++;
			pthread_cond_wait(&pool_cv, &pool_mu);
			idle--;
		}
		j = queue_head;
		queue_head = j->next;
		if (!queue_head)
			queue_tail = NULL;
		queued--;
		pthread_mutex_unlock(&pool_mu);

		memset(&st, 0, sizeof(st));
		err = statfs(j->path, &st) < 0 ? errno : 0;
		pthread_mutex_lock(&pool_mu);
		j->st = st;
		j->err = err;
		j->done = 1;
		if (j->gen == cycle_gen && cycle_left > 0 && --cycle_left == 0)
			pthread_cond_signal(&done_cv);
		job_unref_locked(j);
	}
	return NULL;
}

/* Called with pool_mu held. */
static int worker_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* Signals are for the main thread's loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, &attr, worker_run, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	workers++;
	return 0;
}

static struct statjob *job_new(const char *path, const char *mountpoint)
{
	struct statjob *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->refs = 2;
	j->path = strdup(path);
	j->mountpoint = strdup(mountpoint);
	if (!j->path || !j->mountpoint) {
		free(j->path);
		free(j->mountpoint);
		free(j);
		return NULL;
	}
	return j;
}

/* Queues the cycle's calls (jobs[0..n), NULLs skipped); -1 if no worker
 * can start. */
static int jobs_queue(struct statjob **jobs, size_t n)
{
	size_t i, k = 0;

	pthread_mutex_lock(&pool_mu);
	if (workers == 0 && worker_start() < 0) {
		pthread_mutex_unlock(&pool_mu);
		return -1;
	}
	cycle_gen++;
	for (i = 0; i < n; i++) {
		struct statjob *j = jobs[i];

		if (!j)
			continue;
		j->gen = cycle_gen;
		j->next = NULL;
		if (queue_tail)
			queue_tail->next = j;
		else
			queue_head = j;
		queue_tail = j;
		queued++;
		k++;
	}
	cycle_left = k;
	if (k > 0)
		pthread_cond_signal(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
	return 0;
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Waits until the cycle's calls are answered or the absolute deadline. */
static void jobs_wait(const struct timespec *deadline)
{
	pthread_mutex_lock(&pool_mu);
	while (cycle_left > 0) {
		struct timespec now, t;

		clock_gettime(CLOCK_REALTIME, &now);
		if (!ts_before(&now, deadline))
			break;
		t = now;
		t.tv_nsec += POOL_SPAWN_MS * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		if (ts_before(deadline, &t))
			t = *deadline;
		if (pthread_cond_timedwait(&done_cv, &pool_mu, &t) != ETIMEDOUT)
			continue;
		/* Calls still wait unstarted: a worker is stuck, or busy. */
		if (cycle_left > 0 && queued > 0) {
			if (idle > 0)
				pthread_cond_signal(&pool_cv);
			else if (workers < POOL_MAX)
				(void)worker_start();
		}
	}
	pthread_mutex_unlock(&pool_mu);
}

/* Mounts whose statfs did not answer in time, kept across cycles. */
static struct statjob **stuck;
static size_t nstuck;

static long stuck_find(const char *mountpoint)
{
	size_t i;

	for (i = 0; i < nstuck; i++)
		if (strcmp(stuck[i]->mountpoint, mountpoint) == 0)
			return (long)i;
	return -1;
}

static void stuck_remove(size_t i)
{
	job_release(stuck[i]);
	stuck[i] = stuck[--nstuck];
}

static int stuck_add(struct statjob *j)
{
	struct statjob **n = realloc(stuck, (nstuck + 1) * sizeof(*n));

	if (!n)
		return -1;
	stuck = n;
	stuck[nstuck++] = j;
	return 0;
}

static void fs_forget(void);

void filesystem_cleanup(void)
{
	fs_forget();
	while (nstuck > 0)
		stuck_remove(nstuck - 1);
	free(stuck);
	stuck = NULL;
}

struct mount {
	char *device, *mountpoint, *fstype, *major, *minor;
	int ro;
	int skip;
	struct statjob *job;
	int timedout;
};

/* Replaces the two escapes node_exporter replaces (space and tab). */
static void unescape_mountpoint(char *s)
{
	char *w = s;

	while (*s) {
		if (strncmp(s, "\\040", 4) == 0) {
			*w++ = ' ';
			s += 4;
		} else if (strncmp(s, "\\011", 4) == 0) {
			*w++ = '\t';
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

static int has_option(const char *opts, size_t n, const char *want)
{
	size_t pos = 0, wl = strlen(want);

	while (pos <= n) {
		const char *c = memchr(opts + pos, ',', n - pos);
		size_t end = c ? (size_t)(c - opts) : n;

		if (end - pos == wl && memcmp(opts + pos, want, wl) == 0)
			return 1;
		if (!c)
			break;
		pos = end + 1;
	}
	return 0;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void mounts_free(struct mount *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].device);
		free(m[i].mountpoint);
		free(m[i].fstype);
		free(m[i].major);
		free(m[i].minor);
	}
	free(m);
}

/* Parses mountinfo(5); -1 on a malformed line. */
static int mountinfo_parse(struct hc *hc, const char *p, size_t len,
			   struct mount **out, size_t *nout)
{
	struct mount *m = NULL;
	size_t n = 0, cap = 0, llen, pos = 0, rl = strlen(hc->rootfs);
	const char *line;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[64];
		size_t nf = hc_fields(line, llen, f, 64), sep, i;
		const char *colon;
		uint64_t maj, min;
		char num[24], *mp;
		struct mount *e;

		if (nf == 0)
			continue;
		for (sep = 6; sep < nf; sep++)
			if (f[sep].n == 1 && f[sep].p[0] == '-')
				break;
		if (nf < 7 || sep + 2 >= nf)
			goto bad;
		colon = memchr(f[2].p, ':', f[2].n);
		if (!colon ||
		    parse_u64(f[2].p, (size_t)(colon - f[2].p), 0, UINT32_MAX,
			      &maj) < 0 ||
		    parse_u64(colon + 1, f[2].n - (size_t)(colon + 1 - f[2].p),
			      0, UINT32_MAX, &min) < 0)
			goto bad;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct mount *nm = realloc(m, nc * sizeof(*nm));

			if (!nm)
				goto bad;
			m = nm;
			cap = nc;
		}
		e = &m[n];
		memset(e, 0, sizeof(*e));
		n++;
		mp = dupn(f[4].p, f[4].n);
		e->device = dupn(f[sep + 2].p, f[sep + 2].n);
		e->fstype = dupn(f[sep + 1].p, f[sep + 1].n);
		hc_fmt(num, sizeof(num), "%llu", (unsigned long long)maj);
		e->major = strdup(num);
		hc_fmt(num, sizeof(num), "%llu", (unsigned long long)min);
		e->minor = strdup(num);
		if (!mp || !e->device || !e->fstype || !e->major || !e->minor) {
			free(mp);
			goto bad;
		}
		unescape_mountpoint(mp);
		/* Strip --path.rootfs from the label, as node_exporter does. */
		if (!(rl == 1 && hc->rootfs[0] == '/') &&
		    strncmp(mp, hc->rootfs, rl) == 0) {
			const char *rest = mp + rl;

			e->mountpoint = strdup(*rest ? rest : "/");
			free(mp);
		} else {
			e->mountpoint = mp;
		}
		if (!e->mountpoint)
			goto bad;
		e->ro = has_option(f[5].p, f[5].n, "ro") ||
			(sep + 3 < nf &&
			 (has_option(f[sep + 3].p, f[sep + 3].n, "ro") ||
			  has_option(f[sep + 3].p, f[sep + 3].n, "emergency_ro")));
		for (i = 0; i + 1 < n; i++)
			if (strcmp(m[i].device, e->device) == 0 &&
			    strcmp(m[i].mountpoint, e->mountpoint) == 0 &&
			    strcmp(m[i].fstype, e->fstype) == 0 &&
			    strcmp(m[i].major, e->major) == 0 &&
			    strcmp(m[i].minor, e->minor) == 0)
				e->skip = 1;
	}
	*out = m;
	*nout = n;
	return 0;
bad:
	mounts_free(m, n);
	return -1;
}

static int emit(struct out *o, const char *name, const char *help, double v,
		const struct mount *m, const char *deverr)
{
	return out_add(o, name, help, OUT_GAUGE, v, "device", m->device,
		       "mountpoint", m->mountpoint, "fstype", m->fstype,
		       "device_error", deverr, NULL);
}

static void go_error_text(int err, char *dst, size_t size)
{
	/* Go prints errno texts in lower case ("no such file or directory"). */
	hc_fmt(dst, size, "%s", strerror(err));
	if (dst[0] >= 'A' && dst[0] <= 'Z')
		dst[0] = (char)(dst[0] - 'A' + 'a');
}

/*
 * A cycle's statfs calls are queued before the other collectors run
 * (filesystem_start) and read when the filesystem collector's turn comes:
 * by then the worker has answered, and the cycle does not sleep for it.
 * What the start found waits here for filesystem_update.
 */
static struct {
	int started;
	int status;		/* 0, or FS_READ, FS_PARSE, FS_THREAD, FS_NOMEM */
	int err;
	char path[PATH_MAX];
	struct mount *m;
	size_t n;
	struct statjob **jobs;
	struct timespec deadline;
} fs;

enum { FS_READ = 1, FS_PARSE, FS_THREAD, FS_NOMEM };

static void fs_forget(void)
{
	size_t i;

	for (i = 0; i < fs.n; i++)
		if (fs.m[i].job)
			job_release(fs.m[i].job);
	free(fs.jobs);
	mounts_free(fs.m, fs.n);
	fs.m = NULL;
	fs.jobs = NULL;
	fs.n = 0;
	fs.started = 0;
	fs.status = 0;
}

void filesystem_start(struct hc *hc)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	struct mount *m = NULL;
	size_t n = 0, i;

	fs_forget();
	fs.started = 1;
	if (hc_path(fs.path, sizeof(fs.path), hc->procfs, "1/mountinfo") < 0) {
		fs.status = FS_READ;
		fs.err = errno;
		goto out;
	}
	if (hc_read(fs.path, &b) < 0) {
		fs.err = errno;
		if (!(fs.err == ENOENT &&
		      hc_path(fs.path, sizeof(fs.path), hc->procfs,
			      "self/mountinfo") == 0 &&
		      hc_read(fs.path, &b) == 0)) {
			if (fs.err != ENOENT)
				errno = fs.err;
			fs.status = FS_READ;
			fs.err = errno;
			goto out;
		}
	}
	if (mountinfo_parse(hc, b.p ? b.p : "", b.len, &m, &n) < 0) {
		fs.status = FS_PARSE;
		goto out;
	}
	fs.m = m;
	fs.n = n;
	clock_gettime(CLOCK_REALTIME, &fs.deadline);
	fs.deadline.tv_sec += hc->fs_mount_timeout_ms / 1000;
	fs.deadline.tv_nsec += (hc->fs_mount_timeout_ms % 1000) * 1000000;
	if (fs.deadline.tv_nsec >= 1000000000) {
		fs.deadline.tv_sec++;
		fs.deadline.tv_nsec -= 1000000000;
	}
	/* Start every statfs first, so stuck mounts cost one deadline in all. */
	for (i = 0; i < n; i++) {
		long s;
		char full[PATH_MAX];

		if (m[i].skip || filter_ignored(&hc->fs_mp_filter, m[i].mountpoint) ||
		    filter_ignored(&hc->fs_type_filter, m[i].fstype)) {
			m[i].skip = 1;
			continue;
		}
		s = stuck_find(m[i].mountpoint);
		if (s >= 0) {
			int done;

			pthread_mutex_lock(&pool_mu);
			done = stuck[s]->done;
			pthread_mutex_unlock(&pool_mu);
			if (!done) {
				m[i].timedout = 1;
				continue;
			}
			log_debug("filesystem: mount point '%s' answers again",
				  m[i].mountpoint);
			stuck_remove((size_t)s);
		}
		if (hc_path(full, sizeof(full), hc->rootfs, m[i].mountpoint) < 0)
			continue;
		if (!fs.jobs)
			fs.jobs = calloc(n, sizeof(*fs.jobs));
		m[i].job = fs.jobs ? job_new(full, m[i].mountpoint) : NULL;
		if (!m[i].job) {
			fs.status = FS_NOMEM;
			fs.err = ENOMEM;
			goto out;
		}
		fs.jobs[i] = m[i].job;
	}
	if (fs.jobs && jobs_queue(fs.jobs, n) < 0) {
		fs.status = FS_THREAD;
		fs.err = errno;
		/* Never queued: the workers' references go too. */
		for (i = 0; i < n; i++)
			if (fs.jobs[i])
				job_release(fs.jobs[i]);
		goto out;
	}
out:
	if (fs.status == FS_NOMEM) {
		for (i = 0; i < n; i++)
			if (fs.jobs && fs.jobs[i])
				job_release(fs.jobs[i]);
	}
	buf_free(&b);
}

int filesystem_update(struct hc *hc, struct out *o)
{
	struct mount *m;
	size_t n, i;
	char err[256];
	int rc = HC_FAIL;

	if (!fs.started)
		filesystem_start(hc);
	switch (fs.status) {
	case FS_READ:
		log_error("filesystem: cannot read '%s': %s", fs.path,
			  strerror(fs.err));
		goto out;
	case FS_PARSE:
		log_error("filesystem: malformed '%s'", fs.path);
		goto out;
	case FS_NOMEM:
		errno = fs.err;
		log_errno("filesystem: cannot hold a statfs call");
		goto out;
	case FS_THREAD:
		errno = fs.err;
		log_errno("filesystem: cannot start a thread");
		goto out;
	default:
		break;
	}
	m = fs.m;
	n = fs.n;
	if (fs.jobs)
		jobs_wait(&fs.deadline);
	pthread_mutex_lock(&pool_mu);
	for (i = 0; i < n; i++)
		if (m[i].job && !m[i].job->done)
			m[i].timedout = 1;
	pthread_mutex_unlock(&pool_mu);
	for (i = 0; i < n; i++) {
		struct statjob *j = m[i].job;
		const char *deverr = "";
		double ro = m[i].ro;

		if (m[i].skip)
			continue;
		if (!j && !m[i].timedout)
			continue;
		if (j && m[i].timedout) {
			log_debug("filesystem: mount point '%s' timed out",
				  m[i].mountpoint);
			if (stuck_add(j) < 0)
				job_release(j);
			m[i].job = NULL;
		}
		if (m[i].timedout) {
			if (emit(o, "node_filesystem_device_error",
				 "Whether an error occurred while getting statistics for the given device.",
				 1, &m[i], "mountpoint timeout") < 0 ||
			    emit(o, "node_filesystem_readonly",
				 "Filesystem read-only status.", 0, &m[i],
				 "mountpoint timeout") < 0)
				goto out;
			continue;
		}
		if (j->err) {
			go_error_text(j->err, err, sizeof(err));
			deverr = err;
		}
		if (emit(o, "node_filesystem_device_error",
			 "Whether an error occurred while getting statistics for the given device.",
			 j->err ? 1 : 0, &m[i], deverr) < 0 ||
		    emit(o, "node_filesystem_readonly",
			 "Filesystem read-only status.", ro, &m[i], deverr) < 0)
			goto out;
		if (!j->err) {
			double bs = (double)j->st.f_bsize;

			if (emit(o, "node_filesystem_size_bytes",
				 "Filesystem size in bytes.",
				 (double)j->st.f_blocks * bs, &m[i], "") < 0 ||
			    emit(o, "node_filesystem_free_bytes",
				 "Filesystem free space in bytes.",
				 (double)j->st.f_bfree * bs, &m[i], "") < 0 ||
			    emit(o, "node_filesystem_avail_bytes",
				 "Filesystem space available to non-root users in bytes.",
				 (double)j->st.f_bavail * bs, &m[i], "") < 0 ||
			    emit(o, "node_filesystem_files",
				 "Filesystem total file nodes.",
				 (double)j->st.f_files, &m[i], "") < 0 ||
			    emit(o, "node_filesystem_files_free",
				 "Filesystem total free file nodes.",
				 (double)j->st.f_ffree, &m[i], "") < 0 ||
			    out_add(o, "node_filesystem_mount_info",
				    "Filesystem mount information.", OUT_GAUGE,
				    1.0, "device", m[i].device, "major",
				    m[i].major, "minor", m[i].minor,
				    "mountpoint", m[i].mountpoint, NULL) < 0 ||
			    emit(o, "node_filesystem_purgeable_bytes",
				 "Filesystem space available including purgeable space (MacOS specific).",
				 0, &m[i], "") < 0)
				goto out;
		}
	}
	rc = HC_OK;
out:
	fs_forget();
	return rc;
}
