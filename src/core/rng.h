/*
 * rng.h: the seeded random number generator every random choice in Lathe
 * draws from (internal).
 *
 * xoshiro256** (Blackman and Vigna, 2018): 256 bits of state, period
 * 2^256 - 1, fast, and good on every statistical test suite. The state is
 * filled from a 64-bit seed with splitmix64, as the authors recommend, so
 * any seed (0 included) gives a well-mixed start. The same seed gives the
 * same stream on every platform: nothing here depends on the C library's
 * rand() or on floating-point rounding modes.
 *
 * A lathe__rng is a plain value owned by whoever uses it; it has no hidden
 * global state, so two threads each with their own rng never interfere.
 */
#ifndef LATHE_RNG_H
#define LATHE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct lathe__rng {
    uint64_t state[4];
} lathe__rng;

/* Starts the stream for `seed`. */
void lathe__rng_seed(lathe__rng *rng, uint64_t seed);

/* The next 64 random bits. */
uint64_t lathe__rng_next(lathe__rng *rng);

/* A uniform double in [0, 1) with 53 random bits (every multiple of 2^-53 equally likely). */
double lathe__rng_uniform(lathe__rng *rng);

/*
 * A uniform integer in [0, bound), bound > 0, with no modulo bias: Lemire's
 * multiply-and-reject method ("Fast random integer generation in an
 * interval", 2019), which rejects the few low products that would favour
 * some results.
 */
uint64_t lathe__rng_below(lathe__rng *rng, uint64_t bound);

/* A standard normal draw (mean 0, variance 1) by the Box-Muller transform; uses two uniforms. */
double lathe__rng_normal(lathe__rng *rng);

/* Puts items[0..n) in a uniformly random order (Fisher-Yates). */
void lathe__rng_shuffle(lathe__rng *rng, size_t *items, size_t n);

#endif
