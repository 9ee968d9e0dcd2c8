/*
 * What the command line (and the few environment variables that stand
 * for options) asked of one run of ssm-proxy.  main.c fills it in and
 * checks it; session.c runs it and never changes it.
 */
#ifndef SSM_CONFIG_H
#define SSM_CONFIG_H

#include "awscfg.h"

#define CONFIG_DEFAULT_DOCUMENT	"AWS-StartSSHSession"
#define CONFIG_VIA_DOCUMENT	"AWS-StartPortForwardingSessionToRemoteHost"
#define CONFIG_DEFAULT_PORT	22
#define CONFIG_DEFAULT_LIFETIME	60	/* --key-lifetime, seconds */
#define CONFIG_MAX_LIFETIME	86400
#define CONFIG_START_WAIT	300	/* --start without --wait-connected */

/* --pick */
enum pick {
	PICK_NONE = 0,		/* several matches: a usage error */
	PICK_NEWEST,
	PICK_OLDEST
};

/* --transport */
enum transport {
	TRANSPORT_SSM = 0,	/* Session Manager only */
	TRANSPORT_EICE,		/* EC2 Instance Connect Endpoint only */
	TRANSPORT_AUTO		/* SSM, else EICE (eice.h) */
};

/* --format, for --list */
enum list_format {
	FORMAT_TABLE = 0,
	FORMAT_SSH_CONFIG
};

struct config {
	const char	*target;	/* as ssh gave it (target.h), or
					   --via's bastion */
	const char	*via_host;	/* --via: the host behind it */
	unsigned int	 port;		/* PORT */
	const char	*document;	/* --document */
	/* --profile, --region, --endpoint-url, --ca-bundle */
	struct awscfg_opts aws;
	unsigned int	 keepalive_s;	/* --keepalive; 0: the default */
	unsigned int	 progress_timeout_s;	/* 0: the default */
	unsigned int	 payload_size;	/* 0: the protocol's 1024 */
	unsigned int	 wait_connected_s;
	const char	*trace;		/* --trace or SSM_PROXY_TRACE */
	/* EC2 Instance Connect: os_user is set iff a key is pushed. */
	const char	*os_user;	/* --os-user */
	int		 push_key;	/* --push-key */
	const char	*key_file;	/* --push-key=FILE */
	int		 ephemeral_key;	/* --ephemeral-key */
	unsigned int	 key_lifetime;	/* --key-lifetime, seconds */
	const char	*agent_sock;	/* SSH_AUTH_SOCK */
	/* Names (resolve.c) and the fleet view (list.c) */
	const char	*name_tag;	/* --name-tag; NULL: "Name" */
	enum pick	 pick;		/* --pick */
	unsigned int	 cache_ttl;	/* --cache-ttl, seconds; 0: off */
	int		 start;		/* --start */
	int		 wait_given;	/* --wait-connected was given */
	int		 list;		/* --list */
	enum list_format format;	/* --format */
	/* EC2 Instance Connect Endpoint (eice.c) */
	enum transport	 transport;	/* --transport */
	const char	*eice_id;	/* --eice-id */
	const char	*eice_connect_to;	/* --eice-connect-to */
	unsigned int	 max_tunnel_s;	/* --max-tunnel-duration; 0:
					   the service's (3600) */
	/* One --via session shared between connections (share.c) */
	int		 share;		/* --share */
	unsigned int	 share_idle_s;	/* --share-idle; 0: the default */
	int		 share_raw;	/* the master's session: the smux
					   byte stream on stdin and stdout */
};

/*
 * A whole decimal number from min to max in arg, into *out.  0, or -1
 * after logging, when what is not NULL, the line
 * 'invalid WHAT "ARG": expected MIN to MAX[ UNIT]' (unit NULL: none).
 */
int	parse_uint(const char *arg, unsigned int min, unsigned int max,
	    unsigned int *out, const char *what, const char *unit);

#endif /* SSM_CONFIG_H */
