#!/bin/sh
# tapsum.sh: reads one TAP stream, echoes its lines prefixed with the suite
# name, and ends with one line "N passed, N failed[, N skipped]".
#
# usage: sh tests/tapsum.sh [-n NAME] [-x STATUS] FILE
#
# "ok" counts as passed, "not ok" as failed, either with a "# SKIP"
# directive as skipped ("# TODO" too: a known failure is not a pass).  A
# missing plan, a plan that does not match the number of results, two
# plans, "Bail out!", and an exit STATUS (of the program that wrote FILE)
# that says it crashed (signal), timed out (124, 137) or failed without any
# "not ok", count together as one more failure.  Exit 0 iff nothing failed.

set -u
name=
status=0
while getopts n:x: opt; do
	case $opt in
	n) name=$OPTARG ;;
	x) status=$OPTARG ;;
	*) echo "usage: sh tests/tapsum.sh [-n NAME] [-x STATUS] FILE" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: sh tests/tapsum.sh [-n NAME] [-x STATUS] FILE" >&2; exit 2; }
[ -r "$1" ] || { echo "tapsum.sh: cannot read '$1'" >&2; exit 2; }

awk -v name="$name" -v status="$status" '
function out(s) {
	if (name != "")
		print name ": " s
	else
		print s
}
# Problems with the stream as a whole add up to one failure, whatever
# their number: a crash usually also cuts the plan short.
function synth(why) {
	why_all = why_all (why_all == "" ? "" : "; ") why
}
# A "# SKIP" or "# TODO" directive, case-insensitive, after the description.
function directive(s, lc) {
	lc = tolower(s)
	if (lc ~ /#[ \t]*skip/)
		return "skip"
	if (lc ~ /#[ \t]*todo/)
		return "todo"
	return ""
}
BEGIN { passed = 0; failed = 0; skipped = 0; results = 0; plan = -1; not_oks = 0 }
{
	sub(/\r$/, "")
	out($0)
}
/^1\.\.[0-9]+/ {
	if (plan >= 0) {
		synth("more than one plan")
		next
	}
	plan = substr($0, 4) + 0
	if (plan == 0 && directive($0) == "skip")
		skipped++
	next
}
/^not ok([ \t]|$)/ {
	results++
	d = directive($0)
	if (d != "")
		skipped++
	else {
		failed++
		not_oks++
	}
	next
}
/^ok([ \t]|$)/ {
	results++
	if (directive($0) != "")
		skipped++
	else
		passed++
	next
}
/^Bail out!/ { bailed = 1 }
END {
	if (bailed)
		synth("bailed out")
	if (plan < 0)
		synth("no plan (1..N) in the output")
	else if (plan != results)
		synth("planned " plan " tests but ran " results)
	if (status == 124 || status == 137)
		synth("timed out (exit status " status ")")
	else if (status > 128)
		synth("killed by signal " (status - 128))
	else if (status != 0 && not_oks == 0)
		synth("exited with status " status " without a failing test")
	if (why_all != "") {
		failed++
		out("not ok - " why_all)
	}
	line = passed " passed, " failed " failed"
	if (skipped > 0)
		line = line ", " skipped " skipped"
	print line
	exit failed > 0
}
' "$1"
