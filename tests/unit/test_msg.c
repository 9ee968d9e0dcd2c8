/*
 * Unit tests for protocol/msg.c, the AgentMessage codec: the vectors of
 * tests/vectors/channel encoded byte for byte and decoded whole and as
 * growing prefixes, truncation, deletion and bit-flip loops over every
 * vector, and the negative cases of protocol/PROTOCOL.md "Locating the
 * payload" and "Validation on receipt".  (T4 is in test_buf.c.)
 */
#include <openssl/sha.h>

#include "test.h"
#include "msg.h"
#include "vectors.h"

#define CREATED		1503434274948ULL	/* 0x0000015e0baa7884 */
#define UUID_A		"dd01e56b-ff48-483e-a508-b5f073f31b16"
#define UUID_B		"6ba7b810-9dad-11d1-80b4-00c04fd430c8"

#define BYTES(s)	(const uint8_t *)(s), sizeof(s) - 1

/* The frames of tests/vectors/channel, and what they must decode to. */
static const struct vec {
	const char	*name;
	const char	*file;		/* the frame, in hex */
	uint32_t	 hl;
	const char	*type;
	int64_t		 seq;
	uint64_t	 flags;
	const char	*uuid;
	uint32_t	 ptype;
	const char	*pfile;		/* the payload's .json file, or */
	const uint8_t	*payload;	/* its bytes */
	size_t		 plen;
} vecs[] = {
	{ "V1", "V1.hex", 116, "input_stream_data", 1, 2, UUID_A, 0,
	  NULL, BYTES("payload") },
	{ "V2", "V2.hex", 116, "input_stream_data", 0, 0, UUID_A, 1,
	  NULL, BYTES("SSH-2.0-OpenSSH_9.6\r\n") },
	{ "V3", "V3.hex", 116, "acknowledge", 0, 3, UUID_B, 0,
	  "V3.json", NULL, 0 },
	{ "V4", "V4.hex", 116, "input_stream_data", 5, 0, UUID_B, 10,
	  NULL, BYTES("\x00\x00\x00\x01") },
	{ "V4 TerminateSession", "V4-terminate.hex", 116,
	  "input_stream_data", 5, 0, UUID_B, 10,
	  NULL, BYTES("\x00\x00\x00\x02") },
	{ "V5", "V5.hex", 116, "input_stream_data", 0, 0, UUID_B, 6,
	  "V5.json", NULL, 0 },
	{ "V6", "V6.hex", 112, "channel_closed", 0, 3, UUID_A, 0,
	  "V6.json", NULL, 0 },
};
#define NVECS	(sizeof(vecs) / sizeof(vecs[0]))

static int
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

/* Decode a copy of len bytes in a buffer of exactly that size, so that
 * ASan sees any read past the end. */
