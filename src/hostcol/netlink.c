/* netlink.c: one netlink dump request and its answer, for arp, netdev (rtnetlink) and tcpstat (sock_diag). */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

int
netlink_dump(const char *what, int type, const void *body, size_t blen,
	     int (*each)(const struct nlmsghdr *, void *), void *arg)
{
	return netlink_dump_proto(what, NETLINK_ROUTE, type, body, blen, each,
				  arg);
}

/*
 * A socket per protocol stays open from dump to dump (a socket and a
 * close a cycle less); one whose dump did not end cleanly is closed, so
 * no half-read answer is ever taken for the next one, and answers to
 * another sequence number are skipped.
 */
#define NL_KEEP 4

static struct {
	int proto, fd;
} nl_kept[NL_KEEP];
static size_t nl_nkept;
static unsigned nl_seq;

static int nl_socket(int proto)
{
	size_t i;
	int fd;

	for (i = 0; i < nl_nkept; i++)
		if (nl_kept[i].proto == proto) {
			fd = nl_kept[i].fd;
			nl_kept[i] = nl_kept[--nl_nkept];
			return fd;
		}
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
}

static void nl_keep(int proto, int fd)
{
	if (nl_nkept == NL_KEEP) {
		close(fd);
		return;
	}
	nl_kept[nl_nkept].proto = proto;
	nl_kept[nl_nkept].fd = fd;
	nl_nkept++;
}

void netlink_cleanup(void)
{
	while (nl_nkept > 0)
		close(nl_kept[--nl_nkept].fd);
}

int
netlink_dump_proto(const char *what, int proto, int type, const void *body,
		   size_t blen, int (*each)(const struct nlmsghdr *, void *),
		   void *arg)
{
	struct {
		struct nlmsghdr h;
		char body[64];
	} req;
	static char rbuf[64 * 1024];
	struct sockaddr_nl sa;
	int fd, done = 0, rc = -1;

	if (blen > sizeof(req.body)) {
		errno = EMSGSIZE;
		return -1;
	}
	fd = nl_socket(proto);
	if (fd < 0) {
		log_errno("%s: cannot open a netlink socket", what);
		return -1;
	}
	memset(&req, 0, sizeof(req));
	memcpy(req.body, body, blen);
	req.h.nlmsg_len = NLMSG_LENGTH(blen);
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = ++nl_seq;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		log_errno("%s: cannot send a netlink request", what);
		goto out;
	}
	while (!done) {
		ssize_t n = recv(fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *h;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_errno("%s: cannot read netlink", what);
			goto out;
		}
		if (n == 0)
			break;
		len = (int)n;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (unsigned)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != req.h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				log_error("%s: netlink answered with an error",
					  what);
				goto out;
			}
			if (each(h, arg) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	if (rc == 0 && done)
		nl_keep(proto, fd);
	else
		close(fd);
	return rc;
}
