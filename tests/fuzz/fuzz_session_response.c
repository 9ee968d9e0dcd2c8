/*
 * libFuzzer target for the session responses and request bodies of
 * proxy/apimsg.c.  Must neither crash nor leak.
 *
 * The input is parsed as a StartSession, a ResumeSession and a
 * TerminateSession response.  Oracles: a success obeys the caps
 * (SessionId 1..256 bytes of printable ASCII, TokenValue up to 16384, no
 * control characters, StreamUrl a wss URL that splits); StartSession's
 * parser is the strictest, so its success implies ResumeSession's with
 * the same fields; a failure keeps no token and explains itself.  Then the input, as a C string, goes into the request bodies:
 * a body that is built must parse back to the same Target or SessionId.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apimsg.h"
#include "json.h"
#include "sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_field(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		abort();
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void
check_session(const struct apimsg_session *s, int all)
{
	struct sigv4_url *u = NULL;

	if (all || s->session_id[0] != '\0') {
		check_field(s->session_id, 1, APIMSG_MAX_SESSION_ID);
		if (!apimsg_session_id_valid(s->session_id))
			abort();
	}
	if (s->has_token != (s->token != NULL) || (all && !s->has_token))
		abort();
	if (s->has_token)
		check_field(s->token, 0, APIMSG_MAX_TOKEN);
	if (all && s->stream_url == NULL)
		abort();
	if (s->stream_url != NULL) {
		check_field(s->stream_url, 1, APIMSG_MAX_URL);
		if (sigv4_url_split(s->stream_url, &u) != 0 ||
		    strcmp(u->scheme, "wss") != 0)
			abort();
		sigv4_url_free(u);
	}
}

static void
roundtrip(const char *body, const char *key, const char *want)
{
	struct json *j = NULL;
	const char *got;

	if (json_parse(body, strlen(body), &j) != 0 ||
	    json_get_str(j, key, &got) != 0 || strcmp(got, want) != 0)
		abort();
	json_free(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apimsg_session s, r;
	char *str, *body = NULL;
	int rs, rr;

	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	rs = apimsg_start_session_parse(data, size, &s);
	rr = apimsg_resume_session_parse(data, size, &r);
	if (rs == 0) {
		check_session(&s, 1);
		if (rr != 0 || strcmp(s.session_id, r.session_id) != 0 ||
		    strcmp(s.token, r.token) != 0 ||
		    strcmp(s.stream_url, r.stream_url) != 0)
			abort();
	} else if (s.has_token || s.token != NULL || s.stream_url != NULL ||
	    s.why[0] == '\0')
		abort();
	if (rr == 0)
		check_session(&r, 0);
	apimsg_session_clear(&s);
	apimsg_session_clear(&r);
	if (apimsg_terminate_session_parse(data, size, &s) == 0 &&
	    s.session_id[0] != '\0')
		check_field(s.session_id, 1, APIMSG_MAX_SESSION_ID);
	apimsg_session_clear(&s);

	/* The input as a Target and a SessionId. */
	if (size > 1024 || memchr(data, '\0', size) != NULL)
		return 0;
	if ((str = malloc(size + 1)) == NULL)
		abort();
	memcpy(str, data, size);
	str[size] = '\0';
	if (apimsg_start_session_body(str, "AWS-StartSSHSession", 22,
	    &body) == 0) {
		if (size == 0 || size > APIMSG_MAX_TARGET)
			abort();
		roundtrip(body, "Target", str);
		free(body);
	} else if (body != NULL)
		abort();
	if (apimsg_session_id_body(str, &body) == 0) {
		if (!apimsg_session_id_valid(str))
			abort();
		roundtrip(body, "SessionId", str);
		free(body);
	}
	free(str);
	return 0;
}
