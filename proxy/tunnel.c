/*
 * The data channel's I/O; see tunnel.h.
 *
 * Callbacks only move bytes between the descriptors and the channel;
 * tunnel_pump(), run after every pass of the loop, then reconciles
 * everything else once: which descriptors to watch, what the websocket
 * (wsconn.c) writes and reads, the channel's timer, flow control, and how
 * the session ends.  This keeps the decisions in one place (after nc's
 * readwrite() loop).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "chan.h"
#include "log.h"
#include "mux.h"
#include "trace.h"
#include "tunnel.h"
#include "wsconn.h"

#define STDIN_CHUNK		(64 * 1024)
#define DRAIN_MS		5000	/* wait for acks after stdin EOF */
#define TERMINATE_MS		3000	/* wait for the flag's effect */
#define STDOUT_FLUSH_MS		5000	/* after channel_closed */

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
	struct wsconn		*ws;
	struct chan		*chan;
	struct mux		*mux;		/* --via: the smux stream */
	struct loop_watch	*in_w, *out_w;
	struct loop_timer	 chan_timer, phase_timer;
	uint64_t		 timer_at;
	enum phase		 phase;
	enum tunnel_end		 end;
	enum tunnel_end		 flush_end;	/* the end after PH_FLUSH */
	int			 end_sig;	/* of TUNNEL_END_SIGNAL */
	int			 stdin_eof;
	int			 stdout_gone;
	int			 phase_expired;
	int			 was_open;	/* handshake completed */
	int			 api_called;	/* TerminateSession asked for */
	int			 api_pending;	/* ... and not finished */
	int			 resume_pending;	/* ResumeSession out */
	int			 done_called;
	int			 detached;	/* loop going away */
};

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

/*
 * Stdin and stdout meet the channel directly, or in a multiplexed (--via)
 * session through the one smux stream (mux.h).
 */
static size_t
in_space(const struct tunnel *t)
{
	if (t->mux != NULL)
		return mux_send_space(t->mux, t->chan);
	if (t->p.via_error != NULL && chan_port_mux(t->chan) &&
	    !t->p.mux_raw)
		return 0;		/* until pump_opened() */
	return chan_send_space(t->chan);
}

static int
in_send(struct tunnel *t, const void *p, size_t n, uint64_t now)
{
	if (t->mux != NULL)
		return mux_send(t->mux, t->chan, p, n, now);
	return chan_send(t->chan, p, n, now);
}

static void
in_eof(struct tunnel *t)
{
	if (t->mux != NULL)
		mux_send_eof(t->mux);	/* FIN first: mux_pump() */
	else
		chan_send_eof(t->chan);
}

static size_t
out_get(struct tunnel *t, const uint8_t **p, uint64_t now)
{
	if (t->mux != NULL)
		return mux_stdout(t->mux, t->chan, p, now);
	return chan_stdout(t->chan, p);
}

static void
out_done(struct tunnel *t, size_t n, uint64_t now)
{
	if (t->mux != NULL) {
		/* The trace counts the channel's bytes (mux_stdout()). */
		mux_stdout_consume(t->mux, n);
		return;
	}
	chan_stdout_consume(t->chan, n, now);
	trace_stdout(n);
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
finish(struct tunnel *t, enum tunnel_end end)
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
	if (t->mux != NULL) {
		uint32_t sid;
		uint64_t dropped, nops;

		mux_stats(t->mux, &sid, &dropped, &nops);
		log_verbose("smux stream %llu: %llu bytes dropped, %llu "
		    "keepalives", (unsigned long long)sid,
		    (unsigned long long)dropped, (unsigned long long)nops);
	}
	set_phase(t, PH_DONE, 0);
	t->end = end;
	loop_timer_cancel(&t->chan_timer);
	loop_watch_free(t->in_w);
	loop_watch_free(t->out_w);
	t->in_w = t->out_w = NULL;
	if (t->ws != NULL)
		wsconn_close(t->ws);
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

	space = in_space(t);
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
		in_eof(t);
		return;
	}
	if (in_send(t, buf, (size_t)n, loop_now_ms()) != 0) {
		/* Cannot happen: we read no more than the space. */
		log_error("internal error queueing input");
		finish(t, TUNNEL_END_LOST);
	}
}

