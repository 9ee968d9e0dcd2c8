/*
 * The credential chain; see creds.h.  Order and conditions follow
 * botocore's create_credential_resolver, EnvProvider,
 * SharedCredentialProvider, ProcessProvider and ConfigProvider, and the
 * activation tests of the providers we do not implement.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "awscfg.h"
#include "credproc.h"
#include "creds.h"
#include "ini.h"

static void
wipe_str(char *s)
{
	if (s != NULL)
		OPENSSL_clear_free(s, strlen(s) + 1);
}

void
creds_free(struct creds *c)
{
	if (c == NULL)
		return;
	wipe_str(c->access_key_id);
	wipe_str(c->secret_access_key);
	wipe_str(c->session_token);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

int
creds_new(const char *akid, const char *secret, const char *token,
    time_t expiry, enum creds_source source, struct creds **out)
{
	struct creds *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SP_ERR_ALLOC;
	c->expiry = expiry;
	c->source = source;
	if ((c->access_key_id = strdup(akid)) == NULL ||
	    (c->secret_access_key = strdup(secret)) == NULL ||
	    (token != NULL && (c->session_token = strdup(token)) == NULL)) {
		creds_free(c);
		return SP_ERR_ALLOC;
	}
	*out = c;
	return 0;
}

const char *
creds_source_str(enum creds_source source)
{
	switch (source) {
	case CREDS_SRC_ENV:		return "environment";
	case CREDS_SRC_CREDENTIALS_FILE: return "shared credentials file";
	case CREDS_SRC_PROCESS:		return "credential_process";
	case CREDS_SRC_CONFIG_FILE:	return "shared config file";
	default:			return "unknown";
	}
}

static int
unsupported(const struct awscfg *cfg, const char *key, struct errmsg *err)
{
	return errmsg_set(err, SP_ERR_UNSUPPORTED, "profile %s uses %s, which "
	    "ssm-proxy does not support yet", cfg->profile, key);
}

static int
unsupported_env(const char *var, const char *what, struct errmsg *err)
{
	return errmsg_set(err, SP_ERR_UNSUPPORTED, "%s is set (%s), which "
	    "ssm-proxy does not support yet", var, what);
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
		if (credproc_parse_time(exp, &expiry) != 0)
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
from_file(const struct awscfg *cfg, const struct ini *ini,
    const struct ini_section *s, enum creds_source src, struct creds **out,
    struct errmsg *err)
{
	const char *ak, *sk, *tok = NULL;

	if (s == NULL || !ini_has(ini, s, "aws_access_key_id"))
		return 0;
	ak = ini_get(ini, s, "aws_access_key_id");
	if (ak == NULL || *ak == '\0')
		return errmsg_set(err, CFG_ERR_VALUE, "profile %s has an empty "
		    "aws_access_key_id in %s:%zu", cfg->profile, ini_name(ini),
		    ini_get_line(ini, s, "aws_access_key_id"));
	if (!ini_has(ini, s, "aws_secret_access_key"))
		return errmsg_set(err, CFG_ERR_VALUE, "profile %s sets "
		    "aws_access_key_id but not aws_secret_access_key in %s",
		    cfg->profile, ini_name(ini));
	sk = ini_get(ini, s, "aws_secret_access_key");
	if (sk == NULL || *sk == '\0')
		return errmsg_set(err, CFG_ERR_VALUE, "profile %s has an empty "
		    "aws_secret_access_key in %s:%zu", cfg->profile,
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

/* 7: credential_process. */
static int
from_process(const struct awscfg *cfg, const struct creds_params *p,
    struct creds **out, struct errmsg *err)
{
	const char *cmd;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!awscfg_has(cfg, "credential_process"))
		return 0;
	cmd = awscfg_get(cfg, "credential_process");
	if (cmd == NULL || *cmd == '\0')
		r = errmsg_set(err, CFG_ERR_VALUE, "the command line is empty");
	else if ((r = credproc_run(cmd, p->process_timeout_ms,
	    p->process_max_output, &text, &len, err)) == 0)
		r = credproc_parse(text, len, p->now, out, err);
	credproc_output_free(text, len);
	if (r != 0)
		errmsg_prefix(err, "credential_process of profile %s: ",
		    cfg->profile);
	return r;
}

/* Sources 2, 3, 4 that would come before the static keys. */
static int
check_early(const struct awscfg *cfg, int explicit, struct errmsg *err)
{
	const char *v;

	if (awscfg_has(cfg, "role_arn") &&
	    !awscfg_has(cfg, "web_identity_token_file"))
		return unsupported(cfg, "role_arn", err);
	if (!explicit && awscfg_getenv(cfg, "AWS_WEB_IDENTITY_TOKEN_FILE"))
		return unsupported_env("AWS_WEB_IDENTITY_TOKEN_FILE",
		    "web identity credentials", err);
	if ((v = awscfg_get(cfg, "web_identity_token_file")) != NULL &&
	    *v != '\0')
		return unsupported(cfg, "web_identity_token_file", err);
	if (awscfg_has(cfg, "sso_account_id"))
		return unsupported(cfg, "sso_account_id", err);
	if (awscfg_has(cfg, "sso_role_name"))
		return unsupported(cfg, "sso_role_name", err);
	return 0;
}

static int
nothing_found(const struct awscfg *cfg, struct errmsg *err)
{
	const char *v;

	if (awscfg_getenv(cfg, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"))
		return unsupported_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		    "container credentials", err);
	if (awscfg_getenv(cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
		return unsupported_env("AWS_CONTAINER_CREDENTIALS_FULL_URI",
		    "container credentials", err);
	v = awscfg_getenv(cfg, "AWS_EC2_METADATA_DISABLED");
	return errmsg_set(err, CFG_ERR_NO_CREDS, "no credentials for profile "
	    "%s in the environment, %s or %s%s", cfg->profile,
	    cfg->credentials_path, cfg->config_path,
	    v != NULL && strcasecmp(v, "true") == 0 ? "" :
	    "; instance metadata (IMDS) credentials are not supported yet");
}

int
creds_resolve(const struct awscfg *cfg, const struct creds_params *p,
    struct creds **out, struct errmsg *err)
{
	int explicit = cfg->profile_src == AWSCFG_SRC_OPTION;
	int r;

	*out = NULL;
	errmsg_clear(err);
	if (!explicit && ((r = from_env(cfg, p->now, out, err)) != 0 ||
	    *out != NULL))
		return r;
	if ((r = check_early(cfg, explicit, err)) != 0 ||
	    (r = from_file(cfg, cfg->credentials, cfg->cred_sec,
	    CREDS_SRC_CREDENTIALS_FILE, out, err)) != 0 || *out != NULL)
		return r;
	if (awscfg_has(cfg, "login_session"))
		return unsupported(cfg, "login_session", err);
	if ((r = from_process(cfg, p, out, err)) != 0 || *out != NULL ||
	    (r = from_file(cfg, cfg->config, cfg->config_sec,
	    CREDS_SRC_CONFIG_FILE, out, err)) != 0 || *out != NULL)
		return r;
	return nothing_found(cfg, err);
}
