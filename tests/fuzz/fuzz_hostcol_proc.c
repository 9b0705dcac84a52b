/* fuzz_hostcol_proc.c: libFuzzer harness for hostcol's /proc parsers (meminfo, vmstat, stat, loadavg, netstat, pressure, diskstats, file-nr, conntrack, schedstat, softnet, arp, sockstat, udp, mdstat, pid stat, interrupts, os-release). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The Makefile links lib/ only: hostcol's parsers come in as sources. */
#include "../../src/hostcol/util.c"
#include "../../src/hostcol/out.c"
#include "../../src/hostcol/meminfo.c"
#include "../../src/hostcol/stat.c"
#include "../../src/hostcol/netstat.c"
#include "../../src/hostcol/pressure.c"
#include "../../src/hostcol/diskstats.c"
#include "../../src/hostcol/kernel.c"
#include "../../src/hostcol/netlink.c"
#include "../../src/hostcol/arp.c"
#include "../../src/hostcol/sockstat.c"
#include "../../src/hostcol/mdadm.c"
#include "../../src/hostcol/procs.c"
#include "../../src/hostcol/sysinfo.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hc hc;
	static int ready;
	const char *p = (const char *)data;
	struct out o;
	double load[3], some, full, fa, fm;
	uint64_t sum[17], tx, rx;
	struct buf osv[13];
	char state[64];
	int64_t threads;
	size_t i;
	size_t third = size / 3;

	if (!ready) {
		hc.udev = "/nonexistent";
		hc.sysfs = "/nonexistent";
		hc.diskstats_exclude = "^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$";
		hc.vmstat_fields = "^(oom_kill|pgpg|pswp|pg.*fault).*";
		hc.netstat_fields = "^(.*_(InErrors|InErrs)|Tcp_.*)$";
		if (diskstats_init(&hc) < 0 || vmstat_init(&hc) < 0 ||
		    netstat_init(&hc) < 0)
			abort();
		ready = 1;
	}
	out_init(&o);
	(void)meminfo_parse(p, size, &o);
	(void)vmstat_parse(p, size, hc.vmstat_re, &o);
	(void)stat_parse(p, size, 1, &o);
	(void)loadavg_parse(p, size, load);
	(void)pressure_parse(p, size, &some, &full);
	(void)diskstats_parse(p, size, &hc, &o);
	(void)filefd_parse(p, size, &fa, &fm);
	(void)conntrack_stat_parse(p, size, sum);
	(void)schedstat_parse(p, size, &o);
	(void)softnet_parse(p, size, &o);
	(void)arp_proc_count(p, size);
	(void)sockstat_parse(p, size, 1, 4096, &o);
	(void)udp_queues_parse(p, size, &tx, &rx);
	(void)mdstat_parse(p, size, &o);
	(void)procstat_parse(p, size, state, &threads);
	(void)interrupts_parse(p, size, NULL, &o);
	for (i = 0; i < 13; i++)
		buf_init(&osv[i], 65536);
	(void)os_release_parse(p, size, osv);
	for (i = 0; i < 13; i++)
		buf_free(&osv[i]);
	(void)netstat_parse(p, third, p + third, third, p + 2 * third,
			    size - 2 * third, hc.netstat_re, &o);
	out_free(&o);
	return 0;
}
