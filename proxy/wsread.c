/*
 * Our own reading of the data channel's websocket (see
 * wsconn_rx_take_over()): TLS records framed in place by wsframe.c, whole
 * messages to the channel, read moderation in bulk transfers, and flow
 * control that is not mistaken for a dead peer.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "chan.h"
#include "compat.h"
#include "log.h"
#include "msg.h"
#include "payload.h"
#include "trace.h"
#include "wsconnint.h"

#define RX_CHUNK		(16 * 1024)	/* one TLS record's plaintext */
#define RX_BUDGET		(256 * 1024)	/* bytes read per pass */
#define HOLD_US			2000	/* see rx_hold() */
#define HOLD_BYTES		(32 * 1024)
#define BULK_MSGS		32	/* messages in 10 ms: a bulk transfer */

/*
 * At -vv, name the stream data the channel takes and drops: a PayloadType
 * a port session has no use for (StdErr, ExitCode, ...).  Decoded again
 * only at that level.
 */
static void
note_unused(const uint8_t *p, size_t len)
{
	struct msg m;

	if (log_get_level() < LOG_DEBUG1 || msg_decode(p, len, &m) != 0 ||
	    strcmp(m.message_type, "output_stream_data") != 0)
		return;
	switch (m.payload_type) {
	case PT_OUTPUT:
	case PT_HANDSHAKE_REQUEST:
	case PT_HANDSHAKE_COMPLETE:
	case PT_ENC_CHALLENGE_REQUEST:
	case PT_FLAG:
		return;
	default:
		debug("dropped %u bytes of stream data of PayloadType %u "
		    "(sequence %lld): a port session does not use it",
		    m.payload_length, m.payload_type,
		    (long long)m.sequence_number);
	}
}

/* A whole message for the channel. */
static void
deliver(struct wsconn *w, const uint8_t *p, size_t len)
{
	int r;

	if (w->state == WS_CLOSING || w->state == WS_CLOSED)
		return;
	r = chan_recv(w->p.chan, p, len, loop_now_ms());
	w->rate_msgs++;
	if (r == 0) {
		w->attempts = 0;	/* this websocket works */
		note_unused(p, len);
	}
	if (r != 0 && r != SP_ERR_IGNORED && r != SP_ERR_REFUSED)
		debug("dropped a frame: %s", sp_err_str(r));
	else if (r == SP_ERR_IGNORED)
		debug3("ignored a frame");
}

/* A piece of a message; end says it is the last. */
void
wsconn_rx_piece(struct wsconn *w, const uint8_t *p, size_t len, int end)
{
	if (end && buf_len(&w->rx) == 0 && !w->rx_skip && len <= w->rx.max) {
		deliver(w, p, len);	/* whole, in place: no copy */
		return;
	}
	if (!w->rx_skip && buf_put(&w->rx, p, len) != 0) {
		log_error("dropping a websocket message over %zu bytes",
		    w->rx.max);
		w->rx_skip = 1;
	}
	if (!end)
		return;
	if (!w->rx_skip)
		deliver(w, buf_ptr(&w->rx), buf_len(&w->rx));
	buf_reset(&w->rx);
	w->rx_skip = 0;
}

void
wsconn_rx_stop(struct wsconn *w)
{
	loop_watch_free(w->ws_w);
	w->ws_w = NULL;
}

/* Plaintext OpenSSL read ahead, which no poll() reports. */
int
wsconn_rx_pending(struct wsconn *w)
{
	SSL *ssl;

	return w->ws_w != NULL && w->ws != NULL && !w->rx_paused &&
	    (ssl = lws_get_ssl(w->ws)) != NULL && SSL_has_pending(ssl);
}

/* Drop the websocket now, without a closing handshake: lws's close
 * callback then reconnects or ends as for any lost connection. */
