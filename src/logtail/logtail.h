/* logtail.h: what the parts of logtail share: followers, positions, output, Docker. */
#ifndef LOGTAIL_H
#define LOGTAIL_H

#include <sys/types.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "labels.h"
#include "lineio.h"

/* ---- dlog.c: Docker log formats, as pure functions on buffers ---- */

/* One line of a json-file log: {"log":"...","stream":"stdout","time":"..."}. */
struct dlog_entry {
	const char *log;	/* decoded, in the json document */
	size_t len;
	int stream;		/* 1 stdout, 2 stderr */
	int64_t ts;		/* ns */
	int partial;		/* a 16 KiB piece: the log has no final \n */
};

/* Parses one json-file line; the newline is cut from log (and the \r of a
 * TTY), partial set when there was none.  -1 with *err on a bad line. */
int dlog_parse_json(struct json_doc *doc, const char *line, size_t len,
		    struct dlog_entry *e, const char **err);
/*
 * The same for a line exactly as Docker writes it, {"log":"...",
 * "stream":"stdout|stderr","time":"..."}, without a JSON tree: the log is
 * decoded into scratch.  1 with e filled as dlog_parse_json() fills it, 0
 * for any other line (dlog_parse_json() then reads it).
 */
int dlog_parse_json_fast(struct buf *scratch, const char *line, size_t len,
			 struct dlog_entry *e);
/*
 * The Engine API's multiplexed stream: frames of an 8-byte header (stream
 * 0 stdin, 1 stdout, 2 stderr; three zero bytes; big-endian payload size)
 * and the payload.  Returns the size of the first whole frame in
 * buf[0..len) and sets *stream, *payload, *plen; 0 when more bytes are
 * needed; -1 on a header that is not a frame's.
 */
long dlog_frame(const char *buf, size_t len, int *stream,
		const char **payload, size_t *plen);
/* Splits an API line "TIMESTAMP rest" (timestamps=1); -1 if it does not
 * start with a timestamp and a blank. */
int dlog_api_line(const char *s, size_t len, int64_t *ts, const char **rest,
		  size_t *rlen);

/* ---- out.c: the one writer of standard output ---- */

struct lt_out {
	pthread_mutex_t mu;
	struct lineio_writer w;
	int failed;		/* a write failed (EPIPE): stop */
	size_t max_line;	/* --max-line-size */
	atomic_uint_fast64_t entries, bytes, truncated;
	struct buf tail;	/* scratch: ' TS "line"' */
};
extern struct lt_out lt_out;

int out_flush(void);
/* A stream's label set formatted once, "{...}", for out_entry_pre(), which
 * writes one entry (cut to max_line, counted) as lineio_write_log() would,
 * without formatting the labels again; -1 when stdout is gone. */
int out_prefix(struct buf *pre, const struct labels *ls);
int out_entry_pre(const struct buf *pre, int64_t ts, const char *line,
		  size_t len);

/* ---- positions.c ---- */

/*
 * Keys are "file:PATH" and "docker:ID"; a file's value is its offset with
 * the device and inode it belongs to, a container's the timestamp (ns) of
 * the last entry written.  The file is replaced atomically by
 * positions_save().
 */
struct pos {
	char *key;
	int64_t value;
	uint64_t dev, ino;
};
struct positions {
	const char *path;	/* NULL: none kept */
	struct pos *v;
	size_t n, cap;
	pthread_mutex_t mu;
	int dirty;
};
int positions_load(struct positions *p, const char *path);
/* 1 and the values when key is known, else 0. */
int positions_lookup(struct positions *p, const char *key, int64_t *value,
		     uint64_t *dev, uint64_t *ino);
void positions_set(struct positions *p, const char *key, int64_t value,
		   uint64_t dev, uint64_t ino);
void positions_drop(struct positions *p, const char *key);
int positions_save(struct positions *p);
void positions_free(struct positions *p);
extern struct positions positions;

/* ---- follow.c: one file read line by line, rotation and truncation ---- */

struct follow {
	char *path;
	int fd;
	uint64_t dev, ino;
	int64_t off;		/* just past the last whole line read */
	int64_t readoff;	/* bytes read from fd */
	struct buf part;	/* the line being read, at most max_line */
	int over;		/* the line passed max_line: rest dropped */
	int64_t last_ts;
	unsigned long truncations, rotations;
	int no_reopen;		/* when the path is replaced: close, return 1 */
};

/* Called with each whole line (without newline); over says it was cut. */
typedef int (*follow_fn)(void *arg, const char *line, size_t len, int over);

/* Opens path at off (0 if the file is shorter or another inode); -1
 * (errno) when it cannot be opened. */
int follow_open(struct follow *f, const char *path, int64_t off,
		uint64_t dev, uint64_t ino, size_t max_line);
/*
 * Reads what was added and hands over each whole line; a file that
 * shrank is read again from its start; when the path now names another
 * file or none, the old one is read to its end first (its last partial
 * line too) and the new one opened from 0.  final: read to the end and
 * hand over a last partial line (--once, a stopped container).
 * Returns 1 when the path is gone (the follower is closed), 0, or -1 when
 * fn failed.
 */
int follow_poll(struct follow *f, follow_fn fn, void *arg, int final);
void follow_close(struct follow *f);

/* ---- files.c ---- */

int files_init(char **globs, size_t n);
/* One pass over the globs and the files followed. */
int files_poll(int once);
void files_stats(struct buf *b);
void files_free(void);

/* ---- docker.c ---- */

enum docker_read { DREAD_AUTO, DREAD_JSONFILE, DREAD_API };
int docker_init(const char *socket, enum docker_read mode, int once);
int docker_poll(int once);
void docker_stats(struct buf *b);
/* Stops the API readers (at exit). */
void docker_free(void);
extern volatile int logtail_stop;

#endif
