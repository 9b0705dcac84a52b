/* filesystem.c: the filesystem collector (mountinfo, and statfs in a thread per mount with a deadline). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "clock.h"
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
 * at once and posts pool_sem; a worker answers them in turn.  The cycle
 * reads the answers after its other collectors: cycle_left at 0 then (the
 * usual case) costs it no lock and no system call, and the worker wakes
 * it only when it waits (cycle_waiting).  So a cycle costs one wake-up of
 * a worker and its sleep, however many mounts there are.
 *
 * A call times out when it has run the mount timeout since a worker
 * started it (the worker stamps the start, as node_exporter's per-mount
 * watcher counts), not since the cycle began: a healthy mount queued
 * behind a stuck one, or read late because other collectors were slow,
 * is never reported timed out.  A worker left busy by a stuck call of an
 * earlier cycle makes the queueing start another, so the calls do not
 * queue behind it; one stuck in this cycle is found by the wait, which
 * posts another worker (or starts one) when no call started for
 * POOL_SPAWN_MS while calls wait unstarted.  Only calls that cannot get
 * a worker at all (POOL_MAX stuck) time out with the cycle's deadline.
 *
 * Both the worker and the cycle hold a reference to a call; the last to
 * let go frees it, so a cycle that gave up on a stuck mount leaves the
 * worker to finish (and free) it in its own time.  An answered call stays
 * with its mount and is queued again by the next cycle, with nothing to
 * allocate or free.  Everything here is under pool_mu, but for the
 * cycle's lock-free look at cycle_left, which the worker stores with
 * release order after the answer it counts (and after letting go of the
 * call).
 */
struct statjob {
	int refs;
	int done;
	int err;
	uint64_t gen;		/* the cycle that queued it */
	int64_t start_ns;	/* monotonic, when a worker took it; 0 not yet */
	struct statfs st;
	char *path;
	char *mountpoint;
	struct statjob *next;
};

