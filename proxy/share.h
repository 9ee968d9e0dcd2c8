/*
 * --share: one --via session for many connections.
 *
 * The agent dials every smux stream of a session to the session's one
 * host and port, so a session can be shared only between connections to
 * the same host and port.  The key of a shared session is the bastion,
 * the region, the identity (profile and a hash of AWS_ACCESS_KEY_ID),
 * the document, the endpoint, the host and the port; its SHA-256 names a
 * Unix socket (0600) in $XDG_RUNTIME_DIR/ssm-proxy/, else in
 * /tmp/ssm-proxy-UID/ (0700, ours, or refused).
 *
 * The first ssm-proxy for a key binds the socket under a lock and forks
 * a master before anything else is set up (libwebsockets, libcurl and
 * credentials never cross a fork): the master detaches (setsid, stdin
 * and stdout on /dev/null, stderr on a 0600 log beside the socket) and
 * runs the session in a child of its own whose stdin and stdout carry the
 * session's smux byte stream (config.share_raw).  The master opens one
 * smux stream per accepted connection of our own uid.  Every ssm-proxy,
 * the first one too, then relays its stdin and stdout over the socket.
 *
 * The master ends --share-idle seconds after its last stream closed, on
 * SIGTERM, SIGINT or SIGHUP, or when the session ends; it unlinks its
 * socket first, and closing the session's stdin ends the session cleanly
 * (the TerminateSession flag and call, as after ssh's EOF).
 */
#ifndef SSM_SHARE_H
#define SSM_SHARE_H

#include "config.h"

#define SHARE_IDLE_DEFAULT	300	/* --share-idle, seconds */
#define SHARE_IDLE_MAX		86400
/*
 * smux v1 has no per-stream window: stream bytes wait in the master for
 * a slow client up to this much, and then the master stops reading the
 * session, which stalls every stream until that client reads.
 */
#define SHARE_OUT_MAX		(1024 * 1024)

/* Run one connection through the shared session; the exit status. */
int	share_run(struct config *c);

#endif /* SSM_SHARE_H */
