/* super.c: the supervisor: pipes held by obsd, members spawned, reaped, restarted and drained. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "labels.h"
#include "log.h"
#include "obs.h"
#include "obsd.h"
#include "banned.h"

/* After SIGKILL, how long a stop waits for the exit before moving on. */
#define KILL_GRACE_MS 2000
/* A member's stderr line longer than this is cut into pieces. */
#define ERRLINE_MAX 4096

static const struct opts *opt;
static struct pipeline **pls;
static size_t npls;
static sigset_t oldmask;
static int devnull = -1;
static int dirty;		/* the state changed: publish it */
static int killed_any;		/* a stop had to SIGKILL someone */

static int64_t
now_ms(void)
{
	return clock_mono_ms();
}

/* ---- members' stderr ---------------------------------------------------- */

static void
errline_emit(struct member *m, const char *s, size_t n)
{
	struct buf line = BUF_INIT(0);
	const char *p;
	size_t left;

	if (buf_addf(&line, "%s/%s: ", m->pl->name, m->name) < 0 ||
	    buf_add(&line, s, n) < 0 || buf_addch(&line, '\n') < 0) {
		buf_free(&line);
		return;
	}
	/* One write(2) per line, so lines of members never mix. */
	for (p = line.p, left = line.len; left > 0;) {
		ssize_t w = write(STDERR_FILENO, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	buf_free(&line);
}

/* Reads what is there; whole lines go out, a partial one waits (or flush). */
static void
errpipe_read(struct member *m, int flush)
{
	char chunk[16384];
	size_t start, i;

	for (;;) {
		ssize_t r = read(m->errfd[0], chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf_add(&m->errline, chunk, (size_t)r) < 0)
			break;
		start = 0;
		for (i = 0; i < m->errline.len; i++) {
			if (m->errline.p[i] != '\n' && i - start < ERRLINE_MAX)
				continue;
			errline_emit(m, m->errline.p + start, i - start);
			start = m->errline.p[i] == '\n' ? i + 1 : i;
		}
		buf_consume(&m->errline, start);
	}
	if (flush && m->errline.len > 0) {
		errline_emit(m, m->errline.p, m->errline.len);
		buf_reset(&m->errline);
	}
}

/* ---- members and pipelines ---------------------------------------------- */

static void
fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
member_free(struct member *m)
{
	fd_close(&m->errfd[0]);
	fd_close(&m->errfd[1]);
	free(m->name);
	spec_free(&m->spec);
	buf_free(&m->errline);
	free(m);
}

static struct member *
member_new(struct pipeline *pl, const struct mconf *mc, size_t stage)
{
	struct member *m = calloc(1, sizeof(*m)), **nv;

	if (m == NULL)
		return NULL;
	m->errfd[0] = m->errfd[1] = -1;
	buf_init(&m->errline, 2 * ERRLINE_MAX + 16384);
	m->pl = pl;
	m->role = mc->role;
	m->stage = stage;
	if ((m->name = strdup(mc->name)) == NULL ||
	    spec_copy(&m->spec, &mc->spec) < 0 ||
	    pipe2(m->errfd, O_CLOEXEC) < 0 ||
	    fcntl(m->errfd[0], F_SETFL, O_NONBLOCK) < 0)
		goto fail;
	nv = realloc(pl->m, (pl->n + 1) * sizeof(*nv));
	if (nv == NULL)
		goto fail;
	pl->m = nv;
	pl->m[pl->n++] = m;
	return m;
fail:
	log_errno("%s/%s", pl->name, mc->name);
	member_free(m);
	return NULL;
}

static void
pipeline_free(struct pipeline *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		member_free(pl->m[i]);
	for (i = 0; pl->pipes && i <= pl->nfilt; i++) {
		fd_close(&pl->pipes[i][0]);
		fd_close(&pl->pipes[i][1]);
	}
	free(pl->pipes);
	free(pl->m);
	free(pl->name);
	free(pl);
}

/* OBS_STATS_LABELS=pipeline="P",member="M" for lib/stats.c; the child only. */
static int
stats_labels_setenv(const struct member *m)
{
	struct buf b = BUF_INIT(4096);
	int r;

	r = buf_addstr(&b, "pipeline=\"") < 0 ||
	    label_escape(&b, m->pl->name, strlen(m->pl->name)) < 0 ||
	    buf_addstr(&b, "\",member=\"") < 0 ||
	    label_escape(&b, m->name, strlen(m->name)) < 0 ||
	    buf_addch(&b, '"') < 0 ||
	    setenv("OBS_STATS_LABELS", b.p, 1) < 0 ? -1 : 0;
	buf_free(&b);
	return r;
}

/* The child side of a spawn: never returns. */
static void
child_exec(struct member *m, char **argv, int in, int out, pid_t parent)
{
	struct sigaction sa;
	size_t i;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(m->errfd[1], STDERR_FILENO) < 0)
		_exit(127);
	for (i = 0; m->spec.env[i]; i++)
		if (putenv(m->spec.env[i]) != 0)
			_exit(127);
	if (m->spec.dir && chdir(m->spec.dir) < 0) {
		log_errno("chdir '%s'", m->spec.dir);
		_exit(127);
	}
	if (m->spec.user && (setgid(m->spec.gid) < 0 ||
	    initgroups(m->spec.user, m->spec.gid) < 0 ||
	    setuid(m->spec.uid) < 0)) {
		log_errno("become user '%s'", m->spec.user);
		_exit(127);
	}
	/* Members that write stats files name their pipeline and themselves
	 * in every series, so two relabels never write the same series. */
	if (argv != m->spec.argv && stats_labels_setenv(m) < 0)
		_exit(127);
	/* If obsd dies without a stop (SIGKILL), its members follow it
	 * instead of running on unsupervised; after setuid, which clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(127);
	execvp(argv[0], argv);
	log_errno("exec '%s'", argv[0]);
	_exit(127);
}

static int
member_spawn(struct member *m)
{
	struct pipeline *pl = m->pl;
	struct buf stats = BUF_INIT(0);
	char **argv = m->spec.argv, *extra[4];
	size_t n = 0;
	int in, out;
	pid_t pid, parent;

	in = m->stage == 0 ? devnull : pl->pipes[m->stage - 1][0];
	out = m->role == ROLE_SINK ? STDOUT_FILENO : pl->pipes[m->stage][1];
	if (opt->stats_dir && obs_program(argv[0])) {
		while (argv[n])
			n++;
		argv = calloc(n + 3, sizeof(*argv));
		if (argv == NULL ||
		    stats_member_path(opt, pl->name, m->name, &stats) < 0) {
			log_errno("%s/%s: spawn", pl->name, m->name);
			free(argv);
			buf_free(&stats);
			return -1;
		}
		memcpy(argv, m->spec.argv, n * sizeof(*argv));
		extra[0] = (char *)"--stats-file";
		extra[1] = stats.p;
		argv[n] = extra[0];
		argv[n + 1] = extra[1];
		argv[n + 2] = NULL;
	}
	parent = getpid();
	pid = fork();
	if (pid == 0)
		child_exec(m, argv, in, out, parent);
	if (argv != m->spec.argv)
		free(argv);
	buf_free(&stats);
	if (pid < 0) {
		log_errno("%s/%s: fork", pl->name, m->name);
		return -1;
	}
	setpgid(pid, pid);	/* the child does it too: no race either way */
	if (m->started_mono)
		m->restarts++;
	m->pid = pid;
	m->started_mono = now_ms();
	m->started_wall = clock_ms();
	m->respawn_at = 0;
	dirty = 1;
	log_debug("%s/%s: started, pid %ld", pl->name, m->name, (long)pid);
	return 0;
}

/* Signals the member's process group, so that sh -c and its children hear it. */
static void
member_kill(struct member *m, int sig)
{
	if (m->pid > 0 && kill(-m->pid, sig) < 0 && kill(m->pid, sig) < 0 &&
	    errno != ESRCH)
		log_errno("%s/%s: kill %ld", m->pl->name, m->name, (long)m->pid);
}

static struct pipeline *
pipeline_new(const struct pconf *pc)
{
	struct pipeline *pl = calloc(1, sizeof(*pl));
	size_t i, stage;

	if (pl == NULL)
		goto fail;
	pl->nfilt = pc->nfilt;
	if ((pl->name = strdup(pc->name)) == NULL)
		goto fail;
	pl->pipes = calloc(pc->nfilt + 1, sizeof(*pl->pipes));
	if (pl->pipes == NULL)
		goto fail;
	for (i = 0; i <= pc->nfilt; i++)
		pl->pipes[i][0] = pl->pipes[i][1] = -1;
	for (i = 0; i <= pc->nfilt; i++)
		if (pipe2(pl->pipes[i], O_CLOEXEC) < 0) {
			log_errno("%s: pipe", pc->name);
			goto fail_quiet;
		}
	for (i = 0; i < pc->n; i++) {
		const struct mconf *mc = &pc->m[i];

		stage = mc->role == ROLE_SOURCE ? 0 : mc->role == ROLE_SINK ?
		    pc->nfilt + 1 : i - pc->nsrc + 1;
		if (member_new(pl, mc, stage) == NULL)
			goto fail_quiet;
	}
	return pl;
fail:
	log_errno("%s", pc->name);
fail_quiet:
	if (pl)
		pipeline_free(pl);
	return NULL;
}

static int
pipelines_add(struct pipeline *pl)
{
	struct pipeline **nv = realloc(pls, (npls + 1) * sizeof(*nv));

	if (nv == NULL) {
		log_errno("%s", pl->name);
		return -1;
	}
	pls = nv;
	pls[npls++] = pl;
	dirty = 1;
	return 0;
}

/* Sink first, then filters back to front, then sources: a reader is
 * always there before its writers. */
static void
pipeline_start(struct pipeline *pl)
{
	size_t i;

	for (i = pl->n; i-- > 0;)
		if (pl->m[i]->role == ROLE_SINK)
			member_spawn(pl->m[i]);
	for (i = pl->n; i-- > 0;)
		if (pl->m[i]->role == ROLE_FILTER)
			member_spawn(pl->m[i]);
	for (i = 0; i < pl->n; i++)
		if (pl->m[i]->role == ROLE_SOURCE && !pl->m[i]->gone)
			member_spawn(pl->m[i]);
}

/* ---- stopping: stage by stage ------------------------------------------- */

static void
stage_enter(struct pipeline *pl, size_t stage)
{
	size_t i;

	pl->stage = stage;
	pl->killed = 0;
	pl->deadline = now_ms() + opt->stop_timeout;
	dirty = 1;
	/* EOF for this stage once the stage before it has gone. */
	if (stage > 0)
		fd_close(&pl->pipes[stage - 1][1]);
	for (i = 0; i < pl->n; i++) {
		struct member *m = pl->m[i];

		if (m->stage != stage)
			continue;
		if (stage == 0 || m->gone) {
			m->respawn_at = 0;
			member_kill(m, SIGTERM);
		} else if (m->pid == 0 && m->respawn_at) {
			/* Waiting for a restart: start it now to drain its pipe. */
			member_spawn(m);
		}
	}
}

static void
pipeline_stop(struct pipeline *pl)
{
	size_t i;

	if (pl->stopping)
		return;
	pl->stopping = 1;
	/* A reader waiting for its restart would leave its writers blocked
	 * on a full pipe, deaf to SIGTERM: start it now. */
	for (i = 0; i < pl->n; i++)
		if (pl->m[i]->stage > 0 && pl->m[i]->pid == 0 &&
		    pl->m[i]->respawn_at)
			pl->m[i]->respawn_at = now_ms();
	stage_enter(pl, 0);
}

static void
stage_check(struct pipeline *pl, int64_t now)
{
	size_t i;
	int running = 0;

	if (!pl->stopping || pl->done)
		return;
	for (i = 0; i < pl->n; i++)
		if (pl->m[i]->stage == pl->stage && pl->m[i]->pid > 0)
			running++;
	if (running && now >= pl->deadline && !pl->killed) {
		for (i = 0; i < pl->n; i++) {
			struct member *m = pl->m[i];

			if (m->stage != pl->stage || m->pid <= 0)
				continue;
			log_error("%s/%s: still running %lldms after the stop "
			    "began: SIGKILL", pl->name, m->name,
			    (long long)opt->stop_timeout);
			member_kill(m, SIGKILL);
		}
		killed_any = 1;
		pl->killed = 1;
		pl->deadline = now + KILL_GRACE_MS;
		return;
	}
	if (running && now < pl->deadline)
		return;
	if (running)
		log_error("%s: stage %zu did not exit after SIGKILL; going on",
		    pl->name, pl->stage);
	if (pl->stage < pl->nfilt + 1) {
		stage_enter(pl, pl->stage + 1);
		stage_check(pl, now);
		return;
	}
	pl->done = 1;
	dirty = 1;
	for (i = 0; i <= pl->nfilt; i++) {
		fd_close(&pl->pipes[i][0]);
		fd_close(&pl->pipes[i][1]);
	}
	log_debug("%s: stopped", pl->name);
}

/* ---- exits -------------------------------------------------------------- */

static void
describe_exit(char *dst, size_t n, int st)
{
	if (WIFEXITED(st))
		snprintf(dst, n, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(dst, n, "killed by signal %d (SIG%s)", WTERMSIG(st),
		    sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) :
		    "?");
	else
		snprintf(dst, n, "ended with wait status %d", st);
}

static void
member_exited(struct member *m, int st)
{
	struct pipeline *pl = m->pl;
	int64_t now = now_ms(), up = now - m->started_mono;
	char what[96];

	errpipe_read(m, 1);
	m->pid = 0;
	m->exited = 1;
	m->last_status = st;
	dirty = 1;
	describe_exit(what, sizeof(what), st);
	if (m->gone || pl->done || (pl->stopping && m->stage <= pl->stage)) {
		log_error("%s/%s: %s after %lld.%llds", pl->name, m->name, what,
		    (long long)(up / 1000), (long long)(up % 1000 / 100));
		return;
	}
	if (m->respec) {
		m->respec = 0;
		m->delay = 0;
		m->respawn_at = now;
		log_error("%s/%s: %s; restarting it with its new command",
		    pl->name, m->name, what);
		return;
	}
	/* During a stop its writers may be blocked on its pipe: no waiting. */
	if (up >= opt->healthy || m->delay == 0 || pl->stopping)
		m->delay = opt->backoff_min;
	else
		m->delay = m->delay * 2 > opt->backoff_max ? opt->backoff_max :
		    m->delay * 2;
	if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_CONFIG) {
		m->delay = opt->backoff_max;
		m->respawn_at = now + m->delay;
		log_error("%s/%s: %s (a configuration error) after %lld.%llds; "
		    "restart in %lldms or on SIGHUP", pl->name, m->name, what,
		    (long long)(up / 1000), (long long)(up % 1000 / 100),
		    (long long)m->delay);
		return;
	}
	m->respawn_at = now + m->delay;
	log_error("%s/%s: %s after %lld.%llds; restart in %lldms", pl->name,
	    m->name, what, (long long)(up / 1000), (long long)(up % 1000 / 100),
	    (long long)m->delay);
}

