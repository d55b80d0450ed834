/*
 * permutation.h: permutation importance, for any model that predicts rows
 * (internal).
 */
#ifndef LATHE_MODEL_PERMUTATION_H
#define LATHE_MODEL_PERMUTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"
#include "model/matrix.h"

/* What permutation importance predicts with. */
typedef struct lathe__predictor {
    /* rows of x into out[row * n_outputs + k]; same bits on every call */
    void (*predict)(void *user, const lathe__matrix *x, double *out);
    void *user;
    size_t n_outputs;
    size_t n_features;
    const bool *used; /* per feature: whether the model reads it at all; NULL: all */
} lathe__predictor;

/*
 * A score of predictions (n_outputs per row) against the targets y, where
 * higher is better (negate a loss): accuracy, R^2, -RMSE.
 */
typedef double (*lathe__score_fn)(void *user, const double *y, const double *predicted,
                                  size_t n_rows, size_t n_outputs);

/*
 * out[f] is the score on x minus the mean score over n_repeats >= 1
 * shuffles of column f, so a feature the model ignores gets 0. The shuffles
 * come from `seed` alone (feature f, repeat r uses the same permutation
 * whatever else runs). x is dense or CSR (copied dense).
 */
lathe_status lathe__permutation_importance(lathe_ctx *ctx, const lathe__predictor *model,
                                           const lathe__matrix *x, const double *y,
                                           lathe__score_fn score, void *score_user,
                                           size_t n_repeats, uint64_t seed, double *out,
                                           lathe_error *err);

#endif
