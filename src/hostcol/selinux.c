/* selinux.c: the selinux collector (whether SELinux is on, and its configured and current modes). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

/*
 * As go-selinux (what node_exporter uses) decides it, from this process'
 * own view and the fixed paths /sys/fs/selinux, /proc/self and
 * /etc/selinux/config (node_exporter's --path options do not move them):
 * selinuxfs mounted read-write, and a process label other than "kernel"
 * (or none that can be read).
 */
static int selinux_fs_ok(const char *mnt)
{
	struct statfs sf;
	struct statvfs sv;

	while (statfs(mnt, &sf) < 0)
		if (errno != EAGAIN && errno != EINTR)
			return 0;
	if ((unsigned)sf.f_type != (unsigned)SELINUX_MAGIC)
		return 0;
	if (statvfs(mnt, &sv) == 0 && (sv.f_flag & ST_RDONLY))
		return 0;
	return 1;
}

/* The selinuxfs mount point into mnt; 0 if there is none. */
static int selinux_mount(char *mnt, size_t size, struct buf *b)
{
	size_t pos = 0, llen;
	const char *line;

	if (selinux_fs_ok("/sys/fs/selinux")) {
		hc_fmt(mnt, size, "/sys/fs/selinux");
		return 1;
	}
	if (hc_read("/proc/filesystems", b) < 0 || !b->p ||
	    !strstr(b->p, "\tselinuxfs\n"))
		return 0;
	if (hc_read("/proc/self/mountinfo", b) < 0)
		return 0;
	while (hc_line(b->p, b->len, &pos, &line, &llen)) {
		const char *f = line, *e = line + llen, *sp;
		int k;

		if (!memmem(line, llen, " - selinuxfs ", 13))
			continue;
		/* The fifth field, split on single spaces. */
		for (k = 0; k < 4 && f; k++) {
			sp = memchr(f, ' ', (size_t)(e - f));
			f = sp ? sp + 1 : NULL;
		}
		if (!f)
			continue;
		sp = memchr(f, ' ', (size_t)(e - f));
		if (!sp)
			continue;
		if (hc_fmt(mnt, size, "%.*s", (int)(sp - f), f) < 0)
			continue;
		if (selinux_fs_ok(mnt))
			return 1;
		/* go-selinux gives up at the first that is not usable. */
		return 0;
	}
	return 0;
}

/* SELINUX= of the config file: enforcing 1, permissive 0, else -1. */
int selinux_config_mode(const char *p, size_t len)
{
	const char *line;
	size_t llen, pos = 0;

	while (hc_line(p, len, &pos, &line, &llen)) {
		const char *eq, *v;
		size_t vl;

		while (llen > 0 && (*line == ' ' || *line == '\t' ||
				    *line == '\r' || *line == '\v' ||
				    *line == '\f'))
			line++, llen--;
		while (llen > 0 && (line[llen - 1] == ' ' ||
				    line[llen - 1] == '\t' ||
				    line[llen - 1] == '\r' ||
				    line[llen - 1] == '\v' ||
				    line[llen - 1] == '\f'))
			llen--;
		if (llen == 0 || line[0] == ';' || line[0] == '#')
			continue;
		eq = memchr(line, '=', llen);
		if (!eq || eq - line != 7 || memcmp(line, "SELINUX", 7) != 0)
			continue;
		v = eq + 1;
		vl = llen - 8;
		while (vl > 0 && *v == '"')
			v++, vl--;
		while (vl > 0 && v[vl - 1] == '"')
			vl--;
		if (vl == 9 && memcmp(v, "enforcing", 9) == 0)
			return 1;
		if (vl == 10 && memcmp(v, "permissive", 10) == 0)
			return 0;
		return -1;
	}
	return -1;
}

int selinux_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char mnt[PATH_MAX], path[PATH_MAX + 16];
	double config = -1, current = -1;
	int rc = HC_OK;

	if (hc->selinux_state == 0) {
		hc->selinux_state = -1;
		if (selinux_mount(hc->selinux_mnt, sizeof(hc->selinux_mnt), &b)) {
			/* A label that cannot be read is not "kernel". */
			if (hc_read("/proc/thread-self/attr/current", &b) < 0 ||
			    !(b.len >= 6 && memcmp(b.p, "kernel", 6) == 0 &&
			      (b.len == 6 || (b.len == 7 && b.p[6] == '\0'))))
				hc->selinux_state = 1;
		}
	}
	if (hc->selinux_state < 0) {
		if (out_add(o, "node_selinux_enabled",
			    "SELinux is enabled, 1 is true, 0 is false",
			    OUT_GAUGE, 0, NULL) < 0)
			rc = HC_FAIL;
		goto out;
	}
	hc_fmt(mnt, sizeof(mnt), "%s", hc->selinux_mnt);
	if (hc_read("/etc/selinux/config", &b) == 0)
		config = selinux_config_mode(b.p ? b.p : "", b.len);
	hc_fmt(path, sizeof(path), "%s/enforce", mnt);
	if (hc_read(path, &b) == 0) {
		/* strconv.Atoi of the whole file. */
		int neg = b.len > 0 && b.p[0] == '-';
		size_t k = b.len > 0 && (b.p[0] == '-' || b.p[0] == '+');
		uint64_t u;

		if (parse_u64(b.p + k, b.len - k, 0,
			      (uint64_t)INT64_MAX + (uint64_t)neg, &u) == 0)
			current = neg ? -(double)u : (double)u;
	}
	if (out_add(o, "node_selinux_enabled",
		    "SELinux is enabled, 1 is true, 0 is false", OUT_GAUGE, 1,
		    NULL) < 0 ||
	    out_add(o, "node_selinux_config_mode",
		    "Configured SELinux enforcement mode", OUT_GAUGE, config,
		    NULL) < 0 ||
	    out_add(o, "node_selinux_current_mode",
		    "Current SELinux enforcement mode", OUT_GAUGE, current,
		    NULL) < 0)
		rc = HC_FAIL;
out:
	buf_free(&b);
	return rc;
}
