#!/usr/bin/env bats
# harness.bats: tests of the test harness (helpers.bash, tests/run,
# tests/tapsum.sh, tests/deps.sh), of the build (install, clang) and of the
# demo.

load helpers

teardown() {
	stop_peers
}

# --- helpers.bash ---------------------------------------------------------

@test "free_port: ten distinct free ports in 20000-60000" {
	for i in 1 2 3 4 5 6 7 8 9 10; do
		free_port >>"$T/ports" || return 1
	done
	[ "$(wc -l <"$T/ports")" -eq 10 ]
	[ "$(sort -u "$T/ports" | wc -l)" -eq 10 ]
	while read -r p; do
		[ "$p" -ge 20000 ] && [ "$p" -le 60000 ] || return 1
		port_is_free "$p" || return 1
	done <"$T/ports"
}

@test "wait_http gives up after its bound on a port nobody listens on" {
	p=$(free_port)
	SECONDS=0
	run wait_http "http://127.0.0.1:$p/" 1
	[ "$status" -eq 1 ]
	[ "$output" = "wait_http: no answer from http://127.0.0.1:$p/ in 1s" ]
	[ "$SECONDS" -le 5 ]
}

@test "start_prometheus: listens on 127.0.0.1 only; stop_prometheus stops it by PID and frees the port" {
	start_prometheus
	pid=$PROM_PID
	port=$PROM_PORT
	[ "$(cat "$PROM_DIR/pid")" = "$pid" ]
	grep -q prometheus "/proc/$pid/cmdline"
	[ "$PROM_URL" = "http://127.0.0.1:$port" ]
	[ "$(listen_addrs "$port")" = 0100007F ]
	prom_query 'vector(42)' >"$T/q.json"
	[ "$(jq -r '.data.result[0].value[1]' "$T/q.json")" = 42 ]
	stop_prometheus
	refute obs_alive "$pid"
	[ -z "$(listen_addrs "$port")" ]
	port_is_free "$port"
}

@test "Prometheus' receiver stores a hand-made remote-write sample with a recent timestamp" {
	start_prometheus
	now=$(now_ms)
	run rw_post "$PROM_RW_URL" t_harness 42.5 "$now" job=harness
	[ "$status" -eq 0 ]
	[ "$output" = 204 ]
	prom_query 't_harness' >"$T/q.json"
	jq -c '.data.result[] | [.metric, .value[1]]' "$T/q.json" >"$T/got"
	echo '[{"__name__":"t_harness","job":"harness"},"42.5"]' >"$T/want"
	diff -u "$T/want" "$T/got"
	# A body that is not snappy is refused with 400, not 404: the
	# receiver is enabled.
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		-X POST --data-binary x "$PROM_RW_URL")
	[ "$code" = 400 ]
}

@test "start_victoria: receives remote write on 127.0.0.1; stop_victoria frees the port" {
	start_victoria
	pid=$VM_PID
	port=$VM_PORT
	[ "$(listen_addrs "$port")" = 0100007F ]
	run rw_post "$VM_RW_URL" t_harness 7 "$(now_ms)" job=harness
	[ "$output" = 204 ]
	vm_wait_series t_harness
	vm_query t_harness >"$T/q.json"
	[ "$(jq -r '.data.result[0].value[1]' "$T/q.json")" = 7 ]
	stop_victoria
	refute obs_alive "$pid"
	port_is_free "$port"
}

@test "start_node_exporter: serves node metrics on 127.0.0.1" {
	start_node_exporter
	[ "$(listen_addrs "$NE_PORT")" = 0100007F ]
	curl -fsS --max-time 10 "$NE_URL" >"$T/metrics"
	grep -q '^node_load1 ' "$T/metrics"
	pid=$NE_PID
	stop_node_exporter
	refute obs_alive "$pid"
}

@test "the three peers listen on 127.0.0.1 and nowhere else" {
	start_prometheus
	start_victoria
	start_node_exporter
	for pid in "$PROM_PID" "$VM_PID" "$NE_PID"; do
		pid_listen_addrs "$pid" >"$T/addrs"
		[ -s "$T/addrs" ] || { echo "pid $pid listens on nothing?"; return 1; }
		if grep -v '^0100007F:' "$T/addrs"; then
			echo "pid $pid listens beyond 127.0.0.1"
			return 1
		fi
	done
}

