/* main.c: ctrcol, per-container metrics in the line format, as cAdvisor names them. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "args.h"
#include "atomicfile.h"
#include "clock.h"
#include "ctrcol.h"
#include "http.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "sig.h"
#include "stats.h"
#include "value.h"
#include "banned.h"

#define SERIES_ARENA_MAX (512u * 1024 * 1024)
#define DU_MAX_ENTRIES 1000000

struct opts {
	const char *procfs, *sysfs, *rootfs, *docker_host, *stats_file;
	int docker_only, store_labels, disk_usage, no_docker;
	char **whitelist;
	size_t nwhitelist;
};

/* One cgroup of this cycle. */
struct ctr {
	struct labels ls;	/* id, name, image, container_label_* */
	struct ctr_stats st;
};

/* The series written in a cycle, to mark the vanished ones stale. */
struct series {
	struct buf arena;	/* "name{labels}\0" ... */
	size_t *off;
	size_t n, cap;
};

struct run {
	struct opts o;
	struct cgroot root;
	struct cgpaths paths;
	struct docker *docker;
	struct ctr *c;
	size_t n, cap;
	double machine_cores, machine_mem;
	char host_netns[64];
	struct series cur, prev;
	struct buf line;
	struct labels scratch;
	struct lineio_writer w;
	int looping;
	/* --stats-file */
	unsigned long cycles, docker_errors;
	double cycle_seconds;
};

/* What a family's samples come from. */
enum kind { K_SCALAR, K_CPU, K_NET, K_IO, K_FS, K_MACHINE_CORES,
	    K_MACHINE_MEM };

struct family {
	const char *name;
	const char *type;
	const char *help;
	enum kind kind;
	int idx;
};

