/* hostcol.h: what hostcol's collectors share: options, output, file helpers. */
#ifndef HOSTCOL_H
#define HOSTCOL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "buf.h"
#include "lineio.h"

/*
 * The output of one cycle: collectors add samples in any order; out_write()
 * sorts families by name and series by their label values in label-name
 * order (what client_golang's registry does) and writes one # HELP and
 * # TYPE per family, every sample stamped with the cycle time.
 */
enum out_type { OUT_UNTYPED, OUT_COUNTER, OUT_GAUGE, OUT_SUMMARY, OUT_HISTOGRAM };

struct out_fam {
	char *name;
	char *help;
	enum out_type type;
	char *meta;		/* "# HELP ...\n# TYPE ...", once formatted */
	size_t helplen, typelen;
};

/* A sample of this cycle: its series (a slot in out.c's series cache, which
 * holds the family, the labels and their text) and its value. */
struct out_sample {
	double v;
	uint32_t sid;
};

/* Parts of histograms and summaries, in the order they are written. */
enum { OUT_PLAIN, OUT_BUCKET, OUT_QUANTILE, OUT_SUM, OUT_COUNT };

struct out {
	struct out_fam *fams;
	size_t nfams, capfams;
	struct out_sample *s;
	size_t n, cap;
	struct buf key;		/* scratch: a new series' key */
	struct labels ls;	/* scratch for formatting a new series */
	struct buf metabuf;	/* scratch for # HELP and # TYPE lines */
};

void out_init(struct out *o);
void out_reset(struct out *o);
void out_free(struct out *o);
/*
 * Adds one sample to family name (created with help and type on first
 * use).  The variable part is label name/value pairs ending with NULL.
 * Returns -1 on ENOMEM.  The pairs reach out_addl() as an array (with
 * one more NULL, so that a missing one ends them too): cheaper to walk
 * than a va_list.
 */
#define out_add(o, name, help, type, v, ...) \
	out_addl((o), (name), (help), (type), (v), \
		 (const char *const[]){ __VA_ARGS__, NULL })
/* pairs: name, value (NULL is ""), ... up to a NULL name. */
int out_addl(struct out *o, const char *name, const char *help,
	     enum out_type type, double v, const char *const *pairs);
/* The same with arrays: names[i]=values[i], n pairs. */
int out_addv(struct out *o, const char *name, const char *help,
	     enum out_type type, double v, size_t n,
	     const char *const *names, const char *const *values);
/* For the textfile collector: kind says which part of a histogram or
 * summary this is (written as fam_bucket{le=bound}, fam{quantile=bound},
 * fam_sum, fam_count). */
int out_add_part(struct out *o, const char *fam, const char *help,
		 enum out_type type, int kind, double bound, double v,
		 size_t n, const char *const *names,
		 const char *const *values);
/* Forgets the samples added after out_mark() (a failed collector's). */
struct out_mark {
	size_t n;
};
struct out_mark out_mark(const struct out *o);
void out_rollback(struct out *o, struct out_mark m);
int out_write(struct out *o, struct lineio_writer *w, int64_t ts_ms);

/*
 * A node_exporter device filter: a sample is ignored when the exclude
 * pattern matches or the include pattern does not (Go regexp MatchString
 * semantics: unanchored unless the pattern anchors itself).
 */
struct filter {
	void *exclude;		/* pcre2_code * */
	void *include;
	void *md;
};

int filter_init(struct filter *f, const char *what, const char *exclude,
		const char *include);
int filter_ignored(struct filter *f, const char *s);
void filter_free(struct filter *f);
/* One compiled pattern for field filters; -1 and a log line if invalid. */
/*
 * Sends an rtnetlink dump request of type (RTM_GETLINK, RTM_GETNEIGH...)
 * with body and calls each on every message of the answer until
 * NLMSG_DONE; each returns -1 to stop with an error.  Errors are logged
 * with what; returns 0 or -1.
 */
