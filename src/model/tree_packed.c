/*
 * tree_packed.c: the inference layout of an ensemble, built once the trees
 * are final, which batch and single-row prediction walk instead of the
 * node arrays.
 *
 * Each node packs into 16 bytes: threshold, feature and left child, the
 * right child being the next node: every split's two children take a pair
 * of positions side by side. One step is then one load of the node and one
 * of the row's value:
 *     next = left + (value > threshold)
 * A leaf is its own left child with a NaN threshold, so it goes "left" to
 * itself whatever the row holds; the NaN's payload is the leaf's node index
 * in the tree (only ever read back as bits), and its feature is its
 * parent's, so a step from it reads a value the missing-value check below
 * covers. A categorical split keeps its bitset's place in the tree's
 * cat_bits where the threshold would be, and the walk tests the bit
 * itself. Flags (LEAF, CATEGORICAL, MISSING_RIGHT: a missing value goes
 * right) ride in the feature's top bits in depth-first trees, where a
 * separate array would cost a second cache miss per step, and sit in a
 * byte per node beside breadth-first trees, whose plain step then reads a
 * bare feature.
 *
 * Two orders of the pairs, chosen per tree. Steps are branch-free, so a
 * tree whose leaves are all about as deep as its deepest (boosted trees of
 * a fixed depth, most leaf-wise trees) is walked in lockstep: every row of
 * a block takes exactly `depth` steps, rows at a leaf stay there, and the
 * rows' walks are independent, so the processor overlaps them. Such a tree
 * is numbered breadth first, so each lockstep level reads adjacent nodes
 * (depth first was 1.5x slower on Fashion-MNIST's depth-6 trees).
 * Lopsided trees (deep CART trees, often hundreds of kilobytes) are walked
 * to their leaves, LANES rows at a time so their loads overlap, and are
 * numbered depth first: a left child's children follow it, so a small
 * subtree, and with it the last steps of a deep path, sits in a few cache
 * lines, where breadth-first numbering spread a path over the whole array.
 * The plainest step, a bare comparison, serves lockstep blocks of rows
 * without a missing value in any feature the trees read and trees without
 * categorical splits; otherwise each step also looks at the flags.
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

/* Flags: beside the node (breadth first) or above its feature (depth first). */
#define CATEGORICAL 1u
#define MISSING_RIGHT 2u
#define LEAF 4u
#define FLAG_SHIFT 29
#define FEATURE_MASK ((1u << FLAG_SHIFT) - 1)
#define LEAF_NAN UINT64_C(0x7ff8000000000000) /* a quiet NaN; the payload is the node */
/* 64 KB of nodes: boosted trees (up to a few hundred leaves) stay below */
#define LARGE_TREE_NODES 4096

typedef struct packed_node {
    union {
        double threshold;
        uint64_t leaf; /* LEAF_NAN | the leaf's node index in the tree */
        struct {
            uint32_t start, words; /* the bitset: cat_bits[start .. + words) */
        } bitset;
    } split;
    uint32_t feature; /* depth first: the feature | flags << FLAG_SHIFT; else the feature */
    uint32_t left;    /* the left child (the right one is left + 1); a leaf: itself */
} packed_node;

typedef struct packed_tree {
    packed_node *nodes;
    uint8_t *flags;           /* breadth first: each node's flags; depth first: NULL */
    const uint64_t *cat_bits; /* the tree's */
    uint32_t depth;           /* steps from the root to the deepest leaf */
    bool lockstep;
    bool categorical; /* some split is */
} packed_tree;

typedef struct lathe__packed {
    const lathe__tree *trees; /* what it was built from, to notice a stale layout */
    size_t n_trees;
    packed_tree *packed;
    uint32_t *used; /* the features some split reads, increasing */
    size_t n_used;
    bool large; /* some tree has more than LARGE_TREE_NODES nodes */
} lathe__packed;

/* ---- building ------------------------------------------------------------------ */

/* What goes at one packed position: the tree's node, its depth and its parent's feature
   (a leaf reads that one). `stacked` is a separate column: the stack of positions still
   to visit, for depth-first placement. */
