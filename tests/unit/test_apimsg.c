/*
 * Unit tests for proxy/apimsg.c: every error shape of
 * proxy/aws/AWS-APIS.md "Error responses", the StartSession,
 * ResumeSession and TerminateSession responses and their limits, and the
 * request bodies against the StartSession vector of its "Signing
 * vectors".
 */
#include "test.h"
#include "apimsg.h"
#include "buf.h"
#include "sigv4.h"

#define URL	"wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/" \
		"u-0123?role=publish_subscribe&cell-number=AAA%3D"

static void
check_error(const char *hdr, const char *body, int want_r, const char *code,
    const char *msg, const char *what)
{
	struct apimsg_error e;
	int r;

	r = apimsg_error_parse(hdr, body, body != NULL ? strlen(body) : 0, &e);
	CHECK_EQ(r, want_r, what);
	CHECK_STR(e.code, code, what);
	CHECK_STR(e.message, msg, what);
}

static void
test_errors(void)
{
	char big[APIMSG_MAX_MESSAGE + 64], want[APIMSG_MAX_MESSAGE + 1];
	struct apimsg_error e;
	size_t i;

	/* Plain: header and __type agree. */
	check_error("TargetNotConnected",
	    "{\"__type\":\"TargetNotConnected\",\"message\":\"i-0123 is not "
	    "connected.\"}", 0, "TargetNotConnected",
	    "i-0123 is not connected.", "plain error");
	/* Coral: header with ":uri", namespaced __type, "Message". */
	check_error("AccessDeniedException:http://internal.amazon.com/coral/"
	    "com.amazon.coral.service/",
	    "{\"__type\":\"com.amazon.coral.service#AccessDeniedException\","
	    "\"Message\":\"User: x is not authorized\"}", 0,
	    "AccessDeniedException", "User: x is not authorized",
	    "coral error");
	/* No header: __type with namespace. */
	check_error(NULL, "{\"__type\":\"com.amazon.coral.validate#"
	    "ValidationException\",\"message\":\"bad\"}", 0,
	    "ValidationException", "bad", "namespaced __type");
	/* Header wins over the body. */
	check_error("ThrottlingException", "{\"__type\":\"Other\","
	    "\"message\":\"Rate exceeded\"}", 0, "ThrottlingException",
	    "Rate exceeded", "header preferred");
	/* Empty header: the body decides. */
	check_error("", "{\"__type\":\"InvalidDocument\"}", 0,
	    "InvalidDocument", "", "empty header ignored");
	/* Only "code". */
	check_error(NULL, "{\"code\":\"InternalFailure\",\"message\":\"x\"}",
	    0, "InternalFailure", "x", "code member");
	check_error(NULL, "{\"Code\":\"InternalFailure\"}", 0,
	    "InternalFailure", "", "Code member");
	/* __type of the wrong type or empty: fall back to code. */
	check_error(NULL, "{\"__type\":7,\"code\":\"A\"}", 0, "A", "",
	    "__type not a string");
	check_error(NULL, "{\"__type\":\"\",\"code\":\"B\"}", 0, "B", "",
	    "__type empty");
	/* Both cuts: ':' first, then up to '#'. */
	check_error("aws.protocoltests.restjson#FooError:http://internal."
	    "amazon.com/coral/com.amazon.coral.validate/", NULL, 0, "FooError",
	    "", "header with namespace and uri");
	check_error(NULL, "{\"__type\":\"a#b#c:d#e\"}", 0, "b#c",
	    "", "first '#' only, after ':' cut");
	/* Not JSON: the header alone. */
	check_error("ServiceUnavailable", "<html>503</html>", 0,
	    "ServiceUnavailable", "", "HTML body");
	check_error(NULL, "<html>503</html>", SP_ERR_JSON_MISSING, "", "",
	    "HTML body, no header");
	check_error(NULL, NULL, SP_ERR_JSON_MISSING, "", "", "no body");
	check_error(NULL, "[\"__type\"]", SP_ERR_JSON_MISSING, "", "",
	    "array body");
	check_error(NULL, "{\"message\":\"only a message\"}",
	    SP_ERR_JSON_MISSING, "", "only a message", "message only");
	check_error("#", NULL, SP_ERR_JSON_MISSING, "", "",
	    "header that sanitises to nothing");
	check_error(NULL, "{\"__type\":\"X\",\"message\":null}", 0, "X", "",
	    "null message");
	/* Display safety. */
	check_error("Bad\x1b[31mCode\xc3\xa9", "{\"message\":\"a\\nb\\u001b[2Jc"
	    "\\u009bd\\u00e9\"}", 0, "Bad [31mCode??", "a b [2Jc d\xc3\xa9",
	    "control characters neutralised");
	/* Long message: truncated at a character boundary. */
	memcpy(big, "{\"__type\":\"X\",\"message\":\"", 25);
	for (i = 25; i < 25 + APIMSG_MAX_MESSAGE - 1; i++)
		big[i] = 'a';
	memcpy(big + i, "\xe2\x82\xac\xe2\x82\xac\"}", 9);
	CHECK_EQ(apimsg_error_parse(NULL, big, strlen(big), &e), 0,
	    "long message parses");
	memset(want, 'a', APIMSG_MAX_MESSAGE - 1);
	want[APIMSG_MAX_MESSAGE - 1] = '\0';
	CHECK_STR(e.message, want, "message cut before a split character");
	/* Long code: cut at the cap. */
	memset(big, 'C', 200);
	big[200] = '\0';
	CHECK_EQ(apimsg_error_parse(big, NULL, 0, &e), 0, "long code");
	CHECK_EQ(strlen(e.code), APIMSG_MAX_CODE, "code capped");
}

