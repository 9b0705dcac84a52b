/* zfs.c: the zfs collector (the kstat files of /proc/spl/kstat/zfs and its pools). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/* Subsystem (the family prefix) and its kstat file, as node_exporter maps them. */
static const char *const zfs_files[][2] = {
	{ "zfs_abd", "abdstats" },
	{ "zfs_arc", "arcstats" },
	{ "zfs_dbuf", "dbufstats" },
	{ "zfs_dmu_tx", "dmu_tx" },
	{ "zfs_dnode", "dnodestats" },
	{ "zfs_fm", "fm" },
	{ "zfs_vdev_cache", "vdev_cache_stats" },
	{ "zfs_vdev_mirror", "vdev_mirror_stats" },
	{ "zfs_xuio", "xuio_stats" },
	{ "zfs_zfetch", "zfetchstats" },
	{ "zfs_zil", "zil" },
};

static const char *const zfs_states[] = {
	"online", "degraded", "faulted", "offline", "removed", "unavail",
	"suspended",
};

static int zfs_is(const struct field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* node_[sub_]name with '-' made '_'; 0 if the result is no metric name. */
static int zfs_name(char *dst, size_t size, const char *sub,
		    const struct field *f)
{
	size_t i, n;

	if (hc_fmt(dst, size, "node_%s_%.*s", sub, (int)f->n, f->p) < 0)
		return 0;
	n = strlen(dst);
	for (i = 0; i < n; i++) {
		char c = dst[i];

		if (c == '-')
			dst[i] = '_';
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '_' || c == ':'))
			return 0;
	}
	return 1;
}

/* Is this a "name type data" header line? */
static int zfs_header(const struct field *f, size_t n)
{
	return n == 3 && zfs_is(&f[0], "name") && zfs_is(&f[1], "type") &&
	       zfs_is(&f[2], "data");
}

/*
 * A kstat file: lines after "name type data" are "NAME TYPE VALUE"; types
 * 4 (uint64) and 3 (int64) are reported, others ignored.  No header, or a
 * value that is no integer of its type, is a malformed file.
 */
int zfs_kstat_parse(const char *p, size_t len, const char *sub,
		    const char *file, struct out *o)
{
	const char *line;
	size_t llen, pos = 0;
	int started = 0;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[4];
		size_t n = hc_fields(line, llen, f, 4);
		char name[256], help[320];
		double v;

		if (!started) {
			started = zfs_header(f, n);
			continue;
		}
		if (n < 3)
			continue;
		if (zfs_is(&f[1], "4")) {
			uint64_t u;

			if (hc_field_u64(&f[2], &u) < 0)
				return -1;
			v = (double)u;
		} else if (zfs_is(&f[1], "3")) {
			/* strconv.ParseInt(s, 10, 64): a sign, decimal. */
			int neg = f[2].n > 0 && f[2].p[0] == '-';
			size_t k = f[2].n > 0 &&
				   (f[2].p[0] == '-' || f[2].p[0] == '+');
			uint64_t u;

			if (parse_u64(f[2].p + k, f[2].n - k, 0,
				      (uint64_t)INT64_MAX + neg, &u) < 0)
				return -1;
			v = neg ? -(double)u : (double)u;
		} else {
			continue;
		}
		if (!zfs_name(name, sizeof(name), sub, &f[0]) ||
		    hc_fmt(help, sizeof(help), "kstat.zfs.misc.%s.%.*s", file,
			   (int)f[0].n, f[0].p) < 0)
			continue;
		if (out_add(o, name, help, OUT_UNTYPED, v, NULL) < 0)
			return -1;
	}
	return started ? 0 : -1;
}

/*
 * A pool's io file: a header line of at least 12 names starting "nread",
 * then lines of as many unsigned values.
 */
int zfs_io_parse(const char *p, size_t len, const char *pool, struct out *o)
{
	struct field hdr[64];
	size_t nh = 0, llen, pos = 0, i;
	const char *line;
	int started = 0;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[64];
		size_t n;

		if (!started) {
			n = hc_fields(line, llen, hdr, 64);
			if (n >= 12 && zfs_is(&hdr[0], "nread")) {
				nh = n;
				started = 1;
			}
			continue;
		}
		n = hc_fields(line, llen, f, 64);
		if (n < nh)
			return -1;
		for (i = 0; i < nh; i++) {
			char name[256], help[320];
			uint64_t u;

			if (hc_field_u64(&f[i], &u) < 0)
				return -1;
			if (!zfs_name(name, sizeof(name), "zfs_zpool", &hdr[i]) ||
			    hc_fmt(help, sizeof(help), "kstat.zfs.misc.io.%.*s",
				   (int)hdr[i].n, hdr[i].p) < 0)
				continue;
			if (out_add(o, name, help, OUT_UNTYPED, (double)u,
				    "zpool", pool, NULL) < 0)
				return -1;
		}
	}
	return 0;
}

/*
 * A pool's objset-N file: a kstat file whose dataset_name line names the
 * dataset (the rest of the line from its value on, spaces kept); uint64
 * values are reported with the dataset read so far.
 */
int zfs_objset_parse(const char *p, size_t len, const char *pool,
		     struct out *o)
{
	char dataset[1024] = "";
	const char *line;
	size_t llen, pos = 0;
	int started = 0;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[4];
		size_t n = hc_fields(line, llen, f, 4);
		char name[256], help[320];
		uint64_t u;

