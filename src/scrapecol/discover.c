/* discover.c: a job's targets from static_configs and file_sd_configs, relabeled as Prometheus does. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "buf.h"
#include "clock.h"
#include "json.h"
#include "labels.h"
#include "log.h"
#include "parse.h"
#include "relabel.h"
#include "scrapecol.h"
#include "yconf.h"
#include "banned.h"

#define SD_FILE_MAX (16u << 20)

/* A target as discovery makes it, before it runs. */
struct cand {
	struct labels ls;
	char *url;
	int64_t interval_ms, timeout_ms;
	uint64_t id;
};

struct cands {
	struct cand *v;
	size_t n, cap;
	struct labels group;	/* labels of the group being read */
};

int
duration_format(struct buf *out, int64_t ms)
{
	static const struct { const char *u; int64_t ms; } units[] = {
		{ "y", 365LL * 86400000 }, { "w", 7LL * 86400000 },
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
		{ "s", 1000 }, { "ms", 1 },
	};
	size_t i;

	if (ms == 0)
		return buf_addstr(out, "0s");
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms < units[i].ms)
			continue;
		if (buf_addf(out, "%lld%s", (long long)(ms / units[i].ms),
		    units[i].u) < 0)
			return -1;
		ms %= units[i].ms;
	}
	return 0;
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

/* Go's url escaping: query components (space as '+') or paths. */
static int
url_escape(struct buf *out, const char *s, size_t n, int path)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int r;

		if (is_unreserved(c) ||
		    (path && c != '?' && strchr("$&+,/:;=@", c) != NULL && c))
			r = buf_addch(out, c);
		else if (c == ' ' && !path)
			r = buf_addch(out, '+');
		else
			r = buf_addf(out, "%%%02X", c);
		if (r < 0)
			return -1;
	}
	return 0;
}

int
query_escape(struct buf *out, const char *s, size_t n)
{
	return url_escape(out, s, n, 0);
}

/* What net.SplitHostPort says: 1 has a port, 0 a port can be added,
 * -1 neither (left alone, as Prometheus does). */
static int
addr_port(const char *a)
{
	const char *c;

	if (a[0] == '[') {
		c = strchr(a, ']');
		if (c == NULL)
			return -1;
		return c[1] == ':' ? 1 : c[1] == '\0' ? 0 : -1;
	}
	c = strchr(a, ':');
	if (c == NULL)
		return 0;
	return strchr(c + 1, ':') == NULL ? 1 : -1;
}

static int
set_default(struct labels *ls, const char *name, const char *value)
{
	if (labels_get(ls, name, NULL) != NULL)
		return 0;
	return labels_set(ls, name, strlen(name), value, strlen(value));
}

static int
param_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* scheme://address/path?params, the params of the job with __param_*
 * labels replacing the first value of each, keys sorted (url.Values). */
