/*
 * cart_split.c: finding a node's best split, and partitioning its rows.
 *
 * Features are drawn as scikit-learn's splitters draw them (Fisher-Yates
 * over the features not yet known to be constant, until max_features
 * non-constant ones were seen), so max_features means what it means there.
 *
 * Best splits (tree, forest): a feature's rows in the node are summarized
 * as groups, one per distinct code, in code order, by one of two exact
 * methods, whichever costs less for the node:
 *   - a dense histogram over the feature's levels, when the feature has at
 *     most DENSE_FACTOR levels per row of the node (linear in rows plus
 *     levels);
 *   - a radix sort of the node's codes otherwise (linear in rows).
 * Splits are then scanned between consecutive groups; a numeric threshold
 * is the midpoint of the two groups' values, as scikit-learn's.
 *
 * Missing values (NaN) are summed apart and tried on each side, and
 * "present left, missing right" is a split of its own (threshold DBL_MAX),
 * as scikit-learn 1.3 does; a node without missing values sends them to
 * the child with more rows.
 *
 * Categorical features split into a subset of categories (left) and the
 * rest. Regression and binary classification order the node's categories
 * by mean target / class-1 share and scan that order, which finds the best
 * subset (Fisher 1958; Breiman et al. 1984). Multiclass has no such
 * ordering: each class k present in the node in turn orders the categories
 * by their share of class k, and the best prefix of any of these orders
 * wins ("one-vs-rest orderings": the optimum of each class-vs-rest problem,
 * one scan per class; a node holding two classes is the binary case). A
 * category absent from the node goes right, as does one never seen.
 *
 * Random splits (extra_trees): one threshold per feature drawn uniformly
 * between the node's smallest and largest value (scikit-learn's
 * RandomSplitter), missing values sent to a random side; a categorical
 * feature sends a random prefix of its shuffled categories left.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/radix.h"
#include "model/cart_internal.h"

#include "core/banned.h"

/* Measured on the fixed splits (bench/RESULTS.md): the dense histogram pays up to about
   16 levels per row of the node; sorting wins on smaller nodes of many-valued features. */
#define DENSE_FACTOR 16

/* ---- sums of rows ---------------------------------------------------------- */

void lathe__cart_node_sums(const lathe__cart_workspace *ws, size_t start, size_t end,
                           cart_sums *out)
{
    const lathe__cart_data *data = ws->data;
    out->weight = out->squares = 0;
    out->count = end - start;
    memset(out->sums, 0, ws->n_sums * sizeof *out->sums);
    for (size_t p = start; p < end; p++) {
        double w = ws->sample_weight[p];
        out->weight += w;
        if (data->classes) {
            out->sums[ws->sample_class[p]] += w;
        } else {
            out->sums[0] += w * ws->sample_y[p];
            out->squares += w * ws->sample_y[p] * ws->sample_y[p];
        }
    }
}

double lathe__cart_sums_impurity(const lathe__cart_workspace *ws, const cart_sums *s)
{
    if (!(s->weight > 0))
        return 0;
    if (!ws->data->classes) {
        double mean = s->sums[0] / s->weight;
        return s->squares / s->weight - mean * mean;
    }
    double impurity = 0;
    if (ws->options->criterion == LATHE__CART_GINI) {
        double square = 0;
        for (size_t k = 0; k < ws->n_sums; k++)
            square += s->sums[k] * s->sums[k];
        return 1 - square / (s->weight * s->weight);
    }
    for (size_t k = 0; k < ws->n_sums; k++)
        if (s->sums[k] > 0) {
            double p = s->sums[k] / s->weight;
            impurity -= p * log2(p);
        }
    return impurity;
}

/* ---- the criterion's proxy --------------------------------------------------- */

/* What the search maximizes; it orders splits of one node like the impurity decrease. */
static double proxy(const lathe__cart_workspace *ws, double w_left, const double *left,
                    double w_right, const double *right)
{
    size_t n = ws->n_sums;
    double a = 0, b = 0;
    switch (ws->options->criterion) {
    case LATHE__CART_GINI:
        for (size_t k = 0; k < n; k++) {
            a += left[k] * left[k];
            b += right[k] * right[k];
        }
        return a / w_left + b / w_right;
    case LATHE__CART_ENTROPY:
        for (size_t k = 0; k < n; k++) {
            a += left[k] > 0 ? left[k] * log(left[k]) : 0;
            b += right[k] > 0 ? right[k] * log(right[k]) : 0;
        }
        return a - w_left * log(w_left) + b - w_right * log(w_right);
    case LATHE__CART_FRIEDMAN_MSE: {
        double diff = w_right * left[0] - w_left * right[0];
        return diff * diff / (w_left * w_right);
    }
    case LATHE__CART_SQUARED_ERROR:
    default:
        return left[0] * left[0] / w_left + right[0] * right[0] / w_right;
    }
}

