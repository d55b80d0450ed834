/*
 * radix.h: stable radix sorts of 64-bit keys, and the keys that put
 * doubles and int64s in order (internal).
 *
 * Exact tree splits sort a node's codes and a feature's values; histogram
 * binning sorts a sample of each feature; the profile sorts every numeric
 * column for its quantiles and value ids, and the pipeline its medians and
 * reference histograms. A million doubles took a quarter of a second
 * through qsort and a compare callback, and a few tens of milliseconds
 * here.
 */
#ifndef LATHE_CORE_RADIX_H
#define LATHE_CORE_RADIX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lathe/core.h"

/* A key whose unsigned order is the order of the (non-NaN) double; -0 keys as +0. */
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
 * Sorts keys packed as (code << 32 | row) by code, code < 2^code_bits; rows
 * of equal codes stay in their input order (or row order for short runs).
 * tmp holds n keys.
 */
void lathe__radix_sort_codes(uint64_t *keys, size_t n, unsigned code_bits, uint64_t *tmp);

/* Sorts n (key, row) pairs by key, stable; the tmp arrays hold n each. */
void lathe__radix_sort_pairs(uint64_t *keys, uint32_t *rows, size_t n, uint64_t *tmp_keys,
                             uint32_t *tmp_rows);

/* Sorts doubles ascending (no NaN; -0 before +0); scratch holds n. */
void lathe__radix_sort_doubles(double *values, double *scratch, size_t n);

/*
 * lathe__radix_sort_doubles with scratch from the context, or qsort in
 * place when none can be had: the same order but for where -0 and +0 fall.
 */
void lathe__sort_doubles(lathe_ctx *ctx, double *values, size_t n);

#endif
