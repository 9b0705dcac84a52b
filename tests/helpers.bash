# helpers.bash: what every bats suite of obs shares: where the programs are,
# free loopback ports, and real peers (Prometheus, VictoriaMetrics,
# node_exporter) started on 127.0.0.1 and stopped by PID.
#
# Use from tests/<prog>.bats:
#
#   load helpers
#   setup_file()    { start_prometheus; }      # PROM_URL, PROM_RW_URL, ...
#   teardown_file() { stop_peers; }
#   teardown()      { stop_peers; }            # peers started inside a test
#
#   @test "rwsend delivers one sample" {
#       skip_unless_bin rwsend
#       now=$(now_ms)
#       echo "t_one 1 $now" >"$T/in.prom"
#       run "$(obs_bin rwsend)" -u "$PROM_RW_URL" <"$T/in.prom"
#       [ "$status" -eq 0 ]
#       prom_query 't_one' >"$T/q.json"
#       [ "$(jq -r '.data.result[0].value[1]' "$T/q.json")" = 1 ]
#   }
#
# Peers started in setup_file live for the whole file and are stopped by
# stop_peers in teardown_file; peers started in setup or a test are stopped
# by stop_peers in teardown, which bats runs even when the test fails.
# tests/run fails a suite that leaves any process running (peer or not).
# Every wait here is bounded (OBS_PEER_WAIT seconds, default 30), and
# tests/run bounds each test (BATS_TEST_TIMEOUT, 120 s; 300 s under ASan).
#
# Prometheus 2.42 has no out-of-order window by default: per series, send
# increasing timestamps, recent ones (within the head block, about the
# last hour of what it holds); now_ms gives the current time.

# --- where things are -----------------------------------------------------

: "${OBS_ROOT:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${OBS_BIN:=$OBS_ROOT/bin}"
: "${OBS_PEER_WAIT:=30}"
export OBS_ROOT OBS_BIN OBS_PEER_WAIT

# The python3 that has python3-snappy (Debian's, not a pyenv one on PATH).
if [ -x /usr/bin/python3 ]; then
	OBS_PYTHON=/usr/bin/python3
else
	OBS_PYTHON=python3
fi
export OBS_PYTHON

# The peers: Debian's packages, or any binary named so on PATH.
: "${OBS_PROMETHEUS:=prometheus}"
: "${OBS_VICTORIA:=victoria-metrics}"
: "${OBS_NODE_EXPORTER:=prometheus-node-exporter}"

# obs_bin NAME: the path of a built program.
obs_bin() {
	printf '%s/%s\n' "$OBS_BIN" "$1"
}

# skip_unless_bin NAME: skips the test when NAME is not built yet.
skip_unless_bin() {
	[ -x "$OBS_BIN/$1" ] || skip "$1 is not built ($OBS_BIN/$1)"
}

# without_bats CMD...: runs CMD without bats' own environment, e.g. a bats
# run inside a test (give that one </dev/null too: bats reads its list of
# tests from the stdin a test inherits).
without_bats() {
	(
		# bats puts its libexec first in PATH, where "bats" is not the
		# wrapper that a fresh run needs.
		if [ -n "${BATS_LIBEXEC:-}" ]; then
			PATH=:$PATH:
			PATH=${PATH//:$BATS_LIBEXEC:/:}
			PATH=${PATH#:}
			PATH=${PATH%:}
		fi
		unset "${!BATS_@}"
		exec "$@"
	)
}

# skip_unless_cmd CMD: skips the test when CMD is not installed.
skip_unless_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"
}

# refute CMD...: fails when CMD succeeds.  Use it instead of "! CMD", which
# bash's errexit ignores, so that "! CMD" in the middle of a test cannot fail it.
refute() {
	if "$@"; then
		echo "refute: '$*' succeeded" >&2
		return 1
	fi
	return 0
}

# obs_tmpdir: the temporary directory of the current test, or of the file
# when called from setup_file/teardown_file.  Bats removes it afterwards.
obs_tmpdir() {
	local d=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-}}
	if [ -z "$d" ]; then
		if [ -z "${OBS_FALLBACK_TMPDIR:-}" ]; then
			OBS_FALLBACK_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/obs-test.XXXXXX") || return 1
			export OBS_FALLBACK_TMPDIR
		fi
		d=$OBS_FALLBACK_TMPDIR
	fi
	printf '%s\n' "$d"
}

