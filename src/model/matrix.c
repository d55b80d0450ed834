/*
 * matrix.c: dense and CSR matrices for models.
 *
 * Row products add column c into partial sum c % 4, in column order, dense
 * or sparse alike: a dense row adds only exact zeros where a CSR row has no
 * entry, so a model fitted on the CSR copy of a dense matrix gets the same
 * bits (CSR rows must list their columns in increasing order for that).
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/matrix.h"

#include "core/banned.h"

lathe_status lathe__matrix_dense_new(lathe_ctx *ctx, size_t n_rows, size_t n_cols,
                                     lathe__matrix *out, lathe_error *err)
{
    memset(out, 0, sizeof *out);
    size_t cells;
    if (lathe__mul_overflows(n_rows, n_cols, &cells))
        return lathe__error(err, LATHE_LIMIT, "matrix of %zu rows by %zu columns is too large",
                            n_rows, n_cols);
    out->dense = lathe__calloc(ctx, cells ? cells : 1, sizeof(double));
    if (!out->dense)
        return lathe__error_nomem(err);
    out->n_rows = n_rows;
    out->n_cols = n_cols;
    return LATHE_OK;
}

void lathe__matrix_release(lathe_ctx *ctx, lathe__matrix *m)
{
    if (!m->borrowed) {
        lathe__free(ctx, m->dense);
        lathe__free(ctx, m->row_start);
        lathe__free(ctx, m->col_index);
        lathe__free(ctx, m->sparse_values);
    }
    memset(m, 0, sizeof *m);
}

static size_t count_nonzeros(const lathe__matrix *dense)
{
    size_t count = 0, cells = dense->n_rows * dense->n_cols;
    for (size_t i = 0; i < cells; i++)
        count += dense->dense[i] != 0.0;
    return count;
}

lathe_status lathe__matrix_to_sparse(lathe_ctx *ctx, const lathe__matrix *dense, lathe__matrix *out,
                                     lathe_error *err)
{
    memset(out, 0, sizeof *out);
    if (dense->n_cols > UINT32_MAX)
        return lathe__error(err, LATHE_LIMIT, "%zu columns is too many for a sparse matrix",
                            dense->n_cols);
    size_t nonzeros = count_nonzeros(dense);
    lathe__matrix m = {.n_rows = dense->n_rows, .n_cols = dense->n_cols};
    m.row_start = lathe__calloc(ctx, dense->n_rows + 1, sizeof *m.row_start);
    m.col_index = lathe__calloc(ctx, nonzeros ? nonzeros : 1, sizeof *m.col_index);
    m.sparse_values = lathe__calloc(ctx, nonzeros ? nonzeros : 1, sizeof *m.sparse_values);
    if (!m.row_start || !m.col_index || !m.sparse_values) {
        lathe__matrix_release(ctx, &m);
        return lathe__error_nomem(err);
    }
    size_t at = 0;
    for (size_t row = 0; row < dense->n_rows; row++) {
        const double *values = dense->dense + row * dense->n_cols;
        for (size_t col = 0; col < dense->n_cols; col++) {
            if (values[col] == 0.0)
                continue;
            m.col_index[at] = (uint32_t)col;
            m.sparse_values[at++] = values[col];
        }
        m.row_start[row + 1] = at;
    }
    *out = m;
    return LATHE_OK;
}

static lathe_status check_sparse_structure(const lathe__matrix *m, lathe_error *err)
{
    for (size_t row = 0; row < m->n_rows; row++) {
        if (m->row_start[row + 1] < m->row_start[row])
            return lathe__error(err, LATHE_INVALID, "sparse row %zu ends before it starts", row);
        for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++)
            if (m->col_index[k] >= m->n_cols)
                return lathe__error(err, LATHE_INVALID,
                                    "row %zu has column %u but the matrix has %zu columns", row,
                                    m->col_index[k], m->n_cols);
    }
    return LATHE_OK;
}

lathe_status lathe__matrix_check(const lathe__matrix *m, lathe_error *err)
{
    if (lathe__matrix_is_sparse(m)) {
        lathe_status status = check_sparse_structure(m, err);
        if (status != LATHE_OK)
            return status;
    }
    for (size_t row = 0; row < m->n_rows; row++) {
        const double *values;
        const uint32_t *cols;
        size_t count = lathe__matrix_row(m, row, &values, &cols);
        for (size_t k = 0; k < count; k++)
            if (!isfinite(values[k]))
                return lathe__error(err, LATHE_INVALID,
                                    "row %zu, column %zu is not a finite number", row,
                                    cols ? (size_t)cols[k] : k);
    }
    return LATHE_OK;
}

/* Column c goes to partial sum c % 4, dense or sparse: four chains run in parallel. */
double lathe__matrix_row_dot(const lathe__matrix *m, size_t row, const double *w)
{
    double sum[4] = {0.0, 0.0, 0.0, 0.0};
    if (!m->dense) {
        for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++)
            sum[m->col_index[k] & 3] += m->sparse_values[k] * w[m->col_index[k]];
        return (sum[0] + sum[1]) + (sum[2] + sum[3]);
    }
    const double *x = m->dense + row * m->n_cols;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t col = 0;
    for (; col + 4 <= m->n_cols; col += 4) {
        s0 += x[col] * w[col];
        s1 += x[col + 1] * w[col + 1];
        s2 += x[col + 2] * w[col + 2];
        s3 += x[col + 3] * w[col + 3];
    }
    switch (m->n_cols - col) { /* col is a multiple of 4: column col + k goes to sum k */
    case 3:
        s2 += x[col + 2] * w[col + 2];
        /* fall through */
    case 2:
        s1 += x[col + 1] * w[col + 1];
        /* fall through */
    case 1:
        s0 += x[col] * w[col];
        break;
    default:
        break;
    }
    return (s0 + s1) + (s2 + s3);
}

void lathe__matrix_row_dots(const lathe__matrix *m, size_t row, const double *w, size_t n_vectors,
                            double *out)
{
    const double *values;
    const uint32_t *cols;
    size_t count = lathe__matrix_row(m, row, &values, &cols), d = m->n_cols;
    for (size_t v = 0; v < n_vectors; v++)
        out[v] = 0.0;
    for (size_t k = 0; k < count; k++) {
        size_t col = cols ? cols[k] : k;
        for (size_t v = 0; v < n_vectors; v++)
            out[v] += values[k] * w[v * d + col];
    }
}

void lathe__matrix_row_axpys(const lathe__matrix *m, size_t row, const double *alpha,
                             size_t n_vectors, double *g)
{
    const double *values;
    const uint32_t *cols;
    size_t count = lathe__matrix_row(m, row, &values, &cols), d = m->n_cols;
    for (size_t k = 0; k < count; k++) {
        size_t col = cols ? cols[k] : k;
        for (size_t v = 0; v < n_vectors; v++)
            g[v * d + col] += alpha[v] * values[k];
    }
}

void lathe__matrix_row_axpy(const lathe__matrix *m, size_t row, double alpha, double *g)
{
    if (m->dense) {
        const double *x = m->dense + row * m->n_cols;
        for (size_t col = 0; col < m->n_cols; col++)
            g[col] += alpha * x[col];
        return;
    }
    for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++)
        g[m->col_index[k]] += alpha * m->sparse_values[k];
}
