/*
 * matrix.h: the numeric inputs models train and predict on (internal).
 *
 * The pipeline turns a frame into one of these; models never see frames.
 * Dense matrices are row-major doubles; sparse ones are CSR (LibSVM input,
 * wide one-hot encodings). Both hold no missing values: the pipeline has
 * imputed them. A matrix owns its arrays unless `borrowed` is set.
 */
#ifndef LATHE_MATRIX_H
#define LATHE_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"

typedef struct lathe__matrix {
    size_t n_rows;
    size_t n_cols;
    /* dense: values[row * n_cols + col]; sparse: NULL */
    double *dense;
    /* sparse (CSR): row r's entries are [row_start[r], row_start[r + 1]) */
    size_t *row_start;
    uint32_t *col_index;
    double *sparse_values;
    bool borrowed;
} lathe__matrix;

static inline bool lathe__matrix_is_sparse(const lathe__matrix *m)
{
    return m->dense == NULL;
}

/* A zero-filled dense matrix. */
lathe_status lathe__matrix_dense_new(lathe_ctx *ctx, size_t n_rows, size_t n_cols,
                                     lathe__matrix *out, lathe_error *err);
void lathe__matrix_release(lathe_ctx *ctx, lathe__matrix *m);

/* The CSR copy of a dense matrix, exact zeros left out. */
lathe_status lathe__matrix_to_sparse(lathe_ctx *ctx, const lathe__matrix *dense, lathe__matrix *out,
                                     lathe_error *err);
/*
 * Checks what a model relies on: every value finite, and for CSR that row
 * starts never decrease and every column index is below n_cols. The message
 * names the first bad cell ("row 17, column 3 is not a finite number").
 */
lathe_status lathe__matrix_check(const lathe__matrix *m, lathe_error *err);

/*
 * Row `row` as *count values: *cols gets their column indices, or NULL when
 * the matrix is dense and values[k] is column k. For solvers with their own
 * inner loops.
 */
static inline size_t lathe__matrix_row(const lathe__matrix *m, size_t row, const double **values,
                                       const uint32_t **cols)
{
    if (m->dense) {
        *values = m->dense + row * m->n_cols;
        *cols = NULL;
        return m->n_cols;
    }
    *values = m->sparse_values + m->row_start[row];
    *cols = m->col_index + m->row_start[row];
    return m->row_start[row + 1] - m->row_start[row];
}

/* w . x_row (w has n_cols entries). */
double lathe__matrix_row_dot(const lathe__matrix *m, size_t row, const double *w);
/* g += alpha * x_row. */
void lathe__matrix_row_axpy(const lathe__matrix *m, size_t row, double alpha, double *g);

/*
 * Many vectors at once (w and g hold n_vectors rows of n_cols): out[v] =
 * w_v . x_row, and g_v += alpha[v] * x_row. One pass over the row keeps
 * n_vectors independent sums going; each sum runs in column order, so dense
 * and CSR rows give the same bits.
 */
void lathe__matrix_row_dots(const lathe__matrix *m, size_t row, const double *w, size_t n_vectors,
                            double *out);
void lathe__matrix_row_axpys(const lathe__matrix *m, size_t row, const double *alpha,
                             size_t n_vectors, double *g);

#endif
