/* btrfs.c: the btrfs collector (/sys/fs/btrfs: allocation, commits, devices). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/*
 * procfs' btrfs reader, error rules and all: a file that is not there
 * reads as "", a value that is no number as 0; other read errors and a
 * folder that cannot be listed set the reader's error, after which values
 * read as 0.  Each allocation folder has a reader of its own whose error
 * replaces the file system's (so only the last one's counts), then
 * commit_stats may set it again.
 */
struct btrfs_rd {
	char path[PATH_MAX];
	int err;
	struct buf b;
};

static const char *btrfs_file(struct btrfs_rd *r, const char *n)
{
	char p[PATH_MAX + 256];

	if (hc_fmt(p, sizeof(p), "%s/%s", r->path, n) < 0 ||
	    hc_read_str(p, &r->b) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			r->err = 1;
		buf_reset(&r->b);
	}
	if (!r->b.p && buf_addstr(&r->b, "") < 0)
		r->err = 1;
	return r->b.p ? r->b.p : "";
}

static uint64_t btrfs_value(struct btrfs_rd *r, const char *n)
{
	const char *s = btrfs_file(r, n);
	uint64_t v;

	if (r->err || parse_u64(s, strlen(s), 0, UINT64_MAX, &v) < 0)
		return 0;
	return v;
}

static int btrfs_list(struct btrfs_rd *r, const char *n, struct names *out)
{
	char p[PATH_MAX + 256];

	out->v = NULL;
	out->n = 0;
	if (hc_fmt(p, sizeof(p), "%s/%s", r->path, n) < 0 ||
	    hc_list(p, out) < 0) {
		r->err = 1;
		return -1;
	}
	return 0;
}

static double btrfs_ratio(const char *mode, size_t ndev)
{
	double d = (double)ndev;

	if (!strcmp(mode, "single") || !strcmp(mode, "raid0"))
		return 1;
	if (!strcmp(mode, "dup") || !strcmp(mode, "raid1") ||
	    !strcmp(mode, "raid10"))
		return 2;
	if (!strcmp(mode, "raid1c3"))
		return 3;
	if (!strcmp(mode, "raid1c4"))
		return 4;
	if (!strcmp(mode, "raid5"))
		return d / (d - 1);
	if (!strcmp(mode, "raid6"))
		return d / (d - 2);
	return 0;
}

