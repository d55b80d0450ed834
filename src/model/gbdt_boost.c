/*
 * gbdt_boost.c: the boosting loop.
 *
 * Bins and codes are made once; then each round computes every training
 * row's gradients from the current raw scores, grows one tree per raw score
 * (one, or one per class for softmax), adds the tree's leaf values to the
 * scores of the rows in each leaf (the grower leaves them grouped by leaf),
 * and scores the validation rows by walking the grown tree on their codes.
 *
 * Early stopping watches the objective's validation loss and keeps the
 * round where it was lowest: the trees after it are dropped. Without
 * validation rows from the caller, validation_fraction of the training rows
 * (drawn with the seed) are held out for it.
 *
 * With quantized_gradients, each tree's gradients are also
 * rounded to packed integers (gbdt_quant.c) that the grower builds its
 * histograms from; the grown tree's leaf values are then renewed from the
 * exact gradients before they are applied.
 *
 * Randomness (row subsampling per round, columns per tree, the validation
 * draw, the binning sample, the quantization's rounding) comes from streams
 * or hashes derived from the seed, the round and the row, never from
 * thread timing, so a seed fixes the model.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "core/rng.h"
#include "model/gbdt.h"

#include "core/banned.h"

#define GRADIENT_BLOCK_ROWS 16384
#define MIN_IMPROVEMENT 1e-12 /* relative: smaller validation gains are rounding */

typedef struct boost_run {
    lathe_ctx *ctx;
    const lathe__train_data *data;
    const double *w;
    const lathe__gbdt_settings *s;
    lathe__team *team;
    lathe__gbdt_binner binner;
    lathe__gbdt_codes codes;
    lathe__gbdt_codes valid_codes; /* the caller's validation rows */
    lathe__gbdt_grower grower;
    size_t n_rows, n_raw;
    uint32_t *train_rows; /* rows trained on, ascending */
    size_t n_train;
    uint32_t *valid_rows; /* held-out rows of codes, or NULL with valid_codes */
    size_t n_valid;
    const lathe__gbdt_codes *valid_from;
    const double *valid_y;
    uint32_t *sample; /* this round's rows (subsample), else train_rows */
    size_t n_sample;
    uint32_t *out_of_sample;
    size_t n_out_of_sample;
    bool *allowed; /* this tree's columns (colsample_bytree), NULL: all */
    double *raw;   /* n_rows x n_raw */
    double *valid_raw;
    lathe__gbdt_pair *gh; /* n_raw x n_rows */
    lathe__gbdt_quant quant;
    lathe__gbdt_qpair *quantized; /* one tree's quantized gh (n_rows), NULL: exact */
    lathe__gbdt_weighted *median_scratch;
    lathe__tree *trees;
    size_t n_trees, trees_capacity;
    double *base;
} boost_run;

/* ---- setting up ---- */

static lathe_status hold_out(boost_run *run, lathe_error *err)
{
    size_t n = run->n_rows;
    bool *held = lathe__calloc(run->ctx, n ? n : 1, sizeof *held);
    run->train_rows = lathe__alloc(run->ctx, (n ? n : 1) * sizeof *run->train_rows);
    run->valid_rows = lathe__alloc(run->ctx, (n ? n : 1) * sizeof *run->valid_rows);
    if (!held || !run->train_rows || !run->valid_rows) {
        lathe__free(run->ctx, held);
        return lathe__error_nomem(err);
    }
    size_t want = (size_t)llround(run->s->validation_fraction * (double)n);
    if (want >= n)
        want = n - 1;
    if (want == 0 && run->s->early_stopping_rounds > 0 && !run->data->valid_x && n >= 2)
        want = 1;
    if (run->data->valid_x || run->s->early_stopping_rounds == 0)
        want = 0;
    lathe__rng rng;
    lathe__rng_seed(&rng, run->s->seed ^ 0x76616c6964ull);          /* "valid" */
    for (size_t taken = 0, row = 0; row < n && taken < want; row++) /* selection sampling */
        if (lathe__rng_below(&rng, n - row) < want - taken) {
            held[row] = true;
            taken++;
        }
    for (size_t row = 0; row < n; row++) {
        if (held[row])
            run->valid_rows[run->n_valid++] = (uint32_t)row;
        else
            run->train_rows[run->n_train++] = (uint32_t)row;
    }
    lathe__free(run->ctx, held);
    run->valid_from = &run->codes;
    run->valid_y = run->data->y;
    return LATHE_OK;
}