		if (!started) {
			started = zfs_header(f, n);
			continue;
		}
		if (n < 3)
			continue;
		if (zfs_is(&f[0], "dataset_name")) {
			/* Go's strings.Index(line, value): the first place
			 * the value's text occurs in the line. */
			const char *s = line, *e = line + llen;
			size_t off;

			while ((size_t)(e - s) >= f[2].n &&
			       memcmp(s, f[2].p, f[2].n) != 0)
				s++;
			off = (size_t)(s - line);
			if (hc_fmt(dataset, sizeof(dataset), "%.*s",
				   (int)(llen - off), line + off) < 0)
				return -1;
			continue;
		}
		if (!zfs_is(&f[1], "4"))
			continue;
		if (hc_field_u64(&f[2], &u) < 0)
			return -1;
		if (!zfs_name(name, sizeof(name), "zfs_zpool_dataset", &f[0]) ||
		    hc_fmt(help, sizeof(help), "kstat.zfs.misc.objset.%.*s",
			   (int)f[0].n, f[0].p) < 0)
			continue;
		if (out_add(o, name, help, OUT_UNTYPED, (double)u, "dataset",
			    dataset, "zpool", pool, NULL) < 0)
			return -1;
	}
	return started ? 0 : -1;
}

/* The pool's state file: its first line, any case, against the states. */
static int zfs_state(const char *p, size_t len, const char *pool,
		     struct out *o)
{
	char st[64];
	size_t n = 0, i;

	while (n < len && p[n] != '\n' && n < sizeof(st) - 1) {
		char c = p[n];

		st[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	st[n] = '\0';
	if (n < len && p[n] != '\n')
		st[0] = '\0';	/* longer than any state */
	if (n > 0 && st[n - 1] == '\r')
		st[n - 1] = '\0';
	for (i = 0; i < sizeof(zfs_states) / sizeof(zfs_states[0]); i++)
		if (out_add(o, "node_zfs_zpool_state", "kstat.zfs.misc.state",
			    OUT_GAUGE, strcmp(st, zfs_states[i]) == 0 ? 1.0 : 0.0,
			    "state", zfs_states[i], "zpool", pool, NULL) < 0)
			return -1;
	return 0;
}

/* Reads path into b; 1 read, 0 absent, -1 error (logged). */
static int zfs_read(const char *path, struct buf *b)
{
	if (hc_read(path, b) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	log_error("zfs: cannot read '%s': %s", path, strerror(errno));
	return -1;
}

static int zfs_bad(const char *path)
{
	log_error("zfs: malformed '%s'", path);
	return HC_FAIL;
}

int zfs_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	struct names pools = { NULL, 0 }, files = { NULL, 0 };
	char base[PATH_MAX], path[PATH_MAX + 512];
	struct stat sb;
	size_t i, j, pass;
	int rc = HC_FAIL, r;

	if (hc_path(base, sizeof(base), hc->procfs, "spl/kstat/zfs") < 0)
		return HC_FAIL;
	if (stat(base, &sb) < 0)
		return HC_NODATA;
	for (i = 0; i < sizeof(zfs_files) / sizeof(zfs_files[0]); i++) {
		hc_fmt(path, sizeof(path), "%s/%s", base, zfs_files[i][1]);
		/* A kstat file this ZFS does not have, or cannot give, is
		 * skipped: node_exporter goes on without it. */
		if (hc_read(path, &b) < 0)
			continue;
		if (zfs_kstat_parse(b.p, b.len, zfs_files[i][0],
				    zfs_files[i][1], o) < 0) {
			rc = zfs_bad(path);
			goto out;
		}
	}
	if (hc_list(base, &pools) < 0) {
		rc = HC_OK;
		goto out;
	}
	/* node_exporter globs POOL/io, then POOL/objset-*, then POOL/state. */
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < pools.n; i++) {
			char dir[PATH_MAX + 256];

			hc_fmt(dir, sizeof(dir), "%s/%s", base, pools.v[i]);
			if (pass != 1) {
				hc_fmt(path, sizeof(path), "%s/%s", dir,
				       pass == 0 ? "io" : "state");
				if (stat(path, &sb) < 0)
					continue;
				if (zfs_read(path, &b) <= 0)
					goto out;
				r = pass == 0 ?
					zfs_io_parse(b.p, b.len, pools.v[i], o) :
					zfs_state(b.p, b.len, pools.v[i], o);
				if (r < 0) {
					rc = zfs_bad(path);
					goto out;
				}
				continue;
			}
			if (hc_list(dir, &files) < 0)
				continue;
			for (j = 0; j < files.n; j++) {
				if (strncmp(files.v[j], "objset-", 7) != 0)
					continue;
				hc_fmt(path, sizeof(path), "%s/%s", dir,
				       files.v[j]);
				if (zfs_read(path, &b) <= 0) {
					hc_names_free(&files);
					goto out;
				}
				if (zfs_objset_parse(b.p, b.len, pools.v[i],
						     o) < 0) {
					hc_names_free(&files);
					rc = zfs_bad(path);
					goto out;
				}
			}
			hc_names_free(&files);
		}
	}
	rc = HC_OK;
out:
	hc_names_free(&pools);
	buf_free(&b);
	return rc;
}
