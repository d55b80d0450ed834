/*
 * gbdt_objective.c: the losses boosting minimizes, as a table.
 *
 * Each objective gives, for raw scores f (one per row, or one per class for
 * softmax), the gradient g and hessian h of its loss times the row weight
 * w, the constant raw score that minimizes the loss (the base score trees
 * start from, as LightGBM's boost_from_average and scikit-learn's baseline),
 * and a validation loss for early stopping (XGBoost's default eval metric):
 *
 *   binary:logistic    p = sigmoid(f), g = p - y, h = p (1 - p); logloss
 *   multi:softmax      p = softmax(f), g_k = p_k - [y = k],
 *                      h_k = K/(K-1) p_k (1 - p_k) (LightGBM's factor: the
 *                      diagonal of the softmax hessian understates the step
 *                      by (K-1)/K); mlogloss
 *   reg:squarederror   g = f - y, h = 1; rmse
 *   reg:absoluteerror  g = sign(f - y), h = 1, and each leaf's value is then
 *                      replaced by the median residual of its rows (the
 *                      gradient step alone only sees signs); mae
 *   reg:pseudohuber    r = f - y, s = 1 + (r/delta)^2: g = r / sqrt(s),
 *                      h = 1 / s^1.5 (XGBoost's, delta = huber_slope); mphe
 *   reg:huber          g = clip(r, -delta, delta), h = 1 (LightGBM's huber)
 *   count:poisson      g = exp(f) - y, h = exp(f + max_delta_step) (XGBoost
 *                      inflates the hessian by exp(0.7) for a safe step);
 *                      poisson-nloglik
 *
 * Hessians are floored at 1e-16 times the weight so a leaf's H is never 0
 * while its rows carry weight.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "model/gbdt.h"

#include "core/banned.h"

#define HESSIAN_FLOOR 1e-16
#define PROBABILITY_CLIP 1e-15

/* The logistic gradient loop is built twice, for AVX2 and for the baseline, and
 * picked per call: the baseline's two-wide vectors run it at about a third of
 * the speed. Without FMA in either, both give the same bits. (Not
 * target_clones: clang exports its resolver from the shared library.) */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WIDE_VECTORS __attribute__((target("avx2")))
static bool has_wide_vectors(void)
{
    return __builtin_cpu_supports("avx2");
}
#else
#define WIDE_VECTORS
static bool has_wide_vectors(void)
{
    return false;
}
#endif

static const lathe__gbdt_objective objectives[LATHE__GBDT_N_OBJECTIVES] = {
    [LATHE__GBDT_BINARY_LOGISTIC] = {"binary:logistic", LATHE__TASK_CLASSIFICATION,
                                     LATHE__LINK_SIGMOID, "logloss", false},
    [LATHE__GBDT_MULTI_SOFTMAX] = {"multi:softmax", LATHE__TASK_CLASSIFICATION, LATHE__LINK_SOFTMAX,
                                   "mlogloss", false},
    [LATHE__GBDT_SQUARED_ERROR] = {"reg:squarederror", LATHE__TASK_REGRESSION, LATHE__LINK_IDENTITY,
                                   "rmse", false},
    [LATHE__GBDT_ABSOLUTE_ERROR] = {"reg:absoluteerror", LATHE__TASK_REGRESSION,
                                    LATHE__LINK_IDENTITY, "mae", true},
    [LATHE__GBDT_PSEUDOHUBER] = {"reg:pseudohuber", LATHE__TASK_REGRESSION, LATHE__LINK_IDENTITY,
                                 "mphe", false},
    [LATHE__GBDT_HUBER] = {"reg:huber", LATHE__TASK_REGRESSION, LATHE__LINK_IDENTITY, "huber",
                           false},
    [LATHE__GBDT_POISSON] = {"count:poisson", LATHE__TASK_REGRESSION, LATHE__LINK_EXP,
                             "poisson-nloglik", false},
};

const lathe__gbdt_objective *lathe__gbdt_objective_get(lathe__gbdt_objective_id id)
{
    return &objectives[id];
}

bool lathe__gbdt_objective_parse(const char *name, lathe__gbdt_objective_id *id)
{
    for (size_t i = 0; i < LATHE__GBDT_N_OBJECTIVES; i++)
        if (strcmp(objectives[i].name, name) == 0) {
            *id = (lathe__gbdt_objective_id)i;
            return true;
        }
    return false;
}

lathe_status lathe__gbdt_objective_check(const lathe__gbdt_loss_args *args, const double *y,
                                         size_t n_rows, lathe_error *err)
{
    if (args->id != LATHE__GBDT_POISSON)
        return LATHE_OK;
    for (size_t i = 0; i < n_rows; i++)
        if (!(y[i] >= 0.0))
            return lathe__error(err, LATHE_INVALID,
                                "count:poisson needs counts of 0 or more, row %zu has %g", i, y[i]);
    return LATHE_OK;
}

