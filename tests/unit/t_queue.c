/* t_queue.c: the durable queue: order, reopen, crash recovery, lock, bounds. */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "crc32c.h"
#include "log.h"
#include "queue.h"
#include "tap.h"
#include "banned.h"

#define HDR 20		/* the record header of obs-queue(5) */

static char base[64];
static int ndirs;

/* A fresh directory name under base for each test. */
static const char *
newdir(char *out, size_t n)
{
	snprintf(out, n, "%s/q%d", base, ++ndirs);
	return out;
}

static void
rmtree(const char *path)
{
	struct dirent *de;
	char sub[512];
	DIR *d;

	d = opendir(path);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rmtree(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int
count_segs(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len > 4 && strcmp(de->d_name + len - 4, ".seg") == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
seg_path(char *out, size_t n, const char *dir, uint64_t id)
{
	snprintf(out, n, "%s/%020" PRIu64 ".seg", dir, id);
}

static long long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) < 0 ? -1 : (long long)sb.st_size;
}

static int
push_str(struct queue *q, const char *s, int64_t ts)
{
	return queue_push(q, s, strlen(s), ts);
}

static int
push_n(struct queue *q, const char *prefix, int from, int to, int64_t ts)
{
	char rec[64];
	int i;

	for (i = from; i < to; i++) {
		snprintf(rec, sizeof(rec), "%s%03d", prefix, i);
		if (push_str(q, rec, ts) < 0)
			return -1;
	}
	return 0;
}

/*
 * Peeks and acks up to max records (0: all), joining them with ",";
 * "ERR" marks a failed call.  Bounded, so a queue that never empties
 * shows up as a failed comparison rather than a hang.
 */
static void
drain(struct queue *q, int max, struct buf *got)
{
	struct buf rec = BUF_INIT(1 << 20);
	int64_t ts;
	int i, r;

	buf_reset(got);
	for (i = 0; i < (max ? max : 10000); i++) {
		r = queue_peek(q, &rec, &ts);
		if (r == 0)
			break;
		if (got->len > 0)
			buf_addch(got, ',');
		if (r < 0 || queue_ack(q) < 0) {
			buf_addstr(got, "ERR");
			break;
		}
		buf_add(got, rec.p, rec.len);
	}
	buf_free(&rec);
}

static void
list(struct buf *out, const char *prefix, int from, int to)
{
	int i;

	buf_reset(out);
	for (i = from; i < to; i++)
		buf_addf(out, "%s%s%03d", i > from ? "," : "", prefix, i);
}

/* Appends n bytes to a file, as a crash or a bad disk would leave them. */
static int
append_bytes(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, p, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static int
poke_byte(const char *path, off_t off, unsigned char xor)
{
	unsigned char c;
	int fd = open(path, O_RDWR), rc = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &c, 1, off) == 1) {
		c ^= xor;
		if (pwrite(fd, &c, 1, off) == 1)
			rc = 0;
	}
	close(fd);
	return rc;
}

/* Opens a queue with stderr going to a file; err gets what was written. */
static struct queue *
open_quiet(const char *dir, const struct queue_opts *o, struct buf *err)
{
	char path[128];
	struct queue *q;
	char *s = NULL;
	int fd, saved;
	ssize_t r;

	snprintf(path, sizeof(path), "%s/stderr", base);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	saved = dup(2);
	if (fd < 0 || saved < 0)
		return NULL;
	dup2(fd, 2);
	q = queue_open(dir, o);
	dup2(saved, 2);
	close(saved);
	buf_reset(err);
	s = malloc(4096);
	if (s != NULL) {
		r = pread(fd, s, 4095, 0);
		if (r > 0)
			buf_add(err, s, (size_t)r);
		free(s);
	}
	close(fd);
	return q;
}

