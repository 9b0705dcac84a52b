/* follow.c: one file read line by line across rotation by rename and truncation. */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "logtail.h"
#include "banned.h"

#define CHUNK (64 * 1024)

int follow_open(struct follow *f, const char *path, int64_t off,
		uint64_t dev, uint64_t ino, size_t max_line)
{
	struct stat st;
	int fd;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	f->path = strdup(path);
	if (!f->path) {
		close(fd);
		return -1;
	}
	f->fd = fd;
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	/* a saved offset counts only for the same file, not past its end */
	if ((dev || ino) && (dev != f->dev || ino != f->ino))
		off = 0;
	if (off > (int64_t)st.st_size)
		off = 0;
	if (off > 0 && lseek(fd, off, SEEK_SET) < 0)
		off = 0;
	f->off = f->readoff = off;
	buf_init(&f->part, max_line);
	return 0;
}

void follow_close(struct follow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->path);
	f->path = NULL;
	buf_free(&f->part);
}

/* Hands over the line held in part. */
static int emit(struct follow *f, follow_fn fn, void *arg)
{
	int r = fn(arg, f->part.p ? f->part.p : "", f->part.len, f->over);

	buf_reset(&f->part);
	f->over = 0;
	return r;
}

/* Adds s[0..n) to the line being read, up to the cap. */
static void add(struct follow *f, const char *s, size_t n)
{
	size_t room = f->part.max - f->part.len;

	if (f->over)
		return;
	if (n > room) {
		f->over = 1;
		n = room;
	}
	if (buf_add(&f->part, s, n) < 0)
		f->over = 1;
}

/* Reads to the end of the file; -1 when fn failed. */
static int drain(struct follow *f, follow_fn fn, void *arg)
{
	char chunk[CHUNK];

	for (;;) {
		ssize_t n = read(f->fd, chunk, sizeof(chunk));
		const char *p = chunk, *end;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN)
				log_errno("cannot read '%s'", f->path);
			return 0;
		}
		end = chunk + n;
		f->readoff += n;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));

			if (!nl) {
				add(f, p, (size_t)(end - p));
				break;
			}
			add(f, p, (size_t)(nl - p));
			p = nl + 1;
			f->off = f->readoff - (end - p);
			if (emit(f, fn, arg) < 0)
				return -1;
		}
	}
}

int follow_poll(struct follow *f, follow_fn fn, void *arg, int final)
{
	struct stat st, pst;
	int gone;

	if (fstat(f->fd, &st) == 0 && (int64_t)st.st_size < f->readoff) {
		/* copytruncate, or a writer that starts over */
		f->truncations++;
		log_debug("'%s' shrank from %lld to %lld bytes: reading it "
			  "from the start",
			  f->path, (long long)f->readoff,
			  (long long)st.st_size);
		if (lseek(f->fd, 0, SEEK_SET) < 0)
			return 0;
		f->off = f->readoff = 0;
		buf_reset(&f->part);
		f->over = 0;
	}
	/* the path first: what the old file got before it was renamed is
	 * read to its end below, then the new one starts */
	gone = stat(f->path, &pst) < 0 || (uint64_t)pst.st_dev != f->dev ||
	       (uint64_t)pst.st_ino != f->ino;
	if (drain(f, fn, arg) < 0)
		return -1;
	if ((gone || final) && (f->part.len || f->over)) {
		f->off = f->readoff;
		if (emit(f, fn, arg) < 0)
			return -1;
	}
	if (!gone)
		return 0;
	f->rotations++;
	if (f->no_reopen)
		return 1;
	{
		char *path = f->path;
		unsigned long tr = f->truncations, ro = f->rotations;
		size_t max = f->part.max;
		int64_t last = f->last_ts;

		f->path = NULL;
		follow_close(f);
		if (follow_open(f, path, 0, 0, 0, max) < 0) {
			memset(f, 0, sizeof(*f));
			f->fd = -1;
			f->path = path;
			f->truncations = tr;
			f->rotations = ro;
			return 1;
		}
		free(path);
		f->truncations = tr;
		f->rotations = ro;
		f->last_ts = last;
		log_debug("'%s' was replaced: reading the new file", f->path);
		if (drain(f, fn, arg) < 0)
			return -1;
		if (final && (f->part.len || f->over)) {
			f->off = f->readoff;
			if (emit(f, fn, arg) < 0)
				return -1;
		}
	}
	return 0;
}
