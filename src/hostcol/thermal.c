/* thermal.c: the thermal_zone collector (/sys/class/thermal zones and cooling devices). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/* Is s prefix followed by a digit (glob "prefix[0-9]*")? */
static int has_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 &&
	       isdigit((unsigned char)s[n]);
}

/* The zones and the cooling devices of dir, from one listing. */
static int list_split(const char *dir, struct names *z, struct names *cd)
{
	struct names all;
	size_t i;

	if (hc_list_fixed(dir, NULL, &all) < 0)
		return -1;
	z->v = calloc(all.n + 1, sizeof(*z->v));
	cd->v = calloc(all.n + 1, sizeof(*cd->v));
	if (!z->v || !cd->v) {
		free(z->v);
		free(cd->v);
		z->v = cd->v = NULL;
		hc_names_free(&all);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < all.n; i++) {
		if (has_prefix(all.v[i], "thermal_zone"))
			z->v[z->n++] = all.v[i];
		else if (has_prefix(all.v[i], "cooling_device"))
			cd->v[cd->n++] = all.v[i];
		else
			free(all.v[i]);
	}
	free(all.v);
	return 0;
}

int thermal_zone_update(struct hc *hc, struct out *o)
{
	struct buf type = BUF_INIT(65536);
	struct names z = { NULL, 0 }, cd = { NULL, 0 };
	char dir[PATH_MAX], path[PATH_MAX + 64];
	size_t i;
	int rc = HC_FAIL;

	if (hc_path(dir, sizeof(dir), hc->sysfs, "class/thermal") < 0)
		return HC_FAIL;
	if (list_split(dir, &z, &cd) < 0) {
		if (errno == ENOENT)
			return HC_OK;
		log_error("thermal_zone: cannot list '%s': %s", dir,
			  strerror(errno));
		return HC_FAIL;
	}
	/* Like node_exporter, a zone whose files cannot be read still
	 * reports, with what could be read. */
	for (i = 0; i < z.n; i++) {
		int64_t t = 0;

		hc_fmt(path, sizeof(path), "%s/%s/type", dir, z.v[i]);
		if (hc_read_str(path, &type) < 0)
			buf_reset(&type);
		hc_fmt(path, sizeof(path), "%s/%s/temp", dir, z.v[i]);
		if (hc_read_i64(path, &t) < 0)
			t = 0;
		if (out_add(o, "node_thermal_zone_temp",
			    "Zone temperature in Celsius", OUT_GAUGE,
			    (double)t / 1000.0, "zone",
			    z.v[i] + strlen("thermal_zone"), "type",
			    type.p ? type.p : "", NULL) < 0)
			goto out;
	}
	for (i = 0; i < cd.n; i++) {
		int64_t max, cur;
		const char *name = cd.v[i] + strlen("cooling_device");

		hc_fmt(path, sizeof(path), "%s/%s/type", dir, cd.v[i]);
		if (hc_read_str(path, &type) < 0)
			goto bad;
		hc_fmt(path, sizeof(path), "%s/%s/max_state", dir, cd.v[i]);
		if (hc_read_i64(path, &max) < 0)
			goto bad;
		/* cur_state may be -1 (intel_powerclamp). */
		hc_fmt(path, sizeof(path), "%s/%s/cur_state", dir, cd.v[i]);
		if (hc_read_i64(path, &cur) < 0)
			goto bad;
		if (out_add(o, "node_cooling_device_cur_state",
			    "Current throttle state of the cooling device",
			    OUT_GAUGE, (double)cur, "name", name, "type",
			    type.p ? type.p : "", NULL) < 0 ||
		    out_add(o, "node_cooling_device_max_state",
			    "Maximum throttle state of the cooling device",
			    OUT_GAUGE, (double)max, "name", name, "type",
			    type.p ? type.p : "", NULL) < 0)
			goto out;
	}
	rc = HC_OK;
	goto out;
bad:
	log_error("thermal_zone: cannot read '%s': %s", path,
		  errno ? strerror(errno) : "malformed");
out:
	buf_free(&type);
	hc_names_free(&z);
	hc_names_free(&cd);
	return rc;
}
