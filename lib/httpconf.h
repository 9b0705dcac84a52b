/* httpconf.h: an HTTP client's settings (auth, TLS, headers, proxy) from a YAML block. */
#ifndef HTTPCONF_H
#define HTTPCONF_H

#include <stddef.h>

#include "http.h"
#include "yconf.h"

/*
 * The keys Prometheus' and Alloy's http client blocks share, read into
 * struct http_opts: basic_auth {username, password, password_file},
 * authorization {type, credentials, credentials_file}, bearer_token,
 * bearer_token_file, tls_config {ca_file, cert_file, key_file,
 * server_name, insecure_skip_verify, min_version (checked, then left to
 * libcurl's default)}, proxy_url (an http, https or socks5 URL),
 * follow_redirects and headers (a map).  File names are relative to the configuration file's
 * directory and must be readable when loaded.  Strings point into the
 * tree or into allocations kept in hc until httpconf_free(); at most one
 * kind of authentication.  HTTPCONF_KEYS lists the keys for
 * yconf_check_keys() lists.
 */
#define HTTPCONF_KEYS "basic_auth", "authorization", "bearer_token", \
	"bearer_token_file", "tls_config", "proxy_url", "follow_redirects", \
	"headers"

struct httpconf {
	char **owned;
	size_t nowned;
	const char **headers;	/* "Name: value", also set in the opts */
	size_t nheaders;
};

/* reserved: header names the program sets itself (NULL-terminated);
 * -1 after reporting "PROG: FILE:LINE: KEY: reason". */
int httpconf_load(struct httpconf *hc, struct http_opts *o,
		  const struct ynode *map, const char *const *reserved);
/*
 * The scalar v names a file relative to the configuration file's directory
 * (an absolute name stays): *out is the resolved name, kept in hc.  With
 * check set it must be readable now.  -1 after reporting "PROG: FILE:LINE:
 * KEY: reason".
 */
int httpconf_path(struct httpconf *hc, const struct ynode *v, const char *key,
		  int check, const char **out);
/* 1 if name[0..len) is a header token not in reserved (case-insensitive). */
int httpconf_header_ok(const char *name, size_t len,
		       const char *const *reserved);
/* Keeps s (malloc'd) until httpconf_free(); NULL (s freed) on ENOMEM. */
char *httpconf_own(struct httpconf *hc, char *s);
void httpconf_free(struct httpconf *hc);

#endif
