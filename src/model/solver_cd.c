/*
 * solver_cd.c: cyclic coordinate descent for the elastic net,
 *
 *     0.5 sum_i s_i (y_i - b - x_i.w)^2 + l1 |w|_1 + 0.5 l2 |w|^2,
 *
 * the algorithm of glmnet and of scikit-learn's Lasso and ElasticNet, with
 * scikit-learn's stopping rule: once the largest coordinate change is small
 * against the largest coordinate, compute the duality gap and stop when it
 * is at most tol * sum_i s_i (y_i - mean y)^2. Needs l1 > 0 (the gap is that
 * of the L1 problem); ridge goes through solver_normal.c.
 *
 * Two forms:
 *  - Gram: every update costs O(n_features) on X'SX, nothing per row.
 *  - Columns: a column-major (dense) or CSC (sparse) copy of X and a running
 *    residual. Dense columns are centered, so the intercept separates; sparse
 *    columns stay uncentered to keep their zeros, and the intercept is a
 *    coordinate of its own updated after every sweep. After that update the
 *    residual has zero weighted mean, which makes the gap formula exact.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/solver.h"

#include "core/banned.h"

static double soft_threshold(double value, double threshold)
{
    if (value > threshold)
        return value - threshold;
    if (value < -threshold)
        return value + threshold;
    return 0.0;
}

/* The pieces of the duality gap, in either form. */
typedef struct gap_terms {
    double r_norm2;       /* sum s r^2 */
    double r_dot_y;       /* sum s r y_c */
    double dual_norm_xta; /* max_j |x_j' S r - l2 w_j| */
    double w_norm2, w_l1;
} gap_terms;

static double duality_gap(const gap_terms *t, const lathe__enet_options *options)
{
    double scale = 1.0, gap;
    if (t->dual_norm_xta > options->l1) {
        scale = options->l1 / t->dual_norm_xta;
        gap = 0.5 * (t->r_norm2 + t->r_norm2 * scale * scale);
    } else {
        gap = t->r_norm2;
    }
    return gap + options->l1 * t->w_l1 - scale * t->r_dot_y +
           0.5 * options->l2 * (1.0 + scale * scale) * t->w_norm2;
}

static void weight_norms(const double *w, size_t d, gap_terms *t)
{
    for (size_t j = 0; j < d; j++) {
        t->w_norm2 += w[j] * w[j];
        t->w_l1 += fabs(w[j]);
    }
}

/* sklearn's trigger for computing the gap. */
static bool time_for_gap(double w_max, double dw_max, double tol, size_t iteration, size_t max_iter)
{
    return w_max == 0.0 || dw_max / w_max < tol || iteration + 1 >= max_iter;
}

/* ---- Gram form ---------------------------------------------------------- */

static double gram_gap(const lathe__normal_equations *ne, const lathe__enet_options *options,
                       const double *w, const double *h)
{
    size_t d = ne->n_features;
    gap_terms t = {0};
    double q_dot_w = 0.0, w_dot_h = 0.0;
    for (size_t j = 0; j < d; j++) {
        q_dot_w += ne->xty[j] * w[j];
        w_dot_h += w[j] * h[j];
        double xta = ne->xty[j] - h[j] - options->l2 * w[j];
        t.dual_norm_xta = fmax(t.dual_norm_xta, fabs(xta));
    }
    t.r_norm2 = fmax(ne->yty - 2.0 * q_dot_w + w_dot_h, 0.0);
    t.r_dot_y = ne->yty - q_dot_w;
    weight_norms(w, d, &t);
    return duality_gap(&t, options);
}

/* One sweep; h = gram w is kept current. */
static void gram_sweep(const lathe__normal_equations *ne, const lathe__enet_options *options,
                       double *w, double *h, double *w_max, double *dw_max)
{
    size_t d = ne->n_features;
    *w_max = *dw_max = 0.0;
    for (size_t j = 0; j < d; j++) {
        const double *column = ne->gram + j * d; /* symmetric: row j is column j */
        double diagonal = column[j];
        if (diagonal == 0.0)
            continue;
        double old = w[j];
        double rho = ne->xty[j] - h[j] + diagonal * old;
        w[j] = soft_threshold(rho, options->l1) / (diagonal + options->l2);
        double change = w[j] - old;
        if (change != 0.0)
            for (size_t k = 0; k < d; k++)
                h[k] += change * column[k];
        *dw_max = fmax(*dw_max, fabs(change));
        *w_max = fmax(*w_max, fabs(w[j]));
    }
}

