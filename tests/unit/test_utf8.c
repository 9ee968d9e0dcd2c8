/* Unit tests for protocol/utf8.c, strict UTF-8 (RFC 3629). */
#include "test.h"
#include "utf8.h"

static const struct {
	const char	*in;
	size_t		 n;		/* bytes offered */
	size_t		 len;		/* expected length, 0: invalid */
	uint32_t	 cp;
	const char	*what;
} cases[] = {
	{ "A", 1, 1, 0x41, "ASCII" },
	{ "\0", 1, 1, 0, "NUL is a code point here" },
	{ "\x7f", 1, 1, 0x7f, "DEL" },
	{ "\xc2\x80", 2, 2, 0x80, "smallest two-byte" },
	{ "\xdf\xbf", 2, 2, 0x7ff, "largest two-byte" },
	{ "\xe0\xa0\x80", 3, 3, 0x800, "smallest three-byte" },
	{ "\xed\x9f\xbf", 3, 3, 0xd7ff, "below the surrogates" },
	{ "\xee\x80\x80", 3, 3, 0xe000, "above the surrogates" },
	{ "\xe2\x80\xa8", 3, 3, 0x2028, "U+2028" },
	{ "\xef\xbf\xbf", 3, 3, 0xffff, "largest three-byte" },
	{ "\xf0\x90\x80\x80", 4, 4, 0x10000, "smallest four-byte" },
	{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff, "U+10FFFF" },
	{ "\xc3\xa9x", 3, 2, 0xe9, "stops after the sequence" },
	{ "\x80", 1, 0, 0, "lone continuation byte" },
	{ "\xc0\x80", 2, 0, 0, "overlong NUL" },
	{ "\xc1\xbf", 2, 0, 0, "overlong two-byte" },
	{ "\xe0\x9f\xbf", 3, 0, 0, "overlong three-byte" },
	{ "\xf0\x8f\xbf\xbf", 4, 0, 0, "overlong four-byte" },
	{ "\xed\xa0\x80", 3, 0, 0, "high surrogate" },
	{ "\xed\xbf\xbf", 3, 0, 0, "low surrogate" },
	{ "\xf4\x90\x80\x80", 4, 0, 0, "above U+10FFFF" },
	{ "\xf5\x80\x80\x80", 4, 0, 0, "lead byte 0xf5" },
	{ "\xff", 1, 0, 0, "byte 0xff" },
	{ "\xc3", 1, 0, 0, "cut after the lead byte" },
	{ "\xe2\x80", 2, 0, 0, "cut three-byte" },
	{ "\xc3\xa9", 1, 0, 0, "cut by len" },
	{ "\xe2\x28\xa1", 3, 0, 0, "bad second byte" },
	{ "", 0, 0, 0, "nothing" },
};

int
main(void)
{
	uint32_t cp;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cp = 0xdeadbeef;
		CHECK_EQ(utf8_decode((const uint8_t *)cases[i].in, cases[i].n,
		    &cp), cases[i].len, cases[i].what);
		CHECK_EQ(cp, cases[i].cp, cases[i].what);
	}
	CHECK_EQ(utf8_valid((const uint8_t *)"", 0), 1, "empty is valid");
	CHECK_EQ(utf8_valid((const uint8_t *)"a\xc3\xa9\xe2\x80\xa8"
	    "\xf0\x9f\x98\x80", 10), 1, "mixed lengths");
	CHECK_EQ(utf8_valid((const uint8_t *)"ab\xc3", 3), 0, "cut at the end");
	CHECK_EQ(utf8_valid((const uint8_t *)"a\xed\xa0\x80z", 5), 0,
	    "surrogate inside");
	return test_done();
}
