/*
 * The data-channel session state machine; see chan.h and PROTOCOL.md.
 *
 * Outgoing stream messages live in a ring indexed by sequence number
 * (seq % out_cap) from the oldest unacknowledged one (base_seq) to the next
 * to be numbered (next_seq); acknowledgements are selective, so acked slots
 * may sit between unacked ones until the oldest is acked.  Incoming
 * out-of-order messages live in a second ring indexed the same way from
 * the next sequence number to deliver (expected); every read of a slot
 * checks the sequence number stored in it.  Acknowledgements we owe wait
 * in a small byte queue and go out before any stream message.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "msg.h"
#include "payload.h"

#define CTRL_MAX		(512 * 1024)	/* queued acknowledgements */
#define ACK_FRAME_MAX		1024		/* room kept for one ack */
#define OUT_RESERVED_SLOTS	8		/* handshake reply, flags */
#define IN_SLOTS_MAX		65536
#define ERRMSG_LEN		256
#define REMOTE_TEXT_MAX		64		/* remote names quoted */
#define CLOSE_OUTPUT_MAX	1024

struct out_msg {
	uint8_t		*frame;		/* NULL: slot empty or acked */
	size_t		 frame_len;
	size_t		 payload_len;	/* counted against send_window */
	uint64_t	 last_sent;
	int		 sent;
	int		 fast;		/* fast retransmit done */
};

struct in_msg {
	uint8_t		*payload;
	size_t		 len;
	uint32_t	 payload_type;
	int64_t		 seq;
	int		 present;
};

enum pending { PEND_NONE, PEND_CTRL, PEND_DATA };

struct chan {
	struct chan_params p;
	enum chan_state	 state;
	int		 err;
	char		 errmsg[ERRMSG_LEN];
	char		 agent_version[64];
	char		*customer_message;
	char		*close_output;
	int		 session_type_ok;
	int		 handshake_seen;
	int		 paused;
	int		 probe_due;	/* paused: chan_tick() chose a probe */
	int		 eof;
	uint64_t	 created;

	/* Outgoing stream messages. */
	struct out_msg	*out;
	size_t		 out_cap;
	int64_t		 base_seq;
	int64_t		 next_seq;
	int64_t		 send_cursor;	/* next to write in order */
	int64_t		 resend_seq;	/* overdue one to write, or -1 */
	size_t		 in_flight;	/* payload bytes held */
	uint64_t	 progress_at;	/* last ack that freed a message */
	uint64_t	 probe_at;	/* paused: since then, or last probe */
	double		 rtt, rttvar, rto;

	/* Acknowledgements owed: u32 length, frame; repeated. */
	struct buf	 ctrl;
	enum pending	 pend;
	int64_t		 pend_seq;
	size_t		 pend_len;

	/* Incoming. */
	int64_t		 expected;
	struct in_msg	*in;
	size_t		 in_cap;
	size_t		 in_bytes;
	struct buf	 stdout_buf;

	struct chan_stats st;
};

/* Bounded string helpers: protocol/ has no snprintf. */
static void
str_cat(char *dst, size_t dstsz, const char *s, size_t maxcopy)
{
	size_t dl = strlen(dst), n = strlen(s);

	if (n > maxcopy)
		n = maxcopy;
	if (dl + 1 >= dstsz)
		return;
	if (n > dstsz - dl - 1)
		n = dstsz - dl - 1;
	memcpy(dst + dl, s, n);
	dst[dl + n] = '\0';
}

static void
str_set3(char *dst, size_t dstsz, const char *a, const char *remote,
    const char *b)
{
	dst[0] = '\0';
	str_cat(dst, dstsz, a, dstsz);
	if (remote != NULL)
		str_cat(dst, dstsz, remote, REMOTE_TEXT_MAX);
	if (b != NULL)
		str_cat(dst, dstsz, b, dstsz);
}

static char *
str_dup_max(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *d;

	if (n > max)
		n = max;
	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Fail the channel once; the first reason is the one reported. */
static void
fail(struct chan *c, int code, const char *a, const char *remote,
    const char *b)
{
	if (c->state == CHAN_FAILED)
		return;
	c->state = CHAN_FAILED;
	c->err = code;
	str_set3(c->errmsg, sizeof(c->errmsg), a, remote, b);
}

void
chan_params_default(struct chan_params *p)
{
	memset(p, 0, sizeof(*p));
	p->chunk_size = 1024;
	p->send_window = 4 * 1024 * 1024;
	p->recv_window = 4 * 1024 * 1024;
	p->stdout_max = 4 * 1024 * 1024;
	p->max_frame = 1024 * 1024 + MSG_OVERHEAD;
	p->handshake_timeout_ms = 30 * 1000;
	p->progress_timeout_ms = 300 * 1000;
}

struct chan *
chan_new(const struct chan_params *p, uint64_t now)
{
	struct chan *c;

	if (p->random == NULL || p->chunk_size == 0 ||
	    p->chunk_size > p->send_window || p->send_window > BUF_MAX_CAP ||
	    p->recv_window > BUF_MAX_CAP || p->stdout_max == 0 ||
	    p->stdout_max > BUF_MAX_CAP || p->max_frame < MSG_OVERHEAD ||
	    p->max_frame > BUF_MAX_CAP)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->p = *p;
	c->state = CHAN_HANDSHAKE;
	c->created = now;
	c->resend_seq = -1;
	c->rtt = CHAN_RTT_INITIAL_MS;
	c->rttvar = 0;
	c->rto = CHAN_RTO_INITIAL_MS;
	/* Twice the slots the window needs, so that selective acks of
	 * later messages free window space before the oldest is acked. */
	c->out_cap = 2 * (p->send_window / p->chunk_size) + OUT_RESERVED_SLOTS;
	c->in_cap = p->recv_window / 64 + 16;
	if (c->in_cap > IN_SLOTS_MAX)
		c->in_cap = IN_SLOTS_MAX;
	buf_init(&c->ctrl, CTRL_MAX);
	buf_init(&c->stdout_buf, p->stdout_max + p->max_frame);
	if ((c->out = calloc(c->out_cap, sizeof(*c->out))) == NULL ||
	    (c->in = calloc(c->in_cap, sizeof(*c->in))) == NULL) {
		chan_free(c);
		return NULL;
	}
	return c;
}

void
chan_free(struct chan *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->out != NULL)
		for (i = 0; i < c->out_cap; i++)
			free(c->out[i].frame);
	if (c->in != NULL)
		for (i = 0; i < c->in_cap; i++)
			free(c->in[i].payload);
	free(c->out);
	free(c->in);
	free(c->customer_message);
	free(c->close_output);
	buf_release(&c->ctrl);
	buf_release(&c->stdout_buf);
	free(c);
}