/* ---- groups: the node's rows by distinct code ------------------------------ */

/* Adds the sample at position p (of ws->samples) to a weight and sums. */
static inline void add_sample(const lathe__cart_workspace *ws, size_t p, double *weight,
                              double *sums)
{
    double w = ws->sample_weight[p];
    *weight += w;
    if (ws->sample_class)
        sums[ws->sample_class[p]] += w;
    else
        sums[0] += w * ws->sample_y[p];
}

static void zero_sums(cart_sums *s, size_t n_sums)
{
    s->weight = s->squares = 0;
    s->count = 0;
    memset(s->sums, 0, n_sums * sizeof *s->sums);
}

/* Groups through a dense histogram over the feature's n_levels levels. */
static size_t groups_dense(lathe__cart_workspace *ws, const uint32_t *codes, size_t start,
                           size_t end, size_t n_levels, cart_sums *missing)
{
    size_t ns = ws->n_sums, n_groups = 0;
    memset(ws->dense_count, 0, n_levels * sizeof *ws->dense_count);
    memset(ws->dense_weight, 0, n_levels * sizeof *ws->dense_weight);
    memset(ws->dense_sums, 0, n_levels * ns * sizeof *ws->dense_sums);
    for (size_t p = start; p < end; p++) {
        uint32_t code = codes[ws->samples[p]];
        if (code == LATHE__CART_MISSING) {
            missing->count++;
            add_sample(ws, p, &missing->weight, missing->sums);
            continue;
        }
        ws->dense_count[code]++;
        add_sample(ws, p, &ws->dense_weight[code], ws->dense_sums + (size_t)code * ns);
    }
    for (size_t c = 0; c < n_levels; c++) {
        if (!ws->dense_count[c])
            continue;
        ws->group_code[n_groups] = (uint32_t)c;
        ws->group_count[n_groups] = ws->dense_count[c];
        ws->group_weight[n_groups] = ws->dense_weight[c];
        memcpy(ws->group_sums + n_groups * ns, ws->dense_sums + c * ns, ns * sizeof(double));
        n_groups++;
    }
    return n_groups;
}

static unsigned bits_for(size_t n_levels)
{
    unsigned bits = 0;
    while (bits < 32 && ((size_t)1 << bits) < n_levels)
        bits++;
    return bits;
}

/* Groups through a radix sort of the node's codes. */
static size_t groups_sorted(lathe__cart_workspace *ws, const uint32_t *codes, size_t start,
                            size_t end, size_t n_levels, cart_sums *missing)
{
    size_t ns = ws->n_sums, n_keys = 0, n_groups = 0;
    for (size_t p = start; p < end; p++) {
        uint32_t code = codes[ws->samples[p]];
        if (code == LATHE__CART_MISSING) {
            missing->count++;
            add_sample(ws, p, &missing->weight, missing->sums);
        } else {
            ws->keys[n_keys++] = (uint64_t)code << 32 | (uint32_t)p;
        }
    }
    lathe__radix_sort_codes(ws->keys, n_keys, bits_for(n_levels), ws->keys_tmp);
    for (size_t i = 0; i < n_keys; i++) {
        uint32_t code = (uint32_t)(ws->keys[i] >> 32), p = (uint32_t)ws->keys[i];
        if (i == 0 || code != ws->group_code[n_groups - 1]) {
            ws->group_code[n_groups] = code;
            ws->group_count[n_groups] = 0;
            ws->group_weight[n_groups] = 0;
            memset(ws->group_sums + n_groups * ns, 0, ns * sizeof(double));
            n_groups++;
        }
        ws->group_count[n_groups - 1]++;
        add_sample(ws, p, &ws->group_weight[n_groups - 1], ws->group_sums + (n_groups - 1) * ns);
    }
    return n_groups;
}

static size_t n_levels_of(const lathe__cart_data *data, uint32_t f)
{
    return data->level_start[f + 1] - data->level_start[f];
}

