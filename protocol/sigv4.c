/*
 * AWS Signature Version 4; see sigv4.h.
 *
 * One function, sign(), builds the canonical request for both forms; the
 * header form puts X-Amz-Date (and the token) among the signed headers,
 * the query form puts the same facts into the canonical query instead.
 * Every string is assembled in a struct buf with a hard cap, so that no
 * input can make us allocate without bound.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "buf.h"
#include "hex.h"
#include "sigv4.h"
#include "urlenc.h"

/* Cap on any string we build: 64 headers of 2 * 64 KiB each, and more. */
#define SIGV4_MAX_OUT		(16 * 1024 * 1024)
/* Largest name for region, service and access key id. */
#define SIGV4_MAX_NAME		256
/* Largest host name in a URL, brackets excluded. */
#define SIGV4_MAX_HOST		255
/* 9999-12-31T23:59:59Z */
#define SIGV4_TIME_MAX		253402300799LL
/* Signing parameters the query form adds; the caller may not pass them. */
#define SIGV4_N_SIGNING		7

static const char *const signing_params[SIGV4_N_SIGNING] = {
	"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
};

/* Headers only the signer may set (lower case). */
static const char *const own_headers[] = {
	"host", "authorization", "x-amz-date", "x-amz-security-token",
};

/* One query parameter, key and value canonically encoded. */
struct qparam {
	char	*k;
	char	*v;
};

/* One header to sign: lower-case name, normalised value. */
struct hdr {
	char	*name;
	char	*value;
	size_t	 order;		/* position given, to keep sorting stable */
};

/* RFC 9110 tchar. */
static int
is_tchar(uint8_t c)
{
	return urlenc_unreserved(c) || (c != '\0' &&
	    strchr("!#$%&'*+^`|", c) != NULL);
}

/* Length of s if it is non-NULL and at most max bytes long, else error. */
static int
bounded_len(const char *s, size_t max, size_t *lenp)
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

/* Non-empty, bounded and made of unreserved characters only. */
static int
check_name(const char *s, size_t max)
{
	size_t n, i;
	int r;

	if ((r = bounded_len(s, max, &n)) != 0)
		return r;
	if (n == 0)
		return SP_ERR_INVALID_ARG;
	for (i = 0; i < n; i++)
		if (!urlenc_unreserved((uint8_t)s[i]))
			return SP_ERR_INVALID_ARG;
	return 0;
}

/* Non-empty, bounded and visible ASCII (0x21..0x7e) only. */
static int
check_visible(const char *s, size_t max)
{
	size_t n, i;
	int r;

	if ((r = bounded_len(s, max, &n)) != 0)
		return r;
	if (n == 0)
		return SP_ERR_INVALID_ARG;
	for (i = 0; i < n; i++)
		if ((uint8_t)s[i] <= 0x20 || (uint8_t)s[i] >= 0x7f)
			return SP_ERR_INVALID_ARG;
	return 0;
}

static void
str_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* Move the contents of b into a new heap string; b is left empty. */
static int
take_str(struct buf *b, char **out)
{
	return buf_to_cstr(b, out);
}

