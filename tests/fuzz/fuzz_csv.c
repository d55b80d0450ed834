/*
 * fuzz_csv.c: libFuzzer target for the CSV/TSV reader and the type inference
 * behind every reader. Any input must either load or fail with a message;
 * the sanitizers catch everything else. The first byte picks the options so
 * that sniffing, forced delimiters, header modes and declared kinds all get
 * exercised.
 */
#include <stddef.h>
#include <stdint.h>

#include "lathe/lathe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delimiters[] = {0, ',', '\t', ';'};
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.format = LATHE_FORMAT_CSV;
    options.limits.max_memory_bytes = 64u << 20;
    options.limits.max_columns = 1000;
    options.limits.max_cell_bytes = 4096;
    lathe_column_decl decls[] = {
        {.name = "a", .has_kind = true, .kind = LATHE_KIND_NUMERIC},
        {.name = "b", .has_kind = true, .kind = LATHE_KIND_BOOLEAN},
        {.name = "c", .has_kind = true, .kind = LATHE_KIND_DATETIME},
        {.name = "d", .has_kind = true, .kind = LATHE_KIND_TEXT},
    };
    if (size > 0) {
        uint8_t mode = data[0];
        options.delimiter = delimiters[mode & 3];
        options.header = (int)((mode >> 2) % 3) - 1;
        if (mode & 0x20) {
            options.columns = decls;
            options.n_columns = sizeof decls / sizeof decls[0];
        }
        data++;
        size--;
    }
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_frame *frame = NULL;
    lathe_error err;
    if (lathe_read_buffer(ctx, data, size, "fuzz.csv", &options, &frame, &err) == LATHE_OK) {
        size_t n_rows = lathe_frame_n_rows(frame);
        for (size_t c = 0; c < lathe_frame_n_columns(frame); c++) {
            if (lathe_frame_column_kind(frame, c) == LATHE_KIND_CATEGORICAL && n_rows > 0 &&
                !lathe_frame_is_missing(frame, c, n_rows - 1))
                (void)lathe_frame_category_name(frame, c,
                                                lathe_frame_category(frame, c, n_rows - 1));
        }
    }
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
    return 0;
}
