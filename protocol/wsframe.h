/*
 * WebSocket framing for the data channel's hot path (RFC 6455 5.2).
 *
 * libwebsockets writes one frame per call, masking byte by byte; the
 * tunnel instead lays out many client frames back to back in one buffer
 * and hands them to the TLS layer in one write.  This is the only place
 * outside buf.c that indexes wire bytes: a frame header is not an
 * AgentMessage field.
 */
#ifndef SP_WSFRAME_H
#define SP_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define WSF_OP_TEXT	0x1
#define WSF_OP_BINARY	0x2
#define WSF_OP_CLOSE	0x8
#define WSF_OP_PING	0x9
#define WSF_OP_PONG	0xa

/* Largest header of a masked client frame: 2 + 8 (length) + 4 (key). */
#define WSF_CLIENT_HDR_MAX	14

/* Bytes wsf_client_frame() writes for a payload of len bytes. */
size_t	wsf_client_frame_len(size_t len);

/*
 * Write one final, masked client frame with the given opcode and
 * payload to out, masking with key (4 bytes, fresh from a strong random
 * source for every frame, RFC 6455 5.3).  Returns the bytes written, or
 * 0 when cap is too small (nothing is written then).  payload and out
 * must not overlap.
 */
size_t	wsf_client_frame(uint8_t *out, size_t cap, unsigned int opcode,
	    const uint8_t *payload, size_t len, const uint8_t key[4]);

/* XOR len bytes of in with key, starting at key offset 0, into out
 * (which may equal in). */
void	wsf_mask(uint8_t *out, const uint8_t *in, size_t len,
	    const uint8_t key[4]);

/*
 * Incremental reader of the frames a server sends (RFC 6455 5.2): feed it
 * the bytes as they come, in pieces of any size.  Data payload is handed
 * back in place, without a copy; a control frame (at most 125 bytes) is
 * gathered in the reader.  No extension is negotiated, so RSV bits are an
 * error, and so is a masked frame (5.1), a fragmented or oversized control
 * frame, a continuation without a message to continue, a new message
 * inside another, an unknown opcode, and a 64-bit length with its top bit
 * set.  After an error the reader is spent: the connection must go.
 */
struct wsf_reader {
	uint8_t		 hdr[10];	/* header bytes so far */
	uint8_t		 hlen;
	uint8_t		 hneed;		/* header size once byte 1 is in */
	uint8_t		 op;		/* opcode of the frame being read */
	uint8_t		 fin;
	uint8_t		 msg_op;	/* data message in progress, or 0 */
	uint8_t		 failed;
	uint64_t	 left;		/* payload bytes left in the frame */
	uint8_t		 ctl[125];	/* control frame payload */
	uint8_t		 ctl_len;
};

#define WSF_NEED_MORE	0	/* all input taken, nothing to report */
#define WSF_DATA	1	/* a piece of a TEXT or BINARY message */
#define WSF_CONTROL	2	/* a whole PING, PONG or CLOSE frame */

struct wsf_event {
	unsigned int	 opcode;	/* the message's or control frame's */
	const uint8_t	*data;		/* into the input, or the reader */
	size_t		 len;
	int		 end;		/* WSF_DATA: the message's last piece */
};

/* Ready to read a new connection's first frame. */
void	wsf_reader_init(struct wsf_reader *r);
/* Between frames: the next byte would start a header. */
int	wsf_reader_idle(const struct wsf_reader *r);
/*
 * Read from len bytes at p until there is something to report: returns
 * WSF_DATA or WSF_CONTROL with *ev filled, WSF_NEED_MORE, or
 * SP_ERR_PROTOCOL.  *used says how many bytes were taken; call again with
 * the rest.  ev->data stays valid while p does (WSF_DATA) or until the
 * next call (WSF_CONTROL).
 */
int	wsf_read(struct wsf_reader *r, const uint8_t *p, size_t len,
	    size_t *used, struct wsf_event *ev);

#endif /* SP_WSFRAME_H */
