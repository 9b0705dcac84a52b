#!/usr/bin/env bats
# lokipush.bats: lokipush against a loopback Loki push receiver
# (tests/data/lokipush/receiver.py) that decodes protobuf + snappy and
# JSON on its own, records every entry it got and answers 500, 429 or 400
# on demand.

load helpers

D=$BATS_TEST_DIRNAME/data/lokipush

setup() {
	skip_unless_bin lokipush
	LP=$(obs_bin lokipush)
}

teardown() {
	stop_peers
}

# start_receiver DIR: the loopback receiver; sets RCV_URL.
start_receiver() {
	mkdir -p "$1"
	"$OBS_PYTHON" "$D/receiver.py" "$1" </dev/null >"$1/stderr" 2>&1 3>&- &
	obs_track "$!" receiver
	wait_file "$1/port" || return 1
	RCV_URL=http://127.0.0.1:$(cat "$1/port")/loki/api/v1/push
}

# lp_fifo ARGS...: lokipush ARGS in the background reading $T/fifo, whose
# writing end is opened as fd 5 (close it with exec 5>&-); sets pid.
lp_fifo() {
	mkfifo "$T/fifo"
	"$LP" "$@" <"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	obs_track "$pid" lokipush
	exec 5>"$T/fifo"
}

# stat NAME FILE: a value from a --stats-file.
stat() {
	awk -v n="$1" '$1 == n { print $2 }' "$2"
}

# stat_is NAME FILE VALUE: the --stats-file holds VALUE for NAME.
stat_is() {
	[ "$(stat "$1" "$2")" = "$3" ]
}

# entries N STREAMS [TS0]: N entries over STREAMS streams, recent times.
entries() {
	local ts=${3:-$(now_ns)}
	PYTHONIOENCODING=utf-8 "$OBS_PYTHON" - "$1" "$2" "$ts" <<'PY'
import sys
n, k, ts = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
w = sys.stdout.write
for i in range(n):
    w('{job="t",s="%d"} %d "line %d level=info \\"quoted\\" tab\\there \u00e9"\n'
      % (i % k, ts + i, i))
PY
}

@test "lokipush -h prints usage on stdout and exits 0" {
	run "$LP" -h
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: lokipush [-hv] [-q DIR] [--drain-timeout DUR] [--no-fsync]" ]
	run "$LP" --version
	[ "$status" -eq 0 ]
	[ "$output" = "lokipush version 0.1.0" ]
}

@test "lokipush without a receiver, with -c and -u, or a bad option: exit 2" {
	"$LP" </dev/null >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ ! -s "$T/out" ]
	[ "$(head -1 "$T/err")" = "lokipush: no receiver: give -u URL or -c FILE" ]
	"$LP" -u http://127.0.0.1:1/x -c /dev/null </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(head -1 "$T/err")" = "lokipush: -c and -u exclude each other" ]
	"$LP" -u ftp://x </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "lokipush: invalid -u 'ftp://x': not an http or https URL" ]
	"$LP" -u http://x --format xml </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "lokipush: invalid --format 'xml': not 'protobuf' or 'json'" ]
	"$LP" -u http://x --ca-file "$T/none" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "lokipush: invalid --ca-file '$T/none': No such file or directory" ]
	touch "$T/cert"
	"$LP" -u http://x --cert-file "$T/cert" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "lokipush: --cert-file and --key-file go together" ]
	"$LP" -u http://x --max-retries -1 </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "lokipush: invalid --max-retries '-1': not a number in [0, 1000000]" ]
}

@test "lokipush -c: a bad key names file, line and key, exit 2" {
	cat >"$T/c.yml" <<-EOF
	url: http://127.0.0.1:1/loki/api/v1/push
	batch_wait: 1s
	batch_sise: 1MiB
	EOF
	"$LP" -c "$T/c.yml" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	grep -q "^lokipush: $T/c.yml:3: batch_sise: " "$T/err"
	cat >"$T/c.yml" <<-EOF
	url: http://127.0.0.1:1/loki/api/v1/push
	batch_wait: soon
	EOF
	"$LP" -c "$T/c.yml" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	grep -q "^lokipush: $T/c.yml:2: batch_wait: " "$T/err"
}

