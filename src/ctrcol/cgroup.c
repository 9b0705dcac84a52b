/* cgroup.c: finds the cgroup hierarchies, lists the cgroups, and reads one cgroup's v1 or v2 files. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "ctrcol.h"
#include "log.h"
#include "obs.h"
#include "banned.h"

#define CG_FILE_MAX (4u * 1024 * 1024)
#define CG_MAX_DEPTH 32
#define CG_MAX_CGROUPS 16384

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* dst = base/name when that is a directory; the first of names found. */
static void find_ctl(char *dst, const char *base, const char *const *names)
{
	char p[CG_PATH_MAX];

	dst[0] = '\0';
	for (; *names; names++) {
		int n = snprintf(p, sizeof(p), "%s/%s", base, *names);

		if (n > 0 && (size_t)n < sizeof(p) && is_dir(p)) {
			memcpy(dst, p, (size_t)n + 1);
			return;
		}
	}
}

int cgroot_detect(struct cgroot *r, const char *sysfs)
{
	static const char *const cpu[] = { "cpu", "cpu,cpuacct",
					   "cpuacct,cpu", NULL };
	static const char *const cpuacct[] = { "cpuacct", "cpu,cpuacct",
					       "cpuacct,cpu", NULL };
	static const char *const memory[] = { "memory", NULL };
	static const char *const blkio[] = { "blkio", NULL };
	static const char *const pids[] = { "pids", NULL };
	char base[CG_PATH_MAX], probe[CG_PATH_MAX + 32];
	int n;

	memset(r, 0, sizeof(*r));
	n = snprintf(base, sizeof(base), "%s/fs/cgroup", sysfs);
	if (n < 0 || (size_t)n >= sizeof(base) - 64) {
		log_error("path too long '%s'", sysfs);
		return -1;
	}
	snprintf(probe, sizeof(probe), "%s/cgroup.controllers", base);
	if (exists(probe)) {
		r->v2 = 1;
		memcpy(r->unified, base, (size_t)n + 1);
		return 0;
	}
	find_ctl(r->cpu, base, cpu);
	find_ctl(r->cpuacct, base, cpuacct);
	find_ctl(r->memory, base, memory);
	find_ctl(r->blkio, base, blkio);
	find_ctl(r->pids, base, pids);
	if (!r->cpu[0] && !r->cpuacct[0] && !r->memory[0] && !r->blkio[0] &&
	    !r->pids[0]) {
		log_error("no cgroup hierarchy under '%s'", base);
		return -1;
	}
	return 0;
}