# T: the per-test temporary directory, for test files.  Set in tests;
# setup_file gets the file's directory.
# shellcheck disable=SC2034 # for the suites
T=$(obs_tmpdir)

# now_ms, now_ns: the current time as the line format writes it.
now_ms() {
	date +%s%3N
}
now_ns() {
	date +%s%N
}

# --- ports and HTTP -------------------------------------------------------

# free_port: prints a TCP port in 20000-60000 that nothing on 127.0.0.1
# holds, and that this file has not handed out before.
free_port() {
	local used
	used="$(obs_tmpdir)/.ports"
	[ -n "${BATS_FILE_TMPDIR:-}" ] && used="$BATS_FILE_TMPDIR/.ports"
	touch "$used" || return 1
	"$OBS_PYTHON" - "$used" <<'EOF'
import random, socket, sys
used = set(open(sys.argv[1]).read().split())
for _ in range(200):
    p = random.randint(20000, 60000)
    if str(p) in used:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Servers set SO_REUSEADDR: a port with TIME_WAIT leftovers is free to them.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    with open(sys.argv[1], "a") as f:
        f.write("%d\n" % p)
    print(p)
    sys.exit(0)
sys.stderr.write("free_port: no free port found in 200 tries\n")
sys.exit(1)
EOF
}

# port_is_free PORT: true when nothing listens on 127.0.0.1:PORT.
port_is_free() {
	"$OBS_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
' "$1"
}

# wait_http URL [SECONDS]: polls URL until it answers 2xx, at most SECONDS
# (default OBS_PEER_WAIT).  Returns 1 on timeout.
wait_http() {
	local url=$1 secs=${2:-$OBS_PEER_WAIT} i tries
	tries=$((secs * 10))
	for ((i = 0; i < tries; i++)); do
		if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "wait_http: no answer from $url in ${secs}s" >&2
	return 1
}

# --- processes ------------------------------------------------------------

# obs_alive PID: true while PID runs (a zombie does not count).
obs_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ "$st" != Z ] && [ -n "$st" ]
}

# stop_pid PID [SECONDS]: SIGTERM, waits at most SECONDS (default 10),
# then SIGKILL.  Reaps PID when it is our child.
stop_pid() {
	local pid=$1 secs=${2:-10} i
	[ -n "$pid" ] || return 0
	if obs_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < secs * 10; i++)); do
			obs_alive "$pid" || break
			sleep 0.1
		done
		if obs_alive "$pid"; then
			echo "stop_pid: $pid ignored SIGTERM for ${secs}s: SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				obs_alive "$pid" || break
				sleep 0.1
			done
		fi
	fi
	wait "$pid" 2>/dev/null || true
	return 0
}

# The list of peers to stop: one per test, one for the file.
obs_peers_file() {
	if [ -n "${BATS_TEST_TMPDIR:-}" ]; then
		printf '%s/.peers\n' "$BATS_TEST_TMPDIR"
	else
		printf '%s/.peers\n' "$(obs_tmpdir)"
	fi
}

# obs_track PID NAME: stop_peers will stop PID.  (tests/run also fails a
# suite that leaves any process running, and stops it.)
obs_track() {
	printf '%s %s\n' "$1" "$2" >>"$(obs_peers_file)"
}

# stop_peers: stops every peer started by the current test (from teardown)
# or by the file (from teardown_file), newest first.
stop_peers() {
	local f pid name
	f=$(obs_peers_file)
	[ -f "$f" ] || return 0
	while read -r pid name; do
		stop_pid "$pid"
	done < <(tac "$f")
	rm -f "$f"
	return 0
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s (its stderr hidden)
# until it succeeds; fails after SECONDS with a message.
wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "wait_until: '$*' still false after ${secs}s" >&2
	return 1
}

