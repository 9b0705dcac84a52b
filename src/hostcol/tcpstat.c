/* tcpstat.c: the tcpstat collector (TCP sockets by state, from a sock_diag netlink dump). */
#include <errno.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/*
 * node_exporter's states by number; 12 and 13 are its two queue sums,
 * which a socket in those kernel states (not asked for) would count into
 * as node_exporter does; any other number is "unknown".
 */
#define TCPSTAT_N 15
static const char *const tcpstat_names[TCPSTAT_N] = {
	"unknown", "established", "syn_sent", "syn_recv", "fin_wait1",
	"fin_wait2", "time_wait", "close", "close_wait", "last_ack",
	"listen", "closing", "rx_queued_bytes", "tx_queued_bytes", "unknown",
};

struct tcpstat_sum {
	double v[TCPSTAT_N];
	int seen[TCPSTAT_N];
};

int tcpstat_msg(const void *p, size_t len, struct tcpstat_sum *s)
{
	struct inet_diag_msg m;
	size_t st;

	if (len < sizeof(m))
		return -1;
	memcpy(&m, p, sizeof(m));
	st = m.idiag_state;
	if (st == 0 || st > 13)
		st = st == 0 ? 0 : 14;
	s->v[13] += m.idiag_wqueue;
	s->seen[13] = 1;
	s->v[12] += m.idiag_rqueue;
	s->seen[12] = 1;
	s->v[st]++;
	s->seen[st] = 1;
	return 0;
}

static int tcpstat_each(const struct nlmsghdr *h, void *arg)
{
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return 0;
	if (tcpstat_msg(NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN, arg) < 0) {
		log_error("tcpstat: short sock_diag message");
		return -1;
	}
	return 0;
}

static int tcpstat_family(int family, struct tcpstat_sum *s)
{
	struct inet_diag_req_v2 req;

	memset(&req, 0, sizeof(req));
	req.sdiag_family = (unsigned char)family;
	req.sdiag_protocol = IPPROTO_TCP;
	req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	req.idiag_states = 0xFFF;
	return netlink_dump_proto("tcpstat", NETLINK_SOCK_DIAG,
				  SOCK_DIAG_BY_FAMILY, &req, sizeof(req),
				  tcpstat_each, s);
}

int tcpstat_update(struct hc *hc, struct out *o)
{
	struct tcpstat_sum s;
	char path[PATH_MAX];
	struct stat sb;
	size_t i;

	memset(&s, 0, sizeof(s));
	if (tcpstat_family(AF_INET, &s) < 0)
		return HC_FAIL;
	/* IPv6 sockets too where the kernel has IPv6, as node_exporter
	 * decides it: by /proc/net/tcp6. */
	if (hc_path(path, sizeof(path), hc->procfs, "net/tcp6") == 0 &&
	    stat(path, &sb) == 0 && tcpstat_family(AF_INET6, &s) < 0)
		return HC_FAIL;
	/* "unknown" is one series, whatever number it came from. */
	if (s.seen[14]) {
		s.v[0] += s.v[14];
		s.seen[0] = 1;
	}
	for (i = 0; i < 14; i++)
		if (s.seen[i] &&
		    out_add(o, "node_tcp_connection_states",
			    "Number of connection states.", OUT_GAUGE, s.v[i],
			    "state", tcpstat_names[i], NULL) < 0)
			return HC_FAIL;
	return HC_OK;
}
