#!/usr/bin/env bats
# logtail.bats: logtail on files (rotation, truncation, positions, kill -9)
# and on a real Docker engine (json-file and API reads, compose labels,
# stdout and stderr, a TTY, lines over 16 KiB, --log-opt max-size
# rotation), checked through relabel with the seed's edge rules.

load helpers

DL=$BATS_TEST_DIRNAME/data/logtail
DOCKER_SOCK=/var/run/docker.sock
IMAGE=obs-test-busybox:latest

setup_file() {
	local pid i state=ok
	export LT_STATE=$BATS_FILE_TMPDIR/docker.state
	if ! docker_ping; then
		if [ -x /usr/sbin/dockerd ] && [ "$(id -u)" = 0 ]; then
			/usr/sbin/dockerd </dev/null >"$BATS_FILE_TMPDIR/dockerd.log" \
				2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
			pid=$!
			obs_track "$pid" dockerd
			for ((i = 0; i < 300; i++)); do
				docker_ping && break
				obs_alive "$pid" || break
				sleep 0.1
			done
			docker_ping || state="dockerd did not start (see $BATS_FILE_TMPDIR/dockerd.log)"
		else
			state="no Docker engine on $DOCKER_SOCK and /usr/sbin/dockerd cannot be started"
		fi
	fi
	if [ "$state" = ok ] && ! command -v docker >/dev/null; then
		state="no docker client"
	fi
	if [ "$state" = ok ] && ! build_image; then
		state="cannot build $IMAGE from /bin/busybox"
	fi
	echo "$state" >"$LT_STATE"
}

teardown_file() {
	stop_peers
}

setup() {
	skip_unless_bin logtail
	LT=$(obs_bin logtail)
	PFX=obslt$$x$BATS_TEST_NUMBER
}

teardown() {
	remove_ctrs "$BATS_TEST_TMPDIR/containers"
	stop_peers
}

docker_ping() {
	curl -fsS --max-time 2 --unix-socket "$DOCKER_SOCK" http://docker/_ping \
		>/dev/null 2>&1
}

# The test image without a registry: the static busybox and its applet
# links in an empty rootfs, imported from a tar (ctrcol.bats makes the
# same image; whoever comes first builds it).
build_image() {
	local root a
	docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
	[ -x /bin/busybox ] || return 1
	root=$(mktemp -d "$BATS_FILE_TMPDIR/rootfs.XXXXXX") || return 1
	mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" \
		"$root/etc" || return 1
	cp /bin/busybox "$root/bin/busybox" || return 1
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
	done
	tar -C "$root" -c . | docker import - "$IMAGE" >/dev/null ||
		docker image inspect "$IMAGE" >/dev/null 2>&1
}

need_docker() {
	local state
	state=$(cat "$LT_STATE" 2>/dev/null)
	[ "$state" = ok ] || skip "${state:-no Docker engine}"
}

# ctr NAME DOCKER-RUN-ARGS...: runs a container labelled obs.test=1 and
# records its ID for teardown; prints the ID.
ctr() {
	local name=$1 id
	shift
	id=$(docker run -d --label obs.test=1 --name "$name" "$@") || return 1
	echo "$id" >>"$BATS_TEST_TMPDIR/containers"
	echo "$id"
}

# remove_ctrs FILE: removes the containers FILE lists, by ID.
remove_ctrs() {
	local id
	[ -f "$1" ] || return 0
	while read -r id; do
		[ -n "$id" ] && docker rm -f "$id" >/dev/null 2>&1
	done <"$1"
	rm -f "$1"
}

# start_logtail OUT ARGS...: logtail in the background; sets LT_PID.
start_logtail() {
	local out=$1
	shift
	"$LT" "$@" </dev/null >"$out" 2>>"$T/lt.err" 3>&- &
	LT_PID=$!
	obs_track "$LT_PID" logtail
}

# wait_for FILE PATTERN [SECONDS]: until grep finds PATTERN in FILE.
wait_for() {
	local i
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "wait_for: '$2' not in $1" >&2
	return 1
}

# texts FILE: the log lines of the entries in FILE.
texts() {
	sed 's/^{[^}]*} [0-9]* "\(.*\)"$/\1/' "$1"
}

