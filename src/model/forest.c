/*
 * forest.c: the `forest` (random forest, Breiman 2001) and `extra_trees`
 * (extremely randomized trees, Geurts et al. 2006) families, with
 * scikit-learn's parameter names and defaults (1.2): 100 trees, sqrt of the
 * features per split for classification and all of them for regression,
 * bootstrap samples for forests, the whole training set for extra trees.
 *
 * Determinism: tree t draws its bootstrap sample, features and thresholds
 * from its own stream, seeded from (the context's seed, t) alone. Threads
 * take trees from a shared counter and each writes only its trees' slots,
 * so the forest is the same bits whatever the thread count. Out-of-bag
 * predictions are summed per row over trees in tree order, in blocks of
 * rows, so the OOB score does not depend on threads either.
 *
 * A bootstrap sample is kept as counts: a row drawn k times weighs k times
 * its weight, and rows never drawn are left out of the tree (and are its
 * out-of-bag rows), as scikit-learn does. The codes of the training data
 * are built once and shared read-only by every tree.
 */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "core/internal.h"
#include "model/cart.h"
#include "model/parallel.h"

#include "core/banned.h"

#define MAX_THREADS 64
#define OOB_BLOCK_ROWS 1024

#define FOREST_PARAMS(bootstrap_default)                                                           \
    LATHE__CART_PARAMS,                                                                            \
        {.name = "n_estimators",                                                                   \
         .type = LATHE__PARAM_INT,                                                                 \
         .default_value = "100",                                                                   \
         .min = 1,                                                                                 \
         .max = 1e6,                                                                               \
         .help = "number of trees"},                                                               \
        {.name = "bootstrap",                                                                      \
         .type = LATHE__PARAM_BOOL,                                                                \
         .default_value = bootstrap_default,                                                       \
         .help = "grow each tree on a bootstrap sample of the rows (else on all of them)"},        \
        {.name = "max_samples",                                                                    \
         .type = LATHE__PARAM_DOUBLE,                                                              \
         .default_value = "1",                                                                     \
         .min = 0,                                                                                 \
         .max = 1e15,                                                                              \
         .bounds = LATHE__PARAM_MIN_EXCLUSIVE,                                                     \
         .help = "rows drawn per bootstrap sample: a fraction (<= 1) or a count (> 1)"},           \
        {.name = "oob_score",                                                                      \
         .type = LATHE__PARAM_BOOL,                                                                \
         .default_value = "false",                                                                 \
         .help = "score each row with the trees that did not see it (accuracy or R^2)"},           \
    {                                                                                              \
        .name = "class_weight", .type = LATHE__PARAM_STRING, .default_value = "none",              \
        .help = "none, balanced, balanced_subsample (per bootstrap sample) or CLASS:WEIGHT "       \
                "pairs by class index such as 0:1,1:5"                                             \
    }

static const lathe__param_spec forest_params[] = {FOREST_PARAMS("true")};
static const lathe__param_spec extra_trees_params[] = {FOREST_PARAMS("false")};

typedef struct forest_job {
    lathe_ctx *ctx;
    pthread_mutex_t lock;
    const lathe__cart_data *data;
    const lathe__cart_options *options;
    const double *base_weights; /* sample weight x class weight */
    size_t n_trees;
    bool bootstrap, balanced_subsample;
    size_t n_draws;
    uint64_t seed;
    lathe__tree *trees;
    uint64_t *oob_bits; /* tree t's out-of-bag rows at t * oob_words, when wanted */
    size_t oob_words;
    atomic_size_t next, done;
    atomic_bool stop;
    lathe_status status; /* the first failure, under the lock */
    lathe_error err;
} forest_job;

/* splitmix64's output function: decorrelates the seeds of neighbouring trees. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void tree_rng(uint64_t seed, size_t tree, lathe__rng *rng)
{
    lathe__rng_seed(rng, mix(seed + 0x9e3779b97f4a7c15ull * (tree + 1)));
}

/* The tree's row weights: bootstrap counts x base weights (x per-sample class balance). */
static void tree_weights(const forest_job *job, lathe__rng *rng, uint32_t *counts, double *weights)
{
    size_t n = job->data->n_rows;
    if (!job->bootstrap) {
        memcpy(weights, job->base_weights, n * sizeof *weights);
        return;
    }
    memset(counts, 0, n * sizeof *counts);
    for (size_t i = 0; i < job->n_draws; i++)
        counts[lathe__rng_below(rng, n)]++;
    for (size_t row = 0; row < n; row++)
        weights[row] = job->base_weights[row] * counts[row];
    if (!job->balanced_subsample)
        return;
    size_t n_classes = job->data->n_classes, present = 0;
    double drawn[256] = {0}; /* balanced_subsample is refused above 256 classes */
    for (size_t row = 0; row < n; row++)
        drawn[job->data->classes[row]] += counts[row];
    for (size_t k = 0; k < n_classes; k++)
        present += drawn[k] > 0;
    for (size_t row = 0; row < n; row++)
        if (counts[row])
            weights[row] *=
                (double)job->n_draws / ((double)present * drawn[job->data->classes[row]]);
}

