/*
 * test_profile.c: the data profile behind `lathe describe`.
 *
 * Frames are built by hand through the internal column API so that every
 * statistic can be checked against a value worked out on paper (or with
 * Python's statistics module, noted beside it).
 */
#include <stdlib.h>

#include "core/internal.h"
#include "data/column.h"
#include "harness.h"
#include "lathe/profile.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- building frames -------------------------------------------------- */

static lathe__column *column_new(lathe_ctx *ctx, const char *name, lathe_kind kind, size_t n)
{
    lathe__column *column = lathe__column_new(ctx, name, strlen(name), kind, n);
    if (column)
        column->missing = lathe__calloc(ctx, (n + 7) / 8 + 1, 1);
    return column;
}

static void mark_missing(lathe__column *column, size_t row)
{
    lathe__bit_set(column->missing, row);
    column->n_missing++;
}

/* NaN is a missing cell. */
static lathe__column *numeric(lathe_ctx *ctx, const char *name, const double *values, size_t n)
{
    lathe__column *column = column_new(ctx, name, LATHE_KIND_NUMERIC, n);
    column->numeric = lathe__calloc(ctx, n + 1, sizeof(double));
    for (size_t r = 0; r < n; r++) {
        column->numeric[r] = values[r];
        if (isnan(values[r]))
            mark_missing(column, r);
    }
    return column;
}

/* NULL is a missing cell; categories are coded in order of first appearance. */
static lathe__column *categorical(lathe_ctx *ctx, const char *name, const char *const *values,
                                  size_t n)
{
    lathe__column *column = column_new(ctx, name, LATHE_KIND_CATEGORICAL, n);
    column->codes = lathe__calloc(ctx, n + 1, sizeof(int32_t));
    column->categories = lathe__calloc(ctx, n + 1, sizeof(char *));
    column->category_counts = lathe__calloc(ctx, n + 1, sizeof(size_t));
    for (size_t r = 0; r < n; r++) {
        if (!values[r]) {
            mark_missing(column, r);
            continue;
        }
        size_t code = 0;
        while (code < column->n_categories && strcmp(column->categories[code], values[r]) != 0)
            code++;
        if (code == column->n_categories)
            column->categories[column->n_categories++] =
                lathe__strndup(ctx, values[r], strlen(values[r]));
        column->codes[r] = (int32_t)code;
        column->category_counts[code]++;
    }
    return column;
}

static lathe__column *text(lathe_ctx *ctx, const char *name, const char *const *values, size_t n)
{
    lathe__column *column = column_new(ctx, name, LATHE_KIND_TEXT, n);
    size_t bytes = 0;
    for (size_t r = 0; r < n; r++)
        bytes += values[r] ? strlen(values[r]) : 0;
    column->offsets = lathe__calloc(ctx, n + 1, sizeof(uint64_t));
    column->bytes = lathe__calloc(ctx, bytes + 1, 1);
    size_t at = 0;
    for (size_t r = 0; r < n; r++) {
        column->offsets[r] = at;
        if (!values[r]) {
            mark_missing(column, r);
            continue;
        }
        memcpy(column->bytes + at, values[r], strlen(values[r]));
        at += strlen(values[r]);
    }
    column->offsets[n] = at;
    return column;
}

/* -1 is a missing cell. */
static lathe__column *boolean(lathe_ctx *ctx, const char *name, const int *values, size_t n)
{
    lathe__column *column = column_new(ctx, name, LATHE_KIND_BOOLEAN, n);
    column->boolean = lathe__calloc(ctx, n + 1, 1);
    for (size_t r = 0; r < n; r++) {
        if (values[r] < 0)
            mark_missing(column, r);
        else
            column->boolean[r] = (uint8_t)values[r];
    }
    return column;
}

/* INT64_MIN is a missing cell. */
static lathe__column *datetime(lathe_ctx *ctx, const char *name, const int64_t *values, size_t n)
{
    lathe__column *column = column_new(ctx, name, LATHE_KIND_DATETIME, n);
    column->datetime = lathe__calloc(ctx, n + 1, sizeof(int64_t));
    for (size_t r = 0; r < n; r++) {
        if (values[r] == INT64_MIN)
            mark_missing(column, r);
        else
            column->datetime[r] = values[r];
    }
    return column;
}

static lathe_frame *frame_of(lathe_ctx *ctx, lathe__column **columns, size_t n_columns,
                             size_t n_rows)
{
    lathe_frame *frame = lathe__frame_new(ctx, n_columns, n_rows);
    for (size_t c = 0; c < n_columns; c++)
        lathe__frame_put(frame, c, columns[c]);
    return frame;
}

