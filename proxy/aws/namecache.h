/*
 * The name cache: what a name, an address or a DNS name resolved to, so
 * that the next connection to the same host makes no lookup
 * (proxy/aws/AWS-APIS.md "Name cache").
 *
 * One file per (profile, region, tag key, access key id) under
 * $XDG_CACHE_HOME/ssm-proxy/ (else ~/.cache/ssm-proxy/): names-HASH.tsv,
 * HASH the first 16 hex digits of SHA-256 over the four joined by NUL
 * (the access key id itself is never written).  The directory is made
 * 0700, the file 0600, written whole to a temporary file in the same
 * directory and renamed over the old one.  Its lines:
 *
 *   # ssm-proxy name cache 1 profile=P region=R tag=T
 *   KEY<TAB>ID<TAB>EXPIRES
 *
 * KEY is the target as given (names lowercased, so that ssh's lowercased
 * %h and what the user typed meet), ID an instance or node id, EXPIRES
 * epoch seconds.  One more kind of line caches the route of an EC2
 * Instance Connect Endpoint tunnel (proxy/eice.c): KEY is
 * "eice:INSTANCE-ID" and ID is "ENDPOINT-ID,DNS-NAME,ADDRESS"; completion
 * scripts skip keys holding ':'.  Unreadable, foreign or malformed lines
 * are ignored; a
 * file that cannot be read or written only costs a lookup (the caller
 * gets a note at -vv, never a failure).  Completion scripts read KEY
 * from every names-*.tsv (config-examples/).
 */
#ifndef SSM_NAMECACHE_H
#define SSM_NAMECACHE_H

#include <stddef.h>
#include <time.h>

#include "awscfg.h"
#include "errmsg.h"

#define NAMECACHE_DEFAULT_TTL	600	/* seconds, --cache-ttl */
#define NAMECACHE_MAX_TTL	604800
#define NAMECACHE_MAX_BYTES	(4 * 1024 * 1024)	/* file read cap */
#define NAMECACHE_MAX_ENTRIES	20000
#define NAMECACHE_ROUTE		"eice:"	/* key prefix of an EICE route */
#define NAMECACHE_MAX_ROUTE	400	/* bytes of a route value */

struct buf;
struct namecache;

/*
 * Open the cache for profile, region, tag and akid (env gives HOME and
 * XDG_CACHE_HOME), reading what the file holds.  Never fails for the
 * cache's sake: 0 with *out set (possibly empty, possibly without a
 * directory when none can be found: then writes do nothing), or
 * SP_ERR_ALLOC.  err (may be NULL) receives why the file could not be
 * read, for a note.
 */
int	namecache_open(const struct awscfg_env *env, const char *profile,
	    const char *region, const char *tag, const char *akid,
	    struct namecache **out, struct errmsg *err) SP_WUR;

/* The id cached for key and not expired at now (NULL: none).  Borrowed,
 * valid until the next change. */
const char *namecache_get(const struct namecache *c, const char *key,
	    time_t now);

/* Set key -> id (or route), expiring at now + ttl (ttl 0: no change
 * made).  SP_ERR_INVALID_ARG for a key or value of neither kind. */
int	namecache_put(struct namecache *c, const char *key, const char *id,
	    time_t now, unsigned int ttl) SP_WUR;

/* Forget key (a stale entry). */
void	namecache_del(struct namecache *c, const char *key);

/*
 * Write the cache if it changed, dropping entries expired at now.  0, or
 * CFG_ERR_IO with err set (the caller notes it; not a failure).
 */
int	namecache_save(struct namecache *c, time_t now, struct errmsg *err);

/* The file's path ("" when there is no directory to keep it in). */
const char *namecache_path(const struct namecache *c);

void	namecache_free(struct namecache *c);

/*
 * The reader and the writer without the file, for namecache_open and
 * namecache_save and for the fuzz target: a cache (without a path) from
 * the len bytes of a file's text, read as leniently as described above
 * (0 or SP_ERR_ALLOC); the text namecache_save writes, entries live at
 * now, appended to b (0, SP_ERR_NO_SPACE or SP_ERR_ALLOC).
 */
int	namecache_parse(const void *data, size_t len,
	    struct namecache **out) SP_WUR;
int	namecache_text(const struct namecache *c, time_t now,
	    struct buf *b) SP_WUR;

#endif /* SSM_NAMECACHE_H */
