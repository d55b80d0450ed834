/*
 * metrics_regression.c: metrics of predicted values: MSE, RMSE, MAE,
 * median absolute error, MAPE, R² and explained variance.
 *
 * Each is a weighted mean (weights default to 1) written as scikit-learn
 * 1.2 writes it. One deliberate difference: the mean of a constant column
 * is that constant exactly. numpy's mean of [0.1, 0.1, 0.1] is
 * 0.10000000000000002, which makes scikit-learn's R² of a constant target
 * a huge negative number instead of its documented 0; here the variance of
 * a constant is exactly 0, so R² and explained variance follow the
 * documented rules (1 for perfect predictions, else 0).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "core/internal.h"
#include "eval/eval.h"

#include "core/banned.h"

typedef double (*row_value_fn)(const lathe_regression_data *data, size_t row);

static double weight_of(const lathe_regression_data *data, size_t row)
{
    return data->weights ? data->weights[row] : 1.0;
}

static double weighted_mean(const lathe_regression_data *data, row_value_fn value)
{
    double first = value(data, 0), sum = 0, weight_sum = 0;
    bool constant = true;
    for (size_t r = 0; r < data->n_rows; r++) {
        double v = value(data, r);
        constant = constant && v == first;
        sum += weight_of(data, r) * v;
        weight_sum += weight_of(data, r);
    }
    return constant ? first : sum / weight_sum;
}

static double truth(const lathe_regression_data *data, size_t row)
{
    return data->y_true[row];
}

static double residual(const lathe_regression_data *data, size_t row)
{
    return data->y_true[row] - data->y_pred[row];
}

static double squared_error(const lathe_regression_data *data, size_t row)
{
    double diff = residual(data, row);
    return diff * diff;
}

static double absolute_error(const lathe_regression_data *data, size_t row)
{
    return fabs(data->y_pred[row] - data->y_true[row]);
}

static double absolute_percentage_error(const lathe_regression_data *data, size_t row)
{
    return absolute_error(data, row) / fmax(fabs(data->y_true[row]), DBL_EPSILON);
}

/* scikit-learn's _assemble_r2_explained_variance with force_finite=True. */
static double one_minus_ratio(double numerator, double denominator)
{
    if (numerator == 0.0)
        return 1.0;
    if (denominator == 0.0)
        return 0.0;
    return 1.0 - numerator / denominator;
}

static double weighted_sum_of_squares(const lathe_regression_data *data, row_value_fn value,
                                      double center)
{
    double sum = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        double diff = value(data, r) - center;
        sum += weight_of(data, r) * (diff * diff);
    }
    return sum;
}

static double r2(const lathe_regression_data *data)
{
    double numerator = 0;
    for (size_t r = 0; r < data->n_rows; r++)
        numerator += weight_of(data, r) * squared_error(data, r);
    double denominator = weighted_sum_of_squares(data, truth, weighted_mean(data, truth));
    return one_minus_ratio(numerator, denominator);
}

static double explained_variance(const lathe_regression_data *data)
{
    double weight_sum = 0;
    for (size_t r = 0; r < data->n_rows; r++)
        weight_sum += weight_of(data, r);
    double numerator =
        weighted_sum_of_squares(data, residual, weighted_mean(data, residual)) / weight_sum;
    double denominator =
        weighted_sum_of_squares(data, truth, weighted_mean(data, truth)) / weight_sum;
    return one_minus_ratio(numerator, denominator);
}

/* ---- median absolute error ---------------------------------------------- */

typedef struct weighted_value {
    double value;
    double weight;
} weighted_value;

static int by_value(const void *a, const void *b)
{
    double x = ((const weighted_value *)a)->value, y = ((const weighted_value *)b)->value;
    return (x > y) - (x < y);
}

/* The first sorted value whose cumulative weight reaches half the total (sklearn's
 * _weighted_percentile at 50), or numpy's median when there are no weights. */
