#!/usr/bin/env bats
# hostcol.bats: hostcol against node_exporter: its own test fixtures and
# expected output, a live node_exporter on this machine, damaged /proc and
# /sys files, filters, the cycle loop and a stuck mount.

load helpers

PEERS=${OBS_ROOT}/../shared/peers
NE_FIX=$PEERS/node_exporter
DATA=$OBS_ROOT/tests/data/hostcol
# Every collector hostcol has (the default ones and the others).
ALL_COLLECTORS="arp bcache bonding btrfs conntrack cpu cpu_vulnerabilities cpufreq diskstats dmi edac entropy fibrechannel filefd filesystem hwmon infiniband interrupts ipvs kernel_hung loadavg mdadm meminfo netclass netdev netstat nfs nfsd nvme os powersupplyclass pressure processes rapl schedstat selinux sockstat softnet stat tapestats tcpstat textfile thermal_zone time timex udp_queues uname vmstat watchdog xfs zfs"

# fixture_links DIR: the shared copy of the fixtures holds sys.ttar's
# symlinks as small files naming the target ("../..." without a newline);
# they become links again.  Bash builtins only, so it stays fast.
fixture_links() {
	local f t
	while IFS= read -r -d '' f; do
		# A file that ends in a newline is data, not a link.
		IFS= read -r t <"$f" && continue
		[ "${t:0:3}" = "../" ] || continue
		rm -f "$f" && ln -s "$t" "$f" || return 1
	done < <(find "$1/sys" -type f -size -300c -print0)
}

# The fixture tree is built once per file; each test copies it.
setup_file() {
	[ -d "$NE_FIX" ] || return 0
	mkdir -p "$BATS_FILE_TMPDIR/fix"
	cp -R "$NE_FIX/proc" "$NE_FIX/sys" "$BATS_FILE_TMPDIR/fix/" &&
		fixture_links "$BATS_FILE_TMPDIR/fix"
}

teardown() {
	stop_peers
}

hc() {
	"$(obs_bin hostcol)" "$@"
}

# fixture_copy DIR: the fixtures' proc and sys trees copied to DIR, for a
# test to damage.
fixture_copy() {
	[ -d "$NE_FIX" ] || skip "no peer fixtures in $NE_FIX"
	[ -d "$BATS_FILE_TMPDIR/fix/sys" ] || return 1
	cp -a "$BATS_FILE_TMPDIR/fix" "$1"
}

# success_of FILE COLLECTOR: the value of node_scrape_collector_success.
success_of() {
	awk -v c="$2" '$1 == "node_scrape_collector_success{collector=\"" c "\"}" { print $2 }' "$1"
}

# run_on TREE COLLECTOR|--OPTION...: hostcol on TREE with only COLLECTORs
# (and the options as given); output
# in $T/out, stderr in $T/err, exit status in $rc.
run_on() {
	local tree=$1 c args=()
	shift
	for c in "$@"; do
		case $c in
		--*) args+=("$c") ;;
		*) args+=("--collector.$c") ;;
		esac
	done
	rc=0
	hc --path.procfs="$tree/proc" --path.sysfs="$tree/sys" \
		--path.udev.data="$tree/udev" --collector.disable-defaults \
		"${args[@]}" >"$T/out" 2>"$T/err" || rc=$?
}

# --- usage ----------------------------------------------------------------

@test "hostcol -h prints the usage on stdout and exits 0" {
	skip_unless_bin hostcol
	run hc -h
	[ "$status" -eq 0 ]
	[ "${lines[0]%% *}" = "usage:" ]
	[[ "$output" == *"--interval DUR"* ]]
}

@test "hostcol with a bad option or an operand exits 2 with the usage on stderr" {
	skip_unless_bin hostcol
	hc --no-such-option >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 2 ]
	[ ! -s "$T/out" ]
	grep -q '^usage: hostcol' "$T/err"
	hc extra >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 2 ]
	[ ! -s "$T/out" ]
}

@test "hostcol --version prints its version" {
	skip_unless_bin hostcol
	run hc --version
	[ "$status" -eq 0 ]
	[[ "$output" == "hostcol version "* ]]
}

@test "hostcol: a bad regular expression or interval is a usage error (2)" {
	skip_unless_bin hostcol
	hc --collector.vmstat.fields='(' >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 2 ]
	[ ! -s "$T/out" ]
	grep -q 'vmstat.fields' "$T/err"
	hc --interval 5x >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 2 ]
	hc --collector.diskstats.device-exclude=a --collector.diskstats.device-include=b \
		>"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 2 ]
	grep -q 'mutually exclusive' "$T/err"
}

# --- node_exporter's fixtures ---------------------------------------------

@test "fixtures: every series node_exporter 1.12 emits for our collectors, same labels and values" {
	skip_unless_bin hostcol
	[ -d "$NE_FIX" ] || skip "no peer fixtures in $NE_FIX"
	sh "$DATA/fixture-compare.sh" "$(obs_bin hostcol)" "$NE_FIX" "$T" >"$T/report" 2>&1 && rc=0 || rc=$?
	cat "$T/report"
	[ "$rc" -eq 0 ]
	# One "ok" line per collector compared, none empty.
	[ "$(grep -c '^ok ' "$T/report")" -eq 46 ]
	if grep -q '^FAIL' "$T/report"; then return 1; fi
}

@test "fixtures: output is sorted as node_exporter sorts it, one HELP and TYPE per family" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	run_on "$T/f" cpu cpufreq diskstats hwmon loadavg meminfo netstat pressure stat thermal_zone vmstat
	[ "$rc" -eq 0 ]
	# Families in byte order, each HELP right before its TYPE, once.
	grep '^# HELP ' "$T/out" | awk '{ print $3 }' >"$T/help"
	grep '^# TYPE ' "$T/out" | awk '{ print $3 }' >"$T/type"
	cmp "$T/help" "$T/type"
	LC_ALL=C sort -u "$T/help" | cmp - "$T/help"
	# Every sample carries the same timestamp: the cycle's.
	[ "$(grep -v '^#' "$T/out" | awk '{ print $NF }' | sort -u | wc -l)" -eq 1 ]
	# Two runs give the same lines apart from timestamps and durations.
	awk '!/^#/ { $NF = "" } { print }' "$T/out" | grep -v duration_seconds >"$T/a"
	run_on "$T/f" cpu cpufreq diskstats hwmon loadavg meminfo netstat pressure stat thermal_zone vmstat
	awk '!/^#/ { $NF = "" } { print }' "$T/out" | grep -v duration_seconds >"$T/b"
	cmp "$T/a" "$T/b"
}

@test "fixtures: series sorted by label values in label-name order" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	run_on "$T/f" cpu
	[ "$rc" -eq 0 ]
	grep '^node_cpu_seconds_total{cpu="0",' "$T/out" | sed 's/.*mode="\([a-z]*\)".*/\1/' >"$T/modes"
	printf '%s\n' idle iowait irq nice softirq steal system user >"$T/want"
	cmp "$T/want" "$T/modes"
	# cpu="10" sorts before cpu="2", as strings do.
	grep -o '^node_cpu_seconds_total{cpu="[0-9]*"' "$T/out" | uniq | sed 's/.*"\([0-9]*\)"/\1/' >"$T/cpus"
	LC_ALL=C sort -c "$T/cpus"
}

# --- damaged files: an error for that collector only ----------------------

# damage FILE CONTENT: replaces FILE (relative to $T/f) with CONTENT.
damage() {
	rm -f "$T/f/$1"
	printf '%b' "$2" >"$T/f/$1"
}

@test "corrupt: a huge number in /proc/meminfo fails meminfo only" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	damage proc/meminfo 'MemTotal:        99999999999999999999999 kB\nMemFree: 1 kB\n'
	run_on "$T/f" meminfo loadavg
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" meminfo)" = 0 ]
	[ "$(success_of "$T/out" loadavg)" = 1 ]
	if grep -q '^node_memory_' "$T/out"; then return 1; fi
	grep -q "meminfo: malformed" "$T/err"
}

@test "corrupt: meminfo line with a unit other than kB, or too many fields" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	damage proc/meminfo 'MemTotal: 10 MB\n'
	run_on "$T/f" meminfo
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" meminfo)" = 0 ]
	damage proc/meminfo 'MemTotal: 10 kB extra\n'
	run_on "$T/f" meminfo
	[ "$(success_of "$T/out" meminfo)" = 0 ]
	damage proc/meminfo 'MemTotal: 10 kB\nHugePages_Total: 3'
	run_on "$T/f" meminfo
	[ "$(success_of "$T/out" meminfo)" = 1 ]
	grep -q '^node_memory_MemTotal_bytes 10240 ' "$T/out"
	grep -q '^node_memory_HugePages_Total 3 ' "$T/out"
}

@test "corrupt: truncated /proc/loadavg, empty /proc/loadavg" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	damage proc/loadavg '0.21 0.3'
	run_on "$T/f" loadavg stat
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" loadavg)" = 0 ]
	[ "$(success_of "$T/out" stat)" = 1 ]
	damage proc/loadavg ''
	run_on "$T/f" loadavg
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" loadavg)" = 0 ]
	if grep -q '^node_load' "$T/out"; then return 1; fi
}

@test "corrupt: /proc/stat with a bad counter fails stat, and a bad cpu line fails cpu" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	damage proc/stat 'cpu  1 2 3 4\ncpu0 1 2 3 4\nctxt abc\nbtime 5\n'
	run_on "$T/f" stat cpu
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" stat)" = 0 ]
	# The cpu lines are fine (fewer fields than usual is allowed).
	[ "$(success_of "$T/out" cpu)" = 1 ]
	grep -q '^node_cpu_seconds_total{cpu="0",mode="idle"} 0.04 ' "$T/out"
	grep -q '^node_cpu_seconds_total{cpu="0",mode="steal"} 0 ' "$T/out"
	damage proc/stat 'cpu0 1 x 3 4\nctxt 1\n'
	run_on "$T/f" stat cpu
	[ "$(success_of "$T/out" cpu)" = 0 ]
	[ "$(success_of "$T/out" stat)" = 1 ]
	damage proc/stat 'cpu0 1 2 3 4\nsoftirq 1 2\n'
	run_on "$T/f" stat cpu --collector.stat.softirq
	[ "$(success_of "$T/out" stat)" = 0 ]
}

@test "corrupt: /proc/diskstats: short lines are skipped, a bad number fails diskstats" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	damage proc/diskstats '   8       0 sdb 1 2\n 259 0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11\n'
	run_on "$T/f" diskstats
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" diskstats)" = 1 ]
	grep -q '^node_disk_reads_completed_total{device="nvme0n1"} 1 ' "$T/out"
	grep -q '^node_disk_io_time_weighted_seconds_total{device="nvme0n1"} 0.011 ' "$T/out"
	if grep -q 'device="sdb"' "$T/out"; then return 1; fi
	if grep -q '^node_disk_discards_completed_total' "$T/out"; then return 1; fi
	damage proc/diskstats ' 259 0 nvme0n1 1 2 3 4 5 6 7 8 9 10 99999999999999999999999\n'
	run_on "$T/f" diskstats
	[ "$(success_of "$T/out" diskstats)" = 0 ]
	if grep -q '^node_disk_' "$T/out"; then return 1; fi
}

