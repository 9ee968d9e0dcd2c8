/*
 * The credential chain; see creds.h.  Order and conditions follow
 * botocore's create_credential_resolver, EnvProvider,
 * SharedCredentialProvider, ProcessProvider and ConfigProvider, and the
 * activation tests of the providers we do not implement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awscfg.h"
#include "credproc.h"
#include "creds.h"
#include "credsrc.h"
#include "ini.h"
#include "strutil.h"

static int
unsupported(const struct awscfg *cfg, const char *key, struct errmsg *err)
{
	return errmsg_set(err, SP_ERR_UNSUPPORTED, "profile %s uses %s, which "
	    "ssm-proxy does not support yet", cfg->profile, key);
}



/* 1: AWS_ACCESS_KEY_ID and friends.  *out stays NULL if not set. */
static int
from_env(const struct awscfg *cfg, time_t now, struct creds **out,
    struct errmsg *err)
{
	const char *ak, *sk, *tok, *exp;
	time_t expiry = 0;

	if ((ak = awscfg_getenv(cfg, "AWS_ACCESS_KEY_ID")) == NULL)
		return 0;
	if ((sk = awscfg_getenv(cfg, "AWS_SECRET_ACCESS_KEY")) == NULL)
		return errmsg_set(err, CFG_ERR_VALUE, "AWS_ACCESS_KEY_ID is "
		    "set "
		    "but AWS_SECRET_ACCESS_KEY is not");
	if ((tok = awscfg_getenv(cfg, "AWS_SECURITY_TOKEN")) == NULL)
		tok = awscfg_getenv(cfg, "AWS_SESSION_TOKEN");
	if ((exp = awscfg_getenv(cfg, "AWS_CREDENTIAL_EXPIRATION")) != NULL) {
		if (creds_parse_time(exp, &expiry) != 0)
			return errmsg_set(err, CFG_ERR_VALUE,
			    "AWS_CREDENTIAL_EXPIRATION \"%.64s\" is not an "
			    "RFC 3339 time", exp);
		if (expiry <= now)
			return errmsg_set(err, CFG_ERR_EXPIRED, "the "
			    "credentials "
			    "in AWS_ACCESS_KEY_ID expired at %.64s "
			    "(AWS_CREDENTIAL_EXPIRATION)", exp);
	}
	if (creds_new(ak, sk, tok, expiry, CREDS_SRC_ENV, out) != 0)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	return 0;
}


/* 5 and 8: static keys in one file's section of the profile. */
static int
from_file(const char *name, const struct ini *ini,
    const struct ini_section *s, enum creds_source src, struct creds **out,
    struct errmsg *err)
{
	const char *ak, *sk, *tok = NULL;

	if (s == NULL || !ini_has(ini, s, "aws_access_key_id"))
		return 0;
	ak = ini_get(ini, s, "aws_access_key_id");
	if (ak == NULL || *ak == '\0')
		return errmsg_set(err, CFG_ERR_VALUE, "profile %s has an empty "
		    "aws_access_key_id in %s:%zu", name, ini_name(ini),
		    ini_get_line(ini, s, "aws_access_key_id"));
	if (!ini_has(ini, s, "aws_secret_access_key"))
		return errmsg_set(err, CFG_ERR_VALUE, "profile %s sets "
		    "aws_access_key_id but not aws_secret_access_key in %s",
		    name, ini_name(ini));
	sk = ini_get(ini, s, "aws_secret_access_key");
	if (sk == NULL || *sk == '\0')
		return errmsg_set(err, CFG_ERR_VALUE, "profile %s has an empty "
		    "aws_secret_access_key in %s:%zu", name,
		    ini_name(ini), ini_get_line(ini, s,
		    "aws_secret_access_key"));
	/* botocore takes the first token key present. */
	if (ini_has(ini, s, "aws_security_token"))
		tok = ini_get(ini, s, "aws_security_token");
	else if (ini_has(ini, s, "aws_session_token"))
		tok = ini_get(ini, s, "aws_session_token");
	if (tok != NULL && *tok == '\0')
		tok = NULL;
	if (creds_new(ak, sk, tok, 0, src, out) != 0)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	return 0;
}


static int
has_static(const struct rctx *x, const struct prof *pr)
{
	return src_has(x, pr, "aws_access_key_id");
}


