/*
 * power.c: transforms that make skewed numbers more symmetric.
 *
 *   log1p        sign(x) * log1p(|x|): log1p for x >= 0, mirrored below, so
 *                it is defined for every number a serving request may hold.
 *   yeo-johnson  sklearn's PowerTransformer(method="yeo-johnson",
 *                standardize=True): lambda maximizes the Gaussian
 *                log-likelihood of the transformed training values, found
 *                with the same bracket search and Brent minimizer scipy's
 *                optimize.brent runs (ported step for step, so lambda agrees
 *                to rounding, not just to the optimizer's tolerance); the
 *                result is then standardized. params: lambda, mean, std.
 */
#include <float.h>
#include <math.h>

#include "core/internal.h"
#include "prep/step.h"

#include "core/banned.h"

static double apply_log1p(const double *params, double x)
{
    (void)params;
    return x < 0 ? -log1p(-x) : log1p(x);
}

static lathe_status fit_log1p(lathe_ctx *ctx, const double *values, size_t n,
                              const lathe__prep_options *options, double *params, lathe_error *err)
{
    (void)ctx;
    (void)values;
    (void)n;
    (void)options;
    (void)params;
    (void)err;
    return LATHE_OK;
}

static void describe_nothing(const double *params, char *buf, size_t size)
{
    (void)params;
    lathe__format(buf, size, "%s", "");
}

/* ---- yeo-johnson -------------------------------------------------------- */

static double yeo_johnson(double x, double lambda)
{
    if (x >= 0) {
        if (fabs(lambda) < DBL_EPSILON)
            return log1p(x);
        return (pow(x + 1, lambda) - 1) / lambda;
    }
    if (fabs(lambda - 2) > DBL_EPSILON)
        return -(pow(-x + 1, 2 - lambda) - 1) / (2 - lambda);
    return -log1p(-x);
}

typedef struct likelihood {
    const double *values;
    size_t n;
    double log_sum; /* sum of sign(x) * log1p(|x|), constant in lambda */
} likelihood;

/* The negative log-likelihood sklearn's _yeo_johnson_optimize minimizes. */
static double negative_log_likelihood(const likelihood *data, double lambda)
{
    double sum = 0, squares = 0;
    for (size_t i = 0; i < data->n; i++)
        sum += yeo_johnson(data->values[i], lambda);
    double mean = sum / (double)data->n;
    for (size_t i = 0; i < data->n; i++) {
        double d = yeo_johnson(data->values[i], lambda) - mean;
        squares += d * d;
    }
    double variance = squares / (double)data->n;
    if (variance < DBL_MIN)
        return INFINITY;
    double loglike = -(double)data->n / 2 * log(variance) + (lambda - 1) * data->log_sum;
    return -loglike;
}

typedef struct bracket {
    double xa, xb, xc, fa, fb, fc;
} bracket;

/* Moves the bracket one step on: (a, b, c) becomes (b, c, w). */
static void bracket_shift(bracket *b, double w, double fw)
{
    b->xa = b->xb;
    b->xb = b->xc;
    b->xc = w;
    b->fa = b->fb;
    b->fb = b->fc;
    b->fc = fw;
}

/* scipy.optimize.bracket: walks downhill from (xa, xb) until f(xa) > f(xb) < f(xc). */
static bracket find_bracket(const likelihood *data, double xa, double xb)
{
    const double gold = 1.618034, very_small = 1e-21, grow_limit = 110.0;
    bracket b = {xa, xb, 0, negative_log_likelihood(data, xa), negative_log_likelihood(data, xb),
                 0};
    if (b.fa < b.fb) {
        b = (bracket){b.xb, b.xa, 0, b.fb, b.fa, 0};
    }
    b.xc = b.xb + gold * (b.xb - b.xa);
    b.fc = negative_log_likelihood(data, b.xc);
    for (int iter = 0; b.fc < b.fb && iter <= 1000; iter++) {
        double tmp1 = (b.xb - b.xa) * (b.fb - b.fc), tmp2 = (b.xb - b.xc) * (b.fb - b.fa);
        double val = tmp2 - tmp1;
        double denom = fabs(val) < very_small ? 2.0 * very_small : 2.0 * val;
        double w = b.xb - ((b.xb - b.xc) * tmp2 - (b.xb - b.xa) * tmp1) / denom;
        double wlim = b.xb + grow_limit * (b.xc - b.xb), fw;
        if ((w - b.xc) * (b.xb - w) > 0.0) {
            fw = negative_log_likelihood(data, w);
            if (fw < b.fc)
                return (bracket){b.xb, w, b.xc, b.fb, fw, b.fc};
            if (fw > b.fb)
                return (bracket){b.xa, b.xb, w, b.fa, b.fb, fw};
            w = b.xc + gold * (b.xc - b.xb);
            fw = negative_log_likelihood(data, w);
        } else if ((w - wlim) * (wlim - b.xc) >= 0.0) {
            w = wlim;
            fw = negative_log_likelihood(data, w);
        } else if ((w - wlim) * (b.xc - w) > 0.0) {
            fw = negative_log_likelihood(data, w);
            if (fw < b.fc) {
                b.xb = b.xc;
                b.xc = w;
                w = b.xc + gold * (b.xc - b.xb);
                b.fb = b.fc;
                b.fc = fw;
                fw = negative_log_likelihood(data, w);
            }
        } else {
            w = b.xc + gold * (b.xc - b.xb);
            fw = negative_log_likelihood(data, w);
        }
        bracket_shift(&b, w, fw);
    }
    return b;
}

