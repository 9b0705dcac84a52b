/* infiniband.c: the infiniband collector (/sys/class/infiniband devices, ports and counters). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

/* A counter file: its folder, name, metric suffix, whether it counts
 * 4-byte words (the data counters, reported in bytes), and HELP. */
struct ib_counter {
	const char *dir, *file, *metric;
	int words;
	const char *help;
};

static const struct ib_counter ib_counters[] = {
	{ "counters", "excessive_buffer_overrun_errors", "excessive_buffer_overrun_errors_total", 0, "Number of times that OverrunErrors consecutive flow control update periods occurred, each having at least one overrun error." },
	{ "counters", "link_downed", "link_downed_total", 0, "Number of times the link failed to recover from an error state and went down" },
	{ "counters", "link_error_recovery", "link_error_recovery_total", 0, "Number of times the link successfully recovered from an error state" },
	{ "counters", "local_link_integrity_errors", "local_link_integrity_errors_total", 0, "Number of times that the count of local physical errors exceeded the threshold specified by LocalPhyErrors." },
	{ "counters", "multicast_rcv_packets", "multicast_packets_received_total", 0, "Number of multicast packets received (including errors)" },
	{ "counters", "multicast_xmit_packets", "multicast_packets_transmitted_total", 0, "Number of multicast packets transmitted (including errors)" },
	{ "counters", "port_rcv_constraint_errors", "port_constraint_errors_received_total", 0, "Number of packets received on the switch physical port that are discarded" },
	{ "counters", "port_rcv_data", "port_data_received_bytes_total", 1, "Number of data octets received on all links" },
	{ "counters", "port_rcv_discards", "port_discards_received_total", 0, "Number of inbound packets discarded by the port because the port is down or congested" },
	{ "counters", "port_rcv_errors", "port_errors_received_total", 0, "Number of packets containing an error that were received on this port" },
	{ "counters", "port_rcv_packets", "port_packets_received_total", 0, "Number of packets received on all VLs by this port (including errors)" },
	{ "counters", "port_rcv_remote_physical_errors", "port_receive_remote_physical_errors_total", 0, "Number of packets marked with the EBP (End of Bad Packet) delimiter received on the port." },
	{ "counters", "port_rcv_switch_relay_errors", "port_receive_switch_relay_errors_total", 0, "Number of packets that could not be forwarded by the switch." },
	{ "counters", "port_xmit_constraint_errors", "port_constraint_errors_transmitted_total", 0, "Number of packets not transmitted from the switch physical port" },
	{ "counters", "port_xmit_data", "port_data_transmitted_bytes_total", 1, "Number of data octets transmitted on all links" },
	{ "counters", "port_xmit_discards", "port_discards_transmitted_total", 0, "Number of outbound packets discarded by the port because the port is down or congested" },
	{ "counters", "port_xmit_packets", "port_packets_transmitted_total", 0, "Number of packets transmitted on all VLs from this port (including errors)" },
	{ "counters", "port_xmit_wait", "port_transmit_wait_total", 0, "Number of ticks during which the port had data to transmit but no data was sent during the entire tick" },
	{ "counters", "symbol_error", "symbol_error_total", 0, "Number of minor link errors detected on one or more physical lanes." },
	{ "counters", "unicast_rcv_packets", "unicast_packets_received_total", 0, "Number of unicast packets received (including errors)" },
	{ "counters", "unicast_xmit_packets", "unicast_packets_transmitted_total", 0, "Number of unicast packets transmitted (including errors)" },
	{ "counters", "VL15_dropped", "vl15_dropped_total", 0, "Number of incoming VL15 packets dropped due to resource limitations." },
	{ "counters_ext", "port_multicast_rcv_packets", "legacy_multicast_packets_received_total", 0, "Number of multicast packets received" },
	{ "counters_ext", "port_multicast_xmit_packets", "legacy_multicast_packets_transmitted_total", 0, "Number of multicast packets transmitted" },
	{ "counters_ext", "port_rcv_data_64", "legacy_data_received_bytes_total", 1, "Number of data octets received on all links" },
	{ "counters_ext", "port_rcv_packets_64", "legacy_packets_received_total", 0, "Number of data packets received on all links" },
	{ "counters_ext", "port_unicast_rcv_packets", "legacy_unicast_packets_received_total", 0, "Number of unicast packets received" },
	{ "counters_ext", "port_unicast_xmit_packets", "legacy_unicast_packets_transmitted_total", 0, "Number of unicast packets transmitted" },
	{ "counters_ext", "port_xmit_data_64", "legacy_data_transmitted_bytes_total", 1, "Number of data octets transmitted on all links" },
	{ "counters_ext", "port_xmit_packets_64", "legacy_packets_transmitted_total", 0, "Number of data packets received on all links" },
	{ "hw_counters", "duplicate_request", "duplicate_requests_packets_total", 0, "The number of received packets. A duplicate request is a request that had been previously executed." },
	{ "hw_counters", "implied_nak_seq_err", "implied_nak_seq_errors_total", 0, "The number of time the requested decided an ACK. with a PSN larger than the expected PSN for an RDMA read or response." },
	{ "hw_counters", "lifespan", "lifespan_seconds", 0, "The maximum period in ms which defines the aging of the counter reads. Two consecutive reads within this period might return the same values." },
	{ "hw_counters", "local_ack_timeout_err", "local_ack_timeout_errors_total", 0, "The number of times QP's ack timer expired for RC, XRC, DCT QPs at the sender side. The QP retry limit was not exceed, therefore it is still recoverable error." },
	{ "hw_counters", "np_cnp_sent", "np_cnp_packets_sent_total", 0, "The number of CNP packets sent by the Notification Point when it noticed congestion experienced in the RoCEv2 IP header (ECN bits). The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "np_ecn_marked_roce_packets", "np_ecn_marked_roce_packets_received_total", 0, "The number of RoCEv2 packets received by the notification point which were marked for experiencing the congestion (ECN bits where '11' on the ingress RoCE traffic) . The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "out_of_buffer", "out_of_buffer_drops_total", 0, "The number of drops occurred due to lack of WQE for the associated QPs." },
	{ "hw_counters", "out_of_sequence", "out_of_sequence_packets_received_total", 0, "The number of out of sequence packets received." },
	{ "hw_counters", "packet_seq_err", "packet_sequence_errors_total", 0, "The number of received NAK sequence error packets. The QP retry limit was not exceeded." },
	{ "hw_counters", "req_cqe_error", "req_cqes_errors_total", 0, "The number of times requester detected CQEs completed with errors. The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "req_cqe_flush_error", "req_cqes_flush_errors_total", 0, "The number of times requester detected CQEs completed with flushed errors. The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "req_remote_access_errors", "req_remote_access_errors_total", 0, "The number of times requester detected remote access errors. The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "req_remote_invalid_request", "req_remote_invalid_request_errors_total", 0, "The number of times requester detected remote invalid request errors. The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "resp_cqe_error", "resp_cqes_errors_total", 0, "The number of times responder detected CQEs completed with errors. The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "resp_cqe_flush_error", "resp_cqes_flush_errors_total", 0, "The number of times responder detected CQEs completed with flushed errors. The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "resp_local_length_error", "resp_local_length_errors_total", 0, "The number of times responder detected local length errors. The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "resp_remote_access_errors", "resp_remote_access_errors_total", 0, "The number of times responder detected remote access errors. The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "rnr_nak_retry_err", "rnr_nak_retry_packets_received_total", 0, "The number of received RNR NAK packets. The QP retry limit was not exceeded." },
	{ "hw_counters", "roce_adp_retrans", "roce_adp_retransmits_total", 0, "The number of adaptive retransmissions for RoCE traffic. The counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0" },
	{ "hw_counters", "roce_adp_retrans_to", "roce_adp_retransmits_timeout_total", 0, "The number of times RoCE traffic reached timeout due to adaptive retransmission. The counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0" },
	{ "hw_counters", "roce_slow_restart", "roce_slow_restart_used_total", 0, "The number of times RoCE slow restart was used. The counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0" },
	{ "hw_counters", "roce_slow_restart_cnps", "roce_slow_restart_cnps_total", 0, "The number of times RoCE slow restart generated CNP packets. The counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0" },
	{ "hw_counters", "roce_slow_restart_trans", "roce_slow_restart_total", 0, "The number of times RoCE slow restart changed state to slow restart. The counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0" },
	{ "hw_counters", "rp_cnp_handled", "rp_cnp_packets_handled_total", 0, "The number of CNP packets handled by the Reaction Point HCA to throttle the transmission rate. The counters was added in MLNX_OFED 4.1" },
	{ "hw_counters", "rp_cnp_ignored", "rp_cnp_ignored_packets_received_total", 0, "The number of CNP packets received and ignored by the Reaction Point HCA. This counter should not raise if RoCE Congestion Control was enabled in the network. If this counter raise, verify that ECN was enabled on the adapter." },
	{ "hw_counters", "rx_atomic_requests", "rx_atomic_requests_total", 0, "The number of received ATOMIC request for the associated QPs." },
	{ "hw_counters", "rx_dct_connect", "rx_dct_connect_requests_total", 0, "The number of received connection requests for the associated DCTs." },
	{ "hw_counters", "rx_icrc_encapsulated", "rx_icrc_encapsulated_errors_total", 0, "The number of RoCE packets with ICRC errors. This counter was added in MLNX_OFED 4.4 and kernel 4.19" },
	{ "hw_counters", "rx_read_requests", "rx_read_requests_total", 0, "The number of received READ requests for the associated QPs." },
	{ "hw_counters", "rx_write_requests", "rx_write_requests_total", 0, "The number of received WRITE requests for the associated QPs." },
};
#define IB_NCOUNTERS (sizeof(ib_counters) / sizeof(ib_counters[0]))

