#!/usr/bin/env bats
# ctrcol.bats: ctrcol on cgroup v1/v2 fixture trees, against cAdvisor's
# golden output and dockprom's dashboard, and on a real Docker engine with
# containers that burn CPU, talk on the bridge and write to disk, compared
# with the Engine API's own stats; and on a private rootful Podman API
# service (tests/podman-engine.sh) when podman runs here.

load helpers

PEERS=${OBS_ROOT}/../shared/peers
DATA=$OBS_ROOT/tests/data/ctrcol
GOLDEN=$PEERS/cadvisor/prometheus_metrics
DASHBOARD=$PEERS/dashboards/dockprom-docker-containers.json
IMAGE=$DOCKER_IMAGE
FIX_ID=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
FIX_ID2=1111111111111111111111111111111111111111111111111111111111111111
FIX_ID3=2222222222222222222222222222222222222222222222222222222222222222

cc() {
	"$(obs_bin ctrcol)" "$@"
}

# docker_api PATH: GET PATH from the engine.
docker_api() {
	curl -fsS --max-time 10 --unix-socket "$DOCKER_SOCK" "http://docker$1"
}

setup_file() {
	export CTR_PREFIX=obsctr$$
	podman_start_engine
	docker_start_engine || return 0
	start_workload ||
		echo "cannot start the test containers" >"$BATS_FILE_TMPDIR/docker.state"
}

# The containers most tests look at: a CPU burner with limits and labels,
# a web server and a talker fetching from it on the bridge, and a disk
# writer with a write throttle on the disk under /var/lib/docker (block
# I/O counters stay 0 on these VMs until such a rule exists).
start_workload() {
	local dev ip
	export BURNER SERVER TALKER WRITER
	BURNER=$(docker_run_test "$CTR_PREFIX-burner" \
		--label com.example.role=burner --label 'org.label-schema.group=' \
		--label 'com.example.weird-key.x=a "quoted" value' \
		-m 64m --cpus 0.5 "$IMAGE" sh -c 'while :; do :; done') || return 1
	SERVER=$(docker_run_test "$CTR_PREFIX-server" "$IMAGE" \
		sh -c 'mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/f bs=1k count=256 2>/dev/null; exec httpd -f -p 8080 -h /tmp/www') || return 1
	ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$SERVER") || return 1
	TALKER=$(docker_run_test "$CTR_PREFIX-talker" "$IMAGE" \
		sh -c "while :; do wget -q -O /dev/null http://$ip:8080/f; sleep 0.1; done") || return 1
	dev=$(df --output=source /var/lib/docker | tail -n 1)
	export DISK_DEV=$dev
	WRITER=$(docker_run_test "$CTR_PREFIX-writer" \
		--device-write-bps "$dev:20mb" "$IMAGE" \
		sh -c 'while :; do dd if=/dev/zero of=/tmp/x bs=64k count=32 conv=fsync 2>/dev/null; sleep 0.3; done') || return 1
	sleep 2
}

teardown_file() {
	docker_rm_test_containers
	docker_stop_engine
	podman_stop_engine
	stop_peers
}

teardown() {
	docker_rm_test_containers
	pm_rm_test_containers
	stop_peers
}

# --- Podman -----------------------------------------------------------------
# A private rootful `podman system service` (its own storage, state and
# config under PM_DIR, the cgroupfs manager, vfs storage, no network), with
# the test image imported from /bin/busybox; PM_SOCK is its socket.  The
# reason it cannot run lands in podman.state and need_podman skips with it.

# pm ARGS...: the podman client on the private service.
pm() {
	timeout 60 podman --remote --url "unix://$PM_SOCK" "$@"
}

# pm_api PATH: GET PATH from podman's Docker-compatible API.
pm_api() {
	curl -fsS --max-time 10 --unix-socket "$PM_SOCK" "http://podman$1"
}

# pm_run_test NAME RUN-ARGS...: as docker_run_test, on podman (never pulls,
# no network); the ID is removed by teardown (or teardown_file).
pm_run_test() {
	local name=$1 id
	shift
	id=$(pm run -d --pull never --network none --label obs.test=1 \
		--name "$name" "$@") || return 1
	echo "$id" >>"$(obs_tmpdir)/pm-containers"
	echo "$id"
}

pm_rm_test_containers() {
	local f id
	f=$(obs_tmpdir)/pm-containers
	[ -f "$f" ] || return 0
	while read -r id; do
		[ -n "$id" ] && pm rm -f -t 0 "$id" >/dev/null 2>&1
	done <"$f"
	rm -f "$f"
}

