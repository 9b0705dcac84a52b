/* t_buf.c: unit tests for the capped byte buffer. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "tap.h"
#include "banned.h"

int
main(void)
{
	struct buf b = BUF_INIT(0);
	struct buf c;
	int r;

	is_str(buf_cstr(&b), "", "empty buf reads as \"\"");
	ok(b.p == NULL, "no memory before the first add");

	ok(buf_addstr(&b, "abc") == 0, "addstr");
	ok(buf_addch(&b, 'd') == 0, "addch");
	ok(buf_add(&b, "ef", 2) == 0, "add");
	ok(buf_addf(&b, "-%d-%s", 42, "x") == 0, "addf");
	is_str(b.p, "abcdef-42-x", "content is NUL-terminated");
	is_int((long long)b.len, 11, "len counts bytes, not the NUL");

	buf_consume(&b, 3);
	is_str(b.p, "def-42-x", "consume drops the front");
	buf_truncate(&b, 3);
	is_str(b.p, "def", "truncate cuts");
	buf_truncate(&b, 10);
	is_int((long long)b.len, 3, "truncate past len is a no-op");
	buf_consume(&b, 3);
	is_str(b.p, "", "consume everything empties");
	is_int((long long)b.len, 0, "consume everything: len 0");

	/* Self-append must survive a realloc. */
	buf_reset(&b);
	buf_addstr(&b, "0123456789");
	for (r = 0; r < 6; r++)
		buf_add(&b, b.p, b.len);
	is_int((long long)b.len, 640, "self-append doubles six times");
	ok(memcmp(b.p + 630, "0123456789", 10) == 0, "self-append content");

	/* A long printf grows on the second try. */
	buf_reset(&b);
	ok(buf_addf(&b, "%0500d", 7) == 0, "long addf");
	is_int((long long)b.len, 500, "long addf length");
	ok(b.p[499] == '7' && b.p[0] == '0' && b.p[500] == '\0', "long addf content");
	buf_free(&b);
	ok(b.p == NULL && b.len == 0 && b.cap == 0, "free clears");
	buf_free(&b);
	ok(b.p == NULL && b.len == 0, "a second free is harmless");

	/* The cap. */
	buf_init(&c, 8);
	ok(buf_addstr(&c, "12345678") == 0, "fill to the cap exactly");
	errno = 0;
	ok(buf_addch(&c, '9') == -1 && errno == EMSGSIZE, "one past the cap is EMSGSIZE");
	is_str(c.p, "12345678", "failed add leaves the buffer unchanged");
	buf_reset(&c);
	buf_addstr(&c, "1234");
	errno = 0;
	ok(buf_addf(&c, "%s", "56789") == -1 && errno == EMSGSIZE, "addf past the cap");
	is_str(c.p, "1234", "failed addf leaves the buffer unchanged");
	is_int((long long)c.len, 4, "failed addf leaves len");
	ok(buf_addf(&c, "%s", "5678") == 0, "addf up to the cap");
	is_str(c.p, "12345678", "addf up to the cap content");
	errno = 0;
	ok(buf_grow(&c, SIZE_MAX) == -1 && errno == EMSGSIZE, "grow by SIZE_MAX fails cleanly");
	ok(buf_add(&c, "", 0) == 0, "adding nothing at the cap is fine");
	buf_free(&c);

	buf_init(&c, 0);
	errno = 0;
	ok(buf_grow(&c, SIZE_MAX / 2 + 1) == -1 && errno == EMSGSIZE,
	    "max 0 means SIZE_MAX/2");
	ok(buf_add(&c, "", 0) == 0 && c.p != NULL && c.p[0] == '\0',
	    "adding nothing still makes p a string");
	buf_free(&c);
	return done_testing();
}
