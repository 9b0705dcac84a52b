/* buf.c: the growable, capped byte buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "banned.h"

static size_t
buf_limit(const struct buf *b)
{
	return b->max ? b->max : SIZE_MAX / 2;
}

void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* Makes room for extra more bytes plus the NUL; the cap counts content only. */
int
buf_grow(struct buf *b, size_t extra)
{
	size_t limit = buf_limit(b), need, ncap;
	char *np;

	if (extra > limit || b->len > limit - extra) {
		errno = EMSGSIZE;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 4 ? need : ncap * 2;
	if (ncap > limit + 1)
		ncap = limit + 1;
	np = realloc(b->p, ncap);
	if (np == NULL) {
		errno = ENOMEM;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *data, size_t n)
{
	const char *src = data;

	/* Adding a piece of the buffer to itself must survive the realloc. */
	if (b->p && (uintptr_t)src >= (uintptr_t)b->p &&
	    (uintptr_t)src < (uintptr_t)b->p + b->cap) {
		size_t off = (size_t)((uintptr_t)src - (uintptr_t)b->p);

		if (buf_grow(b, n) < 0)
			return -1;
		src = b->p + off;
	} else if (buf_grow(b, n) < 0) {
		return -1;
	}
	if (n)
		memmove(b->p + b->len, src, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addch(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_add(b, &ch, 1);
}

int
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	/* Try in place first: most formats fit in the slack already there. */
	if (buf_grow(b, 0) < 0)
		return -1;
	va_copy(cp, ap);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->p[b->len] = '\0';
		errno = EINVAL;
		return -1;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (buf_grow(b, (size_t)n) < 0) {
			b->p[b->len] = '\0';
			return -1;
		}
		va_copy(cp, ap);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, cp);
		va_end(cp);
		if (n < 0) {
			b->p[b->len] = '\0';
			errno = EINVAL;
			return -1;
		}
	}
	b->len += (size_t)n;
	return 0;
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

void
buf_truncate(struct buf *b, size_t n)
{
	if (n >= b->len)
		return;
	b->len = n;
	b->p[n] = '\0';
}

const char *
buf_cstr(const struct buf *b)
{
	return b->p ? b->p : "";
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}
