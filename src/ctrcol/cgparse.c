/* cgparse.c: pure parsers of cgroup v1/v2 files and /proc/PID/net/dev, on buffers. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ctrcol.h"
#include "obs.h"
#include "parse.h"
#include "banned.h"

void ctr_stats_clear(struct ctr_stats *s)
{
	size_t i;

	for (i = 0; i < CS_N; i++)
		s->v[i] = NAN;
	s->nnet = 0;
	s->nio = 0;
	s->fs_device[0] = '\0';
}

/* A cursor over the lines of a buffer; the last line may lack '\n'. */
struct cur {
	const char *p, *end;
};

static int next_line(struct cur *c, const char **l, size_t *n)
{
	const char *nl;

	if (c->p >= c->end)
		return 0;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	*l = c->p;
	*n = nl ? (size_t)(nl - c->p) : (size_t)(c->end - c->p);
	c->p = nl ? nl + 1 : c->end;
	return 1;
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* The next blank-separated word of l[*i..n); 0 when none is left. */
static int word(const char *l, size_t n, size_t *i, const char **w,
		size_t *wn)
{
	while (*i < n && is_blank(l[*i]))
		(*i)++;
	if (*i >= n)
		return 0;
	*w = l + *i;
	while (*i < n && !is_blank(l[*i]))
		(*i)++;
	*wn = (size_t)(l + *i - *w);
	return 1;
}

static int trimmed(const char *p, size_t len, size_t *n)
{
	while (len && (p[len - 1] == '\n' || is_blank(p[len - 1])))
		len--;
	*n = len;
	return len ? 0 : -1;
}

int cg_kv(const char *p, size_t len, const char *key, uint64_t *v)
{
	struct cur c = { p, p + len };
	size_t klen = strlen(key), n, i, wn;
	const char *l, *w;

	while (next_line(&c, &l, &n)) {
		i = 0;
		if (!word(l, n, &i, &w, &wn) || wn != klen ||
		    memcmp(w, key, klen) != 0)
			continue;
		if (!word(l, n, &i, &w, &wn))
			return -1;
		return parse_u64(w, wn, 0, UINT64_MAX, v);
	}
	return -1;
}

int cg_u64(const char *p, size_t len, uint64_t *v)
{
	if (trimmed(p, len, &len) < 0)
		return -1;
	if (len == 3 && memcmp(p, "max", 3) == 0) {
		*v = UINT64_MAX;
		return 0;
	}
	return parse_u64(p, len, 0, UINT64_MAX, v);
}

int cg_i64(const char *p, size_t len, int64_t *v)
{
	uint64_t u;

	if (trimmed(p, len, &len) < 0)
		return -1;
	if (p[0] == '-') {
		if (parse_u64(p + 1, len - 1, 0, INT64_MAX, &u) < 0)
			return -1;
		*v = -(int64_t)u;
		return 0;
	}
	return parse_i64(p, len, 0, INT64_MAX, v);
}

int cg_cpu_max(const char *p, size_t len, int64_t *quota, uint64_t *period)
{
	size_t i = 0, qn, pn;
	const char *q, *w;

	if (trimmed(p, len, &len) < 0 || !word(p, len, &i, &q, &qn) ||
	    !word(p, len, &i, &w, &pn))
		return -1;
	if (parse_u64(w, pn, 0, UINT64_MAX, period) < 0)
		return -1;
	if (qn == 3 && memcmp(q, "max", 3) == 0) {
		*quota = -1;
		return 0;
	}
	return parse_i64(q, qn, 0, INT64_MAX, quota);
}

int cg_count_lines(const char *p, size_t len, size_t *n, uint64_t *first)
{
	struct cur c = { p, p + len };
	const char *l;
	size_t ln, count = 0;

	*first = 0;
	while (next_line(&c, &l, &ln)) {
		if (!ln)
			continue;
		if (!count && parse_u64(l, ln, 0, UINT64_MAX, first) < 0)
			return -1;
		count++;
	}
	*n = count;
	return 0;
}

/* "MAJ:MIN" */
static int devnum(const char *w, size_t n, unsigned *maj, unsigned *min)
{
	const char *colon = memchr(w, ':', n);
	uint64_t a, b;

	if (!colon ||
	    parse_u64(w, (size_t)(colon - w), 0, UINT32_MAX, &a) < 0 ||
	    parse_u64(colon + 1, n - (size_t)(colon - w) - 1, 0, UINT32_MAX,
		      &b) < 0)
		return -1;
	*maj = (unsigned)a;
	*min = (unsigned)b;
	return 0;
}

static struct ctr_io *io_slot(struct ctr_stats *s, unsigned maj,
			      unsigned min)
{
	size_t i, k;

	for (i = 0; i < s->nio; i++)
		if (s->io[i].major == maj && s->io[i].minor == min)
			return &s->io[i];
	if (s->nio == CTR_MAX_DEVS)
		return NULL;
	s->io[s->nio].major = maj;
	s->io[s->nio].minor = min;
	for (k = 0; k < IO_N; k++)
		s->io[s->nio].v[k] = NAN;
	return &s->io[s->nio++];
}

int cg_blkio(const char *p, size_t len, int ops, struct ctr_stats *s,
	     int *nonzero)
{
	struct cur c = { p, p + len };
	const char *l, *w, *op, *num;
	size_t n, i, wn, opn, numn;
	unsigned maj, min;
	uint64_t v;
	struct ctr_io *io;
	int k;

	*nonzero = 0;
	while (next_line(&c, &l, &n)) {
		i = 0;
		if (!word(l, n, &i, &w, &wn))
			continue;
		if (!word(l, n, &i, &op, &opn))
			return -1;
		if (!word(l, n, &i, &num, &numn)) {
			if (wn == 5 && memcmp(w, "Total", 5) == 0)
				continue;
			return -1;
		}
		if (devnum(w, wn, &maj, &min) < 0 ||
		    parse_u64(num, numn, 0, UINT64_MAX, &v) < 0)
			return -1;
		if (opn == 4 && memcmp(op, "Read", 4) == 0)
			k = ops ? IO_RIOS : IO_RBYTES;
		else if (opn == 5 && memcmp(op, "Write", 5) == 0)
			k = ops ? IO_WIOS : IO_WBYTES;
		else
			continue;
		if (v)
			*nonzero = 1;
		io = io_slot(s, maj, min);
		if (io)
			io->v[k] = (double)v;
	}
	return 0;
}

int cg_iostat(const char *p, size_t len, struct ctr_stats *s)
{
	static const struct {
		const char *key;
		int idx;
	} keys[] = {
		{ "rbytes", IO_RBYTES }, { "wbytes", IO_WBYTES },
		{ "rios", IO_RIOS }, { "wios", IO_WIOS },
	};
	struct cur c = { p, p + len };
	const char *l, *w, *eq;
	size_t n, i, wn, k;
	unsigned maj, min;
	uint64_t v;
	struct ctr_io *io;

	while (next_line(&c, &l, &n)) {
		i = 0;
		if (!word(l, n, &i, &w, &wn))
			continue;
		if (devnum(w, wn, &maj, &min) < 0)
			return -1;
		io = io_slot(s, maj, min);
		while (word(l, n, &i, &w, &wn)) {
			eq = memchr(w, '=', wn);
			if (!eq)
				return -1;
			for (k = 0; k < ARRAY_SIZE(keys); k++) {
				size_t kl = strlen(keys[k].key);

				if ((size_t)(eq - w) != kl ||
				    memcmp(w, keys[k].key, kl) != 0)
					continue;
				if (parse_u64(eq + 1, wn - kl - 1, 0,
					      UINT64_MAX, &v) < 0)
					return -1;
				if (io)
					io->v[keys[k].idx] = (double)v;
			}
		}
	}
	return 0;
}

static int netdev_ignored(const char *name, size_t n)
{
	static const char *const prefixes[] = { "lo", "veth", "docker",
						"nerdctl" };
	size_t i, pl;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		pl = strlen(prefixes[i]);
		if (n >= pl && memcmp(name, prefixes[i], pl) == 0)
			return 1;
	}
	return 0;
}

