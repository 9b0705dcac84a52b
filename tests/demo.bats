#!/usr/bin/env bats
# demo.bats: share/demo/run, what `make demo` runs: obsd's pipeline into a
# Prometheus on 127.0.0.1, the checklist, a clean stop after DEMO_SECONDS
# or on Ctrl-C, and nothing left running.

load helpers

teardown() {
	stop_peers
}

need_demo() {
	local p
	for p in obsd hostcol scrapecol relabel rwsend; do
		skip_unless_bin "$p"
	done
	skip_unless_cmd prometheus
	skip_unless_cmd setsid
}

# final_checklist OUT: the lines of the final checklist, up to its series
# total.
final_checklist() {
	sed -n '/^Final checklist after [0-9]*s /,/^demo: [0-9]* series arrived/p' "$1"
}

# checklist_ok FILE: every check of a checklist passed.
checklist_ok() {
	grep -Eq '^    ok    node +[1-9][0-9]* series$' "$1"
	grep -Eq '^    ok    prometheus +[1-9][0-9]* series$' "$1"
	grep -Eq '^    ok    obs +[1-9][0-9]* series$' "$1"
	[ "$(grep -c '^    ok    job=prometheus instance=127\.0\.0\.1:[0-9]* up=1$' "$1")" -eq 1 ]
	grep -qx '  no duplicate series per job: .*' "$1"
	grep -qx '    ok    none' "$1"
	grep -qx '    ok    none lacks one of cluster, collector, host, host_ip, source, e.g.' "$1"
	grep -Eq '^          \{__name__="node_load1",cluster="homelab",collector="obs",host="[^"]+",host_ip="127\.0\.0\.1",source="node"\} [0-9.e+-]+$' "$1"
	grep -Eq '^demo: [1-9][0-9]* series arrived in Prometheus$' "$1"
	refute grep -q FAIL "$1"
}

# nothing_left: no process with the test's directory in its command line
# (Prometheus, obsd and each member name a file in the demo's directory
# under $T), and that directory is gone.
nothing_left() {
	local i
	for ((i = 0; i < 50; i++)); do
		pgrep -f -- "$T/obs-demo" >/dev/null || break
		sleep 0.1
	done
	if pgrep -af -- "$T/obs-demo"; then
		echo "left running"
		return 1
	fi
	[ -z "$(ls -d "$T"/obs-demo.* 2>/dev/null)" ]
}

@test "DEMO_SECONDS=20: data from every source, the checklist passes, obsd and Prometheus stop by themselves" {
	need_demo
	SECONDS=0
	TMPDIR=$T BIN=$OBS_BIN DEMO_SECONDS=20 timeout 100 sh "$OBS_ROOT/share/demo/run" \
		</dev/null >"$T/out" 2>"$T/err" && st=0 || st=$?
	took=$SECONDS
	cat "$T/out" "$T/err"	# shown when the test fails
	[ "$st" -eq 0 ]
	[ ! -s "$T/err" ]
	[ "$took" -ge 20 ]
	[ "$took" -lt 80 ]
	# What runs where, first.
	grep -Eq '^obs demo: everything on 127\.0\.0\.1, files in '"$T"'/obs-demo\.[A-Za-z0-9]+ \(removed at the end\)$' "$T/out"
	grep -Eq '^  Prometheus  http://127\.0\.0\.1:[0-9]+  a pure remote-write receiver$' "$T/out"
	# A checklist once data arrived, then the final one after obsd drained.
	grep -Eq '^Checklist after [0-9]+s \(PromQL, to try at http://127\.0\.0\.1:[0-9]+/graph\):$' "$T/out"
	grep -qx 'Running until 20s after the start (DEMO_SECONDS)...' "$T/out"
	grep -qx 'obsd stopped cleanly (exit status 0)' "$T/out"
	final_checklist "$T/out" >"$T/final"
	[ -s "$T/final" ]
	checklist_ok "$T/final"
	[ "$(tail -n 1 "$T/out")" = "demo: ok: data arrived from every source" ]
	nothing_left
}

