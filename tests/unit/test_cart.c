/*
 * test_cart.c: the CART tree on data small enough to check by hand, with
 * scikit-learn 1.2's numbers where a figure is not obvious (each case says
 * how it was produced): a separable set, gini against entropy, regression
 * leaf means with weights, min_samples_leaf, max_depth, the cost-complexity
 * pruning path and ccp_alpha, missing values, categorical splits, best-first
 * growth, and the sort the splitter relies on.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/radix.h"
#include "harness.h"
#include "lathe/lathe.h"
#include "model/cart.h"
#include "model/model.h"

typedef struct problem {
    lathe__matrix x;
    double y[64];
    double weights[64];
    bool categorical[4];
    lathe__train_data data;
} problem;

/* A one-column problem (or d columns from values[row * d + col]). */
static void make(problem *p, const double *values, size_t n, size_t d, const double *y,
                 size_t n_classes)
{
    memset(p, 0, sizeof *p);
    p->x.n_rows = n;
    p->x.n_cols = d;
    p->x.dense = (double *)values;
    p->x.borrowed = true;
    memcpy(p->y, y, n * sizeof *y);
    p->data.x = &p->x;
    p->data.y = p->y;
    p->data.task = n_classes ? LATHE__TASK_CLASSIFICATION : LATHE__TASK_REGRESSION;
    p->data.n_classes = n_classes;
}

static lathe__cart_model *fit_with(lathe_ctx *ctx, const problem *p, const char **settings,
                                   lathe_error *err)
{
    lathe__param_values params;
    void *model = NULL;
    if (lathe__params_init(ctx, lathe__tree_ops.params, lathe__tree_ops.n_params, &params, err))
        return NULL;
    for (size_t i = 0; settings && settings[i]; i++)
        if (lathe__params_set(ctx, &params, settings[i], err) != LATHE_OK)
            goto out;
    lathe__tree_ops.fit(ctx, &p->data, &params, &model, err);
out:
    lathe__params_release(ctx, &params);
    return model;
}

static const lathe__tree *tree_of(const lathe__cart_model *m)
{
    return &m->ensemble.trees[0];
}

static size_t depth_of(const lathe__tree *t, size_t node)
{
    if (t->left[node] < 0)
        return 0;
    size_t l = depth_of(t, (size_t)t->left[node]), r = depth_of(t, (size_t)t->right[node]);
    return 1 + (l > r ? l : r);
}

TEST(separable_set_splits_at_the_midpoint)
{
    static const double x[] = {1, 2, 3, 4, 5, 6}, y[] = {0, 0, 0, 1, 1, 1};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, x, 6, 1, y, 2);
    lathe__cart_model *m = fit_with(ctx, &p, NULL, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    const lathe__tree *t = tree_of(m);
    CHECK_EQ(t->n_nodes, 3);
    CHECK_NEAR(t->threshold[0], 3.5, 0);
    CHECK_NEAR(t->value[2 * t->left[0]], 1, 0);
    CHECK_NEAR(t->value[2 * t->right[0] + 1], 1, 0);
    CHECK_NEAR(t->cover[0], 6, 0);
    CHECK_NEAR(t->gain[0], 6 * 0.5, 1e-12); /* weight * gini, children pure */
    double row = 3.4, out[2];
    lathe__matrix one = {.n_rows = 1, .n_cols = 1, .dense = &row, .borrowed = true};
    lathe__tree_ops.predict(m, &one, out);
    CHECK_NEAR(out[0], 1, 0);
    CHECK_EQ(lathe__tree_ops.n_outputs(m), 2);
    CHECK_EQ(lathe__tree_ops.n_features(m), 1);
    lathe__tree_ops.free(ctx, m);
    lathe_ctx_free(ctx);
}

/*
 * scikit-learn: DecisionTreeClassifier(criterion=..., max_depth=1) on
 * x = 1..12, y = [0,1,2,2,2,2,0,1,1,1,2,2]: gini splits at 1.5 (impurities
 * 0.6111, 0, 0.5620), entropy at 7.5 (1.4591, 1.3788, 0.9710).
 */
