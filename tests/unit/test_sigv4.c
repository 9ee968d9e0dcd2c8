/*
 * Unit tests for protocol/sigv4.c: the whole AWS SigV4 test suite in both
 * forms (tests/vectors/sigv4, see PROVENANCE.md there), the StartSession
 * vector and the EICE presign vectors of proxy/aws/AWS-APIS.md "Signing
 * vectors", the date conversion, and negative cases.
 *
 * Run from the repository root; SIGV4_SUITE_DIR overrides the suite path.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <yajl_tree.h>

#include "test.h"
#include "rfc3339.h"
#include "sigv4.h"

#define SUITE_DIR	"tests/vectors/sigv4"
#define SUITE_CASES	38	/* case folders copied from aws-c-auth */
#define MAX_CASES	256

static const char akid[] = "AKIDEXAMPLE";
static const char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static const char empty_sha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* Compare two strings as CHECK_STR does, and say whether they matched. */
static int
same(const char *got, const char *want, const char *what)
{
	int eq = got != NULL && want != NULL && strcmp(got, want) == 0;

	test_ok(eq, __FILE__, __LINE__, what);
	if (!eq)
		printf("#   got \"%s\"\n#  want \"%s\"\n", got ? got : "(null)",
		    want ? want : "(null)");
	return eq;
}

