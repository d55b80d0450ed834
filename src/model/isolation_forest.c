/*
 * isolation_forest.c: the `isolation_forest` family (Liu, Ting and Zhou
 * 2008), as scikit-learn's IsolationForest: n_estimators trees, each grown
 * on max_samples rows ("auto": min(256, rows)) to depth ceil(log2
 * max_samples), every split a random feature and a threshold uniform
 * between the node's smallest and largest value. A row's anomaly score is
 * 2^(-mean path length / c(max_samples)), in (0, 1], higher is more
 * anomalous (scikit-learn's -score_samples). Missing values (NaN) go to a
 * random side at each split; category codes split as ordered numbers.
 *
 * As a Lathe model it works two ways:
 *
 *  - Scores (data->y NULL, for library callers): trees see every row;
 *    predict writes one value per row, the anomaly score (n_outputs 1).
 *
 *  - A rare class as anomalies (a binary class target, what `lathe train
 *    --target y --model isolation_forest` gives): the class with less
 *    training weight is "rare"; trees see only rows of the other class
 *    (novelty detection), so the rare rows are what they fail to model.
 *    (fit_on=all lets them sample every row instead, as unsupervised use
 *    would; on shuttle, rest against Rad.Flow, the common class alone
 *    ranks better: test ROC-AUC 0.93 against 0.84, as with scikit-learn.)
 *    Every training row is then scored by the trees that did not sample it
 *    (out of bag, so normal rows are not flattered by their own trees), and
 *    a monotone calibration turns scores into probabilities:
 *        p(rare | score) = 1 / (1 + exp(-slope * (score - threshold)))
 *    where `threshold` is the (1 - contamination) quantile of the training
 *    rows' scores (contamination "auto": the rare class's weight share) and
 *    `slope` >= 0 maximizes the weighted log-likelihood of the training
 *    labels (Platt scaling with its midpoint pinned at the threshold). So
 *    predict gives n_classes == 2 probabilities, the predicted class is
 *    "rare" exactly when the score passes the contamination threshold, and
 *    ROC-AUC is the raw score's, since the map is monotone. `lathe predict
 *    --proba` prints p(rare) as the score.
 *
 * Determinism: tree t draws its rows, features and thresholds from its own
 * stream seeded by (seed, t); every array is allocated before the threads
 * start and each tree writes only its own, so any thread count gives the
 * same bits.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/number.h"
#include "core/rng.h"
#include "model/cart.h"
#include "model/parallel.h"
#include "model/tree.h"

#include "core/banned.h"

#define FORMAT_VERSION 1
#define FAMILY "isolation_forest"
#define MAX_STACK 64
#define SCORE_BLOCK_ROWS 256
#define CALIBRATION_ROUNDS 100
#define MAX_SLOPE 1e4

static const lathe__param_spec isolation_params[] = {
    {.name = "n_estimators",
     .type = LATHE__PARAM_INT,
     .default_value = "100",
     .min = 1,
     .max = 1e6,
     .help = "number of trees"},
    {.name = "max_samples",
     .type = LATHE__PARAM_STRING,
     .default_value = "auto",
     .help = "rows per tree: auto (min(256, rows)), a count, or a fraction such as 0.5"},
    {.name = "contamination",
     .type = LATHE__PARAM_STRING,
     .default_value = "auto",
     .help = "share of anomalies, setting the threshold: auto (the rare class's share; 0.5 "
             "score without classes) or a fraction in (0, 0.5]"},
    {.name = "max_features",
     .type = LATHE__PARAM_DOUBLE,
     .default_value = "1",
     .min = 0,
     .max = 1e9,
     .bounds = LATHE__PARAM_MIN_EXCLUSIVE,
     .help = "features per tree: a fraction (<= 1) or a count (> 1)"},
    {.name = "bootstrap",
     .type = LATHE__PARAM_BOOL,
     .default_value = "false",
     .help = "draw each tree's rows with replacement"},
    {.name = "fit_on",
     .type = LATHE__PARAM_CHOICE,
     .default_value = "majority",
     .choices = "majority|all",
     .help = "with a class target, the rows trees sample: the common class only, or all rows"},
};

typedef struct isolation_model {
    lathe__ensemble ensemble; /* ISOLATION link: predictions are anomaly scores */
    size_t n_classes;         /* 0: scores; 2: probabilities of the classes */
    uint32_t rare_class;
    double threshold; /* the anomaly score at the contamination quantile */
    double slope;     /* p(rare) = sigmoid(slope * (score - threshold)) */
    double contamination;
} isolation_model;

