/*
 * split.c: the split object, its keys, and holdout and k-fold dispatch.
 *
 * A split stores one block number per row instead of row lists, so it
 * costs O(n_rows) whatever the number of folds, and a fold's row lists are
 * built on request in ascending row order. Two layouts:
 *   partition  fold f tests on block f and trains on every other block
 *              (k-fold: blocks 0..k-1; holdout: block 0 is test, 1 train)
 *   expanding  fold f tests on block f + 1 and trains on blocks 0..f
 *              (time-series k-fold: block 0 is never tested)
 * The kind-specific work of deciding blocks lives in split_assign.c and
 * split_order.c, one table entry per kind and split.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "eval/split_assign.h"

#include "core/banned.h"

struct lathe_split {
    lathe_ctx *ctx;
    size_t n_rows;
    size_t n_folds;
    bool expanding;
    size_t *block;   /* n_rows */
    size_t *n_train; /* n_folds */
    size_t *n_test;  /* n_folds */
};

#define NAME_LIST(X, text) text,
static const char *const kind_names[] = {LATHE_SPLIT_KIND_MAP(NAME_LIST)};
#undef NAME_LIST

const char *lathe_split_kind_name(lathe_split_kind kind)
{
    return (unsigned)kind < LATHE_SPLIT_KIND_COUNT ? kind_names[kind] : NULL;
}

bool lathe_split_kind_parse(const char *name, lathe_split_kind *out)
{
    for (int i = 0; i < LATHE_SPLIT_KIND_COUNT; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (lathe_split_kind)i;
            return true;
        }
    }
    return false;
}

/* ---- checking keys ------------------------------------------------------ */

static lathe_status check_codes(const int32_t *codes, size_t n_rows, const char *what,
                                const char *advice, lathe_error *err)
{
    for (size_t r = 0; r < n_rows; r++) {
        if (codes[r] < 0)
            return lathe__error(err, LATHE_INVALID, "%s at row %zu is missing (code %d): %s", what,
                                r, (int)codes[r], advice);
    }
    return LATHE_OK;
}

static lathe_status check_keys(const lathe_split_keys *keys, lathe_split_kind kind,
                               lathe_error *err)
{
    if (keys->n_rows < 2)
        return lathe__error(err, LATHE_INVALID, "a split needs at least 2 rows, found %zu",
                            keys->n_rows);
    if (kind == LATHE_SPLIT_STRATIFIED)
        return keys->classes
                   ? check_codes(keys->classes, keys->n_rows, "class",
                                 "drop rows without a target first", err)
                   : lathe__error(err, LATHE_INVALID, "a stratified split needs each row's class");
    if (kind == LATHE_SPLIT_GROUP)
        return keys->groups
                   ? check_codes(keys->groups, keys->n_rows, "group id", "every row needs a group",
                                 err)
                   : lathe__error(err, LATHE_INVALID, "a group split needs each row's group id");
    if (kind == LATHE_SPLIT_TIME && !keys->times && !keys->time_values)
        return lathe__error(err, LATHE_INVALID, "a time split needs each row's time");
    if (kind == LATHE_SPLIT_TIME && !keys->times) {
        for (size_t r = 0; r < keys->n_rows; r++) {
            if (isnan(keys->time_values[r]))
                return lathe__error(err, LATHE_INVALID, "time at row %zu is missing (NaN)", r);
        }
    }
    return LATHE_OK;
}

/* ---- building ----------------------------------------------------------- */

void lathe_split_free(lathe_split *split)
{
    if (!split)
        return;
    lathe_ctx *ctx = split->ctx;
    lathe__free(ctx, split->block);
    lathe__free(ctx, split->n_train);
    lathe__free(ctx, split->n_test);
    lathe__free(ctx, split);
}

static lathe_split *split_new(lathe_ctx *ctx, size_t n_rows, size_t n_folds, bool expanding)
{
    lathe_split *split = lathe__calloc(ctx, 1, sizeof *split);
    if (!split)
        return NULL;
    split->ctx = ctx;
    split->n_rows = n_rows;
    split->n_folds = n_folds;
    split->expanding = expanding;
    split->block = lathe__calloc(ctx, n_rows, sizeof *split->block);
    split->n_train = lathe__calloc(ctx, n_folds, sizeof *split->n_train);
    split->n_test = lathe__calloc(ctx, n_folds, sizeof *split->n_test);
    if (!split->block || !split->n_train || !split->n_test) {
        lathe_split_free(split);
        return NULL;
    }
    return split;
}

static bool in_test(const lathe_split *split, size_t fold, size_t block)
{
    return block == (split->expanding ? fold + 1 : fold);
}

static bool in_train(const lathe_split *split, size_t fold, size_t block)
{
    return split->expanding ? block <= fold : block != fold;
}