podman_start_engine() {
	local d state
	d=$(obs_tmpdir)
	# short: the socket's path must fit in sun_path
	PM_DIR=$(mktemp -d /tmp/obs-pm.XXXXXX) || return 0
	echo "$PM_DIR" >"$d/podman.dir"
	export PM_DIR PM_SOCK=$PM_DIR/podman.sock PM_IMAGE=localhost/$IMAGE
	if ! state=$(sh "$OBS_ROOT/tests/podman-engine.sh" start "$PM_DIR" "$IMAGE"); then
		echo "${state:-podman-engine.sh failed}" >"$d/podman.state"
		return 0
	fi
	# a CPU burner with labels and limits, and an idle one without limits
	export PBURNER PIDLE
	if PBURNER=$(pm_run_test "$CTR_PREFIX-pburner" \
		--label com.example.role=burner --label 'org.label-schema.group=' \
		--label 'com.example.weird-key.x=a "quoted" value' \
		-m 64m --cpus 0.5 "$IMAGE" sh -c 'while :; do :; done') &&
		PIDLE=$(pm_run_test "$CTR_PREFIX-pidle" "$IMAGE" sleep 3600); then
		echo ok >"$d/podman.state"
	else
		echo "podman cannot run the test containers" >"$d/podman.state"
	fi
}

podman_stop_engine() {
	local f
	f=$(obs_tmpdir)/podman.dir
	[ -f "$f" ] || return 0
	pm_rm_test_containers
	sh "$OBS_ROOT/tests/podman-engine.sh" stop "$(cat "$f")"
	rm -f "$f"
}

need_podman() {
	local state
	state=$(cat "$BATS_FILE_TMPDIR/podman.state" 2>/dev/null)
	[ "$state" = ok ] || skip "${state:-podman did not start}"
	skip_unless_bin ctrcol
}

# strip FILE: the samples without timestamps, without the two series that
# hold the time of the run.
strip() {
	sed 's/ [0-9]*$//' "$1" | grep -v -e container_last_seen -e container_start_time
}

# cycles_at_least FILE N: FILE holds N cycles of output or more.
cycles_at_least() {
	[ "$(grep -c '^machine_cpu_cores' "$1")" -ge "$2" ]
}

# bg_ctrcol OUT ERR ARGS...: ctrcol in the background (stopped by
# teardown if the test fails first); its PID in pid.
bg_ctrcol() {
	local out=$1 err=$2
	shift 2
	"$(obs_bin ctrcol)" "$@" >"$out" 2>"$err" &
	pid=$!
	obs_track "$pid" ctrcol
}

# term_wait PID: SIGTERM, then its exit status in rc.
term_wait() {
	kill -TERM "$1"
	rc=0
	wait "$1" || rc=$?
	echo "rc=$rc"
}

# check_golden FILE: golden.py's verdict on FILE; the number of families
# it compared in checked.
check_golden() {
	[ -f "$GOLDEN" ] || skip "no cAdvisor golden output at $GOLDEN"
	run "$OBS_PYTHON" "$DATA/golden.py" "$1" "$GOLDEN"
	echo "$output"
	[ "$status" -eq 0 ] || return 1
	[[ ${lines[-1]} =~ ^checked\ ([0-9]+)\ families$ ]] || return 1
	checked=${BASH_REMATCH[1]}
}

# value FILE METRIC MATCH: the value of the first METRIC line containing MATCH.
value() {
	awk -v m="$2" -v s="$3" 'index($0, m "{") == 1 && index($0, s) { print $(NF - 1); exit }' "$1"
}

# --- usage ----------------------------------------------------------------

@test "ctrcol -h prints the usage on stdout and exits 0" {
	skip_unless_bin ctrcol
	cc -h >"$T/out" 2>"$T/err"
	[ "$(head -c 14 "$T/out")" = "usage: ctrcol " ]
	[ ! -s "$T/err" ]
}

@test "ctrcol --version prints the version" {
	skip_unless_bin ctrcol
	cc --version >"$T/out"
	grep -q '^ctrcol version ' "$T/out"
}

@test "ctrcol: a bad option, an operand or a bad interval exit 2" {
	skip_unless_bin ctrcol
	run cc --bogus
	[ "$status" -eq 2 ]
	run cc extra
	[ "$status" -eq 2 ]
	run cc --interval 10q
	[ "$status" -eq 2 ]
	[ "$output" = "ctrcol: invalid --interval '10q': not a duration such as 5s or 1m30s" ]
	run cc --docker-host http://x --path.sysfs "$DATA/v2/sys"
	[ "$status" -eq 2 ]
}

