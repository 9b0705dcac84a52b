#!/usr/bin/env bats
# obsd.bats: obsd(8) end to end: usage, config errors that start nothing,
# word splitting, real pipelines that deliver (to a file and to
# Prometheus), a clean stop under load that loses nothing, each member
# (two sources, relabel, the sink) killed with SIGKILL in turn under load
# and restarted on the same pipes within 1 s, rwsend -q killed under load
# with every sample still reaching Prometheus, the restart backoff (a bad
# flag does not spin), status 2, the draining stop, SIGHUP reloads,
# `obsd status`, stderr prefixes and the stats files.

load helpers

setup() {
	skip_unless_bin obsd
	OBSD=$(obs_bin obsd)
	D="$OBS_ROOT/tests/data/obsd"
	RUN="$T/run"
	# Members of these tests stop at once; 3 s per stage is plenty and
	# keeps a stop within stop_pid's 10 s.
	STOP="--stop-timeout 3s"
}

teardown() {
	stop_peers
}

# start_obsd CONFIG [ARGS...]: obsd in the background with its run dir in
# $T/run, stdout in $T/stdout and stderr in $T/err; sets OBSD_PID.  It
# inherits none of bats' descriptors, nor do its members.
start_obsd() {
	local conf=$1
	shift
	# shellcheck disable=SC2086 # STOP is two words
	"$OBSD" -c "$conf" --run-dir "$RUN" $STOP "$@" </dev/null \
		>"$T/stdout" 2>"$T/err" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	OBSD_PID=$!
	obs_track "$OBSD_PID" obsd
}

# stop_obsd: SIGTERM to obsd, waits at most 20 s for it to exit and sets
# OBSD_STATUS to its exit status.
stop_obsd() {
	kill -TERM "$OBSD_PID"
	wait_until 20 refute obs_alive "$OBSD_PID"
	OBSD_STATUS=0
	wait "$OBSD_PID" || OBSD_STATUS=$?
}

# has_lines FILE N: FILE has at least N lines.
has_lines() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# has_distinct FILE N: FILE has at least N different lines.
has_distinct() {
	[ -f "$1" ] && [ "$(sort -u "$1" | wc -l)" -ge "$2" ]
}

# grep_count N PATTERN FILE: PATTERN matches at least N lines of FILE.
grep_count() {
	[ "$(grep -c -- "$2" "$3")" -ge "$1" ]
}

# field STATENAME PIPELINE MEMBER N: field N of the member's line in the
# state file (5 pid, 6 state, 8 restarts, 9 last exit).
field() {
	awk -v p="$2" -v m="$3" -v f="$4" \
		'$1 == "member" && $2 == p && $3 == m { print $f }' "$RUN/$1.state"
}

# member_state STATENAME PIPELINE MEMBER STATE: the member is in STATE.
member_state() {
	[ "$(field "$1" "$2" "$3" 6)" = "$4" ]
}

# pid_changed STATENAME PIPELINE MEMBER OLDPID: the member runs with
# another pid than OLDPID.
pid_changed() {
	local p
	p=$(field "$1" "$2" "$3" 5)
	[ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$4" ] &&
		[ "$(field "$1" "$2" "$3" 6)" = running ]
}

# seq_lines NAME FROM TO: the lines gen.sh writes for i in FROM..TO.
seq_lines() {
	local i
	for ((i = $2; i <= $3; i++)); do
		printf '%s{i="%d"} 1\n' "$1" "$i"
	done
}

# --- usage and configuration errors -------------------------------------

@test "-h prints the usage on stdout, exit 0" {
	"$OBSD" -h >"$T/out" 2>"$T/err"
	head -n 1 "$T/out" | grep -q '^usage: obsd \[-hv\] -c FILE'
	[ ! -s "$T/err" ]
}

@test "--version prints the version" {
	"$OBSD" --version >"$T/out"
	grep -Eq '^obsd version [0-9]+\.[0-9]+\.[0-9]+$' "$T/out"
}

@test "no -c, an unknown option or command: usage on stderr, exit 2" {
	run "$OBSD"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "usage: obsd "* ]]
	run "$OBSD" -c "$D/unknown-key.yml" --bogus
	[ "$status" -eq 2 ]
	run "$OBSD" -c "$D/unknown-key.yml" restart
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "obsd: unknown command 'restart': expected check, run or status" ]
	run "$OBSD" -c x.yml --stop-timeout 5 check
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "obsd: invalid --stop-timeout '5': not a duration such as 5s or 1m30s" ]
	run "$OBSD" -c x.yml --backoff-max 2d check
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "obsd: invalid --backoff-max '2d': longer than 1d" ]
}

