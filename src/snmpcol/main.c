/* main.c: snmpcol, SNMP agents polled with snmp_exporter's snmp.yml into the line format. */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "parse.h"
#include "sig.h"
#include "snmpcol.h"
#include "stats.h"
#include "yconf.h"
#include "banned.h"

#define DEFAULT_AUTH "public_v2"
#define DEFAULT_INTERVAL_MS 60000
/* How often the parent of -t looks for finished polls to write stats. */
#define STATS_CHECK_MS 200

static const char usage_text[] =
    "usage: snmpcol [-hv] [--expand-env] [--no-wrap-large-counters] -c FILE [-c FILE]...\n"
    "               -m MODULE[,MODULE]... [-a AUTH] [--stats-file PATH] TARGET...\n"
    "       snmpcol [-hv] [--expand-env] [--lookup-cache DUR] [--no-wrap-large-counters]\n"
    "               -c FILE [-c FILE]... -t TARGETS.yml [--stats-file PATH]\n"
    "       snmpcol --version\n";

/* Options that hold for every scrape. */
static int render_flags;		/* SC_NO_WRAP */
static int64_t lookup_cache_ms;		/* 0: no lookup cache */

static void
usage(FILE *f)
{
	fputs(usage_text, f);
}

/* What to poll: one target with its modules, auth and labels. */
struct job {
	const char *target;
	const struct sc_module **mods;
	const struct sc_auth **auths;	/* one per module */
	struct sc_cache *caches;	/* one per module, with a lookup cache */
	size_t nmods;
	struct labels extra;		/* added to every series */
	int64_t interval_ms;
};

struct jobs {
	struct job *v;
	size_t n;
};

/*
 * The counters of one target.  With -t each lives in memory shared with
 * the parent, written by the target's child only: 64-bit atomic stores,
 * so the parent never reads half a value.
 */
struct pollstat {
	uint64_t polls, failures, pdus;
	uint64_t duration_us;	/* of the last poll */
};

static void
stat_add(uint64_t *p, uint64_t n)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n,
	    __ATOMIC_RELEASE);
}

static uint64_t
stat_get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* obs_snmpcol_* of every target as a .prom file. */
static void
write_stats(const char *path, const struct jobs *js, const struct pollstat *st)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "obs_snmpcol_polls_total", "counter",
		  "Polls of a target (all its modules)." },
		{ "obs_snmpcol_poll_failures_total", "counter",
		  "Polls of a target where a module failed (up 0)." },
		{ "obs_snmpcol_pdus_total", "counter",
		  "PDUs returned by a target's gets and walks." },
		{ "obs_snmpcol_poll_duration_seconds", "gauge",
		  "Time the last poll of a target took." },
	};
	struct buf b = BUF_INIT(0), lab = BUF_INIT(1 << 16);
	size_t f, i;
	int r = 0;

	r |= stats_add(&b, "obs_snmpcol_targets", "gauge", "Targets polled.",
	    "", (double)js->n);
	for (f = 0; f < ARRAY_SIZE(fam); f++)
		for (i = 0; i < js->n; i++) {
			const struct pollstat *p = &st[i];
			double v = f == 0 ? (double)stat_get(&p->polls) :
			    f == 1 ? (double)stat_get(&p->failures) :
			    f == 2 ? (double)stat_get(&p->pdus) :
			    (double)stat_get(&p->duration_us) / 1e6;

			buf_reset(&lab);
			r |= buf_addstr(&lab, "target=\"");
			r |= label_escape(&lab, js->v[i].target,
			    strlen(js->v[i].target));
			r |= buf_addch(&lab, '"');
			r |= stats_add(&b, fam[f].name, fam[f].type, fam[f].help,
			    buf_cstr(&lab), v);
		}
	if (r != 0 || stats_write(path, &b) < 0)
		log_errno("write stats '%s'", path);
	buf_free(&b);
	buf_free(&lab);
}

static void
job_caches_free(struct job *j)
{
	size_t i;

	for (i = 0; j->caches != NULL && i < j->nmods; i++)
		sc_cache_free(&j->caches[i]);
	free(j->caches);
	j->caches = NULL;
}

