/* STS Query-protocol bodies and XML answers; see sts.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "sts.h"
#include "urlenc.h"

/*
 * Safety cap of a form body: its longest value, a web identity token, is
 * read from a file of at most 64 KiB, and encoding at most triples a
 * value.
 */
#define FORM_MAX	(4 * 1024 * 1024)

/* "&k=v" (no '&' first), v percent-encoded; nothing if v is NULL. */
static int
form_param(struct buf *b, const char *k, const char *v)
{
	int r;

	if (v == NULL)
		return 0;
	if ((buf_len(b) > 0 && (r = buf_put_str(b, "&")) != 0) ||
	    (r = buf_put_str(b, k)) != 0 || (r = buf_put_str(b, "=")) != 0)
		return r;
	return urlenc_put(b, v, strlen(v), 0);
}

int
sts_form(const struct sts_args *a, int web, char **out)
{
	struct buf b;
	char dur[24];
	int r;

	*out = NULL;
	buf_init(&b, FORM_MAX);
	dur[0] = '\0';
	if (a->duration_seconds > 0)
		snprintf(dur, sizeof(dur), "%ld", a->duration_seconds);
	if ((r = form_param(&b, "Action", web ? "AssumeRoleWithWebIdentity" :
	    "AssumeRole")) != 0 ||
	    (r = form_param(&b, "Version", "2011-06-15")) != 0 ||
	    (r = form_param(&b, "RoleArn", a->role_arn)) != 0 ||
	    (r = form_param(&b, "RoleSessionName",
	    a->role_session_name)) != 0 ||
	    (r = form_param(&b, "DurationSeconds", dur[0] != '\0' ? dur :
	    NULL)) != 0)
		goto out;
	if (web)
		r = form_param(&b, "WebIdentityToken", a->web_identity_token);
	else if ((r = form_param(&b, "ExternalId", a->external_id)) != 0 ||
	    (r = form_param(&b, "SerialNumber", a->serial_number)) != 0 ||
	    (r = form_param(&b, "TokenCode", a->token_code)) != 0)
		goto out;
	if (r == 0)
		r = buf_to_cstr(&b, out);
 out:
	buf_release(&b);
	return r;
}

/* The elements we keep, by path suffix under the root. */
enum sts_field {
	F_NONE = -1, F_AKID, F_SECRET, F_TOKEN, F_EXPIRATION, F_CODE,
	F_MESSAGE, F_N
};

static const char *const field_names[F_N] = { "AccessKeyId",
    "SecretAccessKey", "SessionToken", "Expiration", "Code", "Message" };

struct sts_parse {
	int	 depth;
	int	 in_creds;	/* depth of <Credentials>, 0 if outside */
	int	 in_error;	/* depth of <Error> */
	int	 cur;		/* field being read */
	int	 too_big;
	int	 over;		/* field over STS_MAX_TEXT, or F_NONE */
	size_t	 over_len;	/* its length so far */
	XML_Parser x;
	char	*val[F_N];
	size_t	 vlen[F_N];
};

/* Local name of a namespaced element ("ns<sep>Name" with sep '|'). */
static const char *
local(const char *n)
{
	const char *p = strrchr(n, '|');

	return p != NULL ? p + 1 : n;
}

static void
on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct sts_parse *p = arg;
	const char *n = local(name);

	p->depth++;
	p->cur = F_NONE;
	if (strcmp(n, "Credentials") == 0 && p->in_creds == 0 &&
	    p->depth == 3)
		p->in_creds = p->depth;
	else if (strcmp(n, "Error") == 0 && p->in_error == 0 &&
	    p->depth == 2)
		p->in_error = p->depth;
	else if (p->in_creds && p->depth == p->in_creds + 1) {
		if (strcmp(n, "AccessKeyId") == 0)
			p->cur = F_AKID;
		else if (strcmp(n, "SecretAccessKey") == 0)
			p->cur = F_SECRET;
		else if (strcmp(n, "SessionToken") == 0)
			p->cur = F_TOKEN;
		else if (strcmp(n, "Expiration") == 0)
			p->cur = F_EXPIRATION;
	} else if (p->in_error && p->depth == p->in_error + 1) {
		if (strcmp(n, "Code") == 0)
			p->cur = F_CODE;
		else if (strcmp(n, "Message") == 0)
			p->cur = F_MESSAGE;
	}
	if (p->cur != F_NONE && p->val[p->cur] != NULL) {
		/* A repeated element replaces the earlier one. */
		OPENSSL_clear_free(p->val[p->cur], p->vlen[p->cur] + 1);
		p->val[p->cur] = NULL;
		p->vlen[p->cur] = 0;
	}
}

static void
on_end(void *arg, const XML_Char *name)
{
	struct sts_parse *p = arg;

	if (p->in_creds == p->depth)
		p->in_creds = 0;
	if (p->in_error == p->depth)
		p->in_error = 0;
	p->depth--;
	p->cur = F_NONE;
}

