/*
 * Unit tests for protocol/chan*.c: the handshake, acknowledgements, the
 * reorder buffer, backpressure, timers, and a long run against an
 * in-memory agent over a network that loses, duplicates, reorders and
 * delays messages in both directions.
 */
#include "test.h"
#include "buf.h"
#include "chan.h"
#include "msg.h"
#include "payload.h"
#include "vectors.h"

#define HS_REQ_PORT \
	"{\"AgentVersion\":\"3.3.987.0\",\"RequestedClientActions\":[" \
	"{\"ActionType\":\"SessionType\",\"ActionParameters\":{" \
	"\"SessionType\":\"Port\",\"Properties\":{\"portNumber\":\"22\"}}}]}"
#define HS_COMPLETE \
	"{\"HandshakeTimeToComplete\":123456789,\"CustomerMessage\":\"\"}"

static void
rand_bytes(void *arg, void *p, size_t len)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)test_rand();
}

static struct chan *
new_chan(struct chan_params *pp, uint64_t now)
{
	struct chan_params p;

	if (pp == NULL) {
		chan_params_default(&p);
		pp = &p;
	}
	pp->random = rand_bytes;
	pp->epoch_offset_ms = 1503434274948LL;
	return chan_new(pp, now);
}

/* Build an agent frame into a static buffer. */
static const uint8_t *
agent_frame(const char *type, int64_t seq, uint32_t pt, const void *payload,
    size_t len, size_t *flen)
{
	static struct buf b;
	struct msg_out o;
	uint8_t id[16];

	buf_release(&b);
	buf_init(&b, 2 * 1024 * 1024);
	rand_bytes(NULL, id, sizeof(id));
	msg_uuid_make_v4(id);
	memset(&o, 0, sizeof(o));
	o.message_type = type;
	o.sequence_number = seq;
	o.flags = seq == 0 ? MSG_FLAG_SYN : 0;
	o.created_date = 1503434274948ULL;
	o.message_id = id;
	o.payload_type = pt;
	o.payload = payload;
	o.payload_length = len;
	if (msg_encode(&b, &o) != 0)
		abort();
	*flen = buf_len(&b);
	return buf_ptr(&b);
}

static int
feed(struct chan *c, const char *type, int64_t seq, uint32_t pt,
    const char *payload, uint64_t now)
{
	const uint8_t *f;
	size_t n;

	f = agent_frame(type, seq, pt, payload, strlen(payload), &n);
	return chan_recv(c, f, n, now);
}

static int
feed_ack(struct chan *c, int64_t seq, uint64_t now)
{
	struct pl_ack a;
	struct buf b;
	char json[256];
	int r;

	memset(&a, 0, sizeof(a));
	a.message_type = (char *)"input_stream_data";
	a.message_id = (char *)"dd01e56b-ff48-483e-a508-b5f073f31b16";
	a.sequence_number = seq;
	a.is_sequential = 1;
	buf_init(&b, sizeof(json) - 1);
	if (pl_encode_ack(&b, &a) != 0)
		abort();
	memcpy(json, buf_ptr(&b), buf_len(&b));
	json[buf_len(&b)] = '\0';
	buf_release(&b);
	r = feed(c, MSG_ACKNOWLEDGE, 0, PT_NONE, json, now);
	return r;
}

/* Pop the next output frame, decoded; 0 if there was one. */
static int
pop(struct chan *c, struct msg *m, uint8_t *copy, size_t *copylen,
    uint64_t now)
{
	const uint8_t *f;
	size_t n;

	if (chan_output(c, &f, &n) != 0)
		return -1;
	memcpy(copy, f, n);
	*copylen = n;
	chan_output_done(c, now);
	return msg_decode(copy, n, m);
}

static int64_t
acked_seq(const struct msg *m)
{
	struct pl_ack a;
	int64_t s;

	if (strcmp(m->message_type, MSG_ACKNOWLEDGE) != 0 ||
	    pl_decode_ack(m->payload, m->payload_length, &a) != 0)
		return -1;
	s = a.sequence_number;
	pl_ack_free(&a);
	return s;
}

/* Open a channel through the handshake; the agent's seqs 0 and 1 used. */
static struct chan *
open_chan(struct chan_params *p, uint64_t now)
{
	struct chan *c = new_chan(p, now);
	uint8_t fb[4096];
	struct msg m;
	size_t n;

	if (c == NULL || feed(c, MSG_OUTPUT_STREAM, 0, PT_HANDSHAKE_REQUEST,
	    HS_REQ_PORT, now) != 0)
		abort();
	while (pop(c, &m, fb, &n, now) == 0)
		if (strcmp(m.message_type, MSG_INPUT_STREAM) == 0 &&
		    feed_ack(c, m.sequence_number, now) != 0)
			abort();
	if (feed(c, MSG_OUTPUT_STREAM, 1, PT_HANDSHAKE_COMPLETE, HS_COMPLETE,
	    now) != 0 || chan_state(c) != CHAN_OPEN)
		abort();
	while (pop(c, &m, fb, &n, now) == 0)
		;
	return c;
}

static void
test_handshake(void)
{
	static const char want[] = "{\"ClientVersion\":\"" CHAN_CLIENT_VERSION
	    "\",\"ProcessedClientActions\":[{\"ActionType\":\"SessionType\","
	    "\"ActionStatus\":1,\"ActionResult\":null,\"Error\":\"\"}],"
	    "\"Errors\":null}";
	struct chan *c = new_chan(NULL, 1000);
	uint8_t fb[4096];
	struct msg m;
	size_t n;
	const char *txt;

	CHECK(c != NULL, "chan_new");
	CHECK_EQ(chan_state(c), CHAN_HANDSHAKE, "starts in handshake");
	CHECK_EQ(chan_send_space(c), 0, "no stdin before the handshake");
	CHECK(pop(c, &m, fb, &n, 1000) == -1, "nothing to send at first");
	/* Data before HandshakeComplete is refused, not acked
	 * (protocol/PROTOCOL.md "Port sessions"). */
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 0, PT_OUTPUT, "early", 1000),
	    SP_ERR_REFUSED, "stream data before handshake refused");
	CHECK(pop(c, &m, fb, &n, 1000) == -1, "refused data is not acked");

	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 0, PT_HANDSHAKE_REQUEST,
	    HS_REQ_PORT, 1001), 0, "HandshakeRequest accepted");
	CHECK_STR(chan_agent_version(c), "3.3.987.0", "agent version kept");
	CHECK(pop(c, &m, fb, &n, 1002) == 0, "first output decodes");
	CHECK_STR(m.message_type, "acknowledge", "the ack goes first");
	CHECK_EQ(m.flags, 3, "ack flags SYN|FIN");
	CHECK_EQ(m.sequence_number, 0, "ack carries sequence 0");
	CHECK_EQ(acked_seq(&m), 0, "ack names agent seq 0");
	CHECK(pop(c, &m, fb, &n, 1002) == 0, "second output decodes");
	CHECK_STR(m.message_type, "input_stream_data", "then the response");
	CHECK_EQ(m.sequence_number, 0, "response is client seq 0");
	CHECK_EQ(m.payload_type, PT_HANDSHAKE_RESPONSE, "PayloadType 6");
	CHECK_EQ(m.flags, 0, "stream flags 0");
	CHECK_EQ(m.created_date, 1503434274948ULL + 1001,
	    "CreatedDate is the time the response was made");
	CHECK_MEM(m.payload, m.payload_length, want, strlen(want),
	    "HandshakeResponse bytes as the reference client's");
	CHECK((m.message_id[6] & 0xf0) == 0x40 &&
	    (m.message_id[8] & 0xc0) == 0x80, "message id is a v4 UUID");
	CHECK(pop(c, &m, fb, &n, 1002) == -1, "nothing more");
	CHECK_EQ(chan_idle(c), 0, "response awaits its ack");
	CHECK_EQ(feed_ack(c, 0, 1010), 0, "ack of the response");
	CHECK_EQ(chan_idle(c), 1, "idle after the ack");

	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 1, PT_HANDSHAKE_COMPLETE,
	    "{\"HandshakeTimeToComplete\":5,\"CustomerMessage\":\"hi there\"}",
	    1011), 0, "HandshakeComplete accepted");
	CHECK_EQ(chan_state(c), CHAN_OPEN, "open after HandshakeComplete");
	CHECK_STR(chan_customer_message(c), "hi there", "customer message");
	CHECK(pop(c, &m, fb, &n, 1012) == 0 && acked_seq(&m) == 1,
	    "HandshakeComplete acked");
	CHECK(chan_send_space(c) > 0, "stdin accepted once open");
	CHECK_EQ(chan_error(c, &txt), 0, "no error");
	chan_free(c);
}

