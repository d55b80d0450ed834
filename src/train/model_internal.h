/*
 * model_internal.h: what a lathe_model holds (internal; see lathe/model.h).
 *
 * Every part is saved as its own artifact section (model_io.c), so a reader
 * can check and load each independently, and `inspect` can show the
 * metadata without touching the estimator.
 */
#ifndef LATHE_TRAIN_MODEL_INTERNAL_H
#define LATHE_TRAIN_MODEL_INTERNAL_H

#include <stdint.h>

#include "lathe/model.h"
#include "model/model.h"
#include "prep/prep.h"
#include "train/reference.h"

typedef struct lathe__lineage {
    char *lathe_version;
    char *data_source;
    char *data_sha256;
    char *spec_text; /* the YAML spec as given, or NULL */
    uint64_t seed;
    int64_t created; /* seconds since the epoch */
    double fit_seconds;
    uint64_t n_train_rows;
    uint64_t n_test_rows;
    uint64_t n_dropped_rows; /* training rows left out for a missing target */
} lathe__lineage;

struct lathe_model {
    lathe_ctx *ctx;
    lathe__task task;
    char *target;
    lathe_kind target_kind;
    char **class_names; /* classification: in probability order */
    size_t n_classes;
    /* The input columns and then the target, as declarations for readers. */
    lathe_column_decl *columns;
    size_t n_columns;
    lathe__prep *prep;
    const lathe__model_ops *ops;
    void *estimator;
    lathe__param_values params;
    lathe__reference reference;
    lathe_metrics_report test_metrics;
    /* k-fold cross-validation on the training rows: mean and standard deviation per metric */
    size_t cv_folds; /* 0 when none ran */
    lathe_metrics_report cv_mean;
    lathe_metrics_report cv_std;
    lathe__lineage lineage;
};

/* A model with nothing in it yet, for training and loading to fill. */
lathe_model *lathe__model_new(lathe_ctx *ctx);

/*
 * The class index of each row's target (-1 where missing or unknown), as
 * doubles for the estimator and int32 for metrics; either may be NULL.
 * Regression: the values (NaN where missing).
 */
lathe_status lathe__model_targets(const lathe_model *model, const lathe_frame *frame,
                                  size_t target_column, double *y, int32_t *classes,
                                  lathe_error *err);

/*
 * The rows of data with a target, through the fitted pipeline: *x (release
 * with lathe__matrix_release) and *y (lathe__free), targets encoded as in
 * training. A class training never saw is an error. For validation rows.
 */
lathe_status lathe__model_labeled_matrix(const lathe_model *model, const lathe_frame *data,
                                         lathe__matrix *x, double **y, lathe_error *err);

/* The index of a row's largest output, the first of equal ones: its predicted class. */
static inline size_t lathe__argmax(const double *row, size_t n)
{
    size_t best = 0;
    for (size_t k = 1; k < n; k++)
        if (row[k] > row[best])
            best = k;
    return best;
}

#endif
