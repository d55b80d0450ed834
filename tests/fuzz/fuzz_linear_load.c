/*
 * fuzz_linear_load.c: libFuzzer target for the linear families' model
 * sections and the parameter sections saved beside them. The first byte
 * picks the family, the second whether the rest is read as a model or as
 * parameters. Any input must load or fail with a message; a model that
 * loads must predict on a small matrix and save again to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "lathe/lathe.h"
#include "model/linear.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const lathe__model_ops *const families[] = {
    &lathe__logistic_ops, &lathe__linear_ops,     &lathe__ridge_ops,
    &lathe__lasso_ops,    &lathe__elasticnet_ops, &lathe__linear_svm_ops,
};

/* Saves the model again (it must give back its bytes) and predicts two rows. */
static void exercise(lathe_ctx *ctx, const lathe__model_ops *ops, const lathe__linear_model *model,
                     const uint8_t *bytes, size_t length)
{
    lathe__wbuf out;
    lathe__wbuf_init(&out, ctx);
    ops->save(model, &out);
    if (lathe__wbuf_status(&out, NULL) == LATHE_OK &&
        (out.length != length || memcmp(out.data, bytes, length) != 0))
        abort();
    lathe__wbuf_release(&out);
    size_t n_features = model->n_features, n_outputs = ops->n_outputs(model);
    if (n_features > 4096 || n_outputs > 4096)
        return;
    double *x = calloc(2 * n_features + 1, sizeof(double));
    double *predictions = calloc(2 * n_outputs + 1, sizeof(double));
    for (size_t i = 0; i < 2 * n_features; i++)
        x[i] = 1.0;
    lathe__matrix m = {.n_rows = 2, .n_cols = n_features, .dense = x, .borrowed = true};
    ops->predict(model, &m, predictions);
    free(x);
    free(predictions);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const lathe__model_ops *ops = families[data[0] % (sizeof families / sizeof families[0])];
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    lathe__rbuf in;
    lathe__rbuf_init(&in, data + 2, size - 2, "fuzz");
    if (data[1] & 1) {
        lathe__param_values params;
        if (lathe__params_load(ctx, &in, ops->params, ops->n_params, &params, &err) == LATHE_OK)
            lathe__params_release(ctx, &params);
    } else {
        void *model;
        if (ops->load(ctx, &in, &model, &err) == LATHE_OK) {
            exercise(ctx, ops, model, data + 2, in.offset);
            ops->free(ctx, model);
        }
    }
    lathe_ctx_free(ctx);
    return 0;
}