/* Whole file dir/name as a NUL-terminated string, or NULL. */
static char *
read_file(const char *dir, const char *name, size_t *lenp)
{
	char path[1024];
	FILE *f;
	char *p = NULL, *np;
	size_t len = 0, cap = 0, n;

	if (lenp != NULL)
		*lenp = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : 4096;
			if ((np = realloc(p, cap)) == NULL) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = np;
		}
		if ((n = fread(p + len, 1, cap - len - 1, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	p[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return p;
}

/* "2015-08-30T12:36:00Z" to epoch seconds; -1 if malformed. */
static int64_t
parse_iso(const char *s)
{
	int64_t t;
	int y, mo, d, h, mi, sec;
	char z;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec,
	    &z) != 7 || z != 'Z' || rfc3339_parse(s, &t) != 0)
		return -1;
	return t;
}

static int
unhex1(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A query string as a sorted, '&'-joined list of percent-decoded k=v
 * pairs, so that two queries can be compared regardless of parameter
 * order and of which characters were escaped.  Caller frees.
 */
static char *
query_set(const char *q, size_t qlen)
{
	char *copy, *s, *e, *out, **pairs, *d;
	size_t n = 0, i, len;
	int hi, lo;

	if ((copy = malloc(qlen + 1)) == NULL ||
	    (pairs = calloc(qlen + 1, sizeof(*pairs))) == NULL ||
	    (out = malloc(qlen + 2)) == NULL)
		abort();
	memcpy(copy, q, qlen);
	copy[qlen] = '\0';
	for (s = copy; *s != '\0'; s = e) {
		e = s + strcspn(s, "&");
		if (*e == '&')
			*e++ = '\0';
		/* Decode in place; "%3D" becomes '=' but stays a value. */
		for (d = s, i = 0; s[i] != '\0'; i++) {
			if (s[i] == '%' && (hi = unhex1(s[i + 1])) >= 0 &&
			    (lo = unhex1(s[i + 2])) >= 0) {
				*d++ = (char)(hi << 4 | lo);
				i += 2;
			} else
				*d++ = s[i];
		}
		*d = '\0';
		if (*s != '\0')
			pairs[n++] = s;
	}
	qsort(pairs, n, sizeof(*pairs), cmp_str);
	out[0] = '\0';
	for (i = 0, len = 0; i < n; i++) {
		len += (size_t)snprintf(out + len, qlen + 2 - len, "%s%s",
		    i ? "&" : "", pairs[i]);
	}
	free(pairs);
	free(copy);
	return out;
}

/* The value of the first "Name:value" line of a signed request file. */
static char *
header_line(const char *text, const char *name)
{
	size_t nlen = strlen(name), vlen;
	const char *s;
	char *v;

	for (s = text; s != NULL && *s != '\0'; s = strchr(s, '\n'),
	    s = s ? s + 1 : NULL) {
		if (strncasecmp(s, name, nlen) == 0 && s[nlen] == ':') {
			s += nlen + 1;
			vlen = strcspn(s, "\n");
			if ((v = malloc(vlen + 1)) == NULL)
				abort();
			memcpy(v, s, vlen);
			v[vlen] = '\0';
			return v;
		}
	}
	return NULL;
}

/* The query of the request line of a signed request file. */
static char *
request_line_query(const char *text)
{
	const char *q, *end, *v;

	end = text + strcspn(text, "\n");
	if ((q = memchr(text, '?', (size_t)(end - text))) == NULL)
		return query_set("", 0);
	q++;
	/* The version is after the last " HTTP/" of the line. */
	for (v = end; v > q && strncmp(v, " HTTP/", 6) != 0; v--)
		;
	return query_set(q, (size_t)(v - q));
}

/* A parsed suite case. */
struct scase {
	char			*ctx_text;
	yajl_val		 ctx;
	char			*req_text;
	char			*target;
	char			*names[SIGV4_MAX_HEADERS];
	char			*values[SIGV4_MAX_HEADERS];
	struct sigv4_header	 hdrs[SIGV4_MAX_HEADERS];
	struct sigv4_creds	 creds;
	struct sigv4_request	 req;
	struct sigv4_params	 params;
};

static void
scase_free(struct scase *c)
{
	size_t i;

	for (i = 0; i < SIGV4_MAX_HEADERS; i++) {
		free(c->names[i]);
		free(c->values[i]);
	}
	free(c->target);
	free(c->req_text);
	free(c->ctx_text);
	if (c->ctx != NULL)
		yajl_tree_free(c->ctx);
}

static const char *
ctx_str(yajl_val ctx, const char *a, const char *b)
{
	const char *path[3] = { a, b, NULL };
	yajl_val v = yajl_tree_get(ctx, path, yajl_t_string);

	return v != NULL ? YAJL_GET_STRING(v) : NULL;
}

static int
ctx_true(yajl_val ctx, const char *a)
{
	const char *path[2] = { a, NULL };
	yajl_val v = yajl_tree_get(ctx, path, yajl_t_true);

	return v != NULL && YAJL_IS_TRUE(v);
}

static long long
ctx_int(yajl_val ctx, const char *a)
{
	const char *path[2] = { a, NULL };
	yajl_val v = yajl_tree_get(ctx, path, yajl_t_number);

	return v != NULL && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

/*
 * request.txt: request line, headers (a line starting with white space
 * continues the previous header; the line break is kept, as a folded
 * header would arrive), blank line, body.  The path may hold spaces, so
 * the version is found from the end of the line.
 */
static int
parse_request(struct scase *c)
{
	char *s = c->req_text, *eol, *v, *q, *colon, *np;
	size_t nh = 0, vlen, add, i;
	int last;

	eol = s + strcspn(s, "\n");
	if (*eol == '\0')
		return -1;
	*eol = '\0';
	if ((v = strrchr(s, ' ')) == NULL || strncmp(v, " HTTP/", 6) != 0)
		return -1;
	*v = '\0';
	if ((q = strchr(s, ' ')) == NULL)
		return -1;
	*q++ = '\0';
	c->req.method = s;
	if ((c->target = strdup(q)) == NULL)
		abort();
	if ((q = strchr(c->target, '?')) != NULL) {
		*q++ = '\0';
		c->req.query = q;
	}
	c->req.path = c->target;

	for (s = eol + 1; *s != '\0'; s = eol + 1) {
		if (*s == '\n') {
			/* Body: everything after the blank line. */
			c->req.body = s + 1;
			c->req.body_len = strlen(s + 1);
			break;
		}
		eol = s + strcspn(s, "\n");
		last = *eol == '\0';
		*eol = '\0';
		if (*s == ' ' || *s == '\t') {
			if (nh == 0)
				return -1;
			vlen = strlen(c->values[nh - 1]);
			add = strlen(s);
			if ((np = realloc(c->values[nh - 1],
			    vlen + 1 + add + 1)) == NULL)
				abort();
			np[vlen] = '\n';
			memcpy(np + vlen + 1, s, add + 1);
			c->values[nh - 1] = np;
		} else {
			if ((colon = strchr(s, ':')) == NULL ||
			    nh == SIGV4_MAX_HEADERS)
				return -1;
			*colon = '\0';
			if ((c->names[nh] = strdup(s)) == NULL ||
			    (c->values[nh] = strdup(colon + 1)) == NULL)
				abort();
			nh++;
		}
		if (last)
			break;
	}
	/* Host is its own field; the rest are extra headers. */
	c->req.nheaders = 0;
	for (i = 0; i < nh; i++) {
		if (strcasecmp(c->names[i], "host") == 0) {
			c->req.host = c->values[i] + strspn(c->values[i], " ");
			continue;
		}
		c->hdrs[c->req.nheaders].name = c->names[i];
		c->hdrs[c->req.nheaders].value = c->values[i];
		c->req.nheaders++;
	}
	c->req.headers = c->hdrs;
	return c->req.host != NULL ? 0 : -1;
}

static int
load_case(const char *dir, struct scase *c)
{
	char err[256];
	const char *ts;

	memset(c, 0, sizeof(*c));
	if ((c->ctx_text = read_file(dir, "context.json", NULL)) == NULL ||
	    (c->req_text = read_file(dir, "request.txt", NULL)) == NULL)
		return -1;
	if ((c->ctx = yajl_tree_parse(c->ctx_text, err, sizeof(err))) == NULL) {
		printf("#   %s: context.json: %s\n", dir, err);
		return -1;
	}
	c->creds.access_key_id = ctx_str(c->ctx, "credentials",
	    "access_key_id");
	c->creds.secret_key = ctx_str(c->ctx, "credentials",
	    "secret_access_key");
	c->creds.session_token = ctx_str(c->ctx, "credentials", "token");
	c->params.region = ctx_str(c->ctx, "region", NULL);
	c->params.service = ctx_str(c->ctx, "service", NULL);
	if ((ts = ctx_str(c->ctx, "timestamp", NULL)) == NULL ||
	    (c->params.time = parse_iso(ts)) < 0 ||
	    ctx_int(c->ctx, "expiration_in_seconds") <= 0)
		return -1;
	c->params.expires = (uint32_t)ctx_int(c->ctx, "expiration_in_seconds");
	if (!ctx_true(c->ctx, "normalize"))
		c->params.flags |= SIGV4_NO_NORMALIZE;
	if (ctx_true(c->ctx, "sign_body"))
		c->params.flags |= SIGV4_SIGN_BODY;
	if (ctx_true(c->ctx, "omit_session_token"))
		c->params.flags |= SIGV4_TOKEN_UNSIGNED;
	return parse_request(c);
}

/* Compare got with the file dir/name; what names the check. */
static int
same_file(const char *got, const char *dir, const char *name,
    const char *cname)
{
	char what[300], *want;
	int eq;

	snprintf(what, sizeof(what), "%s %s", cname, name);
	want = read_file(dir, name, NULL);
	eq = same(got, want, what);
	free(want);
	return eq;
}

/* One suite case in both forms; 1 if everything matched. */
static int
run_case(const char *root, const char *cname)
{
	struct scase c;
	struct sigv4_result *res = NULL;
	char dir[1024], what[300], *text, *v, *want_q, *got_q;
	int ok = 1, r;

	snprintf(dir, sizeof(dir), "%s/%s", root, cname);
	snprintf(what, sizeof(what), "%s: parse context and request", cname);
	r = load_case(dir, &c);
	test_ok(r == 0, __FILE__, __LINE__, what);
	if (r != 0) {
		scase_free(&c);
		return 0;
	}

	/* Header form. */
	r = sigv4_sign_header(&c.creds, &c.req, &c.params, &res);
	snprintf(what, sizeof(what), "%s: header form signs", cname);
	test_ok(r == 0 && res != NULL, __FILE__, __LINE__, what);
	if (r != 0)
		printf("#   %s\n", sp_err_str(r));
	ok &= r == 0;
	if (res != NULL) {
		ok &= same_file(res->canonical_request, dir,
		    "header-canonical-request.txt", cname);
		ok &= same_file(res->string_to_sign, dir,
		    "header-string-to-sign.txt", cname);
		ok &= same_file(res->signature, dir, "header-signature.txt",
		    cname);
		text = read_file(dir, "header-signed-request.txt", NULL);
		v = text ? header_line(text, "Authorization") : NULL;
		snprintf(what, sizeof(what), "%s: Authorization", cname);
		ok &= same(res->authorization, v, what);
		free(v);
		v = text ? header_line(text, "X-Amz-Date") : NULL;
		snprintf(what, sizeof(what), "%s: X-Amz-Date", cname);
		ok &= same(res->amz_date, v, what);
		free(v);
		if (c.params.flags & SIGV4_SIGN_BODY) {
			v = header_line(text, "x-amz-content-sha256");
			snprintf(what, sizeof(what), "%s: x-amz-content-sha256",
			    cname);
			ok &= same(res->payload_hash, v, what);
			free(v);
		}
		free(text);
	}
	sigv4_result_free(res);
	res = NULL;

	/* Query form. */
	r = sigv4_presign(&c.creds, &c.req, &c.params, &res);
	snprintf(what, sizeof(what), "%s: query form signs", cname);
	test_ok(r == 0 && res != NULL, __FILE__, __LINE__, what);
	if (r != 0)
		printf("#   %s\n", sp_err_str(r));
	ok &= r == 0;
	if (res != NULL) {
		ok &= same_file(res->canonical_request, dir,
		    "query-canonical-request.txt", cname);
		ok &= same_file(res->string_to_sign, dir,
		    "query-string-to-sign.txt", cname);
		ok &= same_file(res->signature, dir, "query-signature.txt",
		    cname);
		text = read_file(dir, "query-signed-request.txt", NULL);
		want_q = text ? request_line_query(text) : NULL;
		got_q = query_set(res->query, strlen(res->query));
		snprintf(what, sizeof(what), "%s: presigned query parameters",
		    cname);
		ok &= same(got_q, want_q, what);
		free(want_q);
		free(got_q);
		free(text);
	}
	sigv4_result_free(res);
	scase_free(&c);
	return ok;
}

static void
test_suite(void)
{
	const char *root = getenv("SIGV4_SUITE_DIR");
	char *names[MAX_CASES], path[1024];
	struct dirent *de;
	struct stat st;
	size_t n = 0, i, passed = 0;
	DIR *d;

	if (root == NULL || *root == '\0')
		root = SUITE_DIR;
	d = opendir(root);
	CHECK(d != NULL, "open the SigV4 suite directory");
	if (d == NULL) {
		printf("#   %s: not found (run from the repository root)\n",
		    root);
		return;
	}
	while ((de = readdir(d)) != NULL && n < MAX_CASES) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/context.json", root,
		    de->d_name);
		if (stat(path, &st) != 0)
			continue;
		if ((names[n++] = strdup(de->d_name)) == NULL)
			abort();
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n; i++) {
		if (run_case(root, names[i]))
			passed++;
		else
			printf("#   case %s FAILED\n", names[i]);
		free(names[i]);
	}
	CHECK_EQ(n, SUITE_CASES, "every case folder of the suite is present");
	CHECK_EQ(passed, n, "every suite case passes in both forms");
	printf("#> SigV4 suite: %zu of %zu cases passed in both forms "
	    "(header and query)\n", passed, n);
}

/* AWS-APIS.md "Signing vectors": StartSession, without and with a session
 * token. */
static void
test_start_session(void)
{
	static const char body[] = "{\"Target\":\"i-0123456789abcdef0\","
	    "\"DocumentName\":\"AWS-StartSSHSession\",\"Parameters\":"
	    "{\"portNumber\":[\"22\"]}}";
	static const struct sigv4_header hdrs[] = {
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "X-Amz-Target", "AmazonSSM.StartSession" },
	};
	struct sigv4_creds creds = { akid, secret, NULL };
	struct sigv4_request req = {
		"POST", "ssm.us-east-1.amazonaws.com", "/", NULL,
		hdrs, 2, body, sizeof(body) - 1, NULL,
	};
	struct sigv4_params params = { "us-east-1", "ssm", 1704067200, 0, 0 };
	struct sigv4_result *res = NULL;

	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == 0,
	    "StartSession: sign");
	if (res == NULL)
		return;
	CHECK_STR(res->payload_hash,
	    "520aa003b60e980e9e1f2b9e2cf33247d58ce72318c6cf8e7608199d9f327541",
	    "StartSession: body hash");
	CHECK_STR(res->amz_date, "20240101T000000Z", "StartSession: date");
	CHECK_STR(res->canonical_request,
	    "POST\n/\n\n"
	    "content-type:application/x-amz-json-1.1\n"
	    "host:ssm.us-east-1.amazonaws.com\n"
	    "x-amz-date:20240101T000000Z\n"
	    "x-amz-target:AmazonSSM.StartSession\n\n"
	    "content-type;host;x-amz-date;x-amz-target\n"
	    "520aa003b60e980e9e1f2b9e2cf33247d58ce72318c6cf8e7608199d9f327541",
	    "StartSession: canonical request");
	CHECK_STR(res->string_to_sign,
	    "AWS4-HMAC-SHA256\n20240101T000000Z\n"
	    "20240101/us-east-1/ssm/aws4_request\n"
	    "66097fbecfaa1eb2508d9f384d9009fc3438abb645be166a73cfbc5833f42a16",
	    "StartSession: string to sign");
	CHECK_STR(res->authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ssm/"
	    "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
	    "x-amz-target, Signature=9fdf243f3aad6352da3ca115bc23e28bc57481bb"
	    "ff73f63d1f2a9d051c6b9b00", "StartSession: Authorization");
	CHECK(res->query == NULL && res->url == NULL,
	    "StartSession: no query-form output");
	sigv4_result_free(res);

	creds.session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == 0,
	    "StartSession with token: sign");
	if (res == NULL)
		return;
	CHECK(strstr(res->canonical_request, "\nx-amz-security-token:"
	    "FQoGZXIvYXdzEXAMPLETOKEN\n") != NULL,
	    "StartSession with token: token header signed");
	CHECK_STR(res->signed_headers,
	    "content-type;host;x-amz-date;x-amz-security-token;x-amz-target",
	    "StartSession with token: signed headers");
	CHECK_STR(res->authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ssm/"
	    "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
	    "x-amz-security-token;x-amz-target, Signature=ee2e8771d39a63f36e5"
	    "02702c756139f0ce4784e7a83f837b90fcedd5d9ab1e6",
	    "StartSession with token: Authorization");
	CHECK(strstr(res->authorization, "FQoG") == NULL &&
	    strstr(res->string_to_sign, "FQoG") == NULL,
	    "StartSession with token: token only in the token header");
	sigv4_result_free(res);
}

