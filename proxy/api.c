/*
 * AWS JSON 1.1 calls on libcurl's multi interface, driven by proxy/loop;
 * see api.h.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to wake it (CURLMOPT_TIMERFUNCTION); we watch them with loop watches and
 * one loop timer, call curl_multi_socket_action from those callbacks only
 * (never from inside a curl callback), then collect finished transfers
 * with curl_multi_info_read.  Each socket's state hangs off curl's socket
 * hash (curl_multi_assign), not off the descriptor number, because curl
 * reuses numbers as soon as it has closed a socket while the loop may
 * still hold the duplicate of the old one for a pass (loop.h).
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "api.h"
#include "apimsg.h"
#include "backoff.h"
#include "buf.h"
#include "castore.h"
#include "log.h"
#include "trace.h"
#include "version.h"

#define API_CONTENT_TYPE	"application/x-amz-json-1.1"
#define API_USER_AGENT		"ssm-proxy/" SSM_PROXY_VERSION
#define API_MAX_LINE		(APIMSG_MAX_MESSAGE + 1024)

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
	int			 skew_retried;
	int			 skew_pending;	/* next send is not counted */
	struct loop_timer	 retry;
	uint64_t		 t0;
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
	int64_t			 clock_offset;
	int			 busy;		/* callbacks may be running */
	int			 dying;		/* api_free while busy */
	int			 global;	/* curl_global_init done */
	LIST_HEAD(, api_call)	 calls;
	LIST_HEAD(, api_sock)	 socks;
};

static void	check_done(struct api *);

/* Free a string that may hold a secret. */
static void
freestr(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Copy header or curl text for a log or a message: printable ASCII. */
static void
printable(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < dstsz; i++) {
		if ((src[i] == '\n' || src[i] == '\r') && i + 1 >= n)
			break;
		dst[o++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	}
	dst[o] = '\0';
}

static void
sock_free(struct api_sock *s)
{
	LIST_REMOVE(s, entry);
	loop_watch_free(s->w);
	free(s);
}

static void
on_sock(void *arg, int fd, int ev)
{
	struct api_sock *s = arg;
	struct api *a = s->api;
	CURLMcode mc;
	int flags = 0, running;

	if (ev & LOOP_HUP) {
		s->hup = 1;
		flags |= CURL_CSELECT_ERR;
	}
	if (ev & LOOP_IN)
		flags |= CURL_CSELECT_IN;
	if (ev & LOOP_OUT)
		flags |= CURL_CSELECT_OUT;
	/* s may be freed from here on (CURL_POLL_REMOVE). */
	if ((mc = curl_multi_socket_action(a->multi, fd, flags,
	    &running)) != CURLM_OK)
		debug("curl_multi_socket_action: %s", curl_multi_strerror(mc));
	check_done(a);
}

/* CURLMOPT_SOCKETFUNCTION: curl says what to watch on socket fd. */
static int
sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct api *a = arg;
	struct api_sock *s = sockp;
	int ev = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_free(s);
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->api = a;
		s->fd = fd;
		LIST_INSERT_HEAD(&a->socks, s, entry);
		if (curl_multi_assign(a->multi, fd, s) != CURLM_OK) {
			sock_free(s);
			return -1;
		}
	}
	if (s->w == NULL || s->hup) {
		/* New, or the loop gave up on the old watch. */
		loop_watch_free(s->w);
		s->hup = 0;
		if ((s->w = loop_watch_new(a->loop, fd, on_sock, s)) == NULL) {
			log_error("cannot watch a socket of libcurl");
			return -1;
		}
	}
	if (what & CURL_POLL_IN)
		ev |= LOOP_IN;
	if (what & CURL_POLL_OUT)
		ev |= LOOP_OUT;
	loop_watch_set(s->w, ev);
	return 0;
}

