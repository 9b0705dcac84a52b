#!/bin/sh
# live-compare.sh: compares hostcol's output on this machine with a scrape
# of node_exporter on the same machine, per collector: the set of metric
# names, the set of label names of each metric, and HELP and TYPE.
#
# usage: live-compare.sh HOSTCOL_OUTPUT NODE_EXPORTER_SCRAPE ALLOWLIST WORKDIR
#
# ALLOWLIST holds the known differences between Debian's node_exporter 1.5
# and 1.12, which hostcol follows: lines "SIDE<TAB>SIGNATURE<TAB>REASON",
# SIDE "+" (only hostcol has it) or "-" (only node_exporter has it);
# SIGNATURE is a line as printed below, where "*" matches any text.  Prints "ok COLLECTOR N" or "FAIL COLLECTOR" with the differences;
# an allowlist entry that matched nothing is reported too (it must go when
# the peer changes).  Exits 1 on any difference not allowed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
ours=$1
theirs=$2
allow=$3
work=$4

# signatures: "COLLECTOR<TAB>KIND NAME REST" lines, KIND one of HELP, TYPE,
# LABELS (the sorted label names of one series, "-" for none).
signatures() {
	awk -f "$here/classify.awk" "$1" | awk -F '\t' '
	function labelnames(s,    i, c, inq, esc, name, out, n, names, j, k, t, pend, vs) {
		# s is the part between { and }: the names of the labels whose
		# value is not empty (an empty value is no label).
		n = 0; name = ""; inq = 0; esc = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (inq) {
				if (esc) esc = 0
				else if (c == "\\") esc = 1
				else if (c == "\"") {
					inq = 0
					if (i > vs + 1) names[++n] = pend
				}
				continue
			}
			if (c == "\"") { inq = 1; vs = i; continue }
			if (c == "=") { pend = name; name = ""; continue }
			if (c == ",") { name = ""; continue }
			name = name c
		}
		for (j = 2; j <= n; j++)
			for (k = j; k > 1 && names[k - 1] > names[k]; k--) {
				t = names[k]; names[k] = names[k - 1]; names[k - 1] = t
			}
		out = ""
		for (j = 1; j <= n; j++) out = out (j > 1 ? "," : "") names[j]
		return n ? out : "-"
	}
	{
		c = $1; line = $2
		if (line ~ /^# HELP /) { print c "\tHELP " substr(line, 8); next }
		if (line ~ /^# TYPE /) { print c "\tTYPE " substr(line, 8); next }
		if (line ~ /^#/) next
		name = line; sub(/[{ ].*/, "", name)
		lab = ""
		if (index(line, "{") == length(name) + 1) {
			lab = substr(line, length(name) + 2)
			# up to the closing brace outside quotes
			inq = 0; esc = 0
			for (i = 1; i <= length(lab); i++) {
				ch = substr(lab, i, 1)
				if (inq) { if (esc) esc = 0; else if (ch == "\\") esc = 1; else if (ch == "\"") inq = 0; continue }
				if (ch == "\"") { inq = 1; continue }
				if (ch == "}") break
			}
			lab = substr(lab, 1, i - 1)
		}
		print c "\tLABELS " name " " labelnames(lab)
	}' | sort -u
}

signatures "$ours" >"$work/sig.ours"
signatures "$theirs" >"$work/sig.theirs"

# allowed SIDE SIGNATURE: 0 if an allowlist entry covers it.
awk -F '\t' '!/^#/ && NF >= 3 { print $1 "\t" $2 }' "$allow" >"$work/allow.list"
: >"$work/allow.used"

fail=0
for c in $(cut -f1 "$work/sig.ours" "$work/sig.theirs" | sort -u); do
	awk -F '\t' -v c="$c" '$1 == c { print $2 }' "$work/sig.ours" | sort >"$work/o.$c"
	awk -F '\t' -v c="$c" '$1 == c { print $2 }' "$work/sig.theirs" | sort >"$work/t.$c"
	{
		comm -13 "$work/t.$c" "$work/o.$c" | sed 's/^/+\t/'
		comm -23 "$work/t.$c" "$work/o.$c" | sed 's/^/-\t/'
	} >"$work/d.$c"
	bad=$(awk -F '\t' -v used="$work/allow.used" '
		FILENAME == ARGV[1] { side[++n] = $1; pat[n] = $2; next }
		{
			ok = 0
			for (i = 1; i <= n; i++) {
				if (side[i] != $1) continue
				p = pat[i]
				gsub(/[][\\.^$+?(){}|]/, "\\\\&", p)
				gsub(/\*/, ".*", p)
				m = $2 ~ ("^" p "$")
				if (m) { ok = 1; print side[i] "\t" pat[i] >> used; break }
			}
			if (!ok) print $1 " " $2
		}' "$work/allow.list" "$work/d.$c")
	if [ -n "$bad" ]; then
		echo "FAIL $c"
		printf '%s\n' "$bad" | sed 's/^/  /' | head -40
		fail=1
	else
		echo "ok $c $(wc -l <"$work/o.$c")"
	fi
done
sort -u "$work/allow.used" >"$work/allow.used.s"
sort -u "$work/allow.list" | comm -23 - "$work/allow.used.s" | sed 's/^/unused allowlist entry: /'
exit $fail
