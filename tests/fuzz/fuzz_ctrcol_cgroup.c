/* fuzz_ctrcol_cgroup.c: libFuzzer harness for ctrcol's cgroup and /proc file parsers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The parsers are pure buffer functions in one file of ctrcol. */
#include "../../src/ctrcol/cgparse.c"

#include "banned.h"

/*
 * Each parser gets the same bytes in a buffer of exactly that size (so
 * ASan sees any read past the end); what they store must stay in bounds.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctr_stats s;
	char *p = malloc(size ? size : 1);
	uint64_t v, first, period;
	int64_t i, quota;
	size_t n;
	int nz;

	if (!p)
		return 0;
	memcpy(p, data, size);
	ctr_stats_clear(&s);
	(void)cg_kv(p, size, "total_inactive_file", &v);
	(void)cg_kv(p, size, "usage_usec", &v);
	(void)cg_u64(p, size, &v);
	(void)cg_i64(p, size, &i);
	(void)cg_cpu_max(p, size, &quota, &period);
	(void)cg_count_lines(p, size, &n, &first);
	(void)cg_blkio(p, size, 0, &s, &nz);
	(void)cg_blkio(p, size, 1, &s, &nz);
	if (s.nio > CTR_MAX_DEVS)
		abort();
	(void)cg_iostat(p, size, &s);
	if (s.nio > CTR_MAX_DEVS)
		abort();
	(void)cg_netdev(p, size, &s);
	if (s.nnet > CTR_MAX_IFACES)
		abort();
	for (n = 0; n < s.nnet; n++)
		if (strlen(s.net[n].name) >= CTR_IFNAME_MAX)
			abort();
	free(p);
	return 0;
}
