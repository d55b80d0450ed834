/*
 * test_gbdt.c: gradient boosting on data small enough to check by hand (a
 * step learned exactly, missing values sent where they belong, a category
 * set found), and the properties the rest of Lathe relies on: early
 * stopping keeps the best round, any thread count gives the same bits,
 * save/load is exact and refuses damaged bytes, the objectives' gradients
 * are their losses' derivatives, weights act as repeated rows, and the
 * trees' thresholds agree with the bins they were learned on. Accuracy
 * against XGBoost on real data is tests/oracle/test_gbdt_xgboost.py.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "harness.h"
#include "lathe/lathe.h"
#include "model/gbdt.h"
#include "model/model.h"

typedef struct problem {
    lathe__matrix x;
    double *y;
    double *weights;
    bool *categorical;
    size_t n_classes;
    lathe__task task;
} problem;

static uint64_t rng_state;

static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static problem make_problem(size_t n, size_t d, lathe__task task, size_t n_classes)
{
    problem p = {.task = task, .n_classes = n_classes};
    p.x = (lathe__matrix){.n_rows = n, .n_cols = d, .borrowed = true};
    p.x.dense = calloc(n * d + 1, sizeof(double));
    p.y = calloc(n + 1, sizeof(double));
    p.categorical = calloc(d + 1, sizeof(bool));
    return p;
}

static void free_problem(problem *p)
{
    free(p->x.dense);
    free(p->y);
    free(p->weights);
    free(p->categorical);
}

static lathe__train_data train_data(const problem *p)
{
    return (lathe__train_data){.x = &p->x,
                               .y = p->y,
                               .weights = p->weights,
                               .task = p->task,
                               .n_classes = p->n_classes,
                               .categorical = p->categorical};
}

/* Fits gbdt with "NAME=VALUE" settings (NULL-terminated list). */
static lathe_status fit_with(lathe_ctx *ctx, const lathe__train_data *data,
                             const char *const *settings, lathe__gbdt_model **model,
                             lathe_error *err)
{
    const lathe__model_ops *ops = &lathe__gbdt_ops;
    lathe__param_values params;
    lathe_status status = lathe__params_init(ctx, ops->params, ops->n_params, &params, err);
    for (size_t i = 0; status == LATHE_OK && settings && settings[i]; i++)
        status = lathe__params_set(ctx, &params, settings[i], err);
    void *fitted = NULL;
    if (status == LATHE_OK)
        status = ops->fit(ctx, data, &params, &fitted, err);
    lathe__params_release(ctx, &params);
    *model = fitted;
    return status;
}

static double predict_one(const lathe__gbdt_model *m, const double *row)
{
    double raw[16], out[16];
    lathe__ensemble_predict_row(&m->ensemble, row, raw, out);
    return out[m->ensemble.n_outputs == 2 ? 1 : 0];
}

/* Random rows: numeric columns, some NaN, and (when asked) a categorical last column. */
static problem random_problem(size_t n, size_t d, lathe__task task, size_t n_classes,
                              bool with_category, uint64_t seed)
{
    rng_state = seed;
    problem p = make_problem(n, d, task, n_classes);
    if (with_category)
        p.categorical[d - 1] = true;
    for (size_t i = 0; i < n; i++) {
        double *x = p.x.dense + i * d, score = 0.0;
        for (size_t j = 0; j < d; j++) {
            bool category = with_category && j == d - 1;
            x[j] = category ? floor(uniform() * 7) : floor(uniform() * 1000) / 100 - 5;
            if (uniform() < 0.05)
                x[j] = NAN;
            double v = isnan(x[j]) ? 1.0 : x[j];
            score += category ? ((int)v % 3 == 1 ? 2.0 : -1.0) : v * (double)(j % 3) * 0.3;
        }
        score += 2.0 * (uniform() - 0.5);
        p.y[i] = task == LATHE__TASK_REGRESSION ? score
                 : n_classes == 2               ? (score > 0)
                                                : (double)((size_t)fabs(score) % n_classes);
    }
    return p;
}

/* ---- Trees a person can check ------------------------------------------ */

TEST(every_cell_gets_the_code_of_its_value)
{
    /* coding rows searches an index of each feature's edges; it must give exactly the code
       lathe__gbdt_bin_value gives, on the edges themselves, next to them, at the infinities
       and for NaN, whatever the column's shape */
    size_t n = 20000, d = 5;
    problem p = make_problem(n, d, LATHE__TASK_REGRESSION, 0);
    rng_state = 77;
    for (size_t i = 0; i < n; i++) {
        double u = uniform() - 0.5, *x = p.x.dense + i * d;
        x[0] = u * 10.0;                                    /* even */
        x[1] = u * u * u * 1e6;                             /* a long tail each way */
        x[2] = floor(uniform() * 6.0);                      /* six values */
        x[3] = i % 1000 == 0 ? 1e300 : floor(u * 1000.0);   /* one far outlier */
        x[4] = uniform() < 0.1 ? NAN : exp(uniform() * 30); /* skewed, some missing */
    }
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    lathe__team *team;
    CHECK_OK(lathe__team_new(ctx, &team, &err), err);
    lathe__gbdt_binner binner;
    CHECK_OK(lathe__gbdt_binner_fit(ctx, team, &p.x, p.categorical, 255, 3, &binner, &err), err);
    CHECK_EQ(binner.n_features, d);
    /* probes: every edge, its neighbours either side, infinities and NaN, in every column */
    size_t per = 3 * 256 + 3, m = per;
    problem q = make_problem(m, d, LATHE__TASK_REGRESSION, 0);
    for (size_t f = 0; f < d; f++) {
        const lathe__gbdt_feature *feature = &binner.features[f];
        size_t at = 0;
        for (size_t b = 0; b + 1 < feature->n_bins; b++) {
            double edge = feature->upper[b];
            q.x.dense[at++ * d + feature->column] = edge;
            q.x.dense[at++ * d + feature->column] = nextafter(edge, -INFINITY);
            q.x.dense[at++ * d + feature->column] = nextafter(edge, INFINITY);
        }
        q.x.dense[at++ * d + feature->column] = INFINITY;
        q.x.dense[at++ * d + feature->column] = -INFINITY;
        q.x.dense[at++ * d + feature->column] = NAN;
        while (at < m) /* the rest: the training values */
            q.x.dense[at * d + feature->column] = p.x.dense[(at % n) * d + feature->column], at++;
    }
    const problem *tables[2] = {&p, &q};
    for (size_t t = 0; t < 2; t++) {
        lathe__gbdt_codes codes;
        CHECK_OK(lathe__gbdt_codes_fill(ctx, team, &binner, &tables[t]->x, &codes, &err), err);
        size_t wrong = 0;
        for (size_t i = 0; i < tables[t]->x.n_rows; i++)
            for (size_t f = 0; f < d; f++) {
                const lathe__gbdt_feature *feature = &binner.features[f];
                double v = tables[t]->x.dense[i * d + feature->column];
                if (lathe__gbdt_code(&codes, i, f) != lathe__gbdt_bin_value(feature, v) &&
                    wrong++ < 5)
                    CHECK_MSG(false, "table %zu row %zu feature %zu: value %.17g coded %u, not %u",
                              t, i, f, v, lathe__gbdt_code(&codes, i, f),
                              lathe__gbdt_bin_value(feature, v));
            }
        CHECK_EQ(wrong, 0);
        lathe__gbdt_codes_release(ctx, &codes);
    }
    lathe__gbdt_binner_release(ctx, &binner);
    lathe__team_free(ctx, team);
    free_problem(&p);
    free_problem(&q);
    lathe_ctx_free(ctx);
}