lathe_status lathe__enet_gram(lathe_ctx *ctx, const lathe__normal_equations *ne,
                              const lathe__enet_options *options, double *w,
                              lathe__solver_report *report, lathe_error *err)
{
    memset(report, 0, sizeof *report);
    size_t d = ne->n_features;
    double *h = lathe__calloc(ctx, d ? d : 1, sizeof(double));
    if (!h)
        return lathe__error_nomem(err);
    for (size_t j = 0; j < d; j++)
        for (size_t k = 0; k < d; k++)
            h[j] += ne->gram[j * d + k] * w[k];
    double target = options->tol * ne->yty;
    lathe_status status = LATHE_OK;
    while (report->iterations < options->max_iter) {
        if (lathe__progress(ctx, "fit", (double)report->iterations, (double)options->max_iter)) {
            status = lathe__error(err, LATHE_CANCELED, "fit canceled");
            break;
        }
        double w_max, dw_max;
        gram_sweep(ne, options, w, h, &w_max, &dw_max);
        report->iterations++;
        if (!time_for_gap(w_max, dw_max, options->tol, report->iterations - 1, options->max_iter))
            continue;
        report->criterion = gram_gap(ne, options, w, h);
        if (report->criterion <= target) {
            report->converged = true;
            break;
        }
    }
    lathe__free(ctx, h);
    return status;
}

/* ---- Column form -------------------------------------------------------- */

typedef struct columns {
    size_t n_rows, n_cols;
    double *dense;       /* column-major, or NULL */
    size_t *col_start;   /* CSC */
    uint32_t *row_index; /* CSC */
    double *values;      /* CSC */
    double *shift;       /* what was subtracted from column j (its mean), or 0 */
    double *norm;        /* sum_i s_i x_ij^2 of the stored column */
} columns;

static void columns_release(lathe_ctx *ctx, columns *c)
{
    lathe__free(ctx, c->dense);
    lathe__free(ctx, c->col_start);
    lathe__free(ctx, c->row_index);
    lathe__free(ctx, c->values);
    lathe__free(ctx, c->shift);
    lathe__free(ctx, c->norm);
}

/* The stored entries of column j: values and their rows (rows NULL: dense, all of them). */
static size_t column_entries(const columns *c, size_t j, const double **values,
                             const uint32_t **rows)
{
    if (c->dense) {
        *values = c->dense + j * c->n_rows;
        *rows = NULL;
        return c->n_rows;
    }
    *values = c->values + c->col_start[j];
    *rows = c->row_index + c->col_start[j];
    return c->col_start[j + 1] - c->col_start[j];
}

/* sum_i s_i x_ij v_i */
static double column_dot(const columns *c, size_t j, const double *s, const double *v)
{
    const double *values;
    const uint32_t *rows;
    size_t count = column_entries(c, j, &values, &rows);
    double sum = 0.0;
    for (size_t k = 0; k < count; k++) {
        size_t i = rows ? rows[k] : k;
        sum += values[k] * s[i] * v[i];
    }
    return sum;
}

/* r_i -= delta x_ij */
static void column_subtract(const columns *c, size_t j, double delta, double *r)
{
    const double *values;
    const uint32_t *rows;
    size_t count = column_entries(c, j, &values, &rows);
    for (size_t k = 0; k < count; k++)
        r[rows ? rows[k] : k] -= delta * values[k];
}

static lathe_status columns_dense(lathe_ctx *ctx, const lathe__matrix *x, const double *s,
                                  bool center, columns *c, lathe_error *err)
{
    size_t n = x->n_rows, d = x->n_cols, cells;
    if (lathe__mul_overflows(n, d, &cells))
        return lathe__error(err, LATHE_LIMIT, "matrix too large");
    c->dense = lathe__alloc(ctx, (cells ? cells : 1) * sizeof(double));
    if (!c->dense)
        return lathe__error_nomem(err);
    double weight_sum = 0.0;
    for (size_t i = 0; i < n; i++)
        weight_sum += s[i];
    for (size_t j = 0; j < d; j++) {
        double *column = c->dense + j * n, mean = 0.0;
        for (size_t i = 0; i < n; i++) {
            column[i] = x->dense[i * d + j];
            mean += s[i] * column[i];
        }
        mean = center ? mean / weight_sum : 0.0;
        for (size_t i = 0; i < n; i++)
            column[i] -= mean;
        c->shift[j] = mean;
    }
    return LATHE_OK;
}

