/*
 * logistic.c: logistic regression, binary (sigmoid) and multinomial
 * (softmax), with scikit-learn's LogisticRegression objective
 *
 *     C * sum_i s_i log_loss_i + penalty(W),
 *
 * penalty l2: 0.5 |W|^2, l1: |W|_1, elasticnet: l1_ratio |W|_1 +
 * 0.5 (1 - l1_ratio) |W|^2, none: 0. The intercepts are never penalized;
 * s_i is the sample weight times the class weight. Minimizing the same
 * function gives the same coefficients as scikit-learn's lbfgs and saga.
 *
 * The solver sees that objective divided by C * sum_i s_i, so the gradient
 * is an average over rows and `tol` means the same on any number of rows.
 * L-BFGS serves l2 and none; OWL-QN serves l1 and elasticnet.
 *
 * Numerics: the binary loss is log1p(exp(-m)) evaluated on the side that
 * cannot overflow, the multinomial one is a log-sum-exp after subtracting
 * the largest score. The gradient is summed over fixed blocks of rows,
 * each into its own slot, and the slots are added in order: any thread
 * count gives the same bits.
 *
 * Dense multinomial data, the costly case (many classes, many iterations),
 * has its own kernel: chunks of 32 rows, weights feature-major with the
 * classes padded to a multiple of 8, two-double vector accumulators and a
 * vectorized exp. Sparse rows take the per-row loop.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "core/vexp.h"
#include "model/linear.h"
#include "model/parallel.h"

#include "core/banned.h"

#define MIN_BLOCK_ROWS 2048
/* Dense multinomial: rows per chunk, and classes per group of accumulators. */
#define CHUNK_ROWS 32
#define LANES 8                               /* four f64x2 accumulators */
#define SLOT_BUDGET_DOUBLES ((size_t)1 << 23) /* 64 MB of per-block gradients */

static const lathe__param_spec logistic_params[] = {
    {.name = "penalty",
     .type = LATHE__PARAM_CHOICE,
     .default_value = "l2",
     .choices = "l2|l1|elasticnet|none",
     .help = "regularization of the weights (never of the intercept)"},
    {.name = "C",
     .type = LATHE__PARAM_DOUBLE,
     .default_value = "1",
     .min = 0,
     .max = HUGE_VAL,
     .bounds = LATHE__PARAM_MIN_EXCLUSIVE,
     .help = "inverse regularization strength: smaller C, simpler model (as scikit-learn)"},
    {.name = "l1_ratio",
     .type = LATHE__PARAM_DOUBLE,
     .default_value = "0.5",
     .min = 0,
     .max = 1,
     .help = "elasticnet only: the L1 share of the penalty"},
    {.name = "fit_intercept",
     .type = LATHE__PARAM_BOOL,
     .default_value = "true",
     .help = "learn an intercept per class"},
    {.name = "class_weight",
     .type = LATHE__PARAM_STRING,
     .default_value = "none",
     .help = "none, balanced, or CLASS:WEIGHT pairs by class index such as 0:1,1:5"},
    {.name = "max_iter",
     .type = LATHE__PARAM_INT,
     .default_value = "100",
     .min = 1,
     .max = 1e7,
     .help = "most L-BFGS/OWL-QN iterations"},
    {.name = "tol",
     .type = LATHE__PARAM_DOUBLE,
     .default_value = "1e-4",
     .min = 0,
     .max = HUGE_VAL,
     .bounds = LATHE__PARAM_MIN_EXCLUSIVE,
     .help = "stop when no gradient entry of the row-averaged objective exceeds tol"},
};

typedef struct logistic_problem {
    lathe_ctx *ctx;
    lathe__team *team; /* runs the blocks of every evaluation */
    const lathe__matrix *x;
    const double *y, *s;
    const long *vector_of_class; /* multinomial: class -> vector, -1 when absent */
    size_t n_features, n_vectors, n_vars;
    bool multinomial, fit_intercept;
    double weight_sum, l2;
    size_t n_blocks, slot; /* slot: n_vars gradient sums, then the loss */
    double *partial, *scores;
    const double *w;
    /*
     * Dense multinomial only (by_feature): the weights feature-major with the
     * classes padded to a multiple of LANES (zeros), and per block the weight
     * gradient in the same layout. A chunk of rows then costs a few short
     * fixed-length loops the compiler keeps in registers.
     */
    bool by_feature;
    size_t k_padded;
    double *w_by_feature, *grad_by_feature;
    double *intercept_padded; /* k_padded intercepts, zeros past the classes */
} logistic_problem;

