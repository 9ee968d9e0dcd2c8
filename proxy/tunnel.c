/*
 * The data channel's I/O; see tunnel.h.
 *
 * Callbacks only move bytes between the descriptors and the channel;
 * tunnel_pump(), run after every pass of the loop, then reconciles
 * everything else once: which descriptors to watch, whether the websocket
 * has something to write, the channel's timer, flow control, and how the
 * session ends.  This keeps the decisions in one place (after nc's
 * readwrite() loop).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/timerfd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "backoff.h"
#include "buf.h"
#include "castore.h"
#include "chan.h"
#include "exit.h"
#include "log.h"
#include "msg.h"
#include "payload.h"
#include "trace.h"
#include "tunnel.h"
#include "wsframe.h"

#define WS_PROTOCOL		"ssm-data-channel"
#define STDIN_CHUNK		(64 * 1024)
#define TX_MAX			(128 * 1024)	/* largest frame we write */
#define TX_BATCH		(64 * 1024)	/* frames per TLS write */
#define RX_CHUNK		(16 * 1024)	/* one TLS record's plaintext */
#define RX_BUDGET		(256 * 1024)	/* bytes read per pass */
#define HOLD_US			2000	/* see rx_hold() */
#define HOLD_BYTES		(32 * 1024)
#define BULK_MSGS		32	/* messages in 10 ms: a bulk transfer */
#define DRAIN_MS		5000	/* wait for acks after stdin EOF */
#define TERMINATE_MS		3000	/* wait for the flag's effect */
#define STDOUT_FLUSH_MS		5000	/* after channel_closed */
#define RECONNECT_ATTEMPTS	12	/* in a row, about a minute */
#define RECONNECT_MAX_DELAY_MS	8000
#define CONNECT_ATTEMPTS	5	/* the first websocket, about 3 s */
#define LWS_PATH_MAX		2000	/* see put_long_path() */

enum phase {
	PH_CONNECTING,		/* websocket not yet up */
	PH_OPEN,		/* relaying */
	PH_DRAIN,		/* stdin ended: wait for our data's acks */
	PH_TERMINATING,		/* flag sent or API called */
	PH_FLUSH,		/* channel closed: stdout gets the rest */
	PH_DONE
};
static const char *const phase_names[] = {
	"connecting", "open", "drain", "terminating", "flush", "done"
};

struct tunnel {
	struct tunnel_params	 p;
	struct lws_protocols	 protocols[2];
	struct lws_vhost	*vh;
	SSL_CTX			*ssl_ctx;	/* the vhost's, ours to free */
	struct lws		*ws;
	struct chan		*chan;
	struct loop_watch	*in_w, *out_w;
	struct loop_timer	 chan_timer, phase_timer;
	struct buf		 rx;		/* websocket message being read */
	int			 rx_skip;	/* oversized message: drop it */
	uint8_t			*tx;		/* LWS_PRE + TX_MAX + header */
	struct sigv4_result	*sig;		/* signed upgrade headers */
	char			 client_id[MSG_UUID_STR_LEN + 1];
	enum phase		 phase;
	int			 ws_open;
	int			 odc_pending;	/* OpenDataChannel to send */
	int			 stdin_eof;
	int			 stdout_gone;
	int			 ws_rx_paused;
	int			 api_pending;
	int			 api_called;
	int			 phase_expired;
	int			 exit_code;
	int			 flush_code;	/* exit status after PH_FLUSH */
	int			 done_called;
	int			 was_open;	/* handshake completed */
	int			 detached;	/* loop going away */
	/* The websocket may be replaced (spec 8): what it needs. */
	char			*url;		/* StreamUrl to dial */
	char			*token;		/* TokenValue: secret */
	char			*long_path;	/* see put_long_path() */
	int			 presigned;	/* url needs no signature */
	int			 ws_ever_open;
	int			 reconnecting;	/* between websockets */
	int			 resume_pending;	/* ResumeSession out */
	unsigned int		 attempts;	/* failed reconnects in a row */
	unsigned int		 failures;	/* connects that failed, ever */
	struct loop_timer	 retry_timer;
	struct loop_timer	 pause_timer;	/* see rx_paused_tick() */
	lws_retry_bo_t		 idle;		/* pings and dead peers */
	uint64_t		 timer_at;
	/* Our own reading of the websocket, see rx_take_over(). */
	struct loop_watch	*ws_w;		/* the socket, NULL: lws reads */
	struct wsf_reader	 wsr;
	uint8_t			 pong[125];	/* PING payload to return */
	size_t			 pong_len;
	int			 pong_due;
	int			 hold_fd;	/* timerfd, see rx_hold() */
	struct loop_watch	*hold_w;
	int			 holding;
	int			 bulk;
	unsigned int		 rate_msgs;
	uint64_t		 rate_start;
};

static void ws_lost(struct tunnel *);
static void ws_failed(struct tunnel *, const char *);
static int connect_ws(struct tunnel *);
static int rx_give_back(struct tunnel *);
static void rx_stop(struct tunnel *);

/* Message ids: one RAND_bytes call per 4 KiB rather than per message. */
static void
rand_cb(void *arg, void *p, size_t len)
{
	static uint8_t pool[4096];
	static size_t left;
	uint8_t *out = p;
	size_t n;

	while (len > 0) {
		if (left == 0) {
			if (RAND_bytes(pool, sizeof(pool)) != 1)
				abort();	/* no randomness: nothing safe */
			left = sizeof(pool);
		}
		n = len < left ? len : left;
		memcpy(out, pool + sizeof(pool) - left, n);
		OPENSSL_cleanse(pool + sizeof(pool) - left, n);
		left -= n;
		out += n;
		len -= n;
	}
}

static void
new_uuid(char out[MSG_UUID_STR_LEN + 1])
{
	uint8_t id[MSG_UUID_LEN];

	rand_cb(NULL, id, sizeof(id));
	msg_uuid_make_v4(id);
	msg_uuid_to_str(id, out);
}

