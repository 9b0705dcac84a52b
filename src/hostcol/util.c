/* util.c: file reading, field splitting, listings and regex filters for the collectors. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include "hash.h"
#include "hostcol.h"
#include "log.h"
#include "parse.h"
#include "value.h"
#include "banned.h"

int hc_fmt(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

int hc_join3(char *dst, size_t size, const char *a, const char *b,
	     size_t bn, const char *c)
{
	size_t an = strlen(a), cn = strlen(c);

	if (an + bn + cn >= size) {
		if (size > 0)
			dst[0] = '\0';
		return -1;
	}
	memcpy(dst, a, an);
	memcpy(dst + an, b, bn);
	memcpy(dst + an + bn, c, cn + 1);
	return (int)(an + bn + cn);
}

size_t hc_u64_str(char *dst, uint64_t v)
{
	char t[20];
	size_t n = 0, i;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		dst[i] = t[n - 1 - i];
	dst[n] = '\0';
	return n;
}

int hc_path(char *dst, size_t size, const char *root, const char *rel)
{
	size_t rl = strlen(root), el, n, slash;

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	while (*rel == '/')
		rel++;
	el = strlen(rel);
	/* Joined by hand, not by snprintf: every collector joins its
	 * paths every cycle. */
	if (rl == 1 && root[0] == '/') {
		rl = 0;
		slash = 1;
	} else {
		slash = el > 0;
	}
	n = rl + slash + el;
	if (n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dst, root, rl);
	if (slash)
		dst[rl] = '/';
	memcpy(dst + rl + slash, rel, el + 1);
	return 0;
}

/*
 * Files of procfs and sysfs stay open from cycle to cycle and are read
 * again from offset 0: that saves the path walk of open(2), and seq_file
 * keeps the buffer it had to grow for a big file (/proc/net/netstat).
 * Regular files (fixtures, textfiles) are never kept, so a replaced file
 * is always read anew.  A descriptor not read in a whole cycle (a process
 * gone, an interface removed) is closed when the next one begins, so the
 * cap holds what is read now, not what was once.
 */
#define FD_CACHE_SLOTS 1024
#define FD_CACHE_MAX 384

struct fd_slot {
	char *path;
	int fd;
	int sysfs;
	unsigned long used;	/* the last cycle that read it */
};

static struct fd_slot fd_cache[FD_CACHE_SLOTS];
static size_t fd_cached;
static unsigned long fd_cycle;
/* Kept descriptors read this cycle, and deleted slots: when every kept
 * one was read and none was deleted, a sweep has nothing to do. */
static size_t fd_touched, fd_deleted;

static size_t path_slot(const char *path)
{
	return (size_t)(hc_hash(path, strlen(path)) % FD_CACHE_SLOTS);
}

static struct fd_slot *fd_find(const char *path)
{
	size_t i = path_slot(path), n;

	for (n = 0; n < FD_CACHE_SLOTS && fd_cache[i].path; n++) {
		if (fd_cache[i].fd >= 0 && strcmp(fd_cache[i].path, path) == 0)
			return &fd_cache[i];
		i = (i + 1) % FD_CACHE_SLOTS;
	}
	return NULL;
}

static void fd_keep(const char *path, int fd)
{
	struct statfs sf;
	size_t i, n;

	if (fd_cached >= FD_CACHE_MAX || fstatfs(fd, &sf) < 0 ||
	    (sf.f_type != PROC_SUPER_MAGIC && sf.f_type != SYSFS_MAGIC))
		return;
	i = path_slot(path);
	/* Deleted slots keep their path (fd -1) so probing goes on past
	 * them; they are reused for the same path only, and fd_sweep()
	 * clears them every cycle, so a free slot is always found. */
	for (n = 0; n < FD_CACHE_SLOTS && fd_cache[i].path &&
		    strcmp(fd_cache[i].path, path) != 0; n++)
		i = (i + 1) % FD_CACHE_SLOTS;
	if (n == FD_CACHE_SLOTS || (fd_cache[i].path && fd_cache[i].fd >= 0))
		return;
	if (!fd_cache[i].path) {
		fd_cache[i].path = strdup(path);
		if (!fd_cache[i].path)
			return;
	} else {
		fd_deleted--;
	}
	fd_cache[i].fd = dup(fd);
	fd_cache[i].sysfs = sf.f_type == SYSFS_MAGIC;
	fd_cache[i].used = fd_cycle;
	if (fd_cache[i].fd >= 0) {
		fd_cached++;
		fd_touched++;
	} else {
		fd_deleted++;
	}
}

