/* bonding.c: the bonding collector (slaves and active slaves of /sys/class/net bonds). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/* One master: its slaves and how many of them have MII status "up". */
static int bond_master(const char *net, const char *master, size_t mlen,
		       double *slaves, double *active, struct buf *b)
{
	char path[PATH_MAX + 512], list[4096];
	const char *s, *e;

	hc_fmt(path, sizeof(path), "%s/%.*s/bonding/slaves", net, (int)mlen,
	       master);
	if (hc_read(path, b) < 0)
		return -1;
	if (hc_fmt(list, sizeof(list), "%.*s", (int)b->len,
		   b->p ? b->p : "") < 0) {
		errno = EFBIG;
		return -1;
	}
	*slaves = *active = 0;
	for (s = list; *s;) {
		size_t n;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
		       *s == '\v' || *s == '\f')
			s++;
		if (!*s)
			break;
		for (e = s; *e && !(*e == ' ' || *e == '\t' || *e == '\n' ||
				    *e == '\r' || *e == '\v' || *e == '\f');
		     e++)
			;
		n = (size_t)(e - s);
		hc_fmt(path, sizeof(path),
		       "%s/%.*s/lower_%.*s/bonding_slave/mii_status", net,
		       (int)mlen, master, (int)n, s);
		if (hc_read_str(path, b) < 0) {
			if (errno != ENOENT)
				return -1;
			hc_fmt(path, sizeof(path),
			       "%s/%.*s/slave_%.*s/bonding_slave/mii_status",
			       net, (int)mlen, master, (int)n, s);
			if (hc_read_str(path, b) < 0)
				return -1;
		}
		(*slaves)++;
		if (b->p && strcmp(b->p, "up") == 0)
			(*active)++;
		s = e;
	}
	return 0;
}

int bonding_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536), masters = BUF_INIT(65536);
	struct out_mark m = out_mark(o);
	char net[PATH_MAX], path[PATH_MAX + 64];
	const char *s, *e;
	int rc = HC_FAIL;

	if (hc_path(net, sizeof(net), hc->sysfs, "class/net") < 0)
		return HC_FAIL;
	hc_fmt(path, sizeof(path), "%s/bonding_masters", net);
	if (hc_read(path, &masters) < 0 || buf_addstr(&masters, "") < 0) {
		rc = errno == ENOENT ? HC_NODATA : HC_FAIL;
		if (rc == HC_FAIL)
			log_error("bonding: cannot read '%s': %s", path,
				  strerror(errno));
		goto out;
	}
	for (s = masters.p; *s;) {
		double slaves, active;
		size_t n;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
		       *s == '\v' || *s == '\f')
			s++;
		if (!*s)
			break;
		for (e = s; *e && !(*e == ' ' || *e == '\t' || *e == '\n' ||
				    *e == '\r' || *e == '\v' || *e == '\f');
		     e++)
			;
		n = (size_t)(e - s);
		if (bond_master(net, s, n, &slaves, &active, &b) < 0) {
			/* A file that is not there: no bonding to report. */
			rc = errno == ENOENT ? HC_NODATA : HC_FAIL;
			if (rc == HC_FAIL)
				log_error("bonding: cannot read the slaves of '%.*s': %s",
					  (int)n, s, strerror(errno));
			goto out;
		}
		{
			char name[256];

			hc_fmt(name, sizeof(name), "%.*s", (int)n, s);
			/* A master named twice is one series (the last). */
			if (out_add(o, "node_bonding_slaves",
				    "Number of configured slaves per bonding interface.",
				    OUT_GAUGE, slaves, "master", name, NULL) < 0 ||
			    out_add(o, "node_bonding_active",
				    "Number of active slaves per bonding interface.",
				    OUT_GAUGE, active, "master", name, NULL) < 0)
				goto out;
		}
		s = e;
	}
	rc = HC_OK;
out:
	if (rc != HC_OK)
		out_rollback(o, m);
	buf_free(&b);
	buf_free(&masters);
	return rc;
}
