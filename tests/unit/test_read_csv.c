/*
 * test_read_csv.c: the CSV/TSV reader and the type inference it shares with
 * every reader.
 *
 * Every read_text also reads the same text streamed from a file, as
 * lathe_read does, in windows of a few bytes (so records cross window ends
 * everywhere) up to the default, and checks that the frame or the error is
 * the same: every test here tests the streaming reader too. Two of those
 * readings split every record as text rather than as a number row (the
 * fast path for numbers), which must not change anything either.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/number.h"
#include "data/readers.h"
#include "harness.h"
#include "lathe/lathe.h"

static lathe_ctx *ctx;

static void free_ctx(void)
{
    lathe_ctx_free(ctx);
}

static void need_ctx(void)
{
    if (!ctx) {
        ctx = lathe_ctx_new();
        atexit(free_ctx);
    }
}

/* Reads text as lathe_read reads a CSV file: from a file, `window` bytes at a time (0: default). */
static lathe_status read_streamed(const char *text, size_t length,
                                  const lathe_read_options *options, size_t window,
                                  bool text_rows_only, lathe_frame **frame, lathe_error *err)
{
    need_ctx();
    lathe_error_clear(err);
    *frame = NULL;
    char path[] = "/tmp/lathe_test_csv_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return LATHE_IO;
    unlink(path);
    for (size_t done = 0; done < length;) {
        ssize_t n = write(fd, text + done, length - done);
        if (n <= 0) {
            close(fd);
            return LATHE_IO;
        }
        done += (size_t)n;
    }
    lathe_read_options chosen;
    if (options)
        chosen = *options;
    else
        lathe_read_options_init(&chosen);
    if (chosen.format == LATHE_FORMAT_AUTO)
        chosen.format = LATHE_FORMAT_CSV;
    lathe__input input = {.name = "t.csv",
                          .streamed = true,
                          .fd = fd,
                          .window = window,
                          .text_rows_only = text_rows_only};
    lathe_status status = lathe__read_csv(ctx, &input, &chosen, frame, err);
    close(fd);
    return status;
}

/* Empty if a and b hold the same columns, kinds, roles and cells, bit for bit; else why not. */
static void compare_cell(const lathe_frame *a, const lathe_frame *b, size_t c, size_t r, char *why,
                         size_t size)
{
    bool missing = lathe_frame_is_missing(a, c, r);
    if (missing != lathe_frame_is_missing(b, c, r)) {
        snprintf(why, size, "column %zu row %zu: missing differs", c, r);
        return;
    }
    if (missing)
        return;
    bool same = true;
    switch (lathe_frame_column_kind(a, c)) {
    case LATHE_KIND_NUMERIC: {
        double x = lathe_frame_numeric(a, c, r), y = lathe_frame_numeric(b, c, r);
        same = memcmp(&x, &y, sizeof x) == 0;
        break;
    }
    case LATHE_KIND_CATEGORICAL:
        same = strcmp(lathe_frame_category_name(a, c, lathe_frame_category(a, c, r)),
                      lathe_frame_category_name(b, c, lathe_frame_category(b, c, r))) == 0;
        break;
    case LATHE_KIND_BOOLEAN:
        same = lathe_frame_boolean(a, c, r) == lathe_frame_boolean(b, c, r);
        break;
    case LATHE_KIND_DATETIME:
        same = lathe_frame_datetime(a, c, r) == lathe_frame_datetime(b, c, r);
        break;
    case LATHE_KIND_TEXT: {
        size_t n, m;
        const char *x = lathe_frame_text(a, c, r, &n), *y = lathe_frame_text(b, c, r, &m);
        same = n == m && memcmp(x, y, n) == 0;
        break;
    }
    default:
        break;
    }
    if (!same)
        snprintf(why, size, "column %zu row %zu: values differ", c, r);
}

static void compare_frames(const lathe_frame *a, const lathe_frame *b, char *why, size_t size)
{
    why[0] = '\0';
    if (lathe_frame_n_rows(a) != lathe_frame_n_rows(b) ||
        lathe_frame_n_columns(a) != lathe_frame_n_columns(b)) {
        snprintf(why, size, "shapes differ: %zux%zu and %zux%zu", lathe_frame_n_rows(a),
                 lathe_frame_n_columns(a), lathe_frame_n_rows(b), lathe_frame_n_columns(b));
        return;
    }
    for (size_t c = 0; c < lathe_frame_n_columns(a) && !why[0]; c++) {
        if (strcmp(lathe_frame_column_name(a, c), lathe_frame_column_name(b, c)) != 0 ||
            lathe_frame_column_kind(a, c) != lathe_frame_column_kind(b, c) ||
            lathe_frame_column_role(a, c) != lathe_frame_column_role(b, c)) {
            snprintf(why, size, "column %zu: name, kind or role differs", c);
            return;
        }
        for (size_t r = 0; r < lathe_frame_n_rows(a) && !why[0]; r++)
            compare_cell(a, b, c, r, why, size);
    }
}