/* log(1 + exp(-margin)) and d/dz, from one exp(-|z|) that cannot overflow. */
static double binary_loss(double z, double y, double *dz)
{
    double e = exp(-fabs(z));
    double p = z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    *dz = p - y;
    double margin = y > 0.5 ? z : -z;
    return log1p(e) + (margin < 0.0 ? -margin : 0.0);
}

static void binary_row(const logistic_problem *p, size_t row, double *slot)
{
    double z = lathe__matrix_row_dot(p->x, row, p->w);
    if (p->fit_intercept)
        z += p->w[p->n_features];
    double dz, s = p->s[row];
    slot[p->n_vars] += s * binary_loss(z, p->y[row], &dz);
    lathe__matrix_row_axpy(p->x, row, s * dz, slot);
    if (p->fit_intercept)
        slot[p->n_features] += s * dz;
}

/*
 * Softmax loss and gradient of one row. The largest score contributes
 * exp(0) = 1 to the sum, so the others are added to it through log1p.
 */
static void multinomial_row(const logistic_problem *p, size_t row, double *slot, double *z)
{
    size_t d = p->n_features, K = p->n_vectors, top = 0;
    lathe__matrix_row_dots(p->x, row, p->w, K, z);
    for (size_t k = 0; k < K; k++) {
        if (p->fit_intercept)
            z[k] += p->w[K * d + k];
        if (z[k] > z[top])
            top = k;
    }
    size_t target = (size_t)p->vector_of_class[(size_t)p->y[row]];
    double s = p->s[row], largest = z[top], target_score = z[target], others = 0.0;
    for (size_t k = 0; k < K; k++) {
        z[k] = k == top ? 1.0 : exp(z[k] - largest);
        others += k == top ? 0.0 : z[k];
    }
    slot[p->n_vars] += s * (largest + log1p(others) - target_score);
    for (size_t k = 0; k < K; k++) /* z becomes the gradient of the row's loss */
        z[k] = s * (z[k] / (1.0 + others) - (k == target ? 1.0 : 0.0));
    lathe__matrix_row_axpys(p->x, row, z, K, slot);
    if (p->fit_intercept)
        for (size_t k = 0; k < K; k++)
            slot[K * d + k] += z[k];
}

typedef lathe__f64x2 f64x2; /* two doubles, one SSE2 register */

static inline f64x2 load2(const double *from)
{
    f64x2 v;
    memcpy(&v, from, sizeof v);
    return v;
}

static inline void store2(double *to, f64x2 v)
{
    memcpy(to, &v, sizeof v);
}

/* scores[r * k_padded + k] = b_k + x_r . w_k for the chunk's rows, LANES classes at a time. */
static void chunk_scores(const logistic_problem *p, const double *x, size_t rows, double *scores)
{
    size_t d = p->n_features, kp = p->k_padded;
    const double *wt = p->w_by_feature;
    for (size_t r = 0; r < rows; r++)
        for (size_t k0 = 0; k0 < kp; k0 += LANES) {
            const double *b = p->intercept_padded + k0;
            f64x2 a0 = load2(b), a1 = load2(b + 2), a2 = load2(b + 4), a3 = load2(b + 6);
            for (size_t col = 0; col < d; col++) {
                f64x2 v = {x[r * d + col], x[r * d + col]};
                const double *w = wt + col * kp + k0;
                a0 += v * load2(w);
                a1 += v * load2(w + 2);
                a2 += v * load2(w + 4);
                a3 += v * load2(w + 6);
            }
            double *out = scores + r * kp + k0;
            store2(out, a0);
            store2(out + 2, a1);
            store2(out + 4, a2);
            store2(out + 6, a3);
        }
}

