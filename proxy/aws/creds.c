/*
 * The credential chain; see creds.h.  Order and conditions follow
 * botocore's create_credential_resolver, EnvProvider,
 * SharedCredentialProvider, ProcessProvider and ConfigProvider, and the
 * activation tests of the providers we do not implement.
 */
#include <sys/select.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "awscfg.h"
#include "credcache.h"
#include "credproc.h"
#include "creds.h"
#include "file.h"
#include "http.h"
#include "ini.h"
#include "json.h"
#include "notice.h"
#include "sigv4.h"
#include "strutil.h"
#include "sts.h"
#include "urlenc.h"

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

/* One profile: its sections in the two files. */
struct prof {
	const char		*name;
	const struct ini_section *cs;	/* config file */
	const struct ini_section *ks;	/* credentials file */
};

#define MAX_CHAIN	16
/* Safety caps on files we read (not any API's documented maximum). */
#define WEB_TOKEN_MAX		(64 * 1024)
#define CONTAINER_TOKEN_MAX	(64 * 1024)
#define SSO_TOKEN_FILE_MAX	(256 * 1024)

struct rctx {
	const struct awscfg	*cfg;
	const struct creds_params *p;
	struct errmsg		*err;
	const char		*visited[MAX_CHAIN];
	size_t			 nvisited;
	char			*home;	/* NULL: unknown (why in home_err) */
	char			*cache;	/* ~/.aws/cli/cache, NULL likewise */
	struct errmsg		 home_err;
};

static const char *
pget(const struct rctx *x, const struct prof *pr, const char *key)
{
	const char *v;

	if (pr->ks != NULL && ini_has(x->cfg->credentials, pr->ks, key))
		return ini_get(x->cfg->credentials, pr->ks, key);
	if (pr->cs != NULL && (v = ini_get(x->cfg->config, pr->cs, key)) !=
	    NULL)
		return v;
	return NULL;
}

static int
phas(const struct rctx *x, const struct prof *pr, const char *key)
{
	return (pr->ks != NULL && ini_has(x->cfg->credentials, pr->ks, key)) ||
	    (pr->cs != NULL && ini_has(x->cfg->config, pr->cs, key));
}

static int
has_static(const struct rctx *x, const struct prof *pr)
{
	return phas(x, pr, "aws_access_key_id");
}

static const char *
env(const struct rctx *x, const char *name)
{
	return awscfg_getenv(x->cfg, name);
}

static int
nomem(struct errmsg *err)
{
	return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
}

/* 7: credential_process of profile pr. */
static int
from_process(struct rctx *x, const struct prof *pr, struct creds **out)
{
	const char *cmd;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!phas(x, pr, "credential_process"))
		return 0;
	cmd = pget(x, pr, "credential_process");
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
stopped(const struct rctx *x)
{
	return x->p->stop != NULL && *x->p->stop != 0;
}

static void
on_lock_wait(const char *path)
{
	notice(NOTICE_DEBUG, "waiting for %s (another ssm-proxy is fetching "
	    "credentials)", path);
}

/*
 * Before a fetch: the cache entry of hex, read without a lock.  On a miss
 * and if lock_it, the entry's lock (credcache_acquire), which may find
 * the entry written meanwhile.  0 with *out (a hit) or *lock (ours, or -1
 * when the cache cannot help: said at -v); CFG_ERR_INTERRUPTED.
 */
static int
cache_begin(struct rctx *x, const char *hex, enum creds_source src,
    int lock_it, struct creds **out, int *lock)
{
	struct credcache_wait w;
	struct errmsg note;
	int r;

	*lock = -1;
	*out = NULL;
	if (x->cache == NULL) {
		if (lock_it)
			notice(NOTICE_VERBOSE, "credential cache not used: "
			    "%s", x->home_err.msg);
		return 0;
	}
	credcache_load(x->cache, hex, x->p->now, src, out);
	if (*out != NULL) {
		notice(NOTICE_DEBUG, "credentials from the cache %s/%s.json",
		    x->cache, hex);
		return 0;
	}
	if (!lock_it)
		return 0;
	memset(&w, 0, sizeof(w));
	/* Once the tunnel is up (no prompt) a busy lock is a miss. */
	w.wait_ms = x->p->interactive ? CREDCACHE_LOCK_WAIT_MS : 0;
	w.stop = x->p->stop;
	w.on_wait = on_lock_wait;
	errmsg_clear(&note);
	if ((r = credcache_acquire(x->cache, hex, x->p->now, src, &w, out,
	    lock, &note)) != 0)
		return errmsg_set(x->err, r, "%s", note.msg);
	if (*out != NULL)
		notice(NOTICE_DEBUG, "credentials from the cache %s/%s.json, "
		    "written while waiting", x->cache, hex);
	else if (*lock < 0)
		notice(NOTICE_VERBOSE, "credential cache not used: %s",
		    note.msg);
	return 0;
}