TEST(a_step_is_learned_exactly_with_the_midpoint_threshold)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = make_problem(10, 1, LATHE__TASK_REGRESSION, 0);
    for (size_t i = 0; i < 10; i++) {
        p.x.dense[i] = (double)i;
        p.y[i] = i >= 5 ? 3.0 : -1.0;
    }
    lathe__train_data data = train_data(&p);
    const char *settings[] = {"n_estimators=1", "learning_rate=1",    "reg_lambda=0",
                              "max_depth=1",    "min_child_weight=0", NULL};
    lathe__gbdt_model *m;
    CHECK_OK(fit_with(ctx, &data, settings, &m, &err), err);
    CHECK_EQ(m->ensemble.n_trees, 1);
    const lathe__tree *t = &m->ensemble.trees[0];
    CHECK_EQ(t->n_nodes, 3);
    CHECK_EQ(t->feature[0], 0);
    CHECK_NEAR(t->threshold[0], 4.5, 0); /* halfway between 4 and 5 */
    CHECK_NEAR(m->ensemble.base_score[0], 1.0, 1e-15);
    for (size_t i = 0; i < 10; i++)
        CHECK_NEAR(predict_one(m, &p.x.dense[i]), p.y[i], 1e-12);
    double between = 4.7, far = 1e9;
    CHECK_NEAR(predict_one(m, &between), 3.0, 1e-12);
    CHECK_NEAR(predict_one(m, &far), 3.0, 1e-12);
    /* gain: SSE removed, sum g^2/h: parent 0, children (5*2)^2/5 * 2 = 40 */
    CHECK_NEAR(t->gain[0], 40.0, 1e-9);
    CHECK_NEAR(t->cover[0], 10.0, 0);
    lathe__gbdt_ops.free(ctx, m);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

TEST(the_scores_kept_between_rounds_are_the_trees_own)
{
    /* steps a first tree fits exactly at learning rate 1 (two for depth 1, four for depth
       2): the scores the fit keeps for its rows (the last level's placed by their codes, not
       partitioned) must leave nothing for later rounds to learn */
    const double level[2][4] = {{-1.0, -1.0, 3.0, 3.0}, {-1.0, 1.0, 5.0, 7.0}};
    for (int depth = 1; depth <= 2; depth++) {
        problem p = make_problem(40, 1, LATHE__TASK_REGRESSION, 0);
        for (size_t i = 0; i < 40; i++) {
            p.x.dense[i] = (double)(i % 20);
            p.y[i] = level[depth - 1][(i % 20) / 5];
        }
        lathe__train_data data = train_data(&p);
        lathe_ctx *ctx = lathe_ctx_new();
        lathe_error err;
        const char *settings[] = {"n_estimators=3",     "learning_rate=1",
                                  "reg_lambda=0",       depth == 1 ? "max_depth=1" : "max_depth=2",
                                  "min_child_weight=0", NULL};
        lathe__gbdt_model *m;
        CHECK_OK(fit_with(ctx, &data, settings, &m, &err), err);
        CHECK_EQ(m->ensemble.n_trees, 3);
        CHECK_EQ(m->ensemble.trees[0].n_nodes, depth == 1 ? 3 : 7);
        for (size_t t = 1; t < m->ensemble.n_trees; t++)
            CHECK_MSG(m->ensemble.trees[t].n_nodes == 1 &&
                          fabs(m->ensemble.trees[t].value[0]) < 1e-12,
                      "depth %d: tree %zu learned %zu nodes from scores the first should have "
                      "settled",
                      depth, t, m->ensemble.trees[t].n_nodes);
        for (size_t i = 0; i < 40; i++)
            CHECK_NEAR(predict_one(m, &p.x.dense[i]), p.y[i], 1e-12);
        lathe__gbdt_ops.free(ctx, m);
        lathe_ctx_free(ctx);
        free_problem(&p);
    }
}

/* Rows with a missing x behave like the rows on one side: the split learns to send them there. */
TEST(missing_values_follow_the_learned_default_direction)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    for (int missing_like_high = 0; missing_like_high <= 1; missing_like_high++) {
        problem p = make_problem(30, 1, LATHE__TASK_REGRESSION, 0);
        for (size_t i = 0; i < 30; i++) {
            p.x.dense[i] = i < 20 ? (double)i : NAN;
            bool high = i < 20 ? i >= 10 : missing_like_high;
            p.y[i] = high ? 5.0 : 1.0;
        }
        lathe__train_data data = train_data(&p);
        const char *settings[] = {"n_estimators=1", "learning_rate=1", "reg_lambda=0",
                                  "max_depth=1", NULL};
        lathe__gbdt_model *m;
        CHECK_OK(fit_with(ctx, &data, settings, &m, &err), err);
        const lathe__tree *t = &m->ensemble.trees[0];
        CHECK_EQ(t->n_nodes, 3);
        CHECK_NEAR(t->threshold[0], 9.5, 0);
        CHECK_EQ(t->default_left[0], !missing_like_high);
        double missing = NAN;
        CHECK_NEAR(predict_one(m, &missing), missing_like_high ? 5.0 : 1.0, 1e-12);
        lathe__gbdt_ops.free(ctx, m);
        free_problem(&p);
    }
    lathe_ctx_free(ctx);
}

/* When only missing-ness carries the signal, the split is "every value left, missing right". */
TEST(a_split_on_missingness_alone_uses_dbl_max)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = make_problem(20, 1, LATHE__TASK_REGRESSION, 0);
    for (size_t i = 0; i < 20; i++) {
        p.x.dense[i] = i % 2 ? NAN : (double)(i % 4);
        p.y[i] = i % 2 ? 2.0 : 0.0;
    }
    lathe__train_data data = train_data(&p);
    const char *settings[] = {"n_estimators=1", "learning_rate=1", "reg_lambda=0", "max_depth=1",
                              NULL};
    lathe__gbdt_model *m;
    CHECK_OK(fit_with(ctx, &data, settings, &m, &err), err);
    const lathe__tree *t = &m->ensemble.trees[0];
    CHECK_EQ(t->n_nodes, 3);
    CHECK(t->threshold[0] > 1.7e308);
    CHECK_EQ(t->default_left[0], 0);
    double row = 2.0, missing = NAN;
    CHECK_NEAR(predict_one(m, &row), 0.0, 1e-12);
    CHECK_NEAR(predict_one(m, &missing), 2.0, 1e-12);
    lathe__gbdt_ops.free(ctx, m);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* Category codes whose target does not follow their order: one split separates the set. */
