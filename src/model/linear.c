/*
 * linear.c: the fitted linear model every linear family returns, and the
 * checks and weights they share.
 *
 * Saved form (after a u32 format version): the family name, the output
 * rule, n_features, n_classes, the weights and intercepts as counted f64
 * arrays, the iteration count and the converged flag. Loading treats the
 * bytes as hostile: the family must match, the counts must agree with each
 * other and with the arrays, and every weight must be finite.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/internal.h"
#include "core/number.h"
#include "model/linear.h"
#include "model/parallel.h"

#include "core/banned.h"

#define FORMAT_VERSION 1
#define PREDICT_BLOCK_ROWS 4096 /* rows per task: below this, threads cost more than they save */
#define MAX_FEATURES ((size_t)1 << 31)
#define MAX_CLASSES ((size_t)1 << 20)
#define MAX_WEIGHTS ((size_t)1 << 32)

size_t lathe__linear_n_vectors(lathe__linear_output output, size_t n_classes)
{
    return output == LATHE__LINEAR_VALUE || n_classes <= 2 ? 1 : n_classes;
}

lathe_status lathe__linear_new(lathe_ctx *ctx, const char *family, lathe__linear_output output,
                               size_t n_features, size_t n_classes, lathe__linear_model **out,
                               lathe_error *err)
{
    size_t n_vectors = lathe__linear_n_vectors(output, n_classes), n_weights;
    if (lathe__mul_overflows(n_vectors, n_features, &n_weights))
        return lathe__error(err, LATHE_LIMIT, "%zu classes by %zu features is too many weights",
                            n_classes, n_features);
    lathe__linear_model *m = lathe__calloc(ctx, 1, sizeof *m);
    if (!m)
        return lathe__error_nomem(err);
    m->family = family;
    m->output = output;
    m->n_features = n_features;
    m->n_classes = n_classes;
    m->n_vectors = n_vectors;
    m->coef = lathe__calloc(ctx, n_weights ? n_weights : 1, sizeof(double));
    m->intercept = lathe__calloc(ctx, n_vectors, sizeof(double));
    if (!m->coef || !m->intercept) {
        lathe__linear_free(ctx, m);
        return lathe__error_nomem(err);
    }
    *out = m;
    return LATHE_OK;
}

void lathe__linear_free(lathe_ctx *ctx, void *model)
{
    lathe__linear_model *m = model;
    if (!m)
        return;
    lathe__free(ctx, m->coef);
    lathe__free(ctx, m->intercept);
    lathe__free(ctx, m);
}

