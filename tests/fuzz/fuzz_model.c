/*
 * fuzz_model.c: libFuzzer target for the whole model loader. Any bytes must
 * either load as a model that then predicts without fault, or fail with a
 * message; the sanitizers catch everything else. The corpus holds small
 * real models as lists of sections ("NAME\0", u32 length, payload, ...):
 * the target wraps them in a valid container, so mutations reach every
 * section's loader rather than stopping at the container's checksums
 * (fuzz_artifact covers the container itself).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lathe/lathe.h"
#include "store/artifact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A one-row frame with every input the model declares, all missing or "a". */
static lathe_frame *probe_frame(lathe_ctx *ctx, const lathe_model *model)
{
    size_t n;
    const lathe_column_decl *decls = lathe_model_columns(model, &n);
    char header[4096] = "", row[4096] = "";
    size_t at = 0, row_at = 0;
    for (size_t i = 0; i < n && at + 300 < sizeof header; i++) {
        if (strchr(decls[i].name, ',') || strchr(decls[i].name, '"') || strchr(decls[i].name, '\n'))
            return NULL;
        at +=
            (size_t)snprintf(header + at, sizeof header - at, "%s%s", i ? "," : "", decls[i].name);
        row_at += (size_t)snprintf(row + row_at, sizeof row - row_at, "%s", i ? "," : "");
    }
    char text[8300];
    int length = snprintf(text, sizeof text, "%s\n%s\n", header, row);
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.format = LATHE_FORMAT_CSV;
    options.columns = decls;
    options.n_columns = n;
    lathe_frame *frame = NULL;
    lathe_error err;
    if (lathe_read_buffer(ctx, text, (size_t)length, "probe.csv", &options, &frame, &err) !=
        LATHE_OK)
        return NULL;
    return frame;
}

/* Wraps the input's sections in a container; false if the input does not parse as sections. */
static bool wrap(lathe_ctx *ctx, const uint8_t *data, size_t size, lathe__wbuf *out)
{
    lathe__artifact_writer *writer;
    lathe_error err;
    if (lathe__artifact_writer_new(ctx, &writer, &err) != LATHE_OK)
        return false;
    bool ok = true;
    size_t at = 0;
    while (ok && at < size) {
        const uint8_t *nul = memchr(data + at, 0, size - at);
        if (!nul || (size_t)(nul - data) + 5 > size) {
            ok = false;
            break;
        }
        const char *name = (const char *)data + at;
        uint32_t length;
        memcpy(&length, nul + 1, 4);
        at = (size_t)(nul - data) + 5;
        if (length > size - at) {
            ok = false;
            break;
        }
        ok = lathe__artifact_writer_add(writer, name, data + at, length, &err) == LATHE_OK;
        at += length;
    }
    ok = ok && lathe__artifact_write_buffer(writer, out, &err) == LATHE_OK;
    lathe__artifact_writer_free(writer);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_model *model = NULL;
    lathe_error err;
    lathe__wbuf wrapped;
    lathe__wbuf_init(&wrapped, ctx);
    bool loaded = wrap(ctx, data, size, &wrapped) &&
                  lathe_model_load_buffer(ctx, wrapped.data, wrapped.length, "fuzz.lathe", &model,
                                          &err) == LATHE_OK;
    lathe__wbuf_release(&wrapped);
    if (loaded) {
        free(lathe_model_describe_json(model));
        lathe_frame *frame = probe_frame(ctx, model);
        if (frame) {
            size_t width = lathe_model_n_classes(model) ? lathe_model_n_classes(model) : 1;
            double *out = calloc(width, sizeof *out);
            int32_t label;
            (void)lathe_model_predict(model, frame, out, &label, &err);
            free(out);
            lathe_frame_free(frame);
        }
        lathe_model_free(model);
    }
    lathe_ctx_free(ctx);
    return 0;
}