@test "lokipush: every entry arrives once, decoded independently, streams in time order" {
	start_receiver "$T/r"
	entries 20000 7 >"$T/in"
	# one stream written backwards: Loki gets it in time order
	now=$(now_ns)
	for i in 5 4 3 2 1; do
		echo "{job=\"back\"} $((now + i)) \"b$i\""
	done >>"$T/in"
	printf '# a comment\n\n' >>"$T/in"
	"$LP" -u "$RCV_URL" --tenant-id team-a --batch-size 64KiB \
		--stats-file "$T/stats" <"$T/in" 2>"$T/err" && st=0 || st=$?
	cat "$T/err"
	[ "$st" -eq 0 ]
	[ ! -s "$T/err" ]
	[ ! -e "$T/r/errors" ]
	grep -v '^#' "$T/in" | grep . | sort >"$T/want"
	sort "$T/r/entries" >"$T/got"
	cmp "$T/want" "$T/got"
	[ "$(grep '"b' "$T/r/entries" | sed 's/.*"\(b.\)"/\1/' | tr '\n' ' ')" = "b1 b2 b3 b4 b5 " ]
	# per stream, the order received is the order of the times
	for s in 0 3 6; do
		grep "s=\"$s\"" "$T/r/entries" | awk '{print $2}' >"$T/ts"
		sort -n "$T/ts" | cmp - "$T/ts"
	done
	# batches of 64 KiB of lines, the tenant header, protobuf
	[ "$(awk '{print $1, $2, $3, $7}' "$T/r/requests" | sort -u)" = "204 application/x-protobuf team-a obs-lokipush" ]
	[ "$(wc -l <"$T/r/requests")" -gt 10 ]
	[ "$(stat obs_lokipush_entries_in_total "$T/stats")" = 20005 ]
	[ "$(stat obs_lokipush_entries_sent_total "$T/stats")" = 20005 ]
}

@test "lokipush: the body is a logproto.PushRequest as protoc reads it" {
	# a receiver-side check with protoc and Loki's own field numbers
	# (tests/data/lokipush/loki-push.proto), not our encoder
	skip_unless_cmd protoc
	mkdir -p "$T/r"
	"$OBS_PYTHON" "$D/oneshot.py" "$T/r" </dev/null >/dev/null 2>&1 3>&- &
	obs_track "$!" receiver
	wait_file "$T/r/port"
	printf '{job="x",a="1"} 1796000000123456789 "hello\\tworld"\n' >"$T/in"
	"$LP" -u "http://127.0.0.1:$(cat "$T/r/port")/loki/api/v1/push" \
		--max-age 0 <"$T/in" 2>"$T/err"
	protoc --proto_path="$D" --decode=logproto.PushRequest loki-push.proto \
		<"$T/r/body.pb" >"$T/decoded"
	cat >"$T/want" <<-'EOF'
	streams {
	  labels: "{a=\"1\",job=\"x\"}"
	  entries {
	    timestamp {
	      seconds: 1796000000
	      nanos: 123456789
	    }
	    line: "hello\tworld"
	  }
	}
	EOF
	diff -u "$T/want" "$T/decoded"
}

@test "lokipush --format json: the same entries as JSON" {
	start_receiver "$T/r"
	entries 3000 3 >"$T/in"
	"$LP" -u "$RCV_URL" --format json <"$T/in" 2>"$T/err"
	[ ! -s "$T/err" ]
	sort "$T/in" >"$T/want"
	sort "$T/r/entries" | cmp "$T/want" -
	[ "$(awk '{print $2}' "$T/r/requests" | sort -u)" = application/json ]
}

@test "lokipush: 400 drops one batch with the server's reason quoted; the rest is delivered" {
	start_receiver "$T/r"
	echo "400 1 entry for stream '{job=\"t\"}' has timestamp too old" >"$T/r/answers"
	entries 30 1 >"$T/in"
	"$LP" -u "$RCV_URL" --batch-size 300B <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	n=$(awk 'NR == 1 {print $4}' "$T/r/requests")
	[ "$(head -1 "$T/err")" = "lokipush: receiver rejected $n entries with HTTP 400: 'entry for stream '{job=\"t\"}' has timestamp too old'; batch dropped" ]
	[ "$(tail -1 "$T/err")" = "lokipush: $n entries rejected by the receiver or out of retries" ]
	[ "$(wc -l <"$T/r/entries")" -eq $((30 - n)) ]
	tail -n $((30 - n)) "$T/in" | cmp - "$T/r/entries"
}

@test "lokipush: 500 and 429 are retried with backoff; nothing lost" {
	start_receiver "$T/r"
	printf '500 2 boom\n429 1 slow down\n' >"$T/r/answers"
	entries 10 2 >"$T/in"
	"$LP" -u "$RCV_URL" --min-backoff 50ms --max-backoff 100ms \
		--stats-file "$T/stats" <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ "$(awk '{print $1}' "$T/r/requests" | tr '\n' ' ')" = "500 500 429 204 " ]
	grep -q "^lokipush: warning: receiver answered HTTP 500 to 10 entries: 'boom'; retrying\$" "$T/err"
	grep -q "^lokipush: warning: receiver answered HTTP 429 to 10 entries: 'slow down'; retrying\$" "$T/err"
	sort "$T/in" | cmp - <(sort "$T/r/entries")
	[ "$(stat obs_lokipush_entries_retried_total "$T/stats")" = 30 ]
}

