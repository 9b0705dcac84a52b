#!/bin/sh
# deps.sh: installs the Debian 12 packages a group of make targets needs,
# only those that are missing.
#
# usage: sh tests/deps.sh [build] [test] [bench] [peers]
#
# As root with apt-get: installs what is missing (apt-get update first, only
# when something is missing).  Otherwise: prints what is missing and exits 1.
# Quiet when everything is present.

set -u

pkgs_build='make gcc clang pkg-config libyaml-dev libpcre2-dev
	libcurl4-openssl-dev zlib1g-dev libprotobuf-c-dev protobuf-c-compiler
	libsnmp-dev mandoc'
# libclang-rt-14-dev: clang's sanitizer and libFuzzer runtimes; procps:
# ps and pkill, for bats' per-test timeout; shellcheck for harness.bats;
# openssl makes scrapecol's TLS test certificates.  The real peers of
# snmpcol (snmpd, snmp, snmp_exporter), and of ctrcol and logtail (a Docker
# engine, Podman's Docker-compatible service, and busybox for their test
# image) come last.
pkgs_peers='snmpd snmp prometheus-snmp-exporter docker.io podman busybox-static'
pkgs_test="bats prometheus victoria-metrics prometheus-node-exporter
	protobuf-compiler python3-snappy python3 jq curl libclang-rt-14-dev
	procps shellcheck strace openssl $pkgs_peers"
# time: /usr/bin/time for CPU and peak RSS.
pkgs_bench='hyperfine valgrind time'

usage() {
	echo "usage: sh tests/deps.sh [build] [test] [bench] [peers]" >&2
	exit 2
}

[ $# -gt 0 ] || set -- build

want=
for g in "$@"; do
	case $g in
	build)        want="$want $pkgs_build" ;;
	test)         want="$want $pkgs_test" ;;
	bench)        want="$want $pkgs_bench" ;;
	peers|peers-later) want="$want $pkgs_peers" ;;
	-h|--help)    echo "usage: sh tests/deps.sh [build] [test] [bench] [peers]"; exit 0 ;;
	*)            echo "deps.sh: unknown group '$g'" >&2; usage ;;
	esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: no dpkg-query: not a Debian system; install the equivalents of:" >&2
	echo "$want" | tr -s ' \t\n' ' ' | sed 's/^ //' >&2
	echo >&2
	exit 1
fi

missing=
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || st=
	case $st in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
missing=${missing# }

[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: missing Debian packages: $missing" >&2
	echo "deps.sh: as root: apt-get install --no-install-recommends $missing" >&2
	exit 1
fi

echo "deps.sh: installing: $missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's prometheus packages try to start their services; without systemd
# that is a no-op, and our tests use their own high ports anyway.
apt-get update -q >&2 || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2 ||
	{ echo "deps.sh: apt-get install failed: $missing" >&2; exit 1; }
exit 0
