/* nvme.c: the nvme collector (/sys/class/nvme controllers and namespaces). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/* The namespace id of a folder name: nvme<d>n<d> anywhere in it. */
static int nvme_nsid(const char *name, char *dst, size_t size)
{
	const char *p;

	for (p = strstr(name, "nvme"); p; p = strstr(p + 1, "nvme")) {
		const char *q = p + 4;
		size_t n = 0;

		if (*q < '0' || *q > '9')
			continue;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q != 'n')
			continue;
		q++;
		while (q[n] >= '0' && q[n] <= '9')
			n++;
		if (n == 0)
			continue;
		hc_fmt(dst, size, "%.*s", (int)n, q);
		return 1;
	}
	return 0;
}

static int nvme_device(const char *class, const char *dev, struct out *o,
		       struct buf *b)
{
	static const char *const info[5] = {
		"firmware_rev", "model", "serial", "state", "cntlid",
	};
	char dir[PATH_MAX + 256], path[PATH_MAX + 512], val[5][512];
	const char *ln[6] = { "device", "firmware_revision", "model", "serial",
			      "state", "cntlid" };
	const char *lv[6];
	struct names ents = { NULL, 0 };
	size_t i, k;
	int rc = HC_FAIL;

	hc_fmt(dir, sizeof(dir), "%s/%s", class, dev);
	for (i = 0; i < 5; i++) {
		hc_fmt(path, sizeof(path), "%s/%s", dir, info[i]);
		if (hc_read_str(path, b) < 0)
			goto bad;
		hc_fmt(val[i], sizeof(val[i]), "%s", b->p ? b->p : "");
	}
	if (hc_list(dir, &ents) < 0) {
		hc_fmt(path, sizeof(path), "%s", dir);
		goto bad;
	}
	lv[0] = dev;
	for (i = 0; i < 5; i++)
		lv[i + 1] = val[i];
	if (out_addv(o, "node_nvme_info",
		     "Non-numeric data from /sys/class/nvme/<device>, value is always 1.",
		     OUT_GAUGE, 1.0, 6, ln, lv) < 0)
		goto out;
	for (i = 0; i < ents.n; i++) {
		static const char *const nf[3] = {
			"nuse", "size", "queue/logical_block_size",
		};
		char nsid[64], ana[512] = "unknown";
		uint64_t v[3] = { 0, 0, 0 };
		double used, size;

		if (!nvme_nsid(ents.v[i], nsid, sizeof(nsid)))
			continue;
		for (k = 0; k < 3; k++) {
			hc_fmt(path, sizeof(path), "%s/%s/%s", dir, ents.v[i],
			       nf[k]);
			if (hc_read_str(path, b) < 0)
				goto bad;
			/* A value that is no number counts as 0. */
			if (parse_u64(b->p ? b->p : "", b->len, 0, UINT64_MAX,
				      &v[k]) < 0)
				v[k] = 0;
		}
		hc_fmt(path, sizeof(path), "%s/%s/ana_state", dir, ents.v[i]);
		if (hc_read_str(path, b) == 0)
			hc_fmt(ana, sizeof(ana), "%s", b->p ? b->p : "");
		/* uint64 products, wrapping as Go's do. */
		used = (double)(v[0] * v[2]);
		size = (double)(v[1] * v[2]);
		if (out_add(o, "node_nvme_namespace_info",
			    "Information about NVMe namespaces. Value is always 1",
			    OUT_GAUGE, 1.0, "device", dev, "nsid", nsid,
			    "ana_state", ana, NULL) < 0 ||
		    out_add(o, "node_nvme_namespace_capacity_bytes",
			    "Capacity of the NVMe namespace in bytes. Computed as namespace_size * namespace_logical_block_size",
			    OUT_GAUGE, size, "device", dev, "nsid", nsid,
			    NULL) < 0 ||
		    out_add(o, "node_nvme_namespace_size_bytes",
			    "Size of the NVMe namespace in bytes. Available in /sys/class/nvme/<device>/<namespace>/size",
			    OUT_GAUGE, size, "device", dev, "nsid", nsid,
			    NULL) < 0 ||
		    out_add(o, "node_nvme_namespace_used_bytes",
			    "Used space of the NVMe namespace in bytes. Available in /sys/class/nvme/<device>/<namespace>/nuse",
			    OUT_GAUGE, used, "device", dev, "nsid", nsid,
			    NULL) < 0 ||
		    out_add(o, "node_nvme_namespace_logical_block_size_bytes",
			    "Logical block size of the NVMe namespace in bytes. Usually 4Kb. Available in /sys/class/nvme/<device>/<namespace>/queue/logical_block_size",
			    OUT_GAUGE, (double)v[2], "device", dev, "nsid",
			    nsid, NULL) < 0)
			goto out;
	}
	rc = HC_OK;
	goto out;
bad:
	/* Any missing file is "no NVMe" to node_exporter. */
	rc = errno == ENOENT ? HC_NODATA : HC_FAIL;
	if (rc == HC_FAIL)
		log_error("nvme: cannot read '%s': %s", path, strerror(errno));
out:
	hc_names_free(&ents);
	return rc;
}

int nvme_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	struct names devs = { NULL, 0 };
	struct out_mark m = out_mark(o);
	char class[PATH_MAX];
	size_t i;
	int rc;

	rc = hc_list_class(hc, "nvme", "nvme", class, sizeof(class),
			   &devs);
	if (rc != HC_OK)
		return rc;
	for (i = 0; i < devs.n && rc == HC_OK; i++)
		rc = nvme_device(class, devs.v[i], o, &b);
	if (rc != HC_OK)
		out_rollback(o, m);
	hc_names_free(&devs);
	buf_free(&b);
	return rc;
}
