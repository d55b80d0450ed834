/*
 * json.c: JSON lines, or one JSON array of records, parsed with jansson.
 *
 * The first byte that is not white space picks the shape: '[' starts an
 * array of objects; anything else is JSON lines, one object per line, blank
 * lines skipped. Each object is a row; its keys are columns in first-seen
 * order, and a key a record lacks is missing in that row. Strings, numbers,
 * booleans and null become the builder's typed cells, so kinds are inferred
 * as for CSV. A nested object or array is an error naming the field, for
 * arrays of numbers too: a column holds one value per row, and storing the
 * JSON text instead would quietly turn nested data into an opaque category.
 *
 * JSON lines are parsed a line at a time and parsed again if the builder
 * asks for a second pass, so only one line's DOM is alive at once. An array
 * is cut into its elements by a small bracket-matching scan and each element
 * is parsed once and kept; the second pass replays the kept DOMs. Cutting
 * gives every record its own line and column for messages and lets
 * max_line_bytes bound each record, which parsing the array whole would
 * not. jansson allocates with its own allocator, so the kept DOMs are
 * charged against max_memory_bytes by an estimate.
 *
 * Positions: jansson's syntax errors are placed exactly, by byte; other
 * messages name the line and column where the record starts, because
 * jansson keeps no positions for the values inside a DOM.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "data/builder.h"
#include "data/readers.h"

#include "core/banned.h"

#define PROGRESS_ROWS 65536
#define PARSE_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)
/* What jansson spends on a value, a key or an object beyond their text (an estimate). */
#define DOM_VALUE_BYTES ((size_t)64)

typedef struct record {
    json_t *value;
    size_t line;
    size_t column;
} record;

typedef struct json_reader {
    lathe_ctx *ctx;
    const lathe__input *input;
    const lathe_read_options *options;
    lathe__builder *builder;
    const char *begin; /* after any byte order mark */
    const char *end;
    size_t line; /* where the record being added starts */
    size_t column;
    record *records; /* the array form's elements, kept for pass 2 */
    size_t n_records;
    size_t records_capacity;
    size_t dom_bytes; /* estimated memory of the kept records */
} json_reader;

static void json_where(void *user, char *buf, size_t size)
{
    const json_reader *r = user;
    snprintf(buf, size, "%s:%zu:%zu", r->input->name, r->line, r->column);
}

static lathe_status fail_at(const json_reader *r, lathe_error *err, lathe_status status,
                            size_t line, size_t column, const char *format, ...)
    __attribute__((format(printf, 6, 7)));

