/*
 * split_order.c: group and time splits, where rows move together or in
 * order rather than one by one.
 *
 * Group k-fold is scikit-learn's GroupKFold: groups, largest first, each go
 * to the fold holding the fewest rows so far (the lowest-numbered fold on a
 * tie), kept in a min-heap so many folds stay fast. The seed only orders
 * groups of equal size. Group holdout is GroupShuffleSplit: a random
 * ceil(fraction * n_groups) groups are tested.
 *
 * Time splits sort rows by time (ties by row number) and cut the order:
 * k-fold is TimeSeriesSplit, n_rows / (k + 1) rows per test block, the last
 * k blocks tested, each fold training on everything before its block
 * (rows with equal times may fall on both sides of a block boundary, as in
 * scikit-learn); holdout tests on the latest rows and moves the cut so
 * equal times never straddle it.
 */
#include <stdlib.h>

#include "core/internal.h"
#include "core/rng.h"
#include "eval/split_assign.h"

#include "core/banned.h"

/* ---- group holdout ------------------------------------------------------ */

lathe_status lathe__holdout_group(lathe__split_plan *plan, lathe_error *err)
{
    lathe_ctx *ctx = plan->ctx;
    size_t n_rows = plan->keys->n_rows;
    lathe__coded_keys keys = {0};
    lathe_status status = lathe__coded_keys_init(ctx, plan->keys->groups, n_rows, &keys, err);
    if (status != LATHE_OK)
        return status;
    size_t n_test = lathe__test_count(plan->test_fraction, keys.n_codes);
    size_t *groups = NULL, *group_block = NULL;
    if (n_test >= keys.n_codes) {
        status = lathe__error(err, LATHE_INVALID,
                              "test fraction %g of %zu groups leaves no training groups",
                              plan->test_fraction, keys.n_codes);
        goto out;
    }
    groups = lathe__calloc(ctx, keys.n_codes, sizeof *groups);
    group_block = lathe__calloc(ctx, keys.n_codes, sizeof *group_block);
    if (!groups || !group_block) {
        status = lathe__error_nomem(err);
        goto out;
    }
    for (size_t g = 0; g < keys.n_codes; g++)
        groups[g] = g;
    lathe__rng rng;
    lathe__rng_seed(&rng, plan->seed);
    lathe__rng_shuffle(&rng, groups, keys.n_codes);
    for (size_t i = 0; i < keys.n_codes; i++)
        group_block[groups[i]] = i < n_test ? LATHE__HOLDOUT_TEST : LATHE__HOLDOUT_TRAIN;
    for (size_t r = 0; r < n_rows; r++)
        plan->block[r] = group_block[keys.code[r]];
out:
    lathe__free(ctx, groups);
    lathe__free(ctx, group_block);
    lathe__coded_keys_release(ctx, &keys);
    return status;
}

/* ---- group k-fold ------------------------------------------------------- */

typedef struct sized_group {
    size_t size;
    size_t rank; /* random, orders groups of equal size */
    size_t code;
} sized_group;

