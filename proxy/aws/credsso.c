/*
 * IAM Identity Center: the token `aws sso login` left in
 * ~/.aws/sso/cache, then GetRoleCredentials, through the CLI's cache
 * (credcache.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "awscfg.h"
#include "credcache.h"
#include "credsrc.h"
#include "file.h"
#include "http.h"
#include "ini.h"
#include "json.h"
#include "notice.h"
#include "sigv4.h"
#include "strutil.h"
#include "urlenc.h"

/* One GetRoleCredentials in the making. */
struct sso_call {
	const struct prof *pr;
	const char	*sess;		/* sso_session; NULL: legacy keys */
	const char	*acct;
	const char	*role;
	const char	*url;		/* sso_start_url */
	const char	*region;	/* sso_region */
	char		 hex[41];	/* the cache entry */
};

static int
sso_login_error(struct rctx *x, const char *profile, const char *why)
{
	return errmsg_set(x->err, CFG_ERR_EXPIRED, "the IAM Identity Center "
	    "token of profile %s %s: run `aws sso login --profile %s`",
	    profile, why, profile);
}

/* The settings of profile pr (or of its sso-session) and the entry. */
static int
sso_settings(struct rctx *x, const struct prof *pr, struct sso_call *c)
{
	const struct ini_section *ss;
	char *text = NULL;

	c->pr = pr;
	c->sess = src_get(x, pr, "sso_session");
	c->acct = src_get(x, pr, "sso_account_id");
	c->role = src_get(x, pr, "sso_role_name");
	if (c->sess != NULL) {
		if ((ss = awscfg_find_section(x->cfg->config, "sso-session",
		    c->sess)) == NULL)
			return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: "
			    "sso-session %s not found in %s", pr->name,
			    c->sess, x->cfg->config_path);
		c->url = ini_get(x->cfg->config, ss, "sso_start_url");
		c->region = ini_get(x->cfg->config, ss, "sso_region");
	} else {
		c->url = src_get(x, pr, "sso_start_url");
		c->region = src_get(x, pr, "sso_region");
	}
	if (c->url == NULL || c->region == NULL || c->acct == NULL ||
	    c->role == NULL)
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: IAM "
		    "Identity Center needs sso_start_url, sso_region, "
		    "sso_account_id and sso_role_name", pr->name);
	if (credcache_sso_text(c->url, c->role, c->acct, c->sess, &text) != 0)
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: an SSO "
		    "setting is not valid UTF-8", pr->name);
	credcache_sha1(text, c->hex);
	free(text);
	return 0;
}

/* The access token aws sso login cached (caller wipes *token). */
static int
sso_token(struct rctx *x, const struct sso_call *c, char **token)
{
	const char *name = c->pr->name;
	char h[41], *path = NULL, *file = NULL;
	size_t len = 0;
	int r;

	*token = NULL;
	if (x->home == NULL)
		return errmsg_set(x->err, CFG_ERR_IO, "profile %s: no IAM "
		    "Identity Center token: %s", name, x->home_err.msg);
	credcache_sha1(c->sess != NULL ? c->sess : c->url, h);
	if ((path = strjoin(x->home, "/.aws/sso/cache/", h, ".json")) ==
	    NULL)
		return src_nomem(x->err);
	if ((r = src_read_file(x, "the IAM Identity Center token cache file",
	    path, FILE_NOFOLLOW, SSO_TOKEN_FILE_MAX, &file, &len)) != 0) {
		if (errno == ENOENT)
			r = sso_login_error(x, name, "is missing");
		goto out;
	}
	if ((r = creds_parse_sso_token(file, len, x->p->now, token,
	    x->err)) != 0) {
		if (r == CFG_ERR_EXPIRED)
			r = sso_login_error(x, name, "has expired");
		else
			errmsg_prefix(x->err, "%s: ", path);
	}
 out:
	if (file != NULL)
		OPENSSL_clear_free(file, len + 1);
	free(path);
	return r;
}

/* The GetRoleCredentials URL at endpoint base. */
static int
sso_url(struct rctx *x, const struct sso_call *c, const char *base,
    char **full)
{
	char *ea = NULL, *er = NULL, *part = NULL;
	int r = 0;

	*full = NULL;
	if (urlenc_dup(c->acct, &ea) != 0 || urlenc_dup(c->role, &er) != 0 ||
	    (part = strjoin(base, "/federation/credentials?role_name=", er,
	    "")) == NULL ||
	    (*full = strjoin(part, "&account_id=", ea, "")) == NULL)
		r = src_nomem(x->err);
	free(part);
	free(ea);
	free(er);
	return r;
}

