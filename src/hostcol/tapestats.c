/* tapestats.c: the tapestats collector (/sys/class/scsi_tape/stN/stats). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/* stats/FILE, metric, TYPE, HELP; the *_ns files are reported in seconds. */
static const struct {
	const char *file, *metric;
	enum out_type type;
	const char *help;
} tape_stats[] = {
	{ "in_flight", "node_tape_io_now", OUT_GAUGE, "The number of I/Os currently outstanding to this device." },
	{ "io_ns", "node_tape_io_time_seconds_total", OUT_COUNTER, "The amount of time spent waiting for all I/O to complete (including read and write). This includes tape movement commands such as seeking between file or set marks and implicit tape movement such as when rewind on close tape devices are used." },
	{ "other_cnt", "node_tape_io_others_total", OUT_COUNTER, "The number of I/Os issued to the tape drive other than read or write commands. The time taken to complete these commands uses the following calculation io_time_seconds_total-read_time_seconds_total-write_time_seconds_total" },
	{ "read_byte_cnt", "node_tape_read_bytes_total", OUT_COUNTER, "The number of bytes read from the tape drive." },
	{ "read_cnt", "node_tape_reads_completed_total", OUT_COUNTER, "The number of read requests issued to the tape drive." },
	{ "read_ns", "node_tape_read_time_seconds_total", OUT_COUNTER, "The amount of time spent waiting for read requests to complete." },
	{ "resid_cnt", "node_tape_residual_total", OUT_COUNTER, "The number of times during a read or write we found the residual amount to be non-zero. This should mean that a program is issuing a read larger thean the block size on tape. For write not all data made it to tape." },
	{ "write_byte_cnt", "node_tape_written_bytes_total", OUT_COUNTER, "The number of bytes written to the tape drive." },
	{ "write_cnt", "node_tape_writes_completed_total", OUT_COUNTER, "The number of write requests issued to the tape drive." },
	{ "write_ns", "node_tape_write_time_seconds_total", OUT_COUNTER, "The amount of time spent waiting for write requests to complete." },
};
#define TAPE_N (sizeof(tape_stats) / sizeof(tape_stats[0]))

int tapestats_init(struct hc *hc)
{
	return regex_compile(&hc->tape_ignored_re,
			     "--collector.tapestats.ignored-devices",
			     hc->tape_ignored ? hc->tape_ignored : "^$");
}

/* Device names procfs takes: ^st\d+$. */
static int tape_name_ok(const char *s)
{
	if (strncmp(s, "st", 2) != 0 || !s[2])
		return 0;
	for (s += 2; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int tape_device(const char *class, const char *name, uint64_t v[TAPE_N],
		       struct buf *b)
{
	char dir[PATH_MAX + 256], path[PATH_MAX + 512];
	struct names files = { NULL, 0 };
	size_t i, k;
	int rc = HC_FAIL;

	hc_fmt(dir, sizeof(dir), "%s/%s/stats", class, name);
	if (hc_list(dir, &files) < 0) {
		if (errno == ENOENT)
			return HC_NODATA;
		log_error("tapestats: cannot list '%s': %s", dir,
			  strerror(errno));
		return HC_FAIL;
	}
	for (k = 0; k < TAPE_N; k++)
		v[k] = 0;
	for (i = 0; i < files.n; i++) {
		hc_fmt(path, sizeof(path), "%s/%s", dir, files.v[i]);
		if (hc_read_str(path, b) < 0) {
			log_error("tapestats: cannot read '%s': %s", path,
				  strerror(errno));
			goto out;
		}
		for (k = 0; k < TAPE_N; k++)
			if (strcmp(files.v[i], tape_stats[k].file) == 0)
				break;
		if (k == TAPE_N)
			continue;
		if (hc_parse_u64_0(b->p ? b->p : "", b->len, &v[k]) < 0) {
			log_error("tapestats: malformed '%s'", path);
			goto out;
		}
	}
	rc = HC_OK;
out:
	hc_names_free(&files);
	return rc;
}

int tapestats_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	struct names devs = { NULL, 0 };
	struct out_mark m = out_mark(o);
	char class[PATH_MAX];
	size_t i, k;
	int rc;

	rc = hc_list_class(hc, "scsi_tape", "tapestats", class, sizeof(class),
			   &devs);
	if (rc != HC_OK)
		return rc;
	for (i = 0; i < devs.n && rc == HC_OK; i++) {
		uint64_t v[TAPE_N];

		if (!tape_name_ok(devs.v[i]))
			continue;
		rc = tape_device(class, devs.v[i], v, &b);
		if (rc != HC_OK ||
		    regex_match(hc->tape_ignored_re, devs.v[i],
				strlen(devs.v[i])))
			continue;
		for (k = 0; k < TAPE_N && rc == HC_OK; k++) {
			double x = (double)v[k];

			if (strstr(tape_stats[k].file, "_ns"))
				x *= 0.000000001;
			if (out_add(o, tape_stats[k].metric, tape_stats[k].help,
				    tape_stats[k].type, x, "device", devs.v[i],
				    NULL) < 0)
				rc = HC_FAIL;
		}
	}
	if (rc != HC_OK)
		out_rollback(o, m);
	hc_names_free(&devs);
	buf_free(&b);
	return rc;
}
