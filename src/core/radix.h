/*
 * radix.h: a stable radix sort of 64-bit keys, each carrying an item (an
 * index), and the keys that put doubles and int64s in order (internal).
 *
 * The profile sorts every numeric column to take its quantiles and rank
 * its values: a million doubles took a quarter of a second through qsort
 * and a compare callback, and a few tens of milliseconds here.
 */
#ifndef LATHE_CORE_RADIX_H
#define LATHE_CORE_RADIX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lathe/core.h"

/* A key that orders doubles as < does; -0 and +0 get the same key. NaN is not ordered. */
static inline uint64_t lathe__double_key(double value)
{
    uint64_t bits;
    value += 0.0; /* -0 + 0 is +0 */
    memcpy(&bits, &value, sizeof bits);
    return bits >> 63 ? ~bits : bits | UINT64_C(1) << 63;
}

/* A key that orders int64s as < does. */
static inline uint64_t lathe__int64_key(int64_t value)
{
    return (uint64_t)value ^ UINT64_C(1) << 63;
}

static inline int64_t lathe__int64_from_key(uint64_t key)
{
    return (int64_t)(key ^ UINT64_C(1) << 63);
}

/*
 * Sorts keys[0..n) ascending, moving items[i] with keys[i] (items and
 * item_scratch may both be NULL); equal keys keep their order. The scratch
 * arrays hold n each.
 */
void lathe__radix_sort(uint64_t *keys, size_t *items, size_t n, uint64_t *key_scratch,
                       size_t *item_scratch);

/*
 * Sorts doubles ascending, bit for bit what qsort with < would give except
 * that -0 comes before +0; no NaN. Falls back to qsort when the scratch
 * (16 bytes a value) cannot be had.
 */
void lathe__sort_doubles(lathe_ctx *ctx, double *values, size_t n);

#endif
