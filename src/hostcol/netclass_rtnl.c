/* netclass_rtnl.c: the netclass collector's netlink mode (--collector.netclass.netlink): links from rtnetlink, speed and duplex from ethtool netlink. */
#include <errno.h>
#include <limits.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/* One ethtool link mode answer: speed in Mbit/s (as a Go int of the
 * u32, so "unknown" 0xffffffff stays positive) and duplex. */
struct rtnl_lm {
	char name[64];
	int64_t speed;
	int duplex;
};

/* One link of the RTM_GETLINK dump, with the attributes node_exporter's
 * rtnetlink library decodes; have_* says whether the kernel sent it. */
struct rtnl_link {
	char name[64];
	unsigned type, index, flags;
	unsigned char addr[32], bcast[32];
	size_t addrlen, bcastlen;
	char alias[256];
	int have_alias;
	char *altnames;		/* NUL-separated, altlen bytes */
	size_t altlen;
	unsigned carrier, carrier_changes, carrier_up, carrier_down;
	unsigned linkmode, group, txqlen, link, mtu, operstate;
	int have_carrier, have_changes, have_up, have_down, have_linkmode;
	int have_group, have_txqlen;
	struct rtnl_link_stats64 st;
	int have_stats;
};

struct rtnl_state {
	struct rtnl_lm *lm;
	size_t nlm, caplm;
	struct rtnl_link *l;
	size_t nl, capl;
	unsigned family;	/* ethtool's genetlink family id, 0 unknown */
	int bad;
};

