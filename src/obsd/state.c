/* state.c: what a running obsd publishes (state file, obs_obsd_* stats) and `obsd status`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomicfile.h"
#include "buf.h"
#include "clock.h"
#include "expo.h"
#include "labels.h"
#include "log.h"
#include "obs.h"
#include "obsd.h"
#include "parse.h"
#include "record.h"
#include "stats.h"
#include "value.h"
#include "banned.h"

#define STATE_MAX (1024 * 1024)
#define STATS_FILE_MAX (1024 * 1024)

static int64_t started_wall;

/* The base name of the config file without .yml or .yaml: "obsd". */
static int
config_name(const struct opts *o, struct buf *out)
{
	const char *base = strrchr(o->config, '/');
	size_t n;

	base = base ? base + 1 : o->config;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
		n -= 4;
	else if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
		n -= 5;
	return buf_add(out, base, n);
}

int
state_path(const struct opts *o, struct buf *out)
{
	if (buf_addf(out, "%s/", o->run_dir) < 0 || config_name(o, out) < 0 ||
	    buf_addstr(out, ".state") < 0)
		return -1;
	return 0;
}

int
stats_member_path(const struct opts *o, const char *pipeline,
		  const char *member, struct buf *out)
{
	return buf_addf(out, "%s/%s-%s.prom", o->stats_dir, pipeline, member);
}

static const char *
mstate(const struct member *m)
{
	const struct pipeline *pl = m->pl;

	if (m->pid > 0)
		return m->gone || (pl->stopping && m->stage <= pl->stage) ?
		    "stopping" : "running";
	return m->respawn_at ? "backoff" : "stopped";
}

/* A file that cannot be written is reported once until it can again. */
static void
warn_once(int *warned, int r, const char *what, const char *path)
{
	if (r < 0 && !*warned)
		log_errno("warning: write %s '%s'", what, path);
	*warned = r < 0;
}

int
state_write(const struct opts *o, struct pipeline **pl, size_t n)
{
	static int warned;
	struct buf b = BUF_INIT(STATE_MAX), path = BUF_INIT(0);
	int64_t now = clock_mono_ms(), wall = clock_ms();
	size_t i, j;
	int r;

	if (started_wall == 0)
		started_wall = wall;
	r = buf_addf(&b, "obsd-state 1\npid %ld\nstarted %lld\nconfig %s\n"
	    "stats_dir %s\n", (long)getpid(), (long long)started_wall,
	    o->config_abs, o->stats_dir ? o->stats_dir : "-");
	for (i = 0; i < n && r == 0; i++)
		for (j = 0; j < pl[i]->n && r == 0; j++) {
			const struct member *m = pl[i]->m[j];
			char last[32] = "-";

			if (m->gone && m->pid == 0)
				continue;
			if (m->exited && WIFEXITED(m->last_status))
				snprintf(last, sizeof(last), "%d",
				    WEXITSTATUS(m->last_status));
			else if (m->exited && WIFSIGNALED(m->last_status))
				snprintf(last, sizeof(last), "SIG%s",
				    sigabbrev_np(WTERMSIG(m->last_status)) ?
				    sigabbrev_np(WTERMSIG(m->last_status)) :
				    "?");
			r = buf_addf(&b, "member %s %s %s %ld %s %lld %lu %s "
			    "%lld\n", pl[i]->name, m->name, role_name(m->role),
			    (long)m->pid, mstate(m),
			    (long long)(m->pid > 0 ? m->started_wall : 0),
			    m->restarts, last, (long long)(m->pid == 0 &&
			    m->respawn_at ? wall + m->respawn_at - now : 0));
		}
	if (r < 0 || state_path(o, &path) < 0) {
		log_errno("state");
		goto out;
	}
	if (mkdir(o->run_dir, 0755) < 0 && errno != EEXIST) {
		r = -1;
	} else if (atomicfile_write(path.p, b.p, b.len) < 0) {
		r = -1;
	}
	/* Supervision goes on; only `obsd status` is blind. */
	warn_once(&warned, r, "state", path.p);
out:
	buf_free(&b);
	buf_free(&path);
	return r;
}

void
state_remove(const struct opts *o)
{
	struct buf path = BUF_INIT(0);

	if (state_path(o, &path) == 0 && unlink(path.p) < 0 && errno != ENOENT)
		log_errno("remove '%s'", path.p);
	buf_free(&path);
}