@test "ctrcol: no cgroup hierarchy under --path.sysfs exits 2" {
	skip_unless_bin ctrcol
	mkdir -p "$T/sys/fs/cgroup"
	run cc --no-docker --path.sysfs "$T/sys"
	[ "$status" -eq 2 ]
	[ "$output" = "ctrcol: no cgroup hierarchy under '$T/sys/fs/cgroup'" ]
}

# --- fixtures ---------------------------------------------------------------

@test "ctrcol reads cgroup v2 (unified, systemd layout) as cAdvisor does" {
	skip_unless_bin ctrcol
	cc --no-docker --path.sysfs "$DATA/v2/sys" --path.procfs "$DATA/v2/proc" \
		>"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	strip "$T/out" >"$T/got"
	diff -u "$DATA/v2.expected" "$T/got"
	# working set is memory.current minus inactive_file
	grep -qx "container_memory_working_set_bytes{id=\"/system.slice/docker-$FIX_ID.scope\"} 8.388608e+07" "$T/got"
	# the cgroup that vanished after the listing is skipped cleanly
	refute grep -q fedcba98 "$T/out"
}

@test "ctrcol reads cgroup v1 with split cpu and cpuacct mounts (cgroupfs layout)" {
	skip_unless_bin ctrcol
	cc --no-docker --path.sysfs "$DATA/v1/sys" --path.procfs "$DATA/v1/proc" \
		>"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	strip "$T/out" >"$T/got"
	diff -u "$DATA/v1.expected" "$T/got"
	# use_hierarchy: total_* counters; working set = usage - total_inactive_file
	grep -qx "container_memory_working_set_bytes{id=\"/docker/$FIX_ID\"} 1.2582912e+08" "$T/got"
	# BFQ statistics are empty: the throttle ones are read
	grep -qx "container_fs_writes_bytes_total{device=\"/dev/sda\",id=\"/docker/$FIX_ID\"} 1.048576e+07" "$T/got"
}

@test "ctrcol reads cgroup v1 with joined cpu,cpuacct (systemd layout)" {
	skip_unless_bin ctrcol
	cc --no-docker --path.sysfs "$DATA/v1j/sys" --path.procfs "$DATA/v1j/proc" \
		>"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	strip "$T/out" >"$T/got"
	diff -u "$DATA/v1j.expected" "$T/got"
	# quota -1 (unlimited): no container_spec_cpu_quota, as cAdvisor
	refute grep -q container_spec_cpu_quota "$T/got"
}

@test "ctrcol --docker-only leaves out the cgroups that are not containers" {
	skip_unless_bin ctrcol
	cc --no-docker --docker-only --path.sysfs "$DATA/v2/sys" \
		--path.procfs "$DATA/v2/proc" >"$T/out"
	grep -v '^#' "$T/out" | grep -v '^machine_' >"$T/samples"
	[ "$(wc -l <"$T/samples")" -eq 41 ]
	[ "$(grep -c "id=\"/system.slice/docker-$FIX_ID.scope\"" "$T/samples")" -eq 41 ]
}

@test "ctrcol on fixtures: every line is valid text exposition with a timestamp" {
	skip_unless_bin ctrcol
	cc --no-docker --path.sysfs "$DATA/v1/sys" --path.procfs "$DATA/v1/proc" >"$T/out"
	refute grep -v -E '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[^}]*\})? [-+0-9.e]+ [0-9]{13})$' "$T/out"
	skip_unless_bin relabel
	"$(obs_bin relabel)" <"$T/out" >"$T/again" 2>"$T/err"
	[ ! -s "$T/err" ]
}

@test "ctrcol: HELP, TYPE and label names match cAdvisor's golden output (fixtures)" {
	skip_unless_bin ctrcol
	cc --no-docker --path.sysfs "$DATA/v2/sys" --path.procfs "$DATA/v2/proc" >"$T/out"
	check_golden "$T/out"
	[ "$checked" -eq 34 ]
}

@test "ctrcol: the golden check fails on a wrong HELP (the check can fail)" {
	skip_unless_bin ctrcol
	[ -f "$GOLDEN" ] || skip "no cAdvisor golden output at $GOLDEN"
	cc --no-docker --path.sysfs "$DATA/v2/sys" --path.procfs "$DATA/v2/proc" |
		sed 's/^# HELP container_memory_rss .*/# HELP container_memory_rss RSS./' >"$T/out"
	run "$OBS_PYTHON" "$DATA/golden.py" "$T/out" "$GOLDEN"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "container_memory_rss: HELP 'RSS.', cAdvisor 'Size of RSS in bytes.'" ]
}