TEST(a_categorical_feature_splits_by_category_set)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    /* 6 categories (past max_cat_to_onehot: sorted by gradient ratio), then 3 (one vs rest) */
    const size_t counts[2] = {6, 3};
    const int high[2][6] = {{0, 1, 0, 1, 1, 0}, {0, 1, 0}};
    for (int c = 0; c < 2; c++) {
        size_t k = counts[c];
        problem p = make_problem(60, 1, LATHE__TASK_REGRESSION, 0);
        p.categorical[0] = true;
        for (size_t i = 0; i < 60; i++) {
            p.x.dense[i] = (double)(i % k);
            p.y[i] = high[c][i % k] ? 10.0 : 0.0;
        }
        lathe__train_data data = train_data(&p);
        const char *settings[] = {"n_estimators=1",
                                  "learning_rate=1",
                                  "reg_lambda=0",
                                  "cat_l2=0",
                                  "cat_smooth=0",
                                  "max_depth=1",
                                  NULL};
        lathe__gbdt_model *m;
        CHECK_OK(fit_with(ctx, &data, settings, &m, &err), err);
        const lathe__tree *t = &m->ensemble.trees[0];
        CHECK_EQ(t->n_nodes, 3);
        CHECK_EQ(t->cat_words[0], 1);
        uint64_t bits = t->cat_bits[t->cat_start[0]], expect = 0;
        for (size_t j = 0; j < k; j++)
            expect |= (uint64_t)high[c][j] << j;
        uint64_t all = ((uint64_t)1 << k) - 1;
        CHECK_MSG(bits == expect || bits == (all & ~expect), "category set %llx",
                  (unsigned long long)bits);
        for (size_t j = 0; j < k; j++) {
            double row = (double)j;
            CHECK_NEAR(predict_one(m, &row), high[c][j] ? 10.0 : 0.0, 1e-12);
        }
        lathe__gbdt_ops.free(ctx, m);
        free_problem(&p);
    }
    lathe_ctx_free(ctx);
}

TEST(depth_and_leaf_limits_hold)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(2000, 5, LATHE__TASK_REGRESSION, 0, false, 3);
    lathe__train_data data = train_data(&p);
    const char *depthwise[] = {"n_estimators=3", "max_depth=3", NULL};
    const char *lossguide[] = {"n_estimators=3", "grow_policy=lossguide", "num_leaves=7", NULL};
    const char *capped[] = {"n_estimators=3", "max_depth=6", "num_leaves=5", NULL};
    const char *const *cases[] = {depthwise, lossguide, capped};
    size_t most_leaves[] = {8, 7, 5}, most_depth[] = {3, 6, 6};
    for (size_t c = 0; c < 3; c++) {
        lathe__gbdt_model *m;
        CHECK_OK(fit_with(ctx, &data, cases[c], &m, &err), err);
        for (size_t t = 0; t < m->ensemble.n_trees; t++) {
            const lathe__tree *tree = &m->ensemble.trees[t];
            size_t leaves = 0, depth[512] = {0}, deepest = 0;
            CHECK(tree->n_nodes < 512);
            for (size_t node = 0; node < tree->n_nodes; node++) {
                if (tree->left[node] < 0) {
                    leaves++;
                    deepest = depth[node] > deepest ? depth[node] : deepest;
                    continue;
                }
                depth[tree->left[node]] = depth[tree->right[node]] = depth[node] + 1;
            }
            CHECK_MSG(leaves <= most_leaves[c] && leaves >= 2, "case %zu: %zu leaves", c, leaves);
            CHECK_MSG(deepest <= most_depth[c], "case %zu: depth %zu", c, deepest);
        }
        if (c == 1) /* leaf-wise with plenty of signal fills its budget */
            CHECK_EQ(m->ensemble.trees[0].n_nodes, 13);
        lathe__gbdt_ops.free(ctx, m);
    }
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* ---- Early stopping ------------------------------------------------------ */

static double validation_loss(const lathe__gbdt_model *m, const problem *valid, size_t n_trees)
{
    lathe__ensemble head = m->ensemble; /* its layout is for all the trees: walk the nodes */
    head.n_trees = n_trees;
    head.packed = NULL;
    size_t n = valid->x.n_rows;
    double *p = calloc(n * 2, sizeof(double)), loss = 0.0;
    lathe__ensemble_predict(&head, &valid->x, p);
    for (size_t i = 0; i < n; i++)
        loss -= log(valid->y[i] > 0.5 ? p[2 * i + 1] : p[2 * i]);
    free(p);
    return loss / (double)n;
}

TEST(early_stopping_keeps_the_best_round)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    /* noisy labels and deep trees at a high rate: validation loss turns up early */
    problem train = random_problem(600, 4, LATHE__TASK_CLASSIFICATION, 2, true, 11);
    problem valid = random_problem(400, 4, LATHE__TASK_CLASSIFICATION, 2, true, 12);
    lathe__train_data data = train_data(&train);
    data.valid_x = &valid.x;
    data.valid_y = valid.y;
    const char *stopped[] = {"n_estimators=200", "learning_rate=0.5", "max_depth=6",
                             "early_stopping_rounds=5", NULL};
    const char *full[] = {"n_estimators=200", "learning_rate=0.5", "max_depth=6", NULL};
    lathe__gbdt_model *m, *all;
    CHECK_OK(fit_with(ctx, &data, stopped, &m, &err), err);
    CHECK_OK(fit_with(ctx, &data, full, &all, &err), err);
    CHECK(m->n_rounds < 100);
    CHECK_EQ(m->ensemble.n_trees, m->n_rounds);
    CHECK_EQ(m->best_iteration + 1, m->n_rounds);
    /* the kept round is the best of every round trained until stopping (5 more) */
    size_t best = 0;
    double best_loss = INFINITY;
    for (size_t r = 1; r <= m->n_rounds + 5; r++) {
        double loss = validation_loss(all, &valid, r);
        if (loss < best_loss) {
            best_loss = loss;
            best = r;
        }
    }
    CHECK_EQ(best, m->n_rounds);
    /* the binned validation score agrees with predicting from the exported trees */
    CHECK_NEAR(m->best_score, best_loss, 1e-12);
    CHECK_NEAR(validation_loss(m, &valid, m->n_rounds), best_loss, 1e-12);
    lathe__gbdt_ops.free(ctx, m);
    lathe__gbdt_ops.free(ctx, all);
    /* without validation data, validation_fraction of the rows is held out */
    data.valid_x = NULL;
    data.valid_y = NULL;
    CHECK_OK(fit_with(ctx, &data, stopped, &m, &err), err);
    CHECK(m->n_rounds < 200 && isfinite(m->best_score));
    lathe__gbdt_ops.free(ctx, m);
    free_problem(&train);
    free_problem(&valid);
    lathe_ctx_free(ctx);
}

