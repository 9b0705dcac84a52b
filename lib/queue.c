/* queue.c: the durable FIFO of records in segment files, or in memory. */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "buf.h"
#include "clock.h"
#include "crc32c.h"
#include "log.h"
#include "parse.h"
#include "queue.h"
#include "banned.h"

/*
 * A record on disk: magic, payload length (u32 LE), enqueue time in ms
 * (i64 LE), CRC-32C of the 12 bytes of length and time followed by the
 * payload (u32 LE), then the payload.  obs-queue(5) is the reference.
 */
#define REC_HDR		20
#define REC_MAX		(64u * 1024 * 1024)
#define SEG_DEFAULT	(8u * 1024 * 1024)
#define SEG_NAME_LEN	24	/* 20 digits and ".seg" */
#define CHUNK		(16 * 1024)	/* checksum and resync reads */
#define DROP_WARN_MS	10000

static const unsigned char rec_magic[4] = { 0x8f, 'o', 'b', 'q' };

struct seg {
	uint64_t id;
	off_t end;		/* bytes that belong to the queue */
	uint64_t records;	/* valid records not yet acked */
	uint64_t bytes;		/* their framed size */
	int64_t max_ts;		/* newest enqueue time, to drop it whole by age */
	uint64_t known_bad;	/* corrupt spans counted at open, skipped quietly */
};

struct mrec {
	struct mrec *next;
	int64_t ts;
	size_t len;
	unsigned char data[];
};

struct queue {
	char *dir;		/* NULL: a memory queue */
	struct queue_opts o;
	struct queue_stats st;	/* segments and oldest_ms are computed */

	int lockfd, dirfd;
	struct seg *segs;	/* oldest first; the last one takes pushes */
	size_t nsegs, segcap;
	uint64_t next_id;	/* for a new segment when there is none */
	int rfd;		/* reads segs[0] */
	uint64_t rfd_id;
	int wfd;		/* appends to segs[nsegs - 1] */
	off_t head_off;		/* in segs[0] */
	int head_ok;		/* a valid record at head_off, described below */
	uint32_t head_len;
	int64_t head_ts;
	uint64_t saved_id;	/* what the head file says */
	off_t saved_off;
	unsigned acks_unsaved;
	int open_head;		/* the head has not moved since queue_open */
	int headfd;		/* the head file, opened at its first save */
	int head_sized;		/* it was cut to one line */
	int64_t sync_ms;	/* group commit interval, 0: none */
	int dirty;		/* pushed since the last fdatasync */
	int64_t synced_mono;
	unsigned char *chunk;	/* CHUNK bytes for resync scans, then CHUNK
				 * for checksums (rec_check runs inside a scan) */
	uint64_t warn_rec, warn_bytes;	/* drops not yet in a warning */
	char warn_why[64];
	int64_t warn_mono;

	struct mrec *mhead, **mtail;
};

enum { REC_OK, REC_TORN, REC_BAD, REC_IOERR };

static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put_i64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	put_u32(p, (uint32_t)u);
	put_u32(p + 4, (uint32_t)(u >> 32));
}