/*
 * Turns one row's scores into the row's loss gradient by score, times its
 * weight, in place; returns the weighted loss. Padding classes score -inf
 * (their intercept), so they drop out of the maximum and get exp() = 0:
 * every loop runs over whole groups of LANES and vectorizes.
 */
static double softmax_row(const logistic_problem *p, size_t row, double *z)
{
    size_t kp = p->k_padded;
    f64x2 top = load2(z);
    for (size_t k = 2; k < kp; k += 2) {
        f64x2 v = load2(z + k);
        top = lathe__select2(v > top, v, top);
    }
    double largest = top[0] > top[1] ? top[0] : top[1];
    size_t target = (size_t)p->vector_of_class[(size_t)p->y[row]];
    double s = p->s[row], target_score = z[target];
    f64x2 sums = {0.0, 0.0};
    for (size_t k = 0; k < kp; k += 2) {
        f64x2 e = lathe__vexp2_nonpositive(load2(z + k) - largest);
        sums += e;
        store2(z + k, e);
    }
    double sum = sums[0] + sums[1], share = s / sum;
    for (size_t k = 0; k < kp; k += 2)
        store2(z + k, load2(z + k) * share);
    z[target] -= s;
    /* sum >= 1 (the largest score's term): log(sum) loses nothing that matters */
    return s * (largest + log(sum) - target_score);
}

/*
 * grad[col * k_padded + k] += sum over the chunk of x_r[col] * dz_r[k]; the
 * intercepts' row (col = d) sums dz_r[k] alone.
 */
static void chunk_gradient(const logistic_problem *p, const double *x, size_t rows,
                           const double *dz, double *grad)
{
    size_t d = p->n_features, kp = p->k_padded;
    for (size_t col = 0; col < d; col++)
        for (size_t k0 = 0; k0 < kp; k0 += LANES) {
            f64x2 a0 = {0, 0}, a1 = a0, a2 = a0, a3 = a0;
            for (size_t r = 0; r < rows; r++) {
                f64x2 v = {x[r * d + col], x[r * d + col]};
                const double *g = dz + r * kp + k0;
                a0 += v * load2(g);
                a1 += v * load2(g + 2);
                a2 += v * load2(g + 4);
                a3 += v * load2(g + 6);
            }
            double *out = grad + col * kp + k0;
            store2(out, load2(out) + a0);
            store2(out + 2, load2(out + 2) + a1);
            store2(out + 4, load2(out + 4) + a2);
            store2(out + 6, load2(out + 6) + a3);
        }
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < kp; k += 2)
            store2(grad + d * kp + k, load2(grad + d * kp + k) + load2(dz + r * kp + k));
}

/* The dense multinomial block: chunks of rows through the three steps above. */
static void multinomial_dense_block(logistic_problem *p, size_t block, double *slot)
{
    size_t n = p->x->n_rows, d = p->n_features, kp = p->k_padded;
    double *grad = p->grad_by_feature + block * (d + 1) * kp;
    double *z = p->scores + block * CHUNK_ROWS * kp;
    memset(grad, 0, (d + 1) * kp * sizeof(double));
    size_t end = n * (block + 1) / p->n_blocks;
    for (size_t first = n * block / p->n_blocks; first < end; first += CHUNK_ROWS) {
        size_t rows = end - first < CHUNK_ROWS ? end - first : CHUNK_ROWS;
        const double *x = p->x->dense + first * d;
        chunk_scores(p, x, rows, z);
        for (size_t r = 0; r < rows; r++) {
            if (p->s[first + r] == 0.0) {
                memset(z + r * kp, 0, kp * sizeof(double));
                continue;
            }
            slot[p->n_vars] += softmax_row(p, first + r, z + r * kp);
        }
        chunk_gradient(p, x, rows, z, grad);
    }
}

static void logistic_block(void *arg, size_t block)
{
    logistic_problem *p = arg;
    if (p->by_feature) {
        double *slot = p->partial + block * p->slot;
        memset(slot, 0, p->slot * sizeof(double));
        multinomial_dense_block(p, block, slot);
        return;
    }
    size_t n = p->x->n_rows;
    double *slot = p->partial + block * p->slot;
    memset(slot, 0, p->slot * sizeof(double));
    for (size_t row = n * block / p->n_blocks; row < n * (block + 1) / p->n_blocks; row++) {
        if (p->s[row] == 0.0)
            continue;
        if (p->multinomial)
            multinomial_row(p, row, slot, p->scores + block * p->n_vectors);
        else
            binary_row(p, row, slot);
    }
}

