/* meminfo.c: the meminfo, vmstat and loadavg collectors (/proc/meminfo, /proc/vmstat, /proc/loadavg). */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/*
 * node_exporter 1.12 exports the /proc/meminfo fields procfs knows, by
 * their kernel name with "(anon)" turned into "_anon" and "_bytes" added;
 * the HugePages_ counts keep their name.
 */
static const struct {
	const char *key;	/* as in /proc/meminfo, without ':' */
	const char *metric;	/* after node_memory_ */
} meminfo_fields[] = {
	{ "Active", "Active_bytes" },
	{ "Active(anon)", "Active_anon_bytes" },
	{ "Active(file)", "Active_file_bytes" },
	{ "AnonHugePages", "AnonHugePages_bytes" },
	{ "AnonPages", "AnonPages_bytes" },
	{ "Bounce", "Bounce_bytes" },
	{ "Buffers", "Buffers_bytes" },
	{ "Cached", "Cached_bytes" },
	{ "CmaFree", "CmaFree_bytes" },
	{ "CmaTotal", "CmaTotal_bytes" },
	{ "CommitLimit", "CommitLimit_bytes" },
	{ "Committed_AS", "Committed_AS_bytes" },
	{ "DirectMap1G", "DirectMap1G_bytes" },
	{ "DirectMap2M", "DirectMap2M_bytes" },
	{ "DirectMap4k", "DirectMap4k_bytes" },
	{ "Dirty", "Dirty_bytes" },
	{ "HardwareCorrupted", "HardwareCorrupted_bytes" },
	{ "Hugepagesize", "Hugepagesize_bytes" },
	{ "Inactive", "Inactive_bytes" },
	{ "Inactive(anon)", "Inactive_anon_bytes" },
	{ "Inactive(file)", "Inactive_file_bytes" },
	{ "KernelStack", "KernelStack_bytes" },
	{ "Mapped", "Mapped_bytes" },
	{ "MemAvailable", "MemAvailable_bytes" },
	{ "MemFree", "MemFree_bytes" },
	{ "MemTotal", "MemTotal_bytes" },
	{ "Mlocked", "Mlocked_bytes" },
	{ "NFS_Unstable", "NFS_Unstable_bytes" },
	{ "PageTables", "PageTables_bytes" },
	{ "Percpu", "Percpu_bytes" },
	{ "SReclaimable", "SReclaimable_bytes" },
	{ "SUnreclaim", "SUnreclaim_bytes" },
	{ "Shmem", "Shmem_bytes" },
	{ "ShmemHugePages", "ShmemHugePages_bytes" },
	{ "ShmemPmdMapped", "ShmemPmdMapped_bytes" },
	{ "Slab", "Slab_bytes" },
	{ "SwapCached", "SwapCached_bytes" },
	{ "SwapFree", "SwapFree_bytes" },
	{ "SwapTotal", "SwapTotal_bytes" },
	{ "Unevictable", "Unevictable_bytes" },
	{ "VmallocChunk", "VmallocChunk_bytes" },
	{ "VmallocTotal", "VmallocTotal_bytes" },
	{ "VmallocUsed", "VmallocUsed_bytes" },
	{ "Writeback", "Writeback_bytes" },
	{ "WritebackTmp", "WritebackTmp_bytes" },
	{ "Zswap", "Zswap_bytes" },
	{ "Zswapped", "Zswapped_bytes" },
	{ "HugePages_Free", "HugePages_Free" },
	{ "HugePages_Rsvd", "HugePages_Rsvd" },
	{ "HugePages_Surp", "HugePages_Surp" },
	{ "HugePages_Total", "HugePages_Total" },
};

#define MEMINFO_NFIELDS (sizeof(meminfo_fields) / sizeof(meminfo_fields[0]))
#define MEMINFO_HINTS 128

/* The field each line matched last time: /proc/meminfo keeps its order,
 * so a line is checked against one name, not searched for. */