static void
new_message_id(struct chan *c, uint8_t id[MSG_UUID_LEN])
{
	c->p.random(c->p.random_arg, id, MSG_UUID_LEN);
	msg_uuid_make_v4(id);
}

static uint64_t
created_date(const struct chan *c, uint64_t now)
{
	return (uint64_t)((int64_t)now + c->p.epoch_offset_ms);
}

static struct out_msg *
out_slot(const struct chan *c, int64_t seq)
{
	return &c->out[(uint64_t)seq % c->out_cap];
}

static size_t
out_slots_used(const struct chan *c)
{
	return (size_t)(c->next_seq - c->base_seq);
}

/*
 * Number and store one outgoing stream message.  Data uses the slots up to
 * the reserve; handshake replies and flags may use the reserve.
 */
static int
queue_stream(struct chan *c, uint32_t payload_type, const void *payload,
    size_t len, int reserved, uint64_t now)
{
	struct msg_out o;
	struct out_msg *m;
	struct buf f;
	uint8_t id[MSG_UUID_LEN];
	size_t limit;
	int r;

	limit = c->out_cap - (reserved ? 0 : OUT_RESERVED_SLOTS);
	if (out_slots_used(c) >= limit)
		return SP_ERR_NO_SPACE;
	new_message_id(c, id);
	memset(&o, 0, sizeof(o));
	o.message_type = MSG_INPUT_STREAM;
	o.sequence_number = c->next_seq;
	o.flags = 0;	/* the reference client never sets SYN or FIN */
	o.created_date = created_date(c, now);
	o.message_id = id;
	o.payload_type = payload_type;
	o.payload = payload;
	o.payload_length = len;
	/* One allocation per message, encoded in place and kept. */
	buf_init(&f, msg_frame_len(len));
	if ((r = buf_preallocate(&f)) != 0 || (r = msg_encode(&f, &o)) != 0) {
		buf_release(&f);
		return r;
	}
	m = out_slot(c, c->next_seq);
	m->frame = buf_steal(&f, &m->frame_len);
	m->payload_len = len;
	m->sent = 0;
	m->last_sent = 0;
	if (c->base_seq == c->next_seq)
		c->progress_at = now;
	c->next_seq++;
	c->in_flight += len;
	return 0;
}

static int
ctrl_has_room(const struct chan *c)
{
	return buf_avail(&c->ctrl) >= ACK_FRAME_MAX + 4;
}

static int
queue_ack(struct chan *c, const struct msg *m, uint64_t now)
{
	struct pl_ack a;
	struct msg_out o;
	struct buf pl, f;
	char idstr[MSG_UUID_STR_LEN + 1];
	uint8_t id[MSG_UUID_LEN];
	int r;

	if (!ctrl_has_room(c))
		return SP_ERR_REFUSED;
	msg_uuid_to_str(m->message_id, idstr);
	memset(&a, 0, sizeof(a));
	a.message_type = (char *)(uintptr_t)m->message_type;
	a.message_id = idstr;
	a.sequence_number = m->sequence_number;
	a.is_sequential = 1;
	buf_init(&pl, ACK_FRAME_MAX);
	buf_init(&f, ACK_FRAME_MAX);
	if ((r = pl_encode_ack(&pl, &a)) != 0)
		goto out;
	new_message_id(c, id);
	memset(&o, 0, sizeof(o));
	o.message_type = MSG_ACKNOWLEDGE;
	o.sequence_number = 0;
	o.flags = MSG_FLAGS_ACK;
	o.created_date = created_date(c, now);
	o.message_id = id;
	o.payload_type = PT_NONE;
	o.payload = buf_ptr(&pl);
	o.payload_length = buf_len(&pl);
	if ((r = msg_encode(&f, &o)) != 0 ||
	    (r = buf_put_u32(&c->ctrl, (uint32_t)buf_len(&f))) != 0)
		goto out;
	if ((r = buf_put(&c->ctrl, buf_ptr(&f), buf_len(&f))) != 0) {
		/* Cannot happen after ctrl_has_room; keep the queue whole. */
		if (buf_consume_end(&c->ctrl, 4) != 0)
			r = SP_ERR_INTERNAL;
		goto out;
	}
 out:
	buf_release(&pl);
	buf_release(&f);
	return r;
}

