/* netlink.c: one netlink dump request and its answer, for arp, netdev (rtnetlink, with its link notifications) and tcpstat (sock_diag). */
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

/* The next sequence number: never 0, which notifications carry. */
static unsigned nl_next_seq(void)
{
	if (++nl_seq == 0)
		nl_seq = 1;
	return nl_seq;
}

static int nl_send(int fd, int type, unsigned seq, const void *body,
		   size_t blen)
{
	struct {
		struct nlmsghdr h;
		char body[64];
	} req;
	struct sockaddr_nl sa;

	if (blen > sizeof(req.body)) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&req, 0, sizeof(req));
	memcpy(req.body, body, blen);
	req.h.nlmsg_len = NLMSG_LENGTH(blen);
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return -1;
	return 0;
}

/* What nl_answer says: the values netlink_dump_fd returns, and NL_EOF
 * (an end without NLMSG_DONE, taken as the end of the answer). */
enum { NL_OK = 0, NL_SYS = -1, NL_NACK = -2, NL_EACH = -3, NL_EOF = 1 };

/*
 * Reads the answer to the dump of sequence seq until NLMSG_DONE.  Other
 * messages (notifications, on a socket that joined groups) and a lost
 * notification (ENOBUFS) add to *events when events is not NULL.  A
 * notification is told by where it was sent (a group), not by its
 * sequence number: the kernel copies the number of the request that
 * caused it (ip link add with NLM_F_ECHO), which may be ours by chance.
 */
static int nl_answer(int fd, unsigned seq,
		     int (*each)(const struct nlmsghdr *, void *), void *arg,
		     unsigned *events)
{
	static char rbuf[64 * 1024];

	for (;;) {
		struct sockaddr_nl from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, rbuf, sizeof(rbuf), 0,
				     (struct sockaddr *)&from, &flen);
		struct nlmsghdr *h;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS && events) {
				(*events)++;
				continue;
			}
			return NL_SYS;
		}
		if (n == 0)
			return NL_EOF;
		if (flen >= sizeof(from) && from.nl_groups != 0) {
			if (events)
				(*events)++;
			continue;
		}
		len = (int)n;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (unsigned)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq) {
				if (events)
					(*events)++;
				continue;
			}
			/* The links changed while the kernel dumped them. */
			if ((h->nlmsg_flags & NLM_F_DUMP_INTR) && events)
				(*events)++;
			if (h->nlmsg_type == NLMSG_DONE)
				return NL_OK;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				errno = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) &&
					e->error < 0 ? -e->error : EPROTO;
				return NL_NACK;
			}
			if (each(h, arg) < 0)
				return NL_EACH;
		}
	}
}

int
netlink_dump_proto(const char *what, int proto, int type, const void *body,
		   size_t blen, int (*each)(const struct nlmsghdr *, void *),
		   void *arg)
{
	unsigned seq = nl_next_seq();
	int fd, rc;

	fd = nl_socket(proto);
	if (fd < 0) {
		log_errno("%s: cannot open a netlink socket", what);
		return -1;
	}
	if (nl_send(fd, type, seq, body, blen) < 0) {
		log_errno("%s: cannot send a netlink request", what);
		close(fd);
		return -1;
	}
	rc = nl_answer(fd, seq, each, arg, NULL);
	if (rc == NL_SYS)
		log_errno("%s: cannot read netlink", what);
	else if (rc == NL_NACK)
		log_error("%s: netlink answered with an error", what);
	if (rc != NL_OK) {
		close(fd);
		return rc == NL_EOF ? 0 : -1;
	}
	nl_keep(proto, fd);
	return 0;
}

int netlink_open_groups(unsigned groups)
{
	struct sockaddr_nl sa;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = groups;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int netlink_dump_fd(int fd, int type, const void *body, size_t blen,
		    int (*each)(const struct nlmsghdr *, void *), void *arg,
		    unsigned *events)
{
	unsigned seq = nl_next_seq();
	int rc;

	if (nl_send(fd, type, seq, body, blen) < 0)
		return NL_SYS;
	rc = nl_answer(fd, seq, each, arg, events);
	if (rc == NL_EOF) {
		errno = EPROTO;
		return NL_SYS;
	}
	return rc;
}
