/* cpu.c: the cpu collector (/proc/stat, /proc/cpuinfo, cpu topology in sysfs) and the cpufreq collector. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

#define USER_HZ 100.0
/* An idle counter that goes back this far means a hotplugged CPU. */
#define JUMP_BACK_SECONDS 3.0

enum { M_USER, M_NICE, M_SYSTEM, M_IDLE, M_IOWAIT, M_IRQ, M_SOFTIRQ,
       M_STEAL, M_GUEST, M_GUEST_NICE, M_N };

static const char *const mode_names[] = {
	"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
};

struct cpu_state {
	int64_t id;
	double v[M_N];
	int seen;
	char num[24];		/* id as the cpu label */
};

/* Counters kept across cycles so they never go backwards, as node_exporter
 * keeps them. */
static struct cpu_state *cpus;
static size_t ncpus, capcpus;

static struct cpu_state *cpu_state_get(int64_t id)
{
	size_t i;

	for (i = 0; i < ncpus; i++)
		if (cpus[i].id == id)
			return &cpus[i];
	if (ncpus == capcpus) {
		size_t cap = capcpus ? capcpus * 2 : 64;
		struct cpu_state *n = realloc(cpus, cap * sizeof(*n));

		if (!n)
			return NULL;
		cpus = n;
		capcpus = cap;
	}
	memset(&cpus[ncpus], 0, sizeof(cpus[ncpus]));
	cpus[ncpus].id = id;
	hc_u64_str(cpus[ncpus].num, (uint64_t)id);
	return &cpus[ncpus++];
}

static void cpu_state_apply(struct cpu_state *s, const double *n)
{
	size_t i;

	if (s->v[M_IDLE] - n[M_IDLE] >= JUMP_BACK_SECONDS)
		memset(s->v, 0, sizeof(s->v));
	for (i = 0; i < M_N; i++)
		if (n[i] >= s->v[i])
			s->v[i] = n[i];
}

/*
 * The isolated CPUs are set at boot (isolcpus=): node_exporter reads the
 * file once, when its collector starts, and so does the first cycle here
 * that reads it whole; later cycles repeat what it found.  A file that is
 * missing or unreadable is asked again next cycle, a malformed one fails
 * each cycle.
 */
static struct {
	int known;
	size_t n;
	uint16_t *cpu;		/* n isolated CPUs, ascending */
} isolated;

/* /proc/stat as read this cycle, kept for the next. */
static struct buf cpu_buf = BUF_INIT(HC_FILE_MAX);

void cpu_cleanup(void)
{
	buf_free(&cpu_buf);
	free(isolated.cpu);
	memset(&isolated, 0, sizeof(isolated));
	free(cpus);
	cpus = NULL;
	ncpus = capcpus = 0;
}

