/* filesystem.c: the filesystem collector (mountinfo, and statfs in a thread per mount with a deadline). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
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
 * A statfs(2) call handed to a worker thread.  Both the worker and the
 * caller hold a reference; the last to let go frees it, so a caller that
 * gave up on a stuck mount leaves the worker to finish (and free) it in
 * its own time.  Workers stay from cycle to cycle, waiting for jobs; a
 * new one starts only when more jobs wait than workers are idle (so a
 * worker stuck on a dead mount never holds up the others).
 */
struct statjob {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	int done;
	int err;
	struct statfs st;
	char path[PATH_MAX];
	char mountpoint[PATH_MAX];
	struct statjob *next;
};

#define POOL_MAX 64

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static struct statjob *queue_head, *queue_tail;
static size_t queued, idle, workers;

static void job_release(struct statjob *j)
{
	int last;

	pthread_mutex_lock(&j->mu);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->mu);
	if (last) {
		pthread_mutex_destroy(&j->mu);
		pthread_cond_destroy(&j->cv);
		free(j);
	}
}

static void *worker_run(void *arg)
{
	(void)arg;
	for (;;) {
		struct statjob *j;
		struct statfs st;
		int err;

		pthread_mutex_lock(&pool_mu);
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

		err = statfs(j->path, &st) < 0 ? errno : 0;
		pthread_mutex_lock(&j->mu);
		j->st = st;
		j->err = err;
		j->done = 1;
		pthread_cond_signal(&j->cv);
		pthread_mutex_unlock(&j->mu);
		job_release(j);
	}
	return NULL;
}

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

static struct statjob *job_start(const char *path, const char *mountpoint)
{
	struct statjob *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	j->refs = 2;
	hc_fmt(j->path, sizeof(j->path), "%s", path);
	hc_fmt(j->mountpoint, sizeof(j->mountpoint), "%s", mountpoint);
	pthread_mutex_lock(&pool_mu);
	if (queued + 1 > idle && workers < POOL_MAX && worker_start() < 0 &&
	    workers == 0) {
		pthread_mutex_unlock(&pool_mu);
		pthread_mutex_destroy(&j->mu);
		pthread_cond_destroy(&j->cv);
		free(j);
		return NULL;
	}
	if (queue_tail)
		queue_tail->next = j;
	else
		queue_head = j;
	queue_tail = j;
	queued++;
	pthread_cond_signal(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
	return j;
}

/* Waits until the absolute deadline; 1 if the job is done. */
static int job_wait(struct statjob *j, const struct timespec *deadline)
{
	int done;

	pthread_mutex_lock(&j->mu);
	while (!j->done)
		if (pthread_cond_timedwait(&j->cv, &j->mu, deadline) == ETIMEDOUT)
			break;
	done = j->done;
	pthread_mutex_unlock(&j->mu);
	return done;
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

void filesystem_cleanup(void)
{
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

int filesystem_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	struct mount *m = NULL;
	size_t n = 0, i;
	char path[PATH_MAX], err[256];
	struct timespec deadline;
	int rc = HC_FAIL;

	if (hc_path(path, sizeof(path), hc->procfs, "1/mountinfo") < 0)
		goto out;
	if (hc_read(path, &b) < 0) {
		if (errno == ENOENT &&
		    hc_path(path, sizeof(path), hc->procfs,
			    "self/mountinfo") == 0 &&
		    hc_read(path, &b) == 0)
			goto parse;
		log_error("filesystem: cannot read '%s': %s", path,
			  strerror(errno));
		goto out;
	}
parse:
	if (mountinfo_parse(hc, b.p ? b.p : "", b.len, &m, &n) < 0) {
		log_error("filesystem: malformed '%s'", path);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += hc->fs_mount_timeout_ms / 1000;
	deadline.tv_nsec += (hc->fs_mount_timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
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

			pthread_mutex_lock(&stuck[s]->mu);
			done = stuck[s]->done;
			pthread_mutex_unlock(&stuck[s]->mu);
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
		m[i].job = job_start(full, m[i].mountpoint);
		if (!m[i].job) {
			log_errno("filesystem: cannot start a thread");
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		struct statjob *j = m[i].job;
		const char *deverr = "";
		double ro = m[i].ro;

		if (m[i].skip)
			continue;
		if (!j && !m[i].timedout)
			continue;
		if (j && !job_wait(j, &deadline)) {
			log_debug("filesystem: mount point '%s' timed out",
				  m[i].mountpoint);
			if (stuck_add(j) < 0)
				job_release(j);
			m[i].job = NULL;
			m[i].timedout = 1;
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
	for (i = 0; i < n; i++)
		if (m[i].job)
			job_release(m[i].job);
	mounts_free(m, n);
	buf_free(&b);
	return rc;
}