void cgpaths_free(struct cgpaths *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static int paths_add(struct cgpaths *p, const char *s)
{
	char *d;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 256;
		char **v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	d = strdup(s);
	if (!d)
		return -1;
	p->v[p->n++] = d;
	return 0;
}

/* Adds rel and the cgroups below root/rel; a directory that vanishes
 * while we walk is skipped. */
static int walk(const char *root, char *rel, size_t rlen, int depth,
		struct cgpaths *out)
{
	char full[CG_PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int rc = 0;

	if (out->n >= CG_MAX_CGROUPS)
		return 0;
	if (paths_add(out, rlen ? rel : "/") < 0)
		return -1;
	if (depth >= CG_MAX_DEPTH)
		return 0;
	if (snprintf(full, sizeof(full), "%s%s", root, rel) >=
	    (int)sizeof(full))
		return 0;
	dir = opendir(full);
	if (!dir)
		return 0;
	while (rc == 0 && (e = readdir(dir)) != NULL) {
		size_t nl = strlen(e->d_name);

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if (rlen + 1 + nl + 1 > CG_PATH_MAX)
			continue;
		rel[rlen] = '/';
		memcpy(rel + rlen + 1, e->d_name, nl + 1);
		rc = walk(root, rel, rlen + 1 + nl, depth + 1, out);
		rel[rlen] = '\0';
	}
	closedir(dir);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cg_list(const struct cgroot *r, struct cgpaths *out)
{
	const char *roots[5];
	char rel[CG_PATH_MAX];
	size_t nr = 0, i, j;

	for (i = 0; i < out->n; i++)
		free(out->v[i]);
	out->n = 0;
	if (r->v2) {
		roots[nr++] = r->unified;
	} else {
		const char *all[5] = { r->cpu, r->cpuacct, r->memory,
				       r->blkio, r->pids };

		/* joined controllers share one root: walk it once */
		for (i = 0; i < 5; i++) {
			if (!all[i][0])
				continue;
			for (j = 0; j < nr; j++)
				if (strcmp(roots[j], all[i]) == 0)
					break;
			if (j == nr)
				roots[nr++] = all[i];
		}
	}
	for (i = 0; i < nr; i++) {
		rel[0] = '\0';
		if (walk(roots[i], rel, 0, 0, out) < 0)
			return -1;
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	for (i = j = 0; i < out->n; i++) {
		if (j && strcmp(out->v[j - 1], out->v[i]) == 0)
			free(out->v[i]);
		else
			out->v[j++] = out->v[i];
	}
	out->n = j;
	return 0;
}

/* Is s (n bytes) PREFIX, a container ID, then SUFFIX?  The ID to id. */
static int id_between(const char *s, size_t n, const char *prefix,
		      const char *suffix, char id[DOCKER_ID_LEN + 1])
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (n != pl + DOCKER_ID_LEN + sl || strncmp(s, prefix, pl) != 0 ||
	    strcmp(s + pl + DOCKER_ID_LEN, suffix) != 0 ||
	    !docker_is_id(s + pl, DOCKER_ID_LEN))
		return 0;
	memcpy(id, s + pl, DOCKER_ID_LEN);
	id[DOCKER_ID_LEN] = '\0';
	return 1;
}

int cg_container_id(const char *path, char id[DOCKER_ID_LEN + 1])
{
	const char *last = strrchr(path, '/');
	size_t n;

	if (!last)
		return 0;
	last++;
	n = strlen(last);
	/* Docker's systemd driver, Podman's systemd and cgroupfs managers;
	 * Podman's libpod-conmon-ID.scope holds conmon, not the container,
	 * and fails the ID test */
	if (id_between(last, n, "docker-", ".scope", id) ||
	    id_between(last, n, "libpod-", ".scope", id) ||
	    id_between(last, n, "libpod-", "", id))
		return 1;
	/* Docker's cgroupfs driver: .../docker/ID */
	return last - path >= 8 && strncmp(last - 8, "/docker/", 8) == 0 &&
	       id_between(last, n, "", "", id);
}

/* Reads root/path/file; NULL when absent.  The caller frees. */
static char *rd(const char *root, const char *path, const char *file,
		size_t *len)
{
	char p[CG_PATH_MAX];
	char *s;
	int n;

	if (!root[0])
		return NULL;
	n = snprintf(p, sizeof(p), "%s%s/%s", root,
		     strcmp(path, "/") == 0 ? "" : path, file);
	if (n < 0 || (size_t)n >= sizeof(p))
		return NULL;
	if (file_read_all(p, CG_FILE_MAX, &s, len) < 0)
		return NULL;
	return s;
}

/* The readers below count the files they read in *found. */
struct rctx {
	const struct cgroot *r;
	const char *path;
	struct ctr_stats *s;
	int found;
};

static char *rdf(struct rctx *c, const char *root, const char *file,
		 size_t *len)
{
	char *s = rd(root, c->path, file, len);

	if (s)
		c->found++;
	return s;
}

static void set_u64(struct rctx *c, const char *root, const char *file,
		    int idx, double scale)
{
	size_t len;
	uint64_t v;
	char *s = rdf(c, root, file, &len);

	if (s && cg_u64(s, len, &v) == 0)
		c->s->v[idx] = v == UINT64_MAX ? 0 : (double)v * scale;
	free(s);
}

static void set_kv(struct rctx *c, const char *s, size_t len,
		   const char *key, int idx, double scale)
{
	uint64_t v;

	if (s && cg_kv(s, len, key, &v) == 0)
		c->s->v[idx] = (double)v * scale;
}

static void working_set(struct ctr_stats *s, const char *st, size_t len,
			const char *key)
{
	uint64_t inactive;
	double ws = s->v[CS_MEM_USAGE];

	if (isnan(ws))
		return;
	if (st && cg_kv(st, len, key, &inactive) == 0)
		ws = ws < (double)inactive ? 0 : ws - (double)inactive;
	s->v[CS_MEM_WS] = ws;
}

static void read_v1(struct rctx *c)
{
	const struct cgroot *r = c->r;
	struct ctr_stats *s = c->s;
	char *st;
	size_t len;
	int64_t quota;
	uint64_t hier = 0;
	const char *pre;
	char key[64];
	int nz;

	set_u64(c, r->cpuacct, "cpuacct.usage", CS_CPU_USAGE, 1e-9);
	st = rdf(c, r->cpuacct, "cpuacct.stat", &len);
	/* USER_HZ ticks, 100 per second on Linux */
	set_kv(c, st, len, "user", CS_CPU_USER, 0.01);
	set_kv(c, st, len, "system", CS_CPU_SYSTEM, 0.01);
	free(st);
	st = rdf(c, r->cpu, "cpu.stat", &len);
	set_kv(c, st, len, "nr_periods", CS_CFS_PERIODS, 1);
	set_kv(c, st, len, "nr_throttled", CS_CFS_THROTTLED, 1);
	set_kv(c, st, len, "throttled_time", CS_CFS_THROTTLED_S, 1e-9);
	free(st);
	set_u64(c, r->cpu, "cpu.shares", CS_SPEC_CPU_SHARES, 1);
	set_u64(c, r->cpu, "cpu.cfs_period_us", CS_SPEC_CPU_PERIOD, 1);
	st = rdf(c, r->cpu, "cpu.cfs_quota_us", &len);
	if (st && cg_i64(st, len, &quota) == 0 && quota > 0)
		s->v[CS_SPEC_CPU_QUOTA] = (double)quota;
	free(st);

	set_u64(c, r->memory, "memory.usage_in_bytes", CS_MEM_USAGE, 1);
	set_u64(c, r->memory, "memory.max_usage_in_bytes", CS_MEM_MAX, 1);
	set_u64(c, r->memory, "memory.failcnt", CS_MEM_FAILCNT, 1);
	set_u64(c, r->memory, "memory.limit_in_bytes", CS_SPEC_MEM_LIMIT, 1);
	set_u64(c, r->memory, "memory.soft_limit_in_bytes",
		CS_SPEC_MEM_RESERVATION, 1);
	set_u64(c, r->memory, "memory.memsw.limit_in_bytes", CS_SPEC_MEM_SWAP,
		1);
	st = rdf(c, r->memory, "memory.use_hierarchy", &len);
	if (st)
		(void)cg_u64(st, len, &hier);
	free(st);
	/* with use_hierarchy, the total_ counters include the children */
	pre = hier ? "total_" : "";
	st = rdf(c, r->memory, "memory.stat", &len);
	snprintf(key, sizeof(key), "%scache", pre);
	set_kv(c, st, len, key, CS_MEM_CACHE, 1);
	snprintf(key, sizeof(key), "%srss", pre);
	set_kv(c, st, len, key, CS_MEM_RSS, 1);
	snprintf(key, sizeof(key), "%sswap", pre);
	set_kv(c, st, len, key, CS_MEM_SWAP, 1);
	snprintf(key, sizeof(key), "%smapped_file", pre);
	set_kv(c, st, len, key, CS_MEM_MAPPED, 1);
	working_set(s, st, len, "total_inactive_file");
	free(st);

	/* the first non-empty of CFQ, BFQ and throttle statistics, as runc */
	{
		static const char *const bytes[] = {
			"blkio.io_service_bytes_recursive",
			"blkio.bfq.io_service_bytes_recursive",
			"blkio.throttle.io_service_bytes_recursive",
		};
		static const char *const ops[] = {
			"blkio.io_serviced_recursive",
			"blkio.bfq.io_serviced_recursive",
			"blkio.throttle.io_serviced_recursive",
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bytes); i++) {
			struct ctr_stats probe;

			st = rdf(c, r->blkio, bytes[i], &len);
			probe.nio = 0;
			nz = 0;
			if (st)
				(void)cg_blkio(st, len, 0, &probe, &nz);
			if (st && (nz || i == ARRAY_SIZE(bytes) - 1)) {
				s->nio = 0;
				(void)cg_blkio(st, len, 0, s, &nz);
				free(st);
				st = rdf(c, r->blkio, ops[i], &len);
				if (st)
					(void)cg_blkio(st, len, 1, s, &nz);
				free(st);
				break;
			}
			free(st);
		}
	}

	set_u64(c, r->pids, "pids.current", CS_THREADS, 1);
	set_u64(c, r->pids, "pids.max", CS_THREADS_MAX, 1);
}

static void read_v2(struct rctx *c)
{
	const char *u = c->r->unified;
	struct ctr_stats *s = c->s;
	char *st;
	size_t len;
	int64_t quota;
	uint64_t period, w, swap;

	st = rdf(c, u, "cpu.stat", &len);
	set_kv(c, st, len, "usage_usec", CS_CPU_USAGE, 1e-6);
	set_kv(c, st, len, "user_usec", CS_CPU_USER, 1e-6);
	set_kv(c, st, len, "system_usec", CS_CPU_SYSTEM, 1e-6);
	set_kv(c, st, len, "nr_periods", CS_CFS_PERIODS, 1);
	set_kv(c, st, len, "nr_throttled", CS_CFS_THROTTLED, 1);
	set_kv(c, st, len, "throttled_usec", CS_CFS_THROTTLED_S, 1e-6);
	free(st);
	st = rdf(c, u, "cpu.max", &len);
	if (st && cg_cpu_max(st, len, &quota, &period) == 0) {
		s->v[CS_SPEC_CPU_PERIOD] = (double)period;
		if (quota > 0)
			s->v[CS_SPEC_CPU_QUOTA] = (double)quota;
	}
	free(st);
	st = rdf(c, u, "cpu.weight", &len);
	if (st && cg_u64(st, len, &w) == 0 && cg_weight_to_shares(w))
		s->v[CS_SPEC_CPU_SHARES] = (double)cg_weight_to_shares(w);
	free(st);

	set_u64(c, u, "memory.current", CS_MEM_USAGE, 1);
	set_u64(c, u, "memory.peak", CS_MEM_MAX, 1);
	set_u64(c, u, "memory.max", CS_SPEC_MEM_LIMIT, 1);
	set_u64(c, u, "memory.low", CS_SPEC_MEM_RESERVATION, 1);
	set_u64(c, u, "memory.swap.max", CS_SPEC_MEM_SWAP, 1);
	st = rdf(c, u, "memory.swap.current", &len);
	if (st && cg_u64(st, len, &swap) == 0)
		s->v[CS_MEM_SWAP] = (double)swap;
	free(st);
	st = rdf(c, u, "memory.events", &len);
	set_kv(c, st, len, "max", CS_MEM_FAILCNT, 1);
	free(st);
	st = rdf(c, u, "memory.stat", &len);
	set_kv(c, st, len, "file", CS_MEM_CACHE, 1);
	set_kv(c, st, len, "anon", CS_MEM_RSS, 1);
	set_kv(c, st, len, "file_mapped", CS_MEM_MAPPED, 1);
	working_set(s, st, len, "inactive_file");
	free(st);

	st = rdf(c, u, "io.stat", &len);
	if (st)
		(void)cg_iostat(st, len, s);
	free(st);

	set_u64(c, u, "pids.current", CS_THREADS, 1);
	set_u64(c, u, "pids.max", CS_THREADS_MAX, 1);
}

int cg_read(const struct cgroot *r, const char *path, struct ctr_stats *s,
	    long *pid)
{
	struct rctx c = { r, path, s, 0 };
	const char *procs_root;
	char *st;
	size_t len, n;
	uint64_t first;

	ctr_stats_clear(s);
	*pid = 0;
	if (r->v2)
		read_v2(&c);
	else
		read_v1(&c);
	if (!c.found)
		return -1;
	procs_root = r->v2 ? r->unified : r->pids[0] ? r->pids : r->cpu;
	st = rd(procs_root, path, "cgroup.procs", &len);
	if (st && cg_count_lines(st, len, &n, &first) == 0) {
		s->v[CS_PROCESSES] = (double)n;
		*pid = (long)first;
	}
	free(st);
	return 0;
}

double cg_mtime(const struct cgroot *r, const char *path)
{
	const char *roots[6] = { r->unified, r->cpu, r->cpuacct, r->memory,
				 r->blkio, r->pids };
	char p[CG_PATH_MAX];
	struct stat st;
	double best = 0;
	size_t i;

	for (i = 0; i < 6; i++) {
		if (!roots[i][0])
			continue;
		if (snprintf(p, sizeof(p), "%s%s", roots[i],
			     strcmp(path, "/") == 0 ? "" : path) >=
		    (int)sizeof(p))
			continue;
		if (stat(p, &st) < 0)
			continue;
		if (best == 0 || (double)st.st_mtime < best)
			best = (double)st.st_mtime;
	}
	return best;
}