static void
expect_refusal(const char *req, const char *errtext, const char *what)
{
	struct chan *c = new_chan(NULL, 0);
	struct pl_handshake_response hr;
	uint8_t fb[4096];
	struct msg m;
	size_t n;
	const char *txt;
	int found = 0;

	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 0, PT_HANDSHAKE_REQUEST, req, 0),
	    0, what);
	CHECK_EQ(chan_state(c), CHAN_FAILED, "unsupported request fails");
	CHECK_EQ(chan_error(c, &txt), SP_ERR_UNSUPPORTED, "error code");
	CHECK_STR(txt, errtext, "error text");
	while (pop(c, &m, fb, &n, 1) == 0) {
		if (m.payload_type != PT_HANDSHAKE_RESPONSE)
			continue;
		found = 1;
		CHECK(pl_decode_handshake_response(m.payload,
		    m.payload_length, &hr) == 0, "response decodes");
		CHECK(hr.n_actions >= 1 && hr.n_errors >= 1,
		    "failed action and Errors present");
		if (hr.n_errors >= 1)
			CHECK_STR(hr.errors[0], errtext, "Errors text");
		pl_handshake_response_free(&hr);
	}
	CHECK(found, "the failure is still answered (flushable)");
	chan_free(c);
}

static void
test_unsupported(void)
{
	expect_refusal("{\"AgentVersion\":\"3.3.987.0\",\"RequestedClientActions\":"
	    "[{\"ActionType\":\"SessionType\",\"ActionParameters\":{"
	    "\"SessionType\":\"Port\",\"Properties\":{\"portNumber\":\"22\","
	    "\"type\":\"LocalPortForwarding\",\"localPortNumber\":\"0\"}}}]}",
	    "multiplexed port forwarding (port session type "
	    "LocalPortForwarding) needs --via; use a document such "
	    "as AWS-StartSSHSession", "multiplexed port session refused");
	expect_refusal("{\"AgentVersion\":\"3.3.987.0\",\"RequestedClientActions\":"
	    "[{\"ActionType\":\"SessionType\",\"ActionParameters\":{"
	    "\"SessionType\":\"Port\",\"Properties\":{\"portNumber\":\"22\"}}},"
	    "{\"ActionType\":\"KMSEncryption\",\"ActionParameters\":{"
	    "\"KMSKeyId\":\"arn:aws:kms:us-east-1:1:key/x\"}}]}",
	    "KMSEncryption is not supported by ssm-proxy",
	    "KMSEncryption refused");
	expect_refusal("{\"AgentVersion\":\"3.3.987.0\",\"RequestedClientActions\":"
	    "[{\"ActionType\":\"SessionType\",\"ActionParameters\":{"
	    "\"SessionType\":\"Standard_Stream\"}}]}",
	    "session type Standard_Stream is not supported by ssm-proxy; use a "
	    "document such as AWS-StartSSHSession", "shell session refused");
	expect_refusal("{\"AgentVersion\":\"3.3.987.0\",\"RequestedClientActions\":"
	    "[{\"ActionType\":\"SessionType\",\"ActionParameters\":{"
	    "\"SessionType\":\"Port\"}},{\"ActionType\":\"Foo\"}]}",
	    "Unsupported action Foo", "unknown action refused");
}

/*
 * With accept_mux (--via) a LocalPortForwarding session is accepted and
 * says so; a plain port session is still accepted, and is not multiplexed.
 */
static void
test_accept_mux(void)
{
	static const char *props[] = {
	    "{\"portNumber\":\"22\",\"type\":\"LocalPortForwarding\","
	    "\"host\":\"db.internal\"}", "{\"portNumber\":\"22\"}" };
	struct pl_handshake_response hr;
	struct chan_params p;
	char req[512];
	uint8_t fb[4096];
	struct msg m;
	struct chan *c;
	size_t i, n;
	int ok;

	for (i = 0; i < 2; i++) {
		snprintf(req, sizeof(req), "{\"AgentVersion\":\"3.3.987.0\","
		    "\"RequestedClientActions\":[{\"ActionType\":"
		    "\"SessionType\",\"ActionParameters\":{\"SessionType\":"
		    "\"Port\",\"Properties\":%s}}]}", props[i]);
		chan_params_default(&p);
		p.accept_mux = 1;
		c = new_chan(&p, 0);
		CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 0, PT_HANDSHAKE_REQUEST,
		    req, 0), 0, "accept_mux: request taken");
		ok = 0;
		while (pop(c, &m, fb, &n, 1) == 0) {
			if (m.payload_type != PT_HANDSHAKE_RESPONSE)
				continue;
			memset(&hr, 0, sizeof(hr));
			ok = pl_decode_handshake_response(m.payload,
			    m.payload_length, &hr) == 0 && hr.n_actions == 1 &&
			    hr.actions[0].action_status == PL_STATUS_SUCCESS &&
			    hr.n_errors == 0;
			pl_handshake_response_free(&hr);
		}
		CHECK(ok, "accept_mux: ActionStatus 1, no Errors");
		CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 1, PT_HANDSHAKE_COMPLETE,
		    HS_COMPLETE, 2), 0, "accept_mux: complete");
		CHECK_EQ(chan_state(c), CHAN_OPEN, "accept_mux: open");
		CHECK_EQ(chan_port_mux(c), i == 0, i == 0 ?
		    "LocalPortForwarding is multiplexed" :
		    "no type: not multiplexed");
		chan_free(c);
	}
	/* Without accept_mux nothing is multiplexed (test_unsupported). */
	c = open_chan(NULL, 0);
	CHECK_EQ(chan_port_mux(c), 0, "plain session: not multiplexed");
	chan_free(c);
}

