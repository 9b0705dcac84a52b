/* queue.h: a durable FIFO of byte records in append-only segment files. */
#ifndef QUEUE_H
#define QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * The senders' queue (rwsend, lokipush): every batch not yet acknowledged
 * by the receiver is a record here.  On disk (dir set) records are appended
 * to numbered segment files, each record framed with its length, its
 * enqueue time and a CRC-32C, so a torn or corrupt tail after a crash is
 * detected, reported and skipped, never a crash; the head (what was
 * acknowledged) is kept in a small file rewritten in place, unsynced: a
 * crash can make it older (records sent again), never newer.  With dir NULL
 * the queue lives in memory with the same bounds.  When a bound forces a
 * drop, the oldest records go, counted in dropped_*.  A queue has one
 * owner (thread) at a time; a lock file keeps a second process out.
 */
struct queue_opts {
	uint64_t max_bytes;	/* 0: unbounded */
	int64_t max_age_ms;	/* 0: unbounded; older records are dropped */
	size_t segment_bytes;	/* roll to a new segment past this size */
	int sync;		/* 1: fdatasync after every push (default),
				 * or see queue_set_sync_interval() */
};

struct queue_stats {
	uint64_t records, bytes;	/* pending */
	uint64_t segments;
	int64_t oldest_ms;		/* enqueue time of the oldest, 0 if empty */
	uint64_t dropped_records, dropped_bytes;	/* by the bounds */
	uint64_t corrupt_records;	/* skipped as torn or corrupt */
};

struct queue;

/* Opens (creating) the queue in dir, or a memory queue if dir is NULL.
 * Returns NULL with the reason reported on stderr. */
struct queue *queue_open(const char *dir, const struct queue_opts *opts);
/* Appends a record; 0, or -1 with errno (ENOSPC, EIO, ...). */
int queue_push(struct queue *q, const void *data, size_t len, int64_t ts_ms);
/*
 * Group commit, for a queue opened with sync: with ms > 0, a push syncs
 * only when the last fdatasync is at least ms old, else it marks the queue
 * dirty; queue_sync(q, 0) syncs a dirty queue whose interval passed and
 * queue_sync(q, 1) a dirty queue now.  The owner calls queue_sync(q, 0)
 * at least once per interval, so nothing pushed stays unsynced much longer
 * than that; a segment is synced before the next one starts, and
 * queue_close() syncs.  ms 0 (the default) syncs every push.  queue_sync
 * returns 0, or -1 with errno.
 */
void queue_set_sync_interval(struct queue *q, int64_t ms);
int queue_sync(struct queue *q, int force);
/* Copies the oldest pending record into out (replacing its contents);
 * returns 1, 0 when the queue is empty, -1 on error. */
int queue_peek(struct queue *q, struct buf *out, int64_t *ts_ms);
/* Removes the oldest record (after the receiver acknowledged it). */
int queue_ack(struct queue *q);
/* Writes the head file now.  Every ack saves it too, by one unsynced
 * pwrite that a kill -9 cannot undo, so after a crash only the record
 * being delivered is delivered again (after a power loss, what was acked
 * since the page cache last reached the disk): duplicates, never losses.
 * 0, or -1 with errno. */
int queue_flush(struct queue *q);
/*
 * 1 when the record queue_peek() gives is the one the head file pointed
 * to at queue_open(): a run killed while delivering it may have had it
 * delivered, its ack not saved, so a receiver may refuse it as a
 * duplicate.  0 once the head moved, and for a memory queue.
 */
int queue_head_from_open(const struct queue *q);
/*
 * Where the next record pushed goes: the last segment's number and the
 * end of its records ((0, 0) with no segment, and for a memory queue).
 * A record pushed after a call made at (seg, end) is in the queue at the
 * next queue_open() exactly when that gives a later segment with records
 * in it, or the same segment with a later end: a push cut short is cut
 * off at open.  So a program can tell, after a crash, whether a push it
 * recorded the intent of landed.
 */
void queue_tail(struct queue *q, uint64_t *seg, int64_t *end);
/* 1 if a tail of (seg, end) from queue_tail() at queue_open() shows that
 * a push made after a tail of (was_seg, was_end) landed, by the rule above. */
int queue_tail_grew(uint64_t was_seg, int64_t was_end, uint64_t seg,
		    int64_t end);
void queue_stats(const struct queue *q, struct queue_stats *st);
/* Flushes and closes; pending records stay for the next queue_open. */
int queue_close(struct queue *q);

#endif