static size_t build_groups(lathe__cart_workspace *ws, uint32_t f, size_t start, size_t end,
                           cart_sums *missing)
{
    const uint32_t *codes = ws->data->codes + (size_t)f * ws->data->n_rows;
    size_t n_levels = n_levels_of(ws->data, f);
    zero_sums(missing, ws->n_sums);
    /* Random splits only group categories, and keep no sort buffers. */
    bool dense_pays = ws->options->random_splits || n_levels <= DENSE_FACTOR * (end - start);
    if (n_levels <= ws->dense_capacity && dense_pays)
        return groups_dense(ws, codes, start, end, n_levels, missing);
    return groups_sorted(ws, codes, start, end, n_levels, missing);
}

/* ---- scanning ---------------------------------------------------------------- */

/* One search: the node, its missing rows, and the split order of the groups. */
typedef struct scan {
    uint32_t feature;
    bool categorical;
    const cart_sums *node;
    const cart_sums *missing;
    const uint32_t *order; /* categorical: group indices in split order; NULL: code order */
    size_t n_groups;
} scan;

static double midpoint(const lathe__cart_data *data, uint32_t f, uint32_t below, uint32_t above)
{
    const double *levels = data->levels + data->level_start[f];
    double a = levels[below], b = levels[above];
    double t = a / 2 + b / 2;
    return t == b || isinf(t) ? a : t;
}

static void set_left_bits(lathe__cart_workspace *ws, const scan *s, size_t last)
{
    size_t words = (n_levels_of(ws->data, s->feature) + 63) / 64;
    memset(ws->best_bits, 0, words * sizeof *ws->best_bits);
    for (size_t i = 0; i <= last; i++) {
        uint32_t code = ws->group_code[s->order[i]];
        ws->best_bits[code >> 6] |= (uint64_t)1 << (code & 63);
    }
}

/* Records the split after group position `i` if it beats *best. */
static void consider(lathe__cart_workspace *ws, const scan *s, size_t i, bool missing_left,
                     double value, cart_split *best)
{
    if (!(value > best->proxy))
        return;
    best->found = true;
    best->proxy = value;
    best->feature = s->feature;
    best->categorical = s->categorical;
    best->missing_left = missing_left;
    best->has_missing = s->missing->count > 0;
    if (s->categorical) {
        set_left_bits(ws, s, i);
        return;
    }
    best->cut = ws->group_code[i];
    best->threshold = i + 1 < s->n_groups
                          ? midpoint(ws->data, s->feature, ws->group_code[i], ws->group_code[i + 1])
                          : DBL_MAX;
}

/* Scans the cuts after each group in order, with missing values on one side. */
static void scan_direction(lathe__cart_workspace *ws, const scan *s, bool missing_left,
                           cart_split *best)
{
    size_t ns = ws->n_sums;
    double *left = ws->scan, *right = ws->scan + ns;
    const cart_sums *miss = s->missing;
    double w_left = missing_left ? miss->weight : 0;
    size_t n_left = missing_left ? miss->count : 0;
    for (size_t k = 0; k < ns; k++)
        left[k] = missing_left ? miss->sums[k] : 0;
    /* Present-left, missing-right is a split only when some are missing. */
    size_t n_cuts = s->n_groups - (miss->count > 0 && !missing_left ? 0 : 1);
    size_t min_leaf = ws->options->min_samples_leaf;
    for (size_t i = 0; i < n_cuts; i++) {
        size_t g = s->order ? s->order[i] : i;
        n_left += ws->group_count[g];
        w_left += ws->group_weight[g];
        for (size_t k = 0; k < ns; k++)
            left[k] += ws->group_sums[g * ns + k];
        if (n_left < min_leaf || s->node->count - n_left < min_leaf)
            continue;
        double w_right = s->node->weight - w_left;
        if (w_left < ws->min_weight_leaf || w_right < ws->min_weight_leaf || !(w_left > 0) ||
            !(w_right > 0))
            continue;
        for (size_t k = 0; k < ns; k++)
            right[k] = s->node->sums[k] - left[k];
        consider(ws, s, i, missing_left, proxy(ws, w_left, left, w_right, right), best);
    }
}

static void scan_groups(lathe__cart_workspace *ws, const scan *s, cart_split *best)
{
    scan_direction(ws, s, false, best);
    if (s->missing->count > 0)
        scan_direction(ws, s, true, best);
}

