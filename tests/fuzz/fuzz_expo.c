/* fuzz_expo.c: libFuzzer harness for the exposition line parser: both modes, both text paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expo.h"
#include "labels.h"
#include "lineio.h"
#include "record.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A sample or metadata line in canonical form must parse again, in the
 * text format, to the same canonical form, whichever mode read it first
 * (OpenMetrics may give negative timestamps, which the text format has
 * not).
 */
static void
check_canon(const struct record *rec, int res)
{
	struct expo ex;
	struct record again;
	struct buf a = BUF_INIT(0), b = BUF_INIT(0);
	const char *err = NULL;
	size_t col = 0;

	if (res != EXPO_SAMPLE && res != EXPO_META)
		return;
	if (rec->kind == REC_SAMPLE && rec->has_ts && rec->ts < 0)
		return;
	if (lineio_format_record(&a, rec) < 0)
		abort();
	expo_init(&ex, 0);
	record_init(&again);
	if (expo_parse_line(&ex, a.p, a.len, &again, &err, &col) != res)
		abort();
	if (lineio_format_record(&b, &again) < 0 || a.len != b.len ||
	    memcmp(a.p, b.p, a.len) != 0)
		abort();
	record_free(&again);
	expo_free(&ex);
	buf_free(&a);
	buf_free(&b);
}

static void
check_result(enum expo_result r, const char *err, size_t col, size_t len)
{
	if (r == EXPO_ERROR && (err == NULL || err[0] == '\0' || col > len))
		abort();
	if (r < EXPO_ERROR || r > EXPO_EOF)
		abort();
}

static int
same_buf(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->p, b->p, a->len) == 0);
}

static int
same_labels(const struct labels *a, const struct labels *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct label *x = &a->v[i], *y = &b->v[i];

		if (x->nlen != y->nlen || x->vlen != y->vlen ||
		    memcmp(labels_name(a, i), labels_name(b, i), x->nlen) ||
		    memcmp(labels_value(a, i), labels_value(b, i), x->vlen))
			return 0;
	}
	return 1;
}

/*
 * In the text format a sample line that starts with a metric name takes
 * a fast path; the same line behind a blank takes the general one, which
 * alone decides errors.  Both must read it the same way: the same result,
 * the same record, or the same error one column further on.
 */
static void
check_paths(struct expo *ex, const char *line, size_t len,
	    const struct record *rec, enum expo_result r, const char *err,
	    size_t col)
{
	struct record b;
	const char *eb = NULL;
	size_t cb = 0;
	enum expo_result rb;
	char *shifted;

	shifted = malloc(len + 1);
	if (shifted == NULL)
		abort();
	shifted[0] = ' ';
	memcpy(shifted + 1, line, len);
	record_init(&b);
	rb = expo_parse_line(ex, shifted, len + 1, &b, &eb, &cb);
	if (rb != r)
		abort();
	if (r == EXPO_ERROR && (strcmp(err, eb) != 0 || cb != col + 1))
		abort();
	if (r != EXPO_ERROR && (rec->kind != b.kind || rec->meta != b.meta ||
	    !same_labels(&rec->labels, &b.labels) ||
	    memcmp(&rec->value, &b.value, sizeof(b.value)) != 0 ||
	    rec->has_ts != b.has_ts || rec->ts != b.ts ||
	    !same_buf(&rec->meta_name, &b.meta_name) ||
	    !same_buf(&rec->text, &b.text)))
		abort();
	record_free(&b);
	free(shifted);
}

/* What plain promises a writer that copies names and values. */
static void
check_plain(const struct expo *ex, const struct record *rec,
	    enum expo_result r)
{
	const struct labels *ls = &rec->labels;
	size_t i;

	if (!ex->plain)
		return;
	if (r != EXPO_SAMPLE || labels_get(ls, LABELS_NAME, NULL) == NULL)
		abort();
	for (i = 0; i < ls->n; i++) {
		const char *n = labels_name(ls, i), *v = labels_value(ls, i);
		size_t vl = ls->v[i].vlen;

		if (strcmp(n, LABELS_NAME) == 0 ? !metric_name_valid(v, vl) :
		    !label_name_valid(n, ls->v[i].nlen))
			abort();
		if (vl == 0 || memchr(v, '\\', vl) || memchr(v, '"', vl) ||
		    memchr(v, '\n', vl))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expo prom, prom_blank, om;
	struct record rec;
	const char *s = (const char *)data;
	size_t start = 0, i;

	expo_init(&prom, 0);
	expo_init(&prom_blank, 0);
	expo_init(&om, 1);
	record_init(&rec);
	for (i = 0; i <= size; i++) {
		const char *err = NULL;
		size_t col = 0, len;
		enum expo_result r;
		char *copy;

		if (i < size && s[i] != '\n')
			continue;
		len = i - start;
		/* A copy of just the line, so ASan sees any read past it. */
		copy = malloc(len ? len : 1);
		if (copy == NULL)
			abort();
		memcpy(copy, s + start, len);

		r = expo_parse_line(&prom, copy, len, &rec, &err, &col);
		check_result(r, err, col, len);
		if (r == EXPO_EOF || r == EXPO_SKIP)
			abort();	/* OpenMetrics only */
		check_plain(&prom, &rec, r);
		check_paths(&prom_blank, copy, len, &rec, r, err, col);
		check_canon(&rec, r);

		err = NULL;
		r = expo_parse_line(&om, copy, len, &rec, &err, &col);
		check_result(r, err, col, len);
		if (om.plain)
			abort();
		check_canon(&rec, r);

		free(copy);
		start = i + 1;
	}
	record_free(&rec);
	expo_free(&prom);
	expo_free(&prom_blank);
	expo_free(&om);
	return 0;
}
