/* netstat.c: the netstat collector (/proc/net/netstat, /proc/net/snmp, /proc/net/snmp6). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcol.h"
#include "log.h"
#include "banned.h"

#define NS_NAME_MAX 128

/* Names and values point into the files' bytes, which outlive the list. */
struct ns_entry {
	const char *name, *val;
	size_t nlen, vlen;
	size_t blk;		/* the run of one protocol it came in */
};

/* Entries come in runs of one protocol (a line pair of netstat or snmp),
 * and a run is dropped whole: the drops look at runs, not entries. */
struct ns_block {
	const char *proto;
	size_t plen;
	int file;
	int dead;
};

struct ns_list {
	struct ns_entry *v;
	size_t n, cap;
	struct ns_block *b;
	size_t nb, capb;
};

/* A protocol read again from a later file replaces the earlier one, as
 * node_exporter's map merge does; the same protocol twice in one file
 * (same too), the last one wins. */
static void ns_drop_proto(struct ns_list *l, const char *proto, size_t plen,
			  int file, int same_file)
{
	size_t i;

	for (i = 0; i < l->nb; i++) {
		struct ns_block *b = &l->b[i];

		if (!b->dead && (same_file ? b->file == file : b->file < file) &&
		    b->plen == plen && memcmp(b->proto, proto, plen) == 0)
			b->dead = 1;
	}
}

/* Entries pushed after this belong to a run of proto in file (the last
 * run, if it is of the same protocol and file, goes on). */
static int ns_block(struct ns_list *l, const char *proto, size_t plen,
		    int file)
{
	struct ns_block *b;

	plen = strnlen(proto, plen);
	if (l->nb > 0) {
		b = &l->b[l->nb - 1];
		if (!b->dead && b->file == file && b->plen == plen &&
		    memcmp(b->proto, proto, plen) == 0)
			return 0;
	}
	if (l->nb == l->capb) {
		size_t cap = l->capb ? l->capb * 2 : 32;
		struct ns_block *nb = realloc(l->b, cap * sizeof(*nb));

		if (!nb)
			return -1;
		l->b = nb;
		l->capb = cap;
	}
	b = &l->b[l->nb++];
	b->proto = proto;
	b->plen = plen;
	b->file = file;
	b->dead = 0;
	return 0;
}

static int ns_push(struct ns_list *l, const char *name, size_t nlen,
		   const char *val, size_t vlen)
{
	struct ns_entry *e;

	if (nlen >= NS_NAME_MAX || l->nb == 0)
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 512;
		struct ns_entry *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -1;
		l->v = nv;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	e->name = name;
	e->nlen = nlen;
	e->val = val;
	e->vlen = vlen;
	e->blk = l->nb - 1;
	return 0;
}

/* Splits on single spaces, as Go's strings.Split(s, " "). */
static size_t split_space(const char *p, size_t len, struct field *f,
			  size_t max)
{
	size_t n = 0, start = 0;

	for (;;) {
		const char *sp = memchr(p + start, ' ', len - start);
		size_t end = sp ? (size_t)(sp - p) : len;

		if (n == max)
			return max + 1;
		f[n].p = p + start;
		f[n].n = end - start;
		n++;
		if (!sp)
			break;
		start = end + 1;
	}
	return n;
}

#define NS_FIELDS_MAX 512

static int parse_pairs(const char *p, size_t len, struct ns_list *l, int file)
{
	static struct field names[NS_FIELDS_MAX + 1], vals[NS_FIELDS_MAX + 1];
	const char *line, *vline;
	size_t llen, vlen, pos = 0, nn, nv, i, plen;

	while (hc_line(p, len, &pos, &line, &llen)) {
		if (!hc_line(p, len, &pos, &vline, &vlen)) {
			vline = "";
			vlen = 0;
		}
		nn = split_space(line, llen, names, NS_FIELDS_MAX);
		nv = split_space(vline, vlen, vals, NS_FIELDS_MAX);
		if (nn > NS_FIELDS_MAX || nv > NS_FIELDS_MAX || nn != nv)
			return -1;
		if (names[0].n < 1 || names[0].n > NS_NAME_MAX)
			return -1;
		/* The protocol is the name before the colon; like the copy
		 * this replaced, it ends at the first NUL. */
		plen = strnlen(names[0].p, names[0].n - 1);
		ns_drop_proto(l, names[0].p, plen, file, 0);
		ns_drop_proto(l, names[0].p, plen, file, 1);
		if (nn > 1 && ns_block(l, names[0].p, plen, file) < 0)
			return -1;
		for (i = 1; i < nn; i++)
			if (ns_push(l, names[i].p, names[i].n, vals[i].p,
				    vals[i].n) < 0)
				return -1;
	}
	return 0;
}

