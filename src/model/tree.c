/*
 * tree.c: fitted trees' memory and inference: the walk from the root to a
 * leaf, raw scores of a batch blocked over rows and trees, and the links.
 *
 * A batch runs in blocks of rows: each tree walks every row of the block
 * before the next tree starts, so a tree's nodes stay in cache across the
 * block's rows. Shallow trees (boosting) take blocks of BLOCK_ROWS, whose
 * rows (64 rows of a few hundred features) stay in cache across trees while
 * the small trees stream past. Large trees (forests of full-depth CART trees,
 * hundreds of kilobytes each) take blocks of up to LARGE_BLOCK_BYTES of rows:
 * bringing such a tree into cache costs more than rereading the rows, so a
 * tree is brought in once per thousands of rows, not once per 64 (diamonds'
 * forest predicted 3x faster with blocks of 10,788 rows than of 64).
 *
 * Bit-for-bit agreement: one row's raw scores are built in the same order
 * whatever path computes them (a batch of any size, a block of any size,
 * one row alone, any thread count): start from base_score (or 0 for the
 * averaging links), add trees in order, then average. So the single-row
 * path and the batch give identical predictions, and tests say so.
 *
 * Sparse rows: a CSR row leaves out zeros, so a feature absent from the row
 * is 0, never missing. A row's entries are looked up by binary search when
 * its column indices are increasing, as every Lathe writer makes them, and
 * by a linear scan otherwise.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/parallel.h"
#include "model/tree.h"
#include "model/tree_packed.h"

#include "core/banned.h"

#define BLOCK_ROWS 64
#define MAX_BLOCK_ROWS 65536
#define LARGE_BLOCK_BYTES (4 * 1024 * 1024)
#define MIN_TASK_ROWS 1024

/* ---- memory ---------------------------------------------------------------- */

lathe_status lathe__tree_alloc(lathe_ctx *ctx, lathe__tree *tree, size_t n_nodes, size_t n_outputs,
                               lathe_error *err)
{
    memset(tree, 0, sizeof *tree);
    size_t n = n_nodes ? n_nodes : 1, n_values;
    if (lathe__mul_overflows(n, n_outputs ? n_outputs : 1, &n_values))
        return lathe__error(err, LATHE_LIMIT, "a tree of %zu nodes with %zu outputs is too large",
                            n_nodes, n_outputs);
    tree->n_nodes = n_nodes;
    tree->n_outputs = n_outputs;
    tree->left = lathe__calloc(ctx, n, sizeof *tree->left);
    tree->right = lathe__calloc(ctx, n, sizeof *tree->right);
    tree->feature = lathe__calloc(ctx, n, sizeof *tree->feature);
    tree->threshold = lathe__calloc(ctx, n, sizeof *tree->threshold);
    tree->default_left = lathe__calloc(ctx, n, sizeof *tree->default_left);
    tree->cat_start = lathe__calloc(ctx, n, sizeof *tree->cat_start);
    tree->cat_words = lathe__calloc(ctx, n, sizeof *tree->cat_words);
    tree->value = lathe__calloc(ctx, n_values, sizeof *tree->value);
    tree->cover = lathe__calloc(ctx, n, sizeof *tree->cover);
    tree->gain = lathe__calloc(ctx, n, sizeof *tree->gain);
    if (!tree->left || !tree->right || !tree->feature || !tree->threshold || !tree->default_left ||
        !tree->cat_start || !tree->cat_words || !tree->value || !tree->cover || !tree->gain) {
        lathe__tree_release(ctx, tree);
        return lathe__error_nomem(err);
    }
    for (size_t i = 0; i < n; i++)
        tree->left[i] = tree->right[i] = -1;
    return LATHE_OK;
}

void lathe__tree_release(lathe_ctx *ctx, lathe__tree *tree)
{
    lathe__free(ctx, tree->left);
    lathe__free(ctx, tree->right);
    lathe__free(ctx, tree->feature);
    lathe__free(ctx, tree->threshold);
    lathe__free(ctx, tree->default_left);
    lathe__free(ctx, tree->cat_start);
    lathe__free(ctx, tree->cat_words);
    lathe__free(ctx, tree->cat_bits);
    lathe__free(ctx, tree->value);
    lathe__free(ctx, tree->cover);
    lathe__free(ctx, tree->gain);
    memset(tree, 0, sizeof *tree);
}