static void record_oob(forest_job *job, size_t tree, const uint32_t *counts)
{
    uint64_t *bits = job->oob_bits + tree * job->oob_words;
    for (size_t row = 0; row < job->data->n_rows; row++)
        if (!counts[row])
            bits[row >> 6] |= (uint64_t)1 << (row & 63);
}

static void fail(forest_job *job, lathe_status status, const lathe_error *err)
{
    pthread_mutex_lock(&job->lock);
    if (job->status == LATHE_OK) {
        job->status = status;
        job->err = *err;
    }
    pthread_mutex_unlock(&job->lock);
    atomic_store(&job->stop, true);
}

static lathe_status grow_tree(forest_job *job, lathe__cart_workspace *ws, size_t t,
                              uint32_t *counts, double *weights, lathe_error *err)
{
    lathe__rng rng;
    tree_rng(job->seed, t, &rng);
    tree_weights(job, &rng, counts, weights);
    lathe_status status = lathe__cart_grow(ws, weights, &rng, err);
    if (status == LATHE_OK)
        status = lathe__cart_emit(ws, &job->trees[t], err);
    if (status == LATHE_OK && job->oob_bits)
        record_oob(job, t, counts);
    return status;
}

/* One thread's share: its scratch, allocated before the threads start. */
typedef struct forest_worker {
    forest_job *job;
    uint32_t *counts; /* n_rows bootstrap counts */
    double *weights;  /* n_rows weights of the current tree */
    bool report;      /* the caller's thread reports progress */
} forest_worker;

/* Grows trees until none are left. */
static void *grow_trees(void *arg)
{
    forest_worker *w = arg;
    forest_job *job = w->job;
    lathe_error err = {0};
    lathe__cart_workspace *ws = NULL;
    lathe_status status =
        lathe__cart_workspace_new(job->ctx, &job->lock, job->data, job->options, &ws, &err);
    while (status == LATHE_OK && !atomic_load(&job->stop)) {
        size_t t = atomic_fetch_add(&job->next, 1);
        if (t >= job->n_trees)
            break;
        status = grow_tree(job, ws, t, w->counts, w->weights, &err);
        size_t done = atomic_fetch_add(&job->done, 1) + 1;
        if (status == LATHE_OK && w->report &&
            lathe__progress(job->ctx, "forest", (double)done, (double)job->n_trees))
            status = lathe__error(&err, LATHE_CANCELED, "training canceled");
    }
    if (status != LATHE_OK)
        fail(job, status, &err);
    lathe__cart_workspace_free(ws);
    return NULL;
}

static lathe_status run_job(forest_job *job, lathe_error *err)
{
    size_t n_threads = (size_t)lathe_ctx_threads(job->ctx), n = job->data->n_rows;
    if (n_threads > job->n_trees)
        n_threads = job->n_trees;
    if (n_threads > MAX_THREADS)
        n_threads = MAX_THREADS;
    if (n_threads < 1)
        n_threads = 1;
    forest_worker workers[MAX_THREADS];
    pthread_t threads[MAX_THREADS];
    size_t ready = 0, started = 0;
    for (; ready < n_threads; ready++) {
        workers[ready] = (forest_worker){.job = job, .report = ready == 0};
        workers[ready].counts = lathe__calloc(job->ctx, n, sizeof(uint32_t));
        workers[ready].weights = lathe__calloc(job->ctx, n, sizeof(double));
        if (!workers[ready].counts || !workers[ready].weights) {
            lathe__free(job->ctx, workers[ready].counts);
            lathe__free(job->ctx, workers[ready].weights);
            break;
        }
    }
    if (ready == 0)
        return lathe__error_nomem(err);
    while (started + 1 < ready &&
           pthread_create(&threads[started], NULL, grow_trees, &workers[started + 1]) == 0)
        started++;
    grow_trees(&workers[0]);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    for (size_t i = 0; i < ready; i++) {
        lathe__free(job->ctx, workers[i].counts);
        lathe__free(job->ctx, workers[i].weights);
    }
    if (job->status != LATHE_OK && err)
        *err = job->err;
    return job->status;
}