@test "stop_peers in teardown stops a failing test's peers" {
	HARNESS_PIDS=$T/pids \
		run without_bats bats --tap "$OBS_ROOT/tests/data/harness/peers-fail.bats" </dev/null
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = "not ok 1 fails holding two peers" ]
	read -r p1 p2 <"$T/pids"
	[ -n "$p1" ]
	[ -n "$p2" ]
	refute obs_alive "$p1"
	refute obs_alive "$p2"
}

# --- tests/run and tests/tapsum.sh ----------------------------------------

@test "tapsum: counts ok, not ok, skip; prefixes lines with the suite" {
	printf '1..4\nok 1 - a\nnot ok 2 - b\n# why b failed\nok 3 - c # SKIP no peer\nok 4 - d # skip\n' >"$T/a.tap"
	run sh "$OBS_ROOT/tests/tapsum.sh" -n s "$T/a.tap"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >"$T/got"
	cat >"$T/want" <<-'EOF'
	s: 1..4
	s: ok 1 - a
	s: not ok 2 - b
	s: # why b failed
	s: ok 3 - c # SKIP no peer
	s: ok 4 - d # skip
	1 passed, 1 failed, 2 skipped
	EOF
	diff -u "$T/want" "$T/got"
}

@test "tapsum: a plan at the end is fine; no skip, no skipped count" {
	printf 'ok 1\nok 2\n1..2\n' >"$T/a.tap"
	run sh "$OBS_ROOT/tests/tapsum.sh" "$T/a.tap"
	[ "$status" -eq 0 ]
	[ "${lines[3]}" = "2 passed, 0 failed" ]
	[ "${#lines[@]}" -eq 4 ]
}

@test "tapsum: short plan, no plan, crash and timeout are one failure each" {
	printf '1..3\nok 1\n' >"$T/short.tap"
	run sh "$OBS_ROOT/tests/tapsum.sh" "$T/short.tap"
	[ "$status" -eq 1 ]
	[ "${lines[2]}" = "not ok - planned 3 tests but ran 1" ]
	[ "${lines[3]}" = "1 passed, 1 failed" ]

	: >"$T/empty.tap"
	run sh "$OBS_ROOT/tests/tapsum.sh" "$T/empty.tap"
	[ "$status" -eq 1 ]
	[ "$output" = "not ok - no plan (1..N) in the output
0 passed, 1 failed" ]

	run sh "$OBS_ROOT/tests/tapsum.sh" -x 139 "$T/short.tap"
	[ "${lines[2]}" = "not ok - planned 3 tests but ran 1; killed by signal 11" ]
	[ "${lines[3]}" = "1 passed, 1 failed" ]

	printf '1..1\nok 1\n' >"$T/one.tap"
	run sh "$OBS_ROOT/tests/tapsum.sh" -x 124 "$T/one.tap"
	[ "${lines[2]}" = "not ok - timed out (exit status 124)" ]
	[ "${lines[3]}" = "1 passed, 1 failed" ]

	# A failing exit status with a "not ok" already counted adds nothing.
	printf '1..1\nnot ok 1\n' >"$T/nok.tap"
	run sh "$OBS_ROOT/tests/tapsum.sh" -x 1 "$T/nok.tap"
	[ "${lines[2]}" = "0 passed, 1 failed" ]

	# Exit 1 with every test ok is a failure.
	run sh "$OBS_ROOT/tests/tapsum.sh" -x 1 "$T/one.tap"
	[ "${lines[2]}" = "not ok - exited with status 1 without a failing test" ]
}

@test "tests/run --summarize: adds up several TAP files, exit 0 iff no failure" {
	printf '1..2\nok 1\nok 2 # SKIP x\n' >"$T/a.tap"
	printf '1..1\nok 1\n' >"$T/b.tap"
	run sh "$OBS_ROOT/tests/run" --summarize "$T/a.tap" "$T/b.tap"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "a.tap: 1..2" ]
	[ "${lines[${#lines[@]} - 1]}" = "2 passed, 0 failed, 1 skipped" ]
	printf '1..2\nok 1\nnot ok 2\n' >"$T/c.tap"
	run sh "$OBS_ROOT/tests/run" --summarize "$T/a.tap" "$T/c.tap"
	[ "$status" -eq 1 ]
	[ "${lines[${#lines[@]} - 1]}" = "2 passed, 1 failed, 1 skipped" ]
}

