/* main.c: hostcol, the host's metrics in the line format, as node_exporter names them. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "hostcol.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "parse.h"
#include "sig.h"
#include "stats.h"
#include "banned.h"

struct collector collectors[] = {
	{ "arp", 1, arp_init, arp_update, 0 },
	{ "bcache", 1, NULL, bcache_update, 0 },
	{ "bonding", 1, NULL, bonding_update, 0 },
	{ "btrfs", 1, NULL, btrfs_update, 0 },
	{ "conntrack", 1, NULL, conntrack_update, 0 },
	{ "cpu", 1, cpu_init, cpu_update, 0 },
	{ "cpu_vulnerabilities", 0, NULL, cpu_vulnerabilities_update, 0 },
	{ "cpufreq", 1, NULL, cpufreq_update, 0 },
	{ "diskstats", 1, diskstats_init, diskstats_update, 0 },
	{ "dmi", 1, dmi_init, dmi_update, 0 },
	{ "edac", 1, NULL, edac_update, 0 },
	{ "entropy", 1, NULL, entropy_update, 0 },
	{ "fibrechannel", 1, NULL, fibrechannel_update, 0 },
	{ "filefd", 1, NULL, filefd_update, 0 },
	{ "filesystem", 1, filesystem_init, filesystem_update, 0 },
	{ "hwmon", 1, hwmon_init, hwmon_update, 0 },
	{ "infiniband", 1, infiniband_init, infiniband_update, 0 },
	{ "interrupts", 0, interrupts_init, interrupts_update, 0 },
	{ "ipvs", 1, ipvs_init, ipvs_update, 0 },
	{ "kernel_hung", 1, NULL, kernel_hung_update, 0 },
	{ "loadavg", 1, NULL, loadavg_update, 0 },
	{ "mdadm", 1, NULL, mdadm_update, 0 },
	{ "meminfo", 1, NULL, meminfo_update, 0 },
	{ "netclass", 1, netclass_init, netclass_update, 0 },
	{ "netdev", 1, netdev_init, netdev_update, 0 },
	{ "netstat", 1, netstat_init, netstat_update, 0 },
	{ "nfs", 1, NULL, nfs_update, 0 },
	{ "nfsd", 1, NULL, nfsd_update, 0 },
	{ "nvme", 1, NULL, nvme_update, 0 },
	{ "os", 1, NULL, os_update, 0 },
	{ "powersupplyclass", 1, powersupply_init, powersupply_update, 0 },
	{ "pressure", 1, NULL, pressure_update, 0 },
	{ "processes", 0, NULL, processes_update, 0 },
	{ "rapl", 1, NULL, rapl_update, 0 },
	{ "schedstat", 1, NULL, schedstat_update, 0 },
	{ "selinux", 1, NULL, selinux_update, 0 },
	{ "sockstat", 1, NULL, sockstat_update, 0 },
	{ "softnet", 1, NULL, softnet_update, 0 },
	{ "stat", 1, NULL, stat_update, 0 },
	{ "tapestats", 1, tapestats_init, tapestats_update, 0 },
	{ "tcpstat", 0, NULL, tcpstat_update, 0 },
	{ "textfile", 1, NULL, textfile_update, 0 },
	{ "thermal_zone", 1, NULL, thermal_zone_update, 0 },
	{ "time", 1, NULL, time_update, 0 },
	{ "timex", 1, NULL, timex_update, 0 },
	{ "udp_queues", 1, NULL, udp_queues_update, 0 },
	{ "uname", 1, NULL, uname_update, 0 },
	{ "vmstat", 1, vmstat_init, vmstat_update, 0 },
	{ "watchdog", 1, NULL, watchdog_update, 0 },
	{ "xfs", 1, NULL, xfs_update, 0 },
	{ "zfs", 1, NULL, zfs_update, 0 },
};
const size_t ncollectors = ARRAY_SIZE(collectors);

static const char usage_text[] =
	"usage: hostcol [-hv] [--version] [--interval DUR] [--path.procfs DIR]\n"
	"               [--path.sysfs DIR] [--path.rootfs DIR] [--path.udev.data DIR]\n"
	"               [--collector.NAME | --no-collector.NAME]...\n"
	"               [--collector.disable-defaults] [--collector.NAME.OPTION[=VALUE]]...\n"
	"               [--stats-file PATH]\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Option codes above the collectors' own (2 per collector). */