static void
reap(void)
{
	pid_t pid;
	int st;
	size_t i, j;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < npls; i++)
			for (j = 0; j < pls[i]->n; j++)
				if (pls[i]->m[j]->pid == pid) {
					member_exited(pls[i]->m[j], st);
					goto next;
				}
next:
		;
	}
}

/* ---- reload ------------------------------------------------------------- */

static struct pipeline *
pipeline_find(const char *name)
{
	size_t i;

	for (i = 0; i < npls; i++)
		if (!pls[i]->stopping && strcmp(pls[i]->name, name) == 0)
			return pls[i];
	return NULL;
}

/* The member of pl that mc replaces: same source name, same filter
 * position, the sink. */
static struct member *
member_match(struct pipeline *pl, const struct pconf *pc, size_t k)
{
	const struct mconf *mc = &pc->m[k];
	size_t i, stage = mc->role == ROLE_SOURCE ? 0 : mc->role == ROLE_SINK ?
	    pc->nfilt + 1 : k - pc->nsrc + 1;

	for (i = 0; i < pl->n; i++) {
		struct member *m = pl->m[i];

		if (m->gone || m->stage != stage)
			continue;
		if (stage != 0 || strcmp(m->name, mc->name) == 0)
			return m;
	}
	return NULL;
}

