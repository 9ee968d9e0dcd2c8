/*
 * Unit tests for protocol/payload.c: the encoders byte for byte against
 * tests/vectors/channel V3, V5, V7 and V8, and every decoder fed whole,
 * through the incremental JSON parser one byte at a time (same result),
 * truncated at every point, and given the negative cases with their exact
 * errors.
 */
#include <stddef.h>

#include "test.h"
#include "json.h"
#include "msg.h"
#include "payload.h"
#include "vectors.h"

#define UUID_A		"dd01e56b-ff48-483e-a508-b5f073f31b16"

/* The JSON vectors of tests/vectors/channel, read on first use. */
#define V3_JSON		vec_str("V3.json")
#define V5_JSON		vec_str("V5.json")
#define V6_JSON		vec_str("V6.json")
#define V7_JSON		vec_str("V7.json")
#define V8_UNSUPPORTED	vec_str("V8-unsupported.json")
#define V8_KMS		vec_str("V8-kms.json")
#define V8_CHALLENGE	vec_str("V8-challenge.json")
/* protocol/PROTOCOL.md "HandshakeRequest", for an AWS-StartSSHSession
 * document. */
#define HREQ_SSH "{\"AgentVersion\":\"3.3.987.0\"," \
	"\"RequestedClientActions\":[{\"ActionType\":\"SessionType\"," \
	"\"ActionParameters\":{\"SessionType\":\"Port\"," \
	"\"Properties\":{\"portNumber\":\"22\"}}}]}"
#define HCOMPLETE "{\"HandshakeTimeToComplete\":123456789," \
	"\"CustomerMessage\":\"\"}"

/* The same decoder reached three ways, type-erased through wrappers. */
struct codec {
	const char	*name;
	size_t		 size;
	int		(*dec)(const uint8_t *, size_t, void *);
	int		(*from_json)(const struct json *, void *);
	void		(*free)(void *);
	int		(*equal)(const void *, const void *);
};

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

/* Wrappers, one set per payload. */
static int
dec_ack(const uint8_t *p, size_t n, void *o)
{
	return pl_decode_ack(p, n, o);
}

static int
fj_ack(const struct json *j, void *o)
{
	return pl_ack_from_json(j, o);
}

static void
free_ack(void *o)
{
	pl_ack_free(o);
}

static int
eq_ack(const void *va, const void *vb)
{
	const struct pl_ack *a = va, *b = vb;

	return str_eq(a->message_type, b->message_type) &&
	    str_eq(a->message_id, b->message_id) &&
	    a->sequence_number == b->sequence_number &&
	    a->is_sequential == b->is_sequential;
}

static const struct codec ack_codec = { "ack", sizeof(struct pl_ack),
    dec_ack, fj_ack, free_ack, eq_ack };

static int
dec_odc(const uint8_t *p, size_t n, void *o)
{
	return pl_decode_open_data_channel(p, n, o);
}

static int
fj_odc(const struct json *j, void *o)
{
	return pl_open_data_channel_from_json(j, o);
}

static void
free_odc(void *o)
{
	pl_open_data_channel_free(o);
}

static int
eq_odc(const void *va, const void *vb)
{
	const struct pl_open_data_channel *a = va, *b = vb;

	return str_eq(a->message_schema_version, b->message_schema_version) &&
	    str_eq(a->request_id, b->request_id) &&
	    str_eq(a->token_value, b->token_value) &&
	    str_eq(a->client_id, b->client_id) &&
	    str_eq(a->client_version, b->client_version);
}

static const struct codec odc_codec = { "OpenDataChannel",
    sizeof(struct pl_open_data_channel), dec_odc, fj_odc, free_odc,
    eq_odc };

static int
dec_hreq(const uint8_t *p, size_t n, void *o)
{
	return pl_decode_handshake_request(p, n, o);
}

static int
fj_hreq(const struct json *j, void *o)
{
	return pl_handshake_request_from_json(j, o);
}

static void
free_hreq(void *o)
{
	pl_handshake_request_free(o);
}

static int
eq_hreq(const void *va, const void *vb)
{
	const struct pl_handshake_request *a = va, *b = vb;
	const struct pl_action_request *x, *y;
	size_t i;

	if (!str_eq(a->agent_version, b->agent_version) ||
	    a->n_actions != b->n_actions)
		return 0;
	for (i = 0; i < a->n_actions; i++) {
		x = &a->actions[i];
		y = &b->actions[i];
		if (!str_eq(x->action_type, y->action_type) ||
		    !str_eq(x->session_type, y->session_type) ||
		    !str_eq(x->port_number, y->port_number) ||
		    !str_eq(x->properties_type, y->properties_type) ||
		    !str_eq(x->kms_key_id, y->kms_key_id))
			return 0;
	}
	return 1;
}

static const struct codec hreq_codec = { "HandshakeRequest",
    sizeof(struct pl_handshake_request), dec_hreq, fj_hreq, free_hreq,
    eq_hreq };

static int
dec_hresp(const uint8_t *p, size_t n, void *o)
{
	return pl_decode_handshake_response(p, n, o);
}

static int
fj_hresp(const struct json *j, void *o)
{
	return pl_handshake_response_from_json(j, o);
}

static void
free_hresp(void *o)
{
	pl_handshake_response_free(o);
}

static int
eq_hresp(const void *va, const void *vb)
{
	const struct pl_handshake_response *a = va, *b = vb;
	const struct pl_action_result *x, *y;
	size_t i;

	if (!str_eq(a->client_version, b->client_version) ||
	    a->n_actions != b->n_actions || a->n_errors != b->n_errors)
		return 0;
	for (i = 0; i < a->n_actions; i++) {
		x = &a->actions[i];
		y = &b->actions[i];
		if (!str_eq(x->action_type, y->action_type) ||
		    x->action_status != y->action_status ||
		    x->result_is_null != y->result_is_null ||
		    !str_eq(x->error, y->error))
			return 0;
	}
	for (i = 0; i < a->n_errors; i++)
		if (!str_eq(a->errors[i], b->errors[i]))
			return 0;
	return 1;
}

static const struct codec hresp_codec = { "HandshakeResponse",
    sizeof(struct pl_handshake_response), dec_hresp, fj_hresp, free_hresp,
    eq_hresp };

