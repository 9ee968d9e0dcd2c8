/*
 * Unit tests for proxy/loop.c: descriptors watched through libwebsockets'
 * loop report readiness, watches can be switched and freed inside their
 * callbacks, and timers fire in order.
 */
#define _GNU_SOURCE	/* RTLD_NEXT */
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "test.h"
#include "log.h"
#include "loop.h"
#include "compat.h"

struct ctx {
	struct loop		*loop;
	struct loop_watch	*rw, *ww;
	int			 rfd, wfd;
	char			 got[64];
	size_t			 ngot;
	int			 writes, hup, fired[3], order[3], norder;
	struct loop_timer	 t[3], guard;
};

static void
on_read(void *arg, int fd, int ev)
{
	struct ctx *c = arg;
	ssize_t n;

	/* A pipe whose writer is gone polls as POLLHUP without POLLIN, so
	 * lws drops it: that is EOF too. */
	n = (ev & LOOP_HUP) ? 0 :
	    read(fd, c->got + c->ngot, sizeof(c->got) - 1 - c->ngot);
	if (n > 0)
		c->ngot += (size_t)n;
	if (n == 0) {
		/* EOF: free the watch inside its own callback. */
		loop_watch_free(c->rw);
		c->rw = NULL;
		loop_stop(c->loop);
	}
}

static void
on_write(void *arg, int fd, int ev)
{
	struct ctx *c = arg;
	static const char *parts[] = { "hello ", "event ", "loop" };

	if (c->writes < 3) {
		if (write(fd, parts[c->writes], strlen(parts[c->writes])) < 0)
			abort();
		c->writes++;
		return;
	}
	/* Free the watch (and with it lws's duplicate) inside its own
	 * callback, then close: the reader sees EOF. */
	loop_watch_free(c->ww);
	c->ww = NULL;
	close(c->wfd);
}

static void
on_timer(void *arg)
{
	int *slot = arg;

	*slot = 1;
}

static void
record(void *arg)
{
	struct ctx *c = arg;
	int i;

	for (i = 0; i < 3; i++)
		if (c->fired[i] && c->order[0] != i + 1 &&
		    c->order[1] != i + 1 && c->order[2] != i + 1)
			c->order[c->norder++] = i + 1;
}

/* lws's poll()s, counted: this definition comes before libc's. */
static int polls;

int
poll(struct pollfd *fds, nfds_t n, int ms)
{
	static int (*next)(struct pollfd *, nfds_t, int);

	if (next == NULL &&
	    (next = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT,
	    "poll")) == NULL)
		abort();
	polls++;
	return next(fds, n, ms);
}

static void
timer_stop(void *arg)
{
	struct ctx *c = arg;

	loop_stop(c->loop);
}

int
main(void)
{
	struct loop_params p;
	struct ctx c;
	const char *err;
	int fds[2], i, early = 0, most = 0, tfd;
	uint64_t t0, t1;

	log_init(LOG_ERROR);
	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	c.loop = loop_new(&p, &err);
	CHECK(c.loop != NULL, "loop_new");
	if (c.loop == NULL)
		return test_done();
	if (pipe(fds) != 0)
		abort();
	c.rfd = fds[0];
	c.wfd = fds[1];
	c.rw = loop_watch_new(c.loop, c.rfd, on_read, &c);
	c.ww = loop_watch_new(c.loop, c.wfd, on_write, &c);
	CHECK(c.rw != NULL && c.ww != NULL, "watches created");
	loop_watch_set(c.rw, LOOP_IN);
	loop_watch_set(c.ww, LOOP_OUT);
	loop_timer_set(c.loop, &c.guard, 5000, timer_stop, &c);
	CHECK_EQ(loop_run(c.loop), 0, "loop ran");
	c.got[c.ngot] = '\0';
	CHECK_STR(c.got, "hello event loop", "bytes through pipe in order");
	CHECK_EQ(c.writes, 3, "three writable callbacks used");
	CHECK(c.rw == NULL, "reader stopped at EOF");
	close(c.rfd);

	/* Timers fire in deadline order, not in the order set. */
	t0 = loop_now_ms();
	loop_timer_set(c.loop, &c.t[2], 60, on_timer, &c.fired[2]);
	loop_timer_set(c.loop, &c.t[0], 20, on_timer, &c.fired[0]);
	loop_timer_set(c.loop, &c.t[1], 40, on_timer, &c.fired[1]);
	loop_timer_cancel(&c.t[1]);
	loop_timer_set(c.loop, &c.guard, 80, timer_stop, &c);
	while (!c.fired[2] && loop_now_ms() - t0 < 5000) {
		CHECK_EQ(loop_run(c.loop), 0, "loop ran");
		record(&c);
		if (!c.fired[2])
			loop_timer_set(c.loop, &c.guard, 10, timer_stop, &c);
	}
	CHECK(c.fired[0] && c.fired[2], "timers fired");
	CHECK(!c.fired[1], "cancelled timer did not fire");
	CHECK(loop_now_ms() - t0 >= 60, "no timer fired early");

	/*
	 * Waiting for a timer takes one poll(), or two: none without a
	 * timeout for the last fraction of a millisecond, no wake-up after
	 * it fired.  Ten timers in a row, 2.5 ms each.
	 */
	for (i = 0; i < 10; i++) {
		polls = 0;
		t1 = loop_now_ms();
		loop_timer_set(c.loop, &c.guard, 2 + (i & 1), timer_stop, &c);
		CHECK_EQ(loop_run(c.loop), 0, "loop ran");
		if (loop_now_ms() - t1 < 2)
			early++;
		if (polls > most)
			most = polls;
	}
	CHECK_EQ(early, 0, "no timer fired early");
	/* Without a timer descriptor (a PORTABLE=1 build) lws's timers
	 * serve, with their spin: only the count is shown. */
	if ((tfd = compat_timer_fd()) != -1) {
		close(tfd);
		CHECK(most <= 2, "one poll() (or two) per timer");
	} else
		printf("# no timer descriptor: lws's timers\n");
	printf("# at most %d poll()s per timer\n", most);
	loop_free(c.loop);
	return test_done();
}