static void
on_timer(void *arg)
{
	struct api *a = arg;
	CURLMcode mc;
	int running;

	if ((mc = curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running)) != CURLM_OK)
		debug("curl_multi_socket_action: %s", curl_multi_strerror(mc));
	check_done(a);
}

/*
 * CURLMOPT_TIMERFUNCTION.  Acting from here is forbidden: even a timeout
 * of 0 ("now") goes through the loop.
 */
static int
timer_cb(CURLM *multi, long ms, void *arg)
{
	struct api *a = arg;

	if (ms < 0)
		loop_timer_cancel(&a->timer);
	else
		loop_timer_set(a->loop, &a->timer, (uint64_t)ms, on_timer, a);
	return 0;
}

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct api_call *c = arg;
	size_t n = size * nmemb;

	if (n > API_MAX_BODY - buf_len(&c->resp) ||
	    buf_put(&c->resp, p, n) != 0) {
		c->too_large = 1;
		return 0;	/* curl fails the transfer */
	}
	return n;
}

/* Only curl's own text (connects, TLS); never headers or data. */
static int
debug_cb(CURL *easy, curl_infotype type, char *data, size_t n, void *arg)
{
	char line[256];

	if (type != CURLINFO_TEXT)
		return 0;
	printable(line, sizeof(line), data, n);
	debug3("curl: %s", line);
	return 0;
}

/* CURLOPT_SSL_CTX_FUNCTION: verify against the anchors parsed once. */
static CURLcode
api_ssl_ctx(CURL *easy, void *ssl_ctx, void *arg)
{
	SSL_CTX_set1_cert_store(ssl_ctx, arg);
	return CURLE_OK;
}

static void
call_destroy(struct api_call *c)
{
	struct curl_slist *l;

	if (c == NULL)
		return;
	if (c->active)
		curl_multi_remove_handle(c->api->multi, c->easy);
	loop_timer_cancel(&c->retry);
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	for (l = c->headers; l != NULL; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(c->headers);
	buf_release(&c->resp);
	LIST_REMOVE(c, entry);
	free(c->endpoint);
	free(c->url);
	free(c->host);
	free(c->path);
	free(c->region);
	free(c->service);
	free(c->target);
	free(c->body);
	freestr(c->akid);
	freestr(c->secret);
	freestr(c->token);
	free(c);
}

static void
api_destroy(struct api *a)
{
	struct api_sock *s;

	while (!LIST_EMPTY(&a->calls))
		call_destroy(LIST_FIRST(&a->calls));
	if (a->multi != NULL)
		curl_multi_cleanup(a->multi);
	while ((s = LIST_FIRST(&a->socks)) != NULL)
		sock_free(s);
	loop_timer_cancel(&a->timer);
	X509_STORE_free(a->ca);
	free(a->proxy);
	if (a->global)
		curl_global_cleanup();
	free(a);
}

struct api *
api_new(struct loop *l, const struct api_options *o, const char **errmsg)
{
	static const struct api_options defaults;
	static struct errmsg ca_err;
	struct api *a;
	int bad = 0;

	*errmsg = NULL;
	if (o == NULL)
		o = &defaults;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		*errmsg = "out of memory";
		return NULL;
	}
	LIST_INIT(&a->calls);
	LIST_INIT(&a->socks);
	a->loop = l;
	a->connect_ms = o->connect_timeout_ms ? o->connect_timeout_ms :
	    API_DEFAULT_CONNECT_MS;
	a->timeout_ms = o->timeout_ms ? o->timeout_ms : API_DEFAULT_TIMEOUT_MS;
	a->max_attempts = o->max_attempts ? o->max_attempts :
	    API_DEFAULT_ATTEMPTS;
	a->retry_base_ms = o->retry_base_ms ? o->retry_base_ms :
	    API_DEFAULT_RETRY_MS;
	if (a->retry_base_ms > API_MAX_RETRY_MS)
		a->retry_base_ms = API_MAX_RETRY_MS;
	if ((a->proxy = strdup(o->proxy != NULL ? o->proxy : "")) == NULL) {
		*errmsg = "out of memory";
		goto fail;
	}
	if ((a->ca = castore_get(o->ca_file, &ca_err)) == NULL) {
		*errmsg = ca_err.msg;
		goto fail;
	}
	X509_STORE_up_ref(a->ca);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*errmsg = "cannot initialise libcurl";
		goto fail;
	}
	a->global = 1;
	if ((a->multi = curl_multi_init()) == NULL) {
		*errmsg = "cannot create a libcurl multi handle";
		goto fail;
	}
	bad |= curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION,
	    sock_cb) != CURLM_OK;
	bad |= curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a) != CURLM_OK;
	bad |= curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION,
	    timer_cb) != CURLM_OK;
	bad |= curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a) != CURLM_OK;
	if (bad) {
		*errmsg = "cannot set up the libcurl multi handle";
		goto fail;
	}
	return a;
 fail:
	api_destroy(a);
	return NULL;
}