void lathe__ensemble_release(lathe_ctx *ctx, lathe__ensemble *ensemble)
{
    for (size_t t = 0; ensemble->trees && t < ensemble->n_trees; t++)
        lathe__tree_release(ctx, &ensemble->trees[t]);
    lathe__ensemble_unprepare(ctx, ensemble);
    lathe__free(ctx, ensemble->trees);
    lathe__free(ctx, ensemble->tree_output);
    lathe__free(ctx, ensemble->base_score);
    memset(ensemble, 0, sizeof *ensemble);
}

double lathe__isolation_average_path(double n)
{
    if (n <= 1)
        return 0;
    if (n <= 2)
        return 1;
    const double euler_gamma = 0.57721566490153286061;
    return 2 * (log(n - 1) + euler_gamma) - 2 * (n - 1) / n;
}

/* ---- one row through one tree --------------------------------------------- */

/* Whether `value` is a category code whose bit is set; anything else goes right. */
static inline bool category_goes_left(const lathe__tree *tree, size_t node, double value)
{
    uint32_t words = tree->cat_words[node];
    if (!(value >= 0) || value >= 64.0 * (double)words)
        return false;
    size_t code = (size_t)value;
    const uint64_t *bits = tree->cat_bits + tree->cat_start[node];
    return (bits[code >> 6] >> (code & 63)) & 1u;
}

static inline size_t next_node(const lathe__tree *tree, size_t node, double value)
{
    bool left;
    if (isnan(value))
        left = tree->default_left[node] != 0;
    else if (tree->cat_words[node])
        left = category_goes_left(tree, node, value);
    else
        left = value <= tree->threshold[node];
    return (size_t)(left ? tree->left[node] : tree->right[node]);
}

size_t lathe__tree_child(const lathe__tree *tree, size_t node, double value)
{
    return next_node(tree, node, value);
}

size_t lathe__tree_leaf(const lathe__tree *tree, const double *row)
{
    size_t node = 0;
    while (tree->left[node] >= 0)
        node = next_node(tree, node, row[tree->feature[node]]);
    return node;
}

/* One CSR row: its values, their columns, and whether the columns increase. */
typedef struct sparse_row {
    const double *values;
    const uint32_t *cols;
    size_t n;
    bool sorted;
} sparse_row;

static sparse_row sparse_row_at(const lathe__matrix *x, size_t row)
{
    sparse_row r;
    r.n = lathe__matrix_row(x, row, &r.values, &r.cols);
    r.sorted = true;
    for (size_t i = 1; i < r.n && r.sorted; i++)
        r.sorted = r.cols[i - 1] < r.cols[i];
    return r;
}

static double sparse_value(const sparse_row *r, uint32_t feature)
{
    if (!r->sorted) {
        for (size_t i = 0; i < r->n; i++)
            if (r->cols[i] == feature)
                return r->values[i];
        return 0;
    }
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->cols[mid] < feature)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && r->cols[lo] == feature ? r->values[lo] : 0;
}

static size_t sparse_leaf(const lathe__tree *tree, const sparse_row *row)
{
    size_t node = 0;
    while (tree->left[node] >= 0)
        node = next_node(tree, node, sparse_value(row, tree->feature[node]));
    return node;
}

/* ---- raw scores ------------------------------------------------------------ */

static bool averages(const lathe__ensemble *ensemble)
{
    return ensemble->link == LATHE__LINK_AVERAGE || ensemble->link == LATHE__LINK_ISOLATION;
}

static void raw_start(const lathe__ensemble *ensemble, double *raw)
{
    for (size_t k = 0; k < ensemble->n_raw; k++)
        raw[k] = averages(ensemble) || !ensemble->base_score ? 0 : ensemble->base_score[k];
}

static inline void raw_add_leaf(const lathe__ensemble *ensemble, size_t t, size_t leaf, double *raw)
{
    const lathe__tree *tree = &ensemble->trees[t];
    if (ensemble->tree_output) {
        raw[ensemble->tree_output[t]] += tree->value[leaf];
        return;
    }
    const double *values = tree->value + leaf * tree->n_outputs;
    for (size_t k = 0; k < tree->n_outputs; k++)
        raw[k] += values[k];
}

static void raw_finish(const lathe__ensemble *ensemble, double *raw)
{
    if (!averages(ensemble))
        return;
    double n_trees = ensemble->n_trees ? (double)ensemble->n_trees : 1;
    for (size_t k = 0; k < ensemble->n_raw; k++)
        raw[k] = (ensemble->base_score ? ensemble->base_score[k] : 0) + raw[k] / n_trees;
}

/* The rows of the sub-block from row `at` of n_rows. */
static size_t sub_block_rows(size_t n_rows, size_t at)
{
    return n_rows - at < BLOCK_ROWS ? n_rows - at : BLOCK_ROWS;
}

