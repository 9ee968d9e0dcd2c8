/* WebSocket client framing; see wsframe.h. */
#include <string.h>

#include "wsframe.h"

size_t
wsf_client_frame_len(size_t len)
{
	if (len < 126)
		return 2 + 4 + len;
	if (len <= 0xffff)
		return 4 + 4 + len;
	return 10 + 4 + len;
}

void
wsf_mask(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[4])
{
	uint64_t k, w;
	size_t i = 0;

	/* Eight bytes at a time: 8 is a multiple of the key's period. */
	memcpy(&k, key, 4);
	memcpy((uint8_t *)&k + 4, key, 4);
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, in + i, 8);
		w ^= k;
		memcpy(out + i, &w, 8);
	}
	for (; i < len; i++)
		out[i] = in[i] ^ key[i & 3];
}

size_t
wsf_client_frame(uint8_t *out, size_t cap, unsigned int opcode,
    const uint8_t *payload, size_t len, const uint8_t key[4])
{
	size_t n = wsf_client_frame_len(len), h = 0;
	int i;

	if (n < len || cap < n)
		return 0;
	out[h++] = 0x80 | (opcode & 0x0f);	/* FIN, no RSV bits */
	if (len < 126)
		out[h++] = 0x80 | (uint8_t)len;
	else if (len <= 0xffff) {
		out[h++] = 0x80 | 126;
		out[h++] = (uint8_t)(len >> 8);
		out[h++] = (uint8_t)len;
	} else {
		out[h++] = 0x80 | 127;
		for (i = 7; i >= 0; i--)
			out[h++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	memcpy(out + h, key, 4);
	h += 4;
	wsf_mask(out + h, payload, len, key);
	return n;
}

void
wsf_reader_init(struct wsf_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->hneed = 2;
}

int
wsf_reader_idle(const struct wsf_reader *r)
{
	return !r->failed && r->hneed == 2 && r->hlen == 0 && r->msg_op == 0;
}

static int
fail(struct wsf_reader *r)
{
	r->failed = 1;
	return SP_ERR_PROTOCOL;
}

/* The header is complete in r->hdr: check it and start the payload. */
static int
start_frame(struct wsf_reader *r)
{
	uint8_t b0 = r->hdr[0], b1 = r->hdr[1];
	uint64_t len = b1 & 0x7f;
	int i;

	r->op = b0 & 0x0f;
	r->fin = (b0 & 0x80) != 0;
	if ((b0 & 0x70) != 0 || (b1 & 0x80) != 0)
		return fail(r);		/* RSV bits; a masked server frame */
	if (len == 126)
		len = (uint64_t)r->hdr[2] << 8 | r->hdr[3];
	else if (len == 127) {
		len = 0;
		for (i = 2; i < 10; i++)
			len = len << 8 | r->hdr[i];
		if (len >> 63)
			return fail(r);
	}
	switch (r->op) {
	case 0x0:			/* continuation */
		if (r->msg_op == 0)
			return fail(r);
		break;
	case WSF_OP_TEXT:
	case WSF_OP_BINARY:
		if (r->msg_op != 0)
			return fail(r);
		r->msg_op = r->op;
		break;
	case WSF_OP_CLOSE:
	case WSF_OP_PING:
	case WSF_OP_PONG:
		if (!r->fin || len > sizeof(r->ctl))
			return fail(r);
		r->ctl_len = 0;
		break;
	default:
		return fail(r);
	}
	r->left = len;
	r->hlen = 0;
	r->hneed = 2;
	return 0;
}

int
wsf_read(struct wsf_reader *r, const uint8_t *p, size_t len, size_t *used,
    struct wsf_event *ev)
{
	size_t i = 0, n;
	int ctl;

	*used = 0;
	memset(ev, 0, sizeof(*ev));
	if (r->failed)
		return SP_ERR_PROTOCOL;
	for (;;) {
		if (r->hneed != 0) {
			/* Header: byte 1 tells how long it is. */
			while (r->hlen < r->hneed && i < len) {
				r->hdr[r->hlen++] = p[i++];
				if (r->hlen == 2)
					r->hneed = (r->hdr[1] & 0x7f) == 126 ?
					    4 : (r->hdr[1] & 0x7f) == 127 ?
					    10 : 2;
			}
			if (r->hlen < r->hneed) {
				*used = i;
				return WSF_NEED_MORE;
			}
			if (start_frame(r) != 0) {
				*used = i;
				return SP_ERR_PROTOCOL;
			}
			r->hneed = 0;
		}
		ctl = r->op >= 0x8;
		n = len - i;
		if ((uint64_t)n > r->left)
			n = (size_t)r->left;
		if (ctl) {
			memcpy(r->ctl + r->ctl_len, p + i, n);
			r->ctl_len += (uint8_t)n;
		}
		i += n;
		r->left -= n;
		if (r->left > 0 && !ctl && n > 0) {
			/* A piece of a data frame, more to come. */
			ev->opcode = r->msg_op;
			ev->data = p + i - n;
			ev->len = n;
			*used = i;
			return WSF_DATA;
		}
		if (r->left > 0) {
			*used = i;
			return WSF_NEED_MORE;
		}
		/* The frame is complete; the next header comes next. */
		r->hneed = 2;
		if (ctl) {
			ev->opcode = r->op;
			ev->data = r->ctl;
			ev->len = r->ctl_len;
			ev->end = 1;
			*used = i;
			return WSF_CONTROL;
		}
		if (n > 0 || r->fin) {
			ev->opcode = r->msg_op;
			ev->data = p + i - n;
			ev->len = n;
			ev->end = r->fin;
			if (r->fin)
				r->msg_op = 0;
			*used = i;
			return WSF_DATA;
		}
		/* An empty non-final frame: nothing to report. */
		if (i == len) {
			*used = i;
			return WSF_NEED_MORE;
		}
	}
}
