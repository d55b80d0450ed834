/*
 * test_forest.c: forest, extra_trees and isolation_forest: the same bits
 * for any thread count, a sane out-of-bag score, save/load that predicts
 * the same and refuses corrupt bytes, and an isolation forest that picks out
 * an obvious outlier, alone and as the rare class of a binary target.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/internal.h"
#include "harness.h"
#include "lathe/lathe.h"
#include "model/cart.h"
#include "model/model.h"

typedef struct problem {
    lathe__matrix x;
    double *y;
    lathe__train_data data;
} problem;

static uint64_t rng_state;

static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* n rows of d uniform features; y from x0 + x1 (classes: above 1, with 10% flipped). */
static problem make(size_t n, size_t d, lathe__task task, uint64_t seed)
{
    problem p = {0};
    rng_state = seed;
    p.x.n_rows = n;
    p.x.n_cols = d;
    p.x.dense = calloc(n * d, sizeof(double));
    p.x.borrowed = true;
    p.y = calloc(n, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++)
            p.x.dense[i * d + j] = uniform();
        double s = p.x.dense[i * d] + p.x.dense[i * d + 1];
        if (task == LATHE__TASK_REGRESSION)
            p.y[i] = 3 * s + 0.1 * uniform();
        else
            p.y[i] = (s > 1) != (uniform() < 0.1);
    }
    p.data = (lathe__train_data){
        .x = &p.x, .y = p.y, .task = task, .n_classes = task == LATHE__TASK_REGRESSION ? 0 : 2};
    return p;
}

static void release(problem *p)
{
    free(p->x.dense);
    free(p->y);
}

static void *fit(lathe_ctx *ctx, const lathe__model_ops *ops, const lathe__train_data *data,
                 const char **settings, lathe_error *err)
{
    lathe__param_values params;
    void *model = NULL;
    if (lathe__params_init(ctx, ops->params, ops->n_params, &params, err))
        return NULL;
    for (size_t i = 0; settings && settings[i]; i++)
        if (lathe__params_set(ctx, &params, settings[i], err) != LATHE_OK)
            goto out;
    ops->fit(ctx, data, &params, &model, err);
out:
    lathe__params_release(ctx, &params);
    return model;
}

static bool same_tree(const lathe__tree *a, const lathe__tree *b)
{
    size_t n = a->n_nodes;
    return n == b->n_nodes && a->n_outputs == b->n_outputs &&
           !memcmp(a->left, b->left, n * sizeof *a->left) &&
           !memcmp(a->right, b->right, n * sizeof *a->right) &&
           !memcmp(a->feature, b->feature, n * sizeof *a->feature) &&
           !memcmp(a->threshold, b->threshold, n * sizeof *a->threshold) &&
           !memcmp(a->value, b->value, n * a->n_outputs * sizeof *a->value) &&
           !memcmp(a->cover, b->cover, n * sizeof *a->cover) &&
           !memcmp(a->gain, b->gain, n * sizeof *a->gain);
}

static bool same_forest(const lathe__cart_model *a, const lathe__cart_model *b)
{
    if (a->ensemble.n_trees != b->ensemble.n_trees)
        return false;
    for (size_t t = 0; t < a->ensemble.n_trees; t++)
        if (!same_tree(&a->ensemble.trees[t], &b->ensemble.trees[t]))
            return false;
    return memcmp(&a->oob_score, &b->oob_score, sizeof a->oob_score) == 0;
}