static double sigmoid(double z)
{
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* In place: out[k] = exp(z[k] - max) / sum. */
static void softmax(double *z, size_t n)
{
    double largest = -INFINITY, sum = 0.0;
    for (size_t k = 0; k < n; k++)
        largest = fmax(largest, z[k]);
    for (size_t k = 0; k < n; k++) {
        z[k] = exp(z[k] - largest);
        sum += z[k];
    }
    for (size_t k = 0; k < n; k++)
        z[k] /= sum;
}

/* Rows [first, end) of x into out; every row on its own, so any split gives the same bits. */
static void predict_rows(const lathe__linear_model *m, const lathe__matrix *x, size_t first,
                         size_t end, double *out)
{
    size_t n_outputs = lathe__linear_n_outputs(m);
    for (size_t row = first; row < end; row++) {
        double *z = out + row * n_outputs;
        for (size_t k = 0; k < m->n_vectors; k++)
            z[k] = lathe__matrix_row_dot(x, row, m->coef + k * m->n_features) + m->intercept[k];
        if (m->output == LATHE__LINEAR_VALUE)
            continue;
        if (m->n_vectors == 1) {
            double decision = z[0];
            z[0] = sigmoid(-decision);
            z[1] = sigmoid(decision);
        } else {
            softmax(z, m->n_vectors);
        }
    }
}

void lathe__linear_predict(const void *model, const lathe__matrix *x, double *out)
{
    predict_rows(model, x, 0, x->n_rows, out);
}

typedef struct predict_job {
    const lathe__linear_model *model;
    const lathe__matrix *x;
    double *out;
    size_t n_blocks;
} predict_job;

static void predict_block(void *arg, size_t block)
{
    const predict_job *job = arg;
    size_t n = job->x->n_rows;
    predict_rows(job->model, job->x, n * block / job->n_blocks, n * (block + 1) / job->n_blocks,
                 job->out);
}

void lathe__linear_predict_parallel(lathe_ctx *ctx, const void *model, const lathe__matrix *x,
                                    double *out)
{
    predict_job job = {model, x, out, lathe__row_blocks(x->n_rows, PREDICT_BLOCK_ROWS, SIZE_MAX)};
    lathe__parallel_for(ctx, job.n_blocks, predict_block, &job);
}

size_t lathe__linear_n_outputs(const void *model)
{
    const lathe__linear_model *m = model;
    return m->output == LATHE__LINEAR_VALUE ? 1 : m->n_classes;
}

size_t lathe__linear_n_features(const void *model)
{
    return ((const lathe__linear_model *)model)->n_features;
}

void lathe__linear_save(const void *model, lathe__wbuf *buf)
{
    const lathe__linear_model *m = model;
    lathe__wbuf_u32(buf, FORMAT_VERSION);
    lathe__wbuf_cstring(buf, m->family);
    lathe__wbuf_u8(buf, (uint8_t)m->output);
    lathe__wbuf_u64(buf, m->n_features);
    lathe__wbuf_u64(buf, m->n_classes);
    lathe__wbuf_f64_array(buf, m->coef, m->n_vectors * m->n_features);
    lathe__wbuf_f64_array(buf, m->intercept, m->n_vectors);
    lathe__wbuf_u64(buf, m->n_iterations);
    lathe__wbuf_u8(buf, m->converged);
}

/* The header fields, checked against each other; failures mark buf. */
static void load_header(lathe__rbuf *buf, lathe_ctx *ctx, const char *family,
                        lathe__linear_output expected, lathe__linear_model *m)
{
    uint32_t version = lathe__rbuf_u32(buf);
    if (!buf->failed && version != FORMAT_VERSION)
        lathe__rbuf_fail(buf, "linear model format %u, this build reads %d", version,
                         FORMAT_VERSION);
    char *name = lathe__rbuf_string(buf, ctx, 64);
    if (name && strcmp(name, family) != 0)
        lathe__rbuf_fail(buf, "expected a %s model, found %s", family, name);
    lathe__free(ctx, name);
    uint8_t output = lathe__rbuf_u8(buf);
    uint64_t n_features = lathe__rbuf_u64(buf), n_classes = lathe__rbuf_u64(buf);
    if (buf->failed)
        return;
    if (output > LATHE__LINEAR_SCORE)
        lathe__rbuf_fail(buf, "unknown output rule %u", output);
    else if (output != expected)
        lathe__rbuf_fail(buf, "output rule %u, a %s model has %u", output, family,
                         (unsigned)expected);
    else if (n_features > MAX_FEATURES)
        lathe__rbuf_fail(buf, "%llu features, over the limit", (unsigned long long)n_features);
    else if (output == LATHE__LINEAR_VALUE ? n_classes != 0
                                           : n_classes < 2 || n_classes > MAX_CLASSES)
        lathe__rbuf_fail(buf, "%llu classes for this kind of model", (unsigned long long)n_classes);
    m->output = (lathe__linear_output)output;
    m->n_features = (size_t)n_features;
    m->n_classes = (size_t)n_classes;
    m->n_vectors = lathe__linear_n_vectors(m->output, m->n_classes);
}

/* Weights must be finite; an intercept may be -infinity only for an absent class. */
static void check_weights(lathe__rbuf *buf, const lathe__linear_model *m)
{
    size_t finite_intercepts = 0;
    for (size_t k = 0; k < m->n_vectors; k++) {
        for (size_t j = 0; j < m->n_features; j++)
            if (!isfinite(m->coef[k * m->n_features + j])) {
                lathe__rbuf_fail(buf, "weight %zu of vector %zu is not finite", j, k);
                return;
            }
        double b = m->intercept[k];
        bool absent_class =
            b == -INFINITY && m->output == LATHE__LINEAR_PROBABILITY && m->n_vectors > 1;
        if (!isfinite(b) && !absent_class) {
            lathe__rbuf_fail(buf, "intercept %zu is not finite", k);
            return;
        }
        finite_intercepts += isfinite(b);
    }
    if (finite_intercepts == 0)
        lathe__rbuf_fail(buf, "no class has a finite intercept");
}

static void load_arrays(lathe__rbuf *buf, lathe_ctx *ctx, lathe__linear_model *m)
{
    size_t n_weights, count;
    if (lathe__mul_overflows(m->n_vectors, m->n_features, &n_weights) || n_weights > MAX_WEIGHTS) {
        lathe__rbuf_fail(buf, "%zu vectors of %zu features is too many", m->n_vectors,
                         m->n_features);
        return;
    }
    m->coef = lathe__rbuf_f64_array(buf, ctx, n_weights, &count);
    if (!buf->failed && count != n_weights)
        lathe__rbuf_fail(buf, "%zu weights, expected %zu", count, n_weights);
    m->intercept = lathe__rbuf_f64_array(buf, ctx, m->n_vectors, &count);
    if (!buf->failed && count != m->n_vectors)
        lathe__rbuf_fail(buf, "%zu intercepts, expected %zu", count, m->n_vectors);
    m->n_iterations = (size_t)lathe__rbuf_u64(buf);
    uint8_t converged = lathe__rbuf_u8(buf);
    m->converged = converged == 1;
    if (!buf->failed && converged > 1)
        lathe__rbuf_fail(buf, "converged flag is %u, not 0 or 1", converged);
    if (!buf->failed)
        check_weights(buf, m);
}

lathe_status lathe__linear_load(lathe_ctx *ctx, lathe__rbuf *buf, const char *family,
                                lathe__linear_output output, void **model, lathe_error *err)
{
    lathe__linear_model *m = lathe__calloc(ctx, 1, sizeof *m);
    if (!m)
        return lathe__error_nomem(err);
    m->family = family;
    load_header(buf, ctx, family, output, m);
    if (!buf->failed)
        load_arrays(buf, ctx, m);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status != LATHE_OK) {
        lathe__linear_free(ctx, m);
        return status;
    }
    *model = m;
    return LATHE_OK;
}

