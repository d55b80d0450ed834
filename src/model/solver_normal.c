/*
 * solver_normal.c: least squares through the normal equations.
 *
 * With few features (the usual case after preprocessing) the weighted,
 * centered Gram matrix X_c' S X_c is built in one pass over the rows and
 * every solver after that costs nothing per row: Cholesky for ridge and
 * ordinary least squares, coordinate descent for the elastic net
 * (solver_cd.c). Dense rows are centered before they are multiplied, which
 * avoids the cancellation of "sum x x' - n mean mean'" on data far from
 * zero; sparse rows are multiplied as they are and corrected afterwards, so
 * their zeros stay free.
 *
 * With many features, conjugate gradients run matrix-free over the rows,
 * centering on the fly.
 *
 * Passes over the rows are cut into blocks fixed by the data's shape, each
 * block sums into its own slot, and the slots are added in block order: the
 * bits do not depend on the thread count.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/parallel.h"
#include "model/solver.h"

#include "core/banned.h"

#define MIN_BLOCK_ROWS 4096
#define SLOT_BUDGET_DOUBLES ((size_t)1 << 25) /* 256 MB of per-block partial sums */

static double weight_of(const double *weights, size_t row)
{
    return weights ? weights[row] : 1.0;
}

static size_t blocks_for(size_t n_rows, size_t slot_doubles)
{
    size_t max_blocks = slot_doubles ? SLOT_BUDGET_DOUBLES / slot_doubles : 64;
    return lathe__row_blocks(n_rows, MIN_BLOCK_ROWS, max_blocks ? max_blocks : 1);
}

/* ---- Weighted means ----------------------------------------------------- */

typedef struct means_pass {
    const lathe__matrix *x;
    const double *y, *weights;
    size_t n_blocks, slot; /* slot: n_cols + 2 doubles (column sums, y sum, weight sum) */
    double *partial;
} means_pass;

static void means_block(void *arg, size_t block)
{
    means_pass *p = arg;
    size_t n = p->x->n_rows, d = p->x->n_cols;
    double *sums = p->partial + block * p->slot;
    for (size_t row = n * block / p->n_blocks; row < n * (block + 1) / p->n_blocks; row++) {
        double s = weight_of(p->weights, row);
        lathe__matrix_row_axpy(p->x, row, s, sums);
        sums[d] += s * p->y[row];
        sums[d + 1] += s;
    }
}

lathe_status lathe__weighted_means(lathe_ctx *ctx, const lathe__matrix *x, const double *y,
                                   const double *weights, double *x_mean, double *y_mean,
                                   double *weight_sum, lathe_error *err)
{
    size_t d = x->n_cols;
    means_pass p = {.x = x, .y = y, .weights = weights, .slot = d + 2};
    p.n_blocks = blocks_for(x->n_rows, p.slot);
    p.partial = lathe__calloc(ctx, p.n_blocks, p.slot * sizeof(double));
    if (!p.partial)
        return lathe__error_nomem(err);
    lathe__parallel_for(ctx, p.n_blocks, means_block, &p);
    double y_sum = 0.0, total = 0.0;
    memset(x_mean, 0, d * sizeof(double));
    for (size_t b = 0; b < p.n_blocks; b++) {
        const double *sums = p.partial + b * p.slot;
        for (size_t j = 0; j < d; j++)
            x_mean[j] += sums[j];
        y_sum += sums[d];
        total += sums[d + 1];
    }
    lathe__free(ctx, p.partial);
    *weight_sum = total;
    if (!(total > 0.0))
        return lathe__error(err, LATHE_INVALID, "the sample weights add up to %g, not above 0",
                            total);
    for (size_t j = 0; j < d; j++)
        x_mean[j] /= total;
    *y_mean = y_sum / total;
    return LATHE_OK;
}

/* ---- Gram matrix -------------------------------------------------------- */

typedef struct gram_pass {
    const lathe__matrix *x;
    const double *y, *weights;
    const lathe__normal_equations *ne;
    size_t n_blocks, slot; /* d*d Gram (upper triangle used), d xty, 1 yty, d scratch */
    double *partial;
} gram_pass;

static void gram_dense_row(const gram_pass *p, size_t row, double *slot)
{
    size_t d = p->x->n_cols;
    double *gram = slot, *xty = slot + d * d, *yty = xty + d, *centered = yty + 1;
    const double *values = p->x->dense + row * d;
    double s = weight_of(p->weights, row), y = p->y[row] - p->ne->y_mean;
    for (size_t j = 0; j < d; j++)
        centered[j] = values[j] - p->ne->x_mean[j];
    for (size_t j = 0; j < d; j++) {
        double sj = s * centered[j];
        double *gram_row = gram + j * d;
        for (size_t k = j; k < d; k++)
            gram_row[k] += sj * centered[k];
        xty[j] += sj * y;
    }
    *yty += s * y * y;
}