static void
test_memory(void)
{
	struct queue_opts o = { 0 };
	struct buf got = BUF_INIT(0), want = BUF_INIT(0), rec = BUF_INIT(0);
	struct queue_stats st;
	struct queue *q;
	int64_t ts, now = clock_ms();

	q = queue_open(NULL, &o);
	ok(q != NULL, "memory: open");
	if (q == NULL)
		return;
	is_int(queue_peek(q, &rec, &ts), 0, "memory: empty queue peeks 0");
	errno = 0;
	ok(queue_ack(q) == -1 && errno == ENOENT, "memory: ack on empty fails with ENOENT");
	push_n(q, "m", 0, 5, now);
	queue_stats(q, &st);
	ok(st.records == 5 && st.bytes == 5 * (HDR + 4) && st.oldest_ms == now &&
	    st.segments == 0, "memory: stats count 5 records of 24 bytes");
	ok(queue_peek(q, &rec, &ts) == 1 && ts == now, "memory: peek gives the time");
	ok(queue_peek(q, &rec, &ts) == 1, "memory: peek twice without ack");
	is_str(buf_cstr(&rec), "m000", "memory: peek twice gives the same record");
	drain(q, 0, &got);
	list(&want, "m", 0, 5);
	is_str(buf_cstr(&got), buf_cstr(&want), "memory: FIFO order");
	queue_close(q);

	o.max_bytes = 3 * (HDR + 4);
	q = queue_open(NULL, &o);
	push_n(q, "b", 0, 7, now);
	queue_stats(q, &st);
	ok(st.records == 3 && st.dropped_records == 4 &&
	    st.dropped_bytes == 4 * (HDR + 4), "memory: max_bytes keeps 3, drops 4");
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "b004,b005,b006", "memory: the oldest were dropped");
	errno = 0;
	ok(queue_push(q, "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq",
	    64, now) == -1 && errno == EMSGSIZE,
	    "memory: a record over max_bytes is refused with EMSGSIZE");
	queue_close(q);

	o.max_bytes = 0;
	o.max_age_ms = 60000;
	q = queue_open(NULL, &o);
	push_n(q, "old", 0, 3, now - 3600000);
	queue_stats(q, &st);
	ok(st.dropped_records == 2 && st.records == 1,
	    "memory: a push drops records older than max_age");
	push_n(q, "new", 0, 2, now);
	queue_stats(q, &st);
	ok(st.dropped_records == 3 && st.records == 2, "memory: 3 aged out, 2 left");
	ok(queue_peek(q, &rec, &ts) == 1 && ts == now &&
	    strcmp(buf_cstr(&rec), "new000") == 0, "memory: peek gives the first new");
	queue_close(q);
	buf_free(&got);
	buf_free(&want);
	buf_free(&rec);
}

static void
test_empty(void)
{
	struct queue_opts o = { 0, 0, 0, 1 };
	struct buf rec = BUF_INIT(0);
	struct queue_stats st;
	struct queue *q;
	char dir[128];
	int64_t ts;

	q = queue_open(newdir(dir, sizeof(dir)), &o);
	ok(q != NULL, "disk: open creates the directory");
	if (q == NULL)
		return;
	is_int(queue_peek(q, &rec, &ts), 0, "disk: empty queue peeks 0");
	errno = 0;
	ok(queue_ack(q) == -1 && errno == ENOENT, "disk: ack on empty fails with ENOENT");
	queue_stats(q, &st);
	ok(st.records == 0 && st.bytes == 0 && st.oldest_ms == 0 && st.segments == 0,
	    "disk: empty stats");
	is_int(queue_close(q), 0, "disk: close");
	q = queue_open(dir, &o);
	ok(q != NULL && queue_peek(q, &rec, &ts) == 0, "disk: still empty on reopen");
	queue_close(q);
	buf_free(&rec);
}

