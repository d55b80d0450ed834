/*
 * gbdt_grow.c: growing one boosted tree on binned rows.
 *
 * Every node owns a contiguous range of `rows` (row ids, ascending inside
 * each node): splitting a node partitions its range stably into the left
 * child's rows then the right child's, so the leaves end up owning disjoint
 * ranges and the boosting loop updates scores leaf by leaf without walking
 * the tree. With defer_last_level, a node whose children are leaves at
 * max_depth is not partitioned: the boosting loop sends its rows to the
 * two leaves by their codes as it updates their scores.
 *
 * Histogram subtraction: when both children may split further, only the
 * child with fewer rows is histogrammed; the other's histogram is the
 * parent's minus it, computed in the parent's buffer. Histograms come from
 * a pool that lives for the whole fit, so growing allocates nothing once
 * the pool has reached the size the trees need.
 *
 * Policies:
 *  - depthwise (XGBoost's default): every node splits while it gains and
 *    is above max_depth. Without a leaf limit the result does not depend on
 *    the order nodes are taken, so they are taken depth-first, which keeps
 *    about max_depth histograms alive instead of a whole level; with
 *    num_leaves set they are taken level by level (breadth-first).
 *  - lossguide (LightGBM's leaf-wise): the pending node with the largest
 *    gain splits next until num_leaves leaves exist (ties: the older node).
 */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/gbdt.h"

#include "core/banned.h"

#define PARTITION_CHUNK_ROWS 8192
#define PARTITION_MAX_CHUNKS 64
#define NO_HIST ((size_t)-1)
#define PREFETCH_AHEAD 64
#define SPARSE_GAP 16
#define PARTITION_BLOCK 256
#define RENEW_MAX_LEAVES LATHE__GBDT_NUMBERED_LEAVES
#define RENEW_CHUNK_ROWS 16384
#define RENEW_MAX_CHUNKS 64

/* ---- the histogram pool ---- */

static lathe_status hist_acquire(lathe__gbdt_grower *g, size_t *index, lathe_error *err)
{
    if (g->n_free > 0) {
        *index = g->free_hists[--g->n_free];
        return LATHE_OK;
    }
    if (!lathe__grow(g->ctx, (void **)&g->hists, &g->hists_capacity, g->n_hists + 1,
                     sizeof *g->hists) ||
        !lathe__grow(g->ctx, (void **)&g->free_hists, &g->free_capacity, g->n_hists + 1,
                     sizeof *g->free_hists))
        return lathe__error_nomem(err);
    size_t n_slots = g->binner->n_slots ? g->binner->n_slots : 1;
    size_t slot_bytes = g->quantized ? sizeof(lathe__gbdt_packed) : sizeof(lathe__gbdt_pair);
    g->hists[g->n_hists] = lathe__alloc(g->ctx, n_slots * slot_bytes);
    if (!g->hists[g->n_hists])
        return lathe__error_nomem(err);
    *index = g->n_hists++;
    return LATHE_OK;
}

static void hist_release(lathe__gbdt_grower *g, size_t index)
{
    if (index != NO_HIST)
        g->free_hists[g->n_free++] = index;
}

/* ---- nodes and the pending set ---- */

static lathe_status node_new(lathe__gbdt_grower *g, uint32_t begin, uint32_t end, uint32_t depth,
                             lathe__gbdt_pair sums, size_t *index, lathe_error *err)
{
    size_t need = g->n_nodes + 1;
    if (!lathe__grow(g->ctx, (void **)&g->nodes, &g->nodes_capacity, need, sizeof *g->nodes) ||
        !lathe__grow(g->ctx, (void **)&g->stack, &g->stack_capacity, need, sizeof *g->stack) ||
        !lathe__grow(g->ctx, (void **)&g->node_hist, &g->node_hist_capacity, need,
                     sizeof *g->node_hist))
        return lathe__error_nomem(err);
    lathe__gbdt_node *node = &g->nodes[g->n_nodes];
    *node = (lathe__gbdt_node){.left = -1,
                               .right = -1,
                               .sums = sums,
                               .weight = lathe__gbdt_leaf_weight(&g->split_params, sums.g, sums.h),
                               .begin = begin,
                               .end = end,
                               .depth = depth};
    g->node_hist[g->n_nodes] = NO_HIST;
    *index = g->n_nodes++;
    return LATHE_OK;
}

