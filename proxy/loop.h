/*
 * The one event loop: libwebsockets' own, with file descriptors that are
 * not websockets (stdin, stdout, libcurl's sockets) watched through it and
 * timers on its scheduler.  Nothing in ssm-proxy blocks outside it.
 *
 * A watched descriptor is duplicated and the duplicate is adopted by lws as
 * a raw file, so lws never closes a descriptor it does not own; readiness
 * is reported through the callback.  Watches are level-triggered: a
 * callback keeps coming while the condition holds and is asked for.
 */
#ifndef SSM_LOOP_H
#define SSM_LOOP_H

#include <stdint.h>

#include <libwebsockets.h>

#define LOOP_IN		0x01
#define LOOP_OUT	0x02
#define LOOP_HUP	0x04	/* lws gave up on the descriptor */

/*
 * lws's per-thread scratch buffer (pt_serv_buf_size), in which it builds
 * a client's request: room for a 16 KiB StreamUrl and the signature
 * headers (wsconn.c, wsconn_put_long_path()).
 */
#define LOOP_SERV_BUF_SIZE	(32 * 1024)

struct loop;
struct loop_watch;

/*
 * The loop's own vhost carries raw descriptors only: websockets get a vhost
 * of their own (wsconn.c), with their TLS context and proxy.
 */
struct loop_params {
	/* The lws context's user data. */
	void		*user;
};

typedef void (*loop_io_cb)(void *arg, int fd, int events);
typedef void (*loop_timer_cb)(void *arg);

struct loop_timer {
	lws_sorted_usec_list_t	 sul;	/* first: the callback finds us */
	struct loop		*loop;
	loop_timer_cb		 cb;
	void			*arg;
	/* On the loop's timer descriptor (loop.c): */
	struct loop_timer	*next;	/* armed, soonest first */
	uint64_t		 due_us;
	uint64_t		 seq;	/* when set: later ones wait a pass */
	int			 armed;
};

/* New loop; NULL with *errmsg set (static text) on failure. */
struct loop *loop_new(const struct loop_params *p, const char **errmsg);
/* Stop watching, drop timers' owner; frees everything. NULL is a no-op. */
void	loop_free(struct loop *l);
struct lws_context *loop_context(struct loop *l);
struct lws_vhost *loop_vhost(struct loop *l);

/* Service events until loop_stop(); returns 0, or -1 on an lws failure. */
int	loop_run(struct loop *l);
/*
 * Call fn(arg) after every pass of the loop (every batch of events, every
 * wake-up): the place to reconcile state once instead of in each callback.
 */
void	loop_set_after(struct loop *l, void (*fn)(void *), void *arg);
/* Make loop_run() return after the current event; safe from callbacks. */
void	loop_stop(struct loop *l);
/* Wake the loop from a signal handler (async-signal-safe). */
void	loop_wake(struct loop *l);

/* Watch fd (not taken over; the caller still owns and closes it). */
struct loop_watch *loop_watch_new(struct loop *l, int fd, loop_io_cb cb,
	    void *arg);
/* Which of LOOP_IN and LOOP_OUT to report from now on. */
void	loop_watch_set(struct loop_watch *w, int events);
/* Stop watching; safe inside the watch's own callback. NULL is a no-op. */
void	loop_watch_free(struct loop_watch *w);

/* (Re)arm t to call cb(arg) after ms milliseconds; cancels a pending run. */
void	loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t ms,
	    loop_timer_cb cb, void *arg);
void	loop_timer_cancel(struct loop_timer *t);

/* Monotonic milliseconds. */
uint64_t loop_now_ms(void);

#endif /* SSM_LOOP_H */
