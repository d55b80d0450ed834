/*
 * builder.h: turns a reader's stream of cells into a typed frame (internal).
 *
 * Every reader (CSV, JSON, ARFF, LibSVM) tokenizes its format and hands the
 * builder one cell at a time; the builder owns type inference, missing
 * tokens, declared schemas, limits and the column storage, so that all
 * formats infer kinds the same way.
 *
 * Inference sees every value, not a sample, in at most two passes over the
 * input, which readers keep in memory or can read again:
 *   pass 1  every column is assumed numeric and its values are parsed into
 *           doubles as they arrive; a column that meets a non-number drops
 *           its doubles and only notes whether its values could all be
 *           booleans or ISO 8601 datetimes, except that a column whose
 *           first present value is plain text can only be categorical (or
 *           text) and has its categories built right away;
 *   pass 2  runs only if some column is left to build (booleans,
 *           datetimes, declared text, categories that first looked like
 *           something else), and builds just those columns.
 * A table of numbers and plain strings is therefore read once. The reader asks
 * lathe__builder_next_pass() after pass 1 and, if told to, replays the same
 * cells; lathe__builder_finish() then hands over the frame.
 *
 * Errors name their place through the reader's `where` callback, which
 * writes "file:line:column" for the cell being added.
 */
#ifndef LATHE_DATA_BUILDER_H
#define LATHE_DATA_BUILDER_H

#include <stdbool.h>
#include <stddef.h>

#include "data/category_memo.h"
#include "lathe/read.h"

typedef struct lathe__builder lathe__builder;

/* Writes the current input position ("data.csv:12:5") into buf. */
typedef void (*lathe__where_fn)(void *user, char *buf, size_t size);

/* `input_bytes` (the decompressed input held by the reader) counts against the memory limit. */
lathe_status lathe__builder_new(lathe_ctx *ctx, const lathe_read_options *options,
                                size_t input_bytes, lathe__builder **out, lathe_error *err);
void lathe__builder_free(lathe__builder *builder);
void lathe__builder_set_where(lathe__builder *builder, lathe__where_fn where, void *user);
/* Sparse input (LibSVM, sparse ARFF): a cell not given in a row is 0, not missing. */
void lathe__builder_set_sparse(lathe__builder *builder, bool sparse);
/* A hint of how many rows are coming, so column storage is allocated once. */
lathe_status lathe__builder_reserve(lathe__builder *builder, size_t n_rows, lathe_error *err);

/* Adds a column; a name already present is an error ("duplicate column name"). */
lathe_status lathe__builder_add_column(lathe__builder *builder, const char *name, size_t length,
                                       size_t *index, lathe_error *err);
/* The column with this name, added if new (rows before it are missing, or 0 if sparse). */
lathe_status lathe__builder_column(lathe__builder *builder, const char *name, size_t length,
                                   size_t *index, lathe_error *err);
size_t lathe__builder_n_columns(const lathe__builder *builder);
/* A kind the format itself declares (ARFF); a user's declared schema still wins. */
lathe_status lathe__builder_declare(lathe__builder *builder, size_t column, lathe_kind kind,
                                    lathe_error *err);
/* Declares a category in order (ARFF nominal values); other values are then errors. */
lathe_status lathe__builder_declare_category(lathe__builder *builder, size_t column,
                                             const char *name, size_t length, lathe_error *err);

/* 1 during the first pass, 2 during the second. */
int lathe__builder_pass(const lathe__builder *builder);
/* False if the current pass has nothing to do with this column (readers may skip its cells). */
bool lathe__builder_wants(const lathe__builder *builder, size_t column);

/* Text from a delimited file: a missing token, a number, a boolean, a datetime or a string. */
lathe_status lathe__builder_text(lathe__builder *builder, size_t column, const char *text,
                                 size_t length, lathe_error *err);
/* A typed string (JSON): never a number, but may be a missing token, boolean or datetime. */
lathe_status lathe__builder_string(lathe__builder *builder, size_t column, const char *text,
                                   size_t length, lathe_error *err);
