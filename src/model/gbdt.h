/*
 * gbdt.h: the parts of histogram gradient boosting (internal), shared by
 * the gbdt_*.c files:
 *
 *   gbdt_bin.c        quantile bins and category bins; the uint8 code matrix
 *   gbdt_hist.c       gradient histograms of a node's rows, and subtraction
 *   gbdt_quant.c      quantized gradients: integer (gradient, hessian) per row
 *   gbdt_split.c      the best split of a node from its histogram
 *   gbdt_grow.c       one tree: depth-wise or leaf-wise growth, row partition
 *   gbdt_objective.c  losses: gradients, base scores, links, validation loss
 *   gbdt_boost.c      the boosting loop: rounds, sampling, early stopping
 *   gbdt.c            the family: parameters, fit, predict, save, load
 *
 * Training never looks at doubles after binning: every feature becomes a
 * code per row, 0..n_bins-1 for values and n_bins for missing, at most 255,
 * so one byte. A histogram holds a (gradient, hessian) sum per code of every
 * feature, `n_slots` pairs in all; a split is a set of codes that go left.
 * The fitted trees are written in input terms (thresholds, category sets)
 * into the shared lathe__tree representation, which predicts.
 *
 * The codes are kept twice. Histograms read them row-major inside groups
 * of LATHE__GBDT_GROUP_WIDTH features (group g is an n_rows x width block):
 * a row's codes of a group share a cache line and its pair is loaded once
 * for `width` updates, each to a different feature's bins. Partitioning a
 * node reads one feature of its rows, so it has a column-major copy. (On
 * 1M rows x 28 features a column-at-a-time histogram, LightGBM's col-wise
 * layout, took 1.7 times as long per update; deep nodes, whose rows are
 * scattered, cost about three times a dense pass either way: gathering
 * rows from DRAM is the limit there.)
 *
 * Every table that grows (histogram pool, nodes, trees) lives for the whole
 * fit: growing a tree allocates nothing once the first trees have sized them.
 */
#ifndef LATHE_MODEL_GBDT_H
#define LATHE_MODEL_GBDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pages.h"
#include "lathe/core.h"
#include "model/matrix.h"
#include "model/model.h"
#include "model/parallel.h"
#include "model/tree.h"

#define LATHE__GBDT_MAX_CODES 256 /* codes per feature, the missing code included */
#define LATHE__GBDT_GROUP_WIDTH 32
#define LATHE__GBDT_MAX_ROWS 0xFFFFFFFEu /* row ids are uint32 */
#define LATHE__GBDT_NUMBERED_LEAVES 255  /* leaf numbers of rows are one byte */

extern const lathe__model_ops lathe__gbdt_ops;

/* ---- bins (gbdt_bin.c) ---- */

typedef struct lathe__gbdt_feature {
    size_t column; /* the input column */
    bool categorical;
    unsigned n_bins; /* value codes 0..n_bins-1; code n_bins is missing */
    /* numeric: a value x has the first code b with x <= upper[b]; 256 entries, +inf
       from upper[n_bins - 1] on, so a fixed 8-step search finds any bin */
    double *upper;
    size_t n_categories; /* categorical: input codes 0..n_categories-1 */
    uint8_t *bin_of;     /* categorical: the code of each input category */
    size_t slot;         /* the feature's first histogram slot; n_bins + 1 slots */
} lathe__gbdt_feature;

/* How input columns become codes; columns that cannot split (one value) are left out. */
typedef struct lathe__gbdt_binner {
    size_t n_columns; /* input width */
    size_t n_features;
    lathe__gbdt_feature *features;
    size_t n_slots;
} lathe__gbdt_binner;

typedef struct lathe__gbdt_codes {
    size_t n_rows;
    size_t n_features;
    uint8_t *data; /* group g: n_rows x width(g) bytes at data + n_rows * g * GROUP_WIDTH */
    /* the same codes column by column, feature f's at columns + f * n_rows: partitioning
       a node reads one feature of rows in order, which the groups would make a strided
       walk through memory (a cache line per row) */
    uint8_t *columns;
    lathe__pages *data_block, *columns_block; /* huge pages where the system has them */
} lathe__gbdt_codes;

