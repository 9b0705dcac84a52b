/* sockstat.c: the sockstat and udp_queues collectors (/proc/net/sockstat{,6}, /proc/net/udp{,6}). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

/* The keys procfs knows, in the order node_exporter emits them. */
static const char *const sock_keys[] = {
	"inuse", "orphan", "tw", "alloc", "mem", "memory",
};
#define NKEYS (sizeof(sock_keys) / sizeof(sock_keys[0]))

static int name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return 0;
	return 1;
}

static int emit(struct out *o, const char *proto, size_t plen,
		const char *key, double v)
{
	char name[128], help[160];

	if (hc_fmt(name, sizeof(name), "node_sockstat_%.*s_%s", (int)plen,
		   proto, key) < 0 ||
	    hc_fmt(help, sizeof(help), "Number of %.*s sockets in state %s.",
		   (int)plen, proto, key) < 0)
		return 0;
	return out_add(o, name, help, OUT_GAUGE, v, NULL) < 0 ? -1 : 0;
}

/*
 * One sockstat file: "PROTO: key value key value ...", split on single
 * spaces as procfs splits it; a line with fewer than 3 fields, an odd
 * number of key/value fields or a value that is no integer fails the file.
 * ipv4 says whether the "sockets: used N" line is reported.
 */
int sockstat_parse(const char *p, size_t len, int ipv4, long pagesize,
		   struct out *o)
{
	const char *line;
	size_t llen, pos = 0;

	while (hc_line(p, len, &pos, &line, &llen)) {
		const char *f[64];
		size_t fl[64], nf = 0, i, k;
		int64_t val[NKEYS];
		int have[NKEYS] = { 0 };
		int64_t used = 0;
		const char *s = line, *e = line + llen;

		/* strings.Split(line, " ") */
		for (;;) {
			const char *sp = memchr(s, ' ', (size_t)(e - s));

			if (nf == 64)
				return -1;
			f[nf] = s;
			fl[nf++] = sp ? (size_t)(sp - s) : (size_t)(e - s);
			if (!sp)
				break;
			s = sp + 1;
		}
		if (nf < 3 || (nf - 1) % 2 != 0)
			return -1;
		for (i = 1; i < nf; i += 2) {
			int64_t v;

			if (hc_parse_int0(f[i + 1], fl[i + 1], &v) < 0)
				return -1;
			if (fl[i] == 4 && memcmp(f[i], "used", 4) == 0)
				used = v;
			for (k = 0; k < NKEYS; k++)
				if (fl[i] == strlen(sock_keys[k]) &&
				    memcmp(f[i], sock_keys[k], fl[i]) == 0) {
					val[k] = v;
					have[k] = 1;
				}
		}
		if (fl[0] > 0 && f[0][fl[0] - 1] == ':')
			fl[0]--;
		if (fl[0] == 7 && memcmp(f[0], "sockets", 7) == 0) {
			if (ipv4 && out_add(o, "node_sockstat_sockets_used",
					    "Number of IPv4 sockets in use.",
					    OUT_GAUGE, (double)used, NULL) < 0)
				return -1;
			continue;
		}
		if (!name_ok(f[0], fl[0]))
			continue;
		/* inuse is always there (0 when the line lacks it). */
		if (!have[0]) {
			val[0] = 0;
			have[0] = 1;
		}
		for (k = 0; k < NKEYS; k++)
			if (have[k] && emit(o, f[0], fl[0], sock_keys[k],
					    (double)val[k]) < 0)
				return -1;
		if (have[4] && emit(o, f[0], fl[0], "mem_bytes",
				    (double)val[4] * (double)pagesize) < 0)
			return -1;
	}
	return 0;
}

int sockstat_update(struct hc *hc, struct out *o)
{
	static const char *const files[2] = { "net/sockstat", "net/sockstat6" };
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	long pagesize = sysconf(_SC_PAGESIZE);
	int rc = HC_OK, i;

	for (i = 0; i < 2; i++) {
		if (hc_path(path, sizeof(path), hc->procfs, files[i]) < 0 ||
		    hc_read(path, &b) < 0) {
			if (errno == ENOENT)
				continue;	/* IPv4 or IPv6 disabled */
			log_error("sockstat: failed to get IPv%d sockstat "
				  "data: %s", i ? 6 : 4, strerror(errno));
			rc = HC_FAIL;
			break;
		}
		if (sockstat_parse(b.p ? b.p : "", b.len, i == 0, pagesize,
				   o) < 0) {
			log_error("sockstat: failed to get IPv%d sockstat "
				  "data: malformed '%s'", i ? 6 : 4, path);
			rc = HC_FAIL;
			break;
		}
	}
	buf_free(&b);
	return rc;
}