static lathe_status fail_at(const json_reader *r, lathe_error *err, lathe_status status,
                            size_t line, size_t column, const char *format, ...)
{
    char message[LATHE_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    return lathe__error(err, status, "%s:%zu:%zu: %s", r->input->name, line, column, message);
}

/* Up to 40 bytes of a key for a message, control bytes replaced. */
static void quote_key(const char *text, size_t length, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < length && i < 40 && n + 4 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        char shown = text[i];
        if (c < 0x20 || c == 0x7f)
            shown = '?';
        out[n++] = shown;
    }
    if (length > 40 && n + 4 < size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static const char *type_name(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static inline bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Turns jansson's error inside text[0..length), which starts at line:column
 * of the input, into a message placed at the byte jansson stopped on.
 */
static lathe_status syntax_error(const json_reader *r, lathe_error *err, const char *text,
                                 size_t length, size_t line, size_t column,
                                 const json_error_t *error)
{
    size_t at = error->position > 0 ? (size_t)error->position - 1 : 0;
    if (at > length)
        at = length;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
    }
    return fail_at(r, err, LATHE_PARSE, line, column, "%s", error->text);
}

/* --- records --------------------------------------------------------------- */

static lathe_status add_value(json_reader *r, size_t column, const char *key, size_t key_length,
                              const json_t *value, lathe_error *err)
{
    lathe__builder *b = r->builder;
    char quoted[64];
    switch (json_typeof(value)) {
    case JSON_STRING:
        return lathe__builder_string(b, column, json_string_value(value), json_string_length(value),
                                     err);
    case JSON_INTEGER:
        return lathe__builder_number(b, column, (double)json_integer_value(value), err);
    case JSON_REAL:
        return lathe__builder_number(b, column, json_real_value(value), err);
    case JSON_TRUE:
        return lathe__builder_boolean(b, column, true, err);
    case JSON_FALSE:
        return lathe__builder_boolean(b, column, false, err);
    case JSON_NULL:
        return lathe__builder_missing(b, column, err);
    default:
        quote_key(key, key_length, quoted, sizeof quoted);
        return fail_at(r, err, LATHE_PARSE, r->line, r->column,
                       "field \"%s\" holds a nested %s; flatten it first", quoted,
                       json_is_object(value) ? "object" : "array");
    }
}

/* Estimated bytes of a record's DOM: the object, and each key and value with its text. */
static size_t dom_estimate(const json_t *object)
{
    size_t bytes = DOM_VALUE_BYTES;
    for (void *it = json_object_iter((json_t *)object); it;
         it = json_object_iter_next((json_t *)object, it)) {
        const json_t *value = json_object_iter_value(it);
        bytes += 2 * DOM_VALUE_BYTES + json_object_iter_key_len(it);
        if (json_is_string(value))
            bytes += json_string_length(value);
    }
    return bytes;
}

/* Hands one record's cells to the builder and ends the row. */
static lathe_status add_record(json_reader *r, const json_t *object, lathe_error *err)
{
    if (!json_is_object(object))
        return fail_at(r, err, LATHE_PARSE, r->line, r->column, "expected a JSON object, found %s",
                       type_name(object));
    bool first_pass = lathe__builder_pass(r->builder) == 1;
    for (void *it = json_object_iter((json_t *)object); it;
         it = json_object_iter_next((json_t *)object, it)) {
        const char *key = json_object_iter_key(it);
        size_t key_length = json_object_iter_key_len(it);
        size_t column;
        lathe_status status = lathe__builder_column(r->builder, key, key_length, &column, err);
        if (status != LATHE_OK)
            return status;
        if (!first_pass && !lathe__builder_wants(r->builder, column))
            continue;
        status = add_value(r, column, key, key_length, json_object_iter_value(it), err);
        if (status != LATHE_OK)
            return status;
    }
    return lathe__builder_end_row(r->builder, err);
}

static bool report_progress(json_reader *r, size_t rows, double done, double total)
{
    return rows % PROGRESS_ROWS == 0 && lathe__progress(r->ctx, "read", done, total);
}

/* --- JSON lines ------------------------------------------------------------ */

/* Parses and adds the line text[0..length), line number `line`; blank lines add nothing. */
static lathe_status read_line(json_reader *r, const char *text, size_t length, size_t line,
                              bool *added, lathe_error *err)
{
    *added = false;
    if (length > r->options->limits.max_line_bytes)
        return fail_at(r, err, LATHE_LIMIT, line, 1, "a line longer than the limit of %zu bytes",
                       r->options->limits.max_line_bytes);
    size_t skip = 0;
    while (skip < length && is_space(text[skip]))
        skip++;
    *added = skip < length;
    if (!*added)
        return LATHE_OK;
    json_error_t error;
    json_t *value = json_loadb(text, length, PARSE_FLAGS, &error);
    if (!value)
        return syntax_error(r, err, text, length, line, 1, &error);
    r->line = line;
    r->column = skip + 1;
    lathe_status status = add_record(r, value, err);
    json_decref(value);
    return status;
}

static lathe_status read_lines(json_reader *r, size_t *n_records, lathe_error *err)
{
    int pass = lathe__builder_pass(r->builder);
    double size = (double)(r->end - r->begin), total = size * 2, before = pass == 2 ? size : 0;
    size_t line = 1, rows = 0;
    for (const char *p = r->begin; p < r->end; line++) {
        const char *newline = memchr(p, '\n', (size_t)(r->end - p));
        const char *stop = newline ? newline : r->end;
        bool added;
        lathe_status status = read_line(r, p, (size_t)(stop - p), line, &added, err);
        if (status != LATHE_OK)
            return status;
        p = newline ? newline + 1 : r->end;
        if (added && report_progress(r, ++rows, before + (double)(p - r->begin), total))
            return lathe__error(err, LATHE_CANCELED, "%s: reading canceled", r->input->name);
    }
    *n_records = rows;
    return LATHE_OK;
}

static size_t count_lines(const char *p, const char *end)
{
    size_t lines = 1;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p++;
    }
    return lines;
}

/* --- one array of records -------------------------------------------------- */

typedef struct cursor {
    const char *p;
    size_t line;
    const char *line_start;
} cursor;

static size_t cursor_column(const cursor *c)
{
    return (size_t)(c->p - c->line_start) + 1;
}

/* Moves the cursor to `to`, counting the lines it passes. */
static void advance(cursor *c, const char *to)
{
    const char *nl = c->p;
    while ((nl = memchr(nl, '\n', (size_t)(to - nl))) != NULL) {
        c->line++;
        c->line_start = ++nl;
    }
    c->p = to;
}

static void skip_space(cursor *c, const char *end)
{
    const char *p = c->p;
    while (p < end && is_space(*p))
        p++;
    advance(c, p);
}

/* The closing quote of a JSON string whose content starts at p, or end. */
static const char *string_end(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p;
    }
    return end;
}

