/*
 * bootstrap.c: percentile confidence intervals by resampling rows.
 *
 * The engine knows nothing about metrics: it draws row lists with
 * replacement from a seeded xoshiro256** stream (src/core/rng.h) and hands
 * each to a statistic. The metric conveniences gather the resampled rows
 * into scratch arrays and score them with the public metric functions.
 * The same seed gives the same interval, bit for bit: draws depend only on
 * the seed, n_rows and n_resamples.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/rng.h"
#include "eval/eval.h"

#include "core/banned.h"

static int ascending(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.quantile's default ("linear") on sorted[0..n), n > 0. */
static double quantile(const double *sorted, size_t n, double q)
{
    double position = q * (double)(n - 1);
    size_t below = (size_t)floor(position);
    if (below + 1 >= n)
        return sorted[n - 1];
    double t = position - (double)below, a = sorted[below], b = sorted[below + 1];
    return t >= 0.5 ? b - (b - a) * (1.0 - t) : a + (b - a) * t;
}

static lathe_status check_options(size_t n_rows, const lathe_bootstrap_options *options,
                                  lathe_error *err)
{
    if (n_rows == 0)
        return lathe__error(err, LATHE_INVALID, "no rows to resample");
    if (options->n_resamples < 1 || options->n_resamples > LATHE_BOOTSTRAP_MAX_RESAMPLES)
        return lathe__error(err, LATHE_INVALID, "%zu bootstrap resamples: use 1 to %d",
                            options->n_resamples, LATHE_BOOTSTRAP_MAX_RESAMPLES);
    if (!(options->confidence > 0 && options->confidence < 1))
        return lathe__error(err, LATHE_INVALID, "confidence %g is not between 0 and 1 (exclusive)",
                            options->confidence);
    return LATHE_OK;
}

/* Fills `values` with the defined resampled statistics; returns their count in *n_defined. */
static lathe_status draw_resamples(lathe_ctx *ctx, size_t n_rows, lathe_bootstrap_fn statistic,
                                   void *user, const lathe_bootstrap_options *options, size_t *rows,
                                   double *values, size_t *n_defined, lathe_error *err)
{
    lathe__rng rng;
    lathe__rng_seed(&rng, options->seed);
    *n_defined = 0;
    for (size_t b = 0; b < options->n_resamples; b++) {
        if (lathe__progress(ctx, "bootstrap", (double)b, (double)options->n_resamples))
            return lathe__error(err, LATHE_CANCELED, "bootstrap canceled");
        for (size_t i = 0; i < n_rows; i++)
            rows[i] = (size_t)lathe__rng_below(&rng, n_rows);
        double value;
        lathe_status status = statistic(user, rows, n_rows, &value, err);
        if (status != LATHE_OK)
            return status;
        if (!isnan(value))
            values[(*n_defined)++] = value;
    }
    return LATHE_OK;
}

lathe_status lathe_metrics_bootstrap(lathe_ctx *ctx, size_t n_rows, lathe_bootstrap_fn statistic,
                                     void *user, const lathe_bootstrap_options *options,
                                     lathe_interval *out, lathe_error *err)
{
    lathe_interval interval = {.lower = NAN, .upper = NAN};
    lathe_status status = check_options(n_rows, options, err);
    if (status != LATHE_OK)
        return status;
    size_t *rows = lathe__calloc(ctx, n_rows, sizeof *rows);
    double *values = lathe__calloc(ctx, options->n_resamples, sizeof *values);
    if (!rows || !values) {
        status = lathe__error_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < n_rows; i++)
        rows[i] = i;
    status = statistic(user, rows, n_rows, &interval.estimate, err);
    if (status == LATHE_OK)
        status = draw_resamples(ctx, n_rows, statistic, user, options, rows, values,
                                &interval.n_defined, err);
    if (status != LATHE_OK)
        goto out;
    if (interval.n_defined > 0) {
        qsort(values, interval.n_defined, sizeof *values, ascending);
        interval.lower = quantile(values, interval.n_defined, (1 - options->confidence) / 2);
        interval.upper = quantile(values, interval.n_defined, (1 + options->confidence) / 2);
    }
    *out = interval;
out:
    lathe__free(ctx, rows);
    lathe__free(ctx, values);
    return status;
}

/* ---- metrics over resampled rows ---------------------------------------- */

typedef struct classification_resample {
    lathe_ctx *ctx;
    const lathe_classification_data *data;
    lathe_metric metric;
    lathe_classification_data sample; /* points into the arrays below */
    int32_t *y_true, *y_pred;
    double *y_proba, *weights;
} classification_resample;

/* A resample whose rows all weigh zero has no metric: NaN, like an undefined metric. */
static bool has_weight(const double *weights, size_t n_rows)
{
    for (size_t i = 0; weights && i < n_rows; i++) {
        if (weights[i] > 0)
            return true;
    }
    return !weights;
}

