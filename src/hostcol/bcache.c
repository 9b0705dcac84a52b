/* bcache.c: the bcache collector (/sys/fs/bcache: cache sets, backing and cache devices). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/* Go's float64 to uint64 conversion as amd64 does it. */
static uint64_t bcache_u64(double v)
{
	if (isnan(v))
		return 0x8000000000000000ull;
	if (v < 9223372036854775808.0)
		return (uint64_t)(int64_t)(v > -9223372036854775808.0 ? v :
					   -9223372036854775808.0);
	if (v < 18446744073709551616.0)
		return (uint64_t)v;
	return 0x8000000000000000ull;
}

/* procfs' parsePseudoFloat: "1.2" is 1 + 2/10.24 (bcache's own
 * fractions of 1024). */
static int bcache_pseudo(const char *s, size_t n, double *v)
{
	const char *dot = memchr(s, '.', n);
	const char *frac, *e;
	double i, f;

	if (hc_parse_f64(s, dot ? (size_t)(dot - s) : n, &i) < 0)
		return -1;
	if (!dot) {
		*v = i;
		return 0;
	}
	frac = dot + 1;
	e = memchr(frac, '.', n - (size_t)(frac - s));
	if (hc_parse_f64(frac, e ? (size_t)(e - frac) : n - (size_t)(frac - s),
			 &f) < 0)
		return -1;
	*v = i + f / 10.24;
	return 0;
}

int bcache_dehumanize(const char *s, size_t n, uint64_t *out)
{
	double mant, mul = 1;

	if (n == 0)
		return -1;
	if ((unsigned char)s[n - 1] > '9') {
		switch (s[n - 1]) {
		case 'k': mul = 0x1p10; break;
		case 'M': mul = 0x1p20; break;
		case 'G': mul = 0x1p30; break;
		case 'T': mul = 0x1p40; break;
		case 'P': mul = 0x1p50; break;
		case 'E': mul = 0x1p60; break;
		case 'Z': mul = 0x1p70; break;
		case 'Y': mul = 0x1p80; break;
		default: mul = 0; break;
		}
		if (bcache_pseudo(s, n - 1, &mant) < 0)
			return -1;
	} else if (hc_parse_f64(s, n, &mant) < 0) {
		return -1;
	}
	*out = bcache_u64(mant * mul);
	return 0;
}

static int bcache_signed(const char *s, size_t n, double *v)
{
	int neg = n > 0 && s[0] == '-';
	uint64_t u;

	if (bcache_dehumanize(s + neg, n - (size_t)neg, &u) < 0)
		return -1;
	*v = neg ? (double)(int64_t)(0 - u) : (double)(int64_t)u;
	return 0;
}

/* The last field of a line, less a suffix. */
static void bcache_last(const char *line, size_t llen, const char *suffix,
			const char **s, size_t *n)
{
	size_t e = llen, b, sl = strlen(suffix);

	while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t' ||
			 line[e - 1] == '\r' || line[e - 1] == '\v' ||
			 line[e - 1] == '\f'))
		e--;
	b = e;
	while (b > 0 && !(line[b - 1] == ' ' || line[b - 1] == '\t' ||
			  line[b - 1] == '\r' || line[b - 1] == '\v' ||
			  line[b - 1] == '\f'))
		b--;
	if (sl && e - b >= sl && memcmp(line + e - sl, suffix, sl) == 0)
		e -= sl;
	*s = line + b;
	*n = e - b;
}

static int bcache_prefix(const char *line, size_t llen, const char *p)
{
	size_t n = strlen(p);

	return llen >= n && memcmp(line, p, n) == 0;
}