/* At a cycle's start: closes what the cycle before did not read, and
 * rebuilds the table without it and without deleted slots. */
static void fd_sweep(void)
{
	static struct fd_slot live[FD_CACHE_MAX];
	struct fd_slot *s;
	size_t i, j, n = 0, stale = 0;

	if (fd_touched == fd_cached && fd_deleted == 0)
		return;
	for (i = 0; i < FD_CACHE_SLOTS; i++)
		if (fd_cache[i].path &&
		    (fd_cache[i].fd < 0 || fd_cache[i].used != fd_cycle))
			stale++;
	if (stale == 0)
		return;
	for (i = 0; i < FD_CACHE_SLOTS; i++) {
		s = &fd_cache[i];
		if (!s->path)
			continue;
		if (s->fd >= 0 && s->used == fd_cycle && n < FD_CACHE_MAX) {
			live[n++] = *s;
		} else {
			if (s->fd >= 0)
				close(s->fd);
			free(s->path);
		}
		s->path = NULL;
		s->fd = -1;
	}
	for (j = 0; j < n; j++) {
		i = path_slot(live[j].path);
		while (fd_cache[i].path)
			i = (i + 1) % FD_CACHE_SLOTS;
		fd_cache[i] = live[j];
	}
	fd_cached = n;
	fd_deleted = 0;
}

static void fd_drop(struct fd_slot *s)
{
	close(s->fd);
	s->fd = -1;
	fd_cached--;
	if (s->used == fd_cycle)
		fd_touched--;
	fd_deleted++;
}

void hc_fd_cache_free(void)
{
	size_t i;

	for (i = 0; i < FD_CACHE_SLOTS; i++) {
		if (fd_cache[i].path && fd_cache[i].fd >= 0)
			close(fd_cache[i].fd);
		free(fd_cache[i].path);
		fd_cache[i].path = NULL;
		fd_cache[i].fd = -1;
	}
	fd_cached = 0;
	fd_touched = fd_deleted = 0;
}

/*
 * Reads fd to its end into b: from offset 0 with pread(2) when at0 (a
 * kept fd, which saves an lseek a read), else from where it stands.  A
 * sysfs attribute is one page at most and a read returns all of it, so
 * a short read there is the end (kernfs reads at most a page a call, and
 * a shorter answer is the whole value): that saves the read that would
 * find the end.
 */
static int read_fd_at(int fd, struct buf *b, int at0, int sysfs, int whole)
{
	ssize_t r;
	size_t want;

	for (;;) {
		if (b->cap - b->len < 4096 + 1 && buf_grow(b, 8192) < 0)
			return -1;
		want = b->cap - b->len - 1;
		r = at0 ? pread(fd, b->p + b->len, want, (off_t)b->len) :
			  read(fd, b->p + b->len, want);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
		if (b->len > HC_FILE_MAX) {
			errno = EFBIG;
			return -1;
		}
		if (sysfs && r < 4096)
			break;
		if (whole && (size_t)r < want)
			break;
	}
	b->p[b->len] = '\0';
	return 0;
}

int hc_read_fd(int fd, struct buf *b)
{
	buf_reset(b);
	return read_fd_at(fd, b, 1, 0, 0);
}

