/*
 * arff.c: Weka's Attribute-Relation File Format, dense and sparse.
 *
 * The header (@relation, @attribute NAME TYPE, @data; keywords in any case,
 * '%' comment lines) declares every column and its kind up front: numeric,
 * real and integer are numeric; {a, b, ...} is categorical with exactly
 * those values in that order; string is text; date is a datetime. Only ISO
 * 8601 date formats are accepted (Weka's default yyyy-MM-dd'T'HH:mm:ss,
 * yyyy-MM-dd and yyyy-MM-dd HH:mm:ss), and date values are read as ISO 8601
 * whichever of them is declared. Relational attributes are refused.
 *
 * After @data each line is a row: dense ("a, 'b c', ?") with one value per
 * attribute, or sparse ("{0 a, 3 'b c'}") with 0-based, increasing indices;
 * a file may mix the two. Values may be quoted with ' or " and use
 * backslash escapes; an unquoted ? is missing (the only missing marker, as
 * in Weka, unless the caller names missing tokens). As in Weka, '%' outside
 * quotes starts a comment that runs to the end of the line, so "50%" must be
 * quoted. Values are separated by commas only (Weka also takes spaces).
 * Instance weights ("{w}" after a row) are refused.
 *
 * An attribute a sparse row leaves out is 0: the builder runs in sparse
 * mode throughout (dense rows always give every value, so it only acts on
 * sparse ones), making numbers 0 and nominal values the first declared one.
 * For string and date attributes "0" means nothing useful, so the reader
 * fills those itself with the empty string and the epoch, Weka's 0.
 *
 * The header is read once; pass 2 re-reads only the data lines. Messages
 * give 1-based lines and byte columns of the value or token at fault.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/internal.h"
#include "data/builder.h"
#include "data/readers.h"

#include "core/banned.h"

#define PROGRESS_ROWS 65536
/* An absent date: Weka's 0, written as a plain date so a date-only column stays date-only. */
#define EPOCH "1970-01-01"

typedef enum attribute_type {
    ATTRIBUTE_NUMERIC,
    ATTRIBUTE_NOMINAL,
    ATTRIBUTE_STRING,
    ATTRIBUTE_DATE
} attribute_type;

static const struct {
    const char *name;
    attribute_type type;
    lathe_kind kind;
} type_table[] = {
    {"numeric", ATTRIBUTE_NUMERIC, LATHE_KIND_NUMERIC},
    {"real", ATTRIBUTE_NUMERIC, LATHE_KIND_NUMERIC},
    {"integer", ATTRIBUTE_NUMERIC, LATHE_KIND_NUMERIC},
    {"string", ATTRIBUTE_STRING, LATHE_KIND_TEXT},
    {"date", ATTRIBUTE_DATE, LATHE_KIND_DATETIME},
};

static const char *const date_formats[] = {
    "yyyy-MM-dd'T'HH:mm:ss",
    "yyyy-MM-dd",
    "yyyy-MM-dd HH:mm:ss",
};

/* A caller who names no missing tokens gets ARFF's rule: only an unquoted ? is missing. */
static const char *const no_missing_tokens[] = {"?"};

/* The bytes of one line being tokenized, without its line end. */
typedef struct line_cursor {
    const char *p;
    const char *end;
} line_cursor;

typedef struct arff_reader {
    lathe_ctx *ctx;
    const lathe__input *input;
    lathe_read_options options; /* the caller's, perhaps with ARFF's missing rule */
    lathe__builder *builder;
    const char *p; /* start of the next line */
    const char *end;
    size_t line;            /* number of the current line */
    const char *line_start; /* its first byte */
    const char *token;      /* the token messages point at */
    uint8_t *types;         /* attribute_type of each attribute */
    size_t n_attributes;
    size_t types_capacity;
    bool fill_absent; /* some attribute is a string or a date */
    char *scratch;    /* the current quoted token, unescaped */
    size_t scratch_capacity;
} arff_reader;

static size_t column_of(const arff_reader *r, const char *at)
{
    return (size_t)(at - r->line_start) + 1;
}

static void arff_where(void *user, char *buf, size_t size)
{
    const arff_reader *r = user;
    snprintf(buf, size, "%s:%zu:%zu", r->input->name, r->line, column_of(r, r->token));
}

