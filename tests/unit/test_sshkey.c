/*
 * proxy/sshkey.c: base64, public key lines and blobs, Ed25519 from OpenSSL.
 * Every accepted vector is also fed truncated and with each byte flipped.
 */
#include <stdlib.h>
#include <string.h>

#include "sshkey.h"
#include "test.h"

/* RFC 8709-style key: the example of proxy/aws/AWS-APIS.md
 * "SendSSHPublicKey". */
#define ED_LINE	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
#define RSA_LINE "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDCJnbcTPrPx0U74cHBfHfKd3lcQF6A9fssH4ZHBB4mr9zyc7pzpGEPCIyB+IQ7a7e7NpsZwgK6Flg7oydFBlvrdF58IRS1LraJnqjNrzcOQNRqtfAMsC996Bd94mSthQiIBMFbzIJFA109Jj1Ae98TCPelW/7yv0NkQ90zZkmONx56mE97zPx9HH7SfcnQ/j5tQL+M+bvdTjWFXp6SIM4NFWVkYGYD4cKbaMq6NfcB7CrwEp2EFDiaob4f0Q7BVKUWj+8gDIs3PDcwa8+LVM936ye0ajQo3xDCXUhCNqmMxUEw5z3rLkXjlo8AWPyUVTgDZSCgBo7Z5yeSVWsd+0HT rsa@test"

static struct sshkey_pub *
parse(const char *s, struct errmsg *err)
{
	struct sshkey_pub *k = NULL;

	if (sshkey_parse_text(s, strlen(s), &k, err) != 0)
		return NULL;
	return k;
}

static void
test_b64(void)
{
	static const struct { const char *raw, *enc; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char out[64];
	uint8_t dec[64];
	size_t i;
	int n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = sshkey_b64_encode((const uint8_t *)v[i].raw,
		    strlen(v[i].raw), out, sizeof(out));
		CHECK_STR(out, v[i].enc, "RFC 4648 encode vector");
		if (i == 0)
			continue;
		n = sshkey_b64_decode(v[i].enc, strlen(v[i].enc), dec,
		    sizeof(dec));
		CHECK_MEM(dec, n < 0 ? 0 : (size_t)n, v[i].raw,
		    strlen(v[i].raw), "RFC 4648 decode vector");
	}
	CHECK(sshkey_b64_decode("Zg=", 3, dec, sizeof(dec)) < 0,
	    "decode: length not a multiple of 4");
	CHECK(sshkey_b64_decode("Zh==", 4, dec, sizeof(dec)) < 0,
	    "decode: non-zero pad bits");
	CHECK(sshkey_b64_decode("Z===", 4, dec, sizeof(dec)) < 0,
	    "decode: three pad characters");
	CHECK(sshkey_b64_decode("Zm=v", 4, dec, sizeof(dec)) < 0,
	    "decode: padding inside");
	CHECK(sshkey_b64_decode("Zm 9", 4, dec, sizeof(dec)) < 0,
	    "decode: white space");
	CHECK(sshkey_b64_encode((const uint8_t *)"foo", 3, out, 4) < 0,
	    "encode: no room for the NUL");
	CHECK(sshkey_b64_decode("Zm9vYmFy", 8, dec, 5) < 0,
	    "decode: no room");
}

