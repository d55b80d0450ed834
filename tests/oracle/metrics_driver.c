/*
 * metrics_driver.c: runs the cases test_metrics_sklearn.py writes through
 * Lathe's public metrics and split APIs, one output line per case.
 *
 * Input: a text file of cases, each one header line then one line per array,
 * where "-" stands for an absent (NULL) array:
 *
 *   classification N_ROWS N_CLASSES      regression N_ROWS
 *   y_true (ints)                        y_true (doubles)
 *   y_pred (ints) | -                    y_pred (doubles)
 *   y_proba (N_ROWS*N_CLASSES) | -       weights | -
 *   weights | -
 *
 *   kfold KIND N_ROWS N_FOLDS SEED       (KIND: random, stratified, group, time)
 *   keys (ints: classes, group ids or times) | -
 *
 * Output, per case: "name=value" for every metric of the report (%.17g,
 * "nan" when undefined), then for classification "confusion=" and
 * "per_class=" lists (precision,recall,f1,support per class, ';' between
 * classes); for kfold "test_fold=" the fold testing each row (-1 for none);
 * or "error=MESSAGE" when Lathe refuses the case.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lathe/core.h"
#include "lathe/metrics.h"
#include "lathe/split.h"

typedef struct reader {
    FILE *file;
    char *line;
    size_t capacity;
} reader;

static void die(const char *what)
{
    fprintf(stderr, "metrics_driver: %s\n", what);
    exit(2);
}

/* The next line, without its newline; NULL at end of file. */
static char *next_line(reader *in)
{
    ssize_t length = getline(&in->line, &in->capacity, in->file);
    if (length < 0)
        return NULL;
    if (length > 0 && in->line[length - 1] == '\n')
        in->line[length - 1] = '\0';
    return in->line;
}

/* Parses exactly `count` numbers from a line into a new array; NULL for "-". */
static double *read_numbers(reader *in, size_t count)
{
    char *line = next_line(in);
    if (!line)
        die("unexpected end of input");
    if (strcmp(line, "-") == 0)
        return NULL;
    double *values = malloc((count ? count : 1) * sizeof *values);
    char *at = line;
    for (size_t i = 0; i < count; i++) {
        char *end;
        errno = 0;
        values[i] = strtod(at, &end);
        if (end == at || errno == ERANGE)
            die("bad number");
        at = end;
    }
    return values;
}

static int32_t *read_classes(reader *in, size_t count)
{
    double *values = read_numbers(in, count);
    if (!values)
        return NULL;
    int32_t *classes = malloc((count ? count : 1) * sizeof *classes);
    for (size_t i = 0; i < count; i++)
        classes[i] = (int32_t)values[i];
    free(values);
    return classes;
}

static void print_report(const lathe_metrics_report *report)
{
    for (size_t i = 0; i < report->n_values; i++) {
        const lathe_metric_value *value = &report->values[i];
        if (isnan(value->value) != (value->undefined != NULL))
            die("a value is NaN exactly when it says why it is undefined");
        printf("%s%s=%.17g", i ? " " : "", value->name, value->value);
    }
}

static void print_details(lathe_ctx *ctx, const lathe_classification_data *data)
{
    size_t n = data->n_classes;
    double *matrix = malloc(n * n * sizeof *matrix);
    lathe_class_scores *scores = malloc(n * sizeof *scores);
    lathe_error err;
    if (lathe_metrics_confusion(ctx, data, matrix, &err) != LATHE_OK ||
        lathe_metrics_per_class(ctx, data, scores, &err) != LATHE_OK)
        die(err.message);
    printf(" confusion=");
    for (size_t i = 0; i < n * n; i++)
        printf("%s%.17g", i ? "," : "", matrix[i]);
    printf(" per_class=");
    for (size_t k = 0; k < n; k++)
        printf("%s%.17g,%.17g,%.17g,%.17g", k ? ";" : "", scores[k].precision, scores[k].recall,
               scores[k].f1, scores[k].support);
    free(matrix);
    free(scores);
}