static lathe_status allocate(boost_run *run, lathe_error *err)
{
    lathe_ctx *ctx = run->ctx;
    size_t n = run->n_rows ? run->n_rows : 1, n_raw = run->n_raw;
    /* lathe__calloc checks count x size */
    run->raw = lathe__calloc(ctx, n, n_raw * sizeof *run->raw);
    run->gh = lathe__calloc(ctx, n, n_raw * sizeof *run->gh);
    run->valid_raw = lathe__calloc(ctx, run->n_valid ? run->n_valid : 1, n_raw * sizeof(double));
    run->base = lathe__calloc(ctx, n_raw, sizeof *run->base);
    run->sample = lathe__calloc(ctx, n, sizeof *run->sample);
    run->out_of_sample = lathe__calloc(ctx, n, sizeof *run->out_of_sample);
    run->allowed = lathe__calloc(ctx, run->binner.n_features + 1, sizeof *run->allowed);
    if (!run->raw || !run->gh || !run->valid_raw || !run->base || !run->sample ||
        !run->out_of_sample || !run->allowed)
        return lathe__error_nomem(err);
    if (run->grower.quantized && !(run->quantized = lathe__calloc(ctx, n, sizeof *run->quantized)))
        return lathe__error_nomem(err);
    if (lathe__gbdt_objective_get(run->s->loss.id)->refit_median &&
        !(run->median_scratch = lathe__calloc(ctx, n, sizeof *run->median_scratch)))
        return lathe__error_nomem(err);
    return LATHE_OK;
}

static lathe_status start_scores(boost_run *run, lathe_error *err)
{
    lathe_status status =
        lathe__gbdt_base_score(run->ctx, &run->s->loss, run->data->y, run->w, run->train_rows,
                               run->n_train, run->data->n_classes, run->base, err);
    if (status != LATHE_OK)
        return status;
    for (size_t row = 0; row < run->n_rows; row++)
        memcpy(run->raw + row * run->n_raw, run->base, run->n_raw * sizeof *run->base);
    for (size_t i = 0; i < run->n_valid; i++)
        memcpy(run->valid_raw + i * run->n_raw, run->base, run->n_raw * sizeof *run->base);
    return LATHE_OK;
}

static lathe_status prepare(boost_run *run, lathe_error *err)
{
    const lathe__train_data *data = run->data;
    const lathe__gbdt_settings *s = run->s;
    lathe_status status = lathe__team_new(run->ctx, &run->team, err);
    if (status == LATHE_OK)
        status = lathe__gbdt_binner_fit(run->ctx, run->team, data->x, data->categorical, s->max_bin,
                                        s->seed, &run->binner, err);
    if (status == LATHE_OK)
        status =
            lathe__gbdt_codes_fill(run->ctx, run->team, &run->binner, data->x, &run->codes, err);
    if (status == LATHE_OK)
        status = hold_out(run, err);
    if (status == LATHE_OK && data->valid_x && s->early_stopping_rounds > 0) {
        status = lathe__gbdt_codes_fill(run->ctx, run->team, &run->binner, data->valid_x,
                                        &run->valid_codes, err);
        run->valid_from = &run->valid_codes;
        run->valid_y = data->valid_y;
        run->n_valid = data->valid_x->n_rows;
    }
    run->grower.quantized =
        s->quantized_gradients && lathe__gbdt_quant_levels(run->n_train, &run->quant);
    if (status == LATHE_OK)
        status = allocate(run, err);
    if (status == LATHE_OK)
        status = start_scores(run, err);
    run->grower.team = run->team;
    run->grower.binner = &run->binner;
    run->grower.codes = &run->codes;
    run->grower.split_params = s->split;
    run->grower.policy = s->policy;
    run->grower.max_depth = s->max_depth;
    run->grower.max_leaves = s->max_leaves;
    /* the score update places the last level's rows by their codes, unless leaves need their
       rows: quantized renewal and absolute error's medians read each leaf's */
    run->grower.defer_last_level = !run->grower.quantized && !run->median_scratch;
    if (status == LATHE_OK)
        status = lathe__gbdt_grower_init(run->ctx, &run->grower, run->n_rows, err);
    return status;
}

