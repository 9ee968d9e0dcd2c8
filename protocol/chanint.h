/*
 * The inside of struct chan, shared by chan.c, chanhs.c, chanrecv.c and
 * chansend.c; nothing else includes this header (chan.h is the API).
 */
#ifndef SSM_CHANINT_H
#define SSM_CHANINT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "chan.h"
#include "msg.h"

#define CTRL_MAX		(512 * 1024)	/* queued acknowledgements */
#define ACK_FRAME_MAX		1024		/* room kept for one ack */
#define OUT_RESERVED_SLOTS	8		/* handshake reply, flags */
#define IN_SLOTS_MAX		65536
#define ERRMSG_LEN		256
#define REMOTE_TEXT_MAX		64		/* remote names quoted */
#define CLOSE_OUTPUT_MAX	1024

struct out_msg {
	uint8_t		*frame;		/* NULL: slot empty or acked */
	size_t		 frame_len;
	size_t		 payload_len;	/* counted against send_window */
	uint64_t	 last_sent;
	int		 sent;
	int		 fast;		/* fast retransmit done */
};

struct in_msg {
	uint8_t		*payload;
	size_t		 len;
	uint32_t	 payload_type;
	int64_t		 seq;
	int		 present;
};

enum pending { PEND_NONE, PEND_CTRL, PEND_DATA };

struct chan {
	struct chan_params p;
	enum chan_state	 state;
	int		 err;
	char		 errmsg[ERRMSG_LEN];
	char		 agent_version[64];
	char		*customer_message;
	char		*close_output;
	int		 session_type_ok;
	int		 port_mux;	/* LocalPortForwarding accepted */
	int		 handshake_seen;
	int		 paused;
	int		 probe_due;	/* paused: chan_tick() chose a probe */
	int		 eof;
	uint64_t	 created;

	/* Outgoing stream messages. */
	struct out_msg	*out;
	size_t		 out_cap;
	int64_t		 base_seq;
	int64_t		 next_seq;
	int64_t		 send_cursor;	/* next to write in order */
	int64_t		 resend_seq;	/* overdue one to write, or -1 */
	size_t		 in_flight;	/* payload bytes held */
	uint64_t	 progress_at;	/* last ack that freed a message */
	uint64_t	 probe_at;	/* paused: since then, or last probe */
	double		 rtt, rttvar, rto;

	/* Acknowledgements owed: u32 length, frame; repeated. */
	struct buf	 ctrl;
	enum pending	 pend;
	int64_t		 pend_seq;
	size_t		 pend_len;

	/* Incoming. */
	int64_t		 expected;
	struct in_msg	*in;
	size_t		 in_cap;
	size_t		 in_bytes;
	struct buf	 stdout_buf;

	struct chan_stats st;
};

/* chan.c */
void	chan_fail(struct chan *c, int code, const char *a,
	    const char *remote, const char *b);
/* dst = a, then remote cut to REMOTE_TEXT_MAX, then b; bounded. */
void	chan_str_set3(char *dst, size_t dstsz, const char *a,
	    const char *remote, const char *b);
char	*chan_str_dup(const char *s, size_t max);
void	chan_new_message_id(struct chan *c, uint8_t id[MSG_UUID_LEN]);
uint64_t chan_created_date(const struct chan *c, uint64_t now);
/* Tell the observer of buffered messages from .. expected-1 delivered. */
void	chan_observe_drained(struct chan *c, int64_t from);

/* chanhs.c: the handshake's two messages from the agent. */
int	chan_hs_request(struct chan *c, const uint8_t *p, size_t len,
	    uint64_t now);
void	chan_hs_complete(struct chan *c, const uint8_t *p, size_t len);

/* chanrecv.c: one output_stream_data message; acks owed. */
int	chan_rx_stream(struct chan *c, const struct msg *m, uint64_t now);
int	chan_ctrl_has_room(const struct chan *c);
int	chan_queue_ack(struct chan *c, const struct msg *m, uint64_t now);

/* chansend.c: our stream messages and the agent's acks of them. */
struct out_msg *chan_out_slot(const struct chan *c, int64_t seq);
size_t	chan_out_slots_used(const struct chan *c);
int	chan_queue_stream(struct chan *c, uint32_t payload_type,
	    const void *payload, size_t len, int reserved, uint64_t now);
int	chan_tx_ack(struct chan *c, const struct msg *m, uint64_t now);

#endif /* SSM_CHANINT_H */
