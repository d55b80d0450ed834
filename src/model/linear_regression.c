/*
 * linear_regression.c: least squares and its penalized forms, four
 * families with scikit-learn's objectives:
 *
 *     linear      sum s (y - Xw - b)^2                           (LinearRegression)
 *     ridge       sum s (y - Xw - b)^2 + alpha |w|^2             (Ridge)
 *     lasso       1/(2 S) sum s (y - Xw - b)^2 + alpha |w|_1     (Lasso)
 *     elasticnet  1/(2 S) sum s (y - Xw - b)^2 + alpha l1_ratio |w|_1
 *                 + 0.5 alpha (1 - l1_ratio) |w|^2               (ElasticNet)
 *
 * with S the sum of the sample weights s. All four are rescaled to
 * 0.5 sum s r^2 + l1 |w|_1 + 0.5 l2 |w|^2 for the solvers, and the
 * intercept is never penalized.
 *
 * Without an L1 part: Cholesky on the centered Gram matrix when there are
 * few features, conjugate gradients over the rows otherwise; a singular
 * system (ordinary least squares on collinear features) falls back to
 * conjugate gradients from zero, which reaches the minimum-norm solution as
 * scikit-learn's lstsq does. With an L1 part: coordinate descent, on the
 * Gram matrix when rows outnumber few features, over columns otherwise.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/linear.h"

#include "core/banned.h"

#define GRAM_MAX_FEATURES 1024

#define PARAM_ALPHA(default_text, what)                                                            \
    {                                                                                              \
        .name = "alpha", .type = LATHE__PARAM_DOUBLE, .default_value = default_text, .min = 0,     \
        .max = HUGE_VAL, .help = what                                                              \
    }
#define PARAM_FIT_INTERCEPT                                                                        \
    {                                                                                              \
        .name = "fit_intercept", .type = LATHE__PARAM_BOOL, .default_value = "true",               \
        .help = "learn an intercept (never penalized)"                                             \
    }
#define PARAM_MAX_ITER(default_text)                                                               \
    {                                                                                              \
        .name = "max_iter", .type = LATHE__PARAM_INT, .default_value = default_text, .min = 1,     \
        .max = 1e7, .help = "most iterations of the iterative solvers"                             \
    }
#define PARAM_TOL(default_text, what)                                                              \
    {                                                                                              \
        .name = "tol", .type = LATHE__PARAM_DOUBLE, .default_value = default_text, .min = 0,       \
        .max = HUGE_VAL, .bounds = LATHE__PARAM_MIN_EXCLUSIVE, .help = what                        \
    }
#define PARAM_SOLVER                                                                               \
    {                                                                                              \
        .name = "solver", .type = LATHE__PARAM_CHOICE, .default_value = "auto",                    \
        .choices = "auto|cholesky|cg",                                                             \
        .help =                                                                                    \
            "cholesky: exact, on the Gram matrix; cg: conjugate gradients over the rows; auto: "   \
            "cholesky up to 1024 features"                                                         \
    }
#define PARAM_PRECOMPUTE                                                                           \
    {                                                                                              \
        .name = "precompute", .type = LATHE__PARAM_CHOICE, .default_value = "auto",                \
        .choices = "auto|true|false",                                                              \
        .help =                                                                                    \
            "coordinate descent on the Gram matrix (true) or over columns (false); auto: Gram "    \
            "when rows outnumber up to 1024 features"                                              \
    }
#define CG_TOL_HELP "conjugate gradients stop when the residual is tol times the right-hand side"
#define CD_TOL_HELP "stop when the duality gap is at most tol times the target's sum of squares"

static const lathe__param_spec linear_params[] = {
    PARAM_FIT_INTERCEPT,
    PARAM_SOLVER,
    PARAM_MAX_ITER("1000"),
    PARAM_TOL("1e-8", CG_TOL_HELP),
};

static const lathe__param_spec ridge_params[] = {
    PARAM_ALPHA("1", "L2 strength: the loss is the sum of squared errors plus alpha |w|^2"),
    PARAM_FIT_INTERCEPT,
    PARAM_SOLVER,
    PARAM_MAX_ITER("1000"),
    PARAM_TOL("1e-8", CG_TOL_HELP),
};

static const lathe__param_spec lasso_params[] = {
    PARAM_ALPHA("1", "L1 strength against the mean halved squared error"),
    PARAM_FIT_INTERCEPT,
    PARAM_PRECOMPUTE,
    PARAM_MAX_ITER("1000"),
    PARAM_TOL("1e-4", CD_TOL_HELP),
};

static const lathe__param_spec elasticnet_params[] = {
    PARAM_ALPHA("1", "penalty strength against the mean halved squared error"),
    {.name = "l1_ratio",
     .type = LATHE__PARAM_DOUBLE,
     .default_value = "0.5",
     .min = 0,
     .max = 1,
     .help = "the L1 share of the penalty (1: lasso, 0: ridge)"},
    PARAM_FIT_INTERCEPT,
    PARAM_PRECOMPUTE,
    PARAM_MAX_ITER("1000"),
    PARAM_TOL("1e-4", CD_TOL_HELP),
};

static bool has_param(const lathe__param_values *params, const char *name)
{
    for (size_t i = 0; i < params->n; i++)
        if (strcmp(params->specs[i].name, name) == 0)
            return true;
    return false;
}

static double param_or(const lathe__param_values *params, const char *name, double fallback)
{
    return has_param(params, name) ? lathe__params_number(params, name) : fallback;
}

/* What one fit needs to know, from the family and its parameters. */
typedef struct regression_fit {
    lathe_ctx *ctx;
    const char *family;
    const lathe__train_data *data;
    double l1, l2;
    bool fit_intercept;
    size_t max_iter;
    double tol;
    double *w;
    double intercept;
    lathe__solver_report report;
    const char *solver;
} regression_fit;