static void
member_update(struct member *m, const struct mconf *mc)
{
	struct spec sp;
	char *name;

	if (spec_equal(&m->spec, &mc->spec) && (strcmp(m->name, mc->name) == 0 ||
	    !(opt->stats_dir && obs_program(m->spec.argv[0])))) {
		/* A default name may shift when sources come and go: that
		 * alone restarts only a member whose --stats-file it names. */
		if (strcmp(m->name, mc->name) != 0 &&
		    (name = strdup(mc->name)) != NULL) {
			free(m->name);
			m->name = name;
			dirty = 1;
		}
		/* One waiting for a restart may have a fixed file now. */
		if (m->pid == 0 && m->respawn_at) {
			m->delay = 0;
			m->respawn_at = now_ms();
		}
		return;
	}
	if (spec_copy(&sp, &mc->spec) < 0 || (name = strdup(mc->name)) == NULL) {
		log_errno("%s/%s: reload", m->pl->name, m->name);
		return;
	}
	log_error("%s/%s: changed: restarting it", m->pl->name, m->name);
	spec_free(&m->spec);
	m->spec = sp;
	free(m->name);
	m->name = name;
	m->delay = 0;
	dirty = 1;
	if (m->pid > 0) {
		m->respec = 1;
		member_kill(m, SIGTERM);
	} else {
		m->respawn_at = now_ms();
	}
}

