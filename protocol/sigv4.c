/*
 * AWS Signature Version 4; see sigv4.h.
 *
 * One function, sigv4_sign(), runs the steps of the algorithm for both
 * forms: the canonical request, the string to sign, the signing key and
 * signature, then the Authorization header or the presigned query.  The
 * header form puts X-Amz-Date (and the token) among the signed headers,
 * the query form puts the same facts into the canonical query instead.
 * Every string is assembled in a struct buf with a hard cap, so that no
 * input can make us allocate without bound.  The canonical forms are in
 * sigv4canon.c, URLs in sigv4url.c.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "hex.h"
#include "sigv4int.h"
#include "urlenc.h"

/* Largest name for region, service and access key id. */
#define SIGV4_MAX_NAME		256
/* 9999-12-31T23:59:59Z */
#define SIGV4_TIME_MAX		253402300799LL

/* What one signing call builds up, step by step. */
struct signing {
	const struct sigv4_creds *c;
	const struct sigv4_request *rq;
	const struct sigv4_params *p;
	int		 presign;	/* the query form */
	const char	*token;		/* session token, NULL without one */
	int		 sign_token;	/* the token is part of the signature */
	char		 date8[9];	/* YYYYMMDD */
	char		*scope;		/* date8/region/service/aws4_request */
	char		*credential;	/* access key id/scope */
	char		*canon_headers;
	struct sigv4_kv	*query;		/* the query's parameters, in order */
	size_t		 nquery;
	struct sigv4_result *res;	/* what the caller gets */
	struct buf	 b;		/* scratch */
};

int
sigv4_bounded_len(const char *s, size_t max, size_t *lenp)
{
	size_t n;

	*lenp = 0;
	if (s == NULL)
		return SP_ERR_INVALID_ARG;
	if ((n = strnlen(s, max + 1)) > max)
		return SP_ERR_INVALID_ARG;
	*lenp = n;
	return 0;
}

void
sigv4_str_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

int
sigv4_take_str(struct buf *b, char **out)
{
	return buf_to_cstr(b, out);
}

static int
is_visible(uint8_t c)
{
	return c > 0x20 && c < 0x7f;
}

/* Non-empty, at most max bytes, and every byte one that ok() accepts. */
static int
check_chars(const char *s, size_t max, int (*ok)(uint8_t))
{
	size_t n, i;
	int r;

	if ((r = sigv4_bounded_len(s, max, &n)) != 0)
		return r;
	if (n == 0)
		return SP_ERR_INVALID_ARG;
	for (i = 0; i < n; i++)
		if (!ok((uint8_t)s[i]))
			return SP_ERR_INVALID_ARG;
	return 0;
}

static int
sha256_hex(const void *d, size_t n, char out[SIGV4_HEX_LEN + 1])
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (EVP_Digest(d, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(md))
		return SP_ERR_CRYPTO;
	hex_encode(md, sizeof(md), out);
	return 0;
}

static int
hmac256(const void *key, size_t klen, const void *d, size_t n,
    uint8_t out[SHA256_DIGEST_LENGTH])
{
	unsigned int olen = 0;

	if (klen > INT_MAX)
		return SP_ERR_INVALID_ARG;
	if (HMAC(EVP_sha256(), key, (int)klen, d, n, out, &olen) == NULL ||
	    olen != SHA256_DIGEST_LENGTH) {
		OPENSSL_cleanse(out, SHA256_DIGEST_LENGTH);
		return SP_ERR_CRYPTO;
	}
	return 0;
}

static void
put2(char *p, int64_t v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

int
sigv4_amz_date(int64_t t, char out[SIGV4_DATE_LEN + 1])
{
	int64_t days, secs, era, doe, yoe, doy, mp, y, m, d;

	memset(out, 0, SIGV4_DATE_LEN + 1);
	if (t < 0 || t > SIGV4_TIME_MAX)
		return SP_ERR_TIME;
	days = t / 86400;
	secs = t % 86400;
	/*
	 * Civil date from a day count: shift the epoch to 0000-03-01 so that
	 * leap days end each 400-year era, then take the era, the year of
	 * the era and the day of a March-based year apart.
	 */
	days += 719468;
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);

	put2(out, y / 100);
	put2(out + 2, y % 100);
	put2(out + 4, m);
	put2(out + 6, d);
	out[8] = 'T';
	put2(out + 9, secs / 3600);
	put2(out + 11, secs / 60 % 60);
	put2(out + 13, secs % 60);
	out[15] = 'Z';
	out[16] = '\0';
	return 0;
}

