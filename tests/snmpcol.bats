#!/usr/bin/env bats
# snmpcol: polls a real snmpd started here on 127.0.0.1 (v1, v2c, and v3
# users for every auth and priv protocol and security level; tables of
# fixed values and of thousands of rows served by pass.py) and compares
# its output series by series with Debian's prometheus-snmp-exporter 0.21
# polling the same agent at the same time.
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

# The SNMPv3 users of the test agent (those of auths-v3-all.yml): name,
# then snmpd's createUser protocols and its rouser level.
V3_USERS=(
	"v3md5 MD5 authpass123 DES privpass123:authpriv"
	"v3sha SHA authpass123 AES privpass123:authpriv"
	"v3sha224 SHA-224 authpass123 AES-192 privpass123:authpriv"
	"v3sha256 SHA-256 authpass123 AES-256 privpass123:authpriv"
	"v3sha384 SHA-384 authpass123 AES-192-C privpass123:authpriv"
	"v3sha512 SHA-512 authpass123 AES-256-C privpass123:authpriv"
	"v3noauth:noauth"
	"v3authmd5 MD5 authpass123:auth"
	"v3authsha256 SHA-256 authpass123:auth"
)
# Rows of the tables gentable.py makes: the huge one, the lookup one.
HUGE_ROWS=5000
LOOKUP_ROWS=100

