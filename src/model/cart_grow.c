/*
 * cart_grow.c: the tree builders and the workspace they run in.
 *
 * Depth-first (no max_leaf_nodes): a stack of nodes to split, right child
 * pushed before left, so nodes are numbered in preorder exactly as
 * scikit-learn's DepthFirstTreeBuilder numbers them; a node's split is
 * searched when it is popped, and known-constant features are inherited
 * from the parent. Best-first (max_leaf_nodes): every node's split is
 * searched when the node is made, and the frontier node whose split
 * improves impurity most is expanded next until the leaf budget is spent,
 * as scikit-learn's BestFirstTreeBuilder.
 *
 * A node becomes a leaf, as in scikit-learn, when it is at max_depth, has
 * fewer than min_samples_split rows or 2 * min_samples_leaf, less than
 * twice the minimum leaf weight, impurity <= EPSILON, no valid split, or a
 * split whose weighted impurity decrease
 *     w_node / w_total * (impurity - w_left / w_node * impurity_left
 *                                  - w_right / w_node * impurity_right)
 * (friedman_mse: scikit-learn's own improvement) falls short of
 * min_impurity_decrease.
 *
 * The grown tree (nodes, values, category sets) lives in the workspace
 * until lathe__cart_emit copies it, without the subtrees pruning removed,
 * into a lathe__tree numbered in preorder.
 */
#include <string.h>

#include "core/internal.h"
#include "model/cart_internal.h"

#include "core/banned.h"

/* The dense histogram's size: at most this many levels, or sums (levels x classes). */
#define DENSE_MAX_LEVELS ((size_t)1 << 20)
#define DENSE_MAX_SUMS ((size_t)1 << 23)

/* ---- allocation under the lock ------------------------------------------- */

void *lathe__cart_ws_alloc(lathe__cart_workspace *ws, size_t count, size_t size)
{
    if (ws->lock)
        pthread_mutex_lock(ws->lock);
    void *p = lathe__calloc(ws->ctx, count ? count : 1, size);
    if (ws->lock)
        pthread_mutex_unlock(ws->lock);
    return p;
}

void lathe__cart_ws_free(lathe__cart_workspace *ws, void *p)
{
    if (ws->lock)
        pthread_mutex_lock(ws->lock);
    lathe__free(ws->ctx, p);
    if (ws->lock)
        pthread_mutex_unlock(ws->lock);
}

bool lathe__cart_ws_grow(lathe__cart_workspace *ws, void **items, size_t *capacity, size_t need,
                         size_t size)
{
    if (need <= *capacity)
        return true;
    if (ws->lock)
        pthread_mutex_lock(ws->lock);
    bool ok = lathe__grow(ws->ctx, items, capacity, need, size);
    if (ws->lock)
        pthread_mutex_unlock(ws->lock);
    return ok;
}

/* ---- the workspace ----------------------------------------------------------- */

static size_t smaller(size_t a, size_t b)
{
    return a < b ? a : b;
}

static size_t most_categories(const lathe__cart_data *data)
{
    size_t most = 0;
    for (size_t f = 0; f < data->n_features; f++) {
        size_t n = data->level_start[f + 1] - data->level_start[f];
        if (data->categorical[f] && n > most)
            most = n;
    }
    return most;
}

