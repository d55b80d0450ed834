/*
 * model.h: training, evaluating, saving and using models.
 *
 * A lathe_model is everything needed to turn new rows into predictions: the
 * input schema (the model's signature), the fitted preprocessing pipeline,
 * the fitted estimator, the training data's reference statistics, the
 * metrics measured at training time, the parameters and the lineage (data
 * digest, spec, seed, Lathe version, time). It is saved as one artifact file
 * and predicts after loading exactly as it did in the process that trained
 * it, bit for bit: the same code transforms rows in both.
 *
 * Thread safety: a model is immutable once trained or loaded; any number of
 * threads may predict and evaluate with it at once.
 */
#ifndef LATHE_MODEL_PUBLIC_H
#define LATHE_MODEL_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"
#include "lathe/frame.h"
#include "lathe/metrics.h"
#include "lathe/read.h"

typedef struct lathe_model lathe_model;

typedef struct lathe_train_options {
    const char *target;        /* the column to predict (required here or in the spec) */
    const char *model;         /* a family name, or "auto" (the default) */
    const char *const *params; /* "NAME=VALUE" model parameters, over the spec's */
    size_t n_params;
    const char *spec_path;    /* a YAML spec (see docs), or NULL */
    const lathe_frame *test;  /* rows to score on instead of a holdout, or NULL */
    const lathe_frame *valid; /* rows for early stopping (gbdt with early_stopping_rounds)
                                 instead of validation_fraction of the training rows, or
                                 NULL */
    int folds;                /* k-fold cross-validation on the training rows (0: the
                                 spec's, else none) */
    double holdout;           /* fraction held out for test metrics; <0: the default
                                 0.2 (or the spec's); 0: none */
    const char *split;        /* random, stratified, group or time; NULL: the spec's,
                                 else stratified for classes and random for values */
    const char *group_column; /* for split=group */
    const char *time_column;  /* for split=time */
    const char *task;         /* classification or regression; NULL: from the model
                                 family and the target's values */
    const char *data_source;  /* lineage: where the data came from */
    const char *data_sha256;  /* lineage: digest of the data file(s), hex */
} lathe_train_options;

LATHE_API void lathe_train_options_init(lathe_train_options *options);

/* A model family's description, for listings and help: its name, summary, tasks. */
typedef struct lathe_family_info {
    const char *name;
    const char *summary;
    bool classification;
    bool regression;
    size_t n_params;
} lathe_family_info;

/* A family parameter: name, type ("number", "integer", "boolean", "choice", "text"),
   default as text, the choices ('|'-separated) for a choice, and help. */
typedef struct lathe_param_info {
    const char *name;
    const char *type;
    const char *default_value;
    const char *choices;
    const char *help;
} lathe_param_info;

/* The model families this build knows; false past the last. */
LATHE_API bool lathe_family_at(size_t index, lathe_family_info *out);
LATHE_API bool lathe_family_param_at(size_t family, size_t param, lathe_param_info *out);

/*
 * The column kinds and roles a YAML spec declares, to read the training data
 * with (lathe_read_options.columns). *out belongs to the caller, who frees it
 * with lathe_column_decls_free.
 */
LATHE_API lathe_status lathe_spec_columns(lathe_ctx *ctx, const char *spec_path,
                                          lathe_column_decl **out, size_t *count, lathe_error *err);
LATHE_API void lathe_column_decls_free(lathe_ctx *ctx, lathe_column_decl *decls, size_t count);

/* The SHA-256 of a file as 64 lowercase hex digits, for lineage. */
LATHE_API lathe_status lathe_file_sha256(lathe_ctx *ctx, const char *path, char hex[65],
                                         lathe_error *err);

/*
 * Fits the pipeline and the model on the training rows of `data` and, when
 * there are test rows, measures the test metrics. The seed and thread count
 * come from the context; the same seed gives the same model bit for bit.
 */
LATHE_API lathe_status lathe_train(lathe_ctx *ctx, const lathe_frame *data,
                                   const lathe_train_options *options, lathe_model **out,
                                   lathe_error *err);
LATHE_API void lathe_model_free(lathe_model *model);

/* Writes the artifact atomically: PATH is replaced only once the new file is complete. */
LATHE_API lathe_status lathe_model_save(const lathe_model *model, const char *path,
                                        lathe_error *err);
/* Reads an artifact; every file is treated as hostile and checked before use. */
LATHE_API lathe_status lathe_model_load(lathe_ctx *ctx, const char *path, lathe_model **out,
                                        lathe_error *err);
LATHE_API lathe_status lathe_model_load_buffer(lathe_ctx *ctx, const void *data, size_t size,
                                               const char *name, lathe_model **out,
                                               lathe_error *err);

/* "classification" or "regression". */
LATHE_API const char *lathe_model_task(const lathe_model *model);
LATHE_API const char *lathe_model_family(const lathe_model *model);
LATHE_API const char *lathe_model_target(const lathe_model *model);
/* Classes in the order of predicted probabilities; 0 for regression. */
LATHE_API size_t lathe_model_n_classes(const lathe_model *model);
LATHE_API const char *lathe_model_class_name(const lathe_model *model, size_t index);

/*
 * Predictions for every row of `data`, which must hold the model's input
 * columns (by name; extra columns are ignored). For a classifier, out gets
 * n_rows * n_classes probabilities (row-major) and labels gets each row's
 * most probable class index; for a regressor out gets n_rows values and
 * labels may be NULL. `out` and `labels` are caller-allocated.
 */
LATHE_API lathe_status lathe_model_predict(const lathe_model *model, const lathe_frame *data,
                                           double *out, int32_t *labels, lathe_error *err);

