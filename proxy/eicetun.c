/*
 * The EC2 Instance Connect Endpoint tunnel; see eicetun.h.
 *
 * lws dials, upgrades, reads, writes, pings and closes.  Callbacks only
 * move bytes and record what happened; eicetun_pump(), after every pass
 * of the loop, decides the rest once: which descriptors to watch, when
 * to stop reading the websocket (stdout full), when to close, and how the
 * tunnel ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "buf.h"
#include "castore.h"
#include "eicetun.h"
#include "errmsg.h"
#include "log.h"
#include "sigv4.h"
#include "wsconn.h"

#define WS_PROTOCOL	"eice"
#define OUT_HIGH	(256 * 1024)	/* stdout queue: stop reading */
#define OUT_MAX		(8 * 1024 * 1024)	/* never more than this */
#define FLUSH_MS	5000	/* stdout gets the rest after the end */
#define PATH_MAX_LWS	2000	/* longer: wsconn_put_long_path() */
#define KEEPALIVE_S	30

enum phase {
	PH_CONNECTING,
	PH_OPEN,
	PH_CLOSING,	/* our close sent or due */
	PH_FLUSH,	/* the websocket is gone: stdout gets the rest */
	PH_DONE
};

struct eicetun {
	struct eicetun_params	 p;
	enum phase		 phase;
	struct lws_protocols	 protocols[2];
	struct lws_vhost	*vh;
	SSL_CTX			*ssl_ctx;
	struct lws		*ws;
	lws_retry_bo_t		 idle;
	struct sigv4_url	*u;
	char			*url;
	char			*connect_host;	/* copy of p's */
	char			*path;		/* NULL: long_path */
	char			*long_path;
	struct loop_watch	*in_w, *out_w;
	struct loop_timer	 timer;		/* connect, close, flush */
	int			 timer_fired;
	uint8_t			*tx;		/* LWS_PRE + EICETUN_FRAME */
	size_t			 tx_len;	/* a frame to write */
	struct buf		 out;		/* for stdout */
	int			 rx_paused;
	int			 stdin_eof;
	int			 stdout_gone;
	uint64_t		 opened_at;	/* ms, 0: never open */
	uint64_t		 bytes_in, bytes_out;
	int			 peer_close;	/* close code, 0: none */
	char			 peer_reason[124];
	int			 we_closed;
	int			 ended;		/* end decided */
	enum eicetun_end	 end;
	int			 end_sig;
	int			 done_called;
	int			 detached;
};

static void
end_as(struct eicetun *e, enum eicetun_end end)
{
	if (e->ended)
		return;
	e->ended = 1;
	e->end = end;
}

