/*
 * gbdt_split.c: the best split of a node, from its histogram.
 *
 * The objective is XGBoost's second-order one. A leaf with gradient sum G
 * and hessian sum H gets weight w = -T(G) / (H + lambda), where T shrinks G
 * towards 0 by alpha (L1), and its score (the loss it removes, doubled) is
 * T(G)^2 / (H + lambda); with max_delta_step the weight is clipped and the
 * score is that of the clipped weight. A split's gain is
 * score(left) + score(right) - score(node), and it counts only when both
 * children have hessian at least min_child_weight and the gain exceeds
 * min_split_gain (XGBoost's gamma, LightGBM's min_gain_to_split: no 1/2).
 *
 * Numeric features: every cut between value bins, with the missing bin sent
 * right and then left; the better direction becomes the learned default
 * (a feature with nothing missing sends missing values with the larger
 * child... decided by the grower). Plus "every value left, missing right".
 *
 * Categorical features, as LightGBM does: with at most max_cat_to_onehot
 * categories present, one category against the rest; with more, the
 * categories sorted by G / (H + cat_smooth) and every prefix of that order
 * (from either end, at most max_cat_threshold categories on the left) as
 * the left set, with lambda raised by cat_l2. Sorting by the gradient ratio
 * finds the best two-way partition for squared loss (Fisher 1958) in
 * O(k log k) instead of 2^k.
 *
 * Work is cut into tasks of FEATURES_PER_TASK features per node; each task
 * keeps its best and the tasks are compared in order, so ties go to the
 * lower feature and the result does not depend on the thread count.
 *
 * Packed histograms (quantized gradients) are unpacked a feature at a time
 * into integer-valued doubles, and searched by the same code with the
 * parameters scaled to quantized units: sums of integers below 2^53 are
 * exact, so a node's sums, its children's and its histogram agree to the
 * last bit. A bin is empty only when both of its sums are 0: a quantized
 * hessian can round to 0 under a gradient that did not.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "model/gbdt.h"

#include "core/banned.h"

#define FEATURES_PER_TASK 8

typedef struct split_job {
    const lathe__gbdt_binner *binner;
    const lathe__gbdt_split_params *params;
    const bool *allowed;
    const lathe__gbdt_search *search;
    size_t tasks_per_node;
    lathe__gbdt_split *per_task;
} split_job;

/* The candidate a scan is looking at: sums going left, and where missing went. */
typedef struct candidate {
    double lambda; /* reg_lambda, plus cat_l2 for many-vs-many category splits */
    double parent_score;
    lathe__gbdt_pair total;
    /* least hessian per child: min_child_weight, and a trillionth of the node's so
       rounding in H - H_left never passes for a child */
    double min_hessian;
    bool plain; /* no L1, no max_delta_step: score = G^2 / (H + lambda) */
} candidate;

static double shrink(double g, double alpha)
{
    if (g > alpha)
        return g - alpha;
    if (g < -alpha)
        return g + alpha;
    return 0.0;
}

static double weight_with(const lathe__gbdt_split_params *p, double lambda, double g, double h)
{
    if (h + lambda <= 0.0)
        return 0.0;
    double w = -shrink(g, p->reg_alpha) / (h + lambda);
    if (p->max_delta_step > 0.0)
        w = fmax(-p->max_delta_step, fmin(p->max_delta_step, w));
    return w;
}

static double score_with(const lathe__gbdt_split_params *p, double lambda, double g, double h)
{
    if (h + lambda <= 0.0)
        return 0.0;
    double t = shrink(g, p->reg_alpha);
    if (p->max_delta_step <= 0.0)
        return t * t / (h + lambda);
    double w = weight_with(p, lambda, g, h);
    return -(2.0 * t * w + (h + lambda) * w * w);
}

double lathe__gbdt_leaf_weight(const lathe__gbdt_split_params *params, double g, double h)
{
    return weight_with(params, params->reg_lambda, g, h);
}

double lathe__gbdt_leaf_score(const lathe__gbdt_split_params *params, double g, double h)
{
    return score_with(params, params->reg_lambda, g, h);
}

/* The gain of sending `left` left (the rest right), or -1 if the split is not allowed. */
static double split_gain(const lathe__gbdt_split_params *p, const candidate *c,
                         lathe__gbdt_pair left)
{
    double right_g = c->total.g - left.g, right_h = c->total.h - left.h;
    if (left.h < c->min_hessian || right_h < c->min_hessian)
        return -1.0;
    return score_with(p, c->lambda, left.g, left.h) + score_with(p, c->lambda, right_g, right_h) -
           c->parent_score;
}

