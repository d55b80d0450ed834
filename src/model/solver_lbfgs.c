/*
 * solver_lbfgs.c: limited-memory BFGS, with the orthant-wise extension
 * (OWL-QN, Andrew and Gao 2007) for L1 penalties.
 *
 * Minimizes F(x) = f(x) + sum l1[j] |x[j]| for a smooth f. Without l1 it is
 * plain L-BFGS. With l1, steps follow the pseudo-gradient of F, directions
 * are clipped to agree with it in sign, and each trial point is projected
 * onto the orthant it started in, so a variable reaches exactly zero
 * instead of oscillating around it.
 *
 * Near the optimum F stops changing in floating point before the gradient
 * reaches a very small tol; after a few iterations that leave F unchanged
 * to rounding the solver stops rather than spin to max_iter, and reports
 * not converged (the criterion says how close it got).
 *
 * Line search: backtracking from the full quasi-Newton step with a
 * safeguarded quadratic interpolation and the Armijo condition. Curvature
 * pairs with s.y <= 0 are skipped, which keeps the inverse Hessian positive
 * definite. The stopping rule is on the largest pseudo-gradient entry.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/solver.h"

#include "core/banned.h"

/*
 * Curvature pairs kept: up to MAX_MEMORY while they take at most
 * MEMORY_BUDGET_BYTES, never fewer than MIN_MEMORY (scipy's 10). A longer
 * memory models an ill-conditioned Hessian better (multinomial shuttle:
 * 100 iterations at 10 pairs, 73 at 30) and costs little beside a pass over
 * the rows while the variables are few.
 */
#define MIN_MEMORY 10
#define MAX_MEMORY 30
#define MEMORY_BUDGET_BYTES ((size_t)16 << 20)
#define MAX_BACKTRACKS 40
#define ARMIJO 1e-4
/* Iterations in a row that may leave F unchanged to rounding before the solver gives up. */
#define MAX_STALLS 5

typedef struct lbfgs_state {
    const lathe__lbfgs_problem *problem;
    size_t n;
    double *g, *pg, *d, *x_new, *g_new;
    double *s[MAX_MEMORY], *y[MAX_MEMORY];
    double rho[MAX_MEMORY], alpha[MAX_MEMORY];
    size_t memory, n_pairs, newest;
    double f;
} lbfgs_state;

static double dot(const double *a, const double *b, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

static double max_abs(const double *a, size_t n)
{
    double largest = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i]) > largest)
            largest = fabs(a[i]);
    return largest;
}

static double l1_term(const lathe__lbfgs_problem *problem, const double *x)
{
    if (!problem->l1)
        return 0.0;
    double sum = 0.0;
    for (size_t j = 0; j < problem->n_vars; j++)
        sum += problem->l1[j] * fabs(x[j]);
    return sum;
}

static double evaluate(lbfgs_state *st, const double *x, double *g)
{
    return st->problem->evaluate(st->problem->arg, x, g) + l1_term(st->problem, x);
}

/* The steepest-descent direction of F at x, negated; the gradient where l1 is 0. */
static void pseudo_gradient(const lathe__lbfgs_problem *problem, const double *x, const double *g,
                            double *pg)
{
    for (size_t j = 0; j < problem->n_vars; j++) {
        double l1 = problem->l1 ? problem->l1[j] : 0.0;
        if (l1 == 0.0 || x[j] > 0.0)
            pg[j] = g[j] + l1;
        else if (x[j] < 0.0)
            pg[j] = g[j] - l1;
        else if (g[j] + l1 < 0.0)
            pg[j] = g[j] + l1;
        else if (g[j] - l1 > 0.0)
            pg[j] = g[j] - l1;
        else
            pg[j] = 0.0;
    }
}