/* Shell-type session types the reference client would run as a shell. */
static int
is_shell_session_type(const char *t)
{
	return strcmp(t, "Standard_Stream") == 0 ||
	    strcmp(t, "InteractiveCommands") == 0 ||
	    strcmp(t, "NonInteractiveCommands") == 0;
}

/*
 * The Properties.type that makes the agent multiplex the port session
 * (PROTOCOL.md "Port sessions"); it compares exactly, and runs every other value, or none,
 * as one plain stream.
 */
#define PORT_TYPE_MUX		"LocalPortForwarding"

/*
 * Answer a HandshakeRequest (PROTOCOL.md "Handshake").  We accept a Port session whose
 * Properties.type is absent (AWS-StartSSHSession) or anything but
 * LocalPortForwarding: the agent relays those as one plain stream.  Every
 * other action or session type, and multiplexed port forwarding, is
 * answered as failed with a reason, which makes the agent end the
 * session, and fails the channel with that reason.
 */
static int
handle_handshake_request(struct chan *c, const uint8_t *p, size_t len,
    uint64_t now)
{
	struct pl_handshake_request req;
	struct pl_handshake_response resp;
	struct pl_action_result *res = NULL;
	char **errs = NULL, *first_err = NULL;
	char text[ERRMSG_LEN];
	struct buf out;
	size_t i, nerr = 0;
	int r, failed = 0;

	memset(&resp, 0, sizeof(resp));
	buf_init(&out, 64 * 1024);
	if ((r = pl_decode_handshake_request(p, len, &req)) != 0) {
		fail(c, SP_ERR_HANDSHAKE, "malformed HandshakeRequest from "
		    "the agent: ", sp_err_str(r), NULL);
		return 0;
	}
	str_set3(c->agent_version, sizeof(c->agent_version), "",
	    req.agent_version, NULL);
	if ((res = calloc(req.n_actions + 1, sizeof(*res))) == NULL ||
	    (errs = calloc(req.n_actions + 1, sizeof(*errs))) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < req.n_actions; i++) {
		const struct pl_action_request *a = &req.actions[i];

		text[0] = '\0';
		if (strcmp(a->action_type, PL_ACTION_SESSION_TYPE) == 0) {
			const char *st = a->session_type ? a->session_type : "";

			if (strcmp(st, "Port") == 0 &&
			    (a->properties_type == NULL ||
			    strcmp(a->properties_type, PORT_TYPE_MUX) != 0))
				c->session_type_ok = 1;
			else if (strcmp(st, "Port") == 0)
				str_set3(text, sizeof(text), "multiplexed port "
				    "forwarding (port session type "
				    PORT_TYPE_MUX ") is not supported yet; "
				    "use a document such as AWS-StartSSHSession",
				    NULL, NULL);
			else if (is_shell_session_type(st))
				str_set3(text, sizeof(text), "session type ",
				    st, " is not supported by ssm-proxy; use "
				    "a document such as AWS-StartSSHSession");
			else
				str_set3(text, sizeof(text),
				    "Unknown session type ", st, NULL);
		} else if (strcmp(a->action_type, PL_ACTION_KMS) == 0)
			str_set3(text, sizeof(text), "KMSEncryption is not "
			    "supported by ssm-proxy", NULL, NULL);
		else
			str_set3(text, sizeof(text), "Unsupported action ",
			    a->action_type, NULL);
		res[i].action_type = a->action_type;
		res[i].action_status = text[0] == '\0' ?
		    PL_STATUS_SUCCESS : PL_STATUS_FAILED;
		res[i].result_is_null = 1;
		if (text[0] == '\0') {
			res[i].error = (char *)(uintptr_t)"";
			continue;
		}
		failed = 1;
		if ((errs[nerr] = str_dup_max(text, sizeof(text))) == NULL) {
			r = SP_ERR_ALLOC;
			goto out;
		}
		res[i].error = errs[nerr];
		if (first_err == NULL)
			first_err = errs[nerr];
		nerr++;
	}
	resp.client_version = (char *)(uintptr_t)CHAN_CLIENT_VERSION;
	resp.n_actions = req.n_actions;
	resp.actions = res;
	resp.n_errors = nerr;
	resp.errors = nerr > 0 ? errs : NULL;
	if ((r = pl_encode_handshake_response(&out, &resp)) != 0 ||
	    (r = queue_stream(c, PT_HANDSHAKE_RESPONSE, buf_ptr(&out),
	    buf_len(&out), 1, now)) != 0)
		goto out;
	if (failed)
		fail(c, SP_ERR_UNSUPPORTED, first_err, NULL, NULL);
	r = 0;
 out:
	if (r != 0)
		fail(c, SP_ERR_HANDSHAKE, "cannot answer the handshake: ",
		    sp_err_str(r), NULL);
	for (i = 0; errs != NULL && i < nerr; i++)
		free(errs[i]);
	free(errs);
	free(res);
	buf_release(&out);
	pl_handshake_request_free(&req);
	return 0;
}

