/* snmpcol.h: snmp_exporter's snmp.yml in memory, values rendered, and the SNMP client. */
#ifndef SNMPCOL_H
#define SNMPCOL_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "labels.h"
#include "yconf.h"

/* An OID as numbers; text keeps the spelling of the file for messages. */
struct sc_oid {
	uint32_t *v;
	size_t n;
	const char *text;
};

/* enum_values: a map from integers to names, sorted by key. */
struct sc_enum {
	int64_t *keys;
	const char **names;
	size_t n;
};

struct sc_index {
	const char *labelname;
	const char *type;
	long fixed_size;
	int implied;
	struct sc_enum enums;
};

struct sc_lookup {
	const char **labels;
	size_t nlabels;
	const char *labelname;
	struct sc_oid oid;
	const char *type;
	const char *display_hint;	/* "" when none */
	struct sc_enum enums;
};

struct sc_regex {
	const char *value;	/* the template, "$1" by default */
	pcre2_code *re;		/* the pattern anchored as ^(?:RE)$ */
};

/* One key of regex_extracts: the name suffix and its regexes in order. */
struct sc_extract {
	const char *suffix;
	struct sc_regex *v;
	size_t n;
};

struct sc_metric {
	const char *name;
	const char *help;
	const char *type;
	const char *datetime_pattern;
	const char *display_hint;	/* "" when none */
	struct sc_oid oid;
	struct sc_index *indexes;
	size_t nindexes;
	struct sc_lookup *lookups;
	size_t nlookups;
	struct sc_extract *extracts;	/* sorted by suffix */
	size_t nextracts;
	struct sc_enum enums;
	double offset, scale;
	size_t seq;		/* place in the file */
};

/* An auth of auths:, or the auth settings of an older-layout module. */
struct sc_auth {
	const char *name;
	int version;		/* 1, 2 or 3 */
	const char *community;
	const char *security_level;
	const char *username;
	const char *password;
	const char *auth_protocol;
	const char *priv_protocol;
	const char *priv_password;
	const char *context_name;
	const struct ynode *node;	/* for messages */
	int expanded;
};

/* A dynamic filter of filters: the indexes whose value at oid matches
 * one of values (unanchored) are the only ones of targets fetched. */
struct sc_filter {
	struct sc_oid oid;
	const char **targets;	/* OIDs as the file spells them */
	size_t ntargets;
	pcre2_code **values;
	size_t nvalues;
};

struct sc_module {
	const char *name;
	struct sc_oid *walk;
	size_t nwalk;
	struct sc_oid *get;
	size_t nget;
	struct sc_metric *metrics;	/* sorted by OID */
	size_t nmetrics;
	struct sc_filter *filters;
	size_t nfilters;
	long max_repetitions;
	long retries;
	int64_t timeout_ms;
	int allow_nonincreasing;
	int unconnected_udp;
	int has_auth;		/* older layout: the module's own auth */
	struct sc_auth auth;
};

/*
 * One or more snmp.yml files merged as snmp_exporter merges them: a later
 * module or auth of the same name replaces an earlier one.  Strings point
 * into the YAML trees or into allocations the config owns.
 */
struct sc_config {
	struct ynode **roots;
	size_t nroots;
	struct sc_auth **auths;
	size_t nauths;
	struct sc_module **modules;
	size_t nmodules;
	void **allocs;
	size_t nallocs, capallocs;
	pcre2_code **regexes;
	size_t nregexes;
	int expand_env;		/* ${VAR} in username, passwords, community */
};

void sc_config_init(struct sc_config *c);
/* Adds one file's text (name for messages); 0, or -1 after reporting
 * "FILE:LINE: KEY: reason" on stderr. */
int sc_config_parse(struct sc_config *c, const char *data, size_t len,
		    const char *name);
int sc_config_load(struct sc_config *c, const char *path);
void sc_config_free(struct sc_config *c);
struct sc_module *sc_module_find(const struct sc_config *c, const char *name);
struct sc_auth *sc_auth_find(const struct sc_config *c, const char *name);
/* With expand_env, replaces ${VAR} in community, username, password and
 * priv_password of a (once), as snmp_exporter's
 * --config.expand-environment-variables does at load; only the auths in
 * use are expanded, so an example auth needs no variables.  -1 after
 * reporting a missing variable with file and line. */
int sc_auth_expand(struct sc_config *c, struct sc_auth *a);
/* Parses "1.3.6.1" (a leading dot allowed) into v; -1 if not an OID. */
int sc_oid_parse(const char *s, uint32_t **v, size_t *n);
int sc_oid_cmp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

