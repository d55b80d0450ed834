/*
 * linear_svm.c: linear support vector classifiers with liblinear's and
 * scikit-learn's LinearSVC objective
 *
 *     penalty(w~) + sum_i C_i loss(y_i (w.x_i + w_b * intercept_scaling)),
 *
 * loss hinge or squared_hinge, penalty 0.5 |w~|^2 (l2) or |w~|_1 (l1, with
 * squared hinge only), where w~ includes the intercept's weight w_b: like
 * liblinear, the intercept is a constant feature `intercept_scaling` that is
 * regularized with the rest (raise intercept_scaling to weaken that).
 * C_i = C * sample weight * class weight of the row's class, in every
 * one-vs-rest problem (liblinear weights only each problem's positive class;
 * for two classes the two agree).
 *
 * Two classes train one vector (class 1 positive); more train one vector
 * per class, one-vs-rest. L2 uses dual coordinate descent; L1 uses OWL-QN
 * on the primal (the squared hinge is smooth enough).
 *
 * Outputs: an SVM has no probabilities. predict gives the sigmoid (two
 * classes) or softmax (more) of the decision values: scores that sum to 1
 * and rank rows as the SVM does, but are not calibrated probabilities, so
 * log loss on them measures little. Calibrate them before trusting them.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/linear.h"

#include "core/banned.h"

static const lathe__param_spec svm_params[] = {
    {.name = "loss",
     .type = LATHE__PARAM_CHOICE,
     .default_value = "squared_hinge",
     .choices = "squared_hinge|hinge",
     .help = "the margin loss"},
    {.name = "penalty",
     .type = LATHE__PARAM_CHOICE,
     .default_value = "l2",
     .choices = "l2|l1",
     .help = "l1 (sparse weights) needs loss=squared_hinge"},
    {.name = "C",
     .type = LATHE__PARAM_DOUBLE,
     .default_value = "1",
     .min = 0,
     .max = HUGE_VAL,
     .bounds = LATHE__PARAM_MIN_EXCLUSIVE,
     .help = "inverse regularization strength (as scikit-learn and liblinear)"},
    {.name = "fit_intercept",
     .type = LATHE__PARAM_BOOL,
     .default_value = "true",
     .help = "learn an intercept through a constant feature"},
    {.name = "intercept_scaling",
     .type = LATHE__PARAM_DOUBLE,
     .default_value = "1",
     .min = 0,
     .max = HUGE_VAL,
     .bounds = LATHE__PARAM_MIN_EXCLUSIVE,
     .help = "value of the constant feature; larger weakens the intercept's penalty"},
    {.name = "class_weight",
     .type = LATHE__PARAM_STRING,
     .default_value = "none",
     .help = "none, balanced, or CLASS:WEIGHT pairs by class index such as 0:1,1:5"},
    {.name = "max_iter",
     .type = LATHE__PARAM_INT,
     .default_value = "1000",
     .min = 1,
     .max = 1e7,
     .help = "most passes over the rows per class"},
    {.name = "tol",
     .type = LATHE__PARAM_DOUBLE,
     .default_value = "1e-4",
     .min = 0,
     .max = HUGE_VAL,
     .bounds = LATHE__PARAM_MIN_EXCLUSIVE,
     .help = "stopping tolerance (dual: projected-gradient spread; l1: largest pseudo-gradient)"},
};

typedef struct svm_fit {
    lathe_ctx *ctx;
    const lathe__train_data *data;
    const double *s; /* sample times class weights */
    double C, bias, weight_sum;
    bool squared_hinge, l1;
    size_t max_iter;
    double tol;
    signed char *labels;
    double *cost;
    double *w; /* n_features + 1 */
    lathe__solver_report total;
} svm_fit;

/* Squared hinge over C * S, for OWL-QN on the l1 problem. */
static double squared_hinge_evaluate(void *arg, const double *w, double *gradient)
{
    const svm_fit *fit = arg;
    const lathe__matrix *x = fit->data->x;
    size_t d = x->n_cols;
    double loss = 0.0, scale = 1.0 / (fit->C * fit->weight_sum);
    memset(gradient, 0, (d + 1) * sizeof(double));
    for (size_t row = 0; row < x->n_rows; row++) {
        if (fit->cost[row] == 0.0)
            continue;
        double margin = lathe__matrix_row_dot(x, row, w) + w[d] * fit->bias;
        double slack = 1.0 - fit->labels[row] * margin;
        if (slack <= 0.0)
            continue;
        loss += fit->cost[row] * slack * slack;
        double dz = -2.0 * fit->cost[row] * slack * fit->labels[row] * scale;
        lathe__matrix_row_axpy(x, row, dz, gradient);
        gradient[d] += dz * fit->bias;
    }
    return loss * scale;
}

