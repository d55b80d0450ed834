/*
 * eval.h: what the metric files share inside src/eval (internal).
 *
 * metrics.c checks the caller's data once and dispatches through a table;
 * metrics_labels.c scores predicted labels from one weighted confusion
 * matrix, metrics_scores.c scores probabilities, metrics_regression.c
 * scores values. The functions here assume checked input.
 */
#ifndef LATHE_EVAL_H
#define LATHE_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "lathe/metrics.h"

/* Checks everything the metrics assume; the message names the bad row. */
lathe_status lathe__classification_check(const lathe_classification_data *data, lathe_error *err);
lathe_status lathe__regression_check(const lathe_regression_data *data, lathe_error *err);

/* Sets a result to NaN with the reason it is undefined. */
void lathe__metric_undefined(lathe_metric_value *out, const char *why);

/*
 * The weighted confusion matrix and its margins. `in_true` and `in_pred`
 * record which classes occur at all, whatever their weight: scikit-learn's
 * macro averages run over the labels that occur, even with zero weight.
 */
typedef struct lathe__confusion {
    size_t n_classes;
    double *counts; /* counts[true_class * n_classes + predicted_class] */
    double *true_total;
    double *pred_total;
    double total;
    bool *in_true;
    bool *in_pred;
} lathe__confusion;

/* Predicted classes come from y_pred, else from the argmax of y_proba. */
lathe_status lathe__confusion_init(lathe_ctx *ctx, const lathe_classification_data *data,
                                   lathe__confusion *out, lathe_error *err);
void lathe__confusion_release(lathe_ctx *ctx, lathe__confusion *confusion);

/* The first most probable class of a row, as numpy's argmax. */
int32_t lathe__argmax_class(const double *proba, size_t n_classes);

/* Label metrics: accuracy, balanced_accuracy, precision/recall/f1_*, mcc, cohen_kappa. */
void lathe__label_metric(const lathe__confusion *confusion, lathe_metric metric,
                         lathe_metric_value *out);
void lathe__class_scores(const lathe__confusion *confusion, lathe_class_scores *out);

/* Probability metrics: roc_auc, pr_auc, log_loss, brier (y_proba is set). */
lathe_status lathe__score_metric(lathe_ctx *ctx, const lathe_classification_data *data,
                                 lathe_metric metric, lathe_metric_value *out, lathe_error *err);

/* Regression metrics. */
lathe_status lathe__regression_metric(lathe_ctx *ctx, const lathe_regression_data *data,
                                      lathe_metric metric, lathe_metric_value *out,
                                      lathe_error *err);

#endif
