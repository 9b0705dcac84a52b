#!/bin/sh
# relabel.sh: relabel's throughput on 1M node_exporter-like samples with ten
# typical rules, beside cat(1) on the same input; samples/s, ratio, peak RSS.
#
# usage: [OBS_BIN=DIR] [OBS_BENCH_OUT=DIR] [RUNS=N] sh bench/relabel.sh
#
# The input is generated deterministically (awk, no randomness): 10,000
# series with 5 to 8 labels, 100 cycles of them 15 s apart, each cycle with
# the # HELP/# TYPE lines of its families as a collector writes them.
# Target: 2M samples/s on one core.

set -u
cd "$(dirname "$0")/.." || exit 2
OBS_ROOT=${OBS_ROOT:-$(pwd)}
OBS_BIN=${OBS_BIN:-$OBS_ROOT/bin}
RUNS=${RUNS:-5}
R=$OBS_BIN/relabel
[ -x "$R" ] || { echo "relabel.sh: $R is not built" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "relabel.sh: hyperfine is not installed" >&2; exit 1; }
command -v jq >/dev/null || { echo "relabel.sh: jq is not installed" >&2; exit 1; }

own_out=
if [ -z "${OBS_BENCH_OUT:-}" ]; then
	OBS_BENCH_OUT=$(mktemp -d "${TMPDIR:-/tmp}/obs-bench-relabel.XXXXXX") || exit 1
	own_out=1
fi
trap '[ -n "$own_out" ] && rm -rf "$OBS_BENCH_OUT"' EXIT
trap 'exit 130' INT TERM
W=$OBS_BENCH_OUT/relabel
mkdir -p "$W" || exit 1
in=$W/input.prom
cfg=$W/rules.yml

# 10,000 series per cycle: per host (50 hosts) 200 series over 7 families.
awk 'BEGIN {
	t0 = 1714557600000
	nmode = split("idle user system iowait irq softirq steal nice", modes, " ")
	for (c = 0; c < 100; c++) {
		ts = t0 + c * 15000
		print "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode."
		print "# TYPE node_cpu_seconds_total counter"
		for (h = 0; h < 50; h++)
			for (cpu = 0; cpu < 8; cpu++)
				for (m = 1; m <= nmode; m++)
					printf "node_cpu_seconds_total{cpu=\"%d\",dc=\"dc%d\",env=\"Prod\",instance=\"host%02d.lan:9100\",job=\"node\",mode=\"%s\"} %.2f %d\n", cpu, h % 3, h, modes[m], c * 15.5 + cpu * 3 + m, ts
		print "# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes."
		print "# TYPE node_filesystem_avail_bytes gauge"
		for (h = 0; h < 50; h++)
			for (f = 0; f < 16; f++)
				printf "node_filesystem_avail_bytes{dc=\"dc%d\",device=\"/dev/sd%c%d\",fstype=\"%s\",instance=\"host%02d.lan:9100\",job=\"node\",mountpoint=\"/mnt/d%d\"} %d %d\n", h % 3, 97 + f % 4, f, (f % 4 == 3 ? "tmpfs" : "ext4"), h, f, 1e10 - c * 4096 - f, ts
		print "# HELP node_network_receive_bytes_total Network device statistic receive_bytes."
		print "# TYPE node_network_receive_bytes_total counter"
		for (h = 0; h < 50; h++)
			for (d = 0; d < 24; d++)
				printf "node_network_receive_bytes_total{dc=\"dc%d\",device=\"eth%d\",instance=\"host%02d.lan:9100\",job=\"node\",label_team=\"team%d\"} %d %d\n", h % 3, d, h, d % 5, c * 1048576 + d, ts
		print "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles."
		print "# TYPE go_gc_duration_seconds summary"
		for (h = 0; h < 50; h++)
			for (q = 0; q < 5; q++)
				printf "go_gc_duration_seconds{instance=\"host%02d.lan:9100\",job=\"node\",quantile=\"%s\",dc=\"dc%d\",env=\"Prod\"} %g %d\n", h, (q == 0 ? "0" : q == 1 ? "0.25" : q == 2 ? "0.5" : q == 3 ? "0.75" : "1"), h % 3, 1e-5 * (q + 1), ts
		print "# HELP node_disk_read_bytes_total The total number of bytes read successfully."
		print "# TYPE node_disk_read_bytes_total counter"
		for (h = 0; h < 50; h++)
			for (d = 0; d < 40; d++)
				printf "node_disk_read_bytes_total{dc=\"dc%d\",device=\"nvme%dn%d\",instance=\"host%02d.lan:9100\",job=\"node\",model=\"Samsung SSD 980\",serial=\"S%06d\"} %d %d\n", h % 3, d / 4, d % 4, h, h * 100 + d, c * 65536 * (d + 1), ts
		print "# HELP node_hwmon_temp_celsius Hardware monitor for temperature (input)"
		print "# TYPE node_hwmon_temp_celsius gauge"
		for (h = 0; h < 50; h++)
			for (s = 0; s < 11; s++)
				printf "node_hwmon_temp_celsius{chip=\"platform_coretemp_%d\",dc=\"dc%d\",instance=\"host%02d.lan:9100\",job=\"node\",sensor=\"temp%d\"} %.1f %d\n", s % 2, h % 3, h, s, 40 + (c + s) % 20, ts
		print "# HELP node_interrupts_total Interrupt details."
		print "# TYPE node_interrupts_total counter"
		for (h = 0; h < 50; h++)
			for (i = 0; i < 40; i++)
				printf "node_interrupts_total{cpu=\"%d\",dc=\"dc%d\",devices=\"IR-PCI-MSI-%d\",info=\"edge\",instance=\"host%02d.lan:9100\",job=\"node\",type=\"%d\"} %d %d\n", i % 8, h % 3, i, h, 120 + i, c * 97 + i, ts
	}
}' >"$in" || exit 1
# 50 hosts * (64 + 16 + 24 + 5 + 40 + 11 + 40) = 10,000 series a cycle.
samples=$(grep -vc '^#' "$in")
lines=$(wc -l <"$in")
bytes=$(wc -c <"$in")

