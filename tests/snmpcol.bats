#!/usr/bin/env bats
# snmpcol: polls a real snmpd started here on 127.0.0.1 (v1, v2c, v3
# authPriv SHA/AES) and compares its output series by series with Debian's
# prometheus-snmp-exporter 0.21 polling the same agent at the same time.
#
# Comparison rule (tests/data/snmpcol/normalize.py): names, label sets,
# HELP and TYPE exactly; values of gauges and strings exactly; counters and
# sysUpTime (they move between the two reads) by name and labels only; the
# snmp_scrape_* series by presence only (durations and packet counts are
# each program's own; 0.21 has no module label); up is ours only.

load helpers

DATA="$BATS_TEST_DIRNAME/data/snmpcol"
PEERS="${OBS_SNMP_PEERS:-$OBS_ROOT/../shared/peers/snmp_exporter}"
: "${OBS_SNMPD:=snmpd}"
: "${OBS_SNMP_EXPORTER:=prometheus-snmp-exporter}"

# Left out of the value comparison: moving or per-program values.
LOOSE=(-l sysUpTime
	-x snmp_scrape_duration_seconds -x snmp_scrape_walk_duration_seconds
	-x snmp_scrape_pdus_returned -x snmp_scrape_packets_sent
	-x snmp_scrape_packets_retried -x up)

# start_snmpd: an snmpd on 127.0.0.1:SNMPD_PORT (UDP) with community
# public, the v3 user homelab (SHA/AES) and a fixed sysName, sysLocation
# and sysContact; its state in the tmp dir.  Sets SNMPD_PORT, SNMPD_PID.
start_snmpd() {
	local dir attempt port i
	dir="$(obs_tmpdir)/snmpd.$$.$RANDOM"
	mkdir -p "$dir/persist" || return 1
	# The view shows system, ifNumber and the interface lo (index 1) of
	# ifTable and ifXTable: other interfaces of this host come and go
	# (containers) between two reads.
	{
		echo 'view testview included .1.3.6.1.2.1.1'
		echo 'view testview included .1.3.6.1.2.1.2.1'
		for ((i = 1; i <= 22; i++)); do
			echo "view testview included .1.3.6.1.2.1.2.2.1.$i.1"
		done
		for ((i = 1; i <= 19; i++)); do
			echo "view testview included .1.3.6.1.2.1.31.1.1.1.$i.1"
		done
	} >"$dir/snmpd.conf"
	cat >>"$dir/snmpd.conf" <<'EOF'
rocommunity public 127.0.0.1 -V testview
createUser homelab SHA "authpass123" AES "privpass123"
rouser homelab authpriv -V testview
sysName testhost
sysLocation test rack
sysContact ops@example.org
EOF
	for ((attempt = 0; attempt < 3; attempt++)); do
		port=$(free_port) || return 1
		SNMP_PERSISTENT_DIR="$dir/persist" MIBS= "$OBS_SNMPD" -f -Lo -C \
			-c "$dir/snmpd.conf" -p "$dir/pid" -I -smux \
			"udp:127.0.0.1:$port" </dev/null >"$dir/snmpd-$port.log" 2>&1 \
			3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
		SNMPD_PID=$!
		obs_track "$SNMPD_PID" snmpd
		for ((i = 0; i < OBS_PEER_WAIT * 5; i++)); do
			obs_alive "$SNMPD_PID" || break
			if SNMP_PERSISTENT_DIR="$dir/persist" MIBS= snmpget -v2c -c public \
			    -t 0.2 -r 0 "127.0.0.1:$port" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1; then
				SNMPD_PORT=$port
				SNMPD_DIR=$dir
				export SNMPD_PORT SNMPD_PID SNMPD_DIR
				return 0
			fi
			sleep 0.2
		done
		stop_pid "$SNMPD_PID"
	done
	echo "start_snmpd: snmpd did not answer on 127.0.0.1:$port; its log:" >&2
	tail -n 20 "$dir"/snmpd-*.log >&2
	return 1
}

