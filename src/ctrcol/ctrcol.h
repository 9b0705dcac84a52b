/* ctrcol.h: what ctrcol's parts share: one container's readings, Docker metadata, the pure parsers. */
#ifndef CTRCOL_H
#define CTRCOL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "docker.h"
#include "json.h"

/*
 * The scalar readings of one cgroup, by index; NaN means "not read" and
 * the series is left out (cAdvisor leaves out what it has not either).
 */
enum cs {
	CS_CPU_USAGE, CS_CPU_USER, CS_CPU_SYSTEM,
	CS_CFS_PERIODS, CS_CFS_THROTTLED, CS_CFS_THROTTLED_S,
	CS_MEM_USAGE, CS_MEM_MAX, CS_MEM_RSS, CS_MEM_CACHE, CS_MEM_SWAP,
	CS_MEM_MAPPED, CS_MEM_FAILCNT, CS_MEM_WS,
	CS_SPEC_MEM_LIMIT, CS_SPEC_MEM_RESERVATION, CS_SPEC_MEM_SWAP,
	CS_SPEC_CPU_QUOTA, CS_SPEC_CPU_PERIOD, CS_SPEC_CPU_SHARES,
	CS_PROCESSES, CS_THREADS, CS_THREADS_MAX,
	CS_START_TIME, CS_LAST_SEEN, CS_FS_USAGE,
	CS_N
};

/* /proc/PID/net/dev columns kept, in this order. */
enum { NET_RX_BYTES, NET_RX_PACKETS, NET_RX_ERRS, NET_RX_DROP,
       NET_TX_BYTES, NET_TX_PACKETS, NET_TX_ERRS, NET_TX_DROP, NET_N };
/* Block I/O per device. */
enum { IO_RBYTES, IO_WBYTES, IO_RIOS, IO_WIOS, IO_N };

#define CTR_IFNAME_MAX 32
#define CTR_MAX_IFACES 64
#define CTR_MAX_DEVS 64

struct ctr_net {
	char name[CTR_IFNAME_MAX];
	double v[NET_N];
};

struct ctr_io {
	unsigned major, minor;
	double v[IO_N];
};

struct ctr_stats {
	double v[CS_N];
	struct ctr_net net[CTR_MAX_IFACES];
	size_t nnet;
	struct ctr_io io[CTR_MAX_DEVS];
	size_t nio;
	char fs_device[64];	/* device of container_fs_usage_bytes */
};

void ctr_stats_clear(struct ctr_stats *s);

/*
 * Pure parsers of cgroup and /proc files (cgparse.c): they take the
 * file's bytes, never read past len, and return 0, or -1 when the file is
 * malformed or the key is absent.
 */
/* A "key value" line file (memory.stat, cpu.stat, cpuacct.stat,
 * memory.events): the value of key. */
int cg_kv(const char *p, size_t len, const char *key, uint64_t *v);
/* One number, or "max" (*v = UINT64_MAX), trailing newline allowed. */
int cg_u64(const char *p, size_t len, uint64_t *v);
/* The same for files that may hold -1 (cpu.cfs_quota_us): *v = -1. */
int cg_i64(const char *p, size_t len, int64_t *v);
/* cpu.max: "QUOTA PERIOD" or "max PERIOD" (quota -1). */
int cg_cpu_max(const char *p, size_t len, int64_t *quota, uint64_t *period);
/* Counts the non-empty lines (cgroup.procs, tasks); the first number in
 * *first (0 if none). */
int cg_count_lines(const char *p, size_t len, size_t *n, uint64_t *first);
/* blkio.*io_service_bytes* (ops 0: bytes) or *io_serviced* (ops 1) into
 * s->io, "MAJ:MIN Read N" lines; *nonzero says if any count was > 0. */
int cg_blkio(const char *p, size_t len, int ops, struct ctr_stats *s,
	     int *nonzero);
