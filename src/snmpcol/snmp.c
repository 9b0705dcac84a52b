/* snmp.c: the gets and walks of one module on one agent, with net-snmp's single-session API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "buf.h"
#include "log.h"
#include "snmpcol.h"
#include "banned.h"

void
sc_snmp_init(void)
{
	/* Only what snmp.yml says counts: no snmp.conf, no persistent
	 * state written under /var/lib/snmp, no MIBs (OIDs are numeric). */
	setenv("MIBS", "", 1);
	setenv("MIBDIRS", "/nonexistent", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	init_snmp("snmpcol");
}

/* A protocol as snmp.yml names it, as net-snmp's tools name it (which
 * says whether this build has it), and its OID. */
struct proto {
	const char *name;
	const char *netsnmp;
	oid *v;
	size_t n;
};

/* What this build of net-snmp leaves out has no OID here. */
#ifndef NETSNMP_DISABLE_MD5
#define SC_MD5 usmHMACMD5AuthProtocol
#else
#define SC_MD5 NULL
#endif
#ifndef NETSNMP_DISABLE_DES
#define SC_DES usmDESPrivProtocol
#else
#define SC_DES NULL
#endif
#ifdef NETSNMP_DRAFT_BLUMENTHAL_AES_04
#define SC_AES(bits, cisco) usmAES##bits##cisco##PrivProtocol
#else
#define SC_AES(bits, cisco) NULL
#endif

static const struct proto auth_protos[] = {
	{ "MD5", "MD5", SC_MD5, 10 },
	{ "SHA", "SHA", usmHMACSHA1AuthProtocol, 10 },
	{ "SHA224", "SHA-224", usmHMAC128SHA224AuthProtocol, 10 },
	{ "SHA256", "SHA-256", usmHMAC192SHA256AuthProtocol, 10 },
	{ "SHA384", "SHA-384", usmHMAC256SHA384AuthProtocol, 10 },
	{ "SHA512", "SHA-512", usmHMAC384SHA512AuthProtocol, 10 },
	{ NULL, NULL, NULL, 0 },
};

/* gosnmp's AES192/AES256 are Blumenthal's, the C ones Cisco's (Reeder). */
static const struct proto priv_protos[] = {
	{ "DES", "DES", SC_DES, 10 },
	{ "AES", "AES", usmAESPrivProtocol, 10 },
	{ "AES192", "AES-192", SC_AES(192, ), 9 },
	{ "AES256", "AES-256", SC_AES(256, ), 9 },
	{ "AES192C", "AES-192-C", SC_AES(192, Cisco), 11 },
	{ "AES256C", "AES-256-C", SC_AES(256, Cisco), 11 },
	{ NULL, NULL, NULL, 0 },
};

static int
proto_find(const struct proto *list, const char *name, struct proto *p)
{
	for (; list->name; list++)
		if (strcmp(list->name, name) == 0 && list->v != NULL) {
			*p = *list;
			return 0;
		}
	return -1;
}

int
sc_snmp_auth_check(const struct sc_auth *a, const char **key)
{
	struct proto p;

	if (a->version != 3 || strcmp(a->security_level, "noAuthNoPriv") == 0)
		return 0;
	*key = "auth_protocol";
	if (proto_find(auth_protos, a->auth_protocol, &p) < 0 ||
	    usm_lookup_auth_type(p.netsnmp) < 0)
		return -1;
	if (strcmp(a->security_level, "authPriv") != 0)
		return 0;
	*key = "priv_protocol";
	if (proto_find(priv_protos, a->priv_protocol, &p) < 0 ||
	    usm_lookup_priv_type(p.netsnmp) < 0)
		return -1;
	return 0;
}

/* snmp_exporter's target: host, host:port or [v6]:port, port 161 by
 * default; net-snmp wants udp6: for IPv6. */
