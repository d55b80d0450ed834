/*
 * test_split.c: holdout splits and k-fold cross-validation.
 *
 * Hand-checked layouts where the answer is fixed (TimeSeriesSplit's blocks,
 * GroupKFold's greedy assignment, holdout sizes), and properties over many
 * seeds where it is random: test folds partition the rows, training rows are
 * the rest, stratified folds keep each class's count within one, groups
 * never straddle, time folds train only on earlier times, and the same seed
 * gives the same split.
 */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "lathe/split.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ROWS 256

static lathe_ctx *context(void)
{
    static lathe_ctx *ctx;
    if (!ctx)
        ctx = lathe_ctx_new();
    return ctx;
}

/* A fold's rows, with a membership map for quick checks. */
typedef struct fold_rows {
    size_t train[MAX_ROWS], test[MAX_ROWS];
    size_t n_train, n_test;
    int side[MAX_ROWS]; /* 0 neither, 1 train, 2 test */
} fold_rows;

static void get_fold(const lathe_split *split, size_t fold, fold_rows *rows)
{
    memset(rows, 0, sizeof *rows);
    lathe_split_fold_sizes(split, fold, &rows->n_train, &rows->n_test);
    lathe_split_fold_rows(split, fold, rows->train, rows->test);
    for (size_t i = 0; i < rows->n_train; i++)
        rows->side[rows->train[i]] += 1;
    for (size_t i = 0; i < rows->n_test; i++)
        rows->side[rows->test[i]] += 2;
}

static bool ascending(const size_t *rows, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (rows[i - 1] >= rows[i])
            return false;
    }
    return true;
}

/* Lists ascending, both sides non-empty, every row on exactly one side; counts tests per row. */
static bool fold_covers_rows(const lathe_split *split, size_t fold, size_t n_rows, int *tested)
{
    fold_rows rows;
    get_fold(split, fold, &rows);
    if (!ascending(rows.train, rows.n_train) || !ascending(rows.test, rows.n_test))
        return false;
    if (rows.n_train + rows.n_test != n_rows || rows.n_test == 0 || rows.n_train == 0)
        return false;
    for (size_t r = 0; r < n_rows; r++) {
        if (rows.side[r] != 1 && rows.side[r] != 2)
            return false;
        tested[r] += rows.side[r] == 2;
    }
    return true;
}

/* A holdout: every row is on exactly one side. */
static bool holdout_covers_rows(const lathe_split *split, size_t n_rows)
{
    int tested[MAX_ROWS] = {0};
    return lathe_split_n_folds(split) == 1 && fold_covers_rows(split, 0, n_rows, tested);
}

/* K-fold: each fold covers the rows, and across folds each row is tested exactly once. */
static bool folds_partition(const lathe_split *split, size_t n_rows)
{
    int tested[MAX_ROWS] = {0};
    for (size_t f = 0; f < lathe_split_n_folds(split); f++) {
        if (!fold_covers_rows(split, f, n_rows, tested))
            return false;
    }
    for (size_t r = 0; r < n_rows; r++) {
        if (tested[r] != 1)
            return false;
    }
    return true;
}

/* ---- random ------------------------------------------------------------- */

TEST(kind_names_round_trip)
{
    lathe_split_kind kind;
    CHECK(lathe_split_kind_parse("stratified", &kind));
    CHECK(kind == LATHE_SPLIT_STRATIFIED);
    CHECK_STR(lathe_split_kind_name(LATHE_SPLIT_TIME), "time");
    CHECK(!lathe_split_kind_parse("shuffle", &kind));
    CHECK(lathe_split_kind_name(LATHE_SPLIT_KIND_COUNT) == NULL);
}

TEST(random_kfold_partitions_rows_into_near_equal_folds)
{
    lathe_split_keys keys = {.n_rows = 103};
    for (uint64_t seed = 0; seed < 20; seed++) {
        lathe_split *split;
        lathe_error err;
        CHECK_OK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_RANDOM, 5, seed, &split, &err),
                 err);
        CHECK(lathe_split_n_folds(split) == 5);
        CHECK(lathe_split_n_rows(split) == 103);
        CHECK(folds_partition(split, 103));
        for (size_t f = 0; f < 5; f++) {
            size_t n_train, n_test;
            lathe_split_fold_sizes(split, f, &n_train, &n_test);
            CHECK_EQ(n_test, f < 3 ? 21 : 20); /* KFold: the first 103 % 5 folds get one more */
        }
        lathe_split_free(split);
    }
}

