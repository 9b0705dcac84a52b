/* netclass.c: the netclass collector (/sys/class/net/<iface> properties as node_network_*). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

int netclass_init(struct hc *hc)
{
	return regex_compile(&hc->netclass_ignored_re,
			     "--collector.netclass.ignored-devices",
			     hc->netclass_ignored ? hc->netclass_ignored :
			     "^$");
}

/* The numeric attributes, their metric names, and whether a counter. */
static const struct {
	const char *file;
	const char *metric;
	int counter;
} num_attrs[] = {
	{ "addr_assign_type", "address_assign_type", 0 },
	{ "carrier", "carrier", 0 },
	{ "carrier_changes", "carrier_changes_total", 1 },
	{ "carrier_up_count", "carrier_up_changes_total", 1 },
	{ "carrier_down_count", "carrier_down_changes_total", 1 },
	{ "dev_id", "device_id", 0 },
	{ "dormant", "dormant", 0 },
	{ "flags", "flags", 0 },
	{ "ifindex", "iface_id", 0 },
	{ "iflink", "iface_link", 0 },
	{ "link_mode", "iface_link_mode", 0 },
	{ "mtu", "mtu_bytes", 0 },
	{ "name_assign_type", "name_assign_type", 0 },
	{ "netdev_group", "net_dev_group", 0 },
	{ "tx_queue_len", "transmit_queue_length", 0 },
	{ "type", "protocol_type", 0 },
};
#define NNUM (sizeof(num_attrs) / sizeof(num_attrs[0]))

/* Errors of an attribute that procfs passes over (the attribute is then
 * absent): a device without it, or a driver that cannot tell. */
static int ignorable(int e)
{
	return e == ENOENT || e == EACCES || e == EPERM || e == EOPNOTSUPP ||
	       e == EINVAL;
}

/* Reads dir/file trimmed into b; 1 read, 0 absent, -1 a real error. */
static int attr(const char *dir, const char *file, struct buf *b)
{
	char path[PATH_MAX];

	if (hc_fmt(path, sizeof(path), "%s/%s", dir, file) < 0)
		return 0;
	if (hc_read_str(path, b) == 0)
		return 1;
	return ignorable(errno) ? 0 : -1;
}

static int iface(struct hc *hc, struct out *o, const char *dir,
		 const char *dev)
{
	static const char *const strs[] = { "address", "broadcast", "duplex",
		"operstate", "ifalias" };
	struct buf b = BUF_INIT(65536), sv[5];
	char name[96], help[96];
	int64_t flags = 0, v;
	int have_flags = 0, rc = -1, r;
	size_t i;

	for (i = 0; i < 5; i++) {
		buf_init(&sv[i], 65536);
		if ((r = attr(dir, strs[i], &sv[i])) < 0)
			goto fail;
		if (r == 0)
			buf_reset(&sv[i]);
	}
	if ((r = attr(dir, "flags", &b)) < 0)
		goto fail;
	if (r && hc_parse_int0(b.p, b.len, &flags) == 0)
		have_flags = 1;
	if (out_add(o, "node_network_up",
		    "Value is 1 if operstate is 'up', 0 otherwise.", OUT_GAUGE,
		    strcmp(buf_cstr(&sv[3]), "up") == 0 ? 1.0 : 0.0, "device",
		    dev, NULL) < 0 ||
	    out_add(o, "node_network_info",
		    "Non-numeric data from /sys/class/net/<iface>, value is "
		    "always 1.", OUT_GAUGE, 1.0, "device", dev, "address",
		    buf_cstr(&sv[0]), "broadcast", buf_cstr(&sv[1]), "duplex",
		    buf_cstr(&sv[2]), "operstate", buf_cstr(&sv[3]),
		    "adminstate", !have_flags ? "unknown" :
		    (flags & 1) ? "up" : "down", "ifalias", buf_cstr(&sv[4]),
		    NULL) < 0)
		goto fail;
	for (i = 0; i < NNUM; i++) {
		if ((r = attr(dir, num_attrs[i].file, &b)) < 0)
			goto fail;
		if (!r || hc_parse_int0(b.p, b.len, &v) < 0)
			continue;
		hc_fmt(name, sizeof(name), "node_network_%s",
		       num_attrs[i].metric);
		hc_fmt(help, sizeof(help), "Network device property: %s",
		       num_attrs[i].metric);
		if (out_add(o, name, help,
			    num_attrs[i].counter ? OUT_COUNTER : OUT_GAUGE,
			    (double)v, "device", dev, NULL) < 0)
			goto fail;
	}
	if ((r = attr(dir, "speed", &b)) < 0)
		goto fail;
	/* Some devices say -1 when the speed is unknown.  Mbit/s to
	 * bytes, wrapping as Go's int64 arithmetic wraps. */
	if (r && hc_parse_int0(b.p, b.len, &v) == 0 &&
	    (v >= 0 || !hc->netclass_ignore_invalid_speed)) {
		int64_t bytes = (int64_t)((uint64_t)v * 1000000u) / 8;

		if (out_add(o, "node_network_speed_bytes",
			    "Network device property: speed_bytes", OUT_GAUGE,
			    (double)bytes, "device", dev, NULL) < 0)
			goto fail;
	}
	rc = 0;
	goto out;
fail:
	if (errno != ENOMEM)
		log_error("netclass: could not get net class info: '%s': %s",
			  dir, strerror(errno));
out:
	buf_free(&b);
	for (i = 0; i < 5; i++)
		buf_free(&sv[i]);
	return rc;
}

int netclass_update(struct hc *hc, struct out *o)
{
	char base[PATH_MAX], dir[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	int rc = HC_OK;

	if (hc->netclass_netlink)
		return netclass_rtnl_update(hc, o);
	if (hc_path(base, sizeof(base), hc->sysfs, "class/net") < 0)
		return HC_FAIL;
	d = opendir(base);
	if (!d) {
		if (errno == ENOENT || errno == EACCES)
			return HC_NODATA;
		log_error("netclass: cannot access dir '%s': %s", base,
			  strerror(errno));
		return HC_FAIL;
	}
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		unsigned char t = de->d_type;

		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		hc_fmt(dir, sizeof(dir), "%s/%s", base, n);
		if (t == DT_UNKNOWN) {
			struct stat st;

			if (lstat(dir, &st) == 0 && S_ISREG(st.st_mode))
				t = DT_REG;
		}
		/* bonding_masters is a file, not a device. */
		if (t == DT_REG)
			continue;
		if (regex_match(hc->netclass_ignored_re, n, strlen(n)))
			continue;
		if (iface(hc, o, dir, n) < 0) {
			rc = HC_FAIL;
			break;
		}
	}
	closedir(d);
	return rc;
}