static void
pipeline_update(struct pipeline *pl, const struct pconf *pc)
{
	size_t i, k;

	for (i = 0; i < pl->n; i++) {
		struct member *m = pl->m[i];

		if (m->gone || m->stage != 0)
			continue;
		for (k = 0; k < pc->nsrc; k++)
			if (strcmp(pc->m[k].name, m->name) == 0)
				break;
		if (k == pc->nsrc) {
			log_error("%s/%s: removed: stopping it", pl->name,
			    m->name);
			m->gone = 1;
			m->respawn_at = 0;
			member_kill(m, SIGTERM);
			dirty = 1;
		}
	}
	for (k = 0; k < pc->n; k++) {
		struct member *m = member_match(pl, pc, k);

		if (m) {
			member_update(m, &pc->m[k]);
			continue;
		}
		log_error("%s/%s: added: starting it", pl->name, pc->m[k].name);
		m = member_new(pl, &pc->m[k], 0);
		if (m)
			member_spawn(m);
	}
}

static void
reload(void)
{
	struct conf *nc;
	size_t i, n = npls;

	log_error("SIGHUP: reloading '%s'", opt->config);
	nc = conf_load(opt->config);
	if (nc == NULL) {
		log_error("reload '%s' failed: keeping the running "
		    "configuration", opt->config);
		return;
	}
	for (i = 0; i < n; i++) {
		struct pipeline *pl = pls[i];
		size_t k;

		if (pl->stopping)
			continue;
		for (k = 0; k < nc->n; k++)
			if (strcmp(nc->p[k].name, pl->name) == 0)
				break;
		if (k == nc->n) {
			log_error("%s: removed: stopping it", pl->name);
			pipeline_stop(pl);
		} else if (nc->p[k].nfilt != pl->nfilt) {
			log_error("%s: its filters changed: stopping it and "
			    "starting it anew", pl->name);
			pipeline_stop(pl);
		} else {
			pipeline_update(pl, &nc->p[k]);
		}
	}
	for (i = 0; i < nc->n; i++) {
		struct pipeline *pl;

		if (pipeline_find(nc->p[i].name))
			continue;
		pl = pipeline_new(&nc->p[i]);
		if (pl == NULL || pipelines_add(pl) < 0) {
			if (pl)
				pipeline_free(pl);
			continue;
		}
		pipeline_start(pl);
	}
	conf_free(nc);
}

