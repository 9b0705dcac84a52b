#!/usr/bin/env bats
# relabel.bats: relabel(1) end to end: pass-through, every relabel action,
# metadata with families, external labels, config errors, malformed and
# long lines, EPIPE, flushing, stats, the series cache, and the log
# stages.

load helpers

D="$OBS_ROOT/tests/data/relabel"
NODE_E2E="$OBS_ROOT/../shared/peers/node_exporter/e2e-output.txt"

setup() {
	skip_unless_bin relabel
	R=$(obs_bin relabel)
}

# --- pass-through -----------------------------------------------------------

@test "no config: node_exporter's output passes byte for byte" {
	[ -f "$NODE_E2E" ] || skip "no node_exporter e2e output in ../shared/peers"
	"$R" <"$NODE_E2E" >"$T/out" 2>"$T/err"
	cmp "$NODE_E2E" "$T/out"
	[ ! -s "$T/err" ]
}

@test "empty config file: node_exporter's output passes byte for byte" {
	[ -f "$NODE_E2E" ] || skip "no node_exporter e2e output in ../shared/peers"
	: >"$T/empty.yml"
	"$R" -c "$T/empty.yml" "$NODE_E2E" >"$T/out" 2>"$T/err"
	cmp "$NODE_E2E" "$T/out"
	[ ! -s "$T/err" ]
}

@test "rules that change nothing keep the lines as written (1.0, no reorder)" {
	printf '%s\n' '# TYPE m gauge' 'm{b="2",a="1"} 1.0 1714557600000' \
	    'm{a="3"} 1e3' >"$T/in"
	cat >"$T/r.yml" <<-'EOF'
	relabel_configs:
	  - source_labels: [nothere]
	    regex: x
	    target_label: y
	EOF
	"$R" -c "$T/r.yml" "$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
}

@test "a changed set is written in canonical form" {
	printf '%s\n' 'm{b="2",a="1"} 1.0 1714557600000' >"$T/in"
	"$R" -l z=9 "$T/in" >"$T/out"
	[ "$(cat "$T/out")" = 'm{a="1",b="2",z="9"} 1 1714557600000' ]
}

@test "internal labels and empty values are removed after the rules" {
	printf '%s\n' 'm{__meta_x="1",a="",b="2"} 1' >"$T/in"
	"$R" "$T/in" >"$T/out"
	[ "$(cat "$T/out")" = 'm{b="2"} 1' ]
}

@test "inputs are read in order, '-' is stdin" {
	printf 'a 1\n' >"$T/a"
	printf 'c 3\n' >"$T/c"
	printf 'b 2\n' | "$R" "$T/a" - "$T/c" >"$T/out"
	printf 'a 1\nb 2\nc 3\n' >"$T/want"
	cmp "$T/want" "$T/out"
}

# --- every action, end to end -------------------------------------------------

check_action() {
	"$R" -c "$D/actions/$1.yml" "$D/input.prom" >"$T/out" 2>"$T/err"
	diff -u "$D/actions/$1.expected" "$T/out"
	[ ! -s "$T/err" ]
}

@test "action replace: host from instance" { check_action replace; }
@test "action keep: node_ series only" { check_action keep; }
@test "action drop: on __name__ and mode joined by a separator" { check_action drop; }
@test "action keepequal" { check_action keepequal; }
@test "action dropequal" { check_action dropequal; }
@test "action hashmod: Prometheus' md5 shards" { check_action hashmod; }
@test "action labelmap: __meta_ labels kept under a new name" { check_action labelmap; }
@test "action labeldrop" { check_action labeldrop; }
@test "action labelkeep" { check_action labelkeep; }
@test "action lowercase: joined sources" { check_action lowercase; }
@test "action uppercase: in place" { check_action uppercase; }

# --- metadata and families ------------------------------------------------------

@test "metadata stays with a family while a series of it stays" {
	"$R" -c "$D/actions/drop.yml" "$D/input.prom" >"$T/out"
	grep '^# TYPE' "$T/out" >"$T/types"
	cat >"$T/want" <<-'EOF'
	# TYPE node_cpu_seconds_total counter
	# TYPE node_filesystem_avail_bytes gauge
	# TYPE http_request_duration_seconds histogram
	# TYPE up gauge
	EOF
	diff -u "$T/want" "$T/types"
	# go_gc_duration_seconds lost all its series, so its # lines too.
	refute grep -q go_gc_duration_seconds "$T/out"
	# The metadata comes right before the first kept sample of the family.
	grep -A2 '^# HELP node_cpu_seconds_total' "$T/out" >"$T/cpu"
	[ "$(sed -n 3p "$T/cpu")" = 'node_cpu_seconds_total{cpu="0",mode="user"} 234.5 1714557600000' ]
}

