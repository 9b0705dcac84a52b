/* t_yconf.c: the YAML configuration loader, its getters and every error it reports. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "yconf.h"
#include "tap.h"
#include "banned.h"

#define DATA "tests/data/yconf"

static char captured[8192];
static FILE *cap_file;
static int cap_saved = -1;

/* stderr goes to a temporary file between capture_begin and capture_end. */
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

static struct ynode *
parse(const char *yaml)
{
	return yconf_parse(yaml, strlen(yaml), "t.yml");
}

/* Parses yaml, which must fail, and checks the one message. */
static void
parse_fails(const char *yaml, const char *want, const char *desc)
{
	struct ynode *root;

	capture_begin();
	root = parse(yaml);
	capture_end();
	ok(root == NULL, "%s: refused", desc);
	is_str(captured, want, "%s: message", desc);
	yconf_free(root);
}

static void
test_sample(void)
{
	const struct ynode *root_c, *v, *jobs = NULL, *targets = NULL;
	const struct ynode *flags = NULL;
	struct ynode *root;
	const char *s = NULL;
	char *secret = NULL;
	int64_t ms = 0;
	uint64_t size = 0;
	long n = 0;
	int b = -1, rc;

	capture_begin();
	root = yconf_load(DATA "/sample.yml");
	capture_end();
	ok(root != NULL, "sample.yml loads");
	is_str(captured, "", "sample.yml: nothing on stderr");
	if (root == NULL)
		return;
	root_c = root;
	ok(root->type == YNODE_MAP && root->line == 2 && root->col == 1,
	   "root is a map at 2:1 (line %d col %d)", root->line, root->col);
	is_str(root->file, DATA "/sample.yml", "nodes carry the file name");

	is_int(yconf_str(root_c, "name", &s), 0, "str: found");
	is_str(s, "homelab", "str: value");
	s = NULL;
	is_int(yconf_str(root_c, "quoted", &s), 0, "quoted \"null\" is a string");
	is_str(s, "null", "quoted \"null\" value");
	s = "default";
	is_int(yconf_str(root_c, "empty", &s), 1, "empty value is null");
	is_str(s, "default", "null leaves *out untouched");
	is_int(yconf_str(root_c, "tilde", &s), 1, "~ is null");
	is_int(yconf_str(root_c, "absent", &s), 1, "absent key");
	ok(ynode_is_null(ynode_get(root_c, "tilde")) &&
	   !ynode_is_null(ynode_get(root_c, "quoted")) &&
	   ynode_is_null(NULL), "ynode_is_null");

	is_int(yconf_map(root_c, "flags", &flags), 0, "map: found");
	is_int(yconf_bool(flags, "a", &b), 0, "bool true");
	is_int(b, 1, "bool true value");
	is_int(yconf_bool(flags, "b", &b), 0, "bool False");
	is_int(b, 0, "bool False value");
	is_int(yconf_bool(flags, "c", &b), 0, "bool yes (YAML 1.1, as yaml.v2)");
	is_int(b, 1, "bool yes value");
	is_int(yconf_bool(flags, "d", &b), 0, "bool off");
	is_int(b, 0, "bool off value");

	is_int(yconf_int(root_c, "port", 1, 65535, &n), 0, "int");
	is_int(n, 9090, "int value");
	is_int(yconf_int(root_c, "hex", 0, 100, &n), 0, "hex int");
	is_int(n, 31, "hex int value");
	is_int(yconf_duration(root_c, "interval", &ms), 0, "duration");
	is_int(ms, 90000, "duration 1m30s in ms");
	is_int(yconf_size(root_c, "max_size", &size), 0, "size");
	is_int((long long)size, 64LL << 20, "size 64MiB");

	is_int(yconf_seq(root_c, "targets", &targets), 0, "seq");
	ok(targets && targets->n == 2 && strcmp(targets->items[1]->str,
		"host2:9100") == 0 && targets->items[1]->line == 17 &&
	   targets->items[1]->col == 5, "seq items with line and column");

	is_int(yconf_seq(root_c, "jobs", &jobs), 0, "seq of maps");
	ok(jobs && jobs->n == 2 &&
	   ynode_get(jobs->items[0], "settings") ==
	   ynode_get(jobs->items[1], "settings") &&
	   ynode_get(jobs->items[0], "settings") == ynode_get(root_c, "defaults"),
	   "an alias shares the anchored node");
	v = ynode_get(ynode_get(jobs->items[1], "settings"), "timeout");
	ok(v && v->line == 20, "aliased node keeps its own line");

	rc = yconf_file_secret(root_c, "password_file", &secret);
	is_int(rc, 0, "file secret, relative to the config file");
	is_str(secret, "s3cret", "file secret: trailing newline trimmed");
	free(secret);
	yconf_free(root);
}