/* Dense rows [begin, end) through the packed layout, each tree over all of them before
   the next tree, BLOCK_ROWS at a time, into raw[(row - begin) * stride]. */
static void packed_block(const lathe__ensemble *ensemble, const lathe__matrix *x, size_t begin,
                         size_t end, double *raw, size_t stride)
{
    uint32_t leaves[BLOCK_ROWS];
    bool missing[MAX_BLOCK_ROWS / BLOCK_ROWS];
    const double *rows = x->dense + begin * x->n_cols;
    size_t n_rows = end - begin;
    for (size_t at = 0; at < n_rows; at += BLOCK_ROWS)
        missing[at / BLOCK_ROWS] = lathe__packed_any_missing(ensemble, rows + at * x->n_cols,
                                                             x->n_cols, sub_block_rows(n_rows, at));
    for (size_t t = 0; t < ensemble->n_trees; t++)
        for (size_t at = 0; at < n_rows; at += BLOCK_ROWS) {
            size_t n = sub_block_rows(n_rows, at);
            lathe__packed_leaves(ensemble, t, rows + at * x->n_cols, x->n_cols, n,
                                 missing[at / BLOCK_ROWS], leaves);
            const lathe__tree *tree = &ensemble->trees[t];
            if (!ensemble->tree_output && tree->n_outputs == 1) { /* a loop without one over k */
                for (size_t r = 0; r < n; r++)
                    raw[(at + r) * stride] += tree->value[leaves[r]];
                continue;
            }
            for (size_t r = 0; r < n; r++)
                raw_add_leaf(ensemble, t, leaves[r], raw + (at + r) * stride);
        }
}

/* Rows [begin, end) (at most block_rows) into raw[(row - begin) * stride]. */
static void raw_block(const lathe__ensemble *ensemble, const lathe__matrix *x, size_t begin,
                      size_t end, double *raw, size_t stride)
{
    for (size_t r = begin; r < end; r++)
        raw_start(ensemble, raw + (r - begin) * stride);
    if (x->dense && lathe__packed_usable(ensemble)) {
        packed_block(ensemble, x, begin, end, raw, stride);
    } else if (x->dense) {
        for (size_t t = 0; t < ensemble->n_trees; t++)
            for (size_t r = begin; r < end; r++) {
                size_t leaf = lathe__tree_leaf(&ensemble->trees[t], x->dense + r * x->n_cols);
                raw_add_leaf(ensemble, t, leaf, raw + (r - begin) * stride);
            }
    } else {
        sparse_row rows[BLOCK_ROWS];
        for (size_t r = begin; r < end; r++)
            rows[r - begin] = sparse_row_at(x, r);
        for (size_t t = 0; t < ensemble->n_trees; t++)
            for (size_t r = begin; r < end; r++) {
                size_t leaf = sparse_leaf(&ensemble->trees[t], &rows[r - begin]);
                raw_add_leaf(ensemble, t, leaf, raw + (r - begin) * stride);
            }
    }
    for (size_t r = begin; r < end; r++)
        raw_finish(ensemble, raw + (r - begin) * stride);
}

/* Rows per block: BLOCK_ROWS, or for large trees on dense rows as many as keep the
   block's rows within LARGE_BLOCK_BYTES (a multiple of BLOCK_ROWS, at most
   MAX_BLOCK_ROWS), so each large tree is brought into cache once per many rows. */
static size_t block_rows(const lathe__ensemble *ensemble, const lathe__matrix *x)
{
    if (!x->dense || !lathe__packed_usable(ensemble) || !lathe__packed_large(ensemble))
        return BLOCK_ROWS;
    size_t row_bytes = (x->n_cols ? x->n_cols : 1) * sizeof(double);
    size_t rows = LARGE_BLOCK_BYTES / row_bytes / BLOCK_ROWS * BLOCK_ROWS;
    return rows < BLOCK_ROWS ? BLOCK_ROWS : rows > MAX_BLOCK_ROWS ? MAX_BLOCK_ROWS : rows;
}

/* Rows [begin, end) of x into out[row * stride], block by block. */
static void raw_rows(const lathe__ensemble *ensemble, const lathe__matrix *x, size_t begin,
                     size_t end, double *out, size_t stride)
{
    assert(x->n_cols >= ensemble->n_features || lathe__matrix_is_sparse(x));
    size_t block = block_rows(ensemble, x);
    for (size_t start = begin; start < end; start += block) {
        size_t stop = end - start > block ? start + block : end;
        raw_block(ensemble, x, start, stop, out + start * stride, stride);
    }
}

