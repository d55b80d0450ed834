/*
 * pca.c: principal component analysis of the assembled training rows, as
 * scikit-learn's PCA(svd_solver="full").
 *
 * The rows are centered and decomposed by LAPACK's dgesdd (through LAPACKE).
 * Our row-major n x p matrix is, to column-major LAPACK, its p x n
 * transpose, so no copy is transposed: LAPACK's U holds the components and
 * its VT the row scores. Signs follow sklearn's svd_flip (u-based): each
 * component is turned so that the row score largest in magnitude is
 * positive. pca_components >= 1 keeps that many components (at most
 * min(n_rows, n_features)); a fraction keeps the fewest whose explained
 * variance ratios add up to more than it, as sklearn does.
 */
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "prep/step.h"

#include "core/banned.h"

typedef struct pca {
    size_t n_inputs;
    size_t n_components;
    double requested;   /* pca_components as asked, for describe */
    double *mean;       /* n_inputs */
    double *components; /* n_components * n_inputs, row-major */
    double *explained;  /* n_components explained variance ratios */
} pca;

static void pca_free(lathe_ctx *ctx, void *state)
{
    pca *p = state;
    if (!p)
        return;
    lathe__free(ctx, p->mean);
    lathe__free(ctx, p->components);
    lathe__free(ctx, p->explained);
    lathe__free(ctx, p);
}

static pca *pca_new(lathe_ctx *ctx, size_t n_inputs, size_t n_components)
{
    pca *p = lathe__calloc(ctx, 1, sizeof *p);
    size_t cells;
    if (!p || lathe__mul_overflows(n_inputs, n_components, &cells)) {
        lathe__free(ctx, p);
        return NULL;
    }
    p->n_inputs = n_inputs;
    p->n_components = n_components;
    p->mean = lathe__calloc(ctx, n_inputs + 1, sizeof *p->mean);
    p->components = lathe__calloc(ctx, cells + 1, sizeof *p->components);
    p->explained = lathe__calloc(ctx, n_components + 1, sizeof *p->explained);
    if (!p->mean || !p->components || !p->explained) {
        pca_free(ctx, p);
        return NULL;
    }
    return p;
}

/* The decomposition of the centered rows: singular values and both factors. */
typedef struct svd {
    size_t rank; /* min(n_rows, n_cols) */
    double *singular;
    double *u;  /* LAPACK's U: n_cols x rank, column-major (the components) */
    double *vt; /* LAPACK's VT: rank x n_rows, column-major (the row scores) */
} svd;

static void svd_release(lathe_ctx *ctx, svd *d)
{
    lathe__free(ctx, d->singular);
    lathe__free(ctx, d->u);
    lathe__free(ctx, d->vt);
}

static lathe_status decompose(lathe_ctx *ctx, const lathe__matrix_fit_input *in, const double *mean,
                              svd *d, lathe_error *err)
{
    size_t n = in->n_rows, p = in->n_cols, cells, u_cells, vt_cells;
    d->rank = n < p ? n : p;
    if (n > INT32_MAX || p > INT32_MAX || lathe__mul_overflows(n, p, &cells) ||
        lathe__mul_overflows(p, d->rank, &u_cells) || lathe__mul_overflows(d->rank, n, &vt_cells))
        return lathe__error(err, LATHE_LIMIT, "pca of %zu rows by %zu features is too large", n, p);
    double *centered = lathe__calloc(ctx, cells, sizeof *centered);
    d->singular = lathe__calloc(ctx, d->rank, sizeof *d->singular);
    d->u = lathe__calloc(ctx, u_cells, sizeof *d->u);
    d->vt = lathe__calloc(ctx, vt_cells, sizeof *d->vt);
    lathe_status status = LATHE_OK;
    if (!centered || !d->singular || !d->u || !d->vt) {
        status = lathe__error_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < cells; i++)
        centered[i] = in->x[i] - mean[i % p];
    lapack_int info =
        LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', (lapack_int)p, (lapack_int)n, centered, (lapack_int)p,
                       d->singular, d->u, (lapack_int)p, d->vt, (lapack_int)d->rank);
    if (info < 0)
        status = lathe__error(err, LATHE_NOMEM, "pca: lapack could not allocate its workspace");
    else if (info > 0)
        status = lathe__error(err, LATHE_INVALID, "pca: the decomposition did not converge");
out:
    lathe__free(ctx, centered);
    return status;
}

/* How many components to keep: a count, or the fewest passing a variance fraction. */
static size_t components_to_keep(double requested, const double *ratio, size_t rank)
{
    if (requested >= 1)
        return requested < (double)rank ? (size_t)requested : rank;
    double cumulative = 0;
    for (size_t j = 0; j < rank; j++) {
        cumulative += ratio[j];
        if (cumulative > requested)
            return j + 1;
    }
    return rank;
}

/* sklearn's svd_flip(u_based_decision=True): the largest row score is made positive. */
static double component_sign(const svd *d, size_t component, size_t n_rows)
{
    size_t best = 0;
    for (size_t r = 1; r < n_rows; r++) {
        if (fabs(d->vt[component + r * d->rank]) > fabs(d->vt[component + best * d->rank]))
            best = r;
    }
    return d->vt[component + best * d->rank] < 0 ? -1.0 : 1.0;
}

