/* buf.h: the one growable byte buffer of the suite, with a hard cap. */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A buf holds len bytes at p, followed by a NUL that is not counted, so p is
 * always a C string once anything was added (p is NULL before that; use
 * buf_cstr() for "" instead).  It grows on demand but never past max bytes
 * (max 0 means SIZE_MAX/2); an add that would pass the cap or cannot get
 * memory leaves the buffer unchanged, sets errno (EMSGSIZE or ENOMEM) and
 * returns -1.  Every other function returns 0.  One free path: buf_free().
 */
struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_INIT(maxbytes) { NULL, 0, 0, (maxbytes) }

void buf_init(struct buf *b, size_t max);
int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, int c);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Keeps the memory, forgets the bytes. */
void buf_reset(struct buf *b);
/* Drops the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);
/* Cuts len to n (n <= len). */
void buf_truncate(struct buf *b, size_t n);
const char *buf_cstr(const struct buf *b);
void buf_free(struct buf *b);

#endif
