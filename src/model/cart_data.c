/*
 * cart_data.c: the training matrix as per-feature codes, built once per fit
 * and shared by every tree.
 *
 * A numeric feature's values are sorted once (a radix sort of their bit
 * patterns, parallel over features); its distinct values become its levels
 * and each row's code is the rank of its value. A categorical feature keeps
 * its category codes as codes, with levels 0 .. largest code. NaN is
 * missing (LATHE__CART_MISSING); infinities are refused, since a split
 * between two infinite values has no midpoint. A CSR matrix is transposed
 * first so each feature's column is read in one pass.
 *
 * Invariants after init: codes[f * n_rows + row] is LATHE__CART_MISSING or
 * below the feature's level count; levels increase strictly per feature.
 */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "core/internal.h"
#include "core/radix.h"
#include "model/cart.h"
#include "model/parallel.h"

#include "core/banned.h"

#define MAX_ROWS ((size_t)UINT32_MAX - 1)
#define MAX_FEATURES ((size_t)1 << 31)

/* ---- checks ---------------------------------------------------------------- */

static lathe_status check_shape(const lathe__model_ops *ops, const lathe__train_data *train,
                                lathe_error *err)
{
    const char *task = train->task == LATHE__TASK_REGRESSION ? "regression" : "classification";
    if (!(ops->tasks & (unsigned)train->task))
        return lathe__error(err, LATHE_INVALID, "%s does not do %s", ops->name, task);
    if (train->x->n_rows == 0)
        return lathe__error(err, LATHE_INVALID, "%s needs at least one training row", ops->name);
    if (train->x->n_rows > MAX_ROWS)
        return lathe__error(err, LATHE_LIMIT, "%zu training rows is over the limit of %zu",
                            train->x->n_rows, MAX_ROWS);
    if (train->x->n_cols == 0 || train->x->n_cols > MAX_FEATURES)
        return lathe__error(err, LATHE_LIMIT, "%s needs between 1 and %zu features, got %zu",
                            ops->name, MAX_FEATURES, train->x->n_cols);
    if (train->task == LATHE__TASK_CLASSIFICATION && train->n_classes < 2)
        return lathe__error(err, LATHE_INVALID, "%s needs at least 2 classes, got %zu", ops->name,
                            train->n_classes);
    return LATHE_OK;
}

static lathe_status check_values(const lathe__matrix *x, lathe_error *err)
{
    size_t n_values = x->dense ? x->n_rows * x->n_cols : x->row_start[x->n_rows];
    const double *values = x->dense ? x->dense : x->sparse_values;
    for (size_t i = 0; i < n_values; i++)
        if (isinf(values[i])) {
            size_t row = i / x->n_cols, col = i % x->n_cols;
            if (!x->dense) {
                for (row = 0; x->row_start[row + 1] <= i; row++)
                    continue;
                col = x->col_index[i];
            }
            return lathe__error(err, LATHE_INVALID,
                                "row %zu, column %zu is infinite; trees take numbers or missing "
                                "values (NaN)",
                                row, col);
        }
    for (size_t i = 0; !x->dense && i < n_values; i++)
        if (x->col_index[i] >= x->n_cols)
            return lathe__error(err, LATHE_INVALID, "sparse entry %zu names column %u of %zu", i,
                                x->col_index[i], x->n_cols);
    return LATHE_OK;
}

static lathe_status check_targets(const lathe__train_data *train, lathe_error *err)
{
    for (size_t row = 0; row < train->x->n_rows; row++) {
        double y = train->y[row];
        if (train->task == LATHE__TASK_REGRESSION) {
            if (!isfinite(y))
                return lathe__error(err, LATHE_INVALID, "target of row %zu is not a finite number",
                                    row);
        } else if (!(y >= 0 && y < (double)train->n_classes && y == floor(y))) {
            return lathe__error(err, LATHE_INVALID,
                                "target of row %zu is %g, not a class index below %zu", row, y,
                                train->n_classes);
        }
    }
    return LATHE_OK;
}

