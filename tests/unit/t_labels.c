/* t_labels.c: unit tests for label sets, their escaping and formatting. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "labels.h"
#include "tap.h"
#include "banned.h"

static int
push(struct labels *ls, const char *n, const char *v)
{
	return labels_push(ls, n, strlen(n), v, strlen(v));
}

static int
set(struct labels *ls, const char *n, const char *v)
{
	return labels_set(ls, n, strlen(n), v, strlen(v));
}

/* The set formatted with its name, for compact comparisons. */
static const char *
fmt(const struct labels *ls)
{
	static struct buf out = BUF_INIT(0);

	buf_reset(&out);
	if (labels_format(&out, ls, 1, 1) < 0)
		return "(error)";
	return buf_cstr(&out);
}

static const char *
esc(const char *s, size_t n)
{
	static struct buf out = BUF_INIT(0);

	buf_reset(&out);
	if (label_escape(&out, s, n) < 0)
		return "(error)";
	return buf_cstr(&out);
}

static const char *
unesc(const char *s)
{
	static struct buf out = BUF_INIT(0);

	buf_reset(&out);
	if (label_unescape(&out, s, strlen(s)) < 0)
		return "(error)";
	return buf_cstr(&out);
}

static void
test_names(void)
{
	ok(label_name_valid("a", 1), "label name a");
	ok(label_name_valid("_", 1), "label name _");
	ok(label_name_valid("__name__", 8), "label name __name__");
	ok(label_name_valid("A_b9", 4), "label name A_b9");
	ok(!label_name_valid("", 0), "empty label name is invalid");
	ok(!label_name_valid("9a", 2), "label name may not start with a digit");
	ok(!label_name_valid("a:b", 3), "label name may not hold a colon");
	ok(!label_name_valid("a-b", 3), "label name may not hold a dash");
	ok(!label_name_valid("a\xc3\xa9", 3), "label name is ASCII only");
	ok(label_name_valid("a-", 1), "label name honours the length");
	ok(!label_name_valid("a b", 3), "label name may not hold a space");
	ok(metric_name_valid("a:b_c", 5), "metric name with colon");
	ok(metric_name_valid(":a", 2), "metric name may start with a colon");
	ok(metric_name_valid("node_cpu_seconds_total", 22), "metric name node_cpu_seconds_total");
	ok(!metric_name_valid("", 0), "empty metric name is invalid");
	ok(!metric_name_valid("1a", 2), "metric name may not start with a digit");
	ok(!metric_name_valid("a.b", 3), "metric name may not hold a dot");
	ok(!metric_name_valid("a{", 2), "metric name may not hold a brace");
}

static void
test_escape(void)
{
	is_str(esc("plain", 5), "plain", "escape: plain text unchanged");
	is_str(esc("", 0), "", "escape: empty");
	is_str(esc("a\\b", 3), "a\\\\b", "escape: backslash doubled");
	is_str(esc("say \"hi\"", 8), "say \\\"hi\\\"", "escape: quotes");
	is_str(esc("l1\nl2", 5), "l1\\nl2", "escape: newline");
	is_str(esc("\\\"\n", 3), "\\\\\\\"\\n", "escape: all three in a row");
	is_str(esc("tab\there\r", 9), "tab\there\r", "escape: tab and CR are not escaped");
	is_str(esc("caf\xc3\xa9", 5), "caf\xc3\xa9", "escape: UTF-8 kept");
	{
		struct buf out = BUF_INIT(0);

		ok(label_escape(&out, "a\0b", 3) == 0 && out.len == 3 &&
		    memcmp(out.p, "a\0b", 3) == 0, "escape: NUL byte kept as is");
		buf_free(&out);
	}

	is_str(unesc("plain"), "plain", "unescape: plain");
	is_str(unesc(""), "", "unescape: empty");
	is_str(unesc("a\\\\b"), "a\\b", "unescape: \\\\");
	is_str(unesc("\\\"q\\\""), "\"q\"", "unescape: \\\"");
	is_str(unesc("l1\\nl2"), "l1\nl2", "unescape: \\n");
	is_str(unesc("\\t"), "\\t", "unescape: unknown \\t kept as written");
	is_str(unesc("\\x41"), "\\x41", "unescape: unknown \\x kept as written");
	is_str(unesc("end\\"), "end\\", "unescape: lone final backslash kept");
	is_str(unesc("\\\\n"), "\\n", "unescape: escaped backslash then n");
	is_str(unesc("\\\\\\n"), "\\\n", "unescape: escaped backslash then \\n");
	is_str(unesc("\\q\\n"), "\\q\n", "unescape: unknown then known escape");
	is_str(unesc("\\\\\\\\"), "\\\\", "unescape: two escaped backslashes");

	{
		/* Round trip of every byte pattern of interest. */
		const char *in = "a\\\"\n\\n\"\\\\x";
		struct buf e = BUF_INIT(0), u = BUF_INIT(0);

		label_escape(&e, in, strlen(in));
		label_unescape(&u, e.p, e.len);
		is_str(u.p, in, "escape then unescape is the identity");
		buf_free(&e);
		buf_free(&u);
	}
	{
		struct buf small = BUF_INIT(4);

		buf_addstr(&small, "ab");
		errno = 0;
		ok(label_escape(&small, "\"\"", 2) == -1 && errno == EMSGSIZE,
		    "escape past the cap fails");
		is_str(small.p, "ab", "failed escape leaves the output unchanged");
		ok(label_unescape(&small, "x\\nyz", 5) == -1, "unescape past the cap fails");
		is_str(small.p, "ab", "failed unescape leaves the output unchanged");
		buf_free(&small);
	}
}

