/* config.c: snmp_exporter's generated snmp.yml (auths and modules, or the older layout) read into memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "labels.h"
#include "log.h"
#include "parse.h"
#include "snmpcol.h"
#include "value.h"
#include "yconf.h"
#include "banned.h"

/* snmp.yml files are large (the full generated one is 2 MB). */
#define SC_CONFIG_MAX (64 * 1024 * 1024)

static const char *const top_keys[] = { "auths", "modules", "version", NULL };
static const char *const auth_keys[] = {
	"community", "security_level", "username", "password", "auth_protocol",
	"priv_protocol", "priv_password", "context_name", "version", NULL,
};
/* The older layout's auth: has no version (the module holds it). */
static const char *const old_auth_keys[] = {
	"community", "security_level", "username", "password", "auth_protocol",
	"priv_protocol", "priv_password", "context_name", NULL,
};
static const char *const module_keys[] = {
	"walk", "get", "metrics", "max_repetitions", "retries", "timeout",
	"use_unconnected_udp_socket", "allow_nonincreasing_oids", "filters", NULL,
};
static const char *const old_module_keys[] = {
	"walk", "get", "metrics", "max_repetitions", "retries", "timeout",
	"use_unconnected_udp_socket", "allow_nonincreasing_oids", "version",
	"auth", NULL,
};
static const char *const metric_keys[] = {
	"name", "oid", "type", "help", "indexes", "lookups", "regex_extracts",
	"enum_values", "offset", "scale", "datetime_pattern", "display_hint",
	NULL,
};
static const char *const index_keys[] = {
	"labelname", "type", "fixed_size", "implied", "enum_values", NULL,
};
static const char *const lookup_keys[] = {
	"labels", "labelname", "oid", "type", "display_hint", "enum_values",
	NULL,
};
static const char *const extract_keys[] = { "value", "regex", NULL };

/* The index types snmp_exporter can render (RenderableIndexTypes). */
static const char *const index_types[] = {
	"Integer32", "Integer", "gauge", "counter", "PhysAddress48",
	"OctetString", "DisplayString", "InetAddressIPv4", "InetAddressIPv6",
	"InetAddress", "InetAddressMissingSize", "LldpPortId", "EnumAsInfo",
	NULL,
};

void
sc_config_init(struct sc_config *c)
{
	memset(c, 0, sizeof(*c));
}