@test "tests/run: man lint, unit crash and timeout, bats skip and failure, leftover processes" {
	r=$T/repo
	mkdir -p "$r/tests" "$r/b/tests/unit" "$r/man/man1" "$r/man/man5"
	cp "$OBS_ROOT/tests/run" "$OBS_ROOT/tests/tapsum.sh" "$OBS_ROOT/tests/helpers.bash" "$r/tests/"
	cat >"$r/man/man1/good.1" <<-'EOF'
	.Dd November 30, 2026
	.Dt GOOD 1
	.Os
	.Sh NAME
	.Nm good
	.Nd a page that lints clean
	.Sh DESCRIPTION
	Nothing.
	EOF
	printf '.Dd soon\n.Dt BAD 5\n.Os\n.Sh NAME\n.Nm bad\n.Nd a bad date\n' >"$r/man/man5/bad.5"
	printf '#!/bin/sh\necho 1..2; echo ok 1 - a; echo ok 2 - b\n' >"$r/b/tests/unit/t_pass"
	printf '#!/bin/sh\necho 1..2; echo ok 1 - a; echo not ok 2 - b; exit 1\n' >"$r/b/tests/unit/t_fail"
	printf '#!/bin/sh\necho 1..2; echo ok 1 - a; kill -SEGV $$\n' >"$r/b/tests/unit/t_crash"
	printf '#!/bin/sh\necho 1..1; exec sleep 30\n' >"$r/b/tests/unit/t_slow"
	chmod +x "$r"/b/tests/unit/t_*
	cp "$OBS_ROOT/tests/data/harness/a.bats" "$OBS_ROOT/tests/data/harness/leak.bats" "$r/tests/"
	B=b OBS_TIMEOUT_UNIT=2 without_bats sh "$r/tests/run" </dev/null >"$T/out" 2>"$T/err" && st=0 || st=$?
	cat "$T/out" "$T/err"	# shown when the test fails
	[ "$st" -eq 1 ]
	[ "$(tail -n 1 "$T/out")" = "8 passed, 7 failed, 1 skipped" ]
	grep -qx 'man: ok 1 - mandoc -Tlint man/man1/good.1' "$T/out"
	grep -qx 'man: not ok 2 - mandoc -Tlint man/man5/bad.5' "$T/out"
	grep -qx 't_crash: not ok - planned 2 tests but ran 1; killed by signal 11' "$T/out"
	grep -qx 't_slow: not ok - planned 1 tests but ran 0; timed out (exit status 124)' "$T/out"
	grep -qx 't_fail: not ok 2 - b' "$T/out"
	grep -qx 'a.bats: ok 2 skips # skip no peer' "$T/out"
	grep -qx 'a.bats: not ok 3 fails' "$T/out"
	grep -q '^leak.bats: not ok - left running (pid [0-9]*): prometheus-node-exporter --web.listen-address=127.0.0.1:' "$T/out"
	grep -q '^leak.bats: not ok - left running (pid [0-9]*): sleep 1234 $' "$T/out"
	[ -f "$r/tests/out/a.tap" ]
	[ -f "$r/tests/out/unit-t_pass.tap" ]
	# Nothing half-written left behind.
	[ -z "$(ls "$r"/tests/out/*.[0-9]* 2>/dev/null)" ]
	# The leaked node_exporter was stopped by tests/run.
	sed -n 's/^leak.bats: not ok - left running (pid \([0-9]*\)).*/\1/p' "$T/out" >"$T/pids"
	[ "$(wc -l <"$T/pids")" -eq 2 ]
	while read -r pid; do
		refute obs_alive "$pid"
	done <"$T/pids"
}

# --- tests/deps.sh --------------------------------------------------------