@test "metadata of a family whose first series is dropped comes before the first kept one" {
	cat >"$T/in" <<-'EOF'
	# HELP h Latency.
	# TYPE h histogram
	h_bucket{le="1"} 1
	h_bucket{le="+Inf"} 2
	h_sum 3
	h_count 2
	# just a comment
	EOF
	cat >"$T/r.yml" <<-'EOF'
	relabel_configs:
	  - source_labels: [__name__]
	    regex: h_bucket
	    action: drop
	EOF
	"$R" -c "$T/r.yml" "$T/in" >"$T/out"
	printf '# HELP h Latency.\n# TYPE h histogram\nh_sum 3\nh_count 2\n# just a comment\n' >"$T/want"
	diff -u "$T/want" "$T/out"
}

@test "__name__ emptied or made invalid: dropped and counted as invalid_name" {
	"$R" -c "$D/name-empty.yml" --stats-file "$T/stats.prom" \
	    "$D/input.prom" >"$T/out" 2>"$T/err"
	diff -u "$D/name-empty.expected" "$T/out"
	refute grep -q -e '^go_' -e '^up' -e 'TYPE up' "$T/out"
	grep -qx 'obs_relabel_dropped_total{reason="invalid_name"} 5' "$T/stats.prom"
	grep -qx 'obs_relabel_dropped_total{reason="rule"} 0' "$T/stats.prom"
	[ ! -s "$T/err" ]
}

# --- external labels ------------------------------------------------------------

@test "external labels never override, -l wins over the file" {
	"$R" -c "$D/external.yml" -l region=cli "$D/input.prom" >"$T/out"
	diff -u "$D/external.expected" "$T/out"
	# job was in every up series, so the file's job is not added there.
	grep -q 'up{instance="Host-A:9100",job="Node",region="cli"} 1' "$T/out"
	grep -q 'node_cpu_seconds_total{cpu="0",job="from-config",mode="idle",region="cli"}' "$T/out"
}

@test "-l with a bad label name: exit 2" {
	run "$R" -l 'bad-name=x' </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "relabel: -l 'bad-name=x': expected NAME=VALUE with a valid label name" ]
	run "$R" -l novalue </dev/null
	[ "$status" -eq 2 ]
}

# --- options ------------------------------------------------------------------

@test "-h prints usage on stdout and exits 0; a bad option exits 2" {
	run "$R" -h
	[ "$status" -eq 0 ]
	[ "$output" = "usage: relabel [-hv] [-c FILE] [-l NAME=VALUE]... [--stats-file PATH] [--version] [FILE...]" ]
	s=0
	"$R" --bogus </dev/null >"$T/out" 2>"$T/err" || s=$?
	[ "$s" -eq 2 ]
	[ ! -s "$T/out" ]
	grep -q '^usage: relabel' "$T/err"
}

@test "--version" {
	run "$R" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "relabel "*[0-9]* ]]
}

@test "a missing input file: reported, the others still read, exit 1" {
	printf 'a 1\n' >"$T/a"
	run "$R" "$T/nonexistent" "$T/a"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "relabel: open '$T/nonexistent': No such file or directory" ]
	[ "${lines[1]}" = "a 1" ]
}

# --- config errors ----------------------------------------------------------------

# config_error FILE MESSAGE: exit 2 with MESSAGE, output empty, and stdin
# not read: a read of the FIFO (open read-write, so it never ends) would
# block until timeout kills the program.
config_error() {
	mkfifo "$T/fifo"
	s=0
	timeout 10 "$R" -c "$D/$1" 0<>"$T/fifo" >"$T/out" 2>"$T/err" || s=$?
	[ "$s" -eq 2 ]
	[ ! -s "$T/out" ]
	[ "$(cat "$T/err")" = "$2" ]
}

@test "config: unknown key" {
	config_error unknown-key.yml "relabel: $D/unknown-key.yml:5: external_label: unknown key"
}

@test "config: bad regex" {
	config_error bad-regex.yml "relabel: $D/bad-regex.yml:3: regex: invalid regex 'node([' at offset 6: missing terminating ] for character class"
}

@test "config: bad action" {
	config_error bad-action.yml "relabel: $D/bad-action.yml:3: action: unknown relabel action \"keepp\""
}

@test "config: unknown stage" {
	config_error bad-stage.yml "relabel: $D/bad-stage.yml:3: regexp: unknown stage"
}

@test "config: bad regex in a regex stage" {
	config_error bad-stage-regex.yml "relabel: $D/bad-stage-regex.yml:3: expression: invalid regex at offset 13: missing closing parenthesis"
}

@test "config: bad action_on_failure" {
	config_error bad-timestamp.yml "relabel: $D/bad-timestamp.yml:5: action_on_failure: must be fudge or skip, not 'ignore'"
}

@test "config: invalid label name in a labels stage" {
	config_error bad-label.yml "relabel: $D/bad-label.yml:3: labels: invalid label name 'level-name'"
}

@test "config: a file that does not exist exits 2" {
	run "$R" -c "$T/none.yml" </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == "relabel: "*"none.yml"* ]]
}

