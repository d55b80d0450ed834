/*
 * forest_bench.c: times Lathe's tree families through the public API, for
 * bench/forest.sh.
 *
 * usage: lathe_forest_bench TRAIN.csv TEST.csv TARGET [--model NAME]
 *                           [--threads N] [--runs R] [NAME=VALUE ...]
 *
 * Reads both files (the test file with the trained model's column kinds),
 * trains R times on every training row (lathe_train: the default pipeline,
 * then the family's fit) and predicts the test rows R times, and prints one
 * JSON line: the median estimator fit seconds (the lineage's fit_seconds,
 * pipeline excluded), the median whole-train seconds (wall and CPU, the
 * latter steady on a busy machine), the median predict
 * seconds (pipeline transform included, as `lathe predict` runs it), and
 * the test metrics. Reading is not timed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lathe/lathe.h"

#define MAX_RUNS 25
#define MAX_PARAMS 32

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *message)
{
    fprintf(stderr, "lathe_forest_bench: %s: %s\n", what, message);
    exit(1);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int n)
{
    qsort(values, (size_t)n, sizeof *values, by_value);
    return values[n / 2];
}

static double fit_seconds_of(const lathe_model *model)
{
    char *text = lathe_model_describe_json(model);
    json_t *root = text ? json_loads(text, 0, NULL) : NULL;
    double seconds =
        json_real_value(json_object_get(json_object_get(root, "lineage"), "fit_seconds"));
    json_decref(root);
    free(text);
    return seconds;
}

typedef struct args {
    const char *train, *test, *target, *model;
    int threads, runs;
    const char *params[MAX_PARAMS];
    size_t n_params;
} args;

static args parse(int argc, char **argv)
{
    if (argc < 4)
        die("usage", "lathe_forest_bench TRAIN.csv TEST.csv TARGET [--model NAME] [--threads N] "
                     "[--runs R] [NAME=VALUE ...]");
    args a = {argv[1], argv[2], argv[3], "forest", 1, 3, {0}, 0};
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            a.model = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            a.threads = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            a.runs = (int)strtol(argv[++i], NULL, 10);
        else if (a.n_params < MAX_PARAMS)
            a.params[a.n_params++] = argv[i];
    }
    if (a.runs < 1 || a.runs > MAX_RUNS)
        a.runs = 3;
    return a;
}

static void print_metrics(const lathe_metrics_report *report)
{
    for (size_t i = 0; i < report->n_values; i++) {
        const char *name = report->values[i].name;
        if (!strcmp(name, "accuracy") || !strcmp(name, "roc_auc") || !strcmp(name, "rmse") ||
            !strcmp(name, "log_loss") || !strcmp(name, "r2"))
            printf(", \"%s\": %.6f", name, report->values[i].value);
    }
}

int main(int argc, char **argv)
{
    args a = parse(argc, argv);
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_ctx_set_threads(ctx, a.threads);
    lathe_error err;
    lathe_frame *train, *test;
    if (lathe_read(ctx, a.train, NULL, &train, &err) != LATHE_OK)
        die(a.train, err.message);
    lathe_train_options options;
    lathe_train_options_init(&options);
    options.target = a.target;
    options.model = a.model;
    options.params = a.params;
    options.n_params = a.n_params;
    options.holdout = 0;
    double fit[MAX_RUNS], whole[MAX_RUNS], cpu[MAX_RUNS], predict[MAX_RUNS];
    lathe_model *model = NULL;
    for (int r = 0; r < a.runs; r++) {
        lathe_model_free(model);
        double start = now(), start_cpu = cpu_now();
        if (lathe_train(ctx, train, &options, &model, &err) != LATHE_OK)
            die("train", err.message);
        whole[r] = now() - start;
        cpu[r] = cpu_now() - start_cpu;
        fit[r] = fit_seconds_of(model);
    }
    lathe_read_options read_options;
    lathe_read_options_init(&read_options);
    read_options.columns = lathe_model_columns(model, &read_options.n_columns);
    if (lathe_read(ctx, a.test, &read_options, &test, &err) != LATHE_OK)
        die(a.test, err.message);
    size_t n_rows = lathe_frame_n_rows(test), n_classes = lathe_model_n_classes(model);
    double *out = calloc(n_rows * (n_classes ? n_classes : 1), sizeof *out);
    int32_t *labels = calloc(n_rows, sizeof *labels);
    for (int r = 0; r < a.runs; r++) {
        double start = now();
        if (lathe_model_predict(model, test, out, labels, &err) != LATHE_OK)
            die("predict", err.message);
        predict[r] = now() - start;
    }
    lathe_metrics_report report;
    if (lathe_model_evaluate(model, test, &report, &err) != LATHE_OK)
        die("evaluate", err.message);
    printf("{\"model\": \"%s\", \"threads\": %d, \"train_rows\": %zu, \"test_rows\": %zu, "
           "\"fit_seconds\": %.4f, \"train_seconds\": %.4f, \"train_cpu_seconds\": %.4f, "
           "\"predict_seconds\": %.5f",
           a.model, a.threads, lathe_frame_n_rows(train), n_rows, median(fit, a.runs),
           median(whole, a.runs), median(cpu, a.runs), median(predict, a.runs));
    print_metrics(&report);
    printf("}\n");
    free(out);
    free(labels);
    lathe_model_free(model);
    lathe_frame_free(train);
    lathe_frame_free(test);
    lathe_ctx_free(ctx);
    return 0;
}
