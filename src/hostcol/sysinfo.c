/* sysinfo.c: the os collector (os-release as node_os_*) and the timex collector (adjtimex(2) as node_timex_*). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/* The os-release keys node_exporter reports, in its label order. */
enum {
	OS_BUILD_ID, OS_ID, OS_ID_LIKE, OS_IMAGE_ID, OS_IMAGE_VERSION, OS_NAME,
	OS_PRETTY_NAME, OS_VARIANT, OS_VARIANT_ID, OS_VERSION,
	OS_VERSION_CODENAME, OS_VERSION_ID, OS_SUPPORT_END, OS_NKEYS
};

static const char *const os_keys[OS_NKEYS] = {
	"BUILD_ID", "ID", "ID_LIKE", "IMAGE_ID", "IMAGE_VERSION", "NAME",
	"PRETTY_NAME", "VARIANT", "VARIANT_ID", "VERSION", "VERSION_CODENAME",
	"VERSION_ID", "SUPPORT_END",
};

static const char *const os_labels[OS_NKEYS] = {
	"build_id", "id", "id_like", "image_id", "image_version", "name",
	"pretty_name", "variant", "variant_id", "version", "version_codename",
	"version_id", "support_end",
};

/*
 * One value of an os-release line (a shell-like assignment): double
 * quotes with backslash escapes of $ " \ and `, single quotes taken as
 * they are, or a bare word up to blanks or a comment.  -1 on an open quote.
 */
static int env_value(const char *p, size_t n, struct buf *out)
{
	size_t i = 0;

	buf_reset(out);
	if (buf_addstr(out, "") < 0)
		return -1;
	while (i < n) {
		char c = p[i];

		if (c == '"') {
			for (i++; i < n && p[i] != '"'; i++) {
				if (p[i] == '\\' && i + 1 < n &&
				    strchr("$\"\\`", p[i + 1]))
					i++;
				if (buf_addch(out, p[i]) < 0)
					return -1;
			}
			if (i >= n)
				return -1;
			i++;
		} else if (c == '\'') {
			const char *q = memchr(p + i + 1, '\'', n - i - 1);

			if (!q)
				return -1;
			if (buf_add(out, p + i + 1, (size_t)(q - p - i - 1)) < 0)
				return -1;
			i = (size_t)(q - p) + 1;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			size_t j = i;

			while (j < n && (p[j] == ' ' || p[j] == '\t' ||
					 p[j] == '\r'))
				j++;
			if (j == n || p[j] == '#')
				break;
			return -1;
		} else if (c == '#' && i == 0) {
			break;
		} else {
			if (c == '\\' && i + 1 < n)
				i++;
			if (buf_addch(out, p[i]) < 0)
				return -1;
			i++;
		}
	}
	return 0;
}

/* Parses os-release into v[OS_NKEYS] (each reset first); -1 if malformed. */
int os_release_parse(const char *p, size_t len, struct buf *v)
{
	const char *line;
	size_t llen, pos = 0, k;
	struct buf tmp = BUF_INIT(65536);
	int rc = -1;

	for (k = 0; k < OS_NKEYS; k++) {
		buf_reset(&v[k]);
		if (buf_addstr(&v[k], "") < 0)
			return -1;
	}
	while (hc_line(p, len, &pos, &line, &llen)) {
		const char *eq;
		size_t s = 0, kl;

		while (s < llen && (line[s] == ' ' || line[s] == '\t'))
			s++;
		line += s;
		llen -= s;
		while (llen > 0 && (line[llen - 1] == '\r'))
			llen--;
		if (llen == 0 || line[0] == '#')
			continue;
		if (llen > 7 && memcmp(line, "export ", 7) == 0) {
			line += 7;
			llen -= 7;
		}
		eq = memchr(line, '=', llen);
		if (!eq || eq == line)
			goto out;
		kl = (size_t)(eq - line);
		for (k = 0; k < kl; k++) {
			char c = line[k];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '_'))
				goto out;
		}
		if (env_value(eq + 1, (size_t)(line + llen - eq - 1), &tmp) < 0)
			goto out;
		for (k = 0; k < OS_NKEYS; k++)
			if (strlen(os_keys[k]) == kl &&
			    memcmp(os_keys[k], line, kl) == 0) {
				buf_reset(&v[k]);
				if (buf_add(&v[k], tmp.p, tmp.len) < 0 ||
				    buf_addstr(&v[k], "") < 0)
					goto out;
			}
	}
	rc = 0;
