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
	size_t line, field;	/* value line (or snmp6 line) and field */
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
		   const char *val, size_t vlen, size_t line, size_t field)
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
	e->line = line;
	e->field = field;
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
	size_t llen, vlen, pos = 0, nn, nv, i, plen, k;

	for (k = 0; hc_line(p, len, &pos, &line, &llen); k++) {
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
				    vals[i].n, k, i) < 0)
				return -1;
	}
	return 0;
}

static int parse_snmp6(const char *p, size_t len, struct ns_list *l, int file)
{
	const char *line;
	size_t llen, pos = 0, i, k;
	struct field seen[64];
	size_t nseen = 0;

	for (k = 0; hc_line(p, len, &pos, &line, &llen); k++) {
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
			    f[1].n, k, 1) < 0)
			return -1;
	}
	return 0;
}

/* The answers of --collector.netstat.fields, name by name. */
static struct seqmatch netstat_names = SEQMATCH_INIT;

/*
 * The layout of the last cycle: which field of which line became which
 * series.  It follows from the name lines alone (and, in snmp6, from
 * which lines have a value), so while those are byte for byte the last
 * cycle's, a cycle parses only the values it needs.
 */
struct ns_slot {
	int file;
	size_t line, field;
	int emit;		/* passes --collector.netstat.fields */
	size_t name, help;	/* into ns_text */
};

static struct buf ns_sig[3] = { BUF_INIT(HC_FILE_MAX), BUF_INIT(HC_FILE_MAX),
				BUF_INIT(HC_FILE_MAX) };
static struct buf ns_cur[3] = { BUF_INIT(HC_FILE_MAX), BUF_INIT(HC_FILE_MAX),
				BUF_INIT(HC_FILE_MAX) };
static struct buf ns_text = BUF_INIT(HC_FILE_MAX);
static struct ns_slot *ns_slots;
static size_t ns_nslots, ns_capslots;
static size_t *ns_nfields;	/* fields of each name line, netstat+snmp */
static void *ns_re;
static int ns_valid;

/* The value lines (or snmp6 value fields) of one file, by line. */
struct ns_vals {
	struct field *v;
	size_t n, cap;
};

static struct ns_vals ns_vv[3];

static int vals_push(struct ns_vals *vv, const char *p, size_t n)
{
	if (vv->n == vv->cap) {
		size_t cap = vv->cap ? vv->cap * 2 : 64;
		struct field *nv = realloc(vv->v, cap * sizeof(*nv));

		if (!nv)
			return -1;
		vv->v = nv;
		vv->cap = cap;
	}
	vv->v[vv->n].p = p;
	vv->v[vv->n].n = n;
	vv->n++;
	return 0;
}

/* The name lines of file into sig, its value lines into vv. */
static int ns_scan(const char *p, size_t len, int file, struct buf *sig,
		   struct ns_vals *vv)
{
	const char *line, *vline;
	size_t llen, vlen, pos = 0;

	buf_reset(sig);
	vv->n = 0;
	while (hc_line(p, len, &pos, &line, &llen)) {
		if (file == 2) {
			struct field f[2];
			size_t nf = hc_fields(line, llen, f, 2);

			if (nf == 0) {
				f[0].p = line;
				f[0].n = 0;
			}
			/* Lines without a value are skipped: that too is
			 * part of the layout. */
			if (buf_add(sig, f[0].p, f[0].n) < 0 ||
			    buf_addch(sig, nf >= 2 ? '\n' : '\r') < 0 ||
			    vals_push(vv, nf >= 2 ? f[1].p : "",
				      nf >= 2 ? f[1].n : 0) < 0)
				return -1;
			continue;
		}
		if (!hc_line(p, len, &pos, &vline, &vlen)) {
			vline = "";
			vlen = 0;
		}
		if (buf_add(sig, line, llen) < 0 || buf_addch(sig, '\n') < 0 ||
		    vals_push(vv, vline, vlen) < 0)
			return -1;
	}
	return 0;
}

static struct field ns_split[NS_FIELDS_MAX + 1];

/* The fast way: 1 done, 0 when the layout is not the last one's (nothing
 * added then), -1 on error. */
static double *ns_v;		/* the values of a cycle, by slot */
static size_t ns_capv;

static int ns_fast(void *re, struct out *o)
{
	double *v = ns_v;
	const struct field *x;
	size_t i, f, k, c = 0;

	if (!ns_valid || re != ns_re)
		return 0;
	for (f = 0; f < 3; f++)
		if (ns_sig[f].len != ns_cur[f].len ||
		    (ns_sig[f].len > 0 &&
		     memcmp(ns_sig[f].p, ns_cur[f].p, ns_sig[f].len) != 0))
			return 0;
	if (ns_nslots > ns_capv) {
		double *nv = realloc(ns_v, ns_nslots * sizeof(*nv));

		if (!nv)
			return -1;
		v = ns_v = nv;
		ns_capv = ns_nslots;
	}
	/* Every value line must still split as its names do; the slots
	 * are in file, line and field order. */
	for (f = 0, i = 0; f < 2; f++)
		for (k = 0; k < ns_vv[f].n; k++, c++) {
			size_t nv = split_space(ns_vv[f].v[k].p, ns_vv[f].v[k].n,
						ns_split, NS_FIELDS_MAX);

			if (nv != ns_nfields[c])
				return 0;
			for (; i < ns_nslots && ns_slots[i].file == (int)f &&
			       ns_slots[i].line == k; i++) {
				x = &ns_split[ns_slots[i].field];
				if (hc_parse_f64(x->p, x->n, &v[i]) < 0)
					return 0;
			}
		}
	for (; i < ns_nslots; i++) {
		if (ns_slots[i].file != 2)
			return 0;	/* not in order: never so */
		x = &ns_vv[2].v[ns_slots[i].line];
		if (hc_parse_f64(x->p, x->n, &v[i]) < 0)
			return 0;
	}
	for (i = 0; i < ns_nslots; i++)
		if (ns_slots[i].emit &&
		    out_add(o, ns_text.p + ns_slots[i].name,
			    ns_text.p + ns_slots[i].help, OUT_UNTYPED, v[i],
			    NULL) < 0)
			return -1;
	return 1;
}