static int read_path(const char *path, struct buf *b, int whole)
{
	struct fd_slot *s = fd_find(path);
	int fd, saved;

	buf_reset(b);
	if (s) {
		if (s->used != fd_cycle) {
			s->used = fd_cycle;
			fd_touched++;
		}
		if (read_fd_at(s->fd, b, 1, s->sysfs, whole && !s->sysfs) == 0)
			return 0;
		/* Gone (a device unplugged): read it afresh. */
		fd_drop(s);
		buf_reset(b);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (read_fd_at(fd, b, 0, 0, 0) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	fd_keep(path, fd);
	close(fd);
	return 0;
}

int hc_read(const char *path, struct buf *b)
{
	return read_path(path, b, 0);
}

/*
 * A procfs file made by one show() call (single_open: meminfo, stat,
 * loadavg, pressure, net/snmp...) comes whole in a read that has room
 * for it, so a read shorter than asked for is the end: that saves the
 * read that would find it.  Files of records (vmstat, diskstats) may
 * stop short of the end and are read with hc_read.
 */
int hc_read_whole(const char *path, struct buf *b)
{
	return read_path(path, b, 1);
}

int hc_read_str(const char *path, struct buf *b)
{
	size_t s = 0, e;

	if (hc_read(path, b) < 0)
		return -1;
	if (!b->p && buf_addstr(b, "") < 0)
		return -1;
	e = b->len;
	while (e > 0 && isspace((unsigned char)b->p[e - 1]))
		e--;
	while (s < e && isspace((unsigned char)b->p[s]))
		s++;
	memmove(b->p, b->p + s, e - s);
	buf_truncate(b, e - s);
	b->p[b->len] = '\0';
	return 0;
}

int hc_read_u64(const char *path, uint64_t *v)
{
	struct buf b = BUF_INIT(65536);
	int rc = -1;

	if (hc_read_str(path, &b) == 0)
		rc = parse_u64(b.p, b.len, 0, UINT64_MAX, v);
	buf_free(&b);
	return rc;
}

int hc_read_i64(const char *path, int64_t *v)
{
	struct buf b = BUF_INIT(65536);
	int rc = -1;

	if (hc_read_str(path, &b) == 0) {
		if (b.len > 0 && b.p[0] == '-') {
			uint64_t u;

			rc = parse_u64(b.p + 1, b.len - 1, 0,
				       (uint64_t)INT64_MAX + 1, &u);
			if (rc == 0)
				*v = u == (uint64_t)INT64_MAX + 1 ?
					INT64_MIN : -(int64_t)u;
		} else {
			rc = parse_i64(b.p, b.len, INT64_MIN, INT64_MAX, v);
		}
	}
	buf_free(&b);
	return rc;
}

/* isspace() of the C locale, without a table look-up a byte: every
 * field of every /proc file goes through here. */
static inline int blank(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

size_t hc_fields(const char *p, size_t len, struct field *f, size_t max)
{
	size_t i = 0, n = 0;

	while (i < len && n < max) {
		/* Padding (meminfo, snmp6) comes in long runs of spaces:
		 * eight at a time, then byte by byte. */
		while (len - i >= 8 && memcmp(p + i, "        ", 8) == 0)
			i += 8;
		while (i < len && blank((unsigned char)p[i]))
			i++;
		if (i == len)
			break;
		f[n].p = p + i;
		/* Eight bytes at a time while none is below '!' (every
		 * blank is); from the first one that is, byte by byte. */
		while (len - i >= 8) {
			uint64_t w, m;

			memcpy(&w, p + i, 8);
			m = (w - 0x2121212121212121ull) & ~w &
			    0x8080808080808080ull;
			if (m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				/* The lowest byte marked is the first
				 * below '!' (a borrow only marks bytes
				 * after it). */
				i += (unsigned)__builtin_ctzll(m) >> 3;
#endif
				break;
			}
			i += 8;
		}
		while (i < len && !blank((unsigned char)p[i]))
			i++;
		f[n].n = (size_t)(p + i - f[n].p);
		n++;
	}
	return n;
}

int hc_line(const char *p, size_t len, size_t *pos, const char **line,
	    size_t *llen)
{
	const char *nl;

	if (*pos >= len)
		return 0;
	*line = p + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*llen = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *llen + (nl != NULL);
	return 1;
}

int hc_field_u64(const struct field *f, uint64_t *v)
{
	/* Up to 19 digits cannot overflow: read here, without the check
	 * of every digit parse_u64 makes; it has the rest, and errno. */
	if (f->n > 0 && f->n <= 19) {
		uint64_t u = 0;
		size_t i;

		for (i = 0; i < f->n; i++) {
			unsigned d = (unsigned)((unsigned char)f->p[i] - '0');

			if (d > 9)
				break;
			u = u * 10 + d;
		}
		if (i == f->n) {
			*v = u;
			return 0;
		}
	}
	return parse_u64(f->p, f->n, 0, UINT64_MAX, v);
}

int hc_parse_f64(const char *s, size_t n, double *v)
{
	/* Most kernel values are plain decimal integers: below 2^53 the
	 * double is exact, the very value value_parse would give. */
	if (n > 0 && n <= 15) {
		uint64_t u = 0;
		size_t i;

		for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			u = u * 10 + (uint64_t)(s[i] - '0');
		if (i == n) {
			*v = (double)u;
			return 0;
		}
	}
	/* value_parse takes Go's ParseFloat grammar plus "stale", which no
	 * kernel file writes and which we refuse here. */
	if (n == 5 && strncmp(s, "stale", 5) == 0) {
		errno = EINVAL;
		return -1;
	}
	if (n > 0 && (s[0] == '0') && n > 2 && (s[1] == 'x' || s[1] == 'X')) {
		errno = EINVAL;
		return -1;
	}
	return value_parse(s, n, v);
}

int hc_field_f64(const struct field *f, double *v)
{
	return hc_parse_f64(f->p, f->n, v);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void hc_sort_strings(char **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), str_cmp);
}

/* The names of d (from where it stands) matching prefix into out. */
/* Adds name to out unless it is "." or "..", or lacks prefix and a digit
 * after it; -1 (ENOMEM) with out freed. */
static int names_take(struct names *out, size_t *cap, const char *name,
		      const char *prefix, size_t pl)
{
	char *s;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (prefix && (strncmp(name, prefix, pl) != 0 ||
		       !isdigit((unsigned char)name[pl])))
		return 0;
	if (out->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		char **nv = realloc(out->v, nc * sizeof(*nv));

		if (!nv)
			goto fail;
		out->v = nv;
		*cap = nc;
	}
	s = strdup(name);
	if (!s)
		goto fail;
	out->v[out->n++] = s;
	return 0;
fail:
	hc_names_free(out);
	errno = ENOMEM;
	return -1;
}

static int list_dir(DIR *d, const char *prefix, struct names *out)
{
	size_t cap = 0, pl = prefix ? strlen(prefix) : 0;
	struct dirent *de;

	out->v = NULL;
	out->n = 0;
	while ((de = readdir(d)) != NULL)
		if (names_take(out, &cap, de->d_name, prefix, pl) < 0)
			return -1;
	hc_sort_strings(out->v, out->n);
	return 0;
}

static int list(const char *dir, const char *prefix, struct names *out)
{
	DIR *d = opendir(dir);
	int rc;

	out->v = NULL;
	out->n = 0;
	if (!d)
		return -1;
	rc = list_dir(d, prefix, out);
	closedir(d);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}

/*
 * Directories of sysfs listed every cycle that are never removed (a
 * class, the CPUs, the clocksources) stay open: rewinddir() and readdir()
 * list their entries as they are now, without the path walk, open and
 * close of opendir().  Others (fixtures under --path.sysfs) are opened
 * every time.
 */
#define KEPT_DIRS 8

static struct {
	char *path;
	DIR *d;
} kept_dir[KEPT_DIRS];
static size_t nkept_dir;

/*
 * A kept directory of sysfs listed with getdents64(2) itself, from the
 * start.  kernfs ends a listing it could finish by setting the position
 * to INT_MAX (kernfs_fop_readdir; its names hash below that), and the
 * kernel writes that position into the last entry's d_off: a buffer whose
 * last entry says INT_MAX is the whole directory, so the call that would
 * say 0 is not made.  A listing cut short (a full buffer, a signal or the
 * freezer pending: filldir64 stops there) ends elsewhere and is read on.
 */
static int list_kept_fd(int fd, const char *prefix, struct names *out)
{
	static char dbuf[32768] __attribute__((aligned(8)));
	size_t cap = 0, pl = prefix ? strlen(prefix) : 0;

	out->v = NULL;
	out->n = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	for (;;) {
		ssize_t n = getdents64(fd, dbuf, sizeof(dbuf));
		ssize_t pos = 0;
		int64_t last = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			hc_names_free(out);
			return -1;
		}
		if (n == 0)
			break;
		while (pos < n) {
			const struct dirent64 *de =
				(const struct dirent64 *)(dbuf + pos);

			pos += de->d_reclen;
			last = de->d_off;
			if (names_take(out, &cap, de->d_name, prefix, pl) < 0)
				return -1;
		}
		if (last == INT_MAX)
			break;
	}
	hc_sort_strings(out->v, out->n);
	return 0;
}

static int list_kept(const char *dir, const char *prefix, struct names *out)
{
	struct statfs sf;
	size_t i;
	DIR *d;

	for (i = 0; i < nkept_dir; i++)
		if (strcmp(kept_dir[i].path, dir) == 0)
			return list_kept_fd(dirfd(kept_dir[i].d), prefix, out);
	d = opendir(dir);
	if (!d) {
		out->v = NULL;
		out->n = 0;
		return -1;
	}
	if (list_dir(d, prefix, out) < 0) {
		closedir(d);
		errno = ENOMEM;
		return -1;
	}
	if (nkept_dir < KEPT_DIRS && fstatfs(dirfd(d), &sf) == 0 &&
	    sf.f_type == SYSFS_MAGIC &&
	    (kept_dir[nkept_dir].path = strdup(dir)) != NULL) {
		kept_dir[nkept_dir++].d = d;
		return 0;
	}
	closedir(d);
	return 0;
}

static void kept_dirs_free(void)
{
	while (nkept_dir > 0) {
		nkept_dir--;
		closedir(kept_dir[nkept_dir].d);
		free(kept_dir[nkept_dir].path);
	}
}

int hc_list(const char *dir, struct names *out)
{
	return list(dir, NULL, out);
}

int hc_list_class(const struct hc *hc, const char *cls, const char *coll,
		  char *dir, size_t size, struct names *out)
{
	char rel[64];

	if (snprintf(rel, sizeof(rel), "class/%s", cls) >= (int)sizeof(rel) ||
	    hc_path(dir, size, hc->sysfs, rel) < 0)
		return HC_FAIL;
	if (hc_list(dir, out) < 0) {
		if (errno == ENOENT)
			return HC_NODATA;
		log_error("%s: cannot list '%s': %s", coll, dir, strerror(errno));
		return HC_FAIL;
	}
	return HC_OK;
}

int hc_list_prefix(const char *dir, const char *prefix, struct names *out)
{
	return list(dir, prefix, out);
}

/*
 * Listings shared within a cycle: /sys/devices/system/cpu is read by the
 * cpu collector twice and by cpufreq.  hc_cycle_begin() forgets them.
 */
#define LIST_CACHE 4

static struct {
	char *dir, *prefix;
	struct names names;
	int rc, err;
	int valid;
} list_cache[LIST_CACHE];

static void list_cache_clear(void)
{
	size_t i;

	for (i = 0; i < LIST_CACHE; i++) {
		free(list_cache[i].dir);
		free(list_cache[i].prefix);
		hc_names_free(&list_cache[i].names);
		list_cache[i].dir = list_cache[i].prefix = NULL;
		list_cache[i].valid = 0;
	}
}

/*
 * Files whose presence is a property of the kernel and its drivers
 * (/proc/pressure/irq, a CPU's thermal_throttle, cpufreq, the hwmon
 * class): a miss is remembered for ABSENT_MS, so a cycle does not walk
 * their paths in vain; a file that appears (a driver loaded) shows within
 * ABSENT_MS, which is less than any sensible scrape interval would notice.
 */
#define ABSENT_MS 10000
#define ABSENT_MAX 64

static struct {
	char *path;
	uint64_t hash;		/* of path: most look-ups compare only it */
	int64_t until;
} absent[ABSENT_MAX];
static size_t nabsent;
static int64_t cycle_ms;

static int absent_known(const char *path)
{
	uint64_t h;
	size_t i;

	if (nabsent == 0)
		return 0;
	h = hc_hash(path, strlen(path));
	for (i = 0; i < nabsent; i++)
		if (absent[i].hash == h && strcmp(absent[i].path, path) == 0) {
			if (cycle_ms < absent[i].until)
				return 1;
			free(absent[i].path);
			absent[i] = absent[--nabsent];
			return 0;
		}
	return 0;
}

static void absent_note(const char *path)
{
	if (nabsent == ABSENT_MAX || absent_known(path))
		return;
	absent[nabsent].path = strdup(path);
	if (!absent[nabsent].path)
		return;
	absent[nabsent].hash = hc_hash(path, strlen(path));
	absent[nabsent++].until = cycle_ms + ABSENT_MS;
}

static void absent_free(void)
{
	while (nabsent > 0)
		free(absent[--nabsent].path);
}

int hc_absent(const char *path)
{
	return absent_known(path);
}

void hc_note_absent(const char *path)
{
	absent_note(path);
}

int hc_read_fixed(const char *path, struct buf *b)
{
	if (absent_known(path)) {
		buf_reset(b);
		errno = ENOENT;
		return -1;
	}
	if (read_path(path, b, 1) == 0)
		return 0;
	if (errno == ENOENT)
		absent_note(path);
	return -1;
}

int hc_exists_fixed(const char *path)
{
	if (absent_known(path))
		return 0;
	if (access(path, F_OK) == 0)
		return 1;
	if (errno == ENOENT)
		absent_note(path);
	return 0;
}

int hc_list_fixed(const char *dir, const char *prefix, struct names *out)
{
	if (absent_known(dir)) {
		out->v = NULL;
		out->n = 0;
		errno = ENOENT;
		return -1;
	}
	if (list_kept(dir, prefix, out) == 0)
		return 0;
	if (errno == ENOENT)
		absent_note(dir);
	return -1;
}

/* /proc/stat is read by the cpu and the stat collectors: once a cycle
 * (generating it sums every interrupt of every CPU). */
static struct buf shared_read = BUF_INIT(HC_FILE_MAX);
static char *shared_path;

void hc_cycle_begin(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	cycle_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	fd_sweep();
	fd_cycle++;
	fd_touched = 0;
	list_cache_clear();
	free(shared_path);
	shared_path = NULL;
}

int hc_read_shared(const char *path, struct buf *b)
{
	if (shared_path && strcmp(shared_path, path) == 0) {
		buf_reset(b);
		return shared_read.len ?
			buf_add(b, shared_read.p, shared_read.len) : 0;
	}
	if (hc_read_whole(path, b) < 0)
		return -1;
	free(shared_path);
	shared_path = NULL;
	buf_reset(&shared_read);
	if (b->len && buf_add(&shared_read, b->p, b->len) < 0)
		return 0;	/* read again next time: no harm */
	shared_path = strdup(path);
	return 0;
}

const struct names *hc_list_prefix_shared(const char *dir, const char *prefix)
{
	size_t i;

	for (i = 0; i < LIST_CACHE; i++) {
		if (!list_cache[i].valid)
			break;
		if (strcmp(list_cache[i].dir, dir) == 0 &&
		    strcmp(list_cache[i].prefix, prefix) == 0) {
			if (list_cache[i].rc < 0) {
				errno = list_cache[i].err;
				return NULL;
			}
			return &list_cache[i].names;
		}
	}
	if (i == LIST_CACHE) {
		list_cache_clear();
		i = 0;
	}
	list_cache[i].dir = strdup(dir);
	list_cache[i].prefix = strdup(prefix);
	if (!list_cache[i].dir || !list_cache[i].prefix) {
		free(list_cache[i].dir);
		free(list_cache[i].prefix);
		list_cache[i].dir = list_cache[i].prefix = NULL;
		errno = ENOMEM;
		return NULL;
	}
	list_cache[i].rc = list_kept(dir, prefix, &list_cache[i].names);
	list_cache[i].err = errno;
	list_cache[i].valid = 1;
	if (list_cache[i].rc < 0)
		return NULL;
	return &list_cache[i].names;
}

void hc_names_free(struct names *n)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
	n->v = NULL;
	n->n = 0;
}