/* Sorted by name, as a Prometheus registry writes them. */
static const struct family families[] = {
	{ "container_cpu_cfs_periods_total", "counter",
	  "Number of elapsed enforcement period intervals.", K_SCALAR,
	  CS_CFS_PERIODS },
	{ "container_cpu_cfs_throttled_periods_total", "counter",
	  "Number of throttled period intervals.", K_SCALAR,
	  CS_CFS_THROTTLED },
	{ "container_cpu_cfs_throttled_seconds_total", "counter",
	  "Total time duration the container has been throttled.", K_SCALAR,
	  CS_CFS_THROTTLED_S },
	{ "container_cpu_system_seconds_total", "counter",
	  "Cumulative system cpu time consumed in seconds.", K_SCALAR,
	  CS_CPU_SYSTEM },
	{ "container_cpu_usage_seconds_total", "counter",
	  "Cumulative cpu time consumed in seconds.", K_CPU, CS_CPU_USAGE },
	{ "container_cpu_user_seconds_total", "counter",
	  "Cumulative user cpu time consumed in seconds.", K_SCALAR,
	  CS_CPU_USER },
	{ "container_fs_reads_bytes_total", "counter",
	  "Cumulative count of bytes read", K_IO, IO_RBYTES },
	{ "container_fs_reads_total", "counter",
	  "Cumulative count of reads completed", K_IO, IO_RIOS },
	{ "container_fs_usage_bytes", "gauge",
	  "Number of bytes that are consumed by the container on this filesystem.",
	  K_FS, CS_FS_USAGE },
	{ "container_fs_writes_bytes_total", "counter",
	  "Cumulative count of bytes written", K_IO, IO_WBYTES },
	{ "container_fs_writes_total", "counter",
	  "Cumulative count of writes completed", K_IO, IO_WIOS },
	{ "container_last_seen", "gauge",
	  "Last time a container was seen by the exporter", K_SCALAR,
	  CS_LAST_SEEN },
	{ "container_memory_cache", "gauge",
	  "Number of bytes of page cache memory.", K_SCALAR, CS_MEM_CACHE },
	{ "container_memory_failcnt", "counter",
	  "Number of memory usage hits limits", K_SCALAR, CS_MEM_FAILCNT },
	{ "container_memory_mapped_file", "gauge",
	  "Size of memory mapped files in bytes.", K_SCALAR, CS_MEM_MAPPED },
	{ "container_memory_max_usage_bytes", "gauge",
	  "Maximum memory usage recorded in bytes", K_SCALAR, CS_MEM_MAX },
	{ "container_memory_rss", "gauge", "Size of RSS in bytes.", K_SCALAR,
	  CS_MEM_RSS },
	{ "container_memory_swap", "gauge", "Container swap usage in bytes.",
	  K_SCALAR, CS_MEM_SWAP },
	{ "container_memory_usage_bytes", "gauge",
	  "Current memory usage in bytes, including all memory regardless of when it was accessed",
	  K_SCALAR, CS_MEM_USAGE },
	{ "container_memory_working_set_bytes", "gauge",
	  "Current working set in bytes.", K_SCALAR, CS_MEM_WS },
	{ "container_network_receive_bytes_total", "counter",
	  "Cumulative count of bytes received", K_NET, NET_RX_BYTES },
	{ "container_network_receive_errors_total", "counter",
	  "Cumulative count of errors encountered while receiving", K_NET,
	  NET_RX_ERRS },
	{ "container_network_receive_packets_dropped_total", "counter",
	  "Cumulative count of packets dropped while receiving", K_NET,
	  NET_RX_DROP },
	{ "container_network_receive_packets_total", "counter",
	  "Cumulative count of packets received", K_NET, NET_RX_PACKETS },
	{ "container_network_transmit_bytes_total", "counter",
	  "Cumulative count of bytes transmitted", K_NET, NET_TX_BYTES },
	{ "container_network_transmit_errors_total", "counter",
	  "Cumulative count of errors encountered while transmitting", K_NET,
	  NET_TX_ERRS },
	{ "container_network_transmit_packets_dropped_total", "counter",
	  "Cumulative count of packets dropped while transmitting", K_NET,
	  NET_TX_DROP },
	{ "container_network_transmit_packets_total", "counter",
	  "Cumulative count of packets transmitted", K_NET, NET_TX_PACKETS },
	{ "container_processes", "gauge",
	  "Number of processes running inside the container.", K_SCALAR,
	  CS_PROCESSES },
	{ "container_spec_cpu_period", "gauge", "CPU period of the container.",
	  K_SCALAR, CS_SPEC_CPU_PERIOD },
	{ "container_spec_cpu_quota", "gauge", "CPU quota of the container.",
	  K_SCALAR, CS_SPEC_CPU_QUOTA },
	{ "container_spec_cpu_shares", "gauge", "CPU share of the container.",
	  K_SCALAR, CS_SPEC_CPU_SHARES },
	{ "container_spec_memory_limit_bytes", "gauge",
	  "Memory limit for the container.", K_SCALAR, CS_SPEC_MEM_LIMIT },
	{ "container_spec_memory_reservation_limit_bytes", "gauge",
	  "Memory reservation limit for the container.", K_SCALAR,
	  CS_SPEC_MEM_RESERVATION },
	{ "container_spec_memory_swap_limit_bytes", "gauge",
	  "Memory swap limit for the container.", K_SCALAR, CS_SPEC_MEM_SWAP },
	{ "container_start_time_seconds", "gauge",
	  "Start time of the container since unix epoch in seconds.", K_SCALAR,
	  CS_START_TIME },
	{ "container_threads", "gauge",
	  "Number of threads running inside the container", K_SCALAR,
	  CS_THREADS },
	{ "container_threads_max", "gauge",
	  "Maximum number of threads allowed inside the container, infinity if value is zero",
	  K_SCALAR, CS_THREADS_MAX },
	{ "machine_cpu_cores", "gauge", "Number of logical CPU cores.",
	  K_MACHINE_CORES, 0 },
	{ "machine_memory_bytes", "gauge",
	  "Amount of memory installed on the machine.", K_MACHINE_MEM, 0 },
};

static const char usage_text[] =
	"usage: ctrcol [-hv] [--version] [--disk-usage] [--docker-host URL]\n"
	"              [--docker-only] [--interval DUR] [--no-docker]\n"
	"              [--no-store-container-labels] [--path.procfs DIR]\n"
	"              [--path.rootfs DIR] [--path.sysfs DIR] [--stats-file PATH]\n"
	"              [--whitelisted-container-labels LIST]\n";

/* --- paths and small files ----------------------------------------------- */

