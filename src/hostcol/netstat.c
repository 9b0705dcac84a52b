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

static struct field ns_split[NS_FIELDS_MAX + 1];

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
 * cycle's, a cycle parses only the values it needs, reading the files
 * where they lie: the name lines of netstat and snmp are compared whole,
 * an snmp6 line up to its value ("Ip6InReceives<blanks>").
 */
struct ns_slot {
	int file;
	size_t line, field;
	int emit;		/* passes --collector.netstat.fields */
	size_t name, help;	/* into ns_text */
};

/* Name lines of netstat and snmp, each with its '\n'; snmp6's line
 * heads back to back, their lengths in ns_head. */
static struct buf ns_sig[3] = { BUF_INIT(HC_FILE_MAX), BUF_INIT(HC_FILE_MAX),
				BUF_INIT(HC_FILE_MAX) };
static struct buf ns_text = BUF_INIT(HC_FILE_MAX);
/* netstat, snmp and snmp6 as read, kept: a cycle reads into the same
 * memory. */
static struct buf ns_read[3] = { BUF_INIT(HC_FILE_MAX),
				 BUF_INIT(HC_FILE_MAX),
				 BUF_INIT(HC_FILE_MAX) };
static struct ns_slot *ns_slots;
static size_t ns_nslots, ns_capslots;
static size_t *ns_nfields;	/* fields of each value line, netstat+snmp */
static size_t ns_nlines, ns_caplines;
/* An snmp6 line: the length of its head, and NS_VALUE when a value
 * follows (else the head is the whole line). */
#define NS_VALUE ((size_t)1 << (sizeof(size_t) * 8 - 1))
#define NS_SLOT ((size_t)1 << (sizeof(size_t) * 8 - 2))	/* and a slot */
static size_t *ns_head;
/* Which fields of a value line are slots: none, all but the first (a
 * protocol read), or some (ns_slots says which). */
enum { NS_NONE, NS_DENSE, NS_MIXED };
static unsigned char *ns_lmode;
static size_t ns_nhead, ns_caphead;
static int ns_have6;
static void *ns_re;
static int ns_valid;
/* Last cycle's netstat and snmp, as snmp6's below: where their lines
 * start (ns_nrec + 1 of them, name and value lines), and how many slots
 * each value line has (ns_lslots, by line as ns_nfields). */
static struct hc_last ns_lastp[2] = { HC_LAST_INIT, HC_LAST_INIT };
static size_t ns_nrec[2];
static size_t *ns_lslots;
/* Last cycle's snmp6 (ns_nhead lines).  Most of the file is byte for
 * byte last cycle's: those lines were checked then and their values
 * stand. */
static struct hc_last ns_last6 = HC_LAST_INIT;
static double *ns_v;		/* the values of a cycle, by slot */
static size_t ns_capv;
static size_t *ns_emit;		/* the slots written, in order */
static size_t ns_nemit, ns_capemit;

static int ns_grow(size_t **v, size_t n, size_t *cap)
{
	if (n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		size_t *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -1;
		*v = nv;
		*cap = c;
	}
	return 0;
}