int regex_compile(void **re, const char *what, const char *pattern)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *c;

	*re = NULL;
	if (!pattern || !*pattern)
		return 0;
	c = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			  PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off,
			  NULL);
	if (!c) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(err, msg, sizeof(msg));
		log_error("bad regular expression for %s '%s': %s at offset %zu",
			  what, pattern, (const char *)msg, (size_t)off);
		return -1;
	}
	(void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	*re = c;
	return 0;
}

static pcre2_match_data *shared_md;

int regex_match(void *re, const char *s, size_t n)
{
	int rc;

	if (!shared_md) {
		shared_md = pcre2_match_data_create(1, NULL);
		if (!shared_md)
			return 0;
	}
	rc = pcre2_match((pcre2_code *)re, (PCRE2_SPTR)s, n, 0, 0, shared_md,
			 NULL);
	return rc >= 0;
}

void regex_free(void *re)
{
	pcre2_code_free((pcre2_code *)re);
}

uint64_t hc_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	/* Eight bytes a step: FNV-1a's byte steps showed in profiles. */
	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

/*
 * A seqmatch remembers the subjects of the last pass, in order, with
 * their answers: field names come in the same order every cycle, so a
 * pass mostly compares each name with the next one remembered (memory
 * read in sequence, which stays fast when the caches went cold between
 * cycles) instead of running the pattern or probing a table.
 */
