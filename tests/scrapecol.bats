#!/usr/bin/env bats
# scrapecol.bats: scrapecol against a loopback server of fixed files
# (tests/data/scrapecol/server.py: auth, params, statuses, a hung peer,
# gzip, OpenMetrics, malformed text), Debian's node_exporter, and
# Prometheus itself scraping the same targets.

load helpers

D=$BATS_TEST_DIRNAME/data/scrapecol

# start_server DIR [CERT KEY]: the loopback server for the files of DIR;
# prints its port.
start_server() {
	"$OBS_PYTHON" "$D/server.py" "$@" </dev/null >"$1.log" 2>&1 3>&- &
	obs_track "$!" scrape-server
	wait_file "$1/port" && cat "$1/port"
}

setup_file() {
	[ -x "$OBS_BIN/scrapecol" ] || return 0
	SRV=$BATS_FILE_TMPDIR/srv
	mkdir -p "$SRV"
	cp "$D"/*.prom "$D"/*.om "$SRV"/
	echo s3cret >"$SRV/token"
	echo pa55 >"$SRV/password"
	PORT=$(start_server "$SRV")
	ADDR=127.0.0.1:$PORT
	BASE=http://$ADDR
	export SRV PORT ADDR BASE
}

teardown_file() {
	stop_peers
}

setup() {
	skip_unless_bin scrapecol
	SC=$(obs_bin scrapecol)
}

teardown() {
	stop_peers
}

# norm FILE: the output with the scrape time (that of the first up line)
# as T and scrape durations as D.
norm() {
	local ts
	ts=$(awk '$1 ~ /^up([{]|$)/ { print $NF; exit }' "$1")
	sed -E -e "s/ $ts\$/ T/" \
		-e 's/^(scrape_duration_seconds(\{[^}]*\})?) [^ ]+/\1 D/' "$1"
}

# value NAME FILE: the value of the first line of metric NAME.
value() {
	awk -v n="$1" 'index($0, n "{") == 1 || index($0, n " ") == 1 { print $(NF - 1); exit }' "$2"
}

# start_sc: scrapecol -c $T/c.yml in the background, output in $T/out
# and $T/err; SC_PID.
start_sc() {
	"$SC" -c "$T/c.yml" >"$T/out" 2>"$T/err" 3>&- &
	SC_PID=$!
	obs_track "$SC_PID" scrapecol
}

# wait_lines N REGEX FILE: waits (5 s at most) until FILE has N lines
# matching REGEX.
wait_lines() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c -- "$2" "$3")" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "wait_lines: fewer than $1 lines match '$2' in $3" >&2
	return 1
}

# report UP SCRAPED POST ADDED LABELS: the five series of a scrape.
report() {
	printf 'up{%s} %s T\n' "$5" "$1"
	printf 'scrape_duration_seconds{%s} D T\n' "$5"
	printf 'scrape_samples_scraped{%s} %s T\n' "$5" "$2"
	printf 'scrape_samples_post_metric_relabeling{%s} %s T\n' "$5" "$3"
	printf 'scrape_series_added{%s} %s T\n' "$5" "$4"
}

@test "scrapecol -h prints usage on stdout and exits 0" {
	run "$SC" -h
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: scrapecol [-hv] [-c FILE [--check-config | --once]] [-j JOB] [-t DUR]" ]
	[ "${lines[1]}" = "                 [--bearer-token-file FILE] [--stats-file PATH] [--version] [URL...]" ]
}

@test "scrapecol --version" {
	run "$SC" --version
	[ "$status" -eq 0 ]
	[ "$output" = "scrapecol version $(sed -n 's/^VERSION *= *//p' "$OBS_ROOT/Makefile")" ]
}

@test "scrapecol usage errors exit 2 before scraping" {
	"$SC" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(head -1 "$T/err")" = "scrapecol: nothing to scrape: give URL operands or -c FILE" ]
	[ ! -s "$T/out" ]
	printf 'scrape_configs: []\n' >"$T/c.yml"
	"$SC" -c "$T/c.yml" "$BASE/file/m.prom" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "scrapecol: -c and URL operands exclude each other" ]
	"$SC" ftp://x/ >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "scrapecol: invalid URL 'ftp://x/': not an http or https URL" ]
	"$SC" --once "$BASE/file/m.prom" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	"$SC" -t 5x "$BASE/file/m.prom" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ "$(cat "$T/err")" = "scrapecol: invalid -t '5x': not a duration such as 5s or 1m30s" ]
	[ ! -s "$T/out" ]
}