/* No rows, or only rows of weight 0 (or whose quantized gradient and hessian are 0). */
static bool empty(lathe__gbdt_pair bin)
{
    return bin.h == 0.0 && bin.g == 0.0;
}

static lathe__gbdt_pair add(lathe__gbdt_pair a, lathe__gbdt_pair b)
{
    return (lathe__gbdt_pair){a.g + b.g, a.h + b.h};
}

static void set_code(uint64_t *bits, unsigned code)
{
    bits[code >> 6] |= 1ull << (code & 63);
}

/* The best cut of a numeric feature into *best (if better): its bin and missing direction. */
typedef struct numeric_best {
    double gain;
    double score; /* plain: gain + the node's score, the bar a cut's two leaves must pass */
    int bin;      /* -1: none found */
    bool missing_left;
    lathe__gbdt_pair left;
} numeric_best;

static inline void numeric_try(const lathe__gbdt_split_params *p, const candidate *c, double left_g,
                               double left_h, int bin, bool missing_left, numeric_best *best)
{
    double right_h = c->total.h - left_h;
    if (left_h < c->min_hessian || right_h < c->min_hessian)
        return;
    if (c->plain) {
        /* G_l^2/a + G_r^2/b > score  <=>  G_l^2 b + G_r^2 a > score a b  (a, b > 0): the
           comparison needs no division; only a new best pays for one */
        double right_g = c->total.g - left_g, a = left_h + c->lambda, b = right_h + c->lambda;
        double numerator = left_g * left_g * b + right_g * right_g * a, denominator = a * b;
        if (!(numerator > best->score * denominator))
            return;
        double score = numerator / denominator;
        *best = (numeric_best){score - c->parent_score, score, bin, missing_left, {left_g, left_h}};
        return;
    }
    double gain = split_gain(p, c, (lathe__gbdt_pair){left_g, left_h});
    if (gain > best->gain)
        *best = (numeric_best){gain, 0.0, bin, missing_left, {left_g, left_h}};
}

/*
 * The common case, no L1, no max_delta_step and nothing missing, as one
 * tight loop: every cut is tested without a division and without a branch
 * that goes either way (an empty bin repeats the cut before it, which can
 * only tie, and ties keep the first), so the loop runs at the speed of its
 * arithmetic. Returns the bin of the best cut better than `found`, or -1.
 */
static void plain_scan(const candidate *c, const lathe__gbdt_pair *hist, unsigned n,
                       numeric_best *found)
{
    double total_g = c->total.g, total_h = c->total.h, lambda = c->lambda;
    double least = c->min_hessian, score = found->score, left_g = 0.0, left_h = 0.0;
    int best_bin = -1;
    for (unsigned b = 0; b + 1 < n; b++) {
        left_g += hist[b].g;
        left_h += hist[b].h;
        double right_h = total_h - left_h;
        if (right_h < least)
            break; /* the right side only shrinks from here */
        double right_g = total_g - left_g, a = left_h + lambda, r = right_h + lambda;
        double numerator = left_g * left_g * r + right_g * right_g * a, denominator = a * r;
        if ((numerator > score * denominator) & (left_h >= least)) {
            score = numerator / denominator;
            best_bin = (int)b;
            found->left = (lathe__gbdt_pair){left_g, left_h};
        }
    }
    if (best_bin >= 0) {
        found->score = score;
        found->gain = score - c->parent_score;
        found->bin = best_bin;
        found->missing_left = false;
    }
}

/* Cuts between value bins of a numeric feature, missing values right then left. */
static void numeric_scan(const lathe__gbdt_split_params *p, const candidate *c,
                         const lathe__gbdt_feature *f, const lathe__gbdt_pair *hist,
                         uint32_t feature, lathe__gbdt_split *best)
{
    unsigned n = f->n_bins;
    lathe__gbdt_pair missing = hist[n];
    bool has_missing = !empty(missing);
    numeric_best found = {best->gain, best->gain + c->parent_score, -1, false, {0, 0}};
    double left_g = 0.0, left_h = 0.0;
    if (c->plain && !has_missing)
        plain_scan(c, hist, n, &found);
    for (unsigned b = 0; !(c->plain && !has_missing) && b + 1 < n; b++) {
        if (empty(hist[b]))
            continue; /* the same cut as the bin before */
        left_g += hist[b].g;
        left_h += hist[b].h;
        if (c->total.h - left_h < c->min_hessian)
            break; /* the right side only shrinks from here */
        numeric_try(p, c, left_g, left_h, (int)b, false, &found);
        if (has_missing)
            numeric_try(p, c, left_g + missing.g, left_h + missing.h, (int)b, true, &found);
    }
    if (has_missing) /* every value left, missing right */
        numeric_try(p, c, c->total.g - missing.g, c->total.h - missing.h, (int)n - 1, false,
                    &found);
    if (found.bin < 0)
        return;
    *best = (lathe__gbdt_split){.gain = found.gain,
                                .feature = feature,
                                .bin = (uint8_t)found.bin,
                                .default_left = found.missing_left,
                                .left = found.left};
    if (!has_missing) /* nothing to learn from: missing values follow the heavier side */
        best->default_left = best->left.h >= c->total.h - best->left.h;
    for (int b = 0; b <= found.bin; b++)
        set_code(best->left_codes, (unsigned)b);
    if (best->default_left)
        set_code(best->left_codes, n);
}

