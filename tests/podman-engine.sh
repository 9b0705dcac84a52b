#!/bin/sh
# podman-engine.sh: a private, rootful Podman API service for the tests,
# with its own storage, runtime state and config under one directory, and
# the test image imported without a registry.  Nothing is pulled: every
# container runs the imported busybox image with --network none.
#
#   sh tests/podman-engine.sh start DIR [IMAGE]
#	DIR is created (a short path: it holds the socket DIR/podman.sock).
#	Starts `podman system service` in the background (PID in
#	DIR/service.pid, log in DIR/service.log), waits at most 30 s for
#	/_ping, imports IMAGE (default obs-test-busybox:latest) from
#	/bin/busybox, runs one container.  Exit 0 when ready; else 1 with the
#	reason on stdout (what the tests skip with), and whatever was started
#	is stopped and DIR removed.
#   sh tests/podman-engine.sh stop DIR
#	Removes every container of the private store, stops the service by
#	its PID, unmounts what podman left mounted under DIR, removes DIR.
set -u

# pm ARGS...: the podman client, talking to the private service.
pm() {
	timeout 60 podman --remote --url "unix://$dir/podman.sock" "$@"
}

ping_ok() {
	curl -fsS --max-time 2 --unix-socket "$dir/podman.sock" http://podman/_ping \
		>/dev/null 2>&1
}

alive() {
	kill -0 "$1" 2>/dev/null &&
		! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# ours: the PIDs of the processes whose command line names DIR (the
# service, conmon, podman's cleanup helpers).
ours() {
	for f in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' 2>/dev/null <"$f" | grep -q -F " $dir/" || continue
		p=${f#/proc/}
		echo "${p%/cmdline}"
	done
}

# hard_limit NAME MAX: our hard limit NAME (/proc/self/limits), at most MAX.
hard_limit() {
	awk -v n="$1" -v max="$2" 'index($0, n " ") == 1 {
		sub("^" n " +", ""); split($0, f, " +")
		v = f[2] == "unlimited" || f[2] + 0 > max ? max : f[2]; print v }' /proc/self/limits
}

# fail REASON: the reason on stdout, then stop what was started.
fail() {
	echo "$1"
	stop >/dev/null 2>&1
	exit 1
}

start() {
	image=${1:-obs-test-busybox:latest}
	command -v podman >/dev/null || { echo "podman is not installed"; exit 1; }
	[ "$(id -u)" = 0 ] || { echo "the podman tests run podman rootful: not root"; exit 1; }
	[ -x /bin/busybox ] || { echo "no /bin/busybox (busybox-static)"; exit 1; }
	mkdir -p "$dir/root" "$dir/run" "$dir/tmp" "$dir/networks" || exit 1
	# Rootful podman asks runc for nofile 1048576 and nproc 32768 (and
	# lowers its own nproc to that): where a hard limit may not be raised
	# (no CAP_SYS_RESOURCE, as here), ask for what we already have.
	nofile=$(hard_limit 'Max open files' 1048576)
	nproc=$(hard_limit 'Max processes' 32768)
	cat >"$dir/containers.conf" <<EOF
[containers]
log_driver = "k8s-file"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
[network]
network_config_dir = "$dir/networks"
EOF
	# Only the runtime that is installed: runc (docker.io) or crun.
	command -v runc >/dev/null || sed -i 's/^runtime = "runc"/runtime = "crun"/' "$dir/containers.conf"
	# vfs: plain copies, no mount that could outlive the service.
	CONTAINERS_CONF=$dir/containers.conf \
		podman --root "$dir/root" --runroot "$dir/run" --tmpdir "$dir/tmp" \
		--storage-driver vfs system service --time=0 "unix://$dir/podman.sock" \
		</dev/null >"$dir/service.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo $! >"$dir/service.pid"
	i=0
	while [ $i -lt 300 ]; do
		ping_ok && break
		alive "$(cat "$dir/service.pid")" || break
		sleep 0.1
		i=$((i + 1))
	done
	ping_ok || fail "podman system service did not start: $(tail -n 1 "$dir/service.log")"
	root=$(mktemp -d "${TMPDIR:-/tmp}/obs-rootfs.XXXXXX") || fail "mktemp failed"
	mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
	done
	tar -C "$root" -c . | pm import - "$image" >"$dir/import.log" 2>&1
	st=$?
	rm -rf "$root"
	[ $st -eq 0 ] || fail "podman import failed: $(tail -n 1 "$dir/import.log")"
	# one container through the whole path (runtime, cgroups, limits)
	out=$(pm run --rm --pull never --network none -m 64m "$image" echo ok 2>&1)
	[ "$out" = ok ] || fail "podman cannot run a container here: $(printf '%s' "$out" | tail -n 1)"
	exit 0
}

stop() {
	[ -d "$dir" ] || return 0
	if [ -f "$dir/service.pid" ]; then
		pid=$(cat "$dir/service.pid")
		if ping_ok; then
			for id in $(pm ps -aq --no-trunc 2>/dev/null); do
				pm rm -f -t 0 "$id" >/dev/null 2>&1
			done
		fi
		if alive "$pid"; then
			kill -TERM "$pid"
			i=0
			while [ $i -lt 100 ] && alive "$pid"; do
				sleep 0.1
				i=$((i + 1))
			done
			alive "$pid" && kill -KILL "$pid"
		fi
	fi
	# conmon and its `podman container cleanup` outlive a removal by a
	# moment: wait for them, then stop what is left of them by PID
	i=0
	while [ $i -lt 100 ] && [ -n "$(ours)" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	for pid in $(ours); do
		kill -KILL "$pid" 2>/dev/null
	done
	# a container's shm, should one be left: never rm -rf through a mount
	awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount -l "$m"; done
	if awk -v d="$dir/" 'index($5, d) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
		echo "podman-engine.sh: mounts left under $dir: not removed" >&2
		return 1
	fi
	rm -rf "$dir"
}

[ $# -ge 2 ] || { echo "usage: podman-engine.sh start|stop DIR [IMAGE]" >&2; exit 2; }
cmd=$1
dir=$2
shift 2
case $cmd in
start) start "$@" ;;
stop) stop ;;
*) echo "usage: podman-engine.sh start|stop DIR [IMAGE]" >&2; exit 2 ;;
esac