static lathe_status solve_l1(svm_fit *fit, lathe__solver_report *report, lathe_error *err)
{
    size_t n_vars = fit->data->x->n_cols + 1;
    double *l1 = lathe__alloc(fit->ctx, n_vars * sizeof(double));
    if (!l1)
        return lathe__error_nomem(err);
    for (size_t j = 0; j < n_vars; j++)
        l1[j] = 1.0 / (fit->C * fit->weight_sum);
    if (fit->bias == 0.0)
        l1[n_vars - 1] = 0.0; /* no constant feature: its weight stays 0 */
    lathe__lbfgs_problem problem = {.n_vars = n_vars,
                                    .evaluate = squared_hinge_evaluate,
                                    .arg = fit,
                                    .l1 = l1,
                                    .max_iter = fit->max_iter,
                                    .tol = fit->tol};
    lathe_status status = lathe__lbfgs_minimize(fit->ctx, &problem, fit->w, report, err);
    lathe__free(fit->ctx, l1);
    return status;
}

/* Labels and costs of the binary problem "class `positive` against the rest". */
static void binary_problem(svm_fit *fit, size_t positive)
{
    for (size_t row = 0; row < fit->data->x->n_rows; row++) {
        fit->labels[row] = (size_t)fit->data->y[row] == positive ? 1 : -1;
        fit->cost[row] = fit->C * fit->s[row];
    }
}

static void add_report(lathe__solver_report *total, const lathe__solver_report *one)
{
    total->iterations += one->iterations;
    total->evaluations += one->evaluations ? one->evaluations : one->iterations;
    total->converged = total->converged && one->converged;
    total->criterion = fmax(total->criterion, one->criterion);
}

/* Trains vector k of the model; `start` holds its previous weights or is NULL. */
static lathe_status train_vector(svm_fit *fit, size_t k, size_t positive,
                                 const lathe__linear_model *start, lathe__linear_model *m,
                                 lathe_error *err)
{
    size_t d = fit->data->x->n_cols;
    binary_problem(fit, positive);
    memset(fit->w, 0, (d + 1) * sizeof(double));
    lathe__solver_report report = {0};
    lathe_status status;
    if (fit->l1) {
        if (start && fit->bias != 0.0) {
            memcpy(fit->w, start->coef + k * d, d * sizeof(double));
            fit->w[d] = start->intercept[k] / fit->bias;
        }
        status = solve_l1(fit, &report, err);
    } else {
        lathe__svm_problem problem = {.x = fit->data->x,
                                      .labels = fit->labels,
                                      .cost = fit->cost,
                                      .squared_hinge = fit->squared_hinge,
                                      .bias = fit->bias,
                                      .max_iter = fit->max_iter,
                                      .tol = fit->tol,
                                      .seed = lathe_ctx_seed(fit->ctx) + 0x9e3779b97f4a7c15ull * k};
        status = lathe__svm_dual_cd(fit->ctx, &problem, fit->w, &report, err);
    }
    if (status != LATHE_OK)
        return status;
    add_report(&fit->total, &report);
    memcpy(m->coef + k * d, fit->w, d * sizeof(double));
    m->intercept[k] = fit->w[d] * fit->bias;
    return LATHE_OK;
}

static lathe_status check_classes(const svm_fit *fit, lathe_error *err)
{
    size_t K = fit->data->n_classes, present = 0;
    double *totals = lathe__calloc(fit->ctx, K, sizeof(double));
    if (!totals)
        return lathe__error_nomem(err);
    for (size_t row = 0; row < fit->data->x->n_rows; row++)
        totals[(size_t)fit->data->y[row]] += fit->s[row];
    for (size_t k = 0; k < K; k++)
        present += totals[k] > 0.0;
    bool binary_missing = K == 2 && present < 2;
    lathe__free(fit->ctx, totals);
    if (present < 2 || binary_missing)
        return lathe__error(err, LATHE_INVALID,
                            "linear_svm needs training rows of at least 2 classes, found %zu",
                            present);
    return LATHE_OK;
}

