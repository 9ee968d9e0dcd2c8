/*
 * The JSON and flag payloads of the data channel (PROTOCOL.md
 * "OpenDataChannel", "Handshake payloads", "Acknowledgement format",
 * "channel_closed", "Flag payloads"): encoders produce the exact bytes the
 * reference client produces; decoders are lenient about members they do not
 * need and strict about the types of those they do.
 *
 * Decoded structs own their strings; free them with the matching *_free
 * function, which also accepts a zeroed struct.  Every decoder zeroes its
 * output first and leaves it zeroed on error.
 *
 * Decoders take the payload bytes (pl_decode_*) or a tree that json.h
 * already parsed (pl_*_from_json, which borrow j and copy what they keep).
 * They return 0, an error of json_parse, SP_ERR_JSON_TYPE when the text is
 * not an object or a member has the wrong type, SP_ERR_JSON_MISSING when a
 * required member is absent, SP_ERR_JSON_RANGE when an integer member is
 * not an int64 (or is out of the range stated), SP_ERR_JSON_LIMIT when an
 * array is longer than stated, or SP_ERR_ALLOC.  Member names match as
 * json_get matches them (exact, else ASCII case-insensitive), and a member
 * whose value is null counts as absent, as with Go's decoder.  Members a
 * decoder does not keep are not looked at.
 *
 * Encoders append to out, all or nothing; a NULL string where one is
 * required gives SP_ERR_INVALID_ARG, as does invalid UTF-8.
 */
#ifndef SP_PAYLOAD_H
#define SP_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct json;

/* ActionStatus values (PROTOCOL.md "HandshakeResponse"). */
#define PL_STATUS_SUCCESS	1
#define PL_STATUS_FAILED	2
#define PL_STATUS_UNSUPPORTED	3

/* Upper bound on actions in one handshake message. */
#define PL_MAX_ACTIONS		32

/* ActionType values. */
#define PL_ACTION_SESSION_TYPE	"SessionType"
#define PL_ACTION_KMS		"KMSEncryption"

/* OpenDataChannel, the first (TEXT) frame on every websocket (PROTOCOL.md
 * "OpenDataChannel"). */
struct pl_open_data_channel {
	char	*message_schema_version;	/* "1.0" */
	char	*request_id;
	char	*token_value;
	char	*client_id;
	char	*client_version;		/* may be NULL when decoded */
};
/* Field order: MessageSchemaVersion, RequestId, TokenValue, ClientId,
 * ClientVersion (tests/vectors/channel V7).  Appends to out.  A NULL
 * client_version leaves ClientVersion out, as older plugins do. */
int	pl_encode_open_data_channel(struct buf *out,
	    const struct pl_open_data_channel *o) SP_WUR;
/* For the fake agent, tests and fuzzing: requires MessageSchemaVersion,
 * RequestId and TokenValue; ClientId is "" and client_version NULL when
 * absent.  The free function wipes the token. */
int	pl_decode_open_data_channel(const uint8_t *p, size_t len,
	    struct pl_open_data_channel *o) SP_WUR;
int	pl_open_data_channel_from_json(const struct json *j,
	    struct pl_open_data_channel *o) SP_WUR;
void	pl_open_data_channel_free(struct pl_open_data_channel *o);

/* Acknowledge payload (PROTOCOL.md "Acknowledgement format";
 * tests/vectors/channel V3). */
struct pl_ack {
	char	*message_type;		/* AcknowledgedMessageType */
	char	*message_id;		/* AcknowledgedMessageId, UUID text */
	int64_t	 sequence_number;	/* AcknowledgedMessageSequenceNumber */
	int	 is_sequential;		/* IsSequentialMessage */
};
/* Encodes IsSequentialMessage as given (peers always send true). */
int	pl_encode_ack(struct buf *out, const struct pl_ack *a) SP_WUR;
/* Requires AcknowledgedMessageSequenceNumber (an integer >= 0); the other
 * members are optional (empty strings when absent, is_sequential 0). */
int	pl_decode_ack(const uint8_t *p, size_t len, struct pl_ack *a) SP_WUR;
/* Only the sequence number, as pl_decode_ack() would return it; without
 * an allocation when the text is in the form the agent writes. */
int	pl_decode_ack_seq(const uint8_t *p, size_t len, int64_t *seq) SP_WUR;
int	pl_ack_from_json(const struct json *j, struct pl_ack *a) SP_WUR;
void	pl_ack_free(struct pl_ack *a);

/* One requested action of a HandshakeRequest (PROTOCOL.md
 * "HandshakeRequest"). */
