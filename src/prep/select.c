/*
 * select.c: feature selection on the assembled training matrix.
 *
 * Each criterion scores every feature; "variance" keeps the features whose
 * score passes a threshold, the others keep the k best. Formulas follow
 * scikit-learn's so the same features are chosen:
 *   variance      population variance; at threshold 0 the smaller of it and
 *                 the peak-to-peak range (VarianceThreshold's rule)
 *   f_classif     one-way ANOVA F over the classes present
 *   f_regression  F from Pearson's r with n - 2 degrees of freedom
 *   chi2          chi-squared of class-wise feature sums (features >= 0)
 *   mutual_info   NOT sklearn's kNN estimator: the plug-in mutual
 *                 information (nats) of the feature and the target, each
 *                 cut into at most 32 equal-frequency bins (all distinct
 *                 values when fewer). Rankings usually agree; scores differ.
 *   l1            the summed size of a feature's weights in an L1-penalized
 *                 model from src/model (logistic regression, penalty l1 and
 *                 C = select_c; or the lasso with alpha = select_alpha);
 *                 kept when at least 1e-5, SelectFromModel's threshold
 * Ties at the k-th place go to the later feature and NaN scores rank last,
 * as SelectKBest does (stable argsort, last k). Kept features stay in their
 * input order.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/radix.h"
#include "model/linear.h"
#include "prep/step.h"

#include "core/banned.h"

#define MI_BINS 32
#define L1_THRESHOLD 1e-5

typedef struct selection {
    lathe__select method;
    double threshold; /* variance: kept above it; l1: the C or alpha of the model */
    size_t k;
    size_t n_inputs;
    size_t n_kept;
    uint64_t *kept; /* ascending input columns */
    double *scores; /* n_inputs */
} selection;

static void selection_free(lathe_ctx *ctx, void *state)
{
    selection *s = state;
    if (!s)
        return;
    lathe__free(ctx, s->kept);
    lathe__free(ctx, s->scores);
    lathe__free(ctx, s);
}

static selection *selection_new(lathe_ctx *ctx, size_t n_inputs)
{
    selection *s = lathe__calloc(ctx, 1, sizeof *s);
    if (!s)
        return NULL;
    s->n_inputs = n_inputs;
    s->kept = lathe__calloc(ctx, n_inputs + 1, sizeof *s->kept);
    s->scores = lathe__calloc(ctx, n_inputs + 1, sizeof *s->scores);
    if (!s->kept || !s->scores) {
        selection_free(ctx, s);
        return NULL;
    }
    return s;
}

/* ---- scores ----------------------------------------------------------- */

typedef lathe_status (*score_fn)(lathe_ctx *ctx, const lathe__matrix_fit_input *in, double *scores,
                                 lathe_error *err);

static lathe_status score_variance(lathe_ctx *ctx, const lathe__matrix_fit_input *in,
                                   double *scores, lathe_error *err)
{
    (void)ctx;
    (void)err;
    for (size_t j = 0; j < in->n_cols; j++) {
        double mean, variance, low = INFINITY, high = -INFINITY;
        lathe__mean_variance(in->x + j, in->n_rows, in->n_cols, &mean, &variance);
        for (size_t r = 0; r < in->n_rows; r++) {
            low = fmin(low, in->x[r * in->n_cols + j]);
            high = fmax(high, in->x[r * in->n_cols + j]);
        }
        scores[j] = in->spec->select_threshold == 0 ? fmin(variance, high - low) : variance;
    }
    return LATHE_OK;
}

