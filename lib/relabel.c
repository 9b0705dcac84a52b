/* relabel.c: Prometheus relabel_configs, loaded from YAML and applied to label sets. */
#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "labels.h"
#include "md5.h"
#include "obs.h"
#include "relabel.h"
#include "yconf.h"
#include "banned.h"

/* Scratch buffers hold one joined value or one expansion; a label set
 * past this is refused (relabel_apply returns -1) rather than grown. */
#define RELABEL_SCRATCH_MAX (16u * 1024 * 1024)
/* Longer subjects are not remembered (see rule_match). */
#define RELABEL_MEMO_MAX 4096

enum relabel_action {
	RA_REPLACE, RA_KEEP, RA_DROP, RA_KEEPEQUAL, RA_DROPEQUAL, RA_HASHMOD,
	RA_LABELMAP, RA_LABELDROP, RA_LABELKEEP, RA_LOWERCASE, RA_UPPERCASE,
};

static const char *const action_names[] = {
	"replace", "keep", "drop", "keepequal", "dropequal", "hashmod",
	"labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase",
};

/*
 * Common regexes skip PCRE2 (as Prometheus' own fast paths do): "(.*)"
 * (the default) and ".*" match everything, and literals, alternations of
 * literals, "LIT.*", "LIT.+", ".*LIT" and ".*LIT.*" are string compares.
 * None of them has a group, so the match is group 0 alone.
 */
enum regex_fast {
	FAST_NONE, FAST_ANY_GROUP, FAST_ANY, FAST_NONEMPTY, FAST_ALT,
	FAST_PREFIX, FAST_PREFIX_PLUS, FAST_SUFFIX, FAST_CONTAINS,
};

struct span {
	size_t off, len;
};

/* A replacement template parsed once: literal runs and group numbers. */
struct tpart {
	int group;		/* -1: the literal lit[off, off+len) */
	size_t off, len;
};

struct tmpl {
	struct tpart *v;
	size_t n;
	char *lit;		/* all literal bytes; the whole result if !vars */
	size_t litlen;
	int vars;
};

struct relabel_rule {
	enum relabel_action action;
	char **src;
	size_t *srclen;
	size_t nsrc;
	char *sep;
	size_t seplen;
	char *regex;
	size_t regexlen;
	pcre2_code *re;
	int jit;
	enum regex_fast fast;
	struct span *alt;	/* FAST_ALT: the literals; others: alt[0] */
	size_t nalt;
	/* FAST_NONE: every match starts with one of these (none: no hint). */
	struct span *pre;
	size_t npre;
	/* FAST_NONE on a source value: the last subject PCRE2 saw, and its
	 * answer, as values repeat from one series to the next. */
	int memo_on, memo_valid, memo_m;
	struct buf memo;
	PCRE2_SIZE *memo_ov;
	uint32_t memo_npairs;
	/* The bytes a match can start with, unless any_first: a quick no
	 * for the names labelmap and labeldrop look at one by one. */
	int any_first;
	unsigned char first[32];
	/* Where each source label was found last time: sets of one family
	 * have the same shape. */
	size_t *srchint;
	uint32_t ngroups;
	uint64_t modulus;
	/* hashmod: series of one target mostly repeat the last value. */
	struct buf last;
	uint64_t lastmod;
	int haslast;
	char *target;
	size_t targetlen;
	char *repl;
	size_t repllen;
	struct tmpl ttarget, trepl;
	int target_ok;		/* a constant target is a valid name */
	int utf8;		/* names under RELABEL_SCHEME_UTF8 */
};

struct relabel_scratch {
	struct buf val, tgt, res, pairs;
	pcre2_match_data *md;
	uint32_t mdpairs;
};

/*
 * Go's unicode tables are matched closely enough by glibc's C.UTF-8.
 * relabel_load() opens it, so that applying rules only reads it.
 */
