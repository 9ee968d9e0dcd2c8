/*
 * The data-channel session state machine; see chan.h and PROTOCOL.md.
 * This file: the channel's life, the dispatch of received frames, the
 * observer's view of them, and the accessors.  chanhs.c answers the
 * handshake, chanrecv.c delivers stream data in order and owes the acks,
 * chansend.c numbers, sends and retransmits ours (chanint.h).
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
#include "chanint.h"
#include "msg.h"
#include "payload.h"

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

void
chan_str_set3(char *dst, size_t dstsz, const char *a, const char *remote,
    const char *b)
{
	dst[0] = '\0';
	str_cat(dst, dstsz, a, dstsz);
	if (remote != NULL)
		str_cat(dst, dstsz, remote, REMOTE_TEXT_MAX);
	if (b != NULL)
		str_cat(dst, dstsz, b, dstsz);
}

char *
chan_str_dup(const char *s, size_t max)
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
void
chan_fail(struct chan *c, int code, const char *a, const char *remote,
    const char *b)
{
	if (c->state == CHAN_FAILED)
		return;
	c->state = CHAN_FAILED;
	c->err = code;
	chan_str_set3(c->errmsg, sizeof(c->errmsg), a, remote, b);
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

void
chan_new_message_id(struct chan *c, uint8_t id[MSG_UUID_LEN])
{
	c->p.random(c->p.random_arg, id, MSG_UUID_LEN);
	msg_uuid_make_v4(id);
}

uint64_t
chan_created_date(const struct chan *c, uint64_t now)
{
	return (uint64_t)((int64_t)now + c->p.epoch_offset_ms);
}

static void
handle_channel_closed(struct chan *c, const struct msg *m)
{
	struct pl_channel_closed cc;

	free(c->close_output);
	c->close_output = NULL;
	if (pl_decode_channel_closed(m->payload, m->payload_length,
	    &cc) == 0) {
		c->close_output = chan_str_dup(cc.output, CLOSE_OUTPUT_MAX);
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
		return chan_rx_stream(c, &m, now);
	if (strcmp(m.message_type, MSG_ACKNOWLEDGE) == 0) {
		if ((r = chan_tx_ack(c, &m, now)) != 0 && r != SP_ERR_IGNORED)
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
void
chan_observe_drained(struct chan *c, int64_t from)
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
		chan_observe_drained(c, exp0 + 1);
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

int
chan_port_mux(const struct chan *c)
{
	return c->port_mux;
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

