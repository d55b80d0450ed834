/*
 * test_linear.c: the linear families on problems small enough to solve by
 * hand (closed-form ridge and lasso, a symmetric logistic problem, SVM
 * margins), plus the properties the rest of Lathe relies on: CSR input gives
 * the dense result, any thread count gives the same bits, save/load is
 * exact and rejects corrupt bytes, and parameters fail with useful messages.
 * Agreement with scikit-learn on larger data is tests/oracle/test_linear_sklearn.py.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "harness.h"
#include "lathe/lathe.h"
#include "model/linear.h"
#include "model/model.h"

typedef struct problem {
    lathe__matrix x;
    double *y;
    double *weights;
    size_t n_classes;
    lathe__task task;
} problem;

static uint64_t rng_state;

static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double gaussian(void)
{
    double u = uniform(), v = uniform();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

static problem make_problem(size_t n, size_t d, lathe__task task, size_t n_classes)
{
    problem p = {.task = task, .n_classes = n_classes};
    p.x.n_rows = n;
    p.x.n_cols = d;
    p.x.dense = calloc(n * d + 1, sizeof(double));
    p.x.borrowed = true;
    p.y = calloc(n + 1, sizeof(double));
    return p;
}

static void free_problem(problem *p)
{
    free(p->x.dense);
    free(p->y);
    free(p->weights);
}

/* Gaussian features; y from a fixed linear rule (classes by argmax of scores, or values). */
static problem random_problem(size_t n, size_t d, lathe__task task, size_t n_classes, uint64_t seed)
{
    rng_state = seed;
    problem p = make_problem(n, d, task, n_classes);
    for (size_t i = 0; i < n * d; i++)
        p.x.dense[i] = gaussian();
    for (size_t i = 0; i < n; i++) {
        const double *x = p.x.dense + i * d;
        if (task == LATHE__TASK_REGRESSION) {
            p.y[i] = 1.5 + gaussian() * 0.3;
            for (size_t j = 0; j < d; j++)
                p.y[i] += x[j] * (double)(j % 3) * 0.7;
            continue;
        }
        size_t best = 0;
        double best_score = -INFINITY;
        for (size_t k = 0; k < n_classes; k++) {
            double score = gaussian();
            for (size_t j = 0; j < d; j++)
                score += x[j] * (double)((j + k) % 3 - 1);
            if (score > best_score) {
                best_score = score;
                best = k;
            }
        }
        p.y[i] = (double)best;
    }
    return p;
}

static lathe__train_data train_data(const problem *p, const lathe__matrix *x)
{
    lathe__train_data data = {.x = x ? x : &p->x,
                              .y = p->y,
                              .weights = p->weights,
                              .task = p->task,
                              .n_classes = p->n_classes};
    return data;
}

/* Fits `family` with "NAME=VALUE" settings (NULL-terminated list). */
static lathe_status fit_with(lathe_ctx *ctx, const char *family, const lathe__train_data *data,
                             const char *const *settings, lathe__linear_model **model,
                             lathe_error *err)
{
    const lathe__model_ops *ops = lathe__model_find(family);
    if (!ops)
        return LATHE_NOT_FOUND;
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

static bool same_bits(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof(double)) == 0;
}

static double max_difference(const double *a, const double *b, size_t n)
{
    double largest = 0.0;
    for (size_t i = 0; i < n; i++)
        largest = fmax(largest, fabs(a[i] - b[i]));
    return largest;
}

/* ---- Parameters --------------------------------------------------------- */

TEST(params_unknown_name_suggests_the_closest)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    const lathe__model_ops *ridge = lathe__model_find("ridge");
    CHECK(ridge != NULL);
    lathe__param_values params;
    CHECK_OK(lathe__params_init(ctx, ridge->params, ridge->n_params, &params, &err), err);
    CHECK_EQ(lathe__params_set(ctx, &params, "alpah=2", &err), LATHE_INVALID);
    CHECK_STR(err.message,
              "unknown parameter \"alpah\" for model \"ridge\" (did you mean \"alpha\"?)");
    CHECK_EQ(lathe__params_set(ctx, &params, "zzzzzz=2", &err), LATHE_INVALID);
    CHECK_STR(err.message, "unknown parameter \"zzzzzz\" for model \"ridge\"");
    CHECK_EQ(lathe__params_set(ctx, &params, "alpha", &err), LATHE_INVALID);
    CHECK_HAS(err.message, "expected NAME=VALUE");
    CHECK_NEAR(lathe__params_number(&params, "alpha"), 1.0, 0);
    lathe__params_release(ctx, &params);
    lathe_ctx_free(ctx);
}

TEST(params_bad_values_and_ranges)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    const lathe__model_ops *logistic = lathe__model_find("logistic");
    lathe__param_values params;
    CHECK_OK(lathe__params_init(ctx, logistic->params, logistic->n_params, &params, &err), err);
    CHECK_EQ(lathe__params_set(ctx, &params, "C=abc", &err), LATHE_INVALID);
    CHECK_STR(err.message, "parameter \"C\" must be a number, got \"abc\"");
    CHECK_EQ(lathe__params_set(ctx, &params, "C=-1", &err), LATHE_INVALID);
    CHECK_STR(err.message, "parameter \"C\" must be > 0, got -1");
    CHECK_EQ(lathe__params_set(ctx, &params, "C=0", &err), LATHE_INVALID);
    CHECK_EQ(lathe__params_set(ctx, &params, "C=inf", &err), LATHE_INVALID);
    CHECK_EQ(lathe__params_set(ctx, &params, "l1_ratio=1.5", &err), LATHE_INVALID);
    CHECK_STR(err.message, "parameter \"l1_ratio\" must be between 0 and 1, got 1.5");
    CHECK_EQ(lathe__params_set(ctx, &params, "max_iter=2.5", &err), LATHE_INVALID);
    CHECK_STR(err.message, "parameter \"max_iter\" must be an integer, got \"2.5\"");
    CHECK_EQ(lathe__params_set(ctx, &params, "max_iter=0", &err), LATHE_INVALID);
    CHECK_STR(err.message, "parameter \"max_iter\" must be between 1 and 1e+07, got 0");
    CHECK_EQ(lathe__params_set(ctx, &params, "fit_intercept=yes", &err), LATHE_INVALID);
    CHECK_STR(err.message, "parameter \"fit_intercept\" must be true or false, got \"yes\"");
    CHECK_EQ(lathe__params_set(ctx, &params, "penalty=elasticnett", &err), LATHE_INVALID);
    CHECK_STR(err.message, "parameter \"penalty\" must be one of l2, l1, elasticnet, none, got "
                           "\"elasticnett\" (did you mean \"elasticnet\"?)");
    /* Failed sets changed nothing; good ones apply. */
    CHECK_NEAR(lathe__params_number(&params, "C"), 1.0, 0);
    CHECK_OK(lathe__params_set(ctx, &params, " C = 0.25 ", &err), err);
    CHECK_OK(lathe__params_set(ctx, &params, "fit_intercept=0", &err), err);
    CHECK_OK(lathe__params_set_named(ctx, &params, "penalty", "l1", &err), err);
    CHECK_OK(lathe__params_set(ctx, &params, "class_weight=0:1,1:5", &err), err);
    CHECK_NEAR(lathe__params_number(&params, "C"), 0.25, 0);
    CHECK_NEAR(lathe__params_number(&params, "fit_intercept"), 0, 0);
    CHECK_STR(lathe__params_choice(&params, "penalty"), "l1");
    CHECK_STR(lathe__params_text(&params, "class_weight"), "0:1,1:5");
    CHECK(params.set[1] && !params.set[2]);
    CHECK_OK(lathe__params_set(ctx, &params, "fit_intercept=TRUE", &err), err);
    CHECK_NEAR(lathe__params_number(&params, "fit_intercept"), 1, 0);
    lathe__params_release(ctx, &params);
    lathe_ctx_free(ctx);
}