int infiniband_init(struct hc *hc)
{
	return filter_init(&hc->ib_filter, "infiniband devices",
			   hc->ib_exclude, hc->ib_include);
}

/* "ID: NAME" of a state file (split on ':' into exactly two parts). */
int infiniband_state_parse(const char *p, size_t len, uint64_t *id)
{
	const char *c = memchr(p, ':', len);
	size_t s = 0, e;

	if (!c || memchr(c + 1, ':', len - (size_t)(c + 1 - p)))
		return -1;
	e = (size_t)(c - p);
	while (s < e && (p[s] == ' ' || p[s] == '\t' || p[s] == '\n'))
		s++;
	while (e > s && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\n'))
		e--;
	return parse_u64(p + s, e - s, 0, UINT32_MAX, id);
}

/* "40 Gb/sec (4X QDR)": the number, as a float32, times 125000000. */
int infiniband_rate_parse(const char *p, size_t len, uint64_t *rate)
{
	const char *sp = memchr(p, ' ', len);
	size_t s = 0, e;
	double v;
	float f;

	if (!sp)
		return -1;
	e = (size_t)(sp - p);
	while (s < e && (p[s] == '\t' || p[s] == '\n' || p[s] == '\r'))
		s++;
	if (hc_parse_f64(p + s, e - s, &v) < 0 || isnan(v) || isinf(v))
		return -1;
	f = (float)v;
	v = (double)f * 125000000.0;
	if (!(v >= 0) || v >= 18446744073709551616.0)
		return -1;
	*rate = (uint64_t)v;
	return 0;
}

static int ib_emit(struct out *o, const char *metric, const char *help,
		   enum out_type t, double v, const char *dev,
		   const char *port)
{
	char name[160];

	hc_fmt(name, sizeof(name), "node_infiniband_%s", metric);
	return out_add(o, name, help, t, v, "device", dev, "port", port,
		       NULL);
}

/* Errors a counter file may give that only mean "no such counter". */
static int ib_skippable(int e)
{
	return e == ENOENT || e == EACCES || e == EPERM || e == EINVAL ||
	       e == EOPNOTSUPP;
}

/* One port's counters in dir (counters, counters_ext, hw_counters). */
static int ib_counters_dir(const char *portdir, const char *dir,
			   const char *dev, const char *port, struct out *o,
			   struct buf *b)
{
	char path[PATH_MAX + 512];
	struct names files = { NULL, 0 };
	size_t i, k;
	int rc = HC_FAIL;

	hc_fmt(path, sizeof(path), "%s/%s", portdir, dir);
	if (hc_list(path, &files) < 0)
		return errno == ENOENT && strcmp(dir, "counters") != 0 ?
			       HC_OK : (errno == ENOENT ? HC_NODATA : HC_FAIL);
	for (i = 0; i < files.n; i++) {
		struct stat sb;
		uint64_t v;

		hc_fmt(path, sizeof(path), "%s/%s/%s", portdir, dir,
		       files.v[i]);
		if (lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		for (k = 0; k < IB_NCOUNTERS; k++)
			if (strcmp(ib_counters[k].dir, dir) == 0 &&
			    strcmp(ib_counters[k].file, files.v[i]) == 0)
				break;
		if (k == IB_NCOUNTERS)
			continue;
		if (hc_read_str(path, b) < 0) {
			if (ib_skippable(errno))
				continue;
			log_error("infiniband: cannot read '%s': %s", path,
				  strerror(errno));
			goto out;
		}
		if (hc_parse_u64_0(b->p, b->len, &v) < 0) {
			if (strstr(b->p, "N/A (no PMA)"))
				continue;
			log_error("infiniband: malformed '%s'", path);
			goto out;
		}
		if (ib_counters[k].words)
			v *= 4;
		if (strcmp(files.v[i], "lifespan") == 0)
			v /= 1000;
		if (ib_emit(o, ib_counters[k].metric, ib_counters[k].help,
			    strcmp(files.v[i], "lifespan") == 0 ? OUT_GAUGE :
								  OUT_COUNTER,
			    (double)v, dev, port) < 0)
			goto out;
	}
	rc = HC_OK;
out:
	hc_names_free(&files);
	return rc;
}

/* Reads a required file of a port or device; HC_NODATA when absent (as
 * node_exporter, which treats any missing file as no InfiniBand). */
static int ib_read(const char *path, struct buf *b, int trim)
{
	if ((trim ? hc_read_str(path, b) : hc_read(path, b)) == 0) {
		if (!b->p && buf_addstr(b, "") < 0)
			return HC_FAIL;
		return HC_OK;
	}
	if (errno == ENOENT)
		return HC_NODATA;
	log_error("infiniband: cannot read '%s': %s", path, strerror(errno));
	return HC_FAIL;
}

static int ib_port(const char *devdir, const char *dev, const char *port,
		   struct out *o, struct buf *b)
{
	char pd[PATH_MAX + 256], path[PATH_MAX + 512];
	uint64_t num, state, phys, rate;
	char portstr[32];
	struct stat sb;
	int rc;

	if (parse_u64(port, strlen(port), 0, UINT32_MAX, &num) < 0) {
		log_error("infiniband: bad port '%s/ports/%s'", devdir, port);
		return HC_FAIL;
	}
	hc_fmt(portstr, sizeof(portstr), "%llu", (unsigned long long)num);
	hc_fmt(pd, sizeof(pd), "%s/ports/%s", devdir, port);
	hc_fmt(path, sizeof(path), "%s/link_layer", pd);
	if ((rc = ib_read(path, b, 1)) != HC_OK)
		return rc;
	hc_fmt(path, sizeof(path), "%s/state", pd);
	if ((rc = ib_read(path, b, 0)) != HC_OK)
		return rc;
	if (infiniband_state_parse(b->p, b->len, &state) < 0)
		goto bad;
	hc_fmt(path, sizeof(path), "%s/phys_state", pd);
	if ((rc = ib_read(path, b, 0)) != HC_OK)
		return rc;
	if (infiniband_state_parse(b->p, b->len, &phys) < 0)
		goto bad;
	hc_fmt(path, sizeof(path), "%s/rate", pd);
	if ((rc = ib_read(path, b, 0)) != HC_OK)
		return rc;
	if (infiniband_rate_parse(b->p, b->len, &rate) < 0)
		goto bad;
	if (ib_emit(o, "state_id",
		    "State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)",
		    OUT_GAUGE, (double)state, dev, portstr) < 0 ||
	    ib_emit(o, "physical_state_id",
		    "Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, 4: shift, 5: link up, 6: link error recover, 7: phytest)",
		    OUT_GAUGE, (double)phys, dev, portstr) < 0 ||
	    ib_emit(o, "rate_bytes_per_second", "Maximum signal transfer rate",
		    OUT_GAUGE, (double)rate, dev, portstr) < 0)
		return HC_FAIL;
	hc_fmt(path, sizeof(path), "%s/counters", pd);
	if (stat(path, &sb) == 0 &&
	    ((rc = ib_counters_dir(pd, "counters", dev, portstr, o, b)) != HC_OK ||
	     (rc = ib_counters_dir(pd, "counters_ext", dev, portstr, o, b)) != HC_OK))
		return rc;
	hc_fmt(path, sizeof(path), "%s/hw_counters", pd);
	if (stat(path, &sb) == 0 &&
	    (rc = ib_counters_dir(pd, "hw_counters", dev, portstr, o, b)) != HC_OK)
		return rc;
	return HC_OK;
bad:
	log_error("infiniband: malformed '%s'", path);
	return HC_FAIL;
}

static int ib_device(struct hc *hc, const char *class, const char *dev,
		     struct out *o, struct buf *b)
{
	static const char *const opt[] = { "board_id", "hca_type" };
	char dd[PATH_MAX + 256], path[PATH_MAX + 512];
	struct buf val[2] = { BUF_INIT(65536), BUF_INIT(65536) };
	struct buf fw = BUF_INIT(65536);
	struct names ports = { NULL, 0 };
	size_t i;
	int rc;

	hc_fmt(dd, sizeof(dd), "%s/%s", class, dev);
	hc_fmt(path, sizeof(path), "%s/fw_ver", dd);
	if ((rc = ib_read(path, &fw, 1)) != HC_OK)
		goto out;
	for (i = 0; i < 2; i++) {
		hc_fmt(path, sizeof(path), "%s/%s", dd, opt[i]);
		rc = ib_read(path, &val[i], 1);
		if (rc == HC_NODATA)
			rc = HC_OK;
		if (rc != HC_OK)
			goto out;
	}
	hc_fmt(path, sizeof(path), "%s/ports", dd);
	if (hc_list(path, &ports) < 0) {
		rc = errno == ENOENT ? HC_NODATA : HC_FAIL;
		if (rc == HC_FAIL)
			log_error("infiniband: cannot list '%s': %s", path,
				  strerror(errno));
		goto out;
	}
	if (!filter_ignored(&hc->ib_filter, dev) &&
	    out_add(o, "node_infiniband_info",
		    "Non-numeric data from /sys/class/infiniband/<device>, value is always 1.",
		    OUT_GAUGE, 1.0, "device", dev, "board_id",
		    val[0].p ? val[0].p : "", "firmware_version",
		    fw.p ? fw.p : "", "hca_type", val[1].p ? val[1].p : "",
		    NULL) < 0) {
		rc = HC_FAIL;
		goto out;
	}
	/* Ports are read (and may fail the collector) even for an ignored
	 * device, as node_exporter reads the whole class first. */
	for (i = 0; i < ports.n; i++) {
		struct out_mark m = out_mark(o);

		rc = ib_port(dd, dev, ports.v[i], o, b);
		if (rc != HC_OK)
			goto out;
		if (filter_ignored(&hc->ib_filter, dev))
			out_rollback(o, m);
	}
	rc = HC_OK;
out:
	hc_names_free(&ports);
	buf_free(&val[0]);
	buf_free(&val[1]);
	buf_free(&fw);
	return rc;
}

int infiniband_update(struct hc *hc, struct out *o)
{
	struct buf b = BUF_INIT(65536);
	struct names devs = { NULL, 0 };
	struct out_mark m = out_mark(o);
	char class[PATH_MAX];
	size_t i;
	int rc;

	rc = hc_list_class(hc, "infiniband", "infiniband", class, sizeof(class),
			   &devs);
	if (rc != HC_OK)
		return rc;
	for (i = 0; i < devs.n && rc == HC_OK; i++)
		rc = ib_device(hc, class, devs.v[i], o, &b);
	if (rc != HC_OK)
		out_rollback(o, m);
	hc_names_free(&devs);
	buf_free(&b);
	return rc;
}
