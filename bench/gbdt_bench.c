/*
 * gbdt_bench.c: times Lathe's gradient boosting, for bench/gbdt.sh.
 *
 * usage: lathe_gbdt_bench TRAIN.csv TEST.csv TARGET [--threads N] [--runs R] [--seed S]
 *                         [--verbose] [--fit-only] [NAME=VALUE ...]
 *
 * Loads both files with lathe_read, takes TARGET as the class (a categorical
 * column by label, or a numeric/boolean one by value; the classes are those
 * of the training file, sorted) and every other column as a numeric
 * feature, frees the frames, then fits `gbdt` R times with the given
 * parameters and prints one JSON line:
 *   fit_seconds        median fit (binning included, loading not)
 *   predict_rows_per_s batch prediction of the test rows through the
 *                      family's predict (one thread) and through
 *                      lathe__ensemble_predict_parallel (N threads), each
 *                      the median of PREDICT_PASSES passes
 *   row_microseconds   one row at a time through lathe__ensemble_predict_row
 *                      (the serving path: no allocation), mean over the
 *                      test rows, for the whole model and for its first
 *                      100 trees
 *   accuracy, roc_auc, log_loss on the test rows (lathe_metrics, as
 *                      scikit-learn computes them)
 *   fit_peak_mb        peak resident memory from just before the first fit
 *                      (VmHWM reset through /proc/self/clear_refs): the data
 *                      held plus what fitting adds
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lathe/lathe.h"
#include "lathe/metrics.h"
#include "model/gbdt.h"
#include "model/model.h"

#define MAX_CLASSES 1000
#define MAX_RUNS 25
#define PREDICT_PASSES 5

typedef struct dataset {
    lathe__matrix x;
    double *y;
} dataset;

typedef struct classes {
    size_t n;
    char *names[MAX_CLASSES];
    double values[MAX_CLASSES];
    bool categorical;
} classes;

static double clock_seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

_Noreturn static void die(const char *what, const char *message)
{
    fprintf(stderr, "lathe_gbdt_bench: %s: %s\n", what, message);
    exit(1);
}

static double target_value(const lathe_frame *frame, size_t column, size_t row)
{
    if (lathe_frame_column_kind(frame, column) == LATHE_KIND_BOOLEAN)
        return lathe_frame_boolean(frame, column, row) ? 1.0 : 0.0;
    return lathe_frame_numeric(frame, column, row);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect_classes(const lathe_frame *frame, size_t column, classes *out)
{
    memset(out, 0, sizeof *out);
    out->categorical = lathe_frame_column_kind(frame, column) == LATHE_KIND_CATEGORICAL;
    for (size_t row = 0; row < lathe_frame_n_rows(frame); row++) {
        if (lathe_frame_is_missing(frame, column, row))
            die("target", "missing target values");
        size_t k = 0;
        if (out->categorical) {
            const char *name =
                lathe_frame_category_name(frame, column, lathe_frame_category(frame, column, row));
            while (k < out->n && strcmp(out->names[k], name) != 0)
                k++;
            if (k == out->n)
                out->names[out->n++] = strdup(name);
        } else {
            double value = target_value(frame, column, row);
            while (k < out->n && out->values[k] != value)
                k++;
            if (k == out->n)
                out->values[out->n++] = value;
        }
        if (out->n == MAX_CLASSES)
            die("target", "too many classes");
    }
    if (out->categorical)
        qsort(out->names, out->n, sizeof out->names[0], by_name);
    else
        qsort(out->values, out->n, sizeof out->values[0], by_value);
}

static double class_of(const classes *c, const lathe_frame *frame, size_t column, size_t row)
{
    if (c->categorical) {
        const char *name =
            lathe_frame_category_name(frame, column, lathe_frame_category(frame, column, row));
        for (size_t k = 0; k < c->n; k++)
            if (strcmp(c->names[k], name) == 0)
                return (double)k;
    } else {
        double value = target_value(frame, column, row);
        for (size_t k = 0; k < c->n; k++)
            if (c->values[k] == value)
                return (double)k;
    }
    die("target", "a test row has a class the training rows do not");
    return 0;
}

/* The training file's feature names: every column but the target. */
static char **feature_names(const lathe_frame *train, const char *target, size_t *n)
{
    size_t n_columns = lathe_frame_n_columns(train);
    char **names = calloc(n_columns + 1, sizeof *names);
    *n = 0;
    for (size_t column = 0; column < n_columns; column++)
        if (strcmp(lathe_frame_column_name(train, column), target) != 0)
            names[(*n)++] = strdup(lathe_frame_column_name(train, column));
    return names;
}