/* ---- the loop ----------------------------------------------------------- */

static int
all_done(void)
{
	size_t i;

	for (i = 0; i < npls; i++)
		if (!pls[i]->done)
			return 0;
	return 1;
}

/* Frees pipelines that stopped for a reload (not at the final stop). */
static void
collect_done(void)
{
	size_t i, j;

	for (i = j = 0; i < npls; i++) {
		struct pipeline *pl = pls[i];
		size_t k;
		int busy = 0;

		for (k = 0; k < pl->n; k++)
			if (pl->m[k]->pid > 0)
				busy = 1;
		if (pl->done && !busy) {
			pipeline_free(pl);
			dirty = 1;
		} else {
			pls[j++] = pl;
		}
	}
	npls = j;
}

static int64_t
next_timer(int64_t now)
{
	int64_t t = -1;
	size_t i, j;

	for (i = 0; i < npls; i++) {
		struct pipeline *pl = pls[i];

		if (pl->stopping && !pl->done && (t < 0 || pl->deadline < t))
			t = pl->deadline;
		for (j = 0; j < pl->n; j++) {
			struct member *m = pl->m[j];

			if (m->pid == 0 && m->respawn_at &&
			    (t < 0 || m->respawn_at < t))
				t = m->respawn_at;
		}
	}
	if (t < 0)
		return -1;
	return t <= now ? 0 : t - now;
}