typedef struct slot {
    uint32_t node, depth, parent_feature, stacked;
} slot;

static void pack_node(const lathe__tree *tree, const slot *place_of, uint32_t at, uint32_t left,
                      packed_tree *p)
{
    uint32_t node = place_of->node;
    packed_node *packed = &p->nodes[at];
    uint32_t flags = LEAF, feature = place_of->parent_feature;
    if (tree->left[node] < 0) {
        packed->split.leaf = LEAF_NAN | node;
        left = at;
    } else {
        flags = tree->default_left[node] ? 0 : MISSING_RIGHT;
        feature = tree->feature[node];
        if (tree->cat_words[node]) {
            flags |= CATEGORICAL;
            packed->split.bitset.start = tree->cat_start[node];
            packed->split.bitset.words = tree->cat_words[node];
            p->categorical = true;
        } else {
            packed->split.threshold = tree->threshold[node];
        }
    }
    packed->left = left;
    if (p->flags) {
        packed->feature = feature;
        p->flags[at] = (uint8_t)flags;
    } else {
        packed->feature = feature | flags << FLAG_SHIFT;
    }
}

/* Leaves `stacked` alone: it is another column. */
static void put(slot *slots, uint32_t at, uint32_t node, uint32_t depth, uint32_t parent_feature)
{
    slots[at].node = node;
    slots[at].depth = depth;
    slots[at].parent_feature = parent_feature;
}

/*
 * Numbers the nodes: each split's two children take the next free pair of positions,
 * and splits are visited either in position order (breadth first: a level's nodes sit
 * together, as lockstep walks them) or from a stack with the left child on top (depth
 * first: a left child's children follow it, so the nodes of a small subtree, and a
 * deep path's last steps, share a few cache lines). slots (n_nodes) is scratch.
 */
static void place(const lathe__tree *tree, packed_tree *p, slot *slots, bool depth_first)
{
    uint32_t next_free = 1, visited = 0, top = depth_first ? 1 : 0;
    put(slots, 0, 0, 0, 0);
    slots[0].stacked = 0;
    for (;;) {
        uint32_t at;
        if (depth_first && top > 0)
            at = slots[--top].stacked;
        else if (!depth_first && visited < next_free)
            at = visited++;
        else
            break;
        uint32_t node = slots[at].node;
        pack_node(tree, &slots[at], at, next_free, p);
        if (tree->left[node] < 0)
            continue;
        assert(next_free + 2 <= tree->n_nodes); /* the nodes form a tree */
        uint32_t depth = slots[at].depth + 1, feature = tree->feature[node];
        put(slots, next_free, (uint32_t)tree->left[node], depth, feature);
        put(slots, next_free + 1, (uint32_t)tree->right[node], depth, feature);
        if (depth_first) {
            slots[top++].stacked = next_free + 1;
            slots[top++].stacked = next_free;
        }
        next_free += 2;
    }
}

/* Whether a typical row walks nearly as far as the deepest leaf (cover-weighted where
   covers exist), so that lockstep's `depth` steps for every row pay. */
static bool worth_lockstep(const lathe__tree *tree, packed_tree *p, const slot *slots)
{
    double weighted = 0, total_cover = 0, leaf_depths = 0, n_leaves = 0;
    p->depth = 0;
    for (uint32_t at = 0; at < tree->n_nodes; at++) {
        if (!(p->nodes[at].feature >> FLAG_SHIFT & LEAF))
            continue;
        uint32_t depth = slots[at].depth;
        double cover = tree->cover[slots[at].node];
        p->depth = depth > p->depth ? depth : p->depth;
        weighted += cover * depth;
        total_cover += cover;
        leaf_depths += depth;
        n_leaves++;
    }
    double typical = total_cover > 0 ? weighted / total_cover : leaf_depths / n_leaves;
    return p->depth <= 1.5 * typical + 1;
}

/*
 * Depth first, or breadth first where the tree is walked in lockstep. Lockstep trees
 * keep their flags beside the nodes, so the plain lockstep step reads a bare feature
 * (masking it cost boosting's prediction 6% more instructions).
 */