/* A lookup cache for each module of j. */
static int
job_caches_init(struct job *j)
{
	size_t i;

	j->caches = calloc(j->nmods ? j->nmods : 1, sizeof(*j->caches));
	if (j->caches == NULL)
		return -1;
	for (i = 0; i < j->nmods; i++)
		if (sc_cache_init(&j->caches[i], j->mods[i]) < 0) {
			job_caches_free(j);
			return -1;
		}
	return 0;
}

static void
jobs_free(struct jobs *js)
{
	size_t i;

	for (i = 0; i < js->n; i++) {
		job_caches_free(&js->v[i]);
		free(js->v[i].mods);
		free(js->v[i].auths);
		labels_free(&js->v[i].extra);
	}
	free(js->v);
}

static struct job *
jobs_add(struct jobs *js)
{
	struct job *v = realloc(js->v, (js->n + 1) * sizeof(*v));

	if (v == NULL)
		return NULL;
	js->v = v;
	memset(&v[js->n], 0, sizeof(v[js->n]));
	labels_init(&v[js->n].extra);
	v[js->n].interval_ms = DEFAULT_INTERVAL_MS;
	return &v[js->n++];
}

/* The auth of a module: the one named, else the module's own (older
 * layout), else public_v2 as snmp_exporter's auth parameter defaults. */
static const struct sc_auth *
resolve_auth(struct sc_config *cfg, struct sc_module *m, const char *name)
{
	struct sc_auth *a;
	const char *key = NULL;

	if (name == NULL && m->has_auth)
		a = &m->auth;
	else
		a = sc_auth_find(cfg, name ? name : DEFAULT_AUTH);
	if (a == NULL)
		log_error("unknown auth '%s'", name ? name : DEFAULT_AUTH);
	else if (sc_auth_expand(cfg, a) < 0)
		return NULL;
	else if (sc_snmp_auth_check(a, &key) < 0) {
		yconf_error(ynode_get(a->node, key) ? ynode_get(a->node, key) : a->node,
		    key, "%s is not supported by this net-snmp build",
		    strcmp(key, "auth_protocol") == 0 ? a->auth_protocol :
		    a->priv_protocol);
		return NULL;
	}
	return a;
}

/* Adds the modules of a comma-separated list (or one name) to job. */
static int
job_modules(struct job *j, struct sc_config *cfg, const char *list,
	    const char *auth)
{
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		char name[256];
		struct sc_module *m;
		const struct sc_module **mv;
		const struct sc_auth **av;

		if (len == 0 || len >= sizeof(name)) {
			log_error("bad module list '%s'", list);
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len + (p[len] == ',');
		m = sc_module_find(cfg, name);
		if (m == NULL) {
			log_error("unknown module '%s'", name);
			return -1;
		}
		mv = realloc(j->mods, (j->nmods + 1) * sizeof(*mv));
		if (mv == NULL)
			return -1;
		j->mods = mv;
		av = realloc(j->auths, (j->nmods + 1) * sizeof(*av));
		if (av == NULL)
			return -1;
		j->auths = av;
		j->mods[j->nmods] = m;
		j->auths[j->nmods] = resolve_auth(cfg, m, auth);
		if (j->auths[j->nmods] == NULL)
			return -1;
		j->nmods++;
	}
	return 0;
}

/*
 * TARGETS.yml: targets: a list of {target, module, auth, interval,
 * labels}; a top-level interval is the default.
 */
static int
load_targets(const char *path, struct sc_config *cfg, struct jobs *js,
	     struct ynode **rootp)
{
	static const char *const top_keys[] = { "targets", "interval", NULL };
	static const char *const keys[] = {
		"target", "module", "auth", "interval", "labels", NULL,
	};
	const struct ynode *seq;
	int64_t interval = DEFAULT_INTERVAL_MS;
	struct ynode *root = yconf_load(path);
	size_t i, k;