/* After the fetch: store c (if any) under the lock, then release it. */
static void
cache_end(struct rctx *x, const char *hex, const struct creds *c,
    const char *provider_type, int lock)
{
	struct errmsg e;

	errmsg_clear(&e);
	if (c != NULL && x->cache != NULL &&
	    credcache_store(x->cache, hex, c, provider_type, &e) != 0)
		notice(NOTICE_VERBOSE, "not cached: %s", e.msg);
	if (lock >= 0)
		close(lock);
}

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
	while (len < 63 && !stopped(x)) {
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
	if (stopped(x)) {
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
	char *body = NULL, *auth = NULL, *tok = NULL, date[64];
	char url[ENDPOINT_URL_MAX + 2], code[64];
	int r;

	memset(&resp, 0, sizeof(resp));
	if ((r = awscfg_endpoint(x->cfg, "sts", NULL, &ep, x->err)) != 0)
		return r;
	if ((r = sts_form(a, web, &body)) != 0)
		return nomem(x->err);
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
		if ((auth = strjoin("Authorization: ", sr->authorization, "",
		    "")) == NULL || (src->session_token != NULL && (tok =
		    strjoin("X-Amz-Security-Token: ", src->session_token, "",
		    "")) == NULL)) {
			r = nomem(x->err);
			goto out;
		}
		snprintf(date, sizeof(date), "X-Amz-Date: %s", sr->amz_date);
		hr.headers[hr.nheaders++] = auth;
		hr.headers[hr.nheaders++] = date;
		if (tok != NULL)
			hr.headers[hr.nheaders++] = tok;
	}
	hr.cancel = x->p->stop;
	notice(NOTICE_DEBUG, "%s %s at %s", op, a->role_arn, ep.url);
	if ((r = http_do(&hr, &resp, x->err)) != 0)
		goto out;
	r = sts_parse(op, resp.status, resp.body, resp.len, as, out, code,
	    x->err);
 out:
	wipe_str(tok);
	wipe_str(auth);
	http_resp_free(&resp);
	if (body != NULL)
		OPENSSL_clear_free(body, strlen(body));
	sigv4_result_free(sr);
	sigv4_url_free(u);
	return r;
}

static int resolve_source(struct rctx *, const struct prof *,
    struct creds **);
static int from_imds(struct rctx *, struct creds **);
static int from_container(struct rctx *, struct creds **);

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
			return from_imds(x, src);
		if (strcmp(cs, "EcsContainer") == 0)
			return from_container(x, src);
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

/*
 * 2: AssumeRole for pr (role_arn).  The cache is read first (no source
 * credentials are needed on a hit), then the source credentials are
 * resolved (their own cache entries and locks come and go meanwhile), the
 * MFA code asked for, and only then this entry's lock taken: no lock is
 * held across the prompt or nested in another.
 */
static int
assume_role(struct rctx *x, const struct prof *pr, struct creds **out)
{
	const char *arn = pget(x, pr, "role_arn");
	const char *sp = pget(x, pr, "source_profile");
	const char *cs = pget(x, pr, "credential_source");
	const char *v;
	struct creds *src = NULL;
	struct sts_args a;
	char gen[64], hex[41], tc[64];
	char *text = NULL;
	int r, generated = 0, lock = -1;

	memset(&a, 0, sizeof(a));
	memset(tc, 0, sizeof(tc));
	*out = NULL;
	if (sp != NULL && cs != NULL)
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s sets both "
		    "source_profile and credential_source", pr->name);
	if (sp == NULL && cs == NULL)
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s sets "
		    "role_arn but neither source_profile nor "
		    "credential_source", pr->name);
	a.role_arn = arn;
	a.external_id = pget(x, pr, "external_id");
	a.serial_number = pget(x, pr, "mfa_serial");
	a.role_session_name = pget(x, pr, "role_session_name");
	if ((v = pget(x, pr, "duration_seconds")) != NULL) {
		char *end;

		a.duration_seconds = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || a.duration_seconds <= 0)
			return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: "
			    "duration_seconds \"%.32s\" is not a number",
			    pr->name, v);
	}
	if (a.role_session_name == NULL) {
		snprintf(gen, sizeof(gen), "botocore-session-%lld",
		    (long long)x->p->now);
		a.role_session_name = gen;
		generated = 1;
	}
	if ((r = credcache_role_text(&a, generated, &text)) != 0)
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: a role "
		    "setting is not valid UTF-8", pr->name);
	credcache_sha1(text, hex);
	free(text);
	if ((r = cache_begin(x, hex, CREDS_SRC_ASSUME_ROLE, 0, out,
	    &lock)) != 0 || *out != NULL)
		return r;
	if ((r = role_source(x, pr, sp, cs, &src)) != 0)
		goto out;
	if (a.serial_number != NULL) {
		if ((r = read_mfa(x, pr->name, a.serial_number, tc)) != 0)
			goto out;
		a.token_code = tc;
	}
	if ((r = cache_begin(x, hex, CREDS_SRC_ASSUME_ROLE, 1, out,
	    &lock)) != 0 || *out != NULL)
		goto out;
	if ((r = sts_call(x, &a, 0, src, CREDS_SRC_ASSUME_ROLE, out)) != 0) {
		errmsg_prefix(x->err, "profile %s: ", pr->name);
		cache_end(x, hex, NULL, NULL, lock);
		goto out;
	}
	cache_end(x, hex, *out, NULL, lock);
 out:
	OPENSSL_cleanse(tc, sizeof(tc));
	creds_free(src);
	return r;
}

