/*
 * AWS configuration as the AWS CLI v2 resolves it: profile, shared files,
 * region, endpoint variants and overrides, CA bundle, retry settings and
 * HTTPS proxy (AWS-APIS.md "Retries", "Endpoint resolution" and
 * "Configuration sources").  No networking.
 *
 * The environment is read only through a struct awscfg_env, so that tests
 * control it.  An environment variable set to the empty string counts as
 * unset (as in the Go SDK; the CLI would use the empty value), except for
 * https_proxy/no_proxy, where an empty lower-case variable hides the
 * upper-case one as in Python's urllib.
 *
 * Choices where the CLI and the SDKs differ (the CLI wins):
 *   - profile: --profile > AWS_PROFILE > AWS_DEFAULT_PROFILE > "default"
 *     (CLI v2 order; botocore and CLI v1 check AWS_DEFAULT_PROFILE first);
 *   - region: --region > AWS_REGION > AWS_DEFAULT_REGION > profile
 *     "region" (CLI v2; CLI v1 ignores AWS_REGION) > "region" of the
 *     first profile along the source_profile chain that sets one >
 *     instance metadata (only with opts->region_imds; see there);
 *   - a profile named by --profile, AWS_PROFILE or AWS_DEFAULT_PROFILE
 *     (even "default") must exist in one of the two files; the implicit
 *     default profile may be absent;
 *   - a profile's settings are the union of its config-file section
 *     ([profile NAME], or [default]) and its credentials-file section
 *     ([NAME]); a key in the credentials file wins;
 *   - booleans (use_fips_endpoint, ...) are true only for "true" in any
 *     case, anything else is false (botocore's ensure_boolean);
 *   - retry_mode defaults to "standard" and max_attempts to 3 (CLI v2).
 */
#ifndef SSM_AWSCFG_H
#define SSM_AWSCFG_H

#include <stddef.h>

#include "endpoint.h"
#include "errmsg.h"

struct ini;
struct ini_section;

/* How the logic reads environment variables. */
struct awscfg_env {
	/* Value of name, or NULL if unset.  Must not fail. */
	const char	*(*get)(void *arg, const char *name);
	void		*arg;
};

/* Fill env with a reader of the process environment (getenv(3)). */
void	awscfg_env_process(struct awscfg_env *env);

/* Command-line options; NULL when not given.  Copied by awscfg_load. */
struct awscfg_opts {
	const char	*profile;	/* --profile */
	const char	*region;	/* --region */
	const char	*endpoint_url;	/* --endpoint-url (SSM only) */
	const char	*ca_bundle;	/* --ca-bundle */
	/*
	 * 1: when nothing names a region and AWS_EC2_METADATA_DISABLED is
	 * not true, succeed with region NULL and region_src AWSCFG_SRC_IMDS;
	 * the caller then fetches it (creds_imds_region).
	 */
	int		 region_imds;
};

/* Where a setting came from. */
enum awscfg_src {
	AWSCFG_SRC_DEFAULT = 0,	/* built-in default, or not set */
	AWSCFG_SRC_OPTION,	/* command-line option */
	AWSCFG_SRC_ENV,		/* environment variable (see *_var) */
	AWSCFG_SRC_PROFILE,	/* the profile in the config/credentials file */
	AWSCFG_SRC_SERVICES,	/* a [services NAME] section */
	AWSCFG_SRC_IMDS		/* instance metadata (region only) */
};

enum awscfg_retry_mode {
	AWSCFG_RETRY_STANDARD = 0,
	AWSCFG_RETRY_LEGACY,
	AWSCFG_RETRY_ADAPTIVE
};

/*
 * The resolved configuration.  Members are read-only after awscfg_load;
 * strings are owned by the struct.
 */
struct awscfg {
	struct awscfg_env env;		/* env.arg must outlive the struct */
	char		*profile;	/* selected profile name */
	enum awscfg_src	 profile_src;	/* OPTION, ENV or DEFAULT */
	const char	*profile_var;	/* AWS_PROFILE/AWS_DEFAULT_PROFILE */
	char		*config_path;	/* after ~ and $VAR expansion */
	char		*credentials_path;
	struct ini	*config;	/* parsed files (empty if missing) */
	struct ini	*credentials;
	const struct ini_section *config_sec;	/* profile there, or NULL */
	const struct ini_section *cred_sec;
	char		*region;
	enum awscfg_src	 region_src;
	const char	*region_var;	/* AWS_REGION or AWS_DEFAULT_REGION */
	int		 use_fips;
	int		 use_dualstack;
	int		 ignore_configured_endpoint_urls;
	char		*endpoint_url;	/* --endpoint-url or NULL */
	char		*ca_bundle;	/* PEM path or NULL (system roots) */
	enum awscfg_src	 ca_bundle_src;
	enum awscfg_retry_mode retry_mode;
	int		 max_attempts;	/* >= 1, attempts including the first */
	char		*https_proxy;	/* proxy URL or NULL */
	char		*no_proxy;	/* NO_PROXY list or NULL */
};

