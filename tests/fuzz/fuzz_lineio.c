/* fuzz_lineio.c: libFuzzer harness for the line reader, checking that the canonical form reads back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "obs.h"
#include "record.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A memfd holding the bytes: the reader gets a real fd, with no thread
 * or child to feed a pipe. */
static int
memfd_with(const void *p, size_t n)
{
	int fd = memfd_create("fuzz_lineio", 0);
	const char *s = p;

	if (fd < 0)
		abort();
	while (n > 0) {
		ssize_t k = write(fd, s, n);

		if (k <= 0)
			abort();
		s += k;
		n -= (size_t)k;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		abort();
	return fd;
}

/* Reads fd to the end; every record in canonical form, one a line. */
static void
canon(int fd, struct buf *out, unsigned long *lines, unsigned long *bad)
{
	struct lineio_reader r;
	struct record rec;
	int res;

	lineio_reader_init(&r, fd, "fuzz");
	r.quiet = 1;
	record_init(&rec);
	while ((res = lineio_read(&r, &rec)) == LINEIO_OK) {
		if (rec.raw == NULL || rec.raw_len > OBS_LINE_MAX)
			abort();
		if (lineio_format_record(out, &rec) < 0 || buf_addch(out, '\n') < 0)
			abort();
	}
	if (res != LINEIO_EOF || r.lines + r.bad > r.lineno)
		abort();
	*lines = r.lines;
	*bad = r.bad;
	record_free(&rec);
	lineio_reader_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT(0), b = BUF_INIT(0);
	unsigned long la, ba, lb, bb;
	int fd;

	fd = memfd_with(data, size);
	canon(fd, &a, &la, &ba);
	close(fd);

	/* What we write, we read back as the same records. */
	fd = memfd_with(a.p != NULL ? a.p : "", a.len);
	canon(fd, &b, &lb, &bb);
	close(fd);
	if (bb != 0 || lb != la || a.len != b.len ||
	    (a.len > 0 && memcmp(a.p, b.p, a.len) != 0))
		abort();

	buf_free(&a);
	buf_free(&b);
	return 0;
}