/* Append s, then move everything into *out. */
static int
take_encoded(struct buf *b, const char *s, char **out)
{
	int r;

	if ((r = urlenc_put(b, s, strlen(s), 0)) != 0)
		return r;
	return take_str(b, out);
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

/* Decimal digits of v, NUL-terminated. */
static void
fmt_u64(uint64_t v, char out[21])
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	memcpy(out, tmp + sizeof(tmp) - n, n);
	out[n] = '\0';
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

/*
 * Header value as signed: trimmed, inner runs of white space collapsed to
 * one space.  A line break is allowed only as a fold (CRLF or LF followed
 * by space or tab) and counts as white space; other control bytes are
 * refused.
 */
static int
put_header_value(struct buf *b, const char *v, size_t n)
{
	uint8_t c;
	size_t i;
	int r, started = 0, space = 0;

	for (i = 0; i < n; i++) {
		c = (uint8_t)v[i];
		if (c == '\r' || c == '\n') {
			if (c == '\r') {
				if (i + 1 >= n || v[i + 1] != '\n')
					return SP_ERR_INVALID_ARG;
				i++;
			}
			if (i + 1 >= n || (v[i + 1] != ' ' && v[i + 1] != '\t'))
				return SP_ERR_INVALID_ARG;
			space = started;
			continue;
		}
		if (c == ' ' || c == '\t') {
			space = started;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return SP_ERR_INVALID_ARG;
		if (space && (r = buf_put_u8(b, ' ')) != 0)
			return r;
		if ((r = buf_put_u8(b, c)) != 0)
			return r;
		space = 0;
		started = 1;
	}
	return 0;
}

/* Lower-cased header name; must be a non-empty token. */
static int
put_header_name(struct buf *b, const char *s, size_t n)
{
	uint8_t c;
	size_t i;
	int r;

	if (n == 0)
		return SP_ERR_INVALID_ARG;
	for (i = 0; i < n; i++) {
		c = (uint8_t)s[i];
		if (!is_tchar(c))
			return SP_ERR_INVALID_ARG;
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if ((r = buf_put_u8(b, c)) != 0)
			return r;
	}
	return 0;
}

/* Add one header to hd[*nhd]; tmp is scratch. */
static int
hdr_add(struct hdr *hd, size_t *nhd, struct buf *tmp, const char *name,
    const char *value)
{
	struct hdr *h = &hd[*nhd];
	size_t nlen, vlen;
	int r;

	if ((r = bounded_len(name, SIGV4_MAX_STR, &nlen)) != 0 ||
	    (r = bounded_len(value, SIGV4_MAX_STR, &vlen)) != 0)
		return r;
	buf_reset(tmp);
	if ((r = put_header_name(tmp, name, nlen)) != 0 ||
	    (r = take_str(tmp, &h->name)) != 0)
		return r;
	if ((r = put_header_value(tmp, value, vlen)) != 0 ||
	    (r = take_str(tmp, &h->value)) != 0) {
		str_free(h->name);
		h->name = NULL;
		return r;
	}
	h->order = (*nhd)++;
	return 0;
}

static int
hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
hdrs_free(struct hdr *hd, size_t n)
{
	size_t i;

	if (hd == NULL)
		return;
	for (i = 0; i < n; i++) {
		str_free(hd[i].name);
		str_free(hd[i].value);
	}
	free(hd);
}

/*
 * Canonical headers ("name:v1,v2\n" per name, sorted) into ch, and the
 * signed header list ("a;b") into sh.  Sorts hd in place.
 */
static int
hdrs_canonical(struct hdr *hd, size_t n, struct buf *ch, struct buf *sh)
{
	size_t i;
	int r;

	qsort(hd, n, sizeof(*hd), hdr_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(hd[i].name, hd[i - 1].name) == 0) {
			if ((r = buf_put_u8(ch, ',')) != 0 ||
			    (r = buf_put_str(ch, hd[i].value)) != 0)
				return r;
			continue;
		}
		if (i > 0 && ((r = buf_put_u8(ch, '\n')) != 0 ||
		    (r = buf_put_u8(sh, ';')) != 0))
			return r;
		if ((r = buf_put_str(ch, hd[i].name)) != 0 ||
		    (r = buf_put_u8(ch, ':')) != 0 ||
		    (r = buf_put_str(ch, hd[i].value)) != 0 ||
		    (r = buf_put_str(sh, hd[i].name)) != 0)
			return r;
	}
	return buf_put_u8(ch, '\n');
}

static void
qparams_free(struct qparam *qp, size_t n)
{
	size_t i;

	if (qp == NULL)
		return;
	for (i = 0; i < n; i++) {
		str_free(qp[i].k);
		str_free(qp[i].v);
	}
	free(qp);
}

/*
 * Split a raw query at '&' and '=' into canonically encoded parameters.
 * Empty segments ("a&&b") are skipped; a key without '=' has an empty
 * value.  *qpp has room for extra more parameters; free with
 * qparams_free(*qpp, *np).
 */
static int
qparams_parse(const char *q, size_t qlen, size_t extra, struct qparam **qpp,
    size_t *np)
{
	struct qparam *qp = NULL;
	struct buf tmp;
	const char *s, *e, *eq, *end = q + qlen;
	size_t cap = 1 + extra, n = 0, i;
	int r = SP_ERR_INTERNAL;

	*qpp = NULL;
	*np = 0;
	buf_init(&tmp, SIGV4_MAX_OUT);
	for (i = 0; i < qlen; i++)
		if (q[i] == '&')
			cap++;
	if ((qp = calloc(cap, sizeof(*qp))) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	for (s = q; s < end; s = e + 1) {
		if ((e = memchr(s, '&', (size_t)(end - s))) == NULL)
			e = end;
		if (e == s)
			continue;
		if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL)
			eq = e;
		if ((r = urlenc_put_requoted(&tmp, s, (size_t)(eq - s))) != 0 ||
		    (r = take_str(&tmp, &qp[n].k)) != 0)
			goto out;
		n++;	/* qparams_free frees a half-built entry too */
		if (eq < e && (r = urlenc_put_requoted(&tmp, eq + 1,
		    (size_t)(e - eq - 1))) != 0)
			goto out;
		if ((r = take_str(&tmp, &qp[n - 1].v)) != 0)
			goto out;
	}
	*qpp = qp;
	*np = n;
	qp = NULL;
	r = 0;
 out:
	qparams_free(qp, n);
	buf_release(&tmp);
	return r;
}

/* Append an unencoded key=value pair; the value is encoded here. */
static int
qparam_add(struct qparam *qp, size_t *np, struct buf *tmp, const char *k,
    const char *v)
{
	int r;

	buf_reset(tmp);
	if ((r = take_encoded(tmp, k, &qp[*np].k)) != 0)
		return r;
	if ((r = take_encoded(tmp, v, &qp[*np].v)) != 0) {
		str_free(qp[*np].k);
		qp[*np].k = NULL;
		return r;
	}
	(*np)++;
	return 0;
}

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *const *x = a, *const *y = b;
	int c;

	if ((c = strcmp((*x)->k, (*y)->k)) != 0)
		return c;
	return strcmp((*x)->v, (*y)->v);
}