static void
test_order(void)
{
	/* Records are 24 bytes framed: 4 per segment. */
	struct queue_opts o = { 0, 0, 100, 1 };
	struct buf got = BUF_INIT(0), want = BUF_INIT(0), rec = BUF_INIT(0);
	struct queue_stats st;
	struct queue *q;
	char dir[128];
	int64_t ts;

	q = queue_open(newdir(dir, sizeof(dir)), &o);
	if (!ok(q != NULL, "order: open"))
		return;
	ok(push_n(q, "r", 0, 20, 1000) == 0, "order: 20 pushes");
	queue_stats(q, &st);
	ok(st.records == 20 && st.segments == 5 && count_segs(dir) == 5,
	    "order: 20 records in 5 segments");
	ok(queue_peek(q, &rec, &ts) == 1 && ts == 1000 &&
	    strcmp(buf_cstr(&rec), "r000") == 0, "order: peek gives the first");
	drain(q, 6, &got);
	list(&want, "r", 0, 6);
	is_str(buf_cstr(&got), buf_cstr(&want), "order: first 6 in order");
	is_int(count_segs(dir), 4, "order: the acked segment is removed");
	push_n(q, "r", 20, 25, 1000);
	is_int(queue_close(q), 0, "order: close");

	q = queue_open(dir, &o);
	if (!ok(q != NULL, "order: reopen"))
		return;
	queue_stats(q, &st);
	ok(st.records == 19 && st.bytes == 19 * 24 && st.oldest_ms == 1000 &&
	    st.corrupt_records == 0, "order: reopen finds 19 pending");
	drain(q, 0, &got);
	list(&want, "r", 6, 25);
	is_str(buf_cstr(&got), buf_cstr(&want), "order: the rest in order after reopen");
	queue_stats(q, &st);
	ok(st.records == 0 && st.bytes == 0 && count_segs(dir) == 1,
	    "order: drained, only the write segment is left");
	queue_close(q);

	q = queue_open(dir, &o);
	ok(q != NULL && queue_peek(q, &rec, &ts) == 0,
	    "order: nothing is re-delivered after a clean close");
	ok(push_str(q, "", 5) == 0 && queue_peek(q, &rec, &ts) == 1 &&
	    rec.len == 0 && ts == 5, "order: an empty record");
	queue_close(q);
	buf_free(&got);
	buf_free(&want);
	buf_free(&rec);
}

static void
test_big(void)
{
	struct queue_opts o = { 0, 0, 4096, 0 };
	struct buf rec = BUF_INIT(0);
	struct queue *q;
	char dir[128];
	unsigned char *big;
	size_t i, n = 300000;
	int64_t ts;

	big = malloc(n);
	if (big == NULL)
		return;
	for (i = 0; i < n; i++)
		big[i] = (unsigned char)(i * 31 + (i >> 9));
	q = queue_open(newdir(dir, sizeof(dir)), &o);
	ok(q != NULL && push_str(q, "small", 1) == 0 &&
	    queue_push(q, big, n, 2) == 0 && push_str(q, "after", 3) == 0,
	    "big: a record larger than a segment and the chunk size");
	queue_close(q);
	q = queue_open(dir, &o);
	ok(q != NULL && queue_peek(q, &rec, &ts) == 1 && queue_ack(q) == 0 &&
	    queue_peek(q, &rec, &ts) == 1 && rec.len == n && ts == 2 &&
	    memcmp(rec.p, big, n) == 0, "big: read back whole after reopen");
	ok(queue_ack(q) == 0 && queue_peek(q, &rec, &ts) == 1 &&
	    strcmp(buf_cstr(&rec), "after") == 0, "big: the next record follows");
	queue_close(q);
	free(big);
	buf_free(&rec);
}

/* Writes records r000..r(n-1) of 4 bytes each in one segment, closed. */
static int
make_queue(const char *dir, int n, struct queue_opts *o)
{
	struct queue *q = queue_open(dir, o);
	int rc;

	if (q == NULL)
		return -1;
	rc = push_n(q, "r", 0, n, 1000);
	queue_close(q);
	return rc;
}

