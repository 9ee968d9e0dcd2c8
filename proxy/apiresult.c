/*
 * What a finished attempt of an AWS call means, for api.c: retry it
 * (transport failures, throttling, 5xx; proxy/aws/AWS-APIS.md
 * "Retries"; throttling for up to API_THROTTLE_MS, the others up to
 * max_attempts), sign it again after clock skew, or deliver the result with
 * one line for the user built from the error response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiint.h"
#include "apimsg.h"
#include "backoff.h"
#include "compat.h"
#include "log.h"
#include "trace.h"

#define API_MAX_LINE		(APIMSG_MAX_MESSAGE + 1024)

/* Copy header or curl text for a log or a message: printable ASCII. */
void
api_printable(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < dstsz; i++) {
		if ((src[i] == '\n' || src[i] == '\r') && i + 1 >= n)
			break;
		dst[o++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	}
	dst[o] = '\0';
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
code_in(const char *code, const char *const *codes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

static int
code_throttling(const char *code)
{
	static const char *const codes[] = {
		"Throttling", "ThrottlingException", "ThrottledException",
		"RequestThrottledException", "TooManyRequestsException",
		"ProvisionedThroughputExceededException",
		"TransactionInProgressException", "RequestLimitExceeded",
		"BandwidthLimitExceeded", "LimitExceededException",
		"RequestThrottled", "SlowDown", "PriorRequestNotComplete",
		"EC2ThrottledException",
	};

	return code_in(code, codes, sizeof(codes) / sizeof(codes[0]));
}

static int
code_transient(const char *code)
{
	static const char *const codes[] = {
		"RequestTimeout", "RequestTimeoutException",
		"InternalError", "InternalFailure", "InternalServerError",
		"ServiceUnavailable",
	};

	return code_in(code, codes, sizeof(codes) / sizeof(codes[0]));
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
		api_printable(dst, dstsz, h->value, strlen(h->value));
}

/* Full-jitter backoff of standard mode for the retry after try n. */
static uint64_t
retry_delay(const struct api *a, unsigned int n)
{
	const struct backoff b = {
		a->retry_base_ms, API_MAX_RETRY_MS, BACKOFF_FULL
	};

	return backoff_ms(&b, n - 1, compat_random_u32());
}

/*
 * A throttled attempt: schedule the next one with the same full jitter
 * (each process draws its own random bits, so a fleet spreads out) while
 * the call is inside its time budget.  0 if scheduled, -1 to give up.
 */
static int
throttle_retry(struct api_call *c, const char *msg)
{
	struct api *a = c->api;
	const struct backoff b = {
		a->retry_base_ms, API_MAX_RETRY_MS, BACKOFF_FULL
	};
	uint64_t delay;

	if (a->max_attempts <= 1 || backoff_within(&b, c->throttled,
	    compat_random_u32(), loop_now_ms() - c->first, a->throttle_ms,
	    &delay) != 0)
		return -1;
	c->throttled++;
	log_verbose("%s; throttled, retrying in %llu ms (attempt %u, for up "
	    "to %u s)", msg, (unsigned long long)delay, c->tries + 1,
	    a->throttle_ms / 1000);
	loop_timer_set(a->loop, &c->retry, delay, api_retry_fire, c);
	return 0;
}

/* One attempt is over: retry it, or report to the caller. */
void
api_call_finished(struct api_call *c, CURLcode cc)
{
	struct api *a = c->api;
	struct api_result res;
	struct apimsg_error e;
	char rid[128], etype[256], date[128], msg[API_MAX_LINE], why[512];
	char more[64];
	long status = 0;
	uint64_t delay, ms = loop_now_ms() - c->t0;
	time_t server, now;
	int retry = 0, throttled = 0;

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
		api_printable(why, sizeof(why), c->errbuf[0] != '\0' ? c->errbuf :
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
		throttled = status == 429 || code_throttling(e.code);
		retry = status == 500 || status == 502 || status == 503 ||
		    status == 504 || code_transient(e.code);
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
			loop_timer_set(a->loop, &c->retry, 0, api_retry_fire, c);
			return;
		}
	}
	if (throttled && throttle_retry(c, msg) == 0)
		return;
	if (retry && c->tries - c->throttled < a->max_attempts) {
		delay = retry_delay(a, c->tries - c->throttled);
		log_verbose("%s; retrying in %llu ms (attempt %u of %u)", msg,
		    (unsigned long long)delay, c->tries - c->throttled + 1,
		    a->max_attempts);
		loop_timer_set(a->loop, &c->retry, delay, api_retry_fire, c);
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
	api_deliver(c, &res);
}