@test "ctrcol writes Prometheus staleness markers for a vanished cgroup when looping" {
	skip_unless_bin ctrcol
	cp -R "$DATA/v2" "$T/v2"
	bg_ctrcol "$T/out" "$T/err" --no-docker --interval 200ms \
		--path.sysfs "$T/v2/sys" --path.procfs "$T/v2/proc"
	wait_until 10 cycles_at_least "$T/out" 1
	rm -rf "$T/v2/sys/fs/cgroup/system.slice/docker-$FIX_ID.scope"
	wait_until 10 grep -q " stale " "$T/out"
	term_wait "$pid"
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	grep -q "^container_memory_rss{id=\"/system.slice/docker-$FIX_ID.scope\"} stale [0-9]*$" "$T/out"
	# 41 series of the container, each marked once
	[ "$(grep -c " stale " "$T/out")" -eq 41 ]
	[ "$(grep ' stale ' "$T/out" | grep -vc "$FIX_ID")" -eq 0 ]
}

@test "ctrcol --stats-file writes its own counters after every cycle" {
	skip_unless_bin ctrcol
	cc --docker-host "unix://$T/none.sock" --stats-file "$T/stats.prom" \
		--path.sysfs "$DATA/v2/sys" --path.procfs "$DATA/v2/proc" \
		>"$T/out" 2>"$T/err"
	grep -v '^#' "$T/stats.prom" | grep -v duration >"$T/got"
	printf '%s\n' "obs_ctrcol_cycles_total 1" \
		"obs_ctrcol_lines_out_total $(wc -l <"$T/out")" \
		"obs_ctrcol_cgroups 3" "obs_ctrcol_docker_errors_total 1" >"$T/want"
	diff -u "$T/want" "$T/got"
	grep -q '^# TYPE obs_ctrcol_cycle_duration_seconds gauge$' "$T/stats.prom"
}

@test "ctrcol ends with status 1 on EPIPE" {
	skip_unless_bin ctrcol
	set +o pipefail
	timeout 20 "$(obs_bin ctrcol)" --no-docker --interval 50ms \
		--path.sysfs "$DATA/v2/sys" --path.procfs "$DATA/v2/proc" \
		2>"$T/err" | head -c 10 >/dev/null
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 1 ]
	grep -q "^ctrcol: cannot write 'stdout'" "$T/err"
}

# --- Docker engine not there or slow ----------------------------------------

@test "ctrcol without the Docker socket: cgroup metrics without names and one warning" {
	skip_unless_bin ctrcol
	bg_ctrcol "$T/out" "$T/err" --docker-host "unix://$T/none.sock" \
		--interval 100ms --path.sysfs "$DATA/v2/sys" --path.procfs "$DATA/v2/proc"
	wait_until 10 cycles_at_least "$T/out" 3
	term_wait "$pid"
	[ "$rc" -eq 0 ]
	[ "$(grep -c '^machine_cpu_cores' "$T/out")" -ge 3 ]
	[ "$(wc -l <"$T/err")" -eq 1 ]
	grep -q "^ctrcol: warning: docker 'unix://$T/none.sock' unavailable: .*: metrics go out without names, images and labels$" "$T/err"
	grep -q "^container_cpu_usage_seconds_total{cpu=\"total\",id=\"/system.slice/docker-$FIX_ID.scope\"} 12.345678 " "$T/out"
}

@test "ctrcol with a Docker socket that never answers gives up after 2s" {
	skip_unless_bin ctrcol
	"$OBS_PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(8)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$T/slow.sock" </dev/null >/dev/null 2>&1 3>&- &
	obs_track $! slow-docker
	wait_until 10 test -S "$T/slow.sock"
	start=$(date +%s%N)
	rc=0
	cc --docker-host "unix://$T/slow.sock" --path.sysfs "$DATA/v2/sys" \
		--path.procfs "$DATA/v2/proc" >"$T/out" 2>"$T/err" || rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$rc" -eq 0 ]
	echo "took ${ms}ms"
	[ "$ms" -ge 1900 ] && [ "$ms" -lt 4000 ]
	[ "$(wc -l <"$T/err")" -eq 1 ]
	grep -q "unavailable: .*timed out" "$T/err"
	strip "$T/out" >"$T/got"
	diff -u "$DATA/v2.expected" "$T/got"
}

# --- a real Docker engine ---------------------------------------------------