static lathe_status check_weights(const lathe__train_data *train, lathe_error *err)
{
    double sum = 0;
    for (size_t row = 0; train->weights && row < train->x->n_rows; row++) {
        double w = train->weights[row];
        if (!(isfinite(w) && w >= 0))
            return lathe__error(err, LATHE_INVALID,
                                "sample weight of row %zu is %g; weights must be finite and not "
                                "negative",
                                row, w);
        sum += w;
    }
    if (train->weights && !(sum > 0))
        return lathe__error(err, LATHE_INVALID, "every sample weight is 0");
    return LATHE_OK;
}

/* ---- columns --------------------------------------------------------------- */

/* A CSR matrix by columns: column c's entries are [start[c], start[c + 1]). */
typedef struct csc {
    size_t *start;
    uint32_t *rows;
    double *values;
} csc;

static lathe_status transpose(lathe_ctx *ctx, const lathe__matrix *x, csc *out, lathe_error *err)
{
    size_t nnz = x->row_start[x->n_rows];
    out->start = lathe__calloc(ctx, x->n_cols + 1, sizeof *out->start);
    out->rows = lathe__calloc(ctx, nnz ? nnz : 1, sizeof *out->rows);
    out->values = lathe__calloc(ctx, nnz ? nnz : 1, sizeof *out->values);
    if (!out->start || !out->rows || !out->values)
        return lathe__error_nomem(err);
    for (size_t i = 0; i < nnz; i++)
        out->start[x->col_index[i] + 1]++;
    for (size_t c = 0; c < x->n_cols; c++)
        out->start[c + 1] += out->start[c];
    for (size_t row = 0; row < x->n_rows; row++)
        for (size_t i = x->row_start[row]; i < x->row_start[row + 1]; i++) {
            size_t at = out->start[x->col_index[i]]++;
            out->rows[at] = (uint32_t)row;
            out->values[at] = x->sparse_values[i];
        }
    for (size_t c = x->n_cols; c > 0; c--)
        out->start[c] = out->start[c - 1];
    out->start[0] = 0;
    return LATHE_OK;
}

typedef struct code_job {
    lathe_ctx *ctx;
    pthread_mutex_t lock;
    const lathe__matrix *x;
    csc columns; /* sparse x only */
    lathe__cart_data *data;
    double **feature_levels;
    size_t *n_levels;
    atomic_bool out_of_memory;
} code_job;

static void *locked_alloc(code_job *job, size_t count, size_t size)
{
    pthread_mutex_lock(&job->lock);
    void *p = lathe__calloc(job->ctx, count ? count : 1, size);
    pthread_mutex_unlock(&job->lock);
    return p;
}

static void locked_free(code_job *job, void *p)
{
    pthread_mutex_lock(&job->lock);
    lathe__free(job->ctx, p);
    pthread_mutex_unlock(&job->lock);
}

/* Feature f's column into values[n_rows]. */
static void read_column(const code_job *job, size_t f, double *values)
{
    const lathe__matrix *x = job->x;
    if (x->dense) {
        for (size_t row = 0; row < x->n_rows; row++)
            values[row] = x->dense[row * x->n_cols + f];
        return;
    }
    memset(values, 0, x->n_rows * sizeof *values);
    for (size_t i = job->columns.start[f]; i < job->columns.start[f + 1]; i++)
        values[job->columns.rows[i]] = job->columns.values[i];
}

static bool code_categories(code_job *job, size_t f, const double *values, uint32_t *codes)
{
    size_t n = job->x->n_rows, largest = 0;
    for (size_t row = 0; row < n; row++) {
        codes[row] = isnan(values[row]) ? LATHE__CART_MISSING : (uint32_t)values[row];
        if (codes[row] != LATHE__CART_MISSING && codes[row] > largest)
            largest = codes[row];
    }
    double *levels = locked_alloc(job, largest + 1, sizeof *levels);
    if (!levels)
        return false;
    for (size_t c = 0; c <= largest; c++)
        levels[c] = (double)c;
    job->feature_levels[f] = levels;
    job->n_levels[f] = largest + 1;
    return true;
}