@test "lokipush: retries are bounded: --max-retries, then the batch is dropped, exit 1" {
	start_receiver "$T/r"
	echo "503 100 unavailable" >"$T/r/answers"
	entries 5 1 >"$T/in"
	"$LP" -u "$RCV_URL" --min-backoff 10ms --max-backoff 20ms \
		--max-retries 3 <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ "$(wc -l <"$T/r/requests")" -eq 4 ]
	grep -q "^lokipush: gave up on 5 entries after 3 retries; batch dropped\$" "$T/err"
	[ ! -e "$T/r/entries" ]
}

@test "lokipush: entries older than --max-age are dropped before sending, counted" {
	start_receiver "$T/r"
	now=$(now_ns)
	{
		echo "{job=\"a\"} $((now - 7200 * 1000000000)) \"two hours old\""
		echo "{job=\"a\"} $now \"fresh\""
	} >"$T/in"
	"$LP" -u "$RCV_URL" --max-age 1h --stats-file "$T/stats" <"$T/in" 2>"$T/err"
	[ "$(cat "$T/r/entries")" = "{job=\"a\"} $now \"fresh\"" ]
	[ "$(stat obs_lokipush_entries_too_old_total "$T/stats")" = 1 ]
}

@test "lokipush: malformed lines are reported and skipped, the rest delivered" {
	start_receiver "$T/r"
	now=$(now_ns)
	printf 'metric 1\n{job="a"} %s "ok"\n{job="a" 1 "x"\n{} %s "no labels"\n' "$now" "$now" >"$T/in"
	"$LP" -u "$RCV_URL" --stats-file "$T/stats" <"$T/in" 2>"$T/err"
	[ "$(cat "$T/r/entries")" = "{job=\"a\"} $now \"ok\"" ]
	[ "$(sed -n 1p "$T/err")" = "lokipush: -:1: not a log entry at column 1" ]
	[ "$(sed -n 3p "$T/err")" = "lokipush: -:4: a log entry needs at least one label at column 1" ]
	[ "$(stat obs_lokipush_lines_bad_total "$T/stats")" = 3 ]
}

