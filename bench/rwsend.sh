#!/bin/sh
# rwsend.sh: rwsend beside vmagent and Prometheus in agent mode, each
# remote-writing the same series to one local VictoriaMetrics in the same
# run: samples/s, CPU-seconds per million samples delivered, peak RSS, and
# the ratios.
#
# usage: [OBS_BIN=DIR] [OBS_BENCH_OUT=DIR] [SERIES=N] [CYCLES=N]
#        [AGENT_SECONDS=N] sh bench/rwsend.sh
#
# The input (SERIES series x CYCLES samples, default 10,000 x 100 = 1M, 1 s
# apart and ending now) is generated with awk.  rwsend reads it on stdin with
# an on-disk queue (-q); vmagent gets the same lines pushed to its
# /api/v1/import/prometheus with its on-disk queue (-remoteWrite.tmpDataPath);
# Prometheus' agent scrapes the same SERIES series from a static file (served
# by python's http.server) every second for AGENT_SECONDS (default 30), so
# its samples/s is bound by the scrape interval and only its CPU per million
# samples and RSS compare.  Delivery is counted by VictoriaMetrics'
# vm_rows_inserted_total{type="promremotewrite"}.
#
# CPU is user + system time of the agent process alone (all its threads):
# for the daemons from /proc/PID/stat before and after the measured span,
# for rwsend, which runs once and exits, from wait4(2)'s rusage through
# /usr/bin/time, which is the same kernel counters; its input is a file on
# its standard input (a < redirect), so no feeding process is counted.
# Peak RSS is VmHWM for the daemons and ru_maxrss (the same high-water mark)
# for rwsend.  rwsend runs three times: as configured by default (group
# commit: each shard's queue is fdatasynced at most once a second), with
# --fsync-interval 0 (an fdatasync per batch, before it is sent) and with
# --no-fsync, as vmagent and the Prometheus agent write their queues
# without a sync per block; "rwsend -h" shows the RSS floor of the shared
# libraries it loads.

set -u
cd "$(dirname "$0")/.." || exit 2
OBS_ROOT=${OBS_ROOT:-$(pwd)}
OBS_BIN=${OBS_BIN:-$OBS_ROOT/bin}
SERIES=${SERIES:-10000}
CYCLES=${CYCLES:-100}
AGENT_SECONDS=${AGENT_SECONDS:-30}
RW=$OBS_BIN/rwsend
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
[ -x "$RW" ] || { echo "rwsend.sh: $RW is not built" >&2; exit 1; }
for c in victoria-metrics vmagent prometheus curl /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "rwsend.sh: $c is not installed" >&2; exit 1; }
done

own_out=
if [ -z "${OBS_BENCH_OUT:-}" ]; then
	OBS_BENCH_OUT=$(mktemp -d "${TMPDIR:-/tmp}/obs-bench-rwsend.XXXXXX") || exit 1
	own_out=1
fi
W=$OBS_BENCH_OUT/rwsend
rm -rf "$W"
mkdir -p "$W" || exit 1
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	[ -n "$own_out" ] && rm -rf "$OBS_BENCH_OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_url URL: bounded wait (30 s) for a 2xx answer.
wait_url() {
	i=0
	while [ $i -lt 300 ]; do
		curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "rwsend.sh: no answer from $1" >&2
	return 1
}

tck=$(getconf CLK_TCK)
# cpu_of PID: user+system seconds so far.
cpu_of() {
	awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / t }' "/proc/$1/stat"
}
# rss_of PID: peak RSS in MiB.
rss_of() {
	awk '/^VmHWM:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"
}
# anon_watch PID FILE: keeps the peak RssAnon (KiB) of PID in FILE,
# sampled every 0.1 s while PID lives: RSS without the shared libraries'
# file pages, which other processes share.
anon_watch() {
	(
		m=0
		while a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null) &&
			[ -n "$a" ]; do
			[ "$a" -gt "$m" ] && m=$a && echo "$m" >"$2"
			sleep 0.1
		done
	) &
}
anon_of() { # FILE: MiB
	awk '{ printf "%.1f\n", $1 / 1024 }' "$1" 2>/dev/null || echo 0
}

# --- the receiver ---------------------------------------------------------
VMP=$(free_port)
victoria-metrics -httpListenAddr=127.0.0.1:"$VMP" -storageDataPath="$W/vm" \
	-retentionPeriod=100y -loggerLevel=ERROR >"$W/vm.log" 2>&1 &
pids="$pids $!"
wait_url "http://127.0.0.1:$VMP/health" || exit 1
VM_RW=http://127.0.0.1:$VMP/api/v1/write

