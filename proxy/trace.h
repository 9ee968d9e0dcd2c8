/*
 * --trace FILE: a record of one session for a bug report, as JSON lines.
 *
 * Every line is one object with "t" (milliseconds on a monotonic clock
 * since the trace was opened) and "ev", the kind of event:
 *
 *   start	version; the first line
 *   api	op, status, request_id, attempt, ms, fields (each top-level
 *		member's name and length), or transport (curl's error text)
 *   chan	the data channel's limits (chunk_size, windows, max_frame)
 *   frame	dir "in" or "out", type, seq, flags, pt, len, digest
 *		("ok", "bad", "unchecked"), ack_seq for acknowledgements;
 *		received frames add decision, acked, state and err, and a
 *		HandshakeRequest agent_version, actions (their types) and
 *		session_type
 *   drained	seq: a buffered message delivered once the gap filled
 *   stdout	n: bytes written to standard output
 *   phase	from, to: the tunnel's phases; chan, the channel's state
 *   ws		what (open, reopen, open_data_channel, drop, lost, or the
 *		websocket's new state: idle, dialing, wait_resume, closing,
 *		closed; wsconn.h), why
 *   reconnect	reason, attempt, delay_ms
 *   end	exit: the last line
 *
 * What is never written: keys, tokens, signatures, URLs or their queries,
 * header or field values, and payload bytes.  The file is made mode 0600;
 * each line is one write(), so a killed process leaves whole lines.  A
 * failed write stops the trace with one warning; the session goes on.
 */
#ifndef SSM_TRACE_H
#define SSM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "chan.h"

/* Open (create, or truncate a regular file of ours) and start; 0, or -1
 * after one error line. */
int	trace_open(const char *path);
/* Write the "end" line and close; a no-op when not tracing. */
void	trace_close(int exit_code);
/* True while a trace is being written. */
int	trace_on(void);

/* One finished attempt of an API call; body is the response's. */
void	trace_api(const char *op, long status, const char *request_id,
	    unsigned int attempt, uint64_t ms, const char *body, size_t len,
	    const char *transport);
void	trace_chan_params(const struct chan_params *p);
/* chan_params.observe: what the channel did with a received frame. */
void	trace_chan_event(void *arg, const struct chan_event *ev);
/* A frame written to the websocket (one of chan_output()'s). */
void	trace_frame_out(const uint8_t *frame, size_t len);
void	trace_stdout(size_t n);
/* chan: the channel's state, or NULL. */
void	trace_phase(const char *from, const char *to, const char *chan);
/* Websocket events; why is fixed text or NULL.  The first why since
 * the last reconnect is the next reconnect's reason. */
void	trace_ws(const char *what, const char *why);
void	trace_reconnect(unsigned int attempt, uint64_t delay_ms);
/* --via: an smux event ("syn", "fin-sent", "fin-received", "failed") on
 * stream sid; why is fixed text or NULL. */
void	trace_smux(const char *what, uint32_t sid, const char *why);

#endif /* SSM_TRACE_H */