/* Line n (0-based) of s, copied; caller frees. */
static char *
nth_line(const char *s, int n)
{
	size_t len;
	char *out;

	while (n-- > 0 && s != NULL)
		if ((s = strchr(s, '\n')) != NULL)
			s++;
	if (s == NULL)
		return strdup("");
	len = strcspn(s, "\n");
	if ((out = malloc(len + 1)) == NULL)
		abort();
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

/* AWS-APIS.md "Signing vectors": the EICE presign vectors A and B, URL
 * in the CLI's order. */
static void
test_eice(void)
{
	static const char host_a[] =
	    "eice-123.ec2-instance-connect-endpoint.us-west-2.amazonaws.com";
	static const char query_a[] = "instanceConnectEndpointId=eice-123&"
	    "remotePort=22&privateIpAddress=10.0.0.0&maxTunnelDuration=1";
	static const char cq_a[] = "X-Amz-Algorithm=AWS4-HMAC-SHA256&"
	    "X-Amz-Credential=access_key%2F20200101%2Fus-west-2%2F"
	    "ec2-instance-connect%2Faws4_request&X-Amz-Date=20200101T010101Z&"
	    "X-Amz-Expires=60&X-Amz-SignedHeaders=host&"
	    "instanceConnectEndpointId=eice-123&maxTunnelDuration=1&"
	    "privateIpAddress=10.0.0.0&remotePort=22";
	static const char url_a[] = "eice-123.ec2-instance-connect-endpoint."
	    "us-west-2.amazonaws.com/openTunnel?instanceConnectEndpointId="
	    "eice-123&remotePort=22&privateIpAddress=10.0.0.0&"
	    "maxTunnelDuration=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
	    "X-Amz-Credential=access_key%2F20200101%2Fus-west-2%2F"
	    "ec2-instance-connect%2Faws4_request&X-Amz-Date=20200101T010101Z&"
	    "X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature="
	    "3a56740422a5b9aebd22d860b7a30c729e459a6f71a83bc0de3a2b44b7353f28";
	static const char cq_b[] = "X-Amz-Algorithm=AWS4-HMAC-SHA256&"
	    "X-Amz-Credential=AKIDEXAMPLE%2F20260315%2Feu-central-1%2F"
	    "ec2-instance-connect%2Faws4_request&X-Amz-Date=20260315T120000Z&"
	    "X-Amz-Expires=60&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2F"
	    "token%2Bwith%3Dchars&X-Amz-SignedHeaders=host&"
	    "instanceConnectEndpointId=eice-0123456789abcdef0&privateIpAddress="
	    "2600%3A1f10%3A4f8e%3Adb01%3A73f5%3A6b9d%3Ac0da%3A1c27&"
	    "remotePort=22";
	static const char url_b[] = "wss://eice-0123456789abcdef0."
	    "ec2-instance-connect-endpoint.eu-central-1.amazonaws.com/"
	    "openTunnel?instanceConnectEndpointId=eice-0123456789abcdef0&"
	    "remotePort=22&privateIpAddress=2600%3A1f10%3A4f8e%3Adb01%3A73f5%3A"
	    "6b9d%3Ac0da%3A1c27&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
	    "X-Amz-Credential=AKIDEXAMPLE%2F20260315%2Feu-central-1%2F"
	    "ec2-instance-connect%2Faws4_request&X-Amz-Date=20260315T120000Z&"
	    "X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token="
	    "IQoJb3JpZ2luX2VjEXAMPLE%2Ftoken%2Bwith%3Dchars&X-Amz-Signature="
	    "642896196c963c1e7536316f3f3b844abacd88892d336515cfa9bed9edc8e23a";
	struct sigv4_creds creds_a = { "access_key", "secret_key", NULL };
	struct sigv4_creds creds_b = { akid, secret,
	    "IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars" };
	struct sigv4_params pa = { "us-west-2", "ec2-instance-connect",
	    parse_iso("2020-01-01T01:01:01Z"), 60, 0 };
	struct sigv4_params pb = { "eu-central-1", "ec2-instance-connect",
	    parse_iso("2026-03-15T12:00:00Z"), 60, 0 };
	struct sigv4_request req = { "GET", host_a, "/openTunnel", query_a,
	    NULL, 0, NULL, 0, NULL };
	struct sigv4_result *res = NULL;
	char url[1024], *line;

	/* Vector A through the URL convenience. */
	snprintf(url, sizeof(url), "wss://%s/openTunnel?%s", host_a, query_a);
	CHECK(sigv4_presign_url(&creds_a, url, &pa, &res) == 0,
	    "EICE A: presign");
	if (res == NULL)
		return;
	line = nth_line(res->canonical_request, 2);
	CHECK_STR(line, cq_a, "EICE A: canonical query");
	free(line);
	line = nth_line(res->string_to_sign, 3);
	CHECK_STR(line,
	    "f38050aa9d06479e163e2a4b92e798774b3af127a3cac4d191ae2ab74951b814",
	    "EICE A: hash of canonical request");
	free(line);
	CHECK_STR(res->signature,
	    "3a56740422a5b9aebd22d860b7a30c729e459a6f71a83bc0de3a2b44b7353f28",
	    "EICE A: signature");
	CHECK(strncmp(res->url, "wss://", 6) == 0, "EICE A: wss scheme");
	CHECK_STR(res->url + 6, url_a, "EICE A: URL in the CLI's order");
	CHECK_STR(res->host, host_a, "EICE A: Host without port 443");
	CHECK(res->authorization == NULL, "EICE A: no Authorization");
	sigv4_result_free(res);

	/* Vector A negative: UNSIGNED-PAYLOAD signs something else. */
	req.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	CHECK(sigv4_presign(&creds_a, &req, &pa, &res) == 0,
	    "EICE A unsigned payload: presign");
	if (res != NULL) {
		CHECK_STR(res->signature, "962d235a7d8b8ef597fb712c1939799f"
		    "e78b395301fb9dbbe5c5c66bbae5a6a2",
		    "EICE A unsigned payload: the other signature");
		CHECK(strcmp(res->signature, "3a56740422a5b9aebd22d860b7a30c729"
		    "e459a6f71a83bc0de3a2b44b7353f28") != 0,
		    "EICE A unsigned payload: differs from the right one");
	}
	sigv4_result_free(res);

	/* Vector A through sigv4_presign with the empty body: same URL. */
	req.payload_hash = NULL;
	CHECK(sigv4_presign(&creds_a, &req, &pa, &res) == 0,
	    "EICE A: presign request");
	if (res != NULL)
		CHECK_STR(res->query, strchr(url_a, '?') + 1,
		    "EICE A: query of sigv4_presign");
	sigv4_result_free(res);

	/* Vector B: token and an IPv6 address, no duration. */
	snprintf(url, sizeof(url), "wss://eice-0123456789abcdef0."
	    "ec2-instance-connect-endpoint.eu-central-1.amazonaws.com/"
	    "openTunnel?instanceConnectEndpointId=eice-0123456789abcdef0&"
	    "remotePort=22&privateIpAddress="
	    "2600:1f10:4f8e:db01:73f5:6b9d:c0da:1c27");
	CHECK(sigv4_presign_url(&creds_b, url, &pb, &res) == 0,
	    "EICE B: presign");
	if (res == NULL)
		return;
	line = nth_line(res->canonical_request, 2);
	CHECK_STR(line, cq_b, "EICE B: canonical query");
	free(line);
	line = nth_line(res->string_to_sign, 3);
	CHECK_STR(line,
	    "530e72dc81f9f6c554ab7cccad78e74d5e45f699db5dee3ee58ad5bfd8266e33",
	    "EICE B: hash of canonical request");
	free(line);
	CHECK_STR(res->signature,
	    "642896196c963c1e7536316f3f3b844abacd88892d336515cfa9bed9edc8e23a",
	    "EICE B: signature");
	CHECK_STR(res->url, url_b, "EICE B: URL in the CLI's order");
	sigv4_result_free(res);
}

/* HMAC-SHA256 for the independent key chain below. */
static void
hmac(const void *k, size_t klen, const char *d, uint8_t out[32])
{
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), k, (int)klen, (const uint8_t *)d, strlen(d),
	    out, &n) == NULL || n != 32)
		abort();
}