static locale_t
utf8_locale(void)
{
	static locale_t loc;
	static int tried;

	if (!tried) {
		tried = 1;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

/* Names and short values: word compares beat a call to memcmp. */
static inline int
bytes_eq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	uint32_t x4, y4;

	if (n > 64)
		return memcmp(a, b, n) == 0;
	for (; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
	}
	if (n >= 4) {
		memcpy(&x4, a, 4);
		memcpy(&y4, b, 4);
		if (x4 != y4)
			return 0;
		a += 4;
		b += 4;
		n -= 4;
	}
	for (; n; n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

void
relabel_init(struct relabel_rules *rs)
{
	rs->v = NULL;
	rs->n = 0;
	rs->scratch = NULL;
	rs->scheme = RELABEL_SCHEME_LEGACY;
}

void
relabel_set_scheme(struct relabel_rules *rs, enum relabel_scheme s)
{
	rs->scheme = s;
}

static void
tmpl_free(struct tmpl *t)
{
	free(t->v);
	free(t->lit);
}

static void
rule_free(struct relabel_rule *r)
{
	size_t i;

	for (i = 0; i < r->nsrc; i++)
		free(r->src[i]);
	free(r->src);
	free(r->srclen);
	free(r->srchint);
	free(r->sep);
	free(r->regex);
	free(r->alt);
	free(r->pre);
	buf_free(&r->memo);
	free(r->memo_ov);
	buf_free(&r->last);
	pcre2_code_free(r->re);
	free(r->target);
	free(r->repl);
	tmpl_free(&r->ttarget);
	tmpl_free(&r->trepl);
}

void
relabel_free(struct relabel_rules *rs)
{
	struct relabel_scratch *s = rs->scratch;
	size_t i;

	for (i = 0; i < rs->n; i++)
		rule_free(&rs->v[i]);
	free(rs->v);
	if (s) {
		buf_free(&s->val);
		buf_free(&s->tgt);
		buf_free(&s->res);
		buf_free(&s->pairs);
		pcre2_match_data_free(s->md);
		free(s);
	}
	relabel_init(rs);
}

/*
 * Decodes one UTF-8 sequence as Go's utf8.DecodeRune does: an invalid or
 * overlong sequence, a surrogate or a value past U+10FFFF is U+FFFD of
 * width 1.
 */
static uint32_t
utf8_decode(const unsigned char *s, size_t n, size_t *width)
{
	uint32_t c, min;
	size_t len, i;

	*width = 1;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2; c = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3; c = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4; c = s[0] & 0x07; min = 0x10000;
	} else {
		return 0xfffd;
	}
	if (n < len)
		return 0xfffd;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0xfffd;
	*width = len;
	return c;
}

static int
utf8_encode(struct buf *b, uint32_t c)
{
	unsigned char o[4];
	size_t n;

	if (c < 0x80) {
		o[0] = (unsigned char)c; n = 1;
	} else if (c < 0x800) {
		o[0] = (unsigned char)(0xc0 | c >> 6);
		o[1] = (unsigned char)(0x80 | (c & 0x3f)); n = 2;
	} else if (c < 0x10000) {
		o[0] = (unsigned char)(0xe0 | c >> 12);
		o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (c & 0x3f)); n = 3;
	} else {
		o[0] = (unsigned char)(0xf0 | c >> 18);
		o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		o[3] = (unsigned char)(0x80 | (c & 0x3f)); n = 4;
	}
	return buf_add(b, o, n);
}

/* Go's strings.ToLower/ToUpper: per rune, invalid bytes become U+FFFD. */
static int
case_map(struct buf *out, const char *s, size_t n, int upper)
{
	const unsigned char *p = (const unsigned char *)s;
	locale_t loc;
	size_t i, w;
	int ascii = 1;

	buf_reset(out);
	if (buf_grow(out, n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (p[i] >= 0x80) {
			ascii = 0;
			break;
		}
	if (ascii) {
		for (i = 0; i < n; i++) {
			unsigned char c = p[i];

			if (upper && c >= 'a' && c <= 'z')
				c = (unsigned char)(c - 'a' + 'A');
			else if (!upper && c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			out->p[i] = (char)c;
		}
		out->len = n;
		out->p[n] = '\0';
		return 0;
	}
	loc = utf8_locale();
	for (i = 0; i < n; i += w) {
		uint32_t c = utf8_decode(p + i, n - i, &w);

		if (loc != (locale_t)0)
			c = (uint32_t)(upper ? towupper_l((wint_t)c, loc) :
				       towlower_l((wint_t)c, loc));
		else if (c < 0x80)
			c = (uint32_t)(upper ? (c >= 'a' && c <= 'z' ? c - 32 : c) :
				       (c >= 'A' && c <= 'Z' ? c + 32 : c));
		if (utf8_encode(out, c) < 0)
			return -1;
	}
	return 0;
}

static int
is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_';
}

/* A $name or ${name} reference of relabelTarget: \$(?:\{\w+\}|\w+). */
static size_t
var_len(const char *s, size_t n)
{
	size_t i = 1;

	if (n < 2 || s[0] != '$')
		return 0;
	if (s[1] == '{') {
		for (i = 2; i < n && is_word((unsigned char)s[i]); i++)
			;
		return i > 2 && i < n && s[i] == '}' ? i + 1 : 0;
	}
	while (i < n && is_word((unsigned char)s[i]))
		i++;
	return i > 1 ? i : 0;
}

/*
 * Prometheus' relabelTarget, ^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$:
 * a label name in which $vars may stand for parts.
 */
static int
target_valid(const char *s, size_t n)
{
	size_t i = 0, v;

	if (n == 0)
		return 0;
	if (s[0] == '$') {
		if ((v = var_len(s, n)) == 0)
			return 0;
		i = v;
	} else if (!is_word((unsigned char)s[0]) || (s[0] >= '0' && s[0] <= '9')) {
		return 0;
	}
	while (i < n) {
		if (is_word((unsigned char)s[i])) {
			i++;
		} else if ((v = var_len(s + i, n - i)) != 0) {
			i += v;
		} else {
			return 0;
		}
	}
	return 1;
}

/* Go's utf8.ValidString, refusing NUL too: see enum relabel_scheme. */
static int
utf8_valid(const char *s, size_t n)
{
	size_t i = 0, w;

	while (i < n) {
		if (s[i] == '\0' || (utf8_decode((const unsigned char *)s + i,
						  n - i, &w) == 0xfffd && w == 1))
			return 0;
		i += w;
	}
	return 1;
}

/* The scheme's IsValidLabelName. */
static int
name_ok(const struct relabel_rule *r, const char *s, size_t n)
{
	return r->utf8 ? n > 0 && utf8_valid(s, n) : label_name_valid(s, n);
}

/*
 * A target_label template or labelmap replacement: under utf8 Prometheus
 * checks the template as a name ('$' is a valid UTF-8 name character).
 */
static int
tmpl_name_ok(const struct relabel_rule *r, const char *s, size_t n)
{
	return r->utf8 ? name_ok(r, s, n) : target_valid(s, n);
}

/* Letters, digits and '_' as Go's unicode.IsLetter/IsDigit see them. */
static size_t
name_char(const char *s, size_t n)
{
	size_t w;
	uint32_t c;
	locale_t loc;

	if ((unsigned char)s[0] < 0x80)
		return is_word((unsigned char)s[0]) ? 1 : 0;
	c = utf8_decode((const unsigned char *)s, n, &w);
	if (c == 0xfffd && w == 1)
		return 0;
	loc = utf8_locale();
	return loc != (locale_t)0 && iswalnum_l((wint_t)c, loc) ? w : 0;
}

static int
tmpl_add(struct tmpl *t, size_t *cap, int group, size_t off, size_t len)
{
	if (group < 0 && len == 0)
		return 0;
	if (group < 0 && t->n && t->v[t->n - 1].group < 0 &&
	    t->v[t->n - 1].off + t->v[t->n - 1].len == off) {
		t->v[t->n - 1].len += len;
		return 0;
	}
	if (t->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct tpart *nv = realloc(t->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		t->v = nv;
		*cap = ncap;
	}
	t->v[t->n].group = group;
	t->v[t->n].off = off;
	t->v[t->n].len = len;
	t->n++;
	if (group >= 0)
		t->vars = 1;
	return 0;
}

/*
 * Parses a template exactly as Go's Regexp.Expand reads it: $$ is a '$';
 * $name and ${name} take the longest run of letters, digits and '_'; a
 * number without a leading zero is a group index, anything else a group
 * name; an unknown group expands to nothing and a malformed '$' is kept.
 */
static int
tmpl_compile(struct tmpl *t, const char *s, size_t n, const pcre2_code *re,
	     uint32_t ngroups)
{
	size_t cap = 0, i = 0, litcap = n + 1;
	char name[256];

	memset(t, 0, sizeof(*t));
	t->lit = malloc(litcap);
	if (t->lit == NULL)
		return -1;
	while (i < n) {
		size_t start, end, w, j;
		int brace, num;

		if (s[i] != '$') {
			size_t run = i;

			while (run < n && s[run] != '$')
				run++;
			memcpy(t->lit + t->litlen, s + i, run - i);
			if (tmpl_add(t, &cap, -1, t->litlen, run - i) < 0)
				return -1;
			t->litlen += run - i;
			i = run;
			continue;
		}
		i++;
		if (i < n && s[i] == '$') {
			t->lit[t->litlen] = '$';
			if (tmpl_add(t, &cap, -1, t->litlen++, 1) < 0)
				return -1;
			i++;
			continue;
		}
		brace = i < n && s[i] == '{';
		start = i + (size_t)brace;
		for (end = start; end < n && (w = name_char(s + end, n - end));
		     end += w)
			;
		if (end == start || (brace && (end >= n || s[end] != '}'))) {
			t->lit[t->litlen] = '$';
			if (tmpl_add(t, &cap, -1, t->litlen++, 1) < 0)
				return -1;
			continue;
		}
		i = end + (size_t)brace;
		num = 0;
		for (j = start; j < end; j++) {
			if (s[j] < '0' || s[j] > '9' || num >= 100000000) {
				num = -1;
				break;
			}
			num = num * 10 + (s[j] - '0');
		}
		if (s[start] == '0' && end - start > 1)
			num = -1;
		if (num < 0 && re && end - start < sizeof(name)) {
			memcpy(name, s + start, end - start);
			name[end - start] = '\0';
			num = pcre2_substring_number_from_name(re,
				(PCRE2_SPTR)name);
			if (num < 0)
				continue;
		}
		if (num < 0 || (uint32_t)num > ngroups)
			continue;
		if (tmpl_add(t, &cap, num, 0, 0) < 0)
			return -1;
	}
	t->lit[t->litlen] = '\0';
	return 0;
}

static int
tmpl_expand(const struct tmpl *t, struct buf *out, const char *subj,
	    const PCRE2_SIZE *ov, uint32_t npairs)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < t->n; i++) {
		const struct tpart *p = &t->v[i];
		uint32_t g = (uint32_t)p->group;

		if (p->group < 0) {
			if (buf_add(out, t->lit + p->off, p->len) < 0)
				return -1;
		} else if (g < npairs && ov[2 * g] != PCRE2_UNSET &&
			   buf_add(out, subj + ov[2 * g],
				   ov[2 * g + 1] - ov[2 * g]) < 0) {
			return -1;
		}
	}
	return 0;
}

static int
is_literal_regex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || strchr("\\^$.|?*+()[]{}#", c))
			return 0;
	}
	return 1;
}

