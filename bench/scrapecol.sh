#!/bin/sh
# scrapecol.sh: scrapecol | relabel | rwsend against vmagent and Prometheus
# in agent mode, in the same run: each scrapes the same 10,000-series target
# (a static file served on loopback) every second and remote-writes to the
# same VictoriaMetrics; CPU-seconds per million samples delivered and peak
# RSS of each, and the ratios.
#
# usage: [OBS_BIN=DIR] [OBS_BENCH_OUT=DIR] [DURATION=SECONDS] sh bench/scrapecol.sh
#
# CPU is utime+stime from /proc/PID/stat over the measured window (after a
# warm-up of 10 s); peak RSS is VmHWM from /proc/PID/status at the end
# (warm-up included).  For the pipeline both are the sums over its three
# processes, and each member's figures are printed too.  A sum of peaks
# is at least the peak of the sum, and each member counts the pages of
# libc it shares with the others again: both err against the pipeline.
# So the peak PSS, sampled each second of the window for every contender,
# is printed too: shared pages split among the processes sharing them.
# Samples delivered are counted in VictoriaMetrics per job (one job per
# contender), over the measured window.
#
# The contenders do the same work: the same target, interval and timeout,
# the same external label env=bench (relabel -l, -remoteWrite.label,
# external_labels), the same receiver, a durable queue each (rwsend -q,
# vmagent's -remoteWrite.tmpDataPath, the agent's WAL), staleness markers
# and the up and scrape_* series for each; all run at once, so they share
# the machine's noise.

# Peers start and stop through tests/helpers.bash, which wants bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
cd "$(dirname "$0")/.." || exit 2
OBS_ROOT=${OBS_ROOT:-$(pwd)}
OBS_BIN=${OBS_BIN:-$OBS_ROOT/bin}
DURATION=${DURATION:-60}
WARMUP=10
for p in scrapecol relabel rwsend; do
	[ -x "$OBS_BIN/$p" ] || { echo "scrapecol.sh: $OBS_BIN/$p is not built" >&2; exit 1; }
done
for c in vmagent victoria-metrics prometheus curl jq; do
	command -v "$c" >/dev/null || { echo "scrapecol.sh: $c is not installed" >&2; exit 1; }
done
own_out=
if [ -z "${OBS_BENCH_OUT:-}" ]; then
	OBS_BENCH_OUT=$(mktemp -d "${TMPDIR:-/tmp}/obs-bench-scrapecol.XXXXXX") || exit 1
	own_out=1
fi
W=$OBS_BENCH_OUT/scrapecol
mkdir -p "$W/srv" "$W/vmagent" "$W/prom" || exit 1
OBS_FALLBACK_TMPDIR=$W
export OBS_ROOT OBS_BIN OBS_FALLBACK_TMPDIR
# shellcheck source=../tests/helpers.bash
. tests/helpers.bash
trap 'stop_peers; [ -n "$own_out" ] && rm -rf "$OBS_BENCH_OUT"' EXIT
trap 'exit 130' INT TERM

# The target: 10,000 series over 7 families, as a node_exporter fleet
# behind a federation endpoint would show them, without timestamps.
awk 'BEGIN {
	nmode = split("idle user system iowait irq softirq steal nice", modes, " ")
	print "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode."
	print "# TYPE node_cpu_seconds_total counter"
	for (h = 0; h < 50; h++)
		for (cpu = 0; cpu < 8; cpu++)
			for (m = 1; m <= nmode; m++)
				printf "node_cpu_seconds_total{cpu=\"%d\",host=\"host%02d\",mode=\"%s\"} %.2f\n", cpu, h, modes[m], h * 15.5 + cpu * 3 + m
	print "# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes."
	print "# TYPE node_filesystem_avail_bytes gauge"
	for (h = 0; h < 50; h++)
		for (f = 0; f < 16; f++)
			printf "node_filesystem_avail_bytes{device=\"/dev/sd%c%d\",fstype=\"ext4\",host=\"host%02d\",mountpoint=\"/mnt/d%d\"} %d\n", 97 + f % 4, f, h, f, 1e10 - h * 4096 - f
	print "# HELP node_network_receive_bytes_total Network device statistic receive_bytes."
	print "# TYPE node_network_receive_bytes_total counter"
	for (h = 0; h < 50; h++)
		for (d = 0; d < 24; d++)
			printf "node_network_receive_bytes_total{device=\"eth%d\",host=\"host%02d\"} %d\n", d, h, h * 1048576 + d
	print "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles."
	print "# TYPE go_gc_duration_seconds summary"
	for (h = 0; h < 50; h++)
		for (q = 0; q < 5; q++)
			printf "go_gc_duration_seconds{host=\"host%02d\",quantile=\"%s\"} %g\n", h, (q == 0 ? "0" : q == 1 ? "0.25" : q == 2 ? "0.5" : q == 3 ? "0.75" : "1"), 1e-5 * (q + 1)
	print "# HELP node_disk_read_bytes_total The total number of bytes read successfully."
	print "# TYPE node_disk_read_bytes_total counter"
	for (h = 0; h < 50; h++)
		for (d = 0; d < 40; d++)
			printf "node_disk_read_bytes_total{device=\"nvme%dn%d\",host=\"host%02d\",model=\"Samsung SSD 980\"} %d\n", d / 4, d % 4, h, 65536 * (d + 1)
	print "# HELP node_hwmon_temp_celsius Hardware monitor for temperature (input)"
	print "# TYPE node_hwmon_temp_celsius gauge"
	for (h = 0; h < 50; h++)
		for (s = 0; s < 11; s++)
			printf "node_hwmon_temp_celsius{chip=\"platform_coretemp_%d\",host=\"host%02d\",sensor=\"temp%d\"} %.1f\n", s % 2, h, s, 40 + s
	print "# HELP node_interrupts_total Interrupt details."
	print "# TYPE node_interrupts_total counter"
	for (h = 0; h < 50; h++)
		for (i = 0; i < 40; i++)
			printf "node_interrupts_total{cpu=\"%d\",devices=\"IR-PCI-MSI-%d\",host=\"host%02d\",type=\"%d\"} %d\n", i % 8, i, h, 120 + i, 97 * h + i
}' >"$W/srv/target.prom" || exit 1
series=$(grep -vc '^#' "$W/srv/target.prom")

