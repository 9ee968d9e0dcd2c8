/*
 * Roles: AssumeRole with the credentials of a source profile or a
 * credential_source (an MFA code asked for on /dev/tty), and
 * AssumeRoleWithWebIdentity with a token file; both through STS (sts.h)
 * and the CLI's cache (credcache.h).
 */
#include <sys/select.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "awscfg.h"
#include "credcache.h"
#include "credsrc.h"
#include "http.h"
#include "notice.h"
#include "sigv4.h"
#include "strutil.h"
#include "sts.h"

/* Read an MFA code on /dev/tty without echo (getpass style). */
static int
read_mfa(struct rctx *x, const char *profile, const char *serial,
    char code[64])
{
	struct termios t, saved;
	sigset_t block, old;
	fd_set rfds;
	char prompt[512];
	ssize_t n;
	size_t len = 0;
	int fd, restore = 0;

	if (!x->p->interactive)
		return errmsg_set(x->err, CFG_ERR_EXPIRED, "the credentials "
		    "of profile %s need a new MFA code (mfa_serial %s), and "
		    "ssm-proxy cannot ask for one once the tunnel is up: "
		    "connect again", profile, serial);
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    fd >= FD_SETSIZE) {
		if (fd >= 0) {
			close(fd);
			errno = EMFILE;
		}
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s needs "
		    "an MFA code (mfa_serial %s) and there is no terminal to "
		    "ask for it on (/dev/tty: %s)", profile, serial,
		    strerror(errno));
	}
	if (tcgetattr(fd, &t) == 0) {
		saved = t;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		restore = tcsetattr(fd, TCSAFLUSH, &t) == 0;
	}
	snprintf(prompt, sizeof(prompt), "Enter MFA code for %s: ", serial);
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* nothing: the read below fails the same way */
	}
	/* The three signals arrive only inside pselect(): none is lost. */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	while (len < 63 && !src_stopped(x)) {
		FD_ZERO(&rfds);
		FD_SET(fd, &rfds);
		if (pselect(fd + 1, &rfds, NULL, NULL, NULL, &old) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = read(fd, code + len, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0 || code[len] == '\n' || code[len] == '\r')
			break;
		len++;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	code[len] = '\0';
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &saved);
	if (write(fd, "\n", 1) < 0) {
		/* ignored */
	}
	close(fd);
	if (src_stopped(x)) {
		OPENSSL_cleanse(code, 64);
		return errmsg_set(x->err, CFG_ERR_INTERRUPTED, "interrupted "
		    "at the MFA prompt of profile %s", profile);
	}
	if (len == 0)
		return errmsg_set(x->err, CFG_ERR_VALUE, "no MFA code was "
		    "entered for profile %s", profile);
	return 0;
}