@test "ctrcol names containers: name, image, labels as container_label_*" {
	need_docker ctrcol
	cc --docker-only >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	line=$(grep "^container_memory_usage_bytes{.*id=\"/docker/$BURNER\"" "$T/out")
	echo "$line"
	[[ $line == *"name=\"$CTR_PREFIX-burner\""* ]]
	[[ $line == *"image=\"$IMAGE\""* ]]
	[[ $line == *'container_label_com_example_role="burner"'* ]]
	[[ $line == *'container_label_obs_test="1"'* ]]
	[[ $line == *'container_label_com_example_weird_key_x="a \"quoted\" value"'* ]]
	# an empty Docker label value is an absent label, as in Prometheus
	[[ $line != *org_label_schema_group* ]]
	# --docker-only: every series is a container's (Docker's, or the
	# podman tests' that run meanwhile)
	refute grep -v -e '^#' -e '^machine_' -e 'id="/docker/' \
		-e 'id="/libpod_parent/libpod-' "$T/out"
}

@test "ctrcol reports the limits Docker set" {
	need_docker ctrcol
	cc --docker-only >"$T/out"
	m="id=\"/docker/$BURNER\""
	[ "$(value "$T/out" container_spec_memory_limit_bytes "$m")" = 6.7108864e+07 ]
	[ "$(value "$T/out" container_spec_cpu_quota "$m")" = 50000 ]
	[ "$(value "$T/out" container_spec_cpu_period "$m")" = 100000 ]
	[ "$(value "$T/out" container_spec_cpu_shares "$m")" = 1024 ]
	# the talker has no CPU limit: no quota series, as cAdvisor
	refute grep -q "^container_spec_cpu_quota{.*id=\"/docker/$TALKER\"" "$T/out"
}

@test "ctrcol: counters grow under load (cpu, network, block I/O)" {
	need_docker ctrcol
	cc --docker-only >"$T/a"
	sleep 2
	cc --docker-only >"$T/b"
	cpu_a=$(value "$T/a" container_cpu_usage_seconds_total "/docker/$BURNER\"")
	cpu_b=$(value "$T/b" container_cpu_usage_seconds_total "/docker/$BURNER\"")
	rx_a=$(value "$T/a" container_network_receive_bytes_total "/docker/$TALKER\"")
	rx_b=$(value "$T/b" container_network_receive_bytes_total "/docker/$TALKER\"")
	tx_a=$(value "$T/a" container_network_transmit_bytes_total "/docker/$SERVER\"")
	tx_b=$(value "$T/b" container_network_transmit_bytes_total "/docker/$SERVER\"")
	wr_a=$(value "$T/a" container_fs_writes_bytes_total "/docker/$WRITER\"")
	wr_b=$(value "$T/b" container_fs_writes_bytes_total "/docker/$WRITER\"")
	echo "cpu $cpu_a $cpu_b rx $rx_a $rx_b tx $tx_a $tx_b wr $wr_a $wr_b"
	# 0.5 CPU for 2s, on a busy 2-CPU machine: at least 0.2s more
	awk -v a="$cpu_a" -v b="$cpu_b" 'BEGIN { exit !(b - a >= 0.2) }'
	# 256 KiB fetched every ~0.1s
	awk -v a="$rx_a" -v b="$rx_b" 'BEGIN { exit !(b - a >= 1000000) }'
	awk -v a="$tx_a" -v b="$tx_b" 'BEGIN { exit !(b - a >= 1000000) }'
	awk -v a="$wr_a" -v b="$wr_b" 'BEGIN { exit !(b - a >= 2000000) }'
	grep -q "^container_fs_writes_total{.*device=\"$DISK_DEV\",id=\"/docker/$WRITER\"" "$T/b"
}

# between STATS-BEFORE-JSON STATS-AFTER-JSON JQ OURS [SLACK]: the engine's
# value before ctrcol's run (less SLACK) <= ours <= the engine's value after
# it (plus SLACK).
between() {
	local lo hi
	lo=$(jq "$3" "$1")
	hi=$(jq "$3" "$2")
	echo "$3: $lo <= $4 <= $hi (slack ${5:-0})"
	awk -v lo="$lo" -v hi="$hi" -v v="$4" -v d="${5:-0}" \
		'BEGIN { e = 1e-9 * (hi < 0 ? -hi : hi) + 1e-12  # float formatting
		exit !(v != "" && lo != "null" && hi != "null" && lo - d - e <= v && v <= hi + d + e) }'
}

