/*
 * permutation.c: permutation importance (Breiman 2001; scikit-learn's
 * permutation_importance), for any model that predicts rows.
 *
 * The rows are predicted again with one column shuffled at a time, on a
 * dense copy whose column is shuffled in place and put back; a feature the
 * model never reads (no split uses it) cannot change any prediction, so it
 * gets exactly 0 without being predicted. The shuffles of feature f come
 * from one stream seeded by (seed, f), so a result does not depend on
 * which other features are measured or on the thread count.
 */
#include <string.h>

#include "core/internal.h"
#include "core/rng.h"
#include "model/permutation.h"

#include "core/banned.h"

typedef struct permutation_work {
    lathe__matrix rows; /* dense copy of x, shuffled one column at a time */
    double *predicted;  /* n_rows * n_outputs */
    double *column;     /* the column being shuffled, as it was */
    size_t *order;
} permutation_work;

static void work_release(lathe_ctx *ctx, permutation_work *w)
{
    lathe__matrix_release(ctx, &w->rows);
    lathe__free(ctx, w->predicted);
    lathe__free(ctx, w->column);
    lathe__free(ctx, w->order);
}

static void copy_rows(const lathe__matrix *x, lathe__matrix *rows)
{
    for (size_t r = 0; r < x->n_rows; r++) {
        const double *values;
        const uint32_t *cols;
        size_t n = lathe__matrix_row(x, r, &values, &cols);
        double *to = rows->dense + r * rows->n_cols;
        for (size_t i = 0; i < n; i++)
            to[cols ? cols[i] : i] = values[i];
    }
}

static lathe_status work_init(lathe_ctx *ctx, const lathe__predictor *model, const lathe__matrix *x,
                              permutation_work *w, lathe_error *err)
{
    memset(w, 0, sizeof *w);
    size_t n_rows = x->n_rows ? x->n_rows : 1, width = x->n_cols;
    if (width < model->n_features)
        return lathe__error(err, LATHE_INVALID,
                            "the rows have %zu columns but the model reads %zu features", width,
                            model->n_features);
    lathe_status status = lathe__matrix_dense_new(ctx, x->n_rows, width, &w->rows, err);
    if (status != LATHE_OK)
        return status;
    copy_rows(x, &w->rows);
    w->predicted = lathe__calloc(ctx, n_rows, model->n_outputs * sizeof *w->predicted);
    w->column = lathe__calloc(ctx, n_rows, sizeof *w->column);
    w->order = lathe__calloc(ctx, n_rows, sizeof *w->order);
    if (!w->predicted || !w->column || !w->order)
        return lathe__error_nomem(err);
    return LATHE_OK;
}

typedef struct permutation_job {
    const lathe__predictor *model;
    const double *y;
    lathe__score_fn score;
    void *score_user;
    size_t n_repeats;
    uint64_t seed;
} permutation_job;

static double score_rows(const permutation_job *job, permutation_work *w)
{
    job->model->predict(job->model->user, &w->rows, w->predicted);
    return job->score(job->score_user, job->y, w->predicted, w->rows.n_rows, job->model->n_outputs);
}

/* The mean score over the repeats with column `feature` shuffled; the column is put back. */
static double shuffled_score(const permutation_job *job, permutation_work *w, size_t feature)
{
    size_t n_rows = w->rows.n_rows, width = w->rows.n_cols;
    double *cells = w->rows.dense;
    for (size_t r = 0; r < n_rows; r++)
        w->column[r] = cells[r * width + feature];
    lathe__rng rng;
    lathe__rng_seed(&rng, job->seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(feature + 1)));
    double sum = 0;
    for (size_t repeat = 0; repeat < job->n_repeats; repeat++) {
        for (size_t r = 0; r < n_rows; r++)
            w->order[r] = r;
        lathe__rng_shuffle(&rng, w->order, n_rows);
        for (size_t r = 0; r < n_rows; r++)
            cells[r * width + feature] = w->column[w->order[r]];
        sum += score_rows(job, w);
    }
    for (size_t r = 0; r < n_rows; r++)
        cells[r * width + feature] = w->column[r];
    return sum / (double)job->n_repeats;
}

lathe_status lathe__permutation_importance(lathe_ctx *ctx, const lathe__predictor *model,
                                           const lathe__matrix *x, const double *y,
                                           lathe__score_fn score, void *score_user,
                                           size_t n_repeats, uint64_t seed, double *out,
                                           lathe_error *err)
{
    if (n_repeats == 0)
        return lathe__error(err, LATHE_INVALID, "permutation importance needs at least 1 repeat");
    permutation_work w;
    lathe_status status = work_init(ctx, model, x, &w, err);
    permutation_job job = {model, y, score, score_user, n_repeats, seed};
    double baseline = status == LATHE_OK ? score_rows(&job, &w) : 0;
    for (size_t f = 0; status == LATHE_OK && f < model->n_features; f++) {
        if (lathe__progress(ctx, "permutation importance", (double)f, (double)model->n_features)) {
            status = lathe__error(err, LATHE_CANCELED, "permutation importance was canceled");
            break;
        }
        bool read = !model->used || model->used[f];
        out[f] = read ? baseline - shuffled_score(&job, &w, f) : 0;
    }
    work_release(ctx, &w);
    return status;
}