static int
has_prefix(const char *s, size_t n, const char *p)
{
	size_t pn = strlen(p);

	return n >= pn && memcmp(s, p, pn) == 0;
}

static int
has_suffix(const char *s, size_t n, const char *p)
{
	size_t pn = strlen(p);

	return n >= pn && memcmp(s + n - pn, p, pn) == 0;
}

/* Picks a fast path for the rule's regex; FAST_NONE leaves it to PCRE2. */
static int
classify_regex(struct relabel_rule *r)
{
	const char *s = r->regex;
	size_t n = r->regexlen, i, start, k;
	struct span sp = { 0, n };

	if (n == 4 && memcmp(s, "(.*)", 4) == 0) {
		r->fast = FAST_ANY_GROUP;
		return 0;
	}
	if (n == 2 && memcmp(s, ".*", 2) == 0) {
		r->fast = FAST_ANY;
		return 0;
	}
	if (n == 2 && memcmp(s, ".+", 2) == 0) {
		r->fast = FAST_NONEMPTY;
		return 0;
	}
	if (has_prefix(s, n, ".*") && has_suffix(s, n, ".*") && n >= 4 &&
	    is_literal_regex(s + 2, n - 4)) {
		r->fast = FAST_CONTAINS;
		sp.off = 2;
		sp.len = n - 4;
	} else if (has_suffix(s, n, ".*") && is_literal_regex(s, n - 2)) {
		r->fast = FAST_PREFIX;
		sp.len = n - 2;
	} else if (has_suffix(s, n, ".+") && is_literal_regex(s, n - 2)) {
		r->fast = FAST_PREFIX_PLUS;
		sp.len = n - 2;
	} else if (has_prefix(s, n, ".*") && is_literal_regex(s + 2, n - 2)) {
		r->fast = FAST_SUFFIX;
		sp.off = 2;
		sp.len = n - 2;
	} else {
		/* An alternation of literals, or one literal. */
		for (r->nalt = 1, i = 0; i < n; i++)
			r->nalt += s[i] == '|';
		r->alt = calloc(r->nalt, sizeof(*r->alt));
		if (r->alt == NULL)
			return -1;
		for (k = 0, start = 0, i = 0; i <= n; i++) {
			if (i < n && s[i] != '|')
				continue;
			if (!is_literal_regex(s + start, i - start)) {
				free(r->alt);
				r->alt = NULL;
				r->nalt = 0;
				return 0;
			}
			r->alt[k].off = start;
			r->alt[k++].len = i - start;
			start = i + 1;
		}
		r->fast = FAST_ALT;
		return 0;
	}
	r->alt = malloc(sizeof(*r->alt));
	if (r->alt == NULL)
		return -1;
	r->alt[0] = sp;
	r->nalt = 1;
	return 0;
}

