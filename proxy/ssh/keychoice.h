/*
 * The key that --push-key and --ephemeral-key push through EC2 Instance
 * Connect: a named public key file (or the .pub beside a private key),
 * else the ssh-agent's first Ed25519 or RSA key, else ~/.ssh/id_ed25519.pub
 * or ~/.ssh/id_rsa.pub; or, for --ephemeral-key, a new Ed25519 key pair
 * given to the ssh-agent with a lifetime.
 *
 * Nothing here logs: a failure is one line in a struct errmsg, and what
 * -v and -vv would show goes to the caller's note callback.
 */
#ifndef SSM_KEYCHOICE_H
#define SSM_KEYCHOICE_H

#include "errmsg.h"
#include "sshkey.h"

enum keychoice_level {
	KEYCHOICE_VERBOSE,	/* worth a line at -v */
	KEYCHOICE_DEBUG		/* worth a line at -vv */
};

/* What the key options asked for; every string is borrowed. */
struct keychoice {
	const char	*file;		/* --push-key=FILE, or NULL */
	int		 ephemeral;	/* --ephemeral-key */
	unsigned int	 lifetime;	/* --key-lifetime, seconds */
	const char	*agent_sock;	/* SSH_AUTH_SOCK, NULL if unset */
	const char	*target;	/* in an ephemeral key's comment */
	/* The home directory (proxy/aws's resolver: HOME, else the
	 * password entry), or NULL with home_why saying why. */
	const char	*home;
	const char	*home_why;
	/* Progress for the log; NULL: none.  line is one printable line. */
	void		(*note)(void *arg, enum keychoice_level level,
			    const char *line);
	void		*arg;
};

/*
 * Find (or, with ephemeral, make and give to the agent) the key to push.
 * Returns 0 with *out set (free with sshkey_free), or CFG_ERR_IO,
 * CFG_ERR_VALUE, SP_ERR_* with err saying why in one line.  A private key
 * read on the way is wiped from memory and never kept.
 */
int	keychoice_get(const struct keychoice *kc, struct sshkey_pub **out,
	    struct errmsg *err) SP_WUR;

#endif /* SSM_KEYCHOICE_H */