static int rtnl_attr_str(const struct rtattr *a, char *dst, size_t size)
{
	size_t n = RTA_PAYLOAD(a);
	const char *p = RTA_DATA(a);

	/* Go's netlink String(): the bytes up to the first NUL. */
	if (memchr(p, '\0', n))
		n = strlen(p);
	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

static unsigned rtnl_u32(const struct rtattr *a)
{
	uint32_t v = 0;

	memcpy(&v, RTA_DATA(a), RTA_PAYLOAD(a) < 4 ? RTA_PAYLOAD(a) : 4);
	return v;
}

static unsigned rtnl_u8(const struct rtattr *a)
{
	return RTA_PAYLOAD(a) ? *(const unsigned char *)RTA_DATA(a) : 0;
}

static int rtnl_family_each(const struct nlmsghdr *h, void *arg)
{
	struct rtnl_state *s = arg;
	const struct rtattr *a;
	char name[64] = "";
	unsigned id = 0;
	int len;

	if (h->nlmsg_type != GENL_ID_CTRL ||
	    h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	for (a = (const struct rtattr *)((const char *)NLMSG_DATA(h) +
					 GENL_HDRLEN);
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == CTRL_ATTR_FAMILY_NAME)
			rtnl_attr_str(a, name, sizeof(name));
		else if (a->rta_type == CTRL_ATTR_FAMILY_ID && RTA_PAYLOAD(a) >= 2)
			id = *(const uint16_t *)RTA_DATA(a);
	}
	if (strcmp(name, ETHTOOL_GENL_NAME) == 0)
		s->family = id;
	return 0;
}

static int rtnl_lm_each(const struct nlmsghdr *h, void *arg)
{
	struct rtnl_state *s = arg;
	const struct rtattr *a;
	struct rtnl_lm lm;
	int len;

	if (h->nlmsg_type != s->family ||
	    h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0;
	memset(&lm, 0, sizeof(lm));
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	for (a = (const struct rtattr *)((const char *)NLMSG_DATA(h) +
					 GENL_HDRLEN);
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type & NLA_TYPE_MASK) {
		case ETHTOOL_A_LINKMODES_HEADER: {
			const struct rtattr *n;
			int nl = (int)RTA_PAYLOAD(a);

			for (n = RTA_DATA(a); RTA_OK(n, nl); n = RTA_NEXT(n, nl))
				if ((n->rta_type & NLA_TYPE_MASK) ==
				    ETHTOOL_A_HEADER_DEV_NAME)
					rtnl_attr_str(n, lm.name, sizeof(lm.name));
			break;
		}
		case ETHTOOL_A_LINKMODES_SPEED:
			lm.speed = (int64_t)rtnl_u32(a);
			break;
		case ETHTOOL_A_LINKMODES_DUPLEX:
			lm.duplex = (int)rtnl_u8(a);
			break;
		}
	}
	if (s->nlm == s->caplm) {
		size_t nc = s->caplm ? s->caplm * 2 : 16;
		struct rtnl_lm *nv = realloc(s->lm, nc * sizeof(*nv));

		if (!nv)
			return -1;
		s->lm = nv;
		s->caplm = nc;
	}
	s->lm[s->nlm++] = lm;
	return 0;
}

/* Speed and duplex of every link from ethtool netlink; 0 also when the
 * kernel has no ethtool netlink (node_exporter then goes without). */
static int rtnl_linkmodes(struct rtnl_state *s)
{
	struct {
		struct genlmsghdr g;
		char attrs[32];
	} req;
	struct rtattr *hdr, *fl;
	uint32_t flags = ETHTOOL_FLAG_COMPACT_BITSETS;

	memset(&req, 0, sizeof(req));
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	if (netlink_dump_proto("netclass", NETLINK_GENERIC, GENL_ID_CTRL,
			       &req, GENL_HDRLEN, rtnl_family_each, s) < 0)
		return -1;
	if (!s->family) {
		log_debug("netclass: ETHTOOL netlink interface unavailable, duplex and linkspeed are not scraped");
		return 0;
	}
	memset(&req, 0, sizeof(req));
	req.g.cmd = ETHTOOL_MSG_LINKMODES_GET;
	req.g.version = ETHTOOL_GENL_VERSION;
	hdr = (struct rtattr *)req.attrs;
	hdr->rta_type = NLA_F_NESTED | ETHTOOL_A_LINKMODES_HEADER;
	hdr->rta_len = RTA_LENGTH(RTA_LENGTH(sizeof(flags)));
	fl = RTA_DATA(hdr);
	fl->rta_type = ETHTOOL_A_HEADER_FLAGS;
	fl->rta_len = RTA_LENGTH(sizeof(flags));
	memcpy(RTA_DATA(fl), &flags, sizeof(flags));
	return netlink_dump_proto("netclass", NETLINK_GENERIC, (int)s->family,
				  &req, GENL_HDRLEN + hdr->rta_len,
				  rtnl_lm_each, s);
}

static int rtnl_link_each(const struct nlmsghdr *h, void *arg)
{
	struct rtnl_state *s = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *a;
	struct rtnl_link *l;
	int len;

	if (h->nlmsg_type != RTM_NEWLINK ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	if (s->nl == s->capl) {
		size_t nc = s->capl ? s->capl * 2 : 16;
		struct rtnl_link *nv = realloc(s->l, nc * sizeof(*nv));

		if (!nv)
			return -1;
		s->l = nv;
		s->capl = nc;
	}
	l = &s->l[s->nl];
	memset(l, 0, sizeof(*l));
	l->type = ifi->ifi_type;
	l->index = (unsigned)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	len = (int)IFLA_PAYLOAD(h);
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t n = RTA_PAYLOAD(a);

		switch (a->rta_type) {
		case IFLA_ADDRESS:
		case IFLA_BROADCAST:
			/* The library refuses the whole dump for these. */
			if (n < 4 || n > 32) {
				s->bad = 1;
				free(l->altnames);
				return -1;
			}
			if (a->rta_type == IFLA_ADDRESS) {
				memcpy(l->addr, RTA_DATA(a), n);
				l->addrlen = n;
			} else {
				memcpy(l->bcast, RTA_DATA(a), n);
				l->bcastlen = n;
			}
			break;
		case IFLA_IFALIAS:
			rtnl_attr_str(a, l->alias, sizeof(l->alias));
			l->have_alias = 1;
			break;
		case IFLA_CARRIER:
			l->carrier = rtnl_u8(a);
			l->have_carrier = 1;
			break;
		case IFLA_CARRIER_CHANGES:
			l->carrier_changes = rtnl_u32(a);
			l->have_changes = 1;
			break;
		case IFLA_CARRIER_UP_COUNT:
			l->carrier_up = rtnl_u32(a);
			l->have_up = 1;
			break;
		case IFLA_CARRIER_DOWN_COUNT:
			l->carrier_down = rtnl_u32(a);
			l->have_down = 1;
			break;
		case IFLA_GROUP:
			l->group = rtnl_u32(a);
			l->have_group = 1;
			break;
		case IFLA_MTU:
			l->mtu = rtnl_u32(a);
			break;
		case IFLA_IFNAME:
			rtnl_attr_str(a, l->name, sizeof(l->name));
			break;
		case IFLA_LINK:
			l->link = rtnl_u32(a);
			break;
		case IFLA_LINKMODE:
			l->linkmode = rtnl_u8(a);
			l->have_linkmode = 1;
			break;
		case IFLA_OPERSTATE:
			l->operstate = rtnl_u8(a);
			break;
		case IFLA_TXQLEN:
			l->txqlen = rtnl_u32(a);
			l->have_txqlen = 1;
			break;
		case IFLA_STATS64:
			memcpy(&l->st, RTA_DATA(a),
			       n < sizeof(l->st) ? n : sizeof(l->st));
			l->have_stats = 1;
			break;
		case IFLA_PROP_LIST: {
			const struct rtattr *p;
			int pl = (int)n;

			for (p = RTA_DATA(a); RTA_OK(p, pl); p = RTA_NEXT(p, pl)) {
				char an[256];
				size_t al;
				char *nv;

				if ((p->rta_type & NLA_TYPE_MASK) != IFLA_ALT_IFNAME)
					continue;
				rtnl_attr_str(p, an, sizeof(an));
				al = strlen(an) + 1;
				nv = realloc(l->altnames, l->altlen + al);
				if (!nv) {
					free(l->altnames);
					return -1;
				}
				memcpy(nv + l->altlen, an, al);
				l->altnames = nv;
				l->altlen += al;
			}
			break;
		}
		}
	}
	s->nl++;
	return 0;
}

/* net.HardwareAddr's String(): lowercase hex pairs joined by ':'. */
static void rtnl_hw(const unsigned char *b, size_t n, char *dst)
{
	size_t i;

	dst[0] = '\0';
	for (i = 0; i < n; i++) {
		static const char hex[] = "0123456789abcdef";

		if (i)
			*dst++ = ':';
		*dst++ = hex[b[i] >> 4];
		*dst++ = hex[b[i] & 15];
	}
	*dst = '\0';
}

static const char *rtnl_duplex(int d, char *buf, size_t size)
{
	if (d == 0)
		return "Half";
	if (d == 1)
		return "Full";
	if (d == 255)
		return "Unknown";
	hc_fmt(buf, size, "Duplex(%d)", d);
	return buf;
}

static int rtnl_prop(struct out *o, const char *prop, int counter, double v,
		     const char *dev)
{
	char name[96], help[96];

	hc_fmt(name, sizeof(name), "node_network_%s", prop);
	hc_fmt(help, sizeof(help), "Network device property: %s", prop);
	return out_add(o, name, help, counter ? OUT_COUNTER : OUT_GAUGE, v,
		       "device", dev, NULL);
}

/* addr_assign_type, dev_id and name_assign_type from /sys/class/net (the
 * fixed path node_exporter reads them from in this mode); -1 on an error
 * that is not "absent". */
static int rtnl_sysfs(const char *dev, int64_t v[3], int have[3],
		      struct buf *b)
{
	static const char *const f[3] = {
		"addr_assign_type", "dev_id", "name_assign_type",
	};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < 3; i++) {
		have[i] = 0;
		hc_fmt(path, sizeof(path), "/sys/class/net/%s/%s", dev, f[i]);
		if (hc_read_str(path, b) < 0) {
			if (errno == ENOENT || errno == EACCES || errno == EPERM ||
			    errno == EOPNOTSUPP || errno == EINVAL)
				continue;
			log_error("netclass: cannot read '%s': %s", path,
				  strerror(errno));
			return -1;
		}
		if (hc_parse_int0(b->p ? b->p : "", b->len, &v[i]) == 0)
			have[i] = 1;
	}
	return 0;
}