# start_snmpd: an snmpd on 127.0.0.1:SNMPD_PORT (UDP) with community
# public, the v3 user homelab (SHA/AES), the users of V3_USERS, a fixed
# sysName, sysLocation and sysContact, and the tables of agent.txt and
# gentable.py; its state in the tmp dir.  Sets SNMPD_PORT, SNMPD_PID.
start_snmpd() {
	local dir attempt port i u
	dir="$(obs_tmpdir)/snmpd.$$.$RANDOM"
	mkdir -p "$dir/persist" || return 1
	"$OBS_PYTHON" "$DATA/gentable.py" "$HUGE_ROWS" "$LOOKUP_ROWS" >"$dir/tables.txt" ||
		return 1
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
		# fixed values: a Synology NAS and a table for display_hint
		# and filters (tests/data/snmpcol/agent.txt)
		for root in .1.3.6.1.4.1.6574 .1.3.6.1.4.1.99999; do
			echo "view testview included $root"
			echo "pass_persist $root $OBS_PYTHON $DATA/pass.py $root $DATA/agent.txt"
		done
		# tables made now: thousands of rows, and one with a lookup
		echo 'view testview included .1.3.6.1.4.1.99998'
		echo "pass_persist .1.3.6.1.4.1.99998 $OBS_PYTHON $DATA/pass.py .1.3.6.1.4.1.99998 $dir/tables.txt"
		for u in "${V3_USERS[@]}"; do
			echo "createUser ${u%%:*}"
			echo "rouser ${u%%[ :]*} ${u##*:} -V testview"
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

# start_snmp_exporter CONFIG [FLAG...]: Debian's snmp_exporter 0.21 on
# 127.0.0.1 with CONFIG.  Sets EXP_URL (its /snmp) and EXP_PID.
start_snmp_exporter() {
	local config=$1
	shift
	obs_start_peer snmp_exporter /metrics "$OBS_SNMP_EXPORTER" "$@" \
		--config.file="$config" --web.listen-address=127.0.0.1:@PORT@ || return 1
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

# netsnmp_lacks SNMPGET_FLAG...: net-snmp's own tools' complaint about the
# security flags (-l, -a, -x) where this build lacks a protocol, or
# nothing where it has them all.
netsnmp_lacks() {
	MIBS= snmpget -v3 -u nobody -A authpass123 -X privpass123 -t 0.1 -r 0 \
		"$@" "127.0.0.1:$(free_port)" 1.3 2>&1 | grep -m1 '^Invalid' || true
}

# v3_matches_v2c AUTH SNMPGET_FLAG...: snmpcol polls the system module
# with AUTH of auths-v3-all.yml (beside the shipped snmp.yml: the auth
# split) and gets the series of a v2c poll.  Where net-snmp lacks a
# protocol of AUTH (its snmpget refuses SNMPGET_FLAG...), snmpcol must
# refuse AUTH as a config error, and the test skips saying why.
v3_matches_v2c() {
	local auth=$1 lacks
	shift
	skip_unless_snmp
	lacks=$(netsnmp_lacks "$@")
	if [ -n "$lacks" ]; then
		run "$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" \
			-c "$DATA/auths-v3-all.yml" -m system -a "$auth" 127.0.0.1:1
		[ "$status" -eq 2 ]
		[[ "$output" == "snmpcol: $DATA/auths-v3-all.yml:"*"_protocol: "*" is not supported by this net-snmp build" ]]
		skip "this net-snmp build lacks it: $lacks"
	fi
	"$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" -m system \
		"127.0.0.1:$SNMPD_PORT" >"$T/v2c.prom"
	"$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" -c "$DATA/auths-v3-all.yml" \
		-m system -a "$auth" "127.0.0.1:$SNMPD_PORT" >"$T/v3.prom" 2>"$T/err"
	[ ! -s "$T/err" ] || { cat "$T/err" >&2; return 1; }
	normalize "$T/v2c.prom" >"$T/v2c.norm"
	normalize "$T/v3.prom" >"$T/v3.norm"
	diff -u "$T/v2c.norm" "$T/v3.norm"
	grep -Fxq 'S sysName{sysName="testhost"} 1' "$T/v3.norm"
	grep -Eq '^up\{module="system"\} 1 [0-9]{13}$' "$T/v3.prom"
}

# elapsed_ms START_NS: milliseconds since START_NS (date +%s%N).
elapsed_ms() {
	echo $((($(date +%s%N) - $1) / 1000000))
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
	[ "${lines[0]}" = "usage: snmpcol [-hv] [--expand-env] [--no-wrap-large-counters] -c FILE [-c FILE]..." ]
	run "$(obs_bin snmpcol)" -m if_mib 127.0.0.1
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "usage: snmpcol [-hv] [--expand-env] [--no-wrap-large-counters] -c FILE [-c FILE]..." ]
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

@test "--stats-file: obs_snmpcol_* counters per target after one run" {
	skip_unless_snmp
	dead=$(free_port)
	st=0
	"$(obs_bin snmpcol)" --stats-file "$T/stats.prom" -c "$DATA/dead.yml" \
		-m system_fast "127.0.0.1:$SNMPD_PORT" \
		"127.0.0.1:$dead" >"$T/out" 2>"$T/err" || st=$?
	[ "$st" -eq 1 ]
	live="target=\"127.0.0.1:$SNMPD_PORT\""
	gone="target=\"127.0.0.1:$dead\""
	grep -Fx '# TYPE obs_snmpcol_polls_total counter' "$T/stats.prom"
	grep -Fx 'obs_snmpcol_targets 2' "$T/stats.prom"
	grep -Fx "obs_snmpcol_polls_total{$live} 1" "$T/stats.prom"
	grep -Fx "obs_snmpcol_polls_total{$gone} 1" "$T/stats.prom"
	grep -Fx "obs_snmpcol_poll_failures_total{$live} 0" "$T/stats.prom"
	grep -Fx "obs_snmpcol_poll_failures_total{$gone} 1" "$T/stats.prom"
	grep -Fx "obs_snmpcol_pdus_total{$gone} 0" "$T/stats.prom"
	# the PDUs counted are those snmp_scrape_pdus_returned reports
	n=$(sed -n "s/^snmp_scrape_pdus_returned{instance=\"127.0.0.1:$SNMPD_PORT\",module=\"system_fast\"} \([0-9]*\) .*/\1/p" "$T/out")
	[ -n "$n" ] && [ "$n" -gt 0 ]
	grep -Fx "obs_snmpcol_pdus_total{$live} $n" "$T/stats.prom"
	# the dead one waited 300ms twice
	d=$(sed -n "s/^obs_snmpcol_poll_duration_seconds{$gone} //p" "$T/stats.prom")
	awk -v d="$d" 'BEGIN { exit !(d >= 0.5 && d < 3) }'
	# one targets line and four per target
	[ "$(grep -vc '^#' "$T/stats.prom")" -eq 9 ]
}

@test "--stats-file with -t: the parent sums the children's polls while they run" {
	skip_unless_snmp
	dead=$(free_port)
	sed -e "s/@LIVE@/127.0.0.1:$SNMPD_PORT/" -e "s/@DEAD@/127.0.0.1:$dead/" \
		"$DATA/targets.yml" >"$T/targets.yml"
	"$(obs_bin snmpcol)" --stats-file "$T/stats.prom" -c "$DATA/old-layout.yml" \
		-c "$DATA/dead.yml" -t "$T/targets.yml" >"$T/out" 2>"$T/err" &
	pid=$!
	obs_track "$pid" snmpcol
	live="target=\"127.0.0.1:$SNMPD_PORT\""
	# the live target polls every 500ms: 3 polls within 5s for sure
	for ((i = 0; i < 50; i++)); do
		n=$(sed -n "s/^obs_snmpcol_polls_total{$live} //p" "$T/stats.prom" 2>/dev/null || true)
		[ "${n:-0}" -ge 3 ] && break
		sleep 0.1
	done
	[ "${n:-0}" -ge 3 ]
	grep -Fx "obs_snmpcol_poll_failures_total{$live} 0" "$T/stats.prom"
	grep -Eq "^obs_snmpcol_pdus_total\{$live\} [1-9][0-9]*$" "$T/stats.prom"
	# the dead one (2s timeout, 1 retry) has not finished a poll yet
	grep -Fx "obs_snmpcol_polls_total{target=\"127.0.0.1:$dead\"} 0" "$T/stats.prom"
	stop_pid "$pid"
	wait "$pid" 2>/dev/null || true
	# every poll written to stdout is counted
	ups=$(grep -c "^up{instance=\"127.0.0.1:$SNMPD_PORT\"" "$T/out")
	grep -Fx "obs_snmpcol_polls_total{$live} $ups" "$T/stats.prom"
}

@test "display_hint formats octets of metrics and lookups as snmp_exporter does" {
	skip_unless_snmp
	"$(obs_bin snmpcol)" -c "$DATA/hint-filter.yml" -m hint \
		"127.0.0.1:$SNMPD_PORT" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	grep -v -e '^#' -e '^snmp_scrape_' "$T/out" | sed 's/ [0-9]*$//' >"$T/got"
	{
		echo 'tabMac{tabAddr="127.0.0.1",tabIndex="2",tabMac="00:00:00:00:00:00"} 1'
		echo 'tabMac{tabAddr="127.0.1.1%3",tabIndex="1",tabMac="00:1A:2B:3C:4D:5E"} 1'
		echo 'tabMac{tabAddr="127.10.0.0%24",tabIndex="3",tabMac="FE:80:0A:0B:0C:0D"} 1'
		# a DisplayString is not hinted: its bytes, bad ones replaced
		printf 'tabRaw{tabIndex="1",tabRaw="\x7f\xef\xbf\xbd\x01\x01\xef\xbf\xbd\x03"} 1\n'
		printf 'tabRaw{tabIndex="2",tabRaw="\x7f\xef\xbf\xbd\x01"} 1\n'
		printf 'tabRaw{tabIndex="3",tabRaw="\x7f\\n\xef\xbf\xbd\x18"} 1\n'
		echo 'up{module="hint"} 1'
	} >"$T/want"
	diff -u "$T/want" "$T/got"
}

@test "filters: only the indexes whose value matches are fetched, with gets" {
	skip_unless_snmp
	"$(obs_bin snmpcol)" -c "$DATA/hint-filter.yml" -m filtered \
		"127.0.0.1:$SNMPD_PORT" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	grep -v -e '^#' -e '^snmp_scrape_' "$T/out" | sed 's/ [0-9]*$//' >"$T/got"
	printf '%s\n' 'tabCount{tabIndex="1",tabName="eth0"} 1000' \
		'tabCount{tabIndex="3",tabName="wg0"} 3000' 'up{module="filtered"} 1' >"$T/want"
	diff -u "$T/want" "$T/got"
	# the filter's walk is not returned, its packet is sent: one walk
	# of the filter OID, one get of two OIDs, one walk of the names
	grep -Eq '^snmp_scrape_pdus_returned\{module="filtered"\} 5 ' "$T/out"
	grep -Eq '^snmp_scrape_packets_sent\{module="filtered"\} 3 ' "$T/out"
	# a filter that matches nothing leaves no index of its targets
	sed 's/- \^eth/- nomatch/; s/- g$/- nomatch/' "$DATA/hint-filter.yml" >"$T/none.yml"
	"$(obs_bin snmpcol)" -c "$T/none.yml" -m filtered "127.0.0.1:$SNMPD_PORT" >"$T/out"
	refute grep -q '^tabCount' "$T/out"
	grep -Eq '^up\{module="filtered"\} 1 ' "$T/out"
	# a bad regex is a config error before polling
	sed 's/- \^eth/- "(eth"/' "$DATA/hint-filter.yml" >"$T/bad.yml"
	run "$(obs_bin snmpcol)" -c "$T/bad.yml" -m filtered 127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == "snmpcol: $T/bad.yml:"*": values: invalid regex: "* ]]
}

