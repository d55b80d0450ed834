/*
 * cart_prune.c: minimal cost-complexity pruning (Breiman et al. 1984,
 * ch. 3), step for step as scikit-learn's _cost_complexity_prune, so
 * ccp_alpha prunes the same subtrees and the path has the same alphas.
 *
 * Each node's risk is R(t) = weight(t) / weight(root) * impurity(t); a
 * branch's risk is the sum over its leaves. Repeatedly, the internal node
 * with the smallest effective alpha (R(t) - R(branch)) / (leaves - 1) -- the
 * first in node order on ties -- becomes a leaf, until that alpha exceeds
 * ccp_alpha (pruning) or the root is a leaf (the path). Quadratic in the
 * node count, like scikit-learn's.
 */
#include <float.h>
#include <string.h>

#include "core/internal.h"
#include "model/cart_internal.h"

#include "core/banned.h"

typedef struct pruning {
    size_t n;
    int32_t *parent;
    double *r_node, *r_branch;
    size_t *n_leaves;
    uint8_t *leaf, *candidate, *in_subtree;
    size_t *stack;
} pruning;

static void release(lathe__cart_workspace *ws, pruning *p)
{
    lathe__cart_ws_free(ws, p->parent);
    lathe__cart_ws_free(ws, p->r_node);
    lathe__cart_ws_free(ws, p->r_branch);
    lathe__cart_ws_free(ws, p->n_leaves);
    lathe__cart_ws_free(ws, p->candidate);
    lathe__cart_ws_free(ws, p->in_subtree);
    lathe__cart_ws_free(ws, p->stack);
}

static bool start(lathe__cart_workspace *ws, pruning *p, uint8_t *leaf)
{
    size_t n = p->n = ws->n_nodes;
    p->leaf = leaf;
    p->parent = lathe__cart_ws_alloc(ws, n, sizeof *p->parent);
    p->r_node = lathe__cart_ws_alloc(ws, n, sizeof *p->r_node);
    p->r_branch = lathe__cart_ws_alloc(ws, n, sizeof *p->r_branch);
    p->n_leaves = lathe__cart_ws_alloc(ws, n, sizeof *p->n_leaves);
    p->candidate = lathe__cart_ws_alloc(ws, n, sizeof *p->candidate);
    p->in_subtree = lathe__cart_ws_alloc(ws, n, sizeof *p->in_subtree);
    p->stack = lathe__cart_ws_alloc(ws, n + 1, sizeof *p->stack);
    if (!p->parent || !p->r_node || !p->r_branch || !p->n_leaves || !p->candidate ||
        !p->in_subtree || !p->stack)
        return false;
    const cart_node *nodes = ws->nodes;
    double total = nodes[0].weight;
    p->parent[0] = -1;
    for (size_t i = 0; i < n; i++) {
        p->r_node[i] = nodes[i].weight * nodes[i].impurity / total;
        p->leaf[i] = nodes[i].left < 0;
        p->candidate[i] = !p->leaf[i];
        p->in_subtree[i] = 1;
        if (nodes[i].left >= 0)
            p->parent[nodes[i].left] = p->parent[nodes[i].right] = (int32_t)i;
    }
    /* Branch risks and leaf counts, bubbled up from each leaf. */
    for (size_t i = 0; i < n; i++) {
        if (!p->leaf[i])
            continue;
        p->r_branch[i] = p->r_node[i];
        for (int32_t a = p->parent[i]; a >= 0; a = p->parent[a]) {
            p->r_branch[a] += p->r_node[i];
            p->n_leaves[a]++;
        }
    }
    return true;
}

/* The candidate with the smallest effective alpha (the first on ties). */
static size_t weakest_link(const pruning *p, double *alpha)
{
    size_t weakest = 0;
    *alpha = DBL_MAX;
    for (size_t i = 0; i < p->n; i++) {
        if (!p->candidate[i])
            continue;
        double a = (p->r_node[i] - p->r_branch[i]) / (double)(p->n_leaves[i] - 1);
        if (a < *alpha) {
            *alpha = a;
            weakest = i;
        }
    }
    return weakest;
}

static void collapse(const lathe__cart_workspace *ws, pruning *p, size_t branch)
{
    size_t top = 0;
    p->stack[top++] = branch;
    while (top > 0) {
        size_t node = p->stack[--top];
        if (!p->in_subtree[node])
            continue;
        p->candidate[node] = p->leaf[node] = p->in_subtree[node] = 0;
        if (ws->nodes[node].left >= 0) {
            p->stack[top++] = (size_t)ws->nodes[node].left;
            p->stack[top++] = (size_t)ws->nodes[node].right;
        }
    }
    p->leaf[branch] = p->in_subtree[branch] = 1;
    size_t removed = p->n_leaves[branch] - 1;
    p->n_leaves[branch] = 0;
    double diff = p->r_node[branch] - p->r_branch[branch];
    p->r_branch[branch] = p->r_node[branch];
    for (int32_t a = p->parent[branch]; a >= 0; a = p->parent[a]) {
        p->n_leaves[a] -= removed;
        p->r_branch[a] += diff;
    }
}

/*
 * Runs the pruning: with `alphas`, records the whole path (at most n_nodes
 * entries); without, stops before the first alpha above ccp_alpha. `leaf`
 * gets the leaves of the final subtree.
 */
static lathe_status run(lathe__cart_workspace *ws, uint8_t *leaf, double *alphas,
                        double *impurities, size_t *n_steps, lathe_error *err)
{
    pruning p = {0};
    lathe_status status = LATHE_OK;
    if (!start(ws, &p, leaf)) {
        status = lathe__error_nomem(err);
        goto out;
    }
    size_t steps = 0;
    if (alphas) {
        alphas[steps] = 0;
        impurities[steps++] = p.r_branch[0];
    }
    while (p.candidate[0]) {
        double alpha;
        size_t branch = weakest_link(&p, &alpha);
        if (!alphas && ws->options->ccp_alpha < alpha)
            break;
        collapse(ws, &p, branch);
        if (alphas) {
            alphas[steps] = alpha;
            impurities[steps++] = p.r_branch[0];
        }
    }
    if (n_steps)
        *n_steps = steps;
out:
    release(ws, &p);
    return status;
}

lathe_status lathe__cart_prune(lathe__cart_workspace *ws, lathe_error *err)
{
    if (!lathe__cart_ws_grow(ws, (void **)&ws->pruned_leaf, &ws->pruned_capacity, ws->n_nodes,
                             sizeof *ws->pruned_leaf))
        return lathe__error_nomem(err);
    return run(ws, ws->pruned_leaf, NULL, NULL, NULL, err);
}

lathe_status lathe__cart_pruning_path(lathe__cart_workspace *ws, double **alphas,
                                      double **impurities, size_t *n_steps, lathe_error *err)
{
    *alphas = lathe__calloc(ws->ctx, ws->n_nodes + 1, sizeof **alphas);
    *impurities = lathe__calloc(ws->ctx, ws->n_nodes + 1, sizeof **impurities);
    uint8_t *leaf = lathe__calloc(ws->ctx, ws->n_nodes, sizeof *leaf);
    lathe_status status = LATHE_OK;
    if (!*alphas || !*impurities || !leaf)
        status = lathe__error_nomem(err);
    else
        status = run(ws, leaf, *alphas, *impurities, n_steps, err);
    lathe__free(ws->ctx, leaf);
    if (status != LATHE_OK) {
        lathe__free(ws->ctx, *alphas);
        lathe__free(ws->ctx, *impurities);
        *alphas = *impurities = NULL;
    }
    return status;
}
