/*
 * One session, from the checked configuration to the exit status:
 * configuration and credentials, StartSession (again, for
 * --wait-connected), the EC2 Instance Connect push, the data channel
 * (tunnel.c), ResumeSession, TerminateSession and the signals that end
 * it, all on one event loop.  With main.c, the only place that decides
 * the process's exit status.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "apimsg.h"
#include "awscfg.h"
#include "backoff.h"
#include "castore.h"
#include "creds.h"
#include "eic.h"
#include "eice.h"
#include "errmsg.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "notice.h"
#include "ready.h"
#include "resolve.h"
#include "proxyurl.h"
#include "pushkey.h"
#include "session.h"
#include "sigv4.h"
#include "sshkey.h"
#include "trace.h"
#include "tunnel.h"

/* A key pushed this long before the session opened is pushed again. */
#define REPUSH_AFTER_MS		40000

/* Progress of StartSession and of SendSSHPublicKey. */
enum step {
	STEP_NONE = 0,		/* not asked for */
	STEP_PENDING,
	STEP_OK,
	STEP_FAILED
};

struct session {
	const struct config	*conf;
	struct loop		*loop;
	struct api		*api;
	struct api		*eic_api;	/* api unless its proxy differs */
	struct awscfg		*cfg;
	struct creds		*creds;
	struct sigv4_creds	 sc;
	struct awscfg_endpoint	 ep;
	struct tunnel		*tunnel;
	struct apimsg_session	 started;
	char			 ws_proxy_host[256];
	unsigned int		 ws_proxy_port;
	uint64_t		 started_at;	/* first StartSession, ms */
	unsigned int		 start_tries;
	struct loop_timer	 start_timer;
	struct apimsg_session	 resumed;
	int			 exit_code;
	int			 finished;
	/* EC2 Instance Connect (--push-key, --ephemeral-key) */
	struct awscfg_endpoint	 eic_ep;
	struct sshkey_pub	*key;
	enum step		 start_step;
	enum step		 push_step;
	uint64_t		 pushed_at;	/* last push that succeeded, ms */
	int			 ending;	/* end_session() was called */
	int			 end_code;	/* exit after TerminateSession */
	/* Names (resolve.c) and --start (ready.c) */
	struct resolve		 rs;
	int			 starting;	/* StartInstances was called */
	char			 seen[16];	/* last state said, --start */
	/* The EC2 Instance Connect Endpoint road (eice.c) */
	int			 road_eice;	/* taken: no SSM session */
	struct eice_route	 route;
	struct eicetun		*eice;
	char			 via_error[400];	/* --via */
};

static volatile sig_atomic_t got_signal;
static struct loop *signal_loop;

static void
on_signal(int sig)
{
	got_signal = sig;
	if (signal_loop != NULL)
		loop_wake(signal_loop);
}

static const char *
env_get(void *arg, const char *name)
{
	return getenv(name);
}

static void
finish(struct session *s, int code)
{
	if (s->finished)
		return;
	s->finished = 1;
	s->exit_code = code;
	loop_stop(s->loop);
}

static void
tunnel_done(void *arg, enum tunnel_end end, int sig)
{
	switch (end) {
	case TUNNEL_END_OK:
		finish(arg, EXIT_OK);
		break;
	case TUNNEL_END_NOT_OPENED:
		finish(arg, EXIT_CHANNEL);
		break;
	case TUNNEL_END_LOST:
		finish(arg, EXIT_LOST);
		break;
	case TUNNEL_END_SIGNAL:
		finish(arg, 128 + sig);
		break;
	}
}

/*
 * TerminateSession has answered.  Refused by policy, the session lives on
 * at the service until it times out: say so at the default verbosity.
 */