static int rtnl_stats(struct out *o, const struct rtnl_link *l)
{
	const struct rtnl_link_stats64 *s = &l->st;
	const struct {
		const char *name;
		uint64_t v;
	} st[] = {
		{ "receive_packets_total", s->rx_packets },
		{ "transmit_packets_total", s->tx_packets },
		{ "receive_bytes_total", s->rx_bytes },
		{ "transmit_bytes_total", s->tx_bytes },
		{ "receive_errors_total", s->rx_errors },
		{ "transmit_errors_total", s->tx_errors },
		{ "receive_dropped_total", s->rx_dropped },
		{ "transmit_dropped_total", s->tx_dropped },
		{ "multicast_total", s->multicast },
		{ "collisions_total", s->collisions },
		{ "receive_length_errors_total", s->rx_length_errors },
		{ "receive_over_errors_total", s->rx_over_errors },
		{ "receive_crc_errors_total", s->rx_crc_errors },
		{ "receive_frame_errors_total", s->rx_frame_errors },
		{ "receive_fifo_errors_total", s->rx_fifo_errors },
		{ "receive_missed_errors_total", s->rx_missed_errors },
		{ "transmit_aborted_errors_total", s->tx_aborted_errors },
		{ "transmit_carrier_errors_total", s->tx_carrier_errors },
		{ "transmit_fifo_errors_total", s->tx_fifo_errors },
		{ "transmit_heartbeat_errors_total", s->tx_heartbeat_errors },
		{ "transmit_window_errors_total", s->tx_window_errors },
		{ "receive_compressed_total", s->rx_compressed },
		{ "transmit_compressed_total", s->tx_compressed },
		{ "receive_nohandler_total", s->rx_nohandler },
	};
	size_t i;

	/* Gauges, as node_exporter 1.12 types them. */
	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		if (rtnl_prop(o, st[i].name, 0, (double)st[i].v, l->name) < 0)
			return -1;
	return 0;
}

