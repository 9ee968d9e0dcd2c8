/*
 * Minimal TAP test harness for the unit tests.
 *
 * Each test binary calls the CHECK* macros and ends main() with
 * "return test_done();", which prints the TAP plan and a summary line
 * "# N passed, N failed" that tests/run collects.
 */
#ifndef SP_TEST_H
#define SP_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static int test_n, test_failed;

static __attribute__((unused)) void
test_ok(int cond, const char *file, int line, const char *what)
{
	test_n++;
	if (cond)
		printf("ok %d - %s\n", test_n, what);
	else {
		test_failed++;
		printf("not ok %d - %s (%s:%d)\n", test_n, what, file, line);
	}
	fflush(stdout);
}

#define CHECK(cond, what)	test_ok(!!(cond), __FILE__, __LINE__, (what))
#define CHECK_EQ(a, b, what)	do {					\
	long long _a = (long long)(a), _b = (long long)(b);		\
	test_ok(_a == _b, __FILE__, __LINE__, (what));			\
	if (_a != _b)							\
		printf("#   got %lld, want %lld\n", _a, _b);		\
} while (0)
#define CHECK_STR(a, b, what)	do {					\
	const char *_a = (a), *_b = (b);				\
	int _eq = _a != NULL && _b != NULL && strcmp(_a, _b) == 0;	\
	test_ok(_eq, __FILE__, __LINE__, (what));			\
	if (!_eq)							\
		printf("#   got \"%s\"\n#  want \"%s\"\n",		\
		    _a ? _a : "(null)", _b ? _b : "(null)");		\
} while (0)
#define CHECK_MEM(a, alen, b, blen, what)	do {			\
	size_t _al = (alen), _bl = (blen);				\
	int _eq = _al == _bl && (_al == 0 || memcmp((a), (b), _al) == 0); \
	test_ok(_eq, __FILE__, __LINE__, (what));			\
	if (!_eq)							\
		printf("#   lengths %zu and %zu differ or bytes differ\n", \
		    _al, _bl);						\
} while (0)

static __attribute__((unused)) int
test_done(void)
{
	printf("1..%d\n# %d passed, %d failed\n", test_n,
	    test_n - test_failed, test_failed);
	return test_failed == 0 ? 0 : 1;
}

/* Decode a hex string into a malloc'd buffer; aborts on bad input. */
static __attribute__((unused)) uint8_t *
test_unhex(const char *hex, size_t *lenp)
{
	size_t n = strlen(hex), i;
	uint8_t *p;
	unsigned int v;

	if (n % 2 != 0 || (p = malloc(n / 2 + 1)) == NULL)
		abort();
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			abort();
		p[i] = (uint8_t)v;
	}
	*lenp = n / 2;
	return p;
}

/* Deterministic xorshift PRNG for tests. */
static uint64_t test_rng_state = 0x9e3779b97f4a7c15ULL;

static __attribute__((unused)) uint64_t
test_rand(void)
{
	uint64_t x = test_rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return test_rng_state = x;
}

#endif /* SP_TEST_H */