out:
	buf_free(&tmp);
	return rc;
}

/* `^[0-9]+\.?[0-9]*` of VERSION_ID as a float, 0 when it does not match. */
static double os_version(const char *s)
{
	size_t n = 0;
	double v;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0)
		return 0;
	if (s[n] == '.') {
		n++;
		while (s[n] >= '0' && s[n] <= '9')
			n++;
	}
	return hc_parse_f64(s, n, &v) < 0 ? 0 : v;
}

/* "YYYY-MM-DD" (Go's time.DateOnly) as Unix seconds at midnight UTC. */
static int date_only(const char *s, int64_t *t)
{
	int64_t y, m, d;
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	struct tm tm;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    parse_i64(s, 4, 0, 9999, &y) < 0 ||
	    parse_i64(s + 5, 2, 1, 12, &m) < 0 ||
	    parse_i64(s + 8, 2, 1, 31, &d) < 0 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)m - 1;
	tm.tm_mday = (int)d;
	*t = (int64_t)timegm(&tm);
	return 0;
}

int os_update(struct hc *hc, struct out *o)
{
	static const char *const files[2] = { "etc/os-release",
		"usr/lib/os-release" };
	struct buf b = BUF_INIT(1u << 20), v[OS_NKEYS];
	const char *names[OS_NKEYS], *vals[OS_NKEYS];
	char path[PATH_MAX];
	int rc = HC_FAIL, i;
	int64_t end = 0;
	double ver;
	size_t k;

	for (k = 0; k < OS_NKEYS; k++)
		buf_init(&v[k], 65536);
	for (i = 0; i < 2; i++) {
		if (hc_path(path, sizeof(path), hc->rootfs, files[i]) < 0)
			goto out;
		if (hc_read(path, &b) == 0)
			break;
		if (errno != ENOENT) {
			log_error("os: cannot read '%s': %s", path,
				  strerror(errno));
			goto out;
		}
	}
	if (i == 2) {
		rc = HC_NODATA;
		goto out;
	}
	if (os_release_parse(buf_cstr(&b), b.len, v) < 0) {
		log_error("os: malformed '%s'", path);
		goto out;
	}
	if (v[OS_SUPPORT_END].len &&
	    date_only(v[OS_SUPPORT_END].p, &end) < 0) {
		log_error("os: bad SUPPORT_END in '%s'", path);
		goto out;
	}
	for (k = 0; k < OS_SUPPORT_END; k++) {
		names[k] = os_labels[k];
		vals[k] = buf_cstr(&v[k]);
	}
	if (out_addv(o, "node_os_info",
		     "A metric with a constant '1' value labeled by build_id, "
		     "id, id_like, image_id, image_version, name, pretty_name, "
		     "variant, variant_id, version, version_codename, "
		     "version_id.", OUT_GAUGE, 1.0, OS_SUPPORT_END, names,
		     vals) < 0)
		goto out;
	ver = os_version(buf_cstr(&v[OS_VERSION_ID]));
	if (ver > 0 &&
	    out_add(o, "node_os_version",
		    "Metric containing the major.minor part of the OS version.",
		    OUT_GAUGE, ver, "id", vals[OS_ID], "id_like",
		    vals[OS_ID_LIKE], "name", vals[OS_NAME], NULL) < 0)
		goto out;
	if (v[OS_SUPPORT_END].len &&
	    out_add(o, "node_os_support_end_timestamp_seconds",
		    "Metric containing the end-of-life date timestamp of the "
		    "OS.", OUT_GAUGE, (double)end, NULL) < 0)
		goto out;
	rc = HC_OK;
out:
	buf_free(&b);
	for (k = 0; k < OS_NKEYS; k++)
		buf_free(&v[k]);
	return rc;
}

