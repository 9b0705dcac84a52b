/* yconf.h: YAML configuration files, loaded with libyaml into a node tree. */
#ifndef YCONF_H
#define YCONF_H

#include <stddef.h>
#include <stdint.h>

/*
 * The whole file becomes a tree of nodes, each with its line and column,
 * so every configuration error can name "FILE:LINE: KEY: reason".  Aliases
 * are resolved (an alias shares the anchored node; yconf_free frees each
 * node once).  Keys of a mapping are scalars; a duplicate key is an error,
 * as in Prometheus' strict YAML.  A plain "<<" key merges a mapping (or a
 * sequence of them) as Go's yaml.v2 does: keys written in the mapping win.
 * A file holds one document: a second one is an error, not ignored.
 * Hostile input is bounded: 16 MiB per file, 64 levels of nesting and a
 * million nodes (aliases counted).
 */
enum ynode_type { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode {
	enum ynode_type type;
	int line, col;		/* 1-based */
	const char *file;	/* name given to the loader; owned by the root */
	char *str;		/* scalar: NUL-terminated value */
	size_t len;
	int plain;		/* scalar was unquoted (so ~ and null are null) */
	struct ynode **items;	/* seq: n items; map: n keys, vals */
	struct ynode **vals;
	size_t n;
};

/* NULL after reporting "PROG: FILE:LINE: reason" on stderr. */
struct ynode *yconf_load(const char *path);
struct ynode *yconf_parse(const char *data, size_t len, const char *name);
void yconf_free(struct ynode *root);

/* 1 if the node is absent, an empty document, or a plain null/~/"". */
int ynode_is_null(const struct ynode *n);
/* Value of key in a map, or NULL (also when map is NULL or not a map). */
const struct ynode *ynode_get(const struct ynode *map, const char *key);

/* "PROG: FILE:LINE: KEY: message" on stderr; key may be NULL. */
void yconf_error(const struct ynode *at, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Fails (-1, reported) on a key of map that is not in the NULL-terminated
 * list allowed, as Prometheus rejects unknown fields; also if map is
 * neither a map nor null.
 */
int yconf_check_keys(const struct ynode *map, const char *const *allowed);

/*
 * Typed getters: 0 when found and valid (stored in *out), 1 when absent or
 * null (*out untouched, so callers preset the default), -1 when invalid
 * (reported with file, line and key).  As Go's yaml.v2 reads them: a
 * string is any scalar; a boolean is a plain true/false, yes/no, on/off or
 * y/n (any of their usual capitalisations); an integer is a plain decimal,
 * 0x hex or 0o octal number.
 */
int yconf_str(const struct ynode *map, const char *key, const char **out);
int yconf_bool(const struct ynode *map, const char *key, int *out);
int yconf_int(const struct ynode *map, const char *key, long min, long max,
	      long *out);
int yconf_duration(const struct ynode *map, const char *key, int64_t *ms);
int yconf_size(const struct ynode *map, const char *key, uint64_t *bytes);
/* A sequence (of anything); use ynode->items. */
int yconf_seq(const struct ynode *map, const char *key,
	      const struct ynode **out);
int yconf_map(const struct ynode *map, const char *key,
	      const struct ynode **out);
/* Reads a secret of at most 64 KiB from the file named by key (one
 * trailing newline trimmed; a relative name is relative to the directory
 * of the configuration file, as in Prometheus); the caller frees *out. */
int yconf_file_secret(const struct ynode *map, const char *key, char **out);

#endif