TEST(gini_and_entropy_choose_different_splits)
{
    static const double x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    static const double y[] = {0, 1, 2, 2, 2, 2, 0, 1, 1, 1, 2, 2};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, x, 12, 1, y, 3);
    const char *gini[] = {"max_depth=1", NULL},
               *entropy[] = {"max_depth=1", "criterion=entropy", NULL};
    const char *log_loss[] = {"max_depth=1", "criterion=log_loss", NULL};
    lathe__cart_model *g = fit_with(ctx, &p, gini, &err);
    lathe__cart_model *e = fit_with(ctx, &p, entropy, &err);
    lathe__cart_model *l = fit_with(ctx, &p, log_loss, &err);
    CHECK_MSG(g && e && l, "fit failed: %s", err.message);
    CHECK_NEAR(tree_of(g)->threshold[0], 1.5, 0);
    CHECK_NEAR(tree_of(e)->threshold[0], 7.5, 0);
    CHECK_NEAR(tree_of(l)->threshold[0], 7.5, 0);
    /* gain = weight * impurity - children's: 12 * 0.61111 - 11 * 0.56198 */
    CHECK_NEAR(tree_of(g)->gain[0], 12 * 0.61111111111 - 11 * 0.56198347107, 1e-9);
    CHECK_NEAR(tree_of(e)->gain[0], 12 * 1.45914791703 - 7 * 1.37878349348 - 5 * 0.97095059445,
               1e-9);
    lathe__cart_model_free(ctx, g);
    lathe__cart_model_free(ctx, e);
    lathe__cart_model_free(ctx, l);
    lathe_ctx_free(ctx);
}

/* The root split above decreases weighted gini by (12 * 0.61111 - 11 * 0.56198) / 12 = 0.0959. */
TEST(min_impurity_decrease_stops_weak_splits)
{
    static const double x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    static const double y[] = {0, 1, 2, 2, 2, 2, 0, 1, 1, 1, 2, 2};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, x, 12, 1, y, 3);
    const char *weak[] = {"max_depth=1", "min_impurity_decrease=0.095", NULL};
    const char *strong[] = {"max_depth=1", "min_impurity_decrease=0.097", NULL};
    lathe__cart_model *split = fit_with(ctx, &p, weak, &err);
    lathe__cart_model *leaf = fit_with(ctx, &p, strong, &err);
    CHECK_MSG(split && leaf, "fit failed: %s", err.message);
    CHECK_EQ(tree_of(split)->n_nodes, 3);
    CHECK_EQ(tree_of(leaf)->n_nodes, 1);
    CHECK_NEAR(tree_of(leaf)->value[2], 6.0 / 12, 1e-12);
    lathe__cart_model_free(ctx, split);
    lathe__cart_model_free(ctx, leaf);
    lathe_ctx_free(ctx);
}

/*
 * scikit-learn: DecisionTreeRegressor(max_depth=1) on x = [1,2,3,10,11,12],
 * y = [1,2,3,10,20,30], sample_weight = [1,1,2,1,1,1]: threshold 10.5,
 * leaf means 3.8 and 25 (root 9.857143); friedman_mse unweighted: 4 and 25.
 */