/* True when the node could split at all: depth, rows and hessian allow a child each side. */
static bool may_split(const lathe__gbdt_grower *g, const lathe__gbdt_node *node)
{
    if (g->max_depth && node->depth >= g->max_depth)
        return false;
    if (node->end - node->begin < 2)
        return false;
    return node->sums.h >= 2.0 * g->split_params.min_child_weight && node->sums.h > 0.0;
}

/* Lossguide's order: larger gain first, then the older node. */
static bool before(const lathe__gbdt_grower *g, size_t a, size_t b)
{
    double ga = g->nodes[a].split.gain, gb = g->nodes[b].split.gain;
    return ga > gb || (ga == gb && a < b);
}

static void pending_push(lathe__gbdt_grower *g, size_t *n_pending, size_t node)
{
    size_t i = (*n_pending)++;
    g->stack[i] = node;
    if (g->policy != LATHE__GBDT_LOSSGUIDE)
        return;
    while (i > 0 && before(g, g->stack[i], g->stack[(i - 1) / 2])) {
        size_t parent = (i - 1) / 2, t = g->stack[i];
        g->stack[i] = g->stack[parent];
        g->stack[parent] = t;
        i = parent;
    }
}

static size_t heap_pop(lathe__gbdt_grower *g, size_t *n_pending)
{
    size_t top = g->stack[0], n = --*n_pending, i = 0;
    g->stack[0] = g->stack[n];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(g, g->stack[l], g->stack[m]))
            m = l;
        if (r < n && before(g, g->stack[r], g->stack[m]))
            m = r;
        if (m == i)
            return top;
        size_t t = g->stack[i];
        g->stack[i] = g->stack[m];
        g->stack[m] = t;
        i = m;
    }
}

/* Takes the next node: the top of the heap, the stack's last, or the queue's first. */
static size_t pending_pop(lathe__gbdt_grower *g, size_t *n_pending, size_t *queue_head)
{
    if (g->policy == LATHE__GBDT_LOSSGUIDE)
        return heap_pop(g, n_pending);
    if (g->max_leaves == 0)
        return g->stack[--*n_pending];
    return g->stack[(*queue_head)++];
}

/* ---- partitioning a node's rows ---- */

typedef struct partition_job {
    const uint8_t *column; /* the split feature's codes */
    const uint64_t *left_codes;
    uint32_t *rows;
    uint32_t *scratch;
    size_t begin, n, n_chunks;
    size_t n_left[PARTITION_MAX_CHUNKS];
    size_t total_left;
} partition_job;

/* Which side row `row` goes to: 1 left, 0 right. */
static inline size_t side_of(const partition_job *job, uint32_t row)
{
    uint8_t code = job->column[row];
    return (job->left_codes[code >> 6] >> (code & 63)) & 1u;
}

/*
 * Stable partition of rows[lo..hi) in place: lefts, then rights; returns the
 * left count. Each row is written to both places and one write kept, so no
 * branch goes either way. Rows close together (at least 1 in SPARSE_GAP of
 * the ids they span) read the column almost in order and need nothing
 * more. Scattered rows miss the cache on every code: they go in blocks,
 * first the sides of a block (with the codes ahead prefetched, loads the
 * processor overlaps) then the moves, since a one-pass loop would make each
 * store wait on a miss through the running counts. Measured on a 1M-row
 * column: 1.1 ns a row either way when dense; 4.1 against 1.8 ns when 1 row
 * in 50 is the node's.
 */
