/* watchdog.c: the watchdog collector (/sys/class/watchdog devices). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/* The files procfs reads, in its order; numbers (N) or labels (L),
 * and the metric a number goes to. */
static const struct {
	const char *file;
	const char *metric;	/* NULL: a label of node_watchdog_info */
	const char *help;
} wd_files[] = {
	{ "bootstatus", "node_watchdog_bootstatus", "Value of /sys/class/watchdog/<watchdog>/bootstatus" },
	{ "options", NULL, NULL },
	{ "fw_version", "node_watchdog_fw_version", "Value of /sys/class/watchdog/<watchdog>/fw_version" },
	{ "identity", NULL, NULL },
	{ "nowayout", "node_watchdog_nowayout", "Value of /sys/class/watchdog/<watchdog>/nowayout" },
	{ "state", NULL, NULL },
	{ "status", NULL, NULL },
	{ "timeleft", "node_watchdog_timeleft_seconds", "Value of /sys/class/watchdog/<watchdog>/timeleft" },
	{ "timeout", "node_watchdog_timeout_seconds", "Value of /sys/class/watchdog/<watchdog>/timeout" },
	{ "pretimeout", "node_watchdog_pretimeout_seconds", "Value of /sys/class/watchdog/<watchdog>/pretimeout" },
	{ "pretimeout_governor", NULL, NULL },
	{ "access_cs0", "node_watchdog_access_cs0", "Value of /sys/class/watchdog/<watchdog>/access_cs0" },
};
#define WD_NFILES (sizeof(wd_files) / sizeof(wd_files[0]))

/* Read errors node_exporter takes for "no watchdog to report". */
static int wd_nodata(int e)
{
	return e == ENOENT || e == EACCES || e == EPERM || e == EINVAL;
}

static int wd_device(const char *class, const char *name, struct out *o,
		     struct buf *b)
{
	char path[PATH_MAX + 512], lab[WD_NFILES][512];
	int64_t num[WD_NFILES];
	int have[WD_NFILES] = { 0 };
	const char *ln[6] = { "name", "options", "identity", "state", "status",
			      "pretimeout_governor" };
	const char *lv[6];
	size_t i;

	for (i = 0; i < WD_NFILES; i++) {
		hc_fmt(path, sizeof(path), "%s/%s/%s", class, name,
		       wd_files[i].file);
		if (hc_read_str(path, b) < 0) {
			if (errno == ENOENT)
				continue;
			if (wd_nodata(errno))
				return HC_NODATA;
			log_error("watchdog: cannot read '%s': %s", path,
				  strerror(errno));
			return HC_FAIL;
		}
		if (!wd_files[i].metric) {
			hc_fmt(lab[i], sizeof(lab[i]), "%s", b->p ? b->p : "");
		} else if (hc_parse_int0(b->p ? b->p : "", b->len, &num[i]) < 0) {
			log_error("watchdog: malformed '%s'", path);
			return HC_FAIL;
		}
		have[i] = 1;
	}
	for (i = 0; i < WD_NFILES; i++)
		if (wd_files[i].metric && have[i] &&
		    out_add(o, wd_files[i].metric, wd_files[i].help, OUT_GAUGE,
			    (double)num[i], "name", name, NULL) < 0)
			return HC_FAIL;
	lv[0] = name;
	lv[1] = have[1] ? lab[1] : "";
	lv[2] = have[3] ? lab[3] : "";
	lv[3] = have[5] ? lab[5] : "";
	lv[4] = have[6] ? lab[6] : "";
	lv[5] = have[10] ? lab[10] : "";
	if (out_addv(o, "node_watchdog_info",
		     "Info of /sys/class/watchdog/<watchdog>", OUT_GAUGE, 1.0,
		     6, ln, lv) < 0)
		return HC_FAIL;
	return HC_OK;
}

int watchdog_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	struct names devs = { NULL, 0 };
	struct out_mark m = out_mark(o);
	char class[PATH_MAX];
	size_t i;
	int rc = HC_OK;

	if (hc_path(class, sizeof(class), hc->sysfs, "class/watchdog") < 0)
		return HC_FAIL;
	if (hc_list(class, &devs) < 0) {
		if (wd_nodata(errno))
			return HC_NODATA;
		log_error("watchdog: cannot list '%s': %s", class,
			  strerror(errno));
		return HC_FAIL;
	}
	for (i = 0; i < devs.n && rc == HC_OK; i++)
		rc = wd_device(class, devs.v[i], o, &b);
	if (rc != HC_OK)
		out_rollback(o, m);
	hc_names_free(&devs);
	buf_free(&b);
	return rc;
}
