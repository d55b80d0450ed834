/*
 * fuzz_json.c: libFuzzer target for the JSON reader (JSON lines and arrays
 * of records). Any input must either load or fail with a message; the
 * sanitizers catch everything else. The first byte picks the options, so
 * declared kinds, small limits and caller missing tokens get exercised, and
 * every cell of a loaded frame is read back.
 */
#include <stddef.h>
#include <stdint.h>

#include "lathe/lathe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const tokens[] = {"-", "x"};
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.format = LATHE_FORMAT_JSON;
    options.limits.max_memory_bytes = 64u << 20;
    options.limits.max_columns = 1000;
    options.limits.max_cell_bytes = 4096;
    lathe_column_decl decls[] = {
        {.name = "a", .has_kind = true, .kind = LATHE_KIND_NUMERIC},
        {.name = "b", .has_kind = true, .kind = LATHE_KIND_BOOLEAN},
        {.name = "c", .has_kind = true, .kind = LATHE_KIND_DATETIME},
        {.name = "d", .has_kind = true, .kind = LATHE_KIND_TEXT},
        {.name = "e", .has_kind = true, .kind = LATHE_KIND_CATEGORICAL},
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
    if (lathe_read_buffer(ctx, data, size, "fuzz.json", &options, &frame, &err) == LATHE_OK)
        touch_cells(frame);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
    return 0;
}
