/* textfile.c: the textfile collector (*.prom files in --collector.textfile.directory, node_exporter's rules). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expo.h"
#include "hostcol.h"
#include "labels.h"
#include "log.h"
#include "record.h"
#include "banned.h"

#define TF_MAX_LABELS 64

/* One sample of a file, held until the file's families are complete. */
struct tf_sample {
	char *fam;
	enum out_type type;
	int kind;
	double bound;
	double v;
	struct labels ls;	/* without __name__, le and quantile */
};

struct tf_fam {
	char *name;
	char *help;		/* NULL: none in the file */
	enum out_type type;
};

struct tf_file {
	struct tf_sample *s;
	size_t n, cap;
	struct tf_fam *f;
	size_t nf, capf;
};

static void tf_file_free(struct tf_file *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->s[i].fam);
		labels_free(&t->s[i].ls);
	}
	for (i = 0; i < t->nf; i++) {
		free(t->f[i].name);
		free(t->f[i].help);
	}
	free(t->s);
	free(t->f);
	memset(t, 0, sizeof(*t));
}

static struct tf_fam *tf_fam_get(struct tf_file *t, const char *name,
				 enum out_type type)
{
	size_t i;
	struct tf_fam *f;

	for (i = 0; i < t->nf; i++)
		if (strcmp(t->f[i].name, name) == 0)
			return &t->f[i];
	if (t->nf == t->capf) {
		size_t cap = t->capf ? t->capf * 2 : 16;
		struct tf_fam *nf = realloc(t->f, cap * sizeof(*nf));

		if (!nf)
			return NULL;
		t->f = nf;
		t->capf = cap;
	}
	f = &t->f[t->nf];
	f->name = strdup(name);
	f->help = NULL;
	f->type = type;
	if (!f->name)
		return NULL;
	t->nf++;
	return f;
}

static enum out_type expo_to_out(enum expo_type t)
{
	switch (t) {
	case EXPO_COUNTER:
		return OUT_COUNTER;
	case EXPO_GAUGE:
		return OUT_GAUGE;
	case EXPO_HISTOGRAM:
		return OUT_HISTOGRAM;
	case EXPO_SUMMARY:
		return OUT_SUMMARY;
	default:
		return OUT_UNTYPED;
	}
}

static int ends_with(const char *s, size_t n, const char *suf, size_t *base)
{
	size_t sl = strlen(suf);

	if (n < sl || memcmp(s + n - sl, suf, sl) != 0)
		return 0;
	*base = n - sl;
	return 1;
}

/* Adds one parsed sample to the file's families. */
static int tf_add(struct tf_file *t, const struct expo *ex,
		  const struct record *rec)
{
	const char *name = labels_get(&rec->labels, LABELS_NAME, NULL);
	size_t nl = name ? strlen(name) : 0, base = 0, i;
	const char *fam = ex->family.p ? ex->family.p : "";
	size_t fl = ex->family.len;
	enum out_type type = OUT_UNTYPED;
	int kind = OUT_PLAIN, same = 0;
	double bound = 0;
	struct tf_sample *s;
	char *famname;

	if (!name)
		return -1;
	if (fl && ex->family_type == EXPO_HISTOGRAM) {
		if (ends_with(name, nl, "_bucket", &base) && base == fl &&
		    !memcmp(name, fam, fl))
			kind = OUT_BUCKET;
		else if (ends_with(name, nl, "_sum", &base) && base == fl &&
			 !memcmp(name, fam, fl))
			kind = OUT_SUM;
		else if (ends_with(name, nl, "_count", &base) && base == fl &&
			 !memcmp(name, fam, fl))
			kind = OUT_COUNT;
		same = kind != OUT_PLAIN;
	} else if (fl && ex->family_type == EXPO_SUMMARY) {
		if (nl == fl && !memcmp(name, fam, fl))
			kind = OUT_QUANTILE;
		else if (ends_with(name, nl, "_sum", &base) && base == fl &&
			 !memcmp(name, fam, fl))
			kind = OUT_SUM;
		else if (ends_with(name, nl, "_count", &base) && base == fl &&
			 !memcmp(name, fam, fl))
			kind = OUT_COUNT;
		same = kind != OUT_PLAIN;
	} else if (fl && nl == fl && !memcmp(name, fam, fl)) {
		same = 1;
	}
	if (same)
		type = expo_to_out(ex->family_type);
	famname = same ? strdup(fam) : strdup(name);
	if (!famname)
		return -1;
	if (!tf_fam_get(t, famname, type)) {
		free(famname);
		return -1;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tf_sample *ns = realloc(t->s, cap * sizeof(*ns));

		if (!ns) {
			free(famname);
			return -1;
		}
		t->s = ns;
		t->cap = cap;
	}
	s = &t->s[t->n];
	s->fam = famname;
	s->type = type;
	s->kind = kind;
	s->v = rec->value;
	s->bound = 0;
	labels_init(&s->ls);
	t->n++;
	for (i = 0; i < rec->labels.n; i++) {
		const char *ln = labels_name(&rec->labels, i);
		const char *lv = labels_value(&rec->labels, i);

		if (strcmp(ln, LABELS_NAME) == 0)
			continue;
		if ((kind == OUT_BUCKET && strcmp(ln, "le") == 0) ||
		    (kind == OUT_QUANTILE && strcmp(ln, "quantile") == 0)) {
			if (hc_parse_f64(lv, strlen(lv), &bound) < 0)
				return -1;
			continue;
		}
		if (labels_push(&s->ls, ln, strlen(ln), lv, strlen(lv)) < 0)
			return -1;
	}
	s->bound = bound;
	if ((kind == OUT_BUCKET || kind == OUT_QUANTILE) && bound != bound)
		return -1;
	return 0;
}