static int path_join(char *dst, size_t size, const char *root,
		     const char *rel)
{
	int n = snprintf(dst, size, "%s%s%s", strcmp(root, "/") ? root : "",
			 rel[0] == '/' ? "" : "/", rel);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* /dev/NAME of a block device from its sysfs uevent, cached. */
static const char *dev_name(const struct opts *o, unsigned maj, unsigned min)
{
	static struct {
		unsigned maj, min;
		char name[64];
	} cache[64];
	static size_t ncache;
	char p[CG_PATH_MAX], rel[64], *s, *dn, *nl;
	size_t i, len;

	for (i = 0; i < ncache; i++)
		if (cache[i].maj == maj && cache[i].min == min)
			return cache[i].name;
	snprintf(rel, sizeof(rel), "dev/block/%u:%u/uevent", maj, min);
	if (ncache == ARRAY_SIZE(cache))
		ncache = 0;
	cache[ncache].maj = maj;
	cache[ncache].min = min;
	cache[ncache].name[0] = '\0';
	if (path_join(p, sizeof(p), o->sysfs, rel) == 0 &&
	    file_read_all(p, 65536, &s, &len) == 0) {
		dn = strstr(s, "DEVNAME=");
		if (dn) {
			dn += 8;
			nl = strchr(dn, '\n');
			if (nl)
				*nl = '\0';
			snprintf(cache[ncache].name, sizeof(cache[0].name),
				 "/dev/%s", dn);
		}
		free(s);
	}
	return cache[ncache++].name;
}

static void netns_of(const struct opts *o, long pid, char *dst, size_t size)
{
	char p[CG_PATH_MAX], rel[64];
	ssize_t n;

	dst[0] = '\0';
	snprintf(rel, sizeof(rel), "%ld/ns/net", pid);
	if (path_join(p, sizeof(p), o->procfs, rel) < 0)
		return;
	n = readlink(p, dst, size - 1);
	dst[n > 0 ? n : 0] = '\0';
}

static void read_net(struct run *r, long pid, struct ctr_stats *st)
{
	char p[CG_PATH_MAX], rel[64], *s;
	size_t len;

	snprintf(rel, sizeof(rel), "%ld/net/dev", pid);
	if (path_join(p, sizeof(p), r->o.procfs, rel) < 0 ||
	    file_read_all(p, 1u << 20, &s, &len) < 0)
		return;
	if (cg_netdev(s, len, st) < 0)
		st->nnet = 0;
	free(s);
}

static void read_machine(struct run *r)
{
	char p[CG_PATH_MAX], *s, *q;
	size_t len, cores = 0;
	uint64_t kb;

	r->machine_cores = NAN;
	r->machine_mem = NAN;
	if (path_join(p, sizeof(p), r->o.procfs, "cpuinfo") == 0 &&
	    file_read_all(p, 16u << 20, &s, &len) == 0) {
		for (q = s; (q = strstr(q, "processor")) != NULL; q += 9)
			if ((q == s || q[-1] == '\n') &&
			    (q[9] == '\t' || q[9] == ' ' || q[9] == ':'))
				cores++;
		if (cores)
			r->machine_cores = (double)cores;
		free(s);
	}
	if (path_join(p, sizeof(p), r->o.procfs, "meminfo") == 0 &&
	    file_read_all(p, 1u << 20, &s, &len) == 0) {
		if (cg_kv(s, len, "MemTotal:", &kb) == 0)
			r->machine_mem = (double)kb * 1024;
		free(s);
	}
}

/* --disk-usage: the bytes under the container's writable layer. */
static double du_total;
static size_t du_entries;

static int du_visit(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)path, (void)flag, (void)ftw;
	du_total += (double)st->st_blocks * 512;
	return ++du_entries > DU_MAX_ENTRIES;
}

static void disk_usage(struct run *r, const char *upperdir,
		       struct ctr_stats *st)
{
	char p[CG_PATH_MAX];
	struct stat sb;

	if (path_join(p, sizeof(p), r->o.rootfs, upperdir) < 0 ||
	    stat(p, &sb) < 0)
		return;
	du_total = 0;
	du_entries = 0;
	if (nftw(p, du_visit, 16, FTW_PHYS | FTW_MOUNT) < 0)
		return;
	st->v[CS_FS_USAGE] = du_total;
	snprintf(st->fs_device, sizeof(st->fs_device), "%s",
		 dev_name(&r->o, major(sb.st_dev), minor(sb.st_dev)));
}