@test "scrapecol -c: config errors name file:line: key and exit 2" {
	check() {
		printf '%s\n' "$1" >"$T/c.yml"
		"$SC" -c "$T/c.yml" --once >"$T/out" 2>"$T/err" && st=0 || st=$?
		[ "$st" -eq 2 ] || { echo "status $st for: $1"; return 1; }
		[ ! -s "$T/out" ]
		[ "$(cat "$T/err")" = "scrapecol: $T/c.yml:$2" ] ||
			{ echo "got: $(cat "$T/err")"; echo "want: scrapecol: $T/c.yml:$2"; return 1; }
	}
	check $'scrape_configs:\n  - job_name: a\n    scrape_intervall: 1s' \
		"3: scrape_intervall: unknown key"
	check $'scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s' \
		'4: scrape_timeout: scrape timeout greater than scrape interval for scrape config with job name "a"'
	check $'scrape_configs:\n  - job_name: a\n  - job_name: a' \
		'3: job_name: found multiple scrape configs with job name "a"'
	check $'scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs: []' \
		"3: kubernetes_sd_configs: not supported by scrapecol (static_configs and file_sd_configs are)"
	check $'global:\n  external_labels: {a: b}\nscrape_configs:\n  - job_name: a' \
		"2: external_labels: not scrapecol's: set external labels in relabel (-l NAME=VALUE or external_labels:)"
	check $'scrape_configs:\n  - job_name: a\n    scheme: ftp' \
		"3: scheme: unknown scheme 'ftp': expected http or https"
	check $'scrape_configs:\n  - job_name: a\n    authorization:\n      credentials_file: nope' \
		"4: credentials_file: cannot read '$T/nope': No such file or directory"
	check $'scrape_configs:\n  - job_name: a\n    proxy_url: ftp://p' \
		"3: proxy_url: 'ftp://p' is not an http, https or socks5 URL"
	check $'scrape_configs:\n  - job_name: a\n    tls_config: {min_version: TLS9}' \
		"3: min_version: unknown TLS version 'TLS9': expected TLS10, TLS11, TLS12 or TLS13"
	check $'scrape_configs:\n  - job_name: a\n    authorization: {type: Basic}' \
		'3: type: authorization type cannot be set to "basic", use "basic_auth" instead'
	check $'scrape_configs:\n  - job_name: a\n    bearer_token: x\n    basic_auth: {username: u}' \
		"2: at most one of basic_auth, authorization, bearer_token and bearer_token_file"
	check $'scrape_configs:\n  - job_name: a\n    headers: {X-A: b}' \
		"3: headers: unknown key"
	check $'scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [x]\n        labels: {"a-b": c}' \
		'5: labels: "a-b" is not a valid label name'
	check $'scrape_configs:\n  - job_name: a\n    scrape_interval: 1x' \
		"3: scrape_interval: invalid duration '1x'"
	printf 'scrape_configs:\n  - job_name: a\n    metric_relabel_configs:\n      - regex: "(["\n' >"$T/c.yml"
	"$SC" -c "$T/c.yml" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	grep -q "^scrapecol: $T/c.yml:4: regex: " "$T/err"
}