# hostcol_bg OUT ARGS...: hostcol ARGS --interval=100ms in the background,
# stdout to OUT and stderr to OUT.err, its pid in HC_PID; hostcol_stop:
# SIGTERM, then its exit status must be 0 and its stderr empty.
hostcol_bg() {
	local out=$1
	shift
	: >"$out"
	"$(obs_bin hostcol)" "$@" --interval=100ms >"$out" 2>"$out.err" &
	HC_PID=$!
	HC_OUT=$out
}
hostcol_stop() {
	local rc=0
	kill -TERM "$HC_PID"
	wait "$HC_PID" || rc=$?
	[ "$rc" -eq 0 ] && [ ! -s "$HC_OUT.err" ]
}

# cycles_of, cycles_past, wait_cycles, last_cycle, link_sets: hostcol's
# output cycle by cycle.
# shellcheck source=cycles.sh
. "$OBS_ROOT/tests/cycles.sh"

# wait_file FILE [SECONDS]: until FILE exists and is not empty (default 10 s),
# such as the port file a loopback receiver writes once it listens.
wait_file() {
	wait_until "${2:-10}" test -s "$1"
}

# obs_start_peer NAME READYPATH PORTVAR CMD...: starts CMD in the
# background (the word @PORT@ in its arguments is replaced by a free
# port), waits for http://127.0.0.1:PORT/READYPATH, tracks its PID.  Sets
# OBS_PEER_PID and OBS_PEER_PORT.  Retries with another port when the first
# one was taken in between.  Logs go to the tmp dir as NAME-PORT.log.
obs_start_peer() {
	local name=$1 ready=$2 attempt port log pid i a
	shift 2
	local -a args
	for ((attempt = 0; attempt < 3; attempt++)); do
		port=$(free_port) || return 1
		args=()
		for a in "$@"; do
			args+=("${a//@PORT@/$port}")
		done
		log="$(obs_tmpdir)/$name-$port.log"
		# A peer inherits none of the test's descriptors: bats' fd 3 held
		# open would hang bats, a fifo's write end would keep its reader
		# from ever seeing EOF.
		"${args[@]}" </dev/null >"$log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
		pid=$!
		obs_track "$pid" "$name"
		for ((i = 0; i < OBS_PEER_WAIT * 10; i++)); do
			obs_alive "$pid" || break
			if curl -fsS -o /dev/null --max-time 1 \
			    "http://127.0.0.1:$port$ready" 2>/dev/null; then
				OBS_PEER_PID=$pid
				OBS_PEER_PORT=$port
				return 0
			fi
			sleep 0.1
		done
		stop_pid "$pid"
		if grep -q 'address already in use' "$log" 2>/dev/null; then
			continue
		fi
		break
	done
	echo "obs_start_peer: $name did not get ready on 127.0.0.1:$port; its log:" >&2
	tail -n 20 "$log" >&2
	return 1
}

# --- Prometheus -----------------------------------------------------------

# start_prometheus [ARGS...]: a Prometheus with the remote-write receiver
# on 127.0.0.1, nothing to scrape (or PROM_CONFIG, a file, as its config),
# its TSDB in the tmp dir.  Sets PROM_PORT, PROM_URL, PROM_RW_URL, PROM_PID,
# PROM_DIR; waits for /-/ready.
start_prometheus() {
	local dir
	dir="$(obs_tmpdir)/prometheus.$$.$RANDOM"
	mkdir -p "$dir/data" || return 1
	if [ -n "${PROM_CONFIG:-}" ]; then
		cp "$PROM_CONFIG" "$dir/p.yml" || return 1
	else
		printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' >"$dir/p.yml"
	fi
	obs_start_peer prometheus /-/ready "$OBS_PROMETHEUS" \
		--web.listen-address=127.0.0.1:@PORT@ \
		--web.enable-remote-write-receiver \
		--web.enable-lifecycle \
		--storage.tsdb.path="$dir/data" \
		--config.file="$dir/p.yml" \
		"$@" || return 1
	PROM_PID=$OBS_PEER_PID
	PROM_PORT=$OBS_PEER_PORT
	PROM_URL=http://127.0.0.1:$PROM_PORT
	PROM_RW_URL=$PROM_URL/api/v1/write
	PROM_DIR=$dir
	echo "$PROM_PID" >"$dir/pid"
	export PROM_PID PROM_PORT PROM_URL PROM_RW_URL PROM_DIR
}