static void
test_crash(void)
{
	struct queue_opts o = { 0, 0, 0, 0 };
	struct buf got = BUF_INIT(0), err = BUF_INIT(0);
	struct queue_stats st;
	struct queue *q;
	char dir[128], seg[192], junk[37];
	unsigned char hdr[HDR + 2];
	long long size;

	/* A record cut short inside its header. */
	newdir(dir, sizeof(dir));
	make_queue(dir, 3, &o);
	seg_path(seg, sizeof(seg), dir, 1);
	size = file_size(seg);
	memcpy(hdr, "\x8f" "obq" "\x04\0\0\0", 8);
	append_bytes(seg, hdr, 10);
	q = open_quiet(dir, &o, &err);
	if (!ok(q != NULL, "torn header: opens"))
		return;
	queue_stats(q, &st);
	ok(st.records == 3 && st.corrupt_records == 1, "torn header: 3 records, 1 corrupt");
	is_int(file_size(seg), size, "torn header: the tail is cut off");
	ok(strstr(buf_cstr(&err), "00000000000000000001.seg': cut a torn or corrupt "
	    "tail of 10 bytes at offset 72") != NULL, "torn header: warned with name and offset");
	ok(push_str(q, "r003", 1000) == 0, "torn header: push after the cut");
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r000,r001,r002,r003", "torn header: all whole records delivered");
	queue_close(q);

	/* A whole header whose payload was not all written. */
	newdir(dir, sizeof(dir));
	make_queue(dir, 3, &o);
	seg_path(seg, sizeof(seg), dir, 1);
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, "\x8f" "obq" "\x10\0\0\0", 8);
	append_bytes(seg, hdr, sizeof(hdr));
	q = open_quiet(dir, &o, &err);
	queue_stats(q, &st);
	ok(st.records == 3 && st.corrupt_records == 1 && file_size(seg) == 72,
	    "torn payload: cut off, 3 records left");
	push_str(q, "r003", 1000);
	queue_close(q);
	q = open_quiet(dir, &o, &err);
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r000,r001,r002,r003",
	    "torn payload: records pushed after the cut survive a reopen");
	is_str(buf_cstr(&err), "", "torn payload: no warning the second time");
	queue_close(q);

	/* Garbage at the tail. */
	newdir(dir, sizeof(dir));
	make_queue(dir, 3, &o);
	seg_path(seg, sizeof(seg), dir, 1);
	memset(junk, 0xab, sizeof(junk));
	append_bytes(seg, junk, sizeof(junk));
	q = open_quiet(dir, &o, &err);
	queue_stats(q, &st);
	ok(st.records == 3 && st.corrupt_records == 1 && file_size(seg) == 72,
	    "garbage tail: cut off");
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r000,r001,r002", "garbage tail: records delivered");
	queue_close(q);

	/* A flipped payload byte in the middle record: its CRC fails. */
	newdir(dir, sizeof(dir));
	make_queue(dir, 5, &o);
	seg_path(seg, sizeof(seg), dir, 1);
	poke_byte(seg, 2 * 24 + HDR + 1, 0x20);
	q = open_quiet(dir, &o, &err);
	queue_stats(q, &st);
	ok(st.records == 4 && st.corrupt_records == 1 && file_size(seg) == 5 * 24,
	    "flipped byte: 4 records, 1 corrupt, nothing cut");
	ok(strstr(buf_cstr(&err), "00000000000000000001.seg': skipped 1 corrupt "
	    "record, the first at offset 48") != NULL,
	    "flipped byte: warned once with name and offset");
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r000,r001,r003,r004", "flipped byte: the rest delivered");
	queue_stats(q, &st);
	ok(st.corrupt_records == 1 && st.records == 0, "flipped byte: counted once");
	queue_close(q);

	/* A length field turned huge, and a damaged magic, in one segment. */
	newdir(dir, sizeof(dir));
	make_queue(dir, 6, &o);
	seg_path(seg, sizeof(seg), dir, 1);
	poke_byte(seg, 1 * 24 + 7, 0xf0);
	poke_byte(seg, 3 * 24, 0xff);
	q = open_quiet(dir, &o, &err);
	queue_stats(q, &st);
	ok(q != NULL && st.records == 4 && st.corrupt_records == 2,
	    "huge length and bad magic: 2 corrupt");
	ok(strstr(buf_cstr(&err), "skipped 2 corrupt records, the first at offset 24") != NULL,
	    "huge length and bad magic: one warning for the segment");
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r000,r002,r004,r005", "huge length and bad magic: the rest");
	queue_close(q);

	/* Corruption in an older segment and a torn tail in the last one. */
	o.segment_bytes = 100;
	newdir(dir, sizeof(dir));
	make_queue(dir, 10, &o);
	seg_path(seg, sizeof(seg), dir, 1);
	poke_byte(seg, 24 + HDR, 0x01);
	seg_path(seg, sizeof(seg), dir, 2);
	poke_byte(seg, 3 * 24 + 2, 0x01);
	seg_path(seg, sizeof(seg), dir, 3);
	append_bytes(seg, "\x8f" "obq", 4);
	q = open_quiet(dir, &o, &err);
	queue_stats(q, &st);
	ok(q != NULL && st.records == 8 && st.corrupt_records == 3 && st.segments == 3,
	    "segments: 8 records, 3 corrupt");
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r000,r002,r003,r004,r005,r006,r008,r009",
	    "segments: everything else in order");
	queue_close(q);
	o.segment_bytes = 0;

	/* A garbled head file: deliver everything again rather than lose. */
	newdir(dir, sizeof(dir));
	make_queue(dir, 3, &o);
	snprintf(seg, sizeof(seg), "%s/head", dir);
	unlink(seg);
	append_bytes(seg, "x y\n", 4);
	q = open_quiet(dir, &o, &err);
	ok(strstr(buf_cstr(&err), "is malformed; delivering from the oldest segment") != NULL,
	    "bad head: warned");
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r000,r001,r002", "bad head: all records delivered");
	queue_close(q);

	/* A head past every segment: not ours, so deliver rather than delete. */
	newdir(dir, sizeof(dir));
	make_queue(dir, 2, &o);
	snprintf(seg, sizeof(seg), "%s/head", dir);
	append_bytes(seg, "00000000000000000009 0\n", 23);
	q = open_quiet(dir, &o, &err);
	ok(strstr(buf_cstr(&err), "the head points past the last segment") != NULL,
	    "head past the end: warned");
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r000,r001", "head past the end: all records delivered");
	queue_close(q);

	/* A whole segment of garbage. */
	newdir(dir, sizeof(dir));
	mkdir(dir, 0700);
	seg_path(seg, sizeof(seg), dir, 7);
	append_bytes(seg, "hello, this is not a queue segment at all\n", 42);
	q = open_quiet(dir, &o, &err);
	queue_stats(q, &st);
	ok(q != NULL && st.records == 0 && st.corrupt_records == 1 &&
	    file_size(seg) == 0, "garbage segment: cut to nothing");
	ok(push_str(q, "ok", 1) == 0, "garbage segment: push works after");
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "ok", "garbage segment: the new record");
	queue_close(q);
	buf_free(&got);
	buf_free(&err);
}

