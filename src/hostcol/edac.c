/* edac.c: the edac collector (memory controller error counts in /sys/devices/system/edac/mc). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/* node_exporter's readUintFromFile: the trimmed file, a decimal uint64. */
static int edac_u64(const char *path, uint64_t *v, struct buf *b)
{
	if (hc_read_str(path, b) < 0)
		return -1;
	if (parse_u64(b->p ? b->p : "", b->len, 0, UINT64_MAX, v) < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The digits after prefix in name ("mc12" gives "12"; may be ""). */
static void edac_num(const char *name, size_t plen, char *dst, size_t size)
{
	size_t n = 0;

	while (name[plen + n] >= '0' && name[plen + n] <= '9')
		n++;
	hc_fmt(dst, size, "%.*s", (int)n, name + plen);
}

/* chN_ce_count: N, the first "ch<digits>_ce_count" in name. */
static int edac_channel(const char *name, char *dst, size_t size)
{
	const char *p;

	for (p = strstr(name, "ch"); p; p = strstr(p + 1, "ch")) {
		size_t n = 0;

		while (p[2 + n] >= '0' && p[2 + n] <= '9')
			n++;
		if (n > 0 && strncmp(p + 2 + n, "_ce_count", 9) == 0) {
			hc_fmt(dst, size, "%.*s", (int)n, p + 2);
			return 1;
		}
	}
	return 0;
}

/* The DIMM label as node_exporter shows it: no '#', and "_csrow",
 * "_channel" where the kernel wrote "csrow", "channel". */
static void edac_label(const char *path, struct buf *b, char *dst,
		       size_t size)
{
	size_t i, n = 0;

	if (hc_read_str(path, b) < 0 || !b->p) {
		hc_fmt(dst, size, "unknown");
		return;
	}
	for (i = 0; i < b->len && n + 10 < size; i++) {
		if (b->p[i] == '#')
			continue;
		if (strncmp(b->p + i, "csrow", 5) == 0 ||
		    strncmp(b->p + i, "channel", 7) == 0)
			dst[n++] = '_';
		dst[n++] = b->p[i];
	}
	dst[n] = '\0';
}

static int edac_bad(const char *path)
{
	log_error("edac: cannot read '%s': %s", path,
		  errno == EINVAL ? "malformed" : strerror(errno));
	return HC_FAIL;
}

static int edac_csrow(const char *cdir, const char *ctl, const char *row,
		      struct out *o, struct buf *b)
{
	char dir[PATH_MAX + 512], path[PATH_MAX + 640], rnum[64];
	struct names files = { NULL, 0 };
	uint64_t ce, ue;
	size_t i;
	int rc = HC_FAIL;

	edac_num(row, 5, rnum, sizeof(rnum));
	hc_fmt(dir, sizeof(dir), "%s/%s", cdir, row);
	hc_fmt(path, sizeof(path), "%s/ce_count", dir);
	if (edac_u64(path, &ce, b) < 0)
		return edac_bad(path);
	if (out_add(o, "node_edac_csrow_correctable_errors_total",
		    "Total correctable memory errors for this csrow.",
		    OUT_COUNTER, (double)ce, "controller", ctl, "csrow", rnum,
		    NULL) < 0)
		return HC_FAIL;
	hc_fmt(path, sizeof(path), "%s/ue_count", dir);
	if (edac_u64(path, &ue, b) < 0)
		return edac_bad(path);
	if (out_add(o, "node_edac_csrow_uncorrectable_errors_total",
		    "Total uncorrectable memory errors for this csrow.",
		    OUT_COUNTER, (double)ue, "controller", ctl, "csrow", rnum,
		    NULL) < 0)
		return HC_FAIL;
	if (hc_list(dir, &files) < 0)
		return HC_OK;
	for (i = 0; i < files.n; i++) {
		const char *f = files.v[i];
		size_t fl = strlen(f);
		char chn[64], label[512];

		/* glob "ch*_ce_count", then the regexp. */
		if (strncmp(f, "ch", 2) != 0 || fl < 11 ||
		    strcmp(f + fl - 9, "_ce_count") != 0 ||
		    !edac_channel(f, chn, sizeof(chn)))
			continue;
		hc_fmt(path, sizeof(path), "%s/ch%s_dimm_label", dir, chn);
		edac_label(path, b, label, sizeof(label));
		hc_fmt(path, sizeof(path), "%s/%s", dir, f);
		if (edac_u64(path, &ce, b) < 0) {
			rc = edac_bad(path);
			goto out;
		}
		if (out_add(o, "node_edac_channel_correctable_errors_total",
			    "Total correctable memory errors for this channel.",
			    OUT_COUNTER, (double)ce, "controller", ctl, "csrow",
			    rnum, "channel", chn, "dimm_label", label, NULL) < 0)
			goto out;
		hc_fmt(path, sizeof(path), "%s/ch%s_ue_count", dir, chn);
		if (edac_u64(path, &ue, b) == 0 &&
		    out_add(o, "node_edac_channel_uncorrectable_errors_total",
			    "Total uncorrectable memory errors for this channel.",
			    OUT_COUNTER, (double)ue, "controller", ctl, "csrow",
			    rnum, "channel", chn, "dimm_label", label, NULL) < 0)
			goto out;
	}
	rc = HC_OK;
out:
	hc_names_free(&files);
	return rc;
}

static int edac_controller(const char *base, const char *mc, struct out *o,
			   struct buf *b)
{
	static const char *const f[4][3] = {
		{ "ce_count", "node_edac_correctable_errors_total", "Total correctable memory errors." },
		{ "ce_noinfo_count", "node_edac_csrow_correctable_errors_total", "Total correctable memory errors for this csrow." },
		{ "ue_count", "node_edac_uncorrectable_errors_total", "Total uncorrectable memory errors." },
		{ "ue_noinfo_count", "node_edac_csrow_uncorrectable_errors_total", "Total uncorrectable memory errors for this csrow." },
	};
	char dir[PATH_MAX + 256], path[PATH_MAX + 512], ctl[64];
	struct names rows = { NULL, 0 };
	size_t i;
	int rc = HC_OK;

	edac_num(mc, 2, ctl, sizeof(ctl));
	hc_fmt(dir, sizeof(dir), "%s/%s", base, mc);
	for (i = 0; i < 4; i++) {
		uint64_t v;
		int e;

		hc_fmt(path, sizeof(path), "%s/%s", dir, f[i][0]);
		if (edac_u64(path, &v, b) < 0)
			return edac_bad(path);
		if (i % 2)
			e = out_add(o, f[i][1], f[i][2], OUT_COUNTER, (double)v,
				    "controller", ctl, "csrow", "unknown", NULL);
		else
			e = out_add(o, f[i][1], f[i][2], OUT_COUNTER, (double)v,
				    "controller", ctl, NULL);
		if (e < 0)
			return HC_FAIL;
	}
	if (hc_list_prefix(dir, "csrow", &rows) < 0)
		return HC_OK;
	for (i = 0; i < rows.n && rc == HC_OK; i++)
		rc = edac_csrow(dir, ctl, rows.v[i], o, b);
	hc_names_free(&rows);
	return rc;
}

int edac_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	struct names mcs = { NULL, 0 };
	struct out_mark m = out_mark(o);
	char base[PATH_MAX];
	size_t i;
	int rc = HC_OK;

	if (hc_path(base, sizeof(base), hc->sysfs, "devices/system/edac/mc") < 0)
		return HC_FAIL;
	/* No EDAC: no controllers, nothing to report, no error. */
	if (hc_list_prefix(base, "mc", &mcs) < 0)
		return HC_OK;
	for (i = 0; i < mcs.n && rc == HC_OK; i++)
		rc = edac_controller(base, mcs.v[i], o, &b);
	if (rc != HC_OK)
		out_rollback(o, m);
	hc_names_free(&mcs);
	buf_free(&b);
	return rc;
}
