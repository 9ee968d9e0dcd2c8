/* Percent-encoding; see urlenc.h. */
#include <string.h>

#include "hex.h"
#include "urlenc.h"

int
urlenc_unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

int
urlenc_put(struct buf *b, const void *s, size_t n, int flags)
{
	const uint8_t *p = s;
	char esc[4];
	size_t i;
	int r;

	esc[0] = '%';
	for (i = 0; i < n; i++) {
		if (urlenc_unreserved(p[i]) ||
		    ((flags & URLENC_KEEP_SLASH) && p[i] == '/')) {
			if ((r = buf_put_u8(b, p[i])) != 0)
				return r;
			continue;
		}
		hex_encode_upper(&p[i], 1, esc + 1);
		if ((r = buf_put(b, esc, 3)) != 0)
			return r;
	}
	return 0;
}

/*
 * The byte an escape at s[i] ('%' and two hex digits, within n) stands
 * for, or -1 if s[i] starts no valid escape.
 */
static int
escape_at(const char *s, size_t n, size_t i)
{
	int hi, lo;

	if (n - i < 3 || (hi = hex_value((uint8_t)s[i + 1])) < 0 ||
	    (lo = hex_value((uint8_t)s[i + 2])) < 0)
		return -1;
	return hi << 4 | lo;
}

int
urlenc_put_requoted(struct buf *b, const char *s, size_t n)
{
	uint8_t c;
	size_t i;
	int v, r;

	for (i = 0; i < n; i++) {
		c = (uint8_t)s[i];
		if (c == '%') {
			if ((v = escape_at(s, n, i)) < 0)
				return SP_ERR_INVALID_ARG;
			c = (uint8_t)v;
			i += 2;
		}
		if ((r = urlenc_put(b, &c, 1, 0)) != 0)
			return r;
	}
	return 0;
}

int
urlenc_escapes_valid(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (escape_at(s, n, i) < 0)
			return 0;
		i += 2;
	}
	return 1;
}

int
urlenc_dup(const char *s, char **out)
{
	struct buf b;
	size_t n = strlen(s);
	int r;

	*out = NULL;
	if (n > BUF_MAX_CAP / 3)
		return SP_ERR_NO_SPACE;
	buf_init(&b, 3 * n);
	if ((r = urlenc_put(&b, s, n, 0)) == 0)
		r = buf_to_cstr(&b, out);
	buf_release(&b);
	return r;
}
