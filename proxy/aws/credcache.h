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
 *     a file.  ssm-proxy also takes an exclusive flock(2) on
 *     "<dir>/.ssm-proxy-<hash>.lock" around "read, else fetch and write",
 *     so that concurrent runs make one call (and one MFA prompt).
 */
#ifndef SSM_CREDCACHE_H
#define SSM_CREDCACHE_H

#include <stddef.h>
#include <time.h>

#include "creds.h"
#include "errmsg.h"
#include "sts.h"

#define CREDCACHE_WINDOW	(15 * 60)
#define CREDCACHE_MAX_FILE	(64 * 1024)

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

/*
 * Open (creating, 0700) dir and lock "<dir>/.ssm-proxy-<hex>.lock".
 * Returns the lock descriptor (close to release) or -1 (err set).
 */
int	credcache_lock(const char *dir, const char hex[41],
	    struct errmsg *err);
/* Read "<dir>/<hex>.json"; *out NULL if absent/expired/malformed. */
void	credcache_load(const char *dir, const char hex[41], time_t now,
	    enum creds_source src, struct creds **out);
/* Write c as "<dir>/<hex>.json" (provider_type may be NULL). */
int	credcache_store(const char *dir, const char hex[41],
	    const struct creds *c, const char *provider_type,
	    struct errmsg *err) SP_WUR;

#endif /* SSM_CREDCACHE_H */