TEST(forests_are_the_same_for_any_thread_count)
{
    const lathe__model_ops *families[] = {&lathe__forest_ops, &lathe__extra_trees_ops};
    const char *settings[] = {"n_estimators=12", "oob_score=true", NULL};
    const char *extra_settings[] = {"n_estimators=12", NULL};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p = make(400, 6, LATHE__TASK_CLASSIFICATION, 3);
    lathe_ctx_set_seed(ctx, 11);
    for (size_t i = 0; i < 2; i++) {
        lathe__cart_model *models[3];
        for (int threads = 1; threads <= 3; threads++) {
            lathe_ctx_set_threads(ctx, threads);
            models[threads - 1] =
                fit(ctx, families[i], &p.data, i == 0 ? settings : extra_settings, &err);
            CHECK_MSG(models[threads - 1], "fit failed: %s", err.message);
        }
        CHECK(same_forest(models[0], models[1]));
        CHECK(same_forest(models[0], models[2]));
        /* A different seed gives a different forest, so the comparison can fail. */
        lathe_ctx_set_seed(ctx, 12);
        lathe__cart_model *other = fit(ctx, families[i], &p.data, extra_settings, &err);
        CHECK_MSG(other, "fit failed: %s", err.message);
        CHECK(!same_tree(&models[0]->ensemble.trees[0], &other->ensemble.trees[0]));
        lathe_ctx_set_seed(ctx, 11);
        for (int k = 0; k < 3; k++)
            families[i]->free(ctx, models[k]);
        families[i]->free(ctx, other);
    }
    release(&p);
    lathe_ctx_free(ctx);
}

/* Accuracy of argmax predictions (classes) or R^2 (values) of `model` on `p`. */
static double score(const lathe__model_ops *ops, const void *model, const problem *p)
{
    size_t n = p->x.n_rows, k = ops->n_outputs(model);
    double *out = calloc(n * k, sizeof *out), hits = 0, mean = 0, ss = 0, sr = 0;
    ops->predict(model, &p->x, out);
    for (size_t i = 0; i < n; i++)
        mean += p->y[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        if (p->data.task == LATHE__TASK_CLASSIFICATION) {
            hits += (out[i * k + 1] > out[i * k]) == (p->y[i] > 0.5);
        } else {
            sr += (p->y[i] - out[i]) * (p->y[i] - out[i]);
            ss += (p->y[i] - mean) * (p->y[i] - mean);
        }
    }
    free(out);
    return p->data.task == LATHE__TASK_CLASSIFICATION ? hits / (double)n : 1 - sr / ss;
}

TEST(oob_score_tracks_held_out_score)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    lathe_ctx_set_threads(ctx, 2);
    const lathe__task tasks[] = {LATHE__TASK_CLASSIFICATION, LATHE__TASK_REGRESSION};
    const char *settings[] = {"n_estimators=40", "oob_score=true", NULL};
    for (size_t i = 0; i < 2; i++) {
        problem train = make(600, 4, tasks[i], 5), test = make(600, 4, tasks[i], 6);
        lathe__cart_model *m = fit(ctx, &lathe__forest_ops, &train.data, settings, &err);
        CHECK_MSG(m, "fit failed: %s", err.message);
        double held_out = score(&lathe__forest_ops, m, &test);
        double on_train = score(&lathe__forest_ops, m, &train);
        /* Labels are 10% noise, values 3% noise: OOB near held-out, well below training. */
        CHECK_MSG(fabs(m->oob_score - held_out) < 0.05, "oob %.4f, held out %.4f", m->oob_score,
                  held_out);
        CHECK_MSG(m->oob_score > (i == 0 ? 0.8 : 0.9), "oob %.4f", m->oob_score);
        if (i == 0)
            CHECK_MSG(on_train > m->oob_score + 0.05, "train %.4f, oob %.4f", on_train,
                      m->oob_score);
        lathe__cart_model_free(ctx, m);
        release(&train);
        release(&test);
    }
    problem p = make(50, 3, LATHE__TASK_CLASSIFICATION, 1);
    const char *no_bootstrap[] = {"oob_score=true", "bootstrap=false", NULL};
    CHECK(fit(ctx, &lathe__forest_ops, &p.data, no_bootstrap, &err) == NULL);
    CHECK_HAS(err.message, "oob_score needs bootstrap=true");
    release(&p);
    lathe_ctx_free(ctx);
}

