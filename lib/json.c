/* json.c: the bounded JSON parser, its writer and JMESPath-like paths. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "obs.h"
#include "banned.h"

#define CHUNK_MIN (64 * 1024)
/* Memory kept between parses; one huge document does not pin its arena. */
#define CHUNK_KEEP (256 * 1024)

struct json_chunk {
	struct json_chunk *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct json_step {
	int is_index;
	long index;
	char *key;
	size_t klen;
};

struct parser {
	struct json_doc *d;
	const char *s;
	size_t len, pos;
	size_t depth;
	const char *msg;
};

void
json_doc_init(struct json_doc *d)
{
	d->max_len = 0;
	d->max_depth = 0;
	d->max_nodes = 0;
	d->chunks = NULL;
	d->nodes = 0;
}

static void
chunks_free(struct json_chunk *c)
{
	while (c) {
		struct json_chunk *next = c->next;

		free(c);
		c = next;
	}
}

void
json_doc_free(struct json_doc *d)
{
	chunks_free(d->chunks);
	d->chunks = NULL;
	d->nodes = 0;
}

/* Keeps the newest chunk if it is small enough, frees the others. */
static void
arena_reset(struct json_doc *d)
{
	struct json_chunk *c = d->chunks;

	if (c == NULL)
		return;
	chunks_free(c->next);
	c->next = NULL;
	if (c->size > CHUNK_KEEP) {
		free(c);
		d->chunks = NULL;
		return;
	}
	c->used = 0;
}

static void *
arena_alloc(struct json_doc *d, size_t n)
{
	const size_t al = alignof(max_align_t);
	struct json_chunk *c = d->chunks;
	size_t size;

	n = (n + al - 1) & ~(al - 1);
	if (c && c->size - c->used >= n) {
		void *p = c->data + c->used;

		c->used += n;
		return p;
	}
	size = n > CHUNK_MIN ? n : CHUNK_MIN;
	c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->size = size;
	c->used = n;
	c->next = d->chunks;
	d->chunks = c;
	return c->data;
}

static int
fail(struct parser *p, const char *msg)
{
	if (p->msg == NULL)
		p->msg = msg;
	return -1;
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static struct json *
node_new(struct parser *p, enum json_type t)
{
	size_t max = p->d->max_nodes ? p->d->max_nodes : JSON_MAX_NODES;
	struct json *v;

	if (p->d->nodes >= max) {
		fail(p, "too many values");
		return NULL;
	}
	v = arena_alloc(p->d, sizeof(*v));
	if (v == NULL) {
		fail(p, "out of memory");
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	v->type = t;
	p->d->nodes++;
	return v;
}

static int
hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
utf8_put(char *dst, unsigned cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xc0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xe0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	dst[0] = (char)(0xf0 | (cp >> 18));
	dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	dst[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Bytes a JSON string does not hold as they are. */
static const unsigned char json_stop[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

long
json_unescape(char *dst, const char *s, size_t n, size_t *end)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t run = i;
		unsigned cp, lo;

		while (i < n && !json_stop[(unsigned char)s[i]])
			i++;
		memcpy(dst + o, s + run, i - run);
		o += i - run;
		if (i >= n || (unsigned char)s[i] < 0x20)
			break;
		if (s[i] == '"') {
			dst[o] = '\0';
			*end = i;
			return (long)o;
		}
		if (i + 1 >= n)
			break;
		switch (s[i + 1]) {
		case '"': dst[o++] = '"'; i += 2; continue;
		case '\\': dst[o++] = '\\'; i += 2; continue;
		case '/': dst[o++] = '/'; i += 2; continue;
		case 'b': dst[o++] = '\b'; i += 2; continue;
		case 'f': dst[o++] = '\f'; i += 2; continue;
		case 'n': dst[o++] = '\n'; i += 2; continue;
		case 'r': dst[o++] = '\r'; i += 2; continue;
		case 't': dst[o++] = '\t'; i += 2; continue;
		case 'u': break;
		default:
			*end = i;
			return -1;
		}
		if (n - i < 6 || hex4(s + i + 2, &cp) < 0)
			break;
		i += 6;
		if (cp >= 0xd800 && cp < 0xdc00) {
			if (n - i >= 6 && s[i] == '\\' && s[i + 1] == 'u' &&
			    hex4(s + i + 2, &lo) == 0 && lo >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			} else {
				cp = 0xfffd;
			}
		} else if (cp >= 0xdc00 && cp < 0xe000) {
			cp = 0xfffd;
		}
		o += utf8_put(dst + o, cp);
	}
	*end = i;
	return -1;
}

/* Reads a string at p->pos (on the quote) into a NUL-terminated arena copy. */
static int
parse_string(struct parser *p, const char **out, size_t *outlen)
{
	size_t start = p->pos + 1, i = start, bad;
	char *dst;
	long n;

	while (i < p->len && p->s[i] != '"') {
		if (p->s[i] == '\\')
			i++;
		i++;
	}
	if (i >= p->len) {
		p->pos = p->len;
		return fail(p, "unterminated string");
	}
	dst = arena_alloc(p->d, i - start + 1);
	if (dst == NULL)
		return fail(p, "out of memory");
	/* The scan and the decoder skip escapes alike: they end at i. */
	n = json_unescape(dst, p->s + start, i - start + 1, &bad);
	if (n < 0) {
		p->pos = start + bad;
		return fail(p, (unsigned char)p->s[start + bad] < 0x20 ?
		    "control character in string" : "invalid escape in string");
	}
	*out = dst;
	*outlen = (size_t)n;
	p->pos = i + 1;
	return 0;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
parse_number(struct parser *p, struct json *v)
{
	size_t start = p->pos, i = start;
	char *txt, *end;

	if (i < p->len && p->s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(p->s[i])) {
		p->pos = i;
		return fail(p, "invalid number");
	}
	if (p->s[i] == '0')
		i++;
	else
		while (i < p->len && is_digit(p->s[i]))
			i++;
	if (i < p->len && p->s[i] == '.') {
		i++;
		if (i >= p->len || !is_digit(p->s[i])) {
			p->pos = i;
			return fail(p, "invalid number");
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(p->s[i])) {
			p->pos = i;
			return fail(p, "invalid number");
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	txt = arena_alloc(p->d, i - start + 1);
	if (txt == NULL)
		return fail(p, "out of memory");
	memcpy(txt, p->s + start, i - start);
	txt[i - start] = '\0';
	v->str = txt;
	v->len = i - start;
	v->num = strtod(txt, &end);
	p->pos = i;
	return 0;
}

static int
parse_literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "invalid literal");
	p->pos += n;
	return 0;
}

static struct json *parse_value(struct parser *p);

/* Arrays and objects: items separated by commas, closed by end. */
static int
parse_items(struct parser *p, struct json *v, char end)
{
	size_t max = p->d->max_depth ? p->d->max_depth : JSON_MAX_DEPTH;
	struct json **tail = &v->child;

	if (++p->depth > max)
		return fail(p, "nesting too deep");
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == end) {
		p->pos++;
		p->depth--;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen = 0;
		struct json *item;

		skip_ws(p);
		if (end == '}') {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a string key");
			if (parse_string(p, &key, &klen) < 0)
				return -1;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, "expected ':'");
			p->pos++;
		}
		item = parse_value(p);
		if (item == NULL)
			return -1;
		item->key = key;
		item->klen = klen;
		*tail = item;
		tail = &item->next;
		v->n++;
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, end == '}' ? "unterminated object" :
			    "unterminated array");
		if (p->s[p->pos] == end) {
			p->pos++;
			break;
		}
		if (p->s[p->pos] != ',')
			return fail(p, end == '}' ? "expected ',' or '}'" :
			    "expected ',' or ']'");
		p->pos++;
	}
	p->depth--;
	return 0;
}

static struct json *
parse_value(struct parser *p)
{
	struct json *v;
	int r = 0;

	skip_ws(p);
	if (p->pos >= p->len) {
		fail(p, "unexpected end of input");
		return NULL;
	}
	switch (p->s[p->pos]) {
	case '{':
		if ((v = node_new(p, JSON_OBJECT)) != NULL)
			r = parse_items(p, v, '}');
		break;
	case '[':
		if ((v = node_new(p, JSON_ARRAY)) != NULL)
			r = parse_items(p, v, ']');
		break;
	case '"':
		if ((v = node_new(p, JSON_STRING)) != NULL)
			r = parse_string(p, &v->str, &v->len);
		break;
	case 't':
		if ((v = node_new(p, JSON_TRUE)) != NULL)
			r = parse_literal(p, "true");
		break;
	case 'f':
		if ((v = node_new(p, JSON_FALSE)) != NULL)
			r = parse_literal(p, "false");
		break;
	case 'n':
		if ((v = node_new(p, JSON_NULL)) != NULL)
			r = parse_literal(p, "null");
		break;
	default:
		if ((v = node_new(p, JSON_NUMBER)) != NULL)
			r = parse_number(p, v);
		break;
	}
	return r < 0 ? NULL : v;
}

const struct json *
json_parse(struct json_doc *d, const char *s, size_t len, struct json_err *err)
{
	size_t max = d->max_len ? d->max_len : OBS_LINE_MAX;
	struct parser p = { d, s, len, 0, 0, NULL };
	struct json *root;

	arena_reset(d);
	d->nodes = 0;
	if (len > max) {
		err->off = max;
		err->msg = "input too long";
		return NULL;
	}
	root = parse_value(&p);
	if (root) {
		skip_ws(&p);
		if (p.pos < p.len) {
			fail(&p, "trailing data after the value");
			root = NULL;
		}
	}
	if (root == NULL) {
		err->off = p.pos;
		err->msg = p.msg ? p.msg : "invalid JSON";
	}
	return root;
}

const struct json *
json_get(const struct json *obj, const char *key, size_t klen)
{
	const struct json *v, *found = NULL;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (v = obj->child; v; v = v->next)
		if (v->klen == klen && memcmp(v->key, key, klen) == 0)
			found = v;
	return found;
}

const struct json *
json_at(const struct json *arr, long i)
{
	const struct json *v;

	if (arr == NULL || arr->type != JSON_ARRAY)
		return NULL;
	if (i < 0)
		i += (long)arr->n;
	if (i < 0 || (size_t)i >= arr->n)
		return NULL;
	for (v = arr->child; i > 0; i--)
		v = v->next;
	return v;
}

int
json_quote(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	if (buf_addch(out, '"') < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (buf_add(out, s + run, i - run) < 0)
			return -1;
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
			break;
		}
		if (buf_add(out, esc, elen) < 0)
			return -1;
	}
	if (buf_add(out, s + run, n - run) < 0)
		return -1;
	return buf_addch(out, '"');
}

static int
write_value(struct buf *out, const struct json *v, size_t depth)
{
	const struct json *c;

	/* The parser bounds depth; a hand-built tree gets the same bound. */
	if (depth > JSON_MAX_DEPTH * 4) {
		errno = EMSGSIZE;
		return -1;
	}
	switch (v->type) {
	case JSON_NULL: return buf_addstr(out, "null");
	case JSON_FALSE: return buf_addstr(out, "false");
	case JSON_TRUE: return buf_addstr(out, "true");
	case JSON_NUMBER: return buf_add(out, v->str, v->len);
	case JSON_STRING: return json_quote(out, v->str, v->len);
	case JSON_ARRAY:
	case JSON_OBJECT:
		break;
	}
	if (buf_addch(out, v->type == JSON_ARRAY ? '[' : '{') < 0)
		return -1;
	for (c = v->child; c; c = c->next) {
		if (c != v->child && buf_addch(out, ',') < 0)
			return -1;
		if (v->type == JSON_OBJECT &&
		    (json_quote(out, c->key, c->klen) < 0 ||
		     buf_addch(out, ':') < 0))
			return -1;
		if (write_value(out, c, depth + 1) < 0)
			return -1;
	}
	return buf_addch(out, v->type == JSON_ARRAY ? ']' : '}');
}

int
json_write(struct buf *out, const struct json *v)
{
	return write_value(out, v, 0);
}

static int
is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_ident(char c)
{
	return is_ident_start(c) || is_digit(c);
}

static int
step_add(struct json_path *p, size_t *cap, const struct json_step *st)
{
	if (p->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct json_step *nv = realloc(p->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		p->v = nv;
		*cap = ncap;
	}
	p->v[p->n++] = *st;
	return 0;
}

static int
path_fail(struct json_path *p, struct json_err *err, size_t off,
	  const char *msg)
{
	json_path_free(p);
	err->off = off;
	err->msg = msg;
	return -1;
}

/* A quoted identifier at s[*i] ('"'): decoded as a JSON string. */
static int
path_quoted(const char *s, size_t len, size_t *i, struct json_step *st,
	    size_t *bad)
{
	size_t start = *i + 1, j = start;
	long n;

	while (j < len && s[j] != '"') {
		if (s[j] == '\\')
			j++;
		j++;
	}
	if (j >= len) {
		*bad = len;
		return -1;
	}
	st->key = malloc(j - start + 1);
	if (st->key == NULL) {
		*bad = start;
		return -1;
	}
	n = json_unescape(st->key, s + start, j - start + 1, bad);
	if (n < 0) {
		*bad += start;
		free(st->key);
		st->key = NULL;
		return -1;
	}
	st->klen = (size_t)n;
	*i = j + 1;
	return 0;
}

int
json_path_compile(struct json_path *p, const char *s, size_t len,
		  struct json_err *err)
{
	size_t i = 0, cap = 0, bad;
	int need_name = 1;

	p->v = NULL;
	p->n = 0;
	if (len == 0)
		return path_fail(p, err, 0, "empty path");
	while (i < len) {
		struct json_step st = { 0, 0, NULL, 0 };

		if (s[i] == '[') {
			size_t j = ++i;
			int neg = 0;
			long v = 0;

			if (j < len && s[j] == '-') {
				neg = 1;
				j++;
			}
			if (j >= len || !is_digit(s[j]))
				return path_fail(p, err, j, "expected an index");
			while (j < len && is_digit(s[j])) {
				if (v > 100000000)
					return path_fail(p, err, j,
					    "index too large");
				v = v * 10 + (s[j] - '0');
				j++;
			}
			if (j >= len || s[j] != ']')
				return path_fail(p, err, j, "expected ']'");
			st.is_index = 1;
			st.index = neg ? -v : v;
			i = j + 1;
			need_name = 0;
		} else if (s[i] == '.' && !need_name) {
			i++;
			need_name = 1;
			continue;
		} else if (need_name && s[i] == '"') {
			if (path_quoted(s, len, &i, &st, &bad) < 0)
				return path_fail(p, err, bad,
				    "invalid quoted identifier");
			need_name = 0;
		} else if (need_name && is_ident_start(s[i])) {
			size_t start = i;

			while (i < len && is_ident(s[i]))
				i++;
			st.key = malloc(i - start + 1);
			if (st.key == NULL)
				return path_fail(p, err, start, "out of memory");
			memcpy(st.key, s + start, i - start);
			st.key[i - start] = '\0';
			st.klen = i - start;
			need_name = 0;
		} else {
			return path_fail(p, err, i, need_name ?
			    "expected an identifier" : "expected '.' or '['");
		}
		if (step_add(p, &cap, &st) < 0) {
			free(st.key);
			return path_fail(p, err, i, "out of memory");
		}
	}
	if (need_name)
		return path_fail(p, err, len, "expected an identifier");
	return 0;
}

const struct json *
json_path_eval(const struct json_path *p, const struct json *root)
{
	const struct json *v = root;
	size_t i;

	for (i = 0; i < p->n && v; i++) {
		const struct json_step *st = &p->v[i];

		v = st->is_index ? json_at(v, st->index) :
		    json_get(v, st->key, st->klen);
	}
	return v;
}

void
json_path_free(struct json_path *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].key);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}
