# loadcheck.awk: checks what the sink of an obsd load test recorded
# against what load.sh says it wrote.  Arguments: the logs DIR/NAME.G.log
# first, then the sink's output.  Variables: killed (the starts NAME.G that
# were killed with SIGKILL, as "a.1 b.1": each may have written one line
# more than its log says), ffilter (the starts running when the filter was killed, as
# "a.2 b.2": the only ones that may miss lines, a contiguous run each).
# Prints one line of counts; each problem goes to stderr.
function problem(msg) { print msg >"/dev/stderr"; problems++ }
BEGIN {
	re = "^load[{]gen=\"[0-9]+\",i=\"[0-9]+\",src=\"[a-z]+\",via=\"r\"[}] 1$"
	n = split(ffilter, f, " ")
	for (k = 1; k <= n; k++)
		maylose[f[k]] = 1
	n = split(killed, f, " ")
	for (k = 1; k <= n; k++)
		waskilled[f[k]] = 1
}
FILENAME ~ /\.log$/ {
	base = FILENAME
	sub(/.*\//, "", base)
	sub(/\.log$/, "", base)
	logged[base, $1] = 1
	if (!(base in lmax) || $1 > lmax[base])
		lmax[base] = $1
	if (!(base in lmin) || $1 < lmin[base])
		lmin[base] = $1
	nlogged++
	next
}
{
	if ($0 !~ re) {
		torn++
		problem("torn or foreign line " FNR ": " $0)
		next
	}
	split($0, q, "\"")
	g = q[2]; i = q[4]; s = q[6]
	key = s "." g
	if ((key, i) in got) {
		dup++
		problem("line twice: " $0)
		next
	}
	got[key, i] = 1
	nin++
	# Per source, starts and numbers only grow: nothing reordered.
	if (s in lastg && (g + 0 < lastg[s] || (g + 0 == lastg[s] && i + 0 <= lasti[s]))) {
		disorder++
		problem("out of order: " $0)
	}
	lastg[s] = g + 0
	lasti[s] = i + 0
	if (!((key, i) in logged)) {
		if ((key in waskilled) && i == (key in lmax ? lmax[key] + 1 : 0))
			extra++
		else
			problem("received, never written: " $0)
	}
}
END {
	for (key in lmax) {
		lo = -1
		for (i = lmin[key]; i <= lmax[key]; i++) {
			if ((key, i) in got)
				continue
			if (!(key in maylose)) {
				problem("lost " key " " i " (no filter was killed)")
				continue
			}
			if (lo < 0)
				lo = i
			else if (i != last + 1)
				problem("lost lines of " key " are not one run: " last " then " i)
			last = i
			split(key, kq, ".")
			lostbytes += length("load{gen=\"" kq[2] "\",i=\"" i "\",src=\"" kq[1] "\"} 1") + 1
			lost++
		}
	}
	if (lostbytes >= bound)
		problem("lost " lostbytes " bytes, the bound is " bound)
	printf "written %d received %d torn %d twice %d reordered %d extra %d lost %d lost_bytes %d problems %d\n",
	    nlogged, nin, torn, dup, disorder, extra, lost, lostbytes, problems
	exit problems > 0
}