@test "answers from another address or port are taken (net-snmp's socket is unconnected)" {
	skip_unless_snmp
	# use_unconnected_udp_socket: net-snmp never connects its UDP socket,
	# so what that option asks of gosnmp is always so here
	"$OBS_PYTHON" "$DATA/relay.py" "$SNMPD_PORT" 100 >"$T/relay.port" &
	relay=$!
	obs_track "$relay" relay
	for ((i = 0; i < 50; i++)); do
		[ -s "$T/relay.port" ] && break
		sleep 0.1
	done
	port=$(cat "$T/relay.port")
	"$(obs_bin snmpcol)" -c "$DATA/old-layout.yml" -m system "127.0.0.1:$port" \
		>"$T/out" 2>"$T/err"
	grep -Eq '^sysName\{sysName="testhost"\} 1 ' "$T/out"
	grep -Eq '^up\{module="system"\} 1 ' "$T/out"
	stop_pid "$relay"
}

@test "synology (the seed's NAS) matches snmp_exporter 0.21 on an agent serving SYNOLOGY-* values" {
	skip_unless_snmp
	skip_unless_cmd "$OBS_SNMP_EXPORTER"
	skip_unless_peer_file snmp-v0.21.yml
	start_snmp_exporter "$PEERS/snmp-v0.21.yml"
	compare_with_exporter synology -c "$PEERS/snmp-v0.21.yml" -m synology
	# the values of tests/data/snmpcol/agent.txt came through
	grep -Fxq 'S systemStatus{} 1' "$T/ours.norm"
	grep -Fxq 'S temperature{} 45' "$T/ours.norm"
	grep -Fxq 'S raidStatus{raidName="Volume 1"} 1' "$T/ours.norm"
	grep -Fxq 'S diskStatus{diskID="0x4469736B2032"} 2' "$T/ours.norm"
	grep -Fxq 'S diskTemperature{diskID="0x4469736B2031"} 36' "$T/ours.norm"
	grep -Fxq 'S modelName{modelName="DS920+"} 1' "$T/ours.norm"
}

