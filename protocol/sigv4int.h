/*
 * What the files of the SigV4 signer share; not for use outside
 * protocol/sigv4*.c (the interface is sigv4.h).
 *
 *   sigv4.c		input checks, the signing steps, the two forms
 *   sigv4canon.c	canonical headers, query and URI
 *   sigv4url.c		splitting URLs and signing them
 */
#ifndef SP_SIGV4INT_H
#define SP_SIGV4INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "sigv4.h"

/* Cap on any string we build: 64 headers of 2 * 64 KiB each, and more. */
#define SIGV4_MAX_OUT		(16 * 1024 * 1024)
/* Signing parameters the query form adds; the caller may not pass them. */
#define SIGV4_N_SIGNING		7

/*
 * A header (lower-case name, normalised value) or a query parameter (key
 * and value canonically encoded), with its position as given.
 */
struct sigv4_kv {
	char	*k;
	char	*v;
	size_t	 order;
};

/* Wipe and free s; NULL is a no-op. */
void	sigv4_str_free(char *s);
/* Wipe and free kv[0..n) and kv itself; NULL is a no-op. */
void	sigv4_kvs_free(struct sigv4_kv *kv, size_t n);
/* Length of s if it is non-NULL and at most max bytes long, else error. */
int	sigv4_bounded_len(const char *s, size_t max, size_t *lenp) SP_WUR;
/* RFC 9110 tchar: may stand in a method or header name. */
int	sigv4_is_tchar(uint8_t c);
/* Move the contents of b into a new heap string; b is left empty. */
int	sigv4_take_str(struct buf *b, char **out) SP_WUR;

/*
 * Canonical headers ("name:v1,v2\n" per name, sorted) into *chp and the
 * signed header list into res->signed_headers: host, the caller's
 * headers and, in the header form, x-amz-date, the token (signed_token,
 * NULL if not signed) and x-amz-content-sha256 with SIGV4_SIGN_BODY.
 */
int	sigv4_canonical_headers(const struct sigv4_request *rq,
	    const struct sigv4_params *p, int presign,
	    const char *signed_token, struct sigv4_result *res,
	    char **chp) SP_WUR;

/*
 * Split a raw query at '&' and '=' into canonically encoded parameters.
 * Empty segments ("a&&b") are skipped; a key without '=' has an empty
 * value.  *kvp has room for extra more parameters; free with
 * sigv4_kvs_free(*kvp, *np).
 */
int	sigv4_query_parse(const char *q, size_t qlen, size_t extra,
	    struct sigv4_kv **kvp, size_t *np) SP_WUR;
/* Append the unencoded pair k=v to kv[*np], encoding both; tmp is scratch. */
int	sigv4_query_add(struct sigv4_kv *kv, size_t *np, struct buf *tmp,
	    const char *k, const char *v) SP_WUR;
/* 1 if an encoded key is one of the query form's own parameters. */
int	sigv4_is_signing_param(const char *encoded_key);
/* Append "k=v&k=v..." for kv[0..n) sorted by key, then value. */
int	sigv4_put_sorted_query(struct buf *b, const struct sigv4_kv *kv,
	    size_t n) SP_WUR;
/* Append "k=v" for one pair, after a '&' unless first. */
int	sigv4_put_pair(struct buf *b, const char *k, const char *v,
	    int first) SP_WUR;
/* Append the canonical URI of the n bytes of path (flags: SIGV4_*). */
int	sigv4_put_canonical_path(struct buf *out, const char *path, size_t n,
	    int flags) SP_WUR;

/* Both forms of sigv4.h; presign selects the query form. */
int	sigv4_sign(const struct sigv4_creds *c, const struct sigv4_request *rq,
	    const struct sigv4_params *p, int presign,
	    struct sigv4_result **outp) SP_WUR;

#endif /* SP_SIGV4INT_H */
