/* smux version 1, client side; see smux.h and PROTOCOL.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smux.h"

#define FIN_SENT	0x1
#define FIN_RCVD	0x2

static const char *const cmd_name[] = { "SYN", "FIN", "PSH", "NOP" };

/* Encoding */

static void
put_hdr(uint8_t *h, uint8_t cmd, uint32_t sid, uint16_t len)
{
	h[0] = SMUX_VERSION;
	h[1] = cmd;
	h[2] = (uint8_t)len;
	h[3] = (uint8_t)(len >> 8);
	h[4] = (uint8_t)sid;
	h[5] = (uint8_t)(sid >> 8);
	h[6] = (uint8_t)(sid >> 16);
	h[7] = (uint8_t)(sid >> 24);
}

int
smux_put_frame(struct buf *out, uint8_t cmd, uint32_t sid, const void *p,
    size_t n)
{
	uint8_t *w;
	int r;

	if (cmd > SMUX_CMD_NOP || n > SMUX_MAX_DATA ||
	    (cmd != SMUX_CMD_PSH && n != 0) || (n != 0 && p == NULL))
		return SP_ERR_INVALID_ARG;
	if (buf_avail(out) < SMUX_HDR_LEN + n)
		return SP_ERR_NO_SPACE;
	if ((r = buf_reserve(out, SMUX_HDR_LEN + n, &w)) != 0)
		return r;
	put_hdr(w, cmd, sid, (uint16_t)n);
	if (n != 0)
		memcpy(w + SMUX_HDR_LEN, p, n);
	return 0;
}

int
smux_put_syn(struct buf *out, uint32_t sid)
{
	return smux_put_frame(out, SMUX_CMD_SYN, sid, NULL, 0);
}

int
smux_put_fin(struct buf *out, uint32_t sid)
{
	return smux_put_frame(out, SMUX_CMD_FIN, sid, NULL, 0);
}

int
smux_put_nop(struct buf *out)
{
	return smux_put_frame(out, SMUX_CMD_NOP, 0, NULL, 0);
}

int
smux_put_psh(struct buf *out, uint32_t sid, const void *p, size_t n)
{
	const uint8_t *d = p;
	size_t frames, piece;
	int r;

	if (n == 0)
		return 0;
	if (p == NULL)
		return SP_ERR_INVALID_ARG;
	/* All or nothing: check the room for every frame first. */
	frames = n / SMUX_MAX_DATA + (n % SMUX_MAX_DATA != 0);
	if (frames > (SIZE_MAX - n) / SMUX_HDR_LEN ||
	    buf_avail(out) < n + frames * SMUX_HDR_LEN)
		return SP_ERR_NO_SPACE;
	while (n > 0) {
		piece = n < SMUX_MAX_DATA ? n : SMUX_MAX_DATA;
		if ((r = smux_put_frame(out, SMUX_CMD_PSH, sid, d, piece)) != 0)
			return r;	/* only SP_ERR_ALLOC gets here */
		d += piece;
		n -= piece;
	}
	return 0;
}

/* Streams */

void
smux_init(struct smux *s, size_t max_streams)
{
	memset(s, 0, sizeof(*s));
	if (max_streams == 0)
		max_streams = SMUX_STREAMS_DEFAULT;
	if (max_streams > SMUX_STREAMS_MAX)
		max_streams = SMUX_STREAMS_MAX;
	s->max_streams = max_streams;
	s->next_sid = SMUX_FIRST_SID;
}

void
smux_free(struct smux *s)
{
	free(s->st);
	s->st = NULL;
	s->nst = s->ast = 0;
}

static struct smux_stream *
find(const struct smux *s, uint32_t sid)
{
	size_t i;

	for (i = 0; i < s->nst; i++)
		if (s->st[i].sid == sid)
			return &s->st[i];
	return NULL;
}

static void
drop(struct smux *s, struct smux_stream *st)
{
	size_t i = (size_t)(st - s->st);

	s->st[i] = s->st[--s->nst];
}

/* Add stream sid; the caller made sure it is not there yet. */
static int
add(struct smux *s, uint32_t sid)
{
	struct smux_stream *n;
	size_t na;

	if (s->nst >= s->max_streams)
		return SP_ERR_NO_SPACE;
	if (s->nst == s->ast) {
		na = s->ast == 0 ? 8 : s->ast * 2;
		if (na > s->max_streams)
			na = s->max_streams;
		if ((n = realloc(s->st, na * sizeof(*n))) == NULL)
			return SP_ERR_ALLOC;
		s->st = n;
		s->ast = na;
	}
	s->st[s->nst].sid = sid;
	s->st[s->nst].fin = 0;
	s->nst++;
	return 0;
}

/* Note a FIN in direction bit; forget the stream once both went. */
static void
fin(struct smux *s, struct smux_stream *st, uint8_t bit)
{
	st->fin |= bit;
	if (st->fin == (FIN_SENT | FIN_RCVD))
		drop(s, st);
}

int
smux_state(const struct smux *s, uint32_t sid)
{
	const struct smux_stream *st = find(s, sid);

	if (st == NULL)
		return SMUX_ST_CLOSED;
	if (st->fin & FIN_SENT)
		return SMUX_ST_FIN_SENT;
	if (st->fin & FIN_RCVD)
		return SMUX_ST_FIN_RCVD;
	return SMUX_ST_OPEN;
}

size_t
smux_count(const struct smux *s)
{
	return s->nst;
}

const char *
smux_why(const struct smux *s)
{
	return s->why;
}