static int
dec_hcomp(const uint8_t *p, size_t n, void *o)
{
	return pl_decode_handshake_complete(p, n, o);
}

static int
fj_hcomp(const struct json *j, void *o)
{
	return pl_handshake_complete_from_json(j, o);
}

static void
free_hcomp(void *o)
{
	pl_handshake_complete_free(o);
}

static int
eq_hcomp(const void *va, const void *vb)
{
	const struct pl_handshake_complete *a = va, *b = vb;

	return a->time_to_complete_ns == b->time_to_complete_ns &&
	    str_eq(a->customer_message, b->customer_message);
}

static const struct codec hcomp_codec = { "HandshakeComplete",
    sizeof(struct pl_handshake_complete), dec_hcomp, fj_hcomp, free_hcomp,
    eq_hcomp };

static int
dec_cc(const uint8_t *p, size_t n, void *o)
{
	return pl_decode_channel_closed(p, n, o);
}

static int
fj_cc(const struct json *j, void *o)
{
	return pl_channel_closed_from_json(j, o);
}

static void
free_cc(void *o)
{
	pl_channel_closed_free(o);
}

static int
eq_cc(const void *va, const void *vb)
{
	const struct pl_channel_closed *a = va, *b = vb;

	return str_eq(a->message_id, b->message_id) &&
	    str_eq(a->created_date, b->created_date) &&
	    str_eq(a->destination_id, b->destination_id) &&
	    str_eq(a->session_id, b->session_id) &&
	    str_eq(a->message_type, b->message_type) &&
	    a->schema_version == b->schema_version &&
	    str_eq(a->output, b->output);
}

static const struct codec cc_codec = { "channel_closed",
    sizeof(struct pl_channel_closed), dec_cc, fj_cc, free_cc, eq_cc };

/* Parse one byte at a time, then decode the tree. */
static int
decode_bytewise(const struct codec *c, const uint8_t *p, size_t len,
    void *out)
{
	struct json_parser *jp;
	struct json *j = NULL;
	size_t i;
	int r = 0;

	memset(out, 0, c->size);
	if ((jp = json_parser_new()) == NULL)
		return SP_ERR_ALLOC;
	for (i = 0; i < len && r == 0; i++)
		r = json_parser_feed(jp, p + i, 1);
	if (r == 0)
		r = json_parser_finish(jp, &j);
	json_parser_free(jp);
	if (r == 0)
		r = c->from_json(j, out);
	json_free(j);
	return r;
}

/*
 * Decode len bytes whole and one byte at a time; both must give want and
 * equal structs (zeroed on error).  On success the strict prefixes must
 * all be syntax errors.  The whole decode is left in out; the caller
 * frees it.
 */
static int
check_dec_n(const struct codec *c, const void *text, size_t len, int want,
    void *out, const char *what)
{
	uint8_t *copy, *other;
	size_t k;
	int r, r2, ok;
	char msg[200];

	/* A buffer of exactly len bytes: ASan sees any overread. */
	copy = malloc(len > 0 ? len : 1);
	other = malloc(c->size);
	if (copy == NULL || other == NULL)
		abort();
	memcpy(copy, text, len);
	memset(out, 0xa5, c->size);
	r = c->dec(copy, len, out);
	snprintf(msg, sizeof(msg), "%s %s: whole", c->name, what);
	CHECK_EQ(r, want, msg);
	if (r != 0) {
		snprintf(msg, sizeof(msg), "%s %s: output zeroed", c->name,
		    what);
		CHECK(is_zero(out, c->size), msg);
	}
	memset(other, 0xa5, c->size);
	r2 = decode_bytewise(c, copy, len, other);
	snprintf(msg, sizeof(msg), "%s %s: byte at a time", c->name, what);
	CHECK_EQ(r2, want, msg);
	snprintf(msg, sizeof(msg), "%s %s: same result byte at a time",
	    c->name, what);
	CHECK(r2 != 0 ? is_zero(other, c->size) :
	    r == 0 && c->equal(out, other), msg);
	c->free(other);
	if (want == 0) {
		ok = 1;
		for (k = 0; k < len; k++) {
			memset(other, 0xa5, c->size);
			if (c->dec(copy, k, other) != SP_ERR_JSON_SYNTAX ||
			    !is_zero(other, c->size))
				ok = 0;
			c->free(other);
		}
		snprintf(msg, sizeof(msg), "%s %s: every prefix fails",
		    c->name, what);
		CHECK(ok, msg);
	}
	free(other);
	free(copy);
	return r;
}

static int
check_dec(const struct codec *c, const char *text, int want, void *out,
    const char *what)
{
	return check_dec_n(c, text, strlen(text), want, out, what);
}

/* Check a decode that must fail, with nothing to inspect. */
static void
check_dec_fail(const struct codec *c, const char *text, int want,
    const char *what)
{
	_Alignas(max_align_t) uint8_t out[256];

	if (c->size > sizeof(out))
		abort();
	check_dec(c, text, want, out, what);
	c->free(out);
}

static void
check_text(struct buf *b, const char *want, const char *what)
{
	CHECK_MEM(buf_ptr(b), buf_len(b), want, strlen(want), what);
	if (buf_len(b) != strlen(want))
		printf("#   got %.*s\n", (int)buf_len(b),
		    (const char *)buf_ptr(b));
}