static int64_t
get_i64(const unsigned char *p)
{
	return (int64_t)((uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32);
}

/* Reads exactly n bytes at off; 0, or -1 with errno (EIO on a short file). */
static int
pread_full(int fd, void *p, size_t n, off_t off)
{
	unsigned char *c = p;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, c, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

static void
seg_name(char *out, size_t n, uint64_t id)
{
	snprintf(out, n, "%020" PRIu64 ".seg", id);
}

static int
seg_open(struct queue *q, uint64_t id, int flags)
{
	char name[SEG_NAME_LEN + 1];
	int fd;

	seg_name(name, sizeof(name), id);
	fd = openat(q->dirfd, name, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		log_errno("cannot open queue segment '%s/%s'", q->dir, name);
	return fd;
}

/*
 * Checks the record at off in a file whose queue part ends at end: REC_OK
 * with its length and time, REC_TORN when it runs past end, REC_BAD when
 * its magic, length or checksum is wrong.  The payload is read in CHUNK
 * pieces, so a corrupt length never makes us allocate.
 */
static int
rec_check(struct queue *q, int fd, off_t off, off_t end, uint32_t *lenp,
    int64_t *tsp)
{
	unsigned char h[REC_HDR];
	uint32_t len, crc;
	off_t p, stop;
	size_t n;

	if (end - off < REC_HDR)
		return REC_TORN;
	if (pread_full(fd, h, REC_HDR, off) < 0)
		return REC_IOERR;
	if (memcmp(h, rec_magic, sizeof(rec_magic)) != 0)
		return REC_BAD;
	len = get_u32(h + 4);
	if (len > REC_MAX)
		return REC_BAD;
	if (end - off - REC_HDR < (off_t)len)
		return REC_TORN;
	crc = crc32c(0, h + 4, 12);
	stop = off + REC_HDR + (off_t)len;
	for (p = off + REC_HDR; p < stop; p += (off_t)n) {
		n = stop - p < CHUNK ? (size_t)(stop - p) : CHUNK;
		if (pread_full(fd, q->chunk + CHUNK, n, p) < 0)
			return REC_IOERR;
		crc = crc32c(crc, q->chunk + CHUNK, n);
	}
	if (crc != get_u32(h + 16))
		return REC_BAD;
	*lenp = len;
	*tsp = get_i64(h + 8);
	return REC_OK;
}

/*
 * Looks for the first valid record at or after from: its offset, end when
 * there is none, -1 on a read error.  Each step moves forward, so the scan
 * ends; the chunks overlap by three bytes so no magic is missed.
 */
static off_t
rec_resync(struct queue *q, int fd, off_t from, off_t end)
{
	uint32_t len;
	int64_t ts;
	off_t base = from;
	size_t n, i;
	ssize_t r;
	int c;

	while (end - base >= REC_HDR) {
		n = end - base < CHUNK ? (size_t)(end - base) : CHUNK;
		r = pread(fd, q->chunk, n, base);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		n = (size_t)r;
		for (i = 0; i + sizeof(rec_magic) <= n; i++) {
			unsigned char *m = memchr(q->chunk + i, rec_magic[0],
			    n - i - sizeof(rec_magic) + 1);

			if (m == NULL)
				break;
			i = (size_t)(m - q->chunk);
			if (memcmp(m, rec_magic, sizeof(rec_magic)) != 0)
				continue;
			c = rec_check(q, fd, base + (off_t)i, end, &len, &ts);
			if (c == REC_OK)
				return base + (off_t)i;
			if (c == REC_IOERR)
				return -1;
		}
		if (n < sizeof(rec_magic))
			break;
		base += (off_t)(n - sizeof(rec_magic) + 1);
	}
	return end;
}

static int
dir_make(const char *dir)
{
	struct buf b = BUF_INIT(4096);
	size_t i;
	int rc = 0;

	if (buf_addstr(&b, dir) < 0)
		return -1;
	for (i = 1; i <= b.len && rc == 0; i++) {
		if (i < b.len && b.p[i] != '/')
			continue;
		b.p[i] = '\0';
		if (mkdir(b.p, 0700) < 0 && errno != EEXIST)
			rc = -1;
		if (i < b.len)
			b.p[i] = '/';
	}
	buf_free(&b);
	return rc;
}

static int
seg_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct seg *)a)->id, y = ((const struct seg *)b)->id;

	return x < y ? -1 : x > y;
}

static int
segs_add(struct queue *q, uint64_t id)
{
	struct seg *ns;
	size_t ncap;

	if (q->nsegs == q->segcap) {
		ncap = q->segcap ? q->segcap * 2 : 16;
		ns = realloc(q->segs, ncap * sizeof(*ns));
		if (ns == NULL)
			return -1;
		q->segs = ns;
		q->segcap = ncap;
	}
	memset(&q->segs[q->nsegs], 0, sizeof(q->segs[0]));
	q->segs[q->nsegs].id = id;
	q->segs[q->nsegs].max_ts = INT64_MIN;
	q->nsegs++;
	return 0;
}

static int
segs_list(struct queue *q)
{
	struct dirent *de;
	uint64_t id;
	DIR *d;
	int fd;

	fd = dup(q->dirfd);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		log_errno("cannot read queue directory '%s'", q->dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (strncmp(de->d_name, "head.tmp.", 9) == 0) {
			/* A head write cut short by a crash; we hold the lock. */
			unlinkat(q->dirfd, de->d_name, 0);
			continue;
		}
		if (n != SEG_NAME_LEN || strcmp(de->d_name + 20, ".seg") != 0 ||
		    parse_u64(de->d_name, 20, 0, UINT64_MAX - 1, &id) < 0)
			continue;
		if (segs_add(q, id) < 0) {
			log_errno("cannot list queue directory '%s'", q->dir);
			closedir(d);
			return -1;
		}
	}
	if (errno != 0) {
		log_errno("cannot read queue directory '%s'", q->dir);
		closedir(d);
		return -1;
	}
	closedir(d);
	if (q->nsegs > 0)
		qsort(q->segs, q->nsegs, sizeof(q->segs[0]), seg_cmp);
	return 0;
}