static double weight_sum(const lathe__train_data *data)
{
    if (!data->weights)
        return (double)data->x->n_rows;
    double sum = 0.0;
    for (size_t row = 0; row < data->x->n_rows; row++)
        sum += data->weights[row];
    return sum;
}

/* The solver's l1 and l2 for the family (see the table at the top). */
static void penalties(const lathe__model_ops *ops, const lathe__param_values *params,
                      const lathe__train_data *data, regression_fit *fit)
{
    double alpha = param_or(params, "alpha", 0.0);
    fit->l1 = fit->l2 = 0.0;
    if (ops == &lathe__ridge_ops) {
        fit->l2 = alpha;
    } else if (ops == &lathe__lasso_ops) {
        fit->l1 = weight_sum(data) * alpha;
    } else if (ops == &lathe__elasticnet_ops) {
        double ratio = lathe__params_number(params, "l1_ratio");
        fit->l1 = weight_sum(data) * alpha * ratio;
        fit->l2 = weight_sum(data) * alpha * (1.0 - ratio);
    }
}

static const char *choice_or(const lathe__param_values *params, const char *name,
                             const char *fallback)
{
    return has_param(params, name) ? lathe__params_choice(params, name) : fallback;
}

/* Ridge and least squares through the Gram matrix. */
static lathe_status solve_gram_l2(regression_fit *fit, const lathe__normal_equations *ne,
                                  lathe_error *err)
{
    bool solved;
    lathe_status status = lathe__cholesky_solve(fit->ctx, ne, fit->l2, fit->w, &solved, err);
    if (status != LATHE_OK || solved) {
        fit->solver = "cholesky";
        fit->report.converged = true;
        return status;
    }
    lathe__log(fit->ctx, LATHE_LOG_INFO,
               "%s: the Gram matrix is singular (collinear features); solving for the "
               "minimum-norm weights by conjugate gradients",
               fit->family);
    memset(fit->w, 0, ne->n_features * sizeof(double));
    lathe__cg_problem problem = {
        .ne = ne, .l2 = fit->l2, .max_iter = fit->max_iter, .tol = fit->tol};
    fit->solver = "cg";
    return lathe__cg_solve(fit->ctx, &problem, fit->w, &fit->report, err);
}

static lathe_status solve_gram(regression_fit *fit, lathe_error *err)
{
    const lathe__train_data *data = fit->data;
    lathe__normal_equations ne;
    lathe_status status = lathe__normal_equations_build(fit->ctx, data->x, data->y, data->weights,
                                                        fit->fit_intercept, &ne, err);
    if (status != LATHE_OK)
        return status;
    if (fit->l1 > 0.0) {
        lathe__enet_options options = {fit->l1, fit->l2, fit->max_iter, fit->tol};
        fit->solver = "coordinate descent (gram)";
        status = lathe__enet_gram(fit->ctx, &ne, &options, fit->w, &fit->report, err);
    } else {
        status = solve_gram_l2(fit, &ne, err);
    }
    fit->intercept = ne.y_mean;
    for (size_t j = 0; j < ne.n_features; j++)
        fit->intercept -= ne.x_mean[j] * fit->w[j];
    lathe__normal_equations_release(fit->ctx, &ne);
    return status;
}

