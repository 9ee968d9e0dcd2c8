/*
 * Absolute URLs for SigV4: splitting them, telling whether one is
 * presigned, and signing a GET of one in either form.  See sigv4.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "sigv4int.h"
#include "urlenc.h"

/* Largest host name in a URL, brackets excluded. */
#define SIGV4_MAX_HOST		255

/* URL schemes we sign for, with their default ports. */
static const struct {
	const char	*name;
	uint16_t	 port;
	int		 tls;
} schemes[] = {
	{ "https", 443, 1 },
	{ "wss", 443, 1 },
	{ "http", 80, 0 },
	{ "ws", 80, 0 },
};

/* The authority of a URL, taken apart. */
struct authority {
	const char	*start;		/* host[:port] */
	const char	*end;		/* first '/' or '?' after it, or NUL */
	const char	*host;		/* without brackets */
	const char	*host_end;
	int		 bracketed;	/* an IPv6 address in [] */
	uint32_t	 port;		/* 0: none given */
};

/* Copy n bytes at s into a new string. */
static int
dup_n(const char *s, size_t n, char **out)
{
	if ((*out = malloc(n + 1)) == NULL)
		return SP_ERR_ALLOC;
	memcpy(*out, s, n);
	(*out)[n] = '\0';
	return 0;
}

/* Host name: letters, digits, '-', '.', '_'; IPv6 inside brackets. */
static int
check_host(const char *s, size_t n, int bracketed)
{
	size_t i, colons = 0;
	uint8_t c;

	if (n == 0 || n > SIGV4_MAX_HOST)
		return SP_ERR_URL;
	for (i = 0; i < n; i++) {
		c = (uint8_t)s[i];
		if (bracketed) {
			if (c == ':')
				colons++;
			else if (hex_value(c) < 0 && c != '.')
				return SP_ERR_URL;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return SP_ERR_URL;
	}
	if (bracketed && colons < 2)
		return SP_ERR_URL;
	return 0;
}

/*
 * Length of url if it is at most SIGV4_MAX_STR bytes of visible ASCII
 * without a fragment or the characters RFC 3986 bans, else SP_ERR_URL.
 */
static int
url_length(const char *url, size_t *lenp)
{
	size_t len, i;

	*lenp = 0;
	if (url == NULL || (len = strnlen(url, SIGV4_MAX_STR + 1)) >
	    SIGV4_MAX_STR)
		return SP_ERR_URL;
	for (i = 0; i < len; i++) {
		if ((uint8_t)url[i] <= 0x20 || (uint8_t)url[i] >= 0x7f ||
		    strchr("#\"<>\\^`{|}", url[i]) != NULL)
			return SP_ERR_URL;
	}
	*lenp = len;
	return 0;
}

/* The scheme before "://" into u; *restp is what follows "://". */
static int
url_scheme(const char *url, struct sigv4_url *u, const char **restp)
{
	const char *s;
	size_t slen, i;

	if ((s = strstr(url, "://")) == NULL)
		return SP_ERR_URL;
	slen = (size_t)(s - url);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == slen &&
		    strncasecmp(url, schemes[i].name, slen) == 0)
			break;
	}
	if (i == sizeof(schemes) / sizeof(schemes[0]))
		return SP_ERR_URL;
	memcpy(u->scheme, schemes[i].name, slen + 1);
	u->port = schemes[i].port;
	u->tls = schemes[i].tls;
	*restp = s + 3;
	return 0;
}

/* ":port" from s to a->end: 1 to 65535, at most 5 digits. */
static int
url_port(const char *s, struct authority *a)
{
	uint32_t port = 0;

	if (*s != ':' || a->end - s < 2 || a->end - s > 6)
		return SP_ERR_URL;
	for (s++; s < a->end; s++) {
		if (*s < '0' || *s > '9')
			return SP_ERR_URL;
		port = port * 10 + (uint32_t)(*s - '0');
	}
	if (port == 0 || port > 65535)
		return SP_ERR_URL;
	a->port = port;
	return 0;
}

/* Authority: host[:port] from auth up to the path or query. */
static int
url_authority(const char *auth, struct authority *a)
{
	const char *s;
	int r;

	memset(a, 0, sizeof(*a));
	a->start = auth;
	a->end = auth + strcspn(auth, "/?");
	if (memchr(auth, '@', (size_t)(a->end - auth)) != NULL)
		return SP_ERR_URL;
	if (auth < a->end && *auth == '[') {
		a->bracketed = 1;
		a->host = auth + 1;
		if ((a->host_end = memchr(a->host, ']',
		    (size_t)(a->end - a->host))) == NULL)
			return SP_ERR_URL;
		s = a->host_end + 1;
	} else {
		a->host = auth;
		if ((a->host_end = memchr(a->host, ':',
		    (size_t)(a->end - a->host))) == NULL)
			a->host_end = a->end;
		s = a->host_end;
	}
	if ((r = check_host(a->host, (size_t)(a->host_end - a->host),
	    a->bracketed)) != 0)
		return r;
	if (s < a->end)
		return url_port(s, a);
	return 0;
}