static void
on_stdout(void *arg, int fd, int events)
{
	struct tunnel *t = arg;
	const uint8_t *p;
	size_t len;
	ssize_t n;

	if ((len = out_get(t, &p, loop_now_ms())) == 0)
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
	out_done(t, (size_t)n, loop_now_ms());
}

static void
chan_timer_fire(void *arg)
{
	struct tunnel *t = arg;

	t->timer_at = 0;
	chan_tick(t->chan, loop_now_ms());
}

/* The first websocket is open: the session begins. */
static void
ws_opened(void *arg)
{
	set_phase(arg, PH_OPEN, 0);
}

/* The open websocket closed: nonzero to resume the session. */
static int
ws_closed(void *arg)
{
	struct tunnel *t = arg;

	if (t->phase == PH_DONE || chan_state(t->chan) == CHAN_CLOSED)
		return 0;		/* tunnel_pump() reports it */
	if (t->phase == PH_TERMINATING) {
		finish(t, TUNNEL_END_OK);
		return 0;
	}
	return 1;
}

/* No websocket could be opened, or reopened. */
static void
ws_failed(void *arg, int terminate)
{
	struct tunnel *t = arg;

	if (terminate)
		call_terminate_api(t);
	finish(t, t->phase == PH_CONNECTING ? TUNNEL_END_NOT_OPENED :
	    TUNNEL_END_LOST);
}

static void
ws_resume(void *arg)
{
	struct tunnel *t = arg;

	if (t->p.resume == NULL) {
		log_error("the data channel closed and cannot be resumed");
		finish(t, TUNNEL_END_LOST);
		return;
	}
	t->resume_pending = 1;
	t->p.resume(t->p.arg, t->p.session_id);
}

static int
stdout_full(void *arg)
{
	struct tunnel *t = arg;
	const uint8_t *f;

	return !t->stdout_gone && (chan_stdout(t->chan, &f) > 0 ||
	    (t->mux != NULL && mux_stdout_held(t->mux) > 0));
}

void
tunnel_resumed(struct tunnel *t, const char *token, const char *stream_url,
    const char *errmsg, int how)
{
	t->resume_pending = 0;
	if (t->phase == PH_DONE || t->detached)
		return;
	if (how != TUNNEL_RESUME_RETRY) {
		log_error("%s", errmsg != NULL ? errmsg :
		    "the session can no longer be resumed");
		if (how == TUNNEL_RESUME_REFUSED)
			call_terminate_api(t);
		finish(t, TUNNEL_END_LOST);
		return;
	}
	if (token == NULL)
		debug("ResumeSession failed: %s", errmsg ? errmsg : "");
	if (wsconn_resumed(t->ws, token, stream_url) != 0) {
		log_error("out of memory");
		call_terminate_api(t);
		finish(t, TUNNEL_END_LOST);
	}
}

/* The channel failed or opened: report it. */
static void
pump_failed(struct tunnel *t)
{
	const char *txt;
	int r;

	r = chan_error(t->chan, &txt);
	if (r == SP_ERR_CLOSED && t->p.via_error != NULL) {
		/* ConnectToPortError: the session opened, the host did not. */
		log_error("%s", t->p.via_error);
		t->was_open = 0;
	} else
		log_error("%s", txt[0] ? txt : sp_err_str(r));
	/* Write what the channel queued before it failed, such as the
	 * HandshakeResponse that tells the agent why we refused the
	 * session, before the websocket closes. */
	wsconn_flush(t->ws);
	call_terminate_api(t);
	finish(t, t->was_open ? TUNNEL_END_LOST : TUNNEL_END_NOT_OPENED);
}

static void
pump_opened(struct tunnel *t)
{
	const char *txt;

	if (t->was_open)
		return;
	t->was_open = 1;
	txt = chan_customer_message(t->chan);
	if (txt[0] != '\0')
		log_info("%s", txt);
	log_verbose("session %s open (agent %s)", t->p.session_id,
	    chan_agent_version(t->chan));
	if (t->p.via_error != NULL && chan_port_mux(t->chan) &&
	    t->p.mux_raw)
		debug("multiplexed port session: smux bytes passed through");
	else if (t->p.via_error != NULL && chan_port_mux(t->chan)) {
		debug("multiplexed port session: one smux stream");
		if ((t->mux = mux_new()) == NULL) {
			log_error("out of memory");
			call_terminate_api(t);
			finish(t, TUNNEL_END_LOST);
		}
	} else if (t->p.via_error != NULL)
		debug("port session not multiplexed: one plain stream");
}

