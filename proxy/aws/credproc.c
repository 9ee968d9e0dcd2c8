/*
 * credential_process: run the command, parse its JSON; see credproc.h.
 * botocore's ProcessProvider is the reference for the contract.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <yajl/yajl_parse.h>

#include "compat.h"
#include "credproc.h"
#include "shlex.h"

/* ---- running the process ---- */

/*
 * In the child: stdin /dev/null, stdout the pipe, stderr as is, no other
 * descriptor but the CLOEXEC status pipe; default SIGPIPE and an empty
 * signal mask, as Python's subprocess restores them.
 */
static void __attribute__((noreturn))
child(char **argv, int devnull, int out, int status)
{
	sigset_t none;
	int a, b, s, e;

	if ((a = fcntl(devnull, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (b = fcntl(out, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (s = fcntl(status, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    dup2(a, 0) == -1 || dup2(b, 1) == -1 ||
	    dup2(s, 3) == -1 || fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	compat_closefrom(4);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
 fail:
	e = errno;
	if (write(3, &e, sizeof(e)) != (ssize_t)sizeof(e))
		_exit(127);
	_exit(127);
}

static int
cloexec_pipe(int fd[2])
{
	if (pipe(fd) == -1)
		return -1;
	if (fcntl(fd[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd[1], F_SETFD, FD_CLOEXEC) == -1) {
		close(fd[0]);
		close(fd[1]);
		fd[0] = fd[1] = -1;
		return -1;
	}
	return 0;
}

/* Reap pid, killing it first if kill_it. */
static int
reap(pid_t pid, int kill_it)
{
	int st;

	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return st;
}

/* Wait for exit until deadline (monotonic ms); -2 on timeout. */
static int
wait_exit(pid_t pid, uint64_t deadline)
{
	pid_t w;
	int st;

	for (;;) {
		if ((w = waitpid(pid, &st, WNOHANG)) == pid)
			return st;
		if (w == -1 && errno != EINTR)
			return -1;
		if (compat_now_ms() >= deadline)
			return -2;
		poll(NULL, 0, 10);
	}
}

/* Read the child's stdout until EOF, bounded in size and time. */
static int
collect(int fd, uint64_t deadline, size_t max, char *buf, size_t *lenp)
{
	struct pollfd pfd;
	long long left;
	ssize_t n;

	*lenp = 0;
	for (;;) {
		if ((left = (long long)deadline -
		    (long long)compat_now_ms()) <= 0)
			return SP_ERR_TIMEOUT;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) == -1) {
			if (errno == EINTR)
				continue;
			return CFG_ERR_PROCESS;
		}
		if (pfd.revents == 0)
			continue;
		if ((n = read(fd, buf + *lenp, max + 1 - *lenp)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return CFG_ERR_PROCESS;
		}
		if (n == 0)
			return 0;
		if ((*lenp += n) > max)
			return SP_ERR_TOO_LARGE;
	}
}

static int
exit_error(const char *prog, int st, struct errmsg *err)
{
	if (WIFEXITED(st))
		return errmsg_set(err, CFG_ERR_PROCESS,
		    "%.200s exited with status %d", prog, WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return errmsg_set(err, CFG_ERR_PROCESS,
		    "%.200s was killed by signal %d (%s)", prog, WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	return errmsg_set(err, CFG_ERR_PROCESS, "%.200s ended abnormally",
	    prog);
}

void
credproc_output_free(char *out, size_t len)
{
	if (out != NULL)
		OPENSSL_clear_free(out, len + 1);
}

int
credproc_run(const char *cmdline, int timeout_ms, size_t max_output,
    char **outp, size_t *lenp, struct errmsg *err)
{
	char **argv = NULL, *buf = NULL;
	int po[2] = { -1, -1 }, ps[2] = { -1, -1 }, devnull = -1;
	int r = SP_ERR_INTERNAL, st, e;
	uint64_t deadline;
	size_t argc, len = 0;
	pid_t pid = -1;
	ssize_t n;

	*outp = NULL;
	*lenp = 0;
	if (timeout_ms <= 0)
		timeout_ms = CREDPROC_TIMEOUT_MS;
	if (max_output == 0)
		max_output = CREDPROC_MAX_OUTPUT;
	if ((r = shlex_split(cmdline, &argv, &argc, err)) != 0) {
		if (r != SP_ERR_ALLOC)
			r = CFG_ERR_VALUE;
		errmsg_prefix(err, "cannot split the command line: ");
		goto out;
	}
	if (argc == 0) {
		r = errmsg_set(err, CFG_ERR_VALUE, "the command line is empty");
		goto out;
	}
	if ((buf = malloc(max_output + 2)) == NULL) {
		r = errmsg_set(err, SP_ERR_ALLOC, "out of memory");
		goto out;
	}
	if (cloexec_pipe(po) == -1 || cloexec_pipe(ps) == -1 ||
	    (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    (pid = fork()) == -1) {
		r = errmsg_set(err, CFG_ERR_PROCESS, "cannot run %.200s: %s",
		    argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(argv, devnull, po[1], ps[1]);
	deadline = compat_now_ms() + (uint64_t)timeout_ms;
	close(po[1]);
	close(ps[1]);
	po[1] = ps[1] = -1;
	/* The status pipe closes on exec, or carries execvp's errno. */
	while ((n = read(ps[0], &e, sizeof(e))) == -1 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(e)) {
		reap(pid, 0);
		pid = -1;
		r = errmsg_set(err, CFG_ERR_PROCESS, "cannot run %.200s: %s",
		    argv[0], strerror(e));
		goto out;
	}
	if ((r = collect(po[0], deadline, max_output, buf, &len)) != 0) {
		e = errno;
		reap(pid, 1);
		pid = -1;
		if (r == SP_ERR_TIMEOUT)
			errmsg_set(err, r, "%.200s did not finish within %d ms",
			    argv[0], timeout_ms);
		else if (r == SP_ERR_TOO_LARGE)
			errmsg_set(err, r, "%.200s wrote more than %zu bytes",
			    argv[0], max_output);
		else
			errmsg_set(err, r, "reading the output of %.200s: %s",
			    argv[0], strerror(e));
		goto out;
	}
	if ((st = wait_exit(pid, deadline)) < 0) {
		reap(pid, 1);
		pid = -1;
		r = errmsg_set(err, SP_ERR_TIMEOUT,
		    "%.200s did not exit within %d ms", argv[0], timeout_ms);
		goto out;
	}
	pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		r = exit_error(argv[0], st, err);
		goto out;
	}
	buf[len] = '\0';
	*outp = buf;
	*lenp = len;
	buf = NULL;
	r = 0;
 out:
	if (pid > 0)
		reap(pid, 1);
	if (buf != NULL)
		OPENSSL_clear_free(buf, max_output + 2);
	if (po[0] != -1)
		close(po[0]);
	if (po[1] != -1)
		close(po[1]);
	if (ps[0] != -1)
		close(ps[0]);
	if (ps[1] != -1)
		close(ps[1]);
	if (devnull != -1)
		close(devnull);
	shlex_free(argv);
	return r;
}

/* ---- parsing the output ---- */

/* Allocator for yajl that wipes every block it frees. */
union hdr {
	size_t		 size;
	max_align_t	 align;
};

static void *
w_malloc(void *ctx, size_t sz)
{
	union hdr *h;

	if (sz > SIZE_MAX - sizeof(*h) || (h = malloc(sizeof(*h) + sz)) == NULL)
		return NULL;
	h->size = sz;
	return h + 1;
}

static void
w_free(void *ctx, void *p)
{
	union hdr *h;

	if (p == NULL)
		return;
	h = (union hdr *)p - 1;
	OPENSSL_clear_free(h, sizeof(*h) + h->size);
}

static void *
w_realloc(void *ctx, void *p, size_t sz)
{
	union hdr *h;
	void *n;

	if ((n = w_malloc(ctx, sz)) == NULL)
		return NULL;
	if (p != NULL) {
		h = (union hdr *)p - 1;
		memcpy(n, p, h->size < sz ? h->size : sz);
		w_free(ctx, p);
	}
	return n;
}

enum field { F_VERSION, F_AKID, F_SECRET, F_TOKEN, F_EXPIRATION, NFIELD };

static const char *const field_names[NFIELD] = {
	"Version", "AccessKeyId", "SecretAccessKey", "SessionToken",
	"Expiration"
};

enum vtype { V_ABSENT = 0, V_NULL, V_STRING, V_NUMBER, V_OTHER };

struct pctx {
	int		 depth;		/* 1 inside the top-level object */
	int		 top_object;	/* the top-level value is an object */
	int		 cur;		/* field of the pending key, or -1 */
	int		 limit;		/* nesting limit hit */
	int		 nomem;
	enum vtype	 type[NFIELD];
	char		*str[NFIELD];	/* strings and number texts */
};

static void
set_field(struct pctx *c, enum vtype t, const unsigned char *s, size_t n)
{
	int f = c->cur;

	c->cur = -1;
	if (c->depth != 1 || f < 0)
		return;
	if (c->str[f] != NULL) {
		/* A repeated member: the last one wins, as in Python. */
		OPENSSL_clear_free(c->str[f], strlen(c->str[f]) + 1);
		c->str[f] = NULL;
	}
	c->type[f] = t;
	if (s == NULL)
		return;
	if ((c->str[f] = malloc(n + 1)) == NULL) {
		c->nomem = 1;
		return;
	}
	memcpy(c->str[f], s, n);
	c->str[f][n] = '\0';
}

/* A value other than an object starts: note it, check nesting. */
static int
value(struct pctx *c, enum vtype t, const unsigned char *s, size_t n)
{
	set_field(c, t, s, n);
	return !c->nomem;
}

static int
cb_null(void *ctx)
{
	return value(ctx, V_NULL, NULL, 0);
}

static int
cb_bool(void *ctx, int b)
{
	return value(ctx, V_OTHER, NULL, 0);
}

static int
cb_number(void *ctx, const char *s, size_t n)
{
	return value(ctx, V_NUMBER, (const unsigned char *)s, n);
}

static int
cb_string(void *ctx, const unsigned char *s, size_t n)
{
	return value(ctx, V_STRING, s, n);
}

static int
open_nested(struct pctx *c, int is_map)
{
	if (c->depth == 0 && is_map)
		c->top_object = 1;
	set_field(c, V_OTHER, NULL, 0);
	if (++c->depth > CREDPROC_MAX_DEPTH) {
		c->limit = 1;
		return 0;
	}
	return 1;
}

static int
cb_start_map(void *ctx)
{
	return open_nested(ctx, 1);
}

static int
cb_start_array(void *ctx)
{
	return open_nested(ctx, 0);
}

static int
cb_end(void *ctx)
{
	((struct pctx *)ctx)->depth--;
	return 1;
}

static int
cb_map_key(void *ctx, const unsigned char *k, size_t n)
{
	struct pctx *c = ctx;
	int f;

	c->cur = -1;
	if (c->depth != 1)
		return 1;
	for (f = 0; f < NFIELD; f++)
		if (strlen(field_names[f]) == n &&
		    memcmp(field_names[f], k, n) == 0)
			c->cur = f;
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, cb_end, cb_start_array, cb_end
};

/* Run yajl over the text; fills c. */
static int
json_scan(const void *data, size_t len, struct pctx *c, struct errmsg *err)
{
	yajl_alloc_funcs af = { w_malloc, w_realloc, w_free, NULL };
	yajl_status s;
	yajl_handle h;

	if ((h = yajl_alloc(&callbacks, &af, c)) == NULL)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	s = yajl_parse(h, data, len);
	if (s == yajl_status_ok)
		s = yajl_complete_parse(h);
	yajl_free(h);
	if (c->nomem)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	if (c->limit)
		return errmsg_set(err, SP_ERR_JSON_LIMIT, "output nests JSON "
		    "deeper than %d levels", CREDPROC_MAX_DEPTH);
	/* yajl's own message quotes the text, which may hold secrets. */
	if (s != yajl_status_ok)
		return errmsg_set(err, SP_ERR_JSON_SYNTAX,
		    "output is not valid JSON");
	if (!c->top_object)
		return errmsg_set(err, CFG_ERR_VALUE,
		    "output is not a JSON object");
	return 0;
}

static int
check_string(struct pctx *c, enum field f, int required, struct errmsg *err)
{
	if (c->type[f] == V_ABSENT || (!required && c->type[f] == V_NULL)) {
		if (required)
			return errmsg_set(err, CFG_ERR_VALUE,
			    "output lacks %s", field_names[f]);
		return 0;
	}
	if (c->type[f] != V_STRING)
		return errmsg_set(err, CFG_ERR_VALUE, "%s in the output is not "
		    "a string", field_names[f]);
	if (required && c->str[f][0] == '\0')
		return errmsg_set(err, CFG_ERR_VALUE, "%s in the output is "
		    "empty", field_names[f]);
	return 0;
}

static int
check_version(struct pctx *c, struct errmsg *err)
{
	char *end;
	double v;

	if (c->type[F_VERSION] == V_ABSENT)
		return errmsg_set(err, CFG_ERR_VALUE, "output lacks Version "
		    "(must be 1)");
	if (c->type[F_VERSION] == V_NUMBER) {
		v = strtod(c->str[F_VERSION], &end);
		if (*end == '\0' && v == 1.0)
			return 0;
		return errmsg_set(err, CFG_ERR_VALUE, "unsupported Version "
		    "%.20s in the output (only 1 is supported)",
		    c->str[F_VERSION]);
	}
	return errmsg_set(err, CFG_ERR_VALUE, "Version in the output is not "
	    "the number 1");
}

static void
fmt_time(time_t t, char *buf, size_t sz)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, sz, "%lld", (long long)t);
}

int
credproc_parse(const void *data, size_t len, time_t now, struct creds **out,
    struct errmsg *err)
{
	struct pctx c;
	time_t expiry = 0;
	char when[64];
	int r, f;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.cur = -1;
	if (len > CREDPROC_MAX_OUTPUT) {
		r = errmsg_set(err, SP_ERR_TOO_LARGE, "output is larger than "
		    "%d bytes", CREDPROC_MAX_OUTPUT);
		goto out;
	}
	if (memchr(data, '\0', len) != NULL) {
		r = errmsg_set(err, SP_ERR_JSON_NUL, "output contains a NUL "
		    "byte");
		goto out;
	}
	if ((r = json_scan(data, len, &c, err)) != 0 ||
	    (r = check_version(&c, err)) != 0 ||
	    (r = check_string(&c, F_AKID, 1, err)) != 0 ||
	    (r = check_string(&c, F_SECRET, 1, err)) != 0 ||
	    (r = check_string(&c, F_TOKEN, 0, err)) != 0 ||
	    (r = check_string(&c, F_EXPIRATION, 0, err)) != 0)
		goto out;
	if (c.type[F_EXPIRATION] == V_STRING) {
		if (creds_parse_time(c.str[F_EXPIRATION], &expiry) != 0) {
			r = errmsg_set(err, CFG_ERR_VALUE, "Expiration "
			    "\"%.64s\" in the output is not an RFC 3339 time",
			    c.str[F_EXPIRATION]);
			goto out;
		}
		if (expiry <= now) {
			fmt_time(expiry, when, sizeof(when));
			r = errmsg_set(err, CFG_ERR_EXPIRED, "the credentials "
			    "it returned expired at %s", when);
			goto out;
		}
		/* 0 means "never expires"; a real 1970 time expired above. */
	}
	if ((r = creds_new(c.str[F_AKID], c.str[F_SECRET],
	    c.type[F_TOKEN] == V_STRING ? c.str[F_TOKEN] : NULL, expiry,
	    CREDS_SRC_PROCESS, out)) != 0)
		errmsg_set(err, r, "out of memory");
 out:
	for (f = 0; f < NFIELD; f++)
		if (c.str[f] != NULL)
			OPENSSL_clear_free(c.str[f], strlen(c.str[f]) + 1);
	return r;
}
