/*
 * test_prep.c: the preprocessing pipeline, step by step, on data small
 * enough to check by hand (the arithmetic is written beside each check).
 *
 * Frames come from CSV text through the real reader, so kinds are inferred
 * as a user's would be. The comparison with scikit-learn on real datasets
 * lives in tests/oracle/test_prep_sklearn.py.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/internal.h"
#include "harness.h"
#include "lathe/lathe.h"
#include "model/matrix.h"
#include "prep/prep.h"
#include "prep/step.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NO_FEATURE ((size_t)-1)

static lathe_ctx *ctx;

static void free_ctx(void)
{
    lathe_ctx_free(ctx);
}

static lathe_ctx *context(void)
{
    if (!ctx) {
        ctx = lathe_ctx_new();
        lathe_ctx_set_seed(ctx, 42);
        atexit(free_ctx);
    }
    return ctx;
}

static lathe_frame *csv_with(const char *text, const lathe_column_decl *columns, size_t n_columns)
{
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.columns = columns;
    options.n_columns = n_columns;
    lathe_frame *frame = NULL;
    lathe_error err;
    if (lathe_read_buffer(context(), text, strlen(text), "t.csv", &options, &frame, &err) !=
        LATHE_OK)
        fprintf(stderr, "  reading test csv: %s\n", err.message);
    return frame;
}

static lathe_frame *csv(const char *text)
{
    return csv_with(text, NULL, 0);
}

static lathe__prep_spec plain_spec(void)
{
    lathe__prep_spec spec;
    lathe__prep_spec_default(&spec, false);
    return spec;
}

static lathe_status fit(const lathe_frame *frame, const double *y, lathe__task task,
                        size_t n_classes, const lathe__prep_spec *spec, lathe__prep **prep,
                        lathe__matrix *x, lathe_error *err)
{
    lathe_error_clear(err);
    *prep = NULL;
    return lathe__prep_fit(context(), frame, y, task, n_classes, spec, prep, x, err);
}

/* A cell of a dense or CSR matrix. */
static double at(const lathe__matrix *m, size_t row, size_t col)
{
    if (!lathe__matrix_is_sparse(m))
        return m->dense[row * m->n_cols + col];
    for (size_t i = m->row_start[row]; i < m->row_start[row + 1]; i++) {
        if (m->col_index[i] == col)
            return m->sparse_values[i];
    }
    return 0;
}

static size_t feature(const lathe__prep *prep, const char *name)
{
    for (size_t i = 0; i < lathe__prep_n_features(prep); i++) {
        if (strcmp(lathe__prep_feature_name(prep, i), name) == 0)
            return i;
    }
    return NO_FEATURE;
}

static const char *note_of(const lathe__prep *prep, const char *subject)
{
    for (size_t i = 0; i < lathe__prep_n_notes(prep); i++) {
        if (strcmp(lathe__prep_note_at(prep, i).subject, subject) == 0)
            return lathe__prep_note_at(prep, i).text;
    }
    return "";
}

static void release(lathe__prep *prep, lathe__matrix *m, lathe_frame *frame)
{
    if (m)
        lathe__matrix_release(context(), m);
    lathe__prep_free(prep);
    lathe_frame_free(frame);
}

/* ---- imputation ------------------------------------------------------- */

static const char *const numbers_csv = "x,y\n1,2\n,2\n3,5\n10,5\n,\n4,1\n";

/* The fill value of x and of y under `impute`, read back through transform of the missing rows. */
static void fills(lathe__impute impute, double *x_fill, double *y_fill)
{
    lathe_frame *frame = csv(numbers_csv);
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_NUMERIC].impute = impute;
    spec.by_kind[LATHE_KIND_NUMERIC].fill_number = 7;
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    *x_fill = *y_fill = NAN;
    if (fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err) == LATHE_OK) {
        *x_fill = at(&x, 4, 0);
        *y_fill = at(&x, 4, 1);
    }
    release(prep, &x, frame);
}

TEST(impute_mean_median_most_frequent_constant)
{
    double x, y;
    fills(LATHE__IMPUTE_MEAN, &x, &y);
    CHECK_NEAR(x, 18.0 / 4, 1e-15); /* (1 + 3 + 10 + 4) / 4 */
    CHECK_NEAR(y, 15.0 / 5, 1e-15); /* (2 + 2 + 5 + 5 + 1) / 5 */
    fills(LATHE__IMPUTE_MEDIAN, &x, &y);
    CHECK_EQ(x, 3.5); /* 1 3 | 4 10 -> (3 + 4) / 2 */
    CHECK_EQ(y, 2);   /* 1 2 2 5 5 */
    fills(LATHE__IMPUTE_MOST_FREQUENT, &x, &y);
    CHECK_EQ(x, 1); /* all once: the smallest */
    CHECK_EQ(y, 2); /* 2 and 5 twice each: the smaller */
    fills(LATHE__IMPUTE_CONSTANT, &x, &y);
    CHECK_EQ(x, 7);
    CHECK_EQ(y, 7);
}

TEST(missing_indicator_only_for_columns_missing_in_training)
{
    lathe_frame *frame = csv("a,b\n1,5\n,6\n3,7\n");
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_NUMERIC].missing_indicator = true;
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 3);
    CHECK_STR(lathe__prep_feature_name(prep, 0), "a");
    CHECK_STR(lathe__prep_feature_name(prep, 1), "a.missing");
    CHECK_STR(lathe__prep_feature_name(prep, 2), "b");
    CHECK_EQ(at(&x, 1, 0), 2); /* median of 1 and 3 */
    CHECK_EQ(at(&x, 0, 1), 0);
    CHECK_EQ(at(&x, 1, 1), 1);
    CHECK_HAS(note_of(prep, "a"), "plus a.missing");
    release(prep, &x, frame);
}

