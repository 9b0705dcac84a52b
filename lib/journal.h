/* journal.h: the bytes a sender read from its input, kept on disk until they are queued. */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "log.h"

/*
 * A sender (rwsend, lokipush) with a durable queue keeps every byte it
 * reads from standard input in DIR/journal before it parses it, and cuts
 * the journal's head once the batches built from it are in the queue; at
 * start what is left is replayed before standard input.  So a kill -9
 * loses nothing that was read: what was only in a batch being built is in
 * the journal.  A lock file (DIR/journal.lock) keeps a second process out.
 *
 * Offsets count input bytes from the first byte ever journaled, across
 * cuts: a journal holding input starts with a line "#obs-journal BASE\n"
 * (BASE, 20 digits, the input offset of its first byte), written with the
 * bytes it describes, so a cut moves the base and drops the bytes in one
 * rename.  A journal cut to nothing is empty, without a base: its owner
 * keeps the base elsewhere, saved before the cut (rwsend's journal.pos).
 * A journal from an older version, without the line, has no base either.
 */
struct journal {
	int fd, lockfd;
	struct buf path, tmp;
	int64_t size;		/* input bytes held, without the base line */
	int64_t base;		/* input offset of the first byte held */
	int has_base;		/* base came from the file */
	int hdr;		/* bytes of the base line in the file, 0 none */
	int failed;		/* an append failed: the journal is closed */
};

/* Locks and opens DIR/journal (created empty); -1 reported on stderr. */
int journal_open(struct journal *j, const char *dir);
/* Appends n bytes; -1 (reported once, the journal is closed) on error. */
int journal_append(struct journal *j, const void *p, size_t n);
/* Sets the base of a journal without one (see has_base). */
void journal_set_base(struct journal *j, int64_t base);
/* Keeps only the bytes from offset keep_from on (rewritten, renamed);
 * base moves on by keep_from. */
int journal_cut(struct journal *j, int64_t keep_from);
/* A read-only descriptor on the journal's input (after its base line) to
 * replay, or -1 if empty. */
int journal_reader(struct journal *j);
/* Closes; remove 1 deletes the file (everything in it was queued). */
void journal_close(struct journal *j, int remove);

/*
 * A line reader that knows where each line starts in the journal: the
 * lines of fd, raw (without the newline), with lineio's limits (lines up
 * to OBS_LINE_MAX, a longer one reported once and skipped, a last line
 * without a newline still a line).  Each chunk read is appended to
 * journal (when not NULL) before a line of it is returned.
 */
struct jreader {
	int fd;
	const char *name;
	unsigned long lineno;	/* of the line just returned */
	unsigned long bad;	/* lines over the limit */
	int nonblock;		/* fd is O_NONBLOCK: LINEIO_AGAIN, no poll */
	int stopping;		/* return what is buffered, read no more */
	int drop_partial;	/* a last line without newline is dropped */
	int gather_ms;		/* see jreader_gather() */
	int64_t line_off;	/* journal offset of the line just returned */
	struct journal *journal;
	/* private */
	struct buf in;
	size_t pos, scan;
	int64_t base;		/* journal offset of in.p[0] */
	int eof, skipping;
	int oflags;		/* fd's flags to put back, -1 none */
	struct log_limit limit;
	size_t last_read;	/* bytes the last read(2) got */
	size_t gather_below;	/* gather after a read smaller than this */
};

void jreader_init(struct jreader *r, int fd, const char *name,
		  struct journal *j);
void jreader_free(struct jreader *r);
/*
 * LINEIO_OK with the line in *line, *len (valid until the next call),
 * LINEIO_EOF, LINEIO_ERR (errno; EINTR: check flags and call again) or
 * LINEIO_AGAIN as lineio_read().
 */
int jreader_read(struct jreader *r, const char **line, size_t *len);
/* The journal offset of the first byte not yet returned as a line. */
int64_t jreader_next(const struct jreader *r);
/* Tells the reader the journal lost its first n bytes. */
void jreader_shift(struct jreader *r, int64_t n);
/*
 * Makes r's fd non-blocking (r->nonblock set), so a quiet input does not
 * hold a batch past its deadline; jreader_restore() puts the flags back,
 * since they are shared with whoever else holds the file (a terminal, a
 * parent's pipe).  An fd that was non-blocking already stays so.
 */
void jreader_nonblock(struct jreader *r);
void jreader_restore(struct jreader *r);
/*
 * For a pipe that trickles (a writer's line-sized writes, a few a
 * millisecond apart): jreader_pump() then waits up to ms after the input
 * becomes readable, so one read(2), one journal write and one tick take
 * many writes instead of one each.  It waits only after a read that got
 * less than half of what the pipe holds (and of the reader's chunk), so a
 * fast writer is never slowed: the pipe cannot fill while it waits.  The
 * pipe is first grown (F_SETPIPE_SZ, to 1 MiB if allowed).  No effect on
 * anything but a pipe.
 */
void jreader_gather(struct jreader *r, int ms);
/*
 * Reads r to its end: each line goes to on_line(arg, line, len); tick(arg)
 * runs every 1024 lines and whenever no input is ready, and returns how
 * long to wait for input at most (ms).  Once *stop is set, only what is
 * buffered is returned.  0 at the end, -1 on an error of read or poll
 * (reported).
 */
int jreader_pump(struct jreader *r, const volatile sig_atomic_t *stop,
		 void (*on_line)(void *arg, const char *line, size_t len),
		 int64_t (*tick)(void *arg), void *arg);

#endif