int cpu_init(struct hc *hc)
{
	if ((hc->cpu_flags_include && *hc->cpu_flags_include) ||
	    (hc->cpu_bugs_include && *hc->cpu_bugs_include))
		hc->cpu_info = 1;
	if (regex_compile(&hc->cpu_flags_re,
			  "--collector.cpu.info.flags-include",
			  hc->cpu_flags_include) < 0 ||
	    regex_compile(&hc->cpu_bugs_re, "--collector.cpu.info.bugs-include",
			  hc->cpu_bugs_include) < 0)
		return -1;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct cpu_state *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static inline int cpu_blank(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * The values of a CPU line after its name (s up to e) when they are as
 * the kernel writes them, spaces then digits: how many were read (at most
 * M_N; hc_fields would not split further), in seconds; -1 for anything
 * else, which hc_fields and hc_field_f64 read then.
 */
static int cpu_values(const char *s, const char *e, double *v)
{
	int n = 0;

	while (n < M_N && s < e) {
		uint64_t u;
		size_t d;

		if (*s != ' ')
			return -1;
		while (s < e && *s == ' ')
			s++;
		if (s == e)
			break;
		d = hc_scan_u64(s, e, &u);
		if (d == 0 || d > 15 ||
		    (s + d < e && !cpu_blank((unsigned char)s[d])))
			return -1;
		s += d;
		v[n++] = (double)u / USER_HZ;
	}
	return n;
}

static int cpu_stat(struct hc *hc, struct out *o)
{
	char path[PATH_MAX];
	const char *line;
	size_t llen, pos = 0, i, j;

	if (hc_path(path, sizeof(path), hc->procfs, "stat") < 0 ||
	    hc_read_shared(path, &cpu_buf) < 0) {
		log_error("cpu: cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < ncpus; i++)
		cpus[i].seen = 0;
	while (hc_line(cpu_buf.p, cpu_buf.len, &pos, &line, &llen)) {
		double v[M_N] = { 0 };
		struct cpu_state *s;
		const char *name = line;
		size_t nlen = 3;
		uint64_t id;
		int n = -1;

		if (llen >= 3 && memcmp(line, "cpu", 3) == 0) {
			while (nlen < llen && !cpu_blank((unsigned char)line[nlen]))
				nlen++;
			n = cpu_values(line + nlen, line + llen, v);
		} else if (llen == 0 || !cpu_blank((unsigned char)line[0])) {
			continue;	/* no CPU's */
		}
		if (n < 0) {
			struct field f[M_N + 1];
			size_t nf = hc_fields(line, llen, f, M_N + 1);

			if (nf < 2 || f[0].n < 3 || memcmp(f[0].p, "cpu", 3) != 0)
				continue;
			memset(v, 0, sizeof(v));
			for (j = 1; j < nf; j++) {
				if (hc_field_f64(&f[j], &v[j - 1]) < 0) {
					log_error("cpu: malformed '%s'", path);
					return -1;
				}
				v[j - 1] /= USER_HZ;
			}
			name = f[0].p;
			nlen = f[0].n;
		} else if (n == 0) {
			continue;
		}
		if (nlen == 3)
			continue;	/* the total over all CPUs */
		if (parse_u64(name + 3, nlen - 3, 0, INT64_MAX, &id) < 0) {
			log_error("cpu: malformed '%s'", path);
			return -1;
		}
		s = cpu_state_get((int64_t)id);
		if (!s)
			return -1;
		cpu_state_apply(s, v);
		s->seen = 1;
	}
	/* Forget CPUs that went offline. */
	for (i = j = 0; i < ncpus; i++)
		if (cpus[i].seen)
			cpus[j++] = cpus[i];
	ncpus = j;
	if (ncpus > 1)
		qsort(cpus, ncpus, sizeof(*cpus), cmp_id);
	for (i = 0; i < ncpus; i++) {
		const char *num = cpus[i].num;

		for (j = 0; j < M_GUEST; j++)
			if (out_add(o, "node_cpu_seconds_total",
				    "Seconds the CPUs spent in each mode.",
				    OUT_COUNTER, cpus[i].v[j], "cpu", num,
				    "mode", mode_names[j], NULL) < 0)
				return -1;
		if (hc->cpu_guest &&
		    (out_add(o, "node_cpu_guest_seconds_total",
			     "Seconds the CPUs spent in guests (VMs) for each mode.",
			     OUT_COUNTER, cpus[i].v[M_GUEST], "cpu", num, "mode",
			     "user", NULL) < 0 ||
		     out_add(o, "node_cpu_guest_seconds_total",
			     "Seconds the CPUs spent in guests (VMs) for each mode.",
			     OUT_COUNTER, cpus[i].v[M_GUEST_NICE], "cpu", num,
			     "mode", "nice", NULL) < 0))
			return -1;
	}
	return 0;
}

/* One processor of /proc/cpuinfo (x86 layout). */
struct cpuinfo {
	char processor[24];
	char vendor[64], family[32], model[32], model_name[256];
	char stepping[32], microcode[32], cache[64], package[32], core[32];
	double mhz;
	const char *flags, *bugs;
	size_t flags_n, bugs_n;
};

static void set_str(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int emit_words(struct out *o, void *re, const char *p, size_t n,
		      const char *name, const char *help, const char *label)
{
	struct field f;
	size_t pos = 0;
	char word[256];

	if (!re)
		return 0;
	while (pos < n) {
		if (hc_fields(p + pos, n - pos, &f, 1) == 0)
			break;
		pos = (size_t)(f.p + f.n - p);
		if (!regex_match(re, f.p, f.n))
			continue;
		set_str(word, sizeof(word), f.p, f.n);
		if (out_add(o, name, help, OUT_GAUGE, 1.0, label, word, NULL) < 0)
			return -1;
	}
	return 0;
}

static int cpu_info(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	struct cpuinfo *ci = NULL, first;
	size_t n = 0, cap = 0, llen, pos = 0, i;
	char path[PATH_MAX];
	const char *line;
	int rc = -1, started = 0;

	if (hc_path(path, sizeof(path), hc->procfs, "cpuinfo") < 0 ||
	    hc_read(path, &b) < 0) {
		log_error("cpu: cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	while (hc_line(b.p, b.len, &pos, &line, &llen)) {
		const char *colon = NULL, *val;
		size_t klen, vlen, k;
		struct cpuinfo *c;

		for (k = 0; k + 1 < llen; k++)
			if (line[k] == ':' && line[k + 1] == ' ') {
				colon = line + k;
				break;
			}
		if (!colon && llen > 0 && line[llen - 1] == ':')
			colon = line + llen - 1;
		if (!started) {
			if (llen == 0)
				continue;
			if (llen < 9 || memcmp(line, "processor", 9) != 0 ||
			    !memchr(line, ':', llen)) {
				log_error("cpu: malformed '%s'", path);
				goto out;
			}
			started = 1;
		}
		if (!colon)
			continue;
		klen = (size_t)(colon - line);
		while (klen > 0 && (line[klen - 1] == ' ' || line[klen - 1] == '\t'))
			klen--;
		val = colon + 1 < line + llen ? colon + 2 : line + llen;
		vlen = (size_t)(line + llen - val);
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(line, s, klen) == 0)
		if (KEY("processor")) {
			uint64_t id;

			if (parse_u64(val, vlen, 0, UINT32_MAX, &id) < 0) {
				log_error("cpu: malformed '%s'", path);
				goto out;
			}
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct cpuinfo *nv = realloc(ci, nc * sizeof(*nv));

				if (!nv)
					goto out;
				ci = nv;
				cap = nc;
			}
			memset(&ci[n], 0, sizeof(ci[n]));
			hc_u64_str(ci[n].processor, id);
			n++;
			continue;
		}
		if (n == 0)
			continue;
		c = &ci[n - 1];
		if (KEY("vendor") || KEY("vendor_id"))
			set_str(c->vendor, sizeof(c->vendor), val, vlen);
		else if (KEY("cpu family"))
			set_str(c->family, sizeof(c->family), val, vlen);
		else if (KEY("model"))
			set_str(c->model, sizeof(c->model), val, vlen);
		else if (KEY("model name"))
			set_str(c->model_name, sizeof(c->model_name), val, vlen);
		else if (KEY("stepping"))
			set_str(c->stepping, sizeof(c->stepping), val, vlen);
		else if (KEY("microcode"))
			set_str(c->microcode, sizeof(c->microcode), val, vlen);
		else if (KEY("cache size"))
			set_str(c->cache, sizeof(c->cache), val, vlen);
		else if (KEY("physical id"))
			set_str(c->package, sizeof(c->package), val, vlen);
		else if (KEY("core id"))
			set_str(c->core, sizeof(c->core), val, vlen);
		else if (KEY("cpu MHz")) {
			if (hc_parse_f64(val, vlen, &c->mhz) < 0) {
				log_error("cpu: malformed '%s'", path);
				goto out;
			}
		} else if (KEY("flags")) {
			c->flags = val;
			c->flags_n = vlen;
		} else if (KEY("bugs")) {
			c->bugs = val;
			c->bugs_n = vlen;
		}
#undef KEY
	}
	for (i = 0; i < n; i++) {
		const struct cpuinfo *c = &ci[i];

		if (out_add(o, "node_cpu_info", "CPU information from /proc/cpuinfo.",
			    OUT_GAUGE, 1.0, "package", c->package, "core",
			    c->core, "cpu", c->processor, "vendor", c->vendor,
			    "family", c->family, "model", c->model,
			    "model_name", c->model_name, "microcode",
			    c->microcode, "stepping", c->stepping, "cachesize",
			    c->cache, NULL) < 0)
			goto out;
	}
	if (hc->cpufreq_on)
		for (i = 0; i < n; i++)
			if (out_add(o, "node_cpu_frequency_hertz",
				    "CPU frequency in hertz from /proc/cpuinfo.",
				    OUT_GAUGE, ci[i].mhz * 1e6, "package",
				    ci[i].package, "core", ci[i].core, "cpu",
				    ci[i].processor, NULL) < 0)
				goto out;
	if (n > 0) {
		first = ci[0];
		if (emit_words(o, hc->cpu_flags_re, first.flags, first.flags_n,
			       "node_cpu_flag_info",
			       "The `flags` field of CPU information from /proc/cpuinfo taken from the first core.",
			       "flag") < 0 ||
		    emit_words(o, hc->cpu_bugs_re, first.bugs, first.bugs_n,
			       "node_cpu_bug_info",
			       "The `bugs` field of CPU information from /proc/cpuinfo taken from the first core.",
			       "bug") < 0)
			goto out;
	}
	rc = 0;
out:
	free(ci);
	buf_free(&b);
	return rc;
}

/*
 * A kernel CPU list ("0-3,8,10-11") as a bitmap of at most max CPUs;
 * -1 if malformed.
 */
static int cpu_list_parse(const char *s, size_t len, unsigned char *set,
			  size_t max)
{
	size_t pos = 0;

	while (pos < len) {
		const char *comma = memchr(s + pos, ',', len - pos);
		size_t end = comma ? (size_t)(comma - s) : len;
		const char *dash = memchr(s + pos, '-', end - pos);
		uint64_t lo, hi, c;

		if (dash) {
			if (parse_u64(s + pos, (size_t)(dash - s) - pos, 0,
				      max - 1, &lo) < 0 ||
			    parse_u64(dash + 1, end - (size_t)(dash + 1 - s), 0,
				      max - 1, &hi) < 0 || hi < lo)
				return -1;
		} else {
			if (parse_u64(s + pos, end - pos, 0, max - 1, &lo) < 0)
				return -1;
			hi = lo;
		}
		for (c = lo; c <= hi; c++)
			set[c] = 1;
		pos = end + 1;
	}
	return 0;
}

#define CPU_MAX 8192

/* dir/name/rest into dst (size bytes), or "" (no such file) if too long:
 * joined by hand, as every cycle joins them for every CPU. */
static void cpu_path(char *dst, size_t size, const char *dir,
		     const char *name, const char *rest)
{
	size_t a = strlen(dir), b = strlen(name), c = strlen(rest);

	if (a + b + c + 2 >= size) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, dir, a);
	dst[a] = '/';
	memcpy(dst + a + 1, name, b);
	dst[a + 1 + b] = c ? '/' : '\0';
	memcpy(dst + a + 2 + b, rest, c + 1);
}

static int isolated_load(struct hc *hc)
{
	struct buf b = BUF_INIT(65536);
	unsigned char *set = NULL;
	char path[PATH_MAX];
	size_t i, n = 0;
	int rc = 0;

	if (hc_path(path, sizeof(path), hc->sysfs,
		    "devices/system/cpu/isolated") < 0 ||
	    hc_read_str(path, &b) < 0)
		goto out;
	if (b.len > 0) {
		/* The usual case, no isolated CPU, needs no map. */
		set = calloc(CPU_MAX, 1);
		if (!set || cpu_list_parse(b.p, b.len, set, CPU_MAX) < 0) {
			log_error("cpu: malformed '%s'", path);
			rc = -1;
			goto out;
		}
		for (i = 0; i < CPU_MAX; i++)
			n += set[i];
		isolated.cpu = n ? calloc(n, sizeof(*isolated.cpu)) : NULL;
		if (n && !isolated.cpu) {
			log_errno("cpu: '%s'", path);
			rc = -1;
			goto out;
		}
		for (i = 0, n = 0; i < CPU_MAX; i++)
			if (set[i])
				isolated.cpu[n++] = (uint16_t)i;
	}
	isolated.n = n;
	isolated.known = 1;
out:
	free(set);
	buf_free(&b);
	return rc;
}

static int cpu_isolated(struct hc *hc, struct out *o)
{
	char num[24];
	size_t i;

	if (!isolated.known && isolated_load(hc) < 0)
		return -1;
	for (i = 0; i < isolated.n; i++) {
		hc_u64_str(num, isolated.cpu[i]);
		if (out_add(o, "node_cpu_isolated",
			    "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
			    OUT_GAUGE, 1.0, "cpu", num, NULL) < 0)
			return -1;
	}
	return 0;
}

struct throttle {
	uint64_t package, core, count;
	int kind;	/* 0 core, 1 package */
};

/* hc_read_u64 for a file that most machines lack (hc_read_fixed). */
static int read_u64_fixed(const char *path, uint64_t *v)
{
	struct buf b = BUF_INIT(65536);
	size_t s = 0, e;
	int rc = -1;

	if (hc_read_fixed(path, &b) == 0) {
		const char *p = b.p ? b.p : "";

		e = b.len;
		while (e > 0 && isspace((unsigned char)p[e - 1]))
			e--;
		while (s < e && isspace((unsigned char)p[s]))
			s++;
		rc = parse_u64(p + s, e - s, 0, UINT64_MAX, v);
	}
	buf_free(&b);
	return rc;
}

static int cpu_throttle(struct hc *hc, struct out *o)
{
	const struct names *cp;
	struct names cpu;
	struct throttle *t = NULL;
	size_t nt = 0, i, j;
	char dir[PATH_MAX], path[PATH_MAX + 64], a[24], b[24];
	char cpath[PATH_MAX + 64], ppath[PATH_MAX + 64];
	int rc = -1;

	if (hc_path(dir, sizeof(dir), hc->sysfs, "devices/system/cpu") < 0 ||
	    !(cp = hc_list_prefix_shared(dir, "cpu")))
		return 0;
	cpu = *cp;
	t = calloc(2 * cpu.n + 1, sizeof(*t));
	if (!t)
		goto out;
	for (i = 0; i < cpu.n; i++) {
		uint64_t pkg, core, cnt;
		int have_core = 0, have_pkg = 0;

		/* Without throttle counters (most VMs) the topology is not
		 * wanted: only a CPU with a counter is written. */
		cpu_path(cpath, sizeof(cpath), dir, cpu.v[i],
			 "thermal_throttle/core_throttle_count");
		cpu_path(ppath, sizeof(ppath), dir, cpu.v[i],
			 "thermal_throttle/package_throttle_count");
		if (hc_absent(cpath) && hc_absent(ppath))
			continue;
		cpu_path(path, sizeof(path), dir, cpu.v[i],
			 "topology/physical_package_id");
		if (hc_read_u64(path, &pkg) < 0)
			continue;
		cpu_path(path, sizeof(path), dir, cpu.v[i], "topology/core_id");
		if (hc_read_u64(path, &core) < 0)
			continue;
		for (j = 0; j < nt; j++) {
			if (t[j].kind == 0 && t[j].package == pkg &&
			    t[j].core == core)
				have_core = 1;
			if (t[j].kind == 1 && t[j].package == pkg)
				have_pkg = 1;
		}
		if (!have_core && read_u64_fixed(cpath, &cnt) == 0)
			t[nt++] = (struct throttle){ pkg, core, cnt, 0 };
		if (!have_pkg && read_u64_fixed(ppath, &cnt) == 0)
			t[nt++] = (struct throttle){ pkg, 0, cnt, 1 };
	}
	for (i = 0; i < nt; i++) {
		hc_u64_str(a, t[i].package);
		hc_u64_str(b, t[i].core);
		if (t[i].kind == 1 ?
		    out_add(o, "node_cpu_package_throttles_total",
			    "Number of times this CPU package has been throttled.",
			    OUT_COUNTER, (double)t[i].count, "package", a,
			    NULL) < 0 :
		    out_add(o, "node_cpu_core_throttles_total",
			    "Number of times this CPU core has been throttled.",
			    OUT_COUNTER, (double)t[i].count, "package", a,
			    "core", b, NULL) < 0)
			goto out;
	}
	rc = 0;
out:
	free(t);
	return rc;
}

static int cpu_online(struct hc *hc, struct out *o)
{
	const struct names *cp;
	struct names cpu;
	char dir[PATH_MAX], path[PATH_MAX + 64];
	uint64_t v;
	size_t i;
	int rc = 0;

	if (hc_path(dir, sizeof(dir), hc->sysfs, "devices/system/cpu") < 0 ||
	    !(cp = hc_list_prefix_shared(dir, "cpu")))
		return 0;
	cpu = *cp;
	if (cpu.n == 0)
		goto out;
	/* No online file for the first CPU: the kernel has no CPU hotplug. */
	cpu_path(path, sizeof(path), dir, cpu.v[0], "online");
	if (!hc_exists_fixed(path))
		goto out;
	for (i = 0; i < cpu.n && rc == 0; i++) {
		cpu_path(path, sizeof(path), dir, cpu.v[i], "online");
		if (hc_read_u64(path, &v) < 0)
			v = 0;
		rc = out_add(o, "node_cpu_online",
			     "CPUs that are online and being scheduled.",
			     OUT_GAUGE, v == 1 ? 1.0 : 0.0, "cpu",
			     cpu.v[i] + 3, NULL);
	}
out:
	return rc;
}

int cpu_update(struct hc *hc, struct out *o)
{
	if (hc->cpu_info && cpu_info(hc, o) < 0)
		return HC_FAIL;
	if (cpu_stat(hc, o) < 0 || cpu_isolated(hc, o) < 0 ||
	    cpu_throttle(hc, o) < 0 || cpu_online(hc, o) < 0)
		return HC_FAIL;
	return HC_OK;
}

static const struct {
	const char *file, *name, *help;
} freq_files[] = {
	{ "cpuinfo_cur_freq", "node_cpu_frequency_hertz",
	  "Current CPU thread frequency in hertz." },
	{ "cpuinfo_avg_freq", "node_cpu_frequency_avg_hertz",
	  "Average CPU thread frequency in hertz." },
	{ "cpuinfo_min_freq", "node_cpu_frequency_min_hertz",
	  "Minimum CPU thread frequency in hertz." },
	{ "cpuinfo_max_freq", "node_cpu_frequency_max_hertz",
	  "Maximum CPU thread frequency in hertz." },
	{ "scaling_cur_freq", "node_cpu_scaling_frequency_hertz",
	  "Current scaled CPU thread frequency in hertz." },
	{ "scaling_min_freq", "node_cpu_scaling_frequency_min_hertz",
	  "Minimum scaled CPU thread frequency in hertz." },
	{ "scaling_max_freq", "node_cpu_scaling_frequency_max_hertz",
	  "Maximum scaled CPU thread frequency in hertz." },
};

int cpufreq_update(struct hc *hc, struct out *o)
{
	struct buf gov = BUF_INIT(65536), avail = BUF_INIT(65536),
		   off = BUF_INIT(65536);
	unsigned char *offline = NULL;
	const struct names *cp;
	struct names cpu;
	char dir[PATH_MAX], path[PATH_MAX + 96];
	size_t i, j;
	int rc = HC_FAIL, off_read = 0;

	if (hc_path(dir, sizeof(dir), hc->sysfs, "devices/system/cpu") < 0 ||
	    !(cp = hc_list_prefix_shared(dir, "cpu")))
		return HC_NODATA;
	cpu = *cp;
	for (i = 0; i < cpu.n; i++) {
		const char *name = cpu.v[i] + 3;
		uint64_t id;

		cpu_path(path, sizeof(path), dir, cpu.v[i], "cpufreq");
		if (!hc_exists_fixed(path))
			continue;
		/* Read at the first CPU that has frequencies (a VM often
		 * has none: then never); usually none is offline, and no
		 * map is made. */
		if (!off_read) {
			off_read = 1;
			cpu_path(path, sizeof(path), dir, "offline", "");
			if (hc_read_str(path, &off) == 0 && off.len > 0) {
				offline = calloc(CPU_MAX, 1);
				if (!offline)
					goto out;
				if (cpu_list_parse(off.p, off.len, offline,
						   CPU_MAX) < 0) {
					log_error("cpufreq: malformed '%s'",
						  path);
					goto out;
				}
			}
		}
		if (offline &&
		    parse_u64(name, strlen(name), 0, CPU_MAX - 1, &id) == 0 &&
		    offline[id])
			continue;
		for (j = 0; j < sizeof(freq_files) / sizeof(freq_files[0]); j++) {
			uint64_t v;
			char rel[64];

			hc_join3(rel, sizeof(rel), "cpufreq/", freq_files[j].file,
				 strlen(freq_files[j].file), "");
			cpu_path(path, sizeof(path), dir, cpu.v[i], rel);
			if (hc_read_u64(path, &v) < 0) {
				if (errno == ENOENT || errno == EACCES ||
				    errno == EPERM)
					continue;
				log_error("cpufreq: malformed '%s'", path);
				goto out;
			}
			if (out_add(o, freq_files[j].name, freq_files[j].help,
				    OUT_GAUGE, (double)v * 1000.0, "cpu", name,
				    NULL) < 0)
				goto out;
		}
		cpu_path(path, sizeof(path), dir, cpu.v[i],
			 "cpufreq/scaling_governor");
		if (hc_read_str(path, &gov) < 0 || gov.len == 0)
			continue;
		cpu_path(path, sizeof(path), dir, cpu.v[i],
			 "cpufreq/scaling_available_governors");
		if (hc_read_str(path, &avail) < 0)
			buf_reset(&avail);
		{
			const char *p = avail.p ? avail.p : "";
			size_t pos = 0, len = avail.len;

			/* Split on single spaces, as strings.Split does. */
			for (;;) {
				const char *sp = memchr(p + pos, ' ', len - pos);
				size_t end = sp ? (size_t)(sp - p) : len;
				char g[256];

				set_str(g, sizeof(g), p + pos, end - pos);
				if (out_add(o, "node_cpu_scaling_governor",
					    "Current enabled CPU frequency governor.",
					    OUT_GAUGE,
					    strcmp(g, gov.p) == 0 ? 1.0 : 0.0,
					    "cpu", name, "governor", g, NULL) < 0)
					goto out;
				if (!sp)
					break;
				pos = end + 1;
			}
		}
	}
	rc = HC_OK;
out:
	free(offline);
	buf_free(&gov);
	buf_free(&avail);
	buf_free(&off);
	return rc;
}