/* ---- growing ------------------------------------------------------------------- */

typedef struct isolation_job {
    const lathe__matrix *x;
    const uint32_t *fit_rows; /* the rows trees may sample */
    size_t n_fit_rows;
    size_t n_samples; /* rows per tree */
    size_t n_tree_features;
    size_t max_depth;
    bool bootstrap;
    uint64_t seed;
    lathe__tree *trees;
    uint32_t *sampled;  /* tree t's rows at t * n_samples, sorted afterwards */
    uint32_t *features; /* tree t's features at t * n_features */
} isolation_job;

static double value_at(const lathe__matrix *x, size_t row, uint32_t f)
{
    if (x->dense)
        return x->dense[row * x->n_cols + f];
    for (size_t i = x->row_start[row]; i < x->row_start[row + 1]; i++)
        if (x->col_index[i] == f)
            return x->sparse_values[i];
    return 0;
}

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void tree_rng(uint64_t seed, size_t tree, uint64_t stream, lathe__rng *rng)
{
    lathe__rng_seed(rng, mix(seed + 0x9e3779b97f4a7c15ull * (tree + 1) + stream));
}

/*
 * Draws every tree's rows and features, tree by tree from each tree's own
 * stream, before the threads start: rows without replacement by Floyd's
 * algorithm (`taken` marks positions of fit_rows, cleared after each tree).
 */
static void draw_samples(const isolation_job *job, size_t n_trees, uint8_t *taken)
{
    size_t n = job->n_fit_rows, k = job->n_samples, d = job->x->n_cols;
    for (size_t t = 0; t < n_trees; t++) {
        lathe__rng rng;
        tree_rng(job->seed, t, 1, &rng);
        uint32_t *rows = job->sampled + t * k, *features = job->features + t * d;
        for (size_t i = 0, j = n - k; i < k; i++, j++) {
            size_t pick = (size_t)lathe__rng_below(&rng, job->bootstrap ? n : j + 1);
            if (!job->bootstrap && taken[pick])
                pick = j;
            taken[pick] = 1;
            rows[i] = (uint32_t)pick;
        }
        for (size_t i = 0; i < k; i++) {
            taken[rows[i]] = 0;
            rows[i] = job->fit_rows[rows[i]];
        }
        for (size_t f = 0; f < d; f++)
            features[f] = (uint32_t)f;
        for (size_t i = 0; i < job->n_tree_features && job->n_tree_features < d; i++) {
            size_t j = i + (size_t)lathe__rng_below(&rng, d - i);
            uint32_t swap = features[i];
            features[i] = features[j];
            features[j] = swap;
        }
    }
}

typedef struct isolation_node {
    size_t start, end, depth;
    int32_t parent;
    bool is_left;
} isolation_node;

/* Picks a random non-constant feature of rows[start, end) and a threshold; false if none. */
static bool pick_split(const isolation_job *job, lathe__rng *rng, uint32_t *features,
                       const uint32_t *rows, size_t start, size_t end, uint32_t *feature,
                       double *threshold)
{
    size_t m = job->n_tree_features;
    for (size_t k = 0; k < m; k++) {
        size_t j = k + (size_t)lathe__rng_below(rng, m - k);
        uint32_t f = features[j];
        features[j] = features[k];
        features[k] = f;
        double low = INFINITY, high = -INFINITY;
        for (size_t p = start; p < end; p++) {
            double v = value_at(job->x, rows[p], f);
            low = v < low ? v : low;
            high = v > high ? v : high;
        }
        if (!(high > low))
            continue;
        double t = low + lathe__rng_uniform(rng) * (high - low);
        *threshold = t >= high ? low : t;
        *feature = f;
        return true;
    }
    return false;
}

