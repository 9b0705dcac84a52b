/* journal.c: the sender's input journal, and a line reader that feeds it. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "journal.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "parse.h"
#include "banned.h"

/* Reads of 64 KiB: few system calls (the journal gets the same few), and
 * a buffer that stays small beside the sender's other memory (256 KiB
 * saved some 2% CPU reading a file flat out, nothing at a pipe's pace). */
#define READ_CHUNK (64 * 1024)
#define JOURNAL_COPY (64 * 1024)
#define GATHER_PIPE (1024 * 1024)
/* "#obs-journal " and 20 digits and a newline: a comment to the line
 * format, so no older journal's input starts with it */
#define BASE_TAG "#obs-journal "
#define BASE_LEN 34

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void base_line(char *out, int64_t base)
{
	snprintf(out, BASE_LEN + 1, BASE_TAG "%020lld\n", (long long)base);
}

/* The base line at the start of fd, if there is one. */
static int base_read(int fd, int64_t size, int64_t *base)
{
	char b[BASE_LEN];
	int64_t v;

	if (size < BASE_LEN || pread(fd, b, BASE_LEN, 0) != BASE_LEN ||
	    memcmp(b, BASE_TAG, sizeof(BASE_TAG) - 1) != 0 ||
	    b[BASE_LEN - 1] != '\n' ||
	    parse_i64(b + sizeof(BASE_TAG) - 1, 20, 0, INT64_MAX, &v) < 0)
		return 0;
	*base = v;
	return 1;
}

