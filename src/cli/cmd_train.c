/*
 * cmd_train.c: `lathe train`, from a table to a validated model artifact.
 *
 * Reads the data (and a test file, or holds rows out), trains through
 * lathe_train, says what it chose (model, pipeline per column, split), the
 * test metrics and what the run cost, and saves the artifact. --json prints
 * the same as one document for scripts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cli_model.h"

#define NAME "train"
#define MAX_PARAMS 256

typedef struct train_args {
    const char *data;
    const char *test_data;
    const char *valid_data;
    const char *output;
    const char *params[MAX_PARAMS];
    size_t n_params;
    lathe_train_options train;
    cli_read_args read;
    unsigned long long seed;
    int threads;
    bool json;
} train_args;

#define STRING_OPTION(fn, field)                                                                   \
    static bool fn(void *target, const char *value, char *why, size_t size)                        \
    {                                                                                              \
        (void)why;                                                                                 \
        (void)size;                                                                                \
        ((train_args *)target)->field = value;                                                     \
        return true;                                                                               \
    }

STRING_OPTION(set_target, train.target)
STRING_OPTION(set_model, train.model)
STRING_OPTION(set_config, train.spec_path)
STRING_OPTION(set_test_data, test_data)
STRING_OPTION(set_valid_data, valid_data)
STRING_OPTION(set_split, train.split)
STRING_OPTION(set_group, train.group_column)
STRING_OPTION(set_time, train.time_column)
STRING_OPTION(set_task, train.task)
STRING_OPTION(set_output, output)

static bool add_param(void *target, const char *value, char *why, size_t size)
{
    train_args *args = target;
    if (!strchr(value, '=') || value[0] == '=') {
        snprintf(why, size, "--set takes NAME=VALUE, not '%s'", value);
        return false;
    }
    if (args->n_params == MAX_PARAMS) {
        snprintf(why, size, "at most %d --set options", MAX_PARAMS);
        return false;
    }
    args->params[args->n_params++] = value;
    return true;
}

static bool set_holdout(void *target, const char *value, char *why, size_t size)
{
    train_args *args = target;
    if (strcmp(value, "0") == 0) {
        args->train.holdout = 0;
        return true;
    }
    if (!cli_parse_fraction(value, &args->train.holdout)) {
        snprintf(why, size, "--holdout takes a fraction between 0 and 1, not '%s'", value);
        return false;
    }
    return true;
}

static bool set_folds(void *target, const char *value, char *why, size_t size)
{
    size_t folds;
    if (!cli_parse_count(value, 1000, &folds) || folds < 2) {
        snprintf(why, size, "--folds takes a whole number from 2 to 1000, not '%s'", value);
        return false;
    }
    ((train_args *)target)->train.folds = (int)folds;
    return true;
}

static bool set_seed(void *target, const char *value, char *why, size_t size)
{
    return cli_parse_seed(value, &((train_args *)target)->seed, why, size);
}

static bool set_threads(void *target, const char *value, char *why, size_t size)
{
    return cli_parse_threads(value, &((train_args *)target)->threads, why, size);
}

static bool set_json(void *target, const char *value, char *why, size_t size)
{
    (void)value;
    (void)why;
    (void)size;
    ((train_args *)target)->json = true;
    return true;
}

static const cli_option train_options[] = {
    {"--target", "COL", "the column to predict (or data.target in the config)", set_target},
    {"--model", "NAME",
     "a family from 'lathe models' (logistic, ridge, gbdt, forest...), or auto (the default)",
     set_model},
    {"--set", "NAME=VALUE", "a model parameter ('lathe models NAME' lists them); repeatable",
     add_param},
    {"--config", "SPEC.yaml", "a YAML spec: columns, split, pipeline steps, model, metrics",
     set_config},
    {"--test-data", "FILE", "score on this file instead of holding rows out", set_test_data},
    {"--valid-data", "FILE", "early stopping watches these rows, not validation_fraction (gbdt)",
     set_valid_data},
    {"--holdout", "FRACTION", "share of rows held out for test metrics (default 0.2; 0: none)",
     set_holdout},
    {"--split", "KIND", "random, stratified (default for classes), group or time", set_split},
    {"--folds", "K", "also cross-validate on the training rows with K folds of the same kind",
     set_folds},
    {"--group", "COL", "with --split group: rows sharing COL stay on one side", set_group},
    {"--time", "COL", "with --split time: the latest rows by COL are held out", set_time},
    {"--task", "TASK", "classification or regression (default: from the model and target)",
     set_task},
    {"--seed", "N", "seed for the split and the model (default 0)", set_seed},
    {"--threads", "N", "threads to use (default 1; 0: every core)", set_threads},
    {"-o", "MODEL.lathe", "where to save the model (default model.lathe)", set_output},
    {"--json", NULL, "print one JSON object instead of text", set_json},
};

static void option_groups(train_args *args, cli_option_group groups[2])
{
    groups[0] =
        (cli_option_group){train_options, sizeof train_options / sizeof train_options[0], args};
    groups[1] = (cli_option_group){cli_read_options, cli_n_read_options, &args->read};
}

static void help(FILE *out)
{
    fputs("usage: lathe train DATA --target COL [OPTIONS]\n\n"
          "Trains a model on DATA: fits a preprocessing pipeline (imputation, scaling, encoding,\n"
          "chosen per column kind unless the config says otherwise) and the model on the\n"
          "training rows only, scores the held-out rows, and saves everything in one artifact\n"
          "file that `lathe predict` and `lathe evaluate` use.\n\noptions:\n",
          out);
    train_args unused;
    cli_option_group groups[2];
    option_groups(&unused, groups);
    cli_print_options(out, groups, 2);
    fputs("\nexamples:\n"
          "  lathe train data.csv --target churn\n"
          "  lathe train data.csv --target price --model ridge --set alpha=0.5 -o price.lathe\n"
          "  lathe train train.csv --test-data test.csv --target y --config spec.yaml --json\n"
          "  lathe train train.csv --target y --model gbdt --valid-data valid.csv \\\n"
          "      --set n_estimators=1000 --set early_stopping_rounds=20\n"
          "\nexit status: 0 done, 1 the data or training failed, 2 bad usage\n",
          out);
}

/* ---- output ------------------------------------------------------------- */