/* Parse a response into s, freeing what s held (s starts zeroed). */
static int
start(const char *body, struct apimsg_session *s)
{
	apimsg_session_clear(s);
	return apimsg_start_session_parse(body, strlen(body), s);
}

static int
resume(const char *body, struct apimsg_session *s)
{
	apimsg_session_clear(s);
	return apimsg_resume_session_parse(body, strlen(body), s);
}

static int
terminate(const char *body, struct apimsg_session *s)
{
	apimsg_session_clear(s);
	return apimsg_terminate_session_parse(body, strlen(body), s);
}

static void
test_start(void)
{
	struct apimsg_session s;
	const char *ok = "{\"SessionId\":\"u-0123\",\"TokenValue\":\"AAE=\","
	    "\"StreamUrl\":\"" URL "\",\"Other\":[1,2]}";
	size_t i, n;
	int r;

	memset(&s, 0, sizeof(s));
	CHECK_EQ(start(ok, &s), 0, "StartSession response");
	CHECK_STR(s.session_id, "u-0123", "SessionId");
	CHECK_STR(s.token, "AAE=", "TokenValue");
	CHECK_EQ(s.has_token, 1, "has_token");
	CHECK_STR(s.stream_url, URL, "StreamUrl");
	apimsg_session_clear(&s);
	CHECK(s.token == NULL && s.stream_url == NULL, "cleared");

	/* Every prefix is refused, none crashes. */
	n = strlen(ok);
	for (i = 0, r = 0; i < n; i++) {
		if (apimsg_start_session_parse(ok, i, &s) == 0)
			r++;
		apimsg_session_clear(&s);
	}
	CHECK_EQ(r, 0, "no truncation accepted");

	CHECK_EQ(start("{\"TokenValue\":\"t\",\"StreamUrl\":\"" URL "\"}", &s),
	    SP_ERR_JSON_MISSING, "SessionId missing");
	CHECK_STR(s.bad_field, "SessionId", "bad_field SessionId");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"StreamUrl\":\"" URL "\"}", &s),
	    SP_ERR_JSON_MISSING, "TokenValue missing");
	CHECK_STR(s.bad_field, "TokenValue", "bad_field TokenValue");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"TokenValue\":null,"
	    "\"StreamUrl\":\"" URL "\"}", &s), SP_ERR_JSON_MISSING,
	    "TokenValue null");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"TokenValue\":\"t\"}", &s),
	    SP_ERR_JSON_MISSING, "StreamUrl missing");
	CHECK_STR(s.bad_field, "StreamUrl", "bad_field StreamUrl");
	CHECK_STR(s.why, "no StreamUrl", "why: no StreamUrl");
	CHECK(s.token == NULL, "token wiped on failure");
	CHECK_STR(s.session_id, "s", "SessionId kept on failure");
	CHECK_EQ(start("{\"SessionId\":1,\"TokenValue\":\"t\",\"StreamUrl\":\""
	    URL "\"}", &s), SP_ERR_JSON_TYPE, "SessionId a number");
	CHECK_EQ(start("{\"SessionId\":\"\",\"TokenValue\":\"t\",\"StreamUrl\""
	    ":\"" URL "\"}", &s), SP_ERR_STRING_LENGTH, "SessionId empty");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"TokenValue\":\"\",\"StreamUrl\""
	    ":\"" URL "\"}", &s), 0, "empty TokenValue allowed");
	CHECK_EQ(start("{\"SessionId\":\"s\\n\",\"TokenValue\":\"t\","
	    "\"StreamUrl\":\"" URL "\"}", &s), SP_ERR_PROTOCOL,
	    "control character in SessionId");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"TokenValue\":\"t\","
	    "\"StreamUrl\":\"https://h/x\"}", &s), SP_ERR_URL, "https URL");
	CHECK_STR(s.bad_field, "StreamUrl", "bad_field for URL");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"TokenValue\":\"t\","
	    "\"StreamUrl\":\"wss://\"}", &s), SP_ERR_URL, "wss without host");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"TokenValue\":\"t\","
	    "\"StreamUrl\":\"wss://u:p@h/\"}", &s), SP_ERR_URL,
	    "wss with user info");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"TokenValue\":\"t\","
	    "\"StreamUrl\":\"WSS://h/x\"}", &s), 0, "scheme in any case");
	CHECK_EQ(start("[]", &s), SP_ERR_JSON_TYPE, "array");
	CHECK(s.bad_field == NULL, "no field for a bad body");
	CHECK_EQ(start("\"x\"", &s), SP_ERR_JSON_TYPE, "string");
	CHECK(start("{", &s) < 0, "bad JSON");
	CHECK(start("", &s) < 0, "empty body");

	apimsg_session_clear(&s);
}

