/*
 * What wsconn.c (the connection) and wsread.c (our own reading of it)
 * share; nothing else includes this header.
 */
#ifndef SSM_WSCONNINT_H
#define SSM_WSCONNINT_H

#include <openssl/ssl.h>

#include "buf.h"
#include "loop.h"
#include "msg.h"
#include "wsconn.h"
#include "wsframe.h"

struct wsconn {
	struct wsconn_params	 p;
	enum ws_state		 state;
	struct lws_protocols	 protocols[2];
	struct lws_vhost	*vh;
	SSL_CTX			*ssl_ctx;	/* the vhost's, ours to free */
	struct lws		*ws;
	char			 client_id[MSG_UUID_STR_LEN + 1];
	char			*url;		/* StreamUrl to dial */
	char			*token;		/* TokenValue: secret */
	char			*long_path;	/* see wsconn_put_long_path() */
	struct sigv4_result	*sig;		/* signed upgrade headers */
	int			 presigned;	/* url needs no signature */
	int			 ever_open;	/* a websocket opened once */
	int			 odc_pending;	/* OpenDataChannel to send */
	unsigned int		 attempts;	/* failed dials in a row */
	unsigned int		 failures;	/* connects that failed, ever */
	struct loop_timer	 retry_timer;
	struct loop_timer	 pause_timer;	/* wsread.c */
	lws_retry_bo_t		 idle;		/* pings and dead peers */
	uint8_t			*tx;		/* LWS_PRE + TX_MAX + header */
	/* Reading: lws's until wsconn_rx_take_over(), then ours. */
	struct buf		 rx;		/* message being read */
	int			 rx_skip;	/* oversized message: drop it */
	struct loop_watch	*ws_w;		/* socket; NULL: lws reads */
	struct wsf_reader	 wsr;
	int			 rx_paused;
	uint8_t			 pong[125];	/* PING payload to return */
	size_t			 pong_len;
	int			 pong_due;
	/* Read moderation, see rx_hold() in wsread.c. */
	int			 hold_fd;	/* compat_timer_fd() or -1 */
	struct loop_watch	*hold_w;
	struct loop_timer	 hold_timer;	/* without hold_fd */
	int			 holding;
	int			 bulk;
	unsigned int		 rate_msgs;
	uint64_t		 rate_start;
};

/* wsread.c */
void	wsconn_rx_piece(struct wsconn *w, const uint8_t *p, size_t len,
	    int end);
void	wsconn_rx_stop(struct wsconn *w);
int	wsconn_rx_pending(struct wsconn *w);
void	wsconn_rx_read(struct wsconn *w);
void	wsconn_rx_take_over(struct wsconn *w, struct lws *wsi);
int	wsconn_rx_give_back(struct wsconn *w);
void	wsconn_rx_flow(struct wsconn *w);
void	wsconn_rx_paused_tick(void *arg);
void	wsconn_on_hold_end(void *arg, int fd, int events);
/* Drop the websocket now, without a closing handshake; why is traced. */
void	wsconn_drop(struct wsconn *w, const char *why);

#endif /* SSM_WSCONNINT_H */
