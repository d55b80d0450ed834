/*
 * linear_driver.c: fits one linear family on a CSV and prints the fitted
 * weights and predictions as JSON, for test_linear_sklearn.py to compare
 * with scikit-learn.
 *
 * usage: linear_driver FAMILY TRAIN.csv [--classes K] [--sparse] [--threads N]
 *                      [--verbose] [--test TEST.csv] [NAME=VALUE ...]
 *
 * The CSV's column "y" is the target (class indices 0..K-1 with --classes,
 * values without), an optional column "w" the sample weights, and every
 * other column a numeric feature. --sparse fits on the CSR copy. Predictions
 * are for TEST.csv's rows, or the training rows without --test. --verbose
 * prints the library's log lines to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lathe/lathe.h"
#include "model/linear.h"
#include "model/model.h"

typedef struct table {
    lathe__matrix x;
    double *y;
    double *weights;
} table;

static int fail(const char *what, const lathe_error *err)
{
    fprintf(stderr, "linear_driver: %s: %s\n", what, err ? err->message : "");
    return 1;
}

/* Features are every column but "y" and "w", in file order. */
static int load_table(lathe_ctx *ctx, const char *path, table *out)
{
    lathe_frame *frame;
    lathe_error err;
    if (lathe_read(ctx, path, NULL, &frame, &err) != LATHE_OK)
        return fail(path, &err);
    size_t n = lathe_frame_n_rows(frame), columns = lathe_frame_n_columns(frame);
    size_t y_column = columns, w_column = columns, d = 0;
    lathe_frame_find(frame, "y", &y_column);
    lathe_frame_find(frame, "w", &w_column);
    if (y_column == columns)
        return fail(path, NULL);
    d = columns - 1 - (w_column < columns);
    memset(out, 0, sizeof *out);
    out->x.n_rows = n;
    out->x.n_cols = d;
    out->x.dense = calloc(n * d + 1, sizeof(double));
    out->y = calloc(n + 1, sizeof(double));
    double *column = calloc(n + 1, sizeof(double));
    if (w_column < columns)
        out->weights = calloc(n + 1, sizeof(double));
    for (size_t c = 0, feature = 0; c < columns; c++) {
        lathe_frame_numeric_gather(frame, c, column);
        if (c == y_column || c == w_column) {
            memcpy(c == y_column ? out->y : out->weights, column, n * sizeof(double));
            continue;
        }
        for (size_t row = 0; row < n; row++)
            out->x.dense[row * d + feature] = column[row];
        feature++;
    }
    free(column);
    lathe_frame_free(frame);
    return 0;
}

static void free_table(table *t)
{
    free(t->x.dense);
    free(t->y);
    free(t->weights);
}

static void print_array(const char *name, const double *values, size_t rows, size_t cols)
{
    printf("\"%s\": [", name);
    for (size_t r = 0; r < rows; r++) {
        printf("%s[", r ? ", " : "");
        for (size_t c = 0; c < cols; c++)
            printf("%s%.17g", c ? ", " : "", values[r * cols + c]);
        printf("]");
    }
    printf("]");
}

static void print_log(void *user, lathe_log_level level, const char *message)
{
    (void)user;
    (void)level;
    fprintf(stderr, "%s\n", message);
}

static int report(const lathe__model_ops *ops, const lathe__linear_model *m, const table *test)
{
    size_t n_outputs = ops->n_outputs(m);
    double *predictions = calloc(test->x.n_rows * n_outputs + 1, sizeof(double));
    ops->predict(m, &test->x, predictions);
    printf("{");
    print_array("coef", m->coef, m->n_vectors, m->n_features);
    printf(", ");
    print_array("intercept", m->intercept, 1, m->n_vectors);
    printf(", \"n_iter\": %zu, \"converged\": %s, ", m->n_iterations,
           m->converged ? "true" : "false");
    print_array("predict", predictions, test->x.n_rows, n_outputs);
    printf("}\n");
    free(predictions);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: linear_driver FAMILY TRAIN.csv [--classes K] [--sparse] "
                        "[--threads N] [--test TEST.csv] [NAME=VALUE ...]\n");
        return 2;
    }
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    const lathe__model_ops *ops = lathe__model_find(argv[1]);
    if (!ops)
        return fail(argv[1], NULL);
    lathe__param_values params;
    if (lathe__params_init(ctx, ops->params, ops->n_params, &params, &err) != LATHE_OK)
        return fail("params", &err);
    size_t n_classes = 0;
    bool sparse = false;
    const char *test_path = NULL;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--classes") == 0 && i + 1 < argc)
            n_classes = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--sparse") == 0)
            sparse = true;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            lathe_ctx_set_threads(ctx, (int)strtol(argv[++i], NULL, 10));
        else if (strcmp(argv[i], "--verbose") == 0)
            lathe_ctx_set_log(ctx, print_log, NULL);
        else if (strcmp(argv[i], "--test") == 0 && i + 1 < argc)
            test_path = argv[++i];
        else if (lathe__params_set(ctx, &params, argv[i], &err) != LATHE_OK)
            return fail(argv[i], &err);
    }
    table train, test;
    if (load_table(ctx, argv[2], &train) || (test_path && load_table(ctx, test_path, &test)))
        return 1;
    lathe__matrix csr;
    if (sparse && lathe__matrix_to_sparse(ctx, &train.x, &csr, &err) != LATHE_OK)
        return fail("sparse", &err);
    lathe__train_data data = {.x = sparse ? &csr : &train.x,
                              .y = train.y,
                              .weights = train.weights,
                              .task =
                                  n_classes ? LATHE__TASK_CLASSIFICATION : LATHE__TASK_REGRESSION,
                              .n_classes = n_classes};
    void *model;
    if (ops->fit(ctx, &data, &params, &model, &err) != LATHE_OK)
        return fail("fit", &err);
    int status = report(ops, model, test_path ? &test : &train);
    ops->free(ctx, model);
    if (sparse)
        lathe__matrix_release(ctx, &csr);
    free_table(&train);
    if (test_path)
        free_table(&test);
    lathe__params_release(ctx, &params);
    lathe_ctx_free(ctx);
    return status;
}
