#!/usr/bin/env bats
# rwsend.bats: rwsend against a real Prometheus and VictoriaMetrics, and
# against a loopback receiver (tests/data/rwsend/receiver.py) that records
# exact bytes and headers and answers scripted statuses.

load helpers

D=$BATS_TEST_DIRNAME/data/rwsend
PROTO=$BATS_TEST_DIRNAME/../src/rwsend

setup_file() {
	[ -x "$OBS_BIN/rwsend" ] || return 0
	start_prometheus
}

teardown_file() {
	stop_peers
}

setup() {
	skip_unless_bin rwsend
	RW=$(obs_bin rwsend)
}

teardown() {
	stop_peers
}

# start_receiver DIR [SCRIPT]: the loopback receiver; sets RCV_URL.
start_receiver() {
	local i
	mkdir -p "$1"
	"$OBS_PYTHON" "$D/receiver.py" "$@" </dev/null >"$1/stderr" 2>&1 3>&- &
	obs_track "$!" receiver
	for ((i = 0; i < 100; i++)); do
		[ -s "$1/port" ] && break
		sleep 0.1
	done
	[ -s "$1/port" ]
	RCV_URL=http://127.0.0.1:$(cat "$1/port")/api/v1/write
}

# decode FILE.pb: the WriteRequest as protoc prints it (not our decoder).
decode() {
	protoc --proto_path="$PROTO" --decode=prometheus.WriteRequest \
		remote.proto <"$1"
}

# values FILE.pb: the sample values of a request, one a line.
values() {
	decode "$1" | awk '/^  samples \{/ { s = 1; next }
		s && /^    value: / { print $2; s = 0 }'
}

# restart_prometheus: the same Prometheus again: same port, same data.
restart_prometheus() {
	"$OBS_PROMETHEUS" --web.listen-address=127.0.0.1:"$PROM_PORT" \
		--web.enable-remote-write-receiver --web.enable-lifecycle \
		--storage.tsdb.path="$PROM_DIR/data" \
		--config.file="$PROM_DIR/p.yml" \
		</dev/null >"$PROM_DIR/restart.log" 2>&1 3>&- 5>&- &
	PROM_PID=$!
	obs_track "$PROM_PID" prometheus
	wait_http "$PROM_URL/-/ready"
}

# count_of NAME: samples of metric NAME Prometheus holds (last 30m).
count_of() {
	prom_query "sum(count_over_time({__name__=\"$1\"}[30m]))" |
		jq -r '.data.result[0].value[1] // "0"'
}

# stat NAME FILE: a value from a --stats-file.
stat() {
	awk -v n="$1" '$1 ~ "^"n"({|$)" { print $2 }' "$2"
}

# sec_of MS: milliseconds as the seconds Prometheus' API takes.
sec_of() {
	printf '%d.%03d\n' $(($1 / 1000)) $(($1 % 1000))
}

@test "rwsend -h prints usage on stdout and exits 0" {
	run "$RW" -h
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: rwsend [-hv] [-q DIR] [--drain-timeout DUR] [--queue-max-age DUR]" ]
}

@test "rwsend --version" {
	run "$RW" --version
	[ "$status" -eq 0 ]
	[ "$output" = "rwsend version $(sed -n 's/^VERSION *= *//p' "$OBS_ROOT/Makefile")" ]
}

@test "rwsend without a receiver, or with -c and -u, is a usage error" {
	"$RW" </dev/null >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(head -1 "$T/err")" = "rwsend: no receiver: give -u URL or -c FILE" ]
	[ ! -s "$T/out" ]
	printf 'remote_write:\n  - url: http://127.0.0.1:1/\n' >"$T/c.yml"
	"$RW" -c "$T/c.yml" -u http://127.0.0.1:1/ </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(head -1 "$T/err")" = "rwsend: -c and -u exclude each other" ]
	"$RW" -u ftp://x/ </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "rwsend: invalid -u 'ftp://x/': not an http or https URL" ]
	"$RW" -u http://127.0.0.1:1/ --batch-send-deadline 5x </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "rwsend: invalid --batch-send-deadline '5x': not a duration such as 5s or 1m30s" ]
	"$RW" -u http://127.0.0.1:1/ --header 'Content-Type: x' </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	"$RW" -u http://127.0.0.1:1/ --fsync-interval 1x </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "rwsend: invalid --fsync-interval '1x': not a duration such as 5s or 1m30s" ]
}

@test "rwsend -c: a config with a bad key names file, line and key, exit 2" {
	cat >"$T/c.yml" <<-EOF
	remote_write:
	  - url: http://127.0.0.1:1/api/v1/write
	    queue_config:
	      max_samples: 10
	EOF
	"$RW" -c "$T/c.yml" </dev/null >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "rwsend: $T/c.yml:4: max_samples: unknown key" ]
	[ ! -s "$T/out" ]
	cat >"$T/c.yml" <<-EOF
	remote_write:
	  - url: http://127.0.0.1:1/api/v1/write
	    remote_timeout: 5x
	EOF
	"$RW" -c "$T/c.yml" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "rwsend: $T/c.yml:3: remote_timeout: invalid duration '5x'" ]
	cat >"$T/c.yml" <<-EOF
	remote_write:
	  - name: a
	    bearer_token_file: $T/missing
	EOF
	"$RW" -c "$T/c.yml" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "rwsend: $T/c.yml:2: url: missing" ]
	cat >"$T/c.yml" <<-EOF
	remote_write:
	  - url: http://127.0.0.1:1/api/v1/write
	    sigv4: {}
	EOF
	"$RW" -c "$T/c.yml" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "rwsend: $T/c.yml:3: sigv4: not supported by rwsend" ]
	printf 'remote_write:\n  - url: http://x/\nscrape_configs: []\n' >"$T/c.yml"
	"$RW" -c "$T/c.yml" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "rwsend: $T/c.yml:3: scrape_configs: unknown key" ]
}