/* Reads "SEGID OFFSET\n"; a missing or unreadable head means the start. */
static void
head_read(struct queue *q, uint64_t *id, off_t *off)
{
	char path[4096], *s = NULL, *sp;
	size_t len;
	uint64_t i;
	int64_t o;

	*id = 0;
	*off = 0;
	snprintf(path, sizeof(path), "%s/head", q->dir);
	if (file_read_all(path, 128, &s, &len) < 0) {
		if (errno != ENOENT)
			log_warn("cannot read queue head '%s': %s; "
			    "delivering from the oldest segment", path,
			    strerror(errno));
		return;
	}
	sp = memchr(s, ' ', len);
	if (sp == NULL || len < 2 || s[len - 1] != '\n' ||
	    parse_u64(s, (size_t)(sp - s), 0, UINT64_MAX - 1, &i) < 0 ||
	    parse_i64(sp + 1, len - 1 - (size_t)(sp + 1 - s), 0, INT64_MAX, &o) < 0)
		log_warn("queue head '%s' is malformed; delivering from the "
		    "oldest segment", path);
	else {
		*id = i;
		*off = (off_t)o;
	}
	free(s);
}

/*
 * The head is rewritten in place after every ack: one pwrite(2) of a
 * fixed-width line (the offset zero-padded too, so a shorter line never
 * leaves the end of a longer one), neither synced nor renamed.  A kill
 * cannot tear a write that small, and the page cache keeps it, so after a
 * kill -9 only the record in flight is sent again; after a power loss the
 * head may be older than the last save, which sends records again, never
 * loses one.  A rename and two syncs per ack would cost more than the rest
 * of the sender.
 */

static int
head_save(struct queue *q)
{
	char path[4096], line[64];
	uint64_t id;
	off_t off;
	int n;

	if (q->dir == NULL)
		return 0;
	id = q->nsegs > 0 ? q->segs[0].id : q->saved_id;
	off = q->nsegs > 0 ? q->head_off : q->saved_off;
	q->acks_unsaved = 0;
	if (id == q->saved_id && off == q->saved_off)
		return 0;
	snprintf(path, sizeof(path), "%s/head", q->dir);
	if (q->headfd < 0) {
		q->headfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (q->headfd < 0) {
			log_errno("cannot write queue head '%s'", path);
			return -1;
		}
		q->head_sized = 0;
	}
	n = snprintf(line, sizeof(line), "%020" PRIu64 " %020lld\n", id,
	    (long long)off);
	/* the first write also cuts what an older or broken head had
	 * beyond the line */
	if (pwrite(q->headfd, line, (size_t)n, 0) != n ||
	    (!q->head_sized && ftruncate(q->headfd, n) < 0)) {
		log_errno("cannot write queue head '%s'", path);
		return -1;
	}
	q->head_sized = 1;
	q->saved_id = id;
	q->saved_off = off;
	return 0;
}

static void
head_maybe_save(struct queue *q)
{
	if (q->acks_unsaved > 0)
		head_save(q);
}

/*
 * Validates one segment from start at open: counts its records, skips
 * corrupt spans (warning once for the segment) and cuts a torn or corrupt
 * tail off the last segment, which is the only one we append to.
 */