/* Parses one file; -1 (with *why set) if it is not valid or has timestamps. */
static int tf_parse(const char *path, struct tf_file *t, const char **why,
		    double *mtime)
{
	struct buf b = BUF_INIT(HC_FILE_MAX);
	struct expo ex;
	struct record rec;
	struct stat st;
	const char *line;
	size_t llen, pos = 0;
	int rc = -1;

	expo_init(&ex, 0);
	record_init(&rec);
	*why = "cannot read";
	if (hc_read(path, &b) < 0)
		goto out;
	while (hc_line(b.p, b.len, &pos, &line, &llen)) {
		const char *err = NULL;
		size_t col = 0;
		enum expo_result r;

		r = expo_parse_line(&ex, line, llen, &rec, &err, &col);
		if (r == EXPO_ERROR) {
			*why = err ? err : "malformed";
			goto out;
		}
		if (r == EXPO_META && rec.meta == META_HELP) {
			struct tf_fam *f;
			size_t i;
			enum out_type type = OUT_UNTYPED;

			for (i = 0; i < t->nf; i++)
				if (strcmp(t->f[i].name, buf_cstr(&rec.meta_name)) == 0)
					type = t->f[i].type;
			f = tf_fam_get(t, buf_cstr(&rec.meta_name), type);
			if (!f)
				goto out;
			free(f->help);
			f->help = strdup(buf_cstr(&rec.text));
			if (!f->help)
				goto out;
		} else if (r == EXPO_META && rec.meta == META_TYPE) {
			struct tf_fam *f = tf_fam_get(t, buf_cstr(&rec.meta_name),
						      expo_to_out(ex.family_type));

			if (!f)
				goto out;
			f->type = expo_to_out(ex.family_type);
		} else if (r == EXPO_SAMPLE) {
			if (rec.has_ts) {
				*why = "contains unsupported client-side timestamps, skipping entire file";
				goto out;
			}
			if (tf_add(t, &ex, &rec) < 0) {
				*why = "malformed";
				goto out;
			}
		}
	}
	if (stat(path, &st) < 0) {
		*why = "cannot stat";
		goto out;
	}
	*mtime = (double)st.st_mtim.tv_sec;
	rc = 0;
out:
	record_free(&rec);
	expo_free(&ex);
	buf_free(&b);
	return rc;
}

struct tf_seen {
	char *name;
	char *help;		/* the first help text seen, or NULL */
	char *files;		/* ", "-joined paths that gave the family */
	int conflict;
};

struct tf_state {
	struct tf_seen *v;
	size_t n, cap;
};