/* --- labels ---------------------------------------------------------------- */

static int add_label(struct labels *ls, const char *name, const char *value)
{
	return labels_set(ls, name, strlen(name), value, strlen(value));
}

static int whitelisted(const struct opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nwhitelist; i++)
		if (strcmp(o->whitelist[i], name) == 0)
			return 1;
	return 0;
}

/* id, name, image and the Docker labels as container_label_<sanitized>. */
static int container_labels(struct run *r, struct ctr *c, const char *path,
			    const struct dmeta *m)
{
	struct buf b = BUF_INIT(4096);
	size_t i, j, start;
	int rc = 0;

	labels_reset(&c->ls);
	rc |= add_label(&c->ls, "id", path);
	if (!m)
		return rc;
	rc |= add_label(&c->ls, "name", m->name ? m->name : "");
	rc |= add_label(&c->ls, "image", m->image ? m->image : "");
	for (i = 0; i < m->nlabels && rc == 0; i++) {
		const char *k = m->labels[2 * i];

		if (!r->o.store_labels && !whitelisted(&r->o, k))
			continue;
		buf_reset(&b);
		rc |= buf_addstr(&b, "container_label_");
		start = b.len;
		rc |= buf_addstr(&b, k);
		if (rc)
			break;
		for (j = start; j < b.len; j++) {
			char ch = b.p[j];

			if (!((ch >= 'a' && ch <= 'z') ||
			      (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '_'))
				b.p[j] = '_';
		}
		rc |= labels_set(&c->ls, b.p, b.len, m->labels[2 * i + 1],
				 strlen(m->labels[2 * i + 1]));
	}
	buf_free(&b);
	return rc;
}

/* --- one cycle ----------------------------------------------------------- */

static struct ctr *next_ctr(struct run *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64, i;
		struct ctr *v = realloc(r->c, cap * sizeof(*v));

		if (!v)
			return NULL;
		for (i = r->cap; i < cap; i++)
			labels_init(&v[i].ls);
		r->c = v;
		r->cap = cap;
	}
	return &r->c[r->n];
}

/* Reads one cgroup; 0 also when it vanished (skipped), -1 on ENOMEM. */
static int collect_one(struct run *r, const char *path, double now)
{
	char id[DOCKER_ID_LEN + 1], ns[64];
	const struct dmeta *m = NULL;
	struct ctr *c;
	long pid;
	int is_ctr = cg_container_id(path, id);

	if (r->o.docker_only && !is_ctr)
		return 0;
	c = next_ctr(r);
	if (!c)
		return -1;
	if (cg_read(&r->root, path, &c->st, &pid) < 0) {
		log_debug("cgroup '%s' vanished", path);
		return 0;
	}
	if (is_ctr)
		m = docker_lookup(r->docker, id);
	c->st.v[CS_LAST_SEEN] = now;
	c->st.v[CS_START_TIME] = m && m->created > 0 ?
		m->created : cg_mtime(&r->root, path);
	if (strcmp(path, "/") == 0) {
		read_net(r, 1, &c->st);
	} else if (pid > 0 && !(m && m->host_net)) {
		netns_of(&r->o, pid, ns, sizeof(ns));
		if (ns[0] && strcmp(ns, r->host_netns) != 0)
			read_net(r, pid, &c->st);
	}
	if (r->o.disk_usage && m && m->upperdir)
		disk_usage(r, m->upperdir, &c->st);
	if (container_labels(r, c, path, m) < 0)
		return -1;
	r->n++;
	return 0;
}

static int series_add(struct series *s, const char *p, size_t n)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		size_t *v = realloc(s->off, cap * sizeof(*v));

		if (!v)
			return -1;
		s->off = v;
		s->cap = cap;
	}
	s->off[s->n] = s->arena.len;
	if (buf_add(&s->arena, p, n) < 0 || buf_addch(&s->arena, '\0') < 0)
		return -1;
	s->n++;
	return 0;
}

static const char *sort_base;

