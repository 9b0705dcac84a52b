#!/usr/bin/env bats
# logtail.bats: logtail on files (rotation, truncation, positions, kill -9)
# and on a real Docker engine (json-file and API reads, compose labels,
# stdout and stderr, a TTY, lines over 16 KiB, --log-opt max-size
# rotation), checked through relabel with the seed's edge rules.

load helpers

DL=$BATS_TEST_DIRNAME/data/logtail
IMAGE=$DOCKER_IMAGE

setup_file() {
	docker_start_engine || true
}

teardown_file() {
	docker_rm_test_containers
	docker_stop_engine
	stop_peers
}

setup() {
	skip_unless_bin logtail
	LT=$(obs_bin logtail)
	PFX=obslt$$x$BATS_TEST_NUMBER
}

teardown() {
	docker_rm_test_containers
	stop_peers
}

# start_logtail OUT ARGS...: logtail in the background; sets LT_PID.
start_logtail() {
	local out=$1
	shift
	"$LT" "$@" </dev/null >"$out" 2>>"$T/lt.err" 3>&- &
	LT_PID=$!
	obs_track "$LT_PID" logtail
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
	wait_until 30 grep -q -- '"line 3000"' "$T/out"
	wait_until 30 grep -q -- '"other 1"' "$T/out"
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
	wait_until 30 grep -q -- '"a 500"' "$T/out1"
	stop_pid "$LT_PID"
	seq 501 1000 | sed 's/^/a /' >>"$T/log/a.log"
	start_logtail "$T/out2" --poll-interval 20ms --sync-period 100ms \
		--positions "$T/pos" "$T/log/a.log"
	wait_until 30 grep -q -- '"a 1000"' "$T/out2"
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

# own NAME TEXT FILE: TEXT is in a line of FILE from the container NAME (a
# suite run beside this one on the same Docker engine prints the same
# lines, so a wait for the text alone could end before NAME was read).
own() {
	grep -F -- "/$1\"" "$3" | grep -qF -- "\"$2\""
}

# docker_case MODE: the edge pipeline over four containers; every line once,
# in order per stream, with the seed's labels.
docker_case() {
	local mode=$1 fast tty long
	start_logtail "$T/raw" --docker --docker-read "$mode" --poll-interval 50ms
	sleep 0.5
	fast=$(docker_run_test "$PFX-fast" --label com.docker.compose.project=homelab \
		--label com.docker.compose.service=web "$IMAGE" sh -c '
		for i in $(seq 1 3000); do
			echo "level=info out $i"; echo "level=error err $i" >&2
		done; echo "out end"')
	long=$(docker_run_test "$PFX-long" "$IMAGE" sh -c '
		head -c 40000 /dev/zero | tr "\0" a; echo
		head -c 16384 /dev/zero | tr "\0" b; echo
		echo "long end"')
	tty=$(docker_run_test "$PFX-tty" -t "$IMAGE" sh -c 'echo "tty 1"; echo "tty 2"; echo "tty end"')
	docker wait "$fast" "$long" "$tty" >/dev/null
	wait_until 30 own "$PFX-fast" "out end" "$T/raw"
	wait_until 30 own "$PFX-long" "long end" "$T/raw"
	wait_until 30 own "$PFX-tty" "tty end" "$T/raw"
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
	id=$(docker_run_test "$PFX-rot" --log-opt max-size=20k --log-opt max-file=10 "$IMAGE" sh -c '
		i=0
		while [ $i -lt 4000 ]; do
			i=$((i + 1)); echo "rotating line $i with some padding text"
			[ $((i % 200)) -eq 0 ] && usleep 20000
		done; echo "rot end"')
	docker wait "$id" >/dev/null
	wait_until 30 own "$PFX-rot" "rot end" "$T/raw"
	stop_pid "$LT_PID"
	[ "$(ls "$(docker inspect -f '{{.LogPath}}' "$id")"* | wc -l)" -gt 3 ]
	grep "/$PFX-rot\"" "$T/raw" | texts /dev/stdin >"$T/got"
	{ seq 1 4000 | sed 's/.*/rotating line & with some padding text/'; echo "rot end"; } |
		diff - "$T/got"
}

# Lines as Docker writes them, {"log":..,"stream":..,"time":..}, are read
# without a JSON tree; any other shape of the same object goes through the
# JSON parser.  Each text here is written both ways: the two must agree.
@test "logtail --docker json-file: Docker's own lines and other JSON shapes decode the same" {
	need_docker
	id=$(docker_run_test "$PFX-json" "$IMAGE" true)
	docker wait "$id" >/dev/null
	/usr/bin/python3 - "$(docker inspect -f '{{.LogPath}}' "$id")" <<-'PY'
	import json, sys
	texts = ["plain\n", 'quote " back \\ tab \t cr\r\n', "ctl \x07\x1b[0m del \x7f\n",
	         "html <a href='x'>&amp;</a>\n", "é 日本 😀 \u2028\n", "nul \x00 b \b f \f\n",
	         "\n", "x" * 300 + "\n"]
	raw = [r'pair \ud83d\ude00 lone \ud83d x low \ude00 y \ud83d\ud83d\n',
	       r'\/slash \u00E9\u00e9 \u0026 \u001B\n']
	out = open(sys.argv[1], "w", encoding="utf-8", errors="surrogatepass")
	n = 0
	def put(body, stream):
	    global n
	    t = "2026-01-02T03:04:05.%09dZ" % n
	    n += 1
	    out.write('{"log":%s,"stream":"%s","time":"%s"}\n' % (body, stream, t))
	    t = "2026-01-02T03:04:05.%09dZ" % n
	    n += 1
	    out.write('{"time":"%s", "stream":"%s", "log":%s}\n' % (t, stream, body))
	for i, s in enumerate(texts):
	    for ea in (True, False):
	        put(json.dumps(s, ensure_ascii=ea), "stderr" if i % 3 else "stdout")
	for r in raw:
	    put('"' + r + '"', "stdout")
	out.close()
	PY
	"$LT" --docker --docker-read json-file --once >"$T/raw" 2>"$T/err"
	# Nothing about this container; other containers of a shared engine
	# may come and go while it reads (their warnings name them).
	if grep -q "${id:0:12}" "$T/err"; then return 1; fi
	if grep -v "^logtail: .*container '[0-9a-f]\{12\}'" "$T/err"; then return 1; fi
	grep -a "/$PFX-json\"" "$T/raw" >"$T/mine"
	# 18 entries, each written both ways
	[ "$(wc -l <"$T/mine")" -eq 36 ]
	# pairs: the same stream and text, one nanosecond apart
	sed 's/ \([0-9]*\) "/ "/' "$T/mine" | awk 'NR % 2 { a = $0; next } $0 != a { print "differ: " a; print "   and: " $0; bad = 1 } END { exit bad }'
	grep -qF '"pair 😀 lone � x low � y ��"' "$T/mine"
	grep -qF '"/slash éé & \x1b"' "$T/mine"
	grep -qF '"ctl \x07\x1b[0m del \x7f"' "$T/mine"
	grep -qF '"nul \x00 b \x08 f \x0c"' "$T/mine"
	grep -F '} 1767323045000000006 "quote \" back \\ tab \t cr"' "$T/mine" |
		grep -qF '__meta_docker_container_log_stream="stderr"'
}

@test "logtail --docker --positions: stopped and started again, nothing lost or twice" {
	need_docker
	for mode in json-file api; do
		rm -f "$T/pos" "$T/raw1" "$T/raw2"
		start_logtail "$T/raw1" --docker --docker-read "$mode" \
			--poll-interval 50ms --positions "$T/pos"
		sleep 0.5
		id=$(docker_run_test "$PFX-pos-$mode" "$IMAGE" sh -c '
			for i in $(seq 1 300); do echo "p $i"; usleep 10000; done')
		wait_until 30 own "$PFX-pos-$mode" "p 50" "$T/raw1"
		stop_pid "$LT_PID"
		grep -q "docker:$id" "$T/pos"
		sleep 0.5
		start_logtail "$T/raw2" --docker --docker-read "$mode" \
			--poll-interval 50ms --positions "$T/pos"
		docker wait "$id" >/dev/null
		wait_until 30 own "$PFX-pos-$mode" "p 300" "$T/raw2"
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
	id=$(docker_run_test "$PFX-e2e" --label com.docker.compose.project=homelab \
		--label com.docker.compose.service=api "$IMAGE" sh -c '
		for i in $(seq 1 2000); do echo "level=info n=$i"; done
		echo "level=warn done" >&2')
	docker wait "$id" >/dev/null
	mkdir -p "$T/r"
	"$OBS_PYTHON" "$BATS_TEST_DIRNAME/data/lokipush/receiver.py" "$T/r" \
		</dev/null >"$T/r/stderr" 2>&1 3>&- &
	obs_track "$!" receiver
	wait_file "$T/r/port"
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
