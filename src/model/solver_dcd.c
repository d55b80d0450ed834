/*
 * solver_dcd.c: dual coordinate descent for L2-regularized linear SVMs
 * (Hsieh, Chang, Lin, Keerthi and Sundararajan, 2008), the solver behind
 * liblinear's -s 1 and -s 3 and scikit-learn's LinearSVC.
 *
 * The primal is 0.5 |w|^2 + sum_i C_i loss(y_i w.x_i), loss = max(0, 1 - m)
 * (hinge) or its square. The dual keeps one alpha_i per row in [0, U_i]
 * (U_i = C_i for hinge, unbounded for squared hinge with D_ii = 1/(2 C_i)),
 * and w = sum_i alpha_i y_i x_i is kept current, so one update costs one
 * sparse row. The intercept is a constant feature `bias` whose weight is
 * regularized like the others, exactly as in liblinear.
 *
 * Rows are visited in a random order each pass, drawn from a generator
 * seeded by the caller (the same seed gives the same bits), and rows whose
 * alpha sits at a bound with a gradient pushing outward are shrunk away
 * until the rest have converged, then everything is checked once more.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/solver.h"

#include "core/banned.h"

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct dcd_state {
    const lathe__svm_problem *problem;
    size_t n_cols;
    double *alpha, *diagonal, *upper, *shift; /* shift: D_ii */
    size_t *order;
    size_t n_active, n_rows;
    double pg_max_old, pg_min_old;
    uint64_t random;
} dcd_state;

static double row_margin(const dcd_state *st, size_t row, const double *w)
{
    const lathe__svm_problem *p = st->problem;
    double value = lathe__matrix_row_dot(p->x, row, w);
    if (p->bias != 0.0)
        value += w[st->n_cols] * p->bias;
    return value;
}

static void row_update(const dcd_state *st, size_t row, double delta, double *w)
{
    const lathe__svm_problem *p = st->problem;
    lathe__matrix_row_axpy(p->x, row, delta, w);
    if (p->bias != 0.0)
        w[st->n_cols] += delta * p->bias;
}

/* Fills the per-row constants; rows of cost 0 never enter the active set. */
static void dcd_setup(dcd_state *st)
{
    const lathe__svm_problem *p = st->problem;
    st->n_active = 0;
    for (size_t row = 0; row < p->x->n_rows; row++) {
        double cost = p->cost[row];
        if (!(cost > 0.0))
            continue;
        st->upper[row] = p->squared_hinge ? INFINITY : cost;
        st->shift[row] = p->squared_hinge ? 0.5 / cost : 0.0;
        const double *values;
        const uint32_t *cols;
        size_t count = lathe__matrix_row(p->x, row, &values, &cols);
        double norm = p->bias * p->bias;
        for (size_t k = 0; k < count; k++)
            norm += values[k] * values[k];
        st->diagonal[row] = norm + st->shift[row];
        st->order[st->n_active++] = row;
    }
    st->n_rows = st->n_active;
    st->pg_max_old = INFINITY;
    st->pg_min_old = -INFINITY;
}

static void shuffle_active(dcd_state *st)
{
    for (size_t i = 0; i + 1 < st->n_active; i++) {
        size_t j = i + (size_t)(next_random(&st->random) % (st->n_active - i));
        size_t held = st->order[i];
        st->order[i] = st->order[j];
        st->order[j] = held;
    }
}