@test "ctrcol agrees with the Engine API's /containers/ID/stats at the same moment" {
	need_docker ctrcol
	for c in BURNER TALKER WRITER; do
		docker_api "/containers/${!c}/stats?stream=false&one-shot=true" >"$T/$c.0"
	done
	cc --docker-only >"$T/out"
	for c in BURNER TALKER WRITER; do
		docker_api "/containers/${!c}/stats?stream=false&one-shot=true" >"$T/$c.1"
	done
	# counters: the engine's reading before and after bracket ours
	between "$T/BURNER.0" "$T/BURNER.1" '.cpu_stats.cpu_usage.total_usage / 1e9' \
		"$(value "$T/out" container_cpu_usage_seconds_total "/docker/$BURNER\"")"
	between "$T/TALKER.0" "$T/TALKER.1" '.networks.eth0.rx_bytes' \
		"$(value "$T/out" container_network_receive_bytes_total "/docker/$TALKER\"")"
	between "$T/TALKER.0" "$T/TALKER.1" '.networks.eth0.tx_packets' \
		"$(value "$T/out" container_network_transmit_packets_total "/docker/$TALKER\"")"
	between "$T/WRITER.0" "$T/WRITER.1" \
		'[.blkio_stats.io_service_bytes_recursive[] | select(.op == "Write") | .value] | add' \
		"$(value "$T/out" container_fs_writes_bytes_total "/docker/$WRITER\"")"
	between "$T/WRITER.0" "$T/WRITER.1" \
		'[.blkio_stats.io_serviced_recursive[] | select(.op == "Write") | .value] | add' \
		"$(value "$T/out" container_fs_writes_total "/docker/$WRITER\"")"
	# gauges: within 1 MiB of the engine's reading
	ours=$(value "$T/out" container_memory_usage_bytes "/docker/$BURNER\"")
	theirs=$(jq '.memory_stats.usage' "$T/BURNER.1")
	echo "mem $ours $theirs"
	awk -v a="$ours" -v b="$theirs" 'BEGIN { d = b - a; exit !(d > -1048576 && d < 1048576) }'
	[ "$(jq '.memory_stats.limit' "$T/BURNER.1")" = 67108864 ]
	[ "$(value "$T/out" container_spec_memory_limit_bytes "/docker/$BURNER\"")" = 6.7108864e+07 ]
}

@test "ctrcol --no-store-container-labels and --whitelisted-container-labels" {
	need_docker ctrcol
	cc --docker-only --no-store-container-labels >"$T/none"
	refute grep -q container_label_ "$T/none"
	grep -q "name=\"$CTR_PREFIX-burner\"" "$T/none"
	cc --docker-only --no-store-container-labels \
		--whitelisted-container-labels com.example.role,other >"$T/some"
	grep -o 'container_label_[a-z_]*' "$T/some" | sort -u >"$T/names"
	[ "$(cat "$T/names")" = container_label_com_example_role ]
}

@test "ctrcol: HELP, TYPE and label names match cAdvisor's golden output (live)" {
	need_docker ctrcol
	cc --disk-usage >"$T/out"
	check_golden "$T/out"
	# 35 here; fewer where a kernel lacks some files
	[ "$checked" -ge 30 ]
}

@test "ctrcol: dockprom's container dashboard finds every series it queries" {
	need_docker ctrcol
	[ -f "$DASHBOARD" ] || skip "no dashboard at $DASHBOARD"
	cc --disk-usage >"$T/out"
	run "$OBS_PYTHON" "$DATA/dashboard.py" "$T/out" "$DASHBOARD"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "checked 10 selectors" ]
	grep -q "^container_fs_usage_bytes{.*device=\"$DISK_DEV\",.*id=\"/docker/$WRITER\"" "$T/out"
}

@test "ctrcol: a removed container's series go stale in a loop, a new one is named" {
	need_docker ctrcol
	bg_ctrcol "$T/out" "$T/err" --docker-only --interval 300ms
	id=$(docker_run_test "$CTR_PREFIX-vanish" "$IMAGE" sleep 300)
	wait_until 10 grep -q "name=\"$CTR_PREFIX-vanish\"" "$T/out"
	grep -q "^container_memory_usage_bytes{.*id=\"/docker/$id\",image=\"$IMAGE\",name=\"$CTR_PREFIX-vanish\"}" "$T/out"
	docker rm -f "$id" >/dev/null
	wait_until 10 grep -q "id=\"/docker/$id\".* stale " "$T/out"
	term_wait "$pid"
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	grep -q "^container_memory_usage_bytes{.*id=\"/docker/$id\".*} stale [0-9]*$" "$T/out"
}

@test "ctrcol asks /containers/json once a cycle and inspects only new containers" {
	need_docker ctrcol
	# a logging proxy in front of the engine
	"$OBS_PYTHON" -c '
import socket, sys, threading
log = open(sys.argv[2], "a", buffering=1)
srv = socket.socket(socket.AF_UNIX); srv.bind(sys.argv[1]); srv.listen(16)
def pipe(a, b, record):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            if record:
                for l in d.split(b"\r\n"):
                    if l.startswith((b"GET ", b"POST ")):
                        log.write(l.decode() + "\n")
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
while True:
    c, _ = srv.accept()
    u = socket.socket(socket.AF_UNIX); u.connect("/var/run/docker.sock")
    threading.Thread(target=pipe, args=(c, u, True), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c, False), daemon=True).start()
