/*
 * Fuzz target for the channel state machine: the input is a script of
 * operations, each a control byte followed, for "frame", by a 2-byte length
 * and that many bytes of websocket message.  Whatever arrives, the channel
 * must not crash, leak, or break its own invariants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
rnd(void *arg, void *p, size_t len)
{
	uint8_t *b = p;
	size_t i;
	uint32_t *s = arg;

	for (i = 0; i < len; i++) {
		*s = *s * 1103515245 + 12345;
		b[i] = (uint8_t)(*s >> 16);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t stdin_bytes[4096];
	struct chan_params p;
	struct chan *c;
	const uint8_t *f, *o;
	size_t i = 0, n, len;
	uint64_t now = 1;
	uint32_t seed = 1;
	const char *txt;

	chan_params_default(&p);
	p.random = rnd;
	p.random_arg = &seed;
	p.send_window = 16384;
	p.recv_window = 16384;
	p.stdout_max = 8192;
	p.max_frame = 65536;
	if ((c = chan_new(&p, now)) == NULL)
		abort();
	while (i < size) {
		uint8_t op = data[i++];

		switch (op % 6) {
		case 0:		/* one websocket message */
			if (size - i < 2)
				goto out;
			len = (size_t)data[i] << 8 | data[i + 1];
			i += 2;
			if (len > size - i)
				len = size - i;
			(void)!chan_recv(c, data + i, len, now);
			i += len;
			break;
		case 1:		/* stdin data */
			n = chan_send_space(c);
			if (n > sizeof(stdin_bytes))
				n = sizeof(stdin_bytes);
			n = n > 0 ? 1 + op % n : 0;
			if (n > 0 && chan_send(c, stdin_bytes, n, now) != 0)
				abort();
			break;
		case 2:		/* the websocket is writable */
			while (chan_output(c, &f, &n) == 0) {
				if (n < 120)
					abort();
				chan_output_done(c, now);
			}
			break;
		case 3:		/* stdout is writable */
			n = chan_stdout(c, &o);
			chan_stdout_consume(c, n / 2 + 1 > n ? n : n / 2 + 1,
			    now);
			break;
		case 4:		/* time passes */
			now += op;
			if (chan_deadline(c) <= now)
				chan_tick(c, now);
			break;
		case 5:
			if (op & 0x80)
				chan_reconnected(c, now);
			else if (op & 0x40)
				(void)!chan_terminate(c, now);
			else
				chan_send_eof(c);
			break;
		}
	}
 out:
	(void)chan_error(c, &txt);
	if (txt == NULL)
		abort();
	chan_free(c);
	return 0;
}
