/* lineio.h: reading and writing the obs line format (see obs-format(5)). */
#ifndef LINEIO_H
#define LINEIO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "expo.h"
#include "labels.h"
#include "log.h"
#include "record.h"

/*
 * The reader streams: it never holds more than one line beyond what read(2)
 * returned, accepts a last line without a newline, and takes lines up to
 * OBS_LINE_MAX bytes.  A malformed or over-long line is dropped, counted in
 * bad, and reported on stderr (rate-limited) as "PROG: NAME:LINE: reason";
 * the stream goes on.  Blank lines are skipped.  Lines that start with
 * '{' are log entries (logentry_parse), all others go through the text
 * format parser (expo_parse_line, not OpenMetrics).  The reason in a
 * report ends with " at column N" (from 1) when a column is known; an
 * over-long line is reported once, "line too long", and skipped to its
 * newline without being held in memory.
 */
struct lineio_reader {
	int fd;
	const char *name;	/* input name for errors ("-" is stdin) */
	unsigned long lineno;	/* of the record just returned */
	unsigned long lines;	/* records returned */
	unsigned long bad;	/* lines dropped as malformed */
	int nonblock;		/* see lineio_read() */
	int quiet;		/* 1: count bad lines but do not report */
	/* private */
	struct buf in;
	size_t pos;		/* start of the next line in in */
	size_t scan;		/* in[pos..scan) holds no newline */
	size_t next_nl;		/* the newline ending in[pos..], if known */
	int eof;
	int skipping;
	struct expo ex;
	struct log_limit limit;
};

enum { LINEIO_AGAIN = -2, LINEIO_ERR = -1, LINEIO_EOF = 0, LINEIO_OK = 1 };

int lineio_reader_init(struct lineio_reader *r, int fd, const char *name);
/*
 * Returns LINEIO_OK with the next record in rec, LINEIO_EOF at end of
 * input, LINEIO_ERR on a read error (errno set; EINTR when a signal
 * interrupted read(2): check your flags and call again, nothing is lost),
 * and, when nonblock is set and the fd is O_NONBLOCK, LINEIO_AGAIN when no
 * whole line is available.  Without nonblock, an O_NONBLOCK fd is waited
 * on with poll(2).
 */
int lineio_read(struct lineio_reader *r, struct record *rec);
/*
 * lineio_read() in two steps, for a caller that may know a line already:
 * lineio_read_line() returns what lineio_read() does, except that on
 * LINEIO_OK it gives the next non-blank line as read (without the
 * newline, valid until the next read) instead of parsing it.
 * lineio_parse() then parses that line as lineio_read() would: 1 with
 * rec filled and the line counted in lines, 0 when the line is dropped
 * (reported and counted in bad if malformed).  A caller that takes a
 * line without lineio_parse() counts it in lines itself.
 */
int lineio_read_line(struct lineio_reader *r, const char **line, size_t *len);
int lineio_parse(struct lineio_reader *r, const char *line, size_t len,
		 struct record *rec);
/*
 * 1 if a whole line is already buffered or the input has ended, so that
 * lineio_read() starts without read(2); it reads on (and may block) only
 * if that line turns out blank or bad.
 */
int lineio_pending(const struct lineio_reader *r);
void lineio_reader_free(struct lineio_reader *r);

/*
 * Parses one line that starts with '{' as a log entry:
 * {labels} TIMESTAMP_NS "line", one or more blanks between the three
 * parts, blanks allowed at the end.  The label set follows the text
 * format's rules (expo_parse_labelset); the timestamp is digits only; the
 * line is unescaped into rec->text.  Returns 0, or -1 with *err (a static
 * phrase) and *errcol (0-based).
 */
int logentry_parse(const char *line, size_t len, struct record *rec,
		   const char **err, size_t *errcol);

/*
 * The escaping of log lines: label-value escapes (\\, \", \n) plus \r, \t
 * and \xHH for other bytes below 0x20 and 0x7f.  Unescape takes the body
 * between the quotes; returns -1 on a bad escape (errno EINVAL) or on
 * ENOMEM/EMSGSIZE.
 */
int logline_escape(struct buf *out, const char *s, size_t n);
int logline_unescape(struct buf *out, const char *s, size_t n);

