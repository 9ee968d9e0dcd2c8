/*
 * The proxy of a URL and its host and port for libwebsockets' CONNECT;
 * see proxyurl.h.
 */
#include <string.h>

#include "config.h"
#include "proxyurl.h"
#include "sigv4.h"

/*
 * The proxy for an endpoint URL: the one rule, awscfg_https_proxy_for()
 * (HTTPS_PROXY, NO_PROXY), for every AWS endpoint and the websocket.
 */
const char *
proxyurl_for(const struct awscfg *cfg, const char *url)
{
	struct sigv4_url *u;
	const char *proxy = NULL;

	if (sigv4_url_split(url, &u) == 0) {
		proxy = awscfg_https_proxy_for(cfg, u->host, u->port);
		sigv4_url_free(u);
	}
	return proxy;
}

/* "http://host:port[/]" to host and port for libwebsockets' CONNECT. */
int
proxyurl_parse(const char *url, char *host, size_t hostsz, unsigned int *port)
{
	const char *p = url, *colon, *end;
	size_t n;

	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else if (strstr(p, "://") != NULL)
		return -1;	/* https:// or socks proxies: not supported */
	if (strchr(p, '@') != NULL)
		return -1;	/* credentials in the proxy URL */
	end = p + strcspn(p, "/");
	colon = memchr(p, ':', (size_t)(end - p));
	n = (size_t)((colon ? colon : end) - p);
	if (n == 0 || n >= hostsz)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	*port = 80;
	if (colon != NULL) {
		char buf[8];

		n = (size_t)(end - colon - 1);
		if (n == 0 || n >= sizeof(buf))
			return -1;
		memcpy(buf, colon + 1, n);
		buf[n] = '\0';
		if (parse_uint(buf, 1, 65535, port, NULL, NULL) != 0)
			return -1;
	}
	return 0;
}