/*
 * Port sessions with a Properties.type other than LocalPortForwarding are
 * one plain stream on the agent (protocol/PROTOCOL.md "Port
 * sessions"): accepted, and they carry data.
 */
static void
test_port_types(void)
{
	static const char *types[] = { "\"Standard\"", "\"\"",
	    "\"localportforwarding\"", "\"LocalPortForwarding \"",
	    "\"InteractiveCommands\"" };
	struct pl_handshake_response hr;
	char req[512], what[120];
	const uint8_t *out;
	uint8_t fb[4096];
	struct msg m;
	struct chan *c;
	size_t i, n;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(req, sizeof(req), "{\"AgentVersion\":\"3.3.987.0\","
		    "\"RequestedClientActions\":[{\"ActionType\":"
		    "\"SessionType\",\"ActionParameters\":{\"SessionType\":"
		    "\"Port\",\"Properties\":{\"portNumber\":\"22\","
		    "\"type\":%s}}}]}", types[i]);
		c = new_chan(NULL, 0);
		memset(&hr, 0, sizeof(hr));
		snprintf(what, sizeof(what), "type %s: request taken",
		    types[i]);
		CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 0, PT_HANDSHAKE_REQUEST,
		    req, 0), 0, what);
		CHECK(pop(c, &m, fb, &n, 1) == 0 && acked_seq(&m) == 0,
		    "acked");
		snprintf(what, sizeof(what), "type %s: ActionStatus 1",
		    types[i]);
		CHECK(pop(c, &m, fb, &n, 1) == 0 &&
		    m.payload_type == PT_HANDSHAKE_RESPONSE &&
		    pl_decode_handshake_response(m.payload, m.payload_length,
		    &hr) == 0 && hr.n_actions == 1 &&
		    hr.actions[0].action_status == PL_STATUS_SUCCESS &&
		    hr.n_errors == 0, what);
		pl_handshake_response_free(&hr);
		CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 1, PT_HANDSHAKE_COMPLETE,
		    HS_COMPLETE, 2), 0, "complete");
		snprintf(what, sizeof(what), "type %s: open, data flows",
		    types[i]);
		CHECK(chan_state(c) == CHAN_OPEN &&
		    feed(c, MSG_OUTPUT_STREAM, 2, PT_OUTPUT, "SSH-2.0-x\r\n",
		    3) == 0 && chan_stdout(c, &out) == 11 &&
		    memcmp(out, "SSH-2.0-x\r\n", 11) == 0 &&
		    chan_send(c, "SSH-2.0-y\r\n", 11, 3) == 0, what);
		chan_free(c);
	}
}

static void
test_stream_rules(void)
{
	struct chan_params p;
	struct chan *c;
	uint8_t fb[4096];
	struct msg m;
	const uint8_t *out;
	size_t n, k;
	struct chan_stats st;

	chan_params_default(&p);
	p.stdout_max = 8;
	c = open_chan(&p, 0);
	/* Out of order: 3 before 2; both acked, delivered in order. */
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 3, PT_OUTPUT, "cd", 5), 0,
	    "seq 3 buffered");
	CHECK(pop(c, &m, fb, &n, 5) == 0 && acked_seq(&m) == 3,
	    "buffered message acked at once");
	CHECK_EQ(chan_stdout(c, &out), 0, "nothing delivered past a gap");
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 2, PT_OUTPUT, "ab", 6), 0,
	    "seq 2 fills the gap");
	k = chan_stdout(c, &out);
	CHECK_MEM(out, k, "abcd", 4, "delivered in order");
	CHECK(pop(c, &m, fb, &n, 6) == 0 && acked_seq(&m) == 2, "seq 2 acked");
	/* Duplicates are re-acked and not delivered twice. */
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 2, PT_OUTPUT, "ab", 7), 0,
	    "duplicate handled");
	CHECK(pop(c, &m, fb, &n, 7) == 0 && acked_seq(&m) == 2,
	    "duplicate re-acked");
	CHECK_EQ(chan_stdout(c, &out), 4, "duplicate not delivered");
	/* stdout full: the next in-order message is refused unacked. */
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 4, PT_OUTPUT, "efghijk", 8),
	    SP_ERR_REFUSED, "stdout backpressure refuses");
	CHECK(pop(c, &m, fb, &n, 8) == -1, "refused message not acked");
	/* Less room than a message (chunk_size, here all of stdout_max):
	 * stop reading, or every message read would be refused and resent
	 * one at a time (a reader that leaves a few bytes, as --via's smux
	 * decoder does, would crawl). */
	CHECK_EQ(chan_can_recv(c), 0, "no room for a message: stop reading");
	chan_stdout_consume(c, 4, 9);
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 4, PT_OUTPUT, "efghijk", 10), 0,
	    "accepted after stdout drained");
	CHECK_EQ(chan_can_recv(c), 0, "7 of 8: no room for a message");
	/* A buffered (acked) message waits while stdout is full. */
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 6, PT_OUTPUT, "MN", 11), 0,
	    "seq 6 buffered");
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 5, PT_OUTPUT, "L", 11), 0,
	    "seq 5 fits");
	CHECK_EQ(chan_can_recv(c), 0, "at the mark: stop reading");
	k = chan_stdout(c, &out);
	CHECK_MEM(out, k, "efghijkL", 8, "seq 6 held back");
	chan_stdout_consume(c, 8, 12);
	k = chan_stdout(c, &out);
	CHECK_MEM(out, k, "MN", 2, "seq 6 delivered after drain");
	chan_get_stats(c, &st);
	CHECK_EQ(st.duplicates, 1, "duplicate counted");
	CHECK_EQ(st.bytes_in, 14, "bytes in counted");
	/* Frames failing validation are dropped, not fatal. */
	{
		const uint8_t *f;
		uint8_t bad[2048];

		f = agent_frame(MSG_OUTPUT_STREAM, 7, PT_OUTPUT, "zz", 2, &n);
		memcpy(bad, f, n);
		bad[n - 1] ^= 1;
		CHECK_EQ(chan_recv(c, bad, n, 13), SP_ERR_DIGEST,
		    "bad digest dropped");
		CHECK_EQ(chan_recv(c, bad, 50, 13), SP_ERR_INCOMPLETE,
		    "truncated frame dropped");
		CHECK_EQ(chan_state(c), CHAN_OPEN, "still open");
	}
	CHECK_EQ(feed(c, "agent_task_reply", 0, 0, "{}", 14), SP_ERR_IGNORED,
	    "unknown type ignored");
	chan_free(c);
}

static void
test_reorder_limits(void)
{
	struct chan_params p;
	struct chan *c;
	uint8_t fb[4096];
	struct msg m;
	size_t n;
	char big[600];

	chan_params_default(&p);
	p.recv_window = 1000;
	c = open_chan(&p, 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 5, PT_OUTPUT, big, 1), 0,
	    "first out-of-order message fits");
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 6, PT_OUTPUT, big, 1),
	    SP_ERR_REFUSED, "second does not: dropped unacked");
	CHECK(pop(c, &m, fb, &n, 1) == 0 && acked_seq(&m) == 5, "5 acked");
	CHECK(pop(c, &m, fb, &n, 1) == -1, "6 not acked");
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 1000000, PT_OUTPUT, "x", 1),
	    SP_ERR_REFUSED, "far-future message dropped unacked");
	chan_free(c);
}