TEST(regression_leaves_hold_weighted_means)
{
    static const double x[] = {1, 2, 3, 10, 11, 12}, y[] = {1, 2, 3, 10, 20, 30};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, x, 6, 1, y, 0);
    static const double w[] = {1, 1, 2, 1, 1, 1};
    memcpy(p.weights, w, sizeof w);
    p.data.weights = p.weights;
    const char *depth1[] = {"max_depth=1", NULL};
    lathe__cart_model *m = fit_with(ctx, &p, depth1, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    const lathe__tree *t = tree_of(m);
    CHECK_EQ(t->n_nodes, 3);
    CHECK_NEAR(t->threshold[0], 10.5, 0);
    CHECK_NEAR(t->value[0], 9.857142857142857, 1e-12);
    CHECK_NEAR(t->value[t->left[0]], 3.8, 1e-12);
    CHECK_NEAR(t->value[t->right[0]], 25, 1e-12);
    CHECK_NEAR(t->cover[t->left[0]], 5, 0);
    lathe__cart_model_free(ctx, m);
    p.data.weights = NULL;
    const char *friedman[] = {"max_depth=1", "criterion=friedman_mse", NULL};
    m = fit_with(ctx, &p, friedman, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    t = tree_of(m);
    CHECK_NEAR(t->threshold[0], 10.5, 0);
    CHECK_NEAR(t->value[t->left[0]], 4, 1e-12);
    lathe__cart_model_free(ctx, m);
    const char *wrong[] = {"criterion=gini", NULL};
    CHECK(fit_with(ctx, &p, wrong, &err) == NULL);
    CHECK_HAS(err.message, "criterion gini is for classification");
    lathe_ctx_free(ctx);
}

/* scikit-learn: x = 1..6, y = [0,1,1,1,1,1]: split 1.5, or 2.5 with min_samples_leaf=2. */
TEST(min_samples_leaf_moves_the_split)
{
    static const double x[] = {1, 2, 3, 4, 5, 6}, y[] = {0, 1, 1, 1, 1, 1};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, x, 6, 1, y, 2);
    lathe__cart_model *free_leaf = fit_with(ctx, &p, NULL, &err);
    const char *two[] = {"min_samples_leaf=2", NULL};
    lathe__cart_model *two_leaf = fit_with(ctx, &p, two, &err);
    CHECK_MSG(free_leaf && two_leaf, "fit failed: %s", err.message);
    CHECK_NEAR(tree_of(free_leaf)->threshold[0], 1.5, 0);
    CHECK_NEAR(tree_of(two_leaf)->threshold[0], 2.5, 0);
    CHECK_EQ(tree_of(two_leaf)->n_nodes, 3);             /* [1,1] cannot split into leaves of 2 */
    const char *half[] = {"min_samples_leaf=0.5", NULL}; /* ceil(0.5 * 6) = 3 rows */
    lathe__cart_model *third = fit_with(ctx, &p, half, &err);
    CHECK_MSG(third, "fit failed: %s", err.message);
    CHECK_NEAR(tree_of(third)->threshold[0], 3.5, 0);
    lathe__cart_model_free(ctx, free_leaf);
    lathe__cart_model_free(ctx, two_leaf);
    lathe__cart_model_free(ctx, third);
    lathe_ctx_free(ctx);
}

/* scikit-learn: x = 1..8 alternating classes: 3, 5, 7 and 15 nodes for depth 1, 2, 3, none. */
TEST(max_depth_limits_the_tree)
{
    static const double x[] = {1, 2, 3, 4, 5, 6, 7, 8}, y[] = {0, 1, 0, 1, 0, 1, 0, 1};
    static const size_t nodes[] = {3, 5, 7, 15};
    static const char *settings[][2] = {
        {"max_depth=1", NULL}, {"max_depth=2", NULL}, {"max_depth=3", NULL}, {NULL, NULL}};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, x, 8, 1, y, 2);
    for (size_t i = 0; i < 4; i++) {
        lathe__cart_model *m = fit_with(ctx, &p, settings[i], &err);
        CHECK_MSG(m, "fit failed: %s", err.message);
        CHECK_EQ(tree_of(m)->n_nodes, nodes[i]);
        CHECK_EQ(depth_of(tree_of(m), 0), i < 3 ? i + 1 : 7);
        CHECK_NEAR(tree_of(m)->threshold[0], 1.5, 0);
        lathe__cart_model_free(ctx, m);
    }
    lathe_ctx_free(ctx);
}

/* Two features, 12 rows: the data of the pruning cases below. */
static const double prune_x[] = {1, 5, 2, 3, 3, 8, 4,  1, 5,  7,  6,  2,
                                 7, 6, 8, 4, 9, 9, 10, 0, 11, 10, 12, 11};
static const double prune_class[] = {0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1};
static const double prune_value[] = {1, 2, 4, 3, 8, 2, 9, 7, 8, 1, 3, 12};

static lathe_status pruning_path(lathe_ctx *ctx, const problem *p, double **alphas,
                                 double **impurities, size_t *n, lathe_error *err)
{
    lathe__param_values params;
    lathe__cart_data data;
    lathe__cart_options options;
    lathe__cart_workspace *ws = NULL;
    double weights[64];
    for (size_t i = 0; i < p->x.n_rows; i++)
        weights[i] = 1;
    lathe__rng rng;
    lathe__rng_seed(&rng, 0);
    lathe_status status =
        lathe__params_init(ctx, lathe__tree_ops.params, lathe__tree_ops.n_params, &params, err);
    if (status != LATHE_OK)
        return status;
    status = lathe__cart_data_init(ctx, &lathe__tree_ops, &p->data, &data, err);
    if (status == LATHE_OK)
        status = lathe__cart_options_from(&params, &data, "all", &options, err);
    if (status == LATHE_OK)
        status = lathe__cart_workspace_new(ctx, NULL, &data, &options, &ws, err);
    if (status == LATHE_OK)
        status = lathe__cart_grow(ws, weights, &rng, err);
    if (status == LATHE_OK)
        status = lathe__cart_pruning_path(ws, alphas, impurities, n, err);
    lathe__cart_workspace_free(ws);
    lathe__cart_data_release(ctx, &data);
    lathe__params_release(ctx, &params);
    return status;
}