/* Drop the websocket without waiting (lws closes it from the loop). */
static void
kill_ws(struct eicetun *e)
{
	if (e->ws != NULL)
		lws_set_timeout(e->ws, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
}

static void
timer_fire(void *arg)
{
	struct eicetun *e = arg;

	e->timer_fired = 1;
	if (e->phase == PH_CLOSING)
		kill_ws(e);	/* the server did not answer our close */
}

static void
set_phase(struct eicetun *e, enum phase ph, uint64_t ms)
{
	debug2("EICE tunnel phase %d -> %d", e->phase, ph);
	e->phase = ph;
	e->timer_fired = 0;
	loop_timer_cancel(&e->timer);
	if (ms > 0)
		loop_timer_set(e->p.loop, &e->timer, ms, timer_fire, e);
}

static unsigned int
max_duration(const struct eicetun *e)
{
	return e->p.max_duration_s > 0 ? e->p.max_duration_s : 3600;
}

/* The tunnel lived (about) as long as it may: its end is the limit. */
static int
at_max_duration(const struct eicetun *e)
{
	uint64_t lived;

	if (e->opened_at == 0)
		return 0;
	lived = (loop_now_ms() - e->opened_at) / 1000;
	return lived + EICETUN_DURATION_SLACK >= max_duration(e);
}

/* An upgrade that did not succeed: one line, what the status means. */
static void
refused(struct eicetun *e, struct lws *wsi, const char *why)
{
	unsigned int st = wsi != NULL ? lws_http_client_http_response(wsi) :
	    0;
	const char *what = e->p.what != NULL ? e->p.what : "the instance";

	switch (st) {
	case 0:
	case 101:
		log_error("cannot open the EICE tunnel to %s: %s", what,
		    why != NULL ? why : "connection failed");
		break;
	case 403:
		log_error("the EICE endpoint refused the tunnel to %s (HTTP "
		    "403): not allowed to call ec2-instance-connect:OpenTunnel "
		    "for this address and port (condition keys "
		    "ec2-instance-connect:remotePort, "
		    "ec2-instance-connect:privateIpAddress), or the signature "
		    "was refused", what);
		break;
	case 409:
		log_error("the EICE endpoint refused the tunnel to %s (HTTP "
		    "409): the endpoint is not ready", what);
		break;
	case 429:
		log_error("the EICE endpoint refused the tunnel to %s (HTTP "
		    "429): the endpoint's limit of concurrent connections is "
		    "reached", what);
		break;
	case 400:
		log_error("the EICE endpoint refused the tunnel to %s (HTTP "
		    "400): a parameter is not valid (the port must be 22 or "
		    "3389, the address one of the endpoint's VPC)", what);
		break;
	default:
		log_error("the EICE endpoint refused the tunnel to %s (HTTP "
		    "%u)", what, st);
		break;
	}
	end_as(e, EICETUN_END_REFUSED);
}

/* The websocket is gone: say how the tunnel ended, then flush stdout. */
static void
ws_gone(struct eicetun *e)
{
	const char *what = e->p.what != NULL ? e->p.what : "the instance";

	e->ws = NULL;
	if (e->phase == PH_DONE)
		return;		/* ended already (a signal) */
	log_verbose("EICE tunnel: %llu bytes in, %llu bytes out",
	    (unsigned long long)e->bytes_in,
	    (unsigned long long)e->bytes_out);
	if (e->ended || e->we_closed)
		end_as(e, EICETUN_END_OK);
	else if (e->peer_close == 1000 && !at_max_duration(e))
		end_as(e, EICETUN_END_OK);
	else if (at_max_duration(e)) {
		log_error("the EICE tunnel reached its maximum duration "
		    "(%u s)", max_duration(e));
		end_as(e, EICETUN_END_LOST);
	} else if (e->peer_close != 0) {
		log_error("the EICE endpoint closed the tunnel to %s: %d%s%s%s",
		    what, e->peer_close, e->peer_reason[0] ? " " : "",
		    e->peer_reason, e->peer_close == 1011 && e->bytes_in == 0 ?
		    " (the endpoint cannot reach it: does its security group "
		    "let the endpoint in?)" : "");
		end_as(e, e->bytes_in == 0 ? EICETUN_END_REFUSED :
		    EICETUN_END_LOST);
	} else {
		log_error("the EICE tunnel dropped; this transport cannot "
		    "resume");
		end_as(e, EICETUN_END_LOST);
	}
	loop_watch_free(e->in_w);
	e->in_w = NULL;
	set_phase(e, PH_FLUSH, FLUSH_MS);
}

static void
peer_close(struct eicetun *e, const uint8_t *in, size_t len)
{
	size_t i, n;

	e->peer_close = len >= 2 ? (in[0] << 8) | in[1] : 1005;
	n = len > 2 ? len - 2 : 0;
	if (n >= sizeof(e->peer_reason))
		n = sizeof(e->peer_reason) - 1;
	for (i = 0; i < n; i++)
		e->peer_reason[i] = in[2 + i] < 0x20 || in[2 + i] == 0x7f ?
		    ' ' : (char)in[2 + i];
	e->peer_reason[n] = '\0';
	debug("the EICE endpoint closed with %d %s", e->peer_close,
	    e->peer_reason);
}

static int
received(struct eicetun *e, struct lws *wsi, const void *in, size_t len)
{
	lws_validity_confirmed(wsi);
	if (!lws_frame_is_binary(wsi)) {
		log_error("the EICE endpoint sent a text frame: not tunnel "
		    "data");
		end_as(e, EICETUN_END_LOST);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
		    NULL, 0);
		return -1;
	}
	if (buf_len(&e->out) == 0)
		buf_reset(&e->out);
	if (buf_put(&e->out, in, len) != 0) {
		log_error("the EICE tunnel's output is full");
		end_as(e, EICETUN_END_LOST);
		return -1;
	}
	e->bytes_in += len;
	return 0;
}

