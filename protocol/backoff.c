/* Backoff before a retry (backoff.h). */
#include <stdint.h>

#include "backoff.h"

uint64_t
backoff_ms(const struct backoff *b, unsigned int n, uint32_t rnd)
{
	uint64_t step = b->base_ms;

	while (n-- > 0 && step < b->cap_ms)
		step *= 2;
	if (step > b->cap_ms)
		step = b->cap_ms;
	switch (b->jitter) {
	case BACKOFF_FULL:
		return rnd % (step + 1);
	case BACKOFF_ADD_HALF:
		return step + step * (rnd & 0xff) / 512;
	case BACKOFF_NONE:
		break;
	}
	return step;
}

int
backoff_within(const struct backoff *b, unsigned int n, uint32_t rnd,
    uint64_t elapsed_ms, uint64_t budget_ms, uint64_t *delay)
{
	uint64_t d;

	*delay = 0;
	if (elapsed_ms >= budget_ms)
		return -1;
	d = backoff_ms(b, n, rnd);
	*delay = d < budget_ms - elapsed_ms ? d : budget_ms - elapsed_ms;
	return 0;
}