struct nlmsghdr;
int netlink_dump(const char *what, int type, const void *body, size_t blen,
		 int (*each)(const struct nlmsghdr *, void *), void *arg);
/* The same on a netlink socket of another protocol (NETLINK_SOCK_DIAG). */
int netlink_dump_proto(const char *what, int proto, int type,
		       const void *body, size_t blen,
		       int (*each)(const struct nlmsghdr *, void *),
		       void *arg);
/*
 * A rtnetlink socket that joined the multicast groups (RTMGRP_LINK...),
 * so that it hears the kernel's notifications; -1 with errno.
 */
int netlink_open_groups(unsigned groups);
/*
 * netlink_dump on a socket of the caller's (from netlink_open_groups),
 * logging nothing: messages of the answer go to each, the others (the
 * notifications) and notifications lost to a full socket buffer
 * (ENOBUFS) are counted in *events.  Returns 0; -1 with errno when a
 * system call failed; -2 with errno the kernel's error answer; -3 when
 * each returned -1.  After an error the socket may hold a part of the
 * answer: the caller closes it.
 */
int netlink_dump_fd(int fd, int type, const void *body, size_t blen,
		    int (*each)(const struct nlmsghdr *, void *), void *arg,
		    unsigned *events);
int regex_compile(void **re, const char *what, const char *pattern);
int regex_match(void *re, const char *s, size_t n);
/*
 * regex_match for subjects that come in the same order every pass (the
 * field names of a /proc file): begin a pass with re, match each subject,
 * end the pass.  Answers are kept from the last pass, so a pass like it
 * runs no pattern.  Buffers start as SEQMATCH_INIT.
 */
struct seqmatch {
	void *re;
	struct buf prev, cur;
	size_t pos;
	int miss;	/* 1 out of step this pass, 2 and too big to keep */
};
#define SEQMATCH_INIT { NULL, BUF_INIT(1u << 20), BUF_INIT(1u << 20), 0, 0 }
void seqmatch_begin(struct seqmatch *sm, void *re);
int seqmatch_match(struct seqmatch *sm, const char *s, size_t n);
void seqmatch_end(struct seqmatch *sm);
void seqmatch_free(struct seqmatch *sm);
/* A fast hash for in-memory tables (not stable across versions). */
uint64_t hc_hash(const void *p, size_t n);
void regex_free(void *re);

/* The options of a run, set by main() from the command line. */
struct hc {
	const char *procfs;
	const char *sysfs;
	const char *rootfs;
	const char *udev;

	int cpu_guest;
	int cpu_info;
	const char *cpu_flags_include;
	const char *cpu_bugs_include;
	void *cpu_flags_re, *cpu_bugs_re;

	const char *diskstats_exclude;
	const char *diskstats_include;
	int diskstats_exclude_set;
	struct filter diskstats_filter;

	const char *fs_mp_exclude, *fs_mp_include;
	const char *fs_type_exclude, *fs_type_include;
	int fs_mp_exclude_set, fs_type_exclude_set;
	int64_t fs_mount_timeout_ms;
	struct filter fs_mp_filter, fs_type_filter;

	const char *netdev_include, *netdev_exclude;
	int netdev_netlink;
	int netdev_detailed;
	struct filter netdev_filter;

	const char *netstat_fields;
	void *netstat_re;
	const char *vmstat_fields;
	void *vmstat_re;

	int stat_softirq;

	const char *hwmon_chip_include, *hwmon_chip_exclude;
	const char *hwmon_sensor_include, *hwmon_sensor_exclude;
	struct filter hwmon_chip_filter, hwmon_sensor_filter;

	const char **textfile_dirs;
	size_t ntextfile_dirs;

	int cpufreq_on;		/* node_cpu_frequency_hertz from cpuinfo */

	const char *arp_include, *arp_exclude;
	int arp_netlink;
	struct filter arp_filter;

