/*
 * The JSON and flag payloads of the data channel; see payload.h.
 * Encoders write members in the reference client's order (PROTOCOL.md
 * "OpenDataChannel", "HandshakeResponse", "Acknowledgement format");
 * decoders read members by name, one per line, in the same order.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "json.h"
#include "payload.h"

/*
 * pl_decode_NAME(): parse the whole text, then pl_NAME_from_json(); the
 * output is zeroed first and stays zeroed on error.
 */
#define PL_DECODER(name)						\
int									\
pl_decode_##name(const uint8_t *p, size_t len, struct pl_##name *out)	\
{									\
	struct json *j = NULL;						\
	int r;								\
									\
	memset(out, 0, sizeof(*out));					\
	if ((r = json_parse(p, len, &j)) == 0)				\
		r = pl_##name##_from_json(j, out);			\
	json_free(j);							\
	return r;							\
}


static int
dup_str(const char *s, char **out)
{
	size_t n = strlen(s);

	if ((*out = malloc(n + 1)) == NULL)
		return SP_ERR_ALLOC;
	memcpy(*out, s, n + 1);
	return 0;
}

/* A required string member. */
static int
req_str(const struct json *j, const char *key, char **out)
{
	const char *s;
	int r;

	*out = NULL;
	if ((r = json_get_str(j, key, &s)) != 0)
		return r;
	return dup_str(s, out);
}

/* An optional string member: *out is def (copied) or NULL when absent. */
static int
opt_str(const struct json *j, const char *key, const char *def, char **out)
{
	const char *s;
	int r;

	*out = NULL;
	if ((r = json_get_str(j, key, &s)) == SP_ERR_JSON_MISSING) {
		if (def == NULL)
			return 0;
		s = def;
	} else if (r != 0)
		return r;
	return dup_str(s, out);
}

/* An optional integer member, 0 when absent. */
static int
opt_int(const struct json *j, const char *key, int64_t *out)
{
	int r;

	if ((r = json_get_int(j, key, out)) == SP_ERR_JSON_MISSING)
		return 0;
	return r;
}

/* An optional boolean member, 0 when absent. */
static int
opt_bool(const struct json *j, const char *key, int *out)
{
	int r;

	if ((r = json_get_bool(j, key, out)) == SP_ERR_JSON_MISSING)
		return 0;
	return r;
}

/* A member that must be an object when present (null counts as absent). */
static int
opt_obj(const struct json *j, const char *key, const struct json **out)
{
	const struct json *m;

	*out = NULL;
	if ((m = json_get(j, key)) == NULL || m->type == JSON_NULL)
		return 0;
	if (m->type != JSON_OBJECT)
		return SP_ERR_JSON_TYPE;
	*out = m;
	return 0;
}

/* A member that must be an array of at most max entries when present. */
static int
opt_arr(const struct json *j, const char *key, size_t max,
    const struct json **out)
{
	const struct json *m;

	*out = NULL;
	if ((m = json_get(j, key)) == NULL || m->type == JSON_NULL)
		return 0;
	if (m->type != JSON_ARRAY)
		return SP_ERR_JSON_TYPE;
	if (m->n > max)
		return SP_ERR_JSON_LIMIT;
	*out = m;
	return 0;
}

static int
is_object(const struct json *j)
{
	return j != NULL && j->type == JSON_OBJECT;
}

/* A "key":"string" member. */
static int
w_str_member(struct json_writer *w, const char *key, const char *s)
{
	int r;

	if ((r = json_w_key(w, key)) != 0 ||
	    (r = json_w_str(w, s)) != 0)
		return r;
	return 0;
}

/*
 * OpenDataChannel (PROTOCOL.md "OpenDataChannel"; tests/vectors/channel V7).
 */
