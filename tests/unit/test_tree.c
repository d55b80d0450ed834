/*
 * test_tree.c: the fitted-tree representation (model/tree.h) on ensembles
 * built by hand, small enough to check every number by hand or by brute
 * force: leaves (numeric, categorical over two bitset words, missing
 * values both ways, category codes outside the bitset), raw scores and
 * every link, the batch against the single-row path bit for bit (dense,
 * CSR with sorted and unsorted rows, any thread count), TreeSHAP against
 * exact Shapley values of the path-dependent game found by enumerating
 * every feature subset, importance, and save/load: round trip, and crafted
 * corrupt sections refused with exact messages.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/internal.h"
#include "core/rng.h"
#include "harness.h"
#include "model/permutation.h"
#include "model/tree.h"
#include "model/tree_packed.h"

#define N_FEATURES 4

typedef struct node_spec {
    int32_t left, right;
    uint32_t feature;
    double threshold;
    uint8_t default_left;
    double value, cover, gain;
    uint64_t cats[2]; /* nonzero: a categorical split over two words */
} node_spec;

/*
 * Tree A, nodes out of order on purpose: the root splits f0 <= 0.5 (missing
 * right), its left child f1 in {0, 2, 65} (missing left), its right child
 * f2 <= 1 (missing left). Expectation with no feature known: 1.1.
 */
static const node_spec tree_a[] = {
    {4, 1, 0, 0.5, 0, 1.6, 10, 5, {0, 0}},
    {5, 3, 2, 1.0, 1, 0.25, 4, 3, {0, 0}},
    {-1, -1, 0, 0, 0, 1.0, 2, 0, {0, 0}},
    {-1, -1, 0, 0, 0, 4.0, 1, 0, {0, 0}},
    {2, 6, 1, 0, 1, 5.0 / 3, 6, 2, {(1u << 0) | (1u << 2), 1u << 1}},
    {-1, -1, 0, 0, 0, -1.0, 3, 0, {0, 0}},
    {-1, -1, 0, 0, 0, 2.0, 4, 0, {0, 0}},
};

/*
 * Tree B: f0 twice on one path with f2 between (so TreeSHAP unwinds from
 * the middle of a path) and a leaf with no cover (value 10, weight 0 in the
 * expectation). Expectation with no feature known: 0.59375.
 */