static void
terminated(struct session *s, const struct api_result *res)
{
	if (res->ok)
		debug("session %s terminated", s->started.session_id);
	else if (strcmp(res->error_code, "AccessDeniedException") == 0)
		log_info("warning: %s (session %s stays open until the service "
		    "ends it)", res->message, s->started.session_id);
	else
		log_verbose("%s", res->message);
}

static void
terminate_done(void *arg, const struct api_result *res)
{
	struct session *s = arg;

	terminated(s, res);
	if (s->tunnel != NULL)
		tunnel_api_done(s->tunnel);
}

/*
 * Temporary credentials that expire within CREDS_REFRESH_WINDOW are
 * resolved again, without prompting, before ResumeSession and
 * TerminateSession.  This blocks the loop for the duration of the
 * source's call (STS/SSO 30 s at most, IMDS and container 1-2 s); the
 * data channel is down or ending at that point, so nothing else waits.
 */
static void
refresh_creds(struct session *s)
{
	struct creds_params cp;
	struct creds *c = NULL;
	struct errmsg err;
	time_t now = time(NULL);

	if (s->creds == NULL || s->creds->expiry == 0 ||
	    s->creds->expiry - now > CREDS_REFRESH_WINDOW)
		return;
	memset(&cp, 0, sizeof(cp));
	cp.now = now;
	cp.interactive = 0;
	cp.stop = &got_signal;
	if (creds_resolve(s->cfg, &cp, &c, &err) != 0) {
		log_error("cannot refresh credentials: %s", err.msg);
		return;
	}
	debug("credentials refreshed from %s", creds_source_str(c->source));
	creds_free(s->creds);
	s->creds = c;
	s->sc.access_key_id = c->access_key_id;
	s->sc.secret_key = c->secret_access_key;
	s->sc.session_token = c->session_token;
}

/*
 * One SSM API call for this session (JSON 1.1, SigV4 "ssm"): target is
 * the operation, body NULL for the {"SessionId":...} of the session
 * (ResumeSession, TerminateSession: credentials are refreshed first).
 * Returns api_call()'s result, or -1 if the body cannot be built.
 */
static int
ssm_call(struct session *s, const char *operation, const char *body,
    api_done_cb cb)
{
	struct api_request rq;
	char target[64], *own = NULL;
	int r;

	if (body == NULL) {
		refresh_creds(s);
		if (apimsg_session_id_body(s->started.session_id, &own) != 0)
			return -1;
		body = own;
	}
	snprintf(target, sizeof(target), "AmazonSSM.%s", operation);
	memset(&rq, 0, sizeof(rq));
	rq.endpoint = s->ep.url;
	rq.region = s->ep.signing_region;
	rq.service = "ssm";
	rq.target = target;
	rq.body = body;
	rq.creds = &s->sc;
	r = api_call(s->api, &rq, cb, s, NULL);
	free(own);
	return r;
}

static void
terminate_session(void *arg, const char *session_id)
{
	struct session *s = arg;

	if (ssm_call(s, "TerminateSession", NULL, terminate_done) == 0)
		return;
	log_verbose("cannot call TerminateSession for %s", session_id);
	tunnel_api_done(s->tunnel);
}

static void
resume_done(void *arg, const struct api_result *res)
{
	struct session *s = arg;
	char msg[APIMSG_MAX_SESSION_ID + 64];

	if (s->tunnel == NULL)
		return;
	if (!res->ok) {
		tunnel_resumed(s->tunnel, NULL, NULL, res->message,
		    strcmp(res->error_code, "DoesNotExistException") == 0 ?
		    TUNNEL_RESUME_GONE : TUNNEL_RESUME_RETRY);
		return;
	}
	apimsg_session_clear(&s->resumed);
	if (apimsg_resume_session_parse(res->body, res->body_len,
	    &s->resumed) != 0) {
		/* The same answer would come again: end the session. */
		snprintf(msg, sizeof(msg), "ResumeSession returned %s",
		    s->resumed.why);
		tunnel_resumed(s->tunnel, NULL, NULL, msg,
		    TUNNEL_RESUME_REFUSED);
		apimsg_session_clear(&s->resumed);
		return;
	}
	if (!s->resumed.has_token) {
		snprintf(msg, sizeof(msg), "session %s timed out and cannot "
		    "be resumed", s->started.session_id);
		tunnel_resumed(s->tunnel, NULL, NULL, msg, TUNNEL_RESUME_GONE);
		return;
	}
	debug("session %s resumed", s->started.session_id);
	tunnel_resumed(s->tunnel, s->resumed.token, s->resumed.stream_url,
	    NULL, TUNNEL_RESUME_RETRY);
	apimsg_session_clear(&s->resumed);
}

