/*
 * radix.c: the radix sorts (see radix.h).
 *
 * Least-significant-digit radix sorts with 8-bit digits: linear in the
 * number of items, stable, and with no comparisons to mispredict, which is
 * what makes sorting a node's codes cheaper than scikit-learn's introsort
 * of floats, and a profile's million-row column cheaper than qsort with a
 * compare callback. One counting pass builds the histograms of every digit
 * at once, and a digit on which every key agrees costs no pass. Short runs
 * use insertion sort, where the 256-bucket histograms would dominate.
 */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/radix.h"

#include "core/banned.h"

#define INSERTION_MAX 48
#define DIGITS 8

static void insertion_sort_keys(uint64_t *keys, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t key = keys[i];
        size_t j = i;
        while (j > 0 && keys[j - 1] > key) {
            keys[j] = keys[j - 1];
            j--;
        }
        keys[j] = key;
    }
}

static void insertion_sort_pairs(uint64_t *keys, uint32_t *rows, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t key = keys[i];
        uint32_t row = rows[i];
        size_t j = i;
        while (j > 0 && keys[j - 1] > key) {
            keys[j] = keys[j - 1];
            rows[j] = rows[j - 1];
            j--;
        }
        keys[j] = key;
        rows[j] = row;
    }
}

/* Histograms of digits [first, first + n_digits) of every key, in one pass. */
static void count_digits(const uint64_t *keys, size_t n, unsigned first, unsigned n_digits,
                         size_t counts[DIGITS][256])
{
    memset(counts, 0, sizeof(size_t) * 256 * n_digits);
    for (size_t i = 0; i < n; i++)
        for (unsigned d = 0; d < n_digits; d++)
            counts[d][(keys[i] >> (8 * (first + d))) & 255]++;
}

/* Turns counts into starting offsets; false when one bucket holds every key. */
static int offsets_of(size_t counts[256], size_t n)
{
    size_t sum = 0;
    for (int b = 0; b < 256; b++) {
        if (counts[b] == n)
            return 0;
        size_t c = counts[b];
        counts[b] = sum;
        sum += c;
    }
    return 1;
}

void lathe__radix_sort_codes(uint64_t *keys, size_t n, unsigned code_bits, uint64_t *tmp)
{
    if (n <= INSERTION_MAX) {
        insertion_sort_keys(keys, n);
        return;
    }
    unsigned n_digits = (code_bits + 7) / 8;
    if (n_digits > 4)
        n_digits = 4;
    size_t counts[DIGITS][256];
    count_digits(keys, n, 4, n_digits, counts);
    uint64_t *src = keys, *dst = tmp;
    for (unsigned d = 0; d < n_digits; d++) {
        if (!offsets_of(counts[d], n))
            continue;
        unsigned shift = 8 * (4 + d);
        for (size_t i = 0; i < n; i++)
            dst[counts[d][(src[i] >> shift) & 255]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys)
        memcpy(keys, src, n * sizeof *keys);
}

void lathe__radix_sort_pairs(uint64_t *keys, uint32_t *rows, size_t n, uint64_t *tmp_keys,
                             uint32_t *tmp_rows)
{
    if (n <= INSERTION_MAX) {
        insertion_sort_pairs(keys, rows, n);
        return;
    }
    size_t counts[DIGITS][256];
    count_digits(keys, n, 0, DIGITS, counts);
    uint64_t *src = keys, *dst = tmp_keys;
    uint32_t *src_rows = rows, *dst_rows = tmp_rows;
    for (unsigned d = 0; d < DIGITS; d++) {
        if (!offsets_of(counts[d], n))
            continue;
        unsigned shift = 8 * d;
        for (size_t i = 0; i < n; i++) {
            size_t at = counts[d][(src[i] >> shift) & 255]++;
            dst[at] = src[i];
            dst_rows[at] = src_rows[i];
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
        uint32_t *tr = src_rows;
        src_rows = dst_rows;
        dst_rows = tr;
    }
    if (src != keys) {
        memcpy(keys, src, n * sizeof *keys);
        memcpy(rows, src_rows, n * sizeof *rows);
    }
}

/* The key of a double as it is, -0 below +0 (lathe__double_key makes them one). */
static inline uint64_t bits_key(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits >> 63 ? ~bits : bits | UINT64_C(1) << 63;
}

void lathe__radix_sort_doubles(double *values, double *scratch, size_t n)
{
    if (n <= INSERTION_MAX) {
        for (size_t i = 1; i < n; i++) {
            double v = values[i];
            uint64_t key = bits_key(v);
            size_t j = i;
            for (; j > 0 && bits_key(values[j - 1]) > key; j--)
                values[j] = values[j - 1];
            values[j] = v;
        }
        return;
    }
    /* every digit's histogram in one pass: a pass per digit read the values 16 times */
    size_t counts[DIGITS][256];
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++) {
        uint64_t key = bits_key(values[i]);
        for (unsigned d = 0; d < DIGITS; d++)
            counts[d][(key >> (8 * d)) & 255]++;
    }
    double *from = values, *to = scratch;
    for (unsigned d = 0; d < DIGITS; d++) {
        if (!offsets_of(counts[d], n))
            continue; /* every key has this byte: the pass would not move anything */
        unsigned shift = 8 * d;
        for (size_t i = 0; i < n; i++)
            to[counts[d][(bits_key(from[i]) >> shift) & 255]++] = from[i];
        double *t = from;
        from = to;
        to = t;
    }
    if (from != values)
        memcpy(values, from, n * sizeof *values);
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
    double *scratch = lathe__realloc_array(ctx, NULL, n, sizeof *scratch);
    if (!scratch) { /* no room to spare: the slow way, in place */
        qsort(values, n, sizeof *values, compare_doubles);
        return;
    }
    lathe__radix_sort_doubles(values, scratch, n);
    lathe__free(ctx, scratch);
}