/* Feed an Output message of n bytes of byte ch. */
static int
feed_n(struct chan *c, int64_t seq, int ch, size_t n, uint64_t now)
{
	char b[1024];

	if (n >= sizeof(b))
		abort();
	memset(b, ch, n);
	b[n] = '\0';
	return feed(c, MSG_OUTPUT_STREAM, seq, PT_OUTPUT, b, now);
}

/* Move stdout into got; return the bytes moved. */
static size_t
take_stdout(struct chan *c, struct buf *got, uint64_t now)
{
	const uint8_t *o;
	size_t n, all = 0;

	while ((n = chan_stdout(c, &o)) > 0) {
		if (buf_put(got, o, n) != 0)
			abort();
		chan_stdout_consume(c, n, now);
		all += n;
	}
	return all;
}

/*
 * Issue 12: a message held in the reorder buffer (acknowledged) while
 * stdout is full, then sent again with other bytes, must not be delivered
 * directly beside its held copy: that left the slot behind, and the
 * message 32 numbers later, which maps to the same slot, was acknowledged
 * as a duplicate and never delivered.  The first accepted payload of each
 * sequence number is the one delivered, once, in order.
 */
static void
test_reorder_slot_reuse(void)
{
	struct chan_params p;
	struct chan *c;
	struct buf got, want;
	const uint8_t *o;
	char three[3];
	size_t k;
	int64_t s;
	int ok = 1;

	chan_params_default(&p);
	p.stdout_max = 100;
	p.recv_window = 1024;		/* 1024 / 64 + 16 = 32 slots */
	c = open_chan(&p, 0);		/* next agent seq: 2 */
	buf_init(&got, 1 << 20);
	buf_init(&want, 1 << 20);
	CHECK_EQ(feed_n(c, 3, 'B', 50, 1), 0, "seq 3 held");
	CHECK_EQ(feed_n(c, 2, 'A', 90, 2), 0, "seq 2 delivered");
	CHECK_EQ(chan_stdout(c, &o), 90,
	    "seq 3 waits: stdout is full");
	CHECK_EQ(feed_n(c, 3, 'b', 5, 3), 0,
	    "seq 3 again, other bytes: acknowledged");
	CHECK_EQ(chan_stdout(c, &o), 90,
	    "the copy sent again is not delivered beside the held one");
	CHECK_EQ(take_stdout(c, &got, 4), 140, "the held copy follows");
	for (k = 0; k < 140; k++)
		(void)!buf_put(&want, k < 90 ? "A" : "B", 1);
	/* Seq 35 uses seq 3's slot: held while 4..34 are missing. */
	CHECK_EQ(feed_n(c, 35, 'z', 7, 5), 0, "seq 35 held");
	for (s = 4; s < 35; s++) {
		if (feed_n(c, s, 'a' + (int)(s % 26), 3, 6) != 0)
			ok = 0;
		take_stdout(c, &got, 6);
		memset(three, 'a' + (int)(s % 26), sizeof(three));
		(void)!buf_put(&want, three, sizeof(three));
	}
	CHECK(ok, "seqs 4 to 34 accepted");
	(void)!buf_put(&want, "zzzzzzz", 7);
	CHECK_EQ(feed_n(c, 36, 'y', 2, 7), 0, "seq 36 accepted");
	take_stdout(c, &got, 8);
	(void)!buf_put(&want, "yy", 2);
	CHECK_MEM(buf_ptr(&got), buf_len(&got), buf_ptr(&want),
	    buf_len(&want), "every seq once, in order, first payload");
	CHECK_EQ(chan_state(c), CHAN_OPEN, "still open");
	buf_release(&got);
	buf_release(&want);
	chan_free(c);
}

static void
test_rto(void)
{
	double rtt, var, rto, sample, w_rtt, w_var, w_rto;
	char what[80];
	struct chan *c;
	struct chan_stats st;
	uint8_t fb[4096], first[4096];
	struct msg m;
	size_t n, n1;

	/* T1: one update from the initial state (T1.txt). */
	if (sscanf(vec_line("T1.txt", "before"), "%lf %lf %lf", &rtt, &var,
	    &rto) != 3 ||
	    sscanf(vec_line("T1.txt", "sample"), "%lf", &sample) != 1 ||
	    sscanf(vec_line("T1.txt", "after"), "%lf %lf %lf", &w_rtt, &w_var,
	    &w_rto) != 3)
		vec_bail("T1.txt", "a line is malformed");
	chan_rtt_update(&rtt, &var, &rto, sample);
	snprintf(what, sizeof(what), "T1 RTTVAR %g ms", w_var);
	CHECK(var == w_var, what);
	snprintf(what, sizeof(what), "T1 RTT %g ms", w_rtt);
	CHECK(rtt == w_rtt, what);
	snprintf(what, sizeof(what), "T1 RTO %g ms", w_rto);
	CHECK(rto == w_rto, what);
	rtt = 100; var = 0;
	chan_rtt_update(&rtt, &var, &rto, 5000);
	CHECK(rto == 1000.0, "RTO capped at 1 s");

	/* The same through the channel: send at 1000, ack at 1140. */
	c = open_chan(NULL, 0);
	CHECK(chan_send(c, "hello", 5, 1000) == 0, "send");
	CHECK(pop(c, &m, first, &n1, 1000) == 0, "data out");
	CHECK_EQ(m.sequence_number, 1, "first data is client seq 1");
	CHECK_EQ(m.payload_type, PT_OUTPUT, "PayloadType 1");
	CHECK_EQ(feed_ack(c, 1, 1140), 0, "ack after 140 ms");
	chan_get_stats(c, &st);
	/* The handshake response was acked at once: one sample of 0 first. */
	CHECK(st.rto_ms > 0 && st.rto_ms <= 1000, "RTO in range");

	/* Resend: unacked message goes again, identical, after RTO. */
	CHECK(chan_send(c, "again", 5, 2000) == 0, "send 2");
	CHECK(pop(c, &m, first, &n1, 2000) == 0, "data 2 out");
	CHECK_EQ(chan_deadline(c), 2000 + (uint64_t)st.rto_ms + 1,
	    "deadline is last sent + RTO + 1");
	chan_tick(c, 2000 + (uint64_t)st.rto_ms);
	CHECK(pop(c, &m, fb, &n, 2000) == -1, "not yet overdue");
	chan_tick(c, chan_deadline(c));
	CHECK(pop(c, &m, fb, &n, chan_deadline(c)) == 0,
	    "overdue message resent");
	CHECK_MEM(fb, n, first, n1, "resent bytes identical");
	chan_get_stats(c, &st);
	CHECK_EQ(st.resends, 1, "resend counted");
	CHECK_EQ(feed_ack(c, 2, 3000), 0, "acked");
	CHECK_EQ(chan_idle(c), 1, "idle");
	CHECK_EQ(chan_deadline(c), UINT64_MAX, "no timer when idle");
	chan_free(c);
}

