/* kernel.c: the small /proc collectors: entropy, filefd, conntrack and schedstat. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

static int proc_u64(struct hc *hc, const char *rel, uint64_t *v)
{
	char path[PATH_MAX];

	if (hc_path(path, sizeof(path), hc->procfs, rel) < 0)
		return -1;
	return hc_read_u64(path, v);
}

int entropy_update(struct hc *hc, struct out *o)
{
	uint64_t avail, pool;

	if (proc_u64(hc, "sys/kernel/random/entropy_avail", &avail) < 0) {
		log_error("entropy: couldn't get entropy_avail: %s",
			  strerror(errno));
		return HC_FAIL;
	}
	if (out_add(o, "node_entropy_available_bits",
		    "Bits of available entropy.", OUT_GAUGE, (double)avail,
		    NULL) < 0)
		return HC_FAIL;
	if (proc_u64(hc, "sys/kernel/random/poolsize", &pool) < 0) {
		log_error("entropy: couldn't get entropy poolsize: %s",
			  strerror(errno));
		return HC_FAIL;
	}
	if (out_add(o, "node_entropy_pool_size_bits", "Bits of entropy pool.",
		    OUT_GAUGE, (double)pool, NULL) < 0)
		return HC_FAIL;
	return HC_OK;
}

/* /proc/sys/fs/file-nr: allocated, free (always 0), maximum, tab-separated. */
int filefd_parse(const char *p, size_t len, double *allocated, double *maximum)
{
	const char *t1, *t2;
	size_t s = 0, e = len;

	while (s < e && (p[s] == ' ' || p[s] == '\n' || p[s] == '\t'))
		s++;
	while (e > s && (p[e - 1] == ' ' || p[e - 1] == '\n' || p[e - 1] == '\t'))
		e--;
	t1 = memchr(p + s, '\t', e - s);
	if (!t1)
		return -1;
	t2 = memchr(t1 + 1, '\t', (size_t)(p + e - t1 - 1));
	if (!t2)
		return -1;
	if (hc_parse_f64(p + s, (size_t)(t1 - p - s), allocated) < 0)
		return -1;
	{
		/* Only up to a further tab, as a split would cut it. */
		const char *t3 = memchr(t2 + 1, '\t', (size_t)(p + e - t2 - 1));
		const char *end = t3 ? t3 : p + e;

		if (hc_parse_f64(t2 + 1, (size_t)(end - t2 - 1), maximum) < 0)
			return -1;
	}
	return 0;
}

int filefd_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	char path[PATH_MAX];
	double a, m;
	int rc = HC_FAIL;

	if (hc_path(path, sizeof(path), hc->procfs, "sys/fs/file-nr") < 0 ||
	    hc_read(path, &b) < 0) {
		log_error("filefd: couldn't get file-nr: %s", strerror(errno));
	} else if (filefd_parse(b.p ? b.p : "", b.len, &a, &m) < 0) {
		log_error("filefd: malformed '%s'", path);
	} else if (out_add(o, "node_filefd_allocated",
			   "File descriptor statistics: allocated.", OUT_GAUGE,
			   a, NULL) == 0 &&
		   out_add(o, "node_filefd_maximum",
			   "File descriptor statistics: maximum.", OUT_GAUGE, m,
			   NULL) == 0) {
		rc = HC_OK;
	}
	buf_free(&b);
	return rc;
}

/* Sums the per-CPU lines of /proc/net/stat/nf_conntrack (hexadecimal). */
int conntrack_stat_parse(const char *p, size_t len, uint64_t sum[17])
{
	const char *line;
	size_t llen, pos = 0, i;
	int first = 1;

	memset(sum, 0, 17 * sizeof(sum[0]));
	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[18];
		size_t nf;

		if (first) {
			first = 0;	/* the header */
			continue;
		}
		nf = hc_fields(line, llen, f, 18);
		if (nf < 16 || nf > 17)
			return -1;
		for (i = 0; i < nf; i++) {
			uint64_t v = 0;
			size_t k;

			if (f[i].n == 0 || f[i].n > 16)
				return -1;
			for (k = 0; k < f[i].n; k++) {
				char c = f[i].p[k];
				int d;

				if (c >= '0' && c <= '9')
					d = c - '0';
				else if (c >= 'a' && c <= 'f')
					d = c - 'a' + 10;
				else if (c >= 'A' && c <= 'F')
					d = c - 'A' + 10;
				else
					return -1;
				v = v * 16 + (uint64_t)d;
			}
			/* Field 16 is search_restart, absent before 2.6.35. */
			sum[i] += v;
		}
	}
	return 0;
}