static void gather_classification(classification_resample *resample, const size_t *rows,
                                  size_t n_rows)
{
    const lathe_classification_data *data = resample->data;
    size_t n_classes = data->n_classes;
    for (size_t i = 0; i < n_rows; i++) {
        size_t row = rows[i];
        resample->y_true[i] = data->y_true[row];
        if (data->y_pred)
            resample->y_pred[i] = data->y_pred[row];
        if (data->y_proba)
            memcpy(resample->y_proba + i * n_classes, data->y_proba + row * n_classes,
                   n_classes * sizeof(double));
        if (data->weights)
            resample->weights[i] = data->weights[row];
    }
}

static lathe_status classification_statistic(void *user, const size_t *rows, size_t n_rows,
                                             double *value, lathe_error *err)
{
    classification_resample *resample = user;
    gather_classification(resample, rows, n_rows);
    *value = NAN;
    if (!has_weight(resample->sample.weights, n_rows))
        return LATHE_OK;
    lathe_metric_value result;
    lathe_status status = lathe_metrics_classification(resample->ctx, &resample->sample,
                                                       resample->metric, &result, err);
    if (status == LATHE_OK)
        *value = result.value;
    return status;
}

static lathe_status classification_scratch(lathe_ctx *ctx, classification_resample *resample,
                                           lathe_error *err)
{
    const lathe_classification_data *data = resample->data;
    size_t n = data->n_rows;
    resample->y_true = lathe__calloc(ctx, n, sizeof(int32_t));
    resample->y_pred = data->y_pred ? lathe__calloc(ctx, n, sizeof(int32_t)) : NULL;
    resample->y_proba =
        data->y_proba ? lathe__calloc(ctx, n * data->n_classes, sizeof(double)) : NULL;
    resample->weights = data->weights ? lathe__calloc(ctx, n, sizeof(double)) : NULL;
    if (!resample->y_true || (data->y_pred && !resample->y_pred) ||
        (data->y_proba && !resample->y_proba) || (data->weights && !resample->weights))
        return lathe__error_nomem(err);
    resample->sample = *data;
    resample->sample.y_true = resample->y_true;
    resample->sample.y_pred = resample->y_pred;
    resample->sample.y_proba = resample->y_proba;
    resample->sample.weights = resample->weights;
    return LATHE_OK;
}

lathe_status lathe_metrics_bootstrap_classification(lathe_ctx *ctx,
                                                    const lathe_classification_data *data,
                                                    lathe_metric metric,
                                                    const lathe_bootstrap_options *options,
                                                    lathe_interval *out, lathe_error *err)
{
    lathe_metric_value on_all_rows;
    lathe_status status = lathe_metrics_classification(ctx, data, metric, &on_all_rows, err);
    if (status != LATHE_OK)
        return status;
    classification_resample resample = {.ctx = ctx, .data = data, .metric = metric};
    status = classification_scratch(ctx, &resample, err);
    if (status == LATHE_OK)
        status = lathe_metrics_bootstrap(ctx, data->n_rows, classification_statistic, &resample,
                                         options, out, err);
    lathe__free(ctx, resample.y_true);
    lathe__free(ctx, resample.y_pred);
    lathe__free(ctx, resample.y_proba);
    lathe__free(ctx, resample.weights);
    return status;
}

typedef struct regression_resample {
    lathe_ctx *ctx;
    const lathe_regression_data *data;
    lathe_metric metric;
    lathe_regression_data sample;
    double *scratch; /* y_true, y_pred and weights, n_rows each */
} regression_resample;

static lathe_status regression_statistic(void *user, const size_t *rows, size_t n_rows,
                                         double *value, lathe_error *err)
{
    regression_resample *resample = user;
    const lathe_regression_data *data = resample->data;
    double *y_true = resample->scratch, *y_pred = y_true + n_rows, *weights = y_pred + n_rows;
    for (size_t i = 0; i < n_rows; i++) {
        y_true[i] = data->y_true[rows[i]];
        y_pred[i] = data->y_pred[rows[i]];
        if (data->weights)
            weights[i] = data->weights[rows[i]];
    }
    *value = NAN;
    if (!has_weight(resample->sample.weights, n_rows))
        return LATHE_OK;
    lathe_metric_value result;
    lathe_status status =
        lathe_metrics_regression(resample->ctx, &resample->sample, resample->metric, &result, err);
    if (status == LATHE_OK)
        *value = result.value;
    return status;
}

lathe_status lathe_metrics_bootstrap_regression(lathe_ctx *ctx, const lathe_regression_data *data,
                                                lathe_metric metric,
                                                const lathe_bootstrap_options *options,
                                                lathe_interval *out, lathe_error *err)
{
    lathe_metric_value on_all_rows;
    lathe_status status = lathe_metrics_regression(ctx, data, metric, &on_all_rows, err);
    if (status != LATHE_OK)
        return status;
    regression_resample resample = {.ctx = ctx, .data = data, .metric = metric};
    resample.scratch = lathe__calloc(ctx, data->n_rows, 3 * sizeof(double));
    if (!resample.scratch)
        return lathe__error_nomem(err);
    size_t n = data->n_rows;
    resample.sample = (lathe_regression_data){n, resample.scratch, resample.scratch + n,
                                              data->weights ? resample.scratch + 2 * n : NULL};
    status = lathe_metrics_bootstrap(ctx, n, regression_statistic, &resample, options, out, err);
    lathe__free(ctx, resample.scratch);
    return status;
}