TEST(forest_beats_one_tree_and_extra_trees_learn)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem train = make(800, 6, LATHE__TASK_CLASSIFICATION, 8),
            test = make(2000, 6, LATHE__TASK_CLASSIFICATION, 9);
    const char *settings[] = {"n_estimators=30", NULL};
    const char *balanced[] = {"n_estimators=10", "class_weight=balanced_subsample", NULL};
    void *tree = fit(ctx, &lathe__tree_ops, &train.data, NULL, &err);
    void *forest = fit(ctx, &lathe__forest_ops, &train.data, settings, &err);
    void *extra = fit(ctx, &lathe__extra_trees_ops, &train.data, settings, &err);
    void *weighted = fit(ctx, &lathe__forest_ops, &train.data, balanced, &err);
    CHECK_MSG(tree && forest && extra && weighted, "fit failed: %s", err.message);
    double t = score(&lathe__tree_ops, tree, &test), f = score(&lathe__forest_ops, forest, &test);
    double e = score(&lathe__extra_trees_ops, extra, &test);
    /* The noise-free rule scores 0.9 on noisy labels; one deep tree overfits the noise. */
    CHECK_MSG(f > t + 0.02 && f > 0.82, "forest %.4f, tree %.4f", f, t);
    CHECK_MSG(e > 0.82, "extra trees %.4f", e);
    CHECK(score(&lathe__forest_ops, weighted, &test) > 0.8);
    lathe__cart_model_free(ctx, tree);
    lathe__cart_model_free(ctx, forest);
    lathe__cart_model_free(ctx, extra);
    lathe__cart_model_free(ctx, weighted);
    release(&train);
    release(&test);
    lathe_ctx_free(ctx);
}

static bool round_trip(lathe_ctx *ctx, const lathe__model_ops *ops, const void *model,
                       const problem *p, lathe_error *err)
{
    lathe__wbuf w;
    lathe__wbuf_init(&w, ctx);
    ops->save(model, &w);
    bool ok = lathe__wbuf_status(&w, err) == LATHE_OK;
    lathe__rbuf r;
    void *loaded = NULL;
    lathe__rbuf_init(&r, w.data, w.length, "model section");
    ok = ok && ops->load(ctx, &r, &loaded, err) == LATHE_OK;
    size_t n = p->x.n_rows, k = ops->n_outputs(model);
    double *a = calloc(n * k, sizeof *a), *b = calloc(n * k, sizeof *b);
    if (ok) {
        ops->predict(model, &p->x, a);
        ops->predict(loaded, &p->x, b);
        ok = memcmp(a, b, n * k * sizeof *a) == 0;
    }
    /* Every truncation fails with a message and never crashes. */
    for (size_t cut = 0; ok && cut < w.length; cut += 1 + cut / 7) {
        void *broken = NULL;
        lathe__rbuf_init(&r, w.data, cut, "model section");
        ok = ops->load(ctx, &r, &broken, err) != LATHE_OK && err->message[0];
    }
    if (loaded)
        ops->free(ctx, loaded);
    free(a);
    free(b);
    lathe__wbuf_release(&w);
    return ok;
}

TEST(saved_models_predict_the_same_and_refuse_truncation)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p = make(200, 4, LATHE__TASK_CLASSIFICATION, 4);
    problem r = make(200, 4, LATHE__TASK_REGRESSION, 4);
    const char *settings[] = {"n_estimators=5", NULL};
    void *forest = fit(ctx, &lathe__forest_ops, &p.data, settings, &err);
    void *extra = fit(ctx, &lathe__extra_trees_ops, &r.data, settings, &err);
    void *tree = fit(ctx, &lathe__tree_ops, &p.data, NULL, &err);
    void *isolation = fit(ctx, &lathe__isolation_forest_ops, &p.data, settings, &err);
    CHECK_MSG(forest && extra && tree && isolation, "fit failed: %s", err.message);
    CHECK_MSG(round_trip(ctx, &lathe__forest_ops, forest, &p, &err), "forest: %s", err.message);
    CHECK_MSG(round_trip(ctx, &lathe__extra_trees_ops, extra, &r, &err), "extra: %s", err.message);
    CHECK_MSG(round_trip(ctx, &lathe__tree_ops, tree, &p, &err), "tree: %s", err.message);
    CHECK_MSG(round_trip(ctx, &lathe__isolation_forest_ops, isolation, &p, &err), "isolation: %s",
              err.message);
    /* A model of one family does not load as another. */
    lathe__wbuf w;
    lathe__wbuf_init(&w, ctx);
    lathe__forest_ops.save(forest, &w);
    lathe__rbuf rb;
    void *wrong = NULL;
    lathe__rbuf_init(&rb, w.data, w.length, "model section");
    CHECK(lathe__extra_trees_ops.load(ctx, &rb, &wrong, &err) != LATHE_OK);
    CHECK_HAS(err.message, "expected a extra_trees model, found forest");
    lathe__wbuf_release(&w);
    lathe__forest_ops.free(ctx, forest);
    lathe__extra_trees_ops.free(ctx, extra);
    lathe__tree_ops.free(ctx, tree);
    lathe__isolation_forest_ops.free(ctx, isolation);
    release(&p);
    release(&r);
    lathe_ctx_free(ctx);
}

