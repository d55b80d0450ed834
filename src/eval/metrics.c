/*
 * metrics.c: the metric table, input checks, dispatch and reports.
 *
 * Each metric is one row of LATHE_METRIC_MAP; its name, task and direction
 * come from there, and the files beside this one compute it. Input is
 * checked here, once, before any metric runs, so the metric code can
 * assume class indices in range and finite numbers.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "eval/eval.h"

#include "core/banned.h"

typedef enum metric_task { CLASSIFICATION, REGRESSION } metric_task;

typedef struct metric_info {
    const char *name;
    metric_task task;
    bool needs_proba;
    bool greater_is_better;
} metric_info;

static const metric_info metric_table[LATHE_METRIC_COUNT] = {
#define METRIC_INFO(id, name, task, needs_proba, greater) {name, task, needs_proba, greater},
    LATHE_METRIC_MAP(METRIC_INFO)
#undef METRIC_INFO
};

static bool metric_valid(lathe_metric metric)
{
    return (unsigned)metric < LATHE_METRIC_COUNT;
}

const char *lathe_metric_name(lathe_metric metric)
{
    return metric_valid(metric) ? metric_table[metric].name : NULL;
}

bool lathe_metric_parse(const char *name, lathe_metric *out)
{
    for (int i = 0; i < LATHE_METRIC_COUNT; i++) {
        if (strcmp(name, metric_table[i].name) == 0) {
            *out = (lathe_metric)i;
            return true;
        }
    }
    return false;
}

bool lathe_metric_is_regression(lathe_metric metric)
{
    return metric_valid(metric) && metric_table[metric].task == REGRESSION;
}

bool lathe_metric_needs_proba(lathe_metric metric)
{
    return metric_valid(metric) && metric_table[metric].needs_proba;
}

bool lathe_metric_greater_is_better(lathe_metric metric)
{
    return metric_valid(metric) && metric_table[metric].greater_is_better;
}

void lathe__metric_undefined(lathe_metric_value *out, const char *why)
{
    out->value = NAN;
    out->undefined = why;
}

/* ---- input checks ------------------------------------------------------- */

static lathe_status check_weights(const double *weights, size_t n_rows, lathe_error *err)
{
    if (!weights)
        return LATHE_OK;
    double sum = 0;
    for (size_t r = 0; r < n_rows; r++) {
        if (!isfinite(weights[r]) || weights[r] < 0)
            return lathe__error(err, LATHE_INVALID,
                                "sample weight %g at row %zu is not a finite number >= 0",
                                weights[r], r);
        sum += weights[r];
    }
    if (!(sum > 0))
        return lathe__error(err, LATHE_INVALID, "sample weights sum to zero");
    return LATHE_OK;
}

static lathe_status check_classes(const int32_t *classes, const char *what, size_t n_rows,
                                  size_t n_classes, lathe_error *err)
{
    for (size_t r = 0; r < n_rows; r++) {
        if (classes[r] < 0 || (size_t)classes[r] >= n_classes)
            return lathe__error(err, LATHE_INVALID,
                                "%s at row %zu is class %d, outside the %zu classes 0..%zu", what,
                                r, (int)classes[r], n_classes, n_classes - 1);
    }
    return LATHE_OK;
}

static lathe_status check_finite(const double *values, size_t n_values, size_t n_per_row,
                                 const char *what, lathe_error *err)
{
    for (size_t i = 0; i < n_values; i++) {
        if (!isfinite(values[i]))
            return lathe__error(err, LATHE_INVALID, "%s at row %zu is %g, not a finite number",
                                what, i / n_per_row, values[i]);
    }
    return LATHE_OK;
}

lathe_status lathe__classification_check(const lathe_classification_data *data, lathe_error *err)
{
    if (data->n_rows == 0)
        return lathe__error(err, LATHE_INVALID, "no rows to score");
    if (data->n_classes < 2 || data->n_classes > INT32_MAX)
        return lathe__error(err, LATHE_INVALID, "%zu classes: classification needs at least 2",
                            data->n_classes);
    if (!data->y_true || (!data->y_pred && !data->y_proba))
        return lathe__error(err, LATHE_INVALID,
                            "classification scoring needs y_true and y_pred or y_proba");
    size_t n_proba;
    if (lathe__mul_overflows(data->n_rows, data->n_classes, &n_proba))
        return lathe__error(err, LATHE_LIMIT, "%zu rows of %zu class probabilities are too many",
                            data->n_rows, data->n_classes);
    lathe_status status = check_classes(data->y_true, "y_true", data->n_rows, data->n_classes, err);
    if (status == LATHE_OK && data->y_pred)
        status = check_classes(data->y_pred, "y_pred", data->n_rows, data->n_classes, err);
    if (status == LATHE_OK && data->y_proba)
        status = check_finite(data->y_proba, n_proba, data->n_classes, "y_proba", err);
    if (status == LATHE_OK)
        status = check_weights(data->weights, data->n_rows, err);
    return status;
}

lathe_status lathe__regression_check(const lathe_regression_data *data, lathe_error *err)
{
    if (data->n_rows == 0)
        return lathe__error(err, LATHE_INVALID, "no rows to score");
    if (!data->y_true || !data->y_pred)
        return lathe__error(err, LATHE_INVALID, "regression scoring needs y_true and y_pred");
    lathe_status status = check_finite(data->y_true, data->n_rows, 1, "y_true", err);
    if (status == LATHE_OK)
        status = check_finite(data->y_pred, data->n_rows, 1, "y_pred", err);
    if (status == LATHE_OK)
        status = check_weights(data->weights, data->n_rows, err);
    return status;
}

/* ---- one metric --------------------------------------------------------- */

