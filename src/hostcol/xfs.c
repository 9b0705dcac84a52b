/* xfs.c: the xfs collector (/sys/fs/xfs/DEV/stats/stats). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/* The lines procfs checks: name and the value counts it takes. */
struct xfs_line {
	const char *label;
	size_t min, max;
};

static const struct xfs_line xfs_lines[] = {
	{ "extent_alloc", 4, 4 }, { "abt", 4, 4 }, { "blk_map", 7, 7 },
	{ "bmbt", 4, 4 }, { "dir", 4, 4 }, { "trans", 3, 3 },
	{ "ig", 7, 7 }, { "log", 5, 5 }, { "rw", 2, 2 }, { "attr", 4, 4 },
	{ "icluster", 3, 3 }, { "vnodes", 7, 8 }, { "buf", 9, 9 },
	{ "push_ail", 10, 10 }, { "xstrat", 2, 2 }, { "abtb2", 15, 15 },
	{ "abtc2", 15, 15 }, { "bmbt2", 15, 15 }, { "ibt2", 15, 15 },
	{ "fibt2", 15, 15 }, { "rmapbt", 15, 15 }, { "refcntbt", 15, 15 },
	{ "rmapbt_mem", 15, 15 }, { "rcbagbt", 15, 15 },
	{ "rtrmapbt", 15, 15 }, { "rtrmapbt_mem", 15, 15 },
	{ "rtrefcntbt", 15, 15 }, { "qm", 8, 9 }, { "debug", 1, 1 },
	{ "zoned", 3, SIZE_MAX }, { "metafile", 1, SIZE_MAX },
};
#define XFS_NLINES (sizeof(xfs_lines) / sizeof(xfs_lines[0]))

/* What node_exporter reports: line, value index, metric, HELP. */
struct xfs_metric {
	const char *label;
	unsigned idx;
	const char *name, *help;
};

static const struct xfs_metric xfs_metrics[] = {
	{ "extent_alloc", 0, "extent_allocation_extents_allocated_total", "Number of extents allocated for a filesystem." },
	{ "extent_alloc", 1, "extent_allocation_blocks_allocated_total", "Number of blocks allocated for a filesystem." },
	{ "extent_alloc", 2, "extent_allocation_extents_freed_total", "Number of extents freed for a filesystem." },
	{ "extent_alloc", 3, "extent_allocation_blocks_freed_total", "Number of blocks freed for a filesystem." },
	{ "abt", 0, "allocation_btree_lookups_total", "Number of allocation B-tree lookups for a filesystem." },
	{ "abt", 1, "allocation_btree_compares_total", "Number of allocation B-tree compares for a filesystem." },
	{ "abt", 2, "allocation_btree_records_inserted_total", "Number of allocation B-tree records inserted for a filesystem." },
	{ "abt", 3, "allocation_btree_records_deleted_total", "Number of allocation B-tree records deleted for a filesystem." },
	{ "blk_map", 0, "block_mapping_reads_total", "Number of block map for read operations for a filesystem." },
	{ "blk_map", 1, "block_mapping_writes_total", "Number of block map for write operations for a filesystem." },
	{ "blk_map", 2, "block_mapping_unmaps_total", "Number of block unmaps (deletes) for a filesystem." },
	{ "blk_map", 3, "block_mapping_extent_list_insertions_total", "Number of extent list insertions for a filesystem." },
	{ "blk_map", 4, "block_mapping_extent_list_deletions_total", "Number of extent list deletions for a filesystem." },
	{ "blk_map", 5, "block_mapping_extent_list_lookups_total", "Number of extent list lookups for a filesystem." },
	{ "blk_map", 6, "block_mapping_extent_list_compares_total", "Number of extent list compares for a filesystem." },
	{ "bmbt", 0, "block_map_btree_lookups_total", "Number of block map B-tree lookups for a filesystem." },
	{ "bmbt", 1, "block_map_btree_compares_total", "Number of block map B-tree compares for a filesystem." },
	{ "bmbt", 2, "block_map_btree_records_inserted_total", "Number of block map B-tree records inserted for a filesystem." },
	{ "bmbt", 3, "block_map_btree_records_deleted_total", "Number of block map B-tree records deleted for a filesystem." },
	{ "dir", 0, "directory_operation_lookup_total", "Number of file name directory lookups which miss the operating systems directory name lookup cache." },
	{ "dir", 1, "directory_operation_create_total", "Number of times a new directory entry was created for a filesystem." },
	{ "dir", 2, "directory_operation_remove_total", "Number of times an existing directory entry was created for a filesystem." },
	{ "dir", 3, "directory_operation_getdents_total", "Number of times the directory getdents operation was performed for a filesystem." },
	{ "ig", 0, "inode_operation_attempts_total", "Number of times the OS looked for an XFS inode in the inode cache." },
	{ "ig", 1, "inode_operation_found_total", "Number of times the OS looked for and found an XFS inode in the inode cache." },
	{ "ig", 2, "inode_operation_recycled_total", "Number of times the OS found an XFS inode in the cache, but could not use it as it was being recycled." },
	{ "ig", 3, "inode_operation_missed_total", "Number of times the OS looked for an XFS inode in the cache, but did not find it." },
	{ "ig", 4, "inode_operation_duplicates_total", "Number of times the OS tried to add a missing XFS inode to the inode cache, but found it had already been added by another process." },
	{ "ig", 5, "inode_operation_reclaims_total", "Number of times the OS reclaimed an XFS inode from the inode cache to free memory for another purpose." },
	{ "ig", 6, "inode_operation_attribute_changes_total", "Number of times the OS explicitly changed the attributes of an XFS inode." },
	{ "rw", 1, "read_calls_total", "Number of read(2) system calls made to files in a filesystem." },
	{ "rw", 0, "write_calls_total", "Number of write(2) system calls made to files in a filesystem." },
	{ "vnodes", 0, "vnode_active_total", "Number of vnodes not on free lists for a filesystem." },
	{ "vnodes", 1, "vnode_allocate_total", "Number of times vn_alloc called for a filesystem." },
	{ "vnodes", 2, "vnode_get_total", "Number of times vn_get called for a filesystem." },
	{ "vnodes", 3, "vnode_hold_total", "Number of times vn_hold called for a filesystem." },
	{ "vnodes", 4, "vnode_release_total", "Number of times vn_rele called for a filesystem." },
	{ "vnodes", 5, "vnode_reclaim_total", "Number of times vn_reclaim called for a filesystem." },
	{ "vnodes", 6, "vnode_remove_total", "Number of times vn_remove called for a filesystem." },
};
#define XFS_NMETRICS (sizeof(xfs_metrics) / sizeof(xfs_metrics[0]))
_Static_assert(XFS_NMETRICS == XFS_NVALUES, "xfs_metrics and XFS_NVALUES");

