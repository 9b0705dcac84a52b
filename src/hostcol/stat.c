/* stat.c: the stat collector (/proc/stat: interrupts, context switches, forks, boot time, processes, softirqs). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

static int field_is(const struct field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* Is f the name of a line stat_parse reads? */
static int stat_key(const struct field *f)
{
	switch (f->n) {
	case 4:
		return memcmp(f->p, "intr", 4) == 0 ||
		       memcmp(f->p, "ctxt", 4) == 0;
	case 5:
		return memcmp(f->p, "btime", 5) == 0;
	case 7:
		return memcmp(f->p, "softirq", 7) == 0;
	case 9:
		return memcmp(f->p, "processes", 9) == 0;
	case 13:
		return memcmp(f->p, "procs_running", 13) == 0 ||
		       memcmp(f->p, "procs_blocked", 13) == 0;
	}
	return 0;
}

static const char *const softirq_vectors[] = {
	"hi", "timer", "net_tx", "net_rx", "block", "block_iopoll",
	"tasklet", "sched", "hrtimer", "rcu",
};

int stat_parse(const char *p, size_t len, int softirq, struct out *o)
{
	uint64_t intr = 0, ctxt = 0, forks = 0, btime = 0, running = 0,
		 blocked = 0, si[10] = { 0 };
	const char *line;
	size_t llen, pos = 0, i;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[12];
		size_t nf;
		uint64_t *dst = NULL;

		/* Most lines are a CPU's (and the long intr line, whose
		 * first two fields are all we read): their name decides
		 * before the line is split. */
		if (hc_fields(line, llen, f, 1) == 0 || !stat_key(&f[0]))
			continue;
		/* Only softirq's line is read past its first value. */
		nf = hc_fields(line, llen, f,
			       field_is(&f[0], "softirq") ? 12 : 2);
		if (nf < 2)
			continue;
		if (field_is(&f[0], "btime"))
			dst = &btime;
		else if (field_is(&f[0], "intr"))
			dst = &intr;
		else if (field_is(&f[0], "ctxt"))
			dst = &ctxt;
		else if (field_is(&f[0], "processes"))
			dst = &forks;
		else if (field_is(&f[0], "procs_running"))
			dst = &running;
		else if (field_is(&f[0], "procs_blocked"))
			dst = &blocked;
		else if (field_is(&f[0], "softirq")) {
			uint64_t total;

			if (nf < 12 || hc_field_u64(&f[1], &total) < 0)
				return -1;
			for (i = 0; i < 10; i++)
				if (hc_field_u64(&f[2 + i], &si[i]) < 0)
					return -1;
			continue;
		}
		if (dst && hc_field_u64(&f[1], dst) < 0)
			return -1;
	}
	if (out_add(o, "node_intr_total", "Total number of interrupts serviced.",
		    OUT_COUNTER, (double)intr, NULL) < 0 ||
	    out_add(o, "node_context_switches_total",
		    "Total number of context switches.", OUT_COUNTER,
		    (double)ctxt, NULL) < 0 ||
	    out_add(o, "node_forks_total", "Total number of forks.",
		    OUT_COUNTER, (double)forks, NULL) < 0 ||
	    out_add(o, "node_boot_time_seconds", "Node boot time, in unixtime.",
		    OUT_GAUGE, (double)btime, NULL) < 0 ||
	    out_add(o, "node_procs_running",
		    "Number of processes in runnable state.", OUT_GAUGE,
		    (double)running, NULL) < 0 ||
	    out_add(o, "node_procs_blocked",
		    "Number of processes blocked waiting for I/O to complete.",
		    OUT_GAUGE, (double)blocked, NULL) < 0)
		return -1;
	if (softirq)
		for (i = 0; i < 10; i++)
			if (out_add(o, "node_softirqs_total",
				    "Number of softirq calls.", OUT_COUNTER,
				    (double)si[i], "vector", softirq_vectors[i],
				    NULL) < 0)
				return -1;
	return 0;
}

int stat_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_OK;

	if (hc_path(path, sizeof(path), hc->procfs, "stat") < 0 ||
	    hc_read_shared(path, &b) < 0) {
		log_error("stat: cannot read '%s': %s", path, strerror(errno));
		buf_free(&b);
		return HC_FAIL;
	}
	if (stat_parse(b.p ? b.p : "", b.len, hc->stat_softirq, o) < 0) {
		log_error("stat: malformed '%s'", path);
		rc = HC_FAIL;
	}
	buf_free(&b);
	return rc;
}