/* The solver's objective: mean weighted log loss plus the L2 part of the penalty. */
static double logistic_evaluate(void *arg, const double *w, double *gradient)
{
    logistic_problem *p = arg;
    size_t d = p->n_features, kp = p->k_padded;
    p->w = w;
    for (size_t k = 0; p->by_feature && k < p->n_vectors; k++) {
        for (size_t col = 0; col < d; col++)
            p->w_by_feature[col * kp + k] = w[k * d + col];
        p->intercept_padded[k] = p->fit_intercept ? w[p->n_vectors * d + k] : 0.0;
    }
    for (size_t k = p->n_vectors; p->by_feature && k < kp; k++)
        p->intercept_padded[k] = -INFINITY;
    lathe__team_run(p->team, p->n_blocks, logistic_block, p);
    double loss = 0.0;
    memset(gradient, 0, p->n_vars * sizeof(double));
    for (size_t b = 0; b < p->n_blocks; b++) {
        const double *slot = p->partial + b * p->slot;
        for (size_t j = 0; j < p->n_vars; j++)
            gradient[j] += slot[j];
        loss += slot[p->n_vars];
        const double *grad = p->by_feature ? p->grad_by_feature + b * (d + 1) * kp : NULL;
        for (size_t k = 0; grad && k < p->n_vectors; k++) {
            for (size_t col = 0; col < d; col++)
                gradient[k * d + col] += grad[col * kp + k];
            if (p->fit_intercept)
                gradient[p->n_vectors * d + k] += grad[d * kp + k];
        }
    }
    loss /= p->weight_sum;
    for (size_t j = 0; j < p->n_vars; j++)
        gradient[j] /= p->weight_sum;
    for (size_t j = 0; j < p->n_vectors * p->n_features; j++) {
        loss += 0.5 * p->l2 * w[j] * w[j];
        gradient[j] += p->l2 * w[j];
    }
    return loss;
}

/* Which classes carry weight; maps them to vectors. Fails with fewer than two. */
static lathe_status map_classes(const lathe__train_data *data, const double *s, long *vector_of,
                                size_t *n_present, lathe_error *err)
{
    size_t K = data->n_classes;
    for (size_t k = 0; k < K; k++)
        vector_of[k] = -1;
    for (size_t row = 0; row < data->x->n_rows; row++)
        if (s[row] > 0.0)
            vector_of[(size_t)data->y[row]] = 0;
    *n_present = 0;
    for (size_t k = 0; k < K; k++)
        if (vector_of[k] == 0)
            vector_of[k] = (long)(*n_present)++;
    if (*n_present < 2)
        return lathe__error(err, LATHE_INVALID,
                            "logistic needs training rows of at least 2 classes, found %zu",
                            *n_present);
    return LATHE_OK;
}

static const char *penalty_of(const lathe__param_values *params)
{
    return lathe__params_choice(params, "penalty");
}

/* Splits the penalty into the solver's l2 factor and l1 strength (already / (C * S)). */
static void penalty_strengths(const lathe__param_values *params, double weight_sum, double *l2,
                              double *l1)
{
    const char *penalty = penalty_of(params);
    double scale = 1.0 / (lathe__params_number(params, "C") * weight_sum);
    double ratio = lathe__params_number(params, "l1_ratio");
    *l2 = *l1 = 0.0;
    if (strcmp(penalty, "l2") == 0)
        *l2 = scale;
    else if (strcmp(penalty, "l1") == 0)
        *l1 = scale;
    else if (strcmp(penalty, "elasticnet") == 0) {
        *l2 = scale * (1.0 - ratio);
        *l1 = scale * ratio;
    }
}