	*rootp = root;
	if (root == NULL)
		return -1;
	if (yconf_check_keys(root, top_keys) < 0 ||
	    yconf_duration(root, "interval", &interval) < 0)
		return -1;
	if (yconf_seq(root, "targets", &seq) != 0) {
		if (ynode_get(root, "targets") == NULL)
			yconf_error(root, "targets", "missing");
		return -1;
	}
	for (i = 0; i < seq->n; i++) {
		const struct ynode *t = seq->items[i], *mod, *labs = NULL;
		const char *target = NULL, *auth = NULL;
		struct job *j;

		if (yconf_check_keys(t, keys) < 0 ||
		    yconf_str(t, "target", &target) < 0 ||
		    yconf_str(t, "auth", &auth) < 0 || yconf_map(t, "labels", &labs) < 0)
			return -1;
		if (target == NULL || *target == '\0') {
			yconf_error(t, "target", "missing");
			return -1;
		}
		j = jobs_add(js);
		if (j == NULL)
			return -1;
		j->target = target;
		j->interval_ms = interval;
		if (yconf_duration(t, "interval", &j->interval_ms) < 0)
			return -1;
		if (j->interval_ms <= 0) {
			yconf_error(ynode_get(t, "interval"), "interval", "must be positive");
			return -1;
		}
		mod = ynode_get(t, "module");
		if (ynode_is_null(mod)) {
			yconf_error(t, "module", "missing");
			return -1;
		}
		if (mod->type == YNODE_SCALAR) {
			if (job_modules(j, cfg, mod->str, auth) < 0) {
				yconf_error(mod, "module", "bad module");
				return -1;
			}
		} else if (mod->type == YNODE_SEQ) {
			for (k = 0; k < mod->n; k++)
				if (mod->items[k]->type != YNODE_SCALAR ||
				    job_modules(j, cfg, mod->items[k]->str, auth) < 0) {
					yconf_error(mod->items[k], "module", "bad module");
					return -1;
				}
		} else {
			yconf_error(mod, "module", "expected a name or a list");
			return -1;
		}
		for (k = 0; labs != NULL && labs->type == YNODE_MAP && k < labs->n; k++) {
			const struct ynode *kn = labs->items[k], *vn = labs->vals[k];

			if (!label_name_valid(kn->str, kn->len) ||
			    vn->type != YNODE_SCALAR) {
				yconf_error(kn, "labels", "invalid label '%s'", kn->str);
				return -1;
			}
			if (labels_set(&j->extra, kn->str, kn->len, vn->str, vn->len) < 0)
				return -1;
		}
		/* As Prometheus: instance is the target unless labels say. */
		if (labels_get(&j->extra, "instance", NULL) == NULL &&
		    labels_set(&j->extra, "instance", 8, target, strlen(target)) < 0)
			return -1;
	}
	return 0;
}

/* --- one scrape -------------------------------------------------------- */

/* Target labels win over the agent's, whose clash becomes exported_NAME
 * (Prometheus' honor_labels: false). */
static int
add_extra(struct labels *ls, const struct labels *extra)
{
	struct buf name = BUF_INIT(4096);
	size_t i;
	int r = 0;

	for (i = 0; i < extra->n && r == 0; i++) {
		const char *n = labels_name(extra, i), *old;
		size_t vlen;

		old = labels_get(ls, n, &vlen);
		if (old != NULL) {
			struct buf keep = BUF_INIT(0);

			buf_reset(&name);
			r = buf_addf(&name, "exported_%s", n);
			if (r == 0)
				r = buf_add(&keep, old, vlen);
			if (r == 0)
				r = labels_set(ls, name.p, name.len, buf_cstr(&keep), keep.len);
			buf_free(&keep);
		}
		if (r == 0)
			r = labels_set(ls, n, strlen(n), labels_value(extra, i),
			    extra->v[i].vlen);
	}
	buf_free(&name);
	return r;
}

static int
meta_sample(struct sc_samples *out, const char *name, const char *help,
	    const char *module, double v)
{
	struct labels ls;
	int r;

	labels_init(&ls);
	r = labels_set(&ls, "module", 6, module, strlen(module));
	if (r == 0)
		r = sc_samples_add(out, name, strlen(name), help, NULL, 0, &ls, v);
	labels_free(&ls);
	return r;
}

/* Polls every module of j; samples of all modules go out sorted together,
 * as one snmp_exporter scrape of several modules. */
static int
scrape_job(const struct job *j, struct lineio_writer *w, int *failed,
	   struct pollstat *st)
{
	struct sc_samples out;
	struct labels ls;
	int64_t ts = clock_ms(), start = clock_mono_ms();
	const char *prev = NULL;
	uint64_t pdus = 0;
	size_t i;
	int r = 0, bad = 0, stopped;