/*
 * A small regular file (never a FIFO or a device: file_read_small),
 * what names it in messages.  0, or err set (CFG_ERR_IO, SP_ERR_TOO_LARGE).
 */
static int
read_small(struct rctx *x, const char *what, const char *path, int nofollow,
    size_t max, char **out, size_t *lenp)
{
	if (file_read_small(path, max, nofollow ? FILE_NOFOLLOW : 0, out,
	    lenp) == 0)
		return 0;
	if (errno == EFBIG)
		return errmsg_set(x->err, SP_ERR_TOO_LARGE, "%s %s is larger "
		    "than %zu bytes", what, path, max);
	if (errno == EINVAL)
		return errmsg_set(x->err, CFG_ERR_IO, "%s %s is not a regular "
		    "file", what, path);
	return errmsg_set(x->err, CFG_ERR_IO, "cannot read %s %s: %s", what,
	    path, strerror(errno));
}

/* 3: AssumeRoleWithWebIdentity (env first, per key, then the profile). */
static int
web_identity(struct rctx *x, const struct prof *pr, int use_env,
    struct creds **out)
{
	const char *file = NULL, *arn = NULL, *name = NULL;
	struct sts_args a;
	char gen[64], hex[41];
	char *tok = NULL, *text = NULL;
	size_t len = 0;
	int r, lock = -1, generated = 0;

	if (use_env) {
		file = env(x, "AWS_WEB_IDENTITY_TOKEN_FILE");
		arn = env(x, "AWS_ROLE_ARN");
		name = env(x, "AWS_ROLE_SESSION_NAME");
	}
	if (file == NULL)
		file = pget(x, pr, "web_identity_token_file");
	if (arn == NULL)
		arn = pget(x, pr, "role_arn");
	if (name == NULL)
		name = pget(x, pr, "role_session_name");
	if (arn == NULL)
		return errmsg_set(x->err, CFG_ERR_VALUE, "web identity token "
		    "file %s is configured without a role ARN (AWS_ROLE_ARN "
		    "or role_arn)", file);
	memset(&a, 0, sizeof(a));
	a.role_arn = arn;
	a.role_session_name = name;
	if (name == NULL) {
		snprintf(gen, sizeof(gen), "botocore-session-%lld",
		    (long long)x->p->now);
		a.role_session_name = gen;
		generated = 1;
	}
	if (credcache_role_text(&a, generated, &text) != 0)
		return errmsg_set(x->err, CFG_ERR_VALUE, "role ARN is not "
		    "valid UTF-8");
	credcache_sha1(text, hex);
	free(text);
	if ((r = cache_begin(x, hex, CREDS_SRC_WEB_IDENTITY, 1, out,
	    &lock)) != 0 || *out != NULL)
		return r;
	if ((r = read_small(x, "the web identity token file", file, 0,
	    WEB_TOKEN_MAX, &tok, &len)) != 0)
		goto out;
	a.web_identity_token = tok;
	r = sts_call(x, &a, 1, NULL, CREDS_SRC_WEB_IDENTITY, out);
 out:
	cache_end(x, hex, r == 0 ? *out : NULL, NULL, lock);
	if (tok != NULL)
		OPENSSL_clear_free(tok, len + 1);
	return r;
}

static int
sso_login_error(struct rctx *x, const char *profile, const char *why)
{
	return errmsg_set(x->err, CFG_ERR_EXPIRED, "the IAM Identity Center "
	    "token of profile %s %s: run `aws sso login --profile %s`",
	    profile, why, profile);
}