static void
on_text(void *arg, const XML_Char *s, int len)
{
	struct sts_parse *p = arg;
	char *nv;
	size_t old;

	if (p->cur == F_NONE || len <= 0)
		return;
	old = p->vlen[p->cur];
	if (p->over == p->cur) {
		p->over_len += (size_t)len;
		return;
	}
	if (old + (size_t)len > STS_MAX_TEXT) {
		/* Counted on to the element's end, for the message. */
		p->over = p->cur;
		p->over_len = old + (size_t)len;
		return;
	}
	if ((nv = malloc(old + (size_t)len + 1)) == NULL) {
		p->too_big = 1;
		return;
	}
	if (p->val[p->cur] != NULL) {
		memcpy(nv, p->val[p->cur], old);
		OPENSSL_clear_free(p->val[p->cur], old + 1);
	}
	memcpy(nv + old, s, (size_t)len);
	nv[old + (size_t)len] = '\0';
	p->val[p->cur] = nv;
	p->vlen[p->cur] = old + (size_t)len;
}

/* Refuse DTDs: no entity expansion, no external anything. */
static void
on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	struct sts_parse *p = arg;

	p->too_big = 1;
	XML_StopParser(p->x, XML_FALSE);
}

static void
trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		s[--n] = '\0';
	while (s[i] != '\0' && strchr(" \t\r\n", s[i]) != NULL)
		i++;
	memmove(s, s + i, n - i + 1);
}

int
sts_parse(const char *op, long st, const void *xml, size_t len,
    enum creds_source src, struct creds **out, char code[64],
    struct errmsg *err)
{
	struct sts_parse p;
	XML_Parser x;
	time_t exp = 0;
	int i, r;

	*out = NULL;
	code[0] = '\0';
	memset(&p, 0, sizeof(p));
	p.cur = F_NONE;
	p.over = F_NONE;
	if (len > INT32_MAX || memchr(xml, '\0', len) != NULL)
		return errmsg_set(err, SP_ERR_PROTOCOL, "%s: the answer of "
		    "STS (HTTP %ld) is not XML", op, st);
	if ((x = XML_ParserCreateNS(NULL, '|')) == NULL)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	XML_SetUserData(x, &p);
	XML_SetElementHandler(x, on_start, on_end);
	XML_SetCharacterDataHandler(x, on_text);
	XML_SetStartDoctypeDeclHandler(x, on_doctype);
	p.x = x;
	if (XML_Parse(x, xml, (int)len, XML_TRUE) != XML_STATUS_OK ||
	    p.too_big) {
		r = errmsg_set(err, SP_ERR_PROTOCOL, "%s: the answer of STS "
		    "(HTTP %ld) is not well-formed XML", op, st);
		goto out;
	}
	if (p.over != F_NONE) {
		r = errmsg_set(err, SP_ERR_TOO_LARGE, "%s: the answer of STS "
		    "(HTTP %ld) has a %s of %zu bytes, over the limit of %d",
		    op, st, field_names[p.over], p.over_len, STS_MAX_TEXT);
		goto out;
	}
	for (i = 0; i < F_N; i++)
		if (p.val[i] != NULL)
			trim(p.val[i]);
	if (st < 200 || st > 299) {
		if (p.val[F_CODE] != NULL)
			snprintf(code, 64, "%s", p.val[F_CODE]);
		r = errmsg_set(err, CFG_ERR_PROCESS, "%s failed: %s: %s", op,
		    p.val[F_CODE] != NULL ? p.val[F_CODE] : "HTTP error",
		    p.val[F_MESSAGE] != NULL ? p.val[F_MESSAGE] : "(no message)");
		if (p.val[F_CODE] == NULL)
			snprintf(code, 64, "HTTP%ld", st);
		goto out;
	}
	if (p.val[F_AKID] == NULL || p.val[F_AKID][0] == '\0' ||
	    p.val[F_SECRET] == NULL || p.val[F_SECRET][0] == '\0' ||
	    p.val[F_TOKEN] == NULL || p.val[F_TOKEN][0] == '\0' ||
	    p.val[F_EXPIRATION] == NULL) {
		r = errmsg_set(err, CFG_ERR_VALUE, "%s: the answer of STS lacks "
		    "a credential field", op);
		goto out;
	}
	if (creds_parse_time(p.val[F_EXPIRATION], &exp) != 0) {
		r = errmsg_set(err, CFG_ERR_VALUE, "%s: the answer of STS has "
		    "a bad Expiration", op);
		goto out;
	}
	if ((r = creds_new(p.val[F_AKID], p.val[F_SECRET], p.val[F_TOKEN],
	    exp, src, out)) != 0)
		r = errmsg_set(err, r, "out of memory");
 out:
	for (i = 0; i < F_N; i++)
		if (p.val[i] != NULL)
			OPENSSL_clear_free(p.val[i], p.vlen[i] + 1);
	XML_ParserFree(x);
	return r;
}
