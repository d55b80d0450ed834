/*
 * metrics_labels.c: metrics of predicted labels, all read off one weighted
 * confusion matrix.
 *
 * Every label metric scikit-learn offers is a function of the confusion
 * matrix and of which labels occur at all, so the matrix is built once per
 * report and each metric is a small function of it, chosen from a table.
 * The arithmetic follows scikit-learn's order of operations where a zero
 * test depends on it (mcc's "cov_ypyp * cov_ytyt == 0"), so degenerate
 * inputs land on the same side of the test.
 */
#include <math.h>

#include "core/internal.h"
#include "eval/eval.h"

#include "core/banned.h"

int32_t lathe__argmax_class(const double *proba, size_t n_classes)
{
    size_t best = 0;
    for (size_t k = 1; k < n_classes; k++) {
        if (proba[k] > proba[best])
            best = k;
    }
    return (int32_t)best;
}

static void confusion_count(lathe__confusion *confusion, const lathe_classification_data *data)
{
    size_t n_classes = data->n_classes;
    for (size_t r = 0; r < data->n_rows; r++) {
        size_t truth = (size_t)data->y_true[r];
        size_t predicted =
            data->y_pred ? (size_t)data->y_pred[r]
                         : (size_t)lathe__argmax_class(data->y_proba + r * n_classes, n_classes);
        confusion->counts[truth * n_classes + predicted] += data->weights ? data->weights[r] : 1.0;
        confusion->in_true[truth] = true;
        confusion->in_pred[predicted] = true;
    }
    for (size_t t = 0; t < n_classes; t++) {
        for (size_t p = 0; p < n_classes; p++) {
            confusion->true_total[t] += confusion->counts[t * n_classes + p];
            confusion->pred_total[p] += confusion->counts[t * n_classes + p];
        }
    }
    for (size_t k = 0; k < n_classes; k++)
        confusion->total += confusion->pred_total[k];
}

lathe_status lathe__confusion_init(lathe_ctx *ctx, const lathe_classification_data *data,
                                   lathe__confusion *out, lathe_error *err)
{
    size_t n_classes = data->n_classes;
    lathe__confusion confusion = {.n_classes = n_classes};
    size_t n_cells;
    if (lathe__mul_overflows(n_classes, n_classes, &n_cells))
        return lathe__error(err, LATHE_LIMIT, "%zu classes are too many for a confusion matrix",
                            n_classes);
    confusion.counts = lathe__calloc(ctx, n_cells, sizeof(double));
    confusion.true_total = lathe__calloc(ctx, n_classes, sizeof(double));
    confusion.pred_total = lathe__calloc(ctx, n_classes, sizeof(double));
    confusion.in_true = lathe__calloc(ctx, n_classes, sizeof(bool));
    confusion.in_pred = lathe__calloc(ctx, n_classes, sizeof(bool));
    if (!confusion.counts || !confusion.true_total || !confusion.pred_total || !confusion.in_true ||
        !confusion.in_pred) {
        lathe__confusion_release(ctx, &confusion);
        return lathe__error_nomem(err);
    }
    confusion_count(&confusion, data);
    *out = confusion;
    return LATHE_OK;
}

void lathe__confusion_release(lathe_ctx *ctx, lathe__confusion *confusion)
{
    lathe__free(ctx, confusion->counts);
    lathe__free(ctx, confusion->true_total);
    lathe__free(ctx, confusion->pred_total);
    lathe__free(ctx, confusion->in_true);
    lathe__free(ctx, confusion->in_pred);
}

/* ---- per-class precision, recall and F1 --------------------------------- */

/* scikit-learn's _prf_divide with zero_division="warn": 0 where the denominator is 0. */
static double divide_or_zero(double numerator, double denominator)
{
    return denominator == 0.0 ? 0.0 : numerator / denominator;
}

static double f1_of(double precision, double recall)
{
    double denominator = precision + recall;
    return denominator == 0.0 ? 0.0 : 2.0 * precision * recall / denominator;
}

static lathe_class_scores class_scores(const lathe__confusion *confusion, size_t k)
{
    double hits = confusion->counts[k * confusion->n_classes + k];
    lathe_class_scores scores;
    scores.precision = divide_or_zero(hits, confusion->pred_total[k]);
    scores.recall = divide_or_zero(hits, confusion->true_total[k]);
    scores.f1 = f1_of(scores.precision, scores.recall);
    scores.support = confusion->true_total[k];
    return scores;
}

void lathe__class_scores(const lathe__confusion *confusion, lathe_class_scores *out)
{
    for (size_t k = 0; k < confusion->n_classes; k++)
        out[k] = class_scores(confusion, k);
}

typedef enum score_kind { PRECISION, RECALL, F1 } score_kind;

static double pick(lathe_class_scores scores, score_kind kind)
{
    return kind == PRECISION ? scores.precision : kind == RECALL ? scores.recall : scores.f1;
}

static bool label_occurs(const lathe__confusion *confusion, size_t k)
{
    return confusion->in_true[k] || confusion->in_pred[k];
}

static double macro_average(const lathe__confusion *confusion, score_kind kind)
{
    double sum = 0;
    size_t n_labels = 0;
    for (size_t k = 0; k < confusion->n_classes; k++) {
        if (!label_occurs(confusion, k))
            continue;
        sum += pick(class_scores(confusion, k), kind);
        n_labels++;
    }
    return sum / (double)n_labels;
}

