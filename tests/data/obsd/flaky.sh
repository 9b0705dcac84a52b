#!/bin/sh
# flaky.sh COUNTFILE LONGRUN: an obsd test member that fails at once with
# status 1, except on its LONGRUN-th start, when it first runs for 1.5 s
# (a healthy run that resets obsd's backoff).  Counts its starts in COUNTFILE.
n=$(cat "$1" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" >"$1"
echo "start $n" >&2
if [ "$n" -eq "$2" ]; then
	sleep 1.5
fi
exit 1
