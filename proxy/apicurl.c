/*
 * libcurl's multi interface on proxy/loop, for api.c.
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
#include <stdlib.h>

#include <openssl/ssl.h>

#include "apiint.h"
#include "log.h"
#include "version.h"

#define API_USER_AGENT		"ssm-proxy/" SSM_PROXY_VERSION

void
api_sock_free(struct api_sock *s)
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
	api_check_done(a);
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
			api_sock_free(s);
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->api = a;
		s->fd = fd;
		LIST_INSERT_HEAD(&a->socks, s, entry);
		if (curl_multi_assign(a->multi, fd, s) != CURLM_OK) {
			api_sock_free(s);
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
	api_check_done(a);
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

/* Hook the multi handle to the loop: NULL, or what went wrong. */
const char *
api_multi_init(struct api *a)
{
	int bad = 0;

	bad |= curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION,
	    sock_cb) != CURLM_OK;
	bad |= curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a) != CURLM_OK;
	bad |= curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION,
	    timer_cb) != CURLM_OK;
	bad |= curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a) != CURLM_OK;
	return bad ? "cannot set up the libcurl multi handle" : NULL;
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
	api_printable(line, sizeof(line), data, n);
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

void
api_check_done(struct api *a)
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
		api_call_finished(c, cc);
	}
	if (--a->busy == 0 && a->dying)
		api_destroy(a);
}

int
api_call_setup(struct api_call *c)
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

