/*
 * column.h: the storage behind a frame's columns (internal).
 *
 * A column owns its values, its missing bitmap and, when categorical, its
 * dictionary, except that the numbers of columns read together may lie in
 * one block of pages that they share (numeric_pages). Columns are immutable after they are built
 * and shared between frames by reference count; they always hold every row they were built with,
 * and frames view them through an optional row list.
 *
 * Missing cells: bit (row % 8) of missing[row / 8] is set. `missing` is NULL
 * when no cell is missing. Numeric missing cells also hold NaN, so numeric
 * code can test either.
 */
#ifndef LATHE_DATA_COLUMN_H
#define LATHE_DATA_COLUMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pages.h"
#include "lathe/frame.h"

typedef struct lathe__column {
    size_t refs;
    char *name;
    lathe_kind kind;
    size_t n_rows;
    uint8_t *missing;
    size_t n_missing;
    double *numeric;             /* NUMERIC */
    lathe__pages *numeric_pages; /* a block numeric lies in, shared with other columns, or NULL */
    int32_t *codes;              /* CATEGORICAL */
    uint8_t *boolean;            /* BOOLEAN: 0 or 1 */
    int64_t *datetime;           /* DATETIME: microseconds since the Unix epoch, UTC */
    bool date_only;              /* DATETIME: every value was a plain date */
    uint64_t *offsets;           /* TEXT: n_rows + 1 offsets into bytes */
    char *bytes;                 /* TEXT */
    char **categories;           /* CATEGORICAL: names in code order */
    size_t *category_counts;
    size_t n_categories;
} lathe__column;

/* A column with no values yet; the caller fills the arrays it needs. */
lathe__column *lathe__column_new(lathe_ctx *ctx, const char *name, size_t name_length,
                                 lathe_kind kind, size_t n_rows);
void lathe__column_retain(lathe__column *column);
void lathe__column_release(lathe_ctx *ctx, lathe__column *column);

static inline bool lathe__bit_get(const uint8_t *bits, size_t i)
{
    return bits && (bits[i >> 3] >> (i & 7)) & 1;
}

static inline void lathe__bit_set(uint8_t *bits, size_t i)
{
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}

struct lathe_frame {
    lathe_ctx *ctx;
    size_t n_rows;
    size_t n_columns;
    lathe__column **columns;
    lathe_role *roles;
    size_t *rows; /* NULL: row i is column row i */
};

/* A frame of n_columns empty slots over n_rows rows; fill with lathe__frame_put. */
lathe_frame *lathe__frame_new(lathe_ctx *ctx, size_t n_columns, size_t n_rows);
/* Puts `column` in slot i, taking over the caller's reference. */
void lathe__frame_put(lathe_frame *frame, size_t i, lathe__column *column);

/* The column row behind frame row `row`. */
static inline size_t lathe__frame_row(const lathe_frame *frame, size_t row)
{
    return frame->rows ? frame->rows[row] : row;
}

#endif