/* The signature equals HMAC(kSigning, string to sign), derived here. */
static void
test_key_chain(void)
{
	struct sigv4_creds creds = { akid, secret, NULL };
	struct sigv4_request req = { "GET", "example.amazonaws.com", "/",
	    NULL, NULL, 0, NULL, 0, NULL };
	struct sigv4_params params = { "us-east-1", "service", 1440938160,
	    0, 0 };
	struct sigv4_result *res = NULL;
	uint8_t k[32], k2[32], *sig;
	char ksecret[64];
	size_t n = 0;

	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == 0,
	    "key chain: sign");
	if (res == NULL)
		return;
	CHECK_STR(res->payload_hash, empty_sha256, "empty body hash");
	snprintf(ksecret, sizeof(ksecret), "AWS4%s", secret);
	hmac(ksecret, strlen(ksecret), "20150830", k);
	hmac(k, 32, "us-east-1", k2);
	hmac(k2, 32, "service", k);
	hmac(k, 32, "aws4_request", k2);
	hmac(k2, 32, res->string_to_sign, k);
	sig = test_unhex(res->signature, &n);
	CHECK_MEM(sig, n, k, sizeof(k), "key chain: signature");
	free(sig);
	sigv4_result_free(res);
}

/* sigv4_amz_date against the C library, plus fixed points and range. */
static void
test_dates(void)
{
	static const struct { int64_t t; const char *s; } fixed[] = {
		{ 0, "19700101T000000Z" },
		{ 951782400, "20000229T000000Z" },
		{ 951868799, "20000229T235959Z" },
		{ 1440938160, "20150830T123600Z" },
		{ 1709164800, "20240229T000000Z" },
		{ 4107542400LL, "21000301T000000Z" },
		{ 253402300799LL, "99991231T235959Z" },
	};
	char out[SIGV4_DATE_LEN + 1], want[32];
	struct tm tm;
	time_t tt;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		CHECK(sigv4_amz_date(fixed[i].t, out) == 0, "date in range");
		CHECK_STR(out, fixed[i].s, "date formatted");
	}
	for (i = 0; i < 100000; i++) {
		tt = (time_t)(test_rand() % 253402300800ULL);
		if (gmtime_r(&tt, &tm) == NULL ||
		    sigv4_amz_date((int64_t)tt, out) != 0)
			bad++;
		else {
			strftime(want, sizeof(want), "%Y%m%dT%H%M%SZ", &tm);
			if (strcmp(out, want) != 0 && bad++ == 0)
				printf("#   %lld: got %s, want %s\n",
				    (long long)tt, out, want);
		}
	}
	CHECK_EQ(bad, 0, "100000 random times agree with gmtime_r");
	CHECK(sigv4_amz_date(-1, out) == SP_ERR_TIME && out[0] == '\0',
	    "negative time refused");
	CHECK(sigv4_amz_date(253402300800LL, out) == SP_ERR_TIME,
	    "year 10000 refused");
	CHECK(sigv4_amz_date(INT64_MAX, out) == SP_ERR_TIME,
	    "INT64_MAX refused");
}