/* ---- one round ---- */

/* This round's rows. Without subsampling they are every training row, copied in the first
   round and kept: a serial pass over a million rows a round was 1.5% of a fit. */
static void draw_rows(boost_run *run, lathe__rng *rng)
{
    if (run->s->subsample >= 1.0) {
        if (run->n_sample != run->n_train)
            memcpy(run->sample, run->train_rows, run->n_train * sizeof *run->sample);
        run->n_sample = run->n_train;
        run->n_out_of_sample = 0;
        return;
    }
    run->n_sample = run->n_out_of_sample = 0;
    for (size_t i = 0; i < run->n_train; i++) {
        uint32_t row = run->train_rows[i];
        if (lathe__rng_uniform(rng) < run->s->subsample)
            run->sample[run->n_sample++] = row;
        else
            run->out_of_sample[run->n_out_of_sample++] = row;
    }
}

/* colsample_bytree: a uniform subset of the features, at least one. */
static void draw_columns(boost_run *run, lathe__rng *rng)
{
    size_t n = run->binner.n_features;
    size_t want = (size_t)llround(run->s->colsample_bytree * (double)n);
    if (want < 1)
        want = 1;
    for (size_t f = 0, taken = 0; f < n; f++) {
        bool take = taken < want && lathe__rng_below(rng, n - f) < want - taken;
        run->allowed[f] = take;
        taken += take;
    }
}

typedef struct gradient_job {
    boost_run *run;
    size_t n_blocks;
} gradient_job;

static void gradient_task(void *arg, size_t block)
{
    gradient_job *job = arg;
    boost_run *run = job->run;
    size_t lo = run->n_sample * block / job->n_blocks;
    size_t hi = run->n_sample * (block + 1) / job->n_blocks;
    /* the sample is ascending: when it is every row, positions are rows */
    const uint32_t *rows = run->n_sample == run->n_rows ? NULL : run->sample;
    lathe__gbdt_gradients(&run->s->loss, run->raw, run->data->y, run->w, rows, lo, hi, run->n_rows,
                          run->gh);
}

static void compute_gradients(boost_run *run)
{
    gradient_job job = {.run = run, .n_blocks = run->n_sample / GRADIENT_BLOCK_ROWS + 1};
    lathe__team_run(run->team, job.n_blocks, gradient_task, &job);
}

/* Absolute error: each leaf's weight becomes the weighted median of its rows' residuals. */
static void refit_medians(boost_run *run, size_t k)
{
    lathe__gbdt_grower *g = &run->grower;
    for (size_t node = 0; node < g->n_nodes; node++) {
        lathe__gbdt_node *leaf = &g->nodes[node];
        if (leaf->left >= 0)
            continue;
        size_t n = 0;
        for (uint32_t i = leaf->begin; i < leaf->end; i++) {
            uint32_t row = g->rows[i];
            run->median_scratch[n++] = (lathe__gbdt_weighted){
                run->data->y[row] - run->raw[row * run->n_raw + k], run->w[row]};
        }
        leaf->weight = lathe__gbdt_weighted_median(run->median_scratch, n);
    }
}

typedef struct apply_job {
    boost_run *run;
    size_t k;
    size_t n_tree_tasks; /* leaves, or blocks of the tree's rows when they are numbered */
    size_t n_tree_blocks, n_out_blocks, n_valid_blocks;
    double value[LATHE__GBDT_NUMBERED_LEAVES]; /* numbered leaves' values */
} apply_job;

#define APPLY_BLOCK_ROWS 16384
#define UNSPLIT_AHEAD 64

/* Rows [lo, hi) of a list walked down the grown tree into raw[row * n_raw + k]. */
static void apply_walk(const boost_run *run, const lathe__gbdt_codes *codes, const uint32_t *rows,
                       size_t lo, size_t hi, double *raw, size_t k, bool by_position)
{
    const lathe__gbdt_node *nodes = run->grower.nodes;
    double rate = run->s->learning_rate;
    for (size_t i = lo; i < hi; i++) {
        size_t row = rows ? rows[i] : i;
        size_t leaf = lathe__gbdt_grown_leaf(nodes, codes, row);
        raw[(by_position ? i : row) * run->n_raw + k] += nodes[leaf].weight * rate;
    }
}

