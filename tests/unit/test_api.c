/*
 * Integration test of proxy/api.c (with apicurl.c and apiresult.c)
 * against the AWS emulator (tests/emulator/emulator.py), which this test
 * starts itself with posix_spawn and stops at the end: signed StartSession with and without
 * a session token, error messages, retries, the CONNECT proxy, TLS and
 * connection failures, calls in flight together, cancellation, clock
 * skew, ResumeSession and TerminateSession.  Every wait is bounded by a
 * loop timer or a poll timeout; nothing sleeps.  A missing emulator or
 * python3 is a failure, never a skip.
 *
 * TEST_API_DEBUG=1 in the environment logs at debug3 to stderr.
 */
#define _XOPEN_SOURCE 700	/* nftw */

#include <sys/socket.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <curl/curl.h>

#include "test.h"
#include "api.h"
#include "apimsg.h"
#include "json.h"
#include "log.h"
#include "loop.h"

#define EMULATOR	"tests/emulator/emulator.py"
#define PYTHON		"/usr/bin/python3"
#define READY_MS	40000
#define CALL_MS		30000
#define WRONG_CA	"/etc/ssl/certs/ca-certificates.crt"

extern char **environ;

/* What emulator.json says. */
static struct emu {
	char	 dir[64];
	pid_t	 pid;
	char	*api_url;
	char	*control_url;
	char	*proxy_url;
	char	*ca_file;
	char	*region;
	char	*access_key;
	char	*secret_key;
	char	*target;
	char	*request_log;
} E;

static struct loop *L;
static int pending;

/* A finished call, copied out of the callback. */
struct outcome {
	int	 done;
	int	 ok;
	int	 transport;
	int	 attempts;
	long	 status;
	char	*message;
	char	*code;
	char	*body;
	char	*request_id;
	struct api *free_api;	/* api_free() this inside the callback */
};

static void
outcome_clear(struct outcome *o)
{
	free(o->message);
	free(o->code);
	free(o->body);
	free(o->request_id);
	memset(o, 0, sizeof(*o));
}

static void
on_done(void *arg, const struct api_result *r)
{
	struct outcome *o = arg;

	o->done++;
	o->ok = r->ok;
	o->transport = r->transport;
	o->attempts = r->attempts;
	o->status = r->status;
	o->message = strdup(r->message);
	o->code = strdup(r->error_code);
	o->body = strdup(r->body);
	o->request_id = strdup(r->request_id);
	if (o->free_api != NULL)
		api_free(o->free_api);
	if (--pending <= 0)
		loop_stop(L);
}

static void
guard_fire(void *arg)
{
	int *expired = arg;

	*expired = 1;
	loop_stop(L);
}

/* Run the loop until every pending call has finished; 0 on time-out. */
static int
wait_calls(void)
{
	struct loop_timer guard;
	int expired = 0;

	memset(&guard, 0, sizeof(guard));
	loop_timer_set(L, &guard, CALL_MS, guard_fire, &expired);
	while (pending > 0 && !expired)
		if (loop_run(L) != 0)
			break;
	loop_timer_cancel(&guard);
	return pending <= 0;
}

static void
timeout_fire(void *arg)
{
	loop_stop(L);
}

/* Let the loop run for ms without anything to wait for. */
static void
run_for(uint64_t ms)
{
	struct loop_timer t;

	memset(&t, 0, sizeof(t));
	loop_timer_set(L, &t, ms, timeout_fire, NULL);
	(void)!loop_run(L);
	loop_timer_cancel(&t);
}

static int
call(struct api *a, const char *endpoint, const struct sigv4_creds *cr,
    const char *target, const char *body, struct outcome *o,
    struct api_call **cp)
{
	struct api_request rq;
	int r;

	memset(&rq, 0, sizeof(rq));
	rq.endpoint = endpoint;
	rq.region = E.region;
	rq.service = "ssm";
	rq.target = target;
	rq.body = body;
	rq.creds = cr;
	if ((r = api_call(a, &rq, on_done, o, cp)) == 0)
		pending++;
	return r;
}

static char *
start_body(const char *target)
{
	char *b = NULL;

	if (apimsg_start_session_body(target, "AWS-StartSSHSession", 22,
	    &b) != 0)
		abort();
	return b;
}