void
api_free(struct api *a)
{
	struct api_call *c, *next;

	if (a == NULL)
		return;
	if (a->busy) {
		/* In a callback: stop every other call now, free later. */
		a->dying = 1;
		for (c = LIST_FIRST(&a->calls); c != NULL; c = next) {
			next = LIST_NEXT(c, entry);
			if (!c->delivering)
				call_destroy(c);
		}
		return;
	}
	api_destroy(a);
}

int64_t
api_clock_offset(const struct api *a)
{
	return a->clock_offset;
}

void
api_set_clock_offset(struct api *a, int64_t offset)
{
	a->clock_offset = offset;
}

/* Append "name: value" to *l, through a buffer that is wiped after. */
static int
header_add(struct curl_slist **l, const char *name, const char *value)
{
	struct curl_slist *n;
	size_t len;
	char *line;

	len = strlen(name) + strlen(value) + 3;
	if ((line = malloc(len)) == NULL)
		return SP_ERR_ALLOC;
	snprintf(line, len, "%s: %s", name, value);
	n = curl_slist_append(*l, line);
	OPENSSL_cleanse(line, len);
	free(line);
	if (n == NULL)
		return SP_ERR_ALLOC;
	*l = n;
	return 0;
}

/*
 * Sign the request at the current time and hand it to curl.  The headers
 * sent are exactly the ones signed, plus User-Agent, Accept, Content-Length
 * and an empty Expect (no 100-continue).
 */
static int
call_send(struct api_call *c, int counted)
{
	struct api *a = c->api;
	struct sigv4_creds cr;
	struct sigv4_header hs[2];
	struct sigv4_request rq;
	struct sigv4_params pa;
	struct sigv4_result *res = NULL;
	struct curl_slist *l = NULL, *old;
	int r = SP_ERR_INTERNAL;

	memset(&cr, 0, sizeof(cr));
	cr.access_key_id = c->akid;
	cr.secret_key = c->secret;
	cr.session_token = c->token;
	hs[0].name = "content-type";
	hs[0].value = API_CONTENT_TYPE;
	hs[1].name = "x-amz-target";
	hs[1].value = c->target;
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.host = c->host;
	rq.path = c->path;
	rq.headers = hs;
	rq.nheaders = 2;
	rq.body = c->body;
	rq.body_len = c->body_len;
	memset(&pa, 0, sizeof(pa));
	pa.region = c->region;
	pa.service = c->service;
	pa.time = (int64_t)time(NULL) + a->clock_offset;
	if ((r = sigv4_sign_header(&cr, &rq, &pa, &res)) != 0)
		goto out;
	if ((r = header_add(&l, "Host", c->host)) != 0 ||
	    (r = header_add(&l, "Content-Type", API_CONTENT_TYPE)) != 0 ||
	    (r = header_add(&l, "X-Amz-Target", c->target)) != 0 ||
	    (r = header_add(&l, "X-Amz-Date", res->amz_date)) != 0 ||
	    (c->token != NULL && (r = header_add(&l, "X-Amz-Security-Token",
	    c->token)) != 0) ||
	    (r = header_add(&l, "Authorization", res->authorization)) != 0)
		goto out;
	if ((old = curl_slist_append(l, "Expect:")) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	l = old;
	if (curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, l) != CURLE_OK) {
		r = SP_ERR_INTERNAL;
		goto out;
	}
	old = c->headers;
	c->headers = l;
	l = old;	/* the previous attempt's, freed below */
	buf_release(&c->resp);
	buf_init(&c->resp, API_MAX_BODY + 1);
	c->too_large = 0;
	c->errbuf[0] = '\0';
	c->t0 = loop_now_ms();
	if (curl_multi_add_handle(a->multi, c->easy) != CURLM_OK) {
		r = SP_ERR_INTERNAL;
		goto out;
	}
	c->active = 1;
	if (counted)
		c->tries++;
	c->sent++;
	r = 0;
 out:
	if (l != NULL) {
		for (old = l; old != NULL; old = old->next)
			OPENSSL_cleanse(old->data, strlen(old->data));
		curl_slist_free_all(l);
	}
	sigv4_result_free(res);
	return r;
}

