/*
 * The key to push; see pushkey.h.
 */
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "exit.h"
#include "keychoice.h"
#include "log.h"
#include "pushkey.h"

/* What the key choice has to say goes to the log. */
static void
key_note(void *arg, enum keychoice_level level, const char *line)
{
	log_msg(level == KEYCHOICE_VERBOSE ? LOG_VERBOSE : LOG_DEBUG1, "%s",
	    line);
}

int
pushkey_get(const struct config *conf, const struct awscfg *cfg,
    const char *target, struct sshkey_pub **key)
{
	struct keychoice kc;
	struct errmsg err, herr;
	char *home = NULL;
	int r = 0;

	memset(&kc, 0, sizeof(kc));
	if (awscfg_home(&cfg->env, &home, &herr) == 0)
		kc.home = home;
	else
		kc.home_why = herr.msg;
	kc.file = conf->key_file;
	kc.ephemeral = conf->ephemeral_key;
	kc.lifetime = conf->key_lifetime;
	kc.agent_sock = conf->agent_sock;
	kc.target = target;
	kc.note = key_note;
	if (keychoice_get(&kc, key, &err) != 0) {
		log_error("%s", err.msg);
		r = EXIT_KEY;
	}
	free(home);
	return r;
}
