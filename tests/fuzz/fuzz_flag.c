/*
 * libFuzzer target for pl_decode_flag (protocol/payload.c): exactly four
 * bytes decode, and re-encode to the same bytes; anything else is
 * SP_ERR_PAYLOAD_LENGTH with the value zeroed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;
	uint32_t flag;
	int r;

	r = pl_decode_flag(data, size, &flag);
	if (size != 4) {
		if (r != SP_ERR_PAYLOAD_LENGTH || flag != 0)
			abort();
		return 0;
	}
	if (r != 0)
		abort();
	buf_init(&out, 4);
	if (pl_encode_flag(&out, flag) != 0 || buf_len(&out) != 4 ||
	    memcmp(buf_ptr(&out), data, 4) != 0)
		abort();
	buf_release(&out);
	return 0;
}