static lathe_status solve_rows_cg(regression_fit *fit, lathe_error *err)
{
    const lathe__train_data *data = fit->data;
    size_t d = data->x->n_cols;
    lathe__cg_problem problem = {.x = data->x,
                                 .y = data->y,
                                 .weights = data->weights,
                                 .l2 = fit->l2,
                                 .max_iter = fit->max_iter,
                                 .tol = fit->tol};
    double *x_mean = NULL;
    lathe_status status = LATHE_OK;
    if (fit->fit_intercept) {
        double total;
        x_mean = lathe__calloc(fit->ctx, d ? d : 1, sizeof(double));
        if (!x_mean)
            return lathe__error_nomem(err);
        status = lathe__weighted_means(fit->ctx, data->x, data->y, data->weights, x_mean,
                                       &problem.y_mean, &total, err);
        problem.x_mean = x_mean;
    }
    fit->solver = "cg";
    if (status == LATHE_OK)
        status = lathe__cg_solve(fit->ctx, &problem, fit->w, &fit->report, err);
    fit->intercept = problem.y_mean;
    for (size_t j = 0; x_mean && j < d; j++)
        fit->intercept -= x_mean[j] * fit->w[j];
    lathe__free(fit->ctx, x_mean);
    return status;
}

static lathe_status solve_columns_cd(regression_fit *fit, lathe_error *err)
{
    const lathe__train_data *data = fit->data;
    lathe__enet_options options = {fit->l1, fit->l2, fit->max_iter, fit->tol};
    fit->solver = "coordinate descent";
    return lathe__enet_columns(fit->ctx, data->x, data->y, data->weights, fit->fit_intercept,
                               &options, fit->w, &fit->intercept, &fit->report, err);
}

/* Gram or rows, from the solver/precompute parameter and the data's shape. */
static bool use_gram(const regression_fit *fit, const lathe__param_values *params)
{
    size_t n = fit->data->x->n_rows, d = fit->data->x->n_cols;
    if (fit->l1 > 0.0) {
        const char *precompute = choice_or(params, "precompute", "auto");
        if (strcmp(precompute, "auto") == 0)
            return d <= GRAM_MAX_FEATURES && n > d;
        return strcmp(precompute, "true") == 0;
    }
    const char *solver = choice_or(params, "solver", "auto");
    if (strcmp(solver, "auto") == 0)
        return d <= GRAM_MAX_FEATURES;
    return strcmp(solver, "cholesky") == 0;
}

static lathe_status run_solver(regression_fit *fit, const lathe__param_values *params,
                               lathe_error *err)
{
    if (use_gram(fit, params))
        return solve_gram(fit, err);
    if (fit->l1 > 0.0)
        return solve_columns_cd(fit, err);
    return solve_rows_cg(fit, err);
}

static lathe_status finish(regression_fit *fit, void **model, lathe_error *err)
{
    size_t d = fit->data->x->n_cols;
    lathe__linear_model *m;
    lathe_status status =
        lathe__linear_new(fit->ctx, fit->family, LATHE__LINEAR_VALUE, d, 0, &m, err);
    if (status != LATHE_OK)
        return status;
    memcpy(m->coef, fit->w, d * sizeof(double));
    m->intercept[0] = fit->fit_intercept ? fit->intercept : 0.0;
    m->n_iterations = fit->report.iterations;
    m->converged = fit->report.converged;
    if (strcmp(fit->solver, "cholesky") == 0)
        lathe__log(fit->ctx, LATHE_LOG_INFO, "%s: solved exactly by cholesky on %zu features",
                   fit->family, d);
    else
        lathe__linear_log_report(fit->ctx, fit->family, fit->solver, &fit->report, fit->max_iter);
    *model = m;
    return LATHE_OK;
}