' "$T/proxy.sock" "$T/requests" </dev/null >/dev/null 2>&1 3>&- &
	obs_track $! docker-proxy
	wait_until 10 test -S "$T/proxy.sock"
	bg_ctrcol "$T/out" "$T/err" --docker-only \
		--docker-host "unix://$T/proxy.sock" --interval 200ms
	wait_until 10 cycles_at_least "$T/out" 4
	term_wait "$pid"
	[ "$rc" -eq 0 ]
	cycles=$(grep -c '^machine_cpu_cores' "$T/out")
	lists=$(grep -c '^GET /containers/json ' "$T/requests")
	echo "cycles $cycles lists $lists"
	[ "$lists" -eq "$cycles" ]
	grep '/json ' "$T/requests" | grep -v '^GET /containers/json ' | sort >"$T/inspects"
	# every container inspected once, however many cycles saw it (other
	# suites may start containers meanwhile: count what was asked)
	[ "$(uniq -d "$T/inspects" | wc -l)" -eq 0 ]
	for c in "$BURNER" "$SERVER" "$TALKER" "$WRITER"; do
		[ "$(grep -c "^GET /containers/$c/json " "$T/inspects")" -eq 1 ]
	done
	# no other request (no stats, no per-metric calls)
	[ "$(wc -l <"$T/requests")" -eq $((cycles + $(wc -l <"$T/inspects"))) ]
}

# --- Podman -------------------------------------------------------------------

@test "ctrcol recognises Podman's cgroup layouts, not conmon's cgroups (fixture)" {
	skip_unless_bin ctrcol
	cc --no-docker --docker-only --path.sysfs "$DATA/pm/sys" \
		--path.procfs "$DATA/pm/proc" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	grep -o 'id="[^"]*"' "$T/out" | sort -u >"$T/ids"
	# rootful cgroupfs, rootful systemd, rootless systemd
	printf 'id="%s"\n' "/libpod_parent/libpod-$FIX_ID3" \
		"/machine.slice/libpod-$FIX_ID.scope" \
		"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-$FIX_ID2.scope" \
		>"$T/want"
	diff -u "$T/want" "$T/ids"
	# without --docker-only conmon's cgroups are raw cgroups
	cc --no-docker --path.sysfs "$DATA/pm/sys" --path.procfs "$DATA/pm/proc" >"$T/all"
	grep -q "^container_memory_usage_bytes{id=\"/machine.slice/libpod-conmon-$FIX_ID.scope\"} 1.048576e+06 " "$T/all"
	grep -q '^container_memory_usage_bytes{id="/libpod_parent/conmon"} 1.048576e+06 ' "$T/all"
}

@test "ctrcol on Podman's API socket names containers: name, image, labels" {
	need_podman
	cc --docker-only --docker-host "unix://$PM_SOCK" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	m="id=\"/libpod_parent/libpod-$PBURNER\""
	line=$(grep "^container_memory_usage_bytes{.*$m" "$T/out")
	echo "$line"
	[[ $line == *"name=\"$CTR_PREFIX-pburner\""* ]]
	# the image as podman reports it (Config.Image), as cAdvisor labels it
	[ "$(pm_api "/containers/$PBURNER/json" | jq -r .Config.Image)" = "$PM_IMAGE" ]
	[[ $line == *"image=\"$PM_IMAGE\""* ]]
	[[ $line == *'container_label_com_example_role="burner"'* ]]
	[[ $line == *'container_label_obs_test="1"'* ]]
	[[ $line == *'container_label_com_example_weird_key_x="a \"quoted\" value"'* ]]
	[[ $line != *org_label_schema_group* ]]
	grep -q "^container_memory_usage_bytes{.*id=\"/libpod_parent/libpod-$PIDLE\",image=\"$PM_IMAGE\",name=\"$CTR_PREFIX-pidle\"}" "$T/out"
	# conmon's cgroup is not a container
	refute grep -q 'id="/libpod_parent/conmon"' "$T/out"
	refute grep -v -e '^#' -e '^machine_' -e 'id="/docker/' \
		-e 'id="/libpod_parent/libpod-' "$T/out"
}