static inline size_t lathe__gbdt_n_groups(size_t n_features)
{
    return (n_features + LATHE__GBDT_GROUP_WIDTH - 1) / LATHE__GBDT_GROUP_WIDTH;
}

static inline size_t lathe__gbdt_group_width(size_t n_features, size_t group)
{
    size_t left = n_features - group * LATHE__GBDT_GROUP_WIDTH;
    return left < LATHE__GBDT_GROUP_WIDTH ? left : LATHE__GBDT_GROUP_WIDTH;
}

static inline const uint8_t *lathe__gbdt_group_codes(const lathe__gbdt_codes *codes, size_t group)
{
    return codes->data + codes->n_rows * group * LATHE__GBDT_GROUP_WIDTH;
}

static inline uint8_t lathe__gbdt_code(const lathe__gbdt_codes *codes, size_t row, size_t feature)
{
    size_t group = feature / LATHE__GBDT_GROUP_WIDTH;
    size_t width = lathe__gbdt_group_width(codes->n_features, group);
    return lathe__gbdt_group_codes(codes, group)[row * width + feature % LATHE__GBDT_GROUP_WIDTH];
}

/*
 * Learns the bins of x's columns: numeric columns get up to max_bin quantile
 * bins from a sample of at most 200,000 rows (drawn with `seed`), each
 * distinct value its own bin when there are few; categorical ones
 * (categorical[c], may be NULL) a bin per category, the max_bin - 1 most
 * frequent keeping their own when there are more.
 */
lathe_status lathe__gbdt_binner_fit(lathe_ctx *ctx, lathe__team *team, const lathe__matrix *x,
                                    const bool *categorical, size_t max_bin, uint64_t seed,
                                    lathe__gbdt_binner *out, lathe_error *err);
void lathe__gbdt_binner_release(lathe_ctx *ctx, lathe__gbdt_binner *binner);
/* Codes of every row of x (as wide as the binner's input). */
lathe_status lathe__gbdt_codes_fill(lathe_ctx *ctx, lathe__team *team,
                                    const lathe__gbdt_binner *binner, const lathe__matrix *x,
                                    lathe__gbdt_codes *out, lathe_error *err);
void lathe__gbdt_codes_release(lathe_ctx *ctx, lathe__gbdt_codes *codes);
/* The code of one value of feature f (NaN: missing; unseen categories: missing). */
uint8_t lathe__gbdt_bin_value(const lathe__gbdt_feature *feature, double value);

/* ---- histograms (gbdt_hist.c) ---- */

/* A per-row gradient and hessian, and a histogram bin's sums of them. */
typedef struct lathe__gbdt_pair {
    double g;
    double h;
} lathe__gbdt_pair;

/*
 * A quantized gradient and hessian widened to one word, or a histogram bin's sums
 * of them: the gradient (two's complement) in the high 32 bits, the
 * hessian (never negative) in the low 32. Adding or subtracting words adds
 * or subtracts both halves at once, with no carry between them, as long as
 * every sum of hessians stays below 2^32 and every sum of gradients inside
 * int32: gbdt_quant.c picks the levels from the row count so that it does.
 * Integer sums are exact, so their order never matters.
 */
typedef uint64_t lathe__gbdt_packed;

/*
 * A row's quantized gradient and hessian as stored, half the size of a
 * packed word: the gradient (int16) in the high 16 bits, the hessian
 * (uint16) in the low 16. Deep nodes' rows are scattered, so the smaller
 * the rows' gradients, the more of them share a cache line.
 */
typedef uint32_t lathe__gbdt_qpair;

static inline lathe__gbdt_qpair lathe__gbdt_qpair_make(int32_t g, uint32_t h)
{
    return ((uint32_t)(uint16_t)(int16_t)g << 16) | (h & 0xFFFFu);
}

/* The packed word of a row's quantized pair. */
static inline lathe__gbdt_packed lathe__gbdt_widen(lathe__gbdt_qpair q)
{
    int64_t g = (int16_t)(uint16_t)(q >> 16);
    return ((uint64_t)g << 32) + (q & 0xFFFFu);
}