	const char *netclass_ignored;
	int netclass_ignore_invalid_speed;
	int netclass_netlink;		/* links from rtnetlink, not sysfs */
	int netclass_rtnl_stats;	/* and their counters */
	void *netclass_ignored_re;

	const char *intr_include, *intr_exclude;
	int intr_include_zeros;
	struct filter intr_filter;

	const char *ps_ignored;
	void *ps_ignored_re;

	const char *ib_include, *ib_exclude;
	struct filter ib_filter;

	const char *ipvs_labels;
	int ipvs_label_idx[6];
	int ipvs_nlabels;

	int bcache_priority;

	const char *tape_ignored;
	void *tape_ignored_re;

	int rapl_zone_label;

	const char *dmi_names[20];
	char *dmi_values[20];
	size_t dmi_n;
	int dmi_failed;

	int selinux_state;	/* 0 not known yet, 1 on, -1 off */
	char selinux_mnt[4096];
};

/* A collector: update() adds its samples and returns HC_OK, HC_NODATA
 * (nothing to report: success 0, not logged) or HC_FAIL (logged). */
enum { HC_OK = 0, HC_FAIL = -1, HC_NODATA = -2 };

struct collector {
	const char *name;
	int on_by_default;
	int (*init)(struct hc *hc);	/* once, before the first cycle; may be NULL */
	int (*update)(struct hc *hc, struct out *o);
	int enabled;
};

extern struct collector collectors[];
extern const size_t ncollectors;

/* Collectors, one per file (or group). */
int cpu_init(struct hc *hc);
int cpu_update(struct hc *hc, struct out *o);
int cpufreq_update(struct hc *hc, struct out *o);
int diskstats_init(struct hc *hc);
int diskstats_update(struct hc *hc, struct out *o);
int filesystem_init(struct hc *hc);
int filesystem_update(struct hc *hc, struct out *o);
/* Queues the cycle's statfs calls ahead of filesystem_update's turn. */
void filesystem_start(struct hc *hc);
int loadavg_update(struct hc *hc, struct out *o);
int meminfo_update(struct hc *hc, struct out *o);
int netdev_init(struct hc *hc);
int netdev_update(struct hc *hc, struct out *o);
void netdev_cleanup(void);
int netstat_init(struct hc *hc);
int netstat_update(struct hc *hc, struct out *o);
int stat_update(struct hc *hc, struct out *o);
int time_update(struct hc *hc, struct out *o);
int uname_update(struct hc *hc, struct out *o);
int vmstat_init(struct hc *hc);
int vmstat_update(struct hc *hc, struct out *o);
int pressure_update(struct hc *hc, struct out *o);
int hwmon_init(struct hc *hc);
int hwmon_update(struct hc *hc, struct out *o);
int thermal_zone_update(struct hc *hc, struct out *o);
int textfile_update(struct hc *hc, struct out *o);
int entropy_update(struct hc *hc, struct out *o);
int filefd_update(struct hc *hc, struct out *o);
int conntrack_update(struct hc *hc, struct out *o);
int schedstat_update(struct hc *hc, struct out *o);
int softnet_update(struct hc *hc, struct out *o);
int arp_init(struct hc *hc);
int arp_update(struct hc *hc, struct out *o);
int mdadm_update(struct hc *hc, struct out *o);
int netclass_init(struct hc *hc);
int netclass_update(struct hc *hc, struct out *o);
int netclass_rtnl_update(struct hc *hc, struct out *o);
int os_update(struct hc *hc, struct out *o);
int kernel_hung_update(struct hc *hc, struct out *o);
int interrupts_init(struct hc *hc);
int interrupts_update(struct hc *hc, struct out *o);
int powersupply_init(struct hc *hc);
int powersupply_update(struct hc *hc, struct out *o);
int processes_update(struct hc *hc, struct out *o);
int sockstat_update(struct hc *hc, struct out *o);
int timex_update(struct hc *hc, struct out *o);
int udp_queues_update(struct hc *hc, struct out *o);
int zfs_update(struct hc *hc, struct out *o);
int selinux_update(struct hc *hc, struct out *o);
int tcpstat_update(struct hc *hc, struct out *o);
int bonding_update(struct hc *hc, struct out *o);
int nvme_update(struct hc *hc, struct out *o);
int cpu_vulnerabilities_update(struct hc *hc, struct out *o);
int rapl_update(struct hc *hc, struct out *o);
int dmi_init(struct hc *hc);
int dmi_update(struct hc *hc, struct out *o);
void dmi_cleanup(struct hc *hc);
int edac_update(struct hc *hc, struct out *o);
int watchdog_update(struct hc *hc, struct out *o);
int tapestats_init(struct hc *hc);
int tapestats_update(struct hc *hc, struct out *o);
int fibrechannel_update(struct hc *hc, struct out *o);
int bcache_update(struct hc *hc, struct out *o);
int ipvs_init(struct hc *hc);
int ipvs_update(struct hc *hc, struct out *o);
int xfs_update(struct hc *hc, struct out *o);
int btrfs_update(struct hc *hc, struct out *o);
int nfs_update(struct hc *hc, struct out *o);
int infiniband_init(struct hc *hc);
int infiniband_update(struct hc *hc, struct out *o);
int nfsd_update(struct hc *hc, struct out *o);

