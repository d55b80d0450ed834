/*
 * cmd_evaluate.c: `lathe evaluate MODEL DATA`, the model's metrics on rows
 * that hold the target, read with the kinds the model was trained on.
 */
#include <math.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"

#define NAME "evaluate"

typedef struct evaluate_args {
    const char *paths[2]; /* MODEL, DATA */
    cli_read_args read;
    size_t bootstrap; /* resamples; 0: no intervals */
    double confidence;
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

static int evaluate(const evaluate_args *args)
{
    lathe_ctx *ctx = cli_ctx_new(1, 0, !args->json);
    lathe_model *model = NULL;
    lathe_frame *data = NULL;
    lathe_error err;
    lathe_error_clear(&err);
    int status = CLI_FAILED;
    lathe_metrics_report report;
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
    if (args->json) {
        json_t *root =
            json_pack("{s:s, s:s, s:s, s:I, s:o}", "model", args->paths[0], "data", args->paths[1],
                      "task", lathe_model_task(model), "rows", (json_int_t)lathe_frame_n_rows(data),
                      "metrics", cli_metrics_json(&report));
        if (root && args->bootstrap)
            json_object_set_new(root, "intervals", intervals_json(&report, intervals, args));
        status = cli_print_json(root) ? CLI_OK : cli_fail("cannot print the result as JSON");
    } else {
        printf("%s on %s (%zu rows):\n", args->paths[0], args->paths[1], lathe_frame_n_rows(data));
        if (args->bootstrap)
            print_intervals(&report, intervals, args);
        else
            cli_print_metrics(&report, "  ");
        status = CLI_OK;
    }
out:
    lathe_frame_free(data);
    lathe_model_free(model);
    lathe_ctx_free(ctx);
    return status;
}

static int run(int argc, char **argv)
{
    evaluate_args args = {.confidence = 0.95};
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