static size_t partition_range(const partition_job *job, size_t lo, size_t hi)
{
    uint32_t *rows = job->rows, *lefts = job->rows + lo, *rights = job->scratch + lo;
    size_t n_left = 0, n_right = 0;
    bool sparse = hi > lo && (size_t)(rows[hi - 1] - rows[lo]) / SPARSE_GAP > hi - lo;
    if (!sparse) {
        for (size_t i = lo; i < hi; i++) {
            uint32_t row = rows[i];
            size_t left = side_of(job, row);
            lefts[n_left] = row; /* lefts only move down: never over an unread row */
            rights[n_right] = row;
            n_left += left;
            n_right += 1 - left;
        }
    }
    uint8_t side[PARTITION_BLOCK];
    for (size_t start = lo; sparse && start < hi; start += PARTITION_BLOCK) {
        size_t n = hi - start < PARTITION_BLOCK ? hi - start : PARTITION_BLOCK;
        for (size_t j = 0; j < n; j++) {
            if (start + j + PREFETCH_AHEAD < hi)
                __builtin_prefetch(job->column + rows[start + j + PREFETCH_AHEAD]);
            side[j] = (uint8_t)side_of(job, rows[start + j]);
        }
        for (size_t j = 0; j < n; j++) {
            uint32_t row = rows[start + j];
            lefts[n_left] = row;
            rights[n_right] = row;
            n_left += side[j];
            n_right += 1u - side[j];
        }
    }
    memcpy(rows + lo + n_left, rights, n_right * sizeof *rights);
    return n_left;
}

/*
 * One chunk of a large node, into scratch: its lefts forward from the
 * chunk's start, its rights backward from its end (so neither waits for the
 * other's count). join_task then puts every chunk's lefts, then every
 * chunk's rights, in place: two passes over the rows where partitioning in
 * place and joining would take four.
 */
static void partition_chunk(void *arg, size_t chunk)
{
    partition_job *job = arg;
    size_t lo = job->begin + job->n * chunk / job->n_chunks;
    size_t hi = job->begin + job->n * (chunk + 1) / job->n_chunks;
    const uint32_t *rows = job->rows;
    uint32_t *lefts = job->scratch + lo, *rights = job->scratch + hi - 1;
    bool sparse = (size_t)(rows[hi - 1] - rows[lo]) / SPARSE_GAP > hi - lo;
    size_t n_left = 0, n_right = 0;
    for (size_t i = lo; i < hi; i++) {
        if (sparse && i + PREFETCH_AHEAD < hi)
            __builtin_prefetch(job->column + rows[i + PREFETCH_AHEAD]);
        uint32_t row = rows[i];
        size_t left = side_of(job, row);
        lefts[n_left] = row;
        *(rights - n_right) = row; /* may land on the next left's slot, rewritten later */
        n_left += left;
        n_right += 1 - left;
    }
    job->n_left[chunk] = n_left;
}

static void join_task(void *arg, size_t chunk)
{
    partition_job *job = arg;
    size_t lo = job->begin + job->n * chunk / job->n_chunks;
    size_t hi = job->begin + job->n * (chunk + 1) / job->n_chunks;
    size_t left_at = job->begin, right_at = job->begin + job->total_left;
    for (size_t c = 0; c < chunk; c++) {
        size_t chunk_rows = job->n * (c + 1) / job->n_chunks - job->n * c / job->n_chunks;
        left_at += job->n_left[c];
        right_at += chunk_rows - job->n_left[c];
    }
    memcpy(job->rows + left_at, job->scratch + lo, job->n_left[chunk] * sizeof *job->rows);
    size_t n_right = hi - lo - job->n_left[chunk];
    for (size_t j = 0; j < n_right; j++)
        job->rows[right_at + j] = job->scratch[hi - 1 - j];
}

static size_t partition_node(lathe__gbdt_grower *g, const lathe__gbdt_node *node)
{
    partition_job job = {.column = g->codes->columns + node->split.feature * g->codes->n_rows,
                         .left_codes = node->split.left_codes,
                         .rows = g->rows,
                         .scratch = g->scratch,
                         .begin = node->begin,
                         .n = node->end - node->begin};
    job.n_chunks = job.n / PARTITION_CHUNK_ROWS;
    if (job.n_chunks > PARTITION_MAX_CHUNKS)
        job.n_chunks = PARTITION_MAX_CHUNKS;
    if (job.n_chunks <= 1) {
        job.n_chunks = 1;
        return partition_range(&job, job.begin, job.begin + job.n);
    }
    lathe__team_run(g->team, job.n_chunks, partition_chunk, &job);
    for (size_t c = 0; c < job.n_chunks; c++)
        job.total_left += job.n_left[c];
    lathe__team_run(g->team, job.n_chunks, join_task, &job);
    return job.total_left;
}

