/* pressure.c: the pressure collector (pressure stall information, /proc/pressure). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/*
 * Reads the total= of the "some" and "full" lines in microseconds; a line
 * that is absent leaves NAN.  Returns -1 on a malformed file.
 */
int pressure_parse(const char *p, size_t len, double *some, double *full)
{
	const char *line;
	size_t llen, pos = 0, i;

	*some = NAN;
	*full = NAN;
	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[8];
		size_t nf = hc_fields(line, llen, f, 8);
		double *dst;
		int found = 0;

		if (nf == 0)
			continue;
		if (f[0].n == 4 && memcmp(f[0].p, "some", 4) == 0)
			dst = some;
		else if (f[0].n == 4 && memcmp(f[0].p, "full", 4) == 0)
			dst = full;
		else
			return -1;
		for (i = 1; i < nf; i++) {
			uint64_t t;
			struct field v;

			if (f[i].n < 6 || memcmp(f[i].p, "total=", 6) != 0)
				continue;
			v.p = f[i].p + 6;
			v.n = f[i].n - 6;
			if (hc_field_u64(&v, &t) < 0)
				return -1;
			*dst = (double)t;
			found = 1;
		}
		if (!found)
			return -1;
	}
	return 0;
}

static const struct {
	const char *res;	/* its file, under procfs */
	const char *some_name, *some_help;
	const char *full_name, *full_help;
} psi[] = {
	{ "pressure/cpu", "node_pressure_cpu_waiting_seconds_total",
	  "Total time in seconds that processes have waited for CPU time",
	  NULL, NULL },
	{ "pressure/io", "node_pressure_io_waiting_seconds_total",
	  "Total time in seconds that processes have waited due to IO congestion",
	  "node_pressure_io_stalled_seconds_total",
	  "Total time in seconds no process could make progress due to IO congestion" },
	{ "pressure/memory", "node_pressure_memory_waiting_seconds_total",
	  "Total time in seconds that processes have waited for memory",
	  "node_pressure_memory_stalled_seconds_total",
	  "Total time in seconds no process could make progress due to memory congestion" },
	{ "pressure/irq", NULL, NULL, "node_pressure_irq_stalled_seconds_total",
	  "Total time in seconds no process could make progress due to IRQ congestion" },
};

int pressure_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	char path[PATH_MAX];
	size_t i, found = 0;
	int rc = HC_OK;

	for (i = 0; i < sizeof(psi) / sizeof(psi[0]); i++) {
		double some, full;

		if (hc_path(path, sizeof(path), hc->procfs, psi[i].res) < 0)
			continue;
		if (hc_read_fixed(path, &b) < 0) {
			if (errno == ENOENT)
				continue;
			if (errno == EOPNOTSUPP) {
				rc = HC_NODATA;
				break;
			}
			log_error("pressure: cannot read '%s': %s", path,
				  strerror(errno));
			rc = HC_FAIL;
			break;
		}
		if (pressure_parse(b.p ? b.p : "", b.len, &some, &full) < 0) {
			log_error("pressure: malformed '%s'", path);
			rc = HC_FAIL;
			break;
		}
		if ((psi[i].some_name && isnan(some)) ||
		    (psi[i].full_name && isnan(full))) {
			rc = HC_NODATA;
			break;
		}
		if (psi[i].some_name &&
		    out_add(o, psi[i].some_name, psi[i].some_help, OUT_COUNTER,
			    some / 1000.0 / 1000.0, NULL) < 0)
			rc = HC_FAIL;
		if (psi[i].full_name &&
		    out_add(o, psi[i].full_name, psi[i].full_help, OUT_COUNTER,
			    full / 1000.0 / 1000.0, NULL) < 0)
			rc = HC_FAIL;
		found++;
	}
	buf_free(&b);
	if (rc == HC_OK && found == 0)
		rc = HC_NODATA;
	return rc;
}