static inline int ns_blank(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * The value at s (before e) into *v, *end where it ends: at a space or e
 * in a value line of netstat or snmp (split_space's fields), at a blank
 * or e in snmp6 (hc_fields').  0, or -1 when it is no number.
 */
static inline int ns_value(const char *s, const char *e, int six,
			   const char **end, double *v)
{
	uint64_t u;
	size_t d = hc_scan_u64(s, e, &u);
	const char *t = s + d;

	if (d > 0 && d <= 15 &&
	    (t == e || *t == ' ' || (six && ns_blank((unsigned char)*t)))) {
		*v = (double)u;
		*end = t;
		return 0;
	}
	for (t = s; t < e && *t != ' ' && !(six && ns_blank((unsigned char)*t));
	     t++)
		;
	*end = t;
	return hc_parse_f64(s, (size_t)(t - s), v);
}

/*
 * The lines of netstat or snmp (file f) against the layout, slot *i on,
 * value line count *c on: 0, or -1 when it is not the last one's.  Only
 * the lines that differ from last cycle's text are checked: a name line
 * against the layout's, a value line read.  The file ends in '\n' (or is
 * empty), so every line does and the loops over a line's bytes need no
 * bound.
 */
static int ns_fast_pairs(const char *p, size_t len, int f, size_t *i,
			 size_t *c)
{
	const char *sig = ns_sig[f].p ? ns_sig[f].p : "";
	const char *sige = sig + ns_sig[f].len;
	const char *s = p, *e = p + len, *nl, *t;
	const struct buf *q = &ns_lastp[f].text;
	size_t *at = ns_lastp[f].at, *next = ns_lastp[f].next, nr = ns_nrec[f];
	size_t r = 0, k, j, nf, llen, d, a, qat, same, n;
	uint64_t u;

	if (len > 0 && p[len - 1] != '\n')
		return -1;
	while (s < e) {
		if (!ns_lastp[f].fresh && r < nr) {
			/* The lines up to where the file first differs
			 * from last cycle's are as checked then, the values
			 * as read then: a name line is passed over, a value
			 * line's slots counted. */
			a = (size_t)(s - p);
			qat = at[r];
			n = q->len - qat;
			if (len - a < n)
				n = len - a;
			same = qat + hc_same_len(s, q->p + qat, n);
			for (; r < nr && at[r + 1] <= same; r++) {
				next[r] = a + (at[r] - qat);
				if (r % 2 == 0) {
					sig += at[r + 1] - at[r];
				} else {
					if (*c >= ns_nlines)
						return -1;
					*i += ns_lslots[(*c)++];
				}
			}
			s += at[r] - qat;
			if (s == e)
				break;
		}
		if (r >= nr)
			return -1;
		next[r] = (size_t)(s - p);
		nl = memchr(s, '\n', (size_t)(e - s));
		if (r++ % 2 == 0) {
			llen = (size_t)(nl - s);
			if ((size_t)(sige - sig) < llen + 1 ||
			    sig[llen] != '\n' || !hc_memeq(sig, s, llen) ||
			    *c >= ns_nlines)
				return -1;
			sig += llen + 1;
			s = nl + 1;
			continue;
		}
		/* The value line of pair k. */
		k = r / 2 - 1;
		nf = ns_nfields[*c];
		/* Fields split on single spaces, as split_space does; the
		 * protocol's own (field 0) is no value. */
		t = memchr(s, ' ', (size_t)(nl - s));
		if (!t) {
			j = 0;
		} else if (ns_lmode[*c] == NS_DENSE) {
			double *v = ns_v + *i;
			const struct ns_slot *sl = ns_slots + *i;

			/* Every field but the first is a slot, in order.  Most
			 * are not written: their number is only checked to be
			 * one, as the long way reads it, not converted. */
			for (s = t + 1, j = 1;; j++, v++, sl++) {
				if (j >= nf)
					return -1;
				d = hc_digits_len(s, e);
				t = s + d;
				if (d > 0 && d <= 15 && (*t == ' ' || *t == '\n')) {
					if (sl->emit) {
						(void)hc_digits(s, &u);
						*v = (double)u;
					}
				} else {
					t = memchr(s, ' ', (size_t)(nl - s));
					if (!t)
						t = nl;
					if (hc_parse_f64(s, (size_t)(t - s), v) < 0)
						return -1;
				}
				if (t == nl)
					break;
				s = t + 1;
			}
			*i += j;
		} else {
			for (s = t + 1, j = 1;; j++) {
				if (j >= nf)
					return -1;
				if (ns_lmode[*c] == NS_MIXED && *i < ns_nslots &&
				    ns_slots[*i].file == f &&
				    ns_slots[*i].line == k &&
				    ns_slots[*i].field == j) {
					if (ns_value(s, nl, 0, &t,
						     &ns_v[(*i)++]) < 0)
						return -1;
				} else {
					t = memchr(s, ' ', (size_t)(nl - s));
					if (!t)
						t = nl;
				}
				if (t == nl)
					break;
				s = t + 1;
			}
		}
		if (j + 1 != nf)
			return -1;
		(*c)++;
		s = nl + 1;
	}
	/* A name line ends the file: no value line, and "" has one
	 * field. */
	if (r % 2 == 1 && (*c >= ns_nlines || ns_nfields[*c] != 1 ||
			   ns_lmode[(*c)++] != NS_NONE))
		return -1;
	if (sig != sige || r != nr)
		return -1;
	/* This file is what the next cycle is compared with. */
	hc_last_keep(&ns_lastp[f], &ns_read[f], p, len, r);
	return 0;
}

/* snmp6 against the layout, slot *i on; as ns_fast_pairs, the file ends
 * in '\n'.  Only the lines that differ from last cycle's are checked. */
static int ns_fast6(const char *p, size_t len, size_t *i)
{
	const char *sig = ns_sig[2].p ? ns_sig[2].p : "";
	const char *sige = sig + ns_sig[2].len;
	const char *s = p, *e = p + len, *t;
	size_t k = 0, d, at, qat, same, n;
	const size_t *last = ns_last6.at;
	size_t *next = ns_last6.next;
	uint64_t u;

	if (len > 0 && p[len - 1] != '\n')
		return -1;
	while (s < e) {
		size_t h, hl;

		if (!ns_last6.fresh && k < ns_nhead) {
			/* The lines up to where the file first differs
			 * from last cycle's are as checked then. */
			at = (size_t)(s - p);
			qat = last[k];
			n = ns_last6.text.len - qat;
			if (len - at < n)
				n = len - at;
			same = qat + hc_same_len(s, ns_last6.text.p + qat, n);
			for (; k < ns_nhead && last[k + 1] <= same; k++) {
				h = ns_head[k];
				next[k] = at + (last[k] - qat);
				sig += h & ~(NS_VALUE | NS_SLOT);
				*i += (h & NS_SLOT) != 0;
			}
			s += last[k] - qat;
			if (s == e)
				break;
		}
		if (k >= ns_nhead)
			return -1;
		next[k] = (size_t)(s - p);
		h = ns_head[k++];
		hl = h & ~(NS_VALUE | NS_SLOT);
		if ((size_t)(e - s) <= hl || (size_t)(sige - sig) < hl ||
		    !hc_memeq(s, sig, hl))
			return -1;
		s += hl;
		sig += hl;
		if (!(h & NS_VALUE)) {
			if (*s++ != '\n')
				return -1;
			continue;
		}
		if (ns_blank((unsigned char)*s))
			return -1;
		if (h & NS_SLOT) {
			if (*i >= ns_nslots)
				return -1;
			/* As in ns_fast_pairs, a number not written is only
			 * checked. */
			d = hc_digits_len(s, e);
			if (d > 0 && d <= 15 && s[d] == '\n') {
				if (ns_slots[*i].emit) {
					(void)hc_digits(s, &u);
					ns_v[*i] = (double)u;
				}
				(*i)++;
				s += d + 1;
				continue;
			}
			if (ns_value(s, e, 1, &t, &ns_v[(*i)++]) < 0)
				return -1;
			s = t;
		}
		t = memchr(s, '\n', (size_t)(e - s));
		s = t + 1;
	}
	if (k != ns_nhead || sig != sige)
		return -1;
	/* This file is what the next cycle is compared with. */
	hc_last_keep(&ns_last6, &ns_read[2], p, len, k);
	return 0;
}

/* The fast way: 1 done, 0 when the layout is not the last one's (nothing
 * added then), -1 on error. */
static int ns_fast(const char *netstat, size_t nlen, const char *snmp,
		   size_t slen, const char *snmp6, size_t s6len, void *re,
		   struct out *o)
{
	size_t i = 0, c = 0;

	if (!ns_valid || re != ns_re || ns_have6 != (snmp6 != NULL))
		return 0;
	if (ns_fast_pairs(netstat, nlen, 0, &i, &c) < 0 ||
	    ns_fast_pairs(snmp, slen, 1, &i, &c) < 0 || c != ns_nlines ||
	    (snmp6 && ns_fast6(snmp6, s6len, &i) < 0) || i != ns_nslots)
		return 0;
	if (!o)
		return 1;
	for (c = 0; c < ns_nemit; c++) {
		const struct ns_slot *sl = &ns_slots[ns_emit[c]];

		if (out_add(o, ns_text.p + sl->name, ns_text.p + sl->help,
			    OUT_UNTYPED, ns_v[ns_emit[c]], NULL) < 0)
			return -1;
	}
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

/* The name lines of netstat or snmp (file f) and the field counts of
 * their value lines. */
static int ns_layout_pairs(const char *p, size_t len, int f)
{
	const char *line, *vline;
	size_t llen, vlen, pos = 0;

	buf_reset(&ns_sig[f]);
	ns_nrec[f] = 0;
	while (hc_line(p, len, &pos, &line, &llen)) {
		ns_nrec[f]++;
		if (!hc_line(p, len, &pos, &vline, &vlen)) {
			vline = "";
			vlen = 0;
		} else {
			ns_nrec[f]++;
		}
		if (buf_add(&ns_sig[f], line, llen) < 0 ||
		    buf_addch(&ns_sig[f], '\n') < 0 ||
		    ns_grow(&ns_nfields, ns_nlines, &ns_caplines) < 0)
			return -1;
		ns_nfields[ns_nlines++] = split_space(vline, vlen, ns_split,
						      NS_FIELDS_MAX);
	}
	return 0;
}

/* The heads of snmp6's lines: up to the value, or the whole line when
 * it has none (hc_fields finds fewer than two). */
static int ns_layout6(const char *p, size_t len)
{
	const char *line;
	size_t llen, pos = 0, h;

	buf_reset(&ns_sig[2]);
	while (hc_line(p, len, &pos, &line, &llen)) {
		struct field f[2];

		if (hc_fields(line, llen, f, 2) >= 2)
			h = (size_t)(f[1].p - line) | NS_VALUE;
		else
			h = llen;
		if (buf_add(&ns_sig[2], line, h & ~NS_VALUE) < 0 ||
		    ns_grow(&ns_head, ns_nhead, &ns_caphead) < 0)
			return -1;
		ns_head[ns_nhead++] = h;
	}
	return 0;
}

/* After a cycle parsed the long way: its layout is the next one's, once
 * the fast way reads these very files as the long way did. */
static int ns_remember(const char *netstat, size_t nlen, const char *snmp,
		       size_t slen, const char *snmp6, size_t s6len, void *re)
{
	size_t f, k, c, j, i = 0, start, n0, *ls;
	unsigned char *m;

	ns_nlines = ns_nhead = ns_nemit = 0;
	if (ns_layout_pairs(netstat, nlen, 0) < 0)
		return -1;
	n0 = ns_nlines;
	if (ns_layout_pairs(snmp, slen, 1) < 0 ||
	    (snmp6 && ns_layout6(snmp6, s6len) < 0))
		return -1;
	ns_last6.fresh = ns_lastp[0].fresh = ns_lastp[1].fresh = 1;
	for (f = 0; f < 2; f++)
		if (hc_last_reserve(&ns_lastp[f], ns_nrec[f]) < 0)
			return -1;
	if (snmp6 && hc_last_reserve(&ns_last6, ns_nhead) < 0)
		return -1;
	if (ns_nslots > ns_capv) {
		double *nv = realloc(ns_v, ns_nslots * sizeof(*nv));

		if (!nv)
			return -1;
		ns_v = nv;
		ns_capv = ns_nslots;
	}
	m = realloc(ns_lmode, ns_nlines + 1);
	if (!m)
		return -1;
	ns_lmode = m;
	ls = realloc(ns_lslots, (ns_nlines + 1) * sizeof(*ls));
	if (!ls)
		return -1;
	ns_lslots = ls;
	for (c = 0; c < ns_nlines; c++) {
		f = c < n0 ? 0 : 1;
		k = c < n0 ? c : c - n0;
		for (start = i; i < ns_nslots && ns_slots[i].file == (int)f &&
				ns_slots[i].line == k; i++)
			;
		ns_lslots[c] = i - start;
		m[c] = NS_DENSE;
		if (i == start)
			m[c] = NS_NONE;
		else if (i - start + 1 != ns_nfields[c])
			m[c] = NS_MIXED;
		for (j = start; j < i && m[c] == NS_DENSE; j++)
			if (ns_slots[j].field != j - start + 1)
				m[c] = NS_MIXED;
	}
	for (; i < ns_nslots; i++) {
		if (ns_slots[i].file != 2 || ns_slots[i].line >= ns_nhead ||
		    !(ns_head[ns_slots[i].line] & NS_VALUE))
			return -1;
		ns_head[ns_slots[i].line] |= NS_SLOT;
	}
	for (i = 0; i < ns_nslots; i++) {
		if (!ns_slots[i].emit)
			continue;
		if (ns_grow(&ns_emit, ns_nemit, &ns_capemit) < 0)
			return -1;
		ns_emit[ns_nemit++] = i;
	}
	ns_have6 = snmp6 != NULL;
	ns_re = re;
	ns_valid = 1;
	/* The fast way must read these very files as the long way did. */
	if (ns_fast(netstat, nlen, snmp, slen, snmp6, s6len, re, NULL) != 1)
		ns_valid = 0;
	return 0;
}

int netstat_parse(const char *netstat, size_t nlen, const char *snmp,
		  size_t slen, const char *snmp6, size_t s6len, void *re,
		  struct out *o)
{
	struct ns_list l = { NULL, 0, 0, NULL, 0, 0 };
	int rc = -1, fast, keep;
	size_t i;

	fast = ns_fast(netstat, nlen, snmp, slen, snmp6, s6len, re, o);
	if (fast != 0)
		return fast > 0 ? 0 : -1;
	keep = 1;
	ns_valid = 0;
	ns_last6.fresh = ns_lastp[0].fresh = ns_lastp[1].fresh = 1;
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
		(void)ns_remember(netstat, nlen, snmp, slen, snmp6, s6len, re);
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
		buf_free(&ns_read[f]);
	}
	buf_free(&ns_text);
	hc_last_free(&ns_last6);
	for (f = 0; f < 2; f++) {
		hc_last_free(&ns_lastp[f]);
		ns_nrec[f] = 0;
	}
	free(ns_lslots);
	ns_lslots = NULL;
	free(ns_slots);
	free(ns_nfields);
	free(ns_head);
	free(ns_lmode);
	free(ns_emit);
	free(ns_v);
	ns_v = NULL;
	ns_capv = 0;
	ns_slots = NULL;
	ns_nfields = NULL;
	ns_head = NULL;
	ns_lmode = NULL;
	ns_emit = NULL;
	ns_nemit = ns_capemit = 0;
	ns_nslots = ns_capslots = 0;
	ns_nlines = ns_caplines = ns_nhead = ns_caphead = 0;
	ns_valid = 0;
}

int netstat_init(struct hc *hc)
{
	return regex_compile(&hc->netstat_re, "--collector.netstat.fields",
			     hc->netstat_fields);
}

int netstat_update(struct hc *hc, struct out *o)
{
	struct buf *const rd = ns_read;
	char pa[PATH_MAX], pb[PATH_MAX], pc[PATH_MAX];
	int have6;

	if (hc_path(pa, sizeof(pa), hc->procfs, "net/netstat") < 0 ||
	    hc_path(pb, sizeof(pb), hc->procfs, "net/snmp") < 0 ||
	    hc_path(pc, sizeof(pc), hc->procfs, "net/snmp6") < 0)
		return HC_FAIL;
	if (hc_read_whole(pa, &rd[0]) < 0) {
		log_error("netstat: cannot read '%s': %s", pa, strerror(errno));
		return HC_FAIL;
	}
	if (hc_read_whole(pb, &rd[1]) < 0) {
		log_error("netstat: cannot read '%s': %s", pb, strerror(errno));
		return HC_FAIL;
	}
	have6 = hc_read_whole(pc, &rd[2]) == 0;
	if (!have6 && errno != ENOENT) {
		log_error("netstat: cannot read '%s': %s", pc, strerror(errno));
		return HC_FAIL;
	}
	if (netstat_parse(rd[0].p ? rd[0].p : "", rd[0].len,
			  rd[1].p ? rd[1].p : "", rd[1].len,
			  have6 ? (rd[2].p ? rd[2].p : "") : NULL, rd[2].len,
			  hc->netstat_re, o) < 0) {
		log_error("netstat: malformed '%s' or '%s'", pa, pb);
		return HC_FAIL;
	}
	return HC_OK;
}
