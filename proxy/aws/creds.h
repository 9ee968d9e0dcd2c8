/*
 * proxy/aws/: AWS configuration, credentials, endpoints and HTTP; it uses
 * protocol/ and proxy/compat.h only, and never logs or exits.
 */

/*
 * AWS credentials and the credential chain of the AWS CLI (botocore
 * create_credential_resolver; AWS-APIS.md "Credential chain"):
 *
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, token from
 *      AWS_SECURITY_TOKEN else AWS_SESSION_TOKEN, optional
 *      AWS_CREDENTIAL_EXPIRATION; skipped when the profile was given with
 *      --profile (not when it comes from AWS_PROFILE);
 *   2. role_arn: AssumeRole with the credentials of source_profile (a
 *      chain, cycles refused) or credential_source (Environment,
 *      Ec2InstanceMetadata, EcsContainer); mfa_serial asks for a code on
 *      /dev/tty; results shared with aws(1) in ~/.aws/cli/cache
 *      (credcache.h);
 *   3. web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, or the
 *      profile's role_arn + web_identity_token_file
 *      (AssumeRoleWithWebIdentity, unsigned);
 *   4. IAM Identity Center (sso_session or the legacy keys): the token
 *      aws sso login left in ~/.aws/sso/cache, then GetRoleCredentials;
 *   5. static keys in the profile's credentials-file section;
 *   6. login_session: refused with SP_ERR_UNSUPPORTED;
 *   7. credential_process (credproc.h);
 *   8. static keys in the profile's config-file section;
 *   10. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 *      _FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]);
 *   11. instance metadata (IMDSv2, v1 fallback unless disabled), unless
 *      AWS_EC2_METADATA_DISABLED is true.
 * The legacy boto/EC2 files (9) are not read.
 *
 * Secrets (secret key, session token) are never put in messages or logs
 * and are wiped when freed.
 */
#ifndef SSM_CREDS_H
#define SSM_CREDS_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "credtype.h"
#include "errmsg.h"

struct awscfg;

struct creds_params {
	time_t		 now;		/* current time, epoch seconds */
	int		 process_timeout_ms;	/* 0: CREDPROC_TIMEOUT_MS */
	size_t		 process_max_output;	/* 0: CREDPROC_MAX_OUTPUT */
	/*
	 * 1: an MFA code may be asked for on /dev/tty (before the tunnel
	 * opens); 0: a source that needs one fails with a clear line.
	 */
	int		 interactive;
	/*
	 * The flag the caller's SIGHUP, SIGINT and SIGTERM handler sets (may
	 * be NULL).  Non-zero ends a wait at once: for a cache lock, at the
	 * MFA prompt, or (within about a second) for an HTTP answer;
	 * creds_resolve then returns CFG_ERR_INTERRUPTED.
	 */
	const volatile sig_atomic_t *stop;
};

/* Seconds before expiry when in-memory credentials are refreshed. */
#define CREDS_REFRESH_WINDOW	300

/*
 * The URL of the container credentials endpoint:
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI under http://169.254.170.2,
 * else AWS_CONTAINER_CREDENTIALS_FULL_URI, whose http host must pass
 * creds_container_host_ok (https may name any host).  0, or
 * CFG_ERR_VALUE with err set; CFG_ERR_NO_CREDS if neither is set.
 */
int	creds_container_url(const struct awscfg *cfg, char *url, size_t sz,
	    struct errmsg *err) SP_WUR;
/*
 * 1 if host (as in a URL; IPv6 in brackets or not) is an address an
 * http:// container URL may name: a loopback address (127.0.0.0/8, ::1,
 * ::ffff:127.x.y.z), 169.254.170.2, 169.254.170.23, fd00:ec2::23, or the
 * name "localhost".  Checked as addresses (inet_pton); no other name is
 * resolved, so "127.evil.example" is refused.
 */
int	creds_container_host_ok(const char *host);
/* Parse a container credentials answer (src CREDS_SRC_CONTAINER). */
int	creds_parse_container(const void *data, size_t len, time_t now,
	    struct creds **out, struct errmsg *err) SP_WUR;
/* Parse an IMDS security-credentials answer (src CREDS_SRC_IMDS). */
int	creds_parse_imds(const void *data, size_t len, time_t now,
	    struct creds **out, struct errmsg *err) SP_WUR;
/* Parse an SSO token cache file: accessToken (copied to *tokenp, caller
 * wipes and frees) if it expires after now, else CFG_ERR_EXPIRED. */
int	creds_parse_sso_token(const void *data, size_t len, time_t now,
	    char **tokenp, struct errmsg *err) SP_WUR;
/* Parse a GetRoleCredentials answer (src CREDS_SRC_SSO). */
int	creds_parse_sso_role(const void *data, size_t len, time_t now,
	    struct creds **out, struct errmsg *err) SP_WUR;

/*
 * Set cfg->region from the instance metadata (IMDSv2 with the v1 rules of
 * the credentials): placement/region, else placement/availability-zone
 * without its last letter.  For awscfg_load with opts->region_imds that
 * left the region NULL.  0, or CFG_ERR_NO_REGION / SP_ERR_ALLOC, err set.
 */
int	creds_imds_region(struct awscfg *cfg, struct errmsg *err) SP_WUR;

/*
 * Walk the chain for cfg's profile.  On success *out holds credentials
 * (caller frees with creds_free).  Errors, with err set: CFG_ERR_NO_CREDS,
 * SP_ERR_UNSUPPORTED, CFG_ERR_VALUE (partial keys, bad expiration,
 * empty credential_process, a source_profile loop), CFG_ERR_EXPIRED,
 * CFG_ERR_PROCESS, CFG_ERR_IO, CFG_ERR_INTERRUPTED (p->stop),
 * SP_ERR_TIMEOUT, SP_ERR_TOO_LARGE, SP_ERR_JSON_*, SP_ERR_ALLOC.
 * A cache that cannot be used (no home directory, a directory that
 * cannot be created, a lock that cannot be taken or stays busy) is a
 * miss, said at -v, not an error.
 */
int	creds_resolve(const struct awscfg *cfg, const struct creds_params *p,
	    struct creds **out, struct errmsg *err) SP_WUR;

#endif /* SSM_CREDS_H */