void seqmatch_begin(struct seqmatch *sm, void *re)
{
	if (sm->re != re) {
		buf_reset(&sm->prev);
		sm->re = re;
	}
	buf_reset(&sm->cur);
	sm->pos = 0;
	sm->miss = 0;
}

int seqmatch_match(struct seqmatch *sm, const char *s, size_t n)
{
	size_t pn;
	char m;

	if (!sm->miss && sm->pos + sizeof(pn) + 1 <= sm->prev.len) {
		const char *p = sm->prev.p + sm->pos;

		memcpy(&pn, p, sizeof(pn));
		if (pn == n && sm->pos + sizeof(pn) + 1 + n <= sm->prev.len &&
		    memcmp(p + sizeof(pn) + 1, s, n) == 0) {
			sm->pos += sizeof(pn) + 1 + n;
			return p[sizeof(pn)];
		}
	}
	/* Out of step: the rest of this pass is matched anew, and the
	 * pass so far is what the next one compares with. */
	if (!sm->miss) {
		sm->miss = 1;
		if (sm->pos > 0 && buf_add(&sm->cur, sm->prev.p, sm->pos) < 0)
			sm->miss = 2;
	}
	m = regex_match(sm->re, s, n) ? 1 : 0;
	if (sm->miss == 1 &&
	    (buf_add(&sm->cur, &n, sizeof(n)) < 0 ||
	     buf_add(&sm->cur, &m, 1) < 0 || buf_add(&sm->cur, s, n) < 0))
		sm->miss = 2;	/* too much to keep: the next pass starts over */
	return m;
}

