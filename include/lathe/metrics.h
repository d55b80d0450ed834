/*
 * metrics.h: scoring predictions against the truth, over plain arrays.
 *
 * Every metric agrees with scikit-learn 1.2 called with its defaults, to
 * rounding: where scikit-learn returns a number, Lathe returns the same
 * number (zero_division gives 0, absent classes are handled as it handles
 * them); where scikit-learn raises, Lathe returns NaN and says why in
 * lathe_metric_value.undefined instead of failing the call. A call fails
 * only on bad input: no rows, a class index out of range, a NaN, a negative
 * weight.
 *
 * Metric names are the ones every JSON output of Lathe uses (DESIGN.md):
 * accuracy, balanced_accuracy, precision_macro, recall_macro, f1_macro,
 * roc_auc, pr_auc, log_loss, mcc; rmse, mae, r2, mape; and the others below.
 *
 * Thread safety: the functions read their inputs and write only their
 * outputs; any number of threads may call them at once.
 */
#ifndef LATHE_METRICS_H
#define LATHE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"

/*
 * X(ID, name, task, needs_proba, greater_is_better). Classification metrics
 * that need probabilities are skipped by a report when none are given.
 */
#define LATHE_METRIC_MAP(X)                                                                        \
    X(ACCURACY, "accuracy", CLASSIFICATION, false, true)                                           \
    X(BALANCED_ACCURACY, "balanced_accuracy", CLASSIFICATION, false, true)                         \
    X(PRECISION_MACRO, "precision_macro", CLASSIFICATION, false, true)                             \
    X(RECALL_MACRO, "recall_macro", CLASSIFICATION, false, true)                                   \
    X(F1_MACRO, "f1_macro", CLASSIFICATION, false, true)                                           \
    X(PRECISION_MICRO, "precision_micro", CLASSIFICATION, false, true)                             \
    X(RECALL_MICRO, "recall_micro", CLASSIFICATION, false, true)                                   \
    X(F1_MICRO, "f1_micro", CLASSIFICATION, false, true)                                           \
    X(PRECISION_WEIGHTED, "precision_weighted", CLASSIFICATION, false, true)                       \
    X(RECALL_WEIGHTED, "recall_weighted", CLASSIFICATION, false, true)                             \
    X(F1_WEIGHTED, "f1_weighted", CLASSIFICATION, false, true)                                     \
    X(ROC_AUC, "roc_auc", CLASSIFICATION, true, true)                                              \
    X(PR_AUC, "pr_auc", CLASSIFICATION, true, true)                                                \
    X(LOG_LOSS, "log_loss", CLASSIFICATION, true, false)                                           \
    X(BRIER, "brier", CLASSIFICATION, true, false)                                                 \
    X(MCC, "mcc", CLASSIFICATION, false, true)                                                     \
    X(COHEN_KAPPA, "cohen_kappa", CLASSIFICATION, false, true)                                     \
    X(RMSE, "rmse", REGRESSION, false, false)                                                      \
    X(MAE, "mae", REGRESSION, false, false)                                                        \
    X(R2, "r2", REGRESSION, false, true)                                                           \
    X(MAPE, "mape", REGRESSION, false, false)                                                      \
    X(MSE, "mse", REGRESSION, false, false)                                                        \
    X(MEDIAN_AE, "median_ae", REGRESSION, false, false)                                            \
    X(EXPLAINED_VARIANCE, "explained_variance", REGRESSION, false, true)

typedef enum lathe_metric {
#define LATHE__METRIC_ENUM(id, name, task, needs_proba, greater_is_better) LATHE_METRIC_##id,
    LATHE_METRIC_MAP(LATHE__METRIC_ENUM)
#undef LATHE__METRIC_ENUM
        LATHE_METRIC_COUNT
} lathe_metric;

