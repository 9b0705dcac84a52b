/* fuzz_expo.c: libFuzzer harness for the text and OpenMetrics line parser in both modes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expo.h"
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expo prom, om;
	struct record rec;
	const char *s = (const char *)data;
	size_t start = 0, i;

	expo_init(&prom, 0);
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
		check_canon(&rec, r);

		err = NULL;
		r = expo_parse_line(&om, copy, len, &rec, &err, &col);
		check_result(r, err, col, len);
		check_canon(&rec, r);

		free(copy);
		start = i + 1;
	}
	record_free(&rec);
	expo_free(&prom);
	expo_free(&om);
	return 0;
}
