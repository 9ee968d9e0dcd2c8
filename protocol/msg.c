/*
 * AgentMessage codec; see msg.h and PROTOCOL.md "AgentMessage".
 * Reader and writer live together so the field order is stated twice, side
 * by side, in wire order.
 */
#include <string.h>

/* The low-level SHA-256 calls skip OpenSSL 3's per-call algorithm fetch,
 * which the one-shot SHA256() pays for every message. */
#define OPENSSL_API_COMPAT 0x10100000L
#include <openssl/sha.h>

#include "hex.h"
#include "msg.h"

static void
sha256(const void *p, size_t len, uint8_t out[SHA256_DIGEST_LENGTH])
{
	SHA256_CTX ctx;

	SHA256_Init(&ctx);
	SHA256_Update(&ctx, p, len);
	SHA256_Final(out, &ctx);
}

/*
 * The MessageId travels with its halves swapped: the wire holds canonical
 * bytes 8..15 first, then 0..7 (PROTOCOL.md "MessageId").  The swap is its
 * own inverse.
 */
static void
uuid_swap_halves(const uint8_t in[MSG_UUID_LEN], uint8_t out[MSG_UUID_LEN])
{
	memcpy(out, in + 8, 8);
	memcpy(out + 8, in, 8);
}

static int
is_publication(const char *type)
{
	return strcmp(type, MSG_START_PUBLICATION) == 0 ||
	    strcmp(type, MSG_PAUSE_PUBLICATION) == 0;
}

static int
digest_ok(const uint8_t *p, size_t len, const uint8_t want[MSG_DIGEST_LEN])
{
	uint8_t digest[SHA256_DIGEST_LENGTH];

	sha256(p, len, digest);
	return memcmp(digest, want, sizeof(digest)) == 0;
}

/*
 * Choose the payload among the bytes after PayloadLength (rest of them at
 * p).  When PayloadLength fills the frame exactly, that is the payload and
 * its digest is checked when it is non-empty.  When it does not, the
 * frame is read as the official parsers read every frame, payload = all
 * of the rest, and kept if that reading's digest matches; else as
 * PayloadLength says, with the bytes past it ignored, if that shorter
 * reading's digest matches.  The publication messages carry no digest
 * worth checking: they take all of the rest.  Sets m->payload_length to
 * the length of the payload used.
 */
static int
locate_payload(struct msg *m, const uint8_t *p, size_t rest)
{
	int publication = is_publication(m->message_type);

	m->payload = p;
	if (rest == m->payload_length) {
		if (publication || rest == 0 ||
		    digest_ok(p, rest, m->payload_digest))
			return 0;
		return SP_ERR_DIGEST;
	}
	if (rest <= UINT32_MAX &&
	    (publication || digest_ok(p, rest, m->payload_digest))) {
		m->payload_length = (uint32_t)rest;
		return 0;
	}
	if (m->payload_length < rest &&
	    digest_ok(p, m->payload_length, m->payload_digest))
		return 0;
	return m->payload_length > rest ? SP_ERR_INCOMPLETE :
	    SP_ERR_PAYLOAD_LENGTH;
}

int
msg_decode(const uint8_t *frame, size_t len, struct msg *m)
{
	struct buf b;
	uint8_t wire_id[MSG_UUID_LEN];
	uint64_t seq;
	int r;

	memset(m, 0, sizeof(*m));
	buf_view(&b, frame, len);
	if ((r = buf_get_u32(&b, &m->header_length)) != 0)
		goto out;
	if (m->header_length < MSG_HL_SHORT) {
		r = m->header_length == 0 ? SP_ERR_FIELD :
		    SP_ERR_HEADER_LENGTH;
		goto out;
	}
	/* Fixed fields up to PayloadDigest: same place in both layouts. */
	if ((r = buf_get_fixed_str(&b, MSG_TYPE_LEN, m->message_type,
	    sizeof(m->message_type))) != 0 ||
	    (r = buf_get_u32(&b, &m->schema_version)) != 0 ||
	    (r = buf_get_u64(&b, &m->created_date)) != 0 ||
	    (r = buf_get_u64(&b, &seq)) != 0 ||
	    (r = buf_get_u64(&b, &m->flags)) != 0 ||
	    (r = buf_get_bytes(&b, wire_id, sizeof(wire_id))) != 0 ||
	    (r = buf_get_bytes(&b, m->payload_digest,
	    sizeof(m->payload_digest))) != 0)
		goto out;
	m->sequence_number = (int64_t)seq;
	uuid_swap_halves(wire_id, m->message_id);
	/* PayloadType exists only when HL >= 116 (PROTOCOL.md, HL 112). */
	if (m->header_length >= MSG_HL_NORMAL &&
	    (r = buf_get_u32(&b, &m->payload_type)) != 0)
		goto out;
	/* Skip header bytes past 116 that we do not know about. */
	if ((r = buf_skip(&b, m->header_length - (len - buf_len(&b)))) != 0 ||
	    (r = buf_get_u32(&b, &m->payload_length)) != 0)
		goto out;
	if ((r = locate_payload(m, buf_ptr(&b), buf_len(&b))) != 0)
		goto out;
	if (is_publication(m->message_type))
		return 0;
	if (m->message_type[0] == '\0') {
		r = SP_ERR_MESSAGE_TYPE;
		goto out;
	}
	if (m->created_date == 0) {
		r = SP_ERR_FIELD;
		goto out;
	}
	return 0;
 out:
	memset(m, 0, sizeof(*m));
	return r;
}

