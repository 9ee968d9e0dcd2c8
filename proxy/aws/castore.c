/* Trust anchors parsed once; see castore.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "castore.h"

/* One per bundle named in this process: in practice one, at most two. */
struct castore {
	struct castore	*next;
	char		*path;		/* NULL: OpenSSL's default locations */
	X509_STORE	*store;
};

static struct castore *stores;

static int
same_path(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Why OpenSSL could not load a file: the system's word first. */
static const char *
load_error(void)
{
	const char *why = NULL;
	unsigned long e;

	while ((e = ERR_get_error()) != 0) {
		if (ERR_GET_LIB(e) == ERR_LIB_SYS)
			return strerror(ERR_GET_REASON(e));
		if (why == NULL)
			why = ERR_reason_error_string(e);
	}
	return why != NULL ? why : "unreadable";
}

static X509_STORE *
load(const char *ca_file, struct errmsg *err)
{
	X509_STORE *st;

	ERR_clear_error();
	if ((st = X509_STORE_new()) == NULL) {
		errmsg_set(err, SP_ERR_ALLOC, "out of memory");
		return NULL;
	}
	if (ca_file == NULL ? X509_STORE_set_default_paths(st) != 1 :
	    X509_STORE_load_file(st, ca_file) != 1) {
		errmsg_set(err, CFG_ERR_IO, "cannot load the CA bundle %s: %s",
		    ca_file != NULL ? ca_file : "of the system", load_error());
		ERR_clear_error();
		X509_STORE_free(st);
		return NULL;
	}
	/*
	 * What libcurl sets on the stores it verifies with, so that the API
	 * calls and the websocket trust exactly the same chains: a
	 * certificate of the bundle is an anchor even if it is not a root.
	 */
	X509_STORE_set_flags(st, X509_V_FLAG_TRUSTED_FIRST |
	    X509_V_FLAG_PARTIAL_CHAIN);
	return st;
}

X509_STORE *
castore_get(const char *ca_file, struct errmsg *err)
{
	struct castore *c;

	for (c = stores; c != NULL; c = c->next)
		if (same_path(c->path, ca_file))
			return c->store;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (ca_file != NULL && (c->path = strdup(ca_file)) == NULL)) {
		free(c);
		errmsg_set(err, SP_ERR_ALLOC, "out of memory");
		return NULL;
	}
	if ((c->store = load(ca_file, err)) == NULL) {
		free(c->path);
		free(c);
		return NULL;
	}
	c->next = stores;
	stores = c;
	return c->store;
}

SSL_CTX *
castore_client_ctx(const char *ca_file, struct errmsg *err)
{
	X509_STORE *ca;
	SSL_CTX *ctx;

	if ((ca = castore_get(ca_file, err)) == NULL)
		return NULL;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		errmsg_set(err, SP_ERR_ALLOC, "out of memory");
		return NULL;
	}
	SSL_CTX_set1_cert_store(ctx, ca);
	/* Whoever uses it checks the peer too; this holds if they did not. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

void
castore_free(void)
{
	struct castore *c;

	while ((c = stores) != NULL) {
		stores = c->next;
		X509_STORE_free(c->store);
		free(c->path);
		free(c);
	}
}