static int compare_order(const void *a, const void *b)
{
    const double *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Orders the groups by key `by` (class index, or 0: the mean target), ties by code. */
static void order_groups(lathe__cart_workspace *ws, size_t n_groups, size_t by)
{
    size_t ns = ws->n_sums;
    double *pairs = ws->order_key; /* (key, group) pairs */
    for (size_t g = 0; g < n_groups; g++) {
        pairs[2 * g] = ws->group_sums[g * ns + by] / ws->group_weight[g];
        if (!(ws->group_weight[g] > 0))
            pairs[2 * g] = 0;
        pairs[2 * g + 1] = (double)g;
    }
    if (n_groups > 16) {
        qsort(pairs, n_groups, 2 * sizeof(double), compare_order);
    } else { /* a node's few categories: insertion sort, cheaper than qsort's calls */
        for (size_t i = 1; i < n_groups; i++)
            for (size_t j = i; j > 0 && compare_order(pairs + 2 * j - 2, pairs + 2 * j) > 0; j--) {
                double key = pairs[2 * j], group = pairs[2 * j + 1];
                pairs[2 * j] = pairs[2 * j - 2];
                pairs[2 * j + 1] = pairs[2 * j - 1];
                pairs[2 * j - 2] = key;
                pairs[2 * j - 1] = group;
            }
    }
    for (size_t g = 0; g < n_groups; g++)
        ws->order[g] = (uint32_t)pairs[2 * g + 1];
}

/*
 * Regression: one order, by mean. Classes: with at most two present in the
 * node, one order by the share of the later one (class 1 of a binary
 * target) is optimal; with more, one order per present class (an absent
 * class would only repeat the order of codes).
 */
static void scan_categories(lathe__cart_workspace *ws, scan *s, cart_split *best)
{
    size_t n_classes = ws->data->n_classes, n_present = 0, last = 0;
    for (size_t k = 0; k < n_classes; k++)
        if (s->node->sums[k] > 0) {
            n_present++;
            last = k;
        }
    s->order = ws->order;
    if (n_present <= 2) {
        order_groups(ws, s->n_groups, last);
        scan_groups(ws, s, best);
        return;
    }
    for (size_t k = 0; k < n_classes; k++) {
        if (!(s->node->sums[k] > 0))
            continue;
        order_groups(ws, s->n_groups, k);
        scan_groups(ws, s, best);
    }
}

/* Evaluates feature f for the best split; false when f is constant in the node. */
static bool best_of_feature(lathe__cart_workspace *ws, uint32_t f, size_t start, size_t end,
                            const cart_sums *node, cart_split *best)
{
    cart_sums missing = {.sums = ws->scan + 2 * ws->n_sums};
    size_t n_groups = build_groups(ws, f, start, end, &missing);
    if (n_groups == 0 || (n_groups == 1 && missing.count == 0))
        return false;
    scan s = {.feature = f,
              .categorical = ws->data->categorical[f] != 0,
              .node = node,
              .missing = &missing,
              .n_groups = n_groups};
    if (s.categorical)
        scan_categories(ws, &s, best);
    else
        scan_groups(ws, &s, best);
    return true;
}

/* ---- random splits (extra trees) ------------------------------------------ */

/* The largest code in [low, high) whose level is <= t (levels increase). */
static uint32_t code_at_or_below(const double *levels, uint32_t low, uint32_t high, double t)
{
    while (high - low > 1) {
        uint32_t mid = low + (high - low) / 2;
        if (levels[mid] <= t)
            low = mid;
        else
            high = mid;
    }
    return low;
}

/* Sums of the rows a split sends left, into left (weight, count, sums). */
static void left_sums(lathe__cart_workspace *ws, size_t start, size_t end, const cart_split *split,
                      cart_sums *left);

/* Evaluates a finished random candidate against *best. */
static void consider_random(lathe__cart_workspace *ws, size_t start, size_t end,
                            const cart_sums *node, cart_split *candidate, cart_split *best)
{
    cart_sums left = {.sums = ws->scan};
    left_sums(ws, start, end, candidate, &left);
    size_t min_leaf = ws->options->min_samples_leaf;
    double w_right = node->weight - left.weight;
    if (left.count < min_leaf || node->count - left.count < min_leaf ||
        left.weight < ws->min_weight_leaf || w_right < ws->min_weight_leaf || !(left.weight > 0) ||
        !(w_right > 0))
        return;
    double *right = ws->scan + ws->n_sums;
    for (size_t k = 0; k < ws->n_sums; k++)
        right[k] = node->sums[k] - left.sums[k];
    candidate->proxy = proxy(ws, left.weight, left.sums, w_right, right);
    if (!(candidate->proxy > best->proxy))
        return;
    *best = *candidate;
    best->found = true;
    if (candidate->categorical)
        memcpy(ws->best_bits, ws->bits + ws->n_bits, candidate->cat_words * sizeof(uint64_t));
}

static bool random_numeric(lathe__cart_workspace *ws, uint32_t f, size_t start, size_t end,
                           const cart_sums *node, cart_split *best)
{
    const uint32_t *codes = ws->data->codes + (size_t)f * ws->data->n_rows;
    uint32_t low = UINT32_MAX, high = 0;
    size_t n_missing = 0;
    for (size_t p = start; p < end; p++) {
        uint32_t code = codes[ws->samples[p]];
        if (code == LATHE__CART_MISSING) {
            n_missing++;
            continue;
        }
        low = code < low ? code : low;
        high = code > high ? code : high;
    }
    if (n_missing == end - start || (low == high && n_missing == 0))
        return false;
    const double *levels = ws->data->levels + ws->data->level_start[f];
    cart_split c = {.feature = f, .has_missing = n_missing > 0, .threshold = DBL_MAX, .cut = high};
    if (low < high) {
        double t = levels[low] + lathe__rng_uniform(ws->rng) * (levels[high] - levels[low]);
        if (t >= levels[high])
            t = levels[low];
        c.threshold = t;
        c.cut = code_at_or_below(levels, low, high, t);
    }
    c.missing_left = n_missing > 0 && low < high && (lathe__rng_next(ws->rng) >> 63);
    consider_random(ws, start, end, node, &c, best);
    return true;
}

/* A random prefix of the node's categories, shuffled, goes left. */
static bool random_categories(lathe__cart_workspace *ws, uint32_t f, size_t start, size_t end,
                              const cart_sums *node, cart_split *best)
{
    cart_sums missing = {.sums = ws->scan + 2 * ws->n_sums};
    size_t n_groups = build_groups(ws, f, start, end, &missing);
    if (n_groups == 0 || (n_groups == 1 && missing.count == 0))
        return false;
    for (size_t g = n_groups; g > 1; g--) {
        size_t j = (size_t)lathe__rng_below(ws->rng, g);
        uint32_t t = ws->group_code[g - 1];
        ws->group_code[g - 1] = ws->group_code[j];
        ws->group_code[j] = t;
    }
    size_t n_left = n_groups > 1 ? 1 + (size_t)lathe__rng_below(ws->rng, n_groups - 1) : 1;
    size_t words = (n_levels_of(ws->data, f) + 63) / 64;
    /* The candidate's bits sit past the pool's end until a split is kept. */
    uint64_t *bits = ws->bits + ws->n_bits;
    memset(bits, 0, words * sizeof *bits);
    for (size_t i = 0; i < n_left; i++)
        bits[ws->group_code[i] >> 6] |= (uint64_t)1 << (ws->group_code[i] & 63);
    cart_split c = {.feature = f,
                    .categorical = true,
                    .has_missing = missing.count > 0,
                    .cat_words = (uint32_t)words};
    c.missing_left = missing.count > 0 && n_groups > 1 && (lathe__rng_next(ws->rng) >> 63);
    consider_random(ws, start, end, node, &c, best);
    return true;
}

/* ---- the partition --------------------------------------------------------- */

static inline void swap_samples(lathe__cart_workspace *ws, size_t a, size_t b)
{
    uint32_t row = ws->samples[a];
    ws->samples[a] = ws->samples[b];
    ws->samples[b] = row;
    double w = ws->sample_weight[a];
    ws->sample_weight[a] = ws->sample_weight[b];
    ws->sample_weight[b] = w;
    if (ws->sample_class) {
        uint32_t c = ws->sample_class[a];
        ws->sample_class[a] = ws->sample_class[b];
        ws->sample_class[b] = c;
    } else {
        double y = ws->sample_y[a];
        ws->sample_y[a] = ws->sample_y[b];
        ws->sample_y[b] = y;
    }
}

static inline bool goes_left(const cart_split *split, const uint64_t *bits, uint32_t code)
{
    if (code == LATHE__CART_MISSING)
        return split->missing_left;
    if (!split->categorical)
        return code <= split->cut;
    return code >> 6 < split->cat_words && ((bits[code >> 6] >> (code & 63)) & 1u);
}

static void left_sums(lathe__cart_workspace *ws, size_t start, size_t end, const cart_split *split,
                      cart_sums *left)
{
    const uint32_t *codes = ws->data->codes + (size_t)split->feature * ws->data->n_rows;
    const uint64_t *bits = ws->bits + ws->n_bits;
    zero_sums(left, ws->n_sums);
    for (size_t p = start; p < end; p++) {
        if (goes_left(split, bits, codes[ws->samples[p]])) {
            left->count++;
            add_sample(ws, p, &left->weight, left->sums);
        }
    }
}

size_t lathe__cart_partition(lathe__cart_workspace *ws, size_t start, size_t end, cart_split *split)
{
    const uint32_t *codes = ws->data->codes + (size_t)split->feature * ws->data->n_rows;
    const uint64_t *bits = ws->bits + split->cat_start;
    size_t p = start, q = end;
    while (p < q) {
        if (goes_left(split, bits, codes[ws->samples[p]]))
            p++;
        else
            swap_samples(ws, p, --q);
    }
    if (!split->has_missing)
        split->missing_left = p - start >= end - p;
    return p;
}

/* ---- the node ---------------------------------------------------------------- */

static bool evaluate_feature(lathe__cart_workspace *ws, uint32_t f, size_t start, size_t end,
                             const cart_sums *node, cart_split *best)
{
    if (!ws->options->random_splits)
        return best_of_feature(ws, f, start, end, node, best);
    if (ws->data->categorical[f])
        return random_categories(ws, f, start, end, node, best);
    return random_numeric(ws, f, start, end, node, best);
}

static inline void swap_features(uint32_t *features, size_t a, size_t b)
{
    uint32_t t = features[a];
    features[a] = features[b];
    features[b] = t;
}

/* Keeps the chosen categorical left set in the pool. */
static lathe_status keep_bits(lathe__cart_workspace *ws, cart_split *best, lathe_error *err)
{
    if (!best->found || !best->categorical)
        return LATHE_OK;
    size_t words = (n_levels_of(ws->data, best->feature) + 63) / 64;
    if (!lathe__cart_ws_grow(ws, (void **)&ws->bits, &ws->bits_capacity,
                             ws->n_bits + words + ws->max_cat_words, sizeof *ws->bits))
        return lathe__error_nomem(err);
    if (ws->n_bits + words > UINT32_MAX)
        return lathe__error(err, LATHE_LIMIT, "a tree's category sets outgrew 2^32 words");
    memcpy(ws->bits + ws->n_bits, ws->best_bits, words * sizeof *ws->bits);
    best->cat_start = (uint32_t)ws->n_bits;
    best->cat_words = (uint32_t)words;
    ws->n_bits += words;
    return LATHE_OK;
}

lathe_status lathe__cart_node_split(lathe__cart_workspace *ws, size_t start, size_t end,
                                    const cart_sums *node, size_t *n_constant, cart_split *best,
                                    lathe_error *err)
{
    uint32_t *features = ws->features;
    size_t f_i = ws->data->n_features, n_known = *n_constant, n_drawn = 0, n_found = 0;
    size_t n_total = n_known, n_visited = 0, max_features = ws->options->max_features;
    memset(best, 0, sizeof *best);
    best->proxy = -INFINITY;
    while (f_i > n_total && (n_visited < max_features || n_visited <= n_found + n_drawn)) {
        n_visited++;
        size_t f_j = n_drawn + (size_t)lathe__rng_below(ws->rng, f_i - n_found - n_drawn);
        if (f_j < n_known) {
            swap_features(features, n_drawn++, f_j);
            continue;
        }
        f_j += n_found;
        if (!evaluate_feature(ws, features[f_j], start, end, node, best)) {
            swap_features(features, f_j, n_total);
            n_found++;
            n_total++;
        } else {
            swap_features(features, --f_i, f_j);
        }
    }
    /* The known constants keep their order for siblings; the new ones follow. */
    memcpy(features, ws->constant_features, n_known * sizeof *features);
    memcpy(ws->constant_features + n_known, features + n_known, n_found * sizeof *features);
    *n_constant = n_total;
    return keep_bits(ws, best, err);
}