static lathe_status fail_at(const arff_reader *r, lathe_error *err, lathe_status status,
                            const char *at, const char *format, ...)
    __attribute__((format(printf, 5, 6)));

static lathe_status fail_at(const arff_reader *r, lathe_error *err, lathe_status status,
                            const char *at, const char *format, ...)
{
    char message[LATHE_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    return lathe__error(err, status, "%s:%zu:%zu: %s", r->input->name, r->line, column_of(r, at),
                        message);
}

/* Up to 40 bytes of text for a message, control bytes replaced. */
static void quote_text(const char *text, size_t length, char *out, size_t size)
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

/* --- lines and tokens --------------------------------------------------------- */

/* The next line into *c; false at the end of the input. */
static bool next_line(arff_reader *r, line_cursor *c)
{
    if (r->p >= r->end)
        return false;
    const char *newline = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *stop = newline ? newline : r->end;
    r->line++;
    r->line_start = r->token = r->p;
    c->p = r->p;
    c->end = stop > r->p && stop[-1] == '\r' ? stop - 1 : stop;
    r->p = newline ? newline + 1 : r->end;
    return true;
}

static lathe_status check_line_length(const arff_reader *r, const line_cursor *c, lathe_error *err)
{
    if ((size_t)(c->end - r->line_start) <= r->options.limits.max_line_bytes)
        return LATHE_OK;
    return fail_at(r, err, LATHE_LIMIT, r->line_start, "a line longer than the limit of %zu bytes",
                   r->options.limits.max_line_bytes);
}

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void skip_blanks(line_cursor *c)
{
    while (c->p < c->end && is_blank(*c->p))
        c->p++;
}

/* Nothing but blanks and perhaps a '%' comment is left. */
static bool at_line_end(line_cursor *c)
{
    skip_blanks(c);
    return c->p == c->end || *c->p == '%';
}

/* The byte a backslash escape stands for: \n, \t and \r, else the byte itself. */
static char escaped_char(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    default:
        return c;
    }
}

static lathe_status unescape(arff_reader *r, const char *start, const char *stop, const char **text,
                             size_t *length, lathe_error *err)
{
    size_t need = (size_t)(stop - start);
    void *scratch = r->scratch;
    if (!lathe__grow(r->ctx, &scratch, &r->scratch_capacity, need, 1))
        return lathe__error_nomem(err);
    r->scratch = scratch;
    size_t n = 0;
    for (const char *q = start; q < stop; q++) {
        if (*q == '\\' && q + 1 < stop)
            r->scratch[n++] = escaped_char(*++q);
        else
            r->scratch[n++] = *q;
    }
    *text = r->scratch;
    *length = n;
    return LATHE_OK;
}

/* A token quoted with ' or " at c->p, unescaped; the cursor ends past the closing quote. */
static lathe_status quoted_token(arff_reader *r, line_cursor *c, const char **text, size_t *length,
                                 lathe_error *err)
{
    const char *open = c->p, *q = open + 1;
    bool escaped = false;
    while (q < c->end && *q != *open) {
        if (*q == '\\' && q + 1 < c->end) {
            escaped = true;
            q++;
        }
        q++;
    }
    if (q >= c->end)
        return fail_at(r, err, LATHE_PARSE, open, "unterminated quoted value (expected %c)", *open);
    c->p = q + 1;
    if (escaped)
        return unescape(r, open + 1, q, text, length, err);
    *text = open + 1;
    *length = (size_t)(q - open - 1);
    return LATHE_OK;
}

/*
 * A value: quoted, or everything up to one of `stops` (or the line end)
 * with the blanks around it trimmed. *quoted says which.
 */
static lathe_status value_token(arff_reader *r, line_cursor *c, const char *stops,
                                const char **text, size_t *length, bool *quoted, lathe_error *err)
{
    skip_blanks(c);
    r->token = c->p;
    *quoted = c->p < c->end && (*c->p == '\'' || *c->p == '"');
    if (*quoted)
        return quoted_token(r, c, text, length, err);
    const char *start = c->p;
    while (c->p < c->end && (*c->p == '\0' || !strchr(stops, *c->p)))
        c->p++;
    const char *stop = c->p;
    while (stop > start && is_blank(stop[-1]))
        stop--;
    *text = start;
    *length = (size_t)(stop - start);
    return LATHE_OK;
}