static void
run_timers(int64_t now)
{
	size_t i, j;

	for (i = 0; i < npls; i++) {
		struct pipeline *pl = pls[i];

		for (j = 0; j < pl->n; j++) {
			struct member *m = pl->m[j];

			if (m->pid == 0 && m->respawn_at && now >= m->respawn_at &&
			    !m->gone && !pl->done &&
			    !(pl->stopping && m->stage < pl->stage))
				member_spawn(m);
		}
		stage_check(pl, now);
	}
}

static void
publish(void)
{
	if (!dirty)
		return;
	dirty = 0;
	state_write(opt, pls, npls);
	stats_publish(opt, pls, npls);
}

static void
stop_all(void)
{
	size_t i;

	for (i = 0; i < npls; i++)
		pipeline_stop(pls[i]);
}

/* A second SIGTERM/SIGINT during a stop: no more waiting. */
static void
kill_all(void)
{
	size_t i, j;

	log_error("second stop signal: SIGKILL to every member");
	for (i = 0; i < npls; i++) {
		for (j = 0; j < pls[i]->n; j++) {
			pls[i]->m[j]->respawn_at = 0;
			member_kill(pls[i]->m[j], SIGKILL);
		}
		pls[i]->stage = pls[i]->nfilt + 1;
		pls[i]->killed = 1;
		pls[i]->deadline = now_ms() + KILL_GRACE_MS;
	}
	killed_any = 1;
}