static int
peer_name(struct buf *b, const char *target)
{
	const char *colon = strchr(target, ':');

	if (target[0] == '[')
		return buf_addf(b, "udp6:%s%s", target,
		    strstr(target, "]:") ? "" : ":161");
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		return buf_addf(b, "udp6:[%s]:161", target);
	return buf_addf(b, "udp:%s%s", target, colon ? "" : ":161");
}

static void *
session_open(const char *target, const struct sc_auth *a,
	     const struct sc_module *m, struct sc_scrape *s)
{
	netsnmp_session ss;
	struct buf peer = BUF_INIT(4096);
	struct proto ap, pp;
	void *sess = NULL;
	char *msg = NULL;
	int cerr = 0, serr = 0;

	snmp_sess_init(&ss);
	if (peer_name(&peer, target) < 0) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return NULL;
	}
	ss.peername = peer.p;
	/* Retries are ours, to count them as snmp_scrape_packets_retried. */
	ss.retries = 0;
	ss.timeout = (long)m->timeout_ms * 1000;
	switch (a->version) {
	case 1:
		ss.version = SNMP_VERSION_1;
		break;
	case 3:
		ss.version = SNMP_VERSION_3;
		break;
	default:
		ss.version = SNMP_VERSION_2c;
		break;
	}
	if (a->version != 3) {
		ss.community = (u_char *)a->community;
		ss.community_len = strlen(a->community);
	} else {
		ss.securityName = (char *)a->username;
		ss.securityNameLen = strlen(a->username);
		ss.contextName = (char *)a->context_name;
		ss.contextNameLen = strlen(a->context_name);
		ss.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
		if (strcmp(a->security_level, "authNoPriv") == 0)
			ss.securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
		else if (strcmp(a->security_level, "authPriv") == 0)
			ss.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
		if (ss.securityLevel != SNMP_SEC_LEVEL_NOAUTH) {
			if (proto_find(auth_protos, a->auth_protocol, &ap) < 0) {
				snprintf(s->err, sizeof(s->err),
				    "unknown auth protocol '%s'", a->auth_protocol);
				goto out;
			}
			ss.securityAuthProto = ap.v;
			ss.securityAuthProtoLen = ap.n;
			ss.securityAuthKeyLen = USM_AUTH_KU_LEN;
			if (generate_Ku(ap.v, (u_int)ap.n, (const u_char *)a->password,
			    strlen(a->password), ss.securityAuthKey,
			    &ss.securityAuthKeyLen) != SNMPERR_SUCCESS) {
				snprintf(s->err, sizeof(s->err),
				    "cannot make the auth key from the password");
				goto out;
			}
		}
		if (ss.securityLevel == SNMP_SEC_LEVEL_AUTHPRIV) {
			if (proto_find(priv_protos, a->priv_protocol, &pp) < 0) {
				snprintf(s->err, sizeof(s->err),
				    "unknown priv protocol '%s'", a->priv_protocol);
				goto out;
			}
			ss.securityPrivProto = pp.v;
			ss.securityPrivProtoLen = pp.n;
			ss.securityPrivKeyLen = USM_PRIV_KU_LEN;
			if (generate_Ku(ap.v, (u_int)ap.n,
			    (const u_char *)a->priv_password,
			    strlen(a->priv_password), ss.securityPrivKey,
			    &ss.securityPrivKeyLen) != SNMPERR_SUCCESS) {
				snprintf(s->err, sizeof(s->err),
				    "cannot make the priv key from the password");
				goto out;
			}
		}
	}
	/* With SNMPv3 opening discovers the engine: a packet. */
	if (a->version == 3)
		s->packets++;
	sess = snmp_sess_open(&ss);
	if (sess == NULL) {
		snmp_error(&ss, &cerr, &serr, &msg);
		snprintf(s->err, sizeof(s->err), "cannot open session: %s",
		    msg ? msg : "unknown error");
		free(msg);
	}
out:
	buf_free(&peer);
	return sess;
}