/* ---- growing ---- */

/* Finds the splits of up to two nodes; `small[i]`, if not NULL, is first subtracted from
   node i's histogram (which the node took over from its parent) on the team. */
static void find_splits(lathe__gbdt_grower *g, const bool *allowed, const size_t *nodes,
                        size_t count, const void *const *small)
{
    lathe__gbdt_search search = {.count = count, .packed = g->quantized};
    lathe__gbdt_split best[2];
    for (size_t i = 0; i < count; i++) {
        search.hists[i] = g->hists[g->node_hist[nodes[i]]];
        search.subtract[i] = small ? small[i] : NULL;
        search.totals[i] = g->nodes[nodes[i]].sums;
    }
    lathe__gbdt_split_find(g->team, &g->split_space, g->binner, &g->split_params, allowed, &search,
                           best);
    for (size_t i = 0; i < count; i++)
        g->nodes[nodes[i]].split = best[i];
}

static void build_hist(lathe__gbdt_grower *g, const lathe__gbdt_pair *gh, size_t node)
{
    const lathe__gbdt_node *n = &g->nodes[node];
    if (g->quantized)
        lathe__gbdt_hist_build_packed(g->team, &g->hist_space, g->binner, g->codes, g->quantized_gh,
                                      g->rows + n->begin, n->end - n->begin,
                                      g->hists[g->node_hist[node]]);
    else
        lathe__gbdt_hist_build(g->team, &g->hist_space, g->binner, g->codes, gh, g->rows + n->begin,
                               n->end - n->begin, g->hists[g->node_hist[node]]);
}

/*
 * Gives the children of `parent` (whose histogram is still held) the
 * histograms they need: the smaller by building; the larger takes over the
 * parent's buffer, and *subtract is set to the smaller's index (the split
 * search subtracts it, in parallel). *subtract is NO_HIST when the larger
 * child is not wanted.
 */
static lathe_status child_hists(lathe__gbdt_grower *g, const lathe__gbdt_pair *gh, size_t parent,
                                size_t small, size_t large, bool want_small, bool want_large,
                                size_t *subtract, lathe_error *err)
{
    size_t parent_hist = g->node_hist[parent];
    g->node_hist[parent] = NO_HIST;
    *subtract = NO_HIST;
    if (!want_large) {
        g->node_hist[small] = parent_hist; /* the parent's buffer is free to reuse */
        build_hist(g, gh, small);
        return LATHE_OK;
    }
    lathe_status status = hist_acquire(g, &g->node_hist[small], err);
    if (status != LATHE_OK) {
        hist_release(g, parent_hist);
        return status;
    }
    build_hist(g, gh, small);
    g->node_hist[large] = parent_hist;
    *subtract = g->node_hist[small];
    if (!want_small)
        g->node_hist[small] = NO_HIST; /* released once the subtraction is done */
    return LATHE_OK;
}

/* Gives both children histograms and splits; queues the ones that split. */
static lathe_status search_children(lathe__gbdt_grower *g, const lathe__gbdt_pair *gh,
                                    const bool *allowed, size_t node, size_t left, size_t right,
                                    size_t *n_pending, lathe_error *err)
{
    bool left_smaller =
        g->nodes[left].end - g->nodes[left].begin <= g->nodes[right].end - g->nodes[right].begin;
    size_t small = left_smaller ? left : right, large = left_smaller ? right : left;
    bool want_small = may_split(g, &g->nodes[small]), want_large = may_split(g, &g->nodes[large]);
    if (!want_small && !want_large) {
        hist_release(g, g->node_hist[node]);
        g->node_hist[node] = NO_HIST;
        return LATHE_OK;
    }
    size_t subtract;
    lathe_status status =
        child_hists(g, gh, node, small, large, want_small, want_large, &subtract, err);
    if (status != LATHE_OK)
        return status;
    size_t children[2], count = 0;
    const void *small_hist[2] = {NULL, NULL};
    if (want_small)
        children[count++] = small;
    if (want_large) {
        small_hist[count] = g->hists[subtract];
        children[count++] = large;
    }
    find_splits(g, allowed, children, count, small_hist);
    if (want_large && !want_small)
        hist_release(g, subtract);
    for (size_t i = 0; i < count; i++) {
        if (g->nodes[children[i]].split.gain > 0.0) {
            pending_push(g, n_pending, children[i]);
        } else {
            hist_release(g, g->node_hist[children[i]]);
            g->node_hist[children[i]] = NO_HIST;
        }
    }
    return LATHE_OK;
}