static char *
target_url(const struct job *job, const struct labels *ls)
{
	static const char pfx[] = "__param_";
	struct buf u = BUF_INIT(1 << 20);
	const char **keys = NULL;
	size_t nkeys = 0, i, j, n = job->nparams + ls->n;
	const char *path = labels_get(ls, "__metrics_path__", NULL);
	int first = 1;

	keys = calloc(n + 1, sizeof(*keys));
	if (keys == NULL)
		return NULL;
	for (i = 0; i < job->nparams; i++)
		keys[nkeys++] = job->params[i].name;
	for (i = 0; i < ls->n; i++) {
		const char *name = labels_name(ls, i);

		if (strncmp(name, pfx, sizeof(pfx) - 1) != 0)
			continue;
		for (j = 0; j < job->nparams; j++)
			if (strcmp(job->params[j].name,
			    name + sizeof(pfx) - 1) == 0)
				break;
		if (j == job->nparams)
			keys[nkeys++] = name + sizeof(pfx) - 1;
	}
	qsort(keys, nkeys, sizeof(*keys), param_cmp);
	if (buf_addf(&u, "%s://%s", labels_get(ls, "__scheme__", NULL),
	    labels_get(ls, "__address__", NULL)) < 0 ||
	    url_escape(&u, path ? path : "", path ? strlen(path) : 0, 1) < 0)
		goto fail;
	for (i = 0; i < nkeys; i++) {
		const struct sc_param *p = NULL;
		struct buf ln = BUF_INIT(4096);
		const char *over;
		size_t k, nv;

		for (j = 0; j < job->nparams; j++)
			if (strcmp(job->params[j].name, keys[i]) == 0)
				p = &job->params[j];
		if (buf_addf(&ln, "%s%s", pfx, keys[i]) < 0) {
			buf_free(&ln);
			goto fail;
		}
		over = labels_get(ls, ln.p, NULL);
		buf_free(&ln);
		nv = p ? p->nvalues : 0;
		if (nv == 0 && over != NULL)
			nv = 1;
		for (k = 0; k < nv; k++) {
			const char *v = k == 0 && over ? over : p->values[k];

			if (buf_addch(&u, first ? '?' : '&') < 0 ||
			    query_escape(&u, keys[i], strlen(keys[i])) < 0 ||
			    buf_addch(&u, '=') < 0 ||
			    query_escape(&u, v, strlen(v)) < 0)
				goto fail;
			first = 0;
		}
	}
	free(keys);
	return u.p;
fail:
	free(keys);
	buf_free(&u);
	return NULL;
}

/* One target of a group: Prometheus' PopulateLabels.  0 kept or
 * dropped, -1 out of memory. */