@test "corrupt: /proc/net/netstat with a value line missing fields fails netstat" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	damage proc/net/netstat 'TcpExt: SyncookiesSent SyncookiesRecv\nTcpExt: 0\n'
	run_on "$T/f" netstat vmstat
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" netstat)" = 0 ]
	[ "$(success_of "$T/out" vmstat)" = 1 ]
	damage proc/net/netstat 'TcpExt: SyncookiesSent\n'
	run_on "$T/f" netstat
	[ "$(success_of "$T/out" netstat)" = 0 ]
	# No snmp6 (IPv6 disabled) is fine.
	damage proc/net/netstat 'TcpExt: ListenDrops\nTcpExt: 7\n'
	rm -f "$T/f/proc/net/snmp6"
	run_on "$T/f" netstat
	[ "$(success_of "$T/out" netstat)" = 1 ]
	grep -q '^node_netstat_TcpExt_ListenDrops 7 ' "$T/out"
}

@test "corrupt: /proc/vmstat without a value, /proc/pressure without total" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	damage proc/vmstat 'pgfault\n'
	damage proc/pressure/io 'some avg10=0.18\nfull avg10=0.1 total=1\n'
	run_on "$T/f" vmstat pressure loadavg
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" vmstat)" = 0 ]
	[ "$(success_of "$T/out" pressure)" = 0 ]
	[ "$(success_of "$T/out" loadavg)" = 1 ]
}

@test "corrupt: binary garbage and a 2 MiB line in /proc files never crash" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	head -c 65536 /dev/urandom >"$T/garbage"
	for f in stat meminfo loadavg diskstats vmstat net/netstat net/snmp net/snmp6 pressure/cpu cpuinfo 1/mountinfo; do
		rm -f "$T/f/proc/$f"
		cp "$T/garbage" "$T/f/proc/$f"
	done
	run_on "$T/f" cpu stat meminfo loadavg diskstats vmstat netstat pressure filesystem
	[ "$rc" -eq 0 ]
	for c in meminfo loadavg diskstats netstat pressure filesystem; do
		[ "$(success_of "$T/out" "$c")" = 0 ] || { echo "$c succeeded"; return 1; }
	done
	awk 'BEGIN { for (i = 0; i < 2097152; i++) printf "9"; print "" }' >"$T/f/proc/vmstat"
	run_on "$T/f" vmstat loadavg
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" vmstat)" = 0 ]
}

@test "corrupt: sysfs: bad cpufreq and cooling device values fail their collector; hwmon skips bad values" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	damage sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq 'fast\n'
	damage sys/class/thermal/cooling_device0/max_state 'x\n'
	run_on "$T/f" cpufreq thermal_zone hwmon
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" cpufreq)" = 0 ]
	[ "$(success_of "$T/out" thermal_zone)" = 0 ]
	[ "$(success_of "$T/out" hwmon)" = 1 ]
	grep -q '^node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"} 55 ' "$T/out"
	damage sys/class/hwmon/hwmon0/temp1_input '12345678901234567890123456789x\n'
	run_on "$T/f" hwmon
	[ "$(success_of "$T/out" hwmon)" = 1 ]
	if grep -q '^node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"}' "$T/out"; then return 1; fi
}

@test "corrupt: conntrack, filefd and schedstat files" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	damage proc/net/stat/nf_conntrack 'entries searched\n0000 zz\n'
	damage proc/sys/fs/file-nr '1024 0 7\n'
	damage proc/schedstat 'version 15\ncpu0 1 2 3 4 5 6 7000000000 8 9\ncpu1 1 2\n'
	run_on "$T/f" conntrack filefd schedstat entropy
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" conntrack)" = 0 ]
	[ "$(success_of "$T/out" filefd)" = 0 ]
	[ "$(success_of "$T/out" entropy)" = 1 ]
	# A short cpu line is not a cpu line to schedstat (node_exporter's regex).
	[ "$(success_of "$T/out" schedstat)" = 1 ]
	grep -q '^node_schedstat_running_seconds_total{cpu="0"} 7 ' "$T/out"
	if grep -q 'cpu="1"' "$T/out"; then return 1; fi
	rm -rf "$T/f/proc/sys/net/netfilter"
	run_on "$T/f" conntrack
	[ "$(success_of "$T/out" conntrack)" = 0 ]
	if grep -q '^node_nf_conntrack' "$T/out"; then return 1; fi
	[ ! -s "$T/err" ]
}

@test "corrupt: mdstat, sockstat, udp, arp, interrupts, pid stat and power supply files fail their collector only" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	# A device line without its status line; "3 1" where "key value" pairs
	# are due; a udp line of 5 fields; a MAC that is none; a count that is
	# no number; a pid stat cut short; a capacity that is no integer.
	damage proc/mdstat 'Personalities : [raid1]\nmd9 : active raid1 sda[0]\n'
	damage proc/net/sockstat 'sockets: used 3 1\n'
	damage proc/net/udp 'sl local rem st q\n 0: 0100007F:0035 00000000:0000 07 00000000:00000000\n'
	damage proc/net/arp 'IP address HW type Flags HW address Mask Device\n10.0.0.1 0x1 0x2 zz:zz * eth0\n'
	damage proc/interrupts '  CPU0 CPU1\n  0: 1 x IO-APIC 2-edge timer\n'
	damage proc/10/stat '10 (x) S 1 2\n'
	damage sys/class/power_supply/BAT0/capacity 'many\n'
	run_on "$T/f" mdadm sockstat udp_queues arp interrupts processes powersupplyclass loadavg --no-collector.arp.netlink
	[ "$rc" -eq 0 ]
	for c in mdadm sockstat udp_queues arp interrupts processes powersupplyclass; do
		[ "$(success_of "$T/out" "$c")" = 0 ] || { echo "$c succeeded"; return 1; }
	done
	[ "$(success_of "$T/out" loadavg)" = 1 ]
	if grep -q '^node_md_\|^node_sockstat_\|^node_udp_\|^node_arp_\|^node_interrupts_\|^node_processes_\|^node_power_supply_' "$T/out"; then return 1; fi
	for c in mdadm sockstat udp_queues arp interrupts processes powersupplyclass; do
		grep -q "^hostcol: $c: " "$T/err" || { echo "no message for $c"; return 1; }
	done
	# The same files well-formed again, and the edge cases procfs accepts.
	damage proc/mdstat 'Personalities : [raid1]\nmd9 : active raid1 sdb[1](F) sda[0]\n      1024 blocks [2/1] [U_]\n      [=>...]  recovery = 12.5% (128/1024) finish=1.0min speed=1000K/sec\n\nunused devices: <none>\n'
	damage proc/net/sockstat 'sockets: used 3\nTCP: inuse 0x10 mem 2\n'
	damage proc/net/udp 'sl local rem st q\n 0: 0100007F:0035 00000000:0000 07 00000010:00000020 00:00000000 00000000 0 0 1 2 ffff 0\n'
	damage proc/net/arp 'IP address HW type Flags HW address Mask Device\n10.0.0.1 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n'
	damage proc/interrupts '  CPU0 CPU1\n  0: 1 0 IO-APIC 2-edge timer\nERR: 3\n'
	rm -rf "$T/f/proc/10" "$T/f/sys/class/power_supply/BAT0" "$T/f/proc/net/sockstat6"
	run_on "$T/f" mdadm sockstat udp_queues arp interrupts powersupplyclass --no-collector.arp.netlink --no-collector.interrupts.include-zeros
	[ "$rc" -eq 0 ]
	grep -v '^#' "$T/out" | grep -v '^node_scrape_' | awk '{ $NF = ""; sub(/ $/, ""); print }' |
		grep -v '^node_md_\(raid_disks\|degraded\)' | grep -v '^node_power_supply_' >"$T/got"
	cat >"$T/want" <<'EOF'
node_arp_entries{device="eth0"} 1
node_interrupts_total{cpu="0",devices="2-edge timer",info="IO-APIC",type="0"} 1
node_md_blocks{device="md9"} 1024
node_md_blocks_synced{device="md9"} 128
node_md_disks{device="md9",state="active"} 1
node_md_disks{device="md9",state="failed"} 1
node_md_disks{device="md9",state="spare"} 0
node_md_disks_required{device="md9"} 2
node_md_state{device="md9",state="active"} 0
node_md_state{device="md9",state="check"} 0
node_md_state{device="md9",state="inactive"} 0
node_md_state{device="md9",state="recovering"} 1
node_md_state{device="md9",state="resync"} 0
node_sockstat_TCP_inuse 16
node_sockstat_TCP_mem 2
node_sockstat_TCP_mem_bytes PAGEBYTES
node_sockstat_sockets_used 3
node_udp_queues{ip="v4",queue="rx"} 32
node_udp_queues{ip="v4",queue="tx"} 16
EOF
	sed -i "s/PAGEBYTES/$((2 * $(getconf PAGESIZE)))/" "$T/want"
	diff -u "$T/want" "$T/got"
	grep -q '^node_power_supply_online{power_supply="AC"} 0 ' "$T/out"
	[ "$(success_of "$T/out" powersupplyclass)" = 1 ]
	[ ! -s "$T/err" ]
}