typedef struct category {
    double ratio;
    unsigned bin;
} category;

static int by_ratio(const void *a, const void *b)
{
    const category *x = a, *y = b;
    if (x->ratio != y->ratio)
        return x->ratio < y->ratio ? -1 : 1;
    return (x->bin > y->bin) - (x->bin < y->bin);
}

/* Tries left = cats[from..to) in both missing directions; records the best. */
static bool try_set(const lathe__gbdt_split_params *p, const candidate *c,
                    const lathe__gbdt_pair *hist, unsigned n_bins, const category *cats,
                    size_t from, size_t to, lathe__gbdt_split *best, uint32_t feature)
{
    lathe__gbdt_pair left = {0, 0}, missing = hist[n_bins];
    for (size_t i = from; i < to; i++)
        left = add(left, hist[cats[i].bin]);
    bool improved = false;
    int directions = empty(missing) ? 1 : 2; /* missing right, then left if there are any */
    for (int missing_left = 0; missing_left < directions; missing_left++) {
        lathe__gbdt_pair l = missing_left ? add(left, missing) : left;
        double gain = split_gain(p, c, l);
        if (gain > best->gain) {
            *best = (lathe__gbdt_split){.gain = gain,
                                        .feature = feature,
                                        .categorical = true,
                                        .default_left = missing_left,
                                        .left = l};
            for (size_t i = from; i < to; i++)
                set_code(best->left_codes, cats[i].bin);
            if (missing_left)
                set_code(best->left_codes, n_bins);
            improved = true;
        }
    }
    return improved;
}

static void categorical_scan(const lathe__gbdt_split_params *p, const candidate *c,
                             const lathe__gbdt_feature *f, const lathe__gbdt_pair *hist,
                             uint32_t feature, lathe__gbdt_split *best)
{
    category cats[LATHE__GBDT_MAX_CODES];
    size_t k = 0;
    for (unsigned b = 0; b < f->n_bins; b++)
        if (!empty(hist[b]))
            cats[k++] = (category){hist[b].g / (hist[b].h + p->cat_smooth), b};
    if (k <= p->max_cat_to_onehot) {
        for (size_t i = 0; i < k; i++)
            try_set(p, c, hist, f->n_bins, cats, i, i + 1, best, feature);
    } else {
        qsort(cats, k, sizeof cats[0], by_ratio);
        candidate wide = *c;
        wide.lambda += p->cat_l2;
        wide.parent_score = score_with(p, wide.lambda, c->total.g, c->total.h);
        size_t most = p->max_cat_threshold < (k + 1) / 2 ? p->max_cat_threshold : (k + 1) / 2;
        for (size_t i = 1; i <= most && i < k; i++) {
            try_set(p, &wide, hist, f->n_bins, cats, 0, i, best, feature);
            try_set(p, &wide, hist, f->n_bins, cats, k - i, k, best, feature);
        }
    }
    /* all categories left, missing right */
    if (!empty(hist[f->n_bins]) && k > 0)
        try_set(p, c, hist, f->n_bins, cats, 0, k, best, feature);
    if (best->gain > 0.0 && best->feature == feature && best->categorical &&
        empty(hist[f->n_bins]) && best->left.h >= c->total.h - best->left.h) {
        best->default_left = true; /* nothing to learn from: the heavier side */
        set_code(best->left_codes, f->n_bins);
    }
}

/*
 * Feature f's bins of node `node` as pairs, after the subtraction the
 * search asked for: the histogram itself, or (packed) unpacked into local
 * (NULL when the feature is not wanted: the subtraction is still needed).
 */