/*
 * The tree's rows when the grower numbered their leaves: a block of them in
 * row order, each row's value by its leaf number. Walking leaf by leaf
 * instead touches a cache line of raw scores per row once leaves are small.
 */
static void apply_numbered(const apply_job *job, size_t block)
{
    const boost_run *run = job->run;
    const lathe__gbdt_grower *g = &run->grower;
    size_t lo = g->n_root * block / job->n_tree_blocks;
    size_t hi = g->n_root * (block + 1) / job->n_tree_blocks;
    for (size_t i = lo; i < hi; i++) {
        size_t row = g->root_rows ? g->root_rows[i] : i;
        run->raw[row * run->n_raw + job->k] += job->value[g->leaf_of[row]];
    }
}

/*
 * The rows of a node the grower left unsplit (defer_last_level), each sent
 * to its child by its code in the split's column: the same one addition of
 * the same leaf value per row as a partition would have led to.
 */
static void apply_unsplit(const boost_run *run, const lathe__gbdt_node *node, size_t k)
{
    const lathe__gbdt_grower *g = &run->grower;
    const uint8_t *column = run->codes.columns + node->split.feature * run->codes.n_rows;
    double rate = run->s->learning_rate;
    double value[2] = {g->nodes[node->right].weight * rate, g->nodes[node->left].weight * rate};
    for (uint32_t i = node->begin; i < node->end; i++) {
        if (i + UNSPLIT_AHEAD < node->end) { /* scattered rows: each score is a cache miss */
            size_t ahead = g->rows[i + UNSPLIT_AHEAD];
            __builtin_prefetch(&run->raw[ahead * run->n_raw + k], 1);
            __builtin_prefetch(&column[ahead]);
        }
        size_t row = g->rows[i];
        run->raw[row * run->n_raw + k] += value[lathe__gbdt_goes_left(&node->split, column[row])];
    }
}

/*
 * One task: a node's rows (task < n_nodes: a leaf's, or an unsplit node's
 * sent to its two leaves; other internal nodes have nothing to do) or a
 * block of the tree's rows (apply_numbered), a block of out-of-sample
 * training rows, or a block of validation rows. Every raw score gets
 * exactly one addition, so tasks never collide.
 */
static void apply_task(void *arg, size_t task)
{
    const apply_job *job = arg;
    boost_run *run = job->run;
    const lathe__gbdt_grower *g = &run->grower;
    if (task < job->n_tree_tasks && job->n_tree_blocks) {
        apply_numbered(job, task);
        return;
    }
    if (task < job->n_tree_tasks) {
        const lathe__gbdt_node *node = &g->nodes[task];
        if (node->rows_unsplit)
            apply_unsplit(run, node, job->k);
        if (node->left >= 0)
            return;
        double value = node->weight * run->s->learning_rate;
        for (uint32_t i = node->begin; i < node->end; i++)
            run->raw[(size_t)g->rows[i] * run->n_raw + job->k] += value;
        return;
    }
    task -= job->n_tree_tasks;
    bool out_of_sample = task < job->n_out_blocks;
    size_t block = out_of_sample ? task : task - job->n_out_blocks;
    size_t n = out_of_sample ? run->n_out_of_sample : run->n_valid;
    size_t blocks = out_of_sample ? job->n_out_blocks : job->n_valid_blocks;
    size_t lo = n * block / blocks, hi = n * (block + 1) / blocks;
    if (out_of_sample) {
        apply_walk(run, &run->codes, run->out_of_sample, lo, hi, run->raw, job->k, false);
        return;
    }
    bool held_out = run->valid_from == &run->codes; /* rows of the training codes */
    apply_walk(run, run->valid_from, held_out ? run->valid_rows : NULL, lo, hi, run->valid_raw,
               job->k, true);
}

