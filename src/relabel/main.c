/* main.c: relabel, Prometheus relabel_configs and log stages on a stream of obs lines. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "labels.h"
#include "lineio.h"
#include "log.h"
#include "obs.h"
#include "record.h"
#include "relabel.h"
#include "sig.h"
#include "stages.h"
#include "stats.h"
#include "yconf.h"
#include "banned.h"

#define STATS_INTERVAL_MS 10000

enum drop_reason { DROP_RULE, DROP_INVALID_NAME, DROP_MALFORMED, DROP_STAGE,
		   DROP_NREASONS };
static const char *const drop_names[] = { "rule", "invalid_name", "malformed",
    "stage" };

/* The metadata of the metric family being read, held until a sample of
 * it is kept, so a family whose samples all go loses its # lines too. */
struct family {
	struct buf name;
	struct buf pending;	/* raw # TYPE/HELP/UNIT lines, each with \n */
	int open;
	int emitted;
	int had_sample;
};

struct relabel_prog {
	struct relabel_rules rules;
	struct stages *stages;
	struct labels ext;		/* external labels */
	struct labels orig;		/* the set before the rules, to compare */
	struct lineio_writer w;
	struct record rec;
	struct family fam;
	const char *stats_path;
	int64_t next_stats;
	unsigned long lines_in;
	unsigned long bad_done;	/* bad lines of inputs already closed */
	unsigned long dropped[DROP_NREASONS];
	int out_failed;		/* stdout is gone: stop at once */
};

static const char usage_text[] =
    "usage: relabel [-hv] [-c FILE] [-l NAME=VALUE]... [--stats-file PATH] "
    "[--version] [FILE...]\n";

static void
usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Stage drops counted per drop_counter_reason, as Promtail does; the
 * reasons are few and fixed by the config, so a list will do. */
struct stage_count {
	const char *reason;
	unsigned long n;
};

static struct stage_count *stage_counts;
static size_t nstage_counts;

static void
count_stage(const char *reason)
{
	struct stage_count *nv;
	size_t i;

	for (i = 0; i < nstage_counts; i++)
		if (strcmp(stage_counts[i].reason, reason) == 0) {
			stage_counts[i].n++;
			return;
		}
	nv = realloc(stage_counts, (nstage_counts + 1) * sizeof(*nv));
	if (nv == NULL)
		return;
	stage_counts = nv;
	stage_counts[nstage_counts].reason = reason;
	stage_counts[nstage_counts++].n = 1;
}

static void
write_stats(struct relabel_prog *p, unsigned long bad_now)
{
	struct buf b = BUF_INIT(0);
	char lab[256];
	size_t i;
	int r;

	if (p->stats_path == NULL)
		return;
	p->dropped[DROP_MALFORMED] = p->bad_done + bad_now;
	r = stats_add(&b, "obs_relabel_lines_in_total", "counter",
	    "Lines read, malformed ones included.", "",
	    (double)(p->lines_in + p->bad_done + bad_now));
	r |= stats_add(&b, "obs_relabel_lines_out_total", "counter",
	    "Lines written.", "", (double)p->w.lines);
	for (i = 0; i < DROP_NREASONS; i++) {
		snprintf(lab, sizeof(lab), "reason=\"%s\"", drop_names[i]);
		r |= stats_add(&b, "obs_relabel_dropped_total", "counter",
		    "Lines dropped, by reason.", lab, (double)p->dropped[i]);
	}
	for (i = 0; i < nstage_counts; i++) {
		struct buf l = BUF_INIT(sizeof(lab));

		if (buf_addstr(&l, "reason=\"") == 0 &&
		    label_escape(&l, stage_counts[i].reason,
		    strlen(stage_counts[i].reason)) == 0 &&
		    buf_addch(&l, '"') == 0)
			r |= stats_add(&b, "obs_relabel_stage_dropped_total",
			    "counter", "Log entries dropped by drop stages, by "
			    "drop_counter_reason.", buf_cstr(&l),
			    (double)stage_counts[i].n);
		buf_free(&l);
	}
	if (r != 0 || stats_write(p->stats_path, &b) < 0)
		log_errno("write stats '%s'", p->stats_path);
	buf_free(&b);
	p->next_stats = clock_mono_ms() + STATS_INTERVAL_MS;
}