/* ---- base scores ---- */

static int by_value(const void *a, const void *b)
{
    double x = ((const lathe__gbdt_weighted *)a)->value;
    double y = ((const lathe__gbdt_weighted *)b)->value;
    return (x > y) - (x < y);
}

double lathe__gbdt_weighted_median(lathe__gbdt_weighted *values, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(values, n, sizeof *values, by_value);
    double total = 0.0, run = 0.0;
    for (size_t i = 0; i < n; i++)
        total += values[i].weight;
    for (size_t i = 0; i < n; i++) {
        run += values[i].weight;
        if (run >= 0.5 * total)
            return values[i].value;
    }
    return values[n - 1].value;
}

static lathe_status median_base(lathe_ctx *ctx, const double *y, const double *w,
                                const uint32_t *rows, size_t n, double *base, lathe_error *err)
{
    lathe__gbdt_weighted *values = lathe__alloc(ctx, (n ? n : 1) * sizeof *values);
    if (!values)
        return lathe__error_nomem(err);
    for (size_t i = 0; i < n; i++)
        values[i] = (lathe__gbdt_weighted){y[rows[i]], w[rows[i]]};
    *base = lathe__gbdt_weighted_median(values, n);
    lathe__free(ctx, values);
    return LATHE_OK;
}

lathe_status lathe__gbdt_base_score(lathe_ctx *ctx, const lathe__gbdt_loss_args *args,
                                    const double *y, const double *w, const uint32_t *rows,
                                    size_t n, size_t n_classes, double *base, lathe_error *err)
{
    double total = 0.0, sum = 0.0;
    for (size_t i = 0; i < n; i++)
        total += w[rows[i]];
    if (total <= 0.0)
        total = 1.0;
    switch (args->id) {
    case LATHE__GBDT_BINARY_LOGISTIC: {
        for (size_t i = 0; i < n; i++)
            sum += w[rows[i]] * y[rows[i]];
        double p = fmin(fmax(sum / total, PROBABILITY_CLIP), 1.0 - PROBABILITY_CLIP);
        base[0] = log(p / (1.0 - p));
        return LATHE_OK;
    }
    case LATHE__GBDT_MULTI_SOFTMAX:
        for (size_t k = 0; k < n_classes; k++)
            base[k] = 0.0;
        for (size_t i = 0; i < n; i++)
            base[(size_t)y[rows[i]]] += w[rows[i]];
        for (size_t k = 0; k < n_classes; k++)
            base[k] = log(fmax(base[k] / total, PROBABILITY_CLIP));
        return LATHE_OK;
    case LATHE__GBDT_SQUARED_ERROR:
        for (size_t i = 0; i < n; i++)
            sum += w[rows[i]] * y[rows[i]];
        base[0] = sum / total;
        return LATHE_OK;
    case LATHE__GBDT_POISSON:
        for (size_t i = 0; i < n; i++)
            sum += w[rows[i]] * y[rows[i]];
        base[0] = log(fmax(sum / total, 1e-6));
        return LATHE_OK;
    default:
        return median_base(ctx, y, w, rows, n, base, err);
    }
}

/* ---- gradients ---- */

/* max(h, lowest), NaN giving lowest as fmax does, but inlined: fmax is a
 * call into libm, once per row and tree. */
static inline double at_least(double h, double lowest)
{
    return h > lowest ? h : lowest;
}

/* One row's gradient and hessian (before the weight) for score f and target y. */
typedef void (*row_fn)(const lathe__gbdt_loss_args *args, double f, double y, double *g, double *h);

/*
 * e^x within 2 ulp of exp's for x in [-708, 708], and x clamped there, so
 * the result is always finite and positive. Without branches or calls, so
 * a loop of it vectorizes: glibc's exp is a call per row, and took most of
 * the logistic gradients' time. x = n ln2 + r with |r| <= ln2 / 2 (ln2 in
 * two parts, the first exact in n ln2_hi), e^r from its Taylor series to
 * r^13 (the next term is under 1e-17), in Estrin's order so the products
 * do not wait on each other, and 2^n written into the exponent bits.
 */
