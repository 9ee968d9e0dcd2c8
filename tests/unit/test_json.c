/*
 * Unit tests for protocol/json.c: the incremental parser (fed whole, one
 * byte at a time and split at every point, with the same result), its
 * limits, and the writer's Go-compatible output.
 */
#include <math.h>

#include "test.h"
#include "json.h"

static int
json_equal(const struct json *a, const struct json *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type || a->boolean != b->boolean ||
	    a->is_int != b->is_int || a->i != b->i || a->n != b->n)
		return 0;
	if (a->type == JSON_NUMBER &&
	    memcmp(&a->d, &b->d, sizeof(a->d)) != 0)
		return 0;
	if (a->type == JSON_STRING && (a->slen != b->slen ||
	    memcmp(a->s, b->s, a->slen) != 0 || a->s[a->slen] != '\0'))
		return 0;
	for (i = 0; i < a->n; i++) {
		if (a->type == JSON_OBJECT &&
		    strcmp(a->keys[i], b->keys[i]) != 0)
			return 0;
		if (!json_equal(a->v[i], b->v[i]))
			return 0;
	}
	return 1;
}

/* Feed text in pieces of step bytes (0: whole) and finish. */
static int
parse_steps(const void *text, size_t len, size_t step, struct json **out)
{
	struct json_parser *p;
	const uint8_t *t = text;
	size_t off, n;
	int r = 0;

	*out = NULL;
	if ((p = json_parser_new()) == NULL)
		return SP_ERR_ALLOC;
	if (step == 0)
		step = len > 0 ? len : 1;
	for (off = 0; off < len && r == 0; off += n) {
		n = len - off < step ? len - off : step;
		r = json_parser_feed(p, t + off, n);
	}
	if (r == 0)
		r = json_parser_finish(p, out);
	else if (json_parser_finish(p, out) != r)
		r = SP_ERR_INTERNAL;	/* errors must be sticky */
	json_parser_free(p);
	return r;
}

/* Feed text split in two at k, and finish. */
static int
parse_split(const void *text, size_t len, size_t k, struct json **out)
{
	struct json_parser *p;
	int r;

	*out = NULL;
	if ((p = json_parser_new()) == NULL)
		return SP_ERR_ALLOC;
	if ((r = json_parser_feed(p, text, k)) == 0 &&
	    (r = json_parser_feed(p, (const uint8_t *)text + k,
	    len - k)) == 0)
		r = json_parser_finish(p, out);
	json_parser_free(p);
	return r;
}

/*
 * Parse len bytes whole, one byte at a time and (for short texts) split
 * in two at every point; check all agree with want.  Returns the tree of
 * the whole parse (caller frees) or NULL.
 */
static struct json *
check_parse_n(const void *text, size_t len, int want, const char *what)
{
	struct json *whole = NULL, *j = NULL;
	size_t k;
	int r, same = 1;
	char msg[160];

	r = json_parse(text, len, &whole);
	snprintf(msg, sizeof(msg), "%s: whole", what);
	CHECK_EQ(r, want, msg);
	CHECK(r == 0 ? whole != NULL : whole == NULL, "tree iff success");
	r = parse_steps(text, len, 1, &j);
	snprintf(msg, sizeof(msg), "%s: byte at a time", what);
	CHECK_EQ(r, want, msg);
	snprintf(msg, sizeof(msg), "%s: same tree byte at a time", what);
	CHECK(json_equal(whole, j), msg);
	json_free(j);
	if (len <= 512) {
		for (k = 0; k <= len; k++) {
			r = parse_split(text, len, k, &j);
			if (r != want || !json_equal(whole, j))
				same = 0;
			json_free(j);
		}
		snprintf(msg, sizeof(msg), "%s: same at every split", what);
		CHECK(same, msg);
	}
	return whole;
}

static struct json *
check_parse(const char *text, int want, const char *what)
{
	return check_parse_n(text, strlen(text), want, what);
}

static void
check_parse_free(const char *text, int want, const char *what)
{
	json_free(check_parse(text, want, what));
}