# A stream's labels are read once, then kept under the text "{...}" its
# lines start with; later lines have only their time and text read.  So
# the whole input in one run must give what each line alone gives, in a
# run of its own that has nothing kept: the same entries, the same errors.
@test "lokipush: lines of a stream seen before decode as each line alone" {
	start_receiver "$T/r"
	now=$(now_ns)
	cat >"$T/in" <<-EOF
	{job="a",s="1"} $now "one"
	{job="a",s="1"} $((now + 1)) "hex \x41 \x1B \x1b back \\\\ quote \" tab \t"
	{s="1", job="a"} $((now + 2)) "the same labels written otherwise"
	{job="a",s="1"}  $((now + 3)) "two blanks"
	{job="a",s="1"}	$((now + 4)) "a tab"
	{job="a",s="1"} $((now + 5)) "a blank after" 
	{job="a",s="1"} $((now + 6)) "bad \q escape"
	{job="a",s="1"} $((now + 7)) "unterminated
	{job="a",s="1"} 99999999999999999999 "too late"
	{job="a",s="1"} $((now + 8)) "end \\"
	{job="a",s="1"} $((now + 9)) "a "quote" inside"
	{job="a",s="1"} 0$((now + 10)) "a leading zero"
	{job="a",s="1"}$((now + 11)) "no blank"
	{job="a",s="2"} $((now + 12)) "another stream"
	{job="a",s="}\""} $((now + 13)) "a brace and a quote in a value"
	{job="a",s="1",e=""} $((now + 14)) "an empty value"
	{e=""} $((now + 15)) "no labels"
	{e=""} $((now + 16)) "no labels again"
	{job="a",s="1"} $((now + 17)) "ünïcödé"
	{job="a",s="1"} $((now + 18)) ""
	{job="a",s="1"} $((now + 19)) "last"
	EOF
	"$LP" -u "$RCV_URL" --stats-file "$T/stats" <"$T/in" 2>"$T/err"
	mv "$T/r/entries" "$T/whole"
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s\n' "$line" | "$LP" -u "$RCV_URL" 2>>"$T/err1" ||
			true
	done <"$T/in"
	[ "$n" -eq 21 ]
	sort "$T/whole" >"$T/got"
	sort "$T/r/entries" >"$T/want"
	diff -u "$T/want" "$T/got"
	[ "$(wc -l <"$T/got")" -eq 13 ]
	grep -qxF "{job=\"a\",s=\"1\"} $((now + 1)) \"hex A \\x1b \\x1b back \\\\ quote \\\" tab \\t\"" "$T/got"
	# the same reports, but for the line numbers
	sed 's/^lokipush: -:[0-9]*:/lokipush: -:N:/' "$T/err" >"$T/e.got"
	grep -v 'entries rejected\|could not be' "$T/err1" |
		sed 's/^lokipush: -:[0-9]*:/lokipush: -:N:/' >"$T/e.want"
	diff -u "$T/e.want" "$T/e.got"
	[ "$(stat obs_lokipush_lines_bad_total "$T/stats")" = 8 ]
}

@test "lokipush -c: the endpoint block: tenant, basic auth from a file, headers" {
	start_receiver "$T/r"
	printf 's3cret\n' >"$T/pw"
	cat >"$T/c.yml" <<-EOF
	endpoint:
	  url: $RCV_URL
	  tenant_id: homelab
	  batch_wait: 100ms
	  batch_size: 512KiB
	  basic_auth:
	    username: edge
	    password_file: pw
	  headers:
	    X-Test: yes
	EOF
	entries 10 2 >"$T/in"
	"$LP" -c "$T/c.yml" <"$T/in" 2>"$T/err"
	[ ! -s "$T/err" ]
	[ "$(awk '{print $3, $6}' "$T/r/requests")" = "homelab Basic_$(printf 'edge:s3cret' | base64)" ]
	sort "$T/in" | cmp - <(sort "$T/r/entries")
	# a bearer token from a file, with -u
	printf 'tok\n' >"$T/tok"
	"$LP" -u "$RCV_URL" --bearer-token-file "$T/tok" <"$T/in" 2>"$T/err"
	[ "$(awk 'END {print $6}' "$T/r/requests")" = "Bearer_tok" ]
}

@test "lokipush: a receiver outage mid-stream loses nothing (-q)" {
	start_receiver "$T/r"
	lp_fifo -u "$RCV_URL" -q "$T/q" --batch-wait 100ms --min-backoff 50ms \
		--max-backoff 200ms --max-retries 0 --drain-timeout 20s
	for ((k = 0; k < 30; k++)); do
		entries 10 2 >&5
		[ "$k" -eq 8 ] && echo "500 1000000 down" >"$T/r/answers"
		[ "$k" -eq 20 ] && rm -f "$T/r/answers"
		sleep 0.1
	done
	exec 5>&-
	wait_until 30 refute obs_alive "$pid"
	wait "$pid" && st=0 || st=$?
	[ "$st" -eq 0 ]
	grep -q '^500 ' "$T/r/requests"
	[ "$(wc -l <"$T/r/entries")" -eq 300 ]
	[ "$(sort -u "$T/r/entries" | wc -l)" -eq 300 ]
}