TEST(params_save_load_round_trip_and_corruption)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    const lathe__model_ops *ops = lathe__model_find("elasticnet");
    lathe__param_values params, loaded;
    CHECK_OK(lathe__params_init(ctx, ops->params, ops->n_params, &params, &err), err);
    CHECK_OK(lathe__params_set(ctx, &params, "alpha=0.125", &err), err);
    CHECK_OK(lathe__params_set(ctx, &params, "precompute=false", &err), err);
    lathe__wbuf buf;
    lathe__wbuf_init(&buf, ctx);
    lathe__params_save(&params, &buf);
    CHECK_OK(lathe__wbuf_status(&buf, &err), err);
    lathe__rbuf in;
    lathe__rbuf_init(&in, buf.data, buf.length, "params");
    CHECK_OK(lathe__params_load(ctx, &in, ops->params, ops->n_params, &loaded, &err), err);
    CHECK_NEAR(lathe__params_number(&loaded, "alpha"), 0.125, 0);
    CHECK_STR(lathe__params_choice(&loaded, "precompute"), "false");
    CHECK(loaded.set[0] && !loaded.set[1]);
    lathe__params_release(ctx, &loaded);
    /* Every truncation fails cleanly. */
    for (size_t cut = 0; cut < buf.length; cut++) {
        lathe__rbuf_init(&in, buf.data, cut, "params");
        CHECK_EQ(lathe__params_load(ctx, &in, ops->params, ops->n_params, &loaded, &err),
                 LATHE_CORRUPT);
    }
    /* Loaded against another family's table: the names do not match. */
    const lathe__model_ops *ridge = lathe__model_find("ridge");
    lathe__rbuf_init(&in, buf.data, buf.length, "params");
    CHECK_EQ(lathe__params_load(ctx, &in, ridge->params, ridge->n_params, &loaded, &err),
             LATHE_CORRUPT);
    CHECK_HAS(err.message, "unknown parameter");
    lathe__wbuf_release(&buf);
    lathe__params_release(ctx, &params);
    lathe_ctx_free(ctx);
}

TEST(registry_lists_every_family_once)
{
    size_t count;
    const lathe__model_ops *const *all = lathe__model_all(&count);
    CHECK(count >= 6);
    const char *names[] = {"logistic", "linear", "ridge", "lasso", "elasticnet", "linear_svm"};
    for (size_t i = 0; i < 6; i++) {
        const lathe__model_ops *ops = lathe__model_find(names[i]);
        CHECK_MSG(ops != NULL, "family %s", names[i]);
        CHECK_STR(ops->name, names[i]);
        lathe_ctx *ctx = lathe_ctx_new();
        lathe_error err;
        lathe__param_values params;
        CHECK_OK(lathe__params_init(ctx, ops->params, ops->n_params, &params, &err), err);
        lathe__params_release(ctx, &params);
        lathe_ctx_free(ctx);
    }
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++)
            CHECK(strcmp(all[i]->name, all[j]->name) != 0);
    CHECK(lathe__model_find("ridgee") == NULL);
}

/* ---- Regression --------------------------------------------------------- */

/* The 2-feature ridge solution with intercept, by Cramer's rule on the centered system. */
static void ridge_by_hand(const problem *p, double alpha, double w[2], double *b)
{
    size_t n = p->x.n_rows;
    double mean[2] = {0, 0}, y_mean = 0;
    for (size_t i = 0; i < n; i++) {
        mean[0] += p->x.dense[2 * i] / (double)n;
        mean[1] += p->x.dense[2 * i + 1] / (double)n;
        y_mean += p->y[i] / (double)n;
    }
    double a = alpha, c = alpha, off = 0, r0 = 0, r1 = 0;
    for (size_t i = 0; i < n; i++) {
        double u = p->x.dense[2 * i] - mean[0], v = p->x.dense[2 * i + 1] - mean[1];
        double t = p->y[i] - y_mean;
        a += u * u;
        c += v * v;
        off += u * v;
        r0 += u * t;
        r1 += v * t;
    }
    double det = a * c - off * off;
    w[0] = (r0 * c - off * r1) / det;
    w[1] = (a * r1 - off * r0) / det;
    *b = y_mean - mean[0] * w[0] - mean[1] * w[1];
}

