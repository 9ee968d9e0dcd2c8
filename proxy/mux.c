/*
 * The one smux stream of a --via session; see mux.h.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "mux.h"
#include "smux.h"
#include "trace.h"

/* A PSH frame per 64 KiB of stdin at most: two headers cover a read. */
#define SEND_OVERHEAD	(2 * SMUX_HDR_LEN)
/* Channel bytes given to smux_feed() at a time. */
#define FEED_MAX	MUX_OUT_MAX

struct mux {
	struct smux	 s;
	uint32_t	 sid;		/* 0 until opened */
	int		 eof_wanted;	/* stdin ended */
	int		 fin_sent;
	int		 peer_fin;
	int		 failed;
	struct buf	 out;		/* stream bytes for stdout */
};

struct mux *
mux_new(void)
{
	struct mux *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	smux_init(&m->s, 1);
	buf_init(&m->out, MUX_OUT_MAX + FEED_MAX);
	return m;
}

void
mux_free(struct mux *m)
{
	if (m == NULL)
		return;
	smux_free(&m->s);
	buf_release(&m->out);
	free(m);
}

/* Queue the frames in b on the channel. */
static int
queue(struct chan *c, struct buf *b, uint64_t now)
{
	int r;

	r = chan_send(c, buf_ptr(b), buf_len(b), now);
	buf_release(b);
	return r;
}

int
mux_pump(struct mux *m, struct chan *c, uint64_t now)
{
	struct buf b;
	int r;

	if (m->fin_sent || chan_send_space(c) < SMUX_HDR_LEN)
		return 0;
	buf_init(&b, SMUX_HDR_LEN);
	if (m->sid == 0) {
		if ((r = smux_open(&m->s, &b, &m->sid)) != 0 ||
		    (r = queue(c, &b, now)) != 0)
			return r;
		trace_smux("syn", m->sid, NULL);
		if (chan_send_space(c) < SMUX_HDR_LEN)
			return 0;
	}
	if (!m->eof_wanted)
		return 0;
	/* After the agent's FIN the stream may be closed both ways: then
	 * it needs no FIN of ours. */
	if (smux_state(&m->s, m->sid) != SMUX_ST_CLOSED &&
	    ((r = smux_shut(&m->s, &b, m->sid)) != 0 ||
	    (r = queue(c, &b, now)) != 0))
		return r;
	trace_smux("fin-sent", m->sid, NULL);
	m->fin_sent = 1;
	chan_send_eof(c);
	return 0;
}

size_t
mux_send_space(const struct mux *m, const struct chan *c)
{
	size_t n;

	if (m->sid == 0 || m->eof_wanted || m->failed)
		return 0;
	if ((n = chan_send_space(c)) <= SEND_OVERHEAD)
		return 0;
	return n - SEND_OVERHEAD;
}

int
mux_send(struct mux *m, struct chan *c, const void *p, size_t n,
    uint64_t now)
{
	struct buf b;
	int r;

	buf_init(&b, n + SEND_OVERHEAD + (n / SMUX_MAX_DATA) * SMUX_HDR_LEN);
	if ((r = smux_send(&m->s, &b, m->sid, p, n)) != 0) {
		buf_release(&b);
		return r;
	}
	return queue(c, &b, now);
}

void
mux_send_eof(struct mux *m)
{
	m->eof_wanted = 1;
}

static int
on_data(void *arg, uint32_t sid, const uint8_t *p, size_t n)
{
	struct mux *m = arg;

	if (sid != m->sid)
		return 0;
	if (buf_put(&m->out, p, n) != 0)
		return SP_ERR_ALLOC;
	/* Full: hold the rest in the channel (its flow control). */
	return buf_len(&m->out) >= MUX_OUT_MAX;
}

static int
on_fin(void *arg, uint32_t sid)
{
	struct mux *m = arg;

	if (sid == m->sid) {
		m->peer_fin = 1;
		trace_smux("fin-received", sid, NULL);
	}
	return 0;
}

size_t
mux_stdout(struct mux *m, struct chan *c, const uint8_t **p, uint64_t now)
{
	const struct smux_cb cb = { on_data, on_fin, NULL, NULL, m };
	const uint8_t *q;
	size_t n, used;
	int r;

	while (!m->failed && buf_len(&m->out) < MUX_OUT_MAX &&
	    (n = chan_stdout(c, &q)) > 0) {
		used = 0;
		r = smux_feed(&m->s, q, n < FEED_MAX ? n : FEED_MAX, &cb,
		    &used);
		chan_stdout_consume(c, used, now);
		trace_stdout(used);	/* replayable: the channel's bytes */
		if (r < 0) {
			m->failed = 1;
			trace_smux("failed", m->sid, smux_why(&m->s));
		}
	}
	*p = buf_ptr(&m->out);
	return buf_len(&m->out);
}

void
mux_stdout_consume(struct mux *m, size_t n)
{
	(void)!buf_consume(&m->out, n);
	if (buf_len(&m->out) == 0)
		buf_reset(&m->out);
}

size_t
mux_stdout_held(const struct mux *m)
{
	return buf_len(&m->out);
}

int
mux_peer_fin(const struct mux *m)
{
	return m->peer_fin;
}

int
mux_peer_closed(const struct mux *m)
{
	return m->peer_fin && buf_len(&m->out) == 0;
}

const char *
mux_error(const struct mux *m)
{
	if (!m->failed)
		return NULL;
	return smux_why(&m->s)[0] != '\0' ? smux_why(&m->s) :
	    "out of memory";
}

void
mux_stats(const struct mux *m, uint32_t *sid, uint64_t *dropped,
    uint64_t *nops)
{
	*sid = m->sid;
	*dropped = m->s.dropped;
	*nops = m->s.nops;
}
