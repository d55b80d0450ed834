/*
 * frame.c: frames as views over shared, immutable columns.
 *
 * Selecting columns copies pointers and bumps reference counts; taking rows
 * stores a row list (composed with any list the source frame had), so a split
 * of a large table costs one size_t per row and nothing per cell.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "core/datetime.h"
#include "core/internal.h"
#include "data/column.h"

#include "core/banned.h"

#define NAME_LIST(X, text) text,
static const char *const kind_names[] = {LATHE_KIND_MAP(NAME_LIST)};
static const char *const role_names[] = {LATHE_ROLE_MAP(NAME_LIST)};
#undef NAME_LIST

const char *lathe_kind_name(lathe_kind kind)
{
    return (unsigned)kind < LATHE_KIND_COUNT ? kind_names[kind] : NULL;
}

bool lathe_kind_parse(const char *name, lathe_kind *out)
{
    for (int i = 0; i < LATHE_KIND_COUNT; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (lathe_kind)i;
            return true;
        }
    }
    return false;
}

const char *lathe_role_name(lathe_role role)
{
    return (unsigned)role < LATHE_ROLE_COUNT ? role_names[role] : NULL;
}

bool lathe_role_parse(const char *name, lathe_role *out)
{
    for (int i = 0; i < LATHE_ROLE_COUNT; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = (lathe_role)i;
            return true;
        }
    }
    return false;
}

lathe__column *lathe__column_new(lathe_ctx *ctx, const char *name, size_t name_length,
                                 lathe_kind kind, size_t n_rows)
{
    lathe__column *column = lathe__calloc(ctx, 1, sizeof *column);
    if (!column)
        return NULL;
    column->name = lathe__strndup(ctx, name, name_length);
    if (!column->name) {
        lathe__free(ctx, column);
        return NULL;
    }
    column->refs = 1;
    column->kind = kind;
    column->n_rows = n_rows;
    return column;
}

void lathe__column_retain(lathe__column *column)
{
    column->refs++;
}

void lathe__column_release(lathe_ctx *ctx, lathe__column *column)
{
    if (!column || --column->refs > 0)
        return;
    for (size_t i = 0; i < column->n_categories; i++)
        lathe__free(ctx, column->categories ? column->categories[i] : NULL);
    lathe__free(ctx, column->categories);
    lathe__free(ctx, column->category_counts);
    lathe__free(ctx, column->name);
    lathe__free(ctx, column->missing);
    if (column->numeric_pages)
        lathe__pages_release(ctx, column->numeric_pages);
    else
        lathe__free(ctx, column->numeric);
    lathe__free(ctx, column->codes);
    lathe__free(ctx, column->boolean);
    lathe__free(ctx, column->datetime);
    lathe__free(ctx, column->offsets);
    lathe__free(ctx, column->bytes);
    lathe__free(ctx, column);
}

lathe_frame *lathe__frame_new(lathe_ctx *ctx, size_t n_columns, size_t n_rows)
{
    lathe_frame *frame = lathe__calloc(ctx, 1, sizeof *frame);
    if (!frame)
        return NULL;
    frame->ctx = ctx;
    frame->n_rows = n_rows;
    frame->n_columns = n_columns;
    frame->columns = lathe__calloc(ctx, n_columns, sizeof *frame->columns);
    frame->roles = lathe__calloc(ctx, n_columns, sizeof *frame->roles);
    if (!frame->columns || !frame->roles) {
        lathe_frame_free(frame);
        return NULL;
    }
    return frame;
}

void lathe__frame_put(lathe_frame *frame, size_t i, lathe__column *column)
{
    assert(i < frame->n_columns && column->n_rows >= frame->n_rows);
    lathe__column_release(frame->ctx, frame->columns[i]);
    frame->columns[i] = column;
}

void lathe_frame_free(lathe_frame *frame)
{
    if (!frame)
        return;
    lathe_ctx *ctx = frame->ctx;
    for (size_t i = 0; i < frame->n_columns && frame->columns; i++)
        lathe__column_release(ctx, frame->columns[i]);
    lathe__free(ctx, frame->columns);
    lathe__free(ctx, frame->roles);
    lathe__free(ctx, frame->rows);
    lathe__free(ctx, frame);
}

size_t lathe_frame_n_rows(const lathe_frame *frame)
{
    return frame->n_rows;
}

size_t lathe_frame_n_columns(const lathe_frame *frame)
{
    return frame->n_columns;
}

bool lathe_frame_find(const lathe_frame *frame, const char *name, size_t *index)
{
    for (size_t i = 0; i < frame->n_columns; i++) {
        if (strcmp(frame->columns[i]->name, name) == 0) {
            *index = i;
            return true;
        }
    }
    return false;
}

static const lathe__column *column_at(const lathe_frame *frame, size_t column)
{
    assert(column < frame->n_columns);
    return frame->columns[column];
}

const char *lathe_frame_column_name(const lathe_frame *frame, size_t column)
{
    return column_at(frame, column)->name;
}

lathe_kind lathe_frame_column_kind(const lathe_frame *frame, size_t column)
{
    return column_at(frame, column)->kind;
}

lathe_role lathe_frame_column_role(const lathe_frame *frame, size_t column)
{
    assert(column < frame->n_columns);
    return frame->roles[column];
}

void lathe_frame_set_role(lathe_frame *frame, size_t column, lathe_role role)
{
    assert(column < frame->n_columns && (unsigned)role < LATHE_ROLE_COUNT);
    frame->roles[column] = role;
}

size_t lathe_frame_column_missing(const lathe_frame *frame, size_t column)
{
    const lathe__column *col = column_at(frame, column);
    if (!col->missing)
        return 0;
    if (!frame->rows)
        return col->n_missing;
    size_t count = 0;
    for (size_t r = 0; r < frame->n_rows; r++)
        count += lathe__bit_get(col->missing, frame->rows[r]);
    return count;
}

bool lathe_frame_is_missing(const lathe_frame *frame, size_t column, size_t row)
{
    assert(row < frame->n_rows);
    return lathe__bit_get(column_at(frame, column)->missing, lathe__frame_row(frame, row));
}

static const lathe__column *typed_column(const lathe_frame *frame, size_t column, lathe_kind kind,
                                         size_t row)
{
    const lathe__column *col = column_at(frame, column);
    assert(col->kind == kind && row < frame->n_rows);
    (void)kind;
    (void)row;
    return col;
}

double lathe_frame_numeric(const lathe_frame *frame, size_t column, size_t row)
{
    const lathe__column *col = typed_column(frame, column, LATHE_KIND_NUMERIC, row);
    return col->numeric[lathe__frame_row(frame, row)];
}

int32_t lathe_frame_category(const lathe_frame *frame, size_t column, size_t row)
{
    const lathe__column *col = typed_column(frame, column, LATHE_KIND_CATEGORICAL, row);
    return col->codes[lathe__frame_row(frame, row)];
}

bool lathe_frame_boolean(const lathe_frame *frame, size_t column, size_t row)
{
    const lathe__column *col = typed_column(frame, column, LATHE_KIND_BOOLEAN, row);
    return col->boolean[lathe__frame_row(frame, row)] != 0;
}

int64_t lathe_frame_datetime(const lathe_frame *frame, size_t column, size_t row)
{
    const lathe__column *col = typed_column(frame, column, LATHE_KIND_DATETIME, row);
    return col->datetime[lathe__frame_row(frame, row)];
}

const char *lathe_frame_text(const lathe_frame *frame, size_t column, size_t row, size_t *length)
{
    const lathe__column *col = typed_column(frame, column, LATHE_KIND_TEXT, row);
    size_t r = lathe__frame_row(frame, row);
    *length = (size_t)(col->offsets[r + 1] - col->offsets[r]);
    return col->bytes + col->offsets[r];
}

size_t lathe_frame_n_categories(const lathe_frame *frame, size_t column)
{
    return column_at(frame, column)->n_categories;
}

const char *lathe_frame_category_name(const lathe_frame *frame, size_t column, int32_t code)
{
    const lathe__column *col = column_at(frame, column);
    assert(code >= 0 && (size_t)code < col->n_categories);
    return col->categories[code];
}

size_t lathe_frame_category_count(const lathe_frame *frame, size_t column, int32_t code)
{
    const lathe__column *col = column_at(frame, column);
    assert(code >= 0 && (size_t)code < col->n_categories);
    return col->category_counts[code];
}

void lathe_frame_numeric_gather(const lathe_frame *frame, size_t column, double *out)
{
    const lathe__column *col = column_at(frame, column);
    assert(col->kind == LATHE_KIND_NUMERIC);
    if (!frame->rows) {
        memcpy(out, col->numeric, frame->n_rows * sizeof *out);
        return;
    }
    for (size_t r = 0; r < frame->n_rows; r++)
        out[r] = col->numeric[frame->rows[r]];
}

lathe_status lathe_frame_select(const lathe_frame *frame, const size_t *columns, size_t n_columns,
                                lathe_frame **out, lathe_error *err)
{
    for (size_t i = 0; i < n_columns; i++) {
        if (columns[i] >= frame->n_columns)
            return lathe__error(err, LATHE_INVALID,
                                "column %zu is out of range (the frame has %zu)", columns[i],
                                frame->n_columns);
    }
    lathe_frame *selected = lathe__frame_new(frame->ctx, n_columns, frame->n_rows);
    if (!selected)
        return lathe__error_nomem(err);
    if (frame->rows) {
        selected->rows = lathe__calloc(frame->ctx, frame->n_rows, sizeof *selected->rows);
        if (!selected->rows) {
            lathe_frame_free(selected);
            return lathe__error_nomem(err);
        }
        memcpy(selected->rows, frame->rows, frame->n_rows * sizeof *selected->rows);
    }
    for (size_t i = 0; i < n_columns; i++) {
        lathe__column_retain(frame->columns[columns[i]]);
        selected->columns[i] = frame->columns[columns[i]];
        selected->roles[i] = frame->roles[columns[i]];
    }
    *out = selected;
    return LATHE_OK;
}

lathe_status lathe_frame_take(const lathe_frame *frame, const size_t *rows, size_t n_rows,
                              lathe_frame **out, lathe_error *err)
{
    for (size_t r = 0; r < n_rows; r++) {
        if (rows[r] >= frame->n_rows)
            return lathe__error(err, LATHE_INVALID, "row %zu is out of range (the frame has %zu)",
                                rows[r], frame->n_rows);
    }
    lathe_frame *taken = lathe__frame_new(frame->ctx, frame->n_columns, n_rows);
    if (!taken)
        return lathe__error_nomem(err);
    taken->rows = lathe__calloc(frame->ctx, n_rows, sizeof *taken->rows);
    if (!taken->rows) {
        lathe_frame_free(taken);
        return lathe__error_nomem(err);
    }
    for (size_t r = 0; r < n_rows; r++)
        taken->rows[r] = lathe__frame_row(frame, rows[r]);
    for (size_t i = 0; i < frame->n_columns; i++) {
        lathe__column_retain(frame->columns[i]);
        taken->columns[i] = frame->columns[i];
        taken->roles[i] = frame->roles[i];
    }
    *out = taken;
    return LATHE_OK;
}

size_t lathe_datetime_format(int64_t micros, bool date_only, char *buf, size_t size)
{
    return lathe__format_datetime(micros, date_only, buf, size);
}

bool lathe_frame_date_only(const lathe_frame *frame, size_t column)
{
    return column_at(frame, column)->date_only;
}
