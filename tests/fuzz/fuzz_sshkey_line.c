/*
 * libFuzzer target for sshkey_parse_text (proxy/sshkey.c), the public key
 * file parser of --push-key=FILE.  Must neither crash nor leak.
 * Oracles: an accepted key is Ed25519 or RSA within the documented sizes,
 * its line is SSHKEY_LINE_MIN..SSHKEY_LINE_MAX printable ASCII characters
 * and parses back to the same blob; parsing is deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshkey_pub *k = NULL, *k2 = NULL;
	struct errmsg err;
	size_t n, i;
	int r;

	r = sshkey_parse_text((const char *)data, size, &k, &err);
	if ((r == 0) != (k != NULL))
		abort();
	if (r != 0) {
		if (err.msg[0] == '\0' && r != SP_ERR_ALLOC)
			abort();
		return 0;
	}
	n = strlen(k->line);
	if (n < SSHKEY_LINE_MIN || n > SSHKEY_LINE_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (k->line[i] < 0x20 || k->line[i] > 0x7e)
			abort();
	if (k->type == SSHKEY_ED25519 ? k->bits != 256 :
	    k->type != SSHKEY_RSA || k->bits < SSHKEY_RSA_MIN_BITS ||
	    k->bits > SSHKEY_RSA_MAX_BITS)
		abort();
	if (sshkey_parse_text(k->line, n, &k2, &err) != 0 ||
	    k2->blob_len != k->blob_len ||
	    memcmp(k2->blob, k->blob, k->blob_len) != 0 ||
	    strcmp(k2->line, k->line) != 0)
		abort();
	sshkey_free(k);
	sshkey_free(k2);
	return 0;
}