/* writeback_rate_debug: rate, target, proportional, integral, change. */
int bcache_writeback_parse(const char *p, size_t len, double v[5])
{
	const char *line, *s;
	size_t llen, pos = 0, n;
	uint64_t u;

	while (hc_line(p, len, &pos, &line, &llen)) {
		if (bcache_prefix(line, llen, "rate:")) {
			bcache_last(line, llen, "/sec", &s, &n);
			if (bcache_dehumanize(s, n, &u) < 0)
				return -1;
			v[0] = (double)u;
		} else if (bcache_prefix(line, llen, "dirty:")) {
			bcache_last(line, llen, "", &s, &n);
			if (bcache_dehumanize(s, n, &u) < 0)
				return -1;
		} else if (bcache_prefix(line, llen, "target:")) {
			bcache_last(line, llen, "", &s, &n);
			if (bcache_dehumanize(s, n, &u) < 0)
				return -1;
			v[1] = (double)u;
		} else if (bcache_prefix(line, llen, "proportional:")) {
			bcache_last(line, llen, "", &s, &n);
			if (bcache_signed(s, n, &v[2]) < 0)
				return -1;
		} else if (bcache_prefix(line, llen, "integral:")) {
			bcache_last(line, llen, "", &s, &n);
			if (bcache_signed(s, n, &v[3]) < 0)
				return -1;
		} else if (bcache_prefix(line, llen, "change:")) {
			bcache_last(line, llen, "/sec", &s, &n);
			if (bcache_signed(s, n, &v[4]) < 0)
				return -1;
		} else if (bcache_prefix(line, llen, "next io:")) {
			int64_t x;

			bcache_last(line, llen, "ms", &s, &n);
			if (parse_i64(s, n, INT64_MIN, INT64_MAX, &x) < 0)
				return -1;
		}
	}
	return 0;
}

/* priority_stats: the Unused and Metadata percentages. */
int bcache_priority_parse(const char *p, size_t len, double v[2])
{
	const char *line, *s;
	size_t llen, pos = 0, n;
	uint64_t u;

	while (hc_line(p, len, &pos, &line, &llen)) {
		int k = bcache_prefix(line, llen, "Unused:") ? 0 :
			bcache_prefix(line, llen, "Metadata:") ? 1 : -1;

		if (k < 0)
			continue;
		bcache_last(line, llen, "%", &s, &n);
		if (parse_u64(s, n, 0, UINT64_MAX, &u) < 0)
			return -1;
		v[k] = (double)u;
	}
	return 0;
}

/* procfs' reader: a missing file is 0, any other failure stops the set. */
struct bcache_rd {
	const char *dir;
	int err;
	struct buf b;
};

static double bcache_value(struct bcache_rd *r, const char *sub,
			   const char *file)
{
	char path[PATH_MAX + 512];
	uint64_t u;

	if (r->err)
		return 0;
	hc_fmt(path, sizeof(path), "%s%s%s/%s", r->dir, *sub ? "/" : "", sub,
	       file);
	if (hc_read(path, &r->b) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			r->err = 1;
		return 0;
	}
	/* procfs drops the last byte (the newline) unseen. */
	if (r->b.len == 0 ||
	    bcache_dehumanize(r->b.p, r->b.len - 1, &u) < 0) {
		r->err = 1;
		return 0;
	}
	return (double)u;
}

static int bcache_file(struct bcache_rd *r, const char *sub,
		       const char *file,
		       int (*parse)(const char *, size_t, double *), double *v)
{
	char path[PATH_MAX + 512];

	if (r->err)
		return 0;
	hc_fmt(path, sizeof(path), "%s/%s/%s", r->dir, sub, file);
	if (hc_read(path, &r->b) < 0 || parse(r->b.p, r->b.len, v) < 0)
		r->err = 1;
	return 0;
}

static const char *const bcache_period[7][3] = {
	{ "bypassed", "bypassed_bytes_total", "Amount of IO (both reads and writes) that has bypassed the cache." },
	{ "cache_hits", "cache_hits_total", "Hits counted per individual IO as bcache sees them." },
	{ "cache_misses", "cache_misses_total", "Misses counted per individual IO as bcache sees them." },
	{ "cache_bypass_hits", "cache_bypass_hits_total", "Hits for IO intended to skip the cache." },
	{ "cache_bypass_misses", "cache_bypass_misses_total", "Misses for IO intended to skip the cache." },
	{ "cache_miss_collisions", "cache_miss_collisions_total", "Instances where data insertion from cache miss raced with write (data already present)." },
	{ "cache_readaheads", "cache_readaheads_total", "Count of times readahead occurred." },
};