/* Every strict prefix of a valid object or array fails cleanly. */
static void
check_truncation(const char *text, const char *what)
{
	struct json *j;
	size_t k, len = strlen(text);
	int ok = 1, r;
	char msg[160];

	for (k = 0; k < len; k++) {
		r = json_parse(text, k, &j);
		if (r != SP_ERR_JSON_SYNTAX || j != NULL)
			ok = 0;
		json_free(j);
	}
	snprintf(msg, sizeof(msg), "%s: every prefix is a syntax error",
	    what);
	CHECK(ok, msg);
}

static void
test_basic(void)
{
	const char *text = " {\"s\":\"h\\u00e9\\\"llo\\n\", \"n\":-12,"
	    "\"d\":2.5, \"t\":true,\"f\":false,\"z\":null,"
	    "\"a\":[1,[],{}],\"o\":{\"k\":\"v\"}}";
	const struct json *m;
	struct json *j;
	const char *s;
	int64_t i;
	int b;

	j = check_parse(text, 0, "mixed document");
	CHECK(j != NULL && j->type == JSON_OBJECT && j->n == 8,
	    "object with 8 members");
	if (j == NULL)
		return;
	CHECK(json_get_str(j, "s", &s) == 0, "string member");
	CHECK_STR(s, "h\xc3\xa9\"llo\n", "escapes decoded");
	CHECK_EQ(json_get(j, "s")->slen, 8, "slen counts bytes");
	CHECK(json_get_int(j, "n", &i) == 0 && i == -12, "negative int");
	m = json_get(j, "d");
	CHECK(m != NULL && m->type == JSON_NUMBER && !m->is_int &&
	    m->d == 2.5, "double");
	CHECK(json_get_bool(j, "t", &b) == 0 && b == 1, "true");
	CHECK(json_get_bool(j, "f", &b) == 0 && b == 0, "false");
	m = json_get(j, "z");
	CHECK(m != NULL && m->type == JSON_NULL, "null member");
	m = json_get(j, "a");
	CHECK(m != NULL && m->type == JSON_ARRAY && m->n == 3 &&
	    m->v[0]->is_int && m->v[0]->i == 1 &&
	    m->v[1]->type == JSON_ARRAY && m->v[1]->n == 0 &&
	    m->v[2]->type == JSON_OBJECT && m->v[2]->n == 0, "array");
	CHECK(json_get_str(json_get(j, "o"), "k", &s) == 0 &&
	    strcmp(s, "v") == 0, "nested object");
	CHECK_STR(j->keys[0], "s", "member order kept");
	CHECK_STR(j->keys[7], "o", "member order kept (last)");
	json_free(j);
	check_truncation(text + 1, "mixed document");

	/* Scalars may stand alone. */
	j = check_parse("\"x\"", 0, "top-level string");
	CHECK(j != NULL && j->type == JSON_STRING, "string root");
	json_free(j);
	j = check_parse("42", 0, "top-level number");
	CHECK(j != NULL && j->is_int && j->i == 42, "number root");
	json_free(j);
	check_parse_free("null", 0, "top-level null");
	check_parse_free(" true ", 0, "top-level true");
	check_parse_free("\"\\\\\\/\\b\\f\\n\\r\\t\"", 0, "all escapes");
	j = check_parse("\"\\\\\\/\\b\\f\\n\\r\\t\"", 0, "escape values");
	CHECK(j != NULL && strcmp(j->s, "\\/\b\f\n\r\t") == 0,
	    "escape values decoded");
	json_free(j);
	json_free(NULL);
	json_parser_free(NULL);
}

static void
test_syntax(void)
{
	static const char *bad[] = {
		"", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\"}",
		"{\"a\":}", "{\"a\":1,}", "{a:1}", "{'a':1}", "{} x",
		"{}{}", "1 2", "/* c */ {}", "{} // c", "tru", "nul",
		"True", "\"abc", "\"a\\x\"", "\"a\\u12\"", "\"a\\u12g4\"",
		"\"tab\there\"", "\"nl\nhere\"", "[1 2]", "{\"a\" 1}",
		"01", "-", "1.", ".5", "+1", "0x10", "NaN", "Infinity",
		"-Infinity", "1e", "1e+", "--1", "\xef\xbb\xbf{}",
	};
	size_t i;
	char what[80];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what), "syntax error %zu", i);
		check_parse_free(bad[i], SP_ERR_JSON_SYNTAX, what);
	}
}

