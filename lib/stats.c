/* stats.c: a program's own counters written as a text exposition file. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "buf.h"
#include "expo.h"
#include "labels.h"
#include "stats.h"
#include "value.h"
#include "banned.h"

/* 1 if the last line in b is a sample of name: then its HELP/TYPE are out. */
static int
last_line_is(const struct buf *b, const char *name)
{
	size_t end, start, n = strlen(name);

	if (b->len == 0)
		return 0;
	end = b->len;
	if (b->p[end - 1] == '\n')
		end--;
	start = end;
	while (start > 0 && b->p[start - 1] != '\n')
		start--;
	if (end - start <= n || memcmp(b->p + start, name, n) != 0)
		return 0;
	return b->p[start + n] == '{' || b->p[start + n] == ' ';
}

/* HELP text escapes only backslash and newline, as Prometheus writes it. */
static int
help_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		int r;

		if (*s == '\\')
			r = buf_add(b, "\\\\", 2);
		else if (*s == '\n')
			r = buf_add(b, "\\n", 2);
		else
			r = buf_addch(b, *s);
		if (r < 0)
			return -1;
	}
	return 0;
}

/*
 * OBS_STATS_LABELS, set by obsd for its members, holds a label body such as
 * pipeline="host",member="rwsend", so that two members of the same program
 * never write the same series into the textfile directory.  It is taken
 * only if it parses as a label set: a bad value must not make every stats
 * file unreadable.
 */
static const char *
env_labels(void)
{
	static int done;
	static const char *env;
	struct labels ls;
	struct buf line = BUF_INIT(4096);
	size_t pos = 0, errcol;
	const char *err, *e;

	if (done)
		return env;
	done = 1;
	e = getenv("OBS_STATS_LABELS");
	if (!e || !*e)
		return NULL;
	labels_init(&ls);
	if (buf_addch(&line, '{') == 0 && buf_addstr(&line, e) == 0 &&
	    buf_addch(&line, '}') == 0 &&
	    expo_parse_labelset(line.p, line.len, &pos, &ls, &err,
				&errcol) == 0 && pos == line.len)
		env = e;
	labels_free(&ls);
	buf_free(&line);
	return env;
}

int
stats_add(struct buf *b, const char *name, const char *type,
	  const char *help, const char *labels, double value)
{
	char v[VALUE_FMT_MAX];
	size_t start = b->len;
	const char *extra = env_labels();

	if (!last_line_is(b, name)) {
		if (help && (buf_addf(b, "# HELP %s ", name) < 0 ||
		    help_escape(b, help) < 0 || buf_addch(b, '\n') < 0))
			goto fail;
		if (type && buf_addf(b, "# TYPE %s %s\n", name, type) < 0)
			goto fail;
	}
	value_format(value, v);
	if (labels && *labels && extra) {
		if (buf_addf(b, "%s{%s,%s} %s\n", name, labels, extra, v) < 0)
			goto fail;
	} else if ((labels && *labels) || extra) {
		if (buf_addf(b, "%s{%s} %s\n", name,
			     labels && *labels ? labels : extra, v) < 0)
			goto fail;
	} else if (buf_addf(b, "%s %s\n", name, v) < 0) {
		goto fail;
	}
	return 0;
fail:
	buf_truncate(b, start);
	return -1;
}

int
stats_write(const char *path, const struct buf *b)
{
	return atomicfile_write(path, buf_cstr(b), b->len);
}