static unsigned char meminfo_hint[MEMINFO_HINTS];

static int meminfo_key_is(size_t i, const struct field *f)
{
	const char *k = meminfo_fields[i].key;

	return k[0] == f->p[0] && strlen(k) == f->n - 1 &&
	       memcmp(k, f->p, f->n - 1) == 0;
}

/*
 * The layout of the last /proc/meminfo parsed the long way: each line's
 * name, unit and field.  While a file has the same names in the same
 * order, every line as the kernel writes it ("Name:   123 kB"), a cycle
 * reads only the numbers and adds the names built then; anything else
 * (a line more or less, a renamed or malformed one) takes the long way,
 * with its errors, and lays out the next cycle.  Most lines are also
 * byte for byte last cycle's: those were checked then and their numbers
 * stand, so a cycle compares the file with last cycle's text and checks
 * only the lines that differ.
 */
struct mi_line {
	unsigned koff;		/* the name, in mi_keys */
	unsigned short klen;	/* the name with its ':' */
	unsigned char kb;	/* " kB" follows the number */
	unsigned char field;	/* into meminfo_fields, or MI_NONE */
	unsigned char bytes;	/* the number counts KiB (mi_bytes, once) */
};
#define MI_NONE 255
#define MI_LINES_MAX 4096

static struct buf mi_keys = BUF_INIT(HC_FILE_MAX);	/* names, back to back */
static struct buf mi_text = BUF_INIT(HC_FILE_MAX);	/* metric names and helps */
/* The file as read, kept: a cycle reads into the same memory. */
static struct buf mi_read = BUF_INIT(HC_FILE_MAX);
static struct mi_line *mi_lines;
static size_t mi_n, mi_cap;
static size_t mi_name[MEMINFO_NFIELDS], mi_help[MEMINFO_NFIELDS];
static uint64_t *mi_vals;
static int mi_valid;
/* Last cycle's file, as its mi_n lines were read. */
static struct hc_last mi_last = HC_LAST_INIT;

/* Whether a line's number is KiB to turn into bytes: once, when it is
 * laid out, not each cycle. */
static int mi_bytes(const struct mi_line *l)
{
	/* The HugePages_ counts are not in bytes: the value as it
	 * stands. */
	return l->kb && !(l->field != MI_NONE &&
			  strncmp(meminfo_fields[l->field].key, "HugePages_",
				  10) == 0);
}

static int mi_emit(const struct mi_line *l, uint64_t val, struct out *o)
{
	return out_add(o, mi_text.p + mi_name[l->field],
		       mi_text.p + mi_help[l->field], OUT_GAUGE,
		       l->bytes ? 1024.0 * (double)val : (double)val, NULL);
}

/* Checks line i of the layout at s (the file ends at e, in '\n') and
 * reads its number: the line's length, or 0 when it is not as laid out.
 * Every line ends in '\n', so the loops over its bytes need no bound. */
static size_t mi_check(size_t i, const char *s, const char *e)
{
	const struct mi_line *l = &mi_lines[i];
	const char *b = s;
	size_t kl = l->klen, d;

	if ((size_t)(e - s) < kl + 3 || s[kl] != ' ' ||
	    !hc_memeq(s, mi_keys.p + l->koff, kl))
		return 0;
	s += kl + 1;
	while (s[0] == ' ' && s[1] == ' ')
		s += 2;
	s += *s == ' ';
	d = hc_digits_wide(s, e, &mi_vals[i]);
	if (d == 0 || d > 19)
		return 0;
	s += d;
	if (l->kb) {
		if (e - s < 4 || s[0] != ' ' || s[1] != 'k' || s[2] != 'B')
			return 0;
		s += 3;
	}
	if (*s++ != '\n')
		return 0;
	return (size_t)(s - b);
}