/* The sums of a packed word, in units of the quantization scales (exact in a double). */
static inline lathe__gbdt_pair lathe__gbdt_unpack(lathe__gbdt_packed word)
{
    uint32_t high = (uint32_t)(word >> 32);
    int64_t g = high >= 0x80000000u ? (int64_t)high - 0x100000000ll : (int64_t)high;
    return (lathe__gbdt_pair){(double)g, (double)(uint32_t)word};
}

typedef struct lathe__gbdt_hist_space {
    void *partial; /* per row chunk partial histograms, pairs or packed words */
    size_t n_partial;
} lathe__gbdt_hist_space;

lathe_status lathe__gbdt_hist_space_init(lathe_ctx *ctx, lathe__gbdt_hist_space *space,
                                         const lathe__gbdt_binner *binner, lathe_error *err);
void lathe__gbdt_hist_space_release(lathe_ctx *ctx, lathe__gbdt_hist_space *space);
/*
 * hist[slot] = the sums of gh over rows[0..n_rows) (ascending, no repeats) for every slot. The work
 * is cut into (row chunk, feature group) tasks that depend only on n_rows and the feature count;
 * chunks are added in order, so any team gives the same bits.
 */
void lathe__gbdt_hist_build(lathe__team *team, lathe__gbdt_hist_space *space,
                            const lathe__gbdt_binner *binner, const lathe__gbdt_codes *codes,
                            const lathe__gbdt_pair *gh, const uint32_t *rows, size_t n_rows,
                            lathe__gbdt_pair *hist);
/* The same from quantized gradients (quantized[row]) into packed sums. */
void lathe__gbdt_hist_build_packed(lathe__team *team, lathe__gbdt_hist_space *space,
                                   const lathe__gbdt_binner *binner, const lathe__gbdt_codes *codes,
                                   const lathe__gbdt_qpair *quantized, const uint32_t *rows,
                                   size_t n_rows, lathe__gbdt_packed *hist);
/* parent -= child, slot by slot: the parent's histogram becomes its other child's. */
void lathe__gbdt_hist_subtract(lathe__gbdt_pair *parent, const lathe__gbdt_pair *child,
                               size_t n_slots);
void lathe__gbdt_hist_subtract_packed(lathe__gbdt_packed *parent, const lathe__gbdt_packed *child,
                                      size_t n_slots);

/* ---- splits (gbdt_split.c) ---- */

typedef struct lathe__gbdt_split_params {
    double reg_lambda;
    double reg_alpha;
    double min_child_weight;
    double min_split_gain;
    double max_delta_step; /* 0: leaf weights unbounded */
    size_t max_cat_to_onehot;
    size_t max_cat_threshold;
    double cat_smooth;
    double cat_l2;
} lathe__gbdt_split_params;

typedef struct lathe__gbdt_split {
    double gain; /* the loss reduction; 0 when the node does not split */
    uint32_t feature;
    bool categorical;
    bool default_left;
    uint8_t bin;            /* numeric: value codes <= bin go left */
    uint64_t left_codes[4]; /* every code that goes left (the missing code by default_left) */
    lathe__gbdt_pair left;
    lathe__gbdt_pair right;
} lathe__gbdt_split;

static inline bool lathe__gbdt_goes_left(const lathe__gbdt_split *split, uint8_t code)
{
    return (split->left_codes[code >> 6] >> (code & 63)) & 1u;
}

/* The leaf weight -T_alpha(G) / (H + lambda), bounded by max_delta_step when set. */
double lathe__gbdt_leaf_weight(const lathe__gbdt_split_params *params, double g, double h);
/* The loss reduction a leaf of these sums achieves (twice the negated loss). */
double lathe__gbdt_leaf_score(const lathe__gbdt_split_params *params, double g, double h);

typedef struct lathe__gbdt_split_space {
    lathe__gbdt_split *per_task; /* the best split of each task of one search */
    size_t n_tasks;
} lathe__gbdt_split_space;

lathe_status lathe__gbdt_split_space_init(lathe_ctx *ctx, lathe__gbdt_split_space *space,
                                          size_t n_features, lathe_error *err);
