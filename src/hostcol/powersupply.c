/* powersupply.c: the powersupplyclass collector (/sys/class/power_supply as node_power_supply_*). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

int powersupply_init(struct hc *hc)
{
	return regex_compile(&hc->ps_ignored_re,
			     "--collector.powersupply.ignored-supplies",
			     hc->ps_ignored ? hc->ps_ignored : "^$");
}

/* Numeric attributes: file, metric name, divisor (1, 1e6 for micro
 * units, 10 for tenths of a degree). */
static const struct {
	const char *file, *metric;
	double div;
} ps_num[] = {
	{ "authentic", "authentic", 1 },
	{ "calibrate", "calibrate", 1 },
	{ "capacity", "capacity", 1 },
	{ "capacity_alert_max", "capacity_alert_max", 1 },
	{ "capacity_alert_min", "capacity_alert_min", 1 },
	{ "cycle_count", "cyclecount", 1 },
	{ "online", "online", 1 },
	{ "present", "present", 1 },
	{ "time_to_empty_now", "time_to_empty_seconds", 1 },
	{ "time_to_full_now", "time_to_full_seconds", 1 },
	{ "current_boot", "current_boot", 1e6 },
	{ "current_max", "current_max", 1e6 },
	{ "current_now", "current_ampere", 1e6 },
	{ "energy_empty", "energy_empty", 1e6 },
	{ "energy_empty_design", "energy_empty_design", 1e6 },
	{ "energy_full", "energy_full", 1e6 },
	{ "energy_full_design", "energy_full_design", 1e6 },
	{ "energy_now", "energy_watthour", 1e6 },
	{ "voltage_boot", "voltage_boot", 1e6 },
	{ "voltage_max", "voltage_max", 1e6 },
	{ "voltage_max_design", "voltage_max_design", 1e6 },
	{ "voltage_min", "voltage_min", 1e6 },
	{ "voltage_min_design", "voltage_min_design", 1e6 },
	{ "voltage_now", "voltage_volt", 1e6 },
	{ "voltage_ocv", "voltage_ocv", 1e6 },
	{ "charge_control_limit", "charge_control_limit", 1e6 },
	{ "charge_control_limit_max", "charge_control_limit_max", 1e6 },
	{ "charge_counter", "charge_counter", 1e6 },
	{ "charge_empty", "charge_empty", 1e6 },
	{ "charge_empty_design", "charge_empty_design", 1e6 },
	{ "charge_full", "charge_full", 1e6 },
	{ "charge_full_design", "charge_full_design", 1e6 },
	{ "charge_now", "charge_ampere", 1e6 },
	{ "charge_term_current", "charge_term_current", 1e6 },
	{ "constant_charge_current", "constant_charge_current", 1e6 },
	{ "constant_charge_current_max", "constant_charge_current_max", 1e6 },
	{ "constant_charge_voltage", "constant_charge_voltage", 1e6 },
	{ "constant_charge_voltage_max", "constant_charge_voltage_max", 1e6 },
	{ "precharge_current", "precharge_current", 1e6 },
	{ "input_current_limit", "input_current_limit", 1e6 },
	{ "power_now", "power_watt", 1e6 },
	{ "temp", "temp_celsius", 10 },
	{ "temp_alert_max", "temp_alert_max_celsius", 10 },
	{ "temp_alert_min", "temp_alert_min_celsius", 10 },
	{ "temp_ambient", "temp_ambient_celsius", 10 },
	{ "temp_ambient_max", "temp_ambient_max_celsius", 10 },
	{ "temp_ambient_min", "temp_ambient_min_celsius", 10 },
	{ "temp_max", "temp_max_celsius", 10 },
	{ "temp_min", "temp_min_celsius", 10 },
};
#define PS_NNUM (sizeof(ps_num) / sizeof(ps_num[0]))

/* Numeric files procfs parses but node_exporter does not report: a bad
 * value there still fails the collector. */
static const char *const ps_parsed_only[] = {
	"charge_avg", "current_avg", "energy_avg", "power_avg",
	"time_to_empty_avg", "time_to_full_avg", "voltage_avg",
};

/* String attributes: the info labels (power_supply is the name). */
static const char *const ps_str[] = {
	"capacity_level", "charge_type", "health", "manufacturer",
	"model_name", "serial_number", "status", "technology", "type",
	"usb_type", "scope",
};
#define PS_NSTR (sizeof(ps_str) / sizeof(ps_str[0]))

/* Reads dir/file trimmed: 1 read, 0 absent or unsupported, -1 error. */
static int ps_attr(const char *dir, const char *file, struct buf *b)
{
	char path[PATH_MAX];

	if (hc_fmt(path, sizeof(path), "%s/%s", dir, file) < 0)
		return 0;
	if (hc_read_str(path, b) == 0)
		return 1;
	if (errno == ENOENT || errno == EOPNOTSUPP || errno == ENODEV ||
	    errno == EINVAL || errno == EISDIR)
		return 0;
	return -1;
}

