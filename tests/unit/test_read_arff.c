/*
 * test_read_arff.c: the ARFF reader: header declarations and the kinds they
 * declare, dense and sparse rows (and files mixing them), quoting, missing
 * values, every error it reports (exact text, line and column), its limits,
 * and Weka's credit-g.arff read whole.
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
    return lathe_read_buffer(ctx, text, strlen(text), "t.arff", options, frame, err);
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

static size_t column(const lathe_frame *frame, const char *name)
{
    size_t index = (size_t)-1;
    lathe_frame_find(frame, name, &index);
    return index;
}

static const char *category(const lathe_frame *frame, size_t col, size_t row)
{
    return lathe_frame_category_name(frame, col, lathe_frame_category(frame, col, row));
}

static bool text_is(const lathe_frame *frame, size_t col, size_t row, const char *expected)
{
    size_t length;
    const char *text = lathe_frame_text(frame, col, row, &length);
    return length == strlen(expected) && memcmp(text, expected, length) == 0;
}

/* Every attribute type, quoting styles, comments and keywords in any case. */
static const char *const every_type = "% a comment\n"
                                      "\n"
                                      "@RELATION 'my relation'\n"
                                      "@Attribute 'first name' string\n"
                                      "@attribute \"size\" {small, 'extra large' , medium }\n"
                                      "@attribute n NUMERIC % trailing comment\n"
                                      "@attribute i integer\n"
                                      "@attribute r REAL\n"
                                      "@attribute when date\n"
                                      "@attribute day DATE \"yyyy-MM-dd\"\n"
                                      "@attribute flag{yes,no}\n"
                                      "@DATA\n";

TEST(arff_header_declares_kinds)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", every_type,
             "'Ann O\\'Neil', 'extra large', 1.5, 3, 1e3, \"2020-01-02T03:04:05\", "
             "2021-05-06, no\r\n"
             "Bob,small,?,?,?,?,?,yes % a comment after a row\n"
             "% a comment line\n"
             "'?', medium , -2,7,0.5,'2020-01-02 03:04:05',2021-01-01 ,yes\n");
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text(text, NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 3);
    CHECK_EQ(lathe_frame_n_columns(f), 8);
    CHECK_STR(lathe_frame_column_name(f, 0), "first name");
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_TEXT);
    CHECK(text_is(f, 0, 0, "Ann O'Neil"));
    CHECK(text_is(f, 0, 2, "?")); /* a quoted ? is a value, not missing */
    CHECK_EQ(lathe_frame_column_missing(f, 0), 0);
    size_t size = column(f, "size");
    CHECK_EQ(lathe_frame_column_kind(f, size), LATHE_KIND_CATEGORICAL);
    CHECK_EQ(lathe_frame_n_categories(f, size), 3); /* declared, in order */
    CHECK_STR(lathe_frame_category_name(f, size, 0), "small");
    CHECK_STR(lathe_frame_category_name(f, size, 1), "extra large");
    CHECK_STR(lathe_frame_category_name(f, size, 2), "medium");
    CHECK_STR(category(f, size, 0), "extra large");
    CHECK_STR(category(f, size, 2), "medium");
    CHECK_EQ(lathe_frame_column_kind(f, 2), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_column_kind(f, 3), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_column_kind(f, 4), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_numeric(f, 2, 0), 1.5);
    CHECK(lathe_frame_is_missing(f, 2, 1));
    CHECK_EQ(lathe_frame_numeric(f, 4, 0), 1000.0);
    CHECK_EQ(lathe_frame_column_kind(f, 5), LATHE_KIND_DATETIME);
    CHECK_EQ(lathe_frame_datetime(f, 5, 0), 1577934245000000LL);
    CHECK_EQ(lathe_frame_datetime(f, 5, 2), 1577934245000000LL);
    CHECK_EQ(lathe_frame_column_kind(f, 6), LATHE_KIND_DATETIME);
    CHECK_EQ(lathe_frame_datetime(f, 6, 2), 1609459200000000LL);
    CHECK(lathe_frame_is_missing(f, 6, 1));
    CHECK_STR(category(f, 7, 0), "no");
    CHECK_STR(category(f, 7, 1), "yes");
    lathe_frame_free(f);
}