/*
 * Fast paths for a reader that keeps what it learnt of a stream under the
 * text of its label set, "{...}" as written, and reads only the rest of
 * later lines; what they reject, logentry_parse() reads.
 *
 * logentry_labels_end() returns the length of the label set that starts
 * line, up to and with its '}', found without parsing (quoted parts and
 * their escapes skipped), or 0 if none ends it.  For a line that
 * logentry_parse() takes, the parser ends the set there too.
 *
 * logentry_tail() reads what follows the set, ' TS "BODY"', if it is
 * exactly what lineio_write_log() writes (one blank each, no leading
 * zero, only the escapes logline_escape() makes): 0 with *ts, the body
 * as written (without its quotes) and *esc 1 if it holds an escape, so
 * that logline_unescape() is needed; -1 for anything else.
 */
size_t logentry_labels_end(const char *line, size_t len);
int logentry_tail(const char *s, size_t n, int64_t *ts, const char **body,
		  size_t *blen, int *esc);

/* Eight bytes at a time, for such scanners: nonzero if a byte of w is b
 * (lineio_word_has), or below b (lineio_word_has_below). */
#define LINEIO_ONES UINT64_C(0x0101010101010101)
#define LINEIO_HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t lineio_word_has(uint64_t w, unsigned char b)
{
	w ^= LINEIO_ONES * b;
	return (w - LINEIO_ONES) & ~w & LINEIO_HIGHS;
}

static inline uint64_t lineio_word_has_below(uint64_t w, unsigned char b)
{
	return (w - LINEIO_ONES * b) & ~w & LINEIO_HIGHS;
}

/*
 * The writer buffers whole lines and writes them with write(2) calls of at
 * most OBS_LINE_ATOMIC bytes that each end at a line end, so writers that
 * share a pipe never interleave; a single line longer than that goes out
 * in one write(2) call of its own.  Call lineio_flush() at every cycle or
 * batch end.  Errors (EPIPE included) return -1 with errno set; the caller
 * ends with status 1.
 */
struct lineio_writer {
	int fd;
	const char *name;
	unsigned long lines;
	struct buf out;
};

void lineio_writer_init(struct lineio_writer *w, int fd, const char *name);
int lineio_write_sample(struct lineio_writer *w, const struct labels *ls,
			double v, int64_t ts_ms, int has_ts);
int lineio_write_log(struct lineio_writer *w, const struct labels *ls,
		     int64_t ts_ns, const char *line, size_t len);
/* "# TYPE name word", "# HELP name text" (escaped), "# UNIT name unit". */
int lineio_write_meta(struct lineio_writer *w, enum meta_kind kind,
		      const char *name, const char *text);
/* Writes line (without newline) as it is, adding the newline. */
int lineio_write_raw(struct lineio_writer *w, const char *line, size_t len);
/* Writes head and tail as one line, adding the newline. */
int lineio_write_joined(struct lineio_writer *w, const char *head, size_t hlen,
			const char *tail, size_t tlen);
/* Writes rec in canonical form (labels sorted, value as value_format). */
int lineio_write_record(struct lineio_writer *w, const struct record *rec);
/*
 * Appends rec in the canonical form lineio_write_record() writes, without
 * the newline, to out: labels in set order (sorted), empty values left
 * out, names outside [a-zA-Z_][a-zA-Z0-9_]* double-quoted as Prometheus 3
 * does, the value as value_format(), the timestamp if has_ts; a comment
 * without metadata as raw.  Returns 0, or -1 (out unchanged).
 */
int lineio_format_record(struct buf *out, const struct record *rec);
/*
 * For a caller that keeps the series it has seen: lineio_format_series()
 * appends the series part of a sample, name{labels}, as
 * lineio_format_record() writes it (0, or -1 with out unchanged), and
 * lineio_write_series() writes such a text followed by the value and
 * timestamp, the very line lineio_write_sample() writes for that set.
 */
int lineio_format_series(struct buf *out, const struct labels *ls);
int lineio_write_series(struct lineio_writer *w, const char *series, size_t n,
			double v, int64_t ts_ms, int has_ts);
int lineio_flush(struct lineio_writer *w);
void lineio_writer_free(struct lineio_writer *w);

#endif