/*
 * The fast way: 1 done, 0 when the file is not laid out as the last one
 * (nothing added then), -1 on error.  Without o, only whether it is.
 */
static int meminfo_fast(const char *p, size_t len, struct out *o)
{
	size_t i;

	if (!mi_valid || len == 0 || p[len - 1] != '\n')
		return 0;
	if (hc_last_read(&mi_last, &mi_read, p, len, mi_n, mi_check) < 0)
		return 0;
	for (i = 0; o && i < mi_n; i++)
		if (mi_lines[i].field != MI_NONE &&
		    mi_emit(&mi_lines[i], mi_vals[i], o) < 0)
			return -1;
	return 1;
}

/* Lays out line number n (at start, the next at pos) for the next cycle:
 * 0, or -1 when it cannot be kept (not in the form read fast). */
static int mi_keep(const char *p, size_t start, size_t n,
		   const struct field *f, size_t nf, size_t i)
{
	struct mi_line *l;

	if (n >= MI_LINES_MAX || f[0].p != p + start || f[0].n > 200)
		return -1;
	if (n == mi_cap) {
		size_t cap = mi_cap ? mi_cap * 2 : 64;
		struct mi_line *nl = realloc(mi_lines, cap * sizeof(*nl));
		uint64_t *nv;

		if (!nl)
			return -1;
		mi_lines = nl;
		if (hc_last_reserve(&mi_last, cap) < 0)
			return -1;
		nv = realloc(mi_vals, cap * sizeof(*nv));
		if (!nv)
			return -1;
		mi_vals = nv;
		mi_cap = cap;
	}
	l = &mi_lines[n];
	l->koff = (unsigned)mi_keys.len;
	l->klen = (unsigned short)f[0].n;
	l->kb = nf == 3;
	l->field = (unsigned char)(i < MEMINFO_NFIELDS ? i : MI_NONE);
	l->bytes = (unsigned char)mi_bytes(l);
	if (buf_add(&mi_keys, f[0].p, f[0].n) < 0)
		return -1;
	if (l->field != MI_NONE && mi_name[i] == 0) {
		const char *m = meminfo_fields[i].metric;

		/* Offset 0 is the empty string: never a name. */
		if (mi_text.len == 0 && buf_addch(&mi_text, '\0') < 0)
			return -1;
		mi_name[i] = mi_text.len;
		if (buf_addstr(&mi_text, "node_memory_") < 0 ||
		    buf_add(&mi_text, m, strlen(m) + 1) < 0)
			return -1;
		mi_help[i] = mi_text.len;
		if (buf_addstr(&mi_text, "Memory information field ") < 0 ||
		    buf_addstr(&mi_text, m) < 0 ||
		    buf_add(&mi_text, ".", 2) < 0)
			return -1;
	}
	return 0;
}