# start_snmp_exporter CONFIG: Debian's snmp_exporter 0.21 on 127.0.0.1
# with CONFIG.  Sets EXP_URL (its /snmp) and EXP_PID.
start_snmp_exporter() {
	obs_start_peer snmp_exporter /metrics "$OBS_SNMP_EXPORTER" \
		--config.file="$1" --web.listen-address=127.0.0.1:@PORT@ || return 1
	EXP_PID=$OBS_PEER_PID
	EXP_URL=http://127.0.0.1:$OBS_PEER_PORT/snmp
	export EXP_PID EXP_URL
}

skip_unless_snmp() {
	skip_unless_bin snmpcol
	skip_unless_cmd "$OBS_SNMPD"
	skip_unless_cmd snmpget
}

skip_unless_peer_file() {
	[ -r "$PEERS/$1" ] || skip "peer file $PEERS/$1 is absent"
}

normalize() {
	"$OBS_PYTHON" "$DATA/normalize.py" "${LOOSE[@]}" "$1"
}

# compare_with_exporter MODULE ARGS...: snmpcol ARGS... and the exporter's
# MODULE against the agent, normalised and compared; tries again (three
# times at most) when they differ, as interfaces may come and go on this
# host between the two reads.
compare_with_exporter() {
	local module=$1 try
	shift
	for ((try = 0; try < 3; try++)); do
		curl -fsS --max-time 20 -o "$T/exp.prom" \
			"$EXP_URL?target=127.0.0.1:$SNMPD_PORT&module=$module" || return 1
		run "$(obs_bin snmpcol)" "$@" "127.0.0.1:$SNMPD_PORT"
		[ "$status" -eq 0 ] || { echo "snmpcol: status $status: $output" >&2; return 1; }
		printf '%s\n' "$output" >"$T/ours.prom"
		normalize "$T/exp.prom" >"$T/exp.norm" || return 1
		normalize "$T/ours.prom" >"$T/ours.norm" || return 1
		[ -s "$T/exp.norm" ] || { echo "exporter gave nothing" >&2; return 1; }
		if diff -u "$T/exp.norm" "$T/ours.norm" >"$T/diff"; then
			return 0
		fi
	done
	cat "$T/diff" >&2
	return 1
}

setup_file() {
	command -v "$OBS_SNMPD" >/dev/null 2>&1 || return 0
	start_snmpd
}

teardown_file() {
	stop_peers
}

teardown() {
	stop_peers
}

@test "snmpcol -h prints usage and exits 0; bad usage exits 2" {
	skip_unless_bin snmpcol
	run "$(obs_bin snmpcol)" -h
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: snmpcol [-hv] [--expand-env] -c FILE [-c FILE]... -m MODULE[,MODULE]..." ]
	run "$(obs_bin snmpcol)" -m if_mib 127.0.0.1
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "usage: snmpcol [-hv] [--expand-env] -c FILE [-c FILE]... -m MODULE[,MODULE]..." ]
	run "$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -m system
	[ "$status" -eq 2 ]
	run "$(obs_bin snmpcol)" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "snmpcol version "* ]]
}

@test "if_mib over v2c matches snmp_exporter 0.21 (older-layout snmp.yml)" {
	skip_unless_snmp
	skip_unless_cmd "$OBS_SNMP_EXPORTER"
	skip_unless_peer_file snmp-v0.21.yml
	start_snmp_exporter "$PEERS/snmp-v0.21.yml"
	compare_with_exporter if_mib -c "$PEERS/snmp-v0.21.yml" -m if_mib
	# the interfaces table was there: lo at least
	grep -q '^S ifAdminStatus{ifDescr="lo",ifIndex="1",ifName="lo"} 1$' "$T/ours.norm"
	grep -q '^TYPE ifHCInOctets counter$' "$T/ours.norm"
}

