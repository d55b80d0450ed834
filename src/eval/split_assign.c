/*
 * split_assign.c: random and stratified splits, and the recoding of class
 * and group keys they share with group splits.
 *
 * Stratified k-fold follows scikit-learn's StratifiedKFold exactly up to
 * the random draw: rows sorted by class (classes in order of first
 * appearance) are dealt to folds round-robin,
 * which fixes how many rows of each class every fold gets (within one of
 * each other, and fold sizes within one of each other); then each class's
 * fold labels are shuffled over its rows. Stratified holdout splits each
 * class by largest remainders, ties broken at random, as scikit-learn's
 * _approximate_mode does.
 */
#include <math.h>
#include <stdlib.h>

#include "core/internal.h"
#include "core/rng.h"
#include "eval/split_assign.h"

#include "core/banned.h"

size_t lathe__test_count(double test_fraction, size_t n)
{
    return (size_t)ceil(test_fraction * (double)n);
}

/* ---- dense codes -------------------------------------------------------- */

typedef struct keyed_row {
    int32_t value;
    size_t row;
} keyed_row;

static int by_value_then_row(const void *a, const void *b)
{
    const keyed_row *x = a, *y = b;
    if (x->value != y->value)
        return (x->value > y->value) - (x->value < y->value);
    return (x->row > y->row) - (x->row < y->row);
}

/* Codes from rows sorted by (value, row): each run of equal values is one code. */
static void code_sorted(const keyed_row *sorted, size_t n_rows, lathe__coded_keys *keys)
{
    keys->n_codes = 0;
    for (size_t i = 0; i < n_rows; i++) {
        if (i == 0 || sorted[i].value != sorted[i - 1].value) {
            keys->label[keys->n_codes] = sorted[i].value;
            keys->start[keys->n_codes] = i;
            keys->n_codes++;
        }
        keys->code[sorted[i].row] = keys->n_codes - 1;
        keys->count[keys->n_codes - 1]++;
        keys->rows[i] = sorted[i].row;
    }
    keys->start[keys->n_codes] = n_rows;
}

lathe_status lathe__coded_keys_init(lathe_ctx *ctx, const int32_t *values, size_t n_rows,
                                    lathe__coded_keys *out, lathe_error *err)
{
    lathe__coded_keys keys = {0};
    keyed_row *sorted = lathe__calloc(ctx, n_rows, sizeof *sorted);
    keys.code = lathe__calloc(ctx, n_rows, sizeof *keys.code);
    keys.count = lathe__calloc(ctx, n_rows, sizeof *keys.count);
    keys.label = lathe__calloc(ctx, n_rows, sizeof *keys.label);
    keys.start = lathe__calloc(ctx, n_rows + 1, sizeof *keys.start);
    keys.rows = lathe__calloc(ctx, n_rows, sizeof *keys.rows);
    if (!sorted || !keys.code || !keys.count || !keys.label || !keys.start || !keys.rows) {
        lathe__free(ctx, sorted);
        lathe__coded_keys_release(ctx, &keys);
        return lathe__error_nomem(err);
    }
    for (size_t r = 0; r < n_rows; r++)
        sorted[r] = (keyed_row){values[r], r};
    qsort(sorted, n_rows, sizeof *sorted, by_value_then_row);
    code_sorted(sorted, n_rows, &keys);
    lathe__free(ctx, sorted);
    *out = keys;
    return LATHE_OK;
}

void lathe__coded_keys_release(lathe_ctx *ctx, lathe__coded_keys *keys)
{
    lathe__free(ctx, keys->code);
    lathe__free(ctx, keys->count);
    lathe__free(ctx, keys->label);
    lathe__free(ctx, keys->start);
    lathe__free(ctx, keys->rows);
}

/* ---- random ------------------------------------------------------------- */

static size_t *shuffled_rows(lathe_ctx *ctx, size_t n_rows, uint64_t seed)
{
    size_t *rows = lathe__calloc(ctx, n_rows, sizeof *rows);
    if (!rows)
        return NULL;
    for (size_t r = 0; r < n_rows; r++)
        rows[r] = r;
    lathe__rng rng;
    lathe__rng_seed(&rng, seed);
    lathe__rng_shuffle(&rng, rows, n_rows);
    return rows;
}

lathe_status lathe__holdout_random(lathe__split_plan *plan, lathe_error *err)
{
    size_t n_rows = plan->keys->n_rows;
    size_t n_test = lathe__test_count(plan->test_fraction, n_rows);
    if (n_test >= n_rows)
        return lathe__error(err, LATHE_INVALID,
                            "test fraction %g of %zu rows leaves no training rows",
                            plan->test_fraction, n_rows);
    size_t *rows = shuffled_rows(plan->ctx, n_rows, plan->seed);
    if (!rows)
        return lathe__error_nomem(err);
    for (size_t i = 0; i < n_rows; i++)
        plan->block[rows[i]] = i < n_test ? LATHE__HOLDOUT_TEST : LATHE__HOLDOUT_TRAIN;
    lathe__free(plan->ctx, rows);
    return LATHE_OK;
}

