/*
 * tree.h: the one representation of fitted decision trees (internal), shared
 * by every tree family: tree (CART), forest, extra_trees, gbdt and
 * isolation_forest.
 *
 * Trees are flattened into parallel node arrays (structure of arrays), so
 * inference walks small contiguous arrays and a batch can be blocked over
 * rows and trees. Node 0 is the root. An internal node sends a row left when
 *   numeric split:     x[feature] <= threshold
 *   categorical split: category (int)x[feature] is in the node's bitset
 * and sends a missing value (NaN) to the side `default_left` says. Leaves
 * have left == -1 and hold n_outputs values at value[node * n_outputs].
 *
 * An ensemble adds the trees' leaf values per output (boosting: scaled
 * already by the learning rate, plus base_score; forests: averaged), then
 * applies its link to turn raw scores into predictions. `cover` (training
 * weight, or hessian sum for boosting, reaching each node) and `gain` (the
 * split's loss reduction) serve TreeSHAP and feature importance.
 *
 * Conventions every builder follows (lathe__ensemble_load enforces them):
 *   - Every array is allocated through the context (lathe__tree_alloc, or
 *     lathe__calloc for cat_bits, trees, tree_output and base_score) and is
 *     freed by lathe__ensemble_release.
 *   - Nodes form one tree from node 0: every other node is the child of
 *     exactly one node. A leaf has left == right == -1.
 *   - Thresholds, values, covers and gains are finite and covers >= 0. A
 *     split that separates only missing values uses threshold DBL_MAX.
 *   - A category that is not a code of the bitset (negative, too large,
 *     or beyond the bitset's words) goes right, like a category not in it.
 *   - n_cat_bits counts 64-bit words of cat_bits.
 *   - With tree_output, tree t has one output and adds it to raw score
 *     tree_output[t]; without, every tree has n_raw outputs, one per score.
 *   - Raw scores: base_score plus the sum of the trees' leaf values, except
 *     for AVERAGE and ISOLATION whose raw score is base_score plus the MEAN
 *     over trees (so a forest's raw score is already its prediction).
 *   - Links: IDENTITY, AVERAGE: predictions are the raw scores; EXP: exp of
 *     each; SOFTMAX: n_outputs == n_raw probabilities; SIGMOID: n_raw 1 and
 *     n_outputs 1 (p) or 2 (1 - p, p); ISOLATION: n_raw == n_outputs == 1.
 *   - Isolation trees store at each leaf the whole path length of a row
 *     that ends there: the leaf's depth plus c(leaf size), c from
 *     lathe__isolation_average_path. The raw score is the mean path length
 *     and the prediction 2^(-raw / isolation_normalizer), with
 *     isolation_normalizer = c(sample size) (> 0): scikit-learn's
 *     -score_samples.
 *   - TreeSHAP and the bias weigh the children of a node by their covers:
 *     cover[child] / (cover[left] + cover[right]), one half each when both
 *     are 0 (the paper's cover[child] / cover[node] when covers add up).
 *
 * A fitted ensemble is immutable: predict, explain and importance are safe
 * from many threads at once.
 */
#ifndef LATHE_MODEL_TREE_H
#define LATHE_MODEL_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "lathe/core.h"
#include "model/matrix.h"

typedef struct lathe__tree {
    size_t n_nodes;
    int32_t *left; /* -1 at a leaf */
    int32_t *right;
    uint32_t *feature;
    double *threshold;
    uint8_t *default_left; /* missing values go left */
    /* Categorical splits: node n's bitset is cat_bits[cat_start[n] .. + cat_words[n]),
       bit c set means category c goes left; cat_words[n] == 0 for numeric splits. */
    uint32_t *cat_start;
    uint32_t *cat_words;
    uint64_t *cat_bits;
    size_t n_cat_bits;
    double *value; /* n_nodes * n_outputs; internal nodes hold their mean too */
    double *cover;
    double *gain;
    size_t n_outputs;
} lathe__tree;

typedef enum lathe__tree_link {
    LATHE__LINK_IDENTITY, /* regression */
    LATHE__LINK_SIGMOID,  /* binary boosting: one raw score -> p(class 1) */
    LATHE__LINK_SOFTMAX,  /* multiclass boosting: n_classes raw scores */
    LATHE__LINK_EXP,      /* Poisson boosting */
    LATHE__LINK_AVERAGE,  /* forests: mean of the trees' class distributions or values */
    LATHE__LINK_ISOLATION /* isolation forest: anomaly score from mean path length */
} lathe__tree_link;