@test "config errors name file, line and key, exit 2" {
	local f
	for f in unknown-key missing-sink bad-quote member-key no-pipelines; do
		"$OBSD" -c "$D/$f.yml" --run-dir "$RUN" >"$T/out" 2>"$T/$f.err" &&
			{ echo "$f: exit 0" >&2; return 1; }
		[ $? -eq 2 ]
		[ ! -s "$T/out" ]
	done
	[ "$(cat "$T/unknown-key.err")" = "obsd: $D/unknown-key.yml:6: filter: unknown key" ]
	[ "$(cat "$T/missing-sink.err")" = "obsd: $D/missing-sink.yml:3: sink: missing" ]
	[ "$(cat "$T/bad-quote.err")" = "obsd: $D/bad-quote.yml:7: filters: unterminated single quote" ]
	[ "$(cat "$T/member-key.err")" = "obsd: $D/member-key.yml:6: environment: unknown key" ]
	[ "$(cat "$T/no-pipelines.err")" = "obsd: $D/no-pipelines.yml:2: pipeline: unknown key" ]
	# Nothing ran, so nothing was published.
	[ ! -e "$RUN" ]
}

@test "the example pipelines in share/obsd are valid" {
	local f n=0
	for f in "$OBS_ROOT"/share/obsd/*.yml; do
		"$OBSD" -c "$f" check >"$T/out" 2>"$T/err"
		[ ! -s "$T/out" ]
		[ ! -s "$T/err" ]
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
}

@test "an error in one pipeline starts nothing of the others" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  good:
	    sources: ["touch $T/started-source"]
	    sink: touch $T/started-sink
	  bad:
	    sources: [hostcol]
	    filters: ["relabel \\\\"]
	    sink: rwsend
	EOF
	run "$OBSD" -c "$T/c.yml" --run-dir "$RUN"
	[ "$status" -eq 2 ]
	[ "$output" = "obsd: $T/c.yml:7: filters: backslash at the end" ]
	sleep 0.3
	[ ! -e "$T/started-source" ]
	[ ! -e "$T/started-sink" ]
}

@test "check: a good file exits 0 and starts nothing" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: ["touch $T/started"]
	    sink: cat
	EOF
	"$OBSD" -c "$T/c.yml" check >"$T/out" 2>"$T/err"
	[ ! -s "$T/out" ]
	[ ! -s "$T/err" ]
	[ ! -e "$T/started" ]
}

@test "command lines are split as sh splits words, without expansion" {
	# The YAML single-quoted scalar holds the command line as written.
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources:
	      - 'printf "<%s>\n" plain "dq \"x\" \\\\\\\\ \$HOME" ''sq \$HOME \\\\'' back\\ slash e"mb"ed ""'
	      - cmd: [printf, '<%s>\n', 'a list', '\$HOME']
	        name: list
	      - cmd: sh -c 'printf "<%s>\n" "\$OBSD_T" "\$(pwd)"'
	        env: {OBSD_T: from env}
	        dir: $T
	    sink: sh $D/sink.sh $T/out
	EOF
	start_obsd "$T/c.yml"
	wait_until 10 has_distinct "$T/out" 10
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	# One-shot members are restarted: each line comes more than once.
	sort -u "$T/out" >"$T/got"
	# shellcheck disable=SC2016 # $HOME is not expanded: that is the test
	printf '%s\n' '<plain>' '<dq "x" \\ $HOME>' '<sq $HOME \\>' '<back slash>' \
		'<embed>' '<>' '<a list>' '<$HOME>' '<from env>' "<$T>" | sort >"$T/want"
	diff -u "$T/want" "$T/got"
}

# --- pipelines ----------------------------------------------------------

@test "sources fan in through relabel to the sink; a clean stop loses nothing" {
	skip_unless_bin relabel
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources:
	      - sh $D/gen.sh a 3000
	      - sh $D/gen.sh b 3000
	    filters:
	      - $(obs_bin relabel) -l via=relabel
	    sink: sh $D/sink.sh $T/out
	EOF
	start_obsd "$T/c.yml"
	wait_until 20 has_lines "$T/out" 6000
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	{ seq_lines a 0 2999; seq_lines b 0 2999; } |
		sed 's/}/,via="relabel"}/' | sort >"$T/want"
	sort "$T/out" >"$T/got"
	diff -u "$T/want" "$T/got" >/dev/null
	[ "$(cat "$T/out.eof")" = eof ]
	[ ! -e "$RUN/c.state" ]
}

@test "SIGTERM drains: every line in flight reaches the sink, which exits 0 in time" {
	skip_unless_bin relabel
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: [sh $D/gen.sh m 20000]
	    filters:
	      - $(obs_bin relabel)
	      - $(obs_bin relabel) -l second=yes
	    sink: sh $D/sink.sh $T/out
	EOF
	start_obsd "$T/c.yml"
	# Stop as soon as anything arrived: most lines are still in flight.
	wait_until 10 has_lines "$T/out" 1
	t0=$(date +%s%N)
	stop_obsd
	t1=$(date +%s%N)
	[ "$OBSD_STATUS" -eq 0 ]
	[ $(((t1 - t0) / 1000000)) -lt 9000 ]
	[ "$(wc -l <"$T/out")" -eq 20000 ]
	[ "$(sort -u "$T/out" | wc -l)" -eq 20000 ]
	[ "$(cat "$T/out.eof")" = eof ]
	grep -q '^obsd: p/sh-2: exited with status 0 after ' "$T/err"
}

@test "a clean stop under load delivers every line the sources wrote" {
	skip_unless_bin relabel
	skip_unless_cmd "$OBS_PYTHON"
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources:
	      - {name: a, cmd: sh $D/load.sh a $T}
	      - {name: b, cmd: sh $D/load.sh b $T}
	    filters:
	      - $(obs_bin relabel)
	      - $(obs_bin relabel) -l via=r
	    sink: {name: sink, cmd: $OBS_PYTHON $D/splice-sink.py $T/out}
	EOF
	start_obsd "$T/c.yml"
	# SIGTERM while both sources write as fast as they can and every pipe
	# is full.
	wait_until 20 has_lines "$T/out" 50000
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	[ "$(cat "$T/out.eof")" = eof ]
	[ "$(cat "$T/a.gen") $(cat "$T/b.gen")" = "1 1" ]
	awk -v killed= -v ffilter= -v bound=1 -f "$D/loadcheck.awk" \
		"$T"/[ab].*.log "$T/out" >"$T/check" 2>"$T/problems" ||
		{ head -n 20 "$T/problems"; cat "$T/check"; return 1; }
	cat "$T/check"
	read -r _ written _ received _ torn _ twice _ reordered _ extra _ lost _ <"$T/check"
	[ "$written" -gt 50000 ]
	[ "$received" -eq "$written" ]
	[ "$torn $twice $reordered $extra $lost" = "0 0 0 0 0" ]
}

@test "a stop starts a filter waiting for its restart, so blocked writers drain" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: [sh $D/gen.sh f 20000]
	    filters: [sh $D/failfirst.sh $T/count]
	    sink: sh $D/sink.sh $T/out
	EOF
	# The filter fails at once and waits 20 s; the source fills the pipe
	# (more than 64 KiB) and blocks in write(2).
	start_obsd "$T/c.yml" --backoff-min 20s --backoff-max 20s
	wait_until 10 member_state c p sh-2 backoff
	sleep 0.5
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	[ "$(wc -l <"$T/out")" -eq 20000 ]
	[ "$(sort -u "$T/out" | wc -l)" -eq 20000 ]
}

@test "hostcol-style pipeline to Prometheus: gen | relabel | rwsend" {
	skip_unless_bin relabel
	skip_unless_bin rwsend
	skip_unless_cmd "$OBS_PROMETHEUS"
	start_prometheus
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  prom:
	    sources: [sh $D/gen.sh obsd_gen 50]
	    filters: [$(obs_bin relabel) -l job=obsd]
	    sink: $(obs_bin rwsend) -u $PROM_RW_URL --batch-send-deadline 100ms -q $T/queue
	EOF
	start_obsd "$T/c.yml"
	prom_wait_value 'count(obsd_gen{job="obsd"})' 50 20
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	grep -q '^obsd: prom/rwsend: exited with status 0' "$T/err"
}

@test "kill -9 of a filter: restarted on the same pipes, the sink never sees EOF, no line lost" {
	skip_unless_bin relabel
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: [sh $D/gen.sh k 500 $T/go 500]
	    filters: [$(obs_bin relabel)]
	    sink: sh $D/sink.sh $T/out
	EOF
	start_obsd "$T/c.yml"
	wait_until 10 has_lines "$T/out" 500
	wait_until 5 member_state c p relabel running
	old=$(field c p relabel 5)
	sink=$(field c p sh-2 5)
	# relabel flushes before it waits for input: killing it while the
	# source is idle loses nothing (mid-line, what it had read and not
	# yet written would be lost).
	kill -KILL "$old"
	wait_until 10 pid_changed c p relabel "$old"
	[ "$(field c p relabel 8)" = 1 ]
	[ "$(field c p relabel 9)" = SIGKILL ]
	grep -q '^obsd: p/relabel: killed by signal 9 (SIGKILL) after .*; restart in 100ms$' "$T/err"
	touch "$T/go"
	wait_until 10 has_lines "$T/out" 1000
	[ ! -e "$T/out.eof" ]
	[ "$(field c p sh-2 5)" = "$sink" ]
	[ "$(field c p sh-2 8)" = 0 ]
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	seq_lines k 0 999 >"$T/want"
	diff -u "$T/want" "$T/out"
	[ "$(cat "$T/out.eof")" = eof ]
}

@test "a dead sink is restarted; its writers wait on the held pipe, nothing lost" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: [sh $D/gen.sh s 200 $T/go 200]
	    sink: sh $D/sink.sh $T/out
	EOF
	start_obsd "$T/c.yml"
	wait_until 10 has_lines "$T/out" 200
	old=$(field c p sh-2 5)
	# The whole process group: sh and its cat.
	kill -KILL -- "-$old"
	wait_until 10 pid_changed c p sh-2 "$old"
	touch "$T/go"
	wait_until 10 has_lines "$T/out" 400
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	seq_lines s 0 399 >"$T/want"
	diff -u "$T/want" "$T/out"
}

# --- kill -9 under load -------------------------------------------------

# kill_member STATENAME PIPELINE MEMBER: SIGKILL to the member's process
# (not its group), then waits for its restart; fails unless obsd started
# it again within 1 s of the kill (its start time in the state file) and
# every other member of the pipeline kept its pid.  Logs what it did.
kill_member() {
	local st=$1 p=$2 m=$3 old t0 t1 o
	old=$(field "$st" "$p" "$m" 5)
	[ -n "$old" ] && [ "$old" != 0 ]
	awk -v p="$p" -v m="$m" '$1 == "member" && $2 == p && $3 != m { print $3, $5 }' \
		"$RUN/$st.state" >"$T/others"
	[ "$(wc -l <"$T/others")" -ge 1 ]
	t0=$(date +%s%3N)
	kill -KILL "$old"
	wait_until 10 pid_changed "$st" "$p" "$m" "$old"
	t1=$(field "$st" "$p" "$m" 7)
	echo "$m: pid $old killed at $t0, pid $(field "$st" "$p" "$m" 5) started at $t1: $((t1 - t0)) ms"
	[ $((t1 - t0)) -ge 0 ] && [ $((t1 - t0)) -lt 1000 ]
	[ "$(field "$st" "$p" "$m" 9)" = SIGKILL ]
	while read -r o pid; do
		[ "$(field "$st" "$p" "$o" 5)" = "$pid" ] ||
			{ echo "$o: pid $pid became $(field "$st" "$p" "$o" 5)"; return 1; }
	done <"$T/others"
}

@test "kill -9 each member in turn under load: back within 1 s, neighbours keep their pids, no line torn, only the filter's buffer lost" {
	skip_unless_bin relabel
	skip_unless_cmd "$OBS_PYTHON"
	# Two sources writing as fast as the pipe takes (fan-in), relabel,
	# and a sink that records every byte with splice(2), so that it loses
	# nothing when killed and every loss would be obsd's or relabel's.
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources:
	      - {name: a, cmd: sh $D/load.sh a $T}
	      - {name: b, cmd: sh $D/load.sh b $T}
	    filters: [$(obs_bin relabel) -l via=r]
	    sink: {name: sink, cmd: $OBS_PYTHON $D/splice-sink.py $T/out}
	EOF
	start_obsd "$T/c.yml"
	wait_until 20 has_lines "$T/out" 20000
	for m in a b relabel sink; do
		n=$(wc -l <"$T/out")
		[ "$m" = relabel ] && ffilter="a.$(cat "$T/a.gen") b.$(cat "$T/b.gen")"
		kill_member c p "$m"
		# The restarted member carries the load again.
		wait_until 20 has_lines "$T/out" $((n + 20000))
	done
	"$OBSD" -c "$T/c.yml" --run-dir "$RUN" status >"$T/st"
	awk 'NR > 2 { print $1, $2, $3, $7, $8 }' "$T/st" >"$T/got"
	printf 'p %s 1 SIGKILL\n' 'a source' 'b source' 'relabel filter' 'sink sink' >"$T/want"
	diff -u "$T/want" "$T/got"
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	[ "$(cat "$T/out.eof")" = eof ]
	[ "$(cat "$T/a.gen") $(cat "$T/b.gen")" = "2 2" ]
	# Every line written arrived whole, once, in order; the sources'
	# restarts and the sink's lost nothing; relabel's loss, if any, is one
	# run per source, less than what it may hold (obsd(8): 64 KiB read,
	# under 4 KiB not yet written).
	awk -v killed="a.1 b.1" -v ffilter="$ffilter" -v bound=$((65536 + 4096)) \
		-f "$D/loadcheck.awk" "$T"/[ab].*.log "$T/out" >"$T/check" 2>"$T/problems" ||
		{ head -n 20 "$T/problems"; cat "$T/check"; return 1; }
	cat "$T/check"
	read -r _ written _ received _ torn _ twice _ reordered _ extra _ lost _ bytes _ problems <"$T/check"
	[ "$written" -ge 100000 ]
	[ "$torn" -eq 0 ] && [ "$twice" -eq 0 ] && [ "$reordered" -eq 0 ] && [ "$problems" -eq 0 ]
	[ $((written + extra - lost)) -eq "$received" ]
	[ "$bytes" -lt $((65536 + 4096)) ]
}

@test "kill -9 of rwsend -q under load: back within 1 s on the held pipe, every sample reaches Prometheus" {
	skip_unless_bin relabel
	skip_unless_bin rwsend
	skip_unless_cmd "$OBS_PROMETHEUS"
	start_prometheus
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources:
	      - {name: a, cmd: sh $D/rwload.sh a $T}
	      - {name: b, cmd: sh $D/rwload.sh b $T}
	    filters: [$(obs_bin relabel) -l via=r]
	    sink: $(obs_bin rwsend) -u $PROM_RW_URL --batch-send-deadline 100ms --drain-timeout 10s -q $T/queue
	EOF
	start_obsd "$T/c.yml"
	prom_wait_count() {
		[ "$(prom_value "count_over_time(obs_load{src=\"a\",via=\"r\"}[10m])")" -ge "$1" ] 2>/dev/null
	}
	wait_until 30 prom_wait_count 2000
	kill_member c p rwsend
	wait_until 30 prom_wait_count 6000
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	# What rwsend says: at most that it replays its journal, and that the
	# receiver refused, as samples it already has, the batch that was in
	# flight at the kill and went out again (rwsend(1): the head is saved
	# after every acknowledgement, the journal hand-off is crash-atomic, so
	# nothing else is sent twice).  Those refusals are not failures: exit 0.
	grep '^p/rwsend: ' "$T/err" |
		grep -v -e "^p/rwsend: rwsend: warning: replaying [0-9]* bytes of input that an earlier run read but did not queue, from '$T/queue/journal'\$" \
			-e "^p/rwsend: rwsend: endpoint '[^']*': [0-9]* samples sent again after a restart were refused as the receiver has them (.*); not a failure\$" >"$T/rwerr" || true
	[ ! -s "$T/rwerr" ] || { cat "$T/rwerr"; return 1; }
	grep -Eq '^obsd: p/rwsend: exited with status 0 after ' "$T/err"
	# Every sample every source wrote is in Prometheus, once: per series
	# the values are 0..N-1 for the N lines its log holds.
	for s in a b; do
		[ "$(cat "$T/$s.gen")" = 1 ]
		n=$(wc -l <"$T/$s.1.log")
		prom_query "obs_load{src=\"$s\",gen=\"1\",via=\"r\"}[10m]" >"$T/$s.json"
		jq -r '.data.result[0].values[][1]' "$T/$s.json" >"$T/$s.got"
		seq 0 $((n - 1)) >"$T/$s.want"
		echo "$s: $n written, $(wc -l <"$T/$s.got") in Prometheus"
		diff "$T/$s.want" "$T/$s.got" >/dev/null || { cat "$T/err"; diff "$T/$s.want" "$T/$s.got" | head; return 1; }
	done
}

# --- restarts and reloads -----------------------------------------------

@test "a member that exits at once (a bad flag) backs off and does not spin" {
	skip_unless_bin relabel
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  flag:
	    sources: [$(obs_bin relabel) --no-such-flag]
	    sink: cat
	  fails:
	    sources: ['false']
	    sink: cat
	EOF
	t0=$(date +%s%3N)
	start_obsd "$T/c.yml" --backoff-max 1600ms
	# A usage error (status 2) waits the maximum each time; status 1
	# waits 100 ms, doubled each time up to the maximum.  Delays only
	# stretch on a busy machine, so the time the exits took is a lower
	# bound that a spinning supervisor would break.
	wait_until 30 grep_count 3 'flag/relabel: exited' "$T/err"
	t1=$(date +%s%3N)
	[ $((t1 - t0)) -ge 3200 ]
	wait_until 30 grep_count 7 'fails/false: exited' "$T/err"
	t2=$(date +%s%3N)
	[ $((t2 - t0)) -ge $((100 + 200 + 400 + 800 + 1600 + 1600)) ]
	# Waiting costs obsd next to nothing: its CPU time (utime + stime,
	# in clock ticks) is well under a second, not a busy loop's.
	read -r -a stat <"/proc/$OBSD_PID/stat"
	echo "obsd CPU: $((stat[13] + stat[14])) ticks of $(getconf CLK_TCK) per s in $((t2 - t0)) ms"
	[ $((stat[13] + stat[14])) -lt "$(getconf CLK_TCK)" ]
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	grep -c '^obsd: flag/relabel: exited with status 2 (a configuration error) after [0-9.]*s; restart in 1600ms or on SIGHUP$' "$T/err" >"$T/n"
	[ "$(cat "$T/n")" -ge 3 ]
	grep -q "^flag/relabel: .*relabel: unrecognized option '--no-such-flag'\$" "$T/err"
	grep -o 'fails/false: exited with status 1 after [0-9.]*s; restart in [0-9]*ms' "$T/err" |
		sed 's/after [0-9.]*s; //' | head -n 6 >"$T/got"
	printf 'fails/false: exited with status 1 restart in %sms\n' 100 200 400 800 1600 1600 >"$T/want"
	diff -u "$T/want" "$T/got"
}

@test "restart backoff doubles to the maximum and resets after a healthy run" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: [sh $D/flaky.sh $T/count 5]
	    sink: cat
	EOF
	start_obsd "$T/c.yml" --backoff-min 100ms --backoff-max 400ms --backoff-reset 1s
	wait_until 30 grep_count 9 'p/sh: exited with status 1' "$T/err"
	stop_obsd
	grep -o 'p/sh: exited with status 1 after [0-9.]*s; restart in [0-9]*ms' "$T/err" |
		sed 's/after [0-9.]*s; //' | head -n 9 >"$T/got"
	# Starts 1-4 fail at once: 100, 200, 400, 400 (the maximum); start 5
	# runs 1.5 s, longer than --backoff-reset: back to 100.
	printf 'p/sh: exited with status 1 restart in %sms\n' \
		100 200 400 400 100 200 400 400 400 >"$T/want"
	diff -u "$T/want" "$T/got"
	grep -q '^p/sh: start 1$' "$T/err"
}

@test "status 2 (a configuration error) waits the maximum backoff; SIGHUP retries at once" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: ["sh -c 'echo bad config >&2; exit 2'"]
	    sink: cat
	EOF
	start_obsd "$T/c.yml" --backoff-max 1m
	wait_until 10 grep -q 'p/sh: exited with status 2' "$T/err"
	grep -q '^obsd: p/sh: exited with status 2 (a configuration error) after [0-9.]*s; restart in 60000ms or on SIGHUP$' "$T/err"
	[ "$(field c p sh 6)" = backoff ]
	[ "$(field c p sh 9)" = 2 ]
	sleep 1
	[ "$(grep -c 'p/sh: exited' "$T/err")" -eq 1 ]
	kill -HUP "$OBSD_PID"
	wait_until 10 grep_count 2 'p/sh: exited with status 2' "$T/err"
	[ "$(grep -c '^p/sh: bad config$' "$T/err")" -eq 2 ]
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
}

@test "SIGHUP restarts only the changed member; a bad file keeps the running config" {
	skip_unless_bin relabel
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  a:
	    sources: [sh $D/gen.sh a 10]
	    filters: [$(obs_bin relabel)]
	    sink: sh $D/sink.sh $T/a.out
	  b:
	    sources: [sh $D/gen.sh b 10]
	    filters: [$(obs_bin relabel)]
	    sink: sh $D/sink.sh $T/b.out
	EOF
	start_obsd "$T/c.yml"
	wait_until 10 has_lines "$T/a.out" 10
	wait_until 10 has_lines "$T/b.out" 10
	for m in a/sh a/relabel a/sh-2 b/sh b/relabel b/sh-2; do
		printf '%s %s\n' "$m" "$(field c "${m%/*}" "${m#*/}" 5)"
	done >"$T/before"
	# Only pipeline b's filter changes.
	awk -v r="$(obs_bin relabel)" '/^  b:/ { inb = 1 }
		inb && $0 ~ "filters:" { sub(/\]$/, " -l changed=yes]") } { print }' \
		"$T/c.yml" >"$T/c2.yml"
	mv "$T/c2.yml" "$T/c.yml"
	old=$(field c b relabel 5)
	kill -HUP "$OBSD_PID"
	wait_until 10 pid_changed c b relabel "$old"
	grep -q '^obsd: b/relabel: changed: restarting it$' "$T/err"
	for m in a/sh a/relabel a/sh-2 b/sh b/sh-2; do
		[ "$(grep "^$m " "$T/before")" = "$m $(field c "${m%/*}" "${m#*/}" 5)" ]
	done
	# A broken file: logged, nothing restarted, still running.
	printf 'pipelines:\n  a: [\n' >"$T/c.yml"
	cp "$RUN/c.state" "$T/state-before"
	kill -HUP "$OBSD_PID"
	wait_until 10 grep -q 'keeping the running configuration' "$T/err"
	grep -q "^obsd: reload '$T/c.yml' failed: keeping the running configuration$" "$T/err"
	diff "$T/state-before" "$RUN/c.state"
	obs_alive "$OBSD_PID"
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
}