int
pl_encode_open_data_channel(struct buf *out,
    const struct pl_open_data_channel *o)
{
	struct json_writer *w = NULL;
	int r = SP_ERR_INTERNAL;

	if (o->message_schema_version == NULL || o->request_id == NULL ||
	    o->token_value == NULL || o->client_id == NULL)
		return SP_ERR_INVALID_ARG;
	if ((w = json_writer_new()) == NULL)
		return SP_ERR_ALLOC;
	if ((r = json_w_obj_open(w)) != 0 ||
	    (r = w_str_member(w, "MessageSchemaVersion",
	    o->message_schema_version)) != 0 ||
	    (r = w_str_member(w, "RequestId", o->request_id)) != 0 ||
	    (r = w_str_member(w, "TokenValue", o->token_value)) != 0 ||
	    (r = w_str_member(w, "ClientId", o->client_id)) != 0 ||
	    (o->client_version != NULL &&
	    (r = w_str_member(w, "ClientVersion", o->client_version)) != 0) ||
	    (r = json_w_obj_close(w)) != 0 ||
	    (r = json_w_finish(w, out)) != 0)
		goto out;
	r = 0;
 out:
	json_writer_free(w);	/* wipes the token */
	return r;
}

int
pl_open_data_channel_from_json(const struct json *j,
    struct pl_open_data_channel *o)
{
	int r = SP_ERR_INTERNAL;

	memset(o, 0, sizeof(*o));
	if (!is_object(j)) {
		r = SP_ERR_JSON_TYPE;
		goto out;
	}
	if ((r = req_str(j, "MessageSchemaVersion",
	    &o->message_schema_version)) != 0 ||
	    (r = req_str(j, "RequestId", &o->request_id)) != 0 ||
	    (r = req_str(j, "TokenValue", &o->token_value)) != 0 ||
	    (r = opt_str(j, "ClientId", "", &o->client_id)) != 0 ||
	    (r = opt_str(j, "ClientVersion", NULL, &o->client_version)) != 0)
		goto out;
	return 0;
 out:
	pl_open_data_channel_free(o);
	return r;
}

PL_DECODER(open_data_channel)

void
pl_open_data_channel_free(struct pl_open_data_channel *o)
{
	if (o == NULL)
		return;
	free(o->message_schema_version);
	free(o->request_id);
	if (o->token_value != NULL)
		OPENSSL_clear_free(o->token_value, strlen(o->token_value));
	free(o->client_id);
	free(o->client_version);
	memset(o, 0, sizeof(*o));
}

/*
 * Acknowledge (PROTOCOL.md "Acknowledgement format"; tests/vectors/channel
 * V3).
 */
/* Printable ASCII that JSON (and Go's encoder) writes unescaped. */
static int
plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\' ||
		    *s == '<' || *s == '>' || *s == '&')
			return 0;
	return 1;
}

/*
 * The acknowledgement is sent once per message received, so its usual form
 * (names and ids that need no escaping) is written directly, in one
 * reservation; anything else goes through the JSON writer.  Both give the
 * same bytes (tests/unit/test_payload.c checks
 * tests/vectors/channel V3 both ways).
 */
