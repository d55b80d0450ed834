/*
 * test_read_json.c: the JSON reader, both shapes (JSON lines and one array
 * of records), its mapping of JSON values to kinds, every error it reports
 * (exact text, line and column), its limits, progress and gzip input.
 */
#include <math.h>
#include <stdlib.h>
#include <zlib.h>

#include "harness.h"
#include "lathe/lathe.h"

static lathe_ctx *ctx;

static void free_ctx(void)
{
    lathe_ctx_free(ctx);
}

static lathe_status read_named(const void *data, size_t size, const char *name,
                               const lathe_read_options *options, lathe_frame **frame,
                               lathe_error *err)
{
    if (!ctx) {
        ctx = lathe_ctx_new();
        atexit(free_ctx);
    }
    lathe_error_clear(err);
    *frame = NULL;
    return lathe_read_buffer(ctx, data, size, name, options, frame, err);
}

static lathe_status read_text(const char *text, const lathe_read_options *options,
                              lathe_frame **frame, lathe_error *err)
{
    return read_named(text, strlen(text), "t.jsonl", options, frame, err);
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

TEST(json_lines_map_values_to_kinds)
{
    const char *text = "{\"n\": 1, \"s\": \"x\", \"b\": true, \"d\": \"2020-01-02\"}\n"
                       "\n"
                       "  \r\n"
                       "{\"s\": \"y\", \"n\": 2.5, \"b\": false, \"z\": null}\r\n"
                       "{\"n\": -3, \"s\": \"NA\", \"b\": null, \"d\": \"2020-01-03T04:05:06Z\"}\n";
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text(text, NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 3);
    CHECK_EQ(lathe_frame_n_columns(f), 5);
    /* Columns in first-seen order. */
    CHECK_STR(lathe_frame_column_name(f, 0), "n");
    CHECK_STR(lathe_frame_column_name(f, 1), "s");
    CHECK_STR(lathe_frame_column_name(f, 2), "b");
    CHECK_STR(lathe_frame_column_name(f, 3), "d");
    CHECK_STR(lathe_frame_column_name(f, 4), "z");
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_NUMERIC);
    CHECK_EQ(lathe_frame_numeric(f, 0, 1), 2.5);
    CHECK_EQ(lathe_frame_numeric(f, 0, 2), -3.0);
    CHECK_EQ(lathe_frame_column_kind(f, 1), LATHE_KIND_CATEGORICAL);
    CHECK_STR(category(f, 1, 1), "y");
    CHECK(lathe_frame_is_missing(f, 1, 2)); /* "NA" is a missing token, as in CSV */
    CHECK_EQ(lathe_frame_column_kind(f, 2), LATHE_KIND_BOOLEAN);
    CHECK(lathe_frame_boolean(f, 2, 0));
    CHECK(!lathe_frame_boolean(f, 2, 1));
    CHECK(lathe_frame_is_missing(f, 2, 2)); /* null */
    CHECK_EQ(lathe_frame_column_kind(f, 3), LATHE_KIND_DATETIME);
    CHECK(lathe_frame_is_missing(f, 3, 1)); /* key absent from the record */
    CHECK_EQ(lathe_frame_datetime(f, 3, 2), 1578024306000000LL);
    /* A key first seen in row 2 is missing in row 1; all null stays numeric and missing. */
    CHECK(lathe_frame_is_missing(f, 4, 0));
    CHECK_EQ(lathe_frame_column_missing(f, 4), 3);
    lathe_frame_free(f);
}

TEST(json_strings_are_never_numbers)
{
    /* A typed string "1" is text, so the column is categorical; numbers and
     * strings mixed make a categorical column whose numbers read as text. */
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("{\"a\": \"1\", \"b\": 1}\n{\"a\": \"2\", \"b\": \"x\"}\n{\"b\": 0.5}\n",
                       NULL, &f, &err),
             err);
    CHECK_EQ(lathe_frame_column_kind(f, column(f, "a")), LATHE_KIND_CATEGORICAL);
    size_t b = column(f, "b");
    CHECK_EQ(lathe_frame_column_kind(f, b), LATHE_KIND_CATEGORICAL);
    CHECK_STR(category(f, b, 0), "1");
    CHECK_STR(category(f, b, 1), "x");
    CHECK_STR(category(f, b, 2), "0.5");
    lathe_frame_free(f);
}