/* "accuracy", "roc_auc", ...; NULL for an out-of-range metric. */
LATHE_API const char *lathe_metric_name(lathe_metric metric);
/* Parses a metric name; returns false if `name` names no metric. */
LATHE_API bool lathe_metric_parse(const char *name, lathe_metric *out);
LATHE_API bool lathe_metric_is_regression(lathe_metric metric);
/* The metric reads class probabilities (roc_auc, pr_auc, log_loss, brier). */
LATHE_API bool lathe_metric_needs_proba(lathe_metric metric);
/* Higher is better (accuracy, r2); false for losses and errors (log_loss, rmse). */
LATHE_API bool lathe_metric_greater_is_better(lathe_metric metric);

/*
 * What a classifier is scored on. y_true holds class indices in
 * [0, n_classes), n_classes >= 2. Give y_pred, y_proba or both: without
 * y_pred, the predicted class is the first most probable one (numpy's
 * argmax). y_proba is row-major, y_proba[row * n_classes + class]; for two
 * classes, class 1 is the positive class. Rows need not sum to 1 (scikit-learn
 * refuses multiclass roc_auc when they do not; Lathe scores them as given).
 * weights are finite, >= 0, with a positive sum; NULL weighs every row 1.
 */
typedef struct lathe_classification_data {
    size_t n_rows;
    size_t n_classes;
    const int32_t *y_true;
    const int32_t *y_pred;
    const double *y_proba;
    const double *weights;
} lathe_classification_data;

/* What a regressor is scored on: n_rows finite values each, optional weights as above. */
typedef struct lathe_regression_data {
    size_t n_rows;
    const double *y_true;
    const double *y_pred;
    const double *weights;
} lathe_regression_data;

/*
 * One metric's result. When the metric is undefined for this data, value
 * is NaN and `undefined` says why in a static string ("only one class
 * present in y_true"); otherwise `undefined` is NULL. `name` is
 * lathe_metric_name(metric).
 */
typedef struct lathe_metric_value {
    const char *name;
    double value;
    const char *undefined;
} lathe_metric_value;

/*
 * Computes one metric. A classification metric needs classification data
 * (and y_proba if lathe_metric_needs_proba), a regression metric regression
 * data: asking otherwise fails with LATHE_INVALID.
 *
 * Definitions, all as scikit-learn 1.2 computes them:
 *   precision/recall/f1 _macro average over the classes present in y_true
 *     or y_pred; _weighted weighs each class by its (weighted) true count;
 *     a class never predicted has precision 0, never true recall 0.
 *   balanced_accuracy: mean recall over the classes with weight in y_true.
 *   roc_auc: binary, class 1's score against the rest; multiclass,
 *     one-vs-rest macro; undefined when y_true lacks a class (or, binary,
 *     holds one class).
 *   pr_auc: average precision (sklearn's step sum over distinct
 *     thresholds); multiclass, the macro mean of each class against the
 *     rest; a class with no true rows scores 0 as in scikit-learn.
 *   log_loss: probabilities clipped to [eps, 1 - eps] with eps = DBL_EPSILON
 *     (scikit-learn 1.2's eps="auto" for doubles), rows renormalized.
 *   brier: binary, mean (y - p1)^2; multiclass, mean over rows of the sum over
 *     classes of (onehot - p)^2.
 *   mcc: the multiclass (Gorodkin) R_K; 0 when y_true or y_pred holds one class.
 *   cohen_kappa: unweighted; undefined when both hold one and the same class.
 *   r2: undefined below two rows; 1 for perfect predictions; 0 when y_true is
 *     constant but predictions are not.
 *   median_ae: np.median without weights; with weights scikit-learn's weighted
 *     (lower) 50th percentile.
 *   mape: mean |y - p| / max(|y|, DBL_EPSILON), a fraction, not percent.
 */
LATHE_API lathe_status lathe_metrics_classification(lathe_ctx *ctx,
                                                    const lathe_classification_data *data,
                                                    lathe_metric metric, lathe_metric_value *out,
                                                    lathe_error *err);
LATHE_API lathe_status lathe_metrics_regression(lathe_ctx *ctx, const lathe_regression_data *data,
                                                lathe_metric metric, lathe_metric_value *out,
                                                lathe_error *err);