int
smux_open(struct smux *s, struct buf *out, uint32_t *sid)
{
	uint32_t id;
	int r;

	if (s->nst >= s->max_streams) {
		snprintf(s->why, sizeof(s->why),
		    "smux: %zu streams open, the most allowed", s->nst);
		return SP_ERR_NO_SPACE;
	}
	/* Skip ids the peer took; odd ids only, ending at 2^32 - 1. */
	for (id = s->next_sid; id != 0 && find(s, id) != NULL; id += 2)
		;
	if (id == 0) {
		s->next_sid = 0;
		snprintf(s->why, sizeof(s->why),
		    "smux: stream ids used up; a new session is needed");
		return SP_ERR_NO_SPACE;
	}
	if (buf_avail(out) < SMUX_HDR_LEN)
		return SP_ERR_NO_SPACE;
	if ((r = add(s, id)) != 0)
		return r;
	if ((r = smux_put_syn(out, id)) != 0) {
		drop(s, &s->st[s->nst - 1]);
		return r;
	}
	/* 0xffffffff + 2 wraps to 1: the ids are used up then. */
	s->next_sid = id + 2 < id ? 0 : id + 2;
	*sid = id;
	return 0;
}

int
smux_send(struct smux *s, struct buf *out, uint32_t sid, const void *p,
    size_t n)
{
	struct smux_stream *st = find(s, sid);

	if (st == NULL || (st->fin & FIN_SENT))
		return SP_ERR_STATE;
	return smux_put_psh(out, sid, p, n);
}

int
smux_shut(struct smux *s, struct buf *out, uint32_t sid)
{
	struct smux_stream *st = find(s, sid);
	int r;

	if (st == NULL || (st->fin & FIN_SENT))
		return SP_ERR_STATE;
	if ((r = smux_put_fin(out, sid)) != 0)
		return r;
	fin(s, st, FIN_SENT);
	return 0;
}

void
smux_forget(struct smux *s, uint32_t sid)
{
	struct smux_stream *st = find(s, sid);

	if (st != NULL)
		drop(s, st);
	if (s->left > 0 && s->sid == sid)
		s->deliver = 0;
}

/* Decoding */

int
smux_idle(const struct smux *s)
{
	return !s->failed && s->hlen == 0 && s->left == 0;
}

static int
fail(struct smux *s, int r)
{
	s->failed = 1;
	return r;
}

/* A whole header is in s->hdr: check it and act on it. */
static int
on_header(struct smux *s, const struct smux_cb *cb)
{
	const uint8_t *h = s->hdr;
	uint8_t ver = h[0], cmd = h[1];
	uint16_t len = (uint16_t)(h[2] | h[3] << 8);
	uint32_t sid = (uint32_t)h[4] | (uint32_t)h[5] << 8 |
	    (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
	struct smux_stream *st;
	int r;

	s->hlen = 0;
	if (ver != SMUX_VERSION) {
		snprintf(s->why, sizeof(s->why),
		    "smux: frame of protocol version %u, expected %u",
		    ver, SMUX_VERSION);
		return fail(s, SP_ERR_PROTOCOL);
	}
	if (cmd > SMUX_CMD_NOP) {
		snprintf(s->why, sizeof(s->why),
		    "smux: frame with unknown command %u on stream %lu",
		    cmd, (unsigned long)sid);
		return fail(s, SP_ERR_PROTOCOL);
	}
	/* Only PSH has a body; xtaci/smux would read any other's as a header. */
	if (cmd != SMUX_CMD_PSH && len != 0) {
		snprintf(s->why, sizeof(s->why),
		    "smux: %s frame on stream %lu with a %u-byte body",
		    cmd_name[cmd], (unsigned long)sid, len);
		return fail(s, SP_ERR_PROTOCOL);
	}
	st = find(s, sid);
	switch (cmd) {
	case SMUX_CMD_NOP:
		s->nops++;
		return cb->nop != NULL ? cb->nop(cb->arg) : 0;
	case SMUX_CMD_SYN:
		if (st != NULL || cb->syn == NULL)
			return 0;
		if ((r = add(s, sid)) != 0) {
			snprintf(s->why, sizeof(s->why), r == SP_ERR_ALLOC ?
			    "smux: out of memory for stream %lu" :
			    "smux: the peer opened stream %lu past the limit",
			    (unsigned long)sid);
			return fail(s, r);
		}
		return cb->syn(cb->arg, sid);
	case SMUX_CMD_FIN:
		if (st == NULL || (st->fin & FIN_RCVD))
			return 0;
		fin(s, st, FIN_RCVD);
		return cb->fin(cb->arg, sid);
	default:	/* PSH */
		s->sid = sid;
		s->left = len;
		s->deliver = st != NULL && !(st->fin & FIN_RCVD);
		return 0;
	}
}

int
smux_feed(struct smux *s, const uint8_t *p, size_t n,
    const struct smux_cb *cb, size_t *used)
{
	size_t off = 0, k;
	int r = 0;

	*used = 0;
	if (s->failed)
		return SP_ERR_PROTOCOL;
	while (off < n && r == 0) {
		if (s->left > 0) {
			k = n - off < s->left ? n - off : s->left;
			s->left -= (uint32_t)k;
			if (s->deliver)
				r = cb->data(cb->arg, s->sid, p + off, k);
			else
				s->dropped += k;
			off += k;
			continue;
		}
		k = SMUX_HDR_LEN - s->hlen;
		if (k > n - off)
			k = n - off;
		memcpy(s->hdr + s->hlen, p + off, k);
		s->hlen += (uint8_t)k;
		off += k;
		if (s->hlen == SMUX_HDR_LEN)
			r = on_header(s, cb);
	}
	*used = off;
	return r;
}