/*
 * One past the end of the JSON value starting at p: its matching bracket or
 * closing quote, or for a bare scalar the next ',' ']' or space. Brackets
 * are counted, not matched by kind; jansson judges the element afterwards.
 */
static const char *element_end(const char *p, const char *end)
{
    if (*p != '{' && *p != '[' && *p != '"') {
        while (p < end && *p != ',' && *p != ']' && !is_space(*p))
            p++;
        return p;
    }
    size_t depth = 0;
    for (; p < end; p++) {
        if (*p == '"') {
            p = string_end(p + 1, end);
            if (p == end)
                return end;
            if (depth == 0)
                return p + 1;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if ((*p == '}' || *p == ']') && --depth == 0) {
            return p + 1;
        }
    }
    return end;
}

static lathe_status keep_record(json_reader *r, json_t *value, size_t line, size_t column,
                                lathe_error *err)
{
    void *records = r->records;
    if (!lathe__grow(r->ctx, &records, &r->records_capacity, r->n_records + 1, sizeof(record))) {
        json_decref(value);
        return lathe__error_nomem(err);
    }
    r->records = records;
    r->records[r->n_records++] = (record){value, line, column};
    size_t kept = json_is_object(value) ? dom_estimate(value) : DOM_VALUE_BYTES;
    r->dom_bytes += kept + sizeof(record);
    size_t limit = r->options->limits.max_memory_bytes;
    if (r->input->size > limit || r->dom_bytes > limit - r->input->size)
        return fail_at(r, err, LATHE_LIMIT, line, column,
                       "the parsed records need more memory than the limit of %zu bytes", limit);
    return LATHE_OK;
}

/* Parses the element at the cursor, keeps it, and adds it to the builder (pass 1). */
static lathe_status read_element(json_reader *r, cursor *c, lathe_error *err)
{
    const char *stop = element_end(c->p, r->end);
    size_t length = (size_t)(stop - c->p), line = c->line, column = cursor_column(c);
    if (length > r->options->limits.max_line_bytes)
        return fail_at(r, err, LATHE_LIMIT, line, column,
                       "a record longer than the limit of %zu bytes",
                       r->options->limits.max_line_bytes);
    json_error_t error;
    json_t *value = json_loadb(c->p, length, PARSE_FLAGS, &error);
    if (!value)
        return syntax_error(r, err, c->p, length, line, column, &error);
    lathe_status status = keep_record(r, value, line, column, err);
    if (status != LATHE_OK)
        return status;
    advance(c, stop);
    r->line = line;
    r->column = column;
    status = add_record(r, value, err);
    if (status == LATHE_OK && report_progress(r, r->n_records, (double)(stop - r->begin),
                                              2.0 * (double)(r->end - r->begin)))
        return lathe__error(err, LATHE_CANCELED, "%s: reading canceled", r->input->name);
    return status;
}

/* Pass 1 over "[ record, record, ... ]": the cursor starts on the '['. */
static lathe_status read_array(json_reader *r, cursor *c, lathe_error *err)
{
    c->p++;
    skip_space(c, r->end);
    if (c->p < r->end && *c->p == ']') {
        return fail_at(r, err, LATHE_PARSE, c->line, cursor_column(c),
                       "no records (the array is empty)");
    }
    for (;;) {
        if (c->p == r->end || *c->p == ']' || *c->p == ',')
            return fail_at(r, err, LATHE_PARSE, c->line, cursor_column(c),
                           "expected a record in the array");
        lathe_status status = read_element(r, c, err);
        if (status != LATHE_OK)
            return status;
        skip_space(c, r->end);
        if (c->p == r->end)
            return fail_at(r, err, LATHE_PARSE, c->line, cursor_column(c),
                           "unterminated array (expected ',' or ']')");
        if (*c->p == ']')
            break;
        if (*c->p != ',')
            return fail_at(r, err, LATHE_PARSE, c->line, cursor_column(c),
                           "expected ',' or ']' after a record");
        c->p++;
        skip_space(c, r->end);
    }
    c->p++;
    skip_space(c, r->end);
    if (c->p != r->end)
        return fail_at(r, err, LATHE_PARSE, c->line, cursor_column(c),
                       "unexpected text after the array");
    return LATHE_OK;
}

/* Pass 2 of the array form: the kept records again. */
static lathe_status replay_array(json_reader *r, lathe_error *err)
{
    for (size_t i = 0; i < r->n_records; i++) {
        r->line = r->records[i].line;
        r->column = r->records[i].column;
        lathe_status status = add_record(r, r->records[i].value, err);
        if (status != LATHE_OK)
            return status;
        if (report_progress(r, i + 1, (double)(r->n_records + i + 1), 2.0 * (double)r->n_records))
            return lathe__error(err, LATHE_CANCELED, "%s: reading canceled", r->input->name);
    }
    return LATHE_OK;
}

/* --- driver ---------------------------------------------------------------- */

static lathe_status read_both_passes(json_reader *r, bool array, lathe_error *err)
{
    cursor c = {r->begin, 1, r->begin};
    skip_space(&c, r->end);
    lathe_status status;
    size_t n_records = 0;
    if (array) {
        status = read_array(r, &c, err);
    } else {
        status = lathe__builder_reserve(r->builder, count_lines(r->begin, r->end), err);
        if (status == LATHE_OK)
            status = read_lines(r, &n_records, err);
        if (status == LATHE_OK && n_records == 0)
            status =
                lathe__error(err, LATHE_PARSE, "%s: no data (the input is empty)", r->input->name);
    }
    bool again = false;
    if (status == LATHE_OK)
        status = lathe__builder_next_pass(r->builder, &again, err);
    if (status == LATHE_OK && again)
        status = array ? replay_array(r, err) : read_lines(r, &n_records, err);
    return status;
}

lathe_status lathe__read_json(lathe_ctx *ctx, const lathe__input *input,
                              const lathe_read_options *options, lathe_frame **out,
                              lathe_error *err)
{
    json_reader r = {.ctx = ctx, .input = input, .options = options, .line = 1, .column = 1};
    r.begin = input->data;
    r.end = input->data + input->size;
    if (input->size >= 3 && memcmp(r.begin, "\xef\xbb\xbf", 3) == 0)
        r.begin += 3;
    const char *first = r.begin;
    while (first < r.end && is_space(*first))
        first++;
    if (first == r.end)
        return lathe__error(err, LATHE_PARSE, "%s: no data (the input is empty)", input->name);

    lathe_status status = lathe__builder_new(ctx, options, input->size, &r.builder, err);
    if (status != LATHE_OK)
        return status;
    lathe__builder_set_where(r.builder, json_where, &r);
    status = read_both_passes(&r, *first == '[', err);
    if (status == LATHE_OK)
        status = lathe__builder_finish(r.builder, out, err);
    lathe__builder_free(r.builder);
    for (size_t i = 0; i < r.n_records; i++)
        json_decref(r.records[i].value);
    lathe__free(ctx, r.records);
    return status;
}