static int xfs_is(const struct field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* All values of a line as unsigned numbers of at most max. */
static int xfs_values(const struct field *f, size_t n, uint64_t max,
		      uint32_t *v, size_t cap)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t u;

		if (parse_u64(f[i].p, f[i].n, 0, max, &u) < 0)
			return -1;
		if (i < cap)
			v[i] = (uint32_t)u;
	}
	return 0;
}

#define XFS_MAXF 256

/*
 * The stats file: every line of two fields or more has unsigned 32-bit
 * values (64-bit for xpc, defer_relog and "gc xpc"), and the lines
 * procfs knows have their count of values; else the file is malformed.
 * v[k] gets the values of the metric line xfs_metrics[k] names.
 */
int xfs_parse(const char *p, size_t len, double v[XFS_NVALUES])
{
	const char *line;
	size_t llen, pos = 0, k;

	for (k = 0; k < XFS_NMETRICS; k++)
		v[k] = 0;
	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[XFS_MAXF + 1];
		uint32_t u[XFS_MAXF];
		size_t n = hc_fields(line, llen, f, XFS_MAXF + 1), i;

		if (n < 2)
			continue;
		if (n > XFS_MAXF)
			return -1;
		if (xfs_is(&f[0], "gc") && n >= 3 && xfs_is(&f[1], "xpc")) {
			if (xfs_values(f + 2, n - 2, UINT64_MAX, u, 0) < 0 ||
			    n - 2 != 1)
				return -1;
			continue;
		}
		if (xfs_is(&f[0], "xpc") || xfs_is(&f[0], "defer_relog")) {
			if (xfs_values(f + 1, n - 1, UINT64_MAX, u, 0) < 0 ||
			    n - 1 != (xfs_is(&f[0], "xpc") ? 3u : 1u))
				return -1;
			continue;
		}
		if (xfs_values(f + 1, n - 1, UINT32_MAX, u, XFS_MAXF) < 0)
			return -1;
		for (i = 0; i < XFS_NLINES; i++)
			if (xfs_is(&f[0], xfs_lines[i].label))
				break;
		if (i == XFS_NLINES)
			continue;
		if (n - 1 < xfs_lines[i].min || n - 1 > xfs_lines[i].max)
			return -1;
		for (k = 0; k < XFS_NMETRICS; k++)
			if (xfs_is(&f[0], xfs_metrics[k].label))
				v[k] = (double)u[xfs_metrics[k].idx];
	}
	return 0;
}

int xfs_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	struct names devs = { NULL, 0 };
	struct out_mark m = out_mark(o);
	char base[PATH_MAX], path[PATH_MAX + 256];
	double v[XFS_NMETRICS];
	size_t i, k;
	int rc = HC_OK;

	if (hc_path(base, sizeof(base), hc->sysfs, "fs/xfs") < 0)
		return HC_FAIL;
	/* No folder, no XFS: nothing to report, and no error. */
	if (hc_list(base, &devs) < 0)
		return HC_OK;
	for (i = 0; i < devs.n && rc == HC_OK; i++) {
		hc_fmt(path, sizeof(path), "%s/%s/stats/stats", base,
		       devs.v[i]);
		if (hc_read(path, &b) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			log_error("xfs: cannot read '%s': %s", path,
				  strerror(errno));
			rc = HC_FAIL;
			break;
		}
		if (xfs_parse(b.p, b.len, v) < 0) {
			log_error("xfs: malformed '%s'", path);
			rc = HC_FAIL;
			break;
		}
		for (k = 0; k < XFS_NMETRICS && rc == HC_OK; k++) {
			char name[128];

			hc_fmt(name, sizeof(name), "node_xfs_%s",
			       xfs_metrics[k].name);
			if (out_add(o, name, xfs_metrics[k].help, OUT_COUNTER,
				    v[k], "device", devs.v[i], NULL) < 0)
				rc = HC_FAIL;
		}
	}
	if (rc != HC_OK)
		out_rollback(o, m);
	hc_names_free(&devs);
	buf_free(&b);
	return rc;
}