static size_t partition(const isolation_job *job, uint32_t *rows, size_t start, size_t end,
                        uint32_t feature, double threshold, bool missing_left)
{
    size_t p = start, q = end;
    while (p < q) {
        double v = value_at(job->x, rows[p], feature);
        if (isnan(v) ? missing_left : v <= threshold) {
            p++;
        } else {
            uint32_t t = rows[p];
            rows[p] = rows[--q];
            rows[q] = t;
        }
    }
    return p;
}

static int32_t add_leaf_or_node(lathe__tree *tree, const isolation_node *r)
{
    int32_t id = (int32_t)tree->n_nodes++;
    if (r->parent >= 0) {
        if (r->is_left)
            tree->left[r->parent] = id;
        else
            tree->right[r->parent] = id;
    }
    size_t n = r->end - r->start;
    tree->cover[id] = (double)n;
    tree->value[id] = (double)r->depth + lathe__isolation_average_path((double)n);
    return id;
}

static void grow_isolation_tree(void *arg, size_t t)
{
    const isolation_job *job = arg;
    lathe__rng rng;
    tree_rng(job->seed, t, 0, &rng);
    uint32_t *rows = job->sampled + t * job->n_samples;
    uint32_t *features = job->features + t * job->x->n_cols;
    lathe__tree *tree = &job->trees[t];
    isolation_node stack[MAX_STACK];
    size_t top = 0;
    stack[top++] = (isolation_node){.end = job->n_samples, .parent = -1};
    tree->n_nodes = 0;
    while (top > 0) {
        isolation_node r = stack[--top];
        int32_t id = add_leaf_or_node(tree, &r);
        uint32_t feature;
        double threshold;
        if (r.depth >= job->max_depth || r.end - r.start <= 1 ||
            !pick_split(job, &rng, features, rows, r.start, r.end, &feature, &threshold))
            continue;
        bool missing_left = lathe__rng_next(&rng) >> 63;
        size_t pos = partition(job, rows, r.start, r.end, feature, threshold, missing_left);
        tree->feature[id] = feature;
        tree->threshold[id] = threshold;
        tree->default_left[id] = missing_left;
        stack[top++] = (isolation_node){pos, r.end, r.depth + 1, id, false};
        stack[top++] = (isolation_node){r.start, pos, r.depth + 1, id, true};
    }
}

/* ---- scores of the training rows, out of bag ------------------------------------- */

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static bool was_sampled(const uint32_t *sorted, size_t n, uint32_t row)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && sorted[lo] == row;
}

typedef struct scoring {
    const isolation_job *job;
    const lathe__ensemble *ensemble;
    double *rows_buffer; /* per block: one dense row of a sparse matrix */
    double *scores;
} scoring;

static void score_block(void *arg, size_t block)
{
    const scoring *s = arg;
    const isolation_job *job = s->job;
    const lathe__matrix *x = job->x;
    size_t end =
        (block + 1) * SCORE_BLOCK_ROWS < x->n_rows ? (block + 1) * SCORE_BLOCK_ROWS : x->n_rows;
    double *dense = x->dense ? NULL : s->rows_buffer + block * x->n_cols;
    for (size_t row = block * SCORE_BLOCK_ROWS; row < end; row++) {
        const double *values = x->dense ? x->dense + row * x->n_cols : dense;
        for (size_t f = 0; !x->dense && f < x->n_cols; f++)
            dense[f] = value_at(x, row, (uint32_t)f);
        double out_of_bag = 0, all = 0;
        size_t n_out = 0;
        for (size_t t = 0; t < s->ensemble->n_trees; t++) {
            const lathe__tree *tree = &s->ensemble->trees[t];
            double path = tree->value[lathe__tree_leaf(tree, values)];
            all += path;
            if (!was_sampled(job->sampled + t * job->n_samples, job->n_samples, (uint32_t)row)) {
                out_of_bag += path;
                n_out++;
            }
        }
        double mean = n_out ? out_of_bag / (double)n_out : all / (double)s->ensemble->n_trees;
        s->scores[row] = exp2(-mean / s->ensemble->isolation_normalizer);
    }
}

