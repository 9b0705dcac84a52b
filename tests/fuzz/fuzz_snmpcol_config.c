/* fuzz_snmpcol_config.c: libFuzzer harness for snmpcol's snmp.yml loader (both layouts). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/snmpcol/config.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The invariants of a loaded config: what sc_render relies on. */
static void
check(const struct sc_config *c)
{
	size_t i, j, k;

	for (i = 0; i < c->nmodules; i++) {
		const struct sc_module *m = c->modules[i];

		for (j = 0; j < m->nmetrics; j++) {
			const struct sc_metric *mt = &m->metrics[j];

			if (mt->oid.n == 0 || mt->name == NULL || mt->type == NULL)
				abort();
			/* sorted by OID, one metric per OID */
			if (j > 0 && sc_oid_cmp(m->metrics[j - 1].oid.v,
			    m->metrics[j - 1].oid.n, mt->oid.v, mt->oid.n) >= 0)
				abort();
			for (k = 0; k < mt->enums.n; k++)
				if (k > 0 && mt->enums.keys[k - 1] >= mt->enums.keys[k])
					abort();
			for (k = 0; k < mt->nlookups; k++)
				if (mt->lookups[k].nlabels > 0 && mt->lookups[k].oid.n == 0)
					abort();
		}
		if (m->has_auth && (m->auth.version < 1 || m->auth.version > 3))
			abort();
	}
	for (i = 0; i < c->nauths; i++)
		if (c->auths[i]->version < 1 || c->auths[i]->version > 3)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_config c;

	sc_config_init(&c);
	if (sc_config_parse(&c, (const char *)data, size, "fuzz.yml") == 0)
		check(&c);
	sc_config_free(&c);
	return 0;
}
