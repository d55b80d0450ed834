/*
 * read.h: loading tables from files, buffers and standard input.
 *
 * Formats: CSV and TSV (RFC 4180), JSON lines or a JSON array of records,
 * ARFF, LibSVM/SVMlight; any of them gzip-compressed. The format comes from
 * the options, else the file name's extension, else the content.
 *
 * Kinds are inferred from every value of a column, not from a sample; a
 * declared schema overrides inference column by column. Every limit in
 * lathe_read_limits is enforced, and bad input is reported with file, line
 * and column ("data.csv:1042:7: unterminated quoted field").
 */
#ifndef LATHE_READ_H
#define LATHE_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "lathe/core.h"
#include "lathe/frame.h"

#define LATHE_FORMAT_MAP(X)                                                                        \
    X(AUTO, "auto")                                                                                \
    X(CSV, "csv")                                                                                  \
    X(TSV, "tsv")                                                                                  \
    X(JSON, "json")                                                                                \
    X(ARFF, "arff")                                                                                \
    X(LIBSVM, "libsvm")

typedef enum lathe_format {
#define LATHE__FORMAT_ENUM(name, text) LATHE_FORMAT_##name,
    LATHE_FORMAT_MAP(LATHE__FORMAT_ENUM)
#undef LATHE__FORMAT_ENUM
        LATHE_FORMAT_COUNT
} lathe_format;

LATHE_API const char *lathe_format_name(lathe_format format);
LATHE_API bool lathe_format_parse(const char *name, lathe_format *out);

typedef struct lathe_read_limits {
    size_t max_line_bytes; /* one physical record, quotes included */
    size_t max_columns;
    size_t max_cell_bytes;
    size_t max_rows;
    size_t max_memory_bytes; /* input held in memory plus the values built from it; the
                                input is held whole unless it is a CSV/TSV file, which
                                lathe_read streams */
} lathe_read_limits;

/* One declared column: a kind and/or a role that override inference. */
typedef struct lathe_column_decl {
    const char *name;
    bool has_kind;
    lathe_kind kind;
    bool has_role;
    lathe_role role;
    bool optional; /* may be absent from the data; else its absence is an error */
} lathe_column_decl;

typedef struct lathe_read_options {
    lathe_format format;
    char delimiter;                    /* CSV/TSV: 0 sniffs among , ; \t | */
    int header;                        /* CSV/TSV: -1 detects, 0 none, 1 first row */
    const char *const *missing_tokens; /* NULL: "", NA, N/A, NaN, null, ? */
    size_t n_missing_tokens;
    const lathe_column_decl *columns; /* declared schema, may be NULL */
    size_t n_columns;
    lathe_read_limits limits;
} lathe_read_options;

/* Fills `options` with the defaults: auto format, sniffing, detection, default limits. */
LATHE_API void lathe_read_options_init(lathe_read_options *options);

/*
 * Reads a table from `path` ("-" reads standard input). A name ending in .gz
 * is decompressed; so is any input starting with the gzip magic bytes.
 * `options` may be NULL for the defaults. On success *out belongs to the caller.
 * An uncompressed CSV or TSV file is read a window at a time rather than
 * whole (twice when a column needs a second look), so the file must not
 * change while it is read; other inputs are read into memory whole.
 */
LATHE_API lathe_status lathe_read(lathe_ctx *ctx, const char *path,
                                  const lathe_read_options *options, lathe_frame **out,
                                  lathe_error *err);

/* As lathe_read, from memory; `name` is used in messages and to guess the format. */
LATHE_API lathe_status lathe_read_buffer(lathe_ctx *ctx, const void *data, size_t size,
                                         const char *name, const lathe_read_options *options,
                                         lathe_frame **out, lathe_error *err);

#endif