static void
test_fast_retransmit(void)
{
	struct chan *c = open_chan(NULL, 0);
	uint8_t fb[4096], first[4096];
	struct msg m;
	size_t n, n1;

	CHECK(chan_send(c, "one", 3, 10) == 0, "send one");
	CHECK(pop(c, &m, first, &n1, 10) == 0 && m.sequence_number == 1,
	    "seq 1 out");
	CHECK(chan_send(c, "two", 3, 11) == 0, "send two");
	CHECK(pop(c, &m, fb, &n, 11) == 0 && m.sequence_number == 2,
	    "seq 2 out");
	CHECK(pop(c, &m, fb, &n, 11) == -1, "nothing more");
	/* The agent acks 2 but not 1 (it refused 1): resend 1 at once. */
	CHECK_EQ(feed_ack(c, 2, 20), 0, "ack of seq 2");
	CHECK(pop(c, &m, fb, &n, 20) == 0, "fast retransmit");
	CHECK_MEM(fb, n, first, n1, "seq 1 sent again, identical, before RTO");
	CHECK(chan_send(c, "three", 5, 21) == 0, "send three");
	CHECK(pop(c, &m, fb, &n, 21) == 0 && m.sequence_number == 3,
	    "seq 3 out");
	CHECK_EQ(feed_ack(c, 3, 22), 0, "ack of seq 3");
	CHECK(pop(c, &m, fb, &n, 22) == -1,
	    "only one fast retransmit per message");
	CHECK_EQ(feed_ack(c, 1, 30), 0, "ack of seq 1");
	CHECK_EQ(chan_idle(c), 1, "all acked");
	chan_free(c);
}

static void
test_timeouts(void)
{
	struct chan_params p;
	struct chan *c;
	uint8_t fb[4096];
	struct msg m;
	size_t n;
	const char *txt;

	c = new_chan(NULL, 100);
	CHECK_EQ(chan_deadline(c), 100 + 30000, "handshake deadline");
	chan_tick(c, 100 + 29999);
	CHECK_EQ(chan_state(c), CHAN_HANDSHAKE, "not yet");
	chan_tick(c, 100 + 30000);
	CHECK_EQ(chan_state(c), CHAN_FAILED, "handshake timeout");
	CHECK_EQ(chan_error(c, &txt), SP_ERR_TIMEOUT, "timeout code");
	CHECK_STR(txt, "no handshake from the agent", "timeout text");
	chan_free(c);

	chan_params_default(&p);
	p.progress_timeout_ms = 5000;
	c = open_chan(&p, 0);
	CHECK(chan_send(c, "x", 1, 10) == 0, "send");
	CHECK(pop(c, &m, fb, &n, 10) == 0, "out");
	while (chan_state(c) == CHAN_OPEN) {
		uint64_t d = chan_deadline(c);

		if (d > 100000)
			break;
		chan_tick(c, d);
		while (pop(c, &m, fb, &n, d) == 0)
			;
	}
	CHECK_EQ(chan_state(c), CHAN_FAILED, "no progress fails");
	CHECK_EQ(chan_error(c, &txt), SP_ERR_TIMEOUT, "progress timeout");
	CHECK_STR(txt, "the agent acknowledged nothing for 5 s "
	    "(--progress-timeout): giving up",
	    "progress text");
	chan_free(c);
}

static void
test_window_pause_close(void)
{
	struct chan_params p;
	struct chan *c;
	uint8_t fb[4096], data[4096];
	struct msg m;
	size_t n, i, space;
	int sent = 0;

	chan_params_default(&p);
	p.send_window = 4096;
	p.chunk_size = 1024;
	c = open_chan(&p, 0);
	space = chan_send_space(c);
	CHECK_EQ(space, 4096, "window open");
	memset(data, 'a', sizeof(data));
	CHECK(chan_send(c, data, 4096, 1) == 0, "fill the window");
	CHECK_EQ(chan_send_space(c), 0, "window full: stop reading stdin");
	CHECK(chan_send(c, data, 1, 1) == SP_ERR_NO_SPACE, "overfill refused");
	for (i = 0; i < 4; i++)
		sent += pop(c, &m, fb, &n, 2) == 0 && m.payload_length == 1024;
	CHECK_EQ(sent, 4, "four 1024-byte messages");
	CHECK_EQ(feed_ack(c, 2, 3), 0, "ack the second only");
	CHECK_EQ(chan_send_space(c), 1024, "selective ack frees its bytes");

	/* pause_publication: data holds, acks still go. */
	CHECK_EQ(feed(c, MSG_PAUSE_PUBLICATION, 0, 0, "", 4), 0, "pause");
	CHECK(chan_send(c, data, 10, 4) == 0, "stdin still buffered");
	CHECK(pop(c, &m, fb, &n, 4) == -1, "nothing sent while paused");
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 2, PT_OUTPUT, "x", 5), 0,
	    "agent data while paused");
	CHECK(pop(c, &m, fb, &n, 5) == 0 && acked_seq(&m) == 2,
	    "ack sent; stream data resumes (agent rule)");
	CHECK(pop(c, &m, fb, &n, 5) == 0 && m.sequence_number == 1,
	    "the fast retransmit the ack of 2 asked for goes first");
	CHECK(pop(c, &m, fb, &n, 5) == 0 && m.sequence_number == 5,
	    "held data goes out after resume");
	CHECK_EQ(feed(c, MSG_PAUSE_PUBLICATION, 0, 0, "", 6), 0, "pause");
	CHECK_EQ(feed(c, MSG_START_PUBLICATION, 0, 0, "", 7), 0, "start");

	/* Reconnect: everything unacked goes again in order. */
	chan_reconnected(c, 8);
	{
		int64_t want[] = { 1, 3, 4, 5 }, got[8];
		size_t k = 0;

		while (k < 8 && pop(c, &m, fb, &n, 9) == 0)
			got[k++] = m.sequence_number;
		CHECK(k >= 4 && got[0] == want[0] && got[1] == want[1] &&
		    got[2] == want[2] && got[3] == want[3],
		    "unacked resent in order, acked one skipped");
	}

	/* Terminate flag with a new agent. */
	CHECK_EQ(chan_terminate(c, 10), 0, "terminate flag queued");
	{
		int seen = 0;

		while (pop(c, &m, fb, &n, 10) == 0)
			if (m.payload_type == PT_FLAG && m.payload_length == 4 &&
			    memcmp(m.payload, "\0\0\0\2", 4) == 0)
				seen = 1;
		CHECK(seen, "Flag TerminateSession (PayloadType 10, 2) sent");
	}

	/* channel_closed with HL 112 and NUL padding (layout of
	 * tests/vectors/channel/V6.hex; test_msg.c checks its bytes). */
	{
		const char *v6pl = vec_str("V6.json");
		const uint8_t *hf;
		struct buf vb;
		size_t hn;

		/* Take a normal frame and cut PayloadType out of it. */
		hf = agent_frame(MSG_CHANNEL_CLOSED, 0, 0, v6pl,
		    strlen(v6pl), &hn);
		buf_init(&vb, 4096);
		CHECK(buf_put_u32(&vb, 112) == 0 &&
		    buf_put(&vb, hf + 4, 14) == 0 &&
		    buf_put(&vb, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 18) == 0 &&
		    buf_put(&vb, hf + 36, 112 - 36) == 0 &&
		    buf_put(&vb, hf + 116, hn - 116) == 0, "HL 112 frame");
		CHECK_EQ(chan_recv(c, buf_ptr(&vb), buf_len(&vb), 11), 0,
		    "HL 112 channel_closed accepted");
		buf_release(&vb);
	}
	CHECK_EQ(chan_state(c), CHAN_CLOSED, "closed");
	CHECK_STR(chan_close_output(c), "", "empty Output");
	chan_free(c);

	/* Old agent: no flag, use the API. */
	c = new_chan(NULL, 0);
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 0, PT_HANDSHAKE_REQUEST,
	    "{\"AgentVersion\":\"2.3.722.0\",\"RequestedClientActions\":[{"
	    "\"ActionType\":\"SessionType\",\"ActionParameters\":{"
	    "\"SessionType\":\"Port\",\"Properties\":{\"portNumber\":\"22\"}}}"
	    "]}", 0), 0, "old agent handshake");
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 1, PT_HANDSHAKE_COMPLETE,
	    HS_COMPLETE, 0), 0, "complete");
	CHECK_EQ(chan_terminate(c, 1), SP_ERR_UNSUPPORTED,
	    "agent 2.3.722.0 gets no flag");
	CHECK_EQ(feed(c, MSG_CHANNEL_CLOSED, 0, 0,
	    "{\"MessageType\":\"channel_closed\",\"Output\":\"Session idle\"}",
	    2), 0, "channel_closed");
	CHECK_STR(chan_close_output(c), "Session idle", "Output kept");
	chan_free(c);
}