/* A response with a SessionId of sidlen, a TokenValue of toklen and a
 * StreamUrl of urllen bytes (wss://h/ and 'q's). */
static int
start_sized(size_t sidlen, size_t toklen, size_t urllen,
    struct apimsg_session *s)
{
	struct buf b;
	int r, bad = 0;

	buf_init(&b, 65536);
	bad |= buf_put_str(&b, "{\"SessionId\":\"a+b=c@d.e");
	while (!bad && buf_len(&b) < 14 + sidlen)
		bad |= buf_put_u8(&b, 'x');
	bad |= buf_put_str(&b, "\",\"TokenValue\":\"AAEAA");
	while (!bad && buf_len(&b) < 14 + sidlen + 16 + toklen)
		bad |= buf_put_u8(&b, 'T');
	bad |= buf_put_str(&b, "\",\"StreamUrl\":\"wss://h/");
	while (!bad && buf_len(&b) < 14 + sidlen + 16 + toklen + 15 + urllen)
		bad |= buf_put_u8(&b, 'q');
	bad |= buf_put_str(&b, "\"}");
	apimsg_session_clear(s);
	r = bad ? SP_ERR_ALLOC : apimsg_start_session_parse(buf_ptr(&b),
	    buf_len(&b), s);
	buf_release(&b);
	return r;
}

/*
 * Limits are safety caps, not the API model's maxima (SessionId 96,
 * TokenValue 300): the service returns TokenValues of 951 characters.
 */