/* Sparse rows are accumulated uncentered; gram_finish corrects for the means. */
static void gram_sparse_row(const gram_pass *p, size_t row, double *slot)
{
    size_t d = p->x->n_cols;
    double *gram = slot, *xty = slot + d * d, *yty = xty + d;
    const double *values;
    const uint32_t *cols;
    size_t count = lathe__matrix_row(p->x, row, &values, &cols);
    double s = weight_of(p->weights, row), y = p->y[row];
    for (size_t a = 0; a < count; a++) {
        double sa = s * values[a];
        for (size_t b = 0; b < count; b++)
            if (cols[b] >= cols[a])
                gram[(size_t)cols[a] * d + cols[b]] += sa * values[b];
        xty[cols[a]] += sa * y;
    }
    *yty += s * y * y;
}

static void gram_block(void *arg, size_t block)
{
    gram_pass *p = arg;
    size_t n = p->x->n_rows;
    double *slot = p->partial + block * p->slot;
    for (size_t row = n * block / p->n_blocks; row < n * (block + 1) / p->n_blocks; row++) {
        if (p->x->dense)
            gram_dense_row(p, row, slot);
        else
            gram_sparse_row(p, row, slot);
    }
}

/* Adds the block slots in order, corrects sparse sums for centering, mirrors the triangle. */
static void gram_finish(const gram_pass *p, lathe__normal_equations *ne)
{
    size_t d = ne->n_features;
    for (size_t b = 0; b < p->n_blocks; b++) {
        const double *slot = p->partial + b * p->slot;
        for (size_t i = 0; i < d * d; i++)
            ne->gram[i] += slot[i];
        for (size_t j = 0; j < d; j++)
            ne->xty[j] += slot[d * d + j];
        ne->yty += slot[d * d + d];
    }
    if (!p->x->dense) {
        double S = ne->weight_sum;
        for (size_t j = 0; j < d; j++) {
            for (size_t k = j; k < d; k++)
                ne->gram[j * d + k] -= S * ne->x_mean[j] * ne->x_mean[k];
            ne->xty[j] -= S * ne->x_mean[j] * ne->y_mean;
        }
        ne->yty -= S * ne->y_mean * ne->y_mean;
    }
    for (size_t j = 0; j < d; j++)
        for (size_t k = 0; k < j; k++)
            ne->gram[j * d + k] = ne->gram[k * d + j];
}

void lathe__normal_equations_release(lathe_ctx *ctx, lathe__normal_equations *ne)
{
    lathe__free(ctx, ne->gram);
    lathe__free(ctx, ne->xty);
    lathe__free(ctx, ne->x_mean);
    memset(ne, 0, sizeof *ne);
}

lathe_status lathe__normal_equations_build(lathe_ctx *ctx, const lathe__matrix *x, const double *y,
                                           const double *weights, bool center,
                                           lathe__normal_equations *out, lathe_error *err)
{
    size_t d = x->n_cols, cells, slot;
    lathe__normal_equations ne = {.n_features = d};
    if (lathe__mul_overflows(d, d, &cells) || lathe__add_overflows(cells, 2 * d + 1, &slot))
        return lathe__error(err, LATHE_LIMIT, "%zu features are too many for a Gram matrix", d);
    gram_pass p = {.x = x, .y = y, .weights = weights, .ne = &ne, .slot = slot};
    lathe_status status = LATHE_OK;
    ne.gram = lathe__calloc(ctx, cells ? cells : 1, sizeof(double));
    ne.xty = lathe__calloc(ctx, d ? d : 1, sizeof(double));
    ne.x_mean = lathe__calloc(ctx, d ? d : 1, sizeof(double));
    p.n_blocks = blocks_for(x->n_rows, slot);
    p.partial = lathe__calloc(ctx, p.n_blocks, slot * sizeof(double));
    if (!ne.gram || !ne.xty || !ne.x_mean || !p.partial) {
        status = lathe__error_nomem(err);
        goto out;
    }
    status = lathe__weighted_means(ctx, x, y, weights, ne.x_mean, &ne.y_mean, &ne.weight_sum, err);
    if (status != LATHE_OK)
        goto out;
    if (!center) {
        memset(ne.x_mean, 0, d * sizeof(double));
        ne.y_mean = 0.0;
    }
    lathe__parallel_for(ctx, p.n_blocks, gram_block, &p);
    gram_finish(&p, &ne);
    *out = ne;
out:
    lathe__free(ctx, p.partial);
    if (status != LATHE_OK)
        lathe__normal_equations_release(ctx, &ne);
    return status;
}

