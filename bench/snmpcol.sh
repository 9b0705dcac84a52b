#!/bin/sh
# snmpcol.sh: snmpcol and snmp_exporter 0.21 polling if_mib of the same
# local snmpd (every interface of this host) in the same run, one after
# the other, each back to back for DURATION seconds: CPU time and wall
# time per poll (per if_mib walk) and peak RSS of each, and the ratios.
#
# usage: [OBS_BIN=DIR] [OBS_BENCH_OUT=DIR] [DURATION=SECONDS] sh bench/snmpcol.sh
#
# snmpcol runs with -t and an interval of 1ms (a poll starts as soon as
# the last ended); its polls are counted with --stats-file.  snmp_exporter
# is scraped by curl (/snmp?module=if_mib), one scrape at a time, BATCH
# URLs per curl so one connection carries them and curl's own start is
# not counted as the exporter's wall time.  Wall time per poll is the
# window over the polls made in it, on the same clock for both.
# Both read the same snmp.yml (snmp_exporter 0.21's, from the peers).  CPU
# is utime+stime from /proc/PID/stat over the window (after a warm-up of
# WARMUP polls), for snmpcol summed over its parent and the target's
# child; peak RSS is VmHWM from /proc/PID/status at the end, summed the
# same way (which counts the pages the child shares with its parent, the
# loaded snmp.yml, twice: against snmpcol).  snmpd's and curl's CPU are
# not counted.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
cd "$(dirname "$0")/.." || exit 2
OBS_ROOT=${OBS_ROOT:-$(pwd)}
OBS_BIN=${OBS_BIN:-$OBS_ROOT/bin}
DURATION=${DURATION:-20}
WARMUP=20
BATCH=20
PEERS=${OBS_SNMP_PEERS:-$OBS_ROOT/../shared/peers/snmp_exporter}
CONFIG=$PEERS/snmp-v0.21.yml
: "${OBS_SNMPD:=snmpd}"
: "${OBS_SNMP_EXPORTER:=prometheus-snmp-exporter}"
[ -x "$OBS_BIN/snmpcol" ] || { echo "snmpcol.sh: $OBS_BIN/snmpcol is not built" >&2; exit 1; }
[ -r "$CONFIG" ] || { echo "snmpcol.sh: $CONFIG is absent" >&2; exit 1; }
for c in "$OBS_SNMPD" "$OBS_SNMP_EXPORTER" snmpget curl; do
	command -v "$c" >/dev/null || { echo "snmpcol.sh: $c is not installed" >&2; exit 1; }
done
own_out=
if [ -z "${OBS_BENCH_OUT:-}" ]; then
	OBS_BENCH_OUT=$(mktemp -d "${TMPDIR:-/tmp}/obs-bench-snmpcol.XXXXXX") || exit 1
	own_out=1
fi
W=$OBS_BENCH_OUT/snmpcol
mkdir -p "$W/persist" || exit 1
OBS_FALLBACK_TMPDIR=$W
export OBS_ROOT OBS_BIN OBS_FALLBACK_TMPDIR
# shellcheck source=../tests/helpers.bash
. tests/helpers.bash
trap 'stop_peers; [ -n "$own_out" ] && rm -rf "$OBS_BENCH_OUT"' EXIT
trap 'exit 130' INT TERM