TEST(arff_nominal_values_keep_declared_order_and_unused_values)
{
    /* "1" is a nominal value, not a number; an unused value still counts 0. */
    const char *text = "@relation r\n@attribute grade {'3', 1, 2}\n@data\n1\n2\n1\n";
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text(text, NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    CHECK_EQ(lathe_frame_n_categories(f, 0), 3);
    CHECK_STR(lathe_frame_category_name(f, 0, 0), "3");
    CHECK_EQ(lathe_frame_category_count(f, 0, 0), 0);
    CHECK_EQ(lathe_frame_category_count(f, 0, 1), 2);
    CHECK_EQ(lathe_frame_category(f, 0, 1), 2);
    lathe_frame_free(f);
}

TEST(arff_sparse_rows_and_mixed_files)
{
    /* Absent: numbers 0, nominal the first declared value, string "", date the epoch. */
    char text[1024];
    snprintf(text, sizeof text, "%s%s", every_type,
             "{1 medium, 2 7}\n"
             "{}\n"
             "Bob,small,?,1,2,2020-01-01T00:00:00,2021-01-01,no\n"
             "{ 0 'Zed' ,3 ?, 7 no }  % sparse with a comment\n");
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text(text, NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 4);
    CHECK(text_is(f, 0, 0, ""));
    CHECK(text_is(f, 0, 2, "Bob"));
    CHECK(text_is(f, 0, 3, "Zed"));
    CHECK_STR(category(f, 1, 0), "medium");
    CHECK_STR(category(f, 1, 1), "small");
    CHECK_STR(category(f, 1, 3), "small");
    CHECK_EQ(lathe_frame_numeric(f, 2, 0), 7.0);
    CHECK_EQ(lathe_frame_numeric(f, 2, 1), 0.0);
    CHECK(lathe_frame_is_missing(f, 2, 2));
    CHECK_EQ(lathe_frame_numeric(f, 2, 3), 0.0);
    CHECK(lathe_frame_is_missing(f, 3, 3)); /* given as ? in a sparse row */
    CHECK_EQ(lathe_frame_numeric(f, 3, 1), 0.0);
    CHECK_EQ(lathe_frame_datetime(f, 5, 0), 0);
    CHECK_EQ(lathe_frame_datetime(f, 6, 1), 0);
    CHECK_STR(category(f, 7, 0), "yes");
    CHECK_STR(category(f, 7, 3), "no");
    lathe_frame_free(f);
}

TEST(arff_missing_tokens)
{
    /* Only an unquoted ? is missing by default: NA is a declared value here. */
    const char *text = "@relation r\n@attribute c {NA, x}\n@data\nNA\n?\n'?'\n";
    lathe_frame *f;
    lathe_error err;
    CHECK_READ_FAILS(text, NULL, LATHE_PARSE,
                     "t.arff:6:1: \"?\" is not one of the declared values of column \"c\"");
    CHECK_OK(read_text("@relation r\n@attribute c {NA, x}\n@data\nNA\n?\nx\n", NULL, &f, &err),
             err);
    CHECK_STR(category(f, 0, 0), "NA");
    CHECK(lathe_frame_is_missing(f, 0, 1));
    lathe_frame_free(f);
    /* A caller's own tokens are honored, as in every reader. */
    const char *tokens[] = {"NA"};
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.missing_tokens = tokens;
    options.n_missing_tokens = 1;
    CHECK_OK(read_text("@relation r\n@attribute n numeric\n@data\nNA\n?\n3\n", &options, &f, &err),
             err);
    CHECK_EQ(lathe_frame_column_missing(f, 0), 2);
    lathe_frame_free(f);
}

TEST(arff_declared_schema_overrides_the_header)
{
    lathe_column_decl decls[] = {
        {.name = "code", .has_kind = true, .kind = LATHE_KIND_CATEGORICAL},
        {.name = "class", .has_role = true, .role = LATHE_ROLE_TARGET},
    };
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.columns = decls;
    options.n_columns = 2;
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("@relation r\n@attribute code numeric\n@attribute class {a,b}\n@data\n"
                       "10,a\n20,b\n{1 b}\n",
                       &options, &f, &err),
             err);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    CHECK_STR(category(f, 0, 1), "20");
    CHECK_STR(category(f, 0, 2), "0");
    CHECK_EQ(lathe_frame_column_role(f, 1), LATHE_ROLE_TARGET);
    lathe_frame_free(f);
}