enum {
	OPT_BASE = 1000,
	OPT_VERSION = 2000,
	OPT_INTERVAL,
	OPT_PROCFS,
	OPT_SYSFS,
	OPT_ROOTFS,
	OPT_UDEV,
	OPT_DISABLE_DEFAULTS,
	OPT_CPU_GUEST,
	OPT_NO_CPU_GUEST,
	OPT_CPU_INFO,
	OPT_NO_CPU_INFO,
	OPT_CPU_FLAGS,
	OPT_CPU_BUGS,
	OPT_DISK_EXCLUDE,
	OPT_DISK_INCLUDE,
	OPT_FS_MP_EXCLUDE,
	OPT_FS_MP_INCLUDE,
	OPT_FS_TYPE_EXCLUDE,
	OPT_FS_TYPE_INCLUDE,
	OPT_FS_TIMEOUT,
	OPT_HWMON_CHIP_INCLUDE,
	OPT_HWMON_CHIP_EXCLUDE,
	OPT_HWMON_SENSOR_INCLUDE,
	OPT_HWMON_SENSOR_EXCLUDE,
	OPT_NETDEV_INCLUDE,
	OPT_NETDEV_EXCLUDE,
	OPT_NETDEV_NETLINK,
	OPT_NO_NETDEV_NETLINK,
	OPT_NETDEV_DETAILED,
	OPT_NETSTAT_FIELDS,
	OPT_STAT_SOFTIRQ,
	OPT_NO_STAT_SOFTIRQ,
	OPT_TEXTFILE_DIR,
	OPT_VMSTAT_FIELDS,
	OPT_STATS_FILE,
	OPT_ARP_EXCLUDE,
	OPT_ARP_INCLUDE,
	OPT_ARP_NETLINK,
	OPT_NO_ARP_NETLINK,
	OPT_NETCLASS_IGNORED,
	OPT_NETCLASS_INVALID_SPEED,
	OPT_INTR_INCLUDE,
	OPT_INTR_EXCLUDE,
	OPT_INTR_ZEROS,
	OPT_NO_INTR_ZEROS,
	OPT_PS_IGNORED,
	OPT_IB_INCLUDE,
	OPT_IB_EXCLUDE,
	OPT_IPVS_LABELS,
	OPT_BCACHE_PRIORITY,
	OPT_NO_BCACHE_PRIORITY,
	OPT_TAPE_IGNORED,
	OPT_RAPL_ZONE,
	OPT_NO_RAPL_ZONE,
	OPT_NETCLASS_NETLINK,
	OPT_NO_NETCLASS_NETLINK,
	OPT_NETCLASS_RTNL_STATS,
	OPT_NO_NETCLASS_RTNL_STATS,
};