static void
phase_timeout(void *arg)
{
	struct tunnel *t = arg;

	t->phase_expired = 1;
}

static void
set_phase(struct tunnel *t, enum phase ph, uint64_t ms)
{
	debug2("tunnel phase %d -> %d", t->phase, ph);
	trace_phase(phase_names[t->phase], phase_names[ph], t->chan == NULL ?
	    NULL : chan_state_name(chan_state(t->chan)));
	t->phase = ph;
	t->phase_expired = 0;
	loop_timer_cancel(&t->phase_timer);
	if (ms > 0)
		loop_timer_set(t->p.loop, &t->phase_timer, ms, phase_timeout,
		    t);
}

/* The end: close everything and report once. */
static void
finish(struct tunnel *t, int code)
{
	struct chan_stats st;

	if (t->phase == PH_DONE)
		return;
	if (t->chan != NULL) {
		chan_get_stats(t->chan, &st);
		log_verbose("session %s: %llu bytes in, %llu bytes out, "
		    "%llu frames in, %llu frames out, %llu resent",
		    t->p.session_id, (unsigned long long)st.bytes_in,
		    (unsigned long long)st.bytes_out,
		    (unsigned long long)st.frames_in,
		    (unsigned long long)st.frames_out,
		    (unsigned long long)st.resends);
	}
	set_phase(t, PH_DONE, 0);
	t->exit_code = code;
	loop_timer_cancel(&t->chan_timer);
	loop_timer_cancel(&t->retry_timer);
	loop_timer_cancel(&t->pause_timer);
	loop_watch_free(t->in_w);
	loop_watch_free(t->out_w);
	loop_watch_free(t->hold_w);
	t->in_w = t->out_w = t->hold_w = NULL;
	t->holding = 0;
	if (t->ws == NULL)
		rx_stop(t);
	else {
		if (rx_give_back(t))
			lws_close_reason(t->ws, LWS_CLOSE_STATUS_NORMAL, NULL,
			    0);
		lws_set_timeout(t->ws, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	}
}

static void
call_terminate_api(struct tunnel *t)
{
	if (t->api_called || t->p.terminate == NULL)
		return;
	t->api_called = 1;
	t->api_pending = 1;
	t->p.terminate(t->p.arg, t->p.session_id);
}

void
tunnel_api_done(struct tunnel *t)
{
	if (t != NULL)
		t->api_pending = 0;
}

static void
on_stdin(void *arg, int fd, int events)
{
	struct tunnel *t = arg;
	uint8_t buf[STDIN_CHUNK];
	size_t space;
	ssize_t n;

	space = chan_send_space(t->chan);
	if (space == 0 || t->stdin_eof)
		return;
	if (space > sizeof(buf))
		space = sizeof(buf);
	n = (events & LOOP_HUP) ? 0 : read(fd, buf, space);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			log_error("reading standard input: %s",
			    strerror(errno));
		debug("standard input closed");
		t->stdin_eof = 1;
		chan_send_eof(t->chan);
		return;
	}
	if (chan_send(t->chan, buf, (size_t)n, loop_now_ms()) != 0) {
		/* Cannot happen: we read no more than the space. */
		log_error("internal error queueing input");
		finish(t, EXIT_LOST);
	}
}

static void
on_stdout(void *arg, int fd, int events)
{
	struct tunnel *t = arg;
	const uint8_t *p;
	size_t len;
	ssize_t n;

	if ((len = chan_stdout(t->chan, &p)) == 0)
		return;
	n = (events & LOOP_HUP) ? -1 : write(fd, p, len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* ssh closed its end: it is going away. */
		debug("standard output closed: %s",
		    (events & LOOP_HUP) ? "hang-up" : strerror(errno));
		t->stdout_gone = 1;
		return;
	}
	chan_stdout_consume(t->chan, (size_t)n, loop_now_ms());
	trace_stdout((size_t)n);
}

static void
chan_timer_fire(void *arg)
{
	struct tunnel *t = arg;

	t->timer_at = 0;
	chan_tick(t->chan, loop_now_ms());
}

static int
send_open_data_channel(struct tunnel *t, struct lws *wsi)
{
	struct pl_open_data_channel o;
	char request_id[MSG_UUID_STR_LEN + 1];
	struct buf b;
	int r, n;

	new_uuid(request_id);
	memset(&o, 0, sizeof(o));
	o.message_schema_version = (char *)(uintptr_t)"1.0";
	o.request_id = request_id;
	o.token_value = t->token;
	o.client_id = t->client_id;
	o.client_version = (char *)(uintptr_t)CHAN_CLIENT_VERSION;
	buf_init(&b, TX_MAX);
	if ((r = pl_encode_open_data_channel(&b, &o)) != 0) {
		log_error("cannot encode OpenDataChannel: %s", sp_err_str(r));
		buf_release(&b);
		return -1;
	}
	memcpy(t->tx + LWS_PRE, buf_ptr(&b), buf_len(&b));
	n = lws_write(wsi, t->tx + LWS_PRE, buf_len(&b), LWS_WRITE_TEXT);
	r = n < (int)buf_len(&b) ? -1 : 0;
	/* The frame held the token: do not leave it in memory. */
	OPENSSL_cleanse(t->tx + LWS_PRE, buf_len(&b));
	buf_release(&b);
	debug("sent OpenDataChannel (request %s)", request_id);
	trace_ws("open_data_channel", NULL);
	return r;
}

/*
 * Lay out as many due messages as fit in TX_BATCH as masked frames, back
 * to back, and hand them to lws as one raw write: one TLS write and one
 * syscall for up to 64 messages, where lws_write() makes one of each per
 * frame.  Each message is still its own websocket frame (spec 3.3).  lws
 * sends what the socket takes and keeps the rest, whole frames or not, to
 * send first when the socket drains; lws's own frames (pings, the close)
 * go only between our writes, so frames never interleave.
 */