/* ---- Determinism --------------------------------------------------------- */

static bool same_tree(const lathe__tree *a, const lathe__tree *b)
{
    size_t n = a->n_nodes;
    return n == b->n_nodes && a->n_cat_bits == b->n_cat_bits &&
           !memcmp(a->left, b->left, n * sizeof *a->left) &&
           !memcmp(a->right, b->right, n * sizeof *a->right) &&
           !memcmp(a->feature, b->feature, n * sizeof *a->feature) &&
           !memcmp(a->threshold, b->threshold, n * sizeof *a->threshold) &&
           !memcmp(a->default_left, b->default_left, n) &&
           !memcmp(a->value, b->value, n * sizeof *a->value) &&
           !memcmp(a->cover, b->cover, n * sizeof *a->cover) &&
           !memcmp(a->gain, b->gain, n * sizeof *a->gain) &&
           !memcmp(a->cat_words, b->cat_words, n * sizeof *a->cat_words) &&
           (a->n_cat_bits == 0 || !memcmp(a->cat_bits, b->cat_bits, a->n_cat_bits * 8));
}

TEST(one_and_two_threads_give_the_same_bits)
{
    /* enough rows for row chunks in histograms and partitions, sampling on */
    problem p = random_problem(70000, 6, LATHE__TASK_CLASSIFICATION, 3, true, 5);
    lathe__train_data data = train_data(&p);
    for (int quantized = 0; quantized < 2; quantized++) {
        const char *settings[] = {"n_estimators=3",
                                  "max_depth=4",
                                  "subsample=0.8",
                                  "colsample_bytree=0.7",
                                  quantized ? "quantized_gradients=true"
                                            : "quantized_gradients=false",
                                  NULL};
        lathe__gbdt_model *models[2];
        lathe_error err;
        for (int t = 0; t < 2; t++) {
            lathe_ctx *ctx = lathe_ctx_new();
            lathe_ctx_set_threads(ctx, t + 1);
            lathe_ctx_set_seed(ctx, 42);
            CHECK_OK(fit_with(ctx, &data, settings, &models[t], &err), err);
            lathe_ctx_free(ctx);
        }
        lathe_ctx *ctx = lathe_ctx_new();
        CHECK_EQ(models[0]->ensemble.n_trees, 9);
        CHECK_EQ(models[1]->ensemble.n_trees, 9);
        for (size_t t = 0; t < 9; t++)
            CHECK_MSG(same_tree(&models[0]->ensemble.trees[t], &models[1]->ensemble.trees[t]),
                      "tree %zu differs", t);
        CHECK(!memcmp(models[0]->ensemble.base_score, models[1]->ensemble.base_score,
                      3 * sizeof(double)));
        for (int t = 0; t < 2; t++)
            lathe__gbdt_ops.free(ctx, models[t]);
        lathe_ctx_free(ctx);
    }
    free_problem(&p);
}

/* Grows one depth-wise tree of depth `depth` on p's rows with gradients gh. */
static void grow_one(lathe_ctx *ctx, lathe__team *team, const lathe__gbdt_binner *binner,
                     const lathe__gbdt_codes *codes, const lathe__gbdt_pair *gh, size_t n,
                     size_t depth, bool defer, lathe__gbdt_grower *g)
{
    lathe_error err;
    *g = (lathe__gbdt_grower){.team = team,
                              .binner = binner,
                              .codes = codes,
                              .split_params = {.reg_lambda = 1.0,
                                               .min_child_weight = 1.0,
                                               .max_cat_to_onehot = 4,
                                               .max_cat_threshold = 32,
                                               .cat_smooth = 10.0,
                                               .cat_l2 = 10.0},
                              .policy = LATHE__GBDT_DEPTHWISE,
                              .max_depth = depth,
                              .defer_last_level = defer};
    CHECK_OK(lathe__gbdt_grower_init(ctx, g, n, &err), err);
    CHECK_OK(lathe__gbdt_grow(g, gh, NULL, NULL, n, NULL, &err), err);
}