static int
check_creds(const struct sigv4_creds *c)
{
	size_t n;
	int r;

	if (c == NULL)
		return SP_ERR_INVALID_ARG;
	if ((r = check_chars(c->access_key_id, SIGV4_MAX_NAME,
	    urlenc_unreserved)) != 0 ||
	    (r = sigv4_bounded_len(c->secret_key, SIGV4_MAX_STR, &n)) != 0)
		return r;
	if (n == 0)
		return SP_ERR_INVALID_ARG;
	if (c->session_token != NULL && c->session_token[0] != '\0' &&
	    (r = check_chars(c->session_token, SIGV4_MAX_STR,
	    is_visible)) != 0)
		return r;
	return 0;
}

static int
check_params(const struct sigv4_params *p, int presign)
{
	int r;

	if (p == NULL)
		return SP_ERR_INVALID_ARG;
	if ((r = check_chars(p->region, SIGV4_MAX_NAME,
	    urlenc_unreserved)) != 0 ||
	    (r = check_chars(p->service, SIGV4_MAX_NAME,
	    urlenc_unreserved)) != 0)
		return r;
	if (presign && (p->expires == 0 || p->expires > SIGV4_MAX_EXPIRES))
		return SP_ERR_INVALID_ARG;
	if (p->time < 0 || p->time > SIGV4_TIME_MAX)
		return SP_ERR_TIME;
	return 0;
}

/* Request fields other than headers and query (checked where parsed). */
static int
check_request(const struct sigv4_request *rq)
{
	size_t n, i;
	int r;

	if (rq == NULL)
		return SP_ERR_INVALID_ARG;
	if ((r = check_chars(rq->method, SIGV4_MAX_STR, sigv4_is_tchar)) != 0 ||
	    (r = check_chars(rq->host, SIGV4_MAX_STR, is_visible)) != 0)
		return r;
	if ((r = sigv4_bounded_len(rq->path, SIGV4_MAX_STR, &n)) != 0)
		return r;
	if (n > 0 && rq->path[0] != '/')
		return SP_ERR_INVALID_ARG;
	for (i = 0; i < n; i++)
		if ((uint8_t)rq->path[i] < 0x20 || (uint8_t)rq->path[i] == 0x7f)
			return SP_ERR_INVALID_ARG;
	if (rq->query != NULL &&
	    (r = sigv4_bounded_len(rq->query, SIGV4_MAX_QUERY, &n)) != 0)
		return r;
	if (rq->nheaders > SIGV4_MAX_HEADERS ||
	    (rq->nheaders > 0 && rq->headers == NULL) ||
	    (rq->body_len > 0 && rq->body == NULL))
		return SP_ERR_INVALID_ARG;
	if (rq->payload_hash != NULL &&
	    (r = check_chars(rq->payload_hash, SIGV4_HASH_MAX,
	    is_visible)) != 0)
		return r;
	return 0;
}

/*
 * The signing key: HMAC chain from "AWS4" + secret over the date, region,
 * service and "aws4_request".
 */
static int
signing_key(const char *secret, const char *date8, const char *region,
    const char *service, uint8_t key[SHA256_DIGEST_LENGTH])
{
	uint8_t k1[SHA256_DIGEST_LENGTH], k2[SHA256_DIGEST_LENGTH];
	uint8_t *ksecret = NULL;
	size_t slen = strlen(secret);
	int r = SP_ERR_INTERNAL;

	if ((ksecret = malloc(4 + slen)) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, secret, slen);
	if ((r = hmac256(ksecret, 4 + slen, date8, strlen(date8), k1)) != 0 ||
	    (r = hmac256(k1, sizeof(k1), region, strlen(region), k2)) != 0 ||
	    (r = hmac256(k2, sizeof(k2), service, strlen(service), k1)) != 0 ||
	    (r = hmac256(k1, sizeof(k1), "aws4_request", 12, key)) != 0)
		goto out;
	r = 0;
 out:
	if (ksecret != NULL) {
		OPENSSL_cleanse(ksecret, 4 + slen);
		free(ksecret);
	}
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	return r;
}

/* Check the inputs and start the result: X-Amz-Date, the token. */
static int
step_start(struct signing *s)
{
	const char *tok;
	int r;

	if ((r = check_creds(s->c)) != 0 ||
	    (r = check_params(s->p, s->presign)) != 0 ||
	    (r = check_request(s->rq)) != 0)
		return r;
	if ((s->res = calloc(1, sizeof(*s->res))) == NULL)
		return SP_ERR_ALLOC;
	if ((r = sigv4_amz_date(s->p->time, s->res->amz_date)) != 0)
		return r;
	memcpy(s->date8, s->res->amz_date, 8);
	s->date8[8] = '\0';
	tok = s->c->session_token;
	s->token = tok != NULL && tok[0] != '\0' ? tok : NULL;
	s->sign_token = s->token != NULL &&
	    !(s->p->flags & SIGV4_TOKEN_UNSIGNED);
	return 0;
}