/* 4: IAM Identity Center (sso_session or legacy keys). */
static int
from_sso(struct rctx *x, const struct prof *pr, struct creds **out)
{
	const char *sess = pget(x, pr, "sso_session");
	const char *acct = pget(x, pr, "sso_account_id");
	const char *role = pget(x, pr, "sso_role_name");
	const char *url = NULL, *region = NULL;
	const struct ini_section *ss;
	struct awscfg_endpoint ep;
	struct http_req hr;
	struct http_resp resp;
	struct sigv4_url *u;
	char hex[41], h[41];
	char *text = NULL, *file = NULL, *token = NULL, *ea = NULL,
	    *er = NULL, *path = NULL, *full = NULL, *hdr = NULL;
	size_t len = 0;
	int r, lock = -1;

	memset(&resp, 0, sizeof(resp));
	if (sess != NULL) {
		if ((ss = awscfg_find_section(x->cfg->config, "sso-session",
		    sess)) == NULL)
			return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: "
			    "sso-session %s not found in %s", pr->name, sess,
			    x->cfg->config_path);
		url = ini_get(x->cfg->config, ss, "sso_start_url");
		region = ini_get(x->cfg->config, ss, "sso_region");
	} else {
		url = pget(x, pr, "sso_start_url");
		region = pget(x, pr, "sso_region");
	}
	if (url == NULL || region == NULL || acct == NULL || role == NULL)
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: IAM "
		    "Identity Center needs sso_start_url, sso_region, "
		    "sso_account_id and sso_role_name", pr->name);
	/* Role credentials the CLI cached, then the token. */
	if (credcache_sso_text(url, role, acct, sess, &text) != 0)
		return errmsg_set(x->err, CFG_ERR_VALUE, "profile %s: an SSO "
		    "setting is not valid UTF-8", pr->name);
	credcache_sha1(text, hex);
	free(text);
	text = NULL;
	if ((r = cache_begin(x, hex, CREDS_SRC_SSO, 1, out, &lock)) != 0 ||
	    *out != NULL)
		return r;
	if (x->home == NULL) {
		r = errmsg_set(x->err, CFG_ERR_IO, "profile %s: no IAM Identity "
		    "Center token: %s", pr->name, x->home_err.msg);
		goto out;
	}
	credcache_sha1(sess != NULL ? sess : url, h);
	if ((path = strjoin(x->home, "/.aws/sso/cache/", h, ".json")) ==
	    NULL) {
		r = nomem(x->err);
		goto out;
	}
	if ((r = read_small(x, "the IAM Identity Center token cache file",
	    path, 1, SSO_TOKEN_FILE_MAX, &file, &len)) != 0) {
		if (errno == ENOENT)
			r = sso_login_error(x, pr->name, "is missing");
		goto out;
	}
	if ((r = creds_parse_sso_token(file, len, x->p->now, &token,
	    x->err)) != 0) {
		if (r == CFG_ERR_EXPIRED)
			r = sso_login_error(x, pr->name, "has expired");
		else
			errmsg_prefix(x->err, "%s: ", path);
		goto out;
	}
	if ((r = awscfg_endpoint(x->cfg, "sso", region, &ep, x->err)) != 0)
		goto out;
	if (urlenc_dup(acct, &ea) != 0 || urlenc_dup(role, &er) != 0) {
		r = nomem(x->err);
		goto out;
	}
	if ((full = strjoin(ep.url, "/federation/credentials?role_name=", er,
	    "")) == NULL || (text = strjoin(full, "&account_id=", ea, "")) ==
	    NULL || (hdr = strjoin("x-amz-sso_bearer_token: ", token, "",
	    "")) == NULL) {
		r = nomem(x->err);
		goto out;
	}
	free(full);
	full = text;
	text = NULL;
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
	notice(NOTICE_DEBUG, "GetRoleCredentials %s/%s at %s", acct, role,
	    ep.url);
	if ((r = http_do(&hr, &resp, x->err)) != 0)
		goto out;
	if (resp.status == 401) {
		r = sso_login_error(x, pr->name, "was refused "
		    "(UnauthorizedException)");
		goto out;
	}
	if (resp.status != 200) {
		struct json *j = NULL;
		const char *m = "";

		if (json_parse(resp.body, resp.len, &j) == 0 &&
		    json_get_str(j, "message", &m) != 0 &&
		    json_get_str(j, "Message", &m) != 0)
			m = "";
		r = errmsg_set(x->err, CFG_ERR_PROCESS, "GetRoleCredentials "
		    "failed: HTTP %ld: %.200s", resp.status, m);
		json_free(j);
		goto out;
	}
	r = creds_parse_sso_role(resp.body, resp.len, x->p->now, out, x->err);
 out:
	cache_end(x, hex, r == 0 ? *out : NULL, "sso", lock);
	wipe_str(hdr);
	free(full);
	free(path);
	free(text);
	free(ea);
	free(er);
	if (token != NULL)
		OPENSSL_clear_free(token, strlen(token));
	if (file != NULL)
		OPENSSL_clear_free(file, len + 1);
	http_resp_free(&resp);
	return r;
}

/* A JSON text refused: over a safety cap of the parser, or not JSON. */
static int
json_error(struct errmsg *err, int r, const char *what, const char *it)
{
	if (r == SP_ERR_JSON_LIMIT)
		return errmsg_set(err, r, "%s: %s is over a safety cap of the "
		    "JSON parser (a string over %d bytes, more than %d values "
		    "or %d levels)", what, it, JSON_MAX_STRING, JSON_MAX_NODES,
		    JSON_MAX_DEPTH);
	return errmsg_set(err, r, "%s: %s is not JSON", what, it);
}

