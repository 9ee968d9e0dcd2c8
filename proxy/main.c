/*
 * ssm-proxy: an ssh ProxyCommand that tunnels through AWS Systems Manager
 * Session Manager.  main() turns argv and the AWS configuration into one
 * session: StartSession, then the data channel (tunnel.c), then
 * TerminateSession, all on one event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <pwd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "api.h"
#include "apimsg.h"
#include "awscfg.h"
#include "backoff.h"
#include "castore.h"
#include "creds.h"
#include "eic.h"
#include "errmsg.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "notice.h"
#include "sigv4.h"
#include "sshagent.h"
#include "sshkey.h"
#include "trace.h"
#include "tunnel.h"
#include "version.h"

#define DEFAULT_DOCUMENT	"AWS-StartSSHSession"
#define DEFAULT_PORT		22
#define DEFAULT_KEY_LIFETIME	60	/* --ephemeral-key, seconds */
#define MAX_KEY_LIFETIME	86400
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
	struct loop		*loop;
	struct api		*api;
	struct api		*eic_api;	/* api unless its proxy differs */
	struct awscfg		*cfg;
	struct creds		*creds;
	struct sigv4_creds	 sc;
	struct awscfg_endpoint	 ep;
	struct tunnel		*tunnel;
	struct apimsg_session	 started;
	const char		*target;
	const char		*document;
	unsigned int		 port;
	char			 ws_proxy_host[256];
	unsigned int		 ws_proxy_port;
	unsigned int		 keepalive_s;
	unsigned int		 progress_timeout_s;
	unsigned int		 payload_size;	/* 0: the protocol's 1024 */
	unsigned int		 wait_connected_s;
	uint64_t		 started_at;	/* first StartSession, ms */
	unsigned int		 start_tries;
	struct loop_timer	 start_timer;
	struct apimsg_session	 resumed;
	int			 exit_code;
	int			 finished;
	/* EC2 Instance Connect (--push-key, --ephemeral-key) */
	struct awscfg_endpoint	 eic_ep;
	struct sshkey_pub	*key;
	const char		*os_user;
	enum step		 start_step;
	enum step		 push_step;
	uint64_t		 pushed_at;	/* last push that succeeded, ms */
	int			 ending;	/* end_session() was called */
	int			 end_code;	/* exit after TerminateSession */
};

/* What the key options asked for. */
struct key_opts {
	int		 push;		/* --push-key */
	const char	*file;		/* --push-key=FILE */
	int		 ephemeral;	/* --ephemeral-key */
	unsigned int	 lifetime;	/* --key-lifetime */
};

static volatile sig_atomic_t got_signal;
static struct loop *signal_loop;

/*
 * Credentials, tokens and keys live in this process's memory: no core
 * file may hold them.  Not dumpable also keeps other processes of the
 * same user (but root) from reading /proc/PID/mem, environ and smaps.
 */
static void
no_core_dumps(void)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = 0;
	(void)setrlimit(RLIMIT_CORE, &rl);
#ifdef PR_SET_DUMPABLE
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

/*
 * stdin's and stdout's file status flags as they came: their open file
 * descriptions may be a terminal or pipe that ssh or the shell shares,
 * and tunnel.c makes stdout non-blocking.  Put back at exit, whatever the
 * path (the signals that end a session come back through main).
 */
static int saved_flags[2] = { -1, -1 };

static void
restore_fd_flags(void)
{
	int fd;

	for (fd = STDIN_FILENO; fd <= STDOUT_FILENO; fd++)
		if (saved_flags[fd] != -1)
			(void)fcntl(fd, F_SETFL, saved_flags[fd]);
}

static void
save_fd_flags(void)
{
	saved_flags[STDIN_FILENO] = fcntl(STDIN_FILENO, F_GETFL);
	saved_flags[STDOUT_FILENO] = fcntl(STDOUT_FILENO, F_GETFL);
	if (atexit(restore_fd_flags) != 0)
		saved_flags[STDIN_FILENO] = saved_flags[STDOUT_FILENO] = -1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ssm-proxy [-hqVv] [--ca-bundle FILE] [--document NAME]\n"
	    "                 [--endpoint-url URL] [--ephemeral-key]\n"
	    "                 [--keepalive SECONDS] [--key-lifetime SECONDS]\n"
	    "                 [--os-user USER] [--payload-size BYTES]\n"
	    "                 [--profile NAME] [--progress-timeout SECONDS]\n"
	    "                 [--push-key[=FILE]] [--region REGION]\n"
	    "                 [--trace FILE] [--wait-connected SECONDS]\n"
	    "                 TARGET [PORT]\n");
}

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

