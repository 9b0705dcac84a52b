# A suite with one test of each outcome, for harness.bats' run of tests/run.
load helpers

@test "passes" {
	true
}

@test "skips" {
	skip "no peer"
}

@test "fails" {
	false
}
