/*
 * stats.c: the small numerical helpers the steps share: sorting, numpy's
 * linear-interpolation quantile, two-pass mean and variance, and a seeded
 * generator for fold assignment.
 *
 * The formulas follow numpy's where a step is checked against scikit-learn,
 * so results agree to rounding, not just approximately.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"
#include "core/radix.h"
#include "prep/step.h"

#include "core/banned.h"

double lathe__quantile_sorted(const double *sorted, size_t n, double q)
{
    double position = q * (double)(n - 1);
    size_t below = (size_t)floor(position);
    if (below >= n - 1)
        return sorted[n - 1];
    double fraction = position - (double)below;
    /* numpy's _lerp: exact at both ends of the interval */
    double low = sorted[below], high = sorted[below + 1], diff = high - low;
    return fraction >= 0.5 ? high - diff * (1 - fraction) : low + diff * fraction;
}

/* The values of values[0..n) that are not NaN, in order, in a new array (*count of them). */
static lathe_status copy_present(lathe_ctx *ctx, const double *values, size_t n, double **present,
                                 size_t *count, lathe_error *err)
{
    double *copy = lathe__realloc_array(ctx, NULL, n ? n : 1, sizeof *copy);
    if (!copy)
        return lathe__error_nomem(err);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(values[i]))
            copy[m++] = values[i];
    }
    *present = copy;
    *count = m;
    return LATHE_OK;
}

lathe_status lathe__sorted_present(lathe_ctx *ctx, const double *values, size_t n, double **sorted,
                                   size_t *count, lathe_error *err)
{
    lathe_status status = copy_present(ctx, values, n, sorted, count, err);
    if (status == LATHE_OK)
        lathe__sort_doubles(ctx, *sorted, *count);
    return status;
}

/* The middle of three values. */
static inline double middle_of(double a, double b, double c)
{
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    return c < a ? a : c > b ? b : c;
}

/*
 * Moves the k-th smallest of values[0..n) (no NaN) to values[k], smaller
 * ones before it and larger ones after: quickselect with a three-way
 * partition, so runs of equal values (zeros, a default) end a round at
 * once. Past 64 rounds, which only crafted orders reach, the rest is
 * sorted instead, so the worst case stays n log n.
 */
static void select_kth(lathe_ctx *ctx, double *values, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    for (int round = 0; hi - lo > 16; round++) {
        if (round == 64) {
            lathe__sort_doubles(ctx, values + lo, hi - lo);
            return;
        }
        double pivot = middle_of(values[lo], values[lo + (hi - lo) / 2], values[hi - 1]);
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            double v = values[i];
            if (v < pivot) {
                values[i++] = values[lt];
                values[lt++] = v;
            } else if (v > pivot) {
                values[i] = values[--gt];
                values[gt] = v;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return;
    }
    for (size_t i = lo + 1; i < hi; i++) { /* insertion sort of the last few */
        double v = values[i];
        size_t j = i;
        for (; j > lo && values[j - 1] > v; j--)
            values[j] = values[j - 1];
        values[j] = v;
    }
}

/* lathe__select_positions on values[lo..hi) for positions[a..b), all in [lo, hi). */
static void select_range(lathe_ctx *ctx, double *values, size_t lo, size_t hi,
                         const size_t *positions, size_t a, size_t b)
{
    while (a < b) {
        size_t mid = a + (b - a) / 2, k = positions[mid];
        select_kth(ctx, values + lo, hi - lo, k - lo);
        size_t left_end = mid, right_start = mid + 1; /* repeats of k are in place now */
        while (left_end > a && positions[left_end - 1] >= k)
            left_end--;
        while (right_start < b && positions[right_start] <= k)
            right_start++;
        select_range(ctx, values, lo, k, positions, a, left_end);
        lo = k + 1; /* the right half, without recursing */
        a = right_start;
    }
}

void lathe__select_positions(lathe_ctx *ctx, double *values, size_t n, const size_t *positions,
                             size_t count)
{
    if (n > 1 && count)
        select_range(ctx, values, 0, n, positions, 0, count);
}

lathe_status lathe__median_present(lathe_ctx *ctx, const double *values, size_t n, double *median,
                                   size_t *count, lathe_error *err)
{
    double *present = NULL;
    size_t m = 0;
    lathe_status status = copy_present(ctx, values, n, &present, &m, err);
    if (status != LATHE_OK)
        return status;
    *count = m;
    *median = NAN;
    if (m) {
        select_kth(ctx, present, m, m / 2);
        double upper = present[m / 2];
        if (m % 2) {
            *median = upper;
        } else {
            double lower = present[0]; /* the largest of the smaller half */
            for (size_t i = 1; i < m / 2; i++)
                lower = present[i] > lower ? present[i] : lower;
            *median = (lower + upper) / 2;
        }
    }
    lathe__free(ctx, present);
    return LATHE_OK;
}

void lathe__mean_variance(const double *values, size_t n, size_t stride, double *mean,
                          double *variance)
{
    if (n == 0) {
        *mean = 0;
        *variance = 0;
        return;
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += values[i * stride];
    double m = sum / (double)n, squares = 0;
    for (size_t i = 0; i < n; i++) {
        double d = values[i * stride] - m;
        squares += d * d;
    }
    *mean = m;
    *variance = squares / (double)n;
}

uint64_t lathe__splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void lathe__format(char *buf, size_t size, const char *format, ...)
{
    if (size == 0)
        return;
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buf, size, format, args);
    va_end(args);
    if (n < 0)
        buf[0] = '\0';
}