/*
 * The literal text every match must start with, per top-level
 * alternative: "label_(.+)" gives "label_", "a.+|bc?" gives "a" and "b".
 * Only plain ASCII text counts, and a character a quantifier may remove
 * ("?", "*", "{") is left out.  Syntax that could hide a '|' or change
 * what text means ("(?", "(*", "\\Q", POSIX classes) leaves no hint, as
 * does any alternative that starts with something else.
 */
static int
find_prefixes(struct relabel_rule *r)
{
	const char *s = r->regex;
	size_t n = r->regexlen, i, start = 0, k = 0, nalt = 1;
	size_t inclass = 0;	/* in a class: where its first member is */
	int depth = 0;

	if (memmem(s, n, "(?", 2) || memmem(s, n, "(*", 2) ||
	    memmem(s, n, "\\Q", 2) || memmem(s, n, "[:", 2) ||
	    memmem(s, n, "[.", 2) || memmem(s, n, "[=", 2))
		return 0;
	for (i = 0; i < n; i++)
		nalt += s[i] == '|';
	r->pre = calloc(nalt, sizeof(*r->pre));
	if (r->pre == NULL)
		return -1;
	for (i = 0; i <= n; i++) {
		size_t j;

		if (i < n) {
			char c = s[i];

			if (c == '\\') {
				i++;
				continue;
			}
			if (inclass) {
				/* ']' first (or after a first '^') is a member */
				if (c == ']' && i != inclass &&
				    !(s[i - 1] == '^' && i - 1 == inclass))
					inclass = 0;
				continue;
			}
			if (c == '[')
				inclass = i + 1;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			if (c != '|' || depth != 0)
				continue;
		}
		if (inclass || depth != 0)
			goto none;
		for (j = start; j < i && is_literal_regex(s + j, 1); j++)
			;
		if (j < i && j > start && strchr("?*{", s[j]))
			j--;
		if (j == start)
			goto none;
		r->pre[k].off = start;
		r->pre[k++].len = j - start;
		start = i + 1;
	}
	if (start != n + 1)
		goto none;
	r->npre = k;
	return 0;
none:
	free(r->pre);
	r->pre = NULL;
	r->npre = 0;
	return 0;
}

static void
first_add(struct relabel_rule *r, const char *lit, size_t len)
{
	unsigned char c = (unsigned char)lit[0];

	if (len == 0)
		r->any_first = 1;
	else
		r->first[c >> 3] |= (unsigned char)(1u << (c & 7));
}

/* Fills first[] from what classify_regex() and find_prefixes() found. */
static void
find_first(struct relabel_rule *r)
{
	size_t i;

	r->any_first = 0;
	switch (r->fast) {
	case FAST_ALT:
		for (i = 0; i < r->nalt; i++)
			first_add(r, r->regex + r->alt[i].off, r->alt[i].len);
		break;
	case FAST_PREFIX:
	case FAST_PREFIX_PLUS:
		first_add(r, r->regex + r->alt[0].off, r->alt[0].len);
		break;
	case FAST_NONE:
		for (i = 0; i < r->npre; i++)
			first_add(r, r->regex + r->pre[i].off, r->pre[i].len);
		r->any_first |= r->npre == 0;
		break;
	default:
		r->any_first = 1;
	}
}

/* 0 if the rule's regex cannot match s[0..n), from its first byte. */
static inline int
may_match(const struct relabel_rule *r, const char *s, size_t n)
{
	unsigned char c;

	if (r->any_first)
		return 1;
	if (n == 0)
		return 0;
	c = (unsigned char)s[0];
	return (r->first[c >> 3] >> (c & 7)) & 1;
}

static int
compile_regex(struct relabel_rule *r, const struct ynode *at)
{
	uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOTALL |
		PCRE2_DOLLAR_ENDONLY | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	pcre2_compile_context *cc;
	PCRE2_SIZE erroff;
	int errcode;

	cc = pcre2_compile_context_create(NULL);
	if (cc == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/* Go's (?m) knows only \n as a line end. */
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	r->re = pcre2_compile((PCRE2_SPTR)r->regex, r->regexlen, opts,
			      &errcode, &erroff, cc);
	pcre2_compile_context_free(cc);
	if (r->re == NULL) {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", errcode);
		yconf_error(at, "regex", "invalid regex '%s' at offset %zu: %s",
			    r->regex, (size_t)erroff, (const char *)msg);
		errno = EINVAL;
		return -1;
	}
	if (pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT,
			       &r->ngroups) != 0)
		r->ngroups = 0;
	if (classify_regex(r) < 0) {
		errno = ENOMEM;
		return -1;
	}
	/* Without JIT, pcre2_match interprets: slower, still correct. */
	if (r->fast == FAST_NONE) {
		r->jit = pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE) == 0;
		r->memo_ov = calloc(2 * ((size_t)r->ngroups + 1),
				    sizeof(*r->memo_ov));
		if (r->memo_ov == NULL || find_prefixes(r) < 0) {
			errno = ENOMEM;
			return -1;
		}
	}
	find_first(r);
	return 0;
}

/*
 * Matches s against the rule's regex: 1 and *ov holding npairs offset
 * pairs (group 0 first, in fast[] for the fast paths), or 0.
 */