TEST(arff_single_row)
{
    /* One row, so pass 2 starts on the row pass 1 ended on (a builder bug once). */
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("@relation r\n@attribute a numeric\n@attribute b {x,y}\n@data\n1,y\n", NULL,
                       &f, &err),
             err);
    CHECK_EQ(lathe_frame_n_rows(f), 1);
    CHECK_EQ(lathe_frame_numeric(f, 0, 0), 1.0);
    CHECK_STR(category(f, 1, 0), "y");
    lathe_frame_free(f);
}

TEST(arff_no_rows_is_an_empty_table)
{
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("@relation r\n@attribute a numeric\n@attribute b {x,y}\n@data\n% none\n",
                       NULL, &f, &err),
             err);
    CHECK_EQ(lathe_frame_n_rows(f), 0);
    CHECK_EQ(lathe_frame_n_columns(f), 2);
    CHECK_EQ(lathe_frame_n_categories(f, 1), 2);
    lathe_frame_free(f);
}

TEST(arff_header_errors)
{
    struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"", "t.arff: no data (the input is empty)"},
        {"@relation r\n@attribute a numeric\n", "t.arff:2: no @data section"},
        {"@relation r\n@data\n1\n", "t.arff:2:1: no @attribute before @data"},
        {"@relation r\nhello\n",
         "t.arff:2:1: expected @relation, @attribute or @data in the header"},
        {"@relation r\n  @attrib x numeric\n", "t.arff:2:3: unknown declaration \"@attrib\""},
        {"@relation r\n@attribute\n", "t.arff:2:11: expected an attribute name"},
        {"@relation r\n@attribute x number\n",
         "t.arff:2:14: unknown type \"number\" for attribute \"x\""},
        {"@relation r\n@attribute x\n", "t.arff:2:13: unknown type \"\" for attribute \"x\""},
        {"@relation r\n@attribute x relational\n",
         "t.arff:2:14: relational attributes are not supported (attribute \"x\")"},
        {"@relation r\n@attribute x date 'dd/MM/yyyy'\n",
         "t.arff:2:19: unsupported date format \"dd/MM/yyyy\" for attribute \"x\" (supported: "
         "yyyy-MM-dd'T'HH:mm:ss, yyyy-MM-dd, yyyy-MM-dd HH:mm:ss)"},
        {"@relation r\n@attribute x numeric extra\n",
         "t.arff:2:22: unexpected text after the type of \"x\""},
        {"@relation r\n@attribute x numeric\n@attribute 'x' real\n",
         "t.arff:3:12: duplicate column name \"x\" (columns 1 and 2)"},
        {"@relation r\n@attribute c {a, b, a}\n", "t.arff:2:21: category \"a\" is declared twice"},
        {"@relation r\n@attribute c { }\n", "t.arff:2:14: attribute \"c\" declares no values"},
        {"@relation r\n@attribute c {a, , b}\n", "t.arff:2:18: empty nominal value"},
        {"@relation r\n@attribute c {a, b\n",
         "t.arff:2:14: unterminated list of nominal values (expected '}')"},
        {"@relation r\n@attribute c {'a' b}\n",
         "t.arff:2:19: expected ',' or '}' between nominal values"},
        {"@relation r\n@attribute c {a b, c}\n@data\n'a b'\nc\n@data\n",
         "t.arff:6:1: \"@data\" is not one of the declared values of column \"c\""},
        {"@relation r\n@attribute 'c d numeric\n",
         "t.arff:2:12: unterminated quoted value (expected ')"},
        {"@relation r\n@attribute c numeric\n@data junk\n",
         "t.arff:3:7: unexpected text after @data"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_READ_FAILS(cases[i].text, NULL, LATHE_PARSE, cases[i].message);
}