size_t
msg_frame_len(size_t n)
{
	return MSG_OVERHEAD + n;
}

int
msg_encode(struct buf *out, const struct msg_out *o)
{
	struct buf f;
	uint8_t wire_id[MSG_UUID_LEN], digest[SHA256_DIGEST_LENGTH];
	static const uint8_t nil[MSG_UUID_LEN];
	uint8_t *dst;
	int r;

	if (o->message_id == NULL ||
	    memcmp(o->message_id, nil, sizeof(nil)) == 0)
		return SP_ERR_UUID;
	if (o->payload_length > UINT32_MAX ||
	    (o->payload_length > 0 && o->payload == NULL))
		return SP_ERR_INVALID_ARG;
	if (strlen(o->message_type) > MSG_TYPE_LEN)
		return SP_ERR_STRING_LENGTH;
	if (o->message_type[0] == '\0')
		return SP_ERR_MESSAGE_TYPE;
	/* Build the header first so that a failure appends nothing. */
	uuid_swap_halves(o->message_id, wire_id);
	sha256(o->payload_length > 0 ? o->payload : (const void *)"",
	    o->payload_length, digest);
	buf_init(&f, MSG_OVERHEAD);
	if ((r = buf_put_u32(&f, MSG_HL_NORMAL)) != 0 ||
	    (r = buf_put_fixed_str(&f, o->message_type, MSG_TYPE_LEN,
	    ' ')) != 0 ||
	    (r = buf_put_u32(&f, 1)) != 0 ||		/* SchemaVersion */
	    (r = buf_put_u64(&f, o->created_date)) != 0 ||
	    (r = buf_put_u64(&f, (uint64_t)o->sequence_number)) != 0 ||
	    (r = buf_put_u64(&f, o->flags)) != 0 ||
	    (r = buf_put(&f, wire_id, sizeof(wire_id))) != 0 ||
	    (r = buf_put(&f, digest, sizeof(digest))) != 0 ||
	    (r = buf_put_u32(&f, o->payload_type)) != 0 ||
	    (r = buf_put_u32(&f, (uint32_t)o->payload_length)) != 0 ||
	    (r = buf_reserve(out, msg_frame_len(o->payload_length),
	    &dst)) != 0) {
		buf_release(&f);
		return r;
	}
	memcpy(dst, buf_ptr(&f), MSG_OVERHEAD);
	if (o->payload_length > 0)
		memcpy(dst + MSG_OVERHEAD, o->payload, o->payload_length);
	buf_release(&f);
	return 0;
}

void
msg_uuid_to_str(const uint8_t id[MSG_UUID_LEN], char out[MSG_UUID_STR_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < MSG_UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id[i] >> 4];
		out[o++] = hex[id[i] & 0xf];
	}
	out[o] = '\0';
}

int
msg_uuid_from_str(const char *s, uint8_t id[MSG_UUID_LEN])
{
	size_t i, o = 0;
	int hi, lo;

	memset(id, 0, MSG_UUID_LEN);
	if (strlen(s) != MSG_UUID_STR_LEN)
		return SP_ERR_UUID;
	for (i = 0; i < MSG_UUID_STR_LEN; ) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				goto bad;
			continue;
		}
		if ((hi = hex_value(s[i])) < 0 ||
		    (lo = hex_value(s[i + 1])) < 0)
			goto bad;
		id[o++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
 bad:
	memset(id, 0, MSG_UUID_LEN);
	return SP_ERR_UUID;
}

void
msg_uuid_make_v4(uint8_t id[MSG_UUID_LEN])
{
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
}
