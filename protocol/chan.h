/*
 * protocol/: the data channel, its payloads, JSON, SigV4 and websocket
 * framing; pure code on libc, OpenSSL and yajl: no I/O, logging or exit.
 */

/*
 * The data-channel session state machine, sans I/O: PROTOCOL.md
 * "Handshake", "Streams, acknowledgements, retransmission", "Port
 * sessions" and "Reconnection".
 *
 * The caller owns every socket, file descriptor and clock.  It passes each
 * complete websocket message to chan_recv(), bytes read from stdin to
 * chan_send(), writes what chan_output() hands it to the websocket and
 * what chan_stdout() hands it to stdout, and calls chan_tick() when the
 * time chan_deadline() names arrives.  "now" is a monotonic clock in
 * milliseconds; nothing in here reads a clock, a random source or a file.
 *
 * Every buffer is bounded:
 *  - outgoing stream data held until acknowledged: send_window bytes;
 *    chan_send_space() says how much more stdin data fits (backpressure);
 *  - out-of-order incoming messages: recv_window bytes; a message that does
 *    not fit is dropped unacknowledged, so the agent resends it;
 *  - bytes owed to stdout: stdout_max; above it incoming data is refused
 *    unacknowledged, and chan_can_recv() turns false once less than
 *    chunk_size of room is left, so the caller stops reading the
 *    websocket until stdout drains.
 * Nothing that was acknowledged is ever dropped.
 *
 * Incoming stream data reaches chan_stdout() exactly once and in sequence
 * order; for each sequence number the payload delivered is that of the
 * first copy chan_recv() accepted (returned 0 for), later copies being
 * duplicates whatever their bytes.
 */
#ifndef SP_CHAN_H
#define SP_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * ClientVersion sent in OpenDataChannel and HandshakeResponse.  It tells
 * the agent which client behaviours to expect (PROTOCOL.md
 * "HandshakeResponse") and must be at
 * least 1.2.764.0, the oldest client the service still supports.  It is a
 * protocol constant, unrelated to ssm-proxy's own version.
 */
#define CHAN_CLIENT_VERSION	"1.2.764.0"

/* PROTOCOL.md "Retransmission constants", in milliseconds. */
#define CHAN_RTT_INITIAL_MS	100.0
#define CHAN_RTO_INITIAL_MS	200.0
#define CHAN_RTO_MAX_MS		1000.0
#define CHAN_CLOCK_GRANULARITY_MS 10.0

/* Agents newer than this honour the TerminateSession flag (PROTOCOL.md
 * "Flag payloads"). */
#define CHAN_AGENT_TERMINATE_FLAG_AFTER	"2.3.722.0"

enum chan_state {
	CHAN_HANDSHAKE,		/* waiting for HandshakeComplete */
	CHAN_OPEN,		/* relaying stream data */
	CHAN_CLOSED,		/* channel_closed received */
	CHAN_FAILED		/* fatal error; see chan_error() */
};

/* What the channel decided about one incoming frame (chan_params.observe). */
enum chan_decision {
	CHAN_DEC_DELIVERED,	/* in order: used and acknowledged */
	CHAN_DEC_BUFFERED,	/* past a gap: held and acknowledged */
	CHAN_DEC_DUPLICATE,	/* seen before: acknowledged again */
	CHAN_DEC_REFUSED,	/* no room now: dropped unacknowledged */
	CHAN_DEC_DROPPED,	/* failed validation: dropped */
	CHAN_DEC_ACKED,		/* acknowledgement of one of ours */
	CHAN_DEC_IGNORED,	/* valid, of no use (a stale ack...) */
	CHAN_DEC_PAUSED,	/* pause_publication */
	CHAN_DEC_RESUMED,	/* start_publication */
	CHAN_DEC_CLOSED,	/* channel_closed */
	CHAN_DEC_DRAINED	/* a buffered message delivered now */
};

enum chan_digest {
	CHAN_DIGEST_UNCHECKED,	/* empty payload, publication, unreadable */
	CHAN_DIGEST_OK,
	CHAN_DIGEST_BAD
};

struct chan_event {
	enum chan_decision decision;
	const char	*message_type;	/* "" if the header is unreadable */
	int64_t		 seq;
	uint64_t	 flags;
	uint32_t	 payload_type;
	uint32_t	 payload_length;
	enum chan_digest digest;
	int		 err;		/* chan_recv()'s result */
	int		 acked;		/* an acknowledgement was queued */
	int64_t		 ack_seq;	/* acknowledge: the number it acks */
	enum chan_state	 state;		/* the channel's, afterwards */
	const uint8_t	*payload;	/* borrowed for the call; NULL if */
					/* the frame did not decode */
};

struct chan_params {
	/* Fills p with len random bytes (message ids); required. */
	void		(*random)(void *arg, void *p, size_t len);
	void		 *random_arg;
	/* CreatedDate (epoch ms) = now + epoch_offset_ms. */
	int64_t		  epoch_offset_ms;
	size_t		  chunk_size;		/* stdin bytes per message */
	size_t		  send_window;		/* unacked outgoing bytes */
	size_t		  recv_window;		/* out-of-order bytes held */
	size_t		  stdout_max;		/* bytes owed to stdout */
	size_t		  max_frame;		/* largest frame accepted */
	uint64_t	  handshake_timeout_ms;	/* until HandshakeComplete */
	uint64_t	  progress_timeout_ms;	/* oldest unacked message */
	/* Told what became of each frame chan_recv() was given, and of
	 * each buffered message delivered later; NULL: nobody asks. */
	void		(*observe)(void *arg, const struct chan_event *ev);
	void		 *observe_arg;
	/* Accept a multiplexed port session (Properties.type
	 * LocalPortForwarding, PROTOCOL.md "Handshake"); 0 refuses it. */
	int		  accept_mux;
};