/* One request with our retries; the response, or NULL with s->err. */
static netsnmp_pdu *
request(void *sess, netsnmp_pdu *req, const struct sc_auth *a,
	const struct sc_module *m, struct sc_scrape *s)
{
	netsnmp_session *ss;
	long attempt;

	for (attempt = 0; attempt <= m->retries; attempt++) {
		netsnmp_pdu *copy = snmp_clone_pdu(req), *resp = NULL;
		int st;

		if (copy == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			return NULL;
		}
		s->packets++;
		if (attempt > 0)
			s->retries++;
		st = snmp_sess_synch_response(sess, copy, &resp);
		if (st == STAT_SUCCESS && resp != NULL) {
			s->answered = 1;
			return resp;
		}
		if (resp != NULL)
			snmp_free_pdu(resp);
		if (st != STAT_TIMEOUT) {
			char *msg = NULL;
			int cerr = 0, serr = 0;

			snmp_sess_error(sess, &cerr, &serr, &msg);
			/* SNMPv3's engine discovery that gets no answer fails
			 * the request with this error: a timeout all the same. */
			if (serr == SNMPERR_TIMEOUT) {
				free(msg);
				continue;
			}
			snprintf(s->err, sizeof(s->err), "%s",
			    msg ? msg : "request failed");
			free(msg);
			return NULL;
		}
	}
	/* An agent that answered discovery but never a request could not
	 * read what it got: net-snmp's snmpd drops what it decrypts into
	 * garbage, without a report. */
	ss = snmp_sess_session(sess);
	if (a->version == 3 && !s->answered && ss != NULL &&
	    ss->securityEngineIDLen > 0 && strcmp(a->security_level, "authPriv") == 0)
		snprintf(s->err, sizeof(s->err), "request timeout (after %ld retries; "
		    "the agent answered SNMPv3 discovery: wrong priv_password or "
		    "priv_protocol?)", m->retries);
	else
		snprintf(s->err, sizeof(s->err), "request timeout (after %ld retries)",
		    m->retries);
	return NULL;
}

/* A variable as gosnmp decodes it; 1 for an exception (noSuchObject,
 * noSuchInstance, endOfMibView), 0 otherwise. */
static int
var_value(const netsnmp_variable_list *vb, struct sc_value *v, uint32_t *oidbuf,
	  size_t oidcap)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	switch (vb->type) {
	case SNMP_NOSUCHOBJECT:
	case SNMP_NOSUCHINSTANCE:
	case SNMP_ENDOFMIBVIEW:
		return 1;
	case ASN_INTEGER:
		v->kind = SV_INT;
		v->i = *vb->val.integer;
		break;
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
	case ASN_UINTEGER:
		v->kind = SV_UINT;
		v->u = (unsigned long)*vb->val.integer & 0xffffffffUL;
		break;
	case ASN_COUNTER64:
#ifdef OPAQUE_SPECIAL_TYPES
	case ASN_OPAQUE_COUNTER64:
	case ASN_OPAQUE_U64:
#endif
		v->kind = SV_COUNTER64;
		v->u = (uint64_t)vb->val.counter64->high << 32 |
		    (vb->val.counter64->low & 0xffffffffUL);
		break;
#ifdef OPAQUE_SPECIAL_TYPES
	case ASN_OPAQUE_FLOAT:
		v->kind = SV_FLOAT;
		v->f = *vb->val.floatVal;
		break;
	case ASN_OPAQUE_DOUBLE:
		v->kind = SV_DOUBLE;
		v->f = *vb->val.doubleVal;
		break;
	case ASN_OPAQUE_I64:
		v->kind = SV_INT;
		v->i = (int64_t)((uint64_t)vb->val.counter64->high << 32 |
		    (vb->val.counter64->low & 0xffffffffUL));
		break;
#endif
	case ASN_IPADDRESS:
		v->kind = SV_IPADDR;
		v->s = vb->val.string;
		v->slen = vb->val_len;
		break;
	case ASN_OBJECT_ID:
		v->kind = SV_OID;
		v->oidlen = vb->val_len / sizeof(oid);
		if (v->oidlen > oidcap)
			v->oidlen = oidcap;
		for (i = 0; i < v->oidlen; i++)
			oidbuf[i] = (uint32_t)vb->val.objid[i];
		v->oid = oidbuf;
		break;
	case ASN_NULL:
		v->kind = SV_NULL;
		break;
	default:
		/* OCTET STRING, BIT STRING, Opaque: bytes. */
		v->kind = SV_OCTETS;
		v->s = vb->val.string;
		v->slen = vb->val_len;
		break;
	}
	return 0;
}

