/*
 * cmd_evaluate.c: `lathe evaluate MODEL DATA`, the model's metrics on rows
 * that hold the target, read with the kinds the model was trained on.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"

#define NAME "evaluate"
#define TOP_IMPORTANCE 20
#define DEFAULT_REPEATS 5

typedef struct evaluate_args {
    const char *paths[2]; /* MODEL, DATA */
    cli_read_args read;
    size_t bootstrap; /* resamples; 0: no intervals */
    double confidence;
    bool importance;
    size_t repeats; /* shuffles per feature for --importance */
    unsigned long long seed;
    int threads;
    bool json;
} evaluate_args;

static bool set_json(void *target, const char *value, char *why, size_t size)
{
    (void)value;
    (void)why;
    (void)size;
    ((evaluate_args *)target)->json = true;
    return true;
}

static bool set_bootstrap(void *target, const char *value, char *why, size_t size)
{
    evaluate_args *args = target;
    if (!cli_parse_count(value, LATHE_BOOTSTRAP_MAX_RESAMPLES, &args->bootstrap) ||
        args->bootstrap == 0) {
        snprintf(why, size, "--bootstrap takes a number of resamples (1000 is usual), not '%s'",
                 value);
        return false;
    }
    return true;
}

static bool set_importance(void *target, const char *value, char *why, size_t size)
{
    (void)value;
    (void)why;
    (void)size;
    ((evaluate_args *)target)->importance = true;
    return true;
}

static bool set_repeats(void *target, const char *value, char *why, size_t size)
{
    evaluate_args *args = target;
    if (!cli_parse_count(value, 1000, &args->repeats) || args->repeats == 0) {
        snprintf(why, size, "--repeats takes a number of shuffles from 1 to 1000, not '%s'", value);
        return false;
    }
    return true;
}

static bool set_seed(void *target, const char *value, char *why, size_t size)
{
    return cli_parse_seed(value, &((evaluate_args *)target)->seed, why, size);
}

static bool set_threads(void *target, const char *value, char *why, size_t size)
{
    return cli_parse_threads(value, &((evaluate_args *)target)->threads, why, size);
}

static bool set_confidence(void *target, const char *value, char *why, size_t size)
{
    if (!cli_parse_fraction(value, &((evaluate_args *)target)->confidence)) {
        snprintf(why, size, "--confidence takes a level between 0 and 1, not '%s'", value);
        return false;
    }
    return true;
}

static const cli_option evaluate_options[] = {
    {"--bootstrap", "N", "add percentile confidence intervals from N resamples of the rows",
     set_bootstrap},
    {"--confidence", "LEVEL", "the intervals' confidence level (default 0.95)", set_confidence},
    {"--importance", NULL,
     "also each feature's permutation importance: the score lost when it is shuffled",
     set_importance},
    {"--repeats", "N", "--importance: shuffles per feature, averaged (default 5)", set_repeats},
    {"--seed", "N", "--importance: seed of the shuffles (default 0)", set_seed},
    {"--threads", "N", "threads to predict on (default 1; 0: all cores)", set_threads},
    {"--json", NULL, "print one JSON object instead of text", set_json},
};

static void option_groups(evaluate_args *args, cli_option_group groups[2])
{
    groups[0] = (cli_option_group){evaluate_options,
                                   sizeof evaluate_options / sizeof evaluate_options[0], args};
    groups[1] = (cli_option_group){cli_read_options, cli_n_read_options, &args->read};
}

static void help(FILE *out)
{
    fputs("usage: lathe evaluate MODEL DATA [OPTIONS]\n\n"
          "Scores a saved model on DATA, which must hold the model's input columns and its\n"
          "target. Rows without a target are left out. Metrics are named as in every Lathe\n"
          "JSON output: accuracy, balanced_accuracy, f1_macro, roc_auc, log_loss, ...; rmse,\n"
          "mae, r2, mape.\n\noptions:\n",
          out);
    evaluate_args unused;
    cli_option_group groups[2];
    option_groups(&unused, groups);
    cli_print_options(out, groups, 2);
    fputs("\nexit status: 0 done, 1 the model or data could not be used, 2 bad usage\n", out);
}