static void
test_ack(void)
{
	struct pl_ack a, d;
	struct buf b;

	memset(&a, 0, sizeof(a));
	a.message_type = "output_stream_data";
	a.message_id = UUID_A;
	a.sequence_number = 0;
	a.is_sequential = 1;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_ack(&b, &a), 0, "encode V3 ack");
	check_text(&b, V3_JSON, "V3 ack byte for byte");
	buf_release(&b);

	/* The direct writer and the JSON writer agree: plain strings take
	 * the first, anything needing escapes the second. */
	a.sequence_number = INT64_MAX;
	a.is_sequential = 0;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_ack(&b, &a), 0, "encode plain ack, large seq");
	check_text(&b, "{\"AcknowledgedMessageType\":\"output_stream_data\","
	    "\"AcknowledgedMessageId\":\"" UUID_A "\","
	    "\"AcknowledgedMessageSequenceNumber\":9223372036854775807,"
	    "\"IsSequentialMessage\":false}", "plain ack, INT64_MAX, false");
	buf_release(&b);
	a.message_type = "a\"b<";
	a.sequence_number = -1;
	a.is_sequential = 1;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_ack(&b, &a), 0, "encode escaped ack");
	check_text(&b, "{\"AcknowledgedMessageType\":\"a\\\"b\\u003c\","
	    "\"AcknowledgedMessageId\":\"" UUID_A "\","
	    "\"AcknowledgedMessageSequenceNumber\":-1,"
	    "\"IsSequentialMessage\":true}", "escaped ack through the writer");
	buf_release(&b);
	a.message_type = "output_stream_data";
	a.sequence_number = 0;

	CHECK_EQ(check_dec(&ack_codec, V3_JSON, 0, &d, "V3"), 0, "V3");
	CHECK(str_eq(d.message_type, "output_stream_data") &&
	    str_eq(d.message_id, UUID_A) && d.sequence_number == 0 &&
	    d.is_sequential == 1, "V3 fields");
	pl_ack_free(&d);
	pl_ack_free(&d);		/* a zeroed struct frees fine */

	/* Round trip with a large sequence number. */
	a.sequence_number = INT64_MAX;
	a.is_sequential = 0;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_ack(&b, &a), 0, "encode INT64_MAX");
	CHECK_EQ(pl_decode_ack(buf_ptr(&b), buf_len(&b), &d), 0,
	    "decode INT64_MAX");
	CHECK(eq_ack(&a, &d), "round trip");
	pl_ack_free(&d);
	buf_release(&b);
	/* The encoder writes what it is given; the decoder refuses it. */
	a.sequence_number = -1;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_ack(&b, &a), 0, "encode -1");
	CHECK_EQ(pl_decode_ack(buf_ptr(&b), buf_len(&b), &d),
	    SP_ERR_JSON_RANGE, "decode of -1 refused");
	buf_release(&b);

	/* Lenient about what we do not need, strict about what we do. */
	check_dec(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":7}", 0,
	    &d, "only the sequence number");
	CHECK(str_eq(d.message_type, "") && str_eq(d.message_id, "") &&
	    d.sequence_number == 7 && d.is_sequential == 0,
	    "absent members are empty");
	pl_ack_free(&d);
	check_dec(&ack_codec, "{\"acknowledgedmessagesequencenumber\":8,"
	    "\"ACKNOWLEDGEDMESSAGETYPE\":\"x\",\"extra\":[{\"deep\":null}],"
	    "\"IsSequentialMessage\":null}", 0, &d,
	    "names in other cases, unknown members");
	CHECK(d.sequence_number == 8 && str_eq(d.message_type, "x") &&
	    d.is_sequential == 0, "folded names matched");
	pl_ack_free(&d);
	check_dec(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":1,"
	    "\"AcknowledgedMessageSequenceNumber\":2}", 0, &d,
	    "duplicate member");
	CHECK_EQ(d.sequence_number, 1, "first duplicate wins");
	pl_ack_free(&d);

	check_dec_fail(&ack_codec, "{}", SP_ERR_JSON_MISSING, "empty object");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":"
	    "null}", SP_ERR_JSON_MISSING, "null sequence number");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":"
	    "\"0\"}", SP_ERR_JSON_TYPE, "sequence number as a string");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":"
	    "1.5}", SP_ERR_JSON_RANGE, "fractional sequence number");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":"
	    "-1}", SP_ERR_JSON_RANGE, "negative sequence number");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":"
	    "9223372036854775808}", SP_ERR_JSON_RANGE,
	    "sequence number 2^63");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":0,"
	    "\"AcknowledgedMessageType\":1}", SP_ERR_JSON_TYPE,
	    "type as a number");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":0,"
	    "\"AcknowledgedMessageId\":{}}", SP_ERR_JSON_TYPE,
	    "id as an object");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":0,"
	    "\"IsSequentialMessage\":\"true\"}", SP_ERR_JSON_TYPE,
	    "IsSequentialMessage as a string");
	check_dec_fail(&ack_codec, "[]", SP_ERR_JSON_TYPE, "array root");
	check_dec_fail(&ack_codec, "null", SP_ERR_JSON_TYPE, "null root");
	check_dec_fail(&ack_codec, "\"x\"", SP_ERR_JSON_TYPE, "string root");
	check_dec_fail(&ack_codec, "", SP_ERR_JSON_SYNTAX, "empty payload");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":0",
	    SP_ERR_JSON_SYNTAX, "unterminated");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":0}"
	    "{}", SP_ERR_JSON_SYNTAX, "two documents");
	{
		static const char t[] = "{\"AcknowledgedMessageSequenceNumber"
		    "\":0,\"x\":\"a\0b\"}";

		check_dec_n(&ack_codec, t, sizeof(t) - 1, SP_ERR_JSON_NUL, &d,
		    "NUL in an unknown member");
		pl_ack_free(&d);
	}
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":0,"
	    "\"x\":\"\xc0\xaf\"}", SP_ERR_JSON_SYNTAX,
	    "invalid UTF-8 in an unknown member");
	check_dec_fail(&ack_codec, "{\"AcknowledgedMessageSequenceNumber\":0,"
	    "\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	    "]]]]}", SP_ERR_JSON_LIMIT, "too deep in an unknown member");

	/* Encoder errors: nothing appended. */
	buf_init(&b, 4096);
	CHECK(buf_put(&b, "x", 1) == 0, "prefix byte");
	a.message_type = NULL;
	CHECK_EQ(pl_encode_ack(&b, &a), SP_ERR_INVALID_ARG, "NULL type");
	a.message_type = "bad\xff";
	CHECK_EQ(pl_encode_ack(&b, &a), SP_ERR_INVALID_ARG, "invalid UTF-8");
	CHECK_EQ(buf_len(&b), 1, "failed encodes append nothing");
	buf_release(&b);
	buf_init(&b, 10);
	a.message_type = "output_stream_data";
	CHECK_EQ(pl_encode_ack(&b, &a), SP_ERR_NO_SPACE, "small out");
	CHECK_EQ(buf_len(&b), 0, "nothing appended");
	buf_release(&b);
}