static lathe_status training_scores(lathe_ctx *ctx, isolation_job *job,
                                    const lathe__ensemble *ensemble, double *scores,
                                    lathe_error *err)
{
    size_t n_blocks = (job->x->n_rows + SCORE_BLOCK_ROWS - 1) / SCORE_BLOCK_ROWS, n_buffer;
    if (lathe__mul_overflows(n_blocks, job->x->n_cols, &n_buffer))
        return lathe__error(err, LATHE_LIMIT, "too many rows and features to score");
    scoring s = {.job = job, .ensemble = ensemble, .scores = scores};
    if (!job->x->dense && !(s.rows_buffer = lathe__calloc(ctx, n_buffer, sizeof(double))))
        return lathe__error_nomem(err);
    for (size_t t = 0; t < ensemble->n_trees; t++)
        qsort(job->sampled + t * job->n_samples, job->n_samples, sizeof(uint32_t), compare_u32);
    lathe__parallel_for(ctx, n_blocks, score_block, &s);
    lathe__free(ctx, s.rows_buffer);
    return LATHE_OK;
}

/* ---- calibration --------------------------------------------------------------- */

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's percentile (linear interpolation) at q in [0, 1]; sorts `values`. */
static double quantile(double *values, size_t n, double q)
{
    qsort(values, n, sizeof *values, compare_double);
    double at = q * (double)(n - 1);
    size_t below = (size_t)floor(at);
    if (below + 1 >= n)
        return values[n - 1];
    return values[below] + (at - (double)below) * (values[below + 1] - values[below]);
}

