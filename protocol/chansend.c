/*
 * The send path (PROTOCOL.md "Streams, acknowledgements, retransmission",
 * "Retransmission constants"): our stream messages numbered and kept
 * until acknowledged, the frames due, RTT and RTO, retransmission and
 * pauses; see chanint.h.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "chanint.h"
#include "msg.h"
#include "payload.h"

struct out_msg *
chan_out_slot(const struct chan *c, int64_t seq)
{
	return &c->out[(uint64_t)seq % c->out_cap];
}

size_t
chan_out_slots_used(const struct chan *c)
{
	return (size_t)(c->next_seq - c->base_seq);
}

/*
 * Number and store one outgoing stream message.  Data uses the slots up to
 * the reserve; handshake replies and flags may use the reserve.
 */
int
chan_queue_stream(struct chan *c, uint32_t payload_type, const void *payload,
    size_t len, int reserved, uint64_t now)
{
	struct msg_out o;
	struct out_msg *m;
	struct buf f;
	uint8_t id[MSG_UUID_LEN];
	size_t limit;
	int r;

	limit = c->out_cap - (reserved ? 0 : OUT_RESERVED_SLOTS);
	if (chan_out_slots_used(c) >= limit)
		return SP_ERR_NO_SPACE;
	chan_new_message_id(c, id);
	memset(&o, 0, sizeof(o));
	o.message_type = MSG_INPUT_STREAM;
	o.sequence_number = c->next_seq;
	o.flags = 0;	/* the reference client never sets SYN or FIN */
	o.created_date = chan_created_date(c, now);
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
	m = chan_out_slot(c, c->next_seq);
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

int
chan_tx_ack(struct chan *c, const struct msg *m, uint64_t now)
{
	struct out_msg *om;
	int64_t s;
	int r;

	if ((r = pl_decode_ack_seq(m->payload, m->payload_length, &s)) != 0)
		return r;
	c->paused = 0;		/* agent rule: any ack resumes */
	if (s < c->base_seq || s >= c->next_seq)
		return SP_ERR_IGNORED;
	om = chan_out_slot(c, s);
	if (om->frame == NULL || !om->sent)
		return SP_ERR_IGNORED;
	chan_rtt_update(&c->rtt, &c->rttvar, &c->rto,
	    (double)(now - om->last_sent));
	release_out(c, om);
	c->progress_at = now;
	if (c->resend_seq == s)
		c->resend_seq = -1;
	while (c->base_seq < c->next_seq &&
	    chan_out_slot(c, c->base_seq)->frame == NULL)
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
		om = chan_out_slot(c, c->base_seq);
		if (om->frame != NULL && om->sent && !om->fast) {
			om->fast = 1;
			c->resend_seq = c->base_seq;
		}
	}
	return 0;
}

size_t
chan_send_space(const struct chan *c)
{
	size_t used = chan_out_slots_used(c), slots, bytes;

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
		if ((r = chan_queue_stream(c, PT_OUTPUT, p, n, 0, now)) != 0)
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
		r = chan_queue_stream(c, PT_FLAG, buf_ptr(&pl), buf_len(&pl), 1,
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
	    (m = chan_out_slot(c, c->resend_seq))->frame != NULL) {
		c->pend_seq = c->resend_seq;
		goto data;
	}
	c->resend_seq = -1;
	if (c->paused) {
		c->probe_due = 0;
		return SP_ERR_AGAIN;
	}
	while (c->send_cursor < c->next_seq &&
	    chan_out_slot(c, c->send_cursor)->frame == NULL)
		c->send_cursor++;
	if (c->send_cursor >= c->next_seq)
		return SP_ERR_AGAIN;
	c->pend_seq = c->send_cursor;
	m = chan_out_slot(c, c->send_cursor);
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
		m = chan_out_slot(c, c->pend_seq);
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

/* Oldest message that was written and awaits its ack, or NULL. */
static struct out_msg *
oldest_sent(const struct chan *c, int64_t *seqp)
{
	struct out_msg *m;
	int64_t s;

	for (s = c->base_seq; s < c->send_cursor || s < c->next_seq; s++) {
		m = chan_out_slot(c, s);
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
		chan_fail(c, SP_ERR_TIMEOUT, "no handshake from the agent",
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
		chan_fail(c, SP_ERR_TIMEOUT, "the agent acknowledged nothing "
		    "for ", secs + i, " s (--progress-timeout): giving up");
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