inserted() {
	curl -fsS --max-time 5 "http://127.0.0.1:$VMP/metrics" |
		awk '/^vm_rows_inserted_total\{type="promremotewrite"\}/ { print $2 }'
}
# wait_rows BASE N: until N more rows arrived (bounded, 300 s).
wait_rows() {
	i=0
	while [ $i -lt 3000 ]; do
		[ $(($(inserted) - $1)) -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "rwsend.sh: only $(($(inserted) - $1)) of $2 rows arrived" >&2
	return 1
}
now() {
	date +%s.%N
}

# --- the input ------------------------------------------------------------
gen() { # PREFIX
	awk -v p="$1" -v s="$SERIES" -v c="$CYCLES" -v end="$(date +%s%3N)" 'BEGIN {
		for (k = 0; k < 10; k++) {
			printf "# HELP %s_%d Bench family %d.\n# TYPE %s_%d gauge\n", p, k, k, p, k
		}
		for (j = 0; j < c; j++) {
			ts = end - (c - 1 - j) * 1000
			for (i = 0; i < s; i++)
				printf "%s_%d{instance=\"host%03d.lan:9100\",job=\"node\",device=\"sd%d\",mode=\"m%d\"} %d %d\n", p, i % 10, i % 500, i % 13, i % 7, i * 10 + j, ts
		}
	}'
}
N=$((SERIES * CYCLES))
gen bench_rw >"$W/in.rw"
gen bench_vma >"$W/in.vma"

# --- rwsend ---------------------------------------------------------------
# run_rwsend NAME [OPTION...]: sets rw_wall, rw_cpu, rw_rss.
run_rwsend() {
	name=$1
	shift
	base=$(inserted)
	t0=$(now)
	/usr/bin/time -f '%e %U %S %M' -o "$W/$name.time" \
		"$RW" -u "$VM_RW" -q "$W/$name.q" --no-metadata "$@" \
		<"$W/in.$name" 2>"$W/$name.err" &
	tpid=$!
	i=0
	while [ $i -lt 100 ] && ! rpid=$(pgrep -P "$tpid"); do
		sleep 0.01
		i=$((i + 1))
	done
	[ -n "$rpid" ] && anon_watch "$rpid" "$W/$name.anon"
	wait "$tpid" ||
		{ echo "rwsend.sh: rwsend failed:" >&2; cat "$W/$name.err" >&2; exit 1; }
	wait_rows "$base" "$N" || exit 1
	t1=$(now)
	rw_wall=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
	rw_cpu=$(awk '{ printf "%.3f", $2 + $3 }' "$W/$name.time")
	rw_rss=$(awk '{ printf "%.1f", $4 / 1024 }' "$W/$name.time")
	rw_anon=$(anon_of "$W/$name.anon")
}
gen bench_rwn >"$W/in.rwn"
run_rwsend rwn --no-fsync
rn_wall=$rw_wall rn_cpu=$rw_cpu rn_rss=$rw_rss rn_anon=$rw_anon
gen bench_rws >"$W/in.rws"
run_rwsend rws --fsync-interval 0
rs_wall=$rw_wall rs_cpu=$rw_cpu rs_rss=$rw_rss rs_anon=$rw_anon
run_rwsend rw
/usr/bin/time -f '%M' -o "$W/rwh.time" "$RW" -h >/dev/null
rh_rss=$(awk '{ printf "%.1f", $1 / 1024 }' "$W/rwh.time")

# --- vmagent --------------------------------------------------------------
VAP=$(free_port)
vmagent -httpListenAddr=127.0.0.1:"$VAP" -remoteWrite.url="$VM_RW" \
	-remoteWrite.tmpDataPath="$W/vmaq" -loggerLevel=ERROR >"$W/vmagent.log" 2>&1 &
vpid=$!
pids="$pids $vpid"
anon_watch "$vpid" "$W/vmagent.anon"
wait_url "http://127.0.0.1:$VAP/health" || exit 1
sleep 1
base=$(inserted)
c0=$(cpu_of "$vpid")
t0=$(now)
curl -fsS --max-time 300 --data-binary @"$W/in.vma" \
	"http://127.0.0.1:$VAP/api/v1/import/prometheus" ||
	{ echo "rwsend.sh: push to vmagent failed" >&2; exit 1; }
wait_rows "$base" "$N" || exit 1
t1=$(now)
c1=$(cpu_of "$vpid")
va_wall=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
va_cpu=$(echo "$c0 $c1" | awk '{ printf "%.3f", $2 - $1 }')
va_rss=$(rss_of "$vpid")
va_anon=$(anon_of "$W/vmagent.anon")
kill "$vpid"