static int
add_target(struct job *job, struct cands *cs, const char *addr, size_t alen)
{
	struct cand c;
	struct buf tmp = BUF_INIT(4096);
	const char *a, *scheme, *iv, *to;
	size_t i;
	int r, port;

	memset(&c, 0, sizeof(c));
	labels_init(&c.ls);
	if (labels_copy(&c.ls, &cs->group) < 0 ||
	    labels_set(&c.ls, "__address__", 11, addr, alen) < 0 ||
	    set_default(&c.ls, "job", job->name) < 0 ||
	    set_default(&c.ls, "__scheme__", job->scheme) < 0 ||
	    set_default(&c.ls, "__metrics_path__", job->metrics_path) < 0 ||
	    duration_format(&tmp, job->interval_ms) < 0 ||
	    set_default(&c.ls, "__scrape_interval__", tmp.p) < 0)
		goto nomem;
	buf_reset(&tmp);
	if (duration_format(&tmp, job->timeout_ms) < 0 ||
	    set_default(&c.ls, "__scrape_timeout__", tmp.p) < 0)
		goto nomem;
	for (i = 0; i < job->nparams; i++) {
		buf_reset(&tmp);
		if (job->params[i].nvalues == 0)
			continue;
		if (buf_addf(&tmp, "__param_%s", job->params[i].name) < 0 ||
		    set_default(&c.ls, tmp.p, job->params[i].values[0]) < 0)
			goto nomem;
	}
	r = relabel_apply(&job->relabel, &c.ls);
	if (r < 0)
		goto nomem;
	if (r == 0)
		goto skip;
	a = labels_get(&c.ls, "__address__", NULL);
	if (a == NULL) {
		log_warn("job '%s': target dropped: no address", job->name);
		goto skip;
	}
	scheme = labels_get(&c.ls, "__scheme__", NULL);
	if (scheme == NULL || (strcmp(scheme, "http") != 0 &&
	    strcmp(scheme, "https") != 0)) {
		log_warn("job '%s': target '%s' dropped: invalid scheme "
		    "\"%s\"", job->name, a, scheme ? scheme : "");
		goto skip;
	}
	port = addr_port(a);
	if (port == 0) {
		buf_reset(&tmp);
		if (buf_addf(&tmp, "%s:%s", a,
		    strcmp(scheme, "https") == 0 ? "443" : "80") < 0 ||
		    labels_set(&c.ls, "__address__", 11, tmp.p, tmp.len) < 0)
			goto nomem;
		a = labels_get(&c.ls, "__address__", NULL);
	}
	if (strchr(a, '/') != NULL || a[0] == '\0') {
		log_warn("job '%s': target dropped: \"%s\" is not a valid "
		    "hostname", job->name, a);
		goto skip;
	}
	iv = labels_get(&c.ls, "__scrape_interval__", NULL);
	to = labels_get(&c.ls, "__scrape_timeout__", NULL);
	c.interval_ms = job->interval_ms;
	c.timeout_ms = job->timeout_ms;
	if ((iv && parse_duration(iv, strlen(iv), &c.interval_ms) < 0) ||
	    (to && parse_duration(to, strlen(to), &c.timeout_ms) < 0) ||
	    c.interval_ms <= 0 || c.timeout_ms <= 0) {
		log_warn("job '%s': target '%s' dropped: invalid scrape "
		    "interval or timeout", job->name, a);
		goto skip;
	}
	if (c.timeout_ms > c.interval_ms) {
		log_warn("job '%s': target '%s' dropped: scrape timeout "
		    "cannot be greater than scrape interval", job->name, a);
		goto skip;
	}
	for (i = c.ls.n; i-- > 0;)
		if (strncmp(labels_name(&c.ls, i), "__meta_", 7) == 0 &&
		    labels_del(&c.ls, labels_name(&c.ls, i),
		    c.ls.v[i].nlen) < 0)
			goto nomem;
	a = labels_get(&c.ls, "__address__", NULL);
	buf_reset(&tmp);
	if (buf_addstr(&tmp, a) < 0 ||
	    set_default(&c.ls, "instance", tmp.p) < 0)
		goto nomem;
	c.url = target_url(job, &c.ls);
	if (c.url == NULL)
		goto nomem;
	c.id = labels_hash(&c.ls);
	for (i = 0; i < cs->n; i++)
		if (cs->v[i].id == c.id && labels_cmp(&cs->v[i].ls, &c.ls) == 0)
			goto skip;
	if (cs->n == cs->cap) {
		size_t ncap = cs->cap ? cs->cap * 2 : 16;
		struct cand *nv = realloc(cs->v, ncap * sizeof(*nv));

		if (nv == NULL)
			goto nomem;
		cs->v = nv;
		cs->cap = ncap;
	}
	cs->v[cs->n++] = c;
	buf_free(&tmp);
	return 0;
skip:
	labels_free(&c.ls);
	free(c.url);
	buf_free(&tmp);
	return 0;
nomem:
	log_errno("job '%s': target '%.*s'", job->name, (int)alen, addr);
	labels_free(&c.ls);
	free(c.url);
	buf_free(&tmp);
	return -1;
}

/* A static_configs entry, or one group of a YAML file_sd file. */
static int
add_ygroup(struct job *job, struct cands *cs, const struct ynode *g)
{
	const struct ynode *tg = ynode_get(g, "targets");
	const struct ynode *lb = ynode_get(g, "labels");
	size_t i;

	for (i = 0; lb != NULL && lb->type == YNODE_MAP && i < lb->n; i++)
		if (!ynode_is_null(lb->vals[i]) &&
		    labels_set(&cs->group, lb->items[i]->str,
		    lb->items[i]->len, lb->vals[i]->str, lb->vals[i]->len) < 0)
			return -1;
	for (i = 0; tg != NULL && tg->type == YNODE_SEQ && i < tg->n; i++)
		if (add_target(job, cs, tg->items[i]->str,
		    tg->items[i]->len) < 0)
			return -1;
	return 0;
}

static int
add_jgroup(struct job *job, struct cands *cs, const struct json *g)
{
	const struct json *tg = json_get(g, "targets", 7);
	const struct json *lb = json_get(g, "labels", 6), *x;

	for (x = lb ? lb->child : NULL; x != NULL; x = x->next)
		if (labels_set(&cs->group, x->key, x->klen, x->str,
		    x->len) < 0)
			return -1;
	for (x = tg ? tg->child : NULL; x != NULL; x = x->next)
		if (add_target(job, cs, x->str, x->len) < 0)
			return -1;
	return 0;
}