@test "corrupt: zfs, nfs, nfsd, xfs, ipvs and btrfs files fail their collector only" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	# A uint64 kstat that is no number; a procN count that does not match
	# its values; an unknown nfsd line; an xfs line with the wrong count;
	# ip_vs_stats cut short; a commit_stats line of three fields.
	damage proc/spl/kstat/zfs/arcstats '6 1 0x01 3 144 1 2\nname type data\nhits 4 12x\n'
	damage proc/net/rpc/nfs 'net 1 2 3 4\nproc3 22 1 2\n'
	damage proc/net/rpc/nfsd 'rc 0 6 18622\nbogus 1\n'
	xfsdev=$(ls "$T/f/sys/fs/xfs" | head -1)
	damage "sys/fs/xfs/$xfsdev/stats/stats" 'extent_alloc 1 2 3\n'
	damage proc/net/ip_vs_stats '   Total Incoming\n'
	btr=$(ls -d "$T"/f/sys/fs/btrfs/*-* | head -1)
	damage "${btr#"$T/f/"}/commit_stats" 'commits 1 2\n'
	run_on "$T/f" zfs nfs nfsd xfs ipvs btrfs loadavg
	[ "$rc" -eq 0 ]
	for c in zfs nfs nfsd xfs ipvs btrfs; do
		[ "$(success_of "$T/out" "$c")" = 0 ] || { echo "$c succeeded"; return 1; }
		grep -q "^hostcol: $c: " "$T/err" || { echo "no message for $c"; return 1; }
	done
	[ "$(success_of "$T/out" loadavg)" = 1 ]
	if grep -q '^node_\(zfs\|nfs\|nfsd\|xfs\|ipvs\|btrfs\)_' "$T/out"; then return 1; fi
	# Well-formed again, with the edge cases node_exporter accepts: an
	# int64 kstat, an nfs proc4 line shorter than today's (the rest 0),
	# an xfs vnodes line of 8 values, an IPv6 backend.
	damage proc/spl/kstat/zfs/arcstats '6 1 0x01 3 144 1 2\nname type data\nhits 4 12\nc_min 3 -5\nstr 7 x\n'
	damage proc/net/rpc/nfs 'net 1 2 3 4\nrpc 5 6 7\nproc4 2 8 9\n'
	damage proc/net/rpc/nfsd 'th 8 0 0.000 1.5\nwdeleg_getattr 15\n'
	damage "sys/fs/xfs/$xfsdev/stats/stats" 'vnodes 1 2 3 4 5 6 7 8\nrw 10 20\nxpc 1 2 3\n'
	damage proc/net/ip_vs_stats 'h\nh\n 1 2 3 A 0\nrest\n'
	damage proc/net/ip_vs 'Prot LocalAddress:Port\nTCP  [2620:0000:0000:0000:0000:0000:0000:0001]:0050 wlc\n  -> [0000:0000:0000:0000:0000:ffff:7f00:0001]:0050 Masq 3 4 5\n'
	run_on "$T/f" zfs nfs nfsd xfs ipvs --collector.ipvs.backend-labels=remote_address,local_address
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	grep -v '^#' "$T/out" | grep -v '^node_scrape_' | awk '{ $NF = ""; sub(/ $/, ""); print }' |
		grep -E '^node_(zfs_arc_|nfs_(rpcs|requests_total\{method="(Null|Read|Write)",proto="4")|nfsd_(server_threads|requests_total\{method="WdelegGetattr")|xfs_(vnode_(active|remove)|read_calls|write_calls)|ipvs_)' >"$T/got"
	xd="device=\"$xfsdev\""
	cat >"$T/want" <<EOF
node_ipvs_backend_connections_active{local_address="2620::1",remote_address="127.0.0.1"} 4
node_ipvs_backend_connections_inactive{local_address="2620::1",remote_address="127.0.0.1"} 5
node_ipvs_backend_weight{local_address="2620::1",remote_address="127.0.0.1"} 3
node_ipvs_connections_total 1
node_ipvs_incoming_bytes_total 10
node_ipvs_incoming_packets_total 2
node_ipvs_outgoing_bytes_total 0
node_ipvs_outgoing_packets_total 3
node_nfs_requests_total{method="Null",proto="4"} 8
node_nfs_requests_total{method="Read",proto="4"} 9
node_nfs_requests_total{method="Write",proto="4"} 0
node_nfs_rpcs_total 5
node_nfsd_requests_total{method="WdelegGetattr",proto="4"} 15
node_nfsd_server_threads 8
node_xfs_read_calls_total{$xd} 20
node_xfs_vnode_active_total{$xd} 1
node_xfs_vnode_remove_total{$xd} 7
node_xfs_write_calls_total{$xd} 10
node_zfs_arc_c_min -5
node_zfs_arc_hits 12
EOF
	diff -u "$T/want" "$T/got"
	# No ZFS, NFS or IPVS at all: no data (success 0), nothing logged.
	rm -rf "$T/f/proc/spl" "$T/f/proc/net/rpc" "$T/f/proc/net/ip_vs_stats" "$T/f/sys/fs"
	run_on "$T/f" zfs nfs nfsd ipvs xfs btrfs
	[ "$rc" -eq 0 ]
	for c in zfs nfs nfsd ipvs; do
		[ "$(success_of "$T/out" "$c")" = 0 ] || { echo "$c succeeded"; return 1; }
	done
	[ "$(success_of "$T/out" xfs)" = 1 ]
	[ "$(success_of "$T/out" btrfs)" = 1 ]
	[ ! -s "$T/err" ]
}

@test "corrupt: infiniband, bcache, fibrechannel, edac, watchdog, tape, rapl and nvme files fail their collector only" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	bc=$(ls -d "$T"/f/sys/fs/bcache/*-* | head -1)
	bc=${bc#"$T/f/"}
	damage sys/class/infiniband/mlx4_0/ports/1/state 'ACTIVE\n'
	damage "$bc/bdev0/dirty_data" 'lots\n'
	damage sys/class/fc_host/host0/statistics/tx_frames 'many\n'
	damage sys/devices/system/edac/mc/mc0/ce_count '-1\n'
	damage sys/class/watchdog/watchdog0/timeout '60s\n'
	tape=$(readlink -f "$T/f/sys/class/scsi_tape/st0")
	rm -f "$tape/stats/read_cnt" && printf 'x\n' >"$tape/stats/read_cnt"
	damage sys/class/powercap/intel-rapl:0/energy_uj '1.5\n'
	rm -f "$T/f/sys/class/nvme/nvme0/serial"
	run_on "$T/f" infiniband bcache fibrechannel edac watchdog tapestats rapl nvme loadavg
	[ "$rc" -eq 0 ]
	for c in infiniband bcache fibrechannel edac watchdog tapestats rapl nvme; do
		[ "$(success_of "$T/out" "$c")" = 0 ] || { echo "$c succeeded"; return 1; }
	done
	for c in infiniband bcache fibrechannel edac watchdog tapestats rapl; do
		grep -q "^hostcol: $c: " "$T/err" || { echo "no message for $c"; return 1; }
	done
	# A missing file is "no NVMe" to node_exporter: no message.
	if grep -q '^hostcol: nvme' "$T/err"; then return 1; fi
	[ "$(success_of "$T/out" loadavg)" = 1 ]
	if grep -q '^node_\(infiniband\|bcache\|fibrechannel\|edac\|watchdog\|tape\|rapl\|nvme\)_' "$T/out"; then return 1; fi
}

@test "bonding, cpu_vulnerabilities, dmi: absent parts and the text node_exporter reads" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	v=$T/f/sys/devices/system/cpu/vulnerabilities
	rm -rf "$v"
	mkdir -p "$v"
	printf 'Mitigation:   Retpolines;  IBPB: conditional\n' >"$v/spectre_v2"
	printf 'Vulnerable\n' >"$v/mds"
	printf 'KVM: Mitigation: VMX disabled\n' >"$v/itlb"
	rm -rf "$T/f/sys/class/dmi/id"
	mkdir -p "$T/f/sys/class/dmi/id"
	printf 'Acme\377\376Co\n' >"$T/f/sys/class/dmi/id/sys_vendor"
	printf 'X1\n' >"$T/f/sys/class/dmi/id/product_name"
	run_on "$T/f" bonding cpu_vulnerabilities dmi
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	grep -v '^#' "$T/out" | grep -v '^node_scrape_' | grep -v '^node_bonding_' | awk '{ $NF = ""; sub(/ $/, ""); print }' >"$T/got"
	cat >"$T/want" <<'EOF'
node_cpu_vulnerabilities_info{codename="itlb",mitigation="KVM: Mitigation: VMX disabled",state="unknown"} 1
node_cpu_vulnerabilities_info{codename="mds",state="vulnerable"} 1
node_cpu_vulnerabilities_info{codename="spectre_v2",mitigation="Retpolines; IBPB: conditional",state="mitigation"} 1
node_dmi_info{product_name="X1",system_vendor="Acme�Co"} 1
EOF
	diff -u "$T/want" "$T/got"
	# A slave without its mii_status: no bonding data, nothing logged; no
	# DMI files: no data either.
	rm -rf "$T/f/sys/class/net/dmz/slave_eth0" "$T/f/sys/class/net/dmz/lower_eth0"
	rm -rf "$T/f/sys/class/dmi"
	run_on "$T/f" bonding dmi
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" bonding)" = 0 ]
	[ "$(success_of "$T/out" dmi)" = 0 ]
	if grep -q '^node_bonding_\|^node_dmi_' "$T/out"; then return 1; fi
	[ ! -s "$T/err" ]
}

@test "corrupt: binary garbage in the new collectors' files never crashes" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	head -c 65536 /dev/urandom >"$T/garbage"
	for f in proc/spl/kstat/zfs/arcstats proc/spl/kstat/zfs/pool1/io proc/spl/kstat/zfs/pool1/objset-1 \
		proc/net/rpc/nfs proc/net/rpc/nfsd proc/net/ip_vs proc/net/ip_vs_stats \
		sys/class/infiniband/mlx4_0/ports/1/rate sys/class/fc_host/host0/statistics/rx_words \
		sys/class/watchdog/watchdog0/bootstatus; do
		rm -f "$T/f/$f"
		cp "$T/garbage" "$T/f/$f"
	done
	run_on "$T/f" zfs nfs nfsd ipvs infiniband fibrechannel watchdog
	[ "$rc" -eq 0 ]
	for c in zfs nfs nfsd ipvs infiniband fibrechannel watchdog; do
		[ "$(success_of "$T/out" "$c")" = 0 ] || { echo "$c succeeded"; return 1; }
	done
}

@test "os: /etc/os-release before /usr/lib/os-release, quoting, SUPPORT_END, none at all" {
	skip_unless_bin hostcol
	mkdir -p "$T/r/etc" "$T/r/usr/lib"
	printf 'NAME=Other\nVERSION_ID=1\n' >"$T/r/usr/lib/os-release"
	cat >"$T/r/etc/os-release" <<'EOF'
# a comment
NAME="Debian GNU/Linux"
ID=debian
PRETTY_NAME="Debian \"12\" \$x"
VERSION_ID='12.4b'
SUPPORT_END=2028-06-30
EOF
	hc --path.rootfs="$T/r" --collector.disable-defaults --collector.os >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	grep -v '^#' "$T/out" | grep -v '^node_scrape_' | awk '{ $NF = ""; sub(/ $/, ""); print }' >"$T/got"
	cat >"$T/want" <<'EOF'
node_os_info{id="debian",name="Debian GNU/Linux",pretty_name="Debian \"12\" $x",version_id="12.4b"} 1
node_os_support_end_timestamp_seconds 1.845936e+09
node_os_version{id="debian",name="Debian GNU/Linux"} 12.4
EOF
	diff -u "$T/want" "$T/got"
	# An open quote fails os; without /etc/os-release the other is read.
	printf 'NAME="Debian\n' >"$T/r/etc/os-release"
	hc --path.rootfs="$T/r" --collector.disable-defaults --collector.os >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" os)" = 0 ]
	grep -q '^hostcol: os: malformed' "$T/err"
	rm "$T/r/etc/os-release"
	hc --path.rootfs="$T/r" --collector.disable-defaults --collector.os >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	grep -q '^node_os_version{name="Other"} 1 ' "$T/out"
	rm "$T/r/usr/lib/os-release"
	hc --path.rootfs="$T/r" --collector.disable-defaults --collector.os >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" os)" = 0 ]
	if grep -q '^node_os_' "$T/out"; then return 1; fi
	[ ! -s "$T/err" ]
}

@test "missing files: an absent /proc/pressure or hwmon class is no data, not a crash" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	rm -rf "$T/f/proc/pressure" "$T/f/sys/class/hwmon" "$T/f/sys/class/thermal"
	run_on "$T/f" pressure hwmon thermal_zone loadavg
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" pressure)" = 0 ]
	[ "$(success_of "$T/out" hwmon)" = 0 ]
	[ "$(success_of "$T/out" thermal_zone)" = 1 ]
	[ "$(success_of "$T/out" loadavg)" = 1 ]
	if grep -q '^node_pressure_\|^node_hwmon_\|^node_thermal' "$T/out"; then return 1; fi
	[ ! -s "$T/err" ]
}

# --- filters --------------------------------------------------------------

@test "netdev: /proc/net/dev with device-include and device-exclude (unanchored, as Go)" {
	skip_unless_bin hostcol
	mkdir -p "$T/f/proc/net"
	cp "$DATA/proc-net-dev" "$T/f/proc/net/dev"
	run_on "$T/f" netdev --no-collector.netdev.netlink --collector.netdev.device-exclude=eth
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" netdev)" = 1 ]
	grep -o 'device="[^"]*"' "$T/out" | sort -u >"$T/devs"
	printf '%s\n' 'device="docker0"' 'device="lo"' >"$T/want"
	cmp "$T/want" "$T/devs"
	run_on "$T/f" netdev --no-collector.netdev.netlink --collector.netdev.device-include='^eth'
	[ "$(grep -o 'device="[^"]*"' "$T/out" | sort -u)" = 'device="eth0"' ]
	# 16 counters per device from /proc/net/dev, with the legacy names.
	grep '^node_network_' "$T/out" | awk '{ print $1, $2 }' >"$T/got"
	cat >"$T/want" <<'EOF'
node_network_receive_bytes_total{device="eth0"} 8.8119812e+07
node_network_receive_compressed_total{device="eth0"} 5
node_network_receive_drop_total{device="eth0"} 2
node_network_receive_errs_total{device="eth0"} 1
node_network_receive_fifo_total{device="eth0"} 3
node_network_receive_frame_total{device="eth0"} 4
node_network_receive_multicast_total{device="eth0"} 6
node_network_receive_packets_total{device="eth0"} 62934
node_network_transmit_bytes_total{device="eth0"} 3.42091e+06
node_network_transmit_carrier_total{device="eth0"} 11
node_network_transmit_colls_total{device="eth0"} 10
node_network_transmit_compressed_total{device="eth0"} 12
node_network_transmit_drop_total{device="eth0"} 8
node_network_transmit_errs_total{device="eth0"} 7
node_network_transmit_fifo_total{device="eth0"} 9
node_network_transmit_packets_total{device="eth0"} 21310
EOF
	diff -u "$T/want" "$T/got"
	# A line without its 16 counters fails netdev.
	echo '  bad0: 1 2 3' >>"$T/f/proc/net/dev"
	run_on "$T/f" netdev --no-collector.netdev.netlink
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" netdev)" = 0 ]
}

@test "netdev: netlink (the default) reports lo with node_exporter's 17 counters" {
	skip_unless_bin hostcol
	hc --collector.disable-defaults --collector.netdev --collector.netdev.device-include='^lo$' \
		>"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(success_of "$T/out" netdev)" = 1 ]
	[ "$(grep -c '^node_network_.*_total{device="lo"} ' "$T/out")" -eq 17 ]
	grep -q '^node_network_receive_nohandler_total{device="lo"} ' "$T/out"
}

@test "netdev: --interval: links added, renamed and removed between cycles show in the next cycles, counters and names alike" {
	skip_unless_bin hostcol
	skip_unless_cmd unshare
	skip_unless_cmd ip
	[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace"
	# In a network namespace of its own (only lo, nothing reaches the
	# host), a veth pair is added, one end renamed, and the pair removed
	# while hostcol runs: every cycle must name the links that exist, with
	# all 17 counters each, whatever hostcol keeps between cycles.
	cat >"$T/inner.sh" <<'EOF'
set -u
bin=$1 T=$2
. "$OBS_ROOT/tests/cycles.sh"
: >"$T/out"
"$bin" --collector.disable-defaults --collector.netdev --interval=100ms \
	>"$T/out" 2>"$T/err" &
pid=$!
# Waits until the last whole cycle names these links (bounded: 10 s).
wait_links() {
	i=0
	while [ "$i" -lt 100 ]; do
		got=$(link_sets "$T/out" | tail -n 1)
		[ "$got" = "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "links: want '$1', got '$got'" >&2
	return 1
}
rc=0
wait_links lo, || rc=1
ip link add obsv0 type veth peer name obsv1 || rc=1
wait_links lo,obsv0,obsv1, || rc=1
ip link set obsv1 name obsv2 || rc=1
wait_links lo,obsv0,obsv2, || rc=1
ip link del obsv0 || rc=1
wait_links lo, || rc=1
kill -TERM "$pid"
wait "$pid" || rc=1
exit "$rc"
EOF
	rc=0
	unshare --net sh "$T/inner.sh" "$(obs_bin hostcol)" "$T" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	# Each cycle names each link once a counter: 17 counters a link.
	awk '/^node_network_.*_total\{/ { sub(/.*device="/, ""); sub(/".*/, ""); n[$0]++ }
		/^node_scrape_collector_success/ { for (d in n) if (n[d] != 17) bad++; delete n }
		END { exit bad > 0 }' "$T/out"
	# The sets of links, cycle by cycle, in the order they came.
	link_sets "$T/out" | uniq >"$T/sets"
	printf '%s\n' lo, lo,obsv0,obsv1, lo,obsv0,obsv2, lo, >"$T/want"
	diff -u "$T/want" "$T/sets"
	[ "$(grep -c '^node_scrape_collector_success{collector="netdev"} 1 ' "$T/out")" -eq \
		"$(grep -c '^node_scrape_collector_success{collector="netdev"}' "$T/out")" ]
}

