/* time.c: the time collector (clock, zone, clocksources) and the uname collector. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

static int tz_loaded;

/* dir/name/file into path, as hc_fmt "%s/%s/%s" writes it (cut when it
 * does not fit), without a format each cycle. */
static void cs_path(char *path, size_t size, const char *dir,
		    const char *name, const char *file)
{
	int n = hc_join3(path, size, dir, "/", 1, name);

	if (n < 0 || hc_join3(path + n, size - (size_t)n, "/", file,
			      strlen(file), "") < 0)
		hc_fmt(path, size, "%s/%s/%s", dir, name, file);
}

/* Kept from cycle to cycle: the reads need no allocation. */
static struct buf avail = BUF_INIT(65536), cur = BUF_INIT(65536);

void time_cleanup(void)
{
	buf_free(&avail);
	buf_free(&cur);
}

int time_update(struct hc *hc, struct out *o)
{
	struct timespec now;
	struct tm tm;
	struct names cs;
	char dir[PATH_MAX], path[PATH_MAX + 64], dev[24];
	size_t i;
	int rc = HC_FAIL;

	clock_gettime(CLOCK_REALTIME, &now);
	/* The zone is loaded once, as Go loads time.Local once: tzset()
	 * every cycle would stat /etc/localtime every cycle. */
	if (!tz_loaded) {
		tzset();
		tz_loaded = 1;
	}
	if (!localtime_r(&now.tv_sec, &tm))
		return HC_FAIL;
	if (out_add(o, "node_time_seconds",
		    "System time in seconds since epoch (1970).", OUT_GAUGE,
		    (double)now.tv_sec + (double)now.tv_nsec / 1e9, NULL) < 0 ||
	    out_add(o, "node_time_zone_offset_seconds",
		    "System time zone offset in seconds.", OUT_GAUGE,
		    (double)tm.tm_gmtoff, "time_zone",
		    tm.tm_zone ? tm.tm_zone : "", NULL) < 0)
		return HC_FAIL;
	if (hc_path(dir, sizeof(dir), hc->sysfs,
		    "devices/system/clocksource") < 0 ||
	    hc_list_fixed(dir, "clocksource", &cs) < 0)
		return HC_OK;
	for (i = 0; i < cs.n; i++) {
		struct field f[64];
		size_t nf, j;

		hc_u64_str(dev, i);
		cs_path(path, sizeof(path), dir, cs.v[i],
			"available_clocksource");
		if (hc_read_str(path, &avail) < 0) {
			log_error("time: cannot read '%s': %s", path,
				  strerror(errno));
			goto out;
		}
		cs_path(path, sizeof(path), dir, cs.v[i],
			"current_clocksource");
		if (hc_read_str(path, &cur) < 0) {
			log_error("time: cannot read '%s': %s", path,
				  strerror(errno));
			goto out;
		}
		nf = hc_fields(avail.p ? avail.p : "", avail.len, f, 64);
		for (j = 0; j < nf; j++) {
			char name[256];
			size_t nl = f[j].n < sizeof(name) - 1 ?
				    f[j].n : sizeof(name) - 1;

			memcpy(name, f[j].p, nl);
			name[nl] = '\0';
			if (out_add(o, "node_time_clocksource_available_info",
				    "Available clocksources read from '/sys/devices/system/clocksource'.",
				    OUT_GAUGE, 1.0, "device", dev,
				    "clocksource", name, NULL) < 0)
				goto out;
		}
		if (out_add(o, "node_time_clocksource_current_info",
			    "Current clocksource read from '/sys/devices/system/clocksource'.",
			    OUT_GAUGE, 1.0, "device", dev, "clocksource",
			    cur.p ? cur.p : "", NULL) < 0)
			goto out;
	}
	rc = HC_OK;
out:
	hc_names_free(&cs);
	return rc;
}

int uname_update(struct hc *hc, struct out *o)
{
	struct utsname u;

	(void)hc;
	if (uname(&u) < 0) {
		log_errno("uname: uname failed");
		return HC_FAIL;
	}
	if (out_add(o, "node_uname_info",
		    "Labeled system information as provided by the uname system call.",
		    OUT_GAUGE, 1.0, "sysname", u.sysname, "release", u.release,
		    "version", u.version, "machine", u.machine, "nodename",
		    u.nodename, "domainname", u.domainname, NULL) < 0)
		return HC_FAIL;
	return HC_OK;
}
