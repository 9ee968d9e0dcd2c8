/* Blocking HTTP client; see http.h. */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "castore.h"
#include "http.h"
#include "notice.h"
#include "strutil.h"

/* The body, collected (its cap leaves room for the NUL added at the
 * end) or handed to the request's sink. */
struct sink {
	const struct http_req *req;
	struct buf	 b;
	size_t		 max;
	size_t		 total;
	int		 over;
	int		 refused;	/* the sink's code, 0 */
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	int r;

	if (len > s->max - s->total) {
		s->over = 1;
		return 0;
	}
	s->total += len;
	if (s->req->sink != NULL) {
		if ((r = s->req->sink(s->req->sink_arg, p, len)) != 0) {
			s->refused = r < 0 ? r : SP_ERR_PROTOCOL;
			return 0;
		}
		return len;
	}
	if (buf_put(&s->b, p, len) != 0)
		return 0;
	return len;
}

/* CURLOPT_XFERINFOFUNCTION: curl calls it whenever it wakes, a signal
 * interrupting its poll() included. */
static int
on_progress(void *arg, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
    curl_off_t uln)
{
	const volatile sig_atomic_t *cancel = arg;

	return *cancel != 0;
}

/* CURLOPT_SSL_CTX_FUNCTION: verify against the anchors parsed once. */
static CURLcode
ssl_ctx_cb(CURL *easy, void *ssl_ctx, void *arg)
{
	SSL_CTX_set1_cert_store(ssl_ctx, arg);
	return CURLE_OK;
}

void
http_origin(const char *url, char *out, size_t outsz)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p == NULL ? url : p + 3;
	n = strcspn(p, "/?#");
	snprintf(out, outsz, "%.*s%.*s", (int)(p - url), url, (int)n, p);
}

int
http_is_cleartext(const char *url)
{
	char host[256];
	const char *p, *e;
	unsigned char a[16];
	size_t n;

	if (strncasecmp(url, "http://", 7) != 0)
		return 0;
	p = url + 7;
	if (*p == '[') {
		if ((e = strchr(++p, ']')) == NULL)
			return 1;
	} else
		e = p + strcspn(p, ":/?#");
	if ((n = (size_t)(e - p)) == 0 || n >= sizeof(host))
		return 1;
	memcpy(host, p, n);
	host[n] = '\0';
	if (host[n - 1] == '.')
		host[--n] = '\0';
	if (strcasecmp(host, "localhost") == 0 || (n > 10 &&
	    strcasecmp(host + n - 10, ".localhost") == 0))
		return 0;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] != 127;
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char lo[16] = { [15] = 1 };
		static const unsigned char v4map[12] = { [10] = 0xff,
		    [11] = 0xff };

		return memcmp(a, lo, 16) != 0 &&
		    !(memcmp(a, v4map, 12) == 0 && a[12] == 127);
	}
	return 1;
}

void
http_warn_cleartext(const char *url)
{
	static char warned[4][256];	/* origins warned about */
	static size_t nwarned;
	char origin[256];
	size_t i;

	if (!http_is_cleartext(url))
		return;
	http_origin(url, origin, sizeof(origin));
	for (i = 0; i < nwarned; i++)
		if (strcmp(warned[i], origin) == 0)
			return;
	if (nwarned < sizeof(warned) / sizeof(warned[0]))
		memcpy(warned[nwarned++], origin, sizeof(origin));
	notice(NOTICE_WARN, "warning: %s is plain HTTP: credential-derived "
	    "headers and the session token travel in clear text", origin);
}

int
http_do(const struct http_req *req, struct http_resp *resp,
    struct errmsg *err)
{
	struct curl_slist *hl = NULL, *t;
	struct sink s;
	char origin[256];
	X509_STORE *ca;
	CURL *c = NULL;
	CURLcode cc;
	size_t i;
	int r = SP_ERR_ALLOC;