@test "SIGHUP adds and removes pipelines and sources" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  a:
	    sources: [sh $D/gen.sh a 5, {cmd: sh $D/gen.sh x 5, name: x}]
	    sink: sh $D/sink.sh $T/a.out
	EOF
	start_obsd "$T/c.yml"
	wait_until 10 has_lines "$T/a.out" 10
	x=$(field c a x 5)
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  a:
	    sources: [sh $D/gen.sh a 5]
	    sink: sh $D/sink.sh $T/a.out
	  n:
	    sources: [sh $D/gen.sh n 5]
	    sink: sh $D/sink.sh $T/n.out
	EOF
	kill -HUP "$OBSD_PID"
	wait_until 10 has_lines "$T/n.out" 5
	wait_until 10 refute obs_alive "$x"
	grep -q '^obsd: a/x: removed: stopping it$' "$T/err"
	[ -z "$(field c a x 5)" ]
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
}

# --- status, stderr, stats ----------------------------------------------

@test "status prints every pipeline and member; no obsd: exit 1" {
	skip_unless_bin relabel
	mkdir "$T/stats"
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  host:
	    sources: [sh $D/gen.sh a 10]
	    filters: [$(obs_bin relabel)]
	    sink: {cmd: sh $D/sink.sh $T/out, name: out}
	  cfgerr:
	    sources: ["sh -c 'exit 2'"]
	    sink: cat
	EOF
	run "$OBSD" -c "$T/c.yml" --run-dir "$RUN" status
	[ "$status" -eq 1 ]
	[ "$output" = "obsd: no obsd runs for '$T/c.yml' (no state file '$RUN/c.state')" ]
	start_obsd "$T/c.yml" --stats-dir "$T/stats"
	wait_until 10 has_lines "$T/out" 10
	wait_until 10 member_state c cfgerr sh backoff
	"$OBSD" -c "$T/c.yml" --run-dir "$RUN" status >"$T/st" 2>"$T/st.err"
	[ ! -s "$T/st.err" ]
	head -n 1 "$T/st" | grep -Eq "^obsd pid $OBSD_PID, up [0-9]+s, config $T/c.yml\$"
	# Columns: pipeline member role pid state uptime restarts last-exit lines.
	sed 1d "$T/st" | awk '{ $4 = ($4 ~ /^[0-9]+$/) ? "PID" : $4
		$6 = ($6 ~ /^[0-9]+s$/) ? "UP" : $6
		# 30 s minus the time the test took to get here.
		$5 = ($5 ~ /^backoff\((2[0-9]|30)s\)$/) ? "backoff(30s)" : $5
		print }' >"$T/got"
	cat >"$T/want" <<-EOF
	PIPELINE MEMBER ROLE PID STATE UPTIME RESTARTS LAST_EXIT LINES
	host sh source PID running UP 0 - -
	host relabel filter PID running UP 0 - -
	host out sink PID running UP 0 - -
	cfgerr sh source - backoff(30s) - 0 2 -
	cfgerr cat sink PID running UP 0 - -
	EOF
	diff -u "$T/want" "$T/got"
	# Lines through come from the members' stats files.
	printf 'obs_relabel_lines_out_total 1234\n' >"$T/stats/host-relabel.prom"
	"$OBSD" -c "$T/c.yml" --run-dir "$RUN" status >"$T/st"
	[ "$(awk '$2 == "relabel" { print $9 }' "$T/st")" = 1234 ]
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	run "$OBSD" -c "$T/c.yml" --run-dir "$RUN" status
	[ "$status" -eq 1 ]
}