static void
test_limits(void)
{
	struct apimsg_session s;

	memset(&s, 0, sizeof(s));
	CHECK_EQ(start_sized(82, 951, 300, &s), 0, "realistic response");
	CHECK_EQ(start_sized(APIMSG_MAX_SESSION_ID, APIMSG_MAX_TOKEN,
	    APIMSG_MAX_URL, &s), 0, "every field at its cap");
	CHECK_EQ(strlen(s.session_id), 256, "SessionId of 256 whole");
	CHECK(s.token != NULL && strlen(s.token) == 16384 &&
	    s.token[16383] == 'T', "TokenValue of 16384 whole");
	CHECK(s.stream_url != NULL && strlen(s.stream_url) == 16384,
	    "StreamUrl of 16384 whole");
	CHECK_EQ(strncmp(s.session_id, "a+b=c@d.e", 9), 0,
	    "SessionId with + = @ .");

	CHECK_EQ(start_sized(257, 10, 100, &s), SP_ERR_STRING_LENGTH,
	    "SessionId of 257");
	CHECK_STR(s.why, "a SessionId of 257 bytes (limit 256)",
	    "why: long SessionId");
	CHECK_STR(s.session_id, "", "no SessionId kept");
	CHECK_EQ(start_sized(20, 20000, 100, &s), SP_ERR_STRING_LENGTH,
	    "TokenValue of 20000");
	CHECK_STR(s.bad_field, "TokenValue", "bad_field long token");
	CHECK_STR(s.why, "a TokenValue of 20000 bytes (limit 16384)",
	    "why: long TokenValue");
	CHECK(s.token == NULL, "no token kept");
	CHECK_EQ(strlen(s.session_id), 20, "SessionId kept: terminate it");
	CHECK_EQ(start_sized(20, 20, 16385, &s), SP_ERR_STRING_LENGTH,
	    "StreamUrl of 16385");
	CHECK_STR(s.why, "a StreamUrl of 16385 bytes (limit 16384)",
	    "why: long StreamUrl");

	CHECK_EQ(start("{\"SessionId\":\"s\u00e9\",\"TokenValue\":\"t\","
	    "\"StreamUrl\":\"" URL "\"}", &s), SP_ERR_PROTOCOL,
	    "SessionId outside printable ASCII");
	CHECK_STR(s.why, "a SessionId with bytes outside printable ASCII",
	    "why: SessionId bytes");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"TokenValue\":\"t\\u0001\","
	    "\"StreamUrl\":\"" URL "\"}", &s), SP_ERR_PROTOCOL,
	    "control character in TokenValue");
	CHECK_STR(s.why, "a TokenValue with control characters",
	    "why: TokenValue control");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"TokenValue\":7,"
	    "\"StreamUrl\":\"" URL "\"}", &s), SP_ERR_JSON_TYPE,
	    "TokenValue a number");
	CHECK_STR(s.why, "a TokenValue that is not a string",
	    "why: TokenValue type");
	CHECK_EQ(start("{\"SessionId\":\"s\",\"TokenValue\":\"t\","
	    "\"StreamUrl\":\"https://h/\"}", &s), SP_ERR_URL, "https");
	CHECK_STR(s.why, "a StreamUrl that is not a wss:// URL",
	    "why: StreamUrl scheme");
	CHECK_EQ(start("[1]", &s), SP_ERR_JSON_TYPE, "not an object");
	CHECK_STR(s.why, "a body that is not a JSON object (JSON member has "
	    "the wrong type)", "why: body");
	apimsg_session_clear(&s);
}

static void
test_resume_terminate(void)
{
	struct apimsg_session s;
	const char *b;

	memset(&s, 0, sizeof(s));
	b = "{\"SessionId\":\"s\",\"TokenValue\":\"t2\",\"StreamUrl\":\"" URL
	    "\"}";
	CHECK_EQ(resume(b, &s), 0, "resume");
	CHECK(s.has_token && strcmp(s.token, "t2") == 0, "resume token");
	b = "{\"SessionId\":\"s\",\"TokenValue\":null,\"StreamUrl\":\"" URL
	    "\"}";
	CHECK_EQ(resume(b, &s), 0,
	    "resume null token");
	CHECK_EQ(s.has_token, 0, "null token: cannot resume");
	b = "{\"SessionId\":\"s\"}";
	CHECK_EQ(resume(b, &s), 0,
	    "resume absent token");
	CHECK_EQ(s.has_token, 0, "absent token: cannot resume");
	CHECK(s.stream_url == NULL, "absent StreamUrl is NULL");
	b = "{\"TokenValue\":\"t\",\"StreamUrl\":\"http://x/\"}";
	CHECK_EQ(resume(b, &s), SP_ERR_URL,
	    "resume checks a present StreamUrl");
	b = "{\"TokenValue\":5}";
	CHECK_EQ(resume(b, &s),
	    SP_ERR_JSON_TYPE, "resume token of the wrong type");
	b = "null";
	CHECK_EQ(resume(b, &s),
	    SP_ERR_JSON_TYPE, "resume null body");

	b = "{\"SessionId\":\"u-1\"}";
	CHECK_EQ(terminate(b, &s), 0,
	    "terminate");
	CHECK_STR(s.session_id, "u-1", "terminate SessionId");
	b = "{}";
	CHECK_EQ(terminate(b, &s), 0,
	    "terminate without SessionId");
	b = "{\"SessionId\":[]}";
	CHECK_EQ(terminate(b, &s),
	    SP_ERR_JSON_TYPE, "terminate bad SessionId");
	b = "x";
	CHECK(terminate(b, &s) < 0,
	    "terminate bad JSON");
	apimsg_session_clear(&s);
}

