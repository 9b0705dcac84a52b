#!/usr/bin/env bats
# hostcol_out.bats: how hostcol's output is written: lines longer than
# one write(2) piece, cycles that repeat the last one's series, and label
# values from literals and from buffers that change.

load helpers

hc() {
	"$(obs_bin hostcol)" "$@"
}

# textfile_dir DIR: 300 small gauges either side of one sample whose
# label value is 6000 bytes (longer than OBS_LINE_ATOMIC, 4096).
textfile_dir() {
	local i
	mkdir -p "$1"
	{
		echo '# TYPE a_small gauge'
		for i in $(seq 300); do
			echo "a_small{n=\"$i\"} $i"
		done
		printf 'm_long{v="%s"} 7\n' "$(printf 'x%.0s' $(seq 6000))"
		echo '# TYPE z_small gauge'
		for i in $(seq 300); do
			echo "z_small{n=\"$i\"} $i.5"
		done
	} >"$1/t.prom"
}

# want_lines FILE: what one cycle writes for textfile_dir's file, without
# timestamps (and without the scrape lines).
want_lines() {
	local i
	{
		echo "# HELP a_small Metric read from $1"
		echo '# TYPE a_small gauge'
		for i in $(seq 300); do
			echo "a_small{n=\"$i\"} $i"
		done | LC_ALL=C sort -t'"' -k2,2
		echo "# HELP m_long Metric read from $1"
		echo '# TYPE m_long untyped'
		printf 'm_long{v="%s"} 7\n' "$(printf 'x%.0s' $(seq 6000))"
		echo "# HELP z_small Metric read from $1"
		echo '# TYPE z_small gauge'
		for i in $(seq 300); do
			echo "z_small{n=\"$i\"} $i.5"
		done | LC_ALL=C sort -t'"' -k2,2
	}
}

# strip: sample lines without their timestamp; only a_, m_ and z_ lines.
strip() {
	awk '!/^#/ { $NF = "" } { sub(/ $/, ""); print }' |
		grep -E '^(a_small|m_long|z_small)|^# [A-Z]+ (a_small|m_long|z_small) '
}

@test "out: a line longer than a write piece is written whole among whole lines" {
	skip_unless_bin hostcol
	textfile_dir "$T/tf"
	rc=0
	hc --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$T/tf" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	want_lines "$T/tf/t.prom" >"$T/want"
	strip <"$T/out" >"$T/got"
	diff -u "$T/want" "$T/got"
	# Every sample line ends with the cycle's one timestamp.
	awk '!/^#/ { print $NF }' "$T/out" | sort -u >"$T/ts"
	[ "$(wc -l <"$T/ts")" -eq 1 ]
	grep -Eqx '[0-9]{13}' "$T/ts"
}

@test "out: cycles that repeat the last one's series write the same lines" {
	skip_unless_bin hostcol
	textfile_dir "$T/tf"
	rc=0
	timeout --preserve-status 3 "$(obs_bin hostcol)" --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$T/tf" \
		--collector.time --interval=100ms >"$T/out" 2>"$T/err" || rc=$?
	# timeout's TERM ends the loop: hostcol exits 0 on it.
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	want_lines "$T/tf/t.prom" >"$T/want"
	# Cycles start at the first # HELP line; the last one may be cut.
	first=$(head -n 1 "$T/out")
	awk -v f="$first" -v d="$T/c" '$0 == f { n++ } { print > (d "." n) }' "$T/out"
	n=$(grep -cxF "$first" "$T/out")
	[ "$n" -ge 5 ]
	for i in $(seq 1 $((n - 1))); do
		strip <"$T/c.$i" | diff -u "$T/want" -
		# node_time_seconds changes every cycle; its line stays whole.
		grep -Eq '^node_time_seconds [0-9.e+]+ [0-9]{13}$' "$T/c.$i"
		# One timestamp a cycle.
		[ "$(awk '!/^#/ { print $NF }' "$T/c.$i" | sort -u | wc -l)" -eq 1 ]
	done
	# Each cycle its own timestamp, later than the last one's.
	awk '!/^#/ { print $NF }' "$T/out" | uniq >"$T/ts"
	[ "$(wc -l <"$T/ts")" -ge "$n" ]
	sort -c -u -n "$T/ts"
}

