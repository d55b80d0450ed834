/*
 * test_read_libsvm.c: the LibSVM/SVMlight reader: sparse features filled
 * with 0, the column layout (label, qid, f1..fN), numeric and multiclass
 * labels, every error it reports (exact text, line and column), its limits
 * and progress.
 */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "lathe/lathe.h"

static lathe_ctx *ctx;

static void free_ctx(void)
{
    lathe_ctx_free(ctx);
}

static lathe_status read_text(const char *text, const lathe_read_options *options,
                              lathe_frame **frame, lathe_error *err)
{
    if (!ctx) {
        ctx = lathe_ctx_new();
        atexit(free_ctx);
    }
    lathe_error_clear(err);
    *frame = NULL;
    return lathe_read_buffer(ctx, text, strlen(text), "t.svm", options, frame, err);
}

/* Reads text expecting failure, and checks the status and the whole message. */
#define CHECK_READ_FAILS(text, options, status, expected)                                          \
    do {                                                                                           \
        lathe_frame *failed_ = NULL;                                                               \
        lathe_error err_;                                                                          \
        CHECK_EQ(read_text((text), (options), &failed_, &err_), (status));                         \
        CHECK(failed_ == NULL);                                                                    \
        CHECK_STR(err_.message, (expected));                                                       \
    } while (0)

static const char *category(const lathe_frame *frame, size_t col, size_t row)
{
    return lathe_frame_category_name(frame, col, lathe_frame_category(frame, col, row));
}

TEST(libsvm_sparse_features_are_zero_filled)
{
    /* f4 never appears but is below the largest index, so it exists, all 0;
     * f5 first appears on the last line, so earlier lines get 0 for it. */
    const char *text = "# a comment line\n"
                       "+1 1:0.5 3:2 # a trailing comment\n"
                       "\n"
                       "-1\t2:1e-3\r\n"
                       "  0 \n"
                       "1 1:-4 5:1e3\n";
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text(text, NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 4);
    CHECK_EQ(lathe_frame_n_columns(f), 6);
    static const char *const names[] = {"label", "f1", "f2", "f3", "f4", "f5"};
    for (size_t c = 0; c < 6; c++) {
        CHECK_STR(lathe_frame_column_name(f, c), names[c]);
        CHECK_EQ(lathe_frame_column_kind(f, c), LATHE_KIND_NUMERIC);
        CHECK_EQ(lathe_frame_column_missing(f, c), 0);
    }
    static const double expected[4][6] = {
        {1, 0.5, 0, 2, 0, 0},
        {-1, 0, 1e-3, 0, 0, 0},
        {0, 0, 0, 0, 0, 0},
        {1, -4, 0, 0, 0, 1e3},
    };
    for (size_t r = 0; r < 4; r++) {
        for (size_t c = 0; c < 6; c++)
            CHECK_MSG(lathe_frame_numeric(f, c, r) == expected[r][c], "row %zu column %zu", r, c);
    }
    lathe_frame_free(f);
}

TEST(libsvm_multiclass_labels_are_categories)
{
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("cat 1:1\ndog 2:1\ncat 1:2 2:2\n", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    CHECK_EQ(lathe_frame_n_categories(f, 0), 2);
    CHECK_STR(category(f, 0, 1), "dog");
    CHECK_EQ(lathe_frame_category_count(f, 0, lathe_frame_category(f, 0, 2)), 2);
    CHECK_EQ(lathe_frame_numeric(f, 2, 2), 2.0);
    CHECK_EQ(lathe_frame_numeric(f, 2, 0), 0.0);
    lathe_frame_free(f);

    /* A single line: pass 2 starts on the row pass 1 ended on. */
    CHECK_OK(read_text("cat 1:1 2:3\n", NULL, &f, &err), err);
    CHECK_STR(category(f, 0, 0), "cat");
    CHECK_EQ(lathe_frame_numeric(f, 2, 0), 3.0);
    lathe_frame_free(f);
}

TEST(libsvm_qid_is_a_column)
{
    /* qid comes right after the label; lines without one have it missing. */
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("3 1:1 2:1\n2 qid:7 1:0.5\n1 qid:-2\n", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_columns(f), 4);
    CHECK_STR(lathe_frame_column_name(f, 1), "qid");
    CHECK_STR(lathe_frame_column_name(f, 2), "f1");
    CHECK(lathe_frame_is_missing(f, 1, 0));
    CHECK_EQ(lathe_frame_numeric(f, 1, 1), 7.0);
    CHECK_EQ(lathe_frame_numeric(f, 1, 2), -2.0);
    CHECK_EQ(lathe_frame_numeric(f, 2, 1), 0.5);
    lathe_frame_free(f);
}

TEST(libsvm_declared_kinds)
{
    /* A feature declared categorical whose column is added after the first
     * line (once a crash in the builder's zero backfill). */
    lathe_column_decl decls[] = {
        {.name = "f2", .has_kind = true, .kind = LATHE_KIND_CATEGORICAL},
        {.name = "label", .has_role = true, .role = LATHE_ROLE_TARGET},
    };
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.columns = decls;
    options.n_columns = 2;
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("1 1:1\n0 2:5\n1 1:2\n", &options, &f, &err), err);
    CHECK_EQ(lathe_frame_column_kind(f, 2), LATHE_KIND_CATEGORICAL);
    CHECK_STR(category(f, 2, 0), "0");
    CHECK_STR(category(f, 2, 1), "5");
    CHECK_EQ(lathe_frame_column_role(f, 0), LATHE_ROLE_TARGET);
    lathe_frame_free(f);
}