# fake_system MISSING UID: dpkg-query, id and apt-get stand-ins in $T/fake
# (apt-get only logs its arguments to $T/apt.log).
fake_system() {
	mkdir -p "$T/fake"
	cat >"$T/fake/dpkg-query" <<-EOF
	#!/bin/sh
	for p in $1; do
		[ "\$p" = "\$3" ] && { echo "dpkg-query: no packages found matching \$3" >&2; exit 1; }
	done
	printf 'install ok installed'
	EOF
	printf '#!/bin/sh\necho %s\n' "$2" >"$T/fake/id"
	printf '#!/bin/sh\necho "$*" >>"%s/apt.log"\n' "$T" >"$T/fake/apt-get"
	chmod +x "$T/fake/"*
}

@test "deps.sh: quiet and no apt-get when nothing is missing" {
	fake_system "not-one-of-ours" 0
	PATH=$T/fake:$PATH run sh "$OBS_ROOT/tests/deps.sh" build test bench
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ ! -e "$T/apt.log" ]
}

@test "deps.sh: the test group holds the real peers (snmpd, Docker)" {
	fake_system "snmpd docker.io" 0
	PATH=$T/fake:$PATH run sh "$OBS_ROOT/tests/deps.sh" test
	[ "$status" -eq 0 ]
	printf 'update -q\ninstall -y -q --no-install-recommends snmpd docker.io\n' >"$T/want"
	diff -u "$T/want" "$T/apt.log"
}

@test "deps.sh: as root installs only the missing packages, after one apt-get update" {
	fake_system "jq bats" 0
	PATH=$T/fake:$PATH run sh "$OBS_ROOT/tests/deps.sh" build test
	[ "$status" -eq 0 ]
	printf 'update -q\ninstall -y -q --no-install-recommends bats jq\n' >"$T/want"
	diff -u "$T/want" "$T/apt.log"
}

@test "deps.sh: not root: names the missing packages and exits 1" {
	fake_system "valgrind" 1000
	PATH=$T/fake:$PATH run sh "$OBS_ROOT/tests/deps.sh" bench
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "deps.sh: missing Debian packages: valgrind" ]
	[ ! -e "$T/apt.log" ]
}

@test "deps.sh: an unknown group is a usage error" {
	run sh "$OBS_ROOT/tests/deps.sh" nosuchgroup
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "deps.sh: unknown group 'nosuchgroup'" ]
}

# --- the build ------------------------------------------------------------

# built_progs: the programs in src/, or skips when none is built yet.
built_progs() {
	progs=$(cd "$OBS_ROOT/src" && ls)
	[ -n "$progs" ] || skip "no program in src/ yet"
	for p in $progs; do
		[ -x "$OBS_BIN/$p" ] || skip "$p is not built in $OBS_BIN"
	done
}