static lathe_profile *profile_of(lathe_ctx *ctx, const lathe_frame *frame,
                                 const lathe_profile_options *options)
{
    lathe_profile *profile = NULL;
    lathe_error err;
    lathe_error_clear(&err);
    if (lathe_profile_new(ctx, frame, options, &profile, &err) != LATHE_OK)
        fprintf(stderr, "  lathe_profile_new: %s\n", err.message);
    return profile;
}

/* The first warning with this code about this column, or NULL. */
static const lathe_profile_warning *find_warning(const lathe_profile *profile,
                                                 lathe_profile_warning_code code, size_t column)
{
    for (size_t i = 0; i < lathe_profile_n_warnings(profile); i++) {
        const lathe_profile_warning *warning = lathe_profile_warning_at(profile, i);
        if (warning->code == code && warning->column == column)
            return warning;
    }
    return NULL;
}

/* ---- numeric ---------------------------------------------------------- */

TEST(numeric_summary_matches_hand_values)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double v[] = {1, 2, 3, 4, NAN, 10, 0};
    lathe__column *columns[] = {numeric(ctx, "x", v, N(v))};
    lathe_frame *frame = frame_of(ctx, columns, 1, N(v));
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    const lathe_column_profile *x = lathe_profile_column(p, 0);
    CHECK_STR(x->name, "x");
    CHECK_EQ(x->kind, LATHE_KIND_NUMERIC);
    CHECK_EQ(x->role, LATHE_ROLE_FEATURE);
    CHECK_EQ(x->count, 6);
    CHECK_EQ(x->missing, 1);
    CHECK_NEAR(x->missing_share, 1.0 / 7, 1e-15);
    CHECK_EQ(x->distinct, 6);
    CHECK_NEAR(x->numeric.min, 0, 0);
    CHECK_NEAR(x->numeric.max, 10, 0);
    CHECK_NEAR(x->numeric.mean, 20.0 / 6, 1e-15);
    /* statistics.stdev([1, 2, 3, 4, 10, 0]) */
    CHECK_NEAR(x->numeric.std, 3.559026084010437, 1e-14);
    CHECK_EQ(x->numeric.zeros, 1);
    CHECK(x->numeric.integer_valued);
    /* sorted 0 1 2 3 4 10; position = level * 5 */
    size_t n_levels;
    const double *levels = lathe_profile_quantiles(p, &n_levels);
    CHECK_EQ(n_levels, 5);
    CHECK_NEAR(levels[0], 0.05, 0);
    CHECK_NEAR(levels[4], 0.95, 0);
    CHECK_NEAR(x->numeric.quantiles[0], 0.25, 1e-15);
    CHECK_NEAR(x->numeric.quantiles[1], 1.25, 1e-15);
    CHECK_NEAR(x->numeric.quantiles[2], 2.5, 1e-15);
    CHECK_NEAR(x->numeric.quantiles[3], 3.75, 1e-15);
    CHECK_NEAR(x->numeric.quantiles[4], 8.5, 1e-15);
    CHECK(x->top == NULL && x->n_top == 0);
    CHECK_EQ(lathe_profile_n_rows(p), 7);
    CHECK_EQ(lathe_profile_n_columns(p), 1);
    CHECK_EQ(lathe_profile_duplicate_rows(p), 0);
    CHECK_EQ(lathe_profile_target(p), LATHE_PROFILE_NO_COLUMN);
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(quantiles_interpolate_linearly_at_any_level)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double v[] = {30, 10, 20, 40.5};
    lathe__column *columns[] = {numeric(ctx, "x", v, N(v))};
    lathe_frame *frame = frame_of(ctx, columns, 1, N(v));
    const double levels[] = {0, 1, 0.1, 0.5, 0.9, 1.0 / 3};
    lathe_profile_options options;
    lathe_profile_options_init(&options);
    options.quantiles = levels;
    options.n_quantiles = N(levels);
    lathe_profile *p = profile_of(ctx, frame, &options);
    CHECK(p);
    const double *q = lathe_profile_column(p, 0)->numeric.quantiles;
    /* sorted 10 20 30 40.5; position = level * 3 */
    CHECK_NEAR(q[0], 10, 0);
    CHECK_NEAR(q[1], 40.5, 0);
    CHECK_NEAR(q[2], 13, 1e-12);    /* 0.3 of the way from 10 to 20 */
    CHECK_NEAR(q[3], 25, 1e-12);    /* halfway from 20 to 30 */
    CHECK_NEAR(q[4], 37.35, 1e-12); /* 0.7 of the way from 30 to 40.5 */
    CHECK_NEAR(q[5], 20, 1e-12);    /* position 1 */
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(numeric_edge_cases_one_value_and_none)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double one[] = {NAN, 7.5, NAN};
    const double none[] = {NAN, NAN, NAN};
    lathe__column *columns[] = {numeric(ctx, "one", one, 3), numeric(ctx, "none", none, 3)};
    lathe_frame *frame = frame_of(ctx, columns, 2, 3);
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    const lathe_column_profile *a = lathe_profile_column(p, 0);
    CHECK_NEAR(a->numeric.mean, 7.5, 0);
    CHECK(isnan(a->numeric.std)); /* pandas: std of one value is NaN */
    CHECK_NEAR(a->numeric.quantiles[0], 7.5, 0);
    CHECK_NEAR(a->numeric.quantiles[4], 7.5, 0);
    CHECK(!a->numeric.integer_valued);
    const lathe_column_profile *b = lathe_profile_column(p, 1);
    CHECK_EQ(b->count, 0);
    CHECK_EQ(b->distinct, 0);
    CHECK(isnan(b->numeric.min) && isnan(b->numeric.max) && isnan(b->numeric.mean));
    CHECK(isnan(b->numeric.quantiles[2]));
    CHECK(!b->numeric.integer_valued);
    CHECK_NEAR(b->missing_share, 1, 0);
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(numeric_distinct_counts_signed_zeros_once)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double v[] = {0.0, -0.0, 1.5, 1.5, NAN, 2, -1e300, 1e300};
    lathe__column *columns[] = {numeric(ctx, "x", v, N(v))};
    lathe_frame *frame = frame_of(ctx, columns, 1, N(v));
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    const lathe_column_profile *x = lathe_profile_column(p, 0);
    CHECK_EQ(x->distinct, 5);
    CHECK_EQ(x->numeric.zeros, 2);
    CHECK(!x->numeric.integer_valued);
    CHECK_NEAR(x->numeric.min, -1e300, 0);
    /* the compensated sum cancels the huge pair exactly: (1.5 + 1.5 + 2) / 7 */
    CHECK_NEAR(x->numeric.mean, 5.0 / 7, 1e-15);
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(numeric_mean_is_accurate_with_a_large_offset)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double v[] = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
    lathe__column *columns[] = {numeric(ctx, "x", v, N(v))};
    lathe_frame *frame = frame_of(ctx, columns, 1, N(v));
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    const lathe_column_profile *x = lathe_profile_column(p, 0);
    CHECK_NEAR(x->numeric.mean, 1e9 + 10, 0);
    CHECK_NEAR(x->numeric.std, sqrt(30.0), 1e-9); /* deviations -6 -3 3 6: 90 / 3 */
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