/* 7: credential_process of profile pr. */
static int
from_process(struct rctx *x, const struct prof *pr, struct creds **out)
{
	const char *cmd;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!src_has(x, pr, "credential_process"))
		return 0;
	cmd = src_get(x, pr, "credential_process");
	if (cmd == NULL || *cmd == '\0')
		r = errmsg_set(x->err, CFG_ERR_VALUE, "the command line is "
		    "empty");
	else if ((r = credproc_run(cmd, x->p->process_timeout_ms,
	    x->p->process_max_output, &text, &len, x->err)) == 0)
		r = credproc_parse(text, len, x->p->now, out, x->err);
	credproc_output_free(text, len);
	if (r != 0)
		errmsg_prefix(x->err, "credential_process of profile %s: ",
		    pr->name);
	return r;
}


static int
find_prof(struct rctx *x, const char *name, struct prof *pr)
{
	pr->name = name;
	pr->cs = awscfg_find_section(x->cfg->config, "profile", name);
	pr->ks = ini_find_section(x->cfg->credentials, name);
	if (pr->cs == NULL && pr->ks == NULL)
		return errmsg_set(x->err, CFG_ERR_PROFILE, "profile %s (a "
		    "source_profile) not found in %s or %s", name,
		    x->cfg->config_path, x->cfg->credentials_path);
	return 0;
}


static int
visited(const struct rctx *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->nvisited; i++)
		if (strcmp(x->visited[i], name) == 0)
			return 1;
	return 0;
}


