#!/bin/sh
# dashboard-check.sh: checks that every node_* name a Grafana dashboard
# queries is emitted by hostcol, or is listed with a reason.
#
# usage: dashboard-check.sh DASHBOARD_JSON MISSING_TSV HOSTCOL_OUTPUT...
#
# The names are taken from the dashboard's expr, query and definition
# strings (jq).  Prints "ok N names, M listed" or one line per name that
# is neither emitted nor listed ("missing NAME"), and per listed name that
# is emitted after all ("stale NAME"); exits 1 on any.

set -u
dash=$1
list=$2
shift 2
tmp=${TMPDIR:-/tmp}/dashcheck.$$
trap 'rm -f "$tmp".*' EXIT

jq -r '.. | objects | (.expr?, .query?, .definition?) // empty | strings' "$dash" |
	grep -o 'node_[a-zA-Z0-9_]*' | LC_ALL=C sort -u >"$tmp.want" || exit 2
[ -s "$tmp.want" ] || { echo "no node_* names in $dash"; exit 2; }
cat "$@" | awk '!/^#/ && NF { n = $1; sub(/[{ ].*/, "", n); print n }' |
	LC_ALL=C sort -u >"$tmp.have"
awk -F '\t' '!/^#/ && NF >= 2 && $2 != "" { print $1 }' "$list" |
	LC_ALL=C sort -u >"$tmp.listed"

fail=0
LC_ALL=C comm -23 "$tmp.want" "$tmp.have" | LC_ALL=C comm -23 - "$tmp.listed" >"$tmp.missing"
LC_ALL=C comm -12 "$tmp.listed" "$tmp.have" >"$tmp.stale"
if [ -s "$tmp.missing" ]; then
	sed 's/^/missing /' "$tmp.missing"
	fail=1
fi
if [ -s "$tmp.stale" ]; then
	sed 's/^/stale /' "$tmp.stale"
	fail=1
fi
[ "$fail" -eq 0 ] &&
	echo "ok $(wc -l <"$tmp.want") names, $(wc -l <"$tmp.listed") listed"
exit $fail