/* ---- categorical, boolean, text, datetime ----------------------------- */

TEST(categorical_top_orders_by_count_then_name)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const char *v[] = {"b", "a", "c", "b", NULL, "a", "d", "b", "c"};
    lathe__column *columns[] = {categorical(ctx, "c", v, N(v))};
    lathe_frame *frame = frame_of(ctx, columns, 1, N(v));
    lathe_profile_options options;
    lathe_profile_options_init(&options);
    options.top = 3;
    lathe_profile *p = profile_of(ctx, frame, &options);
    CHECK(p);
    const lathe_column_profile *c = lathe_profile_column(p, 0);
    CHECK_EQ(c->count, 8);
    CHECK_EQ(c->missing, 1);
    CHECK_EQ(c->distinct, 4);
    CHECK_EQ(c->n_top, 3);
    CHECK_STR(c->top[0].value, "b");
    CHECK_EQ(c->top[0].count, 3);
    CHECK_NEAR(c->top[0].share, 3.0 / 8, 1e-15);
    CHECK_STR(c->top[1].value, "a"); /* a and c tie at 2: by name */
    CHECK_STR(c->top[2].value, "c");
    CHECK_EQ(c->top[2].count, 2);
    CHECK(c->numeric.quantiles == NULL);
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(categorical_counts_only_the_frames_rows)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const char *v[] = {"x", "y", "y", "z"};
    lathe__column *columns[] = {categorical(ctx, "c", v, N(v))};
    lathe_frame *frame = frame_of(ctx, columns, 1, N(v));
    const size_t rows[] = {0, 0, 3};
    lathe_frame *taken = NULL;
    lathe_error err;
    CHECK_OK(lathe_frame_take(frame, rows, N(rows), &taken, &err), err);
    lathe_profile *p = profile_of(ctx, taken, NULL);
    CHECK(p);
    const lathe_column_profile *c = lathe_profile_column(p, 0);
    CHECK_EQ(c->count, 3);
    CHECK_EQ(c->distinct, 2); /* y is in the dictionary but not in these rows */
    CHECK_STR(c->top[0].value, "x");
    CHECK_EQ(c->top[0].count, 2);
    CHECK_EQ(lathe_profile_duplicate_rows(p), 1);
    lathe_profile_free(p);
    lathe_frame_free(taken);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(boolean_top_and_zero_top)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const int v[] = {1, 0, 1, -1, 1};
    lathe__column *columns[] = {boolean(ctx, "b", v, N(v))};
    lathe_frame *frame = frame_of(ctx, columns, 1, N(v));
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    const lathe_column_profile *b = lathe_profile_column(p, 0);
    CHECK_EQ(b->count, 4);
    CHECK_EQ(b->distinct, 2);
    CHECK_EQ(b->n_top, 2);
    CHECK_STR(b->top[0].value, "true");
    CHECK_EQ(b->top[0].count, 3);
    CHECK_STR(b->top[1].value, "false");
    CHECK_NEAR(b->top[1].share, 0.25, 0);
    lathe_profile_free(p);

    lathe_profile_options options;
    lathe_profile_options_init(&options);
    options.top = 0;
    p = profile_of(ctx, frame, &options);
    CHECK(p);
    CHECK_EQ(lathe_profile_column(p, 0)->n_top, 0);
    CHECK_EQ(lathe_profile_column(p, 0)->distinct, 2);
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(text_lengths_count_characters)
{
    lathe_ctx *ctx = lathe_ctx_new();
    /* "café" is 5 bytes, 4 characters; "" is a value, not missing */
    const char *v[] = {"café", "tea", NULL, "tea", "", "espresso"};
    lathe__column *columns[] = {text(ctx, "t", v, N(v))};
    lathe_frame *frame = frame_of(ctx, columns, 1, N(v));
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    const lathe_column_profile *t = lathe_profile_column(p, 0);
    CHECK_EQ(t->kind, LATHE_KIND_TEXT);
    CHECK_EQ(t->count, 5);
    CHECK_EQ(t->missing, 1);
    CHECK_EQ(t->distinct, 4);
    CHECK_EQ(t->length.min, 0);
    CHECK_EQ(t->length.max, 8);
    CHECK_NEAR(t->length.mean, (4 + 3 + 3 + 0 + 8) / 5.0, 1e-15);
    CHECK_EQ(t->n_top, 4);
    CHECK_STR(t->top[0].value, "tea");
    CHECK_EQ(t->top[0].count, 2);
    CHECK_STR(t->top[1].value, ""); /* ties by bytes: "" < "café" < "espresso" */
    CHECK_STR(t->top[2].value, "café");
    CHECK_STR(t->top[3].value, "espresso");
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(datetime_range_and_distinct)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const int64_t day = 86400LL * 1000000;
    const int64_t v[] = {3 * day, -day, INT64_MIN, 3 * day, 10 * day};
    lathe__column *columns[] = {datetime(ctx, "d", v, N(v))};
    columns[0]->date_only = true;
    lathe_frame *frame = frame_of(ctx, columns, 1, N(v));
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    const lathe_column_profile *d = lathe_profile_column(p, 0);
    CHECK_EQ(d->count, 4);
    CHECK_EQ(d->missing, 1);
    CHECK_EQ(d->distinct, 3);
    CHECK_EQ(d->datetime.min, -day);
    CHECK_EQ(d->datetime.max, 10 * day);
    CHECK(d->datetime.date_only);
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(frame_without_rows)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__column *columns[] = {numeric(ctx, "x", NULL, 0), text(ctx, "t", NULL, 0)};
    lathe_frame *frame = frame_of(ctx, columns, 2, 0);
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    CHECK_EQ(lathe_profile_n_rows(p), 0);
    CHECK_EQ(lathe_profile_column(p, 0)->count, 0);
    CHECK_NEAR(lathe_profile_column(p, 0)->missing_share, 0, 0);
    CHECK_EQ(lathe_profile_column(p, 1)->n_top, 0);
    CHECK_EQ(lathe_profile_n_warnings(p), 0);
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

/* ---- duplicates ------------------------------------------------------- */

TEST(duplicate_rows_compare_missing_cells_equal)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double x[] = {1, 1, NAN, NAN, NAN, 1, 1};
    const char *c[] = {"a", "a", "b", "b", NULL, "a", "b"};
    const char *t[] = {"p", "p", NULL, NULL, NULL, "p", "p"};
    lathe__column *columns[] = {numeric(ctx, "x", x, N(x)), categorical(ctx, "c", c, N(c)),
                                text(ctx, "t", t, N(t))};
    lathe_frame *frame = frame_of(ctx, columns, 3, N(x));
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    /* row 1 and 5 repeat row 0, row 3 repeats row 2; rows 4 and 6 are unique */
    CHECK_EQ(lathe_profile_duplicate_rows(p), 3);
    const lathe_profile_warning *w =
        find_warning(p, LATHE_PROFILE_WARN_DUPLICATE_ROWS, LATHE_PROFILE_NO_COLUMN);
    CHECK(w);
    CHECK_HAS(w->message, "3 of 7 rows");
    CHECK(lathe_profile_warning_at(p, 0) == w); /* the table-wide warning comes first */
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(no_duplicate_rows_no_warning)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double x[] = {1, 1, 2};
    const int b[] = {0, 1, 0};
    lathe__column *columns[] = {numeric(ctx, "x", x, 3), boolean(ctx, "b", b, 3)};
    lathe_frame *frame = frame_of(ctx, columns, 2, 3);
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    CHECK_EQ(lathe_profile_duplicate_rows(p), 0);
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_DUPLICATE_ROWS, LATHE_PROFILE_NO_COLUMN));
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(many_duplicates_are_counted_exactly)
{
    lathe_ctx *ctx = lathe_ctx_new();
    enum { ROWS = 5000 };
    double *x = calloc(ROWS, sizeof *x);
    for (size_t r = 0; r < ROWS; r++)
        x[r] = (double)(r % 7) + (r % 3 == 0 ? 0.5 : 0);
    lathe__column *columns[] = {numeric(ctx, "x", x, ROWS)};
    lathe_frame *frame = frame_of(ctx, columns, 1, ROWS);
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    /* r % 21 decides the row: 14 distinct values (7 residues, with or without .5) */
    CHECK_EQ(lathe_profile_column(p, 0)->distinct, 14);
    CHECK_EQ(lathe_profile_duplicate_rows(p), ROWS - 14);
    lathe_profile_free(p);
    lathe_frame_free(frame);
    free(x);
    lathe_ctx_free(ctx);
}