@test "the shipped (0.30) synology module renders the same agent with text disk IDs" {
	skip_unless_snmp
	"$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" -m synology \
		"127.0.0.1:$SNMPD_PORT" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	grep -v -e '^#' -e '^snmp_scrape_' "$T/out" | sed 's/ [0-9]*$//' >"$T/got"
	cat >"$T/want" <<'WANT'
diskID{diskID="Disk 1"} 1
diskID{diskID="Disk 2"} 1
diskIndex{diskID="Disk 1"} 0
diskIndex{diskID="Disk 2"} 1
diskModel{diskID="Disk 1",diskModel="WD40EFRX-68N32N0"} 1
diskModel{diskID="Disk 2",diskModel="ST4000VN008-2DR1"} 1
diskStatus{diskID="Disk 1"} 1
diskStatus{diskID="Disk 2"} 2
diskTemperature{diskID="Disk 1"} 36
diskTemperature{diskID="Disk 2"} 41
modelName{modelName="DS920+"} 1
powerStatus 1
raidIndex{raidName="Volume 1"} 0
raidName{raidName="Volume 1"} 1
raidStatus{raidName="Volume 1"} 1
serialNumber{serialNumber="2040PCN123456"} 1
systemStatus 1
temperature 45
up{module="synology"} 1
version{version="DSM 7.2-64570"} 1
WANT
	diff -u "$T/want" "$T/got"
}