/* Splitting URLs: good ones, the Host header rule, and malformed ones. */
static void
test_urls(void)
{
	static const char *const bad[] = {
		"", "host/path", "ftp://h/", "https:/h/", "https://",
		"https:///path", "https://user@h/", "https://u:p@h/",
		"https://h:/", "https://h:0/", "https://h:65536/",
		"https://h:123456/", "https://h:8a/", "https://h:1:2/",
		"https://h/p#frag", "https://h/p q", "https://h/%zz",
		"https://h/?a=%2", "https://h/?a=%", "https://[::1/",
		"https://[zz]/", "https://[1]/", "https://h\n/", "https://h\t/",
		"https://h\xc3\xa9/", "https://h/\x7f", "https://h/a\\b",
		"https://h{/", "https://h!/", "https://:443/", "wss://[]:1/",
		"https//h/", "httpss://h/", "https://h/\"x\"",
	};
	struct sigv4_url *u = NULL;
	char *big;
	size_t i;
	int r, pre;

	CHECK(sigv4_url_split("https://ssm.us-east-1.amazonaws.com/a/b?x=1&y",
	    &u) == 0, "split https URL");
	if (u != NULL) {
		CHECK_STR(u->scheme, "https", "scheme");
		CHECK_STR(u->host, "ssm.us-east-1.amazonaws.com", "host");
		CHECK_EQ(u->port, 443, "default port");
		CHECK_EQ(u->tls, 1, "https is TLS");
		CHECK_STR(u->host_header, "ssm.us-east-1.amazonaws.com",
		    "Host header without default port");
		CHECK_STR(u->path, "/a/b", "path");
		CHECK_STR(u->query, "x=1&y", "query");
	}
	sigv4_url_free(u);
	CHECK(sigv4_url_split("WSS://H.example:443", &u) == 0,
	    "split URL with explicit default port, no path");
	if (u != NULL) {
		CHECK_STR(u->scheme, "wss", "scheme lower-cased");
		CHECK_STR(u->host_header, "H.example", "explicit :443 dropped");
		CHECK_STR(u->path, "/", "empty path is /");
		CHECK_STR(u->query, "", "no query");
	}
	sigv4_url_free(u);
	CHECK(sigv4_url_split("ws://localhost:8080?role=x", &u) == 0,
	    "split ws URL with port and query, no path");
	if (u != NULL) {
		CHECK_EQ(u->port, 8080, "non-default port");
		CHECK_EQ(u->tls, 0, "ws is not TLS");
		CHECK_STR(u->host_header, "localhost:8080",
		    "Host header keeps a non-default port");
		CHECK_STR(u->path, "/", "path / before the query");
		CHECK_STR(u->query, "role=x", "query without path");
	}
	sigv4_url_free(u);
	CHECK(sigv4_url_split("http://h:443/", &u) == 0 && u != NULL &&
	    strcmp(u->host_header, "h:443") == 0 && u->port == 443,
	    "443 is not the default of http");
	sigv4_url_free(u);
	CHECK(sigv4_url_split("https://[::1]:08443/x?a?b", &u) == 0,
	    "split IPv6 URL");
	if (u != NULL) {
		CHECK_STR(u->host, "::1", "IPv6 host without brackets");
		CHECK_STR(u->host_header, "[::1]:8443",
		    "IPv6 Host header with brackets and port");
		CHECK_STR(u->query, "a?b", "'?' inside the query");
	}
	sigv4_url_free(u);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		u = (struct sigv4_url *)1;
		r = sigv4_url_split(bad[i], &u);
		if (r != SP_ERR_URL || u != NULL)
			printf("#   accepted or wrong error: \"%s\"\n", bad[i]);
		CHECK(r == SP_ERR_URL && u == NULL, "malformed URL refused");
		pre = 1;
		CHECK(sigv4_url_is_presigned(bad[i], &pre) == SP_ERR_URL &&
		    pre == 0, "malformed URL refused by presigned check");
	}
	CHECK(sigv4_url_split(NULL, &u) == SP_ERR_URL, "NULL URL refused");

	/* Over-long URL. */
	if ((big = malloc(SIGV4_MAX_STR + 2)) == NULL)
		abort();
	memset(big, 'a', SIGV4_MAX_STR + 1);
	memcpy(big, "https://h/", 10);
	big[SIGV4_MAX_STR + 1] = '\0';
	CHECK(sigv4_url_split(big, &u) == SP_ERR_URL && u == NULL,
	    "URL over SIGV4_MAX_STR refused");
	big[SIGV4_MAX_STR] = '\0';
	CHECK(sigv4_url_split(big, &u) == 0, "URL of SIGV4_MAX_STR accepted");
	sigv4_url_free(u);
	free(big);
	sigv4_url_free(NULL);
}

