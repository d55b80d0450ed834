/*
 * gbdt_quant.c: quantized gradients, LightGBM 4's use_quantized_grad (Shi
 * et al., "Quantized Training of Gradient Boosting Decision Trees", 2022).
 *
 * For each tree, gradients and hessians are divided by a unit each (below)
 * and rounded to integers stochastically: up with probability equal to
 * the fraction, so every sum of them is unbiased. Histograms of the integers (gbdt_hist.c) are
 * cheaper to build and exact to add in any order. Splits are chosen from
 * them; leaf values are then renewed from the full-precision gradients of
 * each leaf's rows (lathe__gbdt_grown_renew), as LightGBM does, so only
 * the choice of splits sees the rounding.
 *
 * Scale: as fine as a histogram's packed word allows. Every sum of a
 * node's rows must fit (|G| < 2^31, H < 2^32), and since a row rounds to
 * less than one unit above its value, sum |g_q| < sum |g| / g_scale + n:
 * so g_scale >= sum |g| / (2^31 - n), from the tree's own gradients, and
 * likewise for hessians. A row's pair must also fit two 16-bit halves
 * (lathe__gbdt_qpair): the largest |g| is at most MAX_LEVELS units. The
 * bound from the sums matters: most rows' gradients are far below the
 * largest (confident predictions), and a unit of largest / (2^31 / n)
 * (2,147 levels for a million rows) left them a few units each; on
 * synth1m's leaf-wise fit that cost 0.0026 of accuracy, where the finer
 * units the sums allow grew the exact fit's trees for two seeds of three.
 * LightGBM keeps 4 levels so that small nodes' histograms can use 16-bit
 * sums; here a bin is one 64-bit word whatever the unit. Over 2^31 /
 * MIN_LEVELS rows (134 million) an average row would get fewer than
 * MIN_LEVELS units, and the fit stays exact.
 *
 * What is left is noise in close choices between splits, and it costs a
 * little: up to 0.002 of accuracy on Fashion-MNIST and synth1m
 * (bench/RESULTS.md), so quantized_gradients is not the default.
 *
 * The rounding draws are a hash of the tree's seed and the row id
 * (splitmix64's finalizer), not a stream: whichever task quantizes a row
 * draws the same, so the result does not depend on the team.
 *
 * Splits are searched in quantized units: with G = g_scale Gq and
 * H = h_scale Hq, a leaf's score T_alpha(G)^2 / (H + lambda) is
 * (g_scale^2 / h_scale) T_alpha'(Gq)^2 / (Hq + lambda') with lambda' =
 * lambda / h_scale and alpha' = alpha / g_scale; so every parameter is
 * rescaled once per tree (lathe__gbdt_quant_params) and the search runs
 * unchanged on integer-valued sums, which are exact in doubles.
 */
#include <math.h>

#include "core/internal.h"
#include "model/gbdt.h"

#include "core/banned.h"

#define MAX_LEVELS 32767
#define MIN_LEVELS 16
#define BLOCK_ROWS 16384
#define MAX_BLOCKS 64

typedef struct quant_job {
    const lathe__gbdt_pair *gh;
    const uint32_t *rows; /* NULL: rows 0..n-1 */
    size_t n, n_blocks;
    double g_max[MAX_BLOCKS], h_max[MAX_BLOCKS]; /* per block: the largest |g| and h */
    double g_sum[MAX_BLOCKS], h_sum[MAX_BLOCKS]; /* and the sums of |g| and h */
    double g_inverse, h_inverse;                 /* levels per unit of gradient and hessian */
    int32_t g_levels;
    uint32_t h_levels;
    uint64_t key;
    lathe__gbdt_qpair *quantized;
} quant_job;

bool lathe__gbdt_quant_levels(size_t n_rows, lathe__gbdt_quant *quant)
{
    size_t n = n_rows ? n_rows : 1;
    if (0x7FFFFFFFu / n < MIN_LEVELS)
        return false;
    quant->g_levels = MAX_LEVELS;
    quant->h_levels = MAX_LEVELS;
    quant->g_scale = quant->h_scale = 1.0;
    return true;
}

/* splitmix64's finalizer: a well-mixed 64-bit value from any input. */
static uint64_t mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void block_range(const quant_job *job, size_t block, size_t *lo, size_t *hi)
{
    *lo = job->n * block / job->n_blocks;
    *hi = job->n * (block + 1) / job->n_blocks;
}

static void max_task(void *arg, size_t block)
{
    quant_job *job = arg;
    size_t lo, hi;
    block_range(job, block, &lo, &hi);
    double g_max = 0.0, h_max = 0.0, g_sum = 0.0, h_sum = 0.0;
    for (size_t i = lo; i < hi; i++) { /* comparisons, not fmax: libm calls, not inlined */
        lathe__gbdt_pair p = job->gh[job->rows ? job->rows[i] : i];
        double g = fabs(p.g);
        g_max = g > g_max ? g : g_max;
        h_max = p.h > h_max ? p.h : h_max;
        g_sum += g;
        h_sum += p.h;
    }
    job->g_max[block] = g_max;
    job->h_max[block] = h_max;
    job->g_sum[block] = g_sum;
    job->h_sum[block] = h_sum;
}

