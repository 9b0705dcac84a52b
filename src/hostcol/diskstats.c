/* diskstats.c: the diskstats collector (/proc/diskstats, udev properties, /sys/block). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
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

/* The udev properties of one device: "E:NAME=VALUE" lines. */
struct udev {
	struct buf b;
};

static const char *udev_get(const struct udev *u, const char *key)
{
	const char *line;
	size_t llen, pos = 0, kl = strlen(key);
	const char *found = NULL;
	static char val[1024];

	while (u->b.p && hc_line(u->b.p, u->b.len, &pos, &line, &llen)) {
		if (llen < 2 + kl + 1 || line[0] != 'E' || line[1] != ':' ||
		    memcmp(line + 2, key, kl) != 0 || line[2 + kl] != '=')
			continue;
		/* The last one wins, as in a map. */
		found = line + 3 + kl;
		{
			size_t n = llen - 3 - kl;

			if (n >= sizeof(val))
				n = sizeof(val) - 1;
			memcpy(val, found, n);
			val[n] = '\0';
		}
	}
	return found ? val : NULL;
}

static void udev_str(const struct udev *u, const char *key, char *dst,
		     size_t size)
{
	const char *v = udev_get(u, key);

	hc_fmt(dst, size, "%s", v ? v : "");
}

static int disk_device(struct hc *hc, struct out *o, const char *dev,
		       uint64_t major, uint64_t minor, const uint64_t *v,
		       size_t nv, int have_udev)
{
	struct udev u = { BUF_INIT(1024 * 1024) };
	char path[PATH_MAX], rel[PATH_MAX];
	char smaj[24], smin[24], serial[1024], idpath[1024], wwn[1024],
	     model[1024], rev[1024], rot[2] = "0";
	char a[1024], b[1024], c[1024], d[1024], e[1024];
	uint64_t r;
	size_t i;
	int rc = -1;

	hc_fmt(smaj, sizeof(smaj), "%llu", (unsigned long long)major);
	hc_fmt(smin, sizeof(smin), "%llu", (unsigned long long)minor);
	if (have_udev) {
		hc_fmt(rel, sizeof(rel), "b%s:%s", smaj, smin);
		if (hc_path(path, sizeof(path), hc->udev, rel) < 0 ||
		    hc_read(path, &u.b) < 0)
			buf_reset(&u.b);
	}
	udev_str(&u, "SCSI_IDENT_SERIAL", serial, sizeof(serial));
	if (!*serial)
		udev_str(&u, "ID_SERIAL_SHORT", serial, sizeof(serial));
	if (!*serial)
		udev_str(&u, "ID_SERIAL", serial, sizeof(serial));
	udev_str(&u, "ID_PATH", idpath, sizeof(idpath));
	udev_str(&u, "ID_WWN", wwn, sizeof(wwn));
	udev_str(&u, "ID_MODEL", model, sizeof(model));
	udev_str(&u, "ID_REVISION", rev, sizeof(rev));
	hc_fmt(rel, sizeof(rel), "block/%s/queue/rotational", dev);
	if (hc_path(path, sizeof(path), hc->sysfs, rel) == 0 &&
	    hc_read_u64(path, &r) == 0 && r == 1)
		rot[0] = '1';
	if (out_add(o, "node_disk_info", "Info of /sys/block/<block_device>.",
		    OUT_GAUGE, 1.0, "device", dev, "major", smaj, "minor", smin,
		    "path", idpath, "wwn", wwn, "model", model, "serial",
		    serial, "revision", rev, "rotational", rot, NULL) < 0)
		goto out;
	for (i = 0; i < nv && i < NDISK_FIELDS; i++)
		if (out_add(o, disk_fields[i].name, disk_fields[i].help,
			    disk_fields[i].type,
			    (double)v[i] * disk_fields[i].scale, "device", dev,
			    NULL) < 0)
			goto out;
	udev_str(&u, "ID_FS_TYPE", a, sizeof(a));
	if (*a) {
		udev_str(&u, "ID_FS_USAGE", b, sizeof(b));
		udev_str(&u, "ID_FS_UUID", c, sizeof(c));
		udev_str(&u, "ID_FS_VERSION", d, sizeof(d));
		if (out_add(o, "node_disk_filesystem_info",
			    "Info about disk filesystem.", OUT_GAUGE, 1.0,
			    "device", dev, "type", a, "usage", b, "uuid", c,
			    "version", d, NULL) < 0)
			goto out;
	}
	udev_str(&u, "DM_NAME", a, sizeof(a));
	if (*a) {
		udev_str(&u, "DM_UUID", b, sizeof(b));
		udev_str(&u, "DM_VG_NAME", c, sizeof(c));
		udev_str(&u, "DM_LV_NAME", d, sizeof(d));
		udev_str(&u, "DM_LV_LAYER", e, sizeof(e));
		if (out_add(o, "node_disk_device_mapper_info",
			    "Info about disk device mapper.", OUT_GAUGE, 1.0,
			    "device", dev, "name", a, "uuid", b, "vg_name", c,
			    "lv_name", d, "lv_layer", e, NULL) < 0)
			goto out;
	}
	udev_str(&u, "ID_ATA", a, sizeof(a));
	if (*a) {
		static const struct {
			const char *key, *name, *help;
		} ata[] = {
			{ "ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache",
			  "ATA disk has a write cache." },
			{ "ID_ATA_WRITE_CACHE_ENABLED",
			  "node_disk_ata_write_cache_enabled",
			  "ATA disk has its write cache enabled." },
			{ "ID_ATA_ROTATION_RATE_RPM",
			  "node_disk_ata_rotation_rate_rpm",
			  "ATA disk rotation rate in RPMs (0 for SSDs)." },
		};
		for (i = 0; i < sizeof(ata) / sizeof(ata[0]); i++) {
			const char *s = udev_get(&u, ata[i].key);
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
	buf_free(&u.b);
	return rc;
}

int diskstats_parse(const char *p, size_t len, struct hc *hc, struct out *o)
{
	struct stat st;
	const char *line;
	size_t llen, pos = 0;
	int have_udev = 0;

	/* Most containers and many VMs have no udev database. */
	if (hc->udev && !hc_absent(hc->udev)) {
		if (stat(hc->udev, &st) == 0)
			have_udev = S_ISDIR(st.st_mode);
		else if (errno == ENOENT)
			hc_note_absent(hc->udev);
	}

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[20];
		size_t nf = hc_fields(line, llen, f, 20), i, nv = 0;
		uint64_t major, minor, v[17];
		char dev[256];

		/* Fields are read in order until one does not parse, as
		 * Sscanf does; a bad number is a malformed file. */
		if (nf == 0)
			continue;
		if (nf < 3 || hc_field_u64(&f[0], &major) < 0 ||
		    major > UINT32_MAX || hc_field_u64(&f[1], &minor) < 0 ||
		    minor > UINT32_MAX || f[2].n >= sizeof(dev))
			return -1;
		for (i = 3; i < nf; i++) {
			if (hc_field_u64(&f[i], &v[nv]) < 0)
				return -1;
			nv++;
		}
		if (nf < 14)
			continue;
		memcpy(dev, f[2].p, f[2].n);
		dev[f[2].n] = '\0';
		if (filter_ignored(&hc->diskstats_filter, dev))
			continue;
		if (disk_device(hc, o, dev, major, minor, v, nv, have_udev) < 0)
			return -1;
	}
	return 0;
}

int diskstats_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_OK;

	if (hc_path(path, sizeof(path), hc->procfs, "diskstats") < 0 ||
	    hc_read(path, &b) < 0) {
		log_error("diskstats: cannot read '%s': %s", path,
			  strerror(errno));
		buf_free(&b);
		return HC_FAIL;
	}
	if (diskstats_parse(b.p ? b.p : "", b.len, hc, o) < 0) {
		log_error("diskstats: malformed '%s'", path);
		rc = HC_FAIL;
	}
	buf_free(&b);
	return rc;
}