@test "if_mib from the 0.30 snmp.yml (auths, default public_v2) matches snmp_exporter 0.21" {
	skip_unless_snmp
	skip_unless_cmd "$OBS_SNMP_EXPORTER"
	skip_unless_peer_file snmp-v0.21.yml
	skip_unless_peer_file snmp.yml
	start_snmp_exporter "$PEERS/snmp-v0.21.yml"
	# 0.30's if_mib module no longer gets sysUpTime (0.21's does)
	LOOSE+=(-x sysUpTime)
	compare_with_exporter if_mib -c "$PEERS/snmp.yml" -m if_mib
}

@test "system over v2c, v1 and v3 authPriv (SHA/AES) matches snmp_exporter 0.21" {
	skip_unless_snmp
	skip_unless_cmd "$OBS_SNMP_EXPORTER"
	start_snmp_exporter "$DATA/old-layout.yml"
	for m in system system_v1 system_v3; do
		compare_with_exporter "$m" -c "$DATA/old-layout.yml" -m "$m"
		grep -q '^S sysName{sysName="testhost"} 1$' "$T/ours.norm"
		grep -q '^S sysLocation{sysLocation="test rack"} 1$' "$T/ours.norm"
	done
}

@test "v3 auth from auths: with secrets from the environment (--expand-env)" {
	skip_unless_snmp
	skip_unless_cmd "$OBS_SNMP_EXPORTER"
	start_snmp_exporter "$DATA/old-layout.yml"
	SNMPCOL_TEST_AUTH=authpass123 SNMPCOL_TEST_PRIV=privpass123 \
		compare_with_exporter system_v3 --expand-env \
		-c "$OBS_ROOT/share/snmp/snmp.yml" -c "$DATA/auths-v3.yml" \
		-m system -a homelab_v3
	# a wrong password from the environment fails with up 0
	SNMPCOL_TEST_AUTH=wrongpass123 SNMPCOL_TEST_PRIV=privpass123 \
		run "$(obs_bin snmpcol)" --expand-env -c "$OBS_ROOT/share/snmp/snmp.yml" \
		-c "$DATA/auths-v3.yml" -m system -a homelab_v3 "127.0.0.1:$SNMPD_PORT"
	[ "$status" -eq 1 ]
	[[ "$output" == *'up{module="system"} 0 '* ]]
}

@test "exact output: HELP, TYPE, string labels, module label, up and timestamps" {
	skip_unless_snmp
	before=$(now_ms)
	"$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -m system \
		"127.0.0.1:$SNMPD_PORT" >"$T/out" 2>"$T/err"
	after=$(now_ms)
	[ ! -s "$T/err" ]
	grep -Fx '# HELP sysName An administratively-assigned name for this managed node - 1.3.6.1.2.1.1.5' "$T/out"
	grep -Fx '# TYPE sysName gauge' "$T/out"
	grep -Eq '^sysName\{sysName="testhost"\} 1 [0-9]{13}$' "$T/out"
	grep -Eq '^sysContact\{sysContact="ops@example.org"\} 1 [0-9]{13}$' "$T/out"
	grep -Eq '^up\{module="system"\} 1 [0-9]{13}$' "$T/out"
	grep -Eq '^snmp_scrape_pdus_returned\{module="system"\} [1-9][0-9]* [0-9]{13}$' "$T/out"
	grep -Eq '^snmp_scrape_packets_sent\{module="system"\} [1-9][0-9]* [0-9]{13}$' "$T/out"
	grep -Eq '^snmp_scrape_packets_retried\{module="system"\} 0 [0-9]{13}$' "$T/out"
	# one timestamp for the whole scrape, taken during the run
	ts=$(grep -v '^#' "$T/out" | awk '{ print $NF }' | sort -u)
	[ "$(printf '%s\n' "$ts" | wc -l)" -eq 1 ]
	[ "$ts" -ge "$before" ] && [ "$ts" -le "$after" ]
	# HELP and TYPE once per family
	[ "$(grep -c '^# TYPE sysORDescr ' "$T/out")" -eq 1 ]
}