static const lathe__gbdt_pair *feature_bins(const split_job *job, size_t node,
                                            const lathe__gbdt_feature *f, lathe__gbdt_pair *local,
                                            bool wanted)
{
    const lathe__gbdt_search *search = job->search;
    size_t n = (size_t)f->n_bins + 1;
    if (!search->packed) {
        lathe__gbdt_pair *hist = (lathe__gbdt_pair *)search->hists[node] + f->slot;
        if (search->subtract[node])
            lathe__gbdt_hist_subtract(
                hist, (const lathe__gbdt_pair *)search->subtract[node] + f->slot, n);
        return hist;
    }
    lathe__gbdt_packed *hist = (lathe__gbdt_packed *)search->hists[node] + f->slot;
    if (search->subtract[node])
        lathe__gbdt_hist_subtract_packed(
            hist, (const lathe__gbdt_packed *)search->subtract[node] + f->slot, n);
    if (!wanted)
        return NULL;
    for (size_t b = 0; b < n; b++)
        local[b] = lathe__gbdt_unpack(hist[b]);
    return local;
}

static void split_task(void *arg, size_t task)
{
    split_job *job = arg;
    size_t node = task / job->tasks_per_node, part = task % job->tasks_per_node;
    size_t first = part * FEATURES_PER_TASK, end = first + FEATURES_PER_TASK;
    if (end > job->binner->n_features)
        end = job->binner->n_features;
    const lathe__gbdt_split_params *p = job->params;
    lathe__gbdt_pair total = job->search->totals[node];
    candidate c = {.lambda = p->reg_lambda,
                   .total = total,
                   .min_hessian = fmax(p->min_child_weight, 1e-12 * total.h),
                   .plain = p->reg_alpha == 0.0 && p->max_delta_step == 0.0};
    c.parent_score = score_with(p, c.lambda, c.total.g, c.total.h);
    lathe__gbdt_split best = {.gain = 0.0};
    lathe__gbdt_pair local[LATHE__GBDT_MAX_CODES];
    for (size_t f = first; f < end; f++) {
        const lathe__gbdt_feature *feature = &job->binner->features[f];
        bool wanted = !job->allowed || job->allowed[f];
        const lathe__gbdt_pair *hist = feature_bins(job, node, feature, local, wanted);
        if (!wanted)
            continue;
        if (feature->categorical)
            categorical_scan(p, &c, feature, hist, (uint32_t)f, &best);
        else
            numeric_scan(p, &c, feature, hist, (uint32_t)f, &best);
    }
    job->per_task[task] = best;
}

lathe_status lathe__gbdt_split_space_init(lathe_ctx *ctx, lathe__gbdt_split_space *space,
                                          size_t n_features, lathe_error *err)
{
    space->n_tasks = 2 * ((n_features + FEATURES_PER_TASK - 1) / FEATURES_PER_TASK);
    space->per_task =
        lathe__calloc(ctx, space->n_tasks ? space->n_tasks : 1, sizeof *space->per_task);
    return space->per_task ? LATHE_OK : lathe__error_nomem(err);
}

void lathe__gbdt_split_space_release(lathe_ctx *ctx, lathe__gbdt_split_space *space)
{
    lathe__free(ctx, space->per_task);
    space->per_task = NULL;
}

void lathe__gbdt_split_find(lathe__team *team, lathe__gbdt_split_space *space,
                            const lathe__gbdt_binner *binner,
                            const lathe__gbdt_split_params *params, const bool *allowed,
                            const lathe__gbdt_search *search, lathe__gbdt_split *best)
{
    split_job job = {.binner = binner,
                     .params = params,
                     .allowed = allowed,
                     .search = search,
                     .tasks_per_node = space->n_tasks / 2,
                     .per_task = space->per_task};
    size_t count = search->count;
    const lathe__gbdt_pair *totals = search->totals;
    lathe__team_run(team, count * job.tasks_per_node, split_task, &job);
    for (size_t node = 0; node < count; node++) {
        best[node] = (lathe__gbdt_split){.gain = 0.0};
        for (size_t t = 0; t < job.tasks_per_node; t++) {
            const lathe__gbdt_split *s = &job.per_task[node * job.tasks_per_node + t];
            if (s->gain > best[node].gain)
                best[node] = *s;
        }
        /* gains within rounding of the node's own score are noise, not structure */
        double parent = lathe__gbdt_leaf_score(params, totals[node].g, totals[node].h);
        if (best[node].gain <= params->min_split_gain || best[node].gain <= 1e-10 * parent)
            best[node].gain = 0.0;
    }
}
