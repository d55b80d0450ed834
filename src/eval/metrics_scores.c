/*
 * metrics_scores.c: metrics of class probabilities: ROC-AUC, average
 * precision (pr_auc), log loss and the Brier score.
 *
 * Both areas come from one sorted pass over one class's scores: rows are
 * sorted by score, rows with equal scores form one threshold (so ties are
 * counted once, as in scikit-learn's _binary_clf_curve), and at each
 * threshold the running weighted true- and false-positive counts add a
 * trapezoid to ROC-AUC and a step (recall gained times precision) to
 * average precision. Rows of zero weight are dropped first, as scikit-learn
 * drops them. Multiclass scores are one class against the rest, averaged
 * over classes with equal weight (macro).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "core/internal.h"
#include "eval/eval.h"

#include "core/banned.h"

typedef struct scored_row {
    double score;
    double weight;
    bool positive;
} scored_row;

typedef struct binary_areas {
    double roc_auc; /* NaN when a side has no weight */
    double average_precision;
} binary_areas;

static int by_score_descending(const void *a, const void *b)
{
    double x = ((const scored_row *)a)->score, y = ((const scored_row *)b)->score;
    return (x < y) - (x > y);
}

/* Class `k`'s scores against the rest, rows of zero weight left out; returns the count. */
static size_t gather_class(const lathe_classification_data *data, size_t k, scored_row *rows)
{
    size_t n = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        double weight = data->weights ? data->weights[r] : 1.0;
        if (weight == 0.0)
            continue;
        rows[n].score = data->y_proba[r * data->n_classes + k];
        rows[n].weight = weight;
        rows[n].positive = (size_t)data->y_true[r] == k;
        n++;
    }
    return n;
}

static binary_areas curve_areas(scored_row *rows, size_t n_rows)
{
    qsort(rows, n_rows, sizeof *rows, by_score_descending);
    double positives = 0, negatives = 0;
    for (size_t i = 0; i < n_rows; i++) {
        if (rows[i].positive)
            positives += rows[i].weight;
        else
            negatives += rows[i].weight;
    }
    double tp = 0, fp = 0, tpr_before = 0, fpr_before = 0, recall_before = 0;
    binary_areas areas = {0, 0};
    for (size_t i = 0; i < n_rows;) {
        double threshold = rows[i].score;
        for (; i < n_rows && rows[i].score == threshold; i++) {
            if (rows[i].positive)
                tp += rows[i].weight;
            else
                fp += rows[i].weight;
        }
        double tpr = tp / positives, fpr = fp / negatives;
        areas.roc_auc += (fpr - fpr_before) * (tpr + tpr_before) / 2.0;
        tpr_before = tpr;
        fpr_before = fpr;
        /* scikit-learn sets recall to 1 throughout when there are no positives */
        double recall = positives == 0.0 ? 1.0 : tp / positives;
        areas.average_precision += (recall - recall_before) * (tp / (tp + fp));
        recall_before = recall;
    }
    if (positives == 0.0 || negatives == 0.0)
        areas.roc_auc = NAN;
    return areas;
}

static bool every_class_in_y_true(const lathe_classification_data *data, bool *seen)
{
    size_t n_seen = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        if (!seen[data->y_true[r]]) {
            seen[data->y_true[r]] = true;
            n_seen++;
        }
    }
    return n_seen == data->n_classes;
}

static const char only_one_class[] = "only one class present in y_true";
static const char missing_class[] = "a class is absent from y_true, so one-vs-rest is undefined";
static const char no_weight[] = "a class has no rows of nonzero weight in y_true";

/* Binary: class 1 against class 0. Multiclass: the macro mean over classes. */
static lathe_status ranking_metric(lathe_ctx *ctx, const lathe_classification_data *data,
                                   lathe_metric metric, lathe_metric_value *out, lathe_error *err)
{
    bool binary = data->n_classes == 2;
    scored_row *rows = lathe__calloc(ctx, data->n_rows, sizeof *rows);
    bool *seen = lathe__calloc(ctx, data->n_classes, sizeof *seen);
    if (!rows || !seen) {
        lathe__free(ctx, rows);
        lathe__free(ctx, seen);
        return lathe__error_nomem(err);
    }
    if (metric == LATHE_METRIC_ROC_AUC && !every_class_in_y_true(data, seen)) {
        lathe__metric_undefined(out, binary ? only_one_class : missing_class);
        goto out;
    }
    double sum = 0;
    size_t first = binary ? 1 : 0;
    for (size_t k = first; k < data->n_classes; k++) {
        binary_areas areas = curve_areas(rows, gather_class(data, k, rows));
        sum += metric == LATHE_METRIC_ROC_AUC ? areas.roc_auc : areas.average_precision;
    }
    out->value = sum / (double)(data->n_classes - first);
    if (isnan(out->value))
        lathe__metric_undefined(out, no_weight);
out:
    lathe__free(ctx, rows);
    lathe__free(ctx, seen);
    return LATHE_OK;
}

/* Mean negative log-likelihood of the true class after clipping to [eps, 1 - eps]. */
static void log_loss(const lathe_classification_data *data, lathe_metric_value *out)
{
    const double eps = DBL_EPSILON;
    double loss = 0, weight_sum = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        const double *proba = data->y_proba + r * data->n_classes;
        double row_sum = 0;
        for (size_t k = 0; k < data->n_classes; k++)
            row_sum += fmin(fmax(proba[k], eps), 1.0 - eps);
        double truth = fmin(fmax(proba[data->y_true[r]], eps), 1.0 - eps);
        double weight = data->weights ? data->weights[r] : 1.0;
        loss += weight * -log(truth / row_sum);
        weight_sum += weight;
    }
    out->value = loss / weight_sum;
}

/* Binary: (is class 1 - p1)^2; multiclass: the sum over classes of (one-hot - p)^2. */
static void brier(const lathe_classification_data *data, lathe_metric_value *out)
{
    bool binary = data->n_classes == 2;
    double total = 0, weight_sum = 0;
    for (size_t r = 0; r < data->n_rows; r++) {
        const double *proba = data->y_proba + r * data->n_classes;
        double squared = 0;
        for (size_t k = binary ? 1 : 0; k < data->n_classes; k++) {
            double diff = ((size_t)data->y_true[r] == k ? 1.0 : 0.0) - proba[k];
            squared += diff * diff;
        }
        double weight = data->weights ? data->weights[r] : 1.0;
        total += weight * squared;
        weight_sum += weight;
    }
    out->value = total / weight_sum;
}

lathe_status lathe__score_metric(lathe_ctx *ctx, const lathe_classification_data *data,
                                 lathe_metric metric, lathe_metric_value *out, lathe_error *err)
{
    if (metric == LATHE_METRIC_LOG_LOSS) {
        log_loss(data, out);
        return LATHE_OK;
    }
    if (metric == LATHE_METRIC_BRIER) {
        brier(data, out);
        return LATHE_OK;
    }
    return ranking_metric(ctx, data, metric, out, err);
}