static int cmp_off(const void *a, const void *b)
{
	return strcmp(sort_base + *(const size_t *)a,
		      sort_base + *(const size_t *)b);
}

static int cmp_key(const void *key, const void *b)
{
	return strcmp(key, sort_base + *(const size_t *)b);
}

/* Writes one sample: name{labels of c, plus extra="value"} v ts. */
static int emit(struct run *r, const struct family *f, int *meta_done,
		const struct labels *base, const char *extra,
		const char *extra_v, double v, int64_t ts)
{
	char num[VALUE_FMT_MAX];
	size_t serieslen;

	if (isnan(v))
		return 0;
	if (!*meta_done) {
		if (lineio_write_meta(&r->w, META_HELP, f->name, f->help) < 0 ||
		    lineio_write_meta(&r->w, META_TYPE, f->name, f->type) < 0)
			return -1;
		*meta_done = 1;
	}
	labels_reset(&r->scratch);
	if ((base && labels_copy(&r->scratch, base) < 0) ||
	    add_label(&r->scratch, LABELS_NAME, f->name) < 0 ||
	    (extra && add_label(&r->scratch, extra, extra_v) < 0))
		return -1;
	buf_reset(&r->line);
	if (labels_format(&r->line, &r->scratch, 1, 0) < 0)
		return -1;
	serieslen = r->line.len;
	value_format(v, num);
	if (buf_addf(&r->line, " %s %lld", num, (long long)ts) < 0)
		return -1;
	if (r->looping && series_add(&r->cur, r->line.p, serieslen) < 0)
		return -1;
	return lineio_write_raw(&r->w, r->line.p, r->line.len);
}

static int emit_family(struct run *r, const struct family *f, int64_t ts)
{
	int meta = 0, rc = 0;
	size_t i, k;
	char dev[32];

	if (f->kind == K_MACHINE_CORES)
		return emit(r, f, &meta, NULL, NULL, NULL, r->machine_cores,
			    ts);
	if (f->kind == K_MACHINE_MEM)
		return emit(r, f, &meta, NULL, NULL, NULL, r->machine_mem, ts);
	for (i = 0; i < r->n && rc == 0; i++) {
		struct ctr *c = &r->c[i];

		switch (f->kind) {
		case K_SCALAR:
			rc = emit(r, f, &meta, &c->ls, NULL, NULL,
				  c->st.v[f->idx], ts);
			break;
		case K_CPU:
			rc = emit(r, f, &meta, &c->ls, "cpu", "total",
				  c->st.v[f->idx], ts);
			break;
		case K_FS:
			rc = emit(r, f, &meta, &c->ls, "device",
				  c->st.fs_device, c->st.v[f->idx], ts);
			break;
		case K_NET:
			for (k = 0; k < c->st.nnet && rc == 0; k++)
				rc = emit(r, f, &meta, &c->ls, "interface",
					  c->st.net[k].name,
					  c->st.net[k].v[f->idx], ts);
			break;
		case K_IO:
			for (k = 0; k < c->st.nio && rc == 0; k++) {
				const char *dn = dev_name(&r->o,
							  c->st.io[k].major,
							  c->st.io[k].minor);

				if (!dn[0]) {
					snprintf(dev, sizeof(dev), "%u:%u",
						 c->st.io[k].major,
						 c->st.io[k].minor);
					dn = dev;
				}
				rc = emit(r, f, &meta, &c->ls, "device", dn,
					  c->st.io[k].v[f->idx], ts);
			}
			break;
		default:
			break;
		}
	}
	return rc;
}

/* In a loop, the series of the last cycle that did not come again get
 * Prometheus' staleness marker, so a vanished container's lines end. */
static int emit_stale(struct run *r, int64_t ts)
{
	struct series t;
	size_t i;

	sort_base = r->cur.arena.p;
	if (r->cur.n)
		qsort(r->cur.off, r->cur.n, sizeof(*r->cur.off), cmp_off);
	for (i = 0; i < r->prev.n; i++) {
		const char *s = r->prev.arena.p + r->prev.off[i];

		if (r->cur.n && bsearch(s, r->cur.off, r->cur.n,
					sizeof(*r->cur.off), cmp_key))
			continue;
		buf_reset(&r->line);
		if (buf_addf(&r->line, "%s stale %lld", s, (long long)ts) < 0 ||
		    lineio_write_raw(&r->w, r->line.p, r->line.len) < 0)
			return -1;
	}
	t = r->prev;
	r->prev = r->cur;
	r->cur = t;
	r->cur.n = 0;
	buf_reset(&r->cur.arena);
	return 0;
}

