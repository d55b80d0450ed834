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

lathe_status lathe__sorted_present(lathe_ctx *ctx, const double *values, size_t n, double **sorted,
                                   size_t *count, lathe_error *err)
{
    double *present = lathe__calloc(ctx, n ? n : 1, sizeof *present);
    if (!present)
        return lathe__error_nomem(err);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(values[i]))
            present[m++] = values[i];
    }
    lathe__sort_doubles(ctx, present, m);
    *sorted = present;
    *count = m;
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