void lathe__gbdt_split_space_release(lathe_ctx *ctx, lathe__gbdt_split_space *space);
/* The histograms of one search: pairs, or packed words (quantized gradients). */
typedef struct lathe__gbdt_search {
    size_t count;               /* nodes searched, 1 or 2 */
    bool packed;                /* the histograms hold lathe__gbdt_packed words */
    void *hists[2];             /* each node's histogram */
    const void *subtract[2];    /* NULL, or a histogram to subtract from hists[i] first */
    lathe__gbdt_pair totals[2]; /* each node's sums (packed: in quantized units) */
} lathe__gbdt_search;

/*
 * The best split of up to two nodes from their histograms and gradient
 * sums; features with allowed[f] false (allowed may be NULL) are skipped.
 * Ties go to the lower feature, then the lower bin, so the result does not
 * depend on the team. When search->subtract[i] is set, hists[i] -=
 * subtract[i] first, for every feature: histogram subtraction done by the
 * search's tasks, so it runs on the team and while the histogram is in
 * cache. Packed histograms are searched in quantized units: params must be
 * scaled to them (lathe__gbdt_quant_params).
 */
void lathe__gbdt_split_find(lathe__team *team, lathe__gbdt_split_space *space,
                            const lathe__gbdt_binner *binner,
                            const lathe__gbdt_split_params *params, const bool *allowed,
                            const lathe__gbdt_search *search, lathe__gbdt_split *best);

/* ---- quantized gradients (gbdt_quant.c) ---- */

/* How one tree's gradients become integers. */
typedef struct lathe__gbdt_quant {
    int32_t g_levels;        /* a row's gradient becomes an integer in [-g_levels, g_levels] */
    uint32_t h_levels;       /* its hessian one in [0, h_levels] */
    double g_scale, h_scale; /* the gradient and hessian of one unit, for this tree */
} lathe__gbdt_quant;

/* The levels for trees of at most n_rows rows; false when too many rows: train exactly. */
bool lathe__gbdt_quant_levels(size_t n_rows, lathe__gbdt_quant *quant);
/*
 * Sets the scales from gh over rows[0..n) (ascending; NULL: rows 0..n-1)
 * and writes quantized[row] for each of those rows, rounded stochastically:
 * up with probability the fraction, from a hash of `seed` and the row, so
 * the result does not depend on the team.
 */
void lathe__gbdt_quantize(lathe__team *team, lathe__gbdt_quant *quant, const lathe__gbdt_pair *gh,
                          const uint32_t *rows, size_t n, uint64_t seed,
                          lathe__gbdt_qpair *quantized);
/* params in quantized units, for growing on packed gradients. */
lathe__gbdt_split_params lathe__gbdt_quant_params(const lathe__gbdt_split_params *params,
                                                  const lathe__gbdt_quant *quant);
/* What a gain in quantized units is in loss units. */
double lathe__gbdt_quant_gain_scale(const lathe__gbdt_quant *quant);

/* ---- one tree (gbdt_grow.c) ---- */

typedef enum lathe__gbdt_policy {
    LATHE__GBDT_DEPTHWISE = 0,
    LATHE__GBDT_LOSSGUIDE = 1
} lathe__gbdt_policy;

/* A node of a tree as grown, in code terms. */
typedef struct lathe__gbdt_node {
    int32_t left, right; /* -1 at a leaf */
    lathe__gbdt_split split;
    double weight; /* the leaf weight of the node's sums (before the learning rate) */
    lathe__gbdt_pair sums;
    uint32_t begin, end; /* the node's rows: grower rows[begin..end) */
    uint32_t depth;
    bool rows_unsplit; /* split with defer_last_level: its rows stay in its range, unpartitioned,
                          and its children's ranges are empty */
} lathe__gbdt_node;