int meminfo_parse(const char *p, size_t len, struct out *o)
{
	const char *line;
	size_t llen, pos = 0, i, lineno = 0, start;
	int fast, keep = 1;

	fast = meminfo_fast(p, len, o);
	if (fast != 0)
		return fast > 0 ? 0 : -1;
	mi_valid = 0;
	mi_last.fresh = 1;
	mi_n = 0;
	buf_reset(&mi_keys);
	for (start = 0; hc_line(p, len, &pos, &line, &llen); start = pos) {
		struct field f[4];
		size_t nf = hc_fields(line, llen, f, 4);
		uint64_t val;
		double bytes;

		if (nf == 0) {
			keep = 0;
			continue;
		}
		if (nf < 2 || nf > 3 || f[0].n < 2 || f[0].p[f[0].n - 1] != ':')
			return -1;
		if (hc_field_u64(&f[1], &val) < 0)
			return -1;
		bytes = (double)val;
		if (nf == 3) {
			if (f[2].n != 2 || memcmp(f[2].p, "kB", 2) != 0)
				return -1;
			bytes = 1024.0 * (double)val;
		}
		i = lineno < MEMINFO_HINTS ? meminfo_hint[lineno] : 0;
		if (i >= MEMINFO_NFIELDS || !meminfo_key_is(i, &f[0])) {
			for (i = 0; i < MEMINFO_NFIELDS; i++)
				if (meminfo_key_is(i, &f[0]))
					break;
			if (lineno < MEMINFO_HINTS)
				meminfo_hint[lineno] = (unsigned char)
					(i < MEMINFO_NFIELDS ? i : 255);
		}
		lineno++;
		if (keep && mi_keep(p, start, mi_n, f, nf, i) == 0)
			mi_n++;
		else
			keep = 0;
		if (i < MEMINFO_NFIELDS) {
			const char *k = meminfo_fields[i].key;
			const char *m = meminfo_fields[i].metric;
			char name[128], help[128];

			/* The HugePages_ counts are not in bytes: the value
			 * as it stands. */
			if (strncmp(k, "HugePages_", 10) == 0)
				bytes = (double)val;
			hc_join3(name, sizeof(name), "node_memory_", m,
				 strlen(m), "");
			hc_join3(help, sizeof(help), "Memory information field ",
				 m, strlen(m), ".");
			if (out_add(o, name, help, OUT_GAUGE, bytes, NULL) < 0)
				return -1;
		}
	}
	/* The fast way must read this very file as the long way did. */
	mi_valid = keep;
	if (keep && meminfo_fast(p, len, NULL) != 1)
		mi_valid = 0;
	return 0;
}

void meminfo_cleanup(void)
{
	buf_free(&mi_keys);
	buf_free(&mi_text);
	buf_free(&mi_read);
	hc_last_free(&mi_last);
	free(mi_lines);
	free(mi_vals);
	mi_lines = NULL;
	mi_vals = NULL;
	mi_n = mi_cap = 0;
	memset(mi_name, 0, sizeof(mi_name));
	memset(mi_help, 0, sizeof(mi_help));
	mi_valid = 0;
}

int meminfo_update(struct hc *hc, struct out *o)
{
	struct buf *b = &mi_read;
	char path[PATH_MAX];

	if (hc_path(path, sizeof(path), hc->procfs, "meminfo") < 0 ||
	    hc_read_whole(path, b) < 0) {
		log_error("meminfo: cannot read '%s': %s", path, strerror(errno));
		return HC_FAIL;
	}
	if (meminfo_parse(b->p ? b->p : "", b->len, o) < 0) {
		log_error("meminfo: malformed '%s'", path);
		return HC_FAIL;
	}
	return HC_OK;
}

int vmstat_init(struct hc *hc)
{
	return regex_compile(&hc->vmstat_re, "--collector.vmstat.fields",
			     hc->vmstat_fields);
}

/* The answers of --collector.vmstat.fields, name by name. */
static struct seqmatch vmstat_names = SEQMATCH_INIT;

/*
 * The layout of the last /proc/vmstat parsed the long way, as meminfo's:
 * each line's name and whether the field filter keeps it.  While a file
 * has the same names in the same order, each line "name digits", a cycle
 * steps over the names and reads the numbers; most lines are not kept
 * and are only checked.  As in meminfo, only the lines that differ from
 * last cycle's text are checked.
 */
struct vm_line {
	unsigned noff, nlen;	/* the name, in vm_names */
	int out;		/* into vm_outs, or -1 when filtered out */
};
#define VM_LINES_MAX 65536

static struct buf vm_names = BUF_INIT(HC_FILE_MAX);	/* back to back */
static struct buf vm_text = BUF_INIT(HC_FILE_MAX);	/* metric names, helps */
static struct buf vm_read = BUF_INIT(HC_FILE_MAX);	/* the file as read */
static struct vm_line *vm_lines;
static size_t vm_n, vm_cap;
static size_t *vm_outs;		/* name offsets into vm_text (help follows) */
static double *vm_vals;
static size_t vm_nouts;
static void *vm_re;
static int vm_valid;
/* Last cycle's file, as its vm_n lines were read. */
static struct hc_last vm_last = HC_LAST_INIT;