/* What the collectors keep across cycles, released at exit. */
void cpu_cleanup(void);
void filesystem_cleanup(void);
void textfile_cleanup(void);
void netstat_cleanup(void);
void vmstat_cleanup(void);
void meminfo_cleanup(void);
void diskstats_cleanup(void);
void netlink_cleanup(void);
void time_cleanup(void);
/* Frees every pattern and filter of hc, and the shared match data. */
void hc_cleanup(struct hc *hc);

/*
 * Pure parsers of /proc files, each taking the file's bytes (for the
 * fuzzers and the corrupt-file tests): they return 0, or -1 on a malformed
 * file, and never read past len.
 */
int loadavg_parse(const char *p, size_t len, double load[3]);
int meminfo_parse(const char *p, size_t len, struct out *o);
int vmstat_parse(const char *p, size_t len, void *re, struct out *o);
int stat_parse(const char *p, size_t len, int softirq, struct out *o);
int netstat_parse(const char *netstat, size_t nlen, const char *snmp,
		  size_t slen, const char *snmp6, size_t s6len, void *re,
		  struct out *o);
int diskstats_parse(const char *p, size_t len, struct hc *hc,
		    struct out *o);
int pressure_parse(const char *p, size_t len, double *some, double *full);
int filefd_parse(const char *p, size_t len, double *allocated, double *maximum);
int conntrack_stat_parse(const char *p, size_t len, uint64_t sum[17]);
int schedstat_parse(const char *p, size_t len, struct out *o);
int softnet_parse(const char *p, size_t len, struct out *o);
/* Entries of /proc/net/arp: the number of devices, or -1. */
int arp_proc_count(const char *p, size_t len);
int mdstat_parse(const char *p, size_t len, struct out *o);
int sockstat_parse(const char *p, size_t len, int ipv4, long pagesize,
		   struct out *o);
int udp_queues_parse(const char *p, size_t len, uint64_t *tx, uint64_t *rx);
/* /proc/<pid>/stat: state (NUL-terminated) and num_threads. */
int procstat_parse(const char *p, size_t len, char state[64],
		   int64_t *threads);
/* /proc/interrupts; hc and o may be NULL (syntax only). */
int interrupts_parse(const char *p, size_t len, struct hc *hc,
		     struct out *o);
/* zfs kstat files: sub is the family prefix (zfs_arc), file the kstat
 * file's name for HELP; pool and objset files of one pool. */
int zfs_kstat_parse(const char *p, size_t len, const char *sub,
		    const char *file, struct out *o);