@test "ctrcol reports the limits Podman set" {
	need_podman
	cc --docker-only --docker-host "unix://$PM_SOCK" >"$T/out"
	m="id=\"/libpod_parent/libpod-$PBURNER\""
	[ "$(value "$T/out" container_spec_memory_limit_bytes "$m")" = 6.7108864e+07 ]
	[ "$(value "$T/out" container_spec_cpu_quota "$m")" = 50000 ]
	[ "$(value "$T/out" container_spec_cpu_period "$m")" = 100000 ]
	[ "$(value "$T/out" container_spec_cpu_shares "$m")" = 1024 ]
	# podman's default pids limit
	[ "$(value "$T/out" container_threads_max "$m")" = "$(pm_api "/containers/$PBURNER/json" | jq .HostConfig.PidsLimit)" ]
	refute grep -q "^container_spec_cpu_quota{.*id=\"/libpod_parent/libpod-$PIDLE\"" "$T/out"
}

@test "ctrcol: a Podman container's CPU counters grow under load" {
	need_podman
	cc --docker-only --docker-host "unix://$PM_SOCK" >"$T/a"
	sleep 2
	cc --docker-only --docker-host "unix://$PM_SOCK" >"$T/b"
	m="/libpod_parent/libpod-$PBURNER\""
	cpu_a=$(value "$T/a" container_cpu_usage_seconds_total "$m")
	cpu_b=$(value "$T/b" container_cpu_usage_seconds_total "$m")
	usr_a=$(value "$T/a" container_cpu_user_seconds_total "$m")
	usr_b=$(value "$T/b" container_cpu_user_seconds_total "$m")
	per_a=$(value "$T/a" container_cpu_cfs_periods_total "$m")
	per_b=$(value "$T/b" container_cpu_cfs_periods_total "$m")
	echo "cpu $cpu_a $cpu_b user $usr_a $usr_b periods $per_a $per_b"
	# 0.5 CPU for 2s, on a busy 2-CPU machine: at least 0.2s more
	awk -v a="$cpu_a" -v b="$cpu_b" 'BEGIN { exit !(b - a >= 0.2) }'
	awk -v a="$usr_a" -v b="$usr_b" 'BEGIN { exit !(b - a >= 0.1) }'
	# 100ms periods: about 20 in 2s
	awk -v a="$per_a" -v b="$per_b" 'BEGIN { exit !(b - a >= 5) }'
}

@test "ctrcol agrees with Podman's /containers/ID/stats at the same moment" {
	need_podman
	pm_api "/containers/$PBURNER/stats?stream=false&one-shot=true" >"$T/s0"
	cc --docker-only --docker-host "unix://$PM_SOCK" >"$T/out"
	pm_api "/containers/$PBURNER/stats?stream=false&one-shot=true" >"$T/s1"
	m="/libpod_parent/libpod-$PBURNER\""
	between "$T/s0" "$T/s1" '.cpu_stats.cpu_usage.total_usage / 1e9' \
		"$(value "$T/out" container_cpu_usage_seconds_total "$m")"
	# ours counts USER_HZ ticks (cpuacct.stat, as cAdvisor), podman
	# subtracts the nanoseconds of cpuacct.usage_sys from the total
	between "$T/s0" "$T/s1" '.cpu_stats.cpu_usage.usage_in_usermode / 1e9' \
		"$(value "$T/out" container_cpu_user_seconds_total "$m")" 0.1
	ours=$(value "$T/out" container_memory_usage_bytes "$m")
	theirs=$(jq '.memory_stats.usage' "$T/s1")
	echo "mem $ours $theirs"
	awk -v a="$ours" -v b="$theirs" 'BEGIN { d = b - a; exit !(d > -1048576 && d < 1048576) }'
	[ "$(jq '.memory_stats.limit' "$T/s1")" = 67108864 ]
	[ "$(value "$T/out" container_threads "$m")" = "$(jq .pids_stats.current "$T/s1")" ]
}

@test "ctrcol on Podman: a removed container's series go stale in a loop, a new one is named" {
	need_podman
	bg_ctrcol "$T/out" "$T/err" --docker-only --docker-host "unix://$PM_SOCK" \
		--interval 300ms
	id=$(pm_run_test "$CTR_PREFIX-pvanish" "$IMAGE" sleep 300)
	wait_until 20 grep -q "name=\"$CTR_PREFIX-pvanish\"" "$T/out"
	grep -q "^container_memory_usage_bytes{.*id=\"/libpod_parent/libpod-$id\",image=\"$PM_IMAGE\",name=\"$CTR_PREFIX-pvanish\"}" "$T/out"
	pm rm -f -t 0 "$id" >/dev/null
	wait_until 20 grep -q "id=\"/libpod_parent/libpod-$id\".* stale " "$T/out"
	term_wait "$pid"
	[ "$rc" -eq 0 ]
	[ ! -s "$T/err" ]
	grep -q "^container_memory_usage_bytes{.*id=\"/libpod_parent/libpod-$id\".*} stale [0-9]*$" "$T/out"
}