static bool allocate_scratch(lathe__cart_workspace *ws)
{
    const lathe__cart_data *data = ws->data;
    size_t n = data->n_rows, ns = ws->n_sums, categories = most_categories(data);
    bool best = !ws->options->random_splits;
    size_t dense_levels = smaller(DENSE_MAX_LEVELS, DENSE_MAX_SUMS / ns);
    ws->dense_capacity = best ? smaller(data->max_levels, dense_levels) : categories;
    ws->group_capacity = best ? smaller(n, data->max_levels) : categories;
    ws->max_cat_words = (categories + 63) / 64 + 1;
    ws->samples = lathe__cart_ws_alloc(ws, n, sizeof *ws->samples);
    ws->sample_weight = lathe__cart_ws_alloc(ws, n, sizeof *ws->sample_weight);
    if (data->classes)
        ws->sample_class = lathe__cart_ws_alloc(ws, n, sizeof *ws->sample_class);
    else
        ws->sample_y = lathe__cart_ws_alloc(ws, n, sizeof *ws->sample_y);
    ws->features = lathe__cart_ws_alloc(ws, data->n_features, sizeof *ws->features);
    ws->constant_features = lathe__cart_ws_alloc(ws, data->n_features, sizeof(uint32_t));
    ws->keys = lathe__cart_ws_alloc(ws, best ? n : 0, sizeof *ws->keys);
    ws->keys_tmp = lathe__cart_ws_alloc(ws, best ? n : 0, sizeof *ws->keys_tmp);
    ws->dense_count = lathe__cart_ws_alloc(ws, ws->dense_capacity, sizeof *ws->dense_count);
    ws->dense_weight = lathe__cart_ws_alloc(ws, ws->dense_capacity, sizeof *ws->dense_weight);
    ws->dense_sums = lathe__cart_ws_alloc(ws, ws->dense_capacity * ns, sizeof *ws->dense_sums);
    ws->group_code = lathe__cart_ws_alloc(ws, ws->group_capacity, sizeof *ws->group_code);
    ws->group_count = lathe__cart_ws_alloc(ws, ws->group_capacity, sizeof *ws->group_count);
    ws->group_weight = lathe__cart_ws_alloc(ws, ws->group_capacity, sizeof *ws->group_weight);
    ws->group_sums = lathe__cart_ws_alloc(ws, ws->group_capacity * ns, sizeof *ws->group_sums);
    ws->order = lathe__cart_ws_alloc(ws, categories, sizeof *ws->order);
    ws->order_key = lathe__cart_ws_alloc(ws, 2 * categories, sizeof *ws->order_key);
    ws->scan = lathe__cart_ws_alloc(ws, 3 * ns, sizeof *ws->scan);
    ws->node_sums = lathe__cart_ws_alloc(ws, 3 * ns, sizeof *ws->node_sums);
    ws->best_bits = lathe__cart_ws_alloc(ws, ws->max_cat_words, sizeof *ws->best_bits);
    ws->bits = lathe__cart_ws_alloc(ws, ws->max_cat_words, sizeof *ws->bits);
    ws->bits_capacity = ws->max_cat_words;
    return ws->samples && ws->sample_weight && (ws->sample_class || ws->sample_y) && ws->features &&
           ws->constant_features && ws->keys && ws->keys_tmp && ws->dense_count &&
           ws->dense_weight && ws->dense_sums && ws->group_code && ws->group_count &&
           ws->group_weight && ws->group_sums && ws->order && ws->order_key && ws->scan &&
           ws->node_sums && ws->best_bits && ws->bits;
}

lathe_status lathe__cart_workspace_new(lathe_ctx *ctx, pthread_mutex_t *lock,
                                       const lathe__cart_data *data,
                                       const lathe__cart_options *options,
                                       lathe__cart_workspace **out, lathe_error *err)
{
    lathe__cart_workspace init = {.ctx = ctx, .lock = lock, .data = data, .options = options};
    lathe__cart_workspace *ws = lathe__cart_ws_alloc(&init, 1, sizeof *ws);
    if (!ws)
        return lathe__error_nomem(err);
    *ws = init;
    ws->n_sums = data->n_classes ? data->n_classes : 1;
    ws->n_outputs = ws->n_sums;
    if (!allocate_scratch(ws)) {
        lathe__cart_workspace_free(ws);
        return lathe__error_nomem(err);
    }
    *out = ws;
    return LATHE_OK;
}

void lathe__cart_workspace_free(lathe__cart_workspace *ws)
{
    if (!ws)
        return;
    void *arrays[] = {ws->samples,      ws->sample_weight, ws->sample_class,
                      ws->sample_y,     ws->features,      ws->constant_features,
                      ws->keys,         ws->keys_tmp,      ws->dense_count,
                      ws->dense_weight, ws->dense_sums,    ws->group_code,
                      ws->group_count,  ws->group_weight,  ws->group_sums,
                      ws->order,        ws->order_key,     ws->scan,
                      ws->node_sums,    ws->best_bits,     ws->nodes,
                      ws->values,       ws->bits,          ws->pruned_leaf,
                      ws->emit_id,      ws->stack,         ws->stack_sums};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        lathe__cart_ws_free(ws, arrays[i]);
    lathe__cart_workspace owner = *ws; /* frees ws itself, so must not read it after */
    lathe__cart_ws_free(&owner, ws);
}