# --- bad and odd input ------------------------------------------------------------

@test "malformed lines are reported with input name and line; later lines go through" {
	"$R" --stats-file "$T/stats.prom" "$D/malformed.prom" >"$T/out" 2>"$T/err"
	diff -u "$D/malformed.expected" "$T/out"
	cat >"$T/want" <<-EOF
	relabel: $D/malformed.prom:2: expected label name at column 11
	relabel: $D/malformed.prom:4: invalid value at column 18
	relabel: $D/malformed.prom:5: unterminated log line at column 14
	EOF
	diff -u "$T/want" "$T/err"
	grep -qx 'obs_relabel_dropped_total{reason="malformed"} 3' "$T/stats.prom"
	grep -qx 'obs_relabel_lines_in_total 6' "$T/stats.prom"
	grep -qx 'obs_relabel_lines_out_total 3' "$T/stats.prom"
}

@test "malformed lines on stdin are reported as stdin" {
	printf 'ok 1\nnot ok\n' | "$R" >"$T/out" 2>"$T/err"
	[ "$(cat "$T/out")" = "ok 1" ]
	grep -q '^relabel: stdin:2: ' "$T/err"
}

@test "a line just under 1 MiB passes whole; one over 1 MiB is dropped and the stream goes on" {
	# 1048576 bytes is OBS_LINE_MAX: 'm{v="' + value + '"} 1' is 10 + n.
	head -c 1048567 /dev/zero | tr '\0' x >"$T/v"
	{ printf 'm{v="'; cat "$T/v"; printf '"} 1\n'
	  printf 'big{v="'; cat "$T/v"; printf 'x"} 2\n'
	  echo "after 3"; } >"$T/in"
	[ "$(head -1 "$T/in" | wc -c)" -eq 1048577 ]
	"$R" "$T/in" >"$T/out" 2>"$T/err"
	head -1 "$T/in" >"$T/want"
	echo "after 3" >>"$T/want"
	cmp "$T/want" "$T/out"
	[ "$(head -c 10 "$T/out")" = 'm{v="xxxxx' ]
	[ "$(cat "$T/err")" = "relabel: $T/in:2: line too long" ]
}

@test "a last line without a newline is still a line" {
	printf 'a 1\nb{x="y"} 2' >"$T/in"
	"$R" -l z=1 "$T/in" >"$T/out"
	printf 'a{z="1"} 1\nb{x="y",z="1"} 2\n' >"$T/want"
	cmp "$T/want" "$T/out"
}

@test "empty input: empty output, exit 0" {
	run "$R" </dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "EPIPE on stdout: one line on stderr, exit 1" {
	awk 'BEGIN { for (i = 0; i < 200000; i++)
		printf "m{i=\"%d\"} %d 1714557600000\n", i, i }' >"$T/big"
	"$R" -l a=b <"$T/big" 2>"$T/err" | head -1 >"$T/out"
	st=("${PIPESTATUS[@]}")
	[ "${st[0]}" -eq 1 ]
	[ "$(cat "$T/out")" = 'm{a="b",i="0"} 0 1714557600000' ]
	[ "$(cat "$T/err")" = "relabel: write 'stdout': Broken pipe" ]
}

@test "output is flushed while input waits" {
	mkfifo "$T/in"
	# bats reads its own fd 3: the background program must not hold it.
	"$R" -l a=b <"$T/in" >"$T/out" 3>&- &
	pid=$!
	exec 5>"$T/in"
	echo 'first 1' >&5
	for i in $(seq 50); do
		[ -s "$T/out" ] && break
		sleep 0.1
	done
	# What was written before the input ended, not at exit.
	cp "$T/out" "$T/early"
	exec 5>&-
	wait "$pid"
	[ "$(cat "$T/early")" = 'first{a="b"} 1' ]
}

@test "--stats-file: written atomically on exit with every counter" {
	"$R" -c "$D/actions/keep.yml" --stats-file "$T/s.prom" "$D/input.prom" >/dev/null
	grep -v '^#' "$T/s.prom" >"$T/got"
	cat >"$T/want" <<-'EOF'
	obs_relabel_lines_in_total 26
	obs_relabel_lines_out_total 11
	obs_relabel_dropped_total{reason="rule"} 9
	obs_relabel_dropped_total{reason="invalid_name"} 0
	obs_relabel_dropped_total{reason="malformed"} 0
	obs_relabel_dropped_total{reason="stage"} 0
	EOF
	diff -u "$T/want" "$T/got"
	[ "$(ls "$T" | grep -c 's.prom.tmp')" -eq 0 ]
}

@test "--stats-file: rewritten every 10s while input waits" {
	mkfifo "$T/in"
	"$R" --stats-file "$T/s.prom" <"$T/in" >/dev/null 3>&- &
	pid=$!
	exec 5>"$T/in"
	echo 'x 1' >&5
	for i in $(seq 150); do
		[ -s "$T/s.prom" ] && break
		sleep 0.1
	done
	# Written while the program still waits for input, before any exit.
	grep -qx 'obs_relabel_lines_in_total 1' "$T/s.prom"
	obs_alive "$pid"
	exec 5>&-
	wait "$pid"
}

