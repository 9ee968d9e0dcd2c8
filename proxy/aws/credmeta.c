/*
 * Metadata sources: container credentials (ECS, EKS Pod Identity) and the
 * instance metadata service (IMDSv2, the v1 fallback), for credentials
 * and for the region.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "awscfg.h"
#include "credsrc.h"
#include "endpoint.h"
#include "http.h"
#include "json.h"
#include "notice.h"
#include "sigv4.h"
#include "strutil.h"

int
creds_parse_container(const void *data, size_t len, time_t now,
    struct creds **out, struct errmsg *err)
{
	return src_parse_json(data, len, now, "container credentials",
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
	return src_parse_json(data, len, now, "instance metadata",
	    "AccessKeyId", "SecretAccessKey", "Token", "Expiration", 0,
	    CREDS_SRC_IMDS, out, err);
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
int
src_container(struct rctx *x, struct creds **out)
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
	if ((f = src_env(x, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) != NULL) {
		if ((r = src_read_file(x, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		    f, 0, CONTAINER_TOKEN_MAX, &tok, &len)) != 0)
			return r;
		while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] ==
		    '\r'))
			tok[--len] = '\0';
		t = tok;
	} else
		t = src_env(x, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	if (t != NULL) {
		if (strpbrk(t, "\r\n") != NULL) {
			r = errmsg_set(x->err, CFG_ERR_VALUE, "the container "
			    "authorization token holds a line break");
			goto out;
		}
		if ((hdr = strjoin("Authorization: ", t, "", "")) == NULL) {
			r = src_nomem(x->err);
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

	if ((v = src_env(x, var)) != NULL)
		return v;
	return awscfg_get(x->cfg, key);
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
		return src_nomem(x->err);
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
	v1ok = !src_is_true(cfg_or_env(x, "AWS_EC2_METADATA_V1_DISABLED",
	    "ec2_metadata_v1_disabled"));
	r = imds_req(x, "PUT", base, "/latest/api/token", NULL, tmo, &resp);
	if (r == 0 && resp.status == 200) {
		if ((*token = strdup(resp.body)) == NULL)
			r = src_nomem(x->err);
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
int
src_imds(struct rctx *x, struct creds **out)
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
		r = src_nomem(x->err);
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
		r = src_nomem(err);
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