/* Loads -c FILE; every error is reported with file, line and key. */
static int
load_config(struct relabel_prog *p, const char *path)
{
	static const char *const keys[] = { "external_labels",
	    "relabel_configs", "stages", NULL };
	const struct ynode *ext = NULL;
	struct ynode *root;
	size_t i;
	int rc = -1;

	root = yconf_load(path);
	if (root == NULL)
		return -1;
	if (ynode_is_null(root)) {
		yconf_free(root);
		return 0;
	}
	if (yconf_check_keys(root, keys) < 0 ||
	    relabel_load(&p->rules, ynode_get(root, "relabel_configs")) < 0 ||
	    stages_load(&p->stages, ynode_get(root, "stages")) < 0 ||
	    yconf_map(root, "external_labels", &ext) < 0)
		goto out;
	for (i = 0; ext && i < ext->n; i++) {
		const struct ynode *k = ext->items[i], *v = ext->vals[i];

		if (!label_name_valid(k->str, k->len)) {
			yconf_error(k, "external_labels",
			    "invalid label name '%s'", k->str);
			goto out;
		}
		if (v->type != YNODE_SCALAR) {
			yconf_error(v, k->str, "expected a string");
			goto out;
		}
		if (!ynode_is_null(v) &&
		    labels_set(&p->ext, k->str, k->len, v->str, v->len) < 0) {
			log_errno("config '%s'", path);
			goto out;
		}
	}
	rc = 0;
out:
	yconf_free(root);
	return rc;
}

static int
parse_label_arg(struct relabel_prog *p, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);

	if (eq == NULL || !label_name_valid(arg, nlen)) {
		log_error("-l '%s': expected NAME=VALUE with a valid label name",
		    arg);
		return -1;
	}
	if (labels_set(&p->ext, arg, nlen, eq + 1, strlen(eq + 1)) < 0) {
		log_errno("-l '%s'", arg);
		return -1;
	}
	return 0;
}

/* 1 if the set holds what labels_drop_internal() would remove. */
static int
has_internal(const struct labels *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		const char *n = labels_name(ls, i);

		if (ls->v[i].vlen == 0)
			return 1;
		if (n[0] == '_' && n[1] == '_' && strcmp(n, LABELS_NAME) != 0)
			return 1;
	}
	return 0;
}

/* Adds the external labels the set lacks; returns how many, -1 on ENOMEM. */
static int
add_external(struct relabel_prog *p, struct labels *ls)
{
	size_t i;
	int added = 0;

	for (i = 0; i < p->ext.n; i++) {
		const char *n = labels_name(&p->ext, i);

		if (labels_find(ls, n, p->ext.v[i].nlen) >= 0)
			continue;
		if (labels_set(ls, n, p->ext.v[i].nlen,
		    labels_value(&p->ext, i), p->ext.v[i].vlen) < 0)
			return -1;
		added++;
	}
	return added;
}

/* Suffixes of the series of one family (histograms, summaries, counters). */
static int
in_family(const char *name, size_t nlen, const struct buf *fam)
{
	static const char *const sfx[] = { "_bucket", "_count", "_sum",
	    "_total", "_created", "_info", "_gcount", "_gsum" };
	size_t i;

	if (nlen < fam->len || memcmp(name, fam->p, fam->len) != 0)
		return 0;
	if (nlen == fam->len)
		return 1;
	for (i = 0; i < ARRAY_SIZE(sfx); i++)
		if (nlen - fam->len == strlen(sfx[i]) &&
		    memcmp(name + fam->len, sfx[i], nlen - fam->len) == 0)
			return 1;
	return 0;
}

static int
family_emit(struct relabel_prog *p)
{
	struct family *f = &p->fam;
	size_t off = 0;

	while (off < f->pending.len) {
		const char *l = f->pending.p + off;
		const char *nl = memchr(l, '\n', f->pending.len - off);
		size_t n = (size_t)(nl - l);

		if (lineio_write_raw(&p->w, l, n) < 0)
			return -1;
		off += n + 1;
	}
	buf_reset(&f->pending);
	f->emitted = 1;
	return 0;
}

/* Ends the family; metadata of a family without any sample is kept. */
static int
family_close(struct relabel_prog *p)
{
	struct family *f = &p->fam;
	int r = 0;

	if (f->open && !f->emitted && !f->had_sample)
		r = family_emit(p);
	buf_reset(&f->pending);
	f->open = 0;
	return r;
}

static int
on_meta(struct relabel_prog *p, const struct record *rec)
{
	struct family *f = &p->fam;

	if (!f->open || f->name.len != rec->meta_name.len ||
	    memcmp(f->name.p, rec->meta_name.p, f->name.len) != 0) {
		if (family_close(p) < 0)
			return -1;
		buf_reset(&f->name);
		if (buf_add(&f->name, rec->meta_name.p, rec->meta_name.len) < 0)
			return -1;
		f->open = 1;
		f->emitted = 0;
		f->had_sample = 0;
	}
	if (f->emitted)
		return lineio_write_raw(&p->w, rec->raw, rec->raw_len);
	if (buf_add(&f->pending, rec->raw, rec->raw_len) < 0 ||
	    buf_addch(&f->pending, '\n') < 0)
		return -1;
	return 0;
}

