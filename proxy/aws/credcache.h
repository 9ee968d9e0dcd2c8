/*
 * The AWS CLI's credential cache (~/.aws/cli/cache, botocore's
 * JSONFileCache as the CLI configures it), shared with aws(1):
 *
 *   - file name: lower-case hex SHA-1 of a JSON text + ".json".  For
 *     AssumeRole and AssumeRoleWithWebIdentity the text is Python's
 *     json.dumps(args, sort_keys=True) of the call's arguments (RoleArn,
 *     RoleSessionName unless generated, ExternalId, SerialNumber,
 *     DurationSeconds as a number), separators ", " and ": ", non-ASCII
 *     as \uXXXX; for IAM Identity Center {"accountId","roleName",
 *     ["sessionName",] "startUrl"} with separators "," and ":".
 *   - content: {"Credentials": {"AccessKeyId", "SecretAccessKey",
 *     "SessionToken", "Expiration"}, ...}; Expiration in any RFC 3339
 *     form ("...Z", "...+00:00", the CLI's "...UTC").
 *   - an entry is used only if it expires more than CREDCACHE_WINDOW
 *     seconds from now (botocore's 15 minute window).
 *   - files are 0600, the directory 0700; a write goes to an O_EXCL
 *     temporary file renamed over the entry, so a reader never sees half
 *     a file, and an entry is read without any lock.  Only regular files
 *     are read (opened O_NONBLOCK | O_NOFOLLOW, checked with fstat), so a
 *     FIFO or device planted in the directory cannot block a reader.
 *   - on a miss, ssm-proxy takes an exclusive flock(2) on
 *     "<dir>/.ssm-proxy-<hash>.lock" around "read again, else fetch and
 *     write", so that concurrent runs make one call.  The lock is tried
 *     without blocking; while it is busy the entry is read again every
 *     CREDCACHE_POLL_MS, so waiters leave as soon as it is written.  The
 *     wait has a deadline, and SIGHUP, SIGINT and SIGTERM end it at once
 *     (see struct credcache_wait).  A directory that cannot be created
 *     or a lock that cannot be taken is a cache miss, not an error.
 */
#ifndef SSM_CREDCACHE_H
#define SSM_CREDCACHE_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "credtype.h"
#include "errmsg.h"
#include "sts.h"

#define CREDCACHE_WINDOW	(15 * 60)
#define CREDCACHE_MAX_FILE	(64 * 1024)
/*
 * How long a run waits for another run's lock: three times the 30 s
 * timeout of one STS call, since the holder may first resolve its own
 * source (another AssumeRole, a credential_process).
 */
#define CREDCACHE_LOCK_WAIT_MS	90000
#define CREDCACHE_POLL_MS	100

/* The JSON text hashed for AssumeRole arguments (no TokenCode, no token).
 * session_generated: leave RoleSessionName out.  Caller frees. */
int	credcache_role_text(const struct sts_args *a, int session_generated,
	    char **out) SP_WUR;
/* The JSON text hashed for SSO.  session_name may be NULL. */
int	credcache_sso_text(const char *start_url, const char *role_name,
	    const char *account_id, const char *session_name,
	    char **out) SP_WUR;
/* Lower-case hex SHA-1 of text into hex (41 bytes). */
void	credcache_sha1(const char *text, char hex[41]);

/*
 * Parse a cache file's content.  0 and *out (source src) when it holds
 * credentials valid beyond now + CREDCACHE_WINDOW; CFG_ERR_EXPIRED when
 * they are older; CFG_ERR_VALUE / SP_ERR_JSON_* when malformed.
 */
int	credcache_parse(const void *data, size_t len, time_t now,
	    enum creds_source src, struct creds **out) SP_WUR;

/* How credcache_acquire waits for a busy lock. */
struct credcache_wait {
	long		 wait_ms;	/* 0: never wait (a busy lock is a miss) */
	/*
	 * Set by the caller's handler of SIGHUP, SIGINT and SIGTERM (may be
	 * NULL).  Those three signals are blocked but while sleeping, so
	 * one that arrives at any point ends the wait at once.
	 */
	const volatile sig_atomic_t *stop;
	/* Called once when the wait starts (may be NULL). */
	void		(*on_wait)(const char *lock_path);
};

/*
 * After a miss: lock "<dir>/.ssm-proxy-<hex>.lock" (creating dir, 0700),
 * then read the entry again.  Returns 0 with one of
 *   - *out set: another run wrote the entry meanwhile (no lock held);
 *   - *lockfd >= 0: the lock is ours; fetch, store, then close it;
 *   - *lockfd == -1: no lock (the directory cannot be created or the
 *     lock file opened or locked, or the lock stayed busy for w->wait_ms):
 *     note says why, for -v; the caller fetches without the cache's help.
 * CFG_ERR_INTERRUPTED (note set) when *w->stop became non-zero.
 */
int	credcache_acquire(const char *dir, const char hex[41], time_t now,
	    enum creds_source src, const struct credcache_wait *w,
	    struct creds **out, int *lockfd, struct errmsg *note) SP_WUR;
/* Read "<dir>/<hex>.json" without a lock; *out NULL if absent (or not a
 * regular file), expired or malformed. */
void	credcache_load(const char *dir, const char hex[41], time_t now,
	    enum creds_source src, struct creds **out);
/* Write c as "<dir>/<hex>.json" (provider_type may be NULL). */
int	credcache_store(const char *dir, const char hex[41],
	    const struct creds *c, const char *provider_type,
	    struct errmsg *err) SP_WUR;

#endif /* SSM_CREDCACHE_H */