static double weighted_average(const lathe__confusion *confusion, score_kind kind)
{
    double sum = 0, support = 0;
    for (size_t k = 0; k < confusion->n_classes; k++) {
        if (!label_occurs(confusion, k))
            continue;
        lathe_class_scores scores = class_scores(confusion, k);
        sum += pick(scores, kind) * scores.support;
        support += scores.support;
    }
    return divide_or_zero(sum, support);
}

static double trace(const lathe__confusion *confusion)
{
    double hits = 0;
    for (size_t k = 0; k < confusion->n_classes; k++)
        hits += confusion->counts[k * confusion->n_classes + k];
    return hits;
}

/* Micro precision and recall both equal accuracy: every row is one prediction and one truth. */
static double micro_average(const lathe__confusion *confusion, score_kind kind)
{
    double share = divide_or_zero(trace(confusion), confusion->total);
    return kind == F1 ? f1_of(share, share) : share;
}

/* ---- the label metrics -------------------------------------------------- */

typedef void (*label_metric_fn)(const lathe__confusion *confusion, lathe_metric_value *out);

static void accuracy(const lathe__confusion *confusion, lathe_metric_value *out)
{
    out->value = trace(confusion) / confusion->total;
}

/* Mean recall over the classes with weight in y_true (scikit-learn drops the NaN rest). */
static void balanced_accuracy(const lathe__confusion *confusion, lathe_metric_value *out)
{
    double sum = 0;
    size_t n_labels = 0;
    for (size_t k = 0; k < confusion->n_classes; k++) {
        if (confusion->true_total[k] == 0.0)
            continue;
        sum += confusion->counts[k * confusion->n_classes + k] / confusion->true_total[k];
        n_labels++;
    }
    out->value = sum / (double)n_labels;
}

#define AVERAGED(name, average, kind)                                                              \
    static void name(const lathe__confusion *confusion, lathe_metric_value *out)                   \
    {                                                                                              \
        out->value = average(confusion, kind);                                                     \
    }
AVERAGED(precision_macro, macro_average, PRECISION)
AVERAGED(recall_macro, macro_average, RECALL)
AVERAGED(f1_macro, macro_average, F1)
AVERAGED(precision_micro, micro_average, PRECISION)
AVERAGED(recall_micro, micro_average, RECALL)
AVERAGED(f1_micro, micro_average, F1)
AVERAGED(precision_weighted, weighted_average, PRECISION)
AVERAGED(recall_weighted, weighted_average, RECALL)
AVERAGED(f1_weighted, weighted_average, F1)
#undef AVERAGED

static double dot(const double *a, const double *b, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

/* Matthews' correlation generalized to K classes, as sklearn.metrics.matthews_corrcoef. */
static void mcc(const lathe__confusion *confusion, lathe_metric_value *out)
{
    size_t n = confusion->n_classes;
    const double *t_sum = confusion->true_total, *p_sum = confusion->pred_total;
    double n_samples = confusion->total;
    double cov_ytyp = trace(confusion) * n_samples - dot(t_sum, p_sum, n);
    double cov_ypyp = n_samples * n_samples - dot(p_sum, p_sum, n);
    double cov_ytyt = n_samples * n_samples - dot(t_sum, t_sum, n);
    out->value = cov_ypyp * cov_ytyt == 0 ? 0.0 : cov_ytyp / sqrt(cov_ytyt * cov_ypyp);
}

/* 1 - observed disagreement / disagreement expected by chance from the margins. */
static void cohen_kappa(const lathe__confusion *confusion, lathe_metric_value *out)
{
    size_t n = confusion->n_classes;
    double observed = 0, expected = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (i == j)
                continue;
            observed += confusion->counts[i * n + j];
            expected += confusion->pred_total[i] * confusion->true_total[j] / confusion->total;
        }
    }
    if (expected == 0.0) {
        lathe__metric_undefined(out, "y_true and y_pred hold one and the same class, so "
                                     "agreement by chance is certain");
        return;
    }
    out->value = 1.0 - observed / expected;
}

static const label_metric_fn label_metrics[LATHE_METRIC_COUNT] = {
    [LATHE_METRIC_ACCURACY] = accuracy,
    [LATHE_METRIC_BALANCED_ACCURACY] = balanced_accuracy,
    [LATHE_METRIC_PRECISION_MACRO] = precision_macro,
    [LATHE_METRIC_RECALL_MACRO] = recall_macro,
    [LATHE_METRIC_F1_MACRO] = f1_macro,
    [LATHE_METRIC_PRECISION_MICRO] = precision_micro,
    [LATHE_METRIC_RECALL_MICRO] = recall_micro,
    [LATHE_METRIC_F1_MICRO] = f1_micro,
    [LATHE_METRIC_PRECISION_WEIGHTED] = precision_weighted,
    [LATHE_METRIC_RECALL_WEIGHTED] = recall_weighted,
    [LATHE_METRIC_F1_WEIGHTED] = f1_weighted,
    [LATHE_METRIC_MCC] = mcc,
    [LATHE_METRIC_COHEN_KAPPA] = cohen_kappa,
};

void lathe__label_metric(const lathe__confusion *confusion, lathe_metric metric,
                         lathe_metric_value *out)
{
    label_metrics[metric](confusion, out);
}
