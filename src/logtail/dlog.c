/* dlog.c: Docker's log formats (json-file lines, API frames) parsed from buffers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "logtail.h"
#include "banned.h"

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int dlog_parse_time(const char *s, size_t len, int64_t *ns)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, t;
	size_t i = 19, nd = 0;

	if (len < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
	    s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
	    digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
			if (nd < 9)
				frac = frac * 10 + (s[i] - '0');
		if (nd == 0)
			return -1;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (i == len - 1 && (s[i] == 'Z' || s[i] == 'z')) {
		sign = 0;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
		   s[i + 3] == ':' && !digits(s + i + 1, 2, &oh) &&
		   !digits(s + i + 4, 2, &om)) {
		sign = s[i] == '-' ? -1 : 1;
	} else {
		return -1;
	}
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	if (t < 0 || t > INT64_MAX / 1000000000 - 1)
		return -1;
	*ns = t * 1000000000 + frac;
	return 0;
}

int dlog_parse_json(struct json_doc *doc, const char *line, size_t len,
		    struct dlog_entry *e, const char **err)
{
	const struct json *root, *log, *stream, *time;
	struct json_err je;

	root = json_parse(doc, line, len, &je);
	if (!root) {
		*err = je.msg;
		return -1;
	}
	if (root->type != JSON_OBJECT) {
		*err = "not a json object";
		return -1;
	}
	log = json_get(root, "log", 3);
	stream = json_get(root, "stream", 6);
	time = json_get(root, "time", 4);
	if (!log || log->type != JSON_STRING) {
		*err = "no \"log\" string";
		return -1;
	}
	if (!time || time->type != JSON_STRING ||
	    dlog_parse_time(time->str, time->len, &e->ts) < 0) {
		*err = "no \"time\" in RFC 3339";
		return -1;
	}
	e->stream = 1;
	if (stream && stream->type == JSON_STRING &&
	    strcmp(stream->str, "stderr") == 0)
		e->stream = 2;
	e->log = log->str;
	e->len = log->len;
	e->partial = 1;
	if (e->len && e->log[e->len - 1] == '\n') {
		e->partial = 0;
		e->len--;
		if (e->len && e->log[e->len - 1] == '\r')
			e->len--;
	}
	return 0;
}

long dlog_frame(const char *buf, size_t len, int *stream,
		const char **payload, size_t *plen)
{
	const unsigned char *u = (const unsigned char *)buf;
	uint32_t n;

	if (len < 8)
		return 0;
	if (u[0] > 2 || u[1] || u[2] || u[3])
		return -1;
	n = (uint32_t)u[4] << 24 | (uint32_t)u[5] << 16 |
	    (uint32_t)u[6] << 8 | u[7];
	if (len - 8 < n)
		return 0;
	*stream = u[0];
	*payload = buf + 8;
	*plen = n;
	return (long)n + 8;
}

int dlog_api_line(const char *s, size_t len, int64_t *ts, const char **rest,
		  size_t *rlen)
{
	const char *sp = memchr(s, ' ', len);

	if (!sp || dlog_parse_time(s, (size_t)(sp - s), ts) < 0)
		return -1;
	*rest = sp + 1;
	*rlen = len - (size_t)(sp - s) - 1;
	return 0;
}