@test "logtail -h, --version and usage errors" {
	run "$LT" -h
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: logtail [-hv] [--docker[=SOCKET]] [--docker-read auto|api|json-file]" ]
	run "$LT" --version
	[ "$output" = "logtail version 0.1.0" ]
	"$LT" </dev/null >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ ! -s "$T/out" ]
	[ "$(head -1 "$T/err")" = "logtail: nothing to follow: give --docker or paths" ]
	"$LT" --docker --docker-read pipe 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "logtail: invalid --docker-read 'pipe': not auto, api or json-file" ]
}

@test "logtail --once: files and globs, the filename label, escapes, a last line without newline" {
	mkdir "$T/log"
	printf 'plain\nquote " and \\ back\ttab\n' >"$T/log/a.log"
	printf 'no newline at the end' >"$T/log/b.log"
	echo ignored >"$T/log/c.txt"
	"$LT" --once "$T/log/*.log" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	sed 's/} [0-9]* "/} TS "/' "$T/out" | sort >"$T/got"
	cat >"$T/want" <<-EOF
	{filename="$T/log/a.log"} TS "plain"
	{filename="$T/log/a.log"} TS "quote \" and \\\\ back\ttab"
	{filename="$T/log/b.log"} TS "no newline at the end"
	EOF
	diff -u "$T/want" "$T/got"
	# nanosecond times of now, increasing within a file
	awk '{print $2}' "$T/out" | grep -qx '1[0-9]\{18\}'
}

@test "logtail: lines over --max-line-size are cut and counted, memory stays bounded" {
	{
		echo short
		head -c 3000000 /dev/zero | tr '\0' x
		echo
		echo after
	} >"$T/big.log"
	"$LT" --once --max-line-size 1KiB --stats-file "$T/stats" "$T/big.log" >"$T/out"
	[ "$(texts "$T/out" | awk '{print length($0)}' | tr '\n' ' ')" = "5 1024 5 " ]
	grep -qx 'obs_logtail_lines_truncated_total 1' "$T/stats"
	grep -qx 'obs_logtail_entries_total 3' "$T/stats"
}

@test "logtail: rotation by rename and truncation while a writer writes; new files; vanished files" {
	mkdir "$T/log"
	start_logtail "$T/out" --poll-interval 20ms --positions "$T/pos" "$T/log/*.log"
	for ((i = 1; i <= 3000; i++)); do
		echo "line $i" >>"$T/log/app.log"
		case $i in
		1000) mv "$T/log/app.log" "$T/log/app.log.1" ;;
		2000) sleep 0.3; : >"$T/log/app.log" ;;
		esac
	done
	echo "other 1" >"$T/log/other.log"
	wait_for "$T/out" '"line 3000"'
	wait_for "$T/out" '"other 1"'
	rm "$T/log/other.log"
	sleep 0.3
	stop_pid "$LT_PID"
	[ ! -s "$T/lt.err" ]
	grep "app.log\"" "$T/out" | texts /dev/stdin >"$T/got"
	seq 1 3000 | sed 's/^/line /' >"$T/want"
	diff -u "$T/want" "$T/got"
	# the vanished file is forgotten, the live one kept
	[ "$(grep -c "file:" "$T/pos")" -eq 1 ]
	grep -q " file:$T/log/app.log\$" "$T/pos"
}

@test "logtail --positions: a restart resumes, kill -9 repeats at most the sync window" {
	mkdir "$T/log"
	seq 1 500 | sed 's/^/a /' >"$T/log/a.log"
	start_logtail "$T/out1" --poll-interval 20ms --sync-period 100ms \
		--positions "$T/pos" "$T/log/a.log"
	wait_for "$T/out1" '"a 500"'
	stop_pid "$LT_PID"
	seq 501 1000 | sed 's/^/a /' >>"$T/log/a.log"
	start_logtail "$T/out2" --poll-interval 20ms --sync-period 100ms \
		--positions "$T/pos" "$T/log/a.log"
	wait_for "$T/out2" '"a 1000"'
	# SIGTERM saved the place: nothing twice, nothing lost
	cat "$T/out1" "$T/out2" | texts /dev/stdin >"$T/got"
	seq 1 1000 | sed 's/^/a /' | diff - "$T/got"
	sleep 0.3
	kill -KILL "$LT_PID"
	wait "$LT_PID" || true
	seq 1001 1500 | sed 's/^/a /' >>"$T/log/a.log"
	start_logtail "$T/out3" --once --positions "$T/pos" "$T/log/a.log"
	wait "$LT_PID"
	# synced 300ms before the kill: only new lines come now
	texts "$T/out3" >"$T/got3"
	seq 1001 1500 | sed 's/^/a /' | diff - "$T/got3"
	# the file replaced while logtail was down: read from its start
	mv "$T/log/a.log" "$T/log/a.old"
	echo fresh >"$T/log/a.log"
	"$LT" --once --positions "$T/pos" "$T/log/a.log" >"$T/out4"
	[ "$(texts "$T/out4")" = fresh ]
}