rm -f "$W/srv/port"	# a run before in the same OBS_BENCH_OUT left its own
"$OBS_PYTHON" tests/data/scrapecol/server.py "$W/srv" </dev/null >"$W/srv.log" 2>&1 &
obs_track "$!" scrape-server
for ((i = 0; i < 100; i++)); do
	[ -s "$W/srv/port" ] && break
	sleep 0.1
done
TARGET=127.0.0.1:$(cat "$W/srv/port")
start_victoria || exit 1
VM=$VM_URL
RW=$VM/api/v1/write

job() {
	printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n'
	[ -n "${2:-}" ] && printf '  external_labels: {env: bench}\n'
	printf 'scrape_configs:\n  - job_name: %s\n    metrics_path: /file/target.prom\n' "$1"
	printf '    static_configs: [{targets: ["%s"]}]\n' "$TARGET"
}

# 1. scrapecol | relabel | rwsend
job sc >"$W/sc.yml"
"$OBS_BIN/scrapecol" -c "$W/sc.yml" 2>"$W/sc.err" </dev/null |
	"$OBS_BIN/relabel" -l env=bench 2>"$W/relabel.err" |
	"$OBS_BIN/rwsend" -u "$RW" -q "$W/rwq" 2>"$W/rwsend.err" &
sleep 0.5
# The pipeline's members are children of this shell's subshells: find
# them by their parent chain below this shell.
pipe_pids=
for name in scrapecol relabel rwsend; do
	for p in $(pgrep -x "$name"); do
		pp=$p
		while [ "$pp" -gt 1 ]; do
			[ "$pp" = $$ ] && { pipe_pids="$pipe_pids $p"; break; }
			pp=$(awk '{ print $4 }' "/proc/$pp/stat" 2>/dev/null || echo 1)
		done
	done
done
for p in $pipe_pids; do
	obs_track "$p" pipeline
done
[ "$(echo $pipe_pids | wc -w)" -eq 3 ] || { echo "scrapecol.sh: pipeline did not start: $pipe_pids" >&2; exit 1; }

# 2. vmagent
job vmagent >"$W/vmagent.yml"
obs_start_peer vmagent /health vmagent -promscrape.config="$W/vmagent.yml" \
	-remoteWrite.url="$RW" -remoteWrite.label=env=bench \
	-remoteWrite.tmpDataPath="$W/vmagent" -httpListenAddr=127.0.0.1:@PORT@ || exit 1
va_pid=$OBS_PEER_PID

# 3. Prometheus in agent mode
job promagent x >"$W/prom.yml"
printf 'remote_write:\n  - url: %s\n' "$RW" >>"$W/prom.yml"
obs_start_peer prometheus-agent /-/ready prometheus --enable-feature=agent \
	--config.file="$W/prom.yml" --storage.agent.path="$W/prom" \
	--web.listen-address=127.0.0.1:@PORT@ || exit 1
pa_pid=$OBS_PEER_PID