@test "rwsend: exact headers and body, decoded by protoc, metadata as Prometheus sends it" {
	start_receiver "$T/r"
	cat >"$T/in" <<-'EOF'
	# HELP t_req_total Requests "served", with \\ and \n.
	# TYPE t_req_total counter
	# UNIT t_req_total requests
	t_req_total{code="200",a="x\"y"} 3 1700000000000
	t_req_total{code="200",a="x\"y"} 4.5 1700000001000
	# TYPE t_temp gauge
	t_temp -1.5e-07 1700000000500
	EOF
	"$RW" -u "$RCV_URL" --shards 1 <"$T/in" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$T/out" ]
	[ ! -s "$T/err" ]
	[ "$(wc -l <"$T/r/log")" -eq 2 ]
	for n in 1 2; do
		grep -v -e '^Host: ' -e '^Content-Length: ' -e '^POST ' "$T/r/$n.headers" >"$T/h$n"
		printf '%s\n' "User-Agent: obs-rwsend/$("$RW" --version | cut -d' ' -f3)" \
			'Accept: */*' 'Content-Encoding: snappy' \
			'Content-Type: application/x-protobuf' \
			'X-Prometheus-Remote-Write-Version: 0.1.0' >"$T/hwant"
		diff -u "$T/hwant" "$T/h$n"
		[ "$(head -1 "$T/r/$n.headers" | cut -d' ' -f1,2)" = "POST /api/v1/write" ]
		[ ! -e "$T/r/$n.error" ]
	done
	decode "$T/r/1.pb" >"$T/d1"
	cat >"$T/want1" <<-'EOF'
	timeseries {
	  labels {
	    name: "__name__"
	    value: "t_req_total"
	  }
	  labels {
	    name: "a"
	    value: "x\"y"
	  }
	  labels {
	    name: "code"
	    value: "200"
	  }
	  samples {
	    value: 3
	    timestamp: 1700000000000
	  }
	}
	timeseries {
	  labels {
	    name: "__name__"
	    value: "t_req_total"
	  }
	  labels {
	    name: "a"
	    value: "x\"y"
	  }
	  labels {
	    name: "code"
	    value: "200"
	  }
	  samples {
	    value: 4.5
	    timestamp: 1700000001000
	  }
	}
	timeseries {
	  labels {
	    name: "__name__"
	    value: "t_temp"
	  }
	  samples {
	    value: -1.5e-07
	    timestamp: 1700000000500
	  }
	}
	EOF
	diff -u "$T/want1" "$T/d1"
	decode "$T/r/2.pb" | sort >"$T/d2"
	sort >"$T/want2" <<-'EOF'
	metadata {
	  type: COUNTER
	  metric_family_name: "t_req_total"
	  help: "Requests \"served\", with \\ and \n."
	  unit: "requests"
	}
	metadata {
	  type: GAUGE
	  metric_family_name: "t_temp"
	}
	EOF
	diff -u "$T/want2" "$T/d2"
}

