/* Unit tests for protocol/urlenc.c, the percent-encoder. */
#include "test.h"
#include "urlenc.h"

/* Encode n bytes of in with flags and compare the output with want. */
static void
check_put(const char *in, size_t n, int flags, const char *want,
    const char *what)
{
	struct buf b;
	char *s = NULL;

	buf_init(&b, 1024);
	CHECK_EQ(urlenc_put(&b, in, n, flags), 0, what);
	CHECK_EQ(buf_to_cstr(&b, &s), 0, what);
	CHECK_STR(s, want, what);
	free(s);
	buf_release(&b);
}

static void
check_requote(const char *in, int want_r, const char *want,
    const char *what)
{
	struct buf b;
	char *s = NULL;
	int r;

	buf_init(&b, 1024);
	r = urlenc_put_requoted(&b, in, strlen(in));
	CHECK_EQ(r, want_r, what);
	if (r == 0) {
		CHECK_EQ(buf_to_cstr(&b, &s), 0, what);
		CHECK_STR(s, want, what);
		free(s);
	}
	buf_release(&b);
}

static void
test_unreserved(void)
{
	int c, n = 0;

	for (c = 0; c < 256; c++)
		n += urlenc_unreserved((uint8_t)c);
	CHECK_EQ(n, 66, "66 unreserved bytes (RFC 3986 2.3)");
	CHECK(urlenc_unreserved('~') && urlenc_unreserved('-') &&
	    urlenc_unreserved('_') && urlenc_unreserved('.'), "~ - _ .");
	CHECK(!urlenc_unreserved('+') && !urlenc_unreserved('/') &&
	    !urlenc_unreserved('%') && !urlenc_unreserved(' '), "+ / % space");
}

static void
test_put(void)
{
	uint8_t all[256];
	struct buf b;
	int c;

	check_put("AZaz09-_.~", 10, 0, "AZaz09-_.~", "unreserved as is");
	check_put("a b+c/d=e&f", 11, 0, "a%20b%2Bc%2Fd%3De%26f",
	    "reserved bytes escaped, upper-case hex");
	check_put("/a b/c", 6, URLENC_KEEP_SLASH, "/a%20b/c", "keep slash");
	check_put("\x00\x7f\x80\xff", 4, 0, "%00%7F%80%FF", "NUL and 8-bit");
	check_put("\xc3\xa9", 2, 0, "%C3%A9", "UTF-8 byte by byte");
	check_put("", 0, 0, "", "empty");

	/* Every byte: 66 kept, 190 escaped, 3 * 190 + 66 bytes in all. */
	for (c = 0; c < 256; c++)
		all[c] = (uint8_t)c;
	buf_init(&b, 1024);
	CHECK_EQ(urlenc_put(&b, all, sizeof(all), 0), 0, "every byte");
	CHECK_EQ(buf_len(&b), 3 * 190 + 66, "every byte: length");
	buf_release(&b);

	/* The cap is honoured. */
	buf_init(&b, 5);
	CHECK_EQ(urlenc_put(&b, "ab c", 4, 0), SP_ERR_NO_SPACE,
	    "past the cap");
	buf_release(&b);
}

static void
test_requote(void)
{
	check_requote("a%20b", 0, "a%20b", "escape kept");
	check_requote("a b", 0, "a%20b", "space escaped");
	check_requote("a%2fb%2Fc", 0, "a%2Fb%2Fc", "either case, upper out");
	check_requote("%41%7e", 0, "A~", "escaped unreserved decoded");
	check_requote("a+b", 0, "a%2Bb", "plus is a plus");
	check_requote("%00", 0, "%00", "escaped NUL");
	check_requote("", 0, "", "empty");
	check_requote("%", SP_ERR_INVALID_ARG, NULL, "lone %");
	check_requote("a%2", SP_ERR_INVALID_ARG, NULL, "one digit");
	check_requote("%zz", SP_ERR_INVALID_ARG, NULL, "not hex");
	check_requote("%%41", SP_ERR_INVALID_ARG, NULL, "%% is no escape");
}

static void
test_escapes_valid(void)
{
	CHECK_EQ(urlenc_escapes_valid("a%20b%7E", 8), 1, "valid escapes");
	CHECK_EQ(urlenc_escapes_valid("plain", 5), 1, "no escapes");
	CHECK_EQ(urlenc_escapes_valid("", 0), 1, "empty");
	CHECK_EQ(urlenc_escapes_valid("a%2", 3), 0, "short escape");
	CHECK_EQ(urlenc_escapes_valid("a%20", 3), 0, "escape cut by n");
	CHECK_EQ(urlenc_escapes_valid("%g0", 3), 0, "not hex");
}

static void
test_dup(void)
{
	char *s = NULL;

	CHECK_EQ(urlenc_dup("role=a b&x", &s), 0, "dup");
	CHECK_STR(s, "role%3Da%20b%26x", "dup output");
	free(s);
	s = NULL;
	CHECK_EQ(urlenc_dup("", &s), 0, "dup empty");
	CHECK_STR(s, "", "dup empty output");
	free(s);
}

int
main(void)
{
	test_unreserved();
	test_put();
	test_requote();
	test_escapes_valid();
	test_dup();
	return test_done();
}
