/* expo.h: the Prometheus text (0.0.4) and OpenMetrics 1.0 exposition parser. */
#ifndef EXPO_H
#define EXPO_H

#include <stddef.h>

#include "buf.h"
#include "record.h"

/*
 * One parser for every reader of metric text: the line reader uses it for
 * sample and comment lines, scrapecol for whole scrape bodies.  It is fed
 * one line at a time (without the newline) and keeps what OpenMetrics needs
 * across lines (the current family and its type, whether # EOF was seen).
 */
enum expo_type {
	EXPO_UNTYPED, EXPO_COUNTER, EXPO_GAUGE, EXPO_HISTOGRAM, EXPO_SUMMARY,
	EXPO_INFO, EXPO_STATESET, EXPO_GAUGEHISTOGRAM, EXPO_UNKNOWN,
};

enum expo_result {
	EXPO_ERROR = -1,	/* *err says why, *errcol where (0-based) */
	EXPO_EMPTY = 0,		/* blank line: nothing */
	EXPO_SAMPLE,		/* rec is a REC_SAMPLE */
	EXPO_META,		/* rec is a REC_COMMENT with meta set */
	EXPO_COMMENT,		/* rec is a REC_COMMENT, meta NONE */
	EXPO_SKIP,		/* valid but not kept: OpenMetrics _created */
	EXPO_EOF,		/* OpenMetrics "# EOF" */
};

struct expo {
	int openmetrics;	/* 1: OpenMetrics 1.0 rules */
	int eof_seen;
	enum expo_type family_type;
	struct buf family;	/* name from the last # TYPE line */
};

void expo_init(struct expo *ex, int openmetrics);
void expo_free(struct expo *ex);
/* Returns the type named by a # TYPE word, or -1 if unknown. */
int expo_type_parse(const char *s, size_t n, int openmetrics);
const char *expo_type_name(enum expo_type t);

/*
 * Parses one line into rec.  Prometheus text: timestamps are integer
 * milliseconds.  OpenMetrics: timestamps are seconds (float) and are
 * converted to milliseconds; exemplars (" # {...} v [ts]") are ignored;
 * "_created" series of counters, histograms and summaries are skipped, as
 * Prometheus does by default; anything after "# EOF" is an error.
 * A sample line starting with '{' is not accepted here (that is a log
 * entry in the obs format).
 */
enum expo_result expo_parse_line(struct expo *ex, const char *line, size_t len,
				 struct record *rec, const char **err,
				 size_t *errcol);

#endif