/* Features `names`, found by name in `frame` (NaN when missing), and the classes. */
static void build(char *const *names, size_t d, const lathe_frame *frame, const char *target,
                  const classes *c, dataset *out)
{
    size_t n_rows = lathe_frame_n_rows(frame), target_column;
    if (!lathe_frame_find(frame, target, &target_column))
        die(target, "no such column");
    out->x = (lathe__matrix){.n_rows = n_rows, .n_cols = d, .borrowed = true};
    out->x.dense = malloc((n_rows * d + 1) * sizeof(double));
    out->y = malloc((n_rows + 1) * sizeof(double));
    double *values = malloc((n_rows + 1) * sizeof(double));
    for (size_t feature = 0; feature < d; feature++) {
        size_t at;
        if (!lathe_frame_find(frame, names[feature], &at) ||
            lathe_frame_column_kind(frame, at) != LATHE_KIND_NUMERIC)
            die(names[feature], "every feature must be a numeric column present in both files");
        lathe_frame_numeric_gather(frame, at, values);
        for (size_t row = 0; row < n_rows; row++)
            out->x.dense[row * d + feature] =
                lathe_frame_is_missing(frame, at, row) ? NAN : values[row];
    }
    for (size_t row = 0; row < n_rows; row++)
        out->y[row] = class_of(c, frame, target_column, row);
    free(values);
}

static lathe_frame *load(lathe_ctx *ctx, const char *path)
{
    lathe_frame *frame;
    lathe_error err;
    if (lathe_read(ctx, path, NULL, &frame, &err) != LATHE_OK)
        die(path, err.message);
    return frame;
}

static double metric(lathe_ctx *ctx, const dataset *test, const double *p, size_t n_classes,
                     lathe_metric which)
{
    size_t n = test->x.n_rows;
    int32_t *truth = malloc((n + 1) * sizeof *truth);
    for (size_t i = 0; i < n; i++)
        truth[i] = (int32_t)test->y[i];
    lathe_classification_data data = {
        .n_rows = n, .n_classes = n_classes, .y_true = truth, .y_proba = p};
    lathe_metric_value value;
    lathe_error err;
    if (lathe_metrics_classification(ctx, &data, which, &value, &err) != LATHE_OK)
        die("metric", err.message);
    free(truth);
    return value.value;
}

/* Mean microseconds per row through the single-row path, over the test rows. */
static double row_latency(const lathe__ensemble *ensemble, const dataset *test)
{
    double raw[MAX_CLASSES], out[MAX_CLASSES], sink = 0.0;
    size_t n = test->x.n_rows, d = test->x.n_cols;
    double start = now();
    for (size_t i = 0; i < n; i++) {
        lathe__ensemble_predict_row(ensemble, test->x.dense + i * d, raw, out);
        sink += out[0];
    }
    double seconds = now() - start;
    if (sink == -1.0)
        fprintf(stderr, "unlikely\n");
    return seconds / (double)n * 1e6;
}

/* The process's peak resident memory so far (VmHWM), in MB. */
static double peak_mb(void)
{
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtod(line + 6, NULL);
    if (status)
        fclose(status);
    return kb / 1024;
}

/* Starts VmHWM again from the current resident size (Linux 4.0 and later). */
static void reset_peak(void)
{
    FILE *refs = fopen("/proc/self/clear_refs", "w");
    if (refs) {
        fputs("5", refs);
        fclose(refs);
    }
}