/* A name: quoted, or up to a blank, '{' or a comment. */
static lathe_status name_token(arff_reader *r, line_cursor *c, const char **text, size_t *length,
                               lathe_error *err)
{
    bool quoted;
    return value_token(r, c, " \t{%", text, length, &quoted, err);
}

/* A keyword's letters at c->p (after '@' for declarations). */
static size_t word_length(const line_cursor *c)
{
    size_t n = 0;
    while (c->p + n < c->end && ((c->p[n] | 0x20) >= 'a' && (c->p[n] | 0x20) <= 'z'))
        n++;
    return n;
}

static bool word_is(const char *word, size_t length, const char *keyword)
{
    return strlen(keyword) == length && strncasecmp(word, keyword, length) == 0;
}

/* --- header ------------------------------------------------------------------- */

static lathe_status add_attribute_type(arff_reader *r, attribute_type type, lathe_error *err)
{
    void *types = r->types;
    if (!lathe__grow(r->ctx, &types, &r->types_capacity, r->n_attributes + 1, 1))
        return lathe__error_nomem(err);
    r->types = types;
    r->types[r->n_attributes++] = (uint8_t)type;
    if (type == ATTRIBUTE_STRING || type == ATTRIBUTE_DATE)
        r->fill_absent = true;
    return LATHE_OK;
}

/* "{a, 'b c', d}": declares each value as a category of `column`, in order. */
static lathe_status nominal_values(arff_reader *r, line_cursor *c, size_t column, const char *name,
                                   lathe_error *err)
{
    const char *open = c->p++;
    size_t n_values = 0;
    for (;;) {
        skip_blanks(c);
        if (c->p < c->end && *c->p == '}' && n_values == 0)
            return fail_at(r, err, LATHE_PARSE, open, "attribute \"%s\" declares no values", name);
        const char *text;
        size_t length;
        bool quoted;
        lathe_status status = value_token(r, c, ",}%", &text, &length, &quoted, err);
        if (status != LATHE_OK)
            return status;
        if (length == 0 && !quoted)
            return fail_at(r, err, LATHE_PARSE, r->token, "empty nominal value");
        status = lathe__builder_declare_category(r->builder, column, text, length, err);
        if (status != LATHE_OK)
            return status;
        n_values++;
        if (at_line_end(c))
            return fail_at(r, err, LATHE_PARSE, open,
                           "unterminated list of nominal values (expected '}')");
        if (*c->p++ == '}')
            return LATHE_OK;
        if (c->p[-1] != ',')
            return fail_at(r, err, LATHE_PARSE, c->p - 1,
                           "expected ',' or '}' between nominal values");
    }
}

/* The optional format after "date"; only ISO 8601 ones are known. */
static lathe_status date_format(arff_reader *r, line_cursor *c, const char *name, lathe_error *err)
{
    if (at_line_end(c))
        return LATHE_OK; /* Weka's default, yyyy-MM-dd'T'HH:mm:ss */
    const char *text;
    size_t length;
    bool quoted;
    lathe_status status = value_token(r, c, "%", &text, &length, &quoted, err);
    if (status != LATHE_OK)
        return status;
    for (size_t i = 0; i < sizeof date_formats / sizeof date_formats[0]; i++) {
        if (strlen(date_formats[i]) == length && memcmp(date_formats[i], text, length) == 0)
            return LATHE_OK;
    }
    char quoted_format[64];
    quote_text(text, length, quoted_format, sizeof quoted_format);
    return fail_at(r, err, LATHE_PARSE, r->token,
                   "unsupported date format \"%s\" for attribute \"%s\" (supported: "
                   "yyyy-MM-dd'T'HH:mm:ss, yyyy-MM-dd, yyyy-MM-dd HH:mm:ss)",
                   quoted_format, name);
}