int zfs_io_parse(const char *p, size_t len, const char *pool, struct out *o);
int zfs_objset_parse(const char *p, size_t len, const char *pool,
		     struct out *o);
/* os-release into 13 bufs (BUILD_ID ... VERSION_ID, SUPPORT_END). */
int os_release_parse(const char *p, size_t len, struct buf *v);

/* Files: paths under a root, whole-file reads with a cap, small values. */
#define HC_FILE_MAX (16 * 1024 * 1024)
/* Joins root and rel into dst (size PATH_MAX); -1 if too long. */
int hc_path(char *dst, size_t size, const char *root, const char *rel);
/* Reads a whole file into b (reset first); -1 with errno.  Files of procfs
 * and sysfs stay open for the next cycle (hc_fd_cache_free closes them). */
void hc_fd_cache_free(void);
int hc_read(const char *path, struct buf *b);
/* hc_read of an fd kept open by its caller, from offset 0 (pread). */
int hc_read_fd(int fd, struct buf *b);
/* hc_read for a procfs file that one show() makes whole (util.c). */
int hc_read_whole(const char *path, struct buf *b);
/* Reads a sysfs value, trimmed of surrounding white space. */
int hc_read_str(const char *path, struct buf *b);
int hc_read_u64(const char *path, uint64_t *v);
int hc_read_i64(const char *path, int64_t *v);

/* Fields of a line: splits p[0..len) on blanks into at most max fields. */
struct field {
	const char *p;
	size_t n;
};
size_t hc_fields(const char *p, size_t len, struct field *f, size_t max);
/* Next line of [*pos, len): returns 0 at the end. */
int hc_line(const char *p, size_t len, size_t *pos, const char **line,
	    size_t *llen);
int hc_field_u64(const struct field *f, uint64_t *v);
int hc_field_f64(const struct field *f, double *v);
/* Go's strconv.ParseInt(s, 0, 64): sign, 0x/0o/0b/0 prefixes. */
int hc_parse_int0(const char *s, size_t n, int64_t *v);
/* Go's strconv.ParseUint(s, 0, 64) (procfs' ValueParser): 0x, 0o, 0b
 * and 0 prefixes, no sign (underscores, which Go allows there, are not). */
int hc_parse_u64_0(const char *s, size_t n, uint64_t *v);
/* Go's strconv.ParseFloat grammar for a field, as ParseFloat(s, 64). */
int hc_parse_f64(const char *s, size_t n, double *v);

/*
 * The run of decimal digits at p (before end) as a number: its length, or
 * 0 when there is none or more than 19 (which may not fit).  For the
 * parsers that read a file laid out as last cycle: such a run is what
 * parse_u64 reads, and hc_parse_f64 too when at most 15 digits long.
 */
