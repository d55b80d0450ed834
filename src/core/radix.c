/*
 * radix.c: least-significant digit first, 11 bits a pass (six passes for
 * 64 bits, with counts for all of them taken in one read of the keys); a
 * pass whose digit is the same for every key is skipped, so small
 * integers and narrow ranges sort in two or three passes.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "core/internal.h"
#include "core/radix.h"

#include "core/banned.h"

#define DIGIT_BITS 11
#define BUCKETS (1u << DIGIT_BITS)
#define PASSES ((64 + DIGIT_BITS - 1) / DIGIT_BITS)

static inline unsigned digit(uint64_t key, unsigned pass)
{
    return (unsigned)(key >> (pass * DIGIT_BITS)) & (BUCKETS - 1);
}

void lathe__radix_sort(uint64_t *keys, size_t *items, size_t n, uint64_t *key_scratch,
                       size_t *item_scratch)
{
    if (n < 2)
        return;
    size_t counts[PASSES][BUCKETS]; /* 96 KB */
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++) {
        for (unsigned pass = 0; pass < PASSES; pass++)
            counts[pass][digit(keys[i], pass)]++;
    }
    uint64_t *from_keys = keys, *to_keys = key_scratch;
    size_t *from_items = items, *to_items = item_scratch;
    for (unsigned pass = 0; pass < PASSES; pass++) {
        size_t *count = counts[pass];
        if (count[digit(keys[0], pass)] == n)
            continue; /* one bucket holds every key: the order stands */
        size_t at = 0;
        for (unsigned b = 0; b < BUCKETS; b++) {
            size_t c = count[b];
            count[b] = at;
            at += c;
        }
        if (items) {
            for (size_t i = 0; i < n; i++) {
                size_t to = count[digit(from_keys[i], pass)]++;
                to_keys[to] = from_keys[i];
                to_items[to] = from_items[i];
            }
        } else {
            for (size_t i = 0; i < n; i++)
                to_keys[count[digit(from_keys[i], pass)]++] = from_keys[i];
        }
        uint64_t *swap_keys = from_keys;
        from_keys = to_keys;
        to_keys = swap_keys;
        size_t *swap_items = from_items;
        from_items = to_items;
        to_items = swap_items;
    }
    if (from_keys != keys) {
        memcpy(keys, from_keys, n * sizeof *keys);
        if (items)
            memcpy(items, from_items, n * sizeof *items);
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void lathe__sort_doubles(lathe_ctx *ctx, double *values, size_t n)
{
    if (n < 2)
        return;
    /* written before read: no need to clear them */
    uint64_t *keys = lathe__realloc_array(ctx, NULL, n, sizeof *keys);
    uint64_t *scratch = lathe__realloc_array(ctx, NULL, n, sizeof *scratch);
    if (!keys || !scratch) { /* no room to spare: the slow way, in place */
        lathe__free(ctx, keys);
        lathe__free(ctx, scratch);
        qsort(values, n, sizeof *values, compare_doubles);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &values[i], sizeof bits);
        keys[i] = bits >> 63 ? ~bits : bits | UINT64_C(1) << 63; /* -0 stays below +0 */
    }
    lathe__radix_sort(keys, NULL, n, scratch, NULL);
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = keys[i] >> 63 ? keys[i] & ~(UINT64_C(1) << 63) : ~keys[i];
        memcpy(&values[i], &bits, sizeof bits);
    }
    lathe__free(ctx, keys);
    lathe__free(ctx, scratch);
}
