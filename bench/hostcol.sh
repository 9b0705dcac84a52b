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
# usage: [OBS_BIN=DIR] [OBS_BENCH_OUT=DIR] [CYCLES=N] [ROUNDS=R]
#        [INTERVAL_MS=MS] sh bench/hostcol.sh
#
# The N cycles of each are run in R alternating rounds (node_exporter's
# N/R scrapes, then hostcol's N/R cycles), so that a change in the
# machine's state between rounds (other work, the host's load) falls on
# both.  CPU is user+system time in nanoseconds, summed over the threads
# (/proc/PID/task/*/schedstat), read at a round's start and end; hostcol
# is stopped with SIGSTOP between its rounds so that its cycles and its
# CPU are read at the same instant, and its start-up is not counted (nor
# is node_exporter's: 5 warm-up scrapes); curl's CPU is not counted.  The
# ratio is the sums' over all rounds; each round's is printed too.
# node_exporter is scraped twice a round: plainly (the figure the target
# is judged on), and as Prometheus scrapes it, with its Accept header and
# gzip, which is what node_exporter costs where it is deployed (hostcol's
# output is compressed once, later, by rwsend, as Prometheus' remote
# write compresses node_exporter's samples again).
# Peak RSS is VmHWM from /proc/PID/status at the end.
# Targets: 10x less CPU per collection and 5x less RSS than node_exporter.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
cd "$(dirname "$0")/.." || exit 2
OBS_ROOT=${OBS_ROOT:-$(pwd)}
OBS_BIN=${OBS_BIN:-$OBS_ROOT/bin}
CYCLES=${CYCLES:-500}
ROUNDS=${ROUNDS:-5}
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

# CPU in nanoseconds: the sum of sum_exec_runtime (/proc/PID/task/*/
# schedstat) over the process' threads, which a clock tick cannot resolve
# over a round's hundred cycles of hostcol.  A thread that ends between two
# readings would take its time with it: then the round counts in clock
# ticks from /proc/PID/stat instead (which keeps ended threads' time).
cpu_read() {	# PID -> "tids ns ticks"
	local t tids='' ns=0 v
	for t in /proc/"$1"/task/*; do
		read -r v _ <"$t/schedstat" 2>/dev/null || continue
		tids="$tids${t##*/},"
		ns=$((ns + v))
	done
	echo "$tids $ns $(ticks "$1")"
}
# cpu_delta BEFORE AFTER -> ns; a thread present before and gone after:
# the ticks' difference instead.
cpu_delta() {
	local btids bns bticks atids ans aticks t
	read -r btids bns bticks <<<"$1"
	read -r atids ans aticks <<<"$2"
	for t in ${btids//,/ }; do
		case ",$atids" in *",$t,"*) ;; *) echo $(((aticks - bticks) * 1000000000 / hz)); return ;; esac
	done
	echo $((ans - bns))
}

start_node_exporter --web.disable-exporter-metrics "${args[@]}" || { echo "hostcol.sh: node_exporter did not start" >&2; exit 1; }
for i in 1 2 3 4 5; do curl -sf "$NE_URL" >/dev/null || exit 1; done
curl -sf "$NE_URL" >"$W/ne.txt" || { echo "hostcol.sh: scrape failed" >&2; exit 1; }
per=$((CYCLES / ROUNDS))
# What Prometheus 2.x sends with every scrape (scrape/scrape.go); with
# gzip, node_exporter compresses each answer.
prom_accept='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'

for ((i = 0; i < per; i++)); do urls+=("$NE_URL"); done