static inline size_t hc_scan_u64(const char *p, const char *end,
				 uint64_t *v)
{
	const char *s = p;
	uint64_t u = 0;

	while (p < end && (unsigned char)(*p - '0') < 10) {
		u = u * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (p == s || p - s > 19)
		return 0;
	*v = u;
	return (size_t)(p - s);
}
/*
 * The same for digits that a byte other than a digit is known to follow
 * (a file that ends in '\n'): their count, and their value when at most
 * 19.  No bound to check a byte: the loop of the fast paths.
 */
static inline size_t hc_digits(const char *p, uint64_t *v)
{
	const char *s = p;
	uint64_t u = 0;
	unsigned d;

	while ((d = (unsigned)((unsigned char)*p - '0')) < 10) {
		u = u * 10 + d;
		p++;
	}
	*v = u;
	return (size_t)(p - s);
}
/*
 * The length of the run of digits at p (before end), not converted: for
 * a number a layout only needs to be one (a value not emitted).  Eight
 * bytes at a time while eight are left, as hc_digits_wide finds them.
 */
static inline size_t hc_digits_len(const char *p, const char *end)
{
	const char *s = p;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t a, m;

	while (end - p >= 8) {
		memcpy(&a, p, 8);
		a ^= 0x3030303030303030ull;
		m = ((a + 0x7676767676767676ull) | a) & 0x8080808080808080ull;
		if (m)
			return (size_t)(p - s) +
			       ((unsigned)__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < end && (unsigned char)(*p - '0') < 10)
		p++;
	return (size_t)(p - s);
}
/*
 * hc_digits eight bytes at a time, for numbers of many digits (meminfo's,
 * vmstat's): a word's leading digits are found and converted without a
 * loop.  16 bytes must be left at p, else it is hc_digits.
 */
static inline size_t hc_digits_wide(const char *p, const char *end,
				    uint64_t *v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	static const uint64_t pow10[8] = { 1, 10, 100, 1000, 10000, 100000,
					   1000000, 10000000 };
	const uint64_t zeros = 0x3030303030303030ull;
	uint64_t a, b, m, x;
	unsigned n, k;

	if (end - p < 16)
		return hc_digits(p, v);
	/* A byte of a ^ '0' is a digit's value when below 10: adding 0x76
	 * sets the high bit of every other byte (a carry goes only from a
	 * byte that is no digit into the ones after it). */
	memcpy(&a, p, 8);
	a ^= zeros;
	m = ((a + 0x7676767676767676ull) | a) & 0x8080808080808080ull;
	n = m ? (unsigned)__builtin_ctzll(m) >> 3 : 8;
	if (n == 0) {
		*v = 0;
		return 0;
	}
	/* The n digits to the top, the first in the lowest byte; then
	 * pairs, fours and eights of digits summed up. */
	x = a << (8 * (8 - n));
	x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFull;
	x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFFull;
	x = (x * 10000 + (x >> 32)) & 0xFFFFFFFFull;
	if (n < 8) {
		*v = x;
		return n;
	}
	memcpy(&b, p + 8, 8);
	b ^= zeros;
	m = ((b + 0x7676767676767676ull) | b) & 0x8080808080808080ull;
	k = m ? (unsigned)__builtin_ctzll(m) >> 3 : 8;
	if (k == 8)
		return hc_digits(p, v);
	if (k > 0) {
		b <<= 8 * (8 - k);
		b = (b * 10 + (b >> 8)) & 0x00FF00FF00FF00FFull;
		b = (b * 100 + (b >> 16)) & 0x0000FFFF0000FFFFull;
		b = (b * 10000 + (b >> 32)) & 0xFFFFFFFFull;
	}
	*v = x * pow10[k] + (k ? b : 0);
	return 8 + k;
#else
	(void)end;
	return hc_digits(p, v);
#endif
}
/* n bytes at a and b are equal: for a name of a layout, a word at a
 * time (the last one overlapping), never reading past n; memcmp for
 * what is too short or long for that to pay (a line of names). */
static inline int hc_memeq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	uint64_t u, w;
	size_t i;

	if (n < 8 || n > 64)
		return memcmp(a, b, n) == 0;
	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&u, x + i, 8);
		memcpy(&w, y + i, 8);
		if (u != w)
			return 0;
	}
	memcpy(&u, x + n - 8, 8);
	memcpy(&w, y + n - 8, 8);
	return u == w;
}
/*
 * How many of the n bytes at a and b are equal before the first that
 * differs: a file against its text of last cycle, where most of it is
 * the same, a word at a time.
 */