static lathe_status check_metric(lathe_metric metric, metric_task task, lathe_error *err)
{
    if (!metric_valid(metric))
        return lathe__error(err, LATHE_INVALID, "metric %d does not exist", (int)metric);
    if (metric_table[metric].task != task)
        return lathe__error(err, LATHE_INVALID, "%s is a %s metric", metric_table[metric].name,
                            task == CLASSIFICATION ? "regression" : "classification");
    return LATHE_OK;
}

static void value_start(lathe_metric_value *out, lathe_metric metric)
{
    out->name = metric_table[metric].name;
    out->value = NAN;
    out->undefined = NULL;
}

/* One classification metric on checked data, reusing a confusion matrix when given. */
static lathe_status classification_metric(lathe_ctx *ctx, const lathe_classification_data *data,
                                          const lathe__confusion *confusion, lathe_metric metric,
                                          lathe_metric_value *out, lathe_error *err)
{
    value_start(out, metric);
    if (metric_table[metric].needs_proba)
        return lathe__score_metric(ctx, data, metric, out, err);
    if (confusion) {
        lathe__label_metric(confusion, metric, out);
        return LATHE_OK;
    }
    lathe__confusion own;
    lathe_status status = lathe__confusion_init(ctx, data, &own, err);
    if (status != LATHE_OK)
        return status;
    lathe__label_metric(&own, metric, out);
    lathe__confusion_release(ctx, &own);
    return LATHE_OK;
}

lathe_status lathe_metrics_classification(lathe_ctx *ctx, const lathe_classification_data *data,
                                          lathe_metric metric, lathe_metric_value *out,
                                          lathe_error *err)
{
    lathe_status status = check_metric(metric, CLASSIFICATION, err);
    if (status == LATHE_OK)
        status = lathe__classification_check(data, err);
    if (status == LATHE_OK && metric_table[metric].needs_proba && !data->y_proba)
        status = lathe__error(err, LATHE_INVALID, "%s needs class probabilities (y_proba)",
                              metric_table[metric].name);
    if (status != LATHE_OK)
        return status;
    lathe_metric_value value;
    status = classification_metric(ctx, data, NULL, metric, &value, err);
    if (status == LATHE_OK)
        *out = value;
    return status;
}

lathe_status lathe_metrics_regression(lathe_ctx *ctx, const lathe_regression_data *data,
                                      lathe_metric metric, lathe_metric_value *out,
                                      lathe_error *err)
{
    lathe_status status = check_metric(metric, REGRESSION, err);
    if (status == LATHE_OK)
        status = lathe__regression_check(data, err);
    if (status != LATHE_OK)
        return status;
    lathe_metric_value value;
    value_start(&value, metric);
    status = lathe__regression_metric(ctx, data, metric, &value, err);
    if (status == LATHE_OK)
        *out = value;
    return status;
}

/* ---- confusion matrix and per-class scores ------------------------------ */

lathe_status lathe_metrics_confusion(lathe_ctx *ctx, const lathe_classification_data *data,
                                     double *matrix, lathe_error *err)
{
    lathe__confusion confusion;
    lathe_status status = lathe__classification_check(data, err);
    if (status == LATHE_OK)
        status = lathe__confusion_init(ctx, data, &confusion, err);
    if (status != LATHE_OK)
        return status;
    memcpy(matrix, confusion.counts, data->n_classes * data->n_classes * sizeof *matrix);
    lathe__confusion_release(ctx, &confusion);
    return LATHE_OK;
}

lathe_status lathe_metrics_per_class(lathe_ctx *ctx, const lathe_classification_data *data,
                                     lathe_class_scores *out, lathe_error *err)
{
    lathe__confusion confusion;
    lathe_status status = lathe__classification_check(data, err);
    if (status == LATHE_OK)
        status = lathe__confusion_init(ctx, data, &confusion, err);
    if (status != LATHE_OK)
        return status;
    lathe__class_scores(&confusion, out);
    lathe__confusion_release(ctx, &confusion);
    return LATHE_OK;
}

/* ---- reports ------------------------------------------------------------ */

lathe_status lathe_metrics_report_classification(lathe_ctx *ctx,
                                                 const lathe_classification_data *data,
                                                 lathe_metrics_report *out, lathe_error *err)
{
    lathe__confusion confusion;
    lathe_status status = lathe__classification_check(data, err);
    if (status == LATHE_OK)
        status = lathe__confusion_init(ctx, data, &confusion, err);
    if (status != LATHE_OK)
        return status;
    lathe_metrics_report report = {0};
    for (int i = 0; i < LATHE_METRIC_COUNT && status == LATHE_OK; i++) {
        const metric_info *info = &metric_table[i];
        if (info->task != CLASSIFICATION || (info->needs_proba && !data->y_proba))
            continue;
        status = classification_metric(ctx, data, &confusion, (lathe_metric)i,
                                       &report.values[report.n_values++], err);
    }
    lathe__confusion_release(ctx, &confusion);
    if (status == LATHE_OK)
        *out = report;
    return status;
}

lathe_status lathe_metrics_report_regression(lathe_ctx *ctx, const lathe_regression_data *data,
                                             lathe_metrics_report *out, lathe_error *err)
{
    lathe_status status = lathe__regression_check(data, err);
    lathe_metrics_report report = {0};
    for (int i = 0; i < LATHE_METRIC_COUNT && status == LATHE_OK; i++) {
        if (metric_table[i].task != REGRESSION)
            continue;
        lathe_metric_value *value = &report.values[report.n_values++];
        value_start(value, (lathe_metric)i);
        status = lathe__regression_metric(ctx, data, (lathe_metric)i, value, err);
    }
    if (status == LATHE_OK)
        *out = report;
    return status;
}