static int
seg_scan(struct queue *q, struct seg *s, int fd, off_t start, int last)
{
	char name[SEG_NAME_LEN + 1];
	off_t off = start, size, first_bad = -1, next;
	uint64_t bad = 0;
	struct stat sb;
	uint32_t len;
	int64_t ts;
	int c;

	seg_name(name, sizeof(name), s->id);
	if (fstat(fd, &sb) < 0) {
		log_errno("cannot stat queue segment '%s/%s'", q->dir, name);
		return -1;
	}
	size = sb.st_size;
	if (off > size)
		off = size;
	while (off < size) {
		c = rec_check(q, fd, off, size, &len, &ts);
		if (c == REC_IOERR)
			goto ioerr;
		if (c == REC_OK) {
			s->records++;
			s->bytes += REC_HDR + (uint64_t)len;
			if (ts > s->max_ts)
				s->max_ts = ts;
			off += REC_HDR + (off_t)len;
			continue;
		}
		next = rec_resync(q, fd, off + 1, size);
		if (next < 0)
			goto ioerr;
		if (next == size && last) {
			log_warn("queue '%s': segment '%s': cut a torn or "
			    "corrupt tail of %lld bytes at offset %lld", q->dir,
			    name, (long long)(size - off), (long long)off);
			if (ftruncate(fd, off) < 0) {
				log_errno("cannot truncate queue segment '%s/%s'",
				    q->dir, name);
				return -1;
			}
			q->st.corrupt_records++;
			size = off;
			break;
		}
		if (first_bad < 0)
			first_bad = off;
		bad++;
		off = next;
	}
	if (bad > 0)
		log_warn("queue '%s': segment '%s': skipped %" PRIu64 " corrupt "
		    "record%s, the first at offset %lld", q->dir, name, bad,
		    bad == 1 ? "" : "s", (long long)first_bad);
	q->st.corrupt_records += bad;
	s->known_bad = bad;
	s->end = size;
	return 0;
ioerr:
	log_errno("cannot read queue segment '%s/%s'", q->dir, name);
	return -1;
}

static void
seg_unlink(struct queue *q, uint64_t id)
{
	char name[SEG_NAME_LEN + 1];

	seg_name(name, sizeof(name), id);
	if (unlinkat(q->dirfd, name, 0) < 0 && errno != ENOENT)
		log_errno("cannot remove queue segment '%s/%s'", q->dir, name);
}

/* Forgets segs[0] (acked, dropped or exhausted) and deletes its file. */
static void
seg_pop(struct queue *q)
{
	struct seg *s = &q->segs[0];

	q->st.records -= s->records;
	q->st.bytes -= s->bytes;
	if (q->rfd >= 0 && q->rfd_id == s->id) {
		close(q->rfd);
		q->rfd = -1;
	}
	seg_unlink(q, s->id);
	memmove(q->segs, q->segs + 1, (q->nsegs - 1) * sizeof(*s));
	q->nsegs--;
	q->head_off = 0;
	q->head_ok = 0;
}

/*
 * Makes head_len and head_ts describe the valid record at the head,
 * stepping over exhausted segments and corrupt spans: 1, 0 when the queue
 * is empty, -1 on a read error.  Every turn of the loop removes a segment
 * or moves head_off forward, so it ends.
 */
static int
head_load(struct queue *q)
{
	char name[SEG_NAME_LEN + 1];
	struct seg *s;
	off_t next;
	int c;

	while (!q->head_ok) {
		if (q->nsegs == 0)
			return 0;
		s = &q->segs[0];
		if (q->head_off >= s->end) {
			if (q->nsegs == 1)
				return 0;
			seg_pop(q);
			continue;
		}
		if (q->rfd < 0 || q->rfd_id != s->id) {
			if (q->rfd >= 0)
				close(q->rfd);
			q->rfd = seg_open(q, s->id, O_RDONLY);
			if (q->rfd < 0)
				return -1;
			q->rfd_id = s->id;
		}
		c = rec_check(q, q->rfd, q->head_off, s->end, &q->head_len,
		    &q->head_ts);
		if (c == REC_OK) {
			q->head_ok = 1;
			break;
		}
		if (c == REC_IOERR)
			goto ioerr;
		next = rec_resync(q, q->rfd, q->head_off + 1, s->end);
		if (next < 0)
			goto ioerr;
		if (s->known_bad > 0) {
			s->known_bad--;
		} else {
			/* Damaged after open: the records in it are lost. */
			seg_name(name, sizeof(name), s->id);
			log_warn("queue '%s': segment '%s': skipped a corrupt "
			    "record at offset %lld", q->dir, name,
			    (long long)q->head_off);
			q->st.corrupt_records++;
		}
		q->head_off = next;
	}
	return 1;
ioerr:
	seg_name(name, sizeof(name), q->segs[0].id);
	log_errno("cannot read queue segment '%s/%s'", q->dir, name);
	return -1;
}

/* Moves the head past the record head_load found. */
static void
head_advance(struct queue *q)
{
	struct seg *s = &q->segs[0];
	uint64_t n = REC_HDR + (uint64_t)q->head_len;

	if (s->records > 0) {
		s->records--;
		s->bytes -= n;
		q->st.records--;
		q->st.bytes -= n;
	}
	q->head_off += (off_t)n;
	q->head_ok = 0;
	q->open_head = 0;
	q->acks_unsaved++;
	if (q->head_off >= s->end && q->nsegs > 1)
		seg_pop(q);
}