@test "SNMPv3 authPriv MD5/DES gives the v2c output" {
	v3_matches_v2c v3_md5_des -l authPriv -a MD5 -x DES
}

@test "SNMPv3 authPriv SHA/AES gives the v2c output" {
	v3_matches_v2c v3_sha_aes -l authPriv -a SHA -x AES
}

@test "SNMPv3 authPriv SHA224/AES192 gives the v2c output" {
	v3_matches_v2c v3_sha224_aes192 -l authPriv -a SHA-224 -x AES-192
}

@test "SNMPv3 authPriv SHA256/AES256 gives the v2c output" {
	v3_matches_v2c v3_sha256_aes256 -l authPriv -a SHA-256 -x AES-256
}

@test "SNMPv3 authPriv SHA384/AES192C (Cisco's key extension) gives the v2c output" {
	v3_matches_v2c v3_sha384_aes192c -l authPriv -a SHA-384 -x AES-192-C
}

@test "SNMPv3 authPriv SHA512/AES256C (Cisco's key extension) gives the v2c output" {
	v3_matches_v2c v3_sha512_aes256c -l authPriv -a SHA-512 -x AES-256-C
}

@test "SNMPv3 noAuthNoPriv gives the v2c output" {
	v3_matches_v2c v3_noauth -l noAuthNoPriv
}

@test "SNMPv3 authNoPriv (MD5 and SHA256) gives the v2c output" {
	v3_matches_v2c v3_authnopriv_md5 -l authNoPriv -a MD5
	v3_matches_v2c v3_authnopriv_sha256 -l authNoPriv -a SHA-256
}

@test "wrong community: up 0 after the module's timeout and retries, one line on stderr" {
	skip_unless_snmp
	start=$(date +%s%N)
	st=0
	"$(obs_bin snmpcol)" -c "$DATA/dead.yml" -m system_fast -a wrong_v2 \
		"127.0.0.1:$SNMPD_PORT" >"$T/out" 2>"$T/err" || st=$?
	elapsed=$(elapsed_ms "$start")
	[ "$st" -eq 1 ]
	# snmpd drops a wrong community without a word: 300ms twice
	[ "$elapsed" -ge 550 ] && [ "$elapsed" -lt 3000 ]
	[ "$(cat "$T/err")" = "snmpcol: scrape '127.0.0.1:$SNMPD_PORT' module 'system_fast' failed: request timeout (after 1 retries)" ]
	grep -Eq '^up\{module="system_fast"\} 0 [0-9]{13}$' "$T/out"
	[ "$(grep -vc '^#' "$T/out")" -eq 2 ]
	# the same agent answers the right community
	"$(obs_bin snmpcol)" -c "$DATA/dead.yml" -m system_fast "127.0.0.1:$SNMPD_PORT" >"$T/out"
	grep -Eq '^up\{module="system_fast"\} 1 ' "$T/out"
}

@test "SNMPv3 wrong password, wrong priv password, unknown user: up 0 and one line each" {
	skip_unless_snmp
	v3() {
		st=0
		start=$(date +%s%N)
		"$(obs_bin snmpcol)" -c "$DATA/dead.yml" -c "$DATA/auths-v3-all.yml" \
			-m system_fast -a "$1" "127.0.0.1:$SNMPD_PORT" >"$T/out" 2>"$T/err" || st=$?
		elapsed=$(elapsed_ms "$start")
		[ "$st" -eq 1 ]
		grep -Eq '^up\{module="system_fast"\} 0 [0-9]{13}$' "$T/out"
		refute grep -q '^sysName' "$T/out"
		[ "$(wc -l <"$T/err")" -eq 1 ]
	}
	pre="snmpcol: scrape '127.0.0.1:$SNMPD_PORT' module 'system_fast' failed:"
	# the agent reports these at once (usmStatsWrongDigests, ...)
	v3 v3_wrong_password
	[ "$(cat "$T/err")" = "$pre Authentication failure (incorrect password, community or key)" ]
	[ "$elapsed" -lt 3000 ]
	v3 v3_unknown_user
	[ "$(cat "$T/err")" = "$pre Unknown user name" ]
	# what the agent decrypts into garbage it drops without a report:
	# a timeout, after the discovery it answered
	v3 v3_wrong_priv_password
	[ "$(cat "$T/err")" = "$pre request timeout (after 1 retries; the agent answered SNMPv3 discovery: wrong priv_password or priv_protocol?)" ]
	[ "$elapsed" -ge 550 ] && [ "$elapsed" -lt 3000 ]
}

