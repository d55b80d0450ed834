/* test_spec.c: reading YAML training specs, and the messages for bad ones. */
#include <stdlib.h>

#include "harness.h"
#include "lathe/lathe.h"
#include "train/spec.h"

static lathe_status parse(const char *text, lathe__spec **spec, lathe_error *err)
{
    static lathe_ctx *ctx;
    if (!ctx)
        ctx = lathe_ctx_new();
    lathe_error_clear(err);
    *spec = NULL;
    return lathe__spec_parse(ctx, text, strlen(text), "spec.yaml", spec, err);
}

static void release(lathe__spec *spec)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__spec_free(ctx, spec); /* the default allocator: any context frees */
    lathe_ctx_free(ctx);
}

TEST(reads_every_section)
{
    lathe__spec *spec;
    lathe_error err;
    CHECK_OK(parse("data:\n"
                   "  target: diabetes\n"
                   "  columns:\n"
                   "    patient: {role: id}\n"
                   "    zip: {kind: categorical}\n"
                   "split: {holdout: 0.25, kind: stratified, seed: 7, folds: 5}\n"
                   "steps:\n"
                   "  - impute: {strategy: median, columns: [glucose, insulin]}\n"
                   "  - scale\n"
                   "model:\n"
                   "  name: logistic\n"
                   "  params: {C: 0.5, penalty: l1}\n"
                   "metrics: [accuracy, roc_auc]\n",
                   &spec, &err),
             err);
    CHECK_STR(spec->target, "diabetes");
    CHECK_EQ(spec->n_columns, 2);
    CHECK_STR(spec->columns[0].name, "patient");
    CHECK(spec->columns[0].has_role && spec->columns[0].role == LATHE_ROLE_ID);
    CHECK(spec->columns[1].has_kind && spec->columns[1].kind == LATHE_KIND_CATEGORICAL);
    CHECK_NEAR(spec->holdout, 0.25, 0);
    CHECK_STR(spec->split_kind, "stratified");
    CHECK(spec->has_seed && spec->seed == 7);
    CHECK_EQ(spec->folds, 5);
    CHECK_EQ(spec->n_steps, 2);
    CHECK_STR(spec->steps[0].name, "impute");
    CHECK_EQ(spec->steps[0].n_options, 2);
    CHECK_STR(spec->steps[0].options[1].value, "glucose,insulin");
    CHECK_STR(spec->steps[0].where, "spec.yaml:8:5");
    CHECK_STR(spec->steps[1].name, "scale");
    CHECK_STR(spec->model, "logistic");
    CHECK_EQ(spec->n_params, 2);
    CHECK_STR(spec->params[0].name, "C");
    CHECK_STR(spec->params[0].value, "0.5");
    CHECK_EQ(spec->n_metrics, 2);
    CHECK_STR(spec->metrics[1], "roc_auc");
    release(spec);
}

TEST(errors_name_line_column_and_suggest)
{
    lathe__spec *spec;
    lathe_error err;
    CHECK_EQ(parse("modle: logistic\n", &spec, &err), LATHE_PARSE);
    CHECK_STR(err.message, "spec.yaml:1:1: unknown key \"modle\" in the spec (did you mean "
                           "\"model\"?)");
    CHECK_EQ(parse("split:\n  holdout: 1.5\n", &spec, &err), LATHE_PARSE);
    CHECK_STR(err.message, "spec.yaml:2:12: holdout must be between 1e-09 and 1, got 1.5");
    CHECK_EQ(parse("data:\n  columns:\n    a: {kind: number}\n", &spec, &err), LATHE_PARSE);
    CHECK_STR(err.message,
              "spec.yaml:3:15: kind must be numeric, categorical, boolean, datetime or text");
    CHECK_EQ(parse("steps: scale\n", &spec, &err), LATHE_PARSE);
    CHECK_STR(err.message, "spec.yaml:1:8: steps must be a list");
    CHECK_EQ(parse("model: [a\n", &spec, &err), LATHE_PARSE);
    CHECK_HAS(err.message, "spec.yaml:2:1: did not find expected");
    CHECK_EQ(parse("split: {seed: -3}\n", &spec, &err), LATHE_PARSE);
    CHECK_STR(err.message, "spec.yaml:1:15: seed must be a non-negative integer");
}

TEST(empty_spec_is_empty)
{
    lathe__spec *spec;
    lathe_error err;
    CHECK_OK(parse("", &spec, &err), err);
    CHECK(spec->target == NULL && spec->model == NULL && !spec->has_steps);
    release(spec);
}