/*
 * pause_publication is advisory (protocol/PROTOCOL.md "Streams,
 * acknowledgements, retransmission"): when the start_publication is
 * lost, the oldest unacknowledged message goes again once per RTO while
 * paused, one at a time, and an ack or stream data resumes everything.
 */
static void
test_pause_lost_start(void)
{
	struct chan *c = open_chan(NULL, 0);
	struct chan_stats st;
	uint8_t fb[4096], first[4096];
	struct msg m;
	size_t n, n1;
	uint64_t d, rto;

	CHECK(chan_send(c, "one", 3, 10) == 0, "send one");
	CHECK(pop(c, &m, first, &n1, 10) == 0 && m.sequence_number == 1,
	    "seq 1 out");
	CHECK_EQ(feed(c, MSG_PAUSE_PUBLICATION, 0, 0, "", 20), 0, "pause");
	CHECK(chan_send(c, "two", 3, 20) == 0, "stdin still taken");
	CHECK(pop(c, &m, fb, &n, 20) == -1, "nothing new while paused");
	chan_get_stats(c, &st);
	rto = (uint64_t)st.rto_ms;
	d = chan_deadline(c);
	CHECK_EQ(d, 20 + rto + 1, "probe due an RTO after the pause");
	chan_tick(c, d - 1);
	CHECK(pop(c, &m, fb, &n, d - 1) == -1, "no probe before");
	chan_tick(c, d);
	CHECK(pop(c, &m, fb, &n, d) == 0, "probe at RTO while paused");
	CHECK_MEM(fb, n, first, n1, "the probe is seq 1, unchanged");
	CHECK(pop(c, &m, fb, &n, d) == -1, "one message, not the queue");
	CHECK_EQ(chan_deadline(c), d + rto + 1, "next probe an RTO later");
	chan_tick(c, d + rto + 1);
	CHECK(pop(c, &m, fb, &n, d + rto + 1) == 0 &&
	    m.sequence_number == 1, "probe again");
	CHECK(pop(c, &m, fb, &n, d + rto + 1) == -1, "still one at a time");
	/* The probe's ack resumes: the data queued meanwhile goes. */
	CHECK_EQ(feed_ack(c, 1, d + rto + 5), 0, "ack of seq 1");
	CHECK(pop(c, &m, fb, &n, d + rto + 5) == 0 &&
	    m.sequence_number == 2 && m.payload_length == 3 &&
	    memcmp(m.payload, "two", 3) == 0,
	    "an ack resumes: seq 2 (queued while paused) out");
	CHECK_EQ(feed_ack(c, 2, d + rto + 6), 0, "ack of seq 2");
	CHECK_EQ(chan_idle(c), 1, "idle");
	CHECK_EQ(chan_deadline(c), UINT64_MAX, "no probe when idle");

	/* Paused with nothing written: data queued during the pause is the
	 * probe; stream data from the agent resumes too. */
	chan_get_stats(c, &st);
	rto = (uint64_t)st.rto_ms;
	CHECK_EQ(feed(c, MSG_PAUSE_PUBLICATION, 0, 0, "", 2000), 0,
	    "pause again");
	CHECK_EQ(chan_deadline(c), UINT64_MAX, "nothing to probe with");
	CHECK(chan_send(c, "three", 5, 2001) == 0, "send three");
	CHECK(pop(c, &m, fb, &n, 2001) == -1, "held while paused");
	d = chan_deadline(c);
	CHECK_EQ(d, 2000 + rto + 1, "probe due");
	chan_tick(c, d);
	CHECK(pop(c, &m, fb, &n, d) == 0 && m.sequence_number == 3,
	    "a message never written is the probe");
	CHECK(chan_send(c, "four", 4, d) == 0, "send four");
	CHECK(pop(c, &m, fb, &n, d) == -1, "four held");
	CHECK_EQ(feed(c, MSG_OUTPUT_STREAM, 2, PT_OUTPUT, "x", d + 1), 0,
	    "agent data");
	CHECK(pop(c, &m, fb, &n, d + 1) == 0 && acked_seq(&m) == 2,
	    "its ack");
	CHECK(pop(c, &m, fb, &n, d + 1) == 0 && m.sequence_number == 4,
	    "stream data resumes: four out");
	CHECK_EQ(chan_state(c), CHAN_OPEN, "open throughout");
	chan_free(c);
}

static void
test_versions(void)
{
	CHECK(chan_version_gt("3.3.987.0", "2.3.722.0"), "3.3 > 2.3");
	CHECK(!chan_version_gt("2.3.722.0", "2.3.722.0"), "equal is not >");
	CHECK(chan_version_gt("2.3.722.1", "2.3.722.0"), "last part");
	CHECK(chan_version_gt("10.0.0.0", "9.9.9.9"), "numeric not text");
	CHECK(!chan_version_gt("3.3.987", "2.3.722.0"), "differing lengths");
	CHECK(!chan_version_gt("3.x.1.0", "2.3.722.0"), "junk");
	CHECK(!chan_version_gt("", "2.3.722.0"), "empty");
	CHECK(!chan_version_gt("3.3.987.0.", "2.3.722.0"), "trailing dot");
	CHECK(!chan_version_gt("3.3.9999999999.0", "2.3.722.0"), "overlong");
}

/*
 * The long run: an agent model and a faulty network in both directions,
 * driven by simulated time.  Whatever the faults, each side receives
 * exactly the bytes the other sent.
 */
#define NET_MAX 20000

struct pkt {
	uint64_t	 at;
	uint8_t		*data;
	size_t		 len;
};