/* Ranks of the sorted pairs as codes, distinct values as levels. */
static bool code_numbers(code_job *job, size_t f, const double *values, uint32_t *codes)
{
    size_t n = job->x->n_rows, n_present = 0, n_levels = 0;
    uint64_t *keys = locked_alloc(job, 2 * n, sizeof *keys);
    uint32_t *rows = locked_alloc(job, 2 * n, sizeof *rows);
    double *levels = NULL;
    bool ok = keys && rows;
    for (size_t row = 0; ok && row < n; row++) {
        codes[row] = LATHE__CART_MISSING;
        if (!isnan(values[row])) {
            keys[n_present] = lathe__double_key(values[row]);
            rows[n_present++] = (uint32_t)row;
        }
    }
    if (ok) {
        lathe__radix_sort_pairs(keys, rows, n_present, keys + n, rows + n);
        for (size_t i = 0; i < n_present; i++)
            n_levels += i == 0 || keys[i] != keys[i - 1];
        ok = (levels = locked_alloc(job, n_levels, sizeof *levels)) != NULL;
    }
    for (size_t i = 0, level = 0; ok && i < n_present; i++) {
        if (i > 0 && keys[i] != keys[i - 1])
            level++;
        levels[level] = values[rows[i]] == 0 ? 0 : values[rows[i]];
        codes[rows[i]] = (uint32_t)level;
    }
    locked_free(job, keys);
    locked_free(job, rows);
    job->feature_levels[f] = levels;
    job->n_levels[f] = n_levels;
    return ok;
}

static void code_feature(void *arg, size_t f)
{
    code_job *job = arg;
    if (atomic_load(&job->out_of_memory))
        return;
    size_t n = job->x->n_rows;
    double *values = locked_alloc(job, n, sizeof *values);
    uint32_t *codes = job->data->codes + f * n;
    bool ok = values != NULL;
    if (ok) {
        read_column(job, f, values);
        ok = job->data->categorical[f] ? code_categories(job, f, values, codes)
                                       : code_numbers(job, f, values, codes);
    }
    locked_free(job, values);
    if (!ok)
        atomic_store(&job->out_of_memory, true);
}

/* Whether flagged column f holds category codes a bitset can take; logs when not. */
static bool usable_categories(lathe_ctx *ctx, const lathe__matrix *x, size_t f)
{
    for (size_t row = 0; row < x->n_rows; row++) {
        double v;
        if (x->dense) {
            v = x->dense[row * x->n_cols + f];
        } else {
            v = 0;
            for (size_t i = x->row_start[row]; i < x->row_start[row + 1]; i++)
                if (x->col_index[i] == f)
                    v = x->sparse_values[i];
        }
        if (!isnan(v) && !(v >= 0 && v < LATHE__CART_MAX_CATEGORIES && v == floor(v))) {
            lathe__log(ctx, LATHE_LOG_INFO,
                       "feature %zu: category code %g is not an integer in [0, %d); splitting "
                       "it as ordered numbers",
                       f, v, LATHE__CART_MAX_CATEGORIES);
            return false;
        }
    }
    return true;
}

static lathe_status targets(lathe_ctx *ctx, const lathe__train_data *train, lathe__cart_data *data,
                            lathe_error *err)
{
    size_t n = train->x->n_rows;
    if (train->task == LATHE__TASK_REGRESSION) {
        if (!(data->y = lathe__calloc(ctx, n, sizeof *data->y)))
            return lathe__error_nomem(err);
        memcpy(data->y, train->y, n * sizeof *data->y);
        return LATHE_OK;
    }
    data->n_classes = train->n_classes;
    if (!(data->classes = lathe__calloc(ctx, n, sizeof *data->classes)))
        return lathe__error_nomem(err);
    for (size_t row = 0; row < n; row++)
        data->classes[row] = (uint32_t)train->y[row];
    return LATHE_OK;
}