static lathe_status columns_sparse(lathe_ctx *ctx, const lathe__matrix *x, columns *c,
                                   lathe_error *err)
{
    size_t n = x->n_rows, d = x->n_cols, nonzeros = x->row_start[n];
    if (n > UINT32_MAX)
        return lathe__error(err, LATHE_LIMIT, "%zu rows are too many for sparse columns", n);
    c->col_start = lathe__calloc(ctx, d + 1, sizeof(size_t));
    c->row_index = lathe__calloc(ctx, nonzeros ? nonzeros : 1, sizeof(uint32_t));
    c->values = lathe__calloc(ctx, nonzeros ? nonzeros : 1, sizeof(double));
    size_t *next = lathe__calloc(ctx, d + 1, sizeof(size_t));
    if (!c->col_start || !c->row_index || !c->values || !next) {
        lathe__free(ctx, next);
        return lathe__error_nomem(err);
    }
    for (size_t k = 0; k < nonzeros; k++)
        c->col_start[x->col_index[k] + 1]++;
    for (size_t j = 0; j < d; j++)
        c->col_start[j + 1] += c->col_start[j];
    memcpy(next, c->col_start, (d + 1) * sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        for (size_t k = x->row_start[i]; k < x->row_start[i + 1]; k++) {
            size_t at = next[x->col_index[k]]++;
            c->row_index[at] = (uint32_t)i;
            c->values[at] = x->sparse_values[k];
        }
    lathe__free(ctx, next);
    return LATHE_OK;
}

static lathe_status columns_build(lathe_ctx *ctx, const lathe__matrix *x, const double *s,
                                  bool center, columns *c, lathe_error *err)
{
    memset(c, 0, sizeof *c);
    c->n_rows = x->n_rows;
    c->n_cols = x->n_cols;
    c->shift = lathe__calloc(ctx, x->n_cols ? x->n_cols : 1, sizeof(double));
    c->norm = lathe__calloc(ctx, x->n_cols ? x->n_cols : 1, sizeof(double));
    if (!c->shift || !c->norm)
        return lathe__error_nomem(err);
    lathe_status status =
        x->dense ? columns_dense(ctx, x, s, center, c, err) : columns_sparse(ctx, x, c, err);
    if (status != LATHE_OK)
        return status;
    for (size_t j = 0; j < c->n_cols; j++) {
        const double *values;
        const uint32_t *rows;
        size_t count = column_entries(c, j, &values, &rows);
        for (size_t k = 0; k < count; k++)
            c->norm[j] += s[rows ? rows[k] : k] * values[k] * values[k];
    }
    return LATHE_OK;
}

/* Everything the column form works on. */
typedef struct residual_cd {
    columns c;
    const double *y, *s;
    double *r;
    double offset; /* the intercept of the stored (possibly centered) columns */
    double y_mean, weight_sum;
    bool fit_intercept;
} residual_cd;

static void columns_sweep(residual_cd *cd, const lathe__enet_options *options, double *w,
                          double *w_max, double *dw_max)
{
    *w_max = *dw_max = 0.0;
    for (size_t j = 0; j < cd->c.n_cols; j++) {
        double norm = cd->c.norm[j];
        if (norm == 0.0)
            continue;
        double old = w[j];
        double rho = column_dot(&cd->c, j, cd->s, cd->r) + norm * old;
        w[j] = soft_threshold(rho, options->l1) / (norm + options->l2);
        double change = w[j] - old;
        if (change != 0.0)
            column_subtract(&cd->c, j, change, cd->r);
        *dw_max = fmax(*dw_max, fabs(change));
        *w_max = fmax(*w_max, fabs(w[j]));
    }
    if (!cd->fit_intercept)
        return;
    double mean = 0.0;
    for (size_t i = 0; i < cd->c.n_rows; i++)
        mean += cd->s[i] * cd->r[i];
    mean /= cd->weight_sum;
    cd->offset += mean;
    for (size_t i = 0; i < cd->c.n_rows; i++)
        cd->r[i] -= mean;
}

static double columns_gap(const residual_cd *cd, const lathe__enet_options *options,
                          const double *w)
{
    gap_terms t = {0};
    for (size_t i = 0; i < cd->c.n_rows; i++) {
        t.r_norm2 += cd->s[i] * cd->r[i] * cd->r[i];
        t.r_dot_y += cd->s[i] * cd->r[i] * (cd->y[i] - cd->y_mean);
    }
    for (size_t j = 0; j < cd->c.n_cols; j++) {
        double xta = column_dot(&cd->c, j, cd->s, cd->r) - options->l2 * w[j];
        t.dual_norm_xta = fmax(t.dual_norm_xta, fabs(xta));
    }
    weight_norms(w, cd->c.n_cols, &t);
    return duality_gap(&t, options);
}

/* The residual of the starting point, and the scale of the stopping rule. */
static double residual_start(residual_cd *cd, const double *w, double intercept)
{
    size_t n = cd->c.n_rows;
    cd->offset = 0.0;
    if (cd->fit_intercept) {
        cd->offset = intercept;
        for (size_t j = 0; j < cd->c.n_cols; j++)
            cd->offset += cd->c.shift[j] * w[j];
    }
    double y_sum = 0.0, yy = 0.0;
    cd->weight_sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        cd->r[i] = cd->y[i] - cd->offset;
        y_sum += cd->s[i] * cd->y[i];
        cd->weight_sum += cd->s[i];
    }
    cd->y_mean = cd->fit_intercept ? y_sum / cd->weight_sum : 0.0;
    for (size_t i = 0; i < n; i++)
        yy += cd->s[i] * (cd->y[i] - cd->y_mean) * (cd->y[i] - cd->y_mean);
    for (size_t j = 0; j < cd->c.n_cols; j++)
        if (w[j] != 0.0)
            column_subtract(&cd->c, j, w[j], cd->r);
    return yy;
}

