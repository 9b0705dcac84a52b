/* netdev.c: the netdev collector (interface counters from rtnetlink, or /proc/net/dev). */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A counter's family name and help, as emit() would make them. */
#define NETDEV_KEY(k) \
	"node_network_" k "_total", "Network device statistic " k "."

struct netdev_key {
	const char *name, *help;
};

static const struct netdev_key detailed_keys[24] = {
	{ NETDEV_KEY("receive_packets") },
	{ NETDEV_KEY("transmit_packets") },
	{ NETDEV_KEY("receive_bytes") },
	{ NETDEV_KEY("transmit_bytes") },
	{ NETDEV_KEY("receive_errors") },
	{ NETDEV_KEY("transmit_errors") },
	{ NETDEV_KEY("receive_dropped") },
	{ NETDEV_KEY("transmit_dropped") },
	{ NETDEV_KEY("multicast") },
	{ NETDEV_KEY("collisions") },
	{ NETDEV_KEY("receive_length_errors") },
	{ NETDEV_KEY("receive_over_errors") },
	{ NETDEV_KEY("receive_crc_errors") },
	{ NETDEV_KEY("receive_frame_errors") },
	{ NETDEV_KEY("receive_fifo_errors") },
	{ NETDEV_KEY("receive_missed_errors") },
	{ NETDEV_KEY("transmit_aborted_errors") },
	{ NETDEV_KEY("transmit_carrier_errors") },
	{ NETDEV_KEY("transmit_fifo_errors") },
	{ NETDEV_KEY("transmit_heartbeat_errors") },
	{ NETDEV_KEY("transmit_window_errors") },
	{ NETDEV_KEY("receive_compressed") },
	{ NETDEV_KEY("transmit_compressed") },
	{ NETDEV_KEY("receive_nohandler") },
};

static const struct netdev_key legacy_keys[17] = {
	{ NETDEV_KEY("receive_packets") },
	{ NETDEV_KEY("transmit_packets") },
	{ NETDEV_KEY("receive_bytes") },
	{ NETDEV_KEY("transmit_bytes") },
	{ NETDEV_KEY("receive_errs") },
	{ NETDEV_KEY("transmit_errs") },
	{ NETDEV_KEY("receive_drop") },
	{ NETDEV_KEY("transmit_drop") },
	{ NETDEV_KEY("receive_multicast") },
	{ NETDEV_KEY("transmit_colls") },
	{ NETDEV_KEY("receive_frame") },
	{ NETDEV_KEY("receive_fifo") },
	{ NETDEV_KEY("transmit_carrier") },
	{ NETDEV_KEY("transmit_fifo") },
	{ NETDEV_KEY("receive_compressed") },
	{ NETDEV_KEY("transmit_compressed") },
	{ NETDEV_KEY("receive_nohandler") },
};