TEST(ridge_matches_the_closed_form)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(50, 2, LATHE__TASK_REGRESSION, 0, 7);
    for (size_t i = 0; i < 100; i++)
        p.x.dense[i] = p.x.dense[i] * 3.0 + 10.0; /* far from zero: centering matters */
    lathe__train_data data = train_data(&p, NULL);
    double w[2], b;
    ridge_by_hand(&p, 2.5, w, &b);
    const char *solvers[] = {"solver=cholesky", "solver=cg"};
    for (size_t s = 0; s < 2; s++) {
        const char *settings[] = {"alpha=2.5", solvers[s], NULL};
        lathe__linear_model *m;
        CHECK_OK(fit_with(ctx, "ridge", &data, settings, &m, &err), err);
        CHECK_NEAR(m->coef[0], w[0], 1e-9);
        CHECK_NEAR(m->coef[1], w[1], 1e-9);
        CHECK_NEAR(m->intercept[0], b, 1e-8);
        double prediction;
        lathe__matrix one = {.n_rows = 1, .n_cols = 2, .dense = p.x.dense, .borrowed = true};
        lathe__linear_predict(m, &one, &prediction);
        CHECK_NEAR(prediction, b + w[0] * p.x.dense[0] + w[1] * p.x.dense[1], 1e-9);
        lathe__linear_free(ctx, m);
    }
    free_problem(&p);
    lathe_ctx_free(ctx);
}

TEST(linear_recovers_an_exact_rule_and_min_norm_on_collinear_features)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(40, 3, LATHE__TASK_REGRESSION, 0, 11);
    for (size_t i = 0; i < 40; i++) {
        const double *x = p.x.dense + 3 * i;
        p.y[i] = 5.0 + 2.0 * x[0] - 3.0 * x[1] + 0.5 * x[2];
    }
    lathe__train_data data = train_data(&p, NULL);
    lathe__linear_model *m;
    CHECK_OK(fit_with(ctx, "linear", &data, NULL, &m, &err), err);
    CHECK_NEAR(m->coef[0], 2.0, 1e-10);
    CHECK_NEAR(m->coef[1], -3.0, 1e-10);
    CHECK_NEAR(m->coef[2], 0.5, 1e-10);
    CHECK_NEAR(m->intercept[0], 5.0, 1e-10);
    lathe__linear_free(ctx, m);
    /* Column 2 = column 0: y = 4 x0 splits evenly between the twins (minimum norm). */
    for (size_t i = 0; i < 40; i++) {
        p.x.dense[3 * i + 2] = p.x.dense[3 * i];
        p.y[i] = 1.0 + 4.0 * p.x.dense[3 * i] + p.x.dense[3 * i + 1];
    }
    CHECK_OK(fit_with(ctx, "linear", &data, NULL, &m, &err), err);
    CHECK_NEAR(m->coef[0], 2.0, 1e-6);
    CHECK_NEAR(m->coef[2], 2.0, 1e-6);
    CHECK_NEAR(m->coef[1], 1.0, 1e-6);
    CHECK_NEAR(m->intercept[0], 1.0, 1e-6);
    lathe__linear_free(ctx, m);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/*
 * One centered feature: the lasso solution is soft(x'y/n, alpha) / (x'x/n),
 * with intercept mean(y). A second, useless feature (orthogonal to both x and
 * y by construction) must come out exactly 0.
 */
TEST(lasso_matches_soft_thresholding_and_zeroes_a_useless_feature)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    size_t n = 8;
    problem p = make_problem(n, 2, LATHE__TASK_REGRESSION, 0);
    const double x0[] = {-3, -2, -1, 0, 0, 1, 2, 3};
    const double x1[] = {1, -1, -1, 1, 1, -1, -1, 1}; /* orthogonal to x0 and to y */
    const double y[] = {-5, -4.5, -1, 2, 2, 5, 8.5, 9};
    for (size_t i = 0; i < n; i++) {
        p.x.dense[2 * i] = x0[i];
        p.x.dense[2 * i + 1] = x1[i];
        p.y[i] = y[i];
    }
    double xy = 0, xx = 0, y_mean = 0, x1y = 0;
    for (size_t i = 0; i < n; i++) {
        xy += x0[i] * y[i] / (double)n;
        xx += x0[i] * x0[i] / (double)n;
        y_mean += y[i] / (double)n;
        x1y += x1[i] * y[i];
    }
    CHECK_NEAR(x1y, 0.0, 0); /* the data is as described */
    double alpha = 1.5;
    double expected = (xy - alpha) / xx;
    lathe__train_data data = train_data(&p, NULL);
    const char *precomputes[] = {"precompute=true", "precompute=false"};
    for (size_t k = 0; k < 2; k++) {
        const char *settings[] = {"alpha=1.5", "tol=1e-12", precomputes[k], NULL};
        lathe__linear_model *m;
        CHECK_OK(fit_with(ctx, "lasso", &data, settings, &m, &err), err);
        CHECK_NEAR(m->coef[0], expected, 1e-9);
        CHECK(m->coef[1] == 0.0);
        CHECK_NEAR(m->intercept[0], y_mean, 1e-9);
        CHECK(m->converged);
        lathe__linear_free(ctx, m);
    }
    /* A large alpha zeroes everything and leaves the mean. */
    const char *settings[] = {"alpha=100", NULL};
    lathe__linear_model *m;
    CHECK_OK(fit_with(ctx, "lasso", &data, settings, &m, &err), err);
    CHECK(m->coef[0] == 0.0 && m->coef[1] == 0.0);
    CHECK_NEAR(m->intercept[0], y_mean, 1e-12);
    lathe__linear_free(ctx, m);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* elasticnet with l1_ratio 0 is ridge with alpha * n; with l1_ratio 1 it is lasso. */
TEST(elasticnet_spans_ridge_and_lasso)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(60, 4, LATHE__TASK_REGRESSION, 0, 5);
    lathe__train_data data = train_data(&p, NULL);
    lathe__linear_model *a, *b;
    const char *enet_l2[] = {"alpha=0.1", "l1_ratio=0", NULL};
    const char *ridge[] = {"alpha=6", NULL};
    CHECK_OK(fit_with(ctx, "elasticnet", &data, enet_l2, &a, &err), err);
    CHECK_OK(fit_with(ctx, "ridge", &data, ridge, &b, &err), err);
    CHECK(max_difference(a->coef, b->coef, 4) < 1e-12);
    lathe__linear_free(ctx, a);
    lathe__linear_free(ctx, b);
    const char *enet_l1[] = {"alpha=0.2", "l1_ratio=1", "tol=1e-10", NULL};
    const char *lasso[] = {"alpha=0.2", "tol=1e-10", NULL};
    CHECK_OK(fit_with(ctx, "elasticnet", &data, enet_l1, &a, &err), err);
    CHECK_OK(fit_with(ctx, "lasso", &data, lasso, &b, &err), err);
    CHECK(same_bits(a->coef, b->coef, 4));
    lathe__linear_free(ctx, a);
    lathe__linear_free(ctx, b);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* Integer sample weights act as repeated rows. */