/* strings.ToValidUTF8(s, "\uFFFD"): each run of invalid bytes becomes
 * one replacement character. */
static int valid_utf8(const char *s, size_t n, struct buf *out)
{
	size_t i = 0;
	int in_bad = 0;

	buf_reset(out);
	if (buf_addstr(out, "") < 0)
		return -1;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = 0, k;
		uint32_t cp = 0;

		if (c < 0x80)
			len = 1, cp = c;
		else if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		for (k = 1; len && k < len; k++) {
			if (i + k >= n ||
			    ((unsigned char)s[i + k] & 0xc0) != 0x80) {
				len = 0;
				break;
			}
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
		}
		if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
			len = 0;
		if (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
			len = 0;
		if (!len) {
			if (!in_bad && buf_add(out, "\xef\xbf\xbd", 3) < 0)
				return -1;
			in_bad = 1;
			i++;
			continue;
		}
		in_bad = 0;
		if (buf_add(out, s + i, len) < 0)
			return -1;
		i += len;
	}
	return 0;
}

static int supply(struct out *o, const char *dir, const char *name)
{
	struct buf b = BUF_INIT(65536), sv[PS_NSTR];
	const char *names[PS_NSTR + 1], *vals[PS_NSTR + 1];
	char metric[96], help[160];
	size_t i, nl = 0;
	int rc = -1, r;
	int64_t v;

	for (i = 0; i < PS_NSTR; i++)
		buf_init(&sv[i], 65536);
	for (i = 0; i < sizeof(ps_parsed_only) / sizeof(ps_parsed_only[0]);
	     i++) {
		if ((r = ps_attr(dir, ps_parsed_only[i], &b)) < 0)
			goto fail;
		if (r && hc_parse_int0(b.p, b.len, &v) < 0)
			goto bad;
	}
	for (i = 0; i < PS_NNUM; i++) {
		if ((r = ps_attr(dir, ps_num[i].file, &b)) < 0)
			goto fail;
		if (!r)
			continue;
		if (hc_parse_int0(b.p, b.len, &v) < 0)
			goto bad;
		hc_fmt(metric, sizeof(metric), "node_power_supply_%s",
		       ps_num[i].metric);
		hc_fmt(help, sizeof(help),
		       "%s value of /sys/class/power_supply/<power_supply>.",
		       ps_num[i].metric);
		if (out_add(o, metric, help, OUT_GAUGE,
			    (double)v / ps_num[i].div, "power_supply", name,
			    NULL) < 0)
			goto out;
	}
	names[nl] = "power_supply";
	vals[nl++] = name;
	for (i = 0; i < PS_NSTR; i++) {
		if ((r = ps_attr(dir, ps_str[i], &b)) < 0)
			goto fail;
		if (!r || b.len == 0)
			continue;
		if (valid_utf8(b.p, b.len, &sv[i]) < 0)
			goto out;
		names[nl] = ps_str[i];
		vals[nl++] = buf_cstr(&sv[i]);
	}
	if (out_addv(o, "node_power_supply_info",
		     "info of /sys/class/power_supply/<power_supply>.",
		     OUT_GAUGE, 1.0, nl, names, vals) < 0)
		goto out;
	rc = 0;
	goto out;
bad:
	errno = EINVAL;
fail:
	log_error("powersupplyclass: could not get power_supply class info: "
		  "'%s': %s", dir, strerror(errno));
out:
	buf_free(&b);
	for (i = 0; i < PS_NSTR; i++)
		buf_free(&sv[i]);
	return rc;
}

int powersupply_update(struct hc *hc, struct out *o)
{
	char base[PATH_MAX], dir[PATH_MAX + 300];
	struct names n = { NULL, 0 };
	size_t i;
	int rc = HC_OK;

	if (hc_path(base, sizeof(base), hc->sysfs, "class/power_supply") < 0)
		return HC_FAIL;
	if (hc_list(base, &n) < 0) {
		if (errno == ENOENT)
			return HC_NODATA;
		log_error("powersupplyclass: cannot list '%s': %s", base,
			  strerror(errno));
		return HC_FAIL;
	}
	for (i = 0; i < n.n; i++) {
		if (regex_match(hc->ps_ignored_re, n.v[i], strlen(n.v[i])))
			continue;
		hc_fmt(dir, sizeof(dir), "%s/%s", base, n.v[i]);
		if (supply(o, dir, n.v[i]) < 0) {
			rc = HC_FAIL;
			break;
		}
	}
	hc_names_free(&n);
	return rc;
}
