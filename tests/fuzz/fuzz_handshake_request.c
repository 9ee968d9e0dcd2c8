/*
 * libFuzzer target for pl_decode_handshake_request (protocol/payload.c).
 *
 * The input is the payload.  It is decoded whole and through the
 * incremental JSON parser in pieces (one byte at a time when short): both
 * must agree, and a failed decode must leave the struct zeroed.
 */
#include "payload_fuzz.h"

static int
equal(const struct pl_handshake_request *a,
    const struct pl_handshake_request *b)
{
	const struct pl_action_request *x, *y;
	size_t i;

	if (!str_eq(a->agent_version, b->agent_version) ||
	    a->n_actions != b->n_actions || a->n_actions > PL_MAX_ACTIONS)
		return 0;
	for (i = 0; i < a->n_actions; i++) {
		x = &a->actions[i];
		y = &b->actions[i];
		if (x->action_type == NULL ||
		    !str_eq(x->action_type, y->action_type) ||
		    !str_eq(x->session_type, y->session_type) ||
		    !str_eq(x->port_number, y->port_number) ||
		    !str_eq(x->properties_type, y->properties_type) ||
		    !str_eq(x->kms_key_id, y->kms_key_id))
			return 0;
		/* Parameters are read only for the two known actions. */
		if ((strcmp(x->action_type, PL_ACTION_SESSION_TYPE) == 0) !=
		    (x->session_type != NULL))
			return 0;
	}
	return 1;
}


/* Untyped wrappers for the shared driver. */
static int
w_decode(const uint8_t *p, size_t len, void *out)
{
	return pl_decode_handshake_request(p, len, out);
}

static int
w_from_json(const struct json *j, void *out)
{
	return pl_handshake_request_from_json(j, out);
}

static int
w_equal(const void *a, const void *b)
{
	return equal(a, b);
}

static void
w_free(void *p)
{
	pl_handshake_request_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pf_codec codec = {
		sizeof(struct pl_handshake_request), w_decode, w_from_json, w_equal,
		NULL, w_free
	};

	return pf_run(&codec, data, size);
}