/* The state of scipy's Brent.optimize between iterations. */
typedef struct brent {
    double a, b, x, w, v, fx, fw, fv, deltax, rat;
} brent;

/* One proposed step from x: parabolic when it fits, else golden section. */
static double brent_step(brent *s, double tol1, double xmid)
{
    const double golden = 0.3819660;
    double tol2 = 2.0 * tol1;
    if (fabs(s->deltax) <= tol1) {
        s->deltax = s->x >= xmid ? s->a - s->x : s->b - s->x;
        s->rat = golden * s->deltax;
    } else {
        double tmp1 = (s->x - s->w) * (s->fx - s->fv), tmp2 = (s->x - s->v) * (s->fx - s->fw);
        double p = (s->x - s->v) * tmp2 - (s->x - s->w) * tmp1;
        tmp2 = 2.0 * (tmp2 - tmp1);
        if (tmp2 > 0.0)
            p = -p;
        tmp2 = fabs(tmp2);
        double dx_temp = s->deltax;
        s->deltax = s->rat;
        if (p > tmp2 * (s->a - s->x) && p < tmp2 * (s->b - s->x) &&
            fabs(p) < fabs(0.5 * tmp2 * dx_temp)) {
            s->rat = p * 1.0 / tmp2;
            double u = s->x + s->rat;
            if ((u - s->a) < tol2 || (s->b - u) < tol2)
                s->rat = xmid - s->x >= 0 ? tol1 : -tol1;
        } else {
            s->deltax = s->x >= xmid ? s->a - s->x : s->b - s->x;
            s->rat = golden * s->deltax;
        }
    }
    if (fabs(s->rat) < tol1)
        return s->rat >= 0 ? s->x + tol1 : s->x - tol1;
    return s->x + s->rat;
}

/* Keeps the best three points after evaluating f(u) = fu. */
static void brent_update(brent *s, double u, double fu)
{
    if (fu > s->fx) {
        if (u < s->x)
            s->a = u;
        else
            s->b = u;
        if (fu <= s->fw || s->w == s->x) {
            s->v = s->w;
            s->w = u;
            s->fv = s->fw;
            s->fw = fu;
        } else if (fu <= s->fv || s->v == s->x || s->v == s->w) {
            s->v = u;
            s->fv = fu;
        }
        return;
    }
    if (u >= s->x)
        s->a = s->x;
    else
        s->b = s->x;
    s->v = s->w;
    s->w = s->x;
    s->x = u;
    s->fv = s->fw;
    s->fw = s->fx;
    s->fx = fu;
}

/* scipy.optimize.brent(f, brack=(-2, 2)) with its default tolerances. */
static double minimize_lambda(const likelihood *data)
{
    const double tol = 1.48e-8, mintol = 1.0e-11;
    bracket br = find_bracket(data, -2, 2);
    brent s = {0};
    s.x = s.w = s.v = br.xb;
    s.fx = s.fw = s.fv = br.fb;
    s.a = br.xa < br.xc ? br.xa : br.xc;
    s.b = br.xa < br.xc ? br.xc : br.xa;
    for (int iter = 0; iter < 500; iter++) {
        double tol1 = tol * fabs(s.x) + mintol, xmid = 0.5 * (s.a + s.b);
        if (fabs(s.x - xmid) < (2.0 * tol1 - 0.5 * (s.b - s.a)))
            break;
        double u = brent_step(&s, tol1, xmid);
        brent_update(&s, u, negative_log_likelihood(data, u));
    }
    return s.x;
}

static lathe_status fit_yeo_johnson(lathe_ctx *ctx, const double *values, size_t n,
                                    const lathe__prep_options *options, double *params,
                                    lathe_error *err)
{
    if (n == 0) {
        params[0] = 1;
        params[1] = 0;
        params[2] = 1;
        return LATHE_OK;
    }
    likelihood data = {values, n, 0};
    for (size_t i = 0; i < n; i++)
        data.log_sum += values[i] < 0 ? -log1p(-values[i]) : log1p(values[i]);
    double lambda = minimize_lambda(&data);
    double *transformed = lathe__calloc(ctx, n, sizeof *transformed);
    if (!transformed)
        return lathe__error_nomem(err);
    for (size_t i = 0; i < n; i++)
        transformed[i] = yeo_johnson(values[i], lambda);
    double standard[LATHE__NUM_PARAMS];
    lathe_status status = lathe__scale_standard.fit(ctx, transformed, n, options, standard, err);
    lathe__free(ctx, transformed);
    params[0] = lambda;
    params[1] = standard[0];
    params[2] = standard[1];
    return status;
}

static double apply_yeo_johnson(const double *params, double x)
{
    return (yeo_johnson(x, params[0]) - params[1]) / params[2];
}

static void describe_yeo_johnson(const double *params, char *buf, size_t size)
{
    lathe__format(buf, size, "(lambda %.6g, then standardized)", params[0]);
}

const lathe__num_step_ops lathe__power_log1p = {"log1p", fit_log1p, apply_log1p, describe_nothing};
const lathe__num_step_ops lathe__power_yeo_johnson = {"yeo-johnson", fit_yeo_johnson,
                                                      apply_yeo_johnson, describe_yeo_johnson};