/* ---- out-of-bag score ------------------------------------------------------ */

/* The leaf a training row reaches, walking on its codes (exact: codes order as values). */
static size_t leaf_by_codes(const lathe__tree *tree, const lathe__cart_data *data, size_t row)
{
    size_t node = 0;
    while (tree->left[node] >= 0) {
        uint32_t f = tree->feature[node];
        uint32_t code = data->codes[(size_t)f * data->n_rows + row];
        bool left;
        if (code == LATHE__CART_MISSING)
            left = tree->default_left[node];
        else if (tree->cat_words[node])
            left = code >> 6 < tree->cat_words[node] &&
                   ((tree->cat_bits[tree->cat_start[node] + (code >> 6)] >> (code & 63)) & 1u);
        else
            left = data->levels[data->level_start[f] + code] <= tree->threshold[node];
        node = (size_t)(left ? tree->left[node] : tree->right[node]);
    }
    return node;
}

typedef struct oob_sums {
    const forest_job *job;
    size_t n_outputs;
    double *sums;     /* n_rows x n_outputs */
    uint32_t *counts; /* trees each row was out of bag for */
} oob_sums;

static void oob_block(void *arg, size_t block)
{
    const oob_sums *o = arg;
    const forest_job *job = o->job;
    size_t n = job->data->n_rows, begin = block * OOB_BLOCK_ROWS;
    size_t end = begin + OOB_BLOCK_ROWS < n ? begin + OOB_BLOCK_ROWS : n;
    for (size_t t = 0; t < job->n_trees; t++) {
        const lathe__tree *tree = &job->trees[t];
        const uint64_t *bits = job->oob_bits + t * job->oob_words;
        for (size_t row = begin; row < end; row++) {
            if (!((bits[row >> 6] >> (row & 63)) & 1u))
                continue;
            const double *value = tree->value + leaf_by_codes(tree, job->data, row) * o->n_outputs;
            for (size_t k = 0; k < o->n_outputs; k++)
                o->sums[row * o->n_outputs + k] += value[k];
            o->counts[row]++;
        }
    }
}

/* Accuracy (classes) or R^2 (values) over rows with an out-of-bag tree, as scikit-learn. */
static double score_oob(const oob_sums *o, size_t *n_scored)
{
    const lathe__cart_data *data = o->job->data;
    double hits = 0, mean = 0, residual = 0, total = 0;
    *n_scored = 0;
    for (size_t row = 0; row < data->n_rows; row++)
        if (o->counts[row] && !data->classes) {
            mean += data->y[row];
            (*n_scored)++;
        }
    mean = *n_scored ? mean / (double)*n_scored : 0;
    *n_scored = 0;
    for (size_t row = 0; row < data->n_rows; row++) {
        if (!o->counts[row])
            continue;
        (*n_scored)++;
        const double *s = o->sums + row * o->n_outputs;
        if (data->classes) {
            size_t best = 0;
            for (size_t k = 1; k < o->n_outputs; k++)
                best = s[k] > s[best] ? k : best;
            hits += best == data->classes[row];
        } else {
            double predicted = s[0] / o->counts[row], y = data->y[row];
            residual += (y - predicted) * (y - predicted);
            total += (y - mean) * (y - mean);
        }
    }
    if (!*n_scored)
        return NAN;
    return data->classes ? hits / (double)*n_scored : (total > 0 ? 1 - residual / total : NAN);
}

static lathe_status oob_score(lathe_ctx *ctx, const forest_job *job, size_t n_outputs,
                              const char *family, double *score, lathe_error *err)
{
    size_t n = job->data->n_rows, n_values, n_scored;
    if (lathe__mul_overflows(n, n_outputs, &n_values))
        return lathe__error(err, LATHE_LIMIT, "too many rows and classes for out-of-bag scores");
    oob_sums o = {.job = job, .n_outputs = n_outputs};
    o.sums = lathe__calloc(ctx, n_values, sizeof *o.sums);
    o.counts = lathe__calloc(ctx, n, sizeof *o.counts);
    if (!o.sums || !o.counts) {
        lathe__free(ctx, o.sums);
        lathe__free(ctx, o.counts);
        return lathe__error_nomem(err);
    }
    lathe__parallel_for(ctx, (n + OOB_BLOCK_ROWS - 1) / OOB_BLOCK_ROWS, oob_block, &o);
    *score = score_oob(&o, &n_scored);
    lathe__log(ctx, LATHE_LOG_INFO, "%s: out-of-bag %s %.4f on %zu of %zu rows", family,
               job->data->classes ? "accuracy" : "R^2", *score, n_scored, n);
    if (n_scored < n)
        lathe__log(ctx, LATHE_LOG_WARN,
                   "%s: %zu rows were in every bootstrap sample and have no out-of-bag "
                   "prediction; use more trees for a reliable out-of-bag score",
                   family, n - n_scored);
    lathe__free(ctx, o.sums);
    lathe__free(ctx, o.counts);
    return LATHE_OK;
}