static void
test_secret(void)
{
	char path[] = "/tmp/t_yconf_XXXXXX";
	struct buf yaml = BUF_INIT(0);
	struct ynode *root;
	char *secret = NULL, *big;
	int fd, rc;

	root = parse("a: " DATA "/secret-two-newlines.txt\n"
		     "b: /nonexistent/secret\nc: [x]\n");
	rc = yconf_file_secret(root, "a", &secret);
	ok(rc == 0 && secret && strcmp(secret, "two\n") == 0,
	   "file secret: only one newline is trimmed");
	free(secret);
	capture_begin();
	rc = yconf_file_secret(root, "b", &secret);
	capture_end();
	is_int(rc, -1, "file secret: missing file");
	is_str(captured, "t_yconf: t.yml:2: b: cannot read "
	       "'/nonexistent/secret': No such file or directory\n",
	       "file secret: missing file message");
	capture_begin();
	rc = yconf_file_secret(root, "c", &secret);
	capture_end();
	is_int(rc, -1, "file secret: a sequence is not a file name");
	is_int(yconf_file_secret(root, "d", &secret), 1, "file secret: absent");
	yconf_free(root);

	fd = mkstemp(path);
	big = calloc(1, 64 * 1024 + 1);
	if (fd < 0 || big == NULL) {
		ok(0, "mkstemp: %s", strerror(errno));
		free(big);
		return;
	}
	memset(big, 'x', 64 * 1024 + 1);
	rc = write(fd, big, 64 * 1024 + 1) == 64 * 1024 + 1;
	close(fd);
	buf_addf(&yaml, "s: %s\n", path);
	root = parse(yaml.p);
	capture_begin();
	rc = yconf_file_secret(root, "s", &secret);
	capture_end();
	is_int(rc, -1, "file secret: larger than 64 KiB is refused");
	buf_reset(&yaml);
	buf_addf(&yaml, "t_yconf: t.yml:1: s: cannot read '%s': larger than "
		 "64 KiB\n", path);
	is_str(captured, yaml.p, "file secret: size message");
	yconf_free(root);
	/* Exactly 64 KiB is allowed. */
	fd = open(path, O_WRONLY | O_TRUNC);
	rc = fd >= 0 && write(fd, big, 64 * 1024) == 64 * 1024;
	if (fd >= 0)
		close(fd);
	buf_reset(&yaml);
	buf_addf(&yaml, "s: %s\n", path);
	root = parse(yaml.p);
	secret = NULL;
	ok(rc && yconf_file_secret(root, "s", &secret) == 0 && secret &&
	   strlen(secret) == 64 * 1024, "file secret: 64 KiB is read");
	free(secret);
	yconf_free(root);
	unlink(path);
	free(big);
	buf_free(&yaml);
}

/* Calls a getter on "k" of yaml; checks -1 and the message. */
#define GETTER_FAILS(yaml, call, want, desc) do {			\
		struct ynode *r_ = parse(yaml);				\
		int rc_;						\
		capture_begin();					\
		rc_ = r_ ? (call) : 99;					\
		capture_end();						\
		is_int(rc_, -1, "%s: returns -1", desc);		\
		is_str(captured, want, "%s: message", desc);		\
		yconf_free(r_);						\
	} while (0)