static int
decode_exact(const uint8_t *frame, size_t len, struct msg *m,
    uint8_t **copy)
{
	uint8_t *c;
	int r;

	if ((c = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(c, frame, len);
	r = msg_decode(c, len, m);
	if (copy != NULL)
		*copy = c;
	else
		free(c);
	return r;
}

static void
test_vectors(void)
{
	const struct vec *v;
	struct msg m;
	struct msg_out o;
	struct buf b;
	const uint8_t *payload;
	uint8_t *frame, id[MSG_UUID_LEN];
	char what[120], text[MSG_UUID_STR_LEN + 1], *json;
	size_t i, len, plen;

	for (i = 0; i < NVECS; i++) {
		v = &vecs[i];
		frame = vec_hex(v->file, &len);
		json = NULL;
		payload = v->payload;
		plen = v->plen;
		if (v->pfile != NULL) {
			json = vec_json(v->pfile, &plen);
			payload = (const uint8_t *)json;
		}
		snprintf(what, sizeof(what), "%s: length", v->name);
		CHECK_EQ(len, v->hl + 4 + plen, what);
		snprintf(what, sizeof(what), "%s: decodes", v->name);
		CHECK_EQ(msg_decode(frame, len, &m), 0, what);
		snprintf(what, sizeof(what), "%s: fields", v->name);
		CHECK(m.header_length == v->hl &&
		    strcmp(m.message_type, v->type) == 0 &&
		    m.schema_version == 1 && m.created_date == CREATED &&
		    m.sequence_number == v->seq && m.flags == v->flags &&
		    m.payload_type == v->ptype &&
		    m.payload_length == plen, what);
		msg_uuid_to_str(m.message_id, text);
		snprintf(what, sizeof(what), "%s: MessageId text", v->name);
		CHECK_STR(text, v->uuid, what);
		snprintf(what, sizeof(what), "%s: payload", v->name);
		CHECK_MEM(m.payload, m.payload_length, payload, plen, what);
		snprintf(what, sizeof(what), "%s: payload borrowed in place",
		    v->name);
		CHECK(m.payload == frame + v->hl + 4, what);
		snprintf(what, sizeof(what), "%s: digest field", v->name);
		CHECK_MEM(m.payload_digest, MSG_DIGEST_LEN, frame + 80,
		    MSG_DIGEST_LEN, what);

		/* We never write HeaderLength 112. */
		if (v->hl == MSG_HL_NORMAL) {
			CHECK(msg_uuid_from_str(v->uuid, id) == 0, "uuid");
			memset(&o, 0, sizeof(o));
			o.message_type = v->type;
			o.sequence_number = v->seq;
			o.flags = v->flags;
			o.created_date = CREATED;
			o.message_id = id;
			o.payload_type = v->ptype;
			o.payload = payload;
			o.payload_length = plen;
			buf_init(&b, 4096);
			snprintf(what, sizeof(what), "%s: encodes", v->name);
			CHECK_EQ(msg_encode(&b, &o), 0, what);
			snprintf(what, sizeof(what), "%s: byte for byte",
			    v->name);
			CHECK_MEM(buf_ptr(&b), buf_len(&b), frame, len, what);
			CHECK_EQ(msg_frame_len(plen), len, "msg_frame_len");
			buf_release(&b);
		}
		free(frame);
		free(json);
	}
}

/* Every strict prefix is SP_ERR_INCOMPLETE with *m zeroed; the whole
 * frame decodes.  Each prefix sits in a buffer of its own size. */
static void
test_prefixes(void)
{
	const struct vec *v;
	struct msg m;
	uint8_t *frame;
	size_t i, k, len, plen;
	int ok, r;
	char what[120];

	for (i = 0; i < NVECS; i++) {
		v = &vecs[i];
		frame = vec_hex(v->file, &len);
		ok = 1;
		for (k = 0; k < len; k++) {
			memset(&m, 0xa5, sizeof(m));
			r = decode_exact(frame, k, &m, NULL);
			if (r != SP_ERR_INCOMPLETE || !is_zero(&m, sizeof(m)))
				ok = 0;
		}
		snprintf(what, sizeof(what),
		    "%s: every strict prefix is incomplete", v->name);
		CHECK(ok, what);
		snprintf(what, sizeof(what), "%s: the whole frame decodes",
		    v->name);
		CHECK_EQ(decode_exact(frame, len, &m, NULL), 0, what);

		/* Deleting any one byte never yields a valid frame. */
		ok = 1;
		for (k = 0; k < len; k++) {
			uint8_t *d = malloc(len);

			memcpy(d, frame, k);
			memcpy(d + k, frame + k + 1, len - k - 1);
			r = decode_exact(d, len - 1, &m, NULL);
			if (r >= 0 || !is_zero(&m, sizeof(m)))
				ok = 0;
			free(d);
		}
		snprintf(what, sizeof(what), "%s: every one-byte deletion "
		    "fails", v->name);
		CHECK(ok, what);

		/* Trailing bytes: PayloadLength and the digest still agree
		 * on the payload, which is kept; the rest is ignored. */
		if (decode_exact(frame, len, &m, NULL) != 0)
			abort();
		plen = m.payload_length;
		frame = realloc(frame, len + 16);
		memset(frame + len, 0, 16);
		snprintf(what, sizeof(what), "%s: one trailing byte ignored",
		    v->name);
		CHECK(decode_exact(frame, len + 1, &m, NULL) == 0 &&
		    m.payload_length == plen, what);
		snprintf(what, sizeof(what), "%s: 16 trailing bytes ignored",
		    v->name);
		CHECK(decode_exact(frame, len + 16, &m, NULL) == 0 &&
		    m.payload_length == plen, what);
		free(frame);
	}
}

/* Fields that differ between two decodes. */
#define F_HL		0x001
#define F_TYPE		0x002
#define F_SCHEMA	0x004
#define F_CREATED	0x008
#define F_SEQ		0x010
#define F_FLAGS		0x020
#define F_ID		0x040
#define F_DIGEST	0x080
#define F_PTYPE		0x100
#define F_PAYLOAD	0x200

static int
diff_msg(const struct msg *a, const uint8_t *fa, const struct msg *b,
    const uint8_t *fb)
{
	int d = 0;

	if (a->header_length != b->header_length)
		d |= F_HL;
	if (strcmp(a->message_type, b->message_type) != 0)
		d |= F_TYPE;
	if (a->schema_version != b->schema_version)
		d |= F_SCHEMA;
	if (a->created_date != b->created_date)
		d |= F_CREATED;
	if (a->sequence_number != b->sequence_number)
		d |= F_SEQ;
	if (a->flags != b->flags)
		d |= F_FLAGS;
	if (memcmp(a->message_id, b->message_id, MSG_UUID_LEN) != 0)
		d |= F_ID;
	if (memcmp(a->payload_digest, b->payload_digest,
	    MSG_DIGEST_LEN) != 0)
		d |= F_DIGEST;
	if (a->payload_type != b->payload_type)
		d |= F_PTYPE;
	if (a->payload_length != b->payload_length ||
	    a->payload - fa != b->payload - fb ||
	    memcmp(a->payload, b->payload, a->payload_length) != 0)
		d |= F_PAYLOAD;
	return d;
}

/*
 * What flipping one bit at offset off of a frame must give: the field
 * that may change (r == 0), or the errors allowed.
 */
static int
flip_ok(const struct vec *v, size_t off, uint32_t before, uint32_t after,
    int r, int diff)
{
	size_t pl = v->hl;		/* offset of PayloadLength */

	if (off < 4)			/* HeaderLength */
		return r == SP_ERR_HEADER_LENGTH || r == SP_ERR_INCOMPLETE ||
		    r == SP_ERR_PAYLOAD_LENGTH;
	if (off < 36)			/* MessageType and its padding */
		return r == 0 && (diff & ~F_TYPE) == 0;
	if (off < 40)
		return r == 0 && diff == F_SCHEMA;
	if (off < 48)
		return r == 0 && diff == F_CREATED;
	if (off < 56)
		return r == 0 && diff == F_SEQ;
	if (off < 64)
		return r == 0 && diff == F_FLAGS;
	if (off < 80)
		return r == 0 && diff == F_ID;
	if (off < 112)			/* PayloadDigest */
		return r == SP_ERR_DIGEST;
	if (off < pl)			/* PayloadType (HL 116) */
		return r == 0 && diff == F_PTYPE;
	if (off < pl + 4)		/* PayloadLength: the digest of the
					 * whole rest still matches */
		return r == 0 && diff == 0 && after != before;
	return r == SP_ERR_DIGEST;	/* payload */
}

static void
test_bit_flips(void)
{
	const struct vec *v;
	struct msg orig, m;
	struct buf pb;
	uint8_t *frame, *copy;
	uint32_t before, after;
	size_t i, bit, len;
	int ok, r, bad_at;
	char what[120];

	for (i = 0; i < NVECS; i++) {
		v = &vecs[i];
		frame = vec_hex(v->file, &len);
		if (msg_decode(frame, len, &orig) != 0)
			abort();
		ok = 1;
		bad_at = -1;
		for (bit = 0; bit < len * 8; bit++) {
			frame[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			buf_view(&pb, frame, len);
			after = before = 0;
			if (bit / 8 >= v->hl && bit / 8 < v->hl + 4 &&
			    buf_peek_u32(&pb, v->hl, &after) == 0)
				before = after ^ ((uint32_t)1 <<
				    (8 * (3 - (bit / 8 - v->hl)) + bit % 8));
			r = decode_exact(frame, len, &m, &copy);
			if (!flip_ok(v, bit / 8, before, after, r,
			    r == 0 ? diff_msg(&orig, frame, &m, copy) : 0) ||
			    (r != 0 && !is_zero(&m, sizeof(m)))) {
				if (ok)
					bad_at = (int)bit;
				ok = 0;
			}
			free(copy);
			frame[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		}
		snprintf(what, sizeof(what), "%s: all %zu single-bit flips "
		    "behave", v->name, len * 8);
		CHECK(ok, what);
		if (!ok)
			printf("#   first bad bit %d (byte %d)\n", bad_at,
			    bad_at / 8);
		free(frame);
	}
}

/* A copy of V1 with the bytes at off replaced. */
static uint8_t *
v1_patched(size_t off, const char *hex, size_t *lenp)
{
	uint8_t *frame, *p;
	size_t n;

	frame = vec_hex(vecs[0].file, lenp);
	if (hex != NULL) {
		p = test_unhex(hex, &n);
		memcpy(frame + off, p, n);
		free(p);
	}
	return frame;
}

static void
check_v1_patch(size_t off, const char *hex, int want, const char *what)
{
	struct msg m;
	uint8_t *frame;
	size_t len;

	frame = v1_patched(off, hex, &len);
	CHECK_EQ(decode_exact(frame, len, &m, NULL), want, what);
	free(frame);
}

/* Encode a frame for tests; aborts on failure. */
static uint8_t *
encode(const char *type, const void *payload, size_t plen, size_t *lenp)
{
	static const uint8_t id[MSG_UUID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8,
	    9, 10, 11, 12, 13, 14, 15, 16 };
	struct msg_out o;
	struct buf b;
	uint8_t *f;

	memset(&o, 0, sizeof(o));
	o.message_type = type;
	o.created_date = CREATED;
	o.message_id = id;
	o.payload = payload;
	o.payload_length = plen;
	buf_init(&b, 1 << 20);
	if (msg_encode(&b, &o) != 0)
		abort();
	*lenp = buf_len(&b);
	if ((f = malloc(*lenp)) == NULL)
		abort();
	memcpy(f, buf_ptr(&b), *lenp);
	buf_release(&b);
	return f;
}

static void
test_negative(void)
{
	static const char *pubs[] = { MSG_START_PUBLICATION,
	    MSG_PAUSE_PUBLICATION };
	struct msg m;
	uint8_t *frame, *big;
	size_t len, i;
	char what[120];

	/* HeaderLength. */
	check_v1_patch(0, "00000000", SP_ERR_FIELD, "HeaderLength 0");
	check_v1_patch(0, "00000001", SP_ERR_HEADER_LENGTH, "HeaderLength 1");
	check_v1_patch(0, "0000006f", SP_ERR_HEADER_LENGTH,
	    "HeaderLength 111");
	check_v1_patch(0, "00000070", SP_ERR_PAYLOAD_LENGTH,
	    "HeaderLength 112 on a 116 frame");
	check_v1_patch(0, "000000ff", SP_ERR_INCOMPLETE,
	    "HeaderLength past the end");
	check_v1_patch(0, "ffffffff", SP_ERR_INCOMPLETE,
	    "HeaderLength 2^32-1");
	check_v1_patch(0, "80000000", SP_ERR_INCOMPLETE,
	    "HeaderLength 2^31");

	/* HeaderLength 120: four unknown header bytes are skipped. */
	frame = vec_hex(vecs[0].file, &len);
	big = malloc(len + 4);
	memcpy(big, frame, 116);
	memcpy(big + 116, "\xde\xad\xbe\xef", 4);
	memcpy(big + 120, frame + 116, len - 116);
	big[3] = 120;
	CHECK_EQ(decode_exact(big, len + 4, &m, NULL), 0, "HeaderLength 120");
	CHECK(m.header_length == 120 && m.payload_length == 7 &&
	    m.payload_type == 0, "HeaderLength 120 fields");
	free(big);
	free(frame);

	/* PayloadLength against the frame: test_length_mismatch(). */

	/* MessageType, CreatedDate, digest. */
	check_v1_patch(4, "20202020202020202020202020202020"
	    "20202020202020202020202020202020", SP_ERR_MESSAGE_TYPE,
	    "MessageType all spaces");
	check_v1_patch(4, "00000000000000000000000000000000"
	    "00000000000000000000000000000000", SP_ERR_MESSAGE_TYPE,
	    "MessageType all NULs");
	check_v1_patch(4, "00000000000000000000000000000000"
	    "000000000000000000000000000a0d09", SP_ERR_MESSAGE_TYPE,
	    "MessageType of NULs and white space");
	check_v1_patch(40, "0000000000000000", SP_ERR_FIELD,
	    "CreatedDate 0");
	check_v1_patch(80, "00", SP_ERR_DIGEST, "digest changed");
	check_v1_patch(120, "50", SP_ERR_DIGEST, "payload changed");
	check_v1_patch(4, "202020696e7075745f73747265616d5f64617461"
	    "202020202020202020202020", 0, "leading spaces stripped");

	/* Unknown types decode; the caller ignores them. */
	frame = encode("some_future_type", "x", 1, &len);
	CHECK_EQ(decode_exact(frame, len, &m, NULL), 0, "unknown type");
	CHECK_STR(m.message_type, "some_future_type", "unknown type text");
	free(frame);

	/* An empty payload has no digest to check. */
	frame = encode(MSG_ACKNOWLEDGE, NULL, 0, &len);
	memset(frame + 80, 0x5a, 32);
	CHECK_EQ(msg_decode(frame, len, &m), 0,
	    "empty payload: digest not checked");
	CHECK(m.payload_length == 0 && m.payload == frame + 120,
	    "empty payload");
	free(frame);

	/* Publication messages: bounds only (PROTOCOL.md "Validation on
	 * receipt"). */
	for (i = 0; i < 2; i++) {
		frame = encode(pubs[i], "{}", 2, &len);
		memset(frame + 80, 0, 32);		/* digest */
		memset(frame + 40, 0, 8);		/* CreatedDate */
		snprintf(what, sizeof(what), "%s: no digest or date check",
		    pubs[i]);
		CHECK_EQ(decode_exact(frame, len, &m, NULL), 0, what);
		CHECK_STR(m.message_type, pubs[i], "publication type");
		snprintf(what, sizeof(what), "%s: a short frame has the "
		    "bytes there are", pubs[i]);
		CHECK(decode_exact(frame, len - 1, &m, NULL) == 0 &&
		    m.payload_length == 1, what);
		frame[119] = 1;				/* PayloadLength */
		snprintf(what, sizeof(what), "%s: wrong PayloadLength, the "
		    "rest of the frame is the payload", pubs[i]);
		CHECK(decode_exact(frame, len, &m, NULL) == 0 &&
		    m.payload_length == 2, what);
		frame[116] = 0xff;
		CHECK(decode_exact(frame, len, &m, NULL) == 0 &&
		    m.payload_length == 2, what);
		CHECK(decode_exact(frame, 120, &m, NULL) == 0 &&
		    m.payload_length == 0, what);
		snprintf(what, sizeof(what), "%s: HeaderLength + 4 bytes at "
		    "least", pubs[i]);
		CHECK_EQ(decode_exact(frame, 119, &m, NULL),
		    SP_ERR_INCOMPLETE, what);
		frame[3] = 100;				/* HeaderLength */
		CHECK_EQ(decode_exact(frame, len, &m, NULL),
		    SP_ERR_HEADER_LENGTH, what);
		free(frame);
	}

	/* Tiny inputs. */
	CHECK_EQ(msg_decode((const uint8_t *)"", 0, &m), SP_ERR_INCOMPLETE,
	    "empty input");
	CHECK_EQ(msg_decode(NULL, 0, &m), SP_ERR_INCOMPLETE, "NULL input");
}

/*
 * A frame of vector i (V1: HeaderLength 116, V6: 112) with PayloadLength
 * set to pl and the payload replaced by body, whose digest field holds
 * SHA-256 of the first dlen bytes of body.
 */
static uint8_t *
mismatched(size_t i, uint32_t pl, const char *body, size_t dlen,
    size_t *lenp)
{
	const struct vec *v = &vecs[i];
	uint8_t *frame, *f;
	size_t len, blen = strlen(body);

	frame = vec_hex(v->file, &len);
	if ((f = malloc(v->hl + 4 + blen + 1)) == NULL)
		abort();
	memcpy(f, frame, v->hl);
	f[v->hl] = (uint8_t)(pl >> 24);
	f[v->hl + 1] = (uint8_t)(pl >> 16);
	f[v->hl + 2] = (uint8_t)(pl >> 8);
	f[v->hl + 3] = (uint8_t)pl;
	memcpy(f + v->hl + 4, body, blen);
	SHA256((const uint8_t *)body, dlen, f + 80);
	free(frame);
	*lenp = v->hl + 4 + blen;
	return f;
}

static void
check_mismatch(size_t i, uint32_t pl, const char *body, size_t dlen,
    int want, size_t want_len, const char *what)
{
	struct msg m;
	uint8_t *f, *copy;
	size_t len;
	char w[160];
	int r;

	f = mismatched(i, pl, body, dlen, &len);
	r = decode_exact(f, len, &m, &copy);
	snprintf(w, sizeof(w), "%s, %s: %s", vecs[i].name, what,
	    want == 0 ? "accepted" : sp_err_str(want));
	CHECK_EQ(r, want, w);
	if (want == 0) {
		snprintf(w, sizeof(w), "%s, %s: payload of %zu bytes",
		    vecs[i].name, what, want_len);
		CHECK(m.payload == copy + vecs[i].hl + 4 &&
		    m.payload_length == want_len &&
		    memcmp(m.payload, body, want_len) == 0 &&
		    m.header_length == vecs[i].hl, w);
	} else {
		snprintf(w, sizeof(w), "%s, %s: zeroed", vecs[i].name, what);
		CHECK(is_zero(&m, sizeof(m)), w);
	}
	free(copy);
	free(f);
}

/*
 * PayloadLength that disagrees with the frame (protocol/PROTOCOL.md
 * "Locating the payload", the Strictness rule of "AgentMessage"): the
 * official parsers take the whole rest of the frame and never read
 * PayloadLength, so that reading is accepted when its digest matches;
 * the PayloadLength reading when its digest matches; neither, dropped.
 * Both layouts: V1 (HeaderLength 116) and V6 (112, channel_closed).
 */
static void
test_length_mismatch(void)
{
	static const size_t which[] = { 0, 6 };
	size_t k, i;

	for (k = 0; k < 2; k++) {
		i = which[k];
		/* Lengths agree: the plain case, digest checked. */
		check_mismatch(i, 7, "payload", 7, 0, 7, "lengths agree");
		check_mismatch(i, 7, "payload", 6, SP_ERR_DIGEST, 0,
		    "lengths agree, digest of a prefix");
		/* Digest of the whole rest: that is the payload. */
		check_mismatch(i, 8, "payload", 7, 0, 7,
		    "PayloadLength one too large, digest of the rest");
		check_mismatch(i, 0xffffffff, "payload", 7, 0, 7,
		    "PayloadLength 2^32-1, digest of the rest");
		check_mismatch(i, 6, "payload", 7, 0, 7,
		    "PayloadLength one too small, digest of the rest");
		check_mismatch(i, 0, "payload", 7, 0, 7,
		    "PayloadLength 0 with bytes, digest of the rest");
		/* Digest of what PayloadLength says: bytes past it ignored. */
		check_mismatch(i, 4, "payload", 4, 0, 4,
		    "PayloadLength too small, digest of its bytes");
		check_mismatch(i, 0, "payload", 0, 0, 0,
		    "PayloadLength 0 with bytes, digest of nothing");
		/* Neither reading matches the digest: dropped. */
		check_mismatch(i, 8, "payload", 3, SP_ERR_INCOMPLETE, 0,
		    "PayloadLength too large, digest of neither");
		check_mismatch(i, 4, "payload", 3, SP_ERR_PAYLOAD_LENGTH, 0,
		    "PayloadLength too small, digest of neither");
		check_mismatch(i, 0, "payload", 3, SP_ERR_PAYLOAD_LENGTH, 0,
		    "PayloadLength 0 with bytes, digest of neither");
		check_mismatch(i, 1, "", 0, 0, 0,
		    "PayloadLength 1, no bytes, digest of nothing");
		check_mismatch(i, 1, "", 1, SP_ERR_INCOMPLETE, 0,
		    "PayloadLength 1, no bytes, digest of neither");
	}
}

static void
test_encode_errors(void)
{
	static const uint8_t nil[MSG_UUID_LEN];
	static const uint8_t id[MSG_UUID_LEN] = { 0xff };
	struct msg_out o;
	struct msg m;
	struct buf b;

	buf_init(&b, 4096);
	CHECK(buf_put(&b, "x", 1) == 0, "pre-existing byte");
	memset(&o, 0, sizeof(o));
	o.message_type = MSG_INPUT_STREAM;
	o.created_date = CREATED;
	o.message_id = nil;
	CHECK_EQ(msg_encode(&b, &o), SP_ERR_UUID, "nil MessageId");
	o.message_id = NULL;
	CHECK_EQ(msg_encode(&b, &o), SP_ERR_UUID, "NULL MessageId");
	o.message_id = id;
	o.message_type = "";
	CHECK_EQ(msg_encode(&b, &o), SP_ERR_MESSAGE_TYPE, "empty type");
	o.message_type = "0123456789abcdef0123456789abcdef0";
	CHECK_EQ(msg_encode(&b, &o), SP_ERR_STRING_LENGTH, "33-byte type");
	o.message_type = MSG_INPUT_STREAM;
	o.payload_length = 1;
	CHECK_EQ(msg_encode(&b, &o), SP_ERR_INVALID_ARG, "NULL payload");
	o.payload = "x";
	o.payload_length = (size_t)UINT32_MAX + 1;
	CHECK_EQ(msg_encode(&b, &o), SP_ERR_INVALID_ARG, "payload > 4 GiB");
	CHECK_EQ(buf_len(&b), 1, "failed encodes append nothing");
	buf_release(&b);

	buf_init(&b, MSG_OVERHEAD);
	o.payload_length = 1;
	CHECK_EQ(msg_encode(&b, &o), SP_ERR_NO_SPACE, "output cap");
	CHECK_EQ(buf_len(&b), 0, "nothing appended at the cap");
	buf_release(&b);

	/* A 32-byte type fills the field with no padding. */
	buf_init(&b, 4096);
	o.message_type = "0123456789abcdef0123456789abcdef";
	CHECK_EQ(msg_encode(&b, &o), 0, "32-byte type");
	CHECK_EQ(msg_decode(buf_ptr(&b), buf_len(&b), &m), 0,
	    "32-byte type decodes");
	CHECK_STR(m.message_type, "0123456789abcdef0123456789abcdef",
	    "32-byte type text");
	buf_release(&b);
}

/* Random frames survive encode and decode. */
static void
test_round_trip(void)
{
	static const char *types[] = { MSG_INPUT_STREAM, MSG_OUTPUT_STREAM,
	    MSG_ACKNOWLEDGE, MSG_CHANNEL_CLOSED, MSG_START_PUBLICATION,
	    MSG_PAUSE_PUBLICATION, MSG_AGENT_SESSION_STATE, "x" };
	uint8_t id[MSG_UUID_LEN], payload[300];
	struct msg_out o;
	struct msg m;
	struct buf b;
	size_t i, k;
	int ok = 1;

	for (i = 0; i < 2000; i++) {
		memset(&o, 0, sizeof(o));
		for (k = 0; k < sizeof(id); k++)
			id[k] = (uint8_t)test_rand();
		id[0] |= 1;
		o.message_type = types[test_rand() % 8];
		o.sequence_number = (int64_t)test_rand();
		o.flags = test_rand();
		o.created_date = test_rand() | 1;
		o.message_id = id;
		o.payload_type = (uint32_t)test_rand();
		o.payload_length = test_rand() % sizeof(payload);
		for (k = 0; k < o.payload_length; k++)
			payload[k] = (uint8_t)test_rand();
		o.payload = payload;
		buf_init(&b, 4096);
		if (msg_encode(&b, &o) != 0 ||
		    msg_decode(buf_ptr(&b), buf_len(&b), &m) != 0 ||
		    m.header_length != MSG_HL_NORMAL ||
		    strcmp(m.message_type, o.message_type) != 0 ||
		    m.schema_version != 1 ||
		    m.sequence_number != o.sequence_number ||
		    m.flags != o.flags || m.created_date != o.created_date ||
		    memcmp(m.message_id, id, sizeof(id)) != 0 ||
		    m.payload_type != o.payload_type ||
		    m.payload_length != o.payload_length ||
		    memcmp(m.payload, payload, o.payload_length) != 0)
			ok = 0;
		buf_release(&b);
	}
	CHECK(ok, "2000 random frames round-trip");
}

static void
test_uuid(void)
{
	static const char *bad[] = {
		"", "dd01e56b", "dd01e56b-ff48-483e-a508-b5f073f31b1",
		"dd01e56b-ff48-483e-a508-b5f073f31b166",
		"dd01e56bff48-483e-a508-b5f073f31b16a",
		"dd01e56b-ff48-483e-a508b-5f073f31b16",
		"dd01e56b-ff48-483e-a508-b5f073f31b1g",
		"xd01e56b-ff48-483e-a508-b5f073f31b16",
		" dd01e56b-ff48-483e-a508-b5f073f31b16",
		"dd01e56b-ff48-483e-a508-b5f073f31b16 ",
		"{dd01e56b-ff48-483e-a508-b5f073f31b1}",
		"dd01e56b_ff48_483e_a508_b5f073f31b16",
		"dd01e56b-ff48-483e-a508-b5f0-3f31b16",
		"dd01e56b-+f48-483e-a508-b5f073f31b16",
	};
	uint8_t id[MSG_UUID_LEN], back[MSG_UUID_LEN];
	char text[MSG_UUID_STR_LEN + 1], what[80];
	size_t i, k;
	int ok = 1;

	CHECK_EQ(msg_uuid_from_str(UUID_A, id), 0, "parse A");
	CHECK(memcmp(id, "\xdd\x01\xe5\x6b\xff\x48\x48\x3e\xa5\x08\xb5\xf0"
	    "\x73\xf3\x1b\x16", 16) == 0, "A canonical bytes");
	msg_uuid_to_str(id, text);
	CHECK_STR(text, UUID_A, "A back to text");
	CHECK_EQ(msg_uuid_from_str("6BA7B810-9DAD-11D1-80B4-00C04FD430C8",
	    id), 0, "upper case parses");
	msg_uuid_to_str(id, text);
	CHECK_STR(text, UUID_B, "text is lower case");

	for (i = 0; i < 1000; i++) {
		for (k = 0; k < sizeof(id); k++)
			id[k] = (uint8_t)test_rand();
		msg_uuid_to_str(id, text);
		if (strlen(text) != MSG_UUID_STR_LEN ||
		    msg_uuid_from_str(text, back) != 0 ||
		    memcmp(id, back, sizeof(id)) != 0)
			ok = 0;
	}
	CHECK(ok, "1000 random UUIDs round-trip");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(id, 0xee, sizeof(id));
		snprintf(what, sizeof(what), "bad UUID text %zu", i);
		CHECK_EQ(msg_uuid_from_str(bad[i], id), SP_ERR_UUID, what);
		CHECK(is_zero(id, sizeof(id)), "bytes zeroed on error");
	}

	memset(id, 0xff, sizeof(id));
	msg_uuid_make_v4(id);
	CHECK(id[6] == 0x4f && id[8] == 0xbf, "v4 bits set from ones");
	memset(id, 0, sizeof(id));
	msg_uuid_make_v4(id);
	CHECK(id[6] == 0x40 && id[8] == 0x80, "v4 bits set from zeros");
	msg_uuid_to_str(id, text);
	CHECK(text[14] == '4' && text[19] == '8', "v4 in the text");
}

int
main(void)
{
	test_vectors();
	test_prefixes();
	test_bit_flips();
	test_negative();
	test_length_mismatch();
	test_encode_errors();
	test_round_trip();
	test_uuid();
	return test_done();
}
