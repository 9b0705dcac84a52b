/* arp.c: the arp collector (IPv4 neighbour entries per device, from rtnetlink or /proc/net/arp). */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

int arp_init(struct hc *hc)
{
	if (hc->arp_include && *hc->arp_include && hc->arp_exclude &&
	    *hc->arp_exclude) {
		log_error("--collector.arp.device-exclude and "
			  "--collector.arp.device-include are mutually "
			  "exclusive");
		return -1;
	}
	return filter_init(&hc->arp_filter, "arp device filter",
			   hc->arp_exclude, hc->arp_include);
}

/* A count per device name, in a small growing table. */
struct devcount {
	char name[IFNAMSIZ + 1];
	uint64_t n;
};

struct devcounts {
	struct devcount *v;
	size_t n, cap;
};

static int count_dev(struct devcounts *c, const char *name, size_t len)
{
	size_t i;

	if (len > IFNAMSIZ)
		len = IFNAMSIZ;
	for (i = 0; i < c->n; i++)
		if (strncmp(c->v[i].name, name, len) == 0 &&
		    c->v[i].name[len] == '\0') {
			c->v[i].n++;
			return 0;
		}
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 16;
		struct devcount *nv = realloc(c->v, nc * sizeof(*nv));

		if (!nv)
			return -1;
		c->v = nv;
		c->cap = nc;
	}
	memcpy(c->v[c->n].name, name, len);
	c->v[c->n].name[len] = '\0';
	c->v[c->n].n = 1;
	c->n++;
	return 0;
}

static int is_mac(const struct field *f)
{
	size_t i, groups = 1, digits = 0;

	/* net.ParseMAC takes 6, 8 or 20 colon-separated hex pairs (and
	 * other spellings no kernel writes). */
	for (i = 0; i < f->n; i++) {
		char c = f->p[i];

		if (c == ':' || c == '-') {
			if (digits != 2)
				return 0;
			groups++;
			digits = 0;
		} else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			   (c >= 'A' && c <= 'F')) {
			digits++;
		} else {
			return 0;
		}
	}
	return digits == 2 && (groups == 6 || groups == 8 || groups == 20);
}

/*
 * /proc/net/arp: a header of 9 fields, then entries of 6 (address, type,
 * flags, hardware address, mask, device); procfs refuses any other width,
 * a hardware address that is no MAC, and flags that are no number.
 */
static int arp_proc_parse(const char *p, size_t len, struct devcounts *c)
{
	const char *line;
	size_t llen, pos = 0;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[10];
		size_t nf = hc_fields(line, llen, f, 10);
		int64_t flags;

		if (nf == 0 || nf == 9)
			continue;
		if (nf != 6 || !is_mac(&f[3]) ||
		    hc_parse_int0(f[2].p, f[2].n, &flags) < 0 || flags < 0 ||
		    flags > 255)
			return -1;
		if (count_dev(c, f[5].p, f[5].n) < 0)
			return -1;
	}
	return 0;
}

int arp_proc_count(const char *p, size_t len)
{
	struct devcounts c = { NULL, 0, 0 };
	int rc = arp_proc_parse(p, len, &c);

	free(c.v);
	return rc < 0 ? -1 : (int)c.n;
}

static int arp_neigh(const struct nlmsghdr *h, void *arg)
{
	const struct ndmsg *nd = NLMSG_DATA(h);
	char name[IF_NAMESIZE];

	if (h->nlmsg_type != RTM_NEWNEIGH ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)) ||
	    nd->ndm_family != AF_INET)
		return 0;
	/* As /proc/net/arp: no NOARP entries. */
	if (nd->ndm_state & NUD_NOARP)
		return 0;
	if (!if_indextoname((unsigned)nd->ndm_ifindex, name))
		return 0;
	return count_dev(arg, name, strlen(name));
}

static int arp_netlink(struct devcounts *c)
{
	struct ndmsg n;

	memset(&n, 0, sizeof(n));
	n.ndm_family = AF_INET;
	return netlink_dump("arp", RTM_GETNEIGH, &n, sizeof(n), arp_neigh, c);
}

int arp_update(struct hc *hc, struct out *o)
{
	struct devcounts c = { NULL, 0, 0 };
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_FAIL;
	size_t i;

	if (hc->arp_netlink) {
		if (arp_netlink(&c) < 0)
			goto out;
	} else if (hc_path(path, sizeof(path), hc->procfs, "net/arp") < 0 ||
		   hc_read(path, &b) < 0) {
		log_error("arp: could not get ARP entries: %s",
			  strerror(errno));
		goto out;
	} else if (arp_proc_parse(b.p ? b.p : "", b.len, &c) < 0) {
		log_error("arp: could not get ARP entries: malformed '%s'",
			  path);
		goto out;
	}
	for (i = 0; i < c.n; i++) {
		if (filter_ignored(&hc->arp_filter, c.v[i].name))
			continue;
		if (out_add(o, "node_arp_entries", "ARP entries by device",
			    OUT_GAUGE, (double)c.v[i].n, "device",
			    c.v[i].name, NULL) < 0)
			goto out;
	}
	rc = HC_OK;
out:
	free(c.v);
	buf_free(&b);
	return rc;
}
