/*
 * The data channel's I/O: stdin and stdout, the websocket (wsconn.c) to
 * the StreamUrl, all on the one event loop, with protocol/chan.c deciding
 * every byte.  tunnel.c runs the session's phases and says how it ended.
 */
#ifndef SSM_TUNNEL_H
#define SSM_TUNNEL_H

#include "loop.h"
#include "sigv4.h"

#define TUNNEL_KEEPALIVE_S	30	/* websocket ping interval */
#define TUNNEL_MAX_PAYLOAD	65536	/* --payload-size upper bound */

struct tunnel;

/* How the session ended: the caller maps it to an exit status. */
enum tunnel_end {
	TUNNEL_END_OK,		/* ended normally */
	TUNNEL_END_NOT_OPENED,	/* websocket or handshake failed */
	TUNNEL_END_LOST,	/* lost after it opened */
	TUNNEL_END_SIGNAL	/* SIGINT or SIGTERM: terminated */
};

struct tunnel_params {
	struct loop		*loop;
	const char		*stream_url;	/* from StartSession */
	const char		*token;		/* TokenValue */
	const char		*session_id;
	/* Signing of the websocket upgrade (protocol/PROTOCOL.md
	 * "Signed upgrade"). */
	const char		*region;
	const struct sigv4_creds *creds;
	int64_t			 clock_offset;	/* seconds to add to now */
	/* TLS trust anchors (PEM file) or NULL for the system's. */
	const char		*ca_file;
	/* HTTP CONNECT proxy for the websocket, or NULL. */
	const char		*proxy_host;
	unsigned int		 proxy_port;
	/*
	 * Called once when the session should be ended through the API
	 * (TerminateSession); the tunnel waits for tunnel_api_done().
	 */
	void			(*terminate)(void *arg, const char *session_id);
	/*
	 * Called when the websocket dropped and the session should be
	 * resumed: the caller calls ResumeSession and then tunnel_resumed().
	 * NULL: a dropped websocket ends the session.
	 */
	void			(*resume)(void *arg, const char *session_id);
	/* Seconds of websocket silence before a ping; 0: the default. */
	unsigned int		 keepalive_s;
	/* Stdin bytes per input_stream_data message; 0: 1024, as the
	 * official clients send and the service is known to accept. */
	unsigned int		 payload_size;
	/*
	 * --via: the line that reports the agent's ConnectToPortError
	 * ("the bastion i-... could not reach HOST:PORT"); non-NULL also
	 * accepts a multiplexed port session and runs ssh's connection as
	 * its one smux stream (mux.h).  NULL: no --via.
	 */
	const char		*via_error;
	/*
	 * --share's master (share.h): with via_error, pass a multiplexed
	 * session's smux byte stream through stdin and stdout unchanged,
	 * for the master's own smux client to open the streams.
	 */
	int			 mux_raw;
	/* Seconds the oldest unacknowledged message may wait; 0: 300. */
	unsigned int		 progress_timeout_s;
	/*
	 * Called once when everything is finished, with how the session
	 * ended; sig is the signal of TUNNEL_END_SIGNAL, else 0.
	 */
	void			(*done)(void *arg, enum tunnel_end end, int sig);
	void			*arg;
};

/* Start: connect the websocket and run the session on the loop. */
struct tunnel *tunnel_start(const struct tunnel_params *p);
/*
 * Reconcile watches, timers, flow control and the session's end; the
 * caller runs it after every pass of the loop (loop_set_after).
 */
void	tunnel_pump(struct tunnel *t);
/* How a ResumeSession call ended, for tunnel_resumed(). */
#define TUNNEL_RESUME_RETRY	0	/* resumed, or failed: try again */
#define TUNNEL_RESUME_GONE	1	/* the session is over (no token,
					 * DoesNotExistException) */
#define TUNNEL_RESUME_REFUSED	2	/* unusable answer: terminate */

/*
 * ResumeSession finished: token (and the new StreamUrl) on success; else
 * token NULL with errmsg (borrowed), and how says whether to try again.
 */
void	tunnel_resumed(struct tunnel *t, const char *token,
	    const char *stream_url, const char *errmsg, int how);
/* The TerminateSession call asked for has finished (either way). */
void	tunnel_api_done(struct tunnel *t);
/* A signal arrived: SIGHUP ends normally, SIGINT/SIGTERM terminate. */
void	tunnel_signal(struct tunnel *t, int sig);
/*
 * Before the loop is freed: drop timers and watches and ignore websocket
 * callbacks from then on.  tunnel_free() after loop_free().
 */
void	tunnel_detach(struct tunnel *t);
void	tunnel_free(struct tunnel *t);

#endif /* SSM_TUNNEL_H */