@test "rwsend: 30k distinct label pairs and a 70kB label: every label byte as sent" {
	start_receiver "$T/r"
	# Far more label pairs than rwsend keeps packed (it empties its
	# cache many times), and one label set too big to keep at all.
	awk 'BEGIN { for (i = 0; i < 30000; i++)
		printf "t_lc{a=\"label-value-number-%08d-of-thirty-thousand\",b=\"x%d\"} %d 1000\n", i, i * 7, i
		big = "yyyyyyyyyy"; while (length(big) < 70000) big = big big
		printf "t_big{v=\"%s\"} 1 1000\n", substr(big, 1, 70000) }' >"$T/in"
	"$RW" -u "$RCV_URL" --shards 2 --no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$T/err" ]
	for f in "$T"/r/*.pb; do decode "$f"; done | grep '^    value: "' | sort >"$T/got"
	awk 'BEGIN { for (i = 0; i < 30000; i++) {
		printf "    value: \"t_lc\"\n"
		printf "    value: \"label-value-number-%08d-of-thirty-thousand\"\n", i
		printf "    value: \"x%d\"\n", i * 7 }
		big = "yyyyyyyyyy"; while (length(big) < 70000) big = big big
		printf "    value: \"t_big\"\n    value: \"%s\"\n", substr(big, 1, 70000) }' | sort >"$T/want"
	cmp "$T/want" "$T/got"
	[ "$(for f in "$T"/r/*.pb; do decode "$f"; done | grep -c '^  samples {')" -eq 30001 ]
}

@test "rwsend: stale is the staleness NaN bit pattern; NaN and +-Inf exact" {
	start_receiver "$T/r"
	printf 't_s 1 1000\nt_s stale 2000\nt_s NaN 3000\nt_s +Inf 4000\nt_s -Inf 5000\n' >"$T/in"
	"$RW" -u "$RCV_URL" --shards 1 --no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	protoc --decode_raw <"$T/r/1.pb" | sed -n 's/^ *1: \(0x[0-9a-f]*\)$/\1/p' >"$T/bits"
	printf '%s\n' 0x3ff0000000000000 0x7ff0000000000002 0x7ff8000000000001 \
		0x7ff0000000000000 0xfff0000000000000 >"$T/want"
	diff -u "$T/want" "$T/bits"
}

@test "rwsend: 100k samples over 1k series read back from Prometheus exactly" {
	end=$(now_ms)
	"$OBS_PYTHON" "$D/rwdata.py" gen rwbig 1000 100 "$end" 1000 >"$T/in"
	[ "$(grep -vc '^#' "$T/in")" -eq 100100 ]
	"$RW" -u "$PROM_RW_URL" --stats-file "$T/stats" <"$T/in" >"$T/out" 2>"$T/err" && st=0 || st=$?
	cat "$T/err"
	[ "$st" -eq 0 ]
	[ ! -s "$T/err" ]
	[ "$(stat obs_rwsend_samples_in_total "$T/stats")" = 100100 ]
	[ "$(stat obs_rwsend_samples_sent_total "$T/stats")" = 100100 ]
	[ "$(stat obs_rwsend_samples_failed_total "$T/stats")" = 0 ]
	[ "$(stat obs_rwsend_metadata_sent_total "$T/stats")" = 10 ]
	# Raw samples: an instant query of a range selector gives every one.
	prom_query '{__name__=~"rwbig_.*"}[150s]' "$(sec_of $((end + 500)))" >"$T/m.json"
	"$OBS_PYTHON" "$D/rwdata.py" check rwbig 1000 100 "$end" 1000 "$T/m.json"
	prom_series '{__name__=~"rwbig_.*"}' >"$T/s.json"
	"$OBS_PYTHON" "$D/rwdata.py" series rwbig 1000 "$T/s.json"
	# query_range: a series with a stale marker ends there; one without
	# it goes on for the lookback (5m).
	prom_query_range 'rwbig_0{series="10"}' "$(sec_of "$end")" "$(sec_of $((end + 3000)))" 1 >"$T/r10.json"
	[ "$(jq '.data.result[0].values | length' "$T/r10.json")" -eq 1 ]
	prom_query_range 'rwbig_1{series="11"}' "$(sec_of "$end")" "$(sec_of $((end + 3000)))" 1 >"$T/r11.json"
	[ "$(jq '.data.result[0].values | length' "$T/r11.json")" -eq 4 ]
	# Prometheus 2.42 does not keep remote-written metadata: its
	# /api/v1/metadata serves scraped targets' only (metadata bytes are
	# checked against the loopback receiver above).
	curl -fsS "$PROM_URL/api/v1/metadata" >"$T/meta.json"
	[ "$(jq -r .status "$T/meta.json")" = success ]
}

@test "rwsend: the same 100k samples read back from VictoriaMetrics exactly" {
	skip_unless_cmd "$OBS_VICTORIA"
	start_victoria
	end=$(now_ms)
	"$OBS_PYTHON" "$D/rwdata.py" gen vmbig 1000 100 "$end" 1000 >"$T/in"
	"$RW" -u "$VM_RW_URL" <"$T/in" 2>"$T/err" && st=0 || st=$?
	cat "$T/err"
	[ "$st" -eq 0 ]
	vm_wait_series 'vmbig_9{series="999"}'
	vm_query '{__name__=~"vmbig_.*"}[150s]' "$(sec_of $((end + 500)))" >"$T/m.json"
	"$OBS_PYTHON" "$D/rwdata.py" check vmbig 1000 100 "$end" 1000 "$T/m.json"
	curl -fsS -G --data-urlencode 'match[]={__name__=~"vmbig_.*"}' \
		--data-urlencode "start=$(sec_of $((end - 200000)))" \
		"$VM_URL/api/v1/series" >"$T/s.json"
	"$OBS_PYTHON" "$D/rwdata.py" series vmbig 1000 "$T/s.json"
}

@test "rwsend: a receiver outage mid-stream loses nothing (-q)" {
	start_prometheus
	mkfifo "$T/fifo"
	"$RW" -u "$PROM_RW_URL" -q "$T/q" --batch-send-deadline 100ms \
		--max-backoff 200ms --drain-timeout 20s <"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	obs_track "$pid" rwsend
	exec 5>"$T/fifo"
	for ((k = 0; k < 40; k++)); do
		ts=$(now_ms)
		for ((s = 0; s < 10; s++)); do
			echo "t_out{s=\"$s\"} $k $ts"
		done >&5
		[ "$k" -eq 10 ] && stop_prometheus
		[ "$k" -eq 25 ] && restart_prometheus
		sleep 0.1
	done
	exec 5>&-
	for ((i = 0; i < 300; i++)); do obs_alive "$pid" || break; sleep 0.1; done
	wait "$pid" && st=0 || st=$?
	cat "$T/err"
	[ "$st" -eq 0 ]
	[ "$(count_of t_out)" = 400 ]
	[ "$(prom_value 'sum(sum_over_time(t_out[30m]))')" = $((10 * 39 * 40 / 2)) ]
}

@test "rwsend: kill -9 loses nothing it read: queued batches and the batch being built" {
	dead=$(free_port)
	mkfifo "$T/fifo"
	# One shard, batches of 1000: 3 batches reach the queue, the last 500
	# samples sit in the batch being built (deadline 1m) at the kill.
	"$RW" -u "http://127.0.0.1:$dead/api/v1/write" --name prom -q "$T/q" \
		--shards 1 --max-samples-per-send 1000 --batch-send-deadline 1m \
		--no-metadata --stats-file "$T/stats" <"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	obs_track "$pid" rwsend
	exec 5>"$T/fifo"
	ts=$(now_ms)
	for ((s = 0; s < 3500; s++)); do
		echo "t_kill{s=\"$s\"} $s $ts"
	done >&5
	for ((i = 0; i < 100; i++)); do
		[ "$(stat obs_rwsend_samples_in_total "$T/stats" 2>/dev/null)" = 3500 ] &&
			[ "$(stat obs_rwsend_batches_queued_total "$T/stats")" = 3 ] &&
			break
		sleep 0.1
	done
	[ "$(stat obs_rwsend_samples_in_total "$T/stats")" = 3500 ]
	[ "$(stat obs_rwsend_batches_queued_total "$T/stats")" = 3 ]
	kill -KILL "$pid"
	wait "$pid" || true
	exec 5>&-
	[ -s "$T/q/journal" ]
	start_prometheus
	"$RW" -u "$PROM_RW_URL" --name prom -q "$T/q" --shards 1 </dev/null 2>"$T/err2" && st=0 || st=$?
	cat "$T/err2"
	[ "$st" -eq 0 ]
	[ "$(count_of t_kill)" = 3500 ]
	[ "$(prom_value 'sum(t_kill)')" = $((3499 * 3500 / 2)) ]
	grep -q "^rwsend: warning: replaying [0-9]* bytes of input that an earlier run read but did not queue, from '$T/q/journal'\$" "$T/err2"
	# all queued and delivered: the journal is gone, the next run is quiet
	[ ! -e "$T/q/journal" ]
	"$RW" -u "$PROM_RW_URL" --name prom -q "$T/q" --shards 1 </dev/null 2>"$T/err3" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$T/err3" ]
}

@test "rwsend: kill -9 mid-stream, 40 samples per series, 4 shards: the replay queues only what was not" {
	mkfifo "$T/fifo"
	"$RW" -u "$PROM_RW_URL" --name prom -q "$T/q" --shards 4 --max-samples-per-send 1000 \
		--batch-send-deadline 1m --no-metadata --stats-file "$T/stats" \
		<"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	obs_track "$pid" rwsend
	exec 5>"$T/fifo"
	end=$(now_ms)
	# 11MB: the journal is cut mid-stream, under batches being built
	awk -v end="$end" 'BEGIN { pad = "p"; while (length(pad) < 150) pad = pad pad
		pad = substr(pad, 1, 150)
		for (c = 0; c < 40; c++) for (s = 0; s < 1500; s++)
		printf "t_mix{s=\"%d\",pad=\"%s\"} %d %.0f\n", s, pad, c, end - (39 - c) * 1000 }' >"$T/in"
	cat "$T/in" >&5
	for ((i = 0; i < 100; i++)); do
		[ "$(stat obs_rwsend_samples_in_total "$T/stats" 2>/dev/null)" = 60000 ] && break
		sleep 0.1
	done
	[ "$(stat obs_rwsend_samples_in_total "$T/stats")" = 60000 ]
	# senders idle for 200ms save their acks: the queue then sends no
	# delivered batch again either
	sleep 0.5
	kill -KILL "$pid"
	wait "$pid" || true
	exec 5>&-
	[ "$(wc -c <"$T/q/journal")" -lt $(($(wc -c <"$T/in") / 2)) ]
	# Most batches were delivered, the last of each shard was not: a
	# replay of samples Prometheus has would be rejected ("out of order
	# sample") and take the lost ones with it.
	"$RW" -u "$PROM_RW_URL" --name prom -q "$T/q" --shards 4 --max-samples-per-send 1000 \
		--stats-file "$T/stats2" </dev/null 2>"$T/err2" && st=0 || st=$?
	cat "$T/err2"
	[ "$st" -eq 0 ]
	[ "$(grep -vc '^rwsend: warning: replaying ' "$T/err2")" -eq 0 ]
	[ "$(count_of t_mix)" = 60000 ]
	[ "$(prom_value 'sum(sum_over_time(t_mix[30m]))')" = $((1500 * 39 * 40 / 2)) ]
	# only the samples not queued before the kill were read again
	[ "$(stat obs_rwsend_samples_in_total "$T/stats2")" -lt 4000 ]
	[ ! -e "$T/q/journal" ]
}

@test "rwsend: a journal cut mid-line (kill -9 mid-read) drops only that partial line" {
	start_receiver "$T/r"
	mkdir -p "$T/q"
	printf 't_part 1 1000\nt_part 2 2000\nt_part 3' >"$T/q/journal"
	printf 't_part 4 4000\n' >"$T/in"
	"$RW" -u "$RCV_URL" -q "$T/q" --shards 1 --no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	cat >"$T/want" <<-EOF
	rwsend: warning: replaying 36 bytes of input that an earlier run read but did not queue, from '$T/q/journal'
	rwsend: warning: $T/q/journal: dropped a partial last line of 8 bytes
	EOF
	diff -u "$T/want" "$T/err"
	for f in "$T"/r/*.pb; do values "$f"; done | tr '\n' ' ' >"$T/vals"
	[ "$(cat "$T/vals")" = "1 2 4 " ]
	[ ! -e "$T/q/journal" ]
}

@test "rwsend: an idle shard records its acks, so a kill -9 while quiet sends nothing twice" {
	start_receiver "$T/r"
	mkfifo "$T/fifo"
	"$RW" -u "$RCV_URL" -q "$T/q" --shards 1 --batch-send-deadline 100ms \
		--no-metadata <"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	obs_track "$pid" rwsend
	exec 5>"$T/fifo"
	echo "t_idle 1 1000" >&5
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/r/log" ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$T/r/log")" -eq 1 ]
	# idle for well over 200ms: the ack is in the head file, the
	# journal is cut
	sleep 1
	kill -KILL "$pid"
	wait "$pid" || true
	exec 5>&-
	[ ! -s "$T/q/journal" ]
	"$RW" -u "$RCV_URL" -q "$T/q" --shards 1 --no-metadata </dev/null 2>"$T/err2" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$T/err2" ]
	[ "$(wc -l <"$T/r/log")" -eq 1 ]
}

@test "rwsend: killed between queue append and journal cut: the replay queues only what the queue lacks, nothing lost, exit 0" {
	# 10 series x 15 samples, in time order, batches of 100: the test
	# hook kills rwsend right after the first batch (t 0..9 of every
	# series) is in the queue, before anything records that; the journal
	# holds all 150 lines.
	end=$(now_ms)
	awk -v end="$end" 'BEGIN { for (c = 0; c < 25; c++) for (s = 0; s < 10; s++)
		printf "t_crash{s=\"%d\"} %d %.0f\n", s, c * 10 + s, end - (24 - c) * 1000 }' >"$T/all"
	head -n 150 "$T/all" >"$T/in1"
	tail -n 100 "$T/all" >"$T/in2"
	OBS_RWSEND_TEST_CRASH=after-queue-append "$RW" -u "$PROM_RW_URL" --name prom \
		-q "$T/q" --shards 1 --max-samples-per-send 100 --no-metadata \
		<"$T/in1" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 137 ]
	[ "$(wc -c <"$T/q/journal")" -ge "$(wc -c <"$T/in1")" ]
	# Restarted on the same queue with more input and bigger batches: a
	# replay of the first batch's lines would share a request with t
	# 10..14, which Prometheus refuses whole ("out of order sample").
	"$RW" -u "$PROM_RW_URL" --name prom -q "$T/q" --shards 1 --no-metadata \
		--stats-file "$T/stats2" <"$T/in2" 2>"$T/err2" && st=0 || st=$?
	cat "$T/err2"
	[ "$st" -eq 0 ]
	# the first batch may have gone out before the kill, then it is
	# refused as a duplicate when sent again, which is no failure
	[ "$(grep -v -e '^rwsend: warning: replaying ' \
		-e '^rwsend: .* samples sent again after a restart' "$T/err2" | wc -l)" -eq 0 ]
	prom_query 'count_over_time(t_crash[30m])' "$(sec_of $((end + 500)))" |
		jq -r '.data.result[] | .metric.s + " " + .value[1]' | sort -n >"$T/counts"
	for ((s = 0; s < 10; s++)); do echo "$s 25"; done >"$T/want"
	diff -u "$T/want" "$T/counts"
	[ "$(prom_query 'sum(sum_over_time(t_crash[30m]))' "$(sec_of $((end + 500)))" |
		jq -r '.data.result[0].value[1]')" = $((249 * 250 / 2)) ]
	# the replay read only the 50 lines the queue lacked
	[ "$(stat obs_rwsend_samples_in_total "$T/stats2")" = 150 ]
	[ "$(stat obs_rwsend_samples_failed_total "$T/stats2")" = 0 ]
	[ ! -e "$T/q/journal" ]
}

@test "rwsend: 400 drops one batch with one clear error; the rest is delivered" {
	printf '400 - out of order sample\n' >"$T/script"
	start_receiver "$T/r" "$T/script"
	for i in 1 2 3 4 5 6; do echo "t_b $i ${i}000"; done >"$T/in"
	"$RW" -u "$RCV_URL" --name rcv --shards 1 --max-samples-per-send 2 \
		--no-metadata --stats-file "$T/stats" <"$T/in" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	cat >"$T/want" <<-'EOF'
	rwsend: endpoint 'rcv': receiver rejected 2 samples with HTTP 400: out of order sample; batch dropped
	rwsend: 2 samples or metadata entries rejected by the receiver
	EOF
	diff -u "$T/want" "$T/err"
	[ "$(wc -l <"$T/r/log")" -eq 3 ]
	[ "$(values "$T/r/2.pb" | tr '\n' ' ')" = "3 4 " ]
	[ "$(values "$T/r/3.pb" | tr '\n' ' ')" = "5 6 " ]
	[ "$(stat obs_rwsend_samples_failed_total "$T/stats")" = 2 ]
	[ "$(stat obs_rwsend_samples_sent_total "$T/stats")" = 4 ]
	# one shard, one kept-alive connection: the same client port
	[ "$(head -qn1 "$T"/r/[123].headers | cut -d' ' -f3 | sort -u | wc -l)" -eq 1 ]
}

@test "rwsend: no retry on 400, 401, 404, 413; retry on 500, 502, 503, 504" {
	for code in 400 401 404 413 500 502 503 504; do
		printf '%s\n' "$code" >"$T/script.$code"
		start_receiver "$T/r$code" "$T/script.$code"
		printf 't_c 1 1000\nt_c 2 2000\n' >"$T/in"
		"$RW" -u "$RCV_URL" --shards 1 --max-samples-per-send 1 \
			--no-metadata <"$T/in" 2>"$T/err.$code" && st=0 || st=$?
		case $code in
		5*)	[ "$st" -eq 0 ]
			[ "$(wc -l <"$T/r$code/log")" -eq 3 ]
			[ "$(cut -d' ' -f2 "$T/r$code/log" | tr '\n' ' ')" = "$code 200 200 " ]
			grep -q "receiver answered HTTP $code to 1 samples: scripted error $code; retrying" "$T/err.$code" ;;
		*)	[ "$st" -eq 1 ]
			[ "$(wc -l <"$T/r$code/log")" -eq 2 ]
			grep -q "rejected 1 samples with HTTP $code: scripted error $code; batch dropped" "$T/err.$code" ;;
		esac
	done
}

@test "rwsend: 429 retries after Retry-After; --no-retry-on-429 drops" {
	printf '429 2\n' >"$T/script"
	start_receiver "$T/r" "$T/script"
	echo "t_429 1 1000" >"$T/in"
	"$RW" -u "$RCV_URL" --no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ "$(wc -l <"$T/r/log")" -eq 2 ]
	# the second try came at least 2s after the first (min_backoff is 30ms)
	awk 'NR == 1 { t = $3 } NR == 2 { d = $3 - t; exit !(d >= 1.9 && d < 4) }' "$T/r/log"
	cmp "$T/r/1.body" "$T/r/2.body"
	printf '429\n' >"$T/script2"
	start_receiver "$T/r2" "$T/script2"
	"$RW" -u "$RCV_URL" --no-metadata --no-retry-on-429 <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ "$(wc -l <"$T/r2/log")" -eq 1 ]
}

@test "rwsend: a series seen before reads the same: blanks, values, timestamps, errors" {
	start_receiver "$T/r"
	# The first line of a series is parsed in full and its packed labels
	# kept by the series text; later lines of it only read value and
	# timestamp, and must give what the full parser gives.  (-0, like
	# any zero, is left out of the Sample, as Prometheus does.)
	printf '%s\n' 't_c{b="2",a="1"} 1 1000' 't_c{b="2",a="1"} 2 2000' \
		't_c{b="2",a="1"}	 3	3000 ' 't_c{b="2",a="1"} 4 4000 x' \
		't_c{b="2",a="1"} x 5000' 't_c{b="2",a="1"} -0 6000' \
		't_c{b="2",a="1"} 7e0 7000' \
		't_c{b="2",a="1"} 8 99999999999999999999' \
		't_c{b="2",a="1"}9 9000' 't_n 10 10000' 't_n 11 11000' \
		't_n{} 12 12000' 't_e{a="1",a="1"} 1 1000' \
		't_e{a="1",a="1"} 1 1000' 't_c{b="2",a="1"} 13' \
		't_c{b="2",a="1"} 0x1 14000' 't_c{b="2",a="1"} 15 {' >"$T/in"
	"$RW" -u "$RCV_URL" --shards 1 --no-metadata <"$T/in" >"$T/out" 2>"$T/err" &&
		st=0 || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$T/out" ]
	cut -d: -f3 "$T/err" | tr '\n' ' ' >"$T/errlines"
	[ "$(cat "$T/errlines")" = "4 5 8 13 14 16 17 " ]
	decode "$T/r/1.pb" | awk '/^    name: / { n = $2; next }
		/^    value: "/ { l = l n "=" $2 ","; next }
		/^  samples / { v = 0; next }
		/^    value: / { v = $2; next }
		/^    timestamp: / { print l, v, $2; l = "" }' >"$T/got"
	cat >"$T/want" <<-'EOF'
	"__name__"="t_c","a"="1","b"="2", 1 1000
	"__name__"="t_c","a"="1","b"="2", 2 2000
	"__name__"="t_c","a"="1","b"="2", 3 3000
	"__name__"="t_c","a"="1","b"="2", 0 6000
	"__name__"="t_c","a"="1","b"="2", 7 7000
	"__name__"="t_c","a"="1","b"="2", 9 9000
	"__name__"="t_n", 10 10000
	"__name__"="t_n", 11 11000
	"__name__"="t_n", 12 12000
	EOF
	head -9 "$T/got" | diff -u "$T/want" -
	[ "$(wc -l <"$T/got")" -eq 10 ]
	last=$(tail -1 "$T/got")
	[ "${last% *}" = '"__name__"="t_c","a"="1","b"="2", 13' ]
	[ "${last##* }" -gt 1700000000000 ]
}

@test "rwsend: the series cache: series sharing their text, in another order, read the same" {
	start_receiver "$T/r"
	# The cache keeps a series' text as what it shares with the series
	# before it and the rest, and finds it by hash when the order
	# changes: in order, reversed, then diagonally (the series after
	# the one found then ends as the next line does, but for a), each
	# series must carry its own labels.
	awk 'BEGIN {
		for (i = 0; i < 40; i++)
			s[i] = (i < 20 ? "t_p" : "t_pq") "{a=\"" int(i / 8) "\",b=\"" i % 8 "\",c=\"" (i % 3 ? "y" : "yy") "\"}"
		t = 1000
		for (i = 0; i < 40; i++) print s[i], i, t++
		for (i = 39; i >= 0; i--) print s[i], i, t++
		for (i = 0; i < 40; i++) print s[(i % 5) * 8 + i % 8], (i % 5) * 8 + i % 8, t++
	}' >"$T/in"
	"$RW" -u "$RCV_URL" --shards 1 --no-metadata <"$T/in" >"$T/out" 2>"$T/err" &&
		st=0 || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$T/out" ]
	[ ! -s "$T/err" ]
	decode "$T/r/1.pb" | awk '/^    name: / { n = $2; next }
		/^    value: "/ { l = l n "=" $2 ","; next }
		/^  samples / { v = 0; next }
		/^    value: / { v = $2; next }
		/^    timestamp: / { print l, v, $2; l = "" }' >"$T/got"
	sed 's/^\([a-z_]*\){a=\("[^"]*"\),b=\("[^"]*"\),c=\("[^"]*"\)}/"__name__"="\1","a"=\2,"b"=\3,"c"=\4,/' \
		"$T/in" >"$T/want"
	[ "$(wc -l <"$T/want")" -eq 120 ]
	diff -u "$T/want" "$T/got"
}

@test "rwsend: the series cache: 3000 series of random texts, shuffled each pass, each carries its own labels" {
	start_receiver "$T/r"
	# Long runs of entries stored as what they share with the one before
	# (names, label names and values cut at random points), found again
	# in other orders: every sample must arrive under its own series.
	awk 'BEGIN {
		srand(7)
		split("t_a t_ab t_abc t_b", nm, " ")
		base = "0123456789abcdefghijklmnopqrstuvwxyz"
		for (i = 0; i < 3000; i++) {
			# b: one character of a long value changed, c: random
			k = i % 37
			b = substr(base, 1, k) substr("_.-", 1 + i % 3, 1) substr(base, k + 2)
			v = ""
			for (k = 1 + int(rand() * 12); k > 0; k--) v = v substr("abcxyz_.-", 1 + int(rand() * 9), 1)
			s[i] = nm[1 + i % 4] "{a=\"" i "\",b=\"" b "\",c=\"" v "\"}"
			o[i] = i
		}
		t = 1000
		for (p = 0; p < 3; p++) {
			for (i = 2999; i > 0; i--) { j = int(rand() * (i + 1)); x = o[i]; o[i] = o[j]; o[j] = x }
			for (i = 0; i < 3000; i++) print s[o[i]], o[i], t++
		}
	}' >"$T/in"
	"$RW" -u "$RCV_URL" --no-metadata <"$T/in" >"$T/out" 2>"$T/err" &&
		st=0 || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$T/out" ]
	[ ! -s "$T/err" ]
	n=$(find "$T/r" -name '*.pb' | wc -l)
	[ "$n" -ge 5 ]
	for ((i = 1; i <= n; i++)); do
		decode "$T/r/$i.pb"
	done | awk '/^    name: / { n = $2; next }
		/^    value: "/ { l = l n "=" $2 ","; next }
		/^  samples / { v = 0; next }
		/^    value: / { v = $2; next }
		/^    timestamp: / { print l, v, $2; l = "" }' | sort -t' ' -k3n >"$T/got"
	sed 's/^\([a-z_]*\){a=\("[^"]*"\),b=\("[^"]*"\),c=\("[^"]*"\)}/"__name__"="\1","a"=\2,"b"=\3,"c"=\4,/' \
		"$T/in" >"$T/want"
	[ "$(wc -l <"$T/want")" -eq 9000 ]
	diff -u "$T/want" "$T/got"
}

@test "rwsend: malformed lines are reported and skipped, the rest delivered" {
	start_receiver "$T/r"
	printf 't_m 1 1000\nnot a sample\nt_m{a="1" 2 2000\n{job="x"} 1 "log"\nt_m 3 3000' >"$T/in"
	"$RW" -u "$RCV_URL" --shards 1 --no-metadata --stats-file "$T/stats" \
		<"$T/in" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ "$(wc -l <"$T/err")" -eq 3 ]
	[ "$(cut -d: -f1-3 "$T/err" | tr '\n' ' ')" = "rwsend: -:2 rwsend: -:3 rwsend: -:4 " ]
	[ "$(decode "$T/r/1.pb" | grep -c '^    value: [13]$')" -eq 2 ]
	[ "$(stat obs_rwsend_lines_bad_total "$T/stats")" = 3 ]
}

@test "rwsend: receiver down at EOF: -q keeps the backlog, the next run sends it first" {
	dead=$(free_port)
	printf 't_cron 1 1000\n' >"$T/in1"
	"$RW" -u "http://127.0.0.1:$dead/api/v1/write" --name r -q "$T/q" --drain-timeout 1s \
		--shards 1 --no-metadata <"$T/in1" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ "$(tail -1 "$T/err")" = "rwsend: warning: 1 batches not yet delivered stay queued in '$T/q'" ]
	start_receiver "$T/r"
	printf 't_cron 2 2000\n' >"$T/in2"
	# a sync per batch (the group commit off) keeps the same order
	"$RW" -u "$RCV_URL" --name r -q "$T/q" --shards 1 --no-metadata --fsync-interval 0 \
		<"$T/in2" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ "$(wc -l <"$T/r/log")" -eq 2 ]
	[ "$(values "$T/r/1.pb")" = 1 ]
	[ "$(values "$T/r/2.pb")" = 2 ]
	# without -q the batch is lost, and that is a failure
	"$RW" -u "http://127.0.0.1:$dead/api/v1/write" --drain-timeout 1s --no-metadata \
		<"$T/in1" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ "$(tail -1 "$T/err")" = "rwsend: 1 batches not delivered and lost (no -q DIR)" ]
}

@test "rwsend: --spool on-failure writes to disk only while the receiver fails" {
	start_receiver "$T/r"
	printf 't_sp 1 1000\n' >"$T/in"
	"$RW" -u "$RCV_URL" --name s -q "$T/q" --spool on-failure --no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ "$(cat "$T/q"/s/shard-*/*.seg 2>/dev/null | wc -c)" -eq 0 ]
	dead=$(free_port)
	"$RW" -u "http://127.0.0.1:$dead/" --name s -q "$T/q" --spool on-failure \
		--drain-timeout 1s --no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ "$(cat "$T/q"/s/shard-*/*.seg | wc -c)" -gt 0 ]
	"$RW" -u "$RCV_URL" --name s -q "$T/q" --spool on-failure --no-metadata </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ "$(wc -l <"$T/r/log")" -eq 2 ]
	cmp "$T/r/1.body" "$T/r/2.body"
	"$RW" -u "$RCV_URL" --spool on-failure </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "rwsend: --spool on-failure needs -q DIR" ]
}

