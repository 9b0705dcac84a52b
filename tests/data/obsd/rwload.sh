#!/bin/sh
# rwload.sh NAME DIR: an obsd test source for a remote-write sink.  Like
# load.sh, but one series per start, obs_load{gen="G",src="NAME"}, whose
# K-th sample has the value K and the timestamp T+K ms, T two minutes
# before the start (so that every sample is in Prometheus' head and
# none is in its future).  About 2000 lines a second; logs K to
# DIR/NAME.G.log after writing each line.  SIGTERM ends it after the line
# it is writing.  Bounded: 100,000 lines.
name=$1 dir=$2
g=$(cat "$dir/$name.gen" 2>/dev/null || echo 0)
g=$((g + 1))
echo "$g" >"$dir/$name.gen"
exec 3>>"$dir/$name.$g.log"
t=$(($(date +%s%3N) - 120000))
stop=
trap 'stop=1' TERM
i=0
while [ -z "$stop" ] && [ "$i" -lt 100000 ]; do
	echo "obs_load{gen=\"$g\",src=\"$name\"} $i $((t + i))"
	echo "$i" >&3
	i=$((i + 1))
	[ $((i % 100)) -eq 0 ] && sleep 0.05
done
exit 0
