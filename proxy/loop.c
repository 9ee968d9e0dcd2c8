/* The event loop on libwebsockets; see loop.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "loop.h"

#define RAW_PROTOCOL	"ssm-raw"

struct loop_watch {
	lws_sorted_usec_list_t rearm;	/* asks for POLLOUT again */
	struct loop	*loop;
	struct lws	*wsi;
	int		 fd;		/* the caller's descriptor */
	int		 events;
	loop_io_cb	 cb;		/* NULL once freed by the caller */
	void		*arg;
};

struct loop {
	struct lws_context	*ctx;
	struct lws_vhost	*vh;
	struct lws_protocols	 protocols[2];
	int			 stop;
	void			(*after)(void *);
	void			*after_arg;
	/* Timers on one descriptor, see timers_fire(); tfd -1: lws's. */
	int			 tfd;
	struct loop_watch	*tw;
	struct loop_timer	*timers;	/* armed, soonest first */
	uint64_t		 tfd_due;	/* tfd armed for; 0: not */
	uint64_t		 seq;
};

static void	timers_init(struct loop *);
static void	timer_fire(lws_sorted_usec_list_t *);

uint64_t
loop_now_ms(void)
{
	return compat_now_ms();
}

static void
rearm_writable(lws_sorted_usec_list_t *sul)
{
	struct loop_watch *w = lws_container_of(sul, struct loop_watch,
	    rearm);

	if (w->wsi != NULL && w->cb != NULL && (w->events & LOOP_OUT))
		lws_callback_on_writable(w->wsi);
}

static int
raw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct loop_watch *w = lws_get_opaque_user_data(wsi);

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (w == NULL || w->cb == NULL)
			return -1;
		if (w->events & LOOP_IN)
			w->cb(w->arg, w->fd, LOOP_IN);
		break;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		if (w == NULL || w->cb == NULL)
			return -1;
		if (w->events & LOOP_OUT) {
			w->cb(w->arg, w->fd, LOOP_OUT);
			/*
			 * Level-triggered: ask again while still wanted.  lws
			 * clears POLLOUT after this callback returns, so the
			 * request is made from the scheduler, right after.
			 */
			if (w->cb != NULL && (w->events & LOOP_OUT))
				lws_sul_schedule(w->loop->ctx, 0, &w->rearm,
				    rearm_writable, 1);
		}
		break;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (w == NULL)
			break;
		lws_set_opaque_user_data(wsi, NULL);
		lws_sul_cancel(&w->rearm);
		if (w->cb != NULL) {
			/* lws dropped it under us (hang-up): tell the owner,
			 * who must still call loop_watch_free(). */
			w->wsi = NULL;
			w->cb(w->arg, w->fd, LOOP_HUP);
		} else
			free(w);
		break;
	default:
		break;
	}
	return 0;
}

static void
lws_log_emit(int level, const char *line)
{
	char buf[512];
	size_t n;

	/* lws lines end in a newline and carry their own timestamp. */
	n = strlen(line);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (level & LLL_ERR)
		debug("lws: %s", buf);
	else
		debug3("lws: %s", buf);
}

struct loop *
loop_new(const struct loop_params *p, const char **errmsg)
{
	struct lws_context_creation_info info;
	struct loop *l;
	int mask;

	*errmsg = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		*errmsg = "out of memory";
		return NULL;
	}
	mask = LLL_ERR | LLL_WARN;
	if (log_get_level() >= LOG_DEBUG3)
		mask |= LLL_NOTICE | LLL_INFO | LLL_CLIENT;
	lws_set_log_level(mask, lws_log_emit);

	l->protocols[0].name = RAW_PROTOCOL;
	l->protocols[0].callback = raw_callback;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = l->protocols;
	/*
	 * The vhost is made below, without client TLS: left to lws, the
	 * default vhost would get a TLS context of its own, the system's
	 * trust anchors parsed into it, that nothing here uses.
	 */
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.user = p->user;
	info.fd_limit_per_thread = 64;
	info.pt_serv_buf_size = LOOP_SERV_BUF_SIZE;
	/* No signal handling, no privileges to drop: ours to do. */
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	if ((l->ctx = lws_create_context(&info)) == NULL) {
		*errmsg = "cannot create the libwebsockets context";
		free(l);
		return NULL;
	}
	info.options = 0;
	info.vhost_name = "default";
	if ((l->vh = lws_create_vhost(l->ctx, &info)) == NULL) {
		*errmsg = "cannot create the libwebsockets vhost";
		lws_context_destroy(l->ctx);
		free(l);
		return NULL;
	}
	timers_init(l);
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	if (l->ctx != NULL)
		lws_context_destroy(l->ctx);
	if (l->tfd != -1)
		close(l->tfd);
	free(l);
}

struct lws_context *
loop_context(struct loop *l)
{
	return l->ctx;
}

struct lws_vhost *
loop_vhost(struct loop *l)
{
	return l->vh;
}

int
loop_run(struct loop *l)
{
	l->stop = 0;
	while (!l->stop) {
		if (lws_service(l->ctx, 0) < 0)
			return -1;
		if (l->after != NULL)
			l->after(l->after_arg);
	}
	return 0;
}

void
loop_set_after(struct loop *l, void (*fn)(void *), void *arg)
{
	l->after = fn;
	l->after_arg = arg;
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
	lws_cancel_service(l->ctx);
}

void
loop_wake(struct loop *l)
{
	lws_cancel_service(l->ctx);
}