static void classification_case(lathe_ctx *ctx, reader *in, size_t n_rows, size_t n_classes)
{
    lathe_classification_data data = {.n_rows = n_rows, .n_classes = n_classes};
    int32_t *y_true = read_classes(in, n_rows), *y_pred = read_classes(in, n_rows);
    double *y_proba = read_numbers(in, n_rows * n_classes), *weights = read_numbers(in, n_rows);
    data.y_true = y_true;
    data.y_pred = y_pred;
    data.y_proba = y_proba;
    data.weights = weights;
    lathe_metrics_report report;
    lathe_error err;
    if (lathe_metrics_report_classification(ctx, &data, &report, &err) != LATHE_OK) {
        printf("error=%s\n", err.message);
    } else {
        print_report(&report);
        print_details(ctx, &data);
        printf("\n");
    }
    free(y_true);
    free(y_pred);
    free(y_proba);
    free(weights);
}

static void regression_case(lathe_ctx *ctx, reader *in, size_t n_rows)
{
    double *y_true = read_numbers(in, n_rows), *y_pred = read_numbers(in, n_rows);
    double *weights = read_numbers(in, n_rows);
    lathe_regression_data data = {n_rows, y_true, y_pred, weights};
    lathe_metrics_report report;
    lathe_error err;
    if (lathe_metrics_report_regression(ctx, &data, &report, &err) != LATHE_OK) {
        printf("error=%s\n", err.message);
    } else {
        print_report(&report);
        printf("\n");
    }
    free(y_true);
    free(y_pred);
    free(weights);
}

static void print_test_folds(const lathe_split *split, size_t n_rows)
{
    long *test_fold = malloc(n_rows * sizeof *test_fold);
    size_t *rows = malloc(n_rows * sizeof *rows);
    for (size_t r = 0; r < n_rows; r++)
        test_fold[r] = -1;
    for (size_t f = 0; f < lathe_split_n_folds(split); f++) {
        size_t n_train, n_test;
        lathe_split_fold_sizes(split, f, &n_train, &n_test);
        lathe_split_fold_rows(split, f, NULL, rows);
        for (size_t i = 0; i < n_test; i++)
            test_fold[rows[i]] = (long)f;
    }
    printf("test_fold=");
    for (size_t r = 0; r < n_rows; r++)
        printf("%s%ld", r ? "," : "", test_fold[r]);
    printf("\n");
    free(test_fold);
    free(rows);
}

static void kfold_case(lathe_ctx *ctx, reader *in, const char *kind_name, size_t n_rows,
                       size_t n_folds, uint64_t seed)
{
    lathe_split_kind kind;
    if (!lathe_split_kind_parse(kind_name, &kind))
        die("bad split kind");
    double *values = read_numbers(in, n_rows);
    int32_t *codes = malloc(n_rows * sizeof *codes);
    int64_t *times = malloc(n_rows * sizeof *times);
    for (size_t r = 0; values && r < n_rows; r++) {
        codes[r] = (int32_t)values[r];
        times[r] = (int64_t)values[r];
    }
    lathe_split_keys keys = {n_rows, codes, codes, times, NULL};
    lathe_split *split;
    lathe_error err;
    if (lathe_split_kfold(ctx, &keys, kind, n_folds, seed, &split, &err) != LATHE_OK) {
        printf("error=%s\n", err.message);
    } else {
        print_test_folds(split, n_rows);
        lathe_split_free(split);
    }
    free(values);
    free(codes);
    free(times);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        die("usage: metrics_driver CASES_FILE");
    reader in = {fopen(argv[1], "r"), NULL, 0};
    if (!in.file)
        die("cannot open the cases file");
    lathe_ctx *ctx = lathe_ctx_new();
    char *line;
    while ((line = next_line(&in)) != NULL) {
        unsigned long n_rows, n_classes, n_folds, seed;
        char kind[16];
        if (sscanf(line, "classification %lu %lu", &n_rows, &n_classes) == 2)
            classification_case(ctx, &in, n_rows, n_classes);
        else if (sscanf(line, "kfold %15s %lu %lu %lu", kind, &n_rows, &n_folds, &seed) == 4)
            kfold_case(ctx, &in, kind, n_rows, n_folds, seed);
        else if (sscanf(line, "regression %lu", &n_rows) == 1)
            regression_case(ctx, &in, n_rows);
        else
            die("bad case header");
    }
    lathe_ctx_free(ctx);
    free(in.line);
    fclose(in.file);
    return 0;
}
