/* cpu_vulnerabilities.c: the cpu_vulnerabilities collector (/sys/devices/system/cpu/vulnerabilities). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/*
 * One file's text (trimmed) into its state and mitigation, as procfs
 * reads it: "Not affected", "Vulnerable[: ...]", "Mitigation: ...",
 * "Unknown[: ...]" (any case); anything else is unknown, the whole text
 * its mitigation.  The mitigation is the text after the first word, its
 * words joined by single spaces.
 */
int vuln_parse(const char *p, size_t len, const char **state, char *mit,
	       size_t size)
{
	static const char *const states[4] = {
		"not affected", "vulnerable", "mitigation", "unknown",
	};
	size_t i, k, n = 0;
	int joined = 0;

	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*p))
		p++, len--;
	mit[0] = '\0';
	for (k = 0; k < 4; k++) {
		size_t sl = strlen(states[k]);

		if (len < sl)
			continue;
		for (i = 0; i < sl; i++)
			if (tolower((unsigned char)p[i]) != states[k][i])
				break;
		if (i == sl)
			break;
	}
	if (k == 4) {
		*state = states[3];
		return hc_fmt(mit, size, "%.*s", (int)len, p) < 0 ? -1 : 0;
	}
	*state = states[k];
	if (k == 0)
		return 0;
	/* Skip the first word, then join the others. */
	for (i = 0; i < len && !isspace((unsigned char)p[i]); i++)
		;
	while (i < len) {
		size_t s;

		while (i < len && isspace((unsigned char)p[i]))
			i++;
		if (i == len)
			break;
		s = i;
		while (i < len && !isspace((unsigned char)p[i]))
			i++;
		if (n + (i - s) + 2 > size)
			return -1;
		if (joined)
			mit[n++] = ' ';
		memcpy(mit + n, p + s, i - s);
		n += i - s;
		mit[n] = '\0';
		joined = 1;
	}
	return 0;
}

int cpu_vulnerabilities_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	struct names files = { NULL, 0 };
	struct out_mark m = out_mark(o);
	char dir[PATH_MAX], path[PATH_MAX + 256], mit[4096];
	size_t i;
	int rc = HC_OK;

	if (hc_path(dir, sizeof(dir), hc->sysfs,
		    "devices/system/cpu/vulnerabilities") < 0)
		return HC_FAIL;
	if (hc_list(dir, &files) < 0)
		return HC_OK;
	for (i = 0; i < files.n && rc == HC_OK; i++) {
		const char *state;

		hc_fmt(path, sizeof(path), "%s/%s", dir, files.v[i]);
		if (hc_read(path, &b) < 0) {
			log_error("cpu_vulnerabilities: cannot read '%s': %s",
				  path, strerror(errno));
			rc = HC_FAIL;
			break;
		}
		if (vuln_parse(b.p ? b.p : "", b.len, &state, mit,
			       sizeof(mit)) < 0 ||
		    out_add(o, "node_cpu_vulnerabilities_info",
			    "Details of each CPU vulnerability reported by sysfs. The value of the series is an int encoded state of the vulnerability. The same state is stored as a string in the label",
			    OUT_GAUGE, 1.0, "codename", files.v[i], "state",
			    state, "mitigation", mit, NULL) < 0)
			rc = HC_FAIL;
	}
	if (rc != HC_OK)
		out_rollback(o, m);
	hc_names_free(&files);
	buf_free(&b);
	return rc;
}
