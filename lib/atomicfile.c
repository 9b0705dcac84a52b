/* atomicfile.c: replace a file whole (temp, fsync, rename), read one whole. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "buf.h"
#include "banned.h"

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The rename is durable only once the directory entry is on disk too. */
static int
fsync_dir(const char *path)
{
	struct buf dir = BUF_INIT(0);
	const char *slash = strrchr(path, '/');
	int fd, r = 0;

	if (slash == NULL)
		r = buf_addch(&dir, '.');
	else if (slash == path)
		r = buf_addch(&dir, '/');
	else
		r = buf_add(&dir, path, (size_t)(slash - path));
	if (r < 0)
		return -1;
	fd = open(dir.p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	buf_free(&dir);
	if (fd < 0)
		return -1;
	/* Some file systems cannot sync a directory; that is not our failure. */
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

int
atomicfile_write(const char *path, const void *data, size_t len)
{
	struct buf tmp = BUF_INIT(0);
	int fd, e;

	if (buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return -1;
	fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail_nofile;
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		e = errno;
		close(fd);
		errno = e;
		goto fail;
	}
	if (close(fd) < 0)
		goto fail;
	if (rename(tmp.p, path) < 0)
		goto fail;
	buf_free(&tmp);
	return fsync_dir(path);
fail:
	e = errno;
	unlink(tmp.p);
	errno = e;
fail_nofile:
	e = errno;
	buf_free(&tmp);
	errno = e;
	return -1;
}

int
file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	struct buf b = BUF_INIT(max);
	char probe;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		size_t room;
		ssize_t r;

		if (b.len == max) {
			/* Full: one more byte means the file is too big. */
			r = read(fd, &probe, 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				goto fail;
			if (r > 0) {
				errno = EFBIG;
				goto fail;
			}
			break;
		}
		room = max - b.len < 65536 ? max - b.len : 65536;
		if (buf_grow(&b, room) < 0)
			goto fail;
		r = read(fd, b.p + b.len, room);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
	}
	close(fd);
	if (buf_grow(&b, 0) < 0) {
		e = errno;
		buf_free(&b);
		errno = e;
		return -1;
	}
	b.p[b.len] = '\0';
	*out = b.p;
	if (len)
		*len = b.len;
	return 0;
fail:
	e = errno;
	close(fd);
	buf_free(&b);
	errno = e;
	return -1;
}
