/*
 * trace-replay FILE...: feed the frames a --trace file recorded through
 * protocol/chan again and check that the channel decides as recorded.
 *
 * Received frames are made anew from their recorded header fields:
 * stream payloads of the recorded length (fresh digests), JSON for the
 * handshake, acknowledgements and channel_closed from the recorded
 * fields, a flipped digest or a cut frame for what was dropped.  Frames we
 * sent are replayed as chan_send() (or chan_terminate()) of the recorded
 * length, so that the agent's acknowledgements meet the same messages;
 * "stdout" lines consume what was written, "ws reopen" reconnects.  Each
 * received frame's decision, acknowledgement and channel state, and each
 * buffered message delivered later ("drained"), must come out as
 * recorded, in the recorded order.
 *
 * Exit 0: every decision as recorded (one summary line per file); 1: a
 * difference ("FILE:LINE: ..."); 2: a file that is not a usable trace.
 * Built with TRACE_REPLAY_NO_MAIN, replay_text() is the fuzz target's.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "json.h"
#include "msg.h"
#include "payload.h"

#define RP_WINDOW_MAX	(16 * 1024 * 1024)	/* windows, stdout_max */
#define RP_FRAME_MAX	(2 * 1024 * 1024)	/* max_frame */
#define RP_SLOTS_MAX	65536			/* send_window / chunk */
#define RP_CHUNK_MAX	65536			/* chunk_size */
#define RP_DIGEST_OFF	80			/* PayloadDigest in a frame */

enum { RP_OK = 0, RP_DIFF = 1, RP_BAD = 2 };

struct rp_obs {
	enum chan_decision	 d;
	int64_t			 seq;
	int			 acked;
	enum chan_state		 state;
};

struct rp {
	struct chan		*c;
	struct chan_params	 p;
	struct rp_obs		*q;		/* observed, not yet matched */
	size_t			 qh, qn, qcap;
	int			 qfull;
	int64_t			 out_next;	/* next new stream seq of ours */
	uint64_t		 now;
	uint64_t		 rnd;
	size_t			 line;
	unsigned long		 in, out, drained;
	char			 why[256];
};

static void
rp_random(void *arg, void *p, size_t len)
{
	struct rp *r = arg;
	uint8_t *o = p;
	size_t i;

	for (i = 0; i < len; i++) {
		r->rnd = r->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
		o[i] = (uint8_t)(r->rnd >> 56);
	}
	o[0] |= 1;	/* never a nil UUID */
}

static void
rp_observe(void *arg, const struct chan_event *ev)
{
	struct rp *r = arg;
	struct rp_obs *nq;

	if (r->qh > 0 && r->qh == r->qn)
		r->qh = r->qn = 0;
	if (r->qn == r->qcap) {
		if (r->qcap >= RP_SLOTS_MAX * 2 || (nq = realloc(r->q,
		    (r->qcap ? r->qcap * 2 : 64) * sizeof(*nq))) == NULL) {
			r->qfull = 1;
			return;
		}
		r->q = nq;
		r->qcap = r->qcap ? r->qcap * 2 : 64;
	}
	r->q[r->qn].d = ev->decision;
	r->q[r->qn].seq = ev->seq;
	r->q[r->qn].acked = ev->acked;
	r->q[r->qn].state = ev->state;
	r->qn++;
}

