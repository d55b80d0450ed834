/*
 * reference.h: the training data's reference statistics (internal).
 *
 * Kept in the artifact so drift can be measured later against what the
 * model saw: per input column, numeric values as counts over ten
 * quantile bins (plus missing), categories as frequencies by name. Built
 * from the training rows only; names, not codes, identify categories, so a
 * later frame with another dictionary compares correctly.
 */
#ifndef LATHE_TRAIN_REFERENCE_H
#define LATHE_TRAIN_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "lathe/frame.h"

#define LATHE__REFERENCE_BINS 10

typedef struct lathe__reference_column {
    char *name;
    lathe_kind kind;
    size_t n_rows;
    size_t n_missing;
    /* numeric and datetime: bin i holds values in (edges[i-1], edges[i]]; the
     * first bin is (-inf, edges[0]] and the last (edges[n_edges-1], +inf) */
    double *edges;
    size_t n_edges;
    size_t *bin_counts; /* n_edges + 1 */
    double mean;
    double std;
    /* categorical and boolean */
    char **categories;
    size_t *category_counts;
    size_t n_categories;
} lathe__reference_column;

typedef struct lathe__reference {
    lathe__reference_column *columns;
    size_t n_columns;
} lathe__reference;

/* Statistics of every column of `frame` (the training rows' feature columns). */
lathe_status lathe__reference_build(lathe_ctx *ctx, const lathe_frame *frame, lathe__reference *out,
                                    lathe_error *err);
void lathe__reference_release(lathe_ctx *ctx, lathe__reference *reference);
void lathe__reference_save(const lathe__reference *reference, lathe__wbuf *buf);
lathe_status lathe__reference_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__reference *out,
                                   lathe_error *err);

#endif