static inline double exp_of(double x)
{
    const double log2e = 0x1.71547652b82fep0, round_shift = 0x1.8p52;
    const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
    x = x < -708.0 ? -708.0 : x;
    x = x > 708.0 ? 708.0 : x;
    double t = x * log2e + round_shift; /* n in the low bits of t's significand */
    double n = t - round_shift;
    double r = (x - n * ln2_hi) - n * ln2_lo;
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double q0 = 1.0 + r, q1 = 0.5 + r * (1.0 / 6.0), q2 = 1.0 / 24.0 + r * (1.0 / 120.0);
    double q3 = 1.0 / 720.0 + r * (1.0 / 5040.0), q4 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
    double q5 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
    double q6 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
    double s0 = q0 + q1 * r2, s1 = q2 + q3 * r2, s2 = q4 + q5 * r2;
    double e_r = (s0 + s1 * r4) + (s2 + q6 * r4) * r8;
    uint64_t t_bits, shift_bits;
    memcpy(&t_bits, &t, sizeof t);
    memcpy(&shift_bits, &round_shift, sizeof round_shift);
    uint64_t scale_bits = (t_bits - shift_bits + 1023) << 52; /* 2^n */
    double scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return e_r * scale;
}

static inline void logistic_row(const lathe__gbdt_loss_args *args, double f, double y, double *g,
                                double *h)
{
    (void)args;
    /* f below -708: p about 3e-308 rather than 0, which the hessian floor and g = p - y absorb */
    double p = 1.0 / (1.0 + exp_of(-f));
    *g = p - y;
    *h = p * (1.0 - p);
}

static inline void squared_row(const lathe__gbdt_loss_args *args, double f, double y, double *g,
                               double *h)
{
    (void)args;
    *g = f - y;
    *h = 1.0;
}

static inline void absolute_row(const lathe__gbdt_loss_args *args, double f, double y, double *g,
                                double *h)
{
    (void)args;
    *g = (f > y) - (f < y);
    *h = 1.0;
}

static inline void pseudohuber_row(const lathe__gbdt_loss_args *args, double f, double y, double *g,
                                   double *h)
{
    double r = f - y, scaled = r / args->huber_slope, s = 1.0 + scaled * scaled;
    *g = r / sqrt(s);
    *h = 1.0 / (s * sqrt(s));
}

static inline void huber_row(const lathe__gbdt_loss_args *args, double f, double y, double *g,
                             double *h)
{
    *g = fmax(-args->huber_slope, fmin(args->huber_slope, f - y));
    *h = 1.0;
}

static inline void poisson_row(const lathe__gbdt_loss_args *args, double f, double y, double *g,
                               double *h)
{
    *g = exp(f) - y;
    *h = exp(f + args->max_delta_step);
}

/* The loop every one-score objective shares; inlined with its row function, so each
   objective gets its own tight loop and no call or switch per row. */
static inline void gradient_loop(const lathe__gbdt_loss_args *args, const double *raw,
                                 const double *y, const double *w, const uint32_t *rows, size_t lo,
                                 size_t hi, lathe__gbdt_pair *gh, row_fn row_of)
{
    if (!rows) { /* every row: a loop the compiler can vectorize */
        for (size_t i = lo; i < hi; i++) {
            double g, h;
            row_of(args, raw[i], y[i], &g, &h);
            gh[i] = (lathe__gbdt_pair){w[i] * g, w[i] * at_least(h, HESSIAN_FLOOR)};
        }
        return;
    }
    for (size_t i = lo; i < hi; i++) {
        size_t row = rows[i];
        double g, h;
        row_of(args, raw[row], y[row], &g, &h);
        gh[row] = (lathe__gbdt_pair){w[row] * g, w[row] * at_least(h, HESSIAN_FLOOR)};
    }
}

#define ONE_SCORE_GRADIENTS(name, row_of)                                                          \
    static void name(const lathe__gbdt_loss_args *args, const double *raw, const double *y,        \
                     const double *w, const uint32_t *rows, size_t lo, size_t hi, size_t n_total,  \
                     lathe__gbdt_pair *gh)                                                         \
    {                                                                                              \
        (void)n_total;                                                                             \
        gradient_loop(args, raw, y, w, rows, lo, hi, gh, row_of);                                  \
    }

ONE_SCORE_GRADIENTS(logistic_gradients_base, logistic_row)
ONE_SCORE_GRADIENTS(squared_gradients, squared_row)
ONE_SCORE_GRADIENTS(absolute_gradients, absolute_row)
ONE_SCORE_GRADIENTS(pseudohuber_gradients, pseudohuber_row)
ONE_SCORE_GRADIENTS(huber_gradients, huber_row)
ONE_SCORE_GRADIENTS(poisson_gradients, poisson_row)

WIDE_VECTORS static void logistic_gradients_wide(const lathe__gbdt_loss_args *args,
                                                 const double *raw, const double *y,
                                                 const double *w, const uint32_t *rows, size_t lo,
                                                 size_t hi, lathe__gbdt_pair *gh)
{
    gradient_loop(args, raw, y, w, rows, lo, hi, gh, logistic_row);
}