/* Instance ids (i-...), managed node ids (mi-...) and ECS targets. */
static int
target_valid(const char *t)
{
	const char *p;
	size_t n = strlen(t);

	if (n < 1 || n > 400)
		return 0;
	if (strncmp(t, "ecs:", 4) == 0) {
		for (p = t; *p != '\0'; p++)
			if (*p <= ' ' || *p == 0x7f)
				return 0;
		return 1;
	}
	if (strncmp(t, "i-", 2) == 0)
		p = t + 2;
	else if (strncmp(t, "mi-", 3) == 0)
		p = t + 3;
	else
		return 0;
	if (strlen(p) < 8 || strlen(p) > 17)
		return 0;
	for (; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static int
parse_port(const char *s, unsigned int *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v < 1 || v > 65535)
		return -1;
	*port = (unsigned int)v;
	return 0;
}

/* A whole number in [min, max] (seconds, or bytes for --payload-size). */
static int
parse_seconds(const char *s, unsigned int min, unsigned int max,
    unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v < min || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/*
 * The proxy for an endpoint URL: the one rule, awscfg_https_proxy_for()
 * (HTTPS_PROXY, NO_PROXY), for every AWS endpoint and the websocket.
 */
static const char *
proxy_for_url(const struct awscfg *cfg, const char *url)
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
static int
parse_proxy(const char *url, char *host, size_t hostsz, unsigned int *port)
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
		if (parse_port(buf, port) != 0)
			return -1;
	}
	return 0;
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
tunnel_done(void *arg, int code)
{
	finish(arg, code);
}

/*
 * TerminateSession did not succeed.  Refused by policy, the session lives
 * on at the service until it times out: say so at the default verbosity.
 */
static void
terminate_failed(struct session *s, const struct api_result *res)
{
	if (strcmp(res->error_code, "AccessDeniedException") == 0)
		log_info("warning: %s (session %s stays open until the service "
		    "ends it)", res->message, s->started.session_id);
	else
		log_verbose("%s", res->message);
}

static void
terminate_done(void *arg, const struct api_result *res)
{
	struct session *s = arg;

	if (res->ok)
		debug("session %s terminated", s->started.session_id);
	else
		terminate_failed(s, res);
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
 * the operation, body NULL for the {"SessionId":...} of the session.
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

	refresh_creds(s);
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

	refresh_creds(s);
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

	if (res->ok)
		debug("session %s terminated", s->started.session_id);
	else
		terminate_failed(s, res);
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
	refresh_creds(s);
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

static void
start_done(void *arg, const struct api_result *res)
{
	struct session *s = arg;
	int r;

	if (!res->ok) {
		uint64_t waited = loop_now_ms() - s->started_at, d;

		/* --wait-connected: an instance that is still booting. */
		if (strcmp(res->error_code, "TargetNotConnected") == 0 &&
		    waited < (uint64_t)s->wait_connected_s * 1000) {
			d = backoff_ms(&wait_backoff, s->start_tries, 0);
			if (d > (uint64_t)s->wait_connected_s * 1000 - waited)
				d = (uint64_t)s->wait_connected_s * 1000 -
				    waited;
			log_verbose("%s is not connected yet; trying again "
			    "in %llu ms", s->target, (unsigned long long)d);
			s->start_tries++;
			loop_timer_set(s->loop, &s->start_timer, d,
			    start_again, s);
			return;
		}
		log_error("%s", res->message);
		s->start_step = STEP_FAILED;
		finish(s, EXIT_API);
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
	log_verbose("started session %s for %s", s->started.session_id,
	    s->target);
	/* No tunnel byte moves before the key is in place. */
	if (s->push_step == STEP_FAILED)
		end_session(s, EXIT_PUSH);
	else if (s->push_step == STEP_PENDING)
		debug("waiting for SendSSHPublicKey");
	else if (s->push_step == STEP_OK &&
	    loop_now_ms() - s->pushed_at > REPUSH_AFTER_MS) {
		/* StartSession took long (--wait-connected): the key must
		 * still be valid when ssh authenticates (aws-apis.md 4). */
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
		    "SendSSHPublicKey did not report success", s->os_user,
		    s->target);
		s->push_step = STEP_FAILED;
	} else if (!res->ok) {
		hint = eic_error_hint(res->error_code);
		if (res->attempts > 1)
			snprintf(att, sizeof(att), " (after %d attempts)",
			    res->attempts);
		if (hint != NULL)
			log_error("cannot push the SSH key for %s@%s: %s "
			    "(%s%s%s)%s", s->os_user, s->target, hint,
			    res->error_code, res->error_message[0] ? ": " : "",
			    res->error_message, att);
		else
			log_error("cannot push the SSH key for %s@%s: %s",
			    s->os_user, s->target, res->message);
		s->push_step = STEP_FAILED;
	} else {
		char kd[32];

		s->push_step = STEP_OK;
		s->pushed_at = loop_now_ms();
		log_verbose("pushed %s key for %s@%s (valid %d s)",
		    sshkey_describe(s->key, kd, sizeof(kd)), s->os_user,
		    s->target, EIC_KEY_VALIDITY);
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
open_tunnel(struct session *s)
{
	struct tunnel_params tp;
	struct sigv4_url *u = NULL;
	const char *proxy;

	if (sigv4_url_split(s->started.stream_url, &u) != 0) {
		log_error("StartSession returned an unusable StreamUrl");
		end_session(s, EXIT_API);
		return;
	}
	proxy = awscfg_https_proxy_for(s->cfg, u->host, u->port);
	sigv4_url_free(u);
	if (proxy != NULL && parse_proxy(proxy, s->ws_proxy_host,
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
	tp.keepalive_s = s->keepalive_s;
	tp.progress_timeout_s = s->progress_timeout_s;
	tp.payload_size = s->payload_size;
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
		else if (s->start_step == STEP_OK && !s->ending)
			end_session(s, sig == SIGHUP ? EXIT_OK : 128 + sig);
		else
			finish(s, sig == SIGHUP ? EXIT_OK : 128 + sig);
	}
	if (s->tunnel != NULL && !s->finished)
		tunnel_pump(s->tunnel);
}

static int
push_key(struct session *s)
{
	struct api_request rq;
	char *body = NULL;
	int r;

	if ((r = eic_send_key_body(s->target, s->os_user, s->key->line,
	    &body)) != 0) {
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
	debug("SendSSHPublicKey %s@%s at %s, region %s", s->os_user,
	    s->target, s->eic_ep.url, s->eic_ep.signing_region);
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

	if ((r = apimsg_start_session_body(s->target, s->document, s->port,
	    &body)) != 0) {
		log_error("cannot build the StartSession request: %s",
		    sp_err_str(r));
		return -1;
	}
	if (s->start_tries == 0)
		s->started_at = loop_now_ms();
	debug("StartSession %s (%s, port %u) at %s, region %s", s->target,
	    s->document, s->port, s->ep.url, s->ep.signing_region);
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

/* Read a small file whole; *lenp bytes into buf (bufsz), NUL added. */
static int
read_small(const char *path, char *buf, size_t bufsz, size_t *lenp)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < bufsz - 1) {
		n = read(fd, buf + len, bufsz - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return 0;
}

/*
 * The public key in path, or in path.pub when path is a private key.
 * 0, or an exit code after logging.
 */
static int
key_from_file(const char *path, struct sshkey_pub **out)
{
	static char text[SSHKEY_MAX_TEXT + 1];
	struct errmsg err;
	char pub[PATH_MAX];
	const char *p;
	size_t len;
	int r = EXIT_KEY;

	if (read_small(path, text, sizeof(text), &len) != 0) {
		log_error("cannot read the key %s: %s", path, strerror(errno));
		return EXIT_KEY;
	}
	for (p = text; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
	    p++)
		;
	if (strncmp(p, "-----BEGIN", 10) == 0 ||
	    strncmp(p, "PuTTY-User-Key-File", 19) == 0) {
		/* A private key: never keep it; use the .pub beside it. */
		OPENSSL_cleanse(text, sizeof(text));
		if ((size_t)snprintf(pub, sizeof(pub), "%s.pub", path) >=
		    sizeof(pub)) {
			log_error("key path too long");
			return EXIT_KEY;
		}
		if (read_small(pub, text, sizeof(text), &len) != 0) {
			log_error("%s is a private key and its public key %s "
			    "cannot be read: %s", path, pub, strerror(errno));
			goto out;
		}
		path = pub;
	}
	if (sshkey_parse_text(text, len, out, &err) != 0) {
		log_error("unsuitable key %s: %s", path, err.msg);
		goto out;
	}
	r = 0;
 out:
	OPENSSL_cleanse(text, sizeof(text));
	return r;
}

/* The first Ed25519 or RSA key the agent holds; 1 if none (or no agent). */
static int
key_from_agent(const char *sock, struct sshkey_pub **out)
{
	struct sshagent_ids *ids = NULL;
	struct errmsg err;
	size_t i;

	*out = NULL;
	if (sock == NULL || *sock == '\0')
		return 1;
	if (sshagent_list(sock, &ids, &err) != 0) {
		log_verbose("%s", err.msg);
		return 1;
	}
	for (i = 0; i < ids->n && *out == NULL; i++) {
		if (sshkey_from_blob(ids->ids[i].blob, ids->ids[i].blob_len,
		    ids->ids[i].comment, out, &err) != 0)
			debug("agent key %zu skipped: %s", i + 1, err.msg);
	}
	sshagent_ids_free(ids);
	if (*out == NULL) {
		debug("the ssh-agent holds no Ed25519 or RSA key");
		return 1;
	}
	debug("pushing the ssh-agent's key %zu", i);
	return 0;
}

/*
 * A key pair made here, given to the agent with a lifetime; the private
 * half never leaves memory but for the agent's socket.
 */
static int
key_ephemeral(struct session *s, unsigned int lifetime)
{
	const char *sock = getenv("SSH_AUTH_SOCK");
	uint8_t pub[SSHKEY_ED25519_LEN], seed[SSHKEY_ED25519_LEN];
	struct buf blob;
	struct errmsg err;
	char comment[128];
	int r = EXIT_KEY;

	if (sock == NULL || *sock == '\0') {
		log_error("--ephemeral-key needs a running ssh-agent: "
		    "SSH_AUTH_SOCK is not set");
		return EXIT_KEY;
	}
	buf_init(&blob, 128);
	if (sshkey_ed25519_generate(pub, seed) != 0) {
		log_error("cannot make an Ed25519 key with OpenSSL");
		goto out;
	}
	snprintf(comment, sizeof(comment), "ssm-proxy-ephemeral-%ld@%.40s",
	    (long)getpid(), s->target);
	if (sshkey_ed25519_blob(pub, &blob) != 0 ||
	    sshkey_from_blob(buf_ptr(&blob), buf_len(&blob), comment, &s->key,
	    &err) != 0) {
		log_error("cannot encode the Ed25519 key");
		goto out;
	}
	if (sshagent_add_ed25519(sock, pub, seed, comment, lifetime,
	    &err) != 0) {
		log_error("--ephemeral-key: %s", err.msg);
		goto out;
	}
	log_verbose("added an Ed25519 key to the ssh-agent for %u s", lifetime);
	r = 0;
 out:
	OPENSSL_cleanse(seed, sizeof(seed));
	buf_release(&blob);
	return r;
}

/* Find or make the key to push.  0, or an exit code after logging. */
static int
prepare_key(struct session *s, const struct key_opts *ko)
{
	struct errmsg err;
	char *home = NULL, path[PATH_MAX];
	int r;

	if (ko->ephemeral)
		return key_ephemeral(s, ko->lifetime);
	if (ko->file != NULL)
		return key_from_file(ko->file, &s->key);
	if (key_from_agent(getenv("SSH_AUTH_SOCK"), &s->key) == 0)
		return 0;
	if (awscfg_home(&s->cfg->env, &home, &err) != 0) {
		log_error("no key to push: the ssh-agent holds no Ed25519 or "
		    "RSA key and %s", err.msg);
		return EXIT_KEY;
	}
	r = snprintf(path, sizeof(path), "%s/.ssh/id_ed25519.pub", home);
	if (r < (int)sizeof(path) && access(path, F_OK) != 0)
		r = snprintf(path, sizeof(path), "%s/.ssh/id_rsa.pub", home);
	free(home);
	if (r >= (int)sizeof(path)) {
		log_error("no key to push: the home directory's path is longer "
		    "than %d bytes", PATH_MAX);
		return EXIT_KEY;
	}
	if (access(path, F_OK) != 0) {
		log_error("no key to push: the ssh-agent holds no Ed25519 or "
		    "RSA key, and neither ~/.ssh/id_ed25519.pub nor "
		    "~/.ssh/id_rsa.pub exists (use --push-key=FILE or "
		    "--ephemeral-key)");
		return EXIT_KEY;
	}
	return key_from_file(path, &s->key);
}

static int
parse_lifetime(const char *a, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(a, &end, 10);
	if (a[0] < '0' || a[0] > '9' || *end != '\0' || errno != 0 ||
	    v < 1 || v > MAX_KEY_LIFETIME)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca-bundle",	  required_argument, NULL, 'C' },
		{ "document",	  required_argument, NULL, 'D' },
		{ "endpoint-url", required_argument, NULL, 'E' },
		{ "ephemeral-key", no_argument,	     NULL, 'X' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ "keepalive",	  required_argument, NULL, 'K' },
		{ "key-lifetime", required_argument, NULL, 'L' },
		{ "os-user",	  required_argument, NULL, 'U' },
		{ "payload-size", required_argument, NULL, 'Z' },
		{ "profile",	  required_argument, NULL, 'P' },
		{ "progress-timeout", required_argument, NULL, 'T' },
		{ "push-key",	  optional_argument, NULL, 'S' },
		{ "quiet",	  no_argument,	     NULL, 'q' },
		{ "region",	  required_argument, NULL, 'R' },
		{ "trace",	  required_argument, NULL, 'A' },
		{ "verbose",	  no_argument,	     NULL, 'v' },
		{ "version",	  no_argument,	     NULL, 'V' },
		{ "wait-connected", required_argument, NULL, 'W' },
		{ NULL,		  0,		     NULL, 0 }
	};
	struct awscfg_opts co;
	struct awscfg_env env;
	struct creds_params cp;
	struct api_options ao;
	struct loop_params lp;
	struct session s;
	struct errmsg err;
	struct sigaction sa;
	struct key_opts ko;
	const char *msg, *proxy, *lifetime_arg = NULL, *trace = NULL;
	unsigned int secs;
	int ch, verbose = 0, quiet = 0, r;

	no_core_dumps();
	save_fd_flags();
	memset(&s, 0, sizeof(s));
	memset(&co, 0, sizeof(co));
	memset(&ko, 0, sizeof(ko));
	ko.lifetime = DEFAULT_KEY_LIFETIME;
	s.document = DEFAULT_DOCUMENT;
	s.port = DEFAULT_PORT;
	while ((ch = getopt_long(argc, argv, "hqVv", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			co.ca_bundle = optarg;
			break;
		case 'D':
			s.document = optarg;
			break;
		case 'E':
			co.endpoint_url = optarg;
			break;
		case 'S':
			ko.push = 1;
			ko.file = optarg;
			break;
		case 'L':
			lifetime_arg = optarg;
			break;
		case 'U':
			s.os_user = optarg;
			break;
		case 'X':
			ko.ephemeral = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'K':
		case 'T':
		case 'W':
			if (parse_seconds(optarg, ch == 'K' ? 1 : 0,
			    ch == 'K' ? 3600 : 86400, &secs) != 0) {
				fprintf(stderr, "ssm-proxy: invalid --%s "
				    "\"%.16s\": expected seconds\n",
				    ch == 'K' ? "keepalive" : ch == 'T' ?
				    "progress-timeout" : "wait-connected",
				    optarg);
				return EXIT_USAGE;
			}
			if (ch == 'K')
				s.keepalive_s = secs;
			else if (ch == 'T')
				s.progress_timeout_s = secs;
			else
				s.wait_connected_s = secs;
			break;
		case 'Z':
			if (parse_seconds(optarg, 1, TUNNEL_MAX_PAYLOAD,
			    &s.payload_size) != 0) {
				fprintf(stderr, "ssm-proxy: invalid "
				    "--payload-size \"%.16s\": expected 1 to "
				    "%u bytes\n", optarg, TUNNEL_MAX_PAYLOAD);
				return EXIT_USAGE;
			}
			break;
		case 'P':
			co.profile = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'R':
			co.region = optarg;
			break;
		case 'A':
			trace = optarg;
			break;
		case 'V':
			printf("ssm-proxy %s (data channel client %s)\n",
			    SSM_PROXY_VERSION, SSM_PROXY_CLIENT_VERSION);
			return EXIT_OK;
		case 'v':
			verbose++;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_init(quiet ? LOG_ERROR : (enum log_level)(LOG_INFO +
	    (verbose > 4 ? 4 : verbose)));
	notice_set(log_notice);
	s.target = argv[0];
	if (!target_valid(s.target)) {
		log_error("invalid target \"%.64s\": expected an instance id "
		    "(i-...) or a managed node id (mi-...)", s.target);
		return EXIT_USAGE;
	}
	if (argc == 2 && parse_port(argv[1], &s.port) != 0) {
		log_error("invalid port \"%.16s\": expected 1 to 65535",
		    argv[1]);
		return EXIT_USAGE;
	}
	if (ko.push && ko.ephemeral) {
		log_error("--push-key and --ephemeral-key cannot be combined");
		return EXIT_USAGE;
	}
	if (lifetime_arg != NULL && (!ko.ephemeral ||
	    parse_lifetime(lifetime_arg, &ko.lifetime) != 0)) {
		log_error(ko.ephemeral ? "invalid --key-lifetime \"%.16s\": "
		    "expected 1 to 86400 seconds" : "--key-lifetime%.0s needs "
		    "--ephemeral-key", lifetime_arg);
		return EXIT_USAGE;
	}
	if ((ko.push || ko.ephemeral) && s.os_user == NULL) {
		log_error("%s needs --os-user USER (in ssh_config: ProxyCommand "
		    "ssm-proxy %s --os-user %%r %%h %%p)", ko.push ?
		    "--push-key" : "--ephemeral-key", ko.push ? "--push-key" :
		    "--ephemeral-key");
		return EXIT_USAGE;
	}
	if (s.os_user != NULL && !ko.push && !ko.ephemeral) {
		log_error("--os-user needs --push-key or --ephemeral-key");
		return EXIT_USAGE;
	}
	if (s.os_user != NULL && !eic_os_user_valid(s.os_user)) {
		log_error("invalid OS user \"%.64s\" for EC2 Instance Connect",
		    s.os_user);
		return EXIT_USAGE;
	}
	if (s.os_user != NULL && !eic_instance_id_valid(s.target)) {
		log_error("%s: %.64s is not an EC2 instance id (i-...): EC2 "
		    "Instance Connect works only for EC2 instances, not for "
		    "managed nodes (mi-...) or ECS targets", ko.push ?
		    "--push-key" : "--ephemeral-key", s.target);
		return EXIT_USAGE;
	}
	/* --trace wins over SSM_PROXY_TRACE; "" is no trace. */
	if (trace == NULL)
		trace = getenv("SSM_PROXY_TRACE");
	if (trace != NULL && *trace != '\0' && trace_open(trace) != 0)
		return EXIT_USAGE;

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

	env.get = env_get;
	env.arg = NULL;
	errmsg_clear(&err);
	co.region_imds = 1;
	if ((r = awscfg_load(&env, &co, &s.cfg, &err)) != 0 ||
	    (s.cfg->region == NULL && (r = creds_imds_region(s.cfg,
	    &err)) != 0)) {
		log_error("%s", err.msg);
		s.exit_code = EXIT_USAGE;
		goto out;
	}
	if ((r = awscfg_endpoint(s.cfg, "ssm", NULL, &s.ep, &err)) != 0) {
		log_error("%s", err.msg);
		s.exit_code = EXIT_USAGE;
		goto out;
	}
	if (s.os_user != NULL && (r = awscfg_endpoint(s.cfg, EIC_SERVICE,
	    NULL, &s.eic_ep, &err)) != 0) {
		log_error("%s", err.msg);
		s.exit_code = EXIT_USAGE;
		goto out;
	}
	/* A bundle is parsed once, here, for every TLS connection. */
	if (s.cfg->ca_bundle != NULL &&
	    castore_get(s.cfg->ca_bundle, &err) == NULL) {
		log_error("%s", err.msg);
		s.exit_code = EXIT_USAGE;
		goto out;
	}
	/* A key file is checked before anything is asked of AWS. */
	if (s.os_user != NULL && !ko.ephemeral &&
	    (s.exit_code = prepare_key(&s, &ko)) != 0)
		goto out;
	memset(&cp, 0, sizeof(cp));
	cp.now = time(NULL);
	cp.interactive = 1;
	cp.stop = &got_signal;
	if ((r = creds_resolve(s.cfg, &cp, &s.creds, &err)) != 0) {
		if (r == CFG_ERR_INTERRUPTED && got_signal != 0) {
			/* As after_pass() ends a run that has no session. */
			log_verbose("%s: signal %d", err.msg, (int)got_signal);
			s.exit_code = got_signal == SIGHUP ? EXIT_OK :
			    128 + got_signal;
			goto out;
		}
		log_error("%s", err.msg);
		s.exit_code = r == CFG_ERR_SYNTAX || r == CFG_ERR_PROFILE ||
		    r == CFG_ERR_VALUE ? EXIT_USAGE : EXIT_API;
		goto out;
	}
	s.sc.access_key_id = s.creds->access_key_id;
	s.sc.secret_key = s.creds->secret_access_key;
	s.sc.session_token = s.creds->session_token;
	debug("profile %s, region %s (%s), credentials from %s",
	    s.cfg->profile, s.cfg->region, awscfg_src_str(s.cfg->region_src),
	    creds_source_str(s.creds->source));

	memset(&lp, 0, sizeof(lp));
	if ((s.loop = loop_new(&lp, &msg)) == NULL) {
		log_error("%s", msg);
		s.exit_code = EXIT_CHANNEL;
		goto out;
	}
	signal_loop = s.loop;
	memset(&ao, 0, sizeof(ao));
	ao.ca_file = s.cfg->ca_bundle;
	ao.max_attempts = (unsigned int)s.cfg->max_attempts;
	ao.proxy = proxy = proxy_for_url(s.cfg, s.ep.url);
	if ((s.api = api_new(s.loop, &ao, &msg)) == NULL) {
		log_error("%s", msg);
		s.exit_code = EXIT_API;
		goto out;
	}
	s.eic_api = s.api;
	if (s.os_user != NULL &&
	    (ao.proxy = proxy_for_url(s.cfg, s.eic_ep.url)) != proxy &&
	    (s.eic_api = api_new(s.loop, &ao, &msg)) == NULL) {
		log_error("%s", msg);
		s.exit_code = EXIT_API;
		goto out;
	}
	http_warn_cleartext(s.ep.url);
	if (s.os_user != NULL)
		http_warn_cleartext(s.eic_ep.url);
	loop_set_after(s.loop, after_pass, &s);
	/* The agent gets the key as late as possible: its lifetime runs. */
	if (ko.ephemeral && (s.exit_code = prepare_key(&s, &ko)) != 0)
		goto out;
	/* Both calls in flight at once; the tunnel waits for both. */
	if (s.key != NULL && push_key(&s) != 0) {
		s.exit_code = EXIT_PUSH;
		goto out;
	}
	if (start_session(&s) != 0) {
		s.exit_code = EXIT_API;
		goto out;
	}
	if (loop_run(s.loop) != 0 && !s.finished) {
		log_error("event loop failure");
		s.exit_code = EXIT_CHANNEL;
	}
 out:
	signal_loop = NULL;
	tunnel_detach(s.tunnel);
	if (s.loop != NULL)
		loop_timer_cancel(&s.start_timer);
	if (s.eic_api != s.api)
		api_free(s.eic_api);
	api_free(s.api);
	loop_free(s.loop);
	tunnel_free(s.tunnel);
	apimsg_session_clear(&s.started);
	apimsg_session_clear(&s.resumed);
	sshkey_free(s.key);
	creds_free(s.creds);
	awscfg_free(s.cfg);
	castore_free();
	trace_close(s.exit_code);
	return s.exit_code;
}