	memset(&out, 0, sizeof(out));
	buf_init(&out.arena, 0);
	labels_init(&ls);
	for (i = 0; i < j->nmods && r == 0; i++) {
		const struct sc_module *m = j->mods[i];
		struct sc_cache *cache = j->caches ? &j->caches[i] : NULL;
		const struct sc_skip *skip = NULL;
		struct sc_scrape s;
		int64_t t0 = clock_mono_ms();
		double walk;

		memset(&s, 0, sizeof(s));
		if (cache != NULL)
			skip = sc_cache_skip(cache, t0, lookup_cache_ms);
		if (sc_snmp_scrape(j->target, j->auths[i], m, skip, &s) < 0) {
			log_error("scrape '%s' module '%s' failed: %s", j->target,
			    m->name, s.err);
			*failed = bad = 1;
			r = meta_sample(&out, "up", "", m->name, 0);
			if (r == 0)
				r = meta_sample(&out, "snmp_scrape_duration_seconds",
				    "Total SNMP time scrape took (walk and processing).",
				    m->name, (double)(clock_mono_ms() - t0) / 1000);
			sc_pdus_free(&s.pdus);
			continue;
		}
		walk = (double)(clock_mono_ms() - t0) / 1000;
		pdus += s.pdus.returned;
		if (cache != NULL)
			r = skip == NULL ? sc_cache_fill(cache, &s.pdus, t0) :
			    sc_cache_apply(cache, &s.pdus);
		sc_pdus_index(&s.pdus);
		if (r == 0)
			r = sc_render(m, &s.pdus, render_flags, &out);
		if (r == 0)
			r = meta_sample(&out, "snmp_scrape_walk_duration_seconds",
			    "Time SNMP walk/bulkwalk took.", m->name, walk);
		if (r == 0)
			r = meta_sample(&out, "snmp_scrape_packets_sent",
			    "Packets sent for get, bulkget, and walk; including retries.",
			    m->name, (double)s.packets);
		if (r == 0)
			r = meta_sample(&out, "snmp_scrape_packets_retried",
			    "Packets retried for get, bulkget, and walk.", m->name,
			    (double)s.retries);
		if (r == 0)
			r = meta_sample(&out, "snmp_scrape_pdus_returned",
			    "PDUs returned from get, bulkget, and walk.", m->name,
			    (double)s.pdus.returned);
		if (r == 0)
			r = meta_sample(&out, "up", "", m->name, 1);
		if (r == 0)
			r = meta_sample(&out, "snmp_scrape_duration_seconds",
			    "Total SNMP time scrape took (walk and processing).",
			    m->name, (double)(clock_mono_ms() - t0) / 1000);
		sc_pdus_free(&s.pdus);
	}
	if (r < 0) {
		log_errno("scrape '%s'", j->target);
		*failed = bad = 1;
	}
	/* A stop interrupts a request: what it left is no scrape. */
	stopped = sig_stop;
	if (stopped)
		sc_samples_free(&out);
	sc_samples_sort(&out);
	for (i = 0; i < out.n && r == 0; i++) {
		const struct sc_sample *sm = &out.v[i];

		if (prev == NULL || strcmp(prev, sm->name) != 0) {
			if (*sm->help)
				r = lineio_write_meta(w, META_HELP, sm->name, sm->help);
			if (r == 0 && strcmp(sm->name, "up") != 0)
				r = lineio_write_meta(w, META_TYPE, sm->name,
				    sm->counter ? "counter" : "gauge");
			prev = sm->name;
			if (r < 0)
				break;
		}
		r = labels_copy(&ls, &sm->ls);
		if (r == 0)
			r = add_extra(&ls, &j->extra);
		if (r == 0)
			r = labels_set(&ls, LABELS_NAME, strlen(LABELS_NAME), sm->name,
			    strlen(sm->name));
		if (r == 0)
			r = lineio_write_sample(w, &ls, sm->value, ts, 1);
	}
	if (r == 0)
		r = lineio_flush(w);
	/* A poll counts once its series are out. */
	if (!stopped) {
		stat_add(&st->pdus, pdus);
		__atomic_store_n(&st->duration_us,
		    (uint64_t)(clock_mono_ms() - start) * 1000, __ATOMIC_RELEASE);
		stat_add(&st->failures, (uint64_t)bad);
		/* last: the parent writes when polls moves */
		stat_add(&st->polls, 1);
	}
	labels_free(&ls);
	sc_samples_free(&out);
	return r;
}

/* --- modes ------------------------------------------------------------- */