# docker_case MODE: the edge pipeline over four containers; every line once,
# in order per stream, with the seed's labels.
docker_case() {
	local mode=$1 fast tty long
	start_logtail "$T/raw" --docker --docker-read "$mode" --poll-interval 50ms
	sleep 0.5
	fast=$(ctr "$PFX-fast" --label com.docker.compose.project=homelab \
		--label com.docker.compose.service=web "$IMAGE" sh -c '
		for i in $(seq 1 3000); do
			echo "level=info out $i"; echo "level=error err $i" >&2
		done; echo "out end"')
	long=$(ctr "$PFX-long" "$IMAGE" sh -c '
		head -c 40000 /dev/zero | tr "\0" a; echo
		head -c 16384 /dev/zero | tr "\0" b; echo
		echo "long end"')
	tty=$(ctr "$PFX-tty" -t "$IMAGE" sh -c 'echo "tty 1"; echo "tty 2"; echo "tty end"')
	docker wait "$fast" "$long" "$tty" >/dev/null
	wait_for "$T/raw" '"out end"'
	wait_for "$T/raw" '"long end"'
	wait_for "$T/raw" '"tty end"'
	stop_pid "$LT_PID"
	[ ! -s "$T/lt.err" ]
	"$(obs_bin relabel)" -c "$DL/edge.yml" "$T/raw" >"$T/out"

	grep "container=\"$PFX-fast\"" "$T/out" >"$T/fast"
	grep 'stream="stdout"' "$T/fast" | texts /dev/stdin >"$T/got"
	{ seq 1 3000 | sed 's/^/level=info out /'; echo "out end"; } | diff - "$T/got"
	grep 'stream="stderr"' "$T/fast" | texts /dev/stdin >"$T/got"
	seq 1 3000 | sed 's/^/level=error err /' | diff - "$T/got"
	# the seed's labels, exactly
	line=$(grep -m1 '"level=error err 1"' "$T/fast")
	[ "${line%% *}" = "{cluster=\"homelab\",compose_project=\"homelab\",compose_service=\"web\",container=\"$PFX-fast\",container_id=\"$fast\",host=\"edge\",image=\"$IMAGE\",level=\"error\",stream=\"stderr\"}" ]

	grep "container=\"$PFX-long\"" "$T/out" | texts /dev/stdin |
		awk '{print length($0)}' | tr '\n' ' ' >"$T/got"
	[ "$(cat "$T/got")" = "40000 16384 8 " ]
	grep "container=\"$PFX-tty\"" "$T/out" | texts /dev/stdin >"$T/got"
	printf 'tty 1\ntty 2\ntty end\n' | diff - "$T/got"
}

@test "logtail --docker json-file: every line once, in order, with the seed's labels" {
	need_docker
	skip_unless_bin relabel
	docker_case json-file
}

@test "logtail --docker api: the same through /containers/ID/logs?follow=1" {
	need_docker
	skip_unless_bin relabel
	docker_case api
}

@test "logtail --docker: json-file rotation (--log-opt max-size) loses nothing" {
	need_docker
	start_logtail "$T/raw" --docker --docker-read json-file --poll-interval 20ms
	sleep 0.5
	id=$(ctr "$PFX-rot" --log-opt max-size=20k --log-opt max-file=10 "$IMAGE" sh -c '
		i=0
		while [ $i -lt 4000 ]; do
			i=$((i + 1)); echo "rotating line $i with some padding text"
			[ $((i % 200)) -eq 0 ] && usleep 20000
		done; echo "rot end"')
	docker wait "$id" >/dev/null
	wait_for "$T/raw" '"rot end"'
	stop_pid "$LT_PID"
	[ "$(ls "$(docker inspect -f '{{.LogPath}}' "$id")"* | wc -l)" -gt 3 ]
	grep "/$PFX-rot\"" "$T/raw" | texts /dev/stdin >"$T/got"
	{ seq 1 4000 | sed 's/.*/rotating line & with some padding text/'; echo "rot end"; } |
		diff - "$T/got"
}

@test "logtail --docker --positions: stopped and started again, nothing lost or twice" {
	need_docker
	for mode in json-file api; do
		rm -f "$T/pos" "$T/raw1" "$T/raw2"
		start_logtail "$T/raw1" --docker --docker-read "$mode" \
			--poll-interval 50ms --positions "$T/pos"
		sleep 0.5
		id=$(ctr "$PFX-pos-$mode" "$IMAGE" sh -c '
			for i in $(seq 1 300); do echo "p $i"; usleep 10000; done')
		wait_for "$T/raw1" '"p 50"'
		stop_pid "$LT_PID"
		grep -q "docker:$id" "$T/pos"
		sleep 0.5
		start_logtail "$T/raw2" --docker --docker-read "$mode" \
			--poll-interval 50ms --positions "$T/pos"
		docker wait "$id" >/dev/null
		wait_for "$T/raw2" '"p 300"'
		stop_pid "$LT_PID"
		cat "$T/raw1" "$T/raw2" | grep "/$PFX-pos-$mode\"" | texts /dev/stdin >"$T/got"
		seq 1 300 | sed 's/^/p /' | diff - "$T/got"
		# nanoseconds, not whole seconds
		awk -v id="docker:$id" '$4 == id {print $1}' "$T/pos" | grep -qv '000000000$'
	done
}

@test "logtail --stats-file: entries, files, containers" {
	echo one >"$T/a.log"
	"$LT" --once --stats-file "$T/stats" "$T/a.log" >"$T/out"
	grep -qx 'obs_logtail_entries_total 1' "$T/stats"
	grep -qx 'obs_logtail_files_open 1' "$T/stats"
	grep -qx 'obs_logtail_bytes_total 3' "$T/stats"
}

@test "logtail: a closed stdout ends it with status 1 and one message" {
	seq 1 100000 >"$T/a.log"
	"$LT" --once "$T/a.log" 2>"$T/err" | head -1 >/dev/null
	st=${PIPESTATUS[0]}
	[ "$st" -eq 1 ]
	[ "$(cat "$T/err")" = "logtail: cannot write to standard output: Broken pipe" ]
}

@test "logtail --docker --once | relabel | lokipush: the edge pipeline into a Loki receiver" {
	need_docker
	skip_unless_bin relabel
	skip_unless_bin lokipush
	id=$(ctr "$PFX-e2e" --label com.docker.compose.project=homelab \
		--label com.docker.compose.service=api "$IMAGE" sh -c '
		for i in $(seq 1 2000); do echo "level=info n=$i"; done
		echo "level=warn done" >&2')
	docker wait "$id" >/dev/null
	mkdir -p "$T/r"
	"$OBS_PYTHON" "$BATS_TEST_DIRNAME/data/lokipush/receiver.py" "$T/r" \
		</dev/null >"$T/r/stderr" 2>&1 3>&- &
	obs_track "$!" receiver
	for ((i = 0; i < 100; i++)); do [ -s "$T/r/port" ] && break; sleep 0.1; done
	"$LT" --docker --once | "$(obs_bin relabel)" -c "$DL/edge.yml" |
		"$(obs_bin lokipush)" -u "http://127.0.0.1:$(cat "$T/r/port")/loki/api/v1/push" \
		2>"$T/err"
	[ ! -s "$T/err" ]
	grep "container=\"$PFX-e2e\"" "$T/r/entries" >"$T/got"
	grep 'stream="stdout"' "$T/got" | texts /dev/stdin >"$T/lines"
	seq 1 2000 | sed 's/^/level=info n=/' | diff - "$T/lines"
	[ "$(grep -c '' "$T/got")" -eq 2001 ]
	line=$(grep '"level=warn done"' "$T/got")
	[ "${line%% *}" = "{cluster=\"homelab\",compose_project=\"homelab\",compose_service=\"api\",container=\"$PFX-e2e\",container_id=\"$id\",host=\"edge\",image=\"$IMAGE\",level=\"warn\",stream=\"stderr\"}" ]
}