static void
resume_session(void *arg, const char *session_id)
{
	struct session *s = arg;

	if (ssm_call(s, "ResumeSession", NULL, resume_done) == 0)
		return;
	tunnel_resumed(s->tunnel, NULL, NULL, "cannot call ResumeSession",
	    TUNNEL_RESUME_RETRY);
}

static int start_session(struct session *);

static void
start_again(void *arg)
{
	struct session *s = arg;

	if (start_session(s) != 0)
		finish(s, EXIT_API);
}

static void
end_done(void *arg, const struct api_result *res)
{
	struct session *s = arg;

	terminated(s, res);
	finish(s, s->end_code);
}

/*
 * End a started session that never got a tunnel (the key push failed):
 * TerminateSession, then exit with code.
 */
static void
end_session(struct session *s, int code)
{
	s->ending = 1;
	s->end_code = code;
	if (s->road_eice) {
		finish(s, code);	/* no SSM session to end */
		return;
	}
	if (ssm_call(s, "TerminateSession", NULL, end_done) == 0)
		return;
	log_verbose("cannot call TerminateSession for %s",
	    s->started.session_id);
	finish(s, code);
}

static void open_tunnel(struct session *s);
static int push_key(struct session *s);

/* What proxy/aws/ has to say goes to the log. */
static void
log_notice(enum notice_level level, const char *line)
{
	log_msg(level == NOTICE_WARN ? LOG_INFO : level == NOTICE_VERBOSE ?
	    LOG_VERBOSE : LOG_DEBUG1, "%s", line);
}

/* --wait-connected: StartSession again after 1, 2, 4, then every 8 s. */
static const struct backoff wait_backoff = { 1000, 8000, BACKOFF_NONE };

/*
 * --wait-connected: StartSession failed with TargetNotConnected, for an
 * instance that may still be booting.  1 if it is called again later.
 */
static int
wait_connected(struct session *s, const struct api_result *res)
{
	uint64_t waited = loop_now_ms() - s->started_at, d;
	uint64_t limit = (uint64_t)(s->starting && !s->conf->wait_given ?
	    CONFIG_START_WAIT : s->conf->wait_connected_s) * 1000;

	if (strcmp(res->error_code, "TargetNotConnected") != 0 ||
	    waited >= limit)
		return 0;
	d = backoff_ms(&wait_backoff, s->start_tries, 0);
	if (d > limit - waited)
		d = limit - waited;
	log_verbose("%s is not connected yet; trying again in %llu ms",
	    s->rs.id, (unsigned long long)d);
	s->start_tries++;
	loop_timer_set(s->loop, &s->start_timer, d, start_again, s);
	return 1;
}

/*
 * --start: start the instance (again: StartSession from now on).  -1 to
 * go on, or the exit status.
 */
static int
start_instance(struct session *s)
{
	int r;

	if ((r = ready_start(&s->rs, s->rs.id, s->rs.name)) != 0)
		return r;
	s->starting = 1;
	s->start_tries = 0;
	return -1;
}