/* Credentials from a JSON object with the given member names. */
static int
parse_cred_json(const void *data, size_t len, time_t now, const char *what,
    const char *akn, const char *skn, const char *tokn, const char *expn,
    int exp_ms, enum creds_source src, struct creds **out,
    struct errmsg *err)
{
	const struct json *o = NULL;
	const char *ak, *sk, *tok = NULL, *es;
	struct json *j = NULL;
	int64_t ms;
	time_t t = 0;
	int r;

	*out = NULL;
	if ((r = json_parse(data, len, &j)) != 0)
		return json_error(err, r, what, "the answer");
	o = j;
	if (strcmp(what, "GetRoleCredentials") == 0)
		o = json_get(j, "roleCredentials");
	r = CFG_ERR_VALUE;
	if (o == NULL || o->type != JSON_OBJECT ||
	    json_get_str(o, akn, &ak) != 0 || *ak == '\0' ||
	    json_get_str(o, skn, &sk) != 0 || *sk == '\0') {
		r = errmsg_set(err, CFG_ERR_VALUE, "%s: the answer lacks %s "
		    "or %s", what, akn, skn);
		goto out;
	}
	if (json_get(o, tokn) != NULL && json_get_str(o, tokn, &tok) != 0 &&
	    json_get(o, tokn)->type != JSON_NULL) {
		r = errmsg_set(err, CFG_ERR_VALUE, "%s: %s is not a string",
		    what, tokn);
		goto out;
	}
	if (exp_ms) {
		if (json_get_int(o, expn, &ms) != 0 || ms <= 0) {
			r = errmsg_set(err, CFG_ERR_VALUE, "%s: bad %s", what,
			    expn);
			goto out;
		}
		t = (time_t)(ms / 1000);
	} else if (json_get(o, expn) != NULL) {
		if (json_get_str(o, expn, &es) != 0 ||
		    creds_parse_time(es, &t) != 0) {
			r = errmsg_set(err, CFG_ERR_VALUE, "%s: bad %s", what,
			    expn);
			goto out;
		}
	}
	if (t != 0 && t <= now) {
		r = errmsg_set(err, CFG_ERR_EXPIRED, "%s: the credentials "
		    "have already expired", what);
		goto out;
	}
	if (tok != NULL && *tok == '\0')
		tok = NULL;
	if ((r = creds_new(ak, sk, tok, t, src, out)) != 0)
		r = errmsg_set(err, r, "out of memory");
 out:
	json_free(j);
	return r;
}

int
creds_parse_container(const void *data, size_t len, time_t now,
    struct creds **out, struct errmsg *err)
{
	return parse_cred_json(data, len, now, "container credentials",
	    "AccessKeyId", "SecretAccessKey", "Token", "Expiration", 0,
	    CREDS_SRC_CONTAINER, out, err);
}

int
creds_parse_imds(const void *data, size_t len, time_t now,
    struct creds **out, struct errmsg *err)
{
	struct json *j = NULL;
	const char *code, *msg;

	*out = NULL;
	if (json_parse(data, len, &j) != 0)
		return errmsg_set(err, SP_ERR_JSON_SYNTAX, "instance metadata: "
		    "the credentials are not JSON");
	if (json_get_str(j, "Code", &code) == 0 &&
	    strcmp(code, "Success") != 0) {
		if (json_get_str(j, "Message", &msg) != 0)
			msg = "";
		errmsg_set(err, CFG_ERR_PROCESS, "instance metadata: Code "
		    "%.64s: %.200s", code, msg);
		json_free(j);
		return CFG_ERR_PROCESS;
	}
	json_free(j);
	return parse_cred_json(data, len, now, "instance metadata",
	    "AccessKeyId", "SecretAccessKey", "Token", "Expiration", 0,
	    CREDS_SRC_IMDS, out, err);
}