@test "make install DESTDIR=... PREFIX=/opt/obs SYSCONFDIR=/etc/opt installs the programs, man pages and share/, its units naming that BINDIR" {
	built_progs
	d=$T/d
	# -o all: install what is built (make check built it), rebuild nothing.
	make -C "$OBS_ROOT" --no-print-directory -o all install DESTDIR="$d" \
		PREFIX=/opt/obs SYSCONFDIR=/etc/opt B="${B:-build}" BIN="$OBS_BIN" >"$T/log" 2>&1 ||
		{ cat "$T/log"; return 1; }
	for p in $progs; do
		[ -x "$d/opt/obs/bin/$p" ] || { echo "missing $d/opt/obs/bin/$p"; return 1; }
		cmp "$OBS_BIN/$p" "$d/opt/obs/bin/$p"
	done
	for m in "$OBS_ROOT"/man/man1/*.1 "$OBS_ROOT"/man/man5/*.5 "$OBS_ROOT"/man/man8/*.8; do
		[ -f "$m" ] || continue
		s=${m##*.}
		cmp "$m" "$d/opt/obs/share/man/man$s/${m##*/}"
	done
	s=$d/opt/obs/share/obs
	diff -r -x systemd -x cron "$OBS_ROOT/share" "$s"
	# The units and the cron file name the installed programs and the
	# config directory: every /usr/local/bin and /etc/obs, and only those.
	n=0
	for f in "$OBS_ROOT"/share/systemd/* "$OBS_ROOT"/share/cron/*; do
		i=$s/${f#"$OBS_ROOT"/share/}
		sed -e 's#/usr/local/bin#/opt/obs/bin#g' -e 's#/etc/obs\b#/etc/opt/obs#g' "$f" |
			diff -u - "$i"
		refute grep -n -e /usr/local/bin -e '/etc/obs\b' "$i"
		n=$((n + 1))
	done
	[ "$n" -ge 9 ]
	grep -qx 'ExecStart=/opt/obs/bin/obsd -c /etc/opt/obs/obsd.yml --stats-dir /var/lib/obs/stats' \
		"$s/systemd/obsd.service"
	grep -qx 'ExecStartPre=/opt/obs/bin/obsd -c /etc/opt/obs/%i.yml check' "$s/systemd/obsd@.service"
	grep -qx 'Environment=PATH=/opt/obs/bin:/usr/bin:/bin' "$s/systemd/obs-host.service"
	grep -qx 'PATH=/opt/obs/bin:/usr/bin:/bin' "$s/cron/obs.cron"
	# The programs the units start are where the units say.
	for x in $(grep -ho '/opt/obs/bin/[a-z]*' "$s"/systemd/* | sort -u); do
		[ -x "$d$x" ] || { echo "a unit names $x, not installed"; return 1; }
	done
	# Nothing lands elsewhere.
	(cd "$d" && find . -type f) | grep -v -e '^\./opt/obs/bin/' -e '^\./opt/obs/share/man/man[158]/' \
		-e '^\./opt/obs/share/obs/' >"$T/stray" || true
	[ ! -s "$T/stray" ] || { cat "$T/stray"; return 1; }
	# The default install leaves share/ as it is in the tree, and
	# uninstall removes what install put there.
	make -C "$OBS_ROOT" --no-print-directory -o all install DESTDIR="$T/d2" \
		B="${B:-build}" BIN="$OBS_BIN" >"$T/log" 2>&1 || { cat "$T/log"; return 1; }
	diff -r "$OBS_ROOT/share" "$T/d2/usr/local/share/obs"
	make -C "$OBS_ROOT" --no-print-directory uninstall DESTDIR="$T/d2" >"$T/log" 2>&1 ||
		{ cat "$T/log"; return 1; }
	(cd "$T/d2" && find . -type f) >"$T/left"
	[ ! -s "$T/left" ] || { cat "$T/left"; return 1; }
}

@test "the tree builds with clang and -Werror" {
	[ -z "${OBS_ASAN:-}" ] || skip "make check does this one"
	skip_unless_cmd clang
	[ -n "$(ls "$OBS_ROOT"/lib/*.c "$OBS_ROOT"/src/*/*.c 2>/dev/null)" ] || skip "no C source yet"
	make -C "$OBS_ROOT" --no-print-directory -j"$(nproc)" CC=clang \
		B="$T/b" BIN="$T/bin" all units >"$T/log" 2>&1 || { tail -n 40 "$T/log"; return 1; }
	for p in $(cd "$OBS_ROOT/src" && ls); do
		[ -x "$T/bin/$p" ] || { echo "clang build made no $p"; return 1; }
	done
}

@test "every fuzz harness builds with clang and runs its seed corpus clean" {
	[ -z "${OBS_ASAN:-}" ] || skip "make check does this one"
	skip_unless_cmd clang
	make -C "$OBS_ROOT" --no-print-directory -j"$(nproc)" FUZZ_B="$T/fuzz" \
		fuzz-smoke >"$T/log" 2>&1 || { tail -n 40 "$T/log"; return 1; }
	n=$(ls "$OBS_ROOT"/tests/fuzz/fuzz_*.c | wc -l)
	[ "$(grep -c '^fuzz-smoke: .* ok$' "$T/log")" -eq "$n" ] ||
		{ grep fuzz-smoke "$T/log"; return 1; }
}

# --- the scripts themselves -----------------------------------------------

@test "the harness, demo, bench and CI scripts pass shellcheck" {
	skip_unless_cmd shellcheck
	cd "$OBS_ROOT"
	shellcheck -S warning -s sh tests/run tests/tapsum.sh tests/deps.sh \
		tests/*.sh share/demo/run bench/run .ci/run
	# the benches re-exec themselves with bash
	shellcheck -S warning -s bash tests/helpers.bash bench/*.sh
}
