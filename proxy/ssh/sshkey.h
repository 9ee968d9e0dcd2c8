/*
 * proxy/ssh/: SSH keys and buffers, the ssh-agent client and EC2 Instance
 * Connect; it uses protocol/ and proxy/compat.h only, and never logs or exits.
 */

/*
 * OpenSSH public keys as EC2 Instance Connect takes them
 * (proxy/aws/AWS-APIS.md "SendSSHPublicKey"): the wire blob (RFC 4253 6.6,
 * RFC 8709), the one-line text form "<type> <base64 blob> [comment]", and
 * a fresh Ed25519 key pair from OpenSSL.
 *
 * Only the key types AWS documents for Instance Connect are accepted:
 * ssh-ed25519, and ssh-rsa with a modulus of SSHKEY_RSA_MIN_BITS to
 * SSHKEY_RSA_MAX_BITS bits.  The text sent is SSHKEY_LINE_MIN to
 * SSHKEY_LINE_MAX characters.
 *
 * Everything but sshkey_ed25519_generate is pure (no I/O, clock or
 * logging) and safe on hostile input; tests/fuzz/fuzz_sshkey_line.c drives
 * the parser.  Errors fill a caller-owned struct errmsg with one line.
 */
#ifndef SSM_SSHKEY_H
#define SSM_SSHKEY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errmsg.h"

#define SSHKEY_LINE_MIN		80	/* SSHPublicKey length, characters */
#define SSHKEY_LINE_MAX		4096
#define SSHKEY_RSA_MIN_BITS	2048
#define SSHKEY_RSA_MAX_BITS	16384
#define SSHKEY_ED25519_LEN	32	/* public key and seed, bytes */
#define SSHKEY_MAX_BLOB		4096	/* a longer blob cannot fit a line */
#define SSHKEY_MAX_TEXT		(64 * 1024)	/* key file read, bytes */
#define SSHKEY_MAX_COMMENT	256	/* comment kept, bytes */

enum sshkey_type {
	SSHKEY_UNKNOWN = 0,
	SSHKEY_ED25519,
	SSHKEY_RSA
};

/* A validated public key. */
struct sshkey_pub {
	enum sshkey_type type;
	unsigned int	 bits;		/* 256 for Ed25519, modulus for RSA */
	/*
	 * What SendSSHPublicKey gets: "<type> <base64>" plus " <comment>"
	 * when the comment is printable ASCII and the line stays within
	 * SSHKEY_LINE_MAX; SSHKEY_LINE_MIN..SSHKEY_LINE_MAX characters.
	 */
	char		*line;
	uint8_t		*blob;		/* the wire blob, blob_len bytes */
	size_t		 blob_len;
};

/*
 * Parse the text of a public key file (len bytes, no NUL needed): the
 * first line that is neither empty nor a '#' comment must be
 * "<type> <base64> [comment]" with a supported key.  Returns 0 with *out
 * set (free with sshkey_free), or CFG_ERR_VALUE (err says why: a private
 * key, a certificate, an unsupported type, a bad blob, a size out of
 * range), SP_ERR_ALLOC.
 */
int	sshkey_parse_text(const char *text, size_t len,
	    struct sshkey_pub **out, struct errmsg *err) SP_WUR;

/*
 * Validate a wire blob (as an ssh-agent lists it) and build its line with
 * comment (NULL: none).  Returns as sshkey_parse_text.
 */
int	sshkey_from_blob(const uint8_t *blob, size_t len, const char *comment,
	    struct sshkey_pub **out, struct errmsg *err) SP_WUR;

/* Free k; NULL is a no-op. */
void	sshkey_free(struct sshkey_pub *k);

/* "ED25519" or "RSA-3072" style name for messages; never NULL. */
const char *sshkey_describe(const struct sshkey_pub *k, char *buf,
	    size_t bufsz);

/* Append the Ed25519 public key blob for pub to b. */
int	sshkey_ed25519_blob(const uint8_t pub[SSHKEY_ED25519_LEN],
	    struct buf *b) SP_WUR;

/*
 * A new Ed25519 key pair from OpenSSL: the raw public key and the 32-byte
 * private seed.  The caller wipes seed.  Returns 0 or SP_ERR_CRYPTO.
 */
int	sshkey_ed25519_generate(uint8_t pub[SSHKEY_ED25519_LEN],
	    uint8_t seed[SSHKEY_ED25519_LEN]) SP_WUR;

/*
 * Standard base64 with padding.  Encode: out must hold
 * 4 * ((n + 2) / 3) + 1 bytes; returns the length written (NUL added) or
 * SP_ERR_NO_SPACE.  Decode: strict (alphabet, padding, no white space,
 * zero pad bits); returns the number of bytes written to out (outsz at
 * least 3 * (len / 4)), or SP_ERR_PROTOCOL, SP_ERR_NO_SPACE.
 */
int	sshkey_b64_encode(const uint8_t *p, size_t n, char *out,
	    size_t outsz);
int	sshkey_b64_decode(const char *s, size_t len, uint8_t *out,
	    size_t outsz);

#endif /* SSM_SSHKEY_H */