/* KFold: the first n_rows % n_folds folds get one row more. */
lathe_status lathe__kfold_random(lathe__split_plan *plan, lathe_error *err)
{
    size_t n_rows = plan->keys->n_rows, n_folds = plan->n_folds;
    size_t *rows = shuffled_rows(plan->ctx, n_rows, plan->seed);
    if (!rows)
        return lathe__error_nomem(err);
    size_t at = 0;
    for (size_t f = 0; f < n_folds; f++) {
        size_t fold_size = n_rows / n_folds + (f < n_rows % n_folds);
        for (size_t i = 0; i < fold_size; i++)
            plan->block[rows[at++]] = f;
    }
    lathe__free(plan->ctx, rows);
    return LATHE_OK;
}

/* ---- stratified holdout ------------------------------------------------- */

typedef struct remainder_rank {
    double remainder;
    size_t rank; /* random, breaks ties */
    size_t code;
} remainder_rank;

static int by_remainder_descending(const void *a, const void *b)
{
    const remainder_rank *x = a, *y = b;
    if (x->remainder != y->remainder)
        return (x->remainder < y->remainder) - (x->remainder > y->remainder);
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/*
 * drawn[c] ~ count[c] * n_draws / n_rows, rounded so they sum to n_draws:
 * floors first, then one more each to the largest remainders.
 */
static lathe_status approximate_mode(lathe_ctx *ctx, const lathe__coded_keys *keys, size_t n_rows,
                                     size_t n_draws, lathe__rng *rng, size_t *drawn,
                                     lathe_error *err)
{
    remainder_rank *order = lathe__calloc(ctx, keys->n_codes, sizeof *order);
    size_t *ranks = lathe__calloc(ctx, keys->n_codes, sizeof *ranks);
    if (!order || !ranks) {
        lathe__free(ctx, order);
        lathe__free(ctx, ranks);
        return lathe__error_nomem(err);
    }
    for (size_t c = 0; c < keys->n_codes; c++)
        ranks[c] = c;
    lathe__rng_shuffle(rng, ranks, keys->n_codes);
    size_t assigned = 0;
    for (size_t c = 0; c < keys->n_codes; c++) {
        double share = (double)keys->count[c] * (double)n_draws / (double)n_rows;
        drawn[c] = (size_t)floor(share);
        assigned += drawn[c];
        order[c] = (remainder_rank){share - floor(share), ranks[c], c};
    }
    qsort(order, keys->n_codes, sizeof *order, by_remainder_descending);
    for (size_t i = 0; assigned < n_draws && i < keys->n_codes; i++, assigned++) {
        size_t c = order[i].code;
        drawn[c] += drawn[c] < keys->count[c];
    }
    lathe__free(ctx, order);
    lathe__free(ctx, ranks);
    return LATHE_OK;
}

static lathe_status check_stratified_holdout(const lathe__split_plan *plan,
                                             const lathe__coded_keys *keys, size_t n_test,
                                             lathe_error *err)
{
    size_t n_rows = plan->keys->n_rows, n_classes = keys->n_codes;
    for (size_t c = 0; c < n_classes; c++) {
        if (keys->count[c] < 2)
            return lathe__error(err, LATHE_INVALID,
                                "class %d has only 1 row: a stratified split needs 2 per class",
                                (int)keys->label[c]);
    }
    if (n_test < n_classes || n_rows - n_test < n_classes)
        return lathe__error(err, LATHE_INVALID,
                            "test fraction %g of %zu rows gives %zu test and %zu training rows, "
                            "but a stratified split of %zu classes needs %zu on each side",
                            plan->test_fraction, n_rows, n_test, n_rows - n_test, n_classes,
                            n_classes);
    return LATHE_OK;
}

/* Each class's rows are shuffled; the first drawn[c] go to the test side. */
static void deal_holdout(const lathe__coded_keys *keys, const size_t *n_test_of_class,
                         lathe__rng *rng, size_t *rows, size_t *block)
{
    for (size_t c = 0; c < keys->n_codes; c++) {
        size_t *class_rows = rows + keys->start[c];
        lathe__rng_shuffle(rng, class_rows, keys->count[c]);
        for (size_t i = 0; i < keys->count[c]; i++)
            block[class_rows[i]] =
                i < n_test_of_class[c] ? LATHE__HOLDOUT_TEST : LATHE__HOLDOUT_TRAIN;
    }
}

lathe_status lathe__holdout_stratified(lathe__split_plan *plan, lathe_error *err)
{
    size_t n_rows = plan->keys->n_rows, n_test = lathe__test_count(plan->test_fraction, n_rows);
    lathe__coded_keys keys = {0};
    lathe_status status =
        lathe__coded_keys_init(plan->ctx, plan->keys->classes, n_rows, &keys, err);
    if (status != LATHE_OK)
        return status;
    size_t *n_test_of_class = NULL;
    status = check_stratified_holdout(plan, &keys, n_test, err);
    if (status != LATHE_OK)
        goto out;
    n_test_of_class = lathe__calloc(plan->ctx, keys.n_codes, sizeof *n_test_of_class);
    if (!n_test_of_class) {
        status = lathe__error_nomem(err);
        goto out;
    }
    lathe__rng rng;
    lathe__rng_seed(&rng, plan->seed);
    status = approximate_mode(plan->ctx, &keys, n_rows, n_test, &rng, n_test_of_class, err);
    if (status == LATHE_OK)
        deal_holdout(&keys, n_test_of_class, &rng, keys.rows, plan->block);
out:
    lathe__free(plan->ctx, n_test_of_class);
    lathe__coded_keys_release(plan->ctx, &keys);
    return status;
}

/* ---- stratified k-fold -------------------------------------------------- */

static lathe_status check_stratified_kfold(const lathe__split_plan *plan,
                                           const lathe__coded_keys *keys, lathe_error *err)
{
    size_t smallest = 0;
    for (size_t c = 1; c < keys->n_codes; c++) {
        if (keys->count[c] < keys->count[smallest])
            smallest = c;
    }
    if (keys->count[smallest] >= plan->n_folds)
        return LATHE_OK;
    return lathe__error(err, LATHE_INVALID,
                        "class %d has only %zu rows, fewer than the %zu folds: use at most %zu "
                        "folds, or a random k-fold",
                        (int)keys->label[smallest], keys->count[smallest], plan->n_folds,
                        keys->count[smallest]);
}

/*
 * allocation[f * n_classes + c]: rows of class c in fold f when the rows,
 * sorted by class, are dealt round-robin to the folds. As in scikit-learn,
 * classes are sorted by first appearance, which decides the classes whose
 * leftover rows land in the first folds.
 */
static void round_robin_allocation(const lathe__coded_keys *keys, size_t n_rows, size_t n_folds,
                                   bool *seen, size_t *allocation)
{
    size_t position = 0;
    for (size_t r = 0; r < n_rows; r++) {
        size_t c = keys->code[r];
        if (seen[c])
            continue;
        seen[c] = true;
        for (size_t i = 0; i < keys->count[c]; i++, position++)
            allocation[(position % n_folds) * keys->n_codes + c]++;
    }
}

/* Class c's fold labels, allocation[., c] of each, shuffled over its rows in row order. */
static void deal_folds(const lathe__coded_keys *keys, size_t n_folds, const size_t *allocation,
                       lathe__rng *rng, size_t *labels, size_t *block)
{
    for (size_t c = 0; c < keys->n_codes; c++) {
        size_t n = 0;
        for (size_t f = 0; f < n_folds; f++) {
            for (size_t i = 0; i < allocation[f * keys->n_codes + c]; i++)
                labels[n++] = f;
        }
        lathe__rng_shuffle(rng, labels, n);
        for (size_t i = 0; i < n; i++)
            block[keys->rows[keys->start[c] + i]] = labels[i];
    }
}

lathe_status lathe__kfold_stratified(lathe__split_plan *plan, lathe_error *err)
{
    size_t n_rows = plan->keys->n_rows;
    lathe__coded_keys keys = {0};
    lathe_status status =
        lathe__coded_keys_init(plan->ctx, plan->keys->classes, n_rows, &keys, err);
    if (status != LATHE_OK)
        return status;
    size_t *allocation = NULL, *labels = NULL;
    bool *seen = NULL;
    status = check_stratified_kfold(plan, &keys, err);
    if (status != LATHE_OK)
        goto out;
    /* every class has >= n_folds rows, so n_folds * n_classes <= n_rows */
    allocation = lathe__calloc(plan->ctx, plan->n_folds * keys.n_codes, sizeof *allocation);
    labels = lathe__calloc(plan->ctx, n_rows, sizeof *labels);
    seen = lathe__calloc(plan->ctx, keys.n_codes, sizeof *seen);
    if (!allocation || !labels || !seen) {
        status = lathe__error_nomem(err);
        goto out;
    }
    lathe__rng rng;
    lathe__rng_seed(&rng, plan->seed);
    round_robin_allocation(&keys, n_rows, plan->n_folds, seen, allocation);
    deal_folds(&keys, plan->n_folds, allocation, &rng, labels, plan->block);
out:
    lathe__free(plan->ctx, allocation);
    lathe__free(plan->ctx, labels);
    lathe__free(plan->ctx, seen);
    lathe__coded_keys_release(plan->ctx, &keys);
    return status;
}