static void logistic_gradients(const lathe__gbdt_loss_args *args, const double *raw,
                               const double *y, const double *w, const uint32_t *rows, size_t lo,
                               size_t hi, size_t n_total, lathe__gbdt_pair *gh)
{
    if (has_wide_vectors())
        logistic_gradients_wide(args, raw, y, w, rows, lo, hi, gh);
    else
        logistic_gradients_base(args, raw, y, w, rows, lo, hi, n_total, gh);
}

static void softmax_gradients(const lathe__gbdt_loss_args *args, const double *raw, const double *y,
                              const double *w, const uint32_t *rows, size_t lo, size_t hi,
                              size_t n_total, lathe__gbdt_pair *gh)
{
    size_t n_raw = args->n_raw;
    double factor = (double)n_raw / (double)(n_raw - 1);
    for (size_t i = lo; i < hi; i++) {
        size_t row = rows ? rows[i] : i;
        const double *scores = raw + row * n_raw;
        double largest = -INFINITY, sum = 0.0;
        for (size_t k = 0; k < n_raw; k++)
            largest = fmax(largest, scores[k]);
        for (size_t k = 0; k < n_raw; k++)
            sum += exp(scores[k] - largest);
        for (size_t k = 0; k < n_raw; k++) {
            double p = exp(scores[k] - largest) / sum;
            double g = p - ((size_t)y[row] == k ? 1.0 : 0.0);
            double h = at_least(factor * p * (1.0 - p), HESSIAN_FLOOR);
            gh[k * n_total + row] = (lathe__gbdt_pair){w[row] * g, w[row] * h};
        }
    }
}

typedef void (*gradients_fn)(const lathe__gbdt_loss_args *args, const double *raw, const double *y,
                             const double *w, const uint32_t *rows, size_t lo, size_t hi,
                             size_t n_total, lathe__gbdt_pair *gh);

static const gradients_fn gradients_of[LATHE__GBDT_N_OBJECTIVES] = {
    [LATHE__GBDT_BINARY_LOGISTIC] = logistic_gradients,
    [LATHE__GBDT_MULTI_SOFTMAX] = softmax_gradients,
    [LATHE__GBDT_SQUARED_ERROR] = squared_gradients,
    [LATHE__GBDT_ABSOLUTE_ERROR] = absolute_gradients,
    [LATHE__GBDT_PSEUDOHUBER] = pseudohuber_gradients,
    [LATHE__GBDT_HUBER] = huber_gradients,
    [LATHE__GBDT_POISSON] = poisson_gradients,
};

void lathe__gbdt_gradients(const lathe__gbdt_loss_args *args, const double *raw, const double *y,
                           const double *w, const uint32_t *rows, size_t lo, size_t hi,
                           size_t n_total, lathe__gbdt_pair *gh)
{
    gradients_of[args->id](args, raw, y, w, rows, lo, hi, n_total, gh);
}

/* ---- validation loss ---- */

static double log1p_exp(double x)
{
    return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

double lathe__gbdt_row_loss(const lathe__gbdt_loss_args *args, const double *raw, double y)
{
    double f = raw[0], r = f - y, delta = args->huber_slope;
    switch (args->id) {
    case LATHE__GBDT_BINARY_LOGISTIC:
        return y > 0.5 ? log1p_exp(-f) : log1p_exp(f);
    case LATHE__GBDT_MULTI_SOFTMAX: {
        double largest = -INFINITY, sum = 0.0;
        for (size_t k = 0; k < args->n_raw; k++)
            largest = fmax(largest, raw[k]);
        for (size_t k = 0; k < args->n_raw; k++)
            sum += exp(raw[k] - largest);
        return largest + log(sum) - raw[(size_t)y];
    }
    case LATHE__GBDT_ABSOLUTE_ERROR:
        return fabs(r);
    case LATHE__GBDT_PSEUDOHUBER:
        return delta * delta * (sqrt(1.0 + (r / delta) * (r / delta)) - 1.0);
    case LATHE__GBDT_HUBER:
        return fabs(r) <= delta ? 0.5 * r * r : delta * (fabs(r) - 0.5 * delta);
    case LATHE__GBDT_POISSON:
        return exp(f) - y * f + lgamma(y + 1.0);
    default:
        return r * r;
    }
}

double lathe__gbdt_loss_metric(const lathe__gbdt_loss_args *args, double mean_loss)
{
    return args->id == LATHE__GBDT_SQUARED_ERROR ? sqrt(mean_loss) : mean_loss;
}
