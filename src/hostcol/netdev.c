/* netdev.c: the netdev collector (interface counters from rtnetlink, or /proc/net/dev). */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

int netdev_init(struct hc *hc)
{
	if (hc->netdev_include && *hc->netdev_include && hc->netdev_exclude &&
	    *hc->netdev_exclude) {
		log_error("--collector.netdev.device-exclude and "
			  "--collector.netdev.device-include are mutually "
			  "exclusive");
		return -1;
	}
	return filter_init(&hc->netdev_filter, "netdev device filter",
			   hc->netdev_exclude, hc->netdev_include);
}

static int emit(struct out *o, const char *dev, const char *key, uint64_t v)
{
	char name[128], help[128];

	hc_join3(name, sizeof(name), "node_network_", key, strlen(key),
		 "_total");
	hc_join3(help, sizeof(help), "Network device statistic ", key,
		 strlen(key), ".");
	return out_add(o, name, help, OUT_COUNTER, (double)v, "device", dev,
		       NULL);
}

/* One link's counters, named as node_exporter names them. */
static int link_emit(struct hc *hc, struct out *o, const char *dev,
		     const struct rtnl_link_stats64 *s)
{
	if (hc->netdev_detailed) {
		const struct {
			const char *k;
			uint64_t v;
		} d[] = {
			{ "receive_packets", s->rx_packets },
			{ "transmit_packets", s->tx_packets },
			{ "receive_bytes", s->rx_bytes },
			{ "transmit_bytes", s->tx_bytes },
			{ "receive_errors", s->rx_errors },
			{ "transmit_errors", s->tx_errors },
			{ "receive_dropped", s->rx_dropped },
			{ "transmit_dropped", s->tx_dropped },
			{ "multicast", s->multicast },
			{ "collisions", s->collisions },
			{ "receive_length_errors", s->rx_length_errors },
			{ "receive_over_errors", s->rx_over_errors },
			{ "receive_crc_errors", s->rx_crc_errors },
			{ "receive_frame_errors", s->rx_frame_errors },
			{ "receive_fifo_errors", s->rx_fifo_errors },
			{ "receive_missed_errors", s->rx_missed_errors },
			{ "transmit_aborted_errors", s->tx_aborted_errors },
			{ "transmit_carrier_errors", s->tx_carrier_errors },
			{ "transmit_fifo_errors", s->tx_fifo_errors },
			{ "transmit_heartbeat_errors", s->tx_heartbeat_errors },
			{ "transmit_window_errors", s->tx_window_errors },
			{ "receive_compressed", s->rx_compressed },
			{ "transmit_compressed", s->tx_compressed },
			{ "receive_nohandler", s->rx_nohandler },
		};
		size_t i;

		for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
			if (emit(o, dev, d[i].k, d[i].v) < 0)
				return -1;
		return 0;
	}
	/* The legacy names, folding the detailed errors as
	 * net/core/net-procfs.c does for /proc/net/dev. */
	if (emit(o, dev, "receive_packets", s->rx_packets) < 0 ||
	    emit(o, dev, "transmit_packets", s->tx_packets) < 0 ||
	    emit(o, dev, "receive_bytes", s->rx_bytes) < 0 ||
	    emit(o, dev, "transmit_bytes", s->tx_bytes) < 0 ||
	    emit(o, dev, "receive_errs", s->rx_errors) < 0 ||
	    emit(o, dev, "transmit_errs", s->tx_errors) < 0 ||
	    emit(o, dev, "receive_drop", s->rx_dropped + s->rx_missed_errors) < 0 ||
	    emit(o, dev, "transmit_drop", s->tx_dropped) < 0 ||
	    emit(o, dev, "receive_multicast", s->multicast) < 0 ||
	    emit(o, dev, "transmit_colls", s->collisions) < 0 ||
	    emit(o, dev, "receive_frame", s->rx_frame_errors +
		 s->rx_length_errors + s->rx_over_errors + s->rx_crc_errors) < 0 ||
	    emit(o, dev, "receive_fifo", s->rx_fifo_errors) < 0 ||
	    emit(o, dev, "transmit_carrier", s->tx_carrier_errors +
		 s->tx_aborted_errors + s->tx_heartbeat_errors +
		 s->tx_window_errors) < 0 ||
	    emit(o, dev, "transmit_fifo", s->tx_fifo_errors) < 0 ||
	    emit(o, dev, "receive_compressed", s->rx_compressed) < 0 ||
	    emit(o, dev, "transmit_compressed", s->tx_compressed) < 0 ||
	    emit(o, dev, "receive_nohandler", s->rx_nohandler) < 0)
		return -1;
	return 0;
}

static void stats32_to64(const struct rtnl_link_stats *a,
			 struct rtnl_link_stats64 *b)
{
	memset(b, 0, sizeof(*b));
	b->rx_packets = a->rx_packets;
	b->tx_packets = a->tx_packets;
	b->rx_bytes = a->rx_bytes;
	b->tx_bytes = a->tx_bytes;
	b->rx_errors = a->rx_errors;
	b->tx_errors = a->tx_errors;
	b->rx_dropped = a->rx_dropped;
	b->tx_dropped = a->tx_dropped;
	b->multicast = a->multicast;
	b->collisions = a->collisions;
	b->rx_length_errors = a->rx_length_errors;
	b->rx_over_errors = a->rx_over_errors;
	b->rx_crc_errors = a->rx_crc_errors;
	b->rx_frame_errors = a->rx_frame_errors;
	b->rx_fifo_errors = a->rx_fifo_errors;
	b->rx_missed_errors = a->rx_missed_errors;
	b->tx_aborted_errors = a->tx_aborted_errors;
	b->tx_carrier_errors = a->tx_carrier_errors;
	b->tx_fifo_errors = a->tx_fifo_errors;
	b->tx_heartbeat_errors = a->tx_heartbeat_errors;
	b->tx_window_errors = a->tx_window_errors;
	b->rx_compressed = a->rx_compressed;
	b->tx_compressed = a->tx_compressed;
	b->rx_nohandler = a->rx_nohandler;
}