/*
 * 300 rows in a disc of radius 0.5 around the origin, and (with outliers)
 * rows far out near (8, 8). A disc, so that no normal row is the largest
 * in both features: such a row, left out of a tree's sample, would fall in
 * the same corner leaf as the far rows and score as high.
 */
static problem blob(size_t n_outliers)
{
    problem p = make(300 + n_outliers, 2, LATHE__TASK_CLASSIFICATION, 21);
    for (size_t i = 0; i < 300 + n_outliers; i++) {
        bool far = i >= 300;
        double a, b;
        do {
            a = uniform() - 0.5;
            b = uniform() - 0.5;
        } while (a * a + b * b > 0.25);
        p.x.dense[2 * i] = (far ? 8 : 0) + a;
        p.x.dense[2 * i + 1] = (far ? 8 : 0) + b;
        p.y[i] = far;
    }
    return p;
}

TEST(isolation_forest_scores_an_obvious_outlier)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p = blob(1);
    p.data.y = NULL; /* scores: no classes */
    void *m = fit(ctx, &lathe__isolation_forest_ops, &p.data, NULL, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    CHECK_EQ(lathe__isolation_forest_ops.n_outputs(m), 1);
    double *scores = calloc(301, sizeof *scores), top_normal = 0;
    lathe__isolation_forest_ops.predict(m, &p.x, scores);
    for (size_t i = 0; i < 300; i++)
        top_normal = fmax(top_normal, scores[i]);
    CHECK_MSG(scores[300] > 0.7 && scores[300] > top_normal + 0.05,
              "outlier %.3f, most anomalous normal row %.3f", scores[300], top_normal);
    /* The same bits for any thread count. */
    lathe_ctx_set_threads(ctx, 3);
    void *again = fit(ctx, &lathe__isolation_forest_ops, &p.data, NULL, &err);
    CHECK_MSG(again, "fit failed: %s", err.message);
    double *scores3 = calloc(301, sizeof *scores3);
    lathe__isolation_forest_ops.predict(again, &p.x, scores3);
    CHECK(memcmp(scores, scores3, 301 * sizeof *scores) == 0);
    free(scores);
    free(scores3);
    lathe__isolation_forest_ops.free(ctx, m);
    lathe__isolation_forest_ops.free(ctx, again);
    release(&p);
    lathe_ctx_free(ctx);
}