/* The answer of GetRoleCredentials. */
static int
sso_answer(struct rctx *x, const struct sso_call *c,
    const struct http_resp *resp, struct creds **out)
{
	struct json *j = NULL;
	const char *m = "";
	int r;

	if (resp->status == 401)
		return sso_login_error(x, c->pr->name, "was refused "
		    "(UnauthorizedException)");
	if (resp->status == 200)
		return creds_parse_sso_role(resp->body, resp->len, x->p->now,
		    out, x->err);
	if (json_parse(resp->body, resp->len, &j) == 0 &&
	    json_get_str(j, "message", &m) != 0 &&
	    json_get_str(j, "Message", &m) != 0)
		m = "";
	r = errmsg_set(x->err, CFG_ERR_PROCESS, "GetRoleCredentials "
	    "failed: HTTP %ld: %.200s", resp->status, m);
	json_free(j);
	return r;
}

/* GetRoleCredentials with token. */
static int
sso_get(struct rctx *x, const struct sso_call *c, const char *token,
    struct creds **out)
{
	struct awscfg_endpoint ep;
	struct http_req hr;
	struct http_resp resp;
	struct sigv4_url *u;
	char *full = NULL, *hdr = NULL;
	int r;

	memset(&resp, 0, sizeof(resp));
	if ((r = awscfg_endpoint(x->cfg, "sso", c->region, &ep, x->err)) != 0)
		return r;
	if ((r = sso_url(x, c, ep.url, &full)) != 0)
		return r;
	if ((hdr = strjoin("x-amz-sso_bearer_token: ", token, "", "")) ==
	    NULL) {
		r = src_nomem(x->err);
		goto out;
	}
	memset(&hr, 0, sizeof(hr));
	hr.method = "GET";
	hr.url = full;
	hr.headers[hr.nheaders++] = hdr;
	hr.ca_file = x->cfg->ca_bundle;
	hr.timeout_ms = 30000;
	if (sigv4_url_split(full, &u) == 0) {
		hr.proxy = awscfg_https_proxy_for(x->cfg, u->host, u->port);
		sigv4_url_free(u);
	}
	http_warn_cleartext(full);
	notice(NOTICE_DEBUG, "GetRoleCredentials %s/%s at %s", c->acct,
	    c->role, ep.url);
	if ((r = http_do(&hr, &resp, x->err)) == 0)
		r = sso_answer(x, c, &resp, out);
 out:
	wipe_str(hdr);
	free(full);
	http_resp_free(&resp);
	return r;
}

/* With the lock: the token, then the call. */
static int
sso_fetch(struct rctx *x, void *arg, struct creds **out)
{
	const struct sso_call *c = arg;
	char *token = NULL;
	int r;

	if ((r = sso_token(x, c, &token)) == 0)
		r = sso_get(x, c, token, out);
	wipe_str(token);
	return r;
}

/* 4: IAM Identity Center (sso_session or legacy keys). */
int
src_sso(struct rctx *x, const struct prof *pr, struct creds **out)
{
	struct sso_call c;
	struct src_fetch f;
	int r;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if ((r = sso_settings(x, pr, &c)) != 0)
		return r;
	memset(&f, 0, sizeof(f));
	f.hex = c.hex;
	f.src = CREDS_SRC_SSO;
	f.provider_type = "sso";
	f.fetch = sso_fetch;
	f.arg = &c;
	return src_cached(x, &f, out);
}

int
creds_parse_sso_role(const void *data, size_t len, time_t now,
    struct creds **out, struct errmsg *err)
{
	return src_parse_json(data, len, now, "GetRoleCredentials",
	    "accessKeyId", "secretAccessKey", "sessionToken", "expiration", 1,
	    CREDS_SRC_SSO, out, err);
}


int
creds_parse_sso_token(const void *data, size_t len, time_t now,
    char **tokenp, struct errmsg *err)
{
	struct json *j = NULL;
	const char *tok, *exp;
	time_t t;
	int r;

	*tokenp = NULL;
	if ((r = json_parse(data, len, &j)) != 0)
		return src_json_error(err, r, "the SSO token cache file", "it");
	if (json_get_str(j, "accessToken", &tok) != 0 || *tok == '\0' ||
	    json_get_str(j, "expiresAt", &exp) != 0 ||
	    creds_parse_time(exp, &t) != 0)
		r = errmsg_set(err, CFG_ERR_VALUE, "the SSO token cache file "
		    "lacks accessToken or a valid expiresAt");
	else if (t <= now)
		r = CFG_ERR_EXPIRED;
	else if ((*tokenp = strdup(tok)) == NULL)
		r = errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	json_free(j);
	return r;
}