/*
 * --via: the smux stream failed, or the host closed the connection (the
 * agent's FIN), which ends the session as sshd's EOF does without --via.
 * 0 to go on.
 */
static int
pump_mux(struct tunnel *t, uint64_t now)
{
	const char *why;

	if (t->mux == NULL)
		return 0;
	if ((why = mux_error(t->mux)) != NULL) {
		log_error("session %s: the multiplexed stream failed: %s",
		    t->p.session_id, why);
		wsconn_flush(t->ws);
		call_terminate_api(t);
		finish(t, TUNNEL_END_LOST);
		return -1;
	}
	if ((mux_peer_closed(t->mux) || t->stdout_gone) && !t->stdin_eof) {
		/* The host closed, or ssh went: FIN, then the normal end. */
		debug("%s", t->stdout_gone ? "standard output gone" :
		    "the host closed the connection");
		t->stdin_eof = 1;
		mux_send_eof(t->mux);
	}
	if (mux_pump(t->mux, t->chan, now) != 0) {
		log_error("out of memory");
		call_terminate_api(t);
		finish(t, TUNNEL_END_LOST);
		return -1;
	}
	return 0;
}

/*
 * The normal end comes after sshd closed the connection (empty Output) or
 * after we asked for it.  An explanation while we were still relaying is
 * the service ending the session on its own: idle timeout, an
 * administrator's TerminateSession, an agent failure.  That is an error
 * (protocol/PROTOCOL.md "channel_closed", "Ending the session").
 */
static void
pump_closed(struct tunnel *t)
{
	const char *txt;

	if (t->phase == PH_FLUSH)
		return;
	txt = chan_close_output(t->chan);
	t->flush_end = TUNNEL_END_OK;
	if (txt[0] != '\0' && t->phase == PH_OPEN) {
		log_error("the service closed session %s: %s",
		    t->p.session_id, txt);
		t->flush_end = t->was_open ? TUNNEL_END_LOST :
		    TUNNEL_END_NOT_OPENED;
	} else if (txt[0] != '\0')
		log_info("session %s closed: %s", t->p.session_id, txt);
	else
		debug("session %s closed", t->p.session_id);
	set_phase(t, PH_FLUSH, STDOUT_FLUSH_MS);
}

/* stdout: write while there is something to write; 0: nothing left. */
static size_t
pump_stdout(struct tunnel *t, uint64_t now)
{
	const uint8_t *f;
	size_t len;

	len = out_get(t, &f, now);
	while (t->stdout_gone && len > 0) {
		out_done(t, len, now);
		len = out_get(t, &f, now);
	}
	if (t->out_w != NULL)
		loop_watch_set(t->out_w, len > 0 ? LOOP_OUT : 0);
	return len;
}

/* The channel's timer: (re)armed when its deadline comes sooner. */
static void
pump_timer(struct tunnel *t, uint64_t now)
{
	uint64_t d = chan_deadline(t->chan);

	if (d != UINT64_MAX && (t->timer_at == 0 || d < t->timer_at)) {
		t->timer_at = d;
		loop_timer_set(t->p.loop, &t->chan_timer,
		    d > now ? d - now : 0, chan_timer_fire, t);
	}
}

/* Ending: stdin closed or ssh went away (protocol/PROTOCOL.md "Ending
 * the session"). */
static void
pump_ending(struct tunnel *t, uint64_t now)
{
	if ((t->stdin_eof || t->stdout_gone) && t->phase == PH_OPEN)
		set_phase(t, PH_DRAIN, DRAIN_MS);
	/* --via: and for the agent's FIN, the host's connection closed. */
	if (t->phase == PH_DRAIN && ((chan_idle(t->chan) && (t->mux == NULL ||
	    mux_peer_fin(t->mux))) || t->phase_expired)) {
		if (chan_terminate(t->chan, now) != 0)
			call_terminate_api(t);
		else
			/* The flag was queued after wsconn_pump(): ask for
			 * it now, or it waits for TERMINATE_MS. */
			wsconn_want_write(t->ws);
		set_phase(t, PH_TERMINATING, TERMINATE_MS);
	}
	if (t->phase == PH_TERMINATING &&
	    (chan_idle(t->chan) || t->phase_expired)) {
		call_terminate_api(t);
		finish(t, TUNNEL_END_OK);
	}
}

