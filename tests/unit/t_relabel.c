/* t_relabel.c: relabel_configs against the cases in tests/data/relabel/cases and the config errors. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "labels.h"
#include "log.h"
#include "relabel.h"
#include "yconf.h"
#include "tap.h"
#include "banned.h"

#define CASES "tests/data/relabel/cases"

/* stderr goes to a temporary file between capture_begin and capture_end. */
static char captured[8192];
static FILE *cap_file;
static int cap_saved = -1;

static void
capture_begin(void)
{
	fflush(stderr);
	cap_file = tmpfile();
	cap_saved = dup(2);
	if (cap_file == NULL || cap_saved < 0 || dup2(fileno(cap_file), 2) < 0) {
		printf("Bail out! cannot capture stderr: %s\n", strerror(errno));
		exit(1);
	}
}

static const char *
capture_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(cap_saved, 2);
	close(cap_saved);
	rewind(cap_file);
	n = fread(captured, 1, sizeof(captured) - 1, cap_file);
	captured[n] = '\0';
	fclose(cap_file);
	return captured;
}

/* Reads the first line of path (without its newline) into b. */
static int
read_line(const char *path, struct buf *b)
{
	char tmp[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	buf_reset(b);
	if (f == NULL)
		return -1;
	if (fgets(tmp, sizeof(tmp), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	n = strlen(tmp);
	if (n && tmp[n - 1] == '\n')
		n--;
	return buf_add(b, tmp, n);
}

/* A double-quoted string at *p: its unescaped body goes to out. */
static int
parse_quoted(const char **p, struct buf *out)
{
	const char *s = *p, *start;

	if (*s != '"')
		return -1;
	start = ++s;
	while (*s && *s != '"') {
		if (*s == '\\' && s[1])
			s++;
		s++;
	}
	if (*s != '"')
		return -1;
	buf_reset(out);
	if (label_unescape(out, start, (size_t)(s - start)) < 0)
		return -1;
	*p = s + 1;
	return 0;
}

/*
 * Parses {name="value",...} (names bare or double-quoted) into ls;
 * *quoted is set when some name needed quotes (Prometheus 3 names).
 */
static int
parse_set(const char *s, struct labels *ls, int *quoted)
{
	struct buf name = BUF_INIT(0), value = BUF_INIT(0);
	int rc = -1;

	labels_reset(ls);
	*quoted = 0;
	if (*s++ != '{')
		goto out;
	while (*s && *s != '}') {
		if (*s == '"') {
			*quoted = 1;
			if (parse_quoted(&s, &name) < 0)
				goto out;
		} else {
			const char *start = s;

			while (*s && *s != '=')
				s++;
			buf_reset(&name);
			if (buf_add(&name, start, (size_t)(s - start)) < 0)
				goto out;
		}
		if (*s++ != '=' || parse_quoted(&s, &value) < 0)
			goto out;
		if (labels_push(ls, buf_cstr(&name), name.len,
				buf_cstr(&value), value.len) < 0)
			goto out;
		if (*s == ',')
			s++;
	}
	if (*s == '}' && s[1] == '\0' && labels_sort(ls) == 0)
		rc = 0;
out:
	buf_free(&name);
	buf_free(&value);
	return rc;
}

/*
 * The set as the case files write it: __name__ is an ordinary label, a
 * name outside the legacy charset is double-quoted.
 */
static void
format_set(const struct labels *ls, struct buf *out)
{
	size_t i;

	buf_reset(out);
	buf_addch(out, '{');
	for (i = 0; i < ls->n; i++) {
		const char *n = labels_name(ls, i);
		size_t nlen = ls->v[i].nlen;

		if (i)
			buf_addch(out, ',');
		if (label_name_valid(n, nlen)) {
			buf_add(out, n, nlen);
		} else {
			buf_addch(out, '"');
			label_escape(out, n, nlen);
			buf_addch(out, '"');
		}
		buf_addstr(out, "=\"");
		label_escape(out, labels_value(ls, i), ls->v[i].vlen);
		buf_addch(out, '"');
	}
	buf_addch(out, '}');
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *const scheme_names[] = { "legacy", "utf8" };

/*
 * Loads the case's config under scheme and applies it to input; got is
 * the set or DROP.  Returns what relabel_apply() did, -1 when the input
 * or the apply failed, -2 when the config was refused (the loader's words
 * are in captured).
 */
static int
apply_case(const char *name, enum relabel_scheme scheme, const char *input,
	   struct buf *got)
{
	struct buf path = BUF_INIT(0);
	struct relabel_rules rs;
	struct labels ls;
	struct ynode *root;
	int quoted, rc;

	labels_init(&ls);
	relabel_init(&rs);
	relabel_set_scheme(&rs, scheme);
	buf_reset(got);
	buf_addf(&path, CASES "/%s/config.yml", name);
	capture_begin();
	root = yconf_load(path.p);
	rc = root ? relabel_load(&rs, ynode_get(root, "relabel_configs")) : -1;
	capture_end();
	if (rc < 0)
		rc = -2;
	if (rc == 0 && parse_set(input, &ls, &quoted) < 0) {
		buf_addstr(got, "(bad input.prom)");
		rc = -1;
	}
	if (rc == 0)
		rc = relabel_apply(&rs, &ls);
	if (rc == 0)
		buf_addstr(got, "DROP");
	else if (rc > 0)
		format_set(&ls, got);
	yconf_free(root);
	relabel_free(&rs);
	labels_free(&ls);
	buf_free(&path);
	return rc;
}

/*
 * Prometheus' table runs every case under its default utf8 scheme, so
 * each must give expected.prom under utf8.  A case without quoted names
 * must give the same under legacy (no case's result depends on the
 * scheme); one with them must be refused by legacy, as Prometheus 2.42
 * refuses such names in its config.
 */
static void
run_case(const char *name)
{
	struct buf path = BUF_INIT(0), in = BUF_INIT(0), want = BUF_INIT(0);
	struct buf got = BUF_INIT(0);
	struct labels tmp;
	int quoted_in = 0, quoted_want = 0, rc;
	size_t s;

	labels_init(&tmp);
	buf_addf(&path, CASES "/%s/input.prom", name);
	if (read_line(path.p, &in) < 0 || parse_set(buf_cstr(&in), &tmp,
						     &quoted_in) < 0) {
		ok(0, "%s: cannot read %s", name, path.p);
		goto out;
	}
	buf_reset(&path);
	buf_addf(&path, CASES "/%s/expected.prom", name);
	if (read_line(path.p, &want) < 0 ||
	    (strcmp(buf_cstr(&want), "DROP") != 0 &&
	     parse_set(buf_cstr(&want), &tmp, &quoted_want) < 0)) {
		ok(0, "%s: cannot read %s", name, path.p);
		goto out;
	}
	for (s = RELABEL_SCHEME_UTF8 + 1; s-- > 0;) {
		rc = apply_case(name, (enum relabel_scheme)s, buf_cstr(&in),
				&got);
		if (s == RELABEL_SCHEME_LEGACY && (quoted_in || quoted_want)) {
			ok(rc == -2 && captured[0] != '\0',
			   "%s (legacy refuses the config)", name);
			continue;
		}
		if (rc == -2) {
			ok(0, "%s (%s)", name, scheme_names[s]);
			diag("config: %s", captured);
			continue;
		}
		if (rc < 0 && got.len == 0) {
			ok(0, "%s (%s): relabel_apply failed", name,
			   scheme_names[s]);
			continue;
		}
		is_str(buf_cstr(&got), buf_cstr(&want), "%s (%s)", name,
		       scheme_names[s]);
	}
out:
	labels_free(&tmp);
	buf_free(&path);
	buf_free(&in);
	buf_free(&want);
	buf_free(&got);
}

static void
run_cases(void)
{
	char *names[1024];
	size_t n = 0, i;
	struct dirent *e;
	DIR *d = opendir(CASES);

	if (d == NULL) {
		ok(0, "open %s: %s", CASES, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL && n < sizeof(names) / sizeof(*names)) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	ok(n >= 40, "found %zu relabel cases", n);
	for (i = 0; i < n; i++) {
		run_case(names[i]);
		free(names[i]);
	}
}

/* Loads yaml as relabel_configs; returns what the loader said on stderr. */
static const char *
load_err_in(enum relabel_scheme scheme, const char *yaml, int *rc)
{
	struct relabel_rules rs;
	struct ynode *root;

	relabel_init(&rs);
	relabel_set_scheme(&rs, scheme);
	capture_begin();
	root = yconf_parse(yaml, strlen(yaml), "r.yml");
	*rc = root ? relabel_load(&rs, ynode_get(root, "relabel_configs")) : -1;
	capture_end();
	relabel_free(&rs);
	yconf_free(root);
	return captured;
}

static const char *
load_err(const char *yaml, int *rc)
{
	return load_err_in(RELABEL_SCHEME_LEGACY, yaml, rc);
}

static void
config_errors(void)
{
	static const struct {
		const char *yaml, *err, *desc;
	} t[] = {
		{ "relabel_configs:\n- action: Foo\n",
		  "t_relabel: r.yml:2: action: unknown relabel action \"Foo\"\n",
		  "unknown action" },
		{ "relabel_configs:\n- source_labels: [a]\n  regex: 'a(b'\n  target_label: x\n",
		  "t_relabel: r.yml:3: regex: invalid regex 'a(b' at offset 3: "
		  "missing closing parenthesis\n",
		  "bad regex names its position" },
		{ "relabel_configs:\n- source_labels: [a]\n  regex: '[z-a]'\n  action: keep\n",
		  "t_relabel: r.yml:3: regex: invalid regex '[z-a]' at offset 3: "
		  "range out of order in character class\n",
		  "bad range in a class" },
		{ "relabel_configs:\n- source_labels: [a]\n  action: replace\n",
		  "t_relabel: r.yml:2: relabel configuration for replace action "
		  "requires 'target_label' value\n",
		  "replace without target_label" },
		{ "relabel_configs:\n- source_labels: [a]\n  action: uppercase\n",
		  "t_relabel: r.yml:2: relabel configuration for uppercase action "
		  "requires 'target_label' value\n",
		  "uppercase without target_label" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: b\n  action: hashmod\n  modulus: 0\n",
		  "t_relabel: r.yml:2: relabel configuration for hashmod requires "
		  "non-zero modulus\n",
		  "hashmod with modulus 0" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: b\n  action: hashmod\n",
		  "t_relabel: r.yml:2: relabel configuration for hashmod requires "
		  "non-zero modulus\n",
		  "hashmod without modulus" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: b\n  modulus: -1\n  action: hashmod\n",
		  "t_relabel: r.yml:4: modulus: expected an unsigned integer, got '-1'\n",
		  "negative modulus" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_labels: b\n",
		  "t_relabel: r.yml:3: target_labels: unknown key\n",
		  "unknown key" },
		{ "relabel_configs:\n- source_labels: [a]\n  action: ''\n",
		  "t_relabel: r.yml:2: action: relabel action cannot be empty\n",
		  "empty action" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: 1x\n",
		  "t_relabel: r.yml:2: \"1x\" is invalid 'target_label' for replace action\n",
		  "invalid target_label" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: 'x-$1'\n",
		  "t_relabel: r.yml:2: \"x-$1\" is invalid 'target_label' for replace action\n",
		  "invalid target_label template" },
		{ "relabel_configs:\n- regex: a\n  action: labeldrop\n  target_label: x\n",
		  "t_relabel: r.yml:2: labeldrop action requires only 'regex', and no other fields\n",
		  "labeldrop with target_label" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: x\n  regex: a\n  action: keepequal\n",
		  "t_relabel: r.yml:2: keepequal action requires only 'source_labels' "
		  "and `target_label`, and no other fields\n",
		  "keepequal with regex" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: x\n  replacement: y\n  action: lowercase\n",
		  "t_relabel: r.yml:2: 'replacement' can not be set for lowercase action\n",
		  "lowercase with replacement" },
		{ "relabel_configs:\n- regex: a\n  replacement: 'a-b'\n  action: labelmap\n",
		  "t_relabel: r.yml:2: \"a-b\" is invalid 'replacement' for labelmap action\n",
		  "labelmap with invalid replacement" },
		{ "relabel_configs:\n- source_labels: [utf-8.label]\n  target_label: x\n",
		  "t_relabel: r.yml:2: source_labels: \"utf-8.label\" is not a valid label name\n",
		  "invalid source label name" },
		{ "relabel_configs:\n-\n- action: keep\n",
		  "t_relabel: r.yml:2: empty or null relabeling rule\n",
		  "null rule" },
		{ "relabel_configs:\n  action: keep\n",
		  "t_relabel: r.yml:2: relabel_configs must be a sequence\n",
		  "relabel_configs is a mapping" },
		{ "relabel_configs:\n- source_labels: a\n  action: keep\n",
		  "t_relabel: r.yml:2: source_labels: expected a sequence\n",
		  "source_labels is a scalar" },
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = load_err(t[i].yaml, &rc);

		is_str(got, t[i].err, "config error: %s", t[i].desc);
		is_int(rc, -1, "config error: %s returns -1", t[i].desc);
	}
}

/*
 * Applies yaml rules, loaded under scheme, to set and compares with want
 * ("DROP" if dropped).
 */
static void
check_apply_in(enum relabel_scheme scheme, const char *yaml, const char *set,
	       const char *want, const char *desc)
{
	struct relabel_rules rs;
	struct labels ls;
	struct buf got = BUF_INIT(0);
	struct ynode *root;
	int rc, quoted;

	relabel_init(&rs);
	relabel_set_scheme(&rs, scheme);
	labels_init(&ls);
	capture_begin();
	root = yconf_parse(yaml, strlen(yaml), "r.yml");
	rc = root ? relabel_load(&rs, ynode_get(root, "relabel_configs")) : -1;
	capture_end();
	if (rc < 0 || parse_set(set, &ls, &quoted) < 0) {
		ok(0, "%s: load: %s", desc, captured);
	} else {
		rc = relabel_apply(&rs, &ls);
		if (rc == 1)
			format_set(&ls, &got);
		else
			buf_addstr(&got, rc == 0 ? "DROP" : "ERROR");
		is_str(buf_cstr(&got), want, "%s", desc);
	}
	relabel_free(&rs);
	labels_free(&ls);
	buf_free(&got);
	yconf_free(root);
}

static void
check_apply(const char *yaml, const char *set, const char *want,
	    const char *desc)
{
	check_apply_in(RELABEL_SCHEME_LEGACY, yaml, set, want, desc);
}

static void
semantics(void)
{
	check_apply("relabel_configs:\n- source_labels: [a]\n  action: KEEP\n  regex: x\n",
		    "{a=\"x\"}", "{a=\"x\"}", "action names are case-insensitive");
	check_apply("relabel_configs:\n- source_labels: [a]\n  action: drop\n  regex:\n",
		    "{b=\"x\"}", "DROP", "a null regex matches only the empty string");
	check_apply("relabel_configs:\n- source_labels: [a]\n  action: drop\n  regex:\n",
		    "{a=\"x\"}", "{a=\"x\"}", "a null regex does not match a value");
	check_apply("relabel_configs:\n- source_labels: [a, b]\n  separator:\n  target_label: c\n",
		    "{a=\"x\",b=\"y\"}", "{a=\"x\",b=\"y\",c=\"xy\"}",
		    "a null separator is empty");
	check_apply("relabel_configs:\n- source_labels: [a]\n  regex: 'x$'\n  action: keep\n",
		    "{a=\"x\\n\"}", "DROP", "$ matches only at the very end");
	check_apply("relabel_configs:\n- source_labels: [a]\n  regex: '(?i)ABC'\n  action: keep\n",
		    "{a=\"abc\"}", "{a=\"abc\"}", "(?i) flag");
	check_apply("relabel_configs:\n- source_labels: [a]\n  regex: '(a)|(b)'\n  target_label: c\n  replacement: '[$1][$2]'\n",
		    "{a=\"b\"}", "{a=\"b\",c=\"[][b]\"}",
		    "an unset group expands to nothing");
	check_apply("relabel_configs:\n- source_labels: [a]\n  regex: '(.)(.)'\n  target_label: c\n  replacement: '${2}${1}$-$'\n",
		    "{a=\"xy\"}", "{a=\"xy\",c=\"yx$-$\"}",
		    "a malformed $ is kept");
	check_apply("relabel_configs:\n- source_labels: [a]\n  regex: '(.)'\n  target_label: c\n  replacement: '$01|${1'\n",
		    "{a=\"x\"}", "{a=\"x\",c=\"|${1\"}",
		    "$01 is a name (empty) and ${1 is literal");
	check_apply("relabel_configs:\n- source_labels: [a]\n  target_label: b\n  action: lowercase\n",
		    "{a=\"\xc3\x84RGER \xce\xa3\"}", "{a=\"\xc3\x84RGER \xce\xa3\",b=\"\xc3\xa4rger \xcf\x83\"}",
		    "lowercase maps non-ASCII letters");
	check_apply("relabel_configs:\n- source_labels: [a]\n  target_label: b\n  action: uppercase\n",
		    "{a=\"a\xff\"}", "{a=\"a\xff\",b=\"A\xef\xbf\xbd\"}",
		    "uppercase turns invalid UTF-8 into U+FFFD as Go does");
	check_apply("relabel_configs:\n- regex: '(.*)_x'\n  replacement: '${1}'\n  action: labelmap\n",
		    "{a_x=\"1\",b=\"2\"}", "{a=\"1\",a_x=\"1\",b=\"2\"}",
		    "labelmap keeps the source label");
	check_apply("relabel_configs:\n- regex: 'x(.*)'\n  replacement: '${1}'\n  action: labelmap\n",
		    "{x1=\"1\",xa=\"2\"}", "{a=\"2\",x1=\"1\",xa=\"2\"}",
		    "labelmap skips a result that is not a label name");
	check_apply("relabel_configs:\n- regex: 'x.*'\n  action: labelkeep\n- source_labels: [x1]\n  target_label: y\n",
		    "{a=\"0\",x1=\"1\",xa=\"2\"}", "{x1=\"1\",xa=\"2\",y=\"1\"}",
		    "labelkeep leaves a sorted set");
	check_apply("relabel_configs:\n- source_labels: [a]\n  regex: '(?P<first>.)(?<rest>.*)'\n  target_label: '${first}_$rest'\n  replacement: '$rest$first'\n",
		    "{a=\"abc\"}", "{a=\"abc\",a_bc=\"bca\"}",
		    "named groups in target and replacement");
	check_apply("relabel_configs:\n- source_labels: [a]\n  modulus: 8\n  target_label: h\n  action: hashmod\n",
		    "{}", "{h=\"6\"}", "hashmod of an absent label hashes \"\"");
}

/* What Prometheus does: RE anchored by wrapping it in ^(?s:RE)$. */
static int
oracle(const char *re, const char *s)
{
	struct buf w = BUF_INIT(0);
	pcre2_code *c;
	pcre2_match_data *md;
	PCRE2_SIZE off;
	int err, rc;

	buf_addf(&w, "^(?s:%s)$", re);
	c = pcre2_compile((PCRE2_SPTR)w.p, w.len,
			  PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &off, NULL);
	buf_free(&w);
	if (c == NULL)
		return -1;
	md = pcre2_match_data_create_from_pattern(c, NULL);
	rc = pcre2_match(c, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(c);
	return rc >= 0;
}

/* The string-compare fast paths agree with the regex engine. */
static void
fast_paths(void)
{
	static const char *const res[] = {
		"foo.*", "foo.+", ".*foo", ".*foo.*", "a|bc|", "", "x", ".+",
		".*", "(.*)", "foo-bar:9", ".*.*", "a|", "|", "f.o", "fo+",
	};
	static const char *const in[] = {
		"", "foo", "foox", "xfoo", "xfoox", "a", "bc", "abc", "x",
		"f\no", "foo-bar:9", "fo", "\n",
	};
	struct relabel_rules rs;
	struct labels ls;
	struct buf yaml = BUF_INIT(0), val = BUF_INIT(0);
	struct ynode *root;
	size_t i, j;
	int bad = 0, n = 0, want, got;

	for (i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		buf_reset(&yaml);
		buf_addf(&yaml, "relabel_configs:\n- source_labels: [a]\n"
			 "  regex: '%s'\n  action: keep\n", res[i]);
		relabel_init(&rs);
		root = yconf_parse(yaml.p, yaml.len, "r.yml");
		if (root == NULL || relabel_load(&rs, ynode_get(root,
		    "relabel_configs")) < 0) {
			bad++;
			diag("cannot load regex '%s'", res[i]);
		}
		for (j = 0; j < sizeof(in) / sizeof(in[0]) && root; j++) {
			labels_init(&ls);
			buf_reset(&val);
			label_unescape(&val, in[j], strlen(in[j]));
			labels_set(&ls, "a", 1, buf_cstr(&val), val.len);
			want = oracle(res[i], buf_cstr(&val));
			got = relabel_apply(&rs, &ls);
			n++;
			if (got != want) {
				bad++;
				diag("regex '%s' on \"%s\": got %d, want %d",
				     res[i], in[j], got, want);
			}
			labels_free(&ls);
		}
		relabel_free(&rs);
		yconf_free(root);
	}
	ok(bad == 0 && n > 150, "fast paths agree with PCRE2 on %d matches", n);
	buf_free(&yaml);
	buf_free(&val);
}

/* What relabel_set_scheme(RELABEL_SCHEME_UTF8) changes, and what not. */
static void
utf8_scheme(void)
{
	static const char *const loads[][2] = {
		{ "relabel_configs:\n- source_labels: [utf-8.label]\n  target_label: x\n",
		  "a UTF-8 source label name" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: 1x\n",
		  "a target_label starting with a digit" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: 'x-$1'\n",
		  "a target_label template with '-'" },
		{ "relabel_configs:\n- regex: a\n  replacement: 'a-b'\n  action: labelmap\n",
		  "a labelmap replacement with '-'" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: 'a.b'\n  modulus: 2\n  action: hashmod\n",
		  "a hashmod target_label with '.'" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: '\xc3\xa4'\n  action: lowercase\n",
		  "a non-ASCII lowercase target_label" },
	};
	static const struct {
		const char *yaml, *err, *desc;
	} errs[] = {
		{ "relabel_configs:\n- source_labels: ['']\n  target_label: x\n",
		  "t_relabel: r.yml:2: source_labels: \"\" is not a valid label name\n",
		  "an empty source label name" },
		{ "relabel_configs:\n- source_labels: [a]\n  target_label: ''\n",
		  "t_relabel: r.yml:2: relabel configuration for replace action "
		  "requires 'target_label' value\n",
		  "an empty target_label" },
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		const char *got = load_err_in(RELABEL_SCHEME_UTF8, loads[i][0],
					      &rc);

		ok(rc == 0 && got[0] == '\0', "utf8 accepts %s", loads[i][1]);
		got = load_err(loads[i][0], &rc);
		ok(rc == -1 && got[0] != '\0', "legacy refuses %s",
		   loads[i][1]);
	}
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		const char *got = load_err_in(RELABEL_SCHEME_UTF8, errs[i].yaml,
					      &rc);

		is_str(got, errs[i].err, "utf8 config error: %s", errs[i].desc);
		is_int(rc, -1, "utf8 config error: %s returns -1",
		       errs[i].desc);
	}
	check_apply_in(RELABEL_SCHEME_UTF8,
		       "relabel_configs:\n- source_labels: [a]\n  target_label: '$1'\n  replacement: x\n",
		       "{a=\"a.b\"}", "{a=\"a.b\",\"a.b\"=\"x\"}",
		       "utf8: an expanded target with '.' is set");
	check_apply("relabel_configs:\n- source_labels: [a]\n  target_label: '$1'\n  replacement: x\n",
		    "{a=\"a.b\"}", "{a=\"a.b\"}",
		    "legacy: an expanded target with '.' does nothing");
	check_apply_in(RELABEL_SCHEME_UTF8,
		       "relabel_configs:\n- source_labels: [a]\n  target_label: '$1'\n  replacement: x\n",
		       "{a=\"a\xff\"}", "{a=\"a\xff\"}",
		       "utf8: an expanded target that is not UTF-8 does nothing");
	check_apply_in(RELABEL_SCHEME_UTF8,
		       "relabel_configs:\n- source_labels: [a]\n  target_label: 'x$1'\n  replacement: x\n",
		       "{b=\"1\"}", "{b=\"1\",x=\"x\"}",
		       "utf8: an absent source expands to the empty string");
	check_apply_in(RELABEL_SCHEME_UTF8,
		       "relabel_configs:\n- source_labels: [a]\n  target_label: '$1'\n  replacement: x\n",
		       "{b=\"1\"}", "{b=\"1\"}",
		       "utf8: an empty expanded target does nothing");
	check_apply_in(RELABEL_SCHEME_UTF8,
		       "relabel_configs:\n- regex: 'x(.*)'\n  replacement: '${1}'\n  action: labelmap\n",
		       "{x1=\"1\",xa=\"2\"}",
		       "{\"1\"=\"1\",a=\"2\",x1=\"1\",xa=\"2\"}",
		       "utf8: labelmap sets a name starting with a digit");
	check_apply_in(RELABEL_SCHEME_UTF8,
		       "relabel_configs:\n- regex: '(.*)'\n  replacement: 'k.$1'\n  action: labelmap\n",
		       "{a=\"1\"}", "{a=\"1\",\"k.a\"=\"1\"}",
		       "utf8: labelmap sets a name with '.'");
}

int
main(void)
{
	log_init("t_relabel");
	run_cases();
	config_errors();
	semantics();
	fast_paths();
	utf8_scheme();
	return done_testing();
}