/* The end of a $name of a template or variable: [A-Za-z0-9_]*. */
static inline const char *
sc_name_end(const char *p)
{
	while (*p == '_' || (*p >= '0' && *p <= '9') ||
	    ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
		p++;
	return p;
}

/* --- values and rendering (render.c): pure functions on buffers ---------- */

enum sc_vkind {
	SV_NULL, SV_INT, SV_UINT, SV_COUNTER64, SV_OCTETS, SV_IPADDR, SV_OID,
	SV_FLOAT, SV_DOUBLE,
};

/* A variable as gosnmp decodes it; s holds octets or the 4 (or 16)
 * address bytes; oid the value of an OBJECT IDENTIFIER. */
struct sc_value {
	enum sc_vkind kind;
	int64_t i;
	uint64_t u;
	double f;
	unsigned char *s;
	size_t slen;
	uint32_t *oid;
	size_t oidlen;
};

struct sc_pdu {
	uint32_t *name;
	size_t nlen;
	size_t seq;		/* arrival order */
	struct sc_value v;
};

/* The PDUs of one scrape; sc_pdus_index() sorts them by OID and keeps the
 * last of duplicates, as snmp_exporter's map does. */
struct sc_pdus {
	struct sc_pdu *v;
	size_t n, cap;
	size_t returned;	/* PDUs received, duplicates included */
};

int sc_pdus_add(struct sc_pdus *p, const uint32_t *name, size_t nlen,
		const struct sc_value *v);
void sc_pdus_index(struct sc_pdus *p);
void sc_pdus_reset(struct sc_pdus *p);
void sc_pdus_free(struct sc_pdus *p);

/* One output series; name and help point into the arena only after
 * sc_samples_sort() (the arena moves while it grows). */
struct sc_sample {
	const char *name;
	const char *help;
	size_t name_off, help_off;
	int counter;
	struct labels ls;	/* without __name__ */
	double value;
};

struct sc_samples {
	struct sc_sample *v;
	size_t n, cap;
	struct buf arena;	/* names and help texts */
};

void sc_samples_free(struct sc_samples *s);
int sc_samples_add(struct sc_samples *s, const char *name, size_t nlen,
		   const char *help, const char *suffix, int counter,
		   const struct labels *ls, double value);
/* Sorts as client_golang gathers (family name, then label values) and
 * drops duplicate series (the first stays). */
void sc_samples_sort(struct sc_samples *s);

/* sc_render() flags. */
#define SC_NO_WRAP 1	/* Counter64 as is: snmp_exporter's
			 * --no-snmp.wrap-large-counters */

/*
 * Turns the indexed PDUs of a module into samples as snmp_exporter's
 * collector does; returns -1 only on ENOMEM.
 */
int sc_render(const struct sc_module *m, const struct sc_pdus *p, int flags,
	      struct sc_samples *out);
/* pduValueAsString: v as text for type (a metric or lookup type), with
 * the DISPLAY-HINT hint (NULL or "" for none) where snmp_exporter
 * applies one: octets of type "" or OctetString. */
int sc_value_string(struct buf *out, const struct sc_value *v,
		    const char *type);
int sc_value_string_hint(struct buf *out, const struct sc_value *v,
			 const char *type, const char *hint);
/* RFC 2579 DISPLAY-HINT hint applied to data as snmp_exporter's
 * applyDisplayHint: 1 with the text appended to out, 0 when the hint
 * does not parse or apply (out unchanged), -1 on ENOMEM. */
int sc_display_hint(struct buf *out, const char *hint,
		    const unsigned char *data, size_t n);
/* getPduValue: the numeric value; a Counter64 modulo 2^53 (so it keeps
 * all its digits in a double) unless flags has SC_NO_WRAP. */
double sc_value_number(const struct sc_value *v, int flags);
/* Go's strconv.FormatFloat(v, 'f', -1, bits) with bits 32 or 64. */
int sc_format_float_f(struct buf *out, double v, int bits);
/* Go's strings.ToValidUTF8(s, "\uFFFD"), and NUL (which no label of the
 * line format can hold) replaced the same way. */
int sc_valid_utf8(struct buf *out, const char *s, size_t n);

/* --- the SNMP client (snmp.c) -------------------------------------------- */

struct sc_scrape {
	struct sc_pdus pdus;
	unsigned long packets, retries;
	int answered;		/* the agent answered a request */
	char err[256];
};

/* Subtrees the walks of a scrape leave out (sorted, none inside
 * another): the lookup columns a cache holds. */
struct sc_skip {
	struct sc_oid *v;
	size_t n;
};

/* Once per process, before any session. */
void sc_snmp_init(void);
/* 0 if this build of net-snmp has the protocols of a, else -1 with key
 * set to the snmp.yml key at fault (auth_protocol or priv_protocol). */
int sc_snmp_auth_check(const struct sc_auth *a, const char **key);
/* Gets and walks module m on target with auth a, the walks leaving out
 * the subtrees of skip (NULL for none); 0, or -1 with err. */
int sc_snmp_scrape(const char *target, const struct sc_auth *a,
		   const struct sc_module *m, const struct sc_skip *skip,
		   struct sc_scrape *s);

/* --- the lookup cache (cache.c) ------------------------------------------ */

/*
 * The lookup columns of one module on one target (lookups whose OID a
 * walk of the module covers; none for a module with filters), kept from
 * the last full scrape so the next scrapes leave them out of their walks
 * until the refresh interval has passed.
 */
struct sc_cache {
	struct sc_skip cols;
	struct sc_pdus pdus;
	int64_t filled_ms;	/* monotonic, when the PDUs were walked */
	int filled;
};

int sc_cache_init(struct sc_cache *c, const struct sc_module *m);
void sc_cache_free(struct sc_cache *c);
/* What a scrape at now leaves out of its walks: NULL when the cache is
 * empty, older than ttl_ms, or has no columns (walk everything). */
const struct sc_skip *sc_cache_skip(const struct sc_cache *c, int64_t now,
				    int64_t ttl_ms);
/* Keeps the PDUs of p in the columns, from a scrape that walked them at
 * now; -1 on ENOMEM (the cache is then empty). */
int sc_cache_fill(struct sc_cache *c, const struct sc_pdus *p, int64_t now);
/* Adds the kept PDUs to p (a scrape that left them out), its count of
 * PDUs returned unchanged; -1 on ENOMEM. */
int sc_cache_apply(const struct sc_cache *c, struct sc_pdus *p);

#endif