/* The type after an attribute's name: a keyword or a list of nominal values. */
static lathe_status attribute_type_of(arff_reader *r, line_cursor *c, size_t column,
                                      const char *name, lathe_error *err)
{
    skip_blanks(c);
    if (c->p < c->end && *c->p == '{') {
        lathe_status status =
            lathe__builder_declare(r->builder, column, LATHE_KIND_CATEGORICAL, err);
        if (status == LATHE_OK)
            status = nominal_values(r, c, column, name, err);
        return status == LATHE_OK ? add_attribute_type(r, ATTRIBUTE_NOMINAL, err) : status;
    }
    const char *word = c->p;
    size_t length = word_length(c);
    c->p += length;
    for (size_t i = 0; i < sizeof type_table / sizeof type_table[0]; i++) {
        if (!word_is(word, length, type_table[i].name))
            continue;
        lathe_status status = lathe__builder_declare(r->builder, column, type_table[i].kind, err);
        if (status == LATHE_OK && type_table[i].type == ATTRIBUTE_DATE)
            status = date_format(r, c, name, err);
        return status == LATHE_OK ? add_attribute_type(r, type_table[i].type, err) : status;
    }
    if (word_is(word, length, "relational"))
        return fail_at(r, err, LATHE_PARSE, word,
                       "relational attributes are not supported (attribute \"%s\")", name);
    char quoted[64];
    quote_text(word, length ? length : (size_t)(c->end - word), quoted, sizeof quoted);
    return fail_at(r, err, LATHE_PARSE, word, "unknown type \"%s\" for attribute \"%s\"", quoted,
                   name);
}

/* "@attribute NAME TYPE", with the cursor after "@attribute". */
static lathe_status attribute(arff_reader *r, line_cursor *c, lathe_error *err)
{
    skip_blanks(c);
    const char *at = c->p;
    const char *text;
    size_t length;
    lathe_status status = name_token(r, c, &text, &length, err);
    if (status != LATHE_OK)
        return status;
    if (length == 0)
        return fail_at(r, err, LATHE_PARSE, at, "expected an attribute name");
    r->token = at;
    size_t column;
    if ((status = lathe__builder_add_column(r->builder, text, length, &column, err)) != LATHE_OK)
        return status;
    char name[64];
    quote_text(text, length, name, sizeof name);
    if ((status = attribute_type_of(r, c, column, name, err)) != LATHE_OK)
        return status;
    if (!at_line_end(c))
        return fail_at(r, err, LATHE_PARSE, c->p, "unexpected text after the type of \"%s\"", name);
    return LATHE_OK;
}

/* Reads declarations up to and including "@data". */
static lathe_status read_header(arff_reader *r, lathe_error *err)
{
    line_cursor c;
    while (next_line(r, &c)) {
        lathe_status status = check_line_length(r, &c, err);
        if (status != LATHE_OK)
            return status;
        if (at_line_end(&c))
            continue;
        if (*c.p != '@')
            return fail_at(r, err, LATHE_PARSE, c.p,
                           "expected @relation, @attribute or @data in the header");
        const char *keyword = c.p++;
        size_t length = word_length(&c);
        const char *word = c.p;
        c.p += length;
        if (word_is(word, length, "relation"))
            continue;
        if (word_is(word, length, "attribute")) {
            if ((status = attribute(r, &c, err)) != LATHE_OK)
                return status;
            continue;
        }
        if (word_is(word, length, "data")) {
            if (r->n_attributes == 0)
                return fail_at(r, err, LATHE_PARSE, keyword, "no @attribute before @data");
            if (!at_line_end(&c))
                return fail_at(r, err, LATHE_PARSE, c.p, "unexpected text after @data");
            return LATHE_OK;
        }
        char quoted[64];
        quote_text(keyword, length + 1, quoted, sizeof quoted);
        return fail_at(r, err, LATHE_PARSE, keyword, "unknown declaration \"%s\"", quoted);
    }
    if (r->line == 0)
        return lathe__error(err, LATHE_PARSE, "%s: no data (the input is empty)", r->input->name);
    return lathe__error(err, LATHE_PARSE, "%s:%zu: no @data section", r->input->name, r->line);
}

/* --- data ----------------------------------------------------------------------- */

