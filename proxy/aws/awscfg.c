/*
 * AWS CLI v2 configuration resolution; see awscfg.h.  References:
 * botocore configprovider.py (BOTOCORE_DEFAUT_SESSION_VARIABLES as
 * vendored by aws-cli v2, ConfiguredEndpointProvider), configloader.py
 * (build_profile_map), session.py (full_config merges the credentials
 * file into the profiles), utils.py (ensure_boolean,
 * validate_region_name).
 */
#include <sys/types.h>

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "awscfg.h"
#include "ini.h"
#include "noproxy.h"
#include "shlex.h"

#define DEFAULT_MAX_ATTEMPTS	3

static const char *
proc_getenv(void *arg, const char *name)
{
	return getenv(name);
}

void
awscfg_env_process(struct awscfg_env *env)
{
	env->get = proc_getenv;
	env->arg = NULL;
}

/* The raw value (empty included), or NULL. */
static const char *
env_raw(const struct awscfg_env *env, const char *name)
{
	return env->get(env->arg, name);
}

/* The value, with empty meaning unset. */
static const char *
env_val(const struct awscfg_env *env, const char *name)
{
	const char *v = env_raw(env, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

const char *
awscfg_getenv(const struct awscfg *cfg, const char *name)
{
	return env_val(&cfg->env, name);
}

const char *
awscfg_src_str(enum awscfg_src src)
{
	switch (src) {
	case AWSCFG_SRC_OPTION:		return "option";
	case AWSCFG_SRC_ENV:		return "environment";
	case AWSCFG_SRC_PROFILE:	return "profile";
	case AWSCFG_SRC_SERVICES:	return "services section";
	case AWSCFG_SRC_IMDS:		return "instance metadata";
	default:			return "default";
	}
}

static int
is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Append n bytes to out[*len], bounded by PATH_MAX. */
static int
path_put(char *out, size_t *len, const char *p, size_t n)
{
	if (*len + n >= PATH_MAX)
		return -1;
	memcpy(out + *len, p, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

/* os.path.expandvars: $NAME (ASCII \w+) and ${ANY}; unknown kept. */
static int
expand_vars(const struct awscfg_env *env, const char *s, char *out)
{
	char name[256];
	const char *e, *n0, *v;
	size_t len = 0, nl;

	out[0] = '\0';
	while (*s != '\0') {
		if (*s != '$') {
			if (path_put(out, &len, s++, 1) != 0)
				return -1;
			continue;
		}
		if (s[1] == '{' && (e = strchr(s + 2, '}')) != NULL) {
			n0 = s + 2;
			nl = e - n0;
			e++;
		} else {
			for (e = s + 1; is_word(*e); e++)
				;
			n0 = s + 1;
			nl = e - n0;
			if (nl == 0) {
				if (path_put(out, &len, s++, 1) != 0)
					return -1;
				continue;
			}
		}
		v = NULL;
		if (nl < sizeof(name)) {
			memcpy(name, n0, nl);
			name[nl] = '\0';
			v = env_raw(env, name);
		}
		if (v != NULL ? path_put(out, &len, v, strlen(v)) :
		    path_put(out, &len, s, e - s))
			return -1;
		s = e;
	}
	return 0;
}

/* Home directory of the user named by [name, name+n), or of us if n==0. */
static int
pw_home(const char *name, size_t n, char *out)
{
	struct passwd pw, *res = NULL;
	char user[256], buf[16384];
	size_t len = 0;

	if (n >= sizeof(user))
		return -1;
	memcpy(user, name, n);
	user[n] = '\0';
	if (n == 0 ? getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) :
	    getpwnam_r(user, &pw, buf, sizeof(buf), &res))
		return -1;
	if (res == NULL || pw.pw_dir == NULL)
		return -1;
	out[0] = '\0';
	return path_put(out, &len, pw.pw_dir, strlen(pw.pw_dir));
}

int
awscfg_home(const struct awscfg_env *env, char **out, struct errmsg *err)
{
	char home[PATH_MAX];
	const char *h;

	*out = NULL;
	if ((h = env_val(env, "HOME")) == NULL) {
		if (pw_home("", 0, home) != 0)
			return errmsg_set(err, CFG_ERR_IO, "the home directory "
			    "is unknown: HOME is not set and user id %ld has "
			    "no usable passwd entry", (long)getuid());
		h = home;
	}
	if ((*out = strdup(h)) == NULL)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	return 0;
}

/* os.path.expanduser for a path starting with '~'. */
static int
expand_user(const struct awscfg_env *env, const char *s, char *out)
{
	char home[PATH_MAX], *h = NULL;
	const char *slash;
	size_t i, hl, len = 0;

	if ((slash = strchr(s, '/')) == NULL)
		slash = s + strlen(s);
	i = slash - s;
	if (i == 1 && awscfg_home(env, &h, NULL) == 0) {
		if (strlen(h) >= sizeof(home)) {
			free(h);
			return -1;
		}
		memcpy(home, h, strlen(h) + 1);
		free(h);
	} else if (pw_home(s + 1, i - 1, home) != 0) {
		/* Unknown user: Python leaves the path alone. */
		out[0] = '\0';
		return path_put(out, &len, s, strlen(s));
	}
	hl = strlen(home);
	while (hl > 0 && home[hl - 1] == '/')
		hl--;
	out[0] = '\0';
	if (path_put(out, &len, home, hl) != 0 ||
	    path_put(out, &len, slash, strlen(slash)) != 0)
		return -1;
	if (len == 0)
		return path_put(out, &len, "/", 1);
	return 0;
}

int
awscfg_expand_path(const struct awscfg_env *env, const char *path,
    char **out, struct errmsg *err)
{
	char a[PATH_MAX], b[PATH_MAX];
	const char *res = a;

	*out = NULL;
	if (expand_vars(env, path, a) != 0)
		return errmsg_set(err, SP_ERR_TOO_LARGE,
		    "path \"%.100s...\" is longer than %d bytes once expanded",
		    path, PATH_MAX);
	if (a[0] == '~') {
		if (expand_user(env, a, b) != 0)
			return errmsg_set(err, SP_ERR_TOO_LARGE,
			    "path \"%.100s...\" is longer than %d bytes once "
			    "expanded", path, PATH_MAX);
		res = b;
	}
	if ((*out = strdup(res)) == NULL)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	return 0;
}

const struct ini_section *
awscfg_find_section(const struct ini *ini, const char *type,
    const char *name)
{
	const struct ini_section *s, *found = NULL;
	int profile = strcmp(type, "profile") == 0;
	const char *sn;
	char **words;
	size_t i, nw;

	for (i = 0; i < ini_section_count(ini); i++) {
		s = ini_section_at(ini, i);
		sn = ini_section_name(s);
		if (profile && strcmp(sn, "default") == 0) {
			if (strcmp(name, "default") == 0)
				found = s;
			continue;
		}
		if (strncmp(sn, type, strlen(type)) != 0)
			continue;
		/* A header that shlex cannot split is skipped, as botocore. */
		if (shlex_split(sn, &words, &nw, NULL) != 0)
			continue;
		if (nw == 2 && strcmp(words[1], name) == 0)
			found = s;
		shlex_free(words);
	}
	return found;
}

int
awscfg_has(const struct awscfg *cfg, const char *key)
{
	return ini_has(cfg->credentials, cfg->cred_sec, key) ||
	    ini_has(cfg->config, cfg->config_sec, key);
}

const char *
awscfg_get(const struct awscfg *cfg, const char *key)
{
	if (ini_has(cfg->credentials, cfg->cred_sec, key))
		return ini_get(cfg->credentials, cfg->cred_sec, key);
	return ini_get(cfg->config, cfg->config_sec, key);
}

/* "profile NAME (PATH:LINE)" for the file that sets key. */
static void
where(const struct awscfg *cfg, const char *key, char *buf, size_t sz)
{
	const struct ini *ini = cfg->config;
	const struct ini_section *s = cfg->config_sec;

	if (ini_has(cfg->credentials, cfg->cred_sec, key)) {
		ini = cfg->credentials;
		s = cfg->cred_sec;
	}
	snprintf(buf, sz, "profile %s (%s:%zu)", cfg->profile, ini_name(ini),
	    ini_get_line(ini, s, key));
}

/*
 * An environment variable (empty = unset), else the profile's key.
 * Describes the origin in from (for messages).
 */
static const char *
setting(const struct awscfg *cfg, const char *var, const char *key,
    enum awscfg_src *src, char *from, size_t fromsz)
{
	const char *v;

	if (var != NULL && (v = env_val(&cfg->env, var)) != NULL) {
		*src = AWSCFG_SRC_ENV;
		snprintf(from, fromsz, "%s", var);
		return v;
	}
	if ((v = awscfg_get(cfg, key)) != NULL) {
		*src = AWSCFG_SRC_PROFILE;
		where(cfg, key, from, fromsz);
		return v;
	}
	*src = AWSCFG_SRC_DEFAULT;
	snprintf(from, fromsz, "default");
	return NULL;
}

static int
is_true(const char *v)
{
	return v != NULL && strcasecmp(v, "true") == 0;
}

static int
bool_setting(const struct awscfg *cfg, const char *var, const char *key)
{
	enum awscfg_src src;
	char from[PATH_MAX + 128];

	return is_true(setting(cfg, var, key, &src, from, sizeof(from)));
}

static int
select_profile(struct awscfg *cfg, const struct awscfg_opts *opts)
{
	const char *p;

	if (opts->profile != NULL) {
		p = opts->profile;
		cfg->profile_src = AWSCFG_SRC_OPTION;
	} else if ((p = env_val(&cfg->env, "AWS_PROFILE")) != NULL) {
		cfg->profile_src = AWSCFG_SRC_ENV;
		cfg->profile_var = "AWS_PROFILE";
	} else if ((p = env_val(&cfg->env, "AWS_DEFAULT_PROFILE")) != NULL) {
		cfg->profile_src = AWSCFG_SRC_ENV;
		cfg->profile_var = "AWS_DEFAULT_PROFILE";
	} else {
		p = "default";
		cfg->profile_src = AWSCFG_SRC_DEFAULT;
	}
	return (cfg->profile = strdup(p)) == NULL ? SP_ERR_ALLOC : 0;
}

static int
load_files(struct awscfg *cfg, struct errmsg *err)
{
	const char *p;
	int r;

	if ((p = env_val(&cfg->env, "AWS_CONFIG_FILE")) == NULL)
		p = "~/.aws/config";
	if ((r = awscfg_expand_path(&cfg->env, p, &cfg->config_path,
	    err)) != 0)
		return r;
	if ((p = env_val(&cfg->env, "AWS_SHARED_CREDENTIALS_FILE")) == NULL)
		p = "~/.aws/credentials";
	if ((r = awscfg_expand_path(&cfg->env, p, &cfg->credentials_path,
	    err)) != 0)
		return r;
	if ((r = ini_load(cfg->config_path, &cfg->config, err)) != 0 ||
	    (r = ini_load(cfg->credentials_path, &cfg->credentials, err)) != 0)
		return r;
	cfg->config_sec = awscfg_find_section(cfg->config, "profile",
	    cfg->profile);
	cfg->cred_sec = ini_find_section(cfg->credentials, cfg->profile);
	if (cfg->config_sec == NULL && cfg->cred_sec == NULL &&
	    cfg->profile_src != AWSCFG_SRC_DEFAULT)
		return errmsg_set(err, CFG_ERR_PROFILE,
		    "profile %s not found in %s or %s (named by %s)",
		    cfg->profile, cfg->config_path, cfg->credentials_path,
		    cfg->profile_src == AWSCFG_SRC_OPTION ? "--profile" :
		    cfg->profile_var);
	return 0;
}

static int
env_true(const struct awscfg_env *env, const char *name)
{
	const char *v = env_val(env, name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

/* "key" of profile name: its credentials-file section, then config's. */
static const char *
profile_key(const struct awscfg *cfg, const char *name, const char *key)
{
	const struct ini_section *s;
	const char *v;

	if ((s = ini_find_section(cfg->credentials, name)) != NULL &&
	    (v = ini_get(cfg->credentials, s, key)) != NULL)
		return v;
	if ((s = awscfg_find_section(cfg->config, "profile", name)) != NULL)
		return ini_get(cfg->config, s, key);
	return NULL;
}

/*
 * The region of the first profile along the profile's source_profile
 * chain that names one (the assumed role's profile itself has none).
 * Stops at a cycle or after 16 links; from receives where it was found.
 */
static const char *
source_profile_region(const struct awscfg *cfg, char *from, size_t fromsz)
{
	const char *seen[17], *sp, *v;
	size_t n = 0, i;

	seen[n++] = cfg->profile;
	while (n < 17 && (sp = profile_key(cfg, seen[n - 1],
	    "source_profile")) != NULL && *sp != '\0') {
		for (i = 0; i < n; i++)
			if (strcmp(seen[i], sp) == 0)
				return NULL;
		seen[n++] = sp;
		if ((v = profile_key(cfg, sp, "region")) != NULL &&
		    *v != '\0') {
			snprintf(from, fromsz, "region of profile %s "
			    "(source_profile of %s)", sp, seen[n - 2]);
			return v;
		}
	}
	return NULL;
}

static int
resolve_region(struct awscfg *cfg, const struct awscfg_opts *opts,
    struct errmsg *err)
{
	char from[PATH_MAX + 128];
	const char *v;

	if (opts->region != NULL) {
		v = opts->region;
		cfg->region_src = AWSCFG_SRC_OPTION;
		snprintf(from, sizeof(from), "--region");
	} else if ((v = env_val(&cfg->env, "AWS_REGION")) != NULL) {
		cfg->region_src = AWSCFG_SRC_ENV;
		cfg->region_var = "AWS_REGION";
		snprintf(from, sizeof(from), "AWS_REGION");
	} else if ((v = env_val(&cfg->env, "AWS_DEFAULT_REGION")) != NULL) {
		cfg->region_src = AWSCFG_SRC_ENV;
		cfg->region_var = "AWS_DEFAULT_REGION";
		snprintf(from, sizeof(from), "AWS_DEFAULT_REGION");
	} else if ((v = awscfg_get(cfg, "region")) != NULL && *v != '\0') {
		cfg->region_src = AWSCFG_SRC_PROFILE;
		where(cfg, "region", from, sizeof(from));
	} else if ((v = source_profile_region(cfg, from, sizeof(from))) !=
	    NULL) {
		cfg->region_src = AWSCFG_SRC_PROFILE;
	} else if (opts->region_imds && !env_true(&cfg->env,
	    "AWS_EC2_METADATA_DISABLED")) {
		cfg->region_src = AWSCFG_SRC_IMDS;
		return 0;	/* cfg->region stays NULL: the caller asks IMDS */
	} else
		return errmsg_set(err, CFG_ERR_NO_REGION, "no region "
		    "configured: use --region, set AWS_REGION or add "
		    "\"region = ...\" to profile %s in %s", cfg->profile,
		    cfg->config_path);
	if (!endpoint_region_valid(v))
		return errmsg_set(err, CFG_ERR_VALUE, "invalid region "
		    "\"%.100s\" from %s: expected a name such as us-east-1",
		    v, from);
	return (cfg->region = strdup(v)) == NULL ? SP_ERR_ALLOC : 0;
}

/* Python int() on an ASCII decimal: blanks, optional sign, digits. */
static int
parse_int(const char *s, long long *out)
{
	long long v = 0;
	int neg = 0, any = 0;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
		any = 1;
	}
	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (!any || *s != '\0')
		return -1;
	*out = neg ? -v : v;
	return 0;
}

static int
resolve_retry(struct awscfg *cfg, struct errmsg *err)
{
	char from[PATH_MAX + 128];
	enum awscfg_src src;
	long long n;
	const char *v;

	v = setting(cfg, "AWS_RETRY_MODE", "retry_mode", &src, from,
	    sizeof(from));
	if (v == NULL || strcmp(v, "standard") == 0)
		cfg->retry_mode = AWSCFG_RETRY_STANDARD;
	else if (strcmp(v, "legacy") == 0)
		cfg->retry_mode = AWSCFG_RETRY_LEGACY;
	else if (strcmp(v, "adaptive") == 0)
		cfg->retry_mode = AWSCFG_RETRY_ADAPTIVE;
	else
		return errmsg_set(err, CFG_ERR_VALUE, "invalid retry_mode "
		    "\"%.100s\" from %s: expected legacy, standard or "
		    "adaptive", v, from);
	v = setting(cfg, "AWS_MAX_ATTEMPTS", "max_attempts", &src, from,
	    sizeof(from));
	cfg->max_attempts = DEFAULT_MAX_ATTEMPTS;
	if (v == NULL)
		return 0;
	if (parse_int(v, &n) != 0 || n < 1)
		return errmsg_set(err, CFG_ERR_VALUE, "invalid max_attempts "
		    "\"%.100s\" from %s: expected an integer of at least 1",
		    v, from);
	cfg->max_attempts = (int)n;
	return 0;
}

/* Python urllib: a set lower-case variable wins, even when empty. */
static const char *
proxy_var(const struct awscfg *cfg, const char *lower, const char *upper)
{
	const char *v;

	if ((v = env_raw(&cfg->env, lower)) != NULL)
		return *v != '\0' ? v : NULL;
	return env_val(&cfg->env, upper);
}

static int
dup_opt(char **dst, const char *src)
{
	if (src == NULL)
		return 0;
	return (*dst = strdup(src)) == NULL ? SP_ERR_ALLOC : 0;
}

static int
resolve_misc(struct awscfg *cfg, const struct awscfg_opts *opts)
{
	char from[PATH_MAX + 128];
	const char *v;
	int r;

	cfg->use_fips = bool_setting(cfg, "AWS_USE_FIPS_ENDPOINT",
	    "use_fips_endpoint");
	cfg->use_dualstack = bool_setting(cfg, "AWS_USE_DUALSTACK_ENDPOINT",
	    "use_dualstack_endpoint");
	cfg->ignore_configured_endpoint_urls = bool_setting(cfg,
	    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	    "ignore_configured_endpoint_urls");
	if (opts->ca_bundle != NULL) {
		v = opts->ca_bundle;
		cfg->ca_bundle_src = AWSCFG_SRC_OPTION;
	} else if ((v = setting(cfg, "AWS_CA_BUNDLE", "ca_bundle",
	    &cfg->ca_bundle_src, from, sizeof(from))) != NULL && *v == '\0') {
		v = NULL;
		cfg->ca_bundle_src = AWSCFG_SRC_DEFAULT;
	}
	if ((r = dup_opt(&cfg->ca_bundle, v)) != 0 ||
	    (r = dup_opt(&cfg->endpoint_url, opts->endpoint_url)) != 0 ||
	    (r = dup_opt(&cfg->https_proxy, proxy_var(cfg, "https_proxy",
	    "HTTPS_PROXY"))) != 0 ||
	    (r = dup_opt(&cfg->no_proxy, proxy_var(cfg, "no_proxy",
	    "NO_PROXY"))) != 0)
		return r;
	return 0;
}

/* scheme "http" or "https", a non-empty authority, no blanks. */
static int
url_valid(const char *u)
{
	const char *p;
	size_t n;

	for (p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	if (strncasecmp(u, "https://", 8) == 0)
		n = 8;
	else if (strncasecmp(u, "http://", 7) == 0)
		n = 7;
	else
		return 0;
	p = u + n;
	return *p != '\0' && *p != '/' && *p != '?' && *p != '#' &&
	    *p != ':' && *p != '@';
}

int
awscfg_load(const struct awscfg_env *env, const struct awscfg_opts *opts,
    struct awscfg **cfgp, struct errmsg *err)
{
	struct awscfg *cfg;
	int r = SP_ERR_INTERNAL;

	*cfgp = NULL;
	errmsg_clear(err);
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	cfg->env = *env;
	if ((r = select_profile(cfg, opts)) != 0 ||
	    (r = load_files(cfg, err)) != 0 ||
	    (r = resolve_region(cfg, opts, err)) != 0 ||
	    (r = resolve_retry(cfg, err)) != 0 ||
	    (r = resolve_misc(cfg, opts)) != 0)
		goto out;
	if (cfg->endpoint_url != NULL && !url_valid(cfg->endpoint_url)) {
		r = errmsg_set(err, CFG_ERR_VALUE, "invalid endpoint URL "
		    "\"%.200s\" from --endpoint-url: expected http:// or "
		    "https:// and a host", cfg->endpoint_url);
		goto out;
	}
	*cfgp = cfg;
	cfg = NULL;
	r = 0;
 out:
	if (r == SP_ERR_ALLOC)
		errmsg_set(err, r, "out of memory");
	awscfg_free(cfg);
	return r;
}

void
awscfg_free(struct awscfg *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->profile);
	free(cfg->config_path);
	free(cfg->credentials_path);
	ini_free(cfg->config);
	ini_free(cfg->credentials);
	free(cfg->region);
	free(cfg->endpoint_url);
	free(cfg->ca_bundle);
	free(cfg->https_proxy);
	free(cfg->no_proxy);
	free(cfg);
}

/* endpoint_url in the profile's [services NAME] block for svc, if any. */
static int
services_url(const struct awscfg *cfg, const struct endpoint_service *svc,
    const char **url, char *from, size_t fromsz, struct errmsg *err)
{
	const struct ini_section *s;
	const char *name;

	*url = NULL;
	if ((name = awscfg_get(cfg, "services")) == NULL)
		return 0;
	s = awscfg_find_section(cfg->config, "services", name);
	if (s == NULL || (ini_key_count(s) == 0 &&
	    ini_default_count(cfg->config) == 0))
		return errmsg_set(err, CFG_ERR_VALUE, "profile %s sets "
		    "services = %.100s but %s has no [services %.100s] section",
		    cfg->profile, name, cfg->config_path, name);
	*url = ini_get_sub(cfg->config, s, svc->config_key, "endpoint_url");
	snprintf(from, fromsz, "[services %s] in %s", name, cfg->config_path);
	return 0;
}

/* A configured override URL for svc, or *url = NULL. */
static int
configured_url(const struct awscfg *cfg, const struct endpoint_service *svc,
    const char **url, struct awscfg_endpoint *ep, struct errmsg *err)
{
	char var[64];
	int r;

	*url = NULL;
	if (strcmp(svc->id, "ssm") == 0 && cfg->endpoint_url != NULL) {
		*url = cfg->endpoint_url;
		ep->src = AWSCFG_SRC_OPTION;
		snprintf(ep->src_name, sizeof(ep->src_name), "--endpoint-url");
		return 0;
	}
	if (cfg->ignore_configured_endpoint_urls)
		return 0;
	snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", svc->env_suffix);
	ep->src = AWSCFG_SRC_ENV;
	snprintf(ep->src_name, sizeof(ep->src_name), "%s", var);
	if ((*url = env_val(&cfg->env, var)) != NULL)
		return 0;
	snprintf(ep->src_name, sizeof(ep->src_name), "AWS_ENDPOINT_URL");
	if ((*url = env_val(&cfg->env, "AWS_ENDPOINT_URL")) != NULL)
		return 0;
	ep->src = AWSCFG_SRC_SERVICES;
	if ((r = services_url(cfg, svc, url, ep->src_name,
	    sizeof(ep->src_name), err)) != 0)
		return r;
	if (*url != NULL && **url != '\0')
		return 0;
	ep->src = AWSCFG_SRC_PROFILE;
	where(cfg, "endpoint_url", ep->src_name, sizeof(ep->src_name));
	if ((*url = awscfg_get(cfg, "endpoint_url")) != NULL && **url != '\0')
		return 0;
	*url = NULL;
	return 0;
}

static int
sts_legacy(const struct awscfg *cfg, int *legacy, struct errmsg *err)
{
	char from[PATH_MAX + 128];
	enum awscfg_src src;
	const char *v;

	*legacy = 0;
	v = setting(cfg, "AWS_STS_REGIONAL_ENDPOINTS", "sts_regional_endpoints",
	    &src, from, sizeof(from));
	if (v == NULL || strcmp(v, "regional") == 0)
		return 0;
	if (strcmp(v, "legacy") == 0) {
		*legacy = 1;
		return 0;
	}
	return errmsg_set(err, CFG_ERR_VALUE, "invalid sts_regional_endpoints "
	    "\"%.100s\" from %s: expected legacy or regional", v, from);
}

int
awscfg_endpoint(const struct awscfg *cfg, const char *service,
    const char *region, struct awscfg_endpoint *ep, struct errmsg *err)
{
	const struct endpoint_service *svc;
	struct endpoint_params p;
	const char *url;
	int r;

	memset(ep, 0, sizeof(*ep));
	if ((svc = endpoint_service(service)) == NULL)
		return errmsg_set(err, SP_ERR_INVALID_ARG,
		    "unknown service \"%.50s\"", service);
	if (region == NULL)
		region = cfg->region;
	if (!endpoint_region_valid(region))
		return errmsg_set(err, CFG_ERR_VALUE, "invalid region "
		    "\"%.100s\" for %s: expected a name such as us-east-1",
		    region, service);
	if ((r = configured_url(cfg, svc, &url, ep, err)) != 0)
		return r;
	if (url != NULL) {
		/* The rule sets refuse variants of a custom endpoint. */
		if (cfg->use_fips || cfg->use_dualstack)
			return errmsg_set(err, CFG_ERR_VALUE, "%s endpoints "
			    "cannot be used with the custom %s endpoint from "
			    "%s", cfg->use_fips ? "FIPS" : "dual-stack",
			    service, ep->src_name);
		if (!url_valid(url) || strlen(url) >= sizeof(ep->url))
			return errmsg_set(err, CFG_ERR_VALUE, "invalid "
			    "endpoint "
			    "URL \"%.200s\" from %s: expected http:// or "
			    "https:// and a host", url, ep->src_name);
		snprintf(ep->url, sizeof(ep->url), "%s", url);
		snprintf(ep->signing_region, sizeof(ep->signing_region), "%s",
		    region);
		return 0;
	}
	memset(&p, 0, sizeof(p));
	p.region = region;
	p.use_fips = cfg->use_fips;
	p.use_dualstack = cfg->use_dualstack;
	if (strcmp(svc->id, "sts") == 0 &&
	    (r = sts_legacy(cfg, &p.sts_legacy, err)) != 0)
		return r;
	ep->src = AWSCFG_SRC_DEFAULT;
	snprintf(ep->src_name, sizeof(ep->src_name), "partition %s",
	    endpoint_partition(region)->id);
	return endpoint_default_url(svc, &p, ep->url, sizeof(ep->url),
	    ep->signing_region, err);
}

const char *
awscfg_https_proxy_for(const struct awscfg *cfg, const char *host, int port)
{
	if (cfg->https_proxy == NULL ||
	    noproxy_match(cfg->no_proxy, host, port))
		return NULL;
	return cfg->https_proxy;
}