static void
test_bodies(void)
{
	static const char *vec = "{\"Target\":\"i-0123456789abcdef0\","
	    "\"DocumentName\":\"AWS-StartSSHSession\",\"Parameters\":"
	    "{\"portNumber\":[\"22\"]}}";
	struct sigv4_creds cr = { "AKIDEXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	struct sigv4_header hs[2] = {
		{ "content-type", "application/x-amz-json-1.1" },
		{ "x-amz-target", "AmazonSSM.StartSession" },
	};
	struct sigv4_request rq;
	struct sigv4_params pa;
	struct sigv4_result *res = NULL;
	char *b = NULL, long_target[402];

	CHECK_EQ(apimsg_start_session_body("i-0123456789abcdef0",
	    "AWS-StartSSHSession", 22, &b), 0, "StartSession body");
	CHECK_STR(b, vec, "body is the signing vector's, byte for byte");

	/* And it signs to the vector's signature, without and with token. */
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.host = "ssm.us-east-1.amazonaws.com";
	rq.path = "/";
	rq.headers = hs;
	rq.nheaders = 2;
	rq.body = b;
	rq.body_len = b != NULL ? strlen(b) : 0;
	memset(&pa, 0, sizeof(pa));
	pa.region = "us-east-1";
	pa.service = "ssm";
	pa.time = 1704067200;
	CHECK_EQ(sigv4_sign_header(&cr, &rq, &pa, &res), 0, "sign");
	CHECK_STR(res != NULL ? res->signature : NULL, "9fdf243f3aad6352da3ca1"
	    "15bc23e28bc57481bbff73f63d1f2a9d051c6b9b00", "vector signature");
	sigv4_result_free(res);
	res = NULL;
	cr.session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
	CHECK_EQ(sigv4_sign_header(&cr, &rq, &pa, &res), 0, "sign w/ token");
	CHECK_STR(res != NULL ? res->signature : NULL, "ee2e8771d39a63f36e5027"
	    "02c756139f0ce4784e7a83f837b90fcedd5d9ab1e6",
	    "vector signature with token");
	sigv4_result_free(res);
	free(b);

	CHECK_EQ(apimsg_start_session_body("i-1", NULL, 0, &b), 0,
	    "bare StartSession body");
	CHECK_STR(b, "{\"Target\":\"i-1\"}", "optional members left out");
	free(b);
	CHECK_EQ(apimsg_start_session_body("a\"<b>", "D", 65535, &b), 0,
	    "escaped target");
	CHECK_STR(b, "{\"Target\":\"a\\\"\\u003cb\\u003e\",\"DocumentName\":"
	    "\"D\",\"Parameters\":{\"portNumber\":[\"65535\"]}}",
	    "escaped as Go does");
	free(b);
	CHECK_EQ(apimsg_start_session_body("", "D", 22, &b),
	    SP_ERR_INVALID_ARG, "empty target");
	CHECK(b == NULL, "no body on error");
	memset(long_target, 'i', 401);
	long_target[401] = '\0';
	CHECK_EQ(apimsg_start_session_body(long_target, "D", 22, &b),
	    SP_ERR_INVALID_ARG, "target of 401");
	long_target[400] = '\0';
	CHECK_EQ(apimsg_start_session_body(long_target, "D", 22, &b), 0,
	    "target of 400");
	free(b);
	CHECK_EQ(apimsg_start_session_body("i-1", "D", 65536, &b),
	    SP_ERR_INVALID_ARG, "port 65536");
	CHECK_EQ(apimsg_start_session_body("i-\xff", "D", 22, &b),
	    SP_ERR_INVALID_ARG, "invalid UTF-8");

	CHECK_EQ(apimsg_session_id_body("u-0123", &b), 0, "SessionId body");
	CHECK_STR(b, "{\"SessionId\":\"u-0123\"}", "SessionId body text");
	free(b);
	CHECK_EQ(apimsg_session_id_body("", &b), SP_ERR_INVALID_ARG,
	    "empty SessionId");
	/* What we send has the caps of what we accept. */
	memset(long_target, 'u', 257);
	long_target[257] = '\0';
	CHECK_EQ(apimsg_session_id_body(long_target, &b), SP_ERR_INVALID_ARG,
	    "SessionId of 257");
	long_target[256] = '\0';
	memcpy(long_target, "a.b+c=d@e.f-", 12);
	CHECK_EQ(apimsg_session_id_body(long_target, &b), 0,
	    "SessionId of 256 with . + = @");
	CHECK(b != NULL && strlen(b) == 256 + 16, "  sent whole");
	free(b);
	CHECK_EQ(apimsg_session_id_body("u-\x7f", &b), SP_ERR_INVALID_ARG,
	    "SessionId with DEL");
	CHECK_EQ(apimsg_session_id_body("u-\xc3\xa9", &b), SP_ERR_INVALID_ARG,
	    "SessionId with UTF-8");
}

