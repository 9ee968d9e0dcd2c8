/*
 * AgentMessage codec: the binary frame every data-channel message travels
 * in (PROTOCOL.md "AgentMessage").
 */
#ifndef SP_MSG_H
#define SP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* Header layout constants. */
#define MSG_HL_NORMAL		116	/* HeaderLength written by everyone */
#define MSG_HL_SHORT		112	/* MGS channel_closed: no PayloadType */
#define MSG_TYPE_LEN		32
#define MSG_DIGEST_LEN		32
#define MSG_UUID_LEN		16
#define MSG_UUID_STR_LEN	36
#define MSG_OVERHEAD		120	/* bytes before the payload, HL 116 */

/* MessageType strings. */
#define MSG_INPUT_STREAM	"input_stream_data"
#define MSG_OUTPUT_STREAM	"output_stream_data"
#define MSG_ACKNOWLEDGE		"acknowledge"
#define MSG_CHANNEL_CLOSED	"channel_closed"
#define MSG_START_PUBLICATION	"start_publication"
#define MSG_PAUSE_PUBLICATION	"pause_publication"
#define MSG_AGENT_SESSION_STATE	"agent_session_state"

/* PayloadType values. */
#define PT_NONE			0
#define PT_OUTPUT		1
#define PT_ERROR		2
#define PT_SIZE			3
#define PT_PARAMETER		4
#define PT_HANDSHAKE_REQUEST	5
#define PT_HANDSHAKE_RESPONSE	6
#define PT_HANDSHAKE_COMPLETE	7
#define PT_ENC_CHALLENGE_REQUEST 8
#define PT_ENC_CHALLENGE_RESPONSE 9
#define PT_FLAG			10
#define PT_STDERR		11
#define PT_EXIT_CODE		12

/* Flags bits and the values peers actually send (PROTOCOL.md "Flags"). */
#define MSG_FLAG_SYN		1ULL
#define MSG_FLAG_FIN		2ULL
#define MSG_FLAGS_ACK		(MSG_FLAG_SYN | MSG_FLAG_FIN)

/* Flag payload values (PayloadType 10, PROTOCOL.md "Flag payloads"). */
#define FLAG_DISCONNECT_TO_PORT		1
#define FLAG_TERMINATE_SESSION		2
#define FLAG_CONNECT_TO_PORT_ERROR	3

/* A decoded frame.  payload points into the frame passed to msg_decode. */
struct msg {
	uint32_t	 header_length;
	char		 message_type[MSG_TYPE_LEN + 1];
	uint32_t	 schema_version;
	uint64_t	 created_date;		/* epoch milliseconds */
	int64_t		 sequence_number;
	uint64_t	 flags;
	uint8_t		 message_id[MSG_UUID_LEN];	/* canonical order */
	uint8_t		 payload_digest[MSG_DIGEST_LEN];
	uint32_t	 payload_type;		/* 0 when HL < 116 */
	uint32_t	 payload_length;	/* bytes at payload: the
						 * PayloadLength field unless
						 * the frame disagreed with it */
	const uint8_t	*payload;		/* borrowed */
};

/* What msg_encode needs; the digest and lengths are computed. */
struct msg_out {
	const char	*message_type;
	int64_t		 sequence_number;
	uint64_t	 flags;
	uint64_t	 created_date;
	const uint8_t	*message_id;		/* 16 bytes, canonical order */
	uint32_t	 payload_type;
	const void	*payload;
	size_t		 payload_length;
};

/*
 * Decode one complete frame of len bytes (PROTOCOL.md "Locating the
 * payload", "Validation on receipt"): HeaderLength >= 112 and the frame
 * holds at least HeaderLength + 4 bytes, the type is non-empty,
 * HeaderLength and CreatedDate are non-zero.  The payload is what
 * PayloadLength says when that fills the frame exactly, checked against
 * PayloadDigest when non-empty.  When PayloadLength disagrees with the
 * frame it is not trusted alone (the official parsers never read it): the
 * payload is the whole rest of the frame if its SHA-256 matches the digest,
 * else the PayloadLength bytes if theirs does, else the frame is dropped.
 * The publication messages get the bounds checks only and the rest of the
 * frame as payload.  A frame too short for its header, or for a
 * PayloadLength no reading supports, is SP_ERR_INCOMPLETE; longer than such
 * a PayloadLength, SP_ERR_PAYLOAD_LENGTH.  On error *m is zeroed.
 */
int	msg_decode(const uint8_t *frame, size_t len, struct msg *m) SP_WUR;

/*
 * Append the frame for *o to out with HeaderLength 116 and a space-padded
 * MessageType.  On error nothing is appended.
 */
int	msg_encode(struct buf *out, const struct msg_out *o) SP_WUR;

/* Frame length msg_encode produces for a payload of n bytes. */
size_t	msg_frame_len(size_t n);

/* Canonical UUID bytes to lowercase hyphenated text (37 bytes incl. NUL). */
void	msg_uuid_to_str(const uint8_t id[MSG_UUID_LEN],
	    char out[MSG_UUID_STR_LEN + 1]);
/* Parse hyphenated UUID text (either case) into canonical bytes. */
int	msg_uuid_from_str(const char *s, uint8_t id[MSG_UUID_LEN]) SP_WUR;
/* Turn 16 random bytes into a version 4, variant 1 UUID in place. */
void	msg_uuid_make_v4(uint8_t id[MSG_UUID_LEN]);

#endif /* SP_MSG_H */
