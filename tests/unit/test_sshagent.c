/*
 * proxy/sshagent.c: the identities reply and status parsers, and the
 * ADD_ID_CONSTRAINED request byte for byte (OpenSSH PROTOCOL.agent).
 */
#include <stdlib.h>
#include <string.h>

#include "sshagent.h"
#include "test.h"

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* type 12, two identities: ("AB", "c1"), ("XYZ", "") */
static const uint8_t two[] = {
	12, 0, 0, 0, 2,
	0, 0, 0, 2, 'A', 'B', 0, 0, 0, 2, 'c', '1',
	0, 0, 0, 3, 'X', 'Y', 'Z', 0, 0, 0, 0,
};

static void
test_identities(void)
{
	struct sshagent_ids *ids = NULL;
	uint8_t m[64];
	size_t i;
	int r, bad = 0;

	CHECK_EQ(sshagent_parse_identities(two, sizeof(two), &ids), 0,
	    "two identities");
	if (ids != NULL) {
		CHECK_EQ(ids->n, 2, "  count");
		CHECK_MEM(ids->ids[0].blob, ids->ids[0].blob_len, "AB", 2,
		    "  first blob");
		CHECK_STR(ids->ids[0].comment, "c1", "  first comment");
		CHECK_MEM(ids->ids[1].blob, ids->ids[1].blob_len, "XYZ", 3,
		    "  second blob");
		CHECK_STR(ids->ids[1].comment, "", "  empty comment");
	}
	sshagent_ids_free(ids);
	CHECK_EQ(sshagent_parse_identities("\x0c\0\0\0\0", 5, &ids), 0,
	    "no identities");
	CHECK(ids != NULL && ids->n == 0, "  count 0");
	sshagent_ids_free(ids);
	CHECK_EQ(sshagent_parse_identities("\x05", 1, &ids), SP_ERR_REFUSED,
	    "SSH_AGENT_FAILURE");
	CHECK_EQ(sshagent_parse_identities("", 0, &ids), SP_ERR_PROTOCOL,
	    "empty");
	CHECK_EQ(sshagent_parse_identities("\x06", 1, &ids), SP_ERR_PROTOCOL,
	    "wrong type");
	/* A count far above what the bytes hold. */
	memcpy(m, two, sizeof(two));
	put32(m + 1, 0x7fffffff);
	CHECK_EQ(sshagent_parse_identities(m, sizeof(two), &ids),
	    SP_ERR_PROTOCOL, "huge count");
	/* A string length past the end. */
	memcpy(m, two, sizeof(two));
	put32(m + 5, 1000);
	CHECK_EQ(sshagent_parse_identities(m, sizeof(two), &ids),
	    SP_ERR_PROTOCOL, "string past the end");
	/* Trailing garbage. */
	memcpy(m, two, sizeof(two));
	m[sizeof(two)] = 0;
	CHECK_EQ(sshagent_parse_identities(m, sizeof(two) + 1, &ids),
	    SP_ERR_PROTOCOL, "trailing byte");
	for (i = 0; i < sizeof(two); i++) {
		r = sshagent_parse_identities(two, i, &ids);
		if (r == 0 || ids != NULL)
			bad++;
		sshagent_ids_free(ids);
	}
	CHECK_EQ(bad, 0, "every truncation refused");
	for (i = 0; i < sizeof(two) * 8; i++) {
		memcpy(m, two, sizeof(two));
		m[i / 8] ^= (uint8_t)(1 << (i % 8));
		r = sshagent_parse_identities(m, sizeof(two), &ids);
		if ((r == 0) != (ids != NULL))
			bad++;
		sshagent_ids_free(ids);
	}
	CHECK_EQ(bad, 0, "bit flips: result and output agree");
}

static void
test_status(void)
{
	CHECK_EQ(sshagent_parse_status("\x06", 1), 0, "SUCCESS");
	CHECK_EQ(sshagent_parse_status("\x05", 1), SP_ERR_REFUSED, "FAILURE");
	CHECK_EQ(sshagent_parse_status("\x1e", 1), SP_ERR_REFUSED,
	    "SSH_COM_AGENT2_FAILURE");
	CHECK_EQ(sshagent_parse_status("\x66", 1), SP_ERR_REFUSED,
	    "SSH2_AGENT_FAILURE");
	CHECK_EQ(sshagent_parse_status("\x0c", 1), SP_ERR_PROTOCOL, "other");
	CHECK_EQ(sshagent_parse_status("\x06\x00", 2), SP_ERR_PROTOCOL,
	    "too long");
	CHECK_EQ(sshagent_parse_status("", 0), SP_ERR_PROTOCOL, "empty");
}

static void
test_add(void)
{
	uint8_t pub[32], seed[32], want[256];
	struct buf b;
	size_t n = 0;

	memset(pub, 0xaa, sizeof(pub));
	memset(seed, 0x55, sizeof(seed));
	n = 4;
	want[n++] = 25;
	put32(want + n, 11); n += 4;
	memcpy(want + n, "ssh-ed25519", 11); n += 11;
	put32(want + n, 32); n += 4;
	memcpy(want + n, pub, 32); n += 32;
	put32(want + n, 64); n += 4;
	memcpy(want + n, seed, 32); n += 32;
	memcpy(want + n, pub, 32); n += 32;
	put32(want + n, 3); n += 4;
	memcpy(want + n, "cmt", 3); n += 3;
	want[n++] = 1;
	put32(want + n, 60); n += 4;
	put32(want, (uint32_t)(n - 4));
	buf_init(&b, 1024);
	CHECK_EQ(sshagent_add_ed25519_msg(pub, seed, "cmt", 60, &b), 0,
	    "ADD_ID_CONSTRAINED built");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), want, n,
	    "  length, type 25, key, seed||pub, comment, LIFETIME 60");
	buf_release(&b);
}

int
main(void)
{
	test_identities();
	test_status();
	test_add();
	return test_done();
}
