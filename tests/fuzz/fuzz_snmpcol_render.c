/* fuzz_snmpcol_render.c: libFuzzer harness for snmpcol's rendering of SNMP variables into series. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/snmpcol/cache.c"
#include "../../src/snmpcol/config.c"
#include "../../src/snmpcol/render.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One metric of each kind, with every index type and lookups that chain
 * and refer to each other; under 1.1 to 1.16. */
static const char module_yml[] =
"modules:\n"
"  m:\n"
"    walk: [1]\n"
"    metrics:\n"
"    - {name: c, oid: 1.1, type: counter, help: c, indexes: [{labelname: i, type: gauge}],\n"
"       lookups: [{labels: [i], labelname: d, oid: 1.2, type: DisplayString},\n"
"                 {labels: [i], labelname: g, oid: 1.5, display_hint: '*1d./1d'},\n"
"                 {labels: [d], labelname: e, oid: 1.3, type: InetAddress},\n"
"                 {labels: [], labelname: i}]}\n"
"    - {name: d, oid: 1.2, type: DisplayString, help: d, indexes: [{labelname: i, type: Integer32}]}\n"
"    - {name: e, oid: 1.3, type: InetAddress, help: e, indexes: [{labelname: i, type: InetAddress},\n"
"       {labelname: j, type: InetAddressMissingSize}]}\n"
"    - {name: f, oid: 1.4, type: PhysAddress48, help: f, indexes: [{labelname: p, type: PhysAddress48}]}\n"
"    - {name: g, oid: 1.5, type: OctetString, help: g, display_hint: '1x:', indexes: [{labelname: o, type: OctetString},\n"
"       {labelname: q, type: DisplayString, implied: true}]}\n"
"    - {name: h, oid: 1.6, type: EnumAsInfo, help: h, enum_values: {1: up, 2: down, -3: odd},\n"
"       indexes: [{labelname: x, type: EnumAsInfo, enum_values: {1: one}}]}\n"
"    - {name: k, oid: 1.7, type: EnumAsStateSet, help: k, enum_values: {1: up, 2: down}}\n"
"    - {name: l, oid: 1.8, type: Bits, help: l, enum_values: {0: a, 7: b, 9: c, 100: d}}\n"
"    - {name: n, oid: 1.9, type: DateAndTime, help: n, scale: 2, offset: -1}\n"
"    - {name: o, oid: 1.10, type: DisplayString, help: o, regex_extracts: {\n"
"       '': [{regex: '(\\d+)\\.(\\d+)', value: '$1.${2}'}, {regex: '(?P<v>.*)x', value: '$v'}],\n"
"       _b: [{regex: 'True', value: '1'}, {regex: '.*', value: '$$'}]}}\n"
"    - {name: q, oid: 1.11, type: LldpPortId, help: q, indexes: [{labelname: r, type: LldpPortId},\n"
"       {labelname: s, type: OctetString, fixed_size: 3}]}\n"
"    - {name: r, oid: 1.12, type: NTPTimeStamp, help: r}\n"
"    - {name: s, oid: 1.13, type: ParseDateAndTime, help: s, datetime_pattern: '%Y-%m-%d %H:%M:%S'}\n"
"    - {name: t, oid: 1.14, type: InetAddressIPv6, help: t, indexes: [{labelname: v6, type: InetAddressIPv6}]}\n"
"    - {name: u, oid: 1.15, type: Float, help: u}\n"
"    - {name: w, oid: 1.16, type: gauge, help: w, indexes: [{labelname: w, type: InetAddressIPv4}],\n"
"       lookups: [{labels: [w], labelname: w, oid: 1.15, type: EnumAsInfo, enum_values: {0: zero}}]}\n";

static struct sc_config cfg;
static const struct sc_module *mod;

static const char *const types[] = {
	"", "counter", "gauge", "DisplayString", "OctetString", "PhysAddress48",
	"InetAddress", "InetAddressIPv4", "InetAddressIPv6", "InetAddressMissingSize",
	"LldpPortId", "EnumAsInfo", "Bits", "Integer32", "IpAddr", "nonsense",
};