/* ---- warnings --------------------------------------------------------- */

TEST(constant_warning)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const char *same[] = {"k", NULL, "k", "k"};
    const char *two[] = {"k", "j", "k", "k"};
    const double x[] = {4, 4, NAN, 4};
    lathe__column *columns[] = {categorical(ctx, "same", same, 4), categorical(ctx, "two", two, 4),
                                numeric(ctx, "x", x, 4)};
    lathe_frame *frame = frame_of(ctx, columns, 3, 4);
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    const lathe_profile_warning *w = find_warning(p, LATHE_PROFILE_WARN_CONSTANT, 0);
    CHECK(w);
    CHECK_HAS(w->message, "column 'same' has one value (\"k\")");
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_CONSTANT, 1));
    w = find_warning(p, LATHE_PROFILE_WARN_CONSTANT, 2);
    CHECK(w);
    CHECK_HAS(w->message, "(4)");
    CHECK_STR(lathe_profile_warning_name(LATHE_PROFILE_WARN_CONSTANT), "constant");
    CHECK(lathe_profile_warning_name(LATHE_PROFILE_WARN_COUNT) == NULL);
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

/* 21 rows: ids 1..21, codes "c1".., a float column, and a declared id. */
TEST(id_like_warning)
{
    lathe_ctx *ctx = lathe_ctx_new();
    enum { ROWS = 21 };
    double ids[ROWS], floats[ROWS];
    char names[ROWS][8];
    const char *codes[ROWS];
    for (int r = 0; r < ROWS; r++) {
        ids[r] = r + 1;
        floats[r] = r + 0.5;
        snprintf(names[r], sizeof names[r], "c%d", r);
        codes[r] = names[r];
    }
    lathe__column *columns[] = {numeric(ctx, "id", ids, ROWS), numeric(ctx, "f", floats, ROWS),
                                categorical(ctx, "code", codes, ROWS),
                                text(ctx, "note", codes, ROWS), numeric(ctx, "key", ids, ROWS)};
    lathe_frame *frame = frame_of(ctx, columns, 5, ROWS);
    lathe_frame_set_role(frame, 4, LATHE_ROLE_ID);
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    const lathe_profile_warning *w = find_warning(p, LATHE_PROFILE_WARN_ID_LIKE, 0);
    CHECK(w);
    CHECK_HAS(w->message, "all 21 values are distinct");
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_ID_LIKE, 1)); /* not whole numbers */
    CHECK(find_warning(p, LATHE_PROFILE_WARN_ID_LIKE, 2));
    CHECK(find_warning(p, LATHE_PROFILE_WARN_ID_LIKE, 3));
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_ID_LIKE, 4)); /* already declared an id */
    lathe_profile_free(p);

    /* 20 rows are too few to tell */
    const size_t rows[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    lathe_frame *fewer = NULL;
    lathe_error err;
    CHECK_OK(lathe_frame_take(frame, rows, N(rows), &fewer, &err), err);
    p = profile_of(ctx, fewer, NULL);
    CHECK(p);
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_ID_LIKE, 0));
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_ID_LIKE, 2));
    lathe_profile_free(p);
    lathe_frame_free(fewer);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(heavy_missing_warning_above_half)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double half[] = {1, NAN, 2, NAN};
    const double most[] = {1, NAN, NAN, NAN};
    lathe__column *columns[] = {numeric(ctx, "half", half, 4), numeric(ctx, "most", most, 4)};
    lathe_frame *frame = frame_of(ctx, columns, 2, 4);
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_HEAVY_MISSING, 0));
    const lathe_profile_warning *w = find_warning(p, LATHE_PROFILE_WARN_HEAVY_MISSING, 1);
    CHECK(w);
    CHECK_HAS(w->message, "column 'most' is 75% missing (3 of 4 rows)");
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(mixed_types_warning_between_5_and_95_percent)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const char *mixed[] = {"1", "2.5", " 3 ", "n/a", "-4e2"}; /* 4 of 5 numbers */
    const char *all[] = {"1", "2", "3", "4", "5"};
    const char *words[] = {"a", "b", "0x10", "nan", "1e"}; /* none count as numbers */
    lathe__column *columns[] = {categorical(ctx, "mixed", mixed, 5), text(ctx, "all", all, 5),
                                text(ctx, "words", words, 5), text(ctx, "mixed_text", mixed, 5)};
    lathe_frame *frame = frame_of(ctx, columns, 4, 5);
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    const lathe_profile_warning *w = find_warning(p, LATHE_PROFILE_WARN_MIXED_TYPES, 0);
    CHECK(w);
    CHECK_HAS(w->message, "4 of 5 values (80%)");
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_MIXED_TYPES, 1));
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_MIXED_TYPES, 2));
    CHECK(find_warning(p, LATHE_PROFILE_WARN_MIXED_TYPES, 3));
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(high_cardinality_warning)
{
    lathe_ctx *ctx = lathe_ctx_new();
    enum { ROWS = 300 };
    char names[ROWS][8];
    const char *many[ROWS], *some[ROWS];
    for (int r = 0; r < ROWS; r++) {
        snprintf(names[r], sizeof names[r], "v%d", r);
        many[r] = names[r / 2]; /* 150 categories of 2 rows: 50% distinct, not more */
        some[r] = names[r % 101];
    }
    many[0] = names[299]; /* 151 categories: just over half */
    lathe__column *columns[] = {categorical(ctx, "many", many, ROWS),
                                categorical(ctx, "some", some, ROWS)};
    lathe_frame *frame = frame_of(ctx, columns, 2, ROWS);
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    CHECK_EQ(lathe_profile_column(p, 0)->distinct, 151);
    const lathe_profile_warning *w = find_warning(p, LATHE_PROFILE_WARN_HIGH_CARDINALITY, 0);
    CHECK(w);
    CHECK_HAS(w->message, "151 categories among 300 values");
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_HIGH_CARDINALITY, 1)); /* 101 of 300 */
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_ID_LIKE, 0));
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