/* Checks a group read from a file_sd file; "" when good, else why not. */
static const char *
check_jgroup(const struct json *g)
{
	const struct json *tg, *lb, *x;

	if (g->type != JSON_OBJECT)
		return "a target group is not an object";
	tg = json_get(g, "targets", 7);
	lb = json_get(g, "labels", 6);
	if (tg != NULL && tg->type != JSON_ARRAY)
		return "targets is not a list";
	for (x = tg ? tg->child : NULL; x != NULL; x = x->next)
		if (x->type != JSON_STRING)
			return "a target is not a string";
	if (lb != NULL && lb->type != JSON_OBJECT && lb->type != JSON_NULL)
		return "labels is not an object";
	for (x = lb && lb->type == JSON_OBJECT ? lb->child : NULL; x != NULL;
	    x = x->next) {
		if (!label_name_valid(x->key, x->klen))
			return "invalid label name";
		if (x->type != JSON_STRING)
			return "a label value is not a string";
	}
	return "";
}

static const char *
check_ygroup(const struct ynode *g)
{
	const struct ynode *tg, *lb;
	size_t i;

	if (g->type != YNODE_MAP)
		return "a target group is not a mapping";
	tg = ynode_get(g, "targets");
	lb = ynode_get(g, "labels");
	if (tg != NULL && !ynode_is_null(tg) && tg->type != YNODE_SEQ)
		return "targets is not a list";
	for (i = 0; tg != NULL && tg->type == YNODE_SEQ && i < tg->n; i++)
		if (tg->items[i]->type != YNODE_SCALAR)
			return "a target is not a string";
	if (lb != NULL && !ynode_is_null(lb) && lb->type != YNODE_MAP)
		return "labels is not a mapping";
	for (i = 0; lb != NULL && lb->type == YNODE_MAP && i < lb->n; i++) {
		if (!label_name_valid(lb->items[i]->str, lb->items[i]->len))
			return "invalid label name";
		if (lb->vals[i]->type != YNODE_SCALAR)
			return "a label value is not a string";
	}
	return "";
}

/*
 * The groups of one file_sd file.  A file that cannot be read or parsed
 * keeps the targets it had (what Prometheus does): returns 1 then, so
 * the caller uses the last good contents.
 */
static int
add_file(struct job *job, struct cands *cs, const char *path,
	 const char *data, size_t len)
{
	const char *ext = strrchr(path, '.');
	size_t i;
	int rc = 0;

	if (ext != NULL && strcmp(ext, ".json") == 0) {
		struct json_doc doc;
		struct json_err err;
		const struct json *root, *g;
		const char *why = "";

		json_doc_init(&doc);
		doc.max_len = SD_FILE_MAX;
		root = json_parse(&doc, data, len, &err);
		if (root == NULL) {
			log_error("file_sd '%s': %s at byte %zu", path, err.msg,
			    err.off);
			json_doc_free(&doc);
			return 1;
		}
		if (root->type != JSON_ARRAY)
			why = "not a list of target groups";
		for (g = root->child; *why == '\0' && g != NULL; g = g->next)
			why = check_jgroup(g);
		if (*why != '\0') {
			log_error("file_sd '%s': %s", path, why);
			json_doc_free(&doc);
			return 1;
		}
		for (g = root->child; rc == 0 && g != NULL; g = g->next) {
			labels_reset(&cs->group);
			if (labels_set(&cs->group, "__meta_filepath", 15, path,
			    strlen(path)) < 0 || add_jgroup(job, cs, g) < 0)
				rc = -1;
		}
		json_doc_free(&doc);
		return rc;
	} else {
		struct ynode *root = yconf_parse(data, len, path);
		const char *why = "";

		if (root == NULL)
			return 1;
		if (!ynode_is_null(root) && root->type != YNODE_SEQ)
			why = "not a list of target groups";
		for (i = 0; *why == '\0' && root->type == YNODE_SEQ &&
		    i < root->n; i++)
			why = check_ygroup(root->items[i]);
		if (*why != '\0') {
			log_error("file_sd '%s': %s", path, why);
			yconf_free(root);
			return 1;
		}
		for (i = 0; rc == 0 && root->type == YNODE_SEQ && i < root->n;
		    i++) {
			labels_reset(&cs->group);
			if (labels_set(&cs->group, "__meta_filepath", 15, path,
			    strlen(path)) < 0 ||
			    add_ygroup(job, cs, root->items[i]) < 0)
				rc = -1;
		}
		yconf_free(root);
		return rc;
	}
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sd_file *)a)->path,
	    ((const struct sd_file *)b)->path);
}