static void
test_presigned_detection(void)
{
	static const struct { const char *url; int want; } cases[] = {
		{ "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/"
		    "user-0123456789abcdef0?role=publish_subscribe&cell-number="
		    "AAEAAQ%3D%3D", 0 },
		{ "wss://h/p", 0 },
		{ "wss://h/p?", 0 },
		{ "wss://h/p?X-Amz-Foo=1&a=X-Amz-Signature", 0 },
		{ "wss://h/X-Amz-Signature?a=1", 0 },
		{ "wss://h/p?X-Amz-Algorithm=AWS4-HMAC-SHA256", 1 },
		{ "wss://h/p?a=1&X-Amz-Credential=x", 1 },
		{ "wss://h/p?X-Amz-Date=1", 1 },
		{ "wss://h/p?X-Amz-Expires=60", 1 },
		{ "wss://h/p?X-Amz-SignedHeaders=host", 1 },
		{ "wss://h/p?X-Amz-Signature=00", 1 },
		{ "wss://h/p?X-Amz-Security-Token", 1 },
		{ "wss://h/p?x-amz-date=1", 1 },
		{ "wss://h/p?X%2DAmz%2DSignature=1", 1 },
		{ "wss://h/p?a=1&&X-Amz-Expires=1&", 1 },
	};
	char what[200];
	size_t i;
	int pre;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pre = -1;
		snprintf(what, sizeof(what), "presigned(%s) is %d",
		    cases[i].url, cases[i].want);
		CHECK(sigv4_url_is_presigned(cases[i].url, &pre) == 0 &&
		    pre == cases[i].want, what);
	}
}

