/* nfsd.c: the nfsd collector (the NFS server's counts in /proc/net/rpc/nfsd). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/* What node_exporter reports of each procN line: value index, method. */
struct nfsd_proc {
	unsigned idx;
	const char *method;
};

static const struct nfsd_proc nfsd_v2[] = {
	{ 2, "GetAttr" }, { 3, "SetAttr" }, { 4, "Root" }, { 5, "Lookup" },
	{ 6, "ReadLink" }, { 7, "Read" }, { 8, "WrCache" }, { 9, "Write" },
	{ 10, "Create" }, { 11, "Remove" }, { 12, "Rename" }, { 13, "Link" },
	{ 14, "SymLink" }, { 15, "MkDir" }, { 16, "RmDir" },
	{ 17, "ReadDir" }, { 18, "FsStat" },
};
static const struct nfsd_proc nfsd_v3[] = {
	{ 2, "GetAttr" }, { 3, "SetAttr" }, { 4, "Lookup" }, { 5, "Access" },
	{ 6, "ReadLink" }, { 7, "Read" }, { 8, "Write" }, { 9, "Create" },
	{ 10, "MkDir" }, { 11, "SymLink" }, { 12, "MkNod" }, { 13, "Remove" },
	{ 14, "RmDir" }, { 15, "Rename" }, { 16, "Link" }, { 17, "ReadDir" },
	{ 18, "ReadDirPlus" }, { 19, "FsStat" }, { 20, "FsInfo" },
	{ 21, "PathConf" }, { 22, "Commit" },
};
static const struct nfsd_proc nfsd_v4[] = {
	{ 4, "Access" }, { 5, "Close" }, { 6, "Commit" }, { 7, "Create" },
	{ 8, "DelegPurge" }, { 9, "DelegReturn" }, { 10, "GetAttr" },
	{ 11, "GetFH" }, { 12, "Link" }, { 13, "Lock" }, { 14, "Lockt" },
	{ 15, "Locku" }, { 16, "Lookup" }, { 17, "LookupRoot" },
	{ 18, "Nverify" }, { 19, "Open" }, { 20, "OpenAttr" },
	{ 21, "OpenConfirm" }, { 22, "OpenDgrd" }, { 23, "PutFH" },
	{ 26, "Read" }, { 27, "ReadDir" }, { 28, "ReadLink" },
	{ 29, "Remove" }, { 30, "Rename" }, { 31, "Renew" },
	{ 32, "RestoreFH" }, { 33, "SaveFH" }, { 34, "SecInfo" },
	{ 35, "SetAttr" }, { 36, "SetClientID" },
	{ 37, "SetClientIDConfirm" }, { 38, "Verify" }, { 39, "Write" },
	{ 40, "RelLockOwner" },
};
#define NP(a) (sizeof(a) / sizeof(a[0]))

static int nfsd_req(struct out *o, const char *proto,
		    const struct nfsd_proc *t, size_t n, const uint64_t *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (out_add(o, "node_nfsd_requests_total",
			    "Total number NFSd Requests by method and protocol.",
			    OUT_COUNTER, (double)v[t[i].idx], "method",
			    t[i].method, "proto", proto, NULL) < 0)
			return -1;
	return 0;
}

static int nfsd_one(struct out *o, const char *name, const char *help,
		    enum out_type type, uint64_t v, const char *label,
		    const char *value)
{
	if (label)
		return out_add(o, name, help, type, (double)v, label, value,
			       NULL);
	return out_add(o, name, help, type, (double)v, NULL);
}