/*
 * scikit-learn: cost_complexity_pruning_path of DecisionTreeClassifier() and
 * DecisionTreeRegressor() on the 12 rows above (9 and 21 nodes).
 */
TEST(pruning_path_matches_scikit_learn)
{
    static const double class_alphas[] = {0, 0.07142857142857144, 0.10714285714285712, 0.25};
    static const double class_impurities[] = {0, 0.14285714285714285, 0.25, 0.5};
    static const double value_alphas[] = {0,          0.04166667, 0.05555556,
                                          0.11111111, 0.58333333, 0.97222222,
                                          1.225,      2.17777778, 5.44444444};
    static const double value_impurities[] = {0,          0.04166667, 0.09722222, 0.20833333, 1.375,
                                              3.31944444, 4.54444444, 6.72222222, 12.16666667};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    double *alphas, *impurities;
    size_t n;
    make(&p, prune_x, 12, 2, prune_class, 2);
    CHECK_OK(pruning_path(ctx, &p, &alphas, &impurities, &n, &err), err);
    CHECK_EQ(n, 4);
    for (size_t i = 0; i < n; i++) {
        CHECK_NEAR(alphas[i], class_alphas[i], 1e-12);
        CHECK_NEAR(impurities[i], class_impurities[i], 1e-12);
    }
    lathe__free(ctx, alphas);
    lathe__free(ctx, impurities);
    make(&p, prune_x, 12, 2, prune_value, 0);
    CHECK_OK(pruning_path(ctx, &p, &alphas, &impurities, &n, &err), err);
    CHECK_EQ(n, 9);
    for (size_t i = 0; i < n; i++) {
        CHECK_NEAR(alphas[i], value_alphas[i], 1e-8);
        CHECK_NEAR(impurities[i], value_impurities[i], 1e-8);
    }
    lathe__free(ctx, alphas);
    lathe__free(ctx, impurities);
    lathe_ctx_free(ctx);
}

/* scikit-learn: ccp_alpha between the path's alphas leaves 9, 5, 3 and 1 nodes. */
TEST(ccp_alpha_prunes_as_scikit_learn)
{
    static const char *alphas[] = {"ccp_alpha=0.01", "ccp_alpha=0.09", "ccp_alpha=0.2",
                                   "ccp_alpha=0.3"};
    static const size_t nodes[] = {9, 5, 3, 1};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, prune_x, 12, 2, prune_class, 2);
    for (size_t i = 0; i < 4; i++) {
        const char *settings[] = {alphas[i], NULL};
        lathe__cart_model *m = fit_with(ctx, &p, settings, &err);
        CHECK_MSG(m, "fit failed: %s", err.message);
        CHECK_EQ(tree_of(m)->n_nodes, nodes[i]);
        if (nodes[i] == 1)
            CHECK_NEAR(tree_of(m)->value[1], 0.5, 1e-12);
        lathe__cart_model_free(ctx, m);
    }
    lathe_ctx_free(ctx);
}

static double predict_one(const lathe__cart_model *m, double value, size_t output)
{
    double out[8];
    lathe__matrix one = {.n_rows = 1, .n_cols = 1, .dense = &value, .borrowed = true};
    lathe__cart_model_predict(m, &one, out);
    return out[output];
}

