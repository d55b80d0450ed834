/*
 * libsvm.c: LibSVM and SVMlight sparse files.
 *
 * Each line is "LABEL [qid:N] INDEX:VALUE INDEX:VALUE ... [# comment]",
 * tokens separated by spaces or tabs; blank and comment-only lines are
 * skipped. Indices are 1-based and strictly increasing within a line, and
 * every value is a number. The frame's columns are "label", then "qid" if
 * any line has one, then "f1" to "fN" for the largest index N seen: a
 * feature no line mentions still gets its all-zero column, so column fK is
 * always feature K.
 *
 * The builder runs in sparse mode, so a feature a line leaves out is 0,
 * including in the lines read before the feature's column was added. A
 * qid is not a feature: a line without one has it missing. The label goes
 * through the builder as text, so numeric labels (regression, +1/-1) are
 * numeric and any other token (multiclass names) makes it categorical.
 *
 * Feature columns are added in index order as larger indices appear, and
 * "qid" is added up front by a quick scan for it, so the column order never
 * depends on which line comes first. Feature values are always numbers, so
 * a second pass only ever concerns the label (or a column the caller
 * declared another kind), and skips the features when none of them needs it.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "core/number.h"
#include "data/builder.h"
#include "data/readers.h"

#include "core/banned.h"

#define PROGRESS_ROWS 65536

typedef struct libsvm_reader {
    lathe_ctx *ctx;
    const lathe__input *input;
    const lathe_read_options *options;
    lathe__builder *builder;
    const char *begin;
    const char *end;
    size_t line;
    const char *line_start;
    const char *token; /* the token messages point at */
    bool has_qid;
    size_t qid_column;
    size_t first_feature; /* builder column of f1 */
    size_t n_features;    /* f1..fN added so far */
    bool features_wanted; /* pass 2 needs the feature cells */
} libsvm_reader;

/* The bytes of one line being tokenized, without its line end. */
typedef struct line_cursor {
    const char *p;
    const char *end;
} line_cursor;

static size_t column_of(const libsvm_reader *r, const char *at)
{
    return (size_t)(at - r->line_start) + 1;
}

static void libsvm_where(void *user, char *buf, size_t size)
{
    const libsvm_reader *r = user;
    snprintf(buf, size, "%s:%zu:%zu", r->input->name, r->line, column_of(r, r->token));
}

static lathe_status fail_at(const libsvm_reader *r, lathe_error *err, lathe_status status,
                            const char *at, const char *format, ...)
    __attribute__((format(printf, 5, 6)));

static lathe_status fail_at(const libsvm_reader *r, lathe_error *err, lathe_status status,
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

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The next token of the line (stopping at a '#' comment); false at the line's end. */
static bool next_token(line_cursor *c, const char **token, size_t *length)
{
    while (c->p < c->end && is_blank(*c->p))
        c->p++;
    if (c->p == c->end || *c->p == '#')
        return false;
    const char *start = c->p;
    while (c->p < c->end && !is_blank(*c->p) && *c->p != '#')
        c->p++;
    *token = start;
    *length = (size_t)(c->p - start);
    return true;
}

/* True if the token after a line's label starts with "qid:". */
static bool line_has_qid(const char *p, const char *end)
{
    line_cursor c = {p, end};
    const char *token;
    size_t length;
    return next_token(&c, &token, &length) && next_token(&c, &token, &length) && length >= 4 &&
           memcmp(token, "qid:", 4) == 0;
}

/* Whether "qid:" occurs anywhere: most files can skip the line scan. */
static bool mentions_qid(const char *p, const char *end)
{
    while ((p = memchr(p, 'q', (size_t)(end - p))) != NULL) {
        if ((size_t)(end - p) >= 4 && memcmp(p, "qid:", 4) == 0)
            return true;
        p++;
    }
    return false;
}

/* Whether any line gives a qid. */
static bool input_has_qid(const char *p, const char *end)
{
    if (!mentions_qid(p, end))
        return false;
    while (p < end) {
        const char *newline = memchr(p, '\n', (size_t)(end - p));
        const char *stop = newline ? newline : end;
        if (line_has_qid(p, stop))
            return true;
        p = newline ? newline + 1 : end;
    }
    return false;
}

/* --- cells ------------------------------------------------------------------- */

/* Adds columns up to fN (pass 1; by pass 2 they all exist). */
static lathe_status ensure_features(libsvm_reader *r, size_t index, lathe_error *err)
{
    if (index <= r->n_features)
        return LATHE_OK;
    while (r->n_features < index) {
        char name[32];
        int length = snprintf(name, sizeof name, "f%zu", r->n_features + 1);
        size_t column;
        lathe_status status =
            lathe__builder_add_column(r->builder, name, (size_t)length, &column, err);
        if (status != LATHE_OK)
            return status;
        r->n_features++;
    }
    return LATHE_OK;
}

/* The digits of a feature index (SIZE_MAX when too large); false if not all digits. */
static bool parse_index(const char *text, size_t length, size_t *index)
{
    size_t value = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        if (lathe__mul_overflows(value, 10, &value) ||
            lathe__add_overflows(value, (size_t)(text[i] - '0'), &value))
            value = SIZE_MAX;
    }
    *index = value;
    return length > 0;
}