TEST(isolation_forest_finds_a_rare_class)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p = blob(6); /* class 1: the 6 far rows */
    void *m = fit(ctx, &lathe__isolation_forest_ops, &p.data, NULL, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    CHECK_EQ(lathe__isolation_forest_ops.n_outputs(m), 2);
    double *out = calloc(2 * 306, sizeof *out), top_normal = 0;
    lathe__isolation_forest_ops.predict(m, &p.x, out);
    size_t flagged_normal = 0;
    for (size_t i = 0; i < 300; i++) {
        CHECK_NEAR(out[2 * i] + out[2 * i + 1], 1, 1e-12);
        flagged_normal += out[2 * i + 1] > 0.5;
        top_normal = fmax(top_normal, out[2 * i + 1]);
    }
    for (size_t i = 300; i < 306; i++)
        CHECK_MSG(out[2 * i + 1] > 0.5 && out[2 * i + 1] >= top_normal,
                  "far row %zu: p(rare) %.3f, most anomalous normal row %.3f", i, out[2 * i + 1],
                  top_normal);
    /* Under the calibration the anomaly scores rank every far row above every normal one. */
    double scores[306], top_normal_score = 0;
    lathe__ensemble_predict(lathe__isolation_forest_ops.ensemble(m), &p.x, scores);
    for (size_t i = 0; i < 300; i++)
        top_normal_score = fmax(top_normal_score, scores[i]);
    for (size_t i = 300; i < 306; i++)
        CHECK_MSG(scores[i] > top_normal_score, "far row %zu scores %.4f, a normal row %.4f", i,
                  scores[i], top_normal_score);
    /* contamination auto = 6/306 sets the threshold: hardly any normal row passes it. */
    CHECK_MSG(flagged_normal <= 3, "%zu normal rows flagged", flagged_normal);
    lathe__isolation_forest_ops.free(ctx, m);
    /* The rare class may be class 0 too: flip the labels. */
    for (size_t i = 0; i < 306; i++)
        p.y[i] = 1 - p.y[i];
    m = fit(ctx, &lathe__isolation_forest_ops, &p.data, NULL, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    lathe__isolation_forest_ops.predict(m, &p.x, out);
    CHECK(out[2 * 303] > 0.5 && out[2 * 5 + 1] > 0.5);
    lathe__isolation_forest_ops.free(ctx, m);
    p.data.n_classes = 3;
    CHECK(fit(ctx, &lathe__isolation_forest_ops, &p.data, NULL, &err) == NULL);
    CHECK_HAS(err.message, "needs a target of 2 classes");
    free(out);
    release(&p);
    lathe_ctx_free(ctx);
}

TEST(extra_trees_split_categories_at_random)
{
    /* Column 0 is a category (0..5) deciding the class: categories 1, 3, 4 are class 1. */
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p = make(600, 3, LATHE__TASK_CLASSIFICATION, 31);
    bool categorical[3] = {true, false, false};
    for (size_t i = 0; i < 600; i++) {
        double c = (double)(i % 6);
        p.x.dense[3 * i] = c;
        p.y[i] = c == 1 || c == 3 || c == 4;
    }
    p.data.categorical = categorical;
    const char *settings[] = {"n_estimators=10", "max_features=all", NULL};
    lathe__cart_model *m = fit(ctx, &lathe__extra_trees_ops, &p.data, settings, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    size_t categorical_splits = 0;
    for (size_t t = 0; t < m->ensemble.n_trees; t++)
        for (size_t i = 0; i < m->ensemble.trees[t].n_nodes; i++)
            categorical_splits += m->ensemble.trees[t].cat_words[i] > 0;
    CHECK(categorical_splits >= 10);
    CHECK_MSG(score(&lathe__extra_trees_ops, m, &p) == 1, "accuracy %.4f",
              score(&lathe__extra_trees_ops, m, &p));
    lathe__cart_model_free(ctx, m);
    release(&p);
    lathe_ctx_free(ctx);
}

TEST(sparse_input_grows_the_dense_forest)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p = make(300, 5, LATHE__TASK_REGRESSION, 41);
    for (size_t i = 0; i < 300 * 5; i += 3)
        p.x.dense[i] = 0; /* some exact zeros for CSR to leave out */
    lathe__matrix csr;
    CHECK_OK(lathe__matrix_to_sparse(ctx, &p.x, &csr, &err), err);
    const char *settings[] = {"n_estimators=4", NULL};
    lathe__cart_model *dense = fit(ctx, &lathe__forest_ops, &p.data, settings, &err);
    lathe__train_data sparse_data = p.data;
    sparse_data.x = &csr;
    lathe__cart_model *sparse = fit(ctx, &lathe__forest_ops, &sparse_data, settings, &err);
    CHECK_MSG(dense && sparse, "fit failed: %s", err.message);
    CHECK(same_forest(dense, sparse));
    lathe__cart_model_free(ctx, dense);
    lathe__cart_model_free(ctx, sparse);
    lathe__matrix_release(ctx, &csr);
    release(&p);
    lathe_ctx_free(ctx);
}