void seqmatch_end(struct seqmatch *sm)
{
	struct buf t;

	/* In step to the end: the remembered pass stays. */
	if (!sm->miss && sm->pos == sm->prev.len)
		return;
	if (!sm->miss)
		buf_truncate(&sm->prev, sm->pos);	/* a shorter pass */
	if (sm->miss == 2)
		buf_reset(&sm->cur);
	if (sm->miss) {
		t = sm->prev;
		sm->prev = sm->cur;
		sm->cur = t;
	}
}

void seqmatch_free(struct seqmatch *sm)
{
	buf_free(&sm->prev);
	buf_free(&sm->cur);
	sm->re = NULL;
	sm->pos = 0;
	sm->miss = 0;
}

int filter_init(struct filter *f, const char *what, const char *exclude,
		const char *include)
{
	memset(f, 0, sizeof(*f));
	if (regex_compile(&f->exclude, what, exclude) < 0 ||
	    regex_compile(&f->include, what, include) < 0) {
		filter_free(f);
		return -1;
	}
	return 0;
}

int filter_ignored(struct filter *f, const char *s)
{
	size_t n = strlen(s);

	return (f->exclude && regex_match(f->exclude, s, n)) ||
	       (f->include && !regex_match(f->include, s, n));
}

void filter_free(struct filter *f)
{
	regex_free(f->exclude);
	regex_free(f->include);
	memset(f, 0, sizeof(*f));
}