void
wsconn_drop(struct wsconn *w, const char *why)
{
	trace_ws("drop", why);
	wsconn_rx_stop(w);
	if (w->ws != NULL)
		lws_set_timeout(w->ws, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
}

/* PING, PONG or CLOSE from the service; -1: drop the connection. */
static int
rx_control(struct wsconn *w, const struct wsf_event *ev)
{
	switch (ev->opcode) {
	case WSF_OP_PING:
		memcpy(w->pong, ev->data, ev->len);
		w->pong_len = ev->len;
		w->pong_due = 1;
		lws_callback_on_writable(w->ws);
		return 0;
	case WSF_OP_PONG:
		return 0;	/* any input confirms the peer alive */
	default:
		debug("the service closed the websocket");
		return -1;
	}
}

/*
 * Interrupt moderation.  In a bulk transfer the agent's messages (or its
 * acknowledgements of ours) arrive one TLS record at a time, and reading
 * each as it comes costs a wake-up and a read() per KiB, most of this
 * program's CPU.  So when the recent rate says bulk and a pass found
 * little, stop watching the socket for HOLD_US (a compat_timer_fd(),
 * exact where the loop's timers round to milliseconds; else a loop timer
 * of 2 ms) and read what gathered then.  Writing goes on meanwhile.  2 ms
 * holds back far less than the 4 MiB windows (and any agent's) at any
 * rate the service reaches, so it costs no throughput; interactive use,
 * and the agent's 1 ms pacing (1000 messages a second), are never bulk
 * and are never held.  (1 ms: 10% more CPU per GiB in `make bench`.)
 */
static void hold_timer_fire(void *);

static void
rx_hold(struct wsconn *w, size_t got)
{
	uint64_t now = loop_now_ms();

	if (now - w->rate_start >= 10) {
		w->bulk = w->rate_msgs >= BULK_MSGS * (now - w->rate_start) /
		    10;
		w->rate_msgs = 0;
		w->rate_start = now;
	}
	if (!w->bulk || got == 0 || got >= HOLD_BYTES || w->ws_w == NULL ||
	    w->holding)
		return;
	if (w->hold_w != NULL) {
		if (compat_timer_fd_arm(w->hold_fd, HOLD_US) != 0)
			return;
	} else if (w->hold_fd == -1)
		loop_timer_set(w->p.loop, &w->hold_timer,
		    (HOLD_US + 999) / 1000, hold_timer_fire, w);
	else
		return;		/* the descriptor failed: never hold */
	w->holding = 1;
	loop_watch_set(w->ws_w, 0);
}

static void
hold_end(struct wsconn *w)
{
	w->holding = 0;
	if (w->ws_w != NULL && !w->rx_paused) {
		loop_watch_set(w->ws_w, LOOP_IN);
		wsconn_rx_read(w);
	}
}

static void
hold_timer_fire(void *arg)
{
	hold_end(arg);
}

void
wsconn_on_hold_end(void *arg, int fd, int events)
{
	struct wsconn *w = arg;

	if (events & LOOP_HUP) {
		loop_watch_free(w->hold_w);	/* read at once from now on */
		w->hold_w = NULL;
	} else if (compat_timer_fd_clear(fd) != 0)
		return;		/* not yet */
	hold_end(w);
}

/*
 * Flow control is not a dead peer (protocol/PROTOCOL.md "Keepalive").
 * While reading is paused because stdout is full, nothing the service
 * sends is read, pongs included, so lws's dead-peer rule (--keepalive) is
 * held off: the connection counts as confirmed alive until reading
 * resumes, and its timer starts afresh then.  A pause for any other
 * reason (our acks not written) counts as usual.
 */
void
wsconn_rx_paused_tick(void *arg)
{
	struct wsconn *w = arg;
	uint64_t ms = w->idle.secs_since_valid_ping * 1000ULL / 2;

	loop_timer_cancel(&w->pause_timer);
	if (w->ws == NULL || w->state != WS_OPEN)
		return;
	if (!w->rx_paused) {
		lws_validity_confirmed(w->ws);
		return;
	}
	if (!w->p.stdout_full(w->p.arg))
		return;
	lws_validity_confirmed(w->ws);
	loop_timer_set(w->p.loop, &w->pause_timer, ms > 0 ? ms : 500,
	    wsconn_rx_paused_tick, w);
}

/* Frame n bytes of plaintext; -1: the connection was dropped. */
static int
rx_frames(struct wsconn *w, const uint8_t *buf, size_t n)
{
	struct wsf_event ev;
	size_t off, used;
	int r;

	for (off = 0; off < n; off += used) {
		r = wsf_read(&w->wsr, buf + off, n - off, &used, &ev);
		if (r < 0) {
			debug("malformed websocket frame from the service");
			wsconn_drop(w, "malformed websocket frame");
			return -1;
		}
		if (r == WSF_DATA)
			wsconn_rx_piece(w, ev.data, ev.len, ev.end);
		else if (r == WSF_CONTROL && rx_control(w, &ev) != 0) {
			wsconn_drop(w, "close frame from the service");
			return -1;
		}
	}
	return 0;
}

/*
 * The socket was empty when OpenSSL last read it, and nothing is left
 * read ahead: a read() came back short of RX_CHUNK in this SSL_read(),
 * so asking again now would only get EAGAIN (a tenth of the read()s of
 * a bulk transfer).  Anything that arrives later, poll() reports.
 */
static int
rx_drained(SSL *ssl, uint64_t before)
{
	uint64_t got = BIO_number_read(SSL_get_rbio(ssl)) - before;

	return got > 0 && got < RX_CHUNK && !SSL_has_pending(ssl);
}

/*
 * Read what OpenSSL and the socket hold, RX_BUDGET bytes at most so that
 * writing gets its turn, and frame it.  Records left read ahead are
 * served at the start of the next pass (wsconn_read_ahead()), which must
 * then come at once.
 */
void
wsconn_rx_read(struct wsconn *w)
{
	uint8_t buf[RX_CHUNK];
	size_t total = 0;
	uint64_t before;
	SSL *ssl;
	int n, r, got = 0;

	ERR_clear_error();	/* successful reads leave it empty */
	while (total < RX_BUDGET) {
		if (w->ws == NULL || w->ws_w == NULL || w->rx_paused ||
		    !chan_can_recv(w->p.chan) ||
		    (ssl = lws_get_ssl(w->ws)) == NULL)
			break;
		before = BIO_number_read(SSL_get_rbio(ssl));
		n = SSL_read(ssl, buf, sizeof(buf));
		if (n <= 0) {
			r = SSL_get_error(ssl, n);
			ERR_clear_error();
			if (r == SSL_ERROR_WANT_READ ||
			    r == SSL_ERROR_WANT_WRITE)
				break;
			debug("the data channel connection ended (%s)",
			    r == SSL_ERROR_ZERO_RETURN ? "TLS close" :
			    "TLS error or EOF");
			wsconn_drop(w, "TLS close, error or EOF");
			return;
		}
		got = 1;
		total += (size_t)n;
		if (rx_frames(w, buf, (size_t)n) != 0)
			return;
		if (rx_drained(ssl, before))
			break;
	}
	/* Data proves the peer alive as well as a pong would. */
	if (got && w->ws != NULL)
		lws_validity_confirmed(w->ws);
	if (total >= RX_BUDGET && wsconn_rx_pending(w))
		lws_cancel_service(loop_context(w->p.loop));
	else
		rx_hold(w, total);
}

static void
on_ws_readable(void *arg, int fd, int events)
{
	struct wsconn *w = arg;

	wsconn_rx_read(w);
	if ((events & LOOP_HUP) && w->ws_w != NULL)
		/* lws gave up on our watch */
		wsconn_drop(w, "socket hang-up");
}

/*
 * lws parses what it reads a byte at a time, and reads one TLS record
 * per pass of the loop, with two read()s.  Once the websocket is open,
 * ssm-proxy reads it instead: lws stops watching the socket for input
 * (rx flow control), a watch of ours takes over, OpenSSL reads ahead as
 * many records as one read() brings, and wsf_read() frames the plaintext
 * in place.  lws still connects, writes, pings and closes.  The agent
 * says nothing until our OpenDataChannel, so no frame is split between
 * lws's reader and ours.
 */
void
wsconn_rx_take_over(struct wsconn *w, struct lws *wsi)
{
	SSL *ssl;

	wsconn_rx_stop(w);
	w->pong_due = 0;
	w->holding = 0;
	loop_timer_cancel(&w->hold_timer);
	if ((ssl = lws_get_ssl(wsi)) == NULL)
		return;		/* ws:// (tests): lws reads */
	if ((w->ws_w = loop_watch_new(w->p.loop, lws_get_socket_fd(wsi),
	    on_ws_readable, w)) == NULL)
		return;		/* lws reads, slower */
	SSL_set_read_ahead(ssl, 1);
	wsf_reader_init(&w->wsr);
	w->rx_paused = 0;
	loop_watch_set(w->ws_w, LOOP_IN);
	lws_rx_flow_control(wsi, 0);
}

/*
 * Hand reading back to lws for its closing handshake, when our reader is
 * between frames and nothing is read ahead; otherwise close without the
 * handshake.  Returns nonzero when lws can read the close reply.
 */
int
wsconn_rx_give_back(struct wsconn *w)
{
	SSL *ssl;

	if (w->ws_w == NULL)
		return 1;
	wsconn_rx_stop(w);
	if (!wsf_reader_idle(&w->wsr) || w->ws == NULL ||
	    ((ssl = lws_get_ssl(w->ws)) != NULL && SSL_has_pending(ssl)))
		return 0;
	lws_rx_flow_control(w->ws, 1);
	return 1;
}

void
wsconn_read_ahead(struct wsconn *w)
{
	if (!w->holding && wsconn_rx_pending(w))
		wsconn_rx_read(w);
}

/* Pause reading while the channel has no room, resume when it has. */
void
wsconn_rx_flow(struct wsconn *w)
{
	int can = chan_can_recv(w->p.chan);

	if (can != w->rx_paused)
		return;
	if (w->ws_w != NULL)
		loop_watch_set(w->ws_w, can && !w->holding ? LOOP_IN : 0);
	else
		lws_rx_flow_control(w->ws, can);
	w->rx_paused = !can;
	wsconn_rx_paused_tick(w);
	/* Records read ahead raise no event: pass again. */
	if (can && wsconn_rx_pending(w))
		lws_cancel_service(loop_context(w->p.loop));
}
