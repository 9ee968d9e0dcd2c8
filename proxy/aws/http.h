/*
 * A small blocking HTTP client (libcurl easy) for the credential sources
 * that run before the session starts or, bounded by short timeouts, when
 * credentials are refreshed: STS, the IAM Identity Center portal, IMDS
 * and container credentials; and for the fleet lookups (fleet.h), whose
 * large answers it can hand over as they arrive.  Nothing else waits
 * while it runs.
 *
 * TLS is always verified.  Headers may carry secrets (bearer tokens,
 * signatures): they never reach a log or a message.
 */
#ifndef SSM_HTTP_H
#define SSM_HTTP_H

#include <signal.h>
#include <stddef.h>

#include "errmsg.h"

#define HTTP_MAX_BODY		(256 * 1024)
#define HTTP_MAX_HEADERS	8

struct http_req {
	const char	*method;	/* "GET", "PUT", "POST" */
	const char	*url;
	const char	*headers[HTTP_MAX_HEADERS];	/* "Name: value" */
	size_t		 nheaders;
	const char	*body;		/* NULL: none */
	size_t		 body_len;
	const char	*ca_file;	/* NULL: system roots */
	const char	*proxy;		/* NULL or "": no proxy */
	long		 timeout_ms;	/* whole transfer and connect */
	/* Non-zero *cancel (a signal handler's flag) ends the transfer
	 * within about a second, with CFG_ERR_INTERRUPTED.  May be NULL. */
	const volatile sig_atomic_t *cancel;
	/*
	 * Streaming (NULL: the body is collected into resp->body): the body
	 * is handed to sink piece by piece as it arrives, resp->body stays
	 * NULL.  sink returns 0 to go on, or a negative code that ends the
	 * transfer; http_do then returns that code, with resp->status set
	 * and err naming the origin (for the caller to replace).
	 */
	int		(*sink)(void *arg, const void *data, size_t len);
	void		*sink_arg;
	size_t		 max_body;	/* body cap, bytes; 0: HTTP_MAX_BODY */
};

struct http_resp {
	long	 status;	/* 0: no HTTP answer */
	char	*body;		/* NUL-terminated, len bytes; wiped on free */
	size_t	 len;
};

/*
 * Perform req.  0 with resp filled (any status) or SP_ERR_TIMEOUT,
 * SP_ERR_PROTOCOL (no answer; err names the host, never the query),
 * SP_ERR_TOO_LARGE (over req->max_body), CFG_ERR_INTERRUPTED
 * (req->cancel), SP_ERR_ALLOC, or the code of req->sink.  Free resp with
 * http_resp_free.
 */
int	http_do(const struct http_req *req, struct http_resp *resp,
	    struct errmsg *err) SP_WUR;
void	http_resp_free(struct http_resp *resp);

/* The header lines of a SigV4 signature, kept while the request runs. */
struct http_signed {
	char	*auth;		/* "Authorization: ..." */
	char	*token;		/* "X-Amz-Security-Token: ..."; NULL: none */
	char	 date[64];	/* "X-Amz-Date: ..." */
};

/*
 * Add the lines of a header signature (its Authorization value, its
 * X-Amz-Date, and the session token when not NULL) to req's headers:
 * two or three more slots.  0, or SP_ERR_ALLOC (SP_ERR_TOO_LARGE when
 * the slots run out).  h holds the lines: wipe them with
 * http_signed_clear() after http_do(), on failure too.
 */
int	http_add_signed(struct http_req *req, const char *authorization,
	    const char *amz_date, const char *token, struct http_signed *h)
	    SP_WUR;
void	http_signed_clear(struct http_signed *h);
/* "scheme://host[:port]" of url in out (for messages). */
void	http_origin(const char *url, char *out, size_t outsz);
/*
 * 1 if url is http:// to a host that is not a loopback address (localhost,
 * *.localhost, 127.0.0.0/8, ::1): whatever is sent there crosses a network
 * in clear text.
 */
int	http_is_cleartext(const char *url);
/*
 * For an AWS endpoint that will get signed requests: when it is
 * http_is_cleartext(), one warning line at the default verbosity, once per
 * origin in the process.  The call is not refused (local stand-ins).
 */
void	http_warn_cleartext(const char *url);

#endif /* SSM_HTTP_H */