int journal_open(struct journal *j, const char *dir)
{
	struct stat sb;
	struct buf lock = BUF_INIT(4096);

	memset(j, 0, sizeof(*j));
	j->fd = j->lockfd = -1;
	buf_init(&j->path, 4096);
	buf_init(&j->tmp, 4096);
	if (buf_addf(&j->path, "%s/journal", dir) < 0 ||
	    buf_addf(&j->tmp, "%s/journal.tmp", dir) < 0 ||
	    buf_addf(&lock, "%s/journal.lock", dir) < 0) {
		log_errno("cannot open the journal in '%s'", dir);
		goto fail;
	}
	j->lockfd = open(buf_cstr(&lock), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->lockfd < 0) {
		log_errno("cannot open journal lock '%s'", buf_cstr(&lock));
		goto fail;
	}
	if (flock(j->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_error("queue '%s' is in use by another process",
				  dir);
		else
			log_errno("cannot lock journal '%s'", buf_cstr(&lock));
		goto fail;
	}
	j->fd = open(buf_cstr(&j->path),
		     O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0 || fstat(j->fd, &sb) < 0) {
		log_errno("cannot open journal '%s'", buf_cstr(&j->path));
		goto fail;
	}
	j->size = (int64_t)sb.st_size;
	if (base_read(j->fd, j->size, &j->base)) {
		j->has_base = 1;
		j->hdr = BASE_LEN;
		j->size -= BASE_LEN;
	}
	buf_free(&lock);
	return 0;
fail:
	buf_free(&lock);
	journal_close(j, 0);
	return -1;
}

void journal_set_base(struct journal *j, int64_t base)
{
	if (!j->has_base)
		j->base = base;
}

int journal_append(struct journal *j, const void *p, size_t n)
{
	char line[BASE_LEN + 1];
	struct iovec iov[2];
	ssize_t w = BASE_LEN;

	if (j->fd < 0 || n == 0)
		return 0;
	/* an empty journal gets its base with its first bytes (a kill in
	 * between leaves the base alone, which is what it says) */
	if (j->size == 0 && j->hdr == 0) {
		base_line(line, j->base);
		iov[0].iov_base = line;
		iov[0].iov_len = BASE_LEN;
		iov[1].iov_base = (void *)(uintptr_t)p;
		iov[1].iov_len = n;
		do
			w = writev(j->fd, iov, 2);
		while (w < 0 && errno == EINTR);
		if (w >= BASE_LEN) {
			j->hdr = BASE_LEN;
			j->has_base = 1;
			j->size += w - BASE_LEN;
			p = (const char *)p + (w - BASE_LEN);
			n -= (size_t)(w - BASE_LEN);
			if (n == 0)
				return 0;
		}
	}
	/* a base line cut short: given up like any failed append */
	if (w < BASE_LEN || write_all(j->fd, p, n) < 0) {
		if (w >= 0 && w < BASE_LEN)
			errno = ENOSPC;
		log_errno("cannot write journal '%s'; lines read from now "
			  "on are lost if the sender is killed before they are "
			  "queued",
			  buf_cstr(&j->path));
		/* What it holds is replayed by the next run. */
		close(j->fd);
		j->fd = -1;
		j->failed = 1;
		return -1;
	}
	j->size += (int64_t)n;
	return 0;
}

/*
 * Drops the first keep_from bytes: the rest goes to a new file renamed over
 * the journal, so a kill at any point leaves the old or the new journal,
 * both holding every byte not yet queued.  No fsync: what is queued is
 * synced by the queue (at once, or within its group-commit interval), and
 * the journal guards against a process kill, which the page cache
 * survives.
 */
int journal_cut(struct journal *j, int64_t keep_from)
{
	char *chunk = NULL, line[BASE_LEN + 1];
	int64_t off;
	int fd;

	if (j->fd < 0 || keep_from <= 0)
		return 0;
	if (keep_from > j->size)
		keep_from = j->size;
	fd = open(buf_cstr(&j->tmp),
		  O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (j->size > keep_from) {
		base_line(line, j->base + keep_from);
		if (!(chunk = malloc(JOURNAL_COPY)) ||
		    write_all(fd, line, BASE_LEN) < 0)
			goto fail;
	}
	for (off = keep_from; off < j->size;) {
		size_t n = j->size - off < JOURNAL_COPY
				   ? (size_t)(j->size - off)
				   : JOURNAL_COPY;
		ssize_t r = pread(j->fd, chunk, n, off + j->hdr);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			goto fail;
		}
		if (write_all(fd, chunk, (size_t)r) < 0)
			goto fail;
		off += r;
	}
	if (rename(buf_cstr(&j->tmp), buf_cstr(&j->path)) < 0)
		goto fail;
	free(chunk);
	close(j->fd);
	j->fd = fd;
	j->size -= keep_from;
	j->base += keep_from;
	j->hdr = j->size > 0 ? BASE_LEN : 0;
	j->has_base = 1;
	return 0;
fail:
	log_errno("cannot rewrite journal '%s'", buf_cstr(&j->path));
	free(chunk);
	if (fd >= 0) {
		close(fd);
		unlink(buf_cstr(&j->tmp));
	}
	return -1;
}

/* Replays come from a second descriptor, so appends never mix in. */
int journal_reader(struct journal *j)
{
	int fd;

	if (j->fd < 0 || j->size == 0)
		return -1;
	fd = open(buf_cstr(&j->path), O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && j->hdr > 0 && lseek(fd, j->hdr, SEEK_SET) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		log_errno("cannot read journal '%s'", buf_cstr(&j->path));
	return fd;
}

void journal_close(struct journal *j, int remove)
{
	if (j->fd >= 0) {
		if (remove && unlink(buf_cstr(&j->path)) < 0)
			log_errno("cannot remove journal '%s'",
				  buf_cstr(&j->path));
		close(j->fd);
	}
	if (j->lockfd >= 0)
		close(j->lockfd);
	buf_free(&j->path);
	buf_free(&j->tmp);
	j->fd = j->lockfd = -1;
}


/* ---- the line reader ---- */

void jreader_init(struct jreader *r, int fd, const char *name,
		  struct journal *j)
{
	struct log_limit rl = LOG_LIMIT_INIT;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	r->journal = j;
	r->oflags = -1;
	buf_init(&r->in, OBS_LINE_MAX + READ_CHUNK + 1);
	r->limit = rl;
}

void jreader_free(struct jreader *r)
{
	buf_free(&r->in);
}

static void too_long(struct jreader *r)
{
	r->lineno++;
	r->bad++;
	log_limited(&r->limit, "%s:%lu: line too long", r->name, r->lineno);
}

void jreader_gather(struct jreader *r, int ms)
{
	struct stat sb;
	int cap;

	r->gather_ms = 0;
	if (ms <= 0 || fstat(r->fd, &sb) < 0 || !S_ISFIFO(sb.st_mode))
		return;
	/* best effort: the limit for an unprivileged user may refuse it */
	if (fcntl(r->fd, F_SETPIPE_SZ, GATHER_PIPE) < 0) {
		/* the pipe keeps its size */
	}
	cap = fcntl(r->fd, F_GETPIPE_SZ);
	if (cap <= 0)
		return;
	r->gather_below = (size_t)cap / 2 < READ_CHUNK / 2 ? (size_t)cap / 2
							    : READ_CHUNK / 2;
	r->gather_ms = ms;
}

/* Reads more after the partial line in[pos..len). */
static int fill(struct jreader *r)
{
	ssize_t n;

	if (r->skipping) {
		r->base += (int64_t)r->in.len;
		buf_reset(&r->in);
	} else if (r->pos > 0) {
		r->base += (int64_t)r->pos;
		buf_consume(&r->in, r->pos);
	}
	r->pos = 0;
	r->scan = r->in.len;
	if (!r->skipping && r->in.len > OBS_LINE_MAX) {
		too_long(r);
		r->skipping = 1;
		r->base += (int64_t)r->in.len;
		buf_reset(&r->in);
		r->scan = 0;
	}
	if (buf_grow(&r->in, READ_CHUNK) < 0)
		return LINEIO_ERR;
	for (;;) {
		n = read(r->fd, r->in.p + r->in.len, READ_CHUNK);
		if (n > 0) {
			r->last_read = (size_t)n;
			/* in the journal before it is parsed: a line in a
			 * batch is always in the journal too */
			if (r->journal)
				journal_append(r->journal, r->in.p + r->in.len,
					       (size_t)n);
			r->in.len += (size_t)n;
			r->in.p[r->in.len] = '\0';
			return 0;
		}
		if (n == 0) {
			r->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			return LINEIO_ERR;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd p = { r->fd, POLLIN, 0 };

			if (r->nonblock)
				return LINEIO_AGAIN;
			if (poll(&p, 1, -1) < 0)
				return LINEIO_ERR;
			continue;
		}
		return LINEIO_ERR;
	}
}

int jreader_read(struct jreader *r, const char **linep, size_t *lenp)
{
	for (;;) {
		const char *line, *nl = NULL;
		size_t len;
		int n;

		if (r->scan < r->in.len)
			nl = memchr(r->in.p + r->scan, '\n',
				    r->in.len - r->scan);
		if (nl != NULL) {
			line = r->in.p + r->pos;
			len = (size_t)(nl - line);
			r->pos = r->scan = (size_t)(nl - r->in.p) + 1;
			if (r->skipping) {
				r->skipping = 0;
				continue;
			}
		} else if (r->eof || r->stopping) {
			if (r->pos == r->in.len || r->skipping ||
			    r->stopping) {
				/* stopping: a partial line stays unread, and
				 * in the journal */
				if (!r->stopping) {
					r->base += (int64_t)r->in.len;
					buf_reset(&r->in);
					r->pos = r->scan = 0;
				}
				r->skipping = 0;
				return LINEIO_EOF;
			}
			line = r->in.p + r->pos;
			len = r->in.len - r->pos;
			r->pos = r->scan = r->in.len;
			if (r->drop_partial) {
				log_warn("%s: dropped a partial last line of "
					 "%zu bytes",
					 r->name, len);
				continue;
			}
		} else {
			r->scan = r->in.len;
			n = fill(r);
			if (n < 0)
				return n;
			/* An endless line must not keep the caller from its
			 * deadlines and signals: hand back control after each
			 * chunk that does not end the skipped line. */
			if (r->skipping && r->nonblock && !r->eof &&
			    memchr(r->in.p + r->scan, '\n',
				   r->in.len - r->scan) == NULL)
				return LINEIO_AGAIN;
			continue;
		}
		r->lineno++;
		if (len > OBS_LINE_MAX) {
			r->lineno--;
			too_long(r);
			continue;
		}
		r->line_off = r->base + (int64_t)(line - r->in.p);
		*linep = line;
		*lenp = len;
		return LINEIO_OK;
	}
}

int64_t jreader_next(const struct jreader *r)
{
	return r->base + (int64_t)r->pos;
}

void jreader_shift(struct jreader *r, int64_t n)
{
	r->base -= n;
	r->line_off -= n;
}

void jreader_nonblock(struct jreader *r)
{
	int fl = fcntl(r->fd, F_GETFL);

	if (fl < 0)
		return;
	if (fl & O_NONBLOCK)
		r->nonblock = 1;
	else if (fcntl(r->fd, F_SETFL, fl | O_NONBLOCK) == 0)
		r->nonblock = 1, r->oflags = fl;
}

void jreader_restore(struct jreader *r)
{
	if (r->oflags >= 0)
		fcntl(r->fd, F_SETFL, r->oflags);
	r->oflags = -1;
}

int jreader_pump(struct jreader *r, const volatile sig_atomic_t *stop,
		 void (*on_line)(void *arg, const char *line, size_t len),
		 int64_t (*tick)(void *arg), void *arg)
{
	unsigned long n = 0;
	struct pollfd pfd;

	for (;;) {
		const char *line;
		size_t len;
		int rc;

		if (*stop)
			r->stopping = 1;
		rc = jreader_read(r, &line, &len);
		if (rc == LINEIO_OK) {
			on_line(arg, line, len);
			if ((++n & 1023) == 0)
				tick(arg);
			continue;
		}
		if (rc == LINEIO_AGAIN) {
			int64_t wait = tick(arg);

			pfd.fd = r->fd;
			pfd.events = POLLIN;
			rc = poll(&pfd, 1, (int)wait);
			if (rc < 0 && errno != EINTR) {
				log_errno("cannot poll '%s'", r->name);
				return -1;
			}
			/* a trickle: let more of it come before reading */
			if (rc > 0 && r->gather_ms > 0 && !*stop &&
			    r->last_read < r->gather_below &&
			    poll(NULL, 0, r->gather_ms) < 0 && errno != EINTR) {
				log_errno("cannot poll '%s'", r->name);
				return -1;
			}
			continue;
		}
		if (rc == LINEIO_EOF)
			return 0;
		if (errno == EINTR || errno == EAGAIN)
			continue;
		log_errno("cannot read '%s'", r->name);
		return -1;
	}
}