/* ---- fit ----------------------------------------------------------------------- */

static lathe_status draws_of(const lathe__param_values *params, size_t n_rows, size_t *out,
                             lathe_error *err)
{
    double v = lathe__params_number(params, "max_samples");
    if (v <= 1) {
        double rows = round(v * (double)n_rows);
        *out = rows < 1 ? 1 : (size_t)rows;
        return LATHE_OK;
    }
    if (v != floor(v) || v > (double)n_rows)
        return lathe__error(err, LATHE_INVALID,
                            "max_samples=%g: give a fraction up to 1 or a whole number of rows up "
                            "to the %zu training rows",
                            v, n_rows);
    *out = (size_t)v;
    return LATHE_OK;
}

/* The job's settings from the parameters; checks the combinations scikit-learn refuses. */
static lathe_status configure(forest_job *job, const lathe__param_values *params,
                              const char *family, bool *want_oob, lathe_error *err)
{
    const char *class_weight = lathe__params_text(params, "class_weight");
    job->n_trees = (size_t)lathe__params_number(params, "n_estimators");
    job->bootstrap = lathe__params_number(params, "bootstrap") != 0;
    job->balanced_subsample = class_weight && strcmp(class_weight, "balanced_subsample") == 0;
    *want_oob = lathe__params_number(params, "oob_score") != 0;
    if (*want_oob && !job->bootstrap)
        return lathe__error(err, LATHE_INVALID,
                            "%s: oob_score needs bootstrap=true (without bootstrap samples no row "
                            "is out of bag)",
                            family);
    if (job->balanced_subsample && (!job->data->classes || job->data->n_classes > 256))
        return lathe__error(err, LATHE_INVALID,
                            "%s: class_weight=balanced_subsample needs a class target of at most "
                            "256 classes",
                            family);
    if (job->balanced_subsample && !job->bootstrap)
        job->balanced_subsample = false; /* the whole set: "balanced" weights already apply */
    return draws_of(params, job->data->n_rows, &job->n_draws, err);
}

static lathe_status new_model(lathe_ctx *ctx, const lathe__model_ops *ops,
                              const lathe__train_data *train, size_t n_trees,
                              lathe__cart_model **out, lathe_error *err)
{
    lathe__cart_model *m = lathe__calloc(ctx, 1, sizeof *m);
    if (!m || !(m->ensemble.trees = lathe__calloc(ctx, n_trees, sizeof *m->ensemble.trees))) {
        lathe__free(ctx, m);
        return lathe__error_nomem(err);
    }
    m->family = ops->name;
    m->task = train->task;
    m->n_classes = train->task == LATHE__TASK_CLASSIFICATION ? train->n_classes : 0;
    m->oob_score = NAN;
    lathe__ensemble *e = &m->ensemble;
    e->n_features = train->x->n_cols;
    e->n_outputs = e->n_raw = m->n_classes ? m->n_classes : 1;
    e->link = LATHE__LINK_AVERAGE;
    e->n_trees = n_trees;
    *out = m;
    return LATHE_OK;
}

static lathe_status grow_forest(lathe_ctx *ctx, forest_job *job, lathe__cart_model *m,
                                bool want_oob, lathe_error *err)
{
    job->trees = m->ensemble.trees;
    job->oob_words = (job->data->n_rows + 63) / 64;
    size_t n_words;
    if (want_oob) {
        if (lathe__mul_overflows(job->oob_words, job->n_trees, &n_words))
            return lathe__error(err, LATHE_LIMIT, "too many trees and rows for out-of-bag rows");
        if (!(job->oob_bits = lathe__calloc(ctx, n_words, sizeof *job->oob_bits)))
            return lathe__error_nomem(err);
    }
    lathe_status status = run_job(job, err);
    if (status == LATHE_OK && want_oob)
        status = oob_score(ctx, job, m->ensemble.n_outputs, m->family, &m->oob_score, err);
    lathe__free(ctx, job->oob_bits);
    job->oob_bits = NULL;
    return status;
}