/* Rows per class and class-wise feature sums (n_classes * n_cols). */
static lathe_status class_sums(lathe_ctx *ctx, const lathe__matrix_fit_input *in, size_t **counts,
                               double **sums, lathe_error *err)
{
    size_t cells;
    if (lathe__mul_overflows(in->n_classes, in->n_cols, &cells))
        return lathe__error(err, LATHE_LIMIT, "too many classes times features to score");
    *counts = lathe__calloc(ctx, in->n_classes + 1, sizeof **counts);
    *sums = lathe__calloc(ctx, cells + 1, sizeof **sums);
    if (!*counts || !*sums) {
        lathe__free(ctx, *counts);
        lathe__free(ctx, *sums);
        return lathe__error_nomem(err);
    }
    for (size_t r = 0; r < in->n_rows; r++) {
        size_t c = (size_t)in->y[r];
        (*counts)[c]++;
        for (size_t j = 0; j < in->n_cols; j++)
            (*sums)[c * in->n_cols + j] += in->x[r * in->n_cols + j];
    }
    return LATHE_OK;
}

/* sklearn's f_oneway, over the classes that have rows. */
static lathe_status score_f_classif(lathe_ctx *ctx, const lathe__matrix_fit_input *in,
                                    double *scores, lathe_error *err)
{
    size_t *counts;
    double *sums;
    lathe_status status = class_sums(ctx, in, &counts, &sums, err);
    if (status != LATHE_OK)
        return status;
    size_t present = 0, n = in->n_rows;
    for (size_t c = 0; c < in->n_classes; c++)
        present += counts[c] > 0;
    for (size_t j = 0; j < in->n_cols; j++) {
        double squares = 0, total = 0, between = 0;
        for (size_t r = 0; r < n; r++)
            squares += in->x[r * in->n_cols + j] * in->x[r * in->n_cols + j];
        for (size_t c = 0; c < in->n_classes; c++) {
            if (!counts[c])
                continue;
            double s = sums[c * in->n_cols + j];
            total += s;
            between += s * s / (double)counts[c];
        }
        double square_of_sums = total * total;
        double sstot = squares - square_of_sums / (double)n;
        double ssbn = between - square_of_sums / (double)n;
        double sswn = sstot - ssbn;
        double msb = ssbn / (double)(present - 1), msw = sswn / (double)(n - present);
        scores[j] = msb / msw;
    }
    lathe__free(ctx, counts);
    lathe__free(ctx, sums);
    return LATHE_OK;
}

/* sklearn's f_regression (center=True, force_finite=True). */
static lathe_status score_f_regression(lathe_ctx *ctx, const lathe__matrix_fit_input *in,
                                       double *scores, lathe_error *err)
{
    (void)ctx;
    (void)err;
    size_t n = in->n_rows;
    double y_mean = 0, y_norm = 0;
    for (size_t r = 0; r < n; r++)
        y_mean += in->y[r];
    y_mean /= (double)n;
    for (size_t r = 0; r < n; r++)
        y_norm += (in->y[r] - y_mean) * (in->y[r] - y_mean);
    y_norm = sqrt(y_norm);
    for (size_t j = 0; j < in->n_cols; j++) {
        double sum = 0, squares = 0, dot = 0;
        for (size_t r = 0; r < n; r++) {
            double x = in->x[r * in->n_cols + j];
            sum += x;
            squares += x * x;
            dot += (in->y[r] - y_mean) * x;
        }
        double x_mean = sum / (double)n;
        double x_norm = sqrt(squares - (double)n * x_mean * x_mean);
        double r = dot / x_norm / y_norm;
        if (isnan(r))
            r = 0;
        double f = r * r / (1 - r * r) * (double)(n - 2);
        scores[j] = isinf(f) ? DBL_MAX : isnan(f) ? 0 : f;
    }
    return LATHE_OK;
}