TEST(the_same_seed_gives_the_same_split_and_another_seed_another)
{
    lathe_split_keys keys = {.n_rows = 50};
    lathe_split *a, *b, *c;
    lathe_error err;
    CHECK_OK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_RANDOM, 5, 7, &a, &err), err);
    CHECK_OK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_RANDOM, 5, 7, &b, &err), err);
    CHECK_OK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_RANDOM, 5, 8, &c, &err), err);
    fold_rows ra, rb, rc;
    get_fold(a, 2, &ra);
    get_fold(b, 2, &rb);
    get_fold(c, 2, &rc);
    lathe_split_free(a);
    lathe_split_free(b);
    lathe_split_free(c);
    CHECK(memcmp(ra.test, rb.test, sizeof ra.test) == 0);
    CHECK(memcmp(ra.test, rc.test, sizeof ra.test) != 0);
}

TEST(random_holdout_counts_the_test_side_like_scikit_learn)
{
    lathe_split_keys keys = {.n_rows = 10};
    lathe_split *split;
    lathe_error err;
    CHECK_OK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_RANDOM, 0.25, 3, &split, &err), err);
    bool covered = holdout_covers_rows(split, 10);
    size_t n_train, n_test;
    lathe_split_fold_sizes(split, 0, &n_train, &n_test);
    lathe_split_free(split);
    CHECK(covered);
    CHECK_EQ(n_test, 3); /* ceil(2.5) */
    CHECK_EQ(n_train, 7);
}

TEST(leave_one_out_is_a_kfold_with_one_row_per_fold)
{
    lathe_split_keys keys = {.n_rows = 200};
    lathe_split *split;
    lathe_error err;
    CHECK_OK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_RANDOM, 200, 1, &split, &err), err);
    CHECK(folds_partition(split, 200));
    lathe_split_free(split);
}

/* ---- stratified --------------------------------------------------------- */

/* 60 rows of class 10, 25 of class 3, 9 of class 7 (codes need not be dense), shuffled. */
static void three_classes(int32_t *classes, size_t *n_rows)
{
    size_t n = 0;
    for (int i = 0; i < 60; i++)
        classes[n++] = 10;
    for (int i = 0; i < 25; i++)
        classes[n++] = 3;
    for (int i = 0; i < 9; i++)
        classes[n++] = 7;
    for (size_t i = n - 1; i > 0; i--) { /* a fixed scramble */
        size_t j = (i * 7919) % (i + 1);
        int32_t swap = classes[i];
        classes[i] = classes[j];
        classes[j] = swap;
    }
    *n_rows = n;
}

static size_t count_class(const size_t *rows, size_t n, const int32_t *classes, int32_t label)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += classes[rows[i]] == label;
    return count;
}

TEST(stratified_kfold_keeps_each_class_within_one_row_per_fold)
{
    int32_t classes[MAX_ROWS];
    size_t n_rows;
    three_classes(classes, &n_rows);
    lathe_split_keys keys = {.n_rows = n_rows, .classes = classes};
    static const int32_t labels[] = {10, 3, 7};
    for (uint64_t seed = 0; seed < 10; seed++) {
        lathe_split *split;
        lathe_error err;
        CHECK_OK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_STRATIFIED, 4, seed, &split, &err),
                 err);
        CHECK(folds_partition(split, n_rows));
        for (size_t c = 0; c < N(labels); c++) {
            size_t least = SIZE_MAX, most = 0;
            for (size_t f = 0; f < 4; f++) {
                fold_rows rows;
                get_fold(split, f, &rows);
                size_t count = count_class(rows.test, rows.n_test, classes, labels[c]);
                least = count < least ? count : least;
                most = count > most ? count : most;
            }
            CHECK_MSG(most - least <= 1, "class %d: %zu to %zu rows per fold", labels[c], least,
                      most);
        }
        for (size_t f = 0; f < 4; f++) {
            size_t n_train, n_test;
            lathe_split_fold_sizes(split, f, &n_train, &n_test);
            CHECK(n_test == 23 || n_test == 24); /* 94 rows */
        }
        lathe_split_free(split);
    }
}

TEST(stratified_kfold_refuses_a_class_smaller_than_the_fold_count)
{
    int32_t classes[MAX_ROWS];
    size_t n_rows;
    three_classes(classes, &n_rows);
    lathe_split_keys keys = {.n_rows = n_rows, .classes = classes};
    lathe_split *split = NULL;
    lathe_error err;
    CHECK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_STRATIFIED, 10, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "class 7 has only 9 rows, fewer than the 10 folds: use at most 9 "
                           "folds, or a random k-fold");
    CHECK(split == NULL);
}

