/*
 * Unit tests for protocol/backoff.c: the one backoff formula behind the
 * API retries, the websocket reconnects and --wait-connected.
 */
#include "test.h"
#include "backoff.h"

int
main(void)
{
	const struct backoff api = { 100, 20000, BACKOFF_FULL };
	const struct backoff ws = { 100, 8000, BACKOFF_ADD_HALF };
	const struct backoff wait = { 1000, 8000, BACKOFF_NONE };
	uint64_t max, d, t;
	unsigned int n;
	uint32_t r;
	int ok;

	/* The step doubles from the base and stops at the cap. */
	CHECK_EQ(backoff_ms(&wait, 0, 12345), 1000, "none: attempt 0 = base");
	CHECK_EQ(backoff_ms(&wait, 1, 0), 2000, "none: attempt 1 doubles");
	CHECK_EQ(backoff_ms(&wait, 3, 0), 8000, "none: attempt 3 = cap");
	CHECK_EQ(backoff_ms(&wait, 4, 0), 8000, "none: attempt 4 held at cap");
	CHECK_EQ(backoff_ms(&wait, 4000000000u, 0), 8000,
	    "none: a huge attempt number neither overflows nor loops long");

	/* Full jitter: uniform in [0, step]. */
	CHECK_EQ(backoff_ms(&api, 0, 0), 0, "full: rnd 0 gives 0");
	CHECK_EQ(backoff_ms(&api, 0, 100), 100, "full: rnd = step gives step");
	CHECK_EQ(backoff_ms(&api, 0, 101), 0, "full: reduced modulo step + 1");
	ok = 1;
	for (n = 0; n < 12; n++) {
		max = 100ULL << n;
		if (max > 20000)
			max = 20000;
		for (r = 0; r < 70000; r += 997)
			if (backoff_ms(&api, n, r * 2654435761u) > max)
				ok = 0;
		if (backoff_ms(&api, n, (uint32_t)max) != max)
			ok = 0;
	}
	CHECK(ok, "full: never above the step, and reaches it");

	/* Up to half again: [step, step + step * 255 / 512]. */
	CHECK_EQ(backoff_ms(&ws, 0, 0), 100, "half: rnd 0 gives the step");
	CHECK_EQ(backoff_ms(&ws, 0, 255), 149, "half: rnd 255 adds 49%");
	CHECK_EQ(backoff_ms(&ws, 0, 256), 100, "half: only rnd's low byte");
	CHECK_EQ(backoff_ms(&ws, 7, 0), 8000, "half: capped step");
	CHECK_EQ(backoff_ms(&ws, 7, 255), 11984, "half: jitter on the cap");

	/* Bounded by time: full jitter, cut to what is left of the budget. */
	CHECK_EQ(backoff_within(&api, 0, 100, 0, 60000, &d), 0,
	    "within: inside the budget");
	CHECK_EQ(d, 100, "within: the full-jitter delay itself");
	CHECK_EQ(backoff_within(&api, 20, 20000, 59000, 60000, &d), 0,
	    "within: 1 s left");
	CHECK_EQ(d, 1000, "within: a 20 s delay cut to the 1 s left");
	CHECK_EQ(backoff_within(&api, 20, 0, 59000, 60000, &d), 0,
	    "within: rnd 0 near the end");
	CHECK_EQ(d, 0, "within: rnd 0 gives 0 even near the end");
	CHECK_EQ(backoff_within(&api, 0, 5, 60000, 60000, &d), -1,
	    "within: the budget spent exactly");
	CHECK_EQ(backoff_within(&api, 0, 5, 61000, 60000, &d), -1,
	    "within: past the budget");
	ok = 1;
	for (n = 0, t = 0; n < 1000; n++) {
		if (backoff_within(&api, n, (uint32_t)n * 2654435761u, t,
		    60000, &d) != 0)
			break;
		max = 100ULL << (n < 10 ? n : 10);
		if (d > (max > 20000 ? 20000 : max) || t + d > 60000)
			ok = 0;
		t += d + 1;	/* each attempt takes 1 ms */
	}
	CHECK(ok, "within: every delay in [0, step], none past 60 s");
	CHECK(n < 1000 && t >= 60000, "within: a run of retries ends when "
	    "60 s have passed");
	return test_done();
}
