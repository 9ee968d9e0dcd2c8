/* SSH wire strings and frames on struct buf; see sshbuf.h. */
#include <string.h>

#include "sshbuf.h"

int
sshbuf_get_string(struct buf *b, const uint8_t **p, size_t *n)
{
	uint32_t len;
	int r;

	*p = NULL;
	*n = 0;
	if ((r = buf_peek_u32(b, 0, &len)) != 0)
		return r;
	if ((size_t)len > buf_len(b) - 4)
		return SP_ERR_INCOMPLETE;
	*p = buf_ptr(b) + 4;
	*n = len;
	return buf_skip(b, 4 + (size_t)len);
}

int
sshbuf_put_string(struct buf *b, const void *p, size_t n)
{
	int r;

	if (n > UINT32_MAX)
		return SP_ERR_INVALID_ARG;
	if ((r = buf_put_u32(b, (uint32_t)n)) != 0)
		return r;
	/* Take the length back if the bytes do not fit. */
	if ((r = buf_put(b, p, n)) != 0 && buf_consume_end(b, 4) != 0)
		return SP_ERR_INTERNAL;
	return r;
}

int
sshbuf_put_cstring(struct buf *b, const char *s)
{
	return sshbuf_put_string(b, s, strlen(s));
}

int
sshbuf_frame_start(struct buf *b, size_t *start)
{
	*start = buf_len(b);
	return buf_put_u32(b, 0);
}

int
sshbuf_frame_end(struct buf *b, size_t start)
{
	size_t len = buf_len(b);

	if (start > len || len - start < 4 || len - start - 4 > UINT32_MAX)
		return SP_ERR_INVALID_ARG;
	return buf_poke_u32(b, start, (uint32_t)(len - start - 4));
}