/* Run the callback, then free the call (and the client if asked to). */
static void
deliver(struct api_call *c, struct api_result *res)
{
	struct api *a = c->api;

	res->operation = c->op;
	res->attempts = (int)c->sent;
	if (res->body == NULL) {
		res->body = "";
		res->body_len = 0;
	}
	a->busy++;
	c->delivering = 1;
	c->cb(c->arg, res);
	call_destroy(c);
	if (--a->busy == 0 && a->dying)
		api_destroy(a);
}

static void
deliver_local(struct api_call *c, int r)
{
	struct api_result res;
	char msg[256];

	memset(&res, 0, sizeof(res));
	snprintf(msg, sizeof(msg), "%s failed: cannot send the request: %s",
	    c->op, sp_err_str(r));
	debug("%s", msg);
	res.request_id = res.error_code = res.error_message = "";
	res.message = msg;
	deliver(c, &res);
}

static void
retry_fire(void *arg)
{
	struct api_call *c = arg;
	int counted = !c->skew_pending, r;

	c->skew_pending = 0;
	if ((r = call_send(c, counted)) != 0)
		deliver_local(c, r);
}

static int
transport_retryable(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:	/* handshake cut short, not trust */
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_PROXY:
		return 1;
	default:
		/* Trust failures (CURLE_PEER_FAILED_VERIFICATION, bad CA
		 * file), bad URLs, our own aborts: retrying cannot help. */
		return 0;
	}
}

static int
code_retryable(const char *code)
{
	static const char *const codes[] = {
		/* throttling */
		"Throttling", "ThrottlingException", "ThrottledException",
		"RequestThrottledException", "TooManyRequestsException",
		"ProvisionedThroughputExceededException",
		"TransactionInProgressException", "RequestLimitExceeded",
		"BandwidthLimitExceeded", "LimitExceededException",
		"RequestThrottled", "SlowDown", "PriorRequestNotComplete",
		"EC2ThrottledException",
		/* transient */
		"RequestTimeout", "RequestTimeoutException",
		"InternalError", "InternalFailure", "InternalServerError",
		"ServiceUnavailable",
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

static int
skew_error(const struct apimsg_error *e)
{
	if (strcmp(e->code, "RequestExpired") == 0 ||
	    strcmp(e->code, "RequestTimeTooSkewed") == 0 ||
	    strcmp(e->code, "RequestInTheFuture") == 0)
		return 1;
	if (strcmp(e->code, "InvalidSignatureException") == 0 ||
	    strcmp(e->code, "SignatureDoesNotMatch") == 0 ||
	    strcmp(e->code, "AuthFailure") == 0)
		return strstr(e->message, "expired") != NULL ||
		    strstr(e->message, "not yet current") != NULL;
	return 0;
}

/* Copy response header name (final response, not a proxy's) or "". */
static void
resp_header(CURL *easy, const char *name, char *dst, size_t dstsz)
{
	struct curl_header *h;

	dst[0] = '\0';
	if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) ==
	    CURLHE_OK && h->value != NULL)
		printable(dst, dstsz, h->value, strlen(h->value));
}