/* sklearn's chi2: observed class-wise sums against sums spread by class frequency. */
static lathe_status score_chi2(lathe_ctx *ctx, const lathe__matrix_fit_input *in, double *scores,
                               lathe_error *err)
{
    for (size_t i = 0; i < in->n_rows * in->n_cols; i++) {
        if (in->x[i] < 0)
            return lathe__error(err, LATHE_INVALID,
                                "chi2 selection needs features >= 0, but %s has %g (use minmax "
                                "scaling or another criterion)",
                                in->names[i % in->n_cols], in->x[i]);
    }
    size_t *counts;
    double *sums;
    lathe_status status = class_sums(ctx, in, &counts, &sums, err);
    if (status != LATHE_OK)
        return status;
    for (size_t j = 0; j < in->n_cols; j++) {
        double total = 0, chi = 0;
        for (size_t c = 0; c < in->n_classes; c++)
            total += sums[c * in->n_cols + j];
        for (size_t c = 0; c < in->n_classes; c++) {
            if (!counts[c])
                continue;
            double expected = (double)counts[c] / (double)in->n_rows * total;
            double d = sums[c * in->n_cols + j] - expected;
            chi += d * d / expected;
        }
        scores[j] = chi;
    }
    lathe__free(ctx, counts);
    lathe__free(ctx, sums);
    return LATHE_OK;
}

/* ---- mutual information ------------------------------------------------ */

/*
 * Bin of each value: equal-frequency edges over the sorted values, merged
 * where values repeat, so a feature with few distinct values keeps them.
 */
static size_t discretize(lathe_ctx *ctx, const double *values, size_t n, size_t stride,
                         double *sorted, uint32_t *bins)
{
    for (size_t i = 0; i < n; i++)
        sorted[i] = values[i * stride];
    lathe__sort_doubles(ctx, sorted, n);
    double edges[MI_BINS] = {0};
    size_t n_edges = 0;
    for (size_t b = 1; b < MI_BINS; b++) {
        double edge = sorted[b * n / MI_BINS];
        if (edge > sorted[0] && (n_edges == 0 || edge > edges[n_edges - 1]))
            edges[n_edges++] = edge;
    }
    for (size_t i = 0; i < n; i++) {
        size_t bin = 0;
        while (bin < n_edges && values[i * stride] >= edges[bin])
            bin++;
        bins[i] = (uint32_t)bin;
    }
    return n_edges + 1;
}

static double plugin_mutual_information(const uint32_t *a, size_t n_a, const uint32_t *b,
                                        size_t n_b, size_t n, double *joint)
{
    memset(joint, 0, n_a * n_b * sizeof *joint);
    double pa[MI_BINS] = {0}, pb[MI_BINS] = {0};
    for (size_t i = 0; i < n; i++) {
        joint[a[i] * n_b + b[i]] += 1;
        pa[a[i]] += 1;
        pb[b[i]] += 1;
    }
    double mi = 0;
    for (size_t i = 0; i < n_a; i++) {
        for (size_t j = 0; j < n_b; j++) {
            double p = joint[i * n_b + j];
            if (p > 0)
                mi += p / (double)n * log(p * (double)n / (pa[i] * pb[j]));
        }
    }
    return mi > 0 ? mi : 0;
}

/* The target's bins: classes as they are (pooled past MI_BINS), else quantile bins. */
static size_t target_bins(lathe_ctx *ctx, const lathe__matrix_fit_input *in, double *sorted,
                          uint32_t *bins)
{
    if (in->task != LATHE__TASK_CLASSIFICATION)
        return discretize(ctx, in->y, in->n_rows, 1, sorted, bins);
    for (size_t r = 0; r < in->n_rows; r++)
        bins[r] = (uint32_t)((size_t)in->y[r] % MI_BINS);
    return in->n_classes < MI_BINS ? in->n_classes : MI_BINS;
}

static lathe_status score_mutual_info(lathe_ctx *ctx, const lathe__matrix_fit_input *in,
                                      double *scores, lathe_error *err)
{
    size_t n = in->n_rows;
    double *sorted = lathe__calloc(ctx, n + 1, sizeof *sorted);
    double *joint = lathe__calloc(ctx, MI_BINS * MI_BINS, sizeof *joint);
    uint32_t *y_bins = lathe__calloc(ctx, n + 1, sizeof *y_bins);
    uint32_t *x_bins = lathe__calloc(ctx, n + 1, sizeof *x_bins);
    lathe_status status = LATHE_OK;
    if (!sorted || !joint || !y_bins || !x_bins) {
        status = lathe__error_nomem(err);
        goto out;
    }
    size_t n_y = target_bins(ctx, in, sorted, y_bins);
    for (size_t j = 0; j < in->n_cols; j++) {
        size_t n_x = discretize(ctx, in->x + j, n, in->n_cols, sorted, x_bins);
        scores[j] = plugin_mutual_information(x_bins, n_x, y_bins, n_y, n, joint);
    }
out:
    lathe__free(ctx, sorted);
    lathe__free(ctx, joint);
    lathe__free(ctx, y_bins);
    lathe__free(ctx, x_bins);
    return status;
}