/*
 * Weighted confusion counts into matrix[n_classes * n_classes]:
 * matrix[true_class * n_classes + predicted_class].
 */
LATHE_API lathe_status lathe_metrics_confusion(lathe_ctx *ctx,
                                               const lathe_classification_data *data,
                                               double *matrix, lathe_error *err);

/* Per-class scores; support is the class's weighted count in y_true. */
typedef struct lathe_class_scores {
    double precision;
    double recall;
    double f1;
    double support;
} lathe_class_scores;

/* Fills out[n_classes]; a class absent from both y_true and y_pred scores 0 throughout. */
LATHE_API lathe_status lathe_metrics_per_class(lathe_ctx *ctx,
                                               const lathe_classification_data *data,
                                               lathe_class_scores *out, lathe_error *err);

/*
 * Every metric that applies to the data, in LATHE_METRIC_MAP order, so a
 * command can print or dump them uniformly. Classification reports leave out
 * the probability metrics when y_proba is NULL.
 */
typedef struct lathe_metrics_report {
    size_t n_values;
    lathe_metric_value values[LATHE_METRIC_COUNT];
} lathe_metrics_report;

LATHE_API lathe_status lathe_metrics_report_classification(lathe_ctx *ctx,
                                                           const lathe_classification_data *data,
                                                           lathe_metrics_report *out,
                                                           lathe_error *err);
LATHE_API lathe_status lathe_metrics_report_regression(lathe_ctx *ctx,
                                                       const lathe_regression_data *data,
                                                       lathe_metrics_report *out, lathe_error *err);

/* ---- bootstrap confidence intervals ------------------------------------ */

/*
 * n_resamples resamples of n_rows rows drawn with replacement (seeded: the
 * same seed gives the same interval); the interval is the percentile
 * interval at `confidence`, numpy's linear-interpolation quantiles of the
 * resampled values at (1 - confidence) / 2 and (1 + confidence) / 2.
 */
typedef struct lathe_bootstrap_options {
    size_t n_resamples; /* 1 .. LATHE_BOOTSTRAP_MAX_RESAMPLES; 1000 is usual */
    double confidence;  /* in (0, 1); 0.95 is usual */
    uint64_t seed;
} lathe_bootstrap_options;

#define LATHE_BOOTSTRAP_MAX_RESAMPLES 1000000

/*
 * estimate is the metric on all rows. Resamples where the metric is
 * undefined (a resample with one class, for roc_auc) are left out;
 * n_defined counts the rest, and with none, lower and upper are NaN.
 */
typedef struct lathe_interval {
    double estimate;
    double lower;
    double upper;
    size_t n_defined;
} lathe_interval;

/*
 * Any statistic of a list of rows: computes it over rows[0..n_rows) of the
 * caller's data (rows repeat in a resample) into *value, NaN when undefined.
 * A non-OK status stops the bootstrap and is returned from it.
 */
typedef lathe_status (*lathe_bootstrap_fn)(void *user, const size_t *rows, size_t n_rows,
                                           double *value, lathe_error *err);

/* The percentile interval of any statistic over rows [0, n_rows). */
LATHE_API lathe_status lathe_metrics_bootstrap(lathe_ctx *ctx, size_t n_rows,
                                               lathe_bootstrap_fn statistic, void *user,
                                               const lathe_bootstrap_options *options,
                                               lathe_interval *out, lathe_error *err);

/* The percentile interval of one metric, by lathe_metrics_bootstrap. */
LATHE_API lathe_status lathe_metrics_bootstrap_classification(
    lathe_ctx *ctx, const lathe_classification_data *data, lathe_metric metric,
    const lathe_bootstrap_options *options, lathe_interval *out, lathe_error *err);
LATHE_API lathe_status lathe_metrics_bootstrap_regression(lathe_ctx *ctx,
                                                          const lathe_regression_data *data,
                                                          lathe_metric metric,
                                                          const lathe_bootstrap_options *options,
                                                          lathe_interval *out, lathe_error *err);

#endif
