/* config.c: obsd.yml(5) read into pipelines of members, and shell-like word splitting. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "obsd.h"
#include "parse.h"
#include "yconf.h"
#include "banned.h"

/* The programs of the suite: these get --stats-file from --stats-dir. */
static const char *const suite[] = { "ctrcol", "hostcol", "lokipush",
    "logtail", "relabel", "rwsend", "scrapecol", "snmpcol", NULL };

int
obs_program(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	size_t i;

	base = base ? base + 1 : argv0;
	for (i = 0; suite[i]; i++)
		if (strcmp(base, suite[i]) == 0)
			return 1;
	return 0;
}

const char *
role_name(enum role r)
{
	return r == ROLE_SOURCE ? "source" : r == ROLE_FILTER ? "filter" :
	    "sink";
}

void
words_free(char **w)
{
	size_t i;

	for (i = 0; w && w[i]; i++)
		free(w[i]);
	free(w);
}

static int
words_push(char ***w, size_t *n, struct buf *word)
{
	char **nw = realloc(*w, (*n + 2) * sizeof(**w));
	char *s;

	if (nw == NULL)
		return -1;
	*w = nw;
	s = strdup(buf_cstr(word));
	if (s == NULL)
		return -1;
	nw[(*n)++] = s;
	nw[*n] = NULL;
	buf_reset(word);
	return 0;
}

char **
words_split(const char *s, const char **err)
{
	struct buf word = BUF_INIT(1024 * 1024);
	char **w = NULL;
	size_t n = 0;
	int inword = 0, r = 0;

	*err = "out of memory";
	for (; *s && r == 0; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n') {
			if (inword && words_push(&w, &n, &word) < 0)
				goto fail;
			inword = 0;
			continue;
		}
		inword = 1;
		if (*s == '\\') {
			if (s[1] == '\0') {
				*err = "backslash at the end";
				goto fail;
			}
			s++;
			if (*s != '\n')	/* backslash-newline joins lines */
				r = buf_addch(&word, *s);
		} else if (*s == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (end == NULL) {
				*err = "unterminated single quote";
				goto fail;
			}
			r = buf_add(&word, s + 1, (size_t)(end - s - 1));
			s = end;
		} else if (*s == '"') {
			for (s++; *s && *s != '"' && r == 0; s++) {
				if (*s == '\\' && s[1] && strchr("$`\"\\\n", s[1])) {
					s++;
					if (*s == '\n')
						continue;
				}
				r = buf_addch(&word, *s);
			}
			if (*s != '"') {
				*err = "unterminated double quote";
				goto fail;
			}
		} else {
			r = buf_addch(&word, *s);
		}
	}
	if (r < 0)
		goto fail;
	if (inword && words_push(&w, &n, &word) < 0)
		goto fail;
	buf_free(&word);
	if (n == 0) {
		*err = "empty command";
		words_free(w);
		return NULL;
	}
	*err = NULL;
	return w;
fail:
	buf_free(&word);
	words_free(w);
	return NULL;
}