/*
 * floor(x + u) within [low, high]: stochastic rounding, which never leaves
 * the levels (NaN goes to low). Shifted to start at 0, truncation is floor;
 * floor, fmin and fmax are library calls without SSE4.1 and took half the
 * time of this loop. (Fixed point with integer random bits was no faster:
 * the loop waits on memory as much as on arithmetic.)
 */
static int64_t round_within(double x, double u, int64_t low, int64_t high)
{
    double t = x + u - (double)low, span = (double)(high - low);
    t = t > 0.0 ? t : 0.0;
    t = t < span ? t : span;
    return (int64_t)t + low;
}

static void quantize_task(void *arg, size_t block)
{
    const quant_job *job = arg;
    size_t lo, hi;
    block_range(job, block, &lo, &hi);
    int64_t g_levels = job->g_levels, h_levels = job->h_levels;
    for (size_t i = lo; i < hi; i++) {
        size_t row = job->rows ? job->rows[i] : i;
        lathe__gbdt_pair p = job->gh[row];
        uint64_t bits = mix(job->key + row * 0x9e3779b97f4a7c15ull);
        double u_g = (double)(bits >> 32) * 0x1p-32, u_h = (double)(uint32_t)bits * 0x1p-32;
        int64_t g = round_within(p.g * job->g_inverse, u_g, -g_levels, g_levels);
        int64_t h = round_within(p.h * job->h_inverse, u_h, 0, h_levels);
        job->quantized[row] = lathe__gbdt_qpair_make((int32_t)g, (uint32_t)h);
    }
}

/*
 * The value of one unit: the largest value is at most `levels` units, and
 * sum / unit + n, which bounds every sum of the rounded rows, stays within
 * `limit` (with a margin for the rounding of sum).
 */
static double unit_of(double largest, double sum, double levels, double limit, size_t n)
{
    if (!(largest > 0.0))
        return 1.0; /* all zero (rows of weight 0): any unit will do */
    double unit = largest / levels, least = sum / (limit - (double)n) * (1.0 + 0x1p-20);
    return unit > least ? unit : least;
}

void lathe__gbdt_quantize(lathe__team *team, lathe__gbdt_quant *quant, const lathe__gbdt_pair *gh,
                          const uint32_t *rows, size_t n, uint64_t seed,
                          lathe__gbdt_qpair *quantized)
{
    quant_job job = {.gh = gh,
                     .rows = rows,
                     .n = n,
                     .n_blocks = n / BLOCK_ROWS + 1,
                     .g_levels = quant->g_levels,
                     .h_levels = quant->h_levels,
                     .key = mix(seed),
                     .quantized = quantized};
    if (job.n_blocks > MAX_BLOCKS)
        job.n_blocks = MAX_BLOCKS;
    lathe__team_run(team, job.n_blocks, max_task, &job);
    double g_max = 0.0, h_max = 0.0, g_sum = 0.0, h_sum = 0.0;
    for (size_t b = 0; b < job.n_blocks; b++) {
        g_max = fmax(g_max, job.g_max[b]);
        h_max = fmax(h_max, job.h_max[b]);
        g_sum += job.g_sum[b];
        h_sum += job.h_sum[b];
    }
    quant->g_scale = unit_of(g_max, g_sum, quant->g_levels, 0x7FFFFFFF, n);
    quant->h_scale = unit_of(h_max, h_sum, quant->h_levels, 0xFFFFFFFF, n);
    job.g_inverse = 1.0 / quant->g_scale;
    job.h_inverse = 1.0 / quant->h_scale;
    lathe__team_run(team, job.n_blocks, quantize_task, &job);
}

lathe__gbdt_split_params lathe__gbdt_quant_params(const lathe__gbdt_split_params *params,
                                                  const lathe__gbdt_quant *quant)
{
    lathe__gbdt_split_params p = *params;
    double g = quant->g_scale, h = quant->h_scale;
    p.reg_lambda /= h;
    p.reg_alpha /= g;
    p.min_child_weight /= h;
    p.min_split_gain /= lathe__gbdt_quant_gain_scale(quant);
    p.max_delta_step *= h / g; /* a weight is a gradient over a hessian */
    p.cat_smooth /= h;
    p.cat_l2 /= h;
    return p;
}

double lathe__gbdt_quant_gain_scale(const lathe__gbdt_quant *quant)
{
    return quant->g_scale * quant->g_scale / quant->h_scale;
}