/* One StartSession call run to its end. */
static void
start_session(struct api *a, const char *endpoint,
    const struct sigv4_creds *cr, const char *target, struct outcome *o)
{
	char *b = start_body(target);

	memset(o, 0, sizeof(*o));
	CHECK_EQ(call(a, endpoint, cr, "AmazonSSM.StartSession", b, o, NULL),
	    0, "api_call StartSession");
	CHECK(wait_calls(), "call finished in time");
	free(b);
}

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f;
	char *p = NULL;
	size_t n = 0, cap = 0, got;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap * 2 + 8192;
			if ((p = realloc(p, cap)) == NULL)
				abort();
		}
		if ((got = fread(p + n, 1, cap - n - 1, f)) == 0)
			break;
		n += got;
	}
	fclose(f);
	p[n] = '\0';
	if (lenp != NULL)
		*lenp = n;
	return p;
}

/* The request log's "api" entries from index from on; caller frees. */
static size_t
log_api(size_t from, struct json ***out)
{
	struct json **v = NULL, *j;
	const char *kind;
	char *text, *line, *save = NULL;
	size_t n = 0, i = 0;

	*out = NULL;
	if ((text = slurp(E.request_log, NULL)) == NULL)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (json_parse(line, strlen(line), &j) != 0)
			continue;
		if (json_get_str(j, "kind", &kind) != 0 ||
		    strcmp(kind, "api") != 0 || i++ < from) {
			json_free(j);
			continue;
		}
		if ((v = realloc(v, (n + 1) * sizeof(*v))) == NULL)
			abort();
		v[n++] = j;
	}
	free(text);
	*out = v;
	return n;
}

/* How many CONNECTs the emulator's proxy has logged. */
static size_t
log_connects(void)
{
	char *text, *p;
	size_t n = 0;

	if ((text = slurp(E.request_log, NULL)) == NULL)
		return 0;
	for (p = text; (p = strstr(p, "\"kind\": \"connect\"")) != NULL; p++)
		n++;
	free(text);
	return n;
}

static size_t
log_count(void)
{
	struct json **v;
	size_t n, i;

	n = log_api(0, &v);
	for (i = 0; i < n; i++)
		json_free(v[i]);
	free(v);
	return n;
}

static void
log_free(struct json **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_free(v[i]);
	free(v);
}

static const char *
jstr(const struct json *j, const char *key)
{
	const char *s;

	return json_get_str(j, key, &s) == 0 ? s : "";
}

/* A member that is an array of strings, joined with ';'. */
static const char *
jjoin(const struct json *j, const char *key)
{
	static char out[512];
	const struct json *a = json_get(j, key);
	size_t i, n = 0;

	out[0] = '\0';
	if (a == NULL || a->type != JSON_ARRAY)
		return out;
	for (i = 0; i < a->n && a->v[i]->type == JSON_STRING &&
	    n < sizeof(out); i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
		    i ? ";" : "", a->v[i]->s);
	return out;
}