@test "netdev: a burst of link changes past the socket's buffer (ENOBUFS) still names every link (netlink)" {
	skip_unless_bin hostcol
	skip_unless_cmd unshare
	skip_unless_cmd ip
	[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace"
	# 150 veth pairs made between two cycles send more notifications
	# than the socket holds: the cycle after must dump the links again.
	cat >"$T/inner.sh" <<'INNER'
set -u
bin=$1 T=$2
. "$OBS_ROOT/tests/cycles.sh"
: >"$T/out"
"$bin" --collector.disable-defaults --collector.netdev --interval=1s \
	>"$T/out" 2>"$T/err" &
pid=$!
wait_cycles "$T/out" netdev 1
i=0
while [ "$i" -lt 150 ]; do
	ip link add "v$i" type veth peer name "w$i" || exit 1
	i=$((i + 1))
done
i=0
while [ "$i" -lt 150 ]; do
	[ $((i % 3)) -eq 0 ] && { ip link set "v$i" name "x$i" || exit 1; }
	i=$((i + 1))
done
wait_cycles "$T/out" netdev $(($(cycles_of "$T/out" netdev) + 2))
ip -o link | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort >"$T/want"
kill -TERM "$pid"
wait "$pid"
INNER
	rc=0
	unshare --net sh "$T/inner.sh" "$(obs_bin hostcol)" "$T" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	grep "^node_network_receive_packets_total{.* $(last_cycle "$T/out" netdev)\$" "$T/out" |
		sed 's/.*device="\([^"]*\)".*/\1/' | sort >"$T/got"
	[ "$(wc -l <"$T/want")" -eq 301 ]
	diff -u "$T/want" "$T/got"
}

@test "netdev: a link notification that carries hostcol's own sequence number is still a notification (netlink)" {
	skip_unless_bin hostcol
	skip_unless_cmd unshare
	skip_unless_cmd ip
	[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace"
	# A request sent with NLM_F_ECHO makes the kernel copy its sequence
	# number into the notification every listener gets.  hostcol numbers
	# its dumps 1, 2, ... one a cycle here, so a tool's request numbered
	# as hostcol's next dump (a link deleted and made again under the
	# same ifindex, a new name) must still be heard as a link change.
	cat >"$T/nlreq.py" <<'EOF'
import os, socket, struct, sys
def rta(t, data):
    n = 4 + len(data)
    return struct.pack("HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)
op, name, index, seq = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
typ, flags, attrs = 17, 0, b""                  # RTM_DELLINK
if op == "add":                                 # RTM_NEWLINK, CREATE|EXCL
    typ, flags = 16, 0x400 | 0x200
    attrs = rta(3, name.encode() + b"\0") + rta(18, rta(1, b"bridge"))
body = struct.pack("BxHiII", socket.AF_UNSPEC, 0, index, 0, 0) + attrs
flags |= 1 | 4 | 8                              # REQUEST|ACK|ECHO
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.bind((0, 0))
s.send(struct.pack("IHHII", 16 + len(body), typ, flags, seq, 0) + body)
while True:
    r = s.recv(65536)
    if struct.unpack("H", r[4:6])[0] == 2:      # NLMSG_ERROR: the ack
        sys.exit(struct.unpack("i", r[16:20])[0] != 0)
EOF
	cat >"$T/inner.sh" <<'EOF'
set -u
bin=$1 T=$2
py=${OBS_PYTHON:-/usr/bin/python3}
ip link add old0 type bridge || exit 1
idx=$(ip -o link show old0 | cut -d: -f1)
. "$OBS_ROOT/tests/cycles.sh"
: >"$T/out"
"$bin" --collector.disable-defaults --collector.netdev --interval=1s \
	>"$T/out" 2>"$T/err" &
pid=$!
wait_cycles "$T/out" netdev 2
n=$(cycles_of "$T/out" netdev)
rc=0
"$py" "$T/nlreq.py" del old0 "$idx" $((n + 1)) || rc=1
"$py" "$T/nlreq.py" add new0 "$idx" $((n + 1)) || rc=1
wait_cycles "$T/out" netdev $((n + 3))
kill -TERM "$pid"
wait "$pid" || rc=1
exit "$rc"
EOF
	rc=0
	unshare --net sh "$T/inner.sh" "$(obs_bin hostcol)" "$T" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	link_sets "$T/out" | tail -n 1 >"$T/last"
	echo 'lo,new0,' | diff -u - "$T/last"
}

@test "diskstats: default exclude drops partitions; device-include replaces it" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	run_on "$T/f" diskstats
	if grep -q 'device="sda1"' "$T/out"; then return 1; fi
	grep -q 'device="sda"' "$T/out"
	run_on "$T/f" diskstats --collector.diskstats.device-include='^sda1$'
	[ "$(grep -o 'device="[^"]*"' "$T/out" | sort -u)" = 'device="sda1"' ]
}

@test "vmstat and netstat field filters" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	run_on "$T/f" vmstat netstat --collector.vmstat.fields='^nr_free_pages$' --collector.netstat.fields='^Tcp_CurrEstab$'
	[ "$rc" -eq 0 ]
	[ "$(grep -c '^node_vmstat_' "$T/out")" -eq 1 ]
	grep -q '^node_vmstat_nr_free_pages ' "$T/out"
	[ "$(grep -c '^node_netstat_' "$T/out")" -eq 1 ]
	grep -q '^# HELP node_netstat_Tcp_CurrEstab Statistic TcpCurrEstab.$' "$T/out"
}

@test "filesystem: default mount point and type excludes, mount-points-include" {
	skip_unless_bin hostcol
	mkdir -p "$T/p/1" "$T/root/data" "$T/root/proc"
	cat >"$T/p/1/mountinfo" <<EOF
20 1 8:1 / $T/root/data rw,relatime shared:1 - ext4 /dev/sdz1 rw
21 1 0:5 / $T/root/proc rw,nosuid - proc proc rw
22 1 0:6 / $T/root/data2 ro,relatime - tmpfs tmpfs rw
23 1 0:7 / $T/root/cg rw - cgroup2 cgroup2 rw
EOF
	hc --path.procfs="$T/p" --path.rootfs="$T/root" --collector.disable-defaults \
		--collector.filesystem >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	grep -o 'mountpoint="[^"]*"' "$T/out" | sort -u >"$T/mps"
	printf '%s\n' 'mountpoint="/data"' 'mountpoint="/data2"' >"$T/want"
	cmp "$T/want" "$T/mps"
	grep -q '^node_filesystem_readonly{device="/dev/sdz1",fstype="ext4",mountpoint="/data"} 0 ' "$T/out"
	grep -q '^node_filesystem_size_bytes{device="/dev/sdz1",fstype="ext4",mountpoint="/data"} ' "$T/out"
	grep -q '^node_filesystem_mount_info{device="/dev/sdz1",major="8",minor="1",mountpoint="/data"} 1 ' "$T/out"
	# /data2 does not exist under the root: statfs fails, reported so.
	grep -q '^node_filesystem_device_error{device="tmpfs",device_error="no such file or directory",fstype="tmpfs",mountpoint="/data2"} 1 ' "$T/out"
	grep -q '^node_filesystem_readonly{device="tmpfs",device_error="no such file or directory",fstype="tmpfs",mountpoint="/data2"} 1 ' "$T/out"
	if grep -q '^node_filesystem_size_bytes{device="tmpfs"' "$T/out"; then return 1; fi
	hc --path.procfs="$T/p" --path.rootfs="$T/root" --collector.disable-defaults \
		--collector.filesystem --collector.filesystem.mount-points-include='^/proc$' \
		>"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	# The include replaces the default mount-point exclude; the fs-type
	# exclude still drops proc.
	if grep -q 'mountpoint=' "$T/out"; then return 1; fi
}

@test "filesystem: a stuck statfs never blocks a cycle; the mount is skipped until it answers" {
	skip_unless_bin hostcol
	skip_unless_cmd cc
	[ -z "${OBS_ASAN:-}" ] || skip "LD_PRELOAD does not mix with ASan"
	cc -shared -fPIC -o "$T/slow.so" "$DATA/slowstatfs.c" -ldl || skip "cannot build the statfs shim"
	mkdir -p "$T/p/1" "$T/root/slow" "$T/root/fast"
	cat >"$T/p/1/mountinfo" <<EOF
20 1 8:1 / $T/root/slow rw - ext4 /dev/sdy1 rw
21 1 8:2 / $T/root/fast rw - ext4 /dev/sdy2 rw
EOF
	touch "$T/slow-once"
	SLOW_STATFS_MATCH=/slow SLOW_STATFS_ONCE="$T/slow-once" SLOW_STATFS_MS=1500 \
		LD_PRELOAD="$T/slow.so" "$(obs_bin hostcol)" --path.procfs="$T/p" \
		--path.rootfs="$T/root" --collector.disable-defaults --collector.filesystem \
		--collector.filesystem.mount-timeout=100ms --interval=250ms \
		>"$T/out" 2>"$T/err" &
	pid=$!
	sleep 3
	kill -TERM "$pid"
	wait "$pid" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	# Cycles by timestamp: at least 8 in 3 s, though one statfs took 1.5 s.
	grep '^node_filesystem_device_error' "$T/out" | awk '{ print $NF }' | uniq >"$T/cycles"
	[ "$(wc -l <"$T/cycles")" -ge 8 ]
	first=$(head -1 "$T/cycles")
	last=$(tail -1 "$T/cycles")
	grep " $first\$" "$T/out" >"$T/c1"
	grep " $last\$" "$T/out" >"$T/cn"
	grep -q '^node_filesystem_device_error{device="/dev/sdy1",device_error="mountpoint timeout",fstype="ext4",mountpoint="/slow"} 1 ' "$T/c1"
	grep -q '^node_filesystem_size_bytes{device="/dev/sdy2",fstype="ext4",mountpoint="/fast"} ' "$T/c1"
	if grep -q '^node_filesystem_size_bytes{device="/dev/sdy1"' "$T/c1"; then return 1; fi
	# After it answered, the mount is back.
	grep -q '^node_filesystem_device_error{device="/dev/sdy1",fstype="ext4",mountpoint="/slow"} 0 ' "$T/cn"
	grep -q '^node_filesystem_size_bytes{device="/dev/sdy1",fstype="ext4",mountpoint="/slow"} ' "$T/cn"
	# The slow statfs was called once: a stuck mount is not asked again.
	[ ! -e "$T/slow-once" ]
	[ "$(grep -c 'slowstatfs: slow call' "$T/err")" -eq 1 ]
}

@test "filesystem: a stuck mount and collectors slower than the mount timeout never time out a healthy mount" {
	skip_unless_bin hostcol
	skip_unless_cmd cc
	[ -z "${OBS_ASAN:-}" ] || skip "LD_PRELOAD does not mix with ASan"
	cc -shared -fPIC -o "$T/slow.so" "$DATA/slowstatfs.c" -ldl || skip "cannot build the statfs shim"
	mkdir -p "$T/p/1" "$T/root/slow" "$T/root/fast" "$T/tf"
	# /slow first: the worker that takes it hangs, /fast waits behind it.
	cat >"$T/p/1/mountinfo" <<EOF
20 1 8:1 / $T/root/slow rw - ext4 /dev/sdy1 rw
21 1 8:2 / $T/root/fast rw - ext4 /dev/sdy2 rw
EOF
	# A textfile that takes its collector longer than the mount timeout:
	# the cycle reads the statfs answers after it, past the timeout.
	awk 'BEGIN { print "# TYPE big gauge"; for (i = 0; i < 60000; i++) printf "big{i=\"%d\"} %d\n", i, i }' >"$T/tf/big.prom"
	touch "$T/slow-once"
	# /slow hangs longer than the run.
	SLOW_STATFS_MATCH=/slow SLOW_STATFS_ONCE="$T/slow-once" SLOW_STATFS_MS=5000 \
		LD_PRELOAD="$T/slow.so" "$(obs_bin hostcol)" --path.procfs="$T/p" \
		--path.rootfs="$T/root" --collector.disable-defaults --collector.filesystem \
		--collector.textfile --collector.textfile.directory="$T/tf" \
		--collector.filesystem.mount-timeout=20ms --interval=300ms \
		>"$T/out" 2>"$T/err" &
	pid=$!
	sleep 2.5
	kill -TERM "$pid"
	wait "$pid" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	n=$(grep -c '^node_scrape_collector_success{collector="filesystem"} 1 ' "$T/out")
	[ "$n" -ge 3 ]
	# Every cycle's textfile outlasted the mount timeout, or this shows nothing.
	grep '^node_scrape_collector_duration_seconds{collector="textfile"} ' "$T/out" >"$T/tfdur"
	[ "$(wc -l <"$T/tfdur")" -eq "$n" ]
	[ "$(awk '$2 > 0.02' "$T/tfdur" | wc -l)" -eq "$n" ]
	# Each cycle: /slow timed out (asked once, not again), /fast answered.
	[ "$(grep -c '^node_filesystem_device_error{device="/dev/sdy1",device_error="mountpoint timeout",fstype="ext4",mountpoint="/slow"} 1 ' "$T/out")" -eq "$n" ]
	[ "$(grep -c '^node_filesystem_device_error{device="/dev/sdy2",fstype="ext4",mountpoint="/fast"} 0 ' "$T/out")" -eq "$n" ]
	[ "$(grep -c '^node_filesystem_size_bytes{device="/dev/sdy2",fstype="ext4",mountpoint="/fast"} ' "$T/out")" -eq "$n" ]
	if grep -q 'mountpoint timeout",fstype="ext4",mountpoint="/fast"' "$T/out"; then return 1; fi
	[ "$(grep -c 'slowstatfs: slow call' "$T/err")" -eq 1 ]
}

@test "--interval: procfs and sysfs files kept open between cycles still show each change" {
	skip_unless_bin hostcol
	skip_unless_cmd unshare
	skip_unless_cmd ip
	[ "$(id -u)" -eq 0 ] || skip "needs root for mount and network namespaces"
	# In namespaces of its own, so that no mount or link of the machine
	# changes: a tmpfs mounted and unmounted between cycles must come and
	# go in /proc/1/mountinfo, lo's mtu changed must show in a sysfs
	# attribute, and the fork count of /proc/stat must grow.
	cat >"$T/inner.sh" <<'EOF'
set -u
bin=$1 T=$2
mkdir -p "$T/sys" "$T/mnt" || exit 1
mount -t sysfs sysfs "$T/sys" || exit 1
: >"$T/out"
. "$OBS_ROOT/tests/cycles.sh"
"$bin" --path.sysfs="$T/sys" --collector.disable-defaults \
	--collector.filesystem --collector.netclass --collector.stat \
	--interval=100ms >"$T/out" 2>"$T/err" &
pid=$!
more() { wait_cycles "$T/out" stat $(($(cycles_of "$T/out" stat) + $1)); }
wait_cycles "$T/out" stat 2
mount -t tmpfs -o size=1m tmpfs "$T/mnt" || exit 1
ip link set lo mtu 1280 || exit 1
for i in 1 2 3 4 5; do /bin/true; done
more 3
umount "$T/mnt" || exit 1
more 3
kill -TERM "$pid"
wait "$pid"
EOF
	rc=0
	unshare --mount --net --pid --fork --mount-proc \
		sh "$T/inner.sh" "$(obs_bin hostcol)" "$T" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	grep '^node_scrape_collector_success{collector="stat"} ' "$T/out" |
		awk '{ print $NF }' >"$T/cycles"
	[ "$(wc -l <"$T/cycles")" -ge 8 ]
	first=$(head -1 "$T/cycles")
	last=$(tail -1 "$T/cycles")
	grep " $first\$" "$T/out" >"$T/c1"
	grep " $last\$" "$T/out" >"$T/cn"
	size="node_filesystem_size_bytes{device=\"tmpfs\",fstype=\"tmpfs\",mountpoint=\"$T/mnt\"} 1.048576e+06 "
	if grep -qF "$size" "$T/c1"; then return 1; fi
	grep -qF "$size" "$T/out"
	if grep -qF "$size" "$T/cn"; then return 1; fi
	grep -q '^node_network_mtu_bytes{device="lo"} 65536 ' "$T/c1"
	grep -q '^node_network_mtu_bytes{device="lo"} 1280 ' "$T/cn"
	f1=$(awk '$1 == "node_forks_total" { print $2 }' "$T/c1")
	fn=$(awk '$1 == "node_forks_total" { print $2 }' "$T/cn")
	[ -n "$f1" ] && [ -n "$fn" ]
	awk -v a="$f1" -v b="$fn" 'BEGIN { exit !(b >= a + 5) }'
}

@test "--interval: cpu: the isolated CPUs are read once, as node_exporter reads them at start" {
	skip_unless_bin hostcol
	fixture_copy "$T/t"
	iso="$T/t/sys/devices/system/cpu/isolated"
	printf '1-2\n' >"$iso"
	hostcol_bg "$T/out" --path.procfs="$T/t/proc" --path.sysfs="$T/t/sys" \
		--collector.disable-defaults --collector.cpu
	wait_until 10 cycles_past "$T/out" cpu 0
	printf '3\n' >"$iso"
	wait_until 10 cycles_past "$T/out" cpu $(($(cycles_of "$T/out" cpu) + 2))
	hostcol_stop
	grep "^node_cpu_isolated{.* $(last_cycle "$T/out" cpu)\$" "$T/out" >"$T/iso"
	printf '%s\n' 'node_cpu_isolated{cpu="1"} 1' 'node_cpu_isolated{cpu="2"} 1' >"$T/want"
	cut -d' ' -f1,2 "$T/iso" | diff -u "$T/want" -
}

@test "--interval: a mount table read once shows a superblock turned read-only from another namespace" {
	skip_unless_bin hostcol
	skip_unless_cmd unshare
	[ "$(id -u)" -eq 0 ] || skip "needs root for mount namespaces"
	# hostcol parses /proc/1/mountinfo again only when poll(2) says the
	# namespace changed.  A remount of the superblock from another
	# namespace (as the kernel's errors=remount-ro would do) signals
	# nothing there; the read-only flag must still show, from statfs.
	cat >"$T/inner.sh" <<'EOF'
set -u
bin=$1 T=$2
mkdir -p "$T/mnt" || exit 1
mount -t tmpfs -o size=1m tmpfs "$T/mnt" || exit 1
: >"$T/out"
"$bin" --collector.disable-defaults --collector.filesystem \
	--collector.filesystem.mount-points-include="^$T/mnt\$" \
	--interval=100ms >"$T/out" 2>"$T/err" &
pid=$!
. "$OBS_ROOT/tests/cycles.sh"
wait_cycles "$T/out" filesystem 2
unshare --mount sh -c "mount -o remount,ro '$T/mnt'" || exit 1
wait_cycles "$T/out" filesystem $(($(cycles_of "$T/out" filesystem) + 3))
kill -TERM "$pid"
wait "$pid"
EOF
	rc=0
	unshare --mount --pid --fork --mount-proc \
		sh "$T/inner.sh" "$(obs_bin hostcol)" "$T" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	grep '^node_filesystem_readonly' "$T/out" | awk '{ print $2 }' | uniq >"$T/ro"
	printf '0\n1\n' >"$T/want"
	diff "$T/want" "$T/ro"
}

@test "--interval: descriptors of processes gone are closed, not kept up to the cap" {
	skip_unless_bin hostcol
	skip_unless_cmd unshare
	[ "$(id -u)" -eq 0 ] || skip "needs root for a pid namespace"
	# In a pid namespace of its own, /proc lists few processes, so the
	# /proc/<pid>/stat of each short-lived one is read (and kept open);
	# once they are gone, their descriptors must go too.
	cat >"$T/inner.sh" <<'EOF'
bin=$1 T=$2
"$bin" --collector.disable-defaults --collector.processes --interval=10ms \
	>"$T/out" 2>"$T/err" &
pid=$!
for j in $(seq 25); do
	pids=
	for i in $(seq 40); do
		sleep 0.05 &
		pids="$pids $!"
	done
	wait $pids
done
sleep 0.5
ls "/proc/$pid/fd" | wc -l >"$T/fds"
kill -TERM "$pid"
wait "$pid"
EOF
	rc=0
	unshare --pid --fork --mount-proc sh "$T/inner.sh" "$(obs_bin hostcol)" "$T" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	[ "$(grep -c '^node_scrape_collector_success{collector="processes"} 1 ' "$T/out")" -ge 20 ]
	[ "$(cat "$T/fds")" -lt 40 ]
}

# --- cycles ---------------------------------------------------------------

@test "--interval: one flushed cycle per interval until SIGTERM, exit 0" {
	skip_unless_bin hostcol
	"$(obs_bin hostcol)" --collector.disable-defaults --collector.loadavg \
		--interval=100ms >"$T/out" 2>"$T/err" &
	pid=$!
	for i in $(seq 50); do
		[ "$(grep -c '^node_load1 ' "$T/out")" -ge 3 ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(grep -c '^node_load1 ' "$T/out")" -ge 3 ]
	[ "$(grep -c '^# HELP node_load1 ' "$T/out")" -eq "$(grep -c '^node_load1 ' "$T/out")" ]
	[ ! -s "$T/err" ]
}

@test "--interval: /proc fields renamed, reordered or new, and textfiles changed between cycles are read anew" {
	skip_unless_bin hostcol
	# hostcol remembers field names and filter answers from cycle to
	# cycle, and keeps its textfile tables: a change must still show.
	mkdir -p "$T/p/net" "$T/tf"
	printf 'nr_free_pages 1\npgfault 2\noom_kill 3\n' >"$T/p/vmstat"
	printf 'TcpExt: ListenDrops\nTcpExt: 1\n' >"$T/p/net/netstat"
	printf 'Tcp: CurrEstab InSegs\nTcp: 4 5\n' >"$T/p/net/snmp"
	printf 'a_metric 1\n' >"$T/tf/a.prom"
	"$(obs_bin hostcol)" --path.procfs="$T/p" --collector.disable-defaults \
		--collector.vmstat --collector.netstat --collector.textfile \
		--collector.textfile.directory="$T/tf" --interval=100ms \
		>"$T/out" 2>"$T/err" &
	pid=$!
	wait_cycles "$T/out" vmstat 1
	printf 'pgmajfault 7\nnr_free_pages 1\npswpin 8\n' >"$T/vmstat.new"
	printf 'TcpExt: ListenOverflows ListenDrops\nTcpExt: 9 10\n' >"$T/netstat.new"
	printf 'Tcp: InSegs CurrEstab\nTcp: 11 12\n' >"$T/snmp.new"
	printf 'a_metric 2\n' >"$T/a.new"
	mv "$T/vmstat.new" "$T/p/vmstat"
	mv "$T/netstat.new" "$T/p/net/netstat"
	mv "$T/snmp.new" "$T/p/net/snmp"
	mv "$T/a.new" "$T/tf/a.prom"
	printf 'b_metric 3\n' >"$T/tf/b.prom"
	wait_cycles "$T/out" vmstat $(($(cycles_of "$T/out" vmstat) + 3))
	kill -TERM "$pid"
	wait "$pid" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	# The first and the last cycle, by timestamp, without what varies.
	grep -v -e '^#' -e '^node_scrape_collector_duration' \
		-e '^node_textfile_mtime_seconds' "$T/out" >"$T/samples"
	first=$(head -1 "$T/samples" | awk '{ print $NF }')
	last=$(tail -1 "$T/samples" | awk '{ print $NF }')
	grep " $first\$" "$T/samples" | sed 's/ [0-9]*$//' >"$T/c1"
	grep " $last\$" "$T/samples" | sed 's/ [0-9]*$//' >"$T/cn"
	printf '%s\n' 'a_metric 1' 'node_netstat_TcpExt_ListenDrops 1' \
		'node_netstat_Tcp_CurrEstab 4' 'node_netstat_Tcp_InSegs 5' \
		'node_scrape_collector_success{collector="netstat"} 1' \
		'node_scrape_collector_success{collector="textfile"} 1' \
		'node_scrape_collector_success{collector="vmstat"} 1' \
		'node_textfile_scrape_error 0' 'node_vmstat_oom_kill 3' \
		'node_vmstat_pgfault 2' >"$T/want1"
	printf '%s\n' 'a_metric 2' 'b_metric 3' \
		'node_netstat_TcpExt_ListenDrops 10' \
		'node_netstat_TcpExt_ListenOverflows 9' \
		'node_netstat_Tcp_CurrEstab 12' 'node_netstat_Tcp_InSegs 11' \
		'node_scrape_collector_success{collector="netstat"} 1' \
		'node_scrape_collector_success{collector="textfile"} 1' \
		'node_scrape_collector_success{collector="vmstat"} 1' \
		'node_textfile_scrape_error 0' 'node_vmstat_pgmajfault 7' \
		'node_vmstat_pswpin 8' >"$T/wantn"
	diff "$T/want1" "$T/c1"
	diff "$T/wantn" "$T/cn"
}

# split_cycles FILE PREFIX: FILE (hostcol's output) cut into one file per cycle,
# PREFIX.1, PREFIX.2...: a sample goes with its timestamp's cycle, a # line
# with the next sample's; timestamps and durations dropped.
split_cycles() {
	awk -v p="$2" '
	/^#/ { meta = meta $0 "\n"; next }
	{
		ts = $NF
		if (ts != last) { n++; last = ts }
		sub(/ [0-9]+$/, "")
		if ($0 ~ /^node_scrape_collector_duration_seconds/) { meta = ""; next }
		printf "%s%s\n", meta, $0 >(p "." n)
		meta = ""
	}
	END { print n }' "$1"
}

@test "--interval: /proc files laid out anew between cycles are read as in a first cycle (meminfo, vmstat, netstat, diskstats, stat)" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	P=$T/f/proc
	mkdir -p "$T/s"
	args=(--path.procfs="$P" --path.sysfs="$T/f/sys"
		--path.udev.data="$T/f/udev/data" --collector.disable-defaults
		--collector.cpu --collector.diskstats --collector.meminfo
		--collector.netstat --collector.stat --collector.vmstat
		--collector.diskstats.device-exclude='^ram')
	# The states the files go through: 0 as they are; 1 a meminfo
	# line more at the end, a vmstat line renamed and one of its kept
	# values longer, netstat's TcpExt a field short, a disk more; 2 a
	# meminfo line more in the middle, a malformed vmstat value on a
	# line the field filter drops and a malformed snmp6 line (both
	# collectors fail); 3 as they were.
	for f in meminfo vmstat diskstats net/netstat net/snmp6; do
		cp "$P/$f" "$T/s/$(basename $f).0" || return 1
	done
	{ cat "$T/s/meminfo.0"; echo 'Zswap:              7 kB'; } >"$T/s/meminfo.1"
	awk '{ print } NR == 3 { print "NewField:        12345 kB" }' "$T/s/meminfo.0" >"$T/s/meminfo.2"
	sed -e 's/^pgmajfault .*/pgmajfault 12345678901234/' -e 's/^nr_dirty /nr_dirtier /' "$T/s/vmstat.0" >"$T/s/vmstat.1"
	awk '/^TcpExt:/ { NF--; } { print }' "$T/s/netstat.0" >"$T/s/netstat.1"
	{ cat "$T/s/diskstats.0"; echo ' 259       9 nvme9n1 1 2 3 4 5 6 7 8 9 10 11'; } >"$T/s/diskstats.1"
	sed 's/^nr_free_pages .*/nr_free_pages 12x/' "$T/s/vmstat.0" >"$T/s/vmstat.2"
	sed 's/^Ip6InReceives .*/Ip6InReceives x1/' "$T/s/snmp6.0" >"$T/s/snmp6.2"
	for s in 0 1 2 3; do
		for f in meminfo vmstat diskstats netstat snmp6; do
			src=$T/s/$f.$s
			[ -f "$src" ] || src=$T/s/$f.0
			case $f in netstat|snmp6) dst=$P/net/$f ;; *) dst=$P/$f ;; esac
			cp "$src" "$dst.new" && mv "$dst.new" "$dst" || return 1
		done
		hc "${args[@]}" >"$T/once.$s" 2>"$T/once.$s.err" || return 1
		split_cycles "$T/once.$s" "$T/want.$s" >/dev/null
	done
	grep -q 'vmstat: malformed' "$T/once.2.err"
	grep -q 'netstat: malformed' "$T/once.2.err"
	grep -q '^node_vmstat_pgmajfault 1.2345678901234e+13' "$T/want.1.1"
	grep -q '^node_memory_Zswap_bytes 7168$' "$T/want.1.1"
	# The same states, one after the other, each for three cycles at
	# least, then each last cycle compared with the one-shot run.
	"$(obs_bin hostcol)" "${args[@]}" --interval=100ms >"$T/out" 2>"$T/err" &
	pid=$!
	n() { grep -c '^node_scrape_collector_success{collector="stat"} ' "$T/out"; }
	ok=1
	for s in 0 1 2 3; do
		for f in meminfo vmstat diskstats netstat snmp6; do
			src=$T/s/$f.$s
			[ -f "$src" ] || src=$T/s/$f.0
			case $f in netstat|snmp6) dst=$P/net/$f ;; *) dst=$P/$f ;; esac
			cp "$src" "$dst.new" && mv "$dst.new" "$dst" || ok=0
		done
		start=$(n) i=0
		while [ "$(n)" -lt $((start + 3)) ] && [ "$i" -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		cp "$T/out" "$T/out.$s"
	done
	kill -TERM "$pid"
	wait "$pid" && rc=0 || rc=$?
	[ "$ok" -eq 1 ]
	[ "$rc" -eq 0 ]
	for s in 0 1 2 3; do
		last=$(split_cycles "$T/out.$s" "$T/got.$s")
		# the last cycle may be cut short: the one before
		diff "$T/want.$s.1" "$T/got.$s.$((last - 1))"
	done
}