@test "a dead agent over SNMPv3: up 0 within the module's timeout and retries" {
	skip_unless_bin snmpcol
	port=$(free_port)
	start=$(date +%s%N)
	st=0
	"$(obs_bin snmpcol)" -c "$DATA/dead.yml" -c "$DATA/auths-v3-all.yml" \
		-m system_fast -a v3_sha_aes "127.0.0.1:$port" >"$T/out" 2>"$T/err" || st=$?
	elapsed=$(elapsed_ms "$start")
	[ "$st" -eq 1 ]
	# the engine discovery is retried as any request: 300ms twice
	[ "$elapsed" -ge 550 ] && [ "$elapsed" -lt 3000 ]
	[ "$(cat "$T/err")" = "snmpcol: scrape '127.0.0.1:$port' module 'system_fast' failed: request timeout (after 1 retries)" ]
	grep -Eq '^up\{module="system_fast"\} 0 [0-9]{13}$' "$T/out"
}

@test "auths in their own file: repeated -c merges auths and modules, a later file wins, globs" {
	skip_unless_snmp
	# modules only, and auths only
	sed '/^auths:/,/^modules:/{/^modules:/!d}' "$DATA/dead.yml" >"$T/modules.yml"
	printf 'auths:\n  lab:\n    community: public\n    version: 2\n' >"$T/auths.yml"
	run "$(obs_bin snmpcol)" -c "$T/modules.yml" -m system_fast -a lab "127.0.0.1:$SNMPD_PORT"
	[ "$status" -eq 2 ]
	[ "$output" = "snmpcol: unknown auth 'lab'" ]
	"$(obs_bin snmpcol)" -c "$T/modules.yml" -c "$T/auths.yml" -m system_fast -a lab \
		"127.0.0.1:$SNMPD_PORT" >"$T/out"
	grep -Eq '^sysName\{sysName="testhost"\} 1 ' "$T/out"
	# the big generated file with a small auths file beside it
	"$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" -c "$T/auths.yml" -m system \
		-a lab "127.0.0.1:$SNMPD_PORT" >"$T/split.prom"
	"$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" -m system \
		"127.0.0.1:$SNMPD_PORT" >"$T/one.prom"
	normalize "$T/one.prom" >"$T/one.norm"
	normalize "$T/split.prom" >"$T/split.norm"
	diff -u "$T/one.norm" "$T/split.norm"
	# an auth of a later file replaces the one of the same name
	printf 'auths:\n  public_v2:\n    community: wrong\n    version: 2\n' >"$T/override.yml"
	st=0
	"$(obs_bin snmpcol)" -c "$DATA/dead.yml" -c "$T/override.yml" -m system_fast \
		"127.0.0.1:$SNMPD_PORT" >"$T/out" 2>/dev/null || st=$?
	[ "$st" -eq 1 ]
	grep -Eq '^up\{module="system_fast"\} 0 ' "$T/out"
	"$(obs_bin snmpcol)" -c "$T/override.yml" -c "$DATA/dead.yml" -m system_fast \
		"127.0.0.1:$SNMPD_PORT" >"$T/out"
	grep -Eq '^up\{module="system_fast"\} 1 ' "$T/out"
	# a pattern reads every file it matches, in name order
	mkdir "$T/conf.d"
	cp "$T/modules.yml" "$T/conf.d/10-modules.yml"
	cp "$T/auths.yml" "$T/conf.d/20-auths.yml"
	"$(obs_bin snmpcol)" -c "$T/conf.d/*.yml" -m system_fast -a lab \
		"127.0.0.1:$SNMPD_PORT" >"$T/out"
	grep -Eq '^sysName\{sysName="testhost"\} 1 ' "$T/out"
	# one that matches nothing is a warning, as snmp_exporter's
	run "$(obs_bin snmpcol)" -c "$T/conf.d/*.yml" -c "$T/none/*.yml" -m system_fast \
		-a lab "127.0.0.1:$SNMPD_PORT"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "snmpcol: warning: no file matches '$T/none/*.yml'" ]
}

