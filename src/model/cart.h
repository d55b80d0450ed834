/*
 * cart.h: growing CART trees (internal), for the families tree, forest and
 * extra_trees, and the fitted model they share.
 *
 * Data: lathe__cart_data turns the training matrix into per-feature codes
 * once (shared by every tree of a forest): a numeric feature's code is the
 * rank of the row's value among the feature's distinct values (levels), so
 * splits are exact, thresholds are midpoints of neighbouring levels as
 * scikit-learn's, and a node sorts 32-bit codes instead of doubles. A
 * categorical feature's code is its category code itself (levels 0, 1, ...).
 * A missing value (NaN) has code LATHE__CART_MISSING.
 *
 * Growth (cart_grow.c): depth-first with nodes numbered in preorder, or
 * best-first when max_leaf_nodes is set, both as scikit-learn's builders.
 * A workspace holds every buffer a tree needs and is reused tree after
 * tree; one workspace per thread. A tree is grown on the rows whose weight
 * is positive (bootstrap counts multiply the weights), then pruned by
 * minimal cost-complexity (cart_prune.c), then emitted as a lathe__tree.
 *
 * Thread safety: lathe__cart_data is read-only once built; workspaces are
 * per thread. Allocations made while growing go through `lock` when it is
 * given, so a user allocator needs no locking of its own.
 */
#ifndef LATHE_MODEL_CART_H
#define LATHE_MODEL_CART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"
#include "model/model.h"
#include "model/tree.h"

#define LATHE__CART_MISSING UINT32_MAX
/* A categorical column with a code at or above this is split as ordered numbers. */
#define LATHE__CART_MAX_CATEGORIES 4096

typedef enum lathe__cart_criterion {
    LATHE__CART_GINI,
    LATHE__CART_ENTROPY, /* also scikit-learn's log_loss */
    LATHE__CART_SQUARED_ERROR,
    LATHE__CART_FRIEDMAN_MSE
} lathe__cart_criterion;

typedef struct lathe__cart_data {
    size_t n_rows;
    size_t n_features;
    size_t n_classes;  /* 0 for regression */
    uint32_t *classes; /* classification: each row's class */
    double *y;         /* regression: each row's target */
    uint32_t *codes;   /* codes[feature * n_rows + row] */
    double *levels;    /* feature f's levels: levels[level_start[f] .. level_start[f + 1]) */
    size_t *level_start;
    uint8_t *categorical; /* per feature: codes are categories, split by subsets */
    size_t max_levels;    /* the most levels of any feature */
} lathe__cart_data;

/*
 * Checks the training data a tree family relies on (a task it handles,
 * rows, features finite or NaN, targets, weights finite and >= 0 with a
 * positive sum) and builds the codes, sorting features on the context's
 * threads.
 */
lathe_status lathe__cart_data_init(lathe_ctx *ctx, const lathe__model_ops *ops,
                                   const lathe__train_data *train, lathe__cart_data *data,
                                   lathe_error *err);
void lathe__cart_data_release(lathe_ctx *ctx, lathe__cart_data *data);

typedef struct lathe__cart_options {
    lathe__cart_criterion criterion;
    bool random_splits;              /* extra trees: one random threshold per feature drawn */
    size_t max_depth;                /* SIZE_MAX: no limit */
    size_t min_samples_split;        /* rows, >= 2 */
    size_t min_samples_leaf;         /* rows, >= 1 */
    double min_weight_fraction_leaf; /* of the tree's total weight, per leaf */
    double min_impurity_decrease;
    size_t max_features;   /* features drawn per node, 1 .. n_features */
    size_t max_leaf_nodes; /* 0: no limit (depth-first growth) */
    double ccp_alpha;
} lathe__cart_options;

typedef struct lathe__cart_workspace lathe__cart_workspace;

/* A workspace for trees on `data` (borrowed, as `options`); `lock` may be NULL. */
lathe_status lathe__cart_workspace_new(lathe_ctx *ctx, pthread_mutex_t *lock,
                                       const lathe__cart_data *data,
                                       const lathe__cart_options *options,
                                       lathe__cart_workspace **out, lathe_error *err);
void lathe__cart_workspace_free(lathe__cart_workspace *ws);

/*
 * Grows a tree on the rows with weights[row] > 0 (n_rows weights), drawing
 * features and thresholds from `rng`, and prunes it by options->ccp_alpha.
 * The grown tree stays in the workspace until the next call.
 */
lathe_status lathe__cart_grow(lathe__cart_workspace *ws, const double *weights, lathe__rng *rng,
                              lathe_error *err);
/* The grown tree as a lathe__tree (allocated under the lock): values are class
   distributions (n_classes) or means (1), covers the training weight. */
lathe_status lathe__cart_emit(lathe__cart_workspace *ws, lathe__tree *tree, lathe_error *err);

/*
 * scikit-learn's cost_complexity_pruning_path of the tree last grown before
 * pruning: the effective alphas (increasing) and the total leaf impurity
 * (weighted by the root's weight) of each pruned subtree, into arrays the
 * caller frees with lathe__free; *n_steps entries each.
 */
lathe_status lathe__cart_pruning_path(lathe__cart_workspace *ws, double **alphas,
                                      double **impurities, size_t *n_steps, lathe_error *err);

/* ---- pieces the growth uses (cart_split.c, cart_prune.c) ----------------- */

/* Stats of a node: class weights (n_classes) or weight, sum of wy, sum of wy^2. */
size_t lathe__cart_stats_width(const lathe__cart_data *data);
double lathe__cart_impurity(lathe__cart_criterion criterion, const double *stats, size_t width);

/* ---- the fitted model of tree, forest and extra_trees (cart_model.c) ---- */