static int
run_once(struct jobs *js, const char *stats_path)
{
	struct lineio_writer w;
	struct pollstat *st = calloc(js->n ? js->n : 1, sizeof(*st));
	size_t i;
	int failed = 0, rc = EXIT_OK;

	if (st == NULL) {
		log_errno("start");
		return EXIT_RUNTIME;
	}
	sc_snmp_init();
	lineio_writer_init(&w, STDOUT_FILENO, "stdout");
	for (i = 0; i < js->n; i++)
		if (scrape_job(&js->v[i], &w, &failed, &st[i]) < 0) {
			log_errno("write to standard output");
			rc = EXIT_RUNTIME;
			break;
		}
	lineio_writer_free(&w);
	if (stats_path != NULL)
		write_stats(stats_path, js, st);
	free(st);
	return rc != EXIT_OK ? rc : failed ? EXIT_RUNTIME : EXIT_OK;
}

/* One process per target, so a dead agent delays nobody else and
 * net-snmp's global state is never shared. */
static int
run_child(struct job *j, struct pollstat *st)
{
	struct lineio_writer w;
	int failed = 0, rc = EXIT_OK;

	sc_snmp_init();
	if (lookup_cache_ms > 0 && job_caches_init(j) < 0) {
		log_errno("lookup cache of '%s'", j->target);
		return EXIT_RUNTIME;
	}
	lineio_writer_init(&w, STDOUT_FILENO, "stdout");
	while (!sig_stop) {
		int64_t next = clock_mono_ms() + j->interval_ms, now;

		if (scrape_job(j, &w, &failed, st) < 0) {
			log_errno("write to standard output");
			rc = EXIT_RUNTIME;
			break;
		}
		while (!sig_stop && (now = clock_mono_ms()) < next)
			clock_sleep_ms(next - now);
	}
	lineio_writer_free(&w);
	job_caches_free(j);
	return rc;
}

/* The sum of the polls of all targets: the parent writes stats when it
 * moves. */
static uint64_t
polls_sum(const struct jobs *js, const struct pollstat *st)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < js->n; i++)
		n += stat_get(&st[i].polls);
	return n;
}

static int
run_loop(struct jobs *js, const char *stats_path)
{
	pid_t *pids = calloc(js->n ? js->n : 1, sizeof(*pids));
	size_t i, alive = 0, stsize = (js->n ? js->n : 1) * sizeof(struct pollstat);
	struct pollstat *st;
	uint64_t written = 0;
	int rc = EXIT_OK;

	if (pids == NULL) {
		log_errno("start");
		return EXIT_RUNTIME;
	}
	/* Shared with the children, which count; zero-filled by mmap. */
	st = mmap(NULL, stsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (st == MAP_FAILED) {
		log_errno("start");
		free(pids);
		return EXIT_RUNTIME;
	}
	if (stats_path != NULL)
		write_stats(stats_path, js, st);
	fflush(NULL);
	for (i = 0; i < js->n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			log_errno("fork for '%s'", js->v[i].target);
			rc = EXIT_RUNTIME;
			break;
		}
		if (pids[i] == 0)
			_exit(run_child(&js->v[i], &st[i]));
		alive++;
	}
	while (alive > 0) {
		int status;
		pid_t p;

		if (sig_stop || rc != EXIT_OK)
			for (i = 0; i < js->n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
		p = waitpid(-1, &status, stats_path ? WNOHANG : 0);
		if (stats_path != NULL && polls_sum(js, st) != written) {
			written = polls_sum(js, st);
			write_stats(stats_path, js, st);
		}
		if (p == 0) {
			clock_sleep_ms(STATS_CHECK_MS);
			continue;
		}
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < js->n; i++)
			if (pids[i] == p) {
				pids[i] = 0;
				alive--;
				if (!sig_stop && rc == EXIT_OK) {
					log_error("poller of '%s' ended", js->v[i].target);
					rc = EXIT_RUNTIME;
				}
			}
	}
	if (stats_path != NULL && polls_sum(js, st) != written)
		write_stats(stats_path, js, st);
	munmap(st, stsize);
	free(pids);
	return rc;
}

/* One -c: a file, or a glob(7) pattern for several, read in name order
 * (snmp_exporter's --config.file takes patterns too; a pattern that
 * matches nothing is a warning there and here). */