/* botocore's InfiniteLoopConfigError, on one line. */
static int
cycle_error(struct rctx *x, const char *name)
{
	char path[ERRMSG_MAX / 2];
	size_t i, o = 0;
	int n;

	path[0] = '\0';
	for (i = 0; i < x->nvisited && o < sizeof(path); i++) {
		n = snprintf(path + o, sizeof(path) - o, "%s%s", i ? ", " : "",
		    x->visited[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return errmsg_set(x->err, CFG_ERR_VALUE, "infinite loop in credential "
	    "configuration: profile %s, the source_profile of profile %s, "
	    "was already visited (visited profiles: %s)", name,
	    x->visited[x->nvisited - 1], path);
}


static int resolve_source(struct rctx *, const struct prof *,
    struct creds **);

/* The credentials a role is assumed with: source_profile's or
 * credential_source's.  Cycles are refused here, before any lock. */
static int
role_source(struct rctx *x, const struct prof *pr, const char *sp,
    const char *cs, struct creds **src)
{
	struct prof spr;
	int r;

	if (cs != NULL) {
		if (strcmp(cs, "Environment") == 0) {
			if ((r = from_env(x->cfg, x->p->now, src, x->err)) ==
			    0 && *src == NULL)
				r = errmsg_set(x->err, CFG_ERR_NO_CREDS,
				    "profile %s: credential_source Environment "
				    "but AWS_ACCESS_KEY_ID is not set",
				    pr->name);
			return r;
		}
		if (strcmp(cs, "Ec2InstanceMetadata") == 0)
			return src_imds(x, src);
		if (strcmp(cs, "EcsContainer") == 0)
			return src_container(x, src);
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: "
		    "credential_source \"%.64s\" is not one of Environment, "
		    "Ec2InstanceMetadata, EcsContainer", pr->name, cs);
	}
	/* Only a profile naming itself with static keys may come again. */
	if (visited(x, sp) && !(strcmp(sp, pr->name) == 0 &&
	    has_static(x, pr)))
		return cycle_error(x, sp);
	if (x->nvisited >= MAX_CHAIN)
		return errmsg_set(x->err, CFG_ERR_VALUE, "source_profile "
		    "chain of profile %s is longer than %d", pr->name,
		    MAX_CHAIN);
	if ((r = find_prof(x, sp, &spr)) != 0)
		return r;
	x->visited[x->nvisited++] = sp;
	if (strcmp(sp, pr->name) != 0)
		return resolve_source(x, &spr, src);
	if ((r = from_file(sp, x->cfg->credentials, spr.ks,
	    CREDS_SRC_CREDENTIALS_FILE, src, x->err)) != 0 || *src != NULL)
		return r;
	return from_file(sp, x->cfg->config, spr.cs, CREDS_SRC_CONFIG_FILE,
	    src, x->err);
}


static int
has_sso(const struct rctx *x, const struct prof *pr)
{
	return src_has(x, pr, "sso_session") || src_has(x, pr, "sso_account_id") ||
	    src_has(x, pr, "sso_role_name") || src_has(x, pr, "sso_start_url");
}


/* A source_profile's credentials (botocore _resolve_credentials_from_
 * profile). */
static int
resolve_source(struct rctx *x, const struct prof *pr, struct creds **out)
{
	int r;

	if (src_has(x, pr, "role_arn") && !src_has(x, pr,
	    "web_identity_token_file"))
		return src_assume_role(x, pr, out);
	if (src_has(x, pr, "web_identity_token_file"))
		return src_web_identity(x, pr, 0, out);
	if (has_sso(x, pr))
		return src_sso(x, pr, out);
	if ((r = from_process(x, pr, out)) != 0 || *out != NULL)
		return r;
	if ((r = from_file(pr->name, x->cfg->credentials, pr->ks,
	    CREDS_SRC_CREDENTIALS_FILE, out, x->err)) != 0 || *out != NULL ||
	    (r = from_file(pr->name, x->cfg->config, pr->cs,
	    CREDS_SRC_CONFIG_FILE, out, x->err)) != 0 || *out != NULL)
		return r;
	return errmsg_set(x->err, CFG_ERR_NO_CREDS, "source_profile %s has "
	    "neither static credentials nor a role, web identity, SSO or "
	    "credential_process configuration", pr->name);
}


/* creds_resolve's chain, with x set up. */
static int
resolve(struct rctx *x, struct creds **out)
{
	const struct awscfg *cfg = x->cfg;
	const struct creds_params *p = x->p;
	int explicit = cfg->profile_src == AWSCFG_SRC_OPTION;
	struct errmsg *err = x->err;
	struct prof pr;
	int r;

	pr.name = cfg->profile;
	pr.cs = cfg->config_sec;
	pr.ks = cfg->cred_sec;
	x->visited[x->nvisited++] = cfg->profile;
	/* 1 */
	if (!explicit && ((r = from_env(cfg, p->now, out, err)) != 0 ||
	    *out != NULL))
		return r;
	/* 2 */
	if (src_has(x, &pr, "role_arn") && !src_has(x, &pr,
	    "web_identity_token_file"))
		return src_assume_role(x, &pr, out);
	/* 3 */
	if ((!explicit && src_env(x, "AWS_WEB_IDENTITY_TOKEN_FILE") != NULL) ||
	    src_get(x, &pr, "web_identity_token_file") != NULL)
		return src_web_identity(x, &pr, !explicit, out);
	/* 4 */
	if (src_has(x, &pr, "sso_account_id") || src_has(x, &pr, "sso_role_name"))
		return src_sso(x, &pr, out);
	/* 5 */
	if ((r = from_file(pr.name, cfg->credentials, pr.ks,
	    CREDS_SRC_CREDENTIALS_FILE, out, err)) != 0 || *out != NULL)
		return r;
	if (awscfg_has(cfg, "login_session"))
		return unsupported(cfg, "login_session", err);
	/* 7, 8 */
	if ((r = from_process(x, &pr, out)) != 0 || *out != NULL ||
	    (r = from_file(pr.name, cfg->config, pr.cs,
	    CREDS_SRC_CONFIG_FILE, out, err)) != 0 || *out != NULL)
		return r;
	/* 10 */
	if (src_env(x, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != NULL ||
	    src_env(x, "AWS_CONTAINER_CREDENTIALS_FULL_URI") != NULL)
		return src_container(x, out);
	/* 11 */
	if (!src_is_true(src_env(x, "AWS_EC2_METADATA_DISABLED"))) {
		if ((r = src_imds(x, out)) == 0 || r == CFG_ERR_INTERRUPTED)
			return r;
		errmsg_prefix(err, "no credentials for profile %s in the "
		    "environment, %s or %s; ", cfg->profile,
		    cfg->credentials_path, cfg->config_path);
		return CFG_ERR_NO_CREDS;
	}
	return errmsg_set(err, CFG_ERR_NO_CREDS, "no credentials for profile "
	    "%s in the environment, %s or %s", cfg->profile,
	    cfg->credentials_path, cfg->config_path);
}


int
creds_resolve(const struct awscfg *cfg, const struct creds_params *p,
    struct creds **out, struct errmsg *err)
{
	struct rctx x;
	int r;

	*out = NULL;
	errmsg_clear(err);
	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	x.p = p;
	x.err = err;
	x.role_source = role_source;
	if (awscfg_home(&cfg->env, &x.home, &x.home_err) == 0 &&
	    (x.cache = strjoin(x.home, "/.aws/cli/cache", "", "")) == NULL)
		return src_nomem(err);
	r = resolve(&x, out);
	free(x.home);
	free(x.cache);
	return r;
}