/* POST an STS call; signed with src unless web. */
static int
sts_call(struct rctx *x, const struct sts_args *a, int web,
    const struct creds *src, enum creds_source as, struct creds **out)
{
	const char *op = web ? "AssumeRoleWithWebIdentity" : "AssumeRole";
	struct awscfg_endpoint ep;
	struct sigv4_url *u = NULL;
	struct sigv4_result *sr = NULL;
	struct sigv4_request rq;
	struct sigv4_params pa;
	struct sigv4_header hd[1];
	struct sigv4_creds sc;
	struct http_req hr;
	struct http_resp resp;
	struct http_signed hs;
	char *body = NULL;
	char url[ENDPOINT_URL_MAX + 2], code[64];
	int r;

	memset(&resp, 0, sizeof(resp));
	memset(&hs, 0, sizeof(hs));
	if ((r = awscfg_endpoint(x->cfg, "sts", NULL, &ep, x->err)) != 0)
		return r;
	if ((r = sts_form(a, web, &body)) != 0)
		return src_nomem(x->err);
	snprintf(url, sizeof(url), "%s/", ep.url);
	memset(&hr, 0, sizeof(hr));
	hr.method = "POST";
	hr.url = url;
	hr.headers[hr.nheaders++] = "Content-Type: "
	    "application/x-www-form-urlencoded; charset=utf-8";
	hr.body = body;
	hr.body_len = strlen(body);
	hr.ca_file = x->cfg->ca_bundle;
	hr.timeout_ms = 30000;
	if ((r = sigv4_url_split(url, &u)) != 0) {
		r = errmsg_set(x->err, CFG_ERR_VALUE, "bad STS endpoint %s",
		    ep.url);
		goto out;
	}
	hr.proxy = awscfg_https_proxy_for(x->cfg, u->host, u->port);
	http_warn_cleartext(url);
	if (!web) {
		memset(&rq, 0, sizeof(rq));
		memset(&pa, 0, sizeof(pa));
		hd[0].name = "content-type";
		hd[0].value = "application/x-www-form-urlencoded; "
		    "charset=utf-8";
		rq.method = "POST";
		rq.host = u->host_header;
		rq.path = u->path;
		rq.headers = hd;
		rq.nheaders = 1;
		rq.body = body;
		rq.body_len = hr.body_len;
		pa.region = ep.signing_region;
		pa.service = "sts";
		pa.time = (int64_t)time(NULL);
		sc.access_key_id = src->access_key_id;
		sc.secret_key = src->secret_access_key;
		sc.session_token = src->session_token;
		if ((r = sigv4_sign_header(&sc, &rq, &pa, &sr)) != 0) {
			r = errmsg_set(x->err, r, "cannot sign %s", op);
			goto out;
		}
		if (http_add_signed(&hr, sr->authorization, sr->amz_date,
		    src->session_token, &hs) != 0) {
			r = src_nomem(x->err);
			goto out;
		}
	}
	hr.cancel = x->p->stop;
	notice(NOTICE_DEBUG, "%s %s at %s", op, a->role_arn, ep.url);
	if ((r = http_do(&hr, &resp, x->err)) != 0)
		goto out;
	r = sts_parse(op, resp.status, resp.body, resp.len, as, out, code,
	    x->err);
 out:
	http_signed_clear(&hs);
	http_resp_free(&resp);
	if (body != NULL)
		OPENSSL_clear_free(body, strlen(body));
	sigv4_result_free(sr);
	sigv4_url_free(u);
	return r;
}


/* One AssumeRole or AssumeRoleWithWebIdentity call in the making. */
struct role_call {
	const struct prof *pr;
	const char	*sp;		/* source_profile */
	const char	*cs;		/* credential_source */
	const char	*file;		/* web identity token file */
	struct sts_args	 a;
	struct creds	*src;		/* what AssumeRole is signed with */
	char		 gen[64];	/* a generated RoleSessionName */
	char		 hex[41];	/* the cache entry */
	char		 tc[64];	/* the MFA code; secret */
};

/* The session name if none is set, then the entry's hash; -1 if a
 * setting is not valid UTF-8. */
static int
role_key(struct rctx *x, struct role_call *c)
{
	char *text = NULL;
	int generated = 0;

	if (c->a.role_session_name == NULL) {
		snprintf(c->gen, sizeof(c->gen), "botocore-session-%lld",
		    (long long)x->p->now);
		c->a.role_session_name = c->gen;
		generated = 1;
	}
	if (credcache_role_text(&c->a, generated, &text) != 0)
		return -1;
	credcache_sha1(text, c->hex);
	free(text);
	return 0;
}

/* The AssumeRole settings of profile pr. */
static int
role_args(struct rctx *x, const struct prof *pr, struct role_call *c)
{
	const char *v;
	char *end;

	c->pr = pr;
	c->sp = src_get(x, pr, "source_profile");
	c->cs = src_get(x, pr, "credential_source");
	if (c->sp != NULL && c->cs != NULL)
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s sets both "
		    "source_profile and credential_source", pr->name);
	if (c->sp == NULL && c->cs == NULL)
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s sets "
		    "role_arn but neither source_profile nor "
		    "credential_source", pr->name);
	c->a.role_arn = src_get(x, pr, "role_arn");
	c->a.external_id = src_get(x, pr, "external_id");
	c->a.serial_number = src_get(x, pr, "mfa_serial");
	c->a.role_session_name = src_get(x, pr, "role_session_name");
	if ((v = src_get(x, pr, "duration_seconds")) != NULL) {
		c->a.duration_seconds = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || c->a.duration_seconds <= 0)
			return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: "
			    "duration_seconds \"%.32s\" is not a number",
			    pr->name, v);
	}
	if (role_key(x, c) != 0)
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: a role "
		    "setting is not valid UTF-8", pr->name);
	return 0;
}