static int
add_var(struct sc_scrape *s, const netsnmp_variable_list *vb)
{
	uint32_t name[MAX_OID_LEN], val[MAX_OID_LEN];
	struct sc_value v;
	size_t i, n = vb->name_length < MAX_OID_LEN ? vb->name_length : MAX_OID_LEN;

	if (var_value(vb, &v, val, MAX_OID_LEN) == 1)
		return 1;
	for (i = 0; i < n; i++)
		name[i] = (uint32_t)vb->name[i];
	if (sc_pdus_add(&s->pdus, name, n, &v) < 0) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -1;
	}
	return 0;
}

/* module.get in batches of max_repetitions OIDs (one for SNMPv1, which
 * reports one bad OID per request), as snmp_exporter does. */
static int
do_gets(void *sess, const char *target, const struct sc_auth *a,
	const struct sc_module *m, const struct sc_oid *get, size_t nget,
	struct sc_scrape *s)
{
	size_t per = m->max_repetitions > 0 && a->version != 1 ?
	    (size_t)m->max_repetitions : 1;
	size_t i = 0, j;

	while (i < nget) {
		size_t cnt = nget - i < per ? nget - i : per;
		netsnmp_pdu *req = snmp_pdu_create(SNMP_MSG_GET), *resp;
		netsnmp_variable_list *vb;
		oid name[MAX_OID_LEN];

		if (req == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			return -1;
		}
		for (j = i; j < i + cnt; j++) {
			size_t k, n = get[j].n < MAX_OID_LEN ? get[j].n : MAX_OID_LEN;

			for (k = 0; k < n; k++)
				name[k] = get[j].v[k];
			snmp_add_null_var(req, name, n);
		}
		resp = request(sess, req, a, m, s);
		snmp_free_pdu(req);
		if (resp == NULL)
			return -1;
		if (resp->errstat == SNMP_ERR_NOSUCHNAME && a->version == 1) {
			snmp_free_pdu(resp);
			i += cnt;
			continue;
		}
		if (resp->errstat != SNMP_ERR_NOERROR) {
			snprintf(s->err, sizeof(s->err),
			    "error reported by target %s: Error Status %ld",
			    target, resp->errstat);
			snmp_free_pdu(resp);
			return -1;
		}
		for (vb = resp->variables; vb; vb = vb->next_variable)
			if (add_var(s, vb) < 0) {
				snmp_free_pdu(resp);
				return -1;
			}
		snmp_free_pdu(resp);
		i += cnt;
	}
	return 0;
}

static int
in_subtree(const netsnmp_variable_list *vb, const oid *root, size_t n)
{
	return vb->name_length > n &&
	    snmp_oid_compare(vb->name, n, root, n) == 0;
}

/* The subtree of skip that holds name, or NULL. */
static const struct sc_oid *
skip_find(const struct sc_skip *skip, const oid *name, size_t n)
{
	size_t i, k;

	for (i = 0; skip != NULL && i < skip->n; i++) {
		const struct sc_oid *o = &skip->v[i];

		if (n < o->n)
			continue;
		for (k = 0; k < o->n && name[k] == o->v[k]; k++)
			;
		if (k == o->n)
			return o;
	}
	return NULL;
}

/*
 * gosnmp's walk: GETBULK (GETNEXT for v1) from root until the answers
 * leave the subtree; a scalar root is fetched with GET.  The subtrees of
 * skip are left out: a request that would start inside one starts after
 * it instead (from its OID plus the largest arc, which no real table
 * reaches), and what an answer holds of one is dropped.
 */