TEST(the_last_level_left_unsplit_sends_each_row_to_its_leaf)
{
    /* a deferred last level must grow the same tree, and each unsplit node's rows, sent by
       their codes, must be exactly the rows its leaves get from a partition */
    size_t n = 30000, d = 5;
    problem p = random_problem(n, d, LATHE__TASK_REGRESSION, 0, true, 23);
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_ctx_set_threads(ctx, 2);
    lathe_error err;
    lathe__team *team;
    CHECK_OK(lathe__team_new(ctx, &team, &err), err);
    lathe__gbdt_binner binner;
    lathe__gbdt_codes codes;
    CHECK_OK(lathe__gbdt_binner_fit(ctx, team, &p.x, p.categorical, 255, 1, &binner, &err), err);
    CHECK_OK(lathe__gbdt_codes_fill(ctx, team, &binner, &p.x, &codes, &err), err);
    lathe__gbdt_pair *gh = calloc(n, sizeof *gh);
    for (size_t i = 0; i < n; i++)
        gh[i] = (lathe__gbdt_pair){-p.y[i], 1.0};
    for (size_t depth = 1; depth <= 4; depth++) {
        lathe__gbdt_grower moved, kept;
        grow_one(ctx, team, &binner, &codes, gh, n, depth, false, &moved);
        grow_one(ctx, team, &binner, &codes, gh, n, depth, true, &kept);
        CHECK_EQ(moved.n_nodes, kept.n_nodes);
        size_t unsplit = 0;
        for (size_t i = 0; i < moved.n_nodes && i < kept.n_nodes; i++) {
            const lathe__gbdt_node *a = &moved.nodes[i], *b = &kept.nodes[i];
            CHECK_EQ(a->left, b->left);
            CHECK(a->weight == b->weight && a->split.feature == b->split.feature &&
                  a->split.bin == b->split.bin);
            CHECK(!a->rows_unsplit);
            CHECK_EQ(b->rows_unsplit, b->left >= 0 && b->depth + 1 == depth);
            if (!b->rows_unsplit)
                continue;
            unsplit++;
            const lathe__gbdt_node *l = &moved.nodes[a->left], *r = &moved.nodes[a->right];
            CHECK_EQ(kept.nodes[b->left].end, kept.nodes[b->left].begin);
            CHECK_EQ(kept.nodes[b->right].end, kept.nodes[b->right].begin);
            CHECK_EQ(b->end - b->begin, a->end - a->begin);
            /* rows are ascending in both: walk the unsplit range against the two leaves */
            uint32_t at_left = l->begin, at_right = r->begin;
            for (uint32_t j = b->begin; j < b->end; j++) {
                uint32_t row = kept.rows[j];
                bool left = lathe__gbdt_goes_left(&b->split,
                                                  lathe__gbdt_code(&codes, row, b->split.feature));
                uint32_t *at = left ? &at_left : &at_right;
                CHECK_MSG(*at < (left ? l->end : r->end) && moved.rows[*at] == row,
                          "row %u of node %zu went to the wrong side", row, i);
                (*at)++;
            }
            CHECK(at_left == l->end && at_right == r->end);
        }
        CHECK_MSG(unsplit > 0, "depth %zu left no node unsplit", depth);
        lathe__gbdt_grower_release(&moved);
        lathe__gbdt_grower_release(&kept);
    }
    free(gh);
    lathe__gbdt_codes_release(ctx, &codes);
    lathe__gbdt_binner_release(ctx, &binner);
    lathe__team_free(ctx, team);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* ---- Quantized gradients ----------------------------------------------------- */

TEST(quantized_rounding_is_unbiased_within_its_levels_and_repeatable)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_ctx_set_threads(ctx, 2);
    lathe_error err;
    lathe__team *team = NULL;
    CHECK_OK(lathe__team_new(ctx, &team, &err), err);
    size_t n = 100000;
    lathe__gbdt_pair *gh = calloc(n, sizeof *gh);
    lathe__gbdt_qpair *packed = calloc(n, sizeof *packed), *again = calloc(n, sizeof *again);
    double g_total = 0.0, h_total = 0.0;
    for (size_t i = 0; i < n; i++) {
        gh[i] =
            (lathe__gbdt_pair){sin((double)i) * (i == 7 ? 3.0 : 1.0), 0.25 * (1 + cos((double)i))};
        g_total += gh[i].g;
        h_total += gh[i].h;
    }
    lathe__gbdt_quant quant;
    CHECK(lathe__gbdt_quant_levels(n, &quant));
    CHECK_EQ(quant.g_levels, 32767);
    CHECK(!lathe__gbdt_quant_levels(200000000, &quant)); /* too many rows: exact */
    CHECK(lathe__gbdt_quant_levels(n, &quant));
    lathe__gbdt_quantize(team, &quant, gh, NULL, n, 99, packed);
    CHECK_NEAR(quant.g_scale, 3.0 * fabs(sin(7.0)) / quant.g_levels, 1e-15);
    lathe__gbdt_packed total = 0;
    for (size_t i = 0; i < n; i++) {
        lathe__gbdt_pair q = lathe__gbdt_unpack(lathe__gbdt_widen(packed[i]));
        CHECK(fabs(q.g) <= quant.g_levels && q.h >= 0 && q.h <= quant.h_levels);
        /* rounded to one of the two nearest levels */
        CHECK(fabs(q.g - gh[i].g / quant.g_scale) < 1.0 + 1e-9);
        CHECK(fabs(q.h - gh[i].h / quant.h_scale) < 1.0 + 1e-9);
        total += lathe__gbdt_widen(packed[i]);
    }
    /* the sums' rounding is a sum of n independent errors below one unit each */
    lathe__gbdt_pair sums = lathe__gbdt_unpack(total);
    CHECK(fabs(sums.g * quant.g_scale - g_total) < 5.0 * sqrt((double)n) * quant.g_scale);
    CHECK(fabs(sums.h * quant.h_scale - h_total) < 5.0 * sqrt((double)n) * quant.h_scale);
    lathe_ctx_set_threads(ctx, 1);
    lathe__team *one = NULL;
    CHECK_OK(lathe__team_new(ctx, &one, &err), err);
    lathe__gbdt_quantize(one, &quant, gh, NULL, n, 99, again);
    CHECK(!memcmp(packed, again, n * sizeof *packed));
    lathe__team_free(ctx, one);
    lathe__team_free(ctx, team);
    free(gh);
    free(packed);
    free(again);
    lathe_ctx_free(ctx);
}

TEST(quantized_sums_of_many_rows_fit_their_halves)
{
    /* every row at the largest gradient, all one sign: the unit comes from the sums */
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    lathe__team *team = NULL;
    CHECK_OK(lathe__team_new(ctx, &team, &err), err);
    size_t n = 2000000;
    lathe__gbdt_pair *gh = calloc(n, sizeof *gh);
    lathe__gbdt_qpair *quantized = calloc(n, sizeof *quantized);
    for (size_t i = 0; i < n; i++)
        gh[i] = (lathe__gbdt_pair){-1.0 + 1e-7 * (double)(i % 3), 0.25};
    lathe__gbdt_quant quant;
    CHECK(lathe__gbdt_quant_levels(n, &quant));
    lathe__gbdt_quantize(team, &quant, gh, NULL, n, 5, quantized);
    CHECK(quant.g_scale > 1.0 / quant.g_levels);
    lathe__gbdt_packed total = 0;
    int64_t g_total = 0, h_total = 0;
    for (size_t i = 0; i < n; i++) {
        lathe__gbdt_pair q = lathe__gbdt_unpack(lathe__gbdt_widen(quantized[i]));
        g_total += (int64_t)q.g;
        h_total += (int64_t)q.h;
        total += lathe__gbdt_widen(quantized[i]);
    }
    CHECK(g_total > -2147483647ll && h_total < 4294967295ll);
    lathe__gbdt_pair sums = lathe__gbdt_unpack(total);
    CHECK_EQ((int64_t)sums.g, g_total);
    CHECK_EQ((int64_t)sums.h, h_total);
    CHECK_NEAR(sums.g * quant.g_scale, -(double)n, 1e-4 * (double)n);
    lathe__team_free(ctx, team);
    free(gh);
    free(quantized);
    lathe_ctx_free(ctx);
}

TEST(quantized_gradients_find_the_exact_splits_and_exact_leaf_values)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    const size_t n_classes[] = {2, 3, 0};
    for (size_t c = 0; c < 3; c++) {
        lathe__task task = n_classes[c] ? LATHE__TASK_CLASSIFICATION : LATHE__TASK_REGRESSION;
        problem p = random_problem(5000, 4, task, n_classes[c], true, 17 + c);
        lathe__train_data data = train_data(&p);
        const char *exact[] = {"n_estimators=1", "max_depth=2", "quantized_gradients=false", NULL};
        const char *quantized[] = {"n_estimators=1", "max_depth=2", "quantized_gradients=true",
                                   NULL};
        lathe__gbdt_model *a, *b;
        CHECK_OK(fit_with(ctx, &data, exact, &a, &err), err);
        CHECK_OK(fit_with(ctx, &data, quantized, &b, &err), err);
        CHECK_EQ(a->ensemble.n_trees, b->ensemble.n_trees);
        for (size_t t = 0; t < a->ensemble.n_trees; t++) {
            const lathe__tree *x = &a->ensemble.trees[t], *y = &b->ensemble.trees[t];
            CHECK_EQ(x->n_nodes, y->n_nodes);
            for (size_t i = 0; i < x->n_nodes && x->n_nodes == y->n_nodes; i++) {
                CHECK_EQ(x->left[i], y->left[i]);
                CHECK_EQ(x->feature[i], y->feature[i]);
                CHECK_EQ(x->threshold[i], y->threshold[i]);
                /* renewed from the exact gradients: equal but for the order of the sums */
                CHECK_NEAR(x->value[i], y->value[i], 1e-12 * (1 + fabs(x->value[i])));
                CHECK_NEAR(x->cover[i], y->cover[i], 1e-9 * x->cover[i]);
                CHECK_NEAR(x->gain[i], y->gain[i], 1e-3 * (1 + x->gain[i]));
            }
        }
        lathe__gbdt_ops.free(ctx, a);
        lathe__gbdt_ops.free(ctx, b);
        free_problem(&p);
    }
    lathe_ctx_free(ctx);
}