/* ---- nodes ------------------------------------------------------------------- */

/* Appends a node (a leaf until split) holding the value of `s`; -1 when out of memory. */
static int32_t add_node(lathe__cart_workspace *ws, int32_t parent, bool is_left, const cart_sums *s,
                        double impurity)
{
    size_t id = ws->n_nodes, no = ws->n_outputs;
    if (id >= INT32_MAX ||
        !lathe__cart_ws_grow(ws, (void **)&ws->nodes, &ws->nodes_capacity, id + 1,
                             sizeof *ws->nodes) ||
        !lathe__cart_ws_grow(ws, (void **)&ws->values, &ws->values_capacity, (id + 1) * no,
                             sizeof *ws->values))
        return -1;
    cart_node *node = &ws->nodes[id];
    memset(node, 0, sizeof *node);
    node->left = node->right = -1;
    node->weight = s->weight;
    node->impurity = impurity;
    node->n_samples = s->count;
    for (size_t k = 0; k < no; k++)
        ws->values[id * no + k] = s->weight > 0 ? s->sums[k] / s->weight : 0;
    if (parent >= 0) {
        if (is_left)
            ws->nodes[parent].left = (int32_t)id;
        else
            ws->nodes[parent].right = (int32_t)id;
    }
    ws->n_nodes++;
    return (int32_t)id;
}

static bool leaf_before_split(const lathe__cart_workspace *ws, const cart_sums *s, size_t depth,
                              double impurity)
{
    const lathe__cart_options *o = ws->options;
    return depth >= o->max_depth || s->count < o->min_samples_split ||
           s->count < 2 * o->min_samples_leaf || s->weight < 2 * ws->min_weight_leaf ||
           impurity <= CART_EPSILON;
}

/* scikit-learn's impurity_improvement of a split with these children. */
static double improvement(const lathe__cart_workspace *ws, const cart_sums *node, double impurity,
                          const cart_sums *left, double impurity_left, const cart_sums *right,
                          double impurity_right)
{
    if (ws->options->criterion == LATHE__CART_FRIEDMAN_MSE) {
        double diff = right->weight * left->sums[0] - left->weight * right->sums[0];
        return diff * diff / (left->weight * right->weight * node->weight);
    }
    return node->weight / ws->total_weight *
           (impurity - right->weight / node->weight * impurity_right -
            left->weight / node->weight * impurity_left);
}

static void record_split(lathe__cart_workspace *ws, int32_t id, const cart_split *split,
                         double gain)
{
    cart_node *node = &ws->nodes[id];
    node->feature = split->feature;
    node->threshold = split->categorical ? 0 : split->threshold;
    node->default_left = split->missing_left;
    node->cat_start = split->categorical ? split->cat_start : 0;
    node->cat_words = split->categorical ? split->cat_words : 0;
    node->gain = gain;
}

/*
 * Searches, applies and judges the split of samples[start, end) (sums in
 * `s`): on success *pos is where the right child starts, the children's
 * sums are in left/right and *gain is the weighted impurity decrease.
 */
typedef struct judged_split {
    cart_split split;
    size_t pos;
    double improvement, gain, impurity_left, impurity_right;
    bool is_leaf;
} judged_split;

