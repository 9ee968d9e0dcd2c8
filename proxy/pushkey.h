/*
 * The key that --push-key or --ephemeral-key pushes with EC2 Instance
 * Connect, whatever the transport (proxy/ssh/keychoice.h decides; this
 * gives it the configuration and logs what it says).
 */
#ifndef SSM_PUSHKEY_H
#define SSM_PUSHKEY_H

#include "awscfg.h"
#include "config.h"
#include "sshkey.h"

/* Find or make the key for target into *key.  0, or EXIT_KEY after
 * logging. */
int	pushkey_get(const struct config *conf, const struct awscfg *cfg,
	    const char *target, struct sshkey_pub **key);

#endif /* SSM_PUSHKEY_H */