	memset(resp, 0, sizeof(*resp));
	memset(&s, 0, sizeof(s));
	s.req = req;
	s.max = req->max_body != 0 ? req->max_body : HTTP_MAX_BODY;
	buf_init(&s.b, req->sink != NULL ? 1 : s.max + 1);
	if ((ca = castore_get(req->ca_file, err)) == NULL)
		return SP_ERR_PROTOCOL;
	if ((c = curl_easy_init()) == NULL)
		goto out;
	/* No "Expect: 100-continue" and no default Accept noise. */
	if ((t = curl_slist_append(hl, "Expect:")) == NULL)
		goto out;
	hl = t;
	for (i = 0; i < req->nheaders; i++) {
		if ((t = curl_slist_append(hl, req->headers[i])) == NULL)
			goto out;
		hl = t;
	}
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (req->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
	} else if (strcmp(req->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_PROXY, req->proxy != NULL ? req->proxy :
	    "");
	/* The anchors come parsed (castore.h), for the proxy's TLS too. */
	curl_easy_setopt(c, CURLOPT_CAINFO, (char *)NULL);
	curl_easy_setopt(c, CURLOPT_CAPATH, (char *)NULL);
	curl_easy_setopt(c, CURLOPT_PROXY_CAINFO, (char *)NULL);
	curl_easy_setopt(c, CURLOPT_PROXY_CAPATH, (char *)NULL);
	curl_easy_setopt(c, CURLOPT_CA_CACHE_TIMEOUT, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
	curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, ca);
	if (req->cancel != NULL) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)req->cancel);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	cc = curl_easy_perform(c);
	http_origin(req->url, origin, sizeof(origin));
	if (cc == CURLE_ABORTED_BY_CALLBACK && req->cancel != NULL &&
	    *req->cancel != 0) {
		r = errmsg_set(err, CFG_ERR_INTERRUPTED, "interrupted while "
		    "waiting for %s", origin);
		goto out;
	}
	if (s.over) {
		r = errmsg_set(err, SP_ERR_TOO_LARGE, "the answer of %s is "
		    "larger than %zu bytes", origin, s.max);
		goto out;
	}
	if (s.refused != 0) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		r = errmsg_set(err, s.refused, "the answer of %s could not be "
		    "read", origin);
		goto out;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		r = errmsg_set(err, SP_ERR_TIMEOUT, "%s did not answer within "
		    "%ld ms", origin, req->timeout_ms);
		goto out;
	}
	if (cc != CURLE_OK) {
		r = errmsg_set(err, SP_ERR_PROTOCOL, "cannot reach %s: %s",
		    origin, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (req->sink != NULL) {
		r = 0;
		goto out;
	}
	if (buf_put_u8(&s.b, 0) != 0)
		goto out;
	resp->body = (char *)buf_steal(&s.b, &resp->len);
	resp->len--;
	r = 0;
 out:
	if (r == SP_ERR_ALLOC && err != NULL && err->msg[0] == '\0')
		errmsg_set(err, r, "out of memory");
	buf_release(&s.b);
	curl_slist_free_all(hl);
	if (c != NULL)
		curl_easy_cleanup(c);
	return r;
}

void
http_resp_free(struct http_resp *resp)
{
	if (resp->body != NULL)
		OPENSSL_clear_free(resp->body, resp->len + 1);
	resp->body = NULL;
	resp->len = 0;
}

int
http_add_signed(struct http_req *req, const char *authorization,
    const char *amz_date, const char *token, struct http_signed *h)
{
	memset(h, 0, sizeof(*h));
	if (req->nheaders + (token != NULL ? 3 : 2) > HTTP_MAX_HEADERS)
		return SP_ERR_TOO_LARGE;
	if ((h->auth = strjoin("Authorization: ", authorization, "", "")) ==
	    NULL || (token != NULL && (h->token = strjoin(
	    "X-Amz-Security-Token: ", token, "", "")) == NULL))
		return SP_ERR_ALLOC;
	snprintf(h->date, sizeof(h->date), "X-Amz-Date: %s", amz_date);
	req->headers[req->nheaders++] = h->auth;
	req->headers[req->nheaders++] = h->date;
	if (h->token != NULL)
		req->headers[req->nheaders++] = h->token;
	return 0;
}

void
http_signed_clear(struct http_signed *h)
{
	wipe_str(h->token);
	wipe_str(h->auth);
	memset(h, 0, sizeof(*h));
}
