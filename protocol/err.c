/* Text for the SP_ERR_* codes of err.h. */
#include "err.h"

const char *
sp_err_str(int r)
{
	switch (r) {
	case SP_OK:			return "success";
	case SP_ERR_INTERNAL:		return "internal error";
	case SP_ERR_ALLOC:		return "out of memory";
	case SP_ERR_INVALID_ARG:	return "invalid argument";
	case SP_ERR_INCOMPLETE:		return "message incomplete";
	case SP_ERR_NO_SPACE:		return "buffer limit reached";
	case SP_ERR_AGAIN:		return "nothing to do now";
	case SP_ERR_READ_ONLY:		return "buffer is read-only";
	case SP_ERR_HEADER_LENGTH:	return "invalid header length";
	case SP_ERR_PAYLOAD_LENGTH:	return "payload length does not match frame";
	case SP_ERR_DIGEST:		return "payload digest mismatch";
	case SP_ERR_MESSAGE_TYPE:	return "invalid message type";
	case SP_ERR_STRING_LENGTH:	return "string too long";
	case SP_ERR_UUID:		return "invalid message id";
	case SP_ERR_FIELD:		return "invalid header field";
	case SP_ERR_JSON_SYNTAX:	return "malformed JSON";
	case SP_ERR_JSON_LIMIT:		return "JSON exceeds size limits";
	case SP_ERR_JSON_NUL:		return "JSON contains a NUL byte";
	case SP_ERR_JSON_MISSING:	return "required JSON member missing";
	case SP_ERR_JSON_TYPE:		return "JSON member has the wrong type";
	case SP_ERR_JSON_RANGE:		return "JSON number out of range";
	case SP_ERR_PROTOCOL:		return "protocol violation";
	case SP_ERR_UNSUPPORTED:	return "unsupported request";
	case SP_ERR_HANDSHAKE:		return "handshake failed";
	case SP_ERR_CLOSED:		return "channel closed";
	case SP_ERR_TIMEOUT:		return "no progress before timeout";
	case SP_ERR_CRYPTO:		return "cryptographic operation failed";
	case SP_ERR_TOO_LARGE:		return "message too large";
	case SP_ERR_STATE:		return "invalid state for this call";
	case SP_ERR_URL:		return "malformed URL";
	case SP_ERR_TIME:		return "time out of range";
	case SP_ERR_IGNORED:		return "message ignored";
	case SP_ERR_REFUSED:		return "message refused for now";
	default:			return "unknown error";
	}
}