static void
test_open_data_channel(void)
{
	struct pl_open_data_channel o, d;
	struct buf b;

	memset(&o, 0, sizeof(o));
	o.message_schema_version = "1.0";
	o.request_id = "a1b2c3d4-0000-4000-8000-000000000001";
	o.token_value = "TOKEN";
	o.client_id = "c0ffee00-0000-4000-8000-000000000002";
	o.client_version = "1.2.677.0";
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_open_data_channel(&b, &o), 0, "encode V7");
	check_text(&b, V7_JSON, "V7 byte for byte");
	buf_release(&b);

	check_dec(&odc_codec, V7_JSON, 0, &d, "V7");
	CHECK(eq_odc(&o, &d), "V7 fields");
	pl_open_data_channel_free(&d);

	/* Without ClientVersion, as older plugins send it. */
	o.client_version = NULL;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_open_data_channel(&b, &o), 0, "encode, no version");
	check_text(&b, "{\"MessageSchemaVersion\":\"1.0\","
	    "\"RequestId\":\"a1b2c3d4-0000-4000-8000-000000000001\","
	    "\"TokenValue\":\"TOKEN\","
	    "\"ClientId\":\"c0ffee00-0000-4000-8000-000000000002\"}",
	    "ClientVersion left out");
	CHECK_EQ(pl_decode_open_data_channel(buf_ptr(&b), buf_len(&b), &d), 0,
	    "decode, no version");
	CHECK(eq_odc(&o, &d), "round trip without version");
	pl_open_data_channel_free(&d);
	buf_release(&b);

	/* A token with every character Go escapes. */
	o.token_value = "a<b>c&d\"e\\f/g\xe2\x80\xa8h\x01";
	o.client_version = "1.2.764.0";
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_open_data_channel(&b, &o), 0, "encode odd token");
	check_text(&b, "{\"MessageSchemaVersion\":\"1.0\","
	    "\"RequestId\":\"a1b2c3d4-0000-4000-8000-000000000001\","
	    "\"TokenValue\":\"a\\u003cb\\u003ec\\u0026d\\\"e\\\\f/g\\u2028h"
	    "\\u0001\",\"ClientId\":\"c0ffee00-0000-4000-8000-000000000002\","
	    "\"ClientVersion\":\"1.2.764.0\"}", "token escaped as Go does");
	CHECK_EQ(pl_decode_open_data_channel(buf_ptr(&b), buf_len(&b), &d), 0,
	    "decode odd token");
	CHECK(eq_odc(&o, &d), "odd token round trip");
	pl_open_data_channel_free(&d);
	buf_release(&b);

	/* The third-party client's three members. */
	check_dec(&odc_codec, "{\"MessageSchemaVersion\":\"1.0\","
	    "\"RequestId\":\"r\",\"TokenValue\":\"t\"}", 0, &d, "3p form");
	CHECK(str_eq(d.client_id, "") && d.client_version == NULL,
	    "3p form: empty ClientId, no ClientVersion");
	pl_open_data_channel_free(&d);

	check_dec_fail(&odc_codec, "{\"MessageSchemaVersion\":\"1.0\","
	    "\"RequestId\":\"r\"}", SP_ERR_JSON_MISSING, "no token");
	check_dec_fail(&odc_codec, "{\"MessageSchemaVersion\":\"1.0\","
	    "\"RequestId\":\"r\",\"TokenValue\":5}", SP_ERR_JSON_TYPE,
	    "token as a number");
	check_dec_fail(&odc_codec, "{\"RequestId\":\"r\",\"TokenValue\":\"t\"}",
	    SP_ERR_JSON_MISSING, "no schema version");
	check_dec_fail(&odc_codec, "{\"MessageSchemaVersion\":\"1.0\","
	    "\"RequestId\":\"r\",\"TokenValue\":\"t\",\"ClientVersion\":1}",
	    SP_ERR_JSON_TYPE, "ClientVersion as a number");

	o.token_value = NULL;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_open_data_channel(&b, &o), SP_ERR_INVALID_ARG,
	    "NULL token");
	CHECK_EQ(buf_len(&b), 0, "nothing appended");
	buf_release(&b);
}