int conntrack_update(struct hc *hc, struct out *o)
{
	static const struct {
		int idx;
		const char *name, *help;
	} st[] = {
		{ 2, "node_nf_conntrack_stat_found",
		  "Number of searched entries which were successful." },
		{ 4, "node_nf_conntrack_stat_invalid",
		  "Number of packets seen which can not be tracked." },
		{ 5, "node_nf_conntrack_stat_ignore",
		  "Number of packets seen which are already connected to a conntrack entry." },
		{ 8, "node_nf_conntrack_stat_insert",
		  "Number of entries inserted into the list." },
		{ 9, "node_nf_conntrack_stat_insert_failed",
		  "Number of entries for which list insertion was attempted but failed." },
		{ 10, "node_nf_conntrack_stat_drop",
		  "Number of packets dropped due to conntrack failure." },
		{ 11, "node_nf_conntrack_stat_early_drop",
		  "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached." },
		{ 16, "node_nf_conntrack_stat_search_restart",
		  "Number of conntrack table lookups which had to be restarted due to hashtable resizes." },
	};
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	uint64_t count, max, sum[17];
	size_t i;
	int rc = HC_FAIL;

	if (proc_u64(hc, "sys/net/netfilter/nf_conntrack_count", &count) < 0)
		return errno == ENOENT ? HC_NODATA : HC_FAIL;
	if (out_add(o, "node_nf_conntrack_entries",
		    "Number of currently allocated flow entries for connection tracking.",
		    OUT_GAUGE, (double)count, NULL) < 0)
		return HC_FAIL;
	if (proc_u64(hc, "sys/net/netfilter/nf_conntrack_max", &max) < 0)
		return errno == ENOENT ? HC_NODATA : HC_FAIL;
	if (out_add(o, "node_nf_conntrack_entries_limit",
		    "Maximum size of connection tracking table.", OUT_GAUGE,
		    (double)max, NULL) < 0)
		return HC_FAIL;
	if (hc_path(path, sizeof(path), hc->procfs, "net/stat/nf_conntrack") < 0)
		goto out;
	if (hc_read(path, &b) < 0) {
		rc = errno == ENOENT ? HC_NODATA : HC_FAIL;
		goto out;
	}
	if (conntrack_stat_parse(b.p ? b.p : "", b.len, sum) < 0) {
		log_error("conntrack: malformed '%s'", path);
		goto out;
	}
	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		if (out_add(o, st[i].name, st[i].help, OUT_GAUGE,
			    (double)sum[st[i].idx], NULL) < 0)
			goto out;
	rc = HC_OK;
out:
	buf_free(&b);
	return rc;
}

/* /proc/schedstat "cpuN" lines: fields 7, 8 and 9 after the name. */
int schedstat_parse(const char *p, size_t len, struct out *o)
{
	const char *line;
	size_t llen, pos = 0, i;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[10];
		uint64_t v[9];
		char cpu[32];
		int ok = 1;

		if (hc_fields(line, llen, f, 10) < 10 || f[0].n < 4 ||
		    f[0].n > 20 || memcmp(f[0].p, "cpu", 3) != 0)
			continue;
		for (i = 3; i < f[0].n; i++)
			if (f[0].p[i] < '0' || f[0].p[i] > '9')
				ok = 0;
		for (i = 0; i < 9 && ok; i++)
			if (hc_field_u64(&f[i + 1], &v[i]) < 0)
				ok = 0;
		if (!ok)
			continue;
		hc_fmt(cpu, sizeof(cpu), "%.*s", (int)f[0].n - 3, f[0].p + 3);
		if (out_add(o, "node_schedstat_running_seconds_total",
			    "Number of seconds CPU spent running a process.",
			    OUT_COUNTER, (double)v[6] / 1e9, "cpu", cpu, NULL) < 0 ||
		    out_add(o, "node_schedstat_waiting_seconds_total",
			    "Number of seconds spent by processing waiting for this CPU.",
			    OUT_COUNTER, (double)v[7] / 1e9, "cpu", cpu, NULL) < 0 ||
		    out_add(o, "node_schedstat_timeslices_total",
			    "Number of timeslices executed by CPU.", OUT_COUNTER,
			    (double)v[8], "cpu", cpu, NULL) < 0)
			return -1;
	}
	return 0;
}