#define POOL_MAX 64
/* statfs(2) says f_flags are filled in (Linux 2.6.36 on). */
#define ST_VALID_FLAG 0x0020
#define POOL_SPAWN_MS 5

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t pool_sem;		/* workers: calls are queued */
static sem_t done_sem;		/* the cycle: its last call is answered */
static int sems_ready;
static int cycle_waiting;	/* the cycle sleeps on done_sem */
static struct statjob *queue_head, *queue_tail;
static size_t queued, idle, workers;
static uint64_t cycle_gen;
static size_t cycle_left;	/* calls of cycle_gen not answered yet */
static int start_failed;	/* the last worker_start failed */

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
	for (;;) {
		struct statjob *j;
		struct statfs st;
		int err, mine, wake = 0;

		pthread_mutex_lock(&pool_mu);
		while (!queue_head) {
			idle++;
			pthread_mutex_unlock(&pool_mu);
			/* Not a condition variable: its wait hands the
			 * mutex back marked contended, a futex call more at
			 * every unlock after it. */
			while (sem_wait(&pool_sem) < 0 && errno == EINTR)
				;
			pthread_mutex_lock(&pool_mu);
			idle--;
		}
		j = queue_head;
		queue_head = j->next;
		if (!queue_head)
			queue_tail = NULL;
		queued--;
		/* A vDSO read, no system call. */
		j->start_ns = clock_mono_ns();
		pthread_mutex_unlock(&pool_mu);

		memset(&st, 0, sizeof(st));
		err = statfs(j->path, &st) < 0 ? errno : 0;
		pthread_mutex_lock(&pool_mu);
		j->st = st;
		j->err = err;
		j->done = 1;
		mine = j->gen == cycle_gen && cycle_left > 0;
		/* Let go before the count says answered: a cycle that saw
		 * all answered holds the only reference and may reuse it. */
		job_unref_locked(j);
		if (mine) {
			__atomic_store_n(&cycle_left, cycle_left - 1,
					 __ATOMIC_RELEASE);
			wake = cycle_left == 0 && cycle_waiting;
		}
		pthread_mutex_unlock(&pool_mu);
		if (wake)
			sem_post(&done_sem);
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

	if (!sems_ready) {
		if (sem_init(&pool_sem, 0, 0) < 0 ||
		    sem_init(&done_sem, 0, 0) < 0)
			return -1;
		sems_ready = 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* Signals are for the main thread's loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, &attr, worker_run, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	start_failed = rc != 0;
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
	if (workers == 0) {
		if (worker_start() < 0) {
			pthread_mutex_unlock(&pool_mu);
			return -1;
		}
	} else if (idle == 0 && workers < POOL_MAX) {
		/* No worker asleep: one is stuck on an earlier cycle's
		 * call (or about to sleep); the calls must not queue
		 * behind it. */
		(void)worker_start();
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
	__atomic_store_n(&cycle_left, k, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&pool_mu);
	/* Posted unlocked, so the worker it wakes does not block on
	 * pool_mu at once. */
	if (k > 0)
		sem_post(&pool_sem);
	return 0;
}

/* Sleeps on done_sem until the monotonic time until_ns at most. */
static void done_sleep(int64_t until_ns, int64_t now_ns)
{
	struct timespec t;
	int64_t ns;

	/* sem_timedwait counts on the wall clock. */
	clock_gettime(CLOCK_REALTIME, &t);
	ns = t.tv_nsec + (until_ns - now_ns);
	t.tv_sec += (time_t)(ns / 1000000000);
	t.tv_nsec = (long)(ns % 1000000000);
	while (sem_timedwait(&done_sem, &t) < 0 && errno == EINTR)
		;
}

/*
 * Waits until the cycle's calls (jobs[0..n), NULLs skipped) are answered,
 * or those left have each run timeout_ns since a worker took them (or
 * cannot get a worker, and the cycle's deadline passed); returns whether
 * all were answered.  Answered already (the cycle comes late on purpose)
 * costs an atomic load.  The wait is on a semaphore, not a condition
 * variable, so it needs no lock (whose wake-up marks it contended: a
 * futex call at the next unlock); a post left from a cycle that stopped
 * waiting only makes a wait here look again.  queued_ns is when the
 * calls were queued.
 */
static int jobs_wait(struct statjob **jobs, size_t n, int64_t queued_ns,
		     int64_t timeout_ns, int64_t deadline_ns)
{
	const int64_t spawn_ns = POOL_SPAWN_MS * 1000000LL;
	int64_t handoff_ns = 0;
	int all;

	if (__atomic_load_n(&cycle_left, __ATOMIC_ACQUIRE) == 0)
		return 1;
	while (__atomic_load_n(&cycle_left, __ATOMIC_ACQUIRE) > 0) {
		int64_t now = clock_mono_ns(), next = INT64_MAX, last = queued_ns;
		size_t i, unstarted = 0;
		int can;

		pthread_mutex_lock(&pool_mu);
		cycle_waiting = 1;
		for (i = 0; i < n; i++) {
			struct statjob *j = jobs[i];

			if (!j)
				continue;
			if (j->start_ns > last)
				last = j->start_ns;
			if (j->done)
				continue;
			if (!j->start_ns) {
				unstarted++;
				continue;
			}
			/* Past its timeout: it waits for nothing. */
			if (j->start_ns + timeout_ns > now &&
			    j->start_ns + timeout_ns < next)
				next = j->start_ns + timeout_ns;
		}
		if (handoff_ns > last)
			last = handoff_ns;
		/* Calls wait unstarted and none started for a while: the
		 * workers are stuck, or busy. */
		if (unstarted > 0 && now - last >= spawn_ns) {
			if (idle > 0)
				sem_post(&pool_sem);
			else if (workers < POOL_MAX)
				(void)worker_start();
			handoff_ns = last = now;
		}
		can = idle > 0 || (workers < POOL_MAX && !start_failed);
		if (unstarted > 0 && (can || now < deadline_ns) &&
		    last + spawn_ns < next)
			next = last + spawn_ns;
		all = cycle_left == 0;
		pthread_mutex_unlock(&pool_mu);
		if (all || next == INT64_MAX)
			break;
		done_sleep(next, now);
	}
	pthread_mutex_lock(&pool_mu);
	cycle_waiting = 0;
	all = cycle_left == 0;
	pthread_mutex_unlock(&pool_mu);
	return all;
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

struct mount {
	char *device, *mountpoint, *fstype, *major, *minor;
	char *full;		/* rootfs + mountpoint, for statfs */
	int ro;
	int dup;		/* a line seen before: node_exporter skips it */
	int ignored;		/* by the mount point or fs type filter */
	int rdonly;		/* statfs' ST_RDONLY last seen, -1 not yet */
	/* This cycle's call; kept when answered, for the next cycle. */
	struct statjob *job;
	/* This cycle's: */
	int skip;
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
		if (m[i].job)
			job_release(m[i].job);
		free(m[i].device);
		free(m[i].mountpoint);
		free(m[i].fstype);
		free(m[i].major);
		free(m[i].minor);
		free(m[i].full);
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
		e->rdonly = -1;
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
				e->dup = 1;
		if (!e->dup) {
			char full[PATH_MAX];

			e->ignored =
				filter_ignored(&hc->fs_mp_filter, e->mountpoint) ||
				filter_ignored(&hc->fs_type_filter, e->fstype);
			if (!e->ignored &&
			    hc_path(full, sizeof(full), hc->rootfs,
				    e->mountpoint) == 0 &&
			    !(e->full = strdup(full)))
				goto bad;
		}
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
 * (filesystem_start) and read after them (main.c runs filesystem_update
 * last): by then the worker has answered, and the cycle does not sleep
 * for it.  What the start found waits here for filesystem_update.
 */
static struct {
	int started;
	int queued;		/* calls went to the workers */
	int waited;		/* each call answered or timed out */
	int status;		/* 0, or FS_READ, FS_PARSE, FS_THREAD, FS_NOMEM */
	int err;
	struct statjob **jobs;
	size_t njobs;
	int64_t queued_ns;	/* when the calls were queued */
	int64_t timeout_ns;	/* --collector.filesystem.mount-timeout */
} fs;

enum { FS_READ = 1, FS_PARSE, FS_THREAD, FS_NOMEM };

/*
 * The mount table: /proc/1/mountinfo stays open and is parsed again only
 * when it changed.  A mount or unmount in the namespace (a remount too)
 * makes poll(2) on it say POLLPRI (proc(5)), so a cycle asks poll with no
 * timeout and reads nothing when the table is as it was; every mount is
 * still statfs'd every cycle, as node_exporter does.  A superblock turned
 * read-only by the kernel (errors=remount-ro) touches no namespace: its
 * statfs ST_RDONLY flips, and that makes the cycle read the table anew
 * for the read-only flags.  A file that is not procfs' (a fixture under
 * --path.procfs) cannot be polled and is read every cycle.
 */
static struct {
	int fd;			/* kept procfs mountinfo, or -1 */
	int stale;		/* read it again at the next cycle */
	struct mount *m;	/* the table last parsed */
	size_t n;
	char path[PATH_MAX];
} mi = { -1, 0, NULL, 0, "" };

static void mi_forget(void)
{
	if (mi.fd >= 0)
		close(mi.fd);
	mi.fd = -1;
	mounts_free(mi.m, mi.n);
	mi.m = NULL;
	mi.n = 0;
}

/* Opens mi.path: 1/mountinfo, or self/mountinfo where there is no 1
 * (procfs of another pid namespace). -1 with errno. */
static int mi_open(struct hc *hc)
{
	int fd;

	if (hc_path(mi.path, sizeof(mi.path), hc->procfs, "1/mountinfo") < 0)
		return -1;
	fd = open(mi.path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (hc_path(mi.path, sizeof(mi.path), hc->procfs,
		    "self/mountinfo") < 0) {
		/* Say what failed about the first. */
		(void)hc_path(mi.path, sizeof(mi.path), hc->procfs,
			      "1/mountinfo");
		errno = ENOENT;
		return -1;
	}
	return open(mi.path, O_RDONLY | O_CLOEXEC);
}

/* Reads and parses the table into *m, *n: 0, or FS_READ (fs.err set) or
 * FS_PARSE.  Keeps the descriptor when it is procfs'. */
static int mi_load(struct hc *hc, struct mount **m, size_t *n)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	int fd = mi.fd, rc = 0, tries;

	for (tries = 0; tries < 2; tries++) {
		if (fd < 0 && (fd = mi_open(hc)) < 0) {
			fs.err = errno;
			rc = FS_READ;
			break;
		}
		if (hc_read_fd(fd, &b) == 0)
			break;
		fs.err = errno;
		rc = FS_READ;
		close(fd);
		if (fd == mi.fd)
			mi.fd = -1;
		fd = -1;
	}
	if (rc == 0 || fd >= 0) {
		struct statfs sf;

		rc = 0;
		if (fd != mi.fd) {
			if (fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
				mi.fd = fd;
			else
				close(fd);
		}
		if (mountinfo_parse(hc, b.p ? b.p : "", b.len, m, n) < 0)
			rc = FS_PARSE;
	}
	buf_free(&b);
	return rc;
}

/* The table of this cycle in mi.m: read again only if it changed. */
static int mi_current(struct hc *hc)
{
	struct mount *m;
	size_t n;
	int rc;

	if (mi.fd >= 0 && !mi.stale && mi.m) {
		struct pollfd p = { mi.fd, POLLPRI, 0 };

		if (poll(&p, 1, 0) == 0)
			return 0;
	}
	rc = mi_load(hc, &m, &n);
	if (rc != 0) {
		mi_forget();
		return rc;
	}
	mounts_free(mi.m, mi.n);
	mi.m = m;
	mi.n = n;
	mi.stale = 0;
	return 0;
}

/*
 * A mount's statfs said its read-only flag changed (or differs from the
 * table just read): the superblock may have turned read-only behind the
 * namespace's back.  Reads the table now and takes its read-only flags
 * when it lists the same mounts; else the next cycle reads it whole.
 */
static void mi_refresh_ro(struct hc *hc)
{
	struct mount *m;
	size_t n, i;

	if (mi_load(hc, &m, &n) != 0) {
		mi.stale = 1;
		return;
	}
	if (n != mi.n)
		mi.stale = 1;
	for (i = 0; i < n && !mi.stale; i++)
		if (strcmp(m[i].mountpoint, mi.m[i].mountpoint) != 0 ||
		    strcmp(m[i].device, mi.m[i].device) != 0)
			mi.stale = 1;
	for (i = 0; i < n && !mi.stale; i++)
		mi.m[i].ro = m[i].ro;
	mounts_free(m, n);
}

/*
 * Ends a cycle.  With keep, its answered calls stay with their mounts:
 * the worker let go of them, so the next cycle queues them again with no
 * allocation.  The rest (timed out, or never waited for) are let go.
 */
static void fs_forget(int keep)
{
	size_t i;
	int locked = 0;

	keep = keep && fs.waited;
	for (i = 0; i < mi.n; i++)
		if (mi.m[i].job && !(keep && !mi.m[i].timedout)) {
			if (!locked) {
				pthread_mutex_lock(&pool_mu);
				locked = 1;
			}
			job_unref_locked(mi.m[i].job);
			mi.m[i].job = NULL;
		}
	if (locked)
		pthread_mutex_unlock(&pool_mu);
	fs.started = 0;
	fs.queued = 0;
	fs.waited = 0;
	fs.status = 0;
}

void filesystem_start(struct hc *hc)
{
	struct mount *m;
	size_t n, i;
	int any = 0;

	/* A start with no update after it (never in a normal cycle): its
	 * calls may still run. */
	if (fs.started)
		fs_forget(0);
	fs.started = 1;
	fs.status = mi_current(hc);
	if (fs.status)
		return;
	m = mi.m;
	n = mi.n;
	if (fs.njobs < n) {
		struct statjob **nj = realloc(fs.jobs, n * sizeof(*nj));

		if (!nj) {
			fs.status = FS_NOMEM;
			fs.err = ENOMEM;
			return;
		}
		fs.jobs = nj;
		fs.njobs = n;
	}
	/* Capped (at 31 years) so that a start plus it cannot overflow. */
	fs.timeout_ns = (hc->fs_mount_timeout_ms < 1000000000000LL ?
			 hc->fs_mount_timeout_ms : 1000000000000LL) * 1000000;
	memset(fs.jobs, 0, n * sizeof(*fs.jobs));
	/* Start every statfs first, so stuck mounts' timeouts overlap. */
	for (i = 0; i < n; i++) {
		long s;

		m[i].timedout = 0;
		m[i].skip = m[i].dup || m[i].ignored;
		if (m[i].skip)
			continue;
		s = nstuck ? stuck_find(m[i].mountpoint) : -1;
		if (s >= 0) {
			int done;

			pthread_mutex_lock(&pool_mu);
			done = stuck[s]->done;
			pthread_mutex_unlock(&pool_mu);
			if (!done) {
				m[i].timedout = 1;
				/* Its job went to stuck; none is kept. */
				continue;
			}
			log_debug("filesystem: mount point '%s' answers again",
				  m[i].mountpoint);
			stuck_remove((size_t)s);
		}
		if (!m[i].full)
			continue;
		if (m[i].job) {
			/* Last cycle's answered call, ours alone: reused. */
			m[i].job->refs = 2;
			m[i].job->done = 0;
			m[i].job->err = 0;
			m[i].job->start_ns = 0;
		} else {
			m[i].job = job_new(m[i].full, m[i].mountpoint);
		}
		if (!m[i].job) {
			fs.status = FS_NOMEM;
			fs.err = ENOMEM;
			goto out;
		}
		fs.jobs[i] = m[i].job;
		any = 1;
	}
	fs.queued_ns = clock_mono_ns();
	if (any && jobs_queue(fs.jobs, n) < 0) {
		fs.status = FS_THREAD;
		fs.err = errno;
		/* Never queued: the workers' references go too. */
		for (i = 0; i < n; i++)
			if (fs.jobs[i])
				job_release(fs.jobs[i]);
		goto out;
	}
	fs.queued = any;
out:
	if (fs.status == FS_NOMEM) {
		for (i = 0; i < n; i++)
			if (fs.jobs[i])
				job_release(fs.jobs[i]);
	}
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
		log_error("filesystem: cannot read '%s': %s", mi.path,
			  strerror(fs.err));
		goto out;
	case FS_PARSE:
		log_error("filesystem: malformed '%s'", mi.path);
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
	m = mi.m;
	n = mi.n;
	if (fs.queued &&
	    !jobs_wait(fs.jobs, n, fs.queued_ns, fs.timeout_ns,
		       fs.queued_ns + fs.timeout_ns)) {
		pthread_mutex_lock(&pool_mu);
		for (i = 0; i < n; i++)
			if (m[i].job && !m[i].job->done)
				m[i].timedout = 1;
		pthread_mutex_unlock(&pool_mu);
	}
	/* Every call not timed out is answered, and its worker let go. */
	fs.waited = 1;
	/* Read-only flags that statfs saw change: the table is read anew. */
	if (mi.fd >= 0) {
		int flip = 0;

		for (i = 0; i < n; i++) {
			struct statjob *j = m[i].job;
			int now;

			if (!j || m[i].timedout || j->err ||
			    !(j->st.f_flags & ST_VALID_FLAG))
				continue;
			now = (j->st.f_flags & ST_RDONLY) != 0;
			if (m[i].rdonly < 0 ? now != m[i].ro : now != m[i].rdonly)
				flip = 1;
			m[i].rdonly = now;
		}
		if (flip)
			mi_refresh_ro(hc);
	}
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
	fs_forget(1);
	return rc;
}

void filesystem_cleanup(void)
{
	fs_forget(0);
	mi_forget();
	free(fs.jobs);
	fs.jobs = NULL;
	fs.njobs = 0;
	while (nstuck > 0)
		stuck_remove(nstuck - 1);
	free(stuck);
	stuck = NULL;
}
