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
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		log_errno("%s: cannot open a netlink socket", what);
		return -1;
	}
	memset(&req, 0, sizeof(req));
	memcpy(req.body, body, blen);
	req.h.nlmsg_len = NLMSG_LENGTH(blen);
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 1;
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
	close(fd);
	return rc;
}