static int
do_walk(void *sess, const struct sc_auth *a, const struct sc_module *m,
	const struct sc_oid *root, const struct sc_skip *skip,
	struct sc_scrape *s)
{
	oid rootv[MAX_OID_LEN], cur[MAX_OID_LEN];
	size_t rn = root->n < MAX_OID_LEN ? root->n : MAX_OID_LEN, cn, k;
	int requests = 0, jumped = 0;
	int type = a->version == 1 ? SNMP_MSG_GETNEXT : SNMP_MSG_GETBULK;
	long reps = m->max_repetitions > 0 ? m->max_repetitions : 50;

	for (k = 0; k < rn; k++)
		rootv[k] = root->v[k];
	if (skip_find(skip, rootv, rn) != NULL)
		return 0;
	memcpy(cur, rootv, rn * sizeof(oid));
	cn = rn;
	for (;;) {
		netsnmp_pdu *req, *resp;
		netsnmp_variable_list *vb, *last = NULL;
		const struct sc_oid *sk = skip_find(skip, cur, cn);
		int i = 0, stop = 0;

		if (sk != NULL && sk->n < MAX_OID_LEN) {
			oid after[MAX_OID_LEN];

			for (k = 0; k < sk->n; k++)
				after[k] = sk->v[k];
			after[sk->n] = UINT32_MAX;
			/* Past that already (an arc that large): go on. */
			if (snmp_oid_compare(cur, cn, after, sk->n + 1) < 0) {
				memcpy(cur, after, (sk->n + 1) * sizeof(oid));
				cn = sk->n + 1;
				jumped = 1;
			}
		}
		req = snmp_pdu_create(type);
		if (req == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			return -1;
		}
		requests++;
		if (type == SNMP_MSG_GETBULK) {
			req->non_repeaters = 0;
			req->max_repetitions = reps;
		}
		snmp_add_null_var(req, cur, cn);
		resp = request(sess, req, a, m, s);
		snmp_free_pdu(req);
		if (resp == NULL)
			return -1;
		if (resp->variables == NULL || resp->errstat != SNMP_ERR_NOERROR) {
			snmp_free_pdu(resp);
			return 0;
		}
		for (vb = resp->variables; vb && !stop; vb = vb->next_variable, i++) {
			if (vb->type == SNMP_NOSUCHOBJECT || vb->type == SNMP_NOSUCHINSTANCE ||
			    vb->type == SNMP_ENDOFMIBVIEW) {
				stop = 1;
				break;
			}
			if (!in_subtree(vb, rootv, rn)) {
				if (requests == 1 && i == 0 && !jumped &&
				    type != SNMP_MSG_GET) {
					type = SNMP_MSG_GET;
					stop = 2;
				} else {
					if (type == SNMP_MSG_GET &&
					    snmp_oid_compare(vb->name, vb->name_length,
					    rootv, rn) == 0 && add_var(s, vb) < 0) {
						snmp_free_pdu(resp);
						return -1;
					}
					stop = 1;
				}
				break;
			}
			if (!m->allow_nonincreasing && type != SNMP_MSG_GET &&
			    snmp_oid_compare(cur, cn, vb->name, vb->name_length) >= 0) {
				snprintf(s->err, sizeof(s->err), "OID not increasing");
				snmp_free_pdu(resp);
				return -1;
			}
			last = vb;
			if (skip_find(skip, vb->name, vb->name_length) != NULL)
				continue;
			if (add_var(s, vb) < 0) {
				snmp_free_pdu(resp);
				return -1;
			}
		}
		if (stop == 2) {
			snmp_free_pdu(resp);
			continue;
		}
		if (stop || last == NULL || type == SNMP_MSG_GET) {
			snmp_free_pdu(resp);
			return 0;
		}
		cn = last->name_length < MAX_OID_LEN ? last->name_length : MAX_OID_LEN;
		memcpy(cur, last->name, cn * sizeof(oid));
		snmp_free_pdu(resp);
	}
}

