/*
 * Unit tests for proxy/castore.c: one store per bundle, loaded once, the
 * same object after; a bundle that cannot be read is one clear message.
 */
#include <stdio.h>
#include <unistd.h>

#include <openssl/pem.h>
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