void
tunnel_pump(struct tunnel *t)
{
	uint64_t now = loop_now_ms();
	size_t len;
	int can;

	if (t->phase == PH_DONE) {
		if (!t->done_called && !wsconn_busy(t->ws) &&
		    !t->api_pending && !t->resume_pending) {
			t->done_called = 1;
			t->p.done(t->p.arg, t->end, t->end_sig);
		}
		return;
	}
	if (t->phase == PH_CONNECTING)
		return;
	/* Records read ahead: before anything else looks at the channel. */
	wsconn_read_ahead(t->ws);

	/* The channel's own verdicts first. */
	switch (chan_state(t->chan)) {
	case CHAN_FAILED:
		pump_failed(t);
		return;
	case CHAN_OPEN:
		pump_opened(t);
		if (t->phase == PH_DONE)
			return;
		break;
	case CHAN_CLOSED:
		pump_closed(t);
		break;
	default:
		break;
	}
	len = pump_stdout(t, now);
	if (pump_mux(t, now) != 0)
		return;
	if (t->phase == PH_FLUSH) {
		if (len == 0 || t->phase_expired) {
			/* Idempotent, and leaves no session behind. */
			call_terminate_api(t);
			finish(t, t->flush_end);
		}
		return;
	}

	/* stdin: read while the channel takes more (backpressure). */
	can = !t->stdin_eof && in_space(t) > 0;
	if (t->in_w != NULL)
		loop_watch_set(t->in_w, can ? LOOP_IN : 0);
	/* The websocket: write what is due, read while there is room. */
	wsconn_pump(t->ws);
	pump_timer(t, now);
	pump_ending(t, now);
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
		in_eof(t);
		if (t->phase == PH_OPEN || t->phase == PH_DRAIN)
			set_phase(t, PH_DRAIN, 1);
		else if (t->phase == PH_CONNECTING) {
			/* No channel to carry the TerminateSession flag. */
			call_terminate_api(t);
			finish(t, TUNNEL_END_OK);
		}
		return;
	}
	log_error("terminating session %s on signal %d", t->p.session_id,
	    sig);
	if (wsconn_state(t->ws) == WS_OPEN)
		(void)!chan_terminate(t->chan, loop_now_ms());
	call_terminate_api(t);
	t->end_sig = sig;
	finish(t, TUNNEL_END_SIGNAL);
}

static struct wsconn *
start_ws(struct tunnel *t, const struct chan_params *cp)
{
	const struct tunnel_params *p = &t->p;
	struct wsconn_params wp;

	memset(&wp, 0, sizeof(wp));
	wp.loop = p->loop;
	wp.chan = t->chan;
	wp.stream_url = p->stream_url;
	wp.token = p->token;
	wp.region = p->region;
	wp.creds = p->creds;
	wp.clock_offset = p->clock_offset;
	wp.ca_file = p->ca_file;
	wp.proxy_host = p->proxy_host;
	wp.proxy_port = p->proxy_port;
	wp.keepalive_s = p->keepalive_s > 0 ? p->keepalive_s :
	    TUNNEL_KEEPALIVE_S;
	wp.max_frame = cp->max_frame;
	wp.random = rand_cb;
	wp.opened = ws_opened;
	wp.closed = ws_closed;
	wp.failed = ws_failed;
	wp.stdout_full = stdout_full;
	wp.resume = ws_resume;
	wp.arg = t;
	return wsconn_new(&wp);
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
	cp.accept_mux = p->via_error != NULL;
	trace_chan_params(&cp);
	if ((t->chan = chan_new(&cp, loop_now_ms())) == NULL)
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
	/* The first dial is made from the loop: a failure calls
	 * TerminateSession back. */
	if ((t->ws = start_ws(t, &cp)) == NULL) {
		log_error("out of memory");
		goto fail;
	}
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
	wsconn_detach(t->ws);
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
	wsconn_free(t->ws);
	mux_free(t->mux);
	chan_free(t->chan);
	free(t);
}
