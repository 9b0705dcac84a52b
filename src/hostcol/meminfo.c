/* meminfo.c: the meminfo, vmstat and loadavg collectors (/proc/meminfo, /proc/vmstat, /proc/loadavg). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/*
 * node_exporter 1.12 exports the /proc/meminfo fields procfs knows, by
 * their kernel name with "(anon)" turned into "_anon" and "_bytes" added;
 * the HugePages_ counts keep their name.
 */
static const struct {
	const char *key;	/* as in /proc/meminfo, without ':' */
	const char *metric;	/* after node_memory_ */
} meminfo_fields[] = {
	{ "Active", "Active_bytes" },
	{ "Active(anon)", "Active_anon_bytes" },
	{ "Active(file)", "Active_file_bytes" },
	{ "AnonHugePages", "AnonHugePages_bytes" },
	{ "AnonPages", "AnonPages_bytes" },
	{ "Bounce", "Bounce_bytes" },
	{ "Buffers", "Buffers_bytes" },
	{ "Cached", "Cached_bytes" },
	{ "CmaFree", "CmaFree_bytes" },
	{ "CmaTotal", "CmaTotal_bytes" },
	{ "CommitLimit", "CommitLimit_bytes" },
	{ "Committed_AS", "Committed_AS_bytes" },
	{ "DirectMap1G", "DirectMap1G_bytes" },
	{ "DirectMap2M", "DirectMap2M_bytes" },
	{ "DirectMap4k", "DirectMap4k_bytes" },
	{ "Dirty", "Dirty_bytes" },
	{ "HardwareCorrupted", "HardwareCorrupted_bytes" },
	{ "Hugepagesize", "Hugepagesize_bytes" },
	{ "Inactive", "Inactive_bytes" },
	{ "Inactive(anon)", "Inactive_anon_bytes" },
	{ "Inactive(file)", "Inactive_file_bytes" },
	{ "KernelStack", "KernelStack_bytes" },
	{ "Mapped", "Mapped_bytes" },
	{ "MemAvailable", "MemAvailable_bytes" },
	{ "MemFree", "MemFree_bytes" },
	{ "MemTotal", "MemTotal_bytes" },
	{ "Mlocked", "Mlocked_bytes" },
	{ "NFS_Unstable", "NFS_Unstable_bytes" },
	{ "PageTables", "PageTables_bytes" },
	{ "Percpu", "Percpu_bytes" },
	{ "SReclaimable", "SReclaimable_bytes" },
	{ "SUnreclaim", "SUnreclaim_bytes" },
	{ "Shmem", "Shmem_bytes" },
	{ "ShmemHugePages", "ShmemHugePages_bytes" },
	{ "ShmemPmdMapped", "ShmemPmdMapped_bytes" },
	{ "Slab", "Slab_bytes" },
	{ "SwapCached", "SwapCached_bytes" },
	{ "SwapFree", "SwapFree_bytes" },
	{ "SwapTotal", "SwapTotal_bytes" },
	{ "Unevictable", "Unevictable_bytes" },
	{ "VmallocChunk", "VmallocChunk_bytes" },
	{ "VmallocTotal", "VmallocTotal_bytes" },
	{ "VmallocUsed", "VmallocUsed_bytes" },
	{ "Writeback", "Writeback_bytes" },
	{ "WritebackTmp", "WritebackTmp_bytes" },
	{ "Zswap", "Zswap_bytes" },
	{ "Zswapped", "Zswapped_bytes" },
	{ "HugePages_Free", "HugePages_Free" },
	{ "HugePages_Rsvd", "HugePages_Rsvd" },
	{ "HugePages_Surp", "HugePages_Surp" },
	{ "HugePages_Total", "HugePages_Total" },
};

#define MEMINFO_NFIELDS (sizeof(meminfo_fields) / sizeof(meminfo_fields[0]))
#define MEMINFO_HINTS 128

/* The field each line matched last time: /proc/meminfo keeps its order,
 * so a line is checked against one name, not searched for. */
static unsigned char meminfo_hint[MEMINFO_HINTS];

static int meminfo_key_is(size_t i, const struct field *f)
{
	const char *k = meminfo_fields[i].key;

	return k[0] == f->p[0] && strlen(k) == f->n - 1 &&
	       memcmp(k, f->p, f->n - 1) == 0;
}