int
creds_parse_sso_role(const void *data, size_t len, time_t now,
    struct creds **out, struct errmsg *err)
{
	return parse_cred_json(data, len, now, "GetRoleCredentials",
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
		return json_error(err, r, "the SSO token cache file", "it");
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

/*
 * The hosts an http:// AWS_CONTAINER_CREDENTIALS_FULL_URI may name, as
 * addresses: any IPv4 or IPv6 loopback address (127.0.0.0/8, ::1, their
 * IPv4-mapped forms), 169.254.170.2 (ECS), 169.254.170.23 and
 * fd00:ec2::23 (EKS Pod Identity), or the name "localhost".  No other
 * name is resolved: "127.evil.example" is refused whatever it resolves
 * to, so that DNS cannot send the token elsewhere in clear text.
 */
int
creds_container_host_ok(const char *host)
{
	static const uint8_t ecs[4] = { 169, 254, 170, 2 };
	static const uint8_t eks[4] = { 169, 254, 170, 23 };
	static const uint8_t eks6[16] = { 0xfd, 0x00, 0x0e, 0xc2,
	    [15] = 0x23 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	char h[INET6_ADDRSTRLEN + 2];
	uint8_t a[16];
	size_t n = strlen(host);
	int v6only = 0;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
		v6only = 1;
	}
	if (n >= sizeof(h))
		return 0;
	memcpy(h, host, n);
	h[n] = '\0';
	if (!v6only && inet_pton(AF_INET, h, a) == 1)
		return a[0] == 127 || memcmp(a, ecs, 4) == 0 ||
		    memcmp(a, eks, 4) == 0;
	if (inet_pton(AF_INET6, h, a) != 1)
		return 0;
	if (memcmp(a, mapped, 12) == 0)
		return a[12] == 127 || memcmp(a + 12, ecs, 4) == 0 ||
		    memcmp(a + 12, eks, 4) == 0;
	return memcmp(a, &in6addr_loopback, 16) == 0 ||
	    memcmp(a, eks6, 16) == 0;
}

int
creds_container_url(const struct awscfg *cfg, char *url, size_t sz,
    struct errmsg *err)
{
	struct sigv4_url *u = NULL;
	const char *rel, *full;

	if ((rel = awscfg_getenv(cfg,
	    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) != NULL) {
		if (snprintf(url, sz, "http://169.254.170.2%s%s",
		    rel[0] == '/' ? "" : "/", rel) >= (int)sz)
			return errmsg_set(err, CFG_ERR_VALUE,
			    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is too "
			    "long");
		return 0;
	}
	if ((full = awscfg_getenv(cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
	    == NULL)
		return CFG_ERR_NO_CREDS;
	if (sigv4_url_split(full, &u) != 0 ||
	    (strcmp(u->scheme, "http") != 0 && strcmp(u->scheme, "https") !=
	    0)) {
		sigv4_url_free(u);
		return errmsg_set(err, CFG_ERR_VALUE,
		    "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL");
	}
	if (strcmp(u->scheme, "http") == 0 &&
	    !creds_container_host_ok(u->host)) {
		sigv4_url_free(u);
		return errmsg_set(err, CFG_ERR_VALUE,
		    "AWS_CONTAINER_CREDENTIALS_FULL_URI: an http URL must "
		    "name a loopback host, 169.254.170.2, 169.254.170.23 or "
		    "fd00:ec2::23");
	}
	sigv4_url_free(u);
	if (snprintf(url, sz, "%s", full) >= (int)sz)
		return errmsg_set(err, CFG_ERR_VALUE,
		    "AWS_CONTAINER_CREDENTIALS_FULL_URI is too long");
	return 0;
}

/* 10: container credentials. */
static int
from_container(struct rctx *x, struct creds **out)
{
	struct http_req hr;
	struct http_resp resp;
	char url[4096];
	const char *f, *t;
	char *tok = NULL, *hdr = NULL;
	size_t len = 0;
	int r;

	memset(&resp, 0, sizeof(resp));
	if ((r = creds_container_url(x->cfg, url, sizeof(url), x->err)) != 0)
		return r;
	memset(&hr, 0, sizeof(hr));
	hr.method = "GET";
	hr.url = url;
	hr.headers[hr.nheaders++] = "Accept: application/json";
	hr.timeout_ms = 2000;
	hr.cancel = x->p->stop;
	if ((f = env(x, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) != NULL) {
		if ((r = read_small(x, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		    f, 0, CONTAINER_TOKEN_MAX, &tok, &len)) != 0)
			return r;
		while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] ==
		    '\r'))
			tok[--len] = '\0';
		t = tok;
	} else
		t = env(x, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	if (t != NULL) {
		if (strpbrk(t, "\r\n") != NULL) {
			r = errmsg_set(x->err, CFG_ERR_VALUE, "the container "
			    "authorization token holds a line break");
			goto out;
		}
		if ((hdr = strjoin("Authorization: ", t, "", "")) == NULL) {
			r = nomem(x->err);
			goto out;
		}
		hr.headers[hr.nheaders++] = hdr;
	}
	if ((r = http_do(&hr, &resp, x->err)) != 0) {
		errmsg_prefix(x->err, "container credentials: ");
		goto out;
	}
	if (resp.status != 200) {
		struct json *j = NULL;
		const char *c = "", *m = "";

		if (json_parse(resp.body, resp.len, &j) == 0) {
			if (json_get_str(j, "code", &c) != 0)
				c = "";
			if (json_get_str(j, "message", &m) != 0)
				m = "";
		}
		r = errmsg_set(x->err, CFG_ERR_PROCESS, "container credentials: "
		    "HTTP %ld %.64s %.200s", resp.status, c, m);
		json_free(j);
		goto out;
	}
	r = creds_parse_container(resp.body, resp.len, x->p->now, out, x->err);
 out:
	wipe_str(hdr);
	if (tok != NULL)
		OPENSSL_clear_free(tok, len + 1);
	http_resp_free(&resp);
	return r;
}

static const char *
cfg_or_env(struct rctx *x, const char *var, const char *key)
{
	const char *v;

	if ((v = env(x, var)) != NULL)
		return v;
	return awscfg_get(x->cfg, key);
}

static int
is_true(const char *v)
{
	return v != NULL && strcasecmp(v, "true") == 0;
}

/* One IMDS request; status in *st, body in resp. */
static int
imds_req(struct rctx *x, const char *method, const char *base,
    const char *path, const char *token, long tmo, struct http_resp *resp)
{
	struct http_req hr;
	char *url, *hdr = NULL;
	int r;

	memset(&hr, 0, sizeof(hr));
	if ((url = strjoin(base, path, "", "")) == NULL ||
	    (strcmp(method, "PUT") != 0 && token != NULL &&
	    (hdr = strjoin("X-aws-ec2-metadata-token: ", token, "", "")) ==
	    NULL)) {
		free(url);
		return nomem(x->err);
	}
	hr.method = method;
	hr.url = url;
	hr.timeout_ms = tmo;
	hr.cancel = x->p != NULL ? x->p->stop : NULL;
	if (strcmp(method, "PUT") == 0)
		hr.headers[hr.nheaders++] =
		    "X-aws-ec2-metadata-token-ttl-seconds: 21600";
	else if (hdr != NULL)
		hr.headers[hr.nheaders++] = hdr;
	r = http_do(&hr, resp, x->err);
	wipe_str(hdr);
	free(url);
	return r;
}

/*
 * IMDS settings and a session token: *token NULL when IMDSv1 is used
 * (the PUT was refused or timed out and v1 is allowed).
 */
static int
imds_open(struct rctx *x, char *base, size_t basesz, long *tmop,
    char **token)
{
	const char *ep, *mode, *to;
	struct http_resp resp;
	long tmo = 1000;
	int r, v1ok;

	*token = NULL;
	memset(&resp, 0, sizeof(resp));
	ep = cfg_or_env(x, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
	    "ec2_metadata_service_endpoint");
	mode = cfg_or_env(x, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
	    "ec2_metadata_service_endpoint_mode");
	if (ep == NULL)
		ep = mode != NULL && strcasecmp(mode, "IPv6") == 0 ?
		    "http://[fd00:ec2::254]" : "http://169.254.169.254";
	if (snprintf(base, basesz, "%s", ep) >= (int)basesz)
		return errmsg_set(x->err, CFG_ERR_VALUE, "the instance metadata "
		    "endpoint is longer than %zu bytes", basesz - 1);
	if (strlen(base) > 0 && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	if ((to = cfg_or_env(x, "AWS_METADATA_SERVICE_TIMEOUT",
	    "metadata_service_timeout")) != NULL && atof(to) > 0)
		tmo = (long)(atof(to) * 1000);
	*tmop = tmo;
	v1ok = !is_true(cfg_or_env(x, "AWS_EC2_METADATA_V1_DISABLED",
	    "ec2_metadata_v1_disabled"));
	r = imds_req(x, "PUT", base, "/latest/api/token", NULL, tmo, &resp);
	if (r == 0 && resp.status == 200) {
		if ((*token = strdup(resp.body)) == NULL)
			r = nomem(x->err);
	} else if ((r == SP_ERR_TIMEOUT || (r == 0 && (resp.status == 403 ||
	    resp.status == 404 || resp.status == 405))) && v1ok) {
		notice(NOTICE_DEBUG, "IMDS: no v2 token (%s), falling back "
		    "to IMDSv1", r == 0 ? "refused" : "timeout");
		errmsg_clear(x->err);
		r = 0;
	} else if (r == 0) {
		r = errmsg_set(x->err, CFG_ERR_NO_CREDS, "instance metadata: "
		    "no IMDSv2 token (HTTP %ld)%s", resp.status, v1ok ? "" :
		    " and IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED / "
		    "ec2_metadata_v1_disabled)");
	} else {
		if (r == SP_ERR_TIMEOUT && !v1ok)
			errmsg_prefix(x->err, "IMDSv1 is disabled and ");
		errmsg_prefix(x->err, "instance metadata: ");
	}
	http_resp_free(&resp);
	return r;
}

/* 11: instance metadata, IMDSv2 with the v1 fallback rules. */
static int
from_imds(struct rctx *x, struct creds **out)
{
	struct http_resp resp;
	char base[1024], *role = NULL, *path = NULL, *token = NULL;
	long tmo = 1000;
	int r;

	memset(&resp, 0, sizeof(resp));
	if ((r = imds_open(x, base, sizeof(base), &tmo, &token)) != 0)
		goto out;
	if ((r = imds_req(x, "GET", base,
	    "/latest/meta-data/iam/security-credentials/", token, tmo,
	    &resp)) != 0)
		goto out;
	if (resp.status != 200 || resp.len == 0) {
		r = errmsg_set(x->err, CFG_ERR_NO_CREDS, "instance metadata: "
		    "no instance profile (HTTP %ld)", resp.status);
		goto out;
	}
	if ((role = strndup(resp.body, strcspn(resp.body, "\r\n"))) == NULL ||
	    (path = strjoin("/latest/meta-data/iam/security-credentials/",
	    role, "", "")) == NULL) {
		r = nomem(x->err);
		goto out;
	}
	http_resp_free(&resp);
	if ((r = imds_req(x, "GET", base, path, token, tmo, &resp)) != 0)
		goto out;
	if (resp.status != 200) {
		r = errmsg_set(x->err, CFG_ERR_NO_CREDS, "instance metadata: "
		    "HTTP %ld for the credentials of role %.128s",
		    resp.status, role);
		goto out;
	}
	r = creds_parse_imds(resp.body, resp.len, x->p->now, out, x->err);
 out:
	if (token != NULL)
		OPENSSL_clear_free(token, strlen(token));
	free(role);
	free(path);
	http_resp_free(&resp);
	return r;
}

static int
has_sso(const struct rctx *x, const struct prof *pr)
{
	return phas(x, pr, "sso_session") || phas(x, pr, "sso_account_id") ||
	    phas(x, pr, "sso_role_name") || phas(x, pr, "sso_start_url");
}

/* A source_profile's credentials (botocore _resolve_credentials_from_
 * profile). */
static int
resolve_source(struct rctx *x, const struct prof *pr, struct creds **out)
{
	int r;

	if (phas(x, pr, "role_arn") && !phas(x, pr,
	    "web_identity_token_file"))
		return assume_role(x, pr, out);
	if (phas(x, pr, "web_identity_token_file"))
		return web_identity(x, pr, 0, out);
	if (has_sso(x, pr))
		return from_sso(x, pr, out);
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
	if (phas(x, &pr, "role_arn") && !phas(x, &pr,
	    "web_identity_token_file"))
		return assume_role(x, &pr, out);
	/* 3 */
	if ((!explicit && env(x, "AWS_WEB_IDENTITY_TOKEN_FILE") != NULL) ||
	    pget(x, &pr, "web_identity_token_file") != NULL)
		return web_identity(x, &pr, !explicit, out);
	/* 4 */
	if (phas(x, &pr, "sso_account_id") || phas(x, &pr, "sso_role_name"))
		return from_sso(x, &pr, out);
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
	if (env(x, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != NULL ||
	    env(x, "AWS_CONTAINER_CREDENTIALS_FULL_URI") != NULL)
		return from_container(x, out);
	/* 11 */
	if (!is_true(env(x, "AWS_EC2_METADATA_DISABLED"))) {
		if ((r = from_imds(x, out)) == 0 || r == CFG_ERR_INTERRUPTED)
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
	if (awscfg_home(&cfg->env, &x.home, &x.home_err) == 0 &&
	    (x.cache = strjoin(x.home, "/.aws/cli/cache", "", "")) == NULL)
		return nomem(err);
	r = resolve(&x, out);
	free(x.home);
	free(x.cache);
	return r;
}

int
creds_imds_region(struct awscfg *cfg, struct errmsg *err)
{
	static const char *paths[] = { "/latest/meta-data/placement/region",
	    "/latest/meta-data/placement/availability-zone" };
	struct http_resp resp;
	struct rctx x;
	char base[1024], reg[ENDPOINT_REGION_MAX], *token = NULL;
	long tmo = 1000;
	size_t i, n;
	int r;

	errmsg_clear(err);
	memset(&x, 0, sizeof(x));
	memset(&resp, 0, sizeof(resp));
	reg[0] = '\0';
	x.cfg = cfg;
	x.err = err;
	if ((r = imds_open(&x, base, sizeof(base), &tmo, &token)) != 0)
		goto out;
	for (i = 0; i < 2 && reg[0] == '\0'; i++) {
		http_resp_free(&resp);
		if ((r = imds_req(&x, "GET", base, paths[i], token, tmo,
		    &resp)) != 0) {
			errmsg_prefix(err, "instance metadata: ");
			goto out;
		}
		if (resp.status != 200)
			continue;
		n = strcspn(resp.body, "\r\n");
		if (i == 1 && n > 0)	/* us-east-1a -> us-east-1 */
			n--;
		if (n > 0 && n < sizeof(reg))
			snprintf(reg, sizeof(reg), "%.*s", (int)n, resp.body);
	}
	if (reg[0] == '\0' || !endpoint_region_valid(reg)) {
		r = errmsg_set(err, CFG_ERR_NO_REGION, "instance metadata: no "
		    "valid placement region (HTTP %ld)", resp.status);
		goto out;
	}
	free(cfg->region);
	if ((cfg->region = strdup(reg)) == NULL)
		r = nomem(err);
	else
		cfg->region_src = AWSCFG_SRC_IMDS;
 out:
	if (token != NULL)
		OPENSSL_clear_free(token, strlen(token));
	http_resp_free(&resp);
	if (r != 0) {
		errmsg_prefix(err, "no region configured (use --region, set "
		    "AWS_REGION or add \"region = ...\" to profile %s) and ",
		    cfg->profile);
		if (r != SP_ERR_ALLOC)
			r = CFG_ERR_NO_REGION;
	}
	return r;
}
