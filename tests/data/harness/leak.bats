# A suite that forgets to stop its peer: tests/run must fail it and stop the peer.
load helpers

@test "forgets to stop its peer" {
	start_node_exporter
}