typedef struct lathe__cart_model {
    const char *family; /* the ops name, static */
    lathe__task task;
    size_t n_classes; /* 0 for regression */
    lathe__ensemble ensemble;
    double oob_score; /* accuracy or R^2 on out-of-bag rows; NaN when not computed */
} lathe__cart_model;

void lathe__cart_model_free(lathe_ctx *ctx, void *model);
void lathe__cart_model_predict(const void *model, const lathe__matrix *x, double *out);
void lathe__cart_model_predict_parallel(lathe_ctx *ctx, const void *model, const lathe__matrix *x,
                                        double *out);
size_t lathe__cart_model_n_outputs(const void *model);
size_t lathe__cart_model_n_features(const void *model);
const lathe__ensemble *lathe__cart_model_ensemble(const void *model);
/* trees, nodes, and the out-of-bag score when one was computed */
size_t lathe__cart_model_facts(const void *model, lathe__model_fact *out);
void lathe__cart_model_save(const void *model, lathe__wbuf *buf);
/* Reads a model lathe__cart_model_save wrote, which must be of `family`. */
lathe_status lathe__cart_model_load(lathe_ctx *ctx, lathe__rbuf *buf, const char *family,
                                    void **model, lathe_error *err);

/*
 * The parameters tree, forest and extra_trees share, named and defaulting
 * as scikit-learn's (max_features "auto": the family's default). Each
 * family spreads them into its own table.
 */
#define LATHE__CART_PARAMS                                                                         \
    {.name = "criterion",                                                                          \
     .type = LATHE__PARAM_CHOICE,                                                                  \
     .default_value = "auto",                                                                      \
     .choices = "auto|gini|entropy|log_loss|squared_error|friedman_mse",                           \
     .help = "split quality: gini, entropy (= log_loss) for classes; squared_error, friedman_mse " \
             "for values; auto: gini or squared_error"},                                           \
        {.name = "max_depth",                                                                      \
         .type = LATHE__PARAM_INT,                                                                 \
         .default_value = "0",                                                                     \
         .min = 0,                                                                                 \
         .max = 1e6,                                                                               \
         .help = "deepest level a node may sit at; 0: no limit"},                                  \
        {.name = "min_samples_split",                                                              \
         .type = LATHE__PARAM_DOUBLE,                                                              \
         .default_value = "2",                                                                     \
         .min = 0,                                                                                 \
         .max = 1e15,                                                                              \
         .bounds = LATHE__PARAM_MIN_EXCLUSIVE,                                                     \
         .help = "fewest rows a node needs to be split: a count >= 2 or a fraction of the rows"},  \
        {.name = "min_samples_leaf",                                                               \
         .type = LATHE__PARAM_DOUBLE,                                                              \
         .default_value = "1",                                                                     \
         .min = 0,                                                                                 \
         .max = 1e15,                                                                              \
         .bounds = LATHE__PARAM_MIN_EXCLUSIVE,                                                     \
         .help = "fewest rows in a leaf: a count >= 1 or a fraction of the rows"},                 \
        {.name = "min_weight_fraction_leaf",                                                       \
         .type = LATHE__PARAM_DOUBLE,                                                              \
         .default_value = "0",                                                                     \
         .min = 0,                                                                                 \
         .max = 0.5,                                                                               \
         .help = "smallest share of the total sample weight in a leaf"},                           \
        {.name = "max_features",                                                                   \
         .type = LATHE__PARAM_STRING,                                                              \
         .default_value = "auto",                                                                  \
         .help = "features tried per split: sqrt, log2, all, a fraction (0.5) or a count (8); "    \
                 "auto: the family's default"},                                                    \
        {.name = "max_leaf_nodes",                                                                 \
         .type = LATHE__PARAM_INT,                                                                 \
         .default_value = "0",                                                                     \
         .min = 0,                                                                                 \
         .max = 1e9,                                                                               \
         .help = "most leaves, grown best-first; 0: no limit (depth-first)"},                      \
        {.name = "min_impurity_decrease",                                                          \
         .type = LATHE__PARAM_DOUBLE,                                                              \
         .default_value = "0",                                                                     \
         .min = 0,                                                                                 \
         .max = HUGE_VAL,                                                                          \
         .help = "split only when the weighted impurity decrease reaches this"},                   \
    {                                                                                              \
        .name = "ccp_alpha", .type = LATHE__PARAM_DOUBLE, .default_value = "0", .min = 0,          \
        .max = HUGE_VAL, .help = "minimal cost-complexity pruning strength; 0: no pruning"         \
    }

/*
 * Options from a family's parameters (criterion, max_depth, min_samples_*,
 * min_weight_fraction_leaf, min_impurity_decrease, max_features,
 * max_leaf_nodes, ccp_alpha), checked against the data: `max_features_default`
 * is what "auto" means for this family and task ("sqrt", "1.0", ...).
 */
lathe_status lathe__cart_options_from(const lathe__param_values *params,
                                      const lathe__cart_data *data,
                                      const char *max_features_default,
                                      lathe__cart_options *options, lathe_error *err);

/*
 * Per-row training weights: sample weight times class weight ("none",
 * "balanced" or "CLASS:WEIGHT,..." as scikit-learn; see linear.h).
 */
lathe_status lathe__cart_row_weights(lathe_ctx *ctx, const lathe__train_data *train,
                                     const char *class_weight, double **out, lathe_error *err);

extern const lathe__model_ops lathe__tree_ops;
extern const lathe__model_ops lathe__forest_ops;
extern const lathe__model_ops lathe__extra_trees_ops;
extern const lathe__model_ops lathe__isolation_forest_ops;

#endif