static int
writeable(struct eicetun *e, struct lws *wsi)
{
	if (e->tx_len > 0) {
		if (lws_write(wsi, e->tx + LWS_PRE, e->tx_len,
		    LWS_WRITE_BINARY) < (int)e->tx_len)
			return -1;
		e->bytes_out += e->tx_len;
		e->tx_len = 0;
	}
	if (e->phase == PH_CLOSING && !e->we_closed) {
		if (lws_partial_buffered(wsi)) {
			lws_callback_on_writable(wsi);
			return 0;
		}
		e->we_closed = 1;
		debug("closing the EICE tunnel (1000)");
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		return -1;
	}
	return 0;
}

static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct eicetun *e = user;

	if (e == NULL || e->detached)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (e->long_path != NULL &&
		    wsconn_put_long_path(e->long_path, in, &len) != 0) {
			log_error("cannot send an EICE URL of %zu bytes with "
			    "this libwebsockets", strlen(e->url));
			return -1;
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (wsi == e->ws || e->ws == NULL) {
			refused(e, wsi, in);
			ws_gone(e);
		}
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (e->phase != PH_CONNECTING)
			return -1;
		e->opened_at = loop_now_ms();
		set_phase(e, PH_OPEN, 0);
		log_verbose("EICE tunnel to %s open", e->p.what != NULL ?
		    e->p.what : "the instance");
		if (e->p.opened != NULL)
			e->p.opened(e->p.arg);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return received(e, wsi, in, len);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		peer_close(e, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (wsi != e->ws)
			return -1;
		return writeable(e, wsi);
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_WSI_DESTROY:
		if (wsi == e->ws)
			ws_gone(e);
		break;
	default:
		break;
	}
	return 0;
}

static void
on_stdin(void *arg, int fd, int events)
{
	struct eicetun *e = arg;
	ssize_t n;

	if (e->tx_len > 0 || e->stdin_eof || e->ws == NULL)
		return;
	n = (events & LOOP_HUP) ? 0 : read(fd, e->tx + LWS_PRE,
	    EICETUN_FRAME);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			log_error("reading standard input: %s",
			    strerror(errno));
		debug("standard input closed");
		e->stdin_eof = 1;
		return;
	}
	e->tx_len = (size_t)n;
	lws_callback_on_writable(e->ws);
}

static void
on_stdout(void *arg, int fd, int events)
{
	struct eicetun *e = arg;
	ssize_t n;

	if (buf_len(&e->out) == 0)
		return;
	n = (events & LOOP_HUP) ? -1 : write(fd, buf_ptr(&e->out),
	    buf_len(&e->out));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		debug("standard output closed: %s", (events & LOOP_HUP) ?
		    "hang-up" : strerror(errno));
		e->stdout_gone = 1;
		buf_reset(&e->out);
		return;
	}
	if (buf_consume(&e->out, (size_t)n) != 0)
		buf_reset(&e->out);
}

