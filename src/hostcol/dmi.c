/* dmi.c: the dmi collector (node_dmi_info from /sys/class/dmi/id, read once). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/* Label, and the file of /sys/class/dmi/id it comes from. */
static const char *const dmi_fields[20][2] = {
	{ "bios_date", "bios_date" }, { "bios_release", "bios_release" },
	{ "bios_vendor", "bios_vendor" }, { "bios_version", "bios_version" },
	{ "board_asset_tag", "board_asset_tag" }, { "board_name", "board_name" },
	{ "board_serial", "board_serial" }, { "board_vendor", "board_vendor" },
	{ "board_version", "board_version" },
	{ "chassis_asset_tag", "chassis_asset_tag" },
	{ "chassis_serial", "chassis_serial" },
	{ "chassis_vendor", "chassis_vendor" },
	{ "chassis_version", "chassis_version" },
	{ "product_family", "product_family" },
	{ "product_name", "product_name" },
	{ "product_serial", "product_serial" },
	{ "product_sku", "product_sku" }, { "product_uuid", "product_uuid" },
	{ "product_version", "product_version" },
	{ "system_vendor", "sys_vendor" },
};

/* Go's strings.ToValidUTF8(s, "\uFFFD"): each run of bytes that is no
 * UTF-8 becomes one U+FFFD. */
void dmi_valid_utf8(const char *s, size_t n, char *dst, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;
	int bad = 0;

	while (i < n && o + 4 < size) {
		unsigned c = p[i];
		size_t len = 0, k;
		unsigned lo = 0x80, hi = 0xBF;

		if (c < 0x80)
			len = 1;
		else if (c >= 0xC2 && c <= 0xDF)
			len = 2;
		else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			if (c == 0xE0)
				lo = 0xA0;
			if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			if (c == 0xF0)
				lo = 0x90;
			if (c == 0xF4)
				hi = 0x8F;
		}
		for (k = 1; len && k < len; k++) {
			if (i + k >= n || p[i + k] < (k == 1 ? lo : 0x80) ||
			    p[i + k] > (k == 1 ? hi : 0xBF)) {
				len = 0;
				break;
			}
		}
		if (!len) {
			if (!bad) {
				memcpy(dst + o, "\xef\xbf\xbd", 3);
				o += 3;
			}
			bad = 1;
			i++;
			continue;
		}
		bad = 0;
		if (o + len >= size)
			break;
		memcpy(dst + o, s + i, len);
		o += len;
		i += len;
	}
	dst[o] = '\0';
}

int dmi_init(struct hc *hc)
{
	struct buf b = BUF_INIT(65536);
	char dir[PATH_MAX], path[PATH_MAX + 64];
	size_t i;

	hc->dmi_n = 0;
	hc->dmi_failed = 0;
	if (hc_path(dir, sizeof(dir), hc->sysfs, "class/dmi/id") < 0)
		return 0;
	for (i = 0; i < 20; i++) {
		struct stat sb;
		char *v;
		size_t cap;

		hc_fmt(path, sizeof(path), "%s/%s", dir, dmi_fields[i][1]);
		if (lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (hc_read_str(path, &b) < 0) {
			if (errno == EACCES || errno == EPERM)
				continue;
			/* node_exporter will not start; hostcol reports
			 * the collector failed each cycle. */
			log_error("dmi: cannot read '%s': %s", path,
				  strerror(errno));
			hc->dmi_failed = 1;
			break;
		}
		cap = 3 * b.len + 8;
		v = malloc(cap);
		if (!v) {
			hc->dmi_failed = 1;
			break;
		}
		dmi_valid_utf8(b.p ? b.p : "", b.len, v, cap);
		hc->dmi_names[hc->dmi_n] = dmi_fields[i][0];
		hc->dmi_values[hc->dmi_n++] = v;
	}
	buf_free(&b);
	return 0;
}

void dmi_cleanup(struct hc *hc)
{
	size_t i;

	for (i = 0; i < hc->dmi_n; i++)
		free(hc->dmi_values[i]);
	hc->dmi_n = 0;
}

int dmi_update(struct hc *hc, struct out *o)
{
	if (hc->dmi_failed)
		return HC_FAIL;
	if (hc->dmi_n == 0)
		return HC_NODATA;
	if (out_addv(o, "node_dmi_info",
		     "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, board_asset_tag, board_name, board_serial, board_vendor, board_version, chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, product_sku, product_uuid, product_version, system_vendor if provided by DMI.",
		     OUT_GAUGE, 1.0, hc->dmi_n, hc->dmi_names,
		     (const char *const *)hc->dmi_values) < 0)
		return HC_FAIL;
	return HC_OK;
}