typedef struct lathe__gbdt_grower {
    lathe_ctx *ctx;
    lathe__team *team;
    const lathe__gbdt_binner *binner;
    const lathe__gbdt_codes *codes;
    lathe__gbdt_split_params split_params;
    lathe__gbdt_policy policy;
    size_t max_depth;  /* 0: no limit */
    size_t max_leaves; /* 0: no limit */
    bool quantized;    /* histograms of packed words (set before init) */
    /* a node whose children are leaves at max_depth keeps its rows where they are (it is
       rows_unsplit): for a caller that sends each row to a side by its code, so that the
       last level's partition, a sixth of all row moves at depth 6, is not done */
    bool defer_last_level;
    const lathe__gbdt_qpair *quantized_gh; /* the tree's quantized gradients, when quantized */
    /* workspace, allocated once per fit */
    uint32_t *rows; /* the tree's rows, each node a range, leaves in order once grown */
    uint32_t *scratch;
    const uint32_t *root_rows; /* the tree's rows as given (NULL: 0..n_root-1) */
    size_t n_root;
    /* quantized: the leaf number of each of the tree's rows, and the node of each number,
       when the tree has at most LATHE__GBDT_NUMBERED_LEAVES leaves (else n_numbered is 0):
       renewal and the score update then read rows in order (gbdt_grow.c) */
    uint8_t *leaf_of;
    uint32_t numbered_node[LATHE__GBDT_NUMBERED_LEAVES];
    size_t n_numbered;
    lathe__gbdt_pair *leaf_sums; /* quantized: renewal's per chunk, per leaf sums */
    lathe__gbdt_hist_space hist_space;
    lathe__gbdt_split_space split_space;
    void **hists; /* a pool of histograms (pairs or packed words), n_hists of them allocated */
    size_t n_hists, hists_capacity;
    size_t *free_hists;
    size_t n_free, free_capacity;
    lathe__gbdt_node *nodes;
    size_t n_nodes, nodes_capacity;
    /* pending nodes: a stack or a queue (depth-wise), a max-heap on gain (lossguide) */
    size_t *stack;
    size_t stack_capacity;
    size_t *node_hist; /* each node's histogram in the pool, or none */
    size_t node_hist_capacity;
    size_t n_leaves;
} lathe__gbdt_grower;

lathe_status lathe__gbdt_grower_init(lathe_ctx *ctx, lathe__gbdt_grower *grower, size_t n_rows,
                                     lathe_error *err);
void lathe__gbdt_grower_release(lathe__gbdt_grower *grower);
/*
 * Grows one tree on the rows root_rows[0..n_root) (NULL: rows 0..n_root-1) with gradients gh
 * (indexed by row id). Afterwards grower->nodes[0..n_nodes) is the tree and each leaf's rows are
 * grower->rows[begin..end), or, below a rows_unsplit node, that node's rows on the leaf's side. A
 * quantized grower reads `quantized` (the same rows' quantized gradients) instead of gh, with
 * split_params in quantized units (lathe__gbdt_quant_params): the nodes' sums, weights and gains
 * are then in those units until lathe__gbdt_grown_renew.
 */
lathe_status lathe__gbdt_grow(lathe__gbdt_grower *grower, const lathe__gbdt_pair *gh,
                              const lathe__gbdt_qpair *quantized, const uint32_t *root_rows,
                              size_t n_root, const bool *allowed, lathe_error *err);
/*
 * Leaf renewal after a quantized tree: every node's sums become the exact
 * sums of gh over its rows, its weight the weight of those under `params`,
 * and split gains are multiplied by gain_scale (back to loss units). So
 * quantizing only chooses the splits; leaf values are full precision.
 */
void lathe__gbdt_grown_renew(lathe__gbdt_grower *grower, const lathe__gbdt_pair *gh,
                             const lathe__gbdt_split_params *params, double gain_scale);
/* The leaf a row of `codes` falls in. */
size_t lathe__gbdt_grown_leaf(const lathe__gbdt_node *nodes, const lathe__gbdt_codes *codes,
                              size_t row);
/*
 * The grown tree in input terms: thresholds from the bin edges, category
 * sets from the category codes; leaf values are weight * learning_rate.
 */
lathe_status lathe__gbdt_tree_export(lathe_ctx *ctx, const lathe__gbdt_binner *binner,
                                     const lathe__gbdt_node *nodes, size_t n_nodes,
                                     double learning_rate, lathe__tree *out, lathe_error *err);

/* ---- objectives (gbdt_objective.c) ---- */

