/* target.c: one target's thread: scrape on its interval, label, relabel, write, mark stale. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "expo.h"
#include "http.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "record.h"
#include "relabel.h"
#include "scrapecol.h"
#include "value.h"
#include "banned.h"

/* What Prometheus 2.42 asks for: OpenMetrics first, then text 0.0.4. */
#define ACCEPT_HEADER "Accept: application/openmetrics-text;version=1.0.0," \
	"application/openmetrics-text;version=0.0.1;q=0.75," \
	"text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

#define SC_STACK_SIZE (512 * 1024)

static const char *const report_names[] = { "up", "scrape_duration_seconds",
	"scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
	"scrape_series_added" };

/*
 * Each of the target's labels as lineio writes it in a series, name="value"
 * (cut out of the series "x{name="value"}"), so that a plain scraped
 * series can have its key written by copies (key_direct()).
 */
static int
pub_render(struct target *t)
{
	struct labels one;
	struct buf tmp = BUF_INIT(0);
	size_t i;
	int rc = 0;

	t->pubcut = calloc(t->pub.n + 1, sizeof(*t->pubcut));
	if (t->pubcut == NULL)
		return -1;
	t->direct = 1;
	labels_init(&one);
	for (i = 0; i < t->pub.n && rc == 0; i++) {
		const struct label *l = &t->pub.v[i];

		if (l->vlen == 0)
			t->direct = 0;
		labels_reset(&one);
		buf_reset(&tmp);
		rc = labels_set(&one, LABELS_NAME, sizeof(LABELS_NAME) - 1,
		    "x", 1);
		if (rc == 0)
			rc = labels_set(&one, labels_name(&t->pub, i), l->nlen,
			    labels_value(&t->pub, i), l->vlen);
		if (rc == 0)
			rc = lineio_format_series(&tmp, &one);
		if (rc == 0 && (tmp.len < 3 || tmp.p[1] != '{')) {
			t->direct = 0;
		} else if (rc == 0) {
			rc = buf_add(&t->pubtext, tmp.p + 2, tmp.len - 3);
		}
		/* pubtext's cap keeps it far below UINT32_MAX. */
		t->pubcut[i + 1] = (uint32_t)t->pubtext.len;
	}
	labels_free(&one);
	buf_free(&tmp);
	return rc;
}