/* ---- Training data ------------------------------------------------------ */

static lathe_status check_targets(const lathe__train_data *data, lathe_error *err)
{
    for (size_t row = 0; row < data->x->n_rows; row++) {
        double y = data->y[row];
        if (data->task == LATHE__TASK_REGRESSION) {
            if (!isfinite(y))
                return lathe__error(err, LATHE_INVALID, "target of row %zu is not a finite number",
                                    row);
        } else if (!(y >= 0.0 && y < (double)data->n_classes && y == floor(y))) {
            return lathe__error(err, LATHE_INVALID,
                                "target of row %zu is %g, not a class index below %zu", row, y,
                                data->n_classes);
        }
    }
    return LATHE_OK;
}

static lathe_status check_weights_given(const lathe__train_data *data, lathe_error *err)
{
    if (!data->weights)
        return LATHE_OK;
    double sum = 0.0;
    for (size_t row = 0; row < data->x->n_rows; row++) {
        double w = data->weights[row];
        if (!(isfinite(w) && w >= 0.0))
            return lathe__error(err, LATHE_INVALID,
                                "sample weight of row %zu is %g; weights must be finite and not "
                                "negative",
                                row, w);
        sum += w;
    }
    if (!(sum > 0.0))
        return lathe__error(err, LATHE_INVALID, "every sample weight is 0");
    return LATHE_OK;
}