/* Host and Host header: as in the URL, the port only if not the default. */
static int
url_hosts(const struct authority *a, struct sigv4_url *u)
{
	const char *hdr_end = a->bracketed ? a->host_end + 1 : a->host_end;
	struct buf b;
	int r;

	buf_init(&b, SIGV4_MAX_OUT);
	if ((r = dup_n(a->host, (size_t)(a->host_end - a->host),
	    &u->host)) != 0 ||
	    (r = buf_put(&b, a->start, (size_t)(hdr_end - a->start))) != 0)
		goto out;
	if (a->port != 0 && a->port != u->port) {
		u->port = (uint16_t)a->port;
		if ((r = buf_putf(&b, ":%u", (unsigned int)a->port)) != 0)
			goto out;
	}
	r = sigv4_take_str(&b, &u->host_header);
 out:
	buf_release(&b);
	return r;
}

/* Path from p up to '?' ("/" if none), then the query, up to end. */
static int
url_path_query(const char *p, const char *end, struct sigv4_url *u)
{
	const char *q;
	int r;

	if ((q = strchr(p, '?')) == NULL)
		q = end;
	if (!urlenc_escapes_valid(p, (size_t)(end - p)))
		return SP_ERR_URL;
	if (q == p)
		r = dup_n("/", 1, &u->path);
	else
		r = dup_n(p, (size_t)(q - p), &u->path);
	if (r != 0)
		return r;
	if (*q == '?')
		q++;
	return dup_n(q, strlen(q), &u->query);
}

int
sigv4_url_split(const char *url, struct sigv4_url **outp)
{
	struct sigv4_url *u = NULL;
	struct authority a;
	const char *auth;
	size_t len;
	int r;

	*outp = NULL;
	if ((r = url_length(url, &len)) != 0)
		return r;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return SP_ERR_ALLOC;
	if ((r = url_scheme(url, u, &auth)) != 0 ||
	    (r = url_authority(auth, &a)) != 0 ||
	    (r = url_hosts(&a, u)) != 0 ||
	    (r = url_path_query(a.end, url + len, u)) != 0) {
		sigv4_url_free(u);
		return r;
	}
	*outp = u;
	return 0;
}

void
sigv4_url_free(struct sigv4_url *u)
{
	if (u == NULL)
		return;
	sigv4_str_free(u->host);
	sigv4_str_free(u->host_header);
	sigv4_str_free(u->path);
	sigv4_str_free(u->query);
	free(u);
}

int
sigv4_url_is_presigned(const char *url, int *presigned)
{
	struct sigv4_url *u = NULL;
	struct sigv4_kv *kv = NULL;
	size_t nkv = 0, i;
	int r;

	*presigned = 0;
	if ((r = sigv4_url_split(url, &u)) != 0)
		goto out;
	if ((r = sigv4_query_parse(u->query, strlen(u->query), 0, &kv,
	    &nkv)) != 0) {
		/* Escapes were checked by the split; only ALLOC is left. */
		goto out;
	}
	for (i = 0; i < nkv; i++)
		if (sigv4_is_signing_param(kv[i].k))
			*presigned = 1;
	r = 0;
 out:
	sigv4_kvs_free(kv, nkv);
	sigv4_url_free(u);
	return r;
}

/* Sign or presign a GET of url with an empty body. */
static int
sign_url(const struct sigv4_creds *creds, const char *url,
    const struct sigv4_params *params, int presign,
    struct sigv4_result **outp)
{
	struct sigv4_url *u = NULL;
	struct sigv4_result *res = NULL;
	struct sigv4_request rq;
	struct buf b;
	int r;

	*outp = NULL;
	buf_init(&b, SIGV4_MAX_OUT);
	if ((r = sigv4_url_split(url, &u)) != 0)
		goto out;
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.host = u->host_header;
	rq.path = u->path;
	rq.query = u->query;
	if ((r = sigv4_sign(creds, &rq, params, presign, &res)) != 0)
		goto out;
	if ((r = buf_put_str(&b, u->host_header)) != 0 ||
	    (r = sigv4_take_str(&b, &res->host)) != 0)
		goto out;
	if (presign &&
	    ((r = buf_putf(&b, "%s://%s%s?%s", u->scheme, u->host_header,
	    u->path, res->query)) != 0 ||
	    (r = sigv4_take_str(&b, &res->url)) != 0))
		goto out;
	*outp = res;
	res = NULL;
	r = 0;
 out:
	sigv4_result_free(res);
	sigv4_url_free(u);
	buf_release(&b);
	return r;
}

int
sigv4_sign_url(const struct sigv4_creds *creds, const char *url,
    const struct sigv4_params *params, struct sigv4_result **out)
{
	return sign_url(creds, url, params, 0, out);
}

int
sigv4_presign_url(const struct sigv4_creds *creds, const char *url,
    const struct sigv4_params *params, struct sigv4_result **out)
{
	return sign_url(creds, url, params, 1, out);
}