/* --transport auto, SSM cannot: EICE.  -1 to go on, or the exit status. */
static int
take_eice(struct session *s)
{
	int r;

	log_verbose("transport auto: Session Manager cannot reach %s "
	    "(TargetNotConnected); trying the EC2 Instance Connect Endpoint",
	    s->rs.id);
	if ((r = eice_discover(&s->rs, &s->route)) != 0)
		return r == RESOLVE_SIGNALLED ? 128 + got_signal : r;
	s->road_eice = 1;
	s->start_step = STEP_OK;
	if (s->push_step == STEP_FAILED)
		return EXIT_PUSH;
	if (s->push_step != STEP_PENDING)
		open_tunnel(s);	/* else when the push is done */
	return -1;
}

/*
 * StartSession refused the target.  A cached id is looked up once more;
 * TargetNotConnected is waited for (--wait-connected, --start), then
 * explained.  -1 when StartSession is called again, else the exit status
 * after logging.
 */
static int
start_refused(struct session *s, const struct api_result *res)
{
	char old[sizeof(s->rs.id)];
	int r, tnc = strcmp(res->error_code, "TargetNotConnected") == 0;

	if ((tnc || strcmp(res->error_code, "InvalidInstanceId") == 0) &&
	    s->rs.cached && !s->rs.retried) {
		snprintf(old, sizeof(old), "%s", s->rs.id);
		if ((r = resolve_again(&s->rs)) != 0)
			return r == RESOLVE_SIGNALLED ? 128 + got_signal : r;
		if (strcmp(old, s->rs.id) != 0) {
			s->start_tries = 0;
			if (s->key != NULL && push_key(s) != 0)
				return EXIT_PUSH;
			return start_session(s) == 0 ? -1 : EXIT_API;
		}
	}
	if (tnc && s->starting)
		ready_progress(&s->rs, s->rs.id, s->seen);
	if (wait_connected(s, res))
		return -1;
	if (tnc && eice_fallback(s->conf))
		return take_eice(s);
	if (!tnc) {
		log_error("%s", res->message);
		return EXIT_API;
	}
	if (!ready_explain(&s->rs, s->rs.id, res->message,
	    s->conf->start && !s->starting))
		return EXIT_API;
	if ((r = start_instance(s)) != -1)
		return r;
	return start_session(s) == 0 ? -1 : EXIT_API;
}

static void
start_done(void *arg, const struct api_result *res)
{
	struct session *s = arg;
	int r;

	if (!res->ok) {
		if ((r = start_refused(s, res)) == -1)
			return;
		s->start_step = STEP_FAILED;
		finish(s, r);
		return;
	}
	apimsg_session_clear(&s->started);
	if ((r = apimsg_start_session_parse(res->body, res->body_len,
	    &s->started)) != 0) {
		log_error("StartSession returned %s", s->started.why);
		s->start_step = STEP_FAILED;
		/* A session with a usable id exists: do not leave it open. */
		if (s->started.session_id[0] != '\0')
			end_session(s, EXIT_API);
		else
			finish(s, EXIT_API);
		return;
	}
	s->start_step = STEP_OK;
	if (s->starting)
		log_info("%s is connected", s->rs.id);
	if (s->conf->transport == TRANSPORT_AUTO)
		log_verbose("transport auto: Session Manager reaches %s",
		    s->rs.id);
	log_verbose("started session %s for %s", s->started.session_id,
	    s->rs.id);
	/* No tunnel byte moves before the key is in place. */
	if (s->push_step == STEP_FAILED)
		end_session(s, EXIT_PUSH);
	else if (s->push_step == STEP_PENDING)
		debug("waiting for SendSSHPublicKey");
	else if (s->push_step == STEP_OK &&
	    loop_now_ms() - s->pushed_at > REPUSH_AFTER_MS) {
		/* StartSession took long (--wait-connected): the key must
		 * still be valid when ssh authenticates (proxy/aws/AWS-APIS.md
		 * "SendSSHPublicKey"). */
		log_verbose("pushing the key again: it was pushed %llu s ago",
		    (unsigned long long)(loop_now_ms() - s->pushed_at) / 1000);
		if (push_key(s) != 0)
			end_session(s, EXIT_PUSH);
	} else
		open_tunnel(s);
}