static int link_msg(struct hc *hc, struct out *o, const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	const struct rtattr *a;
	char name[IFNAMSIZ + 1] = "";
	struct rtnl_link_stats64 s64;
	int have64 = 0, have32 = 0;
	struct rtnl_link_stats s32;

	if (len < 0)
		return 0;
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t plen = RTA_PAYLOAD(a);

		switch (a->rta_type) {
		case IFLA_IFNAME:
			if (plen > IFNAMSIZ)
				plen = IFNAMSIZ;
			memcpy(name, RTA_DATA(a), plen);
			name[plen] = '\0';
			break;
		case IFLA_STATS64:
			memset(&s64, 0, sizeof(s64));
			memcpy(&s64, RTA_DATA(a),
			       plen < sizeof(s64) ? plen : sizeof(s64));
			have64 = 1;
			break;
		case IFLA_STATS:
			memset(&s32, 0, sizeof(s32));
			memcpy(&s32, RTA_DATA(a),
			       plen < sizeof(s32) ? plen : sizeof(s32));
			have32 = 1;
			break;
		default:
			break;
		}
	}
	if (!have64 && have32) {
		stats32_to64(&s32, &s64);
		have64 = 1;
	}
	if (!*name || filter_ignored(&hc->netdev_filter, name) || !have64)
		return 0;
	return link_emit(hc, o, name, &s64);
}

struct netdev_dump {
	struct hc *hc;
	struct out *o;
};

static int netdev_link(const struct nlmsghdr *h, void *arg)
{
	struct netdev_dump *d = arg;

	return h->nlmsg_type == RTM_NEWLINK ? link_msg(d->hc, d->o, h) : 0;
}

static int netdev_netlink(struct hc *hc, struct out *o)
{
	struct netdev_dump d = { hc, o };
	struct ifinfomsg i;

	memset(&i, 0, sizeof(i));
	i.ifi_family = AF_UNSPEC;
	return netlink_dump("netdev", RTM_GETLINK, &i, sizeof(i), netdev_link,
			    &d);
}

static const char *const procnet_keys[16] = {
	"receive_bytes", "receive_packets", "receive_errs", "receive_drop",
	"receive_fifo", "receive_frame", "receive_compressed",
	"receive_multicast", "transmit_bytes", "transmit_packets",
	"transmit_errs", "transmit_drop", "transmit_fifo", "transmit_colls",
	"transmit_carrier", "transmit_compressed",
};
/* With --collector.netdev.enable-detailed-metrics the procfs keys are
 * kept as read, before the legacy renames. */
static const char *const procnet_detailed[16] = {
	"receive_bytes", "receive_packets", "receive_errors", "receive_dropped",
	"receive_fifo", "receive_frame", "receive_compressed",
	"receive_multicast", "transmit_bytes", "transmit_packets",
	"transmit_errors", "transmit_dropped", "transmit_fifo",
	"transmit_colls", "transmit_carrier", "transmit_compressed",
};

static int netdev_proc(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX], dev[256];
	const char *line;
	size_t llen, pos = 0, n = 0, i;
	int rc = -1;

	if (hc_path(path, sizeof(path), hc->procfs, "net/dev") < 0 ||
	    hc_read(path, &b) < 0) {
		log_error("netdev: cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	while (hc_line(b.p, b.len, &pos, &line, &llen)) {
		const char *colon = NULL;
		struct field f[17], name;
		uint64_t v[16];

		if (n++ < 2 || llen == 0)
			continue;	/* the two header lines */
		for (i = llen; i > 0; i--)
			if (line[i - 1] == ':') {
				colon = line + i - 1;
				break;
			}
		if (!colon || hc_fields(line, (size_t)(colon - line), &name, 1) != 1 ||
		    name.n >= sizeof(dev) ||
		    hc_fields(colon + 1, llen - (size_t)(colon + 1 - line), f, 17) != 16)
			goto bad;
		for (i = 0; i < 16; i++)
			if (hc_field_u64(&f[i], &v[i]) < 0)
				goto bad;
		memcpy(dev, name.p, name.n);
		dev[name.n] = '\0';
		if (filter_ignored(&hc->netdev_filter, dev))
			continue;
		for (i = 0; i < 16; i++)
			if (emit(o, dev, hc->netdev_detailed ? procnet_detailed[i] :
				 procnet_keys[i], v[i]) < 0)
				goto out;
	}
	rc = 0;
	goto out;
bad:
	log_error("netdev: malformed '%s'", path);
out:
	buf_free(&b);
	return rc;
}

int netdev_update(struct hc *hc, struct out *o)
{
	if (hc->netdev_netlink)
		return netdev_netlink(hc, o) < 0 ? HC_FAIL : HC_OK;
	return netdev_proc(hc, o) < 0 ? HC_FAIL : HC_OK;
}
