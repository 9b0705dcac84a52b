/* render.c: SNMP variables turned into series exactly as snmp_exporter's collector renders them. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "labels.h"
#include "obs.h"
#include "snmpcol.h"
#include "value.h"
#include "banned.h"

/* A hostile agent cannot make a label longer than this from an index (an
 * OID has at most 128 parts, so no real index comes near). */
#define SC_INDEX_MAX 1024

/* A list of integers: the index OIDs a label was made of (Go's []int). */
struct ivec {
	int64_t *v;
	size_t n, cap;
};

static int
ivec_push(struct ivec *a, int64_t x)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		int64_t *v = realloc(a->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

/* --- PDUs -------------------------------------------------------------- */

int
sc_pdus_add(struct sc_pdus *p, const uint32_t *name, size_t nlen,
	    const struct sc_value *v)
{
	struct sc_pdu *d;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct sc_pdu *nv = realloc(p->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		p->v = nv;
		p->cap = cap;
	}
	d = &p->v[p->n];
	memset(d, 0, sizeof(*d));
	d->v = *v;
	d->v.s = NULL;
	d->v.oid = NULL;
	d->name = malloc((nlen ? nlen : 1) * sizeof(*name));
	if (d->name == NULL)
		return -1;
	memcpy(d->name, name, nlen * sizeof(*name));
	d->nlen = nlen;
	d->seq = p->n;
	if (v->slen > 0) {
		d->v.s = malloc(v->slen);
		if (d->v.s == NULL) {
			free(d->name);
			return -1;
		}
		memcpy(d->v.s, v->s, v->slen);
	}
	if (v->oidlen > 0) {
		d->v.oid = malloc(v->oidlen * sizeof(*v->oid));
		if (d->v.oid == NULL) {
			free(d->v.s);
			free(d->name);
			return -1;
		}
		memcpy(d->v.oid, v->oid, v->oidlen * sizeof(*v->oid));
	}
	p->n++;
	p->returned++;
	return 0;
}

static void
pdu_free(struct sc_pdu *d)
{
	free(d->name);
	free(d->v.s);
	free(d->v.oid);
}

static int
pdu_cmp(const void *a, const void *b)
{
	const struct sc_pdu *x = a, *y = b;
	int r = sc_oid_cmp(x->name, x->nlen, y->name, y->nlen);

	/* Equal names: the one received later sorts last and stays. */
	if (r == 0)
		r = (x->seq > y->seq) - (x->seq < y->seq);
	return r;
}

void
sc_pdus_index(struct sc_pdus *p)
{
	size_t i, j;

	if (p->n == 0)
		return;
	qsort(p->v, p->n, sizeof(*p->v), pdu_cmp);
	for (i = 0, j = 0; i < p->n; i++) {
		if (i + 1 < p->n && sc_oid_cmp(p->v[i].name, p->v[i].nlen,
		    p->v[i + 1].name, p->v[i + 1].nlen) == 0) {
			pdu_free(&p->v[i]);
			continue;
		}
		p->v[j++] = p->v[i];
	}
	p->n = j;
}

void
sc_pdus_reset(struct sc_pdus *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		pdu_free(&p->v[i]);
	p->n = 0;
	p->returned = 0;
}

void
sc_pdus_free(struct sc_pdus *p)
{
	sc_pdus_reset(p);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* The PDU named by the integers o (any out of range: none). */
static const struct sc_pdu *
pdu_find(const struct sc_pdus *p, const int64_t *o, size_t n)
{
	uint32_t stackbuf[64], *key = stackbuf;
	const struct sc_pdu *found = NULL;
	size_t lo = 0, hi = p->n, i;

	if (n > ARRAY_SIZE(stackbuf)) {
		key = malloc(n * sizeof(*key));
		if (key == NULL)
			return NULL;
	}
	for (i = 0; i < n; i++) {
		if (o[i] < 0 || o[i] > UINT32_MAX)
			goto out;
		key[i] = (uint32_t)o[i];
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = sc_oid_cmp(p->v[mid].name, p->v[mid].nlen, key, n);

		if (r == 0) {
			found = &p->v[mid];
			break;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
out:
	if (key != stackbuf)
		free(key);
	return found;
}

/* --- values ------------------------------------------------------------- */

double
sc_value_number(const struct sc_value *v, int flags)
{
	switch (v->kind) {
	case SV_COUNTER64:
		/* --snmp.wrap-large-counters, on by default: wrap at 2^53. */
		if (flags & SC_NO_WRAP)
			return (double)v->u;
		return (double)(v->u % UINT64_C(9007199254740992));
	case SV_FLOAT:
	case SV_DOUBLE:
		return v->f;
	case SV_INT:
		return (double)v->i;
	case SV_UINT:
		return (double)v->u;
	default:
		/* Strings, octets and null are 0 to gosnmp's ToBigInt. */
		return 0;
	}
}

/* Go's int(f) on amd64: NaN and what does not fit give the minimum. */
static int64_t
go_int(double f)
{
	if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)f;
}

/* gosnmp.ToBigInt(value).Int64(). */
static int64_t
value_int64(const struct sc_value *v)
{
	switch (v->kind) {
	case SV_INT:
		return v->i;
	case SV_UINT:
	case SV_COUNTER64:
		return (int64_t)v->u;
	default:
		return 0;
	}
}

int
sc_valid_utf8(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	int bad = 0;

	while (p < end) {
		size_t len = 0, i;
		uint32_t cp = 0;

		/* NUL cannot be in a label of the line format: it is bad. */
		if (*p > 0 && *p < 0x80)
			len = 1;
		else if (*p >= 0xc2 && *p <= 0xdf)
			len = 2, cp = *p & 0x1f;
		else if (*p >= 0xe0 && *p <= 0xef)
			len = 3, cp = *p & 0x0f;
		else if (*p >= 0xf0 && *p <= 0xf4)
			len = 4, cp = *p & 0x07;
		if (len > 1 && (size_t)(end - p) >= len) {
			for (i = 1; i < len; i++) {
				if ((p[i] & 0xc0) != 0x80)
					break;
				cp = cp << 6 | (p[i] & 0x3f);
			}
			if (i < len || (len == 3 && cp < 0x800) ||
			    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
			    (cp >= 0xd800 && cp <= 0xdfff))
				len = 0;
		} else if (len > 1) {
			len = 0;
		}
		if (len == 0) {
			/* One replacement for a run of bad bytes, as Go. */
			if (!bad && buf_add(out, "\xef\xbf\xbd", 3) < 0)
				return -1;
			bad = 1;
			p++;
			continue;
		}
		bad = 0;
		if (buf_add(out, p, len) < 0)
			return -1;
		p += len;
	}
	return 0;
}

int
sc_format_float_f(struct buf *out, double v, int bits)
{
	char digits[40], tmp[64];
	int prec, exp10 = 0, nd;
	const char *e;
	char *d;

	if (isnan(v))
		return buf_addstr(out, "NaN");
	if (isinf(v))
		return buf_addstr(out, v > 0 ? "+Inf" : "-Inf");
	if (v == 0)
		return buf_addstr(out, signbit(v) ? "-0" : "0");
	/* The shortest digits that read back as the same float32/64. */
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
		if (bits == 32 ? (float)strtod(tmp, NULL) == (float)v :
		    strtod(tmp, NULL) == v)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
	d = digits;
	for (e = tmp; *e && *e != 'e'; e++)
		if (*e >= '0' && *e <= '9')
			*d++ = *e;
	*d = '\0';
	nd = (int)(d - digits);
	if (*e == 'e') {
		long x = strtol(e + 1, NULL, 10);

		exp10 = (int)x;
	}
	if (v < 0 && buf_addch(out, '-') < 0)
		return -1;
	/* digits d1d2...dn times 10^(exp10 - n + 1). */
	if (exp10 < 0) {
		if (buf_addstr(out, "0.") < 0)
			return -1;
		for (int i = 0; i < -exp10 - 1; i++)
			if (buf_addch(out, '0') < 0)
				return -1;
		return buf_add(out, digits, (size_t)nd);
	}
	if (exp10 + 1 >= nd) {
		if (buf_add(out, digits, (size_t)nd) < 0)
			return -1;
		for (int i = 0; i < exp10 + 1 - nd; i++)
			if (buf_addch(out, '0') < 0)
				return -1;
		return 0;
	}
	if (buf_add(out, digits, (size_t)exp10 + 1) < 0 || buf_addch(out, '.') < 0)
		return -1;
	return buf_add(out, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
}

/* --- index and octet rendering (indexOidsAsString) ------------------------ */

struct mapping {
	int64_t key;
	const char *type;
};

static const struct mapping inet_map[] = {
	{ 1, "InetAddressIPv4" }, { 2, "InetAddressIPv6" }, { 0, NULL },
};
static const struct mapping lldp_map[] = {
	{ 1, "DisplayString" }, { 2, "DisplayString" }, { 3, "PhysAddress48" },
	{ 5, "DisplayString" }, { 7, "DisplayString" }, { 0, NULL },
};

/* combinedTypeMapping: types whose real type comes from an enum before. */
static const struct mapping *
combined(const char *type)
{
	if (strcmp(type, "InetAddress") == 0 ||
	    strcmp(type, "InetAddressMissingSize") == 0)
		return inet_map;
	if (strcmp(type, "LldpPortId") == 0)
		return lldp_map;
	return NULL;
}

static const char *
map_type(const struct mapping *m, int64_t key)
{
	for (; m->type; m++)
		if (m->key == key)
			return m->type;
	return NULL;
}

static const char *
enum_name(const struct sc_enum *e, int64_t key)
{
	size_t lo = 0, hi = e ? e->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->keys[mid] == key)
			return e->names[mid];
		if (e->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The input of an index: the integers left, and where they end. */
struct cursor {
	const int64_t *o;
	size_t n;
};

/* splitOid: count values from c (zero padded past its end) go to used
 * and into head[0..count) when head is given; c moves past them. */
static int
take(struct cursor *c, size_t count, struct ivec *used, int64_t *head)
{
	size_t i;

	for (i = 0; i < count; i++) {
		int64_t x = i < c->n ? c->o[i] : 0;

		if (head)
			head[i] = x;
		if (used && ivec_push(used, x) < 0)
			return -1;
	}
	if (c->n > 0) {
		c->o += count < c->n ? count : c->n;
		c->n -= count < c->n ? count : c->n;
	}
	return 0;
}

static int
index_string(struct buf *out, struct cursor *c, const char *type,
	     int64_t fixed, int implied, const struct sc_enum *en,
	     struct ivec *used)
{
	const struct mapping *map = combined(type);
	int64_t head[16];
	int64_t len;
	size_t i, start;
	int r = 0;

	if (map != NULL) {
		int missing = strcmp(type, "InetAddressMissingSize") == 0;
		struct cursor save = *c;
		size_t mark = used->n;
		const char *t;

		if (take(c, missing ? 1 : 2, used, head) < 0)
			return -1;
		t = map_type(map, head[0]);
		if (t != NULL)
			return index_string(out, c, t, 0, 0, en, used);
		*c = save;
		used->n = mark;
		if (missing)
			return index_string(out, c, "OctetString", 0, 1, en, used);
		return index_string(out, c, "OctetString", head[1] + 2, 0, en, used);
	}
	if (strcmp(type, "Integer32") == 0 || strcmp(type, "Integer") == 0 ||
	    strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0) {
		if (take(c, 1, used, head) < 0)
			return -1;
		return buf_addf(out, "%lld", (long long)head[0]);
	}
	if (strcmp(type, "PhysAddress48") == 0) {
		if (take(c, 6, used, head) < 0)
			return -1;
		for (i = 0; i < 6 && r == 0; i++)
			r = buf_addf(out, i ? ":%02llX" : "%02llX",
			    (unsigned long long)head[i]);
		return r;
	}
	if (strcmp(type, "InetAddressIPv4") == 0) {
		if (take(c, 4, used, head) < 0)
			return -1;
		for (i = 0; i < 4 && r == 0; i++)
			r = buf_addf(out, i ? ".%lld" : "%lld", (long long)head[i]);
		return r;
	}
	if (strcmp(type, "InetAddressIPv6") == 0) {
		if (take(c, 16, used, head) < 0)
			return -1;
		for (i = 0; i < 16 && r == 0; i++)
			r = buf_addf(out, i && i % 2 == 0 ? ":%02llX" : "%02llX",
			    (unsigned long long)head[i]);
		return r;
	}
	if (strcmp(type, "EnumAsInfo") == 0) {
		const char *name;

		if (take(c, 1, used, head) < 0)
			return -1;
		name = enum_name(en, head[0]);
		return name ? buf_addstr(out, name) :
		    buf_addf(out, "%lld", (long long)head[0]);
	}
	/* OctetString, DisplayString, and (where Go would panic) any other
	 * type, rendered as OctetString. */
	len = fixed;
	if (implied)
		len = (int64_t)c->n;
	if (len == 0) {
		if (take(c, 1, used, head) < 0)
			return -1;
		len = head[0];
	}
	if (len < 0 || len > SC_INDEX_MAX)
		len = len < 0 ? 0 : SC_INDEX_MAX;
	start = used->n;
	if (take(c, (size_t)len, used, NULL) < 0)
		return -1;
	if (strcmp(type, "DisplayString") == 0) {
		for (i = start; i < used->n && r == 0; i++)
			r = buf_addch(out, (unsigned char)used->v[i]);
		return r;
	}
	if (len == 0)
		return 0;
	r = buf_addstr(out, "0x");
	for (i = start; i < used->n && r == 0; i++)
		r = buf_addf(out, "%02X", (unsigned)(unsigned char)used->v[i]);
	return r;
}

/* A chunk of a display hint's 'd' or 'o' as a big-endian number. */
static uint64_t
be_number(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int
sc_display_hint(struct buf *out, const char *hint, const unsigned char *data,
		size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t hp = 0, dp = 0, hlen = hint ? strlen(hint) : 0, last = 0, mark;
	int consumes = 0, r = 0;

	if (hlen == 0 || n == 0)
		return 0;
	mark = out->len;
	while (dp < n && r == 0) {
		size_t spec = hp, take, reps = 1, k;
		uint64_t t = 0;
		int star = 0, hassep = 0, hasterm = 0;
		char fmt, sep = 0, term = 0;

		/* The last spec repeats until the data ends. */
		if (hp >= hlen) {
			if (!consumes)
				goto bad;
			hp = spec = last;
		}
		if (hint[hp] == '*') {
			star = 1;
			hp++;
		}
		if (hp >= hlen || hint[hp] < '0' || hint[hp] > '9')
			goto bad;
		/* Go's int arithmetic wraps: a negative result is an error,
		 * a huge positive one takes what is left. */
		while (hp < hlen && hint[hp] >= '0' && hint[hp] <= '9')
			t = t * 10 + (uint64_t)(hint[hp++] - '0');
		if ((int64_t)t < 0)
			goto bad;
		take = t > n ? n : (size_t)t;
		if (hp >= hlen)
			goto bad;
		fmt = hint[hp++];
		if (fmt != 'd' && fmt != 'x' && fmt != 'o' && fmt != 'a' && fmt != 't')
			goto bad;
		if (hp < hlen && (hint[hp] < '0' || hint[hp] > '9') && hint[hp] != '*') {
			sep = hint[hp++];
			hassep = 1;
		}
		if (star && hp < hlen && (hint[hp] < '0' || hint[hp] > '9') &&
		    hint[hp] != '*') {
			term = hint[hp++];
			hasterm = 1;
		}
		last = spec;
		consumes = t > 0 || star;
		if (star && dp < n)
			reps = data[dp++];
		for (k = 0; k < reps && dp < n && r == 0; k++) {
			size_t end = n - dp < take ? n : dp + take, i;

			switch (fmt) {
			case 'd':
			case 'o':
				if (end - dp > 8)
					goto bad;
				r = buf_addf(out, fmt == 'd' ? "%llu" : "%llo",
				    (unsigned long long)be_number(data + dp, end - dp));
				break;
			case 'x':
				for (i = dp; i < end && r == 0; i++) {
					r = buf_addch(out, hex[data[i] >> 4]);
					if (r == 0)
						r = buf_addch(out, hex[data[i] & 0x0f]);
				}
				break;
			default:
				r = buf_add(out, data + dp, end - dp);
				break;
			}
			dp = end;
			/* No separator at the end, nor before a terminator. */
			if (r == 0 && hassep && dp < n && (!hasterm || k != reps - 1))
				r = buf_addch(out, sep);
		}
		if (r == 0 && hasterm && dp < n)
			r = buf_addch(out, term);
	}
	if (r < 0)
		return -1;
	return 1;
bad:
	buf_truncate(out, mark);
	return 0;
}

static int
value_string_raw(struct buf *out, const struct sc_value *v, const char *type,
		 const char *hint)
{
	char ip[64];
	size_t i;
	int r = 0;

	switch (v->kind) {
	case SV_INT:
		return buf_addf(out, "%lld", (long long)v->i);
	case SV_UINT:
	case SV_COUNTER64:
		return buf_addf(out, "%llu", (unsigned long long)v->u);
	case SV_FLOAT:
		return sc_format_float_f(out, v->f, 32);
	case SV_DOUBLE:
		return sc_format_float_f(out, v->f, 64);
	case SV_IPADDR:
		if (v->slen == 4 || v->slen == 16) {
			if (inet_ntop(v->slen == 4 ? AF_INET : AF_INET6, v->s,
			    ip, sizeof(ip)) == NULL)
				return 0;
			return buf_addstr(out, ip);
		}
		return 0;
	case SV_OID:
		for (i = 0; i < v->oidlen && r == 0; i++)
			r = buf_addf(out, i ? ".%u" : "%u", (unsigned)v->oid[i]);
		return r;
	case SV_OCTETS: {
		struct ivec used = { NULL, 0, 0 };
		int64_t *parts;
		struct cursor c;
		size_t n = 0;

		if (hint != NULL && *hint != '\0' && (*type == '\0' ||
		    strcmp(type, "OctetString") == 0)) {
			r = sc_display_hint(out, hint, v->s, v->slen);
			if (r != 0)
				return r < 0 ? -1 : 0;
		}
		if (*type == '\0' || strcmp(type, "Bits") == 0)
			type = "OctetString";
		parts = malloc((v->slen + 1) * sizeof(*parts));
		if (parts == NULL)
			return -1;
		/* Reuse the index code; strings get their length in front,
		 * as an index has it. */
		if (strcmp(type, "OctetString") == 0 ||
		    strcmp(type, "DisplayString") == 0)
			parts[n++] = (int64_t)v->slen;
		for (i = 0; i < v->slen; i++)
			parts[n++] = v->s[i];
		c.o = parts;
		c.n = n;
		r = index_string(out, &c, type, 0, 0, NULL, &used);
		free(used.v);
		free(parts);
		return r;
	}
	default:
		return 0;
	}
}

int
sc_value_string(struct buf *out, const struct sc_value *v, const char *type)
{
	return sc_value_string_hint(out, v, type, NULL);
}

int
sc_value_string_hint(struct buf *out, const struct sc_value *v,
		     const char *type, const char *hint)
{
	struct buf raw = BUF_INIT(0);
	int r = value_string_raw(&raw, v, type ? type : "", hint);

	if (r == 0)
		r = sc_valid_utf8(out, buf_cstr(&raw), raw.len);
	buf_free(&raw);
	return r;
}

/* --- time types ----------------------------------------------------------- */

/* RFC 2579 DateAndTime as Go's time.Date normalises it. */
static int
date_and_time(const struct sc_value *v, double *out)
{
	const unsigned char *b = v->s;
	struct tm tm;
	int64_t secs, off = 0;

	if (v->kind != SV_OCTETS || (v->slen != 8 && v->slen != 11))
		return -1;
	if (v->slen == 11) {
		if ((b[8] != '+' && b[8] != '-') || b[9] > 24 || b[10] > 59)
			return -1;
		off = (int64_t)b[9] * 3600 + (int64_t)b[10] * 60;
		if (b[8] == '-')
			off = -off;
	}
	/* timegm normalises out-of-range fields as Go's time.Date does
	 * (month 13 is January next year, deciseconds past 9 are seconds). */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = ((int)b[0] << 8 | b[1]) - 1900;
	tm.tm_mon = (int)b[2] - 1;
	tm.tm_mday = b[3];
	tm.tm_hour = b[4];
	tm.tm_min = b[5];
	tm.tm_sec = b[6] + b[7] / 10;
	secs = (int64_t)timegm(&tm);
	*out = (double)(secs - off);
	return 0;
}

static int
ntp_timestamp(const struct sc_value *v, double *out)
{
	const unsigned char *b = v->s;
	int64_t secs;

	if (v->kind != SV_OCTETS || v->slen < 8)
		return -1;
	secs = (int64_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3]);
	*out = (double)(secs - INT64_C(2208988800));
	return 0;
}

/* datetime_pattern: strftime-like, as timefmt-go's Parse (UTC unless %z). */
static int
parse_date_pattern(const struct sc_value *v, const char *pattern, double *out)
{
	struct buf s = BUF_INIT(0);
	struct tm tm;
	const char *end;
	int rc = -1;

	if (sc_value_string(&s, v, "DisplayString") < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 1;
	end = strptime(buf_cstr(&s), pattern, &tm);
	if (end != NULL && *end == '\0') {
		long gmtoff = tm.tm_gmtoff;

		*out = (double)(timegm(&tm) - gmtoff);
		rc = 0;
	}
	buf_free(&s);
	return rc;
}

/* --- labels ------------------------------------------------------------- */

/* Go's map[string]string of labels and map[string][]int of their OIDs. */
struct lab {
	const char *name;
	struct buf value;
	int present;
	struct ivec oids;
	int has_oids;
};

struct labmap {
	struct lab *v;
	size_t n, cap;
};

static struct lab *
lab_get(struct labmap *m, const char *name, int create)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	if (!create)
		return NULL;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct lab *v = realloc(m->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		m->v = v;
		m->cap = cap;
	}
	memset(&m->v[m->n], 0, sizeof(m->v[m->n]));
	m->v[m->n].name = name;
	buf_init(&m->v[m->n].value, 0);
	return &m->v[m->n++];
}

static void
labmap_free(struct labmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		buf_free(&m->v[i].value);
		free(m->v[i].oids.v);
	}
	free(m->v);
}

/* A label set of the present labels, plus extra (name, value) if given. */
static int
labmap_to_labels(const struct labmap *m, struct labels *ls, const char *xname,
		 const char *xvalue)
{
	size_t i;

	labels_reset(ls);
	for (i = 0; i < m->n; i++) {
		const struct lab *l = &m->v[i];

		if (l->present && l->value.len > 0 &&
		    labels_push(ls, l->name, strlen(l->name), l->value.p,
		    l->value.len) < 0)
			return -1;
	}
	if (xname && *xvalue && labels_push(ls, xname, strlen(xname), xvalue,
	    strlen(xvalue)) < 0)
		return -1;
	if (labels_sort(ls) < 0)
		return errno == EEXIST ? 1 : -1;
	return 0;
}

/* An OID of the config with integers appended, for a PDU search. */
static int
oid_plus(struct ivec *out, const struct sc_oid *o, int64_t last_delta)
{
	size_t i;

	out->n = 0;
	for (i = 0; i < o->n; i++)
		if (ivec_push(out, (int64_t)o->v[i] +
		    (i + 1 == o->n ? last_delta : 0)) < 0)
			return -1;
	return 0;
}

/* indexesToLabels. */
static int
index_labels(const struct sc_metric *mt, const int64_t *idx, size_t nidx,
	     const struct sc_pdus *p, int flags, struct labmap *m)
{
	struct cursor c = { idx, nidx };
	struct buf tmp = BUF_INIT(0);
	struct ivec key = { NULL, 0, 0 };
	size_t i, j;
	int r = 0;

	for (i = 0; i < mt->nindexes && r == 0; i++) {
		const struct sc_index *ix = &mt->indexes[i];
		struct lab *l = lab_get(m, ix->labelname, 1);

		if (l == NULL)
			goto fail;
		buf_reset(&tmp);
		buf_reset(&l->value);
		l->oids.n = 0;
		l->present = l->has_oids = 1;
		r = index_string(&tmp, &c, ix->type, ix->fixed_size, ix->implied,
		    &ix->enums, &l->oids);
		if (r == 0)
			r = sc_valid_utf8(&l->value, buf_cstr(&tmp), tmp.len);
	}
	for (i = 0; i < mt->nlookups && r == 0; i++) {
		const struct sc_lookup *lk = &mt->lookups[i];
		const struct sc_pdu *pdu = NULL;
		const struct mapping *map;
		struct lab *l;
		int missing = 0;

		if (lk->nlabels == 0) {
			l = lab_get(m, lk->labelname, 0);
			if (l != NULL)
				l->present = 0;
			continue;
		}
		if (oid_plus(&key, &lk->oid, 0) < 0)
			goto fail;
		for (j = 0; j < lk->nlabels; j++) {
			const struct lab *src = lab_get(m, lk->labels[j], 0);
			size_t k;

			/* Go's "%s.%s" of an empty list leaves a trailing dot
			 * that names no PDU. */
			if (src == NULL || !src->has_oids || src->oids.n == 0) {
				missing = 1;
				break;
			}
			for (k = 0; k < src->oids.n; k++)
				if (ivec_push(&key, src->oids.v[k]) < 0)
					goto fail;
		}
		if (!missing)
			pdu = pdu_find(p, key.v, key.n);
		l = lab_get(m, lk->labelname, 1);
		if (l == NULL)
			goto fail;
		buf_reset(&l->value);
		l->present = 1;
		if (pdu == NULL)
			continue;
		{
			const char *t = lk->type;
			int64_t iv = value_int64(&pdu->v);

			map = combined(lk->type);
			if (map != NULL) {
				const struct sc_pdu *prev;

				if (oid_plus(&key, &lk->oid, -1) < 0)
					goto fail;
				for (j = 0; j < lk->nlabels; j++) {
					const struct lab *src = lab_get(m, lk->labels[j], 0);
					size_t k;

					for (k = 0; k < src->oids.n; k++)
						if (ivec_push(&key, src->oids.v[k]) < 0)
							goto fail;
				}
				prev = pdu_find(p, key.v, key.n);
				if (prev != NULL) {
					const char *mt2 = map_type(map,
					    go_int(sc_value_number(&prev->v, flags)));

					if (mt2 != NULL)
						t = mt2;
				}
			}
			if (strcmp(t, "EnumAsInfo") == 0 && lk->enums.n > 0) {
				const char *name = enum_name(&lk->enums, iv);

				r = name ? buf_addstr(&l->value, name) :
				    buf_addf(&l->value, "%lld", (long long)iv);
			} else {
				r = sc_value_string_hint(&l->value, &pdu->v, t,
				    lk->display_hint);
			}
			l->oids.n = 0;
			l->has_oids = 1;
			if (r == 0)
				r = ivec_push(&l->oids, iv);
		}
	}
	buf_free(&tmp);
	free(key.v);
	return r;
fail:
	buf_free(&tmp);
	free(key.v);
	return -1;
}

/* --- samples -------------------------------------------------------------- */

void
sc_samples_free(struct sc_samples *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		labels_free(&s->v[i].ls);
	free(s->v);
	buf_free(&s->arena);
	memset(s, 0, sizeof(*s));
}

int
sc_samples_add(struct sc_samples *s, const char *name, size_t nlen,
	       const char *help, const char *suffix, int counter,
	       const struct labels *ls, double value)
{
	struct sc_sample *d;
	size_t noff, hoff;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct sc_sample *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	/* Names and help go to the arena as offsets: it may move. */
	noff = s->arena.len;
	if (buf_add(&s->arena, name, nlen) < 0 || buf_addch(&s->arena, '\0') < 0)
		return -1;
	hoff = s->arena.len;
	if (buf_addstr(&s->arena, help) < 0 ||
	    buf_addstr(&s->arena, suffix ? suffix : "") < 0 ||
	    buf_addch(&s->arena, '\0') < 0)
		return -1;
	d = &s->v[s->n];
	memset(d, 0, sizeof(*d));
	labels_init(&d->ls);
	if (labels_copy(&d->ls, ls) < 0) {
		labels_free(&d->ls);
		return -1;
	}
	d->name_off = noff;
	d->help_off = hoff;
	d->counter = counter;
	d->value = value;
	s->n++;
	return 0;
}

static int
sample_cmp(const void *a, const void *b)
{
	const struct sc_sample *x = a, *y = b;
	size_t i;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	if (x->ls.n != y->ls.n)
		return x->ls.n < y->ls.n ? -1 : 1;
	for (i = 0; i < x->ls.n; i++) {
		r = strcmp(labels_value(&x->ls, i), labels_value(&y->ls, i));
		if (r != 0)
			return r;
	}
	r = labels_cmp(&x->ls, &y->ls);
	if (r != 0)
		return r;
	return (x > y) - (x < y);
}

void
sc_samples_sort(struct sc_samples *s)
{
	size_t i, j;

	if (s->n == 0)
		return;
	/* Offsets become pointers once the arena stops growing. */
	for (i = 0; i < s->n; i++) {
		s->v[i].name = s->arena.p + s->v[i].name_off;
		s->v[i].help = s->arena.p + s->v[i].help_off;
	}
	qsort(s->v, s->n, sizeof(*s->v), sample_cmp);
	for (i = 0, j = 0; i < s->n; i++) {
		if (j > 0 && strcmp(s->v[j - 1].name, s->v[i].name) == 0 &&
		    labels_cmp(&s->v[j - 1].ls, &s->v[i].ls) == 0) {
			labels_free(&s->v[i].ls);
			continue;
		}
		s->v[j++] = s->v[i];
	}
	s->n = j;
}

/* --- the collector ------------------------------------------------------- */

static int
emit(struct sc_samples *out, const struct sc_metric *mt, const char *suffix,
     const char *help_suffix, int counter, const struct labmap *m,
     const char *xname, const char *xvalue, double v)
{
	struct labels ls;
	struct buf name = BUF_INIT(0);
	int r;

	labels_init(&ls);
	r = labmap_to_labels(m, &ls, xname, xvalue);
	if (r == 0)
		r = buf_addstr(&name, mt->name);
	if (r == 0 && suffix)
		r = buf_addstr(&name, suffix);
	if (r == 0)
		r = sc_samples_add(out, name.p, name.len, mt->help, help_suffix,
		    counter, &ls, v);
	labels_free(&ls);
	buf_free(&name);
	/* A duplicate label name is an invalid metric in client_golang:
	 * it is left out. */
	return r < 0 ? -1 : 0;
}

static double
scaled(const struct sc_metric *mt, double v)
{
	if (mt->scale != 0.0)
		v *= mt->scale;
	return v + mt->offset;
}

/* Go's Regexp.ExpandString of template with the match in ov. */
static int
expand(struct buf *out, const char *tpl, const pcre2_code *re,
       const char *subject, const PCRE2_SIZE *ov, uint32_t nov)
{
	const char *p = tpl;
	int r = 0;

	while (*p && r == 0) {
		const char *name, *end;
		char nm[128];
		long num = -1;
		int group;

		if (*p != '$') {
			r = buf_addch(out, *p++);
			continue;
		}
		if (p[1] == '$') {
			r = buf_addch(out, '$');
			p += 2;
			continue;
		}
		if (p[1] == '{') {
			name = p + 2;
			end = sc_name_end(name);
			if (end == name || *end != '}') {
				r = buf_addch(out, *p++);
				continue;
			}
			p = end + 1;
		} else {
			name = p + 1;
			end = sc_name_end(name);
			if (end == name) {
				r = buf_addch(out, *p++);
				continue;
			}
			p = end;
		}
		if ((size_t)(end - name) >= sizeof(nm))
			continue;
		memcpy(nm, name, (size_t)(end - name));
		nm[end - name] = '\0';
		if (nm[0] >= '0' && nm[0] <= '9') {
			const char *q;

			num = 0;
			for (q = nm; *q; q++) {
				if (*q < '0' || *q > '9' || num >= 100000000) {
					num = -1;
					break;
				}
				num = num * 10 + (*q - '0');
			}
			if (nm[0] == '0' && nm[1] != '\0')
				num = -1;
		}
		if (num >= 0)
			group = (int)num;
		else
			group = pcre2_substring_number_from_name(re, (PCRE2_SPTR)nm);
		if (group < 0 || (uint32_t)group >= nov ||
		    ov[2 * group] == PCRE2_UNSET)
			continue;
		r = buf_add(out, subject + ov[2 * group],
		    ov[2 * group + 1] - ov[2 * group]);
	}
	return r;
}

static int
regex_extracts(struct sc_samples *out, const struct sc_metric *mt,
	       const char *value, size_t vlen, const struct labmap *m)
{
	pcre2_match_data *md;
	struct buf res = BUF_INIT(0);
	size_t i, j;
	int r = 0;

	for (i = 0; i < mt->nextracts && r == 0; i++) {
		const struct sc_extract *ex = &mt->extracts[i];

		for (j = 0; j < ex->n && r == 0; j++) {
			const struct sc_regex *rx = &ex->v[j];
			double v;
			int rc;

			md = pcre2_match_data_create_from_pattern(rx->re, NULL);
			if (md == NULL) {
				r = -1;
				break;
			}
			rc = pcre2_match(rx->re, (PCRE2_SPTR)value, vlen, 0, 0, md, NULL);
			if (rc <= 0) {
				pcre2_match_data_free(md);
				continue;
			}
			buf_reset(&res);
			r = expand(&res, rx->value, rx->re, value,
			    pcre2_get_ovector_pointer(md),
			    pcre2_get_ovector_count(md));
			pcre2_match_data_free(md);
			if (r < 0)
				break;
			if (res.len == 0 || strcmp(res.p, "stale") == 0 ||
			    value_parse(res.p, res.len, &v) < 0)
				continue;
			r = emit(out, mt, ex->suffix, " (regex extracted)", 0, m,
			    NULL, NULL, scaled(mt, v));
			break;
		}
	}
	buf_free(&res);
	return r;
}

/* pduToSamples. */
static int
pdu_samples(struct sc_samples *out, const struct sc_metric *mt,
	    const struct sc_pdu *pdu, const int64_t *idx, size_t nidx,
	    const struct sc_pdus *p, int flags)
{
	struct labmap m = { NULL, 0, 0 };
	struct buf s = BUF_INIT(0);
	const char *type = mt->type;
	double value = sc_value_number(&pdu->v, flags);
	int counter = 0, r;
	size_t i;

	r = index_labels(mt, idx, nidx, p, flags, &m);
	if (r < 0)
		goto out;
	if (strcmp(type, "counter") == 0) {
		counter = 1;
	} else if (strcmp(type, "gauge") == 0 || strcmp(type, "Float") == 0 ||
	    strcmp(type, "Double") == 0) {
		/* numbers as they are */
	} else if (strcmp(type, "DateAndTime") == 0) {
		if (date_and_time(&pdu->v, &value) < 0)
			goto out;
	} else if (strcmp(type, "ParseDateAndTime") == 0) {
		if (parse_date_pattern(&pdu->v, mt->datetime_pattern, &value) < 0)
			goto out;
	} else if (strcmp(type, "NTPTimeStamp") == 0) {
		if (ntp_timestamp(&pdu->v, &value) < 0)
			goto out;
	} else if (strcmp(type, "EnumAsInfo") == 0 ||
	    strcmp(type, "EnumAsStateSet") == 0) {
		int info = strcmp(type, "EnumAsInfo") == 0;
		int64_t k = go_int(value);
		const char *name = enum_name(&mt->enums, k);
		const struct lab *l = lab_get(&m, mt->name, 0);

		/* The state goes in a label named as the metric: not when an
		 * index has that name already. */
		if (l != NULL && l->present)
			goto out;
		if (name == NULL)
			r = buf_addf(&s, "%lld", (long long)k);
		if (r == 0)
			r = emit(out, mt, info ? "_info" : NULL, info ?
			    " (EnumAsInfo)" : " (EnumAsStateSet)", 0, &m, mt->name,
			    name ? name : s.p, 1.0);
		for (i = 0; !info && i < mt->enums.n && r == 0; i++)
			if (mt->enums.keys[i] != k)
				r = emit(out, mt, NULL, " (EnumAsStateSet)", 0, &m,
				    mt->name, mt->enums.names[i], 0.0);
		goto out;
	} else if (strcmp(type, "Bits") == 0) {
		const struct lab *l = lab_get(&m, mt->name, 0);

		if (pdu->v.kind != SV_OCTETS || (l != NULL && l->present))
			goto out;
		for (i = 0; i < mt->enums.n && r == 0; i++) {
			int64_t k = mt->enums.keys[i];
			double bit = 0;

			if (k >= 0 && (uint64_t)k < (uint64_t)pdu->v.slen * 8 &&
			    (pdu->v.s[k / 8] & (0x80 >> (k % 8))) != 0)
				bit = 1;
			r = emit(out, mt, NULL, " (Bits)", 0, &m, mt->name,
			    mt->enums.names[i], bit);
		}
		goto out;
	} else {
		/* Some form of string: the value goes in a label named as
		 * the metric, unless an index already has that name. */
		const struct mapping *map = combined(type);
		const struct lab *l;

		value = 1.0;
		if (map != NULL) {
			struct ivec key = { NULL, 0, 0 };
			const struct sc_pdu *prev = NULL;

			r = oid_plus(&key, &mt->oid, -1);
			for (i = 0; i < nidx && r == 0; i++)
				r = ivec_push(&key, idx[i]);
			if (r == 0)
				prev = pdu_find(p, key.v, key.n);
			free(key.v);
			if (r < 0)
				goto out;
			type = prev ? map_type(map,
			    go_int(sc_value_number(&prev->v, flags))) : NULL;
			if (type == NULL)
				type = "OctetString";
		}
		r = sc_value_string_hint(&s, &pdu->v, type, mt->display_hint);
		if (r < 0)
			goto out;
		if (mt->nextracts > 0) {
			r = regex_extracts(out, mt, buf_cstr(&s), s.len, &m);
			goto out;
		}
		l = lab_get(&m, mt->name, 0);
		if (l != NULL && l->present)
			r = emit(out, mt, NULL, NULL, 0, &m, NULL, NULL,
			    scaled(mt, value));
		else
			r = emit(out, mt, NULL, NULL, 0, &m, mt->name,
			    buf_cstr(&s), scaled(mt, value));
		goto out;
	}
	r = emit(out, mt, NULL, NULL, counter, &m, NULL, NULL, scaled(mt, value));
out:
	labmap_free(&m);
	buf_free(&s);
	return r;
}

int
sc_render(const struct sc_module *m, const struct sc_pdus *p, int flags,
	  struct sc_samples *out)
{
	int64_t *idx = NULL;
	size_t i, cap = 0;
	int r = 0;

	for (i = 0; i < p->n && r == 0; i++) {
		const struct sc_pdu *pdu = &p->v[i];
		size_t len;

		for (len = 1; len <= pdu->nlen; len++) {
			size_t lo = 0, hi = m->nmetrics, k;
			const struct sc_metric *mt = NULL;

			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				int c = sc_oid_cmp(m->metrics[mid].oid.v,
				    m->metrics[mid].oid.n, pdu->name, len);

				if (c == 0) {
					mt = &m->metrics[mid];
					break;
				}
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (mt == NULL)
				continue;
			if (pdu->nlen - len > cap) {
				int64_t *v = realloc(idx, (pdu->nlen - len) * sizeof(*v));

				if (v == NULL) {
					r = -1;
					break;
				}
				idx = v;
				cap = pdu->nlen - len;
			}
			for (k = len; k < pdu->nlen; k++)
				idx[k - len] = pdu->name[k];
			r = pdu_samples(out, mt, pdu, idx, pdu->nlen - len, p, flags);
			break;
		}
	}
	free(idx);
	return r;
}
