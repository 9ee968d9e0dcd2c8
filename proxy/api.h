/*
 * A small non-blocking AWS JSON 1.1 client (proxy/aws/AWS-APIS.md
 * "Request mechanics"): libcurl's multi interface driven by proxy/loop,
 * SigV4 from protocol/sigv4, the SDKs' standard retry mode with loop
 * timers (throttling excepted: see API_THROTTLE_MS), and one clear line
 * for the user when a call fails.  Several
 * calls may be in flight at once.  api.c holds the clients and calls,
 * apicurl.c the libcurl plumbing, apiresult.c what an answer means.
 *
 * Every call is POST <endpoint base path>/ with Content-Type
 * application/x-amz-json-1.1 and X-Amz-Target, signed in the header form
 * over host, content-type, x-amz-date, x-amz-target and, with temporary
 * credentials, x-amz-security-token.  The signing time is the real clock
 * (plus the client's clock-skew correction) when each attempt is built.
 *
 * TLS is always verified.  No proxy, CA or NO_PROXY setting is read from
 * the environment here: the caller decides them and passes them in.
 * Credentials, tokens and signed headers never reach a log or a message.
 */
#ifndef SSM_API_H
#define SSM_API_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "loop.h"
#include "sigv4.h"

#define API_MAX_BODY		(1024 * 1024)	/* response bodies, bytes */
#define API_DEFAULT_ATTEMPTS	3
#define API_DEFAULT_CONNECT_MS	10000
#define API_DEFAULT_TIMEOUT_MS	30000
#define API_DEFAULT_RETRY_MS	1000	/* backoff base */
#define API_MAX_RETRY_MS	20000	/* backoff cap (standard mode) */
#define API_SKEW_MIN		60	/* Date this far off (s) is skew */
/*
 * A throttled call (HTTP 429 or a throttling code) is retried with the
 * same full-jitter backoff for as long as API_THROTTLE_MS after its first
 * attempt, however many attempts that takes: max_attempts bounds only
 * the other retryable failures.  Throttling means many clients share one
 * rate limit; a count of 3 fails them all in a burst whose tokens come
 * back within seconds, while a bound in time keeps the promise "a
 * session starts or fails within a minute".  max_attempts 1 still means
 * no retry at all.
 */
#define API_THROTTLE_MS		60000

struct api;
struct api_call;

/* Shared by every call of a client; strings are copied by api_new. */
struct api_options {
	const char	*ca_file;	/* PEM trust anchors; NULL: system's */
	const char	*proxy;		/* "http://host:port"; NULL or "": none */
	unsigned int	 connect_timeout_ms;	/* 0: API_DEFAULT_CONNECT_MS */
	unsigned int	 timeout_ms;	/* per attempt; 0: API_DEFAULT_... */
	unsigned int	 max_attempts;	/* total, first included; 0: 3 */
	unsigned int	 retry_base_ms;	/* 0: API_DEFAULT_RETRY_MS */
	unsigned int	 throttle_ms;	/* 0: API_THROTTLE_MS */
};

/* One call; every string is borrowed and copied by api_call. */
struct api_request {
	/* "https://host[:port][/base]", no query: the request goes to
	 * base + "/".  http:// is allowed for tests and local stand-ins. */
	const char	*endpoint;
	const char	*region;	/* signing region */
	const char	*service;	/* signing name, e.g. "ssm" */
	const char	*target;	/* X-Amz-Target, "AmazonSSM.StartSession" */
	const char	*body;		/* JSON text, NUL-terminated */
	const struct sigv4_creds *creds;
};

/*
 * What a finished call gives its callback.  Everything is borrowed and
 * valid only during the callback; strings are never NULL.
 */
struct api_result {
	int		 ok;		/* 2xx with the whole body */
	const char	*operation;	/* "StartSession": target after '.' */
	long		 status;	/* HTTP status; 0 without a response */
	int		 transport;	/* 1: no HTTP answer (curl's error) */
	const char	*body;		/* NUL-terminated; body_len bytes */
	size_t		 body_len;
	const char	*request_id;	/* x-amzn-RequestId, "" if none */
	const char	*error_code;	/* AWS error code, "" if none */
	const char	*error_message;	/* AWS error message, "" if none */
	/*
	 * When !ok, one printable line for the user, e.g.
	 * "StartSession failed: TargetNotConnected: i-0123 is not connected."
	 * or "cannot reach https://...: SSL certificate problem: ...";
	 * " (after N attempts)" is added when retries ran out.  "" when ok.
	 */
	const char	*message;
	int		 attempts;	/* requests sent, skew retry included */
};

/*
 * Called once per call from the loop, never from inside api_call().  The
 * callback may start and cancel other calls and may free the client with
 * api_free(); the call itself is freed when it returns.
 */
typedef void (*api_done_cb)(void *arg, const struct api_result *res);

/*
 * New client on loop l with options o (NULL: all defaults; o is not kept).
 * NULL with *errmsg set (static text) on failure.
 * Free with api_free().
 */
struct api *api_new(struct loop *l, const struct api_options *o,
	    const char **errmsg);

/*
 * Cancel every call in flight (no callbacks), close connections and free
 * the client.  Safe inside a completion callback.  NULL is a no-op.
 */
void	api_free(struct api *a);

/*
 * Start a call; cb(arg, result) runs when it has finished, retries
 * included.  On success *callp (if callp is not NULL) is a handle for
 * api_cancel(), valid until the callback returns.  Returns 0, or
 * SP_ERR_URL for a malformed endpoint, SP_ERR_INVALID_ARG for a missing
 * field or one the signer refuses, SP_ERR_ALLOC; no callback then.
 */
int	api_call(struct api *a, const struct api_request *req,
	    api_done_cb cb, void *arg, struct api_call **callp) SP_WUR;

/*
 * Abandon a call: no callback will come.  Not for the call whose callback
 * is running (ignored there).  NULL is a no-op.
 */
void	api_cancel(struct api_call *c);

/*
 * Seconds added to the real clock when signing.  A call that fails with a
 * "Signature expired" style error whose response Date is at least
 * API_SKEW_MIN seconds off sets it to the difference and is re-signed and
 * sent once more (proxy/aws/AWS-APIS.md "SigV4").  Other signers (the
 * websocket) should use it too.
 */
int64_t	api_clock_offset(const struct api *a);
void	api_set_clock_offset(struct api *a, int64_t offset);

#endif /* SSM_API_H */