TEST(libsvm_errors)
{
    struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"", "t.svm: no data (the input is empty)"},
        {"# nothing\n\n", "t.svm: no data (the input is empty)"},
        {"1 1:1\n1 3:1 2:1\n", "t.svm:2:7: feature indices must increase (2 after 3)"},
        {"1 2:1 2:1\n", "t.svm:1:7: feature indices must increase (2 after 2)"},
        {"1 0:1\n", "t.svm:1:3: feature indices start at 1, found 0"},
        {"1 a:1\n", "t.svm:1:3: expected INDEX:VALUE, found \"a:1\""},
        {"1 7\n", "t.svm:1:3: expected INDEX:VALUE, found \"7\""},
        {"1 -1:2\n", "t.svm:1:3: expected INDEX:VALUE, found \"-1:2\""},
        {"1 1:x\n", "t.svm:1:5: expected a number, found \"x\""},
        {"1 1:\n", "t.svm:1:5: expected a number, found \"\""},
        {"1 1:nan\n", "t.svm:1:5: expected a number, found \"nan\""},
        {"1 1:1e999\n", "t.svm:1:5: number out of range: \"1e999\""},
        {"1 1:2 qid:3\n", "t.svm:1:7: qid must come right after the label"},
        {"1 qid:1 qid:2\n", "t.svm:1:9: qid must come right after the label"},
        {"1 qid:1.5 1:1\n", "t.svm:1:7: qid must be an integer, found \"1.5\""},
        {"1 1:1\n  2:1 3:1\n", "t.svm:2:3: expected a label before \"2:1\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_READ_FAILS(cases[i].text, NULL, LATHE_PARSE, cases[i].message);
    CHECK_READ_FAILS("1 99999999999999999999999:1\n", NULL, LATHE_LIMIT,
                     "t.svm:1:3: feature index 99999999999999999999999 is beyond the column "
                     "limit of 100000");
}

TEST(libsvm_limits_are_enforced)
{
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.limits.max_columns = 4;
    CHECK_READ_FAILS("1 1:1\n2 5:1\n", &options, LATHE_LIMIT,
                     "t.svm:2:3: feature index 5 is beyond the column limit of 4");
    CHECK_READ_FAILS("1 1:1\n2 4:1\n", &options, LATHE_LIMIT,
                     "t.svm:2:3: more than 4 columns (the column limit)");
    lathe_read_options_init(&options);
    options.limits.max_line_bytes = 10;
    CHECK_READ_FAILS("1 1:1\n2 1:1 2:2.5\n", &options, LATHE_LIMIT,
                     "t.svm:2:1: a line longer than the limit of 10 bytes");
    lathe_read_options_init(&options);
    options.limits.max_cell_bytes = 3;
    CHECK_READ_FAILS("abc 1:1\nabcd 1:1\n", &options, LATHE_LIMIT,
                     "t.svm:2:1: a cell of 4 bytes, more than the limit of 3");
    lathe_read_options_init(&options);
    options.limits.max_rows = 2;
    CHECK_READ_FAILS("1 1:1\n2 1:1\n3 1:1\n", &options, LATHE_LIMIT,
                     "t.svm:3:1: more than 2 rows (the row limit)");
    lathe_read_options_init(&options);
    options.limits.max_memory_bytes = 1 << 16;
    /* Adding f1..f10000 stops once their storage passes the limit. */
    lathe_frame *f;
    lathe_error err;
    CHECK_EQ(read_text("1 1:1\n2 10000:1\n", &options, &f, &err), LATHE_LIMIT);
    CHECK(f == NULL);
    CHECK_HAS(err.message, "t.svm:2:3: the table needs more memory than the limit of 65536 bytes");
}

typedef struct progress_log {
    size_t calls;
    int cancel;
} progress_log;

static int on_progress(void *user, const char *stage, double done, double total)
{
    progress_log *log = user;
    log->calls += strcmp(stage, "read") == 0 && done <= total;
    return log->cancel;
}

TEST(libsvm_reports_progress_and_can_be_canceled)
{
    /* The first label could start a boolean column, so the label column is
     * built in a second pass: both passes report progress. */
    size_t n = 70000, size = n * 24 + 16, at = 0;
    char *text = malloc(size);
    for (size_t i = 0; i < n; i++) {
        if (i == 0)
            at += (size_t)snprintf(text + at, size - at, "true 1:%zu 3:0.5\n", i);
        else
            at += (size_t)snprintf(text + at, size - at, "c%zu 1:%zu 3:0.5\n", i % 4, i);
    }
    progress_log log = {0};
    lathe_frame *f;
    lathe_error err;
    read_text("1 1:1", NULL, &f, &err); /* makes ctx */
    lathe_frame_free(f);
    lathe_ctx_set_progress(ctx, on_progress, &log);
    lathe_status status = read_text(text, NULL, &f, &err);
    CHECK_OK(status, err);
    CHECK_EQ(lathe_frame_n_rows(f), 70000);
    CHECK_EQ(lathe_frame_n_categories(f, 0), 5);
    CHECK_EQ(lathe_frame_numeric(f, 1, 69999), 69999.0);
    lathe_frame_free(f);
    CHECK(log.calls >= 2);
    log.cancel = 1;
    status = read_text(text, NULL, &f, &err);
    lathe_ctx_set_progress(ctx, NULL, NULL);
    free(text);
    CHECK_EQ(status, LATHE_CANCELED);
    CHECK_STR(err.message, "t.svm: reading canceled");
}
