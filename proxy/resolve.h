/*
 * From ssh's %h to the instance to start a session with: an id costs
 * nothing; a name, an IPv4 address or a private DNS name is looked up in
 * the name cache, else with EC2 DescribeInstances and (names) SSM
 * DescribeInstanceInformation, exactly and then without regard to case
 * (proxy/aws/AWS-APIS.md "Targets", "Name cache").  Blocking; the caller
 * runs it before the event loop (or from a callback, for a stale entry).
 * Failures are logged here, one line (an ambiguous name: one line and
 * its candidates), and returned as an exit status.
 */
#ifndef SSM_RESOLVE_H
#define SSM_RESOLVE_H

#include <signal.h>

#include "awscfg.h"
#include "config.h"
#include "credtype.h"
#include "fleet.h"
#include "namecache.h"
#include "target.h"

struct resolve {
	/* Set by the caller; borrowed. */
	const struct config	*conf;
	const struct awscfg	*cfg;
	const struct creds	*creds;
	const char		*region;	/* the region in use */
	const volatile sig_atomic_t *stop;
	/* Set by resolve_target(). */
	struct target		 t;
	char			 id[TARGET_MAX + 1];	/* for StartSession */
	char			 key[TARGET_MAX + 1];	/* the cache's key */
	char			 state[16];	/* EC2 state if looked up */
	char			 name[256];	/* its name tag, for messages */
	int			 looked_up;	/* ids and cache hits: 0 */
	int			 cached;	/* id came from the cache */
	int			 retried;	/* resolve_again() ran */
	struct namecache	*cache;
};

/* The fleet lookups' context for r (its region, tag, stop flag). */
void	resolve_ctx(const struct resolve *r, struct fleet_ctx *x);

/* The tag key names are looked up in ("Name" unless --name-tag). */
const char *resolve_tag(const struct resolve *r);

/* 1 if an AWS error code means the caller lacks the permission. */
int	resolve_denied(const char *code);

/*
 * Split conf->target into r->t (only the region suffix is used before
 * credentials exist).  0, or EXIT_USAGE after logging.
 */
int	resolve_parse(struct resolve *r, const char *target);

/* A lookup was ended by a signal (*stop): no message. */
#define RESOLVE_SIGNALLED	(-1)

/* r->t to r->id.  0, RESOLVE_SIGNALLED, or the exit status after
 * logging. */
int	resolve_target(struct resolve *r);

/*
 * The id came from the cache and StartSession refused it: forget the
 * entry and look the target up again.  0 (r->id may be another id), or
 * the exit status after logging.
 */
int	resolve_again(struct resolve *r);

/*
 * The name cache of r's profile, region and tag, opened on first use;
 * NULL when --cache-ttl is 0 or memory ran out.  resolve_save() writes
 * what changed (a failure is a note at -vv).
 */
struct namecache *resolve_cache(struct resolve *r);
void	resolve_save(struct resolve *r);

/*
 * A listing of the region: every name that names one instance only goes
 * into the cache (opened here when r->cache is NULL and --cache-ttl is
 * not 0).
 */
void	resolve_remember(struct resolve *r, struct fleet_list *l);

void	resolve_free(struct resolve *r);

#endif /* SSM_RESOLVE_H */
