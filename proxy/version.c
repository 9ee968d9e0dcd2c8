/* --version (version.h). */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <expat.h>
#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <yajl/yajl_version.h>

#include "compat.h"
#include "version.h"

void
version_print(FILE *fp)
{
	const curl_version_info_data *cv;
	const char *ex, *lv;
	size_t lvn;
	int yv;

	cv = curl_version_info(CURLVERSION_NOW);
	ex = XML_ExpatVersion();
	if (strncmp(ex, "expat_", 6) == 0)
		ex += 6;
	yv = yajl_version();
	/* "4.1.6-v4.1.6", or "4.1.6-" built without its git tag */
	lv = lws_get_library_version();
	lvn = strlen(lv);
	if (lvn > 0 && lv[lvn - 1] == '-')
		lvn--;
	fprintf(fp, "ssm-proxy %s (data channel client %s)\n",
	    SSM_PROXY_VERSION, SSM_PROXY_CLIENT_VERSION);
	fprintf(fp, "libraries: libwebsockets %.*s, %s, libcurl %s, "
	    "yajl %d.%d.%d, expat %s\n", (int)lvn, lv,
	    OpenSSL_version(OPENSSL_VERSION),
	    cv != NULL && cv->version != NULL ? cv->version : "?",
	    yv / 10000, yv / 100 % 100, yv % 100, ex);
	fprintf(fp, "system: %s\n", compat_features());
}
