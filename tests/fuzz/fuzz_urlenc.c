/*
 * libFuzzer target for the percent-encoder (protocol/urlenc.c), whose
 * decoding half reads the raw query of every URL the signer is given.
 * Must neither crash nor leak.  Oracles: requoting succeeds exactly when
 * every '%' starts a valid escape; its output and the encoder's are
 * unreserved bytes and upper-case %XX escapes only, and requoting either
 * output gives it back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "urlenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Only unreserved bytes and %XX with upper-case hex digits. */
static int
canonical(const struct buf *b)
{
	const uint8_t *p = buf_ptr(b);
	size_t n = buf_len(b), i;

	for (i = 0; i < n; i++) {
		if (urlenc_unreserved(p[i]))
			continue;
		if (p[i] != '%' || n - i < 3 ||
		    hex_value(p[i + 1]) < 0 || hex_value(p[i + 2]) < 0 ||
		    (p[i + 1] >= 'a' && p[i + 1] <= 'f') ||
		    (p[i + 2] >= 'a' && p[i + 2] <= 'f'))
			return 0;
		i += 2;
	}
	return 1;
}

/* Requoting canonical text must give it back unchanged. */
static void
check_fixed_point(const struct buf *b)
{
	struct buf again;

	if (!canonical(b))
		abort();
	buf_init(&again, buf_len(b));
	if (urlenc_put_requoted(&again, (const char *)buf_ptr(b),
	    buf_len(b)) != 0 || buf_len(&again) != buf_len(b) ||
	    (buf_len(b) > 0 && memcmp(buf_ptr(&again), buf_ptr(b),
	    buf_len(b)) != 0))
		abort();
	buf_release(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b;
	int r;

	if (size > 4096)
		return 0;
	buf_init(&b, 3 * size);
	r = urlenc_put_requoted(&b, (const char *)data, size);
	if ((r == 0) != urlenc_escapes_valid((const char *)data, size) ||
	    (r != 0 && r != SP_ERR_INVALID_ARG))
		abort();
	if (r == 0)
		check_fixed_point(&b);
	buf_reset(&b);
	if (urlenc_put(&b, data, size, 0) != 0)
		abort();
	check_fixed_point(&b);
	buf_release(&b);
	return 0;
}