static int by_size_descending(const void *a, const void *b)
{
    const sized_group *x = a, *y = b;
    if (x->size != y->size)
        return (x->size < y->size) - (x->size > y->size);
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* A min-heap of folds keyed by (rows so far, fold number). */
typedef struct fold_heap {
    size_t *fold;
    size_t *load; /* by fold number */
    size_t n;
} fold_heap;

static bool lighter(const fold_heap *heap, size_t a, size_t b)
{
    size_t fa = heap->fold[a], fb = heap->fold[b];
    return heap->load[fa] != heap->load[fb] ? heap->load[fa] < heap->load[fb] : fa < fb;
}

/* Restores the heap after the top fold got heavier. */
static void sift_down(fold_heap *heap)
{
    size_t at = 0;
    for (;;) {
        size_t lightest = at, left = 2 * at + 1, right = left + 1;
        if (left < heap->n && lighter(heap, left, lightest))
            lightest = left;
        if (right < heap->n && lighter(heap, right, lightest))
            lightest = right;
        if (lightest == at)
            return;
        size_t swap = heap->fold[at];
        heap->fold[at] = heap->fold[lightest];
        heap->fold[lightest] = swap;
        at = lightest;
    }
}

static lathe_status groups_by_size(lathe__split_plan *plan, const lathe__coded_keys *keys,
                                   sized_group *order, lathe_error *err)
{
    size_t *ranks = lathe__calloc(plan->ctx, keys->n_codes, sizeof *ranks);
    if (!ranks)
        return lathe__error_nomem(err);
    for (size_t g = 0; g < keys->n_codes; g++)
        ranks[g] = g;
    lathe__rng rng;
    lathe__rng_seed(&rng, plan->seed);
    lathe__rng_shuffle(&rng, ranks, keys->n_codes);
    for (size_t g = 0; g < keys->n_codes; g++)
        order[g] = (sized_group){keys->count[g], ranks[g], g};
    qsort(order, keys->n_codes, sizeof *order, by_size_descending);
    lathe__free(plan->ctx, ranks);
    return LATHE_OK;
}

/* Each group, largest first, to the lightest fold; group_fold[code] receives it. */
static void deal_groups(const sized_group *order, size_t n_groups, fold_heap *heap,
                        size_t *group_fold)
{
    for (size_t f = 0; f < heap->n; f++)
        heap->fold[f] = f; /* all loads 0: already a heap */
    for (size_t i = 0; i < n_groups; i++) {
        size_t fold = heap->fold[0];
        group_fold[order[i].code] = fold;
        heap->load[fold] += order[i].size;
        sift_down(heap);
    }
}

lathe_status lathe__kfold_group(lathe__split_plan *plan, lathe_error *err)
{
    lathe_ctx *ctx = plan->ctx;
    size_t n_rows = plan->keys->n_rows, n_folds = plan->n_folds;
    lathe__coded_keys keys = {0};
    lathe_status status = lathe__coded_keys_init(ctx, plan->keys->groups, n_rows, &keys, err);
    if (status != LATHE_OK)
        return status;
    sized_group *order = NULL;
    size_t *group_fold = NULL;
    fold_heap heap = {.n = n_folds};
    if (n_folds > keys.n_codes) {
        status = lathe__error(err, LATHE_INVALID, "%zu folds need at least %zu groups, found %zu",
                              n_folds, n_folds, keys.n_codes);
        goto out;
    }
    order = lathe__calloc(ctx, keys.n_codes, sizeof *order);
    heap.fold = lathe__calloc(ctx, n_folds, sizeof *heap.fold);
    heap.load = lathe__calloc(ctx, n_folds, sizeof *heap.load);
    group_fold = lathe__calloc(ctx, keys.n_codes, sizeof *group_fold);
    if (!order || !heap.fold || !heap.load || !group_fold) {
        status = lathe__error_nomem(err);
        goto out;
    }
    status = groups_by_size(plan, &keys, order, err);
    if (status != LATHE_OK)
        goto out;
    deal_groups(order, keys.n_codes, &heap, group_fold);
    for (size_t r = 0; r < n_rows; r++)
        plan->block[r] = group_fold[keys.code[r]];
out:
    lathe__free(ctx, order);
    lathe__free(ctx, group_fold);
    lathe__free(ctx, heap.fold);
    lathe__free(ctx, heap.load);
    lathe__coded_keys_release(ctx, &keys);
    return status;
}

/* ---- time order --------------------------------------------------------- */

typedef struct timed_row {
    int64_t time;
    double time_value;
    size_t row;
} timed_row;

static int by_time_then_row(const void *a, const void *b)
{
    const timed_row *x = a, *y = b;
    if (x->time != y->time)
        return (x->time > y->time) - (x->time < y->time);
    if (x->time_value != y->time_value)
        return (x->time_value > y->time_value) - (x->time_value < y->time_value);
    return (x->row > y->row) - (x->row < y->row);
}

/* Rows sorted by time; only one of time and time_value is set, the other is 0. */
static timed_row *time_order(lathe_ctx *ctx, const lathe_split_keys *keys)
{
    timed_row *order = lathe__calloc(ctx, keys->n_rows, sizeof *order);
    if (!order)
        return NULL;
    for (size_t r = 0; r < keys->n_rows; r++) {
        order[r].row = r;
        if (keys->times)
            order[r].time = keys->times[r];
        else
            order[r].time_value = keys->time_values[r];
    }
    qsort(order, keys->n_rows, sizeof *order, by_time_then_row);
    return order;
}

static bool same_time(const timed_row *a, const timed_row *b)
{
    return a->time == b->time && a->time_value == b->time_value;
}

/* The first test position: n_rows - n_test, moved so no time straddles it; 0 or n_rows if
 * impossible. Earlier first (ties join the test side), else later (ties join training). */
static size_t time_cut(const timed_row *order, size_t n_rows, size_t n_test)
{
    size_t cut = n_rows - n_test;
    size_t earlier = cut;
    while (earlier > 0 && same_time(&order[earlier - 1], &order[earlier]))
        earlier--;
    if (earlier > 0)
        return earlier;
    while (cut < n_rows && same_time(&order[cut - 1], &order[cut]))
        cut++;
    return cut;
}

lathe_status lathe__holdout_time(lathe__split_plan *plan, lathe_error *err)
{
    size_t n_rows = plan->keys->n_rows, n_test = lathe__test_count(plan->test_fraction, n_rows);
    if (n_test >= n_rows)
        return lathe__error(err, LATHE_INVALID,
                            "test fraction %g of %zu rows leaves no training rows",
                            plan->test_fraction, n_rows);
    timed_row *order = time_order(plan->ctx, plan->keys);
    if (!order)
        return lathe__error_nomem(err);
    size_t cut = time_cut(order, n_rows, n_test);
    lathe_status status = LATHE_OK;
    if (cut == n_rows)
        status =
            lathe__error(err, LATHE_INVALID,
                         "all %zu rows share one time, so no split can test on later rows", n_rows);
    for (size_t i = 0; status == LATHE_OK && i < n_rows; i++)
        plan->block[order[i].row] = i >= cut ? LATHE__HOLDOUT_TEST : LATHE__HOLDOUT_TRAIN;
    lathe__free(plan->ctx, order);
    return status;
}

/* TimeSeriesSplit: block 0 trains only; blocks 1..k of n_rows / (k + 1) rows are tested. */
lathe_status lathe__kfold_time(lathe__split_plan *plan, lathe_error *err)
{
    size_t n_rows = plan->keys->n_rows, n_folds = plan->n_folds;
    if (n_folds + 1 > n_rows)
        return lathe__error(err, LATHE_INVALID,
                            "%zu time-series folds need at least %zu rows, found %zu", n_folds,
                            n_folds + 1, n_rows);
    timed_row *order = time_order(plan->ctx, plan->keys);
    if (!order)
        return lathe__error_nomem(err);
    size_t test_size = n_rows / (n_folds + 1);
    size_t first_test = n_rows - n_folds * test_size;
    for (size_t i = 0; i < n_rows; i++)
        plan->block[order[i].row] = i < first_test ? 0 : 1 + (i - first_test) / test_size;
    lathe__free(plan->ctx, order);
    return LATHE_OK;
}
