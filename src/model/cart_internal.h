/*
 * cart_internal.h: the growing workspace shared by cart_grow.c (builders),
 * cart_split.c (split search and partition) and cart_prune.c (internal to
 * those files).
 *
 * Sums: a node's or a group's targets are summed as its weight, its count
 * of rows, and `n_sums` sums: the weight of each class (classification) or
 * the weighted target (regression). Regression nodes also keep the sum of
 * w*y^2 for their impurity.
 */
#ifndef LATHE_MODEL_CART_INTERNAL_H
#define LATHE_MODEL_CART_INTERNAL_H

#include "model/cart.h"

/* scikit-learn's EPSILON: a node this pure is a leaf, an improvement this small is none. */
#define CART_EPSILON 2.220446049250313e-16

typedef struct cart_split {
    bool found;
    uint32_t feature;
    bool categorical;
    uint32_t cut; /* numeric: codes <= cut go left */
    double threshold;
    bool missing_left;
    bool has_missing;   /* the node has missing values in the feature */
    double proxy;       /* what the search maximizes */
    uint32_t cat_start; /* categorical: the left set, ws->bits[cat_start .. + cat_words) */
    uint32_t cat_words;
} cart_split;

typedef struct cart_node {
    int32_t left, right;
    uint32_t feature;
    double threshold;
    uint8_t default_left;
    uint32_t cat_start, cat_words;
    double weight; /* training weight reaching the node (the cover) */
    double impurity;
    double gain; /* weight * impurity minus the children's */
    size_t n_samples;
} cart_node;

struct lathe__cart_workspace {
    lathe_ctx *ctx;
    pthread_mutex_t *lock;
    const lathe__cart_data *data;
    const lathe__cart_options *options;
    size_t n_sums;    /* n_classes, or 1 */
    size_t n_outputs; /* values per node: n_classes, or 1 */

    /* The current tree. */
    lathe__rng *rng;
    double total_weight;
    double min_weight_leaf;
    uint32_t *samples; /* rows with positive weight, partitioned node by node */
    size_t n_samples;
    /* Each sample's weight and class (or target), moved with it so that the
       split search reads them in order instead of by row. */
    double *sample_weight;
    uint32_t *sample_class; /* classification, else NULL */
    double *sample_y;       /* regression, else NULL */

    /* Feature drawing, as scikit-learn: known constant features kept first. */
    uint32_t *features;
    uint32_t *constant_features;

    /* Split search scratch. */
    uint64_t *keys, *keys_tmp;         /* n_rows */
    size_t dense_capacity;             /* levels the dense histogram holds */
    uint32_t *dense_count;             /* dense_capacity */
    double *dense_weight, *dense_sums; /* dense_capacity (x n_sums) */
    size_t group_capacity;
    uint32_t *group_code, *group_count; /* group_capacity */
    double *group_weight, *group_sums;  /* group_capacity (x n_sums) */
    uint32_t *order;                    /* categorical: groups in split order */
    double *order_key;
    double *scan;        /* 3 x n_sums: left, right, missing (split search) */
    double *node_sums;   /* 3 x n_sums: a node, its left and right child (builders) */
    uint64_t *best_bits; /* the best categorical left set so far */
    size_t max_cat_words;

    /* The grown tree. */
    cart_node *nodes;
    size_t n_nodes, nodes_capacity;
    double *values; /* n_outputs per node */
    size_t values_capacity;
    uint64_t *bits; /* categorical left sets */
    size_t n_bits, bits_capacity;
    uint8_t *pruned_leaf; /* per node: a leaf of the pruned tree (NULL: not pruned) */
    size_t pruned_capacity;
    int32_t *emit_id; /* per node: its index in the emitted tree */
    size_t emit_capacity;

    /* Builders' stacks. */
    void *stack;
    size_t stack_capacity;
    double *stack_sums;
    size_t stack_sums_capacity;
};

/* Allocation and growth through the workspace's lock. */
void *lathe__cart_ws_alloc(lathe__cart_workspace *ws, size_t count, size_t size);
void lathe__cart_ws_free(lathe__cart_workspace *ws, void *p);
bool lathe__cart_ws_grow(lathe__cart_workspace *ws, void **items, size_t *capacity, size_t need,
                         size_t size);

/* Sums of samples[start, end): weight, count and sums[n_sums] (+ w*y^2 for regression). */
typedef struct cart_sums {
    double weight;
    double squares; /* regression: sum of w*y^2 */
    size_t count;
    double *sums; /* n_sums, owned by the caller */
} cart_sums;

void lathe__cart_node_sums(const lathe__cart_workspace *ws, size_t start, size_t end,
                           cart_sums *out);
double lathe__cart_sums_impurity(const lathe__cart_workspace *ws, const cart_sums *s);

/*
 * The best split of samples[start, end) over features drawn as
 * scikit-learn draws them; *n_constant is the count of known constant
 * features on entry and of known and newly found ones on return.
 */
lathe_status lathe__cart_node_split(lathe__cart_workspace *ws, size_t start, size_t end,
                                    const cart_sums *node, size_t *n_constant, cart_split *best,
                                    lathe_error *err);
/* Moves the rows going left to the front of samples[start, end); returns where the right begin. */
size_t lathe__cart_partition(lathe__cart_workspace *ws, size_t start, size_t end,
                             cart_split *split);

/* Marks nodes to become leaves by cost-complexity pruning with options->ccp_alpha. */
lathe_status lathe__cart_prune(lathe__cart_workspace *ws, lathe_error *err);

#endif
