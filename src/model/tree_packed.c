/*
 * tree_packed.c: the inference layout of an ensemble, built once the trees
 * are final, which batch and single-row prediction walk instead of the
 * node arrays.
 *
 * Each node packs into 16 bytes: threshold, feature and left child, the
 * right child being the next node (nodes are renumbered breadth first so
 * siblings sit side by side). One step is then one load of the node and
 * one of the row's value:  next = left + (value > threshold). A leaf is
 * its own left child with a NaN threshold, so it goes "left" to itself
 * whatever the row holds. Where missing values go and whether a split is
 * categorical live in a byte per node beside, read only when needed.
 *
 * Steps are branch-free, so a tree whose leaves are all about as deep as
 * its deepest (boosted trees of a fixed depth, most leaf-wise trees) is
 * walked in lockstep: every row of a block takes exactly `depth` steps,
 * rows at a leaf stay there, and no step waits on a mispredicted branch;
 * the rows' walks are independent, so the processor overlaps them.
 * Lopsided trees (deep CART trees) are walked row by row instead, stopping
 * at the leaf. The plainest step, a bare comparison, serves blocks of rows
 * without a missing value in any feature the trees read and trees without
 * categorical splits; otherwise each step also looks at the node's byte.
 *
 * The layout is derived data: predictions are the same bits with it and
 * without it, and tests compare the two.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "model/tree.h"
#include "model/tree_packed.h"

#include "core/banned.h"

#define MISSING_RIGHT 1u
#define CATEGORICAL 2u

typedef struct packed_node {
    double threshold; /* NaN at a leaf */
    uint32_t feature;
    uint32_t left; /* the left child (right: left + 1); a leaf: itself */
} packed_node;

typedef struct packed_tree {
    packed_node *nodes;
    uint8_t *flags;     /* MISSING_RIGHT | CATEGORICAL per packed node */
    uint32_t *original; /* the node index in the tree for each packed node */
    uint32_t depth;     /* steps from the root to the deepest leaf */
    bool lockstep;
    bool categorical; /* some split is */
} packed_tree;

typedef struct lathe__packed {
    const lathe__tree *trees; /* what it was built from, to notice a stale layout */
    size_t n_trees;
    packed_tree *packed;
    uint32_t *used; /* the features some split reads, increasing */
    size_t n_used;
} lathe__packed;

/* ---- building ------------------------------------------------------------------ */

static void pack_node(const lathe__tree *tree, uint32_t node, uint32_t at, uint32_t left,
                      packed_tree *p)
{
    if (tree->left[node] < 0) {
        p->nodes[at] = (packed_node){NAN, 0, at};
        p->flags[at] = 0;
        return;
    }
    p->nodes[at] = (packed_node){tree->threshold[node], tree->feature[node], left};
    p->flags[at] = (uint8_t)((tree->default_left[node] ? 0 : MISSING_RIGHT) |
                             (tree->cat_words[node] ? CATEGORICAL : 0));
    p->categorical |= tree->cat_words[node] != 0;
}

/* Whether a typical row walks nearly as far as the deepest leaf (cover-weighted where
   covers exist), so that lockstep's `depth` steps for every row pay. */
static bool worth_lockstep(const lathe__tree *tree, const packed_tree *p, const uint32_t *depth)
{
    double weighted = 0, total_cover = 0, leaf_depths = 0, n_leaves = 0;
    for (uint32_t at = 0; at < tree->n_nodes; at++) {
        if (p->nodes[at].left != at)
            continue;
        double cover = tree->cover[p->original[at]];
        weighted += cover * depth[at];
        total_cover += cover;
        leaf_depths += depth[at];
        n_leaves++;
    }
    double typical = total_cover > 0 ? weighted / total_cover : leaf_depths / n_leaves;
    return p->depth <= 1.5 * typical + 1;
}