TEST(regression_sample_weights_repeat_rows)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(30, 3, LATHE__TASK_REGRESSION, 0, 3);
    p.weights = calloc(30, sizeof(double));
    size_t total = 0;
    for (size_t i = 0; i < 30; i++)
        total += (size_t)(p.weights[i] = (double)(i % 3));
    problem repeated = make_problem(total, 3, LATHE__TASK_REGRESSION, 0);
    size_t at = 0;
    for (size_t i = 0; i < 30; i++)
        for (size_t r = 0; r < (size_t)p.weights[i]; r++, at++) {
            memcpy(repeated.x.dense + 3 * at, p.x.dense + 3 * i, 3 * sizeof(double));
            repeated.y[at] = p.y[i];
        }
    const char *families[] = {"ridge", "lasso", "elasticnet"};
    for (size_t f = 0; f < 3; f++) {
        lathe__train_data weighted = train_data(&p, NULL), plain = train_data(&repeated, NULL);
        const char *settings[] = {"alpha=0.05", "tol=1e-12", NULL};
        lathe__linear_model *a, *b;
        CHECK_OK(fit_with(ctx, families[f], &weighted, settings, &a, &err), err);
        CHECK_OK(fit_with(ctx, families[f], &plain, settings, &b, &err), err);
        CHECK_MSG(max_difference(a->coef, b->coef, 3) < 1e-8, "%s", families[f]);
        CHECK_NEAR(a->intercept[0], b->intercept[0], 1e-8);
        lathe__linear_free(ctx, a);
        lathe__linear_free(ctx, b);
    }
    free_problem(&repeated);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* ---- Classification ----------------------------------------------------- */

/* x = -1 (class 0), +1 (class 1), no intercept: w solves w = 2 C sigmoid(-w). */
TEST(logistic_symmetric_problem_by_hand)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = make_problem(2, 1, LATHE__TASK_CLASSIFICATION, 2);
    p.x.dense[0] = -1;
    p.x.dense[1] = 1;
    p.y[1] = 1;
    double low = 0, high = 10;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (low + high);
        if (mid - 2.0 * 0.7 / (1.0 + exp(mid)) < 0)
            low = mid;
        else
            high = mid;
    }
    lathe__train_data data = train_data(&p, NULL);
    const char *settings[] = {"C=0.7", "fit_intercept=false", "tol=1e-12", NULL};
    lathe__linear_model *m;
    CHECK_OK(fit_with(ctx, "logistic", &data, settings, &m, &err), err);
    CHECK_NEAR(m->coef[0], low, 1e-9);
    CHECK(m->converged);
    double probabilities[4];
    lathe__linear_predict(m, &p.x, probabilities);
    CHECK_NEAR(probabilities[1], 1.0 / (1.0 + exp(low)), 1e-12);
    CHECK_NEAR(probabilities[0] + probabilities[1], 1.0, 1e-15);
    CHECK_NEAR(probabilities[2], probabilities[1], 1e-15);
    lathe__linear_free(ctx, m);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* Features all zero: only the (unpenalized) intercepts move, to the class log-odds. */
TEST(logistic_intercepts_are_not_penalized)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = make_problem(10, 2, LATHE__TASK_CLASSIFICATION, 3);
    const double labels[] = {0, 0, 0, 0, 0, 1, 1, 1, 2, 0};
    memcpy(p.y, labels, sizeof labels);
    lathe__train_data data = train_data(&p, NULL);
    const char *settings[] = {"C=0.01", "tol=1e-12", NULL};
    lathe__linear_model *m;
    CHECK_OK(fit_with(ctx, "logistic", &data, settings, &m, &err), err);
    double probabilities[30];
    lathe__linear_predict(m, &p.x, probabilities);
    CHECK_NEAR(probabilities[0], 0.6, 1e-9);
    CHECK_NEAR(probabilities[1], 0.3, 1e-9);
    CHECK_NEAR(probabilities[2], 0.1, 1e-9);
    lathe__linear_free(ctx, m);
    p.n_classes = 2;
    for (size_t i = 0; i < 10; i++)
        p.y[i] = p.y[i] > 0;
    data = train_data(&p, NULL);
    CHECK_OK(fit_with(ctx, "logistic", &data, settings, &m, &err), err);
    CHECK_NEAR(m->intercept[0], log(0.4 / 0.6), 1e-9);
    lathe__linear_free(ctx, m);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

TEST(logistic_separates_separable_classes)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = make_problem(40, 2, LATHE__TASK_CLASSIFICATION, 2);
    rng_state = 99;
    for (size_t i = 0; i < 40; i++) {
        p.y[i] = (double)(i % 2);
        p.x.dense[2 * i] = (p.y[i] ? 1.0 : -1.0) * (0.5 + uniform());
        p.x.dense[2 * i + 1] = gaussian();
    }
    lathe__train_data data = train_data(&p, NULL);
    const char *penalties[][3] = {{"penalty=l2", NULL, NULL},
                                  {"penalty=none", "max_iter=50", NULL},
                                  {"penalty=l1", NULL, NULL},
                                  {"penalty=elasticnet", "l1_ratio=0.3", NULL}};
    double l2_weight = 0.0;
    for (size_t k = 0; k < 4; k++) {
        lathe__linear_model *m;
        CHECK_OK(fit_with(ctx, "logistic", &data, penalties[k], &m, &err), err);
        double probabilities[80];
        lathe__linear_predict(m, &p.x, probabilities);
        /* Unpenalized on separable data, weights grow until the gradient vanishes. */
        double floor = k == 1 ? 0.99 : 0.5;
        for (size_t i = 0; i < 40; i++)
            CHECK_MSG(probabilities[2 * i + (size_t)p.y[i]] > floor, "%s row %zu", penalties[k][0],
                      i);
        CHECK(m->coef[0] > 0.0);
        if (k == 0)
            l2_weight = m->coef[0];
        if (k == 1)
            CHECK(m->coef[0] > 3.0 * l2_weight);
        lathe__linear_free(ctx, m);
    }
    free_problem(&p);
    lathe_ctx_free(ctx);
}

