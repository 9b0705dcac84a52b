#!/usr/bin/env bats
# deploy.bats: what share/ deploys: the homelab example's obsd files and the
# configs they name (checked by the programs that read them), the
# Prometheus receiver config, its alert rules and their promtool unit
# tests, the per-program systemd units and the cron example, and the
# Grafana dashboards, whose every PromQL expression is run against a real
# Prometheus fed by the suite's own pipeline under obsd (and by the
# homelab's snmp pipeline, polling an snmpd that plays the Synology NAS).
#
# Nothing here touches any address but 127.0.0.1: configs that name the
# homelab's addresses are checked in copies that point at loopback.

load helpers

# shellcheck disable=SC2153 # OBS_ROOT comes from helpers.bash
HL="$OBS_ROOT/share/examples/homelab"
SP="$OBS_ROOT/share/prometheus"
GF="$OBS_ROOT/share/grafana"
DD="$OBS_ROOT/tests/data/deploy"

# The homelab's obsd files.
VMS="observability edge db"

# feed_start: a Prometheus with share/prometheus/prometheus.yml, fed by
# obsd running the suite's pipeline on this host with the example's
# relabel configs: hostcol (with the members' stats files through its
# textfile collector), scrapecol scraping that Prometheus, ctrcol when
# built, and a logs pipeline into a lokipush whose Loki is down (for its
# counters); a member that always fails gives obsd's restart counters.
feed_start() {
	local b
	FEED_OK=
	for b in obsd hostcol relabel rwsend scrapecol logtail lokipush; do
		[ -x "$OBS_BIN/$b" ] || {
			FEED_WHY="$b is not built"
			return 0
		}
	done
	command -v "$OBS_PROMETHEUS" >/dev/null 2>&1 || {
		FEED_WHY="prometheus is not installed"
		return 0
	}
	FEED=$(obs_tmpdir)/feed
	mkdir -p "$FEED/stats" "$FEED/run" || return 1
	PROM_CONFIG="$SP/prometheus.yml" start_prometheus || return 1
	dead=$(free_port) || return 1
	printf 'level=info msg="feed started"\nlevel=error msg="feed failed"\n' >"$FEED/app.log"
	cat >"$FEED/scrape.yml" <<-EOF
		global:
		  scrape_interval: 2s
		  scrape_timeout: 1s
		scrape_configs:
		  - job_name: prometheus
		    static_configs:
		      - targets: ['127.0.0.1:$PROM_PORT']
		        labels:
		          source: prometheus
	EOF
	# The example's layout (one pipeline per collector, each with its
	# relabel and its sender) on this host, pointed at this Prometheus.
	rl="relabel -c $HL/relabel-metrics.yml -l host=obs-test -l host_ip=127.0.0.1"
	rw="rwsend -u $PROM_RW_URL --name prometheus --drain-timeout 2s -q $FEED/queue"
	ctr=
	[ -x "$OBS_BIN/ctrcol" ] &&
		ctr=$(printf '  %s\n    %s\n    %s\n    %s' containers: \
			'sources: [ctrcol --interval 2s --docker-only]' "filters: [$rl]" \
			"sink: $rw/containers")
	# obsd gives hostcol --stats-file; a hostcol without that option
	# (see the test on it below) runs through env(1), which gets none,
	# so that the dashboards are still checked.
	hc=hostcol
	"$OBS_BIN/hostcol" --stats-file "$FEED/probe.prom" --collector.disable-defaults \
		--collector.loadavg >/dev/null 2>&1 || hc="env hostcol"
	cat >"$FEED/obsd.yml" <<-EOF
		pipelines:
		  host:
		    sources:
		      - $hc --interval 2s --collector.textfile.directory=$FEED/stats
		    filters: [$rl]
		    sink: $rw/host
		  scrape:
		    sources: [scrapecol -c $FEED/scrape.yml]
		    filters: [$rl]
		    sink: $rw/scrape
		$ctr
		  logs:
		    sources:
		      - logtail --positions $FEED/positions.yml $FEED/app.log
		    filters:
		      - relabel -c $HL/relabel-logs.yml -l host=obs-test
		    sink: lokipush -u http://127.0.0.1:$dead/loki/api/v1/push -q $FEED/queue/logs --drain-timeout 1s
		  flaky:
		    sources:
		      - 'false'
		    sink: cat
	EOF
	PATH="$OBS_BIN:$PATH" "$OBS_BIN/obsd" -c "$FEED/obsd.yml" --run-dir "$FEED/run" \
		--stats-dir "$FEED/stats" --stop-timeout 3s --backoff-max 2s \
		</dev/null >/dev/null 2>"$FEED/obsd.err" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	FEED_PID=$!
	obs_track "$FEED_PID" obsd
	FEED_OK=1
	export FEED FEED_OK FEED_PID
}

setup_file() {
	# A named container for ctrcol, when there is a Docker engine.
	CTR_NAME=
	if [ -x "$OBS_BIN/ctrcol" ] && docker_start_engine; then
		CTR_NAME=obsdeploy$$-app
		docker_run_test "$CTR_NAME" --label com.docker.compose.project=deploy \
			--label com.docker.compose.service=app "$DOCKER_IMAGE" \
			sh -c 'while :; do echo level=info msg=tick; sleep 1; done' >/dev/null ||
			CTR_NAME=
	fi
	export CTR_NAME
	feed_start
	export FEED_WHY
}