static int rp_fail(struct rp *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
rp_fail(struct rp *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return code;
}

/* A member that must be an integer in [min, max]. */
static int
rp_int(const struct json *j, const char *k, int64_t min, int64_t max,
    int64_t *v)
{
	return json_get_int(j, k, v) == 0 && *v >= min && *v <= max ? 0 : -1;
}

static const char *
rp_str(const struct json *j, const char *k)
{
	const char *s;

	return json_get_str(j, k, &s) == 0 ? s : NULL;
}

static int
rp_chan(struct rp *r, const struct json *j)
{
	int64_t cs, sw, rw, so, mf;

	if (r->c != NULL)
		return rp_fail(r, RP_BAD, "a second chan line");
	if (rp_int(j, "chunk_size", 1, RP_CHUNK_MAX, &cs) != 0 ||
	    rp_int(j, "send_window", 1, RP_WINDOW_MAX, &sw) != 0 ||
	    rp_int(j, "recv_window", 0, RP_WINDOW_MAX, &rw) != 0 ||
	    rp_int(j, "stdout_max", 1, RP_WINDOW_MAX, &so) != 0 ||
	    rp_int(j, "max_frame", MSG_OVERHEAD, RP_FRAME_MAX, &mf) != 0 ||
	    sw / cs > RP_SLOTS_MAX)
		return rp_fail(r, RP_BAD, "chan line: missing or implausible "
		    "limits");
	chan_params_default(&r->p);
	r->p.random = rp_random;
	r->p.random_arg = r;
	r->p.chunk_size = (size_t)cs;
	r->p.send_window = (size_t)sw;
	r->p.recv_window = (size_t)rw;
	r->p.stdout_max = (size_t)so;
	r->p.max_frame = (size_t)mf;
	r->p.observe = rp_observe;
	r->p.observe_arg = r;
	if ((r->c = chan_new(&r->p, r->now)) == NULL)
		return rp_fail(r, RP_BAD, "chan line: limits the channel "
		    "refuses");
	return RP_OK;
}

/* ActionParameters of a SessionType action: the type and a port. */
static int
rp_session_type(struct json_writer *w, const char *type)
{
	return json_w_key(w, "ActionParameters") || json_w_obj_open(w) ||
	    json_w_key(w, "SessionType") ||
	    json_w_str(w, type != NULL ? type : "") ||
	    json_w_key(w, "Properties") || json_w_obj_open(w) ||
	    json_w_key(w, "portNumber") || json_w_str(w, "22") ||
	    json_w_obj_close(w) || json_w_obj_close(w);
}

/* The payload of a received frame, made from what the trace recorded. */
static int
rp_payload(struct rp *r, const struct json *j, const char *type,
    int64_t pt, int64_t len, struct buf *pl)
{
	struct json_writer *w = NULL;
	const struct json *acts;
	struct pl_ack a;
	const char *s;
	int64_t v;
	size_t i;
	int e = 0;

	if (strcmp(type, MSG_ACKNOWLEDGE) == 0) {
		if (rp_int(j, "ack_seq", 0, INT64_MAX, &v) != 0)
			return 0;	/* unreadable ack: no payload */
		memset(&a, 0, sizeof(a));
		a.message_type = (char *)(uintptr_t)MSG_INPUT_STREAM;
		a.message_id = (char *)(uintptr_t)
		    "11111111-2222-4333-8444-555555555555";
		a.sequence_number = v;
		a.is_sequential = 1;
		return pl_encode_ack(pl, &a);
	}
	if (strcmp(type, MSG_OUTPUT_STREAM) != 0 &&
	    strcmp(type, MSG_CHANNEL_CLOSED) != 0) {
		for (i = 0; i < (size_t)len; i++)
			if (buf_put_u8(pl, 0) != 0)
				return SP_ERR_NO_SPACE;
		return 0;
	}
	if ((w = json_writer_new()) == NULL)
		return SP_ERR_ALLOC;
	if (strcmp(type, MSG_CHANNEL_CLOSED) == 0) {
		e = json_w_obj_open(w) || json_w_key(w, "SchemaVersion") ||
		    json_w_int(w, 1) || json_w_key(w, "Output") ||
		    json_w_str(w, "") || json_w_obj_close(w);
	} else if (pt == PT_HANDSHAKE_REQUEST) {
		s = rp_str(j, "agent_version");
		e = json_w_obj_open(w) || json_w_key(w, "AgentVersion") ||
		    json_w_str(w, s != NULL ? s : "") ||
		    json_w_key(w, "RequestedClientActions") ||
		    json_w_arr_open(w);
		acts = json_get(j, "actions");
		for (i = 0; acts != NULL && acts->type == JSON_ARRAY &&
		    i < acts->n && i < PL_MAX_ACTIONS; i++) {
			if (acts->v[i]->type != JSON_STRING)
				continue;
			e = e || json_w_obj_open(w) ||
			    json_w_key(w, "ActionType") ||
			    json_w_str(w, acts->v[i]->s);
			if (strcmp(acts->v[i]->s, PL_ACTION_SESSION_TYPE) == 0)
				e = e || rp_session_type(w,
				    rp_str(j, "session_type"));
			e = e || json_w_obj_close(w);
		}
		e = e || json_w_arr_close(w) || json_w_obj_close(w);
	} else if (pt == PT_HANDSHAKE_COMPLETE) {
		e = json_w_obj_open(w) ||
		    json_w_key(w, "HandshakeTimeToComplete") ||
		    json_w_int(w, 1000000) || json_w_key(w, "CustomerMessage") ||
		    json_w_str(w, "") || json_w_obj_close(w);
	} else {
		json_writer_free(w);
		for (i = 0; i < (size_t)len; i++)
			if (buf_put_u8(pl, (uint8_t)('a' + i % 26)) != 0)
				return SP_ERR_NO_SPACE;
		return 0;
	}
	e = e ? SP_ERR_STATE : json_w_finish(w, pl);
	json_writer_free(w);
	return e;
}

static int
rp_frame_in(struct rp *r, const struct json *j)
{
	const char *type, *dec, *dig, *st;
	struct buf pl, f;
	struct msg_out o;
	struct rp_obs ob;
	uint8_t id[MSG_UUID_LEN];
	int64_t seq = 0, flags = 0, pt = 0, len = 0;
	int acked, e, want_acked, rc = RP_OK;

	type = rp_str(j, "type");
	dec = rp_str(j, "decision");
	dig = rp_str(j, "digest");
	st = rp_str(j, "state");
	if (type == NULL || dec == NULL || st == NULL ||
	    json_get_bool(j, "acked", &want_acked) != 0 ||
	    strlen(type) > MSG_TYPE_LEN)
		return rp_fail(r, RP_BAD, "a received frame without type, "
		    "decision, acked or state");
	(void)!rp_int(j, "seq", INT64_MIN, INT64_MAX, &seq);
	(void)!rp_int(j, "flags", 0, INT64_MAX, &flags);
	(void)!rp_int(j, "pt", 0, UINT32_MAX, &pt);
	if (rp_int(j, "len", 0, UINT32_MAX, &len) != 0)
		len = 0;
	if (len > (int64_t)r->p.max_frame)
		len = (int64_t)r->p.max_frame + 1;	/* still too large */
	if (type[0] == '\0')
		type = MSG_OUTPUT_STREAM;
	buf_init(&pl, RP_FRAME_MAX * 2);
	buf_init(&f, RP_FRAME_MAX * 3);
	if ((e = rp_payload(r, j, type, pt, len, &pl)) != 0) {
		rc = rp_fail(r, RP_BAD, "cannot make the payload: %s",
		    sp_err_str(e));
		goto out;
	}
	rp_random(r, id, sizeof(id));
	msg_uuid_make_v4(id);
	memset(&o, 0, sizeof(o));
	o.message_type = type;
	o.sequence_number = seq;
	o.flags = (uint64_t)flags;
	o.created_date = r->now + 1;
	o.message_id = id;
	o.payload_type = (uint32_t)pt;
	o.payload = buf_ptr(&pl);
	o.payload_length = buf_len(&pl);
	if ((e = msg_encode(&f, &o)) != 0) {
		rc = rp_fail(r, RP_BAD, "cannot make the frame: %s",
		    sp_err_str(e));
		goto out;
	}
	/* What the channel dropped as invalid is made invalid again. */
	if (strcmp(dec, "dropped") == 0 && seq >= 0 &&
	    (size_t)len <= r->p.max_frame) {
		if (dig != NULL && strcmp(dig, "bad") == 0 &&
		    buf_len(&pl) > 0)
			((uint8_t *)(uintptr_t)buf_ptr(&f))[RP_DIGEST_OFF] ^= 1;
		else if (buf_consume_end(&f, 1) != 0) {
			rc = rp_fail(r, RP_BAD, "cannot cut the frame");
			goto out;
		}
	}
	r->in++;
	(void)chan_recv(r->c, buf_ptr(&f), buf_len(&f), r->now);
	if (r->qfull || r->qh >= r->qn) {
		rc = rp_fail(r, RP_DIFF, "seq %lld: the channel reported "
		    "nothing", (long long)seq);
		goto out;
	}
	ob = r->q[r->qh++];
	acked = ob.acked;
	if (strcmp(chan_decision_name(ob.d), dec) != 0 || ob.seq != seq) {
		snprintf(r->why, sizeof(r->why), "%s seq %lld: recorded %s, "
		    "replay %s (seq %lld)", type, (long long)seq, dec,
		    chan_decision_name(ob.d), (long long)ob.seq);
		rc = RP_DIFF;
	} else if (acked != want_acked) {
		snprintf(r->why, sizeof(r->why), "%s seq %lld: recorded "
		    "acked %d, replay %d", type, (long long)seq, want_acked,
		    acked);
		rc = RP_DIFF;
	} else if (strcmp(chan_state_name(ob.state), st) != 0) {
		snprintf(r->why, sizeof(r->why), "%s seq %lld: recorded "
		    "state %s, replay %s", type, (long long)seq, st,
		    chan_state_name(ob.state));
		rc = RP_DIFF;
	}
 out:
	buf_release(&pl);
	buf_release(&f);
	return rc;
}

/* Write everything due, as the tunnel did before this frame went out. */
static void
rp_flush(struct rp *r)
{
	const uint8_t *f;
	size_t len;

	while (chan_output(r->c, &f, &len) == 0)
		chan_output_done(r->c, r->now);
}

static int
rp_frame_out(struct rp *r, const struct json *j)
{
	static uint8_t data[RP_CHUNK_MAX];
	const char *type;
	int64_t seq, pt, len;
	int e = 0;

	type = rp_str(j, "type");
	if (type == NULL || strcmp(type, MSG_INPUT_STREAM) != 0 ||
	    rp_int(j, "seq", 0, INT64_MAX, &seq) != 0 ||
	    seq < r->out_next) {
		rp_flush(r);
		return RP_OK;	/* an ack, a resend, or unreadable */
	}
	if (rp_int(j, "pt", 0, UINT32_MAX, &pt) != 0 ||
	    rp_int(j, "len", 0, RP_CHUNK_MAX, &len) != 0)
		return rp_fail(r, RP_BAD, "a sent stream message without pt "
		    "or len");
	if (pt == PT_OUTPUT) {
		memset(data, 'x', (size_t)len);
		e = chan_send(r->c, data, (size_t)len, r->now);
	} else if (pt == PT_FLAG)
		e = chan_terminate(r->c, r->now);
	if (e != 0)
		return rp_fail(r, RP_DIFF, "sent seq %lld: the channel "
		    "would not queue it", (long long)seq);
	r->out++;
	r->out_next = seq + 1;
	rp_flush(r);
	return RP_OK;
}

static int
rp_drained(struct rp *r, const struct json *j)
{
	struct rp_obs ob;
	int64_t seq;

	if (rp_int(j, "seq", 0, INT64_MAX, &seq) != 0)
		return rp_fail(r, RP_BAD, "drained without seq");
	if (r->qfull || r->qh >= r->qn)
		return rp_fail(r, RP_DIFF, "drained seq %lld: the replay "
		    "delivered nothing from its buffer", (long long)seq);
	ob = r->q[r->qh++];
	if (ob.d != CHAN_DEC_DRAINED || ob.seq != seq) {
		snprintf(r->why, sizeof(r->why), "recorded drained seq %lld, "
		    "replay %s seq %lld", (long long)seq,
		    chan_decision_name(ob.d), (long long)ob.seq);
		return RP_DIFF;
	}
	r->drained++;
	return RP_OK;
}

static int
rp_stdout(struct rp *r, const struct json *j)
{
	const uint8_t *p;
	int64_t n;
	size_t have = chan_stdout(r->c, &p);

	if (rp_int(j, "n", 0, RP_WINDOW_MAX * 2, &n) != 0)
		return rp_fail(r, RP_BAD, "stdout without n");
	if ((size_t)n > have) {
		snprintf(r->why, sizeof(r->why), "stdout took %lld bytes, "
		    "the replay holds %zu", (long long)n, have);
		return RP_DIFF;
	}
	chan_stdout_consume(r->c, (size_t)n, r->now);
	return RP_OK;
}

static int
rp_line(struct rp *r, const char *p, size_t len)
{
	struct json *j = NULL;
	const char *ev, *s;
	int64_t t;
	int rc = RP_OK;

	if (json_parse(p, len, &j) != 0 || j->type != JSON_OBJECT ||
	    (ev = rp_str(j, "ev")) == NULL) {
		json_free(j);
		return rp_fail(r, RP_BAD, "not a trace line (a JSON object "
		    "with \"ev\")");
	}
	if (rp_int(j, "t", 0, INT64_MAX / 2, &t) == 0 && (uint64_t)t > r->now)
		r->now = (uint64_t)t;
	if (strcmp(ev, "chan") == 0)
		rc = rp_chan(r, j);
	else if (strcmp(ev, "frame") == 0 || strcmp(ev, "drained") == 0 ||
	    strcmp(ev, "stdout") == 0 || strcmp(ev, "ws") == 0) {
		if (r->c == NULL)
			rc = rp_fail(r, RP_BAD, "%s before the chan line",
			    ev);
		else if (strcmp(ev, "drained") == 0)
			rc = rp_drained(r, j);
		else if (strcmp(ev, "stdout") == 0)
			rc = rp_stdout(r, j);
		else if (strcmp(ev, "ws") == 0) {
			if ((s = rp_str(j, "what")) != NULL &&
			    strcmp(s, "reopen") == 0)
				chan_reconnected(r->c, r->now);
		} else if ((s = rp_str(j, "dir")) != NULL &&
		    strcmp(s, "in") == 0)
			rc = rp_frame_in(r, j);
		else
			rc = rp_frame_out(r, j);
	}
	json_free(j);
	return rc;
}

/* Replay a whole trace; RP_OK, RP_DIFF or RP_BAD with r->why and r->line. */
static int
replay_run(struct rp *r, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	int rc = RP_OK;

	memset(r, 0, sizeof(*r));
	r->rnd = 42;
	while (p < end && rc == RP_OK) {
		r->line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl > p)
			rc = rp_line(r, p, (size_t)(nl - p));
		p = nl + 1;
	}
	if (rc == RP_OK && r->c == NULL)
		rc = rp_fail(r, RP_BAD, "no chan line: not a trace of a "
		    "data channel");
	if (rc == RP_OK && r->qh < r->qn)
		rc = rp_fail(r, RP_DIFF, "the replay also %s seq %lld, which "
		    "the trace does not record", chan_decision_name(
		    r->q[r->qh].d), (long long)r->q[r->qh].seq);
	return rc;
}