static lathe_status train_all(svm_fit *fit, const lathe__linear_model *start, void **model,
                              lathe_error *err)
{
    const lathe__train_data *data = fit->data;
    lathe__linear_model *m;
    lathe_status status = lathe__linear_new(fit->ctx, "linear_svm", LATHE__LINEAR_SCORE,
                                            data->x->n_cols, data->n_classes, &m, err);
    if (status != LATHE_OK)
        return status;
    fit->total = (lathe__solver_report){.converged = true};
    for (size_t k = 0; k < m->n_vectors && status == LATHE_OK; k++)
        status = train_vector(fit, k, m->n_vectors == 1 ? 1 : k, start, m, err);
    if (status != LATHE_OK) {
        lathe__linear_free(fit->ctx, m);
        return status;
    }
    m->n_iterations = fit->total.iterations;
    m->converged = fit->total.converged;
    lathe__linear_log_report(fit->ctx, "linear_svm", fit->l1 ? "owl-qn" : "dual cd", &fit->total,
                             fit->max_iter);
    *model = m;
    return LATHE_OK;
}

static lathe_status read_params(svm_fit *fit, const lathe__param_values *params, lathe_error *err)
{
    fit->squared_hinge = strcmp(lathe__params_choice(params, "loss"), "squared_hinge") == 0;
    fit->l1 = strcmp(lathe__params_choice(params, "penalty"), "l1") == 0;
    if (fit->l1 && !fit->squared_hinge)
        return lathe__error(err, LATHE_INVALID,
                            "linear_svm: penalty=l1 needs loss=squared_hinge (hinge with l1 is "
                            "not supported, as in liblinear)");
    fit->C = lathe__params_number(params, "C");
    fit->bias = lathe__params_number(params, "fit_intercept") != 0
                    ? lathe__params_number(params, "intercept_scaling")
                    : 0.0;
    fit->max_iter = (size_t)lathe__params_number(params, "max_iter");
    fit->tol = lathe__params_number(params, "tol");
    return LATHE_OK;
}

lathe_status lathe__linear_svm_fit_from(lathe_ctx *ctx, const lathe__train_data *data,
                                        const lathe__param_values *params,
                                        const lathe__linear_model *start, void **model,
                                        lathe_error *err)
{
    lathe_status status = lathe__linear_check_data(&lathe__linear_svm_ops, data, err);
    if (status != LATHE_OK)
        return status;
    svm_fit fit = {.ctx = ctx, .data = data};
    size_t n = data->x->n_rows;
    double *s = NULL;
    if ((status = read_params(&fit, params, err)) != LATHE_OK ||
        (status = lathe__linear_row_weights(ctx, data, lathe__params_text(params, "class_weight"),
                                            &s, err)) != LATHE_OK)
        goto out;
    fit.s = s;
    for (size_t row = 0; row < n; row++)
        fit.weight_sum += s[row];
    if ((status = check_classes(&fit, err)) != LATHE_OK)
        goto out;
    fit.labels = lathe__alloc(ctx, n);
    fit.cost = lathe__alloc(ctx, n * sizeof(double));
    fit.w = lathe__calloc(ctx, data->x->n_cols + 1, sizeof(double));
    if (!fit.labels || !fit.cost || !fit.w) {
        status = lathe__error_nomem(err);
        goto out;
    }
    status = train_all(&fit, start, model, err);
out:
    lathe__free(ctx, s);
    lathe__free(ctx, fit.labels);
    lathe__free(ctx, fit.cost);
    lathe__free(ctx, fit.w);
    return status;
}

static lathe_status svm_fit_fn(lathe_ctx *ctx, const lathe__train_data *data,
                               const lathe__param_values *params, void **model, lathe_error *err)
{
    return lathe__linear_svm_fit_from(ctx, data, params, NULL, model, err);
}

static lathe_status svm_load(lathe_ctx *ctx, lathe__rbuf *buf, void **model, lathe_error *err)
{
    return lathe__linear_load(ctx, buf, "linear_svm", LATHE__LINEAR_SCORE, model, err);
}

const lathe__model_ops lathe__linear_svm_ops = {
    .name = "linear_svm",
    .summary = "linear support vector classifier (hinge or squared hinge, one-vs-rest); "
               "outputs uncalibrated scores",
    .tasks = LATHE__TASK_CLASSIFICATION,
    .params = svm_params,
    .n_params = sizeof svm_params / sizeof svm_params[0],
    .needs_scaling = true,
    .fit = svm_fit_fn,
    .predict = lathe__linear_predict,
    .predict_parallel = lathe__linear_predict_parallel,
    .n_outputs = lathe__linear_n_outputs,
    .n_features = lathe__linear_n_features,
    .save = lathe__linear_save,
    .load = svm_load,
    .free = lathe__linear_free,
    .facts = lathe__linear_facts,
};