static void
test_sticky(void)
{
	struct json_parser *p;
	struct json *j;

	p = json_parser_new();
	CHECK(p != NULL, "parser_new");
	CHECK_EQ(json_parser_feed(p, "{\"a\":", 5), 0, "good piece");
	CHECK_EQ(json_parser_feed(p, "]", 1), SP_ERR_JSON_SYNTAX,
	    "bad piece");
	CHECK_EQ(json_parser_feed(p, "1}", 2), SP_ERR_JSON_SYNTAX,
	    "error is sticky");
	CHECK_EQ(json_parser_finish(p, &j), SP_ERR_JSON_SYNTAX,
	    "finish keeps the error");
	CHECK(j == NULL, "no tree on error");
	CHECK_EQ(json_parser_finish(p, &j), SP_ERR_STATE,
	    "finish twice");
	json_parser_free(p);

	p = json_parser_new();
	CHECK_EQ(json_parser_feed(p, "{}", 2), 0, "feed");
	CHECK_EQ(json_parser_feed(p, NULL, 0), 0, "empty feed is a no-op");
	CHECK_EQ(json_parser_finish(p, &j), 0, "finish");
	json_free(j);
	CHECK_EQ(json_parser_feed(p, " ", 1), SP_ERR_STATE,
	    "feed after finish");
	CHECK_EQ(json_parser_finish(p, &j), SP_ERR_STATE, "finish twice");
	json_parser_free(p);

	/* A parser freed half way through leaks nothing (ASan checks). */
	p = json_parser_new();
	CHECK_EQ(json_parser_feed(p, "{\"a\":[1,{\"b\":\"c", 15), 0,
	    "half a document");
	json_parser_free(p);
}

static void
test_numbers(void)
{
	static const struct {
		const char	*text;
		int		 is_int;
		int64_t		 i;
		double		 d;
	} v[] = {
		{ "0", 1, 0, 0.0 },
		{ "-0", 1, 0, -0.0 },
		{ "7", 1, 7, 7.0 },
		{ "9223372036854775807", 1, INT64_MAX, 9223372036854775807.0 },
		{ "-9223372036854775808", 1, INT64_MIN,
		    -9223372036854775808.0 },
		{ "9223372036854775808", 0, 0, 9223372036854775808.0 },
		{ "-9223372036854775809", 0, 0, -9223372036854775809.0 },
		{ "18446744073709551616", 0, 0, 18446744073709551616.0 },
		{ "1.0", 0, 0, 1.0 },
		{ "1e2", 0, 0, 100.0 },
		{ "-1.5E-3", 0, 0, -0.0015 },
		{ "1E-400", 0, 0, 0.0 },
	};
	struct json *j;
	size_t i;
	int64_t iv;
	char what[80];

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(what, sizeof(what), "number %s", v[i].text);
		j = check_parse(v[i].text, 0, what);
		CHECK(j != NULL && j->type == JSON_NUMBER &&
		    j->is_int == v[i].is_int && j->i == v[i].i &&
		    j->d == v[i].d &&
		    !!signbit(j->d) == !!signbit(v[i].d), what);
		json_free(j);
	}
	j = check_parse("[1e400,-1e400]", 0, "1e400 parses");
	CHECK(j != NULL && isinf(j->v[0]->d) && j->v[0]->d > 0 &&
	    !j->v[0]->is_int && isinf(j->v[1]->d) && j->v[1]->d < 0,
	    "1e400 is infinity, not an int");
	json_free(j);

	j = check_parse("{\"a\":1.5,\"b\":1e400,\"c\":9223372036854775808,"
	    "\"d\":\"1\",\"e\":-0}", 0, "getter ranges");
	CHECK_EQ(json_get_int(j, "a", &iv), SP_ERR_JSON_RANGE,
	    "1.5 is not an int64");
	CHECK_EQ(json_get_int(j, "b", &iv), SP_ERR_JSON_RANGE,
	    "1e400 is not an int64");
	CHECK_EQ(json_get_int(j, "c", &iv), SP_ERR_JSON_RANGE,
	    "2^63 is not an int64");
	CHECK_EQ(json_get_int(j, "d", &iv), SP_ERR_JSON_TYPE,
	    "a string is not a number");
	CHECK(json_get_int(j, "e", &iv) == 0 && iv == 0, "-0 is int 0");
	json_free(j);
}