@test "--stats-file: cycles, series written, errors by collector, cycle duration, atomically each cycle" {
	skip_unless_bin hostcol
	fixture_copy "$T/f"
	damage proc/meminfo 'MemTotal: 10 MB\n'
	run_on "$T/f" meminfo loadavg --stats-file="$T/st.prom"
	[ "$rc" -eq 0 ]
	nseries=$(grep -cv '^#' "$T/out")
	sed '$d' "$T/st.prom" >"$T/st.head"
	cat >"$T/want" <<EOF
# HELP obs_hostcol_cycles_total Collection cycles completed.
# TYPE obs_hostcol_cycles_total counter
obs_hostcol_cycles_total 1
# HELP obs_hostcol_series_written_total Samples written to standard output.
# TYPE obs_hostcol_series_written_total counter
obs_hostcol_series_written_total $nseries
# HELP obs_hostcol_collector_errors_total Cycles in which a collector failed.
# TYPE obs_hostcol_collector_errors_total counter
obs_hostcol_collector_errors_total{collector="loadavg"} 0
obs_hostcol_collector_errors_total{collector="meminfo"} 1
# HELP obs_hostcol_cycle_duration_seconds Duration of the last cycle.
# TYPE obs_hostcol_cycle_duration_seconds gauge
EOF
	diff -u "$T/want" "$T/st.head"
	tail -1 "$T/st.prom" | grep -Eq '^obs_hostcol_cycle_duration_seconds [0-9.e+-]+$'
	# Looping: rewritten each cycle; the textfile collector reads it back.
	mkdir "$T/tf"
	"$(obs_bin hostcol)" --path.procfs="$T/f/proc" --collector.disable-defaults \
		--collector.meminfo --collector.textfile --collector.textfile.directory="$T/tf" \
		--stats-file="$T/tf/st.prom" --interval=100ms >"$T/out" 2>"$T/err" &
	pid=$!
	for i in $(seq 50); do
		grep -q '^obs_hostcol_cycles_total [3-9]' "$T/tf/st.prom" 2>/dev/null && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	grep -q '^obs_hostcol_cycles_total [3-9]' "$T/tf/st.prom"
	grep -q '^obs_hostcol_collector_errors_total{collector="meminfo"} [3-9]' "$T/tf/st.prom"
	grep -q '^obs_hostcol_collector_errors_total{collector="textfile"} 0$' "$T/tf/st.prom"
	grep -q '^obs_hostcol_cycles_total [1-9]' "$T/out"
	# No temporary file is left beside it.
	[ "$(ls "$T/tf")" = st.prom ]
	# An unwritable path is logged, never fatal.
	run_on "$T/f" loadavg --stats-file="$T/no/such/dir/st.prom"
	[ "$rc" -eq 0 ]
	grep -q "cannot write '$T/no/such/dir/st.prom'" "$T/err"
}