static int
ws_writeable(struct tunnel *t, struct lws *wsi)
{
	uint8_t key[4], *out = t->tx + LWS_PRE;
	const uint8_t *f;
	size_t len, used = 0, n;

	if (t->odc_pending) {
		t->odc_pending = 0;
		if (send_open_data_channel(t, wsi) != 0)
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (t->pong_due) {
		t->pong_due = 0;
		rand_cb(NULL, key, sizeof(key));
		used = wsf_client_frame(out, TX_MAX, WSF_OP_PONG, t->pong,
		    t->pong_len, key);
	}
	while (chan_output(t->chan, &f, &len) == 0) {
		if (len > TX_MAX) {
			log_error("internal error: frame of %zu bytes", len);
			return -1;
		}
		if (used > 0 && used + wsf_client_frame_len(len) > TX_BATCH)
			break;
		rand_cb(NULL, key, sizeof(key));
		n = wsf_client_frame(out + used, TX_MAX + WSF_CLIENT_HDR_MAX -
		    used, WSF_OP_BINARY, f, len, key);
		if (n == 0) {
			log_error("internal error: frame of %zu bytes", len);
			return -1;
		}
		used += n;
		trace_frame_out(f, len);
		chan_output_done(t->chan, loop_now_ms());
	}
	if (used > 0 && lws_write(wsi, out, used, LWS_WRITE_HTTP) < (int)used)
		return -1;
	if (chan_output(t->chan, &f, &len) == 0)
		lws_callback_on_writable(wsi);
	return 0;
}

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
deliver(struct tunnel *t, const uint8_t *p, size_t len)
{
	int r;

	if (t->phase == PH_DONE)
		return;
	r = chan_recv(t->chan, p, len, loop_now_ms());
	t->rate_msgs++;
	if (r == 0) {
		t->attempts = 0;	/* this websocket works */
		note_unused(p, len);
	}
	if (r != 0 && r != SP_ERR_IGNORED && r != SP_ERR_REFUSED)
		debug("dropped a frame: %s", sp_err_str(r));
	else if (r == SP_ERR_IGNORED)
		debug3("ignored a frame");
}

/* A piece of a message; end says it is the last. */
static void
rx_piece(struct tunnel *t, const uint8_t *p, size_t len, int end)
{
	if (end && buf_len(&t->rx) == 0 && !t->rx_skip && len <= t->rx.max) {
		deliver(t, p, len);	/* whole, in place: no copy */
		return;
	}
	if (!t->rx_skip && buf_put(&t->rx, p, len) != 0) {
		log_error("dropping a websocket message over %zu bytes",
		    t->rx.max);
		t->rx_skip = 1;
	}
	if (!end)
		return;
	if (!t->rx_skip)
		deliver(t, buf_ptr(&t->rx), buf_len(&t->rx));
	buf_reset(&t->rx);
	t->rx_skip = 0;
}

/* What lws reads: only before rx_take_over(), or on ws://. */
static void
ws_receive(struct tunnel *t, struct lws *wsi, const void *in, size_t len)
{
	rx_piece(t, in, len, lws_is_final_fragment(wsi) &&
	    lws_remaining_packet_payload(wsi) == 0);
}

static void
rx_stop(struct tunnel *t)
{
	loop_watch_free(t->ws_w);
	t->ws_w = NULL;
}

/* Plaintext OpenSSL read ahead, which no poll() reports. */
static int
rx_pending(struct tunnel *t)
{
	SSL *ssl;

	return t->ws_w != NULL && t->ws != NULL && !t->ws_rx_paused &&
	    (ssl = lws_get_ssl(t->ws)) != NULL && SSL_has_pending(ssl);
}

/* Drop the websocket now, without a closing handshake: lws's close
 * callback then reconnects or ends as for any lost connection. */
static void
ws_drop(struct tunnel *t)
{
	rx_stop(t);
	if (t->ws != NULL)
		lws_set_timeout(t->ws, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
}

/* PING, PONG or CLOSE from the service; -1: drop the connection. */
static int
rx_control(struct tunnel *t, const struct wsf_event *ev)
{
	switch (ev->opcode) {
	case WSF_OP_PING:
		memcpy(t->pong, ev->data, ev->len);
		t->pong_len = ev->len;
		t->pong_due = 1;
		lws_callback_on_writable(t->ws);
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
 * little, stop watching the socket for HOLD_US (a timerfd, exact where
 * the loop's timers round to milliseconds) and read what gathered then.
 * Writing goes on meanwhile.  2 ms holds back far less than the 4 MiB
 * windows (and any agent's) at any rate the service reaches, so it costs
 * no throughput; interactive use, and the agent's 1 ms pacing (1000
 * messages a second), are never bulk and are never held.  (1 ms: 10%
 * more CPU per GiB in `make bench`.)
 */
static void
rx_hold(struct tunnel *t, size_t got)
{
	struct itimerspec its;
	uint64_t now = loop_now_ms();

	if (now - t->rate_start >= 10) {
		t->bulk = t->rate_msgs >= BULK_MSGS * (now - t->rate_start) /
		    10;
		t->rate_msgs = 0;
		t->rate_start = now;
	}
	if (!t->bulk || got == 0 || got >= HOLD_BYTES || t->hold_w == NULL ||
	    t->ws_w == NULL || t->holding)
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = HOLD_US * 1000L;
	if (timerfd_settime(t->hold_fd, 0, &its, NULL) != 0)
		return;
	t->holding = 1;
	loop_watch_set(t->ws_w, 0);
}

static void ws_rx_read(struct tunnel *);

/*
 * Flow control is not a dead peer (spec 3.4).  While reading is paused
 * because stdout is full, nothing the service sends is read, pongs
 * included, so lws's dead-peer rule (--keepalive) is held off: the
 * connection counts as confirmed alive until reading resumes, and its
 * timer starts afresh then.  A pause for any other reason (our acks not
 * written) counts as usual.
 */
static void
rx_paused_tick(void *arg)
{
	struct tunnel *t = arg;
	const uint8_t *f;
	uint64_t ms = t->idle.secs_since_valid_ping * 1000ULL / 2;

	loop_timer_cancel(&t->pause_timer);
	if (t->ws == NULL || !t->ws_open)
		return;
	if (!t->ws_rx_paused) {
		lws_validity_confirmed(t->ws);
		return;
	}
	if (t->stdout_gone || chan_stdout(t->chan, &f) == 0)
		return;
	lws_validity_confirmed(t->ws);
	loop_timer_set(t->p.loop, &t->pause_timer, ms > 0 ? ms : 500,
	    rx_paused_tick, t);
}

static void
on_hold_end(void *arg, int fd, int events)
{
	struct tunnel *t = arg;
	uint64_t n;

	if (events & LOOP_HUP) {
		loop_watch_free(t->hold_w);	/* read at once from now on */
		t->hold_w = NULL;
	} else if (read(fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	t->holding = 0;
	if (t->ws_w != NULL && !t->ws_rx_paused) {
		loop_watch_set(t->ws_w, LOOP_IN);
		ws_rx_read(t);
	}
}

/*
 * Read what OpenSSL and the socket hold, RX_BUDGET bytes at most so that
 * writing gets its turn, and frame it.  Records left read ahead are
 * served at the start of the next pass (tunnel_pump), which must then
 * come at once.
 */
static void
ws_rx_read(struct tunnel *t)
{
	uint8_t buf[RX_CHUNK];
	struct wsf_event ev;
	size_t off, used, total = 0;
	SSL *ssl;
	int n, r, got = 0;

	ERR_clear_error();	/* successful reads leave it empty */
	while (total < RX_BUDGET) {
		if (t->ws == NULL || t->ws_w == NULL || t->ws_rx_paused ||
		    !chan_can_recv(t->chan) ||
		    (ssl = lws_get_ssl(t->ws)) == NULL)
			break;
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
			trace_ws("drop", "TLS close, error or EOF");
			ws_drop(t);
			return;
		}
		got = 1;
		total += (size_t)n;
		for (off = 0; off < (size_t)n; off += used) {
			r = wsf_read(&t->wsr, buf + off, (size_t)n - off,
			    &used, &ev);
			if (r < 0) {
				debug("malformed websocket frame from the "
				    "service");
				trace_ws("drop", "malformed websocket frame");
				ws_drop(t);
				return;
			}
			if (r == WSF_DATA)
				rx_piece(t, ev.data, ev.len, ev.end);
			else if (r == WSF_CONTROL && rx_control(t, &ev) != 0) {
				trace_ws("drop", "close frame from the service");
				ws_drop(t);
				return;
			}
		}
	}
	/* Data proves the peer alive as well as a pong would. */
	if (got && t->ws != NULL)
		lws_validity_confirmed(t->ws);
	if (total >= RX_BUDGET && rx_pending(t))
		lws_cancel_service(loop_context(t->p.loop));
	else
		rx_hold(t, total);
}

static void
on_ws_readable(void *arg, int fd, int events)
{
	struct tunnel *t = arg;

	ws_rx_read(t);
	if ((events & LOOP_HUP) && t->ws_w != NULL) {
		trace_ws("drop", "socket hang-up");
		ws_drop(t);		/* lws gave up on our watch */
	}
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
static void
rx_take_over(struct tunnel *t, struct lws *wsi)
{
	SSL *ssl;

	rx_stop(t);
	t->pong_due = 0;
	t->holding = 0;
	if ((ssl = lws_get_ssl(wsi)) == NULL)
		return;		/* ws:// (tests): lws reads */
	if ((t->ws_w = loop_watch_new(t->p.loop, lws_get_socket_fd(wsi),
	    on_ws_readable, t)) == NULL)
		return;		/* lws reads, slower */
	SSL_set_read_ahead(ssl, 1);
	wsf_reader_init(&t->wsr);
	t->ws_rx_paused = 0;
	loop_watch_set(t->ws_w, LOOP_IN);
	lws_rx_flow_control(wsi, 0);
}

/*
 * Hand reading back to lws for its closing handshake, when our reader is
 * between frames and nothing is read ahead; otherwise close without the
 * handshake.  Returns nonzero when lws can read the close reply.
 */
static int
rx_give_back(struct tunnel *t)
{
	SSL *ssl;

	if (t->ws_w == NULL)
		return 1;
	rx_stop(t);
	if (!wsf_reader_idle(&t->wsr) || t->ws == NULL ||
	    ((ssl = lws_get_ssl(t->ws)) != NULL && SSL_has_pending(ssl)))
		return 0;
	lws_rx_flow_control(t->ws, 1);
	return 1;
}

/*
 * lws 4.1 writes at most 2047 bytes of request line, a fixed bound in its
 * lws_generate_client_handshake() whatever buffer sizes it is given, and
 * cuts a longer line with a NUL.  So a long path and query are dialled as
 * "/" and put in place here, before our headers: the request so far fills
 * the start of lws's scratch buffer of LOOP_SERV_BUF_SIZE bytes, whose end
 * lies 12 bytes beyond the room lws offers (*lenp), and begins with
 * "GET / HTTP/1.1\r\n".  Anything else, or no room, is an error.
 */
static int
put_long_path(struct tunnel *t, void *in, size_t *lenp)
{
	static const char old[] = "GET / HTTP/1.1\r\n";
	char **p = in, *pkt;
	size_t n = strlen(t->long_path), used, rest, line;

	if (*lenp + 12 > LOOP_SERV_BUF_SIZE)
		return -1;
	used = LOOP_SERV_BUF_SIZE - 12 - *lenp;
	pkt = *p - used;
	if (used < sizeof(old) - 1 || memcmp(pkt, old, sizeof(old) - 1) != 0)
		return -1;
	rest = used - (sizeof(old) - 1);
	line = 4 + n + 11;
	if (line + rest + 12 > LOOP_SERV_BUF_SIZE)
		return -1;
	memmove(pkt + line, pkt + sizeof(old) - 1, rest);
	memcpy(pkt, "GET ", 4);
	memcpy(pkt + 4, t->long_path, n);
	memcpy(pkt + 4 + n, " HTTP/1.1\r\n", 11);
	*p = pkt + line + rest;
	*lenp = LOOP_SERV_BUF_SIZE - 12 - line - rest;
	return 0;
}

/* Add a header at *in, within the *lenp bytes left, and count it. */
static int
append_header(struct lws *wsi, const char *name, const char *value,
    void *in, size_t *lenp)
{
	unsigned char **p = (unsigned char **)in, *start = *p;

	if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
	    (const unsigned char *)value, (int)strlen(value), p,
	    start + *lenp) != 0)
		return -1;
	*lenp -= (size_t)(*p - start);
	return 0;
}

static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct tunnel *t = user;

	if (t == NULL || t->detached)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (t->long_path != NULL && put_long_path(t, in, &len) != 0) {
			log_error("cannot send a StreamUrl of %zu bytes with "
			    "this libwebsockets", strlen(t->url));
			return -1;
		}
		if (t->sig == NULL)
			break;
		if (append_header(wsi, "x-amz-date:", t->sig->amz_date, in,
		    &len) != 0 ||
		    (t->p.creds->session_token != NULL &&
		    t->p.creds->session_token[0] != '\0' &&
		    append_header(wsi, "x-amz-security-token:",
		    t->p.creds->session_token, in, &len) != 0) ||
		    append_header(wsi, "authorization:",
		    t->sig->authorization, in, &len) != 0)
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		ws_failed(t, in != NULL ? (const char *)in :
		    "connection failed");
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		trace_ws(t->ws_ever_open ? "reopen" : "open", NULL);
		t->ws_open = 1;
		t->odc_pending = 1;
		rx_take_over(t, wsi);
		free(t->long_path);
		t->long_path = NULL;
		if (!t->ws_ever_open) {
			debug("data channel websocket open");
			t->ws_ever_open = 1;
			t->attempts = 0;
			set_phase(t, PH_OPEN, 0);
		} else {
			/* Sequence numbers and both buffers carry over;
			 * everything unacknowledged goes again (spec 8.2). */
			log_verbose("data channel reconnected");
			t->reconnecting = 0;
			chan_reconnected(t->chan, loop_now_ms());
		}
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (t->phase == PH_DONE)
			return -1;
		if (wsi != t->ws)
			return -1;	/* a replaced connection: let it go */
		return ws_writeable(t, wsi);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		/* Data proves the peer alive as well as a pong would: without
		 * this lws hangs up a busy connection whose pong is queued
		 * behind the data. */
		lws_validity_confirmed(wsi);
		ws_receive(t, wsi, in, len);
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		if (wsi == t->ws) {
			rx_stop(t);
			t->ws = NULL;
			t->ws_open = 0;
		}
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		debug("the service closed the websocket");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (wsi != t->ws)
			break;		/* an old connection going away */
		trace_ws("lost", "websocket closed");
		rx_stop(t);
		t->ws = NULL;
		t->ws_open = 0;
		if (t->phase == PH_DONE)
			break;
		if (chan_state(t->chan) == CHAN_CLOSED)
			break;		/* tunnel_pump() reports it */
		if (t->phase == PH_TERMINATING) {
			finish(t, EXIT_OK);
			break;
		}
		ws_lost(t);
		break;
	default:
		break;
	}
	return 0;
}

/*
 * lws_create_vhost() given no proxy takes one from http_proxy, an
 * environment variable that is not for HTTPS and that NO_PROXY does not
 * govern; the proxy is main.c's choice (awscfg_https_proxy_for) alone.  So
 * the variable is hidden while the vhost is made, and put back for the
 * programs (credential_process) that may want it.
 */
static struct lws_vhost *
create_vhost(struct tunnel *t, struct lws_context_creation_info *vinfo)
{
	struct lws_vhost *vh;
	const char *v;
	char *saved = NULL;

	if (vinfo->http_proxy_address == NULL &&
	    (v = getenv("http_proxy")) != NULL) {
		if ((saved = strdup(v)) == NULL || unsetenv("http_proxy") != 0) {
			free(saved);
			return NULL;
		}
	}
	vh = lws_create_vhost(loop_context(t->p.loop), vinfo);
	if (saved != NULL) {
		(void)setenv("http_proxy", saved, 1);
		free(saved);
	}
	return vh;
}

/*
 * One vhost for the websocket: TLS and proxy, set once.  The TLS context is
 * ours (castore_client_ctx), on the trust anchors the API calls use; lws
 * checks the peer and its name on each connection.
 */
static int
make_vhost(struct tunnel *t)
{
	struct lws_context_creation_info vinfo;
	struct errmsg err;

	errmsg_clear(&err);
	if ((t->ssl_ctx = castore_client_ctx(t->p.ca_file, &err)) == NULL) {
		log_error("cannot set up TLS for the websocket: %s",
		    err.msg[0] != '\0' ? err.msg : "out of memory");
		return -1;
	}
	memset(&vinfo, 0, sizeof(vinfo));
	t->protocols[0].name = WS_PROTOCOL;
	t->protocols[0].callback = ws_callback;
	t->protocols[0].rx_buffer_size = 65536;
	vinfo.port = CONTEXT_PORT_NO_LISTEN;
	vinfo.vhost_name = "ws";
	vinfo.protocols = t->protocols;
	vinfo.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	vinfo.provided_client_ssl_ctx = t->ssl_ctx;
	vinfo.http_proxy_address = t->p.proxy_host;
	vinfo.http_proxy_port = t->p.proxy_port;
	if ((t->vh = create_vhost(t, &vinfo)) == NULL) {
		log_error("cannot set up the websocket's vhost");
		return -1;
	}
	return 0;
}

/*
 * Dial t->url, with a freshly signed upgrade unless it is presigned.
 * Returns -1 when the URL cannot be dialled at all; a connection that
 * fails goes to ws_failed(), now or from lws's callback.
 */
static int
connect_ws(struct tunnel *t)
{
	struct lws_client_connect_info ci;
	struct sigv4_params sp;
	struct sigv4_url *u = NULL;
	char *path = NULL;
	unsigned int failures = t->failures;
	int r, ok = -1;
	size_t n;

	if ((r = sigv4_url_split(t->url, &u)) != 0 ||
	    (strcmp(u->scheme, "wss") != 0 && strcmp(u->scheme, "ws") != 0)) {
		log_error("the service returned an unusable StreamUrl");
		goto out;
	}
	if ((r = sigv4_url_is_presigned(t->url, &t->presigned)) != 0)
		goto out;
	sigv4_result_free(t->sig);
	t->sig = NULL;
	if (!t->presigned) {
		memset(&sp, 0, sizeof(sp));
		sp.region = t->p.region;
		sp.service = "ssmmessages";
		sp.time = (int64_t)time(NULL) + t->p.clock_offset;
		if ((r = sigv4_sign_url(t->p.creds, t->url, &sp,
		    &t->sig)) != 0) {
			log_error("cannot sign the websocket upgrade: %s",
			    sp_err_str(r));
			goto out;
		}
	}
	n = strlen(u->path) + strlen(u->query) + 2;
	if ((path = malloc(n)) == NULL)
		goto out;
	memcpy(path, u->path, strlen(u->path) + 1);
	if (u->query[0] != '\0') {
		strcat(path, "?");
		strcat(path, u->query);
	}
	free(t->long_path);
	t->long_path = NULL;
	if (strlen(path) > LWS_PATH_MAX) {
		t->long_path = path;	/* put in place by put_long_path() */
		path = NULL;
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = loop_context(t->p.loop);
	ci.vhost = t->vh;
	ci.address = u->host;
	ci.port = u->port;
	ci.ssl_connection = u->tls ? LCCSCF_USE_SSL : 0;
	ci.path = path != NULL ? path : "/";
	ci.host = u->host_header;
	ci.local_protocol_name = WS_PROTOCOL;
	ci.userdata = t;
	ci.alpn = "http/1.1";
	ci.pwsi = &t->ws;
	ci.retry_and_idle_policy = &t->idle;
	debug("connecting to the data channel at %s:%u%s", u->host,
	    (unsigned int)u->port, t->p.proxy_host ? " through the proxy" :
	    "");
	/* NULL without a callback: fail here, as the callback would. */
	if (lws_client_connect_via_info(&ci) == NULL &&
	    t->failures == failures)
		ws_failed(t, "cannot start the connection");
	ok = 0;
 out:
	free(path);
	sigv4_url_free(u);
	return ok;
}

/* Backoff before reconnect attempt n (from 0): 100 ms doubling to 8 s,
 * with up to half again of jitter. */
static uint64_t
reconnect_delay(unsigned int n)
{
	static const struct backoff b = {
		100, RECONNECT_MAX_DELAY_MS, BACKOFF_ADD_HALF
	};
	uint32_t r;

	rand_cb(NULL, &r, sizeof(r));
	return backoff_ms(&b, n, r);
}

static void
connect_again(void *arg)
{
	struct tunnel *t = arg;

	if (t->phase != PH_CONNECTING || t->detached)
		return;
	if ((t->vh == NULL && make_vhost(t) != 0) || connect_ws(t) != 0) {
		call_terminate_api(t);
		finish(t, EXIT_CHANNEL);
	}
}

/*
 * A websocket could not be opened.  A reconnect goes on as for any drop;
 * the first one is tried CONNECT_ATTEMPTS times with the same backoff
 * (spec 8.1), each with a fresh signature, and then the session, which
 * exists, is terminated.
 */
static void
ws_failed(struct tunnel *t, const char *why)
{
	rx_stop(t);
	t->ws = NULL;
	t->ws_open = 0;
	t->failures++;
	trace_ws("lost", why);
	if (t->ws_ever_open) {
		debug("reconnecting the data channel failed: %s", why);
		ws_lost(t);
		return;
	}
	if (t->phase != PH_CONNECTING)
		return;
	if (++t->attempts >= CONNECT_ATTEMPTS) {
		log_error("cannot open the data channel websocket: %s (%u "
		    "attempts)", why, t->attempts);
		call_terminate_api(t);
		finish(t, EXIT_CHANNEL);
		return;
	}
	log_verbose("cannot open the data channel websocket: %s; trying "
	    "again", why);
	loop_timer_set(t->p.loop, &t->retry_timer,
	    reconnect_delay(t->attempts - 1), connect_again, t);
}

static void
reconnect_now(void *arg)
{
	struct tunnel *t = arg;

	if (t->phase == PH_DONE || t->detached)
		return;
	if (t->p.resume == NULL) {
		log_error("the data channel closed and cannot be resumed");
		finish(t, EXIT_LOST);
		return;
	}
	t->resume_pending = 1;
	t->p.resume(t->p.arg, t->p.session_id);
}

/* The websocket is gone while the session lives: resume (spec 8.4). */
static void
ws_lost(struct tunnel *t)
{
	uint64_t d;

	rx_stop(t);
	t->ws = NULL;
	t->ws_open = 0;
	t->odc_pending = 0;
	if (t->phase == PH_DONE || t->phase == PH_CONNECTING)
		return;
	if (t->attempts >= RECONNECT_ATTEMPTS) {
		log_error("the data channel closed and %u attempts to "
		    "reconnect failed", t->attempts);
		finish(t, EXIT_LOST);
		return;
	}
	if (!t->reconnecting)
		log_verbose("the data channel closed; reconnecting");
	t->reconnecting = 1;
	d = reconnect_delay(t->attempts);
	trace_reconnect(t->attempts + 1, d);
	loop_timer_set(t->p.loop, &t->retry_timer, d, reconnect_now, t);
	t->attempts++;
}

void
tunnel_resumed(struct tunnel *t, const char *token, const char *stream_url,
    const char *errmsg, int how)
{
	char *tok, *url = NULL;

	t->resume_pending = 0;
	if (t->phase == PH_DONE || t->detached)
		return;
	if (how != TUNNEL_RESUME_RETRY) {
		log_error("%s", errmsg != NULL ? errmsg :
		    "the session can no longer be resumed");
		if (how == TUNNEL_RESUME_REFUSED)
			call_terminate_api(t);
		finish(t, EXIT_LOST);
		return;
	}
	if (token == NULL) {
		debug("ResumeSession failed: %s", errmsg ? errmsg : "");
		trace_ws("lost", "ResumeSession failed");
		ws_lost(t);
		return;
	}
	/* The plugin keeps dialing the original StreamUrl (spec 8.2); a
	 * presigned one has expired, so take the new one then. */
	if ((tok = strdup(token)) == NULL || (t->presigned &&
	    stream_url != NULL && stream_url[0] != '\0' &&
	    (url = strdup(stream_url)) == NULL)) {
		if (tok != NULL)
			OPENSSL_clear_free(tok, strlen(tok));
		log_error("out of memory");
		call_terminate_api(t);
		finish(t, EXIT_LOST);
		return;
	}
	OPENSSL_clear_free(t->token, strlen(t->token));
	t->token = tok;
	if (url != NULL) {
		free(t->url);
		t->url = url;
	}
	if (connect_ws(t) != 0)
		ws_lost(t);
}

void
tunnel_pump(struct tunnel *t)
{
	const uint8_t *f;
	size_t len;
	uint64_t now = loop_now_ms(), d;
	const char *txt;
	int r, can;

	if (t->phase == PH_DONE) {
		if (!t->done_called && t->ws == NULL && !t->api_pending &&
		    !t->resume_pending) {
			t->done_called = 1;
			t->p.done(t->p.arg, t->exit_code);
		}
		return;
	}
	if (t->phase == PH_CONNECTING)
		return;
	/* Records read ahead: before anything else looks at the channel. */
	if (!t->holding && rx_pending(t))
		ws_rx_read(t);

	/* The channel's own verdicts first. */
	switch (chan_state(t->chan)) {
	case CHAN_FAILED:
		r = chan_error(t->chan, &txt);
		log_error("%s", txt[0] ? txt : sp_err_str(r));
		/* Write what the channel queued before it failed, such as
		 * the HandshakeResponse that tells the agent why we refused
		 * the session, before the websocket closes. */
		if (t->ws != NULL && t->ws_open && !t->odc_pending &&
		    !lws_partial_buffered(t->ws) &&
		    chan_output(t->chan, &f, &len) == 0 &&
		    ws_writeable(t, t->ws) != 0)
			debug("could not write the last frames");
		call_terminate_api(t);
		finish(t, t->was_open ? EXIT_LOST : EXIT_CHANNEL);
		return;
	case CHAN_OPEN:
		if (!t->was_open) {
			t->was_open = 1;
			txt = chan_customer_message(t->chan);
			if (txt[0] != '\0')
				log_info("%s", txt);
			log_verbose("session %s open (agent %s)",
			    t->p.session_id, chan_agent_version(t->chan));
		}
		break;
	case CHAN_CLOSED:
		if (t->phase != PH_FLUSH) {
			/*
			 * The normal end comes after sshd closed the
			 * connection (empty Output) or after we asked for it.
			 * An explanation while we were still relaying is the
			 * service ending the session on its own: idle timeout,
			 * an administrator's TerminateSession, an agent
			 * failure.  That is an error (spec 6.7, 7.6).
			 */
			txt = chan_close_output(t->chan);
			t->flush_code = EXIT_OK;
			if (txt[0] != '\0' && t->phase == PH_OPEN) {
				log_error("the service closed session %s: %s",
				    t->p.session_id, txt);
				t->flush_code = t->was_open ? EXIT_LOST :
				    EXIT_CHANNEL;
			} else if (txt[0] != '\0')
				log_info("session %s closed: %s",
				    t->p.session_id, txt);
			else
				debug("session %s closed", t->p.session_id);
			set_phase(t, PH_FLUSH, STDOUT_FLUSH_MS);
		}
		break;
	default:
		break;
	}

	/* stdout: write while there is something to write. */
	len = chan_stdout(t->chan, &f);
	if (t->stdout_gone && len > 0) {
		chan_stdout_consume(t->chan, len, now);
		trace_stdout(len);
		len = 0;
	}
	if (t->out_w != NULL)
		loop_watch_set(t->out_w, len > 0 ? LOOP_OUT : 0);
	if (t->phase == PH_FLUSH) {
		if (len == 0 || t->phase_expired) {
			/* Idempotent, and leaves no session behind. */
			call_terminate_api(t);
			finish(t, t->flush_code);
		}
		return;
	}

	/* stdin: read while the channel takes more (backpressure). */
	can = !t->stdin_eof && chan_send_space(t->chan) > 0;
	if (t->in_w != NULL)
		loop_watch_set(t->in_w, can ? LOOP_IN : 0);

	/* The websocket: write what is due, read while there is room. */
	if (t->ws != NULL && t->ws_open) {
		/*
		 * Write what is due now, rather than ask for a writable
		 * callback and a whole pass of the loop: a raw write is safe
		 * whenever lws holds nothing unsent, and lws keeps what the
		 * socket does not take.  OpenDataChannel waits for the
		 * callback, as lws wants for a connection's first write.
		 */
		if (t->odc_pending || lws_partial_buffered(t->ws))
			lws_callback_on_writable(t->ws);
		else if (chan_output(t->chan, &f, &len) == 0 &&
		    ws_writeable(t, t->ws) != 0) {
			trace_ws("drop", "websocket write failed");
			ws_drop(t);
		}
		can = chan_can_recv(t->chan);
		if (can == t->ws_rx_paused) {
			if (t->ws_w != NULL)
				loop_watch_set(t->ws_w, can && !t->holding ?
				    LOOP_IN : 0);
			else
				lws_rx_flow_control(t->ws, can);
			t->ws_rx_paused = !can;
			rx_paused_tick(t);
			/* Records read ahead raise no event: pass again. */
			if (can && rx_pending(t))
				lws_cancel_service(loop_context(t->p.loop));
		}
	}

	/* The channel's timer. */
	d = chan_deadline(t->chan);
	if (d != UINT64_MAX && (t->timer_at == 0 || d < t->timer_at)) {
		t->timer_at = d;
		loop_timer_set(t->p.loop, &t->chan_timer,
		    d > now ? d - now : 0, chan_timer_fire, t);
	}

	/* Ending: stdin closed or ssh went away (spec 7.5). */
	if ((t->stdin_eof || t->stdout_gone) && t->phase == PH_OPEN)
		set_phase(t, PH_DRAIN, DRAIN_MS);
	if (t->phase == PH_DRAIN &&
	    (chan_idle(t->chan) || t->phase_expired)) {
		if (chan_terminate(t->chan, now) != 0)
			call_terminate_api(t);
		else if (t->ws != NULL && t->ws_open)
			/* The flag was queued after the write check above:
			 * ask for it now, or it waits for TERMINATE_MS. */
			lws_callback_on_writable(t->ws);
		set_phase(t, PH_TERMINATING, TERMINATE_MS);
	}
	if (t->phase == PH_TERMINATING &&
	    (chan_idle(t->chan) || t->phase_expired)) {
		call_terminate_api(t);
		finish(t, EXIT_OK);
	}
}

void
tunnel_signal(struct tunnel *t, int sig)
{
	if (t->phase == PH_DONE)
		return;
	debug("signal %d", sig);
	if (sig == SIGHUP) {
		/* ssh is done with us: end as after stdin EOF, at once. */
		t->stdin_eof = 1;
		chan_send_eof(t->chan);
		if (t->phase == PH_OPEN || t->phase == PH_DRAIN)
			set_phase(t, PH_DRAIN, 1);
		else if (t->phase == PH_CONNECTING)
			finish(t, EXIT_OK);
		return;
	}
	log_error("terminating session %s on signal %d", t->p.session_id,
	    sig);
	if (t->ws_open)
		(void)!chan_terminate(t->chan, loop_now_ms());
	call_terminate_api(t);
	finish(t, 128 + sig);
}

struct tunnel *
tunnel_start(const struct tunnel_params *p)
{
	struct chan_params cp;
	struct tunnel *t;
	int fl;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->p = *p;
	t->phase = PH_CONNECTING;
	t->hold_fd = -1;
	new_uuid(t->client_id);
	if ((t->url = strdup(p->stream_url)) == NULL ||
	    (t->token = strdup(p->token)) == NULL) {
		log_error("out of memory");
		free(t->url);
		free(t);
		return NULL;
	}
	/* lws pings a websocket idle this long and drops it if nothing at
	 * all comes back for twice as long (spec 3.4); then we resume. */
	t->idle.secs_since_valid_ping = (uint16_t)(p->keepalive_s > 0 ?
	    p->keepalive_s : TUNNEL_KEEPALIVE_S);
	t->idle.secs_since_valid_hangup = (uint16_t)(2 *
	    t->idle.secs_since_valid_ping + 1);
	chan_params_default(&cp);
	cp.random = rand_cb;
	if (p->payload_size > 0)
		cp.chunk_size = p->payload_size;
	if (p->progress_timeout_s > 0)
		cp.progress_timeout_ms = (uint64_t)p->progress_timeout_s *
		    1000;
	cp.epoch_offset_ms = (int64_t)time(NULL) * 1000 -
	    (int64_t)loop_now_ms();
	cp.observe = trace_on() ? trace_chan_event : NULL;
	trace_chan_params(&cp);
	buf_init(&t->rx, cp.max_frame);
	if ((t->tx = malloc(LWS_PRE + TX_MAX + WSF_CLIENT_HDR_MAX)) == NULL ||
	    (t->chan = chan_new(&cp, loop_now_ms())) == NULL)
		goto fail;
	/* stdout must never block the loop. */
	if ((fl = fcntl(STDOUT_FILENO, F_GETFL)) != -1)
		(void)fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK);
	if ((t->in_w = loop_watch_new(p->loop, STDIN_FILENO, on_stdin,
	    t)) == NULL ||
	    (t->out_w = loop_watch_new(p->loop, STDOUT_FILENO, on_stdout,
	    t)) == NULL) {
		log_error("cannot watch standard input and output");
		goto fail;
	}
	/* Without the timer, reads are simply never held. */
	if ((t->hold_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) != -1 && (t->hold_w = loop_watch_new(p->loop,
	    t->hold_fd, on_hold_end, t)) != NULL)
		loop_watch_set(t->hold_w, LOOP_IN);
	/* From the loop: a failure calls TerminateSession back. */
	loop_timer_set(p->loop, &t->retry_timer, 0, connect_again, t);
	return t;
 fail:
	tunnel_free(t);
	return NULL;
}

void
tunnel_detach(struct tunnel *t)
{
	if (t == NULL || t->detached)
		return;
	loop_timer_cancel(&t->chan_timer);
	loop_timer_cancel(&t->phase_timer);
	loop_timer_cancel(&t->retry_timer);
	loop_timer_cancel(&t->pause_timer);
	loop_watch_free(t->hold_w);
	if (t->hold_fd != -1)
		close(t->hold_fd);
	rx_stop(t);
	loop_watch_free(t->in_w);
	loop_watch_free(t->out_w);
	t->in_w = t->out_w = NULL;
	t->detached = 1;
}

void
tunnel_free(struct tunnel *t)
{
	if (t == NULL)
		return;
	tunnel_detach(t);
	chan_free(t->chan);
	sigv4_result_free(t->sig);
	buf_release(&t->rx);
	free(t->tx);
	/* lws leaves a context it was given alone: the loop is gone now. */
	SSL_CTX_free(t->ssl_ctx);
	if (t->token != NULL)
		OPENSSL_clear_free(t->token, strlen(t->token));
	free(t->url);
	free(t->long_path);
	free(t);
}