/*
 * Scores the model on `data`, which must also hold the target column (rows
 * whose target is missing are left out). Undefined metrics (ROC-AUC with one
 * class present) are NaN with the reason in `undefined`.
 */
LATHE_API lathe_status lathe_model_evaluate(const lathe_model *model, const lathe_frame *data,
                                            lathe_metrics_report *out, lathe_error *err);

/*
 * As lathe_model_evaluate, plus a bootstrap confidence interval for each
 * metric of the report: intervals[i] for out->values[i] (room for
 * LATHE_METRIC_COUNT). Resampling is seeded by options->seed.
 */
LATHE_API lathe_status lathe_model_evaluate_intervals(const lathe_model *model,
                                                      const lathe_frame *data,
                                                      const lathe_bootstrap_options *options,
                                                      lathe_metrics_report *out,
                                                      lathe_interval *intervals, lathe_error *err);

/* The metrics measured on the test rows at training time (n_values 0 if none). */
LATHE_API const lathe_metrics_report *lathe_model_test_metrics(const lathe_model *model);
/*
 * Cross-validation at training time: the number of folds (0 if none ran),
 * with each metric's mean over the folds in *mean and its standard deviation
 * in *std (both belong to the model).
 */
LATHE_API size_t lathe_model_cv_metrics(const lathe_model *model, const lathe_metrics_report **mean,
                                        const lathe_metrics_report **std);

/*
 * Declarations of the model's input columns and target (names and kinds),
 * to read new data exactly as the training data was read: pass them as
 * lathe_read_options.columns. Belongs to the model.
 */
LATHE_API const lathe_column_decl *lathe_model_columns(const lathe_model *model, size_t *count);

/*
 * The whole model described as one JSON document (schema, pipeline steps,
 * family and parameters, what the fit settled in "fitted" (trees kept,
 * out-of-bag score, solver iterations), metrics, reference statistics
 * summary, lineage):
 * what `lathe inspect --json` prints. The string belongs to the caller, who
 * frees it with free().
 */
LATHE_API char *lathe_model_describe_json(const lathe_model *model);

/*
 * The features the estimator sees, after the pipeline: a numeric column,
 * one category of a one-hot encoded column ("color=red"), a date part
 * ("when.month"), a missing-value indicator ("age.missing"). Names belong
 * to the model; NULL for an index out of range.
 */
LATHE_API size_t lathe_model_n_features(const lathe_model *model);
LATHE_API const char *lathe_model_feature_name(const lathe_model *model, size_t feature);

/*
 * How many raw scores lathe_model_explain explains per row, 0 when the
 * family has no per-feature contributions (only tree families have them).
 * A score is what the trees add up before the last step of prediction:
 * with one score per class (multiclass boosting: log-probabilities up to a
 * constant; forests: probabilities), score s belongs to class s; a single
 * score of a classifier (binary boosting) is the log-odds of the second
 * class; a regressor's is the value (boosting with a Poisson objective:
 * its log); an isolation forest's is the mean path length.
 */
LATHE_API size_t lathe_model_n_scores(const lathe_model *model);

/*
 * What raw score `score` is, for people: "log-odds of spam", "margin of
 * setosa" (multiclass boosting), "probability of spam" (forests), "price"
 * (a regressor's value), "log of count" (Poisson boosting), "mean path
 * length" (isolation forest). snprintf-style: writes at most `size` bytes
 * (NUL included) and returns the full length.
 */
LATHE_API size_t lathe_model_score_name(const lathe_model *model, size_t score, char *buf,
                                        size_t size);

/*
 * Per-feature contributions to one row's raw scores (path-dependent
 * TreeSHAP, Lundberg et al. 2018): for score s, with F features,
 * phi[s * (F + 1) + f] is feature f's contribution and phi[s * (F + 1) + F]
 * the bias, the score expected over the training data, so that the
 * contributions plus the bias add up to the score. *n holds phi's capacity
 * (in doubles) on entry and the count written on return. Fails with
 * LATHE_UNSUPPORTED for families without contributions, and with
 * LATHE_INVALID and *n set to the count needed when phi is too small.
 */
LATHE_API lathe_status lathe_model_explain(const lathe_model *model, const lathe_frame *data,
                                           size_t row, double *phi, size_t *n, lathe_error *err);

typedef enum lathe_importance_kind {
    LATHE_IMPORTANCE_GAIN,  /* the loss reduction of the splits on the feature, summed */
    LATHE_IMPORTANCE_SPLITS /* how many splits use the feature */
} lathe_importance_kind;

/*
 * Each feature's importance in the fitted trees, lathe_model_n_features
 * values into out. Fails with LATHE_UNSUPPORTED for families that are not
 * trees.
 */
LATHE_API lathe_status lathe_model_importance(const lathe_model *model, lathe_importance_kind kind,
                                              double *out, lathe_error *err);

/*
 * Permutation importance on the rows of data that hold the target, for any
 * family: for each pipeline feature, the score (accuracy for classes, R^2
 * for values, as scikit-learn's default scorers) minus its mean over
 * n_repeats (1 to 1000) shuffles of that feature; lathe_model_n_features
 * values into out. A pipeline feature is what the model reads (a one-hot
 * column, a scaled number), so an input expanded into several features is
 * shuffled one feature at a time. The shuffles come from `seed` alone.
 */
LATHE_API lathe_status lathe_model_permutation_importance(const lathe_model *model,
                                                          const lathe_frame *data, size_t n_repeats,
                                                          uint64_t seed, double *out,
                                                          lathe_error *err);

#endif