@test "a closed stdout (EPIPE) ends hostcol with status 1 and one message" {
	skip_unless_bin hostcol
	set +e
	hc --interval=50ms 2>"$T/err" | head -c 10 >/dev/null
	rcs=("${PIPESTATUS[@]}")
	set -e
	[ "${rcs[0]}" -eq 1 ]
	[ "$(wc -l <"$T/err")" -eq 1 ]
	grep -q "^hostcol: cannot write 'stdout': " "$T/err"
}

@test "textfile: *.prom files, mtime, scrape_error, histogram and summary families" {
	skip_unless_bin hostcol
	mkdir -p "$T/tf"
	cat >"$T/tf/a.prom" <<'EOF'
# HELP job_latency_seconds How long.
# TYPE job_latency_seconds histogram
job_latency_seconds_bucket{job="b",le="0.5"} 1
job_latency_seconds_bucket{job="b",le="+Inf"} 3
job_latency_seconds_bucket{job="b",le="0.1"} 0
job_latency_seconds_sum{job="b"} 2.5
job_latency_seconds_count{job="b"} 3
# TYPE job_rpc summary
job_rpc{quantile="0.9"} 4
job_rpc_sum 10
job_rpc_count 2
plain_metric{x="1"} 7
plain_metric{y="2"} 8
EOF
	echo 'ignored 1' >"$T/tf/not-prom.txt"
	echo 'broken{ 1' >"$T/tf/z.prom"
	touch -d @1700000000 "$T/tf/a.prom"
	hc --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$T/tf" >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	awk '!/^#/ { $NF = "" } { sub(/ $/, ""); print }' "$T/out" | grep -v '^node_scrape\|^# [A-Z]* node_scrape' >"$T/got"
	cat >"$T/want" <<EOF
# HELP job_latency_seconds How long.
# TYPE job_latency_seconds histogram
job_latency_seconds_bucket{job="b",le="0.1"} 0
job_latency_seconds_bucket{job="b",le="0.5"} 1
job_latency_seconds_bucket{job="b",le="+Inf"} 3
job_latency_seconds_sum{job="b"} 2.5
job_latency_seconds_count{job="b"} 3
# HELP job_rpc Metric read from $T/tf/a.prom
# TYPE job_rpc summary
job_rpc{quantile="0.9"} 4
job_rpc_sum 10
job_rpc_count 2
# HELP node_textfile_mtime_seconds Unixtime mtime of textfiles successfully read.
# TYPE node_textfile_mtime_seconds gauge
node_textfile_mtime_seconds{file="$T/tf/a.prom"} 1.7e+09
# HELP node_textfile_scrape_error 1 if there was an error opening or reading a file, 0 otherwise
# TYPE node_textfile_scrape_error gauge
node_textfile_scrape_error 1
# HELP plain_metric Metric read from $T/tf/a.prom
# TYPE plain_metric untyped
plain_metric{y="2"} 8
plain_metric{x="1"} 7
EOF
	diff -u "$T/want" "$T/got"
	grep -q "z.prom" "$T/err"
}