static void
test_handshake_request(void)
{
	struct pl_handshake_request h;
	const struct pl_action_request *a;
	char *big;
	size_t i, o;

	check_dec(&hreq_codec, HREQ_SSH, 0, &h, "HandshakeRequest SSH");
	a = h.actions;
	CHECK(str_eq(h.agent_version, "3.3.987.0") && h.n_actions == 1 &&
	    str_eq(a->action_type, PL_ACTION_SESSION_TYPE) &&
	    str_eq(a->session_type, "Port") &&
	    str_eq(a->port_number, "22") && a->properties_type == NULL &&
	    a->kms_key_id == NULL, "HandshakeRequest SSH fields");
	pl_handshake_request_free(&h);
	pl_handshake_request_free(&h);

	check_dec(&hreq_codec, "{\"AgentVersion\":\"3.3.987.0\","
	    "\"RequestedClientActions\":[{\"ActionType\":\"SessionType\","
	    "\"ActionParameters\":{\"SessionType\":\"Port\",\"Properties\":"
	    "{\"localPortNumber\":\"0\",\"portNumber\":\"80\","
	    "\"type\":\"LocalPortForwarding\"}}}]}", 0, &h, "with type");
	a = h.actions;
	CHECK(h.n_actions == 1 && str_eq(a->port_number, "80") &&
	    str_eq(a->properties_type, "LocalPortForwarding"),
	    "Properties.type read");
	pl_handshake_request_free(&h);

	/* Any other type is kept as it is: chan.c runs it as a plain
	 * stream, as the agent does (PROTOCOL.md "Port sessions"). */
	check_dec(&hreq_codec, "{\"RequestedClientActions\":[{"
	    "\"ActionType\":\"SessionType\",\"ActionParameters\":{"
	    "\"SessionType\":\"Port\",\"Properties\":{\"portNumber\":"
	    "\"22\",\"type\":\"Standard\"}}}]}", 0, &h, "type Standard");
	CHECK(h.n_actions == 1 &&
	    str_eq(h.actions[0].properties_type, "Standard"),
	    "Properties.type Standard read");
	pl_handshake_request_free(&h);
	check_dec(&hreq_codec, "{\"RequestedClientActions\":[{"
	    "\"ActionType\":\"SessionType\",\"ActionParameters\":{"
	    "\"SessionType\":\"Port\",\"Properties\":{\"portNumber\":"
	    "\"22\",\"type\":\"\"}}}]}", 0, &h, "type empty");
	CHECK(h.n_actions == 1 && str_eq(h.actions[0].properties_type, ""),
	    "Properties.type empty, not absent");
	pl_handshake_request_free(&h);
	check_dec(&hreq_codec, "{\"RequestedClientActions\":[{"
	    "\"ActionType\":\"SessionType\",\"ActionParameters\":{"
	    "\"SessionType\":\"Port\",\"Properties\":{\"portNumber\":"
	    "\"22\",\"type\":1}}}]}", SP_ERR_JSON_TYPE, &h,
	    "type not a string (the agent cannot read it either)");

	check_dec(&hreq_codec, "{\"AgentVersion\":\"3.3.987.0\","
	    "\"RequestedClientActions\":[{\"ActionType\":\"SessionType\","
	    "\"ActionParameters\":{\"SessionType\":\"Standard_Stream\","
	    "\"Properties\":null}},{\"ActionType\":\"KMSEncryption\","
	    "\"ActionParameters\":{\"KMSKeyId\":\"arn:aws:kms:us-east-1:"
	    "111122223333:key/1234abcd\",\"Challenge\":"
	    "\"AAECAwQFBgcICQoLDA0ODw==\"}}]}", 0, &h,
	    "KMSEncryption with Challenge");
	CHECK(h.n_actions == 2 && str_eq(h.actions[0].session_type,
	    "Standard_Stream") && h.actions[0].port_number == NULL &&
	    h.actions[0].kms_key_id == NULL &&
	    str_eq(h.actions[1].action_type, PL_ACTION_KMS) &&
	    str_eq(h.actions[1].kms_key_id,
	    "arn:aws:kms:us-east-1:111122223333:key/1234abcd") &&
	    h.actions[1].session_type == NULL, "KMS action fields");
	pl_handshake_request_free(&h);

	check_dec(&hreq_codec, "{\"RequestedClientActions\":["
	    "{\"ActionType\":\"Foo\",\"ActionParameters\":\"anything\"},"
	    "{\"ActionType\":\"Bar\",\"ActionParameters\":[1,2]},"
	    "{\"ActionType\":\"sessiontype\",\"ActionParameters\":5},"
	    "{\"ActionType\":\"Baz\"}]}", 0, &h, "unknown actions");
	CHECK(h.n_actions == 4 && str_eq(h.agent_version, "") &&
	    str_eq(h.actions[0].action_type, "Foo") &&
	    str_eq(h.actions[2].action_type, "sessiontype") &&
	    h.actions[2].session_type == NULL &&
	    h.actions[3].session_type == NULL, "unknown actions kept as is");
	pl_handshake_request_free(&h);

	check_dec(&hreq_codec, "{\"RequestedClientActions\":["
	    "{\"ActionType\":\"SessionType\",\"ActionParameters\":"
	    "{\"SessionType\":\"Port\"}},"
	    "{\"ActionType\":\"SessionType\"},"
	    "{\"ActionType\":\"SessionType\",\"ActionParameters\":null},"
	    "{\"ActionType\":\"KMSEncryption\"}]}", 0, &h,
	    "missing Properties and parameters");
	CHECK(h.n_actions == 4 && str_eq(h.actions[0].session_type, "Port") &&
	    h.actions[0].port_number == NULL &&
	    h.actions[0].properties_type == NULL &&
	    str_eq(h.actions[1].session_type, "") &&
	    str_eq(h.actions[2].session_type, "") &&
	    h.actions[3].kms_key_id == NULL, "absent parameters");
	pl_handshake_request_free(&h);

	check_dec(&hreq_codec, "{\"requestedclientactions\":[{\"actiontype\":"
	    "\"SessionType\",\"actionparameters\":{\"sessiontype\":\"Port\","
	    "\"properties\":{\"PORTNUMBER\":\"22\"}}}]}", 0, &h,
	    "member names in other cases");
	CHECK(h.n_actions == 1 && str_eq(h.actions[0].port_number, "22"),
	    "folded names");
	pl_handshake_request_free(&h);

	check_dec(&hreq_codec, "{\"RequestedClientActions\":[]}", 0, &h,
	    "no actions");
	CHECK(h.n_actions == 0 && h.actions == NULL, "zero actions");
	pl_handshake_request_free(&h);

	check_dec_fail(&hreq_codec, "{\"AgentVersion\":\"1\"}",
	    SP_ERR_JSON_MISSING, "no RequestedClientActions");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":null}",
	    SP_ERR_JSON_MISSING, "null RequestedClientActions");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":{}}",
	    SP_ERR_JSON_TYPE, "RequestedClientActions an object");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":\"x\"}",
	    SP_ERR_JSON_TYPE, "RequestedClientActions a string");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":[\"x\"]}",
	    SP_ERR_JSON_TYPE, "action a string");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":[null]}",
	    SP_ERR_JSON_TYPE, "action null");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":[{}]}",
	    SP_ERR_JSON_MISSING, "action without ActionType");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":"
	    "[{\"ActionType\":1}]}", SP_ERR_JSON_TYPE, "ActionType a number");
	check_dec_fail(&hreq_codec, "{\"AgentVersion\":3,"
	    "\"RequestedClientActions\":[]}", SP_ERR_JSON_TYPE,
	    "AgentVersion a number");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":"
	    "[{\"ActionType\":\"SessionType\",\"ActionParameters\":\"Port\"}]}",
	    SP_ERR_JSON_TYPE, "SessionType parameters a string");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":"
	    "[{\"ActionType\":\"SessionType\",\"ActionParameters\":"
	    "{\"SessionType\":1}}]}", SP_ERR_JSON_TYPE,
	    "SessionType a number");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":"
	    "[{\"ActionType\":\"SessionType\",\"ActionParameters\":"
	    "{\"SessionType\":\"Port\",\"Properties\":\"x\"}}]}",
	    SP_ERR_JSON_TYPE, "Properties a string");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":"
	    "[{\"ActionType\":\"SessionType\",\"ActionParameters\":"
	    "{\"SessionType\":\"Port\",\"Properties\":{\"portNumber\":22}}}]}",
	    SP_ERR_JSON_TYPE, "portNumber a number");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":"
	    "[{\"ActionType\":\"SessionType\",\"ActionParameters\":"
	    "{\"Properties\":{\"type\":[]}}}]}", SP_ERR_JSON_TYPE,
	    "type an array");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":"
	    "[{\"ActionType\":\"KMSEncryption\",\"ActionParameters\":7}]}",
	    SP_ERR_JSON_TYPE, "KMS parameters a number");
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":"
	    "[{\"ActionType\":\"KMSEncryption\",\"ActionParameters\":"
	    "{\"KMSKeyId\":true}}]}", SP_ERR_JSON_TYPE, "KMSKeyId a bool");
	/* A bad second action frees the first. */
	check_dec_fail(&hreq_codec, "{\"RequestedClientActions\":["
	    "{\"ActionType\":\"SessionType\",\"ActionParameters\":"
	    "{\"SessionType\":\"Port\"}},{\"ActionType\":false}]}",
	    SP_ERR_JSON_TYPE, "second action bad");

	/* PL_MAX_ACTIONS actions, then one more. */
	big = malloc(64 * (PL_MAX_ACTIONS + 2));
	o = (size_t)sprintf(big, "{\"RequestedClientActions\":[");
	for (i = 0; i < PL_MAX_ACTIONS; i++)
		o += (size_t)sprintf(big + o, "%s{\"ActionType\":\"A%zu\"}",
		    i > 0 ? "," : "", i);
	strcpy(big + o, "]}");
	check_dec(&hreq_codec, big, 0, &h, "32 actions");
	CHECK(h.n_actions == PL_MAX_ACTIONS &&
	    str_eq(h.actions[31].action_type, "A31"), "32 actions kept");
	pl_handshake_request_free(&h);
	strcpy(big + o, ",{\"ActionType\":\"A32\"}]}");
	check_dec_fail(&hreq_codec, big, SP_ERR_JSON_LIMIT, "33 actions");
	free(big);
}