@test "members' stderr: whole lines, prefixed pipeline/member, a last partial line too" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources:
	      - {name: talk, cmd: "sh -c 'printf \"one\\\\ntwo\\\\nthr\" >&2; sleep 0.2; printf \"ee\\\\nlast\" >&2; exec sleep 30'"}
	    sink: cat
	EOF
	start_obsd "$T/c.yml"
	wait_until 10 grep -q '^p/talk: three$' "$T/err"
	stop_obsd
	grep '^p/talk: ' "$T/err" >"$T/got"
	printf 'p/talk: %s\n' one two three last >"$T/want"
	diff -u "$T/want" "$T/got"
}

@test "exec failures are logged with the member's prefix" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: [/nonexistent/prog]
	    sink: cat
	EOF
	start_obsd "$T/c.yml"
	wait_until 10 grep -q 'p/prog: exited with status 127' "$T/err"
	grep -q "^p/prog: obsd: exec '/nonexistent/prog': No such file or directory$" "$T/err"
	stop_obsd
}

@test "--stats-dir: obs programs get --stats-file, obsd writes obs_obsd_* series" {
	mkdir -p "$T/stats" "$T/bin"
	# A stand-in named like a suite program records its arguments.
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >%s/args\nexec sleep 30\n' "$T" >"$T/bin/hostcol"
	chmod +x "$T/bin/hostcol"
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  host:
	    sources: [$T/bin/hostcol --interval 15s]
	    sink: sh -c 'printf "%s\n" "\$@" >$T/sinkargs; exec cat' sh x
	EOF
	start_obsd "$T/c.yml" --stats-dir "$T/stats"
	wait_until 10 test -s "$T/args"
	wait_until 10 test -s "$T/sinkargs"
	printf '%s\n' --interval 15s --stats-file "$T/stats/host-hostcol.prom" >"$T/want"
	diff -u "$T/want" "$T/args"
	[ "$(cat "$T/sinkargs")" = x ]
	wait_until 10 test -s "$T/stats/obsd-c.prom"
	cat >"$T/want" <<-EOF
	# HELP obs_obsd_member_up 1 if the member runs, else 0.
	# TYPE obs_obsd_member_up gauge
	obs_obsd_member_up{member="hostcol",pipeline="host"} 1
	obs_obsd_member_up{member="sh",pipeline="host"} 1
	# HELP obs_obsd_member_restarts_total Times the member was restarted.
	# TYPE obs_obsd_member_restarts_total counter
	obs_obsd_member_restarts_total{member="hostcol",pipeline="host"} 0
	obs_obsd_member_restarts_total{member="sh",pipeline="host"} 0
	EOF
	diff -u "$T/want" "$T/stats/obsd-c.prom"
	pid=$(field c host hostcol 5)
	kill -KILL "$pid"
	wait_until 10 pid_changed c host hostcol "$pid"
	wait_until 10 grep -q 'restarts_total{member="hostcol",pipeline="host"} 1' "$T/stats/obsd-c.prom"
	grep -q '^obs_obsd_member_last_exit_status{member="hostcol",pipeline="host"} 137$' "$T/stats/obsd-c.prom"
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
	grep -q '^obs_obsd_member_up{member="hostcol",pipeline="host"} 0$' "$T/stats/obsd-c.prom"
}

