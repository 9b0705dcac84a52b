/* positions.c: how far logtail read each file and container, kept in a file. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "buf.h"
#include "log.h"
#include "logtail.h"
#include "parse.h"
#include "banned.h"

/*
 * The file is text, one position a line, "VALUE DEV INO KEY": the key
 * last, so a path may hold blanks; a newline in a path is written as \n
 * and a backslash as \\.  A first line "# logtail positions 1" names the
 * format.
 */
#define POS_MAX_FILE (64u << 20)

struct positions positions = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int key_unescape(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < n) {
			c = s[++i];
			if (c == 'n')
				c = '\n';
		}
		if (buf_addch(b, c) < 0)
			return -1;
	}
	return 0;
}

static int field(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p, *sp = memchr(s, ' ', (size_t)(end - s));

	if (!sp || parse_u64(s, (size_t)(sp - s), 0, UINT64_MAX, v) < 0)
		return -1;
	*p = sp + 1;
	return 0;
}

int positions_load(struct positions *p, const char *path)
{
	char *data = NULL;
	size_t len, lineno = 0;
	const char *s, *end;
	struct buf key = BUF_INIT(1u << 20);

	p->path = path;
	if (!path)
		return 0;
	if (file_read_all(path, POS_MAX_FILE, &data, &len) < 0) {
		if (errno == ENOENT)
			return 0;
		log_errno("cannot read positions file '%s'", path);
		return -1;
	}
	for (s = data, end = data + len; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end, *q = s;
		uint64_t v, dev, ino;

		lineno++;
		if (le > s && *s != '#') {
			buf_reset(&key);
			if (field(&q, le, &v) < 0 || field(&q, le, &dev) < 0 ||
			    field(&q, le, &ino) < 0 || q >= le ||
			    v > INT64_MAX ||
			    key_unescape(&key, q, (size_t)(le - q)) < 0) {
				log_warn("%s:%zu: not a position; ignored",
					 path, lineno);
			} else {
				positions_set(p, key.p, (int64_t)v, dev, ino);
			}
		}
		s = le + 1;
	}
	p->dirty = 0;
	free(data);
	buf_free(&key);
	return 0;
}

static struct pos *find(struct positions *p, const char *key)
{
	size_t i;

	/* a homelab follows tens of files and containers: a scan will do */
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].key, key) == 0)
			return &p->v[i];
	return NULL;
}

static struct pos *get_locked(struct positions *p, const char *key)
{
	struct pos *e = find(p, key);

	if (e)
		return e;
	if (p->n == p->cap) {
		size_t c = p->cap ? p->cap * 2 : 16;
		struct pos *v = realloc(p->v, c * sizeof(*v));

		if (!v)
			return NULL;
		p->v = v;
		p->cap = c;
	}
	e = &p->v[p->n];
	memset(e, 0, sizeof(*e));
	e->key = strdup(key);
	if (!e->key)
		return NULL;
	p->n++;
	return e;
}

int positions_lookup(struct positions *p, const char *key, int64_t *value,
		     uint64_t *dev, uint64_t *ino)
{
	struct pos *e;

	pthread_mutex_lock(&p->mu);
	e = find(p, key);
	if (e) {
		*value = e->value;
		*dev = e->dev;
		*ino = e->ino;
	}
	pthread_mutex_unlock(&p->mu);
	return e != NULL;
}

void positions_set(struct positions *p, const char *key, int64_t value,
		   uint64_t dev, uint64_t ino)
{
	struct pos *e;

	pthread_mutex_lock(&p->mu);
	e = get_locked(p, key);
	if (e && (e->value != value || e->dev != dev || e->ino != ino)) {
		p->dirty = 1;
		e->value = value;
		e->dev = dev;
		e->ino = ino;
	}
	pthread_mutex_unlock(&p->mu);
}

void positions_drop(struct positions *p, const char *key)
{
	struct pos *e;

	pthread_mutex_lock(&p->mu);
	e = find(p, key);
	if (e) {
		free(e->key);
		*e = p->v[--p->n];
		p->dirty = 1;
	}
	pthread_mutex_unlock(&p->mu);
}

int positions_save(struct positions *p)
{
	struct buf b = BUF_INIT(POS_MAX_FILE);
	size_t i;
	int ret = -1;

	if (!p->path)
		return 0;
	pthread_mutex_lock(&p->mu);
	if (buf_addstr(&b, "# logtail positions 1\n") < 0)
		goto out;
	for (i = 0; i < p->n; i++) {
		const char *k;

		if (buf_addf(&b, "%lld %llu %llu ", (long long)p->v[i].value,
			     (unsigned long long)p->v[i].dev,
			     (unsigned long long)p->v[i].ino) < 0)
			goto out;
		for (k = p->v[i].key; *k; k++)
			if ((*k == '\n' && buf_addstr(&b, "\\n") < 0) ||
			    (*k == '\\' && buf_addstr(&b, "\\\\") < 0) ||
			    (*k != '\n' && *k != '\\' && buf_addch(&b, *k) < 0))
				goto out;
		if (buf_addch(&b, '\n') < 0)
			goto out;
	}
	p->dirty = 0;
	ret = atomicfile_write(p->path, b.p, b.len);
out:
	pthread_mutex_unlock(&p->mu);
	if (ret < 0) {
		p->dirty = 1;
		log_errno("cannot write positions file '%s'", p->path);
	}
	buf_free(&b);
	return ret;
}

void positions_free(struct positions *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].key);
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}
