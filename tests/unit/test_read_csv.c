/* test_read_csv.c: the CSV/TSV reader and the type inference it shares with every reader. */
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
    return lathe_read_buffer(ctx, text, strlen(text), "t.csv", options, frame, err);
}

/* Reads text expecting failure, and checks the message. */
#define CHECK_READ_FAILS(text, options, status, expected)                                          \
    do {                                                                                           \
        lathe_frame *failed_ = NULL;                                                               \
        lathe_error err_;                                                                          \
        CHECK_EQ(read_text((text), (options), &failed_, &err_), (status));                         \
        CHECK(failed_ == NULL);                                                                    \
        CHECK_STR(err_.message, (expected));                                                       \
    } while (0)

static size_t column(const lathe_frame *frame, const char *name)
{
    size_t index = (size_t)-1;
    lathe_frame_find(frame, name, &index);
    return index;
}

TEST(reads_numbers_and_categories)
{
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("a,b,c\n1,x,2.5\n2,y,-3e2\n3,x,\n", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 3);
    CHECK_EQ(lathe_frame_n_columns(f), 3);
    CHECK_STR(lathe_frame_column_name(f, 1), "b");
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_column_kind(f, 1), LATHE_KIND_CATEGORICAL);
    CHECK_EQ(lathe_frame_column_kind(f, 2), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_numeric(f, 2, 1), -300.0);
    CHECK(lathe_frame_is_missing(f, 2, 2));
    CHECK(isnan(lathe_frame_numeric(f, 2, 2)));
    CHECK_EQ(lathe_frame_column_missing(f, 2), 1);
    CHECK_EQ(lathe_frame_n_categories(f, 1), 2);
    CHECK_STR(lathe_frame_category_name(f, 1, lathe_frame_category(f, 1, 2)), "x");
    CHECK_EQ(lathe_frame_category_count(f, 1, lathe_frame_category(f, 1, 0)), 2);
    lathe_frame_free(f);
}

TEST(whole_column_decides_the_kind)
{
    /* A non-number in the last row makes the whole column categorical. */
    char *text = malloc(10000 * 4 + 16);
    size_t n = 0;
    n += (size_t)snprintf(text + n, 16, "v\n");
    for (int i = 0; i < 9999; i++)
        n += (size_t)snprintf(text + n, 8, "%d\n", i % 100);
    snprintf(text + n, 8, "abc\n");
    lathe_frame *f;
    lathe_error err;
    lathe_status status = read_text(text, NULL, &f, &err);
    free(text);
    CHECK_OK(status, err);
    CHECK_EQ(lathe_frame_n_rows(f), 10000);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    CHECK_EQ(lathe_frame_n_categories(f, 0), 101);
    CHECK_STR(lathe_frame_category_name(f, 0, lathe_frame_category(f, 0, 9999)), "abc");
    lathe_frame_free(f);
}

TEST(quoting_per_rfc_4180)
{
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("\xef\xbb\xbfname,note\r\n\"Smith, J\",\"said \"\"hi\"\"\"\r\n"
                       "\"multi\nline\",plain\r\n",
                       NULL, &f, &err),
             err);
    CHECK_EQ(lathe_frame_n_rows(f), 2);
    CHECK_STR(lathe_frame_column_name(f, 0), "name");
    size_t name = column(f, "name"), note = column(f, "note");
    CHECK_STR(lathe_frame_category_name(f, name, lathe_frame_category(f, name, 0)), "Smith, J");
    CHECK_STR(lathe_frame_category_name(f, note, lathe_frame_category(f, note, 0)), "said \"hi\"");
    CHECK_STR(lathe_frame_category_name(f, name, lathe_frame_category(f, name, 1)), "multi\nline");
    lathe_frame_free(f);
}

TEST(sniffs_delimiters)
{
    const char *inputs[] = {"a;b\n1;2\n3;4\n", "a\tb\n1\t2\n3\t4\n", "a|b\n1|2\n3|4\n",
                            "a,b\n1,2\n3,4\n"};
    for (size_t i = 0; i < 4; i++) {
        lathe_frame *f;
        lathe_error err;
        CHECK_OK(read_text(inputs[i], NULL, &f, &err), err);
        CHECK_EQ(lathe_frame_n_columns(f), 2);
        CHECK_EQ(lathe_frame_numeric(f, 1, 1), 4.0);
        lathe_frame_free(f);
    }
}

