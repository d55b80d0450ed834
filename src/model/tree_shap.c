/*
 * tree_shap.c: per-feature contributions of one row by path-dependent
 * TreeSHAP (Lundberg, Erion and Lee, "Consistent individualized feature
 * attribution for tree ensembles", 2018, Algorithm 2), in O(leaves *
 * depth^2) per tree.
 *
 * The value of a feature set S is the tree's expectation when the features
 * in S take the row's values and the others follow the training data down
 * both children of a split, weighted by cover. The contributions are the
 * Shapley values of that game; their sum plus the expectation with no
 * feature known (the bias) is the raw score, exactly.
 *
 * The paper recurses; here an explicit stack walks the tree, so a deep tree
 * (a CART grown without a depth limit, a crafted artifact) cannot overflow
 * the C stack. Each pending node records where its parent's path lies in
 * one growing array of path elements; a child writes its own path right
 * after the part of its parent's it copies, so the parent's path stays
 * intact for the other child, which is visited later (depth first).
 *
 * A child reached with zero weight on both sides (a cold child with no
 * cover) adds nothing to any contribution and is skipped; skipping it also
 * keeps the paper's unwinding from dividing by zero.
 */
#include <string.h>

#include "core/internal.h"
#include "model/tree.h"

#include "core/banned.h"

typedef struct path_element {
    int64_t feature; /* -1 for the root's element */
    double zero_fraction;
    double one_fraction;
    double weight;
} path_element;

typedef struct pending_node {
    size_t node;
    size_t parent_path; /* offset of the parent's path in the path array */
    size_t unique_depth;
    double zero_fraction;
    double one_fraction;
    int64_t feature; /* the parent's split feature */
} pending_node;

typedef struct shap_work {
    lathe_ctx *ctx;
    path_element *paths;
    size_t paths_capacity;
    pending_node *stack;
    size_t stack_capacity;
    size_t stack_size;
    double *sums; /* 3 (unique_depth + 1) doubles for unwound_path_sums */
    size_t sums_capacity;
} shap_work;

/* ---- the paper's path operations ------------------------------------------ */

static void extend_path(path_element *path, size_t unique_depth, double zero_fraction,
                        double one_fraction, int64_t feature)
{
    path[unique_depth] =
        (path_element){feature, zero_fraction, one_fraction, unique_depth == 0 ? 1.0 : 0.0};
    double depth_plus_one = (double)(unique_depth + 1);
    for (size_t i = unique_depth; i-- > 0;) {
        path[i + 1].weight += one_fraction * path[i].weight * (double)(i + 1) / depth_plus_one;
        path[i].weight =
            zero_fraction * path[i].weight * (double)(unique_depth - i) / depth_plus_one;
    }
}

