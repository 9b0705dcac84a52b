#!/bin/sh
# hostcol.sh: CPU time and peak RSS per collection, hostcol against Debian's
# node_exporter on the same collectors, in the same run: hostcol --interval
# over N cycles, and N scrapes of a node_exporter restricted to the same
# collectors on one kept-alive connection (as Prometheus scrapes), paced at
# hostcol's interval (curl --rate) so that both wake from idle alike every
# cycle, with node_exporter's own go_*, process_* and promhttp_* metrics
# off (--web.disable-exporter-metrics) so that both collect and write the
# same series.
#
# usage: [OBS_BIN=DIR] [OBS_BENCH_OUT=DIR] [CYCLES=N] [INTERVAL_MS=MS] sh bench/hostcol.sh
#
# CPU is utime+stime from /proc/PID/stat (clock ticks) over the N cycles
# (after 5 warm-up cycles for node_exporter; hostcol's start-up is counted,
# and hostcol is stopped with SIGSTOP before it is read so the count of
# cycles and the ticks agree), divided by N; curl's CPU is not counted.
# Peak RSS is VmHWM from /proc/PID/status at the end.
# Targets: 10x less CPU per collection and 5x less RSS than node_exporter.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
cd "$(dirname "$0")/.." || exit 2
OBS_ROOT=${OBS_ROOT:-$(pwd)}
OBS_BIN=${OBS_BIN:-$OBS_ROOT/bin}
CYCLES=${CYCLES:-500}
INTERVAL_MS=${INTERVAL_MS:-50}
[ -x "$OBS_BIN/hostcol" ] || { echo "hostcol.sh: $OBS_BIN/hostcol is not built" >&2; exit 1; }
for c in prometheus-node-exporter curl; do
	command -v "$c" >/dev/null || { echo "hostcol.sh: $c is not installed" >&2; exit 1; }
done
own_out=
if [ -z "${OBS_BENCH_OUT:-}" ]; then
	OBS_BENCH_OUT=$(mktemp -d "${TMPDIR:-/tmp}/obs-bench-hostcol.XXXXXX") || exit 1
	own_out=1
fi
W=$OBS_BENCH_OUT/hostcol
mkdir -p "$W" || exit 1
OBS_FALLBACK_TMPDIR=$W
export OBS_ROOT OBS_BIN OBS_FALLBACK_TMPDIR
# shellcheck source=../tests/helpers.bash
. tests/helpers.bash
trap 'stop_peers; [ -n "$own_out" ] && rm -rf "$OBS_BENCH_OUT"' EXIT
trap 'exit 130' INT TERM

cols="cpu cpufreq diskstats filesystem hwmon loadavg meminfo netdev netstat pressure stat textfile thermal_zone time uname vmstat"
args=(--collector.disable-defaults)
for c in $cols; do args+=("--collector.$c"); done
urls=()

ticks() {	# utime+stime of PID, in clock ticks
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}
hz=$(getconf CLK_TCK)

# node_exporter: N scrapes, one after the other.
start_node_exporter --web.disable-exporter-metrics "${args[@]}" || { echo "hostcol.sh: node_exporter did not start" >&2; exit 1; }
for i in 1 2 3 4 5; do curl -sf "$NE_URL" >/dev/null || exit 1; done
for ((i = 0; i < CYCLES; i++)); do urls+=("$NE_URL"); done
t0=$(ticks "$NE_PID")
curl -sf --rate "$((60000 / INTERVAL_MS))/m" "${urls[@]}" >"$W/ne-all.txt" || { echo "hostcol.sh: scrape failed" >&2; exit 1; }
t1=$(ticks "$NE_PID")
curl -sf "$NE_URL" >"$W/ne.txt" || { echo "hostcol.sh: scrape failed" >&2; exit 1; }
ne_ticks=$((t1 - t0))
ne_rss=$(hwm_kb "$NE_PID")
ne_series=$(grep -vc '^#' "$W/ne.txt")
stop_node_exporter

# hostcol: N cycles of --interval in one process, measured at its end.
: >"$W/hc.txt"
"$OBS_BIN/hostcol" "${args[@]}" --interval="${INTERVAL_MS}ms" >"$W/hc.txt" 2>"$W/hc.err" &
hc_pid=$!
# Wait for N cycles (one node_scrape_collector_success{collector="cpu"} each).
# Sleep through most of them first: grep over the growing output while
# hostcol runs would share the cache and the CPUs with it, which curl's
# output to node_exporter's run has no match for.
sleep "$((CYCLES * INTERVAL_MS * 9 / 10 / 1000))"
cycles_done() {
	n=$(grep -c '^node_scrape_collector_success{collector="cpu"}' "$W/hc.txt" 2>/dev/null)
	echo "${n:-0}"
}
deadline=$((SECONDS + CYCLES * INTERVAL_MS / 1000 + 60))
while [ "$(cycles_done)" -lt "$CYCLES" ]; do
	[ "$SECONDS" -lt "$deadline" ] || { echo "hostcol.sh: hostcol too slow" >&2; kill "$hc_pid"; exit 1; }
	sleep 0.2
done
kill -STOP "$hc_pid"
hc_ticks=$(ticks "$hc_pid")
hc_rss=$(hwm_kb "$hc_pid")
hc_cycles=$(cycles_done)
kill -TERM "$hc_pid"
kill -CONT "$hc_pid"
wait "$hc_pid"
hc_series=$(awk '!/^#/ { n++ } END { print n }' "$W/hc.txt")
hc_series=$((hc_series / hc_cycles))

awk -v n="$CYCLES" -v hz="$hz" -v nt="$ne_ticks" -v ht="$hc_ticks" -v hn="$hc_cycles" \
	-v nr="$ne_rss" -v hr="$hc_rss" -v ns="$ne_series" -v hs="$hc_series" 'BEGIN {
	ne_ms = nt * 1000 / hz / n; hc_ms = ht * 1000 / hz / hn
	printf "collectors: %s\n", "'"$cols"'"
	printf "%-14s %8s %14s %12s %8s\n", "", "cycles", "cpu ms/cycle", "peak RSS kB", "series"
	printf "%-14s %8d %14.3f %12d %8d\n", "node_exporter", n, ne_ms, nr, ns
	printf "%-14s %8d %14.3f %12d %8d\n", "hostcol", hn, hc_ms, hr, hs
	if (hc_ms > 0) printf "cpu ratio: %.1fx less (target 10x)\n", ne_ms / hc_ms
	else printf "cpu ratio: hostcol below the clock tick over %d cycles (target 10x)\n", hn
	printf "rss ratio: %.1fx less (target 5x)\n", nr / hr
}'