static int
rule_match(struct relabel_rule *r, struct relabel_scratch *sc,
	   const char *s, size_t n, const PCRE2_SIZE **ov, uint32_t *npairs,
	   PCRE2_SIZE fast[4])
{
	const struct span *a = r->alt;
	size_t i;
	int m = 0, rc;

	switch (r->fast) {
	case FAST_ANY_GROUP:
		fast[2] = 0;
		fast[3] = n;
		*npairs = 2;
		m = 1;
		break;
	case FAST_ANY:
		m = 1;
		break;
	case FAST_NONEMPTY:
		m = n > 0;
		break;
	case FAST_ALT:
		for (i = 0; i < r->nalt && !m; i++)
			m = a[i].len == n &&
				bytes_eq(s, r->regex + a[i].off, n);
		break;
	case FAST_PREFIX:
	case FAST_PREFIX_PLUS:
		m = n >= a->len + (r->fast == FAST_PREFIX_PLUS) &&
			bytes_eq(s, r->regex + a->off, a->len);
		break;
	case FAST_SUFFIX:
		m = n >= a->len &&
			bytes_eq(s + n - a->len, r->regex + a->off, a->len);
		break;
	case FAST_CONTAINS:
		m = a->len == 0 ||
			memmem(s, n, r->regex + a->off, a->len) != NULL;
		break;
	case FAST_NONE:
		goto slow;
	}
	if (m) {
		fast[0] = 0;
		fast[1] = n;
		*ov = fast;
		if (r->fast != FAST_ANY_GROUP)
			*npairs = 1;
	}
	return m;
slow:
	if (r->npre) {
		for (i = 0; i < r->npre; i++)
			if (n >= r->pre[i].len &&
			    bytes_eq(s, r->regex + r->pre[i].off, r->pre[i].len))
				break;
		if (i == r->npre)
			return 0;
	}
	if (r->memo_valid && r->memo.len == n &&
	    (n == 0 || bytes_eq(s, r->memo.p, n))) {
		*ov = r->memo_ov;
		*npairs = r->memo_npairs;
		return r->memo_m;
	}
	if (r->jit)
		rc = pcre2_jit_match(r->re, (PCRE2_SPTR)s, n, 0, 0, sc->md,
				     NULL);
	else
		rc = pcre2_match(r->re, (PCRE2_SPTR)s, n, 0, 0, sc->md, NULL);
	/* A match limit or bad UTF counts as no match: RE2 has neither. */
	m = rc >= 0;
	if (m) {
		*ov = pcre2_get_ovector_pointer(sc->md);
		*npairs = rc ? (uint32_t)rc : sc->mdpairs;
	}
	if (r->memo_on) {
		buf_reset(&r->memo);
		r->memo_valid = n <= RELABEL_MEMO_MAX &&
			buf_add(&r->memo, s, n) == 0;
		if (r->memo_valid && m) {
			r->memo_npairs = *npairs < r->ngroups + 1 ? *npairs :
				r->ngroups + 1;
			memcpy(r->memo_ov, *ov, 2 * (size_t)r->memo_npairs *
			       sizeof(*r->memo_ov));
			*ov = r->memo_ov;
			*npairs = r->memo_npairs;
		}
		r->memo_m = m;
	}
	return m;
}

/* A scalar's text, or "" for null (Go's yaml zeroes a null field). */
static int
get_text(const struct ynode *item, const char *key, char **out, size_t *len,
	 int *present)
{
	const struct ynode *v = ynode_get(item, key);
	const char *s = "";
	size_t n = 0;

	*present = v != NULL;
	if (v && !ynode_is_null(v)) {
		if (v->type != YNODE_SCALAR) {
			yconf_error(v, key, "expected a string");
			return -1;
		}
		s = v->str;
		n = v->len;
	}
	*out = malloc(n + 1);
	if (*out == NULL)
		return -1;
	memcpy(*out, s, n);
	(*out)[n] = '\0';
	*len = n;
	return 0;
}

static int
load_sources(struct relabel_rule *r, const struct ynode *item, int *present)
{
	const struct ynode *v = ynode_get(item, "source_labels");
	size_t i;

	*present = v != NULL && !ynode_is_null(v);
	if (!*present)
		return 0;
	if (v->type != YNODE_SEQ) {
		yconf_error(v, "source_labels", "expected a sequence");
		return -1;
	}
	r->src = calloc(v->n + 1, sizeof(*r->src));
	r->srclen = calloc(v->n + 1, sizeof(*r->srclen));
	r->srchint = calloc(v->n + 1, sizeof(*r->srchint));
	if (r->src == NULL || r->srclen == NULL || r->srchint == NULL)
		return -1;
	for (i = 0; i < v->n; i++) {
		const struct ynode *e = v->items[i];

		if (e->type != YNODE_SCALAR) {
			yconf_error(e, "source_labels", "expected a string");
			return -1;
		}
		if (!name_ok(r, e->str, e->len)) {
			yconf_error(e, "source_labels",
				    "\"%s\" is not a valid label name", e->str);
			return -1;
		}
		r->src[i] = strdup(e->str);
		if (r->src[i] == NULL)
			return -1;
		r->srclen[i] = e->len;
		r->nsrc++;
	}
	return 0;
}

static int
load_modulus(struct relabel_rule *r, const struct ynode *item)
{
	const struct ynode *v = ynode_get(item, "modulus");
	size_t i;

	if (ynode_is_null(v))
		return 0;
	if (v->type != YNODE_SCALAR || !v->plain || v->len == 0 ||
	    v->len > 20)
		goto bad;
	for (i = 0; i < v->len; i++)
		if (v->str[i] < '0' || v->str[i] > '9')
			goto bad;
	r->modulus = 0;
	for (i = 0; i < v->len; i++) {
		uint64_t d = (uint64_t)(v->str[i] - '0');

		if (r->modulus > (UINT64_MAX - d) / 10)
			goto bad;
		r->modulus = r->modulus * 10 + d;
	}
	return 0;
bad:
	yconf_error(v, "modulus", "expected an unsigned integer, got '%.64s'",
		    v->type == YNODE_SCALAR ? v->str : "");
	return -1;
}