static lathe_status add_value(arff_reader *r, size_t column, const char *text, size_t length,
                              bool quoted, lathe_error *err)
{
    if (!quoted && length == 1 && text[0] == '?')
        return lathe__builder_missing(r->builder, column, err);
    if (!quoted && length == 0)
        return fail_at(r, err, LATHE_PARSE, r->token, "empty value (write ? for a missing value)");
    return lathe__builder_text(r->builder, column, text, length, err);
}

/* The '{' of an instance weight ("{w}" or ", {w}") at c->p, else NULL. */
static const char *weight_at(const line_cursor *c)
{
    const char *p = c->p;
    if (p < c->end && *p == ',')
        p++;
    while (p < c->end && is_blank(*p))
        p++;
    return p < c->end && *p == '{' ? p : NULL;
}

/* What may follow a row's last value: blanks, a comment, never an instance weight. */
static lathe_status row_end(arff_reader *r, line_cursor *c, lathe_error *err)
{
    if (at_line_end(c))
        return LATHE_OK;
    const char *weight = weight_at(c);
    if (weight)
        return fail_at(r, err, LATHE_PARSE, weight, "instance weights are not supported");
    return fail_at(r, err, LATHE_PARSE, c->p, "unexpected text after the row's last value");
}

static lathe_status dense_row(arff_reader *r, line_cursor *c, lathe_error *err)
{
    const char *row = c->p;
    size_t n = r->n_attributes;
    for (size_t i = 0; i < n; i++) {
        const char *text;
        size_t length;
        bool quoted;
        lathe_status status = value_token(r, c, ",%", &text, &length, &quoted, err);
        if (status == LATHE_OK)
            status = add_value(r, i, text, length, quoted, err);
        if (status != LATHE_OK)
            return status;
        if (i + 1 == n)
            break;
        if (at_line_end(c))
            return fail_at(r, err, LATHE_PARSE, row, "expected %zu values, found %zu", n, i + 1);
        if (*c->p != ',')
            return fail_at(r, err, LATHE_PARSE, c->p,
                           "unexpected text after a closing quote (expected ',')");
        c->p++;
    }
    skip_blanks(c);
    if (c->p < c->end && *c->p == ',' && !weight_at(c))
        return fail_at(r, err, LATHE_PARSE, row, "more than %zu values (one per attribute)", n);
    return row_end(r, c, err);
}

/* A 0-based attribute index of a sparse row. */
static lathe_status sparse_index(arff_reader *r, line_cursor *c, size_t *index, lathe_error *err)
{
    skip_blanks(c);
    r->token = c->p;
    size_t value = 0;
    const char *start = c->p;
    for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
        if (lathe__mul_overflows(value, 10, &value) ||
            lathe__add_overflows(value, (size_t)(*c->p - '0'), &value))
            value = SIZE_MAX;
    }
    if (c->p == start)
        return fail_at(r, err, LATHE_PARSE, start, "expected an attribute index");
    if (value >= r->n_attributes)
        return fail_at(r, err, LATHE_PARSE, start,
                       "attribute index %.*s is out of range (0 to %zu)", (int)(c->p - start),
                       start, r->n_attributes - 1);
    if (c->p == c->end || !is_blank(*c->p))
        return fail_at(r, err, LATHE_PARSE, c->p, "expected a space after the attribute index");
    *index = value;
    return LATHE_OK;
}

/* Gives string and date attributes [from, to) their absent value (see the top). */
static lathe_status fill_absent(arff_reader *r, size_t from, size_t to, lathe_error *err)
{
    for (size_t i = from; i < to && r->fill_absent; i++) {
        lathe_status status = LATHE_OK;
        if (r->types[i] == ATTRIBUTE_STRING)
            status = lathe__builder_string(r->builder, i, "", 0, err);
        else if (r->types[i] == ATTRIBUTE_DATE)
            status = lathe__builder_string(r->builder, i, EPOCH, strlen(EPOCH), err);
        if (status != LATHE_OK)
            return status;
    }
    return LATHE_OK;
}