/* ---- target and leakage ----------------------------------------------- */

TEST(target_classes_and_leaks)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const char *y[] = {"yes", "no", "yes", "yes", NULL, "no"};
    const char *copy[] = {"yes", "no", "yes", "yes", "maybe", "no"}; /* equal where y is known */
    const char *coded[] = {"Y", "N", "Y", "Y", "N", "N"};            /* one-to-one */
    const double number[] = {1, 0, 1, 1, 0, 0};                      /* one-to-one */
    const double noisy[] = {1, 0, 1, 0, 0, 0};                       /* not */
    const int flag[] = {1, 0, 1, 1, 1, 1};                           /* not */
    lathe__column *columns[] = {numeric(ctx, "number", number, 6), categorical(ctx, "y", y, 6),
                                categorical(ctx, "copy", copy, 6), text(ctx, "coded", coded, 6),
                                numeric(ctx, "noisy", noisy, 6),   boolean(ctx, "flag", flag, 6)};
    lathe_frame *frame = frame_of(ctx, columns, 6, 6);
    lathe_profile_options options;
    lathe_profile_options_init(&options);
    options.target = "y";
    lathe_profile *p = profile_of(ctx, frame, &options);
    CHECK(p);
    CHECK_EQ(lathe_profile_target(p), 1);
    CHECK_EQ(lathe_profile_column(p, 1)->role, LATHE_ROLE_TARGET);
    size_t n_classes;
    const lathe_value_count *classes = lathe_profile_classes(p, &n_classes);
    CHECK_EQ(n_classes, 2);
    CHECK_STR(classes[0].value, "yes");
    CHECK_EQ(classes[0].count, 3);
    CHECK_NEAR(classes[0].share, 0.6, 1e-15);
    CHECK_STR(classes[1].value, "no");
    CHECK_NEAR(classes[1].share, 0.4, 1e-15);

    const lathe_profile_warning *w = find_warning(p, LATHE_PROFILE_WARN_TARGET_LEAK, 2);
    CHECK(w);
    CHECK_HAS(w->message, "column 'copy' is identical to the target 'y'");
    w = find_warning(p, LATHE_PROFILE_WARN_TARGET_LEAK, 3);
    CHECK(w);
    CHECK_HAS(w->message, "maps one-to-one onto the target 'y'");
    CHECK(find_warning(p, LATHE_PROFILE_WARN_TARGET_LEAK, 0));
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_TARGET_LEAK, 4));
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_TARGET_LEAK, 5));
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_TARGET_LEAK, 1));
    /* warnings stay in column order though the target is profiled first */
    size_t last = 0;
    for (size_t i = 0; i < lathe_profile_n_warnings(p); i++) {
        size_t column = lathe_profile_warning_at(p, i)->column;
        if (column == LATHE_PROFILE_NO_COLUMN)
            continue;
        CHECK(column >= last);
        last = column;
    }
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(numeric_target_by_index_or_role)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double price[] = {10.5, 20.25, 30, 40, 55.5};
    const double same[] = {10.5, 20.25, 30, 40, 55.5};
    const double ranks[] = {1, 2, 3, 4, 5}; /* one-to-one, but the target never repeats */
    lathe__column *columns[] = {numeric(ctx, "ranks", ranks, 5), numeric(ctx, "price", price, 5),
                                numeric(ctx, "same", same, 5)};
    lathe_frame *frame = frame_of(ctx, columns, 3, 5);
    lathe_profile_options options;
    lathe_profile_options_init(&options);
    options.target_column = 1;
    lathe_profile *p = profile_of(ctx, frame, &options);
    CHECK(p);
    CHECK_EQ(lathe_profile_target(p), 1);
    size_t n_classes = 99;
    CHECK(lathe_profile_classes(p, &n_classes) == NULL);
    CHECK_EQ(n_classes, 0);
    CHECK_NEAR(lathe_profile_column(p, 1)->numeric.mean, 31.25, 1e-12);
    CHECK(find_warning(p, LATHE_PROFILE_WARN_TARGET_LEAK, 2));
    CHECK(!find_warning(p, LATHE_PROFILE_WARN_TARGET_LEAK, 0));
    lathe_profile_free(p);

    lathe_frame_set_role(frame, 2, LATHE_ROLE_TARGET);
    p = profile_of(ctx, frame, NULL);
    CHECK(p);
    CHECK_EQ(lathe_profile_target(p), 2);
    lathe_profile_free(p);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

