/* docker.c: container names, images and labels from the Docker Engine API, cached across cycles. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrcol.h"
#include "docker.h"
#include "json.h"
#include "log.h"
#include "obs.h"
#include "banned.h"

#define DOCKER_TIMEOUT_MS 2000

struct docker {
	struct docker_api api;
	struct dmeta *v;	/* sorted by id */
	size_t n, cap;
	struct json_doc doc;
	int down;		/* the last refresh failed (warned) */
	/* the IDs of this refresh's list */
	char (*ids)[DOCKER_ID_LEN + 1];
	size_t nids, capids;
};

struct docker *docker_new(const char *host)
{
	struct docker *d = calloc(1, sizeof(*d));

	if (!d) {
		log_errno("cannot set up the docker client");
		return NULL;
	}
	if (docker_api_open(&d->api, host, "obs-ctrcol/" OBS_VERSION,
			    DOCKER_TIMEOUT_MS) < 0) {
		free(d);
		return NULL;
	}
	json_doc_init(&d->doc);
	d->doc.max_len = DOCKER_BODY_MAX;
	return d;
}

void docker_free(struct docker *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		dmeta_free(&d->v[i]);
	free(d->v);
	free(d->ids);
	docker_api_close(&d->api);
	json_doc_free(&d->doc);
	free(d);
}

static int cmp_meta(const void *a, const void *b)
{
	return strcmp(((const struct dmeta *)a)->id,
		      ((const struct dmeta *)b)->id);
}

/* The first n entries of v are sorted. */
static struct dmeta *find(struct dmeta *v, size_t n, const char *id)
{
	struct dmeta key;

	if (!n || strlen(id) != DOCKER_ID_LEN)
		return NULL;
	memcpy(key.id, id, DOCKER_ID_LEN + 1);
	return bsearch(&key, v, n, sizeof(*v), cmp_meta);
}

const struct dmeta *docker_lookup(const struct docker *d, const char *id)
{
	return d ? find(d->v, d->n, id) : NULL;
}

static int add_id(const char *id, void *arg)
{
	struct docker *d = arg;

	if (d->nids == d->capids) {
		size_t cap = d->capids ? 2 * d->capids : 64;
		char (*v)[DOCKER_ID_LEN + 1] = realloc(d->ids,
						       cap * sizeof(*v));

		if (!v)
			return -1;
		d->ids = v;
		d->capids = cap;
	}
	memcpy(d->ids[d->nids++], id, DOCKER_ID_LEN + 1);
	return 0;
}

/* Inspects id and adds it to the cache; a container that went away in
 * between (404) is not an error. */
static int inspect(struct docker *d, const char *id, struct buf *why)
{
	struct buf path = BUF_INIT(256);
	struct dmeta m, *v;
	int rc;

	buf_addf(&path, "/containers/%s/json", id);
	rc = docker_api_get(&d->api, buf_cstr(&path), why);
	buf_free(&path);
	if (rc < 0)
		return d->api.resp.status == 404 ? 0 : -1;
	if (docker_parse_inspect(&d->doc, d->api.resp.body.p,
				 d->api.resp.body.len, &m) < 0) {
		log_warn("docker '%s': cannot parse the inspect answer of '%.12s'",
			 d->api.where, id);
		return 0;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;

		v = realloc(d->v, cap * sizeof(*v));
		if (!v) {
			dmeta_free(&m);
			buf_addstr(why, strerror(ENOMEM));
			return -1;
		}
		d->v = v;
		d->cap = cap;
	}
	m.seen = 1;
	d->v[d->n++] = m;
	return 0;
}

int docker_refresh(struct docker *d)
{
	struct buf why = BUF_INIT(1024);
	size_t i, j, before;

	d->nids = 0;
	if (docker_api_get(&d->api, "/containers/json", &why) < 0)
		goto fail;
	if (docker_parse_list(&d->doc, d->api.resp.body.p, d->api.resp.body.len,
			      add_id, d) < 0) {
		buf_addstr(&why, "cannot parse the /containers/json answer");
		goto fail;
	}
	for (i = 0; i < d->n; i++)
		d->v[i].seen = 0;
	before = d->n;
	for (i = 0; i < d->nids; i++) {
		struct dmeta *m = find(d->v, before, d->ids[i]);

		if (m) {
			m->seen = 1;
			continue;
		}
		/* new ones are appended after the sorted part */
		for (j = before; j < d->n; j++)
			if (strcmp(d->v[j].id, d->ids[i]) == 0)
				break;
		if (j < d->n)
			continue;
		if (inspect(d, d->ids[i], &why) < 0)
			goto fail_sort;
	}
	/* forget the containers that are gone */
	for (i = j = 0; i < d->n; i++) {
		if (d->v[i].seen)
			d->v[j++] = d->v[i];
		else
			dmeta_free(&d->v[i]);
	}
	d->n = j;
	qsort(d->v, d->n, sizeof(*d->v), cmp_meta);
	if (d->down)
		log_warn("docker '%s' answers again: container names are back",
			 d->api.where);
	d->down = 0;
	buf_free(&why);
	return 0;
fail_sort:
	qsort(d->v, d->n, sizeof(*d->v), cmp_meta);
fail:
	if (!d->down)
		log_warn("docker '%s' unavailable: %s: metrics go out without names, images and labels",
			 d->api.where, buf_cstr(&why));
	d->down = 1;
	buf_free(&why);
	return -1;
}
