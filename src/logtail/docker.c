/* docker.c: containers found through the Engine API, their logs read from json-file or the API. */
#include <sys/stat.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "docker.h"
#include "http.h"
#include "json.h"
#include "labels.h"
#include "log.h"
#include "logtail.h"
#include "obs.h"
#include "banned.h"

#define DOCKER_TIMEOUT_MS 5000
#define RESYNC_MS 10000
/* Docker may still copy a stopped container's last lines into its log
 * for a moment after "die": read on that long before the final read. */
#define STOP_GRACE_MS 1000

struct ctr {
	char id[DOCKER_ID_LEN + 1];
	struct buf key;		/* "docker:ID" */
	struct labels ls[3];	/* [1] stdout, [2] stderr */
	struct buf pre[3];	/* the same, formatted */
	int tty, api, running;
	int64_t stopped_mono;	/* when it was seen stopped; 0 running */
	char *logpath;
	struct follow f;
	int fopen;
	int64_t skip_to;	/* entries up to this time were written before */
	int64_t pos;		/* time of the last entry written */
	struct buf part[3];	/* a line in 16 KiB pieces, being joined */
	int64_t part_ts[3];
	int part_over[3];
	struct json_doc doc;
	struct buf dec;		/* the log of a json-file line, decoded */
	/* API reader */
	pthread_t thr;
	int thr_started;
	atomic_int thr_done;
	struct buf sbuf;
	int failed;
};

static struct {
	const char *socket;
	enum docker_read mode;
	struct docker_api api;
	struct json_doc doc;
	struct ctr **v;
	size_t n, cap;
	char events_since[48];
	int64_t next_resync;
	int down;
	atomic_uint_fast64_t partial_joined, bad_lines, api_reconnects;
	unsigned long followed_total;
} D;

/* ---- entries ---- */

static void set_pos(struct ctr *c, int64_t ts)
{
	if (ts > c->pos) {
		/* read by the stats of the main thread */
		__atomic_store_n(&c->pos, ts, __ATOMIC_RELAXED);
		positions_set(&positions, c->key.p, ts, 0, 0);
	}
}

/* One message of a container: a whole line, or a 16 KiB piece of one. */
static int entry(struct ctr *c, int stream, int64_t ts, const char *s,
		 size_t len, int partial)
{
	struct buf *p;
	int r;

	if (stream != 1 && stream != 2)
		return 0;
	if (ts <= c->skip_to)
		return 0;
	p = &c->part[stream];
	if (!partial && !p->len && !c->part_over[stream]) {
		r = out_entry_pre(&c->pre[stream], ts, s, len);
		set_pos(c, ts);
		return r;
	}
	if (!p->len && !c->part_over[stream])
		c->part_ts[stream] = ts;
	if (!c->part_over[stream]) {
		size_t room = lt_out.max_line - p->len;

		if (len > room) {
			c->part_over[stream] = 1;
			atomic_fetch_add(&lt_out.truncated, 1);
		}
		if (buf_add(p, s, len < room ? len : room) < 0)
			c->part_over[stream] = 1;
	}
	if (partial)
		return 0;
	atomic_fetch_add(&D.partial_joined, 1);
	r = out_entry_pre(&c->pre[stream], c->part_ts[stream], buf_cstr(p),
			  p->len);
	buf_reset(p);
	c->part_over[stream] = 0;
	set_pos(c, ts);
	return r;
}

/* A stopped container's last pieces are lines of their own. */
static int flush_parts(struct ctr *c)
{
	int s;

	for (s = 1; s <= 2; s++)
		if (c->part[s].len &&
		    entry(c, s, c->part_ts[s], "", 0, 0) < 0)
			return -1;
	return 0;
}

static int on_json_line(void *arg, const char *line, size_t len, int over)
{
	static struct log_limit lim = LOG_LIMIT_INIT;
	struct ctr *c = arg;
	struct dlog_entry e;
	const char *err;

	if (!over && dlog_parse_json_fast(&c->dec, line, len, &e))
		return entry(c, e.stream, e.ts, e.log, e.len, e.partial);
	if (over || dlog_parse_json(&c->doc, line, len, &e, &err) < 0) {
		atomic_fetch_add(&D.bad_lines, 1);
		log_limited(&lim, "%s: %s; line skipped", c->f.path,
			    over ? "line too long" : err);
		return 0;
	}
	return entry(c, e.stream, e.ts, e.log, e.len, e.partial);
}

