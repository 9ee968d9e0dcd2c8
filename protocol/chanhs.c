/*
 * The handshake (PROTOCOL.md "Handshake", "Handshake payloads"): the
 * agent's HandshakeRequest answered, its HandshakeComplete taken, and the
 * agent version compared; see chanint.h.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "chanint.h"
#include "msg.h"
#include "payload.h"

/*
 * The Properties.type that makes the agent multiplex the port session
 * (PROTOCOL.md "Port sessions"); it compares exactly, and runs every
 * other value, or none, as one plain stream.
 */
#define PORT_TYPE_MUX		"LocalPortForwarding"

/* Shell-type session types the reference client would run as a shell. */
static int
is_shell_session_type(const char *t)
{
	return strcmp(t, "Standard_Stream") == 0 ||
	    strcmp(t, "InteractiveCommands") == 0 ||
	    strcmp(t, "NonInteractiveCommands") == 0;
}

/*
 * Answer a HandshakeRequest (PROTOCOL.md "Handshake").  We accept a Port
 * session whose Properties.type is absent (AWS-StartSSHSession) or anything but
 * LocalPortForwarding: the agent relays those as one plain stream; and
 * LocalPortForwarding, which the agent multiplexes with smux, only when the
 * caller asked for it (accept_mux, for --via).  Every other action or
 * session type is answered as failed with a reason, which makes the agent
 * end the session, and fails the channel with that reason.
 */
int
chan_hs_request(struct chan *c, const uint8_t *p, size_t len,
    uint64_t now)
{
	struct pl_handshake_request req;
	struct pl_handshake_response resp;
	struct pl_action_result *res = NULL;
	char **errs = NULL, *first_err = NULL;
	char text[ERRMSG_LEN];
	struct buf out;
	size_t i, nerr = 0;
	int r, failed = 0;

	memset(&resp, 0, sizeof(resp));
	buf_init(&out, 64 * 1024);
	if ((r = pl_decode_handshake_request(p, len, &req)) != 0) {
		chan_fail(c, SP_ERR_HANDSHAKE, "malformed HandshakeRequest "
		    "from the agent: ", sp_err_str(r), NULL);
		return 0;
	}
	chan_str_set3(c->agent_version, sizeof(c->agent_version), "",
	    req.agent_version, NULL);
	if ((res = calloc(req.n_actions + 1, sizeof(*res))) == NULL ||
	    (errs = calloc(req.n_actions + 1, sizeof(*errs))) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < req.n_actions; i++) {
		const struct pl_action_request *a = &req.actions[i];

		text[0] = '\0';
		if (strcmp(a->action_type, PL_ACTION_SESSION_TYPE) == 0) {
			const char *st = a->session_type ? a->session_type : "";

			int mux = a->properties_type != NULL &&
			    strcmp(a->properties_type, PORT_TYPE_MUX) == 0;

			if (strcmp(st, "Port") == 0 &&
			    (!mux || c->p.accept_mux)) {
				c->session_type_ok = 1;
				c->port_mux = mux;
			} else if (strcmp(st, "Port") == 0)
				chan_str_set3(text, sizeof(text), "multiplexed "
				    "port forwarding (port session type "
				    PORT_TYPE_MUX ") needs --via; use a "
				    "document such as AWS-StartSSHSession",
				    NULL, NULL);
			else if (is_shell_session_type(st))
				chan_str_set3(text, sizeof(text),
				    "session type ", st, " is not supported "
				    "by ssm-proxy; use a document such as "
				    "AWS-StartSSHSession");
			else
				chan_str_set3(text, sizeof(text),
				    "Unknown session type ", st, NULL);
		} else if (strcmp(a->action_type, PL_ACTION_KMS) == 0)
			chan_str_set3(text, sizeof(text), "KMSEncryption is "
			    "not supported by ssm-proxy", NULL, NULL);
		else
			chan_str_set3(text, sizeof(text), "Unsupported action ",
			    a->action_type, NULL);
		res[i].action_type = a->action_type;
		res[i].action_status = text[0] == '\0' ?
		    PL_STATUS_SUCCESS : PL_STATUS_FAILED;
		res[i].result_is_null = 1;
		if (text[0] == '\0') {
			res[i].error = (char *)(uintptr_t)"";
			continue;
		}
		failed = 1;
		if ((errs[nerr] = chan_str_dup(text, sizeof(text))) == NULL) {
			r = SP_ERR_ALLOC;
			goto out;
		}
		res[i].error = errs[nerr];
		if (first_err == NULL)
			first_err = errs[nerr];
		nerr++;
	}
	resp.client_version = (char *)(uintptr_t)CHAN_CLIENT_VERSION;
	resp.n_actions = req.n_actions;
	resp.actions = res;
	resp.n_errors = nerr;
	resp.errors = nerr > 0 ? errs : NULL;
	if ((r = pl_encode_handshake_response(&out, &resp)) != 0 ||
	    (r = chan_queue_stream(c, PT_HANDSHAKE_RESPONSE, buf_ptr(&out),
	    buf_len(&out), 1, now)) != 0)
		goto out;
	if (failed)
		chan_fail(c, SP_ERR_UNSUPPORTED, first_err, NULL, NULL);
	r = 0;
 out:
	if (r != 0)
		chan_fail(c, SP_ERR_HANDSHAKE, "cannot answer the handshake: ",
		    sp_err_str(r), NULL);
	for (i = 0; errs != NULL && i < nerr; i++)
		free(errs[i]);
	free(errs);
	free(res);
	buf_release(&out);
	pl_handshake_request_free(&req);
	return 0;
}

void
chan_hs_complete(struct chan *c, const uint8_t *p, size_t len)
{
	struct pl_handshake_complete hc;
	int r;

	if ((r = pl_decode_handshake_complete(p, len, &hc)) != 0) {
		chan_fail(c, SP_ERR_HANDSHAKE, "malformed HandshakeComplete "
		    "from the agent: ", sp_err_str(r), NULL);
		return;
	}
	if (!c->session_type_ok) {
		chan_fail(c, SP_ERR_HANDSHAKE, "handshake completed without a "
		    "session type", NULL, NULL);
	} else {
		free(c->customer_message);
		c->customer_message = chan_str_dup(hc.customer_message,
		    CLOSE_OUTPUT_MAX);
		c->state = CHAN_OPEN;
	}
	pl_handshake_complete_free(&hc);
}

/* Parse one dotted component: 1 to 9 decimal digits. */
static int
version_part(const char **sp, long *v)
{
	const char *s = *sp;
	int n = 0;

	*v = 0;
	while (*s >= '0' && *s <= '9' && n < 10) {
		*v = *v * 10 + (*s - '0');
		s++;
		n++;
	}
	if (n == 0 || n > 9)
		return -1;
	*sp = s;
	return 0;
}

int
chan_version_gt(const char *a, const char *b)
{
	long va, vb;
	int cmp = 0;

	if (a == NULL || b == NULL)
		return 0;
	for (;;) {
		if (version_part(&a, &va) != 0 || version_part(&b, &vb) != 0)
			return 0;
		if (cmp == 0 && va != vb)
			cmp = va > vb ? 1 : -1;
		if (*a == '\0' && *b == '\0')
			return cmp > 0;
		if (*a != '.' || *b != '.')
			return 0;	/* differing lengths or junk */
		a++;
		b++;
	}
}