/* Splits `node` into two children, gives them histograms and splits, and queues them. */
static lathe_status split_node(lathe__gbdt_grower *g, const lathe__gbdt_pair *gh,
                               const bool *allowed, size_t node, size_t *n_pending,
                               lathe_error *err)
{
    bool unsplit = g->defer_last_level && g->max_depth && g->nodes[node].depth + 1 >= g->max_depth;
    lathe__gbdt_node parent = g->nodes[node];
    lathe__gbdt_pair right_sums = {parent.sums.g - parent.split.left.g,
                                   parent.sums.h - parent.split.left.h};
    /* unsplit: both children get the empty range at the parent's start */
    uint32_t middle = parent.begin, end = parent.begin;
    if (!unsplit) {
        middle = parent.begin + (uint32_t)partition_node(g, &g->nodes[node]);
        end = parent.end;
    }
    size_t left = 0, right = 0;
    lathe_status status =
        node_new(g, parent.begin, middle, parent.depth + 1, parent.split.left, &left, err);
    if (status == LATHE_OK)
        status = node_new(g, middle, end, parent.depth + 1, right_sums, &right, err);
    if (status != LATHE_OK)
        return status;
    g->nodes[node].left = (int32_t)left;
    g->nodes[node].right = (int32_t)right;
    g->nodes[node].rows_unsplit = unsplit;
    g->n_leaves++;
    return search_children(g, gh, allowed, node, left, right, n_pending, err);
}

static lathe__gbdt_pair sum_rows(const lathe__gbdt_pair *gh, const uint32_t *rows, size_t n)
{
    lathe__gbdt_pair sums = {0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        sums.g += gh[rows[i]].g;
        sums.h += gh[rows[i]].h;
    }
    return sums;
}

/* The sums of feature 0's slots: every row's pair, without another pass over the rows. */
static lathe__gbdt_pair hist_total(const lathe__gbdt_grower *g, const void *hist)
{
    const lathe__gbdt_feature *f = &g->binner->features[0];
    lathe__gbdt_pair sums = {0.0, 0.0};
    if (g->quantized) {
        lathe__gbdt_packed total = 0;
        for (size_t s = 0; s <= f->n_bins; s++)
            total += ((const lathe__gbdt_packed *)hist)[f->slot + s];
        return lathe__gbdt_unpack(total);
    }
    for (size_t s = 0; s <= f->n_bins; s++) {
        sums.g += ((const lathe__gbdt_pair *)hist)[f->slot + s].g;
        sums.h += ((const lathe__gbdt_pair *)hist)[f->slot + s].h;
    }
    return sums;
}

/* Puts the root in place, with its histogram and split when it may split. */
static lathe_status grow_root(lathe__gbdt_grower *g, const lathe__gbdt_pair *gh,
                              const uint32_t *root_rows, size_t n_root, const bool *allowed,
                              size_t *n_pending, lathe_error *err)
{
    if (root_rows)
        memcpy(g->rows, root_rows, n_root * sizeof *g->rows);
    else
        for (size_t i = 0; i < n_root; i++)
            g->rows[i] = (uint32_t)i;
    size_t root = 0;
    bool searched = g->binner->n_features > 0 && n_root >= 2;
    lathe__gbdt_pair sums = searched ? (lathe__gbdt_pair){0, 0} : sum_rows(gh, g->rows, n_root);
    lathe_status status = node_new(g, 0, (uint32_t)n_root, 0, sums, &root, err);
    if (status != LATHE_OK || !searched)
        return status;
    if ((status = hist_acquire(g, &g->node_hist[root], err)) != LATHE_OK)
        return status;
    build_hist(g, gh, root);
    lathe__gbdt_node *node = &g->nodes[root];
    node->sums = hist_total(g, g->hists[g->node_hist[root]]);
    node->weight = lathe__gbdt_leaf_weight(&g->split_params, node->sums.g, node->sums.h);
    if (may_split(g, node))
        find_splits(g, allowed, &root, 1, NULL);
    if (node->split.gain > 0.0)
        pending_push(g, n_pending, root);
    else
        hist_release(g, g->node_hist[root]);
    return LATHE_OK;
}