/* Adds the grown tree's values to the raw scores of training and validation rows. */
static void apply_tree(boost_run *run, size_t k)
{
    const lathe__gbdt_grower *g = &run->grower;
    apply_job job = {.run = run,
                     .k = k,
                     .n_tree_tasks = g->n_nodes,
                     .n_out_blocks =
                         (run->n_out_of_sample + APPLY_BLOCK_ROWS - 1) / APPLY_BLOCK_ROWS,
                     .n_valid_blocks = (run->n_valid + APPLY_BLOCK_ROWS - 1) / APPLY_BLOCK_ROWS};
    if (g->n_numbered) {
        job.n_tree_tasks = job.n_tree_blocks =
            (g->n_root + APPLY_BLOCK_ROWS - 1) / APPLY_BLOCK_ROWS;
        for (size_t j = 0; j < g->n_numbered; j++)
            job.value[j] = g->nodes[g->numbered_node[j]].weight * run->s->learning_rate;
    }
    lathe__team_run(run->team, job.n_tree_tasks + job.n_out_blocks + job.n_valid_blocks, apply_task,
                    &job);
}

static lathe_status keep_tree(boost_run *run, lathe_error *err)
{
    if (!lathe__grow(run->ctx, (void **)&run->trees, &run->trees_capacity, run->n_trees + 1,
                     sizeof *run->trees))
        return lathe__error_nomem(err);
    lathe_status status =
        lathe__gbdt_tree_export(run->ctx, &run->binner, run->grower.nodes, run->grower.n_nodes,
                                run->s->learning_rate, &run->trees[run->n_trees], err);
    if (status == LATHE_OK)
        run->n_trees++;
    return status;
}

/*
 * Grows tree k of the round on gradients gh; quantized, on their rounding,
 * with the parameters in quantized units, then renews the leaf values.
 */
static lathe_status grow_tree(boost_run *run, size_t round, size_t k, const bool *allowed,
                              lathe_error *err)
{
    lathe__gbdt_grower *g = &run->grower;
    const lathe__gbdt_pair *gh = run->gh + k * run->n_rows;
    const uint32_t *rows = run->n_sample == run->n_rows ? NULL : run->sample;
    if (!g->quantized)
        return lathe__gbdt_grow(g, gh, NULL, run->sample, run->n_sample, allowed, err);
    uint64_t tree_seed = run->s->seed ^ (0x71756e74ull + round * run->n_raw + k); /* "qunt" */
    lathe__gbdt_quantize(run->team, &run->quant, gh, rows, run->n_sample, tree_seed,
                         run->quantized);
    g->split_params = lathe__gbdt_quant_params(&run->s->split, &run->quant);
    /* rows NULL (every row): renewal then reads no row list */
    lathe_status status =
        lathe__gbdt_grow(g, gh, run->quantized, rows, run->n_sample, allowed, err);
    if (status == LATHE_OK)
        lathe__gbdt_grown_renew(g, gh, &run->s->split, lathe__gbdt_quant_gain_scale(&run->quant));
    return status;
}

static lathe_status boost_round(boost_run *run, size_t round, lathe_error *err)
{
    lathe__rng rng;
    lathe__rng_seed(&rng, run->s->seed + 0x9e3779b97f4a7c15ull * (round + 1));
    draw_rows(run, &rng);
    compute_gradients(run);
    lathe_status status = LATHE_OK;
    for (size_t k = 0; k < run->n_raw && status == LATHE_OK; k++) {
        const bool *allowed = NULL;
        if (run->s->colsample_bytree < 1.0) {
            draw_columns(run, &rng);
            allowed = run->allowed;
        }
        status = grow_tree(run, round, k, allowed, err);
        if (status != LATHE_OK)
            break;
        if (run->median_scratch)
            refit_medians(run, k);
        apply_tree(run, k);
        status = keep_tree(run, err);
    }
    return status;
}

/* ---- validation and the loop ---- */

static double validation_metric(const boost_run *run)
{
    double total = 0.0;
    for (size_t i = 0; i < run->n_valid; i++) {
        size_t row = run->valid_rows && run->valid_from == &run->codes ? run->valid_rows[i] : i;
        total +=
            lathe__gbdt_row_loss(&run->s->loss, run->valid_raw + i * run->n_raw, run->valid_y[row]);
    }
    return lathe__gbdt_loss_metric(&run->s->loss, total / (double)run->n_valid);
}