static json_t *finite_or_null(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

static json_t *intervals_json(const lathe_metrics_report *report, const lathe_interval *intervals,
                              const evaluate_args *args)
{
    json_t *out = json_pack("{s:f, s:I}", "confidence", args->confidence, "resamples",
                            (json_int_t)args->bootstrap);
    for (size_t i = 0; i < report->n_values; i++)
        json_object_set_new(out, report->values[i].name,
                            json_pack("{s:o, s:o}", "lower", finite_or_null(intervals[i].lower),
                                      "upper", finite_or_null(intervals[i].upper)));
    return out;
}

static void print_intervals(const lathe_metrics_report *report, const lathe_interval *intervals,
                            const evaluate_args *args)
{
    printf("  %-20s %-10s %.0f%% interval (%zu resamples)\n", "metric", "value",
           args->confidence * 100, args->bootstrap);
    for (size_t i = 0; i < report->n_values; i++)
        printf("  %-20s %-10.6g [%.6g, %.6g]\n", report->values[i].name, report->values[i].value,
               intervals[i].lower, intervals[i].upper);
}

/* Permutation importance, one value per pipeline feature, and those features ranked. */
typedef struct importance {
    double *values;
    size_t *order;
    size_t n;
} importance;

static void importance_release(importance *imp)
{
    free(imp->values);
    free(imp->order);
}

/* lathe_model_permutation_importance, ranked; false after printing the failure. */
static bool permutation_ranking(const lathe_model *model, const lathe_frame *data,
                                const evaluate_args *args, importance *imp)
{
    lathe_error err;
    lathe_error_clear(&err);
    imp->n = lathe_model_n_features(model);
    imp->values = calloc(imp->n ? imp->n : 1, sizeof *imp->values);
    if (imp->values && lathe_model_permutation_importance(model, data, args->repeats, args->seed,
                                                          imp->values, &err) != LATHE_OK) {
        cli_fail("permutation importance: %s", err.message);
        return false;
    }
    if (!imp->values || !(imp->order = cli_rank_by_value(imp->values, imp->n))) {
        cli_fail("out of memory");
        return false;
    }
    return true;
}

static json_t *importance_json(const lathe_model *model, const importance *imp)
{
    json_t *list = json_array();
    for (size_t k = 0; k < imp->n; k++)
        json_array_append_new(
            list, json_pack("{s:s, s:o}", "feature", lathe_model_feature_name(model, imp->order[k]),
                            "importance", finite_or_null(imp->values[imp->order[k]])));
    return list;
}

static void print_importance(const lathe_model *model, const importance *imp,
                             const evaluate_args *args)
{
    printf("permutation importance (%s lost, mean of %zu shuffles, top %d):\n",
           strcmp(lathe_model_task(model), "classification") == 0 ? "accuracy" : "R^2",
           args->repeats, TOP_IMPORTANCE);
    for (size_t k = 0; k < imp->n && k < TOP_IMPORTANCE; k++)
        printf("  %-28s %10.6f\n", lathe_model_feature_name(model, imp->order[k]),
               imp->values[imp->order[k]]);
}

static int evaluate(const evaluate_args *args)
{
    lathe_ctx *ctx = cli_ctx_new(args->threads, 0, !args->json);
    lathe_model *model = NULL;
    lathe_frame *data = NULL;
    lathe_error err;
    lathe_error_clear(&err);
    int status = CLI_FAILED;
    lathe_metrics_report report;
    importance imp = {0};
    size_t n_decls;
    if (lathe_model_load(ctx, args->paths[0], &model, &err) != LATHE_OK) {
        status = cli_fail("%s", err.message);
        goto out;
    }
    const lathe_column_decl *decls = lathe_model_columns(model, &n_decls);
    if (!cli_read_declared(ctx, args->paths[1], &args->read, decls, n_decls, true, &data))
        goto out;
    lathe_bootstrap_options bootstrap = {args->bootstrap, args->confidence, 0};
    lathe_interval intervals[LATHE_METRIC_COUNT];
    if (lathe_model_evaluate_intervals(model, data, args->bootstrap ? &bootstrap : NULL, &report,
                                       intervals, &err) != LATHE_OK) {
        status = cli_fail("%s", err.message);
        goto out;
    }
    if (args->importance && !permutation_ranking(model, data, args, &imp))
        goto out;
    if (args->json) {
        json_t *root =
            json_pack("{s:s, s:s, s:s, s:I, s:o}", "model", args->paths[0], "data", args->paths[1],
                      "task", lathe_model_task(model), "rows", (json_int_t)lathe_frame_n_rows(data),
                      "metrics", cli_metrics_json(&report));
        if (root && args->bootstrap)
            json_object_set_new(root, "intervals", intervals_json(&report, intervals, args));
        if (root && imp.order)
            json_object_set_new(root, "permutation_importance", importance_json(model, &imp));
        status = cli_print_json(root) ? CLI_OK : cli_fail("cannot print the result as JSON");
    } else {
        printf("%s on %s (%zu rows):\n", args->paths[0], args->paths[1], lathe_frame_n_rows(data));
        if (args->bootstrap)
            print_intervals(&report, intervals, args);
        else
            cli_print_metrics(&report, "  ");
        if (imp.order)
            print_importance(model, &imp, args);
        status = CLI_OK;
    }
out:
    importance_release(&imp);
    lathe_frame_free(data);
    lathe_model_free(model);
    lathe_ctx_free(ctx);
    return status;
}

static int run(int argc, char **argv)
{
    evaluate_args args = {.confidence = 0.95, .repeats = DEFAULT_REPEATS, .threads = 1};
    cli_read_args_init(&args.read, argc);
    cli_option_group groups[2];
    option_groups(&args, groups);
    size_t n;
    int status = cli_parse_options(NAME, argc, argv, groups, 2, args.paths, 2, &n);
    if (status == CLI_OK && n < 2)
        status = cli_usage(NAME, "needs MODEL and DATA");
    if (status == CLI_OK) {
        cli_read_args_finish(&args.read);
        status = evaluate(&args);
    }
    cli_read_args_release(&args.read);
    return status;
}

const cli_command cli_evaluate_command = {NAME, "score a saved model on labelled data", run, help};