/* The payload hash; an explicit one is at most SIGV4_HASH_MAX long. */
static int
step_payload_hash(struct signing *s)
{
	const struct sigv4_request *rq = s->rq;
	char hash[SIGV4_HEX_LEN + 1];
	int r;

	if (rq->payload_hash != NULL) {
		memcpy(s->res->payload_hash, rq->payload_hash,
		    strlen(rq->payload_hash) + 1);
		return 0;
	}
	if ((r = sha256_hex(rq->body_len > 0 ? rq->body : "",
	    rq->body_len, hash)) != 0)
		return r;
	memcpy(s->res->payload_hash, hash, sizeof(hash));
	return 0;
}

/* Scope date/region/service/aws4_request; credential akid/scope. */
static int
step_scope(struct signing *s)
{
	struct buf *b = &s->b;
	int r;

	buf_reset(b);
	if ((r = buf_putf(b, "%s/%s/%s/aws4_request", s->date8, s->p->region,
	    s->p->service)) != 0 ||
	    (r = sigv4_take_str(b, &s->scope)) != 0 ||
	    (r = buf_putf(b, "%s/%s", s->c->access_key_id, s->scope)) != 0 ||
	    (r = sigv4_take_str(b, &s->credential)) != 0)
		return r;
	return 0;
}

/* Query: the caller's parameters, then the query form's own. */
static int
step_query(struct signing *s)
{
	const char *q = s->rq->query != NULL ? s->rq->query : "";
	struct sigv4_kv *kv;
	char expires[21];
	size_t i;
	int r;

	if ((r = sigv4_query_parse(q, strlen(q), SIGV4_N_SIGNING, &s->query,
	    &s->nquery)) != 0)
		return r;
	if (!s->presign)
		return 0;
	kv = s->query;
	for (i = 0; i < s->nquery; i++)
		if (sigv4_is_signing_param(kv[i].k))
			return SP_ERR_INVALID_ARG;
	snprintf(expires, sizeof(expires), "%lu",
	    (unsigned long)s->p->expires);
	if ((r = sigv4_query_add(kv, &s->nquery, &s->b, "X-Amz-Algorithm",
	    SIGV4_ALGORITHM)) != 0 ||
	    (r = sigv4_query_add(kv, &s->nquery, &s->b, "X-Amz-Credential",
	    s->credential)) != 0 ||
	    (r = sigv4_query_add(kv, &s->nquery, &s->b, "X-Amz-Date",
	    s->res->amz_date)) != 0 ||
	    (r = sigv4_query_add(kv, &s->nquery, &s->b, "X-Amz-Expires",
	    expires)) != 0 ||
	    (r = sigv4_query_add(kv, &s->nquery, &s->b, "X-Amz-SignedHeaders",
	    s->res->signed_headers)) != 0 ||
	    (s->sign_token && (r = sigv4_query_add(kv, &s->nquery, &s->b,
	    "X-Amz-Security-Token", s->token)) != 0))
		return r;
	return 0;
}

/* Method, URI, query, headers, signed headers and payload hash. */
static int
step_canonical_request(struct signing *s)
{
	const struct sigv4_request *rq = s->rq;
	struct sigv4_result *res = s->res;
	struct buf *b = &s->b;
	int r;

	buf_reset(b);
	if ((r = buf_putf(b, "%s\n", rq->method)) != 0 ||
	    (r = sigv4_put_canonical_path(b, rq->path, strlen(rq->path),
	    s->p->flags)) != 0 ||
	    (r = buf_put_u8(b, '\n')) != 0 ||
	    (r = sigv4_put_sorted_query(b, s->query, s->nquery)) != 0 ||
	    (r = buf_putf(b, "\n%s\n%s\n%s", s->canon_headers,
	    res->signed_headers, res->payload_hash)) != 0 ||
	    (r = sigv4_take_str(b, &res->canonical_request)) != 0)
		return r;
	return 0;
}

/* Algorithm, date, scope and the hash of the canonical request. */
static int
step_string_to_sign(struct signing *s)
{
	struct sigv4_result *res = s->res;
	struct buf *b = &s->b;
	char hash[SIGV4_HEX_LEN + 1];
	int r;

	if ((r = sha256_hex(res->canonical_request,
	    strlen(res->canonical_request), hash)) != 0)
		return r;
	buf_reset(b);
	if ((r = buf_putf(b, SIGV4_ALGORITHM "\n%s\n%s\n%s", res->amz_date,
	    s->scope, hash)) != 0 ||
	    (r = sigv4_take_str(b, &res->string_to_sign)) != 0)
		return r;
	return 0;
}