/* The program's own counters, for hostcol's textfile collector. */
static void write_stats(struct run *r)
{
	struct buf b = BUF_INIT(1u << 20);
	int rc;

	rc = stats_add(&b, "obs_ctrcol_cycles_total", "counter",
		       "Collection cycles completed.", "", (double)r->cycles);
	rc |= stats_add(&b, "obs_ctrcol_lines_out_total", "counter",
			"Lines written to standard output.", "",
			(double)r->w.lines);
	rc |= stats_add(&b, "obs_ctrcol_cgroups", "gauge",
			"Cgroups reported in the last cycle.", "",
			(double)r->n);
	rc |= stats_add(&b, "obs_ctrcol_docker_errors_total", "counter",
			"Cycles in which the Docker Engine API did not answer.",
			"", (double)r->docker_errors);
	rc |= stats_add(&b, "obs_ctrcol_cycle_duration_seconds", "gauge",
			"Duration of the last cycle.", "", r->cycle_seconds);
	if (rc < 0 || stats_write(r->o.stats_file, &b) < 0)
		log_errno("cannot write '%s'", r->o.stats_file);
	buf_free(&b);
}

static int cycle(struct run *r)
{
	int64_t ts = clock_ms();
	size_t i;

	if (r->docker && docker_refresh(r->docker) < 0)
		r->docker_errors++;
	read_machine(r);
	netns_of(&r->o, 1, r->host_netns, sizeof(r->host_netns));
	if (cg_list(&r->root, &r->paths) < 0) {
		log_errno("cannot list the cgroups");
		return -1;
	}
	r->n = 0;
	for (i = 0; i < r->paths.n; i++)
		if (collect_one(r, r->paths.v[i], (double)ts / 1000) < 0) {
			log_errno("cannot hold the samples");
			return -1;
		}
	for (i = 0; i < ARRAY_SIZE(families); i++)
		if (emit_family(r, &families[i], ts) < 0)
			goto fail;
	if (r->looping && emit_stale(r, ts) < 0)
		goto fail;
	if (lineio_flush(&r->w) < 0)
		goto fail;
	return 0;
fail:
	log_errno("cannot write 'stdout'");
	return -1;
}

/* --- options ------------------------------------------------------------- */

enum {
	OPT_VERSION = 1000, OPT_DISK_USAGE, OPT_DOCKER_HOST, OPT_DOCKER_ONLY,
	OPT_INTERVAL, OPT_NO_DOCKER, OPT_NO_STORE, OPT_PROCFS, OPT_ROOTFS,
	OPT_STATS, OPT_STORE, OPT_SYSFS, OPT_WHITELIST,
};

static const struct option longopts[] = {
	{ "disk-usage", no_argument, NULL, OPT_DISK_USAGE },
	{ "docker-host", required_argument, NULL, OPT_DOCKER_HOST },
	{ "docker-only", no_argument, NULL, OPT_DOCKER_ONLY },
	{ "help", no_argument, NULL, 'h' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "no-docker", no_argument, NULL, OPT_NO_DOCKER },
	{ "no-store-container-labels", no_argument, NULL, OPT_NO_STORE },
	{ "path.procfs", required_argument, NULL, OPT_PROCFS },
	{ "path.rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "path.sysfs", required_argument, NULL, OPT_SYSFS },
	{ "stats-file", required_argument, NULL, OPT_STATS },
	{ "store-container-labels", no_argument, NULL, OPT_STORE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "whitelisted-container-labels", required_argument, NULL,
	  OPT_WHITELIST },
	{ NULL, 0, NULL, 0 },
};

/* Splits a comma-separated list of label names (empty items dropped). */
static int split_list(const char *s, char ***out, size_t *n)
{
	const char *p = s, *comma;
	char **v;

	for (;;) {
		size_t len;

		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len) {
			v = realloc(*out, (*n + 1) * sizeof(*v));
			if (!v)
				return -1;
			*out = v;
			v[*n] = strndup(p, len);
			if (!v[*n])
				return -1;
			(*n)++;
		}
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static void run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->cap; i++)
		labels_free(&r->c[i].ls);
	free(r->c);
	cgpaths_free(&r->paths);
	docker_free(r->docker);
	buf_free(&r->cur.arena);
	buf_free(&r->prev.arena);
	free(r->cur.off);
	free(r->prev.off);
	buf_free(&r->line);
	labels_free(&r->scratch);
	lineio_writer_free(&r->w);
	for (i = 0; i < r->o.nwhitelist; i++)
		free(r->o.whitelist[i]);
	free(r->o.whitelist);
}

