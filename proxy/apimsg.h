/*
 * SSM API message bodies, without I/O: the JSON request bodies of
 * StartSession, ResumeSession and TerminateSession, the parsers of their
 * responses, and the AWS JSON 1.1 error shape (proxy/aws/AWS-APIS.md
 * "Error responses", "StartSession", "ResumeSession", "TerminateSession").
 *
 * Everything here is pure (no clock, no environment, no logging), bounded
 * and safe on hostile input; tests/fuzz/fuzz_api_error.c and
 * tests/fuzz/fuzz_session_response.c drive the parsers.
 *
 * Text taken from a response for display (error codes and messages) is
 * made printable: control characters (C0, DEL and C1) become spaces, and
 * it is truncated at a UTF-8 character boundary.
 */
#ifndef SSM_APIMSG_H
#define SSM_APIMSG_H

#include <stddef.h>

#include "err.h"

#define APIMSG_MAX_CODE		128	/* error code kept, bytes */
#define APIMSG_MAX_MESSAGE	4096	/* error message kept, bytes */
/*
 * Caps on what the service returns.  They are safety caps, not the API
 * model's maxima, which the service does not keep to (TokenValues of 364
 * to 951 characters are published where the model says 300): a value is
 * taken whole up to its cap and refused beyond it, never truncated.
 * SessionId is <caller>-<hex>, and callers may be e-mail addresses.
 */
#define APIMSG_MAX_SESSION_ID	256	/* SessionId, printable ASCII */
#define APIMSG_MAX_TOKEN	16384	/* TokenValue, bytes */
#define APIMSG_MAX_URL		16384	/* StreamUrl, bytes */
#define APIMSG_MAX_TARGET	400	/* StartSession Target, 1..400 */
#define APIMSG_MAX_HOST		255	/* --via HOST: a DNS name's limit */

/* An AWS error as parsed from a JSON 1.1 error response. */
struct apimsg_error {
	char	code[APIMSG_MAX_CODE + 1];	/* "" when none was found */
	char	message[APIMSG_MAX_MESSAGE + 1];	/* "" when none */
};

/*
 * Extract the error code and message of an error response, as the Go SDK
 * does (proxy/aws/AWS-APIS.md "Error responses"): the code from errtype
 * (the X-Amzn-ErrorType header value, NULL when absent) if it is not
 * empty, else from the body's
 * "__type", else its "code"; then anything from the first ':' on is
 * dropped, and anything up to and including the first '#'.  The message
 * is the body's "message" (or "Message", any case).  A body that is not a
 * JSON object only loses its fields.  Fills *out either way; returns 0 if
 * a code was found, else SP_ERR_JSON_MISSING.  All inputs are borrowed.
 */
int	apimsg_error_parse(const char *errtype, const void *body, size_t len,
	    struct apimsg_error *out);

/* A session as StartSession and ResumeSession return it. */
struct apimsg_session {
	char	 session_id[APIMSG_MAX_SESSION_ID + 1];	/* "" if absent */
	char	*token;		/* heap, secret: never log; NULL if absent */
	int	 has_token;	/* 0: TokenValue absent or null */
	char	*stream_url;	/* heap; NULL if absent */
	/* On failure: the member at fault ("SessionId", ...) or NULL when
	 * the body as a whole is bad.  Static text. */
	const char *bad_field;
	/* On failure: what was wrong, to follow "StartSession returned ",
	 * e.g. "a TokenValue of 20000 bytes (limit 16384)". */
	char	 why[128];
};

/*
 * Parse a StartSession response: SessionId (1..APIMSG_MAX_SESSION_ID
 * bytes of printable ASCII), TokenValue (0..APIMSG_MAX_TOKEN bytes) and
 * StreamUrl (1..APIMSG_MAX_URL bytes, an absolute wss:// URL that
 * sigv4_url_split accepts) are all required strings without control
 * characters; other members are ignored.  *out is overwritten (clear a
 * previous one first).  Returns 0, or SP_ERR_JSON_* for a body that is not
 * a JSON object or lacks a member (null counts as absent), a member of the
 * wrong type, SP_ERR_STRING_LENGTH for a length out of range, SP_ERR_URL
 * for a StreamUrl that is not a wss URL, SP_ERR_PROTOCOL for control
 * characters (any byte outside printable ASCII in a SessionId); then
 * out->bad_field names the member, out->why says what was wrong, and the
 * SessionId, if it was good, is kept (the session exists: terminate it).
 * *out holds the token: free it with apimsg_session_clear() when done, on
 * failure too.
 */
int	apimsg_start_session_parse(const void *body, size_t len,
	    struct apimsg_session *out) SP_WUR;

/*
 * Parse a ResumeSession response.  As StartSession's, except that every
 * member is optional: a TokenValue that is absent or null leaves
 * has_token 0, which means the session cannot be resumed
 * (proxy/aws/AWS-APIS.md "ResumeSession"); members that are present are
 * checked alike.
 */
int	apimsg_resume_session_parse(const void *body, size_t len,
	    struct apimsg_session *out) SP_WUR;

/*
 * Parse a TerminateSession response {"SessionId":...}: the body must be a
 * JSON object; SessionId is optional ("" when absent) but checked when
 * present.  Returns as apimsg_start_session_parse.
 */
int	apimsg_terminate_session_parse(const void *body, size_t len,
	    struct apimsg_session *out) SP_WUR;

/* Wipe and free the strings of *s, and zero it.  NULL is a no-op. */
void	apimsg_session_clear(struct apimsg_session *s);

/*
 * StartSession body, members in this order and shape:
 *   {"Target":T,"DocumentName":D,"Parameters":{"portNumber":["P"]}}
 * document NULL leaves out DocumentName, port 0 leaves out Parameters.
 * target must be 1..400 bytes of valid UTF-8, port at most 65535.  On
 * success *out is a NUL-terminated string the caller frees.  Returns 0,
 * SP_ERR_INVALID_ARG or SP_ERR_ALLOC.
 */
int	apimsg_start_session_body(const char *target, const char *document,
	    unsigned int port, char **out) SP_WUR;
/*
 * As apimsg_start_session_body, with the remote host of
 * AWS-StartPortForwardingSessionToRemoteHost (--via) first among the
 * Parameters:
 *   {"Target":T,"DocumentName":D,"Parameters":{"host":["H"],
 *    "portNumber":["P"]}}
 * host NULL is apimsg_start_session_body; else it must pass
 * apimsg_host_valid() and port must not be 0.
 */
int	apimsg_start_session_body_host(const char *target,
	    const char *document, const char *host, unsigned int port,
	    char **out) SP_WUR;
/* 1 if host is 1..APIMSG_MAX_HOST bytes of UTF-8 without controls. */
int	apimsg_host_valid(const char *host);

/* 1 if s holds a C0 control character or DEL, else 0. */
int	apimsg_has_control(const char *s);

/* 1 if s is a SessionId we accept: 1..256 bytes of printable ASCII. */
int	apimsg_session_id_valid(const char *s);

/*
 * ResumeSession and TerminateSession body {"SessionId":S}, session_id
 * valid as above.  *out and returns as apimsg_start_session_body.
 */
int	apimsg_session_id_body(const char *session_id, char **out) SP_WUR;

#endif /* SSM_APIMSG_H */