static int parse_snmp6(const char *p, size_t len, struct ns_list *l, int file)
{
	const char *line;
	size_t llen, pos = 0, i;
	struct field seen[64];
	size_t nseen = 0;

	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[2];
		const char *six;
		size_t plen;
		int known = 0;

		if (hc_fields(line, llen, f, 2) < 2)
			continue;
		six = memchr(f[0].p, '6', f[0].n);
		if (!six)
			continue;
		plen = (size_t)(six - f[0].p) + 1;
		if (plen >= NS_NAME_MAX)
			return -1;
		for (i = 0; i < nseen; i++)
			if (seen[i].n == plen &&
			    memcmp(seen[i].p, f[0].p, plen) == 0)
				known = 1;
		if (!known && nseen < 64) {
			seen[nseen].p = f[0].p;
			seen[nseen].n = plen;
			ns_drop_proto(l, f[0].p, strnlen(f[0].p, plen), file,
				      0);
			nseen++;
		}
		if (ns_block(l, f[0].p, plen, file) < 0 ||
		    ns_push(l, f[0].p + plen, f[0].n - plen, f[1].p,
			    f[1].n) < 0)
			return -1;
	}
	return 0;
}

/* The answers of --collector.netstat.fields, name by name. */
static struct seqmatch netstat_names = SEQMATCH_INIT;

int netstat_parse(const char *netstat, size_t nlen, const char *snmp,
		  size_t slen, const char *snmp6, size_t s6len, void *re,
		  struct out *o)
{
	struct ns_list l = { NULL, 0, 0, NULL, 0, 0 };
	int rc = -1;
	size_t i;

	seqmatch_begin(&netstat_names, re);
	if (parse_pairs(netstat, nlen, &l, 0) < 0 ||
	    parse_pairs(snmp, slen, &l, 1) < 0 ||
	    (snmp6 && parse_snmp6(snmp6, s6len, &l, 2) < 0))
		goto out;
	for (i = 0; i < l.n; i++) {
		const struct ns_entry *e = &l.v[i];
		const struct ns_block *b = &l.b[e->blk];
		char name[2 * NS_NAME_MAX + 16], help[2 * NS_NAME_MAX + 16];
		char key[2 * NS_NAME_MAX + 2];
		size_t pl, nl;
		double v;

		if (b->dead)
			continue;
		if (hc_parse_f64(e->val, e->vlen, &v) < 0)
			goto out;
		/* Joined by hand: this runs for every field of three files
		 * each cycle, and most fail the pattern.  Names end at a
		 * NUL, as the copies did that this replaced. */
		pl = b->plen;
		nl = strnlen(e->name, e->nlen);
		memcpy(key, b->proto, pl);
		key[pl] = '_';
		memcpy(key + pl + 1, e->name, nl);
		key[pl + 1 + nl] = '\0';
		if (re && !seqmatch_match(&netstat_names, key, pl + 1 + nl))
			continue;
		memcpy(name, "node_netstat_", 13);
		memcpy(name + 13, key, pl + nl + 2);
		memcpy(help, "Statistic ", 10);
		memcpy(help + 10, b->proto, pl);
		memcpy(help + 10 + pl, e->name, nl);
		memcpy(help + 10 + pl + nl, ".", 2);
		if (out_add(o, name, help, OUT_UNTYPED, v, NULL) < 0)
			goto out;
	}
	rc = 0;
out:
	seqmatch_end(&netstat_names);
	free(l.v);
	free(l.b);
	return rc;
}

void netstat_cleanup(void)
{
	seqmatch_free(&netstat_names);
}

int netstat_init(struct hc *hc)
{
	return regex_compile(&hc->netstat_re, "--collector.netstat.fields",
			     hc->netstat_fields);
}

int netstat_update(struct hc *hc, struct out *o)
{
	struct buf a = BUF_INIT(HC_FILE_MAX), b = BUF_INIT(HC_FILE_MAX),
		   c = BUF_INIT(HC_FILE_MAX);
	char pa[PATH_MAX], pb[PATH_MAX], pc[PATH_MAX];
	int have6, rc = HC_FAIL;

	if (hc_path(pa, sizeof(pa), hc->procfs, "net/netstat") < 0 ||
	    hc_path(pb, sizeof(pb), hc->procfs, "net/snmp") < 0 ||
	    hc_path(pc, sizeof(pc), hc->procfs, "net/snmp6") < 0)
		goto out;
	if (hc_read_whole(pa, &a) < 0) {
		log_error("netstat: cannot read '%s': %s", pa, strerror(errno));
		goto out;
	}
	if (hc_read_whole(pb, &b) < 0) {
		log_error("netstat: cannot read '%s': %s", pb, strerror(errno));
		goto out;
	}
	have6 = hc_read_whole(pc, &c) == 0;
	if (!have6 && errno != ENOENT) {
		log_error("netstat: cannot read '%s': %s", pc, strerror(errno));
		goto out;
	}
	if (netstat_parse(a.p ? a.p : "", a.len, b.p ? b.p : "", b.len,
			  have6 ? (c.p ? c.p : "") : NULL, c.len,
			  hc->netstat_re, o) < 0) {
		log_error("netstat: malformed '%s' or '%s'", pa, pb);
		goto out;
	}
	rc = HC_OK;
out:
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	return rc;
}