static lathe_status pca_from_svd(lathe_ctx *ctx, const lathe__matrix_fit_input *in,
                                 const double *mean, const svd *d, pca **out, lathe_error *err)
{
    size_t p = in->n_cols;
    double *ratio = lathe__calloc(ctx, d->rank + 1, sizeof *ratio), total = 0;
    if (!ratio)
        return lathe__error_nomem(err);
    for (size_t j = 0; j < d->rank; j++)
        total += d->singular[j] * d->singular[j] / (double)(in->n_rows - 1);
    for (size_t j = 0; j < d->rank; j++)
        ratio[j] =
            total > 0 ? d->singular[j] * d->singular[j] / (double)(in->n_rows - 1) / total : 0;
    size_t keep = components_to_keep(in->spec->pca_components, ratio, d->rank);
    pca *result = pca_new(ctx, p, keep);
    if (!result) {
        lathe__free(ctx, ratio);
        return lathe__error_nomem(err);
    }
    result->requested = in->spec->pca_components;
    memcpy(result->mean, mean, p * sizeof *mean);
    memcpy(result->explained, ratio, keep * sizeof *ratio);
    for (size_t j = 0; j < keep; j++) {
        double sign = component_sign(d, j, in->n_rows);
        for (size_t i = 0; i < p; i++)
            result->components[j * p + i] = sign * d->u[i + j * p];
    }
    lathe__free(ctx, ratio);
    *out = result;
    return LATHE_OK;
}

static lathe_status pca_fit(lathe_ctx *ctx, const lathe__matrix_fit_input *in, void **state,
                            lathe_error *err)
{
    if (in->n_rows < 2 || in->n_cols == 0)
        return lathe__error(err, LATHE_INVALID, "pca needs at least 2 training rows and a feature");
    double *mean = lathe__calloc(ctx, in->n_cols + 1, sizeof *mean);
    if (!mean)
        return lathe__error_nomem(err);
    for (size_t j = 0; j < in->n_cols; j++) {
        double variance;
        lathe__mean_variance(in->x + j, in->n_rows, in->n_cols, &mean[j], &variance);
    }
    svd d = {0};
    pca *result = NULL;
    lathe_status status = decompose(ctx, in, mean, &d, err);
    if (status == LATHE_OK)
        status = pca_from_svd(ctx, in, mean, &d, &result, err);
    svd_release(ctx, &d);
    lathe__free(ctx, mean);
    if (status == LATHE_OK)
        *state = result;
    return status;
}

static size_t pca_n_outputs(const void *state)
{
    return ((const pca *)state)->n_components;
}

static const char *pca_output_name(const void *state, const char *const *input_names, size_t output,
                                   char *buf, size_t size)
{
    (void)state;
    (void)input_names;
    lathe__format(buf, size, "pca_%zu", output);
    return buf;
}

static void pca_transform(const void *state, const double *in, double *out)
{
    const pca *p = state;
    for (size_t j = 0; j < p->n_components; j++) {
        const double *component = p->components + j * p->n_inputs;
        double sum = 0;
        for (size_t i = 0; i < p->n_inputs; i++)
            sum += (in[i] - p->mean[i]) * component[i];
        out[j] = sum;
    }
}

static void pca_describe(const void *state, char *buf, size_t size)
{
    const pca *p = state;
    double explained = 0;
    for (size_t j = 0; j < p->n_components; j++)
        explained += p->explained[j];
    lathe__format(buf, size, "%zu components of %zu features explain %.1f%% of the variance",
                  p->n_components, p->n_inputs, 100 * explained);
}

static void pca_save(const void *state, lathe__wbuf *buf)
{
    const pca *p = state;
    lathe__wbuf_f64(buf, p->requested);
    lathe__wbuf_u64(buf, p->n_components);
    lathe__wbuf_f64_array(buf, p->mean, p->n_inputs);
    lathe__wbuf_f64_array(buf, p->explained, p->n_components);
    lathe__wbuf_f64_array(buf, p->components, p->n_components * p->n_inputs);
}

/* Reads a counted f64 array into dst, which must receive exactly `expected` values. */
static bool read_exact(lathe_ctx *ctx, lathe__rbuf *buf, double *dst, size_t expected,
                       const char *what)
{
    size_t count = 0;
    double *values = lathe__rbuf_f64_array(buf, ctx, expected, &count);
    if (!buf->failed && count != expected)
        lathe__rbuf_fail(buf, "pca %s holds %zu values, expected %zu", what, count, expected);
    bool out_of_memory = !buf->failed && !values && expected > 0;
    if (values && !buf->failed)
        memcpy(dst, values, count * sizeof *values);
    lathe__free(ctx, values);
    return !out_of_memory;
}

static lathe_status pca_load(lathe_ctx *ctx, lathe__rbuf *buf, size_t n_inputs, void **state,
                             lathe_error *err)
{
    double requested = lathe__rbuf_f64(buf);
    uint64_t n_components = lathe__rbuf_u64(buf);
    if (!buf->failed && (n_components == 0 || n_components > n_inputs))
        lathe__rbuf_fail(buf, "pca has %llu components for %zu features",
                         (unsigned long long)n_components, n_inputs);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status != LATHE_OK)
        return status;
    pca *p = pca_new(ctx, n_inputs, (size_t)n_components);
    if (!p)
        return lathe__error_nomem(err);
    p->requested = requested;
    bool ok = read_exact(ctx, buf, p->mean, n_inputs, "mean");
    ok = ok && read_exact(ctx, buf, p->explained, p->n_components, "explained variance");
    ok = ok && read_exact(ctx, buf, p->components, p->n_components * n_inputs, "components");
    status = lathe__rbuf_status(buf, err);
    if (status == LATHE_OK && !ok)
        status = lathe__error_nomem(err);
    if (status != LATHE_OK) {
        pca_free(ctx, p);
        return status;
    }
    *state = p;
    return LATHE_OK;
}

const lathe__matrix_step_ops lathe__pca_step = {
    "pca",        pca_fit,  pca_n_outputs, pca_output_name, pca_transform,
    pca_describe, pca_save, pca_load,      pca_free,
};
