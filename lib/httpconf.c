/* httpconf.c: reading an HTTP client block of a YAML configuration. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "httpconf.h"
#include "yconf.h"
#include "banned.h"

char *httpconf_own(struct httpconf *hc, char *s)
{
	char **v;

	if (!s)
		return NULL;
	v = realloc(hc->owned, (hc->nowned + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return NULL;
	}
	hc->owned = v;
	hc->owned[hc->nowned++] = s;
	return s;
}

void httpconf_free(struct httpconf *hc)
{
	size_t i;

	for (i = 0; i < hc->nowned; i++)
		free(hc->owned[i]);
	free(hc->owned);
	memset(hc, 0, sizeof(*hc));
}

int httpconf_header_ok(const char *name, size_t len,
		       const char *const *reserved)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] == ':' || name[i] == 0x7f)
			return 0;
	for (i = 0; reserved && reserved[i]; i++)
		if (strlen(reserved[i]) == len &&
		    strncasecmp(reserved[i], name, len) == 0)
			return 0;
	return 1;
}

int httpconf_path(struct httpconf *hc, const struct ynode *v, const char *key,
		  int check, const char **out)
{
	const char *slash = strrchr(v->file, '/');
	struct buf p = BUF_INIT(4096);

	if (v->str[0] != '/' && slash &&
	    buf_add(&p, v->file, (size_t)(slash - v->file) + 1) < 0)
		goto nomem;
	if (buf_add(&p, v->str, v->len) < 0)
		goto nomem;
	if (check && access(p.p, R_OK) < 0) {
		yconf_error(v, key, "cannot read '%s': %s", p.p,
			    strerror(errno));
		buf_free(&p);
		return -1;
	}
	*out = httpconf_own(hc, p.p);
	if (!*out)
		goto nomem;
	return 0;
nomem:
	buf_free(&p);
	yconf_error(v, key, "out of memory");
	return -1;
}

static int file_key(struct httpconf *hc, const struct ynode *map,
		    const char *key, const char **out)
{
	int r = yconf_str(map, key, out);

	if (r != 0)
		return r;
	return httpconf_path(hc, ynode_get(map, key), key, 1, out);
}

static int one_of(const struct ynode *at, const char *key, const char *a,
		  const char *b, const char *what)
{
	if (a && b) {
		yconf_error(at, key, "at most one of %s", what);
		return -1;
	}
	return 0;
}

static int load_auth(struct httpconf *hc, struct http_opts *o,
		     const struct ynode *map)
{
	static const char *const basic_keys[] = { "username", "password",
		"password_file", NULL };
	static const char *const authz_keys[] = { "type", "credentials",
		"credentials_file", NULL };
	const struct ynode *ba = NULL, *az = NULL;
	const char *tok = NULL, *tokf = NULL;
	int n = 0;

	if (yconf_map(map, "basic_auth", &ba) < 0 ||
	    yconf_map(map, "authorization", &az) < 0)
		return -1;
	if (ba) {
		n++;
		if (yconf_check_keys(ba, basic_keys) < 0 ||
		    yconf_str(ba, "username", &o->basic_user) < 0 ||
		    yconf_str(ba, "password", &o->basic_password) < 0 ||
		    file_key(hc, ba, "password_file",
			     &o->basic_password_file) < 0 ||
		    one_of(ba, "basic_auth", o->basic_password,
			   o->basic_password_file,
			   "password and password_file") < 0)
			return -1;
		if (!o->basic_user)
			o->basic_user = "";
	}
	if (az) {
		n++;
		if (yconf_check_keys(az, authz_keys) < 0 ||
		    yconf_str(az, "type", &o->auth_type) < 0 ||
		    yconf_str(az, "credentials", &o->bearer_token) < 0 ||
		    file_key(hc, az, "credentials_file",
			     &o->bearer_token_file) < 0 ||
		    one_of(az, "authorization", o->bearer_token,
			   o->bearer_token_file,
			   "credentials and credentials_file") < 0)
			return -1;
		if (o->auth_type && strcasecmp(o->auth_type, "basic") == 0) {
			yconf_error(ynode_get(az, "type"), "type",
				    "authorization type cannot be set to "
				    "\"basic\", use \"basic_auth\" instead");
			return -1;
		}
	}
	if (yconf_str(map, "bearer_token", &tok) < 0 ||
	    file_key(hc, map, "bearer_token_file", &tokf) < 0 ||
	    one_of(map, "bearer_token", tok, tokf,
		   "bearer_token and bearer_token_file") < 0)
		return -1;
	if (tok || tokf) {
		n++;
		o->bearer_token = tok;
		o->bearer_token_file = tokf;
	}
	if (n > 1) {
		yconf_error(map, NULL,
			    "at most one of basic_auth, authorization, "
			    "bearer_token and bearer_token_file");
		return -1;
	}
	return 0;
}

static int load_tls(struct httpconf *hc, struct http_opts *o,
		    const struct ynode *map)
{
	static const char *const keys[] = { "ca_file", "cert_file",
		"key_file", "server_name", "insecure_skip_verify",
		"min_version", NULL };
	static const char *const versions[] = { "TLS10", "TLS11", "TLS12",
		"TLS13", NULL };
	const struct ynode *t = NULL;
	const char *minv = NULL;
	size_t i;

	if (yconf_map(map, "tls_config", &t) < 0)
		return -1;
	if (!t)
		return 0;
	if (yconf_check_keys(t, keys) < 0 ||
	    file_key(hc, t, "ca_file", &o->ca_file) < 0 ||
	    file_key(hc, t, "cert_file", &o->cert_file) < 0 ||
	    file_key(hc, t, "key_file", &o->key_file) < 0 ||
	    yconf_str(t, "server_name", &o->server_name) < 0 ||
	    yconf_str(t, "min_version", &minv) < 0 ||
	    yconf_bool(t, "insecure_skip_verify", &o->insecure_skip_verify) <
		    0)
		return -1;
	if (!o->cert_file != !o->key_file) {
		yconf_error(t, o->cert_file ? "cert_file" : "key_file",
			    "cert_file and key_file go together");
		return -1;
	}
	for (i = 0; minv && versions[i]; i++)
		if (strcmp(minv, versions[i]) == 0)
			break;
	if (minv && !versions[i]) {
		yconf_error(ynode_get(t, "min_version"), "min_version",
			    "unknown TLS version '%s': expected TLS10, TLS11, "
			    "TLS12 or TLS13", minv);
		return -1;
	}
	return 0;
}

static int load_headers(struct httpconf *hc, struct http_opts *o,
			const struct ynode *map, const char *const *reserved)
{
	const struct ynode *h = NULL;
	size_t i;

	if (yconf_map(map, "headers", &h) < 0)
		return -1;
	if (!h)
		return 0;
	hc->headers = calloc(h->n + 1, sizeof(*hc->headers));
	if (!hc->headers || !httpconf_own(hc, (char *)hc->headers))
		return -1;
	for (i = 0; i < h->n; i++) {
		const struct ynode *k = h->items[i], *v = h->vals[i];
		struct buf b = BUF_INIT(65536);

		if (!httpconf_header_ok(k->str, k->len, reserved)) {
			yconf_error(k, k->str, "header cannot be set here");
			return -1;
		}
		if (v->type != YNODE_SCALAR || strchr(v->str, '\n') ||
		    strchr(v->str, '\r')) {
			yconf_error(v, k->str, "expected a one-line string");
			return -1;
		}
		if (buf_addf(&b, "%s: %s", k->str, v->str) < 0 ||
		    !httpconf_own(hc, b.p)) {
			buf_free(&b);
			return -1;
		}
		hc->headers[hc->nheaders++] = b.p;
	}
	o->headers = hc->headers;
	o->n_headers = hc->nheaders;
	return 0;
}

static int load_proxy(struct http_opts *o, const struct ynode *map)
{
	static const char *const schemes[] = { "http://", "https://",
		"socks5://", NULL };
	size_t i;

	if (yconf_str(map, "proxy_url", &o->proxy_url) < 0)
		return -1;
	for (i = 0; o->proxy_url && schemes[i]; i++)
		if (strncmp(o->proxy_url, schemes[i], strlen(schemes[i])) == 0)
			return 0;
	if (o->proxy_url) {
		yconf_error(ynode_get(map, "proxy_url"), "proxy_url",
			    "'%s' is not an http, https or socks5 URL",
			    o->proxy_url);
		return -1;
	}
	return 0;
}

int httpconf_load(struct httpconf *hc, struct http_opts *o,
		  const struct ynode *map, const char *const *reserved)
{
	if (load_proxy(o, map) < 0 ||
	    yconf_bool(map, "follow_redirects", &o->follow_redirects) < 0 ||
	    load_headers(hc, o, map, reserved) < 0 ||
	    load_auth(hc, o, map) < 0 || load_tls(hc, o, map) < 0)
		return -1;
	return 0;
}
