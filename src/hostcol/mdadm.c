/* mdadm.c: the mdadm collector (software RAID from /proc/mdstat and /sys/block/md*, as node_md_*). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/* A line of the file: [p, p+n). */
struct span {
	const char *p;
	size_t n;
};

static const char *span_find(struct span s, const char *needle)
{
	size_t nl = strlen(needle), i;

	if (nl > s.n)
		return NULL;
	for (i = 0; i + nl <= s.n; i++)
		if (memcmp(s.p + i, needle, nl) == 0)
			return s.p + i;
	return NULL;
}

static size_t span_count(struct span s, const char *needle)
{
	size_t nl = strlen(needle), i, n = 0;

	for (i = 0; i + nl <= s.n;)
		if (memcmp(s.p + i, needle, nl) == 0) {
			n++;
			i += nl;
		} else {
			i++;
		}
	return n;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Go's strconv.ParseInt(s, 10, 64). */
static int int10(const char *p, size_t n, int64_t *v)
{
	uint64_t u;

	if (n > 0 && (p[0] == '+' || p[0] == '-')) {
		if (parse_u64(p + 1, n - 1, 0, (uint64_t)INT64_MAX + (p[0] == '-'),
			      &u) < 0)
			return -1;
		*v = p[0] == '-' ? (u == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
				    -(int64_t)u) : (int64_t)u;
		return 0;
	}
	return parse_i64(p, n, INT64_MIN, INT64_MAX, v);
}

/* Digits at p (at least one) up to e: their count. */
static size_t digits(const char *p, const char *e)
{
	const char *s = p;

	while (p < e && is_digit(*p))
		p++;
	return (size_t)(p - s);
}

/*
 * `(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]`: total and active from the
 * last "[n/m] [UU_]" after the first "N blocks ", the count of '_' as down.
 */
static int status_re(struct span s, int64_t *total, int64_t *active)
{
	const char *e = s.p + s.n, *b = NULL, *q;
	size_t i;

	for (i = 1; i + 8 <= s.n; i++)
		if (memcmp(s.p + i, " blocks ", 8) == 0 && is_digit(s.p[i - 1])) {
			b = s.p + i + 8;
			break;
		}
	if (!b)
		return -1;
	for (q = e - 1; q >= b; q--) {
		const char *x = q, *d1, *d2;
		size_t n1, n2, nu;

		if (*x != '[')
			continue;
		d1 = ++x;
		n1 = digits(x, e);
		x += n1;
		if (!n1 || x >= e || *x != '/')
			continue;
		d2 = ++x;
		n2 = digits(x, e);
		x += n2;
		if (!n2 || e - x < 3 || memcmp(x, "] [", 3) != 0)
			continue;
		x += 3;
		for (nu = 0; x < e && (*x == 'U' || *x == '_'); x++)
			nu++;
		if (!nu || x >= e || *x != ']')
			continue;
		if (int10(d1, n1, total) < 0 || int10(d2, n2, active) < 0)
			return -1;
		return 0;
	}
	return -1;
}

/* `= (.+)%`, `finish=(.+)min`, `speed=(.+)[A-Z]`: greedy to the last end
 * mark after the first start mark; the capture must be a float. */
static int recovery_field(struct span s, const char *start, const char *end,
			  int upper, int trim)
{
	const char *a = span_find(s, start), *e = s.p + s.n, *z;
	size_t el = end ? strlen(end) : 1;
	double v;

	if (!a)
		return -1;
	a += strlen(start);
	for (z = e - el; z > a; z--) {
		if (upper ? (*z >= 'A' && *z <= 'Z') : memcmp(z, end, el) == 0)
			break;
	}
	if (z <= a)
		return -1;
	if (trim) {
		while (a < z && (*a == ' ' || *a == '\t'))
			a++;
		while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
			z--;
	}
	return hc_parse_f64(a, (size_t)(z - a), &v);
}

static int recovery_line(struct span s, int64_t *synced)
{
	const char *p = s.p, *e = s.p + s.n;
	int64_t tobe;

	for (; p < e; p++) {
		const char *x = p + 1;
		size_t n1, n2;

		if (*p != '(')
			continue;
		n1 = digits(x, e);
		if (!n1 || x + n1 >= e || x[n1] != '/')
			continue;
		n2 = digits(x + n1 + 1, e);
		if (!n2 || x + n1 + 1 + n2 >= e || x[n1 + 1 + n2] != ')')
			continue;
		if (int10(x, n1, synced) < 0 ||
		    int10(x + n1 + 1, n2, &tobe) < 0)
			return -1;
		break;
	}
	if (p >= e)
		return -1;
	if (recovery_field(s, "= ", "%", 0, 1) < 0 ||
	    recovery_field(s, "finish=", "min", 0, 0) < 0 ||
	    recovery_field(s, "speed=", NULL, 1, 0) < 0)
		return -1;
	return 0;
}

/* Component fields `(.*)\[(\d+)\]...`: the index must fit an int32. */
static int components_ok(const struct field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *p = f[i].p, *e = f[i].p + f[i].n, *q;

		for (q = e - 1; q >= p; q--) {
			size_t nd;
			int64_t v;

			if (*q != '[')
				continue;
			nd = digits(q + 1, e);
			if (!nd || q + 1 + nd >= e || q[1 + nd] != ']')
				continue;
			if (parse_i64(q + 1, nd, INT32_MIN, INT32_MAX, &v) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

static int emit_md(struct out *o, const char *name, const char *state,
		   int64_t active, int64_t total, int64_t failed,
		   int64_t spare, int64_t size, int64_t synced)
{
	static const char *const st[5][2] = {
		{ "active", "active" }, { "inactive", "inactive" },
		{ "recovering", "recovering" }, { "resyncing", "resync" },
		{ "checking", "check" },
	};
	static const char disks_help[] =
		"Number of active/failed/spare disks of device.";
	size_t i;

	if (out_add(o, "node_md_disks_required",
		    "Total number of disks of device.", OUT_GAUGE,
		    (double)total, "device", name, NULL) < 0 ||
	    out_add(o, "node_md_disks", disks_help, OUT_GAUGE, (double)active,
		    "device", name, "state", "active", NULL) < 0 ||
	    out_add(o, "node_md_disks", disks_help, OUT_GAUGE, (double)failed,
		    "device", name, "state", "failed", NULL) < 0 ||
	    out_add(o, "node_md_disks", disks_help, OUT_GAUGE, (double)spare,
		    "device", name, "state", "spare", NULL) < 0)
		return -1;
	for (i = 0; i < 5; i++)
		if (out_add(o, "node_md_state",
			    "Indicates the state of md-device.", OUT_GAUGE,
			    strcmp(state, st[i][0]) == 0 ? 1.0 : 0.0, "device",
			    name, "state", st[i][1], NULL) < 0)
			return -1;
	if (out_add(o, "node_md_blocks", "Total number of blocks on device.",
		    OUT_GAUGE, (double)size, "device", name, NULL) < 0 ||
	    out_add(o, "node_md_blocks_synced",
		    "Number of blocks synced on device.", OUT_GAUGE,
		    (double)synced, "device", name, NULL) < 0)
		return -1;
	return 0;
}

#define MD_MAX_LINES 65536

/* A known personality, and not "(...)" nor "sda[0]". */
static int raid_type(const struct field *f, char known[][32], size_t nknown)
{
	size_t j;

	if (memchr(f->p, '(', f->n) || memchr(f->p, '[', f->n))
		return 0;
	for (j = 0; j < nknown; j++)
		if (strlen(known[j]) == f->n &&
		    memcmp(known[j], f->p, f->n) == 0)
			return 1;
	return 0;
}

/* /proc/mdstat as procfs parses it; -1 on what procfs refuses. */
int mdstat_parse(const char *p, size_t len, struct out *o)
{
	struct span *ln;
	size_t nl = 0, i, pos = 0;
	char known[64][32];
	size_t nknown = 0;
	int rc = -1;

	{
		const char *q = p, *e = p + len;
		size_t cnt = 1;

		while (q < e && (q = memchr(q, '\n', (size_t)(e - q)))) {
			cnt++;
			q++;
		}
		if (cnt > MD_MAX_LINES)
			return -1;
		ln = malloc(cnt * sizeof(*ln));
		if (!ln)
			return -1;
	}
	/* strings.Split(data, "\n"): a final newline makes a last empty line. */
	for (;;) {
		const char *nlp = memchr(p + pos, '\n', len - pos);

		if (nl == MD_MAX_LINES)
			goto out;
		ln[nl].p = p + pos;
		ln[nl].n = nlp ? (size_t)(nlp - p - pos) : len - pos;
		nl++;
		if (!nlp)
			break;
		pos = (size_t)(nlp - p) + 1;
	}
	for (i = 0; i < nl; i++) {
		struct span l = ln[i];
		struct field f[256], sf[4];
		size_t nf, k, start = 0;
		int64_t total = 0, active = 0, size = 0, synced, failed, spare;
		char name[256];
		const char *state;
		char statebuf[64];
		struct span sync;

		nf = hc_fields(l.p, l.n, f, 256);
		if (nf == 0 || l.p[0] == ' ' ||
		    (l.n >= 6 && memcmp(l.p, "unused", 6) == 0))
			continue;
		if (nknown == 0 && l.n >= 16 &&
		    memcmp(l.p, "Personalities : ", 16) == 0) {
			nf = hc_fields(l.p + 16, l.n - 16, f, 256);
			for (k = 0; k < nf && nknown < 64; k++) {
				if (f[k].n < 2 || f[k].n - 2 >= sizeof(known[0]))
					goto out;
				memcpy(known[nknown], f[k].p + 1, f[k].n - 2);
				known[nknown++][f[k].n - 2] = '\0';
			}
			continue;
		}
		if (nf < 3 || nf == 256)
			goto out;
		if (hc_fmt(name, sizeof(name), "%.*s", (int)f[0].n, f[0].p) < 0 ||
		    hc_fmt(statebuf, sizeof(statebuf), "%.*s", (int)f[2].n,
			   f[2].p) < 0)
			goto out;
		state = statebuf;
		if (nf > 3) {
			if (raid_type(&f[3], known, nknown))
				start = 4;
			else if (nf > 4 && raid_type(&f[4], known, nknown))
				start = 5;
		}
		if (nl <= i + 3)
			goto out;
		failed = (int64_t)span_count(l, "(F)");
		spare = (int64_t)span_count(l, "(S)");
		if (hc_fields(ln[i + 1].p, ln[i + 1].n, sf, 1) < 1 ||
		    int10(sf[0].p, sf[0].n, &size) < 0)
			goto out;
		if (span_find(l, "raid0") || span_find(l, "linear")) {
			total = active = (int64_t)span_count(l, "[");
		} else if (span_find(l, "inactive")) {
			total = active = 0;
		} else if (status_re(ln[i + 1], &total, &active) < 0) {
			goto out;
		}
		sync = ln[i + 2];
		if (span_find(sync, "bitmap"))
			sync = ln[i + 3];
		synced = size;
		if (span_find(sync, "recovery") || span_find(sync, "reshape") ||
		    span_find(sync, "resync") || span_find(sync, "check")) {
			if (span_find(sync, "recovery"))
				state = "recovering";
			else if (span_find(sync, "reshape"))
				state = "reshaping";
			else if (span_find(sync, "check"))
				state = "checking";
			else
				state = "resyncing";
			if (span_find(sync, "PENDING") ||
			    span_find(sync, "DELAYED"))
				synced = 0;
			else if (recovery_line(sync, &synced) < 0)
				goto out;
		}
		if (components_ok(f + start, nf - start) < 0)
			goto out;
		if (o && emit_md(o, name, state, active, total, failed, spare,
				 size, synced) < 0)
			goto out;
	}
	rc = 0;
out:
	free(ln);
	return rc;
}

static int sys_str(const char *dir, const char *file, struct buf *b)
{
	char path[PATH_MAX];

	if (hc_fmt(path, sizeof(path), "%s/%s", dir, file) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return hc_read_str(path, b);
}

static int sys_uint(const char *dir, const char *file, uint64_t *v)
{
	struct buf b = BUF_INIT(65536);
	int rc = -1;

	if (sys_str(dir, file, &b) == 0) {
		rc = parse_u64(buf_cstr(&b), b.len, 0, UINT64_MAX, v);
		if (rc < 0)
			errno = EINVAL;
	}
	buf_free(&b);
	return rc;
}

static int level_is(const char *level, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(level, *set) == 0)
			return 1;
	return 0;
}

/* /sys/block/md<any>/md: raid_disks and degraded, as sysfs.Mdraids(). */
static int mdraids(struct hc *hc, struct out *o)
{
	static const char *const chunked[] = { "raid0", "raid4", "raid5",
		"raid6", "raid10", NULL };
	static const char *const redundant[] = { "raid1", "raid4", "raid5",
		"raid6", "raid10", NULL };
	struct names n = { NULL, 0 }, devs = { NULL, 0 };
	struct buf level = BUF_INIT(65536), tmp = BUF_INIT(65536);
	char blk[PATH_MAX], md[PATH_MAX + 300];
	size_t i, j;
	int rc = -1;

	if (hc_path(blk, sizeof(blk), hc->sysfs, "block") < 0)
		return -1;
	if (hc_list(blk, &n) < 0)
		return errno == ENOENT ? 0 : -1;
	md[0] = '\0';
	for (i = 0; i < n.n; i++) {
		struct stat st;
		uint64_t disks = 0, degraded = 0, v;
		int have_disks = 0;

		if (strncmp(n.v[i], "md", 2) != 0)
			continue;
		hc_fmt(md, sizeof(md), "%s/%s/md", blk, n.v[i]);
		if (lstat(md, &st) < 0)
			continue;
		if (sys_str(md, "level", &level) < 0 ||
		    sys_str(md, "array_state", &tmp) < 0 ||
		    sys_str(md, "metadata_version", &tmp) < 0)
			goto out;
		if (level.len && strcmp(level.p, "container") != 0 &&
		    strcmp(level.p, "imsm") != 0 && strcmp(level.p, "ddf") != 0) {
			const char *sp;

			if (sys_str(md, "raid_disks", &tmp) < 0)
				goto out;
			if (tmp.len && parse_u64(tmp.p, tmp.len, 0, UINT64_MAX,
						 &disks) == 0) {
				have_disks = 1;
			} else if (tmp.len && (sp = memchr(tmp.p, ' ', tmp.len)) &&
				   sp > tmp.p &&
				   parse_u64(tmp.p, (size_t)(sp - tmp.p), 0,
					     UINT64_MAX, &disks) == 0) {
				have_disks = 1;
			}
		}
		if (sys_str(md, "uuid", &tmp) < 0)
			goto out;
		if (hc_list(md, &devs) < 0)
			goto out;
		for (j = 0; j < devs.n; j++) {
			char dev[PATH_MAX + 600];

			if (strncmp(devs.v[j], "dev-", 4) != 0)
				continue;
			hc_fmt(dev, sizeof(dev), "%s/%s", md, devs.v[j]);
			if (sys_str(dev, "state", &tmp) < 0)
				goto out;
		}
		hc_names_free(&devs);
		if (level_is(buf_cstr(&level), chunked) &&
		    sys_uint(md, "chunk_size", &v) < 0)
			goto out;
		if (level_is(buf_cstr(&level), redundant)) {
			if (sys_uint(md, "degraded", &degraded) < 0 ||
			    sys_str(md, "sync_action", &tmp) < 0 ||
			    sys_str(md, "sync_completed", &tmp) < 0)
				goto out;
		}
		if (have_disks &&
		    out_add(o, "node_md_raid_disks",
			    "Number of raid disks on device.", OUT_GAUGE,
			    (double)disks, "device", n.v[i], NULL) < 0)
			goto out;
		if (out_add(o, "node_md_degraded",
			    "Number of degraded disks on device.", OUT_GAUGE,
			    (double)degraded, "device", n.v[i], NULL) < 0)
			goto out;
	}
	rc = 0;
out:
	/* A missing file is no data to node_exporter, not a failure. */
	if (rc < 0 && errno == ENOENT)
		rc = -2;
	else if (rc < 0)
		log_error("mdadm: error parsing mdraids: '%s': %s", md,
			  strerror(errno));
	hc_names_free(&devs);
	hc_names_free(&n);
	buf_free(&level);
	buf_free(&tmp);
	return rc;
}

int mdadm_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_FAIL;

	if (hc_path(path, sizeof(path), hc->procfs, "mdstat") < 0 ||
	    hc_read(path, &b) < 0) {
		if (errno == ENOENT)
			rc = HC_NODATA;
		else
			log_error("mdadm: error parsing mdstatus: %s",
				  strerror(errno));
		goto out;
	}
	if (mdstat_parse(b.p ? b.p : "", b.len, o) < 0) {
		log_error("mdadm: error parsing mdstatus: malformed '%s'", path);
		goto out;
	}
	switch (mdraids(hc, o)) {
	case 0:
		rc = HC_OK;
		break;
	case -2:
		rc = HC_NODATA;
		break;
	default:
		break;
	}
out:
	buf_free(&b);
	return rc;
}