struct chan_stats {
	uint64_t	 bytes_in;		/* stream bytes to stdout */
	uint64_t	 bytes_out;		/* stream bytes from stdin */
	uint64_t	 frames_in;
	uint64_t	 frames_out;
	uint64_t	 resends;		/* our messages sent again */
	uint64_t	 duplicates;		/* agent messages seen twice */
	uint64_t	 reordered;		/* held for a gap to fill */
	uint64_t	 refused;		/* dropped unacked: no room */
	uint64_t	 invalid;		/* frames failing validation */
	double		 rtt_ms;
	double		 rto_ms;
};

/* Defaults: 1024-byte chunks, 4 MiB windows, 1 MiB frames, 30 s handshake,
 * 300 s progress timeout. */
void	chan_params_default(struct chan_params *p);

/* New channel in CHAN_HANDSHAKE; NULL if out of memory or p is invalid. */
struct chan *chan_new(const struct chan_params *p, uint64_t now);
void	chan_free(struct chan *c);

/*
 * Handle one websocket message.  Returns 0 if it was used; SP_ERR_IGNORED
 * for a valid message of no interest; SP_ERR_REFUSED if it was dropped
 * unacknowledged for lack of room (the agent resends it); another negative
 * code if it failed validation and was dropped.  None of these is fatal by
 * itself: fatal conditions move the channel to CHAN_FAILED or CHAN_CLOSED,
 * which chan_state() reports.
 */
int	chan_recv(struct chan *c, const uint8_t *frame, size_t len,
	    uint64_t now);
/* False while the caller should stop reading the websocket. */
int	chan_can_recv(const struct chan *c);

/* Bytes of stdin data chan_send() accepts now; 0 until the channel is
 * open, while the send window is full, and after chan_send_eof(). */
size_t	chan_send_space(const struct chan *c);
/* Queue len bytes (at most chan_send_space()) as stream messages. */
int	chan_send(struct chan *c, const void *data, size_t len,
	    uint64_t now) SP_WUR;
/* stdin reached EOF: accept no more data. */
void	chan_send_eof(struct chan *c);
/*
 * Ask the agent to end the session with the TerminateSession flag
 * (PROTOCOL.md "Flag payloads", "Ending the session").  SP_ERR_UNSUPPORTED
 * when the agent is too old for the flag (the caller then uses the
 * TerminateSession API), SP_ERR_STATE when the channel is not open.
 */
int	chan_terminate(struct chan *c, uint64_t now) SP_WUR;

/*
 * Next message to write to the websocket, or SP_ERR_AGAIN if none is due.
 * *frame stays valid until the next call into the channel; the caller
 * writes it whole as one BINARY frame, then calls chan_output_done().
 * The OpenDataChannel TEXT frame is the caller's (payload.h).
 */
int	chan_output(struct chan *c, const uint8_t **frame, size_t *len)
	    SP_WUR;
void	chan_output_done(struct chan *c, uint64_t now);

/* Bytes owed to stdout: *p valid until the next call into the channel. */
size_t	chan_stdout(const struct chan *c, const uint8_t **p);
/* n of those bytes were written. */
void	chan_stdout_consume(struct chan *c, size_t n, uint64_t now);

/* Run timers: resends, handshake and progress timeouts. */
void	chan_tick(struct chan *c, uint64_t now);
/* When chan_tick() next has work; UINT64_MAX if never. */
uint64_t chan_deadline(const struct chan *c);

/*
 * The websocket was replaced (PROTOCOL.md "Reconnection"): everything
 * unacknowledged is sent again in sequence order on the new connection;
 * sequence numbers and both buffers are kept.  A paused channel resumes.
 */
void	chan_reconnected(struct chan *c, uint64_t now);

enum chan_state chan_state(const struct chan *c);
/* Fixed lower-case names: "open", "delivered"... ("?" if unknown). */
const char *chan_state_name(enum chan_state s);
const char *chan_decision_name(enum chan_decision d);
/* Fatal error code and one line of text (empty if none).  SP_ERR_CLOSED
 * is the agent's ConnectToPortError flag: it could not reach the port. */
int	chan_error(const struct chan *c, const char **text);
/* True when nothing we sent awaits acknowledgement and nothing waits to
 * be written: a clean point to close. */
int	chan_idle(const struct chan *c);
/* The handshake agreed on a multiplexed port session: the stream data
 * is an smux byte stream (smux.h).  Only with chan_params.accept_mux. */
int	chan_port_mux(const struct chan *c);
/* Agent version from the HandshakeRequest ("" before it). */
const char *chan_agent_version(const struct chan *c);
/* CustomerMessage of HandshakeComplete ("" if none). */
const char *chan_customer_message(const struct chan *c);
/* Output member of channel_closed ("" if none or not closed). */
const char *chan_close_output(const struct chan *c);
void	chan_get_stats(const struct chan *c, struct chan_stats *s);

/*
 * Dotted numeric version compare as the agent and plugin do it: true only
 * if both parse, have the same number of components and a > b.
 */
int	chan_version_gt(const char *a, const char *b);

/* RTT/RTO update (PROTOCOL.md "Retransmission constants") for one sample
 * r_ms (tests/vectors/channel/README.md). */
void	chan_rtt_update(double *rtt, double *rttvar, double *rto, double r_ms);

#endif /* SP_CHAN_H */