static void
test_getter_errors(void)
{
	const struct ynode *m;
	const char *s;
	int64_t ms;
	uint64_t sz;
	long n;
	int b;

	GETTER_FAILS("k: {a: 1}\n", yconf_str(r_, "k", &s),
		     "t_yconf: t.yml:1: k: expected a string, got a mapping\n",
		     "str on a mapping");
	GETTER_FAILS("k:\n  - 1\n", yconf_str(r_, "k", &s),
		     "t_yconf: t.yml:2: k: expected a string, got a sequence\n",
		     "str on a sequence");
	GETTER_FAILS("x: 1\nk: maybe\n", yconf_bool(r_, "k", &b),
		     "t_yconf: t.yml:2: k: expected true or false, got 'maybe'\n",
		     "bool: not a boolean");
	GETTER_FAILS("k: 'true'\n", yconf_bool(r_, "k", &b),
		     "t_yconf: t.yml:1: k: expected true or false, got 'true'\n",
		     "bool: a quoted string is not a boolean");
	GETTER_FAILS("k: 12abc\n", yconf_int(r_, "k", 0, 100, &n),
		     "t_yconf: t.yml:1: k: expected an integer, got '12abc'\n",
		     "int: not a number");
	GETTER_FAILS("k: \"5\"\n", yconf_int(r_, "k", 0, 100, &n),
		     "t_yconf: t.yml:1: k: expected an integer, got '5'\n",
		     "int: a quoted string is not an integer");
	GETTER_FAILS("k: 101\n", yconf_int(r_, "k", 0, 100, &n),
		     "t_yconf: t.yml:1: k: 101 is out of range [0, 100]\n",
		     "int: out of range");
	GETTER_FAILS("k: 99999999999999999999\n", yconf_int(r_, "k", 0, 100, &n),
		     "t_yconf: t.yml:1: k: 99999999999999999999 is out of range "
		     "[0, 100]\n", "int: overflow");
	GETTER_FAILS("k: 5x\n", yconf_duration(r_, "k", &ms),
		     "t_yconf: t.yml:1: k: invalid duration '5x'\n",
		     "duration: bad unit");
	GETTER_FAILS("k: 1s1h\n", yconf_duration(r_, "k", &ms),
		     "t_yconf: t.yml:1: k: invalid duration '1s1h'\n",
		     "duration: units out of order");
	GETTER_FAILS("k: [1s]\n", yconf_duration(r_, "k", &ms),
		     "t_yconf: t.yml:1: k: expected a duration, got a sequence\n",
		     "duration: a sequence");
	GETTER_FAILS("k: 10 parsecs\n", yconf_size(r_, "k", &sz),
		     "t_yconf: t.yml:1: k: invalid size '10 parsecs'\n",
		     "size: bad unit");
	GETTER_FAILS("k: a\n", yconf_seq(r_, "k", &m),
		     "t_yconf: t.yml:1: k: expected a sequence\n",
		     "seq on a scalar");
	GETTER_FAILS("k: [a]\n", yconf_map(r_, "k", &m),
		     "t_yconf: t.yml:1: k: expected a mapping\n",
		     "map on a sequence");
}

static void
test_check_keys(void)
{
	static const char *const allowed[] = { "url", "timeout", NULL };
	struct ynode *root;
	int rc;

	root = parse("url: x\ntimeout: 1s\n");
	is_int(yconf_check_keys(root, allowed), 0, "check_keys: all known");
	yconf_free(root);
	root = parse("url: x\ntimeuot: 1s\nextra: 1\n");
	capture_begin();
	rc = yconf_check_keys(root, allowed);
	capture_end();
	is_int(rc, -1, "check_keys: unknown key");
	is_str(captured, "t_yconf: t.yml:2: timeuot: unknown key\n"
	       "t_yconf: t.yml:3: extra: unknown key\n",
	       "check_keys: every unknown key is named with its line");
	yconf_free(root);
	root = parse("- a\n");
	capture_begin();
	rc = yconf_check_keys(root, allowed);
	capture_end();
	is_int(rc, -1, "check_keys: a sequence is not a mapping");
	is_str(captured, "t_yconf: t.yml:1: expected a mapping\n",
	       "check_keys: not a mapping message");
	yconf_free(root);
	is_int(yconf_check_keys(NULL, allowed), 0, "check_keys: absent is ok");
}