static void
test_lock(void)
{
	struct queue_opts o = { 0, 0, 0, 0 };
	struct buf err = BUF_INIT(0), want = BUF_INIT(0);
	struct queue *a, *b;
	char dir[128];
	pid_t pid;
	int status = -1;

	a = queue_open(newdir(dir, sizeof(dir)), &o);
	b = open_quiet(dir, &o, &err);
	ok(a != NULL && b == NULL, "lock: a second open fails");
	buf_addf(&want, "t_queue: queue '%s' is in use by another process\n", dir);
	is_str(buf_cstr(&err), buf_cstr(&want), "lock: the message");
	pid = fork();
	if (pid == 0) {
		/* No output: the parent's TAP stream must stay clean. */
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		_exit(queue_open(dir, &o) == NULL ? 0 : 1);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "lock: another process cannot open it either");
	queue_close(a);
	b = queue_open(dir, &o);
	ok(b != NULL, "lock: open works after the owner closed it");
	queue_close(b);
	buf_free(&err);
	buf_free(&want);
}

static void
test_bounds(void)
{
	/* 24-byte records, 4 per segment, at most 10 pending. */
	struct queue_opts o = { 10 * 24, 0, 100, 0 };
	struct buf got = BUF_INIT(0), want = BUF_INIT(0), err = BUF_INIT(0), rec = BUF_INIT(0);
	struct queue_stats st;
	struct queue *q;
	char dir[128], path[192];
	int64_t ts, now = clock_ms();
	int i, fd, saved;

	q = queue_open(newdir(dir, sizeof(dir)), &o);
	if (!ok(q != NULL, "bounds: open"))
		return;
	snprintf(path, sizeof(path), "%s/stderr", base);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	saved = dup(2);
	dup2(fd, 2);
	for (i = 0; i < 25; i++) {
		snprintf(path, sizeof(path), "b%03d", i);
		push_str(q, path, now);
	}
	dup2(saved, 2);
	close(saved);
	buf_reset(&err);
	{
		char b[512];
		ssize_t r = pread(fd, b, sizeof(b) - 1, 0);

		if (r > 0)
			buf_add(&err, b, (size_t)r);
	}
	close(fd);
	buf_reset(&want);
	buf_addf(&want, "t_queue: warning: queue '%s': dropped the oldest 1 record "
	    "(24 bytes): over max_bytes 240\n", dir);
	is_str(buf_cstr(&err), buf_cstr(&want),
	    "bounds: one warning, later drops wait for the next one");
	queue_stats(q, &st);
	ok(st.records == 10 && st.bytes == 240 && st.dropped_records == 15 &&
	    st.dropped_bytes == 15 * 24, "bounds: 10 kept, 15 dropped and counted");
	ok(st.segments <= 4, "bounds: the dropped segments are gone");
	is_int(count_segs(dir), (long long)st.segments, "bounds: segment files match");
	drain(q, 0, &got);
	list(&want, "b", 15, 25);
	is_str(buf_cstr(&got), buf_cstr(&want), "bounds: the newest 10 remain");
	queue_close(q);

	/* Age: old records go at peek time, whole segments when they can. */
	o.max_bytes = 0;
	q = queue_open(newdir(dir, sizeof(dir)), &o);
	push_n(q, "old", 0, 9, now - 3600000);
	push_n(q, "new", 0, 3, now);
	queue_close(q);
	o.max_age_ms = 60000;
	q = open_quiet(dir, &o, &err);
	ok(q != NULL && queue_peek(q, &rec, &ts) == 1 &&
	    strcmp(buf_cstr(&rec), "new000") == 0 && ts == now,
	    "age: peek skips 9 old records");
	queue_stats(q, &st);
	ok(st.dropped_records == 9 && st.records == 3 && st.oldest_ms == now,
	    "age: counted");
	queue_close(q);
	q = open_quiet(dir, &o, &err);
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "new000,new001,new002", "age: the drop was persisted at close");
	queue_close(q);

	o.max_age_ms = 0;
	o.max_bytes = 50;
	q = open_quiet(newdir(dir, sizeof(dir)), &o, &err);
	errno = 0;
	ok(q != NULL && queue_push(q, "0123456789abcdefghijklmnopqrstuvwxyz", 36, now) == -1 &&
	    errno == EMSGSIZE, "bounds: a record over max_bytes is refused");
	queue_close(q);
	buf_free(&got);
	buf_free(&want);
	buf_free(&err);
	buf_free(&rec);
}