@test "several targets on the command line get instance labels" {
	skip_unless_snmp
	"$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -m system \
		"127.0.0.1:$SNMPD_PORT" "127.0.0.1:$SNMPD_PORT" >"$T/out"
	[ "$(grep -c "^sysName{instance=\"127.0.0.1:$SNMPD_PORT\",sysName=\"testhost\"} 1 " "$T/out")" -eq 2 ]
}

@test "a dead agent gives up 0 within its timeout and a one-line reason" {
	skip_unless_bin snmpcol
	port=$(free_port)
	start=$(date +%s%N)
	run "$(obs_bin snmpcol)" -c "$DATA/dead.yml" -m system_fast "127.0.0.1:$port"
	elapsed=$((($(date +%s%N) - start) / 1000000))
	[ "$status" -eq 1 ]
	# timeout 300ms, 1 retry: 600ms of waiting, well under 3s
	[ "$elapsed" -lt 3000 ]
	st=0
	"$(obs_bin snmpcol)" -c "$DATA/dead.yml" -m system_fast "127.0.0.1:$port" \
		2>"$T/err" >"$T/out" || st=$?
	[ "$st" -eq 1 ]
	grep -Eq '^up\{module="system_fast"\} 0 [0-9]{13}$' "$T/out"
	grep -Eq '^snmp_scrape_duration_seconds\{module="system_fast"\} [0-9.e+-]+ [0-9]{13}$' "$T/out"
	[ "$(grep -vc '^#' "$T/out")" -eq 2 ]
	[ "$(wc -l <"$T/err")" -eq 1 ]
	[ "$(cat "$T/err")" = "snmpcol: scrape '127.0.0.1:$port' module 'system_fast' failed: request timeout (after 1 retries)" ]
}

@test "-t polls targets concurrently: a dead one does not delay a live one" {
	skip_unless_snmp
	dead=$(free_port)
	sed -e "s/@LIVE@/127.0.0.1:$SNMPD_PORT/" -e "s/@DEAD@/127.0.0.1:$dead/" \
		"$DATA/targets.yml" >"$T/targets.yml"
	"$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -c "$DATA/dead.yml" \
		-t "$T/targets.yml" >"$T/out" 2>"$T/err" &
	pid=$!
	obs_track "$pid" snmpcol
	# the live target polls every 500ms; the dead one waits 2s twice
	sleep 2.4
	stop_pid "$pid"
	wait "$pid" 2>/dev/null || true
	live=$(grep -c "^up{instance=\"127.0.0.1:$SNMPD_PORT\",module=\"system\",site=\"lab\",sysLocation=\"from-targets\"} 1 " "$T/out" || true)
	[ "$live" -ge 3 ]
	grep -q "^sysName{instance=\"127.0.0.1:$SNMPD_PORT\",site=\"lab\",sysLocation=\"from-targets\",sysName=\"testhost\"} 1 " "$T/out"
	# the clash of a target label with an agent label keeps both
	grep -q "^sysLocation{exported_sysLocation=\"test rack\",instance=\"127.0.0.1:$SNMPD_PORT\",site=\"lab\",sysLocation=\"from-targets\"} 1 " "$T/out"
	# the dead agent's scrape took 4s: not one answer yet, nothing waited
	refute grep -q "instance=\"127.0.0.1:$dead\"" "$T/out"
}

@test "-t stops on SIGTERM with status 0" {
	skip_unless_snmp
	sed -e "s/@LIVE@/127.0.0.1:$SNMPD_PORT/" -e "s/@DEAD@/127.0.0.1:$SNMPD_PORT/" \
		"$DATA/targets.yml" >"$T/targets.yml"
	"$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -c "$DATA/dead.yml" \
		-t "$T/targets.yml" >"$T/out" 2>"$T/err" &
	pid=$!
	obs_track "$pid" snmpcol
	sleep 0.8
	kill -TERM "$pid"
	st=0
	for ((i = 0; i < 100; i++)); do
		obs_alive "$pid" || break
		sleep 0.1
	done
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	grep -q '^up{' "$T/out"
}

@test "an unknown key in snmp.yml is an error with file:line: key, status 2" {
	skip_unless_bin snmpcol
	run "$(obs_bin snmpcol)" -c "$DATA/bad-key.yml" -m system 127.0.0.1:1
	[ "$status" -eq 2 ]
	[ "$output" = "snmpcol: $DATA/bad-key.yml:7: max_repetition: unknown key" ]
	run "$(obs_bin snmpcol)" -c "$DATA/bad-metric-key.yml" -m system 127.0.0.1:1
	[ "$status" -eq 2 ]
	[ "$output" = "snmpcol: $DATA/bad-metric-key.yml:10: helps: unknown key" ]
}

@test "a module or auth not in the file, or a missing variable, exits 2 before polling" {
	skip_unless_bin snmpcol
	run "$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -m system,nope 127.0.0.1:1
	[ "$status" -eq 2 ]
	[ "$output" = "snmpcol: unknown module 'nope'" ]
	run "$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" -m system -a nope 127.0.0.1:1
	[ "$status" -eq 2 ]
	[ "$output" = "snmpcol: unknown auth 'nope'" ]
	# the older layout has no public_v2 unless another file gives it
	run "$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -m system -a public_v2 127.0.0.1:1
	[ "$status" -eq 2 ]
	[ "$output" = "snmpcol: unknown auth 'public_v2'" ]
	run env -u SNMP_COMMUNITY "$(obs_bin snmpcol)" --expand-env \
		-c "$OBS_ROOT/share/snmp/snmp.yml" -m system -a homelab_v2 127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == "snmpcol: $OBS_ROOT/share/snmp/snmp.yml:"*": community: SNMP_COMMUNITY environment variable not found" ]]
}