static int
load_action(struct relabel_rule *r, const struct ynode *item, int *empty)
{
	const struct ynode *v = ynode_get(item, "action");
	char low[16];
	size_t i;

	*empty = 0;
	r->action = RA_REPLACE;
	if (v == NULL)
		return 0;
	if (ynode_is_null(v) || (v->type == YNODE_SCALAR && v->len == 0)) {
		*empty = 1;
		return 0;
	}
	if (v->type != YNODE_SCALAR) {
		yconf_error(v, "action", "expected a string");
		return -1;
	}
	if (v->len < sizeof(low)) {
		for (i = 0; i <= v->len; i++) {
			char c = v->str[i];

			low[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		for (i = 0; i < ARRAY_SIZE(action_names); i++)
			if (strcmp(low, action_names[i]) == 0) {
				r->action = (enum relabel_action)i;
				return 0;
			}
	}
	yconf_error(v, "action", "unknown relabel action \"%s\"", v->str);
	return -1;
}

/* Prometheus' Config.Validate, in its order and with its words. */
static int
validate(const struct relabel_rule *r, const struct ynode *item,
	 int src_present, int regex_present)
{
	enum relabel_action a = r->action;
	const char *an = action_names[a];
	int default_repl = r->repllen == 2 && memcmp(r->repl, "$1", 2) == 0;
	int default_sep = r->seplen == 1 && r->sep[0] == ';';

	if (a == RA_HASHMOD && r->modulus == 0) {
		yconf_error(item, NULL, "relabel configuration for hashmod "
			    "requires non-zero modulus");
		return -1;
	}
	if ((a == RA_REPLACE || a == RA_HASHMOD || a == RA_LOWERCASE ||
	     a == RA_UPPERCASE || a == RA_KEEPEQUAL || a == RA_DROPEQUAL) &&
	    r->targetlen == 0) {
		yconf_error(item, NULL, "relabel configuration for %s action "
			    "requires 'target_label' value", an);
		return -1;
	}
	if ((a == RA_REPLACE && !memchr(r->target, '$', r->targetlen) &&
	     !name_ok(r, r->target, r->targetlen)) ||
	    (a == RA_REPLACE && memchr(r->target, '$', r->targetlen) &&
	     !tmpl_name_ok(r, r->target, r->targetlen)) ||
	    ((a == RA_LOWERCASE || a == RA_UPPERCASE || a == RA_KEEPEQUAL ||
	      a == RA_DROPEQUAL || a == RA_HASHMOD) &&
	     !name_ok(r, r->target, r->targetlen))) {
		yconf_error(item, NULL, "\"%s\" is invalid 'target_label' for "
			    "%s action", r->target, an);
		return -1;
	}
	if ((a == RA_LOWERCASE || a == RA_UPPERCASE || a == RA_KEEPEQUAL ||
	     a == RA_DROPEQUAL) && !default_repl) {
		yconf_error(item, NULL, "'replacement' can not be set for %s "
			    "action", an);
		return -1;
	}
	if (a == RA_LABELMAP && !tmpl_name_ok(r, r->repl, r->repllen)) {
		yconf_error(item, NULL, "\"%s\" is invalid 'replacement' for "
			    "%s action", r->repl, an);
		return -1;
	}
	if ((a == RA_KEEPEQUAL || a == RA_DROPEQUAL) &&
	    (regex_present || r->modulus || !default_sep || !default_repl)) {
		yconf_error(item, NULL, "%s action requires only "
			    "'source_labels' and `target_label`, and no other "
			    "fields", an);
		return -1;
	}
	if ((a == RA_LABELDROP || a == RA_LABELKEEP) &&
	    (src_present || r->targetlen || r->modulus || !default_sep ||
	     !default_repl)) {
		yconf_error(item, NULL, "%s action requires only 'regex', and "
			    "no other fields", an);
		return -1;
	}
	return 0;
}

static const char *const rule_keys[] = {
	"source_labels", "separator", "regex", "modulus", "target_label",
	"replacement", "action", NULL,
};

/* Fills r from one relabel_configs item; -1 after reporting. */
static int
rule_load(struct relabel_rule *r, const struct ynode *item)
{
	const struct ynode *rv;
	int src_present, regex_present, present, empty_action;

	if (ynode_is_null(item)) {
		yconf_error(item, NULL, "empty or null relabeling rule");
		return -1;
	}
	if (item->type != YNODE_MAP) {
		yconf_error(item, NULL, "a relabeling rule must be a mapping");
		return -1;
	}
	if (yconf_check_keys(item, rule_keys) < 0)
		return -1;
	if (load_action(r, item, &empty_action) < 0 ||
	    load_sources(r, item, &src_present) < 0 ||
	    load_modulus(r, item) < 0)
		return -1;
	if (get_text(item, "separator", &r->sep, &r->seplen, &present) < 0)
		return -1;
	if (!present) {
		free(r->sep);
		r->sep = strdup(";");
		r->seplen = 1;
		if (r->sep == NULL)
			return -1;
	}
	if (get_text(item, "target_label", &r->target, &r->targetlen,
		     &present) < 0)
		return -1;
	if (get_text(item, "replacement", &r->repl, &r->repllen, &present) < 0)
		return -1;
	if (!present) {
		free(r->repl);
		r->repl = strdup("$1");
		r->repllen = 2;
		if (r->repl == NULL)
			return -1;
	}
	rv = ynode_get(item, "regex");
	regex_present = rv != NULL;
	if (get_text(item, "regex", &r->regex, &r->regexlen, &present) < 0)
		return -1;
	if (!regex_present) {
		free(r->regex);
		r->regex = strdup("(.*)");
		r->regexlen = 4;
		if (r->regex == NULL)
			return -1;
	}
	if (compile_regex(r, rv ? rv : item) < 0)
		return -1;
	r->memo_on = r->fast == FAST_NONE && (r->action == RA_REPLACE ||
		r->action == RA_KEEP || r->action == RA_DROP);
	if (empty_action) {
		yconf_error(item, "action", "relabel action cannot be empty");
		return -1;
	}
	if (validate(r, item, src_present, regex_present) < 0)
		return -1;
	if (tmpl_compile(&r->ttarget, r->target, r->targetlen, r->re,
			 r->ngroups) < 0 ||
	    tmpl_compile(&r->trepl, r->repl, r->repllen, r->re,
			 r->ngroups) < 0)
		return -1;
	r->target_ok = name_ok(r, r->ttarget.lit, r->ttarget.litlen);
	return 0;
}

static int
scratch_ready(struct relabel_rules *rs, uint32_t ngroups)
{
	struct relabel_scratch *s = rs->scratch;

	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return -1;
		buf_init(&s->val, RELABEL_SCRATCH_MAX);
		buf_init(&s->tgt, RELABEL_SCRATCH_MAX);
		buf_init(&s->res, RELABEL_SCRATCH_MAX);
		buf_init(&s->pairs, RELABEL_SCRATCH_MAX);
		rs->scratch = s;
	}
	if (s->md == NULL || s->mdpairs < ngroups + 1) {
		pcre2_match_data *md = pcre2_match_data_create(ngroups + 1,
							       NULL);

		if (md == NULL)
			return -1;
		pcre2_match_data_free(s->md);
		s->md = md;
		s->mdpairs = ngroups + 1;
	}
	return 0;
}

int
relabel_load(struct relabel_rules *rs, const struct ynode *seq)
{
	struct relabel_rule *nv;
	size_t i;

	(void)utf8_locale();
	if (ynode_is_null(seq))
		return scratch_ready(rs, 0) < 0 ? -1 : 0;
	if (seq->type != YNODE_SEQ) {
		yconf_error(seq, NULL, "relabel_configs must be a sequence");
		return -1;
	}
	nv = realloc(rs->v, (rs->n + seq->n + 1) * sizeof(*nv));
	if (nv == NULL)
		goto nomem;
	rs->v = nv;
	for (i = 0; i < seq->n; i++) {
		struct relabel_rule *r = &rs->v[rs->n];

		memset(r, 0, sizeof(*r));
		r->utf8 = rs->scheme == RELABEL_SCHEME_UTF8;
		buf_init(&r->last, RELABEL_SCRATCH_MAX);
		buf_init(&r->memo, RELABEL_MEMO_MAX);
		errno = 0;
		if (rule_load(r, seq->items[i]) < 0) {
			int e = errno;

			rule_free(r);
			if (e == ENOMEM)
				goto nomem;
			return -1;
		}
		rs->n++;
		if (scratch_ready(rs, r->ngroups) < 0)
			goto nomem;
	}
	return scratch_ready(rs, 0) < 0 ? -1 : 0;
nomem:
	yconf_error(seq, NULL, "relabel_configs: out of memory");
	return -1;
}

/*
 * Like labels_get, with the length known.  Series have few labels, and
 * most names differ in length: a scan that compares lengths first beats
 * a binary search of string compares.
 */
static long
index_of(const struct labels *ls, const char *name, size_t nlen)
{
	long i = -1;
	size_t j;

	if (ls->n <= 32) {
		for (j = 0; j < ls->n; j++) {
			const char *ln = ls->arena.p + ls->v[j].name;

			if (ls->v[j].nlen == nlen && bytes_eq(ln, name, nlen)) {
				i = (long)j;
				break;
			}
		}
	} else {
		i = labels_find(ls, name, nlen);
	}
	return i;
}

static const char *
value_of(const struct labels *ls, const char *name, size_t nlen, size_t *vlen)
{
	long i = index_of(ls, name, nlen);

	if (i < 0) {
		*vlen = 0;
		return NULL;
	}
	*vlen = ls->v[i].vlen;
	return labels_value(ls, (size_t)i);
}

/* value_of(), trying the index where the name was last time first. */
static const char *
value_hint(const struct labels *ls, const char *name, size_t nlen,
	   size_t *hint, size_t *vlen)
{
	size_t h = *hint;
	long i;

	if (!(h < ls->n && ls->v[h].nlen == nlen &&
	      bytes_eq(ls->arena.p + ls->v[h].name, name, nlen))) {
		i = index_of(ls, name, nlen);
		if (i < 0) {
			*vlen = 0;
			return NULL;
		}
		*hint = h = (size_t)i;
	}
	*vlen = ls->v[h].vlen;
	return labels_value(ls, h);
}

/* The source values joined by the separator; points into ls if one. */
static int
join_sources(const struct relabel_rule *r, struct relabel_scratch *sc,
	     const struct labels *ls, const char **val, size_t *vlen)
{
	size_t i, n;
	const char *v;

	if (r->nsrc == 1) {
		v = value_hint(ls, r->src[0], r->srclen[0], &r->srchint[0], &n);
		*val = v ? v : "";
		*vlen = n;
		return 0;
	}
	buf_reset(&sc->val);
	for (i = 0; i < r->nsrc; i++) {
		if (i && buf_add(&sc->val, r->sep, r->seplen) < 0)
			return -1;
		v = value_hint(ls, r->src[i], r->srclen[i], &r->srchint[i], &n);
		if (v && buf_add(&sc->val, v, n) < 0)
			return -1;
	}
	*val = buf_cstr(&sc->val);
	*vlen = sc->val.len;
	return 0;
}

static int
apply_replace(struct relabel_rule *r, struct relabel_scratch *sc,
	      struct labels *ls, const char *val, size_t vlen)
{
	const PCRE2_SIZE *ov;
	PCRE2_SIZE fast[4];
	uint32_t npairs;
	const char *tgt, *res = r->trepl.lit;
	size_t tlen, rlen = r->trepl.litlen;

	if (rule_match(r, sc, val, vlen, &ov, &npairs, fast) != 1)
		return 0;
	if (r->ttarget.vars) {
		if (tmpl_expand(&r->ttarget, &sc->tgt, val, ov, npairs) < 0)
			return -1;
		tgt = buf_cstr(&sc->tgt);
		tlen = sc->tgt.len;
		/* A $var may expand to nothing or to an invalid name. */
		if (!name_ok(r, tgt, tlen))
			return 0;
	} else {
		/* Checked at load, but "${9}" with no group 9 is "". */
		tgt = r->ttarget.lit;
		tlen = r->ttarget.litlen;
		if (!r->target_ok)
			return 0;
	}
	if (r->trepl.vars) {
		if (tmpl_expand(&r->trepl, &sc->res, val, ov, npairs) < 0)
			return -1;
		res = buf_cstr(&sc->res);
		rlen = sc->res.len;
	}
	/* An empty value deletes the label. */
	return labels_set(ls, tgt, tlen, res, rlen);
}

static int
apply_hashmod(struct relabel_rule *r, struct labels *ls, const char *val,
	      size_t vlen)
{
	unsigned char d[MD5_DIGEST_LEN];
	char num[24], *p = num + sizeof(num);
	uint64_t h = 0, mod;
	int i;

	if (r->haslast && r->last.len == vlen &&
	    (vlen == 0 || memcmp(r->last.p, val, vlen) == 0)) {
		mod = r->lastmod;
	} else {
		md5_sum(val, vlen, d);
		/* The last 8 bytes big-endian, as Prometheus has always
		 * done. */
		for (i = 8; i < 16; i++)
			h = h << 8 | d[i];
		mod = h % r->modulus;
		buf_reset(&r->last);
		r->haslast = buf_add(&r->last, val, vlen) == 0;
		r->lastmod = mod;
	}
	do {
		*--p = (char)('0' + mod % 10);
		mod /= 10;
	} while (mod);
	return labels_set(ls, r->target, r->targetlen, p,
			  (size_t)(num + sizeof(num) - p));
}

/*
 * labelmap reads the set as it was before the rule (as Prometheus ranges
 * over the old set): new names and values are collected first, then set.
 * A result that is not a valid label name is skipped.
 */
static int
apply_labelmap(struct relabel_rule *r, struct relabel_scratch *sc,
	       struct labels *ls)
{
	const PCRE2_SIZE *ov;
	PCRE2_SIZE fast[4];
	uint32_t npairs;
	size_t i, off, cnt = 0;

	buf_reset(&sc->pairs);
	for (i = 0; i < ls->n; i++) {
		const char *name = labels_name(ls, i);
		size_t nlen = ls->v[i].nlen, vlen = ls->v[i].vlen;
		size_t hdr[2];

		if (!may_match(r, name, nlen) ||
		    rule_match(r, sc, name, nlen, &ov, &npairs, fast) != 1)
			continue;
		if (tmpl_expand(&r->trepl, &sc->res, name, ov, npairs) < 0)
			return -1;
		if (!name_ok(r, sc->res.p ? sc->res.p : "", sc->res.len))
			continue;
		hdr[0] = sc->res.len;
		hdr[1] = vlen;
		if (buf_add(&sc->pairs, hdr, sizeof(hdr)) < 0 ||
		    buf_add(&sc->pairs, sc->res.p, sc->res.len) < 0 ||
		    buf_add(&sc->pairs, labels_value(ls, i), vlen) < 0)
			return -1;
		cnt++;
	}
	for (off = 0; cnt; cnt--) {
		size_t hdr[2];
		const char *p;

		memcpy(hdr, sc->pairs.p + off, sizeof(hdr));
		p = sc->pairs.p + off + sizeof(hdr);
		if (labels_set(ls, p, hdr[0], p + hdr[0], hdr[1]) < 0)
			return -1;
		off += sizeof(hdr) + hdr[0] + hdr[1];
	}
	return 0;
}

/* labeldrop and labelkeep: the set stays sorted as it only shrinks. */
static void
apply_labelfilter(struct relabel_rule *r, struct relabel_scratch *sc,
		  struct labels *ls, int keep)
{
	const PCRE2_SIZE *ov;
	PCRE2_SIZE fast[4];
	uint32_t npairs;
	size_t i, j = 0;

	for (i = 0; i < ls->n; i++) {
		const char *name = labels_name(ls, i);
		size_t nlen = ls->v[i].nlen;
		int m = may_match(r, name, nlen) &&
			rule_match(r, sc, name, nlen, &ov, &npairs, fast) == 1;

		if (m == keep)
			ls->v[j++] = ls->v[i];
	}
	ls->n = j;
}

/* 1 to go on, 0 when the rule drops the set, -1 on ENOMEM. */
static int
rule_apply(struct relabel_rule *r, struct relabel_scratch *sc,
	   struct labels *ls)
{
	const PCRE2_SIZE *ov;
	PCRE2_SIZE fast[4];
	uint32_t npairs;
	const char *val, *tv;
	size_t vlen, tlen;

	if (join_sources(r, sc, ls, &val, &vlen) < 0)
		return -1;
	switch (r->action) {
	case RA_DROP:
		return rule_match(r, sc, val, vlen, &ov, &npairs, fast) != 1;
	case RA_KEEP:
		return rule_match(r, sc, val, vlen, &ov, &npairs, fast) == 1;
	case RA_DROPEQUAL:
	case RA_KEEPEQUAL:
		tv = value_of(ls, r->target, r->targetlen, &tlen);
		if ((tlen == vlen && (vlen == 0 || bytes_eq(tv, val, vlen))) ==
		    (r->action == RA_DROPEQUAL))
			return 0;
		return 1;
	case RA_REPLACE:
		return apply_replace(r, sc, ls, val, vlen) < 0 ? -1 : 1;
	case RA_LOWERCASE:
	case RA_UPPERCASE:
		if (case_map(&sc->res, val, vlen, r->action == RA_UPPERCASE) < 0)
			return -1;
		return labels_set(ls, r->target, r->targetlen,
				  buf_cstr(&sc->res), sc->res.len) < 0 ? -1 : 1;
	case RA_HASHMOD:
		return apply_hashmod(r, ls, val, vlen) < 0 ? -1 : 1;
	case RA_LABELMAP:
		return apply_labelmap(r, sc, ls) < 0 ? -1 : 1;
	case RA_LABELDROP:
	case RA_LABELKEEP:
		apply_labelfilter(r, sc, ls, r->action == RA_LABELKEEP);
		return 1;
	}
	return 1;
}

int
relabel_apply(struct relabel_rules *rs, struct labels *ls)
{
	size_t i;
	int rc;

	for (i = 0; i < rs->n; i++) {
		rc = rule_apply(&rs->v[i], rs->scratch, ls);
		if (rc <= 0)
			return rc;
	}
	return 1;
}