static int
is_signing_param(const char *encoded_key)
{
	size_t i;

	/* Signing names are unreserved, so encoding leaves them as is. */
	for (i = 0; i < SIGV4_N_SIGNING; i++)
		if (strcasecmp(encoded_key, signing_params[i]) == 0)
			return 1;
	return 0;
}

/* Append "k=v&k=v..." for qp[0..n) in the given order. */
static int
put_query(struct buf *b, struct qparam *const *qp, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if ((i > 0 && (r = buf_put_u8(b, '&')) != 0) ||
		    (r = buf_put_str(b, qp[i]->k)) != 0 ||
		    (r = buf_put_u8(b, '=')) != 0 ||
		    (r = buf_put_str(b, qp[i]->v)) != 0)
			return r;
	}
	return 0;
}

/*
 * Canonical URI: optionally remove dot segments and empty segments (RFC
 * 3986 5.2.4 plus collapsing "//", as the AWS suite's "normalize" does),
 * then optionally percent-encode every byte but unreserved ones and '/'
 * (which double-encodes escapes the caller already made, as AWS expects
 * for every service but S3).
 */
static int
put_canonical_path(struct buf *out, const char *path, size_t n, int flags)
{
	struct buf norm;
	const char *s, *e, *end = path + n;
	const uint8_t *p;
	size_t len;
	int r = SP_ERR_INTERNAL, trailing = 0;

	buf_init(&norm, SIGV4_MAX_OUT);
	if (flags & SIGV4_NO_NORMALIZE) {
		if (n == 0)
			r = buf_put(&norm, "/", 1);
		else
			r = buf_put(&norm, path, n);
		if (r != 0)
			goto out;
	} else {
		for (s = path; s < end; s = e + 1) {
			if ((e = memchr(s, '/', (size_t)(end - s))) == NULL)
				e = end;
			len = (size_t)(e - s);
			trailing = 0;
			if (len == 0)
				continue;
			if (len == 1 && s[0] == '.') {
				trailing = 1;
				continue;
			}
			if (len == 2 && s[0] == '.' && s[1] == '.') {
				trailing = 1;
				/* Drop the last "/segment", if any. */
				p = buf_ptr(&norm);
				len = buf_len(&norm);
				while (len > 0 && p[len - 1] != '/')
					len--;
				if (len > 0 && (r = buf_consume_end(&norm,
				    buf_len(&norm) - len + 1)) != 0)
					goto out;
				continue;
			}
			if ((r = buf_put_u8(&norm, '/')) != 0 ||
			    (r = buf_put(&norm, s, len)) != 0)
				goto out;
		}
		if (n > 0 && path[n - 1] == '/')
			trailing = 1;
		if ((buf_len(&norm) == 0 || trailing) &&
		    (r = buf_put_u8(&norm, '/')) != 0)
			goto out;
	}
	if (flags & SIGV4_NO_PATH_ENCODE)
		r = buf_put(out, buf_ptr(&norm), buf_len(&norm));
	else
		r = urlenc_put(out, buf_ptr(&norm), buf_len(&norm),
		    URLENC_KEEP_SLASH);
 out:
	buf_release(&norm);
	return r;
}

static int
check_creds(const struct sigv4_creds *c)
{
	size_t n;
	int r;

	if (c == NULL)
		return SP_ERR_INVALID_ARG;
	if ((r = check_name(c->access_key_id, SIGV4_MAX_NAME)) != 0 ||
	    (r = bounded_len(c->secret_key, SIGV4_MAX_STR, &n)) != 0)
		return r;
	if (n == 0)
		return SP_ERR_INVALID_ARG;
	if (c->session_token != NULL && c->session_token[0] != '\0' &&
	    (r = check_visible(c->session_token, SIGV4_MAX_STR)) != 0)
		return r;
	return 0;
}

