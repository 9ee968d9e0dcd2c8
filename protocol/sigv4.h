/*
 * AWS Signature Version 4 (AWS4-HMAC-SHA256) as pure functions.
 *
 * Nothing here reads a clock, the environment or a file: the caller passes
 * the credentials, the request and the signing time (epoch seconds, UTC)
 * and gets back every intermediate product of the algorithm, so that each
 * step can be compared with the AWS test suite (tests/vectors/sigv4/).
 *
 * Two forms share one implementation and differ only in where the signing
 * parameters go:
 *
 *   header form (sigv4_sign_header): the caller sends X-Amz-Date, the
 *	result's authorization as the Authorization header and, with
 *	temporary credentials, X-Amz-Security-Token: <session_token>.
 *	With SIGV4_SIGN_BODY it also sends x-amz-content-sha256:
 *	<payload_hash>.  Extra headers are sent exactly as passed.
 *
 *   query form (sigv4_presign): the caller sends the request with the
 *	result's query after '?' and no signing headers.
 *
 * Ownership: every input is borrowed and only read during the call.
 * Results are allocated by the signer and owned by the caller, who frees
 * them with sigv4_result_free() (or sigv4_url_free() for a split URL).
 * The secret key is used only to derive the signing key; derived keys are
 * wiped before return.  The session token appears only where AWS wants it:
 * the token header or X-Amz-Security-Token parameter, which is signed
 * (so it is in the canonical request) unless SIGV4_TOKEN_UNSIGNED is set.
 *
 * Limits: every input string is at most SIGV4_MAX_STR bytes, the query at
 * most SIGV4_MAX_QUERY bytes, at most SIGV4_MAX_HEADERS extra headers;
 * anything larger, or malformed, fails with SP_ERR_INVALID_ARG (URLs with
 * SP_ERR_URL, times outside years 1970..9999 with SP_ERR_TIME).
 */
#ifndef SP_SIGV4_H
#define SP_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD	"UNSIGNED-PAYLOAD"

#define SIGV4_MAX_HEADERS	64
#define SIGV4_MAX_STR		65536	/* any one input string, bytes */
#define SIGV4_MAX_QUERY		65536	/* raw query string, bytes */
#define SIGV4_MAX_EXPIRES	604800	/* X-Amz-Expires upper bound, 7 days */
#define SIGV4_HEX_LEN		64	/* hex SHA-256 and signature */
#define SIGV4_DATE_LEN		16	/* "YYYYMMDDTHHMMSSZ" */
#define SIGV4_HASH_MAX		64	/* explicit payload hash, chars */

/* Flags for struct sigv4_params. */
#define SIGV4_NO_NORMALIZE	0x01	/* keep ".", ".." and "//" (S3) */
#define SIGV4_NO_PATH_ENCODE	0x02	/* path is encoded once only (S3) */
#define SIGV4_SIGN_BODY		0x04	/* header form: add and sign
					   x-amz-content-sha256 */
#define SIGV4_TOKEN_UNSIGNED	0x08	/* send the token but leave it out
					   of the signature (a few services) */

struct sigv4_creds {
	const char	*access_key_id;
	const char	*secret_key;
	const char	*session_token;	/* NULL or "" without one */
};

/* One extra header to sign; the name is case-insensitive. */
struct sigv4_header {
	const char	*name;
	const char	*value;
};

struct sigv4_request {
	const char	*method;	/* "GET", "POST", ... */
	const char	*host;		/* Host header as sent, maybe :port */
	const char	*path;		/* as on the request line; "" is "/" */
	/*
	 * Raw query after '?', NULL or "" if none.  Keys and values are
	 * percent-decoded and encoded again by the RFC 3986 rule, so either
	 * form may be passed; '+' is a literal plus (%2B), not a space.  A
	 * '%' without two hex digits is refused.
	 */
	const char	*query;
	/*
	 * Extra headers to sign, in order.  Names are case-insensitive and
	 * repeated names are joined with ',' in order; values are trimmed and
	 * inner white space runs (including folded lines, CRLF or LF then
	 * space or tab) become one space.  host, authorization, x-amz-date and
	 * x-amz-security-token are the signer's own and refused here, as is
	 * x-amz-content-sha256 with SIGV4_SIGN_BODY.
	 */
	const struct sigv4_header *headers;
	size_t		 nheaders;
	const void	*body;		/* may be NULL when body_len is 0 */
	size_t		 body_len;
	/*
	 * NULL: the payload hash is the hex SHA-256 of the body.  Otherwise
	 * used as given, e.g. SIGV4_UNSIGNED_PAYLOAD (at most SIGV4_HASH_MAX
	 * printable characters).
	 */
	const char	*payload_hash;
};

struct sigv4_params {
	const char	*region;	/* e.g. "us-east-1" */
	const char	*service;	/* signing name, e.g. "ssm" */
	int64_t		 time;		/* signing time, epoch seconds UTC */
	uint32_t	 expires;	/* query form: X-Amz-Expires, seconds */
	int		 flags;		/* SIGV4_* flags; 0 for most services */
};

