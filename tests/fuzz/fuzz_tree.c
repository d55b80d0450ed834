/*
 * fuzz_tree.c: libFuzzer target for loading a saved tree ensemble (it
 * arrives inside artifacts, which may be hostile). Any input must load or
 * fail with a message; whatever loads must then predict a few rows (batch,
 * CSR and row by row), report importance and, when small enough for
 * TreeSHAP's cubic worst case to stay quick, explain a row, without the
 * sanitizers finding anything and without looping. The corpus holds
 * ensembles of every link saved by lathe__ensemble_save, so mutations reach
 * the checks past the header.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "lathe/lathe.h"
#include "model/matrix.h"
#include "model/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_ROWS 3
#define MAX_FEATURES 4096
#define MAX_SHAP_NODES 256

static lathe_ctx *ctx;

/* Rows with missing values, category codes and values around common thresholds. */
static void fill_rows(double *rows, size_t n_features)
{
    static const double pattern[] = {0.5, 2, NAN, -1, 65, 0, 1e300, 3};
    for (size_t r = 0; r < N_ROWS; r++)
        for (size_t f = 0; f < n_features; f++)
            rows[r * n_features + f] = pattern[(r * 3 + f) % (sizeof pattern / sizeof *pattern)];
}

static void explain(const lathe__ensemble *e, const double *row)
{
    size_t n_nodes = 0;
    for (size_t t = 0; t < e->n_trees; t++)
        n_nodes += e->trees[t].n_nodes;
    if (n_nodes > MAX_SHAP_NODES)
        return;
    double *phi = calloc(e->n_raw * (e->n_features + 1), sizeof *phi);
    lathe_error err;
    if (phi && lathe__ensemble_shap_row(ctx, e, row, phi, &err) != LATHE_OK)
        abort(); /* only memory can run out here */
    free(phi);
}

static void exercise(const lathe__ensemble *e)
{
    size_t width = e->n_features ? e->n_features : 1;
    if (e->n_features > MAX_FEATURES || e->n_raw > 64)
        return;
    lathe__matrix x, sparse;
    lathe_error err;
    if (lathe__matrix_dense_new(ctx, N_ROWS, width, &x, &err) != LATHE_OK)
        return;
    fill_rows(x.dense, width);
    double *out = calloc(N_ROWS * e->n_outputs, sizeof *out);
    double *raw = calloc(e->n_raw, sizeof *raw);
    double *importance = calloc(width, sizeof *importance);
    if (out && raw && importance) {
        lathe__ensemble_predict(e, &x, out);
        if (lathe__matrix_to_sparse(ctx, &x, &sparse, &err) == LATHE_OK) {
            lathe__ensemble_predict(e, &sparse, out);
            lathe__matrix_release(ctx, &sparse);
        }
        lathe__ensemble_predict_row(e, x.dense, raw, out);
        lathe__ensemble_importance_gain(e, importance);
        lathe__ensemble_importance_splits(e, importance);
        explain(e, x.dense + width);
    }
    free(out);
    free(raw);
    free(importance);
    lathe__matrix_release(ctx, &x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx)
        ctx = lathe_ctx_new();
    lathe__rbuf buf;
    lathe__rbuf_init(&buf, data, size, "trees");
    lathe__ensemble ensemble;
    lathe_error err;
    if (lathe__ensemble_load(ctx, &buf, &ensemble, &err) == LATHE_OK) {
        exercise(&ensemble);
        lathe__ensemble_release(ctx, &ensemble);
    } else if (err.message[0] == '\0') {
        abort(); /* a failure always says why */
    }
    return 0;
}