/* The gets and walks of one scrape: the module's, or what its filters
 * make of them.  Each OID's text is what snmp_exporter compares. */
struct oidlist {
	struct sc_oid *v;
	size_t n, cap;
	struct buf text;	/* the texts of OIDs made here, NUL apart */
	size_t *made;		/* their offsets in text, by place in v */
};

static void
oidlist_free(struct oidlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->made[i] != SIZE_MAX)
			free(l->v[i].v);
	free(l->v);
	free(l->made);
	buf_free(&l->text);
	memset(l, 0, sizeof(*l));
}

/* Adds o; with made, a new OID is parsed from the text o->text. */
static int
oidlist_add(struct oidlist *l, const struct sc_oid *o, int made)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct sc_oid *v = realloc(l->v, cap * sizeof(*v));
		size_t *mv;

		if (v == NULL)
			return -1;
		l->v = v;
		mv = realloc(l->made, cap * sizeof(*mv));
		if (mv == NULL)
			return -1;
		l->made = mv;
		l->cap = cap;
	}
	l->v[l->n] = *o;
	l->made[l->n] = SIZE_MAX;
	if (made) {
		size_t off = l->text.len;

		if (buf_addstr(&l->text, o->text) < 0 || buf_addch(&l->text, '\0') < 0)
			return -1;
		if (sc_oid_parse(o->text, &l->v[l->n].v, &l->v[l->n].n) < 0)
			return 1;
		l->made[l->n] = off;
		l->v[l->n].text = NULL;
	}
	l->n++;
	return 0;
}

/* Texts made here live in l->text, which moves while it grows. */
static void
oidlist_fix(struct oidlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->made[i] != SIZE_MAX)
			l->v[i].text = l->text.p + l->made[i];
}

static int
is_target(const struct sc_filter *f, const char *text, int prefix)
{
	size_t i;

	for (i = 0; i < f->ntargets; i++)
		if (prefix ? strncmp(text, f->targets[i], strlen(f->targets[i])) == 0 :
		    strcmp(text, f->targets[i]) == 0)
			return 1;
	return 0;
}

/* The indexes (last part of the name, as text) of the PDUs of p whose
 * value as DisplayString matches a value of f, in walk order. */
static int
filter_allowed(const struct sc_filter *f, const struct sc_pdus *p,
	       struct buf *allowed, size_t *nallowed)
{
	struct buf val = BUF_INIT(0);
	size_t i, j;
	int r = 0;

	for (i = 0; i < p->n && r == 0; i++) {
		const struct sc_pdu *d = &p->v[i];

		buf_reset(&val);
		if (sc_value_string(&val, &d->v, "DisplayString") < 0) {
			r = -1;
			break;
		}
		for (j = 0; j < f->nvalues; j++) {
			pcre2_match_data *md =
			    pcre2_match_data_create_from_pattern(f->values[j], NULL);
			int rc;

			if (md == NULL) {
				r = -1;
				break;
			}
			rc = pcre2_match(f->values[j], (PCRE2_SPTR)buf_cstr(&val),
			    val.len, 0, 0, md, NULL);
			pcre2_match_data_free(md);
			if (rc > 0) {
				r = buf_addf(allowed, "%u%c",
				    d->nlen ? (unsigned)d->name[d->nlen - 1] : 0u, '\0');
				(*nallowed)++;
				break;
			}
		}
	}
	buf_free(&val);
	return r;
}

/*
 * snmp_exporter 0.30's ScrapeTarget filters: for each filter in order,
 * walk its oid (on error the filter is skipped), keep the walks that are
 * not exactly a target, the gets that do not start with a target's text,
 * and get each target with each allowed index appended.
 */
static int
apply_filters(void *sess, const struct sc_auth *a, const struct sc_module *m,
	      struct sc_scrape *s, struct oidlist *get, struct oidlist *walk)
{
	struct buf allowed = BUF_INIT(0);
	size_t i, j, k;
	int r = 0;

