/* fuzz_queue.c: libFuzzer harness: arbitrary bytes as queue segments, opened and drained. */
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void
dir_clear(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	check(d != NULL);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

static void
dir_remove(void)
{
	dir_clear();
	rmdir(dir);
}

static void
put_file(const char *name, const void *p, size_t n)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0);
	check(n == 0 || write(fd, p, n) == (ssize_t)n);
	close(fd);
}

/*
 * The first byte steers: bits 0-1 the number of segments the rest is cut
 * into (1 to 3), bit 2 a head file pointing into the first one at offset
 * 7 * bits 3-6, bit 7 a max_bytes bound.  Whatever the bytes, opening must
 * work, the queue must drain in a bounded number of steps and deliver
 * exactly the records it counted, and a record pushed after must come back.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_opts o = { 0, 0, 1024, 0 };
	uint64_t seg0, seg1;
	int64_t end0, end1;
	struct buf rec = BUF_INIT(0);
	struct queue_stats st;
	struct queue *q;
	char name[32], head[64];
	size_t i, nseg, piece, at, n, steps;
	uint64_t counted;
	unsigned ctrl;
	int64_t ts;
	int r;

	if (dir[0] == '\0') {
		log_init("fuzz_queue");
		/* tmpfs where there is one: the queue's fsyncs cost nothing. */
		snprintf(dir, sizeof(dir), "%s/fuzz_queue.XXXXXX",
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		check(mkdtemp(dir) != NULL);
		atexit(dir_remove);
	}
	dir_clear();
	ctrl = size > 0 ? data[0] : 0;
	if (size > 0) {
		data++;
		size--;
	}
	nseg = 1 + (ctrl & 3) % 3;
	piece = size / nseg;
	for (i = 0, at = 0; i < nseg; i++, at += piece) {
		n = i + 1 == nseg ? size - at : piece;
		snprintf(name, sizeof(name), "%020zu.seg", i + 1);
		put_file(name, data + at, n);
	}
	if (ctrl & 4) {
		n = (size_t)snprintf(head, sizeof(head), "%020d %u\n", 1,
		    ((ctrl >> 3) & 15) * 7);
		put_file("head", head, n);
	}
	if (ctrl & 0x80)
		o.max_bytes = 4096;

	q = queue_open(dir, &o);
	check(q != NULL);
	queue_stats(q, &st);
	counted = st.records;
	check(st.bytes <= size && st.records <= size / 20);
	for (steps = 0; steps <= size / 20 + 1; steps++) {
		r = queue_peek(q, &rec, &ts);
		check(r >= 0);
		if (r == 0)
			break;
		check(rec.len + 20 <= size);
		check(queue_ack(q) == 0);
	}
	check(steps <= size / 20);
	check(steps == counted);
	queue_stats(q, &st);
	check(st.records == 0 && st.bytes == 0);

	/* the senders tell from the tail whether a push landed */
	queue_tail(q, &seg0, &end0);
	check(queue_push(q, "after", 5, 42) == 0);
	queue_tail(q, &seg1, &end1);
	check((seg1 == seg0 && end1 > end0) || (seg1 > seg0 && end1 > 0));
	check(queue_close(q) == 0);
	q = queue_open(dir, &o);
	check(q != NULL);
	queue_tail(q, &seg0, &end0);
	check(seg0 == seg1 && end0 == end1);
	check(queue_head_from_open(q) == 1);
	check(queue_peek(q, &rec, &ts) == 1 && rec.len == 5 &&
	    memcmp(rec.p, "after", 5) == 0 && ts == 42);
	check(queue_ack(q) == 0 && queue_peek(q, &rec, &ts) == 0);
	check(queue_close(q) == 0);
	buf_free(&rec);
	return 0;
}