static void
test_parse_errors(void)
{
	parse_fails("a: b\nc: [\n",
		    "t_yconf: t.yml:3: did not find expected node content "
		    "(while parsing a flow node at line 3)\n",
		    "syntax error: unclosed flow sequence");
	parse_fails("a: b\n  c: d\n",
		    "t_yconf: t.yml:2: mapping values are not allowed in this "
		    "context\n", "syntax error: bad indentation");
	parse_fails("a: \"x\n",
		    "t_yconf: t.yml:2: found unexpected end of stream (while "
		    "scanning a quoted scalar at line 1)\n",
		    "syntax error: unterminated quote");
	parse_fails("a: ok\nb: \xff\n",
		    "t_yconf: t.yml:2: invalid leading UTF-8 octet\n",
		    "invalid UTF-8 names its line");
	parse_fails("a: 1\nb: 2\na: 3\n",
		    "t_yconf: t.yml:3: a: key already defined at line 1\n",
		    "duplicate key");
	parse_fails("m:\n  x: 1\n  y:\n    z: 1\n    z: 2\n",
		    "t_yconf: t.yml:5: z: key already defined at line 4\n",
		    "duplicate key in a nested map");
	{
		struct buf b = BUF_INIT(0);
		int i;

		/* Large maps sort their keys: the same error, same line. */
		for (i = 0; i < 100; i++)
			buf_addf(&b, "k%d: %d\n", i, i);
		buf_addstr(&b, "k7: again\nk3: again\n");
		parse_fails(b.p, "t_yconf: t.yml:101: k7: key already defined "
			    "at line 8\n", "duplicate key in a large map");
		buf_free(&b);
	}
	parse_fails("a: *nope\n", "t_yconf: t.yml:1: unknown anchor 'nope'\n",
		    "alias to an unknown anchor");
	parse_fails("a: &x [1, *x]\n",
		    "t_yconf: t.yml:1: anchor 'x' value contains itself\n",
		    "recursive alias");
	parse_fails("? [a]\n: b\n",
		    "t_yconf: t.yml:1: a mapping key must be a scalar\n",
		    "complex mapping key");
	parse_fails("a: 1\n---\nb: 2\n",
		    "t_yconf: t.yml:2: only one YAML document is allowed\n",
		    "a second document");
}

static void
test_limits(void)
{
	struct buf b = BUF_INIT(0);
	struct ynode *root;
	int i;

	for (i = 0; i < 64; i++)
		buf_addch(&b, '[');
	for (i = 0; i < 64; i++)
		buf_addch(&b, ']');
	root = parse(b.p);
	ok(root != NULL, "64 levels of nesting are allowed");
	yconf_free(root);

	buf_reset(&b);
	for (i = 0; i < 65; i++)
		buf_addch(&b, '[');
	for (i = 0; i < 65; i++)
		buf_addch(&b, ']');
	parse_fails(b.p, "t_yconf: t.yml:1: nested deeper than 64 levels\n",
		    "deep nesting is refused");

	buf_reset(&b);
	for (i = 0; i < 200; i++)
		buf_addf(&b, "%*sk:\n", i * 2, "");
	parse_fails(b.p, "t_yconf: t.yml:65: nested deeper than 64 levels\n",
		    "deep block nesting names its line");

	/* Aliases share nodes: nine levels of ten aliases stay small. */
	buf_reset(&b);
	buf_addstr(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 10; i++)
		buf_addf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, "
			 "*a%d, *a%d, *a%d, *a%d]\n", i, i, i - 1, i - 1, i - 1,
			 i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	root = parse(b.p);
	ok(root && ynode_get(root, "a9")->items[0] == ynode_get(root, "a8"),
	   "billion laughs: aliases are shared, not copied");
	yconf_free(root);

	buf_reset(&b);
	buf_addch(&b, '[');
	for (i = 0; i < 1000001; i++)
		buf_addstr(&b, "1,");
	buf_addch(&b, ']');
	parse_fails(b.p, "t_yconf: t.yml:1: more than 1000000 nodes\n",
		    "node count is capped");
	buf_free(&b);
}