TEST(json_array_of_records)
{
    /* Pass 2 (the categorical column) replays the kept records. */
    const char *text = "\xef\xbb\xbf [\n"
                       "  {\"id\": 1, \"tag\": \"red\"},\n"
                       "  {\"tag\": \"blue\", \"id\": 2, \"extra\": 7},\n"
                       "  {\"id\": 3, \"tag\": \"red\"}\n"
                       "]\n";
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_named(text, strlen(text), "t.json", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 3);
    CHECK_EQ(lathe_frame_n_columns(f), 3);
    CHECK_STR(lathe_frame_column_name(f, 2), "extra");
    CHECK_EQ(lathe_frame_numeric(f, 0, 2), 3.0);
    CHECK_EQ(lathe_frame_column_kind(f, 1), LATHE_KIND_CATEGORICAL);
    CHECK_STR(category(f, 1, 0), "red");
    CHECK_STR(category(f, 1, 1), "blue");
    CHECK_EQ(lathe_frame_category_count(f, 1, lathe_frame_category(f, 1, 2)), 2);
    CHECK(lathe_frame_is_missing(f, 2, 0));
    CHECK_EQ(lathe_frame_numeric(f, 2, 1), 7.0);
    lathe_frame_free(f);

    /* The format is detected from the content when the name says nothing. */
    CHECK_OK(read_named("[{\"a\": 1}]", 10, "noext", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 1);
    lathe_frame_free(f);
}

TEST(json_empty_records_before_any_column)
{
    /* Rows with no cells before the first column exists (once a heap overflow
     * in the builder's backfill past 1024 rows, and garbage instead of missing). */
    size_t n = 1100, size = n * 3 + 32, at = 0;
    char *text = malloc(size);
    text[at++] = '[';
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(text + at, size - at, "{},");
    snprintf(text + at, size - at, "{\"a\": 1}, {}]");
    lathe_frame *f;
    lathe_error err;
    lathe_status status = read_named(text, strlen(text), "t.json", NULL, &f, &err);
    free(text);
    CHECK_OK(status, err);
    CHECK_EQ(lathe_frame_n_rows(f), 1102);
    CHECK_EQ(lathe_frame_n_columns(f), 1);
    CHECK_EQ(lathe_frame_column_missing(f, 0), 1101);
    CHECK(lathe_frame_is_missing(f, 0, 0));
    CHECK(lathe_frame_is_missing(f, 0, 1099));
    CHECK_EQ(lathe_frame_numeric(f, 0, 1100), 1.0);
    lathe_frame_free(f);

    CHECK_OK(read_text("{}\n{}\n{\"c\": \"x\"}\n{}\n", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    CHECK(lathe_frame_is_missing(f, 0, 0));
    CHECK_STR(category(f, 0, 2), "x");
    CHECK(lathe_frame_is_missing(f, 0, 3));
    lathe_frame_free(f);
}

TEST(json_declared_kinds_override_inference)
{
    lathe_column_decl decls[] = {
        {.name = "code", .has_kind = true, .kind = LATHE_KIND_CATEGORICAL},
        {.name = "y", .has_role = true, .role = LATHE_ROLE_TARGET},
    };
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.columns = decls;
    options.n_columns = 2;
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_text("{\"code\": 10, \"y\": 1}\n{\"code\": 20, \"y\": 0}\n", &options, &f, &err),
             err);
    CHECK_EQ(lathe_frame_column_kind(f, 0), LATHE_KIND_CATEGORICAL);
    CHECK_STR(category(f, 0, 1), "20");
    CHECK_EQ(lathe_frame_column_role(f, 1), LATHE_ROLE_TARGET);
    lathe_frame_free(f);
}

TEST(json_syntax_errors_are_placed_by_byte)
{
    CHECK_READ_FAILS("{\"a\": 1}\n{\"a\": tru}\n", NULL, LATHE_PARSE,
                     "t.jsonl:2:9: invalid token near 'tru'");
    CHECK_READ_FAILS("{\"a\": 1}\n{\"a\": 1\n", NULL, LATHE_PARSE,
                     "t.jsonl:2:7: '}' expected near end of file");
    CHECK_READ_FAILS("{\"a\": 1, \"a\": 2}\n", NULL, LATHE_PARSE,
                     "t.jsonl:1:12: duplicate object key near '\"a\"'");
    CHECK_READ_FAILS("{\"a\": 1} {\"a\": 2}\n", NULL, LATHE_PARSE,
                     "t.jsonl:1:10: end of file expected near '{'");
    /* In an array, errors are placed in the file, across lines. */
    lathe_frame *f;
    lathe_error err;
    const char *text = "[{\"a\": 1},\n {\"a\":\n    oops}]";
    CHECK_EQ(read_named(text, strlen(text), "t.json", NULL, &f, &err), LATHE_PARSE);
    CHECK_STR(err.message, "t.json:3:8: invalid token near 'oops'");
}

TEST(json_records_must_be_flat_objects)
{
    CHECK_READ_FAILS("{\"a\": 1}\n[1, 2]\n", NULL, LATHE_PARSE,
                     "t.jsonl:2:1: expected a JSON object, found an array");
    CHECK_READ_FAILS("{\"a\": 1}\n   42\n", NULL, LATHE_PARSE,
                     "t.jsonl:2:4: expected a JSON object, found a number");
    CHECK_READ_FAILS("\"text\"\n", NULL, LATHE_PARSE,
                     "t.jsonl:1:1: expected a JSON object, found a string");
    /* Nested values are refused, arrays of numbers included. */
    CHECK_READ_FAILS("{\"a\": 1}\n{\"a\": 2, \"where\": {\"x\": 1}}\n", NULL, LATHE_PARSE,
                     "t.jsonl:2:1: field \"where\" holds a nested object; flatten it first");
    CHECK_READ_FAILS("{\"v\": [1, 2, 3]}\n", NULL, LATHE_PARSE,
                     "t.jsonl:1:1: field \"v\" holds a nested array; flatten it first");
    lathe_frame *f;
    lathe_error err;
    const char *text = "[\n  {\"a\": 1},\n  null\n]";
    CHECK_EQ(read_named(text, strlen(text), "t.json", NULL, &f, &err), LATHE_PARSE);
    CHECK_STR(err.message, "t.json:3:3: expected a JSON object, found null");
}

TEST(json_array_structure_errors)
{
    struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"[]", "t.json:1:2: no records (the array is empty)"},
        {"[{\"a\": 1}", "t.json:1:10: unterminated array (expected ',' or ']')"},
        {"[{\"a\": 1},]", "t.json:1:11: expected a record in the array"},
        {"[{\"a\": 1} {\"a\": 2}]", "t.json:1:11: expected ',' or ']' after a record"},
        {"[{\"a\": 1}]\n x", "t.json:2:2: unexpected text after the array"},
        {"[{\"a\": \"b]\"}", "t.json:1:13: unterminated array (expected ',' or ']')"},
        {"[{\"a\": 1]", "t.json:1:9: '}' expected near ']'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lathe_frame *f;
        lathe_error err;
        CHECK_EQ(read_named(cases[i].text, strlen(cases[i].text), "t.json", NULL, &f, &err),
                 LATHE_PARSE);
        CHECK(f == NULL);
        CHECK_STR(err.message, cases[i].message);
    }
}

TEST(json_empty_input)
{
    CHECK_READ_FAILS("", NULL, LATHE_PARSE, "t.jsonl: no data (the input is empty)");
    CHECK_READ_FAILS(" \n\n \t\n", NULL, LATHE_PARSE, "t.jsonl: no data (the input is empty)");
}

TEST(json_builder_errors_name_the_record)
{
    lathe_column_decl decls[] = {{.name = "n", .has_kind = true, .kind = LATHE_KIND_NUMERIC}};
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.columns = decls;
    options.n_columns = 1;
    CHECK_READ_FAILS("{\"n\": 1}\n\n  {\"n\": \"abc\"}\n", &options, LATHE_PARSE,
                     "t.jsonl:3:3: column \"n\" is numeric, found \"abc\"");
}

TEST(json_limits_are_enforced)
{
    lathe_read_options options;
    lathe_read_options_init(&options);
    options.limits.max_line_bytes = 12;
    CHECK_READ_FAILS("{\"a\": 1}\n{\"a\":      1}\n", &options, LATHE_LIMIT,
                     "t.jsonl:2:1: a line longer than the limit of 12 bytes");
    lathe_frame *f;
    lathe_error err;
    const char *array = "[{\"a\": 1},\n {\"a\":      1}]";
    CHECK_EQ(read_named(array, strlen(array), "t.json", &options, &f, &err), LATHE_LIMIT);
    CHECK_STR(err.message, "t.json:2:2: a record longer than the limit of 12 bytes");

    lathe_read_options_init(&options);
    options.limits.max_columns = 2;
    CHECK_READ_FAILS("{\"a\": 1, \"b\": 2}\n{\"c\": 3}\n", &options, LATHE_LIMIT,
                     "t.jsonl:2:1: more than 2 columns (the column limit)");

    lathe_read_options_init(&options);
    options.limits.max_cell_bytes = 3;
    CHECK_READ_FAILS("{\"a\": \"abc\"}\n{\"a\": \"abcd\"}\n", &options, LATHE_LIMIT,
                     "t.jsonl:2:1: a cell of 4 bytes, more than the limit of 3");

    lathe_read_options_init(&options);
    options.limits.max_rows = 2;
    CHECK_READ_FAILS("{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3}\n", &options, LATHE_LIMIT,
                     "t.jsonl:3:1: more than 2 rows (the row limit)");

    /* The kept records of an array count against the memory limit: ten records
     * of 2000-byte strings fit the builder's storage but not beside their DOMs. */
    char records[10 * 2020];
    size_t at = 0;
    for (int i = 0; i < 10; i++)
        at += (size_t)snprintf(records + at, sizeof records - at, "%c{\"a\": \"%02000d\"}",
                               i ? ',' : '[', i);
    snprintf(records + at, sizeof records - at, "]");
    size_t record_length = strlen("{\"a\": \"\"}") + 2000 + 1;
    char expected[160];
    snprintf(expected, sizeof expected,
             "t.json:1:%zu: the parsed records need more memory than the limit of 30000 bytes",
             2 + 4 * record_length);
    lathe_read_options_init(&options);
    options.limits.max_memory_bytes = 30000;
    CHECK_EQ(read_named(records, strlen(records), "t.json", &options, &f, &err), LATHE_LIMIT);
    CHECK_STR(err.message, expected);
    options.limits.max_memory_bytes = 60000;
    CHECK_OK(read_named(records, strlen(records), "t.json", &options, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 10);
    lathe_frame_free(f);
}

static lathe_status gzip_bytes(const char *text, unsigned char *out, size_t *size)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return LATHE_NOMEM;
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)strlen(text);
    z.next_out = out;
    z.avail_out = (uInt)*size;
    int rc = deflate(&z, Z_FINISH);
    *size = z.total_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? LATHE_OK : LATHE_INVALID;
}