static void
test_handshake_response(void)
{
	struct pl_handshake_response h, d;
	struct pl_action_result act[2];
	char *errs[2];
	struct buf b;

	/* V5: what we send for an SSH session. */
	memset(&h, 0, sizeof(h));
	memset(act, 0, sizeof(act));
	act[0].action_type = PL_ACTION_SESSION_TYPE;
	act[0].action_status = PL_STATUS_SUCCESS;
	act[0].error = "";
	h.client_version = "1.2.677.0";
	h.n_actions = 1;
	h.actions = act;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_handshake_response(&b, &h), 0, "encode V5");
	check_text(&b, V5_JSON, "V5 byte for byte");
	buf_release(&b);
	act[0].error = NULL;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_handshake_response(&b, &h), 0, "NULL error");
	check_text(&b, V5_JSON, "NULL error written as \"\"");
	buf_release(&b);

	check_dec(&hresp_codec, V5_JSON, 0, &d, "V5");
	CHECK(str_eq(d.client_version, "1.2.677.0") && d.n_actions == 1 &&
	    str_eq(d.actions[0].action_type, "SessionType") &&
	    d.actions[0].action_status == 1 && d.actions[0].result_is_null &&
	    str_eq(d.actions[0].error, "") && d.n_errors == 0 &&
	    d.errors == NULL, "V5 fields");
	pl_handshake_response_free(&d);
	pl_handshake_response_free(&d);

	/* Our answer to an action we do not support: Failed, with the
	 * reason in Error and Errors (not the plugin's status 0). */
	act[0].action_type = "Foo";
	act[0].action_status = PL_STATUS_FAILED;
	act[0].error = "Unsupported action Foo";
	errs[0] = "Unsupported action Foo";
	h.client_version = "1.2.764.0";
	h.n_errors = 1;
	h.errors = errs;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_handshake_response(&b, &h), 0,
	    "encode unsupported reply");
	check_text(&b, "{\"ClientVersion\":\"1.2.764.0\","
	    "\"ProcessedClientActions\":[{\"ActionType\":\"Foo\","
	    "\"ActionStatus\":2,\"ActionResult\":null,"
	    "\"Error\":\"Unsupported action Foo\"}],"
	    "\"Errors\":[\"Unsupported action Foo\"]}",
	    "unsupported reply byte for byte");
	CHECK_EQ(pl_decode_handshake_response(buf_ptr(&b), buf_len(&b), &d),
	    0, "decode our reply");
	CHECK(d.n_actions == 1 && d.actions[0].action_status == 2 &&
	    d.n_errors == 1 && str_eq(d.errors[0], "Unsupported action Foo"),
	    "our reply read back");
	pl_handshake_response_free(&d);
	buf_release(&b);

	/* Two actions, two errors; and none at all. */
	act[1].action_type = PL_ACTION_KMS;
	act[1].action_status = PL_STATUS_UNSUPPORTED;
	act[1].error = "x";
	errs[1] = "y";
	h.n_actions = 2;
	h.n_errors = 2;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_handshake_response(&b, &h), 0, "encode two");
	check_text(&b, "{\"ClientVersion\":\"1.2.764.0\","
	    "\"ProcessedClientActions\":[{\"ActionType\":\"Foo\","
	    "\"ActionStatus\":2,\"ActionResult\":null,"
	    "\"Error\":\"Unsupported action Foo\"},{\"ActionType\":"
	    "\"KMSEncryption\",\"ActionStatus\":3,\"ActionResult\":null,"
	    "\"Error\":\"x\"}],\"Errors\":[\"Unsupported action Foo\",\"y\"]}",
	    "two actions, two errors");
	buf_release(&b);
	h.n_actions = 0;
	h.n_errors = 0;
	buf_init(&b, 4096);
	CHECK_EQ(pl_encode_handshake_response(&b, &h), 0, "encode none");
	check_text(&b, "{\"ClientVersion\":\"1.2.764.0\","
	    "\"ProcessedClientActions\":[],\"Errors\":null}",
	    "no actions: [] and null");
	buf_release(&b);

	/* Encoder errors. */
	buf_init(&b, 4096);
	h.n_actions = 1;
	act[0].action_type = NULL;
	CHECK_EQ(pl_encode_handshake_response(&b, &h), SP_ERR_INVALID_ARG,
	    "NULL ActionType");
	act[0].action_type = "Foo";
	h.n_errors = 1;
	errs[0] = NULL;
	CHECK_EQ(pl_encode_handshake_response(&b, &h), SP_ERR_INVALID_ARG,
	    "NULL error string");
	h.errors = NULL;
	CHECK_EQ(pl_encode_handshake_response(&b, &h), SP_ERR_INVALID_ARG,
	    "NULL errors");
	h.n_errors = 0;
	h.client_version = NULL;
	CHECK_EQ(pl_encode_handshake_response(&b, &h), SP_ERR_INVALID_ARG,
	    "NULL ClientVersion");
	CHECK_EQ(buf_len(&b), 0, "nothing appended");
	buf_release(&b);

	/* V8, as the plugin writes them. */
	check_dec(&hresp_codec, V8_UNSUPPORTED, 0, &d, "V8 unsupported");
	CHECK(d.n_actions == 1 && str_eq(d.actions[0].action_type, "Foo") &&
	    d.actions[0].action_status == 0 &&
	    d.actions[0].result_is_null == 0 &&
	    str_eq(d.actions[0].error, "Unsupported action Foo") &&
	    d.n_errors == 1 && str_eq(d.errors[0], "Unsupported action Foo"),
	    "V8 quirk: status 0, ActionResult 3 (not null)");
	pl_handshake_response_free(&d);
	check_dec(&hresp_codec, V8_KMS, 0, &d, "V8 KMS");
	CHECK(d.n_actions == 2 && d.actions[0].result_is_null &&
	    str_eq(d.actions[1].action_type, "KMSEncryption") &&
	    d.actions[1].action_status == 1 &&
	    d.actions[1].result_is_null == 0 && d.n_errors == 0,
	    "V8 KMS fields");
	pl_handshake_response_free(&d);
	{
		struct json *j;
		const char *s;

		CHECK_EQ(json_parse(V8_CHALLENGE, strlen(V8_CHALLENGE), &j), 0,
		    "V8 challenge parses");
		CHECK(json_get_str(j, "Challenge", &s) == 0 &&
		    strcmp(s, "3q2+7w==") == 0, "V8 challenge text");
		json_free(j);
	}
	check_dec(&hresp_codec, V8_CHALLENGE, 0, &d,
	    "a challenge is no response");
	CHECK(d.n_actions == 0 && str_eq(d.client_version, ""),
	    "every response member is optional");
	pl_handshake_response_free(&d);

	check_dec(&hresp_codec, "{\"ProcessedClientActions\":[{}]}", 0, &d,
	    "empty action");
	CHECK(d.n_actions == 1 && d.actions[0].result_is_null &&
	    d.actions[0].action_status == 0, "absent ActionResult is null");
	pl_handshake_response_free(&d);

	check_dec_fail(&hresp_codec, "{\"ProcessedClientActions\":{}}",
	    SP_ERR_JSON_TYPE, "actions an object");
	check_dec_fail(&hresp_codec, "{\"ProcessedClientActions\":[1]}",
	    SP_ERR_JSON_TYPE, "action a number");
	check_dec_fail(&hresp_codec, "{\"ProcessedClientActions\":"
	    "[{\"ActionStatus\":\"1\"}]}", SP_ERR_JSON_TYPE,
	    "ActionStatus a string");
	check_dec_fail(&hresp_codec, "{\"ProcessedClientActions\":"
	    "[{\"ActionStatus\":1.5}]}", SP_ERR_JSON_RANGE,
	    "ActionStatus fractional");
	check_dec_fail(&hresp_codec, "{\"Errors\":[\"a\",2]}",
	    SP_ERR_JSON_TYPE, "an error a number");
	check_dec_fail(&hresp_codec, "{\"Errors\":\"a\"}", SP_ERR_JSON_TYPE,
	    "Errors a string");
	check_dec_fail(&hresp_codec, "{\"ClientVersion\":null,\"Errors\":"
	    "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\","
	    "\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\",\"r\",\"s\",\"t\","
	    "\"u\",\"v\",\"w\",\"x\",\"y\",\"z\",\"A\",\"B\",\"C\",\"D\","
	    "\"E\",\"F\",\"G\"]}", SP_ERR_JSON_LIMIT, "33 errors");
}