static const node_spec tree_b[] = {
    {1, 2, 0, 0.0, 1, 0.59375, 8, 1, {0, 0}},  {3, 4, 3, 2.0, 0, 0.5, 5, 0.5, {0, 0}},
    {5, 6, 2, 0.0, 0, 0.75, 3, 0.25, {0, 0}},  {-1, -1, 0, 0, 0, 0.5, 5, 0, {0, 0}},
    {-1, -1, 0, 0, 0, 10, 0, 0, {0, 0}},       {-1, -1, 0, 0, 0, -2, 1, 0, {0, 0}},
    {7, 8, 0, 1.0, 0, 2.125, 2, 0.75, {0, 0}}, {-1, -1, 0, 0, 0, 3, 1.5, 0, {0, 0}},
    {-1, -1, 0, 0, 0, -0.5, 0.5, 0, {0, 0}},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A tree from specs; `values` (n * n_outputs) replaces the specs' values when not NULL. */
static void build_tree(lathe_ctx *ctx, lathe__tree *tree, const node_spec *nodes, size_t n,
                       size_t n_outputs, const double *values)
{
    lathe_error err;
    if (lathe__tree_alloc(ctx, tree, n, n_outputs, &err) != LATHE_OK)
        abort();
    size_t n_categorical = 0;
    for (size_t i = 0; i < n; i++)
        n_categorical += nodes[i].cats[0] || nodes[i].cats[1];
    tree->cat_bits = lathe__calloc(ctx, 2 * n_categorical + 1, sizeof *tree->cat_bits);
    for (size_t i = 0; i < n; i++) {
        const node_spec *s = &nodes[i];
        tree->left[i] = s->left;
        tree->right[i] = s->right;
        tree->feature[i] = s->feature;
        tree->threshold[i] = s->threshold;
        tree->default_left[i] = s->default_left;
        tree->cover[i] = s->cover;
        tree->gain[i] = s->gain;
        for (size_t k = 0; k < n_outputs; k++)
            tree->value[i * n_outputs + k] = values ? values[i * n_outputs + k] : s->value;
        if (s->cats[0] || s->cats[1]) {
            tree->cat_start[i] = (uint32_t)tree->n_cat_bits;
            tree->cat_words[i] = 2;
            tree->cat_bits[tree->n_cat_bits++] = s->cats[0];
            tree->cat_bits[tree->n_cat_bits++] = s->cats[1];
        }
    }
}

static lathe__ensemble new_ensemble(lathe_ctx *ctx, lathe__tree_link link, size_t n_raw,
                                    size_t n_outputs, size_t n_trees)
{
    lathe__ensemble e = {0};
    e.n_features = N_FEATURES;
    e.link = link;
    e.n_raw = n_raw;
    e.n_outputs = n_outputs;
    e.n_trees = n_trees;
    e.trees = lathe__calloc(ctx, n_trees, sizeof *e.trees);
    e.base_score = lathe__calloc(ctx, n_raw, sizeof *e.base_score);
    return e;
}

/* Regression: 0.5 + A + B. */
static lathe__ensemble regression(lathe_ctx *ctx)
{
    lathe__ensemble e = new_ensemble(ctx, LATHE__LINK_IDENTITY, 1, 1, 2);
    e.base_score[0] = 0.5;
    build_tree(ctx, &e.trees[0], tree_a, COUNT(tree_a), 1, NULL);
    build_tree(ctx, &e.trees[1], tree_b, COUNT(tree_b), 1, NULL);
    return e;
}

/* Tree B and a tree that is one leaf (boosting grows one when no split gains). */
static lathe__ensemble with_lone_leaf(lathe_ctx *ctx)
{
    lathe__ensemble e = new_ensemble(ctx, LATHE__LINK_IDENTITY, 1, 1, 2);
    e.base_score[0] = 0.5;
    node_spec leaf[1] = {{-1, -1, 0, 0, 0, 0.75, 3, 0, {0, 0}}};
    build_tree(ctx, &e.trees[0], tree_b, COUNT(tree_b), 1, NULL);
    build_tree(ctx, &e.trees[1], leaf, 1, 1, NULL);
    return e;
}

/* Generated trees for the softmax ensemble: the root on f(t % 3), its left child on f(t + 1). */
static void build_small_tree(lathe_ctx *ctx, lathe__tree *tree, int t)
{
    node_spec nodes[5] = {
        {1, 2, (uint32_t)(t % 3), 0.1 * t, (uint8_t)(t % 2), 0, 10, t + 1.0, {0, 0}},
        {3, 4, (uint32_t)((t + 1) % 3), -0.2 + 0.1 * t, (uint8_t)((t + 1) % 2), 0, 6, 0.5, {0, 0}},
        {-1, -1, 0, 0, 0, 0.3 * t - 0.5, 4, 0, {0, 0}},
        {-1, -1, 0, 0, 0, 1 - 0.2 * t, 2, 0, {0, 0}},
        {-1, -1, 0, 0, 0, -0.7 + 0.05 * t, 4, 0, {0, 0}},
    };
    if ((t + 1) % 3 == 1)
        nodes[1].cats[0] = (1u << 1) | (1u << 3); /* f1 is categorical */
    build_tree(ctx, tree, nodes, 5, 1, NULL);
}

/* Three classes, six trees, tree t adding to class t % 3; plus tree A for class 1. */
static lathe__ensemble softmax3(lathe_ctx *ctx)
{
    lathe__ensemble e = new_ensemble(ctx, LATHE__LINK_SOFTMAX, 3, 3, 7);
    e.tree_output = lathe__calloc(ctx, 7, sizeof *e.tree_output);
    for (int t = 0; t < 6; t++) {
        build_small_tree(ctx, &e.trees[t], t);
        e.tree_output[t] = (uint32_t)(t % 3);
    }
    build_tree(ctx, &e.trees[6], tree_a, COUNT(tree_a), 1, NULL);
    e.tree_output[6] = 1;
    e.base_score[0] = 0.2;
    e.base_score[1] = -0.1;
    e.base_score[2] = 0.05;
    return e;
}

/* A forest of A and B, each leaf holding a distribution over three classes. */
static lathe__ensemble forest3(lathe_ctx *ctx)
{
    lathe__ensemble e = new_ensemble(ctx, LATHE__LINK_AVERAGE, 3, 3, 2);
    double a[COUNT(tree_a) * 3], b[COUNT(tree_b) * 3];
    for (size_t i = 0; i < COUNT(tree_a); i++) {
        double p = (double)(i + 1) / 10;
        a[i * 3] = p, a[i * 3 + 1] = 0.5 - p / 2, a[i * 3 + 2] = 0.5 - p / 2;
    }
    for (size_t i = 0; i < COUNT(tree_b); i++) {
        double p = (double)(9 - i) / 10;
        b[i * 3] = 0.2, b[i * 3 + 1] = p * 0.8, b[i * 3 + 2] = (1 - p) * 0.8;
    }
    build_tree(ctx, &e.trees[0], tree_a, COUNT(tree_a), 3, a);
    build_tree(ctx, &e.trees[1], tree_b, COUNT(tree_b), 3, b);
    return e;
}

/* A lopsided chain 8 deep whose shallow leaves hold most of the cover (walked row by row
   rather than in lockstep), on f0..f3 in turn, missing values alternating sides. */
static lathe__ensemble chain(lathe_ctx *ctx)
{
    lathe__ensemble e = new_ensemble(ctx, LATHE__LINK_IDENTITY, 1, 1, 1);
    node_spec nodes[17];
    double cover = 1000;
    for (int i = 0; i < 8; i++) {
        nodes[2 * i] = (node_spec){
            2 * i + 1, 2 * i + 2, (uint32_t)(i % 4), 0.3 * i - 0.5, (uint8_t)(i % 2), 0, cover,
            1,         {0, 0}};
        nodes[2 * i + 1] = (node_spec){-1, -1, 0, 0, 0, i - 3.5, cover * 0.9, 0, {0, 0}};
        cover *= 0.1;
    }
    nodes[16] = (node_spec){-1, -1, 0, 0, 0, 42, cover, 0, {0, 0}};
    build_tree(ctx, &e.trees[0], nodes, 17, 1, NULL);
    return e;
}

#define LARGE_NODES 5001

/*
 * Two random trees of LARGE_NODES nodes, grown by splitting a random leaf each time
 * (lopsided: walked row by row, and large enough for the large-tree blocks), with
 * categorical splits on f1 and missing values going either way.
 */
static lathe__ensemble large_random(lathe_ctx *ctx)
{
    lathe__ensemble e = new_ensemble(ctx, LATHE__LINK_IDENTITY, 1, 1, 2);
    e.base_score[0] = -0.25;
    static node_spec nodes[LARGE_NODES];
    static uint32_t leaves[LARGE_NODES];
    lathe__rng rng;
    lathe__rng_seed(&rng, 3);
    for (size_t t = 0; t < 2; t++) {
        size_t n_nodes = 1, n_leaves = 1;
        nodes[0] = (node_spec){-1, -1, 0, 0, 0, 0, 1, 0, {0, 0}};
        leaves[0] = 0;
        while (n_nodes + 2 <= LARGE_NODES) {
            size_t pick = lathe__rng_below(&rng, n_leaves);
            node_spec *split = &nodes[leaves[pick]];
            split->left = (int32_t)n_nodes;
            split->right = (int32_t)n_nodes + 1;
            split->feature = (uint32_t)lathe__rng_below(&rng, N_FEATURES);
            split->threshold = -1 + 3 * lathe__rng_uniform(&rng);
            split->default_left = (uint8_t)lathe__rng_below(&rng, 2);
            if (split->feature == 1 && lathe__rng_uniform(&rng) < 0.7) {
                split->cats[0] = lathe__rng_next(&rng) | 1u;
                split->cats[1] = lathe__rng_next(&rng);
            }
            for (size_t k = 0; k < 2; k++)
                nodes[n_nodes + k] =
                    (node_spec){-1, -1, 0, 0, 0, lathe__rng_uniform(&rng) - 0.5, 1, 0, {0, 0}};
            leaves[pick] = (uint32_t)n_nodes;
            leaves[n_leaves++] = (uint32_t)n_nodes + 1;
            n_nodes += 2;
        }
        build_tree(ctx, &e.trees[t], nodes, n_nodes, 1, NULL);
    }
    return e;
}

/* Rows with missing values, category codes in and out of the bitset and edge values. */
static void random_rows(double *rows, size_t n_rows, uint64_t seed)
{
    lathe__rng rng;
    lathe__rng_seed(&rng, seed);
    static const double codes[] = {0, 1, 2, 3, 64, 65, 66, 130, -1, 2.5};
    static const double edges[] = {-0.5, -0.2, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 1, 2};
    for (size_t r = 0; r < n_rows; r++) {
        double *row = rows + r * N_FEATURES;
        row[0] = -1 + 3 * lathe__rng_uniform(&rng);
        row[1] = codes[lathe__rng_below(&rng, COUNT(codes))];
        row[2] = -1 + 3 * lathe__rng_uniform(&rng);
        row[3] = 4 * lathe__rng_uniform(&rng);
        for (size_t f = 0; f < N_FEATURES; f += f == 0 ? 2 : 1)
            if (lathe__rng_uniform(&rng) < 0.3) /* exactly on a threshold */
                row[f] = edges[lathe__rng_below(&rng, COUNT(edges))];
        for (size_t f = 0; f < N_FEATURES; f++)
            if (lathe__rng_uniform(&rng) < 0.15)
                row[f] = NAN;
    }
}

/* ---- leaves and raw scores ---------------------------------------------------- */

TEST(leaves_follow_numeric_categorical_and_missing_rules)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__tree tree;
    build_tree(ctx, &tree, tree_a, COUNT(tree_a), 1, NULL);
    struct {
        double row[N_FEATURES];
        size_t leaf;
    } cases[] = {
        {{0.2, 2, 0, 0}, 2},   /* category 2 is in the set */
        {{0.2, 2.7, 0, 0}, 2}, /* a fractional code is truncated */
        {{0.2, 65, 0, 0}, 2},  /* the second word */
        {{0.2, 1, 0, 0}, 6},   /* not in the set */
        {{0.2, 64, 0, 0}, 6},  /* second word, bit not set */
        {{0.2, 130, 0, 0}, 6}, /* beyond the bitset */
        {{0.2, -1, 0, 0}, 6},  /* negative */
        {{0.2, NAN, 0, 0}, 2}, /* missing goes left here */
        {{0.5, 0, 0, 0}, 2},   /* x <= threshold goes left */
        {{NAN, 0, 1.0, 0}, 5}, /* missing goes right at the root; 1.0 <= 1.0 */
        {{0.7, 0, 1.5, 0}, 3}, /* 1.5 > 1.0 */
        {{0.7, 0, NAN, 0}, 5}, /* missing goes left */
        {{0.7, 0, INFINITY, 0}, 3},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        CHECK_MSG(lathe__tree_leaf(&tree, cases[i].row) == cases[i].leaf, "case %zu: leaf %zu", i,
                  lathe__tree_leaf(&tree, cases[i].row));
    lathe__tree_release(ctx, &tree);
    lathe_ctx_free(ctx);
}

TEST(raw_scores_add_base_and_trees)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = regression(ctx);
    struct {
        double row[N_FEATURES];
        double raw;
    } cases[] = {
        {{0.2, 2, 5, 0}, 0.5 + 1 + 3},       {{NAN, 1, NAN, 3}, 0.5 - 1 + 10},
        {{0.0, 65, 0.5, NAN}, 0.5 + 1 + 10}, {{0.4, 64, 0, 0}, 0.5 + 2 - 2},
        {{0.7, 0, 1.0, 0}, 0.5 - 1 + 3},     {{1.5, 0, 2, 0}, 0.5 + 4 - 0.5},
    };
    double raw[1], out[1];
    for (size_t i = 0; i < COUNT(cases); i++) {
        lathe__ensemble_predict_row(&e, cases[i].row, raw, out);
        CHECK_MSG(raw[0] == cases[i].raw && out[0] == cases[i].raw, "case %zu: %g", i, out[0]);
    }
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

TEST(links_turn_raw_scores_into_predictions)
{
    lathe_ctx *ctx = lathe_ctx_new();
    double row[N_FEATURES] = {0.2, 2, 5, 0}, raw[3], out[3];

    lathe__ensemble e = regression(ctx);
    e.link = LATHE__LINK_SIGMOID;
    e.n_outputs = 2;
    lathe__ensemble_predict_row(&e, row, raw, out);
    CHECK_NEAR(out[1], 1 / (1 + exp(-4.5)), 1e-15);
    CHECK_NEAR(out[0] + out[1], 1, 1e-15);
    e.n_outputs = 1;
    lathe__ensemble_predict_row(&e, row, raw, out);
    CHECK_NEAR(out[0], 1 / (1 + exp(-4.5)), 1e-15);
    e.base_score[0] = -900; /* no overflow either way */
    e.n_outputs = 2;
    lathe__ensemble_predict_row(&e, row, raw, out);
    CHECK(out[0] == 1 && out[1] >= 0 && out[1] < 1e-300);
    e.base_score[0] = 0.5;
    e.link = LATHE__LINK_EXP;
    e.n_outputs = 1;
    lathe__ensemble_predict_row(&e, row, raw, out);
    CHECK_NEAR(out[0], exp(4.5), 1e-12);
    lathe__ensemble_release(ctx, &e);

    e = softmax3(ctx);
    lathe__ensemble_predict_row(&e, row, raw, out);
    double max = fmax(raw[0], fmax(raw[1], raw[2]));
    double sum = exp(raw[0] - max) + exp(raw[1] - max) + exp(raw[2] - max);
    for (int k = 0; k < 3; k++)
        CHECK_NEAR(out[k], exp(raw[k] - max) / sum, 1e-15);
    e.base_score[1] = 1000; /* max subtraction keeps it finite */
    lathe__ensemble_predict_row(&e, row, raw, out);
    CHECK(out[1] == 1 && out[0] == 0 && out[2] == 0);
    lathe__ensemble_release(ctx, &e);

    e = forest3(ctx); /* row: A leaf 2 (p 0.3), B leaf 7 (p 0.2) */
    lathe__ensemble_predict_row(&e, row, raw, out);
    CHECK_NEAR(out[0], (0.3 + 0.2) / 2, 1e-15);
    CHECK_NEAR(out[1], (0.35 + 0.16) / 2, 1e-15);
    CHECK_NEAR(out[2], (0.35 + 0.64) / 2, 1e-15);
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

TEST(isolation_scores_are_two_to_the_minus_normalized_path_length)
{
    CHECK_NEAR(lathe__isolation_average_path(1), 0, 0);
    CHECK_NEAR(lathe__isolation_average_path(2), 1, 0);
    /* scikit-learn's _average_path_length([3, 10, 256]) */
    CHECK_NEAR(lathe__isolation_average_path(3), 1.20739236, 1e-8);
    CHECK_NEAR(lathe__isolation_average_path(10), 3.74888048, 1e-8);
    CHECK_NEAR(lathe__isolation_average_path(256), 10.24477092, 1e-8);

    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = new_ensemble(ctx, LATHE__LINK_ISOLATION, 1, 1, 2);
    e.isolation_normalizer = lathe__isolation_average_path(256);
    /* leaves of A hold depth 2 + c(cover) */
    double values[COUNT(tree_a)] = {0};
    for (size_t i = 0; i < COUNT(tree_a); i++)
        if (tree_a[i].left < 0)
            values[i] = 2 + lathe__isolation_average_path(tree_a[i].cover);
    build_tree(ctx, &e.trees[0], tree_a, COUNT(tree_a), 1, values);
    build_tree(ctx, &e.trees[1], tree_a, COUNT(tree_a), 1, values);
    e.trees[1].threshold[0] = -5; /* everything goes right in the second tree */
    double row[N_FEATURES] = {0.2, 1, 5, 0}, raw[1], out[1];
    lathe__ensemble_predict_row(&e, row, raw, out);
    double mean = ((2 + lathe__isolation_average_path(4)) + (2 + 0)) / 2;
    CHECK_NEAR(raw[0], mean, 1e-15);
    CHECK_NEAR(out[0], pow(2, -mean / lathe__isolation_average_path(256)), 1e-15);
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

/* ---- batch against single rows -------------------------------------------- */

#define N_ROWS 150
#define N_PATHS 5 /* batch, CSR, threaded, row by row, raw batch */

/* Predictions of rows x by every path into out[path][row][k] (k < 3; raw scores last). */
static void predict_every_way(lathe_ctx *ctx, const lathe__ensemble *e, const lathe__matrix *x,
                              const lathe__matrix *sparse, double out[N_PATHS][N_ROWS][3])
{
    static double flat[N_ROWS * 3];
    lathe__ensemble_predict(e, x, flat);
    for (size_t r = 0; r < N_ROWS; r++)
        memcpy(out[0][r], flat + r * e->n_outputs, e->n_outputs * sizeof(double));
    lathe__ensemble_predict(e, sparse, flat);
    for (size_t r = 0; r < N_ROWS; r++)
        memcpy(out[1][r], flat + r * e->n_outputs, e->n_outputs * sizeof(double));
    lathe_ctx_set_threads(ctx, 3);
    lathe__ensemble_predict_parallel(ctx, e, x, flat);
    for (size_t r = 0; r < N_ROWS; r++)
        memcpy(out[2][r], flat + r * e->n_outputs, e->n_outputs * sizeof(double));
    for (size_t r = 0; r < N_ROWS; r++) {
        double raw[3];
        lathe__ensemble_predict_row(e, x->dense + r * N_FEATURES, raw, out[3][r]);
    }
    lathe__ensemble_raw(e, x, flat);
    for (size_t r = 0; r < N_ROWS; r++)
        memcpy(out[4][r], flat + r * e->n_raw, e->n_raw * sizeof(double));
}

/*
 * Every path gives the same bits, with and without the packed layout, on rows with
 * missing values and on rows without (which take the plain lockstep).
 */
static int check_batch_matches_rows(lathe_ctx *ctx, lathe__ensemble *e)
{
    static double walked[N_PATHS][N_ROWS][3], packed[N_PATHS][N_ROWS][3];
    int ok = 1;
    for (int missing = 0; missing < 2 && ok; missing++) {
        lathe__matrix x, sparse;
        lathe_error err;
        if (lathe__matrix_dense_new(ctx, N_ROWS, N_FEATURES, &x, &err) != LATHE_OK)
            return 0;
        random_rows(x.dense, N_ROWS, 7);
        for (size_t i = 0; !missing && i < N_ROWS * N_FEATURES; i++)
            x.dense[i] = isnan(x.dense[i]) ? 0.25 : x.dense[i];
        if (lathe__matrix_to_sparse(ctx, &x, &sparse, &err) != LATHE_OK)
            return 0;
        memset(walked, 0, sizeof walked);
        memset(packed, 0, sizeof packed);
        lathe__ensemble_unprepare(ctx, e);
        predict_every_way(ctx, e, &x, &sparse, walked);
        ok = lathe__ensemble_prepare(ctx, e, &err) == LATHE_OK && e->packed;
        predict_every_way(ctx, e, &x, &sparse, packed);
        ok = ok && memcmp(walked, packed, sizeof walked) == 0;
        for (int path = 1; path < 4; path++)
            ok = ok && memcmp(walked[0], walked[path], sizeof walked[0]) == 0;
        lathe__matrix_release(ctx, &x);
        lathe__matrix_release(ctx, &sparse);
    }
    return ok;
}

TEST(batch_sparse_threaded_and_single_row_predictions_are_identical)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = regression(ctx);
    CHECK(check_batch_matches_rows(ctx, &e));
    lathe__ensemble_release(ctx, &e);
    e = softmax3(ctx);
    CHECK(check_batch_matches_rows(ctx, &e));
    lathe__ensemble_release(ctx, &e);
    e = forest3(ctx);
    CHECK(check_batch_matches_rows(ctx, &e));
    lathe__ensemble_release(ctx, &e);
    e = chain(ctx);
    CHECK(check_batch_matches_rows(ctx, &e));
    lathe__ensemble_release(ctx, &e);
    e = with_lone_leaf(ctx);
    CHECK(check_batch_matches_rows(ctx, &e));
    lathe__ensemble_release(ctx, &e);
    e = large_random(ctx);
    CHECK(check_batch_matches_rows(ctx, &e));
    CHECK(lathe__packed_usable(&e) && lathe__packed_large(&e)); /* the large-tree blocks ran */
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

TEST(sparse_rows_in_any_column_order_read_absent_entries_as_zero)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = regression(ctx);
    /* row 0: f3=3, f2=NaN (given in decreasing order), f0 and f1 absent (0);
       row 1: empty (all zeros) */
    size_t row_start[] = {0, 2, 2};
    uint32_t cols[] = {3, 2};
    double values[] = {3, NAN};
    lathe__matrix x = {.n_rows = 2,
                       .n_cols = N_FEATURES,
                       .row_start = row_start,
                       .col_index = cols,
                       .sparse_values = values,
                       .borrowed = true};
    double out[2], raw[1], expected[1];
    lathe__ensemble_predict(&e, &x, out);
    double row0[N_FEATURES] = {0, 0, NAN, 3}, row1[N_FEATURES] = {0};
    lathe__ensemble_predict_row(&e, row0, raw, expected);
    CHECK(out[0] == expected[0]);
    CHECK(out[0] == 0.5 + 1 + 10);
    lathe__ensemble_predict_row(&e, row1, raw, expected);
    CHECK(out[1] == expected[0]);
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

/* ---- TreeSHAP ------------------------------------------------------------------ */

/* E[tree output k | the features in `known` take the row's values], by cover (the
   path-dependent definition), straight from the paper. */
static double conditional(const lathe__tree *tree, size_t node, const double *row, unsigned known,
                          size_t k)
{
    if (tree->left[node] < 0)
        return tree->value[node * tree->n_outputs + k];
    uint32_t f = tree->feature[node];
    if (known & (1u << f))
        return conditional(tree, lathe__tree_child(tree, node, row[f]), row, known, k);
    size_t l = (size_t)tree->left[node], r = (size_t)tree->right[node];
    return (tree->cover[l] * conditional(tree, l, row, known, k) +
            tree->cover[r] * conditional(tree, r, row, known, k)) /
           tree->cover[node];
}

static double game_value(const lathe__ensemble *e, const double *row, unsigned known,
                         size_t raw_index)
{
    double sum = 0;
    for (size_t t = 0; t < e->n_trees; t++) {
        if (e->tree_output && e->tree_output[t] != raw_index)
            continue;
        sum += conditional(&e->trees[t], 0, row, known, e->tree_output ? 0 : raw_index);
    }
    bool mean = e->link == LATHE__LINK_AVERAGE || e->link == LATHE__LINK_ISOLATION;
    return e->base_score[raw_index] + (mean ? sum / (double)e->n_trees : sum);
}

static double factorial(int n)
{
    return n <= 1 ? 1 : n * factorial(n - 1);
}

/* Exact Shapley value of feature i by enumerating every subset of the others. */
static double brute_force_shapley(const lathe__ensemble *e, const double *row, size_t raw_index,
                                  unsigned i)
{
    int m = N_FEATURES;
    double phi = 0;
    for (unsigned s = 0; s < (1u << m); s++) {
        if (s & (1u << i))
            continue;
        int size = __builtin_popcount(s);
        double weight = factorial(size) * factorial(m - size - 1) / factorial(m);
        phi += weight *
               (game_value(e, row, s | (1u << i), raw_index) - game_value(e, row, s, raw_index));
    }
    return phi;
}

static int check_shap(lathe_ctx *ctx, const lathe__ensemble *e, size_t n_rows)
{
    double *rows = calloc(n_rows * N_FEATURES, sizeof *rows);
    random_rows(rows, n_rows, 11);
    size_t stride = N_FEATURES + 1;
    double phi[3 * (N_FEATURES + 1)], raw[3];
    lathe_error err;
    int ok = 1;
    for (size_t r = 0; r < n_rows && ok; r++) {
        const double *row = rows + r * N_FEATURES;
        if (lathe__ensemble_shap_row(ctx, e, row, phi, &err) != LATHE_OK) {
            ok = 0;
            break;
        }
        lathe__ensemble_raw_row(e, row, raw);
        for (size_t k = 0; k < e->n_raw; k++) {
            double sum = 0;
            for (size_t f = 0; f <= N_FEATURES; f++)
                sum += phi[k * stride + f];
            if (fabs(sum - raw[k]) > 1e-9) {
                fprintf(stderr, "row %zu score %zu: contributions + bias %.17g, raw %.17g\n", r, k,
                        sum, raw[k]);
                ok = 0;
            }
            if (fabs(phi[k * stride + N_FEATURES] - game_value(e, row, 0, k)) > 1e-12) {
                fprintf(stderr, "score %zu: bias %.17g\n", k, phi[k * stride + N_FEATURES]);
                ok = 0;
            }
            for (unsigned f = 0; f < N_FEATURES; f++) {
                double exact = brute_force_shapley(e, row, k, f);
                if (fabs(phi[k * stride + f] - exact) > 1e-9) {
                    fprintf(stderr, "row %zu score %zu feature %u: %.17g, exact %.17g\n", r, k, f,
                            phi[k * stride + f], exact);
                    ok = 0;
                }
            }
        }
    }
    free(rows);
    return ok;
}

TEST(shap_bias_is_the_cover_weighted_expectation)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = regression(ctx);
    double phi[N_FEATURES + 1], row[N_FEATURES] = {0.2, 2, 5, 0};
    lathe_error err;
    CHECK_OK(lathe__ensemble_shap_row(ctx, &e, row, phi, &err), err);
    CHECK_NEAR(phi[N_FEATURES], 0.5 + 1.1 + 0.59375, 1e-15);
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

TEST(shap_matches_exact_shapley_values_and_adds_up)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = regression(ctx);
    CHECK(check_shap(ctx, &e, 60));
    lathe__ensemble_release(ctx, &e);
    e = softmax3(ctx);
    CHECK(check_shap(ctx, &e, 40));
    lathe__ensemble_release(ctx, &e);
    e = forest3(ctx);
    CHECK(check_shap(ctx, &e, 40));
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

TEST(shap_of_a_single_leaf_is_all_bias)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = new_ensemble(ctx, LATHE__LINK_IDENTITY, 1, 1, 1);
    node_spec leaf = {-1, -1, 0, 0, 0, 3.25, 1, 0, {0, 0}};
    build_tree(ctx, &e.trees[0], &leaf, 1, 1, NULL);
    double phi[N_FEATURES + 1], row[N_FEATURES] = {1, 2, 3, 4};
    lathe_error err;
    CHECK_OK(lathe__ensemble_shap_row(ctx, &e, row, phi, &err), err);
    for (int f = 0; f < N_FEATURES; f++)
        CHECK(phi[f] == 0);
    CHECK(phi[N_FEATURES] == 3.25);
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

/* ---- importance -------------------------------------------------------------- */

TEST(importance_sums_gain_and_counts_splits_per_feature)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = regression(ctx);
    double gain[N_FEATURES], splits[N_FEATURES];
    lathe__ensemble_importance_gain(&e, gain);
    lathe__ensemble_importance_splits(&e, splits);
    double expected_gain[N_FEATURES] = {5 + 1 + 0.75, 2, 3 + 0.25, 0.5};
    double expected_splits[N_FEATURES] = {3, 1, 2, 1};
    double total = 0;
    for (int f = 0; f < N_FEATURES; f++) {
        CHECK(gain[f] == expected_gain[f]);
        CHECK(splits[f] == expected_splits[f]);
        total += gain[f];
    }
    CHECK(total == 5 + 3 + 2 + 1 + 0.5 + 0.25 + 0.75); /* every internal node once */
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

static double negative_mse(void *user, const double *y, const double *predicted, size_t n_rows,
                           size_t n_outputs)
{
    (void)user;
    (void)n_outputs;
    double sum = 0;
    for (size_t r = 0; r < n_rows; r++)
        sum += (y[r] - predicted[r]) * (y[r] - predicted[r]);
    return -sum / (double)n_rows;
}

static void predict_ensemble(void *user, const lathe__matrix *x, double *out)
{
    lathe__ensemble_predict(user, x, out);
}

TEST(permutation_importance_is_the_score_lost_by_shuffling)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = new_ensemble(ctx, LATHE__LINK_IDENTITY, 1, 1, 1);
    build_tree(ctx, &e.trees[0], tree_a, COUNT(tree_a), 1, NULL); /* never reads f3 */
    lathe__predictor model = {predict_ensemble, &e, 1, N_FEATURES, NULL};
    size_t n_rows = 300;
    lathe__matrix x;
    lathe_error err;
    CHECK_OK(lathe__matrix_dense_new(ctx, n_rows, N_FEATURES, &x, &err), err);
    random_rows(x.dense, n_rows, 5);
    double *y = calloc(n_rows, sizeof *y);
    lathe__ensemble_predict(&e, &x, y); /* the model is perfect on its own predictions */
    double first[N_FEATURES], again[N_FEATURES], other_seed[N_FEATURES];
    CHECK_OK(
        lathe__permutation_importance(ctx, &model, &x, y, negative_mse, NULL, 3, 42, first, &err),
        err);
    CHECK_OK(
        lathe__permutation_importance(ctx, &model, &x, y, negative_mse, NULL, 3, 42, again, &err),
        err);
    CHECK_OK(lathe__permutation_importance(ctx, &model, &x, y, negative_mse, NULL, 3, 43,
                                           other_seed, &err),
             err);
    CHECK(first[3] == 0);
    for (int f = 0; f < 3; f++)
        CHECK_MSG(first[f] > 0.1, "feature %d: %g", f, first[f]);
    CHECK(memcmp(first, again, sizeof first) == 0);
    CHECK(first[0] != other_seed[0]);
    /* the rows themselves are left as they were */
    double *copy = calloc(n_rows * N_FEATURES, sizeof *copy);
    random_rows(copy, n_rows, 5);
    CHECK(memcmp(copy, x.dense, n_rows * N_FEATURES * sizeof *copy) == 0);
    /* CSR input gives the same importances */
    lathe__matrix sparse;
    CHECK_OK(lathe__matrix_to_sparse(ctx, &x, &sparse, &err), err);
    CHECK_OK(lathe__permutation_importance(ctx, &model, &sparse, y, negative_mse, NULL, 3, 42,
                                           again, &err),
             err);
    CHECK(memcmp(first, again, sizeof first) == 0);
    CHECK(lathe__permutation_importance(ctx, &model, &x, y, negative_mse, NULL, 0, 42, again,
                                        &err) == LATHE_INVALID);
    free(copy);
    free(y);
    lathe__matrix_release(ctx, &sparse);
    lathe__matrix_release(ctx, &x);
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

/* ---- save and load ------------------------------------------------------------- */

static lathe_status load_bytes(lathe_ctx *ctx, const void *data, size_t size, lathe__ensemble *out,
                               lathe_error *err)
{
    lathe__rbuf buf;
    lathe__rbuf_init(&buf, data, size, "tree section");
    return lathe__ensemble_load(ctx, &buf, out, err);
}

static int same_tree(const lathe__tree *a, const lathe__tree *b)
{
    size_t n = a->n_nodes;
    return a->n_nodes == b->n_nodes && a->n_outputs == b->n_outputs &&
           a->n_cat_bits == b->n_cat_bits && memcmp(a->left, b->left, n * 4) == 0 &&
           memcmp(a->right, b->right, n * 4) == 0 && memcmp(a->feature, b->feature, n * 4) == 0 &&
           memcmp(a->threshold, b->threshold, n * 8) == 0 &&
           memcmp(a->default_left, b->default_left, n) == 0 &&
           memcmp(a->cat_start, b->cat_start, n * 4) == 0 &&
           memcmp(a->cat_words, b->cat_words, n * 4) == 0 &&
           memcmp(a->value, b->value, n * a->n_outputs * 8) == 0 &&
           memcmp(a->cover, b->cover, n * 8) == 0 && memcmp(a->gain, b->gain, n * 8) == 0 &&
           (a->n_cat_bits == 0 || memcmp(a->cat_bits, b->cat_bits, a->n_cat_bits * 8) == 0);
}

static int round_trips(lathe_ctx *ctx, const lathe__ensemble *e)
{
    lathe__wbuf w, again;
    lathe__wbuf_init(&w, ctx);
    lathe__wbuf_init(&again, ctx);
    lathe__ensemble_save(e, &w);
    lathe__ensemble loaded;
    lathe_error err;
    if (load_bytes(ctx, w.data, w.length, &loaded, &err) != LATHE_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 0;
    }
    int ok = loaded.n_trees == e->n_trees && loaded.n_raw == e->n_raw &&
             loaded.n_outputs == e->n_outputs && loaded.link == e->link &&
             loaded.n_features == e->n_features &&
             (loaded.tree_output != NULL) == (e->tree_output != NULL) &&
             memcmp(loaded.base_score, e->base_score, e->n_raw * 8) == 0;
    for (size_t t = 0; ok && t < e->n_trees; t++)
        ok = same_tree(&loaded.trees[t], &e->trees[t]) &&
             (!e->tree_output || loaded.tree_output[t] == e->tree_output[t]);
    lathe__ensemble_save(&loaded, &again);
    ok = ok && again.length == w.length && memcmp(again.data, w.data, w.length) == 0;
    ok = ok && check_batch_matches_rows(ctx, &loaded);
    /* every strict prefix is refused cleanly */
    for (size_t cut = 0; ok && cut < w.length; cut++) {
        lathe__ensemble partial;
        ok = load_bytes(ctx, w.data, cut, &partial, &err) == LATHE_CORRUPT;
    }
    lathe__ensemble_release(ctx, &loaded);
    lathe__wbuf_release(&w);
    lathe__wbuf_release(&again);
    return ok;
}

TEST(ensembles_round_trip_bit_for_bit)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = regression(ctx);
    CHECK(round_trips(ctx, &e));
    lathe__ensemble_release(ctx, &e);
    e = softmax3(ctx);
    CHECK(round_trips(ctx, &e));
    lathe__ensemble_release(ctx, &e);
    e = forest3(ctx);
    CHECK(round_trips(ctx, &e));
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

/* The message loading tree A alone gives after `edit` changes it. */
static lathe_status load_edited(lathe_ctx *ctx, void (*edit)(lathe__ensemble *), size_t truncate,
                                size_t *length, lathe_error *err)
{
    lathe__ensemble e = new_ensemble(ctx, LATHE__LINK_IDENTITY, 1, 1, 1);
    build_tree(ctx, &e.trees[0], tree_a, COUNT(tree_a), 1, NULL);
    if (edit)
        edit(&e);
    lathe__wbuf w;
    lathe__wbuf_init(&w, ctx);
    lathe__ensemble_save(&e, &w);
    *length = w.length;
    lathe__ensemble loaded;
    lathe_status status = load_bytes(ctx, w.data, w.length - truncate, &loaded, err);
    if (status == LATHE_OK)
        lathe__ensemble_release(ctx, &loaded);
    lathe__wbuf_release(&w);
    lathe__ensemble_release(ctx, &e);
    return status;
}

static void make_cycle(lathe__ensemble *e)
{
    e->trees[0].left[2] = 4; /* leaf 2 now points back at its parent 4 */
    e->trees[0].right[2] = 3;
}

static void child_out_of_range(lathe__ensemble *e)
{
    e->trees[0].right[1] = 9;
}

static void feature_out_of_range(lathe__ensemble *e)
{
    e->trees[0].feature[1] = 7;
}

static void unreachable_loop(lathe__ensemble *e)
{
    /* root becomes a leaf; 4 and 1 now point at each other, out of the root's reach */
    lathe__tree *t = &e->trees[0];
    t->left[0] = t->right[0] = -1;
    t->left[4] = 1;
    t->right[1] = 4;
}

static void infinite_threshold(lathe__ensemble *e)
{
    e->trees[0].threshold[1] = INFINITY;
}

static void bitset_out_of_range(lathe__ensemble *e)
{
    e->trees[0].cat_start[4] = 1; /* words 1 and 2 of a 2-word array */
}

static void bad_link(lathe__ensemble *e)
{
    e->link = LATHE__LINK_SOFTMAX;
    e->n_outputs = 2;
}

/*
 * Tree A alone saves to 473 bytes: a 62-byte header, the tree's output and
 * node counts at 62 and 70, 7 nodes of 53 bytes from 78, then the bitset's
 * count at 449 and its 2 words. Checks of a tree's contents fail once the
 * whole tree is read, at its end.
 */
TEST(corrupt_sections_are_refused_with_exact_messages)
{
    lathe_ctx *ctx = lathe_ctx_new();
    struct {
        void (*edit)(lathe__ensemble *);
        size_t truncate;
        const char *text;
        long at; /* -1: the end of the input */
    } cases[] = {
        {make_cycle, 0, "tree 0: node 4 is reached twice (the nodes form a cycle, not a tree)", -1},
        {child_out_of_range, 0, "tree 0 node 1: child 9 is out of range (7 nodes)", -1},
        {feature_out_of_range, 0, "tree 0 node 1: feature 7 is out of range (4 features)", -1},
        {unreachable_loop, 0, "tree 0: node 1 cannot be reached from the root", -1},
        {infinite_threshold, 0, "tree 0 node 1: threshold is not a finite number", -1},
        {bitset_out_of_range, 0,
         "tree 0 node 4: categories in words 1 to 3 are out of range (2 words)", -1},
        {bad_link, 0, "a softmax link does not go with 1 raw scores and 2 outputs", 37},
        {NULL, 473 - 178, "truncated (count 7 needs more than the 100 bytes left)", 70},
        {NULL, 4, "truncated (count 2 needs more than the 12 bytes left)", 449},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        size_t length;
        lathe_error err;
        lathe_status status = load_edited(ctx, cases[i].edit, cases[i].truncate, &length, &err);
        CHECK_MSG(status == LATHE_CORRUPT, "case %zu: status %d", i, (int)status);
        CHECK_EQ(length, 473);
        char want[512];
        snprintf(want, sizeof want, "tree section: %s at byte %zu", cases[i].text,
                 cases[i].at < 0 ? length : (size_t)cases[i].at);
        CHECK_STR(err.message, want);
    }
    lathe_ctx_free(ctx);
}

/* Every byte flipped in turn: the load fails with a message, or what loads still predicts
   and explains (sanitizers watch). */
TEST(flipped_bytes_never_crash_the_loader)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e = softmax3(ctx);
    lathe__wbuf w;
    lathe__wbuf_init(&w, ctx);
    lathe__ensemble_save(&e, &w);
    double row[N_FEATURES] = {0.3, 1, NAN, 2};
    size_t loaded_count = 0;
    for (size_t i = 0; i < w.length; i++) {
        for (int flip = 0; flip < 2; flip++) {
            w.data[i] ^= flip ? 0x01 : 0x80;
            lathe__ensemble loaded;
            lathe_error err;
            if (load_bytes(ctx, w.data, w.length, &loaded, &err) == LATHE_OK) {
                loaded_count++;
                if (loaded.n_raw <= 3 && loaded.n_outputs <= 3 && loaded.n_features <= N_FEATURES) {
                    double raw[3], out[3], phi[3 * (N_FEATURES + 1)];
                    lathe__ensemble_predict_row(&loaded, row, raw, out);
                    CHECK_OK(lathe__ensemble_shap_row(ctx, &loaded, row, phi, &err), err);
                }
                lathe__ensemble_release(ctx, &loaded);
            } else {
                CHECK(err.message[0] != '\0');
            }
            w.data[i] ^= flip ? 0x01 : 0x80;
        }
    }
    CHECK(loaded_count > 0); /* flips in values and thresholds still load */
    lathe__wbuf_release(&w);
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
}

/* ---- against XGBoost ------------------------------------------------------------ */

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *data = malloc(1 << 20);
    *size = data ? fread(data, 1, 1 << 20, f) : 0;
    fclose(f);
    return data;
}

/* Loads data/trees/NAME.trees and checks each row of NAME.csv (written by
   data/trees/make_xgboost_fixture.py): margins and contributions as XGBoost gave them. */
static int matches_xgboost(const char *name, size_t n_raw)
{
    char path[128];
    snprintf(path, sizeof path, "data/trees/%s.trees", name);
    size_t size;
    unsigned char *bytes = read_file(path, &size);
    snprintf(path, sizeof path, "data/trees/%s.csv", name);
    FILE *csv = fopen(path, "r");
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__ensemble e;
    lathe_error err;
    if (!bytes || !csv || load_bytes(ctx, bytes, size, &e, &err) != LATHE_OK) {
        fprintf(stderr, "%s: cannot load: %s\n", name, bytes && csv ? err.message : "no file");
        return 0;
    }
    size_t stride = e.n_features + 1, n_rows = 0;
    int ok = e.n_raw == n_raw && e.n_features == 6;
    char line[4096];
    while (ok && fgets(line, sizeof line, csv)) {
        if (line[0] == '#')
            continue;
        double values[6 + 3 + 3 * 7], raw[3], phi[3 * 7];
        size_t n = 0;
        for (char *at = line, *end; n < 6 + n_raw * (1 + stride); at = end + 1, n++) {
            values[n] = strtod(at, &end);
            if (end == at)
                break;
        }
        ok = n == 6 + n_raw * (1 + stride) &&
             lathe__ensemble_shap_row(ctx, &e, values, phi, &err) == LATHE_OK;
        lathe__ensemble_raw_row(&e, values, raw);
        for (size_t k = 0; ok && k < n_raw; k++) {
            ok = fabs(raw[k] - values[6 + k]) < 1e-5;
            for (size_t f = 0; ok && f < stride; f++)
                ok = fabs(phi[k * stride + f] - values[6 + n_raw + k * stride + f]) < 1e-5;
        }
        if (!ok)
            fprintf(stderr, "%s: row %zu differs from XGBoost\n", name, n_rows);
        n_rows++;
    }
    ok = ok && n_rows == 100;
    lathe__ensemble_release(ctx, &e);
    lathe_ctx_free(ctx);
    fclose(csv);
    free(bytes);
    return ok;
}

TEST(xgboost_models_predict_and_explain_as_xgboost_does)
{
    CHECK(matches_xgboost("xgb_binary", 1));
    CHECK(matches_xgboost("xgb_softmax", 3));
}