static void
test_misc(void)
{
	struct ynode *root;
	const char *s = NULL;

	root = parse("");
	ok(root && ynode_is_null(root), "empty document is a null root");
	is_int(yconf_str(root, "x", &s), 1, "getter on a null root: absent");
	yconf_free(root);

	root = parse("# only a comment\n");
	ok(root && ynode_is_null(root), "comment-only document is null");
	yconf_free(root);

	root = parse("a: !!str 12\nb: ! ~\nc: NULL\n");
	ok(root && !ynode_is_null(ynode_get(root, "a")) &&
	   !ynode_is_null(ynode_get(root, "b")) &&
	   ynode_is_null(ynode_get(root, "c")), "tags: !!str and ! are strings");
	ok(ynode_get(ynode_get(root, "a"), "x") == NULL,
	   "ynode_get on a scalar is NULL");
	capture_begin();
	yconf_error(ynode_get(root, "c"), "c", "bad %s", "thing");
	yconf_error(root, NULL, "plain");
	capture_end();
	is_str(captured, "t_yconf: t.yml:3: c: bad thing\n"
	       "t_yconf: t.yml:1: plain\n", "yconf_error formats");
	yconf_free(root);

	capture_begin();
	root = yconf_load(DATA "/nonexistent.yml");
	capture_end();
	ok(root == NULL, "missing file");
	is_str(captured, "t_yconf: cannot read '" DATA "/nonexistent.yml': "
	       "No such file or directory\n", "missing file message");

	{
		char path[] = "/tmp/t_yconf_big_XXXXXX";
		struct buf want = BUF_INIT(0);
		int fd = mkstemp(path);

		/* A sparse file: 16 MiB and one byte of NULs. */
		ok(fd >= 0 && ftruncate(fd, 16 * 1024 * 1024 + 1) == 0,
		   "make a file past the 16 MiB cap");
		if (fd >= 0)
			close(fd);
		capture_begin();
		root = yconf_load(path);
		capture_end();
		buf_addf(&want, "t_yconf: cannot read '%s': larger than 16 MiB\n",
			 path);
		ok(root == NULL, "a file past 16 MiB is refused");
		is_str(captured, want.p, "a file past 16 MiB: message");
		unlink(path);
		buf_free(&want);
	}

	root = parse("a:\n  - {b: 1, c: [d, e]}\n");
	ok(root && ynode_get(root, "a")->items[0]->type == YNODE_MAP &&
	   ynode_get(ynode_get(root, "a")->items[0], "c")->n == 2 &&
	   ynode_get(ynode_get(root, "a")->items[0], "c")->items[1]->col == 19,
	   "flow collections with columns");
	yconf_free(root);
}

static void
test_merge(void)
{
	struct ynode *root;
	const struct ynode *m;
	const char *s = NULL;

	root = parse("base: &b {a: 1, b: 2}\nmore: &m {c: 3, a: 9}\n"
		     "x:\n  <<: *b\n  b: own\n"
		     "y:\n  <<: [*m, *b]\n");
	m = ynode_get(root, "x");
	ok(m && m->n == 2 && yconf_str(m, "a", &s) == 0 && strcmp(s, "1") == 0 &&
	   yconf_str(m, "b", &s) == 0 && strcmp(s, "own") == 0 &&
	   ynode_get(m, "<<") == NULL, "merge: explicit keys win");
	m = ynode_get(root, "y");
	ok(m && m->n == 3 && yconf_str(m, "a", &s) == 0 && strcmp(s, "9") == 0 &&
	   yconf_str(m, "b", &s) == 0 && strcmp(s, "2") == 0,
	   "merge: earlier mappings of a sequence win");
	yconf_free(root);
	root = parse("x:\n  '<<': 1\n");
	ok(root && ynode_get(ynode_get(root, "x"), "<<") != NULL,
	   "merge: a quoted << is an ordinary key");
	yconf_free(root);
	parse_fails("x:\n  <<: 1\n",
		    "t_yconf: t.yml:2: <<: a merge needs a mapping or a "
		    "sequence of mappings\n", "merge of a scalar");
}

int
main(void)
{
	log_init("t_yconf");
	test_sample();
	test_secret();
	test_getter_errors();
	test_check_keys();
	test_parse_errors();
	test_limits();
	test_misc();
	test_merge();
	return done_testing();
}