/* ---- scaling and power transforms ------------------------------------- */

static void scaled(lathe__scale scale, const char *text, double *out, size_t n)
{
    lathe_frame *frame = csv(text);
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_NUMERIC].scale = scale;
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    for (size_t i = 0; i < n; i++)
        out[i] = NAN;
    if (fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err) == LATHE_OK) {
        for (size_t i = 0; i < n && i < x.n_rows; i++)
            out[i] = at(&x, i, 0);
    }
    release(prep, &x, frame);
}

TEST(standard_minmax_robust_scaling)
{
    double out[5];
    scaled(LATHE__SCALE_STANDARD, "v\n1\n2\n3\n4\n", out, 4);
    /* mean 2.5, population variance 1.25 */
    CHECK_NEAR(out[0], -1.5 / sqrt(1.25), 1e-15);
    CHECK_NEAR(out[3], 1.5 / sqrt(1.25), 1e-15);
    scaled(LATHE__SCALE_MINMAX, "v\n2\n4\n6\n", out, 3);
    CHECK_EQ(out[0], 0);
    CHECK_EQ(out[1], 0.5);
    CHECK_EQ(out[2], 1);
    scaled(LATHE__SCALE_ROBUST, "v\n1\n2\n3\n4\n100\n", out, 5);
    /* median 3, q25 2, q75 4: (x - 3) / 2 */
    CHECK_EQ(out[0], -1);
    CHECK_EQ(out[4], 48.5);
    scaled(LATHE__SCALE_STANDARD, "v\n5\n5\n5\n", out, 3);
    CHECK_EQ(out[1], 0); /* constant: scale 1, not a division by zero */
}

TEST(log1p_is_signed_and_yeo_johnson_standardizes)
{
    lathe_frame *frame = csv("v\n-1\n0\n1.718281828459045\n2\n7\n30\n");
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_NUMERIC].power = LATHE__POWER_LOG1P;
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    CHECK_NEAR(at(&x, 0, 0), -log(2), 1e-15);
    CHECK_EQ(at(&x, 1, 0), 0);
    CHECK_NEAR(at(&x, 2, 0), 1, 1e-15);
    release(prep, &x, NULL);

    spec.by_kind[LATHE_KIND_NUMERIC].power = LATHE__POWER_YEO_JOHNSON;
    spec.by_kind[LATHE_KIND_NUMERIC].scale = LATHE__SCALE_MINMAX; /* skipped after yeo-johnson */
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    double sum = 0, squares = 0;
    for (size_t r = 0; r < x.n_rows; r++) {
        sum += at(&x, r, 0);
        squares += at(&x, r, 0) * at(&x, r, 0);
        if (r > 0)
            CHECK(at(&x, r, 0) > at(&x, r - 1, 0)); /* monotonic */
    }
    CHECK_NEAR(sum / 6, 0, 1e-12);
    CHECK_NEAR(squares / 6, 1, 1e-12);
    CHECK_HAS(note_of(prep, "v"), "yeo-johnson (lambda ");
    release(prep, &x, frame);
}

/* ---- categories ------------------------------------------------------- */

static const char *const colors_csv = "color\nred\nblue\nred\ngreen\nblue\nred\n";