@test "a member that ignores SIGTERM is killed after --stop-timeout; exit 1" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: ["sh -c 'trap \"\" TERM; i=0; while [ \$i -lt 300 ]; do sleep 0.1; i=\$((i+1)); done'"]
	    sink: cat
	EOF
	STOP="--stop-timeout 500ms"
	start_obsd "$T/c.yml"
	wait_until 10 member_state c p sh running
	stop_obsd
	[ "$OBSD_STATUS" -eq 1 ]
	grep -q '^obsd: p/sh: still running 500ms after the stop began: SIGKILL$' "$T/err"
	grep -q '^obsd: p/sh: killed by signal 9 (SIGKILL)' "$T/err"
}

@test "obsd killed with SIGKILL: its members do not run on" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: [sh $D/gen.sh o 1]
	    sink: sh $D/sink.sh $T/out
	EOF
	start_obsd "$T/c.yml"
	wait_until 10 has_lines "$T/out" 1
	src=$(field c p sh 5)
	sink=$(field c p sh-2 5)
	obs_alive "$src"
	kill -KILL "$OBSD_PID"
	wait_until 10 refute obs_alive "$src"
	wait_until 10 refute obs_alive "$sink"
}

@test "no zombies: exited members are reaped" {
	cat >"$T/c.yml" <<-EOF
	pipelines:
	  p:
	    sources: ["sh -c 'exit 0'"]
	    sink: cat
	EOF
	# One exit a second: obsd logs an exit after reaping it, so right
	# after the log line no child of obsd may be a zombie.
	start_obsd "$T/c.yml" --backoff-min 1s --backoff-max 1s
	wait_until 10 grep_count 2 'p/sh: exited with status 0' "$T/err"
	ps -o stat= --ppid "$OBSD_PID" >"$T/ps"
	[ "$(grep -c '^Z' "$T/ps")" -eq 0 ]
	# The sink still runs: the list was not empty.
	[ "$(grep -c . "$T/ps")" -ge 1 ]
	stop_obsd
	[ "$OBSD_STATUS" -eq 0 ]
}