static double sorted_median(const weighted_value *sorted, size_t n, bool weighted)
{
    if (!weighted)
        return n % 2 ? sorted[n / 2].value : (sorted[n / 2 - 1].value + sorted[n / 2].value) / 2;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += sorted[i].weight;
    double half = 0.5 * total, cumulative = 0;
    for (size_t i = 0; i < n; i++) {
        cumulative += sorted[i].weight;
        if (cumulative >= half)
            return sorted[i].value;
    }
    return sorted[n - 1].value;
}

static lathe_status median_absolute_error(lathe_ctx *ctx, const lathe_regression_data *data,
                                          double *out, lathe_error *err)
{
    weighted_value *errors = lathe__calloc(ctx, data->n_rows, sizeof *errors);
    if (!errors)
        return lathe__error_nomem(err);
    for (size_t r = 0; r < data->n_rows; r++) {
        errors[r].value = absolute_error(data, r);
        errors[r].weight = weight_of(data, r);
    }
    qsort(errors, data->n_rows, sizeof *errors, by_value);
    *out = sorted_median(errors, data->n_rows, data->weights != NULL);
    lathe__free(ctx, errors);
    return LATHE_OK;
}

/* ---- the metric table -------------------------------------------------- */

static double weighted_average_of(const lathe_regression_data *data, row_value_fn value)
{
    double sum = 0, weight_sum = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        sum += weight_of(data, r) * value(data, r);
        weight_sum += weight_of(data, r);
    }
    return sum / weight_sum;
}

typedef lathe_status (*regression_metric_fn)(lathe_ctx *ctx, const lathe_regression_data *data,
                                             lathe_metric_value *out, lathe_error *err);

#define AVERAGE_OF(name, row_value, finish)                                                        \
    static lathe_status name(lathe_ctx *ctx, const lathe_regression_data *data,                    \
                             lathe_metric_value *out, lathe_error *err)                            \
    {                                                                                              \
        (void)ctx;                                                                                 \
        (void)err;                                                                                 \
        out->value = finish(weighted_average_of(data, row_value));                                 \
        return LATHE_OK;                                                                           \
    }
#define AS_IS(x) (x)
AVERAGE_OF(mse, squared_error, AS_IS)
AVERAGE_OF(rmse, squared_error, sqrt)
AVERAGE_OF(mae, absolute_error, AS_IS)
AVERAGE_OF(mape, absolute_percentage_error, AS_IS)
#undef AS_IS
#undef AVERAGE_OF

static lathe_status median_ae(lathe_ctx *ctx, const lathe_regression_data *data,
                              lathe_metric_value *out, lathe_error *err)
{
    return median_absolute_error(ctx, data, &out->value, err);
}

static lathe_status r2_score(lathe_ctx *ctx, const lathe_regression_data *data,
                             lathe_metric_value *out, lathe_error *err)
{
    (void)ctx;
    (void)err;
    if (data->n_rows < 2)
        lathe__metric_undefined(out, "r2 needs at least two rows");
    else
        out->value = r2(data);
    return LATHE_OK;
}

static lathe_status explained_variance_score(lathe_ctx *ctx, const lathe_regression_data *data,
                                             lathe_metric_value *out, lathe_error *err)
{
    (void)ctx;
    (void)err;
    out->value = explained_variance(data);
    return LATHE_OK;
}

static const regression_metric_fn regression_metrics[LATHE_METRIC_COUNT] = {
    [LATHE_METRIC_MSE] = mse,
    [LATHE_METRIC_RMSE] = rmse,
    [LATHE_METRIC_MAE] = mae,
    [LATHE_METRIC_MAPE] = mape,
    [LATHE_METRIC_MEDIAN_AE] = median_ae,
    [LATHE_METRIC_R2] = r2_score,
    [LATHE_METRIC_EXPLAINED_VARIANCE] = explained_variance_score,
};

lathe_status lathe__regression_metric(lathe_ctx *ctx, const lathe_regression_data *data,
                                      lathe_metric metric, lathe_metric_value *out,
                                      lathe_error *err)
{
    return regression_metrics[metric](ctx, data, out, err);
}
