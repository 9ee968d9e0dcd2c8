/*
 * The receive path (PROTOCOL.md "Streams, acknowledgements,
 * retransmission"): stream data delivered once and in order through the
 * reorder ring, stdout, and the acknowledgements we owe; see chanint.h.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "chanint.h"
#include "msg.h"
#include "payload.h"

int
chan_ctrl_has_room(const struct chan *c)
{
	return buf_avail(&c->ctrl) >= ACK_FRAME_MAX + 4;
}

int
chan_queue_ack(struct chan *c, const struct msg *m, uint64_t now)
{
	struct pl_ack a;
	struct msg_out o;
	struct buf pl, f;
	char idstr[MSG_UUID_STR_LEN + 1];
	uint8_t id[MSG_UUID_LEN];
	int r;

	if (!chan_ctrl_has_room(c))
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
	chan_new_message_id(c, id);
	memset(&o, 0, sizeof(o));
	o.message_type = MSG_ACKNOWLEDGE;
	o.sequence_number = 0;
	o.flags = MSG_FLAGS_ACK;
	o.created_date = chan_created_date(c, now);
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
		return chan_hs_request(c, p, len, now);
		return 0;
	case PT_HANDSHAKE_COMPLETE:
		if (c->state == CHAN_HANDSHAKE)
			chan_hs_complete(c, p, len);
		return 0;
	case PT_ENC_CHALLENGE_REQUEST:
		chan_fail(c, SP_ERR_PROTOCOL, "the agent sent an encryption "
		    "challenge, but no encryption was agreed", NULL, NULL);
		return 0;
	case PT_FLAG:
		if (pl_decode_flag(p, len, &flag) == 0 &&
		    flag == FLAG_CONNECT_TO_PORT_ERROR)
			chan_fail(c, SP_ERR_CLOSED, "the agent could not "
			    "connect to the destination port on the instance",
			    NULL, NULL);
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
int
chan_rx_stream(struct chan *c, const struct msg *m, uint64_t now)
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
		return chan_queue_ack(c, m, now);
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
		    !chan_ctrl_has_room(c)) {
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
		return chan_queue_ack(c, m, now);
	}
	if (!chan_ctrl_has_room(c)) {
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
	(void)chan_queue_ack(c, m, now);
	drain_reorder(c, now);
	return 0;
}

int
chan_can_recv(const struct chan *c)
{
	size_t need = c->p.chunk_size < c->p.stdout_max ? c->p.chunk_size :
	    c->p.stdout_max;

	/* Room for a message of the usual size (both sides send chunks of
	 * chunk_size): with less, each message read would be refused and
	 * resent one by one, slowly, as when a reader that consumes odd
	 * amounts (--via's smux decoder) leaves a few bytes of room. */
	return buf_len(&c->stdout_buf) + need <= c->p.stdout_max &&
	    buf_avail(&c->ctrl) >= CTRL_MAX / 2;
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
		chan_observe_drained(c, exp0);
}