TEST(detects_a_missing_header)
{
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("1,x\n2,y\n", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 2);
    CHECK_STR(lathe_frame_column_name(f, 0), "column_1");
    CHECK_STR(lathe_frame_column_name(f, 1), "column_2");
    lathe_frame_free(f);

    lathe_read_options options;
    lathe_read_options_init(&options);
    options.header = 0;
    CHECK_OK(read_text("a,b\n1,2\n", &options, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 2);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    lathe_frame_free(f);
}

TEST(missing_tokens)
{
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("a\n1\nNA\nN/A\nNaN\nnull\n?\n\"\"\n7\n", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 8);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_column_missing(f, 0), 6);

    lathe_frame_free(f);
    const char *tokens[] = {"-"};
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.missing_tokens = tokens;
    options.n_missing_tokens = 1;
    CHECK_OK(read_text("a,b\n-,NA\n2,x\n", &options, &f, &err), err);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_column_missing(f, 0), 1);
    CHECK_EQ(lathe_frame_column_missing(f, 1), 0);
    CHECK_EQ(lathe_frame_n_categories(f, 1), 2);
    lathe_frame_free(f);
}

TEST(booleans_datetimes_and_text)
{
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("flag,day,when,comment\n"
                       "true,2024-01-05,2024-01-05T10:00:00Z,the first comment is long enough\n"
                       "FALSE,2024-02-29,2024-01-05 11:30:00+01:00,and the second one differs "
                       "from it\n",
                       NULL, &f, &err),
             err);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_BOOLEAN);
    CHECK(lathe_frame_boolean(f, 0, 0));
    CHECK(!lathe_frame_boolean(f, 0, 1));
    CHECK_EQ(lathe_frame_column_kind(f, 1), LATHE_KIND_DATETIME);
    CHECK_EQ(lathe_frame_datetime(f, 1, 0), 1704412800LL * 1000000);
    CHECK_EQ(lathe_frame_column_kind(f, 2), LATHE_KIND_DATETIME);
    CHECK_EQ(lathe_frame_datetime(f, 2, 1), (1704412800LL + 10 * 3600 + 1800) * 1000000);
    CHECK_EQ(lathe_frame_column_kind(f, 3), LATHE_KIND_TEXT);
    size_t length;
    const char *text = lathe_frame_text(f, 3, 0, &length);
    CHECK_EQ(length, strlen("the first comment is long enough"));
    CHECK(memcmp(text, "the first comment is long enough", length) == 0);
    lathe_frame_free(f);
}

TEST(declared_kinds_override_inference)
{
    lathe_column_decl decls[] = {
        {.name = "zip", .has_kind = true, .kind = LATHE_KIND_CATEGORICAL},
        {.name = "y", .has_role = true, .role = LATHE_ROLE_TARGET},
    };
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.columns = decls;
    options.n_columns = 2;
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("zip,y\n02139,1\n10001,0\n", &options, &f, &err), err);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    CHECK_STR(lathe_frame_category_name(f, 0, 0), "02139");
    CHECK_EQ(lathe_frame_column_role(f, 1), LATHE_ROLE_TARGET);
    lathe_frame_free(f);

    lathe_column_decl numeric = {.name = "a", .has_kind = true, .kind = LATHE_KIND_NUMERIC};
    options.columns = &numeric;
    options.n_columns = 1;
    CHECK_READ_FAILS("a\n1\n2\nabc\n", &options, LATHE_PARSE,
                     "t.csv:4:1: column \"a\" is numeric, found \"abc\"");
    lathe_column_decl absent = {.name = "nope", .has_kind = true, .kind = LATHE_KIND_NUMERIC};
    options.columns = &absent;
    CHECK_READ_FAILS("a\n1\n", &options, LATHE_NOT_FOUND,
                     "declared column \"nope\" is not in the data");
}

