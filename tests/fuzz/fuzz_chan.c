/*
 * Fuzz target for the channel state machine: the input is a script of
 * operations, each a control byte and its operands.  Whatever arrives, the
 * channel must not crash, leak, or break its own invariants.
 *
 * Besides raw websocket messages (whose digests the fuzzer rarely gets
 * right) the harness builds agent frames itself, with true digests, from
 * a sequence number, a payload type and payload bytes taken from the
 * input, so that mutated payloads reach the stream logic.
 *
 * The oracle, from chan.h's contract: for each agent sequence number the
 * payload that counts is the one of the first output_stream_data message
 * with that number that chan_recv() accepted (returned 0: delivered,
 * held, or acknowledged as a duplicate of one of those).  The expected
 * stdout is the concatenation, in sequence order from 0 up to the first
 * number with no accepted message, of those payloads of type Output.
 * What the channel hands to stdout must always be a prefix of it (no
 * duplicate, reorder or foreign byte), and once the channel is open and
 * stdout drained, all of it (no loss: nothing acknowledged is dropped).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "msg.h"
#include "payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAX_SEQ		2048
#define MODEL_MAX	(64 * 1024)

#define HS_REQ \
	"{\"AgentVersion\":\"3.3.987.0\",\"RequestedClientActions\":[" \
	"{\"ActionType\":\"SessionType\",\"ActionParameters\":{" \
	"\"SessionType\":\"Port\",\"Properties\":{\"portNumber\":\"22\"}}}]}"
#define HS_COMPLETE \
	"{\"HandshakeTimeToComplete\":1,\"CustomerMessage\":\"\"}"

/* The expected agent stream. */
struct model {
	uint8_t		 seen[MAX_SEQ];		/* first accepted recorded */
	uint32_t	 pt[MAX_SEQ];
	uint8_t		*payload[MAX_SEQ];
	size_t		 len[MAX_SEQ];
	int64_t		 gap;			/* first seq not accepted */
	uint8_t		 want[MODEL_MAX];	/* expected stdout */
	size_t		 want_len;
	size_t		 got_len;		/* stdout bytes consumed */
	int		 off;			/* oracle gave up (bounds) */
};

static struct model M;

static void
rnd(void *arg, void *p, size_t len)
{
	uint8_t *b = p;
	size_t i;
	uint32_t *s = arg;

	for (i = 0; i < len; i++) {
		*s = *s * 1103515245 + 12345;
		b[i] = (uint8_t)(*s >> 16);
	}
}

static void
model_reset(void)
{
	int64_t s;

	for (s = 0; s < MAX_SEQ; s++)
		free(M.payload[s]);
	memset(&M, 0, sizeof(M));
}

/* chan_recv() said r about this frame: record a first acceptance. */
static void
model_saw(const uint8_t *f, size_t len, int r)
{
	struct msg m;
	int64_t s;

	if (r != 0 || msg_decode(f, len, &m) != 0 ||
	    strcmp(m.message_type, MSG_OUTPUT_STREAM) != 0 ||
	    (s = m.sequence_number) < 0)
		return;
	if (s >= MAX_SEQ) {
		M.off = 1;
		return;
	}
	if (M.seen[s])
		return;
	M.seen[s] = 1;
	M.pt[s] = m.payload_type;
	M.len[s] = m.payload_length;
	if ((M.payload[s] = malloc(m.payload_length + 1)) == NULL)
		abort();
	memcpy(M.payload[s], m.payload, m.payload_length);
	while (M.gap < MAX_SEQ && M.seen[M.gap]) {
		s = M.gap++;
		if (M.pt[s] != PT_OUTPUT)
			continue;
		if (M.want_len + M.len[s] > sizeof(M.want)) {
			M.off = 1;
			return;
		}
		memcpy(M.want + M.want_len, M.payload[s], M.len[s]);
		M.want_len += M.len[s];
	}
}

/* What stdout holds now continues what was consumed, as the model says. */
static void
model_check(const struct chan *c)
{
	const uint8_t *o;
	size_t n;

	if (M.off)
		return;
	n = chan_stdout(c, &o);
	if (M.got_len + n > M.want_len ||
	    (n > 0 && memcmp(o, M.want + M.got_len, n) != 0))
		abort();
}

static void
recv_frame(struct chan *c, const uint8_t *f, size_t len, uint64_t now)
{
	model_saw(f, len, chan_recv(c, f, len, now));
	model_check(c);
}

/* An agent frame with a true digest. */
static void
agent_frame(struct chan *c, const char *type, int64_t seq, uint32_t pt,
    const void *p, size_t len, uint32_t *seed, uint64_t now)
{
	struct msg_out o;
	struct buf b;
	uint8_t id[MSG_UUID_LEN];

	rnd(seed, id, sizeof(id));
	id[0] |= 1;
	memset(&o, 0, sizeof(o));
	o.message_type = type;
	o.sequence_number = seq;
	o.created_date = 1;
	o.message_id = id;
	o.payload_type = pt;
	o.payload = p;
	o.payload_length = len;
	buf_init(&b, msg_frame_len(len));
	if (msg_encode(&b, &o) != 0)
		abort();
	recv_frame(c, buf_ptr(&b), buf_len(&b), now);
	buf_release(&b);
}