TEST(logistic_l1_zeroes_noise_features)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(300, 6, LATHE__TASK_CLASSIFICATION, 2, 21);
    for (size_t i = 0; i < 300; i++) /* only feature 0 matters */
        p.y[i] = p.x.dense[6 * i] + 0.3 * gaussian() > 0;
    lathe__train_data data = train_data(&p, NULL);
    const char *settings[] = {"penalty=l1", "C=0.05", NULL};
    lathe__linear_model *m;
    CHECK_OK(fit_with(ctx, "logistic", &data, settings, &m, &err), err);
    CHECK(m->coef[0] > 0.5);
    size_t zeros = 0;
    for (size_t j = 1; j < 6; j++)
        zeros += m->coef[j] == 0.0;
    CHECK_MSG(zeros >= 4, "%zu of 5 noise weights are exactly 0", zeros);
    lathe__linear_free(ctx, m);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

TEST(class_weight_equals_sample_weight)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(200, 4, LATHE__TASK_CLASSIFICATION, 3, 8);
    lathe__train_data data = train_data(&p, NULL);
    const char *by_class[] = {"class_weight=2:5,0:0.5", NULL};
    lathe__linear_model *a, *b;
    CHECK_OK(fit_with(ctx, "logistic", &data, by_class, &a, &err), err);
    p.weights = calloc(200, sizeof(double));
    const double factor[] = {0.5, 1, 5};
    for (size_t i = 0; i < 200; i++)
        p.weights[i] = factor[(size_t)p.y[i]];
    data = train_data(&p, NULL);
    CHECK_OK(fit_with(ctx, "logistic", &data, NULL, &b, &err), err);
    CHECK(same_bits(a->coef, b->coef, 12));
    lathe__linear_free(ctx, a);
    lathe__linear_free(ctx, b);
    const char *bad[][2] = {{"class_weight=balance", NULL},
                            {"class_weight=3:1", NULL},
                            {"class_weight=0:1,0:2", NULL},
                            {"class_weight=1:-1", NULL}};
    const char *messages[] = {"is not none, balanced or CLASS:WEIGHT pairs", "classes are 0 to 2",
                              "names class 0 twice", "must be a finite number >= 0"};
    for (size_t k = 0; k < 4; k++) {
        CHECK_EQ(fit_with(ctx, "logistic", &data, bad[k], &a, &err), LATHE_INVALID);
        CHECK_HAS(err.message, messages[k]);
    }
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* A class with no training rows gets probability 0, and the others still fit. */
TEST(logistic_absent_class_gets_probability_zero)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(100, 3, LATHE__TASK_CLASSIFICATION, 3, 4);
    for (size_t i = 0; i < 100; i++)
        p.y[i] = p.y[i] == 1 ? 3 : p.y[i];
    p.n_classes = 4;
    lathe__train_data data = train_data(&p, NULL);
    lathe__linear_model *m;
    CHECK_OK(fit_with(ctx, "logistic", &data, NULL, &m, &err), err);
    double probabilities[400];
    lathe__linear_predict(m, &p.x, probabilities);
    for (size_t i = 0; i < 100; i++) {
        CHECK(probabilities[4 * i + 1] == 0.0);
        CHECK_NEAR(probabilities[4 * i] + probabilities[4 * i + 2] + probabilities[4 * i + 3], 1,
                   1e-12);
    }
    lathe__linear_free(ctx, m);
    for (size_t i = 0; i < 100; i++)
        p.y[i] = 2;
    CHECK_EQ(fit_with(ctx, "logistic", &data, NULL, &m, &err), LATHE_INVALID);
    CHECK_STR(err.message, "logistic needs training rows of at least 2 classes, found 1");
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/*
 * x = -1 (class 0), +1 (class 1), no intercept, C per row: hinge gives
 * w = min(1, 2C); squared hinge minimizes w^2/2 + 2C (1 - w)^2: w = 4C / (1 + 4C).
 */
TEST(linear_svm_margins_by_hand)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = make_problem(2, 1, LATHE__TASK_CLASSIFICATION, 2);
    p.x.dense[0] = -1;
    p.x.dense[1] = 1;
    p.y[1] = 1;
    lathe__train_data data = train_data(&p, NULL);
    const char *hinge_small[] = {"loss=hinge", "C=0.2", "fit_intercept=false", NULL};
    const char *hinge_large[] = {"loss=hinge", "C=3", "fit_intercept=false", NULL};
    const char *squared[] = {"C=1", "fit_intercept=false", "tol=1e-10", NULL};
    const char *squared_l1[] = {"C=1", "penalty=l1", "fit_intercept=false", "tol=1e-10", NULL};
    lathe__linear_model *m;
    CHECK_OK(fit_with(ctx, "linear_svm", &data, hinge_small, &m, &err), err);
    CHECK_NEAR(m->coef[0], 0.4, 1e-9);
    lathe__linear_free(ctx, m);
    CHECK_OK(fit_with(ctx, "linear_svm", &data, hinge_large, &m, &err), err);
    CHECK_NEAR(m->coef[0], 1.0, 1e-9);
    lathe__linear_free(ctx, m);
    CHECK_OK(fit_with(ctx, "linear_svm", &data, squared, &m, &err), err);
    CHECK_NEAR(m->coef[0], 0.8, 1e-9);
    double scores[4];
    lathe__linear_predict(m, &p.x, scores);
    CHECK_NEAR(scores[3], 1.0 / (1.0 + exp(-m->coef[0])), 1e-15); /* sigmoid of the decision */
    lathe__linear_free(ctx, m);
    /* l1: minimize |w| + 2 (1 - w)^2: w = 1 - 1/4. */
    CHECK_OK(fit_with(ctx, "linear_svm", &data, squared_l1, &m, &err), err);
    CHECK_NEAR(m->coef[0], 0.75, 1e-8);
    lathe__linear_free(ctx, m);
    const char *bad[] = {"penalty=l1", "loss=hinge", NULL};
    CHECK_EQ(fit_with(ctx, "linear_svm", &data, bad, &m, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "penalty=l1 needs loss=squared_hinge");
    free_problem(&p);
    lathe_ctx_free(ctx);
}