/* "{index value, index value, ...}" with the cursor on the '{'. */
static lathe_status sparse_row(arff_reader *r, line_cursor *c, lathe_error *err)
{
    const char *open = c->p++;
    size_t next = 0; /* the lowest index still allowed */
    skip_blanks(c);
    bool empty = c->p < c->end && *c->p == '}';
    if (empty)
        c->p++;
    while (!empty) {
        size_t index = 0;
        lathe_status status = sparse_index(r, c, &index, err);
        if (status != LATHE_OK)
            return status;
        if (index < next)
            return fail_at(r, err, LATHE_PARSE, r->token,
                           "attribute indices must increase (%zu after %zu)", index, next - 1);
        if ((status = fill_absent(r, next, index, err)) != LATHE_OK)
            return status;
        const char *text;
        size_t length;
        bool quoted;
        status = value_token(r, c, ",}%", &text, &length, &quoted, err);
        if (status == LATHE_OK)
            status = add_value(r, index, text, length, quoted, err);
        if (status != LATHE_OK)
            return status;
        next = index + 1;
        if (at_line_end(c))
            return fail_at(r, err, LATHE_PARSE, open, "unterminated sparse row (expected '}')");
        if (*c->p++ == '}')
            break;
        if (c->p[-1] != ',')
            return fail_at(r, err, LATHE_PARSE, c->p - 1,
                           "unexpected text after a closing quote (expected ',' or '}')");
    }
    lathe_status status = fill_absent(r, next, r->n_attributes, err);
    return status == LATHE_OK ? row_end(r, c, err) : status;
}

static lathe_status read_rows(arff_reader *r, const char *data, size_t data_line, lathe_error *err)
{
    r->p = data;
    r->line = data_line;
    int pass = lathe__builder_pass(r->builder);
    double size = (double)(r->end - data), total = 2 * size, before = pass == 2 ? size : 0;
    size_t rows = 0;
    line_cursor c;
    while (next_line(r, &c)) {
        lathe_status status = check_line_length(r, &c, err);
        if (status != LATHE_OK)
            return status;
        if (at_line_end(&c))
            continue;
        const char *row = c.p;
        status = *c.p == '{' ? sparse_row(r, &c, err) : dense_row(r, &c, err);
        r->token = row; /* a row's own errors (the row limit) point at its start */
        if (status == LATHE_OK)
            status = lathe__builder_end_row(r->builder, err);
        if (status != LATHE_OK)
            return status;
        if (++rows % PROGRESS_ROWS == 0 &&
            lathe__progress(r->ctx, "read", before + (double)(r->p - data), total))
            return lathe__error(err, LATHE_CANCELED, "%s: reading canceled", r->input->name);
    }
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

static lathe_status read_file(arff_reader *r, lathe_frame **out, lathe_error *err)
{
    lathe_status status = read_header(r, err);
    if (status != LATHE_OK)
        return status;
    const char *data = r->p;
    size_t data_line = r->line;
    lathe__builder_set_sparse(r->builder, true);
    if ((status = lathe__builder_reserve(r->builder, count_lines(data, r->end), err)) != LATHE_OK)
        return status;
    if ((status = read_rows(r, data, data_line, err)) != LATHE_OK)
        return status;
    bool again;
    if ((status = lathe__builder_next_pass(r->builder, &again, err)) != LATHE_OK)
        return status;
    if (again && (status = read_rows(r, data, data_line, err)) != LATHE_OK)
        return status;
    return lathe__builder_finish(r->builder, out, err);
}

lathe_status lathe__read_arff(lathe_ctx *ctx, const lathe__input *input,
                              const lathe_read_options *options, lathe_frame **out,
                              lathe_error *err)
{
    arff_reader r = {.ctx = ctx, .input = input, .options = *options};
    if (!options->missing_tokens) {
        /* No token is missing to the builder; add_value turns an unquoted ? into missing. */
        r.options.missing_tokens = no_missing_tokens;
        r.options.n_missing_tokens = 0;
    }
    r.p = r.line_start = r.token = input->data;
    r.end = input->data + input->size;
    if (input->size >= 3 && memcmp(r.p, "\xef\xbb\xbf", 3) == 0)
        r.p += 3;
    lathe_status status = lathe__builder_new(ctx, &r.options, input->size, &r.builder, err);
    if (status != LATHE_OK)
        return status;
    lathe__builder_set_where(r.builder, arff_where, &r);
    status = read_file(&r, out, err);
    lathe__builder_free(r.builder);
    lathe__free(ctx, r.types);
    lathe__free(ctx, r.scratch);
    return status;
}
