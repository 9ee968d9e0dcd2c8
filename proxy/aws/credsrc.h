/*
 * Inside the credential chain (creds.c): the context every source is
 * called with and the helpers the sources share.  Private to creds*.c.
 * The sources (credrole.c, credsso.c, credmeta.c) sit below the chain:
 * a role whose credentials come from another profile asks the chain
 * through rctx.role_source, so no source calls back into creds.c.
 */
#ifndef SSM_CREDSRC_H
#define SSM_CREDSRC_H

#include <stddef.h>
#include <time.h>

#include "creds.h"
#include "errmsg.h"

struct ini_section;

/* One profile: its sections in the two files. */
struct prof {
	const char		*name;
	const struct ini_section *cs;	/* config file */
	const struct ini_section *ks;	/* credentials file */
};

#define MAX_CHAIN	16
/* Safety caps on files we read (not any API's documented maximum). */
#define WEB_TOKEN_MAX		(64 * 1024)
#define CONTAINER_TOKEN_MAX	(64 * 1024)
#define SSO_TOKEN_FILE_MAX	(256 * 1024)

struct rctx {
	const struct awscfg	*cfg;
	const struct creds_params *p;	/* NULL for creds_imds_region */
	struct errmsg		*err;
	const char		*visited[MAX_CHAIN];
	size_t			 nvisited;
	char			*home;	/* NULL: unknown (why in home_err) */
	char			*cache;	/* ~/.aws/cli/cache, NULL likewise */
	struct errmsg		 home_err;
	/*
	 * The chain's answer to "the credentials profile pr assumes its
	 * role with": source_profile sp or credential_source cs.
	 */
	int			(*role_source)(struct rctx *x,
				    const struct prof *pr, const char *sp,
				    const char *cs, struct creds **src);
};

/* A setting of the profile: the credentials file's first, then config. */
const char *src_get(const struct rctx *x, const struct prof *pr,
	    const char *key);
int	src_has(const struct rctx *x, const struct prof *pr, const char *key);
const char *src_env(const struct rctx *x, const char *name);
/* 1 if v is "true" in any case. */
int	src_is_true(const char *v);
/* 1 once the caller's stop flag is set. */
int	src_stopped(const struct rctx *x);
int	src_nomem(struct errmsg *err);
/*
 * A small regular file (file_read_small; flags FILE_NOFOLLOW), what names
 * it in messages.  0, or x->err set (CFG_ERR_IO, SP_ERR_TOO_LARGE) with
 * errno kept from the read.
 */
int	src_read_file(struct rctx *x, const char *what, const char *path,
	    int flags, size_t max, char **out, size_t *lenp);
/* A JSON text refused: over a safety cap of the parser, or not JSON. */
int	src_json_error(struct errmsg *err, int r, const char *what,
	    const char *it);
/*
 * Credentials from a JSON object with the given member names (under
 * "roleCredentials" for GetRoleCredentials); expn in epoch milliseconds
 * if exp_ms, else RFC 3339.
 */
int	src_parse_json(const void *data, size_t len, time_t now,
	    const char *what, const char *akn, const char *skn,
	    const char *tokn, const char *expn, int exp_ms,
	    enum creds_source src, struct creds **out, struct errmsg *err);

/* A fetch that the CLI's cache may answer (src_cached). */
struct src_fetch {
	const char	*hex;		/* the entry: credcache_sha1 of its text */
	enum creds_source src;
	const char	*provider_type;	/* written to the entry; may be NULL */
	/*
	 * NULL, or a step between a first look at the cache (no lock) and
	 * taking the entry's lock: resolving source credentials, asking for
	 * an MFA code; no lock is held across it.
	 */
	int		(*prepare)(struct rctx *x, void *arg);
	/* The call, made with the entry's lock held when there is one. */
	int		(*fetch)(struct rctx *x, void *arg, struct creds **out);
	void		*arg;
};

/*
 * The cache steps around a fetch: the entry if valid; else prepare, the
 * lock (credcache_acquire: another run may write the entry meanwhile),
 * fetch, and the result stored.  A cache that cannot help is said at -v.
 */
int	src_cached(struct rctx *x, const struct src_fetch *f,
	    struct creds **out);

/* The sources, each for profile pr where it has one. */
int	src_assume_role(struct rctx *x, const struct prof *pr,
	    struct creds **out);
int	src_web_identity(struct rctx *x, const struct prof *pr, int use_env,
	    struct creds **out);
int	src_sso(struct rctx *x, const struct prof *pr, struct creds **out);
int	src_container(struct rctx *x, struct creds **out);
int	src_imds(struct rctx *x, struct creds **out);

#endif /* SSM_CREDSRC_H */
