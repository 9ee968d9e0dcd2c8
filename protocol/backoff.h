/*
 * Backoff before a retry: one formula for the API calls' retries, the
 * websocket reconnects and --wait-connected.  Pure: the caller supplies
 * the randomness.
 */
#ifndef SSM_BACKOFF_H
#define SSM_BACKOFF_H

#include <stdint.h>

enum backoff_jitter {
	BACKOFF_NONE,		/* exactly the step */
	BACKOFF_FULL,		/* uniform in [0, step] (AWS "full jitter") */
	BACKOFF_ADD_HALF	/* step plus up to half of it again */
};

struct backoff {
	uint32_t		base_ms;	/* step of attempt 0 */
	uint32_t		cap_ms;		/* the step never exceeds it */
	enum backoff_jitter	jitter;
};

/*
 * Delay in milliseconds before retry number n (counted from 0): the step
 * is base_ms doubled n times, at most cap_ms, then jittered with rnd (any
 * 32 random bits; ignored for BACKOFF_NONE).
 */
uint64_t	backoff_ms(const struct backoff *b, unsigned int n, uint32_t rnd);

/*
 * The same for retries bounded by time rather than by a count: elapsed_ms
 * have passed since the first attempt, and no retry may start later than
 * budget_ms after it.  Returns 0 with *delay set to backoff_ms(b, n, rnd)
 * cut to what is left of the budget, or -1 when nothing is left.
 */
int		backoff_within(const struct backoff *b, unsigned int n,
		    uint32_t rnd, uint64_t elapsed_ms, uint64_t budget_ms,
		    uint64_t *delay);

#endif /* SSM_BACKOFF_H */