/* Full-jitter backoff of standard mode for the retry after try n. */
static uint64_t
retry_delay(const struct api *a, unsigned int n)
{
	const struct backoff b = {
		a->retry_base_ms, API_MAX_RETRY_MS, BACKOFF_FULL
	};

	return backoff_ms(&b, n - 1, arc4random());
}

/* One attempt is over: retry it, or report to the caller. */
static void
call_finished(struct api_call *c, CURLcode cc)
{
	struct api *a = c->api;
	struct api_result res;
	struct apimsg_error e;
	char rid[128], etype[256], date[128], msg[API_MAX_LINE], why[512];
	char more[64];
	long status = 0;
	uint64_t delay, ms = loop_now_ms() - c->t0;
	time_t server, now;
	int retry = 0;

	memset(&res, 0, sizeof(res));
	memset(&e, 0, sizeof(e));
	msg[0] = why[0] = more[0] = '\0';
	if (curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK)
		status = 0;
	resp_header(c->easy, "x-amzn-RequestId", rid, sizeof(rid));
	resp_header(c->easy, "X-Amzn-ErrorType", etype, sizeof(etype));
	resp_header(c->easy, "Date", date, sizeof(date));
	trace_api(c->op, status, rid, c->sent, ms,
	    (const char *)buf_ptr(&c->resp), buf_len(&c->resp),
	    cc != CURLE_OK ? curl_easy_strerror(cc) : NULL);

	if (cc != CURLE_OK || status == 0) {
		printable(why, sizeof(why), c->errbuf[0] != '\0' ? c->errbuf :
		    curl_easy_strerror(cc), strlen(c->errbuf[0] != '\0' ?
		    c->errbuf : curl_easy_strerror(cc)));
		debug("POST %s: %s (%llu ms, attempt %u)", c->url, why,
		    (unsigned long long)ms, c->sent);
		if (c->too_large) {
			snprintf(msg, sizeof(msg), "%s failed: response larger "
			    "than %d bytes", c->op, API_MAX_BODY);
			res.status = status;
		} else {
			snprintf(msg, sizeof(msg), "cannot reach %s: %s",
			    c->endpoint, why);
			res.transport = 1;
			retry = transport_retryable(cc);
		}
	} else {
		debug("POST %s: HTTP %ld, request id %s (%llu ms, attempt %u)",
		    c->url, status, rid[0] != '\0' ? rid : "none",
		    (unsigned long long)ms, c->sent);
		res.status = status;
		if (status >= 200 && status < 300) {
			res.ok = 1;
			goto done;
		}
		apimsg_error_parse(etype[0] != '\0' ? etype : NULL,
		    buf_ptr(&c->resp), buf_len(&c->resp), &e);
		if (e.code[0] != '\0' && e.message[0] != '\0')
			snprintf(msg, sizeof(msg), "%s failed: %s: %s", c->op,
			    e.code, e.message);
		else if (e.code[0] != '\0')
			snprintf(msg, sizeof(msg), "%s failed: %s (HTTP %ld)",
			    c->op, e.code, status);
		else
			snprintf(msg, sizeof(msg), "%s failed: HTTP %ld", c->op,
			    status);
		retry = status == 429 || status == 500 || status == 502 ||
		    status == 503 || status == 504 || code_retryable(e.code);
		now = time(NULL);
		if (!c->skew_retried && skew_error(&e) && date[0] != '\0' &&
		    (server = curl_getdate(date, NULL)) != -1 &&
		    llabs((int64_t)server - (int64_t)now - a->clock_offset) >=
		    API_SKEW_MIN) {
			a->clock_offset = (int64_t)server - (int64_t)now;
			log_verbose("%s: the clock is %lld s off AWS's; "
			    "signing again", c->op, (long long)-a->clock_offset);
			c->skew_retried = 1;
			c->skew_pending = 1;
			loop_timer_set(a->loop, &c->retry, 0, retry_fire, c);
			return;
		}
	}
	if (retry && c->tries < a->max_attempts) {
		delay = retry_delay(a, c->tries);
		log_verbose("%s; retrying in %llu ms (attempt %u of %u)", msg,
		    (unsigned long long)delay, c->tries + 1, a->max_attempts);
		loop_timer_set(a->loop, &c->retry, delay, retry_fire, c);
		return;
	}
	if (c->sent > 1) {
		snprintf(more, sizeof(more), " (after %u attempts)", c->sent);
		if (strlen(msg) + strlen(more) < sizeof(msg))
			memcpy(msg + strlen(msg), more, strlen(more) + 1);
	}
 done:
	/* A NUL after the body, inside the cap's spare byte. */
	if (buf_put_u8(&c->resp, 0) != 0) {
		res.ok = 0;
		snprintf(msg, sizeof(msg), "%s failed: out of memory", c->op);
	}
	res.body = (const char *)buf_ptr(&c->resp);
	res.body_len = buf_len(&c->resp) > 0 ? buf_len(&c->resp) - 1 : 0;
	res.request_id = rid;
	res.error_code = e.code;
	res.error_message = e.message;
	res.message = res.ok ? "" : msg;
	deliver(c, &res);
}

