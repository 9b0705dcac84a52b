/* docker.h: the Docker Engine API as ctrcol and logtail read it: a client and the container list. */
#ifndef DOCKER_H
#define DOCKER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "json.h"

/* A container ID: 64 lowercase hex digits. */
#define DOCKER_ID_LEN 64
/* An answer past this many bytes fails its request. */
#define DOCKER_BODY_MAX (16u << 20)

/*
 * A client of the Engine API.  host is "unix://PATH", an absolute socket
 * path, or "tcp://HOST:PORT"; base is what a request's path is appended
 * to ("http://docker" on a socket).  Every request waits at most
 * timeout_ms, connecting included, and keeps at most DOCKER_BODY_MAX
 * bytes.  One thread at a time, as http.h's client.
 */
struct docker_api {
	struct http_client *http;
	struct http_response resp;	/* the last answer */
	char *base;			/* "http://docker", "http://HOST:PORT" */
	char *where;			/* host as given, for messages */
};

/* 0, or -1 reported on stderr, with nothing to close ("bad docker
 * host" is errno EINVAL). */
int docker_api_open(struct docker_api *d, const char *host,
		    const char *user_agent, int64_t timeout_ms);
void docker_api_close(struct docker_api *d);
/*
 * GET path ("/containers/json"): 0 with the body in d->resp on a 200;
 * -1 with the reason appended to why (d->resp.status is the status, or 0
 * when no answer came).
 */
int docker_api_get(struct docker_api *d, const char *path, struct buf *why);

/* Is s[0..len) a container ID? */
int docker_is_id(const char *s, size_t len);
/*
 * A /containers/json answer: calls fn(id, arg) for every entry whose Id
 * is a container ID (id is NUL-terminated, valid during the call), in
 * order; -1 if the answer is not a JSON array or when fn returns < 0.
 * doc is reused: what it held before is gone.
 */
int docker_parse_list(struct json_doc *doc, const char *p, size_t len,
		      int (*fn)(const char *id, void *arg), void *arg);
/*
 * A Docker timestamp, RFC 3339 with up to nine fraction digits
 * ("2024-01-02T03:04:05.123456789Z", or an offset "+02:00"), to
 * nanoseconds since the epoch; -1 if not such a time, or before 1970
 * (Docker writes "0001-01-01T00:00:00Z" for "never").
 */
int docker_parse_time(const char *s, size_t len, int64_t *ns);

#endif