static int rtnl_emit(struct hc *hc, struct out *o, struct rtnl_state *s,
		     const struct rtnl_link *l, struct buf *b)
{
	static const char *const operstates[7] = {
		"unknown", "notpresent", "down", "lowerlayerdown", "testing",
		"dormant", "up",
	};
	char addr[100], bcast[100], dbuf[32];
	const char *duplex = "";
	int64_t sv[3];
	int have[3];
	size_t i;
	int e = 0;

	if (l->operstate >= 7) {
		log_error("netclass: unknown operstate %u of '%s'", l->operstate,
			  l->name);
		return -1;
	}
	for (i = 0; i < s->nlm; i++)
		if (strcmp(s->lm[i].name, l->name) == 0 &&
		    !regex_match(hc->netclass_ignored_re, s->lm[i].name,
				 strlen(s->lm[i].name)))
			duplex = rtnl_duplex(s->lm[i].duplex, dbuf,
					     sizeof(dbuf));
	if (rtnl_sysfs(l->name, sv, have, b) < 0)
		return -1;
	rtnl_hw(l->addr, l->addrlen, addr);
	rtnl_hw(l->bcast, l->bcastlen, bcast);
	e |= out_add(o, "node_network_up",
		     "Value is 1 if operstate is 'up', 0 otherwise.", OUT_GAUGE,
		     l->operstate == 6 ? 1.0 : 0.0, "device", l->name, NULL);
	e |= out_add(o, "node_network_info",
		     "Non-numeric data of <iface>, value is always 1.",
		     OUT_GAUGE, 1.0, "device", l->name, "address", addr,
		     "broadcast", bcast, "duplex", duplex, "operstate",
		     operstates[l->operstate], "ifalias",
		     l->have_alias ? l->alias : "", NULL);
	for (i = 0; i < l->altlen; i += strlen(l->altnames + i) + 1) {
		char *v;
		size_t n = strlen(l->altnames + i);

		if (n == 0)
			continue;
		v = malloc(3 * n + 8);
		if (!v)
			return -1;
		dmi_valid_utf8(l->altnames + i, n, v, 3 * n + 8);
		e |= out_add(o, "node_network_altnames_info",
			     "Non-numeric data of <iface> altname, value is always 1.",
			     OUT_GAUGE, 1.0, "altname", v, "device", l->name,
			     NULL);
		free(v);
	}
	if (have[0])
		e |= rtnl_prop(o, "address_assign_type", 0, (double)sv[0],
			       l->name);
	if (l->have_carrier)
		e |= rtnl_prop(o, "carrier", 0, l->carrier, l->name);
	if (l->have_changes)
		e |= rtnl_prop(o, "carrier_changes_total", 1,
			       l->carrier_changes, l->name);
	if (l->have_up)
		e |= rtnl_prop(o, "carrier_up_changes_total", 1, l->carrier_up,
			       l->name);
	if (l->have_down)
		e |= rtnl_prop(o, "carrier_down_changes_total", 1,
			       l->carrier_down, l->name);
	if (have[1])
		e |= rtnl_prop(o, "device_id", 0, (double)sv[1], l->name);
	e |= rtnl_prop(o, "flags", 0, l->flags, l->name);
	e |= rtnl_prop(o, "iface_id", 0, l->index, l->name);
	if (l->have_linkmode) {
		e |= rtnl_prop(o, "iface_link_mode", 0, l->linkmode, l->name);
		/* node_exporter reports the link mode as dormant too. */
		e |= rtnl_prop(o, "dormant", 0, l->linkmode, l->name);
	}
	e |= rtnl_prop(o, "iface_link", 0, l->link > 0 ? l->link : l->index,
		       l->name);
	e |= rtnl_prop(o, "mtu_bytes", 0, l->mtu, l->name);
	if (have[2])
		e |= rtnl_prop(o, "name_assign_type", 0, (double)sv[2],
			       l->name);
	if (l->have_group)
		e |= rtnl_prop(o, "net_dev_group", 0, l->group, l->name);
	if (l->have_txqlen)
		e |= rtnl_prop(o, "transmit_queue_length", 0, l->txqlen,
			       l->name);
	e |= rtnl_prop(o, "protocol_type", 0, l->type, l->name);
	if (e)
		return -1;
	if (hc->netclass_rtnl_stats && l->have_stats)
		return rtnl_stats(o, l);
	return 0;
}