TEST(json_lines_gzip_compressed)
{
    const char *text = "{\"city\": \"Oslo\", \"t\": -3.5}\n{\"city\": \"Lima\", \"t\": 19}\n";
    unsigned char packed[256];
    size_t size = sizeof packed;
    CHECK_EQ(gzip_bytes(text, packed, &size), LATHE_OK);
    CHECK(packed[0] == 0x1f && packed[1] == 0x8b);
    lathe_frame *f;
    lathe_error err;
    CHECK_OK(read_named(packed, size, "weather.jsonl.gz", NULL, &f, &err), err);
    CHECK_EQ(lathe_frame_n_rows(f), 2);
    CHECK_STR(category(f, 0, 1), "Lima");
    CHECK_EQ(lathe_frame_numeric(f, 1, 0), -3.5);
    lathe_frame_free(f);
}

typedef struct progress_log {
    size_t calls;
    double last_done;
    double total;
    int cancel;
} progress_log;

static int on_progress(void *user, const char *stage, double done, double total)
{
    progress_log *log = user;
    log->calls += strcmp(stage, "read") == 0;
    log->last_done = done;
    log->total = total;
    return log->cancel;
}

/* 70000 records with a categorical column whose first value could start a
 * boolean column, so that it is built in a second pass: both passes report
 * progress. */