void vmstat_cleanup(void)
{
	seqmatch_free(&vmstat_names);
	buf_free(&vm_names);
	buf_free(&vm_text);
	buf_free(&vm_read);
	hc_last_free(&vm_last);
	free(vm_lines);
	free(vm_outs);
	free(vm_vals);
	vm_lines = NULL;
	vm_outs = NULL;
	vm_vals = NULL;
	vm_n = vm_cap = vm_nouts = 0;
	vm_valid = 0;
}

/* Checks line i of the layout at s (the file ends at e, in '\n') and
 * reads its number: the line's length, or 0 when it is not as laid out. */
static size_t vm_check(size_t i, const char *s, const char *e)
{
	const struct vm_line *l = &vm_lines[i];
	size_t nl = l->nlen, d;
	const char *v = s + nl + 1;
	uint64_t u;

	if ((size_t)(e - s) < nl + 3 || s[nl] != ' ' ||
	    !hc_memeq(s, vm_names.p + l->noff, nl))
		return 0;
	if (l->out < 0) {
		/* Most lines are filtered out: their number needs no
		 * value, only to be one as the long way reads it (else it
		 * fails there). */
		d = hc_digits_len(v, e);
		if (d == 0 || d > 19 || v[d] != '\n')
			return 0;
		return nl + d + 2;
	}
	d = hc_digits(v, &u);
	if (d == 0 || v[d] != '\n')
		return 0;
	if (d <= 15)
		vm_vals[l->out] = (double)u;
	else if (d > 19 || hc_parse_f64(v, d, &vm_vals[l->out]) < 0)
		return 0;
	return nl + d + 2;
}

/* The fast way, as meminfo's. */
static int vmstat_fast(const char *p, size_t len, void *re, struct out *o)
{
	size_t i;

	if (!vm_valid || re != vm_re || len == 0 || p[len - 1] != '\n')
		return 0;
	if (hc_last_read(&vm_last, &vm_read, p, len, vm_n, vm_check) < 0)
		return 0;
	for (i = 0; o && i < vm_nouts; i++) {
		const char *nm = vm_text.p + vm_outs[i];

		if (out_add(o, nm, nm + strlen(nm) + 1, OUT_UNTYPED,
			    vm_vals[i], NULL) < 0)
			return -1;
	}
	return 1;
}

/* Lays out the line at start (the next at pos) for the next cycle: 0, or
 * -1 when it cannot be kept. */
static int vm_keep(const char *p, size_t start, const struct field *f,
		   int emit, const char *name, const char *help)
{
	struct vm_line *l;

	if (vm_n >= VM_LINES_MAX || f[0].p != p + start)
		return -1;
	if (vm_n == vm_cap) {
		size_t cap = vm_cap ? vm_cap * 2 : 256;
		struct vm_line *nl = realloc(vm_lines, cap * sizeof(*nl));
		size_t *no;
		double *nv;

		if (!nl)
			return -1;
		vm_lines = nl;
		no = realloc(vm_outs, cap * sizeof(*no));
		if (!no)
			return -1;
		vm_outs = no;
		if (hc_last_reserve(&vm_last, cap) < 0)
			return -1;
		nv = realloc(vm_vals, cap * sizeof(*nv));
		if (!nv)
			return -1;
		vm_vals = nv;
		vm_cap = cap;
	}
	l = &vm_lines[vm_n];
	l->noff = (unsigned)vm_names.len;
	l->nlen = (unsigned)f[0].n;
	l->out = -1;
	if (buf_add(&vm_names, f[0].p, f[0].n) < 0)
		return -1;
	if (emit) {
		vm_outs[vm_nouts] = vm_text.len;
		if (buf_add(&vm_text, name, strlen(name) + 1) < 0 ||
		    buf_add(&vm_text, help, strlen(help) + 1) < 0)
			return -1;
		l->out = (int)vm_nouts++;
	}
	vm_n++;
	return 0;
}