static void
push_done(void *arg, const struct api_result *res)
{
	struct session *s = arg;
	const char *hint;
	char att[32] = "";

	if (s->finished)
		return;
	if (res->ok && eic_send_key_parse(res->body, res->body_len) != 0) {
		log_error("cannot push the SSH key for %s@%s: "
		    "SendSSHPublicKey did not report success", s->conf->os_user,
		    s->rs.id);
		s->push_step = STEP_FAILED;
	} else if (!res->ok) {
		hint = eic_error_hint(res->error_code);
		if (res->attempts > 1)
			snprintf(att, sizeof(att), " (after %d attempts)",
			    res->attempts);
		if (hint != NULL)
			log_error("cannot push the SSH key for %s@%s: %s "
			    "(%s%s%s)%s", s->conf->os_user, s->rs.id,
			    hint, res->error_code,
			    res->error_message[0] ? ": " : "",
			    res->error_message, att);
		else
			log_error("cannot push the SSH key for %s@%s: %s",
			    s->conf->os_user, s->rs.id, res->message);
		s->push_step = STEP_FAILED;
	} else {
		char kd[32];

		s->push_step = STEP_OK;
		s->pushed_at = loop_now_ms();
		log_verbose("pushed %s key for %s@%s (valid %d s)",
		    sshkey_describe(s->key, kd, sizeof(kd)), s->conf->os_user,
		    s->rs.id, EIC_KEY_VALIDITY);
	}
	if (s->push_step == STEP_FAILED) {
		/* A session already started is ended; one in flight is
		 * ended when StartSession answers. */
		if (s->start_step == STEP_OK)
			end_session(s, EXIT_PUSH);
		else if (s->start_step != STEP_PENDING)
			finish(s, EXIT_PUSH);
		return;
	}
	if (s->start_step == STEP_OK)
		open_tunnel(s);
}

static void
eice_done(void *arg, enum eicetun_end end, int sig)
{
	struct session *s = arg;

	if (end == EICETUN_END_REFUSED)
		eice_forget(&s->rs, &s->route);
	finish(s, eice_exit(end, sig));
}

static void
open_tunnel(struct session *s)
{
	struct tunnel_params tp;
	struct sigv4_url *u = NULL;
	const char *proxy;

	if (s->road_eice) {
		if ((s->eice = eice_open(s->loop, s->conf, s->cfg, &s->sc,
		    s->rs.region, api_clock_offset(s->api), &s->route,
		    eice_done, s)) == NULL)
			finish(s, EXIT_CHANNEL);
		return;
	}

	if (sigv4_url_split(s->started.stream_url, &u) != 0) {
		log_error("StartSession returned an unusable StreamUrl");
		end_session(s, EXIT_API);
		return;
	}
	proxy = awscfg_https_proxy_for(s->cfg, u->host, u->port);
	sigv4_url_free(u);
	if (proxy != NULL && proxyurl_parse(proxy, s->ws_proxy_host,
	    sizeof(s->ws_proxy_host), &s->ws_proxy_port) != 0) {
		log_error("unsupported proxy URL for the websocket (only "
		    "http://host:port works)");
		terminate_session(s, s->started.session_id);
		finish(s, EXIT_USAGE);
		return;
	}
	memset(&tp, 0, sizeof(tp));
	tp.loop = s->loop;
	tp.stream_url = s->started.stream_url;
	tp.token = s->started.token;
	tp.session_id = s->started.session_id;
	tp.region = s->ep.signing_region;
	tp.creds = &s->sc;
	tp.clock_offset = api_clock_offset(s->api);
	tp.ca_file = s->cfg->ca_bundle;
	tp.proxy_host = proxy != NULL ? s->ws_proxy_host : NULL;
	tp.proxy_port = s->ws_proxy_port;
	tp.terminate = terminate_session;
	tp.resume = resume_session;
	tp.keepalive_s = s->conf->keepalive_s;
	tp.progress_timeout_s = s->conf->progress_timeout_s;
	tp.payload_size = s->conf->payload_size;
	if (s->conf->via_host != NULL) {
		snprintf(s->via_error, sizeof(s->via_error), "the bastion %.100s "
		    "could not reach %s%.255s%s:%u", s->rs.id,
		    strchr(s->conf->via_host, ':') ? "[" : "",
		    s->conf->via_host,
		    strchr(s->conf->via_host, ':') ? "]" : "", s->conf->port);
		tp.via_error = s->via_error;
		tp.mux_raw = s->conf->share_raw;
	}
	tp.done = tunnel_done;
	tp.arg = s;
	if ((s->tunnel = tunnel_start(&tp)) == NULL) {
		log_error("cannot start the data channel");
		end_session(s, EXIT_CHANNEL);
	}
}