static int hex_u64(const char *p, size_t n, uint64_t *v)
{
	uint64_t acc = 0;
	size_t i;

	if (n == 0 || n > 16)
		return -1;
	for (i = 0; i < n; i++) {
		char c = p[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		acc = acc * 16 + d;
	}
	*v = acc;
	return 0;
}

/* "HEX:HEX" with the address part 8 or 32 digits when addr is set. */
static int hex_pair(const struct field *f, int addr, uint64_t *a,
		    uint64_t *b)
{
	const char *c = memchr(f->p, ':', f->n);
	size_t al;
	uint64_t dummy;

	if (!c || memchr(c + 1, ':', (size_t)(f->p + f->n - c - 1)))
		return -1;
	al = (size_t)(c - f->p);
	if (addr) {
		size_t i;

		if (al != 8 && al != 32)
			return -1;
		for (i = 0; i < al; i += 16)
			if (hex_u64(f->p + i, al - i < 16 ? al - i : 16,
				    &dummy) < 0)
				return -1;
		*a = 0;
	} else if (hex_u64(f->p, al, a) < 0) {
		return -1;
	}
	return hex_u64(c + 1, (size_t)(f->p + f->n - c - 1), b);
}

/*
 * /proc/net/udp{,6}: after the header, one socket a line; the tx and rx
 * queues are summed.  A line that procfs cannot parse fails the file.
 */
int udp_queues_parse(const char *p, size_t len, uint64_t *tx, uint64_t *rx)
{
	const char *line;
	size_t llen, pos = 0;
	int first = 1;

	*tx = *rx = 0;
	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[16];
		size_t nf;
		uint64_t a, b, v;

		if (first) {
			first = 0;
			continue;
		}
		nf = hc_fields(line, llen, f, 16);
		if (nf < 13)
			return -1;
		if (f[0].n < 2 || f[0].p[f[0].n - 1] != ':' ||
		    hc_parse_int0(f[0].p, f[0].n - 1, (int64_t *)&v) < 0 ||
		    hex_pair(&f[1], 1, &a, &b) < 0 ||
		    hex_pair(&f[2], 1, &a, &b) < 0 ||
		    hex_u64(f[3].p, f[3].n, &v) < 0 ||
		    hex_pair(&f[4], 0, &a, &b) < 0)
			return -1;
		*tx += a;
		*rx += b;
		{
			int64_t uid, inode, drops;

			if (hc_parse_int0(f[7].p, f[7].n, &uid) < 0 ||
			    hc_parse_int0(f[9].p, f[9].n, &inode) < 0 ||
			    hc_parse_int0(f[12].p, f[12].n, &drops) < 0 ||
			    uid < 0 || inode < 0 || drops < 0)
				return -1;
		}
	}
	return 0;
}

int udp_queues_update(struct hc *hc, struct out *o)
{
	static const char *const files[2] = { "net/udp", "net/udp6" };
	static const char *const ip[2] = { "v4", "v6" };
	struct buf b = BUF_INIT(HC_FILE_MAX);
	char path[PATH_MAX];
	int rc = HC_FAIL, i, missing = 0;

	for (i = 0; i < 2; i++) {
		uint64_t tx, rx;

		if (hc_path(path, sizeof(path), hc->procfs, files[i]) < 0 ||
		    hc_read(path, &b) < 0) {
			if (errno == ENOENT) {
				missing++;
				continue;
			}
			log_error("udp_queues: couldn't get udp%s queued "
				  "bytes: %s", i ? "6" : "", strerror(errno));
			goto out;
		}
		if (udp_queues_parse(b.p ? b.p : "", b.len, &tx, &rx) < 0) {
			log_error("udp_queues: couldn't get udp%s queued "
				  "bytes: malformed '%s'", i ? "6" : "", path);
			goto out;
		}
		if (out_add(o, "node_udp_queues",
			    "Number of allocated memory in the kernel for UDP "
			    "datagrams in bytes.", OUT_GAUGE, (double)tx,
			    "queue", "tx", "ip", ip[i], NULL) < 0 ||
		    out_add(o, "node_udp_queues", "", OUT_GAUGE, (double)rx,
			    "queue", "rx", "ip", ip[i], NULL) < 0)
			goto out;
	}
	rc = missing == 2 ? HC_NODATA : HC_OK;
out:
	buf_free(&b);
	return rc;
}