/* Solver variables from a previous model of the same shape. */
static void start_point(const logistic_problem *p, const lathe__linear_model *start,
                        size_t n_classes, double *w)
{
    size_t d = p->n_features;
    if (!start)
        return;
    for (size_t k = 0; k < (p->multinomial ? n_classes : 1); k++) {
        long v = p->multinomial ? p->vector_of_class[k] : 0;
        if (v < 0 || !isfinite(start->intercept[k]))
            continue;
        memcpy(w + (size_t)v * d, start->coef + k * d, d * sizeof(double));
        if (p->fit_intercept)
            w[p->n_vectors * d + (size_t)v] = start->intercept[k];
    }
}

static lathe_status build_model(lathe_ctx *ctx, const logistic_problem *p, size_t n_classes,
                                const double *w, const lathe__solver_report *report, void **model,
                                lathe_error *err)
{
    lathe__linear_model *m;
    lathe_status status = lathe__linear_new(ctx, "logistic", LATHE__LINEAR_PROBABILITY,
                                            p->n_features, n_classes, &m, err);
    if (status != LATHE_OK)
        return status;
    size_t d = p->n_features;
    for (size_t k = 0; k < m->n_vectors; k++) {
        long v = p->multinomial ? p->vector_of_class[k] : 0;
        if (v < 0) {
            m->intercept[k] = -INFINITY;
            lathe__log(ctx, LATHE_LOG_INFO,
                       "logistic: class %zu has no training rows and gets probability 0", k);
            continue;
        }
        memcpy(m->coef + k * d, w + (size_t)v * d, d * sizeof(double));
        m->intercept[k] = p->fit_intercept ? w[p->n_vectors * d + (size_t)v] : 0.0;
    }
    m->n_iterations = report->iterations;
    m->converged = report->converged;
    *model = m;
    return LATHE_OK;
}

/* Sizes the problem and allocates its buffers; p->vector_of_class must be set. */
static lathe_status problem_init(lathe_ctx *ctx, logistic_problem *p, size_t n_present,
                                 lathe_error *err)
{
    size_t d = p->n_features, weights;
    p->n_vectors = p->multinomial ? n_present : 1;
    if (lathe__mul_overflows(p->n_vectors, d + (p->fit_intercept ? 1 : 0), &weights) ||
        lathe__add_overflows(weights, 1, &p->slot))
        return lathe__error(err, LATHE_LIMIT, "too many classes times features");
    p->n_vars = weights;
    p->n_blocks =
        lathe__row_blocks(p->x->n_rows, MIN_BLOCK_ROWS,
                          p->slot > SLOT_BUDGET_DOUBLES ? 1 : SLOT_BUDGET_DOUBLES / p->slot);
    p->partial = lathe__calloc(ctx, p->n_blocks, p->slot * sizeof(double));
    p->by_feature = p->multinomial && !lathe__matrix_is_sparse(p->x);
    p->k_padded = (p->n_vectors + LANES - 1) / LANES * LANES;
    size_t scores = p->by_feature ? CHUNK_ROWS * p->k_padded : p->n_vectors;
    p->scores = lathe__calloc(ctx, p->n_blocks, scores * sizeof(double));
    if (!p->partial || !p->scores)
        return lathe__error_nomem(err);
    if (p->by_feature) {
        p->w_by_feature = lathe__calloc(ctx, d, p->k_padded * sizeof(double));
        p->grad_by_feature =
            lathe__calloc(ctx, p->n_blocks, (d + 1) * p->k_padded * sizeof(double));
        p->intercept_padded = lathe__calloc(ctx, p->k_padded, sizeof(double));
        if (!p->w_by_feature || !p->grad_by_feature || !p->intercept_padded)
            return lathe__error_nomem(err);
    }
    return LATHE_OK;
}

