/* fuzz_hostcol_sys.c: libFuzzer harness for the parsers of hostcol's storage, network and hardware collectors (zfs kstats, nfs, nfsd, xfs, ipvs, infiniband, btrfs, bcache, cpu vulnerabilities, DMI text, SELinux config, sock_diag, rtnetlink link and ethtool netlink messages). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The Makefile links lib/ only: hostcol's parsers come in as sources. */
#include "../../src/hostcol/util.c"
#include "../../src/hostcol/out.c"
#include "../../src/hostcol/zfs.c"
#include "../../src/hostcol/nfs.c"
#include "../../src/hostcol/nfsd.c"
#include "../../src/hostcol/xfs.c"
#include "../../src/hostcol/ipvs.c"
#include "../../src/hostcol/infiniband.c"
#include "../../src/hostcol/btrfs.c"
#include "../../src/hostcol/bcache.c"
#include "../../src/hostcol/cpu_vulnerabilities.c"
#include "../../src/hostcol/dmi.c"
#include "../../src/hostcol/netlink.c"
#include "../../src/hostcol/tcpstat.c"
#include "../../src/hostcol/selinux.c"
#include "../../src/hostcol/netclass_rtnl.c"

/* The data as one netlink message of type type (its length the data's). */
static void fuzz_nlmsg(const uint8_t *data, size_t size)
{
	struct rtnl_state rs;
	struct nlmsghdr *h;
	size_t i;

	if (size < NLMSG_HDRLEN || size > 65536)
		return;
	h = malloc(size);
	if (!h)
		return;
	memcpy(h, data, size);
	h->nlmsg_len = (uint32_t)size;
	memset(&rs, 0, sizeof(rs));
	h->nlmsg_type = RTM_NEWLINK;
	(void)rtnl_link_each(h, &rs);
	h->nlmsg_type = GENL_ID_CTRL;
	(void)rtnl_family_each(h, &rs);
	rs.family = 0x1234;
	h->nlmsg_type = 0x1234;
	(void)rtnl_lm_each(h, &rs);
	for (i = 0; i < rs.nl; i++)
		free(rs.l[i].altnames);
	free(rs.l);
	free(rs.lm);
	free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int all[6] = { 0, 1, 2, 3, 4, 5 };
	const char *p = (const char *)data;
	struct ipvs_backend *be = NULL;
	struct out o;
	double xv[XFS_NVALUES], wb[5] = { 0 }, pr[2] = { 0 };
	uint64_t st[5], u, commit[4];
	char mit[256], *utf;
	const char *state;
	size_t nb = 0;

	out_init(&o);
	(void)zfs_kstat_parse(p, size, "zfs_arc", "arcstats", &o);
	(void)zfs_io_parse(p, size, "pool", &o);
	(void)zfs_objset_parse(p, size, "pool", &o);
	(void)nfs_parse(p, size, &o);
	(void)nfsd_parse(p, size, &o);
	(void)xfs_parse(p, size, xv);
	(void)ipvs_stats_parse(p, size, st);
	if (ipvs_backends_parse(p, size, all, 6, &be, &nb) == 0)
		free(be);
	(void)infiniband_state_parse(p, size, &u);
	(void)infiniband_rate_parse(p, size, &u);
	(void)btrfs_commit_parse(p, size, commit);
	(void)bcache_dehumanize(p, size, &u);
	(void)bcache_writeback_parse(p, size, wb);
	(void)bcache_priority_parse(p, size, pr);
	(void)vuln_parse(p, size, &state, mit, sizeof(mit));
	(void)selinux_config_mode(p, size);
	{
		struct tcpstat_sum ts;

		memset(&ts, 0, sizeof(ts));
		(void)tcpstat_msg(p, size, &ts);
	}
	fuzz_nlmsg(data, size);
	utf = malloc(3 * size + 8);
	if (utf) {
		dmi_valid_utf8(p, size, utf, 3 * size + 8);
		free(utf);
	}
	out_free(&o);
	return 0;
}