TEST(linear_svm_one_vs_rest_classifies_and_is_seeded)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(300, 5, LATHE__TASK_CLASSIFICATION, 3, 12);
    lathe__train_data data = train_data(&p, NULL);
    lathe__linear_model *a, *b;
    CHECK_OK(fit_with(ctx, "linear_svm", &data, NULL, &a, &err), err);
    CHECK_EQ(a->n_vectors, 3);
    double *scores = calloc(900, sizeof(double));
    lathe__linear_predict(a, &p.x, scores);
    size_t right = 0;
    for (size_t i = 0; i < 300; i++) {
        size_t best = 0;
        for (size_t k = 1; k < 3; k++)
            if (scores[3 * i + k] > scores[3 * i + best])
                best = k;
        right += best == (size_t)p.y[i];
        CHECK_NEAR(scores[3 * i] + scores[3 * i + 1] + scores[3 * i + 2], 1.0, 1e-12);
    }
    CHECK_MSG(right > 240, "%zu of 300 right", right);
    CHECK_OK(fit_with(ctx, "linear_svm", &data, NULL, &b, &err), err);
    CHECK(same_bits(a->coef, b->coef, 15));
    lathe__linear_free(ctx, b);
    lathe_ctx_set_seed(ctx, 12345); /* another visiting order, the same optimum */
    CHECK_OK(fit_with(ctx, "linear_svm", &data, NULL, &b, &err), err);
    CHECK(max_difference(a->coef, b->coef, 15) < 1e-3);
    lathe__linear_free(ctx, a);
    lathe__linear_free(ctx, b);
    free(scores);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

/* ---- Properties every family keeps -------------------------------------- */

typedef struct family_case {
    const char *family;
    lathe__task task;
    size_t n_classes;
    const char *settings[4];
} family_case;

static const family_case every_family[] = {
    {"logistic", LATHE__TASK_CLASSIFICATION, 2, {NULL}},
    {"logistic", LATHE__TASK_CLASSIFICATION, 3, {"penalty=elasticnet", NULL}},
    {"linear", LATHE__TASK_REGRESSION, 0, {NULL}},
    {"ridge", LATHE__TASK_REGRESSION, 0, {"solver=cg", NULL}},
    {"ridge", LATHE__TASK_REGRESSION, 0, {NULL}},
    {"lasso", LATHE__TASK_REGRESSION, 0, {"alpha=0.1", "precompute=false", NULL}},
    {"elasticnet", LATHE__TASK_REGRESSION, 0, {"alpha=0.1", NULL}},
    {"linear_svm", LATHE__TASK_CLASSIFICATION, 3, {NULL}},
    {"linear_svm", LATHE__TASK_CLASSIFICATION, 2, {"loss=hinge", NULL}},
};

#define N_CASES (sizeof every_family / sizeof every_family[0])

/* Zeroes about 70% of the features so the CSR copy is really sparse. */
static void thin_out(problem *p)
{
    rng_state = 1;
    for (size_t i = 0; i < p->x.n_rows * p->x.n_cols; i++)
        if (uniform() < 0.7)
            p->x.dense[i] = 0.0;
}

TEST(sparse_input_gives_the_dense_result)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    for (size_t c = 0; c < N_CASES; c++) {
        const family_case *fc = &every_family[c];
        problem p = random_problem(200, 6, fc->task, fc->n_classes, 40 + c);
        thin_out(&p);
        lathe__matrix sparse;
        CHECK_OK(lathe__matrix_to_sparse(ctx, &p.x, &sparse, &err), err);
        lathe__train_data dense_data = train_data(&p, NULL), sparse_data = train_data(&p, &sparse);
        lathe__linear_model *a, *b;
        CHECK_OK(fit_with(ctx, fc->family, &dense_data, fc->settings, &a, &err), err);
        CHECK_OK(fit_with(ctx, fc->family, &sparse_data, fc->settings, &b, &err), err);
        size_t n_weights = a->n_vectors * a->n_features;
        CHECK_MSG(max_difference(a->coef, b->coef, n_weights) < 1e-6, "%s: %g", fc->family,
                  max_difference(a->coef, b->coef, n_weights));
        CHECK(max_difference(a->intercept, b->intercept, a->n_vectors) < 1e-6);
        /*
         * Row-based solvers add the same terms in the same order: the same
         * bits. Dense multinomial logistic has its own vectorized kernel, so
         * there the agreement above (1e-6) is what holds.
         */
        bool multinomial = strcmp(fc->family, "logistic") == 0 && fc->n_classes > 2;
        bool row_based = (strcmp(fc->family, "logistic") == 0 && !multinomial) ||
                         strcmp(fc->family, "linear_svm") == 0 || c == 3;
        if (row_based)
            CHECK_MSG(same_bits(a->coef, b->coef, n_weights), "%s bits", fc->family);
        size_t n_outputs = lathe__linear_n_outputs(a);
        double *from_dense = calloc(200 * n_outputs, sizeof(double));
        double *from_sparse = calloc(200 * n_outputs, sizeof(double));
        lathe__linear_predict(a, &p.x, from_dense);
        lathe__linear_predict(a, &sparse, from_sparse);
        CHECK(same_bits(from_dense, from_sparse, 200 * n_outputs));
        free(from_dense);
        free(from_sparse);
        lathe__linear_free(ctx, a);
        lathe__linear_free(ctx, b);
        lathe__matrix_release(ctx, &sparse);
        free_problem(&p);
    }
    lathe_ctx_free(ctx);
}

/* Enough rows for several blocks, so the threads really split the work. */
TEST(thread_count_does_not_change_the_bits)
{
    lathe_ctx *one = lathe_ctx_new(), *four = lathe_ctx_new();
    lathe_ctx_set_threads(four, 4);
    lathe_error err;
    const char *families[] = {"logistic", "ridge", "lasso"};
    const char *cg[] = {"solver=cg", NULL};
    for (size_t f = 0; f < 3; f++) {
        lathe__task task = f == 0 ? LATHE__TASK_CLASSIFICATION : LATHE__TASK_REGRESSION;
        problem p = random_problem(20000, 5, task, f == 0 ? 3 : 0, 77);
        lathe__train_data data = train_data(&p, NULL);
        lathe__linear_model *a, *b;
        const char *const *settings = f == 1 ? cg : NULL;
        CHECK_OK(fit_with(one, families[f], &data, settings, &a, &err), err);
        CHECK_OK(fit_with(four, families[f], &data, settings, &b, &err), err);
        CHECK_MSG(same_bits(a->coef, b->coef, a->n_vectors * 5), "%s", families[f]);
        CHECK(same_bits(a->intercept, b->intercept, a->n_vectors));
        /* and predicting on four threads gives what one gives */
        size_t n_outputs = lathe__linear_n_outputs(a);
        double *alone = calloc(20000 * n_outputs, sizeof *alone);
        double *shared = calloc(20000 * n_outputs, sizeof *shared);
        lathe__linear_predict(a, &p.x, alone);
        lathe__linear_predict_parallel(four, a, &p.x, shared);
        CHECK_MSG(same_bits(alone, shared, 20000 * n_outputs), "%s predict", families[f]);
        free(alone);
        free(shared);
        lathe__linear_free(one, a);
        lathe__linear_free(four, b);
        free_problem(&p);
    }
    lathe_ctx_free(one);
    lathe_ctx_free(four);
}