	for (i = 0; i < m->nget && r == 0; i++)
		r = oidlist_add(get, &m->get[i], 0);
	for (i = 0; i < m->nwalk && r == 0; i++)
		r = oidlist_add(walk, &m->walk[i], 0);
	for (i = 0; i < m->nfilters && r == 0; i++) {
		const struct sc_filter *f = &m->filters[i];
		struct oidlist ng;
		struct sc_pdus keep = s->pdus;
		size_t nallowed = 0;
		const char *idx;

		/* The filter's walk is not part of the scrape's PDUs, but
		 * its packets are. */
		memset(&s->pdus, 0, sizeof(s->pdus));
		if (do_walk(sess, a, m, &f->oid, NULL, s) < 0) {
			log_debug("walk of filter oid '%s' failed, no filter on it: %s",
			    f->oid.text, s->err);
			s->err[0] = '\0';
			sc_pdus_free(&s->pdus);
			s->pdus = keep;
			continue;
		}
		buf_reset(&allowed);
		r = filter_allowed(f, &s->pdus, &allowed, &nallowed);
		sc_pdus_free(&s->pdus);
		s->pdus = keep;
		if (r < 0)
			break;
		for (j = 0, k = 0; j < walk->n; j++)
			if (!is_target(f, walk->v[j].text, 0))
				walk->v[k++] = walk->v[j];
		walk->n = k;
		/* The get list is rebuilt: what stays, then the new OIDs. */
		memset(&ng, 0, sizeof(ng));
		oidlist_fix(get);
		for (j = 0; j < get->n && r == 0; j++) {
			struct sc_oid o = get->v[j];

			if (is_target(f, o.text, 1))
				continue;
			r = oidlist_add(&ng, &o, get->made[j] != SIZE_MAX);
		}
		for (j = 0; j < f->ntargets && r == 0; j++) {
			struct buf t = BUF_INIT(0);
			struct sc_oid o;

			idx = allowed.p;
			for (k = 0; k < nallowed && r == 0; k++) {
				buf_reset(&t);
				r = buf_addf(&t, "%s.%s", f->targets[j], idx);
				memset(&o, 0, sizeof(o));
				o.text = buf_cstr(&t);
				if (r == 0)
					r = oidlist_add(&ng, &o, 1);
				idx += strlen(idx) + 1;
			}
			buf_free(&t);
		}
		oidlist_free(get);
		*get = ng;
	}
	oidlist_fix(get);
	buf_free(&allowed);
	if (r != 0)
		snprintf(s->err, sizeof(s->err), r < 0 ? "out of memory" :
		    "filter made an OID that is not one");
	return r != 0 ? -1 : 0;
}

int
sc_snmp_scrape(const char *target, const struct sc_auth *a,
	       const struct sc_module *m, const struct sc_skip *skip,
	       struct sc_scrape *s)
{
	struct oidlist get, walk;
	void *sess;
	size_t i;
	int rc = 0;

	s->err[0] = '\0';
	sess = session_open(target, a, m, s);
	if (sess == NULL)
		return -1;
	memset(&get, 0, sizeof(get));
	memset(&walk, 0, sizeof(walk));
	if (m->nfilters == 0) {
		rc = do_gets(sess, target, a, m, m->get, m->nget, s);
		for (i = 0; rc == 0 && i < m->nwalk; i++)
			rc = do_walk(sess, a, m, &m->walk[i], skip, s);
	} else {
		rc = apply_filters(sess, a, m, s, &get, &walk);
		if (rc == 0)
			rc = do_gets(sess, target, a, m, get.v, get.n, s);
		for (i = 0; rc == 0 && i < walk.n; i++)
			rc = do_walk(sess, a, m, &walk.v[i], NULL, s);
	}
	oidlist_free(&get);
	oidlist_free(&walk);
	snmp_sess_close(sess);
	return rc < 0 ? -1 : 0;
}
