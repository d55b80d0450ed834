/*
 * reader_fuzz.h: the body shared by the JSON, ARFF and LibSVM fuzz targets.
 * Any input must either load or fail with a message; the sanitizers catch
 * everything else. The first byte picks the options, so declared kinds,
 * small limits and caller missing tokens get exercised, and every cell of a
 * loaded frame is read back. Included by exactly one file per target.
 */
#ifndef LATHE_READER_FUZZ_H
#define LATHE_READER_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "lathe/lathe.h"

static void touch_cells(const lathe_frame *frame)
{
    size_t n_rows = lathe_frame_n_rows(frame);
    for (size_t c = 0; c < lathe_frame_n_columns(frame); c++) {
        lathe_kind kind = lathe_frame_column_kind(frame, c);
        for (size_t r = 0; r < n_rows && r < 64; r++) {
            if (lathe_frame_is_missing(frame, c, r))
                continue;
            size_t length;
            if (kind == LATHE_KIND_CATEGORICAL)
                (void)lathe_frame_category_name(frame, c, lathe_frame_category(frame, c, r));
            else if (kind == LATHE_KIND_TEXT)
                (void)lathe_frame_text(frame, c, r, &length);
        }
    }
}

/* `columns` names the five columns declared numeric, boolean, datetime, text and categorical. */
static int fuzz_reader(const uint8_t *data, size_t size, lathe_format format, const char *name,
                       const char *const columns[5])
{
    static const char *const tokens[] = {"-", "x"};
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.format = format;
    options.limits.max_memory_bytes = 64u << 20;
    options.limits.max_columns = 1000;
    options.limits.max_cell_bytes = 4096;
    lathe_column_decl decls[] = {
        {.name = columns[0], .has_kind = true, .kind = LATHE_KIND_NUMERIC},
        {.name = columns[1], .has_kind = true, .kind = LATHE_KIND_BOOLEAN},
        {.name = columns[2], .has_kind = true, .kind = LATHE_KIND_DATETIME},
        {.name = columns[3], .has_kind = true, .kind = LATHE_KIND_TEXT},
        {.name = columns[4], .has_kind = true, .kind = LATHE_KIND_CATEGORICAL},
    };
    if (size > 0) {
        uint8_t mode = data[0];
        if (mode & 1) {
            options.columns = decls;
            options.n_columns = sizeof decls / sizeof decls[0];
        }
        if (mode & 2) {
            options.missing_tokens = tokens;
            options.n_missing_tokens = sizeof tokens / sizeof tokens[0];
        }
        if (mode & 4) {
            options.limits.max_line_bytes = 64;
            options.limits.max_rows = 8;
            options.limits.max_columns = 4;
            options.limits.max_memory_bytes = 1u << 16;
        }
        data++;
        size--;
    }
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_frame *frame = NULL;
    lathe_error err;
    if (lathe_read_buffer(ctx, data, size, name, &options, &frame, &err) == LATHE_OK)
        touch_cells(frame);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
    return 0;
}

#endif