void hc_cleanup(struct hc *hc)
{
	regex_free(hc->cpu_flags_re);
	regex_free(hc->cpu_bugs_re);
	regex_free(hc->netstat_re);
	regex_free(hc->vmstat_re);
	filter_free(&hc->diskstats_filter);
	filter_free(&hc->fs_mp_filter);
	filter_free(&hc->fs_type_filter);
	filter_free(&hc->netdev_filter);
	filter_free(&hc->hwmon_chip_filter);
	filter_free(&hc->hwmon_sensor_filter);
	filter_free(&hc->arp_filter);
	filter_free(&hc->intr_filter);
	filter_free(&hc->ib_filter);
	regex_free(hc->tape_ignored_re);
	hc->tape_ignored_re = NULL;
	regex_free(hc->ps_ignored_re);
	hc->ps_ignored_re = NULL;
	regex_free(hc->netclass_ignored_re);
	hc->netclass_ignored_re = NULL;
	hc->cpu_flags_re = hc->cpu_bugs_re = NULL;
	hc->netstat_re = hc->vmstat_re = NULL;
	pcre2_match_data_free(shared_md);
	shared_md = NULL;
	hc_fd_cache_free();
	absent_free();
	kept_dirs_free();
	list_cache_clear();
	free(shared_path);
	shared_path = NULL;
	buf_free(&shared_read);
}

/*
 * Go's strconv base 0 prefixes (0x, 0b, 0o, a leading 0 for octal) from
 * s[*i], moving *i past them; the base.
 */
static unsigned base0_prefix(const char *s, size_t n, size_t *i)
{
	char c;

	if (*i + 1 >= n || s[*i] != '0')
		return 10;
	c = s[*i + 1];
	*i += 2;
	if (c == 'x' || c == 'X')
		return 16;
	if (c == 'b' || c == 'B')
		return 2;
	if (c == 'o' || c == 'O')
		return 8;
	*i -= 1;	/* "0" then digits: octal, the 0 its prefix */
	return 8;
}

/* The digits s[i..n) in base, at most lim: 0 with *out, or -1 with errno
 * EINVAL (no digit, or one outside the base) or ERANGE. */