static void
handle_handshake_complete(struct chan *c, const uint8_t *p, size_t len)
{
	struct pl_handshake_complete hc;
	int r;

	if ((r = pl_decode_handshake_complete(p, len, &hc)) != 0) {
		fail(c, SP_ERR_HANDSHAKE, "malformed HandshakeComplete from "
		    "the agent: ", sp_err_str(r), NULL);
		return;
	}
	if (!c->session_type_ok) {
		fail(c, SP_ERR_HANDSHAKE, "handshake completed without a "
		    "session type", NULL, NULL);
	} else {
		free(c->customer_message);
		c->customer_message = str_dup_max(hc.customer_message,
		    CLOSE_OUTPUT_MAX);
		c->state = CHAN_OPEN;
	}
	pl_handshake_complete_free(&hc);
}

/*
 * Hand one in-order stream message to its consumer.  SP_ERR_REFUSED means
 * "not now": the message must stay unacknowledged (or, if it was acked
 * while buffered, stay buffered).
 */
static int
deliver(struct chan *c, uint32_t payload_type, const uint8_t *p, size_t len,
    uint64_t now)
{
	uint32_t flag;

	switch (payload_type) {
	case PT_OUTPUT:
		if (c->state == CHAN_HANDSHAKE)
			/* PROTOCOL.md "Port sessions": agent resends */
			return SP_ERR_REFUSED;
		if (c->state != CHAN_OPEN)
			return 0;
		if (buf_len(&c->stdout_buf) > 0 &&
		    buf_len(&c->stdout_buf) + len > c->p.stdout_max)
			return SP_ERR_REFUSED;
		/* (An empty payload puts nothing: buf_put() of 0 bytes on a
		 * buffer never allocated would offset a null pointer.) */
		if (len > 0 && buf_put(&c->stdout_buf, p, len) != 0)
			return SP_ERR_REFUSED;
		c->st.bytes_in += len;
		return 0;
	case PT_HANDSHAKE_REQUEST:
		if (c->state != CHAN_HANDSHAKE || c->handshake_seen)
			return 0;
		c->handshake_seen = 1;
		return handle_handshake_request(c, p, len, now);
		return 0;
	case PT_HANDSHAKE_COMPLETE:
		if (c->state == CHAN_HANDSHAKE)
			handle_handshake_complete(c, p, len);
		return 0;
	case PT_ENC_CHALLENGE_REQUEST:
		fail(c, SP_ERR_PROTOCOL, "the agent sent an encryption "
		    "challenge, but no encryption was agreed", NULL, NULL);
		return 0;
	case PT_FLAG:
		if (pl_decode_flag(p, len, &flag) == 0 &&
		    flag == FLAG_CONNECT_TO_PORT_ERROR)
			fail(c, SP_ERR_CLOSED, "the agent could not connect to "
			    "the destination port on the instance", NULL,
			    NULL);
		return 0;
	default:
		/* StdErr, ExitCode and the rest: not part of a port session. */
		return 0;
	}
}

/*
 * The reorder slot holding sequence number s, or NULL.  Slots are indexed
 * by s % in_cap, so a slot is only ever read together with the number
 * stored in it.
 */
static struct in_msg *
in_held(const struct chan *c, int64_t s)
{
	struct in_msg *im = &c->in[(uint64_t)s % c->in_cap];

	return im->present && im->seq == s ? im : NULL;
}

static void
in_release(struct chan *c, struct in_msg *im)
{
	c->in_bytes -= im->len;
	free(im->payload);
	memset(im, 0, sizeof(*im));
}

/* Deliver buffered messages that are now in order. */
static void
drain_reorder(struct chan *c, uint64_t now)
{
	struct in_msg *im;

	while ((im = in_held(c, c->expected)) != NULL) {
		if (deliver(c, im->payload_type, im->payload, im->len,
		    now) == SP_ERR_REFUSED)
			return;
		in_release(c, im);
		c->expected++;
	}
}

/*
 * One output_stream_data message.  The first copy of a sequence number we
 * accept (deliver, or hold and acknowledge) is the one delivered, once and
 * in order; any later copy is a duplicate, acknowledged again and dropped,
 * whatever its bytes.  A held copy stays the one delivered even when the
 * number comes round in order while stdout is too full for it.
 */
static int
handle_stream(struct chan *c, const struct msg *m, uint64_t now)
{
	struct in_msg *im;
	int64_t s = m->sequence_number;
	int r;

	c->paused = 0;		/* agent rule: any stream data resumes */
	if (s < 0)
		return SP_ERR_FIELD;
	if (s == c->expected && in_held(c, s) != NULL)
		drain_reorder(c, now);
	if (s < c->expected || in_held(c, s) != NULL) {
		/* Re-ack duplicates, or a lost ack makes the agent resend
		 * forever (PROTOCOL.md "Streams, acknowledgements,
		 * retransmission"). */
		c->st.duplicates++;
		return queue_ack(c, m, now);
	}
	if (s > c->expected) {
		if ((uint64_t)(s - c->expected) >= c->in_cap) {
			c->st.refused++;
			return SP_ERR_REFUSED;
		}
		im = &c->in[(uint64_t)s % c->in_cap];
		if (im->present)	/* below expected: cannot happen */
			in_release(c, im);
		if (c->in_bytes + m->payload_length > c->p.recv_window ||
		    !ctrl_has_room(c)) {
			c->st.refused++;
			return SP_ERR_REFUSED;
		}
		if ((im->payload = malloc(m->payload_length + 1)) == NULL) {
			c->st.refused++;
			return SP_ERR_REFUSED;
		}
		memcpy(im->payload, m->payload, m->payload_length);
		im->len = m->payload_length;
		im->payload_type = m->payload_type;
		im->seq = s;
		im->present = 1;
		c->in_bytes += im->len;
		c->st.reordered++;
		return queue_ack(c, m, now);
	}
	if (!ctrl_has_room(c)) {
		c->st.refused++;
		return SP_ERR_REFUSED;
	}
	/* The ack goes out before anything deliver() queues (PROTOCOL.md
	 * "Handshake"). */
	if ((r = deliver(c, m->payload_type, m->payload, m->payload_length,
	    now)) == SP_ERR_REFUSED) {
		c->st.refused++;
		return r;
	}
	/* Delivered: count it as such even if the ack cannot be queued
	 * (memory only, after ctrl_has_room); the resend is re-acked. */
	c->expected++;
	(void)queue_ack(c, m, now);
	drain_reorder(c, now);
	return 0;
}