ticks() {	# PID...: utime+stime in clock ticks, summed
	t=0
	for p; do
		v=$(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')
		t=$((t + v))
	done
	echo "$t"
}
hwm() {		# PID...: VmHWM in kB, summed
	t=0
	for p; do
		v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status")
		t=$((t + v))
	done
	echo "$t"
}

sleep "$WARMUP"
t0=$(date +%s)
c_sc0=$(ticks $pipe_pids)
read -r -a members <<<"$pipe_pids"
m0=()
for p in "${members[@]}"; do m0+=("$(ticks "$p")"); done
c_va0=$(ticks $va_pid)
c_pa0=$(ticks $pa_pid)
# PSS, sampled each second of the window, splits the pages the pipeline's
# members share (libc, the programs' text) among them: the memory the
# pipeline really takes, next to the sum of peak RSS that counts them
# once per member.  A 1 Hz sample can miss a peak, alike for each.
pss() {		# PID...: Pss in kB, summed
	t=0
	for p; do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup")
		t=$((t + v))
	done
	echo "$t"
}
s_sc=0 s_va=0 s_pa=0
for ((i = 0; i < DURATION; i++)); do
	sleep 1
	v=$(pss $pipe_pids); [ "$v" -gt "$s_sc" ] && s_sc=$v
	v=$(pss $va_pid); [ "$v" -gt "$s_va" ] && s_va=$v
	v=$(pss $pa_pid); [ "$v" -gt "$s_pa" ] && s_pa=$v
done
t1=$(date +%s)
c_sc1=$(ticks $pipe_pids)
m1=()
for p in "${members[@]}"; do m1+=("$(ticks "$p")"); done
c_va1=$(ticks $va_pid)
c_pa1=$(ticks $pa_pid)
m_sc=$(hwm $pipe_pids)
mm=()
for p in "${members[@]}"; do mm+=("$(hwm "$p")"); done
m_va=$(hwm $va_pid)
m_pa=$(hwm $pa_pid)
# Let the senders deliver what they scraped in the window.
sleep 10
vm_flush
sleep 2

# delivered JOB: samples of JOB in VictoriaMetrics with timestamps in [t0, t1).
delivered() {
	curl -fsS -G --data-urlencode "query=sum(count_over_time({job=\"$1\"}[$((t1 - t0))s]))" \
		--data-urlencode "time=$t1" "$VM/api/v1/query" | jq -r '.data.result[0].value[1] // "0"'
}
n_sc=$(delivered sc)
n_va=$(delivered vmagent)
n_pa=$(delivered promagent)
hz=$(getconf CLK_TCK)

echo "target: $series series, scraped every 1s for ${DURATION}s by each (after ${WARMUP}s warm-up)"
awk -v hz="$hz" \
	-v a="$((c_sc1 - c_sc0))" -v b="$((c_va1 - c_va0))" -v c="$((c_pa1 - c_pa0))" \
	-v na="$n_sc" -v nb="$n_va" -v nc="$n_pa" \
	-v ma="$m_sc" -v mb="$m_va" -v mc="$m_pa" \
	-v sa="$s_sc" -v sb="$s_va" -v sc="$s_pa" 'BEGIN {
	printf "%-34s %12s %10s %16s %12s\n", "contender", "samples", "cpu-s", "cpu-s/M samples", "peak RSS MiB"
	ca = a / hz; cb = b / hz; cc = c / hz
	pa = na > 0 ? ca / na * 1e6 : 0; pb = nb > 0 ? cb / nb * 1e6 : 0; pc = nc > 0 ? cc / nc * 1e6 : 0
	printf "%-34s %12d %10.2f %16.3f %12.1f\n", "scrapecol | relabel | rwsend", na, ca, pa, ma / 1024
	printf "%-34s %12d %10.2f %16.3f %12.1f\n", "vmagent", nb, cb, pb, mb / 1024
	printf "%-34s %12d %10.2f %16.3f %12.1f\n", "prometheus --enable-feature=agent", nc, cc, pc, mc / 1024
	if (pb > 0 && pc > 0)
		printf "ratios (pipeline / other): cpu per sample %.2fx vmagent, %.2fx prometheus agent; peak RSS %.2fx vmagent, %.2fx prometheus agent\n", pa / pb, pa / pc, ma / mb, ma / mc
	if (sb > 0 && sc > 0)
		printf "sampled peak PSS MiB: pipeline %.1f, vmagent %.1f, prometheus agent %.1f; ratios %.2fx vmagent, %.2fx prometheus agent\n", sa / 1024, sb / 1024, sc / 1024, sa / sb, sa / sc
}'
awk -v hz="$hz" -v a="$((m1[0] - m0[0]))" -v b="$((m1[1] - m0[1]))" -v c="$((m1[2] - m0[2]))" \
	-v ra="${mm[0]}" -v rb="${mm[1]}" -v rc="${mm[2]}" 'BEGIN {
	printf "pipeline cpu-s by member: scrapecol %.2f, relabel %.2f, rwsend %.2f\n", a / hz, b / hz, c / hz
	printf "pipeline peak RSS MiB by member: scrapecol %.1f, relabel %.1f, rwsend %.1f\n", ra / 1024, rb / 1024, rc / 1024
}'
[ "$n_sc" -gt 0 ] 2>/dev/null || { echo "scrapecol.sh: the pipeline delivered nothing" >&2; cat "$W/sc.err" "$W/rwsend.err" >&2; exit 1; }