static lathe_status feature_value(libsvm_reader *r, const char *text, size_t length, double *value,
                                  lathe_error *err)
{
    lathe__number_result result = lathe__parse_double(text, length, value);
    if (result == LATHE__NUMBER_OK)
        return LATHE_OK;
    char quoted[64];
    quote_text(text, length, quoted, sizeof quoted);
    return fail_at(r, err, LATHE_PARSE, text, "%s \"%s\"",
                   result == LATHE__NUMBER_RANGE ? "number out of range:"
                                                 : "expected a number, found",
                   quoted);
}

static lathe_status qid_cell(libsvm_reader *r, const char *token, size_t length, bool first,
                             lathe_error *err)
{
    if (!first)
        return fail_at(r, err, LATHE_PARSE, token, "qid must come right after the label");
    int64_t qid;
    const char *digits = token + 4;
    if (lathe__parse_int64(digits, length - 4, &qid) != LATHE__NUMBER_OK) {
        char quoted[64];
        quote_text(digits, length - 4, quoted, sizeof quoted);
        return fail_at(r, err, LATHE_PARSE, digits, "qid must be an integer, found \"%s\"", quoted);
    }
    return lathe__builder_number(r->builder, r->qid_column, (double)qid, err);
}

/* One INDEX:VALUE token; *previous is the last index of the line (0 at first). */
static lathe_status feature_cell(libsvm_reader *r, const char *token, size_t length,
                                 size_t *previous, lathe_error *err)
{
    const char *colon = memchr(token, ':', length);
    size_t index;
    if (!colon || !parse_index(token, (size_t)(colon - token), &index)) {
        char quoted[64];
        quote_text(token, length, quoted, sizeof quoted);
        return fail_at(r, err, LATHE_PARSE, token, "expected INDEX:VALUE, found \"%s\"", quoted);
    }
    if (index == 0)
        return fail_at(r, err, LATHE_PARSE, token, "feature indices start at 1, found 0");
    if (index <= *previous)
        return fail_at(r, err, LATHE_PARSE, token, "feature indices must increase (%zu after %zu)",
                       index, *previous);
    *previous = index;
    if (index > r->options->limits.max_columns)
        return fail_at(r, err, LATHE_LIMIT, token,
                       "feature index %.*s is beyond the column limit of %zu", (int)(colon - token),
                       token, r->options->limits.max_columns);
    lathe_status status = ensure_features(r, index, err);
    if (status != LATHE_OK)
        return status;
    size_t column = r->first_feature + index - 1;
    double value;
    const char *text = colon + 1;
    r->token = text;
    if ((status = feature_value(r, text, (size_t)(token + length - text), &value, err)) != LATHE_OK)
        return status;
    if (lathe__builder_pass(r->builder) == 2 && !lathe__builder_wants(r->builder, column))
        return LATHE_OK;
    return lathe__builder_number(r->builder, column, value, err);
}

/* --- lines --------------------------------------------------------------------- */

static lathe_status read_features(libsvm_reader *r, line_cursor *c, lathe_error *err)
{
    const char *token;
    size_t length, previous = 0;
    bool first = true, qid = false;
    while (next_token(c, &token, &length)) {
        r->token = token;
        lathe_status status;
        if (length >= 4 && memcmp(token, "qid:", 4) == 0) {
            status = qid_cell(r, token, length, first, err);
            qid = true;
        } else {
            status = feature_cell(r, token, length, &previous, err);
        }
        if (status != LATHE_OK)
            return status;
        first = false;
    }
    if (r->has_qid && !qid)
        return lathe__builder_missing(r->builder, r->qid_column, err);
    return LATHE_OK;
}