/* ---- l1 ---------------------------------------------------------------- */

/* Fits the L1 model the task calls for, with C or alpha = strength. */
static lathe_status fit_l1_model(lathe_ctx *ctx, const lathe__matrix_fit_input *in, double strength,
                                 lathe__linear_model **model, lathe_error *err)
{
    bool classes = in->task == LATHE__TASK_CLASSIFICATION;
    const lathe__model_ops *ops = classes ? &lathe__logistic_ops : &lathe__lasso_ops;
    lathe__param_values params;
    lathe_status status = lathe__params_init(ctx, ops->params, ops->n_params, &params, err);
    if (status != LATHE_OK)
        return status;
    char assignment[64];
    lathe__format(assignment, sizeof assignment, "%s=%.17g", classes ? "C" : "alpha", strength);
    status = lathe__params_set(ctx, &params, assignment, err);
    if (status == LATHE_OK && classes)
        status = lathe__params_set(ctx, &params, "penalty=l1", err);
    lathe__matrix x = {
        .n_rows = in->n_rows, .n_cols = in->n_cols, .dense = (double *)in->x, .borrowed = true};
    lathe__train_data data = {.x = &x, .y = in->y, .task = in->task, .n_classes = in->n_classes};
    void *fitted = NULL;
    if (status == LATHE_OK)
        status = ops->fit(ctx, &data, &params, &fitted, err);
    lathe__params_release(ctx, &params);
    if (status == LATHE_OK)
        *model = fitted;
    return status;
}

static lathe_status score_l1(lathe_ctx *ctx, const lathe__matrix_fit_input *in, double *scores,
                             lathe_error *err)
{
    bool classes = in->task == LATHE__TASK_CLASSIFICATION;
    double strength = classes ? in->spec->select_c : in->spec->select_alpha;
    lathe__linear_model *model = NULL;
    lathe_status status = fit_l1_model(ctx, in, strength, &model, err);
    if (status != LATHE_OK) {
        lathe__error_prefix(err, "l1 selection");
        return status;
    }
    for (size_t j = 0; j < in->n_cols; j++) {
        scores[j] = 0;
        for (size_t v = 0; v < model->n_vectors; v++)
            scores[j] += fabs(model->coef[v * in->n_cols + j]);
    }
    lathe__linear_free(ctx, model);
    return LATHE_OK;
}

/* ---- choosing --------------------------------------------------------- */

typedef enum keep_rule {
    KEEP_BEST_K,   /* the select_k best */
    KEEP_ABOVE,    /* score > select_threshold */
    KEEP_AT_LEAST, /* score >= L1_THRESHOLD */
} keep_rule;

typedef struct criterion {
    score_fn score;
    unsigned tasks; /* LATHE__TASK_* bits it applies to; 0: no target needed */
    keep_rule keep;
} criterion;

#define BOTH_TASKS (LATHE__TASK_CLASSIFICATION | LATHE__TASK_REGRESSION)

static const criterion criteria[LATHE__SELECT_COUNT] = {
    [LATHE__SELECT_VARIANCE] = {score_variance, 0, KEEP_ABOVE},
    [LATHE__SELECT_F_CLASSIF] = {score_f_classif, LATHE__TASK_CLASSIFICATION, KEEP_BEST_K},
    [LATHE__SELECT_F_REGRESSION] = {score_f_regression, LATHE__TASK_REGRESSION, KEEP_BEST_K},
    [LATHE__SELECT_CHI2] = {score_chi2, LATHE__TASK_CLASSIFICATION, KEEP_BEST_K},
    [LATHE__SELECT_MUTUAL_INFO] = {score_mutual_info, BOTH_TASKS, KEEP_BEST_K},
    [LATHE__SELECT_L1] = {score_l1, BOTH_TASKS, KEEP_AT_LEAST},
};