static double sigmoid(double z)
{
    return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

/* The slope >= 0 maximizing sum w [y log p + (1 - y) log(1 - p)], p = sigmoid(a d): Newton. */
static double fit_slope(const double *distance, const double *is_rare, const double *weights,
                        size_t n)
{
    double a = 0;
    for (int round = 0; round < CALIBRATION_ROUNDS; round++) {
        double gradient = 0, curvature = 0;
        for (size_t i = 0; i < n; i++) {
            double w = weights ? weights[i] : 1, p = sigmoid(a * distance[i]);
            gradient += w * (is_rare[i] - p) * distance[i];
            curvature += w * p * (1 - p) * distance[i] * distance[i];
        }
        double step = curvature > 0 ? gradient / curvature : (gradient > 0 ? MAX_SLOPE : 0);
        double next = fmin(fmax(a + step, 0), MAX_SLOPE);
        if (fabs(next - a) <= 1e-9 * (1 + a))
            return next;
        a = next;
    }
    return a;
}

/* ---- fit ----------------------------------------------------------------------- */

static lathe_status parse_fraction_or_count(const char *name, const char *text, size_t n,
                                            size_t fallback, size_t *out, lathe_error *err)
{
    double v;
    if (!text || strcmp(text, "auto") == 0) {
        *out = fallback;
        return LATHE_OK;
    }
    if (lathe__parse_double(text, strlen(text), &v) != LATHE__NUMBER_OK || !(v > 0))
        return lathe__error(err, LATHE_INVALID,
                            "%s \"%.40s\" is not auto, a count or a fraction such as 0.5", name,
                            text);
    if (strpbrk(text, ".eE") && v <= 1)
        *out = (size_t)(v * (double)n);
    else if (v == floor(v))
        *out = v > (double)n ? n : (size_t)v; /* scikit-learn warns and takes every row */
    else
        return lathe__error(err, LATHE_INVALID, "%s=%s: a count must be a whole number", name,
                            text);
    return LATHE_OK;
}

static lathe_status contamination_of(const lathe__param_values *params, double rare_share,
                                     double *out, lathe_error *err)
{
    const char *text = lathe__params_text(params, "contamination");
    if (!text || strcmp(text, "auto") == 0) {
        *out = rare_share; /* NaN without classes: scikit-learn's fixed 0.5 score */
        return LATHE_OK;
    }
    double v;
    if (lathe__parse_double(text, strlen(text), &v) != LATHE__NUMBER_OK || !(v > 0 && v <= 0.5))
        return lathe__error(err, LATHE_INVALID,
                            "contamination \"%.40s\" is not auto or a fraction in (0, 0.5]", text);
    *out = v;
    return LATHE_OK;
}

static lathe_status check_data(const lathe__train_data *train, lathe_error *err)
{
    const lathe__matrix *x = train->x;
    if (train->y && (train->task != LATHE__TASK_CLASSIFICATION || train->n_classes != 2))
        return lathe__error(err, LATHE_INVALID,
                            "isolation_forest treats a rare class as anomalies and needs a "
                            "target of 2 classes, found %s; make the target rare-vs-rest",
                            train->task == LATHE__TASK_CLASSIFICATION ? "more" : "numbers");
    if (x->n_rows < 2 || x->n_rows > UINT32_MAX || x->n_cols == 0 || x->n_cols > UINT32_MAX)
        return lathe__error(err, LATHE_INVALID,
                            "isolation_forest needs at least 2 rows and 1 feature, got %zu by %zu",
                            x->n_rows, x->n_cols);
    size_t n_values = x->dense ? x->n_rows * x->n_cols : x->row_start[x->n_rows];
    const double *values = x->dense ? x->dense : x->sparse_values;
    for (size_t i = 0; i < n_values; i++)
        if (isinf(values[i]))
            return lathe__error(err, LATHE_INVALID,
                                "an infinite value in the features (entry %zu); trees take "
                                "numbers or missing values (NaN)",
                                i);
    for (size_t i = 0; !x->dense && i < n_values; i++)
        if (x->col_index[i] >= x->n_cols)
            return lathe__error(err, LATHE_INVALID, "sparse entry %zu names column %u of %zu", i,
                                x->col_index[i], x->n_cols);
    for (size_t row = 0; train->y && row < x->n_rows; row++)
        if (!(train->y[row] == 0 || train->y[row] == 1))
            return lathe__error(err, LATHE_INVALID, "target of row %zu is %g, not class 0 or 1",
                                row, train->y[row]);
    for (size_t row = 0; train->weights && row < x->n_rows; row++)
        if (!(isfinite(train->weights[row]) && train->weights[row] >= 0))
            return lathe__error(err, LATHE_INVALID, "sample weight of row %zu is %g", row,
                                train->weights[row]);
    return LATHE_OK;
}

/* The rows the trees learn from: all, or those of the common class. */
static lathe_status choose_rows(lathe_ctx *ctx, const lathe__train_data *train,
                                const lathe__param_values *params, isolation_model *m,
                                uint32_t **rows, size_t *n_rows, double *rare_share,
                                lathe_error *err)
{
    bool all = strcmp(lathe__params_choice(params, "fit_on"), "all") == 0;
    size_t n = train->x->n_rows;
    double weight[2] = {0, 0};
    for (size_t row = 0; train->y && row < n; row++)
        weight[(size_t)train->y[row]] += train->weights ? train->weights[row] : 1;
    m->rare_class = weight[0] < weight[1] ? 0 : 1;
    *rare_share = train->y ? weight[m->rare_class] / (weight[0] + weight[1]) : NAN;
    if (train->y && !(weight[0] > 0 && weight[1] > 0))
        return lathe__error(err, LATHE_INVALID,
                            "isolation_forest needs training rows of both classes to calibrate");
    if (!(*rows = lathe__calloc(ctx, n, sizeof **rows)))
        return lathe__error_nomem(err);
    *n_rows = 0;
    for (size_t row = 0; row < n; row++)
        if (all || !train->y || (size_t)train->y[row] != m->rare_class)
            (*rows)[(*n_rows)++] = (uint32_t)row;
    return LATHE_OK;
}

static lathe_status configure(const lathe__param_values *params, const lathe__train_data *train,
                              size_t n_fit_rows, isolation_job *job, lathe_error *err)
{
    size_t d = train->x->n_cols;
    lathe_status status = parse_fraction_or_count(
        "max_samples", lathe__params_text(params, "max_samples"), n_fit_rows,
        n_fit_rows < 256 ? n_fit_rows : 256, &job->n_samples, err);
    if (status != LATHE_OK)
        return status;
    if (job->n_samples < 2)
        return lathe__error(err, LATHE_INVALID,
                            "isolation_forest needs at least 2 rows per tree, got %zu",
                            job->n_samples);
    double features = lathe__params_number(params, "max_features");
    job->n_tree_features = features <= 1 ? (size_t)(features * (double)d) : (size_t)features;
    if (job->n_tree_features > d)
        return lathe__error(err, LATHE_INVALID, "max_features=%g, but there are %zu features",
                            features, d);
    if (job->n_tree_features < 1)
        job->n_tree_features = 1;
    job->max_depth = (size_t)ceil(log2((double)job->n_samples));
    job->bootstrap = lathe__params_number(params, "bootstrap") != 0;
    return LATHE_OK;
}

static lathe_status allocate_trees(lathe_ctx *ctx, isolation_job *job, lathe__ensemble *e,
                                   lathe_error *err)
{
    size_t n_trees = e->n_trees, max_nodes = 2 * job->n_samples - 1, n_sampled, n_features;
    if (lathe__mul_overflows(n_trees, job->n_samples, &n_sampled) ||
        lathe__mul_overflows(n_trees, job->x->n_cols, &n_features))
        return lathe__error(err, LATHE_LIMIT, "too many trees for the rows and features");
    e->trees = lathe__calloc(ctx, n_trees, sizeof *e->trees);
    job->sampled = lathe__calloc(ctx, n_sampled, sizeof *job->sampled);
    job->features = lathe__calloc(ctx, n_features, sizeof *job->features);
    uint8_t *taken = lathe__calloc(ctx, job->n_fit_rows, sizeof *taken);
    if (!e->trees || !job->sampled || !job->features || !taken) {
        lathe__free(ctx, taken);
        return lathe__error_nomem(err);
    }
    draw_samples(job, n_trees, taken);
    lathe__free(ctx, taken);
    for (size_t t = 0; t < n_trees; t++) {
        lathe_status status = lathe__tree_alloc(ctx, &e->trees[t], max_nodes, 1, err);
        if (status != LATHE_OK)
            return status;
    }
    job->trees = e->trees;
    return LATHE_OK;
}

static void isolation_free(lathe_ctx *ctx, void *model)
{
    isolation_model *m = model;
    if (!m)
        return;
    lathe__ensemble_release(ctx, &m->ensemble);
    lathe__free(ctx, m);
}

/* Threshold and slope from the training rows' out-of-bag scores. */
static lathe_status calibrate(lathe_ctx *ctx, const lathe__train_data *train, isolation_model *m,
                              isolation_job *job, lathe_error *err)
{
    size_t n = train->x->n_rows;
    double *scores = lathe__calloc(ctx, n, sizeof *scores);
    double *sorted = lathe__calloc(ctx, n, sizeof *sorted);
    double *is_rare = lathe__calloc(ctx, n, sizeof *is_rare);
    lathe_status status = scores && sorted && is_rare ? LATHE_OK : lathe__error_nomem(err);
    if (status == LATHE_OK)
        status = training_scores(ctx, job, &m->ensemble, scores, err);
    if (status == LATHE_OK) {
        memcpy(sorted, scores, n * sizeof *sorted);
        m->threshold = isnan(m->contamination) ? 0.5 : quantile(sorted, n, 1 - m->contamination);
        for (size_t row = 0; row < n; row++) {
            is_rare[row] = train->y && (size_t)train->y[row] == m->rare_class;
            scores[row] -= m->threshold;
        }
        m->slope = train->y ? fit_slope(scores, is_rare, train->weights, n) : 0;
    }
    lathe__free(ctx, scores);
    lathe__free(ctx, sorted);
    lathe__free(ctx, is_rare);
    return status;
}

static lathe_status isolation_fit(lathe_ctx *ctx, const lathe__train_data *train,
                                  const lathe__param_values *params, void **model, lathe_error *err)
{
    isolation_job job = {.x = train->x, .seed = lathe_ctx_seed(ctx)};
    uint32_t *rows = NULL;
    double rare_share;
    lathe_status status = check_data(train, err);
    if (status != LATHE_OK)
        return status;
    isolation_model *m = lathe__calloc(ctx, 1, sizeof *m);
    if (!m)
        return lathe__error_nomem(err);
    m->n_classes = train->y ? 2 : 0;
    status = choose_rows(ctx, train, params, m, &rows, &job.n_fit_rows, &rare_share, err);
    job.fit_rows = rows;
    if (status == LATHE_OK)
        status = contamination_of(params, rare_share, &m->contamination, err);
    if (status == LATHE_OK)
        status = configure(params, train, job.n_fit_rows, &job, err);
    m->ensemble.n_trees = (size_t)lathe__params_number(params, "n_estimators");
    if (status == LATHE_OK)
        status = allocate_trees(ctx, &job, &m->ensemble, err);
    if (status == LATHE_OK) {
        lathe__ensemble *e = &m->ensemble;
        e->n_features = train->x->n_cols;
        e->n_raw = e->n_outputs = 1;
        e->link = LATHE__LINK_ISOLATION;
        e->isolation_normalizer = lathe__isolation_average_path((double)job.n_samples);
        lathe__parallel_for(ctx, e->n_trees, grow_isolation_tree, &job);
        status = calibrate(ctx, train, m, &job, err);
    }
    if (status == LATHE_OK)
        status = lathe__ensemble_prepare(ctx, &m->ensemble, err);
    if (status == LATHE_OK && m->n_classes)
        lathe__log(ctx, LATHE_LOG_INFO,
                   FAMILY ": trees of %zu rows of class %u; anomaly threshold %.4f "
                          "(contamination %.4f), calibration slope %.3g",
                   job.n_samples, 1 - m->rare_class, m->threshold, m->contamination, m->slope);
    lathe__free(ctx, rows);
    lathe__free(ctx, job.sampled);
    lathe__free(ctx, job.features);
    if (status != LATHE_OK) {
        isolation_free(ctx, m);
        return status;
    }
    *model = m;
    return LATHE_OK;
}

/* ---- predict, save, load ------------------------------------------------------- */

/* Scores at out[row] become class probabilities when the model has classes. */
static void scores_to_probabilities(const isolation_model *m, const lathe__matrix *x, double *out)
{
    if (!m->n_classes)
        return;
    /* Scores sit at out[row]; spread them backwards into (p(class 0), p(class 1)) pairs. */
    for (size_t row = x->n_rows; row-- > 0;) {
        double p = sigmoid(m->slope * (out[row] - m->threshold));
        out[2 * row + m->rare_class] = p;
        out[2 * row + 1 - m->rare_class] = 1 - p;
    }
}

static void isolation_predict(const void *model, const lathe__matrix *x, double *out)
{
    const isolation_model *m = model;
    lathe__ensemble_predict(&m->ensemble, x, out);
    scores_to_probabilities(m, x, out);
}

static void isolation_predict_parallel(lathe_ctx *ctx, const void *model, const lathe__matrix *x,
                                       double *out)
{
    const isolation_model *m = model;
    lathe__ensemble_predict_parallel(ctx, &m->ensemble, x, out);
    scores_to_probabilities(m, x, out);
}

static size_t isolation_n_outputs(const void *model)
{
    const isolation_model *m = model;
    return m->n_classes ? m->n_classes : 1;
}

static size_t isolation_n_features(const void *model)
{
    return ((const isolation_model *)model)->ensemble.n_features;
}

static const lathe__ensemble *isolation_ensemble(const void *model)
{
    return &((const isolation_model *)model)->ensemble;
}

static void isolation_save(const void *model, lathe__wbuf *buf)
{
    const isolation_model *m = model;
    lathe__wbuf_u32(buf, FORMAT_VERSION);
    lathe__wbuf_cstring(buf, FAMILY);
    lathe__wbuf_u64(buf, m->n_classes);
    lathe__wbuf_u32(buf, m->rare_class);
    lathe__wbuf_f64(buf, m->threshold);
    lathe__wbuf_f64(buf, m->slope);
    lathe__wbuf_f64(buf, m->contamination);
    lathe__ensemble_save(&m->ensemble, buf);
}

static void load_header(lathe__rbuf *buf, lathe_ctx *ctx, isolation_model *m)
{
    uint32_t version = lathe__rbuf_u32(buf);
    if (!buf->failed && version != FORMAT_VERSION)
        lathe__rbuf_fail(buf, FAMILY " model format %u, this build reads %d", version,
                         FORMAT_VERSION);
    char *name = lathe__rbuf_string(buf, ctx, 64);
    if (name && strcmp(name, FAMILY) != 0)
        lathe__rbuf_fail(buf, "expected an " FAMILY " model, found %s", name);
    lathe__free(ctx, name);
    uint64_t n_classes = lathe__rbuf_u64(buf);
    m->rare_class = lathe__rbuf_u32(buf);
    m->threshold = lathe__rbuf_f64(buf);
    m->slope = lathe__rbuf_f64(buf);
    m->contamination = lathe__rbuf_f64(buf);
    if (buf->failed)
        return;
    if (n_classes != 0 && n_classes != 2)
        lathe__rbuf_fail(buf, "%llu classes for an " FAMILY " model (0 or 2)",
                         (unsigned long long)n_classes);
    else if (m->rare_class > 1 || !(m->threshold >= 0 && m->threshold <= 1) ||
             !(m->slope >= 0 && m->slope <= MAX_SLOPE))
        lathe__rbuf_fail(buf, "the calibration (class %u, threshold %g, slope %g) is out of range",
                         m->rare_class, m->threshold, m->slope);
    m->n_classes = (size_t)n_classes;
}

static lathe_status isolation_load(lathe_ctx *ctx, lathe__rbuf *buf, void **model, lathe_error *err)
{
    isolation_model *m = lathe__calloc(ctx, 1, sizeof *m);
    if (!m)
        return lathe__error_nomem(err);
    load_header(buf, ctx, m);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status == LATHE_OK)
        status = lathe__ensemble_load(ctx, buf, &m->ensemble, err);
    if (status == LATHE_OK && m->ensemble.link != LATHE__LINK_ISOLATION) {
        lathe__rbuf_fail(buf, "the trees of an " FAMILY " model must use the isolation link");
        status = lathe__rbuf_status(buf, err);
    }
    if (status != LATHE_OK) {
        isolation_free(ctx, m);
        return status;
    }
    *model = m;
    return LATHE_OK;
}

/* Trees, and the anomaly score that the contamination share of training rows reach. */
static size_t isolation_facts(const void *model, lathe__model_fact *out)
{
    const isolation_model *m = model;
    out[0] = (lathe__model_fact){"trees", (double)m->ensemble.n_trees};
    out[1] = (lathe__model_fact){"threshold", m->threshold};
    return 2;
}

const lathe__model_ops lathe__isolation_forest_ops = {
    .name = FAMILY,
    .summary = "isolation forest: anomaly scores; a rare class of a binary target as anomalies",
    .tasks = LATHE__TASK_CLASSIFICATION,
    .params = isolation_params,
    .n_params = sizeof isolation_params / sizeof isolation_params[0],
    .native_missing = true,
    .fit = isolation_fit,
    .predict = isolation_predict,
    .predict_parallel = isolation_predict_parallel,
    .n_outputs = isolation_n_outputs,
    .n_features = isolation_n_features,
    .save = isolation_save,
    .load = isolation_load,
    .free = isolation_free,
    .ensemble = isolation_ensemble,
    .facts = isolation_facts,
};