static const char *const bcache_top[10][4] = {
	{ "", "average_key_size", "average_key_size_sectors", "Average data per key in the btree (sectors)." },
	{ "", "btree_cache_size", "btree_cache_size_bytes", "Amount of memory currently used by the btree cache." },
	{ "", "cache_available_percent", "cache_available_percent", "Percentage of cache device without dirty data, usable for writeback (may contain clean cached data)." },
	{ "", "congested", "congested", "Congestion." },
	{ "", "root_usage_percent", "root_usage_percent", "Percentage of the root btree node in use (tree depth increases if too high)." },
	{ "", "tree_depth", "tree_depth", "Depth of the btree." },
	{ "internal", "active_journal_entries", "active_journal_entries", "Number of journal entries that are newer than the index." },
	{ "internal", "btree_nodes", "btree_nodes", "Total nodes in the btree." },
	{ "internal", "btree_read_average_duration_us", "btree_read_average_duration_seconds", "Average btree read duration." },
	{ "internal", "cache_read_races", "cache_read_races_total", "Counts instances where while data was being read from the cache, the bucket was reused and invalidated - i.e. where the pointer was stale after the read completed." },
};

static int bcache_add(struct out *o, const char *metric, const char *help,
		      enum out_type t, double v, const char *uuid,
		      const char *label, const char *value)
{
	char name[128];

	hc_fmt(name, sizeof(name), "node_bcache_%s", metric);
	if (label)
		return out_add(o, name, help, t, v, "uuid", uuid, label, value,
			       NULL);
	return out_add(o, name, help, t, v, "uuid", uuid, NULL);
}

static int bcache_set(struct hc *hc, const char *dir, const char *uuid,
		      struct out *o)
{
	struct bcache_rd r = { dir, 0, BUF_INIT(HC_FILE_MAX) };
	struct names bdevs = { NULL, 0 }, caches = { NULL, 0 };
	double top[10], (*bd)[14] = NULL, (*cd)[5] = NULL;
	size_t i, k;
	int rc = HC_FAIL, e = 0;