/* One endpoint: awscfg_endpoint's result. */
struct awscfg_endpoint {
	char		 url[ENDPOINT_URL_MAX];	/* scheme://host[:port][/p] */
	char		 signing_region[ENDPOINT_REGION_MAX];
	enum awscfg_src	 src;
	char		 src_name[128];	/* e.g. "AWS_ENDPOINT_URL_SSM" */
};

/*
 * Resolve everything from env and opts and read both shared files.
 * On success *cfgp is the configuration; free with awscfg_free.
 * Errors (err is one line): CFG_ERR_PROFILE ("profile dev not found in
 * CONFIG or CREDENTIALS"), CFG_ERR_NO_REGION, CFG_ERR_VALUE (invalid
 * region, retry_mode or max_attempts, naming where it came from),
 * CFG_ERR_SYNTAX, CFG_ERR_IO, SP_ERR_TOO_LARGE (a file), SP_ERR_ALLOC.
 */
int	awscfg_load(const struct awscfg_env *env,
	    const struct awscfg_opts *opts, struct awscfg **cfgp,
	    struct errmsg *err) SP_WUR;
/* Free; NULL is a no-op. */
void	awscfg_free(struct awscfg *cfg);

/*
 * The profile's setting key: the credentials-file section first, then
 * the config-file section (each falling back to its file's [DEFAULT]).
 * NULL if unset or if the key holds sub-properties.  Borrowed.
 */
const char *awscfg_get(const struct awscfg *cfg, const char *key);
/* Whether the profile sets key at all (plain or sub-properties). */
int	awscfg_has(const struct awscfg *cfg, const char *key);
/* Environment variable through cfg->env; NULL if unset or empty. */
const char *awscfg_getenv(const struct awscfg *cfg, const char *name);

/*
 * Endpoint for service ("ssm", "ec2-instance-connect", "kms", "sts",
 * "sso", "ec2") in region (NULL: cfg->region; SSO passes its sso_region).
 * Precedence: --endpoint-url (ssm only); unless
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS / ignore_configured_endpoint_urls
 * is true: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
 * [services NAME] section, the profile's endpoint_url; else the
 * partition's host (endpoint.h).  sts_regional_endpoints (env
 * AWS_STS_REGIONAL_ENDPOINTS) = legacy sends 16 regions to the global STS
 * host.  Errors: SP_ERR_INVALID_ARG (unknown service), CFG_ERR_VALUE
 * (FIPS or dual-stack with a custom endpoint, a malformed URL, a missing
 * services section, a bad sts_regional_endpoints), SP_ERR_UNSUPPORTED.
 */
int	awscfg_endpoint(const struct awscfg *cfg, const char *service,
	    const char *region, struct awscfg_endpoint *ep,
	    struct errmsg *err) SP_WUR;

/*
 * The HTTPS proxy URL to use for host:port, or NULL to connect directly
 * (no proxy configured, or host matched by no_proxy; see noproxy.h).
 */
const char *awscfg_https_proxy_for(const struct awscfg *cfg,
	    const char *host, int port);

/*
 * Expand $VAR and ${VAR} (from env; unknown variables are left as they
 * are), then a leading ~ or ~user, as botocore does with Python's
 * os.path.expandvars and expanduser.  *out is a heap string the caller
 * frees.  Returns 0, SP_ERR_ALLOC or SP_ERR_TOO_LARGE (over PATH_MAX).
 */
int	awscfg_expand_path(const struct awscfg_env *env, const char *path,
	    char **out, struct errmsg *err) SP_WUR;

/*
 * The home directory, the one resolver for every path under it: HOME
 * from env unless unset or empty, else the passwd entry of the real user
 * id (as Python's os.path.expanduser).  *out is a heap string the caller
 * frees.  0, CFG_ERR_IO (neither gives one; err says so) or SP_ERR_ALLOC.
 */
int	awscfg_home(const struct awscfg_env *env, char **out,
	    struct errmsg *err) SP_WUR;

/*
 * The section of ini for a profile, an sso-session or a services block:
 * type is "profile", "sso-session" or "services"; a header whose name
 * starts with type and splits (shlex) into exactly two words names the
 * second word; for "profile", [default] also names "default".  The last
 * such section in the file wins (botocore builds a dict).  NULL if none.
 */
const struct ini_section *awscfg_find_section(const struct ini *ini,
	    const char *type, const char *name);

/* Short text for a source: "option", "environment", "profile", ... */
const char *awscfg_src_str(enum awscfg_src src);

#endif /* SSM_AWSCFG_H */