static void save_model(const lathe__model_ops *ops, const void *model, lathe__wbuf *buf)
{
    ops->save(model, buf);
}

TEST(save_load_round_trip_is_exact)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    for (size_t c = 0; c < N_CASES; c++) {
        const family_case *fc = &every_family[c];
        const lathe__model_ops *ops = lathe__model_find(fc->family);
        problem p = random_problem(80, 4, fc->task, fc->n_classes, 60 + c);
        lathe__train_data data = train_data(&p, NULL);
        lathe__linear_model *m;
        CHECK_OK(fit_with(ctx, fc->family, &data, fc->settings, &m, &err), err);
        lathe__wbuf buf;
        lathe__wbuf_init(&buf, ctx);
        save_model(ops, m, &buf);
        CHECK_OK(lathe__wbuf_status(&buf, &err), err);
        lathe__rbuf in;
        lathe__rbuf_init(&in, buf.data, buf.length, "model section");
        void *loaded;
        CHECK_OK(ops->load(ctx, &in, &loaded, &err), err);
        CHECK_EQ(lathe__rbuf_left(&in), 0);
        size_t n_outputs = ops->n_outputs(m);
        CHECK_EQ(ops->n_outputs(loaded), n_outputs);
        double *before = calloc(80 * n_outputs, sizeof(double));
        double *after = calloc(80 * n_outputs, sizeof(double));
        ops->predict(m, &p.x, before);
        ops->predict(loaded, &p.x, after);
        CHECK_MSG(same_bits(before, after, 80 * n_outputs), "%s", fc->family);
        lathe__linear_model *l = loaded;
        CHECK(l->converged == m->converged && l->n_iterations == m->n_iterations);
        free(before);
        free(after);
        ops->free(ctx, loaded);
        /* Every truncation is refused with a message, never read past. */
        for (size_t cut = 0; cut < buf.length; cut++) {
            lathe__rbuf_init(&in, buf.data, cut, "model section");
            CHECK_EQ(ops->load(ctx, &in, &loaded, &err), LATHE_CORRUPT);
            CHECK_HAS(err.message, "model section: ");
        }
        ops->free(ctx, m);
        lathe__wbuf_release(&buf);
        free_problem(&p);
    }
    lathe_ctx_free(ctx);
}

/* Hand-made sections whose fields disagree with each other or with the family. */
TEST(load_rejects_inconsistent_sections)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    const lathe__model_ops *logistic = lathe__model_find("logistic");
    struct {
        const char *family;
        uint8_t output;
        uint64_t n_features, n_classes, n_coef, n_intercepts;
        double value;
        const char *message;
    } cases[] = {
        {"logistic", 1, 2, 3, 6, 3, 0.5, NULL}, /* well-formed: loads */
        {"logistic", 1, 2, 3, 4, 3, 0.5, "4 weights, expected 6"},
        {"logistic", 1, 2, 3, 6, 2, 0.5, "2 intercepts, expected 3"},
        {"ridge", 0, 2, 0, 2, 1, 0.5, "expected a logistic model, found ridge"},
        {"logistic", 0, 2, 0, 2, 1, 0.5, "output rule 0, a logistic model has 1"},
        {"logistic", 1, 2, 1, 2, 1, 0.5, "1 classes for this kind of model"},
        {"logistic", 7, 2, 2, 2, 1, 0.5, "unknown output rule 7"},
        {"logistic", 1, 2, 2, 2, 1, NAN, "weight 0 of vector 0 is not finite"},
        {"logistic", 1, (uint64_t)1 << 40, 2, 2, 1, 0.5, "features, over the limit"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        lathe__wbuf buf;
        lathe__wbuf_init(&buf, ctx);
        lathe__wbuf_u32(&buf, 1);
        lathe__wbuf_cstring(&buf, cases[c].family);
        lathe__wbuf_u8(&buf, cases[c].output);
        lathe__wbuf_u64(&buf, cases[c].n_features);
        lathe__wbuf_u64(&buf, cases[c].n_classes);
        double values[8] = {0};
        values[0] = cases[c].value;
        lathe__wbuf_f64_array(&buf, values, cases[c].n_coef);
        lathe__wbuf_f64_array(&buf, values + 4, cases[c].n_intercepts);
        lathe__wbuf_u64(&buf, 3);
        lathe__wbuf_u8(&buf, 1);
        lathe__rbuf in;
        lathe__rbuf_init(&in, buf.data, buf.length, "model section");
        void *model = NULL;
        lathe_status status = logistic->load(ctx, &in, &model, &err);
        lathe__wbuf_release(&buf);
        if (!cases[c].message) {
            CHECK_OK(status, err);
            CHECK_EQ(((lathe__linear_model *)model)->n_vectors, 3);
            logistic->free(ctx, model);
            continue;
        }
        CHECK_MSG(status == LATHE_CORRUPT, "case %zu loaded", c);
        CHECK_HAS(err.message, cases[c].message);
        CHECK(model == NULL);
    }
    lathe_ctx_free(ctx);
}