/* Every ack is in the head file (unsynced) at once, so a kill re-delivers
 * none; a peek without ack is the record at the head at the next open. */
static void
test_ack_crash(void)
{
	struct queue_opts o = { 0, 0, 0, 0 };
	struct buf got = BUF_INIT(0), want = BUF_INIT(0);
	struct queue *q;
	char dir[128];
	pid_t pid;
	int status = -1;

	newdir(dir, sizeof(dir));
	make_queue(dir, 5, &o);
	pid = fork();
	if (pid == 0) {
		struct buf rec = BUF_INIT(0);
		int64_t ts;

		q = queue_open(dir, &o);
		if (q == NULL || queue_peek(q, &rec, &ts) != 1 || queue_ack(q) < 0 ||
		    queue_ack(q) < 0)
			_exit(1);
		_exit(0);	/* no close: the acks are not saved */
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ack crash: child acked 2");
	q = queue_open(dir, &o);
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r002,r003,r004", "ack crash: every ack is saved at once");
	queue_close(q);

	/* the record peeked when the kill came may have been delivered */
	newdir(dir, sizeof(dir));
	make_queue(dir, 3, &o);
	q = queue_open(dir, &o);
	ok(q != NULL && queue_head_from_open(q) == 1,
	    "head from open: the head record at open may have been delivered");
	if (q != NULL) {
		struct buf rec = BUF_INIT(0);
		int64_t ts;
		uint64_t seg, seg2;
		int64_t end, end2;

		ok(queue_peek(q, &rec, &ts) == 1 && queue_head_from_open(q) == 1,
		    "head from open: still after a peek");
		ok(queue_ack(q) == 0 && queue_head_from_open(q) == 0,
		    "head from open: not after the head moved");
		queue_tail(q, &seg, &end);
		ok(queue_push(q, "new", 3, 1) == 0, "tail: push");
		queue_tail(q, &seg2, &end2);
		ok(seg2 == seg && end2 > end, "tail: a push moves the end");
		buf_free(&rec);
		queue_close(q);
		q = queue_open(dir, &o);
		queue_tail(q, &seg, &end);
		ok(q != NULL && seg == seg2 && end == end2,
		    "tail: the same at the next open");
		queue_close(q);
	}
	q = queue_open(NULL, &o);
	ok(q != NULL && queue_head_from_open(q) == 0,
	    "head from open: never for a memory queue");
	queue_close(q);

	newdir(dir, sizeof(dir));
	make_queue(dir, 5, &o);
	pid = fork();
	if (pid == 0) {
		q = queue_open(dir, &o);
		if (q == NULL || queue_ack(q) < 0 || queue_ack(q) < 0 ||
		    queue_flush(q) < 0)
			_exit(1);
		_exit(0);	/* crash after the flush */
	}
	status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "ack crash: child acked 2 and flushed");
	q = queue_open(dir, &o);
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r002,r003,r004", "ack crash: flushed acks are not re-delivered");
	queue_close(q);
	buf_free(&got);
	buf_free(&want);
}

