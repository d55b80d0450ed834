/*
 * vexp.h: exp() two values at a time, for loops that must vectorize
 * (internal).
 *
 * glibc's exp is a call per value with its own branches, so a softmax over
 * a row's class scores spent a third of its time in it. This one is
 * branch-free straight-line code on a pair of doubles (the gcc and clang
 * vector extension, one SSE2 register on x86-64): x = k ln2 + r with
 * |r| <= ln2 / 2 (Cody and Waite's two-part ln2, so k ln2 is exact), e^r by
 * its Taylor polynomial to degree 12 (truncation below 2e-16 relative), and
 * 2^k put straight into the exponent bits. Against glibc over [-708,
 * log(DBL_MAX)] it stays within 3 ulp (tests/unit/test_vexp.c).
 *
 * Arguments below -708 (where 2^k would go subnormal) give 0, above
 * log(DBL_MAX) +inf; NaN gives NaN.
 */
#ifndef LATHE_CORE_VEXP_H
#define LATHE_CORE_VEXP_H

#include <math.h>

typedef double lathe__f64x2 __attribute__((vector_size(16)));
typedef long long lathe__i64x2 __attribute__((vector_size(16)));
typedef unsigned long long lathe__u64x2 __attribute__((vector_size(16)));

#define LATHE__VEXP_LOW -708.0
#define LATHE__VEXP_HIGH 709.782712893384 /* log(DBL_MAX) */

/* where mask is all ones, a; elsewhere b */
static inline lathe__f64x2 lathe__select2(lathe__i64x2 mask, lathe__f64x2 a, lathe__f64x2 b)
{
    return (lathe__f64x2)((mask & (lathe__i64x2)a) | (~mask & (lathe__i64x2)b));
}

/* e^r for |r| <= ln2 / 2, times 2^k, from t = c / ln2 + shift (see above). */
static inline lathe__f64x2 lathe__vexp2_reduced(lathe__f64x2 c)
{
    const double shift = 0x1.8p52, log2e = 0x1.71547652b82fep0;
    const double ln2_hi = 0x1.62e42fefa3800p-1, ln2_lo = 0x1.ef35793c7673p-45;
    lathe__f64x2 t = c * log2e + shift; /* k = round(c / ln2) in t's low bits */
    lathe__f64x2 k = t - shift;
    lathe__f64x2 r = (c - k * ln2_hi) - k * ln2_lo;
    lathe__f64x2 p = r * (1.0 / 479001600.0) + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    /* 2^(k-1), k sitting in t's low bits: k reaches 1024 just below the top */
    lathe__u64x2 bits = ((lathe__u64x2)t << 52) + ((unsigned long long)1022 << 52);
    return (2.0 * p) * (lathe__f64x2)bits;
}

static inline lathe__f64x2 lathe__vexp2(lathe__f64x2 x)
{
    const lathe__f64x2 low = {LATHE__VEXP_LOW, LATHE__VEXP_LOW};
    const lathe__f64x2 high = {LATHE__VEXP_HIGH, LATHE__VEXP_HIGH};
    const lathe__f64x2 zero = {0.0, 0.0}, inf = {HUGE_VAL, HUGE_VAL};
    lathe__i64x2 below = x<low, above = x> high;
    lathe__f64x2 c = lathe__select2(below, low, lathe__select2(above, high, x));
    lathe__f64x2 e = lathe__vexp2_reduced(c);
    return lathe__select2(below, zero, lathe__select2(above, inf, e));
}

/* lathe__vexp2 for x <= 0 (or NaN), as softmax's shifted scores: a few steps less. */
static inline lathe__f64x2 lathe__vexp2_nonpositive(lathe__f64x2 x)
{
    const lathe__f64x2 low = {LATHE__VEXP_LOW, LATHE__VEXP_LOW};
    lathe__i64x2 below = x < low;
    lathe__f64x2 e = lathe__vexp2_reduced(lathe__select2(below, low, x));
    return (lathe__f64x2)(~below & (lathe__i64x2)e);
}

static inline double lathe__vexp(double x)
{
    lathe__f64x2 v = {x, x};
    return lathe__vexp2(v)[0];
}

#endif