	for (k = 0; k < 10; k++)
		top[k] = bcache_value(&r, bcache_top[k][0], bcache_top[k][1]);
	/* Read, as procfs reads them, though no series reports them. */
	for (k = 0; k < 7; k++)
		(void)bcache_value(&r, "stats_five_minute", bcache_period[k][0]);
	for (k = 0; k < 7; k++)
		(void)bcache_value(&r, "stats_total", bcache_period[k][0]);
	if (r.err)
		goto out;
	if (hc_list_prefix(dir, "bdev", &bdevs) < 0 ||
	    hc_list_prefix(dir, "cache", &caches) < 0) {
		if (errno != ENOENT)
			goto out;
	}
	if ((bdevs.n && !(bd = calloc(bdevs.n, sizeof(*bd)))) ||
	    (caches.n && !(cd = calloc(caches.n, sizeof(*cd)))))
		goto out;
	for (i = 0; i < bdevs.n; i++) {
		char sub[512];

		/* dirty_data, the five debug values, the seven totals. */
		bd[i][0] = bcache_value(&r, bdevs.v[i], "dirty_data");
		bcache_file(&r, bdevs.v[i], "writeback_rate_debug",
			    bcache_writeback_parse, &bd[i][1]);
		hc_fmt(sub, sizeof(sub), "%s/stats_five_minute", bdevs.v[i]);
		for (k = 0; k < 7; k++)
			(void)bcache_value(&r, sub, bcache_period[k][0]);
		hc_fmt(sub, sizeof(sub), "%s/stats_total", bdevs.v[i]);
		for (k = 0; k < 7; k++)
			bd[i][6 + k] = bcache_value(&r, sub,
						    bcache_period[k][0]);
	}
	if (r.err)
		goto out;
	for (i = 0; i < caches.n; i++) {
		cd[i][0] = bcache_value(&r, caches.v[i], "io_errors");
		cd[i][1] = bcache_value(&r, caches.v[i], "metadata_written");
		cd[i][2] = bcache_value(&r, caches.v[i], "written");
		if (hc->bcache_priority)
			bcache_file(&r, caches.v[i], "priority_stats",
				    bcache_priority_parse, &cd[i][3]);
	}
	if (r.err)
		goto out;
	for (k = 0; k < 10; k++)
		e |= bcache_add(o, bcache_top[k][2], bcache_top[k][3],
				k == 9 ? OUT_COUNTER : OUT_GAUGE,
				k == 8 ? top[k] * 1e-9 : top[k], uuid, NULL,
				NULL);
	for (i = 0; i < bdevs.n; i++) {
		static const char *const wb[6][2] = {
			{ "dirty_data_bytes", "Amount of dirty data for this backing device in the cache." },
			{ "writeback_rate", "Current writeback rate for this backing device in bytes." },
			{ "dirty_target_bytes", "Current dirty data target threshold for this backing device in bytes." },
			{ "writeback_rate_proportional_term", "Current result of proportional controller, part of writeback rate" },
			{ "writeback_rate_integral_term", "Current result of integral controller, part of writeback rate" },
			{ "writeback_change", "Last writeback rate change step for this backing device." },
		};

		for (k = 0; k < 6; k++)
			e |= bcache_add(o, wb[k][0], wb[k][1], OUT_GAUGE,
					bd[i][k], uuid, "backing_device",
					bdevs.v[i]);
		for (k = 0; k < 7; k++)
			if (k < 6 || bd[i][6 + k] != 0)
				e |= bcache_add(o, bcache_period[k][1],
						bcache_period[k][2],
						OUT_COUNTER, bd[i][6 + k],
						uuid, "backing_device",
						bdevs.v[i]);
	}
	for (i = 0; i < caches.n; i++) {
		e |= bcache_add(o, "io_errors",
				"Number of errors that have occurred, decayed by io_error_halflife.",
				OUT_GAUGE, cd[i][0], uuid, "cache_device",
				caches.v[i]);
		e |= bcache_add(o, "metadata_written_bytes_total",
				"Sum of all non data writes (btree writes and all other metadata).",
				OUT_COUNTER, cd[i][1], uuid, "cache_device",
				caches.v[i]);
		e |= bcache_add(o, "written_bytes_total",
				"Sum of all data that has been written to the cache.",
				OUT_COUNTER, cd[i][2], uuid, "cache_device",
				caches.v[i]);
		if (!hc->bcache_priority)
			continue;
		e |= bcache_add(o, "priority_stats_unused_percent",
				"The percentage of the cache that doesn't contain any data.",
				OUT_GAUGE, cd[i][3], uuid, "cache_device",
				caches.v[i]);
		e |= bcache_add(o, "priority_stats_metadata_percent",
				"Bcache's metadata overhead.", OUT_GAUGE,
				cd[i][4], uuid, "cache_device", caches.v[i]);
	}
	rc = e < 0 ? HC_FAIL : HC_OK;
out:
	if (r.err)
		log_error("bcache: cannot read the statistics of '%s'", dir);
	free(bd);
	free(cd);
	hc_names_free(&bdevs);
	hc_names_free(&caches);
	buf_free(&r.b);
	return rc;
}

int bcache_update(struct hc *hc, struct out *o)
{
	struct names sets = { NULL, 0 };
	struct out_mark m = out_mark(o);
	char base[PATH_MAX], dir[PATH_MAX + 256];
	size_t i;
	int rc = HC_OK;

	if (hc_path(base, sizeof(base), hc->sysfs, "fs/bcache") < 0)
		return HC_FAIL;
	/* Cache sets are the folders named with a dash (their UUID). */
	if (hc_list(base, &sets) < 0)
		return HC_OK;
	for (i = 0; i < sets.n && rc == HC_OK; i++) {
		if (!strchr(sets.v[i], '-'))
			continue;
		hc_fmt(dir, sizeof(dir), "%s/%s", base, sets.v[i]);
		rc = bcache_set(hc, dir, sets.v[i], o);
	}
	if (rc != HC_OK)
		out_rollback(o, m);
	hc_names_free(&sets);
	return rc;
}
