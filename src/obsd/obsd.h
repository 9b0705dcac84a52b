/* obsd.h: the configuration, the supervised members and their pipelines. */
#ifndef OBSD_H
#define OBSD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

enum role { ROLE_SOURCE, ROLE_FILTER, ROLE_SINK };

/* How to start one member: what obsd.yml(5) says, resolved. */
struct spec {
	char **argv;		/* NULL-terminated */
	char **env;		/* "NAME=VALUE", NULL-terminated, may be empty */
	char *user;		/* NULL: obsd's own */
	uid_t uid;
	gid_t gid;
	char *dir;		/* NULL: obsd's own */
};

struct mconf {
	char *name;
	enum role role;
	struct spec spec;
};

struct pconf {
	char *name;
	struct mconf *m;	/* sources first, then filters in order, sink last */
	size_t n, nsrc, nfilt;
	size_t cap;		/* of m, for conf_free() after an error */
};

struct conf {
	struct pconf *p;
	size_t n;
};

/* Loads FILE; NULL after reporting "obsd: FILE:LINE: KEY: reason". */
struct conf *conf_load(const char *path);
void conf_free(struct conf *c);
int spec_equal(const struct spec *a, const struct spec *b);
int spec_copy(struct spec *dst, const struct spec *src);
void spec_free(struct spec *s);
/* 1 if argv[0]'s basename is one of the suite's programs. */
int obs_program(const char *argv0);
/*
 * Splits a command line into words as sh(1) would, without expansion:
 * single quotes, double quotes (where \ escapes only $ ` " \ and newline)
 * and backslash escapes.  Returns the NULL-terminated words, or NULL with
 * *err set to a static phrase.
 */
char **words_split(const char *s, const char **err);
void words_free(char **w);

/* What the supervisor knows of one member, for the state file and stats. */
enum mstate { MS_RUNNING, MS_BACKOFF, MS_STOPPING, MS_STOPPED };

struct member {
	struct pipeline *pl;
	char *name;
	enum role role;
	size_t stage;		/* 0 sources, 1..nfilt filters, nfilt+1 sink */
	struct spec spec;
	pid_t pid;		/* 0 when not running */
	int64_t started_mono, started_wall;
	int64_t respawn_at;	/* monotonic ms, 0 when none is due */
	int64_t delay;		/* the backoff: the next wait before a restart */
	unsigned long restarts;
	int exited;		/* last_status is set */
	int last_status;	/* as from waitpid() */
	int gone;		/* removed by a reload: never restarted */
	int respec;		/* reload changed it: restart at once on exit */
	int errfd[2];		/* its stderr, collected by obsd */
	struct buf errline;	/* a partial stderr line */
};

struct pipeline {
	char *name;
	struct member **m;
	size_t n, nfilt;
	int (*pipes)[2];	/* nfilt + 1 pipes: stage i writes pipes[i] */
	int stopping;		/* draining, stage by stage */
	size_t stage;		/* the stage being stopped */
	int64_t deadline;	/* of that stage (monotonic ms) */
	int killed;		/* SIGKILL sent in that stage */
	int done;		/* stopped: nothing left running */
};

struct opts {
	const char *config;
	const char *config_abs;	/* for the state file */
	const char *run_dir;
	const char *stats_dir;
	int64_t stop_timeout;	/* ms per stage of a stop */
	int64_t backoff_min, backoff_max, healthy;
};

/* The supervisor: runs until SIGTERM/SIGINT; returns the exit status. */
int super_run(const struct opts *o, struct conf *c);

/* state.c: the state file that `obsd status` reads, and obs_obsd_* stats. */
int state_path(const struct opts *o, struct buf *out);
int state_write(const struct opts *o, struct pipeline **pl, size_t n);
void state_remove(const struct opts *o);
int stats_publish(const struct opts *o, struct pipeline **pl, size_t n);
int stats_member_path(const struct opts *o, const char *pipeline,
		      const char *member, struct buf *out);
/* `obsd -c FILE status`: exit status 0, or 1 when no obsd runs. */
int status_print(const struct opts *o);

const char *role_name(enum role r);

#endif