/* --via: the remote host first among the Parameters, exactly. */
static void
test_body_host(void)
{
	char *b = NULL, long_host[258];

	CHECK_EQ(apimsg_start_session_body_host("i-0123456789abcdef0",
	    "AWS-StartPortForwardingSessionToRemoteHost", "db.internal", 5432,
	    &b), 0, "remote-host body");
	CHECK_STR(b, "{\"Target\":\"i-0123456789abcdef0\",\"DocumentName\":"
	    "\"AWS-StartPortForwardingSessionToRemoteHost\",\"Parameters\":"
	    "{\"host\":[\"db.internal\"],\"portNumber\":[\"5432\"]}}",
	    "host, then portNumber");
	free(b);
	CHECK_EQ(apimsg_start_session_body_host("i-0123456789abcdef0", NULL,
	    "h\"\\x", 22, &b), 0, "host escaped");
	CHECK_STR(b, "{\"Target\":\"i-0123456789abcdef0\",\"Parameters\":"
	    "{\"host\":[\"h\\\"\\\\x\"],\"portNumber\":[\"22\"]}}",
	    "host as a JSON string");
	free(b);
	CHECK_EQ(apimsg_start_session_body_host("i-1", NULL, NULL, 22, &b), 0,
	    "no host: the plain body");
	CHECK_STR(b, "{\"Target\":\"i-1\",\"Parameters\":{\"portNumber\":"
	    "[\"22\"]}}", "no host member");
	free(b);
	memset(long_host, 'a', sizeof(long_host) - 1);
	long_host[sizeof(long_host) - 1] = '\0';
	CHECK_EQ(apimsg_start_session_body_host("i-1", NULL, long_host, 22,
	    &b), SP_ERR_INVALID_ARG, "host over 255 bytes");
	long_host[APIMSG_MAX_HOST] = '\0';
	CHECK_EQ(apimsg_start_session_body_host("i-1", NULL, long_host, 22,
	    &b), 0, "host of 255 bytes");
	free(b);
	CHECK_EQ(apimsg_start_session_body_host("i-1", NULL, "", 22, &b),
	    SP_ERR_INVALID_ARG, "empty host");
	CHECK_EQ(apimsg_start_session_body_host("i-1", NULL, "a\nb", 22, &b),
	    SP_ERR_INVALID_ARG, "host with a control character");
	CHECK_EQ(apimsg_start_session_body_host("i-1", NULL, "a\xff", 22, &b),
	    SP_ERR_INVALID_ARG, "host not UTF-8");
	CHECK_EQ(apimsg_start_session_body_host("i-1", NULL, "db", 0, &b),
	    SP_ERR_INVALID_ARG, "host without a port");
	CHECK(b == NULL, "nothing on failure");
}

int
main(void)
{
	test_errors();
	test_start();
	test_limits();
	test_resume_terminate();
	test_bodies();
	test_body_host();
	return test_done();
}