TEST(quantized_trees_of_many_leaves_renew_their_leaves_too)
{
    /* over 255 leaves: renewal gathers each leaf's rows instead of numbering them */
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(5000, 4, LATHE__TASK_REGRESSION, 0, false, 23);
    lathe__train_data data = train_data(&p);
    const char *exact[] = {"n_estimators=2",     "grow_policy=lossguide",     "num_leaves=400",
                           "min_child_weight=0", "quantized_gradients=false", NULL};
    const char *quantized[] = {"n_estimators=2",     "grow_policy=lossguide",    "num_leaves=400",
                               "min_child_weight=0", "quantized_gradients=true", NULL};
    lathe__gbdt_model *a, *b;
    CHECK_OK(fit_with(ctx, &data, exact, &a, &err), err);
    CHECK_OK(fit_with(ctx, &data, quantized, &b, &err), err);
    const lathe__tree *x = &a->ensemble.trees[0], *y = &b->ensemble.trees[0];
    CHECK(y->n_nodes > 2 * 255);
    /* the root's value and cover are every row's, whatever the splits */
    CHECK_NEAR(x->value[0], y->value[0], 1e-12 * (1 + fabs(x->value[0])));
    CHECK_NEAR(x->cover[0], y->cover[0], 1e-9 * x->cover[0]);
    for (size_t i = 0; i < 5000; i++)
        CHECK_NEAR(predict_one(a, p.x.dense + 4 * i), predict_one(b, p.x.dense + 4 * i),
                   0.5 * (1 + fabs(predict_one(a, p.x.dense + 4 * i))));
    lathe__gbdt_ops.free(ctx, a);
    lathe__gbdt_ops.free(ctx, b);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

TEST(the_seed_draws_the_samples)
{
    problem p = random_problem(3000, 5, LATHE__TASK_REGRESSION, 0, false, 8);
    lathe__train_data data = train_data(&p);
    const char *settings[] = {"n_estimators=2", "subsample=0.5", NULL};
    lathe__gbdt_model *models[3];
    lathe_error err;
    const uint64_t seeds[3] = {1, 1, 2};
    for (int i = 0; i < 3; i++) {
        lathe_ctx *ctx = lathe_ctx_new();
        lathe_ctx_set_seed(ctx, seeds[i]);
        CHECK_OK(fit_with(ctx, &data, settings, &models[i], &err), err);
        lathe_ctx_free(ctx);
    }
    CHECK(same_tree(&models[0]->ensemble.trees[1], &models[1]->ensemble.trees[1]));
    CHECK(!same_tree(&models[0]->ensemble.trees[1], &models[2]->ensemble.trees[1]));
    lathe_ctx *ctx = lathe_ctx_new();
    for (int i = 0; i < 3; i++)
        lathe__gbdt_ops.free(ctx, models[i]);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* ---- Explanations -------------------------------------------------------- */

/* Covers are hessian sums that add up from children to parents, as TreeSHAP
   expects: a row's contributions plus the bias give its raw score. */
TEST(treeshap_contributions_add_up_to_the_raw_score)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(400, 4, LATHE__TASK_CLASSIFICATION, 3, true, 71);
    lathe__train_data data = train_data(&p);
    const char *settings[] = {"n_estimators=5", "max_depth=4", NULL};
    lathe__gbdt_model *m;
    CHECK_OK(fit_with(ctx, &data, settings, &m, &err), err);
    CHECK(lathe__gbdt_ops.ensemble(m) == &m->ensemble);
    for (size_t i = 0; i < 40; i++) {
        const double *row = p.x.dense + 4 * i;
        double phi[3 * 5], raw[3];
        CHECK_OK(lathe__ensemble_shap_row(ctx, &m->ensemble, row, phi, &err), err);
        lathe__ensemble_raw_row(&m->ensemble, row, raw);
        for (size_t k = 0; k < 3; k++) {
            double sum = 0;
            for (size_t j = 0; j <= 4; j++)
                sum += phi[k * 5 + j];
            CHECK_NEAR(sum, raw[k], 1e-9);
        }
    }
    lathe__gbdt_ops.free(ctx, m);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* ---- Save and load ------------------------------------------------------- */

TEST(save_load_round_trip_is_exact_and_damage_is_refused)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    const lathe__model_ops *ops = &lathe__gbdt_ops;
    problem p = random_problem(300, 3, LATHE__TASK_CLASSIFICATION, 3, true, 21);
    lathe__train_data data = train_data(&p);
    const char *settings[] = {"n_estimators=4", "max_depth=3", NULL};
    lathe__gbdt_model *m;
    CHECK_OK(fit_with(ctx, &data, settings, &m, &err), err);
    lathe__wbuf buf;
    lathe__wbuf_init(&buf, ctx);
    ops->save(m, &buf);
    CHECK_OK(lathe__wbuf_status(&buf, &err), err);
    lathe__rbuf in;
    lathe__rbuf_init(&in, buf.data, buf.length, "model section");
    void *loaded;
    CHECK_OK(ops->load(ctx, &in, &loaded, &err), err);
    CHECK_EQ(lathe__rbuf_left(&in), 0);
    CHECK_EQ(ops->n_outputs(loaded), 3);
    CHECK_EQ(ops->n_features(loaded), 3);
    double before[900], after[900];
    ops->predict(m, &p.x, before);
    ops->predict(loaded, &p.x, after);
    CHECK(!memcmp(before, after, sizeof before));
    const lathe__gbdt_model *l = loaded;
    CHECK(l->objective == m->objective && l->n_rounds == m->n_rounds &&
          l->best_iteration == m->best_iteration && l->n_classes == 3);
    ops->free(ctx, loaded);
    /* every truncation fails with a message, never reads past the end */
    for (size_t cut = 0; cut < buf.length; cut += 1 + cut / 64) {
        lathe__rbuf_init(&in, buf.data, cut, "model section");
        loaded = NULL;
        CHECK_MSG(ops->load(ctx, &in, &loaded, &err) == LATHE_CORRUPT, "cut at %zu", cut);
        CHECK_HAS(err.message, "model section: ");
        CHECK(loaded == NULL);
    }
    /* a header that disagrees with the ensemble */
    unsigned char *bad = malloc(buf.length);
    const size_t offsets[] = {0, 4, 5, 13, 21};
    const char *messages[] = {"format", "objective", "classes", "rounds", "best iteration"};
    const uint8_t values[] = {9, 2, 7, 99, 99};
    for (size_t c = 0; c < 5; c++) {
        memcpy(bad, buf.data, buf.length);
        bad[offsets[c]] = values[c];
        lathe__rbuf_init(&in, bad, buf.length, "model section");
        CHECK_EQ(ops->load(ctx, &in, &loaded, &err), LATHE_CORRUPT);
        CHECK_MSG(strstr(err.message, messages[c]) != NULL, "case %zu: %s", c, err.message);
    }
    free(bad);
    ops->free(ctx, m);
    lathe__wbuf_release(&buf);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* ---- Objectives ------------------------------------------------------------ */

static void gradient_of(const lathe__gbdt_loss_args *args, const double *raw, double y,
                        lathe__gbdt_pair *out)
{
    double w = 1.0;
    lathe__gbdt_gradients(args, raw, &y, &w, NULL, 0, 1, 1, out);
}

TEST(logistic_gradients_are_the_sigmoid_to_a_few_ulp)
{
    /* the gradient loop computes e^-f itself (vectorized, not libm's): it must agree with
       1 / (1 + exp(-f)) to a few units in the last place over the whole range, give p = 0 and
       1 at the extremes, and not depend on where a block of rows starts */
    enum { N = 20001 };
    static double raw[N], y[N], w[N];
    static lathe__gbdt_pair gh[N], shifted[N];
    for (size_t i = 0; i < N; i++) {
        double t = (double)i / (N - 1) * 2.0 - 1.0;                  /* -1 .. 1 */
        raw[i] = i % 3 == 0 ? t * 40.0 : i % 3 == 1 ? t * 750.0 : t; /* small, huge, near 0 */
        y[i] = 0.0;                           /* g = w p, so p can be read back */
        w[i] = (double)(1u << (i % 4)) / 2.0; /* powers of two: w p / w is p */
    }
    lathe__gbdt_loss_args args = {.id = LATHE__GBDT_BINARY_LOGISTIC, .n_raw = 1};
    lathe__gbdt_gradients(&args, raw, y, w, NULL, 0, N, N, gh);
    lathe__gbdt_gradients(&args, raw, y, w, NULL, 0, 1, N, shifted);
    lathe__gbdt_gradients(&args, raw, y, w, NULL, 1, N, N, shifted);
    double worst = 0.0;
    for (size_t i = 0; i < N; i++) {
        double p = 1.0 / (1.0 + exp(-raw[i]));
        double g = gh[i].g / w[i]; /* p again */
        double ulp = nextafter(p, INFINITY) - p;
        if (p > 1e-300) /* where 1 + e^-f is finite */
            worst = fmax(worst, fabs(g - p) / ulp);
        else
            CHECK_MSG(g < 1e-300, "f %g: p %g, wanted about 0", raw[i], g);
        CHECK(gh[i].h >= 1e-16 * w[i] && fabs(gh[i].h / w[i] - fmax(p * (1 - p), 1e-16)) <= 1e-15);
        CHECK(gh[i].g == shifted[i].g && gh[i].h == shifted[i].h);
    }
    CHECK_MSG(worst <= 4.0, "worst error %.1f ulp", worst);
}

TEST(objective_gradients_match_finite_differences)
{
    const lathe__gbdt_objective_id ids[] = {LATHE__GBDT_BINARY_LOGISTIC, LATHE__GBDT_SQUARED_ERROR,
                                            LATHE__GBDT_PSEUDOHUBER,     LATHE__GBDT_POISSON,
                                            LATHE__GBDT_ABSOLUTE_ERROR,  LATHE__GBDT_HUBER};
    const double raws[] = {-2.3, -0.4, 0.1, 1.7}, ys[] = {0, 1, 3, 0.5};
    const double h = 1e-6;
    for (size_t o = 0; o < sizeof ids / sizeof ids[0]; o++) {
        lathe__gbdt_loss_args args = {.id = ids[o], .n_raw = 1, .huber_slope = 1.3};
        for (size_t i = 0; i < 4; i++) {
            double y = ids[o] == LATHE__GBDT_BINARY_LOGISTIC ? (double)(i % 2) : ys[i];
            double f = raws[i], up = f + h, down = f - h;
            lathe__gbdt_pair at, above, below;
            gradient_of(&args, &f, y, &at);
            gradient_of(&args, &up, y, &above);
            gradient_of(&args, &down, y, &below);
            double dloss =
                (lathe__gbdt_row_loss(&args, &up, y) - lathe__gbdt_row_loss(&args, &down, y)) /
                (2 * h);
            /* the squared error's loss is r^2, twice the 1/2 r^2 whose gradient is r */
            double scale = ids[o] == LATHE__GBDT_SQUARED_ERROR ? 0.5 : 1.0;
            CHECK_MSG(fabs(at.g - scale * dloss) < 1e-6, "objective %zu row %zu: g %.9g vs %.9g", o,
                      i, at.g, scale * dloss);
            if (ids[o] == LATHE__GBDT_ABSOLUTE_ERROR || ids[o] == LATHE__GBDT_HUBER)
                continue; /* LightGBM's convention: h = 1 */
            double dg = (above.g - below.g) / (2 * h);
            CHECK_MSG(fabs(at.h - dg) < 1e-6, "objective %zu row %zu: h %.9g vs %.9g", o, i, at.h,
                      dg);
        }
    }
    /* softmax: g_k is the derivative in raw k, h_k that of g_k times K / (K - 1) */
    lathe__gbdt_loss_args args = {.id = LATHE__GBDT_MULTI_SOFTMAX, .n_raw = 3};
    double raw[3] = {0.2, -1.1, 0.7}, y = 2, w = 1;
    lathe__gbdt_pair gh[3], moved[3];
    lathe__gbdt_gradients(&args, raw, &y, &w, NULL, 0, 1, 1, gh);
    for (size_t k = 0; k < 3; k++) {
        double saved = raw[k];
        raw[k] = saved + h;
        double up = lathe__gbdt_row_loss(&args, raw, y);
        lathe__gbdt_gradients(&args, raw, &y, &w, NULL, 0, 1, 1, moved);
        double g_up = moved[k].g;
        raw[k] = saved - h;
        double down = lathe__gbdt_row_loss(&args, raw, y);
        lathe__gbdt_gradients(&args, raw, &y, &w, NULL, 0, 1, 1, moved);
        raw[k] = saved;
        CHECK_NEAR(gh[k].g, (up - down) / (2 * h), 1e-6);
        CHECK_NEAR(gh[k].h, 1.5 * (g_up - moved[k].g) / (2 * h), 1e-6);
    }
}

TEST(every_objective_fits_and_lowers_its_loss)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    const char *objectives[] = {"reg:squarederror", "reg:absoluteerror", "reg:pseudohuber",
                                "reg:huber", "count:poisson"};
    problem p = random_problem(500, 3, LATHE__TASK_REGRESSION, 0, false, 31);
    for (size_t i = 0; i < 500; i++) /* Poisson wants counts */
        p.y[i] = floor(fabs(p.y[i]));
    lathe__train_data data = train_data(&p);
    for (size_t o = 0; o < 5; o++) {
        char objective[64];
        snprintf(objective, sizeof objective, "objective=%s", objectives[o]);
        const char *few[] = {objective, "n_estimators=1", "learning_rate=0.01", NULL};
        const char *many[] = {objective, "n_estimators=30", NULL};
        lathe__gbdt_model *a, *b;
        CHECK_OK(fit_with(ctx, &data, few, &a, &err), err);
        CHECK_OK(fit_with(ctx, &data, many, &b, &err), err);
        lathe__gbdt_loss_args args = {.id = a->objective, .n_raw = 1, .huber_slope = 1};
        double loss[2] = {0, 0};
        for (size_t i = 0; i < 500; i++) {
            double raw[2];
            lathe__ensemble_raw_row(&a->ensemble, p.x.dense + 3 * i, &raw[0]);
            lathe__ensemble_raw_row(&b->ensemble, p.x.dense + 3 * i, &raw[1]);
            loss[0] += lathe__gbdt_row_loss(&args, &raw[0], p.y[i]);
            loss[1] += lathe__gbdt_row_loss(&args, &raw[1], p.y[i]);
        }
        CHECK_MSG(loss[1] < 0.8 * loss[0], "%s: %g then %g", objectives[o], loss[0], loss[1]);
        CHECK_EQ(b->ensemble.link, o == 4 ? LATHE__LINK_EXP : LATHE__LINK_IDENTITY);
        lathe__gbdt_ops.free(ctx, a);
        lathe__gbdt_ops.free(ctx, b);
    }
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* ---- Weights --------------------------------------------------------------- */

TEST(a_weight_of_two_is_a_repeated_row)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(200, 2, LATHE__TASK_CLASSIFICATION, 2, false, 41);
    problem twice = make_problem(300, 2, LATHE__TASK_CLASSIFICATION, 2);
    p.weights = calloc(200, sizeof(double));
    for (size_t i = 0; i < 200; i++) {
        p.weights[i] = i < 100 ? 2.0 : 1.0;
        for (size_t copy = 0; copy < (i < 100 ? 2u : 1u); copy++) {
            size_t at = i < 100 ? 2 * i + copy : i + 100;
            memcpy(twice.x.dense + 2 * at, p.x.dense + 2 * i, 2 * sizeof(double));
            twice.y[at] = p.y[i];
        }
    }
    lathe__train_data weighted = train_data(&p), repeated = train_data(&twice);
    const char *settings[] = {"n_estimators=5", "max_depth=3", NULL};
    lathe__gbdt_model *a, *b;
    CHECK_OK(fit_with(ctx, &weighted, settings, &a, &err), err);
    CHECK_OK(fit_with(ctx, &repeated, settings, &b, &err), err);
    for (size_t i = 0; i < 200; i++)
        CHECK_NEAR(predict_one(a, p.x.dense + 2 * i), predict_one(b, p.x.dense + 2 * i), 1e-9);
    lathe__gbdt_ops.free(ctx, a);
    lathe__gbdt_ops.free(ctx, b);
    /* scale_pos_weight=2 is class_weight 0:1,1:2 */
    const char *scaled[] = {"n_estimators=5", "scale_pos_weight=2", NULL};
    const char *classes[] = {"n_estimators=5", "class_weight=0:1,1:2", NULL};
    CHECK_OK(fit_with(ctx, &weighted, scaled, &a, &err), err);
    CHECK_OK(fit_with(ctx, &weighted, classes, &b, &err), err);
    for (size_t i = 0; i < 200; i++)
        CHECK_NEAR(predict_one(a, p.x.dense + 2 * i), predict_one(b, p.x.dense + 2 * i), 0);
    lathe__gbdt_ops.free(ctx, a);
    lathe__gbdt_ops.free(ctx, b);
    free_problem(&p);
    free_problem(&twice);
    lathe_ctx_free(ctx);
}

/* ---- Bad input ------------------------------------------------------------- */

TEST(bad_settings_and_data_are_reported)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(50, 2, LATHE__TASK_CLASSIFICATION, 3, true, 51);
    lathe__train_data data = train_data(&p);
    lathe__gbdt_model *m;
    const char *binary[] = {"objective=binary:logistic", NULL};
    CHECK_EQ(fit_with(ctx, &data, binary, &m, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "binary:logistic needs 2 classes");
    const char *regression[] = {"objective=reg:squarederror", NULL};
    CHECK_EQ(fit_with(ctx, &data, regression, &m, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "is for regression");
    const char *unbounded[] = {"max_depth=0", NULL};
    CHECK_EQ(fit_with(ctx, &data, unbounded, &m, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "needs max_depth above 0");
    p.x.dense[2 * 7 + 1] = 2.5; /* not a category code */
    CHECK_EQ(fit_with(ctx, &data, NULL, &m, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "categorical column 1 holds 2.5");
    p.x.dense[2 * 7 + 1] = 1;
    p.y[3] = 3;
    CHECK_EQ(fit_with(ctx, &data, NULL, &m, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "target of row 3 is not a class index");
    p.y[3] = 0;
    p.task = LATHE__TASK_REGRESSION;
    data = train_data(&p);
    const char *poisson[] = {"objective=count:poisson", NULL};
    p.y[4] = -1;
    CHECK_EQ(fit_with(ctx, &data, poisson, &m, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "count:poisson needs counts of 0 or more, row 4");
    free_problem(&p);
    lathe_ctx_free(ctx);
}

static int cancel_at_third(void *user, const char *stage, double done, double total)
{
    (void)stage;
    (void)total;
    int *calls = user;
    ++*calls;
    return done >= 3;
}

TEST(progress_is_reported_and_cancel_stops_the_fit)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    int calls = 0;
    lathe_ctx_set_progress(ctx, cancel_at_third, &calls);
    problem p = random_problem(100, 2, LATHE__TASK_REGRESSION, 0, false, 61);
    lathe__train_data data = train_data(&p);
    lathe__gbdt_model *m = NULL;
    CHECK_EQ(fit_with(ctx, &data, NULL, &m, &err), LATHE_CANCELED);
    CHECK(m == NULL);
    CHECK_EQ(calls, 3);
    free_problem(&p);
    lathe_ctx_free(ctx);
}
