/*
 * scale.c: standard, min-max and robust scaling, fitted on training rows.
 *
 * Each follows its scikit-learn namesake to rounding, including how it
 * treats a constant column (scale 1, so the column becomes constant 0
 * rather than NaN):
 *   standard  (x - mean) / std, population std; std 1 when the variance is
 *             within rounding of zero (sklearn's _is_constant_feature)
 *   minmax    x * scale + offset with scale = 1 / (max - min) and offset =
 *             -min * scale, mapping training rows onto [0, 1]
 *   robust    (x - median) / (q75 - q25), numpy's linear quantiles
 * Scalers never see NaN: imputation runs first.
 */
#include <float.h>
#include <math.h>

#include "core/internal.h"
#include "prep/step.h"

#include "core/banned.h"

/* sklearn's _handle_zeros_in_scale for a fitted array. */
static double nonzero_scale(double scale)
{
    return scale < 10 * DBL_EPSILON ? 1.0 : scale;
}

static double apply_center_scale(const double *params, double x)
{
    return (x - params[0]) / params[1];
}

static lathe_status fit_standard(lathe_ctx *ctx, const double *values, size_t n,
                                 const lathe__prep_options *options, double *params,
                                 lathe_error *err)
{
    (void)ctx;
    (void)options;
    (void)err;
    double mean, variance;
    lathe__mean_variance(values, n, 1, &mean, &variance);
    double rows = (double)n;
    double bound =
        rows * DBL_EPSILON * variance + (rows * mean * DBL_EPSILON) * (rows * mean * DBL_EPSILON);
    params[0] = mean;
    params[1] = variance <= bound ? 1.0 : sqrt(variance);
    return LATHE_OK;
}

static void describe_standard(const double *params, char *buf, size_t size)
{
    lathe__format(buf, size, "(mean %.6g, std %.6g)", params[0], params[1]);
}

static lathe_status fit_minmax(lathe_ctx *ctx, const double *values, size_t n,
                               const lathe__prep_options *options, double *params, lathe_error *err)
{
    (void)ctx;
    (void)options;
    (void)err;
    double low = n ? values[0] : 0, high = low;
    for (size_t i = 1; i < n; i++) {
        low = fmin(low, values[i]);
        high = fmax(high, values[i]);
    }
    params[0] = 1.0 / nonzero_scale(high - low);
    params[1] = -low * params[0];
    params[2] = low;
    return LATHE_OK;
}

static double apply_minmax(const double *params, double x)
{
    return x * params[0] + params[1];
}

static void describe_minmax(const double *params, char *buf, size_t size)
{
    lathe__format(buf, size, "(min %.6g, range %.6g)", params[2], 1.0 / params[0]);
}

static lathe_status fit_robust(lathe_ctx *ctx, const double *values, size_t n,
                               const lathe__prep_options *options, double *params, lathe_error *err)
{
    (void)options;
    double *sorted;
    size_t m;
    lathe_status status = lathe__sorted_present(ctx, values, n, &sorted, &m, err);
    if (status != LATHE_OK)
        return status;
    params[0] = 0;
    params[1] = 1;
    if (m > 0) {
        params[0] = m % 2 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
        double iqr =
            lathe__quantile_sorted(sorted, m, 0.75) - lathe__quantile_sorted(sorted, m, 0.25);
        params[1] = nonzero_scale(iqr);
    }
    lathe__free(ctx, sorted);
    return LATHE_OK;
}

static void describe_robust(const double *params, char *buf, size_t size)
{
    lathe__format(buf, size, "(median %.6g, iqr %.6g)", params[0], params[1]);
}

const lathe__num_step_ops lathe__scale_standard = {"standard scale", fit_standard,
                                                   apply_center_scale, describe_standard};
const lathe__num_step_ops lathe__scale_minmax = {"minmax scale", fit_minmax, apply_minmax,
                                                 describe_minmax};
const lathe__num_step_ops lathe__scale_robust = {"robust scale", fit_robust, apply_center_scale,
                                                 describe_robust};