/* Breadth-first renumbering; depth[] (n_nodes) is scratch for each packed node's depth. */
static void pack_tree(const lathe__tree *tree, packed_tree *p, uint32_t *depth)
{
    uint32_t n = (uint32_t)tree->n_nodes, next_free = 1;
    p->original[0] = 0;
    depth[0] = 0;
    p->depth = 0;
    for (uint32_t at = 0; at < n && at < next_free; at++) {
        uint32_t node = p->original[at];
        pack_node(tree, node, at, next_free, p);
        if (tree->left[node] < 0) {
            p->depth = depth[at] > p->depth ? depth[at] : p->depth;
            continue;
        }
        assert(next_free + 2 <= n); /* the nodes form a tree */
        p->original[next_free] = (uint32_t)tree->left[node];
        p->original[next_free + 1] = (uint32_t)tree->right[node];
        depth[next_free] = depth[next_free + 1] = depth[at] + 1;
        next_free += 2;
    }
    p->lockstep = worth_lockstep(tree, p, depth);
}

static void packed_free(lathe_ctx *ctx, lathe__packed *packed)
{
    if (!packed)
        return;
    for (size_t t = 0; packed->packed && t < packed->n_trees; t++) {
        lathe__free(ctx, packed->packed[t].nodes);
        lathe__free(ctx, packed->packed[t].flags);
        lathe__free(ctx, packed->packed[t].original);
    }
    lathe__free(ctx, packed->packed);
    lathe__free(ctx, packed->used);
    lathe__free(ctx, packed);
}

void lathe__ensemble_unprepare(lathe_ctx *ctx, lathe__ensemble *ensemble)
{
    packed_free(ctx, ensemble->packed);
    ensemble->packed = NULL;
}

static bool packable(const lathe__ensemble *ensemble)
{
    if (ensemble->n_features > UINT32_MAX)
        return false;
    for (size_t t = 0; t < ensemble->n_trees; t++)
        if (ensemble->trees[t].n_nodes >= UINT32_MAX || ensemble->trees[t].n_nodes == 0)
            return false;
    return true;
}

static bool pack_all(lathe_ctx *ctx, const lathe__ensemble *ensemble, lathe__packed *packed)
{
    uint32_t *depth = NULL;
    size_t depth_capacity = 0;
    bool ok = true;
    for (size_t t = 0; ok && t < ensemble->n_trees; t++) {
        const lathe__tree *tree = &ensemble->trees[t];
        packed_tree *p = &packed->packed[t];
        p->nodes = lathe__calloc(ctx, tree->n_nodes, sizeof *p->nodes);
        p->flags = lathe__calloc(ctx, tree->n_nodes, sizeof *p->flags);
        p->original = lathe__calloc(ctx, tree->n_nodes, sizeof *p->original);
        ok = p->nodes && p->flags && p->original &&
             lathe__grow(ctx, (void **)&depth, &depth_capacity, tree->n_nodes, sizeof *depth);
        if (ok)
            pack_tree(tree, p, depth);
    }
    lathe__free(ctx, depth);
    return ok;
}