static int
starts_with(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Signing URLs: the websocket upgrade, ports, and consistency. */
static void
test_sign_url(void)
{
	static const char stream[] = "wss://ssmmessages.us-east-1.amazonaws."
	    "com/v1/data-channel/user-0123456789abcdef0?role=publish_subscribe"
	    "&cell-number=AAEAAQ%3d%3D+x";
	struct sigv4_creds creds = { akid, secret, "TOKEN/with+chars=" };
	struct sigv4_params params = { "us-east-1", "ssmmessages",
	    1704067200, 0, 0 };
	struct sigv4_request req;
	struct sigv4_result *res = NULL, *res2 = NULL;
	char want[1024];

	CHECK(sigv4_sign_url(&creds, stream, &params, &res) == 0,
	    "sign StreamUrl");
	if (res == NULL)
		return;
	snprintf(want, sizeof(want), "%s%s",
	    "GET\n/v1/data-channel/user-0123456789abcdef0\n"
	    "cell-number=AAEAAQ%3D%3D%2Bx&role=publish_subscribe\n"
	    "host:ssmmessages.us-east-1.amazonaws.com\n"
	    "x-amz-date:20240101T000000Z\n"
	    "x-amz-security-token:TOKEN/with+chars=\n\n"
	    "host;x-amz-date;x-amz-security-token\n", empty_sha256);
	CHECK_STR(res->canonical_request, want, "StreamUrl canonical request");
	CHECK_STR(res->host, "ssmmessages.us-east-1.amazonaws.com",
	    "StreamUrl Host header");
	CHECK(starts_with(res->authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/"
	    "ssmmessages/aws4_request, SignedHeaders=host;x-amz-date;"
	    "x-amz-security-token, Signature=") &&
	    strlen(res->authorization) == 211, "StreamUrl Authorization");
	CHECK(strstr(res->authorization, secret) == NULL &&
	    strstr(res->canonical_request, secret) == NULL &&
	    strstr(res->string_to_sign, secret) == NULL,
	    "the secret key appears in no output");

	/* The same request through sigv4_sign_header signs the same. */
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.host = "ssmmessages.us-east-1.amazonaws.com";
	req.path = "/v1/data-channel/user-0123456789abcdef0";
	req.query = "role=publish_subscribe&cell-number=AAEAAQ%3d%3D+x";
	CHECK(sigv4_sign_header(&creds, &req, &params, &res2) == 0 &&
	    res2 != NULL && strcmp(res2->signature, res->signature) == 0,
	    "sign_url and sign_header agree");
	sigv4_result_free(res2);
	sigv4_result_free(res);

	/* A non-default port is part of the signed Host. */
	creds.session_token = NULL;
	CHECK(sigv4_sign_url(&creds, "https://ssm.example:8443/", &params,
	    &res) == 0 && res != NULL, "sign URL with port 8443");
	if (res != NULL) {
		CHECK_STR(res->host, "ssm.example:8443",
		    "Host keeps port 8443");
		CHECK(strstr(res->canonical_request,
		    "\nhost:ssm.example:8443\n") != NULL,
		    "host:ssm.example:8443 is signed");
		CHECK_STR(res->signed_headers, "host;x-amz-date",
		    "no token header without a token");
	}
	sigv4_result_free(res);
	CHECK(sigv4_sign_url(&creds, "https://ssm.example:443/", &params,
	    &res) == 0 && res != NULL &&
	    strcmp(res->host, "ssm.example") == 0 &&
	    strstr(res->canonical_request, "\nhost:ssm.example\n") != NULL,
	    "port 443 of https is not signed");
	sigv4_result_free(res);

	res = (struct sigv4_result *)1;
	CHECK(sigv4_sign_url(&creds, "https://h:99999/", &params, &res) ==
	    SP_ERR_URL && res == NULL, "sign_url refuses a bad URL");
	res = (struct sigv4_result *)1;
	CHECK(sigv4_presign_url(&creds, "wss://h/p?X-Amz-Date=1", &params,
	    &res) == SP_ERR_INVALID_ARG && res == NULL,
	    "presign_url refuses an already presigned URL");
	res = (struct sigv4_result *)1;
	CHECK(sigv4_presign_url(&creds, "wss://h/p", &params, &res) ==
	    SP_ERR_INVALID_ARG && res == NULL, "presign needs X-Amz-Expires");
	params.expires = 60;
	CHECK(sigv4_presign_url(&creds, "wss://h:444", &params, &res) == 0 &&
	    res != NULL && starts_with(res->url, "wss://h:444/?X-Amz-Algorithm="
	    "AWS4-HMAC-SHA256&X-Amz-Credential="),
	    "presigned URL keeps scheme, port and path");
	sigv4_result_free(res);
	sigv4_result_free(NULL);
}

/* Canonical forms of paths, queries and headers beyond the suite. */
static void
test_canonical(void)
{
	static const struct sigv4_header hdrs[] = {
		{ "X-Folded", "\t a\r\n  b \n\tc  " },
		{ "x-empty", "" },
		{ "X-FOLDED", "d" },
	};
	struct sigv4_creds creds = { akid, secret, NULL };
	struct sigv4_params params = { "us-east-1", "service", 1440938160,
	    0, 0 };
	struct sigv4_request req = { "GET", "example.amazonaws.com",
	    "/a%20b/./c//../d", "b=%2f+&a&&c=%7E&=x&a=&c=1&c=0", hdrs, 3,
	    NULL, 0, NULL };
	struct sigv4_result *res = NULL;
	char *line;

	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == 0,
	    "sign odd request");
	if (res != NULL) {
		line = nth_line(res->canonical_request, 1);
		CHECK_STR(line, "/a%2520b/d",
		    "path normalised and encoded again");
		free(line);
		line = nth_line(res->canonical_request, 2);
		CHECK_STR(line, "=x&a=&a=&b=%2F%2B&c=0&c=1&c=~",
		    "query decoded, re-encoded and sorted");
		free(line);
		CHECK(strstr(res->canonical_request, "\nx-empty:\n"
		    "x-folded:a b c,d\n") != NULL,
		    "folded, empty and repeated headers");
		CHECK_STR(res->signed_headers, "host;x-amz-date;x-empty;"
		    "x-folded", "signed headers merged");
	}
	sigv4_result_free(res);

	params.flags = SIGV4_NO_NORMALIZE | SIGV4_NO_PATH_ENCODE;
	req.nheaders = 0;
	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == 0,
	    "sign S3-style");
	if (res != NULL) {
		line = nth_line(res->canonical_request, 1);
		CHECK_STR(line, "/a%20b/./c//../d", "S3 path used as sent");
		free(line);
	}
	sigv4_result_free(res);
	params.flags = 0;

	req.path = "";
	req.query = NULL;
	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == 0 &&
	    res != NULL && strncmp(res->canonical_request, "GET\n/\n\n", 7) ==
	    0, "empty path is /");
	sigv4_result_free(res);
	req.path = "/a/b/..";
	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == 0 &&
	    res != NULL && strncmp(res->canonical_request, "GET\n/a/\n", 8) ==
	    0, "/a/b/.. is /a/");
	sigv4_result_free(res);
	req.path = "/../..//.";
	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == 0 &&
	    res != NULL && strncmp(res->canonical_request, "GET\n/\n", 6) ==
	    0, "dot segments above the root stop there");
	sigv4_result_free(res);

	/* SIGV4_SIGN_BODY with an explicit hash; token unsigned. */
	creds.session_token = "TOK";
	params.flags = SIGV4_SIGN_BODY | SIGV4_TOKEN_UNSIGNED;
	req.path = "/";
	req.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == 0 &&
	    res != NULL, "sign with SIGN_BODY and an explicit hash");
	if (res != NULL) {
		CHECK_STR(res->payload_hash, "UNSIGNED-PAYLOAD",
		    "explicit payload hash kept");
		CHECK_STR(res->signed_headers,
		    "host;x-amz-content-sha256;x-amz-date",
		    "content hash signed, token not");
		CHECK(strstr(res->canonical_request, "TOK") == NULL &&
		    strstr(res->canonical_request,
		    "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n") != NULL &&
		    strcmp(strrchr(res->canonical_request, '\n') + 1,
		    "UNSIGNED-PAYLOAD") == 0, "canonical request");
	}
	sigv4_result_free(res);
	params.flags = SIGV4_TOKEN_UNSIGNED;
	params.expires = 1;
	CHECK(sigv4_presign(&creds, &req, &params, &res) == 0 && res != NULL,
	    "presign with the token unsigned");
	if (res != NULL) {
		CHECK(strstr(res->canonical_request, "TOK") == NULL,
		    "unsigned token not in canonical query");
		CHECK(strstr(res->query, "&X-Amz-SignedHeaders=host&"
		    "X-Amz-Security-Token=TOK&X-Amz-Signature=") != NULL,
		    "unsigned token still sent, before the signature");
	}
	sigv4_result_free(res);
}