typedef struct ranked {
    double score;
    size_t index;
} ranked;

static int compare_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static lathe_status keep_best(lathe_ctx *ctx, selection *s, lathe_error *err)
{
    ranked *order = lathe__calloc(ctx, s->n_inputs + 1, sizeof *order);
    if (!order)
        return lathe__error_nomem(err);
    for (size_t j = 0; j < s->n_inputs; j++)
        order[j] = (ranked){isnan(s->scores[j]) ? -DBL_MAX : s->scores[j], j};
    qsort(order, s->n_inputs, sizeof *order, compare_ranked);
    s->n_kept = s->k < s->n_inputs ? s->k : s->n_inputs;
    for (size_t i = 0; i < s->n_kept; i++)
        s->kept[i] = order[s->n_inputs - s->n_kept + i].index;
    qsort(s->kept, s->n_kept, sizeof *s->kept, compare_u64);
    lathe__free(ctx, order);
    return LATHE_OK;
}

static lathe_status keep_above(selection *s, keep_rule rule, lathe_error *err)
{
    s->n_kept = 0;
    for (size_t j = 0; j < s->n_inputs; j++) {
        bool keep = rule == KEEP_ABOVE ? s->scores[j] > s->threshold : s->scores[j] >= L1_THRESHOLD;
        if (keep)
            s->kept[s->n_kept++] = j;
    }
    if (s->n_kept == 0 && rule == KEEP_ABOVE)
        return lathe__error(err, LATHE_INVALID, "no feature has a variance above %g", s->threshold);
    if (s->n_kept == 0)
        return lathe__error(err, LATHE_INVALID,
                            "l1 selection gave every feature a zero weight (raise C or lower "
                            "alpha)");
    return LATHE_OK;
}

static lathe_status check_target(const lathe__matrix_fit_input *in, const criterion *c,
                                 const char *name, lathe_error *err)
{
    if (!c->tasks)
        return LATHE_OK;
    if (!in->y)
        return lathe__error(err, LATHE_INVALID, "%s selection needs a target", name);
    if (!(c->tasks & in->task))
        return lathe__error(err, LATHE_INVALID, "%s selection does not apply to %s", name,
                            in->task == LATHE__TASK_CLASSIFICATION ? "classification"
                                                                   : "regression");
    if (in->n_rows < 3)
        return lathe__error(err, LATHE_INVALID, "%s selection needs at least 3 rows", name);
    return LATHE_OK;
}

static lathe_status select_fit(lathe_ctx *ctx, const lathe__matrix_fit_input *in, void **state,
                               lathe_error *err)
{
    lathe__select method = in->spec->select;
    const char *name = lathe__prep_choice_name(LATHE__CHOICE_SELECT, (int)method);
    const criterion *c = &criteria[method];
    lathe_status status = check_target(in, c, name, err);
    if (status != LATHE_OK)
        return status;
    selection *s = selection_new(ctx, in->n_cols);
    if (!s)
        return lathe__error_nomem(err);
    s->method = method;
    s->threshold = in->spec->select_threshold;
    if (method == LATHE__SELECT_L1)
        s->threshold =
            in->task == LATHE__TASK_CLASSIFICATION ? in->spec->select_c : in->spec->select_alpha;
    s->k = in->spec->select_k;
    status = c->score(ctx, in, s->scores, err);
    if (status == LATHE_OK)
        status = c->keep == KEEP_BEST_K ? keep_best(ctx, s, err) : keep_above(s, c->keep, err);
    if (status != LATHE_OK) {
        selection_free(ctx, s);
        return status;
    }
    *state = s;
    return LATHE_OK;
}

static size_t select_n_outputs(const void *state)
{
    return ((const selection *)state)->n_kept;
}