static struct tf_seen *seen_get(struct tf_state *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->v[i].name, name) == 0)
			return &st->v[i];
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 32;
		struct tf_seen *nv = realloc(st->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		st->v = nv;
		st->cap = cap;
	}
	memset(&st->v[st->n], 0, sizeof(st->v[st->n]));
	st->v[st->n].name = strdup(name);
	if (!st->v[st->n].name)
		return NULL;
	return &st->v[st->n++];
}

/* Emits one family of one file, every series with the union of the
 * family's label names (missing ones empty), as node_exporter does. */
static int emit_family(struct out *o, const struct tf_file *t,
		       const struct tf_fam *f, const char *help)
{
	const char *names[TF_MAX_LABELS], *values[TF_MAX_LABELS];
	const char *all[TF_MAX_LABELS];
	size_t nall = 0, i, j, k;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->s[i].fam, f->name) != 0)
			continue;
		for (j = 0; j < t->s[i].ls.n; j++) {
			const char *ln = labels_name(&t->s[i].ls, j);

			for (k = 0; k < nall; k++)
				if (strcmp(all[k], ln) == 0)
					break;
			if (k == nall) {
				if (nall == TF_MAX_LABELS)
					return -1;
				all[nall++] = ln;
			}
		}
	}
	for (i = 0; i < t->n; i++) {
		const struct tf_sample *s = &t->s[i];

		if (strcmp(s->fam, f->name) != 0)
			continue;
		for (k = 0; k < nall; k++) {
			const char *v = labels_get(&s->ls, all[k], NULL);

			names[k] = all[k];
			values[k] = v ? v : "";
		}
		if (out_add_part(o, f->name, help, f->type, s->kind, s->bound,
				 s->v, nall, names, values) < 0)
			return -1;
	}
	return 0;
}

static int textfile_dir(struct hc *hc, struct out *o, const char *dir,
			struct tf_state *st, struct tf_file *files,
			char **paths, double *mtimes, size_t *nfiles,
			int *errored)
{
	struct names ls;
	size_t i;

	(void)hc;
	if (hc_list(dir, &ls) < 0) {
		if (*dir) {
			log_error("textfile: cannot read directory '%s': %s",
				  dir, strerror(errno));
			*errored = 1;
		}
		return 0;
	}
	for (i = 0; i < ls.n; i++) {
		size_t nl = strlen(ls.v[i]), k;
		char path[PATH_MAX];
		struct tf_file t;
		const char *why;
		double mt;

		if (nl < 5 || strcmp(ls.v[i] + nl - 5, ".prom") != 0)
			continue;
		if (hc_path(path, sizeof(path), dir, ls.v[i]) < 0)
			continue;
		memset(&t, 0, sizeof(t));
		if (tf_parse(path, &t, &why, &mt) < 0) {
			log_error("textfile: failed to parse '%s': %s", path, why);
			*errored = 1;
			tf_file_free(&t);
			continue;
		}
		for (k = 0; k < t.nf; k++) {
			struct tf_seen *s = seen_get(st, t.f[k].name);
			size_t fl;
			char *nf;

			if (!s)
				goto nomem;
			if (s->files && ((t.f[k].help && s->help &&
					  strcmp(s->help, t.f[k].help) != 0) ||
					 s->conflict)) {
				log_error("textfile: inconsistent help text for '%s' in '%s'",
					  t.f[k].name, path);
				s->conflict = 1;
				*errored = 1;
				/* This file's copy of the family is dropped. */
				free(t.f[k].name);
				t.f[k].name = strdup("");
				if (!t.f[k].name)
					goto nomem;
				continue;
			}
			if (t.f[k].help && !s->help) {
				s->help = strdup(t.f[k].help);
				if (!s->help)
					goto nomem;
			}
			fl = (s->files ? strlen(s->files) + 2 : 0) + strlen(path) + 1;
			nf = malloc(fl);
			if (!nf)
				goto nomem;
			hc_fmt(nf, fl, "%s%s%s", s->files ? s->files : "",
				 s->files ? ", " : "", path);
			free(s->files);
			s->files = nf;
		}
		files[*nfiles] = t;
		paths[*nfiles] = strdup(path);
		mtimes[*nfiles] = mt;
		if (!paths[*nfiles]) {
			tf_file_free(&t);
			goto nomem;
		}
		(*nfiles)++;
		if (*nfiles >= 4096)
			break;
	}
	hc_names_free(&ls);
	(void)o;
	return 0;
nomem:
	hc_names_free(&ls);
	return -1;
}