@test "lokipush: receiver down at EOF: -q keeps the backlog, the next run sends it" {
	dead=$(free_port)
	entries 50 2 >"$T/in"
	"$LP" -u "http://127.0.0.1:$dead/loki/api/v1/push" -q "$T/q" \
		--min-backoff 50ms --drain-timeout 500ms <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	grep -q "^lokipush: warning: 1 batches not yet delivered stay queued in '$T/q'\$" "$T/err"
	start_receiver "$T/r"
	"$LP" -u "$RCV_URL" -q "$T/q" </dev/null 2>"$T/err2"
	[ ! -s "$T/err2" ]
	sort "$T/in" | cmp - <(sort "$T/r/entries")
}

@test "lokipush: kill -9 loses nothing it read: queued batches and the batch being built" {
	dead=$(free_port)
	lp_fifo -u "http://127.0.0.1:$dead/loki/api/v1/push" -q "$T/q" \
		--batch-size 10KiB --batch-wait 1m --stats-file "$T/stats"
	entries 3000 5 >"$T/in"
	cat "$T/in" >&5
	wait_until 10 stat_is obs_lokipush_entries_in_total "$T/stats" 3000
	[ "$(stat obs_lokipush_entries_in_total "$T/stats")" = 3000 ]
	[ "$(stat obs_lokipush_batches_queued_total "$T/stats")" -gt 5 ]
	kill -KILL "$pid"
	wait "$pid" || true
	exec 5>&-
	[ -s "$T/q/journal" ]
	start_receiver "$T/r"
	"$LP" -u "$RCV_URL" -q "$T/q" </dev/null 2>"$T/err2" && st=0 || st=$?
	cat "$T/err2"
	[ "$st" -eq 0 ]
	grep -q "^lokipush: warning: replaying [0-9]* bytes of input that an earlier run read but did not queue, from '$T/q/journal'\$" "$T/err2"
	sort "$T/in" | cmp - <(sort "$T/r/entries")
	[ ! -e "$T/q/journal" ]
}

@test "lokipush: killed between a batch's push and the journal cut: the replay queues only what the queue lacks" {
	entries 300 3 >"$T/in"
	# the test hook kills lokipush right after its first batch is
	# queued, before the journal is cut: the journal holds all 300
	dead=$(free_port)
	OBS_LOKIPUSH_TEST_CRASH=after-queue-append "$LP" \
		-u "http://127.0.0.1:$dead/loki/api/v1/push" -q "$T/q" \
		--batch-size 4KiB <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 137 ]
	[ "$(wc -c <"$T/q/journal")" -ge "$(wc -c <"$T/in")" ]
	start_receiver "$T/r"
	"$LP" -u "$RCV_URL" -q "$T/q" </dev/null 2>"$T/err2" && st=0 || st=$?
	cat "$T/err2"
	[ "$st" -eq 0 ]
	grep -q "^lokipush: warning: replaying [0-9]* bytes of input that an earlier run read but did not queue, from '$T/q/journal'\$" "$T/err2"
	# every entry once: the first batch is not queued a second time
	sort "$T/in" | cmp - <(sort "$T/r/entries")
	[ ! -e "$T/q/journal" ]
}

@test "lokipush: SIGTERM sends the pending batch and exits 0" {
	start_receiver "$T/r"
	lp_fifo -u "$RCV_URL" --batch-wait 1h
	now=$(now_ns)
	echo "{job=\"term\"} $now \"bye\"" >&5
	sleep 0.5
	[ ! -e "$T/r/entries" ]
	kill -TERM "$pid"
	wait_until 10 refute obs_alive "$pid"
	wait "$pid" && st=0 || st=$?
	exec 5>&-
	[ "$st" -eq 0 ]
	[ "$(cat "$T/r/entries")" = "{job=\"term\"} $now \"bye\"" ]
}

@test "lokipush: batch_wait sends a quiet stream's batch without EOF" {
	start_receiver "$T/r"
	lp_fifo -u "$RCV_URL" --batch-wait 200ms
	now=$(now_ns)
	echo "{job=\"w\"} $now \"soon\"" >&5
	wait_file "$T/r/entries" 3
	[ "$(cat "$T/r/entries")" = "{job=\"w\"} $now \"soon\"" ]
	exec 5>&-
	wait "$pid"
}