lathe_status lathe__gbdt_grow(lathe__gbdt_grower *g, const lathe__gbdt_pair *gh,
                              const lathe__gbdt_qpair *quantized, const uint32_t *root_rows,
                              size_t n_root, const bool *allowed, lathe_error *err)
{
    assert(!g->quantized || quantized);
    g->quantized_gh = quantized;
    g->n_numbered = 0;
    g->root_rows = root_rows;
    g->n_root = n_root;
    g->n_nodes = 0;
    g->n_leaves = 1;
    g->n_free = 0;
    for (size_t i = 0; i < g->n_hists; i++)
        g->free_hists[g->n_free++] = i;
    size_t n_pending = 0, queue_head = 0;
    lathe_status status = grow_root(g, gh, root_rows, n_root, allowed, &n_pending, err);
    while (status == LATHE_OK && n_pending > queue_head) {
        if (g->max_leaves && g->n_leaves >= g->max_leaves)
            break;
        size_t node = pending_pop(g, &n_pending, &queue_head);
        status = split_node(g, gh, allowed, node, &n_pending, err);
    }
    /* nodes left pending (leaf limit reached) stay leaves */
    for (size_t i = queue_head; i < n_pending; i++)
        g->nodes[g->stack[i]].split.gain = 0.0;
    return status;
}

/* ---- leaf renewal ---- */

/*
 * Exact sums per leaf, read in row order: a pass over the leaves writes
 * each row's leaf number (a byte: 1 MB for a million rows, which stays in
 * cache), then chunks of the tree's rows add their pairs to per-leaf sums,
 * and the chunks are added in chunk order. Gathering each leaf's rows
 * instead reads a cache line per row when leaves are small; on a 1M-row
 * tree of depth 6 that took 5 ms, as long as the quantization saved. Trees
 * of more than RENEW_MAX_LEAVES leaves gather.
 */
typedef struct renew_job {
    lathe__gbdt_grower *g;
    const lathe__gbdt_pair *gh;
    uint8_t leaf_number[2 * RENEW_MAX_LEAVES]; /* by node, leaves only */
    size_t n_leaves, n_chunks;
} renew_job;

/* sum_rows for a leaf's rows, which are scattered: each is a cache miss, so fetch ahead. */
static lathe__gbdt_pair sum_scattered(const lathe__gbdt_pair *gh, const uint32_t *rows, size_t n)
{
    lathe__gbdt_pair sums = {0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n)
            __builtin_prefetch(gh + rows[i + PREFETCH_AHEAD]);
        sums.g += gh[rows[i]].g;
        sums.h += gh[rows[i]].h;
    }
    return sums;
}

/* Many leaves: each leaf's exact sums, its rows in order. */
static void gather_task(void *arg, size_t node)
{
    const renew_job *job = arg;
    lathe__gbdt_node *n = &job->g->nodes[node];
    if (n->left < 0)
        n->sums = sum_scattered(job->gh, job->g->rows + n->begin, n->end - n->begin);
}

static void mark_task(void *arg, size_t node)
{
    const renew_job *job = arg;
    const lathe__gbdt_grower *g = job->g;
    const lathe__gbdt_node *n = &g->nodes[node];
    if (n->left >= 0)
        return;
    for (uint32_t i = n->begin; i < n->end; i++)
        g->leaf_of[g->rows[i]] = job->leaf_number[node];
}

static void chunk_sums_task(void *arg, size_t chunk)
{
    const renew_job *job = arg;
    const lathe__gbdt_grower *g = job->g;
    size_t lo = g->n_root * chunk / job->n_chunks, hi = g->n_root * (chunk + 1) / job->n_chunks;
    lathe__gbdt_pair *sums = g->leaf_sums + chunk * RENEW_MAX_LEAVES;
    memset(sums, 0, job->n_leaves * sizeof *sums);
    for (size_t i = lo; i < hi; i++) {
        size_t row = g->root_rows ? g->root_rows[i] : i;
        lathe__gbdt_pair *s = &sums[g->leaf_of[row]];
        s->g += job->gh[row].g;
        s->h += job->gh[row].h;
    }
}

