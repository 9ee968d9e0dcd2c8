/*
 * SSM API message bodies, without I/O: the JSON request bodies of
 * StartSession, ResumeSession and TerminateSession, the parsers of their
 * responses, and the AWS JSON 1.1 error shape (aws-apis.md 1.5, 3).
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
#define APIMSG_MAX_MESSAGE	1024	/* error message kept, bytes */
#define APIMSG_MAX_SESSION_ID	96	/* SessionId, 1..96 */
#define APIMSG_MAX_TOKEN	300	/* TokenValue, 0..300 */
#define APIMSG_MAX_URL		4096	/* StreamUrl */
#define APIMSG_MAX_TARGET	400	/* StartSession Target, 1..400 */

/* An AWS error as parsed from a JSON 1.1 error response. */
struct apimsg_error {
	char	code[APIMSG_MAX_CODE + 1];	/* "" when none was found */
	char	message[APIMSG_MAX_MESSAGE + 1];	/* "" when none */
};

/*
 * Extract the error code and message of an error response, as the Go SDK
 * does (aws-apis.md 1.5): the code from errtype (the X-Amzn-ErrorType
 * header value, NULL when absent) if it is not empty, else from the body's
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
	char	session_id[APIMSG_MAX_SESSION_ID + 1];	/* "" if absent */
	char	token[APIMSG_MAX_TOKEN + 1];	/* secret: never log */
	int	has_token;	/* 0: TokenValue absent or null */
	char	stream_url[APIMSG_MAX_URL + 1];	/* "" if absent */
	/* On failure: the member at fault ("SessionId", ...) or NULL when
	 * the body as a whole is bad.  Static text. */
	const char *bad_field;
};

/*
 * Parse a StartSession response: SessionId (1..96 characters), TokenValue
 * (0..300) and StreamUrl (an absolute wss:// URL that sigv4_url_split
 * accepts) are all required strings without control characters; other
 * members are ignored.  Returns 0, or SP_ERR_JSON_* for a body that is not
 * a JSON object or lacks a member (null counts as absent), a member of the
 * wrong type, SP_ERR_STRING_LENGTH for a length out of range, SP_ERR_URL
 * for a StreamUrl that is not a wss URL, SP_ERR_PROTOCOL for control
 * characters; out->bad_field then names the member.  *out holds the token:
 * wipe it with apimsg_session_clear() when done, on failure too.
 */
int	apimsg_start_session_parse(const void *body, size_t len,
	    struct apimsg_session *out) SP_WUR;

/*
 * Parse a ResumeSession response.  As StartSession's, except that every
 * member is optional: a TokenValue that is absent or null leaves
 * has_token 0, which means the session cannot be resumed (spec
 * ssm-data-channel.md 2.2); members that are present are checked alike.
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

/* Wipe *s (it holds the token).  NULL is a no-op. */
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
 * ResumeSession and TerminateSession body {"SessionId":S}, session_id
 * 1..96 bytes.  *out and returns as apimsg_start_session_body.
 */
int	apimsg_session_id_body(const char *session_id, char **out) SP_WUR;

#endif /* SSM_APIMSG_H */