TEST(stratified_holdout_keeps_class_shares)
{
    int32_t classes[MAX_ROWS];
    size_t n_rows;
    three_classes(classes, &n_rows);
    lathe_split_keys keys = {.n_rows = n_rows, .classes = classes};
    lathe_split *split;
    lathe_error err;
    CHECK_OK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_STRATIFIED, 0.2, 4, &split, &err),
             err);
    fold_rows rows;
    get_fold(split, 0, &rows);
    bool covered = holdout_covers_rows(split, n_rows);
    lathe_split_free(split);
    CHECK(covered);
    CHECK_EQ(rows.n_test, 19); /* ceil(18.8) */
    /* shares 60, 25, 9 of 19: 12.13, 5.05, 1.82; floors 12 + 5 + 1, the largest remainder +1 */
    CHECK_EQ(count_class(rows.test, rows.n_test, classes, 10), 12);
    CHECK_EQ(count_class(rows.test, rows.n_test, classes, 3), 5);
    CHECK_EQ(count_class(rows.test, rows.n_test, classes, 7), 2);
}

TEST(stratified_holdout_needs_two_rows_per_class)
{
    static const int32_t classes[] = {0, 0, 0, 1, 1, 2};
    lathe_split_keys keys = {.n_rows = 6, .classes = classes};
    lathe_split *split;
    lathe_error err;
    CHECK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_STRATIFIED, 0.5, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "class 2 has only 1 row: a stratified split needs 2 per class");
    static const int32_t missing[] = {0, 0, -1, 1};
    keys = (lathe_split_keys){.n_rows = 4, .classes = missing};
    CHECK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_STRATIFIED, 0.5, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_HAS(err.message, "class at row 2 is missing");
}

/* ---- group -------------------------------------------------------------- */

static bool groups_stay_whole(const lathe_split *split, const int32_t *groups, size_t n_rows)
{
    for (size_t f = 0; f < lathe_split_n_folds(split); f++) {
        fold_rows rows;
        get_fold(split, f, &rows);
        for (size_t a = 0; a < n_rows; a++) {
            for (size_t b = 0; b < n_rows; b++) {
                if (groups[a] == groups[b] && rows.side[a] != rows.side[b])
                    return false;
            }
        }
    }
    return true;
}

TEST(group_kfold_deals_groups_largest_first_to_the_lightest_fold)
{
    /* group sizes: 40 -> 5 rows, 41 -> 3, 42 -> 2, 43 -> 2 */
    static const int32_t groups[] = {40, 41, 40, 42, 40, 43, 41, 40, 42, 43, 40, 41};
    lathe_split_keys keys = {.n_rows = N(groups), .groups = groups};
    lathe_split *split;
    lathe_error err;
    CHECK_OK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_GROUP, 2, 0, &split, &err), err);
    CHECK(folds_partition(split, N(groups)));
    CHECK(groups_stay_whole(split, groups, N(groups)));
    /* 5 -> fold 0; 3 -> fold 1; 2 -> fold 1 (3 < 5); 2 -> fold 0 (5 = 5, lower number) */
    fold_rows rows;
    get_fold(split, 0, &rows);
    CHECK_EQ(rows.n_test, 7);
    CHECK_EQ(groups[rows.test[0]], 40);
    lathe_split_free(split);
}

TEST(group_splits_never_put_a_group_on_both_sides)
{
    int32_t groups[120];
    for (size_t r = 0; r < N(groups); r++)
        groups[r] = (int32_t)((r * r + 3 * r) % 17);
    lathe_split_keys keys = {.n_rows = N(groups), .groups = groups};
    for (uint64_t seed = 0; seed < 5; seed++) {
        lathe_split *split;
        lathe_error err;
        CHECK_OK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_GROUP, 4, seed, &split, &err),
                 err);
        CHECK(folds_partition(split, N(groups)));
        CHECK(groups_stay_whole(split, groups, N(groups)));
        lathe_split_free(split);
        CHECK_OK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_GROUP, 0.3, seed, &split, &err),
                 err);
        bool whole = groups_stay_whole(split, groups, N(groups));
        bool covered = holdout_covers_rows(split, N(groups));
        lathe_split_free(split);
        CHECK(whole && covered);
    }
}

TEST(group_holdout_counts_groups_not_rows)
{
    static const int32_t groups[] = {0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    lathe_split_keys keys = {.n_rows = N(groups), .groups = groups};
    for (uint64_t seed = 0; seed < 10; seed++) {
        lathe_split *split;
        lathe_error err;
        CHECK_OK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_GROUP, 0.2, seed, &split, &err),
                 err);
        fold_rows rows;
        get_fold(split, 0, &rows);
        lathe_split_free(split);
        /* ceil(0.2 * 5 groups) = 1 group: either group 0's six rows or a single row */
        CHECK(rows.n_test == 6 || rows.n_test == 1);
    }
}