/* Fails the current test unless streaming text gives what reading it from memory gave. */
static void check_streamed(const char *text, const lathe_read_options *options, lathe_status status,
                           const lathe_frame *frame, const lathe_error *err)
{
    static const size_t windows[] = {4, 5, 7, 16, 61, 0, 5, 0};
    const size_t n_windows = sizeof windows / sizeof windows[0];
    char why[1024];
    for (size_t i = 0; i < n_windows; i++) {
        lathe_frame *streamed;
        lathe_error streamed_err;
        bool text_rows_only = i >= n_windows - 2;
        lathe_status got = read_streamed(text, strlen(text), options, windows[i], text_rows_only,
                                         &streamed, &streamed_err);
        why[0] = '\0';
        if (got != status)
            snprintf(why, sizeof why, "status %d, from memory %d (%s)", (int)got, (int)status,
                     got ? streamed_err.message : err->message);
        else if (status != LATHE_OK && strcmp(streamed_err.message, err->message) != 0)
            snprintf(why, sizeof why, "\"%s\", from memory \"%s\"", streamed_err.message,
                     err->message);
        else if (status == LATHE_OK)
            compare_frames(streamed, frame, why, sizeof why);
        lathe_frame_free(streamed);
        if (why[0]) {
            char message[1200];
            snprintf(message, sizeof message, "streamed in windows of %zu%s: %s", windows[i],
                     text_rows_only ? ", text rows only" : "", why);
            harness_fail(__FILE__, __LINE__, message);
            return;
        }
    }
}

static lathe_status read_text(const char *text, const lathe_read_options *options,
                              lathe_frame **frame, lathe_error *err)
{
    need_ctx();
    lathe_error_clear(err);
    lathe_status status = lathe_read_buffer(ctx, text, strlen(text), "t.csv", options, frame, err);
    check_streamed(text, options, status, *frame, err);
    return status;
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

/*
 * A cell's text must give the same value whichever way it is read: as a
 * plain field, which the tokenizer scans as a number itself when it can, or
 * quoted, which always goes through lathe__parse_double in the builder. The
 * rows are long enough for the fast path, and the last one ends the input
 * without a line end, where it cannot be taken.
 */
static void check_fast_path_token(const char *token, const lathe_read_options *options)
{
    static const char pad[] = "padding-to-keep-the-number-scan-inside-the-row";
    char plain[512], quoted[512];
    int n =
        snprintf(plain, sizeof plain, "v,w\n%s,%s\n%s,%s\n1,x\n%s", token, pad, token, pad, token);
    int m = snprintf(quoted, sizeof quoted, "v,w\n\"%s\",%s\n\"%s\",%s\n1,x\n\"%s\"", token, pad,
                     token, pad, token);
    if (n <= 0 || m <= 0 || (size_t)n >= sizeof plain || (size_t)m >= sizeof quoted)
        return;
    lathe_frame *fast = NULL, *slow = NULL;
    lathe_error err, slow_err;
    lathe_status status = read_text(plain, options, &fast, &err);
    lathe_status slow_status = read_text(quoted, options, &slow, &slow_err);
    char why[1024] = "";
    if (status != slow_status)
        snprintf(why, sizeof why, "status %d, quoted %d", (int)status, (int)slow_status);
    else if (status == LATHE_OK)
        compare_frames(fast, slow, why, sizeof why);
    if (why[0]) {
        char message[1200];
        snprintf(message, sizeof message, "token \"%s\": %s", token, why);
        harness_fail(__FILE__, __LINE__, message);
    }
    lathe_frame_free(fast);
    lathe_frame_free(slow);
}

TEST(scanned_numbers_match_the_general_path)
{
    static const char *const tokens[] = {
        "0",
        "-0",
        "+0",
        "007",
        "-007",
        "+5",
        "1.",
        ".5",
        "-.5",
        "0.0400752",
        "-0.0400752",
        "12345678",
        "123456789",
        "1234567890123456789",
        "12345678901234567890",
        "9007199254740993",
        "99999999999999999999",
        "1e5",
        "-1.5E-3",
        "-",
        "+",
        ".",
        "-.",
        "1.2.3",
        "1-",
        "inf",
        "-999",
        "-9990",
        "NA",
    };
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        check_fast_path_token(tokens[i], NULL);
        if (harness_failed_now())
            return;
    }
    /* A declared missing token that looks like a number never becomes one. */
    const char *missing[] = {"-999", "0", ""};
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.missing_tokens = missing;
    options.n_missing_tokens = 3;
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        check_fast_path_token(tokens[i], &options);
        if (harness_failed_now())
            return;
    }
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("a,b,c\n-999,0,00\n-9990,-999,1\n", &options, &f, &err), err);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_NUMERIC);
    CHECK(lathe_frame_is_missing(f, 0, 0));
    CHECK_EQ(lathe_frame_numeric(f, 0, 1), -9990.0);
    CHECK(lathe_frame_is_missing(f, 1, 0) && lathe_frame_is_missing(f, 1, 1));
    CHECK_EQ(lathe_frame_numeric(f, 2, 0), 0.0);
    lathe_frame_free(f);
}