int schedstat_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_OK;

	if (hc_path(path, sizeof(path), hc->procfs, "schedstat") < 0 ||
	    hc_read(path, &b) < 0) {
		rc = errno == ENOENT ? HC_NODATA : HC_FAIL;
		if (rc == HC_FAIL)
			log_error("schedstat: cannot read '%s': %s", path,
				  strerror(errno));
	} else if (schedstat_parse(b.p ? b.p : "", b.len, o) < 0) {
		rc = HC_FAIL;
	}
	buf_free(&b);
	return rc;
}

static int hex32(const struct field *f, uint64_t *v)
{
	size_t k;

	*v = 0;
	if (f->n == 0 || f->n > 8)
		return -1;
	for (k = 0; k < f->n; k++) {
		char c = f->p[k];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v * 16 + (uint64_t)d;
	}
	return 0;
}

/*
 * /proc/net/softnet_stat: one line of hexadecimal columns per CPU; 9 on
 * old kernels, then received_rps (10), flow_limit_count (11), backlog
 * length and the CPU's number (13, Linux 5.14).
 */
int softnet_parse(const char *p, size_t len, struct out *o)
{
	const char *line;
	size_t llen, pos = 0, i, index = 0;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[16];
		size_t nf = hc_fields(line, llen, f, 16);
		uint64_t v[13] = { 0 };
		char cpu[24];

		if (nf < 9)
			return -1;
		for (i = 0; i < nf && i < 13; i++)
			if (hex32(&f[i], &v[i]) < 0)
				return -1;
		if (nf < 13)
			v[12] = index;
		if (nf < 11)
			v[10] = 0;
		if (nf < 10)
			v[9] = 0;
		if (nf < 12)
			v[11] = 0;
		hc_fmt(cpu, sizeof(cpu), "%llu", (unsigned long long)v[12]);
		if (out_add(o, "node_softnet_processed_total",
			    "Number of processed packets", OUT_COUNTER,
			    (double)v[0], "cpu", cpu, NULL) < 0 ||
		    out_add(o, "node_softnet_dropped_total",
			    "Number of dropped packets", OUT_COUNTER,
			    (double)v[1], "cpu", cpu, NULL) < 0 ||
		    out_add(o, "node_softnet_times_squeezed_total",
			    "Number of times processing packets ran out of quota",
			    OUT_COUNTER, (double)v[2], "cpu", cpu, NULL) < 0 ||
		    out_add(o, "node_softnet_cpu_collision_total",
			    "Number of collision occur while obtaining device lock while transmitting",
			    OUT_COUNTER, (double)v[8], "cpu", cpu, NULL) < 0 ||
		    out_add(o, "node_softnet_received_rps_total",
			    "Number of times cpu woken up received_rps",
			    OUT_COUNTER, (double)v[9], "cpu", cpu, NULL) < 0 ||
		    out_add(o, "node_softnet_flow_limit_count_total",
			    "Number of times flow limit has been reached",
			    OUT_COUNTER, (double)v[10], "cpu", cpu, NULL) < 0 ||
		    out_add(o, "node_softnet_backlog_len",
			    "Softnet backlog status", OUT_GAUGE,
			    nf >= 13 ? (double)v[11] : 0.0, "cpu", cpu,
			    NULL) < 0)
			return -1;
		index++;
	}
	return 0;
}

int softnet_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_OK;

	if (hc_path(path, sizeof(path), hc->procfs, "net/softnet_stat") < 0 ||
	    hc_read(path, &b) < 0) {
		log_error("softnet: could not get softnet statistics: %s",
			  strerror(errno));
		rc = HC_FAIL;
	} else if (softnet_parse(b.p ? b.p : "", b.len, o) < 0) {
		log_error("softnet: malformed '%s'", path);
		rc = HC_FAIL;
	}
	buf_free(&b);
	return rc;
}

int kernel_hung_update(struct hc *hc, struct out *o)
{
	uint64_t n;

	if (proc_u64(hc, "sys/kernel/hung_task_detect_count", &n) < 0) {
		if (errno == ENOENT)
			return HC_NODATA;
		log_error("kernel_hung: cannot read hung_task_detect_count: %s",
			  strerror(errno));
		return HC_FAIL;
	}
	if (out_add(o, "node_kernel_hung_tasks_total",
		    "Total number of tasks that have been detected as hung "
		    "since the system booted.", OUT_COUNTER, (double)n,
		    NULL) < 0)
		return HC_FAIL;
	return HC_OK;
}