@test "scrapecol --check-config: the example configs of share/scrapecol load" {
	for f in "$OBS_ROOT"/share/scrapecol/*.yml; do
		sed "s|/etc/obs/homeassistant.token|$T/ha.token|" "$f" >"$T/c.yml"
		echo token >"$T/ha.token"
		"$SC" -c "$T/c.yml" --check-config >"$T/out" 2>"$T/err" ||
			{ cat "$T/err"; return 1; }
		[ ! -s "$T/out" ]
		[ ! -s "$T/err" ]
	done
	rm "$T/ha.token"
	sed "s|/etc/obs/homeassistant.token|$T/ha.token|" \
		"$OBS_ROOT/share/scrapecol/homeassistant.yml" >"$T/c.yml"
	"$SC" -c "$T/c.yml" --check-config >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
}

@test "scrapecol URL: a text 0.0.4 scrape, target labels, exported_ labels, metadata, report series" {
	"$SC" "$BASE/file/m.prom" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	norm "$T/out" >"$T/got"
	L="instance=\"$ADDR\",job=\"scrapecol\""
	{
		echo '# HELP a_total A counter.'
		echo '# TYPE a_total counter'
		echo "a_total{$L,x=\"1\"} 3 T"
		echo "a_total{$L,x=\"2\"} 4 T"
		echo '# HELP b A gauge that names its own job and instance.'
		echo '# TYPE b gauge'
		echo "b{exported_exported_job=\"theirs\",exported_instance=\"i\",exported_job=\"e\",$L} 2 1700000000000"
		echo "c{$L,path=\"C:\\\\dir\",q=\"say \\\"hi\\\"\"} NaN T"
		report 1 4 4 4 "$L"
	} >"$T/want"
	diff -u "$T/want" "$T/got"
}

@test "scrapecol URL: OpenMetrics by Content-Type: # EOF, _created skipped, seconds timestamps, UNIT" {
	"$SC" -j om "$BASE/file/m.om" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	norm "$T/out" >"$T/got"
	L="instance=\"$ADDR\",job=\"om\""
	{
		echo '# TYPE g_seconds gauge'
		echo '# UNIT g_seconds seconds'
		echo '# HELP g_seconds A gauge.'
		echo "g_seconds{$L} 2 T"
		echo '# TYPE c counter'
		echo '# HELP c A counter.'
		echo "c_total{a=\"b\",$L} 1 1700000000500"
		report 1 2 2 2 "$L"
	} >"$T/want"
	diff -u "$T/want" "$T/got"
	# OpenMetrics without # EOF fails, as in Prometheus.
	"$SC" "$BASE/file/noeof.om" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ "$(cat "$T/err")" = "scrapecol: scrape '$BASE/file/noeof.om': data does not end with # EOF" ]
	[ "$(value up "$T/out")" = 0 ]
}

@test "scrapecol sends Prometheus' Accept header, gzip, the scrape timeout; a gzip body reads the same" {
	"$SC" -t 7s "$BASE/headers" >"$T/out"
	grep -qF 'name="Accept",value="application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"' "$T/out"
	grep -qF 'name="Accept-Encoding",value="gzip"' "$T/out"
	grep -qF 'name="X-Prometheus-Scrape-Timeout-Seconds",value="7"' "$T/out"
	grep -qF 'name="User-Agent",value="obs-scrapecol/' "$T/out"
	cp "$SRV/m.prom" "$SRV/mgz.prom"
	curl -fsS -H 'Accept-Encoding: gzip' "$BASE/file/mgz.prom" | gzip -dc | cmp - "$SRV/m.prom"
	"$SC" "$BASE/file/mgz.prom" >"$T/gz"
	"$SC" "$BASE/file/m.prom" >"$T/plain"
	diff <(norm "$T/plain" | grep -v ^scrape_duration) <(norm "$T/gz" | grep -v ^scrape_duration)
}

@test "scrapecol: a 500, a malformed body, a refused connection: up 0 and one line each on stderr, exit 1" {
	"$SC" "$BASE/status/500" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ "$(cat "$T/err")" = "scrapecol: scrape '$BASE/status/500': server returned HTTP status 500 Internal Server Error" ]
	norm "$T/out" >"$T/got"
	report 0 0 0 0 "instance=\"$ADDR\",job=\"scrapecol\"" >"$T/want"
	diff -u "$T/want" "$T/got"
	"$SC" "$BASE/file/bad.prom" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ "$(cat "$T/err")" = "scrapecol: scrape '$BASE/file/bad.prom': parse error at line 2: expected label name" ]
	# Nothing of a failed scrape is written; the counts are Prometheus'.
	norm "$T/out" >"$T/got"
	report 0 1 1 0 "instance=\"$ADDR\",job=\"scrapecol\"" >"$T/want"
	diff -u "$T/want" "$T/got"
	p=$(free_port)
	"$SC" "http://127.0.0.1:$p/metrics" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ "$(wc -l <"$T/err")" -eq 1 ]
	grep -q "^scrapecol: scrape 'http://127.0.0.1:$p/metrics': .*onnect" "$T/err"
	[ "$(value up "$T/out")" = 0 ]
	# https against a plain HTTP server: a TLS error.
	"$SC" "https://$ADDR/file/m.prom" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ "$(wc -l <"$T/err")" -eq 1 ]
	grep -qi "ssl\|tls" "$T/err"
}

@test "scrapecol: https with tls_config: ca_file, server_name, insecure_skip_verify" {
	skip_unless_cmd openssl
	local k="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	# shellcheck disable=SC2086
	openssl req -x509 $k -keyout "$T/ca.key" -out "$T/ca.crt" -days 2 \
		-subj /CN=obs-test-ca 2>/dev/null
	# shellcheck disable=SC2086
	openssl req $k -keyout "$T/srv.key" -out "$T/srv.csr" \
		-subj /CN=metrics.test 2>/dev/null
	printf 'subjectAltName=DNS:metrics.test\n' >"$T/ext"
	openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
		-CAcreateserial -out "$T/srv.crt" -days 2 -extfile "$T/ext" 2>/dev/null
	mkdir "$T/tls"
	cp "$SRV/m.prom" "$T/tls/"
	taddr=127.0.0.1:$(start_server "$T/tls" "$T/srv.crt" "$T/srv.key")
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: ca
	    scheme: https
	    metrics_path: /file/m.prom
	    tls_config: {ca_file: ca.crt, server_name: metrics.test}
	    static_configs: [{targets: ['$taddr']}]
	  - job_name: noname
	    scheme: https
	    metrics_path: /file/m.prom
	    tls_config: {ca_file: ca.crt}
	    static_configs: [{targets: ['$taddr']}]
	  - job_name: noca
	    scheme: https
	    metrics_path: /file/m.prom
	    static_configs: [{targets: ['$taddr']}]
	  - job_name: insecure
	    scheme: https
	    metrics_path: /file/m.prom
	    tls_config: {insecure_skip_verify: true}
	    static_configs: [{targets: ['$taddr']}]
	EOF
	"$SC" -c "$T/c.yml" --once >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	grep -qx "up{instance=\"$taddr\",job=\"ca\"} 1 [0-9]*" "$T/out"
	grep -qx "up{instance=\"$taddr\",job=\"insecure\"} 1 [0-9]*" "$T/out"
	# the bodies read over TLS (libcurl) are parsed as they arrive too
	grep -qx "a_total{instance=\"$taddr\",job=\"ca\",x=\"2\"} 4 [0-9]*" "$T/out"
	grep -qx "scrape_samples_scraped{instance=\"$taddr\",job=\"insecure\"} $(grep -vc '^#' "$SRV/m.prom") [0-9]*" "$T/out"
	grep -qx "up{instance=\"$taddr\",job=\"noname\"} 0 [0-9]*" "$T/out"
	grep -qx "up{instance=\"$taddr\",job=\"noca\"} 0 [0-9]*" "$T/out"
	[ "$(wc -l <"$T/err")" -eq 2 ]
	[ "$(grep -c "^scrapecol: scrape 'https://$taddr/file/m.prom': .*certificate" "$T/err")" -eq 2 ]
}

@test "scrapecol: an empty body, no final newline, a long line, CRLF" {
	: >"$SRV/empty.prom"
	"$SC" "$BASE/file/empty.prom" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	norm "$T/out" >"$T/got"
	report 1 0 0 0 "instance=\"$ADDR\",job=\"scrapecol\"" >"$T/want"
	diff -u "$T/want" "$T/got"
	printf 'a 1\nb 2' >"$SRV/nonl.prom"
	"$SC" "$BASE/file/nonl.prom" >"$T/out" 2>"$T/err"
	grep -q "^b{instance=\"$ADDR\",job=\"scrapecol\"} 2 " "$T/out"
	[ "$(value scrape_samples_scraped "$T/out")" = 2 ]
	# A label value of 100 kB: longer than one atomic write, still one line.
	awk 'BEGIN { printf "long{v=\""; for (i = 0; i < 100000; i++) printf "x"; print "\"} 1" }' >"$SRV/long.prom"
	"$SC" "$BASE/file/long.prom" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	[ "$(grep -c '^long{' "$T/out")" -eq 1 ]
	[ "$(grep '^long{' "$T/out" | wc -c)" -gt 100000 ]
	# Prometheus' text parser refuses a carriage return; so does scrapecol.
	printf 'a 1\r\n' >"$SRV/crlf.prom"
	"$SC" "$BASE/file/crlf.prom" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	grep -q "parse error at line 1" "$T/err"
}

@test "scrapecol: values come out as read, whatever form they are kept in until written" {
	printf 'v{k="a"} 0\nv{k="b"} -0\nv{k="c"} NaN\nv{k="d"} +Inf\nv{k="e"} -Inf\nv{k="f"} 1e-300\nv{k="g"} 9007199254740993\nv{k="h"} -42\nv{k="i"} 0.1\nv{k="j"} 0.5\nv{k="k"} 1.5e10\nv{k="l"} -3.5e-07\nv{k="m"} 3.4028235e38\nv{k="n"} 1e39\nv{k="o"} -9223372036854775808\nv{k="p"} 1.7976931348623157e308\nv{k="q"} 4.9e-324\n' >"$SRV/vals.prom"
	"$SC" "$BASE/file/vals.prom" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	L="instance=\"$ADDR\",job=\"scrapecol\""
	for kv in a:0 b:-0 c:NaN d:+Inf e:-Inf f:1e-300 g:9.007199254740992e+15 \
	    h:-42 i:0.1 j:0.5 k:1.5e+10 l:-3.5e-07 m:3.4028235e+38 n:1e+39 \
	    o:-9.223372036854776e+18 p:1.7976931348623157e+308 q:5e-324; do
		printf 'v{%s,k="%s"} %s T\n' "$L" "${kv%%:*}" "${kv#*:}"
	done >"$T/want"
	grep '^v{' "$T/out" | sed 's/ [0-9]*$/ T/' >"$T/got"
	diff -u "$T/want" "$T/got"
}

@test "scrapecol --stats-file: its own counters per job" {
	printf 'scrape_configs:\n  - job_name: s\n    metrics_path: /file/m.prom\n    static_configs: [{targets: ["%s"]}]\n  - job_name: f\n    metrics_path: /status/503\n    static_configs: [{targets: ["%s"]}]\n' "$ADDR" "$ADDR" >"$T/c.yml"
	"$SC" -c "$T/c.yml" --once --stats-file "$T/stats.prom" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	grep -qx 'obs_scrapecol_scrapes_total{job="s"} 1' "$T/stats.prom"
	grep -qx 'obs_scrapecol_scrape_failures_total{job="s"} 0' "$T/stats.prom"
	grep -qx 'obs_scrapecol_scrape_failures_total{job="f"} 1' "$T/stats.prom"
	grep -qx 'obs_scrapecol_samples_total{job="s"} 4' "$T/stats.prom"
	grep -qx 'obs_scrapecol_targets{job="f"} 1' "$T/stats.prom"
	grep -qx "obs_scrapecol_lines_out_total $(wc -l <"$T/out")" "$T/stats.prom"
}

@test "scrapecol: a hung target times out and does not delay the others" {
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: slow
	    scrape_interval: 10s
	    scrape_timeout: 1s
	    metrics_path: /slow
	    static_configs: [{targets: ['$ADDR']}]
	  - job_name: fast
	    metrics_path: /file/m.prom
	    static_configs: [{targets: ['$ADDR']}]
	EOF
	start=$(now_ms)
	"$SC" -c "$T/c.yml" --once >"$T/out" 2>"$T/err" && st=0 || st=$?
	end=$(now_ms)
	[ "$st" -eq 1 ]
	[ $((end - start)) -lt 5000 ]
	grep -q "^scrapecol: scrape '$BASE/slow': .*[Tt]imed out" "$T/err"
	[ "$(wc -l <"$T/err")" -eq 1 ]
	grep -qx "up{instance=\"$ADDR\",job=\"slow\"} 0 [0-9]*" "$T/out"
	grep -qx "up{instance=\"$ADDR\",job=\"fast\"} 1 [0-9]*" "$T/out"
	# The fast target's block came first, whole: it waited for nobody.
	[ "$(grep -n '^up{' "$T/out" | head -1 | grep -c 'job="fast"')" -eq 1 ]
}

@test "scrapecol -c: a hung target does not delay the scrapes of another on its interval" {
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: slow
	    scrape_interval: 20s
	    scrape_timeout: 20s
	    metrics_path: /slow
	    static_configs: [{targets: ['$ADDR']}]
	  - job_name: fast
	    scrape_interval: 1s
	    metrics_path: /file/m.prom
	    static_configs: [{targets: ['$ADDR']}]
	EOF
	start=$(now_ms)
	start_sc
	# The slow target hangs for 30 s, past its 20 s timeout: three
	# scrapes of the fast one happen meanwhile.
	wait_lines 1 '^up{.*job="fast"} 1 ' "$T/out"
	for ((i = 0; i < 8; i++)); do
		[ "$(grep -c '^up{.*job="fast"} 1 ' "$T/out")" -ge 3 ] && break
		sleep 1
	done
	end=$(now_ms)
	stop_pid "$SC_PID"
	[ "$(grep -c '^up{.*job="fast"} 1 ' "$T/out")" -ge 3 ]
	[ $((end - start)) -lt 15000 ]
	[ "$(grep -c 'job="slow"' "$T/out")" -eq 0 ]
}

@test "scrapecol: 200 targets scrape at once, each block whole" {
	{
		echo 'scrape_configs:'
		echo '  - job_name: many'
		echo '    metrics_path: /params'
		echo '    static_configs:'
		echo '      - targets:'
		for ((i = 0; i < 200; i++)); do echo "        - t$i"; done
		echo '    relabel_configs:'
		echo '      - source_labels: [__address__]'
		echo '        target_label: __param_t'
		echo '      - source_labels: [__address__]'
		echo '        target_label: instance'
		echo '      - target_label: __address__'
		echo "        replacement: $ADDR"
	} >"$T/c.yml"
	start=$(now_ms)
	"$SC" -c "$T/c.yml" --once >"$T/out" 2>"$T/err"
	[ $(($(now_ms) - start)) -lt 20000 ]
	[ ! -s "$T/err" ]
	[ "$(grep -c '^up{instance="t[0-9]*",job="many"} 1 ' "$T/out")" -eq 200 ]
	# Blocks do not mix: each param line is followed by its own up.
	awk '/^param/ { split($0, a, "instance=\""); split(a[2], b, "\""); want = b[1] }
	     /^up/ { split($0, a, "instance=\""); split(a[2], b, "\""); if (b[1] != want) bad = 1 }
	     END { exit bad }' "$T/out"
}

@test "scrapecol: bearer token and credentials from files, basic auth with password_file" {
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: bearer
	    metrics_path: /bearer/m.prom
	    bearer_token_file: $SRV/token
	    static_configs: [{targets: ['$ADDR']}]
	  - job_name: authz
	    metrics_path: /bearer/m.prom
	    authorization:
	      credentials_file: $SRV/token
	    static_configs: [{targets: ['$ADDR']}]
	  - job_name: basic
	    metrics_path: /basic/m.prom
	    basic_auth:
	      username: u
	      password_file: $SRV/password
	    static_configs: [{targets: ['$ADDR']}]
	EOF
	"$SC" -c "$T/c.yml" --once >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	[ "$(grep -c '^up{.*} 1 ' "$T/out")" -eq 3 ]
	[ "$(grep -c '^a_total{' "$T/out")" -eq 6 ]
	# A wrong token: 401, up 0.
	echo wrong >"$T/badtoken"
	"$SC" --bearer-token-file "$T/badtoken" "$BASE/bearer/m.prom" >"$T/out" 2>"$T/err" && st=0 || st=$?
	[ "$st" -eq 1 ]
	[ "$(cat "$T/err")" = "scrapecol: scrape '$BASE/bearer/m.prom': server returned HTTP status 401 Unauthorized" ]
	"$SC" --bearer-token-file "$SRV/token" "$BASE/bearer/m.prom" >"$T/out" 2>"$T/err"
	[ "$(value up "$T/out")" = 1 ]
	SCRAPECOL_BEARER_TOKEN=s3cret "$SC" "$BASE/bearer/m.prom" >"$T/out" 2>"$T/err"
	[ "$(value up "$T/out")" = 1 ]
}

@test "scrapecol: params, __param_* from relabel_configs, __address__, __scheme__, __metrics_path__" {
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: pve
	    metrics_path: /pve
	    params:
	      module: [default]
	      x: ["a b", "c&d"]
	    static_configs:
	      - targets: ['pve.home:8006']
	        labels: {site: home}
	    relabel_configs:
	      - source_labels: [__address__]
	        target_label: __param_target
	      - source_labels: [__param_target]
	        target_label: instance
	      - target_label: __address__
	        replacement: $ADDR
	      - target_label: __metrics_path__
	        replacement: /params
	EOF
	"$SC" -c "$T/c.yml" --once >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	norm "$T/out" >"$T/got"
	L='instance="pve.home:8006",job="pve"'
	{
		echo "param{$L,name=\"module\",site=\"home\",value=\"default\"} 1 T"
		echo "param{$L,name=\"target\",site=\"home\",value=\"pve.home:8006\"} 1 T"
		echo "param{$L,name=\"x\",site=\"home\",value=\"a b\"} 1 T"
		echo "param{$L,name=\"x\",site=\"home\",value=\"c&d\"} 1 T"
		report 1 4 4 4 "$L,site=\"home\""
	} >"$T/want"
	diff -u "$T/want" "$T/got"
	grep -qx '/params?module=default&target=pve.home%3A8006&x=a+b&x=c%26d' "$SRV/requests.log"
	# An address without a port gets the scheme's after relabeling, as
	# in Prometheus (what is there does not matter: only the labels).
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: noport
	    scrape_timeout: 1s
	    static_configs: [{targets: ['127.0.0.1']}]
	    relabel_configs:
	      - source_labels: [__address__]
	        target_label: addr
	EOF
	"$SC" -c "$T/c.yml" --once >"$T/out" 2>"$T/err" || true
	grep -q '^up{addr="127.0.0.1",instance="127.0.0.1:80",job="noport"} [01] ' "$T/out"
}

@test "scrapecol: honor_labels keeps the scraped job and instance; honor_timestamps false stamps all" {
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: honor
	    honor_labels: true
	    honor_timestamps: false
	    metrics_path: /file/m.prom
	    static_configs: [{targets: ['$ADDR']}]
	EOF
	"$SC" -c "$T/c.yml" --once >"$T/out" 2>"$T/err"
	norm "$T/out" >"$T/got"
	grep -qx 'b{exported_job="e",instance="i",job="theirs"} 2 T' "$T/got"
	grep -qx "a_total{instance=\"$ADDR\",job=\"honor\",x=\"1\"} 3 T" "$T/got"
	grep -qx "up{instance=\"$ADDR\",job=\"honor\"} 1 T" "$T/got"
}

@test "scrapecol: metric_relabel_configs drop series and their metadata; limits fail the scrape" {
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: mr
	    metrics_path: /file/m.prom
	    static_configs: [{targets: ['$ADDR']}]
	    metric_relabel_configs:
	      - source_labels: [__name__]
	        regex: a_total|c
	        action: drop
	EOF
	"$SC" -c "$T/c.yml" --once >"$T/out" 2>"$T/err"
	norm "$T/out" >"$T/got"
	L="instance=\"$ADDR\",job=\"mr\""
	{
		echo '# HELP b A gauge that names its own job and instance.'
		echo '# TYPE b gauge'
		echo "b{exported_exported_job=\"theirs\",exported_instance=\"i\",exported_job=\"e\",$L} 2 1700000000000"
		report 1 4 1 1 "$L"
	} >"$T/want"
	diff -u "$T/want" "$T/got"
	limit() {
		printf 'scrape_configs:\n  - job_name: lim\n    metrics_path: /file/m.prom\n    %s\n    static_configs: [{targets: ["%s"]}]\n' "$1" "$ADDR" >"$T/c.yml"
		"$SC" -c "$T/c.yml" --once >"$T/out" 2>"$T/err" && st=0 || st=$?
		[ "$st" -eq 1 ]
		[ "$(value up "$T/out")" = 0 ]
		[ "$(grep -vc '^up{\|^scrape_' "$T/out")" -eq 0 ]
		[ "$(cat "$T/err")" = "scrapecol: scrape '$BASE/file/m.prom': $2" ] ||
			{ echo "got: $(cat "$T/err")"; return 1; }
	}
	limit 'sample_limit: 3' 'sample limit exceeded'
	limit 'label_limit: 4' 'label_limit exceeded (metric: b, number of labels: 6, limit: 4)'
	limit 'label_value_length_limit: 14' "label_value_length_limit exceeded (metric: a_total, label name: instance, value: \"$ADDR\", length: 15, limit: 14)"
	limit 'label_name_length_limit: 20' 'label_name_length_limit exceeded (metric: b, label name: exported_exported_job, length: 21, limit: 20)'
	limit 'body_size_limit: 100B' 'body size limit exceeded'
}

@test "scrapecol -c: staleness: a series that goes, a target that fails, a target that goes" {
	printf 'd{k="1"} 1\nd{k="2"} 2\n' >"$SRV/dyn.prom"
	printf -- "- targets: ['%s']\n  labels: {__metrics_path__: /file/m.om, env: t}\n" "$ADDR" >"$T/sd.yml"
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: dyn
	    scrape_interval: 1s
	    metrics_path: /file/dyn.prom
	    static_configs: [{targets: ['$ADDR']}]
	  - job_name: sd
	    scrape_interval: 1s
	    file_sd_configs:
	      - files: ['sd*.yml']
	EOF
	start_sc
	wait_lines 2 '^up{' "$T/out"
	printf 'd{k="1"} 1\n' >"$SRV/dyn.prom"
	rm "$T/sd.yml"
	wait_lines 1 '^d{.*k="2"} stale ' "$T/out"
	wait_lines 1 '^up{.*job="sd"} stale ' "$T/out"
	echo 'broken{' >"$SRV/dyn.prom"
	wait_lines 1 '^d{.*k="1"} stale ' "$T/out"
	stop_pid "$SC_PID"
	L="instance=\"$ADDR\",job=\"dyn\""
	# k=2 goes stale once, at the scrape that lacks it; k=1 when the
	# target fails; the sd target's series (up included) when it goes.
	[ "$(grep -c "^d{$L,k=\"2\"} stale [0-9]*$" "$T/out")" -eq 1 ]
	[ "$(grep -c "^d{$L,k=\"1\"} stale [0-9]*$" "$T/out")" -eq 1 ]
	grep -q "^up{$L} 0 " "$T/out"
	S="env=\"t\",instance=\"$ADDR\",job=\"sd\""
	for n in g_seconds up scrape_duration_seconds scrape_samples_scraped \
	    scrape_samples_post_metric_relabeling scrape_series_added; do
		[ "$(grep -c "^$n{$S} stale [0-9]*$" "$T/out")" -eq 1 ]
	done
	# c_total has its own timestamp: Prometheus does not mark it stale.
	[ "$(grep -c "^c_total{.*} stale" "$T/out")" -eq 0 ]
	# The stale marker carries the time of the scrape that missed it.
	ts2=$(awk '/^d\{.*k="2"\} stale/ { print $3 }' "$T/out")
	grep -q "^up{$L} 1 $ts2\$" "$T/out"
	grep -q "parse error at line 1" "$T/err"
}

# blocks FILE: the scrapes of FILE one to a file FILE.N (N from 1), each
# with its timestamps as T and its duration as D.
blocks() {
	awk -v f="$1" '{
		l = $0
		sub(/ [0-9]+$/, " T", l)
		if (l ~ /^scrape_duration_seconds[{ ]/)
			sub(/ [^ ]+ T$/, " D T", l)
		print l >(f "." n + 1)
		if ($0 ~ /^scrape_series_added[{ ]/) n++
	}' n=0 "$1"
}

@test "scrapecol -c: staleness: series out of order, given twice, new; the first of two stands" {
	printf 'a 1\nb 2\nc 3\nb 9\n' >"$SRV/ord.prom"
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: ord
	    scrape_interval: 1s
	    metrics_path: /file/ord.prom
	    static_configs: [{targets: ['$ADDR']}]
	EOF
	start_sc
	wait_lines 1 '^scrape_series_added{' "$T/out"
	printf 'c 3\nx 5\na 1\na 7\n' >"$SRV/ord.tmp"
	mv "$SRV/ord.tmp" "$SRV/ord.prom"
	wait_lines 1 '^x{' "$T/out"
	n=$(grep -c '^scrape_series_added{' "$T/out")
	wait_lines $((n + 1)) '^scrape_series_added{' "$T/out"
	stop_pid "$SC_PID"
	blocks "$T/out"
	L="instance=\"$ADDR\",job=\"ord\""
	{
		printf 'a{%s} 1 T\nb{%s} 2 T\nc{%s} 3 T\n' "$L" "$L" "$L"
		report 1 4 4 3 "$L"
	} >"$T/want1"
	diff -u "$T/want1" "$T/out.1"
	# The first scrape of the new file (the old one may have been
	# scraped again before it), and the one after it.
	k=$(grep -l '^x{' "$T"/out.[0-9]* | sed 's/.*\.//' | sort -n | head -1)
	{
		printf 'c{%s} 3 T\nx{%s} 5 T\na{%s} 1 T\nb{%s} stale T\n' "$L" "$L" "$L" "$L"
		report 1 4 4 1 "$L"
	} >"$T/want2"
	diff -u "$T/want2" "$T/out.$k"
	{
		printf 'c{%s} 3 T\nx{%s} 5 T\na{%s} 1 T\n' "$L" "$L" "$L"
		report 1 4 4 0 "$L"
	} >"$T/want3"
	diff -u "$T/want3" "$T/out.$((k + 1))"
}

@test "scrapecol -c: a series read again is the same series however it is written; a series with another label is not" {
	printf 'm{a="1"} 1\nm{a="2"} 2\nn 3\no{} 4\np{instance="x"} 5\nr{a="x\\"y"} 6\ns{a="1",b="2"} 7\nu{a="1"} 8\n' >"$SRV/again.prom"
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: again
	    scrape_interval: 1s
	    metrics_path: /file/again.prom
	    static_configs: [{targets: ['$ADDR']}]
	EOF
	start_sc
	wait_lines 1 '^scrape_series_added{' "$T/out"
	# The same series as trailing comma, braces or none, labels out of
	# order; u another one (a label more, one changed); m{a="3"} new.
	printf 'm{a="1"} 10\nm{a="2",} 20\nn{} 30\no 40\np{instance="x"} 50\nr{a="x\\"y"} 60\ns{b="2",a="1"} 70\nu{a="1",b="1"} 80\nu{a="2"} 90\nm{a="3"} 100\n' >"$SRV/again.tmp"
	mv "$SRV/again.tmp" "$SRV/again.prom"
	wait_lines 1 '^m{a="3"' "$T/out"
	n=$(grep -c '^scrape_series_added{' "$T/out")
	wait_lines $((n + 1)) '^scrape_series_added{' "$T/out"
	stop_pid "$SC_PID"
	blocks "$T/out"
	L="instance=\"$ADDR\",job=\"again\""
	{
		printf 'm{a="1",%s} 1 T\nm{a="2",%s} 2 T\nn{%s} 3 T\no{%s} 4 T\n' "$L" "$L" "$L" "$L"
		printf 'p{exported_instance="x",%s} 5 T\nr{a="x\\"y",%s} 6 T\n' "$L" "$L"
		printf 's{a="1",b="2",%s} 7 T\nu{a="1",%s} 8 T\n' "$L" "$L"
		report 1 8 8 8 "$L"
	} >"$T/want1"
	diff -u "$T/want1" "$T/out.1"
	k=$(grep -l '^m{a="3"' "$T"/out.[0-9]* | sed 's/.*\.//' | sort -n | head -1)
	for i in "$k" $((k + 1)); do
		{
			printf 'm{a="1",%s} 10 T\nm{a="2",%s} 20 T\nn{%s} 30 T\no{%s} 40 T\n' "$L" "$L" "$L" "$L"
			printf 'p{exported_instance="x",%s} 50 T\nr{a="x\\"y",%s} 60 T\n' "$L" "$L"
			printf 's{a="1",b="2",%s} 70 T\nu{a="1",b="1",%s} 80 T\n' "$L" "$L"
			printf 'u{a="2",%s} 90 T\nm{a="3",%s} 100 T\n' "$L" "$L"
			if [ "$i" = "$k" ]; then
				printf 'u{a="1",%s} stale T\n' "$L"
				report 1 10 10 3 "$L"
			else
				report 1 10 10 0 "$L"
			fi
		} >"$T/want2"
		diff -u "$T/want2" "$T/out.$i"
	done
}

@test "scrapecol -c: file_sd_configs JSON and YAML, re-read when they change; targets keep their phase" {
	printf '[{"targets": ["%s"], "labels": {"__metrics_path__": "/file/m.prom", "a": "1"}}]\n' "$ADDR" >"$T/t.json"
	cat >"$T/c.yml" <<-EOF
	scrape_configs:
	  - job_name: sd
	    scrape_interval: 1s
	    file_sd_configs:
	      - files: [t.json, '*.yaml']
	    relabel_configs:
	      - source_labels: [__meta_filepath]
	        regex: '.*/(.*)'
	        target_label: file
	EOF
	start_sc
	wait_lines 2 '^up{' "$T/out"
	printf -- "- targets: ['%s']\n  labels: {__metrics_path__: /file/m.om, b: '2'}\n" "$ADDR" >"$T/u.yaml"
	wait_lines 2 '^up{.*file="u.yaml"' "$T/out"
	# A broken file keeps the targets it had.
	echo '[{' >"$T/t.json"
	sleep 2.5
	stop_pid "$SC_PID"
	grep -q "^up{a=\"1\",file=\"t.json\",instance=\"$ADDR\",job=\"sd\"} 1 " "$T/out"
	grep -q "^up{b=\"2\",file=\"u.yaml\",instance=\"$ADDR\",job=\"sd\"} 1 " "$T/out"
	grep -q "^scrapecol: file_sd '$T/t.json': " "$T/err"
	[ "$(grep -c "stale" "$T/out")" -eq 0 ]
	# Scrapes of one target are an interval apart.
	awk '/^up\{a="1"/ { print $3 }' "$T/out" >"$T/ts"
	[ "$(wc -l <"$T/ts")" -ge 3 ]
	awk 'NR > 1 { d = $1 - p; if (d < 800 || d > 1200) bad = 1 } { p = $1 } END { exit bad }' "$T/ts"
}

