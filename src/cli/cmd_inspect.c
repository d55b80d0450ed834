/*
 * cmd_inspect.c: `lathe inspect MODEL`, what a saved model is: its inputs,
 * pipeline, family and parameters, test metrics, reference statistics and
 * lineage. --json prints lathe_model_describe_json's document, plus, for
 * tree models, "importance": the TOP_IMPORTANCE pipeline features with the
 * largest summed split gain (their share of the total, and split counts).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_model.h"

#define NAME "inspect"
#define TOP_IMPORTANCE 20

typedef struct inspect_args {
    const char *path;
    bool json;
} inspect_args;

static bool set_json(void *target, const char *value, char *why, size_t size)
{
    (void)value;
    (void)why;
    (void)size;
    ((inspect_args *)target)->json = true;
    return true;
}

static const cli_option inspect_options[] = {
    {"--json", NULL, "print the whole description as one JSON object", set_json},
};

static void help(FILE *out)
{
    fputs("usage: lathe inspect MODEL [--json]\n\n"
          "Shows what a saved model is: its input columns and their kinds, the fitted pipeline,\n"
          "the model family and parameters, the test metrics from training, the training\n"
          "data's reference statistics and the lineage (data digest, spec, seed, version).\n\n"
          "options:\n",
          out);
    cli_option_group group = {inspect_options, 1, NULL};
    cli_print_options(out, &group, 1);
    fputs("\nexit status: 0 done, 1 the model could not be read, 2 bad usage\n", out);
}

static const char *text_of(json_t *obj, const char *key)
{
    const char *text = json_string_value(json_object_get(obj, key));
    return text ? text : "-";
}

static void print_params(json_t *params)
{
    const char *key;
    json_t *value;
    printf("parameters:");
    json_object_foreach(params, key, value)
    {
        char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
        printf(" %s=%s", key, text ? text : "?");
        free(text);
    }
    printf("\n");
}

static void print_fitted(json_t *fitted)
{
    const char *key;
    json_t *value;
    if (json_object_size(fitted) == 0)
        return;
    printf("fitted:");
    json_object_foreach(fitted, key, value)
    {
        char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
        printf(" %s=%s", key, text ? text : "?");
        free(text);
    }
    printf("\n");
}

static void print_lineage(json_t *lineage)
{
    time_t created = (time_t)json_integer_value(json_object_get(lineage, "created"));
    char when[64] = "-";
    struct tm tm;
    if (gmtime_r(&created, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("lineage:\n  trained %s with lathe %s, seed %lld, %lld training rows, %lld test rows\n",
           when, text_of(lineage, "lathe_version"),
           (long long)json_integer_value(json_object_get(lineage, "seed")),
           (long long)json_integer_value(json_object_get(lineage, "train_rows")),
           (long long)json_integer_value(json_object_get(lineage, "test_rows")));
    printf("  data %s (sha256 %s)\n", text_of(lineage, "data_source"),
           text_of(lineage, "data_sha256"));
    if (json_is_string(json_object_get(lineage, "spec")))
        printf("  spec:\n%s\n", json_string_value(json_object_get(lineage, "spec")));
}

/* ---- importance ------------------------------------------------------------ */

static json_t *importance_item(const lathe_model *model, size_t feature, double gain, double total,
                               double splits)
{
    json_t *entry = json_object();
    json_object_set_new(entry, "feature", json_string(lathe_model_feature_name(model, feature)));
    json_object_set_new(entry, "gain", json_real(gain));
    json_object_set_new(entry, "share", json_real(total > 0 ? gain / total : 0));
    json_object_set_new(entry, "splits", json_integer((json_int_t)splits));
    return entry;
}

/* The features with the most gain, largest first; NULL for models without trees. */
static json_t *importance_json(const lathe_model *model)
{
    size_t n = lathe_model_n_features(model);
    double *gain = calloc(n ? n : 1, sizeof *gain), *splits = calloc(n ? n : 1, sizeof *splits);
    size_t *order = NULL;
    json_t *list = NULL;
    if (gain && splits &&
        lathe_model_importance(model, LATHE_IMPORTANCE_GAIN, gain, NULL) == LATHE_OK &&
        lathe_model_importance(model, LATHE_IMPORTANCE_SPLITS, splits, NULL) == LATHE_OK &&
        (order = cli_rank_by_value(gain, n))) {
        double total = 0;
        for (size_t f = 0; f < n; f++)
            total += gain[f];
        list = json_array();
        for (size_t k = 0; k < n && k < TOP_IMPORTANCE && gain[order[k]] > 0; k++)
            json_array_append_new(
                list, importance_item(model, order[k], gain[order[k]], total, splits[order[k]]));
    }
    free(gain);
    free(splits);
    free(order);
    return list;
}

