/*
 * split_assign.h: the kind-specific halves of holdout and k-fold splits
 * (internal).
 *
 * split.c checks the keys, allocates the split and calls one of these
 * through a table; each writes every row's block (see split.c for what
 * blocks mean) or fails with a message, leaving the split to be freed.
 * Random and stratified splits live in split_assign.c, group and time
 * splits in split_order.c.
 */
#ifndef LATHE_SPLIT_ASSIGN_H
#define LATHE_SPLIT_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/split.h"

typedef struct lathe__split_plan {
    lathe_ctx *ctx;
    const lathe_split_keys *keys;
    size_t n_folds;
    bool holdout;
    double test_fraction;
    uint64_t seed;
    size_t *block; /* out: keys->n_rows blocks */
} lathe__split_plan;

/* Blocks of a holdout: the test side is block 0, the training side block 1. */
enum { LATHE__HOLDOUT_TEST = 0, LATHE__HOLDOUT_TRAIN = 1 };

/* ceil(test_fraction * n), as scikit-learn counts a test side. */
size_t lathe__test_count(double test_fraction, size_t n);

/*
 * Keys recoded densely: code[row] in [0, n_codes), codes in ascending order
 * of the original value (label[code]); count[code] rows each; the rows of
 * code c, in row order, are rows[start[c] .. start[c + 1]).
 */
typedef struct lathe__coded_keys {
    size_t n_codes;
    size_t *code;
    size_t *count;
    int32_t *label;
    size_t *start;
    size_t *rows;
} lathe__coded_keys;

lathe_status lathe__coded_keys_init(lathe_ctx *ctx, const int32_t *values, size_t n_rows,
                                    lathe__coded_keys *out, lathe_error *err);
void lathe__coded_keys_release(lathe_ctx *ctx, lathe__coded_keys *keys);

lathe_status lathe__holdout_random(lathe__split_plan *plan, lathe_error *err);
lathe_status lathe__holdout_stratified(lathe__split_plan *plan, lathe_error *err);
lathe_status lathe__holdout_group(lathe__split_plan *plan, lathe_error *err);
lathe_status lathe__holdout_time(lathe__split_plan *plan, lathe_error *err);

lathe_status lathe__kfold_random(lathe__split_plan *plan, lathe_error *err);
lathe_status lathe__kfold_stratified(lathe__split_plan *plan, lathe_error *err);
lathe_status lathe__kfold_group(lathe__split_plan *plan, lathe_error *err);
lathe_status lathe__kfold_time(lathe__split_plan *plan, lathe_error *err);

#endif