static const char *select_output_name(const void *state, const char *const *input_names,
                                      size_t output, char *buf, size_t size)
{
    (void)buf;
    (void)size;
    return input_names[((const selection *)state)->kept[output]];
}

static void select_transform(const void *state, const double *in, double *out)
{
    const selection *s = state;
    for (size_t i = 0; i < s->n_kept; i++)
        out[i] = in[s->kept[i]];
}

static void select_describe(const void *state, char *buf, size_t size)
{
    const selection *s = state;
    const char *name = lathe__prep_choice_name(LATHE__CHOICE_SELECT, (int)s->method);
    if (s->method == LATHE__SELECT_VARIANCE)
        lathe__format(buf, size, "variance above %g kept %zu of %zu features", s->threshold,
                      s->n_kept, s->n_inputs);
    else if (s->method == LATHE__SELECT_L1)
        lathe__format(buf, size,
                      "l1 (C or alpha %g) kept the %zu of %zu features with nonzero weights",
                      s->threshold, s->n_kept, s->n_inputs);
    else
        lathe__format(buf, size, "%s kept the %zu best of %zu features", name, s->n_kept,
                      s->n_inputs);
}

static void select_save(const void *state, lathe__wbuf *buf)
{
    const selection *s = state;
    lathe__wbuf_u8(buf, (uint8_t)s->method);
    lathe__wbuf_f64(buf, s->threshold);
    lathe__wbuf_u64(buf, s->k);
    lathe__wbuf_f64_array(buf, s->scores, s->n_inputs);
    lathe__wbuf_u64(buf, s->n_kept);
    for (size_t i = 0; i < s->n_kept; i++)
        lathe__wbuf_u64(buf, s->kept[i]);
}

static void select_read(selection *s, lathe_ctx *ctx, lathe__rbuf *buf)
{
    uint8_t method = lathe__rbuf_u8(buf);
    if (method == LATHE__SELECT_NONE || method >= LATHE__SELECT_COUNT)
        lathe__rbuf_fail(buf, "unknown selection criterion %u", method);
    s->method = (lathe__select)method;
    s->threshold = lathe__rbuf_f64(buf);
    s->k = (size_t)lathe__rbuf_u64(buf);
    size_t n_scores = 0;
    double *scores = lathe__rbuf_f64_array(buf, ctx, s->n_inputs, &n_scores);
    if (scores && n_scores == s->n_inputs)
        memcpy(s->scores, scores, n_scores * sizeof *scores);
    else if (!buf->failed)
        lathe__rbuf_fail(buf, "selection holds %zu scores for %zu features", n_scores, s->n_inputs);
    lathe__free(ctx, scores);
    uint64_t n_kept = lathe__rbuf_u64(buf);
    if (n_kept == 0 || n_kept > s->n_inputs)
        lathe__rbuf_fail(buf, "selection keeps %llu of %zu features", (unsigned long long)n_kept,
                         s->n_inputs);
    for (size_t i = 0; !buf->failed && i < n_kept; i++) {
        s->kept[i] = lathe__rbuf_u64(buf);
        if (s->kept[i] >= s->n_inputs || (i > 0 && s->kept[i] <= s->kept[i - 1]))
            lathe__rbuf_fail(buf, "selection keeps feature %llu out of order or range",
                             (unsigned long long)s->kept[i]);
    }
    s->n_kept = buf->failed ? 0 : (size_t)n_kept;
}

static lathe_status select_load(lathe_ctx *ctx, lathe__rbuf *buf, size_t n_inputs, void **state,
                                lathe_error *err)
{
    selection *s = selection_new(ctx, n_inputs);
    if (!s)
        return lathe__error_nomem(err);
    select_read(s, ctx, buf);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status != LATHE_OK) {
        selection_free(ctx, s);
        return status;
    }
    *state = s;
    return LATHE_OK;
}

const lathe__matrix_step_ops lathe__select_step = {
    "selection",     select_fit,  select_n_outputs, select_output_name, select_transform,
    select_describe, select_save, select_load,      selection_free,
};