/* Every allocation of a config is kept in one list, freed at once. */
static void *
cfg_alloc(struct sc_config *c, size_t n, size_t size)
{
	void *p;

	if (c->nallocs == c->capallocs) {
		size_t cap = c->capallocs ? c->capallocs * 2 : 64;
		void **v = realloc(c->allocs, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		c->allocs = v;
		c->capallocs = cap;
	}
	p = calloc(n ? n : 1, size);
	if (p != NULL)
		c->allocs[c->nallocs++] = p;
	return p;
}

static char *
cfg_strdup(struct sc_config *c, const char *s, size_t n)
{
	char *p = cfg_alloc(c, n + 1, 1);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

void
sc_config_free(struct sc_config *c)
{
	size_t i;

	for (i = 0; i < c->nregexes; i++)
		pcre2_code_free(c->regexes[i]);
	free(c->regexes);
	for (i = 0; i < c->nallocs; i++)
		free(c->allocs[i]);
	free(c->allocs);
	for (i = 0; i < c->nroots; i++)
		yconf_free(c->roots[i]);
	free(c->roots);
	free(c->auths);
	free(c->modules);
	memset(c, 0, sizeof(*c));
}

int
sc_oid_cmp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t i, n = na < nb ? na : nb;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return (na > nb) - (na < nb);
}

int
sc_oid_parse(const char *s, uint32_t **v, size_t *n)
{
	size_t cnt = 1, i = 0;
	const char *p;
	uint32_t *out;

	if (*s == '.')
		s++;
	if (*s == '\0')
		return -1;
	for (p = s; *p; p++)
		if (*p == '.')
			cnt++;
	if (cnt > 128)
		return -1;
	out = calloc(cnt, sizeof(*out));
	if (out == NULL)
		return -1;
	for (p = s; i < cnt; i++) {
		size_t len = strcspn(p, ".");
		uint64_t x;

		if (parse_u64(p, len, 0, UINT32_MAX, &x) < 0) {
			free(out);
			return -1;
		}
		out[i] = (uint32_t)x;
		p += len + (p[len] == '.');
	}
	*v = out;
	*n = cnt;
	return 0;
}

/* An OID of the config: parsed into config-owned memory. */
static int
cfg_oid(struct sc_config *c, const struct ynode *at, const char *key,
	struct sc_oid *o)
{
	uint32_t *v;
	size_t n;

	if (at == NULL || at->type != YNODE_SCALAR || sc_oid_parse(at->str, &v, &n) < 0) {
		yconf_error(at, key, "expected a numeric OID");
		return -1;
	}
	o->v = cfg_alloc(c, n, sizeof(*v));
	if (o->v == NULL) {
		free(v);
		yconf_error(at, key, "out of memory");
		return -1;
	}
	memcpy(o->v, v, n * sizeof(*v));
	free(v);
	o->n = n;
	o->text = at->str;
	return 0;
}

static int
cfg_oid_list(struct sc_config *c, const struct ynode *map, const char *key,
	     struct sc_oid **out, size_t *n)
{
	const struct ynode *seq;
	size_t i;

	int r = yconf_seq(map, key, &seq);

	*n = 0;
	if (r != 0)
		return r < 0 ? -1 : 0;
	*out = cfg_alloc(c, seq->n, sizeof(**out));
	if (*out == NULL)
		return -1;
	for (i = 0; i < seq->n; i++)
		if (cfg_oid(c, seq->items[i], key, &(*out)[i]) < 0)
			return -1;
	*n = seq->n;
	return 0;
}

/* A scalar that must be present. */
static int
cfg_req_str(const struct ynode *map, const char *key, const char **out)
{
	int r = yconf_str(map, key, out);

	if (r == 1) {
		yconf_error(map, key, "missing");
		return -1;
	}
	return r;
}

static int
enum_cmp(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static int
cfg_enums(struct sc_config *c, const struct ynode *map, struct sc_enum *e)
{
	const struct ynode *m;
	int64_t *tmp;
	size_t i;
	int r = yconf_map(map, "enum_values", &m);

	if (r != 0)
		return r < 0 ? -1 : 0;
	e->keys = cfg_alloc(c, m->n, sizeof(*e->keys));
	e->names = cfg_alloc(c, m->n, sizeof(*e->names));
	tmp = cfg_alloc(c, m->n * 2, sizeof(*tmp));
	if (e->keys == NULL || e->names == NULL || tmp == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		const struct ynode *k = m->items[i], *v = m->vals[i];

		if (parse_i64(k->str, k->len, INT32_MIN, INT32_MAX, &tmp[2 * i]) < 0) {
			yconf_error(k, "enum_values", "expected an integer key");
			return -1;
		}
		if (v->type != YNODE_SCALAR) {
			yconf_error(v, "enum_values", "expected a string");
			return -1;
		}
		tmp[2 * i + 1] = (int64_t)i;
	}
	qsort(tmp, m->n, 2 * sizeof(*tmp), enum_cmp);
	for (i = 0; i < m->n; i++) {
		if (i > 0 && tmp[2 * i] == tmp[2 * i - 2]) {
			yconf_error(m->items[tmp[2 * i + 1]], "enum_values",
			    "duplicate key");
			return -1;
		}
		e->keys[i] = tmp[2 * i];
		e->names[i] = m->vals[tmp[2 * i + 1]]->str;
	}
	e->n = m->n;
	return 0;
}

static int
cfg_indexes(struct sc_config *c, const struct ynode *map, struct sc_metric *mt)
{
	const struct ynode *seq;
	size_t i, j;
	int r = yconf_seq(map, "indexes", &seq);

	if (r != 0)
		return r < 0 ? -1 : 0;
	mt->indexes = cfg_alloc(c, seq->n, sizeof(*mt->indexes));
	if (mt->indexes == NULL)
		return -1;
	for (i = 0; i < seq->n; i++) {
		const struct ynode *n = seq->items[i];
		struct sc_index *ix = &mt->indexes[i];

		if (yconf_check_keys(n, index_keys) < 0 ||
		    cfg_req_str(n, "labelname", &ix->labelname) < 0 ||
		    cfg_req_str(n, "type", &ix->type) < 0 ||
		    yconf_int(n, "fixed_size", 0, 65535, &ix->fixed_size) < 0 ||
		    yconf_bool(n, "implied", &ix->implied) < 0 ||
		    cfg_enums(c, n, &ix->enums) < 0)
			return -1;
		if (!label_name_valid(ix->labelname, strlen(ix->labelname))) {
			yconf_error(ynode_get(n, "labelname"), "labelname",
			    "invalid label name '%s'", ix->labelname);
			return -1;
		}
		for (j = 0; index_types[j]; j++)
			if (strcmp(index_types[j], ix->type) == 0)
				break;
		if (index_types[j] == NULL) {
			yconf_error(ynode_get(n, "type"), "type",
			    "invalid index type '%s'", ix->type);
			return -1;
		}
	}
	mt->nindexes = seq->n;
	return 0;
}

static int
cfg_lookups(struct sc_config *c, const struct ynode *map, struct sc_metric *mt)
{
	const struct ynode *seq;
	size_t i, j;
	int r = yconf_seq(map, "lookups", &seq);

	if (r != 0)
		return r < 0 ? -1 : 0;
	mt->lookups = cfg_alloc(c, seq->n, sizeof(*mt->lookups));
	if (mt->lookups == NULL)
		return -1;
	for (i = 0; i < seq->n; i++) {
		const struct ynode *n = seq->items[i], *labels = NULL, *oid;
		struct sc_lookup *lk = &mt->lookups[i];

		if (yconf_check_keys(n, lookup_keys) < 0 ||
		    yconf_seq(n, "labels", &labels) < 0 ||
		    cfg_req_str(n, "labelname", &lk->labelname) < 0 ||
		    yconf_str(n, "type", &lk->type) < 0 ||
		    yconf_str(n, "display_hint", &lk->display_hint) < 0 ||
		    cfg_enums(c, n, &lk->enums) < 0)
			return -1;
		if (!label_name_valid(lk->labelname, strlen(lk->labelname))) {
			yconf_error(ynode_get(n, "labelname"), "labelname",
			    "invalid label name '%s'", lk->labelname);
			return -1;
		}
		if (lk->type == NULL)
			lk->type = "";
		if (lk->display_hint == NULL)
			lk->display_hint = "";
		if (ynode_get(n, "labels") == NULL || ynode_is_null(ynode_get(n, "labels")))
			labels = NULL;
		if (labels != NULL) {
			lk->labels = cfg_alloc(c, labels->n, sizeof(*lk->labels));
			if (lk->labels == NULL)
				return -1;
			for (j = 0; j < labels->n; j++) {
				if (labels->items[j]->type != YNODE_SCALAR) {
					yconf_error(labels->items[j], "labels",
					    "expected a label name");
					return -1;
				}
				lk->labels[j] = labels->items[j]->str;
			}
			lk->nlabels = labels->n;
		}
		oid = ynode_get(n, "oid");
		if (lk->nlabels > 0 && cfg_oid(c, oid, "oid", &lk->oid) < 0)
			return -1;
	}
	mt->nlookups = seq->n;
	return 0;
}

/* Compiled regexes are freed with the config, whatever became of their
 * module (a later file may replace it). */
static int
keep_regex(struct sc_config *c, pcre2_code *re)
{
	pcre2_code **v = realloc(c->regexes, (c->nregexes + 1) * sizeof(*v));

	if (v == NULL) {
		pcre2_code_free(re);
		return -1;
	}
	v[c->nregexes++] = re;
	c->regexes = v;
	return 0;
}

static int
extract_cmp(const void *a, const void *b)
{
	const struct sc_extract *x = a, *y = b;

	return strcmp(x->suffix, y->suffix);
}

static int
cfg_extracts(struct sc_config *c, const struct ynode *map, struct sc_metric *mt)
{
	const struct ynode *m;
	size_t i, j;
	int r = yconf_map(map, "regex_extracts", &m);

	if (r != 0)
		return r < 0 ? -1 : 0;
	mt->extracts = cfg_alloc(c, m->n, sizeof(*mt->extracts));
	if (mt->extracts == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		const struct ynode *seq = m->vals[i];
		struct sc_extract *ex = &mt->extracts[i];

		ex->suffix = m->items[i]->str;
		mt->nextracts = i + 1;
		if (!ynode_is_null(seq) && seq->type != YNODE_SEQ) {
			yconf_error(seq, ex->suffix, "expected a list");
			return -1;
		}
		if (ynode_is_null(seq))
			continue;
		ex->v = cfg_alloc(c, seq->n, sizeof(*ex->v));
		if (ex->v == NULL)
			return -1;
		for (j = 0; j < seq->n; j++) {
			const struct ynode *it = seq->items[j];
			struct sc_regex *rx = &ex->v[j];
			const char *pat = "";
			struct buf b = BUF_INIT(0);
			int err;
			PCRE2_SIZE off;

			rx->value = "$1";
			if (yconf_check_keys(it, extract_keys) < 0 ||
			    yconf_str(it, "value", &rx->value) < 0 ||
			    yconf_str(it, "regex", &pat) < 0)
				return -1;
			if (buf_addf(&b, "^(?:%s)$", pat) < 0) {
				buf_free(&b);
				return -1;
			}
			/* Go's $ matches only at the very end, not before a
			 * final newline. */
			rx->re = pcre2_compile((PCRE2_SPTR)b.p, b.len,
			    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &off, NULL);
			buf_free(&b);
			ex->n = j + 1;
			if (rx->re != NULL && keep_regex(c, rx->re) < 0)
				return -1;
			if (rx->re == NULL) {
				PCRE2_UCHAR msg[256];

				pcre2_get_error_message(err, msg, sizeof(msg));
				yconf_error(ynode_get(it, "regex"), "regex",
				    "invalid regex: %s", (char *)msg);
				ex->n = j;
				return -1;
			}
		}
	}
	qsort(mt->extracts, mt->nextracts, sizeof(*mt->extracts), extract_cmp);
	return 0;
}

/* offset and scale: floats as Go's yaml reads them. */
static int
cfg_float(const struct ynode *map, const char *key, double *out)
{
	const char *s;
	int r = yconf_str(map, key, &s);

	if (r != 0)
		return r;
	if (strcmp(s, "stale") == 0 || value_parse(s, strlen(s), out) < 0) {
		yconf_error(ynode_get(map, key), key, "expected a number");
		return -1;
	}
	return 0;
}

static int
metric_cmp_oid(const struct sc_metric *x, const struct sc_metric *y)
{
	return sc_oid_cmp(x->oid.v, x->oid.n, y->oid.v, y->oid.n);
}

static int
metric_cmp(const void *a, const void *b)
{
	const struct sc_metric *x = a, *y = b;
	int r = sc_oid_cmp(x->oid.v, x->oid.n, y->oid.v, y->oid.n);

	return r ? r : (x->seq > y->seq) - (x->seq < y->seq);
}

static int
cfg_metrics(struct sc_config *c, const struct ynode *map, struct sc_module *mod)
{
	const struct ynode *seq;
	size_t i, j;
	int r = yconf_seq(map, "metrics", &seq);

	if (r != 0)
		return r < 0 ? -1 : 0;
	mod->metrics = cfg_alloc(c, seq->n, sizeof(*mod->metrics));
	if (mod->metrics == NULL)
		return -1;
	for (i = 0; i < seq->n; i++) {
		const struct ynode *n = seq->items[i];
		struct sc_metric *mt = &mod->metrics[i];

		mod->nmetrics = i + 1;
		mt->help = "";
		mt->type = "";
		mt->datetime_pattern = "";
		mt->display_hint = "";
		if (yconf_check_keys(n, metric_keys) < 0 ||
		    cfg_req_str(n, "name", &mt->name) < 0 ||
		    yconf_str(n, "type", &mt->type) < 0 ||
		    yconf_str(n, "help", &mt->help) < 0 ||
		    yconf_str(n, "datetime_pattern", &mt->datetime_pattern) < 0 ||
		    yconf_str(n, "display_hint", &mt->display_hint) < 0 ||
		    cfg_float(n, "offset", &mt->offset) < 0 ||
		    cfg_float(n, "scale", &mt->scale) < 0 ||
		    cfg_oid(c, ynode_get(n, "oid"), "oid", &mt->oid) < 0 ||
		    cfg_indexes(c, n, mt) < 0 || cfg_lookups(c, n, mt) < 0 ||
		    cfg_extracts(c, n, mt) < 0 || cfg_enums(c, n, &mt->enums) < 0)
			return -1;
		if (!metric_name_valid(mt->name, strlen(mt->name)) ||
		    !label_name_valid(mt->name, strlen(mt->name))) {
			yconf_error(ynode_get(n, "name"), "name",
			    "invalid metric name '%s'", mt->name);
			return -1;
		}
	}
	for (i = 0; i < mod->nmetrics; i++)
		mod->metrics[i].seq = i;
	qsort(mod->metrics, mod->nmetrics, sizeof(*mod->metrics), metric_cmp);
	/* Of two metrics on one OID the later wins, as in snmp_exporter's
	 * metric tree. */
	for (i = 0, j = 0; i < mod->nmetrics; i++) {
		if (i + 1 < mod->nmetrics &&
		    metric_cmp_oid(&mod->metrics[i], &mod->metrics[i + 1]) == 0)
			continue;
		mod->metrics[j++] = mod->metrics[i];
	}
	mod->nmetrics = j;
	return 0;
}

/* os.Expand with a missing variable as an error, as snmp_exporter's
 * --config.expand-environment-variables. */
static int
cfg_expand(struct sc_config *c, const struct ynode *map, const char *key,
	   const char **s)
{
	struct buf b = BUF_INIT(65536);
	const char *p = *s;
	int rc = 0;

	if (*s == NULL || strchr(*s, '$') == NULL)
		return 0;
	while (*p && rc == 0) {
		const char *name, *end;
		char tmp[256];
		const char *v;

		if (*p != '$') {
			rc = buf_addch(&b, *p++);
			continue;
		}
		if (p[1] == '{') {
			name = p + 2;
			end = strchr(name, '}');
			if (end == NULL) {
				yconf_error(ynode_get(map, key), key, "bad ${ in value");
				buf_free(&b);
				return -1;
			}
			p = end + 1;
		} else {
			name = p + 1;
			end = sc_name_end(name);
			if (end == name) {
				rc = buf_addch(&b, *p++);
				continue;
			}
			p = end;
		}
		if ((size_t)(end - name) >= sizeof(tmp)) {
			yconf_error(ynode_get(map, key), key, "variable name too long");
			buf_free(&b);
			return -1;
		}
		memcpy(tmp, name, (size_t)(end - name));
		tmp[end - name] = '\0';
		v = getenv(tmp);
		if (v == NULL) {
			yconf_error(ynode_get(map, key), key,
			    "%s environment variable not found", tmp);
			buf_free(&b);
			return -1;
		}
		rc = buf_addstr(&b, v);
	}
	if (rc == 0) {
		*s = cfg_strdup(c, buf_cstr(&b), b.len);
		rc = *s == NULL ? -1 : 0;
	}
	buf_free(&b);
	if (rc < 0)
		yconf_error(ynode_get(map, key), key, "out of memory");
	return rc;
}

static int
one_of(const char *s, const char *const *list)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* Auth settings with snmp_exporter's defaults and checks (Auth.UnmarshalYAML). */
static int
cfg_auth(const struct ynode *n, const char *const *keys,
	 struct sc_auth *a, int version)
{
	static const char *const privs[] = {
		"DES", "AES", "AES192", "AES192C", "AES256", "AES256C", NULL,
	};
	static const char *const auths[] = {
		"MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512", NULL,
	};
	long v = version;
	const struct ynode *at = n;

	a->community = "public";
	a->security_level = "noAuthNoPriv";
	a->auth_protocol = "MD5";
	a->priv_protocol = "DES";
	a->username = a->password = a->priv_password = a->context_name = "";
	if (yconf_check_keys(n, keys) < 0 ||
	    yconf_str(n, "community", &a->community) < 0 ||
	    yconf_str(n, "security_level", &a->security_level) < 0 ||
	    yconf_str(n, "username", &a->username) < 0 ||
	    yconf_str(n, "password", &a->password) < 0 ||
	    yconf_str(n, "auth_protocol", &a->auth_protocol) < 0 ||
	    yconf_str(n, "priv_protocol", &a->priv_protocol) < 0 ||
	    yconf_str(n, "priv_password", &a->priv_password) < 0 ||
	    yconf_str(n, "context_name", &a->context_name) < 0)
		return -1;
	if (version == 0) {
		v = 2;
		if (yconf_int(n, "version", INT32_MIN, INT32_MAX, &v) < 0)
			return -1;
		if (ynode_get(n, "version"))
			at = ynode_get(n, "version");
	}
	a->node = n;
	if (v < 1 || v > 3) {
		yconf_error(at, "version", "SNMP version must be 1, 2 or 3. Got: %ld", v);
		return -1;
	}
	a->version = (int)v;
	if (v != 3)
		return 0;
	if (strcmp(a->security_level, "authPriv") == 0) {
		if (*a->priv_password == '\0') {
			yconf_error(n, "priv_password", "priv password is missing, "
			    "required for SNMPv3 with priv");
			return -1;
		}
		if (!one_of(a->priv_protocol, privs)) {
			yconf_error(n, "priv_protocol", "priv protocol must be DES or AES");
			return -1;
		}
	}
	if (strcmp(a->security_level, "authPriv") == 0 ||
	    strcmp(a->security_level, "authNoPriv") == 0) {
		if (*a->password == '\0') {
			yconf_error(n, "password", "auth password is missing, "
			    "required for SNMPv3 with auth");
			return -1;
		}
		if (!one_of(a->auth_protocol, auths)) {
			yconf_error(n, "auth_protocol", "auth protocol must be SHA or MD5");
			return -1;
		}
	} else if (strcmp(a->security_level, "noAuthNoPriv") != 0) {
		yconf_error(n, "security_level", "security level must be one of "
		    "authPriv, authNoPriv or noAuthNoPriv");
		return -1;
	}
	if (*a->username == '\0') {
		yconf_error(n, "username", "auth username is missing, required for SNMPv3");
		return -1;
	}
	return 0;
}

/* filters: a list of {oid, targets, values}; values are Go regexes
 * matched anywhere in the value, compiled here so a bad one is a config
 * error (snmp_exporter panics on it at the scrape). */
static int
cfg_filters(struct sc_config *c, const struct ynode *map, struct sc_module *mod)
{
	static const char *const keys[] = { "oid", "targets", "values", NULL };
	const struct ynode *seq;
	size_t i, j;
	int r = yconf_seq(map, "filters", &seq);

	if (r != 0)
		return r < 0 ? -1 : 0;
	mod->filters = cfg_alloc(c, seq->n, sizeof(*mod->filters));
	if (mod->filters == NULL)
		return -1;
	for (i = 0; i < seq->n; i++) {
		const struct ynode *n = seq->items[i], *tl = NULL, *vl = NULL;
		struct sc_filter *f = &mod->filters[i];

		if (yconf_check_keys(n, keys) < 0 ||
		    cfg_oid(c, ynode_get(n, "oid"), "oid", &f->oid) < 0 ||
		    yconf_seq(n, "targets", &tl) < 0 || yconf_seq(n, "values", &vl) < 0)
			return -1;
		if (tl != NULL && tl->type == YNODE_SEQ) {
			f->targets = cfg_alloc(c, tl->n, sizeof(*f->targets));
			if (f->targets == NULL)
				return -1;
			for (j = 0; j < tl->n; j++) {
				uint32_t *v;
				size_t cnt;

				if (tl->items[j]->type != YNODE_SCALAR ||
				    sc_oid_parse(tl->items[j]->str, &v, &cnt) < 0) {
					yconf_error(tl->items[j], "targets",
					    "expected a numeric OID");
					return -1;
				}
				free(v);
				f->targets[f->ntargets++] = tl->items[j]->str;
			}
		}
		if (vl == NULL || vl->type != YNODE_SEQ)
			continue;
		f->values = cfg_alloc(c, vl->n, sizeof(*f->values));
		if (f->values == NULL)
			return -1;
		for (j = 0; j < vl->n; j++) {
			const struct ynode *it = vl->items[j];
			PCRE2_SIZE off;
			int err;

			if (it->type != YNODE_SCALAR) {
				yconf_error(it, "values", "expected a regex");
				return -1;
			}
			f->values[j] = pcre2_compile((PCRE2_SPTR)it->str, it->len,
			    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &off, NULL);
			if (f->values[j] == NULL) {
				PCRE2_UCHAR msg[256];

				pcre2_get_error_message(err, msg, sizeof(msg));
				yconf_error(it, "values", "invalid regex: %s", (char *)msg);
				return -1;
			}
			if (keep_regex(c, f->values[j]) < 0)
				return -1;
			f->nvalues = j + 1;
		}
	}
	mod->nfilters = seq->n;
	return 0;
}

static int
cfg_module(struct sc_config *c, const struct ynode *key, const struct ynode *n,
	   int old, struct sc_module *mod)
{
	const struct ynode *auth = NULL;

	mod->name = key->str;
	mod->max_repetitions = 25;
	mod->retries = 3;
	mod->timeout_ms = 5000;
	if (ynode_is_null(n))
		return 0;
	if (n->type != YNODE_MAP) {
		yconf_error(n, key->str, "expected a mapping");
		return -1;
	}
	if (yconf_check_keys(n, old ? old_module_keys : module_keys) < 0 ||
	    cfg_oid_list(c, n, "walk", &mod->walk, &mod->nwalk) < 0 ||
	    cfg_oid_list(c, n, "get", &mod->get, &mod->nget) < 0 ||
	    yconf_int(n, "max_repetitions", 0, UINT32_MAX, &mod->max_repetitions) < 0 ||
	    yconf_int(n, "retries", INT32_MIN, INT32_MAX, &mod->retries) < 0 ||
	    yconf_duration(n, "timeout", &mod->timeout_ms) < 0 ||
	    yconf_bool(n, "use_unconnected_udp_socket", &mod->unconnected_udp) < 0 ||
	    yconf_bool(n, "allow_nonincreasing_oids", &mod->allow_nonincreasing) < 0 ||
	    cfg_metrics(c, n, mod) < 0 || (!old && cfg_filters(c, n, mod) < 0))
		return -1;
	if (mod->retries < 0)
		mod->retries = 0;
	if (mod->timeout_ms <= 0)
		mod->timeout_ms = 5000;
	if (old) {
		long v = 2;

		if (yconf_int(n, "version", INT32_MIN, INT32_MAX, &v) < 0 ||
		    yconf_map(n, "auth", &auth) < 0)
			return -1;
		if (v < 1 || v > 3) {
			yconf_error(ynode_get(n, "version"), "version",
			    "SNMP version must be 1, 2 or 3. Got: %ld", v);
			return -1;
		}
		mod->has_auth = 1;
		mod->auth.name = key->str;
		if (cfg_auth(auth, old_auth_keys, &mod->auth, (int)v) < 0)
			return -1;
	}
	return 0;
}

/* Adds or replaces by name in a list of pointers. */
static int
put_named(void ***list, size_t *n, void *item, const char *name,
	  const char *(*name_of)(const void *))
{
	size_t i;
	void **v;

	for (i = 0; i < *n; i++)
		if (strcmp(name_of((*list)[i]), name) == 0) {
			(*list)[i] = item;
			return 0;
		}
	v = realloc(*list, (*n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	v[(*n)++] = item;
	*list = v;
	return 0;
}

static const char *
module_name(const void *p)
{
	return ((const struct sc_module *)p)->name;
}

static const char *
auth_name(const void *p)
{
	return ((const struct sc_auth *)p)->name;
}

static int
cfg_modules(struct sc_config *c, const struct ynode *map, int old)
{
	size_t i;

	if (ynode_is_null(map))
		return 0;
	if (map->type != YNODE_MAP) {
		yconf_error(map, "modules", "expected a mapping");
		return -1;
	}
	for (i = 0; i < map->n; i++) {
		struct sc_module *mod = cfg_alloc(c, 1, sizeof(*mod));

		if (mod == NULL || cfg_module(c, map->items[i], map->vals[i], old, mod) < 0)
			return -1;
		if (put_named((void ***)&c->modules, &c->nmodules, mod, mod->name,
		    module_name) < 0)
			return -1;
	}
	return 0;
}

static int
cfg_auths(struct sc_config *c, const struct ynode *map)
{
	size_t i;

	if (ynode_is_null(map))
		return 0;
	if (map->type != YNODE_MAP) {
		yconf_error(map, "auths", "expected a mapping");
		return -1;
	}
	for (i = 0; i < map->n; i++) {
		struct sc_auth *a = cfg_alloc(c, 1, sizeof(*a));

		if (a == NULL)
			return -1;
		a->name = map->items[i]->str;
		if (cfg_auth(map->vals[i], auth_keys, a, 0) < 0)
			return -1;
		if (put_named((void ***)&c->auths, &c->nauths, a, a->name, auth_name) < 0)
			return -1;
	}
	return 0;
}

int
sc_config_parse(struct sc_config *c, const char *data, size_t len,
		const char *name)
{
	struct ynode *root = yconf_parse(data, len, name), **roots;
	int old;

	if (root == NULL)
		return -1;
	roots = realloc(c->roots, (c->nroots + 1) * sizeof(*roots));
	if (roots == NULL) {
		yconf_free(root);
		log_error("%s: out of memory", name);
		return -1;
	}
	c->roots = roots;
	c->roots[c->nroots++] = root;
	if (ynode_is_null(root))
		return 0;
	if (root->type != YNODE_MAP) {
		yconf_error(root, NULL, "expected a mapping of auths and modules");
		return -1;
	}
	/* The older layout (snmp_exporter before 0.23) has modules at the
	 * top, each with its version and auth. */
	old = ynode_get(root, "modules") == NULL && ynode_get(root, "auths") == NULL;
	if (old)
		return cfg_modules(c, root, 1);
	if (yconf_check_keys(root, top_keys) < 0 ||
	    cfg_auths(c, ynode_get(root, "auths")) < 0 ||
	    cfg_modules(c, ynode_get(root, "modules"), 0) < 0)
		return -1;
	return 0;
}

int
sc_config_load(struct sc_config *c, const char *path)
{
	char *data;
	size_t len;
	int rc;

	if (file_read_all(path, SC_CONFIG_MAX, &data, &len) < 0) {
		log_errno("cannot read '%s'", path);
		return -1;
	}
	rc = sc_config_parse(c, data, len, path);
	free(data);
	return rc;
}

struct sc_module *
sc_module_find(const struct sc_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nmodules; i++)
		if (strcmp(c->modules[i]->name, name) == 0)
			return c->modules[i];
	return NULL;
}

int
sc_auth_expand(struct sc_config *c, struct sc_auth *a)
{
	if (!c->expand_env || a->expanded)
		return 0;
	a->expanded = 1;
	if (cfg_expand(c, a->node, "community", &a->community) < 0 ||
	    cfg_expand(c, a->node, "username", &a->username) < 0 ||
	    cfg_expand(c, a->node, "password", &a->password) < 0 ||
	    cfg_expand(c, a->node, "priv_password", &a->priv_password) < 0)
		return -1;
	return 0;
}

struct sc_auth *
sc_auth_find(const struct sc_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nauths; i++)
		if (strcmp(c->auths[i]->name, name) == 0)
			return c->auths[i];
	return NULL;
}
