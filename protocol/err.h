/*
 * Error codes shared by everything in protocol/.
 *
 * Every fallible function returns 0 on success or one of the negative
 * SP_ERR_* values below; sp_err_str() turns a code into fixed text that
 * never contains data from the wire.
 */
#ifndef SP_ERR_H
#define SP_ERR_H

#define SP_OK				0
#define SP_ERR_INTERNAL			-1	/* a bug: should not happen */
#define SP_ERR_ALLOC			-2	/* out of memory */
#define SP_ERR_INVALID_ARG		-3	/* caller passed nonsense */
#define SP_ERR_INCOMPLETE		-4	/* not enough bytes to read */
#define SP_ERR_NO_SPACE			-5	/* would exceed a buffer's cap */
#define SP_ERR_AGAIN			-6	/* nothing to do now */
#define SP_ERR_READ_ONLY		-7	/* write to a read-only view */
#define SP_ERR_HEADER_LENGTH		-8	/* HeaderLength out of range */
#define SP_ERR_PAYLOAD_LENGTH		-9	/* PayloadLength != frame rest */
#define SP_ERR_DIGEST			-10	/* PayloadDigest mismatch */
#define SP_ERR_MESSAGE_TYPE		-11	/* MessageType empty or bad */
#define SP_ERR_STRING_LENGTH		-12	/* string too long for field */
#define SP_ERR_UUID			-13	/* malformed or nil UUID */
#define SP_ERR_FIELD			-14	/* zero HeaderLength/CreatedDate */
#define SP_ERR_JSON_SYNTAX		-15	/* not well-formed JSON */
#define SP_ERR_JSON_LIMIT		-16	/* JSON too deep, long or big */
#define SP_ERR_JSON_NUL			-17	/* JSON text holds a NUL byte */
#define SP_ERR_JSON_MISSING		-18	/* required JSON member absent */
#define SP_ERR_JSON_TYPE		-19	/* JSON member of the wrong type */
#define SP_ERR_JSON_RANGE		-20	/* JSON number out of range */
#define SP_ERR_PROTOCOL			-21	/* peer broke the protocol */
#define SP_ERR_UNSUPPORTED		-22	/* peer wants what we lack */
#define SP_ERR_HANDSHAKE		-23	/* handshake failed */
#define SP_ERR_CLOSED			-24	/* channel closed by the peer */
#define SP_ERR_TIMEOUT			-25	/* no progress in time */
#define SP_ERR_CRYPTO			-26	/* hash or HMAC failure */
#define SP_ERR_TOO_LARGE		-27	/* frame above the size bound */
#define SP_ERR_STATE			-28	/* call not valid in this state */
#define SP_ERR_URL			-29	/* malformed URL */
#define SP_ERR_TIME			-30	/* time out of representable range */
#define SP_ERR_IGNORED			-31	/* message understood, not used */
#define SP_ERR_REFUSED			-32	/* no room now; peer will resend */

/* Fixed text for an error code; never NULL. */
const char *sp_err_str(int r);

#ifdef __GNUC__
#define SP_WUR __attribute__((__warn_unused_result__))
#else
#define SP_WUR
#endif

#endif /* SP_ERR_H */
