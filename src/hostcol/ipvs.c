/* ipvs.c: the ipvs collector (/proc/net/ip_vs_stats and the backends of /proc/net/ip_vs). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "banned.h"

static const char *const ipvs_all_labels[IPVS_NLABELS] = {
	"local_address", "local_port", "remote_address", "remote_port",
	"proto", "local_mark",
};

int ipvs_init(struct hc *hc)
{
	const char *s = hc->ipvs_labels ? hc->ipvs_labels :
		"local_address,local_port,remote_address,remote_port,proto,local_mark";
	int want[IPVS_NLABELS] = { 0 };
	size_t i;

	/* A comma-separated subset, written in any order, used in the
	 * order of the full list; an unknown name is a usage error. */
	while (*s) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n > 0) {
			for (i = 0; i < IPVS_NLABELS; i++)
				if (strlen(ipvs_all_labels[i]) == n &&
				    memcmp(ipvs_all_labels[i], s, n) == 0)
					break;
			if (i == IPVS_NLABELS) {
				log_error("unknown IPVS backend label '%.*s' in --collector.ipvs.backend-labels",
					  (int)n, s);
				return -1;
			}
			want[i] = 1;
		}
		s += n + (e != NULL);
	}
	hc->ipvs_nlabels = 0;
	for (i = 0; i < IPVS_NLABELS; i++)
		if (want[i])
			hc->ipvs_label_idx[hc->ipvs_nlabels++] = (int)i;
	return 0;
}

