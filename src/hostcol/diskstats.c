/* diskstats.c: the diskstats collector (/proc/diskstats, udev properties, /sys/block). */
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

#define SECONDS_PER_TICK (1.0 / 1000.0)
#define SECTOR_SIZE 512.0

static const struct {
	const char *name, *help;
	enum out_type type;
	double scale;
} disk_fields[] = {
	{ "node_disk_reads_completed_total",
	  "The total number of reads completed successfully.", OUT_COUNTER, 1 },
	{ "node_disk_reads_merged_total", "The total number of reads merged.",
	  OUT_COUNTER, 1 },
	{ "node_disk_read_bytes_total",
	  "The total number of bytes read successfully.", OUT_COUNTER,
	  SECTOR_SIZE },
	{ "node_disk_read_time_seconds_total",
	  "The total number of seconds spent by all reads.", OUT_COUNTER,
	  SECONDS_PER_TICK },
	{ "node_disk_writes_completed_total",
	  "The total number of writes completed successfully.", OUT_COUNTER, 1 },
	{ "node_disk_writes_merged_total", "The number of writes merged.",
	  OUT_COUNTER, 1 },
	{ "node_disk_written_bytes_total",
	  "The total number of bytes written successfully.", OUT_COUNTER,
	  SECTOR_SIZE },
	{ "node_disk_write_time_seconds_total",
	  "This is the total number of seconds spent by all writes.",
	  OUT_COUNTER, SECONDS_PER_TICK },
	{ "node_disk_io_now", "The number of I/Os currently in progress.",
	  OUT_GAUGE, 1 },
	{ "node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.",
	  OUT_COUNTER, SECONDS_PER_TICK },
	{ "node_disk_io_time_weighted_seconds_total",
	  "The weighted # of seconds spent doing I/Os.", OUT_COUNTER,
	  SECONDS_PER_TICK },
	{ "node_disk_discards_completed_total",
	  "The total number of discards completed successfully.", OUT_COUNTER,
	  1 },
	{ "node_disk_discards_merged_total",
	  "The total number of discards merged.", OUT_COUNTER, 1 },
	{ "node_disk_discarded_sectors_total",
	  "The total number of sectors discarded successfully.", OUT_COUNTER,
	  1 },
	{ "node_disk_discard_time_seconds_total",
	  "This is the total number of seconds spent by all discards.",
	  OUT_COUNTER, SECONDS_PER_TICK },
	{ "node_disk_flush_requests_total",
	  "The total number of flush requests completed successfully",
	  OUT_COUNTER, 1 },
	{ "node_disk_flush_requests_time_seconds_total",
	  "This is the total number of seconds spent by all flush requests.",
	  OUT_COUNTER, SECONDS_PER_TICK },
};
#define NDISK_FIELDS (sizeof(disk_fields) / sizeof(disk_fields[0]))

int diskstats_init(struct hc *hc)
{
	const char *exclude = hc->diskstats_exclude;

	if (hc->diskstats_include && *hc->diskstats_include) {
		if (hc->diskstats_exclude_set && exclude && *exclude) {
			log_error("--collector.diskstats.device-exclude and "
				  "--collector.diskstats.device-include are "
				  "mutually exclusive");
			return -1;
		}
		exclude = NULL;
	}
	return filter_init(&hc->diskstats_filter, "diskstats device filter",
			   exclude, hc->diskstats_include);
}

/*
 * The udev properties a device's series use, from its "E:NAME=VALUE"
 * lines: one pass over the file; the last line of a name wins, as in a
 * map, and a value is cut at 1023 bytes.
 */
enum {
	U_SCSI_IDENT_SERIAL, U_ID_SERIAL_SHORT, U_ID_SERIAL, U_ID_PATH,
	U_ID_WWN, U_ID_MODEL, U_ID_REVISION, U_ID_FS_TYPE, U_ID_FS_USAGE,
	U_ID_FS_UUID, U_ID_FS_VERSION, U_DM_NAME, U_DM_UUID, U_DM_VG_NAME,
	U_DM_LV_NAME, U_DM_LV_LAYER, U_ID_ATA, U_ID_ATA_WRITE_CACHE,
	U_ID_ATA_WRITE_CACHE_ENABLED, U_ID_ATA_ROTATION_RATE_RPM, U_N
};

