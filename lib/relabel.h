/* relabel.h: Prometheus relabel_configs on label sets (PCRE2). */
#ifndef RELABEL_H
#define RELABEL_H

#include <stddef.h>

#include "labels.h"
#include "yconf.h"

/*
 * Exactly Prometheus' relabeling: actions replace, keep, drop, keepequal,
 * dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase;
 * defaults separator ";", regex "(.*)", replacement "$1", action replace;
 * regexes fully anchored with '.' matching newlines (^(?s:RE)$), compiled
 * once by relabel_load().  A set of rules carries scratch space, so use one
 * per thread.
 *
 * Label names are checked under a validation scheme (relabel_set_scheme),
 * legacy by default: source_labels and target_label are checked at load,
 * and a replace or labelmap whose expanded name is not valid does nothing.
 * Regexes are PCRE2 rather than RE2: every RE2 pattern Prometheus accepts
 * means the same, but PCRE-only syntax (backreferences, lookaround) is not
 * refused.  When PCRE2 runs (common patterns such as "(.*)", "foo.*" or
 * "a|b" are plain string compares), a value that is not valid UTF-8 or a
 * match that hits PCRE2's backtracking limit is no match; Go would read
 * bad bytes as U+FFFD, but Prometheus refuses such values on ingestion.
 */
struct relabel_rule;

/*
 * Prometheus' metric_name_validation_scheme.  LEGACY is 2.x naming,
 * [a-zA-Z_][a-zA-Z0-9_]* (Debian ships 2.42, which refuses other names);
 * UTF8 is Prometheus 3's default: any non-empty valid UTF-8 without NUL
 * (Go would take NUL, our line format cannot carry it).
 */
enum relabel_scheme {
	RELABEL_SCHEME_LEGACY,
	RELABEL_SCHEME_UTF8
};

struct relabel_rules {
	struct relabel_rule *v;
	size_t n;
	void *scratch;
	enum relabel_scheme scheme;
};

/* Empty rules under the legacy scheme; relabel_free() does it again. */
void relabel_init(struct relabel_rules *rs);
/*
 * Sets the scheme for the rules relabel_load() appends from now on: it
 * decides which names their config may use and which expanded target
 * names they may set.  Rules already loaded keep the scheme they had.
 */
void relabel_set_scheme(struct relabel_rules *rs, enum relabel_scheme s);
/*
 * Appends the rules of a relabel_configs sequence (null is no rules).
 * Errors (unknown key or action, bad regex, missing target_label, ...)
 * are reported with file, line and key; returns -1 then.
 */
int relabel_load(struct relabel_rules *rs, const struct ynode *seq);
/*
 * Applies the rules in order to a sorted set.  Returns 1 to keep the set,
 * 0 when a rule dropped it, -1 on ENOMEM.
 */
int relabel_apply(struct relabel_rules *rs, struct labels *ls);
void relabel_free(struct relabel_rules *rs);

#endif