typedef struct run_costs {
    double load_seconds;
    double train_seconds;
    long long model_bytes;
} run_costs;

static json_t *model_summary_json(const lathe_model *model)
{
    char *text = lathe_model_describe_json(model);
    json_t *root = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return root;
}

static int print_json(const train_args *args, const lathe_model *model, const run_costs *costs)
{
    json_t *summary = model_summary_json(model);
    if (!summary)
        return cli_fail("cannot describe the model as JSON");
    json_t *lineage = json_object_get(summary, "lineage");
    json_t *root = json_pack(
        "{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:o, s:s, s:f, s:f, s:f, s:I, s:I}", "data",
        args->data, "family", json_object_get(summary, "family"), "task",
        json_object_get(summary, "task"), "target", json_object_get(summary, "target"), "classes",
        json_object_get(summary, "classes"), "pipeline", json_object_get(summary, "pipeline"),
        "cross_validation", json_object_get(summary, "cross_validation"), "train_rows",
        json_object_get(lineage, "train_rows"), "test_rows", json_object_get(lineage, "test_rows"),
        "metrics", cli_metrics_json(lathe_model_test_metrics(model)), "output", args->output,
        "load_seconds", costs->load_seconds, "fit_seconds",
        json_real_value(json_object_get(lineage, "fit_seconds")), "cpu_seconds", cli_cpu_seconds(),
        "peak_rss_bytes", (json_int_t)cli_peak_rss_bytes(), "model_bytes",
        (json_int_t)costs->model_bytes);
    json_decref(summary);
    return cli_print_json(root) ? CLI_OK : cli_fail("cannot print the result as JSON");
}

static void print_human(const train_args *args, const lathe_model *model, const run_costs *costs)
{
    json_t *summary = model_summary_json(model);
    json_t *lineage = json_object_get(summary, "lineage");
    printf("model: %s (%s of \"%s\"", lathe_model_family(model), lathe_model_task(model),
           lathe_model_target(model));
    if (lathe_model_n_classes(model)) {
        printf(", %zu classes:", lathe_model_n_classes(model));
        for (size_t i = 0; i < lathe_model_n_classes(model) && i < 8; i++)
            printf(" %s", lathe_model_class_name(model, i));
        if (lathe_model_n_classes(model) > 8)
            printf(" ...");
    }
    printf(")\npipeline:\n");
    json_t *steps = json_object_get(json_object_get(summary, "pipeline"), "steps");
    for (size_t i = 0; i < json_array_size(steps); i++) {
        json_t *step = json_array_get(steps, i);
        printf("  %s: %s\n", json_string_value(json_object_get(step, "subject")),
               json_string_value(json_object_get(step, "text")));
    }
    printf("rows: %lld training, %lld test",
           (long long)json_integer_value(json_object_get(lineage, "train_rows")),
           (long long)json_integer_value(json_object_get(lineage, "test_rows")));
    json_int_t dropped = json_integer_value(json_object_get(lineage, "dropped_rows"));
    if (dropped)
        printf(" (%lld without a target left out)", (long long)dropped);
    printf("\ntime: load %.3f s, train %.3f s (fit %.3f s); peak memory %.1f MB\n",
           costs->load_seconds, costs->train_seconds,
           json_real_value(json_object_get(lineage, "fit_seconds")),
           (double)cli_peak_rss_bytes() / 1e6);
    const lathe_metrics_report *mean, *std;
    size_t folds = lathe_model_cv_metrics(model, &mean, &std);
    if (folds) {
        printf("cross-validation (%zu folds, mean ± std):\n", folds);
        for (size_t i = 0; i < mean->n_values; i++)
            printf("  %-20s %.6g ± %.3g\n", mean->values[i].name, mean->values[i].value,
                   std->values[i].value);
    }
    const lathe_metrics_report *metrics = lathe_model_test_metrics(model);
    if (metrics->n_values) {
        printf("test metrics:\n");
        cli_print_metrics(metrics, "  ");
    }
    printf("saved %s (%lld bytes)\n", args->output, costs->model_bytes);
    json_decref(summary);
}