/* ---- the API reader (one thread a container) ---- */

static int api_line(struct ctr *c, int stream, const char *s, size_t len,
		    int partial)
{
	static struct log_limit lim = LOG_LIMIT_INIT;
	const char *rest;
	size_t rlen;
	int64_t ts;

	if (dlog_api_line(s, len, &ts, &rest, &rlen) < 0) {
		atomic_fetch_add(&D.bad_lines, 1);
		log_limited(&lim, "container '%.12s': a log line without a "
				  "timestamp; skipped",
			    c->id);
		return 0;
	}
	if (!partial && rlen && rest[rlen - 1] == '\r')
		rlen--;
	return entry(c, stream, ts, rest, rlen, partial);
}

static size_t on_api_data(const char *p, size_t n, void *arg)
{
	struct ctr *c = arg;
	struct buf *b = &c->sbuf;
	size_t used = 0;

	if (logtail_stop || buf_add(b, p, n) < 0)
		return 0;
	for (;;) {
		const char *rest = b->p + used;
		size_t left = b->len - used;

		if (c->tty) {
			/* raw: no frames, lines as the terminal wrote them */
			const char *nl = memchr(rest, '\n', left);

			if (!nl)
				break;
			if (api_line(c, 1, rest, (size_t)(nl - rest), 0) < 0)
				return 0;
			used += (size_t)(nl - rest) + 1;
		} else {
			const char *pl;
			size_t plen;
			int stream;
			long fl = dlog_frame(rest, left, &stream, &pl, &plen);
			int partial;

			if (fl < 0) {
				c->failed = 1;
				return 0;
			}
			if (fl == 0)
				break;
			/* one frame, one message: no newline, a piece */
			partial = !plen || pl[plen - 1] != '\n';
			if (api_line(c, stream, pl, partial ? plen : plen - 1,
				     partial) < 0)
				return 0;
			used += (size_t)fl;
		}
	}
	buf_consume(b, used);
	return n;
}

static void *api_main(void *arg)
{
	struct ctr *c = arg;
	struct http_opts o;
	struct http_client *h;
	struct http_response r;
	struct buf url = BUF_INIT(4096);

	memset(&o, 0, sizeof(o));
	o.user_agent = "obs-logtail/" OBS_VERSION;
	o.connect_timeout_ms = DOCKER_TIMEOUT_MS;
	o.unix_socket_path = D.socket;
	o.cancel = &logtail_stop;
	o.on_data = on_api_data;
	o.on_data_arg = c;
	o.stream_no_timeout = c->running;
	o.timeout_ms = 60000;
	http_response_init(&r);
	h = http_client_new(&o);
	if (h && buf_addf(&url,
			  "%s/containers/%s/logs?stdout=1&stderr=1&"
			  "timestamps=1&follow=%d&since=%lld.%09lld",
			  D.api.base, c->id, c->running, (long long)(c->pos / 1000000000),
			  (long long)(c->pos % 1000000000)) == 0) {
		if (http_request(h, "GET", url.p, NULL, 0, NULL, 0, &r) < 0) {
			if (!logtail_stop)
				log_warn("container '%.12s': log stream "
					 "ended: %s",
					 c->id,
					 c->failed ? "not a log stream"
						   : r.error);
		} else if (r.status != 200) {
			log_warn("container '%.12s': logs answered status %ld",
				 c->id, r.status);
		}
	}
	if (!logtail_stop)
		flush_parts(c);
	http_response_free(&r);
	http_client_free(h);
	buf_free(&url);
	atomic_store(&c->thr_done, 1);
	return NULL;
}

static void api_start(struct ctr *c)
{
	int e;

	atomic_store(&c->thr_done, 0);
	c->failed = 0;
	buf_reset(&c->sbuf);
	e = pthread_create(&c->thr, NULL, api_main, c);
	if (e) {
		errno = e;
		log_errno("cannot start a reader for container '%.12s'", c->id);
		atomic_store(&c->thr_done, 1);
		return;
	}
	c->thr_started = 1;
}

static void api_join(struct ctr *c)
{
	if (c->thr_started) {
		pthread_join(c->thr, NULL);
		c->thr_started = 0;
	}
}

/* ---- the Engine API ---- */

