/*
 * linear.h: what the linear families share (internal): the fitted model,
 * its prediction, save/load and free, class weights, input checks, and
 * fitting from a previous model (warm starts).
 *
 * A fitted linear model is n_vectors weight vectors of n_features, plus an
 * intercept each, and an output rule:
 *  - VALUE: regression, one vector, the prediction is x.w + b;
 *  - PROBABILITY: logistic regression; two classes use one vector and the
 *    sigmoid, more use one vector per class and the softmax;
 *  - SCORE: linear SVMs, one vector (two classes) or one per class
 *    (one-vs-rest); the outputs are the sigmoid/softmax of the decision
 *    values: they rank like the SVM and sum to 1, but they are NOT
 *    calibrated probabilities.
 * A class absent from the training rows has zero weights and an intercept
 * of -infinity, so it is predicted with probability 0.
 *
 * The model is immutable once fitted; predict runs on any number of threads.
 */
#ifndef LATHE_MODEL_LINEAR_H
#define LATHE_MODEL_LINEAR_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "model/solver.h"

typedef enum lathe__linear_output {
    LATHE__LINEAR_VALUE = 0,
    LATHE__LINEAR_PROBABILITY = 1,
    LATHE__LINEAR_SCORE = 2
} lathe__linear_output;

typedef struct lathe__linear_model {
    const char *family; /* the ops name, static */
    lathe__linear_output output;
    size_t n_features;
    size_t n_classes; /* 0 for regression */
    size_t n_vectors;
    double *coef;      /* n_vectors x n_features, row-major */
    double *intercept; /* n_vectors */
    size_t n_iterations;
    bool converged;
} lathe__linear_model;

/* The vectors a model of this output and class count has: 1, or n_classes when above 2. */
size_t lathe__linear_n_vectors(lathe__linear_output output, size_t n_classes);

/* A zeroed model with its arrays allocated. */
lathe_status lathe__linear_new(lathe_ctx *ctx, const char *family, lathe__linear_output output,
                               size_t n_features, size_t n_classes, lathe__linear_model **out,
                               lathe_error *err);
size_t lathe__linear_facts(const void *model, lathe__model_fact *out);
void lathe__linear_free(lathe_ctx *ctx, void *model);
void lathe__linear_predict(const void *model, const lathe__matrix *x, double *out);
void lathe__linear_predict_parallel(lathe_ctx *ctx, const void *model, const lathe__matrix *x,
                                    double *out);
size_t lathe__linear_n_outputs(const void *model);
size_t lathe__linear_n_features(const void *model);
void lathe__linear_save(const void *model, lathe__wbuf *buf);
/* Reads a model saved by lathe__linear_save, which must be of `family` with `output`. */
lathe_status lathe__linear_load(lathe_ctx *ctx, lathe__rbuf *buf, const char *family,
                                lathe__linear_output output, void **model, lathe_error *err);

/*
 * Checks the training data a linear family relies on: a task the family
 * handles, rows, finite features, targets (class indices below n_classes, or finite values), sample
 * weights finite and not negative with a positive sum.
 */
lathe_status lathe__linear_check_data(const lathe__model_ops *ops, const lathe__train_data *data,
                                      lathe_error *err);

/*
 * Per-row weights: the sample weight times the class weight of the row's
 * class. class_weight is "none", "balanced" (n_rows / (n_present_classes *
 * count of the class), as scikit-learn, from unweighted counts) or a list of
 * "CLASS:WEIGHT" pairs by class index ("0:1,1:5"; unlisted classes weigh 1).
 * Regression data and "none" copy the sample weights (or ones).
 */
lathe_status lathe__linear_row_weights(lathe_ctx *ctx, const lathe__train_data *data,
                                       const char *class_weight, double **out, lathe_error *err);

/* Rows of each class (n_classes counts), unweighted. */
void lathe__linear_class_counts(const lathe__train_data *data, size_t *counts);

/* Logs the solver's outcome at INFO (and at WARN when it did not converge). */
void lathe__linear_log_report(lathe_ctx *ctx, const char *family, const char *solver,
                              const lathe__solver_report *report, size_t max_iter);

/*
 * Warm starts: fits like ops->fit, starting each solver from `start`'s
 * coefficients. `start` must be a model of the same family with the same
 * n_features and n_classes. For regularization paths and tuning; solvers
 * without a primal start (Cholesky, the SVM dual) ignore it.
 */
lathe_status lathe__linear_fit_from(lathe_ctx *ctx, const lathe__model_ops *ops,
                                    const lathe__train_data *data,
                                    const lathe__param_values *params,
                                    const lathe__linear_model *start, void **model,
                                    lathe_error *err);

/* The families' fit entry points with a starting model (NULL: from zero). */
lathe_status lathe__logistic_fit_from(lathe_ctx *ctx, const lathe__train_data *data,
                                      const lathe__param_values *params,
                                      const lathe__linear_model *start, void **model,
                                      lathe_error *err);
lathe_status lathe__regression_fit_from(lathe_ctx *ctx, const lathe__model_ops *ops,
                                        const lathe__train_data *data,
                                        const lathe__param_values *params,
                                        const lathe__linear_model *start, void **model,
                                        lathe_error *err);
lathe_status lathe__linear_svm_fit_from(lathe_ctx *ctx, const lathe__train_data *data,
                                        const lathe__param_values *params,
                                        const lathe__linear_model *start, void **model,
                                        lathe_error *err);

extern const lathe__model_ops lathe__logistic_ops;
extern const lathe__model_ops lathe__linear_ops;
extern const lathe__model_ops lathe__ridge_ops;
extern const lathe__model_ops lathe__lasso_ops;
extern const lathe__model_ops lathe__elasticnet_ops;
extern const lathe__model_ops lathe__linear_svm_ops;

#endif