static int
load_config(struct sc_config *cfg, const char *pattern)
{
	glob_t g;
	size_t i;
	int r;

	if (strpbrk(pattern, "*?[") == NULL)
		return sc_config_load(cfg, pattern);
	r = glob(pattern, 0, NULL, &g);
	if (r == GLOB_NOMATCH) {
		log_warn("no file matches '%s'", pattern);
		return 0;
	}
	if (r != 0) {
		log_error("cannot read '%s': %s", pattern,
		    r == GLOB_NOSPACE ? "out of memory" : "read error");
		return -1;
	}
	for (i = 0, r = 0; i < g.gl_pathc && r == 0; i++)
		r = sc_config_load(cfg, g.gl_pathv[i]);
	globfree(&g);
	return r;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "auth", required_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'c' },
		{ "expand-env", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "lookup-cache", required_argument, NULL, 'L' },
		{ "module", required_argument, NULL, 'm' },
		{ "no-wrap-large-counters", no_argument, NULL, 'N' },
		{ "stats-file", required_argument, NULL, 'S' },
		{ "targets", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "wrap-large-counters", no_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	const char *slash = strrchr(argv[0], '/');
	const char **configs = calloc((size_t)argc, sizeof(*configs));
	const char *auth = NULL, *modules = NULL, *targets = NULL;
	const char *stats_path = NULL;
	struct sc_config cfg;
	struct ynode *troot = NULL;
	struct jobs js = { NULL, 0 };
	size_t nconfigs = 0, i;
	int c, rc = EXIT_CONFIG;

	log_init(slash ? slash + 1 : argv[0]);
	sc_config_init(&cfg);
	if (configs == NULL) {
		log_errno("start");
		return EXIT_RUNTIME;
	}
	while ((c = getopt_long(argc, argv, "a:c:hm:t:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			auth = optarg;
			break;
		case 'c':
			configs[nconfigs++] = optarg;
			break;
		case 'E':
			cfg.expand_env = 1;
			break;
		case 'h':
			usage(stdout);
			free(configs);
			return EXIT_OK;
		case 'L':
			if (parse_duration(optarg, strlen(optarg), &lookup_cache_ms) < 0 ||
			    lookup_cache_ms <= 0) {
				log_error("bad duration '%s' for --lookup-cache", optarg);
				free(configs);
				return EXIT_CONFIG;
			}
			break;
		case 'm':
			modules = optarg;
			break;
		case 'N':
			render_flags |= SC_NO_WRAP;
			break;
		case 'S':
			stats_path = optarg;
			break;
		case 't':
			targets = optarg;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case 'V':
			obs_print_version();
			free(configs);
			return EXIT_OK;
		case 'W':
			render_flags &= ~SC_NO_WRAP;
			break;
		default:
			usage(stderr);
			free(configs);
			return EXIT_CONFIG;
		}
	}
	argc -= optind;
	argv += optind;
	/* A cache lives across polls: only -t polls more than once. */
	if (nconfigs == 0 || (targets == NULL) == (modules == NULL) ||
	    (targets != NULL && (argc > 0 || auth != NULL)) ||
	    (targets == NULL && (argc == 0 || lookup_cache_ms > 0))) {
		usage(stderr);
		free(configs);
		return EXIT_CONFIG;
	}
	for (i = 0; i < nconfigs; i++)
		if (load_config(&cfg, configs[i]) < 0)
			goto out;
	if (targets != NULL) {
		if (load_targets(targets, &cfg, &js, &troot) < 0)
			goto out;
		if (sig_init() < 0) {
			log_errno("signals");
			rc = EXIT_RUNTIME;
			goto out;
		}
		rc = run_loop(&js, stats_path);
		goto out;
	}
	for (c = 0; c < argc; c++) {
		struct job *j = jobs_add(&js);

		if (j == NULL || job_modules(j, &cfg, modules, auth) < 0)
			goto out;
		j->target = argv[c];
		/* Several targets would give the same series: instance
		 * tells them apart (one target is snmp_exporter's output). */
		if (argc > 1 && labels_set(&j->extra, "instance", 8, argv[c],
		    strlen(argv[c])) < 0)
			goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = run_once(&js, stats_path);
out:
	jobs_free(&js);
	yconf_free(troot);
	sc_config_free(&cfg);
	free(configs);
	return rc;
}
