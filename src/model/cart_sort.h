/*
 * cart_sort.h: radix sorts for exact tree splits (internal); see cart_sort.c.
 */
#ifndef LATHE_MODEL_CART_SORT_H
#define LATHE_MODEL_CART_SORT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Sorts keys packed as (code << 32 | row) by code, code < 2^code_bits; rows
 * of equal codes stay in their input order (or row order for short runs).
 * tmp holds n keys.
 */
void lathe__cart_sort_codes(uint64_t *keys, size_t n, unsigned code_bits, uint64_t *tmp);

/* Sorts n (key, row) pairs by key, stable; the tmp arrays hold n each. */
void lathe__cart_sort_pairs(uint64_t *keys, uint32_t *rows, size_t n, uint64_t *tmp_keys,
                            uint32_t *tmp_rows);

/* A key whose unsigned order is the order of the (non-NaN) double; -0.0 keys as 0.0. */
uint64_t lathe__cart_double_key(double value);

#endif