static int
on_sample(struct relabel_prog *p, struct record *rec)
{
	struct labels *ls = &rec->labels;
	struct family *f = &p->fam;
	const char *name;
	size_t nlen = 0;
	int changed = 0, r, mine = 0;

	name = labels_get(ls, LABELS_NAME, &nlen);
	if (f->open) {
		mine = name && in_family(name, nlen, &f->name);
		if (mine)
			f->had_sample = 1;
		else if (family_close(p) < 0)
			return -1;
	}
	if (p->rules.n) {
		if (labels_copy(&p->orig, ls) < 0)
			return -1;
		r = relabel_apply(&p->rules, ls);
		if (r < 0)
			return -1;
		if (r == 0) {
			p->dropped[DROP_RULE]++;
			return 0;
		}
		name = labels_get(ls, LABELS_NAME, &nlen);
		if (name == NULL || !metric_name_valid(name, nlen)) {
			p->dropped[DROP_INVALID_NAME]++;
			return 0;
		}
	}
	if (has_internal(ls)) {
		labels_drop_internal(ls);
		changed = 1;
	}
	if ((r = add_external(p, ls)) < 0)
		return -1;
	changed |= r > 0;
	if (p->rules.n && !changed)
		changed = labels_cmp(&p->orig, ls) != 0;
	if (mine && !f->emitted && family_emit(p) < 0)
		return -1;
	if (!changed)
		return lineio_write_raw(&p->w, rec->raw, rec->raw_len);
	return lineio_write_record(&p->w, rec);
}

static int
on_log(struct relabel_prog *p, struct record *rec)
{
	struct labels *ls = &rec->labels;
	const char *reason = NULL;
	int changed = 0, r;

	if (p->rules.n) {
		if (labels_copy(&p->orig, ls) < 0)
			return -1;
		r = relabel_apply(&p->rules, ls);
		if (r < 0)
			return -1;
		if (r == 0) {
			p->dropped[DROP_RULE]++;
			return 0;
		}
	}
	if (p->stages) {
		r = stages_apply(p->stages, ls, &rec->ts, &rec->text, &reason);
		if (r < 0)
			return -1;
		if (r == 0) {
			p->dropped[DROP_STAGE]++;
			count_stage(reason);
			return 0;
		}
		changed = 1;
	}
	if (has_internal(ls)) {
		labels_drop_internal(ls);
		changed = 1;
	}
	if ((r = add_external(p, ls)) < 0)
		return -1;
	changed |= r > 0;
	if (p->rules.n && !changed)
		changed = labels_cmp(&p->orig, ls) != 0;
	if (!changed)
		return lineio_write_raw(&p->w, rec->raw, rec->raw_len);
	return lineio_write_record(&p->w, rec);
}

/*
 * Waits for input when none is buffered: flushes stdout first so nothing
 * sits in our buffer while the pipe is idle, and writes the stats file
 * on time while waiting.  Returns -1 on a write error.
 */
static int
wait_input(struct relabel_prog *p, struct lineio_reader *r)
{
	struct pollfd pfd = { r->fd, POLLIN, 0 };
	int n;

	if (lineio_pending(r))
		return 0;
	n = poll(&pfd, 1, 0);
	if (n != 0)
		return 0;
	if (lineio_flush(&p->w) < 0)
		return -1;
	while (!sig_stop) {
		int timeout = -1;

		if (p->stats_path) {
			int64_t left = p->next_stats - clock_mono_ms();

			if (left <= 0) {
				write_stats(p, r->bad);
				continue;
			}
			timeout = (int)left;
		}
		n = poll(&pfd, 1, timeout);
		if (n != 0)
			break;
	}
	return 0;
}

static int
write_failed(struct relabel_prog *p)
{
	log_errno("write 'stdout'");
	p->out_failed = 1;
	return EXIT_RUNTIME;
}

