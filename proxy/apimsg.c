/* SSM API message bodies and responses, without I/O; see apimsg.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "apimsg.h"
#include "buf.h"
#include "json.h"
#include "sigv4.h"
#include "utf8.h"

/* Bodies we build are small; the cap only guards against misuse. */
#define APIMSG_MAX_BODY		8192

/*
 * Copy src (n bytes) into dst (dstsz > 0) for display: C0 controls, DEL
 * and the two-byte UTF-8 forms of C1 controls become one space each; with
 * ascii, every other byte outside 0x20..0x7e becomes '?'.  Stops before a
 * character that would not fit whole.
 */
static void
copy_display(char *dst, size_t dstsz, const char *src, size_t n, int ascii)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, clen;

	while (i < n && o + 1 < dstsz) {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			dst[o++] = ' ';
			i++;
			continue;
		}
		if (s[i] < 0x80) {
			dst[o++] = (char)s[i++];
			continue;
		}
		if (ascii) {
			dst[o++] = '?';
			i++;
			continue;
		}
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9f) {
			dst[o++] = ' ';
			i += 2;
			continue;
		}
		/* The JSON parser has checked the UTF-8; copy whole chars. */
		if (s[i] >= 0xf0)
			clen = 4;
		else if (s[i] >= 0xe0)
			clen = 3;
		else if (s[i] >= 0xc0)
			clen = 2;
		else
			clen = 1;	/* stray continuation byte */
		if (i + clen > n || o + clen >= dstsz)
			break;
		memcpy(dst + o, s + i, clen);
		o += clen;
		i += clen;
	}
	dst[o] = '\0';
}

/* Go SDK's SanitizeErrorCode: cut at the first ':', then after '#'. */
static void
set_code(struct apimsg_error *out, const char *raw)
{
	const char *p, *hash;
	size_t n;

	n = strcspn(raw, ":");
	if ((hash = memchr(raw, '#', n)) != NULL) {
		p = hash + 1;
		n -= (size_t)(p - raw);
	} else
		p = raw;
	copy_display(out->code, sizeof(out->code), p, n, 1);
}

int
apimsg_error_parse(const char *errtype, const void *body, size_t len,
    struct apimsg_error *out)
{
	struct json *j = NULL;
	const char *s;

	memset(out, 0, sizeof(*out));
	if (body != NULL && len > 0 && json_parse(body, len, &j) != 0)
		j = NULL;
	if (errtype != NULL && *errtype != '\0')
		set_code(out, errtype);
	else if (j != NULL && json_get_str(j, "__type", &s) == 0 &&
	    *s != '\0')
		set_code(out, s);
	else if (j != NULL && json_get_str(j, "code", &s) == 0)
		set_code(out, s);
	/* json_get falls back to a case-insensitive match: "Message". */
	if (j != NULL && json_get_str(j, "message", &s) == 0)
		copy_display(out->message, sizeof(out->message), s,
		    strlen(s), 0);
	json_free(j);
	return out->code[0] != '\0' ? 0 : SP_ERR_JSON_MISSING;
}

int
apimsg_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int
apimsg_session_id_valid(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > APIMSG_MAX_SESSION_ID)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Note that member key was bad, in out->why: pre key post; returns r. */
static int
bad(struct apimsg_session *out, const char *key, int r, const char *pre,
    const char *post)
{
	out->bad_field = key;
	snprintf(out->why, sizeof(out->why), "%s%s%s", pre, key, post);
	return r;
}

/*
 * Check member key of j: a string of min..max bytes without control
 * characters (ascii: printable ASCII only).  *vp is the value, borrowed
 * from j, or NULL when absent or null (an error only if required).
 */
