/*
 * libFuzzer target for protocol/sigv4.c.  Must neither crash nor leak on
 * any input.  The input is used twice:
 *
 *   as a URL: split it, ask whether it is presigned, header-sign it and
 *	presign it.  Oracles: a URL that splits can always be header-signed;
 *	one that is not presigned can be presigned, and the result is a URL
 *	that splits again and counts as presigned.
 *
 *   as request fields, one a line: method, host, path, query, then
 *	"name:value" header lines (a line starting with space or tab folds
 *	into the previous value) up to an empty line; the rest is the body.
 *	Both forms are signed; a success must give a 64-digit signature.
 *
 * The first input byte also picks the flags, the token and the time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX_HEADERS	(SIGV4_MAX_HEADERS + 2)

static const int64_t fuzz_times[8] = {
	1440938160, 0, 253402300799LL, -1, 253402300800LL, 1704067200,
	INT64_MIN, INT64_MAX,
};

static void
check_result(const struct sigv4_result *res, int presign)
{
	if (res == NULL || strlen(res->signature) != SIGV4_HEX_LEN ||
	    strlen(res->amz_date) != SIGV4_DATE_LEN ||
	    res->canonical_request == NULL || res->string_to_sign == NULL ||
	    res->signed_headers == NULL)
		abort();
	if (presign ? res->query == NULL : res->authorization == NULL)
		abort();
}

static void
fuzz_url(const char *url, const struct sigv4_creds *c,
    const struct sigv4_params *p)
{
	struct sigv4_url *u = NULL;
	struct sigv4_result *res = NULL;
	int split, pre = 0, pre2 = 0, r;

	split = sigv4_url_split(url, &u) == 0;
	if (split && (u == NULL || u->host[0] == '\0' || u->path[0] != '/' ||
	    u->host_header[0] == '\0'))
		abort();
	sigv4_url_free(u);
	r = sigv4_url_is_presigned(url, &pre);
	if ((r == 0) != split || (r != 0 && pre != 0))
		abort();

	r = sigv4_sign_url(c, url, p, &res);
	if (r == 0)
		check_result(res, 0);
	else if (res != NULL || (split && r != SP_ERR_TIME))
		abort();
	sigv4_result_free(res);
	res = NULL;

	r = sigv4_presign_url(c, url, p, &res);
	if (r == 0) {
		check_result(res, 1);
		if (res->url == NULL ||
		    sigv4_url_is_presigned(res->url, &pre2) != 0 || pre2 != 1)
			abort();
	} else if (res != NULL || (split && !pre && r != SP_ERR_TIME))
		abort();
	sigv4_result_free(res);
}

/* Cut the next line at s (a fold continues it when fold is set). */
static char *
next_line(char **sp, int fold)
{
	char *s = *sp, *e;

	if (s == NULL)
		return NULL;
	e = s;
	for (;;) {
		if ((e = strchr(e, '\n')) == NULL) {
			*sp = NULL;
			return s;
		}
		if (fold && e != s && (e[1] == ' ' || e[1] == '\t')) {
			e++;
			continue;
		}
		break;
	}
	*e = '\0';
	*sp = e + 1;
	return s;
}

static void
fuzz_fields(char *text, const struct sigv4_creds *c,
    const struct sigv4_params *p)
{
	struct sigv4_header hdrs[FUZZ_MAX_HEADERS];
	struct sigv4_request req;
	struct sigv4_result *res = NULL;
	char *s = text, *line, *colon;
	int presign, r;

	memset(&req, 0, sizeof(req));
	if ((req.method = next_line(&s, 0)) == NULL ||
	    (req.host = next_line(&s, 0)) == NULL ||
	    (req.path = next_line(&s, 0)) == NULL ||
	    (req.query = next_line(&s, 0)) == NULL)
		return;
	while (req.nheaders < FUZZ_MAX_HEADERS &&
	    (line = next_line(&s, 1)) != NULL && *line != '\0') {
		if ((colon = strchr(line, ':')) != NULL)
			*colon++ = '\0';
		hdrs[req.nheaders].name = line;
		hdrs[req.nheaders].value = colon != NULL ? colon : "";
		req.nheaders++;
	}
	req.headers = hdrs;
	if (s != NULL) {
		req.body = s;
		req.body_len = strlen(s);
	}
	if (req.body_len > 0 && req.body_len % 7 == 0)
		req.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	for (presign = 0; presign <= 1; presign++) {
		r = presign ? sigv4_presign(c, &req, p, &res) :
		    sigv4_sign_header(c, &req, p, &res);
		if (r == 0)
			check_result(res, presign);
		else if (res != NULL)
			abort();
		sigv4_result_free(res);
		res = NULL;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sigv4_creds creds = { "AKIDEXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	struct sigv4_params params = { "us-east-1", "ssmmessages", 0, 60, 0 };
	uint8_t b0 = len > 0 ? data[0] : 0;
	char *text;

	if ((text = malloc(len + 1)) == NULL)
		return 0;
	if (len > 0)
		memcpy(text, data, len);
	text[len] = '\0';
	params.flags = b0 & 0x0f;
	if (b0 & 0x10)
		creds.session_token = "FQoGZXIvYXdzEXAMPLE/token+with=chars";
	params.time = fuzz_times[(b0 >> 5) & 7];
	if (b0 & 0x80)
		params.expires = SIGV4_MAX_EXPIRES;

	fuzz_url(text, &creds, &params);
	fuzz_fields(text, &creds, &params);	/* cuts text into lines */
	free(text);
	return 0;
}