/* After every pass of the loop: signals, then the tunnel's bookkeeping. */
static void
after_pass(void *arg)
{
	struct session *s = arg;
	int sig = got_signal;

	if (sig != 0) {
		got_signal = 0;
		if (s->tunnel != NULL)
			tunnel_signal(s->tunnel, sig);
		else if (s->eice != NULL)
			eicetun_signal(s->eice, sig);
		else if (s->start_step == STEP_OK && !s->ending)
			end_session(s, sig == SIGHUP ? EXIT_OK : 128 + sig);
		else
			finish(s, sig == SIGHUP ? EXIT_OK : 128 + sig);
	}
	if (s->tunnel != NULL && !s->finished)
		tunnel_pump(s->tunnel);
	if (s->eice != NULL && !s->finished)
		eicetun_pump(s->eice);
}

static int
push_key(struct session *s)
{
	struct api_request rq;
	char *body = NULL;
	int r;

	if ((r = eic_send_key_body(s->rs.id, s->conf->os_user,
	    s->key->line, &body)) != 0) {
		log_error("cannot build the SendSSHPublicKey request: %s",
		    sp_err_str(r));
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.endpoint = s->eic_ep.url;
	rq.region = s->eic_ep.signing_region;
	rq.service = EIC_SERVICE;
	rq.target = EIC_TARGET;
	rq.body = body;
	rq.creds = &s->sc;
	debug("SendSSHPublicKey %s@%s at %s, region %s", s->conf->os_user,
	    s->rs.id, s->eic_ep.url, s->eic_ep.signing_region);
	r = api_call(s->eic_api, &rq, push_done, s, NULL);
	free(body);
	if (r != 0) {
		log_error("cannot call SendSSHPublicKey at %s: %s",
		    s->eic_ep.url, sp_err_str(r));
		return -1;
	}
	s->push_step = STEP_PENDING;
	return 0;
}

static int
start_session(struct session *s)
{
	char *body = NULL;
	int r;

	if ((r = apimsg_start_session_body_host(s->rs.id, s->conf->document,
	    s->conf->via_host, s->conf->port, &body)) != 0) {
		log_error("cannot build the StartSession request: %s",
		    sp_err_str(r));
		return -1;
	}
	if (s->start_tries == 0)
		s->started_at = loop_now_ms();
	debug("StartSession %s (%s, port %u) at %s, region %s", s->rs.id,
	    s->conf->document, s->conf->port, s->ep.url, s->ep.signing_region);
	r = ssm_call(s, "StartSession", body, start_done);
	free(body);
	if (r != 0) {
		log_error("cannot call StartSession at %s: %s", s->ep.url,
		    sp_err_str(r));
		return -1;
	}
	s->start_step = STEP_PENDING;
	return 0;
}

/* session_prepare() was ended by a signal, before any session existed. */
#define PREPARE_SIGNALLED	(-1)

/* The AWS side: configuration, endpoints, the key, credentials.  0, an
 * exit status after logging, or PREPARE_SIGNALLED. */
static int
session_prepare(struct session *s)
{
	struct awscfg_opts co = s->conf->aws;
	struct awscfg_env env;
	struct creds_params cp;
	struct errmsg err;
	int r;

	env.get = env_get;
	env.arg = NULL;
	errmsg_clear(&err);
	co.region_imds = 1;
	if ((r = resolve_parse(&s->rs, s->conf->target)) != 0)
		return r;
	if (s->rs.t.region[0] != '\0')
		co.region = s->rs.t.region;	/* web1.eu-west-1 */
	if (awscfg_load(&env, &co, &s->cfg, &err) != 0 ||
	    (s->cfg->region == NULL && creds_imds_region(s->cfg, &err) != 0) ||
	    awscfg_endpoint(s->cfg, "ssm", NULL, &s->ep, &err) != 0 ||
	    (s->conf->os_user != NULL && awscfg_endpoint(s->cfg, EIC_SERVICE,
	    NULL, &s->eic_ep, &err) != 0) ||
	    /* A bundle is parsed once, here, for every TLS connection. */
	    (s->cfg->ca_bundle != NULL &&
	    castore_get(s->cfg->ca_bundle, &err) == NULL)) {
		log_error("%s", err.msg);
		return EXIT_USAGE;
	}
	/* A key file is checked before anything is asked of AWS. */
	if (s->conf->os_user != NULL && !s->conf->ephemeral_key &&
	    (r = pushkey_get(s->conf, s->cfg, s->rs.id, &s->key)) != 0)
		return r;
	memset(&cp, 0, sizeof(cp));
	cp.now = time(NULL);
	cp.interactive = 1;
	cp.stop = &got_signal;
	if ((r = creds_resolve(s->cfg, &cp, &s->creds, &err)) != 0) {
		if (r == CFG_ERR_INTERRUPTED && got_signal != 0) {
			/* As after_pass() ends a run that has no session. */
			log_verbose("%s: signal %d", err.msg, (int)got_signal);
			return PREPARE_SIGNALLED;
		}
		log_error("%s", err.msg);
		return r == CFG_ERR_SYNTAX || r == CFG_ERR_PROFILE ||
		    r == CFG_ERR_VALUE ? EXIT_USAGE : EXIT_API;
	}
	s->sc.access_key_id = s->creds->access_key_id;
	s->sc.secret_key = s->creds->secret_access_key;
	s->sc.session_token = s->creds->session_token;
	debug("profile %s, region %s (%s), credentials from %s",
	    s->cfg->profile, s->cfg->region, awscfg_src_str(s->cfg->region_src),
	    creds_source_str(s->creds->source));
	s->rs.conf = s->conf;
	s->rs.cfg = s->cfg;
	s->rs.creds = s->creds;
	s->rs.region = s->cfg->region;
	s->rs.stop = &got_signal;
	if ((r = resolve_target(&s->rs)) != 0)
		return r == RESOLVE_SIGNALLED ? PREPARE_SIGNALLED : r;
	if (s->conf->os_user != NULL && !eic_instance_id_valid(s->rs.id)) {
		log_error("%s is %s: EC2 Instance Connect works only for EC2 "
		    "instances", s->conf->target, s->rs.id);
		return EXIT_USAGE;
	}
	if (s->conf->start && strcmp(s->rs.state, "stopped") == 0 &&
	    (r = start_instance(s)) != -1)
		return r;
	if (s->conf->transport == TRANSPORT_EICE &&
	    (r = eice_discover(&s->rs, &s->route)) != 0)
		return r == RESOLVE_SIGNALLED ? PREPARE_SIGNALLED : r;
	s->road_eice = s->conf->transport == TRANSPORT_EICE;
	return 0;
}

/* The loop, the API clients, then the first calls. */
static int
session_start(struct session *s)
{
	struct api_options ao;
	struct loop_params lp;
	const char *msg, *proxy;
	int r;

	memset(&lp, 0, sizeof(lp));
	if ((s->loop = loop_new(&lp, &msg)) == NULL) {
		log_error("%s", msg);
		return EXIT_CHANNEL;
	}
	signal_loop = s->loop;
	memset(&ao, 0, sizeof(ao));
	ao.ca_file = s->cfg->ca_bundle;
	ao.max_attempts = (unsigned int)s->cfg->max_attempts;
	ao.proxy = proxy = proxyurl_for(s->cfg, s->ep.url);
	if ((s->api = api_new(s->loop, &ao, &msg)) == NULL) {
		log_error("%s", msg);
		return EXIT_API;
	}
	s->eic_api = s->api;
	if (s->conf->os_user != NULL &&
	    (ao.proxy = proxyurl_for(s->cfg, s->eic_ep.url)) != proxy &&
	    (s->eic_api = api_new(s->loop, &ao, &msg)) == NULL) {
		log_error("%s", msg);
		return EXIT_API;
	}
	http_warn_cleartext(s->ep.url);
	if (s->conf->os_user != NULL)
		http_warn_cleartext(s->eic_ep.url);
	loop_set_after(s->loop, after_pass, s);
	/* The agent gets the key as late as possible: its lifetime runs. */
	if (s->conf->ephemeral_key && (r = pushkey_get(s->conf, s->cfg, s->rs.id, &s->key)) != 0)
		return r;
	/* Both calls in flight at once; the tunnel waits for both. */
	if (s->road_eice)
		s->start_step = STEP_OK;	/* no StartSession */
	if (s->key != NULL && push_key(s) != 0)
		return EXIT_PUSH;
	if (s->road_eice && s->key == NULL)
		open_tunnel(s);
	else if (!s->road_eice && start_session(s) != 0)
		return EXIT_API;
	return 0;
}

/* Signals: SIGHUP, SIGINT and SIGTERM end the session (after_pass). */
static void
catch_signals(void)
{
	struct sigaction sa;

	/* ssh owns stdout; a dying reader must not kill us mid-cleanup. */
	signal(SIGPIPE, SIG_IGN);
	/* A size limit on the trace stops the trace, not the session. */
	signal(SIGXFSZ, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int
session_run(const struct config *conf)
{
	struct session s;

	memset(&s, 0, sizeof(s));
	s.conf = conf;
	notice_set(log_notice);
	if (conf->trace != NULL && *conf->trace != '\0' &&
	    trace_open(conf->trace) != 0)
		return EXIT_USAGE;
	catch_signals();
	if ((s.exit_code = session_prepare(&s)) == PREPARE_SIGNALLED)
		s.exit_code = got_signal == SIGHUP ? EXIT_OK : 128 + got_signal;
	else if (s.exit_code == 0 &&
	    (s.exit_code = session_start(&s)) == 0 &&
	    loop_run(s.loop) != 0 && !s.finished) {
		log_error("event loop failure");
		s.exit_code = EXIT_CHANNEL;
	}
	signal_loop = NULL;
	tunnel_detach(s.tunnel);
	eicetun_detach(s.eice);
	if (s.loop != NULL)
		loop_timer_cancel(&s.start_timer);
	if (s.eic_api != s.api)
		api_free(s.eic_api);
	api_free(s.api);
	loop_free(s.loop);
	tunnel_free(s.tunnel);
	eicetun_free(s.eice);
	apimsg_session_clear(&s.started);
	apimsg_session_clear(&s.resumed);
	resolve_free(&s.rs);
	sshkey_free(s.key);
	creds_free(s.creds);
	awscfg_free(s.cfg);
	castore_free();
	trace_close(s.exit_code);
	return s.exit_code;
}