TEST(errors_name_file_line_and_column)
{
    CHECK_READ_FAILS("a,b\n1,2\n3\n", NULL, LATHE_PARSE, "t.csv:3:1: expected 2 fields, found 1");
    CHECK_READ_FAILS("a,b\n1,2\n3,4,5\n", NULL, LATHE_PARSE,
                     "t.csv:3:1: expected 2 fields, found 3");
    CHECK_READ_FAILS("a,b\n1,\"open\n2,3\n", NULL, LATHE_PARSE,
                     "t.csv:2:3: unterminated quoted field");
    CHECK_READ_FAILS("a,b\n1,\"x\"y\n", NULL, LATHE_PARSE,
                     "t.csv:2:6: unexpected character after a closing quote (a quote inside a "
                     "quoted field must be doubled)");
    CHECK_READ_FAILS("a,a\n1,2\n", NULL, LATHE_PARSE,
                     "t.csv:1:1: duplicate column name \"a\" (columns 1 and 2)");
    CHECK_READ_FAILS("a,b\n1,1e999\n", NULL, LATHE_PARSE,
                     "t.csv:2:3: number out of range in column \"b\": 1e999 (declare the column "
                     "categorical to keep it as text)");
    CHECK_READ_FAILS("a,b\n1,caf\xc3\n2,x\n", NULL, LATHE_PARSE,
                     "t.csv:2:3: invalid UTF-8 at byte 4 of the value");
    CHECK_READ_FAILS("a,\xff\n1,2\n", NULL, LATHE_PARSE,
                     "t.csv:1:1: column name is not valid UTF-8 (byte 1)");
    CHECK_READ_FAILS("", NULL, LATHE_PARSE, "t.csv: no data (the input is empty)");
}

TEST(limits_are_enforced)
{
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.limits.max_columns = 2;
    CHECK_READ_FAILS("a,b,c\n1,2,3\n", &options, LATHE_LIMIT,
                     "t.csv:1: more than 2 columns (the limit)");
    lathe_read_options_init(&options);
    options.limits.max_cell_bytes = 4;
    CHECK_READ_FAILS("a\nabcdef\n", &options, LATHE_LIMIT,
                     "t.csv:2:1: a cell of 6 bytes, more than the limit of 4");
    lathe_read_options_init(&options);
    options.limits.max_line_bytes = 8;
    CHECK_READ_FAILS("a,b\n1,2\n12345,6789\n", &options, LATHE_LIMIT,
                     "t.csv:3:1: a record longer than the limit of 8 bytes");
    lathe_read_options_init(&options);
    options.limits.max_rows = 2;
    CHECK_READ_FAILS("a\n1\n2\n3\n", &options, LATHE_LIMIT,
                     "t.csv:4:1: more than 2 rows (the row limit)");
    lathe_read_options_init(&options);
    options.limits.max_memory_bytes = 64;
    CHECK_READ_FAILS("a,b,c,d\n1,2,3,4\n", &options, LATHE_LIMIT,
                     "t.csv:2:1: the table needs more memory than the limit of 64 bytes (4 "
                     "columns)");
}

TEST(select_and_take_share_columns)
{
    lathe_frame *f, *cols, *rows;
    lathe_error err;
    CHECK_OK(read_text("a,b\n1,x\n2,y\n3,x\n4,\n", NULL, &f, &err), err);
    size_t pick[] = {1};
    CHECK_OK(lathe_frame_select(f, pick, 1, &cols, &err), err);
    size_t take[] = {3, 0, 0};
    CHECK_OK(lathe_frame_take(cols, take, 3, &rows, &err), err);
    lathe_frame_free(f);
    lathe_frame_free(cols);
    CHECK_EQ(lathe_frame_n_rows(rows), 3);
    CHECK_EQ(lathe_frame_n_columns(rows), 1);
    CHECK(lathe_frame_is_missing(rows, 0, 0));
    CHECK_EQ(lathe_frame_column_missing(rows, 0), 1);
    CHECK_STR(lathe_frame_category_name(rows, 0, lathe_frame_category(rows, 0, 2)), "x");
    size_t bad[] = {3};
    CHECK_EQ(lathe_frame_take(rows, bad, 1, &f, &err), LATHE_INVALID);
    CHECK_STR(err.message, "row 3 is out of range (the frame has 3)");
    lathe_frame_free(rows);
}

TEST(spaces_around_unquoted_fields_are_trimmed)
{
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("a , b\n 1 , x y \n2,\" q \"\n", NULL, &f, &err), err);
    CHECK_STR(lathe_frame_column_name(f, 1), "b");
    CHECK_EQ(lathe_frame_numeric(f, 0, 0), 1.0);
    CHECK_STR(lathe_frame_category_name(f, 1, 0), "x y");
    CHECK_STR(lathe_frame_category_name(f, 1, 1), " q ");
    lathe_frame_free(f);
}
