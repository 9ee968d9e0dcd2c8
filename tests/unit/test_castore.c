/*
 * Unit tests for proxy/castore.c: one store per bundle, loaded once, the
 * same object after; a bundle that cannot be read is one clear message;
 * the websocket's client context refuses a peer its anchors do not vouch
 * for, by itself (an in-memory handshake, no libwebsockets).
 */
#include <stdio.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "test.h"
#include "castore.h"

#define SYSTEM_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"

/* The first certificate of a PEM file, or NULL. */
static X509 *
first_cert(const char *path)
{
	X509 *x = NULL;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static int
store_count(X509_STORE *st)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);

	return objs == NULL ? -1 : sk_X509_OBJECT_num(objs);
}

/* A server context with a fresh self-signed P-256 certificate. */
static SSL_CTX *
self_signed_server(void)
{
	EVP_PKEY *k;
	X509 *x;
	SSL_CTX *ctx;

	if ((k = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"castore-test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	if (X509_sign(x, k, EVP_sha256()) == 0 ||
	    (ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, k) != 1)
		abort();
	X509_free(x);
	EVP_PKEY_free(k);
	return ctx;
}

/* 1 if a client of cctx completes a handshake with a server of sctx. */
static int
handshake(SSL_CTX *cctx, SSL_CTX *sctx, long *verify)
{
	BIO *cb, *sb;
	SSL *c, *s;
	int i, rc = 0, rs = 0;

	if ((c = SSL_new(cctx)) == NULL || (s = SSL_new(sctx)) == NULL ||
	    BIO_new_bio_pair(&cb, 0, &sb, 0) != 1)
		abort();
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (i = 0; i < 20 && (rc != 1 || rs != 1); i++) {
		rc = SSL_do_handshake(c);
		if (rc <= 0 && SSL_get_error(c, rc) != SSL_ERROR_WANT_READ)
			break;
		rs = SSL_do_handshake(s);
		if (rs <= 0 && SSL_get_error(s, rs) != SSL_ERROR_WANT_READ)
			break;
	}
	*verify = SSL_get_verify_result(c);
	SSL_free(c);
	SSL_free(s);
	return rc == 1 && rs == 1;
}

static void
test_client_ctx(const char *bundle)
{
	struct errmsg err;
	SSL_CTX *cctx, *sctx = self_signed_server();
	long v = -1;

	errmsg_clear(&err);
	cctx = castore_client_ctx(bundle, &err);
	CHECK(cctx != NULL, "castore_client_ctx: a client context");
	if (cctx == NULL)
		return;
	CHECK_EQ(SSL_CTX_get_verify_mode(cctx), SSL_VERIFY_PEER,
	    "  that verifies the peer");
	CHECK(SSL_CTX_get_cert_store(cctx) == castore_get(bundle, &err),
	    "  on the bundle's store");
	CHECK(!handshake(cctx, sctx, &v),
	    "  a self-signed server outside the bundle: no handshake");
	CHECK_EQ(v, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
	    "  refused by certificate verification");
	CHECK(castore_client_ctx("/nonexistent/ca.pem", &err) == NULL,
	    "  a missing bundle: NULL");
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

int
main(void)
{
	struct errmsg err;
	X509_STORE *a, *b, *c;
	X509 *x;
	char path[] = "/tmp/castore-XXXXXX", want[256];
	FILE *f;
	int fd;

	/* A one-certificate bundle, written from the system's first one. */
	x = first_cert(SYSTEM_BUNDLE);
	CHECK(x != NULL, "a certificate from the system bundle");
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		abort();
	if (x != NULL)
		PEM_write_X509(f, x);
	fclose(f);

	errmsg_clear(&err);
	a = castore_get(path, &err);
	CHECK(a != NULL, "a named bundle loads");
	CHECK_EQ(a != NULL ? store_count(a) : -1, 1,
	    "  holding its one certificate and nothing of the system's");
	CHECK(castore_get(path, &err) == a, "  the same store the second time");
	test_client_ctx(path);

	b = castore_get(NULL, &err);
	CHECK(b != NULL && b != a, "the system's anchors: another store");
	CHECK(castore_get(NULL, &err) == b, "  the same store the second time");
	CHECK(X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(b)) &
	    X509_V_FLAG_PARTIAL_CHAIN, "  with libcurl's partial-chain flag");

	errmsg_clear(&err);
	CHECK(castore_get("/nonexistent/ca.pem", &err) == NULL,
	    "a missing bundle: NULL");
	CHECK_STR(err.msg, "cannot load the CA bundle /nonexistent/ca.pem: "
	    "No such file or directory", "  with the reason");

	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs("not a certificate\n", f);
	fclose(f);
	errmsg_clear(&err);
	CHECK(castore_get(path, &err) == a, "a bundle loaded stays loaded");
	castore_free();
	errmsg_clear(&err);
	c = castore_get(path, &err);
	CHECK(c == NULL, "after castore_free it is read again: no certificate");
	snprintf(want, sizeof(want), "cannot load the CA bundle %s: no "
	    "certificate or crl found", path);
	CHECK_STR(err.msg, want, "  with OpenSSL's reason");
	castore_free();
	unlink(path);
	X509_free(x);
	return test_done();
}