@test "scrapecol -c: SIGHUP reloads; kept targets go on, removed ones go stale, a bad file changes nothing" {
	job() {
		printf '  - job_name: %s\n    scrape_interval: 1s\n    metrics_path: /file/m.prom\n    static_configs: [{targets: ["%s"]}]\n' "$1" "$ADDR"
	}
	{ echo 'scrape_configs:'; job a; job b; } >"$T/c.yml"
	start_sc
	wait_lines 2 '^up{.*job="b"' "$T/out"
	{ echo 'scrape_configs:'; job a; job c; } >"$T/c.yml"
	kill -HUP "$SC_PID"
	wait_lines 1 '^up{.*job="c"} 1' "$T/out"
	wait_lines 1 '^up{.*job="b"} stale' "$T/out"
	echo 'scrape_configs: [{job_name: a, nope: 1}]' >"$T/c.yml"
	kill -HUP "$SC_PID"
	wait_lines 1 'reload' "$T/err"
	n=$(grep -c '^up{.*job="c"} 1' "$T/out")
	wait_lines $((n + 1)) '^up{.*job="c"} 1' "$T/out"
	stop_pid "$SC_PID"
	grep -q '^a_total{.*job="b",x="1"} stale ' "$T/out"
	[ "$(grep -c '^up{.*job="b"} stale' "$T/out")" -eq 1 ]
	[ "$(grep -c 'job="[ac]".* stale' "$T/out")" -eq 0 ]
	[ "$(sed -n 1p "$T/err")" = "scrapecol: $T/c.yml:1: nope: unknown key" ]
	[ "$(sed -n 2p "$T/err")" = "scrapecol: reload '$T/c.yml' failed: the running config stays" ]
	[ "$(wc -l <"$T/err")" -eq 2 ]
}

