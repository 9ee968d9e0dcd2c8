/*
 * libFuzzer target for the ssh-agent reply parsers (proxy/sshagent.c):
 * sshagent_parse_identities, sshagent_parse_status, and sshkey_from_blob
 * on each listed key as --push-key does.  Must neither crash nor leak.
 * Oracles: result and output agree; each identity's blob is non-empty and
 * within the input; an accepted key's line is in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sshagent.h"
#include "sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshagent_ids *ids = NULL;
	struct sshkey_pub *k = NULL;
	struct errmsg err;
	size_t i, total = 0;
	int r;

	r = sshagent_parse_status(data, size);
	if (r != 0 && r != SP_ERR_REFUSED && r != SP_ERR_PROTOCOL)
		abort();
	if (r == 0 && (size != 1 || data[0] != SSH_AGENT_SUCCESS))
		abort();
	r = sshagent_parse_identities(data, size, &ids);
	if ((r == 0) != (ids != NULL))
		abort();
	if (r != 0)
		return 0;
	for (i = 0; i < ids->n; i++) {
		if (ids->ids[i].blob_len == 0)
			abort();
		total += ids->ids[i].blob_len + strlen(ids->ids[i].comment);
		if (sshkey_from_blob(ids->ids[i].blob, ids->ids[i].blob_len,
		    ids->ids[i].comment, &k, &err) == 0) {
			if (strlen(k->line) < SSHKEY_LINE_MIN ||
			    strlen(k->line) > SSHKEY_LINE_MAX)
				abort();
			sshkey_free(k);
		}
	}
	if (total > size)
		abort();
	sshagent_ids_free(ids);
	return 0;
}
