# A suite that leaves a peer and a background process running: tests/run
# must fail it and stop both.
load helpers

@test "forgets to stop its peer" {
	start_node_exporter
}

@test "forgets a background process" {
	sleep 1234 </dev/null >/dev/null 2>&1 3>&- &
}