struct loop_watch *
loop_watch_new(struct loop *l, int fd, loop_io_cb cb, void *arg)
{
	struct loop_watch *w;
	lws_sock_file_fd_type u;
	int dupfd;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		free(w);
		return NULL;
	}
	w->loop = l;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	memset(&u, 0, sizeof(u));
	u.filefd = dupfd;
	w->wsi = lws_adopt_descriptor_vhost(l->vh, LWS_ADOPT_RAW_FILE_DESC, u,
	    RAW_PROTOCOL, NULL);
	if (w->wsi == NULL) {
		/* lws closes the descriptor on failure. */
		free(w);
		return NULL;
	}
	lws_set_opaque_user_data(w->wsi, w);
	lws_rx_flow_control(w->wsi, 0);
	return w;
}

void
loop_watch_set(struct loop_watch *w, int events)
{
	int was = w->events;

	w->events = events;
	if (w->wsi == NULL)
		return;
	if ((was & LOOP_IN) != (events & LOOP_IN))
		lws_rx_flow_control(w->wsi, (events & LOOP_IN) != 0);
	if ((events & LOOP_OUT) && !(was & LOOP_OUT))
		lws_callback_on_writable(w->wsi);
}

void
loop_watch_free(struct loop_watch *w)
{
	if (w == NULL)
		return;
	w->cb = NULL;
	w->events = 0;
	if (w->wsi == NULL) {
		free(w);
		return;
	}
	lws_sul_cancel(&w->rearm);
	/* lws closes the duplicate on its next pass and frees w then. */
	lws_rx_flow_control(w->wsi, 0);
	lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/*
 * Timers.  lws's own (lws_sul) make poll() wait whole milliseconds,
 * rounded down, so the last fraction of every wait is spent in poll()s
 * with no timeout, a few dozen of them; and the pass that runs a timer
 * must then be ended by a wake-up (an eventfd written and read) for the
 * after-hook to run.  The channel's resend timer fires that way a
 * hundred times a second in a bulk transfer.  So where there is a timer
 * descriptor (compat_timer_fd()), the loop keeps its timers in a list
 * and arms the descriptor for the soonest: poll() sleeps exactly until
 * then, and the descriptor's readiness ends the pass as any other does.
 * Without one, lws's timers serve.
 */
static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Arm the descriptor for the soonest timer when it comes sooner than
 * what it is armed for. */
static void
timers_arm(struct loop *l, uint64_t now)
{
	uint64_t due;

	if (l->timers == NULL)
		return;		/* an early wake-up finds nothing ripe */
	due = l->timers->due_us;
	if (l->tfd_due != 0 && l->tfd_due <= due)
		return;
	/* 0 would disarm it: at least 1 us, which runs it next pass. */
	if (compat_timer_fd_arm(l->tfd, due > now ? (unsigned int)(due - now) :
	    1) == 0)
		l->tfd_due = due;
}

static void
timers_unlink(struct loop_timer *t)
{
	struct loop_timer **pp;

	for (pp = &t->loop->timers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->next = NULL;
	t->armed = 0;
}

/*
 * The descriptor expired: run what is ripe, soonest first.  A timer set
 * while they run waits for the next pass, as with lws's timers, so that
 * one re-armed at 0 ms cannot keep the loop here.
 */
static void
timers_fire(void *arg, int fd, int events)
{
	struct loop *l = arg;
	struct loop_timer *t;
	uint64_t now, seq = l->seq;

	if (events & LOOP_HUP) {
		/* Not for a timer descriptor but in lws_context_destroy():
		 * lws's timers from now on, the armed ones moved there. */
		loop_watch_free(l->tw);
		l->tw = NULL;
		now = now_us();
		while ((t = l->timers) != NULL) {
			timers_unlink(t);
			lws_sul_schedule(l->ctx, 0, &t->sul, timer_fire,
			    (lws_usec_t)(t->due_us > now ? t->due_us - now : 0));
		}
		return;
	}
	(void)compat_timer_fd_clear(fd);
	l->tfd_due = 0;
	now = now_us();
	while ((t = l->timers) != NULL && t->due_us <= now && t->seq < seq) {
		timers_unlink(t);
		t->cb(t->arg);
	}
	timers_arm(l, now_us());
}

static void
timers_init(struct loop *l)
{
	l->tw = NULL;
	if ((l->tfd = compat_timer_fd()) == -1)
		return;
	if ((l->tw = loop_watch_new(l, l->tfd, timers_fire, l)) == NULL) {
		close(l->tfd);
		l->tfd = -1;
		return;
	}
	loop_watch_set(l->tw, LOOP_IN);
}

static void
timer_fire(lws_sorted_usec_list_t *sul)
{
	struct loop_timer *t = lws_container_of(sul, struct loop_timer, sul);
	struct loop *l = t->loop;

	t->cb(t->arg);
	/*
	 * lws runs ripe timers just before it polls again, so the pass would
	 * not end (and the after-hook not run) until some descriptor stirred:
	 * wake the poll so that it does.
	 */
	lws_cancel_service(l->ctx);
}

void
loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t ms,
    loop_timer_cb cb, void *arg)
{
	struct loop_timer **pp;
	uint64_t now;

	if (t->armed)
		timers_unlink(t);
	t->loop = l;
	t->cb = cb;
	t->arg = arg;
	if (l->tw == NULL) {
		lws_sul_schedule(l->ctx, 0, &t->sul, timer_fire,
		    (lws_usec_t)ms * LWS_US_PER_MS);
		return;
	}
	now = now_us();
	t->due_us = now + ms * 1000;
	t->seq = l->seq++;
	for (pp = &l->timers; *pp != NULL && (*pp)->due_us <= t->due_us;
	    pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	t->armed = 1;
	timers_arm(l, now);
}

void
loop_timer_cancel(struct loop_timer *t)
{
	if (t->loop == NULL)
		return;
	if (t->armed)
		timers_unlink(t);
	else
		lws_sul_cancel(&t->sul);
}
