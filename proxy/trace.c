/*
 * --trace FILE; see trace.h.  One process writes one trace: the state is
 * global, like the log's.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "msg.h"
#include "payload.h"
#include "trace.h"
#include "version.h"

#define TRACE_LINE_MAX		(64 * 1024)
#define TRACE_TEXT_MAX		128	/* remote text quoted */
#define TRACE_FIELDS_MAX	64	/* response members listed */

static int	 tr_fd = -1;
static uint64_t	 tr_t0;
static off_t	 tr_size;		/* bytes of whole lines written */
static char	 tr_reason[64];		/* why the websocket last went */

int
trace_on(void)
{
	return tr_fd != -1;
}

/* Remote text as printable ASCII, at most TRACE_TEXT_MAX bytes. */
static void
clean(char *dst, size_t dstsz, const char *src)
{
	size_t i, o = 0;

	for (i = 0; src[i] != '\0' && i < TRACE_TEXT_MAX && o + 1 < dstsz;
	    i++)
		dst[o++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[o] = '\0';
}

static void
put_int(struct json_writer *w, const char *k, int64_t v)
{
	/* Errors are sticky: json_w_finish() reports them. */
	(void)!(json_w_key(w, k) == 0 && json_w_int(w, v) == 0);
}

static void
put_str(struct json_writer *w, const char *k, const char *v)
{
	char c[TRACE_TEXT_MAX + 1];

	clean(c, sizeof(c), v);
	(void)!(json_w_key(w, k) == 0 && json_w_str(w, c) == 0);
}

static void
put_bool(struct json_writer *w, const char *k, int v)
{
	(void)!(json_w_key(w, k) == 0 && json_w_bool(w, v) == 0);
}

/* A new line: {"t":ms,"ev":ev, ...; NULL when not tracing. */
static struct json_writer *
line_begin(const char *ev)
{
	struct json_writer *w;

	if (tr_fd == -1 || (w = json_writer_new()) == NULL)
		return NULL;
	(void)!json_w_obj_open(w);
	put_int(w, "t", (int64_t)(loop_now_ms() - tr_t0));
	put_str(w, "ev", ev);
	return w;
}

static void
stop(const char *what, int e)
{
	log_error("--trace: %s: %s; tracing stopped", what, strerror(e));
	close(tr_fd);
	tr_fd = -1;
}

/* Close the object and write the line with one write(). */
static void
line_end(struct json_writer *w)
{
	struct buf b;
	size_t off;
	ssize_t n;
	int e;

	if (w == NULL)
		return;
	buf_init(&b, TRACE_LINE_MAX);
	if (json_w_obj_close(w) == 0 && json_w_finish(w, &b) == 0 &&
	    buf_put_u8(&b, '\n') == 0 && tr_fd != -1) {
		for (off = 0; off < buf_len(&b); off += (size_t)n) {
			n = write(tr_fd, buf_ptr(&b) + off, buf_len(&b) - off);
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0) {
				/* No half line left behind. */
				e = n < 0 ? errno : ENOSPC;
				(void)!ftruncate(tr_fd, tr_size);
				stop("cannot write the trace", e);
				break;
			}
		}
		if (off == buf_len(&b))
			tr_size += (off_t)off;
	}
	buf_release(&b);
	json_writer_free(w);
}

/*
 * Create path with mode 0600, or truncate it if it is a regular file of
 * ours; never through a symbolic link, never a device or a FIFO.
 */