/* One pass over the active rows; returns the spread of projected gradients. */
static double dcd_pass(dcd_state *st, double *w)
{
    const lathe__svm_problem *p = st->problem;
    double pg_max = -INFINITY, pg_min = INFINITY;
    shuffle_active(st);
    for (size_t s = 0; s < st->n_active; s++) {
        size_t row = st->order[s];
        double label = p->labels[row];
        double g = label * row_margin(st, row, w) - 1.0 + st->shift[row] * st->alpha[row];
        double pg = 0.0;
        if (st->alpha[row] == 0.0) {
            if (g > st->pg_max_old) { /* shrink: stays at 0 for now */
                st->order[s--] = st->order[--st->n_active];
                st->order[st->n_active] = row;
                continue;
            }
            if (g < 0.0)
                pg = g;
        } else if (st->alpha[row] == st->upper[row]) {
            if (g < st->pg_min_old) {
                st->order[s--] = st->order[--st->n_active];
                st->order[st->n_active] = row;
                continue;
            }
            if (g > 0.0)
                pg = g;
        } else {
            pg = g;
        }
        pg_max = fmax(pg_max, pg);
        pg_min = fmin(pg_min, pg);
        if (fabs(pg) > 1e-12) {
            double old = st->alpha[row];
            st->alpha[row] = fmin(fmax(old - g / st->diagonal[row], 0.0), st->upper[row]);
            row_update(st, row, (st->alpha[row] - old) * label, w);
        }
    }
    st->pg_max_old = pg_max <= 0.0 ? INFINITY : pg_max;
    st->pg_min_old = pg_min >= 0.0 ? -INFINITY : pg_min;
    return pg_max - pg_min;
}

/* 0.5 |w|^2 + sum C_i loss_i, for the report. */
static double primal_objective(const dcd_state *st, const double *w, size_t n_weights)
{
    const lathe__svm_problem *p = st->problem;
    double value = 0.0;
    for (size_t j = 0; j < n_weights; j++)
        value += 0.5 * w[j] * w[j];
    for (size_t row = 0; row < p->x->n_rows; row++) {
        double slack = fmax(0.0, 1.0 - p->labels[row] * row_margin(st, row, w));
        value += p->cost[row] * (p->squared_hinge ? slack * slack : slack);
    }
    return value;
}

static lathe_status dcd_loop(lathe_ctx *ctx, dcd_state *st, double *w, lathe__solver_report *report,
                             lathe_error *err)
{
    const lathe__svm_problem *p = st->problem;
    while (report->iterations < p->max_iter) {
        if (lathe__progress(ctx, "fit", (double)report->iterations, (double)p->max_iter))
            return lathe__error(err, LATHE_CANCELED, "fit canceled");
        report->criterion = dcd_pass(st, w);
        report->iterations++;
        if (report->criterion > p->tol && st->n_active > 0)
            continue;
        if (st->n_active == st->n_rows) {
            report->converged = true;
            break;
        }
        st->n_active = st->n_rows; /* converged on the shrunk set: check all rows */
        st->pg_max_old = INFINITY;
        st->pg_min_old = -INFINITY;
    }
    return LATHE_OK;
}

lathe_status lathe__svm_dual_cd(lathe_ctx *ctx, const lathe__svm_problem *problem, double *w,
                                lathe__solver_report *report, lathe_error *err)
{
    memset(report, 0, sizeof *report);
    size_t n = problem->x->n_rows, n_weights = problem->x->n_cols + (problem->bias != 0.0);
    dcd_state st = {.problem = problem, .n_cols = problem->x->n_cols};
    st.random = problem->seed;
    st.alpha = lathe__calloc(ctx, n ? n : 1, sizeof(double));
    st.diagonal = lathe__calloc(ctx, n ? n : 1, sizeof(double));
    st.upper = lathe__calloc(ctx, n ? n : 1, sizeof(double));
    st.shift = lathe__calloc(ctx, n ? n : 1, sizeof(double));
    st.order = lathe__calloc(ctx, n ? n : 1, sizeof(size_t));
    lathe_status status = LATHE_OK;
    if (!st.alpha || !st.diagonal || !st.upper || !st.shift || !st.order) {
        status = lathe__error_nomem(err);
        goto out;
    }
    memset(w, 0, n_weights * sizeof(double)); /* w must match alpha = 0 */
    dcd_setup(&st);
    status = dcd_loop(ctx, &st, w, report, err);
    if (status == LATHE_OK)
        report->objective = primal_objective(&st, w, n_weights);
out:
    lathe__free(ctx, st.alpha);
    lathe__free(ctx, st.diagonal);
    lathe__free(ctx, st.upper);
    lathe__free(ctx, st.shift);
    lathe__free(ctx, st.order);
    return status;
}