TEST(arff_data_errors)
{
    const char *header = "@relation r\n@attribute n numeric\n@attribute c {a,b}\n"
                         "@attribute s string\n@data\n";
    struct {
        const char *rows;
        const char *message;
    } cases[] = {
        {"1,a,x\n2,b\n", "t.arff:7:1: expected 3 values, found 2"},
        {"1,a,x,4\n", "t.arff:6:1: more than 3 values (one per attribute)"},
        {"1,a,'x' , 4\n", "t.arff:6:1: more than 3 values (one per attribute)"},
        {"1,,x\n", "t.arff:6:3: empty value (write ? for a missing value)"},
        {"abc,a,x\n", "t.arff:6:1: column \"n\" is numeric, found \"abc\""},
        {"1,c,x\n", "t.arff:6:3: \"c\" is not one of the declared values of column \"c\""},
        {"1,'a' b,x\n", "t.arff:6:7: unexpected text after a closing quote (expected ',')"},
        {"1,a,'x\n", "t.arff:6:5: unterminated quoted value (expected ')"},
        {"1,a,x,{2}\n", "t.arff:6:7: instance weights are not supported"},
        {"{0 1}, {2}\n", "t.arff:6:8: instance weights are not supported"},
        {"1,a,'x' {2}\n", "t.arff:6:9: instance weights are not supported"},
        {"1,a,'x' y\n", "t.arff:6:9: unexpected text after the row's last value"},
        {"{3 1}\n", "t.arff:6:2: attribute index 3 is out of range (0 to 2)"},
        {"{1 a, 0 1}\n", "t.arff:6:7: attribute indices must increase (0 after 1)"},
        {"{1 a, 1 b}\n", "t.arff:6:7: attribute indices must increase (1 after 1)"},
        {"{x 1}\n", "t.arff:6:2: expected an attribute index"},
        {"{1a}\n", "t.arff:6:3: expected a space after the attribute index"},
        {"{0 1, 1 a\n", "t.arff:6:1: unterminated sparse row (expected '}')"},
        {"{0 1 2}\n", "t.arff:6:4: column \"n\" is numeric, found \"1 2\""},
        {"{0 '1' 2}\n", "t.arff:6:8: unexpected text after a closing quote (expected ',' or '}')"},
        {"{0 1} {2}\n", "t.arff:6:7: instance weights are not supported"},
        {"{0 1}, 2\n", "t.arff:6:6: unexpected text after the row's last value"},
        {"{99999999999999999999999 1}\n",
         "t.arff:6:2: attribute index 99999999999999999999999 is out of range (0 to 2)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s", header, cases[i].rows);
        CHECK_READ_FAILS(text, NULL, LATHE_PARSE, cases[i].message);
    }
    CHECK_READ_FAILS("@relation r\n@attribute d date\n@data\n2020-01-01\n'next week'\n", NULL,
                     LATHE_PARSE,
                     "t.arff:5:1: column \"d\" is a datetime, found \"next week\" (expected ISO "
                     "8601)");
}

