#!/bin/sh
# load.sh NAME DIR: an obsd test source under load.  Writes sample lines
# load{gen="G",i="K",src="NAME"} 1 as fast as its pipe takes them, K from
# 0, G the number of this start (counted in DIR/NAME.gen).  After each line
# it appends K to DIR/NAME.G.log, so the log lags what was written by at
# most the one line a SIGKILL may fall between.  SIGTERM ends it after the
# line it is writing, with the log complete.  Bounded: 2,000,000 lines.
name=$1 dir=$2
g=$(cat "$dir/$name.gen" 2>/dev/null || echo 0)
g=$((g + 1))
echo "$g" >"$dir/$name.gen"
exec 3>>"$dir/$name.$g.log"
stop=
trap 'stop=1' TERM
i=0
while [ -z "$stop" ] && [ "$i" -lt 2000000 ]; do
	echo "load{gen=\"$g\",i=\"$i\",src=\"$name\"} 1"
	echo "$i" >&3
	i=$((i + 1))
done
exit 0