static void print_importance(json_t *importance)
{
    if (!importance)
        return;
    printf("importance (split gain, top %d):\n", TOP_IMPORTANCE);
    for (size_t i = 0; i < json_array_size(importance); i++) {
        json_t *item = json_array_get(importance, i);
        printf("  %-24s %12.6g %6.2f%% %6lld splits\n", text_of(item, "feature"),
               json_number_value(json_object_get(item, "gain")),
               100 * json_number_value(json_object_get(item, "share")),
               (long long)json_integer_value(json_object_get(item, "splits")));
    }
}

static void print_human(const char *path, json_t *root)
{
    printf("%s: %s %s of \"%s\" (%s)\n", path, text_of(root, "family"), text_of(root, "task"),
           text_of(root, "target"), text_of(root, "target_kind"));
    json_t *classes = json_object_get(root, "classes");
    if (json_array_size(classes)) {
        printf("classes:");
        for (size_t i = 0; i < json_array_size(classes); i++)
            printf(" %s", json_string_value(json_array_get(classes, i)));
        printf("\n");
    }
    json_t *inputs = json_object_get(root, "inputs");
    printf("inputs (%zu):\n", json_array_size(inputs));
    for (size_t i = 0; i < json_array_size(inputs); i++)
        printf("  %-24s %s\n", text_of(json_array_get(inputs, i), "name"),
               text_of(json_array_get(inputs, i), "kind"));
    json_t *pipeline = json_object_get(root, "pipeline");
    json_t *steps = json_object_get(pipeline, "steps");
    printf("pipeline (%zu features):\n", json_array_size(json_object_get(pipeline, "features")));
    for (size_t i = 0; i < json_array_size(steps); i++)
        printf("  %s: %s\n", text_of(json_array_get(steps, i), "subject"),
               text_of(json_array_get(steps, i), "text"));
    print_params(json_object_get(root, "params"));
    print_fitted(json_object_get(root, "fitted"));
    print_importance(json_object_get(root, "importance"));
    json_t *metrics = json_object_get(root, "test_metrics");
    if (json_object_size(metrics)) {
        const char *key;
        json_t *value;
        printf("test metrics:\n");
        json_object_foreach(metrics, key, value)
        {
            if (json_is_number(value))
                printf("  %-20s %.6g\n", key, json_number_value(value));
            else
                printf("  %-20s undefined\n", key);
        }
    }
    print_lineage(json_object_get(root, "lineage"));
}

static int inspect(const inspect_args *args)
{
    lathe_ctx *ctx = cli_ctx_new(1, 0, false);
    lathe_model *model = NULL;
    lathe_error err;
    lathe_error_clear(&err);
    int status;
    if (lathe_model_load(ctx, args->path, &model, &err) != LATHE_OK) {
        status = cli_fail("%s", err.message);
    } else {
        char *text = lathe_model_describe_json(model);
        json_t *root = text ? json_loads(text, 0, NULL) : NULL;
        json_t *importance = root ? importance_json(model) : NULL;
        if (importance)
            json_object_set_new(root, "importance", importance);
        if (!root)
            status = cli_fail("%s: cannot describe the model", args->path);
        else if (args->json)
            status = cli_print_json(json_incref(root)) ? CLI_OK : cli_fail("cannot print JSON");
        else {
            print_human(args->path, root);
            status = CLI_OK;
        }
        json_decref(root);
        free(text);
    }
    lathe_model_free(model);
    lathe_ctx_free(ctx);
    return status;
}

static int run(int argc, char **argv)
{
    inspect_args args = {0};
    cli_option_group group = {inspect_options, 1, &args};
    size_t n;
    int status = cli_parse_options(NAME, argc, argv, &group, 1, &args.path, 1, &n);
    if (status == CLI_OK && !args.path)
        status = cli_usage(NAME, "needs MODEL");
    return status == CLI_OK ? inspect(&args) : status;
}

const cli_command cli_inspect_command = {NAME, "show what a saved model is and where it came from",
                                         run, help};