static int ipvs_hex64(const struct field *f, uint64_t *v)
{
	uint64_t acc = 0;
	size_t i;

	if (f->n == 0)
		return -1;
	for (i = 0; i < f->n; i++) {
		char c = f->p[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		if (acc >> 60)
			return -1;
		acc = acc * 16 + d;
	}
	*v = acc;
	return 0;
}

/* ip_vs_stats: the third line holds the five hexadecimal totals. */
int ipvs_stats_parse(const char *p, size_t len, uint64_t v[5])
{
	const char *line = p, *nl;
	struct field f[6];
	size_t i, rest = len;

	for (i = 0; i < 2; i++) {
		nl = memchr(line, '\n', rest);
		if (!nl)
			return -1;
		rest -= (size_t)(nl + 1 - line);
		line = nl + 1;
	}
	nl = memchr(line, '\n', rest);
	if (!nl)
		return -1;	/* strings.SplitN(s, "\n", 4) needs 3 newlines */
	if (hc_fields(line, (size_t)(nl - line), f, 6) != 5)
		return -1;
	for (i = 0; i < 5; i++)
		if (ipvs_hex64(&f[i], &v[i]) < 0)
			return -1;
	return 0;
}

/* Go's net.IP String() of an IPv6 address (IPv4-mapped ones print as
 * IPv4, the longest run of two or more zero groups becomes "::"). */
static void ipvs_ip6(const unsigned char *a, char *dst, size_t size)
{
	size_t i, best = 0, bestlen = 0, n = 0;
	int w[8];

	for (i = 0; i < 8; i++)
		w[i] = a[2 * i] << 8 | a[2 * i + 1];
	if (!w[0] && !w[1] && !w[2] && !w[3] && !w[4] && w[5] == 0xffff) {
		hc_fmt(dst, size, "%d.%d.%d.%d", a[12], a[13], a[14], a[15]);
		return;
	}
	for (i = 0; i < 8; i++) {
		size_t j = i;

		while (j < 8 && w[j] == 0)
			j++;
		if (j - i > bestlen && j - i >= 2) {
			best = i;
			bestlen = j - i;
		}
		if (j > i)
			i = j - 1;
	}
	dst[0] = '\0';
	for (i = 0; i < 8; i++) {
		if (bestlen && i == best) {
			n += (size_t)snprintf(dst + n, size - n, "::");
			i += bestlen - 1;
			continue;
		}
		n += (size_t)snprintf(dst + n, size - n, "%s%x",
				      n && dst[n - 1] != ':' ? ":" : "", w[i]);
		if (n >= size)
			return;
	}
}

/* "C0A80016:0CEA" or "[2620:0:...]:0050": address text and port. */
static int ipvs_ipport(const struct field *f, char *ip, size_t size,
		       unsigned *port)
{
	struct field pf;
	uint64_t v;

	if (f->n == 13) {
		unsigned char b[4];
		size_t i;

		for (i = 0; i < 4; i++) {
			struct field h = { f->p + 2 * i, 2 };

			if (ipvs_hex64(&h, &v) < 0)
				return -1;
			b[i] = (unsigned char)v;
		}
		hc_fmt(ip, size, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	} else if (f->n == 46) {
		unsigned char b[16];
		char t[40];

		memcpy(t, f->p + 1, 39);
		t[39] = '\0';
		if (inet_pton(AF_INET6, t, b) != 1)
			return -1;
		ipvs_ip6(b, ip, size);
	} else {
		return -1;
	}
	pf.p = f->p + f->n - 4;
	pf.n = 4;
	if (ipvs_hex64(&pf, &v) < 0)
		return -1;
	*port = (unsigned)v;
	return 0;
}

struct ipvs_backend {
	char kv[IPVS_NLABELS][64];
	char key[IPVS_NLABELS * 65];
	size_t seq;
	uint64_t active, inact, weight;
};

static int ipvs_cmp(const void *a, const void *b)
{
	const struct ipvs_backend *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The backend lines of /proc/net/ip_vs into *out (n of them). */
int ipvs_backends_parse(const char *p, size_t len, const int *idx,
			size_t nidx, struct ipvs_backend **out, size_t *nout)
{
	char proto[16] = "", mark[64] = "", laddr[64] = "", lport[8] = "0";
	struct ipvs_backend *v = NULL;
	size_t n = 0, cap = 0, llen, pos = 0;
	const char *line;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[7];
		size_t nf = hc_fields(line, llen, f, 7), i;
		char raddr[64], rport[8];
		uint64_t w, ac, ic;
		unsigned port;

		if (nf == 0)
			continue;
		if ((f[0].n == 2 && !memcmp(f[0].p, "IP", 2)) ||
		    (f[0].n == 4 && !memcmp(f[0].p, "Prot", 4)))
			continue;
		if (nf < 2)
			goto bad;	/* node_exporter would index past the end */
		if (f[1].n == 18 && !memcmp(f[1].p, "RemoteAddress:Port", 18))
			continue;
		if (f[0].n == 3 && (!memcmp(f[0].p, "TCP", 3) ||
				    !memcmp(f[0].p, "UDP", 3))) {
			hc_fmt(proto, sizeof(proto), "%.*s", 3, f[0].p);
			mark[0] = '\0';
			if (ipvs_ipport(&f[1], laddr, sizeof(laddr), &port) < 0)
				goto bad;
			hc_fmt(lport, sizeof(lport), "%u", port);
		} else if (f[0].n == 3 && !memcmp(f[0].p, "FWM", 3)) {
			hc_fmt(proto, sizeof(proto), "FWM");
			if (hc_fmt(mark, sizeof(mark), "%.*s", (int)f[1].n,
				   f[1].p) < 0)
				goto bad;
			laddr[0] = '\0';
			hc_fmt(lport, sizeof(lport), "0");
		} else if (f[0].n == 2 && !memcmp(f[0].p, "->", 2)) {
			const char *vals[IPVS_NLABELS];
			struct ipvs_backend *b;

			if (nf < 6)
				continue;
			if (ipvs_ipport(&f[1], raddr, sizeof(raddr), &port) < 0 ||
			    hc_field_u64(&f[3], &w) < 0 ||
			    hc_field_u64(&f[4], &ac) < 0 ||
			    hc_field_u64(&f[5], &ic) < 0)
				goto bad;
			hc_fmt(rport, sizeof(rport), "%u", port);
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct ipvs_backend *nv;

				if (nc > 1000000)
					goto bad;
				nv = realloc(v, nc * sizeof(*nv));
				if (!nv)
					goto bad;
				v = nv;
				cap = nc;
			}
			b = &v[n];
			vals[0] = laddr;
			vals[1] = lport;
			vals[2] = raddr;
			vals[3] = rport;
			vals[4] = proto;
			vals[5] = mark;
			b->key[0] = '\0';
			for (i = 0; i < nidx; i++) {
				size_t kl = strlen(b->key);

				hc_fmt(b->kv[i], sizeof(b->kv[i]), "%s",
				       vals[idx[i]]);
				hc_fmt(b->key + kl, sizeof(b->key) - kl, "%s%s",
				       i ? "-" : "", vals[idx[i]]);
			}
			b->seq = n;
			b->active = ac;
			b->inact = ic;
			b->weight = w;
			n++;
		}
	}
	*out = v;
	*nout = n;
	return 0;
bad:
	free(v);
	return -1;
}

static int ipvs_emit(struct hc *hc, struct out *o, struct ipvs_backend *b,
		     uint64_t ac, uint64_t ic, uint64_t w)
{
	const char *names[IPVS_NLABELS], *vals[IPVS_NLABELS];
	size_t i, n = (size_t)hc->ipvs_nlabels;

	for (i = 0; i < n; i++) {
		names[i] = ipvs_all_labels[hc->ipvs_label_idx[i]];
		vals[i] = b->kv[i];
	}
	if (out_addv(o, "node_ipvs_backend_connections_active",
		     "The current active connections by local and remote address.",
		     OUT_GAUGE, (double)ac, n, names, vals) < 0 ||
	    out_addv(o, "node_ipvs_backend_connections_inactive",
		     "The current inactive connections by local and remote address.",
		     OUT_GAUGE, (double)ic, n, names, vals) < 0 ||
	    out_addv(o, "node_ipvs_backend_weight",
		     "The current backend weight by local and remote address.",
		     OUT_GAUGE, (double)w, n, names, vals) < 0)
		return -1;
	return 0;
}

int ipvs_update(struct hc *hc, struct out *o)
{
	static const char *const sn[5][2] = {
		{ "node_ipvs_connections_total", "The total number of connections made." },
		{ "node_ipvs_incoming_packets_total", "The total number of incoming packets." },
		{ "node_ipvs_outgoing_packets_total", "The total number of outgoing packets." },
		{ "node_ipvs_incoming_bytes_total", "The total amount of incoming data." },
		{ "node_ipvs_outgoing_bytes_total", "The total amount of outgoing data." },
	};
	struct buf b = BUF_INIT(HC_FILE_MAX);
	struct ipvs_backend *be = NULL;
	struct out_mark m = out_mark(o);
	char path[PATH_MAX];
	uint64_t st[5];
	size_t nb = 0, i, j;
	int rc = HC_FAIL;

	if (hc_path(path, sizeof(path), hc->procfs, "net/ip_vs_stats") < 0)
		goto out;
	if (hc_read(path, &b) < 0) {
		if (errno == ENOENT) {
			rc = HC_NODATA;
			goto out;
		}
		log_error("ipvs: cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (ipvs_stats_parse(b.p, b.len, st) < 0)
		goto bad;
	for (i = 0; i < 5; i++)
		if (out_add(o, sn[i][0], sn[i][1], OUT_COUNTER, (double)st[i],
			    NULL) < 0)
			goto out;
	if (hc_path(path, sizeof(path), hc->procfs, "net/ip_vs") < 0)
		goto out;
	if (hc_read(path, &b) < 0) {
		log_error("ipvs: cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (ipvs_backends_parse(b.p, b.len, hc->ipvs_label_idx,
				(size_t)hc->ipvs_nlabels, &be, &nb) < 0)
		goto bad;
	/* Backends with the same label values are summed (node_exporter
	 * keys them by the values joined with "-"; the last one's values
	 * label the sum). */
	if (nb > 1)
		qsort(be, nb, sizeof(*be), ipvs_cmp);
	for (i = 0; i < nb; i = j) {
		uint64_t ac = 0, ic = 0, w = 0;

		for (j = i; j < nb && strcmp(be[j].key, be[i].key) == 0; j++) {
			ac += be[j].active;
			ic += be[j].inact;
			w += be[j].weight;
		}
		if (ipvs_emit(hc, o, &be[j - 1], ac, ic, w) < 0)
			goto out;
	}
	rc = HC_OK;
	goto out;
bad:
	log_error("ipvs: malformed '%s'", path);
out:
	if (rc != HC_OK)
		out_rollback(o, m);
	free(be);
	buf_free(&b);
	return rc;
}
