/*
 * fuzz_csv_stream.c: libFuzzer target for the CSV reader's streaming, the
 * way lathe_read reads a CSV file: a window at a time, records split again
 * when they run off its end. The input is read from memory and streamed
 * from a file in a window of 4 to 67 bytes (picked by the first byte, which
 * also picks the header mode), and both must give the same frame, or fail
 * with the same message; anything else aborts. A third reading splits every
 * record as text, never as a number row, and must agree with them too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/readers.h"
#include "lathe/lathe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_cell(const lathe_frame *a, const lathe_frame *b, size_t c, size_t r)
{
    if (lathe_frame_is_missing(a, c, r) != lathe_frame_is_missing(b, c, r))
        return false;
    if (lathe_frame_is_missing(a, c, r))
        return true;
    size_t n, m;
    switch (lathe_frame_column_kind(a, c)) {
    case LATHE_KIND_NUMERIC: {
        double x = lathe_frame_numeric(a, c, r), y = lathe_frame_numeric(b, c, r);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    case LATHE_KIND_CATEGORICAL:
        return strcmp(lathe_frame_category_name(a, c, lathe_frame_category(a, c, r)),
                      lathe_frame_category_name(b, c, lathe_frame_category(b, c, r))) == 0;
    case LATHE_KIND_BOOLEAN:
        return lathe_frame_boolean(a, c, r) == lathe_frame_boolean(b, c, r);
    case LATHE_KIND_DATETIME:
        return lathe_frame_datetime(a, c, r) == lathe_frame_datetime(b, c, r);
    case LATHE_KIND_TEXT: {
        const char *x = lathe_frame_text(a, c, r, &n), *y = lathe_frame_text(b, c, r, &m);
        return n == m && memcmp(x, y, n) == 0;
    }
    default:
        return true;
    }
}

static bool same_frames(const lathe_frame *a, const lathe_frame *b)
{
    if (lathe_frame_n_rows(a) != lathe_frame_n_rows(b) ||
        lathe_frame_n_columns(a) != lathe_frame_n_columns(b))
        return false;
    for (size_t c = 0; c < lathe_frame_n_columns(a); c++) {
        if (strcmp(lathe_frame_column_name(a, c), lathe_frame_column_name(b, c)) != 0 ||
            lathe_frame_column_kind(a, c) != lathe_frame_column_kind(b, c))
            return false;
        for (size_t r = 0; r < lathe_frame_n_rows(a); r++) {
            if (!same_cell(a, b, c, r))
                return false;
        }
    }
    return true;
}

/* One scratch file for the whole run, rewritten for each input. */
static int scratch_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0) {
        char path[] = "/tmp/fuzz_csv_stream_XXXXXX";
        fd = mkstemp(path);
        if (fd < 0)
            abort();
        unlink(path);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.format = LATHE_FORMAT_CSV;
    options.limits.max_memory_bytes = 64u << 20;
    options.limits.max_columns = 1000;
    options.limits.max_cell_bytes = 4096;
    options.header = (int)(data[0] >> 6) % 3 - 1;
    size_t window = 4 + data[0] % 64;
    data++;
    size--;

    lathe_ctx *ctx = lathe_ctx_new();
    lathe_frame *in_memory = NULL, *streamed = NULL, *as_text = NULL;
    lathe_error err, streamed_err, text_err;
    lathe__input memory = {.name = "fuzz.csv", .data = (const char *)data, .size = size};
    lathe__input file = {
        .name = "fuzz.csv", .streamed = true, .fd = scratch_file(data, size), .window = window};
    lathe_status status = lathe__read_csv(ctx, &memory, &options, &in_memory, &err);
    lathe_status streamed_status = lathe__read_csv(ctx, &file, &options, &streamed, &streamed_err);
    memory.text_rows_only = true;
    lathe_status text_status = lathe__read_csv(ctx, &memory, &options, &as_text, &text_err);
    if (status != text_status ||
        (status != LATHE_OK && strcmp(err.message, text_err.message) != 0) ||
        (status == LATHE_OK && !same_frames(in_memory, as_text))) {
        fprintf(stderr, "fuzz_csv_stream: text rows only: %d \"%s\", number rows %d \"%s\"\n",
                (int)text_status, text_status ? text_err.message : "", (int)status,
                status ? err.message : "");
        abort();
    }
    if (status != streamed_status ||
        (status != LATHE_OK && strcmp(err.message, streamed_err.message) != 0) ||
        (status == LATHE_OK && !same_frames(in_memory, streamed))) {
        fprintf(stderr, "fuzz_csv_stream: window %zu: %d \"%s\", from memory %d \"%s\"\n", window,
                (int)streamed_status, streamed_status ? streamed_err.message : "", (int)status,
                status ? err.message : "");
        abort();
    }
    lathe_frame_free(in_memory);
    lathe_frame_free(streamed);
    lathe_frame_free(as_text);
    lathe_ctx_free(ctx);
    return 0;
}
