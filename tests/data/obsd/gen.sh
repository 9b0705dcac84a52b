#!/bin/sh
# gen.sh NAME COUNT [GOFILE COUNT2]: an obsd test source.  Writes COUNT
# sample lines NAME{i="K"} 1 (K from 0); with GOFILE, waits for that file
# and writes COUNT2 more; then idles.  SIGTERM does not cut the writing
# short: the script finishes what it has to write, then exits 0, so a test
# knows exactly how many lines a clean stop must deliver.  Every wait is
# bounded (120 s).
name=$1 count=$2 go=${3:-} more=${4:-0}
stop=
trap 'stop=1' TERM
i=0
while [ "$i" -lt "$count" ]; do
	echo "$name{i=\"$i\"} 1"
	i=$((i + 1))
done
if [ -n "$go" ]; then
	n=0
	while [ ! -e "$go" ] && [ -z "$stop" ] && [ "$n" -lt 1200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	end=$((count + more))
	while [ "$i" -lt "$end" ]; do
		echo "$name{i=\"$i\"} 1"
		i=$((i + 1))
	done
fi
n=0
while [ -z "$stop" ] && [ "$n" -lt 1200 ]; do
	sleep 0.1
	n=$((n + 1))
done
exit 0