/* One allocation folder (data, metadata, system); -1 on ENOMEM. */
static int btrfs_alloc(struct btrfs_rd *fs, const char *uuid,
		       const char *type, size_t ndev, struct out *o)
{
	struct btrfs_rd r;
	struct names l = { NULL, 0 };
	uint64_t reserved;
	size_t i;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	buf_init(&r.b, 65536);
	hc_fmt(r.path, sizeof(r.path), "%s/allocation/%s", fs->path, type);
	/* The values procfs reads before the one reported count for the
	 * error state. */
	(void)btrfs_value(&r, "bytes_may_use");
	(void)btrfs_value(&r, "bytes_pinned");
	(void)btrfs_value(&r, "bytes_readonly");
	reserved = btrfs_value(&r, "bytes_reserved");
	rc |= out_add(o, "node_btrfs_reserved_bytes",
		      "Amount of space reserved for a data type", OUT_GAUGE,
		      (double)reserved, "block_group_type", type, "uuid", uuid,
		      NULL);
	if (hc_list(r.path, &l) < 0) {
		r.err = 1;
	}
	for (i = 0; i < l.n; i++) {
		char p[PATH_MAX + 256], f[512];
		struct stat sb;
		uint64_t total, used;
		double ratio;

		hc_fmt(p, sizeof(p), "%s/%s", r.path, l.v[i]);
		if (lstat(p, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		hc_fmt(f, sizeof(f), "%s/total_bytes", l.v[i]);
		total = btrfs_value(&r, f);
		hc_fmt(f, sizeof(f), "%s/used_bytes", l.v[i]);
		used = btrfs_value(&r, f);
		ratio = btrfs_ratio(l.v[i], ndev);
		rc |= out_add(o, "node_btrfs_used_bytes",
			      "Amount of used space by a layout/data type",
			      OUT_GAUGE, (double)used, "block_group_type", type,
			      "mode", l.v[i], "uuid", uuid, NULL);
		rc |= out_add(o, "node_btrfs_size_bytes",
			      "Amount of space allocated for a layout/data type",
			      OUT_GAUGE, (double)total, "block_group_type",
			      type, "mode", l.v[i], "uuid", uuid, NULL);
		rc |= out_add(o, "node_btrfs_allocation_ratio",
			      "Data allocation ratio for a layout/data type",
			      OUT_GAUGE, ratio, "block_group_type", type,
			      "mode", l.v[i], "uuid", uuid, NULL);
	}
	hc_names_free(&l);
	fs->err = r.err;
	buf_free(&r.b);
	return rc < 0 ? -1 : 0;
}

/* commit_stats: "name value" lines; a line of another shape or a value
 * that is no number is an error. */
int btrfs_commit_parse(const char *p, size_t len, uint64_t v[4])
{
	static const char *const keys[] = {
		"commits", "last_commit_ms", "max_commit_ms", "total_commit_ms",
	};
	const char *line;
	size_t llen, pos = 0, k;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[3];
		uint64_t x;

		if (hc_fields(line, llen, f, 3) != 2 ||
		    hc_field_u64(&f[1], &x) < 0)
			return -1;
		for (k = 0; k < 4; k++)
			if (f[0].n == strlen(keys[k]) &&
			    memcmp(f[0].p, keys[k], f[0].n) == 0)
				v[k] = x;
	}
	return 0;
}

static int btrfs_fs(const char *dir, const char *base, struct out *o)
{
	struct btrfs_rd r;
	struct names devs = { NULL, 0 }, feat = { NULL, 0 };
	struct out_mark m = out_mark(o);
	char uuid[256], label[4096], path[PATH_MAX + 64];
	uint64_t rsv, commit[4] = { 0 };
	double *sizes = NULL;
	size_t i, ndev;
	int rc = HC_FAIL;

	memset(&r, 0, sizeof(r));
	buf_init(&r.b, 65536);
	hc_fmt(r.path, sizeof(r.path), "%s", dir);
	(void)btrfs_list(&r, "devices", &devs);
	ndev = devs.n;
	if (ndev && !(sizes = calloc(ndev, sizeof(*sizes))))
		goto out;
	for (i = 0; i < ndev; i++) {
		char f[512];

		hc_fmt(f, sizeof(f), "devices/%s/size", devs.v[i]);
		sizes[i] = 512.0 * (double)btrfs_value(&r, f);
	}
	hc_fmt(label, sizeof(label), "%s", btrfs_file(&r, "label"));
	hc_fmt(uuid, sizeof(uuid), "%s", btrfs_file(&r, "metadata_uuid"));
	if (!uuid[0])
		hc_fmt(uuid, sizeof(uuid), "%s", base);
	(void)btrfs_list(&r, "features", &feat);
	(void)btrfs_value(&r, "clone_alignment");
	(void)btrfs_value(&r, "nodesize");
	(void)btrfs_value(&r, "quota_override");
	(void)btrfs_value(&r, "sectorsize");
	(void)btrfs_value(&r, "allocation/global_rsv_reserved");
	rsv = btrfs_value(&r, "allocation/global_rsv_size");
	if (out_add(o, "node_btrfs_info", "Filesystem information", OUT_GAUGE,
		    1.0, "label", label, "uuid", uuid, NULL) < 0 ||
	    out_add(o, "node_btrfs_global_rsv_size_bytes",
		    "Size of global reserve.", OUT_GAUGE, (double)rsv, "uuid",
		    uuid, NULL) < 0 ||
	    btrfs_alloc(&r, uuid, "data", ndev, o) < 0 ||
	    btrfs_alloc(&r, uuid, "metadata", ndev, o) < 0 ||
	    btrfs_alloc(&r, uuid, "system", ndev, o) < 0)
		goto out;
	hc_fmt(path, sizeof(path), "%s/commit_stats", dir);
	if (hc_read(path, &r.b) < 0) {
		if (errno != ENOENT)
			r.err = 1;
	} else if (btrfs_commit_parse(r.b.p, r.b.len, commit) < 0) {
		r.err = 1;
	}
	if (r.err) {
		log_error("btrfs: cannot read the statistics in '%s'", dir);
		goto out;
	}
	if (out_add(o, "node_btrfs_commits_total",
		    "The total number of commits that have occurred.",
		    OUT_COUNTER, (double)commit[0], "uuid", uuid, NULL) < 0 ||
	    out_add(o, "node_btrfs_last_commit_seconds",
		    "Duration of the most recent commit, in seconds.",
		    OUT_GAUGE, (double)commit[1] / 1000, "uuid", uuid, NULL) < 0 ||
	    out_add(o, "node_btrfs_max_commit_seconds",
		    "Duration of the slowest commit, in seconds.", OUT_GAUGE,
		    (double)commit[2] / 1000, "uuid", uuid, NULL) < 0 ||
	    out_add(o, "node_btrfs_commit_seconds_total",
		    "Sum of the duration of all commits, in seconds.",
		    OUT_COUNTER, (double)commit[3] / 1000, "uuid", uuid,
		    NULL) < 0)
		goto out;
	for (i = 0; i < ndev; i++)
		if (out_add(o, "node_btrfs_device_size_bytes",
			    "Size of a device that is part of the filesystem.",
			    OUT_GAUGE, sizes[i], "device", devs.v[i], "uuid",
			    uuid, NULL) < 0)
			goto out;
	rc = HC_OK;
out:
	if (rc != HC_OK)
		out_rollback(o, m);
	free(sizes);
	hc_names_free(&devs);
	hc_names_free(&feat);
	buf_free(&r.b);
	return rc;
}

int btrfs_update(struct hc *hc, struct out *o)
{
	struct names fss = { NULL, 0 };
	char base[PATH_MAX], dir[PATH_MAX + 256];
	size_t i;
	int rc = HC_OK;

	if (hc_path(base, sizeof(base), hc->sysfs, "fs/btrfs") < 0)
		return HC_FAIL;
	/* Folders with a dash (a UUID); no folder, no file systems. */
	if (hc_list(base, &fss) < 0)
		return HC_OK;
	for (i = 0; i < fss.n && rc == HC_OK; i++) {
		if (!strchr(fss.v[i], '-'))
			continue;
		hc_fmt(dir, sizeof(dir), "%s/%s", base, fss.v[i]);
		rc = btrfs_fs(dir, fss.v[i], o);
	}
	hc_names_free(&fss);
	return rc;
}