static int by_value(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The features some split reads, from the splits themselves (never an array of
   n_features, which a hostile artifact could make huge). */
static bool list_used(lathe_ctx *ctx, const lathe__ensemble *ensemble, lathe__packed *packed)
{
    size_t n_splits = 0;
    for (size_t t = 0; t < ensemble->n_trees; t++)
        if (lathe__add_overflows(n_splits, ensemble->trees[t].n_nodes, &n_splits))
            return false;
    packed->used = lathe__calloc(ctx, n_splits ? n_splits : 1, sizeof *packed->used);
    if (!packed->used)
        return false;
    for (size_t t = 0; t < ensemble->n_trees; t++) {
        const lathe__tree *tree = &ensemble->trees[t];
        for (size_t node = 0; node < tree->n_nodes; node++)
            if (tree->left[node] >= 0)
                packed->used[packed->n_used++] = tree->feature[node];
    }
    qsort(packed->used, packed->n_used, sizeof *packed->used, by_value);
    size_t distinct = 0;
    for (size_t k = 0; k < packed->n_used; k++)
        if (distinct == 0 || packed->used[k] != packed->used[distinct - 1])
            packed->used[distinct++] = packed->used[k];
    packed->n_used = distinct;
    return true;
}

lathe_status lathe__ensemble_prepare(lathe_ctx *ctx, lathe__ensemble *ensemble, lathe_error *err)
{
    lathe__ensemble_unprepare(ctx, ensemble);
    if (!packable(ensemble))
        return LATHE_OK; /* predictions walk the node arrays */
    lathe__packed *packed = lathe__calloc(ctx, 1, sizeof *packed);
    bool ok =
        packed && (packed->packed = lathe__calloc(ctx, ensemble->n_trees ? ensemble->n_trees : 1,
                                                  sizeof *packed->packed));
    if (ok) {
        packed->trees = ensemble->trees;
        packed->n_trees = ensemble->n_trees;
        ok = pack_all(ctx, ensemble, packed) && list_used(ctx, ensemble, packed);
    }
    if (!ok) {
        packed_free(ctx, packed);
        return lathe__error_nomem(err);
    }
    ensemble->packed = packed;
    return LATHE_OK;
}

/* ---- walking --------------------------------------------------------------------- */

bool lathe__packed_usable(const lathe__ensemble *ensemble)
{
    const lathe__packed *packed = ensemble->packed;
    return packed && packed->trees == ensemble->trees && packed->n_trees == ensemble->n_trees;
}

bool lathe__packed_any_missing(const lathe__ensemble *ensemble, const double *rows, size_t n_cols,
                               size_t n_rows)
{
    const lathe__packed *packed = ensemble->packed;
    bool missing = false;
    for (size_t r = 0; r < n_rows; r++)
        for (size_t k = 0; k < packed->n_used; k++)
            missing |= isnan(rows[r * n_cols + packed->used[k]]);
    return missing;
}

/* The step from packed node `at`, for any node and any value. */
static inline uint32_t step(const lathe__tree *tree, const packed_tree *p, uint32_t at,
                            const double *row)
{
    const packed_node *node = &p->nodes[at];
    double value = row[node->feature];
    uint32_t flags = p->flags[at];
    if (__builtin_expect((flags & CATEGORICAL) != 0, 0)) {
        uint32_t node_index = p->original[at];
        return node->left +
               (lathe__tree_child(tree, node_index, value) == (size_t)tree->right[node_index]);
    }
    return node->left + ((uint32_t)(value > node->threshold) | ((uint32_t)isnan(value) & flags));
}

size_t lathe__packed_leaf(const lathe__ensemble *ensemble, size_t t, const double *row)
{
    const packed_tree *p = &ensemble->packed->packed[t];
    const lathe__tree *tree = &ensemble->trees[t];
    uint32_t at = 0;
    for (;;) {
        uint32_t next = step(tree, p, at, row);
        if (next == at)
            return p->original[at];
        at = next;
    }
}

/* Lockstep with the bare comparison: no missing values, no categorical splits. */
static void lockstep_plain(const packed_tree *p, const double *rows, size_t n_cols, size_t n_rows,
                           uint32_t *at)
{
    const packed_node *nodes = p->nodes;
    for (uint32_t depth = 0; depth < p->depth; depth++) {
        const double *row = rows;
        for (size_t r = 0; r < n_rows; r++, row += n_cols) {
            const packed_node *node = &nodes[at[r]];
            at[r] = node->left + (row[node->feature] > node->threshold);
        }
    }
}

static void lockstep(const lathe__tree *tree, const packed_tree *p, const double *rows,
                     size_t n_cols, size_t n_rows, uint32_t *at)
{
    for (uint32_t depth = 0; depth < p->depth; depth++) {
        const double *row = rows;
        for (size_t r = 0; r < n_rows; r++, row += n_cols)
            at[r] = step(tree, p, at[r], row);
    }
}

void lathe__packed_leaves(const lathe__ensemble *ensemble, size_t t, const double *rows,
                          size_t n_cols, size_t n_rows, bool missing, uint32_t *leaves)
{
    const packed_tree *p = &ensemble->packed->packed[t];
    const lathe__tree *tree = &ensemble->trees[t];
    if (!p->lockstep) {
        for (size_t r = 0; r < n_rows; r++)
            leaves[r] = (uint32_t)lathe__packed_leaf(ensemble, t, rows + r * n_cols);
        return;
    }
    memset(leaves, 0, n_rows * sizeof *leaves);
    if (missing || p->categorical)
        lockstep(tree, p, rows, n_cols, n_rows, leaves);
    else
        lockstep_plain(p, rows, n_cols, n_rows, leaves);
    for (size_t r = 0; r < n_rows; r++)
        leaves[r] = p->original[leaves[r]];
}