static void
test_nul_utf8(void)
{
	struct json *j;
	uint8_t *t;
	size_t n;

	check_parse_n("\"a\0b\"", 5, SP_ERR_JSON_NUL, "raw NUL in string");
	check_parse_n("{}\0", 3, SP_ERR_JSON_NUL, "raw NUL after value");
	check_parse_n("\0", 1, SP_ERR_JSON_NUL, "lone NUL");
	check_parse_free("\"a\\u0000b\"", SP_ERR_JSON_NUL, "\\u0000");
	check_parse_free("{\"a\\u0000\":1}", SP_ERR_JSON_NUL,
	    "\\u0000 in a name");
	/* The first error in stream order wins, whatever the split. */
	check_parse_n("[}\0", 3, SP_ERR_JSON_SYNTAX, "syntax before NUL");
	check_parse_n("[\0}", 3, SP_ERR_JSON_NUL, "NUL before syntax");

	j = check_parse("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", 0,
	    "valid UTF-8");
	CHECK(j != NULL && j->slen == 9, "UTF-8 kept as is");
	json_free(j);
	j = check_parse("\"\\u00e9\\u20AC\\ud83d\\uDE00\"", 0,
	    "escaped code points");
	CHECK(j != NULL && strcmp(j->s,
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0,
	    "escapes become UTF-8, surrogate pair joined");
	json_free(j);

	check_parse_free("\"\x80\"", SP_ERR_JSON_SYNTAX, "lone continuation");
	check_parse_free("\"\xc0\x80\"", SP_ERR_JSON_SYNTAX,
	    "overlong NUL");
	check_parse_free("\"\xc1\xbf\"", SP_ERR_JSON_SYNTAX, "overlong 2");
	check_parse_free("\"\xe0\x80\xaf\"", SP_ERR_JSON_SYNTAX,
	    "overlong 3");
	check_parse_free("\"\xf0\x80\x80\xaf\"", SP_ERR_JSON_SYNTAX,
	    "overlong 4");
	check_parse_free("\"\xed\xa0\x80\"", SP_ERR_JSON_SYNTAX,
	    "encoded surrogate");
	check_parse_free("\"\xf4\x90\x80\x80\"", SP_ERR_JSON_SYNTAX,
	    "above U+10FFFF");
	check_parse_free("\"\xf5\x80\x80\x80\"", SP_ERR_JSON_SYNTAX,
	    "lead byte F5");
	check_parse_free("\"\xe2\x82\"", SP_ERR_JSON_SYNTAX,
	    "truncated sequence");
	check_parse_free("\"\xff\"", SP_ERR_JSON_SYNTAX, "byte FF");
	check_parse_free("{\"\xc0\x80\":1}", SP_ERR_JSON_SYNTAX,
	    "invalid UTF-8 in a name");
	check_parse_free("[\xc3\xa9]", SP_ERR_JSON_SYNTAX,
	    "UTF-8 outside a string");

	check_parse_free("\"\\ud800\"", SP_ERR_JSON_SYNTAX,
	    "lone high surrogate");
	check_parse_free("\"\\udc00\"", SP_ERR_JSON_SYNTAX,
	    "lone low surrogate");
	check_parse_free("\"\\ud800\\u0041\"", SP_ERR_JSON_SYNTAX,
	    "high surrogate then non-surrogate");
	check_parse_free("\"\\ud800\\ud800\"", SP_ERR_JSON_SYNTAX,
	    "two high surrogates");
	check_parse_free("\"\\ud800x\"", SP_ERR_JSON_SYNTAX,
	    "high surrogate then a letter");
	check_parse_free("\"\\ud800\\n\"", SP_ERR_JSON_SYNTAX,
	    "high surrogate then another escape");
	check_parse_free("\"\\udbff\\udfff\"", 0, "U+10FFFF escaped");

	/* The same code point raw, and one past it. */
	t = test_unhex("22f48fbfbf22", &n);
	j = check_parse_n(t, n, 0, "U+10FFFF raw");
	CHECK(j != NULL && memcmp(j->s, t + 1, 4) == 0, "U+10FFFF kept");
	json_free(j);
	free(t);
}

/* Nested arrays n deep: "[[[...]]]". */
static char *
nested(size_t n, const char *open, const char *close)
{
	size_t lo = strlen(open), lc = strlen(close), i;
	char *s;

	if ((s = malloc(n * (lo + lc) + 1)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		memcpy(s + i * lo, open, lo);
	for (i = 0; i < n; i++)
		memcpy(s + n * lo + i * lc, close, lc);
	s[n * (lo + lc)] = '\0';
	return s;
}

/* n objects: {"a":{"a":...{}...}}. */
static char *
nested_objects(size_t n)
{
	char *s, *t;

	s = nested(n - 1, "{\"a\":", "}");
	if ((t = malloc(strlen(s) + 3)) == NULL)
		abort();
	memcpy(t, s, (n - 1) * 5);
	memcpy(t + (n - 1) * 5, "{}", 2);
	strcpy(t + (n - 1) * 5 + 2, s + (n - 1) * 5);
	free(s);
	return t;
}

static void
test_limits(void)
{
	struct json *j;
	char *s;
	size_t i, n;

	s = nested(JSON_MAX_DEPTH, "[", "]");
	check_parse_free(s, 0, "32 nested arrays");
	free(s);
	s = nested(JSON_MAX_DEPTH + 1, "[", "]");
	check_parse_free(s, SP_ERR_JSON_LIMIT, "33 nested arrays");
	free(s);
	s = nested_objects(JSON_MAX_DEPTH);
	check_parse_free(s, 0, "32 nested objects");
	free(s);
	s = nested_objects(JSON_MAX_DEPTH + 1);
	check_parse_free(s, SP_ERR_JSON_LIMIT, "33 nested objects");
	free(s);

	/* Nodes: the array itself plus its members. */
	n = JSON_MAX_NODES - 1;
	s = malloc(2 * n + 2);
	s[0] = '[';
	for (i = 0; i < n; i++) {
		s[1 + 2 * i] = '0';
		s[2 + 2 * i] = ',';
	}
	s[2 * n] = ']';
	s[2 * n + 1] = '\0';
	j = check_parse(s, 0, "4096 nodes");
	CHECK(j != NULL && j->n == n, "4095 members");
	json_free(j);
	free(s);
	n = JSON_MAX_NODES;
	s = malloc(2 * n + 2);
	s[0] = '[';
	for (i = 0; i < n; i++) {
		s[1 + 2 * i] = '0';
		s[2 + 2 * i] = ',';
	}
	s[2 * n] = ']';
	s[2 * n + 1] = '\0';
	check_parse_free(s, SP_ERR_JSON_LIMIT, "4097 nodes");
	free(s);

	/* Strings and names up to JSON_MAX_STRING bytes. */
	n = JSON_MAX_STRING;
	s = malloc(n + 10);
	s[0] = '"';
	memset(s + 1, 'x', n);
	strcpy(s + 1 + n, "\"");
	j = check_parse(s, 0, "64 KiB string");
	CHECK(j != NULL && j->slen == n, "64 KiB kept");
	json_free(j);
	s[1 + n] = 'x';
	strcpy(s + 2 + n, "\"");
	check_parse_free(s, SP_ERR_JSON_LIMIT, "64 KiB + 1 string");
	free(s);
	s = malloc(n + 20);
	s[0] = '{';
	s[1] = '"';
	memset(s + 2, 'k', n + 1);
	strcpy(s + 3 + n, "\":1}");
	check_parse_free(s, SP_ERR_JSON_LIMIT, "64 KiB + 1 name");
	free(s);
	/* Escapes shrink: 64 KiB + 1 of text decoding to 64 KiB is fine. */
	n = JSON_MAX_STRING;
	s = malloc(n + 10);
	s[0] = '"';
	s[1] = '\\';
	s[2] = 'n';
	memset(s + 3, 'x', n - 1);
	strcpy(s + 2 + n, "\"");
	check_parse_free(s, 0, "limit counts decoded bytes");
	free(s);

	/* Total input: exactly JSON_MAX_INPUT is fine, one more is not. */
	n = JSON_MAX_INPUT;
	s = malloc(n + 2);
	memset(s, ' ', n);
	s[n - 1] = '1';
	s[n] = '\0';
	CHECK_EQ(json_parse(s, n, &j), 0, "1 MiB of input");
	json_free(j);
	s[n - 1] = ' ';
	s[n] = '1';
	s[n + 1] = '\0';
	CHECK_EQ(json_parse(s, n + 1, &j), SP_ERR_JSON_LIMIT,
	    "1 MiB + 1 of input");
	CHECK_EQ(parse_steps(s, n + 1, 4096, &j), SP_ERR_JSON_LIMIT,
	    "1 MiB + 1 in pieces");
	/* A syntax error inside the first 1 MiB still comes first. */
	s[0] = ']';
	CHECK_EQ(json_parse(s, n + 1, &j), SP_ERR_JSON_SYNTAX,
	    "earlier syntax error wins over the size limit");
	free(s);
}

static void
test_get(void)
{
	struct json *j;
	const struct json *m;
	const char *s;
	int b;

	/* Duplicates: both kept; the first wins. */
	j = check_parse("{\"a\":1,\"a\":2}", 0, "duplicate names");
	CHECK(j != NULL && j->n == 2, "both members kept");
	m = json_get(j, "a");
	CHECK(m != NULL && m->i == 1, "first duplicate wins");
	json_free(j);

	j = check_parse("{\"abc\":1,\"ABC\":2,\"Xyz\":3,\"xYZ\":4,"
	    "\"\xc3\x89\":5}", 0, "names in several cases");
	m = json_get(j, "ABC");
	CHECK(m != NULL && m->i == 2, "exact match before folded");
	m = json_get(j, "abc");
	CHECK(m != NULL && m->i == 1, "exact match (lower)");
	m = json_get(j, "Abc");
	CHECK(m != NULL && m->i == 1, "first case-insensitive match");
	m = json_get(j, "XYZ");
	CHECK(m != NULL && m->i == 3, "folded match, first of two");
	m = json_get(j, "xYZ");
	CHECK(m != NULL && m->i == 4, "exact beats an earlier folded");
	CHECK(json_get(j, "\xc3\xa9") == NULL, "no folding beyond ASCII");
	CHECK(json_get(j, "ab") == NULL, "prefix is no match");
	CHECK(json_get(j, "abcd") == NULL, "longer is no match");
	CHECK(json_get(j, NULL) == NULL, "NULL name");
	CHECK(json_get(NULL, "a") == NULL, "NULL object");
	json_free(j);

	j = check_parse("{\"s\":\"v\",\"n\":null,\"b\":true,\"i\":1}", 0,
	    "getters");
	CHECK(json_get_str(j, "S", &s) == 0 && strcmp(s, "v") == 0,
	    "str folded");
	CHECK_EQ(json_get_str(j, "x", &s), SP_ERR_JSON_MISSING, "absent");
	CHECK(s == NULL, "out cleared");
	CHECK_EQ(json_get_str(j, "n", &s), SP_ERR_JSON_MISSING,
	    "null counts as absent");
	CHECK_EQ(json_get_str(j, "b", &s), SP_ERR_JSON_TYPE, "bool != str");
	CHECK_EQ(json_get_bool(j, "s", &b), SP_ERR_JSON_TYPE, "str != bool");
	CHECK_EQ(json_get_bool(j, "i", &b), SP_ERR_JSON_TYPE, "int != bool");
	CHECK(json_get_bool(j, "B", &b) == 0 && b == 1, "bool");
	m = json_get(j, "i");
	CHECK_EQ(json_get_str(m, "s", &s), SP_ERR_JSON_MISSING,
	    "member of a non-object");
	json_free(j);
}

/* Write one string value and return the text (caller frees). */
static int
write_str(const char *s, char **out)
{
	struct json_writer *w;
	struct buf b;
	int r;

	*out = NULL;
	buf_init(&b, JSON_MAX_INPUT);
	if ((w = json_writer_new()) == NULL)
		return SP_ERR_ALLOC;
	if ((r = json_w_str(w, s)) == 0 &&
	    (r = json_w_finish(w, &b)) == 0)
		r = buf_to_cstr(&b, out);
	json_writer_free(w);
	buf_release(&b);
	return r;
}

static void
check_write_str(const char *s, const char *want, const char *what)
{
	struct json *j;
	char *out;

	CHECK_EQ(write_str(s, &out), 0, what);
	CHECK_STR(out, want, what);
	/* And it reads back as the same string. */
	CHECK(out != NULL && json_parse(out, strlen(out), &j) == 0 &&
	    j->type == JSON_STRING && strcmp(j->s, s) == 0,
	    "written string reads back");
	if (out != NULL)
		json_free(j);
	free(out);
}

static void
test_writer_strings(void)
{
	char all[128], want[1024], *out;
	size_t i, o;
	int c;

	/* What Go's json.Marshal (1.17, the plugin's) writes. */
	check_write_str("", "\"\"", "empty string");
	check_write_str("plain text 123", "\"plain text 123\"", "plain");
	check_write_str("a\"b\\c/d", "\"a\\\"b\\\\c/d\"",
	    "quote and backslash escaped, solidus not");
	check_write_str("<a href=\"x\">&amp;</a>",
	    "\"\\u003ca href=\\\"x\\\"\\u003e\\u0026amp;\\u003c/a\\u003e\"",
	    "HTML characters as Go escapes them");
	check_write_str("\n\r\t\b\f\x01\x1f\x7f",
	    "\"\\n\\r\\t\\u0008\\u000c\\u0001\\u001f\x7f\"",
	    "control characters; DEL as is");
	check_write_str("\xe2\x80\xa8 \xe2\x80\xa9 \xe2\x80\xaa",
	    "\"\\u2028 \\u2029 \xe2\x80\xaa\"", "U+2028 and U+2029");
	check_write_str("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	    "other non-ASCII as is");

	/* Every ASCII byte at once, against a table built here. */
	for (c = 1, i = 0; c < 128; c++)
		all[i++] = (char)c;
	all[i] = '\0';
	o = 0;
	want[o++] = '"';
	for (c = 1; c < 128; c++) {
		if (c == '"' || c == '\\') {
			want[o++] = '\\';
			want[o++] = (char)c;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			want[o++] = '\\';
			want[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			o += (size_t)snprintf(want + o, sizeof(want) - o,
			    "\\u%04x", c);
		else
			want[o++] = (char)c;
	}
	want[o++] = '"';
	want[o] = '\0';
	check_write_str(all, want, "every ASCII character");

	CHECK_EQ(write_str("\xc0\x80", &out), SP_ERR_INVALID_ARG,
	    "overlong refused");
	CHECK_EQ(write_str("a\xff", &out), SP_ERR_INVALID_ARG,
	    "invalid byte refused");
	CHECK_EQ(write_str("\xed\xa0\x80", &out), SP_ERR_INVALID_ARG,
	    "surrogate refused");
	CHECK_EQ(write_str("\xe2\x82", &out), SP_ERR_INVALID_ARG,
	    "truncated refused");
}

static void
test_writer(void)
{
	struct json_writer *w;
	struct buf b, small;
	char *s, *big;
	int i;

	buf_init(&b, 4096);
	w = json_writer_new();
	CHECK(w != NULL, "writer_new");
	CHECK(json_w_obj_open(w) == 0 &&
	    json_w_key(w, "a") == 0 && json_w_int(w, 0) == 0 &&
	    json_w_key(w, "b") == 0 && json_w_int(w, INT64_MIN) == 0 &&
	    json_w_key(w, "c") == 0 && json_w_int(w, INT64_MAX) == 0 &&
	    json_w_key(w, "d") == 0 && json_w_arr_open(w) == 0 &&
	    json_w_bool(w, 1) == 0 && json_w_bool(w, 0) == 0 &&
	    json_w_null(w) == 0 && json_w_str(w, "x") == 0 &&
	    json_w_arr_open(w) == 0 && json_w_arr_close(w) == 0 &&
	    json_w_obj_open(w) == 0 && json_w_obj_close(w) == 0 &&
	    json_w_int(w, -1) == 0 &&
	    json_w_arr_close(w) == 0 &&
	    json_w_key(w, "<e>") == 0 && json_w_obj_open(w) == 0 &&
	    json_w_obj_close(w) == 0 &&
	    json_w_obj_close(w) == 0, "write a document");
	CHECK_EQ(json_w_finish(w, &b), 0, "finish");
	CHECK_EQ(buf_to_cstr(&b, &s), 0, "text");
	CHECK_STR(s, "{\"a\":0,\"b\":-9223372036854775808,"
	    "\"c\":9223372036854775807,"
	    "\"d\":[true,false,null,\"x\",[],{},-1],\"\\u003ce\\u003e\":{}}",
	    "compact, in call order");
	free(s);
	CHECK_EQ(json_w_int(w, 1), SP_ERR_STATE, "second top-level value");
	CHECK_EQ(json_w_finish(w, &b), SP_ERR_STATE, "error is sticky");
	json_writer_free(w);
	json_writer_free(NULL);

	/* Calls out of order. */
	w = json_writer_new();
	CHECK_EQ(json_w_finish(w, &b), SP_ERR_STATE, "finish of nothing");
	json_writer_free(w);
	w = json_writer_new();
	CHECK_EQ(json_w_key(w, "a"), SP_ERR_STATE, "key at top level");
	json_writer_free(w);
	w = json_writer_new();
	CHECK(json_w_obj_open(w) == 0, "open");
	CHECK_EQ(json_w_int(w, 1), SP_ERR_STATE, "value without a key");
	json_writer_free(w);
	w = json_writer_new();
	CHECK(json_w_obj_open(w) == 0 && json_w_key(w, "a") == 0, "key");
	CHECK_EQ(json_w_key(w, "b"), SP_ERR_STATE, "two keys in a row");
	json_writer_free(w);
	w = json_writer_new();
	CHECK(json_w_obj_open(w) == 0 && json_w_key(w, "a") == 0, "key");
	CHECK_EQ(json_w_obj_close(w), SP_ERR_STATE, "close after a key");
	json_writer_free(w);
	w = json_writer_new();
	CHECK(json_w_arr_open(w) == 0, "open array");
	CHECK_EQ(json_w_key(w, "a"), SP_ERR_STATE, "key in an array");
	json_writer_free(w);
	w = json_writer_new();
	CHECK(json_w_arr_open(w) == 0, "open array");
	CHECK_EQ(json_w_obj_close(w), SP_ERR_STATE, "mismatched close");
	json_writer_free(w);
	w = json_writer_new();
	CHECK_EQ(json_w_arr_close(w), SP_ERR_STATE, "close of nothing");
	json_writer_free(w);
	w = json_writer_new();
	CHECK(json_w_arr_open(w) == 0, "open array");
	CHECK_EQ(json_w_finish(w, &b), SP_ERR_STATE, "finish while open");
	json_writer_free(w);
	w = json_writer_new();
	CHECK_EQ(json_w_str(w, NULL), SP_ERR_INVALID_ARG, "NULL string");
	CHECK_EQ(json_w_null(w), SP_ERR_INVALID_ARG, "sticky");
	json_writer_free(w);

	/* Depth. */
	w = json_writer_new();
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		if (json_w_arr_open(w) != 0)
			break;
	CHECK_EQ(i, JSON_MAX_DEPTH, "32 levels");
	CHECK_EQ(json_w_arr_open(w), SP_ERR_JSON_LIMIT, "33rd level");
	json_writer_free(w);

	/* Size: the writer's cap, and all-or-nothing into out. */
	big = malloc(JSON_MAX_INPUT + 1);
	memset(big, 'x', JSON_MAX_INPUT);
	big[JSON_MAX_INPUT] = '\0';
	w = json_writer_new();
	CHECK_EQ(json_w_str(w, big), SP_ERR_NO_SPACE, "text above 1 MiB");
	json_writer_free(w);
	free(big);
	w = json_writer_new();
	buf_init(&small, 4);
	CHECK(json_w_str(w, "abcdef") == 0, "value");
	CHECK_EQ(json_w_finish(w, &small), SP_ERR_NO_SPACE, "out too small");
	CHECK_EQ(buf_len(&small), 0, "nothing appended");
	json_writer_free(w);
	buf_release(&small);
	buf_release(&b);
}

int
main(void)
{
	test_basic();
	test_syntax();
	test_sticky();
	test_numbers();
	test_nul_utf8();
	test_limits();
	test_get();
	test_writer_strings();
	test_writer();
	return test_done();
}