@test "scrapecol: EPIPE on stdout ends it with status 1" {
	printf 'scrape_configs:\n  - job_name: p\n    scrape_interval: 1s\n    metrics_path: /file/m.prom\n    static_configs: [{targets: ["%s"]}]\n' "$ADDR" >"$T/c.yml"
	{ "$SC" -c "$T/c.yml" 2>"$T/err" && rc=0 || rc=$?; echo "$rc" >"$T/rc"; } | head -1 >"$T/out"
	[ "$(cat "$T/rc")" -eq 1 ]
	[ "$(cat "$T/err")" = "scrapecol: write to standard output: Broken pipe" ]
	[ "$(cat "$T/out")" = "# HELP a_total A counter." ]
}

# same_as_prometheus FILE: Prometheus and scrapecol scrape FILE (served
# by the loopback server) with the same config; the series must match in
# labels and values.
same_as_prometheus() {
	cat >"$T/p.yml" <<-EOF
	global:
	  scrape_interval: 1s
	scrape_configs:
	  - job_name: x
	    metrics_path: /file/$1
	    static_configs:
	      - targets: ['$ADDR']
	        labels: {site: home}
	EOF
	PROM_CONFIG=$T/p.yml start_prometheus
	for ((i = 0; i < 100; i++)); do
		[ "$(prom_value 'up{job="x"}')" = 1 ] && break
		sleep 0.1
	done
	prom_query '{job="x"}' >"$T/q.json"
	"$SC" -c "$T/p.yml" --once >"$T/sc.out"
	"$OBS_PYTHON" "$D/compare.py" "$T/q.json" "$T/sc.out" \
		--skip scrape_duration_seconds --skip scrape_series_added
	[ "$(jq '.data.result | length' "$T/q.json")" -gt 10 ]
	stop_prometheus
}