/* Reads one line's row; *added is false for a blank or comment line. */
static lathe_status read_line(libsvm_reader *r, line_cursor *c, bool *added, lathe_error *err)
{
    const char *label;
    size_t length;
    *added = false;
    if ((size_t)(c->end - r->line_start) > r->options->limits.max_line_bytes)
        return fail_at(r, err, LATHE_LIMIT, r->line_start,
                       "a line longer than the limit of %zu bytes",
                       r->options->limits.max_line_bytes);
    *added = next_token(c, &label, &length);
    if (!*added)
        return LATHE_OK;
    r->token = label;
    if (memchr(label, ':', length)) {
        char quoted[64];
        quote_text(label, length, quoted, sizeof quoted);
        return fail_at(r, err, LATHE_PARSE, label, "expected a label before \"%s\"", quoted);
    }
    lathe_status status = lathe__builder_text(r->builder, 0, label, length, err);
    if (status == LATHE_OK && (lathe__builder_pass(r->builder) == 1 || r->features_wanted))
        status = read_features(r, c, err);
    r->token = label; /* a row's own errors (the row limit) point at its start */
    if (status == LATHE_OK)
        status = lathe__builder_end_row(r->builder, err);
    return status;
}

static lathe_status read_lines(libsvm_reader *r, lathe_error *err)
{
    int pass = lathe__builder_pass(r->builder);
    double size = (double)(r->end - r->begin), total = 2 * size, before = pass == 2 ? size : 0;
    size_t rows = 0;
    r->line = 0;
    for (const char *p = r->begin; p < r->end;) {
        const char *newline = memchr(p, '\n', (size_t)(r->end - p));
        line_cursor c = {p, newline ? newline : r->end};
        r->line++;
        r->line_start = p;
        bool added;
        lathe_status status = read_line(r, &c, &added, err);
        if (status != LATHE_OK)
            return status;
        p = newline ? newline + 1 : r->end;
        if (added && ++rows % PROGRESS_ROWS == 0 &&
            lathe__progress(r->ctx, "read", before + (double)(p - r->begin), total))
            return lathe__error(err, LATHE_CANCELED, "%s: reading canceled", r->input->name);
    }
    if (rows == 0)
        return lathe__error(err, LATHE_PARSE, "%s: no data (the input is empty)", r->input->name);
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

/* Adds "label" and perhaps "qid" before any feature. */
static lathe_status add_leading_columns(libsvm_reader *r, lathe_error *err)
{
    size_t column;
    lathe_status status = lathe__builder_add_column(r->builder, "label", 5, &column, err);
    if (status != LATHE_OK)
        return status;
    r->has_qid = input_has_qid(r->begin, r->end);
    if (r->has_qid &&
        (status = lathe__builder_add_column(r->builder, "qid", 3, &r->qid_column, err)) != LATHE_OK)
        return status;
    r->first_feature = lathe__builder_n_columns(r->builder);
    return LATHE_OK;
}

static bool any_feature_wanted(const libsvm_reader *r)
{
    size_t n = lathe__builder_n_columns(r->builder);
    for (size_t i = 1; i < n; i++) {
        if (lathe__builder_wants(r->builder, i))
            return true;
    }
    return false;
}

static lathe_status read_file(libsvm_reader *r, lathe_frame **out, lathe_error *err)
{
    lathe_status status = add_leading_columns(r, err);
    if (status != LATHE_OK)
        return status;
    lathe__builder_set_sparse(r->builder, true);
    if ((status = lathe__builder_reserve(r->builder, count_lines(r->begin, r->end), err)) !=
        LATHE_OK)
        return status;
    if ((status = read_lines(r, err)) != LATHE_OK)
        return status;
    bool again;
    if ((status = lathe__builder_next_pass(r->builder, &again, err)) != LATHE_OK)
        return status;
    r->features_wanted = any_feature_wanted(r);
    if (again && (status = read_lines(r, err)) != LATHE_OK)
        return status;
    return lathe__builder_finish(r->builder, out, err);
}

lathe_status lathe__read_libsvm(lathe_ctx *ctx, const lathe__input *input,
                                const lathe_read_options *options, lathe_frame **out,
                                lathe_error *err)
{
    libsvm_reader r = {.ctx = ctx, .input = input, .options = options};
    r.begin = input->data;
    r.end = input->data + input->size;
    if (input->size >= 3 && memcmp(r.begin, "\xef\xbb\xbf", 3) == 0)
        r.begin += 3;
    r.line_start = r.token = r.begin;
    lathe_status status = lathe__builder_new(ctx, options, input->size, &r.builder, err);
    if (status != LATHE_OK)
        return status;
    lathe__builder_set_where(r.builder, libsvm_where, &r);
    status = read_file(&r, out, err);
    lathe__builder_free(r.builder);
    return status;
}
