/* procs.c: the processes collector (/proc/<pid>/stat states and limits) and the interrupts collector (/proc/interrupts). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/*
 * /proc/<pid>/stat: the state and the thread count, as procfs reads them:
 * the comm between the first '(' and the last ')', then 42 fields, the
 * state and 41 integers.
 */
int procstat_parse(const char *p, size_t len, char state[64],
		   int64_t *threads)
{
	const char *l = memchr(p, '(', len), *r = NULL, *q;
	struct field f[48];
	size_t nf, i;

	for (q = p + len; q > p; q--)
		if (q[-1] == ')') {
			r = q - 1;
			break;
		}
	if (!l || !r || (size_t)(r - p) + 2 > len)
		return -1;
	nf = hc_fields(r + 2, (size_t)(p + len - r - 2), f, 48);
	if (nf < 42 || f[0].n >= 64)
		return -1;
	for (i = 1; i < 42; i++) {
		int64_t v;

		if (f[i].p[0] == '-' ? parse_i64(f[i].p, f[i].n, INT64_MIN,
						 INT64_MAX, &v) < 0 :
		    parse_u64(f[i].p, f[i].n, 0, UINT64_MAX,
			      (uint64_t *)&v) < 0)
			return -1;
		if (i == 17)
			*threads = v;
	}
	memcpy(state, f[0].p, f[0].n);
	state[f[0].n] = '\0';
	return 0;
}