struct pl_action_request {
	char	*action_type;
	/* SessionType action (NULL for any other): */
	char	*session_type;		/* ActionParameters.SessionType, "" if
					 * absent */
	char	*port_number;		/* Properties.portNumber or NULL */
	char	*properties_type;	/* Properties.type or NULL (7.1) */
	/* KMSEncryption action (NULL for any other): */
	char	*kms_key_id;		/* ActionParameters.KMSKeyId or NULL */
};

/* HandshakeRequest, agent to client, PayloadType 5. */
struct pl_handshake_request {
	char			*agent_version;		/* "" if absent */
	size_t			 n_actions;
	struct pl_action_request *actions;
};
/* Requires RequestedClientActions (an array, at most PL_MAX_ACTIONS) whose
 * entries each have a string ActionType.  ActionParameters is read only
 * for SessionType (where it and Properties must be objects when present)
 * and KMSEncryption (an object when present); other actions' parameters,
 * Challenge included, are ignored.  ActionType values match exactly. */
int	pl_decode_handshake_request(const uint8_t *p, size_t len,
	    struct pl_handshake_request *h) SP_WUR;
int	pl_handshake_request_from_json(const struct json *j,
	    struct pl_handshake_request *h) SP_WUR;
void	pl_handshake_request_free(struct pl_handshake_request *h);

/* One processed action of a HandshakeResponse (PROTOCOL.md
 * "HandshakeResponse"). */
struct pl_action_result {
	char	*action_type;
	int64_t	 action_status;		/* PL_STATUS_* */
	int	 result_is_null;	/* ActionResult null/absent (decode) */
	char	*error;			/* "" when none; NULL encodes as "" */
};

/* HandshakeResponse, client to agent, PayloadType 6. */
struct pl_handshake_response {
	char			*client_version;
	size_t			 n_actions;
	struct pl_action_result	*actions;
	size_t			 n_errors;
	char			**errors;	/* encoded as null when 0 */
};
/*
 * Exact bytes of the reference client (tests/vectors/channel V5): members
 * ClientVersion, ProcessedClientActions (each ActionType, ActionStatus,
 * ActionResult null, Error; [] when there are none, as the plugin starts
 * from an empty slice), Errors (null or an array of strings).
 */
int	pl_encode_handshake_response(struct buf *out,
	    const struct pl_handshake_response *h) SP_WUR;
/* For tests and fuzzing: reads what the encoder and the reference client
 * (tests/vectors/channel V8) write.  Every member is optional
 * (ProcessedClientActions and Errors: none when absent or null); each
 * action and each error string is type-checked; at most PL_MAX_ACTIONS of
 * either. */
int	pl_decode_handshake_response(const uint8_t *p, size_t len,
	    struct pl_handshake_response *h) SP_WUR;
int	pl_handshake_response_from_json(const struct json *j,
	    struct pl_handshake_response *h) SP_WUR;
void	pl_handshake_response_free(struct pl_handshake_response *h);

/* HandshakeComplete, agent to client, PayloadType 7 (PROTOCOL.md
 * "HandshakeComplete"). */
struct pl_handshake_complete {
	int64_t	 time_to_complete_ns;	/* 0 if absent */
	char	*customer_message;	/* "" if absent */
};
int	pl_decode_handshake_complete(const uint8_t *p, size_t len,
	    struct pl_handshake_complete *c) SP_WUR;
int	pl_handshake_complete_from_json(const struct json *j,
	    struct pl_handshake_complete *c) SP_WUR;
void	pl_handshake_complete_free(struct pl_handshake_complete *c);

/* channel_closed payload (PROTOCOL.md "channel_closed"; tests/vectors/channel
 * V6); every member optional:
 * strings are "" and schema_version 0 when absent. */
struct pl_channel_closed {
	char	*message_id;
	char	*created_date;
	char	*destination_id;
	char	*session_id;
	char	*message_type;
	int64_t	 schema_version;
	char	*output;		/* "" if absent */
};
int	pl_decode_channel_closed(const uint8_t *p, size_t len,
	    struct pl_channel_closed *c) SP_WUR;
int	pl_channel_closed_from_json(const struct json *j,
	    struct pl_channel_closed *c) SP_WUR;
void	pl_channel_closed_free(struct pl_channel_closed *c);

/* Flag payload, PayloadType 10: a 4-byte big-endian value (PROTOCOL.md
 * "Flag payloads"). */
int	pl_encode_flag(struct buf *out, uint32_t flag) SP_WUR;
/* Exactly 4 bytes, else SP_ERR_PAYLOAD_LENGTH (*flag 0).  Any value is
 * returned; the caller decides what it knows. */
int	pl_decode_flag(const uint8_t *p, size_t len, uint32_t *flag) SP_WUR;

#endif /* SP_PAYLOAD_H */
