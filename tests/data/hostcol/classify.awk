# classify.awk: prints "COLLECTOR<TAB>LINE" for each exposition line that
# belongs to one of hostcol's collectors (by its family name), for the
# comparisons with node_exporter; other lines are dropped.
function fam(line,    f) {
	if (line ~ /^# (HELP|TYPE) /) { split(line, f, " "); return f[3] }
	f[1] = line; sub(/[{ ].*/, "", f[1]); return f[1]
}
{
	n = fam($0); c = ""
	if (n == "node_scrape_collector_success" || n == "node_scrape_collector_duration_seconds") {
		if (match($0, /collector="[^"]*"/))
			c = substr($0, RSTART + 11, RLENGTH - 12)
		else
			c = "scrape"
	}
	else if (n ~ /^node_cpu_(seconds_total|guest_seconds_total|info|frequency_hertz|flag_info|bug_info|core_throttles_total|package_throttles_total|isolated|online)$/) c = "cpu"
	else if (n ~ /^node_cpu_(scaling_frequency(_min|_max)?_hertz|scaling_governor|frequency_(min|max|avg)_hertz)$/) c = "cpufreq"
	else if (n ~ /^node_disk_/) c = "diskstats"
	else if (n == "node_arp_entries") c = "arp"
	else if (n == "node_interrupts_total") c = "interrupts"
	else if (n == "node_kernel_hung_tasks_total") c = "kernel_hung"
	else if (n ~ /^node_power_supply_/) c = "powersupplyclass"
	else if (n ~ /^node_processes_/) c = "processes"
	else if (n ~ /^node_md_/) c = "mdadm"
	else if (n ~ /^node_network_(up|info|address_assign_type|carrier|carrier_(up_|down_)?changes_total|device_id|dormant|flags|iface_id|iface_link|iface_link_mode|mtu_bytes|name_assign_type|net_dev_group|speed_bytes|transmit_queue_length|protocol_type)$/) c = "netclass"
	else if (n ~ /^node_os_/) c = "os"
	else if (n ~ /^node_sockstat_/) c = "sockstat"
	else if (n ~ /^node_timex_/) c = "timex"
	else if (n == "node_udp_queues") c = "udp_queues"
	else if (n ~ /^node_entropy_(available|pool_size)_bits$/) c = "entropy"
	else if (n ~ /^node_filefd_(allocated|maximum)$/) c = "filefd"
	else if (n ~ /^node_nf_conntrack_/) c = "conntrack"
	else if (n ~ /^node_schedstat_/) c = "schedstat"
	else if (n ~ /^node_softnet_/) c = "softnet"
	else if (n ~ /^node_filesystem_/) c = "filesystem"
	else if (n ~ /^node_hwmon_/) c = "hwmon"
	else if (n ~ /^node_load(1|5|15)$/) c = "loadavg"
	else if (n ~ /^node_memory_/ && n !~ /^node_memory_numa_/) c = "meminfo"
	else if (n ~ /^node_network_(receive|transmit)_(bytes|packets|errs|drop|fifo|frame|compressed|multicast|nohandler|colls|carrier)_total$/) c = "netdev"
	else if (n ~ /^node_netstat_/) c = "netstat"
	else if (n ~ /^node_pressure_/) c = "pressure"
	else if (n ~ /^node_(intr_total|context_switches_total|forks_total|boot_time_seconds|procs_running|procs_blocked|softirqs_total)$/) c = "stat"
	else if (n ~ /^node_textfile_/ || n !~ /^(node_|go_|process_|promhttp_)/) c = "textfile"
	else if (n ~ /^node_(thermal_zone_temp|cooling_device_(cur|max)_state)$/) c = "thermal_zone"
	else if (n ~ /^node_time_/) c = "time"
	else if (n ~ /^node_uname_info$/) c = "uname"
	else if (n ~ /^node_vmstat_/) c = "vmstat"
	else if (n ~ /^node_zfs_/) c = "zfs"
	else if (n ~ /^node_selinux_/) c = "selinux"
	else if (n == "node_tcp_connection_states") c = "tcpstat"
	else if (n ~ /^node_bonding_/) c = "bonding"
	else if (n ~ /^node_nvme_/) c = "nvme"
	else if (n == "node_cpu_vulnerabilities_info") c = "cpu_vulnerabilities"
	else if (n ~ /^node_rapl_/) c = "rapl"
	else if (n == "node_dmi_info") c = "dmi"
	else if (n ~ /^node_edac_/) c = "edac"
	else if (n ~ /^node_watchdog_/) c = "watchdog"
	else if (n ~ /^node_tape_/) c = "tapestats"
	else if (n ~ /^node_fibrechannel_/) c = "fibrechannel"
	else if (n ~ /^node_bcache_/) c = "bcache"
	else if (n ~ /^node_ipvs_/) c = "ipvs"
	else if (n ~ /^node_xfs_/) c = "xfs"
	else if (n ~ /^node_btrfs_/) c = "btrfs"
	else if (n ~ /^node_infiniband_/) c = "infiniband"
	else if (n ~ /^node_nfs_/) c = "nfs"
	else if (n ~ /^node_nfsd_/) c = "nfsd"
	if (c != "") print c "\t" $0
}