static int base_digits(const char *s, size_t i, size_t n, unsigned base,
		       uint64_t lim, uint64_t *out)
{
	uint64_t acc = 0;

	if (i >= n) {
		/* "0x" alone is no number; a lone "0" took the octal
		 * prefix only when a digit followed. */
		errno = EINVAL;
		return -1;
	}
	for (; i < n; i++) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			d = 99;
		if (d >= base) {
			errno = EINVAL;
			return -1;
		}
		if (acc > (lim - d) / base) {
			errno = ERANGE;
			return -1;
		}
		acc = acc * base + d;
	}
	*out = acc;
	return 0;
}

int hc_parse_int0(const char *s, size_t n, int64_t *v)
{
	uint64_t acc, lim;
	unsigned base;
	size_t i = 0;
	int neg = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	base = base0_prefix(s, n, &i);
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (base_digits(s, i, n, base, lim, &acc) < 0)
		return -1;
	if (neg)
		*v = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		*v = (int64_t)acc;
	return 0;
}

int hc_parse_u64_0(const char *s, size_t n, uint64_t *v)
{
	size_t i = 0;
	unsigned base = base0_prefix(s, n, &i);

	return base_digits(s, i, n, base, UINT64_MAX, v);
}

/* ---- a file's text as last read (struct hc_last) ---- */

int hc_last_reserve(struct hc_last *l, size_t cap)
{
	size_t *a;

	a = realloc(l->at, (cap + 1) * sizeof(*a));
	if (!a)
		return -1;
	l->at = a;
	a = realloc(l->next, (cap + 1) * sizeof(*a));
	if (!a)
		return -1;
	l->next = a;
	return 0;
}

/* From line i (of n) at *pos of p: passes over the lines that are last
 * cycle's, noting where they start, and returns the first that is not (n:
 * none).  Nothing when l is fresh. */
static size_t last_pass(struct hc_last *l, const char *p, size_t len,
			size_t *pos, size_t i, size_t n)
{
	size_t at = *pos, qat, m, same;

	if (l->fresh || i >= n)
		return i;
	/* The lines up to where the file first differs from last cycle's
	 * are as checked then. */
	qat = l->at[i];
	m = l->text.len - qat;
	if (len - at < m)
		m = len - at;
	same = qat + hc_same_len(p + at, l->text.p + qat, m);
	for (; i < n && l->at[i + 1] <= same; i++)
		l->next[i] = at + (l->at[i] - qat);
	*pos = at + (l->at[i] - qat);
	return i;
}

/*
 * Keeps the len bytes at p in last, as the text the next cycle is
 * compared with: 0, or -1 when they cannot be.  When they are what the
 * collector read into rd this cycle, last and rd trade their memory
 * instead of a copy (the next cycle reads into last's old memory).
 */
static int keep_text(struct buf *last, struct buf *rd,
			       const char *p, size_t len)
{
	struct buf t;

	if (p == last->p)	/* kept already, earlier this cycle */
		return len == last->len ? 0 : -1;
	if (rd && p == rd->p && len == rd->len) {
		t = *last;
		*last = *rd;
		*rd = t;
		return 0;
	}
	buf_reset(last);
	return buf_add(last, p, len);
}
void hc_last_keep(struct hc_last *l, struct buf *rd, const char *p,
		  size_t len, size_t n)
{
	size_t *t = l->at;

	/* No lines laid out, no room: nothing to compare with. */
	if (!l->next) {
		l->fresh = 1;
		return;
	}
	l->next[n] = len;
	l->at = l->next;
	l->next = t;
	l->fresh = keep_text(&l->text, rd, p, len) < 0;
}

int hc_last_read(struct hc_last *l, struct buf *rd, const char *p,
		 size_t len, size_t n,
		 size_t (*check)(size_t i, const char *s, const char *e))
{
	size_t i = 0, at = 0, k;

	while (i < n) {
		i = last_pass(l, p, len, &at, i, n);
		if (i == n)
			break;
		l->next[i] = at;
		k = check(i, p + at, p + len);
		if (k == 0)
			return -1;
		at += k;
		i++;
	}
	if (at != len)
		return -1;
	/* This file is what the next cycle is compared with. */
	hc_last_keep(l, rd, p, len, n);
	return 0;
}

void hc_last_free(struct hc_last *l)
{
	buf_free(&l->text);
	free(l->at);
	free(l->next);
	l->at = l->next = NULL;
	l->fresh = 1;
}