/* Removes the oldest record, or the oldest segment when whole is set and
 * that segment is not the one being appended to; adds to *nrec, *nbytes. */
static int
drop_oldest(struct queue *q, int whole, uint64_t *nrec, uint64_t *nbytes)
{
	struct mrec *m;
	int r;

	if (q->dir == NULL) {
		m = q->mhead;
		if (m == NULL)
			return 0;
		q->mhead = m->next;
		if (q->mhead == NULL)
			q->mtail = &q->mhead;
		q->st.records--;
		q->st.bytes -= REC_HDR + (uint64_t)m->len;
		*nrec += 1;
		*nbytes += REC_HDR + (uint64_t)m->len;
		free(m);
		return 1;
	}
	if (whole && q->nsegs > 1) {
		*nrec += q->segs[0].records;
		*nbytes += q->segs[0].bytes;
		q->open_head = 0;
		seg_pop(q);
		q->acks_unsaved++;
		return 1;
	}
	r = head_load(q);
	if (r <= 0)
		return r;
	*nrec += 1;
	*nbytes += REC_HDR + (uint64_t)q->head_len;
	head_advance(q);
	return 1;
}

/*
 * One warning per drop event, but at most one per DROP_WARN_MS: under a
 * long outage every push drops, so later events are added up and reported
 * with the next warning (or at close).
 */
static void
drop_warn(struct queue *q, int force)
{
	int64_t now = clock_mono_ms();

	if (q->warn_rec == 0 && q->warn_bytes == 0)
		return;
	if (!force && q->warn_mono != 0 && now - q->warn_mono < DROP_WARN_MS)
		return;
	log_warn("queue '%s': dropped the oldest %" PRIu64 " record%s (%" PRIu64
	    " bytes): %s", q->dir ? q->dir : "(memory)", q->warn_rec,
	    q->warn_rec == 1 ? "" : "s", q->warn_bytes, q->warn_why);
	q->warn_rec = q->warn_bytes = 0;
	q->warn_mono = now;
}

static void
drop_report(struct queue *q, uint64_t nrec, uint64_t nbytes, const char *why)
{
	if (nrec == 0 && nbytes == 0)
		return;
	q->st.dropped_records += nrec;
	q->st.dropped_bytes += nbytes;
	if (q->warn_rec > 0 && strcmp(q->warn_why, why) != 0)
		drop_warn(q, 1);
	q->warn_rec += nrec;
	q->warn_bytes += nbytes;
	snprintf(q->warn_why, sizeof(q->warn_why), "%s", why);
	drop_warn(q, 0);
	head_maybe_save(q);
}

/* The enqueue time of the oldest record, after head_load for disk. */
static int
oldest_ts(struct queue *q, int64_t *ts)
{
	int r;

	if (q->dir == NULL) {
		if (q->mhead == NULL)
			return 0;
		*ts = q->mhead->ts;
		return 1;
	}
	r = head_load(q);
	if (r > 0)
		*ts = q->head_ts;
	return r;
}

static int
bound_age(struct queue *q)
{
	uint64_t nrec = 0, nbytes = 0;
	int64_t cutoff, ts;
	char why[64];
	int r = 0;

	if (q->o.max_age_ms <= 0)
		return 0;
	cutoff = clock_ms() - q->o.max_age_ms;
	for (;;) {
		if (q->dir != NULL && q->nsegs > 1 && q->segs[0].max_ts < cutoff) {
			r = drop_oldest(q, 1, &nrec, &nbytes);
		} else {
			r = oldest_ts(q, &ts);
			if (r <= 0 || ts >= cutoff)
				break;
			r = drop_oldest(q, 0, &nrec, &nbytes);
		}
		if (r <= 0)
			break;
	}
	snprintf(why, sizeof(why), "older than max_age %lld ms",
	    (long long)q->o.max_age_ms);
	drop_report(q, nrec, nbytes, why);
	return r < 0 ? -1 : 0;
}

/* Makes room for need more bytes under max_bytes. */
static int
bound_bytes(struct queue *q, uint64_t need)
{
	uint64_t nrec = 0, nbytes = 0, over;
	char why[64];
	int r = 0;

	if (q->o.max_bytes == 0)
		return 0;
	while (q->st.records > 0 && q->st.bytes + need > q->o.max_bytes) {
		over = q->st.bytes + need - q->o.max_bytes;
		r = drop_oldest(q, q->dir != NULL && q->nsegs > 1 &&
		    q->segs[0].bytes <= over, &nrec, &nbytes);
		if (r <= 0)
			break;
	}
	snprintf(why, sizeof(why), "over max_bytes %" PRIu64, q->o.max_bytes);
	drop_report(q, nrec, nbytes, why);
	return r < 0 ? -1 : 0;
}

