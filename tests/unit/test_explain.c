/*
 * test_explain.c: per-feature contributions and importance through the
 * public API (lathe_model_explain, lathe_model_importance), on tree models
 * trained on real data. The checks that need no second implementation:
 * for every row and every score, the contributions plus the bias add up to
 * the score (a forest's scores are its predicted probabilities, so they are
 * checked against lathe_model_predict), a loaded artifact explains exactly
 * as the trained model did, importance has one value per pipeline feature
 * and is positive where splits are, and the refusals say what is wrong.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lathe/lathe.h"

static lathe_frame *read_rows(lathe_ctx *ctx, const char *path, size_t n)
{
    lathe_frame *all = NULL, *head = NULL;
    lathe_error err;
    if (lathe_read(ctx, path, NULL, &all, &err) != LATHE_OK) {
        fprintf(stderr, "%s\n", err.message);
        return NULL;
    }
    size_t *rows = malloc(n * sizeof *rows);
    for (size_t r = 0; r < n; r++)
        rows[r] = r;
    if (lathe_frame_take(all, rows, n, &head, &err) != LATHE_OK)
        head = NULL;
    free(rows);
    lathe_frame_free(all);
    return head;
}

static lathe_model *train(lathe_ctx *ctx, const lathe_frame *data, const char *target,
                          const char *family, const char *param)
{
    lathe_train_options options;
    lathe_train_options_init(&options);
    options.target = target;
    options.model = family;
    options.holdout = 0;
    const char *params[] = {param};
    options.params = params;
    options.n_params = param ? 1 : 0;
    lathe_model *model = NULL;
    lathe_error err;
    if (lathe_train(ctx, data, &options, &model, &err) != LATHE_OK)
        fprintf(stderr, "train %s: %s\n", family, err.message);
    return model;
}

/* Contributions + bias == score for every row and score; with `proba`, the scores are
   the predicted probabilities. Returns the first row's phi in `first` (its size). */
static int adds_up(const lathe_model *model, const lathe_frame *data, bool proba, double *first,
                   size_t capacity)
{
    size_t n_rows = lathe_frame_n_rows(data), n_scores = lathe_model_n_scores(model);
    size_t n_features = lathe_model_n_features(model), stride = n_features + 1;
    size_t n_classes = lathe_model_n_classes(model);
    double *phi = calloc(n_scores * stride, sizeof *phi);
    double *predicted = calloc(n_rows * (n_classes ? n_classes : 1), sizeof *predicted);
    lathe_error err;
    int ok = n_scores > 0 && lathe_model_predict(model, data, predicted, NULL, &err) == LATHE_OK;
    for (size_t r = 0; ok && r < n_rows; r++) {
        size_t n = n_scores * stride;
        ok = lathe_model_explain(model, data, r, phi, &n, &err) == LATHE_OK &&
             n == n_scores * stride;
        for (size_t s = 0; ok && s < n_scores; s++) {
            double sum = 0;
            for (size_t f = 0; f < stride; f++)
                sum += phi[s * stride + f];
            if (proba && fabs(sum - predicted[r * n_classes + s]) > 1e-9) {
                fprintf(stderr, "row %zu score %zu: %.17g vs %.17g\n", r, s, sum,
                        predicted[r * n_classes + s]);
                ok = 0;
            }
        }
        if (ok && r == 0 && capacity >= n_scores * stride)
            memcpy(first, phi, n_scores * stride * sizeof *phi);
    }
    free(phi);
    free(predicted);
    return ok;
}

