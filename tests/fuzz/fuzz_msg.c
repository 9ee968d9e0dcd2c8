/*
 * libFuzzer target for msg_decode (protocol/msg.c).
 *
 * Beyond "no crash": a failed decode leaves the struct zeroed; the payload
 * decoded is either the whole rest of the frame or, with bytes left over,
 * exactly PayloadLength bytes whose digest matches; a prefix that cuts
 * into that payload does not decode (but for the publication messages,
 * which have no digest, and an empty prefix that PayloadLength 0 fits);
 * and a decoded HeaderLength 116 frame re-encodes
 * to the same fields, and to the very same bytes when its header is in
 * the form msg_encode writes (space padding, SchemaVersion 1, a true
 * digest, a non-nil MessageId, PayloadLength equal to the payload's).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/*
 * A field such as "ack  \0\0x" decodes to the C string "ack  ", which
 * encodes padded and decodes back as "ack": compare without the white
 * space the decoder strips.
 */
static int
same_trimmed(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 0 && is_space(a[la - 1]))
		la--;
	while (lb > 0 && is_space(b[lb - 1]))
		lb--;
	return la == lb && memcmp(a, b, la) == 0;
}

static uint32_t
wire_payload_length(const uint8_t *data, const struct msg *m)
{
	const uint8_t *p = data + m->header_length;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
is_publication(const char *t)
{
	return strcmp(t, MSG_START_PUBLICATION) == 0 ||
	    strcmp(t, MSG_PAUSE_PUBLICATION) == 0;
}

/* size: the bytes up to the end of the payload decoded. */
static void
check_reencode(const uint8_t *data, size_t size, const struct msg *m)
{
	static const uint8_t nil[MSG_UUID_LEN];
	uint8_t digest[SHA256_DIGEST_LENGTH], pad[MSG_TYPE_LEN];
	struct msg_out o;
	struct msg back;
	struct buf b;
	size_t tlen;
	int canonical, r;

	memset(&o, 0, sizeof(o));
	o.message_type = m->message_type;
	o.sequence_number = m->sequence_number;
	o.flags = m->flags;
	o.created_date = m->created_date;
	o.message_id = m->message_id;
	o.payload_type = m->payload_type;
	o.payload = m->payload;
	o.payload_length = m->payload_length;

	tlen = strlen(m->message_type);
	memset(pad, ' ', sizeof(pad));
	memcpy(pad, m->message_type, tlen);
	SHA256(m->payload_length > 0 ? m->payload : (const uint8_t *)"",
	    m->payload_length, digest);
	canonical = memcmp(data + 4, pad, sizeof(pad)) == 0 &&
	    m->schema_version == 1 &&
	    memcmp(m->payload_digest, digest, sizeof(digest)) == 0 &&
	    memcmp(m->message_id, nil, sizeof(nil)) != 0 &&
	    wire_payload_length(data, m) == m->payload_length;

	buf_init(&b, size + 64);
	r = msg_encode(&b, &o);
	if (r != 0) {
		/* Only a nil id or an empty type (publication) may fail. */
		if (canonical || (r != SP_ERR_UUID && r != SP_ERR_MESSAGE_TYPE))
			abort();
		buf_release(&b);
		return;
	}
	if (buf_len(&b) != size)
		abort();
	if (canonical && memcmp(buf_ptr(&b), data, size) != 0)
		abort();
	if (msg_decode(buf_ptr(&b), buf_len(&b), &back) != 0 ||
	    back.header_length != MSG_HL_NORMAL ||
	    !same_trimmed(back.message_type, m->message_type) ||
	    back.schema_version != 1 ||
	    back.created_date != m->created_date ||
	    back.sequence_number != m->sequence_number ||
	    back.flags != m->flags ||
	    memcmp(back.message_id, m->message_id, MSG_UUID_LEN) != 0 ||
	    back.payload_type != m->payload_type ||
	    back.payload_length != m->payload_length ||
	    memcmp(back.payload_digest, digest, sizeof(digest)) != 0 ||
	    (m->payload_length > 0 &&
	    memcmp(back.payload, m->payload, m->payload_length) != 0))
		abort();
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t digest[SHA256_DIGEST_LENGTH];
	struct msg m, p;
	size_t used;
	int r;

	if (msg_decode(data, size, &m) != 0) {
		if (!is_zero(&m, sizeof(m)))
			abort();
		return 0;
	}
	used = m.header_length + 4 + (size_t)m.payload_length;
	if (size == 0 || m.payload != data + m.header_length + 4 ||
	    used > size)
		abort();
	if (!is_publication(m.message_type) &&
	    (used < size || wire_payload_length(data, &m) !=
	    m.payload_length || m.payload_length > 0)) {
		SHA256(m.payload_length > 0 ? m.payload : (const uint8_t *)"",
		    m.payload_length, digest);
		if (memcmp(digest, m.payload_digest, sizeof(digest)) != 0)
			abort();
	}
	if (used < size && (is_publication(m.message_type) ||
	    wire_payload_length(data, &m) != m.payload_length))
		abort();
	r = msg_decode(data, size - 1, &p);
	if (size - 1 >= used) {
		if (r != 0 || p.payload_length != m.payload_length)
			abort();
	} else if (r == 0 && !is_publication(m.message_type) &&
	    !(size - 1 == m.header_length + 4 &&
	    wire_payload_length(data, &m) == 0))
		abort();	/* (an empty payload has no digest to check) */
	if (m.header_length == MSG_HL_NORMAL)
		check_reencode(data, used, &m);
	return 0;
}