static void
files_free(struct sd_file *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].data);
	}
	free(f);
}

/* The files the patterns match now, sorted, with their identity. */
static int
files_scan(const struct sd_files *sd, struct sd_file **out, size_t *nout)
{
	struct sd_file *v = NULL;
	size_t n = 0, cap = 0, i, j;

	for (i = 0; i < sd->npatterns; i++) {
		glob_t g;
		int r = glob(sd->patterns[i], 0, NULL, &g);

		if (r == GLOB_NOMATCH)
			continue;
		if (r != 0) {
			files_free(v, n);
			return -1;
		}
		for (j = 0; j < g.gl_pathc; j++) {
			struct stat st;
			size_t k;

			if (stat(g.gl_pathv[j], &st) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			for (k = 0; k < n; k++)
				if (strcmp(v[k].path, g.gl_pathv[j]) == 0)
					break;
			if (k < n)
				continue;
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct sd_file *nv = realloc(v,
				    ncap * sizeof(*nv));

				if (nv == NULL)
					goto nomem;
				v = nv;
				cap = ncap;
			}
			memset(&v[n], 0, sizeof(v[n]));
			v[n].path = strdup(g.gl_pathv[j]);
			if (v[n].path == NULL)
				goto nomem;
			v[n].dev = st.st_dev;
			v[n].ino = st.st_ino;
			v[n].size = st.st_size;
			v[n].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
			    st.st_mtim.tv_nsec;
			n++;
			continue;
nomem:
			globfree(&g);
			files_free(v, n);
			return -1;
		}
		globfree(&g);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), file_cmp);
	*out = v;
	*nout = n;
	return 0;
}

int
discover_changed(struct job *job)
{
	size_t i, k;
	int changed = 0;

	for (i = 0; i < job->nsd && !changed; i++) {
		struct sd_files *sd = &job->sd[i];
		struct sd_file *now = NULL;
		size_t n = 0;

		if (clock_mono_ms() >= sd->next_refresh)
			return 1;
		if (files_scan(sd, &now, &n) < 0)
			continue;
		if (n != sd->nfiles)
			changed = 1;
		for (k = 0; k < n && !changed; k++) {
			const struct sd_file *a = &now[k], *b = &sd->files[k];

			if (strcmp(a->path, b->path) != 0 || a->dev != b->dev ||
			    a->ino != b->ino || a->size != b->size ||
			    a->mtime_ns != b->mtime_ns)
				changed = 1;
		}
		files_free(now, n);
	}
	return changed;
}

