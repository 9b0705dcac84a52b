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
 * Label names follow Prometheus 2.x legacy naming ([a-zA-Z_][a-zA-Z0-9_]*,
 * Debian ships 2.42): source_labels and target_label are checked at load,
 * and a replace or labelmap whose expanded name is not valid does nothing.
 * Regexes are PCRE2 rather than RE2: every RE2 pattern Prometheus accepts
 * means the same, but PCRE-only syntax (backreferences, lookaround) is not
 * refused.  When PCRE2 runs (common patterns such as "(.*)", "foo.*" or
 * "a|b" are plain string compares), a value that is not valid UTF-8 or a
 * match that hits PCRE2's backtracking limit is no match; Go would read
 * bad bytes as U+FFFD, but Prometheus refuses such values on ingestion.
 */
struct relabel_rule;

struct relabel_rules {
	struct relabel_rule *v;
	size_t n;
	void *scratch;
};

void relabel_init(struct relabel_rules *rs);
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