/* ---- Cholesky ----------------------------------------------------------- */

/* In-place lower Cholesky factor of a (d x d); false if a pivot is not clearly positive. */
static bool cholesky_factor(double *a, size_t d)
{
    double largest = 0.0;
    for (size_t j = 0; j < d; j++)
        largest = fmax(largest, a[j * d + j]);
    double floor_pivot = largest * 1e-13 * (double)(d ? d : 1);
    for (size_t j = 0; j < d; j++) {
        double pivot = a[j * d + j];
        for (size_t k = 0; k < j; k++)
            pivot -= a[j * d + k] * a[j * d + k];
        if (!(pivot > floor_pivot))
            return false;
        double root = sqrt(pivot);
        a[j * d + j] = root;
        for (size_t i = j + 1; i < d; i++) {
            double sum = a[i * d + j];
            for (size_t k = 0; k < j; k++)
                sum -= a[i * d + k] * a[j * d + k];
            a[i * d + j] = sum / root;
        }
    }
    return true;
}

static void cholesky_substitute(const double *l, size_t d, double *x)
{
    for (size_t i = 0; i < d; i++) {
        for (size_t k = 0; k < i; k++)
            x[i] -= l[i * d + k] * x[k];
        x[i] /= l[i * d + i];
    }
    for (size_t i = d; i-- > 0;) {
        for (size_t k = i + 1; k < d; k++)
            x[i] -= l[k * d + i] * x[k];
        x[i] /= l[i * d + i];
    }
}

lathe_status lathe__cholesky_solve(lathe_ctx *ctx, const lathe__normal_equations *ne, double l2,
                                   double *w, bool *solved, lathe_error *err)
{
    size_t d = ne->n_features;
    *solved = false;
    double *a = lathe__alloc(ctx, (d ? d * d : 1) * sizeof(double));
    double *x = lathe__alloc(ctx, (d ? d : 1) * sizeof(double));
    if (!a || !x) {
        lathe__free(ctx, a);
        lathe__free(ctx, x);
        return lathe__error_nomem(err);
    }
    memcpy(a, ne->gram, d * d * sizeof(double));
    for (size_t j = 0; j < d; j++)
        a[j * d + j] += l2;
    if (cholesky_factor(a, d)) {
        memcpy(x, ne->xty, d * sizeof(double));
        cholesky_substitute(a, d, x);
        memcpy(w, x, d * sizeof(double));
        *solved = true;
    }
    lathe__free(ctx, a);
    lathe__free(ctx, x);
    return LATHE_OK;
}

/* ---- Conjugate gradients ------------------------------------------------ */

typedef struct rows_product {
    const lathe__cg_problem *problem;
    const double *v;
    double mean_dot_v;     /* x_mean . v */
    bool rhs;              /* compute X_c' S y_c instead of X_c' S X_c v */
    size_t n_blocks, slot; /* d sums then the sum of the row coefficients */
    double *partial;
} rows_product;

static void rows_product_block(void *arg, size_t block)
{
    rows_product *p = arg;
    const lathe__cg_problem *problem = p->problem;
    size_t n = problem->x->n_rows, d = problem->x->n_cols;
    double *slot = p->partial + block * p->slot;
    for (size_t row = n * block / p->n_blocks; row < n * (block + 1) / p->n_blocks; row++) {
        double t = p->rhs ? problem->y[row] - problem->y_mean
                          : lathe__matrix_row_dot(problem->x, row, p->v) - p->mean_dot_v;
        double u = weight_of(problem->weights, row) * t;
        lathe__matrix_row_axpy(problem->x, row, u, slot);
        slot[d] += u;
    }
}

/* out = X_c' S X_c v (or X_c' S y_c when v is NULL), blockwise over the rows. */
static lathe_status rows_apply(lathe_ctx *ctx, const lathe__cg_problem *problem, const double *v,
                               double *out, lathe_error *err)
{
    size_t d = problem->x->n_cols;
    rows_product p = {.problem = problem, .v = v, .rhs = v == NULL, .slot = d + 1};
    p.n_blocks = blocks_for(problem->x->n_rows, p.slot);
    p.partial = lathe__calloc(ctx, p.n_blocks, p.slot * sizeof(double));
    if (!p.partial)
        return lathe__error_nomem(err);
    if (v && problem->x_mean)
        for (size_t j = 0; j < d; j++)
            p.mean_dot_v += problem->x_mean[j] * v[j];
    lathe__parallel_for(ctx, p.n_blocks, rows_product_block, &p);
    double u_sum = 0.0;
    memset(out, 0, d * sizeof(double));
    for (size_t b = 0; b < p.n_blocks; b++) {
        for (size_t j = 0; j < d; j++)
            out[j] += p.partial[b * p.slot + j];
        u_sum += p.partial[b * p.slot + d];
    }
    if (problem->x_mean)
        for (size_t j = 0; j < d; j++)
            out[j] -= problem->x_mean[j] * u_sum;
    lathe__free(ctx, p.partial);
    return LATHE_OK;
}