lathe_status lathe__linear_check_data(const lathe__model_ops *ops, const lathe__train_data *data,
                                      lathe_error *err)
{
    if (!(ops->tasks & (unsigned)data->task))
        return lathe__error(err, LATHE_INVALID, "%s does not do %s", ops->name,
                            data->task == LATHE__TASK_REGRESSION ? "regression" : "classification");
    if (data->x->n_rows == 0)
        return lathe__error(err, LATHE_INVALID, "%s needs at least one training row", ops->name);
    if (data->task == LATHE__TASK_CLASSIFICATION && data->n_classes < 2)
        return lathe__error(err, LATHE_INVALID, "%s needs at least 2 classes, got %zu", ops->name,
                            data->n_classes);
    if (data->x->n_cols > MAX_FEATURES)
        return lathe__error(err, LATHE_LIMIT, "%zu features is over the limit", data->x->n_cols);
    lathe_status status = lathe__matrix_check(data->x, err);
    if (status == LATHE_OK)
        status = check_targets(data, err);
    if (status == LATHE_OK)
        status = check_weights_given(data, err);
    return status;
}

void lathe__linear_class_counts(const lathe__train_data *data, size_t *counts)
{
    memset(counts, 0, data->n_classes * sizeof *counts);
    for (size_t row = 0; row < data->x->n_rows; row++)
        counts[(size_t)data->y[row]]++;
}

static lathe_status class_weight_syntax(const char *text, lathe_error *err)
{
    return lathe__error(err, LATHE_INVALID,
                        "class_weight \"%.64s\" is not none, balanced or CLASS:WEIGHT pairs like "
                        "\"0:1,1:5\"",
                        text);
}

/* Parses "CLASS:WEIGHT,..." into factors (pre-filled with 1). */
static lathe_status parse_class_pairs(const char *text, size_t n_classes, double *factors,
                                      lathe_error *err)
{
    const char *at = text;
    for (size_t k = 0; k < n_classes; k++)
        factors[k] = NAN; /* not named yet: catches repeats, then becomes 1 */
    for (;;) {
        const char *colon = strchr(at, ':');
        const char *comma = strchr(at, ',');
        const char *end = comma ? comma : at + strlen(at);
        int64_t index;
        double weight;
        if (!colon || colon > end ||
            lathe__parse_int64(at, (size_t)(colon - at), &index) != LATHE__NUMBER_OK ||
            lathe__parse_double(colon + 1, (size_t)(end - colon - 1), &weight) != LATHE__NUMBER_OK)
            return class_weight_syntax(text, err);
        if (index < 0 || (uint64_t)index >= n_classes)
            return lathe__error(err, LATHE_INVALID,
                                "class_weight names class %lld, but the classes are 0 to %zu",
                                (long long)index, n_classes - 1);
        if (!(isfinite(weight) && weight >= 0.0))
            return lathe__error(err, LATHE_INVALID,
                                "class_weight of class %lld must be a finite number >= 0",
                                (long long)index);
        if (!isnan(factors[index]))
            return lathe__error(err, LATHE_INVALID, "class_weight names class %lld twice",
                                (long long)index);
        factors[index] = weight;
        if (!comma)
            break;
        at = comma + 1;
    }
    for (size_t k = 0; k < n_classes; k++)
        if (isnan(factors[k]))
            factors[k] = 1.0;
    return LATHE_OK;
}

static lathe_status class_factors(lathe_ctx *ctx, const lathe__train_data *data, const char *text,
                                  double *factors, lathe_error *err)
{
    size_t n_classes = data->n_classes;
    if (strcmp(text, "none") == 0 || strcmp(text, "") == 0) {
        for (size_t k = 0; k < n_classes; k++)
            factors[k] = 1.0;
        return LATHE_OK;
    }
    if (strcmp(text, "balanced") != 0)
        return parse_class_pairs(text, n_classes, factors, err);
    size_t *counts = lathe__calloc(ctx, n_classes, sizeof *counts);
    if (!counts)
        return lathe__error_nomem(err);
    lathe__linear_class_counts(data, counts);
    size_t present = 0;
    for (size_t k = 0; k < n_classes; k++)
        present += counts[k] > 0;
    for (size_t k = 0; k < n_classes; k++)
        factors[k] =
            counts[k] ? (double)data->x->n_rows / ((double)present * (double)counts[k]) : 1.0;
    lathe__free(ctx, counts);
    return LATHE_OK;
}

