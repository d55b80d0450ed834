/*
 * impute.c: filling missing numbers (NaN) with a value fitted on training
 * rows: their mean, median, most frequent value, or a constant.
 *
 * As sklearn's SimpleImputer: the mean and median ignore missing cells, the
 * most frequent value breaks ties toward the smallest, the median of an even
 * count is the mean of the middle two. A column missing in every training
 * row is filled with the constant (fill_number, 0 by default), as
 * SimpleImputer(keep_empty_features=True) does. params[0] is the fill value;
 * categories are imputed in pipeline.c, by name.
 */
#include <math.h>

#include "core/internal.h"
#include "prep/step.h"

#include "core/banned.h"

static double apply_fill(const double *params, double x)
{
    return isnan(x) ? params[0] : x;
}

static void describe_fill(const double *params, char *buf, size_t size)
{
    lathe__format(buf, size, "(%.6g)", params[0]);
}

static lathe_status fit_mean(lathe_ctx *ctx, const double *values, size_t n,
                             const lathe__prep_options *options, double *params, lathe_error *err)
{
    (void)ctx;
    (void)err;
    double sum = 0;
    size_t present = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(values[i])) {
            sum += values[i];
            present++;
        }
    }
    params[0] = present ? sum / (double)present : options->fill_number;
    return LATHE_OK;
}

static lathe_status fit_median(lathe_ctx *ctx, const double *values, size_t n,
                               const lathe__prep_options *options, double *params, lathe_error *err)
{
    double median;
    size_t m;
    lathe_status status = lathe__median_present(ctx, values, n, &median, &m, err);
    if (status != LATHE_OK)
        return status;
    params[0] = m ? median : options->fill_number;
    return LATHE_OK;
}

static lathe_status fit_most_frequent(lathe_ctx *ctx, const double *values, size_t n,
                                      const lathe__prep_options *options, double *params,
                                      lathe_error *err)
{
    double *sorted;
    size_t m;
    lathe_status status = lathe__sorted_present(ctx, values, n, &sorted, &m, err);
    if (status != LATHE_OK)
        return status;
    params[0] = options->fill_number;
    size_t best_run = 0;
    for (size_t start = 0; start < m;) {
        size_t end = start + 1;
        while (end < m && sorted[end] == sorted[start])
            end++;
        if (end - start > best_run) { /* strictly more: ties keep the smaller value */
            best_run = end - start;
            params[0] = sorted[start];
        }
        start = end;
    }
    lathe__free(ctx, sorted);
    return LATHE_OK;
}

static lathe_status fit_constant(lathe_ctx *ctx, const double *values, size_t n,
                                 const lathe__prep_options *options, double *params,
                                 lathe_error *err)
{
    (void)ctx;
    (void)values;
    (void)n;
    (void)err;
    params[0] = options->fill_number;
    return LATHE_OK;
}

const lathe__num_step_ops lathe__impute_mean = {"impute mean", fit_mean, apply_fill, describe_fill};
const lathe__num_step_ops lathe__impute_median = {"impute median", fit_median, apply_fill,
                                                  describe_fill};
const lathe__num_step_ops lathe__impute_most_frequent = {"impute most_frequent", fit_most_frequent,
                                                         apply_fill, describe_fill};
const lathe__num_step_ops lathe__impute_constant = {"impute constant", fit_constant, apply_fill,
                                                    describe_fill};
