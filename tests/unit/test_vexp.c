/*
 * test_vexp.c: lathe__vexp against glibc's exp, within 3 ulp over the whole
 * range where exp is finite and normal, and at the edges: 0 below -708,
 * +inf above log(DBL_MAX), NaN for NaN, exactly 1 at 0.
 */
#include <float.h>
#include <math.h>

#include "core/vexp.h"
#include "harness.h"

/* |a - b| in units in the last place of a (a normal, finite, positive). */
static double ulps(double a, double b)
{
    return fabs(a - b) / (nextafter(a, INFINITY) - a);
}

TEST(vexp_is_within_3_ulp_of_libm_over_its_range)
{
    const double low = LATHE__VEXP_LOW, high = LATHE__VEXP_HIGH;
    const long steps = 2000003; /* not a round number: hits varied reductions */
    double worst = 0.0, worst_x = 0.0;
    for (long i = 0; i <= steps; i++) {
        double x = low + (high - low) * (double)i / (double)steps;
        double u = ulps(exp(x), lathe__vexp(x));
        if (u > worst) {
            worst = u;
            worst_x = x;
        }
    }
    CHECK_MSG(worst <= 3.0, "%.2f ulp at x = %.17g", worst, worst_x);
    /* near 0, where softmax spends its time, the steps are finer */
    for (long i = -100000; i <= 100000; i++) {
        double x = (double)i * 1e-5;
        double u = ulps(exp(x), lathe__vexp(x));
        CHECK_MSG(u <= 3.0, "%.2f ulp at x = %.17g", u, x);
        if (u > 3.0)
            break;
    }
}

TEST(vexp_edges)
{
    CHECK(lathe__vexp(0.0) == 1.0);
    CHECK(lathe__vexp(-0.0) == 1.0);
    CHECK(lathe__vexp(-708.5) == 0.0);
    CHECK(lathe__vexp(-1e300) == 0.0);
    CHECK(lathe__vexp(-INFINITY) == 0.0);
    CHECK(lathe__vexp(709.79) == INFINITY);
    CHECK(lathe__vexp(1e300) == INFINITY);
    CHECK(lathe__vexp(INFINITY) == INFINITY);
    CHECK(isnan(lathe__vexp(NAN)));
    CHECK(ulps(exp(709.78), lathe__vexp(709.78)) <= 3.0);
    CHECK(lathe__vexp(LATHE__VEXP_HIGH) <= DBL_MAX);
    CHECK(ulps(exp(-708.0), lathe__vexp(-708.0)) <= 3.0);
}

/* The nonpositive variant gives the same bits over its domain. */
TEST(vexp_nonpositive_matches_vexp)
{
    for (long i = 0; i <= 1000000; i++) {
        double x = -720.0 * (double)i / 1000000.0;
        lathe__f64x2 v = {x, -x / 7.0};
        lathe__f64x2 a = lathe__vexp2(v), b = lathe__vexp2_nonpositive(v);
        CHECK_MSG(a[0] == b[0] && a[1] == b[1], "x = %.17g", x);
        if (a[0] != b[0] || a[1] != b[1])
            break;
    }
    lathe__f64x2 edge = {-INFINITY, NAN};
    lathe__f64x2 e = lathe__vexp2_nonpositive(edge);
    CHECK(e[0] == 0.0);
    CHECK(isnan(e[1]));
}