@test "rwsend: corrupt and truncated queue segments: clear errors, the rest delivered" {
	dead=$(free_port)
	for i in 1 2 3 4 5 6 7 8 9 10; do echo "t_q $i ${i}000"; done >"$T/in"
	"$RW" -u "http://127.0.0.1:$dead/" --name c -q "$T/q" --drain-timeout 1s \
		--shards 1 --max-samples-per-send 2 --no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	seg=$(ls "$T/q"/c/shard-0/*.seg)
	size=$(wc -c <"$seg")
	[ $((size % 5)) -eq 0 ]
	rec=$((size / 5))
	# flip a byte inside the third record, cut the last one short
	printf '\377' | dd of="$seg" bs=1 seek=$((2 * rec + rec - 3)) conv=notrunc 2>/dev/null
	truncate -s $((size - 5)) "$seg"
	start_receiver "$T/r"
	"$RW" -u "$RCV_URL" --name c -q "$T/q" --shards 1 --no-metadata </dev/null >"$T/out" 2>"$T/err" && st=0 || st=$?
	cat "$T/err"
	[ "$st" -eq 0 ]
	grep -q "corrupt\|torn" "$T/err"
	[ "$(wc -l <"$T/r/log")" -eq 3 ]
	for n in 1 2 3; do values "$T/r/$n.pb"; done | tr '\n' ' ' >"$T/vals"
	[ "$(cat "$T/vals")" = "1 2 3 4 7 8 " ]
	# a queue that is a file, not a directory
	: >"$T/notadir"
	"$RW" -u "$RCV_URL" -q "$T/notadir" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ -s "$T/err" ]
}

@test "rwsend: --queue-max-bytes drops the oldest batches, counted, exit 1" {
	dead=$(free_port)
	for i in 1 2 3 4 5 6 7 8 9 10; do echo "t_qb $i ${i}000"; done >"$T/in"
	# Each batch of one sample is a 72-byte queue record: 4 fit in 300.
	"$RW" -u "http://127.0.0.1:$dead/" --name b -q "$T/q" --shards 1 \
		--max-samples-per-send 1 --no-metadata --drain-timeout 0s \
		--queue-max-bytes 300 --stats-file "$T/stats" <"$T/in" 2>"$T/err" && st=0 || st=$?
	cat "$T/err"
	[ "$st" -eq 1 ]
	[ "$(tail -1 "$T/err")" = "rwsend: 6 queued batches dropped by the queue bounds" ]
	grep -q "^rwsend: warning: queue '$T/q/b/shard-0': dropped the oldest 1 record (72 bytes): over max_bytes 300\$" "$T/err"
	[ "$(stat obs_rwsend_queue_dropped_batches_total "$T/stats")" = 6 ]
	[ "$(stat obs_rwsend_queue_dropped_bytes_total "$T/stats")" = 432 ]
	[ "$(stat obs_rwsend_queue_batches "$T/stats")" = 4 ]
	start_receiver "$T/r"
	"$RW" -u "$RCV_URL" --name b -q "$T/q" --shards 1 --no-metadata </dev/null 2>"$T/err2" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$T/err2" ]
	for n in 1 2 3 4; do values "$T/r/$n.pb"; done | tr '\n' ' ' >"$T/vals"
	[ "$(cat "$T/vals")" = "7 8 9 10 " ]
	[ "$(wc -l <"$T/r/log")" -eq 4 ]
	# the same bound holds for a memory queue
	"$RW" -u "http://127.0.0.1:$dead/" --shards 1 --max-samples-per-send 1 \
		--no-metadata --drain-timeout 0s --queue-max-bytes 300 <"$T/in" 2>"$T/err3" && st=0 || st=$?
	[ "$st" -eq 1 ]
	grep -q "^rwsend: warning: queue '(memory)': dropped the oldest 1 record (72 bytes): over max_bytes 300\$" "$T/err3"
	grep -q "^rwsend: 6 queued batches dropped by the queue bounds\$" "$T/err3"
	grep -q "^rwsend: 4 batches not delivered and lost (no -q DIR)\$" "$T/err3"
}

@test "rwsend: --queue-max-age drops a backlog older than it before sending" {
	dead=$(free_port)
	printf 't_qa 1 1000\nt_qa 2 2000\nt_qa 3 3000\n' >"$T/in1"
	"$RW" -u "http://127.0.0.1:$dead/" --name a -q "$T/q" --shards 1 \
		--max-samples-per-send 1 --no-metadata --drain-timeout 0s <"$T/in1" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	sleep 1.5
	start_receiver "$T/r"
	printf 't_qa 4 4000\n' >"$T/in2"
	"$RW" -u "$RCV_URL" --name a -q "$T/q" --shards 1 --no-metadata \
		--queue-max-age 1s --stats-file "$T/stats" <"$T/in2" 2>"$T/err" && st=0 || st=$?
	cat "$T/err"
	[ "$st" -eq 1 ]
	grep -q "^rwsend: warning: queue '$T/q/a/shard-0': dropped the oldest 3 records ([0-9]* bytes): older than max_age 1000 ms\$" "$T/err"
	[ "$(tail -1 "$T/err")" = "rwsend: 3 queued batches dropped by the queue bounds" ]
	[ "$(stat obs_rwsend_queue_dropped_batches_total "$T/stats")" = 3 ]
	[ "$(wc -l <"$T/r/log")" -eq 1 ]
	[ "$(values "$T/r/1.pb")" = 4 ]
}

@test "rwsend -c: two endpoints, each its own queue, write_relabel_configs, auth" {
	start_receiver "$T/a"
	urla=$RCV_URL
	start_receiver "$T/b"
	urlb=$RCV_URL
	printf 'sekrit\n' >"$T/token"
	printf 'pw\n' >"$T/pass"
	cat >"$T/c.yml" <<-EOF
	remote_write:
	  - url: $urla
	    name: alpha
	    authorization:
	      credentials_file: token
	    headers:
	      X-Scope-OrgID: tenant1
	    metadata_config:
	      send: false
	  - url: $urlb
	    basic_auth:
	      username: me
	      password_file: $T/pass
	    queue_config:
	      max_shards: 1
	    metadata_config:
	      send: false
	    write_relabel_configs:
	      - source_labels: [__name__]
	        regex: t_drop.*
	        action: drop
	EOF
	printf 't_keep 1 1000\nt_drop 2 1000\n' >"$T/in"
	"$RW" -c "$T/c.yml" -q "$T/q" --stats-file "$T/stats" <"$T/in" 2>"$T/err" && st=0 || st=$?
	cat "$T/err"
	[ "$st" -eq 0 ]
	[ -d "$T/q/alpha" ]
	dirs=("$T"/q/url-*)
	[ "${#dirs[@]}" -eq 1 ]
	[[ ${dirs[0]##*/} =~ ^url-[0-9a-f]{16}$ ]]
	cat "$T"/a/*.headers >"$T/ha"
	grep -qx 'Authorization: Bearer sekrit' "$T/ha"
	grep -qx 'X-Scope-OrgID: tenant1' "$T/ha"
	[ "$(cat "$T"/a/*.pb | wc -c)" -gt 0 ]
	for f in "$T"/a/*.pb; do decode "$f"; done | sed -n 's/^    value: "\(t_.*\)"$/\1/p' | sort | tr '\n' ' ' >"$T/na"
	[ "$(cat "$T/na")" = "t_drop t_keep " ]
	grep -qx "Authorization: Basic $(printf me:pw | base64)" "$T/b/1.headers"
	[ "$(wc -l <"$T/b/log")" -eq 1 ]
	[ "$(decode "$T/b/1.pb" | sed -n 's/^    value: "\(t_.*\)"$/\1/p')" = t_keep ]
	[ "$(stat obs_rwsend_samples_relabel_dropped_total "$T/stats" | tr '\n' ' ')" = "0 1 " ]
}

@test "rwsend: SIGTERM flushes the pending batch and exits 0" {
	start_receiver "$T/r"
	mkfifo "$T/fifo"
	"$RW" -u "$RCV_URL" --batch-send-deadline 1h --no-metadata <"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	obs_track "$pid" rwsend
	exec 5>"$T/fifo"
	echo "t_term 7 1000" >&5
	sleep 0.5
	[ ! -e "$T/r/log" ]
	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do obs_alive "$pid" || break; sleep 0.1; done
	wait "$pid" && st=0 || st=$?
	exec 5>&-
	[ "$st" -eq 0 ]
	[ "$(values "$T/r/1.pb")" = 7 ]
}

@test "rwsend: sample_age_limit drops old samples, counted as dropped_too_old" {
	start_receiver "$T/r"
	now=$(now_ms)
	printf 't_age 1 %s\nt_age 2 %s\n' $((now - 3600000)) "$now" >"$T/in"
	"$RW" -u "$RCV_URL" --sample-age-limit 10m --no-metadata --stats-file "$T/stats" \
		<"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ "$(values "$T/r/1.pb")" = 2 ]
	[ "$(stat obs_rwsend_samples_dropped_too_old_total "$T/stats")" = 1 ]
}

@test "rwsend: a backlog older than sample_age_limit is dropped at send time" {
	dead=$(free_port)
	now=$(now_ms)
	printf 't_old 1 %s\n' $((now - 1500)) >"$T/in"
	"$RW" -u "http://127.0.0.1:$dead/" --name o -q "$T/q" --drain-timeout 0s \
		--no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	start_receiver "$T/r"
	sleep 1
	"$RW" -u "$RCV_URL" --name o -q "$T/q" --sample-age-limit 2s --no-metadata \
		--stats-file "$T/stats" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	[ ! -e "$T/r/log" ]
	[ "$(stat obs_rwsend_samples_dropped_too_old_total "$T/stats")" = 1 ]
}

@test "rwsend: a receiver that hangs: remote_timeout, then the drain timeout bounds the exit" {
	printf '*hang\n' >"$T/script"
	start_receiver "$T/r" "$T/script"
	echo "t_hang 1 1000" >"$T/in"
	start=$(date +%s)
	"$RW" -u "$RCV_URL" -q "$T/q" --remote-timeout 500ms --drain-timeout 2s \
		--no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	took=$(($(date +%s) - start))
	[ "$st" -eq 0 ]
	[ "$took" -le 5 ]
	grep -q "timed out" "$T/err"
	[ "$(tail -1 "$T/err")" = "rwsend: warning: 1 batches not yet delivered stay queued in '$T/q'" ]
	# without -q it is lost: status 1, still within the drain timeout
	start=$(date +%s)
	"$RW" -u "$RCV_URL" --remote-timeout 1m --drain-timeout 1s \
		--no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ $(($(date +%s) - start)) -le 4 ]
}

@test "rwsend: memory stays flat as series grow (20k vs 400k series)" {
	dead=$(free_port)
	now=$(now_ms)
	# ASan's quarantine keeps freed memory: peak RSS would track churn.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	for n in 20000 400000; do
		awk -v n="$n" -v t="$now" 'BEGIN { for (i = 0; i < n; i++)
			printf "t_mem{instance=\"host%d\",series=\"%d\",job=\"node\"} %d %.0f\n", i % 100, i, i, t }' >"$T/in.$n"
		"$OBS_PYTHON" -c '
import os, subprocess, sys
with open(sys.argv[1], "rb") as f:
    p = subprocess.Popen(sys.argv[2:], stdin=f)
    _, st, ru = os.wait4(p.pid, 0)
print(ru.ru_maxrss, os.waitstatus_to_exitcode(st))
' "$T/in.$n" "$RW" -u "http://127.0.0.1:$dead/" -q "$T/q$n" --drain-timeout 0s \
			--no-fsync 2>"$T/err.$n" >"$T/rss.$n"
		[ "$(cut -d' ' -f2 "$T/rss.$n")" -eq 0 ]
	done
	small=$(cut -d' ' -f1 "$T/rss.20000")
	big=$(cut -d' ' -f1 "$T/rss.400000")
	echo "peak RSS: $small KiB for 20k series, $big KiB for 400k" >&2
	[ "$big" -le $((small * 5 / 4 + 2048)) ]
}

@test "rwsend: the example configurations in share/rwsend load" {
	for f in rwsend victoriametrics; do
		"$RW" -c "$OBS_ROOT/share/rwsend/$f.yml" -q "$T/q" --drain-timeout 0s \
			</dev/null 2>"$T/err" && st=0 || st=$?
		[ "$st" -eq 0 ]
		[ ! -s "$T/err" ]
	done
	"$RW" -c "$OBS_ROOT/share/rwsend/mimir.yml" </dev/null 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "rwsend: $OBS_ROOT/share/rwsend/mimir.yml:12: credentials_file: cannot read '/etc/obs/secrets/mimir.token': No such file or directory" ]
}

@test "rwsend: fewer shards than the queue had: the old shards drain first" {
	dead=$(free_port)
	for i in $(seq 1 40); do echo "t_sh{s=\"$i\"} $i 1000"; done >"$T/in"
	"$RW" -u "http://127.0.0.1:$dead/" --name s -q "$T/q" --shards 4 --drain-timeout 0s \
		--max-samples-per-send 5 --no-metadata <"$T/in" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 0 ]
	dirs=("$T"/q/s/shard-*)
	[ "${#dirs[@]}" -eq 4 ]
	start_receiver "$T/r"
	"$RW" -u "$RCV_URL" --name s -q "$T/q" --shards 1 --no-metadata --stats-file "$T/stats" \
		</dev/null 2>"$T/err" && st=0 || st=$?
	cat "$T/err"
	[ "$st" -eq 0 ]
	for f in "$T"/r/*.pb; do values "$f"; done | sort -n | tr '\n' ' ' >"$T/vals"
	[ "$(cat "$T/vals")" = "$(seq 1 40 | tr '\n' ' ')" ]
	[ "$(stat obs_rwsend_samples_sent_total "$T/stats")" = 40 ]
}