/* Fold sizes from block sizes: O(n_rows + n_folds) even for leave-one-out. */
static lathe_status count_fold_sizes(lathe_split *split, lathe_error *err)
{
    size_t n_blocks = split->n_folds + 1;
    size_t *block_size = lathe__calloc(split->ctx, n_blocks, sizeof *block_size);
    if (!block_size)
        return lathe__error_nomem(err);
    for (size_t r = 0; r < split->n_rows; r++)
        block_size[split->block[r]]++;
    size_t before = 0;
    for (size_t f = 0; f < split->n_folds; f++) {
        before += block_size[f];
        split->n_test[f] = block_size[split->expanding ? f + 1 : f];
        split->n_train[f] = split->expanding ? before : split->n_rows - block_size[f];
    }
    lathe__free(split->ctx, block_size);
    return LATHE_OK;
}

typedef lathe_status (*assign_fn)(lathe__split_plan *plan, lathe_error *err);

static lathe_status build(lathe_ctx *ctx, const lathe_split_keys *keys, lathe_split_kind kind,
                          lathe__split_plan plan, assign_fn assign, lathe_split **out,
                          lathe_error *err)
{
    lathe_status status = check_keys(keys, kind, err);
    if (status != LATHE_OK)
        return status;
    lathe_split *split =
        split_new(ctx, keys->n_rows, plan.n_folds, kind == LATHE_SPLIT_TIME && !plan.holdout);
    if (!split)
        return lathe__error_nomem(err);
    plan.ctx = ctx;
    plan.keys = keys;
    plan.block = split->block;
    status = assign(&plan, err);
    if (status == LATHE_OK)
        status = count_fold_sizes(split, err);
    if (status != LATHE_OK) {
        lathe_split_free(split);
        return status;
    }
    *out = split;
    return LATHE_OK;
}

static const assign_fn holdout_assign[LATHE_SPLIT_KIND_COUNT] = {
    [LATHE_SPLIT_RANDOM] = lathe__holdout_random,
    [LATHE_SPLIT_STRATIFIED] = lathe__holdout_stratified,
    [LATHE_SPLIT_GROUP] = lathe__holdout_group,
    [LATHE_SPLIT_TIME] = lathe__holdout_time,
};

static const assign_fn kfold_assign[LATHE_SPLIT_KIND_COUNT] = {
    [LATHE_SPLIT_RANDOM] = lathe__kfold_random,
    [LATHE_SPLIT_STRATIFIED] = lathe__kfold_stratified,
    [LATHE_SPLIT_GROUP] = lathe__kfold_group,
    [LATHE_SPLIT_TIME] = lathe__kfold_time,
};

lathe_status lathe_split_holdout(lathe_ctx *ctx, const lathe_split_keys *keys,
                                 lathe_split_kind kind, double test_fraction, uint64_t seed,
                                 lathe_split **out, lathe_error *err)
{
    if (!(test_fraction > 0 && test_fraction < 1))
        return lathe__error(err, LATHE_INVALID,
                            "test fraction %g is not between 0 and 1 (exclusive)", test_fraction);
    if ((unsigned)kind >= LATHE_SPLIT_KIND_COUNT)
        return lathe__error(err, LATHE_INVALID, "split kind %d does not exist", (int)kind);
    lathe__split_plan plan = {
        .n_folds = 1, .holdout = true, .test_fraction = test_fraction, .seed = seed};
    return build(ctx, keys, kind, plan, holdout_assign[kind], out, err);
}

lathe_status lathe_split_kfold(lathe_ctx *ctx, const lathe_split_keys *keys, lathe_split_kind kind,
                               size_t n_folds, uint64_t seed, lathe_split **out, lathe_error *err)
{
    if (n_folds < 2)
        return lathe__error(err, LATHE_INVALID, "k-fold needs at least 2 folds, not %zu", n_folds);
    if (n_folds > keys->n_rows)
        return lathe__error(err, LATHE_INVALID, "%zu folds are more than the %zu rows", n_folds,
                            keys->n_rows);
    if ((unsigned)kind >= LATHE_SPLIT_KIND_COUNT)
        return lathe__error(err, LATHE_INVALID, "split kind %d does not exist", (int)kind);
    lathe__split_plan plan = {.n_folds = n_folds, .seed = seed};
    return build(ctx, keys, kind, plan, kfold_assign[kind], out, err);
}

/* ---- reading ------------------------------------------------------------ */

size_t lathe_split_n_folds(const lathe_split *split)
{
    return split->n_folds;
}

size_t lathe_split_n_rows(const lathe_split *split)
{
    return split->n_rows;
}

void lathe_split_fold_sizes(const lathe_split *split, size_t fold, size_t *n_train, size_t *n_test)
{
    *n_train = split->n_train[fold];
    *n_test = split->n_test[fold];
}

void lathe_split_fold_rows(const lathe_split *split, size_t fold, size_t *train, size_t *test)
{
    assert(fold < split->n_folds);
    size_t n_train = 0, n_test = 0;
    for (size_t r = 0; r < split->n_rows; r++) {
        size_t block = split->block[r];
        if (train && in_train(split, fold, block))
            train[n_train++] = r;
        if (test && in_test(split, fold, block))
            test[n_test++] = r;
    }
}