static const char *const udev_keys[U_N] = {
	"SCSI_IDENT_SERIAL", "ID_SERIAL_SHORT", "ID_SERIAL", "ID_PATH",
	"ID_WWN", "ID_MODEL", "ID_REVISION", "ID_FS_TYPE", "ID_FS_USAGE",
	"ID_FS_UUID", "ID_FS_VERSION", "DM_NAME", "DM_UUID", "DM_VG_NAME",
	"DM_LV_NAME", "DM_LV_LAYER", "ID_ATA", "ID_ATA_WRITE_CACHE",
	"ID_ATA_WRITE_CACHE_ENABLED", "ID_ATA_ROTATION_RATE_RPM",
};

#define UDEV_VALUE_MAX 1023

/* The values of b (its lines cut into strings in place), NULL for a
 * name absent. */
static void udev_parse(struct buf *b, const char *v[U_N])
{
	const char *line;
	size_t llen, pos = 0, i;

	for (i = 0; i < U_N; i++)
		v[i] = NULL;
	while (b->p && hc_line(b->p, b->len, &pos, &line, &llen)) {
		const char *eq;
		size_t kl;
		char *val;

		if (llen < 3 || line[0] != 'E' || line[1] != ':')
			continue;
		eq = memchr(line + 2, '=', llen - 2);
		if (!eq)
			continue;
		kl = (size_t)(eq - line - 2);
		for (i = 0; i < U_N; i++)
			if (strlen(udev_keys[i]) == kl &&
			    memcmp(udev_keys[i], line + 2, kl) == 0)
				break;
		if (i == U_N)
			continue;
		/* The line's end is the file's NUL or its '\n', which
		 * hc_line has stepped past: cut there. */
		val = b->p + (eq + 1 - b->p);
		if (llen - kl - 3 > UDEV_VALUE_MAX)
			val[UDEV_VALUE_MAX] = '\0';
		else
			val[llen - kl - 3] = '\0';
		v[i] = val;
	}
}

static const char *udev_str(const char *const v[U_N], int k)
{
	return v[k] ? v[k] : "";
}

