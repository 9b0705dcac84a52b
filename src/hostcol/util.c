/* util.c: file reading, field splitting, listings and regex filters for the collectors. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "value.h"
#include "banned.h"

int hc_fmt(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

int hc_path(char *dst, size_t size, const char *root, const char *rel)
{
	size_t rl = strlen(root);
	int n;

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	while (*rel == '/')
		rel++;
	if (rl == 1 && root[0] == '/')
		n = snprintf(dst, size, "/%s", rel);
	else if (!*rel)
		n = snprintf(dst, size, "%.*s", (int)rl, root);
	else
		n = snprintf(dst, size, "%.*s/%s", (int)rl, root, rel);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int hc_read(const char *path, struct buf *b)
{
	int fd, saved;
	ssize_t r;

	buf_reset(b);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		if (b->cap - b->len < 4096 + 1 && buf_grow(b, 8192) < 0)
			goto fail;
		r = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
		if (b->len > HC_FILE_MAX) {
			errno = EFBIG;
			goto fail;
		}
	}
	b->p[b->len] = '\0';
	close(fd);
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int hc_read_str(const char *path, struct buf *b)
{
	size_t s = 0, e;

	if (hc_read(path, b) < 0)
		return -1;
	if (!b->p && buf_addstr(b, "") < 0)
		return -1;
	e = b->len;
	while (e > 0 && isspace((unsigned char)b->p[e - 1]))
		e--;
	while (s < e && isspace((unsigned char)b->p[s]))
		s++;
	memmove(b->p, b->p + s, e - s);
	buf_truncate(b, e - s);
	b->p[b->len] = '\0';
	return 0;
}

int hc_read_u64(const char *path, uint64_t *v)
{
	struct buf b = BUF_INIT(65536);
	int rc = -1;

	if (hc_read_str(path, &b) == 0)
		rc = parse_u64(b.p, b.len, 0, UINT64_MAX, v);
	buf_free(&b);
	return rc;
}

int hc_read_i64(const char *path, int64_t *v)
{
	struct buf b = BUF_INIT(65536);
	int rc = -1;

	if (hc_read_str(path, &b) == 0) {
		if (b.len > 0 && b.p[0] == '-') {
			uint64_t u;

			rc = parse_u64(b.p + 1, b.len - 1, 0,
				       (uint64_t)INT64_MAX + 1, &u);
			if (rc == 0)
				*v = u == (uint64_t)INT64_MAX + 1 ?
					INT64_MIN : -(int64_t)u;
		} else {
			rc = parse_i64(b.p, b.len, INT64_MIN, INT64_MAX, v);
		}
	}
	buf_free(&b);
	return rc;
}

size_t hc_fields(const char *p, size_t len, struct field *f, size_t max)
{
	size_t i = 0, n = 0;

	while (i < len && n < max) {
		while (i < len && isspace((unsigned char)p[i]))
			i++;
		if (i == len)
			break;
		f[n].p = p + i;
		while (i < len && !isspace((unsigned char)p[i]))
			i++;
		f[n].n = (size_t)(p + i - f[n].p);
		n++;
	}
	return n;
}

int hc_line(const char *p, size_t len, size_t *pos, const char **line,
	    size_t *llen)
{
	const char *nl;

	if (*pos >= len)
		return 0;
	*line = p + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*llen = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *llen + (nl != NULL);
	return 1;
}

int hc_field_u64(const struct field *f, uint64_t *v)
{
	return parse_u64(f->p, f->n, 0, UINT64_MAX, v);
}

int hc_parse_f64(const char *s, size_t n, double *v)
{
	/* value_parse takes Go's ParseFloat grammar plus "stale", which no
	 * kernel file writes and which we refuse here. */
	if (n == 5 && strncmp(s, "stale", 5) == 0) {
		errno = EINVAL;
		return -1;
	}
	if (n > 0 && (s[0] == '0') && n > 2 && (s[1] == 'x' || s[1] == 'X')) {
		errno = EINVAL;
		return -1;
	}
	return value_parse(s, n, v);
}

int hc_field_f64(const struct field *f, double *v)
{
	return hc_parse_f64(f->p, f->n, v);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void hc_sort_strings(char **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), str_cmp);
}

static int list(const char *dir, const char *prefix, struct names *out)
{
	size_t cap = 0, pl = prefix ? strlen(prefix) : 0;
	struct dirent *de;
	DIR *d;

	out->v = NULL;
	out->n = 0;
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *s;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (prefix && (strncmp(de->d_name, prefix, pl) != 0 ||
			       !isdigit((unsigned char)de->d_name[pl])))
			continue;
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char **nv = realloc(out->v, nc * sizeof(*nv));

			if (!nv)
				goto fail;
			out->v = nv;
			cap = nc;
		}
		s = strdup(de->d_name);
		if (!s)
			goto fail;
		out->v[out->n++] = s;
	}
	closedir(d);
	hc_sort_strings(out->v, out->n);
	return 0;
fail:
	closedir(d);
	hc_names_free(out);
	errno = ENOMEM;
	return -1;
}

int hc_list(const char *dir, struct names *out)
{
	return list(dir, NULL, out);
}

int hc_list_prefix(const char *dir, const char *prefix, struct names *out)
{
	return list(dir, prefix, out);
}

void hc_names_free(struct names *n)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
	n->v = NULL;
	n->n = 0;
}

int regex_compile(void **re, const char *what, const char *pattern)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *c;

	*re = NULL;
	if (!pattern || !*pattern)
		return 0;
	c = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			  PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off,
			  NULL);
	if (!c) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(err, msg, sizeof(msg));
		log_error("bad regular expression for %s '%s': %s at offset %zu",
			  what, pattern, (const char *)msg, (size_t)off);
		return -1;
	}
	(void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	*re = c;
	return 0;
}

static pcre2_match_data *shared_md;

int regex_match(void *re, const char *s, size_t n)
{
	int rc;

	if (!shared_md) {
		shared_md = pcre2_match_data_create(1, NULL);
		if (!shared_md)
			return 0;
	}
	rc = pcre2_match((pcre2_code *)re, (PCRE2_SPTR)s, n, 0, 0, shared_md,
			 NULL);
	return rc >= 0;
}

void regex_free(void *re)
{
	pcre2_code_free((pcre2_code *)re);
}

int filter_init(struct filter *f, const char *what, const char *exclude,
		const char *include)
{
	memset(f, 0, sizeof(*f));
	if (regex_compile(&f->exclude, what, exclude) < 0 ||
	    regex_compile(&f->include, what, include) < 0) {
		filter_free(f);
		return -1;
	}
	return 0;
}

int filter_ignored(struct filter *f, const char *s)
{
	size_t n = strlen(s);

	return (f->exclude && regex_match(f->exclude, s, n)) ||
	       (f->include && !regex_match(f->include, s, n));
}

void filter_free(struct filter *f)
{
	regex_free(f->exclude);
	regex_free(f->include);
	memset(f, 0, sizeof(*f));
}