/* The HMAC of the string to sign under the signing key, in hex. */
static int
step_signature(struct signing *s)
{
	struct sigv4_result *res = s->res;
	uint8_t key[SHA256_DIGEST_LENGTH], sig[SHA256_DIGEST_LENGTH];
	int r;

	res->signature[0] = '\0';
	if ((r = signing_key(s->c->secret_key, s->date8, s->p->region,
	    s->p->service, key)) == 0 &&
	    (r = hmac256(key, sizeof(key), res->string_to_sign,
	    strlen(res->string_to_sign), sig)) == 0)
		hex_encode(sig, sizeof(sig), res->signature);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(sig, sizeof(sig));
	return r;
}

/* Header form: the Authorization header value. */
static int
step_authorization(struct signing *s)
{
	struct sigv4_result *res = s->res;
	struct buf *b = &s->b;
	int r;

	buf_reset(b);
	if ((r = buf_putf(b, SIGV4_ALGORITHM " Credential=%s, SignedHeaders=%s, "
	    "Signature=%s", s->credential, res->signed_headers,
	    res->signature)) != 0 ||
	    (r = sigv4_take_str(b, &res->authorization)) != 0)
		return r;
	return 0;
}

/*
 * Query form: the caller's parameters and ours in the order added; an
 * unsigned token goes after them, the signature always last.
 */
static int
step_presigned_query(struct signing *s)
{
	struct buf *b = &s->b;
	size_t i;
	int r;

	buf_reset(b);
	for (i = 0; i < s->nquery; i++)
		if ((r = sigv4_put_pair(b, s->query[i].k, s->query[i].v,
		    i == 0)) != 0)
			return r;
	if (s->token != NULL && !s->sign_token &&
	    ((r = buf_put_str(b, "&X-Amz-Security-Token=")) != 0 ||
	    (r = urlenc_put(b, s->token, strlen(s->token), 0)) != 0))
		return r;
	if ((r = sigv4_put_pair(b, "X-Amz-Signature", s->res->signature,
	    0)) != 0 ||
	    (r = sigv4_take_str(b, &s->res->query)) != 0)
		return r;
	return 0;
}

int
sigv4_sign(const struct sigv4_creds *c, const struct sigv4_request *rq,
    const struct sigv4_params *p, int presign, struct sigv4_result **outp)
{
	struct signing s;
	int r;

	*outp = NULL;
	memset(&s, 0, sizeof(s));
	s.c = c;
	s.rq = rq;
	s.p = p;
	s.presign = presign;
	buf_init(&s.b, SIGV4_MAX_OUT);
	if ((r = step_start(&s)) != 0 ||
	    (r = step_payload_hash(&s)) != 0 ||
	    (r = step_scope(&s)) != 0 ||
	    (r = sigv4_canonical_headers(rq, p, presign,
	    s.sign_token ? s.token : NULL, s.res, &s.canon_headers)) != 0 ||
	    (r = step_query(&s)) != 0 ||
	    (r = step_canonical_request(&s)) != 0 ||
	    (r = step_string_to_sign(&s)) != 0 ||
	    (r = step_signature(&s)) != 0 ||
	    (r = presign ? step_presigned_query(&s) :
	    step_authorization(&s)) != 0)
		goto out;
	*outp = s.res;
	s.res = NULL;
 out:
	sigv4_result_free(s.res);
	sigv4_kvs_free(s.query, s.nquery);
	sigv4_str_free(s.scope);
	sigv4_str_free(s.credential);
	sigv4_str_free(s.canon_headers);
	buf_release(&s.b);
	return r;
}

int
sigv4_sign_header(const struct sigv4_creds *creds,
    const struct sigv4_request *req, const struct sigv4_params *params,
    struct sigv4_result **out)
{
	return sigv4_sign(creds, req, params, 0, out);
}

int
sigv4_presign(const struct sigv4_creds *creds,
    const struct sigv4_request *req, const struct sigv4_params *params,
    struct sigv4_result **out)
{
	return sigv4_sign(creds, req, params, 1, out);
}

void
sigv4_result_free(struct sigv4_result *res)
{
	if (res == NULL)
		return;
	sigv4_str_free(res->canonical_request);
	sigv4_str_free(res->string_to_sign);
	sigv4_str_free(res->signed_headers);
	sigv4_str_free(res->authorization);
	sigv4_str_free(res->query);
	sigv4_str_free(res->host);
	sigv4_str_free(res->url);
	OPENSSL_cleanse(res, sizeof(*res));
	free(res);
}
