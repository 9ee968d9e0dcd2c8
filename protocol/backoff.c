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