int nfsd_parse(const char *p, size_t len, struct out *o)
{
	/* Each line's values; a procN line keeps its count at [0]. */
	uint64_t rc_[3] = { 0 }, fh[5] = { 0 }, io[2] = { 0 }, th[2] = { 0 };
	uint64_t ra[12] = { 0 }, net[4] = { 0 }, rpc[5] = { 0 };
	uint64_t v2[19] = { 0 }, v3[23] = { 0 }, v4[41] = { 0 }, wdeleg = 0;
	uint64_t v[NFS_MAX_VALUES];
	const char *line;
	size_t llen, pos = 0, n;
	int rc;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[3], key;
		size_t nf = hc_fields(line, llen, f, 3);

		if (nf >= 1 && nfs_key_is(&f[0], "th")) {
			/* Only the first two values; the rest are floats. */
			if (nf < 3 || hc_field_u64(&f[1], &th[0]) < 0 ||
			    hc_field_u64(&f[2], &th[1]) < 0)
				return -1;
			continue;
		}
		if (nfs_values(line, llen, &key, v, NFS_MAX_VALUES, &n) < 0)
			return -1;
#define TAKE(arr)                                        \
	do {                                             \
		if (n != NP(arr))                        \
			return -1;                       \
		memcpy(arr, v, sizeof(arr));             \
	} while (0)
		if (nfs_key_is(&key, "rc"))
			TAKE(rc_);
		else if (nfs_key_is(&key, "fh"))
			TAKE(fh);
		else if (nfs_key_is(&key, "io"))
			TAKE(io);
		else if (nfs_key_is(&key, "ra"))
			TAKE(ra);
		else if (nfs_key_is(&key, "net"))
			TAKE(net);
		else if (nfs_key_is(&key, "rpc"))
			TAKE(rpc);
#undef TAKE
		else if (nfs_key_is(&key, "proc2")) {
			if (!nfs_proc_ok(v, n, 18))
				return -1;
			memcpy(v2, v, sizeof(v2));
		} else if (nfs_key_is(&key, "proc3")) {
			if (!nfs_proc_ok(v, n, 22))
				return -1;
			memcpy(v3, v, sizeof(v3));
		} else if (nfs_key_is(&key, "proc4")) {
			if (!nfs_proc_ok(v, n, 2) || n != 3)
				return -1;
		} else if (nfs_key_is(&key, "proc4ops")) {
			if (!nfs_proc_ok(v, n, 39))
				return -1;
			memset(v4, 0, sizeof(v4));
			memcpy(v4, v, (n < 41 ? n : 41) * sizeof(v4[0]));
		} else if (nfs_key_is(&key, "wdeleg_getattr")) {
			wdeleg = v[0];
		} else {
			return -1;
		}
	}
	rc = nfsd_one(o, "node_nfsd_reply_cache_hits_total",
		      "Total number of NFSd Reply Cache hits (client lost server response).",
		      OUT_COUNTER, rc_[0], NULL, NULL);
	rc |= nfsd_one(o, "node_nfsd_reply_cache_misses_total",
		       "Total number of NFSd Reply Cache an operation that requires caching (idempotent).",
		       OUT_COUNTER, rc_[1], NULL, NULL);
	rc |= nfsd_one(o, "node_nfsd_reply_cache_nocache_total",
		       "Total number of NFSd Reply Cache non-idempotent operations (rename/delete/\xe2\x80\xa6).",
		       OUT_COUNTER, rc_[2], NULL, NULL);
	rc |= nfsd_one(o, "node_nfsd_file_handles_stale_total",
		       "Total number of NFSd stale file handles", OUT_COUNTER,
		       fh[0], NULL, NULL);
	rc |= nfsd_one(o, "node_nfsd_disk_bytes_read_total",
		       "Total NFSd bytes read.", OUT_COUNTER, io[0], NULL, NULL);
	rc |= nfsd_one(o, "node_nfsd_disk_bytes_written_total",
		       "Total NFSd bytes written.", OUT_COUNTER, io[1], NULL,
		       NULL);
	rc |= nfsd_one(o, "node_nfsd_server_threads",
		       "Total number of NFSd kernel threads that are running.",
		       OUT_GAUGE, th[0], NULL, NULL);
	rc |= nfsd_one(o, "node_nfsd_read_ahead_cache_size_blocks",
		       "How large the read ahead cache is in blocks.", OUT_GAUGE,
		       ra[0], NULL, NULL);
	rc |= nfsd_one(o, "node_nfsd_read_ahead_cache_not_found_total",
		       "Total number of NFSd read ahead cache not found.",
		       OUT_COUNTER, ra[11], NULL, NULL);
	rc |= nfsd_one(o, "node_nfsd_packets_total",
		       "Total NFSd network packets (sent+received) by protocol type.",
		       OUT_COUNTER, net[1], "proto", "udp");
	rc |= nfsd_one(o, "node_nfsd_packets_total",
		       "Total NFSd network packets (sent+received) by protocol type.",
		       OUT_COUNTER, net[2], "proto", "tcp");
	rc |= nfsd_one(o, "node_nfsd_connections_total",
		       "Total number of NFSd TCP connections.", OUT_COUNTER,
		       net[3], NULL, NULL);
	rc |= nfsd_one(o, "node_nfsd_rpc_errors_total",
		       "Total number of NFSd RPC errors by error type.",
		       OUT_COUNTER, rpc[2], "error", "fmt");
	rc |= nfsd_one(o, "node_nfsd_rpc_errors_total",
		       "Total number of NFSd RPC errors by error type.",
		       OUT_COUNTER, rpc[3], "error", "auth");
	rc |= nfsd_one(o, "node_nfsd_rpc_errors_total",
		       "Total number of NFSd RPC errors by error type.",
		       OUT_COUNTER, rpc[4], "error", "cInt");
	rc |= nfsd_one(o, "node_nfsd_server_rpcs_total",
		       "Total number of NFSd RPCs.", OUT_COUNTER, rpc[0], NULL,
		       NULL);
	rc |= nfsd_req(o, "2", nfsd_v2, NP(nfsd_v2), v2);
	rc |= nfsd_req(o, "3", nfsd_v3, NP(nfsd_v3), v3);
	rc |= nfsd_req(o, "4", nfsd_v4, NP(nfsd_v4), v4);
	rc |= out_add(o, "node_nfsd_requests_total",
		      "Total number NFSd Requests by method and protocol.",
		      OUT_COUNTER, (double)wdeleg, "method", "WdelegGetattr",
		      "proto", "4", NULL);
	return rc < 0 ? -1 : 0;
}

int nfsd_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_OK;

	if (hc_path(path, sizeof(path), hc->procfs, "net/rpc/nfsd") < 0)
		return HC_FAIL;
	if (hc_read(path, &b) < 0) {
		rc = errno == ENOENT ? HC_NODATA : HC_FAIL;
		if (rc == HC_FAIL)
			log_error("nfsd: cannot read '%s': %s", path,
				  strerror(errno));
	} else if (nfsd_parse(b.p, b.len, o) < 0) {
		log_error("nfsd: malformed '%s'", path);
		rc = HC_FAIL;
	}
	buf_free(&b);
	return rc;
}