/* d = -H pg by the two-loop recursion over the stored pairs. */
static void two_loop(lbfgs_state *st)
{
    size_t n = st->n;
    for (size_t j = 0; j < n; j++)
        st->d[j] = -st->pg[j];
    size_t k = st->newest;
    for (size_t i = 0; i < st->n_pairs; i++) {
        st->alpha[k] = st->rho[k] * dot(st->s[k], st->d, n);
        for (size_t j = 0; j < n; j++)
            st->d[j] -= st->alpha[k] * st->y[k][j];
        k = (k + st->memory - 1) % st->memory;
    }
    if (st->n_pairs) {
        double *y = st->y[st->newest];
        double gamma = 1.0 / (st->rho[st->newest] * dot(y, y, n));
        for (size_t j = 0; j < n; j++)
            st->d[j] *= gamma;
    }
    for (size_t i = 0; i < st->n_pairs; i++) {
        k = (k + 1) % st->memory;
        double beta = st->rho[k] * dot(st->y[k], st->d, n);
        for (size_t j = 0; j < n; j++)
            st->d[j] += (st->alpha[k] - beta) * st->s[k][j];
    }
}

/* Direction for this iteration; returns pg.d (negative: a descent direction). */
static double direction(lbfgs_state *st)
{
    const double *l1 = st->problem->l1;
    two_loop(st);
    if (l1)
        for (size_t j = 0; j < st->n; j++)
            if (l1[j] > 0.0 && st->d[j] * st->pg[j] >= 0.0)
                st->d[j] = 0.0;
    double slope = dot(st->pg, st->d, st->n);
    if (slope < 0.0)
        return slope;
    st->n_pairs = 0; /* the model went bad: restart from steepest descent */
    for (size_t j = 0; j < st->n; j++)
        st->d[j] = -st->pg[j];
    return -dot(st->pg, st->pg, st->n);
}

/* x_new = x + step d, kept in x's orthant for penalized variables. */
static void trial_point(lbfgs_state *st, const double *x, double step)
{
    const double *l1 = st->problem->l1;
    for (size_t j = 0; j < st->n; j++) {
        double value = x[j] + step * st->d[j];
        if (l1 && l1[j] > 0.0) {
            double orthant = x[j] != 0.0 ? x[j] : -st->pg[j];
            if (value * orthant <= 0.0)
                value = 0.0;
        }
        st->x_new[j] = value;
    }
}

/* Backtracks until the Armijo condition holds; false if no step decreased F. */
static bool line_search(lbfgs_state *st, const double *x, double step, size_t *evaluations,
                        double *f_new)
{
    for (int tries = 0; tries < MAX_BACKTRACKS; tries++) {
        trial_point(st, x, step);
        *f_new = evaluate(st, st->x_new, st->g_new);
        (*evaluations)++;
        double moved = 0.0;
        for (size_t j = 0; j < st->n; j++)
            moved += st->pg[j] * (st->x_new[j] - x[j]);
        if (isfinite(*f_new) && *f_new <= st->f + ARMIJO * moved)
            return true;
        double next = 0.5 * step;
        if (isfinite(*f_new) && moved < 0.0) {
            /* Minimum of the quadratic through f, its slope and f_new. */
            double curvature = *f_new - st->f - moved;
            if (curvature > 0.0) {
                double quadratic = -moved * step / (2.0 * curvature);
                next = fmax(0.1 * step, fmin(0.5 * step, quadratic));
            }
        }
        step = next;
    }
    return false;
}

static void remember_pair(lbfgs_state *st, const double *x)
{
    size_t slot = st->n_pairs ? (st->newest + 1) % st->memory : st->newest;
    double sy = 0.0, yy = 0.0;
    for (size_t j = 0; j < st->n; j++) {
        st->s[slot][j] = st->x_new[j] - x[j];
        st->y[slot][j] = st->g_new[j] - st->g[j];
        sy += st->s[slot][j] * st->y[slot][j];
        yy += st->y[slot][j] * st->y[slot][j];
    }
    if (!(sy > 1e-12 * yy) || yy == 0.0)
        return;
    st->rho[slot] = 1.0 / sy;
    st->newest = slot;
    if (st->n_pairs < st->memory)
        st->n_pairs++;
}