lathe_status lathe__builder_number(lathe__builder *builder, size_t column, double value,
                                   lathe_error *err);
lathe_status lathe__builder_boolean(lathe__builder *builder, size_t column, bool value,
                                    lathe_error *err);
lathe_status lathe__builder_missing(lathe__builder *builder, size_t column, lathe_error *err);
/*
 * One cell of a delimited row: text in the reader's buffer. A reader that
 * already converted the text with lathe__field_number (number_scan.h: at
 * most LATHE__SCAN_NUMBER_BYTES bytes, starting with a digit, sign or point)
 * sets `number` and `value`, so the builder need not parse it again; the
 * builder still decides whether it is a number for this column (a missing
 * token such as "-999" is not).
 */
typedef struct lathe__cell {
    const char *text;
    size_t length;
    double value; /* when `number`: lathe__parse_double of the text */
    bool number;
} lathe__cell;

/*
 * A whole row of text cells, one per column in column order, as
 * lathe__builder_text on each and then lathe__builder_end_row, but with the
 * per-cell bookkeeping done once per row: the fast path for CSV and TSV.
 * While it runs, lathe__builder_current_column tells a `where` callback which
 * cell a message is about.
 */
lathe_status lathe__builder_text_row(lathe__builder *builder, const lathe__cell *cells,
                                     size_t n_cells, lathe_error *err);
size_t lathe__builder_current_column(const lathe__builder *builder);

/*
 * The fastest path, for pass 1 of rows that are mostly numbers: the reader
 * writes each cell that it scanned as a number (lathe__field_number) and
 * whose column has numeric[column] straight to values[column]. A cell of
 * 1 to 8 bytes in a column with a memo (memos[column] not NULL: the column
 * is categorical, and a value known to its memo needs nothing but its code)
 * that the memo holds becomes a hit. Every other cell is handed, with its
 * column, to lathe__builder_end_number_row, which takes the others as
 * lathe__builder_text_row would, applies the hits, and ends the row. No
 * cell goes through two of these ways. `values` is NULL when this path is
 * off (pass 2, or missing tokens that look like numbers); use
 * lathe__builder_text_row then. Asking again for the same row gives the
 * same place, so a record may be split twice.
 */
typedef struct lathe__number_row {
    double *values;
    const bool *numeric;
    bool all_numeric; /* numeric[column] for every column */
    lathe__category_memo *const *memos;
} lathe__number_row;

/* A number row's cell whose code its column's memo gave. */
typedef struct lathe__memo_hit {
    size_t column;
    int32_t id;
    uint32_t length;
} lathe__memo_hit;

/* What a number row leaves to lathe__builder_end_number_row. */
typedef struct lathe__row_rest {
    const lathe__cell *others;
    const size_t *columns; /* the column of each of the others */
    size_t n_others;
    const lathe__memo_hit *hits;
    size_t n_hits;
} lathe__row_rest;

lathe_status lathe__builder_number_row(lathe__builder *builder, lathe__number_row *row,
                                       lathe_error *err);
lathe_status lathe__builder_end_number_row(lathe__builder *builder, const lathe__number_row *row,
                                           const lathe__row_rest *rest, size_t n_cells,
                                           lathe_error *err);

/* Ends a row; cells not given in it become missing (or 0 if sparse). */
lathe_status lathe__builder_end_row(lathe__builder *builder, lathe_error *err);
size_t lathe__builder_n_rows(const lathe__builder *builder);

/* Ends pass 1; *again is true if the reader must replay its cells for pass 2. */
lathe_status lathe__builder_next_pass(lathe__builder *builder, bool *again, lathe_error *err);
/* Builds the frame. The builder must still be freed. */
lathe_status lathe__builder_finish(lathe__builder *builder, lathe_frame **out, lathe_error *err);

/* True if text[0..length) is one of the options' missing tokens (or the defaults). */
bool lathe__builder_is_missing_token(const lathe__builder *builder, const char *text,
                                     size_t length);

#endif