lathe_status lathe__regression_fit_from(lathe_ctx *ctx, const lathe__model_ops *ops,
                                        const lathe__train_data *data,
                                        const lathe__param_values *params,
                                        const lathe__linear_model *start, void **model,
                                        lathe_error *err)
{
    lathe_status status = lathe__linear_check_data(ops, data, err);
    if (status != LATHE_OK)
        return status;
    size_t d = data->x->n_cols;
    regression_fit fit = {.ctx = ctx,
                          .family = ops->name,
                          .data = data,
                          .fit_intercept = lathe__params_number(params, "fit_intercept") != 0,
                          .max_iter = (size_t)lathe__params_number(params, "max_iter"),
                          .tol = lathe__params_number(params, "tol"),
                          .solver = "none"};
    penalties(ops, params, data, &fit);
    fit.w = lathe__calloc(ctx, d ? d : 1, sizeof(double));
    if (!fit.w)
        return lathe__error_nomem(err);
    if (start) {
        memcpy(fit.w, start->coef, d * sizeof(double));
        fit.intercept = start->intercept[0];
    }
    status = run_solver(&fit, params, err);
    if (status == LATHE_OK)
        status = finish(&fit, model, err);
    lathe__free(ctx, fit.w);
    return status;
}

static lathe_status linear_fit(lathe_ctx *ctx, const lathe__train_data *data,
                               const lathe__param_values *params, void **model, lathe_error *err)
{
    return lathe__regression_fit_from(ctx, &lathe__linear_ops, data, params, NULL, model, err);
}

static lathe_status ridge_fit(lathe_ctx *ctx, const lathe__train_data *data,
                              const lathe__param_values *params, void **model, lathe_error *err)
{
    return lathe__regression_fit_from(ctx, &lathe__ridge_ops, data, params, NULL, model, err);
}

static lathe_status lasso_fit(lathe_ctx *ctx, const lathe__train_data *data,
                              const lathe__param_values *params, void **model, lathe_error *err)
{
    return lathe__regression_fit_from(ctx, &lathe__lasso_ops, data, params, NULL, model, err);
}

static lathe_status elasticnet_fit(lathe_ctx *ctx, const lathe__train_data *data,
                                   const lathe__param_values *params, void **model,
                                   lathe_error *err)
{
    return lathe__regression_fit_from(ctx, &lathe__elasticnet_ops, data, params, NULL, model, err);
}

static lathe_status linear_load(lathe_ctx *ctx, lathe__rbuf *buf, void **model, lathe_error *err)
{
    return lathe__linear_load(ctx, buf, "linear", LATHE__LINEAR_VALUE, model, err);
}

static lathe_status ridge_load(lathe_ctx *ctx, lathe__rbuf *buf, void **model, lathe_error *err)
{
    return lathe__linear_load(ctx, buf, "ridge", LATHE__LINEAR_VALUE, model, err);
}

static lathe_status lasso_load(lathe_ctx *ctx, lathe__rbuf *buf, void **model, lathe_error *err)
{
    return lathe__linear_load(ctx, buf, "lasso", LATHE__LINEAR_VALUE, model, err);
}

static lathe_status elasticnet_load(lathe_ctx *ctx, lathe__rbuf *buf, void **model,
                                    lathe_error *err)
{
    return lathe__linear_load(ctx, buf, "elasticnet", LATHE__LINEAR_VALUE, model, err);
}

#define REGRESSION_OPS(family, text, table, fit_fn, load_fn)                                       \
    {                                                                                              \
        .name = family, .summary = text, .tasks = LATHE__TASK_REGRESSION, .params = table,         \
        .n_params = sizeof table / sizeof table[0], .needs_scaling = true, .fit = fit_fn,          \
        .predict = lathe__linear_predict, .predict_parallel = lathe__linear_predict_parallel,      \
        .n_outputs = lathe__linear_n_outputs, .n_features = lathe__linear_n_features,              \
        .save = lathe__linear_save, .load = load_fn, .free = lathe__linear_free,                   \
        .facts = lathe__linear_facts                                                               \
    }

const lathe__model_ops lathe__linear_ops =
    REGRESSION_OPS("linear", "ordinary least squares", linear_params, linear_fit, linear_load);
const lathe__model_ops lathe__ridge_ops = REGRESSION_OPS(
    "ridge", "least squares with an L2 penalty", ridge_params, ridge_fit, ridge_load);
const lathe__model_ops lathe__lasso_ops =
    REGRESSION_OPS("lasso", "least squares with an L1 penalty (sparse weights)", lasso_params,
                   lasso_fit, lasso_load);
const lathe__model_ops lathe__elasticnet_ops =
    REGRESSION_OPS("elasticnet", "least squares with L1 and L2 penalties", elasticnet_params,
                   elasticnet_fit, elasticnet_load);