static void
agent_ack(struct chan *c, int64_t seq, uint32_t *seed, uint64_t now)
{
	struct pl_ack a;
	struct buf b;

	memset(&a, 0, sizeof(a));
	a.message_type = (char *)(uintptr_t)MSG_INPUT_STREAM;
	a.message_id = (char *)(uintptr_t)"dd01e56b-ff48-483e-a508-b5f073f31b16";
	a.sequence_number = seq;
	a.is_sequential = 1;
	buf_init(&b, 1024);
	if (pl_encode_ack(&b, &a) != 0)
		abort();
	agent_frame(c, MSG_ACKNOWLEDGE, 0, PT_NONE, buf_ptr(&b), buf_len(&b),
	    seed, now);
	buf_release(&b);
}

static void
consume(struct chan *c, size_t want, uint64_t now)
{
	const uint8_t *o;
	size_t n;

	n = chan_stdout(c, &o);
	if (want < n)
		n = want;
	if (!M.off && (M.got_len + n > M.want_len ||
	    (n > 0 && memcmp(o, M.want + M.got_len, n) != 0)))
		abort();
	M.got_len += n;
	chan_stdout_consume(c, n, now);
	model_check(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t stdin_bytes[4096];
	struct chan_params p;
	struct chan *c;
	const uint8_t *f, *o;
	size_t i = 0, n, len;
	uint64_t now = 1;
	uint32_t seed = 1, pt;
	int64_t seq;
	const char *txt;

	model_reset();
	chan_params_default(&p);
	p.random = rnd;
	p.random_arg = &seed;
	p.send_window = 16384;
	p.recv_window = 1024;		/* 32 reorder slots */
	p.stdout_max = 256;
	p.max_frame = 65536;
	p.accept_mux = size > 0 && (data[size - 1] & 0x80);	/* --via */
	if ((c = chan_new(&p, now)) == NULL)
		abort();
	while (i < size) {
		uint8_t op = data[i++];

		switch (op % 8) {
		case 0:		/* one websocket message, raw */
			if (size - i < 2)
				goto out;
			len = (size_t)data[i] << 8 | data[i + 1];
			i += 2;
			if (len > size - i)
				len = size - i;
			recv_frame(c, data + i, len, now);
			i += len;
			break;
		case 1:		/* stdin data */
			n = chan_send_space(c);
			if (n > sizeof(stdin_bytes))
				n = sizeof(stdin_bytes);
			n = n > 0 ? 1 + op % n : 0;
			if (n > 0 && chan_send(c, stdin_bytes, n, now) != 0)
				abort();
			break;
		case 2:		/* the websocket is writable */
			while (chan_output(c, &f, &n) == 0) {
				if (n < 120)
					abort();
				chan_output_done(c, now);
			}
			break;
		case 3:		/* stdout is writable */
			n = chan_stdout(c, &o);
			consume(c, op & 0x80 ? n : n / 2 + 1, now);
			break;
		case 4:		/* time passes */
			now += op;
			if (chan_deadline(c) <= now)
				chan_tick(c, now);
			break;
		case 5:
			if (op & 0x80)
				chan_reconnected(c, now);
			else if (op & 0x40)
				(void)!chan_terminate(c, now);
			else
				chan_send_eof(c);
			break;
		case 6:		/* agent stream data: seq, type, length */
			if (size - i < 3)
				goto out;
			seq = M.gap + (int64_t)(data[i] % 48) - 8;
			if (seq < 0)
				seq = 0;
			pt = (data[i + 1] & 0xf0) == 0xf0 ?
			    (uint32_t)(data[i + 1] & 0x0f) : PT_OUTPUT;
			len = data[i + 2];
			i += 3;
			if (len > size - i)
				len = size - i;
			agent_frame(c, MSG_OUTPUT_STREAM, seq, pt, data + i, len,
			    &seed, now);
			i += len;
			break;
		case 7:		/* agent: handshake, acks, publication */
			switch ((op >> 3) & 3) {
			case 0:
				agent_frame(c, MSG_OUTPUT_STREAM, M.gap,
				    PT_HANDSHAKE_REQUEST, HS_REQ,
				    sizeof(HS_REQ) - 1, &seed, now);
				break;
			case 1:
				agent_frame(c, MSG_OUTPUT_STREAM, M.gap,
				    PT_HANDSHAKE_COMPLETE, HS_COMPLETE,
				    sizeof(HS_COMPLETE) - 1, &seed, now);
				break;
			case 2:
				if (i >= size)
					goto out;
				agent_ack(c, data[i++], &seed, now);
				break;
			default:
				agent_frame(c, op & 0x80 ?
				    MSG_START_PUBLICATION :
				    MSG_PAUSE_PUBLICATION, 0, PT_NONE, "", 0,
				    &seed, now);
				break;
			}
			break;
		}
	}
 out:
	/* Open: everything accepted in order reaches stdout once drained. */
	if (chan_state(c) == CHAN_OPEN && !M.off) {
		for (n = 0; n < 100000; n++) {
			consume(c, SIZE_MAX, now);
			if (chan_stdout(c, &o) == 0)
				break;
		}
		if (M.got_len != M.want_len)
			abort();
	}
	(void)chan_error(c, &txt);
	if (txt == NULL)
		abort();
	chan_free(c);
	model_reset();
	return 0;
}
