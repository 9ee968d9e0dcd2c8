/*
 * The one smux stream of a --via session (protocol/PROTOCOL.md
 * "Multiplexed port sessions (smux)"): it sits between ssh's stdin and
 * stdout and the data channel's stream bytes, which in a multiplexed port
 * session carry an smux byte stream.  tunnel.c calls these in place of
 * chan_send() and chan_stdout() once the handshake agreed on such a
 * session (chan_port_mux()).  No I/O: the tunnel moves the bytes.
 *
 * Flow control is the channel's: stdin is read only while the channel's
 * send window takes a PSH frame (smux itself has no per-stream window),
 * and stream bytes are taken from the channel only while fewer than
 * MUX_OUT_MAX of them wait for stdout, so a slow ssh holds the channel's
 * stdout buffer full and the channel stops acknowledging, as without
 * --via.
 */
#ifndef SSM_MUX_H
#define SSM_MUX_H

#include <stddef.h>
#include <stdint.h>

#include "chan.h"

#define MUX_OUT_MAX	(64 * 1024)	/* stream bytes held for stdout */

struct mux;

struct mux	*mux_new(void);
void		 mux_free(struct mux *m);
/*
 * Queue what is due on the channel: the stream's SYN once the channel
 * takes it, and after mux_send_eof() its FIN, then chan_send_eof().
 * Returns 0 or an SP_ERR_* (out of memory).
 */
int		 mux_pump(struct mux *m, struct chan *c, uint64_t now) SP_WUR;
/* Stdin bytes mux_send() takes now: 0 until the SYN is queued. */
size_t		 mux_send_space(const struct mux *m, const struct chan *c);
/* Queue n bytes (at most mux_send_space()) as PSH frames. */
int		 mux_send(struct mux *m, struct chan *c, const void *p,
		    size_t n, uint64_t now) SP_WUR;
/* Stdin ended: FIN on the stream, then no more input (mux_pump()). */
void		 mux_send_eof(struct mux *m);
/*
 * Stream bytes for stdout (*p valid until the next call), taken from the
 * channel's as room allows; 0 when none are ready.
 */
size_t		 mux_stdout(struct mux *m, struct chan *c, const uint8_t **p,
		    uint64_t now);
void		 mux_stdout_consume(struct mux *m, size_t n);
/* Bytes waiting for stdout, without taking more from the channel. */
size_t		 mux_stdout_held(const struct mux *m);
/* The agent sent FIN: it closed its connection to the host. */
int		 mux_peer_fin(const struct mux *m);
/* The agent sent FIN (the host closed) and stdout has everything. */
int		 mux_peer_closed(const struct mux *m);
/* Why the smux stream failed (one line), or NULL while it works. */
const char	*mux_error(const struct mux *m);
/* For -v: the stream id, data bytes dropped, NOPs received. */
void		 mux_stats(const struct mux *m, uint32_t *sid,
		    uint64_t *dropped, uint64_t *nops);

#endif /* SSM_MUX_H */