@test "out: every write(2) ends at a line end, at most 4096 bytes or one longer line alone" {
	skip_unless_bin hostcol
	skip_unless_cmd strace
	strace -qq -e trace=none true 2>/dev/null || skip "strace cannot trace here (ptrace denied)"
	textfile_dir "$T/tf"
	rc=0
	# LeakSanitizer cannot run under ptrace: leaks are looked for by the
	# other tests.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -e trace=write -e signal=none -xx -s 70000 -o "$T/trace" \
		"$(obs_bin hostcol)" --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$T/tf" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	# Each write's bytes, decoded: whole lines; over 4096 bytes, one line.
	python3 - "$T/trace" "$T/out" <<'PY'
import re, sys
got = b""
n = long = 0
for line in open(sys.argv[1]):
    m = re.search(r'write\(1, "((?:\\x[0-9a-f]{2})*)", (\d+)\) = (\d+)', line)
    if not m:
        continue
    data = bytes.fromhex(m.group(1).replace("\\x", ""))
    assert len(data) == int(m.group(2)) == int(m.group(3)), line[:80]
    assert data.endswith(b"\n"), "write %d does not end at a line end" % n
    assert len(data) <= 4096 or data.count(b"\n") == 1, \
        "write %d: %d bytes, %d lines" % (n, len(data), data.count(b"\n"))
    got += data
    n += 1
    long += len(data) > 4096
assert got == open(sys.argv[2], "rb").read(), "the writes are not the output"
assert n >= 5 and long == 1, "%d writes, %d over 4096 bytes" % (n, long)
PY
}

@test "out: a label value from a reused buffer is read anew: a CPU gone from /proc/stat between cycles" {
	skip_unless_bin hostcol
	mkdir -p "$T/proc" "$T/sys"
	stat_file() {	# CPU lines...
		{
			echo 'cpu  110 0 55 1100 11 0 5 0 0 0'
			printf '%s\n' "$@"
			printf '%s\n' 'intr 0' 'ctxt 0' 'btime 1' 'processes 1' \
				'procs_running 1' 'procs_blocked 0' \
				'softirq 0 0 0 0 0 0 0 0 0 0 0'
		} >"$T/proc/stat.new"
		mv "$T/proc/stat.new" "$T/proc/stat"
	}
	stat_file 'cpu0 50 0 25 500 5 0 2 0 0 0' 'cpu1 60 0 30 600 6 0 3 0 0 0'
	hostcol_bg "$T/out" --path.procfs="$T/proc" --path.sysfs="$T/sys" \
		--collector.disable-defaults --collector.cpu
	wait_until 10 cycles_past "$T/out" cpu 1
	stat_file 'cpu1 61 0 31 601 6 0 3 0 0 0'
	wait_until 10 cycles_past "$T/out" cpu $(($(cycles_of "$T/out" cpu) + 2))
	hostcol_stop
	grep "^node_cpu_seconds_total{.* $(last_cycle "$T/out" cpu)\$" "$T/out" |
		cut -d' ' -f1,2 >"$T/got"
	printf '%s\n' \
		'node_cpu_seconds_total{cpu="1",mode="idle"} 6.01' \
		'node_cpu_seconds_total{cpu="1",mode="iowait"} 0.06' \
		'node_cpu_seconds_total{cpu="1",mode="irq"} 0' \
		'node_cpu_seconds_total{cpu="1",mode="nice"} 0' \
		'node_cpu_seconds_total{cpu="1",mode="softirq"} 0.03' \
		'node_cpu_seconds_total{cpu="1",mode="steal"} 0' \
		'node_cpu_seconds_total{cpu="1",mode="system"} 0.31' \
		'node_cpu_seconds_total{cpu="1",mode="user"} 0.61' >"$T/want"
	diff -u "$T/want" "$T/got"
}
