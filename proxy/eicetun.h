/*
 * The EC2 Instance Connect Endpoint transport's data path
 * (protocol/PROTOCOL.md "EC2 Instance Connect Endpoint"): one websocket
 * to the endpoint, opened with a presigned URL (protocol/eiceurl.h), then
 * stdin to binary frames and binary frames to stdout, on the one event
 * loop, with the CA and proxy of the SSM websocket.  There is no resume:
 * the tunnel ends with its websocket, and says how.
 */
#ifndef SSM_EICETUN_H
#define SSM_EICETUN_H

#include "loop.h"

#define EICETUN_FRAME		65000	/* stdin bytes per binary frame */
#define EICETUN_CLOSE_WAIT_MS	2000	/* for the server's close */
#define EICETUN_DURATION_SLACK	2	/* s: "at the maximum duration" */

/* How the tunnel ended: the caller maps it to an exit status. */
enum eicetun_end {
	EICETUN_END_OK,		/* a close 1000, or ours after stdin EOF */
	EICETUN_END_REFUSED,	/* no tunnel: connect or upgrade failed, or
				   closed before any byte came (EXIT_CHANNEL) */
	EICETUN_END_LOST,	/* ended after it carried bytes: a close
				   other than 1000, a drop, the maximum
				   duration, a text frame (EXIT_LOST) */
	EICETUN_END_SIGNAL	/* SIGINT or SIGTERM */
};

struct eicetun;

struct eicetun_params {
	struct loop	*loop;
	const char	*url;		/* presigned wss:// URL (copied) */
	/*
	 * Connect here instead of the URL's host and port, keeping TLS SNI,
	 * the certificate check, Host and the signature on the URL's host
	 * (--eice-connect-to).  NULL / 0: the URL's.
	 */
	const char	*connect_host;
	unsigned int	 connect_port;
	const char	*ca_file;	/* PEM trust anchors; NULL: system */
	const char	*proxy_host;	/* HTTP CONNECT proxy, or NULL */
	unsigned int	 proxy_port;
	unsigned int	 max_duration_s;	/* asked for; 0: 3600 */
	unsigned int	 keepalive_s;	/* ping after this idle; 0: 30 */
	const char	*what;		/* "ADDRESS:PORT through eice-...",
					   for messages; must outlive us */
	/* The websocket is open (may be NULL). */
	void		(*opened)(void *arg);
	/* Once, when everything is closed; sig of EICETUN_END_SIGNAL. */
	void		(*done)(void *arg, enum eicetun_end end, int sig);
	void		*arg;
};

/* Start; the connection is made from the loop.  NULL after logging. */
struct eicetun *eicetun_start(const struct eicetun_params *p);
/* After every pass of the loop (loop_set_after): watches, flow, ends. */
void	eicetun_pump(struct eicetun *e);
/* SIGHUP: end as after stdin EOF; SIGINT, SIGTERM: end now. */
void	eicetun_signal(struct eicetun *e, int sig);
/* Before the loop is freed: drop watches and timers. */
void	eicetun_detach(struct eicetun *e);
void	eicetun_free(struct eicetun *e);

#endif /* SSM_EICETUN_H */
