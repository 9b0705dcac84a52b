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
# both.  hostcol runs twice: writing into a pipe, as it runs in a
# pipeline (the target is judged on it), and into a file (shown).  CPU is user+system time in nanoseconds, summed over the threads
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
declare -A hc_pid
stop_hostcols() {
	local p
	for p in "${hc_pid[@]}"; do
		kill -TERM "$p" 2>/dev/null
		kill -CONT "$p" 2>/dev/null
	done
	wait
}
trap 'stop_peers; stop_hostcols; [ -n "$own_out" ] && rm -rf "$OBS_BENCH_OUT"' EXIT
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
# not counted (the first round begins after its first cycles).  Two of
# them: one writes into a pipe, as hostcol runs (hostcol | rwsend), read
# by a cat whose CPU is not counted (as curl's is not); the target is
# judged on it.  The other writes into a regular file on this disk, which
# costs it the file system's write path (ext4's delayed allocation, ~12%
# of a cycle), a path node_exporter, which writes to a socket, does not
# take: it is shown, not judged on.
start_hostcol() {	# NAME MODE -> pid in hc_pid[NAME], output in $W/NAME.txt
	: >"$W/$1.txt"
	if [ "$2" = pipe ]; then
		mkfifo "$W/$1.fifo" || exit 1
		cat "$W/$1.fifo" >"$W/$1.txt" &
		"$OBS_BIN/hostcol" "${args[@]}" --interval="${INTERVAL_MS}ms" >"$W/$1.fifo" 2>"$W/$1.err" &
	else
		"$OBS_BIN/hostcol" "${args[@]}" --interval="${INTERVAL_MS}ms" >"$W/$1.txt" 2>"$W/$1.err" &
	fi
	hc_pid[$1]=$!
}
cycles_done() {	# NAME
	n=$(grep -c '^node_scrape_collector_success{collector="cpu"}' "$W/$1.txt" 2>/dev/null)
	echo "${n:-0}"
}
# The output of a stopped hostcol is all in its file once cat has read
# the pipe: its size stops moving (bounded).
settled() {	# NAME
	local a b=-1 i
	for ((i = 0; i < 100; i++)); do
		a=$(stat -c %s "$W/$1.txt")
		[ "$a" = "$b" ] && return 0
		b=$a
		sleep 0.02
	done
	echo "hostcol.sh: $1's output does not settle" >&2
	return 1
}
declare -A bytes_per_cycle hc_ns hc_n hc_ratios
names="pipe file"
for m in $names; do start_hostcol "$m" "$m"; done
sleep 1
for m in $names; do
	kill -STOP "${hc_pid[$m]}"
	settled "$m" || exit 1
	# A round waits on the output's size, not on a count of its lines: a
	# grep over megabytes of output every few cycles would share the CPUs
	# and the caches with the cycles measured.  The exact count is taken
	# once hostcol is stopped.
	bytes_per_cycle[$m]=$(($(stat -c %s "$W/$m.txt") / $(cycles_done "$m")))
	hc_ns[$m]=0 hc_n[$m]=0 hc_ratios[$m]=