# --- the series cache ---------------------------------------------------------------

# cache.prom is ten passes over the same series, as a collector writes
# them every cycle: with cache.yml's ten rules its samples are dropped by a
# rule, dropped for a name made invalid or empty, written as read, or
# rewritten; their values are spelled in every way the text format allows
# (1.0, 1e3, .5, +Inf, Inf, nan, stale, -0), with and without a timestamp
# (one with leading zeros), behind tabs, double spaces and a leading blank,
# in label values with escapes, spaces and digits, between metadata, a log
# entry, comments, blank lines and malformed lines (hex values).

@test "series cache: repeated series, the exact output and counters" {
	"$R" -c "$D/cache.yml" --stats-file "$T/s.prom" "$D/cache.prom" \
	    >"$T/out" 2>"$T/err"
	diff -u "$D/cache.expected" "$T/out"
	grep -v '^#' "$T/s.prom" >"$T/stats"
	diff -u "$D/cache.stats" "$T/stats"
	[ "$(wc -l <"$T/err")" -eq 10 ]
	[ "$(grep -c ": invalid value at column 45$" "$T/err")" -eq 10 ]
}

# cache_oracle OPTION...: relabel with OPTIONs over the whole of cache.prom
# must write the same sample and log lines, and count the same, as relabel
# run on each line alone, where a cache has nothing to remember.  Comments
# are left out of the comparison: metadata waits for the next lines of its
# family, which a run of one line does not have (the test above checks them).
cache_oracle() {
	local line n=0 s=0 sink
	"$R" "$@" --stats-file "$T/s.prom" "$D/cache.prom" >"$T/out" 2>/dev/null
	mkdir "$T/alone.d"
	: >"$T/alone"
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s\n' "$line" >"$T/line"
		sink=$T/alone
		case $line in '#'*) sink=/dev/null ;; esac
		"$R" "$@" --stats-file "$T/alone.d/$n.prom" "$T/line" \
		    >>"$sink" 2>/dev/null || s=$?
		[ "$s" -eq 0 ]
	done <"$D/cache.prom"
	[ "$n" -eq "$(wc -l <"$D/cache.prom")" ]
	grep -v '^#' "$T/out" >"$T/whole"
	diff -u "$T/alone" "$T/whole"
	# The sums of the runs of one line, but lines out: the whole run's
	# metadata and comments are not in them.
	cat "$T"/alone.d/*.prom | awk -v out="$(wc -l <"$T/out")" '
		/^#/ { next }
		!($1 in sum) { order[++k] = $1 }
		{ sum[$1] += $2 }
		END {
			sum["obs_relabel_lines_out_total"] = out
			for (i = 1; i <= k; i++)
				print order[i], sum[order[i]]
		}' >"$T/want"
	grep -v '^#' "$T/s.prom" >"$T/stats"
	diff -u "$T/want" "$T/stats"
	# Every kind of outcome was there to be remembered.
	grep -qx 'obs_relabel_dropped_total{reason="malformed"} 10' "$T/stats"
	[ "$(wc -l <"$T/whole")" -ge 150 ]
	if [ "${1:-}" = -c ]; then
		grep -qx 'obs_relabel_dropped_total{reason="rule"} 30' "$T/stats"
		grep -qx 'obs_relabel_dropped_total{reason="invalid_name"} 20' "$T/stats"
	fi
}

@test "series cache: whole file and each line alone agree (rules only)" {
	cache_oracle -c "$D/cache.yml"
}

@test "series cache: whole file and each line alone agree (rules and external labels)" {
	cache_oracle -c "$D/cache.yml" -l site=lab -l host=ext
}

@test "series cache: whole file and each line alone agree (no rules)" {
	cache_oracle
}

# The cache keeps a key as what it does not share with the key kept before
# it, and rebuilds keys from those before them: the series of a target
# whose values differ in one place or two, in values of other lengths, in
# another order every cycle, with series that come and go, and keys that
# end in a blank (two blanks before the value).  Each cycle read alone,
# where a cache has nothing to remember, must give what the whole gives.
@test "series cache: keys kept as differences, cycles in other orders agree with each cycle alone" {
	awk -v dir="$T" 'BEGIN {
		for (c = 0; c < 5; c++) {
			f = sprintf("%s/c%d", dir, c)
			print "# TYPE fs_avail_bytes gauge" >f
			for (k = 0; k < 40; k++) {
				i = c == 1 ? 39 - k : c == 3 ? (k * 7) % 40 : k
				if (c == 2 && i == 20)
					printf "fs_avail_bytes{device=\"/dev/new\",fstype=\"ext4\",host=\"h1\",mountpoint=\"/mnt/new\"} 1 %d\n", 1714557600000 + c >f
				if (c == 4 && i % 9 == 0)
					continue
				printf "fs_avail_bytes{device=\"/dev/sd%c%d\",fstype=\"ext4\",host=\"h1\",mountpoint=\"/mnt/d%d\"} %d %d\n", 97 + i % 4, i, i, i * 1000, 1714557600000 + c >f
				printf "node_cpu_seconds_total{cpu=\"%d\",mode=\"%s\",tmp_x=\"y\"} %d.5\n", i % 8, i % 3 ? "idle" : "system", i >f
			}
			print "http_requests_total  1.0 1714557600000" >f
			print "http_requests_total{code=\"200\",handler=\"/api/v1/query\"}  7 1714557600000" >f
			print "http_requests_total{code=\"500\",handler=\"/api/v1/query_range\"}  0x1" >f
			close(f)
		}
	}'
	cat "$T"/c0 "$T"/c1 "$T"/c2 "$T"/c3 "$T"/c4 >"$T/all"
	for opts in "-l env=bench" "-c $D/cache.yml"; do
		# shellcheck disable=SC2086
		"$R" $opts --stats-file "$T/s.prom" "$T/all" >"$T/whole" 2>"$T/err"
		: >"$T/alone"
		for c in 0 1 2 3 4; do
			# shellcheck disable=SC2086
			"$R" $opts "$T/c$c" >>"$T/alone" 2>/dev/null
		done
		diff -u "$T/alone" "$T/whole"
		[ "$(grep -c 'invalid value' "$T/err")" -eq 5 ]
		[ "$(grep -vc '^#' "$T/whole")" -ge 200 ]
	done
}

# The cache's bounds are fixed (65536 series, 16 MiB of text, pauses of
# 1048576 lines), so this input is big enough to reach them: 70000 series
# seen twice each (the table fills with as many hits as series: start
# over), 30000 series of 630 bytes seen twice, each with 600 bytes it
# does not share with the one before (the text fills first),
# 70000 series seen once (no hits: the cache pauses), 1100000 lines of
# three series (the pause ends within them), then series seen before.
# Split into pieces of 50000 lines, each read by its own relabel, none of
# it fills the cache: the pieces must give the same output and counts.
# sum_stats: awk program that adds up the counters of stats files.
sum_stats='
	/^#/ { next }
	!($1 in sum) { order[++k] = $1 }
	{ sum[$1] += $2 }
	END { for (i = 1; i <= k; i++) printf "%s %d\n", order[i], sum[order[i]] }'

@test "series cache: starting over and pausing change nothing" {
	awk 'BEGIN {
		for (i = 0; i < 70000; i++) {
			s = "up{instance=\"h" i ":9100\",job=\"node\"}"
			printf "%s %d 1714557600000\n", s, i
			printf "%s %d.5\n", s, i
		}
		for (d = 0; d < 10; d++) {
			pad[d] = sprintf("%600s", "")
			gsub(/ /, d, pad[d])
		}
		for (i = 0; i < 30000; i++) {
			s = "long{i=\"" i "\",pad=\"" pad[i % 10] "\",tmp_a=\"1\"}"
			print s " 1e3"
			printf "%s %d 1714557600000\n", s, i
		}
		for (i = 0; i < 70000; i++)
			print "go_x{i=\"" i "\"} 1"
		for (i = 0; i < 1100000; i++)
			print (i % 3 == 0 ? "gone 2" : i % 3 == 1 ? "a 1" : \
			    "m{a=\"1\",b=\"\"} 1.0")
		for (i = 0; i < 1000; i++) {
			print "up{instance=\"h" i ":9100\",job=\"node\"} 2"
			print "bad_m 3"
			print "a 1.0"
		}
	}' >"$T/big"
	"$R" -c "$D/cache.yml" --stats-file "$T/s.prom" "$T/big" >"$T/out"
	mkdir "$T/p"
	split -l 50000 -a 3 -d "$T/big" "$T/p/in."
	[ "$(ls "$T/p" | wc -l)" -eq 28 ]
	for f in "$T"/p/in.*; do
		"$R" -c "$D/cache.yml" --stats-file "$f.prom" "$f" >"$f.out"
	done
	cat "$T"/p/in.*[0-9].out >"$T/pieces"
	cmp "$T/pieces" "$T/out"
	# Counters are written as Prometheus writes floats (1.373e+06).
	cat "$T"/p/in.*.prom | awk "$sum_stats" >"$T/want"
	awk "$sum_stats" "$T/s.prom" >"$T/stats"
	diff -u "$T/want" "$T/stats"
	cat >"$T/want" <<-'EOF'
	obs_relabel_lines_in_total 1373000
	obs_relabel_lines_out_total 935333
	obs_relabel_dropped_total{reason="rule"} 70000
	obs_relabel_dropped_total{reason="invalid_name"} 367667
	obs_relabel_dropped_total{reason="malformed"} 0
	obs_relabel_dropped_total{reason="stage"} 0
	EOF
	diff -u "$T/want" "$T/stats"
}

# --- log entries --------------------------------------------------------------------

check_log() {
	"$R" -c "$D/$1.yml" "$D/$2" >"$T/out" 2>"$T/err"
	diff -u "$D/$1.expected" "$T/out"
	[ ! -s "$T/err" ]
}

@test "log: docker stage: stream label, RFC3339Nano time, text without its newline" {
	check_log docker docker.log
	# A line that is not Docker JSON goes on unchanged.
	tail -1 "$T/out" | grep -qx '{container="web",job="docker"} 1714557600000000005 "this line is not docker json"'
}

@test "log: the seed's edge config: docker, static_labels, regex, labels" {
	check_log edge docker.log
	sed -n 1p "$T/out" | grep -q '^{cluster="homelab",container="web",host="edge",job="docker",level="info",stream="stdout"} 1714557600123456789 '
	sed -n 4p "$T/out" | grep -q 'level="Error"'
}

@test "log: json stage: nested names, indices, non-strings as JSON" {
	check_log json app.log
}

@test "log: timestamp stage with a Go layout and a location; fudge on failure" {
	check_log timestamp app.log
	# 12:00:00 in Berlin (CEST) is 10:00:00 UTC.
	sed -n 1p "$T/out" | grep -q ' 1714557600000000000 '
	sed -n 4p "$T/out" | grep -q ' 1714557602250000001 '
}

@test "log: timestamp action_on_failure skip keeps the entry's time" {
	cat >"$T/r.yml" <<-'EOF'
	stages:
	  - json: {expressions: {t: time}}
	  - timestamp: {source: t, format: 'Jan _2 2006 15:04:05', action_on_failure: skip}
	EOF
	printf '%s\n' '{a="1"} 5 "{\"time\":\"May  1 2024 10:00:00\"}"' \
	    '{a="1"} 6 "{\"time\":\"bad\"}"' >"$T/in"
	"$R" -c "$T/r.yml" "$T/in" >"$T/out"
	printf '%s\n' '{a="1"} 1714557600000000000 "{\"time\":\"May  1 2024 10:00:00\"}"' \
	    '{a="1"} 6 "{\"time\":\"bad\"}"' >"$T/want"
	diff -u "$T/want" "$T/out"
}

@test "log: timestamp formats Unix, UnixMs, RFC3339 and a layout through fallback_formats" {
	check_log formats formats.log
}

@test "log: json and regex stages reading an extracted value (source), quoted keys and indices" {
	check_log source source.log
}

@test "log: json stage with a path outside the supported subset is a config error" {
	cat >"$T/r.yml" <<-'EOF'
	stages:
	  - json:
	      expressions: {x: 'items[*].name'}
	EOF
	run "$R" -c "$T/r.yml" </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "relabel: $T/r.yml:3: x: invalid expression 'items[*].name' at offset 6: expected an index" ]
}

@test "log: output stage replaces the line" {
	check_log output app.log
}

@test "log: drop stage: value, expression, longer_than; counted by reason" {
	"$R" -c "$D/drop.yml" --stats-file "$T/s.prom" "$D/app.log" >"$T/out"
	diff -u "$D/drop.expected" "$T/out"
	grep -v '^#' "$T/s.prom" >"$T/got"
	diff -u "$D/drop.stats" "$T/got"
}

@test "log: drop stage older_than" {
	cat >"$T/r.yml" <<-'EOF'
	stages:
	  - drop: {older_than: 1h}
	EOF
	now=$(now_ns)
	printf '{a="1"} 1000 "old"\n{a="1"} %s "new"\n' "$now" >"$T/in"
	"$R" -c "$T/r.yml" "$T/in" >"$T/out"
	[ "$(cat "$T/out")" = "{a=\"1\"} $now \"new\"" ]
}

@test "log: static_labels (Alloy's stage. name and values) override stream labels" {
	check_log static app.log
}

@test "log: relabel_configs apply to stream labels before the stages" {
	cat >"$T/r.yml" <<-'EOF'
	relabel_configs:
	  - source_labels: [container]
	    regex: db
	    action: drop
	  - source_labels: [container]
	    target_label: service
	stages:
	  - static_labels: {host: edge}
	external_labels: {host: ignored, site: home}
	EOF
	printf '%s\n' '{container="web"} 1 "a"' '{container="db"} 2 "b"' >"$T/in"
	"$R" -c "$T/r.yml" "$T/in" >"$T/out"
	[ "$(cat "$T/out")" = '{container="web",host="edge",service="web",site="home"} 1 "a"' ]
}

@test "log: entries pass byte for byte without rules" {
	"$R" "$D/docker.log" >"$T/out"
	cmp "$D/docker.log" "$T/out"
}

# The stream cache: a log entry's label set, as written, decides what the
# rules do, so later entries of a stream reuse the outcome for the first;
# their timestamp and line are read as they come, and the stages run on
# each.  log_oracle CONFIG [OPTION...]: relabel over the whole of streams.log
# must write the same lines, and count the same, as relabel run on each
# line alone, where a cache has nothing to remember.
write_streams_log() {
	cat >"$T/streams.log" <<-'EOF'
	{container="web",__meta_x="a"} 1000 "level=info msg=one"
	{container="web",__meta_x="a"} 1001 "level=info msg=one"
	{container="web",__meta_x="a"} 1002 "level=error msg=\"two\" \\ \t\r\n"
	{container="web",__meta_x="b"} 1003 "level=debug DROPME"
	{container="web",__meta_x="a"}  1004 "two blanks"
	{container="web",__meta_x="a"}	1005 "a tab"
	{container="web",__meta_x="a"} 01006 "leading zero"
	{container="web",__meta_x="a"} 1007 "hex \x41 and \x1B"
	{container="web",__meta_x="a"} 1008 "esc \x1b[0m del \x7f"
	{container="web",__meta_x="a"} 1009 "blank after" 
	{container="web",__meta_x="a"} 1010 "bad \q escape"
	{container="web",__meta_x="a"} 1011 "unterminated
	{container="web",__meta_x="a"} 99999999999999999999 "too late"
	{container="web",__meta_x="a"} 9223372036854775807 "the last ns"
	{container="web",__meta_x="a"} 1012 "a "quote" inside"
	{container="web",__meta_x="a"} 1013 "end \"
	{container="db"} 1014 "level=warn dropped by a rule"
	{container="db"} 1015 "again"
	{container="web",__meta_x="b"} 1016 "level=debug keep"
	{container="web",__meta_x="b"} 1017 "level=debug DROPME again"
	{"container"="quoted.name"} 1018 "q"
	{container="x}y"} 1019 "a brace in a value"
	{container="x\"}y",b="2"} 1020 "an escaped quote in a value"
	{container="web",__meta_x="a"} 1021 "OUT=replaced level=info"
	{container="web",__meta_x="a"} 1022 "T=1714557600 level=info"
	{container="web",__meta_x="a"} 1023 "T=zzz level=info"
	{} 1024 "no labels"
	{container="",z="1"} 1025 "an empty value"
	{container="web",__meta_x="a"} 1026 "level=info msg=one"
	{container="web",__meta_x="b"} 1027 "level=info"
	{container="web",__meta_x="a"} 1028 "ünïcödé level=INFO"
	{container="web",__meta_x="a"}1029 "no blank"
	{container="web",__meta_x="a"} 1030 "level=info msg=one"
	{container="web",__meta_x="a"} 1031 "upper \x1B only"
	EOF
	cat >"$T/stages.yml" <<-'EOF'
	relabel_configs:
	  - source_labels: [container]
	    regex: db
	    action: drop
	  - source_labels: [container]
	    target_label: service
	stages:
	  - static_labels: {host: edge}
	  - regex: {expression: '(?i)level=(?P<level>\w+)'}
	  - labels: {level: ""}
	  - drop: {expression: 'DROPME', drop_counter_reason: dropme}
	  - regex: {expression: 'OUT=(?P<out>\w+)'}
	  - output: {source: out}
	  - regex: {expression: 'T=(?P<t>\w+)'}
	  - timestamp: {source: t, format: Unix, action_on_failure: skip}
	EOF
	cat >"$T/rules.yml" <<-'EOF'
	relabel_configs:
	  - source_labels: [container]
	    regex: db
	    action: drop
	  - source_labels: [__meta_x]
	    target_label: x
	EOF
}

log_oracle() {
	local line n=0 s=0
	write_streams_log
	"$R" "$@" --stats-file "$T/s.prom" "$T/streams.log" >"$T/whole" \
	    2>/dev/null
	mkdir "$T/alone.d"
	: >"$T/alone"
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s\n' "$line" >"$T/line"
		"$R" "$@" --stats-file "$T/alone.d/$n.prom" "$T/line" \
		    >>"$T/alone" 2>/dev/null || s=$?
		[ "$s" -eq 0 ]
	done <"$T/streams.log"
	[ "$n" -eq 34 ]
	diff -u "$T/alone" "$T/whole"
	cat "$T"/alone.d/*.prom | awk "$sum_stats" >"$T/want"
	awk "$sum_stats" "$T/s.prom" >"$T/stats"
	diff -u "$T/want" "$T/stats"
	grep -qx 'obs_relabel_dropped_total{reason="malformed"} 6' "$T/stats"
	[ "$(wc -l <"$T/whole")" -ge 20 ]
}

@test "log stream cache: whole file and each line alone agree (rules and stages)" {
	log_oracle -c "$T/stages.yml" -l site=home
	grep -qx 'obs_relabel_dropped_total{reason="rule"} 2' "$T/stats"
	grep -qx 'obs_relabel_stage_dropped_total{reason="dropme"} 2' "$T/stats"
	# Every path was taken: a replaced line, a new time, a kept line.
	grep -q '} 1021 "replaced"$' "$T/whole"
	grep -q '} 1714557600000000000 "T=1714557600 level=info"$' "$T/whole"
	grep -qF '{container="web",host="edge",level="info",service="web",site="home"} 1030 "level=info msg=one"' "$T/whole"
}

@test "log stream cache: whole file and each line alone agree (rules only)" {
	log_oracle -c "$T/rules.yml"
	grep -qx 'obs_relabel_dropped_total{reason="rule"} 2' "$T/stats"
	grep -qF '{container="web",x="a"} 1030 "level=info msg=one"' "$T/whole"
}

@test "log stream cache: whole file and each line alone agree (no rules)" {
	log_oracle
	# Nothing to change: the line as written; internal labels go.
	grep -qxF '{container="x}y"} 1019 "a brace in a value"' "$T/whole"
	grep -qxF '{container="web"} 1004 "two blanks"' "$T/whole"
}

# The stream cache's bounds are fixed (512 streams, 4 MiB): 700 streams
# seen twice each fill it with as many hits as streams (start over), 2000
# streams seen once fill it with none (it pauses), then streams seen
# before.  Pieces of 400 lines, each read by its own relabel, never fill
# it: they must give the same output and counts.
@test "log stream cache: starting over and pausing change nothing" {
	cat >"$T/r.yml" <<-'EOF'
	relabel_configs:
	  - source_labels: [i]
	    regex: '.*7'
	    action: drop
	  - source_labels: [i]
	    target_label: j
	stages:
	  - regex: {expression: 'n=(?P<n>\d)'}
	  - labels: {n: ""}
	EOF
	awk 'BEGIN {
		for (i = 0; i < 700; i++) {
			printf "{a=\"x\",i=\"%d\"} %d \"n=%d\"\n", i, i + 1, i % 10
			printf "{a=\"x\",i=\"%d\"} %d \"n=%d again\"\n", i, i + 2, i % 3
		}
		for (i = 0; i < 2000; i++)
			printf "{b=\"y\",i=\"%d\"} %d \"once\"\n", i, i
		for (i = 0; i < 1000; i++)
			printf "{a=\"x\",i=\"%d\"} %d \"n=%d\"\n", i % 50, i, i % 7
	}' >"$T/big"
	"$R" -c "$T/r.yml" --stats-file "$T/s.prom" "$T/big" >"$T/out"
	mkdir "$T/p"
	split -l 400 -a 3 -d "$T/big" "$T/p/in."
	[ "$(ls "$T/p" | wc -l)" -eq 11 ]
	for f in "$T"/p/in.*; do
		"$R" -c "$T/r.yml" --stats-file "$f.prom" "$f" >"$f.out"
	done
	cat "$T"/p/in.*[0-9].out >"$T/pieces"
	cmp "$T/pieces" "$T/out"
	cat "$T"/p/in.*.prom | awk "$sum_stats" >"$T/want"
	awk "$sum_stats" "$T/s.prom" >"$T/stats"
	diff -u "$T/want" "$T/stats"
	grep -qx 'obs_relabel_lines_in_total 4400' "$T/stats"
	grep -qx 'obs_relabel_dropped_total{reason="rule"} 440' "$T/stats"
}

# --- name validation scheme ------------------------------------------------

@test "metric_name_validation_scheme utf8: UTF-8 target labels are written quoted" {
	printf 'metric_name_validation_scheme: utf8\nrelabel_configs:\n  - source_labels: [a]\n    target_label: "utf-8.label"\n' >"$T/c.yml"
	printf 'm{a="x"} 1 1000\n' | "$R" -c "$T/c.yml" >"$T/out" 2>"$T/err"
	[ "$(cat "$T/out")" = 'm{a="x","utf-8.label"="x"} 1 1000' ]
	[ ! -s "$T/err" ]
	# The output reads back: a second pass keeps it as it is.
	"$R" <"$T/out" >"$T/out2" 2>"$T/err2"
	cmp "$T/out" "$T/out2"
	[ ! -s "$T/err2" ]
}

@test "metric_name_validation_scheme: legacy by default, unknown values are config errors" {
	printf 'relabel_configs:\n  - source_labels: [a]\n    target_label: "utf-8.label"\n' >"$T/c.yml"
	st=0; "$R" -c "$T/c.yml" </dev/null >"$T/out" 2>"$T/err" || st=$?
	[ "$st" -eq 2 ]
	grep -q "c.yml:2: .*invalid 'target_label' for replace action" "$T/err"
	printf 'metric_name_validation_scheme: utf9\n' >"$T/d.yml"
	st=0; "$R" -c "$T/d.yml" </dev/null >"$T/out" 2>"$T/err" || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "relabel: $T/d.yml:1: metric_name_validation_scheme: must be either 'legacy' or 'utf8', got 'utf9'" ]
	[ ! -s "$T/out" ]
}