static const struct option fixed_options[] = {
	{ "collector.arp.device-exclude", required_argument, NULL, OPT_ARP_EXCLUDE },
	{ "collector.arp.device-include", required_argument, NULL, OPT_ARP_INCLUDE },
	{ "collector.arp.netlink", no_argument, NULL, OPT_ARP_NETLINK },
	{ "collector.bcache.priorityStats", no_argument, NULL, OPT_BCACHE_PRIORITY },
	{ "collector.cpu.guest", no_argument, NULL, OPT_CPU_GUEST },
	{ "collector.cpu.info", no_argument, NULL, OPT_CPU_INFO },
	{ "collector.cpu.info.bugs-include", required_argument, NULL, OPT_CPU_BUGS },
	{ "collector.cpu.info.flags-include", required_argument, NULL, OPT_CPU_FLAGS },
	{ "collector.disable-defaults", no_argument, NULL, OPT_DISABLE_DEFAULTS },
	{ "collector.diskstats.device-exclude", required_argument, NULL, OPT_DISK_EXCLUDE },
	{ "collector.diskstats.device-include", required_argument, NULL, OPT_DISK_INCLUDE },
	{ "collector.filesystem.fs-types-exclude", required_argument, NULL, OPT_FS_TYPE_EXCLUDE },
	{ "collector.filesystem.fs-types-include", required_argument, NULL, OPT_FS_TYPE_INCLUDE },
	{ "collector.filesystem.mount-points-exclude", required_argument, NULL, OPT_FS_MP_EXCLUDE },
	{ "collector.filesystem.mount-points-include", required_argument, NULL, OPT_FS_MP_INCLUDE },
	{ "collector.filesystem.mount-timeout", required_argument, NULL, OPT_FS_TIMEOUT },
	{ "collector.hwmon.chip-exclude", required_argument, NULL, OPT_HWMON_CHIP_EXCLUDE },
	{ "collector.hwmon.chip-include", required_argument, NULL, OPT_HWMON_CHIP_INCLUDE },
	{ "collector.hwmon.sensor-exclude", required_argument, NULL, OPT_HWMON_SENSOR_EXCLUDE },
	{ "collector.hwmon.sensor-include", required_argument, NULL, OPT_HWMON_SENSOR_INCLUDE },
	{ "collector.netclass.netlink", no_argument, NULL, OPT_NETCLASS_NETLINK },
	{ "collector.netclass_rtnl.with-stats", no_argument, NULL, OPT_NETCLASS_RTNL_STATS },
	{ "collector.netdev.device-exclude", required_argument, NULL, OPT_NETDEV_EXCLUDE },
	{ "collector.netdev.device-include", required_argument, NULL, OPT_NETDEV_INCLUDE },
	{ "collector.netdev.enable-detailed-metrics", no_argument, NULL, OPT_NETDEV_DETAILED },
	{ "collector.infiniband.device-exclude", required_argument, NULL, OPT_IB_EXCLUDE },
	{ "collector.infiniband.device-include", required_argument, NULL, OPT_IB_INCLUDE },
	{ "collector.interrupts.include-zeros", no_argument, NULL, OPT_INTR_ZEROS },
	{ "collector.interrupts.name-exclude", required_argument, NULL, OPT_INTR_EXCLUDE },
	{ "collector.interrupts.name-include", required_argument, NULL, OPT_INTR_INCLUDE },
	{ "collector.ipvs.backend-labels", required_argument, NULL, OPT_IPVS_LABELS },
	{ "collector.netclass.ignore-invalid-speed", no_argument, NULL, OPT_NETCLASS_INVALID_SPEED },
	{ "collector.netclass.ignored-devices", required_argument, NULL, OPT_NETCLASS_IGNORED },
	{ "collector.netdev.netlink", no_argument, NULL, OPT_NETDEV_NETLINK },
	{ "collector.netstat.fields", required_argument, NULL, OPT_NETSTAT_FIELDS },
	{ "collector.powersupply.ignored-supplies", required_argument, NULL, OPT_PS_IGNORED },
	{ "collector.rapl.enable-zone-label", no_argument, NULL, OPT_RAPL_ZONE },
	{ "collector.stat.softirq", no_argument, NULL, OPT_STAT_SOFTIRQ },
	{ "collector.tapestats.ignored-devices", required_argument, NULL, OPT_TAPE_IGNORED },
	{ "collector.textfile.directory", required_argument, NULL, OPT_TEXTFILE_DIR },
	{ "collector.vmstat.fields", required_argument, NULL, OPT_VMSTAT_FIELDS },
	{ "help", no_argument, NULL, 'h' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "no-collector.arp.netlink", no_argument, NULL, OPT_NO_ARP_NETLINK },
	{ "no-collector.bcache.priorityStats", no_argument, NULL, OPT_NO_BCACHE_PRIORITY },
	{ "no-collector.cpu.guest", no_argument, NULL, OPT_NO_CPU_GUEST },
	{ "no-collector.cpu.info", no_argument, NULL, OPT_NO_CPU_INFO },
	{ "no-collector.interrupts.include-zeros", no_argument, NULL, OPT_NO_INTR_ZEROS },
	{ "no-collector.netclass.netlink", no_argument, NULL, OPT_NO_NETCLASS_NETLINK },
	{ "no-collector.netclass_rtnl.with-stats", no_argument, NULL, OPT_NO_NETCLASS_RTNL_STATS },
	{ "no-collector.netdev.netlink", no_argument, NULL, OPT_NO_NETDEV_NETLINK },
	{ "no-collector.rapl.enable-zone-label", no_argument, NULL, OPT_NO_RAPL_ZONE },
	{ "no-collector.stat.softirq", no_argument, NULL, OPT_NO_STAT_SOFTIRQ },
	{ "path.procfs", required_argument, NULL, OPT_PROCFS },
	{ "path.rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "path.sysfs", required_argument, NULL, OPT_SYSFS },
	{ "path.udev.data", required_argument, NULL, OPT_UDEV },
	{ "stats-file", required_argument, NULL, OPT_STATS_FILE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
};

/* The long options: the fixed ones, then --collector.NAME and
 * --no-collector.NAME for every collector. */
static struct option *build_options(char ***names)
{
	size_t nf = ARRAY_SIZE(fixed_options), i;
	struct option *o = calloc(nf + 2 * ncollectors + 1, sizeof(*o));
	char **nm = calloc(2 * ncollectors, sizeof(*nm));

	if (!o || !nm)
		goto fail;
	memcpy(o, fixed_options, sizeof(fixed_options));
	for (i = 0; i < ncollectors; i++) {
		size_t len = strlen(collectors[i].name) + 16;

		nm[2 * i] = malloc(len);
		nm[2 * i + 1] = malloc(len);
		if (!nm[2 * i] || !nm[2 * i + 1])
			goto fail;
		hc_fmt(nm[2 * i], len, "collector.%s", collectors[i].name);
		hc_fmt(nm[2 * i + 1], len, "no-collector.%s",
			 collectors[i].name);
		o[nf + 2 * i].name = nm[2 * i];
		o[nf + 2 * i].has_arg = no_argument;
		o[nf + 2 * i].val = OPT_BASE + (int)(2 * i);
		o[nf + 2 * i + 1].name = nm[2 * i + 1];
		o[nf + 2 * i + 1].has_arg = no_argument;
		o[nf + 2 * i + 1].val = OPT_BASE + (int)(2 * i + 1);
	}
	*names = nm;
	return o;
fail:
	if (nm)
		for (i = 0; i < 2 * ncollectors; i++)
			free(nm[i]);
	free(nm);
	free(o);
	return NULL;
}

static int add_textfile_dir(struct hc *hc, const char *dir)
{
	const char **v = realloc(hc->textfile_dirs,
				 (hc->ntextfile_dirs + 1) * sizeof(*v));

	if (!v)
		return -1;
	v[hc->ntextfile_dirs++] = dir;
	hc->textfile_dirs = v;
	return 0;
}

/* hostcol's own counters, for --stats-file. */
struct hcstats {
	const char *path;
	uint64_t cycles;
	uint64_t series;
	uint64_t *errors;	/* per collector, ncollectors long */
	double duration;
};

/* Writes the counters atomically; a failure is logged, never fatal. */
static void stats_flush(const struct hcstats *st)
{
	struct buf b = BUF_INIT(1u << 20);
	char lab[128];
	size_t i;
	int rc;

	rc = stats_add(&b, "obs_hostcol_cycles_total", "counter",
		       "Collection cycles completed.", "", (double)st->cycles);
	rc |= stats_add(&b, "obs_hostcol_series_written_total", "counter",
			"Samples written to standard output.", "",
			(double)st->series);
	for (i = 0; i < ncollectors; i++) {
		if (!collectors[i].enabled)
			continue;
		hc_fmt(lab, sizeof(lab), "collector=\"%s\"",
		       collectors[i].name);
		rc |= stats_add(&b, "obs_hostcol_collector_errors_total",
				"counter", "Cycles in which a collector failed.",
				lab, (double)st->errors[i]);
	}
	rc |= stats_add(&b, "obs_hostcol_cycle_duration_seconds", "gauge",
			"Duration of the last cycle.", "", st->duration);
	if (rc < 0 || stats_write(st->path, &b) < 0)
		log_errno("cannot write '%s'", st->path);
	buf_free(&b);
}

/* ns in seconds as Go's Duration.Seconds() computes them. */
static double go_seconds(int64_t ns)
{
	return (double)(ns / 1000000000) + (double)(ns % 1000000000) / 1e9;
}

/* One collector's update, its duration and success samples; -1 when
 * the samples cannot be held.  pre_ns is time it already took (a start).
 * A duration is whole nanoseconds over 1e9, as node_exporter's
 * time.Since().Seconds(): 0.000169368, not the 17 digits of a difference
 * of two large doubles. */
static int run_collector(struct hc *hc, struct out *o, struct hcstats *st,
			 size_t i, int64_t pre_ns)
{
	struct collector *c = &collectors[i];
	struct out_mark m = out_mark(o);
	int64_t t0 = clock_mono_ns();
	double dt;
	int rc;

	rc = c->update(hc, o);
	dt = go_seconds(clock_mono_ns() - t0 + pre_ns);
	if (rc == HC_FAIL) {
		out_rollback(o, m);
		st->errors[i]++;
	}
	if (out_add(o, "node_scrape_collector_duration_seconds",
		    "node_exporter: Duration of a collector scrape.",
		    OUT_GAUGE, dt, "collector", c->name, NULL) < 0 ||
	    out_add(o, "node_scrape_collector_success",
		    "node_exporter: Whether a collector succeeded.",
		    OUT_GAUGE, rc == HC_OK ? 1.0 : 0.0, "collector",
		    c->name, NULL) < 0) {
		log_errno("cannot hold the samples");
		return -1;
	}
	return 0;
}

/*
 * One collection: every enabled collector, then the sorted output.  The
 * filesystem collector's statfs calls go to its worker first and are
 * read last, so the worker answers while the others run and the cycle
 * seldom waits; its duration counts both parts.
 */
static int cycle(struct hc *hc, struct out *o, struct lineio_writer *w,
		 struct hcstats *st)
{
	int64_t ts = clock_ms();
	int64_t start = clock_mono_ns(), fs_pre = 0;
	size_t i, fs_i = ncollectors;

	out_reset(o);
	hc_cycle_begin();
	for (i = 0; i < ncollectors; i++)
		if (collectors[i].enabled &&
		    collectors[i].update == filesystem_update) {
			int64_t t0 = clock_mono_ns();

			filesystem_start(hc);
			fs_pre = clock_mono_ns() - t0;
			fs_i = i;
		}
	for (i = 0; i < ncollectors; i++)
		if (collectors[i].enabled && i != fs_i &&
		    run_collector(hc, o, st, i, 0) < 0)
			return -1;
	if (fs_i < ncollectors && run_collector(hc, o, st, fs_i, fs_pre) < 0)
		return -1;
	if (out_write(o, w, ts) < 0 || lineio_flush(w) < 0) {
		log_errno("cannot write 'stdout'");
		return -1;
	}
	st->cycles++;
	st->series += o->n;
	st->duration = (double)(clock_mono_ns() - start) / 1e9;
	if (st->path)
		stats_flush(st);
	return 0;
}

int main(int argc, char **argv)
{
	struct hc hc;
	struct out o;
	struct lineio_writer w;
	struct option *longopts;
	struct hcstats st;
	char **optnames = NULL;
	const char *p;
	int64_t interval = 0;
	int disable_defaults = 0, ch, status = EXIT_OK;
	signed char *forced;
	size_t i;

	p = strrchr(argv[0], '/');
	log_init(p ? p + 1 : argv[0]);

	memset(&hc, 0, sizeof(hc));
	memset(&st, 0, sizeof(st));
	hc.procfs = "/proc";
	hc.sysfs = "/sys";
	hc.rootfs = "/";
	hc.udev = "/run/udev/data";
	hc.cpu_guest = 1;
	hc.netdev_netlink = 1;
	hc.arp_netlink = 1;
	hc.intr_include_zeros = 1;
	hc.fs_mount_timeout_ms = 5000;
	hc.netstat_fields =
		"^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)"
		"|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans"
		"|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs"
		"|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams"
		"|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$";
	hc.vmstat_fields = "^(oom_kill|pgpg|pswp|pg.*fault).*";
	hc.diskstats_exclude =
		"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$";
	hc.fs_mp_exclude =
		"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+"
		"|var/lib/containers/storage/.+)($|/)";
	hc.fs_type_exclude =
		"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs"
		"|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore"
		"|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$";

	forced = calloc(ncollectors, sizeof(*forced));
	st.errors = calloc(ncollectors, sizeof(*st.errors));
	longopts = build_options(&optnames);
	if (!forced || !st.errors || !longopts) {
		log_errno("cannot start");
		status = EXIT_RUNTIME;
		goto done;
	}
	while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (ch >= OPT_BASE && ch < OPT_BASE + (int)(2 * ncollectors)) {
			size_t c = (size_t)(ch - OPT_BASE) / 2;

			forced[c] = (ch - OPT_BASE) % 2 ? -1 : 1;
			continue;
		}
		switch (ch) {
		case 'h':
			usage(stdout);
			status = EXIT_OK;
			goto done;
		case 'v':
			log_set_verbose(1);
			break;
		case OPT_VERSION:
			obs_print_version();
			status = EXIT_OK;
			goto done;
		case OPT_INTERVAL:
			if (parse_duration(optarg, strlen(optarg), &interval) < 0 ||
			    interval <= 0) {
				log_error("bad interval '%s'", optarg);
				status = EXIT_CONFIG;
				goto done;
			}
			break;
		case OPT_PROCFS:
			hc.procfs = optarg;
			break;
		case OPT_SYSFS:
			hc.sysfs = optarg;
			break;
		case OPT_ROOTFS:
			hc.rootfs = optarg;
			break;
		case OPT_UDEV:
			hc.udev = optarg;
			break;
		case OPT_DISABLE_DEFAULTS:
			disable_defaults = 1;
			break;
		case OPT_CPU_GUEST:
			hc.cpu_guest = 1;
			break;
		case OPT_NO_CPU_GUEST:
			hc.cpu_guest = 0;
			break;
		case OPT_CPU_INFO:
			hc.cpu_info = 1;
			break;
		case OPT_NO_CPU_INFO:
			hc.cpu_info = 0;
			break;
		case OPT_CPU_FLAGS:
			hc.cpu_flags_include = optarg;
			break;
		case OPT_CPU_BUGS:
			hc.cpu_bugs_include = optarg;
			break;
		case OPT_DISK_EXCLUDE:
			hc.diskstats_exclude = optarg;
			hc.diskstats_exclude_set = 1;
			break;
		case OPT_DISK_INCLUDE:
			hc.diskstats_include = optarg;
			break;
		case OPT_FS_MP_EXCLUDE:
			hc.fs_mp_exclude = optarg;
			hc.fs_mp_exclude_set = 1;
			break;
		case OPT_FS_MP_INCLUDE:
			hc.fs_mp_include = optarg;
			break;
		case OPT_FS_TYPE_EXCLUDE:
			hc.fs_type_exclude = optarg;
			hc.fs_type_exclude_set = 1;
			break;
		case OPT_FS_TYPE_INCLUDE:
			hc.fs_type_include = optarg;
			break;
		case OPT_FS_TIMEOUT:
			if (parse_duration(optarg, strlen(optarg),
					   &hc.fs_mount_timeout_ms) < 0 ||
			    hc.fs_mount_timeout_ms <= 0) {
				log_error("bad mount timeout '%s'", optarg);
				status = EXIT_CONFIG;
				goto done;
			}
			break;
		case OPT_HWMON_CHIP_INCLUDE:
			hc.hwmon_chip_include = optarg;
			break;
		case OPT_HWMON_CHIP_EXCLUDE:
			hc.hwmon_chip_exclude = optarg;
			break;
		case OPT_HWMON_SENSOR_INCLUDE:
			hc.hwmon_sensor_include = optarg;
			break;
		case OPT_HWMON_SENSOR_EXCLUDE:
			hc.hwmon_sensor_exclude = optarg;
			break;
		case OPT_NETDEV_INCLUDE:
			hc.netdev_include = optarg;
			break;
		case OPT_NETDEV_EXCLUDE:
			hc.netdev_exclude = optarg;
			break;
		case OPT_NETDEV_NETLINK:
			hc.netdev_netlink = 1;
			break;
		case OPT_NO_NETDEV_NETLINK:
			hc.netdev_netlink = 0;
			break;
		case OPT_NETDEV_DETAILED:
			hc.netdev_detailed = 1;
			break;
		case OPT_NETSTAT_FIELDS:
			hc.netstat_fields = optarg;
			break;
		case OPT_STAT_SOFTIRQ:
			hc.stat_softirq = 1;
			break;
		case OPT_NO_STAT_SOFTIRQ:
			hc.stat_softirq = 0;
			break;
		case OPT_ARP_EXCLUDE:
			hc.arp_exclude = optarg;
			break;
		case OPT_ARP_INCLUDE:
			hc.arp_include = optarg;
			break;
		case OPT_ARP_NETLINK:
			hc.arp_netlink = 1;
			break;
		case OPT_NO_ARP_NETLINK:
			hc.arp_netlink = 0;
			break;
		case OPT_NETCLASS_IGNORED:
			hc.netclass_ignored = optarg;
			break;
		case OPT_NETCLASS_INVALID_SPEED:
			hc.netclass_ignore_invalid_speed = 1;
			break;
		case OPT_INTR_INCLUDE:
			hc.intr_include = optarg;
			break;
		case OPT_INTR_EXCLUDE:
			hc.intr_exclude = optarg;
			break;
		case OPT_INTR_ZEROS:
			hc.intr_include_zeros = 1;
			break;
		case OPT_NO_INTR_ZEROS:
			hc.intr_include_zeros = 0;
			break;
		case OPT_IB_INCLUDE:
			hc.ib_include = optarg;
			break;
		case OPT_IB_EXCLUDE:
			hc.ib_exclude = optarg;
			break;
		case OPT_IPVS_LABELS:
			hc.ipvs_labels = optarg;
			break;
		case OPT_BCACHE_PRIORITY:
			hc.bcache_priority = 1;
			break;
		case OPT_NO_BCACHE_PRIORITY:
			hc.bcache_priority = 0;
			break;
		case OPT_TAPE_IGNORED:
			hc.tape_ignored = optarg;
			break;
		case OPT_RAPL_ZONE:
			hc.rapl_zone_label = 1;
			break;
		case OPT_NO_RAPL_ZONE:
			hc.rapl_zone_label = 0;
			break;
		case OPT_NETCLASS_NETLINK:
			hc.netclass_netlink = 1;
			break;
		case OPT_NO_NETCLASS_NETLINK:
			hc.netclass_netlink = 0;
			break;
		case OPT_NETCLASS_RTNL_STATS:
			hc.netclass_rtnl_stats = 1;
			break;
		case OPT_NO_NETCLASS_RTNL_STATS:
			hc.netclass_rtnl_stats = 0;
			break;
		case OPT_PS_IGNORED:
			hc.ps_ignored = optarg;
			break;
		case OPT_STATS_FILE:
			st.path = optarg;
			break;
		case OPT_TEXTFILE_DIR:
			if (add_textfile_dir(&hc, optarg) < 0) {
				log_errno("cannot start");
				status = EXIT_RUNTIME;
				goto done;
			}
			break;
		case OPT_VMSTAT_FIELDS:
			hc.vmstat_fields = optarg;
			break;
		default:
			usage(stderr);
			status = EXIT_CONFIG;
			goto done;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0) {
		usage(stderr);
		status = EXIT_CONFIG;
		goto done;
	}

	for (i = 0; i < ncollectors; i++) {
		struct collector *c = &collectors[i];

		c->enabled = disable_defaults ? 0 : c->on_by_default;
		if (forced[i])
			c->enabled = forced[i] > 0;
		if (strcmp(c->name, "cpufreq") == 0)
			hc.cpufreq_on = c->enabled;
	}
	for (i = 0; i < ncollectors; i++)
		if (collectors[i].enabled && collectors[i].init &&
		    collectors[i].init(&hc) < 0) {
			hc_cleanup(&hc);
			dmi_cleanup(&hc);
			status = EXIT_CONFIG;
			goto done;
		}

	if (sig_init() < 0) {
		log_errno("cannot install signal handlers");
		hc_cleanup(&hc);
		dmi_cleanup(&hc);
		status = EXIT_RUNTIME;
		goto done;
	}
	out_init(&o);
	lineio_writer_init(&w, STDOUT_FILENO, "stdout");
	for (;;) {
		int64_t start = clock_mono_ms(), left;

		if (cycle(&hc, &o, &w, &st) < 0) {
			status = EXIT_RUNTIME;
			break;
		}
		if (!interval)
			break;
		while (!sig_stop && (left = start + interval -
				     clock_mono_ms()) > 0)
			clock_sleep_ms(left);
		if (sig_stop)
			break;
	}
	lineio_writer_free(&w);
	out_free(&o);
	hc_cleanup(&hc);
	dmi_cleanup(&hc);
	cpu_cleanup();
	filesystem_cleanup();
	textfile_cleanup();
	netstat_cleanup();
	vmstat_cleanup();
	meminfo_cleanup();
	diskstats_cleanup();
	netdev_cleanup();
	netlink_cleanup();
	time_cleanup();
done:
	for (i = 0; optnames && i < 2 * ncollectors; i++)
		free(optnames[i]);
	free(optnames);
	free(longopts);
	free(forced);
	free(st.errors);
	free(hc.textfile_dirs);
	return status;
}