/* Every leaf's exact sums into its node. */
static void leaf_sums(lathe__gbdt_grower *g, const lathe__gbdt_pair *gh)
{
    renew_job job = {.g = g, .gh = gh};
    size_t n_leaves = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        n_leaves += g->nodes[i].left < 0;
    if (n_leaves > RENEW_MAX_LEAVES || !g->leaf_of) {
        lathe__team_run(g->team, g->n_nodes, gather_task, &job);
        return;
    }
    for (size_t i = 0, leaf = 0; i < g->n_nodes; i++) /* n_nodes = 2 n_leaves - 1 */
        if (g->nodes[i].left < 0) {
            g->numbered_node[leaf] = (uint32_t)i;
            job.leaf_number[i] = (uint8_t)leaf++;
        }
    g->n_numbered = n_leaves;
    job.n_leaves = n_leaves;
    job.n_chunks = g->n_root / RENEW_CHUNK_ROWS + 1;
    if (job.n_chunks > RENEW_MAX_CHUNKS)
        job.n_chunks = RENEW_MAX_CHUNKS;
    lathe__team_run(g->team, g->n_nodes, mark_task, &job);
    lathe__team_run(g->team, job.n_chunks, chunk_sums_task, &job);
    for (size_t i = 0; i < g->n_nodes; i++) {
        lathe__gbdt_node *n = &g->nodes[i];
        if (n->left >= 0)
            continue;
        n->sums = (lathe__gbdt_pair){0.0, 0.0};
        for (size_t c = 0; c < job.n_chunks; c++) {
            const lathe__gbdt_pair *part = &g->leaf_sums[c * RENEW_MAX_LEAVES + job.leaf_number[i]];
            n->sums.g += part->g;
            n->sums.h += part->h;
        }
    }
}

void lathe__gbdt_grown_renew(lathe__gbdt_grower *g, const lathe__gbdt_pair *gh,
                             const lathe__gbdt_split_params *params, double gain_scale)
{
    leaf_sums(g, gh);
    /* children come after their parent, so a backward pass sees them first */
    for (size_t i = g->n_nodes; i-- > 0;) {
        lathe__gbdt_node *n = &g->nodes[i];
        if (n->left >= 0) {
            const lathe__gbdt_node *l = &g->nodes[n->left], *r = &g->nodes[n->right];
            n->sums = (lathe__gbdt_pair){l->sums.g + r->sums.g, l->sums.h + r->sums.h};
            n->split.gain *= gain_scale;
            n->split.left = l->sums;
        }
        n->weight = lathe__gbdt_leaf_weight(params, n->sums.g, n->sums.h);
    }
}

/* ---- workspace ---- */

lathe_status lathe__gbdt_grower_init(lathe_ctx *ctx, lathe__gbdt_grower *g, size_t n_rows,
                                     lathe_error *err)
{
    g->ctx = ctx;
    g->rows = lathe__alloc(ctx, (n_rows ? n_rows : 1) * sizeof *g->rows);
    g->scratch = lathe__alloc(ctx, (n_rows ? n_rows : 1) * sizeof *g->scratch);
    if (!g->rows || !g->scratch)
        return lathe__error_nomem(err);
    if (g->quantized) { /* leaf renewal's workspace */
        g->leaf_of = lathe__alloc(ctx, n_rows ? n_rows : 1);
        g->leaf_sums =
            lathe__alloc(ctx, RENEW_MAX_CHUNKS * RENEW_MAX_LEAVES * sizeof *g->leaf_sums);
        if (!g->leaf_of || !g->leaf_sums)
            return lathe__error_nomem(err);
    }
    lathe_status status = lathe__gbdt_hist_space_init(ctx, &g->hist_space, g->binner, err);
    if (status == LATHE_OK)
        status = lathe__gbdt_split_space_init(ctx, &g->split_space, g->binner->n_features, err);
    return status;
}