/* ---- the command ---------------------------------------------------------- */

static bool read_training_data(lathe_ctx *ctx, const train_args *args, lathe_frame **data,
                               lathe_frame **test, lathe_frame **valid)
{
    lathe_column_decl *decls = NULL;
    size_t n_decls = 0;
    lathe_error err;
    lathe_error_clear(&err);
    if (args->train.spec_path &&
        lathe_spec_columns(ctx, args->train.spec_path, &decls, &n_decls, &err) != LATHE_OK) {
        cli_fail("%s", err.message);
        return false;
    }
    bool ok = cli_read_declared(ctx, args->data, &args->read, decls, n_decls, false, data);
    if (ok && args->test_data)
        ok = cli_read_declared(ctx, args->test_data, &args->read, decls, n_decls, false, test);
    if (ok && args->valid_data)
        ok = cli_read_declared(ctx, args->valid_data, &args->read, decls, n_decls, false, valid);
    lathe_column_decls_free(ctx, decls, n_decls);
    return ok;
}

static int train(train_args *args)
{
    lathe_ctx *ctx = cli_ctx_new(args->threads, args->seed, !args->json);
    lathe_frame *data = NULL, *test = NULL, *valid = NULL;
    lathe_model *model = NULL;
    lathe_error err;
    lathe_error_clear(&err);
    run_costs costs = {0};
    int status = CLI_FAILED;
    char digest[65];
    double start = cli_seconds();
    if (!read_training_data(ctx, args, &data, &test, &valid))
        goto out;
    costs.load_seconds = cli_seconds() - start;
    args->train.test = test;
    args->train.valid = valid;
    args->train.params = args->params;
    args->train.n_params = args->n_params;
    args->train.data_source = args->data;
    if (strcmp(args->data, "-") != 0 &&
        lathe_file_sha256(ctx, args->data, digest, &err) == LATHE_OK)
        args->train.data_sha256 = digest;
    start = cli_seconds();
    if (lathe_train(ctx, data, &args->train, &model, &err) != LATHE_OK) {
        status = cli_fail("%s", err.message);
        goto out;
    }
    costs.train_seconds = cli_seconds() - start;
    if (lathe_model_save(model, args->output, &err) != LATHE_OK) {
        status = cli_fail("%s", err.message);
        goto out;
    }
    struct stat st;
    costs.model_bytes = stat(args->output, &st) == 0 ? (long long)st.st_size : -1;
    if (args->json)
        status = print_json(args, model, &costs);
    else {
        print_human(args, model, &costs);
        status = CLI_OK;
    }
out:
    lathe_model_free(model);
    lathe_frame_free(data);
    lathe_frame_free(test);
    lathe_frame_free(valid);
    lathe_ctx_free(ctx);
    return status;
}

static int stdin_readers(const train_args *args)
{
    const char *paths[] = {args->data, args->test_data, args->valid_data};
    int n = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        n += paths[i] && strcmp(paths[i], "-") == 0;
    return n;
}

static int run(int argc, char **argv)
{
    train_args args = {.output = "model.lathe", .threads = 1};
    lathe_train_options_init(&args.train);
    cli_read_args_init(&args.read, argc);
    cli_option_group groups[2];
    option_groups(&args, groups);
    size_t n_positional;
    int status = cli_parse_options(NAME, argc, argv, groups, 2, &args.data, 1, &n_positional);
    if (status == CLI_OK && !args.data)
        status = cli_usage(NAME, "missing DATA (a file, or - for standard input)");
    if (status == CLI_OK && args.test_data && args.train.holdout > 0)
        status = cli_usage(NAME, "--test-data and --holdout exclude each other");
    if (status == CLI_OK && stdin_readers(&args) > 1)
        status = cli_usage(NAME, "only one of DATA, --test-data and --valid-data can be - "
                                 "(standard input)");
    if (status == CLI_OK) {
        cli_read_args_finish(&args.read);
        status = train(&args);
    }
    cli_read_args_release(&args.read);
    return status;
}

const cli_command cli_train_command = {NAME, "train a model and save it as one artifact file", run,
                                       help};