static lathe_status forest_fit_family(lathe_ctx *ctx, const lathe__model_ops *ops,
                                      const lathe__train_data *train,
                                      const lathe__param_values *params, void **model,
                                      lathe_error *err)
{
    lathe__cart_data data;
    lathe__cart_options options;
    lathe__cart_model *m = NULL;
    double *weights = NULL;
    bool want_oob = false;
    lathe_status status = lathe__cart_data_init(ctx, ops, train, &data, err);
    if (status != LATHE_OK)
        return status;
    forest_job job = {.ctx = ctx, .data = &data, .options = &options, .seed = lathe_ctx_seed(ctx)};
    pthread_mutex_init(&job.lock, NULL);
    atomic_init(&job.next, 0);
    atomic_init(&job.done, 0);
    atomic_init(&job.stop, false);
    const char *max_features = data.n_classes ? "sqrt" : "1.0";
    status = lathe__cart_options_from(params, &data, max_features, &options, err);
    options.random_splits = ops == &lathe__extra_trees_ops;
    if (status == LATHE_OK)
        status = configure(&job, params, ops->name, &want_oob, err);
    if (status == LATHE_OK)
        status = lathe__cart_row_weights(ctx, train, lathe__params_text(params, "class_weight"),
                                         &weights, err);
    job.base_weights = weights;
    if (status == LATHE_OK)
        status = new_model(ctx, ops, train, job.n_trees, &m, err);
    if (status == LATHE_OK)
        status = grow_forest(ctx, &job, m, want_oob, err);
    if (status == LATHE_OK)
        status = lathe__ensemble_prepare(ctx, &m->ensemble, err);
    if (status == LATHE_OK) {
        *model = m;
        m = NULL;
    }
    lathe__cart_model_free(ctx, m);
    lathe__free(ctx, weights);
    pthread_mutex_destroy(&job.lock);
    lathe__cart_data_release(ctx, &data);
    return status;
}

static lathe_status forest_fit(lathe_ctx *ctx, const lathe__train_data *train,
                               const lathe__param_values *params, void **model, lathe_error *err)
{
    return forest_fit_family(ctx, &lathe__forest_ops, train, params, model, err);
}

static lathe_status extra_trees_fit(lathe_ctx *ctx, const lathe__train_data *train,
                                    const lathe__param_values *params, void **model,
                                    lathe_error *err)
{
    return forest_fit_family(ctx, &lathe__extra_trees_ops, train, params, model, err);
}

static lathe_status forest_load(lathe_ctx *ctx, lathe__rbuf *buf, void **model, lathe_error *err)
{
    return lathe__cart_model_load(ctx, buf, lathe__forest_ops.name, model, err);
}

static lathe_status extra_trees_load(lathe_ctx *ctx, lathe__rbuf *buf, void **model,
                                     lathe_error *err)
{
    return lathe__cart_model_load(ctx, buf, lathe__extra_trees_ops.name, model, err);
}

const lathe__model_ops lathe__forest_ops = {
    .name = "forest",
    .summary = "a random forest: CART trees on bootstrap samples, averaged",
    .tasks = LATHE__TASK_CLASSIFICATION | LATHE__TASK_REGRESSION,
    .params = forest_params,
    .n_params = sizeof forest_params / sizeof forest_params[0],
    .native_missing = true,
    .fit = forest_fit,
    .predict = lathe__cart_model_predict,
    .predict_parallel = lathe__cart_model_predict_parallel,
    .n_outputs = lathe__cart_model_n_outputs,
    .n_features = lathe__cart_model_n_features,
    .save = lathe__cart_model_save,
    .load = forest_load,
    .free = lathe__cart_model_free,
    .ensemble = lathe__cart_model_ensemble,
    .facts = lathe__cart_model_facts,
};

const lathe__model_ops lathe__extra_trees_ops = {
    .name = "extra_trees",
    .summary = "extremely randomized trees: random thresholds, averaged",
    .tasks = LATHE__TASK_CLASSIFICATION | LATHE__TASK_REGRESSION,
    .params = extra_trees_params,
    .n_params = sizeof extra_trees_params / sizeof extra_trees_params[0],
    .native_missing = true,
    .fit = extra_trees_fit,
    .predict = lathe__cart_model_predict,
    .predict_parallel = lathe__cart_model_predict_parallel,
    .n_outputs = lathe__cart_model_n_outputs,
    .n_features = lathe__cart_model_n_features,
    .save = lathe__cart_model_save,
    .load = extra_trees_load,
    .free = lathe__cart_model_free,
    .ensemble = lathe__cart_model_ensemble,
    .facts = lathe__cart_model_facts,
};
