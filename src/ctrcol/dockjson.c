/* dockjson.c: the Docker Engine API's container list and inspect answers, parsed from buffers. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrcol.h"
#include "json.h"
#include "parse.h"
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

int docker_is_id(const char *s, size_t len)
{
	size_t i;

	if (len != DOCKER_ID_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int docker_parse_list(struct json_doc *doc, const char *p, size_t len,
		      int (*fn)(const char *id, void *arg), void *arg)
{
	const struct json *root, *c, *id;
	struct json_err err;

	root = json_parse(doc, p, len, &err);
	if (!root || root->type != JSON_ARRAY)
		return -1;
	for (c = root->child; c; c = c->next) {
		id = json_get(c, "Id", 2);
		if (!id || id->type != JSON_STRING ||
		    !docker_is_id(id->str, id->len))
			continue;
		if (fn(id->str, arg) < 0)
			return -1;
	}
	return 0;
}

static int two(const char *s, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int docker_parse_time(const char *s, size_t len, double *secs)
{
	struct tm tm;
	int64_t year;
	int mon, day, hh, mm, ss, oh = 0, om = 0, sign = 0;
	double frac = 0, scale = 0.1;
	size_t i = 19;
	time_t t;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' ||
	    parse_i64(s, 4, 0, 9999, &year) < 0 || two(s + 5, &mon) < 0 ||
	    two(s + 8, &day) < 0 || two(s + 11, &hh) < 0 ||
	    two(s + 14, &mm) < 0 || two(s + 17, &ss) < 0)
		return -1;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (i < len && s[i] == 'Z' && i + 1 == len) {
		sign = 0;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
		   s[i + 3] == ':' && two(s + i + 1, &oh) == 0 &&
		   two(s + i + 4, &om) == 0) {
		sign = s[i] == '+' ? 1 : -1;
	} else {
		return -1;
	}
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 ||
	    mm > 59 || ss > 60)
		return -1;
	/* Docker writes "0001-01-01T00:00:00Z" for "never". */
	if (year < 1970) {
		*secs = 0;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*secs = (double)t - sign * (oh * 3600 + om * 60) + frac;
	return 0;
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
	    docker_parse_time(v->str, v->len, &m->created) < 0)
		m->created = 0;
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
