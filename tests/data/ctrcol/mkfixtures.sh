#!/bin/sh
# mkfixtures.sh: builds ctrcol's cgroup fixture trees (v1 split cgroupfs,
# v1 joined cpu,cpuacct with the systemd layout, v2 unified) from the file
# formats in the kernel's Documentation/admin-guide/cgroup-v1/*.rst and
# cgroup-v2.rst, and Podman's cgroup layouts (pm).  Run from tests/data/ctrcol; the trees are committed.
set -eu
ID=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
GONE=fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210

w() { mkdir -p "$(dirname "$1")"; printf '%b' "$2" >"$1"; }

proc() {
	p=$1/proc
	w "$p/cpuinfo" 'processor\t: 0\nmodel name\t: Test\n\nprocessor\t: 1\nmodel name\t: Test\n\n'
	w "$p/meminfo" 'MemTotal:        2048000 kB\nMemFree:          1024000 kB\n'
	hdr='Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n'
	w "$p/1/net/dev" "$hdr"'    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n  eth0: 9000000    7000    1    2    0     0          0         0  8000000    6000    3    4    0     0       0          0\ndocker0:     500       5    0    0    0     0          0         0      600       6    0    0    0     0       0          0\nveth1a2b3c:     700       7    0    0    0     0          0         0      800       8    0    0    0     0       0          0\n'
	w "$p/4242/net/dev" "$hdr"'    lo:      10       1    0    0    0     0          0         0       10       1    0    0    0     0       0          0\n  eth0:  123456     789    5    6    0     0          0         0    65432     321    7    8    0     0       0          0\n'
	mkdir -p "$p/1/ns" "$p/4242/ns" "$p/300/ns"
	ln -sfn 'net:[4026531840]' "$p/1/ns/net"
	# a service in the host's network namespace: no network series
	ln -sfn 'net:[4026531840]' "$p/300/ns/net"
	mkdir -p "$p/300/net" && cp "$p/1/net/dev" "$p/300/net/dev"
	ln -sfn 'net:[4026532999]' "$p/4242/ns/net"
	w "$1/sys/dev/block/8:0/uevent" 'MAJOR=8\nMINOR=0\nDEVNAME=sda\nDEVTYPE=disk\n'
	w "$1/sys/dev/block/253:0/uevent" 'MAJOR=253\nMINOR=0\nDEVNAME=dm-0\nDEVTYPE=disk\n'
}

rm -rf v1 v1j v2 pm

# --- v2: unified, systemd layout --------------------------------------------
proc v2
c=v2/sys/fs/cgroup
w $c/cgroup.controllers 'cpuset cpu io memory hugetlb pids rdma misc\n'
w $c/cgroup.procs '1\n'
w $c/cpu.stat 'usage_usec 900000000\nuser_usec 600000000\nsystem_usec 300000000\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n'
w $c/system.slice/cgroup.procs '300\n301\n'
w $c/system.slice/cpu.stat 'usage_usec 5000000\nuser_usec 3000000\nsystem_usec 2000000\n'
w $c/system.slice/memory.current '73400320\n'
d=$c/system.slice/docker-$ID.scope
w $d/cgroup.procs '4242\n4243\n'
w $d/cpu.stat 'usage_usec 12345678\nuser_usec 10000000\nsystem_usec 2345678\nnr_periods 500\nnr_throttled 20\nthrottled_usec 1500000\nnr_bursts 0\nburst_usec 0\n'
w $d/cpu.max '50000 100000\n'
w $d/cpu.weight '100\n'
w $d/memory.current '104857600\n'
w $d/memory.peak '209715200\n'
w $d/memory.max '268435456\n'
w $d/memory.low '0\n'
w $d/memory.swap.current '4096\n'
w $d/memory.swap.max 'max\n'
w $d/memory.events 'low 0\nhigh 0\nmax 3\noom 0\noom_kill 0\noom_group_kill 0\n'
w $d/memory.stat 'anon 52428800\nfile 41943040\nkernel 1048576\nkernel_stack 65536\npagetables 131072\nsec_pagetables 0\npercpu 0\nsock 0\nvmalloc 0\nshmem 0\nfile_mapped 8388608\nfile_dirty 4096\nfile_writeback 0\nswapcached 0\nanon_thp 0\ninactive_anon 40000000\nactive_anon 12428800\ninactive_file 20971520\nactive_file 20971520\nunevictable 0\nslab_reclaimable 0\nslab_unreclaimable 0\nslab 0\npgfault 1000\npgmajfault 1\n'
w $d/io.stat '8:0 rbytes=1048576 wbytes=2097152 rios=16 wios=32 dbytes=0 dios=0\n253:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n'
w $d/pids.current '7\n'
w $d/pids.max '100\n'
# a container that went away between the listing and the reading: only
# files ctrcol does not read are left
w $c/system.slice/docker-$GONE.scope/cgroup.events 'populated 0\nfrozen 0\n'