/* Reads one input to its end; returns an exit status. */
static int
run_input(struct relabel_prog *p, int fd, const char *name)
{
	struct lineio_reader r;
	unsigned long since = 0;
	int status = EXIT_OK;

	lineio_reader_init(&r, fd, name);
	while (!sig_stop) {
		int rc, w = 0;

		if (wait_input(p, &r) < 0) {
			status = write_failed(p);
			break;
		}
		if (sig_stop)
			break;
		rc = lineio_read(&r, &p->rec);
		if (rc == LINEIO_EOF)
			break;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			log_errno("read '%s'", name);
			status = EXIT_RUNTIME;
			break;
		}
		p->lines_in++;
		switch (p->rec.kind) {
		case REC_SAMPLE:
			w = on_sample(p, &p->rec);
			break;
		case REC_LOG:
			w = on_log(p, &p->rec);
			break;
		case REC_COMMENT:
			if (p->rec.meta != META_NONE)
				w = on_meta(p, &p->rec);
			else
				w = lineio_write_raw(&p->w, p->rec.raw,
				    p->rec.raw_len);
			break;
		}
		if (w < 0) {
			if (errno == ENOMEM || errno == EMSGSIZE)
				log_errno("'%s' line %lu", name, r.lineno);
			else
				write_failed(p);
			status = EXIT_RUNTIME;
			break;
		}
		if (p->stats_path && ++since >= 1024) {
			since = 0;
			if (clock_mono_ms() >= p->next_stats)
				write_stats(p, r.bad);
		}
	}
	if (status == EXIT_OK && family_close(p) < 0)
		status = write_failed(p);
	p->fam.open = 0;
	p->bad_done += r.bad;
	lineio_reader_free(&r);
	return status;
}

static int
run(struct relabel_prog *p, int argc, char **argv)
{
	static char *const stdin_only[] = { "-", NULL };
	int status = EXIT_OK, i;

	if (argc == 0) {
		argv = (char **)stdin_only;
		argc = 1;
	}
	for (i = 0; i < argc && !sig_stop; i++) {
		int fd = STDIN_FILENO, s;

		if (strcmp(argv[i], "-") != 0) {
			fd = open(argv[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				log_errno("open '%s'", argv[i]);
				status = EXIT_RUNTIME;
				continue;
			}
		}
		s = run_input(p, fd, strcmp(argv[i], "-") ? argv[i] : "stdin");
		if (fd != STDIN_FILENO)
			close(fd);
		if (s != EXIT_OK) {
			status = s;
			/* A closed stdout ends the run; a bad input does not. */
			if (p->out_failed)
				return status;
		}
	}
	if (lineio_flush(&p->w) < 0)
		status = write_failed(p);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "label", required_argument, NULL, 'l' },
		{ "stats-file", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct relabel_prog p;
	struct labels cli;
	const char *config = NULL;
	int c, status = EXIT_CONFIG;
	size_t i;

	log_init(argv[0]);
	memset(&p, 0, sizeof(p));
	relabel_init(&p.rules);
	labels_init(&p.ext);
	labels_init(&p.orig);
	labels_init(&cli);
	record_init(&p.rec);
	buf_init(&p.fam.name, OBS_LINE_MAX);
	buf_init(&p.fam.pending, OBS_LINE_MAX);
	while ((c = getopt_long(argc, argv, "c:hl:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			status = EXIT_OK;
			goto out;
		case 'l':
			if (parse_label_arg(&p, optarg) < 0)
				goto out;
			break;
		case 'S':
			p.stats_path = optarg;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case 'V':
			obs_print_version();
			status = EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	argc -= optind;
	argv += optind;

	/* -l wins over external_labels of the file: apply the file first. */
	if (config) {
		if (labels_copy(&cli, &p.ext) < 0) {
			log_errno("-l");
			goto out;
		}
		labels_reset(&p.ext);
		if (load_config(&p, config) < 0)
			goto out;
		for (i = 0; i < cli.n; i++)
			if (labels_set(&p.ext, labels_name(&cli, i),
			    cli.v[i].nlen, labels_value(&cli, i),
			    cli.v[i].vlen) < 0) {
				log_errno("-l");
				goto out;
			}
	}
	if (sig_init() < 0) {
		log_errno("signals");
		status = EXIT_RUNTIME;
		goto out;
	}
	lineio_writer_init(&p.w, STDOUT_FILENO, "stdout");
	p.next_stats = clock_mono_ms() + STATS_INTERVAL_MS;

	status = run(&p, argc, argv);

	write_stats(&p, 0);
	lineio_writer_free(&p.w);
out:
	record_free(&p.rec);
	relabel_free(&p.rules);
	stages_free(p.stages);
	labels_free(&p.ext);
	labels_free(&p.orig);
	labels_free(&cli);
	buf_free(&p.fam.name);
	buf_free(&p.fam.pending);
	free(stage_counts);
	return status;
}