#define TF_FILES_MAX 4096

/* The per-file tables are as long as the cap and zeroed once: clearing
 * them every cycle cost more than the rest of the collector. */
static struct tf_file *tf_files;
static char **tf_paths;
static double *tf_mtimes;

void textfile_cleanup(void)
{
	free(tf_files);
	free(tf_paths);
	free(tf_mtimes);
	tf_files = NULL;
	tf_paths = NULL;
	tf_mtimes = NULL;
}

int textfile_update(struct hc *hc, struct out *o)
{
	struct tf_state st = { NULL, 0, 0 };
	struct tf_file *files;
	char **paths;
	double *mtimes;
	size_t nfiles = 0, i, k, d;
	int errored = 0, rc = HC_FAIL;

	if (hc->ntextfile_dirs > 0 && !tf_files) {
		tf_files = calloc(TF_FILES_MAX, sizeof(*tf_files));
		tf_paths = calloc(TF_FILES_MAX, sizeof(*tf_paths));
		tf_mtimes = calloc(TF_FILES_MAX, sizeof(*tf_mtimes));
		if (!tf_files || !tf_paths || !tf_mtimes) {
			textfile_cleanup();
			return HC_FAIL;
		}
	}
	files = tf_files;
	paths = tf_paths;
	mtimes = tf_mtimes;
	for (d = 0; d < hc->ntextfile_dirs; d++) {
		const char *pat = hc->textfile_dirs[d];
		glob_t g;

		if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
			if (textfile_dir(hc, o, pat, &st, files, paths, mtimes,
					 &nfiles, &errored) < 0) {
				globfree(&g);
				goto out;
			}
		} else {
			for (i = 0; i < g.gl_pathc; i++)
				if (textfile_dir(hc, o, g.gl_pathv[i], &st,
						 files, paths, mtimes, &nfiles,
						 &errored) < 0) {
					globfree(&g);
					goto out;
				}
		}
		globfree(&g);
	}
	for (i = 0; i < nfiles; i++) {
		for (k = 0; k < files[i].nf; k++) {
			const struct tf_fam *f = &files[i].f[k];
			struct tf_seen *s;
			char *help = NULL;
			int rc2;

			if (!*f->name)
				continue;
			s = seen_get(&st, f->name);
			if (!s)
				goto out;
			if (f->help) {
				rc2 = emit_family(o, &files[i], f, f->help);
			} else if (s->help) {
				rc2 = emit_family(o, &files[i], f, s->help);
			} else {
				size_t hl = strlen(s->files ? s->files : "") + 32;

				help = malloc(hl);
				if (!help)
					goto out;
				hc_fmt(help, hl, "Metric read from %s",
					 s->files ? s->files : "");
				rc2 = emit_family(o, &files[i], f, help);
				free(help);
			}
			if (rc2 < 0)
				goto out;
		}
	}
	for (i = 0; i < nfiles; i++)
		if (out_add(o, "node_textfile_mtime_seconds",
			    "Unixtime mtime of textfiles successfully read.",
			    OUT_GAUGE, mtimes[i], "file", paths[i], NULL) < 0)
			goto out;
	if (out_add(o, "node_textfile_scrape_error",
		    "1 if there was an error opening or reading a file, 0 otherwise",
		    OUT_GAUGE, errored ? 1.0 : 0.0, NULL) < 0)
		goto out;
	rc = HC_OK;
out:
	for (i = 0; i < nfiles; i++) {
		tf_file_free(&files[i]);
		free(paths[i]);
		paths[i] = NULL;
		mtimes[i] = 0;
	}
	for (i = 0; i < st.n; i++) {
		free(st.v[i].name);
		free(st.v[i].help);
		free(st.v[i].files);
	}
	free(st.v);
	return rc;
}