/* Reads n bytes from the input or fewer at its end. */
static size_t
take_bytes(const uint8_t **p, const uint8_t *end, size_t n)
{
	size_t have = (size_t)(end - *p);

	n = n < have ? n : have;
	*p += n;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct sc_pdus pdus;
	struct sc_samples out;
	struct buf b = BUF_INIT(0);
	size_t i;

	if (mod == NULL) {
		sc_config_init(&cfg);
		if (sc_config_parse(&cfg, module_yml, sizeof(module_yml) - 1, "m.yml") < 0)
			abort();
		mod = sc_module_find(&cfg, "m");
	}
	memset(&pdus, 0, sizeof(pdus));
	memset(&out, 0, sizeof(out));
	while (end - p >= 4) {
		uint32_t name[24];
		unsigned char bytes[256];
		uint32_t oidv[16];
		struct sc_value v;
		size_t nlen = 2, k, n;
		uint64_t raw = 0;

		name[0] = 1;
		name[1] = *p++ % 18;
		n = *p++ % 20;
		for (k = 0; k < n && p < end && nlen < 24; k++) {
			/* a high bit makes a large component */
			name[nlen++] = *p & 0x80 ? (uint32_t)*p << 20 | (uint32_t)(p - data) : *p;
			p++;
		}
		memset(&v, 0, sizeof(v));
		v.kind = (enum sc_vkind)(p < end ? *p++ % 9 : 0);
		n = p < end ? *p++ : 0;
		n = take_bytes(&p, end, n) ;
		memcpy(bytes, p - n, n);
		for (k = 0; k < n && k < 8; k++)
			raw = raw << 8 | bytes[k];
		v.i = (int64_t)raw;
		v.u = raw;
		memcpy(&v.f, &raw, sizeof(v.f));
		if (v.kind == SV_FLOAT)
			v.f = (float)v.f;
		v.s = bytes;
		v.slen = v.kind == SV_IPADDR ? (n >= 16 ? 16 : n >= 4 ? 4 : n) : n;
		v.oidlen = n / 4 < 16 ? n / 4 : 16;
		for (k = 0; k < v.oidlen; k++)
			oidv[k] = (uint32_t)bytes[4 * k] << 24 | (uint32_t)bytes[4 * k + 1] << 16 |
			    (uint32_t)bytes[4 * k + 2] << 8 | bytes[4 * k + 3];
		v.oid = oidv;
		if (v.kind != SV_OCTETS && v.kind != SV_IPADDR)
			v.slen = 0;
		if (v.kind != SV_OID)
			v.oidlen = 0;
		for (k = 0; k < ARRAY_SIZE(types); k++) {
			buf_reset(&b);
			if (sc_value_string(&b, &v, types[k]) < 0)
				abort();
		}
		/* The first bytes as a display hint over the rest. */
		if (n > 0) {
			char hint[32];
			size_t hl = bytes[0] % sizeof(hint) < n ? bytes[0] % sizeof(hint) : n;
			int hr;

			memcpy(hint, bytes, hl);
			hint[hl] = '\0';
			buf_reset(&b);
			hr = sc_display_hint(&b, hint, bytes + hl, n - hl);
			if (hr < 0 || (hr == 0 && b.len != 0))
				abort();
			if (sc_value_string_hint(&b, &v, "", hint) < 0)
				abort();
		}
		buf_reset(&b);
		if (sc_format_float_f(&b, v.f, 64) < 0 || sc_format_float_f(&b, v.f, 32) < 0)
			abort();
		(void)sc_value_number(&v, 0);
		(void)sc_value_number(&v, SC_NO_WRAP);
		if (sc_pdus_add(&pdus, name, nlen, &v) < 0)
			abort();
	}
	/* The lookup cache keeps exactly the PDUs of its columns and gives
	 * them back without counting them as returned. */
	{
		struct sc_cache cache;
		struct sc_pdus back;
		size_t k, kept = 0;

		if (sc_cache_init(&cache, mod) < 0 || cache.cols.n != 4 ||
		    sc_cache_fill(&cache, &pdus, 1) < 0 ||
		    sc_cache_skip(&cache, 2, 5) != &cache.cols ||
		    sc_cache_skip(&cache, 6, 5) != NULL)
			abort();
		for (i = 0; i < pdus.n; i++)
			for (k = 0; k < cache.cols.n; k++)
				if (oid_has_prefix(pdus.v[i].name, pdus.v[i].nlen,
				    &cache.cols.v[k])) {
					kept++;
					break;
				}
		memset(&back, 0, sizeof(back));
		if (cache.pdus.n != kept || sc_cache_apply(&cache, &back) < 0 ||
		    back.n != kept || back.returned != 0)
			abort();
		sc_pdus_free(&back);
		sc_cache_free(&cache);
	}
	sc_pdus_index(&pdus);
	for (i = 1; i < pdus.n; i++)
		if (sc_oid_cmp(pdus.v[i - 1].name, pdus.v[i - 1].nlen,
		    pdus.v[i].name, pdus.v[i].nlen) >= 0)
			abort();
	if (sc_render(mod, &pdus, size % 2 ? SC_NO_WRAP : 0, &out) < 0)
		abort();
	sc_samples_sort(&out);
	for (i = 0; i < out.n; i++) {
		size_t k;

		for (k = 0; k < out.v[i].ls.n; k++)
			if (labels_value(&out.v[i].ls, k)[0] == '\0' ||
			    strlen(labels_value(&out.v[i].ls, k)) != out.v[i].ls.v[k].vlen)
				abort();
		if (i > 0 && strcmp(out.v[i - 1].name, out.v[i].name) == 0 &&
		    labels_cmp(&out.v[i - 1].ls, &out.v[i].ls) == 0)
			abort();
	}
	sc_samples_free(&out);
	sc_pdus_free(&pdus);
	buf_free(&b);
	return 0;
}
