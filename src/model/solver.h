/*
 * solver.h: the optimizers behind the linear families (internal).
 *
 *  - L-BFGS, and OWL-QN when some variables carry an L1 penalty: smooth
 *    losses (logistic, squared hinge) over row-major data.
 *  - Coordinate descent for the elastic net (lasso, ridge with L1), either on
 *    the Gram matrix (few features) or on columns with a running residual.
 *  - Normal equations: weighted centered Gram matrices, Cholesky, and
 *    conjugate gradients on the Gram matrix or matrix-free over the rows.
 *  - Dual coordinate descent for L2-regularized hinge and squared hinge
 *    (the liblinear SVM solver).
 *
 * Every iterative solver starts from the point it is given (warm starts),
 * reports progress as stage "fit" and honours cancellation with
 * LATHE_CANCELED, and fills a lathe__solver_report; none of them logs.
 * Results depend only on the inputs and the seed, never on the thread count.
 */
#ifndef LATHE_MODEL_SOLVER_H
#define LATHE_MODEL_SOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"
#include "model/matrix.h"

typedef struct lathe__solver_report {
    size_t iterations;
    size_t evaluations; /* passes over the data, where that is the cost */
    bool converged;
    double objective;
    double criterion; /* the stopping measure at the end (gradient, gap, ...) */
} lathe__solver_report;

/* ---- L-BFGS / OWL-QN --------------------------------------------------- */

/* A smooth function: returns f(x) and writes its gradient. */
typedef double (*lathe__objective_fn)(void *arg, const double *x, double *gradient);

typedef struct lathe__lbfgs_problem {
    size_t n_vars;
    lathe__objective_fn evaluate;
    void *arg;
    const double *l1; /* per-variable L1 strength (OWL-QN), or NULL for none */
    size_t max_iter;
    double tol; /* stop when no pseudo-gradient entry exceeds tol in size */
} lathe__lbfgs_problem;

/* Minimizes f(x) + sum l1[j] |x[j]| from *x, leaving the result in x. */
lathe_status lathe__lbfgs_minimize(lathe_ctx *ctx, const lathe__lbfgs_problem *problem, double *x,
                                   lathe__solver_report *report, lathe_error *err);

/* ---- Elastic net: 0.5 sum s (y - b - x.w)^2 + l1 |w|_1 + 0.5 l2 |w|^2 ---- */

typedef struct lathe__enet_options {
    double l1;
    double l2;
    size_t max_iter;
    double tol; /* as scikit-learn: duality gap at most tol * sum s (y - mean)^2 */
} lathe__enet_options;

/* The weighted, optionally centered normal equations of a least-squares problem. */
typedef struct lathe__normal_equations {
    size_t n_features;
    double *gram;   /* n_features^2, X_c' S X_c, symmetric */
    double *xty;    /* X_c' S y_c */
    double yty;     /* y_c' S y_c */
    double *x_mean; /* weighted column means (zeros when not centered) */
    double y_mean;
    double weight_sum;
} lathe__normal_equations;

/* Weighted column means of x (x_mean, n_cols) and of y; fails if the weights add up to 0. */
lathe_status lathe__weighted_means(lathe_ctx *ctx, const lathe__matrix *x, const double *y,
                                   const double *weights, double *x_mean, double *y_mean,
                                   double *weight_sum, lathe_error *err);

/* weights: n_rows values or NULL for ones. center: subtract weighted means first. */
lathe_status lathe__normal_equations_build(lathe_ctx *ctx, const lathe__matrix *x, const double *y,
                                           const double *weights, bool center,
                                           lathe__normal_equations *out, lathe_error *err);
void lathe__normal_equations_release(lathe_ctx *ctx, lathe__normal_equations *ne);

/* Coordinate descent on the Gram form; w (n_features) in and out. */
lathe_status lathe__enet_gram(lathe_ctx *ctx, const lathe__normal_equations *ne,
                              const lathe__enet_options *options, double *w,
                              lathe__solver_report *report, lathe_error *err);

/*
 * Coordinate descent over columns with a running residual, for many
 * features or sparse data. weights: n_rows values or NULL. w and *intercept
 * in and out (the intercept is fitted only when fit_intercept).
 */
lathe_status lathe__enet_columns(lathe_ctx *ctx, const lathe__matrix *x, const double *y,
                                 const double *weights, bool fit_intercept,
                                 const lathe__enet_options *options, double *w, double *intercept,
                                 lathe__solver_report *report, lathe_error *err);

/*
 * Solves (gram + l2 I) w = xty by Cholesky. Returns false, leaving w alone,
 * when the matrix is not numerically positive definite.
 */
lathe_status lathe__cholesky_solve(lathe_ctx *ctx, const lathe__normal_equations *ne, double l2,
                                   double *w, bool *solved, lathe_error *err);

/*
 * Conjugate gradients on (X_c' S X_c + l2 I) w = X_c' S y_c, from w. With
 * `ne` the products use its Gram matrix; without, they pass over the rows of
 * x (centered by x_mean/y_mean, which may be NULL/0). Started from zero on a
 * singular system it converges to the minimum-norm solution. Stops when the
 * residual norm is at most tol times the right-hand side's.
 */
typedef struct lathe__cg_problem {
    const lathe__normal_equations *ne; /* or NULL: use the rows below */
    const lathe__matrix *x;
    const double *y;
    const double *weights; /* or NULL */
    const double *x_mean;  /* or NULL */
    double y_mean;
    double l2;
    size_t max_iter;
    double tol;
} lathe__cg_problem;

lathe_status lathe__cg_solve(lathe_ctx *ctx, const lathe__cg_problem *problem, double *w,
                             lathe__solver_report *report, lathe_error *err);

/* ---- Dual coordinate descent for linear SVMs (Hsieh et al., 2008) ------- */

typedef struct lathe__svm_problem {
    const lathe__matrix *x;
    const signed char *labels; /* +1 or -1 per row */
    const double *cost;        /* per-row C (C times class and sample weight); 0 skips the row */
    bool squared_hinge;
    double bias; /* value of the constant feature (intercept_scaling), 0 for none */
    size_t max_iter;
    double tol;    /* on the projected-gradient spread, as liblinear's eps */
    uint64_t seed; /* for the order rows are visited in */
} lathe__svm_problem;

/* w gets n_cols weights then, when bias is not 0, the constant feature's weight. */
lathe_status lathe__svm_dual_cd(lathe_ctx *ctx, const lathe__svm_problem *problem, double *w,
                                lathe__solver_report *report, lathe_error *err);

#endif