/* What a signing call returns; free with sigv4_result_free(). */
struct sigv4_result {
	char	*canonical_request;
	char	*string_to_sign;
	char	*signed_headers;	/* "host;x-amz-date" */
	char	 signature[SIGV4_HEX_LEN + 1];	/* lower-case hex */
	char	 amz_date[SIGV4_DATE_LEN + 1];	/* X-Amz-Date value */
	char	 payload_hash[SIGV4_HASH_MAX + 1];
	char	*authorization;	/* header form: Authorization value */
	char	*query;		/* query form: the query to send after '?' */
	char	*host;		/* URL forms: the Host header value signed */
	char	*url;		/* sigv4_presign_url: the full presigned URL */
};

/* A split absolute URL; free with sigv4_url_free(). */
struct sigv4_url {
	char		 scheme[8];	/* lower case: https, wss, http, ws */
	char		*host;		/* name or address, no brackets; for
					   connect() and TLS SNI */
	uint16_t	 port;		/* explicit, or the scheme's default */
	int		 tls;		/* 1 for https and wss */
	char		*host_header;	/* as in the URL (brackets kept), with
					   ":port" unless the scheme default */
	char		*path;		/* raw, "/" when the URL has none */
	char		*query;		/* raw, after '?'; "" when none */
};

/*
 * Sign req in the header form.  On success *out holds the canonical
 * request, string to sign, signature, X-Amz-Date value and Authorization
 * value; the caller frees it with sigv4_result_free().  Returns 0 or a
 * negative SP_ERR_* code (*out is then NULL).
 */
int	sigv4_sign_header(const struct sigv4_creds *creds,
	    const struct sigv4_request *req, const struct sigv4_params *params,
	    struct sigv4_result **out) SP_WUR;

/*
 * Presign req (query form) for params->expires seconds (1 to
 * SIGV4_MAX_EXPIRES).  result->query is the caller's parameters first, in
 * their order and canonically re-encoded, then X-Amz-Algorithm,
 * X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
 * X-Amz-Security-Token (with a token) and X-Amz-Signature last.  A query
 * that already holds a signing parameter is refused.  SIGV4_SIGN_BODY is
 * ignored here.  Returns and frees as sigv4_sign_header().
 */
int	sigv4_presign(const struct sigv4_creds *creds,
	    const struct sigv4_request *req, const struct sigv4_params *params,
	    struct sigv4_result **out) SP_WUR;

/*
 * Split an absolute "scheme://host[:port][/path][?query]" URL, scheme one
 * of https, wss, http, ws (any case).  Refuses (SP_ERR_URL) user info,
 * fragments, empty or invalid hosts, bad ports, bad percent escapes,
 * spaces, control and non-ASCII bytes, and URLs over SIGV4_MAX_STR bytes.
 * On success *out is the caller's; free it with sigv4_url_free().
 */
int	sigv4_url_split(const char *url, struct sigv4_url **out) SP_WUR;

/* Free a split URL; NULL is a no-op. */
void	sigv4_url_free(struct sigv4_url *u);

/*
 * Set *presigned to 1 if the query of url holds any of X-Amz-Algorithm,
 * X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
 * X-Amz-Signature or X-Amz-Security-Token (names compared after
 * percent-decoding, ignoring case), else to 0.  Returns 0, or SP_ERR_URL
 * for a malformed url (*presigned is then 0).
 */
int	sigv4_url_is_presigned(const char *url, int *presigned) SP_WUR;

/*
 * Header-sign a GET of url with an empty body (the signed websocket
 * upgrade, PROTOCOL.md "Signed upgrade").  result->host is the Host
 * header value that was signed and must be sent; the path and query go
 * on the request line exactly as in url.  A presigned url is signed too:
 * ask sigv4_url_is_presigned() first, as such a URL must be sent without
 * signing headers.  Returns and frees as sigv4_sign_header(); a malformed
 * url gives SP_ERR_URL.
 */
int	sigv4_sign_url(const struct sigv4_creds *creds, const char *url,
	    const struct sigv4_params *params,
	    struct sigv4_result **out) SP_WUR;

/*
 * Presign a GET of url with an empty body, as sigv4_presign() does; in
 * addition result->url is the complete URL to use (scheme, host, port
 * and path of url, then result->query).  Returns and frees as
 * sigv4_sign_header(); a malformed url gives SP_ERR_URL.
 */
int	sigv4_presign_url(const struct sigv4_creds *creds, const char *url,
	    const struct sigv4_params *params,
	    struct sigv4_result **out) SP_WUR;

/* Wipe and free a result; NULL is a no-op. */
void	sigv4_result_free(struct sigv4_result *res);

/*
 * Format t (epoch seconds, UTC) as "YYYYMMDDTHHMMSSZ" into out.
 * Returns 0, or SP_ERR_TIME outside 1970-01-01 .. 9999-12-31.
 */
int	sigv4_amz_date(int64_t t, char out[SIGV4_DATE_LEN + 1]) SP_WUR;

#endif /* SP_SIGV4_H */
