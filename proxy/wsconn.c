/*
 * The data channel's websocket; see wsconn.h.
 *
 * lws dials, upgrades, writes, pings and closes; once a websocket is open
 * ssm-proxy reads it itself (wsread.c) and writes the channel's frames
 * in batches (ws_writeable()).  The state (enum ws_state) changes
 * in set_state() only.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "backoff.h"
#include "buf.h"
#include "castore.h"
#include "compat.h"
#include "errmsg.h"
#include "log.h"
#include "msg.h"
#include "payload.h"
#include "trace.h"
#include "wsconn.h"
#include "wsconnint.h"
#include "wsframe.h"

#define WS_PROTOCOL		"ssm-data-channel"
#define TX_MAX			(128 * 1024)	/* largest frame we write */
#define TX_BATCH		(64 * 1024)	/* frames per TLS write */
#define RECONNECT_ATTEMPTS	12	/* in a row, about a minute */
#define RECONNECT_MAX_DELAY_MS	8000
#define CONNECT_ATTEMPTS	5	/* the first websocket, about 3 s */
#define LWS_PATH_MAX		2000	/* see wsconn_put_long_path() */

static const char *const state_names[] = {
	"idle", "dialing", "open", "lost", "wait_resume", "closing", "closed"
};


static void ws_lost(struct wsconn *);
static void ws_failed(struct wsconn *, const char *);
static int connect_ws(struct wsconn *);

/*
 * Every change of state: logged at -vvv, and traced as a "ws" event
 * unless the change has a trace event of its own already (open, reopen,
 * lost), which the caller writes.
 */
static void
set_state(struct wsconn *w, enum ws_state st)
{
	if (w->state == st)
		return;
	debug2("websocket %s -> %s", state_names[w->state], state_names[st]);
	if (st != WS_OPEN && st != WS_LOST)
		trace_ws(state_names[st], NULL);
	w->state = st;
}

enum ws_state
wsconn_state(const struct wsconn *w)
{
	return w->state;
}

const char *
wsconn_state_name(enum ws_state s)
{
	return state_names[s];
}

int
wsconn_busy(const struct wsconn *w)
{
	return w->ws != NULL;
}

static void
new_uuid(struct wsconn *w, char out[MSG_UUID_STR_LEN + 1])
{
	uint8_t id[MSG_UUID_LEN];

	w->p.random(w->p.arg, id, sizeof(id));
	msg_uuid_make_v4(id);
	msg_uuid_to_str(id, out);
}

static int
send_open_data_channel(struct wsconn *w, struct lws *wsi)
{
	struct pl_open_data_channel o;
	char request_id[MSG_UUID_STR_LEN + 1];
	struct buf b;
	int r, n;

	new_uuid(w, request_id);
	memset(&o, 0, sizeof(o));
	o.message_schema_version = (char *)(uintptr_t)"1.0";
	o.request_id = request_id;
	o.token_value = w->token;
	o.client_id = w->client_id;
	o.client_version = (char *)(uintptr_t)CHAN_CLIENT_VERSION;
	buf_init(&b, TX_MAX);
	if ((r = pl_encode_open_data_channel(&b, &o)) != 0) {
		log_error("cannot encode OpenDataChannel: %s", sp_err_str(r));
		buf_release(&b);
		return -1;
	}
	memcpy(w->tx + LWS_PRE, buf_ptr(&b), buf_len(&b));
	n = lws_write(wsi, w->tx + LWS_PRE, buf_len(&b), LWS_WRITE_TEXT);
	r = n < (int)buf_len(&b) ? -1 : 0;
	/* The frame held the token: do not leave it in memory. */
	OPENSSL_cleanse(w->tx + LWS_PRE, buf_len(&b));
	buf_release(&b);
	debug("sent OpenDataChannel (request %s)", request_id);
	trace_ws("open_data_channel", NULL);
	return r;
}