void
chan_rtt_update(double *rtt, double *rttvar, double *rto, double r_ms)
{
	double diff = *rtt - r_ms, v;

	if (diff < 0)
		diff = -diff;
	*rttvar = 0.75 * *rttvar + 0.25 * diff;
	*rtt = 0.875 * *rtt + 0.125 * r_ms;
	v = 4 * *rttvar;
	if (v < CHAN_CLOCK_GRANULARITY_MS)
		v = CHAN_CLOCK_GRANULARITY_MS;
	*rto = *rtt + v;
	if (*rto > CHAN_RTO_MAX_MS)
		*rto = CHAN_RTO_MAX_MS;
}

static void
release_out(struct chan *c, struct out_msg *m)
{
	c->in_flight -= m->payload_len;
	free(m->frame);
	memset(m, 0, sizeof(*m));
}

static int
handle_ack(struct chan *c, const struct msg *m, uint64_t now)
{
	struct out_msg *om;
	int64_t s;
	int r;

	if ((r = pl_decode_ack_seq(m->payload, m->payload_length, &s)) != 0)
		return r;
	c->paused = 0;		/* agent rule: any ack resumes */
	if (s < c->base_seq || s >= c->next_seq)
		return SP_ERR_IGNORED;
	om = out_slot(c, s);
	if (om->frame == NULL || !om->sent)
		return SP_ERR_IGNORED;
	chan_rtt_update(&c->rtt, &c->rttvar, &c->rto,
	    (double)(now - om->last_sent));
	release_out(c, om);
	c->progress_at = now;
	if (c->resend_seq == s)
		c->resend_seq = -1;
	while (c->base_seq < c->next_seq &&
	    out_slot(c, c->base_seq)->frame == NULL)
		c->base_seq++;
	if (c->send_cursor < c->base_seq)
		c->send_cursor = c->base_seq;
	/*
	 * Fast retransmit: the agent acknowledges messages past a gap as it
	 * holds them (PROTOCOL.md "Streams, acknowledgements,
	 * retransmission"), so an ack beyond our oldest unacknowledged
	 * message means that one was lost or refused (the agent refuses data
	 * until its connection to sshd is up).  Send it again now, once,
	 * instead of after the RTO; later resends follow the RTO rule.
	 */
	if (s > c->base_seq && c->resend_seq < 0 && !c->paused) {
		om = out_slot(c, c->base_seq);
		if (om->frame != NULL && om->sent && !om->fast) {
			om->fast = 1;
			c->resend_seq = c->base_seq;
		}
	}
	return 0;
}

static void
handle_channel_closed(struct chan *c, const struct msg *m)
{
	struct pl_channel_closed cc;

	free(c->close_output);
	c->close_output = NULL;
	if (pl_decode_channel_closed(m->payload, m->payload_length,
	    &cc) == 0) {
		c->close_output = str_dup_max(cc.output, CLOSE_OUTPUT_MAX);
		pl_channel_closed_free(&cc);
	}
	if (c->state != CHAN_FAILED)
		c->state = CHAN_CLOSED;
}

static int
recv_frame(struct chan *c, const uint8_t *frame, size_t len, uint64_t now)
{
	struct msg m;
	int r;

	c->st.frames_in++;
	if (len > c->p.max_frame) {
		c->st.invalid++;
		return SP_ERR_TOO_LARGE;
	}
	if ((r = msg_decode(frame, len, &m)) != 0) {
		c->st.invalid++;
		return r;
	}
	if (c->state == CHAN_CLOSED)
		return SP_ERR_IGNORED;
	if (strcmp(m.message_type, MSG_OUTPUT_STREAM) == 0)
		return handle_stream(c, &m, now);
	if (strcmp(m.message_type, MSG_ACKNOWLEDGE) == 0) {
		if ((r = handle_ack(c, &m, now)) != 0 && r != SP_ERR_IGNORED)
			c->st.invalid++;
		return r;
	}
	if (strcmp(m.message_type, MSG_CHANNEL_CLOSED) == 0) {
		handle_channel_closed(c, &m);
		return 0;
	}
	if (strcmp(m.message_type, MSG_PAUSE_PUBLICATION) == 0) {
		if (!c->paused) {
			c->probe_at = now;
			c->probe_due = 0;
		}
		c->paused = 1;
		return 0;
	}
	if (strcmp(m.message_type, MSG_START_PUBLICATION) == 0) {
		c->paused = 0;
		return 0;
	}
	return SP_ERR_IGNORED;
}