static void
test_lines(void)
{
	struct sshkey_pub *k;
	struct errmsg err;
	char buf[8192], d[32];

	k = parse(ED_LINE, &err);
	CHECK(k != NULL, "Ed25519 line without comment (80 chars) accepted");
	if (k != NULL) {
		CHECK_EQ(strlen(k->line), 80, "  exactly the 80-char minimum");
		CHECK_STR(k->line, ED_LINE, "  line unchanged");
		CHECK_EQ(k->type, SSHKEY_ED25519, "  type");
		CHECK_STR(sshkey_describe(k, d, sizeof(d)), "ED25519", "  name");
		CHECK_EQ(k->blob_len, 51, "  blob 51 bytes");
	}
	sshkey_free(k);
	k = parse("# comment\n\n  " ED_LINE "   user@host \r\n", &err);
	CHECK(k != NULL && strcmp(k->line, ED_LINE " user@host") == 0,
	    "comment lines, blank lines, spaces and CRLF");
	sshkey_free(k);
	k = parse(ED_LINE " caf\xc3\xa9", &err);
	CHECK(k != NULL && strcmp(k->line, ED_LINE) == 0,
	    "a comment that is not printable ASCII is dropped");
	sshkey_free(k);
	k = parse(RSA_LINE, &err);
	CHECK(k != NULL && k->type == SSHKEY_RSA && k->bits == 2048,
	    "RSA-2048 accepted with its bits");
	CHECK(k != NULL && strcmp(k->line, RSA_LINE) == 0, "  line kept");
	sshkey_free(k);

	CHECK(parse("", &err) == NULL && strstr(err.msg, "no public key"),
	    "empty file");
	CHECK(parse("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blb\n", &err)
	    == NULL && strstr(err.msg, "private key"), "private key refused");
	CHECK(parse("ecdsa-sha2-nistp256 AAAAE2VjZHNh", &err) == NULL &&
	    strstr(err.msg, "not supported by EC2 Instance Connect"),
	    "ECDSA refused as unsupported");
	CHECK(parse("ssh-dss AAAAB3NzaC1kc3M=", &err) == NULL &&
	    strstr(err.msg, "ssh-dss keys are not supported"), "DSA refused");
	CHECK(parse("sk-ssh-ed25519@openssh.com AAAA", &err) == NULL &&
	    strstr(err.msg, "not supported"), "FIDO key refused");
	CHECK(parse("ssh-ed25519-cert-v01@openssh.com AAAA", &err) == NULL &&
	    strstr(err.msg, "certificate"), "certificate refused");
	CHECK(parse("foo AAAA", &err) == NULL &&
	    strstr(err.msg, "unknown key type"), "unknown type");
	CHECK(parse("ssh-ed25519", &err) == NULL, "no base64");
	CHECK(parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOo"
	    "qKLsabgH5C9okWi0dh2l9GKJ", &err) == NULL, "truncated base64");
	CHECK(parse("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLs"
	    "abgH5C9okWi0dh2l9GKJl", &err) == NULL &&
	    strstr(err.msg, "does not match"), "outer and inner type differ");
	CHECK(parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH+Mqqnkvzrm0SdG6UOoq"
	    "KLsabgH5C9okWi0dh2l9GKI=", &err) == NULL, "31-byte Ed25519 key");
	memset(buf, 0, sizeof(buf));
	CHECK(sshkey_parse_text(buf, SSHKEY_MAX_TEXT + 1, &k, &err) != 0,
	    "oversized text");
}

/* Truncations and byte flips of a good line: never a crash, and any key
 * accepted is a valid one. */
static void
test_mutations(const char *line)
{
	struct sshkey_pub *k;
	struct errmsg err;
	size_t n = strlen(line), i;
	char *m = strdup(line);
	int bad = 0, r;

	for (i = 0; i < n; i++) {
		if (sshkey_parse_text(line, i, &k, &err) == 0 &&
		    (strlen(k->line) < SSHKEY_LINE_MIN || i < 20))
			bad++;
		sshkey_free(k);
	}
	CHECK_EQ(bad, 0, "truncations: nothing short is accepted");
	for (i = 0; i < n; i++) {
		int b;

		for (b = 0; b < 8; b++) {
			m[i] = (char)(line[i] ^ (1 << b));
			r = sshkey_parse_text(m, n, &k, &err);
			if (r == 0 && (strlen(k->line) < SSHKEY_LINE_MIN ||
			    strlen(k->line) > SSHKEY_LINE_MAX))
				bad++;
			sshkey_free(k);
		}
		m[i] = line[i];
	}
	CHECK_EQ(bad, 0, "bit flips: every accepted key is in range");
	free(m);
}

static void
test_generate(void)
{
	uint8_t pub[32], seed[32], pub2[32], seed2[32];
	struct sshkey_pub *k = NULL, *k2 = NULL;
	struct buf b;
	struct errmsg err;

	CHECK_EQ(sshkey_ed25519_generate(pub, seed), 0, "generate");
	CHECK_EQ(sshkey_ed25519_generate(pub2, seed2), 0, "generate again");
	CHECK(memcmp(pub, pub2, 32) != 0 && memcmp(seed, seed2, 32) != 0,
	    "two keys differ");
	buf_init(&b, 256);
	CHECK_EQ(sshkey_ed25519_blob(pub, &b), 0, "blob");
	CHECK_EQ(sshkey_from_blob(buf_ptr(&b), buf_len(&b), "gen", &k, &err),
	    0, "blob validates");
	if (k != NULL) {
		CHECK_EQ(sshkey_parse_text(k->line, strlen(k->line), &k2, &err),
		    0, "its line parses back");
		CHECK(k2 != NULL && k2->blob_len == 51 &&
		    memcmp(k2->blob, buf_ptr(&b), 51) == 0, "  same blob");
	}
	sshkey_free(k);
	sshkey_free(k2);
	buf_release(&b);
}

int
main(void)
{
	test_b64();
	test_lines();
	test_mutations(ED_LINE " user@host");
	test_mutations(RSA_LINE);
	test_generate();
	return test_done();
}
