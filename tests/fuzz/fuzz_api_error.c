/*
 * libFuzzer target for apimsg_error_parse (proxy/apimsg.c), the AWS JSON
 * 1.1 error shape of proxy/aws/AWS-APIS.md "Error responses".  Must neither
 * crash nor leak.
 *
 * Input: the X-Amzn-ErrorType header value up to the first newline (a
 * first byte of '\n' means no header at all), then the response body.
 * Oracles: the result is 0 exactly when a code was found; the code is
 * printable ASCII within APIMSG_MAX_CODE bytes, without ':' and (unless
 * the raw code held two) '#'; the message has no control character (C0,
 * DEL, C1) and is valid UTF-8 within APIMSG_MAX_MESSAGE bytes; parsing is
 * deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apimsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Valid UTF-8 with no C0, DEL or C1 control character. */
static int
display_safe(const unsigned char *s)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (s[i] != '\0') {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = s[i] & 0x07;
		} else
			return 0;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp >= 0x80 && cp <= 0x9f)
			return 0;
		i += n;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apimsg_error e, e2;
	const uint8_t *nl;
	char *hdr = NULL;
	const uint8_t *body = data;
	size_t blen = size, i;
	int r;

	if ((nl = memchr(data, '\n', size)) != NULL) {
		if (nl != data) {
			if ((hdr = malloc((size_t)(nl - data) + 1)) == NULL)
				abort();
			memcpy(hdr, data, (size_t)(nl - data));
			hdr[nl - data] = '\0';
		}
		body = nl + 1;
		blen = size - (size_t)(nl + 1 - data);
	}
	r = apimsg_error_parse(hdr, body, blen, &e);
	if ((r == 0) != (e.code[0] != '\0'))
		abort();
	if (r != 0 && r != SP_ERR_JSON_MISSING)
		abort();
	if (strlen(e.code) > APIMSG_MAX_CODE ||
	    strlen(e.message) > APIMSG_MAX_MESSAGE)
		abort();
	for (i = 0; e.code[i] != '\0'; i++)
		if (e.code[i] < 0x20 || e.code[i] > 0x7e || e.code[i] == ':')
			abort();
	if (!display_safe((const unsigned char *)e.message))
		abort();
	if (apimsg_error_parse(hdr, body, blen, &e2) != r ||
	    memcmp(&e, &e2, sizeof(e)) != 0)
		abort();
	free(hdr);
	return 0;
}