static int
check_params(const struct sigv4_params *p, int presign)
{
	int r;

	if (p == NULL)
		return SP_ERR_INVALID_ARG;
	if ((r = check_name(p->region, SIGV4_MAX_NAME)) != 0 ||
	    (r = check_name(p->service, SIGV4_MAX_NAME)) != 0)
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
	if ((r = bounded_len(rq->method, SIGV4_MAX_STR, &n)) != 0)
		return r;
	if (n == 0)
		return SP_ERR_INVALID_ARG;
	for (i = 0; i < n; i++)
		if (!is_tchar((uint8_t)rq->method[i]))
			return SP_ERR_INVALID_ARG;
	if ((r = check_visible(rq->host, SIGV4_MAX_STR)) != 0)
		return r;
	if ((r = bounded_len(rq->path, SIGV4_MAX_STR, &n)) != 0)
		return r;
	if (n > 0 && rq->path[0] != '/')
		return SP_ERR_INVALID_ARG;
	for (i = 0; i < n; i++)
		if ((uint8_t)rq->path[i] < 0x20 || (uint8_t)rq->path[i] == 0x7f)
			return SP_ERR_INVALID_ARG;
	if (rq->query != NULL &&
	    (r = bounded_len(rq->query, SIGV4_MAX_QUERY, &n)) != 0)
		return r;
	if (rq->nheaders > SIGV4_MAX_HEADERS ||
	    (rq->nheaders > 0 && rq->headers == NULL) ||
	    (rq->body_len > 0 && rq->body == NULL))
		return SP_ERR_INVALID_ARG;
	if (rq->payload_hash != NULL &&
	    (r = check_visible(rq->payload_hash, SIGV4_HASH_MAX)) != 0)
		return r;
	return 0;
}

/* Refuse extra headers the signer sets itself. */
static int
check_own_header(const char *lname, int flags)
{
	size_t i;

	for (i = 0; i < sizeof(own_headers) / sizeof(own_headers[0]); i++)
		if (strcmp(lname, own_headers[i]) == 0)
			return SP_ERR_INVALID_ARG;
	if ((flags & SIGV4_SIGN_BODY) &&
	    strcmp(lname, "x-amz-content-sha256") == 0)
		return SP_ERR_INVALID_ARG;
	return 0;
}

