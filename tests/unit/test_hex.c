/* Unit tests for protocol/hex.c. */
#include "test.h"
#include "hex.h"

static void
test_value(void)
{
	const char *digits = "0123456789abcdef";
	char what[64];
	int c, want, ok = 1;
	size_t i;

	for (i = 0; i < 16; i++) {
		CHECK_EQ(hex_value(digits[i]), (int)i, "lower-case digit");
		if (i >= 10)
			CHECK_EQ(hex_value(digits[i] - 'a' + 'A'), (int)i,
			    "upper-case digit");
	}
	/* Every other byte value is no digit. */
	for (c = -1; c < 256; c++) {
		want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F');
		if ((hex_value(c) >= 0) != want) {
			snprintf(what, sizeof(what), "byte %d", c);
			CHECK(0, what);
			ok = 0;
		}
	}
	CHECK(ok, "exactly 22 characters are hex digits");
	CHECK_EQ(hex_value('g'), -1, "g");
	CHECK_EQ(hex_value('/'), -1, "'/' (one below '0')");
	CHECK_EQ(hex_value(':'), -1, "':' (one above '9')");
	CHECK_EQ(hex_value('@'), -1, "'@' (one below 'A')");
	CHECK_EQ(hex_value('`'), -1, "'`' (one below 'a')");
}

static void
test_encode(void)
{
	const uint8_t b[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof(b) + 1];

	memset(out, 'x', sizeof(out));
	hex_encode(b, sizeof(b), out);
	CHECK_STR(out, "00017f80abff", "lower case");
	memset(out, 'x', sizeof(out));
	hex_encode_upper(b, sizeof(b), out);
	CHECK_STR(out, "00017F80ABFF", "upper case");
	out[0] = 'x';
	hex_encode(b, 0, out);
	CHECK_STR(out, "", "nothing gives the empty string");
}

int
main(void)
{
	test_value();
	test_encode();
	return test_done();
}
