/* fuzz_yconf.c: libFuzzer harness for the YAML loader, its getters and relabel_load. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"
#include "log.h"
#include "relabel.h"
#include "yconf.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aliases make the tree a DAG: the walk is bounded by visits, not depth. */
static void
walk(const struct ynode *n, int depth, size_t *budget)
{
	size_t i;

	if (n == NULL || depth > 80 || *budget == 0)
		return;
	(*budget)--;
	if (n->type == YNODE_SCALAR) {
		/* Every scalar is NUL-terminated at len. */
		if (n->str[n->len] != '\0')
			abort();
		return;
	}
	for (i = 0; i < n->n; i++) {
		if (n->type == YNODE_MAP) {
			if (n->items[i]->type != YNODE_SCALAR)
				abort();
			walk(n->vals[i], depth + 1, budget);
		} else {
			walk(n->items[i], depth + 1, budget);
		}
	}
}

static void
getters(const struct ynode *root)
{
	static const char *const keys[] = { "a", "name", NULL };
	const struct ynode *node;
	const char *s;
	int64_t ms;
	uint64_t sz;
	long l;
	int b;

	(void)yconf_str(root, "a", &s);
	(void)yconf_bool(root, "a", &b);
	(void)yconf_int(root, "a", -1000, 1000, &l);
	(void)yconf_duration(root, "a", &ms);
	(void)yconf_size(root, "a", &sz);
	(void)yconf_seq(root, "a", &node);
	(void)yconf_map(root, "a", &node);
	(void)yconf_check_keys(root, keys);
	(void)ynode_is_null(ynode_get(root, "a"));
}

static void
relabel(const struct ynode *root)
{
	struct relabel_rules rs;
	struct labels ls;

	relabel_init(&rs);
	labels_init(&ls);
	if (relabel_load(&rs, ynode_get(root, "relabel_configs")) == 0 &&
	    labels_set(&ls, "__name__", 8, "up", 2) == 0 &&
	    labels_set(&ls, "a", 1, "foo\nbar", 7) == 0 &&
	    labels_set(&ls, "job", 3, "node", 4) == 0)
		(void)relabel_apply(&rs, &ls);
	labels_free(&ls);
	relabel_free(&rs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ynode *root;
	size_t budget = 100000;

	log_init("fuzz_yconf");
	root = yconf_parse((const char *)data, size, "fuzz.yml");
	if (root == NULL)
		return 0;
	walk(root, 0, &budget);
	getters(root);
	relabel(root);
	yconf_free(root);
	return 0;
}