static inline size_t hc_same_len(const char *a, const char *b, size_t n)
{
	size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t u, w, x, y;
#endif

#if defined(__SSE2__)
	/* 32 bytes a step while equal (every x86-64 has SSE2); the words
	 * below find where in them the difference is. */
	for (; i + 32 <= n; i += 32) {
		const __m128i *pa = (const void *)(a + i);
		const __m128i *pb = (const void *)(b + i);
		__m128i lo = _mm_cmpeq_epi8(_mm_loadu_si128(pa),
					    _mm_loadu_si128(pb));
		__m128i hi = _mm_cmpeq_epi8(_mm_loadu_si128(pa + 1),
					    _mm_loadu_si128(pb + 1));

		if (_mm_movemask_epi8(_mm_and_si128(lo, hi)) != 0xffff)
			break;
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; i + 16 <= n; i += 16) {
		memcpy(&u, a + i, 8);
		memcpy(&w, b + i, 8);
		memcpy(&x, a + i + 8, 8);
		memcpy(&y, b + i + 8, 8);
		if ((u ^ w) | (x ^ y))
			break;
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(&u, a + i, 8);
		memcpy(&w, b + i, 8);
		if (u != w)
			return i + ((unsigned)__builtin_ctzll(u ^ w) >> 3);
	}
#endif
	while (i < n && a[i] == b[i])
		i++;
	return i;
}
/*
 * A file's text as the last whole pass of a parser read it, for the next
 * cycle to compare with (meminfo, vmstat, diskstats, netstat, snmp6):
 * lines byte for byte the same as then were checked then and their
 * numbers stand, so a parser checks only the lines that differ.  at[0..n]
 * are where its n lines start (at[n], its length) and next[] where this
 * cycle's do; fresh says there is no text to compare with (a new layout,
 * a pass that failed, or one not kept).
 */
struct hc_last {
	struct buf text;
	size_t *at, *next;
	int fresh;
};
#define HC_LAST_INIT { BUF_INIT(HC_FILE_MAX), NULL, NULL, 1 }

/* Room for cap lines: 0, or -1. */
int hc_last_reserve(struct hc_last *l, size_t cap);
/* Reads the n lines of p (len bytes, ending in '\n') with check, which
 * checks line i at s (the file ends at e) against its layout, reads its
 * numbers and returns its length, or 0 when it is not as laid out.  Lines
 * that are last cycle's are passed over.  0 when every line was read and
 * p ends with the last (p is then kept, as hc_last_keep() keeps it), else
 * -1. */
int hc_last_read(struct hc_last *l, struct buf *rd, const char *p,
		 size_t len, size_t n,
		 size_t (*check)(size_t i, const char *s, const char *e));
/* The pass over all n lines of p read them: p is what the next cycle is
 * compared with.  When p is rd's text (the collector's read buffer), the
 * two trade memory instead of a copy: the caller must not read rd after. */
void hc_last_keep(struct hc_last *l, struct buf *rd, const char *p,
		  size_t len, size_t n);
void hc_last_free(struct hc_last *l);
/* A decimal u64 as text into dst (at least 21 bytes): its length. */
size_t hc_u64_str(char *dst, uint64_t v);

/* Sorted directory listing (names only, no "." or ".."); -1 with errno. */
struct names {
	char **v;
	size_t n;
};
int hc_list(const char *dir, struct names *out);
/* The devices of sysfs' class/CLASS, its path in dir (size bytes): HC_OK,
 * HC_NODATA when the class is absent, HC_FAIL logged as coll's error. */
int hc_list_class(const struct hc *hc, const char *cls, const char *coll,
		  char *dir, size_t size, struct names *out);
/* Names of dir matching prefix followed by a digit (glob "prefix[0-9]*"). */
int hc_list_prefix(const char *dir, const char *prefix, struct names *out);
void hc_names_free(struct names *n);
/* hc_list_prefix, the listing shared by every caller of the same cycle
 * (not to be freed); NULL with errno.  hc_cycle_begin starts a cycle. */
const struct names *hc_list_prefix_shared(const char *dir,
					  const char *prefix);
void hc_cycle_begin(void);
/* hc_read_whole, access(F_OK) and hc_list for files whose presence is a
 * property of the kernel and its drivers: a miss (ENOENT) is remembered
 * for a while (util.c), so a cycle does not look for them again; a
 * directory of sysfs listed so stays open (rewound each time). */