static void
check_done(struct api *a)
{
	struct api_call *c;
	CURLMsg *m;
	CURLcode cc;
	char *priv;
	int left;

	a->busy++;
	while (!a->dying &&
	    (m = curl_multi_info_read(a->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    &priv) != CURLE_OK || priv == NULL)
			continue;
		c = (struct api_call *)priv;
		cc = m->data.result;
		/* m is invalid after this. */
		curl_multi_remove_handle(a->multi, c->easy);
		c->active = 0;
		call_finished(c, cc);
	}
	if (--a->busy == 0 && a->dying)
		api_destroy(a);
}

static int
call_setup(struct api_call *c)
{
	struct api *a = c->api;
	int bad = 0;

	if ((c->easy = curl_easy_init()) == NULL)
		return SP_ERR_ALLOC;
#define SET(opt, val) (bad |= curl_easy_setopt(c->easy, opt, val) != CURLE_OK)
	SET(CURLOPT_PRIVATE, (char *)c);
	SET(CURLOPT_URL, c->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PATH_AS_IS, 1L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_POSTFIELDS, c->body);
	SET(CURLOPT_POSTFIELDSIZE, (long)c->body_len);
	SET(CURLOPT_USERAGENT, API_USER_AGENT);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, c);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)a->connect_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)a->timeout_ms);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
	/* The anchors come parsed (castore.h), for the proxy's TLS too. */
	SET(CURLOPT_CAINFO, (char *)NULL);
	SET(CURLOPT_CAPATH, (char *)NULL);
	SET(CURLOPT_PROXY_CAINFO, (char *)NULL);
	SET(CURLOPT_PROXY_CAPATH, (char *)NULL);
	SET(CURLOPT_CA_CACHE_TIMEOUT, 0L);
	SET(CURLOPT_SSL_CTX_FUNCTION, api_ssl_ctx);
	SET(CURLOPT_SSL_CTX_DATA, a->ca);
	/* Explicit, "" for none: curl must not read *_proxy or NO_PROXY. */
	SET(CURLOPT_PROXY, a->proxy);
	SET(CURLOPT_NOPROXY, "");
	SET(CURLOPT_HEADEROPT, CURLHEADER_SEPARATE);
	if (log_get_level() >= LOG_DEBUG3) {
		SET(CURLOPT_DEBUGFUNCTION, debug_cb);
		SET(CURLOPT_VERBOSE, 1L);
	}
