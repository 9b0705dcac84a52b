# A suite that fails while holding two peers: harness.bats runs it and
# checks that stop_peers in teardown stopped both.  HARNESS_PIDS names the
# file that receives their PIDs.
load "$OBS_ROOT/tests/helpers"

teardown() {
	stop_peers
}

@test "fails holding two peers" {
	start_prometheus
	start_node_exporter
	echo "$PROM_PID $NE_PID" >"$HARNESS_PIDS"
	false
}
