/* nfs.c: the nfs collector (the NFS client's RPC counts in /proc/net/rpc/nfs). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/* Procedure names in the kernel's order (procfs' struct field names). */
static const char *const nfs_v2[] = {
	"Null", "GetAttr", "SetAttr", "Root", "Lookup", "ReadLink", "Read",
	"WrCache", "Write", "Create", "Remove", "Rename", "Link", "SymLink",
	"MkDir", "RmDir", "ReadDir", "FsStat",
};
static const char *const nfs_v3[] = {
	"Null", "GetAttr", "SetAttr", "Lookup", "Access", "ReadLink", "Read",
	"Write", "Create", "MkDir", "SymLink", "MkNod", "Remove", "RmDir",
	"Rename", "Link", "ReadDir", "ReadDirPlus", "FsStat", "FsInfo",
	"PathConf", "Commit",
};
static const char *const nfs_v4[] = {
	"Null", "Read", "Write", "Commit", "Open", "OpenConfirm", "OpenNoattr",
	"OpenDowngrade", "Close", "Setattr", "FsInfo", "Renew", "SetClientID",
	"SetClientIDConfirm", "Lock", "Lockt", "Locku", "Access", "Getattr",
	"Lookup", "LookupRoot", "Remove", "Rename", "Link", "Symlink",
	"Create", "Pathconf", "StatFs", "ReadLink", "ReadDir", "ServerCaps",
	"DelegReturn", "GetACL", "SetACL", "FsLocations", "ReleaseLockowner",
	"Secinfo", "FsidPresent", "ExchangeID", "CreateSession",
	"DestroySession", "Sequence", "GetLeaseTime", "ReclaimComplete",
	"GetDeviceInfo", "LayoutGet", "LayoutCommit", "LayoutReturn",
	"SecinfoNoName", "TestStateID", "FreeStateID", "GetDeviceList",
	"BindConnToSession", "DestroyClientID", "Seek", "Allocate",
	"DeAllocate", "LayoutStats", "Clone",
};
#define NV2 (sizeof(nfs_v2) / sizeof(nfs_v2[0]))
#define NV3 (sizeof(nfs_v3) / sizeof(nfs_v3[0]))
#define NV4 (sizeof(nfs_v4) / sizeof(nfs_v4[0]))

int nfs_values(const char *line, size_t llen, struct field *key,
	       uint64_t *v, size_t max, size_t *n)
{
	struct field f[NFS_MAX_VALUES + 2];
	size_t nf = hc_fields(line, llen, f, NFS_MAX_VALUES + 2), i;

	if (nf < 2 || nf > max + 1)
		return -1;
	*key = f[0];
	for (i = 1; i < nf; i++)
		if (hc_field_u64(&f[i], &v[i - 1]) < 0)
			return -1;
	*n = nf - 1;
	return 0;
}

int nfs_key_is(const struct field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* A procN line: a count, then exactly that many values (and at least
 * min of them). */
int nfs_proc_ok(const uint64_t *v, size_t n, size_t min)
{
	return v[0] == n - 1 && n - 1 >= min;
}

static int nfs_req(struct out *o, const char *proto, const char *method,
		   uint64_t v)
{
	return out_add(o, "node_nfs_requests_total",
		       "Number of NFS procedures invoked.", OUT_COUNTER,
		       (double)v, "method", method, "proto", proto, NULL);
}

int nfs_parse(const char *p, size_t len, struct out *o)
{
	uint64_t net[4] = { 0 }, rpc[3] = { 0 };
	uint64_t v2[NV2] = { 0 }, v3[NV3] = { 0 }, v4[NV4] = { 0 };
	uint64_t v[NFS_MAX_VALUES];
	const char *line;
	size_t llen, pos = 0, n, i;
	int rc;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field key;

		if (nfs_values(line, llen, &key, v, NFS_MAX_VALUES, &n) < 0)
			return -1;
		if (nfs_key_is(&key, "net")) {
			if (n != 4)
				return -1;
			memcpy(net, v, sizeof(net));
		} else if (nfs_key_is(&key, "rpc")) {
			if (n != 3)
				return -1;
			memcpy(rpc, v, sizeof(rpc));
		} else if (nfs_key_is(&key, "proc2")) {
			if (!nfs_proc_ok(v, n, NV2))
				return -1;
			memcpy(v2, v + 1, sizeof(v2));
		} else if (nfs_key_is(&key, "proc3")) {
			if (!nfs_proc_ok(v, n, NV3))
				return -1;
			memcpy(v3, v + 1, sizeof(v3));
		} else if (nfs_key_is(&key, "proc4")) {
			/* Older kernels count fewer: the rest stays 0. */
			if (!nfs_proc_ok(v, n, 0))
				return -1;
			memset(v4, 0, sizeof(v4));
			memcpy(v4, v + 1, (n - 1 < NV4 ? n - 1 : NV4) * sizeof(v4[0]));
		} else {
			return -1;
		}
	}
	rc = out_add(o, "node_nfs_packets_total",
		     "Total NFSd network packets (sent+received) by protocol type.",
		     OUT_COUNTER, (double)net[1], "protocol", "udp", NULL);
	rc |= out_add(o, "node_nfs_packets_total",
		      "Total NFSd network packets (sent+received) by protocol type.",
		      OUT_COUNTER, (double)net[2], "protocol", "tcp", NULL);
	rc |= out_add(o, "node_nfs_connections_total",
		      "Total number of NFSd TCP connections.", OUT_COUNTER,
		      (double)net[3], NULL);
	rc |= out_add(o, "node_nfs_rpcs_total", "Total number of RPCs performed.",
		      OUT_COUNTER, (double)rpc[0], NULL);
	rc |= out_add(o, "node_nfs_rpc_retransmissions_total",
		      "Number of RPC transmissions performed.", OUT_COUNTER,
		      (double)rpc[1], NULL);
	rc |= out_add(o, "node_nfs_rpc_authentication_refreshes_total",
		      "Number of RPC authentication refreshes performed.",
		      OUT_COUNTER, (double)rpc[2], NULL);
	for (i = 0; i < NV2; i++)
		rc |= nfs_req(o, "2", nfs_v2[i], v2[i]);
	for (i = 0; i < NV3; i++)
		rc |= nfs_req(o, "3", nfs_v3[i], v3[i]);
	for (i = 0; i < NV4; i++)
		rc |= nfs_req(o, "4", nfs_v4[i], v4[i]);
	return rc < 0 ? -1 : 0;
}

int nfs_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_OK;

	if (hc_path(path, sizeof(path), hc->procfs, "net/rpc/nfs") < 0)
		return HC_FAIL;
	if (hc_read(path, &b) < 0) {
		rc = errno == ENOENT ? HC_NODATA : HC_FAIL;
		if (rc == HC_FAIL)
			log_error("nfs: cannot read '%s': %s", path,
				  strerror(errno));
	} else if (nfs_parse(b.p, b.len, o) < 0) {
		log_error("nfs: malformed '%s'", path);
		rc = HC_FAIL;
	}
	buf_free(&b);
	return rc;
}
