/*
 * SigV4 canonical forms: the headers and signed header list, the query,
 * and the URI.  See sigv4int.h and sigv4.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sigv4int.h"
#include "urlenc.h"

static const char *const signing_params[SIGV4_N_SIGNING] = {
	"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
};

/* Headers only the signer may set (lower case). */
static const char *const own_headers[] = {
	"host", "authorization", "x-amz-date", "x-amz-security-token",
};

int
sigv4_is_tchar(uint8_t c)
{
	return urlenc_unreserved(c) || (c != '\0' &&
	    strchr("!#$%&'*+^`|", c) != NULL);
}

void
sigv4_kvs_free(struct sigv4_kv *kv, size_t n)
{
	size_t i;

	if (kv == NULL)
		return;
	for (i = 0; i < n; i++) {
		sigv4_str_free(kv[i].k);
		sigv4_str_free(kv[i].v);
	}
	free(kv);
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
		if (!sigv4_is_tchar(c))
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
hdr_add(struct sigv4_kv *hd, size_t *nhd, struct buf *tmp, const char *name,
    const char *value)
{
	struct sigv4_kv *h = &hd[*nhd];
	size_t nlen, vlen;
	int r;

	if ((r = sigv4_bounded_len(name, SIGV4_MAX_STR, &nlen)) != 0 ||
	    (r = sigv4_bounded_len(value, SIGV4_MAX_STR, &vlen)) != 0)
		return r;
	buf_reset(tmp);
	if ((r = put_header_name(tmp, name, nlen)) != 0 ||
	    (r = sigv4_take_str(tmp, &h->k)) != 0)
		return r;
	if ((r = put_header_value(tmp, value, vlen)) != 0 ||
	    (r = sigv4_take_str(tmp, &h->v)) != 0) {
		sigv4_str_free(h->k);
		h->k = NULL;
		return r;
	}
	h->order = (*nhd)++;
	return 0;
}

/* By name, then in the order given. */
static int
hdr_cmp(const void *a, const void *b)
{
	const struct sigv4_kv *x = a, *y = b;
	int c;

	if ((c = strcmp(x->k, y->k)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Canonical headers ("name:v1,v2\n" per name, sorted) into ch, and the
 * signed header list ("a;b") into sh.  Sorts hd in place.
 */
static int
hdrs_canonical(struct sigv4_kv *hd, size_t n, struct buf *ch, struct buf *sh)
{
	size_t i;
	int r;

	qsort(hd, n, sizeof(*hd), hdr_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(hd[i].k, hd[i - 1].k) == 0) {
			if ((r = buf_put_u8(ch, ',')) != 0 ||
			    (r = buf_put_str(ch, hd[i].v)) != 0)
				return r;
			continue;
		}
		if (i > 0 && ((r = buf_put_u8(ch, '\n')) != 0 ||
		    (r = buf_put_u8(sh, ';')) != 0))
			return r;
		if ((r = buf_putf(ch, "%s:%s", hd[i].k, hd[i].v)) != 0 ||
		    (r = buf_put_str(sh, hd[i].k)) != 0)
			return r;
	}
	return buf_put_u8(ch, '\n');
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

int
sigv4_canonical_headers(const struct sigv4_request *rq,
    const struct sigv4_params *p, int presign, const char *signed_token,
    struct sigv4_result *res, char **chp)
{
	struct sigv4_kv *hd = NULL;
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
		    (r = check_own_header(hd[nhd - 1].k, p->flags)) != 0)
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
	    (r = sigv4_take_str(&sh, &res->signed_headers)) != 0 ||
	    (r = sigv4_take_str(&ch, chp)) != 0)
		goto out;
	r = 0;
 out:
	sigv4_kvs_free(hd, nhd);
	buf_release(&ch);
	buf_release(&sh);
	buf_release(&tmp);
	return r;
}

int
sigv4_query_parse(const char *q, size_t qlen, size_t extra,
    struct sigv4_kv **kvp, size_t *np)
{
	struct sigv4_kv *kv = NULL;
	struct buf tmp;
	const char *s, *e, *eq, *end = q + qlen;
	size_t cap = 1 + extra, n = 0, i;
	int r = SP_ERR_INTERNAL;

	*kvp = NULL;
	*np = 0;
	buf_init(&tmp, SIGV4_MAX_OUT);
	for (i = 0; i < qlen; i++)
		if (q[i] == '&')
			cap++;
	if ((kv = calloc(cap, sizeof(*kv))) == NULL) {
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
		    (r = sigv4_take_str(&tmp, &kv[n].k)) != 0)
			goto out;
		kv[n].order = n;
		n++;	/* sigv4_kvs_free frees a half-built entry too */
		if (eq < e && (r = urlenc_put_requoted(&tmp, eq + 1,
		    (size_t)(e - eq - 1))) != 0)
			goto out;
		if ((r = sigv4_take_str(&tmp, &kv[n - 1].v)) != 0)
			goto out;
	}
	*kvp = kv;
	*np = n;
	kv = NULL;
	r = 0;
 out:
	sigv4_kvs_free(kv, n);
	buf_release(&tmp);
	return r;
}

/* Append s percent-encoded, then move everything into *out. */
static int
take_encoded(struct buf *b, const char *s, char **out)
{
	int r;

	if ((r = urlenc_put(b, s, strlen(s), 0)) != 0)
		return r;
	return sigv4_take_str(b, out);
}

int
sigv4_query_add(struct sigv4_kv *kv, size_t *np, struct buf *tmp,
    const char *k, const char *v)
{
	int r;

	buf_reset(tmp);
	if ((r = take_encoded(tmp, k, &kv[*np].k)) != 0)
		return r;
	if ((r = take_encoded(tmp, v, &kv[*np].v)) != 0) {
		sigv4_str_free(kv[*np].k);
		kv[*np].k = NULL;
		return r;
	}
	kv[*np].order = *np;
	(*np)++;
	return 0;
}

int
sigv4_is_signing_param(const char *encoded_key)
{
	size_t i;

	/* Signing names are unreserved, so encoding leaves them as is. */
	for (i = 0; i < SIGV4_N_SIGNING; i++)
		if (strcasecmp(encoded_key, signing_params[i]) == 0)
			return 1;
	return 0;
}

int
sigv4_put_pair(struct buf *b, const char *k, const char *v, int first)
{
	return buf_putf(b, "%s%s=%s", first ? "" : "&", k, v);
}

/* By key, then by value (pointers to entries). */
static int
query_cmp(const void *a, const void *b)
{
	const struct sigv4_kv *const *x = a, *const *y = b;
	int c;

	if ((c = strcmp((*x)->k, (*y)->k)) != 0)
		return c;
	return strcmp((*x)->v, (*y)->v);
}

int
sigv4_put_sorted_query(struct buf *b, const struct sigv4_kv *kv, size_t n)
{
	const struct sigv4_kv **sorted;
	size_t i;
	int r = 0;

	if ((sorted = calloc(n + 1, sizeof(*sorted))) == NULL)
		return SP_ERR_ALLOC;
	for (i = 0; i < n; i++)
		sorted[i] = &kv[i];
	qsort(sorted, n, sizeof(*sorted), query_cmp);
	for (i = 0; i < n && r == 0; i++)
		r = sigv4_put_pair(b, sorted[i]->k, sorted[i]->v, i == 0);
	free(sorted);
	return r;
}

/*
 * Remove dot segments and empty segments (RFC 3986 5.2.4 plus collapsing
 * "//", as the AWS suite's "normalize" does) from path into norm.
 */
static int
put_normalized_path(struct buf *norm, const char *path, size_t n)
{
	const char *s, *e, *end = path + n;
	const uint8_t *p;
	size_t len;
	int r, trailing = 0;

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
			p = buf_ptr(norm);
			len = buf_len(norm);
			while (len > 0 && p[len - 1] != '/')
				len--;
			if (len > 0 && (r = buf_consume_end(norm,
			    buf_len(norm) - len + 1)) != 0)
				return r;
			continue;
		}
		if ((r = buf_put_u8(norm, '/')) != 0 ||
		    (r = buf_put(norm, s, len)) != 0)
			return r;
	}
	if (n > 0 && path[n - 1] == '/')
		trailing = 1;
	if ((buf_len(norm) == 0 || trailing) &&
	    (r = buf_put_u8(norm, '/')) != 0)
		return r;
	return 0;
}

/*
 * Canonical URI: optionally normalized (above), then optionally
 * percent-encoded but for unreserved bytes and '/' (which double-encodes
 * escapes the caller already made, as AWS expects for every service but
 * S3).
 */
int
sigv4_put_canonical_path(struct buf *out, const char *path, size_t n,
    int flags)
{
	struct buf norm;
	int r;

	buf_init(&norm, SIGV4_MAX_OUT);
	if (!(flags & SIGV4_NO_NORMALIZE))
		r = put_normalized_path(&norm, path, n);
	else if (n == 0)
		r = buf_put(&norm, "/", 1);
	else
		r = buf_put(&norm, path, n);
	if (r != 0)
		goto out;
	if (flags & SIGV4_NO_PATH_ENCODE)
		r = buf_put(out, buf_ptr(&norm), buf_len(&norm));
	else
		r = urlenc_put(out, buf_ptr(&norm), buf_len(&norm),
		    URLENC_KEEP_SLASH);
 out:
	buf_release(&norm);
	return r;
}
