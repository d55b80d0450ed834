/*
 * reference.c: building, saving and loading reference statistics (see
 * reference.h). Bin edges are distinct deciles of the non-missing values,
 * so a column with few distinct values gets fewer, exact bins.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/radix.h"
#include "prep/step.h"
#include "train/reference.h"

#include "core/banned.h"

#define MAX_LOADED_CATEGORIES (1u << 24)

static double cell_number(const lathe_frame *frame, size_t column, size_t row)
{
    if (lathe_frame_column_kind(frame, column) == LATHE_KIND_DATETIME)
        return (double)lathe_frame_datetime(frame, column, row);
    return lathe_frame_numeric(frame, column, row);
}

/* The bin of `value`: the first edge at or above it. */
static size_t bin_of(const double *edges, size_t n_edges, double value)
{
    size_t low = 0, high = n_edges;
    while (low < high) {
        size_t mid = (low + high) / 2;
        if (edges[mid] < value)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

static lathe_status numeric_stats(lathe_ctx *ctx, const lathe_frame *frame, size_t column,
                                  lathe__reference_column *out, lathe_error *err)
{
    size_t n_rows = lathe_frame_n_rows(frame), n = 0;
    double *values = lathe__calloc(ctx, n_rows ? n_rows : 1, sizeof *values);
    out->edges = lathe__calloc(ctx, LATHE__REFERENCE_BINS, sizeof *out->edges);
    out->bin_counts = lathe__calloc(ctx, LATHE__REFERENCE_BINS + 1, sizeof *out->bin_counts);
    if (!values || !out->edges || !out->bin_counts) {
        lathe__free(ctx, values);
        return lathe__error_nomem(err);
    }
    double sum = 0, sum_sq = 0;
    bool nan = false;
    for (size_t r = 0; r < n_rows; r++) {
        if (lathe_frame_is_missing(frame, column, r))
            continue;
        values[n] = cell_number(frame, column, r);
        nan |= isnan(values[n]);
        sum += values[n];
        n++;
    }
    out->mean = n ? sum / (double)n : NAN;
    for (size_t i = 0; i < n; i++)
        sum_sq += (values[i] - out->mean) * (values[i] - out->mean);
    out->std = n > 1 ? sqrt(sum_sq / (double)(n - 1)) : 0.0;
    /* The edges are order statistics: selecting them is enough, as sorting was. */
    size_t positions[LATHE__REFERENCE_BINS - 1];
    for (size_t b = 1; b < LATHE__REFERENCE_BINS; b++)
        positions[b - 1] = n ? (n - 1) * b / LATHE__REFERENCE_BINS : 0;
    if (nan)
        lathe__sort_doubles(ctx, values, n);
    else
        lathe__select_positions(ctx, values, n, positions, LATHE__REFERENCE_BINS - 1);
    for (size_t b = 1; b < LATHE__REFERENCE_BINS && n; b++) {
        double edge = values[(n - 1) * b / LATHE__REFERENCE_BINS];
        if (out->n_edges == 0 || edge > out->edges[out->n_edges - 1])
            out->edges[out->n_edges++] = edge;
    }
    for (size_t i = 0; i < n; i++)
        out->bin_counts[bin_of(out->edges, out->n_edges, values[i])]++;
    lathe__free(ctx, values);
    return LATHE_OK;
}

static lathe_status category_stats(lathe_ctx *ctx, const lathe_frame *frame, size_t column,
                                   lathe__reference_column *out, lathe_error *err)
{
    bool boolean = lathe_frame_column_kind(frame, column) == LATHE_KIND_BOOLEAN;
    size_t n = boolean ? 2 : lathe_frame_n_categories(frame, column);
    out->categories = lathe__calloc(ctx, n ? n : 1, sizeof *out->categories);
    out->category_counts = lathe__calloc(ctx, n ? n : 1, sizeof *out->category_counts);
    if (!out->categories || !out->category_counts)
        return lathe__error_nomem(err);
    out->n_categories = n;
    for (size_t c = 0; c < n; c++) {
        const char *name =
            boolean ? (c ? "true" : "false") : lathe_frame_category_name(frame, column, (int32_t)c);
        if (!(out->categories[c] = lathe__strndup(ctx, name, strlen(name))))
            return lathe__error_nomem(err);
    }
    for (size_t r = 0; r < lathe_frame_n_rows(frame); r++) {
        if (lathe_frame_is_missing(frame, column, r))
            continue;
        size_t code = boolean ? lathe_frame_boolean(frame, column, r)
                              : (size_t)lathe_frame_category(frame, column, r);
        out->category_counts[code]++;
    }
    return LATHE_OK;
}

lathe_status lathe__reference_build(lathe_ctx *ctx, const lathe_frame *frame, lathe__reference *out,
                                    lathe_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n_columns = lathe_frame_n_columns(frame);
    out->columns = lathe__calloc(ctx, n_columns ? n_columns : 1, sizeof *out->columns);
    if (!out->columns)
        return lathe__error_nomem(err);
    lathe_status status = LATHE_OK;
    for (size_t c = 0; c < n_columns && status == LATHE_OK; c++) {
        lathe__reference_column *col = &out->columns[out->n_columns++];
        const char *name = lathe_frame_column_name(frame, c);
        col->kind = lathe_frame_column_kind(frame, c);
        col->n_rows = lathe_frame_n_rows(frame);
        col->n_missing = lathe_frame_column_missing(frame, c);
        if (!(col->name = lathe__strndup(ctx, name, strlen(name))))
            status = lathe__error_nomem(err);
        else if (col->kind == LATHE_KIND_NUMERIC || col->kind == LATHE_KIND_DATETIME)
            status = numeric_stats(ctx, frame, c, col, err);
        else if (col->kind == LATHE_KIND_CATEGORICAL || col->kind == LATHE_KIND_BOOLEAN)
            status = category_stats(ctx, frame, c, col, err);
    }
    if (status != LATHE_OK)
        lathe__reference_release(ctx, out);
    return status;
}

void lathe__reference_release(lathe_ctx *ctx, lathe__reference *reference)
{
    for (size_t i = 0; i < reference->n_columns; i++) {
        lathe__reference_column *col = &reference->columns[i];
        lathe__free(ctx, col->name);
        lathe__free(ctx, col->edges);
        lathe__free(ctx, col->bin_counts);
        for (size_t c = 0; c < col->n_categories && col->categories; c++)
            lathe__free(ctx, col->categories[c]);
        lathe__free(ctx, col->categories);
        lathe__free(ctx, col->category_counts);
    }
    lathe__free(ctx, reference->columns);
    memset(reference, 0, sizeof *reference);
}

void lathe__reference_save(const lathe__reference *reference, lathe__wbuf *buf)
{
    lathe__wbuf_u64(buf, reference->n_columns);
    for (size_t i = 0; i < reference->n_columns; i++) {
        const lathe__reference_column *col = &reference->columns[i];
        lathe__wbuf_cstring(buf, col->name);
        lathe__wbuf_u8(buf, (uint8_t)col->kind);
        lathe__wbuf_u64(buf, col->n_rows);
        lathe__wbuf_u64(buf, col->n_missing);
        lathe__wbuf_f64(buf, col->mean);
        lathe__wbuf_f64(buf, col->std);
        lathe__wbuf_u8(buf, col->bin_counts != NULL);
        if (col->bin_counts) {
            lathe__wbuf_f64_array(buf, col->edges, col->n_edges);
            for (size_t b = 0; b <= col->n_edges; b++)
                lathe__wbuf_u64(buf, col->bin_counts[b]);
        }
        lathe__wbuf_u64(buf, col->n_categories);
        for (size_t c = 0; c < col->n_categories; c++) {
            lathe__wbuf_cstring(buf, col->categories[c]);
            lathe__wbuf_u64(buf, col->category_counts[c]);
        }
    }
}

static void load_bins(lathe_ctx *ctx, lathe__rbuf *buf, lathe__reference_column *col)
{
    if (!lathe__rbuf_u8(buf) || buf->failed)
        return;
    col->edges = lathe__rbuf_f64_array(buf, ctx, LATHE__REFERENCE_BINS, &col->n_edges);
    if (buf->failed)
        return;
    col->bin_counts = lathe__calloc(ctx, col->n_edges + 1, sizeof *col->bin_counts);
    if (!col->bin_counts) {
        lathe__rbuf_fail(buf, "out of memory");
        return;
    }
    for (size_t b = 0; b <= col->n_edges; b++)
        col->bin_counts[b] = lathe__rbuf_u64(buf);
}

static void load_categories(lathe_ctx *ctx, lathe__rbuf *buf, lathe__reference_column *col)
{
    size_t n = lathe__rbuf_count(buf, MAX_LOADED_CATEGORIES, 16);
    if (n == 0 || buf->failed)
        return;
    col->categories = lathe__calloc(ctx, n, sizeof *col->categories);
    col->category_counts = lathe__calloc(ctx, n, sizeof *col->category_counts);
    if (!col->categories || !col->category_counts) {
        lathe__rbuf_fail(buf, "out of memory");
        return;
    }
    col->n_categories = n;
    for (size_t c = 0; c < n && !buf->failed; c++) {
        col->categories[c] = lathe__rbuf_string(buf, ctx, 1 << 20);
        col->category_counts[c] = lathe__rbuf_u64(buf);
    }
}

lathe_status lathe__reference_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__reference *out,
                                   lathe_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n = lathe__rbuf_count(buf, 1 << 20, 64);
    out->columns = lathe__calloc(ctx, n ? n : 1, sizeof *out->columns);
    if (!out->columns)
        return lathe__error_nomem(err);
    for (size_t i = 0; i < n && !buf->failed; i++) {
        lathe__reference_column *col = &out->columns[out->n_columns++];
        col->name = lathe__rbuf_string(buf, ctx, 1 << 16);
        uint8_t kind = lathe__rbuf_u8(buf);
        if (kind >= LATHE_KIND_COUNT && !buf->failed)
            lathe__rbuf_fail(buf, "unknown column kind %u", kind);
        col->kind = (lathe_kind)kind;
        col->n_rows = lathe__rbuf_u64(buf);
        col->n_missing = lathe__rbuf_u64(buf);
        col->mean = lathe__rbuf_f64(buf);
        col->std = lathe__rbuf_f64(buf);
        load_bins(ctx, buf, col);
        load_categories(ctx, buf, col);
    }
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status != LATHE_OK)
        lathe__reference_release(ctx, out);
    return status;
}