lathe_status lathe__linear_row_weights(lathe_ctx *ctx, const lathe__train_data *data,
                                       const char *class_weight, double **out, lathe_error *err)
{
    size_t n = data->x->n_rows;
    bool classes = data->task == LATHE__TASK_CLASSIFICATION;
    double *weights = lathe__alloc(ctx, (n ? n : 1) * sizeof(double));
    double *factors = classes ? lathe__alloc(ctx, data->n_classes * sizeof(double)) : NULL;
    lathe_status status = LATHE_OK;
    if (!weights || (classes && !factors)) {
        status = lathe__error_nomem(err);
        goto out;
    }
    if (classes && (status = class_factors(ctx, data, class_weight ? class_weight : "none", factors,
                                           err)) != LATHE_OK)
        goto out;
    for (size_t row = 0; row < n; row++) {
        weights[row] = data->weights ? data->weights[row] : 1.0;
        if (classes)
            weights[row] *= factors[(size_t)data->y[row]];
    }
    *out = weights;
    weights = NULL;
out:
    lathe__free(ctx, weights);
    lathe__free(ctx, factors);
    return status;
}

void lathe__linear_log_report(lathe_ctx *ctx, const char *family, const char *solver,
                              const lathe__solver_report *report, size_t max_iter)
{
    if (report->converged)
        lathe__log(ctx, LATHE_LOG_INFO,
                   "%s: %s converged in %zu iterations (%zu passes over the data, final "
                   "criterion %.3g)",
                   family, solver, report->iterations, report->evaluations, report->criterion);
    else if (report->iterations < max_iter)
        lathe__log(ctx, LATHE_LOG_WARN,
                   "%s: %s stopped after %zu iterations: the objective no longer changes in "
                   "floating point (criterion %.3g); tol is below what this problem reaches",
                   family, solver, report->iterations, report->criterion);
    else
        lathe__log(ctx, LATHE_LOG_WARN,
                   "%s: %s stopped after %zu of max_iter=%zu iterations without converging "
                   "(criterion %.3g); raise max_iter or tol",
                   family, solver, report->iterations, max_iter, report->criterion);
}

lathe_status lathe__linear_fit_from(lathe_ctx *ctx, const lathe__model_ops *ops,
                                    const lathe__train_data *data,
                                    const lathe__param_values *params,
                                    const lathe__linear_model *start, void **model,
                                    lathe_error *err)
{
    if (start && strcmp(start->family, ops->name) != 0)
        return lathe__error(err, LATHE_INVALID, "cannot warm-start %s from a %s model", ops->name,
                            start->family);
    if (start &&
        (start->n_features != data->x->n_cols ||
         start->n_classes != (data->task == LATHE__TASK_CLASSIFICATION ? data->n_classes : 0)))
        return lathe__error(err, LATHE_INVALID,
                            "warm start model has %zu features and %zu classes, the data %zu and "
                            "%zu",
                            start->n_features, start->n_classes, data->x->n_cols, data->n_classes);
    if (ops == &lathe__logistic_ops)
        return lathe__logistic_fit_from(ctx, data, params, start, model, err);
    if (ops == &lathe__linear_svm_ops)
        return lathe__linear_svm_fit_from(ctx, data, params, start, model, err);
    return lathe__regression_fit_from(ctx, ops, data, params, start, model, err);
}

size_t lathe__linear_facts(const void *model, lathe__model_fact *out)
{
    const lathe__linear_model *m = model;
    out[0] = (lathe__model_fact){"solver_iterations", (double)m->n_iterations};
    out[1] = (lathe__model_fact){"converged", m->converged ? 1.0 : 0.0};
    return 2;
}