@test "Counter64 past 2^53 wraps there as snmp_exporter's; --no-wrap-large-counters does not" {
	skip_unless_snmp
	"$(obs_bin snmpcol)" -c "$DATA/tables.yml" -m big "127.0.0.1:$SNMPD_PORT" >"$T/out"
	grep '^big' "$T/out" | sed 's/ [0-9]*$//' >"$T/wrap"
	printf '%s\n' 'bigCounter 5' 'bigMax 9.007199254740991e+15' 'bigSmall 12345' >"$T/want"
	diff -u "$T/want" "$T/wrap"
	"$(obs_bin snmpcol)" --no-wrap-large-counters -c "$DATA/tables.yml" -m big \
		"127.0.0.1:$SNMPD_PORT" >"$T/out"
	grep '^big' "$T/out" | sed 's/ [0-9]*$//' >"$T/nowrap"
	printf '%s\n' 'bigCounter 9.007199254740996e+15' 'bigMax 1.8446744073709552e+19' \
		'bigSmall 12345' >"$T/want"
	diff -u "$T/want" "$T/nowrap"
	# the later of the two options wins
	"$(obs_bin snmpcol)" --no-wrap-large-counters --wrap-large-counters \
		-c "$DATA/tables.yml" -m big "127.0.0.1:$SNMPD_PORT" >"$T/out"
	grep '^big' "$T/out" | sed 's/ [0-9]*$//' | diff -u "$T/wrap" -
	# snmp_exporter 0.21 says the same, with and without its flag
	skip_unless_cmd "$OBS_SNMP_EXPORTER"
	start_snmp_exporter "$DATA/tables.yml"
	curl -fsS --max-time 20 -o "$T/exp.prom" "$EXP_URL?target=127.0.0.1:$SNMPD_PORT&module=big"
	grep '^big' "$T/exp.prom" | diff -u "$T/wrap" -
	stop_pid "$EXP_PID"
	start_snmp_exporter "$DATA/tables.yml" --no-snmp.wrap-large-counters
	curl -fsS --max-time 20 -o "$T/exp.prom" "$EXP_URL?target=127.0.0.1:$SNMPD_PORT&module=big"
	grep '^big' "$T/exp.prom" | diff -u "$T/nowrap" -
}