/*
 * The observer's view of a frame (chan_params.observe).  The decision is
 * read from what recv_frame() changed, so the receive path itself carries
 * no bookkeeping for it; the frame is decoded a second time, but only
 * when someone observes.
 */
static void
peek_header(const uint8_t *frame, size_t len, struct msg *m)
{
	struct buf b;
	uint64_t seq;

	memset(m, 0, sizeof(*m));
	buf_view(&b, frame, len);
	if (buf_get_u32(&b, &m->header_length) != 0 ||
	    buf_get_fixed_str(&b, MSG_TYPE_LEN, m->message_type,
	    sizeof(m->message_type)) != 0 ||
	    buf_get_u32(&b, &m->schema_version) != 0 ||
	    buf_get_u64(&b, &m->created_date) != 0 ||
	    buf_get_u64(&b, &seq) != 0 ||
	    buf_get_u64(&b, &m->flags) != 0)
		return;
	m->sequence_number = (int64_t)seq;
}

static enum chan_decision
decision(const struct chan *c, const struct chan_stats *b, int64_t exp0,
    const char *type, int r)
{
	if (r == SP_ERR_REFUSED)
		return CHAN_DEC_REFUSED;
	if (c->st.invalid > b->invalid ||
	    (r != 0 && r != SP_ERR_IGNORED))
		return CHAN_DEC_DROPPED;
	if (c->st.duplicates > b->duplicates)
		return CHAN_DEC_DUPLICATE;
	if (c->st.reordered > b->reordered)
		return CHAN_DEC_BUFFERED;
	if (r == SP_ERR_IGNORED)
		return CHAN_DEC_IGNORED;
	if (strcmp(type, MSG_OUTPUT_STREAM) == 0)
		return c->expected > exp0 ? CHAN_DEC_DELIVERED :
		    CHAN_DEC_IGNORED;
	if (strcmp(type, MSG_ACKNOWLEDGE) == 0)
		return CHAN_DEC_ACKED;
	if (strcmp(type, MSG_CHANNEL_CLOSED) == 0)
		return CHAN_DEC_CLOSED;
	if (strcmp(type, MSG_PAUSE_PUBLICATION) == 0)
		return CHAN_DEC_PAUSED;
	if (strcmp(type, MSG_START_PUBLICATION) == 0)
		return CHAN_DEC_RESUMED;
	return CHAN_DEC_IGNORED;
}

/* Buffered messages exp0 .. expected-1 were delivered just now. */
static void
observe_drained(struct chan *c, int64_t from)
{
	struct chan_event ev;

	for (; from < c->expected; from++) {
		memset(&ev, 0, sizeof(ev));
		ev.decision = CHAN_DEC_DRAINED;
		ev.message_type = MSG_OUTPUT_STREAM;
		ev.seq = from;
		ev.ack_seq = -1;
		ev.state = c->state;
		c->p.observe(c->p.observe_arg, &ev);
	}
}

int
chan_recv(struct chan *c, const uint8_t *frame, size_t len, uint64_t now)
{
	struct chan_stats before;
	struct chan_event ev;
	struct msg m;
	size_t ctrl0;
	int64_t exp0, s;
	int r, dr;

	if (c->p.observe == NULL)
		return recv_frame(c, frame, len, now);
	before = c->st;
	exp0 = c->expected;
	ctrl0 = buf_len(&c->ctrl);
	r = recv_frame(c, frame, len, now);
	memset(&ev, 0, sizeof(ev));
	ev.ack_seq = -1;
	if ((dr = msg_decode(frame, len, &m)) != 0)
		peek_header(frame, len, &m);
	else if (m.payload_length > 0 &&
	    strcmp(m.message_type, MSG_START_PUBLICATION) != 0 &&
	    strcmp(m.message_type, MSG_PAUSE_PUBLICATION) != 0)
		ev.digest = CHAN_DIGEST_OK;
	if (dr == SP_ERR_DIGEST)
		ev.digest = CHAN_DIGEST_BAD;
	if (dr == 0 && strcmp(m.message_type, MSG_ACKNOWLEDGE) == 0 &&
	    pl_decode_ack_seq(m.payload, m.payload_length, &s) == 0)
		ev.ack_seq = s;
	ev.decision = decision(c, &before, exp0, m.message_type, r);
	ev.message_type = m.message_type;
	ev.seq = m.sequence_number;
	ev.flags = m.flags;
	ev.payload_type = m.payload_type;
	ev.payload_length = m.payload_length;
	ev.payload = dr == 0 ? m.payload : NULL;
	ev.err = r;
	ev.acked = buf_len(&c->ctrl) > ctrl0;
	ev.state = c->state;
	c->p.observe(c->p.observe_arg, &ev);
	if (ev.decision == CHAN_DEC_DELIVERED)
		observe_drained(c, exp0 + 1);
	return r;
}