static int
get_member(const struct json *j, const char *key, int required, size_t min,
    size_t max, int ascii, const char **vp, struct apimsg_session *s)
{
	const char *v;
	size_t n;
	int r;

	*vp = NULL;
	if ((r = json_get_str(j, key, &v)) != 0) {
		if (r == SP_ERR_JSON_MISSING && !required)
			return 0;
		if (r == SP_ERR_JSON_MISSING)
			return bad(s, key, r, "no ", "");
		return bad(s, key, r, "a ", " that is not a string");
	}
	n = strlen(v);
	if (n == 0 && min > 0)
		return bad(s, key, SP_ERR_STRING_LENGTH, "an empty ", "");
	if (n > max) {
		s->bad_field = key;
		snprintf(s->why, sizeof(s->why), "a %s of %zu bytes (limit "
		    "%zu)", key, n, max);
		return SP_ERR_STRING_LENGTH;
	}
	if (ascii && !apimsg_session_id_valid(v))
		return bad(s, key, SP_ERR_PROTOCOL, "a ",
		    " with bytes outside printable ASCII");
	if (apimsg_has_control(v))
		return bad(s, key, SP_ERR_PROTOCOL, "a ",
		    " with control characters");
	*vp = v;
	return 0;
}

/* A heap copy of v, or NULL with *r set. */
static char *
copy(const char *v, int *r)
{
	char *p;

	if ((p = strdup(v)) == NULL)
		*r = SP_ERR_ALLOC;
	return p;
}

static int
check_stream_url(const char *url)
{
	struct sigv4_url *u = NULL;
	int r;

	if (strncasecmp(url, "wss://", 6) != 0)
		return SP_ERR_URL;
	if ((r = sigv4_url_split(url, &u)) != 0)
		return r;
	r = strcmp(u->scheme, "wss") == 0 ? 0 : SP_ERR_URL;
	sigv4_url_free(u);
	return r;
}

#define PARSE_START	0
#define PARSE_RESUME	1
#define PARSE_TERMINATE	2

static int
session_parse(const void *body, size_t len, int kind,
    struct apimsg_session *out)
{
	struct json *j = NULL;
	const char *id, *tok, *url;
	int r, req = kind == PARSE_START;

	memset(out, 0, sizeof(*out));
	if ((r = json_parse(body, len, &j)) != 0 || j->type != JSON_OBJECT) {
		if (r == 0)
			r = SP_ERR_JSON_TYPE;
		snprintf(out->why, sizeof(out->why), "a body that is not a "
		    "JSON object (%s)", sp_err_str(r));
		goto out;
	}
	if ((r = get_member(j, "SessionId", req, 1, APIMSG_MAX_SESSION_ID, 1,
	    &id, out)) != 0)
		goto out;
	if (id != NULL)
		memcpy(out->session_id, id, strlen(id) + 1);
	if (kind == PARSE_TERMINATE)
		goto out;
	if ((r = get_member(j, "TokenValue", req, 0, APIMSG_MAX_TOKEN, 0,
	    &tok, out)) != 0 ||
	    (r = get_member(j, "StreamUrl", req, 1, APIMSG_MAX_URL, 0,
	    &url, out)) != 0)
		goto out;
	if (url != NULL && check_stream_url(url) != 0) {
		r = bad(out, "StreamUrl", SP_ERR_URL, "a ",
		    " that is not a wss:// URL");
		goto out;
	}
	if ((tok != NULL && (out->token = copy(tok, &r)) == NULL) ||
	    (url != NULL && (out->stream_url = copy(url, &r)) == NULL)) {
		snprintf(out->why, sizeof(out->why), "a response too large "
		    "for memory");
		goto out;
	}
	out->has_token = tok != NULL;
	r = 0;
 out:
	json_free(j);	/* wipes the token it held */
	if (r != 0) {
		/* Keep only the diagnosis and the SessionId. */
		if (out->token != NULL)
			OPENSSL_clear_free(out->token, strlen(out->token));
		free(out->stream_url);
		out->token = out->stream_url = NULL;
		out->has_token = 0;
	}
	return r;
}

int
apimsg_start_session_parse(const void *body, size_t len,
    struct apimsg_session *out)
{
	return session_parse(body, len, PARSE_START, out);
}

int
apimsg_resume_session_parse(const void *body, size_t len,
    struct apimsg_session *out)
{
	return session_parse(body, len, PARSE_RESUME, out);
}