static void
test_handshake_complete(void)
{
	struct pl_handshake_complete c;

	check_dec(&hcomp_codec, HCOMPLETE, 0, &c, "HandshakeComplete");
	CHECK(c.time_to_complete_ns == 123456789 &&
	    str_eq(c.customer_message, ""), "HandshakeComplete fields");
	pl_handshake_complete_free(&c);
	pl_handshake_complete_free(&c);
	check_dec(&hcomp_codec, "{\"HandshakeTimeToComplete\":"
	    "9223372036854775807,\"CustomerMessage\":"
	    "\"This session is encrypted using AWS KMS.\"}", 0, &c,
	    "KMS message");
	CHECK(c.time_to_complete_ns == INT64_MAX &&
	    str_eq(c.customer_message,
	    "This session is encrypted using AWS KMS."), "KMS fields");
	pl_handshake_complete_free(&c);
	check_dec(&hcomp_codec, "{}", 0, &c, "empty");
	CHECK(c.time_to_complete_ns == 0 && str_eq(c.customer_message, ""),
	    "defaults");
	pl_handshake_complete_free(&c);
	check_dec_fail(&hcomp_codec, "{\"HandshakeTimeToComplete\":1.5}",
	    SP_ERR_JSON_RANGE, "fractional duration");
	check_dec_fail(&hcomp_codec, "{\"HandshakeTimeToComplete\":1e30}",
	    SP_ERR_JSON_RANGE, "huge duration");
	check_dec_fail(&hcomp_codec, "{\"HandshakeTimeToComplete\":\"1\"}",
	    SP_ERR_JSON_TYPE, "duration a string");
	check_dec_fail(&hcomp_codec, "{\"CustomerMessage\":5}",
	    SP_ERR_JSON_TYPE, "message a number");
	check_dec_fail(&hcomp_codec, "[1]", SP_ERR_JSON_TYPE, "array root");
}