TEST(onehot_sorted_with_infrequent_pool_for_rare_and_unknown)
{
    lathe_frame *train = csv(colors_csv);
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_CATEGORICAL].min_frequency = 2; /* green is seen once */
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    CHECK_OK(fit(train, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 3);
    CHECK_STR(lathe__prep_feature_name(prep, 0), "color=blue");
    CHECK_STR(lathe__prep_feature_name(prep, 1), "color=red");
    CHECK_STR(lathe__prep_feature_name(prep, 2), "color=infrequent");
    CHECK_EQ(at(&x, 0, 1), 1);
    CHECK_EQ(at(&x, 3, 2), 1);
    lathe__matrix_release(context(), &x);

    /* a new frame codes its categories differently: matched by name */
    lathe_frame *fresh = csv("color\npurple\nred\ngreen\nNA\nblue\n");
    CHECK_OK(lathe__prep_transform(prep, fresh, &x, &err), err);
    double want[5][3] = {{0, 0, 1}, {0, 1, 0}, {0, 0, 1}, {0, 0, 1}, {1, 0, 0}};
    for (size_t r = 0; r < 5; r++) {
        for (size_t c = 0; c < 3; c++)
            CHECK_MSG(at(&x, r, c) == want[r][c], "row %zu col %zu: %g", r, c, at(&x, r, c));
    }
    release(prep, &x, fresh);

    spec.by_kind[LATHE_KIND_CATEGORICAL].min_frequency = 0;
    CHECK_OK(fit(train, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 3); /* blue green red, no pool */
    fresh = csv("color\npurple\n");
    double row[3] = {9, 9, 9}, work[16];
    CHECK(lathe__prep_work_size(prep) <= N(work));
    CHECK_OK(lathe__prep_transform_row(prep, fresh, 0, row, work, &err), err);
    CHECK(row[0] == 0 && row[1] == 0 && row[2] == 0); /* unknown: all zeros */
    CHECK_HAS(note_of(prep, "color"), "unknown categories: all zeros");
    release(prep, NULL, fresh);
    lathe_frame_free(train);
}

TEST(missing_categories_impute_constant_or_most_frequent)
{
    lathe_frame *train = csv("color\nred\nNA\nblue\nred\n");
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_CATEGORICAL].encode = LATHE__ENCODE_ORDINAL;
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    CHECK_OK(fit(train, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    /* blue 0, missing 1, red 2 */
    CHECK_EQ(at(&x, 0, 0), 2);
    CHECK_EQ(at(&x, 1, 0), 1);
    CHECK_EQ(at(&x, 2, 0), 0);
    release(prep, &x, NULL);
    spec.by_kind[LATHE_KIND_CATEGORICAL].impute = LATHE__IMPUTE_MOST_FREQUENT;
    CHECK_OK(fit(train, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    CHECK_EQ(at(&x, 1, 0), 1); /* red, now code 1 of blue red */
    lathe_frame *fresh = csv("color\nviolet\n");
    release(NULL, &x, NULL);
    CHECK_OK(lathe__prep_transform(prep, fresh, &x, &err), err);
    CHECK_EQ(at(&x, 0, 0), -1); /* unknown */
    release(prep, &x, fresh);
    spec.by_kind[LATHE_KIND_CATEGORICAL].impute = LATHE__IMPUTE_MEDIAN;
    CHECK_EQ(fit(train, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err), LATHE_INVALID);
    CHECK_STR(err.message, "impute median does not apply to categorical column color (use "
                           "most_frequent or constant)");
    lathe_frame_free(train);
}

/* ---- target encoding -------------------------------------------------- */

static const char *const groups_csv = "g\na\nb\na\nb\na\n";
static const double groups_y[] = {1, 10, 2, 20, 3};

TEST(target_encoding_new_rows_use_all_training_rows)
{
    lathe_frame *train = csv(groups_csv);
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_CATEGORICAL].encode = LATHE__ENCODE_TARGET;
    spec.by_kind[LATHE_KIND_CATEGORICAL].target_smoothing = 0;
    lathe__prep *prep;
    lathe_error err;
    CHECK_OK(fit(train, groups_y, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err), err);
    CHECK_STR(lathe__prep_feature_name(prep, 0), "g.target");
    lathe_frame *fresh = csv("g\nb\na\nz\n");
    lathe__matrix x;
    CHECK_OK(lathe__prep_transform(prep, fresh, &x, &err), err);
    CHECK_EQ(at(&x, 0, 0), 15);  /* (10 + 20) / 2 */
    CHECK_EQ(at(&x, 1, 0), 2);   /* (1 + 2 + 3) / 3 */
    CHECK_EQ(at(&x, 2, 0), 7.2); /* unknown: the mean, 36 / 5 */
    release(prep, &x, NULL);

    /* smoothing "auto": a: mean 2, within-variance 2/3; overall mean 7.2, variance 50.96 */
    spec.by_kind[LATHE_KIND_CATEGORICAL].target_smoothing = -1;
    CHECK_OK(fit(train, groups_y, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err), err);
    CHECK_OK(lathe__prep_transform(prep, fresh, &x, &err), err);
    double lambda = 50.96 * 3 / (50.96 * 3 + 2.0 / 3);
    CHECK_NEAR(at(&x, 1, 0), lambda * 2 + (1 - lambda) * 7.2, 1e-12);
    release(prep, &x, fresh);
    lathe_frame_free(train);
}

TEST(target_encoding_training_rows_never_see_their_own_target)
{
    /* 5 folds over 5 rows: each row is encoded from the other four alone */
    lathe_frame *train = csv(groups_csv);
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_CATEGORICAL].encode = LATHE__ENCODE_TARGET;
    spec.by_kind[LATHE_KIND_CATEGORICAL].target_smoothing = 0;
    spec.by_kind[LATHE_KIND_CATEGORICAL].target_folds = 5;
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    CHECK_OK(fit(train, groups_y, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    double want[] = {2.5, 20, 2, 10, 1.5}; /* a: (2+3)/2, (1+3)/2, (1+2)/2; b: the other b */
    for (size_t r = 0; r < 5; r++)
        CHECK_MSG(at(&x, r, 0) == want[r], "row %zu: %g, want %g", r, at(&x, r, 0), want[r]);
    release(prep, &x, NULL);

    /* with 2 folds, changing one row's target leaves that row's encoding alone */
    spec.by_kind[LATHE_KIND_CATEGORICAL].target_folds = 2;
    spec.by_kind[LATHE_KIND_CATEGORICAL].target_smoothing = -1;
    double before[5], y[5];
    memcpy(y, groups_y, sizeof y);
    CHECK_OK(fit(train, y, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    for (size_t r = 0; r < 5; r++)
        before[r] = at(&x, r, 0);
    release(prep, &x, NULL);
    for (size_t changed = 0; changed < 5; changed++) {
        y[changed] += 1000;
        CHECK_OK(fit(train, y, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
        CHECK_MSG(at(&x, changed, 0) == before[changed], "row %zu moved with its own target",
                  changed);
        release(prep, &x, NULL);
        y[changed] -= 1000;
    }
    lathe_frame_free(train);
}

TEST(target_encoding_multiclass_has_a_column_per_class_and_follows_the_seed)
{
    lathe_frame *train = csv("g\na\nb\na\nb\na\nc\nc\nb\n");
    double y[] = {0, 1, 2, 1, 0, 2, 2, 1};
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_CATEGORICAL].encode = LATHE__ENCODE_TARGET;
    spec.by_kind[LATHE_KIND_CATEGORICAL].target_smoothing = 0;
    lathe__prep *prep;
    lathe__matrix x, again;
    lathe_error err;
    CHECK_OK(fit(train, y, LATHE__TASK_CLASSIFICATION, 3, &spec, &prep, &x, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 3);
    CHECK_STR(lathe__prep_feature_name(prep, 2), "g.target_2");
    lathe_frame *fresh = csv("g\nb\n");
    lathe__matrix one;
    CHECK_OK(lathe__prep_transform(prep, fresh, &one, &err), err);
    CHECK_EQ(at(&one, 0, 0), 0); /* b rows are all class 1 */
    CHECK_EQ(at(&one, 0, 1), 1);
    CHECK_EQ(at(&one, 0, 2), 0);
    release(prep, &one, fresh);
    CHECK_OK(fit(train, y, LATHE__TASK_CLASSIFICATION, 3, &spec, &prep, &again, &err), err);
    CHECK(memcmp(x.dense, again.dense, 24 * sizeof(double)) == 0); /* same seed, same folds */
    release(prep, &again, NULL);
    release(NULL, &x, train);
}

/* ---- dates, booleans, text ------------------------------------------- */

TEST(datetime_expands_into_parts_and_dates_skip_the_hour)
{
    lathe_frame *frame = csv("when,day\n2024-02-29T13:45:00Z,2024-02-29\n"
                             "1969-12-31T23:00:00Z,1969-12-31\n");
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_DATETIME].datetime_parts |= LATHE__DATE_EPOCH_SECONDS;
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    const char *names[] = {"when.year",        "when.month",       "when.day",
                           "when.day_of_week", "when.hour",        "when.epoch_seconds",
                           "day.year",         "day.month",        "day.day",
                           "day.day_of_week",  "day.epoch_seconds"};
    CHECK_EQ(lathe__prep_n_features(prep), N(names));
    for (size_t i = 0; i < N(names); i++)
        CHECK_STR(lathe__prep_feature_name(prep, i), names[i]);
    double leap[] = {2024, 2, 29, 3, 13, 1709214300}; /* a Thursday */
    double eve[] = {1969, 12, 31, 2, 23, -3600};      /* a Wednesday, an hour before 1970 */
    for (size_t i = 0; i < N(leap); i++) {
        CHECK_MSG(at(&x, 0, i) == leap[i], "%s: %g", names[i], at(&x, 0, i));
        CHECK_MSG(at(&x, 1, i) == eve[i], "%s: %g", names[i], at(&x, 1, i));
    }
    CHECK_HAS(note_of(prep, "when"), "expanded to year, month, day, day_of_week, hour");
    release(prep, &x, frame);
}

TEST(booleans_are_zero_one_and_text_is_dropped_unless_encoded)
{
    lathe_column_decl declared[] = {{.name = "note", .has_kind = true, .kind = LATHE_KIND_TEXT}};
    lathe_frame *frame =
        csv_with("flag,note\ntrue,hello there\nfalse,hi\n,hello there\n", declared, 1);
    lathe__prep_spec spec = plain_spec();
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 1);
    CHECK_EQ(at(&x, 0, 0), 1);
    CHECK_EQ(at(&x, 1, 0), 0);
    CHECK_EQ(at(&x, 2, 0), 0); /* most frequent of 1, 0: a tie, the smaller */
    CHECK_HAS(note_of(prep, "note"), "dropped: text columns are not used yet");
    release(prep, &x, NULL);

    spec.by_kind[LATHE_KIND_TEXT].encode = LATHE__ENCODE_ONEHOT;
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 3);
    CHECK_STR(lathe__prep_feature_name(prep, 1), "note=hello there");
    CHECK_EQ(at(&x, 2, 1), 1);
    release(prep, &x, frame);
}

TEST(only_feature_columns_are_used_and_per_column_options_win)
{
    lathe_frame *frame = csv("id,a,b,target\n1,1,10,0\n2,2,20,1\n3,3,30,0\n");
    lathe_frame_set_role(frame, 0, LATHE_ROLE_ID);
    lathe_frame_set_role(frame, 3, LATHE_ROLE_TARGET);
    lathe__prep_spec spec = plain_spec();
    lathe__prep_column_options b = {"b", spec.by_kind[LATHE_KIND_NUMERIC]};
    b.options.scale = LATHE__SCALE_MINMAX;
    spec.columns = &b;
    spec.n_columns = 1;
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 2);
    CHECK_EQ(feature(prep, "b"), 1);
    CHECK_EQ(feature(prep, "target"), NO_FEATURE);
    CHECK_EQ(at(&x, 2, 0), 3);
    CHECK_EQ(at(&x, 2, 1), 1);
    release(prep, &x, NULL);

    /* transforming needs only the feature columns, in any order */
    lathe_frame *serving = csv("b,a\n20,5\n");
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err), err);
    CHECK_OK(lathe__prep_transform(prep, serving, &x, &err), err);
    CHECK_EQ(at(&x, 0, 0), 5);
    CHECK_EQ(at(&x, 0, 1), 0.5);
    release(prep, &x, serving);
    lathe_frame_free(frame);
}

TEST(missing_and_mistyped_columns_are_named)
{
    lathe_frame *train = csv("glucose,mass,color\n1,2,red\n3,4,blue\n");
    lathe__prep_spec spec = plain_spec();
    lathe__prep *prep;
    lathe_error err;
    CHECK_OK(fit(train, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err), err);
    lathe_frame *partial = csv("color\nred\n");
    lathe__matrix x;
    memset(&x, 0xab, sizeof x); /* a failed transform must not free what `out` held */
    CHECK_EQ(lathe__prep_transform(prep, partial, &x, &err), LATHE_NOT_FOUND);
    CHECK(x.dense == NULL && x.row_start == NULL);
    CHECK_STR(err.message, "the frame lacks 2 columns the pipeline was fitted on: glucose, mass");
    double out[8], work[16];
    CHECK_EQ(lathe__prep_transform_row(prep, partial, 0, out, work, &err), LATHE_NOT_FOUND);
    CHECK_HAS(err.message, "glucose, mass");
    lathe_frame *mistyped = csv("glucose,mass,color\n1,2,3\n");
    CHECK_EQ(lathe__prep_transform(prep, mistyped, &x, &err), LATHE_INVALID);
    CHECK_STR(err.message,
              "column color is numeric here but was categorical when the pipeline was fitted");
    lathe_frame_free(mistyped);
    release(prep, NULL, partial);
    lathe_frame_free(train);
}

/* ---- selection and pca ------------------------------------------------ */

/* f1 separates the classes, f2 is noise, f3 is constant. */
static const char *const selection_csv = "f1,f2,f3\n0,5,1\n1,3,1\n0,4,1\n9,4,1\n10,5,1\n11,3,1\n";
static const double selection_y[] = {0, 0, 0, 1, 1, 1};

static lathe_status select_with(lathe__select method, size_t k, lathe__prep **prep,
                                lathe_error *err)
{
    lathe_frame *frame = csv(selection_csv);
    lathe__prep_spec spec = plain_spec();
    spec.select = method;
    spec.select_k = k;
    lathe_status status =
        fit(frame, selection_y, LATHE__TASK_CLASSIFICATION, 2, &spec, prep, NULL, err);
    lathe_frame_free(frame);
    return status;
}

TEST(selection_by_variance_f_classif_chi2_and_mutual_info)
{
    lathe__prep *prep;
    lathe_error err;
    CHECK_OK(select_with(LATHE__SELECT_VARIANCE, 0, &prep, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 2); /* f3 is constant */
    CHECK_STR(lathe__prep_feature_name(prep, 1), "f2");
    lathe__prep_free(prep);
    lathe__select scored[] = {LATHE__SELECT_F_CLASSIF, LATHE__SELECT_CHI2,
                              LATHE__SELECT_MUTUAL_INFO};
    for (size_t i = 0; i < N(scored); i++) {
        CHECK_OK(select_with(scored[i], 1, &prep, &err), err);
        CHECK_EQ(lathe__prep_n_features(prep), 1);
        CHECK_STR(lathe__prep_feature_name(prep, 0), "f1");
        CHECK_HAS(note_of(prep, "selection"), "kept the 1 best of 3 features");
        lathe__prep_free(prep);
    }
    CHECK_EQ(select_with(LATHE__SELECT_F_REGRESSION, 1, &prep, &err), LATHE_INVALID);
    CHECK_STR(err.message, "f_regression selection does not apply to classification");
}

/* f1 decides the target, f2 is balanced against it: an L1 model leaves f2 at exactly 0. */
TEST(l1_selection_keeps_the_features_an_l1_model_uses)
{
    lathe_frame *frame = csv("f1,f2\n0,0\n1,0\n0,1\n1,1\n0,0\n1,0\n0,1\n1,1\n");
    double values[] = {0, 10, 0, 10, 0, 10, 0, 10}, classes[] = {0, 1, 0, 1, 0, 1, 0, 1};
    lathe__prep_spec spec = plain_spec();
    spec.select = LATHE__SELECT_L1;
    spec.select_alpha = 0.1;
    lathe__prep *prep;
    lathe_error err;
    CHECK_OK(fit(frame, values, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 1);
    CHECK_STR(lathe__prep_feature_name(prep, 0), "f1");
    CHECK_HAS(note_of(prep, "selection"), "l1 (C or alpha 0.1) kept the 1 of 2 features");
    lathe__prep_free(prep);
    CHECK_OK(fit(frame, classes, LATHE__TASK_CLASSIFICATION, 2, &spec, &prep, NULL, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 1);
    CHECK_STR(lathe__prep_feature_name(prep, 0), "f1");
    lathe__prep_free(prep);
    spec.select_alpha = 100; /* strong enough to zero both */
    CHECK_EQ(fit(frame, values, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err),
             LATHE_INVALID);
    CHECK_HAS(err.message, "l1 selection gave every feature a zero weight");
    lathe_frame_free(frame);
}

TEST(chi2_refuses_negative_features_by_name)
{
    lathe_frame *frame = csv("a,b\n1,-2\n2,3\n3,4\n");
    double y[] = {0, 1, 1};
    lathe__prep_spec spec = plain_spec();
    spec.select = LATHE__SELECT_CHI2;
    lathe__prep *prep;
    lathe_error err;
    CHECK_EQ(fit(frame, y, LATHE__TASK_CLASSIFICATION, 2, &spec, &prep, NULL, &err), LATHE_INVALID);
    CHECK_STR(err.message, "chi2 selection needs features >= 0, but b has -2 (use minmax "
                           "scaling or another criterion)");
    lathe_frame_free(frame);
}

TEST(pca_of_points_on_a_line)
{
    /* (t, 2t): one direction, (1, 2) / sqrt(5), all of the variance */
    lathe_frame *frame = csv("u,v\n1,2\n2,4\n3,6\n-4,-8\n");
    lathe__prep_spec spec = plain_spec();
    spec.pca_components = 0.9;
    lathe__prep *prep;
    lathe__matrix x;
    lathe_error err;
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 1);
    CHECK_STR(lathe__prep_feature_name(prep, 0), "pca_0");
    /* mean (0.5, 1); the largest score (row 3, -4.5 * sqrt 5) is made positive */
    double scale = sqrt(5.0);
    double want[] = {-0.5 * scale, -1.5 * scale, -2.5 * scale, 4.5 * scale};
    for (size_t r = 0; r < 4; r++)
        CHECK_NEAR(at(&x, r, 0), want[r], 1e-12);
    CHECK_HAS(note_of(prep, "pca"), "1 components of 2 features explain 100.0%");
    release(prep, &x, frame);
}

/* ---- layouts, rows, persistence --------------------------------------- */

/* 80 categories one-hot: wide and 1/80 dense, so sparse unless asked otherwise. */
static lathe_frame *wide_frame(void)
{
    char text[4096] = "key,x\n";
    size_t used = strlen(text);
    for (int r = 0; r < 160; r++)
        used += (size_t)snprintf(text + used, sizeof text - used, "k%d,%d\n", r % 80, r);
    return csv(text);
}

TEST(wide_one_hot_is_sparse_and_equal_to_dense)
{
    lathe_frame *frame = wide_frame();
    lathe__prep_spec spec = plain_spec();
    lathe__prep *sparse_prep, *dense_prep;
    lathe__matrix sparse, dense;
    lathe_error err;
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &sparse_prep, &sparse, &err), err);
    CHECK(lathe__prep_is_sparse(sparse_prep) && lathe__matrix_is_sparse(&sparse));
    CHECK_EQ(sparse.row_start[160], 319); /* one category and x per row, but x is 0 in row 0 */
    spec.layout = LATHE__LAYOUT_DENSE;
    CHECK_OK(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &dense_prep, &dense, &err), err);
    CHECK(!lathe__matrix_is_sparse(&dense));
    CHECK_EQ(dense.n_cols, 81);
    for (size_t r = 0; r < 160; r++) {
        for (size_t c = 0; c < 81; c++)
            CHECK(at(&sparse, r, c) == at(&dense, r, c));
    }
    release(sparse_prep, &sparse, NULL);
    release(dense_prep, &dense, frame);
}

static const char *const mixed_csv = "age,income,color,when,flag\n"
                                     "30,52000,red,2021-03-01T08:00:00Z,true\n"
                                     "45,,blue,2020-11-15T17:30:00Z,false\n"
                                     ",81000,red,2022-07-04T12:00:00Z,true\n"
                                     "52,61000,green,2021-12-25T00:00:00Z,\n"
                                     "23,39000,blue,2023-01-09T09:15:00Z,false\n"
                                     "61,120000,red,,true\n"
                                     "38,47000,teal,2020-05-05T05:05:00Z,false\n"
                                     "29,58000,blue,2022-02-22T22:22:00Z,true\n";
static const double mixed_y[] = {0, 1, 0, 1, 1, 0, 1, 0};

/* A pipeline using every kind of step. */
static lathe__prep_spec everything_spec(void)
{
    lathe__prep_spec spec;
    lathe__prep_spec_default(&spec, true);
    spec.by_kind[LATHE_KIND_NUMERIC].power = LATHE__POWER_YEO_JOHNSON;
    spec.by_kind[LATHE_KIND_NUMERIC].missing_indicator = true;
    spec.by_kind[LATHE_KIND_CATEGORICAL].encode = LATHE__ENCODE_TARGET;
    spec.select = LATHE__SELECT_F_CLASSIF;
    spec.select_k = 8;
    spec.pca_components = 4;
    return spec;
}

TEST(save_load_round_trip_transforms_bit_for_bit)
{
    lathe_frame *frame = csv(mixed_csv);
    lathe__prep_spec spec = everything_spec();
    lathe__prep *prep, *loaded = NULL;
    lathe__matrix x, y;
    lathe_error err;
    CHECK_OK(fit(frame, mixed_y, LATHE__TASK_CLASSIFICATION, 2, &spec, &prep, NULL, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 4);
    lathe__wbuf buf;
    lathe__wbuf_init(&buf, context());
    lathe__prep_save(prep, &buf);
    CHECK_OK(lathe__wbuf_status(&buf, &err), err);
    lathe__rbuf in;
    lathe__rbuf_init(&in, buf.data, buf.length, "pipeline");
    CHECK_OK(lathe__prep_load(context(), &in, &loaded, &err), err);
    CHECK_EQ(lathe__rbuf_left(&in), 0);
    CHECK_OK(lathe__prep_transform(prep, frame, &x, &err), err);
    CHECK_OK(lathe__prep_transform(loaded, frame, &y, &err), err);
    CHECK(x.n_cols == y.n_cols && memcmp(x.dense, y.dense, 8 * 4 * sizeof(double)) == 0);
    char a[4096], b[4096];
    CHECK(lathe__prep_describe(prep, a, sizeof a) < sizeof a);
    lathe__prep_describe(loaded, b, sizeof b);
    CHECK_STR(a, b);
    CHECK_HAS(a, "age: impute median");
    CHECK_HAS(a, "yeo-johnson (lambda");
    CHECK_HAS(a, "color: 4 categories, impute constant \"missing\", target encoding");
    CHECK_HAS(a, "when: expanded to year, month, day, day_of_week, hour; each: impute median, "
                 "standard scale");
    CHECK_HAS(a, "selection: f_classif kept the 8 best of ");
    for (size_t i = 0; i < 4; i++)
        CHECK_STR(lathe__prep_feature_name(loaded, i), lathe__prep_feature_name(prep, i));
    lathe__prep_free(loaded);
    /* every truncation is refused, never read past */
    for (size_t length = 0; length < buf.length; length++) {
        lathe__rbuf_init(&in, buf.data, length, "pipeline");
        loaded = NULL;
        CHECK_MSG(lathe__prep_load(context(), &in, &loaded, &err) != LATHE_OK && !loaded,
                  "a %zu-byte prefix loaded", length);
    }
    lathe__wbuf_release(&buf);
    release(NULL, &y, NULL);
    release(prep, &x, frame);
}

TEST(corrupted_pipelines_fail_cleanly)
{
    lathe_frame *frame = csv(mixed_csv);
    lathe__prep_spec spec = everything_spec();
    spec.by_kind[LATHE_KIND_CATEGORICAL].encode = LATHE__ENCODE_ONEHOT;
    lathe__prep *prep;
    lathe_error err;
    CHECK_OK(fit(frame, mixed_y, LATHE__TASK_CLASSIFICATION, 2, &spec, &prep, NULL, &err), err);
    lathe__wbuf buf;
    lathe__wbuf_init(&buf, context());
    lathe__prep_save(prep, &buf);
    uint64_t state = 7;
    for (int trial = 0; trial < 2000; trial++) {
        unsigned char copy[8192];
        CHECK(buf.length <= sizeof copy);
        memcpy(copy, buf.data, buf.length);
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        copy[(state >> 33) % buf.length] ^= (unsigned char)(1u << ((state >> 20) % 8));
        lathe__rbuf in;
        lathe__rbuf_init(&in, copy, buf.length, "pipeline");
        lathe__prep *loaded = NULL;
        if (lathe__prep_load(context(), &in, &loaded, &err) == LATHE_OK) {
            /* a flip that still loads (a fitted number) must still transform */
            lathe__matrix x;
            if (lathe__prep_transform(loaded, frame, &x, &err) == LATHE_OK)
                lathe__matrix_release(context(), &x);
            lathe__prep_free(loaded);
        }
    }
    lathe__wbuf_release(&buf);
    release(prep, NULL, frame);
}

TEST(transform_row_matches_transform_and_training_rows_match_except_target)
{
    lathe_frame *frame = csv(mixed_csv);
    lathe__prep_spec spec = everything_spec();
    lathe__prep *prep;
    lathe__matrix train, x;
    lathe_error err;
    CHECK_OK(fit(frame, mixed_y, LATHE__TASK_CLASSIFICATION, 2, &spec, &prep, &train, &err), err);
    CHECK_OK(lathe__prep_transform(prep, frame, &x, &err), err);
    double work[256], row[4];
    CHECK(lathe__prep_work_size(prep) <= N(work));
    for (size_t r = 0; r < 8; r++) {
        CHECK_OK(lathe__prep_transform_row(prep, frame, r, row, work, &err), err);
        CHECK(memcmp(row, x.dense + r * 4, sizeof row) == 0);
    }
    release(NULL, &x, NULL);
    release(NULL, &train, NULL);
    lathe__prep_free(prep);

    /* without target encoding, the training matrix is exactly the transform */
    spec.by_kind[LATHE_KIND_CATEGORICAL].encode = LATHE__ENCODE_ONEHOT;
    CHECK_OK(fit(frame, mixed_y, LATHE__TASK_CLASSIFICATION, 2, &spec, &prep, &train, &err), err);
    CHECK_OK(lathe__prep_transform(prep, frame, &x, &err), err);
    CHECK(memcmp(train.dense, x.dense, 8 * 4 * sizeof(double)) == 0);
    release(NULL, &x, NULL);
    release(prep, &train, frame);
}

TEST(bad_specs_and_targets_are_refused)
{
    lathe_frame *frame = csv("a\n1\n2\n");
    lathe__prep_spec spec = plain_spec();
    lathe__prep *prep;
    lathe_error err;
    double y[] = {0, 3};
    CHECK_EQ(fit(frame, y, LATHE__TASK_CLASSIFICATION, 2, &spec, &prep, NULL, &err), LATHE_INVALID);
    CHECK_STR(err.message, "target of training row 1 is 3, not a class index");
    spec.by_kind[LATHE_KIND_NUMERIC].target_folds = 1;
    CHECK_EQ(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err), LATHE_INVALID);
    CHECK_STR(err.message, "numeric: target encoding needs 2 or more folds");
    spec = plain_spec();
    spec.pca_components = -1;
    CHECK_EQ(fit(frame, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err), LATHE_INVALID);
    int value;
    CHECK(lathe__prep_choice_parse(LATHE__CHOICE_POWER, "yeo-johnson", &value) &&
          value == LATHE__POWER_YEO_JOHNSON);
    CHECK(!lathe__prep_choice_parse(LATHE__CHOICE_SCALE, "zscore", &value));
    CHECK_STR(lathe__prep_choice_name(LATHE__CHOICE_ENCODE, LATHE__ENCODE_ONEHOT), "onehot");
    lathe_frame_free(frame);
}

TEST(native_defaults_keep_missing_values_and_give_category_codes)
{
    lathe_frame *train = csv("x,color\n1,red\n,blue\n3,\n4,red\n");
    lathe_frame *later = csv("x,color\n,green\n5,blue\n");
    CHECK(train && later);
    lathe__prep_spec spec;
    lathe__prep_spec_default_native(&spec);
    lathe__prep *prep;
    lathe__matrix x = {0}, y = {0};
    lathe_error err;
    CHECK_OK(fit(train, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, &x, &err), err);
    CHECK_EQ(lathe__prep_n_features(prep), 2);
    CHECK(!lathe__prep_feature_is_code(prep, 0));
    CHECK(lathe__prep_feature_is_code(prep, 1));
    CHECK_NEAR(at(&x, 0, 0), 1, 0);
    CHECK(isnan(at(&x, 1, 0)));     /* missing numbers stay missing */
    CHECK_NEAR(at(&x, 0, 1), 1, 0); /* codes in sorted order: blue 0, red 1 */
    CHECK_NEAR(at(&x, 1, 1), 0, 0);
    CHECK(isnan(at(&x, 2, 1))); /* a missing category */
    CHECK_OK(lathe__prep_transform(prep, later, &y, &err), err);
    CHECK(isnan(at(&y, 0, 0)));
    CHECK(isnan(at(&y, 0, 1))); /* an unknown category */
    CHECK_NEAR(at(&y, 1, 1), 0, 0);
    lathe__matrix_release(context(), &x);
    lathe__matrix_release(context(), &y);
    lathe__prep_free(prep);
    lathe_frame_free(train);
    lathe_frame_free(later);
}

TEST(impute_none_refuses_scaling)
{
    lathe_frame *train = csv("x\n1\n\n3\n");
    CHECK(train);
    lathe__prep_spec spec = plain_spec();
    spec.by_kind[LATHE_KIND_NUMERIC].impute = LATHE__IMPUTE_NONE;
    spec.by_kind[LATHE_KIND_NUMERIC].scale = LATHE__SCALE_STANDARD;
    lathe__prep *prep;
    lathe_error err;
    CHECK_EQ(fit(train, NULL, LATHE__TASK_REGRESSION, 0, &spec, &prep, NULL, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "impute none keeps missing values");
    lathe_frame_free(train);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median by selection equals the median of the sorted values, on orders
 * that defeat a naive pivot (sorted, reversed, organ pipe, all equal) too. */
TEST(median_by_selection_matches_the_sorted_median)
{
    enum { MAX_N = 5003 };
    static double values[MAX_N], sorted[MAX_N];
    static const size_t sizes[] = {1, 2, 3, 17, 18, 1000, 5003};
    uint64_t state = 7;
    for (size_t shape = 0; shape < 6; shape++) {
        for (size_t s = 0; s < N(sizes); s++) {
            size_t n = sizes[s], m = 0;
            for (size_t i = 0; i < n; i++) {
                state = state * 6364136223846793005u + 1442695040888963407u;
                double r = (double)(state >> 40) / 1e3;
                double v = shape == 0   ? r
                           : shape == 1 ? (double)i
                           : shape == 2 ? (double)(n - i)
                           : shape == 3 ? (double)(i < n / 2 ? i : n - i)
                           : shape == 4 ? 3.5
                                        : (double)(state >> 61); /* few values, many ties */
                values[i] = i % 11 == 5 ? NAN : v;
                if (!isnan(values[i]))
                    sorted[m++] = values[i];
            }
            qsort(sorted, m, sizeof *sorted, by_value);
            double expected = m == 0  ? NAN
                              : m % 2 ? sorted[m / 2]
                                      : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
            double median;
            size_t count;
            lathe_error err;
            CHECK_OK(lathe__median_present(context(), values, n, &median, &count, &err), err);
            CHECK_EQ(count, m);
            if (m)
                CHECK_EQ(median, expected);
            else
                CHECK(isnan(median));
        }
    }
}

/* Selected order statistics sit where sorting puts them, repeated positions and all. */
TEST(selected_positions_hold_the_sorted_values)
{
    enum { MAX_N = 4000 };
    static double values[MAX_N], sorted[MAX_N];
    static const size_t sizes[] = {2, 5, 10, 11, 97, 4000};
    uint64_t state = 11;
    for (size_t s = 0; s < N(sizes); s++) {
        size_t n = sizes[s], positions[9];
        for (size_t i = 0; i < n; i++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            values[i] = s % 2 ? (double)(state >> 62) : (double)(state >> 40) / 7.0;
            sorted[i] = values[i];
        }
        qsort(sorted, n, sizeof *sorted, by_value);
        for (size_t b = 1; b < 10; b++)
            positions[b - 1] = (n - 1) * b / 10; /* repeats when n is small */
        lathe__select_positions(context(), values, n, positions, 9);
        for (size_t b = 0; b < 9; b++) {
            size_t k = positions[b];
            CHECK_EQ(values[k], sorted[k]);
            for (size_t i = 0; i < n && !harness_failed_now(); i++) {
                if (i < k ? values[i] > values[k] : i > k && values[i] < values[k])
                    CHECK(!"a value on the wrong side of a selected position");
            }
        }
    }
}