@test "textfile: a family name of 600 bytes is written whole, its histogram parts too" {
	skip_unless_bin hostcol
	mkdir -p "$T/tf"
	long=$(printf 'm%.0s' $(seq 600))
	cat >"$T/tf/long.prom" <<EOF
# TYPE ${long} histogram
${long}_bucket{le="1"} 1
${long}_bucket{le="+Inf"} 2
${long}_sum 3
${long}_count 2
${long}_gauge{x="y"} 4
EOF
	hc --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$T/tf" >"$T/out" 2>"$T/err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	awk '!/^#/ { $NF = "" } { sub(/ $/, ""); print }' "$T/out" | grep "^${long}\|^# [A-Z]* ${long}" >"$T/got"
	cat >"$T/want" <<EOF
# HELP ${long} Metric read from $T/tf/long.prom
# TYPE ${long} histogram
${long}_bucket{le="1"} 1
${long}_bucket{le="+Inf"} 2
${long}_sum 3
${long}_count 2
# HELP ${long}_gauge Metric read from $T/tf/long.prom
# TYPE ${long}_gauge untyped
${long}_gauge{x="y"} 4
EOF
	diff -u "$T/want" "$T/got"
	[ "$(success_of "$T/out" textfile)" = 1 ]
}

# --- dashboards -------------------------------------------------------------