static lathe_status gather_levels(lathe_ctx *ctx, code_job *job, lathe__cart_data *data,
                                  lathe_error *err)
{
    size_t total = 0;
    for (size_t f = 0; f < data->n_features; f++) {
        data->level_start[f] = total;
        total += job->n_levels[f];
        if (job->n_levels[f] > data->max_levels)
            data->max_levels = job->n_levels[f];
    }
    data->level_start[data->n_features] = total;
    if (!(data->levels = lathe__calloc(ctx, total ? total : 1, sizeof *data->levels)))
        return lathe__error_nomem(err);
    for (size_t f = 0; f < data->n_features; f++)
        memcpy(data->levels + data->level_start[f], job->feature_levels[f],
               job->n_levels[f] * sizeof *data->levels);
    return LATHE_OK;
}

static lathe_status build_codes(lathe_ctx *ctx, const lathe__train_data *train,
                                lathe__cart_data *data, lathe_error *err)
{
    size_t d = data->n_features, n = data->n_rows, n_codes;
    if (lathe__mul_overflows(n, d, &n_codes))
        return lathe__error(err, LATHE_LIMIT, "%zu rows by %zu features is too large", n, d);
    code_job job = {.ctx = ctx, .x = train->x, .data = data};
    pthread_mutex_init(&job.lock, NULL);
    atomic_init(&job.out_of_memory, false);
    job.feature_levels = lathe__calloc(ctx, d, sizeof *job.feature_levels);
    job.n_levels = lathe__calloc(ctx, d, sizeof *job.n_levels);
    data->codes = lathe__calloc(ctx, n_codes, sizeof *data->codes);
    data->level_start = lathe__calloc(ctx, d + 1, sizeof *data->level_start);
    lathe_status status = LATHE_OK;
    if (!job.feature_levels || !job.n_levels || !data->codes || !data->level_start)
        status = lathe__error_nomem(err);
    else if (!train->x->dense)
        status = transpose(ctx, train->x, &job.columns, err);
    if (status == LATHE_OK) {
        lathe__parallel_for(ctx, d, code_feature, &job);
        status = atomic_load(&job.out_of_memory) ? lathe__error_nomem(err)
                                                 : gather_levels(ctx, &job, data, err);
    }
    for (size_t f = 0; job.feature_levels && f < d; f++)
        lathe__free(ctx, job.feature_levels[f]);
    lathe__free(ctx, job.feature_levels);
    lathe__free(ctx, job.n_levels);
    lathe__free(ctx, job.columns.start);
    lathe__free(ctx, job.columns.rows);
    lathe__free(ctx, job.columns.values);
    pthread_mutex_destroy(&job.lock);
    return status;
}

lathe_status lathe__cart_data_init(lathe_ctx *ctx, const lathe__model_ops *ops,
                                   const lathe__train_data *train, lathe__cart_data *data,
                                   lathe_error *err)
{
    memset(data, 0, sizeof *data);
    lathe_status status = check_shape(ops, train, err);
    if (status == LATHE_OK)
        status = check_values(train->x, err);
    if (status == LATHE_OK)
        status = check_targets(train, err);
    if (status == LATHE_OK)
        status = check_weights(train, err);
    if (status != LATHE_OK)
        return status;
    data->n_rows = train->x->n_rows;
    data->n_features = train->x->n_cols;
    if (!(data->categorical = lathe__calloc(ctx, data->n_features, sizeof *data->categorical)))
        status = lathe__error_nomem(err);
    for (size_t f = 0; status == LATHE_OK && train->categorical && f < data->n_features; f++)
        data->categorical[f] = train->categorical[f] && usable_categories(ctx, train->x, f);
    if (status == LATHE_OK)
        status = targets(ctx, train, data, err);
    if (status == LATHE_OK)
        status = build_codes(ctx, train, data, err);
    if (status != LATHE_OK)
        lathe__cart_data_release(ctx, data);
    return status;
}

void lathe__cart_data_release(lathe_ctx *ctx, lathe__cart_data *data)
{
    lathe__free(ctx, data->classes);
    lathe__free(ctx, data->y);
    lathe__free(ctx, data->codes);
    lathe__free(ctx, data->levels);
    lathe__free(ctx, data->level_start);
    lathe__free(ctx, data->categorical);
    memset(data, 0, sizeof *data);
}
