/*
 * importance.c: permutation importance of a trained model on labeled rows.
 *
 * The rows go through the fitted pipeline once; then each pipeline feature
 * is shuffled in turn (model/permutation.c) and the estimator predicts
 * again. The score is the estimator's default one, as scikit-learn's
 * permutation_importance uses it: accuracy for classes, R^2 for values.
 * Tree families skip features no split reads (their importance is exactly
 * 0); every other family is measured on every feature.
 */
#include <string.h>

#include "core/internal.h"
#include "model/permutation.h"
#include "model/tree.h"
#include "train/model_internal.h"

#include "core/banned.h"

#define MAX_REPEATS 1000

static void predict_rows(void *user, const lathe__matrix *x, double *out)
{
    const lathe_model *model = user;
    if (model->ops->predict_parallel)
        model->ops->predict_parallel(model->ctx, model->estimator, x, out);
    else
        model->ops->predict(model->estimator, x, out);
}

/* Accuracy of the largest output of each row against the class index in y. */
static double accuracy(void *user, const double *y, const double *predicted, size_t n_rows,
                       size_t n_outputs)
{
    (void)user;
    size_t right = 0;
    for (size_t r = 0; r < n_rows; r++)
        right += (double)lathe__argmax(predicted + r * n_outputs, n_outputs) == y[r];
    return n_rows ? (double)right / (double)n_rows : 0;
}

/* R^2; with constant targets (no variance to explain), minus the squared error. */
static double r2(void *user, const double *y, const double *predicted, size_t n_rows,
                 size_t n_outputs)
{
    (void)user;
    (void)n_outputs;
    double mean = 0, residual = 0, total = 0;
    for (size_t r = 0; r < n_rows; r++)
        mean += y[r];
    mean /= n_rows ? (double)n_rows : 1;
    for (size_t r = 0; r < n_rows; r++) {
        residual += (y[r] - predicted[r]) * (y[r] - predicted[r]);
        total += (y[r] - mean) * (y[r] - mean);
    }
    return total > 0 ? 1 - residual / total : -residual;
}

/* For trees, which features any split reads; NULL (all) for other families. */
static lathe_status features_read(const lathe_model *model, size_t n_features, bool **used,
                                  lathe_error *err)
{
    *used = NULL;
    const lathe__ensemble *ensemble =
        model->ops->ensemble ? model->ops->ensemble(model->estimator) : NULL;
    if (!ensemble)
        return LATHE_OK;
    double *splits = lathe__calloc(model->ctx, n_features ? n_features : 1, sizeof *splits);
    *used = lathe__calloc(model->ctx, n_features ? n_features : 1, sizeof **used);
    if (!splits || !*used) {
        lathe__free(model->ctx, splits);
        return lathe__error_nomem(err);
    }
    lathe__ensemble_importance_splits(ensemble, splits);
    for (size_t f = 0; f < n_features; f++)
        (*used)[f] = splits[f] > 0;
    lathe__free(model->ctx, splits);
    return LATHE_OK;
}

lathe_status lathe_model_permutation_importance(const lathe_model *model, const lathe_frame *data,
                                                size_t n_repeats, uint64_t seed, double *out,
                                                lathe_error *err)
{
    if (n_repeats < 1 || n_repeats > MAX_REPEATS)
        return lathe__error(err, LATHE_INVALID,
                            "permutation importance takes 1 to %d repeats, not %zu", MAX_REPEATS,
                            n_repeats);
    lathe__matrix x = {0};
    double *y = NULL;
    bool *used = NULL;
    size_t n_features = model->ops->n_features(model->estimator);
    lathe_status status = lathe__model_labeled_matrix(model, data, &x, &y, err);
    if (status == LATHE_OK)
        status = features_read(model, n_features, &used, err);
    if (status == LATHE_OK) {
        lathe__predictor predictor = {predict_rows, (void *)model,
                                      model->ops->n_outputs(model->estimator), n_features, used};
        bool classes = model->task == LATHE__TASK_CLASSIFICATION;
        status =
            lathe__permutation_importance(model->ctx, &predictor, &x, y, classes ? accuracy : r2,
                                          NULL, n_repeats, seed, out, err);
    }
    lathe__matrix_release(model->ctx, &x);
    lathe__free(model->ctx, y);
    lathe__free(model->ctx, used);
    return status;
}
