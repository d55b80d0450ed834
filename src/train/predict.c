/*
 * predict.c: predictions and evaluation with a trained or loaded model.
 *
 * Both go through the one path: the fitted pipeline transforms the frame,
 * the estimator predicts, so a loaded artifact predicts exactly as the
 * model did in the process that trained it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "train/train_internal.h"

#include "core/banned.h"

/* Every input column the frame holds must have the kind it had in training. */
static lathe_status check_kinds(const lathe_model *model, const lathe_frame *data, lathe_error *err)
{
    for (size_t i = 0; i < model->n_columns; i++) {
        const lathe_column_decl *decl = &model->columns[i];
        size_t column;
        if (decl->role != LATHE_ROLE_FEATURE || !lathe_frame_find(data, decl->name, &column))
            continue;
        lathe_kind kind = lathe_frame_column_kind(data, column);
        if (kind != decl->kind)
            return lathe__error(err, LATHE_INVALID,
                                "column \"%s\" is %s here but was %s in training (read the data "
                                "with the model's column kinds)",
                                decl->name, lathe_kind_name(kind), lathe_kind_name(decl->kind));
    }
    return LATHE_OK;
}

static void argmax_rows(const double *proba, size_t n_rows, size_t n_classes, int32_t *labels)
{
    for (size_t r = 0; r < n_rows; r++)
        labels[r] = (int32_t)lathe__argmax(proba + r * n_classes, n_classes);
}

lathe_status lathe_model_predict(const lathe_model *model, const lathe_frame *data, double *out,
                                 int32_t *labels, lathe_error *err)
{
    lathe_status status = check_kinds(model, data, err);
    if (status != LATHE_OK)
        return status;
    lathe__matrix x = {0};
    if ((status = lathe__prep_transform(model->prep, data, &x, err)) != LATHE_OK)
        return status;
    if (model->ops->predict_parallel)
        model->ops->predict_parallel(model->ctx, model->estimator, &x, out);
    else
        model->ops->predict(model->estimator, &x, out);
    if (labels && model->task == LATHE__TASK_CLASSIFICATION)
        argmax_rows(out, x.n_rows, model->n_classes, labels);
    lathe__matrix_release(model->ctx, &x);
    return LATHE_OK;
}

/* The rows of data whose target is present, with their targets. */
typedef struct scored_rows {
    lathe_frame *frame;
    double *y;
    int32_t *classes;
    double *predicted;
    int32_t *labels;
    double *weights;
} scored_rows;

static void release_scored(lathe_ctx *ctx, scored_rows *s)
{
    lathe_frame_free(s->frame);
    lathe__free(ctx, s->y);
    lathe__free(ctx, s->classes);
    lathe__free(ctx, s->predicted);
    lathe__free(ctx, s->labels);
    lathe__free(ctx, s->weights);
}

static lathe_status unknown_class(const lathe_model *model, const scored_rows *s, size_t target,
                                  size_t row, lathe_error *err)
{
    char name[64] = "";
    const lathe_frame *f = s->frame;
    lathe_kind kind = lathe_frame_column_kind(f, target);
    if (kind == LATHE_KIND_CATEGORICAL)
        snprintf(name, sizeof name, "%s",
                 lathe_frame_category_name(f, target, lathe_frame_category(f, target, row)));
    else if (kind == LATHE_KIND_NUMERIC)
        lathe__format_class_number(lathe_frame_numeric(f, target, row), name, sizeof name);
    else if (kind == LATHE_KIND_BOOLEAN)
        snprintf(name, sizeof name, "%s", lathe_frame_boolean(f, target, row) ? "true" : "false");
    return lathe__error(err, LATHE_INVALID,
                        "target \"%s\" holds class \"%s\", which the model never saw in "
                        "training (classes: %zu)",
                        model->target, name, model->n_classes);
}

