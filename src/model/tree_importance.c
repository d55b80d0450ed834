/*
 * tree_importance.c: how much an ensemble relies on each feature: summed
 * split gain, split count, and permutation importance.
 *
 * Gain and count read the fitted nodes only and cost one pass over them.
 * Permutation importance predicts the rows again with one column shuffled
 * at a time, on a dense copy of the rows whose column is shuffled in place
 * and put back; a feature no split uses cannot change any prediction, so it
 * gets exactly 0 without being predicted. The shuffles of feature f come
 * from one stream seeded by (seed, f), so a result does not depend on
 * which other features are measured or on the thread count.
 */
#include <string.h>

#include "core/internal.h"
#include "core/rng.h"
#include "model/tree.h"

#include "core/banned.h"

static void sum_over_splits(const lathe__ensemble *ensemble, bool gain, double *out)
{
    memset(out, 0, ensemble->n_features * sizeof *out);
    for (size_t t = 0; t < ensemble->n_trees; t++) {
        const lathe__tree *tree = &ensemble->trees[t];
        for (size_t node = 0; node < tree->n_nodes; node++)
            if (tree->left[node] >= 0 && tree->feature[node] < ensemble->n_features)
                out[tree->feature[node]] += gain ? tree->gain[node] : 1;
    }
}

void lathe__ensemble_importance_gain(const lathe__ensemble *ensemble, double *out)
{
    sum_over_splits(ensemble, true, out);
}

void lathe__ensemble_importance_splits(const lathe__ensemble *ensemble, double *out)
{
    sum_over_splits(ensemble, false, out);
}

/* ---- permutation ----------------------------------------------------------- */

typedef struct permutation_work {
    lathe__matrix rows; /* dense copy of x, shuffled one column at a time */
    double *predicted;  /* n_rows * n_outputs */
    double *column;     /* the column being shuffled, as it was */
    size_t *order;
    double *splits; /* split count per feature */
} permutation_work;

static void work_release(lathe_ctx *ctx, permutation_work *w)
{
    lathe__matrix_release(ctx, &w->rows);
    lathe__free(ctx, w->predicted);
    lathe__free(ctx, w->column);
    lathe__free(ctx, w->order);
    lathe__free(ctx, w->splits);
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

static lathe_status work_init(lathe_ctx *ctx, const lathe__ensemble *ensemble,
                              const lathe__matrix *x, permutation_work *w, lathe_error *err)
{
    memset(w, 0, sizeof *w);
    size_t n_rows = x->n_rows ? x->n_rows : 1, width = x->n_cols;
    if (width < ensemble->n_features)
        return lathe__error(err, LATHE_INVALID,
                            "the rows have %zu columns but the model reads %zu features", width,
                            ensemble->n_features);
    lathe_status status = lathe__matrix_dense_new(ctx, x->n_rows, width, &w->rows, err);
    if (status != LATHE_OK)
        return status;
    copy_rows(x, &w->rows);
    w->predicted = lathe__calloc(ctx, n_rows, ensemble->n_outputs * sizeof *w->predicted);
    w->column = lathe__calloc(ctx, n_rows, sizeof *w->column);
    w->order = lathe__calloc(ctx, n_rows, sizeof *w->order);
    w->splits =
        lathe__calloc(ctx, ensemble->n_features ? ensemble->n_features : 1, sizeof *w->splits);
    if (!w->predicted || !w->column || !w->order || !w->splits)
        return lathe__error_nomem(err);
    lathe__ensemble_importance_splits(ensemble, w->splits);
    return LATHE_OK;
}

typedef struct permutation_job {
    lathe_ctx *ctx;
    const lathe__ensemble *ensemble;
    const double *y;
    lathe__score_fn score;
    void *score_user;
    size_t n_repeats;
    uint64_t seed;
} permutation_job;

static double score_rows(const permutation_job *job, permutation_work *w)
{
    lathe__ensemble_predict_parallel(job->ctx, job->ensemble, &w->rows, w->predicted);
    return job->score(job->score_user, job->y, w->predicted, w->rows.n_rows,
                      job->ensemble->n_outputs);
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

lathe_status lathe__permutation_importance(lathe_ctx *ctx, const lathe__ensemble *ensemble,
                                           const lathe__matrix *x, const double *y,
                                           lathe__score_fn score, void *score_user,
                                           size_t n_repeats, uint64_t seed, double *out,
                                           lathe_error *err)
{
    if (n_repeats == 0)
        return lathe__error(err, LATHE_INVALID, "permutation importance needs at least 1 repeat");
    permutation_work w;
    lathe_status status = work_init(ctx, ensemble, x, &w, err);
    permutation_job job = {ctx, ensemble, y, score, score_user, n_repeats, seed};
    double baseline = status == LATHE_OK ? score_rows(&job, &w) : 0;
    for (size_t f = 0; status == LATHE_OK && f < ensemble->n_features; f++) {
        if (lathe__progress(ctx, "permutation importance", (double)f,
                            (double)ensemble->n_features)) {
            status = lathe__error(err, LATHE_CANCELED, "permutation importance was canceled");
            break;
        }
        out[f] = w.splits[f] > 0 ? baseline - shuffled_score(&job, &w, f) : 0;
    }
    work_release(ctx, &w);
    return status;
}
