/* Hexadecimal digits; see hex.h. */
#include <stdint.h>

#include "hex.h"

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
encode(const void *p, size_t n, char *out, const char digits[16])
{
	const uint8_t *d = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

void
hex_encode(const void *p, size_t n, char *out)
{
	encode(p, n, out, "0123456789abcdef");
}

void
hex_encode_upper(const void *p, size_t n, char *out)
{
	encode(p, n, out, "0123456789ABCDEF");
}