@test "Ctrl-C: obsd drains and stops, the final checklist passes, Prometheus stops, exit 0" {
	need_demo
	# As a terminal's Ctrl-C: SIGINT to the whole process group, which
	# does not ignore it (a background job of a script would).
	TMPDIR=$T BIN=$OBS_BIN setsid env --default-signal=INT sh "$OBS_ROOT/share/demo/run" \
		</dev/null >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	obs_track "$pid" demo
	wait_until 90 grep -q '^Running: look around at http://127\.0\.0\.1:[0-9]*/graph' "$T/out" ||
		{ cat "$T/out" "$T/err"; return 1; }
	# Prometheus listens on 127.0.0.1 and nowhere else.
	ppid_=$(pgrep -f -- "--config.file=$T/obs-demo\.[A-Za-z0-9]*/prometheus\.yml")
	[ -n "$ppid_" ]
	pid_listen_addrs "$ppid_" >"$T/addrs"
	[ -s "$T/addrs" ]
	refute grep -v '^0100007F:' "$T/addrs"
	kill -INT -- "-$pid"
	wait_until 60 refute obs_alive "$pid"
	wait "$pid" && st=0 || st=$?
	cat "$T/out" "$T/err"	# shown when the test fails
	[ "$st" -eq 0 ]
	grep -qx 'Stopping obsd (SIGTERM: it drains the pipeline into Prometheus)...' "$T/out"
	grep -qx 'obsd stopped cleanly (exit status 0)' "$T/out"
	final_checklist "$T/out" >"$T/final"
	[ -s "$T/final" ]
	checklist_ok "$T/final"
	[ "$(tail -n 1 "$T/out")" = "demo: ok: data arrived from every source" ]
	nothing_left
}

@test "a source that sends nothing fails its check: exit 1, FAIL lines, still a clean stop" {
	need_demo
	# The real programs, but a hostcol that writes nothing: no node
	# series, and no obs series either (hostcol reads the stats files).
	mkdir "$T/bin"
	for p in obsd scrapecol relabel rwsend; do
		ln -s "$OBS_BIN/$p" "$T/bin/$p"
	done
	printf '#!/bin/sh\necho $$ >>"%s/hostcol.pids"\nexec sleep 300\n' "$T" >"$T/bin/hostcol"
	chmod +x "$T/bin/hostcol"
	TMPDIR=$T BIN=$T/bin DEMO_SECONDS=10 timeout 100 sh "$OBS_ROOT/share/demo/run" \
		</dev/null >"$T/out" 2>"$T/err" && st=0 || st=$?
	cat "$T/out" "$T/err"	# shown when the test fails
	[ "$st" -eq 1 ]
	grep -qx 'demo: not every source sent data within 10s' "$T/err"
	final_checklist "$T/out" >"$T/final"
	grep -qx '    FAIL  node              0 series' "$T/final"
	grep -qx '    FAIL  obs               0 series' "$T/final"
	grep -Eq '^    ok    prometheus +[1-9][0-9]* series$' "$T/final"
	grep -qx 'obsd stopped cleanly (exit status 0)' "$T/out"
	[ "$(tail -n 1 "$T/out")" = "demo: FAILED: see the FAIL lines above" ]
	nothing_left
	# obsd stopped the stand-in too.
	[ -s "$T/hostcol.pids" ]
	while read -r p; do
		refute obs_alive "$p"
	done <"$T/hostcol.pids"
}

@test "DEMO_SECONDS that is not a number of seconds is a usage error; nothing starts" {
	for v in abc 0 -5 10s; do
		TMPDIR=$T DEMO_SECONDS=$v sh "$OBS_ROOT/share/demo/run" >"$T/out" 2>"$T/err" && st=0 || st=$?
		[ "$st" -eq 2 ]
		[ ! -s "$T/out" ]
		[ "$(cat "$T/err")" = "demo: DEMO_SECONDS must be a number of seconds, not '$v'" ]
		[ -z "$(ls -d "$T"/obs-demo.* 2>/dev/null)" ]
	done
}