/* The signing key chain and the final HMAC over the string to sign. */
static int
compute_signature(const char *secret, const char *date8, const char *region,
    const char *service, const char *sts, char out[SIGV4_HEX_LEN + 1])
{
	uint8_t k1[SHA256_DIGEST_LENGTH], k2[SHA256_DIGEST_LENGTH];
	uint8_t *ksecret = NULL;
	size_t slen = strlen(secret);
	int r = SP_ERR_INTERNAL;

	out[0] = '\0';
	if ((ksecret = malloc(4 + slen)) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, secret, slen);
	if ((r = hmac256(ksecret, 4 + slen, date8, strlen(date8), k1)) != 0 ||
	    (r = hmac256(k1, sizeof(k1), region, strlen(region), k2)) != 0 ||
	    (r = hmac256(k2, sizeof(k2), service, strlen(service), k1)) != 0 ||
	    (r = hmac256(k1, sizeof(k1), "aws4_request", 12, k2)) != 0 ||
	    (r = hmac256(k2, sizeof(k2), sts, strlen(sts), k1)) != 0)
		goto out;
	hex_encode(k1, sizeof(k1), out);
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

/*
 * Canonical headers into *chp and the signed header list into
 * res->signed_headers: host, the caller's headers and, in the header
 * form, x-amz-date, the token (signed_token, NULL if not signed) and
 * x-amz-content-sha256 with SIGV4_SIGN_BODY.
 */
static int
build_headers(const struct sigv4_request *rq, const struct sigv4_params *p,
    int presign, const char *signed_token, struct sigv4_result *res,
    char **chp)
{
	struct hdr *hd = NULL;
	struct buf ch, sh, tmp;
	size_t nhd = 0, i;
	int r = SP_ERR_INTERNAL;

	*chp = NULL;
	buf_init(&ch, SIGV4_MAX_OUT);
	buf_init(&sh, SIGV4_MAX_OUT);
	buf_init(&tmp, SIGV4_MAX_OUT);
	if ((hd = calloc(rq->nheaders + 4, sizeof(*hd))) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	if ((r = hdr_add(hd, &nhd, &tmp, "host", rq->host)) != 0)
		goto out;
	for (i = 0; i < rq->nheaders; i++) {
		if ((r = hdr_add(hd, &nhd, &tmp, rq->headers[i].name,
		    rq->headers[i].value)) != 0 ||
		    (r = check_own_header(hd[nhd - 1].name, p->flags)) != 0)
			goto out;
	}
	if (!presign) {
		if ((r = hdr_add(hd, &nhd, &tmp, "x-amz-date",
		    res->amz_date)) != 0)
			goto out;
		if (signed_token != NULL && (r = hdr_add(hd, &nhd, &tmp,
		    "x-amz-security-token", signed_token)) != 0)
			goto out;
		if ((p->flags & SIGV4_SIGN_BODY) && (r = hdr_add(hd, &nhd,
		    &tmp, "x-amz-content-sha256", res->payload_hash)) != 0)
			goto out;
	}
	if ((r = hdrs_canonical(hd, nhd, &ch, &sh)) != 0 ||
	    (r = take_str(&sh, &res->signed_headers)) != 0 ||
	    (r = take_str(&ch, chp)) != 0)
		goto out;
	r = 0;
 out:
	hdrs_free(hd, nhd);
	buf_release(&ch);
	buf_release(&sh);
	buf_release(&tmp);
	return r;
}

/* Append "&k=v" (no '&' when first). */
static int
put_pair(struct buf *b, const char *k, const char *v, int first)
{
	int r;

	if ((!first && (r = buf_put_u8(b, '&')) != 0) ||
	    (r = buf_put_str(b, k)) != 0 ||
	    (r = buf_put_u8(b, '=')) != 0 ||
	    (r = buf_put_str(b, v)) != 0)
		return r;
	return 0;
}

/* Both forms; presign selects the query form. */
static int
sign(const struct sigv4_creds *c, const struct sigv4_request *rq,
    const struct sigv4_params *p, int presign, struct sigv4_result **outp)
{
	struct sigv4_result *res = NULL;
	struct qparam *qp = NULL, **sorted = NULL;
	struct buf b;
	const char *token, *query;
	char date8[9], hash[SIGV4_HEX_LEN + 1], expires[21];
	char *scope = NULL, *credential = NULL, *ch = NULL;
	size_t nqp = 0, i;
	int r = SP_ERR_INTERNAL, sign_token;

	*outp = NULL;
	buf_init(&b, SIGV4_MAX_OUT);
	if ((r = check_creds(c)) != 0 || (r = check_params(p, presign)) != 0 ||
	    (r = check_request(rq)) != 0)
		goto out;
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	if ((r = sigv4_amz_date(p->time, res->amz_date)) != 0)
		goto out;
	memcpy(date8, res->amz_date, 8);
	date8[8] = '\0';
	token = c->session_token != NULL && c->session_token[0] != '\0' ?
	    c->session_token : NULL;
	sign_token = token != NULL && !(p->flags & SIGV4_TOKEN_UNSIGNED);

	/* Payload hash; an explicit one is at most SIGV4_HASH_MAX long. */
	if (rq->payload_hash != NULL) {
		memcpy(res->payload_hash, rq->payload_hash,
		    strlen(rq->payload_hash) + 1);
	} else {
		if ((r = sha256_hex(rq->body_len > 0 ? rq->body : "",
		    rq->body_len, hash)) != 0)
			goto out;
		memcpy(res->payload_hash, hash, sizeof(hash));
	}

	/* Scope date/region/service/aws4_request; credential akid/scope. */
	if ((r = buf_put_str(&b, date8)) != 0 ||
	    (r = buf_put_u8(&b, '/')) != 0 ||
	    (r = buf_put_str(&b, p->region)) != 0 ||
	    (r = buf_put_u8(&b, '/')) != 0 ||
	    (r = buf_put_str(&b, p->service)) != 0 ||
	    (r = buf_put_str(&b, "/aws4_request")) != 0 ||
	    (r = take_str(&b, &scope)) != 0 ||
	    (r = buf_put_str(&b, c->access_key_id)) != 0 ||
	    (r = buf_put_u8(&b, '/')) != 0 ||
	    (r = buf_put_str(&b, scope)) != 0 ||
	    (r = take_str(&b, &credential)) != 0)
		goto out;

	if ((r = build_headers(rq, p, presign, sign_token ? token : NULL, res,
	    &ch)) != 0)
		goto out;

	/* Query: the caller's parameters, then the query form's own. */
	query = rq->query != NULL ? rq->query : "";
	if ((r = qparams_parse(query, strlen(query), SIGV4_N_SIGNING, &qp,
	    &nqp)) != 0)
		goto out;
	if (presign) {
		for (i = 0; i < nqp; i++) {
			if (is_signing_param(qp[i].k)) {
				r = SP_ERR_INVALID_ARG;
				goto out;
			}
		}
		fmt_u64(p->expires, expires);
		if ((r = qparam_add(qp, &nqp, &b, "X-Amz-Algorithm",
		    SIGV4_ALGORITHM)) != 0 ||
		    (r = qparam_add(qp, &nqp, &b, "X-Amz-Credential",
		    credential)) != 0 ||
		    (r = qparam_add(qp, &nqp, &b, "X-Amz-Date",
		    res->amz_date)) != 0 ||
		    (r = qparam_add(qp, &nqp, &b, "X-Amz-Expires",
		    expires)) != 0 ||
		    (r = qparam_add(qp, &nqp, &b, "X-Amz-SignedHeaders",
		    res->signed_headers)) != 0 ||
		    (sign_token && (r = qparam_add(qp, &nqp, &b,
		    "X-Amz-Security-Token", token)) != 0))
			goto out;
	}
	if ((sorted = calloc(nqp + 1, sizeof(*sorted))) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < nqp; i++)
		sorted[i] = &qp[i];
	qsort(sorted, nqp, sizeof(*sorted), qparam_cmp);

	/* The canonical request. */
	buf_reset(&b);
	if ((r = buf_put_str(&b, rq->method)) != 0 ||
	    (r = buf_put_u8(&b, '\n')) != 0 ||
	    (r = put_canonical_path(&b, rq->path, strlen(rq->path),
	    p->flags)) != 0 ||
	    (r = buf_put_u8(&b, '\n')) != 0 ||
	    (r = put_query(&b, sorted, nqp)) != 0 ||
	    (r = buf_put_u8(&b, '\n')) != 0 ||
	    (r = buf_put_str(&b, ch)) != 0 ||
	    (r = buf_put_u8(&b, '\n')) != 0 ||
	    (r = buf_put_str(&b, res->signed_headers)) != 0 ||
	    (r = buf_put_u8(&b, '\n')) != 0 ||
	    (r = buf_put_str(&b, res->payload_hash)) != 0 ||
	    (r = take_str(&b, &res->canonical_request)) != 0)
		goto out;

	/* The string to sign, and the signature over it. */
	if ((r = sha256_hex(res->canonical_request,
	    strlen(res->canonical_request), hash)) != 0)
		goto out;
	if ((r = buf_put_str(&b, SIGV4_ALGORITHM "\n")) != 0 ||
	    (r = buf_put_str(&b, res->amz_date)) != 0 ||
	    (r = buf_put_u8(&b, '\n')) != 0 ||
	    (r = buf_put_str(&b, scope)) != 0 ||
	    (r = buf_put_u8(&b, '\n')) != 0 ||
	    (r = buf_put_str(&b, hash)) != 0 ||
	    (r = take_str(&b, &res->string_to_sign)) != 0)
		goto out;
	if ((r = compute_signature(c->secret_key, date8, p->region,
	    p->service, res->string_to_sign, res->signature)) != 0)
		goto out;

	if (!presign) {
		if ((r = buf_put_str(&b, SIGV4_ALGORITHM)) != 0 ||
		    (r = buf_put_str(&b, " Credential=")) != 0 ||
		    (r = buf_put_str(&b, credential)) != 0 ||
		    (r = buf_put_str(&b, ", SignedHeaders=")) != 0 ||
		    (r = buf_put_str(&b, res->signed_headers)) != 0 ||
		    (r = buf_put_str(&b, ", Signature=")) != 0 ||
		    (r = buf_put_str(&b, res->signature)) != 0 ||
		    (r = take_str(&b, &res->authorization)) != 0)
			goto out;
	} else {
		/*
		 * The caller's parameters and ours in the order added; an
		 * unsigned token goes after them, the signature always last.
		 */
		for (i = 0; i < nqp; i++)
			if ((r = put_pair(&b, qp[i].k, qp[i].v, i == 0)) != 0)
				goto out;
		if (token != NULL && !sign_token &&
		    ((r = buf_put_str(&b, "&X-Amz-Security-Token=")) != 0 ||
		    (r = urlenc_put(&b, token, strlen(token), 0)) != 0))
			goto out;
		if ((r = put_pair(&b, "X-Amz-Signature", res->signature,
		    0)) != 0 ||
		    (r = take_str(&b, &res->query)) != 0)
			goto out;
	}
	*outp = res;
	res = NULL;
	r = 0;
 out:
	sigv4_result_free(res);
	qparams_free(qp, nqp);
	free(sorted);
	str_free(scope);
	str_free(credential);
	str_free(ch);
	buf_release(&b);
	return r;
}

int
sigv4_sign_header(const struct sigv4_creds *creds,
    const struct sigv4_request *req, const struct sigv4_params *params,
    struct sigv4_result **out)
{
	return sign(creds, req, params, 0, out);
}

int
sigv4_presign(const struct sigv4_creds *creds,
    const struct sigv4_request *req, const struct sigv4_params *params,
    struct sigv4_result **out)
{
	return sign(creds, req, params, 1, out);
}

void
sigv4_result_free(struct sigv4_result *res)
{
	if (res == NULL)
		return;
	str_free(res->canonical_request);
	str_free(res->string_to_sign);
	str_free(res->signed_headers);
	str_free(res->authorization);
	str_free(res->query);
	str_free(res->host);
	str_free(res->url);
	OPENSSL_cleanse(res, sizeof(*res));
	free(res);
}

/* URL schemes we sign for, with their default ports. */
static const struct {
	const char	*name;
	uint16_t	 port;
	int		 tls;
} schemes[] = {
	{ "https", 443, 1 },
	{ "wss", 443, 1 },
	{ "http", 80, 0 },
	{ "ws", 80, 0 },
};

/* Copy n bytes at s into a new string. */
static int
dup_n(const char *s, size_t n, char **out)
{
	if ((*out = malloc(n + 1)) == NULL)
		return SP_ERR_ALLOC;
	memcpy(*out, s, n);
	(*out)[n] = '\0';
	return 0;
}

/* Host name: letters, digits, '-', '.', '_'; IPv6 inside brackets. */
static int
check_host(const char *s, size_t n, int bracketed)
{
	size_t i, colons = 0;
	uint8_t c;

	if (n == 0 || n > SIGV4_MAX_HOST)
		return SP_ERR_URL;
	for (i = 0; i < n; i++) {
		c = (uint8_t)s[i];
		if (bracketed) {
			if (c == ':')
				colons++;
			else if (hex_value(c) < 0 && c != '.')
				return SP_ERR_URL;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return SP_ERR_URL;
	}
	if (bracketed && colons < 2)
		return SP_ERR_URL;
	return 0;
}

int
sigv4_url_split(const char *url, struct sigv4_url **outp)
{
	struct sigv4_url *u = NULL;
	const char *s, *auth, *auth_end, *h, *h_end, *port_s = NULL, *q;
	size_t len, i, slen;
	uint32_t port = 0;
	char digits[21];
	struct buf b;
	int r = SP_ERR_URL, bracketed = 0;

	*outp = NULL;
	buf_init(&b, SIGV4_MAX_OUT);
	if (url == NULL || (len = strnlen(url, SIGV4_MAX_STR + 1)) >
	    SIGV4_MAX_STR)
		goto out;
	/* Visible ASCII only; no fragment, no characters RFC 3986 bans. */
	for (i = 0; i < len; i++) {
		if ((uint8_t)url[i] <= 0x20 || (uint8_t)url[i] >= 0x7f ||
		    strchr("#\"<>\\^`{|}", url[i]) != NULL)
			goto out;
	}
	if ((s = strstr(url, "://")) == NULL)
		goto out;
	slen = (size_t)(s - url);
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == slen &&
		    strncasecmp(url, schemes[i].name, slen) == 0)
			break;
	}
	if (i == sizeof(schemes) / sizeof(schemes[0]))
		goto out;
	memcpy(u->scheme, schemes[i].name, slen + 1);
	u->port = schemes[i].port;
	u->tls = schemes[i].tls;

	/* Authority: host[:port] up to the path or query. */
	auth = s + 3;
	auth_end = auth + strcspn(auth, "/?");
	if (memchr(auth, '@', (size_t)(auth_end - auth)) != NULL)
		goto out;
	if (auth < auth_end && *auth == '[') {
		bracketed = 1;
		h = auth + 1;
		if ((h_end = memchr(h, ']', (size_t)(auth_end - h))) == NULL)
			goto out;
		s = h_end + 1;
	} else {
		h = auth;
		if ((h_end = memchr(h, ':', (size_t)(auth_end - h))) == NULL)
			h_end = auth_end;
		s = h_end;
	}
	if ((r = check_host(h, (size_t)(h_end - h), bracketed)) != 0)
		goto out;
	r = SP_ERR_URL;
	if (s < auth_end) {
		if (*s != ':' || auth_end - s < 2 || auth_end - s > 6)
			goto out;
		port_s = s + 1;
		for (s = port_s; s < auth_end; s++) {
			if (*s < '0' || *s > '9')
				goto out;
			port = port * 10 + (uint32_t)(*s - '0');
		}
		if (port == 0 || port > 65535)
			goto out;
	}
	if ((r = dup_n(h, (size_t)(h_end - h), &u->host)) != 0)
		goto out;

	/* Host header: as in the URL, the port only if not the default. */
	if ((r = buf_put(&b, auth, (size_t)((bracketed ? h_end + 1 : h_end) -
	    auth))) != 0)
		goto out;
	if (port_s != NULL && port != u->port) {
		u->port = (uint16_t)port;
		fmt_u64(port, digits);
		if ((r = buf_put_u8(&b, ':')) != 0 ||
		    (r = buf_put_str(&b, digits)) != 0)
			goto out;
	}
	if ((r = take_str(&b, &u->host_header)) != 0)
		goto out;

	/* Path up to '?', then the query. */
	if ((q = strchr(auth_end, '?')) == NULL)
		q = url + len;
	if (!urlenc_escapes_valid(auth_end, (size_t)(url + len - auth_end))) {
		r = SP_ERR_URL;
		goto out;
	}
	if (q == auth_end)
		r = dup_n("/", 1, &u->path);
	else
		r = dup_n(auth_end, (size_t)(q - auth_end), &u->path);
	if (r != 0)
		goto out;
	if (*q == '?')
		q++;
	if ((r = dup_n(q, strlen(q), &u->query)) != 0)
		goto out;
	*outp = u;
	u = NULL;
	r = 0;
 out:
	sigv4_url_free(u);
	buf_release(&b);
	return r;
}

void
sigv4_url_free(struct sigv4_url *u)
{
	if (u == NULL)
		return;
	str_free(u->host);
	str_free(u->host_header);
	str_free(u->path);
	str_free(u->query);
	free(u);
}

int
sigv4_url_is_presigned(const char *url, int *presigned)
{
	struct sigv4_url *u = NULL;
	struct qparam *qp = NULL;
	size_t nqp = 0, i;
	int r;

	*presigned = 0;
	if ((r = sigv4_url_split(url, &u)) != 0)
		goto out;
	if ((r = qparams_parse(u->query, strlen(u->query), 0, &qp,
	    &nqp)) != 0) {
		/* Escapes were checked by the split; only ALLOC is left. */
		goto out;
	}
	for (i = 0; i < nqp; i++)
		if (is_signing_param(qp[i].k))
			*presigned = 1;
	r = 0;
 out:
	qparams_free(qp, nqp);
	sigv4_url_free(u);
	return r;
}

/* Sign or presign a GET of url with an empty body. */
static int
sign_url(const struct sigv4_creds *creds, const char *url,
    const struct sigv4_params *params, int presign,
    struct sigv4_result **outp)
{
	struct sigv4_url *u = NULL;
	struct sigv4_result *res = NULL;
	struct sigv4_request rq;
	struct buf b;
	int r;

	*outp = NULL;
	buf_init(&b, SIGV4_MAX_OUT);
	if ((r = sigv4_url_split(url, &u)) != 0)
		goto out;
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.host = u->host_header;
	rq.path = u->path;
	rq.query = u->query;
	if ((r = sign(creds, &rq, params, presign, &res)) != 0)
		goto out;
	if ((r = buf_put_str(&b, u->host_header)) != 0 ||
	    (r = take_str(&b, &res->host)) != 0)
		goto out;
	if (presign &&
	    ((r = buf_put_str(&b, u->scheme)) != 0 ||
	    (r = buf_put_str(&b, "://")) != 0 ||
	    (r = buf_put_str(&b, u->host_header)) != 0 ||
	    (r = buf_put_str(&b, u->path)) != 0 ||
	    (r = buf_put_u8(&b, '?')) != 0 ||
	    (r = buf_put_str(&b, res->query)) != 0 ||
	    (r = take_str(&b, &res->url)) != 0))
		goto out;
	*outp = res;
	res = NULL;
	r = 0;
 out:
	sigv4_result_free(res);
	sigv4_url_free(u);
	buf_release(&b);
	return r;
}

int
sigv4_sign_url(const struct sigv4_creds *creds, const char *url,
    const struct sigv4_params *params, struct sigv4_result **out)
{
	return sign_url(creds, url, params, 0, out);
}

int
sigv4_presign_url(const struct sigv4_creds *creds, const char *url,
    const struct sigv4_params *params, struct sigv4_result **out)
{
	return sign_url(creds, url, params, 1, out);
}