@test "a huge table (5000 rows): every row, equal to snmp_exporter 0.21, in bounded time" {
	skip_unless_snmp
	start=$(date +%s%N)
	"$(obs_bin snmpcol)" -c "$DATA/tables.yml" -m huge "127.0.0.1:$SNMPD_PORT" \
		>"$T/huge.prom" 2>"$T/err"
	elapsed=$(elapsed_ms "$start")
	[ ! -s "$T/err" ]
	# six columns of every row, each row labelled by its lookup
	for m in hugeIndex hugeDescr hugeType hugeSpeed hugeInOctets hugeHCInOctets; do
		[ "$(grep -c "^$m{hugeDescr=\"port[0-9]*\",hugeIndex=\"[0-9]*\"" "$T/huge.prom")" -eq "$HUGE_ROWS" ]
	done
	grep -q '^hugeSpeed{hugeDescr="port999",hugeIndex="999"} 1e+09 ' "$T/huge.prom"
	grep -q "^hugeType{hugeDescr=\"port$HUGE_ROWS\",hugeIndex=\"$HUGE_ROWS\"} 8 " "$T/huge.prom"
	grep -Eq "^snmp_scrape_pdus_returned\\{module=\"huge\"\\} $((HUGE_ROWS * 6)) " "$T/huge.prom"
	# the agent (a script behind snmpd) is the slow part: seconds, not minutes
	[ "$elapsed" -lt 60000 ]
	skip_unless_cmd "$OBS_SNMP_EXPORTER"
	start_snmp_exporter "$DATA/tables.yml"
	compare_with_exporter huge -c "$DATA/tables.yml" -m huge
	[ "$(grep -c '^S hugeType{' "$T/ours.norm")" -eq "$HUGE_ROWS" ]
}

@test "--lookup-cache: later polls leave lookup columns out of their walks, same series, walked again after DUR" {
	skip_unless_snmp
	run "$(obs_bin snmpcol)" --lookup-cache 1s -c "$DATA/tables.yml" -m cached 127.0.0.1:1
	[ "$status" -eq 2 ]
	run "$(obs_bin snmpcol)" --lookup-cache soon -c "$DATA/tables.yml" -t "$DATA/targets.yml"
	[ "$status" -eq 2 ]
	[ "$output" = "snmpcol: bad duration 'soon' for --lookup-cache" ]
	target="127.0.0.1:$SNMPD_PORT"
	printf 'interval: 300ms\ntargets:\n  - target: %s\n    module: cached\n' "$target" >"$T/t.yml"
	# what one poll without a cache gives
	"$(obs_bin snmpcol)" -c "$DATA/tables.yml" -m cached "$target" >"$T/once.prom"
	grep '^lk' "$T/once.prom" | sed 's/ [0-9]*$//' >"$T/once"
	[ "$(grep -c '^lkCount{lkIndex="7",lkName="if7"} 70$' "$T/once")" -eq 1 ]
	[ "$(wc -l <"$T/once")" -eq $((LOOKUP_ROWS * 2)) ]
	"$(obs_bin snmpcol)" --lookup-cache 1500ms -c "$DATA/tables.yml" -t "$T/t.yml" \
		>"$T/out" 2>"$T/err" &
	pid=$!
	obs_track "$pid" snmpcol
	# the PDUs of each poll: full, fewer while the cache holds, full again
	pdus() {
		sed -n 's/^snmp_scrape_pdus_returned{[^}]*} \([0-9]*\) .*/\1/p' "$T/out" | tr '\n' ' '
	}
	full=$((LOOKUP_ROWS * 3))
	less=$((LOOKUP_ROWS * 2))
	for ((i = 0; i < 100; i++)); do
		[[ " $(pdus)" == " $full $less "*" $full $less "* ]] && break
		sleep 0.1
	done
	stop_pid "$pid"
	wait "$pid" 2>/dev/null || true
	seq=$(pdus)
	echo "pdus of the polls: $seq"
	[[ " $seq" == " $full $less "*" $full $less "* ]]
	[ ! -s "$T/err" ]
	# fewer packets too: the lookup column's requests are not sent
	sent=$(sed -n 's/^snmp_scrape_packets_sent{[^}]*} \([0-9]*\) .*/\1/p' "$T/out" | head -n 2 | tr '\n' ' ')
	read -r s1 s2 <<<"$sent"
	[ "$s2" -lt "$s1" ]
	# every poll, cached or not, has the series of the poll without a cache
	polls=$(grep -c '^up{' "$T/out")
	[ "$polls" -ge 4 ]
	grep '^lk' "$T/out" | sed -e 's/ [0-9]*$//' -e "s/{instance=\"$target\",/{/" |
		sort | uniq -c | awk -v n="$polls" '$1 != n' >"$T/odd"
	[ ! -s "$T/odd" ]
	grep '^lk' "$T/out" | sed -e 's/ [0-9]*$//' -e "s/{instance=\"$target\",/{/" |
		sort -u | diff -u "$T/once" -
	# without the option every poll walks everything
	"$(obs_bin snmpcol)" -c "$DATA/tables.yml" -t "$T/t.yml" >"$T/out" 2>"$T/err" &
	pid=$!
	obs_track "$pid" snmpcol
	# bounded at 30 s: an ASan build on a loaded machine polls slowly
	for ((i = 0; i < 300; i++)); do
		[ "$(grep -c '^up{' "$T/out")" -ge 3 ] && break
		sleep 0.1
	done
	stop_pid "$pid"
	wait "$pid" 2>/dev/null || true
	[[ " $(pdus)" == " $full $full $full"* ]]
	[[ " $(pdus)" != *" $less "* ]]
}