static lathe_status solve(lathe_ctx *ctx, logistic_problem *p, const lathe__param_values *params,
                          const lathe__linear_model *start, size_t n_classes, void **model,
                          lathe_error *err)
{
    double l1 = 0.0;
    penalty_strengths(params, p->weight_sum, &p->l2, &l1);
    double *w = lathe__calloc(ctx, p->n_vars, sizeof(double));
    double *l1_of = l1 > 0.0 ? lathe__calloc(ctx, p->n_vars, sizeof(double)) : NULL;
    lathe_status status = LATHE_OK;
    if (!w || (l1 > 0.0 && !l1_of)) {
        status = lathe__error_nomem(err);
        goto out;
    }
    for (size_t j = 0; l1_of && j < p->n_vectors * p->n_features; j++)
        l1_of[j] = l1;
    start_point(p, start, n_classes, w);
    lathe__lbfgs_problem problem = {.n_vars = p->n_vars,
                                    .evaluate = logistic_evaluate,
                                    .arg = p,
                                    .l1 = l1_of,
                                    .max_iter = (size_t)lathe__params_number(params, "max_iter"),
                                    .tol = lathe__params_number(params, "tol")};
    lathe__solver_report report;
    status = lathe__lbfgs_minimize(ctx, &problem, w, &report, err);
    if (status != LATHE_OK)
        goto out;
    lathe__linear_log_report(ctx, "logistic", l1_of ? "owl-qn" : "lbfgs", &report,
                             problem.max_iter);
    status = build_model(ctx, p, n_classes, w, &report, model, err);
out:
    lathe__free(ctx, w);
    lathe__free(ctx, l1_of);
    return status;
}

lathe_status lathe__logistic_fit_from(lathe_ctx *ctx, const lathe__train_data *data,
                                      const lathe__param_values *params,
                                      const lathe__linear_model *start, void **model,
                                      lathe_error *err)
{
    lathe_status status = lathe__linear_check_data(&lathe__logistic_ops, data, err);
    if (status != LATHE_OK)
        return status;
    logistic_problem p = {.ctx = ctx,
                          .x = data->x,
                          .y = data->y,
                          .n_features = data->x->n_cols,
                          .multinomial = data->n_classes > 2,
                          .fit_intercept = lathe__params_number(params, "fit_intercept") != 0};
    double *s = NULL;
    long *vector_of = lathe__calloc(ctx, data->n_classes, sizeof(long));
    size_t n_present;
    if (!vector_of) {
        status = lathe__error_nomem(err);
        goto out;
    }
    status =
        lathe__linear_row_weights(ctx, data, lathe__params_text(params, "class_weight"), &s, err);
    if (status == LATHE_OK)
        status = map_classes(data, s, vector_of, &n_present, err);
    if (status != LATHE_OK)
        goto out;
    p.s = s;
    p.vector_of_class = vector_of;
    for (size_t row = 0; row < data->x->n_rows; row++)
        p.weight_sum += s[row];
    status = problem_init(ctx, &p, n_present, err);
    if (status == LATHE_OK)
        status = lathe__team_new(ctx, &p.team, err);
    if (status == LATHE_OK)
        status = solve(ctx, &p, params, start, data->n_classes, model, err);
out:
    lathe__team_free(ctx, p.team);
    lathe__free(ctx, p.partial);
    lathe__free(ctx, p.scores);
    lathe__free(ctx, p.w_by_feature);
    lathe__free(ctx, p.grad_by_feature);
    lathe__free(ctx, p.intercept_padded);
    lathe__free(ctx, vector_of);
    lathe__free(ctx, s);
    return status;
}

static lathe_status logistic_fit(lathe_ctx *ctx, const lathe__train_data *data,
                                 const lathe__param_values *params, void **model, lathe_error *err)
{
    return lathe__logistic_fit_from(ctx, data, params, NULL, model, err);
}

static lathe_status logistic_load(lathe_ctx *ctx, lathe__rbuf *buf, void **model, lathe_error *err)
{
    return lathe__linear_load(ctx, buf, "logistic", LATHE__LINEAR_PROBABILITY, model, err);
}

const lathe__model_ops lathe__logistic_ops = {
    .name = "logistic",
    .summary = "logistic regression: binary or multinomial, L2/L1/elastic-net penalties",
    .tasks = LATHE__TASK_CLASSIFICATION,
    .params = logistic_params,
    .n_params = sizeof logistic_params / sizeof logistic_params[0],
    .needs_scaling = true,
    .fit = logistic_fit,
    .predict = lathe__linear_predict,
    .predict_parallel = lathe__linear_predict_parallel,
    .n_outputs = lathe__linear_n_outputs,
    .n_features = lathe__linear_n_features,
    .save = lathe__linear_save,
    .load = logistic_load,
    .free = lathe__linear_free,
    .facts = lathe__linear_facts,
};