void lathe__gbdt_grower_release(lathe__gbdt_grower *g)
{
    lathe_ctx *ctx = g->ctx;
    if (!ctx)
        return;
    lathe__free(ctx, g->rows);
    lathe__free(ctx, g->scratch);
    lathe__free(ctx, g->leaf_of);
    lathe__free(ctx, g->leaf_sums);
    lathe__gbdt_hist_space_release(ctx, &g->hist_space);
    lathe__gbdt_split_space_release(ctx, &g->split_space);
    for (size_t i = 0; i < g->n_hists; i++)
        lathe__free(ctx, g->hists[i]);
    lathe__free(ctx, g->hists);
    lathe__free(ctx, g->free_hists);
    lathe__free(ctx, g->nodes);
    lathe__free(ctx, g->stack);
    lathe__free(ctx, g->node_hist);
    memset(g, 0, sizeof *g);
}

/* ---- using and exporting the grown tree ---- */

size_t lathe__gbdt_grown_leaf(const lathe__gbdt_node *nodes, const lathe__gbdt_codes *codes,
                              size_t row)
{
    size_t node = 0;
    while (nodes[node].left >= 0) {
        uint8_t code = lathe__gbdt_code(codes, row, nodes[node].split.feature);
        node = (size_t)(lathe__gbdt_goes_left(&nodes[node].split, code) ? nodes[node].left
                                                                        : nodes[node].right);
    }
    return node;
}

/* The input categories of a categorical split's left codes, as a bitset in out->cat_bits. */
static lathe_status export_categories(lathe_ctx *ctx, const lathe__gbdt_feature *f,
                                      const lathe__gbdt_split *split, lathe__tree *out, size_t node,
                                      size_t *capacity, lathe_error *err)
{
    size_t highest = 0;
    bool any = false;
    for (size_t k = 0; k < f->n_categories; k++)
        if (f->bin_of[k] < f->n_bins && lathe__gbdt_goes_left(split, f->bin_of[k])) {
            highest = k;
            any = true;
        }
    size_t words = any ? highest / 64 + 1 : 0;
    if (!lathe__grow(ctx, (void **)&out->cat_bits, capacity, out->n_cat_bits + words,
                     sizeof *out->cat_bits))
        return lathe__error_nomem(err);
    out->cat_start[node] = (uint32_t)out->n_cat_bits;
    out->cat_words[node] = (uint32_t)words;
    uint64_t *bits = out->cat_bits + out->n_cat_bits;
    memset(bits, 0, words * sizeof *bits);
    for (size_t k = 0; any && k <= highest; k++)
        if (f->bin_of[k] < f->n_bins && lathe__gbdt_goes_left(split, f->bin_of[k]))
            bits[k >> 6] |= 1ull << (k & 63);
    out->n_cat_bits += words;
    return LATHE_OK;
}

lathe_status lathe__gbdt_tree_export(lathe_ctx *ctx, const lathe__gbdt_binner *binner,
                                     const lathe__gbdt_node *nodes, size_t n_nodes,
                                     double learning_rate, lathe__tree *out, lathe_error *err)
{
    lathe_status status = lathe__tree_alloc(ctx, out, n_nodes, 1, err);
    size_t capacity = 0;
    for (size_t i = 0; status == LATHE_OK && i < n_nodes; i++) {
        const lathe__gbdt_node *node = &nodes[i];
        out->value[i] = node->weight * learning_rate;
        out->cover[i] = node->sums.h;
        if (node->left < 0)
            continue;
        const lathe__gbdt_feature *f = &binner->features[node->split.feature];
        out->left[i] = node->left;
        out->right[i] = node->right;
        out->feature[i] = (uint32_t)f->column;
        out->default_left[i] = node->split.default_left;
        out->gain[i] = node->split.gain;
        if (f->categorical)
            status = export_categories(ctx, f, &node->split, out, i, &capacity, err);
        else /* finite, as tree.h asks: DBL_MAX for "every value left, missing right" */
            out->threshold[i] = fmax(-DBL_MAX, fmin(DBL_MAX, f->upper[node->split.bin]));
    }
    if (status != LATHE_OK)
        lathe__tree_release(ctx, out);
    return status;
}
