# cycles.sh: what tests read of hostcol's output, cycle by cycle: sourced
# by tests/helpers.bash, and by the sh scripts the bats tests run where
# bats helpers cannot go (inside unshare).  Every wait is bounded.

# cycles_of FILE COLLECTOR: the cycles in FILE that ran COLLECTOR (its
# node_scrape_collector_success lines); 0 while FILE is not there yet (a
# wait must not end on an empty answer).
cycles_of() {
	_co_n=$(grep -c "^node_scrape_collector_success{collector=\"$2\"} " "$1" 2>/dev/null)
	echo "${_co_n:-0}"
}

# cycles_past FILE COLLECTOR N: more than N of them (for wait_until).
cycles_past() {
	[ "$(cycles_of "$1" "$2")" -gt "$3" ]
}

# wait_cycles FILE COLLECTOR N: until FILE holds N of them, 10 s at most;
# 1 if they did not come.
wait_cycles() {
	_wc_i=0
	while [ "$(cycles_of "$1" "$2")" -lt "$3" ]; do
		[ "$_wc_i" -lt 200 ] || return 1
		sleep 0.05
		_wc_i=$((_wc_i + 1))
	done
}

# last_cycle FILE COLLECTOR: the timestamp of the last of them.
last_cycle() {
	grep "^node_scrape_collector_success{collector=\"$2\"} " "$1" |
		tail -n 1 | awk '{ print $NF }'
}

# link_sets FILE: for each whole cycle in FILE, the links netdev named,
# each followed by a comma ("lo,eth0,").
link_sets() {
	awk '/^node_network_receive_bytes_total/ { sub(/.*device="/, ""); sub(/".*/, ""); d = d $0 "," }
		/^node_scrape_collector_success/ { print d; d = "" }' "$1"
}
