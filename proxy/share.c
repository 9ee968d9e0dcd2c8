/*
 * --share: one --via session for many connections; see share.h.
 *
 * The master and the relay are small poll() loops of their own: neither
 * touches libwebsockets or libcurl (the session runs in the master's
 * child, on the event loop of loop.c as always).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "buf.h"
#include "compat.h"
#include "exit.h"
#include "hex.h"
#include "log.h"
#include "session.h"
#include "share.h"
#include "smux.h"

#define CHUNK		(64 * 1024)	/* bytes read at a time */
#define UP_MAX		(256 * 1024)	/* frames waiting for the session */
#define MAX_STREAMS	256		/* connections at once */
#define NAME_HEX	32		/* hex digits of the key in names */

struct share_paths {
	char	dir[PATH_MAX];
	char	sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char	lock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char	log[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* One client connection and its smux stream. */
struct stream {
	int		 fd;
	uint32_t	 sid;
	int		 in_eof;	/* the client's EOF: our FIN queued */
	int		 peer_fin;	/* the agent's FIN */
	int		 shut;		/* shutdown(SHUT_WR) done */
	struct buf	 out;		/* stream bytes for the client */
};

struct master {
	struct smux	 s;
	const struct share_paths *sp;
	int		 lfd;		/* the listening socket */
	int		 sfd;		/* the session's stdin and stdout */
	int		 sigfd[2];	/* signals, as bytes */
	struct buf	 up;		/* frames for the session */
	struct buf	 rx;		/* session bytes not yet fed */
	struct stream	 st[MAX_STREAMS];
	size_t		 nst;
	uint64_t	 idle_since;	/* no stream since */
	uint64_t	 idle_ms;
	int		 session_eof;
	int		 failed;
	int		 sig;
};

static int sig_wfd = -1;
static volatile sig_atomic_t got_hup;	/* the relay's: ssh is done */

static void
on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

static void
on_signal(int sig)
{
	int e = errno;
	unsigned char c = (unsigned char)sig;

	(void)!write(sig_wfd, &c, 1);
	errno = e;
}

/* The key's hash, NAME_HEX hex digits and a NUL, into hex. */
static int
share_key(const struct config *c, char *hex)
{
	const char *f[9];
	unsigned char md[SHA256_DIGEST_LENGTH];
	char akid[2 * SHA256_DIGEST_LENGTH + 1], port[8];
	const char *v;
	struct buf b;
	size_t i;
	int r = 0;

	/* The access key id only as its hash, even in memory. */
	v = getenv("AWS_ACCESS_KEY_ID");
	SHA256((const unsigned char *)(v != NULL ? v : ""),
	    v != NULL ? strlen(v) : 0, md);
	hex_encode(md, sizeof(md), akid);
	snprintf(port, sizeof(port), "%u", c->port);
	f[0] = c->target;
	f[1] = c->aws.region != NULL ? c->aws.region :
	    (v = getenv("AWS_REGION")) != NULL ? v :
	    (v = getenv("AWS_DEFAULT_REGION")) != NULL ? v : "";
	f[2] = c->aws.profile != NULL ? c->aws.profile :
	    (v = getenv("AWS_PROFILE")) != NULL ? v : "";
	f[3] = akid;
	f[4] = c->document;
	f[5] = c->aws.endpoint_url != NULL ? c->aws.endpoint_url : "";
	f[6] = c->via_host;
	f[7] = port;
	f[8] = "ssm-proxy share 1";
	buf_init(&b, 64 * 1024);
	for (i = 0; i < sizeof(f) / sizeof(f[0]) && r == 0; i++)
		r = buf_put(&b, f[i], strlen(f[i]) + 1);	/* with NUL */
	if (r == 0) {
		SHA256(buf_ptr(&b), buf_len(&b), md);
		hex_encode(md, NAME_HEX / 2, hex);
	}
	buf_release(&b);
	return r;
}

/* The socket's directory: made 0700 if missing, refused unless private. */
static int
share_dir(char *dir, size_t n)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int len;

	if (x != NULL && x[0] == '/')
		len = snprintf(dir, n, "%s/ssm-proxy", x);
	else
		len = snprintf(dir, n, "/tmp/ssm-proxy-%lu",
		    (unsigned long)getuid());
	if (len < 0 || (size_t)len >= n) {
		log_error("--share: XDG_RUNTIME_DIR is too long");
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_error("--share: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) != 0) {
		log_error("--share: %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0) {
		log_error("--share: %s is not a directory of ours with mode "
		    "0700: refused", dir);
		return -1;
	}
	return 0;
}

static int
share_paths(const struct config *c, struct share_paths *p)
{
	char hex[NAME_HEX + 1];
	int n;

	if (share_dir(p->dir, sizeof(p->dir)) != 0)
		return -1;
	if (share_key(c, hex) != 0) {
		log_error("out of memory");
		return -1;
	}
	/* ".lock" is as long as ".sock", ".log" shorter. */
	if ((n = snprintf(p->sock, sizeof(p->sock), "%s/%s.sock", p->dir,
	    hex)) < 0 || (size_t)n >= sizeof(p->sock) ||
	    snprintf(p->lock, sizeof(p->lock), "%s/%s.lock", p->dir, hex) !=
	    n || snprintf(p->log, sizeof(p->log), "%s/%s.log", p->dir,
	    hex) != n - 1) {
		log_error("--share: socket path in %s is too long", p->dir);
		return -1;
	}
	return 0;
}

/* A socket connected to path, or -1 with errno. */
static int
share_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, e;

	if ((fd = compat_socket(AF_UNIX, SOCK_STREAM)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);	/* fits: share_paths */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* A socket listening on path (mode 0600), or -1 after logging. */
static int
share_listen(const char *path)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, r;

	if ((fd = compat_socket(AF_UNIX, SOCK_STREAM)) == -1) {
		log_error("--share: socket: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);	/* fits: share_paths */
	old = umask(077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0 || chmod(path, 0600) != 0 || listen(fd, 64) != 0) {
		log_error("--share: cannot listen on %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Write all of p to fd (blocking); 0, or -1 with errno. */
static int
write_all(int fd, const uint8_t *p, size_t n, int sock)
{
	ssize_t w;

	while (n > 0) {
		w = sock ? compat_send(fd, p, n) : write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Relay stdin and stdout over the master's socket s until the master
 * closes it.  Nothing from the master before that: it ended first.
 */
static int
relay(int s, const struct share_paths *p)
{
	static uint8_t b[CHUNK];
	struct sigaction sa;
	struct pollfd pf[2];
	int in_eof = 0, got = 0;
	ssize_t n;

	/* SIGHUP (ssh ends its ProxyCommand so) ends normally, as in
	 * session.c; SIGINT and SIGTERM keep their default action. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!got_hup) {
		pf[0].fd = in_eof ? -1 : STDIN_FILENO;
		pf[0].events = POLLIN;
		pf[1].fd = s;
		pf[1].events = POLLIN;
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (pf[0].revents != 0) {
			if ((n = read(STDIN_FILENO, b, sizeof(b))) < 0 &&
			    (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				in_eof = 1;
				(void)shutdown(s, SHUT_WR);
			} else if (write_all(s, b, (size_t)n, 1) != 0)
				break;
		}
		if (pf[1].revents != 0) {
			if ((n = read(s, b, sizeof(b))) < 0 &&
			    (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)
				break;
			got = 1;
			if (write_all(STDOUT_FILENO, b, (size_t)n, 0) != 0)
				break;		/* ssh is gone */
		}
	}
	close(s);
	if (got || got_hup)
		return EXIT_OK;
	log_error("the shared session ended before this connection opened "
	    "(the master's log: %s)", p->log);
	return EXIT_CHANNEL;
}

static struct stream *
find_stream(struct master *m, uint32_t sid)
{
	size_t i;

	for (i = 0; i < m->nst; i++)
		if (m->st[i].sid == sid)
			return &m->st[i];
	return NULL;
}

static int
on_data(void *arg, uint32_t sid, const uint8_t *p, size_t n)
{
	struct stream *st;

	if ((st = find_stream(arg, sid)) == NULL)
		return 0;		/* its client is gone */
	if (buf_put(&st->out, p, n) != 0)
		return SP_ERR_ALLOC;
	/* Full: hold the rest in rx, and stop reading the session. */
	return buf_len(&st->out) >= SHARE_OUT_MAX;
}

static int
on_fin(void *arg, uint32_t sid)
{
	struct stream *st;

	if ((st = find_stream(arg, sid)) != NULL)
		st->peer_fin = 1;
	return 0;
}

static int
any_full(const struct master *m)
{
	size_t i;

	for (i = 0; i < m->nst; i++)
		if (buf_len(&m->st[i].out) >= SHARE_OUT_MAX)
			return 1;
	return 0;
}

/* Hand the session's bytes to the streams while each has room. */
static void
feed(struct master *m)
{
	const struct smux_cb cb = { on_data, on_fin, NULL, NULL, m };
	size_t used;
	int r;

	while (!m->failed && buf_len(&m->rx) > 0 && !any_full(m)) {
		used = 0;
		r = smux_feed(&m->s, buf_ptr(&m->rx), buf_len(&m->rx), &cb,
		    &used);
		(void)!buf_consume(&m->rx, used);
		if (r < 0) {
			log_error("smux: %s", smux_why(&m->s)[0] != '\0' ?
			    smux_why(&m->s) : "out of memory");
			m->failed = 1;
		}
	}
	if (buf_len(&m->rx) == 0)
		buf_reset(&m->rx);
}

/* Our FIN on st's stream, once. */
static void
stream_shut(struct master *m, struct stream *st)
{
	int state = smux_state(&m->s, st->sid);

	st->in_eof = 1;
	if ((state == SMUX_ST_OPEN || state == SMUX_ST_FIN_RCVD) &&
	    smux_shut(&m->s, &m->up, st->sid) != 0)
		m->failed = 1;
}

static void
stream_drop(struct master *m, struct stream *st)
{
	log_verbose("stream %lu closed", (unsigned long)st->sid);
	if (!st->in_eof)
		stream_shut(m, st);
	smux_forget(&m->s, st->sid);
	close(st->fd);
	buf_release(&st->out);
	*st = m->st[--m->nst];
	if (m->nst == 0)
		m->idle_since = compat_now_ms();
}

static void
accept_client(struct master *m)
{
	struct stream *st;
	uid_t uid;
	int fd;

	if ((fd = accept(m->lfd, NULL, NULL)) == -1)
		return;
	if (compat_getpeeruid(fd, &uid) != 0) {
		log_verbose("refused a connection: its uid is unknown (%s)",
		    strerror(errno));
		close(fd);
		return;
	}
	if (uid != geteuid()) {
		log_verbose("refused a connection from uid %ld", (long)uid);
		close(fd);
		return;
	}
	if (m->nst == MAX_STREAMS) {
		log_error("%d connections already: one refused",
		    MAX_STREAMS);
		close(fd);
		return;
	}
	st = &m->st[m->nst];
	memset(st, 0, sizeof(*st));
	st->fd = fd;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0 ||
	    smux_open(&m->s, &m->up, &st->sid) != 0) {
		log_error("cannot open a stream");
		close(fd);
		return;
	}
	buf_init(&st->out, SHARE_OUT_MAX + CHUNK);
	m->nst++;
	log_verbose("stream %lu opened", (unsigned long)st->sid);
}

/* The client's bytes as PSH frames; its EOF as FIN. */
static void
client_read(struct master *m, struct stream *st)
{
	static uint8_t b[CHUNK];
	ssize_t n;

	if ((n = read(st->fd, b, sizeof(b))) < 0 &&
	    (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0)
		stream_shut(m, st);
	else if (smux_send(&m->s, &m->up, st->sid, b, (size_t)n) != 0)
		m->failed = 1;
}

/* Stream bytes to the client; 0, or -1 when it is gone. */
static int
client_write(struct stream *st)
{
	ssize_t n;

	if (buf_len(&st->out) > 0) {
		n = compat_send(st->fd, buf_ptr(&st->out), buf_len(&st->out));
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
		if (n > 0)
			(void)!buf_consume(&st->out, (size_t)n);
		if (buf_len(&st->out) == 0)
			buf_reset(&st->out);
	}
	if (st->peer_fin && buf_len(&st->out) == 0 && !st->shut) {
		(void)shutdown(st->fd, SHUT_WR);
		st->shut = 1;
	}
	return 0;
}

static void
session_io(struct master *m, short revents)
{
	uint8_t *p;
	ssize_t n;

	if ((revents & POLLOUT) && buf_len(&m->up) > 0) {
		n = compat_send(m->sfd, buf_ptr(&m->up), buf_len(&m->up));
		if (n > 0)
			(void)!buf_consume(&m->up, (size_t)n);
		else if (n < 0 && errno != EINTR && errno != EAGAIN)
			m->session_eof = 1;
		if (buf_len(&m->up) == 0)
			buf_reset(&m->up);
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && buf_len(&m->rx) == 0) {
		if (buf_reserve(&m->rx, CHUNK, &p) != 0) {
			m->failed = 1;
			return;
		}
		n = read(m->sfd, p, CHUNK);
		(void)!buf_consume_end(&m->rx, CHUNK - (n > 0 ? (size_t)n : 0));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			m->session_eof = 1;
	}
}

/* One pass: wait for something, then do it.  0 to go on. */
static int
master_pass(struct master *m)
{
	struct pollfd pf[3 + MAX_STREAMS];
	uint64_t now;
	size_t i, n = 3;
	int tmo = -1;

	pf[0].fd = m->sigfd[0];
	pf[0].events = POLLIN;
	pf[1].fd = m->lfd;
	pf[1].events = POLLIN;
	pf[2].fd = m->sfd;
	pf[2].events = (buf_len(&m->rx) == 0 ? POLLIN : 0) |
	    (buf_len(&m->up) > 0 ? POLLOUT : 0);
	for (i = 0; i < m->nst; i++, n++) {
		pf[n].fd = m->st[i].fd;
		pf[n].events = (!m->st[i].in_eof && buf_len(&m->up) < UP_MAX ?
		    POLLIN : 0) | (buf_len(&m->st[i].out) > 0 ? POLLOUT : 0);
		/* poll() reports a hang-up whatever was asked: a client
		 * that has gone, waiting for the agent's FIN, would spin. */
		if (pf[n].events == 0)
			pf[n].fd = -1;
	}
	if (m->nst == 0) {
		now = compat_now_ms();
		if (now >= m->idle_since + m->idle_ms) {
			log_verbose("no stream for %lu s: ending",
			    (unsigned long)(m->idle_ms / 1000));
			return 1;
		}
		tmo = (int)(m->idle_since + m->idle_ms - now);
	}
	if (poll(pf, n, tmo) < 0)
		return errno == EINTR ? 0 : -1;
	if (pf[0].revents != 0) {
		unsigned char c;

		if (read(m->sigfd[0], &c, 1) == 1) {
			log_verbose("signal %d: ending", c);
			m->sig = c;
			return 1;
		}
	}
	session_io(m, pf[2].revents);
	for (i = 0; i < m->nst; i++)
		if ((pf[3 + i].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !m->st[i].in_eof && buf_len(&m->up) < UP_MAX)
			client_read(m, &m->st[i]);
	/*
	 * The session's bytes and FINs before the writes and drops, so that
	 * a FIN seen now is acted on now: nothing may wake the next poll().
	 * From the last stream down: dropping moves the last one.
	 */
	feed(m);
	for (i = m->nst; i-- > 0;) {
		struct stream *st = &m->st[i];

		if (client_write(st) != 0 || (pf[3 + i].revents & POLLERR) ||
		    (st->in_eof && st->peer_fin && buf_len(&st->out) == 0))
			stream_drop(m, st);
	}
	if (pf[1].revents & POLLIN)
		accept_client(m);
	if (m->session_eof) {
		log_verbose("the session ended");
		return 1;
	}
	return m->failed ? -1 : 0;
}

/*
 * The end: no new clients, FIN on every stream, the queued frames to the
 * session and then its stdin's EOF, which ends it cleanly; wait for it.
 */
static int
master_end(struct master *m, pid_t pid)
{
	static uint8_t b[CHUNK];
	int status = 0;

	(void)unlink(m->sp->sock);
	close(m->lfd);
	while (m->nst > 0)
		stream_drop(m, &m->st[m->nst - 1]);
	(void)fcntl(m->sfd, F_SETFL, 0);
	if (!m->session_eof)
		(void)write_all(m->sfd, buf_ptr(&m->up), buf_len(&m->up), 1);
	(void)shutdown(m->sfd, SHUT_WR);
	while (read(m->sfd, b, sizeof(b)) > 0)
		;
	close(m->sfd);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	log_verbose("master ended; the session exited %d",
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_LOST;
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The session, in the master's child: the smux bytes on stdin/stdout. */
static void
run_session(struct config *c, int fd)
{
	int r;

	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1)
		exit(EXIT_CHANNEL);
	compat_closefrom(STDERR_FILENO + 1);
	signal(SIGPIPE, SIG_DFL);
	c->share = 0;
	c->share_raw = 1;
	r = session_run(c);
	exit(r);
}

/* The master, in the first ssm-proxy's child; never returns. */
static void
run_master(struct config *c, const struct share_paths *sp, int lfd,
    int logfd)
{
	struct master m;
	int fds[2], nul, r = 0;
	pid_t pid;

	(void)setsid();
	if ((nul = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(nul, STDIN_FILENO) == -1 || dup2(nul, STDOUT_FILENO) == -1 ||
	    dup2(logfd, STDERR_FILENO) == -1 || dup2(lfd, 3) == -1)
		exit(EXIT_USAGE);
	compat_closefrom(4);
	memset(&m, 0, sizeof(m));
	m.sp = sp;
	m.lfd = 3;
	m.idle_ms = (uint64_t)(c->share_idle_s != 0 ? c->share_idle_s :
	    SHARE_IDLE_DEFAULT) * 1000;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0 ||
	    pipe(m.sigfd) != 0) {
		log_error("--share: %s", strerror(errno));
		(void)unlink(sp->sock);
		exit(EXIT_USAGE);
	}
	if ((pid = fork()) == -1) {
		log_error("--share: fork: %s", strerror(errno));
		(void)unlink(sp->sock);
		exit(EXIT_USAGE);
	}
	if (pid == 0)
		run_session(c, fds[1]);
	close(fds[1]);
	m.sfd = fds[0];
	(void)fcntl(m.sfd, F_SETFL, O_NONBLOCK);
	(void)fcntl(m.sigfd[1], F_SETFL, O_NONBLOCK);
	sig_wfd = m.sigfd[1];
	catch_signals();
	log_verbose("master %ld on %s for %s:%u", (long)getpid(), sp->sock,
	    c->via_host, c->port);
	smux_init(&m.s, MAX_STREAMS);
	buf_init(&m.up, UP_MAX + CHUNK + 2 * SMUX_HDR_LEN);
	buf_init(&m.rx, CHUNK);
	m.idle_since = compat_now_ms();
	while ((r = master_pass(&m)) == 0)
		;
	r = master_end(&m, pid);
	smux_free(&m.s);
	buf_release(&m.up);
	buf_release(&m.rx);
	close(m.sigfd[0]);
	close(m.sigfd[1]);
	exit(m.sig != 0 ? 128 + m.sig : r);
}

/*
 * Under the lock: connect to a master, or become one (a socket that
 * refuses connections is stale: its master is gone).  The socket, or -1.
 */
static int
connect_or_start(struct config *c, const struct share_paths *sp)
{
	int fd, lfd, logfd;
	pid_t pid;

	if ((fd = share_connect(sp->sock)) != -1)
		return fd;
	if (errno != ENOENT && errno != ECONNREFUSED) {
		log_error("--share: %s: %s", sp->sock, strerror(errno));
		return -1;
	}
	(void)unlink(sp->sock);
	if ((lfd = share_listen(sp->sock)) == -1)
		return -1;
	if ((logfd = open(sp->log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		log_error("--share: %s: %s", sp->log, strerror(errno));
		goto fail;
	}
	if ((pid = fork()) == -1) {
		log_error("--share: fork: %s", strerror(errno));
		close(logfd);
		goto fail;
	}
	if (pid == 0)
		run_master(c, sp, lfd, logfd);
	log_verbose("started a shared session master (pid %ld)", (long)pid);
	close(logfd);
	close(lfd);
	if ((fd = share_connect(sp->sock)) == -1)
		log_error("--share: %s: %s", sp->sock, strerror(errno));
	return fd;
fail:
	(void)unlink(sp->sock);
	close(lfd);
	return -1;
}

int
share_run(struct config *c)
{
	struct share_paths sp;
	int fd, lockfd;

	if (share_paths(c, &sp) != 0)
		return EXIT_USAGE;
	if ((fd = share_connect(sp.sock)) != -1) {
		log_verbose("sharing the session of %s", sp.sock);
		return relay(fd, &sp);
	}
	if ((lockfd = open(sp.lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1 || flock(lockfd, LOCK_EX) != 0) {
		log_error("--share: %s: %s", sp.lock, strerror(errno));
		if (lockfd != -1)
			close(lockfd);
		return EXIT_USAGE;
	}
	fd = connect_or_start(c, &sp);
	close(lockfd);
	if (fd == -1)
		return EXIT_USAGE;
	return relay(fd, &sp);
}