static void
replay_free(struct rp *r)
{
	chan_free(r->c);
	free(r->q);
	r->c = NULL;
	r->q = NULL;
}

int	replay_text(const uint8_t *p, size_t len);

int
replay_text(const uint8_t *p, size_t len)
{
	struct rp r;
	int rc;

	rc = replay_run(&r, (const char *)p, len);
	replay_free(&r);
	return rc;
}

#ifndef TRACE_REPLAY_NO_MAIN
static int
replay_file(const char *path)
{
	struct rp r;
	FILE *f;
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return RP_BAD;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((text = realloc(text, cap)) == NULL) {
				fclose(f);
				fprintf(stderr, "%s: out of memory\n", path);
				return RP_BAD;
			}
		}
		if ((n = fread(text + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	rc = replay_run(&r, text, len);
	if (rc != RP_OK)
		printf("%s:%zu: %s\n", path, r.line, r.why);
	else
		printf("%s: %lu frames in, %lu stream messages out, %lu "
		    "drained: every decision as recorded; final state %s\n",
		    path, r.in, r.out, r.drained,
		    chan_state_name(chan_state(r.c)));
	replay_free(&r);
	free(text);
	return rc;
}

int
main(int argc, char **argv)
{
	int i, rc, worst = RP_OK;

	if (argc < 2) {
		fprintf(stderr, "usage: trace-replay FILE...\n");
		return RP_BAD;
	}
	for (i = 1; i < argc; i++)
		if ((rc = replay_file(argv[i])) > worst)
			worst = rc;
	return worst;
}
#endif
