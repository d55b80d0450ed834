/*
 * readers.h: the table of format readers behind lathe_read (internal).
 *
 * Every reader takes the whole decompressed input in memory, feeds a
 * lathe__builder, and replays its cells if the builder asks for a second
 * pass. Readers never see gzip, and only the CSV reader sees a file: read.c
 * hands it a regular, uncompressed CSV or TSV file to stream, so that a
 * large file is never held whole in memory next to its table.
 */
#ifndef LATHE_DATA_READERS_H
#define LATHE_DATA_READERS_H

#include <stdbool.h>
#include <stddef.h>

#include "lathe/read.h"

typedef struct lathe__input {
    const char *name; /* for messages: the path, "<stdin>" or the caller's name */
    const char *data; /* the whole input, unless streamed */
    size_t size;
    bool streamed; /* CSV/TSV only: read from fd, a regular file, once per pass */
    int fd;
    size_t window; /* streamed: bytes read at a time, 0 for the default (tests use tiny ones) */
    bool text_rows_only; /* CSV: never split number rows, so tests can check them against it */
} lathe__input;

typedef lathe_status (*lathe__reader_fn)(lathe_ctx *ctx, const lathe__input *input,
                                         const lathe_read_options *options, lathe_frame **out,
                                         lathe_error *err);

/* CSV or TSV; options->delimiter (or the format) picks the delimiter. */
lathe_status lathe__read_csv(lathe_ctx *ctx, const lathe__input *input,
                             const lathe_read_options *options, lathe_frame **out,
                             lathe_error *err);
/* JSON lines, or one JSON array of records. */
lathe_status lathe__read_json(lathe_ctx *ctx, const lathe__input *input,
                              const lathe_read_options *options, lathe_frame **out,
                              lathe_error *err);
lathe_status lathe__read_arff(lathe_ctx *ctx, const lathe__input *input,
                              const lathe_read_options *options, lathe_frame **out,
                              lathe_error *err);
lathe_status lathe__read_libsvm(lathe_ctx *ctx, const lathe__input *input,
                                const lathe_read_options *options, lathe_frame **out,
                                lathe_error *err);

/* The format a file's content suggests (never AUTO: CSV when nothing else fits). */
lathe_format lathe__sniff_format(const char *data, size_t size);

#endif