/* One link's counters, named as node_exporter names them. */
static int link_emit(struct hc *hc, struct out *o, const char *dev,
		     const struct rtnl_link_stats64 *s)
{
	const struct netdev_key *k;
	uint64_t v[24];
	size_t i, n;

	if (hc->netdev_detailed) {
		const uint64_t d[24] = {
			s->rx_packets, s->tx_packets, s->rx_bytes, s->tx_bytes,
			s->rx_errors, s->tx_errors, s->rx_dropped,
			s->tx_dropped, s->multicast, s->collisions,
			s->rx_length_errors, s->rx_over_errors,
			s->rx_crc_errors, s->rx_frame_errors,
			s->rx_fifo_errors, s->rx_missed_errors,
			s->tx_aborted_errors, s->tx_carrier_errors,
			s->tx_fifo_errors, s->tx_heartbeat_errors,
			s->tx_window_errors, s->rx_compressed,
			s->tx_compressed, s->rx_nohandler,
		};

		memcpy(v, d, sizeof(d));
		k = detailed_keys;
		n = 24;
	} else {
		/* The legacy names, folding the detailed errors as
		 * net/core/net-procfs.c does for /proc/net/dev. */
		const uint64_t l[17] = {
			s->rx_packets, s->tx_packets, s->rx_bytes, s->tx_bytes,
			s->rx_errors, s->tx_errors,
			s->rx_dropped + s->rx_missed_errors, s->tx_dropped,
			s->multicast, s->collisions,
			s->rx_frame_errors + s->rx_length_errors +
				s->rx_over_errors + s->rx_crc_errors,
			s->rx_fifo_errors,
			s->tx_carrier_errors + s->tx_aborted_errors +
				s->tx_heartbeat_errors + s->tx_window_errors,
			s->tx_fifo_errors, s->rx_compressed, s->tx_compressed,
			s->rx_nohandler,
		};

		memcpy(v, l, sizeof(l));
		k = legacy_keys;
		n = 17;
	}
	for (i = 0; i < n; i++)
		if (out_add(o, k[i].name, k[i].help, OUT_COUNTER, (double)v[i],
			    "device", dev, NULL) < 0)
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

/*
 * The links as the last full dump (RTM_GETLINK) listed them: a cycle
 * whose links are as they were asks the kernel for the counters only
 * (RTM_GETSTATS with IFLA_STATS_LINK_64: no rtnl_fill_ifinfo of every
 * attribute of every link) and names them from here.  The socket that
 * asks has joined RTMGRP_LINK, so any change to a link since (added,
 * removed, renamed, a flag, a lost notification) arrives on it ahead of
 * the next answer, and that cycle does the full dump again instead; so
 * does a cycle whose answer holds a link the table does not know.
 */
struct netdev_link {
	int ifindex;
	int ignored;		/* by the device filters */
	char name[IFNAMSIZ + 1];
};

#define NETDEV_LINKS_MAX (1u << 16)

static struct {
	int fd;			/* joined RTMGRP_LINK, or -1 */
	int stale;		/* the table must be dumped again */
	int nostats;		/* the kernel has no RTM_GETSTATS (< 4.7) */
	struct netdev_link *v;
	size_t n, cap;
	size_t hint;		/* where the last lookup found its link */
} nd = { -1, 1, 0, NULL, 0, 0, 0 };

static void nd_close(void)
{
	if (nd.fd >= 0)
		close(nd.fd);
	nd.fd = -1;
	nd.stale = 1;
}

void netdev_cleanup(void)
{
	nd_close();
	free(nd.v);
	nd.v = NULL;
	nd.n = nd.cap = 0;
}

/* Answers come in the order of the last dump: the hint makes the lookup
 * one comparison. */
static const struct netdev_link *nd_find(int ifindex)
{
	size_t i;

	if (nd.hint < nd.n && nd.v[nd.hint].ifindex == ifindex)
		return &nd.v[nd.hint++];
	for (i = 0; i < nd.n; i++)
		if (nd.v[i].ifindex == ifindex) {
			nd.hint = i + 1;
			return &nd.v[i];
		}
	return NULL;
}

static int nd_remember(int ifindex, const char *name, int ignored)
{
	struct netdev_link *l;

	if (nd.n == nd.cap) {
		size_t nc = nd.cap ? nd.cap * 2 : 16;
		struct netdev_link *nv;

		if (nc > NETDEV_LINKS_MAX) {
			errno = EMSGSIZE;
			return -1;
		}
		nv = realloc(nd.v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		nd.v = nv;
		nd.cap = nc;
	}
	l = &nd.v[nd.n++];
	l->ifindex = ifindex;
	l->ignored = ignored;
	memcpy(l->name, name, sizeof(l->name));
	return 0;
}

struct netdev_dump {
	struct hc *hc;
	struct out *o;
	int table;		/* record the links in nd (a full dump) */
	int table_failed;
	int unknown;		/* a counters answer for a link not in nd */
};

static int link_msg(struct netdev_dump *d, const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	const struct rtattr *a;
	char name[IFNAMSIZ + 1] = "";
	struct rtnl_link_stats64 s64;
	int have64 = 0, have32 = 0, ignored;
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
	ignored = !*name || filter_ignored(&d->hc->netdev_filter, name);
	/* A link without IFLA_STATS64 here would have counters in its
	 * RTM_GETSTATS answer: a table with one is not used. */
	if (d->table && (!have64 ||
			 nd_remember(ifi->ifi_index, name, ignored) < 0))
		d->table_failed = 1;
	if (!have64 && have32) {
		stats32_to64(&s32, &s64);
		have64 = 1;
	}
	if (ignored || !have64)
		return 0;
	return link_emit(d->hc, d->o, name, &s64);
}

static int stats_msg(struct netdev_dump *d, const struct nlmsghdr *h)
{
	const struct if_stats_msg *ism = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ism));
	const struct rtattr *a;
	const struct netdev_link *l;

	if (len < 0)
		return 0;
	l = nd_find((int)ism->ifindex);
	if (!l) {
		d->unknown = 1;
		return 0;
	}
	for (a = (const struct rtattr *)((const char *)ism +
					  NLMSG_ALIGN(sizeof(*ism)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		struct rtnl_link_stats64 s64;
		size_t plen = RTA_PAYLOAD(a);

		if (a->rta_type != IFLA_STATS_LINK_64)
			continue;
		if (l->ignored)
			return 0;
		memset(&s64, 0, sizeof(s64));
		memcpy(&s64, RTA_DATA(a),
		       plen < sizeof(s64) ? plen : sizeof(s64));
		return link_emit(d->hc, d->o, l->name, &s64);
	}
	d->unknown = 1;		/* no counters: the full dump will say */
	return 0;
}

static int netdev_each(const struct nlmsghdr *h, void *arg)
{
	struct netdev_dump *d = arg;

	if (h->nlmsg_type == RTM_NEWLINK)
		return link_msg(d, h);
	if (h->nlmsg_type == RTM_NEWSTATS)
		return stats_msg(d, h);
	return 0;
}

/* The counters named from the table: 0, or -1 when this cycle needs
 * the full dump (the table is stale, or the socket failed). */
static int netdev_stats(struct netdev_dump *d)
{
	struct out_mark m = out_mark(d->o);
	struct if_stats_msg req;
	unsigned events = 0;
	int rc;

	memset(&req, 0, sizeof(req));
	req.family = AF_UNSPEC;
	req.filter_mask = IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64);
	nd.hint = 0;
	rc = netlink_dump_fd(nd.fd, RTM_GETSTATS, &req, sizeof(req),
			     netdev_each, d, &events);
	if (rc == 0 && !events && !d->unknown)
		return 0;
	out_rollback(d->o, m);
	if (rc == -2 && (errno == EOPNOTSUPP || errno == EINVAL))
		nd.nostats = 1;
	if (rc < 0)
		nd_close();
	nd.stale = 1;
	if (rc == -3) {
		errno = ENOMEM;
		return -2;
	}
	return -1;
}

/* The full dump, as node_exporter's netlink mode reads it, on the
 * socket that hears the changes when there is one; the table is
 * rebuilt from it. */
static int netdev_links(struct netdev_dump *d)
{
	struct ifinfomsg i;
	unsigned events = 0;
	int rc;

	memset(&i, 0, sizeof(i));
	i.ifi_family = AF_UNSPEC;
	if (nd.fd < 0)
		return netlink_dump("netdev", RTM_GETLINK, &i, sizeof(i),
				    netdev_each, d);
	nd.n = 0;
	d->table = 1;
	d->table_failed = 0;
	rc = netlink_dump_fd(nd.fd, RTM_GETLINK, &i, sizeof(i), netdev_each, d,
			     &events);
	d->table = 0;
	if (rc == -1)
		log_errno("netdev: cannot read netlink");
	else if (rc == -2)
		log_error("netdev: netlink answered with an error");
	if (rc < 0) {
		nd_close();
		return -1;
	}
	/* A change during the dump may or may not be in it. */
	nd.stale = events > 0 || d->table_failed;
	return 0;
}

static int netdev_netlink(struct hc *hc, struct out *o)
{
	struct netdev_dump d = { hc, o, 0, 0, 0 };

	if (nd.fd < 0 && !nd.nostats) {
		nd.fd = netlink_open_groups(RTMGRP_LINK);
		nd.stale = 1;
	}
	if (nd.fd >= 0 && !nd.stale) {
		int rc = netdev_stats(&d);

		if (rc == 0)
			return 0;
		if (rc == -2) {
			log_errno("netdev: cannot hold the samples");
			return -1;
		}
		if (nd.fd < 0 && !nd.nostats) {
			nd.fd = netlink_open_groups(RTMGRP_LINK);
			nd.stale = 1;
		}
	}
	if (nd.nostats && nd.fd >= 0)
		nd_close();
	return netdev_links(&d);
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