int main(int argc, char **argv)
{
	static struct run r;
	const char *p, *env;
	int64_t interval = 0;
	int ch, status = EXIT_OK;

	p = strrchr(argv[0], '/');
	log_init(p ? p + 1 : argv[0]);

	r.o.procfs = "/proc";
	r.o.sysfs = "/sys";
	r.o.rootfs = "/";
	env = getenv("DOCKER_HOST");
	r.o.docker_host = env && *env ? env : "unix:///var/run/docker.sock";
	r.o.store_labels = 1;
	while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'v':
			log_set_verbose(1);
			break;
		case OPT_VERSION:
			obs_print_version();
			return EXIT_OK;
		case OPT_DISK_USAGE:
			r.o.disk_usage = 1;
			break;
		case OPT_DOCKER_HOST:
			r.o.docker_host = optarg;
			break;
		case OPT_DOCKER_ONLY:
			r.o.docker_only = 1;
			break;
		case OPT_INTERVAL:
			if (args_duration("--interval", optarg, 1,
					  &interval) < 0)
				return EXIT_CONFIG;
			break;
		case OPT_NO_DOCKER:
			r.o.no_docker = 1;
			break;
		case OPT_NO_STORE:
			r.o.store_labels = 0;
			break;
		case OPT_PROCFS:
			r.o.procfs = optarg;
			break;
		case OPT_ROOTFS:
			r.o.rootfs = optarg;
			break;
		case OPT_STATS:
			r.o.stats_file = optarg;
			break;
		case OPT_STORE:
			r.o.store_labels = 1;
			break;
		case OPT_SYSFS:
			r.o.sysfs = optarg;
			break;
		case OPT_WHITELIST:
			if (split_list(optarg, &r.o.whitelist,
				       &r.o.nwhitelist) < 0) {
				log_errno("cannot start");
				return EXIT_RUNTIME;
			}
			break;
		default:
			fputs(usage_text, stderr);
			return EXIT_CONFIG;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0) {
		fputs(usage_text, stderr);
		return EXIT_CONFIG;
	}
	(void)argv;
	if (cgroot_detect(&r.root, r.o.sysfs) < 0)
		return EXIT_CONFIG;
	if (http_global_init() < 0)
		return EXIT_RUNTIME;
	if (!r.o.no_docker) {
		r.docker = docker_new(r.o.docker_host);
		if (!r.docker)
			return errno == EINVAL ? EXIT_CONFIG : EXIT_RUNTIME;
	}
	if (sig_init() < 0) {
		log_errno("cannot install signal handlers");
		return EXIT_RUNTIME;
	}
	r.looping = interval > 0;
	buf_init(&r.cur.arena, SERIES_ARENA_MAX);
	buf_init(&r.prev.arena, SERIES_ARENA_MAX);
	buf_init(&r.line, OBS_LINE_MAX);
	labels_init(&r.scratch);
	lineio_writer_init(&r.w, STDOUT_FILENO, "stdout");
	for (;;) {
		int64_t start = clock_mono_ms(), left;

		if (cycle(&r) < 0) {
			status = EXIT_RUNTIME;
			break;
		}
		r.cycles++;
		r.cycle_seconds = (double)(clock_mono_ms() - start) / 1000;
		if (r.o.stats_file)
			write_stats(&r);
		if (!interval)
			break;
		while (!sig_stop && (left = start + interval -
				     clock_mono_ms()) > 0)
			clock_sleep_ms(left);
		if (sig_stop)
			break;
	}
	run_free(&r);
	http_global_cleanup();
	return status;
}
