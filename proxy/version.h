/* ssm-proxy's own version, kept apart from the protocol's ClientVersion. */
#ifndef SSM_PROXY_VERSION_H
#define SSM_PROXY_VERSION_H

#include "chan.h"

#ifndef SSM_PROXY_VERSION
#define SSM_PROXY_VERSION "0.0.0"
#endif
#define SSM_PROXY_CLIENT_VERSION CHAN_CLIENT_VERSION

#endif