int
stats_publish(const struct opts *o, struct pipeline **pl, size_t n)
{
	static int warned;
	struct buf b = BUF_INIT(0), path = BUF_INIT(0), lab = BUF_INIT(0);
	static const char *const names[] = { "obs_obsd_member_up",
	    "obs_obsd_member_restarts_total",
	    "obs_obsd_member_last_exit_status" };
	size_t i, j, k, x;
	int r = 0;

	if (o->stats_dir == NULL)
		return 0;
	for (k = 0; k < ARRAY_SIZE(names) && r == 0; k++)
		for (i = 0; i < n && r == 0; i++) {
			/* A pipeline being replaced has a successor: skip it,
			 * one series per pipeline and member. */
			for (x = 0; pl[i]->stopping && x < n; x++)
				if (x != i && !pl[x]->stopping &&
				    strcmp(pl[x]->name, pl[i]->name) == 0)
					break;
			if (pl[i]->stopping && x < n)
				continue;
			for (j = 0; j < pl[i]->n && r == 0; j++) {
				const struct member *m = pl[i]->m[j];
				int st = m->last_status;
				double v;

				if (m->gone)
					continue;
				buf_reset(&lab);
				r = buf_addf(&lab, "member=\"%s\",pipeline=\"%s\"",
				    m->name, pl[i]->name);
				if (k == 0) {
					r |= stats_add(&b, names[k], "gauge",
					    "1 if the member runs, else 0.",
					    lab.p, m->pid > 0);
				} else if (k == 1) {
					r |= stats_add(&b, names[k], "counter",
					    "Times the member was restarted.",
					    lab.p, (double)m->restarts);
				} else if (m->exited) {
					v = WIFEXITED(st) ? WEXITSTATUS(st) :
					    WIFSIGNALED(st) ? 128 + WTERMSIG(st) :
					    -1;
					r |= stats_add(&b, names[k], "gauge",
					    "Exit status of the member's last "
					    "exit (128+N: killed by signal N).",
					    lab.p, v);
				}
			}
		}
	if (r != 0 || buf_addf(&path, "%s/obsd-", o->stats_dir) < 0 ||
	    config_name(o, &path) < 0 || buf_addstr(&path, ".prom") < 0) {
		log_errno("stats");
		r = -1;
		goto out;
	}
	r = stats_write(path.p, &b);
	warn_once(&warned, r, "stats", path.p);
out:
	buf_free(&b);
	buf_free(&path);
	buf_free(&lab);
	return r;
}

/* ---- obsd status -------------------------------------------------------- */

#define NCOLS 9

struct table {
	char **cell;		/* rows * NCOLS strings */
	size_t rows;
	size_t width[NCOLS];
};

static int
table_add(struct table *t, char *const row[NCOLS])
{
	char **nv = realloc(t->cell, (t->rows + 1) * NCOLS * sizeof(*nv));
	size_t i;

	if (nv == NULL)
		return -1;
	t->cell = nv;
	for (i = 0; i < NCOLS; i++) {
		size_t n = strlen(row[i]);

		if ((nv[t->rows * NCOLS + i] = strdup(row[i])) == NULL)
			return -1;	/* freed up to here by table_free */
		if (n > t->width[i])
			t->width[i] = n;
	}
	t->rows++;
	return 0;
}

static void
table_print(const struct table *t)
{
	size_t r, i;

	for (r = 0; r < t->rows; r++) {
		for (i = 0; i < NCOLS; i++) {
			const char *c = t->cell[r * NCOLS + i];

			if (i == NCOLS - 1)
				printf("%s\n", c);
			else
				printf("%-*s  ", (int)t->width[i], c);
		}
	}
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->rows * NCOLS; i++)
		free(t->cell[i]);
	free(t->cell);
}

