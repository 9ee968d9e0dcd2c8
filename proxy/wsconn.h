/*
 * The data channel's websocket (protocol/PROTOCOL.md "Websocket connect",
 * "Websocket framing", "Keepalive", "Reconnection"): dialling with a
 * signed upgrade, the frames both ways, pings, and replacing a websocket
 * that dropped.  It carries a struct chan's frames and nothing else; the
 * tunnel (tunnel.c) decides when the session ends.
 */
#ifndef SSM_WSCONN_H
#define SSM_WSCONN_H

#include <stdint.h>

#include "chan.h"
#include "loop.h"
#include "sigv4.h"

/*
 * The one state of the connection.  Each change is logged at -vvv.
 *
 *   IDLE ------> DIALING ----> OPEN ----> LOST ----> WAIT_RESUME
 *    ^  (retry)    |  ^                    ^  |            |
 *    +-------------+  +--------------------|--+------------+
 *                                          +-- (dial failed)
 *   any state --wsconn_close()--> CLOSING --> CLOSED
 *
 * IDLE: no websocket yet, a first dial is due (the first websocket is
 * dialled up to a few times before the session is given up).  LOST: a
 * websocket that was open dropped, the next attempt waits for its backoff.
 * WAIT_RESUME: ResumeSession is out (wsconn_resumed() comes next).
 * CLOSED: nothing left; websocket callbacks are ignored.
 */
enum ws_state {
	WS_IDLE,
	WS_DIALING,
	WS_OPEN,
	WS_LOST,
	WS_WAIT_RESUME,
	WS_CLOSING,
	WS_CLOSED
};

struct wsconn;

struct wsconn_params {
	struct loop		*loop;
	struct chan		*chan;		/* borrowed, outlives us */
	const char		*stream_url;
	const char		*token;		/* TokenValue (copied) */
	/* Signing of the upgrade (protocol/PROTOCOL.md "Signed upgrade"). */
	const char		*region;
	const struct sigv4_creds *creds;
	int64_t			 clock_offset;
	const char		*ca_file;
	const char		*proxy_host;
	unsigned int		 proxy_port;
	unsigned int		 keepalive_s;	/* ping after this idle */
	size_t			 max_frame;	/* chan_params.max_frame */
	/* Random bytes for masks, ids and jitter (chan_params.random). */
	void			(*random)(void *arg, void *p, size_t len);
	/* The first websocket is open. */
	void			(*opened)(void *arg);
	/*
	 * The open websocket closed: nonzero to replace it (resume the
	 * session), zero when the session is ending anyway.
	 */
	int			(*closed)(void *arg);
	/*
	 * Giving up: no websocket could be opened or reopened.  terminate
	 * says the session should be ended through the API as well.
	 */
	void			(*failed)(void *arg, int terminate);
	/* Nonzero while the channel's stdout holds bytes ssh has not
	 * taken: a pause in reading for that reason is flow control, not
	 * a dead peer. */
	int			(*stdout_full)(void *arg);
	/* Call ResumeSession and then wsconn_resumed(). */
	void			(*resume)(void *arg);
	void			*arg;
};

/* A connection; the first dial is made from the loop.  NULL: no memory. */
struct wsconn *wsconn_new(const struct wsconn_params *p);
enum ws_state wsconn_state(const struct wsconn *w);
const char *wsconn_state_name(enum ws_state s);
/*
 * Once per pass of the loop, before the channel is looked at: read what
 * OpenSSL read ahead (it raises no event).
 */
void	wsconn_read_ahead(struct wsconn *w);
/*
 * Once per pass, after the channel: write what is due, and pause or
 * resume reading as the channel has room.
 */
void	wsconn_pump(struct wsconn *w);
/* Ask for a write callback (a flag was queued after wsconn_pump). */
void	wsconn_want_write(struct wsconn *w);
/* Write what the channel queued, now (before a close). */
void	wsconn_flush(struct wsconn *w);
/*
 * ResumeSession's answer: token (and StreamUrl) on success, dial again;
 * token NULL: the attempt failed, back off and try again.  -1: out of
 * memory (give up).
 */
int	wsconn_resumed(struct wsconn *w, const char *token,
	    const char *stream_url);
/* Close with a closing handshake if one is possible; idempotent. */
void	wsconn_close(struct wsconn *w);
/* True while lws still holds a connection of ours. */
int	wsconn_busy(const struct wsconn *w);
/* Before the loop is freed: drop timers and watches, ignore callbacks. */
void	wsconn_detach(struct wsconn *w);
void	wsconn_free(struct wsconn *w);

/*
 * Shared with the EC2 Instance Connect Endpoint tunnel (eicetun.c):
 * lws_create_vhost() on l's context with http_proxy hidden (only the
 * proxy in vinfo is used), NULL on failure; and the upgrade's request
 * line for a path and query longer than lws 4.1 writes, put in place from
 * LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER (in, *lenp as given there;
 * the connection was dialled with the path "/").  0, or -1: no room.
 */
struct lws_vhost *wsconn_create_vhost(struct loop *l,
	    struct lws_context_creation_info *vinfo);
int	wsconn_put_long_path(const char *long_path, void *in, size_t *lenp);

#endif /* SSM_WSCONN_H */