int timex_update(struct hc *hc, struct out *o)
{
	struct timex t;
	double div, ppm16 = 1000000.0 * 65536.0;
	int st;

	(void)hc;
	memset(&t, 0, sizeof(t));
	st = adjtimex(&t);
	if (st < 0) {
		if (errno == EPERM || errno == EACCES)
			return HC_NODATA;
		log_errno("timex: failed to retrieve adjtimex stats");
		return HC_FAIL;
	}
	div = (t.status & STA_NANO) ? 1e9 : 1e6;
	{
		const struct {
			const char *name, *help;
			enum out_type type;
			double v;
		} m[] = {
			{ "node_timex_sync_status",
			  "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
			  OUT_GAUGE, st == TIME_ERROR ? 0.0 : 1.0 },
			{ "node_timex_offset_seconds",
			  "Time offset in between local system and reference clock.",
			  OUT_GAUGE, (double)t.offset / div },
			{ "node_timex_frequency_adjustment_ratio",
			  "Local clock frequency adjustment.", OUT_GAUGE,
			  1 + (double)t.freq / ppm16 },
			{ "node_timex_maxerror_seconds",
			  "Maximum error in seconds.", OUT_GAUGE,
			  (double)t.maxerror / 1e6 },
			{ "node_timex_estimated_error_seconds",
			  "Estimated error in seconds.", OUT_GAUGE,
			  (double)t.esterror / 1e6 },
			{ "node_timex_status", "Value of the status array bits.",
			  OUT_GAUGE, (double)t.status },
			{ "node_timex_loop_time_constant",
			  "Phase-locked loop time constant.", OUT_GAUGE,
			  (double)t.constant },
			{ "node_timex_tick_seconds",
			  "Seconds between clock ticks.", OUT_GAUGE,
			  (double)t.tick / 1e6 },
			{ "node_timex_pps_frequency_hertz",
			  "Pulse per second frequency.", OUT_GAUGE,
			  (double)t.ppsfreq / ppm16 },
			{ "node_timex_pps_jitter_seconds",
			  "Pulse per second jitter.", OUT_GAUGE,
			  (double)t.jitter / div },
			{ "node_timex_pps_shift_seconds",
			  "Pulse per second interval duration.", OUT_GAUGE,
			  (double)t.shift },
			{ "node_timex_pps_stability_hertz",
			  "Pulse per second stability, average of recent frequency changes.",
			  OUT_GAUGE, (double)t.stabil / ppm16 },
			{ "node_timex_pps_jitter_total",
			  "Pulse per second count of jitter limit exceeded events.",
			  OUT_COUNTER, (double)t.jitcnt },
			{ "node_timex_pps_calibration_total",
			  "Pulse per second count of calibration intervals.",
			  OUT_COUNTER, (double)t.calcnt },
			{ "node_timex_pps_error_total",
			  "Pulse per second count of calibration errors.",
			  OUT_COUNTER, (double)t.errcnt },
			{ "node_timex_pps_stability_exceeded_total",
			  "Pulse per second count of stability limit exceeded events.",
			  OUT_COUNTER, (double)t.stbcnt },
			{ "node_timex_tai_offset_seconds",
			  "International Atomic Time (TAI) offset.", OUT_GAUGE,
			  (double)t.tai },
		};
		size_t i;

		for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
			if (out_add(o, m[i].name, m[i].help, m[i].type, m[i].v,
				    NULL) < 0)
				return HC_FAIL;
	}
	return HC_OK;
}