TEST(last_field_without_a_line_end)
{
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("a,b\n1,2\n3,4.25", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 2);
    CHECK_EQ(lathe_frame_numeric(f, 1, 1), 4.25);
    lathe_frame_free(f);
    CHECK_OK(read_text("a,b\r\n1,2\r\n\r\n3,-7\r", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 2);
    CHECK_EQ(lathe_frame_numeric(f, 1, 1), -7.0);
    lathe_frame_free(f);
}

/*
 * A number row hands every field that is not a number for its column back
 * to the builder: quoted fields, a column that stops being numeric halfway,
 * and one that is categorical from the start. (read_text checks the frame
 * against reading every record as text.)
 */
TEST(number_rows_hand_other_fields_to_the_builder)
{
    char text[32768];
    size_t n = (size_t)snprintf(text, sizeof text, "id,grade,score,note\n");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%d,\"%s\",%d.%02d,%s\n", i,
                              i % 3 ? "B" : "A", -i, i % 100, i == 150 ? "\"7\"" : "12345678");
    snprintf(text + n, sizeof text - n, "x,\"say \"\"C\"\"\",0.5, 9\n");
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text(text, NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 301);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    CHECK_STR(lathe_frame_category_name(f, 0, lathe_frame_category(f, 0, 299)), "299");
    CHECK_EQ(lathe_frame_column_kind(f, 1), LATHE_KIND_CATEGORICAL);
    CHECK_EQ(lathe_frame_n_categories(f, 1), 3);
    CHECK_STR(lathe_frame_category_name(f, 1, lathe_frame_category(f, 1, 300)), "say \"C\"");
    CHECK_EQ(lathe_frame_column_kind(f, 2), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_numeric(f, 2, 123), -123.23);
    CHECK_EQ(lathe_frame_column_kind(f, 3), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_numeric(f, 3, 150), 7.0);
    CHECK_EQ(lathe_frame_numeric(f, 3, 300), 9.0);
    lathe_frame_free(f);
}

/* Short values of a categorical column are found by their bytes (the
 * memo, up to 16 bytes): values that share bytes or lengths keep their own
 * codes. */
