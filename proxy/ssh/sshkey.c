/*
 * OpenSSH public keys: wire blobs, the text line, Ed25519 generation.
 * See sshkey.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sshbuf.h"
#include "sshkey.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
sshkey_b64_encode(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;
	uint32_t v;

	if (n > (size_t)0x3fffffff || outsz < 4 * ((n + 2) / 3) + 1)
		return SP_ERR_NO_SPACE;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = b64chars[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
sshkey_b64_decode(const char *s, size_t len, uint8_t *out, size_t outsz)
{
	size_t i, o = 0, pad = 0;
	int a, b, c, d;

	if (len == 0 || len % 4 != 0 || len > (size_t)0x3fffffff)
		return SP_ERR_PROTOCOL;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	if (outsz < len / 4 * 3 - pad)
		return SP_ERR_NO_SPACE;
	for (i = 0; i < len; i += 4) {
		int last = i + 4 == len;

		a = b64val(s[i]);
		b = b64val(s[i + 1]);
		c = last && pad == 2 ? 0 : b64val(s[i + 2]);
		d = last && pad >= 1 ? 0 : b64val(s[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			return SP_ERR_PROTOCOL;
		/* Bits under the padding must be zero (canonical form). */
		if (last && pad == 2 && (b & 0x0f) != 0)
			return SP_ERR_PROTOCOL;
		if (last && pad == 1 && (c & 0x03) != 0)
			return SP_ERR_PROTOCOL;
		out[o++] = (uint8_t)(a << 2 | b >> 4);
		if (!(last && pad == 2))
			out[o++] = (uint8_t)((b & 0x0f) << 4 | c >> 2);
		if (!(last && pad >= 1))
			out[o++] = (uint8_t)((c & 0x03) << 6 | d);
	}
	return (int)o;
}

/*
 * An RFC 4251 mpint that must be positive and minimally encoded; its
 * size in bits.
 */
static int
positive_mpint_bits(const uint8_t *p, size_t n, unsigned int *bits)
{
	unsigned int v;

	if (n == 0 || (p[0] & 0x80) != 0)
		return -1;
	if (p[0] == 0) {
		if (n == 1 || (p[1] & 0x80) == 0)
			return -1;
		p++;
		n--;
	}
	if (n > 0x1000000)
		return -1;
	*bits = (unsigned int)(n - 1) * 8;
	for (v = p[0]; v != 0; v >>= 1)
		(*bits)++;
	return 0;
}

/* Key types OpenSSH knows that Instance Connect does not document. */
static int
known_unsupported(const char *t)
{
	return strncmp(t, "ecdsa-sha2-", 11) == 0 ||
	    strcmp(t, "ssh-dss") == 0 || strncmp(t, "sk-", 3) == 0;
}

static int
printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Why a type is refused, in err. */
static int
refuse_type(const char *t, struct errmsg *err)
{
	if (strstr(t, "-cert-v01@openssh.com") != NULL)
		return errmsg_set(err, CFG_ERR_VALUE, "%.64s is a certificate: "
		    "EC2 Instance Connect takes a plain Ed25519 or RSA public "
		    "key", t);
	if (known_unsupported(t))
		return errmsg_set(err, CFG_ERR_VALUE, "%.64s keys are not "
		    "supported by EC2 Instance Connect: use an Ed25519 or RSA "
		    "key", t);
	return errmsg_set(err, CFG_ERR_VALUE, "unknown key type \"%.64s\": "
	    "expected ssh-ed25519 or ssh-rsa", t);
}

int
sshkey_from_blob(const uint8_t *blob, size_t len, const char *comment,
    struct sshkey_pub **out, struct errmsg *err)
{
	struct sshkey_pub *k = NULL;
	struct buf b;
	const uint8_t *t, *p1, *p2;
	size_t tn, n1, n2, cn = 0, need;
	char tname[72];
	int r = SP_ERR_INTERNAL, e;