int
apimsg_terminate_session_parse(const void *body, size_t len,
    struct apimsg_session *out)
{
	return session_parse(body, len, PARSE_TERMINATE, out);
}

void
apimsg_session_clear(struct apimsg_session *s)
{
	if (s == NULL)
		return;
	if (s->token != NULL)
		OPENSSL_clear_free(s->token, strlen(s->token));
	free(s->stream_url);
	OPENSSL_cleanse(s, sizeof(*s));
}

/* A new body {"key":"value", left open, in *wp (NULL: out of memory). */
static int
body_start(struct json_writer **wp, const char *key, const char *value)
{
	int r;

	if ((*wp = json_writer_new()) == NULL)
		return SP_ERR_ALLOC;
	if ((r = json_w_obj_open(*wp)) == 0 &&
	    (r = json_w_key(*wp, key)) == 0)
		r = json_w_str(*wp, value);
	return r;
}

/*
 * Close the body's object and make it a string in *out, then free w;
 * r is an earlier error, which stops everything but the freeing.
 */
static int
body_finish(struct json_writer *w, int r, char **out)
{
	struct buf b;

	buf_init(&b, APIMSG_MAX_BODY);
	if (r == 0 && (r = json_w_obj_close(w)) == 0 &&
	    (r = json_w_finish(w, &b)) == 0)
		r = buf_to_cstr(&b, out);
	buf_release(&b);
	json_writer_free(w);
	return r;
}

/* "Parameters":{["host":["H"],]"portNumber":["P"]} */
static int
put_params(struct json_writer *w, const char *host, unsigned int port)
{
	char ports[8];
	int r;

	snprintf(ports, sizeof(ports), "%u", port);
	if ((r = json_w_key(w, "Parameters")) != 0 ||
	    (r = json_w_obj_open(w)) != 0)
		return r;
	if (host != NULL && ((r = json_w_key(w, "host")) != 0 ||
	    (r = json_w_arr_open(w)) != 0 ||
	    (r = json_w_str(w, host)) != 0 ||
	    (r = json_w_arr_close(w)) != 0))
		return r;
	if ((r = json_w_key(w, "portNumber")) != 0 ||
	    (r = json_w_arr_open(w)) != 0 ||
	    (r = json_w_str(w, ports)) != 0 ||
	    (r = json_w_arr_close(w)) != 0)
		return r;
	return json_w_obj_close(w);
}

int
apimsg_start_session_body(const char *target, const char *document,
    unsigned int port, char **out)
{
	return apimsg_start_session_body_host(target, document, NULL, port,
	    out);
}

int
apimsg_start_session_body_host(const char *target, const char *document,
    const char *host, unsigned int port, char **out)
{
	struct json_writer *w;
	size_t n;
	int r;

	*out = NULL;
	if (target == NULL || (n = strlen(target)) == 0 ||
	    n > APIMSG_MAX_TARGET || port > 65535 ||
	    (document != NULL && *document == '\0'))
		return SP_ERR_INVALID_ARG;
	if (host != NULL && (port == 0 || !apimsg_host_valid(host)))
		return SP_ERR_INVALID_ARG;
	r = body_start(&w, "Target", target);
	if (r == 0 && document != NULL &&
	    (r = json_w_key(w, "DocumentName")) == 0)
		r = json_w_str(w, document);
	if (r == 0 && port != 0)
		r = put_params(w, host, port);
	return body_finish(w, r, out);
}

int
apimsg_host_valid(const char *host)
{
	size_t n = strlen(host);

	return n >= 1 && n <= APIMSG_MAX_HOST && !apimsg_has_control(host) &&
	    utf8_valid((const uint8_t *)host, n);
}

int
apimsg_session_id_body(const char *session_id, char **out)
{
	struct json_writer *w;
	int r;

	*out = NULL;
	if (!apimsg_session_id_valid(session_id))
		return SP_ERR_INVALID_ARG;
	r = body_start(&w, "SessionId", session_id);
	return body_finish(w, r, out);
}