TEST(short_categories_keep_their_codes)
{
    static const char *const values[] = {"a",
                                         "b",
                                         "ab",
                                         "ba",
                                         "aXc",
                                         "aYc",
                                         "abcd",
                                         "abce",
                                         "bbcd",
                                         "abcde",
                                         "abcdf",
                                         "abcdefgh",
                                         "abcdefgi",
                                         "abcdefghi",
                                         "1a",
                                         "abcdefghXY",
                                         "abcdefghZW",
                                         "Very Good",
                                         "Self-emp-inc1234",
                                         "Self-emp-inc1235",
                                         "Self-emp-inc12345"};
    const size_t n_values = sizeof values / sizeof values[0], step = 8; /* coprime with 21 */
    char text[16384];
    size_t n = (size_t)snprintf(text, sizeof text, "word,n\n");
    for (size_t i = 0; i < 400; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s,%zu\n", values[(i * step) % n_values],
                              i);
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text(text, NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    CHECK_EQ(lathe_frame_n_categories(f, 0), n_values);
    for (size_t i = 0; i < 400; i++) {
        const char *name = lathe_frame_category_name(f, 0, lathe_frame_category(f, 0, i));
        if (strcmp(name, values[(i * step) % n_values]) != 0) {
            CHECK_STR(name, values[(i * step) % n_values]);
            break;
        }
    }
    CHECK_EQ(lathe_frame_category_count(f, 0, lathe_frame_category(f, 0, 0)), 20); /* 400 / 21 */
    lathe_frame_free(f);
}

/* In number rows the reader takes known short categories from the memo
 * itself (lathe__row_rest.hits); read_text also splits records again at
 * small windows' ends, which must not count a category twice. */
TEST(categories_from_the_memo_are_counted_once)
{
    static const char *const fields[] = {"\"Ideal\"",     "Ideal", "Ideal  ", "\"Premium\"",
                                         "\"Very Good\"", "7",     "\"7\"",   "NA"};
    const size_t n_fields = sizeof fields / sizeof fields[0];
    static const int category_of[] = {0, 0, 0, 1, 2, 3, 3, -1}; /* -1: missing */
    size_t expected[4] = {0};
    char text[32768];
    size_t n = (size_t)snprintf(text, sizeof text, "cut,carat,code,price\n");
    for (size_t i = 0; i < 600; i++) {
        size_t pick = (i * 5 + i / 7) % n_fields;
        if (category_of[pick] >= 0)
            expected[category_of[pick]]++;
        n += (size_t)snprintf(text + n, sizeof text - n, "%s,0.%02zu,\"%c\",%zu\n", fields[pick],
                              i % 100, (char)('a' + i % 3), 300 + i);
    }
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text(text, NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 600);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    CHECK_EQ(lathe_frame_n_categories(f, 0), 4);
    static const char *const names[] = {"Ideal", "Premium", "Very Good", "7"};
    size_t counted = 0;
    for (size_t k = 0; k < 4; k++) {
        int32_t code = -1;
        for (size_t c = 0; c < 4; c++)
            if (strcmp(lathe_frame_category_name(f, 0, (int32_t)c), names[k]) == 0)
                code = (int32_t)c;
        CHECK(code >= 0);
        CHECK_EQ(lathe_frame_category_count(f, 0, code), expected[k]);
        counted += expected[k];
    }
    CHECK_EQ(lathe_frame_column_missing(f, 0), 600 - counted);
    CHECK_EQ(lathe_frame_column_kind(f, 2), LATHE_KIND_CATEGORICAL);
    CHECK_EQ(lathe_frame_category_count(f, 2, lathe_frame_category(f, 2, 0)), 200);
    CHECK_EQ(lathe_frame_numeric(f, 3, 599), 899.0);
    lathe_frame_free(f);
}

/* Random records of every kind of field, to cross the default window many times over. */
static char *random_table(size_t n_rows, uint64_t seed)
{
    static const char *const words[] = {"Ideal",          "Premium", "x y", "\"say \"\"hi\"\"\"",
                                        "\"two\nlines\"", "NA",      "",    " 7 ",
                                        "-0.0400752"};
    char *text = malloc(n_rows * 160 + 64);
    if (!text)
        return NULL;
    size_t n = (size_t)snprintf(text, 64, "id,value,word,when,flag\r\n");
    uint64_t state = seed;
    for (size_t i = 0; i < n_rows; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        unsigned pick = (unsigned)(state >> 33);
        n += (size_t)snprintf(text + n, 160, "%zu,%.*g,%s,2024-01-%02u,%s%s", i, 1 + pick % 17,
                              (double)(pick % 100000) / (1 + pick % 7) - 300,
                              words[pick % (sizeof words / sizeof words[0])], 1 + pick % 28,
                              pick % 2 ? "true" : "false", pick % 5 ? "\n" : "\r\n");
        if (pick % 97 == 0)
            n += (size_t)snprintf(text + n, 8, "\n");
    }
    return text;
}

TEST(streams_large_files_in_windows)
{
    char *text = random_table(20000, 42); /* about 1 MB */
    CHECK(text != NULL);
    lathe_frame *f;
    lathe_error err;
    lathe_status status = read_text(text, NULL, &f, &err);
    free(text);
    CHECK_OK(status, err);
    CHECK_EQ(lathe_frame_n_rows(f), 20000);
    CHECK_EQ(lathe_frame_column_kind(f, 1), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_column_kind(f, 3), LATHE_KIND_DATETIME);
    CHECK_EQ(lathe_frame_column_kind(f, 4), LATHE_KIND_BOOLEAN);
    lathe_frame_free(f);
}

TEST(streamed_errors_name_the_same_place)
{
    char *text = random_table(20000, 7), expected[64];
    CHECK(text != NULL);
    size_t n = strlen(text), line = 1;
    for (size_t i = 0; i < n; i++)
        line += text[i] == '\n';
    char *longer = realloc(text, n + 32);
    if (longer) {
        snprintf(longer + n, 32, "1,2,3\n");
        text = longer;
    }
    snprintf(expected, sizeof expected, "t.csv:%zu:1: expected 5 fields, found 3", line);
    lathe_frame *f = NULL;
    lathe_error err;
    lathe_status status = read_text(text, NULL, &f, &err);
    free(text);
    CHECK(longer != NULL);
    CHECK_EQ(status, LATHE_PARSE);
    CHECK_STR(err.message, expected);
}

TEST(streamed_records_longer_than_the_limit)
{
    /* A record longer than the window makes it grow, up to the limit. */
    size_t length = 300000;
    char *text = malloc(length + 64);
    CHECK(text != NULL);
    int n = snprintf(text, 64, "a,b\n1,");
    memset(text + n, 'x', length);
    snprintf(text + n + length, 8, "\n2,y\n");
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.limits.max_line_bytes = length + 3;
    options.limits.max_cell_bytes = length;
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text(text, &options, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 2);
    lathe_frame_free(f);
    options.limits.max_line_bytes = length + 1;
    lathe_status status = read_text(text, &options, &f, &err);
    free(text);
    CHECK_EQ(status, LATHE_LIMIT);
    CHECK_STR(err.message, "t.csv:2:1: a record longer than the limit of 300001 bytes");
}

typedef struct pass_log {
    double total;
} pass_log;

static int log_total(void *user, const char *stage, double done, double total)
{
    (void)stage;
    (void)done;
    ((pass_log *)user)->total = total;
    return 0;
}

/*
 * A column whose first present value is plain text can only be categorical,
 * so it is built while it is read, and a table of numbers and such columns
 * is read once (progress counts the bytes of one pass). A column that could
 * still have been boolean or datetime waits for the second pass, as before.
 */
TEST(string_columns_need_no_second_pass)
{
    size_t n = 70000, size = n * 40 + 64, at = 0;
    char *text = malloc(size);
    CHECK(text != NULL);
    at += (size_t)snprintf(text, size, "x,cut,flag,late\n");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(text + at, size - at, "%zu,%s,%s,%s\n", i,
                               i == 0  ? ""
                               : i % 2 ? "Ideal"
                                       : "Fair",
                               i % 3 ? "true" : "false",
                               i < 5   ? "2024-01-01"
                               : i % 2 ? "5"
                                       : "late");
    pass_log log = {0};
    lathe_frame *f;
    lathe_error err;
    need_ctx();
    lathe_ctx_set_progress(ctx, log_total, &log);
    lathe_status status = lathe_read_buffer(ctx, text, at, "t.csv", NULL, &f, &err);
    lathe_ctx_set_progress(ctx, NULL, NULL);
    CHECK_OK(status, err);
    CHECK_EQ(log.total, (double)at * 2); /* "flag" and "late" wait for the second pass */
    CHECK_EQ(lathe_frame_column_kind(f, 1), LATHE_KIND_CATEGORICAL);
    CHECK(lathe_frame_is_missing(f, 1, 0));
    CHECK_STR(lathe_frame_category_name(f, 1, lathe_frame_category(f, 1, 1)), "Ideal");
    CHECK_EQ(lathe_frame_category_count(f, 1, lathe_frame_category(f, 1, 2)), n / 2 - 1);
    CHECK_EQ(lathe_frame_column_kind(f, 2), LATHE_KIND_BOOLEAN);
    CHECK_EQ(lathe_frame_column_kind(f, 3), LATHE_KIND_CATEGORICAL);
    CHECK_STR(lathe_frame_category_name(f, 3, lathe_frame_category(f, 3, 7)), "5");
    lathe_frame_free(f);

    /* Without the columns that need it, there is no second pass. */
    at = (size_t)snprintf(text, size, "x,cut\n");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(text + at, size - at, "%zu,%s\n", i, i % 2 ? "5" : "Ideal");
    lathe_ctx_set_progress(ctx, log_total, &log);
    status = read_text(text, NULL, &f, &err);
    lathe_ctx_set_progress(ctx, NULL, NULL);
    free(text);
    CHECK_OK(status, err);
    CHECK_EQ(log.total, (double)at);
    CHECK_EQ(lathe_frame_column_kind(f, 1), LATHE_KIND_CATEGORICAL);
    CHECK_EQ(lathe_frame_n_categories(f, 1), 2);
    CHECK_STR(lathe_frame_category_name(f, 1, lathe_frame_category(f, 1, 1)), "5");
    lathe_frame_free(f);
}