const char *
chan_decision_name(enum chan_decision d)
{
	static const char *const names[] = {
		"delivered", "buffered", "duplicate", "refused", "dropped",
		"acked", "ignored", "paused", "resumed", "closed", "drained"
	};

	if ((unsigned int)d >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[d];
}

const char *
chan_state_name(enum chan_state s)
{
	static const char *const names[] = {
		"handshake", "open", "closed", "failed"
	};

	if ((unsigned int)s >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[s];
}

int
chan_can_recv(const struct chan *c)
{
	return buf_len(&c->stdout_buf) < c->p.stdout_max &&
	    buf_avail(&c->ctrl) >= CTRL_MAX / 2;
}

size_t
chan_send_space(const struct chan *c)
{
	size_t used = out_slots_used(c), slots, bytes;

	if (c->state != CHAN_OPEN || c->eof)
		return 0;
	if (used + OUT_RESERVED_SLOTS >= c->out_cap ||
	    c->in_flight >= c->p.send_window)
		return 0;
	slots = c->out_cap - OUT_RESERVED_SLOTS - used;
	bytes = c->p.send_window - c->in_flight;
	if (bytes / c->p.chunk_size > slots)
		bytes = slots * c->p.chunk_size;
	return bytes;
}

int
chan_send(struct chan *c, const void *data, size_t len, uint64_t now)
{
	const uint8_t *p = data;
	size_t n;
	int r;

	if (len > chan_send_space(c))
		return c->state == CHAN_OPEN && !c->eof ?
		    SP_ERR_NO_SPACE : SP_ERR_STATE;
	while (len > 0) {
		n = len < c->p.chunk_size ? len : c->p.chunk_size;
		if ((r = queue_stream(c, PT_OUTPUT, p, n, 0, now)) != 0)
			return r;
		c->st.bytes_out += n;
		p += n;
		len -= n;
	}
	return 0;
}

void
chan_send_eof(struct chan *c)
{
	c->eof = 1;
}

int
chan_terminate(struct chan *c, uint64_t now)
{
	struct buf pl;
	int r;

	if (c->state != CHAN_OPEN)
		return SP_ERR_STATE;
	if (!chan_version_gt(c->agent_version,
	    CHAN_AGENT_TERMINATE_FLAG_AFTER))
		return SP_ERR_UNSUPPORTED;
	buf_init(&pl, 4);
	if ((r = pl_encode_flag(&pl, FLAG_TERMINATE_SESSION)) == 0)
		r = queue_stream(c, PT_FLAG, buf_ptr(&pl), buf_len(&pl), 1,
		    now);
	buf_release(&pl);
	return r;
}

int
chan_output(struct chan *c, const uint8_t **frame, size_t *len)
{
	struct out_msg *m;
	uint32_t n;

	*frame = NULL;
	*len = 0;
	c->pend = PEND_NONE;
	if (c->state == CHAN_CLOSED)
		return SP_ERR_AGAIN;
	if (buf_len(&c->ctrl) > 0) {
		if (buf_peek_u32(&c->ctrl, 0, &n) != 0 ||
		    buf_len(&c->ctrl) < 4 + (size_t)n)
			return SP_ERR_INTERNAL;
		*frame = buf_ptr(&c->ctrl) + 4;
		*len = n;
		c->pend = PEND_CTRL;
		c->pend_len = n;
		return 0;
	}
	/* While the agent is away (pause_publication) only acks and the
	 * probes chan_tick() schedules go out. */
	if (c->paused && !c->probe_due)
		return SP_ERR_AGAIN;
	if (c->resend_seq >= c->base_seq && c->resend_seq < c->next_seq &&
	    (m = out_slot(c, c->resend_seq))->frame != NULL) {
		c->pend_seq = c->resend_seq;
		goto data;
	}
	c->resend_seq = -1;
	if (c->paused) {
		c->probe_due = 0;
		return SP_ERR_AGAIN;
	}
	while (c->send_cursor < c->next_seq &&
	    out_slot(c, c->send_cursor)->frame == NULL)
		c->send_cursor++;
	if (c->send_cursor >= c->next_seq)
		return SP_ERR_AGAIN;
	c->pend_seq = c->send_cursor;
	m = out_slot(c, c->send_cursor);
 data:
	*frame = m->frame;
	*len = m->frame_len;
	c->pend = PEND_DATA;
	return 0;
}

void
chan_output_done(struct chan *c, uint64_t now)
{
	struct out_msg *m;

	switch (c->pend) {
	case PEND_CTRL:
		if (buf_consume(&c->ctrl, 4 + c->pend_len) != 0)
			buf_reset(&c->ctrl);
		break;
	case PEND_DATA:
		m = out_slot(c, c->pend_seq);
		if (m->frame == NULL)
			break;
		if (m->sent)
			c->st.resends++;
		m->sent = 1;
		m->last_sent = now;
		if (c->pend_seq == c->resend_seq)
			c->resend_seq = -1;
		if (c->pend_seq == c->send_cursor)
			c->send_cursor++;
		if (c->paused) {
			c->probe_at = now;
			c->probe_due = 0;
		}
		break;
	case PEND_NONE:
		return;
	}
	c->st.frames_out++;
	c->pend = PEND_NONE;
}

size_t
chan_stdout(const struct chan *c, const uint8_t **p)
{
	*p = buf_ptr(&c->stdout_buf);
	return buf_len(&c->stdout_buf);
}

void
chan_stdout_consume(struct chan *c, size_t n, uint64_t now)
{
	int64_t exp0 = c->expected;

	if (buf_consume(&c->stdout_buf, n) != 0)
		buf_reset(&c->stdout_buf);
	drain_reorder(c, now);
	if (c->p.observe != NULL)
		observe_drained(c, exp0);
}

/* Oldest message that was written and awaits its ack, or NULL. */
static struct out_msg *
oldest_sent(const struct chan *c, int64_t *seqp)
{
	struct out_msg *m;
	int64_t s;

	for (s = c->base_seq; s < c->send_cursor || s < c->next_seq; s++) {
		m = out_slot(c, s);
		if (m->frame != NULL && m->sent) {
			*seqp = s;
			return m;
		}
		if (m->frame != NULL)
			return NULL;	/* never written yet: not overdue */
	}
	return NULL;
}

static uint64_t
rto_ms(const struct chan *c)
{
	return (uint64_t)c->rto;
}

void
chan_tick(struct chan *c, uint64_t now)
{
	struct out_msg *m;
	int64_t s;

	if (c->state == CHAN_HANDSHAKE &&
	    now - c->created >= c->p.handshake_timeout_ms) {
		fail(c, SP_ERR_TIMEOUT, "no handshake from the agent",
		    NULL, NULL);
		return;
	}
	if (c->state != CHAN_OPEN && c->state != CHAN_HANDSHAKE)
		return;
	if (c->base_seq < c->next_seq &&
	    now - c->progress_at >= c->p.progress_timeout_ms) {
		char secs[24];
		uint64_t v = c->p.progress_timeout_ms / 1000;
		size_t i = sizeof(secs) - 1;

		/* Decimal seconds, without snprintf (no stdio here). */
		secs[i] = '\0';
		do {
			secs[--i] = (char)('0' + v % 10);
			v /= 10;
		} while (v > 0 && i > 0);
		fail(c, SP_ERR_TIMEOUT, "the agent acknowledged nothing for ",
		    secs + i, " s (--progress-timeout): giving up");
		return;
	}
	/*
	 * pause_publication is advisory (PROTOCOL.md "Streams,
	 * acknowledgements, retransmission"): a start_publication lost
	 * or never sent must not wedge the session.  While paused, send the
	 * oldest unacknowledged message (written before or not) once per
	 * RTO, one at a time; its ack, like any ack or stream data, resumes.
	 * A resend chosen before the pause waits for the probe or the end
	 * of the pause.
	 */
	if (c->paused) {
		if (!c->probe_due && c->base_seq < c->next_seq &&
		    now - c->probe_at > rto_ms(c)) {
			c->resend_seq = c->base_seq;
			c->probe_due = 1;
		}
		return;
	}
	/* Agent rule (PROTOCOL.md "Retransmission constants"): resend the
	 * oldest overdue message. */
	if (c->resend_seq < 0 && (m = oldest_sent(c, &s)) != NULL &&
	    now - m->last_sent > rto_ms(c))
		c->resend_seq = s;
}

uint64_t
chan_deadline(const struct chan *c)
{
	uint64_t d = UINT64_MAX, t;
	struct out_msg *m;
	int64_t s;

	if (c->state == CHAN_HANDSHAKE)
		d = c->created + c->p.handshake_timeout_ms;
	if (c->state != CHAN_OPEN && c->state != CHAN_HANDSHAKE)
		return d;
	if (c->base_seq < c->next_seq) {
		t = c->progress_at + c->p.progress_timeout_ms;
		if (t < d)
			d = t;
	}
	if (c->paused) {
		if (!c->probe_due && c->base_seq < c->next_seq) {
			t = c->probe_at + rto_ms(c) + 1;
			if (t < d)
				d = t;
		}
	} else if (c->resend_seq < 0 && (m = oldest_sent(c, &s)) != NULL) {
		t = m->last_sent + rto_ms(c) + 1;
		if (t < d)
			d = t;
	}
	return d;
}

void
chan_reconnected(struct chan *c, uint64_t now)
{
	c->paused = 0;
	c->probe_due = 0;
	c->resend_seq = -1;
	c->send_cursor = c->base_seq;
	c->pend = PEND_NONE;
	if (c->base_seq < c->next_seq)
		c->progress_at = now;
}

enum chan_state
chan_state(const struct chan *c)
{
	return c->state;
}

int
chan_error(const struct chan *c, const char **text)
{
	if (text != NULL)
		*text = c->errmsg;
	return c->err;
}

int
chan_idle(const struct chan *c)
{
	return c->base_seq == c->next_seq && buf_len(&c->ctrl) == 0;
}

const char *
chan_agent_version(const struct chan *c)
{
	return c->agent_version;
}

const char *
chan_customer_message(const struct chan *c)
{
	return c->customer_message != NULL ? c->customer_message : "";
}

const char *
chan_close_output(const struct chan *c)
{
	return c->close_output != NULL ? c->close_output : "";
}

void
chan_get_stats(const struct chan *c, struct chan_stats *s)
{
	*s = c->st;
	s->rtt_ms = c->rtt;
	s->rto_ms = c->rto;
}

/* Parse one dotted component: 1 to 9 decimal digits. */
static int
version_part(const char **sp, long *v)
{
	const char *s = *sp;
	int n = 0;

	*v = 0;
	while (*s >= '0' && *s <= '9' && n < 10) {
		*v = *v * 10 + (*s - '0');
		s++;
		n++;
	}
	if (n == 0 || n > 9)
		return -1;
	*sp = s;
	return 0;
}

int
chan_version_gt(const char *a, const char *b)
{
	long va, vb;
	int cmp = 0;

	if (a == NULL || b == NULL)
		return 0;
	for (;;) {
		if (version_part(&a, &va) != 0 || version_part(&b, &vb) != 0)
			return 0;
		if (cmp == 0 && va != vb)
			cmp = va > vb ? 1 : -1;
		if (*a == '\0' && *b == '\0')
			return cmp > 0;
		if (*a != '.' || *b != '.')
			return 0;	/* differing lengths or junk */
		a++;
		b++;
	}
}