int hc_read_fixed(const char *path, struct buf *b);
int hc_exists_fixed(const char *path);
int hc_list_fixed(const char *dir, const char *prefix, struct names *out);
/* Whether path is known missing now (no system call); a path found
 * missing, for hc_absent to remember. */
int hc_absent(const char *path);
void hc_note_absent(const char *path);
/* hc_read_whole, but a second read of the same path in a cycle gets the
 * bytes of the first (for a file two collectors read: /proc/stat). */
int hc_read_shared(const char *path, struct buf *b);

/* snprintf that says -1 when it had to cut (and always terminates). */
int hc_fmt(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* a, then bn bytes of b, then c into dst: the length, or -1 (and dst
 * untouched) when it does not fit; hc_fmt's job without the format. */
int hc_join3(char *dst, size_t size, const char *a, const char *b,
	     size_t bn, const char *c);

/* Sorts strings as Go's sort.Strings does (byte order). */
void hc_sort_strings(char **v, size_t n);

/* /proc/net/rpc/nfs and nfsd; and what both use: a "key v1 v2 ..." line
 * of unsigned values (at most max), a key test, a procN count check. */
#define NFS_MAX_VALUES 256
int nfs_parse(const char *p, size_t len, struct out *o);
int nfsd_parse(const char *p, size_t len, struct out *o);
int nfs_values(const char *line, size_t llen, struct field *key,
	       uint64_t *v, size_t max, size_t *n);
int nfs_key_is(const struct field *f, const char *s);
int nfs_proc_ok(const uint64_t *v, size_t n, size_t min);
/* An InfiniBand port's state file ("4: ACTIVE") and rate file. */
int infiniband_state_parse(const char *p, size_t len, uint64_t *id);
int infiniband_rate_parse(const char *p, size_t len, uint64_t *rate);
/* A btrfs commit_stats file: commits, last, max and total commit ms. */
int btrfs_commit_parse(const char *p, size_t len, uint64_t v[4]);
/* An XFS stats file into the values node_exporter reports. */
#define XFS_NVALUES 39
int xfs_parse(const char *p, size_t len, double v[XFS_NVALUES]);
/* /proc/net/ip_vs_stats totals; /proc/net/ip_vs backends, labelled with
 * the label indexes idx (of local_address, local_port, remote_address,
 * remote_port, proto, local_mark), into a malloc'd array. */
#define IPVS_NLABELS 6
struct ipvs_backend;
int ipvs_stats_parse(const char *p, size_t len, uint64_t v[5]);
int ipvs_backends_parse(const char *p, size_t len, const int *idx,
			size_t nidx, struct ipvs_backend **out, size_t *nout);
/* bcache's human-readable numbers ("1.2M", 2^10 multiples, fractions in
 * 1024ths); writeback_rate_debug (rate, target, proportional, integral,
 * change) and priority_stats (unused, metadata percent). */
int bcache_dehumanize(const char *s, size_t n, uint64_t *out);
int bcache_writeback_parse(const char *p, size_t len, double v[5]);
int bcache_priority_parse(const char *p, size_t len, double v[2]);
/* A CPU vulnerability file's text into its state and mitigation. */
int vuln_parse(const char *p, size_t len, const char **state, char *mit,
	       size_t size);
/* Invalid UTF-8 runs of s[0..n) made U+FFFD into dst (size > 3). */
void dmi_valid_utf8(const char *s, size_t n, char *dst, size_t size);
/* One sock_diag answer (struct inet_diag_msg) added to the sums of
 * tcpstat.c; -1 if too short. */
struct tcpstat_sum;
int tcpstat_msg(const void *p, size_t len, struct tcpstat_sum *s);
/* SELINUX= of /etc/selinux/config: 1 enforcing, 0 permissive, -1 else. */
int selinux_config_mode(const char *p, size_t len);

#endif