int netclass_rtnl_update(struct hc *hc, struct out *o)
{
	struct rtnl_state s;
	struct ifinfomsg ifi;
	struct buf b = BUF_INIT(65536);
	size_t i;
	int rc = HC_FAIL;

	memset(&s, 0, sizeof(s));
	if (rtnl_linkmodes(&s) < 0)
		goto out;
	for (i = 0; i < s.nlm; i++) {
		const struct rtnl_lm *lm = &s.lm[i];

		if (regex_match(hc->netclass_ignored_re, lm->name,
				strlen(lm->name)) || lm->speed < 0)
			continue;
		if (rtnl_prop(o, "speed_bytes", 0,
			      (double)(uint64_t)(lm->speed * 1000 * 1000 / 8),
			      lm->name) < 0)
			goto out;
	}
	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	if (netlink_dump("netclass", RTM_GETLINK, &ifi, sizeof(ifi),
			 rtnl_link_each, &s) < 0) {
		if (s.bad)
			log_error("netclass: a link address of another length than 4 to 32 bytes");
		goto out;
	}
	for (i = 0; i < s.nl; i++) {
		if (regex_match(hc->netclass_ignored_re, s.l[i].name,
				strlen(s.l[i].name)))
			continue;
		if (rtnl_emit(hc, o, &s, &s.l[i], &b) < 0)
			goto out;
	}
	rc = HC_OK;
out:
	for (i = 0; i < s.nl; i++)
		free(s.l[i].altnames);
	free(s.l);
	free(s.lm);
	buf_free(&b);
	return rc;
}