static void
test_sets(void)
{
	struct labels ls, cp;
	size_t vlen = 0;
	const char *v;
	long i;
	char name[32], val[32];

	labels_init(&ls);
	labels_init(&cp);
	is_str(fmt(&ls), "{}", "empty set with with_empty");
	ok(labels_find(&ls, "a", 1) == -1, "find in an empty set");
	ok(labels_get(&ls, "a", NULL) == NULL, "get in an empty set");

	push(&ls, "job", "node");
	push(&ls, LABELS_NAME, "up");
	push(&ls, "instance", "h:9100");
	push(&ls, "a", "");
	ok(labels_sort(&ls) == 0, "sort distinct names");
	is_str(labels_name(&ls, 0), "__name__", "sorted 0: __name__ (byte order)");
	is_str(labels_name(&ls, 1), "a", "sorted 1: a");
	is_str(labels_name(&ls, 2), "instance", "sorted 2: instance");
	is_str(labels_name(&ls, 3), "job", "sorted 3: job");
	is_int(labels_find(&ls, "instance", 8), 2, "find instance");
	ok(labels_find(&ls, "inst", 4) == -1, "find a prefix only: not found");
	ok(labels_find(&ls, "instancex", 9) == -1, "find a longer name: not found");
	v = labels_get(&ls, "job", &vlen);
	ok(v && strcmp(v, "node") == 0 && vlen == 4, "get job");
	is_str(fmt(&ls), "up{a=\"\",instance=\"h:9100\",job=\"node\"}",
	    "format with name keeps empty values that were pushed");

	labels_drop_internal(&ls);
	is_str(fmt(&ls), "up{instance=\"h:9100\",job=\"node\"}",
	    "drop_internal removes the empty value");

	/* Duplicates. */
	labels_reset(&ls);
	push(&ls, "b", "1");
	push(&ls, "a", "1");
	push(&ls, "b", "2");
	errno = 0;
	ok(labels_sort(&ls) == -1 && errno == EEXIST, "sort finds a duplicate name");
	labels_reset(&ls);
	push(&ls, "a", "1");
	push(&ls, "ab", "1");
	ok(labels_sort(&ls) == 0, "a and ab are not duplicates");
	labels_reset(&ls);
	for (i = 40; i > 0; i--) {
		snprintf(name, sizeof(name), "l%02ld", i);
		snprintf(val, sizeof(val), "v%ld", i);
		push(&ls, name, val);
	}
	ok(labels_sort(&ls) == 0, "sort 40 labels (the qsort path)");
	ok(strcmp(labels_name(&ls, 0), "l01") == 0 &&
	    strcmp(labels_name(&ls, 39), "l40") == 0 &&
	    strcmp(labels_value(&ls, 39), "v40") == 0, "40 labels in order");
	{
		int sorted = 1;
		size_t k;

		for (k = 1; k < ls.n; k++)
			if (strcmp(labels_name(&ls, k - 1), labels_name(&ls, k)) >= 0)
				sorted = 0;
		ok(sorted, "40 labels strictly increasing");
	}
	push(&ls, "l17", "dup");
	errno = 0;
	ok(labels_sort(&ls) == -1 && errno == EEXIST, "qsort path finds a duplicate");

	/* labels_set: insert, replace, remove. */
	labels_reset(&ls);
	ok(set(&ls, "m", "1") == 0, "set into an empty set");
	set(&ls, "z", "26");
	set(&ls, "a", "first");
	set(&ls, LABELS_NAME, "metric");
	is_str(fmt(&ls), "metric{a=\"first\",m=\"1\",z=\"26\"}", "set keeps the set sorted");
	set(&ls, "a", "x");
	is_str(fmt(&ls), "metric{a=\"x\",m=\"1\",z=\"26\"}", "set replaces with a shorter value");
	set(&ls, "m", "a much longer value");
	is_str(fmt(&ls), "metric{a=\"x\",m=\"a much longer value\",z=\"26\"}",
	    "set replaces with a longer value");
	is_int((long long)ls.n, 4, "replacing does not add");
	ok(labels_set(&ls, "m", 1, "", 0) == 0, "set with vlen 0");
	is_str(fmt(&ls), "metric{a=\"x\",z=\"26\"}", "set with vlen 0 removes");
	ok(labels_set(&ls, "nope", 4, "", 0) == 0, "set with vlen 0 of a missing label");
	is_int((long long)ls.n, 3, "removing a missing label changes nothing");
	/* A value taken from the set itself, across arena growth. */
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "k%02ld", i);
		set(&ls, name, labels_get(&ls, "z", NULL));
	}
	v = labels_get(&ls, "k49", &vlen);
	ok(v && strcmp(v, "26") == 0 && vlen == 2, "set from a value of the same set");
	set(&ls, "k00", labels_get(&ls, "a", NULL));
	is_str(labels_get(&ls, "k00", NULL), "x", "set k00 from a (in place)");
	{
		const char *old = labels_get(&ls, "k01", NULL);

		ok(labels_set(&ls, "k01", 3, old, 1) == 0 &&
		    strcmp(labels_get(&ls, "k01", NULL), "2") == 0,
		    "set a value to a prefix of itself");
	}
	ok(labels_del(&ls, "k10", 3) == 0 && labels_find(&ls, "k10", 3) == -1,
	    "del removes");
	ok(labels_del(&ls, "k10", 3) == 0, "del of a missing label is fine");
	is_int((long long)ls.n, 52, "50 added, 1 deleted");

	/* Internal labels. */
	labels_reset(&ls);
	set(&ls, LABELS_NAME, "up");
	set(&ls, "__address__", "h:1");
	set(&ls, "__meta_x", "1");
	set(&ls, "_x", "keep");
	set(&ls, "job", "j");
	push(&ls, "zz", "");
	labels_drop_internal(&ls);
	is_str(fmt(&ls), "up{_x=\"keep\",job=\"j\"}",
	    "drop_internal keeps __name__ and _x, drops __* and empty");

	/* Formatting variants. */
	labels_reset(&ls);
	set(&ls, LABELS_NAME, "up");
	{
		struct buf out = BUF_INIT(0);

		labels_format(&out, &ls, 1, 0);
		is_str(out.p, "up", "format: name alone when no labels");
		buf_reset(&out);
		labels_format(&out, &ls, 1, 1);
		is_str(out.p, "up{}", "format: name{} with with_empty");
		buf_reset(&out);
		labels_format(&out, &ls, 0, 0);
		is_str(buf_cstr(&out), "", "format: nothing without name and labels");
		buf_reset(&out);
		labels_format(&out, &ls, 0, 1);
		is_str(out.p, "{}", "format: {} without name, with_empty");
		set(&ls, "path", "C:\\x \"q\"\nz");
		buf_reset(&out);
		labels_format(&out, &ls, 0, 0);
		is_str(out.p, "{path=\"C:\\\\x \\\"q\\\"\\nz\"}",
		    "format without name escapes values");
		buf_reset(&out);
		labels_format(&out, &ls, 1, 0);
		is_str(out.p, "up{path=\"C:\\\\x \\\"q\\\"\\nz\"}", "format with name");
		buf_free(&out);

		{
			struct labels one;
			struct buf exact = BUF_INIT(7);

			labels_init(&one);
			set(&one, "a", "1");
			ok(labels_format(&exact, &one, 0, 0) == 0,
			    "format into a buffer capped at the exact size");
			is_str(exact.p, "{a=\"1\"}", "format at the exact cap");
			labels_free(&one);
			buf_free(&exact);
		}
		buf_init(&out, 6);
		buf_addstr(&out, "ab");
		ok(labels_format(&out, &ls, 1, 0) == -1, "format past the cap fails");
		is_str(out.p, "ab", "failed format leaves the output unchanged");
		buf_free(&out);
	}

	/* Copy, compare, hash. */
	labels_reset(&ls);
	set(&ls, LABELS_NAME, "up");
	set(&ls, "job", "a");
	ok(labels_copy(&cp, &ls) == 0, "copy");
	is_str(fmt(&cp), "up{job=\"a\"}", "copy content");
	is_int(labels_cmp(&ls, &cp), 0, "copy compares equal");
	ok(labels_hash(&ls) == labels_hash(&cp), "equal sets hash equal");
	set(&cp, "job", "b");
	ok(labels_cmp(&ls, &cp) < 0 && labels_cmp(&cp, &ls) > 0, "cmp by value");
	ok(labels_hash(&ls) != labels_hash(&cp), "different values hash apart");
	labels_copy(&cp, &ls);
	set(&cp, "zz", "1");
	ok(labels_cmp(&ls, &cp) < 0, "a prefix set sorts first");
	ok(labels_copy(&ls, &ls) == 0, "copy onto itself is a no-op");
	{
		struct labels x, y;

		labels_init(&x);
		labels_init(&y);
		set(&x, "ab", "c");
		set(&y, "a", "bc");
		ok(labels_hash(&x) != labels_hash(&y), "hash separates name from value");
		ok(labels_cmp(&x, &y) > 0, "cmp by name first");
		labels_reset(&x);
		labels_reset(&y);
		ok(labels_hash(&x) == labels_hash(&y), "empty sets hash equal");
		{
			/* 5000 sets differing in one short value: no collisions. */
			static uint64_t seen[5000];
			int k, j, dup = 0;

			for (k = 0; k < 5000; k++) {
				labels_reset(&x);
				snprintf(val, sizeof(val), "%d", k);
				set(&x, "instance", val);
				set(&x, "job", "node");
				seen[k] = labels_hash(&x);
				for (j = 0; j < k; j++)
					if (seen[j] == seen[k])
						dup++;
			}
			is_int(dup, 0, "5000 similar sets hash apart");
			labels_reset(&x);
		}
		set(&x, "a", "1");
		/* Values computed by an independent Python model of the hash:
		 * the same on every run, as sharding needs. */
		{
			char hex[24];

			snprintf(hex, sizeof(hex), "%016llx",
			    (unsigned long long)labels_hash(&x));
			is_str(hex, "c4509523372020fa", "hash of {a=\"1\"} is stable");
			labels_reset(&x);
			set(&x, LABELS_NAME, "node_cpu_seconds_total");
			set(&x, "mode", "idle");
			set(&x, "cpu", "0");
			snprintf(hex, sizeof(hex), "%016llx",
			    (unsigned long long)labels_hash(&x));
			is_str(hex, "722ce097d99541d2",
			    "hash of a set with long values is stable");
		}
		labels_free(&x);
		labels_free(&y);
	}
	labels_free(&ls);
	labels_free(&cp);
	ok(ls.v == NULL && ls.n == 0, "free clears");
}