static int
strv_equal(char **a, char **b)
{
	size_t i;

	for (i = 0; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return a[i] == NULL && b[i] == NULL;
}

static int
str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
spec_equal(const struct spec *a, const struct spec *b)
{
	return strv_equal(a->argv, b->argv) && strv_equal(a->env, b->env) &&
	    str_equal(a->user, b->user) && str_equal(a->dir, b->dir);
}

static char **
strv_dup(char **v)
{
	size_t i, n = 0;
	char **d;

	while (v[n])
		n++;
	d = calloc(n + 1, sizeof(*d));
	if (d == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((d[i] = strdup(v[i])) == NULL) {
			words_free(d);
			return NULL;
		}
	return d;
}

static int
str_dup(char **dst, const char *s)
{
	*dst = NULL;
	if (s && (*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

int
spec_copy(struct spec *dst, const struct spec *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->uid = src->uid;
	dst->gid = src->gid;
	if ((dst->argv = strv_dup(src->argv)) == NULL ||
	    (dst->env = strv_dup(src->env)) == NULL ||
	    str_dup(&dst->user, src->user) < 0 ||
	    str_dup(&dst->dir, src->dir) < 0) {
		spec_free(dst);
		return -1;
	}
	return 0;
}

void
spec_free(struct spec *s)
{
	words_free(s->argv);
	words_free(s->env);
	free(s->user);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

void
conf_free(struct conf *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->p[i].cap; j++) {
			free(c->p[i].m[j].name);
			spec_free(&c->p[i].m[j].spec);
		}
		free(c->p[i].m);
		free(c->p[i].name);
	}
	free(c->p);
	free(c);
}

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Names go into file names and the state file: keep them plain. */
static int
name_valid(const char *s)
{
	if (*s == '\0' || *s == '.')
		return 0;
	for (; *s; s++)
		if (!name_char(*s))
			return 0;
	return 1;
}

static int
oom(void)
{
	log_errno("config");
	return -1;
}

static int
load_cmd(const struct ynode *v, const char *key, struct spec *sp)
{
	const char *err;
	size_t i;

	if (v->type == YNODE_SCALAR) {
		if (memchr(v->str, '\0', v->len)) {
			yconf_error(v, key, "NUL byte in command");
			return -1;
		}
		sp->argv = words_split(v->str, &err);
		if (sp->argv == NULL) {
			yconf_error(v, key, "%s", err);
			return -1;
		}
		return 0;
	}
	if (v->type != YNODE_SEQ || v->n == 0) {
		yconf_error(v, key, "expected a command line or a list of words");
		return -1;
	}
	sp->argv = calloc(v->n + 1, sizeof(*sp->argv));
	if (sp->argv == NULL)
		return oom();
	for (i = 0; i < v->n; i++) {
		if (v->items[i]->type != YNODE_SCALAR) {
			yconf_error(v->items[i], key, "expected a word");
			return -1;
		}
		if ((sp->argv[i] = strdup(v->items[i]->str)) == NULL)
			return oom();
	}
	return 0;
}

static int
load_env(const struct ynode *map, struct spec *sp)
{
	const struct ynode *env = NULL;
	struct buf kv = BUF_INIT(0);
	size_t i;

	if (yconf_map(map, "env", &env) < 0)
		return -1;
	sp->env = calloc((env ? env->n : 0) + 1, sizeof(*sp->env));
	if (sp->env == NULL)
		return oom();
	for (i = 0; env && i < env->n; i++) {
		const struct ynode *k = env->items[i], *v = env->vals[i];

		if (k->len == 0 || strchr(k->str, '=')) {
			yconf_error(k, "env", "invalid variable name '%s'", k->str);
			return -1;
		}
		if (v->type != YNODE_SCALAR) {
			yconf_error(v, k->str, "expected a string");
			return -1;
		}
		buf_reset(&kv);
		if (buf_addf(&kv, "%s=%s", k->str,
		    ynode_is_null(v) ? "" : v->str) < 0 ||
		    (sp->env[i] = strdup(kv.p)) == NULL) {
			buf_free(&kv);
			return oom();
		}
	}
	buf_free(&kv);
	return 0;
}

static int
load_user(const struct ynode *map, struct spec *sp)
{
	const char *user = NULL;
	struct passwd *pw;
	uint64_t uid;

	if (yconf_str(map, "user", &user) != 0)
		return user ? -1 : 0;
	pw = getpwnam(user);
	if (pw == NULL && parse_u64(user, strlen(user), 0, UINT32_MAX - 1,
	    &uid) == 0)
		pw = getpwuid((uid_t)uid);
	if (pw == NULL) {
		yconf_error(ynode_get(map, "user"), "user",
		    "unknown user '%s'", user);
		return -1;
	}
	sp->uid = pw->pw_uid;
	sp->gid = pw->pw_gid;
	if ((sp->user = strdup(pw->pw_name)) == NULL)
		return oom();
	return 0;
}

/* One member: a command line, or a mapping with cmd:, env:, user:, dir:, name:. */
static int
load_member(const struct ynode *v, const char *key, enum role role,
	    struct mconf *m)
{
	static const char *const keys[] = { "cmd", "dir", "env", "name",
	    "user", NULL };
	const char *s = NULL;
	const struct ynode *cmd;

	m->role = role;
	if (v->type != YNODE_MAP) {
		if (ynode_is_null(v)) {
			yconf_error(v, key, "empty command");
			return -1;
		}
		if (load_cmd(v, key, &m->spec) < 0)
			return -1;
		return load_env(NULL, &m->spec);
	}
	if (yconf_check_keys(v, keys) < 0)
		return -1;
	cmd = ynode_get(v, "cmd");
	if (ynode_is_null(cmd)) {
		yconf_error(v, "cmd", "missing");
		return -1;
	}
	if (load_cmd(cmd, "cmd", &m->spec) < 0 || load_env(v, &m->spec) < 0 ||
	    load_user(v, &m->spec) < 0)
		return -1;
	if (yconf_str(v, "dir", &s) < 0)
		return -1;
	if (s && (m->spec.dir = strdup(s)) == NULL)
		return oom();
	s = NULL;
	if (yconf_str(v, "name", &s) < 0)
		return -1;
	if (s) {
		if (!name_valid(s)) {
			yconf_error(ynode_get(v, "name"), "name",
			    "'%s': use letters, digits, '_', '.' and '-'", s);
			return -1;
		}
		if ((m->name = strdup(s)) == NULL)
			return oom();
	}
	return 0;
}

/* Default names: the program's base name, made plain, "-2" on a repeat. */
static int
name_members(struct pconf *p, const struct ynode *at)
{
	struct buf nm = BUF_INIT(256);
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		struct mconf *m = &p->m[i];
		const char *a0, *base;
		int k;

		if (m->name)
			continue;
		a0 = m->spec.argv[0];
		base = strrchr(a0, '/');
		base = base && base[1] ? base + 1 : a0;
		for (k = 1;; k++) {
			const char *c;

			buf_reset(&nm);
			for (c = base; *c && nm.len < 64; c++)
				if (buf_addch(&nm, name_char(*c) ? *c : '_') < 0)
					return oom();
			if (nm.len == 0 && buf_addch(&nm, '_') < 0)
				return oom();
			if (k > 1 && buf_addf(&nm, "-%d", k) < 0)
				return oom();
			for (j = 0; j < p->n; j++)
				if (p->m[j].name && strcmp(p->m[j].name, nm.p) == 0)
					break;
			if (j == p->n)
				break;
		}
		if ((m->name = strdup(nm.p)) == NULL) {
			buf_free(&nm);
			return oom();
		}
	}
	buf_free(&nm);
	for (i = 0; i < p->n; i++)
		for (j = i + 1; j < p->n; j++)
			if (strcmp(p->m[i].name, p->m[j].name) == 0) {
				yconf_error(at, p->name,
				    "two members named '%s'", p->m[i].name);
				return -1;
			}
	return 0;
}

static int
load_list(const struct ynode *pm, const char *key, enum role role,
	  struct pconf *p, size_t *count)
{
	const struct ynode *seq = NULL;
	size_t i;

	if (yconf_seq(pm, key, &seq) < 0)
		return -1;
	*count = 0;
	for (i = 0; seq && i < seq->n; i++) {
		if (load_member(seq->items[i], key, role, &p->m[p->n]) < 0)
			return -1;
		p->n++;
		(*count)++;
	}
	return 0;
}

static int
load_pipeline(const struct ynode *k, const struct ynode *pm, struct pconf *p)
{
	static const char *const keys[] = { "filters", "sink", "sources", NULL };
	const struct ynode *src, *flt, *sink;
	size_t cap;

	if ((p->name = strdup(k->str)) == NULL)
		return oom();
	if (!name_valid(k->str)) {
		yconf_error(k, "pipelines",
		    "invalid name '%s': use letters, digits, '_', '.' and '-'",
		    k->str);
		return -1;
	}
	if (pm->type != YNODE_MAP) {
		yconf_error(pm, k->str, "expected a mapping");
		return -1;
	}
	if (yconf_check_keys(pm, keys) < 0)
		return -1;
	src = ynode_get(pm, "sources");
	flt = ynode_get(pm, "filters");
	sink = ynode_get(pm, "sink");
	if (ynode_is_null(src) || (src->type == YNODE_SEQ && src->n == 0)) {
		yconf_error(src ? src : k, "sources",
		    "missing: a pipeline needs at least one source");
		return -1;
	}
	if (ynode_is_null(sink)) {
		yconf_error(sink ? sink : k, "sink", "missing");
		return -1;
	}
	cap = (src->type == YNODE_SEQ ? src->n : 0) +
	    (flt && flt->type == YNODE_SEQ ? flt->n : 0) + 1;
	p->m = calloc(cap, sizeof(*p->m));
	if (p->m == NULL)
		return oom();
	p->cap = cap;
	if (load_list(pm, "sources", ROLE_SOURCE, p, &p->nsrc) < 0 ||
	    load_list(pm, "filters", ROLE_FILTER, p, &p->nfilt) < 0)
		return -1;
	if (sink->type == YNODE_SEQ) {
		yconf_error(sink, "sink", "expected one command, not a list");
		return -1;
	}
	if (load_member(sink, "sink", ROLE_SINK, &p->m[p->n]) < 0)
		return -1;
	p->n++;
	return name_members(p, k);
}

struct conf *
conf_load(const char *path)
{
	static const char *const keys[] = { "pipelines", NULL };
	struct ynode *root;
	const struct ynode *pls = NULL;
	struct conf *c;
	size_t i;
	int ok = 0;

	root = yconf_load(path);
	if (root == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		oom();
		goto out;
	}
	if (ynode_is_null(root) || root->type != YNODE_MAP) {
		yconf_error(root, "pipelines", "missing");
		goto out;
	}
	if (yconf_check_keys(root, keys) < 0 ||
	    yconf_map(root, "pipelines", &pls) < 0)
		goto out;
	if (pls == NULL || pls->n == 0) {
		yconf_error(pls ? pls : root, "pipelines", "none defined");
		goto out;
	}
	c->p = calloc(pls->n, sizeof(*c->p));
	if (c->p == NULL) {
		oom();
		goto out;
	}
	for (i = 0; i < pls->n; i++) {
		c->n++;
		if (load_pipeline(pls->items[i], pls->vals[i], &c->p[i]) < 0)
			goto out;
	}
	ok = 1;
out:
	yconf_free(root);
	if (!ok) {
		conf_free(c);
		return NULL;
	}
	return c;
}