static lathe_status split_node(lathe__cart_workspace *ws, size_t start, size_t end,
                               const cart_sums *s, double impurity, size_t *n_constant,
                               cart_sums *left, cart_sums *right, judged_split *out,
                               lathe_error *err)
{
    lathe_status status = lathe__cart_node_split(ws, start, end, s, n_constant, &out->split, err);
    out->is_leaf = true;
    if (status != LATHE_OK || !out->split.found)
        return status;
    out->pos = lathe__cart_partition(ws, start, end, &out->split);
    if (out->pos <= start || out->pos >= end)
        return LATHE_OK;
    lathe__cart_node_sums(ws, start, out->pos, left);
    lathe__cart_node_sums(ws, out->pos, end, right);
    out->impurity_left = lathe__cart_sums_impurity(ws, left);
    out->impurity_right = lathe__cart_sums_impurity(ws, right);
    out->improvement =
        improvement(ws, s, impurity, left, out->impurity_left, right, out->impurity_right);
    out->gain = s->weight * impurity - left->weight * out->impurity_left -
                right->weight * out->impurity_right;
    out->is_leaf = out->improvement + CART_EPSILON < ws->options->min_impurity_decrease;
    return LATHE_OK;
}

/* ---- depth-first --------------------------------------------------------------- */

typedef struct depth_record {
    size_t start, end, depth, n_constant;
    int32_t parent;
    bool is_left;
    double weight, squares;
} depth_record;

static bool push_record(lathe__cart_workspace *ws, size_t *top, const depth_record *r,
                        const cart_sums *s)
{
    size_t ns = ws->n_sums;
    if (!lathe__cart_ws_grow(ws, &ws->stack, &ws->stack_capacity, *top + 1, sizeof(depth_record)) ||
        !lathe__cart_ws_grow(ws, (void **)&ws->stack_sums, &ws->stack_sums_capacity,
                             (*top + 1) * ns, sizeof(double)))
        return false;
    depth_record *records = ws->stack;
    records[*top] = *r;
    records[*top].weight = s->weight;
    records[*top].squares = s->squares;
    memcpy(ws->stack_sums + *top * ns, s->sums, ns * sizeof(double));
    (*top)++;
    return true;
}

static void pop_record(lathe__cart_workspace *ws, size_t *top, depth_record *r, cart_sums *s)
{
    size_t ns = ws->n_sums;
    (*top)--;
    *r = ((depth_record *)ws->stack)[*top];
    s->weight = r->weight;
    s->squares = r->squares;
    s->count = r->end - r->start;
    memcpy(s->sums, ws->stack_sums + *top * ns, ns * sizeof(double));
}

static lathe_status grow_depth_first(lathe__cart_workspace *ws, lathe_error *err)
{
    size_t ns = ws->n_sums, top = 0;
    cart_sums node = {.sums = ws->node_sums}, left = {.sums = ws->node_sums + ns},
              right = {.sums = ws->node_sums + 2 * ns};
    lathe__cart_node_sums(ws, 0, ws->n_samples, &node);
    depth_record r = {.end = ws->n_samples, .parent = -1};
    if (!push_record(ws, &top, &r, &node))
        return lathe__error_nomem(err);
    while (top > 0) {
        pop_record(ws, &top, &r, &node);
        double impurity = lathe__cart_sums_impurity(ws, &node);
        int32_t id = add_node(ws, r.parent, r.is_left, &node, impurity);
        if (id < 0)
            return lathe__error_nomem(err);
        if (leaf_before_split(ws, &node, r.depth, impurity))
            continue;
        judged_split j;
        size_t n_constant = r.n_constant;
        lathe_status status =
            split_node(ws, r.start, r.end, &node, impurity, &n_constant, &left, &right, &j, err);
        if (status != LATHE_OK)
            return status;
        if (j.is_leaf)
            continue;
        record_split(ws, id, &j.split, j.gain);
        depth_record child = {.depth = r.depth + 1, .n_constant = n_constant, .parent = id};
        child.start = j.pos;
        child.end = r.end;
        bool ok = push_record(ws, &top, &child, &right);
        child.start = r.start;
        child.end = j.pos;
        child.is_left = true;
        if (!ok || !push_record(ws, &top, &child, &left))
            return lathe__error_nomem(err);
    }
    return LATHE_OK;
}

/* ---- best-first ---------------------------------------------------------------- */

typedef struct frontier_node {
    int32_t id;
    size_t start, end, depth;
    judged_split judged;
} frontier_node;

static void heap_push(frontier_node *heap, size_t n)
{
    for (size_t i = n - 1; i > 0;) {
        size_t parent = (i - 1) / 2;
        if (!(heap[i].judged.improvement > heap[parent].judged.improvement))
            break;
        frontier_node t = heap[i];
        heap[i] = heap[parent];
        heap[parent] = t;
        i = parent;
    }
}