TEST(arff_limits_are_enforced)
{
    const char *text = "@relation r\n@attribute a numeric\n@attribute b numeric\n"
                       "@attribute c string\n@data\n1,2,'xy'\n3,4,'wxyz'\n5,6,z\n";
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.limits.max_columns = 2;
    CHECK_READ_FAILS(text, &options, LATHE_LIMIT,
                     "t.arff:4:12: more than 2 columns (the column limit)");
    lathe_read_options_init(&options);
    options.limits.max_line_bytes = 19;
    CHECK_READ_FAILS(text, &options, LATHE_LIMIT,
                     "t.arff:2:1: a line longer than the limit of 19 bytes");
    lathe_read_options_init(&options);
    options.limits.max_cell_bytes = 3;
    CHECK_READ_FAILS(text, &options, LATHE_LIMIT,
                     "t.arff:7:5: a cell of 4 bytes, more than the limit of 3");
    lathe_read_options_init(&options);
    options.limits.max_rows = 2;
    CHECK_READ_FAILS(text, &options, LATHE_LIMIT, "t.arff:8:1: more than 2 rows (the row limit)");
    lathe_read_options_init(&options);
    options.limits.max_memory_bytes = 200;
    CHECK_READ_FAILS(text, &options, LATHE_LIMIT,
                     "t.arff:6:1: the table needs more memory than the limit of 200 bytes (3 "
                     "columns)");
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

TEST(arff_reports_progress_and_can_be_canceled)
{
    size_t n = 70000, size = n * 16 + 128, at = 0;
    char *text = malloc(size);
    at += (size_t)snprintf(text, size,
                           "@relation r\n@attribute x numeric\n@attribute c {p,q}\n"
                           "@data\n");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(text + at, size - at, i % 2 ? "%zu,p\n" : "{0 %zu}\n", i);
    progress_log log = {0};
    lathe_frame *f;
    lathe_error err;
    read_text("", NULL, &f, &err); /* makes ctx */
    lathe_ctx_set_progress(ctx, on_progress, &log);
    lathe_status status = read_text(text, NULL, &f, &err);
    CHECK_OK(status, err);
    CHECK_EQ(lathe_frame_n_rows(f), 70000);
    CHECK_EQ(lathe_frame_category_count(f, 1, 0), 70000);
    lathe_frame_free(f);
    CHECK(log.calls >= 2);
    log.cancel = 1;
    status = read_text(text, NULL, &f, &err);
    lathe_ctx_set_progress(ctx, NULL, NULL);
    free(text);
    CHECK_EQ(status, LATHE_CANCELED);
    CHECK_STR(err.message, "t.arff: reading canceled");
}

/*
 * Weka's German credit data. The expected figures were computed
 * independently of Lathe: with /usr/bin/python3 and scipy.io.arff.loadarff
 * (1000 rows, 21 attributes, 7 numeric and 14 nominal; class good 700, bad
 * 300; checking_status '<0' 274, '0<=X<200' 269, '>=200' 63, 'no checking'
 * 394; duration sums to 20903), and again with
 *   awk -F, 'f{n++; c[$1]++; k[$21]++; d+=$2} /^@data/{f=1} END{...}'
 * over the data lines, which agree.
 */
TEST(arff_credit_g)
{
    lathe_frame *f;
    lathe_error err;
    lathe_error_clear(&err);
    if (!ctx) {
        ctx = lathe_ctx_new();
        atexit(free_ctx);
    }
    CHECK_OK(lathe_read(ctx, "data/credit-g.arff", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 1000);
    CHECK_EQ(lathe_frame_n_columns(f), 21);
    size_t numeric = 0, categorical = 0;
    for (size_t c = 0; c < 21; c++) {
        numeric += lathe_frame_column_kind(f, c) == LATHE_KIND_NUMERIC;
        categorical += lathe_frame_column_kind(f, c) == LATHE_KIND_CATEGORICAL;
        CHECK_EQ(lathe_frame_column_missing(f, c), 0);
    }
    CHECK_EQ(numeric, 7);
    CHECK_EQ(categorical, 14);

    size_t klass = column(f, "class");
    CHECK_EQ(klass, 20);
    CHECK_EQ(lathe_frame_n_categories(f, klass), 2);
    CHECK_STR(lathe_frame_category_name(f, klass, 0), "good");
    CHECK_EQ(lathe_frame_category_count(f, klass, 0), 700);
    CHECK_STR(lathe_frame_category_name(f, klass, 1), "bad");
    CHECK_EQ(lathe_frame_category_count(f, klass, 1), 300);

    size_t checking = column(f, "checking_status");
    CHECK_EQ(checking, 0);
    static const char *const names[] = {"<0", "0<=X<200", ">=200", "no checking"};
    static const size_t counts[] = {274, 269, 63, 394};
    CHECK_EQ(lathe_frame_n_categories(f, checking), 4);
    for (int32_t i = 0; i < 4; i++) {
        CHECK_STR(lathe_frame_category_name(f, checking, i), names[i]);
        CHECK_EQ(lathe_frame_category_count(f, checking, i), counts[i]);
    }
    CHECK_STR(category(f, checking, 2), "no checking"); /* third data row */

    /* purpose declares 'vacation', which no row uses. */
    size_t purpose = column(f, "purpose");
    CHECK_EQ(lathe_frame_n_categories(f, purpose), 11);
    CHECK_STR(lathe_frame_category_name(f, purpose, 7), "vacation");
    CHECK_EQ(lathe_frame_category_count(f, purpose, 7), 0);

    size_t duration = column(f, "duration");
    CHECK_EQ(lathe_frame_column_kind(f, duration), LATHE_KIND_NUMERIC);
    double sum = 0;
    for (size_t r = 0; r < 1000; r++)
        sum += lathe_frame_numeric(f, duration, r);
    CHECK_EQ(sum, 20903.0);
    lathe_frame_free(f);
}