#undef SET
	return bad ? SP_ERR_INTERNAL : 0;
}

static char *
xstrdup(const char *s, int *bad)
{
	char *p = NULL;

	if (s != NULL && (p = strdup(s)) == NULL)
		*bad = 1;
	return p;
}

int
api_call(struct api *a, const struct api_request *req, api_done_cb cb,
    void *arg, struct api_call **callp)
{
	struct api_call *c = NULL;
	struct sigv4_url *u = NULL;
	const struct sigv4_creds *cr = req->creds;
	const char *dot;
	size_t n;
	int r = SP_ERR_INTERNAL, bad = 0;

	if (callp != NULL)
		*callp = NULL;
	if (a->dying)
		return SP_ERR_STATE;
	if (req->endpoint == NULL || req->region == NULL ||
	    req->service == NULL || req->target == NULL ||
	    req->body == NULL || cr == NULL || cb == NULL ||
	    cr->access_key_id == NULL || cr->secret_key == NULL ||
	    *req->region == '\0' || *req->service == '\0' ||
	    *req->target == '\0' || *cr->access_key_id == '\0' ||
	    has_control(req->region) || has_control(req->service) ||
	    has_control(req->target) || has_control(cr->access_key_id) ||
	    (cr->session_token != NULL && has_control(cr->session_token)))
		return SP_ERR_INVALID_ARG;
	if ((r = sigv4_url_split(req->endpoint, &u)) != 0)
		return r;
	if ((strcmp(u->scheme, "https") != 0 &&
	    strcmp(u->scheme, "http") != 0) || u->query[0] != '\0') {
		r = SP_ERR_URL;
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	c->api = a;
	LIST_INSERT_HEAD(&a->calls, c, entry);
	buf_init(&c->resp, API_MAX_BODY + 1);
	c->cb = cb;
	c->arg = arg;
	/* The request goes to the base path + "/" (aws-apis.md 2.3). */
	n = strlen(u->path);
	if ((c->path = malloc(n + 2)) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	memcpy(c->path, u->path, n + 1);
	if (n == 0 || c->path[n - 1] != '/')
		memcpy(c->path + n, "/", 2);
	n = strlen(u->scheme) + 3 + strlen(u->host_header) + strlen(c->path);
	if ((c->url = malloc(n + 1)) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	snprintf(c->url, n + 1, "%s://%s%s", u->scheme, u->host_header,
	    c->path);
	c->endpoint = xstrdup(req->endpoint, &bad);
	c->host = xstrdup(u->host_header, &bad);
	c->region = xstrdup(req->region, &bad);
	c->service = xstrdup(req->service, &bad);
	c->target = xstrdup(req->target, &bad);
	c->body = xstrdup(req->body, &bad);
	c->akid = xstrdup(cr->access_key_id, &bad);
	c->secret = xstrdup(cr->secret_key, &bad);
	if (cr->session_token != NULL && *cr->session_token != '\0')
		c->token = xstrdup(cr->session_token, &bad);
	if (bad) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	c->body_len = strlen(c->body);
	dot = strrchr(c->target, '.');
	c->op = dot != NULL && dot[1] != '\0' ? (char *)dot + 1 : c->target;
	if ((r = call_setup(c)) != 0 || (r = call_send(c, 1)) != 0)
		goto out;
	if (callp != NULL)
		*callp = c;
	c = NULL;
	r = 0;
 out:
	call_destroy(c);
	sigv4_url_free(u);
	return r;
}

void
api_cancel(struct api_call *c)
{
	if (c == NULL || c->delivering)
		return;
	call_destroy(c);
}