/* A parser's way in: the line copied once, names and values cut in it. */
static void
test_cut(void)
{
	struct labels ls;
	long base, name;
	char *a;
	int i;

	labels_init(&ls);
	base = labels_arena_add(&ls, "m{b=\"2\",a=\"1\"}", 14);
	name = labels_arena_add(&ls, LABELS_NAME, 8);
	ok(base == 0 && name == 15, "cut: the copies sit at 0 and 15");
	a = ls.arena.p;
	a[1] = a[3] = a[6] = a[9] = a[12] = '\0';
	ok(labels_push_ref(&ls, (size_t)name, 8, 0, 1) == 0 &&
	    labels_push_ref(&ls, 2, 1, 5, 1) == 0 &&
	    labels_push_ref(&ls, 8, 1, 11, 1) == 0, "cut: three labels");
	ok(labels_sort(&ls) == 0, "cut: sorted");
	is_str(fmt(&ls), "m{a=\"1\",b=\"2\"}", "cut: the set");
	/* Many labels: the array grows under push_ref. */
	for (i = 0; i < 100; i++)
		labels_push_ref(&ls, 2, 1, 5, 1);
	ok(ls.n == 103, "cut: push_ref grows the array");
	ok(labels_arena_add(&ls, ls.arena.p, 20) >= 0 &&
	    memcmp(ls.arena.p + ls.arena.len - 21, "m", 1) == 0,
	    "cut: adding a piece of the arena to itself");
	labels_free(&ls);
}

static void
test_name_cmp(void)
{
	ok(labels_name_cmp("a", 1, "ab", 2) < 0, "labels_name_cmp: a prefix sorts first");
	ok(labels_name_cmp("ab", 2, "a", 1) > 0, "labels_name_cmp: the longer after its prefix");
	ok(labels_name_cmp("ab", 2, "ab", 2) == 0, "labels_name_cmp: equal names");
	ok(labels_name_cmp("b", 1, "a\xff", 2) > 0, "labels_name_cmp: bytewise, first difference decides");
}

int
main(void)
{
	test_names();
	test_escape();
	test_sets();
	test_cut();
	test_name_cmp();
	return done_testing();
}