TEST(bad_options_are_errors)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double x[] = {1, 2};
    lathe__column *columns[] = {numeric(ctx, "x", x, 2)};
    lathe_frame *frame = frame_of(ctx, columns, 1, 2);
    lathe_profile_options options;
    lathe_profile_options_init(&options);
    lathe_profile *p = NULL;
    lathe_error err;

    options.target = "nope";
    CHECK_EQ(lathe_profile_new(ctx, frame, &options, &p, &err), LATHE_NOT_FOUND);
    CHECK_STR(err.message, "no column named 'nope' for the target");
    CHECK(p == NULL);

    lathe_profile_options_init(&options);
    options.target_column = 1;
    CHECK_EQ(lathe_profile_new(ctx, frame, &options, &p, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "out of range");

    const double levels[] = {0.5, 1.5};
    lathe_profile_options_init(&options);
    options.quantiles = levels;
    options.n_quantiles = 2;
    CHECK_EQ(lathe_profile_new(ctx, frame, &options, &p, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "quantile level 1.5 is outside [0, 1]");
    CHECK(p == NULL);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

/* ---- progress, cancellation, out of memory ---------------------------- */

typedef struct progress_log {
    int calls;
    int cancel_at;
    double last_done, last_total;
} progress_log;

static int on_progress(void *user, const char *stage, double done, double total)
{
    progress_log *log = user;
    log->calls++;
    log->last_done = done;
    log->last_total = total;
    return strcmp(stage, "describe") == 0 && log->calls == log->cancel_at;
}

TEST(progress_reports_each_column_and_cancels)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double x[] = {1, 2, 3};
    const char *c[] = {"a", "b", "a"};
    lathe__column *columns[] = {numeric(ctx, "x", x, 3), categorical(ctx, "c", c, 3),
                                text(ctx, "t", c, 3)};
    lathe_frame *frame = frame_of(ctx, columns, 3, 3);
    progress_log log = {0, 0, 0, 0};
    lathe_ctx_set_progress(ctx, on_progress, &log);
    lathe_profile *p = profile_of(ctx, frame, NULL);
    CHECK(p);
    CHECK_EQ(log.calls, 4);
    CHECK_NEAR(log.last_done, log.last_total, 0);
    lathe_profile_free(p);

    for (int at = 1; at <= 4; at++) {
        log = (progress_log){0, at, 0, 0};
        lathe_error err;
        p = NULL;
        CHECK_EQ(lathe_profile_new(ctx, frame, NULL, &p, &err), LATHE_CANCELED);
        CHECK(p == NULL);
        CHECK_STR(err.message, "describe canceled");
        CHECK_EQ(log.calls, at);
    }
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}

typedef struct failing_allocator {
    int allocations_left;
    int live;
} failing_allocator;

static void *failing_malloc(void *user, size_t size)
{
    failing_allocator *a = user;
    if (a->allocations_left-- <= 0)
        return NULL;
    a->live++;
    return malloc(size);
}

static void *failing_realloc(void *user, void *ptr, size_t size)
{
    failing_allocator *a = user;
    if (a->allocations_left-- <= 0)
        return NULL;
    if (!ptr)
        a->live++;
    return realloc(ptr, size);
}

static void failing_free(void *user, void *ptr)
{
    failing_allocator *a = user;
    if (ptr)
        a->live--;
    free(ptr);
}

/* Every allocation in turn fails: each failure is NOMEM, frees what it took, and leaves no profile.
 */
TEST(out_of_memory_at_every_allocation)
{
    lathe_ctx *ctx = lathe_ctx_new();
    const double x[] = {1, 2, 2, NAN, 5};
    const char *c[] = {"a", "b", "a", NULL, "b"};
    const int b[] = {1, 0, 0, -1, 1};
    const int64_t d[] = {5, 6, 6, INT64_MIN, 7};
    lathe__column *columns[] = {numeric(ctx, "x", x, 5), categorical(ctx, "c", c, 5),
                                text(ctx, "t", c, 5), boolean(ctx, "b", b, 5),
                                datetime(ctx, "d", d, 5)};
    lathe_frame *frame = frame_of(ctx, columns, 5, 5);
    lathe_profile_options options;
    lathe_profile_options_init(&options);
    options.target = "c";
    bool succeeded = false;
    for (int budget = 0; budget < 1000 && !succeeded; budget++) {
        failing_allocator state = {1, 0}; /* the context itself */
        lathe_allocator allocator = {failing_malloc, failing_realloc, failing_free, &state};
        lathe_ctx *limited = lathe_ctx_new_with_allocator(&allocator);
        state.allocations_left = budget;
        lathe_profile *p = NULL;
        lathe_error err;
        lathe_status status = lathe_profile_new(limited, frame, &options, &p, &err);
        if (status == LATHE_OK) {
            succeeded = true;
            CHECK_EQ(lathe_profile_n_warnings(p) > 0, 1);
            lathe_profile_free(p);
        } else {
            CHECK_EQ(status, LATHE_NOMEM);
            CHECK(p == NULL);
        }
        CHECK_EQ(state.live, 1); /* only the context is left */
        lathe_ctx_free(limited);
    }
    CHECK(succeeded);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
}
