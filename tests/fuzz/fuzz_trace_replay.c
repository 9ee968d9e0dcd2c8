/*
 * The trace replay's reader (tests/traces/replay.c): any bytes as a
 * --trace file.  A difference or a refusal is fine; a crash, a leak or
 * unbounded work is not.
 */
#include <stddef.h>
#include <stdint.h>

#define TRACE_REPLAY_NO_MAIN
#include "../traces/replay.c"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)replay_text(data, size);
	return 0;
}
