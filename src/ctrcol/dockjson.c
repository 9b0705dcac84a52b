/* dockjson.c: the Docker Engine API's inspect answers, parsed from buffers. */
#include <stdlib.h>
#include <string.h>

#include "ctrcol.h"
#include "json.h"
#include "banned.h"

void dmeta_free(struct dmeta *m)
{
	size_t i;

	free(m->name);
	free(m->image);
	for (i = 0; i < 2 * m->nlabels; i++)
		free(m->labels[i]);
	free(m->labels);
	free(m->upperdir);
	memset(m, 0, sizeof(*m));
}

/* A string member as a malloc'd copy; NULL (and 0) when absent or not a
 * string, -1 on ENOMEM. */
static int dup_member(const struct json *obj, const char *key, char **out)
{
	const struct json *v = obj ? json_get(obj, key, strlen(key)) : NULL;

	*out = NULL;
	if (!v || v->type != JSON_STRING)
		return 0;
	*out = strndup(v->str, v->len);
	return *out ? 0 : -1;
}

static int copy_labels(const struct json *lab, struct dmeta *m)
{
	const struct json *c;
	size_t n = 0;

	if (!lab || lab->type != JSON_OBJECT || !lab->n)
		return 0;
	m->labels = calloc(2 * lab->n, sizeof(*m->labels));
	if (!m->labels)
		return -1;
	for (c = lab->child; c; c = c->next) {
		if (c->type != JSON_STRING)
			continue;
		m->labels[2 * n] = strndup(c->key, c->klen);
		m->labels[2 * n + 1] = strndup(c->str, c->len);
		m->nlabels = n + 1;
		if (!m->labels[2 * n] || !m->labels[2 * n + 1])
			return -1;
		n++;
	}
	return 0;
}

int docker_parse_inspect(struct json_doc *doc, const char *p, size_t len,
			 struct dmeta *m)
{
	const struct json *root, *id, *v, *cfg, *st, *hc, *gd;
	struct json_err err;
	char *name = NULL;
	int64_t created;

	memset(m, 0, sizeof(*m));
	root = json_parse(doc, p, len, &err);
	if (!root || root->type != JSON_OBJECT)
		return -1;
	id = json_get(root, "Id", 2);
	if (!id || id->type != JSON_STRING || !docker_is_id(id->str, id->len))
		return -1;
	memcpy(m->id, id->str, DOCKER_ID_LEN + 1);
	cfg = json_get(root, "Config", 6);
	st = json_get(root, "State", 5);
	hc = json_get(root, "HostConfig", 10);
	gd = json_get(root, "GraphDriver", 11);
	gd = gd ? json_get(gd, "Data", 4) : NULL;
	if (dup_member(root, "Name", &name) < 0 ||
	    dup_member(cfg, "Image", &m->image) < 0 ||
	    dup_member(gd, "UpperDir", &m->upperdir) < 0 ||
	    copy_labels(cfg ? json_get(cfg, "Labels", 6) : NULL, m) < 0)
		goto fail;
	if (name) {
		m->name = strdup(name[0] == '/' ? name + 1 : name);
		free(name);
		if (!m->name)
			goto fail;
	}
	v = json_get(root, "Created", 7);
	if (v && v->type == JSON_STRING &&
	    docker_parse_time(v->str, v->len, &created) == 0)
		m->created = (double)created / 1e9;
	v = st ? json_get(st, "Pid", 3) : NULL;
	if (v && v->type == JSON_NUMBER && v->num > 0 && v->num < 1e9)
		m->pid = (long)v->num;
	v = hc ? json_get(hc, "NetworkMode", 11) : NULL;
	m->host_net = v && v->type == JSON_STRING && strcmp(v->str, "host") == 0;
	return 0;
fail:
	dmeta_free(m);
	return -1;
}