TEST(missing_values_take_the_side_that_fits_them)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    /* Missing rows are all class 1: "present left, missing right" is pure. */
    static const double x1[] = {1, 2, 3, 4, NAN, NAN}, y1[] = {0, 0, 0, 0, 1, 1};
    make(&p, x1, 6, 1, y1, 2);
    lathe__cart_model *m = fit_with(ctx, &p, NULL, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    CHECK_EQ(tree_of(m)->n_nodes, 3);
    CHECK_NEAR(tree_of(m)->threshold[0], DBL_MAX, 0);
    CHECK_EQ(tree_of(m)->default_left[0], 0);
    CHECK_NEAR(predict_one(m, NAN, 1), 1, 0);
    CHECK_NEAR(predict_one(m, 100, 0), 1, 0);
    lathe__cart_model_free(ctx, m);
    /* A missing row of class 0 joins the low values: one split, missing left. */
    static const double x2[] = {1, 2, 3, NAN, 10, 11}, y2[] = {0, 0, 0, 0, 1, 1};
    make(&p, x2, 6, 1, y2, 2);
    m = fit_with(ctx, &p, NULL, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    CHECK_EQ(tree_of(m)->n_nodes, 3);
    CHECK_NEAR(tree_of(m)->threshold[0], 6.5, 0);
    CHECK_EQ(tree_of(m)->default_left[0], 1);
    CHECK_NEAR(predict_one(m, NAN, 0), 1, 0);
    lathe__cart_model_free(ctx, m);
    /* No missing values in training: they follow the larger child. */
    static const double x3[] = {1, 2, 3, 4, 5, 6, 7, 8}, y3[] = {0, 0, 0, 0, 0, 1, 1, 1};
    make(&p, x3, 8, 1, y3, 2);
    m = fit_with(ctx, &p, NULL, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    CHECK_EQ(tree_of(m)->default_left[0], 1);
    CHECK_NEAR(predict_one(m, NAN, 0), 1, 0);
    lathe__cart_model_free(ctx, m);
    lathe_ctx_free(ctx);
}

TEST(categorical_split_groups_categories)
{
    /* Categories 0 and 2 are class 1, 1 and 3 class 0: no single threshold separates them. */
    static const double x[] = {0, 1, 2, 3, 0, 1, 2, 3}, y[] = {1, 0, 1, 0, 1, 0, 1, 0};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, x, 8, 1, y, 2);
    p.categorical[0] = true;
    p.data.categorical = p.categorical;
    lathe__cart_model *m = fit_with(ctx, &p, NULL, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    const lathe__tree *t = tree_of(m);
    CHECK_EQ(t->n_nodes, 3);
    CHECK_EQ(t->cat_words[0], 1);
    CHECK_EQ(t->cat_bits[t->cat_start[0]], 0xA); /* class-1 share 0 first: {1, 3} left */
    CHECK_NEAR(predict_one(m, 2, 1), 1, 0);
    CHECK_NEAR(predict_one(m, 3, 0), 1, 0);
    CHECK_NEAR(predict_one(m, 7, 1), 1, 0); /* an unseen category goes right */
    lathe__cart_model_free(ctx, m);
    /* As ordered numbers the same column needs more splits. */
    p.data.categorical = NULL;
    m = fit_with(ctx, &p, NULL, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    CHECK(tree_of(m)->n_nodes > 3);
    CHECK_EQ(tree_of(m)->cat_words[0], 0);
    lathe__cart_model_free(ctx, m);
    lathe_ctx_free(ctx);
}

TEST(categorical_multiclass_and_regression)
{
    /* Regression: categories ordered by mean target (1: 1, 0: 5, 2: 10) give the cuts
       {1} | {0, 2} (squared error 25) and {1, 0} | {2} (16): the second wins. */
    static const double x[] = {0, 0, 1, 1, 2, 2}, y[] = {5, 5, 1, 1, 10, 10};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, x, 6, 1, y, 0);
    p.categorical[0] = true;
    p.data.categorical = p.categorical;
    const char *depth1[] = {"max_depth=1", NULL};
    lathe__cart_model *m = fit_with(ctx, &p, depth1, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    CHECK_EQ(tree_of(m)->cat_bits[0], 0x3);
    lathe__cart_model_free(ctx, m);
    /* Three classes, each its own category, plus a fourth category mixing them. */
    static const double xm[] = {0, 0, 1, 1, 2, 2, 3, 3, 3}, ym[] = {0, 0, 1, 1, 2, 2, 0, 1, 2};
    make(&p, xm, 9, 1, ym, 3);
    p.categorical[0] = true;
    p.data.categorical = p.categorical;
    m = fit_with(ctx, &p, NULL, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    CHECK(tree_of(m)->cat_words[0] == 1);
    CHECK_NEAR(predict_one(m, 0, 0), 1, 0);
    CHECK_NEAR(predict_one(m, 1, 1), 1, 0);
    CHECK_NEAR(predict_one(m, 2, 2), 1, 0);
    CHECK_NEAR(predict_one(m, 3, 0), 1.0 / 3, 1e-12);
    lathe__cart_model_free(ctx, m);
    lathe_ctx_free(ctx);
}

/* scikit-learn: max_leaf_nodes=3 on the pruning data grows 5 nodes (best-first). */
TEST(max_leaf_nodes_grows_best_first)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, prune_x, 12, 2, prune_value, 0);
    const char *three[] = {"max_leaf_nodes=3", NULL};
    lathe__cart_model *m = fit_with(ctx, &p, three, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    const lathe__tree *t = tree_of(m);
    CHECK_EQ(t->n_nodes, 5);
    size_t leaves = 0;
    for (size_t i = 0; i < t->n_nodes; i++)
        leaves += t->left[i] < 0;
    CHECK_EQ(leaves, 3);
    lathe__cart_model_free(ctx, m);
    lathe_ctx_free(ctx);
}

TEST(class_weight_and_bad_parameters)
{
    static const double x[] = {1, 2, 3, 4, 5, 6}, y[] = {0, 0, 0, 0, 1, 1};
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err = {0};
    problem p;
    make(&p, x, 6, 1, y, 2);
    const char *balanced[] = {"class_weight=balanced", "max_depth=1", NULL};
    lathe__cart_model *m = fit_with(ctx, &p, balanced, &err);
    CHECK_MSG(m, "fit failed: %s", err.message);
    /* balanced: class 0 rows weigh 6 / (2 * 4), class 1 rows 6 / (2 * 2): 3 and 3 */
    CHECK_NEAR(tree_of(m)->cover[0], 6, 1e-12);
    CHECK_NEAR(tree_of(m)->value[1], 0.5, 1e-12);
    lathe__cart_model_free(ctx, m);
    const char *bad_features[] = {"max_features=7", NULL};
    CHECK(fit_with(ctx, &p, bad_features, &err) == NULL);
    CHECK_HAS(err.message, "max_features=7, but there are 1 features");
    const char *bad_split[] = {"min_samples_split=1.5", NULL};
    CHECK(fit_with(ctx, &p, bad_split, &err) == NULL);
    CHECK_HAS(err.message, "min_samples_split=1.5");
    static const double inf_x[] = {1, INFINITY, 3, 4, 5, 6};
    make(&p, inf_x, 6, 1, y, 2);
    CHECK(fit_with(ctx, &p, NULL, &err) == NULL);
    CHECK_HAS(err.message, "row 1, column 0 is infinite");
    lathe_ctx_free(ctx);
}

TEST(radix_sorts_agree_with_order)
{
    uint64_t keys[300], tmp[300];
    uint32_t rows[300], tmp_rows[300];
    uint64_t state = 7;
    for (size_t i = 0; i < 300; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t code = (uint32_t)(state >> 45); /* 19 bits */
        keys[i] = (uint64_t)code << 32 | (uint32_t)i;
    }
    lathe__radix_sort_codes(keys, 300, 19, tmp);
    for (size_t i = 1; i < 300; i++)
        CHECK(keys[i - 1] >> 32 <= keys[i] >> 32);
    double values[] = {3.5, -1, 0.0, -0.0, 1e300, -1e-300, 2, 2, -7.25};
    for (size_t i = 0; i < 9; i++) {
        keys[i] = lathe__double_key(values[i]);
        rows[i] = (uint32_t)i;
    }
    for (size_t i = 9; i < 100; i++) { /* long enough for the radix passes */
        keys[i] = lathe__double_key((double)(i % 13) - 6.5);
        rows[i] = (uint32_t)i;
    }
    lathe__radix_sort_pairs(keys, rows, 100, tmp, tmp_rows);
    for (size_t i = 1; i < 100; i++) {
        double a = rows[i - 1] < 9 ? values[rows[i - 1]] : (double)(rows[i - 1] % 13) - 6.5;
        double b = rows[i] < 9 ? values[rows[i]] : (double)(rows[i] % 13) - 6.5;
        CHECK_MSG(a <= b, "%g before %g", a, b);
    }
    CHECK(lathe__double_key(0.0) == lathe__double_key(-0.0));
}