void lathe__ensemble_raw(const lathe__ensemble *ensemble, const lathe__matrix *x, double *raw)
{
    raw_rows(ensemble, x, 0, x->n_rows, raw, ensemble->n_raw);
}

/* ---- links ----------------------------------------------------------------- */

static void softmax(const double *raw, size_t n, double *out)
{
    double max = raw[0], sum = 0;
    for (size_t k = 1; k < n; k++)
        if (raw[k] > max)
            max = raw[k];
    for (size_t k = 0; k < n; k++)
        sum += out[k] = exp(raw[k] - max);
    for (size_t k = 0; k < n; k++)
        out[k] /= sum;
}

/* The link on one row; `out` may be `raw` (n_outputs >= n_raw for every link). */
static void apply_link(const lathe__ensemble *ensemble, const double *raw, double *out)
{
    size_t n = ensemble->n_raw;
    switch (ensemble->link) {
    case LATHE__LINK_SIGMOID: {
        double p = 1 / (1 + exp(-raw[0])), q = 1 / (1 + exp(raw[0]));
        if (ensemble->n_outputs == 2) {
            out[0] = q;
            out[1] = p;
        } else {
            out[0] = p;
        }
        return;
    }
    case LATHE__LINK_SOFTMAX:
        softmax(raw, n, out);
        return;
    case LATHE__LINK_EXP:
        for (size_t k = 0; k < n; k++)
            out[k] = exp(raw[k]);
        return;
    case LATHE__LINK_ISOLATION:
        out[0] = exp2(-raw[0] / ensemble->isolation_normalizer);
        return;
    case LATHE__LINK_IDENTITY:
    case LATHE__LINK_AVERAGE:
    default:
        if (out != raw)
            memcpy(out, raw, n * sizeof *out);
        return;
    }
}

static void predict_rows(const lathe__ensemble *ensemble, const lathe__matrix *x, size_t begin,
                         size_t end, double *out)
{
    size_t stride = ensemble->n_outputs;
    raw_rows(ensemble, x, begin, end, out, stride);
    for (size_t r = begin; r < end; r++)
        apply_link(ensemble, out + r * stride, out + r * stride);
}

void lathe__ensemble_predict(const lathe__ensemble *ensemble, const lathe__matrix *x, double *out)
{
    predict_rows(ensemble, x, 0, x->n_rows, out);
}

typedef struct predict_task {
    const lathe__ensemble *ensemble;
    const lathe__matrix *x;
    double *out;
    size_t rows_per_task;
} predict_task;

static void predict_task_run(void *arg, size_t task)
{
    const predict_task *p = arg;
    size_t begin = task * p->rows_per_task;
    size_t end = begin + p->rows_per_task < p->x->n_rows ? begin + p->rows_per_task : p->x->n_rows;
    predict_rows(p->ensemble, p->x, begin, end, p->out);
}

void lathe__ensemble_predict_parallel(lathe_ctx *ctx, const lathe__ensemble *ensemble,
                                      const lathe__matrix *x, double *out)
{
    size_t n_tasks = lathe__row_blocks(x->n_rows, MIN_TASK_ROWS, SIZE_MAX);
    /* Whole blocks per task, so blocking (which never changes results) stays aligned. */
    size_t per_task = (x->n_rows + n_tasks - 1) / n_tasks;
    per_task = (per_task + BLOCK_ROWS - 1) / BLOCK_ROWS * BLOCK_ROWS;
    if (per_task == 0)
        per_task = BLOCK_ROWS;
    n_tasks = (x->n_rows + per_task - 1) / per_task;
    predict_task p = {ensemble, x, out, per_task};
    lathe__parallel_for(ctx, n_tasks, predict_task_run, &p);
}

void lathe__ensemble_raw_row(const lathe__ensemble *ensemble, const double *row, double *raw)
{
    raw_start(ensemble, raw);
    if (lathe__packed_usable(ensemble))
        for (size_t t = 0; t < ensemble->n_trees; t++)
            raw_add_leaf(ensemble, t, lathe__packed_leaf(ensemble, t, row), raw);
    else
        for (size_t t = 0; t < ensemble->n_trees; t++)
            raw_add_leaf(ensemble, t, lathe__tree_leaf(&ensemble->trees[t], row), raw);
    raw_finish(ensemble, raw);
}

void lathe__ensemble_predict_row(const lathe__ensemble *ensemble, const double *row, double *raw,
                                 double *out)
{
    lathe__ensemble_raw_row(ensemble, row, raw);
    apply_link(ensemble, raw, out);
}