/* Reads dir/name/stat: 0, 1 gone (skipped as procfs does), -1 error. */
static int read_stat(const char *dir, const char *name, struct buf *b,
		     char state[64], int64_t *threads)
{
	char path[PATH_MAX];

	if (hc_fmt(path, sizeof(path), "%s/%s/stat", dir, name) < 0)
		return -1;
	if (hc_read(path, b) < 0)
		return errno == ENOENT || errno == ESRCH ? 1 : -1;
	if (procstat_parse(buf_cstr(b), b->len, state, threads) < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int numeric(const char *s)
{
	int64_t v;

	return parse_i64(s, strlen(s), INT64_MIN, INT64_MAX, &v) == 0;
}

/* Intern a state string: one slot per distinct string. */
struct statec {
	char s[16][64];
	uint64_t n[16];
	size_t k;
};

static void state_add(struct statec *c, const char *s)
{
	size_t i;

	for (i = 0; i < c->k; i++)
		if (strcmp(c->s[i], s) == 0) {
			c->n[i]++;
			return;
		}
	if (c->k < 16) {
		memcpy(c->s[c->k], s, strlen(s) + 1);
		c->n[c->k++] = 1;
	}
}

static int procfs_u64(struct hc *hc, const char *rel, uint64_t *v)
{
	char path[PATH_MAX];

	if (hc_path(path, sizeof(path), hc->procfs, rel) < 0)
		return -1;
	return hc_read_u64(path, v);
}

int processes_update(struct hc *hc, struct out *o)
{
	struct statec ps, ts;
	struct buf b = BUF_INIT(65536);
	struct names pids = { NULL, 0 }, tids = { NULL, 0 };
	char task[PATH_MAX + 300];
	uint64_t npids = 0, threads = 0, tmax, pmax;
	size_t i, j;
	int rc = HC_FAIL, r;

	memset(&ps, 0, sizeof(ps));
	memset(&ts, 0, sizeof(ts));
	if (hc_list(hc->procfs, &pids) < 0) {
		log_error("processes: unable to list all processes: %s",
			  strerror(errno));
		goto out;
	}
	for (i = 0; i < pids.n; i++) {
		char state[64], tstate[64];
		int64_t nth = 0, dummy;

		if (!numeric(pids.v[i]))
			continue;
		r = read_stat(hc->procfs, pids.v[i], &b, state, &nth);
		if (r > 0)
			continue;
		if (r < 0) {
			log_error("processes: error reading stat for pid %s: %s",
				  pids.v[i], strerror(errno));
			goto out;
		}
		npids++;
		state_add(&ps, state);
		threads += (uint64_t)nth;
		hc_fmt(task, sizeof(task), "%s/%s/task", hc->procfs,
		       pids.v[i]);
		if (hc_list(task, &tids) < 0) {
			if (errno == ENOENT || errno == ESRCH)
				continue;
			log_error("processes: unable to list all threads for "
				  "pid %s: %s", pids.v[i], strerror(errno));
			goto out;
		}
		for (j = 0; j < tids.n; j++) {
			if (!numeric(tids.v[j]))
				continue;
			if (strcmp(tids.v[j], pids.v[i]) == 0) {
				state_add(&ts, state);
				continue;
			}
			r = read_stat(task, tids.v[j], &b, tstate, &dummy);
			if (r > 0)
				continue;
			if (r < 0) {
				log_error("processes: error reading stat for "
					  "pid:%s thread:%s: %s", pids.v[i],
					  tids.v[j], strerror(errno));
				goto out;
			}
			state_add(&ts, tstate);
		}
		hc_names_free(&tids);
	}
	if (out_add(o, "node_processes_threads", "Allocated threads in system",
		    OUT_GAUGE, (double)threads, NULL) < 0)
		goto out;
	if (procfs_u64(hc, "sys/kernel/threads-max", &tmax) < 0) {
		log_error("processes: unable to retrieve limit number of "
			  "threads: %s", strerror(errno));
		goto out;
	}
	if (out_add(o, "node_processes_max_threads",
		    "Limit of threads in the system", OUT_GAUGE, (double)tmax,
		    NULL) < 0)
		goto out;
	for (i = 0; i < ps.k; i++)
		if (out_add(o, "node_processes_state",
			    "Number of processes in each state.", OUT_GAUGE,
			    (double)ps.n[i], "state", ps.s[i], NULL) < 0)
			goto out;
	for (i = 0; i < ts.k; i++)
		if (out_add(o, "node_processes_threads_state",
			    "Number of threads in each state.", OUT_GAUGE,
			    (double)ts.n[i], "thread_state", ts.s[i], NULL) < 0)
			goto out;
	if (procfs_u64(hc, "sys/kernel/pid_max", &pmax) < 0) {
		log_error("processes: unable to retrieve limit number of "
			  "maximum pids allowed: %s", strerror(errno));
		goto out;
	}
	if (out_add(o, "node_processes_pids", "Number of PIDs", OUT_GAUGE,
		    (double)npids, NULL) < 0 ||
	    out_add(o, "node_processes_max_processes",
		    "Number of max PIDs limit", OUT_GAUGE, (double)pmax,
		    NULL) < 0)
		goto out;
	rc = HC_OK;
out:
	hc_names_free(&pids);
	hc_names_free(&tids);
	buf_free(&b);
	return rc;
}

int interrupts_init(struct hc *hc)
{
	if (hc->intr_include && *hc->intr_include && hc->intr_exclude &&
	    *hc->intr_exclude) {
		log_error("--collector.interrupts.name-exclude and "
			  "--collector.interrupts.name-include are mutually "
			  "exclusive");
		return -1;
	}
	return filter_init(&hc->intr_filter, "interrupts name filter",
			   hc->intr_exclude, hc->intr_include);
}

struct irq {
	struct span_s {
		const char *p;
		size_t n;
	} name;
	const char *rest;	/* after the ':' */
	size_t rlen;
};

/*
 * /proc/interrupts: a header naming one column per CPU, then
 * "NAME: count... info [devices]" lines; a line with fewer counts than
 * CPUs (ERR, MIS) is skipped.  When o is NULL only the syntax is checked.
 */
int interrupts_parse(const char *p, size_t len, struct hc *hc,
		     struct out *o)
{
	const char *line;
	size_t llen, pos = 0, ncpu, i, k;
	struct field hdr[1024];
	struct irq *v = NULL;
	size_t n = 0, cap = 0;
	struct buf info = BUF_INIT(65536), devs = BUF_INIT(65536),
		   filt = BUF_INIT(1u << 20);
	int rc = -1;

	if (!hc_line(p, len, &pos, &line, &llen))
		return -1;
	ncpu = hc_fields(line, llen, hdr, 1024);
	while (hc_line(p, len, &pos, &line, &llen)) {
		const char *c = memchr(line, ':', llen);

		if (!c)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct irq *nv = realloc(v, nc * sizeof(*nv));

			if (!nv)
				goto out;
			v = nv;
			cap = nc;
		}
		v[n].name.p = line;
		v[n].name.n = (size_t)(c - line);
		while (v[n].name.n && *v[n].name.p == ' ') {
			v[n].name.p++;
			v[n].name.n--;
		}
		v[n].rest = c + 1;
		v[n].rlen = (size_t)(line + llen - c - 1);
		n++;
	}
	for (i = 0; i < n; i++) {
		struct field f[1100];
		size_t nf = hc_fields(v[i].rest, v[i].rlen, f, 1100);
		char name[256], cpu[24];
		int num;

		if (nf < ncpu + 1 || nf == 1100)
			continue;
		/* A later line of the same name wins, as in a Go map. */
		for (k = i + 1; k < n; k++) {
			struct field g[1100];

			if (v[k].name.n == v[i].name.n &&
			    memcmp(v[k].name.p, v[i].name.p, v[i].name.n) == 0 &&
			    hc_fields(v[k].rest, v[k].rlen, g, 1100) >= ncpu + 1)
				break;
		}
		if (k < n)
			continue;
		if (hc_fmt(name, sizeof(name), "%.*s", (int)v[i].name.n,
			   v[i].name.p) < 0)
			continue;
		{
			int64_t x;

			num = parse_i64(name, strlen(name), INT64_MIN,
					INT64_MAX, &x) == 0;
		}
		buf_reset(&info);
		buf_reset(&devs);
		if (buf_addstr(&info, "") < 0 || buf_addstr(&devs, "") < 0)
			goto out;
		for (k = ncpu; k < nf; k++) {
			struct buf *t = (num && k > ncpu) ? &devs : &info;

			if ((t->len && buf_addch(t, ' ') < 0) ||
			    buf_add(t, f[k].p, f[k].n) < 0)
				goto out;
		}
		buf_reset(&filt);
		if (buf_addf(&filt, "%s;%s;%s", name, buf_cstr(&info),
			     buf_cstr(&devs)) < 0)
			goto out;
		for (k = 0; k < ncpu; k++) {
			double fv;

			if (hc_field_f64(&f[k], &fv) < 0)
				goto out;
			if (!o || (hc && filter_ignored(&hc->intr_filter,
							buf_cstr(&filt))))
				continue;
			if (hc && !hc->intr_include_zeros && fv == 0.0)
				continue;
			hc_fmt(cpu, sizeof(cpu), "%zu", k);
			if (out_add(o, "node_interrupts_total",
				    "Interrupt details.", OUT_COUNTER, fv,
				    "cpu", cpu, "type", name, "info",
				    buf_cstr(&info), "devices",
				    buf_cstr(&devs), NULL) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	free(v);
	buf_free(&info);
	buf_free(&devs);
	buf_free(&filt);
	return rc;
}

int interrupts_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_FAIL;

	if (hc_path(path, sizeof(path), hc->procfs, "interrupts") < 0 ||
	    hc_read(path, &b) < 0)
		log_error("interrupts: couldn't get interrupts: %s",
			  strerror(errno));
	else if (interrupts_parse(buf_cstr(&b), b.len, hc, o) < 0)
		log_error("interrupts: couldn't get interrupts: malformed '%s'",
			  path);
	else
		rc = HC_OK;
	buf_free(&b);
	return rc;
}