cat >"$cfg" <<'EOF'
# Ten rules of the kind a homelab runs.
relabel_configs:
  # 1. drop Go runtime series by name
  - source_labels: [__name__]
    regex: 'go_.*'
    action: drop
  # 2. keep only the node_ families we chart
  - source_labels: [__name__]
    regex: 'node_(cpu|filesystem|network|disk|hwmon|interrupts)_.*'
    action: keep
  # 3. drop pseudo file systems
  - source_labels: [fstype]
    regex: 'tmpfs|overlay|squashfs'
    action: drop
  # 4. host name from the instance, without the port
  - source_labels: [instance]
    regex: '([^:]+):\d+'
    target_label: host
    replacement: '$1'
  # 5. Kubernetes-style label_ labels become plain labels
  - regex: 'label_(.+)'
    replacement: '$1'
    action: labelmap
  # 6. and the originals go
  - regex: 'label_.+|serial'
    action: labeldrop
  # 7. a shard number for this instance
  - source_labels: [instance]
    modulus: 4
    target_label: __tmp_shard
    action: hashmod
  # 8. this relabel keeps shards 0-3 (all, as a one-shard setup does)
  - source_labels: [__tmp_shard]
    regex: '[0-3]'
    action: keep
  # 9. lower-case the environment
  - source_labels: [env]
    target_label: env
    action: lowercase
  # 10. one more constant label
  - target_label: region
    replacement: eu-west
EOF
"$R" -c "$cfg" <"$in" >"$W/out.prom" || { echo "relabel.sh: relabel failed on the input" >&2; exit 1; }
kept=$(grep -vc '^#' "$W/out.prom")

echo "input: $lines lines, $samples samples, $bytes bytes; rules keep $kept samples"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), runs: $RUNS"

hyperfine --style basic --warmup 1 --runs "$RUNS" \
	--export-json "$W/h.json" \
	-n cat "cat '$in' > /dev/null" \
	-n 'relabel (no rules)' "'$R' < '$in' > /dev/null" \
	-n 'relabel -c rules.yml' "'$R' -c '$cfg' < '$in' > /dev/null" || exit 1

# Wall time suffers when the machine is busy; CPU time (user + system)
# is the figure for "samples/s on one core".
jq -r --argjson n "$samples" '
	def r2: . * 100 | floor / 100;
	.results as $r |
	($r[] | select(.command == "cat") | .mean) as $cat |
	$r[] | "\(.command): wall \(.mean * 1000 | floor) ms = \($n / .mean / 1e6 | r2) M samples/s (\(.mean / $cat | r2)x cat); cpu \((.user + .system) * 1000 | floor) ms = \($n / (.user + .system) / 1e6 | r2) M samples/s per core"' \
	"$W/h.json"

if [ -x /usr/bin/time ]; then
	for mode in none rules; do
		if [ $mode = none ]; then set -- "$R"; else set -- "$R" -c "$cfg"; fi
		/usr/bin/time -v "$@" <"$in" >/dev/null 2>"$W/time.$mode" || exit 1
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/time.$mode")
		echo "peak RSS (relabel, $mode): $rss KiB"
	done
fi