# stop_prometheus: stops the Prometheus start_prometheus started.
stop_prometheus() {
	[ -n "${PROM_PID:-}" ] || return 0
	stop_pid "$PROM_PID"
	unset PROM_PID
}

# promql_query BASEURL EXPR [TIME]: the JSON answer of an instant query
# to a Prometheus API (Prometheus' own, VictoriaMetrics').
promql_query() {
	local -a t=()
	[ -n "${3:-}" ] && t=(--data-urlencode "time=$3")
	curl -fsS --max-time 10 -G --data-urlencode "query=$2" "${t[@]}" \
		"$1/api/v1/query"
}

# prom_query EXPR [TIME]: the JSON answer of an instant query.
prom_query() {
	promql_query "$PROM_URL" "$@"
}

# prom_query_range EXPR START END [STEP]: the JSON answer of a range query
# (START and END in seconds, fractions allowed; STEP default 1s).
prom_query_range() {
	curl -fsS --max-time 10 -G --data-urlencode "query=$1" \
		--data-urlencode "start=$2" --data-urlencode "end=$3" \
		--data-urlencode "step=${4:-1}" "$PROM_URL/api/v1/query_range"
}

# prom_series MATCH: the JSON answer of /api/v1/series for one matcher.
prom_series() {
	curl -fsS --max-time 10 -G --data-urlencode "match[]=$1" \
		"$PROM_URL/api/v1/series"
}

# prom_value EXPR: the value of the first result of an instant query, or
# nothing.
prom_value() {
	prom_query "$1" | jq -r '.data.result[0].value[1] // empty'
}

# prom_wait_value EXPR WANT [SECONDS]: polls until EXPR's first value is
# WANT (remote-written samples are queryable at once, but let a sender
# finish); returns 1 after SECONDS (default 10).
prom_wait_value() {
	local i v
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		v=$(prom_value "$1" 2>/dev/null)
		[ "$v" = "$2" ] && return 0
		sleep 0.1
	done
	echo "prom_wait_value: $1 is '$v', want '$2'" >&2
	return 1
}

# --- VictoriaMetrics ------------------------------------------------------

# start_victoria [ARGS...]: a single-node VictoriaMetrics on 127.0.0.1 with
# its data in the tmp dir.  Sets VM_PORT, VM_URL, VM_RW_URL, VM_PID.
# Queries see the newest samples (-search.latencyOffset=0s); after
# sending, vm_wait_series before querying.
start_victoria() {
	local dir
	dir="$(obs_tmpdir)/victoria.$$.$RANDOM"
	mkdir -p "$dir" || return 1
	obs_start_peer victoria-metrics /health "$OBS_VICTORIA" \
		-httpListenAddr=127.0.0.1:@PORT@ \
		-storageDataPath="$dir" \
		-retentionPeriod=100y \
		-search.latencyOffset=0s \
		-search.disableCache \
		"$@" || return 1
	VM_PID=$OBS_PEER_PID
	VM_PORT=$OBS_PEER_PORT
	VM_URL=http://127.0.0.1:$VM_PORT
	VM_RW_URL=$VM_URL/api/v1/write
	echo "$VM_PID" >"$dir/pid"
	export VM_PID VM_PORT VM_URL VM_RW_URL
}