# --- v1: split cpu and cpuacct, cgroupfs layout -----------------------------
proc v1
c=v1/sys/fs/cgroup
w $c/cpu/cpu.shares '1024\n'
w $c/cpuacct/cpuacct.usage '900000000000\n'
w $c/cpuacct/cpuacct.stat 'user 60000\nsystem 30000\n'
w $c/memory/memory.usage_in_bytes '1073741824\n'
w $c/pids/cgroup.procs '1\n'
w $c/cpu/docker/$ID/cpu.stat 'nr_periods 700\nnr_throttled 30\nthrottled_time 2500000000\nnr_bursts 0\nburst_time 0\n'
w $c/cpu/docker/$ID/cpu.shares '512\n'
w $c/cpu/docker/$ID/cpu.cfs_period_us '100000\n'
w $c/cpu/docker/$ID/cpu.cfs_quota_us '25000\n'
w $c/cpuacct/docker/$ID/cpuacct.usage '5000000000\n'
w $c/cpuacct/docker/$ID/cpuacct.stat 'user 300\nsystem 150\n'
m=$c/memory/docker/$ID
w $m/memory.usage_in_bytes '157286400\n'
w $m/memory.max_usage_in_bytes '167772160\n'
w $m/memory.failcnt '2\n'
w $m/memory.limit_in_bytes '268435456\n'
w $m/memory.soft_limit_in_bytes '9223372036854771712\n'
w $m/memory.memsw.limit_in_bytes '536870912\n'
w $m/memory.use_hierarchy '1\n'
w $m/memory.stat 'cache 50000000\nrss 90000000\nrss_huge 0\nshmem 0\nmapped_file 1000000\ndirty 0\nwriteback 0\nswap 0\npgpgin 100\npgpgout 50\npgfault 200\npgmajfault 0\ninactive_anon 0\nactive_anon 90000000\ninactive_file 30000000\nactive_file 20000000\nunevictable 0\nhierarchical_memory_limit 268435456\nhierarchical_memsw_limit 536870912\ntotal_cache 52428800\ntotal_rss 94371840\ntotal_rss_huge 0\ntotal_shmem 0\ntotal_mapped_file 2097152\ntotal_dirty 0\ntotal_writeback 0\ntotal_swap 1048576\ntotal_pgpgin 100\ntotal_pgpgout 50\ntotal_pgfault 200\ntotal_pgmajfault 0\ntotal_inactive_anon 0\ntotal_active_anon 94371840\ntotal_inactive_file 31457280\ntotal_active_file 20971520\ntotal_unevictable 0\n'
b=$c/blkio/docker/$ID
w $b/blkio.bfq.io_service_bytes_recursive 'Total 0\n'
w $b/blkio.bfq.io_serviced_recursive 'Total 0\n'
w $b/blkio.throttle.io_service_bytes_recursive '8:0 Read 4096\n8:0 Write 10485760\n8:0 Sync 10489856\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 10489856\nTotal 10489856\n'
w $b/blkio.throttle.io_serviced_recursive '8:0 Read 1\n8:0 Write 160\n8:0 Sync 161\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 161\nTotal 161\n'
w $c/pids/docker/$ID/cgroup.procs '4242\n'
w $c/pids/docker/$ID/pids.current '3\n'
w $c/pids/docker/$ID/pids.max 'max\n'
w $c/cpu/docker/$GONE/notify_on_release '0\n'

# --- v1j: cpu and cpuacct joined, systemd layout ----------------------------
proc v1j
c=v1j/sys/fs/cgroup
d='cpu,cpuacct/system.slice/docker-'$ID.scope
w "$c/$d/cpuacct.usage" '7000000000\n'
w "$c/$d/cpuacct.stat" 'user 500\nsystem 200\n'
w "$c/$d/cpu.stat" 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n'
w "$c/$d/cpu.shares" '1024\n'
w "$c/$d/cpu.cfs_period_us" '100000\n'
w "$c/$d/cpu.cfs_quota_us" '-1\n'
w "$c/$d/cgroup.procs" '4242\n'
w "$c/memory/system.slice/docker-$ID.scope/memory.usage_in_bytes" '1048576\n'
w "$c/memory/system.slice/docker-$ID.scope/memory.stat" 'total_inactive_file 524288\n'

# --- pm: Podman's layouts on cgroup v2 ----------------------------------------
# rootful with the systemd manager (machine.slice, conmon in its own
# libpod-conmon-ID.scope), rootless (the user's systemd instance), and the
# cgroupfs manager (libpod_parent/libpod-ID, conmon in libpod_parent/conmon)
ID2=1111111111111111111111111111111111111111111111111111111111111111
ID3=2222222222222222222222222222222222222222222222222222222222222222
proc pm
c=pm/sys/fs/cgroup
w $c/cgroup.controllers 'cpu io memory pids\n'
for d in machine.slice/libpod-$ID.scope machine.slice/libpod-conmon-$ID.scope \
	user.slice/user-1000.slice/user@1000.service/user.slice/libpod-$ID2.scope \
	user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-$ID2.scope \
	libpod_parent/libpod-$ID3 libpod_parent/conmon; do
	w $c/$d/memory.current '1048576\n'
	w $c/$d/cpu.stat 'usage_usec 1000000\nuser_usec 600000\nsystem_usec 400000\n'
done
# not containers: a bad ID, a scope below a container's
w $c/machine.slice/libpod-0123.scope/memory.current '4096\n'
w $c/machine.slice/libpod-$ID.scope/init.scope/memory.current '4096\n'
