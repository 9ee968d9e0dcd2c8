/*
 * smux protocol version 1, client side (PROTOCOL.md "Multiplexed port
 * sessions (smux)").
 *
 * In a multiplexed port session the data channel's stream bytes are an
 * smux byte stream: frames of an 8-byte header (version 1, command,
 * little-endian 16-bit length, little-endian 32-bit stream id) and, for
 * PSH only, that many bytes of data.  The agent is the server; we open
 * the streams.
 *
 * Pure code: the caller moves bytes.  struct smux keeps the decoder and
 * the table of streams.  Frames go out through a struct buf; bytes come
 * in through smux_feed() in pieces of any size, with frames split or
 * merged at any point, and are reported through callbacks as they are
 * understood.  Data is handed on in place, never gathered: the decoder
 * holds at most one partial header, and the stream table at most
 * max_streams entries of a few bytes.  Like wsframe.c this indexes wire
 * bytes itself: buf.c's integers are big-endian, smux's are not.
 */
#ifndef SP_SMUX_H
#define SP_SMUX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define SMUX_VERSION		1
#define SMUX_CMD_SYN		0	/* open a stream */
#define SMUX_CMD_FIN		1	/* no more data on a stream */
#define SMUX_CMD_PSH		2	/* data */
#define SMUX_CMD_NOP		3	/* keepalive, stream id 0 */
#define SMUX_HDR_LEN		8
#define SMUX_MAX_DATA		65535	/* per PSH frame: the length field */

/* xtaci/smux's client numbers its streams 3, 5, 7, ...; so do we. */
#define SMUX_FIRST_SID		3
#define SMUX_STREAMS_DEFAULT	1024
#define SMUX_STREAMS_MAX	65536

/* What smux_state() says about a stream id. */
#define SMUX_ST_CLOSED		0	/* unknown, or FIN both ways */
#define SMUX_ST_OPEN		1
#define SMUX_ST_FIN_SENT	2	/* we sent FIN; data still comes in */
#define SMUX_ST_FIN_RCVD	3	/* the peer sent FIN; we may still send */

struct smux_stream {
	uint32_t	 sid;
	uint8_t		 fin;		/* SMUX_FIN_* bits */
};

struct smux {
	/* decoder */
	uint8_t		 hdr[SMUX_HDR_LEN];
	uint8_t		 hlen;		/* header bytes so far */
	uint8_t		 failed;	/* a protocol error: the decoder is spent */
	uint32_t	 sid;		/* PSH being read: its stream */
	uint32_t	 left;		/* PSH being read: data bytes to come */
	int		 deliver;	/* PSH being read: hand the data on */
	/* streams */
	struct smux_stream *st;
	size_t		 nst;
	size_t		 ast;		/* allocated entries */
	size_t		 max_streams;
	uint32_t	 next_sid;	/* 0 once the ids are used up */
	/* statistics, for -v */
	uint64_t	 dropped;	/* data bytes for no stream, or after FIN */
	uint64_t	 nops;		/* NOP frames received */
	char		 why[96];	/* the last error, one line */
};

/*
 * Callbacks of smux_feed(); arg is passed through.  Each returns 0 to go
 * on; anything else stops smux_feed() right after that event and is
 * returned from it, with *used saying how far it got (the event is
 * consumed: feeding the rest of the bytes later goes on from there).
 * data may be called several times for one PSH frame: pieces carry no
 * boundaries.  syn may be NULL: streams the peer opens are then ignored,
 * and so is their data (the agent never opens one).  nop may be NULL.
 */
struct smux_cb {
	int	(*data)(void *arg, uint32_t sid, const uint8_t *p, size_t n);
	int	(*fin)(void *arg, uint32_t sid);
	int	(*syn)(void *arg, uint32_t sid);
	int	(*nop)(void *arg);
	void	*arg;
};

/* A new session holding at most max_streams streams (0: the default). */
void	smux_init(struct smux *s, size_t max_streams);
/* Free the stream table; s may be initialised again. */
void	smux_free(struct smux *s);

/*
 * Read n bytes at p.  Returns 0 with *used == n, a callback's non-zero
 * value, or SP_ERR_PROTOCOL (unknown version or command, a body on a
 * frame other than PSH), SP_ERR_NO_SPACE (the peer opened more streams
 * than allowed) or SP_ERR_ALLOC; after those the session is spent and
 * smux_why() says what happened.  Lenient where xtaci/smux is: data for
 * an unknown stream or after the peer's FIN is dropped and counted, a
 * FIN for an unknown stream, a second FIN and a SYN for a known stream
 * are ignored, a PSH without data is nothing.
 */
int	smux_feed(struct smux *s, const uint8_t *p, size_t n,
	    const struct smux_cb *cb, size_t *used) SP_WUR;
/* Between frames: the next byte would start a header. */
int	smux_idle(const struct smux *s);

/*
 * Open a stream: pick the next free id (SP_ERR_NO_SPACE when the table
 * is full or the ids are used up) and append its SYN to out.
 */
int	smux_open(struct smux *s, struct buf *out, uint32_t *sid) SP_WUR;
/*
 * Append n bytes for stream sid as PSH frames of at most SMUX_MAX_DATA
 * bytes; SP_ERR_STATE unless the stream is open on our side (OPEN or
 * FIN_RCVD).  n == 0 appends nothing.
 */
int	smux_send(struct smux *s, struct buf *out, uint32_t sid,
	    const void *p, size_t n) SP_WUR;
/*
 * Append FIN for stream sid: we send no more.  SP_ERR_STATE if we
 * already did or the stream is unknown.  The agent then closes its
 * connection to the host and answers with FIN of its own.
 */
int	smux_shut(struct smux *s, struct buf *out, uint32_t sid) SP_WUR;
/* Forget stream sid without a frame (its later data is dropped). */
void	smux_forget(struct smux *s, uint32_t sid);
/* SMUX_ST_* of stream sid. */
int	smux_state(const struct smux *s, uint32_t sid);
/* Streams not yet closed both ways. */
size_t	smux_count(const struct smux *s);
/* The last error as one line of fixed text and numbers; "" if none. */
const char *smux_why(const struct smux *s);

/*
 * Frame encoders, all or nothing (SP_ERR_NO_SPACE past out's cap,
 * SP_ERR_INVALID_ARG for a PSH longer than SMUX_MAX_DATA in
 * smux_put_frame).  smux_put_psh() cuts data into frames of at most
 * SMUX_MAX_DATA bytes and appends nothing for n == 0.
 */
int	smux_put_frame(struct buf *out, uint8_t cmd, uint32_t sid,
	    const void *p, size_t n) SP_WUR;
int	smux_put_syn(struct buf *out, uint32_t sid) SP_WUR;
int	smux_put_fin(struct buf *out, uint32_t sid) SP_WUR;
int	smux_put_nop(struct buf *out) SP_WUR;
int	smux_put_psh(struct buf *out, uint32_t sid, const void *p,
	    size_t n) SP_WUR;

#endif /* SP_SMUX_H */
