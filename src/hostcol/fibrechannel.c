/* fibrechannel.c: the fibrechannel collector (/sys/class/fc_host hosts and their statistics). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/* statistics/FILE, metric suffix, HELP. */
static const char *const fc_counters[14][3] = {
	{ "dumped_frames", "dumped_frames_total", "Number of dumped frames" },
	{ "error_frames", "error_frames_total", "Number of errors in frames" },
	{ "invalid_crc_count", "invalid_crc_total", "Invalid Cyclic Redundancy Check count" },
	{ "rx_frames", "rx_frames_total", "Number of frames received" },
	{ "rx_words", "rx_words_total", "Number of words received by host port" },
	{ "tx_frames", "tx_frames_total", "Number of frames transmitted by host port" },
	{ "tx_words", "tx_words_total", "Number of words transmitted by host port" },
	{ "seconds_since_last_reset", "seconds_since_last_reset_total", "Number of seconds since last host port reset" },
	{ "invalid_tx_word_count", "invalid_tx_words_total", "Number of invalid words transmitted by host port" },
	{ "link_failure_count", "link_failure_total", "Number of times the host port link has failed" },
	{ "loss_of_sync_count", "loss_of_sync_total", "Number of failures on either bit or transmission word boundaries" },
	{ "loss_of_signal_count", "loss_of_signal_total", "Number of times signal has been lost" },
	{ "nos_count", "nos_total", "Number Not_Operational Primitive Sequence received by host port" },
	{ "fcp_packet_aborts", "fcp_packet_aborts_total", "Number of aborted packets" },
};

/* The info files in the order of node_exporter's labels; the three with
 * a "0x" prefix lose it. */
static const char *const fc_info[10] = {
	"speed", "port_state", "port_type", "port_id", "port_name",
	"fabric_name", "symbolic_name", "supported_classes",
	"supported_speeds", "dev_loss_tmo",
};

static int fc_host(const char *class, const char *host, struct out *o)
{
	char dir[PATH_MAX + 256], path[PATH_MAX + 512];
	struct buf b = BUF_INIT(65536);
	char val[10][512];
	int have[10] = { 0 };
	uint64_t cnt[14];
	int got[14] = { 0 };
	const char *names[11], *values[11];
	struct names files = { NULL, 0 };
	size_t i, k;
	int rc = HC_FAIL;

	hc_fmt(dir, sizeof(dir), "%s/%s", class, host);
	/* node_name is read too (and can fail the host), though no label
	 * reports it. */
	for (i = 0; i <= 10; i++) {
		const char *f = i < 10 ? fc_info[i] : "node_name";
		const char *s;

		hc_fmt(path, sizeof(path), "%s/%s", dir, f);
		if (hc_read_str(path, &b) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			log_error("fibrechannel: cannot read '%s': %s", path,
				  strerror(errno));
			goto out;
		}
		if (i == 10)
			continue;
		s = b.p ? b.p : "";
		if ((i >= 3 && i <= 5) && b.len > 2)
			s += 2;
		hc_fmt(val[i], sizeof(val[i]), "%s", s);
		have[i] = 1;
	}
	hc_fmt(path, sizeof(path), "%s/statistics", dir);
	if (hc_list(path, &files) < 0 && errno != ENOENT) {
		log_error("fibrechannel: cannot list '%s': %s", path,
			  strerror(errno));
		goto out;
	}
	for (i = 0; i < files.n; i++) {
		struct stat sb;

		for (k = 0; k < 14; k++)
			if (strcmp(files.v[i], fc_counters[k][0]) == 0)
				break;
		hc_fmt(path, sizeof(path), "%s/statistics/%s", dir, files.v[i]);
		if (k == 14 || lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (hc_read_str(path, &b) < 0) {
			if (errno == ENOENT || errno == EINVAL ||
			    errno == EOPNOTSUPP)
				continue;
			log_error("fibrechannel: cannot read '%s': %s", path,
				  strerror(errno));
			goto out;
		}
		if (hc_parse_u64_0(b.p ? b.p : "", b.len, &cnt[k]) < 0) {
			log_error("fibrechannel: malformed '%s'", path);
			goto out;
		}
		got[k] = 1;
	}
	names[0] = "fc_host";
	values[0] = host;
	for (i = 0; i < 10; i++) {
		names[i + 1] = fc_info[i];
		values[i + 1] = have[i] ? val[i] : "";
	}
	if (out_addv(o, "node_fibrechannel_info",
		     "Non-numeric data from /sys/class/fc_host/<host>, value is always 1.",
		     OUT_GAUGE, 1.0, 11, names, values) < 0)
		goto out;
	/* A port in an unknown state reports zeros. */
	if (!have[1] || strcmp(val[1], "Unknown") == 0)
		for (k = 0; k < 14; k++) {
			cnt[k] = 0;
			got[k] = 1;
		}
	for (k = 0; k < 14; k++) {
		char name[128];

		if (!got[k] || cnt[k] == UINT64_MAX)
			continue;
		hc_fmt(name, sizeof(name), "node_fibrechannel_%s",
		       fc_counters[k][1]);
		if (out_add(o, name, fc_counters[k][2], OUT_COUNTER,
			    (double)cnt[k], "fc_host", host, NULL) < 0)
			goto out;
	}
	rc = HC_OK;
out:
	hc_names_free(&files);
	buf_free(&b);
	return rc;
}

int fibrechannel_update(struct hc *hc, struct out *o)
{
	struct names hosts = { NULL, 0 };
	struct out_mark m = out_mark(o);
	char class[PATH_MAX];
	size_t i;
	int rc;

	rc = hc_list_class(hc, "fc_host", "fibrechannel", class, sizeof(class),
			   &hosts);
	if (rc != HC_OK)
		return rc;
	for (i = 0; i < hosts.n && rc == HC_OK; i++)
		rc = fc_host(class, hosts.v[i], o);
	if (rc != HC_OK)
		out_rollback(o, m);
	hc_names_free(&hosts);
	return rc;
}