stop_victoria() {
	[ -n "${VM_PID:-}" ] || return 0
	stop_pid "$VM_PID"
	unset VM_PID
}

# vm_flush: makes what VictoriaMetrics received searchable now.
vm_flush() {
	curl -fsS --max-time 10 -o /dev/null "$VM_URL/internal/force_flush"
}

# vm_wait_series EXPR [SECONDS]: polls (flushing first) until an instant
# query for EXPR has a result: VictoriaMetrics indexes new series within a
# second or two even after a flush.  Returns 1 after SECONDS (default 10).
vm_wait_series() {
	local i
	for ((i = 0; i < ${2:-10} * 5; i++)); do
		vm_flush 2>/dev/null
		if [ "$(vm_query "$1" 2>/dev/null | jq '.data.result | length')" -gt 0 ] 2>/dev/null; then
			return 0
		fi
		sleep 0.2
	done
	echo "vm_wait_series: no series for $1 in VictoriaMetrics" >&2
	return 1
}

# vm_query EXPR [TIME]: the JSON answer of an instant query to VictoriaMetrics.
vm_query() {
	promql_query "$VM_URL" "$@"
}

# --- node_exporter --------------------------------------------------------

# start_node_exporter [ARGS...]: Debian's node_exporter on 127.0.0.1.
# Sets NE_PORT, NE_URL (its /metrics), NE_PID.
start_node_exporter() {
	obs_start_peer node_exporter /metrics "$OBS_NODE_EXPORTER" \
		--web.listen-address=127.0.0.1:@PORT@ \
		"$@" || return 1
	NE_PID=$OBS_PEER_PID
	NE_PORT=$OBS_PEER_PORT
	NE_URL=http://127.0.0.1:$NE_PORT/metrics
	export NE_PID NE_PORT NE_URL
}

stop_node_exporter() {
	[ -n "${NE_PID:-}" ] || return 0
	stop_pid "$NE_PID"
	unset NE_PID
}

# listen_addrs PORT: the local addresses (hex, as /proc/net/tcp writes
# them: 0100007F is 127.0.0.1) of the sockets listening on PORT.
listen_addrs() {
	local hex
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v p="$hex" '$4 == "0A" { split($2, a, ":"); if (a[2] == p) print a[1] }'
}