/* "45s", "3m12s", "2h5m", "4d3h". */
static void
fmt_dur(char *dst, size_t n, int64_t ms)
{
	long long s = ms < 0 ? 0 : ms / 1000;

	if (s < 60)
		snprintf(dst, n, "%llds", s);
	else if (s < 3600)
		snprintf(dst, n, "%lldm%llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(dst, n, "%lldh%lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(dst, n, "%lldd%lldh", s / 86400, s % 86400 / 3600);
}

static int
ends_with(const char *s, size_t n, const char *sfx)
{
	size_t k = strlen(sfx);

	return n >= k && memcmp(s + n - k, sfx, k) == 0;
}

/*
 * Lines through a member, from its stats file: a sink's lines or samples
 * read (obs_*_lines_in_total, obs_*_samples_in_total), anyone else's lines
 * written (obs_*_lines_out_total); "-" when the file says neither.
 */
static void
member_lines(const struct opts *o, const char *pipeline, const char *member,
	     const char *role, char *dst, size_t n)
{
	struct buf path = BUF_INIT(0);
	struct expo ex;
	struct record rec;
	char *data = NULL, *line, *next;
	int sink = strcmp(role, "sink") == 0;

	snprintf(dst, n, "-");
	expo_init(&ex, 0);
	record_init(&rec);
	if (o->stats_dir == NULL ||
	    stats_member_path(o, pipeline, member, &path) < 0 ||
	    file_read_all(path.p, STATS_FILE_MAX, &data, NULL) < 0)
		goto out;
	for (line = data; line && *line; line = next) {
		const char *err, *name;
		size_t col, len;

		next = strchr(line, '\n');
		len = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		if (expo_parse_line(&ex, line, len, &rec, &err, &col) !=
		    EXPO_SAMPLE)
			continue;
		name = labels_get(&rec.labels, LABELS_NAME, &len);
		if (name == NULL || strncmp(name, "obs_", 4) != 0)
			continue;
		if (sink ? !ends_with(name, len, "_lines_in_total") &&
		    !ends_with(name, len, "_samples_in_total") :
		    !ends_with(name, len, "_lines_out_total"))
			continue;
		snprintf(dst, n, "%.0f", rec.value);
		break;
	}
out:
	record_free(&rec);
	expo_free(&ex);
	free(data);
	buf_free(&path);
}

/* Splits line at blanks into at most max fields; returns how many. */
static size_t
split_fields(char *line, char **f, size_t max)
{
	size_t k = 0;

	while (*line && k < max) {
		while (*line == ' ')
			line++;
		if (*line == '\0')
			break;
		f[k++] = line;
		while (*line && *line != ' ')
			line++;
		if (*line)
			*line++ = '\0';
	}
	return k;
}

static int
field_i64(const char *s, int64_t *out)
{
	return parse_i64(s, strlen(s), 0, INT64_MAX, out);
}

static int
status_member(const struct opts *o, struct table *t, char **f, int64_t wall)
{
	char *row[NCOLS], state[48], up[32], lines[32];
	int64_t started, respawn;

	if (field_i64(f[6], &started) < 0 || field_i64(f[9], &respawn) < 0)
		return -1;
	snprintf(state, sizeof(state), "%s", f[5]);
	if (strcmp(f[5], "backoff") == 0) {
		fmt_dur(up, sizeof(up), respawn - wall + 999);
		snprintf(state, sizeof(state), "backoff(%s)", up);
	}
	if (started > 0)
		fmt_dur(up, sizeof(up), wall - started);
	else
		snprintf(up, sizeof(up), "-");
	member_lines(o, f[1], f[2], f[3], lines, sizeof(lines));
	row[0] = f[1];
	row[1] = f[2];
	row[2] = f[3];
	row[3] = strcmp(f[4], "0") == 0 ? (char *)"-" : f[4];
	row[4] = state;
	row[5] = up;
	row[6] = f[7];
	row[7] = f[8];
	row[8] = lines;
	return table_add(t, row);
}

int
status_print(const struct opts *o)
{
	static char *const head[NCOLS] = { "PIPELINE", "MEMBER", "ROLE", "PID",
	    "STATE", "UPTIME", "RESTARTS", "LAST_EXIT", "LINES" };
	struct buf path = BUF_INIT(0), stats_dir = BUF_INIT(0);
	struct table t;
	struct opts so = *o;
	char *data = NULL, *line, *next, *f[10], up[32];
	const char *config = "?";
	int64_t pid = 0, started = 0, wall = clock_ms();
	int rc = EXIT_RUNTIME;

	memset(&t, 0, sizeof(t));
	if (state_path(o, &path) < 0) {
		log_errno("state");
		goto out;
	}
	if (file_read_all(path.p, STATE_MAX, &data, NULL) < 0) {
		if (errno == ENOENT)
			log_error("no obsd runs for '%s' (no state file '%s')",
			    o->config, path.p);
		else
			log_errno("read '%s'", path.p);
		goto out;
	}
	if (table_add(&t, head) < 0)
		goto oom;
	for (line = data; line && *line; line = next) {
		size_t k;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "config ", 7) == 0) {
			config = line + 7;
			continue;
		}
		if (strncmp(line, "stats_dir ", 10) == 0) {
			if (strcmp(line + 10, "-") != 0) {
				buf_reset(&stats_dir);
				if (buf_addstr(&stats_dir, line + 10) < 0)
					goto oom;
				so.stats_dir = stats_dir.p;
			} else {
				so.stats_dir = NULL;
			}
			continue;
		}
		k = split_fields(line, f, 10);
		if (k == 2 && strcmp(f[0], "pid") == 0 && field_i64(f[1], &pid) == 0)
			continue;
		if (k == 2 && strcmp(f[0], "started") == 0 &&
		    field_i64(f[1], &started) == 0)
			continue;
		if (k == 2 && strcmp(f[0], "obsd-state") == 0)
			continue;
		if (k == 10 && strcmp(f[0], "member") == 0 &&
		    status_member(&so, &t, f, wall) == 0)
			continue;
		if (k == 10 && strcmp(f[0], "member") == 0 && errno == ENOMEM)
			goto oom;
		log_error("%s: unreadable state line '%s'", path.p, line);
		goto out;
	}
	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
		log_error("no obsd runs for '%s' (pid %lld in '%s' is gone)",
		    o->config, (long long)pid, path.p);
		goto out;
	}
	fmt_dur(up, sizeof(up), wall - started);
	printf("obsd pid %lld, up %s, config %s\n", (long long)pid, up, config);
	table_print(&t);
	if (fflush(stdout) != 0) {
		log_errno("stdout");
		goto out;
	}
	rc = EXIT_OK;
	goto out;
oom:
	log_errno("status");
out:
	table_free(&t);
	free(data);
	buf_free(&path);
	buf_free(&stats_dir);
	return rc;
}