static int get(const char *path)
{
	struct buf why = BUF_INIT(4096);
	int rc = docker_api_get(&D.api, path, &why);

	if (rc < 0 && D.api.resp.status == 0) {
		if (!D.down)
			log_error("docker '%s': %s: %s", D.socket, path,
				  buf_cstr(&why));
		D.down = 1;
	} else if (rc < 0) {
		if (D.api.resp.status != 404)
			log_error("docker '%s': %s", D.socket, buf_cstr(&why));
	} else {
		if (D.down)
			log_warn("docker '%s' answers again", D.socket);
		D.down = 0;
	}
	buf_free(&why);
	return rc;
}

static struct ctr *find(const char *id)
{
	size_t i;

	for (i = 0; i < D.n; i++)
		if (strcmp(D.v[i]->id, id) == 0)
			return D.v[i];
	return NULL;
}

/* __meta_docker_container_label_<name>, name as Prometheus sanitizes it */
static int add_label(struct labels *ls, const char *k, size_t kl,
		     const char *v, size_t vl)
{
	struct buf n = BUF_INIT(4096);
	size_t i;
	int r;

	if (buf_addstr(&n, "__meta_docker_container_label_") < 0)
		return -1;
	for (i = 0; i < kl; i++) {
		char ch = k[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_'))
			ch = '_';
		if (buf_addch(&n, ch) < 0) {
			buf_free(&n);
			return -1;
		}
	}
	r = labels_set(ls, n.p, n.len, v, vl);
	buf_free(&n);
	return r;
}

static int set_str(struct labels *ls, const char *name, const struct json *v)
{
	if (!v || v->type != JSON_STRING)
		return 0;
	return labels_set(ls, name, strlen(name), v->str, v->len);
}

static void ctr_free(struct ctr *c)
{
	int s;

	api_join(c);
	if (c->fopen)
		follow_close(&c->f);
	for (s = 0; s < 3; s++) {
		labels_free(&c->ls[s]);
		buf_free(&c->pre[s]);
		buf_free(&c->part[s]);
	}
	buf_free(&c->key);
	buf_free(&c->sbuf);
	buf_free(&c->dec);
	json_doc_free(&c->doc);
	free(c->logpath);
	free(c);
}

/* Builds the container from its inspect answer in D.api.resp. */
static struct ctr *ctr_new(const char *id)
{
	const struct json *root, *cfg, *hc, *st, *v;
	struct json_err je;
	struct ctr *c;
	uint64_t dev, ino;
	int s;

	root = json_parse(&D.doc, D.api.resp.body.p, D.api.resp.body.len, &je);
	if (!root || root->type != JSON_OBJECT) {
		log_warn("docker: cannot parse the inspect answer of '%.12s'",
			 id);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	memcpy(c->id, id, DOCKER_ID_LEN);
	buf_init(&c->key, 128);
	buf_init(&c->sbuf, 2 * OBS_LINE_MAX);
	buf_init(&c->dec, 0);
	json_doc_init(&c->doc);
	for (s = 0; s < 3; s++) {
		labels_init(&c->ls[s]);
		buf_init(&c->pre[s], 1u << 20);
		buf_init(&c->part[s], lt_out.max_line);
	}
	buf_addf(&c->key, "docker:%s", id);
	cfg = json_get(root, "Config", 6);
	hc = json_get(root, "HostConfig", 10);
	st = json_get(root, "State", 5);
	v = json_get(st, "Running", 7);
	c->running = v && v->type == JSON_TRUE;
	v = json_get(cfg, "Tty", 3);
	c->tty = v && v->type == JSON_TRUE;
	v = json_get(root, "LogPath", 7);
	if (v && v->type == JSON_STRING && v->len) {
		c->logpath = strdup(v->str);
		if (!c->logpath)
			goto fail;
	}
	if (set_str(&c->ls[0], "__meta_docker_container_id",
		    json_get(root, "Id", 2)) < 0 ||
	    set_str(&c->ls[0], "__meta_docker_container_name",
		    json_get(root, "Name", 4)) < 0 ||
	    set_str(&c->ls[0], "__meta_docker_container_image",
		    json_get(cfg, "Image", 5)) < 0 ||
	    set_str(&c->ls[0], "__meta_docker_container_network_mode",
		    json_get(hc, "NetworkMode", 11)) < 0)
		goto fail;
	v = json_get(cfg, "Labels", 6);
	if (v && v->type == JSON_OBJECT) {
		const struct json *l;

		for (l = v->child; l; l = l->next)
			if (l->type == JSON_STRING &&
			    add_label(&c->ls[0], l->key, l->klen, l->str,
				      l->len) < 0)
				goto fail;
	}
	for (s = 1; s <= 2; s++)
		if (labels_copy(&c->ls[s], &c->ls[0]) < 0 ||
		    labels_set(&c->ls[s], "__meta_docker_container_log_stream",
			       34, s == 1 ? "stdout" : "stderr", 6) < 0 ||
		    out_prefix(&c->pre[s], &c->ls[s]) < 0)
			goto fail;
	if (positions_lookup(&positions, c->key.p, &c->pos, &dev, &ino))
		c->skip_to = c->pos;
	return c;
fail:
	log_errno("cannot follow container '%.12s'", id);
	ctr_free(c);
	return NULL;
}

/* Starts reading a container's log: its json-file where readable and
 * allowed, else the API. */
static void ctr_start(struct ctr *c)
{
	c->api = 1;
	if (D.mode != DREAD_API && c->logpath &&
	    access(c->logpath, R_OK) == 0) {
		/* rotated files first, oldest first: what a stopped logtail
		 * missed may already be there */
		struct buf p = BUF_INIT(8192);
		int k;

		for (k = 9; k >= 1; k--) {
			struct follow old;

			buf_reset(&p);
			if (buf_addf(&p, "%s.%d", c->logpath, k) < 0 ||
			    follow_open(&old, p.p, 0, 0, 0, OBS_LINE_MAX / 2) <
				    0)
				continue;
			/* the timestamp skips what was written before */
			follow_poll(&old, on_json_line, c, 1);
			follow_close(&old);
		}
		buf_free(&p);
		if (follow_open(&c->f, c->logpath, 0, 0, 0, OBS_LINE_MAX / 2) ==
		    0) {
			c->f.no_reopen = 1;
			c->fopen = 1;
			c->api = 0;
		}
	}
	if (c->api && D.mode == DREAD_JSONFILE) {
		log_error("container '%.12s': cannot read its json-file log "
			  "'%s'",
			  c->id, c->logpath ? c->logpath : "(none)");
		c->api = 0;
		return;
	}
	if (c->api)
		api_start(c);
	D.followed_total++;
	log_debug("following container '%.12s' (%s)", c->id,
		  c->api ? "api" : "json-file");
}

static void add_container(const char *id, int once)
{
	struct buf path = BUF_INIT(256);
	struct ctr *c = find(id), **v;

	if (strlen(id) != DOCKER_ID_LEN)
		return;
	if (c) {
		/* restarted: reading goes on from where it stopped */
		if (!c->running && !once) {
			c->running = 1;
			c->stopped_mono = 0;
			if (c->api && atomic_load(&c->thr_done)) {
				api_join(c);
				api_start(c);
			}
		}
		return;
	}
	buf_addf(&path, "/containers/%s/json", id);
	if (get(path.p) < 0) {
		buf_free(&path);
		return;
	}
	buf_free(&path);
	c = ctr_new(id);
	if (!c)
		return;
	if (once)
		c->running = 0;
	if (D.n == D.cap) {
		size_t cap = D.cap ? D.cap * 2 : 16;

		v = realloc(D.v, cap * sizeof(*v));
		if (!v) {
			ctr_free(c);
			return;
		}
		D.v = v;
		D.cap = cap;
	}
	D.v[D.n++] = c;
	ctr_start(c);
}

static int add_id(const char *id, void *arg)
{
	return buf_add(arg, id, DOCKER_ID_LEN + 1);
}

/* The containers running now (all of them with --once). */
static int list_containers(int once)
{
	struct buf ids = BUF_INIT(DOCKER_BODY_MAX);
	size_t i;

	if (get(once ? "/containers/json?all=1" : "/containers/json") < 0)
		return -1;
	/* ids are copied out: inspecting reuses the answer and the doc */
	if (docker_parse_list(&D.doc, D.api.resp.body.p, D.api.resp.body.len,
			      add_id, &ids) < 0) {
		log_error("docker '%s': cannot parse the container list",
			  D.socket);
		buf_free(&ids);
		return -1;
	}
	for (i = 0; i < ids.len; i += DOCKER_ID_LEN + 1)
		add_container(ids.p + i, once);
	buf_free(&ids);
	return 0;
}

static void stop_container(const char *id)
{
	struct ctr *c = find(id);

	if (c)
		c->running = 0;
}

/* Start and stop through /events: the window since the last call. */
static int poll_events(void)
{
	char until[48], path[512];
	struct timespec ts;
	const char *p, *end;
	struct json_err je;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(until, sizeof(until), "%lld.%09ld", (long long)ts.tv_sec,
		 ts.tv_nsec);
	snprintf(path, sizeof(path),
		 "/events?since=%s&until=%s&filters=%%7B%%22type%%22%%3A%%5B"
		 "%%22container%%22%%5D%%7D",
		 D.events_since, until);
	if (get(path) < 0)
		return -1;
	memcpy(D.events_since, until, sizeof(until));
	/* one JSON object a line; ids copied out before inspecting */
	{
		struct buf body = BUF_INIT(DOCKER_BODY_MAX);

		if (buf_add(&body, D.api.resp.body.p, D.api.resp.body.len) < 0) {
			buf_free(&body);
			return -1;
		}
		for (p = body.p, end = body.p + body.len; p && p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;
			struct json_doc doc;
			const struct json *ev, *act, *id;
			char cid[DOCKER_ID_LEN + 1];

			json_doc_init(&doc);
			ev = json_parse(&doc, p, (size_t)(le - p), &je);
			act = json_get(ev, "Action", 6);
			id = json_get(json_get(ev, "Actor", 5), "ID", 2);
			if (act && id && act->type == JSON_STRING &&
			    id->type == JSON_STRING &&
			    docker_is_id(id->str, id->len)) {
				memcpy(cid, id->str, DOCKER_ID_LEN + 1);
				if (strcmp(act->str, "start") == 0)
					add_container(cid, 0);
				else if (strcmp(act->str, "die") == 0)
					stop_container(cid);
			}
			json_doc_free(&doc);
			p = nl ? nl + 1 : NULL;
		}
		buf_free(&body);
	}
	return 0;
}

int docker_init(const char *socket, enum docker_read mode, int once)
{
	struct buf host = BUF_INIT(8192);
	struct timespec ts;
	int r;

	D.socket = socket;
	D.mode = mode;
	json_doc_init(&D.doc);
	D.doc.max_len = DOCKER_BODY_MAX;
	D.doc.max_nodes = 4000000;
	/* a relative socket path too */
	r = buf_addf(&host, "unix://%s", socket) < 0 ||
	    docker_api_open(&D.api, buf_cstr(&host), "obs-logtail/" OBS_VERSION,
			    DOCKER_TIMEOUT_MS) < 0;
	buf_free(&host);
	if (r)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(D.events_since, sizeof(D.events_since), "%lld.%09ld",
		 (long long)ts.tv_sec, ts.tv_nsec);
	if (list_containers(once) < 0 && once)
		return -1;
	D.next_resync = clock_mono_ms() + RESYNC_MS;
	return 0;
}

/*
 * Docker renamed the log to LogPath.1 (and the older ones up by one) and
 * started a new one, maybe more than once since the last poll: the file
 * just read to its end is now LogPath.K, so LogPath.K-1 .. LogPath.1 were
 * written in between and are read before the new log.
 */
static int rotated(struct ctr *c)
{
	struct buf p = BUF_INIT(8192);
	uint64_t dev = c->f.dev, ino = c->f.ino;
	int k, found = 0, ret = 0;

	follow_close(&c->f);
	c->fopen = 0;
	for (k = 1; k <= 99 && !found; k++) {
		struct stat st;

		buf_reset(&p);
		if (buf_addf(&p, "%s.%d", c->logpath, k) < 0 ||
		    stat(p.p, &st) < 0)
			break;
		found = (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino
				? k
				: 0;
	}
	for (k = found - 1; k >= 1 && ret == 0; k--) {
		struct follow old;

		buf_reset(&p);
		if (buf_addf(&p, "%s.%d", c->logpath, k) < 0 ||
		    follow_open(&old, p.p, 0, 0, 0, OBS_LINE_MAX / 2) < 0)
			continue;
		if (follow_poll(&old, on_json_line, c, 1) < 0)
			ret = -1;
		follow_close(&old);
	}
	buf_free(&p);
	if (ret == 0 && follow_open(&c->f, c->logpath, 0, 0, 0,
				    OBS_LINE_MAX / 2) == 0) {
		c->f.no_reopen = 1;
		c->fopen = 1;
		if (follow_poll(&c->f, on_json_line, c, !c->running) < 0)
			ret = -1;
	}
	return ret;
}

int docker_poll(int once)
{
	size_t i;

	if (!once) {
		poll_events();
		if (clock_mono_ms() >= D.next_resync) {
			list_containers(0);
			D.next_resync = clock_mono_ms() + RESYNC_MS;
		}
	}
	for (i = 0; i < D.n;) {
		struct ctr *c = D.v[i];
		int done = 0;

		if (c->fopen) {
			int final = !c->running;

			if (final && !once) {
				if (!c->stopped_mono)
					c->stopped_mono = clock_mono_ms();
				final = clock_mono_ms() - c->stopped_mono >=
					STOP_GRACE_MS;
			}
			int r = follow_poll(&c->f, on_json_line, c, final);

			if (r < 0)
				return -1;
			if (r == 1 && rotated(c) < 0)
				return -1;
			if (final) {
				if (flush_parts(c) < 0)
					return -1;
				done = 1;
			}
		} else if (c->api) {
			if (once) {
				api_join(c);
				done = 1;
			} else if (atomic_load(&c->thr_done)) {
				api_join(c);
				if (c->running) {
					/* the stream broke: go on from the
					 * last entry */
					atomic_fetch_add(&D.api_reconnects, 1);
					c->skip_to = c->pos;
					api_start(c);
				} else {
					done = 1;
				}
			}
		} else {
			done = 1;
		}
		if (lt_out.failed)
			return -1;
		if (done) {
			/* its position stays, for a restart */
			ctr_free(c);
			D.v[i] = D.v[--D.n];
			continue;
		}
		i++;
	}
	return 0;
}

void docker_stats(struct buf *b)
{
	size_t i, api = 0;

	int64_t now = clock_ns(), lag = 0;

	for (i = 0; i < D.n; i++) {
		api += D.v[i]->api;
		/* how far behind the newest entry written is, for a running
		 * container (a quiet one counts as behind too) */
		int64_t pos = __atomic_load_n(&D.v[i]->pos, __ATOMIC_RELAXED);

		if (D.v[i]->running && pos && now - pos > lag)
			lag = now - pos;
	}
	buf_addf(b,
		 "# HELP obs_logtail_containers_followed Containers whose "
		 "logs are read now.\n"
		 "# TYPE obs_logtail_containers_followed gauge\n"
		 "obs_logtail_containers_followed{read=\"api\"} %zu\n"
		 "obs_logtail_containers_followed{read=\"json-file\"} %zu\n"
		 "# HELP obs_logtail_containers_followed_total Containers "
		 "followed since start.\n"
		 "# TYPE obs_logtail_containers_followed_total counter\n"
		 "obs_logtail_containers_followed_total %lu\n"
		 "# HELP obs_logtail_docker_partial_lines_joined_total Lines "
		 "Docker split in 16 KiB pieces, joined back.\n"
		 "# TYPE obs_logtail_docker_partial_lines_joined_total counter\n"
		 "obs_logtail_docker_partial_lines_joined_total %llu\n"
		 "# HELP obs_logtail_docker_lines_bad_total Log lines that "
		 "could not be parsed.\n"
		 "# TYPE obs_logtail_docker_lines_bad_total counter\n"
		 "obs_logtail_docker_lines_bad_total %llu\n"
		 "# HELP obs_logtail_docker_up Whether the Engine API answered "
		 "the last request.\n"
		 "# TYPE obs_logtail_docker_up gauge\n"
		 "obs_logtail_docker_up %d\n"
		 "# HELP obs_logtail_docker_position_lag_seconds Age of the "
		 "newest entry written, of the container furthest behind.\n"
		 "# TYPE obs_logtail_docker_position_lag_seconds gauge\n"
		 "obs_logtail_docker_position_lag_seconds %.3f\n",
		 api, D.n - api, D.followed_total,
		 (unsigned long long)atomic_load(&D.partial_joined),
		 (unsigned long long)atomic_load(&D.bad_lines), !D.down,
		 (double)lag / 1e9);
}

void docker_free(void)
{
	size_t i;

	logtail_stop = 1;
	for (i = 0; i < D.n; i++)
		ctr_free(D.v[i]);
	free(D.v);
	docker_api_close(&D.api);
	json_doc_free(&D.doc);
	memset(&D, 0, sizeof(D));
}