teardown_file() {
	stop_peers
	docker_rm_test_containers
	docker_stop_engine
}

teardown() {
	stop_peers
}

# need_feed: skips the test when the pipeline could not run here, and
# waits (once, at most 90 s) until every family the dashboards query has
# at least three samples in Prometheus, so rate() over [1m] has data.
need_feed() {
	[ -n "${FEED_OK:-}" ] || skip "no pipeline to feed Prometheus: ${FEED_WHY:-}"
	[ -f "$FEED/ready" ] && return 0
	local i m n ok
	local want="node_cpu_seconds_total node_textfile_scrape_error
	    obs_rwsend_samples_sent_total obs_rwsend_queue_bytes
	    obs_relabel_lines_in_total obs_lokipush_entries_in_total
	    obs_scrapecol_scrapes_total obs_obsd_member_up
	    obs_obsd_member_restarts_total obs_obsd_member_last_exit_status"
	for ((i = 0; i < 180; i++)); do
		ok=1
		for m in $want; do
			n=$(prom_query "min(count_over_time(${m}{host=\"obs-test\"}[1m]))" 2>/dev/null |
				jq -r '.data.result[0].value[1] // 0')
			if [ "${n:-0}" -lt 3 ] 2>/dev/null; then
				ok=
				break
			fi
		done
		if [ -n "$ok" ]; then
			touch "$FEED/ready"
			return 0
		fi
		sleep 0.5
	done
	echo "need_feed: no 3 samples of $m{host=\"obs-test\"} after 90s; obsd's log:" >&2
	tail -n 30 "$FEED/obsd.err" >&2
	return 1
}