@test "Node Exporter Full: every node_* name it queries is emitted (fixtures or live) or listed with a reason" {
	skip_unless_bin hostcol
	skip_unless_cmd jq
	dash=$PEERS/dashboards/node-exporter-full.json
	[ -f "$dash" ] || skip "no dashboard in $dash"
	[ -d "$BATS_FILE_TMPDIR/fix/sys" ] || skip "no peer fixtures in $NE_FIX"
	args=()
	for c in $ALL_COLLECTORS; do args+=("--collector.$c"); done
	hc --path.procfs="$BATS_FILE_TMPDIR/fix/proc" --path.sysfs="$BATS_FILE_TMPDIR/fix/sys" \
		--path.rootfs="$NE_FIX" "${args[@]}" >"$T/fix.out" 2>"$T/fix.err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	# One listening TCP socket at least, for node_tcp_connection_states.
	"$OBS_PYTHON" -c 'import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
time.sleep(30)' &
	lpid=$!
	for i in $(seq 50); do
		grep -q ' 0100007F:[0-9A-F]* 00000000:0000 0A ' /proc/net/tcp && break
		sleep 0.1
	done
	hc "${args[@]}" >"$T/live.out" 2>"$T/live.err" && rc=0 || rc=$?
	kill "$lpid"
	wait "$lpid" || true
	[ "$rc" -eq 0 ]
	grep -q '^node_tcp_connection_states{state="listen"} [1-9]' "$T/live.out"
	sh "$DATA/dashboard-check.sh" "$dash" "$DATA/dashboard-missing.tsv" "$T/fix.out" "$T/live.out" >"$T/report" 2>&1 && rc=0 || rc=$?
	cat "$T/report"
	[ "$rc" -eq 0 ]
	grep -q '^ok [0-9]* names' "$T/report"
	# The check can fail: without the live run, names only this machine
	# has are missing.
	sh "$DATA/dashboard-check.sh" "$dash" "$DATA/dashboard-missing.tsv" "$T/fix.out" >"$T/report2" 2>&1 && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	grep -q '^missing node_memory_MemAvailable_bytes$' "$T/report2"
}

# --- live, beside Debian's node_exporter ----------------------------------

@test "live: metric names, label names, HELP and TYPE equal node_exporter's, per collector" {
	skip_unless_bin hostcol
	skip_unless_cmd "$OBS_NODE_EXPORTER"
	# Not cpu_vulnerabilities and watchdog: node_exporter 1.5 has neither
	# (the fixtures test compares them with 1.12).
	cols="arp bcache bonding btrfs conntrack cpu cpufreq diskstats dmi edac entropy fibrechannel filefd filesystem hwmon infiniband interrupts ipvs loadavg mdadm meminfo netclass netdev netstat nfs nfsd nvme os powersupplyclass pressure processes rapl schedstat selinux sockstat softnet stat tapestats tcpstat textfile thermal_zone time timex uname udp_queues vmstat xfs zfs"
	args=(--collector.disable-defaults --collector.textfile.directory="$T/tf")
	for c in $cols; do args+=("--collector.$c"); done
	mkdir -p "$T/tf"
	printf '# HELP live_job_ok Job ok.\n# TYPE live_job_ok gauge\nlive_job_ok{job="x"} 1\n' >"$T/tf/live.prom"
	start_node_exporter "${args[@]}"
	curl -sf "$NE_URL" >"$T/ne.txt"
	hc "${args[@]}" >"$T/hc.txt" 2>"$T/hc.err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	mkdir -p "$T/cmp"
	sh "$DATA/live-compare.sh" "$T/hc.txt" "$T/ne.txt" "$DATA/live-allowlist.tsv" "$T/cmp" >"$T/report" 2>&1 && rc=0 || rc=$?
	cat "$T/report"
	[ "$rc" -eq 0 ]
	grep -q '^ok cpu ' "$T/report"
	grep -q '^ok meminfo ' "$T/report"
	grep -q '^ok netdev ' "$T/report"
	grep -q '^ok netclass ' "$T/report"
	grep -q '^ok sockstat ' "$T/report"
	grep -q '^ok timex ' "$T/report"
	grep -q '^ok tcpstat ' "$T/report"
	grep -q '^ok selinux ' "$T/report"
	# The textfile family came through both.
	grep -q '^live_job_ok{job="x"} 1 ' "$T/hc.txt"
}

@test "live: netclass in netlink mode (and with-stats) equals node_exporter's, per collector" {
	skip_unless_bin hostcol
	skip_unless_cmd "$OBS_NODE_EXPORTER"
	args=(--collector.disable-defaults --collector.netclass --collector.netclass.netlink
		--collector.netclass_rtnl.with-stats --collector.netclass.ignored-devices='^ifb')
	start_node_exporter "${args[@]}"
	curl -sf "$NE_URL" >"$T/ne.txt"
	hc "${args[@]}" >"$T/hc.txt" 2>"$T/hc.err" && rc=0 || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/hc.err" ]
	mkdir -p "$T/cmp"
	sh "$DATA/live-compare.sh" "$T/hc.txt" "$T/ne.txt" "$DATA/live-allowlist-netclass-netlink.tsv" "$T/cmp" >"$T/report" 2>&1 && rc=0 || rc=$?
	cat "$T/report"
	[ "$rc" -eq 0 ]
	grep -q '^ok netclass ' "$T/report"
	# The link counters of with-stats (gauges, as node_exporter types them).
	grep -q '^ok netdev ' "$T/report"
	grep -q '^# TYPE node_network_receive_bytes_total gauge$' "$T/hc.txt"
	# The netlink mode's own HELP, lo from rtnetlink, ignored devices out.
	grep -q '^# HELP node_network_info Non-numeric data of <iface>, value is always 1.$' "$T/hc.txt"
	grep -q '^node_network_up{device="lo"} 0 ' "$T/hc.txt"
	grep -q '^node_network_iface_id{device="lo"} 1 ' "$T/hc.txt"
	if grep -q 'device="ifb' "$T/hc.txt"; then return 1; fi
	# The same values as node_exporter for what does not move.
	for m in node_network_iface_id node_network_mtu_bytes node_network_protocol_type node_network_flags node_network_info; do
		grep "^$m{" "$T/ne.txt" | sed 's/,[a-z]*=""//g; s/{[a-z]*="",/{/' | sort >"$T/want.$m"
		grep "^$m{" "$T/hc.txt" | sed 's/ [0-9]*$//' | sort >"$T/got.$m"
		diff -u "$T/want.$m" "$T/got.$m"
	done
}

@test "--interval: numbers changed in place, same layout, are read anew (meminfo, vmstat, diskstats, netstat, snmp6)" {
	skip_unless_bin hostcol
	P=$T/proc
	mkdir -p "$P/net" "$T/sys" "$T/udev"
	put() { printf "$2" >"$1.new" && mv "$1.new" "$1"; }
	# 0: first numbers; 1: some changed, as long as before (a line
	# byte for byte as long, so that a line passed over by mistake
	# keeps the next ones in step); 2: some longer.
	state() {
		local a=1000000 b=2000000 c=2000 d=7 e=100 f=200 g=6 h=1000 i=500 j=7 k=100
		[ "$1" = 1 ] && { a=1000001; b=2000001; c=2001; d=8; e=101; f=201; g=7; h=1001; i=501; j=8; k=101; }
		[ "$1" = 2 ] && { a=10000000; b=20000000; c=20000; d=10; e=1000; f=2000; g=70; h=10000; i=5000; j=80; k=1000; }
		put "$P/meminfo" "MemTotal:       16000000 kB\nMemFree:         $a kB\nMemAvailable:    8000000 kB\nCached:          $b kB\nHugePages_Total:       0\n"
		put "$P/vmstat" "nr_free_pages 100\npgfault $c\npgmajfault $d\noom_kill 3\n"
		put "$P/diskstats" "   8       0 sda $e 0 $f 30 40 0 50 60 0 70 90 0 0 0 0 0 0\n   8       1 sda1 1 0 2 3 4 0 5 6 0 7 9 0 0 0 0 0 0\n"
		put "$P/net/netstat" "TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 5 $g\nIpExt: InOctets OutOctets\nIpExt: $h 2000\n"
		put "$P/net/snmp" "Ip: Forwarding DefaultTTL InReceives\nIp: 1 64 300\nTcp: RtoAlgorithm CurrEstab InSegs\nTcp: 1 4 $i\nUdp: InDatagrams OutDatagrams\nUdp: 10 20\n"
		put "$P/net/snmp6" "Ip6InReceives                   \t100\nIp6InOctets                     \t$k\nUdp6InDatagrams                 \t$j\n"
	}
	args=(--path.procfs="$P" --path.sysfs="$T/sys" --path.udev.data="$T/udev"
		--collector.disable-defaults --collector.meminfo --collector.vmstat
		--collector.diskstats --collector.netstat)
	state 0
	hostcol_bg "$T/out" "${args[@]}"
	# Steady cycles first: each file is then compared with its last text.
	wait_cycles "$T/out" vmstat 3
	for s in 1 2; do
		state "$s"
		wait_cycles "$T/out" vmstat $(($(cycles_of "$T/out" vmstat) + 3))
		cp "$T/out" "$T/out.$s"
		hc "${args[@]}" >"$T/once.$s" 2>"$T/once.$s.err"
		[ ! -s "$T/once.$s.err" ]
	done
	hostcol_stop
	for s in 1 2; do
		# The last whole cycle of the copy: the timestamp before its last.
		ts=$(grep -v '^#' "$T/out.$s" | awk '{ print $NF }' | uniq | tail -n 2 | head -n 1)
		grep -v -e '^#' -e '^node_scrape_collector_duration' "$T/out.$s" |
			grep " $ts\$" | sed 's/ [0-9]*$//' >"$T/got.$s"
		grep -v -e '^#' -e '^node_scrape_collector_duration' "$T/once.$s" |
			sed 's/ [0-9]*$//' >"$T/want.$s"
		[ "$(wc -l <"$T/want.$s")" -eq 42 ]
		diff -u "$T/want.$s" "$T/got.$s"
	done
	grep -qx 'node_vmstat_pgfault 2001' "$T/got.1"
	grep -qx 'node_netstat_Ip6_InOctets 1000' "$T/got.2"
}