/* io.stat (cgroup v2): "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ...". */
int cg_iostat(const char *p, size_t len, struct ctr_stats *s);
/* /proc/PID/net/dev into s->net, leaving out lo, veth*, docker* as
 * cAdvisor does. */
int cg_netdev(const char *p, size_t len, struct ctr_stats *s);
/* cgroup v2 cpu.weight to the cpu.shares cAdvisor reports. */
uint64_t cg_weight_to_shares(uint64_t weight);

/*
 * The cgroup hierarchies (cgroup.c): v2 when SYSFS/fs/cgroup is the
 * unified mount, else the v1 controllers under it (cpu and cpuacct split
 * or joined).  An empty string is a controller that is not mounted.
 */
#define CG_PATH_MAX 4096

struct cgroot {
	int v2;
	char unified[CG_PATH_MAX];
	char cpu[CG_PATH_MAX], cpuacct[CG_PATH_MAX], memory[CG_PATH_MAX];
	char blkio[CG_PATH_MAX], pids[CG_PATH_MAX];
};

struct cgpaths {
	char **v;		/* "/", "/docker/ID", ... sorted, unique */
	size_t n, cap;
};

/* -1 (logged) when no cgroup hierarchy is found under sysfs. */
int cgroot_detect(struct cgroot *r, const char *sysfs);
/* Every cgroup below the roots (bounded in depth and number). */
int cg_list(const struct cgroot *r, struct cgpaths *out);
void cgpaths_free(struct cgpaths *p);
/*
 * The container ID a cgroup path names, copied to id; 0 if it names none.
 * Docker: cgroupfs ".../docker/ID", systemd ".../docker-ID.scope";
 * Podman: cgroupfs ".../libpod-ID" (under libpod_parent), systemd
 * ".../libpod-ID.scope" (machine.slice, or user.slice when rootless).
 */
int cg_container_id(const char *path, char id[DOCKER_ID_LEN + 1]);
/*
 * Reads the cgroup's files into s (cleared first) and the first process
 * in it into *pid (0 if none).  Returns -1 when the cgroup is gone (none
 * of its files could be read): the caller skips it.
 */
int cg_read(const struct cgroot *r, const char *path, struct ctr_stats *s,
	    long *pid);
/* The lowest modification time of the cgroup's directories (seconds). */
double cg_mtime(const struct cgroot *r, const char *path);

/*
 * Docker metadata of one container (dockjson.c parses the Engine API's
 * answers into it; docker.c keeps them cached across cycles).
 */
struct dmeta {
	char id[DOCKER_ID_LEN + 1];
	char *name;		/* without the leading '/' */
	char *image;		/* Config.Image, as cAdvisor reports it */
	char **labels;		/* name, value, name, value... */
	size_t nlabels;		/* pairs */
	double created;		/* seconds since the epoch, 0 unknown */
	long pid;		/* State.Pid */
	int host_net;		/* HostConfig.NetworkMode is "host" */
	char *upperdir;		/* GraphDriver.Data.UpperDir or NULL */
	int seen;		/* in the latest /containers/json */
};

void dmeta_free(struct dmeta *m);
/* /containers/ID/json into m (fields owned by m); -1 if malformed or
 * without Id. */
int docker_parse_inspect(struct json_doc *doc, const char *p, size_t len,
			 struct dmeta *m);

/* The Docker client with its cache (docker.c). */
struct docker;

struct docker *docker_new(const char *host);
void docker_free(struct docker *d);
/*
 * One refresh per cycle: /containers/json, then /containers/ID/json for
 * the IDs not cached yet; the answers wait at most 2 s each.  Returns 0,
 * or -1 when the engine did not answer (the cache is kept: its entries go
 * on naming containers whose cgroups still exist).  Warns once per outage.
 */
int docker_refresh(struct docker *d);
/* Cached metadata of a container, or NULL. */
const struct dmeta *docker_lookup(const struct docker *d, const char *id);

#endif