static bool pack_tree(lathe_ctx *ctx, const lathe__tree *tree, packed_tree *p, slot *slots)
{
    p->cat_bits = tree->cat_bits;
    place(tree, p, slots, true);
    p->lockstep = worth_lockstep(tree, p, slots);
    if (!p->lockstep)
        return true;
    p->flags = lathe__calloc(ctx, tree->n_nodes, sizeof *p->flags);
    if (!p->flags)
        return false;
    place(tree, p, slots, false);
    return true;
}

static void packed_free(lathe_ctx *ctx, lathe__packed *packed)
{
    if (!packed)
        return;
    for (size_t t = 0; packed->packed && t < packed->n_trees; t++) {
        lathe__free(ctx, packed->packed[t].nodes);
        lathe__free(ctx, packed->packed[t].flags);
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
    if (ensemble->n_features > FEATURE_MASK)
        return false;
    for (size_t t = 0; t < ensemble->n_trees; t++)
        if (ensemble->trees[t].n_nodes >= UINT32_MAX || ensemble->trees[t].n_nodes == 0)
            return false;
    return true;
}

static bool pack_all(lathe_ctx *ctx, const lathe__ensemble *ensemble, lathe__packed *packed)
{
    slot *slots = NULL;
    size_t slots_capacity = 0;
    bool ok = true;
    for (size_t t = 0; ok && t < ensemble->n_trees; t++) {
        const lathe__tree *tree = &ensemble->trees[t];
        packed_tree *p = &packed->packed[t];
        p->nodes = lathe__calloc(ctx, tree->n_nodes, sizeof *p->nodes);
        ok = p->nodes &&
             lathe__grow(ctx, (void **)&slots, &slots_capacity, tree->n_nodes, sizeof *slots);
        if (ok) {
            ok = pack_tree(ctx, tree, p, slots);
            packed->large |= tree->n_nodes > LARGE_TREE_NODES;
        }
    }
    lathe__free(ctx, slots);
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

bool lathe__packed_large(const lathe__ensemble *ensemble)
{
    return ensemble->packed->large;
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

/* Whether `value` (not missing) is a category code whose bit is set; anything else goes
   right, as lathe__tree_child has it. */
static inline bool category_goes_left(const packed_tree *p, const packed_node *node, double value)
{
    uint32_t words = node->split.bitset.words;
    if (!(value >= 0) || value >= 64.0 * (double)words)
        return false;
    size_t code = (size_t)value;
    return (p->cat_bits[node->split.bitset.start + (code >> 6)] >> (code & 63)) & 1u;
}

/* The step from `node`, for any node and any value: no branch but the rare categorical
   one, since the direction is a coin toss to a branch predictor. */
static inline uint32_t step_from(const packed_tree *p, const packed_node *node, uint32_t flags,
                                 double value)
{
    uint32_t missing_right = (flags / MISSING_RIGHT) & 1u;
    if (__builtin_expect((flags & CATEGORICAL) != 0, 0))
        return node->left + (isnan(value) ? missing_right : !category_goes_left(p, node, value));
    return node->left +
           ((uint32_t)(value > node->split.threshold) | ((uint32_t)isnan(value) & missing_right));
}

/* A step in a depth-first tree (flags above the feature). */
static inline uint32_t step_tagged(const packed_tree *p, uint32_t at, const double *row)
{
    const packed_node *node = &p->nodes[at];
    return step_from(p, node, node->feature >> FLAG_SHIFT, row[node->feature & FEATURE_MASK]);
}

/* A step in a breadth-first tree (flags beside). */
static inline uint32_t step_flat(const packed_tree *p, uint32_t at, const double *row)
{
    const packed_node *node = &p->nodes[at];
    return step_from(p, node, p->flags[at], row[node->feature]);
}

static inline uint32_t leaf_index(const packed_node *node)
{
    return (uint32_t)(node->split.leaf & UINT32_MAX);
}

size_t lathe__packed_leaf(const lathe__ensemble *ensemble, size_t t, const double *row)
{
    const packed_tree *p = &ensemble->packed->packed[t];
    uint32_t at = 0;
    if (p->flags) /* lockstep for one row: `depth` steps, no test for a leaf */
        for (uint32_t depth = 0; depth < p->depth; depth++)
            at = step_flat(p, at, row);
    else
        while (!(p->nodes[at].feature >> FLAG_SHIFT & LEAF))
            at = step_tagged(p, at, row);
    return leaf_index(&p->nodes[at]);
}

/* Lockstep with the bare comparison: no missing values, no categorical splits. */
static void lockstep_plain(const packed_tree *p, const double *rows, size_t n_cols, size_t n_rows,
                           uint32_t *at)
{
    const packed_node *nodes = p->nodes;
    if (p->depth == 0)
        return;
    /* every row starts at the root: its split read once, not per row */
    uint32_t root_left = nodes[0].left, root_feature = nodes[0].feature;
    double root_threshold = nodes[0].split.threshold;
    const double *first = rows;
    for (size_t r = 0; r < n_rows; r++, first += n_cols)
        at[r] = root_left + (first[root_feature] > root_threshold);
    for (uint32_t depth = 1; depth < p->depth; depth++) {
        const double *row = rows;
        /* a step is a dozen instructions, a third of them the loop's own: unrolled, the
           batch ran 1.50 -> 1.55-1.57 M rows/s on one thread (100 trees of depth 6) */
#pragma GCC unroll 4
        for (size_t r = 0; r < n_rows; r++, row += n_cols) {
            const packed_node *node = &nodes[at[r]];
            at[r] = node->left + (row[node->feature] > node->split.threshold);
        }
    }
}

static void lockstep(const packed_tree *p, const double *rows, size_t n_cols, size_t n_rows,
                     uint32_t *at)
{
    for (uint32_t depth = 0; depth < p->depth; depth++) {
        const double *row = rows;
        for (size_t r = 0; r < n_rows; r++, row += n_cols)
            at[r] = step_flat(p, at[r], row);
    }
}

#define LANES 8
#define NO_ROW SIZE_MAX

/*
 * Rows walked row by row, but LANES of them at once, each lane taking the next row
 * when its row reaches a leaf: the lanes' steps are independent, so their loads
 * overlap where one row's walk would wait on each node in turn.
 */
static void interleaved(const packed_tree *p, const double *rows, size_t n_cols, size_t n_rows,
                        uint32_t *leaves)
{
    uint32_t at[LANES];
    size_t row[LANES], next = 0, active = 0;
    for (size_t lane = 0; lane < LANES; lane++) {
        at[lane] = 0;
        row[lane] = next < n_rows ? next++ : NO_ROW;
        active += row[lane] != NO_ROW;
    }
    while (active > 0)
        for (size_t lane = 0; lane < LANES; lane++) {
            if (row[lane] == NO_ROW)
                continue;
            const packed_node *node = &p->nodes[at[lane]];
            if (node->feature >> FLAG_SHIFT & LEAF) {
                leaves[row[lane]] = leaf_index(node);
                at[lane] = 0;
                row[lane] = next < n_rows ? next++ : NO_ROW;
                active -= row[lane] == NO_ROW;
                continue;
            }
            at[lane] = step_tagged(p, at[lane], rows + row[lane] * n_cols);
        }
}

void lathe__packed_leaves(const lathe__ensemble *ensemble, size_t t, const double *rows,
                          size_t n_cols, size_t n_rows, bool missing, uint32_t *leaves)
{
    const packed_tree *p = &ensemble->packed->packed[t];
    if (!p->lockstep) {
        interleaved(p, rows, n_cols, n_rows, leaves);
        return;
    }
    memset(leaves, 0, n_rows * sizeof *leaves);
    if (missing || p->categorical)
        lockstep(p, rows, n_cols, n_rows, leaves);
    else
        lockstep_plain(p, rows, n_cols, n_rows, leaves);
    for (size_t r = 0; r < n_rows; r++)
        leaves[r] = leaf_index(&p->nodes[leaves[r]]);
}
