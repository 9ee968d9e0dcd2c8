/*
 * Inside the AWS JSON 1.1 client (api.h), shared by its three files:
 * api.c (clients, calls, signing, delivery), apicurl.c (libcurl's multi
 * interface on proxy/loop) and apiresult.c (what a finished attempt
 * means: retry, clock skew, the line for the user).  Not for other users.
 */
#ifndef SSM_APIINT_H
#define SSM_APIINT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <openssl/x509.h>

#include "api.h"
#include "buf.h"

struct api_sock {
	LIST_ENTRY(api_sock)	 entry;
	struct api		*api;
	struct loop_watch	*w;
	curl_socket_t		 fd;
	int			 hup;	/* the loop dropped the watch */
};

struct api_call {
	LIST_ENTRY(api_call)	 entry;
	struct api		*api;
	CURL			*easy;
	struct curl_slist	*headers;	/* signed: wiped when freed */
	char			*endpoint;	/* as given, for messages */
	char			*url;		/* what curl requests */
	char			*host;		/* Host header, as signed */
	char			*path;
	char			*region;
	char			*service;
	char			*target;
	char			*op;		/* into target */
	char			*body;
	size_t			 body_len;
	char			*akid;
	char			*secret;
	char			*token;		/* NULL without one */
	struct buf		 resp;
	int			 too_large;
	int			 active;	/* added to the multi handle */
	int			 delivering;	/* callback running */
	unsigned int		 tries;		/* attempts counted */
	unsigned int		 sent;		/* requests, skew retry too */
	unsigned int		 throttled;	/* counted tries throttled */
	int			 skew_retried;
	int			 skew_pending;	/* next send is not counted */
	struct loop_timer	 retry;
	uint64_t		 t0;		/* this attempt's start */
	uint64_t		 first;		/* the first attempt's */
	char			 errbuf[CURL_ERROR_SIZE];
	api_done_cb		 cb;
	void			*arg;
};

struct api {
	struct loop		*loop;
	CURLM			*multi;
	struct loop_timer	 timer;		/* curl's timeout */
	X509_STORE		*ca;		/* trust anchors, a reference */
	char			*proxy;
	unsigned int		 connect_ms;
	unsigned int		 timeout_ms;
	unsigned int		 max_attempts;
	unsigned int		 retry_base_ms;
	unsigned int		 throttle_ms;
	int64_t			 clock_offset;
	int			 busy;		/* callbacks may be running */
	int			 dying;		/* api_free while busy */
	int			 global;	/* curl_global_init done */
	LIST_HEAD(, api_call)	 calls;
	LIST_HEAD(, api_sock)	 socks;
};

/* api.c */
void	api_destroy(struct api *a);
void	api_call_destroy(struct api_call *c);
/* Run the callback with res, then free the call. */
void	api_deliver(struct api_call *c, struct api_result *res);
/* Loop timer: send the call again (signed anew). */
void	api_retry_fire(void *arg);

/* apicurl.c */
/* Hook the multi handle to the loop: NULL, or what went wrong. */
const char *api_multi_init(struct api *a);
/* The easy handle of a call, every option set: 0 or SP_ERR_*. */
int	api_call_setup(struct api_call *c);
void	api_sock_free(struct api_sock *s);
/* Collect the transfers curl has finished. */
void	api_check_done(struct api *a);

/* apiresult.c */
/* One attempt is over (curl's code cc): retry it, or deliver. */
void	api_call_finished(struct api_call *c, CURLcode cc);
/* Copy header or curl text for a log or a message: printable ASCII. */
void	api_printable(char *dst, size_t dstsz, const char *src, size_t n);

#endif /* SSM_APIINT_H */
