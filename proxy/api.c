/*
 * AWS JSON 1.1 calls: clients, calls, signing and delivery; see api.h.
 * libcurl's multi interface is driven from apicurl.c, and what a finished
 * attempt means is decided in apiresult.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "apiint.h"
#include "apimsg.h"
#include "castore.h"
#include "log.h"

#define API_CONTENT_TYPE	"application/x-amz-json-1.1"

/* Free a string that may hold a secret. */
static void
freestr(char *s)
{
	if (s != NULL)
		OPENSSL_clear_free(s, strlen(s));
}

void
api_call_destroy(struct api_call *c)
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

void
api_destroy(struct api *a)
{
	struct api_sock *s;

	while (!LIST_EMPTY(&a->calls))
		api_call_destroy(LIST_FIRST(&a->calls));
	if (a->multi != NULL)
		curl_multi_cleanup(a->multi);
	while ((s = LIST_FIRST(&a->socks)) != NULL)
		api_sock_free(s);
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
	a->throttle_ms = o->throttle_ms ? o->throttle_ms : API_THROTTLE_MS;
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
	if ((*errmsg = api_multi_init(a)) != NULL)
		goto fail;
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
				api_call_destroy(c);
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
void
api_deliver(struct api_call *c, struct api_result *res)
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
	api_call_destroy(c);
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
	api_deliver(c, &res);
}

void
api_retry_fire(void *arg)
{
	struct api_call *c = arg;
	int counted = !c->skew_pending, r;

	c->skew_pending = 0;
	if ((r = call_send(c, counted)) != 0)
		deliver_local(c, r);
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
	    apimsg_has_control(req->region) || apimsg_has_control(req->service) ||
	    apimsg_has_control(req->target) || apimsg_has_control(cr->access_key_id) ||
	    (cr->session_token != NULL && apimsg_has_control(cr->session_token)))
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
	/* The request goes to the base path + "/" (proxy/aws/AWS-APIS.md
	 * "Endpoint overrides"). */
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
	c->first = loop_now_ms();
	if ((r = api_call_setup(c)) != 0 || (r = call_send(c, 1)) != 0)
		goto out;
	if (callp != NULL)
		*callp = c;
	c = NULL;
	r = 0;
 out:
	api_call_destroy(c);
	sigv4_url_free(u);
	return r;
}

void
api_cancel(struct api_call *c)
{
	if (c == NULL || c->delivering)
		return;
	api_call_destroy(c);
}