@test "bad targets.yml: file:line: key, status 2" {
	skip_unless_bin snmpcol
	printf 'targets:\n  - target: 127.0.0.1:1\n    module: system\n    labls: {a: b}\n' >"$T/t.yml"
	run "$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -t "$T/t.yml"
	[ "$status" -eq 2 ]
	[ "$output" = "snmpcol: $T/t.yml:4: labls: unknown key" ]
	printf 'targets:\n  - target: 127.0.0.1:1\n    module: nope\n' >"$T/t.yml"
	run "$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -t "$T/t.yml"
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "snmpcol: unknown module 'nope'" ]
}

@test "the shipped snmp.yml polls if_mib, synology and system" {
	skip_unless_snmp
	"$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" \
		-m if_mib,synology,system "127.0.0.1:$SNMPD_PORT" >"$T/out"
	grep -Eq '^up\{module="synology"\} 1 ' "$T/out"
	grep -Eq '^up\{module="if_mib"\} 1 ' "$T/out"
	grep -Eq '^sysName\{sysName="testhost"\} 1 ' "$T/out"
	# SNMP_COMMUNITY from the environment for the seed's homelab_v2
	SNMP_COMMUNITY=public "$(obs_bin snmpcol)" --expand-env \
		-c "$OBS_ROOT/share/snmp/snmp.yml" -m system -a homelab_v2 \
		"127.0.0.1:$SNMPD_PORT" >"$T/out"
	grep -Eq '^sysName\{sysName="testhost"\} 1 ' "$T/out"
	# the example targets.yml names modules and auths of snmp.yml
	run "$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" -c "$DATA/old-layout.yml" \
		-m nope -t "$OBS_ROOT/share/snmp/targets.yml"
	[ "$status" -eq 2 ]
}

@test "a closed stdout ends snmpcol with status 1" {
	skip_unless_snmp
	# the pipe's read end is closed before snmpcol starts: EPIPE for sure
	st=$(ERR="$T/err" "$OBS_PYTHON" -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=open(os.environ["ERR"], "w"))
print(p.returncode)
' "$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -m system "127.0.0.1:$SNMPD_PORT")
	[ "$st" -eq 1 ]
	grep -q '^snmpcol: write to standard output' "$T/err"
}
