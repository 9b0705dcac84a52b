/* rapl.c: the rapl collector (energy counters of /sys/class/powercap zones). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/* node_exporter's SanitizeMetricName: runs of other characters, with
 * the underscores around them, become one '_'. */
static void rapl_sanitize(const char *s, char *dst, size_t size)
{
	size_t n = 0, i = 0, len = strlen(s);

#define OK(c) (((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z') || \
	       ((c) >= 'A' && (c) <= 'Z') || (c) == '_')
	while (i < len && n + 2 < size) {
		size_t j = i, k;

		/* A match: _* then at least one bad character then _*. */
		while (j < len && s[j] == '_')
			j++;
		k = j;
		while (k < len && !OK(s[k]))
			k++;
		if (k > j) {
			while (k < len && s[k] == '_')
				k++;
			dst[n++] = '_';
			i = k;
			continue;
		}
		dst[n++] = s[i++];
	}
#undef OK
	dst[n] = '\0';
}

/* strconv.Atoi: a sign, decimal digits, in int64. */
static int rapl_atoi(const char *s, int64_t *v)
{
	int neg = *s == '-';
	uint64_t u;

	if (*s == '+' || *s == '-')
		s++;
	if (parse_u64(s, strlen(s), 0, (uint64_t)INT64_MAX + (uint64_t)neg,
		      &u) < 0)
		return -1;
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* A zone: its folder, name (index part removed) and index. */
struct rapl_zone {
	const char *dir;
	char name[256];
	int64_t index;
};

static int rapl_u64(const char *path, uint64_t *v, struct buf *b)
{
	if (hc_read_str(path, b) < 0)
		return -1;
	if (parse_u64(b->p ? b->p : "", b->len, 0, UINT64_MAX, v) < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Read errors that mean "no RAPL to report" to node_exporter. */
static int rapl_nodata(int e, int missing_too)
{
	return e == EACCES || e == EPERM || (missing_too && e == ENOENT);
}

int rapl_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	struct names dirs = { NULL, 0 };
	struct rapl_zone *z = NULL;
	struct out_mark m = out_mark(o);
	char dir[PATH_MAX], path[PATH_MAX + 512];
	size_t i, k, nz = 0;
	int rc = HC_FAIL;

	if (hc_path(dir, sizeof(dir), hc->sysfs, "class/powercap") < 0)
		return HC_FAIL;
	if (hc_list(dir, &dirs) < 0) {
		if (rapl_nodata(errno, 1))
			return HC_NODATA;
		log_error("rapl: cannot list '%s': %s", dir, strerror(errno));
		return HC_FAIL;
	}
	if (dirs.n && !(z = calloc(dirs.n, sizeof(*z))))
		goto out;
	/* First every zone (a folder with a name file) and its range, as
	 * procfs lists them; then the energy of each. */
	for (i = 0; i < dirs.n; i++) {
		struct rapl_zone *r = &z[nz];
		char *dash;
		int64_t x = 0;
		uint64_t max;
		int split;

		hc_fmt(path, sizeof(path), "%s/%s/name", dir, dirs.v[i]);
		if (hc_read_str(path, &b) < 0)
			continue;
		hc_fmt(r->name, sizeof(r->name), "%s", b.p ? b.p : "");
		/* "package-0": name and index; else the name's next index. */
		dash = strchr(r->name, '-');
		split = dash && !strchr(dash + 1, '-') &&
			rapl_atoi(dash + 1, &x) == 0;
		if (split)
			*dash = '\0';
		r->index = 0;
		for (k = 0; k < nz; k++)
			if (strcmp(z[k].name, r->name) == 0)
				r->index = z[k].index + 1;
		if (split)
			r->index = x;
		r->dir = dirs.v[i];
		hc_fmt(path, sizeof(path), "%s/%s/max_energy_range_uj", dir,
		       dirs.v[i]);
		if (rapl_u64(path, &max, &b) < 0) {
			if (rapl_nodata(errno, 1)) {
				rc = HC_NODATA;
				goto out;
			}
			goto bad;
		}
		nz++;
	}
	for (i = 0; i < nz; i++) {
		char idx[32], mname[300], full[400], help[320];
		uint64_t uj;

		hc_fmt(path, sizeof(path), "%s/%s/energy_uj", dir, z[i].dir);
		if (rapl_u64(path, &uj, &b) < 0) {
			if (rapl_nodata(errno, 0)) {
				rc = HC_NODATA;
				goto out;
			}
			goto bad;
		}
		hc_fmt(idx, sizeof(idx), "%lld", (long long)z[i].index);
		hc_fmt(path, sizeof(path), "%s/%s", dir, z[i].dir);
		if (hc->rapl_zone_label) {
			if (out_add(o, "node_rapl_joules_total",
				    "Current RAPL value in joules", OUT_COUNTER,
				    (double)uj / 1000000.0, "index", idx,
				    "path", path, "rapl_zone", z[i].name,
				    NULL) < 0)
				goto out;
			continue;
		}
		rapl_sanitize(z[i].name, mname, sizeof(mname));
		hc_fmt(full, sizeof(full), "node_rapl_%s_joules_total", mname);
		hc_fmt(help, sizeof(help), "Current RAPL %s value in joules",
		       z[i].name);
		if (out_add(o, full, help, OUT_COUNTER, (double)uj / 1000000.0,
			    "index", idx, "path", path, NULL) < 0)
			goto out;
	}
	rc = HC_OK;
	goto out;
bad:
	log_error("rapl: cannot read '%s': %s", path,
		  errno == EINVAL ? "malformed" : strerror(errno));
out:
	if (rc != HC_OK)
		out_rollback(o, m);
	free(z);
	hc_names_free(&dirs);
	buf_free(&b);
	return rc;
}