static frontier_node heap_pop(frontier_node *heap, size_t n)
{
    frontier_node top = heap[0];
    heap[0] = heap[n - 1];
    for (size_t i = 0, last = n - 1;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < last && heap[l].judged.improvement > heap[best].judged.improvement)
            best = l;
        if (r < last && heap[r].judged.improvement > heap[best].judged.improvement)
            best = r;
        if (best == i)
            break;
        frontier_node t = heap[i];
        heap[i] = heap[best];
        heap[best] = t;
        i = best;
    }
    return top;
}

/* Makes the node of samples[start, end), searches its split and adds it to the frontier. */
static lathe_status add_frontier(lathe__cart_workspace *ws, size_t *n_frontier, size_t start,
                                 size_t end, size_t depth, int32_t parent, bool is_left,
                                 lathe_error *err)
{
    size_t ns = ws->n_sums;
    cart_sums node = {.sums = ws->node_sums}, left = {.sums = ws->node_sums + ns},
              right = {.sums = ws->node_sums + 2 * ns};
    lathe__cart_node_sums(ws, start, end, &node);
    double impurity = lathe__cart_sums_impurity(ws, &node);
    frontier_node f = {.start = start, .end = end, .depth = depth};
    if ((f.id = add_node(ws, parent, is_left, &node, impurity)) < 0)
        return lathe__error_nomem(err);
    f.judged.is_leaf = true;
    size_t n_constant = 0;
    if (!leaf_before_split(ws, &node, depth, impurity)) {
        lathe_status status =
            split_node(ws, start, end, &node, impurity, &n_constant, &left, &right, &f.judged, err);
        if (status != LATHE_OK)
            return status;
    }
    if (f.judged.is_leaf)
        return LATHE_OK;
    if (!lathe__cart_ws_grow(ws, &ws->stack, &ws->stack_capacity, *n_frontier + 1, sizeof f))
        return lathe__error_nomem(err);
    ((frontier_node *)ws->stack)[(*n_frontier)++] = f;
    heap_push(ws->stack, *n_frontier);
    return LATHE_OK;
}

static lathe_status grow_best_first(lathe__cart_workspace *ws, lathe_error *err)
{
    size_t n_frontier = 0, splits_left = ws->options->max_leaf_nodes - 1;
    lathe_status status = add_frontier(ws, &n_frontier, 0, ws->n_samples, 0, -1, false, err);
    while (status == LATHE_OK && n_frontier > 0 && splits_left > 0) {
        frontier_node f = heap_pop(ws->stack, n_frontier--);
        record_split(ws, f.id, &f.judged.split, f.judged.gain);
        splits_left--;
        status = add_frontier(ws, &n_frontier, f.start, f.judged.pos, f.depth + 1, f.id, true, err);
        if (status == LATHE_OK)
            status =
                add_frontier(ws, &n_frontier, f.judged.pos, f.end, f.depth + 1, f.id, false, err);
    }
    return status;
}

/* ---- one tree ---------------------------------------------------------------------- */

lathe_status lathe__cart_grow(lathe__cart_workspace *ws, const double *weights, lathe__rng *rng,
                              lathe_error *err)
{
    const lathe__cart_data *data = ws->data;
    ws->rng = rng;
    ws->n_samples = 0;
    ws->total_weight = 0;
    for (size_t row = 0; row < data->n_rows; row++) {
        if (!(weights[row] > 0))
            continue;
        size_t p = ws->n_samples++;
        ws->samples[p] = (uint32_t)row;
        ws->sample_weight[p] = weights[row];
        if (data->classes)
            ws->sample_class[p] = data->classes[row];
        else
            ws->sample_y[p] = data->y[row];
        ws->total_weight += weights[row];
    }
    if (ws->n_samples == 0)
        return lathe__error(err, LATHE_INVALID, "no training row has a positive weight");
    ws->min_weight_leaf = ws->options->min_weight_fraction_leaf * ws->total_weight;
    for (size_t f = 0; f < data->n_features; f++)
        ws->features[f] = ws->constant_features[f] = (uint32_t)f;
    ws->n_nodes = 0;
    ws->n_bits = 0;
    lathe__cart_ws_free(ws, ws->pruned_leaf);
    ws->pruned_leaf = NULL;
    ws->pruned_capacity = 0;
    lathe_status status =
        ws->options->max_leaf_nodes ? grow_best_first(ws, err) : grow_depth_first(ws, err);
    if (status == LATHE_OK && ws->options->ccp_alpha > 0)
        status = lathe__cart_prune(ws, err);
    return status;
}