static int disk_device(struct hc *hc, struct out *o, const char *dev,
		       const char *smaj, const char *smin, const uint64_t *v,
		       size_t nv, int have_udev)
{
	struct buf u = BUF_INIT(1024 * 1024);
	char path[PATH_MAX], rel[PATH_MAX], rot[2] = "0";
	const char *uv[U_N], *serial, *a;
	size_t i, ml = strlen(smaj), nl = strlen(smin), dl = strlen(dev);
	uint64_t r;
	int rc = -1;

	if (have_udev && ml + nl + 3 <= sizeof(rel)) {
		rel[0] = 'b';
		memcpy(rel + 1, smaj, ml);
		rel[1 + ml] = ':';
		memcpy(rel + 2 + ml, smin, nl + 1);
		if (hc_path(path, sizeof(path), hc->udev, rel) < 0 ||
		    hc_read(path, &u) < 0)
			buf_reset(&u);
	}
	udev_parse(&u, uv);
	serial = udev_str(uv, U_SCSI_IDENT_SERIAL);
	if (!*serial)
		serial = udev_str(uv, U_ID_SERIAL_SHORT);
	if (!*serial)
		serial = udev_str(uv, U_ID_SERIAL);
	if (dl + 32 <= sizeof(rel)) {
		memcpy(rel, "block/", 6);
		memcpy(rel + 6, dev, dl);
		memcpy(rel + 6 + dl, "/queue/rotational", 18);
		if (hc_path(path, sizeof(path), hc->sysfs, rel) == 0 &&
		    hc_read_u64(path, &r) == 0 && r == 1)
			rot[0] = '1';
	}
	if (out_add(o, "node_disk_info", "Info of /sys/block/<block_device>.",
		    OUT_GAUGE, 1.0, "device", dev, "major", smaj, "minor", smin,
		    "path", udev_str(uv, U_ID_PATH), "wwn",
		    udev_str(uv, U_ID_WWN), "model", udev_str(uv, U_ID_MODEL),
		    "serial", serial, "revision", udev_str(uv, U_ID_REVISION),
		    "rotational", rot, NULL) < 0)
		goto out;
	for (i = 0; i < nv && i < NDISK_FIELDS; i++)
		if (out_add(o, disk_fields[i].name, disk_fields[i].help,
			    disk_fields[i].type,
			    (double)v[i] * disk_fields[i].scale, "device", dev,
			    NULL) < 0)
			goto out;
	a = udev_str(uv, U_ID_FS_TYPE);
	if (*a &&
	    out_add(o, "node_disk_filesystem_info",
		    "Info about disk filesystem.", OUT_GAUGE, 1.0, "device",
		    dev, "type", a, "usage", udev_str(uv, U_ID_FS_USAGE),
		    "uuid", udev_str(uv, U_ID_FS_UUID), "version",
		    udev_str(uv, U_ID_FS_VERSION), NULL) < 0)
		goto out;
	a = udev_str(uv, U_DM_NAME);
	if (*a &&
	    out_add(o, "node_disk_device_mapper_info",
		    "Info about disk device mapper.", OUT_GAUGE, 1.0, "device",
		    dev, "name", a, "uuid", udev_str(uv, U_DM_UUID), "vg_name",
		    udev_str(uv, U_DM_VG_NAME), "lv_name",
		    udev_str(uv, U_DM_LV_NAME), "lv_layer",
		    udev_str(uv, U_DM_LV_LAYER), NULL) < 0)
		goto out;
	if (*udev_str(uv, U_ID_ATA)) {
		static const struct {
			int key;
			const char *name, *help;
		} ata[] = {
			{ U_ID_ATA_WRITE_CACHE, "node_disk_ata_write_cache",
			  "ATA disk has a write cache." },
			{ U_ID_ATA_WRITE_CACHE_ENABLED,
			  "node_disk_ata_write_cache_enabled",
			  "ATA disk has its write cache enabled." },
			{ U_ID_ATA_ROTATION_RATE_RPM,
			  "node_disk_ata_rotation_rate_rpm",
			  "ATA disk rotation rate in RPMs (0 for SSDs)." },
		};
		for (i = 0; i < sizeof(ata) / sizeof(ata[0]); i++) {
			const char *s = uv[ata[i].key];
			double x;

			if (!s || hc_parse_f64(s, strlen(s), &x) < 0)
				continue;
			if (out_add(o, ata[i].name, ata[i].help, OUT_GAUGE, x,
				    "device", dev, NULL) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	buf_free(&u);
	return rc;
}

/*
 * The layout of the last /proc/diskstats parsed the long way: each
 * line's head ("   8       0 sda "), its count of values, and whether its
 * device is written (with its name and numbers as text).  While a file's
 * heads are the last one's, in order, each followed by its numbers
 * separated by single spaces as the kernel writes them, a cycle reads
 * only the numbers; the device filter is not run again.  Most lines are
 * byte for byte last cycle's (idle devices): those were read then, so a
 * cycle compares the file with last cycle's text and reads only the
 * lines that differ.
 */
struct ds_line {
	size_t hoff;		/* the head, in ds_heads */
	size_t head;		/* bytes of the head, into ds_heads */
	size_t nv;
	long dev;		/* into ds_devs, or -1 */
};

struct ds_dev {
	size_t name, smaj, smin;	/* into ds_text */
	uint64_t v[17];
	size_t nv;
};

static struct buf ds_heads = BUF_INIT(HC_FILE_MAX);
static struct buf ds_text = BUF_INIT(HC_FILE_MAX);
static struct ds_line *ds_lines;
static size_t ds_n, ds_cap;
static struct ds_dev *ds_devs;
static size_t ds_ndevs, ds_capdevs;
static const void *ds_ex, *ds_in;	/* the filter it was made with */
static int ds_valid;
/* Last cycle's file, as its ds_n lines were read. */
static struct hc_last ds_last = HC_LAST_INIT;
/* The file as read, kept: a cycle reads into the same memory. */
static struct buf ds_rd = BUF_INIT(HC_FILE_MAX);

void diskstats_cleanup(void)
{
	buf_free(&ds_heads);
	buf_free(&ds_text);
	hc_last_free(&ds_last);
	buf_free(&ds_rd);
	free(ds_lines);
	free(ds_devs);
	ds_lines = NULL;
	ds_devs = NULL;
	ds_n = ds_cap = ds_ndevs = ds_capdevs = 0;
	ds_valid = 0;
}

/* Line i of the layout at s (the file ends at e, in '\n'), its values
 * into ds_devs: the line's length, or 0 when it is not laid out so.
 * The loops over its bytes need no bound. */
static size_t ds_check(size_t i, const char *s, const char *e)
{
	const struct ds_line *l = &ds_lines[i];
	const char *b = s;
	size_t j, d;

	if ((size_t)(e - s) <= l->head ||
	    !hc_memeq(s, ds_heads.p + l->hoff, l->head))
		return 0;
	s += l->head;
	for (j = 0; j < l->nv; j++) {
		/* A device not written: its numbers are only checked. */
		if (l->dev >= 0)
			d = hc_digits(s, &ds_devs[l->dev].v[j]);
		else
			d = hc_digits_len(s, e);
		if (d == 0 || d > 19)
			return 0;
		s += d;
		if (*s++ != (j + 1 < l->nv ? ' ' : '\n'))
			return 0;
	}
	return (size_t)(s - b);
}

/* The lines against the layout, their values into ds_devs: 0, or -1
 * when they are not laid out so. */
static int ds_read(const char *p, size_t len)
{
	if (len == 0 || p[len - 1] != '\n')
		return -1;
	return hc_last_read(&ds_last, &ds_rd, p, len, ds_n, ds_check);
}

static int ds_udev(struct hc *hc)
{
	struct stat st;
	int have_udev = 0;

	/* Most containers and many VMs have no udev database. */
	if (hc->udev && !hc_absent(hc->udev)) {
		if (stat(hc->udev, &st) == 0)
			have_udev = S_ISDIR(st.st_mode);
		else if (errno == ENOENT)
			hc_note_absent(hc->udev);
	}
	return have_udev;
}

/* The fast way: 1 done, 0 when the file is not laid out as the last one
 * (nothing added then), -1 on error. */
static int diskstats_fast(const char *p, size_t len, struct hc *hc,
			  struct out *o)
{
	size_t i;
	int have_udev;

	if (!ds_valid || ds_ex != hc->diskstats_filter.exclude ||
	    ds_in != hc->diskstats_filter.include || ds_read(p, len) < 0)
		return 0;
	have_udev = ds_udev(hc);
	for (i = 0; i < ds_ndevs; i++) {
		const struct ds_dev *d = &ds_devs[i];

		if (disk_device(hc, o, ds_text.p + d->name,
				ds_text.p + d->smaj, ds_text.p + d->smin, d->v,
				d->nv, have_udev) < 0)
			return -1;
	}
	return 1;
}

/* Lays out a line for the next cycle: 0, or -1 when it cannot be kept.
 * dev is its device's name when written. */
static int ds_keep(const char *line, size_t llen, const struct field *f,
		   size_t nf, const char *dev, const char *smaj,
		   const char *smin)
{
	struct ds_line *l;
	size_t head = (size_t)(f[2].p + f[2].n - line) + 1;

	/* A line without values is kept the long way: its head would be
	 * all of it. */
	if (nf < 4 || head > llen || line[head - 1] != ' ')
		return -1;
	if (ds_n == ds_cap) {
		size_t cap = ds_cap ? ds_cap * 2 : 32;
		struct ds_line *nl = realloc(ds_lines, cap * sizeof(*nl));

		if (!nl)
			return -1;
		ds_lines = nl;
		if (hc_last_reserve(&ds_last, cap) < 0)
			return -1;
		ds_cap = cap;
	}
	l = &ds_lines[ds_n];
	l->hoff = ds_heads.len;
	l->head = head;
	l->nv = nf - 3;
	l->dev = -1;
	if (buf_add(&ds_heads, line, head) < 0)
		return -1;
	if (dev) {
		struct ds_dev *d;

		if (ds_ndevs == ds_capdevs) {
			size_t cap = ds_capdevs ? ds_capdevs * 2 : 8;
			struct ds_dev *nd = realloc(ds_devs, cap * sizeof(*nd));

			if (!nd)
				return -1;
			ds_devs = nd;
			ds_capdevs = cap;
		}
		d = &ds_devs[ds_ndevs];
		d->nv = nf - 3;
		d->name = ds_text.len;
		if (buf_add(&ds_text, dev, strlen(dev) + 1) < 0)
			return -1;
		d->smaj = ds_text.len;
		if (buf_add(&ds_text, smaj, strlen(smaj) + 1) < 0)
			return -1;
		d->smin = ds_text.len;
		if (buf_add(&ds_text, smin, strlen(smin) + 1) < 0)
			return -1;
		l->dev = (long)ds_ndevs++;
	}
	ds_n++;
	return 0;
}

int diskstats_parse(const char *p, size_t len, struct hc *hc, struct out *o)
{
	const char *line;
	size_t llen, pos = 0;
	int have_udev, fast, keep = 1;

	fast = diskstats_fast(p, len, hc, o);
	if (fast != 0)
		return fast > 0 ? 0 : -1;
	ds_valid = 0;
	ds_last.fresh = 1;
	ds_n = ds_ndevs = 0;
	buf_reset(&ds_heads);
	buf_reset(&ds_text);
	have_udev = ds_udev(hc);
	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[20];
		size_t nf = hc_fields(line, llen, f, 20), i, nv = 0;
		uint64_t major, minor, v[17];
		char dev[256], smaj[24], smin[24];
		int ignored;

		/* Fields are read in order until one does not parse, as
		 * Sscanf does; a bad number is a malformed file. */
		if (nf == 0) {
			keep = 0;
			continue;
		}
		if (nf < 3 || hc_field_u64(&f[0], &major) < 0 ||
		    major > UINT32_MAX || hc_field_u64(&f[1], &minor) < 0 ||
		    minor > UINT32_MAX || f[2].n >= sizeof(dev))
			return -1;
		for (i = 3; i < nf; i++) {
			if (hc_field_u64(&f[i], &v[nv]) < 0)
				return -1;
			nv++;
		}
		memcpy(dev, f[2].p, f[2].n);
		dev[f[2].n] = '\0';
		hc_u64_str(smaj, major);
		hc_u64_str(smin, minor);
		ignored = nf < 14 || filter_ignored(&hc->diskstats_filter, dev);
		if (keep && ds_keep(line, llen, f, nf, ignored ? NULL : dev,
				    smaj, smin) < 0)
			keep = 0;
		if (ignored)
			continue;
		if (disk_device(hc, o, dev, smaj, smin, v, nv, have_udev) < 0)
			return -1;
	}
	if (keep) {
		ds_ex = hc->diskstats_filter.exclude;
		ds_in = hc->diskstats_filter.include;
		/* The fast way must read this very file as the long way
		 * did. */
		ds_valid = ds_read(p, len) == 0;
	}
	return 0;
}

int diskstats_update(struct hc *hc, struct out *o)
{
	struct buf *b = &ds_rd;
	char path[PATH_MAX];

	if (hc_path(path, sizeof(path), hc->procfs, "diskstats") < 0 ||
	    hc_read(path, b) < 0) {
		log_error("diskstats: cannot read '%s': %s", path,
			  strerror(errno));
		return HC_FAIL;
	}
	if (diskstats_parse(b->p ? b->p : "", b->len, hc, o) < 0) {
		log_error("diskstats: malformed '%s'", path);
		return HC_FAIL;
	}
	return HC_OK;
}