static void state_release(lathe_ctx *ctx, lbfgs_state *st)
{
    double *arrays[] = {st->g, st->pg, st->d, st->x_new, st->g_new};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        lathe__free(ctx, arrays[i]);
    for (size_t i = 0; i < st->memory; i++) {
        lathe__free(ctx, st->s[i]);
        lathe__free(ctx, st->y[i]);
    }
}

static bool state_init(lathe_ctx *ctx, lbfgs_state *st, const lathe__lbfgs_problem *problem)
{
    memset(st, 0, sizeof *st);
    st->problem = problem;
    st->n = problem->n_vars;
    size_t pair_bytes = 2 * (st->n ? st->n : 1) * sizeof(double);
    st->memory = MEMORY_BUDGET_BYTES / pair_bytes;
    st->memory = st->memory > MAX_MEMORY   ? MAX_MEMORY
                 : st->memory < MIN_MEMORY ? MIN_MEMORY
                                           : st->memory;
    double **arrays[] = {&st->g, &st->pg, &st->d, &st->x_new, &st->g_new};
    bool ok = true;
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        ok &= (*arrays[i] = lathe__calloc(ctx, st->n ? st->n : 1, sizeof(double))) != NULL;
    for (size_t i = 0; i < st->memory; i++) {
        ok &= (st->s[i] = lathe__calloc(ctx, st->n ? st->n : 1, sizeof(double))) != NULL;
        ok &= (st->y[i] = lathe__calloc(ctx, st->n ? st->n : 1, sizeof(double))) != NULL;
    }
    return ok;
}

/* One iteration from x; false when no step makes progress even from steepest descent. */
static bool iterate(lbfgs_state *st, double *x, size_t *evaluations)
{
    double slope = direction(st);
    double step = st->n_pairs ? 1.0 : fmin(1.0, 1.0 / sqrt(-slope));
    double f_new;
    if (!line_search(st, x, step, evaluations, &f_new)) {
        if (st->n_pairs == 0)
            return false;
        st->n_pairs = 0;
        return iterate(st, x, evaluations);
    }
    remember_pair(st, x);
    memcpy(x, st->x_new, st->n * sizeof *x);
    memcpy(st->g, st->g_new, st->n * sizeof *x);
    st->f = f_new;
    return true;
}

lathe_status lathe__lbfgs_minimize(lathe_ctx *ctx, const lathe__lbfgs_problem *problem, double *x,
                                   lathe__solver_report *report, lathe_error *err)
{
    memset(report, 0, sizeof *report);
    lbfgs_state st;
    lathe_status status = LATHE_OK;
    if (!state_init(ctx, &st, problem)) {
        status = lathe__error_nomem(err);
        goto out;
    }
    size_t stalls = 0;
    st.f = evaluate(&st, x, st.g);
    report->evaluations = 1;
    if (!isfinite(st.f)) {
        status = lathe__error(err, LATHE_INVALID, "the objective is not finite at the start");
        goto out;
    }
    for (;;) {
        pseudo_gradient(problem, x, st.g, st.pg);
        report->criterion = max_abs(st.pg, st.n);
        if (report->criterion <= problem->tol) {
            report->converged = true;
            break;
        }
        if (report->iterations >= problem->max_iter)
            break;
        if (lathe__progress(ctx, "fit", (double)report->iterations, (double)problem->max_iter)) {
            status = lathe__error(err, LATHE_CANCELED, "fit canceled");
            goto out;
        }
        double before = st.f;
        if (!iterate(&st, x, &report->evaluations))
            break; /* no step decreases F: as close as floating point allows */
        report->iterations++;
        stalls = before - st.f <= 4.0 * DBL_EPSILON * fabs(before) ? stalls + 1 : 0;
        if (stalls >= MAX_STALLS)
            break;
    }
    report->objective = st.f;
out:
    state_release(ctx, &st);
    return status;
}
