/* fuzz_ctrcol_docker.c: libFuzzer harness for ctrcol's Docker Engine API answer parsers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The parsers are pure buffer functions in one file of ctrcol. */
#include "../../src/ctrcol/dockjson.c"

#include "banned.h"

static int count_id(const char *id, void *arg)
{
	if (!docker_is_id(id, strlen(id)))
		abort();
	(*(size_t *)arg)++;
	return 0;
}

/*
 * The same bytes as a /containers/json list, an inspect answer and a
 * time; whatever is accepted must hold what the header promises: a 64-hex
 * Id, owned strings, labels in pairs.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_doc doc;
	struct dmeta m;
	size_t n = 0, i;
	int64_t t;
	char *p = malloc(size ? size : 1);

	if (!p)
		return 0;
	memcpy(p, data, size);
	(void)docker_parse_list(&doc, p, size, count_id, &n);
	if (docker_parse_inspect(&doc, p, size, &m) == 0) {
		if (!docker_is_id(m.id, strlen(m.id)))
			abort();
		for (i = 0; i < 2 * m.nlabels; i++)
			if (!m.labels[i])
				abort();
		if (m.name && m.name[0] == '/')
			abort();
		dmeta_free(&m);
	}
	(void)docker_parse_time(p, size, &t);
	free(p);
	return 0;
}