static void print_log(void *user, lathe_log_level level, const char *message)
{
    (void)user;
    (void)level;
    fprintf(stderr, "%s\n", message);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: lathe_gbdt_bench TRAIN.csv TEST.csv TARGET [--threads N] "
                        "[--runs R] [--seed S] [--verbose] [NAME=VALUE ...]\n");
        return 2;
    }
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    const lathe__model_ops *ops = &lathe__gbdt_ops;
    lathe__param_values params;
    if (lathe__params_init(ctx, ops->params, ops->n_params, &params, &err) != LATHE_OK)
        die("params", err.message);
    int runs = 3;
    bool fit_only = false;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            lathe_ctx_set_threads(ctx, (int)strtol(argv[++i], NULL, 10));
        else if (strcmp(argv[i], "--verbose") == 0)
            lathe_ctx_set_log(ctx, print_log, NULL);
        else if (strcmp(argv[i], "--fit-only") == 0)
            fit_only = true;
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            lathe_ctx_set_seed(ctx, strtoull(argv[++i], NULL, 10));
        else if (lathe__params_set(ctx, &params, argv[i], &err) != LATHE_OK)
            die(argv[i], err.message);
    }
    if (runs < 1 || runs > MAX_RUNS)
        runs = 3;
    /* one frame at a time, freed once copied: the process holds the frame and its matrix
       only while converting */
    lathe_frame *frame = load(ctx, argv[1]);
    size_t target_column, d;
    if (!lathe_frame_find(frame, argv[3], &target_column))
        die(argv[3], "no such column in the training file");
    classes c;
    collect_classes(frame, target_column, &c);
    char **names = feature_names(frame, argv[3], &d);
    dataset train, test;
    build(names, d, frame, argv[3], &c, &train);
    lathe_frame_free(frame);
    frame = load(ctx, argv[2]);
    build(names, d, frame, argv[3], &c, &test);
    lathe_frame_free(frame);
    for (size_t i = 0; i < d; i++)
        free(names[i]);
    free(names);
    lathe__train_data data = {
        .x = &train.x, .y = train.y, .task = LATHE__TASK_CLASSIFICATION, .n_classes = c.n};
    double seconds[MAX_RUNS] = {0}, cpu[MAX_RUNS] = {0};
    void *model = NULL;
    reset_peak();
    for (int r = 0; r < runs; r++) {
        ops->free(ctx, model);
        model = NULL;
        double start = now(), cpu_start = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        if (ops->fit(ctx, &data, &params, &model, &err) != LATHE_OK)
            die("fit", err.message);
        seconds[r] = now() - start;
        cpu[r] = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    }
    double fit_peak = peak_mb();
    qsort(seconds, (size_t)runs, sizeof seconds[0], by_value);
    qsort(cpu, (size_t)runs, sizeof cpu[0], by_value);
    if (fit_only) {
        printf("{\"fit_seconds\": %.4f, \"fit_cpu_seconds\": %.4f, \"fit_peak_mb\": %.1f}\n",
               seconds[runs / 2], cpu[runs / 2], fit_peak);
        return 0;
    }
    const lathe__gbdt_model *m = model;
    size_t n = test.x.n_rows;
    double *p = malloc((n * c.n + 1) * sizeof(double));
    /* Batch prediction: the median of PREDICT_PASSES passes each way. */
    double one_pass[PREDICT_PASSES], parallel_pass[PREDICT_PASSES];
    for (int k = 0; k < PREDICT_PASSES; k++) {
        double start = now();
        ops->predict(model, &test.x, p);
        one_pass[k] = now() - start;
        start = now();
        lathe__ensemble_predict_parallel(ctx, &m->ensemble, &test.x, p);
        parallel_pass[k] = now() - start;
    }
    qsort(one_pass, PREDICT_PASSES, sizeof one_pass[0], by_value);
    qsort(parallel_pass, PREDICT_PASSES, sizeof parallel_pass[0], by_value);
    double one_thread = one_pass[PREDICT_PASSES / 2], threads = parallel_pass[PREDICT_PASSES / 2];
    lathe__ensemble head = m->ensemble; /* the first 100 trees, with a layout of their own */
    if (head.n_trees > 100)
        head.n_trees = 100;
    head.packed = NULL;
    if (lathe__ensemble_prepare(ctx, &head, &err) != LATHE_OK)
        die("prepare", err.message);
    printf(
        "{\"fit_seconds\": %.4f, \"fit_cpu_seconds\": %.4f, \"predict_rows_per_s_1thread\": %.0f, "
        "\"predict_rows_per_s\": %.0f, \"row_microseconds\": %.3f, "
        "\"row_microseconds_100_trees\": %.3f, \"accuracy\": %.6f, \"roc_auc\": %.6f, "
        "\"log_loss\": %.6f, \"fit_peak_mb\": %.1f, \"n_train\": %zu, \"n_test\": %zu, "
        "\"n_features\": %zu, "
        "\"n_classes\": %zu, \"n_trees\": %zu, \"threads\": %d}\n",
        seconds[runs / 2], cpu[runs / 2], (double)n / one_thread, (double)n / threads,
        row_latency(&m->ensemble, &test), row_latency(&head, &test),
        metric(ctx, &test, p, c.n, LATHE_METRIC_ACCURACY),
        metric(ctx, &test, p, c.n, LATHE_METRIC_ROC_AUC),
        metric(ctx, &test, p, c.n, LATHE_METRIC_LOG_LOSS), fit_peak, train.x.n_rows, n,
        train.x.n_cols, c.n, m->ensemble.n_trees, lathe_ctx_threads(ctx));
    free(p);
    lathe__ensemble_unprepare(ctx, &head);
    ops->free(ctx, model);
    lathe__params_release(ctx, &params);
    for (size_t k = 0; c.categorical && k < c.n; k++)
        free(c.names[k]);
    free(train.x.dense);
    free(train.y);
    free(test.x.dense);
    free(test.y);
    lathe_ctx_free(ctx);
    return 0;
}