typedef enum lathe__gbdt_objective_id {
    LATHE__GBDT_BINARY_LOGISTIC,
    LATHE__GBDT_MULTI_SOFTMAX,
    LATHE__GBDT_SQUARED_ERROR,
    LATHE__GBDT_ABSOLUTE_ERROR,
    LATHE__GBDT_PSEUDOHUBER,
    LATHE__GBDT_HUBER,
    LATHE__GBDT_POISSON,
    LATHE__GBDT_N_OBJECTIVES
} lathe__gbdt_objective_id;

typedef struct lathe__gbdt_objective {
    const char *name; /* as XGBoost spells it */
    lathe__task task;
    lathe__tree_link link;
    const char *loss_name; /* the validation loss early stopping watches */
    bool refit_median;     /* leaf values become the median residual (absolute error) */
} lathe__gbdt_objective;

typedef struct lathe__gbdt_loss_args {
    lathe__gbdt_objective_id id;
    size_t n_raw;          /* raw scores per row */
    double huber_slope;    /* pseudohuber and huber */
    double max_delta_step; /* poisson: added to the log of the hessian */
} lathe__gbdt_loss_args;

const lathe__gbdt_objective *lathe__gbdt_objective_get(lathe__gbdt_objective_id id);
/* Parses an objective name; false if unknown. */
bool lathe__gbdt_objective_parse(const char *name, lathe__gbdt_objective_id *id);
/* Checks targets for the objective (Poisson counts are not negative). */
lathe_status lathe__gbdt_objective_check(const lathe__gbdt_loss_args *args, const double *y,
                                         size_t n_rows, lathe_error *err);
/* The constant raw score(s) minimizing the weighted loss of rows[0..n), into base[n_raw]. */
lathe_status lathe__gbdt_base_score(lathe_ctx *ctx, const lathe__gbdt_loss_args *args,
                                    const double *y, const double *w, const uint32_t *rows,
                                    size_t n, size_t n_classes, double *base, lathe_error *err);
/*
 * Gradients and hessians of rows[lo..hi): gh[k * n_total + row] for raw score
 * k, from raw[row * n_raw + k].
 */
void lathe__gbdt_gradients(const lathe__gbdt_loss_args *args, const double *raw, const double *y,
                           const double *w, const uint32_t *rows, size_t lo, size_t hi,
                           size_t n_total, lathe__gbdt_pair *gh);
/* The weighted loss of one row (for validation; lower is better). */
double lathe__gbdt_row_loss(const lathe__gbdt_loss_args *args, const double *raw, double y);
typedef struct lathe__gbdt_weighted {
    double value;
    double weight;
} lathe__gbdt_weighted;

/* The weighted median of values[0..n) (sorted in place): the first reaching half the weight. */
double lathe__gbdt_weighted_median(lathe__gbdt_weighted *values, size_t n);
/* Turns the mean loss into the reported metric (rmse takes the square root). */
double lathe__gbdt_loss_metric(const lathe__gbdt_loss_args *args, double mean_loss);

/* ---- the boosting loop (gbdt_boost.c) ---- */

typedef struct lathe__gbdt_settings {
    lathe__gbdt_loss_args loss;
    lathe__gbdt_split_params split;
    lathe__gbdt_policy policy;
    size_t max_depth, max_leaves;
    size_t n_estimators;
    double learning_rate;
    size_t max_bin;
    double subsample, colsample_bytree;
    bool quantized_gradients; /* splits from integer histograms (gbdt_quant.c) */
    size_t early_stopping_rounds;
    double validation_fraction;
    uint64_t seed;
} lathe__gbdt_settings;

typedef struct lathe__gbdt_model {
    lathe__ensemble ensemble;
    lathe__gbdt_objective_id objective;
    size_t n_classes;      /* 0 for regression */
    size_t n_rounds;       /* boosting rounds kept (trees = rounds x n_raw) */
    size_t best_iteration; /* early stopping: the best round (0-based), else n_rounds - 1 */
    double best_score;     /* validation loss metric at best_iteration (NaN without validation) */
} lathe__gbdt_model;

/* Boosts; w holds one weight per row of data->x (class weights applied). */
lathe_status lathe__gbdt_boost(lathe_ctx *ctx, const lathe__train_data *data, const double *w,
                               const lathe__gbdt_settings *settings, lathe__gbdt_model *model,
                               lathe_error *err);

#endif