static void
test_channel_closed(void)
{
	struct pl_channel_closed c;

	check_dec(&cc_codec, V6_JSON, 0, &c, "V6");
	CHECK(str_eq(c.message_type, "channel_closed") &&
	    str_eq(c.message_id, UUID_A) &&
	    str_eq(c.created_date, "2018-01-01T00:00:00.000Z") &&
	    str_eq(c.destination_id, "i-0123456789abcdef0") &&
	    str_eq(c.session_id, "user-0123456789abcdef0") &&
	    c.schema_version == 1 && str_eq(c.output, ""), "V6 fields");
	pl_channel_closed_free(&c);
	pl_channel_closed_free(&c);
	check_dec(&cc_codec, "{\"Output\":\"Session idle timeout\"}", 0, &c,
	    "output only");
	CHECK(str_eq(c.output, "Session idle timeout") &&
	    str_eq(c.session_id, "") && str_eq(c.message_id, "") &&
	    c.schema_version == 0, "absent members empty");
	pl_channel_closed_free(&c);
	check_dec(&cc_codec, "{\"Output\":null,\"sessionid\":\"s\"}", 0, &c,
	    "null output");
	CHECK(str_eq(c.output, "") && str_eq(c.session_id, "s"),
	    "null output is empty");
	pl_channel_closed_free(&c);
	check_dec_fail(&cc_codec, "{\"SchemaVersion\":\"1\"}",
	    SP_ERR_JSON_TYPE, "SchemaVersion a string");
	check_dec_fail(&cc_codec, "{\"Output\":[]}", SP_ERR_JSON_TYPE,
	    "Output an array");
	check_dec_fail(&cc_codec, "{\"SessionId\":1}", SP_ERR_JSON_TYPE,
	    "SessionId a number");
	check_dec_fail(&cc_codec, "true", SP_ERR_JSON_TYPE, "bool root");
}

static void
test_flag(void)
{
	struct buf b;
	uint32_t f;
	size_t n;
	uint8_t *want;

	buf_init(&b, 16);
	CHECK_EQ(pl_encode_flag(&b, FLAG_DISCONNECT_TO_PORT), 0, "encode 1");
	want = test_unhex("00000001", &n);
	CHECK_MEM(buf_ptr(&b), buf_len(&b), want, n, "V4 flag payload");
	free(want);
	buf_reset(&b);
	CHECK_EQ(pl_encode_flag(&b, FLAG_TERMINATE_SESSION), 0, "encode 2");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), "\0\0\0\2", 4,
	    "TerminateSession payload");
	buf_release(&b);
	buf_init(&b, 3);
	CHECK_EQ(pl_encode_flag(&b, 3), SP_ERR_NO_SPACE, "no room");
	CHECK_EQ(buf_len(&b), 0, "nothing appended");
	buf_release(&b);

	CHECK(pl_decode_flag((const uint8_t *)"\0\0\0\3", 4, &f) == 0 &&
	    f == FLAG_CONNECT_TO_PORT_ERROR, "decode 3");
	CHECK(pl_decode_flag((const uint8_t *)"\xff\xff\xff\xff", 4, &f) == 0 &&
	    f == UINT32_MAX, "decode any value");
	CHECK_EQ(pl_decode_flag((const uint8_t *)"\0\0\1", 3, &f),
	    SP_ERR_PAYLOAD_LENGTH, "3 bytes");
	CHECK_EQ(f, 0, "zeroed on error");
	CHECK_EQ(pl_decode_flag((const uint8_t *)"\0\0\0\1\0", 5, &f),
	    SP_ERR_PAYLOAD_LENGTH, "5 bytes");
	CHECK_EQ(pl_decode_flag((const uint8_t *)"", 0, &f),
	    SP_ERR_PAYLOAD_LENGTH, "empty");
}

/* pl_decode_ack_seq(): the agent's form and everything else. */
static void
test_ack_seq(void)
{
	const struct { const char *text; int ok; int64_t seq; } c[] = {
		/* V3, in the agent's form: the fast path. */
		{ V3_JSON, 1, 0 },
		{ "{\"AcknowledgedMessageType\":\"input_stream_data\","
		  "\"AcknowledgedMessageId\":\"x\","
		  "\"AcknowledgedMessageSequenceNumber\":123456789012345678,"
		  "\"IsSequentialMessage\":false}", 1, 123456789012345678 },
		/* Other forms: the full parser decides. */
		{ "{ \"AcknowledgedMessageSequenceNumber\" : 42 }", 1, 42 },
		{ "{\"AcknowledgedMessageType\":\"a\\u0041\","
		  "\"AcknowledgedMessageId\":\"x\","
		  "\"AcknowledgedMessageSequenceNumber\":7,"
		  "\"IsSequentialMessage\":true}", 1, 7 },
		{ "{\"AcknowledgedMessageType\":\"a\","
		  "\"AcknowledgedMessageId\":\"x\","
		  "\"AcknowledgedMessageSequenceNumber\":1234567890123456789,"
		  "\"IsSequentialMessage\":true}", 1, 1234567890123456789 },
		{ "{\"AcknowledgedMessageType\":\"a\","
		  "\"AcknowledgedMessageId\":\"x\","
		  "\"AcknowledgedMessageSequenceNumber\":01,"
		  "\"IsSequentialMessage\":true}", 0, 0 },
		{ "{\"AcknowledgedMessageType\":\"a\","
		  "\"AcknowledgedMessageId\":\"x\","
		  "\"AcknowledgedMessageSequenceNumber\":-1,"
		  "\"IsSequentialMessage\":true}", 0, 0 },
		{ "{\"AcknowledgedMessageType\":\"a\","
		  "\"AcknowledgedMessageId\":\"x\","
		  "\"AcknowledgedMessageSequenceNumber\":5,"
		  "\"IsSequentialMessage\":true}x", 0, 0 },
		{ "{\"AcknowledgedMessageType\":\"a\"}", 0, 0 },
	};
	size_t i;
	int64_t seq;
	int r;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		r = pl_decode_ack_seq((const uint8_t *)c[i].text,
		    strlen(c[i].text), &seq);
		CHECK_EQ(r == 0, c[i].ok, "ack_seq: accepted as expected");
		if (c[i].ok)
			CHECK_EQ(seq, c[i].seq, "ack_seq: the number");
	}
}

int
main(void)
{
	test_ack();
	test_ack_seq();
	test_open_data_channel();
	test_handshake_request();
	test_handshake_response();
	test_handshake_complete();
	test_channel_closed();
	test_flag();
	return test_done();
}