static int
queue_scan(struct queue *q)
{
	uint64_t hid;
	off_t hoff;
	size_t i, stale;
	int fd;

	head_read(q, &hid, &hoff);
	q->saved_id = hid;
	q->saved_off = hoff;
	if (segs_list(q) < 0)
		return -1;
	if (q->nsegs > 0 && hid > q->segs[q->nsegs - 1].id) {
		/* Never written by us: the write segment is never deleted. */
		log_warn("queue '%s': the head points past the last segment; "
		    "delivering from the oldest segment", q->dir);
		hid = 0;
		hoff = 0;
	}
	/* Segments before the head's were fully acked before a crash. */
	for (stale = 0; stale < q->nsegs && q->segs[stale].id < hid; stale++)
		seg_unlink(q, q->segs[stale].id);
	if (stale > 0) {
		memmove(q->segs, q->segs + stale,
		    (q->nsegs - stale) * sizeof(q->segs[0]));
		q->nsegs -= stale;
	}
	q->next_id = hid + 1;
	q->head_off = 0;
	for (i = 0; i < q->nsegs; i++) {
		struct seg *s = &q->segs[i];
		int last = i + 1 == q->nsegs;
		off_t start = s->id == hid ? hoff : 0;

		fd = seg_open(q, s->id, last ? O_RDWR : O_RDONLY);
		if (fd < 0)
			return -1;
		if (seg_scan(q, s, fd, start, last) < 0) {
			close(fd);
			return -1;
		}
		if (i == 0)
			q->head_off = start < s->end ? start : s->end;
		q->st.records += s->records;
		q->st.bytes += s->bytes;
		if (last) {
			q->wfd = fd;
		} else {
			close(fd);
		}
	}
	/* A head past the end of its segment (cut by a crash) would point
	 * into the records pushed next: save where it really is first. */
	if (q->nsegs > 0 && q->segs[0].id == hid && q->head_off != hoff &&
	    head_save(q) < 0)
		return -1;
	if (head_load(q) < 0)
		return -1;
	q->open_head = q->head_ok;
	return 0;
}