static char *many_records(bool array)
{
    size_t n = 70000, size = n * 32 + 16, at = 0;
    char *text = malloc(size);
    if (array)
        text[at++] = '[';
    for (size_t i = 0; i < n; i++) {
        char value[16];
        snprintf(value, sizeof value, "k%zu", i % 3);
        at += (size_t)snprintf(text + at, size - at, "%s{\"i\": %zu, \"c\": \"%s\"}%s",
                               array && i ? "," : "", i, i ? value : "true", array ? "" : "\n");
    }
    if (array)
        text[at++] = ']';
    text[at] = '\0';
    return text;
}

TEST(json_reports_progress_and_can_be_canceled)
{
    for (int array = 0; array < 2; array++) {
        char *text = many_records(array);
        progress_log log = {0};
        lathe_frame *f;
        lathe_error err;
        lathe_status status =
            read_named(text, strlen(text), array ? "t.json" : "t.jsonl", NULL, &f, &err);
        CHECK_OK(status, err);
        CHECK_EQ(lathe_frame_n_rows(f), 70000);
        CHECK_EQ(lathe_frame_n_categories(f, 1), 4);
        lathe_frame_free(f);

        lathe_ctx_set_progress(ctx, on_progress, &log);
        status = read_named(text, strlen(text), array ? "t.json" : "t.jsonl", NULL, &f, &err);
        CHECK_OK(status, err);
        lathe_frame_free(f);
        CHECK(log.calls >= 2); /* at least once in each pass */
        CHECK(log.last_done > log.total / 2);

        log.cancel = 1;
        status = read_named(text, strlen(text), array ? "t.json" : "t.jsonl", NULL, &f, &err);
        lathe_ctx_set_progress(ctx, NULL, NULL);
        free(text);
        CHECK_EQ(status, LATHE_CANCELED);
        CHECK(f == NULL);
        CHECK_STR(err.message, array ? "t.json: reading canceled" : "t.jsonl: reading canceled");
    }
}
