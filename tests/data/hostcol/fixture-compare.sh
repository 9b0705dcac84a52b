#!/bin/sh
# fixture-compare.sh: runs hostcol on node_exporter's own test fixtures the
# way node_exporter's end-to-end test runs, and compares with its expected
# output (e2e-output.txt), per collector.
#
# usage: fixture-compare.sh HOSTCOL PEERS_NODE_EXPORTER_DIR WORKDIR
#
# The fixture tree is copied into WORKDIR/collector/fixtures (with the empty
# folders git cannot keep), hostcol runs from WORKDIR with the same paths
# and flags, and sample lines are compared as sets after dropping the
# timestamps and the lines node_exporter's own test drops; # HELP and
# # TYPE lines are compared too.  The expected set is computed here from
# e2e-output.txt: every line of the families the collectors below produce.
# Prints one line per collector ("ok NAME N lines" or "FAIL NAME ...") and
# the differing lines; exits 1 if any collector differs.

set -u
here=$(cd "$(dirname "$0")" && pwd)
case $1 in /*) hostcol=$1 ;; *) hostcol=$(pwd)/$1 ;; esac
peers=$2
work=$3

collectors='arp bcache bonding btrfs conntrack cpu cpu_vulnerabilities cpufreq diskstats dmi edac entropy fibrechannel filefd hwmon infiniband interrupts ipvs kernel_hung loadavg mdadm meminfo netclass netdev netstat nfs nfsd nvme os powersupplyclass pressure processes rapl schedstat sockstat softnet stat tapestats textfile thermal_zone time udp_queues vmstat watchdog xfs zfs'

F=collector/fixtures
mkdir -p "$work/collector" || exit 2
rm -rf "$work/$F"
cp -R "$peers" "$work/$F" || exit 2
while IFS= read -r d; do
	[ -n "$d" ] && mkdir -p "$work/$F/$d"
done <"$peers/empty-dirs.txt"
# The shared copy of the fixtures holds symlinks as small files naming
# their target (sys.ttar's 92 "../" links and proc/self); node_exporter ran
# on the real links, so the copy gets them back.
# Shell builtins only per file: a link file has no final newline, so
# read fails on it (and still sets t).
find "$work/$F/sys" "$work/$F/proc" -type f -size -300c | while IFS= read -r f; do
	IFS= read -r t <"$f" && continue
	case $f in
	*/proc/self) ;;
	*) case $t in ../*) ;; *) continue ;; esac ;;
	esac
	rm -f "$f" && ln -s "$t" "$f"
done

cd "$work" || exit 2
# The flags of node_exporter's end-to-end-test.sh that concern these
# collectors; the collectors it turns off are off here too.
"$hostcol" \
	--path.rootfs=$F --path.procfs=$F/proc --path.sysfs=$F/sys \
	--path.udev.data=$F/udev/data \
	--collector.disable-defaults \
	$(for c in $collectors; do printf -- '--collector.%s ' "$c"; done) \
	--collector.arp.device-exclude=nope --no-collector.arp.netlink \
	--collector.bcache.priorityStats \
	--collector.cpu.info \
	--collector.cpu.info.bugs-include='^(cpu_meltdown|spectre_.*|mds)$' \
	--collector.cpu.info.flags-include='^(aes|avx.?|constant_tsc)$' \
	--collector.hwmon.chip-include='(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)' \
	--collector.netclass.ignore-invalid-speed \
	--collector.netclass.ignored-devices='(dmz|int)' \
	--collector.netdev.device-include=lo \
	--collector.stat.softirq \
	--collector.textfile.directory=$F/textfile/two_metric_files/ \
	>hostcol.out 2>hostcol.err
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "FAIL hostcol exited $rc"
	cat hostcol.err
	exit 1
fi

drop='^(go_|node_exporter_build_info|node_scrape_collector_duration_seconds|process_|node_textfile_mtime_seconds|node_time_(zone|seconds)|node_network_(receive|transmit)_(bytes|packets)_total)'

classify() {
	awk -f "$here/classify.awk"
}

# An empty label value is no label in Prometheus (and in the line format,
# whose writer leaves such labels out): drop them on both sides.
noempty() {
	sed -E ':a
s/([{,])[a-zA-Z_][a-zA-Z0-9_]*=""([,}])/\1\2/
ta
s/,,+/,/g; s/\{,/{/; s/,\}/}/; s/\{\}//'
}

# Expected: e2e-output.txt without the dropped sample lines.
grep -Ev "$drop" "$peers/e2e-output.txt" | noempty | classify | sort -u >expected.txt
# Ours: timestamps dropped from sample lines, then the same filter.
# (sed, not awk's $NF: rebuilding the record would squeeze the spaces
# inside label values.)
sed -E '/^#/b; /^$/d; s/ [0-9-]+$//' hostcol.out |
	grep -Ev "$drop" | noempty | classify | sort -u >got.txt

fail=0
for c in $collectors; do
	awk -F '\t' -v c="$c" '$1 == c' expected.txt | cut -f2- | sort >"exp.$c"
	awk -F '\t' -v c="$c" '$1 == c' got.txt | cut -f2- | sort >"got.$c"
	missing=$(comm -23 "exp.$c" "got.$c" | wc -l)
	extra=$(comm -13 "exp.$c" "got.$c" | wc -l)
	n=$(wc -l <"exp.$c")
	if [ "$missing" -eq 0 ] && [ "$extra" -eq 0 ] && [ "$n" -gt 0 ]; then
		echo "ok $c $n lines"
	else
		echo "FAIL $c: $n expected, $missing missing, $extra extra"
		comm -23 "exp.$c" "got.$c" | sed 's/^/  - /' | head -20
		comm -13 "exp.$c" "got.$c" | sed 's/^/  + /' | head -20
		fail=1
	fi
done
exit $fail
