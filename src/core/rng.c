/*
 * rng.c: xoshiro256** seeded by splitmix64, and the draws built on it.
 *
 * The generator and the seeding follow the reference code at
 * https://prng.di.unimi.it/ exactly, so test vectors from there apply.
 */
#include <math.h>

#include "core/rng.h"

#include "core/banned.h"

static uint64_t rotate_left(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64_next(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void lathe__rng_seed(lathe__rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->state[i] = splitmix64_next(&x);
}

uint64_t lathe__rng_next(lathe__rng *rng)
{
    uint64_t *s = rng->state;
    uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

double lathe__rng_uniform(lathe__rng *rng)
{
    return (double)(lathe__rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t lathe__rng_below(lathe__rng *rng, uint64_t bound)
{
    unsigned __int128 product = (unsigned __int128)lathe__rng_next(rng) * bound;
    uint64_t low = (uint64_t)product;
    if (low < bound) {
        /* (2^64 - bound) mod bound: products below it would bias the result */
        uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            product = (unsigned __int128)lathe__rng_next(rng) * bound;
            low = (uint64_t)product;
        }
    }
    return (uint64_t)(product >> 64);
}

double lathe__rng_normal(lathe__rng *rng)
{
    /* 1 - u lies in (0, 1], so the logarithm is finite */
    double radius = sqrt(-2.0 * log(1.0 - lathe__rng_uniform(rng)));
    double angle = 2.0 * M_PI * lathe__rng_uniform(rng);
    return radius * cos(angle);
}

void lathe__rng_shuffle(lathe__rng *rng, size_t *items, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)lathe__rng_below(rng, i);
        size_t swap = items[i - 1];
        items[i - 1] = items[j];
        items[j] = swap;
    }
}