# rw_post URL NAME VALUE TIMESTAMP_MS [LABEL=VALUE...]: sends one sample in
# a remote-write request encoded here, independently of rwsend (protobuf by
# hand, python3-snappy); prints the HTTP status code.
rw_post() {
	"$OBS_PYTHON" - "$@" <<'PY'
import struct, sys, urllib.request, urllib.error
import snappy

def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload

def label(n, v):
    return field(1, 2, n.encode()) + field(2, 2, v.encode())

url, name, value, ts = sys.argv[1:5]
labels = [("__name__", name)] + [tuple(a.split("=", 1)) for a in sys.argv[5:]]
labels.sort()
ts_msg = b"".join(field(1, 2, label(n, v)) for n, v in labels)
sample = field(1, 1, struct.pack("<d", float(value))) + field(2, 0, varint(int(ts)))
ts_msg += field(2, 2, sample)
body = snappy.compress(field(1, 2, ts_msg))
req = urllib.request.Request(url, data=body, method="POST", headers={
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}

# pid_listen_addrs PID: "ADDR:PORT" (hex, as in /proc/net/tcp) of every TCP
# socket PID listens on, to check that a peer or a program listens on
# 127.0.0.1 (0100007F) and nowhere else.
pid_listen_addrs() {
	local inodes
	inodes=$(find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null |
		sed 's/^socket:\[\([0-9]*\)\]$/\1/' | tr '\n' ' ')
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v ino=" $inodes" '$4 == "0A" && index(ino, " " $10 " ") { print $2 }'
}

# --- Docker ---------------------------------------------------------------

# A real Docker engine for ctrcol and logtail.  Use from a suite:
#
#   setup_file()    { docker_start_engine; }
#   teardown_file() { docker_rm_test_containers; docker_stop_engine; stop_peers; }
#   teardown()      { docker_rm_test_containers; stop_peers; }
#   @test "..." { need_docker ctrcol; id=$(docker_run_test NAME "$DOCKER_IMAGE" sleep 9); }
#
# The engine answering on DOCKER_SOCK is used as it is; when none answers
# and we are root, /usr/sbin/dockerd is started and stopped afterwards by
# its PID (an engine that was running is never stopped).  When there is no
# engine, need_docker skips the test (tests/run counts it as skipped).
DOCKER_SOCK=${OBS_DOCKER_SOCK:-/var/run/docker.sock}
DOCKER_IMAGE=obs-test-busybox:latest

# docker_ping: true when the engine answers /_ping on DOCKER_SOCK.
docker_ping() {
	curl -fsS --max-time 2 --unix-socket "$DOCKER_SOCK" http://docker/_ping \
		>/dev/null 2>&1
}

# docker_start_engine: from setup_file: an engine that answers, the docker
# client and DOCKER_IMAGE, or the reason why not in the file's
# docker.state, which need_docker reads.
docker_start_engine() {
	local d pid i state=ok
	d=$(obs_tmpdir)
	if ! docker_ping; then
		if [ -x /usr/sbin/dockerd ] && [ "$(id -u)" = 0 ]; then
			/usr/sbin/dockerd </dev/null >"$d/dockerd.log" \
				2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
			pid=$!
			echo "$pid" >"$d/dockerd.pid"
			for ((i = 0; i < 300; i++)); do
				docker_ping && break
				obs_alive "$pid" || break
				sleep 0.1
			done
			docker_ping || state="dockerd did not start (see $d/dockerd.log)"
		else
			state="no Docker engine on $DOCKER_SOCK and /usr/sbin/dockerd cannot be started"
		fi
	fi
	if [ "$state" = ok ] && ! command -v docker >/dev/null; then
		state="no docker client"
	fi
	if [ "$state" = ok ] && ! docker_image_busybox; then
		state="cannot build $DOCKER_IMAGE from /bin/busybox"
	fi
	echo "$state" >"$d/docker.state"
	[ "$state" = ok ]
}

# docker_stop_engine: from teardown_file: stops the dockerd that
# docker_start_engine started, by its PID; nothing when it started none.
docker_stop_engine() {
	local f
	f=$(obs_tmpdir)/dockerd.pid
	[ -f "$f" ] || return 0
	stop_pid "$(cat "$f")" 30
	rm -f "$f"
}

# need_docker [PROG...]: skips the test unless docker_start_engine got an
# engine ready, or unless the programs named are built.
need_docker() {
	local state p
	state=$(cat "$BATS_FILE_TMPDIR/docker.state" 2>/dev/null)
	[ "$state" = ok ] || skip "${state:-no Docker engine}"
	for p in "$@"; do
		skip_unless_bin "$p"
	done
}

# docker_image_busybox: imports DOCKER_IMAGE without a registry, once.
docker_image_busybox() {
	sh "$OBS_ROOT/tests/docker-image.sh" "$DOCKER_IMAGE"
}

# docker_run_test NAME DOCKER-RUN-ARGS...: runs a container labelled
# obs.test=1 and records its ID in the test's (or, from setup_file, the
# file's) list for docker_rm_test_containers; prints the ID.
docker_run_test() {
	local name=$1 id
	shift
	id=$(docker run -d --label obs.test=1 --name "$name" "$@") || return 1
	echo "$id" >>"$(obs_tmpdir)/containers"
	echo "$id"
}

# docker_rm_test_containers: removes, by ID, the containers that
# docker_run_test started in the current test (or, from teardown_file, in
# setup_file).
docker_rm_test_containers() {
	local f id
	f=$(obs_tmpdir)/containers
	[ -f "$f" ] || return 0
	while read -r id; do
		[ -n "$id" ] && docker rm -f "$id" >/dev/null 2>&1
	done <"$f"
	rm -f "$f"
}
