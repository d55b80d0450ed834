/*
 * split.h: holdout splits and k-fold cross-validation as row index lists.
 *
 * A lathe_split is a list of folds; each fold is a pair of row lists,
 * training rows and test rows, ascending, ready for lathe_frame_take. A
 * holdout is a split with one fold. Four kinds, as scikit-learn users know
 * them:
 *
 *   random      holdout: train_test_split; k-fold: KFold(shuffle=True)
 *   stratified  each class keeps its share on both sides / in every fold:
 *               StratifiedShuffleSplit, StratifiedKFold(shuffle=True)
 *   group       no group has rows on both sides of any fold: GroupShuffleSplit
 *               (the test fraction counts groups), GroupKFold
 *   time        rows in time order; holdout tests on the latest rows, k-fold
 *               is TimeSeriesSplit (expanding training window, test blocks
 *               in time order; rows before the first block are never tested)
 *
 * Everything is seeded: the same keys, kind, size and seed give the same
 * rows on every platform. Time splits use no randomness; group k-fold uses
 * the seed only to order groups of equal size.
 *
 * Stricter than scikit-learn in one place: stratified k-fold refuses a class
 * with fewer rows than folds (scikit-learn only warns), since some test folds
 * would lack the class and its metrics (roc_auc) would be undefined there;
 * the message says how many folds the data can carry.
 *
 * Thread safety: a built split is read-only; any number of threads may read it.
 * Asking for a fold >= lathe_split_n_folds is a programming error (assert).
 */
#ifndef LATHE_SPLIT_H
#define LATHE_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"

#define LATHE_SPLIT_KIND_MAP(X)                                                                    \
    X(RANDOM, "random")                                                                            \
    X(STRATIFIED, "stratified")                                                                    \
    X(GROUP, "group")                                                                              \
    X(TIME, "time")

typedef enum lathe_split_kind {
#define LATHE__SPLIT_KIND_ENUM(name, text) LATHE_SPLIT_##name,
    LATHE_SPLIT_KIND_MAP(LATHE__SPLIT_KIND_ENUM)
#undef LATHE__SPLIT_KIND_ENUM
        LATHE_SPLIT_KIND_COUNT
} lathe_split_kind;

/* "random", "stratified", ...; NULL for an out-of-range kind. */
LATHE_API const char *lathe_split_kind_name(lathe_split_kind kind);
LATHE_API bool lathe_split_kind_parse(const char *name, lathe_split_kind *out);

/*
 * What rows are split by. Only the keys the kind needs are read:
 *   classes  stratified: each row's class, >= 0 (codes need not be dense)
 *   groups   group: each row's group id, >= 0 (a categorical column's codes;
 *            a missing cell, code -1, is an error)
 *   time     time: each row's time key, either integers (datetime
 *            microseconds) or doubles (not NaN); ties keep row order
 */
typedef struct lathe_split_keys {
    size_t n_rows;
    const int32_t *classes;
    const int32_t *groups;
    const int64_t *times;
    const double *time_values;
} lathe_split_keys;

typedef struct lathe_split lathe_split;

/*
 * One train/test split. test_fraction in (0, 1) is the share of rows in the
 * test side, ceil(test_fraction * n_rows) rows (of groups, for group), as
 * scikit-learn counts; both sides must end up non-empty. Stratified, as
 * scikit-learn: every class needs 2 rows, and each side at least as many
 * rows as there are classes. Time: the test side is the latest rows; rows
 * tied with the first test row's time join the test side too, so every
 * training time is strictly earlier (unless that would empty the training
 * side: then the tied rows all train).
 */
LATHE_API lathe_status lathe_split_holdout(lathe_ctx *ctx, const lathe_split_keys *keys,
                                           lathe_split_kind kind, double test_fraction,
                                           uint64_t seed, lathe_split **out, lathe_error *err);

/*
 * n_folds folds, 2 <= n_folds <= n_rows (<= number of groups for group; for
 * time, n_folds + 1 <= n_rows). For random, stratified and group the test
 * sides partition the rows; fold sizes differ by at most one row (random,
 * stratified), each class's count differs by at most one between folds
 * (stratified, with scikit-learn's counts), and groups go, largest first, to
 * the fold with the fewest rows (group). Time folds cut the time order at
 * scikit-learn's positions, so rows with equal times may straddle a cut.
 */
LATHE_API lathe_status lathe_split_kfold(lathe_ctx *ctx, const lathe_split_keys *keys,
                                         lathe_split_kind kind, size_t n_folds, uint64_t seed,
                                         lathe_split **out, lathe_error *err);

LATHE_API void lathe_split_free(lathe_split *split);

LATHE_API size_t lathe_split_n_folds(const lathe_split *split);
LATHE_API size_t lathe_split_n_rows(const lathe_split *split);
/* The sizes of a fold's two row lists. */
LATHE_API void lathe_split_fold_sizes(const lathe_split *split, size_t fold, size_t *n_train,
                                      size_t *n_test);
/*
 * Writes a fold's training rows to train[n_train] and test rows to
 * test[n_test], ascending; either pointer may be NULL. Rows are built on
 * request, so a split of n rows holds O(n) memory whatever the fold count.
 */
LATHE_API void lathe_split_fold_rows(const lathe_split *split, size_t fold, size_t *train,
                                     size_t *test);

#endif