/* Reads the files of one file_sd_configs entry into cs. */
static int
discover_files(struct job *job, struct sd_files *sd, struct cands *cs)
{
	struct sd_file *now = NULL;
	size_t n = 0, i, k;
	int rc = 0;

	sd->next_refresh = clock_mono_ms() + sd->refresh_ms;
	if (files_scan(sd, &now, &n) < 0) {
		log_errno("job '%s': file_sd", job->name);
		now = NULL;
		n = 0;
	}
	for (i = 0; i < n && rc == 0; i++) {
		char *data = NULL;
		size_t len = 0;
		int r = -1;

		if (file_read_all(now[i].path, SD_FILE_MAX, &data, &len) < 0)
			log_errno("file_sd: cannot read '%s'", now[i].path);
		else
			r = add_file(job, cs, now[i].path, data, len);
		if (r == 0) {
			now[i].data = data;
			now[i].len = len;
			continue;
		}
		free(data);
		if (r < 0) {
			rc = -1;
			break;
		}
		/* Bad now: the last good contents stand. */
		for (k = 0; k < sd->nfiles; k++)
			if (strcmp(sd->files[k].path, now[i].path) == 0 &&
			    sd->files[k].data != NULL)
				break;
		if (k == sd->nfiles)
			continue;
		now[i].data = sd->files[k].data;
		now[i].len = sd->files[k].len;
		sd->files[k].data = NULL;
		if (add_file(job, cs, now[i].path, now[i].data,
		    now[i].len) < 0)
			rc = -1;
	}
	files_free(sd->files, sd->nfiles);
	sd->files = now;
	sd->nfiles = n;
	return rc;
}

static void
cands_free(struct cands *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		labels_free(&cs->v[i].ls);
		free(cs->v[i].url);
	}
	free(cs->v);
	labels_free(&cs->group);
}

/* A running target of old with these labels, taken out of it. */
static struct target *
take_target(struct job *old, const struct cand *c)
{
	size_t j;

	for (j = 0; old != NULL && j < old->ntargets; j++) {
		struct target *t = old->targets[j];

		if (t != NULL && t->id == c->id &&
		    labels_cmp(&t->labels, &c->ls) == 0) {
			old->targets[j] = NULL;
			return t;
		}
	}
	return NULL;
}

int
discover_job(struct job *job, struct job *prev, int once)
{
	struct cands cs;
	struct target **nt;
	size_t i, j, n = 0;
	int rc = 0;

	memset(&cs, 0, sizeof(cs));
	labels_init(&cs.group);
	for (i = 0; i < job->ngroups && rc == 0; i++) {
		labels_reset(&cs.group);
		rc = add_ygroup(job, &cs, job->groups[i]);
	}
	for (i = 0; i < job->nsd && rc == 0; i++)
		rc = discover_files(job, &job->sd[i], &cs);
	if (rc < 0) {
		cands_free(&cs);
		return -1;
	}
	if (job->target_limit > 0 && cs.n > (size_t)job->target_limit) {
		log_error("job '%s': target_limit exceeded (number of "
		    "targets: %zu, limit: %ld): no target scraped", job->name,
		    cs.n, job->target_limit);
		for (i = 0; i < cs.n; i++) {
			labels_free(&cs.v[i].ls);
			free(cs.v[i].url);
		}
		cs.n = 0;
	}
	nt = calloc(cs.n + 1, sizeof(*nt));
	if (nt == NULL) {
		cands_free(&cs);
		return -1;
	}
	/* Targets that stay keep running; new ones start; gone ones stop. */
	for (i = 0; i < cs.n; i++) {
		struct cand *c = &cs.v[i];
		struct target *t = NULL;

		t = take_target(job, c);
		if (t == NULL) {
			struct target *was = take_target(prev, c);

			t = target_new(job, &c->ls, c->url, c->interval_ms,
			    c->timeout_ms);
			if (t == NULL) {
				target_stop(was, 1);
				rc = -1;
				continue;
			}
			t->once = once;
			/* The same target under a reloaded config: it goes
			 * on from what it wrote last, without stale marks. */
			if (was != NULL)
				target_adopt(t, was);
			if (target_start(t) < 0) {
				target_stop(t, 0);
				rc = -1;
				continue;
			}
		}
		nt[n++] = t;
	}
	for (j = 0; j < job->ntargets; j++)
		if (job->targets[j] != NULL)
			target_stop(job->targets[j], 1);
	free(job->targets);
	job->targets = nt;
	job->ntargets = n;
	cands_free(&cs);
	return rc;
}
