#!/bin/sh
# ctrcol.sh: CPU time and peak RSS per collection cycle of ctrcol with 20
# running containers, and the cost per container.
#
# usage: [OBS_BIN=DIR] [OBS_BENCH_OUT=DIR] [CONTAINERS=N] [CYCLES=N] [INTERVAL_MS=MS] sh bench/ctrcol.sh
#
# Starts CONTAINERS (20) busybox containers labelled obs.test=1 on the
# Docker engine at /var/run/docker.sock (importing obs-test-busybox:latest
# from /bin/busybox if needed), runs ctrcol --docker-only --interval over
# CYCLES cycles, and reads utime+stime from /proc/PID/stat (start-up and the
# first cycle's inspect calls included) and VmHWM from /proc/PID/status at
# the end; then the same over every cgroup (docker_only=false, the seed's
# setting).  The containers are removed by ID at the end.
# Target: under 1 ms CPU per container per cycle.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
cd "$(dirname "$0")/.." || exit 2
OBS_ROOT=${OBS_ROOT:-$(pwd)}
OBS_BIN=${OBS_BIN:-$OBS_ROOT/bin}
CONTAINERS=${CONTAINERS:-20}
CYCLES=${CYCLES:-200}
INTERVAL_MS=${INTERVAL_MS:-50}
IMAGE=obs-test-busybox:latest
[ -x "$OBS_BIN/ctrcol" ] || { echo "ctrcol.sh: $OBS_BIN/ctrcol is not built" >&2; exit 1; }
command -v docker >/dev/null || { echo "ctrcol.sh: docker is not installed" >&2; exit 1; }
curl -fsS --max-time 2 --unix-socket /var/run/docker.sock http://docker/_ping >/dev/null 2>&1 ||
	{ echo "ctrcol.sh: no Docker engine answers on /var/run/docker.sock" >&2; exit 1; }
own_out=
if [ -z "${OBS_BENCH_OUT:-}" ]; then
	OBS_BENCH_OUT=$(mktemp -d "${TMPDIR:-/tmp}/obs-bench-ctrcol.XXXXXX") || exit 1
	own_out=1
fi
W=$OBS_BENCH_OUT/ctrcol
mkdir -p "$W" || exit 1
ids=$W/ids
: >"$ids"
cleanup() {
	local id
	while read -r id; do
		[ -n "$id" ] && docker rm -f "$id" >/dev/null 2>&1
	done <"$ids"
	[ -n "$own_out" ] && rm -rf "$OBS_BENCH_OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sh tests/docker-image.sh "$IMAGE" || exit 1
for ((i = 0; i < CONTAINERS; i++)); do
	docker run -d --label obs.test=1 --label obs.bench=ctrcol \
		--label "com.example.index=$i" -m 32m "$IMAGE" sleep 3600 >>"$ids" || exit 1
done

tck=$(getconf CLK_TCK)

# measure NAME ARGS...: one ctrcol run over CYCLES cycles.
measure() {
	local name=$1 pid cycles ticks hwm i ctrs
	shift
	"$OBS_BIN/ctrcol" --interval "${INTERVAL_MS}ms" "$@" >"$W/$name.out" 2>"$W/$name.err" &
	pid=$!
	for ((i = 0; i < CYCLES * INTERVAL_MS / 10 + 3000; i++)); do
		cycles=$(grep -c '^machine_cpu_cores' "$W/$name.out")
		[ "$cycles" -ge "$CYCLES" ] && break
		sleep 0.01
	done
	ticks=$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid"
	cycles=$(grep -c '^machine_cpu_cores' "$W/$name.out")
	ctrs=$(grep '^container_last_seen' "$W/$name.out" | sed 's/.*id="\([^"]*\)".*/\1/' | sort -u | wc -l)
	awk -v n="$name" -v t="$ticks" -v hz="$tck" -v c="$cycles" -v k="$ctrs" -v hwm="$hwm" 'BEGIN {
		cpu = t / hz / c * 1000
		printf "%-26s %5d cycles %5d cgroups  %8.3f ms CPU/cycle  %7.4f ms CPU/cgroup/cycle  peak RSS %d KiB\n",
			n, c, k, cpu, cpu / k, hwm
	}'
}

echo "ctrcol: $CONTAINERS containers started; $CYCLES cycles every ${INTERVAL_MS}ms; CPU resolution 1/$tck s"
measure docker-only --docker-only
measure all-cgroups
measure docker-only-disk-usage --docker-only --disk-usage
