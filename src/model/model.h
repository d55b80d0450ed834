/*
 * model.h: the table every model family plugs into (internal).
 *
 * A family is one lathe__model_ops entry: its name on the command line, the
 * tasks it handles, its parameters (named as scikit-learn, XGBoost and
 * LightGBM users know them), and fit/predict/save/load/free. A fitted model
 * is immutable: predict may run on many threads at once without locks.
 *
 * Targets: classification targets arrive as class indices 0..n_classes-1
 * (doubles holding integers), regression targets as values. predict writes
 * n_outputs doubles per row: class probabilities for classifiers
 * (n_classes of them, also for two classes), the value for regressors.
 */
#ifndef LATHE_MODEL_H
#define LATHE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "lathe/core.h"
#include "model/matrix.h"
#include "model/params.h"

typedef enum lathe__task { LATHE__TASK_CLASSIFICATION = 1, LATHE__TASK_REGRESSION = 2 } lathe__task;

typedef struct lathe__train_data {
    const lathe__matrix *x;
    const double *y;       /* n_rows targets */
    const double *weights; /* n_rows sample weights, or NULL for 1 */
    lathe__task task;
    size_t n_classes; /* classification only */
    /* x's columns holding category codes 0, 1, ... (NaN when missing), for native
       categorical splits; NULL when there are none. */
    const bool *categorical;
    /* Optional validation rows for early stopping (x NULL when absent). */
    const lathe__matrix *valid_x;
    const double *valid_y;
} lathe__train_data;

/* A figure of a fitted model that is neither a parameter nor a metric, for inspect. */
typedef struct lathe__model_fact {
    const char *name; /* static */
    double value;
} lathe__model_fact;

#define LATHE__MAX_FACTS 8

typedef struct lathe__model_ops {
    const char *name;
    const char *summary;
    unsigned tasks; /* LATHE__TASK_* bits */
    const lathe__param_spec *params;
    size_t n_params;
    bool needs_scaling; /* the default pipeline standardizes numbers for it */
    /* The model handles missing values (NaN) and category codes itself, so the
       default pipeline neither imputes nor one-hot encodes for it (trees). */
    bool native_missing;
    lathe_status (*fit)(lathe_ctx *ctx, const lathe__train_data *data,
                        const lathe__param_values *params, void **model, lathe_error *err);
    /* Rows [0, x->n_rows) of x into out[row * n_outputs + k]. */
    void (*predict)(const void *model, const lathe__matrix *x, double *out);
    /* The same on the context's threads, the same bits; NULL: predict runs alone. */
    void (*predict_parallel)(lathe_ctx *ctx, const void *model, const lathe__matrix *x,
                             double *out);
    size_t (*n_outputs)(const void *model);
    /* The width of the rows predict reads, so a loader can check it against the pipeline. */
    size_t (*n_features)(const void *model);
    void (*save)(const void *model, lathe__wbuf *buf);
    lathe_status (*load)(lathe_ctx *ctx, lathe__rbuf *buf, void **model, lathe_error *err);
    void (*free)(lathe_ctx *ctx, void *model);
    /* Tree families: the fitted ensemble, for TreeSHAP contributions and importance
       (model/tree.h). NULL for families that are not trees. */
    const struct lathe__ensemble *(*ensemble)(const void *model);
    /* What fitting settled (trees kept, out-of-bag score, solver iterations):
       up to LATHE__MAX_FACTS into out; returns how many. */
    size_t (*facts)(const void *model, lathe__model_fact *out);
} lathe__model_ops;

/* The family named `name`, or NULL. */
const lathe__model_ops *lathe__model_find(const char *name);
/* All families, for --help and `auto`. */
const lathe__model_ops *const *lathe__model_all(size_t *count);

#endif