int vmstat_parse(const char *p, size_t len, void *re, struct out *o)
{
	const char *line;
	size_t llen, pos = 0, start;
	int rc = 0, keep = 1;

	rc = vmstat_fast(p, len, re, o);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	vm_valid = 0;
	vm_last.fresh = 1;
	vm_n = vm_nouts = 0;
	buf_reset(&vm_names);
	buf_reset(&vm_text);
	seqmatch_begin(&vmstat_names, re);
	for (start = 0; hc_line(p, len, &pos, &line, &llen); start = pos) {
		struct field f[3];
		size_t nf = hc_fields(line, llen, f, 3);
		char name[256], help[256];
		double v;
		int emit;

		if (nf < 2 || hc_field_f64(&f[1], &v) < 0 || f[0].n > 200) {
			rc = -1;
			break;
		}
		emit = !re || seqmatch_match(&vmstat_names, f[0].p, f[0].n);
		if (emit) {
			hc_join3(name, sizeof(name), "node_vmstat_", f[0].p,
				 f[0].n, "");
			hc_join3(help, sizeof(help),
				 "/proc/vmstat information field ", f[0].p,
				 f[0].n, ".");
		}
		if (keep && vm_keep(p, start, f, emit, name, help) < 0)
			keep = 0;
		if (!emit)
			continue;
		if (out_add(o, name, help, OUT_UNTYPED, v, NULL) < 0) {
			rc = -1;
			break;
		}
	}
	seqmatch_end(&vmstat_names);
	if (rc == 0 && keep) {
		vm_re = re;
		vm_valid = 1;
		/* The fast way must read this very file as the long way
		 * did. */
		if (vmstat_fast(p, len, re, NULL) != 1)
			vm_valid = 0;
	}
	return rc;
}

int vmstat_update(struct hc *hc, struct out *o)
{
	struct buf *b = &vm_read;
	char path[PATH_MAX];

	if (hc_path(path, sizeof(path), hc->procfs, "vmstat") < 0 ||
	    hc_read(path, b) < 0) {
		log_error("vmstat: cannot read '%s': %s", path, strerror(errno));
		return HC_FAIL;
	}
	if (vmstat_parse(b->p ? b->p : "", b->len, hc->vmstat_re, o) < 0) {
		log_error("vmstat: malformed '%s'", path);
		return HC_FAIL;
	}
	return HC_OK;
}

int loadavg_parse(const char *p, size_t len, double load[3])
{
	struct field f[3];
	size_t i;

	if (hc_fields(p, len, f, 3) < 3)
		return -1;
	for (i = 0; i < 3; i++)
		if (hc_field_f64(&f[i], &load[i]) < 0)
			return -1;
	return 0;
}

int loadavg_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	char path[PATH_MAX];
	double load[3];
	int rc = HC_FAIL;

	if (hc_path(path, sizeof(path), hc->procfs, "loadavg") < 0 ||
	    hc_read_whole(path, &b) < 0) {
		log_error("loadavg: cannot read '%s': %s", path, strerror(errno));
	} else if (loadavg_parse(b.p ? b.p : "", b.len, load) < 0) {
		log_error("loadavg: malformed '%s'", path);
	} else if (out_add(o, "node_load1", "1m load average.", OUT_GAUGE,
			   load[0], NULL) == 0 &&
		   out_add(o, "node_load5", "5m load average.", OUT_GAUGE,
			   load[1], NULL) == 0 &&
		   out_add(o, "node_load15", "15m load average.", OUT_GAUGE,
			   load[2], NULL) == 0) {
		rc = HC_OK;
	}
	buf_free(&b);
	return rc;
}