int meminfo_parse(const char *p, size_t len, struct out *o)
{
	const char *line;
	size_t llen, pos = 0, i, lineno = 0;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[4];
		size_t nf = hc_fields(line, llen, f, 4);
		uint64_t val;
		double bytes;

		if (nf == 0)
			continue;
		if (nf < 2 || nf > 3 || f[0].n < 2 || f[0].p[f[0].n - 1] != ':')
			return -1;
		if (hc_field_u64(&f[1], &val) < 0)
			return -1;
		bytes = (double)val;
		if (nf == 3) {
			if (f[2].n != 2 || memcmp(f[2].p, "kB", 2) != 0)
				return -1;
			bytes = 1024.0 * (double)val;
		}
		i = lineno < MEMINFO_HINTS ? meminfo_hint[lineno] : 0;
		if (i >= MEMINFO_NFIELDS || !meminfo_key_is(i, &f[0])) {
			for (i = 0; i < MEMINFO_NFIELDS; i++)
				if (meminfo_key_is(i, &f[0]))
					break;
			if (lineno < MEMINFO_HINTS)
				meminfo_hint[lineno] = (unsigned char)
					(i < MEMINFO_NFIELDS ? i : 255);
		}
		lineno++;
		if (i < MEMINFO_NFIELDS) {
			const char *k = meminfo_fields[i].key;
			const char *m = meminfo_fields[i].metric;
			char name[128], help[128];

			/* The HugePages_ counts are not in bytes: the value
			 * as it stands. */
			if (strncmp(k, "HugePages_", 10) == 0)
				bytes = (double)val;
			hc_join3(name, sizeof(name), "node_memory_", m,
				 strlen(m), "");
			hc_join3(help, sizeof(help), "Memory information field ",
				 m, strlen(m), ".");
			if (out_add(o, name, help, OUT_GAUGE, bytes, NULL) < 0)
				return -1;
		}
	}
	return 0;
}

int meminfo_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_OK;

	if (hc_path(path, sizeof(path), hc->procfs, "meminfo") < 0 ||
	    hc_read_whole(path, &b) < 0) {
		log_error("meminfo: cannot read '%s': %s", path, strerror(errno));
		buf_free(&b);
		return HC_FAIL;
	}
	if (meminfo_parse(b.p ? b.p : "", b.len, o) < 0) {
		log_error("meminfo: malformed '%s'", path);
		rc = HC_FAIL;
	}
	buf_free(&b);
	return rc;
}

int vmstat_init(struct hc *hc)
{
	return regex_compile(&hc->vmstat_re, "--collector.vmstat.fields",
			     hc->vmstat_fields);
}

/* The answers of --collector.vmstat.fields, name by name. */
static struct seqmatch vmstat_names = SEQMATCH_INIT;

void vmstat_cleanup(void)
{
	seqmatch_free(&vmstat_names);
}

int vmstat_parse(const char *p, size_t len, void *re, struct out *o)
{
	const char *line;
	size_t llen, pos = 0;
	int rc = 0;

	seqmatch_begin(&vmstat_names, re);
	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[3];
		size_t nf = hc_fields(line, llen, f, 3);
		char name[256], help[256];
		double v;

		if (nf < 2 || hc_field_f64(&f[1], &v) < 0 || f[0].n > 200) {
			rc = -1;
			break;
		}
		if (re && !seqmatch_match(&vmstat_names, f[0].p, f[0].n))
			continue;
		hc_join3(name, sizeof(name), "node_vmstat_", f[0].p, f[0].n, "");
		hc_join3(help, sizeof(help), "/proc/vmstat information field ",
			 f[0].p, f[0].n, ".");
		if (out_add(o, name, help, OUT_UNTYPED, v, NULL) < 0) {
			rc = -1;
			break;
		}
	}
	seqmatch_end(&vmstat_names);
	return rc;
}

int vmstat_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_OK;

	if (hc_path(path, sizeof(path), hc->procfs, "vmstat") < 0 ||
	    hc_read(path, &b) < 0) {
		log_error("vmstat: cannot read '%s': %s", path, strerror(errno));
		buf_free(&b);
		return HC_FAIL;
	}
	if (vmstat_parse(b.p ? b.p : "", b.len, hc->vmstat_re, o) < 0) {
		log_error("vmstat: malformed '%s'", path);
		rc = HC_FAIL;
	}
	buf_free(&b);
	return rc;
}

int loadavg_parse(const char *p, size_t len, double load[3])
{
	struct field f[3];
	size_t i;

	if (hc_fields(p, len, f, 3) < 3)
		return -1;
	for (i = 0; i < 3; i++)
		if (hc_field_f64(&f[i], &load[i]) < 0)
			return -1;
	return 0;
}

int loadavg_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	char path[PATH_MAX];
	double load[3];
	int rc = HC_FAIL;

	if (hc_path(path, sizeof(path), hc->procfs, "loadavg") < 0 ||
	    hc_read_whole(path, &b) < 0) {
		log_error("loadavg: cannot read '%s': %s", path, strerror(errno));
	} else if (loadavg_parse(b.p ? b.p : "", b.len, load) < 0) {
		log_error("loadavg: malformed '%s'", path);
	} else if (out_add(o, "node_load1", "1m load average.", OUT_GAUGE,
			   load[0], NULL) == 0 &&
		   out_add(o, "node_load5", "5m load average.", OUT_GAUGE,
			   load[1], NULL) == 0 &&
		   out_add(o, "node_load15", "15m load average.", OUT_GAUGE,
			   load[2], NULL) == 0) {
		rc = HC_OK;
	}
	buf_free(&b);
	return rc;
}
