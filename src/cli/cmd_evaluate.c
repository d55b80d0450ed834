/*
 * cmd_evaluate.c: `lathe evaluate MODEL DATA`, the model's metrics on rows
 * that hold the target, read with the kinds the model was trained on.
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"

#define NAME "evaluate"

typedef struct evaluate_args {
    const char *paths[2]; /* MODEL, DATA */
    cli_read_args read;
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

static const cli_option evaluate_options[] = {
    {"--json", NULL, "print one JSON object instead of text", set_json},
};

static void option_groups(evaluate_args *args, cli_option_group groups[2])
{
    groups[0] = (cli_option_group){evaluate_options, 1, args};
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
    if (lathe_model_evaluate(model, data, &report, &err) != LATHE_OK) {
        status = cli_fail("%s", err.message);
        goto out;
    }
    if (args->json) {
        json_t *root =
            json_pack("{s:s, s:s, s:s, s:I, s:o}", "model", args->paths[0], "data", args->paths[1],
                      "task", lathe_model_task(model), "rows", (json_int_t)lathe_frame_n_rows(data),
                      "metrics", cli_metrics_json(&report));
        status = cli_print_json(root) ? CLI_OK : cli_fail("cannot print the result as JSON");
    } else {
        printf("%s on %s (%zu rows):\n", args->paths[0], args->paths[1], lathe_frame_n_rows(data));
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
    evaluate_args args = {0};
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