int cg_netdev(const char *p, size_t len, struct ctr_stats *s)
{
	/* rx: bytes packets errs drop fifo frame compressed multicast,
	 * then tx: bytes packets errs drop ... */
	static const int col[16] = {
		NET_RX_BYTES, NET_RX_PACKETS, NET_RX_ERRS, NET_RX_DROP,
		-1, -1, -1, -1,
		NET_TX_BYTES, NET_TX_PACKETS, NET_TX_ERRS, NET_TX_DROP,
		-1, -1, -1, -1,
	};
	struct cur c = { p, p + len };
	const char *l, *colon, *name, *w;
	size_t n, i, nn, wn, k;
	struct ctr_net *ni;
	uint64_t v;

	while (next_line(&c, &l, &n)) {
		colon = memchr(l, ':', n);
		if (!colon)
			continue;	/* the two header lines */
		i = 0;
		if (!word(l, (size_t)(colon - l), &i, &name, &nn))
			return -1;
		if (nn >= CTR_IFNAME_MAX)
			return -1;
		if (netdev_ignored(name, nn))
			continue;
		if (s->nnet == CTR_MAX_IFACES)
			return 0;
		ni = &s->net[s->nnet];
		memcpy(ni->name, name, nn);
		ni->name[nn] = '\0';
		i = (size_t)(colon - l) + 1;
		for (k = 0; k < 16; k++) {
			if (!word(l, n, &i, &w, &wn) ||
			    parse_u64(w, wn, 0, UINT64_MAX, &v) < 0)
				return -1;
			if (col[k] >= 0)
				ni->v[col[k]] = (double)v;
		}
		s->nnet++;
	}
	return 0;
}

uint64_t cg_weight_to_shares(uint64_t weight)
{
	/* The inverse of runc's shares-to-weight mapping, as cAdvisor does. */
	if (weight < 1 || weight > 10000)
		return 0;
	return 2 + ((weight - 1) * 262142) / 9999;
}