struct net {
	struct pkt	 q[NET_MAX];
	size_t		 n;
	int		 drop, dup, delay;	/* percent, percent, max ms */
};

static void
net_put(struct net *nt, const uint8_t *p, size_t len, uint64_t now)
{
	int copies = 1, i;

	if ((int)(test_rand() % 100) < nt->drop)
		return;
	if ((int)(test_rand() % 100) < nt->dup)
		copies = 2;
	for (i = 0; i < copies && nt->n < NET_MAX; i++) {
		struct pkt *k = &nt->q[nt->n++];

		k->at = now + 1 + (nt->delay ? test_rand() % nt->delay : 0);
		k->data = malloc(len);
		memcpy(k->data, p, len);
		k->len = len;
	}
}

/* Take the first due packet in arrival order (delays reorder them). */
static int
net_get(struct net *nt, uint64_t now, struct pkt *out)
{
	size_t i, best = nt->n;

	for (i = 0; i < nt->n; i++)
		if (nt->q[i].at <= now &&
		    (best == nt->n || nt->q[i].at < nt->q[best].at))
			best = i;
	if (best == nt->n)
		return -1;
	*out = nt->q[best];
	nt->q[best] = nt->q[--nt->n];
	return 0;
}

static uint64_t
net_next(const struct net *nt)
{
	uint64_t t = UINT64_MAX;
	size_t i;

	for (i = 0; i < nt->n; i++)
		if (nt->q[i].at < t)
			t = nt->q[i].at;
	return t;
}

struct agent {
	int64_t		 expected;	/* next client seq */
	struct buf	 got;		/* client stream received */
	int64_t		 next_seq;	/* our next seq */
	size_t		 sent_bytes;	/* of the agent's stream */
	struct {
		int64_t	 seq;
		uint8_t	*frame;
		size_t	 len;
		uint64_t last;
	} un[4096];
	size_t		 nun;
	uint8_t		*reo[8192];	/* out-of-order client payloads */
	size_t		 reolen[8192];
};

static void
agent_send(struct agent *a, struct net *to, uint32_t pt, const void *p,
    size_t len, uint64_t now)
{
	const uint8_t *f;
	size_t n;

	f = agent_frame(MSG_OUTPUT_STREAM, a->next_seq, pt, p, len, &n);
	a->un[a->nun].seq = a->next_seq++;
	a->un[a->nun].frame = malloc(n);
	memcpy(a->un[a->nun].frame, f, n);
	a->un[a->nun].len = n;
	a->un[a->nun].last = now;
	a->nun++;
	net_put(to, f, n, now);
}

static void
agent_ack(struct net *to, const struct msg *m, uint64_t now)
{
	struct pl_ack ak;
	struct buf b;
	char id[37];
	const uint8_t *f;
	size_t n;

	msg_uuid_to_str(m->message_id, id);
	memset(&ak, 0, sizeof(ak));
	ak.message_type = (char *)"input_stream_data";
	ak.message_id = id;
	ak.sequence_number = m->sequence_number;
	ak.is_sequential = 1;
	buf_init(&b, 1024);
	if (pl_encode_ack(&b, &ak) != 0)
		abort();
	f = agent_frame(MSG_ACKNOWLEDGE, 0, 0, buf_ptr(&b), buf_len(&b), &n);
	net_put(to, f, n, now);
	buf_release(&b);
}

static void
agent_recv(struct agent *a, struct net *to, const uint8_t *p, size_t len,
    uint64_t now, int *handshake_done)
{
	struct msg m;
	int64_t s;
	size_t i;

	if (msg_decode(p, len, &m) != 0)
		abort();
	if (strcmp(m.message_type, MSG_ACKNOWLEDGE) == 0) {
		s = acked_seq(&m);
		for (i = 0; i < a->nun; i++)
			if (a->un[i].seq == s) {
				free(a->un[i].frame);
				a->un[i] = a->un[--a->nun];
				break;
			}
		return;
	}
	s = m.sequence_number;
	if (s < a->expected) {
		agent_ack(to, &m, now);
		return;
	}
	if (s > a->expected) {
		if (s - a->expected < 8192 && a->reo[s % 8192] == NULL) {
			a->reo[s % 8192] = malloc(m.payload_length + 1);
			memcpy(a->reo[s % 8192], m.payload, m.payload_length);
			a->reolen[s % 8192] = m.payload_length;
			/* Keep the payload type in the first stored byte? No:
			 * after the handshake only type 1 is sent. */
		}
		agent_ack(to, &m, now);
		return;
	}
	agent_ack(to, &m, now);
	if (m.payload_type == PT_HANDSHAKE_RESPONSE) {
		agent_send(a, to, PT_HANDSHAKE_COMPLETE, HS_COMPLETE,
		    strlen(HS_COMPLETE), now);
		*handshake_done = 1;
	} else if (m.payload_type == PT_OUTPUT) {
		if (buf_put(&a->got, m.payload, m.payload_length) != 0)
			abort();
	}
	a->expected++;
	while (a->reo[a->expected % 8192] != NULL) {
		if (buf_put(&a->got, a->reo[a->expected % 8192],
		    a->reolen[a->expected % 8192]) != 0)
			abort();
		free(a->reo[a->expected % 8192]);
		a->reo[a->expected % 8192] = NULL;
		a->expected++;
	}
}