static int
open_file(const char *path)
{
	struct stat st;
	int fd, fl;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 && errno == EEXIST) {
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
		    O_NOCTTY);
		if (fd == -1) {
			log_error("--trace %s: %s", path, errno == ELOOP ?
			    "is a symbolic link" : strerror(errno));
			return -1;
		}
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			log_error("--trace %s: not a regular file", path);
			goto fail;
		}
		if (st.st_uid != geteuid()) {
			log_error("--trace %s: owned by another user", path);
			goto fail;
		}
		if (ftruncate(fd, 0) != 0) {
			log_error("--trace %s: %s", path, strerror(errno));
			goto fail;
		}
		if ((fl = fcntl(fd, F_GETFL)) != -1)
			(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	} else if (fd == -1) {
		log_error("--trace %s: %s", path, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		return -1;
	}
	/* Exactly 0600 whatever the umask or the old file's mode. */
	if (fchmod(fd, 0600) != 0) {
		log_error("--trace %s: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
 fail:
	close(fd);
	return -1;
}

int
trace_open(const char *path)
{
	struct json_writer *w;

	if ((tr_fd = open_file(path)) == -1)
		return -1;
	tr_t0 = loop_now_ms();
	tr_size = 0;
	if ((w = line_begin("start")) != NULL) {
		put_str(w, "version", SSM_PROXY_VERSION);
		put_int(w, "format", 1);
	}
	line_end(w);
	return 0;
}

void
trace_close(int exit_code)
{
	struct json_writer *w;

	if ((w = line_begin("end")) != NULL)
		put_int(w, "exit", exit_code);
	line_end(w);
	if (tr_fd != -1)
		close(tr_fd);
	tr_fd = -1;
}

/* Each top-level member of a JSON object: name and the value's length
 * (string bytes, members of an array or object, 0 for the rest). */
static void
put_fields(struct json_writer *w, const char *body, size_t len)
{
	struct json *j = NULL;
	const struct json *v;
	size_t i;
	int64_t n;

	if (len == 0 || json_parse(body, len, &j) != 0 ||
	    j->type != JSON_OBJECT) {
		json_free(j);
		return;
	}
	(void)!json_w_key(w, "fields");
	(void)!json_w_obj_open(w);
	for (i = 0; i < j->n && i < TRACE_FIELDS_MAX; i++) {
		v = j->v[i];
		n = v->type == JSON_STRING ? (int64_t)v->slen :
		    v->type == JSON_ARRAY || v->type == JSON_OBJECT ?
		    (int64_t)v->n : 0;
		put_int(w, j->keys[i], n);
	}
	(void)!json_w_obj_close(w);
	json_free(j);
}

void
trace_api(const char *op, long status, const char *request_id,
    unsigned int attempt, uint64_t ms, const char *body, size_t len,
    const char *transport)
{
	struct json_writer *w;

	if ((w = line_begin("api")) == NULL)
		return;
	put_str(w, "op", op);
	put_int(w, "status", status);
	put_str(w, "request_id", request_id);
	put_int(w, "attempt", attempt);
	put_int(w, "ms", (int64_t)ms);
	put_int(w, "body_len", (int64_t)len);
	if (transport != NULL)
		put_str(w, "transport", transport);
	put_fields(w, body, len);
	line_end(w);
}

void
trace_chan_params(const struct chan_params *p)
{
	struct json_writer *w;

	if ((w = line_begin("chan")) == NULL)
		return;
	put_int(w, "chunk_size", (int64_t)p->chunk_size);
	put_int(w, "send_window", (int64_t)p->send_window);
	put_int(w, "recv_window", (int64_t)p->recv_window);
	put_int(w, "stdout_max", (int64_t)p->stdout_max);
	put_int(w, "max_frame", (int64_t)p->max_frame);
	line_end(w);
}

static const char *
digest_name(enum chan_digest d)
{
	return d == CHAN_DIGEST_OK ? "ok" : d == CHAN_DIGEST_BAD ? "bad" :
	    "unchecked";
}

static void
put_header(struct json_writer *w, const char *dir, const char *type,
    int64_t seq, uint64_t flags, uint32_t pt, uint32_t len)
{
	put_str(w, "dir", dir);
	put_str(w, "type", type);
	put_int(w, "seq", seq);
	put_int(w, "flags", (int64_t)flags);
	put_int(w, "pt", pt);
	put_int(w, "len", len);
}

/* A HandshakeRequest's agent version, action types and session type:
 * names, never parameters such as a KMS key id. */
static void
put_handshake(struct json_writer *w, const struct chan_event *ev)
{
	struct pl_handshake_request h;
	const char *st = NULL;
	char c[TRACE_TEXT_MAX + 1];
	size_t i;

	if (ev->payload == NULL || pl_decode_handshake_request(ev->payload,
	    ev->payload_length, &h) != 0)
		return;
	put_str(w, "agent_version", h.agent_version);
	(void)!json_w_key(w, "actions");
	(void)!json_w_arr_open(w);
	for (i = 0; i < h.n_actions; i++) {
		clean(c, sizeof(c), h.actions[i].action_type);
		(void)!json_w_str(w, c);
		if (st == NULL && h.actions[i].session_type != NULL)
			st = h.actions[i].session_type;
	}
	(void)!json_w_arr_close(w);
	if (st != NULL)
		put_str(w, "session_type", st);
	pl_handshake_request_free(&h);
}

void
trace_chan_event(void *arg, const struct chan_event *ev)
{
	struct json_writer *w;

	if (ev->decision == CHAN_DEC_DRAINED) {
		if ((w = line_begin("drained")) != NULL)
			put_int(w, "seq", ev->seq);
		line_end(w);
		return;
	}
	if ((w = line_begin("frame")) == NULL)
		return;
	put_header(w, "in", ev->message_type, ev->seq, ev->flags,
	    ev->payload_type, ev->payload_length);
	put_str(w, "digest", digest_name(ev->digest));
	put_str(w, "decision", chan_decision_name(ev->decision));
	put_bool(w, "acked", ev->acked);
	put_str(w, "state", chan_state_name(ev->state));
	if (ev->ack_seq >= 0)
		put_int(w, "ack_seq", ev->ack_seq);
	if (ev->err != 0)
		put_str(w, "err", sp_err_str(ev->err));
	if (ev->payload_type == PT_HANDSHAKE_REQUEST &&
	    strcmp(ev->message_type, MSG_OUTPUT_STREAM) == 0)
		put_handshake(w, ev);
	line_end(w);
}

void
trace_frame_out(const uint8_t *frame, size_t len)
{
	struct json_writer *w;
	struct msg m;
	int64_t s;

	if (tr_fd == -1)
		return;
	if (msg_decode(frame, len, &m) != 0) {
		if ((w = line_begin("frame")) != NULL) {
			put_str(w, "dir", "out");
			put_int(w, "len", (int64_t)len);
			put_str(w, "err", "undecodable");
		}
		line_end(w);
		return;
	}
	if ((w = line_begin("frame")) == NULL)
		return;
	put_header(w, "out", m.message_type, m.sequence_number, m.flags,
	    m.payload_type, m.payload_length);
	put_str(w, "digest", m.payload_length > 0 ? "ok" : "unchecked");
	if (strcmp(m.message_type, MSG_ACKNOWLEDGE) == 0 &&
	    pl_decode_ack_seq(m.payload, m.payload_length, &s) == 0)
		put_int(w, "ack_seq", s);
	line_end(w);
}

void
trace_stdout(size_t n)
{
	struct json_writer *w;

	if ((w = line_begin("stdout")) != NULL)
		put_int(w, "n", (int64_t)n);
	line_end(w);
}

void
trace_phase(const char *from, const char *to, const char *chan)
{
	struct json_writer *w;

	if ((w = line_begin("phase")) != NULL) {
		put_str(w, "from", from);
		put_str(w, "to", to);
		if (chan != NULL)
			put_str(w, "chan", chan);
	}
	line_end(w);
}

void
trace_ws(const char *what, const char *why)
{
	struct json_writer *w;

	if (tr_fd == -1)
		return;
	if (strcmp(what, "open") == 0 || strcmp(what, "reopen") == 0)
		tr_reason[0] = '\0';
	else if (why != NULL && tr_reason[0] == '\0')
		clean(tr_reason, sizeof(tr_reason), why);
	if ((w = line_begin("ws")) != NULL) {
		put_str(w, "what", what);
		if (why != NULL)
			put_str(w, "why", why);
	}
	line_end(w);
}

void
trace_reconnect(unsigned int attempt, uint64_t delay_ms)
{
	struct json_writer *w;

	if ((w = line_begin("reconnect")) != NULL) {
		put_str(w, "reason", tr_reason[0] != '\0' ? tr_reason :
		    "unknown");
		put_int(w, "attempt", attempt);
		put_int(w, "delay_ms", (int64_t)delay_ms);
	}
	line_end(w);
	tr_reason[0] = '\0';
}

void
trace_smux(const char *what, uint32_t sid, const char *why)
{
	struct json_writer *w;

	if (tr_fd == -1)
		return;
	if ((w = line_begin("smux")) != NULL) {
		put_str(w, "what", what);
		put_int(w, "stream", sid);
		if (why != NULL)
			put_str(w, "why", why);
	}
	line_end(w);
}