struct target *
target_new(struct job *job, const struct labels *ls, const char *url,
	   int64_t interval_ms, int64_t timeout_ms)
{
	struct target *t = calloc(1, sizeof(*t));
	size_t i;

	if (t == NULL) {
		log_errno("target '%s'", url);
		return NULL;
	}
	t->job = job;
	t->interval_ms = interval_ms;
	t->timeout_ms = timeout_ms;
	labels_init(&t->labels);
	labels_init(&t->pub);
	buf_init(&t->pubtext, 1 << 20);
	seen_init(&t->prev);
	seen_init(&t->cur);
	seen_iter_init(&t->it);
	buf_init(&t->key, SC_BLOCK_MAX / 2);
	buf_init(&t->line, SC_BODY_MAX);
	buf_init(&t->out, SC_BLOCK_MAX / 2);
	record_init(&t->rec);
	record_init(&t->rep);
	expo_init(&t->ex, 0);
	buf_init(&t->pending, 1 << 20);
	buf_init(&t->family, 1 << 16);
	buf_init(&t->conflicts, 1 << 20);
	http_response_init(&t->resp);
	relabel_init(&t->mrelabel);
	t->limit = (struct log_limit)LOG_LIMIT_INIT;
	pthread_mutex_init(&t->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&t->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	t->url = strdup(url);
	if (t->url == NULL || labels_copy(&t->labels, ls) < 0)
		goto fail;
	t->id = labels_hash(&t->labels);
	for (i = 0; i < ls->n; i++) {
		const char *n = labels_name(ls, i);

		if (n[0] == '_' && n[1] == '_')
			continue;
		if (labels_push(&t->pub, n, ls->v[i].nlen, labels_value(ls, i),
		    ls->v[i].vlen) < 0)
			goto fail;
	}
	if (labels_sort(&t->pub) < 0 || labels_copy(&t->rep.labels,
	    &t->pub) < 0 || pub_render(t) < 0)
		goto fail;
	return t;
fail:
	log_errno("target '%s'", url);
	target_stop(t, 0);
	return NULL;
}

static size_t body_data(const char *p, size_t n, void *arg);

/* The client is made here, not in target_new, so the cancel flag and
 * the timeout are the target's own. */
static int
target_client(struct target *t)
{
	struct http_opts o = t->job->http;
	const char *hdrs[2];
	char tmo[80];
	char ua[64];

	snprintf(tmo, sizeof(tmo), "X-Prometheus-Scrape-Timeout-Seconds: %g",
	    (double)t->timeout_ms / 1000.0);
	snprintf(ua, sizeof(ua), "obs-scrapecol/%s", OBS_VERSION);
	hdrs[0] = ACCEPT_HEADER;
	hdrs[1] = tmo;
	o.user_agent = ua;
	o.timeout_ms = t->timeout_ms;
	o.connect_timeout_ms = t->timeout_ms;
	o.headers = hdrs;
	o.n_headers = 2;
	/* The body is parsed as it arrives (body_data() keeps the
	 * limit). */
	o.on_data = body_data;
	o.on_data_arg = t;
	o.accept_encoding = "gzip";
	o.cancel = &t->stop;
	t->http = http_client_new(&o);
	if (t->http == NULL)
		return -1;
	if (t->job->metric_relabel != NULL &&
	    relabel_load(&t->mrelabel, t->job->metric_relabel) < 0)
		return -1;
	return 0;
}

/* " TS\n", the end of a sample line. */
struct tail {
	char s[32];
	size_t len;
};

static void
tail_set(struct tail *tl, int64_t ts)
{
	int n = snprintf(tl->s, sizeof(tl->s), " %lld\n", (long long)ts);

	tl->len = n > 0 ? (size_t)n : 0;
}

static int
label_cmp(const struct labels *a, const struct label *x,
	  const struct labels *b, const struct label *y)
{
	return labels_name_cmp(a->arena.p + x->name, x->nlen,
	    b->arena.p + y->name, y->nlen);
}

static int
is_name_label(const struct labels *ls, size_t i)
{
	return ls->v[i].nlen == sizeof(LABELS_NAME) - 1 &&
	    memcmp(labels_name(ls, i), LABELS_NAME, ls->v[i].nlen) == 0;
}

/*
 * Appends the series of ls, a plain set (struct expo's plain) with none
 * of the target's label names, merged with the target's labels: what
 * lineio_format_series() writes for the merged set, by copies of the
 * names and values, which need no escapes, and of pubtext.
 */
static int
key_direct(struct target *t, const struct labels *ls)
{
	const struct labels *tl = &t->pub;
	struct buf *b = &t->key;
	size_t i, j, nm = SIZE_MAX, need = t->pubtext.len + tl->n + 2;
	int first = 1;
	char *p;

	for (i = 0; i < ls->n; i++) {
		need += (size_t)ls->v[i].nlen + ls->v[i].vlen + 4;
		if (nm == SIZE_MAX && is_name_label(ls, i))
			nm = i;
	}
	if (nm == SIZE_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (buf_grow(b, need) < 0)
		return -1;
	p = b->p + b->len;
	memcpy(p, labels_value(ls, nm), ls->v[nm].vlen);
	p += ls->v[nm].vlen;
	for (i = j = 0; i < ls->n || j < tl->n;) {
		if (i == nm) {
			i++;
			continue;
		}
		*p++ = first ? '{' : ',';
		first = 0;
		if (j == tl->n || (i < ls->n &&
		    label_cmp(ls, &ls->v[i], tl, &tl->v[j]) < 0)) {
			const struct label *l = &ls->v[i++];

			memcpy(p, ls->arena.p + l->name, l->nlen);
			p += l->nlen;
			*p++ = '=';
			*p++ = '"';
			memcpy(p, ls->arena.p + l->value, l->vlen);
			p += l->vlen;
			*p++ = '"';
		} else {
			size_t n = t->pubcut[j + 1] - t->pubcut[j];

			memcpy(p, t->pubtext.p + t->pubcut[j], n);
			p += n;
			j++;
		}
	}
	if (!first)
		*p++ = '}';
	*p = '\0';
	b->len = (size_t)(p - b->p);
	return 0;
}

/* Whether key_direct() may write the series of the scraped set ls: the
 * job changes no label and none of ls has the name of one of the
 * target's (else target_labels() decides what wins). */
static int
direct_ok(const struct target *t, const struct labels *ls)
{
	const struct job *j = t->job;
	const struct labels *tl = &t->pub;
	size_t a = 0, b = 0;

	if (!t->direct || t->mrelabel.n > 0 || j->label_limit > 0 ||
	    j->label_name_length_limit > 0 || j->label_value_length_limit > 0)
		return 0;
	while (a < ls->n && b < tl->n) {
		int c = label_cmp(ls, &ls->v[a], tl, &tl->v[b]);

		if (c == 0)
			return 0;
		if (c < 0)
			a++;
		else
			b++;
	}
	return 1;
}

/* Adds the sample of ls and value v to the scrape (with direct, ls is
 * the scraped set and key_direct() adds the target's labels): what
 * seen_put() returns. */
static int
series_put(struct target *t, const struct labels *ls, int direct, double v,
	   int has_ts, int64_t ts)
{
	buf_reset(&t->key);
	if ((direct ? key_direct(t, ls) : lineio_format_series(&t->key,
	    ls)) < 0)
		return -1;
	return seen_put(&t->cur, &t->prev, t->key.p, t->key.len, v, has_ts,
	    ts);
}

/* Appends a comment or metadata line to out. */
static int
comment_add(struct buf *out, const struct record *rec)
{
	size_t mark = out->len;

	if (lineio_format_record(out, rec) < 0)
		return -1;
	if (buf_addch(out, '\n') < 0) {
		buf_truncate(out, mark);
		return -1;
	}
	return 0;
}

/* The lines of pending (each ending in '\n') go to the scrape. */
static int
pending_put(struct target *t)
{
	const char *p = t->pending.p, *end = p + t->pending.len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		if (seen_comment(&t->cur, p, len) < 0)
			return -1;
		p += len + 1;
	}
	buf_reset(&t->pending);
	return 0;
}

/* Whether name is a series of family fam (histogram, summary, ...). */
static int
in_family(const char *name, size_t nlen, const struct buf *fam)
{
	static const char *const sfx[] = { "_bucket", "_count", "_sum",
	    "_total", "_created", "_info", "_gcount", "_gsum" };
	size_t i;

	if (fam->len == 0 || nlen < fam->len ||
	    memcmp(name, fam->p, fam->len) != 0)
		return 0;
	if (nlen == fam->len)
		return 1;
	for (i = 0; i < ARRAY_SIZE(sfx); i++)
		if (strlen(sfx[i]) == nlen - fam->len &&
		    memcmp(name + fam->len, sfx[i], nlen - fam->len) == 0)
			return 1;
	return 0;
}

/* # HELP/TYPE/UNIT lines wait until a sample of their family is kept,
 * so a family that metric_relabel_configs drops loses them too. */
static int
meta_line(struct target *t, const struct record *rec, int *emitted,
	  unsigned long *npending)
{
	const struct buf *name = &rec->meta_name;

	if (name->len != t->family.len ||
	    memcmp(name->p, t->family.p, name->len) != 0) {
		buf_reset(&t->family);
		buf_reset(&t->pending);
		*npending = 0;
		*emitted = 0;
		if (buf_add(&t->family, name->p, name->len) < 0)
			return -1;
	}
	if (*emitted) {
		buf_reset(&t->key);
		if (comment_add(&t->key, rec) < 0 ||
		    seen_comment(&t->cur, t->key.p, t->key.len - 1) < 0)
			return -1;
		return 0;
	}
	if (comment_add(&t->pending, rec) < 0)
		return -1;
	(*npending)++;
	return 0;
}

/* Clashing scraped labels (name\0value\0 each in cf) become
 * exported_NAME, or exported_exported_NAME if that is taken too, shortest
 * names first (Prometheus' resolveConflictingExposedLabels). */
static int
resolve_conflicts(struct labels *ls, const struct buf *cf, size_t nc)
{
	const char *one[16], **v = one;
	struct buf nn = BUF_INIT(1 << 16);
	const char *p = cf->p;
	size_t i, j;
	int rc = 0;

	if (nc > ARRAY_SIZE(one) && (v = calloc(nc, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < nc; i++) {
		v[i] = p;
		p += strlen(p) + 1;
		p += strlen(p) + 1;
	}
	for (i = 1; i < nc; i++)	/* stable, by name length */
		for (j = i; j > 0 && strlen(v[j - 1]) > strlen(v[j]); j--) {
			const char *x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	for (i = 0; i < nc && rc == 0; i++) {
		const char *val = v[i] + strlen(v[i]) + 1;
		size_t vl;

		buf_reset(&nn);
		rc = buf_addstr(&nn, v[i]);
		while (rc == 0) {
			vl = 0;
			if (buf_grow(&nn, 9) < 0) {
				rc = -1;
				break;
			}
			memmove(nn.p + 9, nn.p, nn.len + 1);
			memcpy(nn.p, "exported_", 9);
			nn.len += 9;
			if (labels_get(ls, nn.p, &vl) == NULL || vl == 0)
				break;
		}
		if (rc == 0)
			rc = labels_set(ls, nn.p, nn.len, val, strlen(val));
	}
	buf_free(&nn);
	if (v != one)
		free(v);
	return rc;
}

/*
 * The common case of target_labels(): no scraped label has the name of
 * one of the target's, so both ways of honor_labels agree and the
 * target's labels go in by one merge of two sorted lists.  1 when done;
 * 0, ls unchanged, when a name clashes (or the case is not simple);
 * -1 on ENOMEM.
 */
static int
merge_labels(const struct labels *tl, struct labels *ls)
{
	struct label tmp[16];
	size_t n = ls->n, m = tl->n, i, j, k;

	if (m > ARRAY_SIZE(tmp))
		return 0;
	for (i = j = 0; i < n && j < m;) {
		int c = label_cmp(ls, &ls->v[i], tl, &tl->v[j]);

		if (c == 0 || tl->v[j].vlen == 0)
			return 0;
		if (c < 0)
			i++;
		else
			j++;
	}
	for (j = 0; j < m; j++) {
		if (tl->v[j].vlen == 0) {
			ls->n = n;
			return 0;
		}
		if (labels_push(ls, labels_name(tl, j), tl->v[j].nlen,
		    labels_value(tl, j), tl->v[j].vlen) < 0) {
			ls->n = n;
			return -1;
		}
	}
	memcpy(tmp, ls->v + n, m * sizeof(*tmp));
	for (i = n, j = m, k = n + m; j > 0;) {
		if (i > 0 && label_cmp(ls, &ls->v[i - 1], ls, &tmp[j - 1]) > 0)
			ls->v[--k] = ls->v[--i];
		else
			ls->v[--k] = tmp[--j];
	}
	return 1;
}

/* The target's labels on a scraped series, as Prometheus'
 * mutateSampleLabels: with honor_labels the scraped ones win; without,
 * a scraped label that clashes is kept as exported_NAME. */
static int
target_labels(struct target *t, struct labels *ls)
{
	const struct labels *tl = &t->pub;
	struct buf *cf = &t->conflicts;
	size_t i, nc = 0;
	int r = merge_labels(tl, ls);

	if (r != 0)
		return r < 0 ? -1 : 0;

	buf_reset(cf);
	for (i = 0; i < tl->n; i++) {
		const char *n = labels_name(tl, i);
		size_t vlen = 0;
		const char *v = labels_get(ls, n, &vlen);

		if (t->job->honor_labels) {
			if (v != NULL && vlen > 0)
				continue;
		} else if (v != NULL && vlen > 0) {
			/* name\0value\0, in the order of the target's
			 * labels; sorted by name length below. */
			if (buf_add(cf, n, tl->v[i].nlen + 1) < 0 ||
			    buf_add(cf, v, vlen) < 0 || buf_addch(cf, 0) < 0)
				return -1;
			nc++;
		}
		if (labels_set(ls, n, tl->v[i].nlen, labels_value(tl, i),
		    tl->v[i].vlen) < 0)
			return -1;
	}
	if (nc == 0)
		return 0;
	return resolve_conflicts(ls, cf, nc);
}

/* Prometheus' verifyLabelLimits; NULL when within the limits. */
static const char *
check_limits(struct target *t, const struct labels *ls, struct buf *why)
{
	const struct job *j = t->job;
	const char *met = labels_get(ls, LABELS_NAME, NULL);
	size_t i;

	if (met == NULL)
		met = "";
	if (j->label_limit > 0 && ls->n > (size_t)j->label_limit) {
		buf_addf(why, "label_limit exceeded (metric: %.50s, number "
		    "of labels: %zu, limit: %ld)", met, ls->n, j->label_limit);
		return buf_cstr(why);
	}
	for (i = 0; i < ls->n; i++) {
		const struct label *l = &ls->v[i];

		if (j->label_name_length_limit > 0 &&
		    l->nlen > (size_t)j->label_name_length_limit) {
			buf_addf(why, "label_name_length_limit exceeded "
			    "(metric: %.50s, label name: %.50s, length: %u, "
			    "limit: %ld)", met, labels_name(ls, i), l->nlen,
			    j->label_name_length_limit);
			return buf_cstr(why);
		}
		if (j->label_value_length_limit > 0 &&
		    l->vlen > (size_t)j->label_value_length_limit) {
			/* Go's %.50q: the value cut, then quoted. */
			buf_addf(why, "label_value_length_limit exceeded "
			    "(metric: %.50s, label name: %.50s, value: \"",
			    met, labels_name(ls, i));
			label_escape(why, labels_value(ls, i),
			    l->vlen < 50 ? l->vlen : 50);
			buf_addf(why, "\", length: %u, limit: %ld)", l->vlen,
			    j->label_value_length_limit);
			return buf_cstr(why);
		}
	}
	return NULL;
}

static const char *
status_text(long st)
{
	static const struct { long code; const char *text; } tab[] = {
		{ 301, "Moved Permanently" }, { 302, "Found" },
		{ 304, "Not Modified" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 406, "Not Acceptable" }, { 408, "Request Timeout" },
		{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++)
		if (tab[i].code == st)
			return tab[i].text;
	return "";
}

struct scrape_count {
	unsigned long scraped, post, added;
};

/* One scrape under way: the body is parsed as it arrives. */
struct scrape {
	struct scrape_count cnt;
	struct buf why;
	const char *err;	/* the body's: the rest is read past */
	unsigned long lineno, npending;
	int emitted;
	int begun, skip, too_big;
	uint64_t bytes, limit;
};

static void
body_begin(struct target *t)
{
	const char *ct = t->resp.content_type;
	int om;

	om = strncasecmp(ct, "application/openmetrics-text", 28) == 0 &&
	    (ct[28] == '\0' || ct[28] == ';' || ct[28] == ' ');
	expo_free(&t->ex);
	expo_init(&t->ex, om);
	buf_reset(&t->family);
	buf_reset(&t->pending);
	buf_reset(&t->line);
	t->sx->begun = 1;
}

/* A sample of family name: its pending # lines go first, or it starts
 * another family. */
static int
family_step(struct target *t, const char *name, size_t nlen)
{
	struct scrape *x = t->sx;

	if (!in_family(name, nlen, &t->family)) {
		buf_reset(&t->family);
		buf_reset(&t->pending);
		x->npending = 0;
		x->emitted = 0;
	} else if (t->pending.len > 0) {
		if (pending_put(t) < 0)
			return -1;
		x->npending = 0;
		x->emitted = 1;
	}
	return 0;
}

static int
mname_start(unsigned char c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' ||
	    c == ':';
}

/*
 * Whether the series the line s[0..n) begins with, name or name{pairs},
 * is the series key k (segments k->seg: "name{", then each label pair
 * with the ',' or '}' after it) without the target's labels, byte for
 * byte: then the series of the line is k.  (k's pairs are labels as
 * lineio writes them, which read back as the same labels; those not the
 * target's are the line's, none with the name of a target label, as k
 * names each once; with no metric_relabel_configs, k is the sorted
 * union of the line's and the target's.)  *end: where the series ends.
 */
static int
series_is(const struct target *t, const char *s, size_t n,
	  const struct seen_rec *k, size_t *end, size_t *nlen)
{
	const char *kt = k->text;
	size_t ri, ki, j = 0, np = t->pub.n, l0 = k->seg[1];
	int rdone;

	if (k->nseg == 1 && kt[l0 - 1] != '}') {	/* k has no labels */
		if (np != 0 || l0 >= n || memcmp(s, kt, l0) != 0)
			return 0;
		*nlen = l0;
		*end = l0 + (s[l0] == '{' && l0 + 1 < n && s[l0 + 1] == '}' ?
		    2 : 0);
		return 1;
	}
	if (kt[l0 - 1] != '{' || l0 > n || memcmp(s, kt, l0 - 1) != 0 ||
	    (s[l0 - 1] != '{' && s[l0 - 1] != ' '))
		return 0;
	*nlen = l0 - 1;
	ri = l0;
	rdone = s[l0 - 1] == ' ' || (ri < n && s[ri] == '}');
	*end = s[l0 - 1] == ' ' ? l0 - 1 : ri + 1;
	for (ki = 1; ki < k->nseg; ki++) {
		const char *p = kt + k->seg[ki];
		size_t kl = k->seg[ki + 1] - k->seg[ki] - 1;

		if (j < np && kl == t->pubcut[j + 1] - t->pubcut[j] &&
		    memcmp(p, t->pubtext.p + t->pubcut[j], kl) == 0) {
			j++;
			continue;
		}
		if (rdone || n - ri <= kl || memcmp(s + ri, p, kl) != 0)
			return 0;
		ri += kl;
		if (s[ri] == '}') {
			rdone = 1;
			*end = ri + 1;
		} else if (s[ri] != ',') {
			return 0;
		}
		ri++;
	}
	return j == np && rdone;
}

/*
 * The common case of a text-format body: the line's series is the next
 * one of the last scrape (series_is()) and the rest is " VALUE [TS]" as
 * expo's fast path reads it, so the line needs no parse of its labels
 * and no key made.  1 when it was taken (*err: NULL, or why the scrape
 * fails); 0, nothing changed, when the line goes the general way.
 */
static int
line_again(struct target *t, const char *s, size_t n, const char **err)
{
	struct scrape *x = t->sx;
	const struct job *j = t->job;
	const struct seen_rec *pk;
	const char *cut;
	size_t e = 0, v, i, nlen = 0;
	double val;

	/* (The series the last scrape kept passed the limits of the job
	 * it was scraped for, which a reload may have changed.) */
	if (t->ex.openmetrics || t->mrelabel.n > 0 || !t->direct ||
	    j->label_limit > 0 || j->label_name_length_limit > 0 ||
	    j->label_value_length_limit > 0 || t->prev.n == 0 || n == 0 ||
	    !mname_start((unsigned char)s[0]))
		return 0;
	pk = seen_peek(&t->cur, &t->prev);
	if (pk == NULL || pk->nseg == 0 ||
	    !series_is(t, s, n, pk, &e, &nlen) || e >= n || s[e] != ' ')
		return 0;
	e++;
	cut = memchr(s + e, ' ', n - e);
	v = cut != NULL ? (size_t)(cut - s) : n;
	if (v == e || value_parse(s + e, v - e, &val) < 0)
		return 0;
	if (v < n) {	/* a timestamp: digits only, as expo reads them */
		if (j->honor_timestamps || n - v - 1 > 18 || n == v + 1)
			return 0;
		for (i = v + 1; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
	}
	*err = NULL;
	x->cnt.scraped++;
	x->cnt.post++;
	if (j->sample_limit > 0 &&
	    x->cnt.post > (unsigned long)j->sample_limit) {
		*err = "sample limit exceeded";
		return 1;
	}
	if (family_step(t, s, nlen) < 0 ||
	    seen_take(&t->cur, &t->prev, val) < 0)
		*err = errno == EMSGSIZE ? "scrape output over 1 GiB" :
		    "out of memory";
	return 1;
}

/* One line of the body into t->cur; NULL, or why the scrape fails. */
static const char *
body_line(struct target *t, const char *p, size_t len)
{
	struct scrape *x = t->sx;
	struct scrape_count *cnt = &x->cnt;
	struct record *rec = &t->rec;
	const char *err = NULL;
	size_t errcol = 0;
	enum expo_result r;
	const char *name;
	size_t nlen = 0;
	int added, own_ts, direct;

	x->lineno++;
	if (line_again(t, p, len, &err))
		return err;
	r = expo_parse_line(&t->ex, p, len, rec, &err, &errcol);
	switch (r) {
	case EXPO_ERROR:
		buf_addf(&x->why, "parse error at line %lu: %s", x->lineno,
		    err);
		return buf_cstr(&x->why);
	case EXPO_META:
		if (meta_line(t, rec, &x->emitted, &x->npending) < 0)
			goto nomem;
		return NULL;
	case EXPO_SAMPLE:
		break;
	default:
		return NULL;
	}
	cnt->scraped++;
	/* The common case: the target's labels are written with
	 * the key, not set in rec. */
	direct = t->ex.plain && direct_ok(t, &rec->labels);
	if (!direct && target_labels(t, &rec->labels) < 0)
		goto nomem;
	if (t->mrelabel.n > 0) {
		int k = relabel_apply(&t->mrelabel, &rec->labels);

		if (k < 0)
			goto nomem;
		if (k == 0 || rec->labels.n == 0)
			return NULL;
	}
	name = labels_get(&rec->labels, LABELS_NAME, &nlen);
	if (name == NULL)
		return "missing metric name (__name__ label)";
	if (!direct && (err = check_limits(t, &rec->labels, &x->why)) != NULL)
		return err;
	cnt->post++;
	if (t->job->sample_limit > 0 &&
	    cnt->post > (unsigned long)t->job->sample_limit)
		return "sample limit exceeded";
	own_ts = t->job->honor_timestamps && rec->has_ts;
	if (family_step(t, name, nlen) < 0)
		goto nomem;
	/* As Prometheus: a series with its own timestamps is not
	 * tracked for staleness.  The same series twice: the first one
	 * stands. */
	added = series_put(t, &rec->labels, direct, rec->value, own_ts,
	    rec->ts);
	if (added < 0)
		goto nomem;
	if (own_ts) {
		if (!t->ever_scraped)
			cnt->added++;
	} else if (added == 1) {
		cnt->added++;
	}
	return NULL;
nomem:
	return errno == EMSGSIZE ? "scrape output over 1 GiB" : "out of memory";
}

/* The body as it arrives (http's on_data): cut into lines, the last
 * one cut by the end of a chunk kept until the rest comes. */
static size_t
body_data(const char *p, size_t n, void *arg)
{
	struct target *t = arg;
	struct scrape *x = t->sx;
	size_t left = n;

	if (!x->begun) {
		x->skip = t->resp.status != 200;
		body_begin(t);
	}
	if (x->skip)
		return n;
	x->bytes += n;
	if (x->bytes > x->limit) {
		x->too_big = 1;
		return 0;
	}
	while (left > 0 && x->err == NULL) {
		const char *nl = memchr(p, '\n', left);
		size_t len = nl != NULL ? (size_t)(nl - p) : left;

		if (nl == NULL || t->line.len > 0) {
			if (buf_add(&t->line, p, len) < 0) {
				x->err = "out of memory";
				break;
			}
			if (nl == NULL)
				break;
			x->err = body_line(t, t->line.p, t->line.len);
			buf_reset(&t->line);
		} else {
			x->err = body_line(t, p, len);
		}
		p += len + 1;
		left -= len + 1;
	}
	return n;
}

/* The body ended well: its last line, and the end OpenMetrics wants. */
static const char *
body_end(struct target *t)
{
	struct scrape *x = t->sx;

	if (!x->begun)
		body_begin(t);
	if (x->err == NULL && t->line.len > 0) {
		x->err = body_line(t, t->line.p, t->line.len);
		buf_reset(&t->line);
	}
	if (x->err == NULL && t->ex.openmetrics && !t->ex.eof_seen)
		x->err = "data does not end with # EOF";
	return x->err;
}

/* Lines go out through t->out, at most OBS_LINE_ATOMIC bytes a write
 * (a longer line alone). */
static int
out_flush(struct target *t, size_t n, unsigned long lines)
{
	int rc = 0;

	if (n > 0)
		rc = output_lines(t->out.p, n, lines);
	buf_consume(&t->out, n);
	return rc;
}

/* The line just added to t->out from mark on: what came before goes
 * out first when both would not fit one write. */
static int
out_line(struct target *t, size_t mark, unsigned long *pending)
{
	int rc = 0;

	if (t->out.len > OBS_LINE_ATOMIC && mark > 0) {
		rc = out_flush(t, mark, *pending);
		*pending = 0;
	}
	(*pending)++;
	if (t->out.len >= OBS_LINE_ATOMIC) {
		rc |= out_flush(t, t->out.len, *pending);
		*pending = 0;
	}
	return rc;
}

/* KEY VALUE TAIL into t->out. */
static int
out_sample(struct target *t, const char *key, size_t klen, const char *val,
	   size_t vlen, double v, const struct tail *tl,
	   unsigned long *pending)
{
	struct buf *b = &t->out;
	size_t mark = b->len;

	if (buf_grow(b, klen + 1 + VALUE_FMT_MAX + tl->len) < 0)
		return -1;
	memcpy(b->p + b->len, key, klen);
	b->len += klen;
	b->p[b->len++] = ' ';
	if (val != NULL) {
		memcpy(b->p + b->len, val, vlen);
		b->len += vlen;
	} else {
		b->len += value_format(v, b->p + b->len);
	}
	memcpy(b->p + b->len, tl->s, tl->len);
	b->len += tl->len;
	b->p[b->len] = '\0';
	return out_line(t, mark, pending);
}

/* This scrape's lines. */
static int
out_scrape(struct target *t, int64_t ts, unsigned long *pending)
{
	struct seen_iter *it = &t->it;
	struct seen_rec r;
	struct tail now, own;
	int k;

	tail_set(&now, ts);
	seen_iter_rewind(it);
	while ((k = seen_next(&t->cur, it, &r)) > 0) {
		if (r.kind == SEEN_COMMENT) {
			size_t mark = t->out.len;

			if (buf_add(&t->out, r.text, r.len) < 0 ||
			    buf_addch(&t->out, '\n') < 0)
				return -1;
			if (out_line(t, mark, pending) < 0)
				return -1;
			continue;
		}
		if (r.kind == SEEN_OWN_TS)
			tail_set(&own, r.ts);
		if (out_sample(t, r.text, r.len, NULL, 0, r.value,
		    r.kind == SEEN_OWN_TS ? &own : &now, pending) < 0)
			return -1;
	}
	if (k < 0)
		errno = EINVAL;
	return k;
}

/* "KEY stale TS" for every series of prev this scrape did not mark, or
 * for all of them. */
static int
out_stale(struct target *t, int64_t ts, int all, unsigned long *pending)
{
	const struct seen *prev = &t->prev;
	struct seen_iter *it = &t->it;
	struct seen_rec r;
	struct tail tl;
	int k;

	if (!all && prev->marked == prev->n)
		return 0;
	tail_set(&tl, ts);
	seen_iter_rewind(it);
	while ((k = seen_next(prev, it, &r)) > 0) {
		if (r.kind != SEEN_SAMPLE || (!all && seen_marked(prev, r.idx)))
			continue;
		if (out_sample(t, r.text, r.len, "stale", 5, 0, &tl,
		    pending) < 0)
			return -1;
		t->n.stale++;
	}
	if (k < 0)
		errno = EINVAL;
	return k;
}

static int
out_report(struct target *t, int64_t ts, const double *v,
	   unsigned long *pending)
{
	struct tail tl;
	size_t i;

	tail_set(&tl, ts);
	for (i = 0; i < ARRAY_SIZE(report_names); i++) {
		buf_reset(&t->key);
		if (labels_set(&t->rep.labels, LABELS_NAME,
		    sizeof(LABELS_NAME) - 1, report_names[i],
		    strlen(report_names[i])) < 0 ||
		    lineio_format_series(&t->key, &t->rep.labels) < 0)
			return -1;
		if (out_sample(t, t->key.p, t->key.len, NULL, 0,
		    v != NULL ? v[i] : value_stale(), &tl, pending) < 0)
			return -1;
	}
	return 0;
}

/* Writes what the scrape keeps (unless it failed), the stale markers
 * and the report, together. */
static void
out_all(struct target *t, int64_t ts, int failed, const double *rep)
{
	unsigned long pending = 0;
	int rc;

	buf_reset(&t->out);
	output_begin();
	rc = failed ? 0 : out_scrape(t, ts, &pending);
	if (rc >= 0)
		rc = out_stale(t, ts, failed, &pending);
	if (rc >= 0)
		rc = out_report(t, ts, rep, &pending);
	if (rc < 0 && !sc_out.failed)	/* a failed stdout was told */
		log_errno("scrape '%s': output", t->url);
	if (out_flush(t, t->out.len, pending) < 0)
		rc = -1;
	output_end();
	buf_reset(&t->out);
}

int
target_scrape(struct target *t)
{
	struct scrape x;
	const char *err = NULL;
	/* scrape_duration_seconds is finer than milliseconds, as Prometheus'. */
	int64_t start = clock_ms(), mono = clock_mono_ns();
	double rep[5];
	int r;

	memset(&x, 0, sizeof(x));
	buf_init(&x.why, 4096);
	x.limit = t->job->body_size_limit ? t->job->body_size_limit :
	    SC_BODY_MAX;
	t->line.max = x.limit < SIZE_MAX / 2 ? (size_t)x.limit : SIZE_MAX / 2;
	t->sx = &x;
	seen_reset(&t->cur);
	r = http_request(t->http, "GET", t->url, NULL, 0, NULL, 0, &t->resp);
	if (r < 0) {
		if (t->stop)
			goto out;
		if (x.too_big) {
			err = "body size limit exceeded";
		} else {
			buf_reset(&x.why);
			buf_addstr(&x.why, t->resp.error);
			err = buf_cstr(&x.why);
		}
	} else if (t->resp.status != 200) {
		buf_reset(&x.why);
		buf_addf(&x.why, "server returned HTTP status %ld %s",
		    t->resp.status, status_text(t->resp.status));
		while (x.why.len > 0 && x.why.p[x.why.len - 1] == ' ')
			buf_truncate(&x.why, x.why.len - 1);
		err = buf_cstr(&x.why);
	} else {
		err = body_end(t);
	}
	buf_reset(&t->line);
	if (err != NULL) {
		/* Nothing of a failed scrape is kept: every series of the
		 * last one goes stale, as in Prometheus. */
		seen_reset(&t->cur);
		x.cnt.added = 0;
		t->n.failures++;
		log_limited(&t->limit, "scrape '%s': %s", t->url, err);
	}
	t->n.scrapes++;
	if (err == NULL)
		t->n.samples += x.cnt.post;
	rep[0] = err == NULL ? 1 : 0;
	rep[1] = (double)(clock_mono_ns() - mono) / 1e9;
	rep[2] = (double)x.cnt.scraped;
	rep[3] = (double)x.cnt.post;
	rep[4] = (double)x.cnt.added;
	out_all(t, start, err != NULL, rep);
	seen_swap(&t->prev, &t->cur);
	seen_trim(&t->prev);
	seen_reset(&t->cur);	/* what only the last scrape needed goes */
	t->last_failed = err != NULL;
	t->ever_scraped = 1;
out:
	t->sx = NULL;
	buf_free(&x.why);
	return err == NULL ? 0 : -1;
}

/* Waits until the monotonic time "until" or a stop; 1 if stopped. */
static int
wait_until(struct target *t, int64_t until)
{
	int stopped;

	pthread_mutex_lock(&t->mu);
	while (!t->stop && clock_mono_ms() < until) {
		int64_t ms = until - clock_mono_ms();
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(ms / 1000);
		ts.tv_nsec += (long)(ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	}
	stopped = t->stop;
	pthread_mutex_unlock(&t->mu);
	return stopped;
}

static void *
target_run(void *arg)
{
	struct target *t = arg;
	int64_t iv = t->interval_ms, now, next;

	if (t->once) {
		t->last_failed = target_scrape(t) < 0;
		return NULL;
	}
	/* Prometheus' spreading: each target at its own offset in the
	 * interval, fixed by its labels, so restarts keep the phase. */
	now = clock_ms();
	next = clock_mono_ms() +
	    (int64_t)((t->id % (uint64_t)iv + (uint64_t)iv -
	    (uint64_t)(now % iv)) % (uint64_t)iv);
	while (!wait_until(t, next) && !sc_out.failed) {
		target_scrape(t);
		next += iv;
		now = clock_mono_ms();
		if (next <= now)	/* fell behind: skip, keep the phase */
			next += ((now - next) / iv + 1) * iv;
	}
	return NULL;
}

int
target_start(struct target *t)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	if (target_client(t) < 0)
		return -1;
	/* Signals belong to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	/* Many targets, many threads: a smaller stack than the 8 MiB
	 * default, still ample for libcurl and TLS. */
	pthread_attr_setstacksize(&attr, SC_STACK_SIZE);
	r = pthread_create(&t->thr, &attr, target_run, t);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		errno = r;
		log_errno("target '%s': cannot start a thread", t->url);
		return -1;
	}
	t->started = 1;
	return 0;
}

static void
target_halt(struct target *t)
{
	if (!t->started)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thr, NULL);
	t->started = 0;
}

void
target_adopt(struct target *t, struct target *old)
{
	target_halt(old);
	seen_swap(&t->prev, &old->prev);
	t->ever_scraped = old->ever_scraped;
	t->n = old->n;
	target_stop(old, 0);
}

void
target_stop(struct target *t, int end_stale)
{
	if (t == NULL)
		return;
	target_halt(t);
	if (end_stale && t->ever_scraped) {
		/* The target went away: its series end now. */
		int64_t now = clock_ms();

		seen_reset(&t->cur);
		out_all(t, now, 1, NULL);
	}
	http_client_free(t->http);
	http_response_free(&t->resp);
	relabel_free(&t->mrelabel);
	labels_free(&t->labels);
	labels_free(&t->pub);
	buf_free(&t->pubtext);
	free(t->pubcut);
	seen_free(&t->prev);
	seen_free(&t->cur);
	seen_iter_free(&t->it);
	buf_free(&t->key);
	buf_free(&t->line);
	buf_free(&t->out);
	record_free(&t->rec);
	record_free(&t->rep);
	expo_free(&t->ex);
	buf_free(&t->pending);
	buf_free(&t->family);
	buf_free(&t->conflicts);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t->url);
	free(t);
}