static lathe_status boost_rounds(boost_run *run, lathe__gbdt_model *model, lathe_error *err)
{
    const lathe__gbdt_settings *s = run->s;
    bool watch = s->early_stopping_rounds > 0 && run->n_valid > 0;
    double best = INFINITY;
    size_t best_round = 0, round = 0;
    for (; round < s->n_estimators; round++) {
        lathe_status status = boost_round(run, round, err);
        if (status != LATHE_OK)
            return status;
        if (lathe__progress(run->ctx, "gbdt", (double)(round + 1), (double)s->n_estimators))
            return lathe__error(err, LATHE_CANCELED, "gbdt training was canceled");
        if (!watch)
            continue;
        double metric = validation_metric(run);
        if (metric < best - MIN_IMPROVEMENT * fabs(best) || round == 0) {
            best = metric;
            best_round = round;
        } else if (round - best_round >= s->early_stopping_rounds) {
            break;
        }
    }
    model->n_rounds = watch ? best_round + 1 : s->n_estimators;
    model->best_iteration = watch ? best_round : s->n_estimators - 1;
    model->best_score = watch ? best : NAN;
    if (watch)
        lathe__log(run->ctx, LATHE_LOG_INFO,
                   "gbdt: early stopping kept %zu of %zu rounds (validation %s %.6g)",
                   model->n_rounds, round < s->n_estimators ? round + 1 : round,
                   lathe__gbdt_objective_get(s->loss.id)->loss_name, best);
    return LATHE_OK;
}

/* Moves the kept trees into the model's ensemble. */
static lathe_status finish(boost_run *run, lathe__gbdt_model *model, lathe_error *err)
{
    const lathe__gbdt_objective *objective = lathe__gbdt_objective_get(run->s->loss.id);
    lathe__ensemble *e = &model->ensemble;
    size_t keep = model->n_rounds * run->n_raw;
    for (size_t t = keep; t < run->n_trees; t++)
        lathe__tree_release(run->ctx, &run->trees[t]);
    run->n_trees = keep;
    memset(e, 0, sizeof *e);
    e->n_features = run->data->x->n_cols;
    e->n_raw = run->n_raw;
    e->link = objective->link;
    e->n_outputs = objective->task == LATHE__TASK_CLASSIFICATION ? run->data->n_classes : 1;
    e->base_score = run->base;
    run->base = NULL;
    if (run->n_raw > 1) {
        e->tree_output = lathe__alloc(run->ctx, (keep ? keep : 1) * sizeof *e->tree_output);
        if (!e->tree_output)
            return lathe__error_nomem(err);
        for (size_t t = 0; t < keep; t++)
            e->tree_output[t] = (uint32_t)(t % run->n_raw);
    }
    e->trees = run->trees;
    e->n_trees = keep;
    run->trees = NULL;
    run->n_trees = 0;
    return lathe__ensemble_prepare(run->ctx, e, err); /* the layout prediction walks */
}

static void release_run(boost_run *run)
{
    lathe_ctx *ctx = run->ctx;
    lathe__gbdt_grower_release(&run->grower);
    lathe__team_free(ctx, run->team);
    lathe__gbdt_binner_release(ctx, &run->binner);
    lathe__gbdt_codes_release(ctx, &run->codes);
    lathe__gbdt_codes_release(ctx, &run->valid_codes);
    for (size_t t = 0; t < run->n_trees; t++)
        lathe__tree_release(ctx, &run->trees[t]);
    lathe__free(ctx, run->trees);
    lathe__free(ctx, run->train_rows);
    lathe__free(ctx, run->valid_rows);
    lathe__free(ctx, run->sample);
    lathe__free(ctx, run->out_of_sample);
    lathe__free(ctx, run->allowed);
    lathe__free(ctx, run->raw);
    lathe__free(ctx, run->valid_raw);
    lathe__free(ctx, run->gh);
    lathe__free(ctx, run->quantized);
    lathe__free(ctx, run->median_scratch);
    lathe__free(ctx, run->base);
}

lathe_status lathe__gbdt_boost(lathe_ctx *ctx, const lathe__train_data *data, const double *w,
                               const lathe__gbdt_settings *settings, lathe__gbdt_model *model,
                               lathe_error *err)
{
    boost_run run = {.ctx = ctx, .data = data, .w = w, .s = settings};
    run.n_rows = data->x->n_rows;
    run.n_raw = settings->loss.n_raw;
    lathe_status status = prepare(&run, err);
    if (status == LATHE_OK)
        status = boost_rounds(&run, model, err);
    if (status == LATHE_OK)
        status = finish(&run, model, err);
    if (status != LATHE_OK)
        lathe__ensemble_release(ctx, &model->ensemble);
    release_run(&run);
    return status;
}