static void
run_lossy(int drop, int dup, int delay, size_t nbytes, const char *what)
{
	static struct net up, down;
	static struct agent ag;
	struct chan_params p;
	struct chan *c;
	uint8_t *src_up, *src_down, fb[4096];
	struct buf client_got;
	const uint8_t *f, *o;
	struct pkt k;
	size_t up_off = 0, n, i;
	uint64_t now = 0, t, d;
	int hs = 0, steps = 0;

	memset(&up, 0, sizeof(up));
	memset(&down, 0, sizeof(down));
	memset(&ag, 0, sizeof(ag));
	up.drop = down.drop = drop;
	up.dup = down.dup = dup;
	up.delay = down.delay = delay;
	buf_init(&ag.got, nbytes + 1);
	buf_init(&client_got, nbytes + 1);
	src_up = malloc(nbytes);
	src_down = malloc(nbytes);
	for (i = 0; i < nbytes; i++) {
		src_up[i] = (uint8_t)test_rand();
		src_down[i] = (uint8_t)test_rand();
	}
	chan_params_default(&p);
	p.send_window = 64 * 1024;
	p.stdout_max = 16 * 1024;
	p.progress_timeout_ms = 3600 * 1000;
	p.handshake_timeout_ms = 3600 * 1000;
	c = new_chan(&p, now);
	agent_send(&ag, &down, PT_HANDSHAKE_REQUEST, HS_REQ_PORT,
	    strlen(HS_REQ_PORT), now);

	while (steps++ < 2000000) {
		/* Client: stdin in, websocket out, stdout out. */
		if (up_off < nbytes && (n = chan_send_space(c)) > 0) {
			if (n > nbytes - up_off)
				n = nbytes - up_off;
			if (n > 3000)
				n = 3000;
			if (chan_send(c, src_up + up_off, n, now) != 0)
				abort();
			up_off += n;
		}
		while (chan_output(c, &f, &n) == 0) {
			memcpy(fb, f, n);
			chan_output_done(c, now);
			net_put(&up, fb, n, now);
		}
		if ((n = chan_stdout(c, &o)) > 0) {
			/* A slow reader: at most 3000 bytes per step. */
			if (n > 3000)
				n = 3000;
			if (buf_put(&client_got, o, n) != 0)
				abort();
			chan_stdout_consume(c, n, now);
		}
		/* Agent: stream out once the handshake is done. */
		if (hs && ag.sent_bytes < nbytes && ag.nun < 200) {
			n = nbytes - ag.sent_bytes;
			if (n > 1024)
				n = 1024;
			agent_send(&ag, &down, PT_OUTPUT,
			    src_down + ag.sent_bytes, n, now);
			ag.sent_bytes += n;
			continue;
		}
		/* Agent resend rule: oldest unacked after 200 ms. */
		if (ag.nun > 0) {
			size_t old = 0;

			for (i = 1; i < ag.nun; i++)
				if (ag.un[i].seq < ag.un[old].seq)
					old = i;
			if (now - ag.un[old].last > 200) {
				net_put(&down, ag.un[old].frame,
				    ag.un[old].len, now);
				ag.un[old].last = now;
			}
		}
		if (buf_len(&ag.got) == nbytes &&
		    buf_len(&client_got) == nbytes && chan_idle(c) &&
		    ag.nun == 0)
			break;
		/* Deliver due packets, else advance time. */
		if (net_get(&up, now, &k) == 0) {
			agent_recv(&ag, &down, k.data, k.len, now, &hs);
			free(k.data);
			continue;
		}
		if (chan_can_recv(c) && net_get(&down, now, &k) == 0) {
			(void)!chan_recv(c, k.data, k.len, now);
			free(k.data);
			continue;
		}
		d = chan_deadline(c);
		if (d <= now) {
			chan_tick(c, now);
			if (chan_state(c) == CHAN_FAILED)
				break;
			if (chan_deadline(c) <= now)
				now++;
			continue;
		}
		t = net_next(&up);
		if (chan_can_recv(c) && net_next(&down) < t)
			t = net_next(&down);
		if (d < t)
			t = d;
		if (ag.nun > 0 && now + 10 < t)
			t = now + 10;
		if (chan_stdout(c, &o) > 0 || chan_send_space(c) > 0)
			t = now;
		now = t > now ? t : now + 1;
	}
	CHECK_EQ(chan_state(c), CHAN_OPEN, what);
	CHECK_MEM(buf_ptr(&ag.got), buf_len(&ag.got), src_up, nbytes,
	    "client to agent stream identical");
	CHECK_MEM(buf_ptr(&client_got), buf_len(&client_got), src_down,
	    nbytes, "agent to client stream identical");
	printf("# %s: %zu bytes each way, %llu ms simulated, %d steps\n",
	    what, nbytes, (unsigned long long)now, steps);
	chan_free(c);
	buf_release(&ag.got);
	buf_release(&client_got);
	for (i = 0; i < ag.nun; i++)
		free(ag.un[i].frame);
	for (i = 0; i < 8192; i++)
		free(ag.reo[i]);
	for (i = 0; i < up.n; i++)
		free(up.q[i].data);
	for (i = 0; i < down.n; i++)
		free(down.q[i].data);
	free(src_up);
	free(src_down);
}

/* What the observer (chan_params.observe) reported, as "decision:seq". */
static char obs_log[1024];

static void
obs_cb(void *arg, const struct chan_event *ev)
{
	char one[96];

	snprintf(one, sizeof(one), "%s%s:%lld%s%s", obs_log[0] ? " " : "",
	    chan_decision_name(ev->decision), (long long)ev->seq,
	    ev->acked ? "+ack" : "", ev->digest == CHAN_DIGEST_BAD ? "!" : "");
	if (strlen(obs_log) + strlen(one) < sizeof(obs_log))
		strcat(obs_log, one);
}

static void
test_observer(void)
{
	struct chan_params p;
	struct chan *c;
	const uint8_t *out;
	uint8_t *f;
	size_t n;

	chan_params_default(&p);
	p.stdout_max = 4;
	p.observe = obs_cb;
	c = open_chan(&p, 0);
	CHECK_STR(obs_log, "delivered:0+ack acked:0 delivered:1+ack",
	    "observer: handshake request delivered, our reply acked, "
	    "handshake complete delivered");
	obs_log[0] = '\0';
	(void)!feed(c, MSG_OUTPUT_STREAM, 3, PT_OUTPUT, "cd", 1);
	(void)!feed(c, MSG_OUTPUT_STREAM, 3, PT_OUTPUT, "cd", 2);
	(void)!feed(c, MSG_OUTPUT_STREAM, 2, PT_OUTPUT, "ab", 3);
	(void)!feed(c, MSG_OUTPUT_STREAM, 2, PT_OUTPUT, "ab", 4);
	CHECK_STR(obs_log, "buffered:3+ack duplicate:3+ack delivered:2+ack "
	    "drained:3 duplicate:2+ack",
	    "observer: buffered, duplicate, delivered, then drained");
	obs_log[0] = '\0';
	/* stdout holds 4 of 4: the next is refused until it drains. */
	(void)!feed(c, MSG_OUTPUT_STREAM, 4, PT_OUTPUT, "ef", 5);
	(void)!feed(c, MSG_OUTPUT_STREAM, 5, PT_OUTPUT, "gh", 5);
	n = chan_stdout(c, &out);
	chan_stdout_consume(c, n, 6);
	CHECK_STR(obs_log, "refused:4 buffered:5+ack",
	    "observer: refused for flow control, unacknowledged");
	obs_log[0] = '\0';
	f = (uint8_t *)(uintptr_t)agent_frame(MSG_OUTPUT_STREAM, 4,
	    PT_OUTPUT, "ef", 2, &n);
	f[80] ^= 1;		/* PayloadDigest */
	(void)!chan_recv(c, f, n, 7);
	(void)!feed(c, MSG_OUTPUT_STREAM, 4, PT_OUTPUT, "ef", 8);
	(void)!feed(c, MSG_PAUSE_PUBLICATION, 0, PT_NONE, "", 9);
	(void)!feed_ack(c, 99, 10);
	CHECK_STR(obs_log, "dropped:4! delivered:4+ack drained:5 paused:0 "
	    "ignored:0", "observer: a bad digest dropped, the gap filled, "
	    "pause, a stale ack ignored");
	chan_free(c);
}

int
main(void)
{
	test_handshake();
	test_unsupported();
	test_port_types();
	test_accept_mux();
	test_stream_rules();
	test_reorder_limits();
	test_reorder_slot_reuse();
	test_rto();
	test_fast_retransmit();
	test_timeouts();
	test_window_pause_close();
	test_pause_lost_start();
	test_versions();
	test_observer();
	run_lossy(0, 0, 0, 1000000, "clean network");
	run_lossy(10, 0, 0, 300000, "10% loss");
	run_lossy(0, 10, 0, 100000, "10% duplicates");
	run_lossy(0, 0, 30, 100000, "reordering delays");
	run_lossy(5, 5, 20, 300000, "loss, duplicates and reordering");
	return test_done();
}