static int ns_slot_add(const struct ns_entry *e, const struct ns_block *b,
		       int emit, const char *name, const char *help)
{
	struct ns_slot *sl;

	if (ns_nslots == ns_capslots) {
		size_t cap = ns_capslots ? ns_capslots * 2 : 256;
		struct ns_slot *ns = realloc(ns_slots, cap * sizeof(*ns));

		if (!ns)
			return -1;
		ns_slots = ns;
		ns_capslots = cap;
	}
	sl = &ns_slots[ns_nslots];
	sl->file = b->file;
	sl->line = e->line;
	sl->field = e->field;
	sl->emit = emit;
	sl->name = ns_text.len;
	if (buf_add(&ns_text, name, strlen(name) + 1) < 0)
		return -1;
	sl->help = ns_text.len;
	if (buf_add(&ns_text, help, strlen(help) + 1) < 0)
		return -1;
	ns_nslots++;
	return 0;
}

/* After a cycle parsed the long way: its layout is the next one's. */
static int ns_remember(void *re)
{
	size_t f, k, n = 0;
	struct buf t;

	for (f = 0; f < 2; f++)
		n += ns_vv[f].n;
	if (n) {
		size_t *nf = realloc(ns_nfields, n * sizeof(*nf));

		if (!nf)
			return -1;
		ns_nfields = nf;
	}
	for (f = 0, n = 0; f < 2; f++)
		for (k = 0; k < ns_vv[f].n; k++)
			ns_nfields[n++] = split_space(ns_vv[f].v[k].p,
						      ns_vv[f].v[k].n, ns_split,
						      NS_FIELDS_MAX);
	for (f = 0; f < 3; f++) {
		t = ns_sig[f];
		ns_sig[f] = ns_cur[f];
		ns_cur[f] = t;
	}
	ns_re = re;
	ns_valid = 1;
	return 0;
}

int netstat_parse(const char *netstat, size_t nlen, const char *snmp,
		  size_t slen, const char *snmp6, size_t s6len, void *re,
		  struct out *o)
{
	struct ns_list l = { NULL, 0, 0, NULL, 0, 0 };
	int rc = -1, fast, keep;
	size_t i;

	keep = ns_scan(netstat, nlen, 0, &ns_cur[0], &ns_vv[0]) == 0 &&
	       ns_scan(snmp, slen, 1, &ns_cur[1], &ns_vv[1]) == 0;
	if (keep && snmp6) {
		keep = ns_scan(snmp6, s6len, 2, &ns_cur[2], &ns_vv[2]) == 0;
	} else if (keep) {
		/* No snmp6 is a layout of its own, not an empty one. */
		buf_reset(&ns_cur[2]);
		ns_vv[2].n = 0;
		keep = buf_add(&ns_cur[2], "-", 1) == 0;
	}
	if (keep) {
		fast = ns_fast(re, o);
		if (fast != 0)
			return fast > 0 ? 0 : -1;
	}
	ns_valid = 0;
	ns_nslots = 0;
	buf_reset(&ns_text);
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
		int emit;

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
		emit = !re || seqmatch_match(&netstat_names, key, pl + 1 + nl);
		memcpy(name, "node_netstat_", 13);
		memcpy(name + 13, key, pl + nl + 2);
		memcpy(help, "Statistic ", 10);
		memcpy(help + 10, b->proto, pl);
		memcpy(help + 10 + pl, e->name, nl);
		memcpy(help + 10 + pl + nl, ".", 2);
		if (keep && ns_slot_add(e, b, emit, name, help) < 0)
			keep = 0;
		if (!emit)
			continue;
		if (out_add(o, name, help, OUT_UNTYPED, v, NULL) < 0)
			goto out;
	}
	if (keep)
		(void)ns_remember(re);
	rc = 0;
out:
	seqmatch_end(&netstat_names);
	free(l.v);
	free(l.b);
	return rc;
}

void netstat_cleanup(void)
{
	size_t f;

	seqmatch_free(&netstat_names);
	for (f = 0; f < 3; f++) {
		buf_free(&ns_sig[f]);
		buf_free(&ns_cur[f]);
		free(ns_vv[f].v);
		ns_vv[f].v = NULL;
		ns_vv[f].n = ns_vv[f].cap = 0;
	}
	buf_free(&ns_text);
	free(ns_slots);
	free(ns_nfields);
	free(ns_v);
	ns_v = NULL;
	ns_capv = 0;
	ns_slots = NULL;
	ns_nfields = NULL;
	ns_nslots = ns_capslots = 0;
	ns_valid = 0;
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