static int
make_vhost(struct eicetun *e)
{
	struct lws_context_creation_info vi;
	struct errmsg err;

	errmsg_clear(&err);
	if ((e->ssl_ctx = castore_client_ctx(e->p.ca_file, &err)) == NULL) {
		log_error("cannot set up TLS for the EICE tunnel: %s",
		    err.msg[0] != '\0' ? err.msg : "out of memory");
		return -1;
	}
	memset(&vi, 0, sizeof(vi));
	e->protocols[0].name = WS_PROTOCOL;
	e->protocols[0].callback = ws_callback;
	e->protocols[0].rx_buffer_size = 65536;
	vi.port = CONTEXT_PORT_NO_LISTEN;
	vi.vhost_name = "eice";
	vi.protocols = e->protocols;
	vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	vi.provided_client_ssl_ctx = e->ssl_ctx;
	vi.http_proxy_address = e->p.proxy_host;
	vi.http_proxy_port = e->p.proxy_port;
	if ((e->vh = wsconn_create_vhost(e->p.loop, &vi)) == NULL) {
		log_error("cannot set up the EICE tunnel's vhost");
		return -1;
	}
	return 0;
}

/* The first and only dial, from the loop. */
static void
dial(void *arg)
{
	struct eicetun *e = arg;
	struct lws_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = loop_context(e->p.loop);
	ci.vhost = e->vh;
	ci.address = e->connect_host != NULL ? e->connect_host : e->u->host;
	ci.port = e->p.connect_port != 0 ? (int)e->p.connect_port :
	    e->u->port;
	ci.ssl_connection = e->u->tls ? LCCSCF_USE_SSL : 0;
	ci.path = e->path != NULL ? e->path : "/";
	ci.host = e->u->host_header;	/* Host, SNI and the name checked */
	ci.local_protocol_name = WS_PROTOCOL;
	ci.userdata = e;
	ci.alpn = "http/1.1";
	ci.pwsi = &e->ws;
	ci.retry_and_idle_policy = &e->idle;
	debug("connecting to the EICE endpoint %s at %s:%d%s", e->u->host,
	    ci.address, ci.port, e->p.proxy_host != NULL ?
	    " through the proxy" : "");
	if (lws_client_connect_via_info(&ci) == NULL && !e->ended) {
		refused(e, NULL, "cannot start the connection");
		ws_gone(e);
	}
}

/* Split the URL; the path and query go on the request line as given. */
static int
prepare_url(struct eicetun *e)
{
	size_t n;
	char *path;

	if (sigv4_url_split(e->url, &e->u) != 0 ||
	    (strcmp(e->u->scheme, "wss") != 0 &&
	    strcmp(e->u->scheme, "ws") != 0)) {
		log_error("unusable EICE URL");
		return -1;
	}
	n = strlen(e->u->path) + strlen(e->u->query) + 2;
	if ((path = malloc(n)) == NULL)
		return -1;
	snprintf(path, n, "%s%s%s", e->u->path, e->u->query[0] ? "?" : "",
	    e->u->query);
	if (strlen(path) > PATH_MAX_LWS)
		e->long_path = path;
	else
		e->path = path;
	return 0;
}

struct eicetun *
eicetun_start(const struct eicetun_params *p)
{
	struct eicetun *e;
	unsigned int ka = p->keepalive_s > 0 ? p->keepalive_s : KEEPALIVE_S;
	int fl;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		log_error("out of memory");
		return NULL;
	}
	e->p = *p;
	e->phase = PH_CONNECTING;
	buf_init(&e->out, OUT_MAX);
	e->idle.secs_since_valid_ping = (uint16_t)ka;
	e->idle.secs_since_valid_hangup = (uint16_t)(2 * ka + 1);
	if ((e->url = strdup(p->url)) == NULL || (p->connect_host != NULL &&
	    (e->connect_host = strdup(p->connect_host)) == NULL) ||
	    (e->tx = malloc(LWS_PRE + EICETUN_FRAME)) == NULL) {
		log_error("out of memory");
		goto fail;
	}
	if (prepare_url(e) != 0 || make_vhost(e) != 0)
		goto fail;
	/* stdout must never block the loop. */
	if ((fl = fcntl(STDOUT_FILENO, F_GETFL)) != -1)
		(void)fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK);
	if ((e->in_w = loop_watch_new(p->loop, STDIN_FILENO, on_stdin,
	    e)) == NULL ||
	    (e->out_w = loop_watch_new(p->loop, STDOUT_FILENO, on_stdout,
	    e)) == NULL) {
		log_error("cannot watch standard input and output");
		goto fail;
	}
	loop_timer_set(p->loop, &e->timer, 0, dial, e);
	return e;
 fail:
	eicetun_free(e);
	return NULL;
}