ticks() {	# PID...: utime+stime in clock ticks, summed
	local t=0 p v
	for p; do
		v=$(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')
		t=$((t + v))
	done
	echo "$t"
}
hwm() {		# PID...: VmHWM in kB, summed
	local t=0 p v
	for p; do
		v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status")
		t=$((t + v))
	done
	echo "$t"
}

# The agent: all of system, ifTable and ifXTable to 127.0.0.1.
printf '%s\n' 'rocommunity public 127.0.0.1' 'sysName bench' >"$W/snmpd.conf"
port=$(free_port) || exit 1
SNMP_PERSISTENT_DIR="$W/persist" MIBS='' "$OBS_SNMPD" -f -Lo -C -c "$W/snmpd.conf" \
	-I -smux "udp:127.0.0.1:$port" </dev/null >"$W/snmpd.log" 2>&1 &
obs_track "$!" snmpd
for ((i = 0; i < 50; i++)); do
	MIBS='' snmpget -v2c -c public -t 0.2 -r 0 "127.0.0.1:$port" 1.3.6.1.2.1.1.5.0 \
		>/dev/null 2>&1 && break
	sleep 0.2
done
[ "$i" -lt 50 ] || { echo "snmpcol.sh: snmpd did not start" >&2; cat "$W/snmpd.log" >&2; exit 1; }
TARGET=127.0.0.1:$port

# 1. snmpcol -t, a poll every 1ms
printf 'interval: 1ms\ntargets:\n  - target: %s\n    module: if_mib\n    auth: public_v2\n' \
	"$TARGET" >"$W/targets.yml"
# snmp-v0.21.yml has the older layout: its module's own auth
sed -i '/auth: public_v2/d' "$W/targets.yml"
"$OBS_BIN/snmpcol" -c "$CONFIG" -t "$W/targets.yml" --stats-file "$W/stats.prom" \
	>/dev/null 2>"$W/snmpcol.err" </dev/null &
sc_pid=$!
obs_track "$sc_pid" snmpcol
polls() {
	sed -n 's/^obs_snmpcol_polls_total{.*} //p' "$W/stats.prom" 2>/dev/null || echo 0
}
for ((i = 0; i < 600; i++)); do
	[ "$(polls)" -ge "$WARMUP" ] 2>/dev/null && break
	sleep 0.1
done
child=$(pgrep -P "$sc_pid")
[ -n "$child" ] || { echo "snmpcol.sh: snmpcol did not start" >&2; cat "$W/snmpcol.err" >&2; exit 1; }
p0=$(polls)
c0=$(ticks "$sc_pid" $child)
t0=$(date +%s%N)
sleep "$DURATION"
p1=$(polls)
c1=$(ticks "$sc_pid" $child)
t1=$(date +%s%N)
m_sc=$(hwm "$sc_pid" $child)
m_parent=$(hwm "$sc_pid")
m_child=$(hwm $child)
fails=$(sed -n 's/^obs_snmpcol_poll_failures_total{.*} //p' "$W/stats.prom")
stop_pid "$sc_pid"
n_sc=$((p1 - p0))
series=$("$OBS_BIN/snmpcol" -c "$CONFIG" -m if_mib "$TARGET" | grep -vc '^#')

# 2. snmp_exporter 0.21, scraped back to back
obs_start_peer snmp_exporter /metrics "$OBS_SNMP_EXPORTER" --config.file="$CONFIG" \
	--web.listen-address=127.0.0.1:@PORT@ || exit 1
ex_pid=$OBS_PEER_PID
URL="http://127.0.0.1:$OBS_PEER_PORT/snmp?target=$TARGET&module=if_mib"
for ((i = 0; i < WARMUP; i++)); do
	curl -fsS -o /dev/null "$URL" || { echo "snmpcol.sh: scrape failed" >&2; exit 1; }
done
for ((i = 0; i < BATCH; i++)); do
	printf 'url = "%s"\noutput = "/dev/null"\n' "$URL"
done >"$W/curl.conf"
c2=$(ticks "$ex_pid")
t2=$(date +%s%N)
n_ex=0
end=$(($(date +%s) + DURATION))
while [ "$(date +%s)" -lt "$end" ]; do
	curl -fsS -K "$W/curl.conf" || { echo "snmpcol.sh: scrape failed" >&2; exit 1; }
	n_ex=$((n_ex + BATCH))
done
c3=$(ticks "$ex_pid")
t3=$(date +%s%N)
m_ex=$(hwm "$ex_pid")

hz=$(getconf CLK_TCK)
echo "if_mib of a local snmpd: $series series a poll; each polled back to back for ${DURATION}s"
awk -v hz="$hz" -v a="$((c1 - c0))" -v b="$((c3 - c2))" -v na="$n_sc" -v nb="$n_ex" \
	-v wa="$(((t1 - t0) / 1000))" -v wb="$(((t3 - t2) / 1000))" \
	-v ma="$m_sc" -v mb="$m_ex" -v fails="${fails:-0}" \
	-v mp="$m_parent" -v mc="$m_child" 'BEGIN {
	printf "%-28s %8s %8s %12s %13s %13s\n", "contender", "polls", "cpu-s", "cpu-ms/poll",
		"wall-ms/poll", "peak RSS MiB"
	pa = na > 0 ? a / hz / na * 1000 : 0; pb = nb > 0 ? b / hz / nb * 1000 : 0
	xa = na > 0 ? wa / na / 1000 : 0; xb = nb > 0 ? wb / nb / 1000 : 0
	printf "%-28s %8d %8.2f %12.3f %13.3f %13.1f\n", "snmpcol -t", na, a / hz, pa, xa, ma / 1024
	printf "%-28s %8d %8.2f %12.3f %13.3f %13.1f\n", "snmp_exporter 0.21 (curl)", nb, b / hz,
		pb, xb, mb / 1024
	if (pb > 0 && xb > 0 && mb > 0)
		printf "ratios (snmpcol / snmp_exporter): cpu per poll %.2fx, wall per poll %.2fx, peak RSS %.2fx\n",
			pa / pb, xa / xb, ma / mb
	printf "snmpcol peak RSS by process: parent %.1f MiB, poller %.1f MiB\n", mp / 1024, mc / 1024
	if (fails > 0)
		printf "snmpcol: %d failed polls\n", fails
}'
[ "$n_sc" -gt 0 ] && [ "$n_ex" -gt 0 ] || { echo "snmpcol.sh: no polls" >&2; exit 1; }