@test "scrapecol and Prometheus agree on node_exporter's metrics (same labels, same values)" {
	start_node_exporter
	curl -fsS "$NE_URL" >"$SRV/ne.prom"
	same_as_prometheus ne.prom
}

@test "scrapecol and Prometheus agree on Prometheus' own /metrics" {
	start_prometheus
	curl -fsS "$PROM_URL/metrics" >"$SRV/prom.prom"
	stop_prometheus
	same_as_prometheus prom.prom
}

@test "scrapecol scrapes a live node_exporter: up 1, every sample stamped, names as the exporter's" {
	start_node_exporter
	"$SC" -j node "$NE_URL" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	[ "$(value up "$T/out")" = 1 ]
	ts=$(awk '/^up\{/ { print $NF }' "$T/out")
	[ "$(grep -v '^#' "$T/out" | grep -vc " $ts\$")" -eq 0 ]
	grep -v '^#' "$T/out" | sed 's/[{ ].*//' | grep -v '^up$\|^scrape_' | sort -u >"$T/names.sc"
	# Two scrapes of a live exporter can differ when a network interface
	# comes or goes between them (netclass): compare with a fresh scrape a
	# few times before calling it a difference.
	for i in 1 2 3; do
		curl -fsS "$NE_URL" | grep -v '^#' | sed 's/[{ ].*//' | sort -u >"$T/names.ne"
		cmp -s "$T/names.ne" "$T/names.sc" && break
		"$SC" -j node "$NE_URL" 2>/dev/null | grep -v '^#' | sed 's/[{ ].*//' |
			grep -v '^up$\|^scrape_' | sort -u >"$T/names.sc"
	done
	diff -u "$T/names.ne" "$T/names.sc"
	[ "$(value scrape_samples_scraped "$T/out")" -gt 100 ]
}