/* Before the lock: the source credentials (their own cache entries and
 * locks come and go meanwhile), then the MFA code. */
static int
role_prepare(struct rctx *x, void *arg)
{
	struct role_call *c = arg;
	int r;

	if ((r = x->role_source(x, c->pr, c->sp, c->cs, &c->src)) != 0)
		return r;
	if (c->a.serial_number != NULL) {
		if ((r = read_mfa(x, c->pr->name, c->a.serial_number,
		    c->tc)) != 0)
			return r;
		c->a.token_code = c->tc;
	}
	return 0;
}

static int
role_fetch(struct rctx *x, void *arg, struct creds **out)
{
	struct role_call *c = arg;
	int r;

	if ((r = sts_call(x, &c->a, 0, c->src, CREDS_SRC_ASSUME_ROLE,
	    out)) != 0)
		errmsg_prefix(x->err, "profile %s: ", c->pr->name);
	return r;
}

/*
 * 2: AssumeRole for pr (role_arn).  The cache is read first (no source
 * credentials are needed on a hit), then the source credentials are
 * resolved, the MFA code asked for, and only then this entry's lock
 * taken: no lock is held across the prompt or nested in another.
 */
int
src_assume_role(struct rctx *x, const struct prof *pr, struct creds **out)
{
	struct role_call c;
	struct src_fetch f;
	int r;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if ((r = role_args(x, pr, &c)) != 0)
		return r;
	memset(&f, 0, sizeof(f));
	f.hex = c.hex;
	f.src = CREDS_SRC_ASSUME_ROLE;
	f.prepare = role_prepare;
	f.fetch = role_fetch;
	f.arg = &c;
	r = src_cached(x, &f, out);
	OPENSSL_cleanse(c.tc, sizeof(c.tc));
	creds_free(c.src);
	return r;
}

/* With the lock: the token file, then the call. */
static int
web_fetch(struct rctx *x, void *arg, struct creds **out)
{
	struct role_call *c = arg;
	char *tok = NULL;
	size_t len = 0;
	int r;

	if ((r = src_read_file(x, "the web identity token file", c->file, 0,
	    WEB_TOKEN_MAX, &tok, &len)) != 0)
		return r;
	c->a.web_identity_token = tok;
	r = sts_call(x, &c->a, 1, NULL, CREDS_SRC_WEB_IDENTITY, out);
	c->a.web_identity_token = NULL;
	OPENSSL_clear_free(tok, len + 1);
	return r;
}

/* 3: AssumeRoleWithWebIdentity (env first, per key, then the profile). */
int
src_web_identity(struct rctx *x, const struct prof *pr, int use_env,
    struct creds **out)
{
	struct role_call c;
	struct src_fetch f;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if (use_env) {
		c.file = src_env(x, "AWS_WEB_IDENTITY_TOKEN_FILE");
		c.a.role_arn = src_env(x, "AWS_ROLE_ARN");
		c.a.role_session_name = src_env(x, "AWS_ROLE_SESSION_NAME");
	}
	if (c.file == NULL)
		c.file = src_get(x, pr, "web_identity_token_file");
	if (c.a.role_arn == NULL)
		c.a.role_arn = src_get(x, pr, "role_arn");
	if (c.a.role_session_name == NULL)
		c.a.role_session_name = src_get(x, pr, "role_session_name");
	if (c.a.role_arn == NULL)
		return errmsg_set(x->err, CFG_ERR_VALUE, "web identity token "
		    "file %s is configured without a role ARN (AWS_ROLE_ARN "
		    "or role_arn)", c.file);
	if (role_key(x, &c) != 0)
		return errmsg_set(x->err, CFG_ERR_VALUE, "role ARN is not "
		    "valid UTF-8");
	memset(&f, 0, sizeof(f));
	f.hex = c.hex;
	f.src = CREDS_SRC_WEB_IDENTITY;
	f.fetch = web_fetch;
	f.arg = &c;
	return src_cached(x, &f, out);
}