	*out = NULL;
	errmsg_clear(err);
	if (len > SSHKEY_MAX_BLOB)
		return errmsg_set(err, CFG_ERR_VALUE, "the public key is too "
		    "large (%zu bytes) for EC2 Instance Connect", len);
	buf_view(&b, blob, len);
	if (sshbuf_get_string(&b, &t, &tn) != 0 || tn == 0 ||
	    tn >= sizeof(tname) || !printable((const char *)t, tn))
		return errmsg_set(err, CFG_ERR_VALUE, "malformed public key "
		    "blob");
	memcpy(tname, t, tn);
	tname[tn] = '\0';
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return SP_ERR_ALLOC;
	if (strcmp(tname, "ssh-ed25519") == 0) {
		if (sshbuf_get_string(&b, &p1, &n1) != 0 ||
		    n1 != SSHKEY_ED25519_LEN || buf_len(&b) != 0) {
			r = errmsg_set(err, CFG_ERR_VALUE, "malformed Ed25519 "
			    "public key blob");
			goto out;
		}
		k->type = SSHKEY_ED25519;
		k->bits = 256;
	} else if (strcmp(tname, "ssh-rsa") == 0) {
		unsigned int ebits;

		if (sshbuf_get_string(&b, &p1, &n1) != 0 ||
		    sshbuf_get_string(&b, &p2, &n2) != 0 || buf_len(&b) != 0 ||
		    positive_mpint_bits(p1, n1, &ebits) != 0 ||
		    positive_mpint_bits(p2, n2, &k->bits) != 0 ||
		    (p1[n1 - 1] & 1) == 0) {
			r = errmsg_set(err, CFG_ERR_VALUE, "malformed RSA "
			    "public key blob");
			goto out;
		}
		if (k->bits < SSHKEY_RSA_MIN_BITS ||
		    k->bits > SSHKEY_RSA_MAX_BITS) {
			r = errmsg_set(err, CFG_ERR_VALUE, "RSA key of %u bits: "
			    "EC2 Instance Connect needs %d to %d bits (AWS "
			    "documents 2048 and 4096)", k->bits,
			    SSHKEY_RSA_MIN_BITS, SSHKEY_RSA_MAX_BITS);
			goto out;
		}
		k->type = SSHKEY_RSA;
	} else {
		r = refuse_type(tname, err);
		goto out;
	}
	if ((k->blob = malloc(len)) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	memcpy(k->blob, blob, len);
	k->blob_len = len;
	if (comment != NULL) {
		cn = strlen(comment);
		if (cn > SSHKEY_MAX_COMMENT || !printable(comment, cn))
			cn = 0;
	}
	need = tn + 1 + 4 * ((len + 2) / 3);
	if (cn > 0 && need + 1 + cn > SSHKEY_LINE_MAX)
		cn = 0;
	if (need > SSHKEY_LINE_MAX || need + (cn ? 1 + cn : 0) <
	    SSHKEY_LINE_MIN) {
		r = errmsg_set(err, CFG_ERR_VALUE, "the public key line is %zu "
		    "characters: EC2 Instance Connect takes %d to %d",
		    need + (cn ? 1 + cn : 0), SSHKEY_LINE_MIN,
		    SSHKEY_LINE_MAX);
		goto out;
	}
	if ((k->line = malloc(need + 1 + cn + 1)) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	memcpy(k->line, tname, tn);
	k->line[tn] = ' ';
	if ((e = sshkey_b64_encode(blob, len, k->line + tn + 1,
	    need - tn + 1)) < 0) {
		r = SP_ERR_INTERNAL;
		goto out;
	}
	if (cn > 0) {
		k->line[need] = ' ';
		memcpy(k->line + need + 1, comment, cn);
		k->line[need + 1 + cn] = '\0';
	}
	*out = k;
	k = NULL;
	r = 0;
 out:
	sshkey_free(k);
	return r;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

int
sshkey_parse_text(const char *text, size_t len, struct sshkey_pub **out,
    struct errmsg *err)
{
	const char *p = text, *end = text + len, *eol, *tok, *b64;
	size_t tn, bn, cn;
	uint8_t *blob = NULL;
	char tname[72], *comment = NULL;
	int n, r = SP_ERR_INTERNAL;

	*out = NULL;
	errmsg_clear(err);
	if (len > SSHKEY_MAX_TEXT)
		return errmsg_set(err, CFG_ERR_VALUE, "too large for a public "
		    "key file");
	/* The first line that is not blank or a comment. */
	for (;;) {
		while (p < end && (is_space(*p) || *p == '\r' || *p == '\n'))
			p++;
		if (p == end)
			return errmsg_set(err, CFG_ERR_VALUE, "no public key "
			    "found");
		if (*p != '#')
			break;
		while (p < end && *p != '\n')
			p++;
	}
	if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
		eol = end;
	while (eol > p && (eol[-1] == '\r' || is_space(eol[-1])))
		eol--;
	if ((size_t)(end - p) >= 10 && memcmp(p, "-----BEGIN", 10) == 0)
		return errmsg_set(err, CFG_ERR_VALUE, "this is a private key, "
		    "not a public key");
	if (memchr(p, '\0', (size_t)(eol - p)) != NULL)
		return errmsg_set(err, CFG_ERR_VALUE, "not a public key: NUL "
		    "byte");
	tok = p;
	while (p < eol && !is_space(*p))
		p++;
	tn = (size_t)(p - tok);
	if (tn == 0 || tn >= sizeof(tname) || !printable(tok, tn))
		return errmsg_set(err, CFG_ERR_VALUE, "not an OpenSSH public "
		    "key line (\"<type> <base64> [comment]\")");
	memcpy(tname, tok, tn);
	tname[tn] = '\0';
	if (strcmp(tname, "ssh-ed25519") != 0 && strcmp(tname, "ssh-rsa") != 0)
		return refuse_type(tname, err);
	while (p < eol && is_space(*p))
		p++;
	b64 = p;
	while (p < eol && !is_space(*p))
		p++;
	bn = (size_t)(p - b64);
	while (p < eol && is_space(*p))
		p++;
	cn = (size_t)(eol - p);
	if (bn == 0)
		return errmsg_set(err, CFG_ERR_VALUE, "not an OpenSSH public "
		    "key line: no key after \"%s\"", tname);
	if (bn > 4 * ((SSHKEY_MAX_BLOB + 2) / 3))
		return errmsg_set(err, CFG_ERR_VALUE, "the public key is too "
		    "large for EC2 Instance Connect");
	if ((blob = malloc(bn / 4 * 3 + 3)) == NULL)
		return SP_ERR_ALLOC;
	if ((n = sshkey_b64_decode(b64, bn, blob, bn / 4 * 3 + 3)) < 0) {
		r = errmsg_set(err, CFG_ERR_VALUE, "the public key's base64 "
		    "is malformed");
		goto out;
	}
	if (cn > 0) {
		if ((comment = malloc(cn + 1)) == NULL) {
			r = SP_ERR_ALLOC;
			goto out;
		}
		memcpy(comment, p, cn);
		comment[cn] = '\0';
	}
	if ((r = sshkey_from_blob(blob, (size_t)n, comment, out, err)) != 0)
		goto out;
	if (strncmp((*out)->line, tname, tn) != 0 || (*out)->line[tn] != ' ') {
		sshkey_free(*out);
		*out = NULL;
		r = errmsg_set(err, CFG_ERR_VALUE, "the key type \"%s\" does "
		    "not match the type inside the key", tname);
		goto out;
	}
	r = 0;
 out:
	free(blob);
	free(comment);
	return r;
}

void
sshkey_free(struct sshkey_pub *k)
{
	if (k == NULL)
		return;
	free(k->line);
	free(k->blob);
	free(k);
}

const char *
sshkey_describe(const struct sshkey_pub *k, char *buf, size_t bufsz)
{
	if (k == NULL || k->type == SSHKEY_UNKNOWN)
		snprintf(buf, bufsz, "unknown");
	else if (k->type == SSHKEY_ED25519)
		snprintf(buf, bufsz, "ED25519");
	else
		snprintf(buf, bufsz, "RSA-%u", k->bits);
	return buf;
}

int
sshkey_ed25519_blob(const uint8_t pub[SSHKEY_ED25519_LEN], struct buf *b)
{
	int r;

	if ((r = sshbuf_put_cstring(b, "ssh-ed25519")) != 0 ||
	    (r = sshbuf_put_string(b, pub, SSHKEY_ED25519_LEN)) != 0)
		return r;
	return 0;
}

int
sshkey_ed25519_generate(uint8_t pub[SSHKEY_ED25519_LEN],
    uint8_t seed[SSHKEY_ED25519_LEN])
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	size_t pl = SSHKEY_ED25519_LEN, sl = SSHKEY_ED25519_LEN;
	int r = SP_ERR_CRYPTO;

	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &pk) != 1 ||
	    EVP_PKEY_get_raw_public_key(pk, pub, &pl) != 1 ||
	    pl != SSHKEY_ED25519_LEN ||
	    EVP_PKEY_get_raw_private_key(pk, seed, &sl) != 1 ||
	    sl != SSHKEY_ED25519_LEN) {
		OPENSSL_cleanse(seed, SSHKEY_ED25519_LEN);
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_free(pk);	/* OpenSSL wipes the key it held */
	EVP_PKEY_CTX_free(ctx);
	return r;
}
