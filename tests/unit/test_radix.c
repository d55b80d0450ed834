/*
 * test_radix.c: the radix sorts. Their order is checked against qsort on
 * random keys (with many repeats, so stability shows) and on doubles, and
 * the keys of doubles and int64s against <.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/radix.h"
#include "core/rng.h"
#include "harness.h"

typedef struct keyed {
    uint64_t key;
    uint32_t item;
} keyed;

/* By key, then by item: a stable sort of items given in ascending order. */
static int by_key_then_item(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

/* Sorts n keys drawn by `draw` and checks keys and items against qsort. */
static void check_sort(size_t n, uint64_t (*draw)(lathe__rng *), uint64_t seed)
{
    lathe__rng rng;
    lathe__rng_seed(&rng, seed);
    uint64_t *keys = malloc((n + 1) * sizeof *keys), *key_scratch = malloc((n + 1) * sizeof *keys);
    uint32_t *items = malloc((n + 1) * sizeof *items),
             *item_scratch = malloc((n + 1) * sizeof *items);
    keyed *expected = malloc((n + 1) * sizeof *expected);
    CHECK(keys && key_scratch && items && item_scratch && expected);
    for (size_t i = 0; i < n; i++) {
        keys[i] = draw(&rng);
        items[i] = (uint32_t)i;
        expected[i] = (keyed){keys[i], (uint32_t)i};
    }
    qsort(expected, n, sizeof *expected, by_key_then_item);
    lathe__radix_sort_pairs(keys, items, n, key_scratch, item_scratch);
    for (size_t i = 0; i < n; i++) {
        if (keys[i] != expected[i].key || items[i] != expected[i].item) {
            CHECK_EQ(keys[i], expected[i].key);
            CHECK_EQ(items[i], expected[i].item);
            break;
        }
    }
    free(keys);
    free(key_scratch);
    free(items);
    free(item_scratch);
    free(expected);
}

static uint64_t any_bits(lathe__rng *rng)
{
    return lathe__rng_next(rng);
}

static uint64_t few_values(lathe__rng *rng)
{
    return lathe__rng_next(rng) % 7 * UINT64_C(0x0101010101010101);
}

static uint64_t small_integers(lathe__rng *rng)
{
    return lathe__rng_next(rng) % 256;
}

static uint64_t high_bits_only(lathe__rng *rng)
{
    return lathe__rng_next(rng) & UINT64_C(0xfff0000000000000);
}

TEST(sorts_like_qsort_and_keeps_ties_in_order)
{
    static const size_t sizes[] = {0, 1, 2, 3, 100, 5000, 70000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        check_sort(sizes[i], any_bits, 1 + i);
        check_sort(sizes[i], few_values, 11 + i);
        check_sort(sizes[i], small_integers, 21 + i);
        check_sort(sizes[i], high_bits_only, 31 + i);
        if (harness_failed_now())
            return;
    }
}

TEST(double_keys_order_as_less_than)
{
    static const double values[] = {-INFINITY, -1e308,   -2.5, -1.0, -4.9e-324, -0.0,  0.0,
                                    4.9e-324,  2.2e-308, 0.5,  1.0,  3.0,       1e300, INFINITY};
    const size_t n = sizeof values / sizeof values[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            uint64_t a = lathe__double_key(values[i]), b = lathe__double_key(values[j]);
            CHECK_EQ(a < b, values[i] < values[j]);
            CHECK_EQ(a == b, values[i] == values[j]);
        }
    }
}

TEST(int64_keys_order_as_less_than_and_come_back)
{
    static const int64_t values[] = {INT64_MIN, -1000000007, -1, 0, 1, 86400000000, INT64_MAX};
    const size_t n = sizeof values / sizeof values[0];
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(lathe__int64_from_key(lathe__int64_key(values[i])), values[i]);
        for (size_t j = 0; j < n; j++)
            CHECK_EQ(lathe__int64_key(values[i]) < lathe__int64_key(values[j]),
                     values[i] < values[j]);
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *refusing_malloc(void *user, size_t size)
{
    (void)user;
    return size > 4096 ? NULL : malloc(size);
}

static void *refusing_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    return size > 4096 ? NULL : realloc(ptr, size);
}

static void plain_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

/* Sorts n random doubles (repeats, both zeros, infinities) in ctx and checks them against qsort. */
static void check_sort_doubles(lathe_ctx *ctx, size_t n, uint64_t seed)
{
    static const double specials[] = {-0.0, 0.0, INFINITY, -INFINITY, 4.9e-324, -1.0, 1.0};
    lathe__rng rng;
    lathe__rng_seed(&rng, seed);
    double *values = malloc((n + 1) * sizeof *values), *expected = malloc((n + 1) * sizeof *values);
    CHECK(values && expected);
    size_t negative_zeros = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t pick = lathe__rng_next(&rng);
        if (pick % 5 == 0)
            values[i] = specials[(pick >> 8) % (sizeof specials / sizeof specials[0])];
        else
            values[i] = ((double)(int64_t)(pick >> 11) - 4e15) / (double)(1 + (pick & 0xff));
        negative_zeros += values[i] == 0 && signbit(values[i]);
        expected[i] = values[i];
    }
    qsort(expected, n, sizeof *expected, by_value);
    lathe__sort_doubles(ctx, values, n);
    size_t seen_negative_zeros = 0;
    for (size_t i = 0; i < n; i++) {
        seen_negative_zeros += values[i] == 0 && signbit(values[i]);
        if (values[i] != expected[i]) {
            CHECK_EQ(values[i], expected[i]);
            break;
        }
    }
    CHECK_EQ(seen_negative_zeros, negative_zeros);
    free(values);
    free(expected);
}

TEST(sorts_doubles_as_qsort_does)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_allocator refusing = {refusing_malloc, refusing_realloc, plain_free, NULL};
    lathe_ctx *poor = lathe_ctx_new_with_allocator(&refusing);
    CHECK(ctx && poor);
    static const size_t sizes[] = {0, 1, 2, 9, 1000, 50000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        check_sort_doubles(ctx, sizes[i], 100 + i);
        check_sort_doubles(poor, sizes[i], 200 + i); /* no scratch: the qsort fallback */
    }
    lathe_ctx_free(ctx);
    lathe_ctx_free(poor);
}