TEST(group_kfold_needs_as_many_groups_as_folds)
{
    static const int32_t groups[] = {1, 1, 2, 2, 3, 3};
    lathe_split_keys keys = {.n_rows = N(groups), .groups = groups};
    lathe_split *split;
    lathe_error err;
    CHECK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_GROUP, 4, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "4 folds need at least 4 groups, found 3");
}

/* ---- time --------------------------------------------------------------- */

TEST(time_kfold_is_time_series_split)
{
    /* TimeSeriesSplit(n_splits=3) on 10 rows: train 4, 6, 8 rows; test 2 each. Rows are
     * given out of order: times 9, 8, ..., 0, so row r has rank 9 - r. */
    int64_t times[10];
    for (int r = 0; r < 10; r++)
        times[r] = 9 - r;
    lathe_split_keys keys = {.n_rows = 10, .times = times};
    lathe_split *split;
    lathe_error err;
    CHECK_OK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_TIME, 3, 0, &split, &err), err);
    for (size_t f = 0; f < 3; f++) {
        fold_rows rows;
        get_fold(split, f, &rows);
        CHECK_EQ(rows.n_train, 4 + 2 * f);
        CHECK_EQ(rows.n_test, 2);
        int64_t latest_train = INT64_MIN, earliest_test = INT64_MAX;
        for (size_t i = 0; i < rows.n_train; i++)
            latest_train =
                times[rows.train[i]] > latest_train ? times[rows.train[i]] : latest_train;
        for (size_t i = 0; i < rows.n_test; i++)
            earliest_test =
                times[rows.test[i]] < earliest_test ? times[rows.test[i]] : earliest_test;
        CHECK_EQ(latest_train, 3 + 2 * (int64_t)f);
        CHECK_EQ(earliest_test, 4 + 2 * (int64_t)f);
    }
    lathe_split_free(split);
}

TEST(time_holdout_tests_on_the_latest_rows_and_keeps_ties_together)
{
    static const double times[] = {3.0, 1.0, 2.0, 2.0, 2.0};
    lathe_split_keys keys = {.n_rows = 5, .time_values = times};
    lathe_split *split;
    lathe_error err;
    /* 2 test rows would cut between the times 2.0: all of them join the test side */
    CHECK_OK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_TIME, 0.4, 0, &split, &err), err);
    fold_rows rows;
    get_fold(split, 0, &rows);
    lathe_split_free(split);
    CHECK_EQ(rows.n_train, 1);
    CHECK_EQ(rows.train[0], 1);
    /* ties at the only possible cut that keeps training rows: they go to training instead */
    static const double early_ties[] = {1.0, 1.0, 1.0, 2.0};
    keys = (lathe_split_keys){.n_rows = 4, .time_values = early_ties};
    CHECK_OK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_TIME, 0.5, 0, &split, &err), err);
    get_fold(split, 0, &rows);
    lathe_split_free(split);
    CHECK_EQ(rows.n_test, 1);
    CHECK_EQ(rows.test[0], 3);
    static const double one_time[] = {5.0, 5.0, 5.0};
    keys = (lathe_split_keys){.n_rows = 3, .time_values = one_time};
    CHECK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_TIME, 0.5, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "all 3 rows share one time, so no split can test on later rows");
}

/* ---- bad arguments ------------------------------------------------------ */

TEST(bad_arguments_are_refused_with_a_message)
{
    lathe_split_keys keys = {.n_rows = 10};
    lathe_split *split = NULL;
    lathe_error err;
    CHECK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_RANDOM, 1.0, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "test fraction 1 is not between 0 and 1 (exclusive)");
    CHECK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_RANDOM, NAN, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_RANDOM, 0.95, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "test fraction 0.95 of 10 rows leaves no training rows");
    CHECK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_RANDOM, 1, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "k-fold needs at least 2 folds, not 1");
    CHECK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_RANDOM, 11, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "11 folds are more than the 10 rows");
    CHECK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_TIME, 10, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "a time split needs each row's time");
    CHECK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_GROUP, 2, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "a group split needs each row's group id");
    static const double times[] = {1, 2, NAN, 4};
    keys = (lathe_split_keys){.n_rows = 4, .time_values = times};
    CHECK(lathe_split_kfold(context(), &keys, LATHE_SPLIT_TIME, 2, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "time at row 2 is missing (NaN)");
    keys = (lathe_split_keys){.n_rows = 1};
    CHECK(lathe_split_holdout(context(), &keys, LATHE_SPLIT_RANDOM, 0.5, 0, &split, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "a split needs at least 2 rows, found 1");
    CHECK(split == NULL);
    lathe_split_free(NULL);
}