# dash_exprs FILE: every Prometheus expression of a dashboard, NUL
# terminated: the targets of panels (rows' panels too) whose datasource is
# Prometheus, then the query variables.
dash_exprs() {
	jq -j '
	  ([.panels[]? | ., (.panels[]? // empty)]
	    | .[] | select((.datasource.type // "prometheus") == "prometheus")
	    | .targets[]? | select((.datasource.type // "prometheus") == "prometheus")
	    | .expr | select(. != null and . != "")),
	  (.templating.list[]? | select(.type == "query") | (.query.query // .query))
	  | ., "\u0000"' "$1"
}

# concrete EXPR: the expression with Grafana's variables replaced by values
# a query can run with; label_values(M, L) becomes M.
concrete() {
	local e=$1
	e=${e//\$__rate_interval/1m}
	e=${e//\$\{__rate_interval\}/1m}
	e=${e//\$__interval/15s}
	e=${e//\$\{__interval\}/15s}
	e=${e//\$__range/5m}
	e=${e//\$\{__range\}/5m}
	e=${e//\$\{host\}/obs-test}
	e=${e//\$host/obs-test}
	e=${e//\$\{instance\}/127.0.0.1}
	e=${e//\$instance/127.0.0.1}
	e=${e//\$node/.+}
	e=${e//\$area/.+}
	if [[ $e =~ ^label_values\((.*),[[:space:]]*([a-zA-Z_][a-zA-Z0-9_]*)\)$ ]]; then
		e=${BASH_REMATCH[1]}
	fi
	printf '%s' "$e"
}

# run_query EXPR OUT: an instant query; OUT gets the answer; prints the
# HTTP status.
run_query() {
	curl -sS --max-time 10 -o "$2" -w '%{http_code}' -G \
		--data-urlencode "query=$1" "$PROM_URL/api/v1/query"
}

# nas_start: an snmpd on 127.0.0.1 (UDP, a free port) playing the
# homelab's Synology NAS: tests/data/snmpcol/pass.py serves the values of
# tests/data/deploy/nas.txt for Synology's subtree and for IF-MIB (snmpd's
# own interface tables, this host's, are not loaded), with the community
# of the example's snmp-auths.yml.  Sets NAS_PORT.
nas_start() {
	local dir attempt port pid i root
	local pass="$OBS_ROOT/tests/data/snmpcol/pass.py"
	dir="$(obs_tmpdir)/nas.$$.$RANDOM"
	mkdir -p "$dir/persist" || return 1
	{
		echo 'rocommunity CHANGE-ME 127.0.0.1'
		for root in .1.3.6.1.4.1.6574 .1.3.6.1.2.1.2 .1.3.6.1.2.1.31; do
			echo "pass_persist $root $OBS_PYTHON $pass $root $DD/nas.txt"
		done
		echo 'sysName nas'
		echo 'sysLocation test rack'
	} >"$dir/snmpd.conf"
	for ((attempt = 0; attempt < 3; attempt++)); do
		port=$(free_port) || return 1
		SNMP_PERSISTENT_DIR="$dir/persist" MIBS="" "${OBS_SNMPD:-snmpd}" -f -Lo -C \
			-c "$dir/snmpd.conf" -p "$dir/pid" -I -smux,interface,ifTable,ifXTable \
			"udp:127.0.0.1:$port" </dev/null >"$dir/snmpd-$port.log" 2>&1 \
			3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
		pid=$!
		obs_track "$pid" snmpd
		for ((i = 0; i < OBS_PEER_WAIT * 5; i++)); do
			obs_alive "$pid" || break
			# an answer from pass.py: its subtree is up too
			if MIBS="" snmpget -v2c -c CHANGE-ME -t 0.2 -r 0 "127.0.0.1:$port" \
			    1.3.6.1.4.1.6574.1.1.0 >/dev/null 2>&1; then
				NAS_PORT=$port
				return 0
			fi
			sleep 0.2
		done
		stop_pid "$pid"
	done
	echo "nas_start: snmpd did not answer on 127.0.0.1:$port; its log:" >&2
	tail -n 20 "$dir"/snmpd-*.log >&2
	return 1
}

# ---- the homelab example -------------------------------------------------

@test "every example obsd file passes obsd check" {
	skip_unless_bin obsd
	for vm in $VMS; do
		run "$(obs_bin obsd)" -c "$HL/$vm.yml" check
		echo "$vm: $output"
		[ "$status" -eq 0 ]
		[ "$output" = "" ]
	done
}

@test "obsd check rejects a broken copy of an example (the check can fail)" {
	skip_unless_bin obsd
	sed 's/relabel -c/relabel "-c/' "$HL/edge.yml" >"$T/edge.yml"
	run "$(obs_bin obsd)" -c "$T/edge.yml" check
	[ "$status" -eq 2 ]
	[[ $output == *"unterminated double quote"* ]] || [[ $output == *"quote"* ]]
}

@test "the example obsd files run only the suite's programs, with the seed's labels" {
	for vm in $VMS; do
		# Commands: list items and sink lines, cmd: of mappings.
		sed -n -e 's/^ *- \(cmd: \)\{0,1\}//p' -e 's/^ *sink: //p' "$HL/$vm.yml" |
			grep -v '^[a-z_]*:$' >"$T/$vm.cmds"
		[ -s "$T/$vm.cmds" ]
		while read -r w1 w2 _; do
			[ "$w1" = env ] && w1=$w2
			echo "$vm: $w1"
			[ -d "$OBS_ROOT/src/$w1" ]
		done <"$T/$vm.cmds"
		grep -Eq "relabel -c /etc/obs/relabel-metrics.yml -l host=$vm -l host_ip=([0-9]{1,3}\.){3}[0-9]{1,3}\$" "$T/$vm.cmds"
		grep -q "relabel -c /etc/obs/relabel-logs.yml -l host=$vm\$" "$T/$vm.cmds"
	done
	# The observability VM: the NAS, Proxmox, Home Assistant, the apps.
	grep -q '^snmpcol .*-t /etc/obs/snmp-targets.yml' "$T/observability.cmds"
	grep -q '^scrapecol -c /etc/obs/scrapecol.yml' "$T/observability.cmds"
}

@test "the example obsd files: one pipeline per collector with its own queue, named as the per-program units" {
	for vm in $VMS; do
		sed -n 's/^  \([a-z]*\):$/\1/p' "$HL/$vm.yml" >"$T/$vm.pl"
		grep -o -- '-q /var/lib/obs/queue/[a-z]*' "$HL/$vm.yml" | sed 's#.*/##' >"$T/$vm.q"
		diff -u "$T/$vm.pl" "$T/$vm.q"
		# one source each
		[ "$(grep -c '^    sources:$' "$HL/$vm.yml")" -eq "$(wc -l <"$T/$vm.pl")" ]
		[ "$(grep -c '^      - [a-z]*col \|^      - logtail ' "$HL/$vm.yml")" -eq "$(wc -l <"$T/$vm.pl")" ]
	done
	printf '%s\n' host containers logs >"$T/want"
	diff -u "$T/want" "$T/edge.pl"
	diff -u "$T/want" "$T/db.pl"
	printf '%s\n' host containers snmp scrape logs >"$T/want"
	diff -u "$T/want" "$T/observability.pl"
	# The per-program units queue in the same places, so a VM can move
	# between them and obsd and keep its backlog.
	n=0
	for u in "$OBS_ROOT"/share/systemd/obs-*.service; do
		p=${u##*/obs-}
		p=${p%.service}
		grep -q -- "-q /var/lib/obs/queue/$p'\$" "$u"
		grep -qx "$p" "$T/observability.pl"
		n=$((n + 1))
	done
	[ "$n" -eq 5 ]
}

@test "every /etc/obs file the examples name is in share/, and secrets are only paths" {
	cat "$HL"/*.yml "$OBS_ROOT"/share/systemd/obs-*.service "$OBS_ROOT/share/cron/obs.cron" |
		grep -o '/etc/obs/[A-Za-z0-9_./-]*[A-Za-z0-9_]' | sort -u >"$T/paths"
	[ -s "$T/paths" ]
	while read -r p; do
		f=${p#/etc/obs/}
		echo "$p"
		case $f in
		# secrets are not shipped, at most the layout of one
		secrets/*) [ ! -e "$HL/$f" ] ;;
		obsd.yml) [ -f "$HL/edge.yml" ] ;;
		snmp.yml) [ -f "$OBS_ROOT/share/snmp/snmp.yml" ] ;;
		host.env) [ -f "$OBS_ROOT/share/systemd/host.env" ] ;;
		*) [ -f "$HL/$f" ] ;;
		esac
	done <"$T/paths"
	# No secret in a config: credentials only as files under /etc/obs/secrets/.
	run grep -nE '^[^#]*(password|credentials|bearer_token|community): *[^ ]' "$HL"/*.yml
	[ "$status" -eq 1 ]
	run grep -nE '^[^#]*_file: ' "$HL"/*.yml
	[ "$status" -eq 0 ]
	refute grep -nE '^[^#]*_file: +/etc/obs/[^s]' "$HL"/*.yml
}

@test "the programs the examples run under obsd --stats-dir accept --stats-file" {
	# obsd appends --stats-file to every member that is one of the suite's
	# programs; one that refuses it exits 2 and never runs.
	for vm in $VMS; do
		sed -n -e 's/^ *- \(cmd: \)\{0,1\}//p' -e 's/^ *sink: //p' "$HL/$vm.yml"
	done | awk '$1 != "env" { print $1 }' | sort -u >"$T/progs"
	[ -s "$T/progs" ]
	: >"$T/refused"
	while read -r p; do
		[ -x "$OBS_BIN/$p" ] || continue
		"$OBS_BIN/$p" --stats-file "$T/$p.prom" --version >/dev/null 2>&1 ||
			echo "$p refuses --stats-file" >>"$T/refused"
	done <"$T/progs"
	cat "$T/refused"
	[ ! -s "$T/refused" ]
}

@test "relabel loads every relabel config of the example" {
	skip_unless_bin relabel
	for f in "$HL"/relabel-*.yml; do
		run "$(obs_bin relabel)" -c "$f" </dev/null
		echo "$f: $output"
		[ "$status" -eq 0 ]
		[ "$output" = "" ]
	done
	# and refuses a broken one
	sed 's/target_label: source/target_label: 0source/' "$HL/relabel-metrics.yml" >"$T/bad.yml"
	run "$(obs_bin relabel)" -c "$T/bad.yml" </dev/null
	[ "$status" -eq 2 ]
}

@test "relabel-metrics.yml gives every metric the seed's external labels" {
	skip_unless_bin relabel
	"$(obs_bin relabel)" -c "$HL/relabel-metrics.yml" -l host=edge -l host_ip=127.0.1.41 \
		"$DD/metrics.prom" >"$T/out" 2>"$T/err"
	diff -u "$DD/metrics.expected" "$T/out"
	[ ! -s "$T/err" ]
}

@test "relabel-logs.yml gives Docker log entries the seed's labels and level" {
	skip_unless_bin relabel
	"$(obs_bin relabel)" -c "$HL/relabel-logs.yml" -l host=edge "$DD/logs.in" >"$T/out" 2>"$T/err"
	diff -u "$DD/logs.expected" "$T/out"
	[ ! -s "$T/err" ]
}

@test "scrapecol checks scrapecol.yml (with its token file present)" {
	skip_unless_bin scrapecol
	mkdir -p "$T/secrets"
	echo token >"$T/secrets/homeassistant.token"
	sed "s#/etc/obs/secrets/#$T/secrets/#" "$HL/scrapecol.yml" >"$T/scrapecol.yml"
	run "$(obs_bin scrapecol)" --check-config -c "$T/scrapecol.yml"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	# The same file without the token is an error: the check reads it.
	rm "$T/secrets/homeassistant.token"
	run "$(obs_bin scrapecol)" --check-config -c "$T/scrapecol.yml"
	[ "$status" -eq 2 ]
	[[ $output == *homeassistant.token* ]]
}

@test "snmpcol loads snmp.yml, the auths and snmp-targets.yml" {
	skip_unless_bin snmpcol
	# snmpcol has no check mode: with -t it runs until stopped once its
	# files load, and exits 2 at once when they do not.  The target is a
	# loopback port where nothing answers.
	port=$(free_port)
	sed "s/^\(  - target: \).*/\1127.0.0.1:$port/" "$HL/snmp-targets.yml" >"$T/targets.yml"
	grep -q "127.0.0.1:$port" "$T/targets.yml"
	run timeout 3 "$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" \
		-c "$HL/secrets/snmp-auths.yml.example" -t "$T/targets.yml"
	echo "$output"
	[ "$status" -eq 124 ]
	# The auth homelab_v2 comes from the secrets file's layout: a targets
	# file naming an auth that is in neither file fails to load.
	sed 's/homelab_v2/homelab_v9/' "$T/targets.yml" >"$T/bad.yml"
	run timeout 3 "$(obs_bin snmpcol)" -c "$OBS_ROOT/share/snmp/snmp.yml" \
		-c "$HL/secrets/snmp-auths.yml.example" -t "$T/bad.yml"
	[ "$status" -eq 2 ]
}

@test "rwsend and lokipush load their configs (a dry run on no input sends nothing)" {
	skip_unless_bin rwsend
	skip_unless_bin lokipush
	port=$(free_port)
	sed "s#http://[^/]*/#http://127.0.0.1:$port/#" "$HL/rwsend.yml" >"$T/rwsend.yml"
	sed "s#http://[^/]*/#http://127.0.0.1:$port/#" "$HL/lokipush.yml" >"$T/lokipush.yml"
	# every URL now points at loopback, none at the example's LAN
	for f in "$T/rwsend.yml" "$T/lokipush.yml"; do
		[ "$(grep -c 'http://' "$f")" -ge 1 ]
		[ "$(grep -c 'http://' "$f")" = "$(grep -c "http://127.0.0.1:$port/" "$f")" ]
	done
	run "$(obs_bin rwsend)" -c "$T/rwsend.yml" --stats-file "$T/rw.prom" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'obs_rwsend_requests_total{endpoint="prometheus"} 0' "$T/rw.prom"
	run "$(obs_bin lokipush)" -c "$T/lokipush.yml" --stats-file "$T/lp.prom" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'obs_lokipush_requests_total 0' "$T/lp.prom"
	# An unknown key stops both before they read anything.
	printf '    max_samples: 1\n' >>"$T/rwsend.yml"
	run "$(obs_bin rwsend)" -c "$T/rwsend.yml" </dev/null
	[ "$status" -eq 2 ]
	printf 'batch: 1\n' >>"$T/lokipush.yml"
	run "$(obs_bin lokipush)" -c "$T/lokipush.yml" </dev/null
	[ "$status" -eq 2 ]
}

# ---- Prometheus: receiver config, rules, unit tests ----------------------

@test "promtool checks the receiver's prometheus.yml and its rule files" {
	skip_unless_cmd promtool
	run promtool check config "$SP/prometheus.yml"
	echo "$output"
	[ "$status" -eq 0 ]
	set -- "$SP"/rules/*.yml
	n=$#
	[[ $output == *"SUCCESS: $n rule files found"* ]]
}

@test "promtool checks the alert rules" {
	skip_unless_cmd promtool
	run promtool check rules "$SP"/rules/*.yml
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "promtool unit tests of the alert rules pass" {
	skip_unless_cmd promtool
	run promtool test rules "$SP"/tests/*.yml
	echo "$output"
	[ "$status" -eq 0 ]
	refute grep -q FAILED <<<"$output"
}

@test "every alert rule has a unit test in which it fires" {
	grep -h '^ *- alert: ' "$SP"/rules/*.yml | sed 's/.*alert: //' | sort >"$T/rules"
	[ "$(wc -l <"$T/rules")" -ge 20 ]
	# alertname lines followed by a non-empty exp_alerts
	awk '/alertname:/ { a = $2; next }
	     /exp_alerts:/ { if ($2 != "[]" && a != "") print a; a = "" }' \
		"$SP"/tests/*.yml | sort -u >"$T/fired"
	comm -23 "$T/rules" "$T/fired" >"$T/untested"
	cat "$T/untested"
	[ ! -s "$T/untested" ]
}

@test "the unit tests fail when a rule changes (they can fail)" {
	skip_unless_cmd promtool
	mkdir -p "$T/p/rules" "$T/p/tests"
	cp "$SP"/tests/*.yml "$T/p/tests/"
	cp "$SP"/rules/*.yml "$T/p/rules/"
	sed -i 's/raidStatus == 11/raidStatus == 12/' "$T/p/rules/synology.yml"
	run promtool test rules "$T/p/tests/synology_test.yml"
	[ "$status" -eq 1 ]
	[[ $output == *SynologyRaidDegraded* ]]
}

@test "the rules name the counters src/rwsend, src/lokipush, src/relabel and src/obsd write" {
	grep -ho 'obs_[a-z_]*' "$SP"/rules/*.yml "$GF"/*.json | sort -u >"$T/names"
	[ -s "$T/names" ]
	while read -r n; do
		echo "$n"
		grep -rqF "\"$n" "$OBS_ROOT"/src || grep -rqF "\"${n#obs_lokipush_}\"" "$OBS_ROOT/src/lokipush"
	done <"$T/names"
}

# ---- systemd units and cron ---------------------------------------------

@test "systemd-analyze verifies the per-program units" {
	skip_unless_cmd systemd-analyze
	for u in "$OBS_ROOT"/share/systemd/obs-*.service; do
		run timeout 30 systemd-analyze verify --man=no "$u"
		echo "$u: $output"
		[ "$status" -eq 0 ]
	done
}

@test "obs-host.service's pipeline delivers this host's metrics with its labels" {
	skip_unless_bin hostcol
	skip_unless_bin relabel
	skip_unless_bin rwsend
	skip_unless_cmd "$OBS_PROMETHEUS"
	start_prometheus
	# The unit's command, as systemd would run it with host.env, the
	# example's configs in a copy of /etc/obs pointing at this Prometheus
	# and /var/lib/obs in the test's directory; one cycle (no --interval).
	mkdir -p "$T/etc" "$T/var"
	cp "$HL/relabel-metrics.yml" "$T/etc/"
	sed "s#^\(  - url: \).*#\1$PROM_RW_URL#" "$HL/rwsend.yml" >"$T/etc/rwsend.yml"
	grep -qF "url: $PROM_RW_URL" "$T/etc/rwsend.yml"
	cmd=$(sed -n "s/^ExecStart=\/bin\/sh -c '\(.*\)'\$/\1/p" "$OBS_ROOT/share/systemd/obs-host.service")
	[ -n "$cmd" ]
	# shellcheck disable=SC1090,SC2046
	. "$OBS_ROOT/share/systemd/host.env"
	# Tests name loopback only: the example's LAN address becomes one.
	OBS_HOST_IP=127.0.1.41
	cmd=${cmd//\$\{OBS_HOST\}/$OBS_HOST}
	cmd=${cmd//\$\{OBS_HOST_IP\}/$OBS_HOST_IP}
	cmd=${cmd//\/etc\/obs\//$T/etc/}
	cmd=${cmd//\/var\/lib\/obs\//$T/var/}
	cmd=${cmd//--interval 15s/}
	echo "$cmd"
	PATH="$OBS_BIN:$PATH" run sh -c "$cmd"
	echo "$output"
	[ "$status" -eq 0 ]
	prom_wait_value 'count(node_load1{host="edge",host_ip="127.0.1.41",cluster="homelab",collector="obs",source="node"})' 1
}

@test "the cron example's host line delivers one cycle" {
	skip_unless_bin hostcol
	skip_unless_bin relabel
	skip_unless_bin rwsend
	skip_unless_cmd "$OBS_PROMETHEUS"
	skip_unless_cmd flock
	start_prometheus
	mkdir -p "$T/etc" "$T/var"
	cp "$HL/relabel-metrics.yml" "$T/etc/"
	sed "s#^\(  - url: \).*#\1$PROM_RW_URL#" "$HL/rwsend.yml" >"$T/etc/rwsend.yml"
	grep -qF "url: $PROM_RW_URL" "$T/etc/rwsend.yml"
	# Five time fields, the user, the command.
	grep -E '^[^#A-Z]' "$OBS_ROOT/share/cron/obs.cron" >"$T/lines"
	[ "$(wc -l <"$T/lines")" -ge 2 ]
	run awk 'NF < 7 || $6 != "obs" { print; bad = 1 } END { exit bad }' "$T/lines"
	[ "$status" -eq 0 ]
	cmd=$(grep -m1 "'hostcol " "$T/lines" | cut -d' ' -f7-)
	[[ $cmd == "flock -n /var/lib/obs/"*" sh -c 'hostcol "* ]]
	cmd=${cmd//\/etc\/obs\//$T/etc/}
	cmd=${cmd//\/var\/lib\/obs\//$T/var/}
	echo "$cmd"
	PATH="$OBS_BIN:$PATH" run sh -c "$cmd"
	echo "$output"
	[ "$status" -eq 0 ]
	prom_wait_value 'count(node_load1{host="edge",source="node",cluster="homelab"})' 1
}

# ---- Grafana dashboards --------------------------------------------------

@test "every dashboard is JSON with a uid, a title, tags and unique panel ids" {
	n=0
	for f in "$GF"/*.json; do
		echo "$f"
		jq -e '.uid and .title and (.tags | index("obs")) and (.schemaVersion > 30)' "$f" >/dev/null
		ids=$(jq '[.panels[] | ., (.panels[]? // empty) | .id]' "$f")
		[ "$(jq 'length' <<<"$ids")" = "$(jq 'unique | length' <<<"$ids")" ]
		n=$((n + 1))
	done
	[ "$n" -eq 5 ]
	# Unique uids, as Grafana's provisioning wants.
	[ "$(jq -r .uid "$GF"/*.json | sort -u | wc -l)" -eq 5 ]
}

@test "the dashboards are the issue's five, with the right series" {
	jq -r .title "$GF"/*.json | sort >"$T/titles"
	printf '%s\n' "Home Assistant" "Synology NAS" "Systems Overview" "VM detail" "obs pipeline health" |
		sort | diff -u - "$T/titles"
	# Systems Overview: pve_* only.
	dash_exprs "$GF/systems-overview.json" | tr '\0' '\n' | grep -o '[a-zA-Z_:][a-zA-Z0-9_:]*{' |
		sort -u >"$T/ov"
	[ -s "$T/ov" ]
	run grep -v '^pve_' "$T/ov"
	[ "$status" -eq 1 ]
	# VM detail: node_*, container_*, a Loki logs panel, a $host variable,
	# drill-down links back to the overview and to the pipeline.
	f="$GF/vm-detail.json"
	jq -e '.templating.list | map(select(.name == "host" and .type == "query")) | length == 1' "$f"
	jq -e '[.panels[] | select(.type == "logs" and .datasource.type == "loki")] | length == 1' "$f"
	dash_exprs "$f" | tr '\0' '\n' >"$T/vm"
	# shellcheck disable=SC2016 # Grafana's $host, literally
	grep -q 'node_cpu_seconds_total{host="$host"' "$T/vm"
	# shellcheck disable=SC2016
	grep -q 'container_memory_working_set_bytes{host="$host"' "$T/vm"
	jq -e '[.links[] | select(.url? // "" | contains("obs-systems-overview"))] | length == 1' "$f"
	jq -e '[.panels[] | .fieldConfig.defaults.links[]? | select(.url | contains("var-host="))] | length >= 1' \
		"$GF/systems-overview.json"
	# Synology: its MIB's series as snmp_exporter names them.
	dash_exprs "$GF/synology.json" | tr '\0' '\n' >"$T/syn"
	grep -q 'raidStatus{' "$T/syn"
	grep -q 'diskStatus{' "$T/syn"
	# Pipeline health: rwsend and obsd counters.
	dash_exprs "$GF/obs-pipeline.json" | tr '\0' '\n' >"$T/obs"
	grep -q 'obs_rwsend_queue_bytes' "$T/obs"
	grep -q 'obs_obsd_member_restarts_total' "$T/obs"
}

@test "every PromQL expression of the dashboards parses in Prometheus" {
	need_feed
	n=0
	for f in "$GF"/*.json; do
		while IFS= read -r -d '' expr; do
			q=$(concrete "$expr")
			code=$(run_query "$q" "$T/a.json")
			if [ "$code" != 200 ] || [ "$(jq -r .status "$T/a.json")" != success ]; then
				echo "$(basename "$f"): HTTP $code for: $q" >&2
				cat "$T/a.json" >&2
				return 1
			fi
			n=$((n + 1))
		done < <(dash_exprs "$f")
	done
	echo "$n expressions"
	[ "$n" -ge 80 ]
	# A broken one is a 400 bad_data, which the loop above counts as a
	# failure.
	code=$(run_query 'sum by (host (node_load1)' "$T/a.json")
	[ "$code" = 400 ]
	[ "$(jq -r .errorType "$T/a.json")" = bad_data ]
}

@test "every node_* and obs_* expression of the dashboards returns data from the pipeline" {
	need_feed
	n=0
	: >"$T/empty"
	for f in "$GF"/*.json; do
		while IFS= read -r -d '' expr; do
			# node_* and obs_* only: pve_*, homeassistant_*, Synology's
			# and container_* ones have other tests.
			[[ $expr =~ (^|[^a-z_])(node|obs)_[a-z] ]] || continue
			[[ $expr =~ (pve|homeassistant|container|machine)_ ]] && continue
			q=$(concrete "$expr")
			code=$(run_query "$q" "$T/a.json")
			[ "$code" = 200 ]
			if [ "$(jq '.data.result | length' "$T/a.json")" -eq 0 ]; then
				echo "$(basename "$f"): no data for: $q" >>"$T/empty"
			fi
			# label_values(M, L): every result has L
			if [[ $expr =~ ^label_values\(.*,[[:space:]]*([a-z_]+)\)$ ]]; then
				l=${BASH_REMATCH[1]}
				jq -e --arg l "$l" '.data.result | all(.metric[$l] != null)' "$T/a.json" >/dev/null
			fi
			n=$((n + 1))
		done < <(dash_exprs "$f")
	done
	cat "$T/empty"
	echo "$n expressions"
	[ "$n" -ge 40 ]
	[ ! -s "$T/empty" ]
}

@test "the dashboards' container_* expressions return data from ctrcol" {
	need_feed
	skip_unless_bin ctrcol
	[ -n "${CTR_NAME:-}" ] || skip "no Docker engine for a container: $(cat "$BATS_FILE_TMPDIR/docker.state" 2>/dev/null)"
	# rate() over [1m] wants three samples of the container's series.
	for ((i = 0; i < 120; i++)); do
		n=$(prom_query "count_over_time(container_cpu_usage_seconds_total{host=\"obs-test\",name=\"$CTR_NAME\"}[1m])" |
			jq -r '.data.result[0].value[1] // 0')
		[ "$n" -ge 3 ] && break
		sleep 0.5
	done
	[ "$n" -ge 3 ]
	# The compose labels ctrcol writes survive relabel-metrics.yml.
	prom_wait_value "count(container_last_seen{host=\"obs-test\",name=\"$CTR_NAME\",source=\"cadvisor\",container_label_com_docker_compose_project=\"deploy\"})" 1
	m=0
	: >"$T/empty"
	for f in "$GF"/*.json; do
		while IFS= read -r -d '' expr; do
			[[ $expr =~ container_ ]] || continue
			q=$(concrete "$expr")
			code=$(run_query "$q" "$T/a.json")
			[ "$code" = 200 ]
			if [ "$(jq --arg n "$CTR_NAME" '[.data.result[] | select(.metric.name == $n)] | length' "$T/a.json")" -eq 0 ]; then
				echo "$(basename "$f"): no data for $CTR_NAME: $q" >>"$T/empty"
			fi
			m=$((m + 1))
		done < <(dash_exprs "$f")
	done
	cat "$T/empty"
	[ "$m" -ge 4 ]
	[ ! -s "$T/empty" ]
}

@test "the dashboards' SNMP expressions return data from snmpcol" {
	need_feed
	skip_unless_bin snmpcol
	skip_unless_cmd "${OBS_SNMPD:-snmpd}"
	skip_unless_cmd snmpget
	nas_start
	nas=127.0.0.1:$NAS_PORT
	# The homelab's snmp pipeline (observability.yml) under obsd, its
	# /etc/obs a copy in which the NAS is this snmpd, polled every second
	# (rate() wants two samples), and rwsend writes to this Prometheus.
	mkdir -p "$T/etc/secrets" "$T/var"
	cp "$OBS_ROOT/share/snmp/snmp.yml" "$HL/relabel-metrics.yml" "$T/etc/"
	cp "$HL/secrets/snmp-auths.yml.example" "$T/etc/secrets/snmp-auths.yml"
	sed -e "s/^\(  - target: \).*/\1$nas/" -e 's/^interval: .*/interval: 1s/' \
		"$HL/snmp-targets.yml" >"$T/etc/snmp-targets.yml"
	grep -qF "target: $nas" "$T/etc/snmp-targets.yml"
	grep -qx 'interval: 1s' "$T/etc/snmp-targets.yml"
	sed "s#^\(  - url: \).*#\1$PROM_RW_URL#" "$HL/rwsend.yml" >"$T/etc/rwsend.yml"
	grep -qF "url: $PROM_RW_URL" "$T/etc/rwsend.yml"
	{
		echo pipelines:
		sed -n '/^  snmp:$/,/^$/p' "$HL/observability.yml"
	} | sed -e "s#/etc/obs/#$T/etc/#g" -e "s#/var/lib/obs/#$T/var/#g" \
		-e 's/host_ip=[0-9.]*/host_ip=127.0.0.1/' >"$T/obsd.yml"
	cat "$T/obsd.yml"
	grep -q "snmpcol -c $T/etc/snmp.yml" "$T/obsd.yml"
	run grep -E '(^|[ =])/(etc|var/lib)/obs|192\.168' "$T/obsd.yml"
	[ "$status" -eq 1 ]
	PATH="$OBS_BIN:$PATH" "$OBS_BIN/obsd" -c "$T/obsd.yml" --run-dir "$T/var" \
		--stats-dir "$T/var" --stop-timeout 3s --backoff-max 2s \
		</dev/null >/dev/null 2>"$T/obsd.err" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	obs_track "$!" obsd
	# Two samples of every counter the dashboards rate(), at most 90 s.
	for m in storageIONReadX storageIONWrittenX ifHCInOctets ifHCOutOctets; do
		for ((i = 0; i < 180; i++)); do
			n=$(prom_query "min(count_over_time($m{instance=\"$nas\"}[1m]))" 2>/dev/null |
				jq -r '.data.result[0].value[1] // 0')
			[ "${n:-0}" -ge 2 ] && break
			sleep 0.5
		done
		if [ "${n:-0}" -lt 2 ]; then
			echo "no 2 samples of $m{instance=\"$nas\"}; obsd's log:" >&2
			tail -n 30 "$T/obsd.err" >&2
			return 1
		fi
	done
	# The target's labels and the seed's came through relabel.
	prom_wait_value "count(systemStatus{instance=\"$nas\",source=\"snmp\",device=\"nas\",cluster=\"homelab\",collector=\"obs\",host=\"observability\",host_ip=\"127.0.0.1\"})" 1
	# An SNMP expression names a metric of snmp.yml, or source="snmp".
	names=$(sed -n 's/^    - name: \([A-Za-z][A-Za-z0-9_]*\)$/\1/p' "$OBS_ROOT/share/snmp/snmp.yml" |
		sort -u | paste -sd'|')
	[ -n "$names" ]
	re="(^|[^A-Za-z0-9_:])($names)([^A-Za-z0-9_:]|\$)|source=\"snmp\""
	n=0 s=0
	: >"$T/empty"
	for f in "$GF"/*.json; do
		while IFS= read -r -d '' expr; do
			[ "$(basename "$f")" = synology.json ] && s=$((s + 1))
			if ! [[ $expr =~ $re ]]; then
				[ "$(basename "$f")" != synology.json ] ||
					echo "synology.json: names no series of snmp.yml: $expr" >>"$T/empty"
				continue
			fi
			q=${expr//\$\{instance\}/$nas}
			q=$(concrete "${q//\$instance/$nas}")
			code=$(run_query "$q" "$T/a.json")
			[ "$code" = 200 ]
			# every query names the NAS's instance, but aggregations
			# drop it: label_values(M, instance) must list it
			sel='.data.result | length'
			# shellcheck disable=SC2016 # jq's $i
			[[ $expr =~ ^label_values\( ]] &&
				sel='[.data.result[] | select(.metric.instance == $i)] | length'
			if [ "$(jq --arg i "$nas" "$sel" "$T/a.json")" -eq 0 ]; then
				echo "$(basename "$f"): no data for: $q" >>"$T/empty"
			fi
			echo "$(basename "$f"): $q"
			[ "$(basename "$f")" = synology.json ] && n=$((n + 1))
		done < <(dash_exprs "$f")
	done
	cat "$T/empty"
	# every expression of synology.json is an SNMP one, and was run
	echo "synology.json: $n of $s expressions"
	[ "$n" -ge 16 ]
	[ "$n" -eq "$s" ]
	[ ! -s "$T/empty" ]
}

@test "the pipeline's series carry the seed's labels in Prometheus" {
	need_feed
	# hostcol through relabel-metrics.yml
	prom_wait_value 'count(node_load1{host="obs-test",host_ip="127.0.0.1",cluster="homelab",collector="obs",source="node"})' 1
	# the suite's counters through hostcol's textfile collector
	prom_wait_value 'count(obs_rwsend_samples_sent_total{endpoint="prometheus",source="obs",host="obs-test",pipeline="host",member="rwsend"})' 1
	# obsd's own, with pipeline and member; the failing member restarted
	v=$(prom_value 'max(obs_obsd_member_restarts_total{pipeline="flaky",member="false",host="obs-test"})')
	[ "${v:-0}" -ge 1 ]
	prom_wait_value 'max(obs_obsd_member_last_exit_status{pipeline="flaky",member="false",host="obs-test"})' 1
	# scrapecol's target label
	prom_wait_value 'max(up{job="prometheus",source="prometheus",host="obs-test"})' 1
	# Several relabels and rwsends (one per pipeline) on one host:
	# each member's series name its pipeline and itself, so none writes
	# over another's.
	for p in host scrape logs; do
		[ -e "$FEED/stats/$p-relabel.prom" ]
		grep -q "^obs_relabel_lines_in_total{pipeline=\"$p\",member=\"relabel\"} " \
			"$FEED/stats/$p-relabel.prom"
	done
	prom_wait_value 'count(obs_relabel_lines_in_total{host="obs-test",member="relabel",pipeline=~"host|scrape|logs"})' 3 30
	prom_wait_value 'count(obs_rwsend_samples_sent_total{host="obs-test",endpoint="prometheus",member="rwsend",pipeline=~"host|scrape"})' 2 30
	v=$(prom_value 'min(obs_rwsend_samples_sent_total{host="obs-test",pipeline=~"host|scrape"})')
	[ "${v:-0}" -gt 0 ]
}