done
# One round of hostcol NAME: as many cycles as node_exporter's scrapes,
# from where its last round stopped it, with node_exporter stopped as
# hostcol is during its rounds (the Go runtime wakes now and then when
# idle: that would fall on hostcol).  Prints its ns and cycles.
hostcol_round() {	# NAME
	local c0 c1 want b a deadline pid="${hc_pid[$1]}"
	c0=$(cycles_done "$1")
	want=$(($(stat -c %s "$W/$1.txt") + per * bytes_per_cycle[$1] - bytes_per_cycle[$1] / 2))
	b=$(cpu_read "$pid")
	kill -CONT "$pid"
	sleep "$(awk -v n="$per" -v ms="$INTERVAL_MS" 'BEGIN { printf "%.3f", n * ms / 1000 }')"
	deadline=$((SECONDS + 60))
	while [ "$(stat -c %s "$W/$1.txt")" -lt "$want" ]; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "hostcol.sh: hostcol too slow" >&2; return 1; }
		sleep 0.02
	done
	kill -STOP "$pid"
	a=$(cpu_read "$pid")
	settled "$1" || return 1
	c1=$(cycles_done "$1")
	echo "$(cpu_delta "$b" "$a") $((c1 - c0))"
}
ne_ns=0 pg_ns=0
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
	kill -STOP "$NE_PID"
	line="round $r: node_exporter $(awk -v x="$nd" -v n="$per" 'BEGIN { printf "%.3f", x / n / 1e6 }') ms/cycle ($(awk -v x="$gd" -v n="$per" 'BEGIN { printf "%.3f", x / n / 1e6 }') with gzip)"
	for m in $names; do
		read -r hd hn < <(hostcol_round "$m")
		[ -n "${hn:-}" ] || { kill -CONT "$NE_PID"; exit 1; }
		hc_ns[$m]=$((hc_ns[$m] + hd)) hc_n[$m]=$((hc_n[$m] + hn))
		hc_ratios[$m]="${hc_ratios[$m]} $(awk -v nd="$nd" -v n="$per" -v hd="$hd" -v hn="$hn" 'BEGIN { printf "%.1f", (nd / n) / (hd / hn) }')"
		line="$line, hostcol > $m $(awk -v x="$hd" -v n="$hn" 'BEGIN { printf "%.3f", x / n / 1e6 }') ms/cycle ($hn cycles)"
	done
	kill -CONT "$NE_PID"
	ne_ns=$((ne_ns + nd)) pg_ns=$((pg_ns + gd))
	echo "$line"
done
ne_rss=$(hwm_kb "$NE_PID")
ne_series=$(grep -vc '^#' "$W/ne.txt")
stop_node_exporter
declare -A hc_rss hc_series
for m in $names; do
	hc_rss[$m]=$(hwm_kb "${hc_pid[$m]}")
	kill -TERM "${hc_pid[$m]}"
	kill -CONT "${hc_pid[$m]}"
	wait "${hc_pid[$m]}"
	unset "hc_pid[$m]"
	settled "$m" || exit 1
	hc_series[$m]=$(($(awk '!/^#/ { n++ } END { print n }' "$W/$m.txt") / $(cycles_done "$m")))
done
wait

summary() {	# NAME
	awk -v name="hostcol > $1" -v n="$((per * ROUNDS))" -v nt="$ne_ns" -v gt="$pg_ns" \
		-v ht="${hc_ns[$1]}" -v hn="${hc_n[$1]}" -v hr="${hc_rss[$1]}" \
		-v hs="${hc_series[$1]}" 'BEGIN {
		printf "%-16s %8d %14.3f %12d %8d\n", name, hn, ht / 1e6 / hn, hr, hs
	}'
}
ratio() {	# NAME -> the ratios' line
	awk -v name="$1" -v n="$((per * ROUNDS))" -v nt="$ne_ns" -v gt="$pg_ns" \
		-v ht="${hc_ns[$1]}" -v hn="${hc_n[$1]}" -v rs="${hc_ratios[$1]}" 'BEGIN {
		hc_ms = ht / 1e6 / hn
		printf "cpu ratio, hostcol > %s: %.1fx less (%.1fx against node_exporter with gzip); by round:%s\n",
			name, nt / 1e6 / n / hc_ms, gt / 1e6 / n / hc_ms, rs
	}'
}
echo "collectors: $cols"
printf "%-16s %8s %14s %12s %8s\n" "" "cycles" "cpu ms/cycle" "peak RSS kB" "series"
awk -v n="$((per * ROUNDS))" -v nt="$ne_ns" -v gt="$pg_ns" -v nr="$ne_rss" -v ns="$ne_series" 'BEGIN {
	printf "%-16s %8d %14.3f %12d %8d\n", "node_exporter", n, nt / 1e6 / n, nr, ns
	printf "%-16s %8d %14.3f %12s %8s\n", "  with gzip", n, gt / 1e6 / n, "", ""
}'
for m in $names; do summary "$m"; done
ratio pipe
echo "(target 10x, judged on hostcol > pipe, as hostcol runs)"
ratio file
awk -v nr="$ne_rss" -v hr="${hc_rss[pipe]}" 'BEGIN { printf "rss ratio: %.1fx less (target 5x)\n", nr / hr }'
