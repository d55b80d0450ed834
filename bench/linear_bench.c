/*
 * linear_bench.c: times Lathe's logistic regression fit, for bench/linear.sh.
 *
 * usage: lathe_linear_bench TRAIN.csv TEST.csv TARGET [--threads N] [--runs R]
 *                           [--bias-feature] [--verbose] [NAME=VALUE ...]
 *
 * Loads both files with lathe_read, takes TARGET as the class (a categorical
 * column by label, or a numeric/boolean one by value; the classes are those
 * of the training file, sorted), every other column as a numeric feature,
 * and standardizes the features with the training rows' mean and standard
 * deviation (inline here; the real pipeline lives in src/prep). Fits
 * `logistic` (C=1, L2 unless parameters say otherwise) R times and prints one
 * JSON line: the median fit seconds, the test log loss (probabilities clipped
 * to [1e-15, 1 - 1e-15] as scikit-learn does) and accuracy, and the solver's
 * iterations. Loading and standardizing are not timed. --bias-feature
 * replaces the intercept with a constant feature of 1 that is regularized
 * like the others: liblinear's objective under -B 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lathe/lathe.h"
#include "model/linear.h"
#include "model/model.h"

#define MAX_CLASSES 1000
#define MAX_RUNS 25

typedef struct dataset {
    lathe__matrix x;
    double *y;
} dataset;

typedef struct classes {
    size_t n;
    char *names[MAX_CLASSES];   /* categorical targets */
    double values[MAX_CLASSES]; /* numeric and boolean targets */
    bool categorical;
} classes;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *message)
{
    fprintf(stderr, "lathe_linear_bench: %s: %s\n", what, message);
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

/* The distinct target labels of the training frame, sorted. */
static void collect_classes(const lathe_frame *frame, size_t column, classes *out)
{
    memset(out, 0, sizeof *out);
    out->categorical = lathe_frame_column_kind(frame, column) == LATHE_KIND_CATEGORICAL;
    size_t n_rows = lathe_frame_n_rows(frame);
    for (size_t row = 0; row < n_rows; row++) {
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
    if (lathe_frame_column_kind(frame, column) == LATHE_KIND_CATEGORICAL) {
        const char *name =
            lathe_frame_category_name(frame, column, lathe_frame_category(frame, column, row));
        for (size_t k = 0; c->categorical && k < c->n; k++)
            if (strcmp(c->names[k], name) == 0)
                return (double)k;
    } else {
        double value = target_value(frame, column, row);
        for (size_t k = 0; !c->categorical && k < c->n; k++)
            if (c->values[k] == value)
                return (double)k;
    }
    die("target", "a test row has a class the training rows do not");
    return 0;
}

/* Features: the training frame's other columns, found by name in `frame`. */
static void build(const lathe_frame *train, const lathe_frame *frame, const char *target,
                  const classes *c, dataset *out)
{
    size_t n_rows = lathe_frame_n_rows(frame), n_columns = lathe_frame_n_columns(train);
    size_t target_column, d = n_columns - 1;
    if (!lathe_frame_find(frame, target, &target_column))
        die(target, "no such column");
    out->x = (lathe__matrix){.n_rows = n_rows, .n_cols = d};
    out->x.dense = calloc(n_rows * d + 1, sizeof(double));
    out->y = calloc(n_rows + 1, sizeof(double));
    double *values = calloc(n_rows + 1, sizeof(double));
    for (size_t column = 0, feature = 0; column < n_columns; column++) {
        const char *name = lathe_frame_column_name(train, column);
        size_t at;
        if (strcmp(name, target) == 0)
            continue;
        if (!lathe_frame_find(frame, name, &at) ||
            lathe_frame_column_kind(frame, at) != LATHE_KIND_NUMERIC)
            die(name, "every feature must be a numeric column present in both files");
        if (lathe_frame_column_missing(frame, at))
            die(name, "missing values (this benchmark expects complete data)");
        lathe_frame_numeric_gather(frame, at, values);
        for (size_t row = 0; row < n_rows; row++)
            out->x.dense[row * d + feature] = values[row];
        feature++;
    }
    for (size_t row = 0; row < n_rows; row++)
        out->y[row] = class_of(c, frame, target_column, row);
    free(values);
}

/* Standardizes both sets with the training set's column mean and (population) std. */
static void standardize(dataset *train, dataset *test)
{
    size_t d = train->x.n_cols, n = train->x.n_rows;
    for (size_t j = 0; j < d; j++) {
        double mean = 0.0, variance = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += train->x.dense[i * d + j];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double centered = train->x.dense[i * d + j] - mean;
            variance += centered * centered;
        }
        double scale = variance > 0.0 ? sqrt(variance / (double)n) : 1.0;
        for (size_t i = 0; i < n; i++)
            train->x.dense[i * d + j] = (train->x.dense[i * d + j] - mean) / scale;
        for (size_t i = 0; i < test->x.n_rows; i++)
            test->x.dense[i * d + j] = (test->x.dense[i * d + j] - mean) / scale;
    }
}

/* Appends a constant 1 feature (liblinear's -B 1: an intercept that is regularized). */
static void add_bias_feature(dataset *set)
{
    size_t n = set->x.n_rows, d = set->x.n_cols;
    double *wider = calloc(n * (d + 1) + 1, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        memcpy(wider + i * (d + 1), set->x.dense + i * d, d * sizeof(double));
        wider[i * (d + 1) + d] = 1.0;
    }
    free(set->x.dense);
    set->x.dense = wider;
    set->x.n_cols = d + 1;
}

static lathe_frame *load(lathe_ctx *ctx, const char *path)
{
    lathe_frame *frame;
    lathe_error err;
    if (lathe_read(ctx, path, NULL, &frame, &err) != LATHE_OK)
        die(path, err.message);
    return frame;
}

static void score(const void *model, const dataset *test, size_t n_classes, double *log_loss,
                  double *accuracy)
{
    size_t n = test->x.n_rows;
    double *p = malloc((n * n_classes + 1) * sizeof(double));
    lathe__logistic_ops.predict(model, &test->x, p);
    double loss = 0.0;
    size_t right = 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = p + i * n_classes;
        size_t truth = (size_t)test->y[i], best = 0;
        for (size_t k = 1; k < n_classes; k++)
            if (row[k] > row[best])
                best = k;
        right += best == truth;
        loss -= log(fmin(fmax(row[truth], 1e-15), 1.0 - 1e-15));
    }
    *log_loss = loss / (double)n;
    *accuracy = (double)right / (double)n;
    free(p);
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
        fprintf(stderr, "usage: lathe_linear_bench TRAIN.csv TEST.csv TARGET [--threads N] "
                        "[--runs R] [NAME=VALUE ...]\n");
        return 2;
    }
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    const lathe__model_ops *ops = &lathe__logistic_ops;
    lathe__param_values params;
    if (lathe__params_init(ctx, ops->params, ops->n_params, &params, &err) != LATHE_OK)
        die("params", err.message);
    int runs = 3;
    bool bias_feature = false;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            lathe_ctx_set_threads(ctx, (int)strtol(argv[++i], NULL, 10));
        else if (strcmp(argv[i], "--bias-feature") == 0)
            bias_feature = true;
        else if (strcmp(argv[i], "--verbose") == 0)
            lathe_ctx_set_log(ctx, print_log, NULL);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = (int)strtol(argv[++i], NULL, 10);
        else if (lathe__params_set(ctx, &params, argv[i], &err) != LATHE_OK)
            die(argv[i], err.message);
    }
    if (runs < 1 || runs > MAX_RUNS)
        runs = 3;
    lathe_frame *train_frame = load(ctx, argv[1]), *test_frame = load(ctx, argv[2]);
    size_t target_column;
    if (!lathe_frame_find(train_frame, argv[3], &target_column))
        die(argv[3], "no such column in the training file");
    classes c;
    collect_classes(train_frame, target_column, &c);
    dataset train, test;
    build(train_frame, train_frame, argv[3], &c, &train);
    build(train_frame, test_frame, argv[3], &c, &test);
    lathe_frame_free(train_frame);
    lathe_frame_free(test_frame);
    standardize(&train, &test);
    if (bias_feature) {
        add_bias_feature(&train);
        add_bias_feature(&test);
        if (lathe__params_set(ctx, &params, "fit_intercept=false", &err) != LATHE_OK)
            die("params", err.message);
    }
    lathe__train_data data = {
        .x = &train.x, .y = train.y, .task = LATHE__TASK_CLASSIFICATION, .n_classes = c.n};
    double seconds[MAX_RUNS] = {0};
    void *model = NULL;
    for (int r = 0; r < runs; r++) {
        ops->free(ctx, model);
        double start = now();
        if (ops->fit(ctx, &data, &params, &model, &err) != LATHE_OK)
            die("fit", err.message);
        seconds[r] = now() - start;
    }
    qsort(seconds, (size_t)runs, sizeof seconds[0], by_value);
    double log_loss, accuracy;
    score(model, &test, c.n, &log_loss, &accuracy);
    const lathe__linear_model *m = model;
    printf("{\"fit_seconds\": %.4f, \"log_loss\": %.6f, \"accuracy\": %.6f, \"n_train\": %zu, "
           "\"n_test\": %zu, \"n_features\": %zu, \"n_classes\": %zu, \"iterations\": %zu, "
           "\"converged\": %s, \"threads\": %d}\n",
           seconds[runs / 2], log_loss, accuracy, train.x.n_rows, test.x.n_rows, train.x.n_cols,
           c.n, m->n_iterations, m->converged ? "true" : "false", lathe_ctx_threads(ctx));
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