static lathe_status gather(const lathe_model *model, const lathe_frame *data, size_t target,
                           scored_rows *s, lathe_error *err)
{
    lathe_ctx *ctx = model->ctx;
    size_t n_rows = lathe_frame_n_rows(data), n = 0;
    size_t *rows = lathe__calloc(ctx, n_rows ? n_rows : 1, sizeof *rows);
    if (!rows)
        return lathe__error_nomem(err);
    for (size_t r = 0; r < n_rows; r++)
        if (!lathe_frame_is_missing(data, target, r))
            rows[n++] = r;
    lathe_status status = lathe_frame_take(data, rows, n, &s->frame, err);
    lathe__free(ctx, rows);
    if (status != LATHE_OK)
        return status;
    if (n == 0)
        return lathe__error(err, LATHE_INVALID, "no rows with a value in target \"%s\" to score",
                            model->target);
    size_t n_outputs = model->task == LATHE__TASK_CLASSIFICATION ? model->n_classes : 1;
    s->y = lathe__calloc(ctx, n, sizeof *s->y);
    s->classes = lathe__calloc(ctx, n, sizeof *s->classes);
    s->labels = lathe__calloc(ctx, n, sizeof *s->labels);
    s->predicted = lathe__calloc(ctx, n, n_outputs * sizeof *s->predicted);
    if (!s->y || !s->classes || !s->labels || !s->predicted)
        return lathe__error_nomem(err);
    status = lathe__model_targets(model, s->frame, target, s->y, s->classes, err);
    for (size_t r = 0; status == LATHE_OK && model->task == LATHE__TASK_CLASSIFICATION && r < n;
         r++)
        if (s->classes[r] < 0)
            status = unknown_class(model, s, target, r, err);
    if (status == LATHE_OK)
        status = lathe__sample_weights(ctx, s->frame, &s->weights, err);
    return status;
}

/* Confidence intervals for every metric of a report, from the same rows. */
static lathe_status intervals_of(const lathe_model *model, const scored_rows *s, size_t n,
                                 const lathe_bootstrap_options *options,
                                 const lathe_metrics_report *report, lathe_interval *intervals,
                                 lathe_error *err)
{
    lathe_status status = LATHE_OK;
    for (size_t i = 0; i < report->n_values && status == LATHE_OK; i++) {
        lathe_metric metric;
        lathe_metric_parse(report->values[i].name, &metric);
        if (model->task == LATHE__TASK_CLASSIFICATION) {
            lathe_classification_data data_c = {n,         model->n_classes, s->classes,
                                                s->labels, s->predicted,     s->weights};
            status = lathe_metrics_bootstrap_classification(model->ctx, &data_c, metric, options,
                                                            &intervals[i], err);
        } else {
            lathe_regression_data data_r = {n, s->y, s->predicted, s->weights};
            status = lathe_metrics_bootstrap_regression(model->ctx, &data_r, metric, options,
                                                        &intervals[i], err);
        }
    }
    return status;
}

lathe_status lathe__model_labeled_matrix(const lathe_model *model, const lathe_frame *data,
                                         lathe__matrix *x, double **y, lathe_error *err)
{
    size_t target;
    if (!lathe_frame_find(data, model->target, &target))
        return lathe__error(err, LATHE_NOT_FOUND, "target column \"%s\" is not in the data",
                            model->target);
    scored_rows s = {0};
    lathe_status status = check_kinds(model, data, err);
    if (status == LATHE_OK)
        status = gather(model, data, target, &s, err);
    if (status == LATHE_OK)
        status = lathe__prep_transform(model->prep, s.frame, x, err);
    if (status == LATHE_OK) {
        *y = s.y;
        s.y = NULL;
    }
    release_scored(model->ctx, &s);
    return status;
}

lathe_status lathe_model_evaluate_intervals(const lathe_model *model, const lathe_frame *data,
                                            const lathe_bootstrap_options *options,
                                            lathe_metrics_report *out, lathe_interval *intervals,
                                            lathe_error *err)
{
    size_t target;
    if (!lathe_frame_find(data, model->target, &target))
        return lathe__error(err, LATHE_NOT_FOUND,
                            "target column \"%s\" is not in the data, so there is nothing to "
                            "score against",
                            model->target);
    scored_rows s = {0};
    lathe_status status = gather(model, data, target, &s, err);
    if (status == LATHE_OK)
        status = lathe_model_predict(model, s.frame, s.predicted, s.labels, err);
    size_t n = s.frame ? lathe_frame_n_rows(s.frame) : 0;
    if (status == LATHE_OK && model->task == LATHE__TASK_CLASSIFICATION) {
        lathe_classification_data data_c = {n,        model->n_classes, s.classes,
                                            s.labels, s.predicted,      s.weights};
        status = lathe_metrics_report_classification(model->ctx, &data_c, out, err);
    } else if (status == LATHE_OK) {
        lathe_regression_data data_r = {n, s.y, s.predicted, s.weights};
        status = lathe_metrics_report_regression(model->ctx, &data_r, out, err);
    }
    if (status == LATHE_OK && options && intervals)
        status = intervals_of(model, &s, n, options, out, intervals, err);
    release_scored(model->ctx, &s);
    return status;
}

lathe_status lathe_model_evaluate(const lathe_model *model, const lathe_frame *data,
                                  lathe_metrics_report *out, lathe_error *err)
{
    return lathe_model_evaluate_intervals(model, data, NULL, out, NULL, err);
}