# --- Prometheus agent -----------------------------------------------------
mkdir -p "$W/static"
gen bench_pa | awk -v s="$SERIES" 'BEGIN { n = 0 } /^#/ { print; next }
		n < s { sub(/ [0-9]+$/, ""); print; n++ }' >"$W/static/metrics"
HP=$(free_port)
(cd "$W/static" && exec "$PY" -m http.server --bind 127.0.0.1 "$HP") >"$W/http.log" 2>&1 &
pids="$pids $!"
wait_url "http://127.0.0.1:$HP/metrics" || exit 1
cat >"$W/agent.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: bench
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:$HP']
remote_write:
  - url: $VM_RW
EOF
AP=$(free_port)
base=$(inserted)
prometheus --enable-feature=agent --config.file="$W/agent.yml" \
	--storage.agent.path="$W/agent" --web.listen-address=127.0.0.1:"$AP" \
	>"$W/agent.log" 2>&1 &
apid=$!
pids="$pids $apid"
anon_watch "$apid" "$W/agent.anon"
wait_url "http://127.0.0.1:$AP/-/ready" || exit 1
# measure from its first delivery on, not its start-up
wait_rows "$base" 1 || exit 1
base=$(inserted)
c0=$(cpu_of "$apid")
sleep "$AGENT_SECONDS"
c1=$(cpu_of "$apid")
pa_rows=$(($(inserted) - base))
pa_cpu=$(echo "$c0 $c1" | awk '{ printf "%.3f", $2 - $1 }')
pa_rss=$(rss_of "$apid")
pa_anon=$(anon_of "$W/agent.anon")
kill "$apid"

# --- report ---------------------------------------------------------------
echo "receiver: victoria-metrics on 127.0.0.1; $SERIES series x $CYCLES samples = $N samples"
printf '%-18s %10s %8s %12s %8s %12s %10s %10s\n' tool samples wall_s samples/s cpu_s cpu_s/Msample rss_MiB anon_MiB
row() { # NAME N WALL CPU RSS ANON [RATE]
	awk -v t="$1" -v n="$2" -v w="$3" -v c="$4" -v r="$5" -v a="$6" -v rate="${7:-}" 'BEGIN {
		printf "%-18s %10d %8.2f %12s %8.2f %12.3f %10.1f %10.1f\n", t, n, w,
			rate != "" ? rate : sprintf("%.0f", n / w), c, (n ? c / (n / 1e6) : 0), r, a }'
}
row "rwsend -q" "$N" "$rw_wall" "$rw_cpu" "$rw_rss" "$rw_anon"
row "rwsend sync/batch" "$N" "$rs_wall" "$rs_cpu" "$rs_rss" "$rs_anon"
row "rwsend --no-fsync" "$N" "$rn_wall" "$rn_cpu" "$rn_rss" "$rn_anon"
printf '%-18s %10s %8s %12s %8s %12s %10.1f %10s\n' "rwsend -h" - - - - - "$rh_rss" -
row "vmagent (import)" "$N" "$va_wall" "$va_cpu" "$va_rss" "$va_anon"
row "prometheus agent" "$pa_rows" "$AGENT_SECONDS" "$pa_cpu" "$pa_rss" "$pa_anon" "(scrape)"
# ratios NAME WALL CPU RSS ANON: rwsend against the two agents.
ratios() {
	awk -v t="$1" -v n="$N" -v rw="$2" -v rc="$3" -v rr="$4" -v ra="$5" \
		-v vw="$va_wall" -v vc="$va_cpu" -v vr="$va_rss" -v va="$va_anon" \
		-v pn="$pa_rows" -v pc="$pa_cpu" -v pr="$pa_rss" -v pa="$pa_anon" 'BEGIN {
		printf "ratio %s/vmagent: samples/s %.2f, cpu/Msample %.2f, rss %.2f, anon %.2f\n", t, vw / rw, rc / vc, rr / vr, (va ? ra / va : 0)
		if (pn > 0 && pc > 0)
			printf "ratio %s/prometheus-agent: cpu/Msample %.2f, rss %.2f, anon %.2f\n", t, (rc / n) / (pc / pn), rr / pr, (pa ? ra / pa : 0)
	}'
}
ratios rwsend "$rw_wall" "$rw_cpu" "$rw_rss" "$rw_anon"
ratios "rwsend sync/batch" "$rs_wall" "$rs_cpu" "$rs_rss" "$rs_anon"
ratios "rwsend --no-fsync" "$rn_wall" "$rn_cpu" "$rn_rss" "$rn_anon"