static int
encode_ack_plain(struct buf *out, const struct pl_ack *a)
{
	static const char k1[] = "{\"AcknowledgedMessageType\":\"",
	    k2[] = "\",\"AcknowledgedMessageId\":\"",
	    k3[] = "\",\"AcknowledgedMessageSequenceNumber\":",
	    k4[] = ",\"IsSequentialMessage\":";
	char num[24], *np = num + sizeof(num);
	uint64_t v;
	size_t lt, li, ln, n;
	uint8_t *p;
	int r;

	v = a->sequence_number < 0 ? (uint64_t)0 - (uint64_t)a->sequence_number :
	    (uint64_t)a->sequence_number;
	do {
		*--np = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (a->sequence_number < 0)
		*--np = '-';
	ln = (size_t)(num + sizeof(num) - np);
	lt = strlen(a->message_type);
	li = strlen(a->message_id);
	n = sizeof(k1) - 1 + lt + sizeof(k2) - 1 + li + sizeof(k3) - 1 + ln +
	    sizeof(k4) - 1 + (a->is_sequential ? 4 : 5) + 1;
	if ((r = buf_reserve(out, n, &p)) != 0)
		return r;
#define PUT(src, len)	do { memcpy(p, (src), (len)); p += (len); } while (0)
	PUT(k1, sizeof(k1) - 1);
	PUT(a->message_type, lt);
	PUT(k2, sizeof(k2) - 1);
	PUT(a->message_id, li);
	PUT(k3, sizeof(k3) - 1);
	PUT(np, ln);
	PUT(k4, sizeof(k4) - 1);
	if (a->is_sequential)
		PUT("true", 4);
	else
		PUT("false", 5);
	PUT("}", 1);
#undef PUT
	return 0;
}

int
pl_encode_ack(struct buf *out, const struct pl_ack *a)
{
	struct json_writer *w = NULL;
	int r = SP_ERR_INTERNAL;

	if (a->message_type == NULL || a->message_id == NULL)
		return SP_ERR_INVALID_ARG;
	if (plain_ascii(a->message_type) && plain_ascii(a->message_id))
		return encode_ack_plain(out, a);
	if ((w = json_writer_new()) == NULL)
		return SP_ERR_ALLOC;
	if ((r = json_w_obj_open(w)) != 0 ||
	    (r = w_str_member(w, "AcknowledgedMessageType",
	    a->message_type)) != 0 ||
	    (r = w_str_member(w, "AcknowledgedMessageId",
	    a->message_id)) != 0 ||
	    (r = json_w_key(w, "AcknowledgedMessageSequenceNumber")) != 0 ||
	    (r = json_w_int(w, a->sequence_number)) != 0 ||
	    (r = json_w_key(w, "IsSequentialMessage")) != 0 ||
	    (r = json_w_bool(w, a->is_sequential)) != 0 ||
	    (r = json_w_obj_close(w)) != 0 ||
	    (r = json_w_finish(w, out)) != 0)
		goto out;
	r = 0;
 out:
	json_writer_free(w);
	return r;
}

int
pl_ack_from_json(const struct json *j, struct pl_ack *a)
{
	int r = SP_ERR_INTERNAL;

	memset(a, 0, sizeof(*a));
	if (!is_object(j)) {
		r = SP_ERR_JSON_TYPE;
		goto out;
	}
	if ((r = opt_str(j, "AcknowledgedMessageType", "",
	    &a->message_type)) != 0 ||
	    (r = opt_str(j, "AcknowledgedMessageId", "",
	    &a->message_id)) != 0 ||
	    (r = json_get_int(j, "AcknowledgedMessageSequenceNumber",
	    &a->sequence_number)) != 0 ||
	    (r = opt_bool(j, "IsSequentialMessage", &a->is_sequential)) != 0)
		goto out;
	if (a->sequence_number < 0) {
		r = SP_ERR_JSON_RANGE;
		goto out;
	}
	return 0;
 out:
	pl_ack_free(a);
	return r;
}

PL_DECODER(ack)

/* Match the literal lit at *p, advancing past it. */
static int
lit(const uint8_t **p, const uint8_t *end, const char *l, size_t n)
{
	if ((size_t)(end - *p) < n || memcmp(*p, l, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/* A string of 1 to 64 plain characters up to its closing quote. */
static int
plain_str(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *s = *p;

	while (s < end && *s != '"' && s - *p < 64) {
		if (*s < 0x20 || *s > 0x7e || *s == '\\')
			return 0;
		s++;
	}
	if (s == *p || s == end || *s != '"')
		return 0;
	*p = s + 1;
	return 1;
}

/*
 * The acknowledgement in the exact form the agent writes it
 * (tests/vectors/channel V3), which is every one in practice: read its
 * sequence number without building a JSON tree or copying a string.
 * Returns 0 unless the text is in that form, when the caller parses it
 * properly.  What it accepts, pl_decode_ack() accepts with the same number
 * (tests/fuzz/fuzz_ack.c checks both ways).
 */
static int
ack_seq_plain(const uint8_t *p, size_t len, int64_t *seq)
{
	const uint8_t *end = p + len;
	int64_t v = 0;
	int digits = 0;

	if (!lit(&p, end, "{\"AcknowledgedMessageType\":\"", 28) ||
	    !plain_str(&p, end) ||
	    !lit(&p, end, ",\"AcknowledgedMessageId\":\"", 26) ||
	    !plain_str(&p, end) ||
	    !lit(&p, end, ",\"AcknowledgedMessageSequenceNumber\":", 37))
		return 0;
	/* 0, or up to 18 digits without a leading zero: no overflow. */
	while (p < end && *p >= '0' && *p <= '9' && digits < 18) {
		if (digits == 1 && v == 0)
			return 0;
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 ||
	    !lit(&p, end, ",\"IsSequentialMessage\":", 23) ||
	    (!lit(&p, end, "true}", 5) && !lit(&p, end, "false}", 6)) ||
	    p != end)
		return 0;
	*seq = v;
	return 1;
}

int
pl_decode_ack_seq(const uint8_t *p, size_t len, int64_t *seq)
{
	struct pl_ack a;
	int r;

	*seq = 0;
	if (ack_seq_plain(p, len, seq))
		return 0;
	if ((r = pl_decode_ack(p, len, &a)) != 0)
		return r;
	*seq = a.sequence_number;
	pl_ack_free(&a);
	return 0;
}

void
pl_ack_free(struct pl_ack *a)
{
	if (a == NULL)
		return;
	free(a->message_type);
	free(a->message_id);
	memset(a, 0, sizeof(*a));
}

/*
 * HandshakeRequest (PROTOCOL.md "HandshakeRequest").
 */
static void
action_request_free(struct pl_action_request *a)
{
	free(a->action_type);
	free(a->session_type);
	free(a->port_number);
	free(a->properties_type);
	free(a->kms_key_id);
	memset(a, 0, sizeof(*a));
}

static int
action_request_from_json(const struct json *e, struct pl_action_request *a)
{
	const struct json *params, *props;
	int r = SP_ERR_INTERNAL;

	memset(a, 0, sizeof(*a));
	if (!is_object(e)) {
		r = SP_ERR_JSON_TYPE;
		goto out;
	}
	if ((r = req_str(e, "ActionType", &a->action_type)) != 0)
		goto out;
	/* Parameters of actions we do not know may be anything. */
	if (strcmp(a->action_type, PL_ACTION_SESSION_TYPE) == 0) {
		if ((r = opt_obj(e, "ActionParameters", &params)) != 0 ||
		    (r = opt_str(params, "SessionType", "",
		    &a->session_type)) != 0 ||
		    (r = opt_obj(params, "Properties", &props)) != 0 ||
		    (r = opt_str(props, "portNumber", NULL,
		    &a->port_number)) != 0 ||
		    (r = opt_str(props, "type", NULL,
		    &a->properties_type)) != 0)
			goto out;
	} else if (strcmp(a->action_type, PL_ACTION_KMS) == 0) {
		if ((r = opt_obj(e, "ActionParameters", &params)) != 0 ||
		    (r = opt_str(params, "KMSKeyId", NULL,
		    &a->kms_key_id)) != 0)
			goto out;
	}
	return 0;
 out:
	action_request_free(a);
	return r;
}

int
pl_handshake_request_from_json(const struct json *j,
    struct pl_handshake_request *h)
{
	const struct json *acts;
	size_t i;
	int r = SP_ERR_INTERNAL;

	memset(h, 0, sizeof(*h));
	if (!is_object(j)) {
		r = SP_ERR_JSON_TYPE;
		goto out;
	}
	if ((r = opt_str(j, "AgentVersion", "", &h->agent_version)) != 0 ||
	    (r = opt_arr(j, "RequestedClientActions", PL_MAX_ACTIONS,
	    &acts)) != 0)
		goto out;
	if (acts == NULL) {
		r = SP_ERR_JSON_MISSING;
		goto out;
	}
	if (acts->n > 0 &&
	    (h->actions = calloc(acts->n, sizeof(*h->actions))) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < acts->n; i++) {
		if ((r = action_request_from_json(acts->v[i],
		    &h->actions[i])) != 0)
			goto out;
		h->n_actions++;
	}
	return 0;
 out:
	pl_handshake_request_free(h);
	return r;
}

PL_DECODER(handshake_request)

void
pl_handshake_request_free(struct pl_handshake_request *h)
{
	size_t i;

	if (h == NULL)
		return;
	free(h->agent_version);
	for (i = 0; i < h->n_actions; i++)
		action_request_free(&h->actions[i]);
	free(h->actions);
	memset(h, 0, sizeof(*h));
}

/*
 * HandshakeResponse (PROTOCOL.md "HandshakeResponse"; tests/vectors/channel
 * V5 and V8).
 */
int
pl_encode_handshake_response(struct buf *out,
    const struct pl_handshake_response *h)
{
	const struct pl_action_result *a;
	struct json_writer *w = NULL;
	size_t i;
	int r = SP_ERR_INTERNAL;

	if (h->client_version == NULL ||
	    (h->n_actions > 0 && h->actions == NULL) ||
	    (h->n_errors > 0 && h->errors == NULL))
		return SP_ERR_INVALID_ARG;
	if ((w = json_writer_new()) == NULL)
		return SP_ERR_ALLOC;
	if ((r = json_w_obj_open(w)) != 0 ||
	    (r = w_str_member(w, "ClientVersion", h->client_version)) != 0 ||
	    (r = json_w_key(w, "ProcessedClientActions")) != 0 ||
	    (r = json_w_arr_open(w)) != 0)
		goto out;
	for (i = 0; i < h->n_actions; i++) {
		a = &h->actions[i];
		if (a->action_type == NULL) {
			r = SP_ERR_INVALID_ARG;
			goto out;
		}
		if ((r = json_w_obj_open(w)) != 0 ||
		    (r = w_str_member(w, "ActionType", a->action_type)) != 0 ||
		    (r = json_w_key(w, "ActionStatus")) != 0 ||
		    (r = json_w_int(w, a->action_status)) != 0 ||
		    (r = json_w_key(w, "ActionResult")) != 0 ||
		    (r = json_w_null(w)) != 0 ||
		    (r = w_str_member(w, "Error",
		    a->error != NULL ? a->error : "")) != 0 ||
		    (r = json_w_obj_close(w)) != 0)
			goto out;
	}
	if ((r = json_w_arr_close(w)) != 0 ||
	    (r = json_w_key(w, "Errors")) != 0)
		goto out;
	/* Go marshals the plugin's nil []string as null. */
	if (h->n_errors == 0)
		r = json_w_null(w);
	else
		r = json_w_arr_open(w);
	if (r != 0)
		goto out;
	for (i = 0; i < h->n_errors; i++) {
		if (h->errors[i] == NULL) {
			r = SP_ERR_INVALID_ARG;
			goto out;
		}
		if ((r = json_w_str(w, h->errors[i])) != 0)
			goto out;
	}
	if ((h->n_errors > 0 && (r = json_w_arr_close(w)) != 0) ||
	    (r = json_w_obj_close(w)) != 0 ||
	    (r = json_w_finish(w, out)) != 0)
		goto out;
	r = 0;
 out:
	json_writer_free(w);
	return r;
}

static void
action_result_free(struct pl_action_result *a)
{
	free(a->action_type);
	free(a->error);
	memset(a, 0, sizeof(*a));
}

static int
action_result_from_json(const struct json *e, struct pl_action_result *a)
{
	const struct json *res;
	int r = SP_ERR_INTERNAL;

	memset(a, 0, sizeof(*a));
	if (!is_object(e)) {
		r = SP_ERR_JSON_TYPE;
		goto out;
	}
	if ((r = opt_str(e, "ActionType", "", &a->action_type)) != 0 ||
	    (r = opt_int(e, "ActionStatus", &a->action_status)) != 0)
		goto out;
	/* Any value will do: the plugin puts 3 here for unknown actions. */
	res = json_get(e, "ActionResult");
	a->result_is_null = res == NULL || res->type == JSON_NULL;
	if ((r = opt_str(e, "Error", "", &a->error)) != 0)
		goto out;
	return 0;
 out:
	action_result_free(a);
	return r;
}

int
pl_handshake_response_from_json(const struct json *j,
    struct pl_handshake_response *h)
{
	const struct json *acts, *errs;
	size_t i;
	int r = SP_ERR_INTERNAL;

	memset(h, 0, sizeof(*h));
	if (!is_object(j)) {
		r = SP_ERR_JSON_TYPE;
		goto out;
	}
	if ((r = opt_str(j, "ClientVersion", "", &h->client_version)) != 0 ||
	    (r = opt_arr(j, "ProcessedClientActions", PL_MAX_ACTIONS,
	    &acts)) != 0 ||
	    (r = opt_arr(j, "Errors", PL_MAX_ACTIONS, &errs)) != 0)
		goto out;
	if (acts != NULL && acts->n > 0) {
		if ((h->actions = calloc(acts->n,
		    sizeof(*h->actions))) == NULL) {
			r = SP_ERR_ALLOC;
			goto out;
		}
		for (i = 0; i < acts->n; i++) {
			if ((r = action_result_from_json(acts->v[i],
			    &h->actions[i])) != 0)
				goto out;
			h->n_actions++;
		}
	}
	if (errs != NULL && errs->n > 0) {
		if ((h->errors = calloc(errs->n, sizeof(*h->errors))) == NULL) {
			r = SP_ERR_ALLOC;
			goto out;
		}
		for (i = 0; i < errs->n; i++) {
			if (errs->v[i]->type != JSON_STRING) {
				r = SP_ERR_JSON_TYPE;
				goto out;
			}
			if ((r = dup_str(errs->v[i]->s, &h->errors[i])) != 0)
				goto out;
			h->n_errors++;
		}
	}
	return 0;
 out:
	pl_handshake_response_free(h);
	return r;
}

PL_DECODER(handshake_response)

void
pl_handshake_response_free(struct pl_handshake_response *h)
{
	size_t i;

	if (h == NULL)
		return;
	free(h->client_version);
	for (i = 0; i < h->n_actions; i++)
		action_result_free(&h->actions[i]);
	free(h->actions);
	for (i = 0; i < h->n_errors; i++)
		free(h->errors[i]);
	free(h->errors);
	memset(h, 0, sizeof(*h));
}

/*
 * HandshakeComplete (PROTOCOL.md "HandshakeComplete").
 */
int
pl_handshake_complete_from_json(const struct json *j,
    struct pl_handshake_complete *c)
{
	int r = SP_ERR_INTERNAL;

	memset(c, 0, sizeof(*c));
	if (!is_object(j)) {
		r = SP_ERR_JSON_TYPE;
		goto out;
	}
	if ((r = opt_int(j, "HandshakeTimeToComplete",
	    &c->time_to_complete_ns)) != 0 ||
	    (r = opt_str(j, "CustomerMessage", "",
	    &c->customer_message)) != 0)
		goto out;
	return 0;
 out:
	pl_handshake_complete_free(c);
	return r;
}

PL_DECODER(handshake_complete)

void
pl_handshake_complete_free(struct pl_handshake_complete *c)
{
	if (c == NULL)
		return;
	free(c->customer_message);
	memset(c, 0, sizeof(*c));
}

/*
 * channel_closed (PROTOCOL.md "channel_closed"; tests/vectors/channel V6).
 */
int
pl_channel_closed_from_json(const struct json *j, struct pl_channel_closed *c)
{
	int r = SP_ERR_INTERNAL;

	memset(c, 0, sizeof(*c));
	if (!is_object(j)) {
		r = SP_ERR_JSON_TYPE;
		goto out;
	}
	if ((r = opt_str(j, "MessageId", "", &c->message_id)) != 0 ||
	    (r = opt_str(j, "CreatedDate", "", &c->created_date)) != 0 ||
	    (r = opt_str(j, "DestinationId", "", &c->destination_id)) != 0 ||
	    (r = opt_str(j, "SessionId", "", &c->session_id)) != 0 ||
	    (r = opt_str(j, "MessageType", "", &c->message_type)) != 0 ||
	    (r = opt_int(j, "SchemaVersion", &c->schema_version)) != 0 ||
	    (r = opt_str(j, "Output", "", &c->output)) != 0)
		goto out;
	return 0;
 out:
	pl_channel_closed_free(c);
	return r;
}

PL_DECODER(channel_closed)

void
pl_channel_closed_free(struct pl_channel_closed *c)
{
	if (c == NULL)
		return;
	free(c->message_id);
	free(c->created_date);
	free(c->destination_id);
	free(c->session_id);
	free(c->message_type);
	free(c->output);
	memset(c, 0, sizeof(*c));
}

/*
 * Flag (PROTOCOL.md "Flag payloads"; tests/vectors/channel V4): a bare
 * 4-byte big-endian value.
 */
int
pl_encode_flag(struct buf *out, uint32_t flag)
{
	return buf_put_u32(out, flag);
}

int
pl_decode_flag(const uint8_t *p, size_t len, uint32_t *flag)
{
	struct buf b;

	*flag = 0;
	if (len != 4 || p == NULL)
		return SP_ERR_PAYLOAD_LENGTH;
	buf_view(&b, p, len);
	return buf_get_u32(&b, flag);
}
