/*
 * The data-channel session state machine (spec sections 5 to 8), sans I/O.
 */
#ifndef SP_CHAN_H
#define SP_CHAN_H

/*
 * ClientVersion sent in OpenDataChannel and HandshakeResponse.  It tells
 * the agent which client behaviours to expect (spec 5.4) and must be at
 * least 1.2.764.0, the oldest client the service still supports.  It is a
 * protocol constant, unrelated to ssm-proxy's own version.
 */
#define CHAN_CLIENT_VERSION	"1.2.764.0"

#endif /* SP_CHAN_H */