static void unwind_path(path_element *path, size_t unique_depth, size_t path_index)
{
    double one_fraction = path[path_index].one_fraction;
    double zero_fraction = path[path_index].zero_fraction;
    double next_one_portion = path[unique_depth].weight;
    double depth_plus_one = (double)(unique_depth + 1);
    for (size_t i = unique_depth; i-- > 0;) {
        if (one_fraction != 0) {
            double kept = path[i].weight;
            path[i].weight = next_one_portion * depth_plus_one / ((double)(i + 1) * one_fraction);
            next_one_portion =
                kept - path[i].weight * zero_fraction * (double)(unique_depth - i) / depth_plus_one;
        } else {
            path[i].weight =
                path[i].weight * depth_plus_one / (zero_fraction * (double)(unique_depth - i));
        }
    }
    for (size_t i = path_index; i < unique_depth; i++) {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

/*
 * The paper's UnwoundPathSum for every element i in 1..unique_depth at once: the total
 * weight of the path with element i unwound, into total[i]. One fractions are 0 or 1
 * in the path-dependent algorithm (a row either follows a split or it does not), so
 * the paper's divisions by one_fraction go. An element with one_fraction 0 gets
 * sum_j weight[j] (d + 1) / (d - j) / zero_fraction, the same sum for all of them; for
 * the others the paper's recurrence runs for all elements side by side, a loop the
 * compiler vectorizes. `zero` and `next` are scratch of unique_depth + 1 doubles.
 */
static void unwound_path_sums(const path_element *path, size_t unique_depth, double *zero,
                              double *next, double *total)
{
    double depth_plus_one = (double)(unique_depth + 1), zero_sum = 0;
    for (size_t i = 1; i <= unique_depth; i++) {
        zero[i] = path[i].zero_fraction;
        next[i] = path[unique_depth].weight;
        total[i] = 0;
    }
    for (size_t j = unique_depth; j-- > 0;) {
        double weight = path[j].weight;
        double up = depth_plus_one / (double)(j + 1);
        double down = (double)(unique_depth - j) / depth_plus_one;
        zero_sum += weight / down;
        for (size_t i = 1; i <= unique_depth; i++) {
            double part = next[i] * up;
            total[i] += part;
            next[i] = weight - part * zero[i] * down;
        }
    }
    for (size_t i = 1; i <= unique_depth; i++)
        if (path[i].one_fraction == 0)
            total[i] = zero_sum / zero[i];
}

/* ---- the walk -------------------------------------------------------------- */

/* The share of node's cover that went to `child` (see tree.h). */
static double child_fraction(const lathe__tree *tree, size_t node, size_t child)
{
    double total = tree->cover[tree->left[node]] + tree->cover[tree->right[node]];
    return total > 0 ? tree->cover[child] / total : 0.5;
}

static bool push(shap_work *work, pending_node pending)
{
    if (pending.zero_fraction == 0 && pending.one_fraction == 0)
        return true; /* adds nothing anywhere below */
    if (!lathe__grow(work->ctx, (void **)&work->stack, &work->stack_capacity, work->stack_size + 1,
                     sizeof *work->stack))
        return false;
    work->stack[work->stack_size++] = pending;
    return true;
}

/* Where a tree's contributions go: phi rows of its outputs, and the averaging scale. */
typedef struct tree_target {
    const lathe__tree *tree;
    double *phi;       /* the first output's row of phi */
    size_t phi_stride; /* n_features + 1 */
    double scale;
} tree_target;

static bool add_leaf(shap_work *work, const tree_target *target, size_t leaf,
                     const path_element *path, size_t unique_depth)
{
    const lathe__tree *tree = target->tree;
    const double *values = tree->value + leaf * tree->n_outputs;
    size_t n = unique_depth + 1;
    if (!lathe__grow(work->ctx, (void **)&work->sums, &work->sums_capacity, 3 * n,
                     sizeof *work->sums))
        return false;
    double *total = work->sums + 2 * n;
    unwound_path_sums(path, unique_depth, work->sums, work->sums + n, total);
    for (size_t i = 1; i <= unique_depth; i++) {
        const path_element *element = &path[i];
        double weight = total[i] * (element->one_fraction - element->zero_fraction) * target->scale;
        for (size_t k = 0; k < tree->n_outputs; k++)
            target->phi[k * target->phi_stride + (size_t)element->feature] += weight * values[k];
    }
    return true;
}

/* Splits on the pending node's feature: undoes an earlier split on the same feature, then
   queues both children. */
static bool split(shap_work *work, const lathe__tree *tree, const double *row, size_t offset,
                  size_t node, size_t unique_depth)
{
    path_element *path = work->paths + offset;
    uint32_t feature = tree->feature[node];
    double value = row[feature];
    size_t hot = (size_t)tree->left[node], cold = (size_t)tree->right[node];
    if (lathe__tree_child(tree, node, value) != hot) {
        hot = cold;
        cold = (size_t)tree->left[node];
    }
    double incoming_zero = 1, incoming_one = 1;
    for (size_t i = 1; i <= unique_depth; i++) {
        if (path[i].feature == (int64_t)feature) {
            incoming_zero = path[i].zero_fraction;
            incoming_one = path[i].one_fraction;
            unwind_path(path, unique_depth, i);
            unique_depth--;
            break;
        }
    }
    pending_node to_cold = {.node = cold,
                            .parent_path = offset,
                            .unique_depth = unique_depth + 1,
                            .zero_fraction = child_fraction(tree, node, cold) * incoming_zero,
                            .one_fraction = 0,
                            .feature = feature};
    pending_node to_hot = to_cold;
    to_hot.node = hot;
    to_hot.zero_fraction = child_fraction(tree, node, hot) * incoming_zero;
    to_hot.one_fraction = incoming_one;
    return push(work, to_cold) && push(work, to_hot);
}

static bool tree_shap(shap_work *work, const tree_target *target, const double *row)
{
    const lathe__tree *tree = target->tree;
    work->stack_size = 0;
    pending_node root = {.node = 0, .zero_fraction = 1, .one_fraction = 1, .feature = -1};
    if (!push(work, root))
        return false;
    while (work->stack_size) {
        pending_node at = work->stack[--work->stack_size];
        size_t offset = at.parent_path + at.unique_depth, need;
        if (lathe__add_overflows(offset, at.unique_depth + 1, &need) ||
            !lathe__grow(work->ctx, (void **)&work->paths, &work->paths_capacity, need,
                         sizeof *work->paths))
            return false;
        path_element *path = work->paths + offset;
        if (at.unique_depth)
            memcpy(path, work->paths + at.parent_path, at.unique_depth * sizeof *path);
        extend_path(path, at.unique_depth, at.zero_fraction, at.one_fraction, at.feature);
        bool ok = tree->left[at.node] < 0
                      ? add_leaf(work, target, at.node, path, at.unique_depth)
                      : split(work, tree, row, offset, at.node, at.unique_depth);
        if (!ok)
            return false;
    }
    return true;
}

/* The tree's expectation with no feature known, per output, added into sums[k]. */
static bool tree_expectation(shap_work *work, const lathe__tree *tree, double *sums)
{
    work->stack_size = 0;
    if (!push(work, (pending_node){.node = 0, .zero_fraction = 1}))
        return false;
    while (work->stack_size) {
        pending_node at = work->stack[--work->stack_size];
        size_t node = at.node;
        if (tree->left[node] < 0) {
            for (size_t k = 0; k < tree->n_outputs; k++)
                sums[k] += at.zero_fraction * tree->value[node * tree->n_outputs + k];
            continue;
        }
        for (int side = 0; side < 2; side++) {
            size_t child = (size_t)(side ? tree->right[node] : tree->left[node]);
            pending_node next = {.node = child,
                                 .zero_fraction =
                                     at.zero_fraction * child_fraction(tree, node, child)};
            if (!push(work, next))
                return false;
        }
    }
    return true;
}

/* ---- the ensemble ---------------------------------------------------------- */

static bool averaged(const lathe__ensemble *ensemble)
{
    return ensemble->link == LATHE__LINK_AVERAGE || ensemble->link == LATHE__LINK_ISOLATION;
}

static bool add_bias(shap_work *work, const lathe__ensemble *ensemble, double *phi)
{
    size_t stride = ensemble->n_features + 1;
    double scale = averaged(ensemble) && ensemble->n_trees ? 1.0 / (double)ensemble->n_trees : 1;
    for (size_t t = 0; t < ensemble->n_trees; t++) {
        const lathe__tree *tree = &ensemble->trees[t];
        size_t first = ensemble->tree_output ? ensemble->tree_output[t] : 0;
        double sums[1] = {0}, *expected = sums;
        if (tree->n_outputs > 1 &&
            !(expected = lathe__calloc(work->ctx, tree->n_outputs, sizeof *expected)))
            return false;
        bool ok = tree_expectation(work, tree, expected);
        for (size_t k = 0; ok && k < tree->n_outputs; k++)
            phi[(first + k) * stride + ensemble->n_features] += expected[k] * scale;
        if (expected != sums)
            lathe__free(work->ctx, expected);
        if (!ok)
            return false;
    }
    for (size_t k = 0; ensemble->base_score && k < ensemble->n_raw; k++)
        phi[k * stride + ensemble->n_features] += ensemble->base_score[k];
    return true;
}

lathe_status lathe__ensemble_shap_row(lathe_ctx *ctx, const lathe__ensemble *ensemble,
                                      const double *row, double *phi, lathe_error *err)
{
    size_t stride = ensemble->n_features + 1;
    memset(phi, 0, ensemble->n_raw * stride * sizeof *phi);
    shap_work work = {.ctx = ctx};
    double scale = averaged(ensemble) && ensemble->n_trees ? 1.0 / (double)ensemble->n_trees : 1;
    bool ok = true;
    for (size_t t = 0; ok && t < ensemble->n_trees; t++) {
        size_t first = ensemble->tree_output ? ensemble->tree_output[t] : 0;
        tree_target target = {&ensemble->trees[t], phi + first * stride, stride, scale};
        ok = tree_shap(&work, &target, row);
    }
    ok = ok && add_bias(&work, ensemble, phi);
    lathe__free(ctx, work.paths);
    lathe__free(ctx, work.stack);
    lathe__free(ctx, work.sums);
    return ok ? LATHE_OK : lathe__error_nomem(err);
}