/* stdin EOF, ssh gone or SIGHUP: write what is read, then close. */
static void
start_close(struct eicetun *e)
{
	set_phase(e, PH_CLOSING, EICETUN_CLOSE_WAIT_MS);
	loop_watch_free(e->in_w);
	e->in_w = NULL;
	if (e->ws != NULL)
		lws_callback_on_writable(e->ws);
}

static void
finish(struct eicetun *e)
{
	set_phase(e, PH_DONE, 0);
	loop_watch_free(e->in_w);
	loop_watch_free(e->out_w);
	e->in_w = e->out_w = NULL;
	kill_ws(e);
}

/* Everything is closed: say how it ended, once. */
static void
report_done(struct eicetun *e)
{
	if (!e->done_called && e->ws == NULL) {
		e->done_called = 1;
		e->p.done(e->p.arg, e->end, e->end_sig);
	}
}

void
eicetun_pump(struct eicetun *e)
{
	size_t out = buf_len(&e->out);
	int want;

	if (e->phase == PH_DONE) {
		report_done(e);
		return;
	}
	if (e->stdout_gone && out > 0) {
		buf_reset(&e->out);
		out = 0;
	}
	if (e->out_w != NULL)
		loop_watch_set(e->out_w, out > 0 ? LOOP_OUT : 0);
	if (e->phase == PH_FLUSH) {
		if (out == 0 || e->timer_fired) {
			finish(e);
			/* Now: no event may come to call us again. */
			report_done(e);
		}
		return;
	}
	if (e->in_w != NULL)
		loop_watch_set(e->in_w, e->phase == PH_OPEN && !e->stdin_eof &&
		    e->tx_len == 0 && e->ws != NULL &&
		    !lws_partial_buffered(e->ws) ? LOOP_IN : 0);
	/* Flow control: stop reading the websocket while stdout is full. */
	want = out < OUT_HIGH;
	if (e->ws != NULL && e->phase == PH_OPEN && want == e->rx_paused) {
		lws_rx_flow_control(e->ws, want);
		e->rx_paused = !want;
	}
	if (e->phase == PH_OPEN && (e->stdin_eof || e->stdout_gone))
		start_close(e);
}

void
eicetun_signal(struct eicetun *e, int sig)
{
	if (e->phase == PH_DONE || e->phase == PH_FLUSH)
		return;
	debug("signal %d", sig);
	if (sig == SIGHUP) {
		/* ssh is done with us: end as after stdin EOF. */
		e->stdin_eof = 1;
		if (e->phase == PH_OPEN)
			start_close(e);
		else if (e->phase == PH_CONNECTING) {
			end_as(e, EICETUN_END_OK);
			finish(e);
		}
		return;
	}
	log_error("ending the EICE tunnel on signal %d", sig);
	e->end_sig = sig;
	end_as(e, EICETUN_END_SIGNAL);
	finish(e);
}

void
eicetun_detach(struct eicetun *e)
{
	if (e == NULL || e->detached)
		return;
	loop_timer_cancel(&e->timer);
	loop_watch_free(e->in_w);
	loop_watch_free(e->out_w);
	e->in_w = e->out_w = NULL;
	e->detached = 1;
}

void
eicetun_free(struct eicetun *e)
{
	if (e == NULL)
		return;
	eicetun_detach(e);
	/* lws leaves a context it was given alone: the loop is gone now. */
	SSL_CTX_free(e->ssl_ctx);
	sigv4_url_free(e->u);
	buf_release(&e->out);
	free(e->tx);
	free(e->path);
	free(e->long_path);
	free(e->url);
	free(e->connect_host);
	free(e);
}