/*
 * Lay out as many due messages as fit in TX_BATCH as masked frames, back
 * to back, and hand them to lws as one raw write: one TLS write and one
 * syscall for up to 64 messages, where lws_write() makes one of each per
 * frame.  Each message is still its own websocket frame
 * (protocol/PROTOCOL.md "Websocket framing").  lws sends what the socket
 * takes and keeps the rest, whole frames or not, to send first when the
 * socket drains; lws's own frames (pings, the close) go only between our
 * writes, so frames never interleave.
 */
static int
ws_writeable(struct wsconn *w, struct lws *wsi)
{
	uint8_t key[4], *out = w->tx + LWS_PRE;
	const uint8_t *f;
	size_t len, used = 0, n;

	if (w->odc_pending) {
		w->odc_pending = 0;
		if (send_open_data_channel(w, wsi) != 0)
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (w->pong_due) {
		w->pong_due = 0;
		w->p.random(w->p.arg, key, sizeof(key));
		used = wsf_client_frame(out, TX_MAX, WSF_OP_PONG, w->pong,
		    w->pong_len, key);
	}
	while (chan_output(w->p.chan, &f, &len) == 0) {
		if (len > TX_MAX) {
			log_error("internal error: frame of %zu bytes", len);
			return -1;
		}
		if (used > 0 && used + wsf_client_frame_len(len) > TX_BATCH)
			break;
		w->p.random(w->p.arg, key, sizeof(key));
		n = wsf_client_frame(out + used, TX_MAX + WSF_CLIENT_HDR_MAX -
		    used, WSF_OP_BINARY, f, len, key);
		if (n == 0) {
			log_error("internal error: frame of %zu bytes", len);
			return -1;
		}
		used += n;
		trace_frame_out(f, len);
		chan_output_done(w->p.chan, loop_now_ms());
	}
	if (used > 0 && lws_write(wsi, out, used, LWS_WRITE_HTTP) < (int)used)
		return -1;
	if (chan_output(w->p.chan, &f, &len) == 0)
		lws_callback_on_writable(wsi);
	return 0;
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
int
wsconn_put_long_path(const char *long_path, void *in, size_t *lenp)
{
	static const char old[] = "GET / HTTP/1.1\r\n";
	char **p = in, *pkt;
	size_t n = strlen(long_path), used, rest, line;

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
	memcpy(pkt + 4, long_path, n);
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

/* The upgrade request: the long path, then the signature's headers. */
static int
upgrade_headers(struct wsconn *w, struct lws *wsi, void *in, size_t len)
{
	const char *tok = w->p.creds->session_token;

	if (w->long_path != NULL &&
	    wsconn_put_long_path(w->long_path, in, &len) != 0) {
		log_error("cannot send a StreamUrl of %zu bytes with this "
		    "libwebsockets", strlen(w->url));
		return -1;
	}
	if (w->sig == NULL)
		return 0;
	if (append_header(wsi, "x-amz-date:", w->sig->amz_date, in,
	    &len) != 0 ||
	    (tok != NULL && tok[0] != '\0' &&
	    append_header(wsi, "x-amz-security-token:", tok, in, &len) != 0) ||
	    append_header(wsi, "authorization:", w->sig->authorization, in,
	    &len) != 0)
		return -1;
	return 0;
}

static void
ws_established(struct wsconn *w, struct lws *wsi)
{
	trace_ws(w->ever_open ? "reopen" : "open", NULL);
	set_state(w, WS_OPEN);
	w->odc_pending = 1;
	wsconn_rx_take_over(w, wsi);
	free(w->long_path);
	w->long_path = NULL;
	if (!w->ever_open) {
		debug("data channel websocket open");
		w->ever_open = 1;
		w->attempts = 0;
		w->p.opened(w->p.arg);
	} else {
		/* Sequence numbers and both buffers carry over; everything
		 * unacknowledged goes again (protocol/PROTOCOL.md
		 * "Reconnection"). */
		log_verbose("data channel reconnected");
		chan_reconnected(w->p.chan, loop_now_ms());
	}
	lws_callback_on_writable(wsi);
}

/* The websocket of ours is gone: lws closed or destroyed it. */
static void
ws_gone(struct wsconn *w, int closed)
{
	if (!closed) {
		ws_failed(w, "connection destroyed");
		return;
	}
	wsconn_rx_stop(w);
	w->ws = NULL;
	trace_ws("lost", "websocket closed");
	if (w->state == WS_CLOSING) {
		set_state(w, WS_CLOSED);
		return;
	}
	if (w->p.closed(w->p.arg))
		ws_lost(w);
	else if (w->state != WS_CLOSING)
		set_state(w, WS_CLOSED);
}

static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct wsconn *w = user;

	if (w == NULL || w->state == WS_CLOSED)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return upgrade_headers(w, wsi, in, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		ws_failed(w, in != NULL ? (const char *)in :
		    "connection failed");
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (w->state != WS_DIALING || wsi != w->ws)
			return -1;	/* closing */
		ws_established(w, wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (w->state != WS_OPEN || wsi != w->ws)
			return -1;	/* closing, or a replaced connection */
		return ws_writeable(w, wsi);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		/* Data proves the peer alive as well as a pong would: without
		 * this lws hangs up a busy connection whose pong is queued
		 * behind the data.  lws reads only before
		 * wsconn_rx_take_over(), or on ws://. */
		lws_validity_confirmed(wsi);
		wsconn_rx_piece(w, in, len, lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0);
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		if (wsi == w->ws)
			ws_gone(w, 0);
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		debug("the service closed the websocket");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (wsi == w->ws)	/* else an old connection going away */
			ws_gone(w, 1);
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
struct lws_vhost *
wsconn_create_vhost(struct loop *l, struct lws_context_creation_info *vinfo)
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
	vh = lws_create_vhost(loop_context(l), vinfo);
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
make_vhost(struct wsconn *w)
{
	struct lws_context_creation_info vinfo;
	struct errmsg err;

	errmsg_clear(&err);
	if ((w->ssl_ctx = castore_client_ctx(w->p.ca_file, &err)) == NULL) {
		log_error("cannot set up TLS for the websocket: %s",
		    err.msg[0] != '\0' ? err.msg : "out of memory");
		return -1;
	}
	memset(&vinfo, 0, sizeof(vinfo));
	w->protocols[0].name = WS_PROTOCOL;
	w->protocols[0].callback = ws_callback;
	w->protocols[0].rx_buffer_size = 65536;
	vinfo.port = CONTEXT_PORT_NO_LISTEN;
	vinfo.vhost_name = "ws";
	vinfo.protocols = w->protocols;
	vinfo.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	vinfo.provided_client_ssl_ctx = w->ssl_ctx;
	vinfo.http_proxy_address = w->p.proxy_host;
	vinfo.http_proxy_port = w->p.proxy_port;
	if ((w->vh = wsconn_create_vhost(w->p.loop, &vinfo)) == NULL) {
		log_error("cannot set up the websocket's vhost");
		return -1;
	}
	return 0;
}

/* A fresh signature for the upgrade, unless the URL is presigned. */
static int
sign_upgrade(struct wsconn *w)
{
	struct sigv4_params sp;
	int r;

	if ((r = sigv4_url_is_presigned(w->url, &w->presigned)) != 0)
		return -1;
	sigv4_result_free(w->sig);
	w->sig = NULL;
	if (w->presigned)
		return 0;
	memset(&sp, 0, sizeof(sp));
	sp.region = w->p.region;
	sp.service = "ssmmessages";
	sp.time = (int64_t)time(NULL) + w->p.clock_offset;
	if ((r = sigv4_sign_url(w->p.creds, w->url, &sp, &w->sig)) != 0) {
		log_error("cannot sign the websocket upgrade: %s",
		    sp_err_str(r));
		return -1;
	}
	return 0;
}

/*
 * The path and query to dial: NULL when long_path holds them instead
 * (wsconn_put_long_path()).  -1: out of memory.
 */
static int
dial_path(struct wsconn *w, const struct sigv4_url *u, char **pathp)
{
	size_t n = strlen(u->path) + strlen(u->query) + 2;
	char *path;

	*pathp = NULL;
	if ((path = malloc(n)) == NULL)
		return -1;
	memcpy(path, u->path, strlen(u->path) + 1);
	if (u->query[0] != '\0') {
		strcat(path, "?");
		strcat(path, u->query);
	}
	free(w->long_path);
	w->long_path = NULL;
	if (strlen(path) > LWS_PATH_MAX)
		w->long_path = path;	/* put in place by wsconn_put_long_path() */
	else
		*pathp = path;
	return 0;
}

/*
 * Dial w->url, with a freshly signed upgrade unless it is presigned.
 * Returns -1 when the URL cannot be dialled at all; a connection that
 * fails goes to ws_failed(), now or from lws's callback.
 */
static int
connect_ws(struct wsconn *w)
{
	struct lws_client_connect_info ci;
	struct sigv4_url *u = NULL;
	char *path = NULL;
	unsigned int failures = w->failures;
	int ok = -1;

	if (sigv4_url_split(w->url, &u) != 0 ||
	    (strcmp(u->scheme, "wss") != 0 && strcmp(u->scheme, "ws") != 0)) {
		log_error("the service returned an unusable StreamUrl");
		goto out;
	}
	if (sign_upgrade(w) != 0 || dial_path(w, u, &path) != 0)
		goto out;
	memset(&ci, 0, sizeof(ci));
	ci.context = loop_context(w->p.loop);
	ci.vhost = w->vh;
	ci.address = u->host;
	ci.port = u->port;
	ci.ssl_connection = u->tls ? LCCSCF_USE_SSL : 0;
	ci.path = path != NULL ? path : "/";
	ci.host = u->host_header;
	ci.local_protocol_name = WS_PROTOCOL;
	ci.userdata = w;
	ci.alpn = "http/1.1";
	ci.pwsi = &w->ws;
	ci.retry_and_idle_policy = &w->idle;
	debug("connecting to the data channel at %s:%u%s", u->host,
	    (unsigned int)u->port, w->p.proxy_host ? " through the proxy" :
	    "");
	set_state(w, WS_DIALING);
	/* NULL without a callback: fail here, as the callback would. */
	if (lws_client_connect_via_info(&ci) == NULL &&
	    w->failures == failures)
		ws_failed(w, "cannot start the connection");
	ok = 0;
 out:
	free(path);
	sigv4_url_free(u);
	return ok;
}

/* Backoff before reconnect attempt n (from 0): 100 ms doubling to 8 s,
 * with up to half again of jitter. */
static uint64_t
reconnect_delay(struct wsconn *w, unsigned int n)
{
	static const struct backoff b = {
		100, RECONNECT_MAX_DELAY_MS, BACKOFF_ADD_HALF
	};
	uint32_t r;

	w->p.random(w->p.arg, &r, sizeof(r));
	return backoff_ms(&b, n, r);
}

static void
connect_again(void *arg)
{
	struct wsconn *w = arg;

	if (w->state != WS_IDLE)
		return;
	if ((w->vh == NULL && make_vhost(w) != 0) || connect_ws(w) != 0)
		w->p.failed(w->p.arg, 1);
}

/*
 * A websocket could not be opened.  A reconnect goes on as for any drop;
 * the first one is tried CONNECT_ATTEMPTS times with the same backoff
 * (protocol/PROTOCOL.md "Reconnection"), each with a fresh signature,
 * and then the session, which exists, is terminated.
 */
static void
ws_failed(struct wsconn *w, const char *why)
{
	wsconn_rx_stop(w);
	w->ws = NULL;
	w->failures++;
	trace_ws("lost", why);
	if (w->state == WS_CLOSING) {
		set_state(w, WS_CLOSED);
		return;
	}
	if (w->ever_open) {
		debug("reconnecting the data channel failed: %s", why);
		ws_lost(w);
		return;
	}
	set_state(w, WS_IDLE);
	if (++w->attempts >= CONNECT_ATTEMPTS) {
		log_error("cannot open the data channel websocket: %s (%u "
		    "attempts)", why, w->attempts);
		w->p.failed(w->p.arg, 1);
		return;
	}
	log_verbose("cannot open the data channel websocket: %s; trying "
	    "again", why);
	loop_timer_set(w->p.loop, &w->retry_timer,
	    reconnect_delay(w, w->attempts - 1), connect_again, w);
}

static void
reconnect_now(void *arg)
{
	struct wsconn *w = arg;

	if (w->state != WS_LOST)
		return;
	set_state(w, WS_WAIT_RESUME);
	w->p.resume(w->p.arg);
}

/* The websocket is gone while the session lives: resume
 * (protocol/PROTOCOL.md "Reconnection"). */
static void
ws_lost(struct wsconn *w)
{
	uint64_t d;

	wsconn_rx_stop(w);
	w->ws = NULL;
	w->odc_pending = 0;
	if (w->state == WS_CLOSING || w->state == WS_CLOSED)
		return;
	if (w->attempts >= RECONNECT_ATTEMPTS) {
		log_error("the data channel closed and %u attempts to "
		    "reconnect failed", w->attempts);
		set_state(w, WS_LOST);
		w->p.failed(w->p.arg, 0);
		return;
	}
	if (w->state == WS_OPEN)
		log_verbose("the data channel closed; reconnecting");
	set_state(w, WS_LOST);
	d = reconnect_delay(w, w->attempts);
	trace_reconnect(w->attempts + 1, d);
	loop_timer_set(w->p.loop, &w->retry_timer, d, reconnect_now, w);
	w->attempts++;
}

int
wsconn_resumed(struct wsconn *w, const char *token, const char *stream_url)
{
	char *tok, *url = NULL;

	if (w->state != WS_WAIT_RESUME)
		return 0;
	if (token == NULL) {
		trace_ws("lost", "ResumeSession failed");
		ws_lost(w);
		return 0;
	}
	/* The plugin keeps dialing the original StreamUrl
	 * (protocol/PROTOCOL.md "Reconnection"); a presigned one has
	 * expired, so take the new one then. */
	if ((tok = strdup(token)) == NULL || (w->presigned &&
	    stream_url != NULL && stream_url[0] != '\0' &&
	    (url = strdup(stream_url)) == NULL)) {
		if (tok != NULL)
			OPENSSL_clear_free(tok, strlen(tok));
		return -1;
	}
	OPENSSL_clear_free(w->token, strlen(w->token));
	w->token = tok;
	if (url != NULL) {
		free(w->url);
		w->url = url;
	}
	if (connect_ws(w) != 0)
		ws_lost(w);
	return 0;
}

void
wsconn_pump(struct wsconn *w)
{
	const uint8_t *f;
	size_t len;

	if (w->ws == NULL || w->state != WS_OPEN)
		return;
	/*
	 * Write what is due now, rather than ask for a writable callback
	 * and a whole pass of the loop: a raw write is safe whenever lws
	 * holds nothing unsent, and lws keeps what the socket does not
	 * take.  OpenDataChannel waits for the callback, as lws wants for a
	 * connection's first write.
	 */
	if (w->odc_pending || lws_partial_buffered(w->ws))
		lws_callback_on_writable(w->ws);
	else if (chan_output(w->p.chan, &f, &len) == 0 &&
	    ws_writeable(w, w->ws) != 0)
		wsconn_drop(w, "websocket write failed");
	wsconn_rx_flow(w);
}

void
wsconn_want_write(struct wsconn *w)
{
	if (w->ws != NULL && w->state == WS_OPEN)
		lws_callback_on_writable(w->ws);
}

void
wsconn_flush(struct wsconn *w)
{
	const uint8_t *f;
	size_t len;

	if (w->ws != NULL && w->state == WS_OPEN && !w->odc_pending &&
	    !lws_partial_buffered(w->ws) &&
	    chan_output(w->p.chan, &f, &len) == 0 &&
	    ws_writeable(w, w->ws) != 0)
		debug("could not write the last frames");
}

struct wsconn *
wsconn_new(const struct wsconn_params *p)
{
	struct wsconn *w;
	unsigned int ka = p->keepalive_s;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->p = *p;
	w->state = WS_IDLE;
	w->hold_fd = -1;
	buf_init(&w->rx, p->max_frame);
	if ((w->url = strdup(p->stream_url)) == NULL ||
	    (w->token = strdup(p->token)) == NULL ||
	    (w->tx = malloc(LWS_PRE + TX_MAX + WSF_CLIENT_HDR_MAX)) == NULL) {
		wsconn_free(w);
		return NULL;
	}
	new_uuid(w, w->client_id);
	/* lws pings a websocket idle this long and drops it if nothing at
	 * all comes back for twice as long (protocol/PROTOCOL.md
	 * "Keepalive"); then we resume. */
	w->idle.secs_since_valid_ping = (uint16_t)ka;
	w->idle.secs_since_valid_hangup = (uint16_t)(2 * ka + 1);
	/* Without the descriptor, a loop timer holds reads. */
	if ((w->hold_fd = compat_timer_fd()) != -1 &&
	    (w->hold_w = loop_watch_new(p->loop, w->hold_fd,
	    wsconn_on_hold_end, w)) != NULL)
		loop_watch_set(w->hold_w, LOOP_IN);
	/* From the loop: a failure calls TerminateSession back. */
	loop_timer_set(p->loop, &w->retry_timer, 0, connect_again, w);
	return w;
}

/* No more timers, nor held reads. */
static void
stop_timers(struct wsconn *w)
{
	loop_timer_cancel(&w->retry_timer);
	loop_timer_cancel(&w->pause_timer);
	loop_timer_cancel(&w->hold_timer);
	loop_watch_free(w->hold_w);
	w->hold_w = NULL;
	w->holding = 0;
}

void
wsconn_close(struct wsconn *w)
{
	int was_open;

	stop_timers(w);
	if (w->state == WS_CLOSING || w->state == WS_CLOSED)
		return;
	if (w->ws == NULL) {
		wsconn_rx_stop(w);
		set_state(w, WS_CLOSED);
		return;
	}
	was_open = w->state == WS_OPEN;
	set_state(w, WS_CLOSING);
	/*
	 * A close reason only exists for a websocket: one still in its TCP,
	 * TLS or upgrade phase (ssh gave up while we dialled) is not one
	 * yet, and lws asserts on it.  It is simply dropped.
	 */
	if (wsconn_rx_give_back(w) && was_open)
		lws_close_reason(w->ws, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
	lws_set_timeout(w->ws, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void
wsconn_detach(struct wsconn *w)
{
	if (w == NULL)
		return;
	stop_timers(w);
	if (w->hold_fd != -1)
		close(w->hold_fd);
	w->hold_fd = -1;
	wsconn_rx_stop(w);
	set_state(w, WS_CLOSED);
}

void
wsconn_free(struct wsconn *w)
{
	if (w == NULL)
		return;
	wsconn_detach(w);
	sigv4_result_free(w->sig);
	buf_release(&w->rx);
	free(w->tx);
	/* lws leaves a context it was given alone: the loop is gone now. */
	SSL_CTX_free(w->ssl_ctx);
	if (w->token != NULL)
		OPENSSL_clear_free(w->token, strlen(w->token));
	free(w->url);
	free(w->long_path);
	free(w);
}
