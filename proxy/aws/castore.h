/*
 * The trust anchors of every TLS connection, parsed once per process.
 *
 * libcurl (api.c, http.c) and libwebsockets (tunnel.c) are handed the same
 * X509_STORE rather than each parsing the bundle itself: a bundle of a
 * hundred and more certificates costs close to a megabyte of heap per
 * copy.  A named bundle replaces the system's anchors, as in the SDKs.
 */
#ifndef SSM_CASTORE_H
#define SSM_CASTORE_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "errmsg.h"

/*
 * The store of the PEM bundle ca_file, or of OpenSSL's default locations
 * when ca_file is NULL; loaded on first use, the same object after.
 * Borrowed: X509_STORE_up_ref() it to keep it.  NULL when the bundle
 * cannot be read, with err (may be NULL) saying why.
 */
X509_STORE	*castore_get(const char *ca_file, struct errmsg *err);
/*
 * A client TLS context on castore_get(ca_file)'s anchors that verifies the
 * peer (SSL_VERIFY_PEER), with the modes libwebsockets sets on contexts it
 * makes itself; the caller frees it.  NULL with err when it cannot be made.
 * Host names are the caller's to check.
 */
SSL_CTX		*castore_client_ctx(const char *ca_file, struct errmsg *err);
/* Drop every store loaded (at exit); those up-referenced live on. */
void		 castore_free(void);

#endif /* SSM_CASTORE_H */
