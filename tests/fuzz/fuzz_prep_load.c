/*
 * fuzz_prep_load.c: libFuzzer target for loading a saved preprocessing
 * pipeline (it arrives inside artifacts, which may be hostile). Any input
 * must load or fail with a message; whatever loads must then describe
 * itself, name its features and transform a small frame (batch and row by
 * row) without the sanitizers finding anything. The corpus holds pipelines
 * fitted on that same frame (prep_driver save=PATH), so mutations reach the
 * transform code.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "lathe/lathe.h"
#include "model/matrix.h"
#include "prep/prep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char frame_csv[] = "age,income,color,when,flag,note\n"
                                "30,52000,red,2021-03-01T08:00:00Z,true,a\n"
                                "45,,blue,2020-11-15T17:30:00Z,false,b\n"
                                ",81000,red,2022-07-04T12:00:00Z,true,c\n"
                                "52,61000,green,,,d\n";

static lathe_ctx *ctx;
static lathe_frame *frame;

static void exercise(const lathe__prep *prep)
{
    char notes[4096];
    lathe__prep_describe(prep, notes, sizeof notes);
    size_t n_features = lathe__prep_n_features(prep);
    for (size_t i = 0; i < n_features; i++)
        (void)lathe__prep_feature_name(prep, i);
    lathe_error err;
    lathe__matrix x;
    if (lathe__prep_transform(prep, frame, &x, &err) == LATHE_OK)
        lathe__matrix_release(ctx, &x);
    double *row = calloc(n_features + 1, sizeof *row);
    double *work = calloc(lathe__prep_work_size(prep) + 1, sizeof *work);
    for (size_t r = 0; row && work && r < lathe_frame_n_rows(frame); r++)
        (void)lathe__prep_transform_row(prep, frame, r, row, work, &err);
    free(row);
    free(work);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx) {
        ctx = lathe_ctx_new();
        lathe_error err;
        if (lathe_read_buffer(ctx, frame_csv, sizeof frame_csv - 1, "fuzz.csv", NULL, &frame,
                              &err) != LATHE_OK)
            abort();
    }
    lathe__rbuf buf;
    lathe__rbuf_init(&buf, data, size, "pipeline");
    lathe__prep *prep = NULL;
    lathe_error err;
    if (lathe__prep_load(ctx, &buf, &prep, &err) == LATHE_OK) {
        exercise(prep);
        lathe__prep_free(prep);
    }
    return 0;
}