TEST(bad_training_data_is_reported)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(10, 2, LATHE__TASK_CLASSIFICATION, 2, 2);
    lathe__train_data data = train_data(&p, NULL);
    lathe__linear_model *m;
    data.task = LATHE__TASK_REGRESSION;
    CHECK_EQ(fit_with(ctx, "logistic", &data, NULL, &m, &err), LATHE_INVALID);
    CHECK_STR(err.message, "logistic does not do regression");
    data.task = LATHE__TASK_CLASSIFICATION;
    CHECK_EQ(fit_with(ctx, "ridge", &data, NULL, &m, &err), LATHE_INVALID);
    CHECK_STR(err.message, "ridge does not do classification");
    p.y[3] = 2;
    CHECK_EQ(fit_with(ctx, "logistic", &data, NULL, &m, &err), LATHE_INVALID);
    CHECK_STR(err.message, "target of row 3 is 2, not a class index below 2");
    p.y[3] = 1;
    p.x.dense[5] = NAN;
    CHECK_EQ(fit_with(ctx, "linear_svm", &data, NULL, &m, &err), LATHE_INVALID);
    CHECK_STR(err.message, "row 2, column 1 is not a finite number");
    p.x.dense[5] = 0;
    p.weights = calloc(10, sizeof(double));
    data = train_data(&p, NULL);
    CHECK_EQ(fit_with(ctx, "logistic", &data, NULL, &m, &err), LATHE_INVALID);
    CHECK_STR(err.message, "every sample weight is 0");
    p.weights[4] = -1;
    CHECK_EQ(fit_with(ctx, "logistic", &data, NULL, &m, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "sample weight of row 4 is -1");
    free_problem(&p);
    lathe_ctx_free(ctx);
}

static int cancel_at_third(void *user, const char *stage, double done, double total)
{
    (void)total;
    int *calls = user;
    (*calls)++;
    return strcmp(stage, "fit") == 0 && done >= 2;
}

TEST(progress_is_reported_and_cancel_stops_the_fit)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    int calls = 0;
    lathe_ctx_set_progress(ctx, cancel_at_third, &calls);
    for (size_t c = 0; c < N_CASES; c++) {
        const family_case *fc = &every_family[c];
        if (strcmp(fc->family, "linear") == 0 || (strcmp(fc->family, "ridge") == 0 && c == 4))
            continue; /* Cholesky is one step: nothing to cancel */
        problem p = random_problem(200, 5, fc->task, fc->n_classes, 3);
        lathe__train_data data = train_data(&p, NULL);
        const char *tight[] = {fc->settings[0], fc->settings[1], "tol=1e-14", NULL};
        if (!fc->settings[0])
            tight[0] = "tol=1e-14";
        lathe__linear_model *m = NULL;
        calls = 0;
        CHECK_MSG(fit_with(ctx, fc->family, &data, tight, &m, &err) == LATHE_CANCELED, "%s",
                  fc->family);
        CHECK_STR(err.message, "fit canceled");
        CHECK(m == NULL && calls >= 3);
        free_problem(&p);
    }
    lathe_ctx_free(ctx);
}

/* Starting from a converged model, a refit has nothing left to do. */
TEST(warm_start_from_the_solution_stops_at_once)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    problem p = random_problem(300, 5, LATHE__TASK_CLASSIFICATION, 3, 31);
    lathe__train_data data = train_data(&p, NULL);
    const lathe__model_ops *ops = lathe__model_find("logistic");
    lathe__param_values params;
    CHECK_OK(lathe__params_init(ctx, ops->params, ops->n_params, &params, &err), err);
    void *first, *second;
    CHECK_OK(lathe__linear_fit_from(ctx, ops, &data, &params, NULL, &first, &err), err);
    CHECK(((lathe__linear_model *)first)->n_iterations > 5);
    CHECK_OK(lathe__linear_fit_from(ctx, ops, &data, &params, first, &second, &err), err);
    CHECK(((lathe__linear_model *)second)->n_iterations <= 1);
    ops->free(ctx, second);
    const lathe__model_ops *ridge = lathe__model_find("ridge");
    CHECK_EQ(lathe__linear_fit_from(ctx, ridge, &data, &params, first, &second, &err),
             LATHE_INVALID);
    CHECK_STR(err.message, "cannot warm-start ridge from a logistic model");
    ops->free(ctx, first);
    lathe__params_release(ctx, &params);
    /* The lasso path: each alpha from the previous solution. */
    problem r = random_problem(300, 8, LATHE__TASK_REGRESSION, 0, 32);
    lathe__train_data regression = train_data(&r, NULL);
    const lathe__model_ops *lasso = lathe__model_find("lasso");
    CHECK_OK(lathe__params_init(ctx, lasso->params, lasso->n_params, &params, &err), err);
    CHECK_OK(lathe__params_set(ctx, &params, "precompute=false", &err), err);
    CHECK_OK(lathe__params_set(ctx, &params, "alpha=0.1", &err), err);
    CHECK_OK(lathe__linear_fit_from(ctx, lasso, &regression, &params, NULL, &first, &err), err);
    CHECK_OK(lathe__linear_fit_from(ctx, lasso, &regression, &params, first, &second, &err), err);
    CHECK(((lathe__linear_model *)second)->n_iterations <= 1);
    CHECK(max_difference(((lathe__linear_model *)first)->coef,
                         ((lathe__linear_model *)second)->coef, 8) < 1e-6);
    lasso->free(ctx, first);
    lasso->free(ctx, second);
    lathe__params_release(ctx, &params);
    free_problem(&r);
    free_problem(&p);
    lathe_ctx_free(ctx);
}

TEST(matrix_check_finds_bad_cells_and_structure)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    double values[] = {1, 0, 2, 0, 0, 3};
    lathe__matrix dense = {.n_rows = 2, .n_cols = 3, .dense = values, .borrowed = true};
    lathe__matrix sparse;
    CHECK_OK(lathe__matrix_check(&dense, &err), err);
    CHECK_OK(lathe__matrix_to_sparse(ctx, &dense, &sparse, &err), err);
    CHECK_EQ(sparse.row_start[2], 3);
    CHECK_EQ(sparse.col_index[2], 2);
    CHECK_OK(lathe__matrix_check(&sparse, &err), err);
    double w[] = {1, 10, 100};
    CHECK_NEAR(lathe__matrix_row_dot(&sparse, 1, w), 300, 0);
    sparse.col_index[1] = 3;
    CHECK_EQ(lathe__matrix_check(&sparse, &err), LATHE_INVALID);
    CHECK_STR(err.message, "row 0 has column 3 but the matrix has 3 columns");
    lathe__matrix_release(ctx, &sparse);
    values[4] = INFINITY;
    CHECK_EQ(lathe__matrix_check(&dense, &err), LATHE_INVALID);
    CHECK_STR(err.message, "row 1, column 1 is not a finite number");
    lathe_ctx_free(ctx);
}