/* ---- emission ---------------------------------------------------------------------- */

static bool is_leaf_now(const lathe__cart_workspace *ws, size_t node)
{
    return ws->nodes[node].left < 0 || (ws->pruned_leaf && ws->pruned_leaf[node]);
}

/* Numbers the kept nodes in preorder into emit_id; returns their count and category words. */
static size_t number_nodes(lathe__cart_workspace *ws, size_t *n_words, size_t *stack)
{
    size_t top = 0, count = 0;
    *n_words = 0;
    for (size_t i = 0; i < ws->n_nodes; i++)
        ws->emit_id[i] = -1;
    stack[top++] = 0;
    while (top > 0) {
        size_t node = stack[--top];
        ws->emit_id[node] = (int32_t)count++;
        if (is_leaf_now(ws, node))
            continue;
        *n_words += ws->nodes[node].cat_words;
        stack[top++] = (size_t)ws->nodes[node].right;
        stack[top++] = (size_t)ws->nodes[node].left;
    }
    return count;
}

static void copy_node(const lathe__cart_workspace *ws, size_t node, lathe__tree *tree,
                      size_t *words_used)
{
    const cart_node *n = &ws->nodes[node];
    size_t at = (size_t)ws->emit_id[node], no = ws->n_outputs;
    tree->cover[at] = n->weight;
    memcpy(tree->value + at * no, ws->values + node * no, no * sizeof(double));
    if (is_leaf_now(ws, node))
        return;
    tree->left[at] = ws->emit_id[n->left];
    tree->right[at] = ws->emit_id[n->right];
    tree->feature[at] = n->feature;
    tree->threshold[at] = n->threshold;
    tree->default_left[at] = n->default_left;
    tree->gain[at] = n->gain;
    if (n->cat_words) {
        tree->cat_start[at] = (uint32_t)*words_used;
        tree->cat_words[at] = n->cat_words;
        memcpy(tree->cat_bits + *words_used, ws->bits + n->cat_start,
               n->cat_words * sizeof(uint64_t));
        *words_used += n->cat_words;
    }
}

lathe_status lathe__cart_emit(lathe__cart_workspace *ws, lathe__tree *tree, lathe_error *err)
{
    size_t *stack = lathe__cart_ws_alloc(ws, ws->n_nodes + 1, sizeof *stack);
    if (!stack || !lathe__cart_ws_grow(ws, (void **)&ws->emit_id, &ws->emit_capacity, ws->n_nodes,
                                       sizeof *ws->emit_id)) {
        lathe__cart_ws_free(ws, stack);
        return lathe__error_nomem(err);
    }
    size_t n_words, n_kept = number_nodes(ws, &n_words, stack);
    lathe__cart_ws_free(ws, stack);
    if (ws->lock)
        pthread_mutex_lock(ws->lock);
    lathe_status status = lathe__tree_alloc(ws->ctx, tree, n_kept, ws->n_outputs, err);
    if (status == LATHE_OK && n_words &&
        !(tree->cat_bits = lathe__calloc(ws->ctx, n_words, sizeof *tree->cat_bits))) {
        lathe__tree_release(ws->ctx, tree);
        status = lathe__error_nomem(err);
    }
    if (ws->lock)
        pthread_mutex_unlock(ws->lock);
    if (status != LATHE_OK)
        return status;
    tree->n_cat_bits = n_words;
    size_t words_used = 0;
    for (size_t node = 0; node < ws->n_nodes; node++)
        if (ws->emit_id[node] >= 0)
            copy_node(ws, node, tree, &words_used);
    return LATHE_OK;
}