# hostcol: one process for all rounds, stopped (SIGSTOP) between them so
# that its cycles and CPU are read at the same instant; its start-up is
# not counted (the first round begins after its first cycles).
: >"$W/hc.txt"
"$OBS_BIN/hostcol" "${args[@]}" --interval="${INTERVAL_MS}ms" >"$W/hc.txt" 2>"$W/hc.err" &
hc_pid=$!
cycles_done() {
	n=$(grep -c '^node_scrape_collector_success{collector="cpu"}' "$W/hc.txt" 2>/dev/null)
	echo "${n:-0}"
}
sleep 1
kill -STOP "$hc_pid"
# A round waits on the output's size, not on a count of its lines: a grep
# over megabytes of output every few cycles would share the CPUs and the
# caches with the cycles measured.  The exact count is taken once hostcol
# is stopped.
bytes_per_cycle=$(($(stat -c %s "$W/hc.txt") / $(cycles_done)))
ne_ns=0 pg_ns=0 hc_ns=0 hc_n=0 ratios=
for ((r = 1; r <= ROUNDS; r++)); do
	# node_exporter: a round of scrapes on one kept-alive connection.
	b=$(cpu_read "$NE_PID")
	curl -sf --rate "$((60000 / INTERVAL_MS))/m" "${urls[@]}" >/dev/null || { echo "hostcol.sh: scrape failed" >&2; exit 1; }
	a=$(cpu_read "$NE_PID")
	nd=$(cpu_delta "$b" "$a")
	# The same, asked as Prometheus asks (its Accept header, gzip).
	b=$(cpu_read "$NE_PID")
	curl -sf --compressed -H "Accept: $prom_accept" \
		--rate "$((60000 / INTERVAL_MS))/m" "${urls[@]}" >/dev/null || { echo "hostcol.sh: scrape failed" >&2; exit 1; }
	a=$(cpu_read "$NE_PID")
	gd=$(cpu_delta "$b" "$a")
	# hostcol: as many cycles, from where the last round stopped it,
	# with node_exporter stopped as hostcol is during its rounds (the Go
	# runtime wakes now and then when idle: that would fall on hostcol).
	kill -STOP "$NE_PID"
	c0=$(cycles_done)
	want=$(($(stat -c %s "$W/hc.txt") + per * bytes_per_cycle - bytes_per_cycle / 2))
	b=$(cpu_read "$hc_pid")
	kill -CONT "$hc_pid"
	sleep "$(awk -v n="$per" -v ms="$INTERVAL_MS" 'BEGIN { printf "%.3f", n * ms / 1000 }')"
	deadline=$((SECONDS + 60))
	while [ "$(stat -c %s "$W/hc.txt")" -lt "$want" ]; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "hostcol.sh: hostcol too slow" >&2; kill "$hc_pid"; kill -CONT "$hc_pid"; exit 1; }
		sleep 0.02
	done
	kill -STOP "$hc_pid"
	a=$(cpu_read "$hc_pid")
	kill -CONT "$NE_PID"
	c1=$(cycles_done)
	hd=$(cpu_delta "$b" "$a")
	ne_ns=$((ne_ns + nd)) pg_ns=$((pg_ns + gd)) hc_ns=$((hc_ns + hd)) hc_n=$((hc_n + c1 - c0))
	ratios="$ratios $(awk -v nd="$nd" -v n="$per" -v hd="$hd" -v hn="$((c1 - c0))" 'BEGIN { printf "%.1f", (nd / n) / (hd / hn) }')"
	printf 'round %d: node_exporter %.3f ms/cycle (%.3f with gzip), hostcol %.3f ms/cycle (%d cycles)\n' "$r" \
		"$(awk -v x="$nd" -v n="$per" 'BEGIN { print x / n / 1e6 }')" \
		"$(awk -v x="$gd" -v n="$per" 'BEGIN { print x / n / 1e6 }')" \
		"$(awk -v x="$hd" -v n="$((c1 - c0))" 'BEGIN { print x / n / 1e6 }')" "$((c1 - c0))"
done
hc_rss=$(hwm_kb "$hc_pid")
ne_rss=$(hwm_kb "$NE_PID")
ne_series=$(grep -vc '^#' "$W/ne.txt")
stop_node_exporter
kill -TERM "$hc_pid"
kill -CONT "$hc_pid"
wait "$hc_pid"
hc_cycles=$(cycles_done)
hc_series=$(awk '!/^#/ { n++ } END { print n }' "$W/hc.txt")
hc_series=$((hc_series / hc_cycles))

awk -v n="$((per * ROUNDS))" -v nt="$ne_ns" -v gt="$pg_ns" -v ht="$hc_ns" -v hn="$hc_n" \
	-v nr="$ne_rss" -v hr="$hc_rss" -v ns="$ne_series" -v hs="$hc_series" -v rs="$ratios" 'BEGIN {
	ne_ms = nt / 1e6 / n; pg_ms = gt / 1e6 / n; hc_ms = ht / 1e6 / hn
	printf "collectors: %s\n", "'"$cols"'"
	printf "%-14s %8s %14s %12s %8s\n", "", "cycles", "cpu ms/cycle", "peak RSS kB", "series"
	printf "%-14s %8d %14.3f %12d %8d\n", "node_exporter", n, ne_ms, nr, ns
	printf "%-14s %8d %14.3f %12s %8s\n", "  with gzip", n, pg_ms, "", ""
	printf "%-14s %8d %14.3f %12d %8d\n", "hostcol", hn, hc_ms, hr, hs
	printf "cpu ratio: %.1fx less (target 10x); by round:%s\n", ne_ms / hc_ms, rs
	printf "cpu ratio against node_exporter scraped as Prometheus scrapes it (gzip): %.1fx less\n", pg_ms / hc_ms
	printf "rss ratio: %.1fx less (target 5x)\n", nr / hr
}'