static int
handle_signals(int sfd, int *stopping)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t r = read(sfd, &si, sizeof(si));

		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(si))
			break;
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap();
			break;
		case SIGHUP:
			if (!*stopping)
				reload();
			break;
		case SIGTERM:
		case SIGINT:
			if (*stopping) {
				kill_all();
				break;
			}
			log_error("SIG%s: stopping", sigabbrev_np((int)si.ssi_signo));
			*stopping = 1;
			stop_all();
			break;
		}
	}
	return 0;
}

/* Leaving with members alive (an error, or one that ignored SIGKILL):
 * kill them and reap for a bounded time. */
static void
leave_no_orphans(void)
{
	size_t i, j;
	int live = 0, tries;

	for (i = 0; i < npls; i++)
		for (j = 0; j < pls[i]->n; j++)
			if (pls[i]->m[j]->pid > 0) {
				member_kill(pls[i]->m[j], SIGKILL);
				live = 1;
			}
	for (tries = 0; live && tries < KILL_GRACE_MS / 10; tries++) {
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			break;
		clock_sleep_ms(10);
	}
}

int
super_run(const struct opts *o, struct conf *c)
{
	struct pollfd *pfd = NULL;
	struct member **pm = NULL;
	size_t cap = 0, i, j;
	sigset_t mask;
	int sfd, stopping = 0, rc = EXIT_RUNTIME;

	opt = o;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, &oldmask) < 0 ||
	    (sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		log_errno("signalfd");
		return EXIT_RUNTIME;
	}
	signal(SIGPIPE, SIG_IGN);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0) {
		log_errno("open '/dev/null'");
		close(sfd);
		return EXIT_RUNTIME;
	}
	for (i = 0; i < c->n; i++) {
		struct pipeline *pl = pipeline_new(&c->p[i]);

		if (pl == NULL || pipelines_add(pl) < 0) {
			if (pl)
				pipeline_free(pl);
			goto out;
		}
	}
	for (i = 0; i < npls; i++)
		pipeline_start(pls[i]);
	for (;;) {
		size_t n = 1, nm = 0;
		int64_t now = now_ms(), t;

		run_timers(now);
		if (stopping && all_done())
			break;
		if (!stopping)
			collect_done();
		publish();
		for (i = 0; i < npls; i++)
			nm += pls[i]->n;
		if (nm + 1 > cap) {
			struct pollfd *np = realloc(pfd, (nm + 1) * sizeof(*np));
			struct member **nmv;

			if (np == NULL)
				goto oom;
			pfd = np;
			nmv = realloc(pm, (nm + 1) * sizeof(*nmv));
			if (nmv == NULL)
				goto oom;
			pm = nmv;
			cap = nm + 1;
		}
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < npls; i++)
			for (j = 0; j < pls[i]->n; j++) {
				pm[n] = pls[i]->m[j];
				pfd[n].fd = pm[n]->errfd[0];
				pfd[n++].events = POLLIN;
			}
		t = next_timer(now_ms());
		if (poll(pfd, n, t > INT32_MAX ? INT32_MAX : (int)t) < 0 &&
		    errno != EINTR) {
			log_errno("poll");
			goto out;
		}
		for (i = 1; i < n; i++)
			if (pfd[i].revents & POLLIN)
				errpipe_read(pm[i], 0);
		if (pfd[0].revents & POLLIN)
			handle_signals(sfd, &stopping);
	}
	rc = killed_any ? EXIT_RUNTIME : EXIT_OK;
	dirty = 1;
	publish();
	goto out;
oom:
	log_errno("poll set");
out:
	leave_no_orphans();
	state_remove(opt);
	for (i = 0; i < npls; i++)
		pipeline_free(pls[i]);
	free(pls);
	pls = NULL;
	npls = 0;
	free(pfd);
	free(pm);
	close(devnull);
	close(sfd);
	return rc;
}