struct queue *
queue_open(const char *dir, const struct queue_opts *opts)
{
	struct queue *q;
	char path[4096];

	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		log_errno("cannot allocate queue");
		return NULL;
	}
	if (opts != NULL) {
		q->o = *opts;
	} else {
		q->o.sync = 1;
	}
	if (q->o.segment_bytes == 0)
		q->o.segment_bytes = SEG_DEFAULT;
	q->lockfd = q->dirfd = q->rfd = q->wfd = q->headfd = -1;
	q->mtail = &q->mhead;
	q->synced_mono = clock_mono_ms();
	if (dir == NULL)
		return q;
	if (strlen(dir) > 4000) {
		errno = ENAMETOOLONG;
		log_errno("cannot open queue '%.40s...'", dir);
		goto fail;
	}
	if ((q->dir = strdup(dir)) == NULL ||
	    (q->chunk = malloc(2 * CHUNK)) == NULL) {
		log_errno("cannot allocate queue '%s'", dir);
		goto fail;
	}
	if (dir_make(dir) < 0) {
		log_errno("cannot create queue directory '%s'", dir);
		goto fail;
	}
	q->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dirfd < 0) {
		log_errno("cannot open queue directory '%s'", dir);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/lock", dir);
	q->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (q->lockfd < 0) {
		log_errno("cannot open queue lock '%s'", path);
		goto fail;
	}
	if (flock(q->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_error("queue '%s' is in use by another process", dir);
		else
			log_errno("cannot lock queue '%s'", path);
		goto fail;
	}
	if (queue_scan(q) < 0)
		goto fail;
	return q;
fail:
	q->acks_unsaved = 0;
	queue_close(q);
	return NULL;
}

/* Starts segment id for appending; with sync, the new name is made durable
 * before a record in it is reported safe.  On failure the current segment
 * stays the one appended to. */
static int
seg_create(struct queue *q, uint64_t id)
{
	int fd;

	if (segs_add(q, id) < 0) {
		log_errno("cannot allocate queue '%s'", q->dir);
		return -1;
	}
	fd = seg_open(q, id, O_RDWR | O_CREAT | O_TRUNC);
	if (fd >= 0 && q->o.sync && fsync(q->dirfd) < 0) {
		log_errno("cannot sync queue directory '%s'", q->dir);
		close(fd);
		seg_unlink(q, id);
		fd = -1;
	}
	if (fd < 0) {
		q->nsegs--;
		return -1;
	}
	/* group commit: the old segment's last pushes before it closes */
	if (q->wfd >= 0 && q->dirty && fdatasync(q->wfd) < 0) {
		log_errno("cannot sync queue segment in '%s'", q->dir);
		close(fd);
		seg_unlink(q, id);
		q->nsegs--;
		return -1;
	}
	q->dirty = 0;
	if (q->wfd >= 0)
		close(q->wfd);
	q->wfd = fd;
	return 0;
}

static int
push_disk(struct queue *q, const void *data, size_t len, int64_t ts)
{
	unsigned char h[REC_HDR];
	struct iovec iov[2];
	struct seg *s;
	uint64_t n = REC_HDR + (uint64_t)len;
	size_t done = 0, want = (size_t)n;
	off_t at;
	ssize_t r;
	int err;

	if (q->nsegs == 0 || (q->segs[q->nsegs - 1].end > 0 &&
	    (uint64_t)q->segs[q->nsegs - 1].end + n > q->o.segment_bytes)) {
		if (seg_create(q, q->nsegs > 0 ? q->segs[q->nsegs - 1].id + 1 :
		    q->next_id) < 0)
			return -1;
	}
	s = &q->segs[q->nsegs - 1];
	memcpy(h, rec_magic, sizeof(rec_magic));
	put_u32(h + 4, (uint32_t)len);
	put_i64(h + 8, ts);
	put_u32(h + 16, crc32c(crc32c(0, h + 4, 12), data, len));
	at = s->end;
	while (done < want) {
		/* Explicit offsets: a failed push is overwritten by the next. */
		if (done < REC_HDR) {
			iov[0].iov_base = h + done;
			iov[0].iov_len = REC_HDR - done;
			iov[1].iov_base = (void *)(uintptr_t)data;
			iov[1].iov_len = len;
			r = pwritev(q->wfd, iov, 2, at + (off_t)done);
		} else {
			r = pwrite(q->wfd, (const char *)data + (done - REC_HDR),
			    want - done, at + (off_t)done);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ENOSPC;
			goto fail;
		}
		done += (size_t)r;
	}
	if (q->o.sync && q->sync_ms > 0) {
		int64_t now = clock_mono_ms();

		q->dirty = 1;
		if (now - q->synced_mono >= q->sync_ms) {
			if (fdatasync(q->wfd) < 0)
				goto fail;
			q->dirty = 0;
			q->synced_mono = now;
		}
	} else if (q->o.sync && fdatasync(q->wfd) < 0) {
		goto fail;
	}
	s->end += (off_t)n;
	s->records++;
	s->bytes += n;
	if (ts > s->max_ts)
		s->max_ts = ts;
	q->st.records++;
	q->st.bytes += n;
	if (!q->head_ok)
		head_load(q);
	return 0;
fail:
	err = errno;
	/* Best effort: the next push overwrites the same bytes anyway. */
	if (ftruncate(q->wfd, at) < 0) {
		/* nothing more to do; s->end still marks the queue's end */
	}
	errno = err;
	return -1;
}

int
queue_push(struct queue *q, const void *data, size_t len, int64_t ts_ms)
{
	struct mrec *m;

	if (len > REC_MAX ||
	    (q->o.max_bytes > 0 && REC_HDR + (uint64_t)len > q->o.max_bytes)) {
		errno = EMSGSIZE;
		return -1;
	}
	if (bound_age(q) < 0 || bound_bytes(q, REC_HDR + (uint64_t)len) < 0)
		return -1;
	if (q->dir != NULL)
		return push_disk(q, data, len, ts_ms);
	m = malloc(sizeof(*m) + len);
	if (m == NULL) {
		errno = ENOMEM;
		return -1;
	}
	m->next = NULL;
	m->ts = ts_ms;
	m->len = len;
	if (len > 0)
		memcpy(m->data, data, len);
	*q->mtail = m;
	q->mtail = &m->next;
	q->st.records++;
	q->st.bytes += REC_HDR + (uint64_t)len;
	return 0;
}

int
queue_peek(struct queue *q, struct buf *out, int64_t *ts_ms)
{
	int r;

	if (bound_age(q) < 0)
		return -1;
	if (q->dir == NULL) {
		if (q->mhead == NULL)
			return 0;
		buf_reset(out);
		if (buf_add(out, q->mhead->data, q->mhead->len) < 0)
			return -1;
		if (ts_ms != NULL)
			*ts_ms = q->mhead->ts;
		return 1;
	}
	r = head_load(q);
	if (r <= 0)
		return r;
	buf_reset(out);
	if (buf_grow(out, q->head_len) < 0)
		return -1;
	if (q->head_len > 0) {
		if (pread_full(q->rfd, out->p, q->head_len,
		    q->head_off + REC_HDR) < 0) {
			log_errno("cannot read queue segment '%s/%020" PRIu64
			    ".seg'", q->dir, q->segs[0].id);
			return -1;
		}
		out->len = q->head_len;
		out->p[out->len] = '\0';
	}
	if (ts_ms != NULL)
		*ts_ms = q->head_ts;
	return 1;
}

int
queue_ack(struct queue *q)
{
	struct mrec *m;
	int r;

	if (q->dir == NULL) {
		m = q->mhead;
		if (m == NULL) {
			errno = ENOENT;
			return -1;
		}
		q->mhead = m->next;
		if (q->mhead == NULL)
			q->mtail = &q->mhead;
		q->st.records--;
		q->st.bytes -= REC_HDR + (uint64_t)m->len;
		free(m);
		return 0;
	}
	r = head_load(q);
	if (r <= 0) {
		if (r == 0)
			errno = ENOENT;
		return -1;
	}
	head_advance(q);
	/* Load the next one now, so stats show its time; errors come back
	 * at the next peek rather than failing an ack that happened. */
	head_load(q);
	head_maybe_save(q);
	return 0;
}

int
queue_head_from_open(const struct queue *q)
{
	return q->dir != NULL && q->open_head && q->head_ok;
}

void
queue_tail(struct queue *q, uint64_t *seg, int64_t *end)
{
	*seg = 0;
	*end = 0;
	if (q->dir != NULL && q->nsegs > 0) {
		*seg = q->segs[q->nsegs - 1].id;
		*end = (int64_t)q->segs[q->nsegs - 1].end;
	}
}

int
queue_tail_grew(uint64_t was_seg, int64_t was_end, uint64_t seg, int64_t end)
{
	return (seg == was_seg && end > was_end) || (seg > was_seg && end > 0);
}

void
queue_set_sync_interval(struct queue *q, int64_t ms)
{
	q->sync_ms = ms > 0 ? ms : 0;
}

int
queue_sync(struct queue *q, int force)
{
	int64_t now;

	if (q == NULL || q->dir == NULL || !q->dirty || q->wfd < 0)
		return 0;
	now = clock_mono_ms();
	if (!force && now - q->synced_mono < q->sync_ms)
		return 0;
	if (fdatasync(q->wfd) < 0)
		return -1;
	q->dirty = 0;
	q->synced_mono = now;
	return 0;
}

int
queue_flush(struct queue *q)
{
	return head_save(q);
}

void
queue_stats(const struct queue *q, struct queue_stats *st)
{
	*st = q->st;
	st->segments = q->nsegs;
	if (q->dir == NULL)
		st->oldest_ms = q->mhead != NULL ? q->mhead->ts : 0;
	else
		st->oldest_ms = q->head_ok ? q->head_ts : 0;
}

int
queue_close(struct queue *q)
{
	struct mrec *m;
	int rc = 0;

	if (q == NULL)
		return 0;
	drop_warn(q, 1);
	if (queue_sync(q, 1) < 0) {
		log_errno("cannot sync queue '%s'", q->dir);
		rc = -1;
	}
	if (q->dir != NULL && q->acks_unsaved > 0 && head_save(q) < 0)
		rc = -1;
	while ((m = q->mhead) != NULL) {
		q->mhead = m->next;
		free(m);
	}
	if (q->rfd >= 0)
		close(q->rfd);
	if (q->wfd >= 0)
		close(q->wfd);
	if (q->dirfd >= 0)
		close(q->dirfd);
	if (q->headfd >= 0)
		close(q->headfd);
	if (q->lockfd >= 0)
		close(q->lockfd);
	free(q->segs);
	free(q->chunk);
	free(q->dir);
	free(q);
	return rc;
}