/* Bounds and refusals. */
static void
test_negative(void)
{
	struct sigv4_header hdrs[SIGV4_MAX_HEADERS + 1];
	struct sigv4_creds creds = { akid, secret, NULL };
	struct sigv4_params params = { "us-east-1", "service", 1440938160,
	    3600, 0 };
	struct sigv4_request req = { "GET", "example.amazonaws.com", "/",
	    NULL, NULL, 0, NULL, 0, NULL };
	struct sigv4_result *res;
	char names[SIGV4_MAX_HEADERS + 1][8], *big;
	size_t i;

#define SIGN_FAILS(want, what) do {					\
	res = (struct sigv4_result *)1;					\
	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == (want) && \
	    res == NULL, what " (header form)");			\
	if (res != (struct sigv4_result *)1)				\
		sigv4_result_free(res);					\
	res = (struct sigv4_result *)1;					\
	CHECK(sigv4_presign(&creds, &req, &params, &res) == (want) &&	\
	    res == NULL, what " (query form)");				\
	if (res != (struct sigv4_result *)1)				\
		sigv4_result_free(res);					\
} while (0)
#define SIGN_WORKS(what) do {						\
	res = NULL;							\
	CHECK(sigv4_sign_header(&creds, &req, &params, &res) == 0 &&	\
	    res != NULL, what " (header form)");			\
	sigv4_result_free(res);						\
	res = NULL;							\
	CHECK(sigv4_presign(&creds, &req, &params, &res) == 0 &&	\
	    res != NULL, what " (query form)");				\
	sigv4_result_free(res);						\
} while (0)

	SIGN_WORKS("plain request");
	for (i = 0; i <= SIGV4_MAX_HEADERS; i++) {
		snprintf(names[i], sizeof(names[i]), "x-h%zu", i);
		hdrs[i].name = names[i];
		hdrs[i].value = "v";
	}
	req.headers = hdrs;
	req.nheaders = SIGV4_MAX_HEADERS;
	SIGN_WORKS("64 headers");
	req.nheaders = SIGV4_MAX_HEADERS + 1;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "65 headers refused");
	req.nheaders = 1;
	req.headers = NULL;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "headers NULL with a count");
	req.headers = hdrs;

	if ((big = malloc(SIGV4_MAX_STR + 2)) == NULL)
		abort();
	memset(big, 'a', SIGV4_MAX_STR + 1);
	big[SIGV4_MAX_STR + 1] = '\0';
	hdrs[0].value = big;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "header value over 64 KiB");
	big[SIGV4_MAX_STR] = '\0';
	SIGN_WORKS("header value of 64 KiB");
	big[SIGV4_MAX_STR] = 'a';
	hdrs[0].value = "v";
	hdrs[0].name = big;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "header name over 64 KiB");
	hdrs[0].name = names[0];
	req.nheaders = 0;

	req.query = big;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "query over 64 KiB");
	big[SIGV4_MAX_QUERY] = '\0';
	SIGN_WORKS("query of 64 KiB");
	req.query = NULL;
	big[0] = '/';
	req.path = big;
	SIGN_WORKS("path of 64 KiB");
	big[SIGV4_MAX_STR] = 'a';
	SIGN_FAILS(SP_ERR_INVALID_ARG, "path over 64 KiB");
	req.path = "/";
	creds.session_token = big;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "token over 64 KiB");
	creds.session_token = NULL;
	creds.secret_key = big;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "secret over 64 KiB");
	creds.secret_key = secret;
	req.host = big;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "host over 64 KiB");
	req.host = "example.amazonaws.com";
	free(big);

	/* Malformed fields. */
	req.nheaders = 1;
	hdrs[0].name = "bad name";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "header name with a space");
	hdrs[0].name = "";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "empty header name");
	hdrs[0].name = "Host";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "extra Host header");
	hdrs[0].name = "Authorization";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "extra Authorization header");
	hdrs[0].name = "X-Amz-Date";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "extra X-Amz-Date header");
	hdrs[0].name = "X-Amz-Security-Token";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "extra token header");
	hdrs[0].name = "X-Amz-Content-Sha256";
	SIGN_WORKS("x-amz-content-sha256 of the caller without SIGN_BODY");
	params.flags = SIGV4_SIGN_BODY;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "x-amz-content-sha256 with SIGN_BODY");
	params.flags = 0;
	hdrs[0].name = "X-Ok";
	hdrs[0].value = "a\nb";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "bare line break in a header value");
	hdrs[0].value = "a\r b";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "bare CR in a header value");
	hdrs[0].value = "a\r\n";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "line break at the end of a value");
	hdrs[0].value = "a\001b";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "control byte in a header value");
	hdrs[0].value = NULL;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "NULL header value");
	req.nheaders = 0;

	req.query = "a=%4";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "truncated escape in the query");
	req.query = "a=%G1";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "bad escape in the query");
	req.query = "X-Amz-Signature=1";
	res = (struct sigv4_result *)1;
	CHECK(sigv4_presign(&creds, &req, &params, &res) ==
	    SP_ERR_INVALID_ARG && res == NULL,
	    "presigning a presigned query refused");
	req.query = NULL;
	req.path = "relative";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "relative path");
	req.path = "/a\nb";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "control byte in the path");
	req.path = "/";
	req.method = "G T";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "bad method");
	req.method = "GET";
	req.host = "a b";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "space in host");
	req.host = "";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "empty host");
	req.host = "example.amazonaws.com";
	req.body_len = 1;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "body NULL with a length");
	req.body_len = 0;
	req.payload_hash = "0123456789012345678901234567890123456789012345678"
	    "901234567890123456789";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "payload hash over 64 characters");
	req.payload_hash = "UNSIGNED PAYLOAD";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "payload hash with a space");
	req.payload_hash = NULL;

	creds.access_key_id = "AKID/X";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "access key id with '/'");
	creds.access_key_id = "";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "empty access key id");
	creds.access_key_id = akid;
	creds.secret_key = "";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "empty secret");
	creds.secret_key = NULL;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "NULL secret");
	creds.secret_key = secret;
	creds.session_token = "tok en";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "token with a space");
	creds.session_token = "";
	SIGN_WORKS("empty token means none");
	creds.session_token = NULL;

	params.region = "us-east-1/x";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "region with '/'");
	params.region = NULL;
	SIGN_FAILS(SP_ERR_INVALID_ARG, "NULL region");
	params.region = "us-east-1";
	params.service = "";
	SIGN_FAILS(SP_ERR_INVALID_ARG, "empty service");
	params.service = "service";
	params.time = -1;
	SIGN_FAILS(SP_ERR_TIME, "time before 1970");
	params.time = 253402300800LL;
	SIGN_FAILS(SP_ERR_TIME, "time after 9999");
	params.time = 1440938160;

	params.expires = 0;
	res = (struct sigv4_result *)1;
	CHECK(sigv4_presign(&creds, &req, &params, &res) ==
	    SP_ERR_INVALID_ARG && res == NULL, "X-Amz-Expires 0 refused");
	params.expires = SIGV4_MAX_EXPIRES + 1;
	res = (struct sigv4_result *)1;
	CHECK(sigv4_presign(&creds, &req, &params, &res) ==
	    SP_ERR_INVALID_ARG && res == NULL, "X-Amz-Expires over 7 days");
	params.expires = SIGV4_MAX_EXPIRES;
	SIGN_WORKS("X-Amz-Expires of 7 days");

	res = (struct sigv4_result *)1;
	CHECK(sigv4_sign_header(NULL, &req, &params, &res) ==
	    SP_ERR_INVALID_ARG && res == NULL, "NULL creds");
	res = (struct sigv4_result *)1;
	CHECK(sigv4_sign_header(&creds, NULL, &params, &res) ==
	    SP_ERR_INVALID_ARG && res == NULL, "NULL request");
	res = (struct sigv4_result *)1;
	CHECK(sigv4_sign_header(&creds, &req, NULL, &res) ==
	    SP_ERR_INVALID_ARG && res == NULL, "NULL params");
#undef SIGN_FAILS
#undef SIGN_WORKS
}

int
main(void)
{
	test_suite();
	test_start_session();
	test_eice();
	test_key_chain();
	test_dates();
	test_urls();
	test_presigned_detection();
	test_sign_url();
	test_canonical();
	test_negative();
	return test_done();
}