static int
jbool(const struct json *j, const char *key)
{
	int b;

	return json_get_bool(j, key, &b) == 0 ? b : -1;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* POST a JSON object to the emulator's control endpoint (blocking). */
static int
control(const char *what, const char *json)
{
	char url[512];
	CURL *e;
	long status = 0;
	CURLcode cc;

	snprintf(url, sizeof(url), "%s/%s", E.control_url, what);
	if ((e = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CAINFO, E.ca_file);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	return cc == CURLE_OK && status == 200 ? 0 : -1;
}

static char *
jdup(const struct json *j, const char *key)
{
	const char *s;

	if (json_get_str(j, key, &s) != 0)
		return NULL;
	return strdup(s);
}

static int
emu_start(void)
{
	posix_spawn_file_actions_t fa;
	struct pollfd pfd;
	struct json *j = NULL;
	char ppid[32], line[512], path[128], *text;
	char *argv[] = { PYTHON, EMULATOR, "--dir", E.dir, "--parent-pid",
	    ppid, NULL };
	uint64_t t0;
	size_t n = 0;
	ssize_t got;
	int fds[2], r;

	snprintf(E.dir, sizeof(E.dir), "/tmp/test_api.XXXXXX");
	if (mkdtemp(E.dir) == NULL || pipe(fds) != 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	snprintf(ppid, sizeof(ppid), "%ld", (long)getpid());
	snprintf(path, sizeof(path), "%s/emulator.stderr", E.dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, path,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	r = posix_spawn(&E.pid, PYTHON, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (r != 0) {
		printf("# cannot start %s: %s\n", PYTHON, strerror(r));
		E.pid = 0;
		close(fds[0]);
		return -1;
	}
	/* The ready line, within READY_MS. */
	t0 = loop_now_ms();
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (memchr(line, '\n', n) == NULL && n < sizeof(line) - 1) {
		uint64_t el = loop_now_ms() - t0;

		if (el >= READY_MS || poll(&pfd, 1, (int)(READY_MS - el)) <= 0)
			break;
		if ((got = read(fds[0], line + n, sizeof(line) - 1 - n)) <= 0)
			break;
		n += (size_t)got;
	}
	close(fds[0]);
	line[n] = '\0';
	if (strncmp(line, "ready ", 6) != 0) {
		printf("# emulator not ready: '%s'; see %s\n", line, path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/emulator.json", E.dir);
	if ((text = slurp(path, &n)) == NULL || json_parse(text, n, &j) != 0) {
		free(text);
		return -1;
	}
	free(text);
	E.api_url = jdup(j, "api_url");
	E.control_url = jdup(j, "control_url");
	E.proxy_url = jdup(j, "proxy_url");
	E.ca_file = jdup(j, "ca_file");
	E.region = jdup(j, "region");
	E.access_key = jdup(j, "access_key");
	E.secret_key = jdup(j, "secret_key");
	E.target = jdup(j, "target");
	E.request_log = jdup(j, "request_log");
	json_free(j);
	if (E.api_url == NULL || E.control_url == NULL || E.proxy_url == NULL ||
	    E.ca_file == NULL || E.region == NULL || E.access_key == NULL ||
	    E.secret_key == NULL || E.target == NULL || E.request_log == NULL)
		return -1;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

static void
emu_stop(void)
{
	struct pollfd pfd;
	int pidfd, status;

	if (E.pid > 0) {
		kill(E.pid, SIGTERM);
		/* Bounded wait for its exit, then SIGKILL. */
		if ((pidfd = pidfd_open(E.pid, 0)) >= 0) {
			pfd.fd = pidfd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 15000) <= 0)
				kill(E.pid, SIGKILL);
			close(pidfd);
		} else
			kill(E.pid, SIGKILL);
		waitpid(E.pid, &status, 0);
	}
	if (E.dir[0] != '\0' && getenv("TEST_API_KEEP") == NULL)
		nftw(E.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(E.api_url);
	free(E.control_url);
	free(E.proxy_url);
	free(E.ca_file);
	free(E.region);
	free(E.access_key);
	free(E.secret_key);
	free(E.target);
	free(E.request_log);
}

/* A loopback TCP port with nothing listening (bound, then closed). */
static int
closed_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int s, port = 1;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return port;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(s, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(s);
	return port;
}

static struct api *
client(const char *ca, const char *proxy)
{
	struct api_options o;
	struct api *a;
	const char *err;

	memset(&o, 0, sizeof(o));
	o.ca_file = ca;
	o.proxy = proxy;
	o.retry_base_ms = 20;	/* keep retries quick */
	o.connect_timeout_ms = 5000;
	o.timeout_ms = 20000;
	if ((a = api_new(L, &o, &err)) == NULL)
		printf("# api_new: %s\n", err);
	return a;
}

static void
test_success(struct api *a, const struct sigv4_creds *cr, char *sid,
    size_t sidsz)
{
	struct apimsg_session s;
	struct outcome o;
	struct json **v;
	size_t n, before = log_count();

	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(o.ok, "StartSession ok");
	CHECK_EQ(o.status, 200, "HTTP 200");
	CHECK_STR(o.message, "", "no message on success");
	CHECK_EQ(o.attempts, 1, "one attempt");
	CHECK(o.request_id != NULL && strlen(o.request_id) == 36,
	    "request id returned");
	CHECK_EQ(apimsg_start_session_parse(o.body, strlen(o.body), &s), 0,
	    "response parses");
	CHECK(s.stream_url != NULL &&
	    strncmp(s.stream_url, "wss://127.0.0.1:", 16) == 0,
	    "StreamUrl from the emulator");
	snprintf(sid, sidsz, "%s", s.session_id);
	apimsg_session_clear(&s);
	n = log_api(before, &v);
	CHECK_EQ(n, 1, "one request logged");
	if (n == 1) {
		CHECK_STR(jstr(v[0], "api"), "StartSession", "log: api");
		CHECK_STR(jstr(v[0], "signature"), "valid", "log: signature");
		CHECK_STR(jjoin(v[0], "signed_headers"),
		    "content-type;host;x-amz-date;x-amz-target",
		    "log: signed headers");
		CHECK_STR(jstr(v[0], "user_agent"), "ssm-proxy/"
		    SSM_PROXY_VERSION, "log: user agent");
		CHECK_STR(jstr(v[0], "content_type"),
		    "application/x-amz-json-1.1", "log: content type");
		CHECK_STR(jstr(v[0], "path"), "/", "log: path");
		CHECK_EQ(jbool(v[0], "via_proxy"), 0, "log: not via proxy");
		CHECK_EQ(jbool(v[0], "token_present"), 0, "log: no token");
		CHECK_STR(jstr(v[0], "request_id"), o.request_id,
		    "log: same request id");
		CHECK_STR(jstr(v[0], "document"), "AWS-StartSSHSession",
		    "log: document");
	}
	log_free(v, n);
	outcome_clear(&o);
}

static void
test_token(struct api *a)
{
	struct sigv4_creds cr = { "AKIATESTTOKEN0000001", "token/secret/key",
	    "IQoJb3JpZ2luX2VjEXAMPLE+token/==" };
	struct outcome o;
	struct json **v;
	size_t n, before;

	CHECK_EQ(control("config", "{\"credentials\":[{\"access_key\":"
	    "\"AKIATESTTOKEN0000001\",\"secret_key\":\"token/secret/key\","
	    "\"session_token\":\"IQoJb3JpZ2luX2VjEXAMPLE+token/==\"}]}"), 0,
	    "control: add a credential with a token");
	before = log_count();
	start_session(a, E.api_url, &cr, E.target, &o);
	CHECK(o.ok, "StartSession with a session token");
	n = log_api(before, &v);
	CHECK_EQ(n, 1, "one request logged");
	if (n == 1) {
		CHECK_STR(jstr(v[0], "signature"), "valid", "log: signature");
		CHECK_EQ(jbool(v[0], "token_present"), 1, "log: token sent");
		CHECK_EQ(jbool(v[0], "token_signed"), 1, "log: token signed");
		CHECK_STR(jjoin(v[0], "signed_headers"), "content-type;host;"
		    "x-amz-date;x-amz-security-token;x-amz-target",
		    "log: signed headers with token");
	}
	log_free(v, n);
	outcome_clear(&o);
}

static void
test_errors(struct api *a, const struct sigv4_creds *cr)
{
	struct sigv4_creds wrong = { cr->access_key_id, "not-the-secret",
	    NULL };
	struct sigv4_creds denied = { "AKIATESTDENIED000001", "denied-secret",
	    NULL };
	struct outcome o;
	struct json **v;
	size_t n, before;

	start_session(a, E.api_url, cr, "i-0000000000000dead", &o);
	CHECK(!o.ok, "TargetNotConnected fails");
	CHECK_EQ(o.status, 400, "HTTP 400");
	CHECK_STR(o.code, "TargetNotConnected", "error code");
	CHECK_STR(o.message, "StartSession failed: TargetNotConnected: "
	    "i-0000000000000dead is not connected.", "TargetNotConnected line");
	CHECK_EQ(o.attempts, 1, "not retried");
	outcome_clear(&o);

	CHECK_EQ(control("config", "{\"credentials\":[{\"access_key\":"
	    "\"AKIATESTDENIED000001\",\"secret_key\":\"denied-secret\","
	    "\"denied\":true}]}"), 0, "control: add a denied credential");
	start_session(a, E.api_url, &denied, E.target, &o);
	CHECK_STR(o.message, "StartSession failed: AccessDeniedException: "
	    "User: arn:aws:iam::123456789012:user/emulator is not authorized "
	    "to perform: ssm:StartSession because no identity-based policy "
	    "allows the ssm:StartSession action", "AccessDenied line");
	CHECK_EQ(o.attempts, 1, "not retried");
	outcome_clear(&o);

	before = log_count();
	start_session(a, E.api_url, &wrong, E.target, &o);
	CHECK_STR(o.message, "StartSession failed: InvalidSignatureException: "
	    "The request signature we calculated does not match the signature "
	    "you provided. Check your AWS Secret Access Key and signing "
	    "method. Consult the service documentation for details.",
	    "wrong secret line");
	CHECK(strstr(o.message, "not-the-secret") == NULL,
	    "secret not in the message");
	CHECK_EQ(o.attempts, 1, "not retried");
	n = log_api(before, &v);
	CHECK(n == 1 && strcmp(jstr(v[0], "signature"), "invalid") == 0,
	    "log: invalid signature");
	log_free(v, n);
	outcome_clear(&o);

	/* The coral style: namespaced __type, Message, header with uri. */
	CHECK_EQ(control("config", "{\"error_style\":\"coral\"}"), 0,
	    "control: coral errors");
	start_session(a, E.api_url, cr, "i-0000000000000dead", &o);
	CHECK_STR(o.message, "StartSession failed: TargetNotConnected: "
	    "i-0000000000000dead is not connected.", "coral style line");
	outcome_clear(&o);
	CHECK_EQ(control("config", "{\"error_style\":\"no_header\"}"), 0,
	    "control: errors without X-Amzn-ErrorType");
	start_session(a, E.api_url, cr, "i-0000000000000dead", &o);
	CHECK_STR(o.code, "TargetNotConnected", "code from __type alone");
	outcome_clear(&o);
	CHECK_EQ(control("config", "{\"error_style\":\"plain\"}"), 0,
	    "control: plain errors");
}

/*
 * The emulator's token bucket (knob throttle) against a client whose
 * throttling budget is 500 ms: one token, then every StartSession is
 * throttled; the call ends once the budget is spent, not after 3 tries.
 */
static void
test_throttle_budget(const struct sigv4_creds *cr)
{
	struct api_options ao;
	struct outcome o;
	struct json **v;
	struct api *a;
	const char *err;
	uint64_t t0, ms;
	size_t n, i, bad = 0, before;

	memset(&ao, 0, sizeof(ao));
	ao.ca_file = E.ca_file;
	ao.retry_base_ms = 20;
	ao.throttle_ms = 500;
	if ((a = api_new(L, &ao, &err)) == NULL) {
		CHECK(0, "api_new (throttle budget)");
		return;
	}
	CHECK_EQ(control("config", "{\"throttle\":{\"rate\":0.001,"
	    "\"burst\":1}}"), 0, "control: bucket of 1 token");
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(o.ok && o.attempts == 1, "the bucket's token: success");
	outcome_clear(&o);
	before = log_count();
	t0 = loop_now_ms();
	start_session(a, E.api_url, cr, E.target, &o);
	ms = loop_now_ms() - t0;
	CHECK(!o.ok && strcmp(o.code, "ThrottlingException") == 0,
	    "bucket empty: throttled in the end");
	CHECK(o.attempts > 3, "throttled: more than max_attempts tries");
	CHECK(ms >= 500 && ms < 3000, "throttled: retried for the 500 ms "
	    "budget, no longer");
	n = log_api(before, &v);
	CHECK_EQ((long)n, (long)o.attempts, "every attempt logged");
	for (i = 0; i < n; i++)
		if (strcmp(jstr(v[i], "error"), "ThrottlingException") != 0 ||
		    strcmp(jstr(v[i], "signature"), "valid") != 0)
			bad++;
	CHECK_EQ(bad, 0, "log: each a signed, throttled call");
	log_free(v, n);
	outcome_clear(&o);

	/* max_attempts 1: no retry, throttling or not. */
	api_free(a);
	ao.max_attempts = 1;
	if ((a = api_new(L, &ao, &err)) == NULL) {
		CHECK(0, "api_new (max_attempts 1)");
		return;
	}
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(!o.ok && o.attempts == 1, "max_attempts 1: one attempt");
	CHECK_STR(o.message, "StartSession failed: ThrottlingException: "
	    "Rate exceeded", "the service's own words");
	outcome_clear(&o);
	CHECK_EQ(control("config", "{\"throttle\":null}"), 0,
	    "control: no limit");
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(o.ok, "no limit: success");
	outcome_clear(&o);
	api_free(a);
}

static void
test_retries(struct api *a, const struct sigv4_creds *cr)
{
	struct outcome o;
	struct json **v;
	size_t n, before;

	CHECK_EQ(control("config", "{\"fail\":[{\"api\":\"StartSession\","
	    "\"code\":\"ThrottlingException\",\"count\":2}]}"), 0,
	    "control: throttle twice");
	before = log_count();
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(o.ok, "throttled twice, then success");
	CHECK_EQ(o.attempts, 3, "three attempts");
	n = log_api(before, &v);
	CHECK_EQ(n, 3, "three requests logged");
	if (n == 3) {
		CHECK_STR(jstr(v[0], "error"), "ThrottlingException",
		    "log: first throttled");
		CHECK_STR(jstr(v[1], "error"), "ThrottlingException",
		    "log: second throttled");
		CHECK_STR(jstr(v[2], "signature"), "valid",
		    "log: third signed");
		CHECK(strcmp(jstr(v[2], "error"), "") == 0,
		    "log: third succeeded");
	}
	log_free(v, n);
	outcome_clear(&o);

	/* Throttling is retried past max_attempts (3), bounded by time. */
	CHECK_EQ(control("config", "{\"fail\":[{\"api\":\"StartSession\","
	    "\"code\":\"ThrottlingException\",\"count\":5,"
	    "\"message\":\"Rate exceeded\"}]}"), 0, "control: throttle 5x");
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(o.ok, "throttled 5 times, then success");
	CHECK_EQ(o.attempts, 6, "six attempts, past max_attempts");
	outcome_clear(&o);

	/* Throttled attempts do not use up the other errors' attempts. */
	CHECK_EQ(control("config", "{\"fail\":[{\"api\":\"StartSession\","
	    "\"code\":\"ThrottlingException\",\"count\":2},"
	    "{\"api\":\"StartSession\",\"code\":\"InternalServerError\","
	    "\"count\":2}]}"), 0, "control: throttle 2x, then two 500s");
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(o.ok && o.attempts == 5, "2 throttled + 2 HTTP 500, then ok");
	outcome_clear(&o);

	/* The other retryable errors still stop at max_attempts. */
	CHECK_EQ(control("config", "{\"fail\":[{\"api\":\"StartSession\","
	    "\"code\":\"InternalServerError\",\"count\":3,"
	    "\"message\":\"oops\"}]}"), 0, "control: three 500s");
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK_STR(o.message, "StartSession failed: InternalServerError: "
	    "oops (after 3 attempts)", "HTTP 500: gives up after 3 attempts");
	outcome_clear(&o);

	test_throttle_budget(cr);

	CHECK_EQ(control("config", "{\"fail\":[{\"api\":\"StartSession\","
	    "\"code\":\"InternalServerError\",\"count\":1}]}"), 0,
	    "control: one 500");
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(o.ok && o.attempts == 2, "HTTP 500 retried");
	outcome_clear(&o);

	CHECK_EQ(control("config", "{\"fail\":[{\"api\":\"StartSession\","
	    "\"code\":\"ValidationException\",\"count\":1}]}"), 0,
	    "control: one ValidationException");
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(!o.ok && o.attempts == 1, "ValidationException not retried");
	outcome_clear(&o);
}

static void
test_proxy(const struct sigv4_creds *cr)
{
	struct api *a;
	struct outcome o;
	struct json **v;
	size_t n, before = log_count(), connects = log_connects();

	if ((a = client(E.ca_file, E.proxy_url)) == NULL) {
		CHECK(0, "client with proxy");
		return;
	}
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(o.ok, "StartSession through the CONNECT proxy");
	n = log_api(before, &v);
	CHECK(n == 1 && jbool(v[0], "via_proxy") == 1, "log: via_proxy");
	CHECK(n == 1 && strcmp(jstr(v[0], "signature"), "valid") == 0,
	    "log: valid through the proxy");
	CHECK_EQ(log_connects(), connects + 1, "log: one CONNECT");
	log_free(v, n);
	outcome_clear(&o);
	api_free(a);
}

static void
test_transport(const struct sigv4_creds *cr)
{
	struct api *a;
	struct outcome o;
	char url[64], want[256];
	size_t before = log_count();
	int port;

	if ((a = client(WRONG_CA, NULL)) == NULL) {
		CHECK(0, "client with the wrong CA");
		return;
	}
	start_session(a, E.api_url, cr, E.target, &o);
	snprintf(want, sizeof(want), "cannot reach %s: SSL certificate "
	    "problem: unable to get local issuer certificate", E.api_url);
	CHECK_STR(o.message, want, "TLS verification failure line");
	CHECK(o.transport && o.status == 0, "transport error");
	CHECK_EQ(o.attempts, 1, "TLS failure not retried");
	CHECK_EQ(log_count(), before, "nothing reached the API");
	outcome_clear(&o);
	api_free(a);

	if ((a = client(E.ca_file, NULL)) == NULL)
		return;
	port = closed_port();
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
	start_session(a, url, cr, E.target, &o);
	snprintf(want, sizeof(want), "cannot reach %s: Failed to connect to "
	    "127.0.0.1 port %d after ", url, port);
	/* curl's words: "Couldn't" in 7.88 (Debian 12), "Could not" in 8.14. */
	CHECK(o.message != NULL && strncmp(o.message, want,
	    strlen(want)) == 0 && (strstr(o.message, "Couldn't connect to "
	    "server (after 3 attempts)") != NULL || strstr(o.message,
	    "Could not connect to server (after 3 attempts)") != NULL),
	    "connection refused line");
	if (o.message != NULL)
		printf("#> %s\n", o.message);
	CHECK_EQ(o.attempts, 3, "connection refused retried");
	outcome_clear(&o);

	/* A malformed endpoint is refused at once. */
	memset(&o, 0, sizeof(o));
	CHECK_EQ(call(a, "https://user@h/", cr, "AmazonSSM.StartSession", "{}",
	    &o, NULL), SP_ERR_URL, "user info refused");
	CHECK_EQ(call(a, "ftp://h/", cr, "AmazonSSM.StartSession", "{}", &o,
	    NULL), SP_ERR_URL, "ftp refused");
	CHECK_EQ(call(a, "https://h/?a=b", cr, "AmazonSSM.StartSession", "{}",
	    &o, NULL), SP_ERR_URL, "query refused");
	api_free(a);
}

static void
test_concurrent(struct api *a, const struct sigv4_creds *cr,
    const char *sid)
{
	struct apimsg_session s1, s2;
	struct outcome o1, o2, o3, oc;
	struct api_call *c = NULL;
	char *b = start_body(E.target), *tb = NULL;
	struct api *dying;

	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	memset(&o1, 0, sizeof(o1));
	memset(&o2, 0, sizeof(o2));
	memset(&o3, 0, sizeof(o3));
	memset(&oc, 0, sizeof(oc));
	CHECK_EQ(apimsg_session_id_body(sid, &tb), 0, "resume body");
	CHECK_EQ(call(a, E.api_url, cr, "AmazonSSM.StartSession", b, &o1,
	    NULL), 0, "first call");
	CHECK_EQ(call(a, E.api_url, cr, "AmazonSSM.StartSession", b, &o2,
	    NULL), 0, "second call");
	CHECK_EQ(call(a, E.api_url, cr, "AmazonSSM.ResumeSession", tb, &o3,
	    NULL), 0, "third call");
	CHECK_EQ(call(a, E.api_url, cr, "AmazonSSM.StartSession", b, &oc,
	    &c), 0, "call to cancel");
	api_cancel(c);
	pending--;
	CHECK(wait_calls(), "calls in flight together all finished");
	CHECK(o1.ok && o2.ok && o3.ok, "all succeeded");
	CHECK_EQ(o1.done + o2.done + o3.done, 3, "one callback each");
	CHECK_EQ(oc.done, 0, "no callback for the cancelled call");
	CHECK(apimsg_start_session_parse(o1.body, strlen(o1.body), &s1) == 0 &&
	    apimsg_start_session_parse(o2.body, strlen(o2.body), &s2) == 0 &&
	    strcmp(s1.session_id, s2.session_id) != 0, "two sessions");
	apimsg_session_clear(&s1);
	apimsg_session_clear(&s2);
	CHECK(apimsg_resume_session_parse(o3.body, strlen(o3.body), &s1) == 0 &&
	    s1.has_token && strcmp(s1.session_id, sid) == 0,
	    "ResumeSession gives a new token");
	apimsg_session_clear(&s1);
	outcome_clear(&o1);
	outcome_clear(&o2);
	outcome_clear(&o3);

	/* api_free inside a callback stops the other call quietly. */
	if ((dying = client(E.ca_file, NULL)) != NULL) {
		o1.free_api = dying;
		o2.free_api = dying;
		CHECK_EQ(call(dying, E.api_url, cr, "AmazonSSM.StartSession",
		    b, &o1, NULL), 0, "call A");
		CHECK_EQ(call(dying, E.api_url, cr, "AmazonSSM.StartSession",
		    b, &o2, NULL), 0, "call B");
		pending = 1;	/* whichever finishes first frees the client */
		CHECK(wait_calls(), "first call finished");
		run_for(200);
		CHECK_EQ(o1.done + o2.done, 1, "one callback, then none");
		outcome_clear(&o1);
		outcome_clear(&o2);
	}
	free(b);
	free(tb);
}

static void
test_terminate(struct api *a, const struct sigv4_creds *cr, const char *sid)
{
	struct apimsg_session s;
	struct outcome o;
	char *b = NULL;

	CHECK_EQ(apimsg_session_id_body(sid, &b), 0, "terminate body");
	memset(&o, 0, sizeof(o));
	CHECK_EQ(call(a, E.api_url, cr, "AmazonSSM.TerminateSession", b, &o,
	    NULL), 0, "TerminateSession call");
	CHECK(wait_calls(), "TerminateSession finished");
	CHECK(o.ok, "TerminateSession ok");
	CHECK(apimsg_terminate_session_parse(o.body, strlen(o.body), &s) ==
	    0 && strcmp(s.session_id, sid) == 0, "TerminateSession answer");
	apimsg_session_clear(&s);
	outcome_clear(&o);
	/* Ended: ResumeSession now fails. */
	CHECK_EQ(call(a, E.api_url, cr, "AmazonSSM.ResumeSession", b, &o,
	    NULL), 0, "ResumeSession call");
	CHECK(wait_calls(), "ResumeSession finished");
	CHECK_STR(o.code, "DoesNotExistException", "ended session");
	CHECK(strncmp(o.message, "ResumeSession failed: "
	    "DoesNotExistException", 43) == 0, "ResumeSession line");
	outcome_clear(&o);
	free(b);
}

static void
test_skew(const struct sigv4_creds *cr)
{
	struct api *a;
	struct outcome o;
	struct json **v;
	size_t n, before;
	int64_t off;

	if ((a = client(E.ca_file, NULL)) == NULL)
		return;
	CHECK_EQ(control("config", "{\"clock_offset\":3600}"), 0,
	    "control: emulator clock an hour ahead");
	before = log_count();
	start_session(a, E.api_url, cr, E.target, &o);
	CHECK(o.ok, "clock skew corrected");
	CHECK_EQ(o.attempts, 2, "one extra attempt");
	off = api_clock_offset(a);
	CHECK(off >= 3595 && off <= 3605, "offset from the Date header");
	n = log_api(before, &v);
	CHECK(n == 2 && strcmp(jstr(v[0], "error"),
	    "InvalidSignatureException") == 0 &&
	    strcmp(jstr(v[1], "signature"), "valid") == 0,
	    "log: expired, then valid");
	log_free(v, n);
	outcome_clear(&o);
	CHECK_EQ(control("config", "{\"clock_offset\":0}"), 0,
	    "control: clock back");
	api_free(a);
}

int
main(void)
{
	struct loop_params lp;
	struct sigv4_creds cr;
	struct api *a = NULL;
	const char *err;
	char sid[APIMSG_MAX_SESSION_ID + 1] = "";

	log_init(getenv("TEST_API_DEBUG") != NULL ? LOG_DEBUG3 : LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	memset(&lp, 0, sizeof(lp));
	if ((L = loop_new(&lp, &err)) == NULL) {
		CHECK(0, "loop_new");
		return test_done();
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		abort();
	if (emu_start() != 0) {
		CHECK(0, "emulator started");
		goto out;
	}
	memset(&cr, 0, sizeof(cr));
	cr.access_key_id = E.access_key;
	cr.secret_key = E.secret_key;
	if ((a = client(E.ca_file, NULL)) == NULL) {
		CHECK(0, "api_new");
		goto out;
	}
	test_success(a, &cr, sid, sizeof(sid));
	test_token(a);
	test_errors(a, &cr);
	test_retries(a, &cr);
	test_proxy(&cr);
	test_transport(&cr);
	test_concurrent(a, &cr, sid);
	test_terminate(a, &cr, sid);
	test_skew(&cr);
 out:
	api_free(a);
	emu_stop();
	curl_global_cleanup();
	loop_free(L);
	return test_done();
}