/*
 * A write that fails half way (here: the file size limit, as a full disk
 * would) is cut off again, so the pushes before and after it are intact.
 */
static void
test_write_error(void)
{
	struct queue_opts o = { 0, 0, 0, 1 };
	struct buf got = BUF_INIT(0), want = BUF_INIT(0);
	struct queue_stats st;
	struct queue *q;
	char dir[128];
	pid_t pid;
	int status = -1;

	newdir(dir, sizeof(dir));
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 118, 118 };
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		signal(SIGXFSZ, SIG_IGN);
		q = queue_open(dir, &o);
		if (q == NULL || setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(1);
		/* 24 bytes each: four fit under 118, the fifth is cut at 118. */
		if (push_n(q, "r", 0, 4, 1) < 0)
			_exit(2);
		errno = 0;
		if (push_str(q, "r004", 1) != -1 || errno != EFBIG)
			_exit(3);
		if (push_str(q, "", 1) < 0)	/* 20 bytes fit at 96 */
			_exit(4);
		_exit(queue_close(q) == 0 ? 0 : 5);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "write error: the push over the limit fails with EFBIG (child status %d)",
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	q = queue_open(dir, &o);
	queue_stats(q, &st);
	ok(q != NULL && st.records == 5 && st.corrupt_records == 0,
	    "write error: no torn record was left behind");
	drain(q, 0, &got);
	list(&want, "r", 0, 4);
	buf_addch(&want, ',');
	is_str(buf_cstr(&got), buf_cstr(&want), "write error: the pushes around it are intact");
	queue_close(q);
	buf_free(&got);
	buf_free(&want);
}

/*
 * kill -9 in the middle of pushing: every push the child reported as done
 * (queue_push returned 0 with sync) is there after reopen, in order.
 */
