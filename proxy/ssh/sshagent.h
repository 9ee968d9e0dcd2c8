/*
 * A small ssh-agent client (draft-miller-ssh-agent, OpenSSH PROTOCOL.agent)
 * for what --push-key and --ephemeral-key need: list the identities, and
 * add an Ed25519 key with a lifetime constraint.
 *
 * The message builders and parsers are pure and safe on hostile input
 * (tests/fuzz/fuzz_agent_reply.c).  The I/O functions are blocking on the
 * unix socket with a deadline of SSHAGENT_TIMEOUT_MS per request: they run
 * once, before the session starts.
 */
#ifndef SSM_SSHAGENT_H
#define SSM_SSHAGENT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errmsg.h"
#include "sshkey.h"

#define SSH_AGENT_FAILURE		5
#define SSH_AGENT_SUCCESS		6
#define SSH2_AGENTC_REQUEST_IDENTITIES	11
#define SSH2_AGENT_IDENTITIES_ANSWER	12
#define SSH2_AGENTC_ADD_ID_CONSTRAINED	25
#define SSH_AGENT_CONSTRAIN_LIFETIME	1

#define SSHAGENT_MAX_MSG	(256 * 1024)	/* reply bound, bytes */
#define SSHAGENT_MAX_IDS	1024
#define SSHAGENT_TIMEOUT_MS	5000

struct sshagent_id {
	uint8_t		*blob;
	size_t		 blob_len;
	char		*comment;	/* NUL-terminated; may hold anything */
};

struct sshagent_ids {
	size_t			 n;
	struct sshagent_id	*ids;
};

/*
 * Parse the body (after the length) of the reply to
 * SSH2_AGENTC_REQUEST_IDENTITIES: type 12, u32 count, then count pairs of
 * strings (key blob, comment), nothing after; at most SSHAGENT_MAX_IDS.
 * Returns 0 with *out set (free with sshagent_ids_free), SP_ERR_REFUSED
 * for SSH_AGENT_FAILURE, SP_ERR_PROTOCOL for anything else malformed,
 * SP_ERR_ALLOC.
 */
int	sshagent_parse_identities(const void *msg, size_t len,
	    struct sshagent_ids **out) SP_WUR;
void	sshagent_ids_free(struct sshagent_ids *ids);

/*
 * Parse a one-byte status reply: 0 for SSH_AGENT_SUCCESS, SP_ERR_REFUSED
 * for SSH_AGENT_FAILURE (or the extended failure codes 30 and 102),
 * SP_ERR_PROTOCOL otherwise.
 */
int	sshagent_parse_status(const void *msg, size_t len) SP_WUR;

/*
 * Append the whole framed SSH2_AGENTC_ADD_ID_CONSTRAINED request for an
 * Ed25519 key (public key, 32-byte seed) with comment and
 * SSH_AGENT_CONSTRAIN_LIFETIME lifetime seconds to b.  b then holds the
 * private key: give it a buffer that is wiped (buf_release does).
 */
int	sshagent_add_ed25519_msg(const uint8_t pub[SSHKEY_ED25519_LEN],
	    const uint8_t seed[SSHKEY_ED25519_LEN], const char *comment,
	    uint32_t lifetime, struct buf *b) SP_WUR;

/*
 * The agent at path (SSH_AUTH_SOCK): list its identities.  Returns 0 with
 * *out set, or CFG_ERR_IO (cannot connect, time-out, short read) or
 * SP_ERR_PROTOCOL / SP_ERR_REFUSED with err set.
 */
int	sshagent_list(const char *path, struct sshagent_ids **out,
	    struct errmsg *err) SP_WUR;

/*
 * Add an Ed25519 key that the agent forgets after lifetime seconds.
 * Returns 0, or as sshagent_list (SP_ERR_REFUSED: the agent said no).
 */
int	sshagent_add_ed25519(const char *path,
	    const uint8_t pub[SSHKEY_ED25519_LEN],
	    const uint8_t seed[SSHKEY_ED25519_LEN], const char *comment,
	    uint32_t lifetime, struct errmsg *err) SP_WUR;

#endif /* SSM_SSHAGENT_H */
