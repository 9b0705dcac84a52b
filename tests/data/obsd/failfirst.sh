#!/bin/sh
# failfirst.sh COUNTFILE: an obsd test filter that fails at its first start
# (status 1, before reading anything) and is cat(1) from then on.
n=$(cat "$1" 2>/dev/null || echo 0)
echo $((n + 1)) >"$1"
[ "$n" -eq 0 ] && exit 1
exec cat