TEST(forest_contributions_add_up_to_the_predicted_probabilities)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_frame *data = read_rows(ctx, "data/pima_diabetes2.csv", 300);
    CHECK(data);
    lathe_model *model = train(ctx, data, "diabetes", "forest", "n_estimators=12");
    CHECK(model);
    CHECK_EQ(lathe_model_n_scores(model), 2);
    CHECK_EQ(lathe_model_n_features(model), 8);
    CHECK_STR(lathe_model_feature_name(model, 1), "glucose");
    CHECK(lathe_model_feature_name(model, 8) == NULL);
    char name[64];
    CHECK_EQ(lathe_model_score_name(model, 1, name, sizeof name), strlen("probability of pos"));
    CHECK_STR(name, "probability of pos");
    lathe_model_score_name(model, 0, name, 8);
    CHECK_STR(name, "probabi");
    double first[2 * 9];
    CHECK(adds_up(model, data, true, first, 18));

    /* the artifact explains the same, bit for bit */
    char path[] = "/tmp/lathe-explain-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    lathe_error err;
    CHECK_OK(lathe_model_save(model, path, &err), err);
    lathe_model *loaded = NULL;
    CHECK_OK(lathe_model_load(ctx, path, &loaded, &err), err);
    unlink(path);
    double again[2 * 9];
    size_t n = 18;
    CHECK_OK(lathe_model_explain(loaded, data, 0, again, &n, &err), err);
    CHECK(memcmp(first, again, sizeof first) == 0);

    /* too little room says how much is needed */
    n = 5;
    CHECK(lathe_model_explain(model, data, 0, again, &n, &err) == LATHE_INVALID);
    CHECK_EQ(n, 18);
    CHECK_STR(err.message, "contributions need room for 18 values, not 5");
    n = 18;
    CHECK(lathe_model_explain(model, data, 300, again, &n, &err) == LATHE_INVALID);

    double gain[8], splits[8];
    CHECK_OK(lathe_model_importance(model, LATHE_IMPORTANCE_GAIN, gain, &err), err);
    CHECK_OK(lathe_model_importance(model, LATHE_IMPORTANCE_SPLITS, splits, &err), err);
    double total_splits = 0;
    for (int f = 0; f < 8; f++) {
        CHECK(gain[f] >= 0 && splits[f] >= 0 && splits[f] == floor(splits[f]));
        CHECK((gain[f] > 0) == (splits[f] > 0));
        total_splits += splits[f];
    }
    CHECK(total_splits > 12); /* twelve trees, each with several splits */
    CHECK(gain[1] > gain[2]); /* glucose matters more than blood pressure */

    lathe_model_free(loaded);
    lathe_model_free(model);
    lathe_frame_free(data);
    lathe_ctx_free(ctx);
}

TEST(regression_tree_contributions_add_up_with_categories)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_frame *data = read_rows(ctx, "data/splits/diamonds/train.csv", 300);
    CHECK(data);
    lathe_model *model = train(ctx, data, "price", "tree", "max_depth=6");
    CHECK(model);
    CHECK_EQ(lathe_model_n_scores(model), 1);
    char name[64];
    lathe_model_score_name(model, 0, name, sizeof name);
    CHECK_STR(name, "price");
    size_t n_features = lathe_model_n_features(model), n_rows = lathe_frame_n_rows(data);
    double *phi = calloc(n_features + 1, sizeof *phi), *predicted = calloc(n_rows, sizeof *phi);
    lathe_error err;
    CHECK_OK(lathe_model_predict(model, data, predicted, NULL, &err), err);
    for (size_t r = 0; r < n_rows; r++) {
        size_t n = n_features + 1;
        CHECK_OK(lathe_model_explain(model, data, r, phi, &n, &err), err);
        double sum = 0;
        for (size_t f = 0; f <= n_features; f++)
            sum += phi[f];
        CHECK_NEAR(sum, predicted[r], 1e-6 * fabs(predicted[r]));
    }
    free(phi);
    free(predicted);
    lathe_model_free(model);
    lathe_frame_free(data);
    lathe_ctx_free(ctx);
}

TEST(models_without_trees_say_they_have_no_contributions)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_frame *data = read_rows(ctx, "data/pima_diabetes2.csv", 200);
    CHECK(data);
    lathe_model *model = train(ctx, data, "diabetes", "logistic", NULL);
    CHECK(model);
    CHECK_EQ(lathe_model_n_scores(model), 0);
    double phi[32], gain[8];
    size_t n = 32;
    lathe_error err;
    CHECK(lathe_model_explain(model, data, 0, phi, &n, &err) == LATHE_UNSUPPORTED);
    CHECK_STR(err.message, "model logistic has no per-feature contributions (only tree models "
                           "have)");
    CHECK(lathe_model_importance(model, LATHE_IMPORTANCE_GAIN, gain, &err) == LATHE_UNSUPPORTED);
    CHECK_STR(err.message, "model logistic has no feature importance");
    lathe_model_free(model);
    lathe_frame_free(data);
    lathe_ctx_free(ctx);
}
