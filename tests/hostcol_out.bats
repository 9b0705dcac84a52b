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
}