/* out = (A + l2 I) v. */
static lathe_status cg_apply(lathe_ctx *ctx, const lathe__cg_problem *problem, const double *v,
                             double *out, lathe_error *err)
{
    const lathe__normal_equations *ne = problem->ne;
    size_t d = ne ? ne->n_features : problem->x->n_cols;
    if (ne) {
        for (size_t j = 0; j < d; j++) {
            double sum = 0.0;
            for (size_t k = 0; k < d; k++)
                sum += ne->gram[j * d + k] * v[k];
            out[j] = sum;
        }
    } else {
        lathe_status status = rows_apply(ctx, problem, v, out, err);
        if (status != LATHE_OK)
            return status;
    }
    for (size_t j = 0; j < d; j++)
        out[j] += problem->l2 * v[j];
    return LATHE_OK;
}

static double norm2(const double *a, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += a[i] * a[i];
    return sum;
}

typedef struct cg_vectors {
    double *rhs, *r, *p, *ap;
} cg_vectors;

static lathe_status cg_iterate(lathe_ctx *ctx, const lathe__cg_problem *problem, size_t d,
                               cg_vectors *v, double *w, lathe__solver_report *report,
                               lathe_error *err)
{
    double target = problem->tol * sqrt(norm2(v->rhs, d));
    double rr = norm2(v->r, d);
    memcpy(v->p, v->r, d * sizeof(double));
    for (;;) {
        report->criterion = sqrt(rr);
        if (report->criterion <= target) {
            report->converged = true;
            return LATHE_OK;
        }
        if (report->iterations >= problem->max_iter)
            return LATHE_OK;
        if (lathe__progress(ctx, "fit", (double)report->iterations, (double)problem->max_iter))
            return lathe__error(err, LATHE_CANCELED, "fit canceled");
        lathe_status status = cg_apply(ctx, problem, v->p, v->ap, err);
        if (status != LATHE_OK)
            return status;
        report->iterations++;
        report->evaluations++;
        double curvature = 0.0;
        for (size_t j = 0; j < d; j++)
            curvature += v->p[j] * v->ap[j];
        if (!(curvature > 0.0))
            return LATHE_OK; /* a null direction: nothing left to gain */
        double alpha = rr / curvature;
        for (size_t j = 0; j < d; j++) {
            w[j] += alpha * v->p[j];
            v->r[j] -= alpha * v->ap[j];
        }
        double rr_next = norm2(v->r, d);
        for (size_t j = 0; j < d; j++)
            v->p[j] = v->r[j] + rr_next / rr * v->p[j];
        rr = rr_next;
    }
}

lathe_status lathe__cg_solve(lathe_ctx *ctx, const lathe__cg_problem *problem, double *w,
                             lathe__solver_report *report, lathe_error *err)
{
    memset(report, 0, sizeof *report);
    size_t d = problem->ne ? problem->ne->n_features : problem->x->n_cols;
    cg_vectors v = {0};
    double **arrays[] = {&v.rhs, &v.r, &v.p, &v.ap};
    bool allocated = true;
    for (size_t i = 0; i < 4; i++)
        allocated &= (*arrays[i] = lathe__calloc(ctx, d ? d : 1, sizeof(double))) != NULL;
    lathe_status status = LATHE_OK;
    if (!allocated) {
        status = lathe__error_nomem(err);
        goto out;
    }
    if (problem->ne)
        memcpy(v.rhs, problem->ne->xty, d * sizeof(double));
    else if ((status = rows_apply(ctx, problem, NULL, v.rhs, err)) != LATHE_OK)
        goto out;
    if ((status = cg_apply(ctx, problem, w, v.r, err)) != LATHE_OK)
        goto out;
    for (size_t j = 0; j < d; j++)
        v.r[j] = v.rhs[j] - v.r[j];
    status = cg_iterate(ctx, problem, d, &v, w, report, err);
out:
    for (size_t i = 0; i < 4; i++)
        lathe__free(ctx, *arrays[i]);
    return status;
}