static lathe_status columns_loop(lathe_ctx *ctx, residual_cd *cd,
                                 const lathe__enet_options *options, double *w,
                                 lathe__solver_report *report, double target, lathe_error *err)
{
    while (report->iterations < options->max_iter) {
        if (lathe__progress(ctx, "fit", (double)report->iterations, (double)options->max_iter))
            return lathe__error(err, LATHE_CANCELED, "fit canceled");
        double w_max, dw_max;
        columns_sweep(cd, options, w, &w_max, &dw_max);
        report->iterations++;
        if (!time_for_gap(w_max, dw_max, options->tol, report->iterations - 1, options->max_iter))
            continue;
        report->criterion = columns_gap(cd, options, w);
        if (report->criterion <= target) {
            report->converged = true;
            break;
        }
    }
    return LATHE_OK;
}

lathe_status lathe__enet_columns(lathe_ctx *ctx, const lathe__matrix *x, const double *y,
                                 const double *weights, bool fit_intercept,
                                 const lathe__enet_options *options, double *w, double *intercept,
                                 lathe__solver_report *report, lathe_error *err)
{
    memset(report, 0, sizeof *report);
    size_t n = x->n_rows;
    residual_cd cd = {.y = y, .fit_intercept = fit_intercept};
    double *ones = NULL;
    cd.r = lathe__calloc(ctx, n ? n : 1, sizeof(double));
    if (!weights) {
        ones = lathe__alloc(ctx, (n ? n : 1) * sizeof(double));
        for (size_t i = 0; ones && i < n; i++)
            ones[i] = 1.0;
    }
    cd.s = weights ? weights : ones;
    lathe_status status = LATHE_OK;
    if (!cd.r || !cd.s) {
        status = lathe__error_nomem(err);
        goto out;
    }
    status = columns_build(ctx, x, cd.s, fit_intercept, &cd.c, err);
    if (status != LATHE_OK)
        goto out;
    double yy = residual_start(&cd, w, fit_intercept ? *intercept : 0.0);
    status = columns_loop(ctx, &cd, options, w, report, options->tol * yy, err);
    if (status == LATHE_OK && fit_intercept) {
        *intercept = cd.offset;
        for (size_t j = 0; j < x->n_cols; j++)
            *intercept -= cd.c.shift[j] * w[j];
    }
out:
    columns_release(ctx, &cd.c);
    lathe__free(ctx, cd.r);
    lathe__free(ctx, ones);
    return status;
}