static void
test_kill(void)
{
	struct queue_opts o = { 0, 0, 4096, 1 };
	struct buf got = BUF_INIT(0), rec = BUF_INIT(0);
	struct pollfd pfd;
	struct queue *q;
	char dir[128];
	int p[2], status, reported = -1, n, i, bad = 0, seen = 0;
	int64_t deadline, ts;
	pid_t pid;

	newdir(dir, sizeof(dir));
	if (pipe(p) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char s[32];

		close(p[0]);
		q = queue_open(dir, &o);
		if (q == NULL)
			_exit(1);
		for (i = 0; i < 1000000; i++) {
			snprintf(s, sizeof(s), "kill-%07d", i);
			if (queue_push(q, s, strlen(s), i) < 0)
				_exit(1);
			if (write(p[1], &i, sizeof(i)) != sizeof(i))
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	/* Let it push at least 300 records or run 10 s, then kill it. */
	deadline = clock_mono_ms() + 10000;
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (reported < 300 && clock_mono_ms() < deadline) {
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = (int)read(p[0], &i, sizeof(i));
		if (n != sizeof(i))
			break;
		reported = i;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	while (read(p[0], &i, sizeof(i)) == sizeof(i))
		reported = i;
	close(p[0]);
	/* A slow disk may allow fewer than 300 synced pushes in 10 s. */
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && reported >= 20,
	    "kill -9: child killed after %d reported pushes", reported + 1);
	q = queue_open(dir, &o);
	if (!ok(q != NULL, "kill -9: reopen"))
		return;
	for (i = 0; i < 1000000; i++) {
		char want[32];

		n = queue_peek(q, &rec, &ts);
		if (n <= 0)
			break;
		snprintf(want, sizeof(want), "kill-%07d", i);
		if (strcmp(buf_cstr(&rec), want) != 0 || ts != i)
			bad++;
		seen++;
		if (queue_ack(q) < 0)
			break;
	}
	ok(bad == 0, "kill -9: records in order, none missing (%d bad)", bad);
	ok(seen >= reported + 1 && seen <= reported + 2,
	    "kill -9: %d found, %d reported (one more may be in flight)", seen,
	    reported + 1);
	queue_close(q);
	buf_free(&got);
	buf_free(&rec);
}

/*
 * Group commit: pushes between syncs are dirty until queue_sync() or the
 * next segment or close; what a kill leaves is in the page cache anyway,
 * so a child killed after unsynced pushes loses nothing.
 */
static void
test_group_commit(void)
{
	struct queue_opts o = { 0, 0, 64, 1 };
	struct buf got = BUF_INIT(0), want = BUF_INIT(0);
	struct queue *q;
	char dir[128];
	pid_t pid;
	int status = -1;

	newdir(dir, sizeof(dir));
	q = queue_open(dir, &o);
	ok(q != NULL, "group commit: open");
	if (q == NULL)
		return;
	queue_set_sync_interval(q, 3600 * 1000);
	ok(push_n(q, "r", 0, 3, 1) == 0, "group commit: pushes within the interval");
	ok(queue_sync(q, 0) == 0, "group commit: interval not passed, no error");
	ok(queue_sync(q, 1) == 0, "group commit: forced sync");
	ok(push_n(q, "r", 3, 40, 1) == 0 && count_segs(dir) > 1,
	    "group commit: segments roll while dirty");
	queue_close(q);
	q = queue_open(dir, &o);
	drain(q, 0, &got);
	list(&want, "r", 0, 40);
	is_str(buf_cstr(&got), buf_cstr(&want), "group commit: all records after close");
	queue_close(q);

	newdir(dir, sizeof(dir));
	pid = fork();
	if (pid == 0) {
		q = queue_open(dir, &o);
		if (q == NULL)
			_exit(1);
		queue_set_sync_interval(q, 3600 * 1000);
		if (push_n(q, "r", 0, 5, 1) < 0)
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "group commit: child killed after unsynced pushes");
	q = queue_open(dir, &o);
	drain(q, 0, &got);
	list(&want, "r", 0, 5);
	is_str(buf_cstr(&got), buf_cstr(&want), "group commit: kill -9 loses nothing pushed");
	queue_close(q);
	q = queue_open(NULL, &o);
	queue_set_sync_interval(q, 1000);
	ok(push_str(q, "m", 1) == 0 && queue_sync(q, 1) == 0,
	    "group commit: a memory queue has nothing to sync");
	queue_close(q);
	buf_free(&got);
	buf_free(&want);
}

/* The head is one fixed-width line rewritten in place, whatever was there. */
static void
test_head_file(void)
{
	struct queue_opts o = { 0, 0, 0, 0 };
	struct buf got = BUF_INIT(0);
	struct queue *q;
	char dir[128], head[160], line[128];
	FILE *f;
	size_t n = 0;

	newdir(dir, sizeof(dir));
	make_queue(dir, 5, &o);
	snprintf(head, sizeof(head), "%s/head", dir);
	f = fopen(head, "w");
	if (f) {
		fputs("00000000000000000000 0\nand a long tail of garbage that "
		    "an older writer left behind\n", f);
		fclose(f);
	}
	q = queue_open(dir, &o);
	ok(q != NULL && queue_ack(q) == 0 && queue_flush(q) == 0,
	    "head file: ack and save over a long old head");
	queue_close(q);
	f = fopen(head, "r");
	if (f) {
		n = fread(line, 1, sizeof(line) - 1, f);
		fclose(f);
	}
	line[n] = '\0';
	is_str(line, "00000000000000000001 00000000000000000024\n",
	    "head file: one fixed-width line");
	q = queue_open(dir, &o);
	drain(q, 0, &got);
	is_str(buf_cstr(&got), "r001,r002,r003,r004", "head file: read back");
	queue_close(q);
	buf_free(&got);
}

int
main(void)
{
	log_init("t_queue");
	snprintf(base, sizeof(base), "/tmp/t_queue.XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_memory();
	test_empty();
	test_order();
	test_big();
	test_crash();
	test_lock();
	test_bounds();
	test_ack_crash();
	test_write_error();
	test_kill();
	test_group_commit();
	test_head_file();
	rmtree(base);
	return done_testing();
}