typedef struct lathe__ensemble {
    size_t n_features;
    size_t n_trees;
    lathe__tree *trees;
    size_t n_raw;          /* raw scores per row: 1, or n_classes for softmax/forests */
    uint32_t *tree_output; /* boosting: the raw score each tree adds to (NULL: all) */
    double *base_score;    /* n_raw, added before the link */
    lathe__tree_link link;
    size_t n_outputs;            /* predictions per row after the link (n_classes, or 1) */
    double isolation_normalizer; /* c(n) of the isolation forest's sample size */
    /* The inference layout lathe__ensemble_prepare builds (NULL: none yet). */
    struct lathe__packed *packed;
} lathe__ensemble;

/* Allocates a tree's arrays for n_nodes nodes (zeroed, children -1). */
lathe_status lathe__tree_alloc(lathe_ctx *ctx, lathe__tree *tree, size_t n_nodes, size_t n_outputs,
                               lathe_error *err);
void lathe__tree_release(lathe_ctx *ctx, lathe__tree *tree);
void lathe__ensemble_release(lathe_ctx *ctx, lathe__ensemble *ensemble);

/*
 * Builds the compact layout prediction walks (tree_packed.c), several times
 * faster than the node arrays. Call it once the trees are final: fit ends
 * with it, and lathe__ensemble_load does it. Predictions are the same bits
 * without it; a layout from before the trees array changed is ignored, but
 * changing nodes in place needs lathe__ensemble_prepare again.
 */
lathe_status lathe__ensemble_prepare(lathe_ctx *ctx, lathe__ensemble *ensemble, lathe_error *err);
void lathe__ensemble_unprepare(lathe_ctx *ctx, lathe__ensemble *ensemble);

/* The leaf a row ends in. */
size_t lathe__tree_leaf(const lathe__tree *tree, const double *row);
/* The child of internal node `node` that a row holding `value` in its feature goes to. */
size_t lathe__tree_child(const lathe__tree *tree, size_t node, double value);
/* Raw scores of rows [0, n) into raw[row * n_raw]: blocked over rows and trees. */
void lathe__ensemble_raw(const lathe__ensemble *ensemble, const lathe__matrix *x, double *raw);
/* Predictions (after the link) into out[row * n_outputs]. */
void lathe__ensemble_predict(const lathe__ensemble *ensemble, const lathe__matrix *x, double *out);
/* The same on the context's threads (blocks of rows; the same bits for any thread count). */
void lathe__ensemble_predict_parallel(lathe_ctx *ctx, const lathe__ensemble *ensemble,
                                      const lathe__matrix *x, double *out);
/* One row, allocating nothing: out gets n_outputs values, raw must hold n_raw. */
void lathe__ensemble_predict_row(const lathe__ensemble *ensemble, const double *row, double *raw,
                                 double *out);
/* One row's raw scores (n_raw), allocating nothing. */
void lathe__ensemble_raw_row(const lathe__ensemble *ensemble, const double *row, double *raw);

/*
 * TreeSHAP (Lundberg et al. 2018, path-dependent): contributions of each
 * feature to each raw score of one row, into phi[raw_index * (n_features + 1)
 * + feature], the last entry per raw score being the bias (expected value),
 * so that sum(phi) over features plus bias equals the raw score.
 */
lathe_status lathe__ensemble_shap_row(lathe_ctx *ctx, const lathe__ensemble *ensemble,
                                      const double *row, double *phi, lathe_error *err);

/* Importance per feature into out[n_features]: summed split gain, or split count. */
void lathe__ensemble_importance_gain(const lathe__ensemble *ensemble, double *out);
void lathe__ensemble_importance_splits(const lathe__ensemble *ensemble, double *out);

/* c(n): the mean path length of an unsuccessful search in a binary search tree of n
   items, 2 H(n - 1) - 2 (n - 1) / n (0 for n <= 1, 1 for n == 2), as scikit-learn. */
double lathe__isolation_average_path(double n);

void lathe__ensemble_save(const lathe__ensemble *ensemble, lathe__wbuf *buf);
/* Checks every index (children in range and acyclic, features < n_features, bitsets in range). */
lathe_status lathe__ensemble_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__ensemble *ensemble,
                                  lathe_error *err);

#endif
