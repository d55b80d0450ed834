/*
 * csv.c: CSV and TSV per RFC 4180, with the leniencies real files need.
 *
 * Accepted: quoted fields with doubled quotes and newlines inside, CRLF, LF
 * or lone CR line ends, a UTF-8 byte order mark, blank lines (skipped), and
 * spaces around unquoted fields (trimmed). The delimiter is sniffed from the
 * first lines when not given; a header is detected when the first record has
 * no numbers in it. Every record must have as many fields as the first.
 *
 * The input is in memory, so fields are handed to the builder as pointers
 * into it; only quoted fields with doubled quotes are copied, to undo the
 * doubling. Positions in messages are 1-based lines and byte columns.
 */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "core/number.h"
#include "data/builder.h"
#include "data/readers.h"

#include "core/banned.h"

#define SNIFF_LINES 20
#define SNIFF_BYTES (64 * 1024)
#define PROGRESS_ROWS 65536

enum field_end { FIELD_MORE, FIELD_END_RECORD, FIELD_END_INPUT };

typedef struct csv_reader {
    lathe_ctx *ctx;
    const lathe__input *input;
    const lathe_read_options *options;
    lathe__builder *builder;
    char delimiter;
    const char *begin; /* after any byte order mark */
    const char *p;
    const char *end;
    size_t line;            /* line of p */
    const char *line_start; /* first byte of p's line */
    size_t cell_line;       /* where the current cell starts */
    const char *cell_start;
    const char *cell_line_start;
    char *scratch; /* unescaped quoted fields of the current record */
    size_t scratch_length;
    size_t scratch_capacity;
    size_t n_fields;
    /* The current record: its cells, and where each starts, for messages. */
    lathe__cell *cells;
    size_t *scratch_at; /* the offset in scratch of a cell whose text is NULL */
    const char **cell_starts;
    const char *record; /* where the current record starts */
    size_t record_line;
    const char *record_line_start;
    bool in_record;
} csv_reader;

static void csv_where(void *user, char *buf, size_t size)
{
    const csv_reader *r = user;
    size_t line = r->cell_line;
    const char *start = r->cell_start, *line_start = r->cell_line_start;
    if (r->in_record) {
        /* Lines are counted only now, when a message needs them. */
        start = r->cell_starts[lathe__builder_current_column(r->builder)];
        line = r->record_line;
        line_start = r->record_line_start;
        for (const char *q = r->record; q < start; q++) {
            if (*q == '\n') {
                line++;
                line_start = q + 1;
            }
        }
    }
    snprintf(buf, size, "%s:%zu:%zu", r->input->name, line, (size_t)(start - line_start) + 1);
}

static lathe_status fail_at(const csv_reader *r, lathe_error *err, lathe_status status, size_t line,
                            const char *line_start, const char *at, const char *message)
{
    return lathe__error(err, status, "%s:%zu:%zu: %s", r->input->name, line,
                        (size_t)(at - line_start) + 1, message);
}

static inline bool is_blank(char c, char delimiter)
{
    return (c == ' ' || c == '\t') && c != delimiter;
}

/* Consumes a line end at r->p ("\r\n", "\n" or "\r"). */
static inline void take_line_end(csv_reader *r)
{
    if (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n')
        r->p += 2;
    else
        r->p++;
    r->line++;
    r->line_start = r->p;
}

/* What follows a field: a delimiter, a line end or the end of the input. */
static inline enum field_end finish_field(csv_reader *r)
{
    if (r->p == r->end)
        return FIELD_END_INPUT;
    if (*r->p == r->delimiter) {
        r->p++;
        return FIELD_MORE;
    }
    take_line_end(r);
    return FIELD_END_RECORD;
}

/*
 * Appends a quoted field's content to the scratch buffer with each doubled
 * quote made single. The scratch buffer may move as it grows, so the cell's
 * text is its offset there (in *at) until the record is complete.
 */
static lathe_status unescape(csv_reader *r, const char *start, const char *stop, size_t *at,
                             size_t *length, lathe_error *err)
{
    size_t need = r->scratch_length + (size_t)(stop - start);
    void *scratch = r->scratch;
    if (!lathe__grow(r->ctx, &scratch, &r->scratch_capacity, need, 1))
        return lathe__error_nomem(err);
    r->scratch = scratch;
    char *out = r->scratch + r->scratch_length;
    size_t n = 0;
    for (const char *q = start; q < stop; q++) {
        out[n++] = *q;
        if (*q == '"')
            q++; /* the second quote of the pair */
    }
    *at = r->scratch_length;
    *length = n;
    r->scratch_length += n;
    return LATHE_OK;
}

static lathe_status quoted_field(csv_reader *r, const char **text, size_t *at, size_t *length,
                                 enum field_end *end, lathe_error *err)
{
    const char *open = r->p, *open_line_start = r->line_start;
    size_t open_line = r->line;
    const char *start = r->p + 1, *q = start;
    bool doubled = false;
    for (;;) {
        q = memchr(q, '"', (size_t)(r->end - q));
        if (!q)
            return fail_at(r, err, LATHE_PARSE, open_line, open_line_start, open,
                           "unterminated quoted field");
        if (q + 1 < r->end && q[1] == '"') {
            doubled = true;
            q += 2;
            continue;
        }
        break;
    }
    /* Newlines inside the quotes still count as lines. */
    for (const char *nl = start; (nl = memchr(nl, '\n', (size_t)(q - nl))) != NULL; nl++) {
        r->line++;
        r->line_start = nl + 1;
    }
    r->p = q + 1;
    while (r->p < r->end && is_blank(*r->p, r->delimiter))
        r->p++;
    if (r->p < r->end && *r->p != r->delimiter && *r->p != '\n' && *r->p != '\r')
        return fail_at(r, err, LATHE_PARSE, r->line, r->line_start, r->p,
                       "unexpected character after a closing quote (a quote inside a quoted "
                       "field must be doubled)");
    *end = finish_field(r);
    if (doubled) {
        *text = NULL;
        return unescape(r, start, q, at, length, err);
    }
    *text = start;
    *length = (size_t)(q - start);
    return LATHE_OK;
}

/*
 * The next field: *text points into the input, or is NULL with the field
 * unescaped at offset *at of the scratch buffer.
 */
static inline lathe_status next_field(csv_reader *r, const char **text, size_t *at, size_t *length,
                                      enum field_end *end, lathe_error *err)
{
    const char *p = r->p, *stop = r->end;
    const char delimiter = r->delimiter;
    r->cell_start = p;
    while (p < stop && is_blank(*p, delimiter))
        p++;
    if (p < stop && *p == '"') {
        r->p = p;
        r->cell_start = p;
        return quoted_field(r, text, at, length, end, err);
    }
    const char *start = p;
    while (p < stop && *p != delimiter && *p != '\n' && *p != '\r')
        p++;
    const char *field_stop = p;
    while (field_stop > start && is_blank(field_stop[-1], delimiter))
        field_stop--;
    r->p = p;
    *text = start;
    *length = (size_t)(field_stop - start);
    *end = finish_field(r);
    return LATHE_OK;
}

/* Skips empty lines; false at the end of the input. */
static bool skip_blank_lines(csv_reader *r)
{
    while (r->p < r->end && (*r->p == '\n' || *r->p == '\r'))
        take_line_end(r);
    return r->p < r->end;
}

/* --- delimiter and header ---------------------------------------------------- */

/* Counts each candidate per line, outside quotes, over the first lines. */
static char sniff_delimiter(const char *p, const char *end)
{
    static const char candidates[] = {',', '\t', ';', '|'};
    enum { N = sizeof candidates };
    size_t counts[SNIFF_LINES][N];
    memset(counts, 0, sizeof counts);
    size_t lines = 0;
    bool quoted = false;
    if ((size_t)(end - p) > SNIFF_BYTES)
        end = p + SNIFF_BYTES;
    for (; p < end && lines < SNIFF_LINES; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == '\n')
            lines++;
        else if (!quoted) {
            for (size_t c = 0; c < N; c++)
                counts[lines][c] += *p == candidates[c];
        }
    }
    if (lines == 0)
        lines = 1; /* one unfinished line */
    char best = ',';
    size_t best_count = 0;
    bool best_consistent = false;
    for (size_t c = 0; c < N; c++) {
        bool consistent = counts[0][c] > 0;
        for (size_t l = 1; l < lines && consistent; l++)
            consistent = counts[l][c] == counts[0][c];
        size_t count = counts[0][c];
        if ((consistent && !best_consistent) ||
            (consistent == best_consistent && count > best_count)) {
            best = candidates[c];
            best_count = count;
            best_consistent = consistent;
        }
    }
    return best;
}

typedef struct field_list {
    char **texts;
    size_t *lengths;
    size_t n;
    size_t capacity;
} field_list;

static void field_list_release(lathe_ctx *ctx, field_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        lathe__free(ctx, list->texts[i]);
    lathe__free(ctx, list->texts);
    lathe__free(ctx, list->lengths);
}

/* Reads the first record's fields (copied: the scratch buffer is reused). */
static lathe_status read_first_record(csv_reader *r, field_list *list, lathe_error *err)
{
    enum field_end end = FIELD_MORE;
    size_t lengths_capacity = 0;
    r->cell_line = r->line;
    r->cell_line_start = r->line_start;
    while (end == FIELD_MORE) {
        const char *text;
        size_t length, at;
        r->scratch_length = 0;
        lathe_status status = next_field(r, &text, &at, &length, &end, err);
        if (status != LATHE_OK)
            return status;
        if (!text)
            text = r->scratch + at;
        if (list->n >= r->options->limits.max_columns)
            return lathe__error(err, LATHE_LIMIT, "%s:%zu: more than %zu columns (the limit)",
                                r->input->name, r->cell_line, r->options->limits.max_columns);
        void *texts = list->texts, *lengths = list->lengths;
        size_t texts_capacity = list->capacity;
        if (!lathe__grow(r->ctx, &texts, &texts_capacity, list->n + 1, sizeof(char *)))
            return lathe__error_nomem(err);
        list->texts = texts;
        if (!lathe__grow(r->ctx, &lengths, &lengths_capacity, list->n + 1, sizeof(size_t)))
            return lathe__error_nomem(err);
        list->lengths = lengths;
        list->capacity = texts_capacity < lengths_capacity ? texts_capacity : lengths_capacity;
        if (!(list->texts[list->n] = lathe__strndup(r->ctx, text, length)))
            return lathe__error_nomem(err);
        list->lengths[list->n++] = length;
    }
    return LATHE_OK;
}

/* A first record with a number in it is data, not names. */
static bool looks_like_header(const csv_reader *r, const field_list *first)
{
    for (size_t i = 0; i < first->n; i++) {
        double value;
        if (lathe__builder_is_missing_token(r->builder, first->texts[i], first->lengths[i]))
            continue;
        if (lathe__parse_double(first->texts[i], first->lengths[i], &value) != LATHE__NUMBER_OK)
            continue;
        return false;
    }
    return true;
}

/* Adds the columns; returns with r->p at the first data record. */
static lathe_status read_header(csv_reader *r, lathe_error *err)
{
    field_list first = {0};
    const char *record = r->p;
    size_t record_line = r->line;
    lathe_status status = read_first_record(r, &first, err);
    if (status != LATHE_OK)
        goto out;
    bool header = r->options->header < 0 ? looks_like_header(r, &first) : r->options->header;
    r->n_fields = first.n;
    for (size_t i = 0; i < first.n && status == LATHE_OK; i++) {
        char generated[32];
        const char *name = first.texts[i];
        size_t length = first.lengths[i];
        if (!header || length == 0) {
            length = (size_t)snprintf(generated, sizeof generated, "column_%zu", i + 1);
            name = generated;
        }
        size_t index;
        r->cell_line = record_line;
        r->cell_start = r->cell_line_start = record;
        status = lathe__builder_add_column(r->builder, name, length, &index, err);
    }
    if (!header) {
        r->p = record;
        r->line = record_line;
        r->line_start = record;
    }
out:
    field_list_release(r->ctx, &first);
    return status;
}

/* --- records ------------------------------------------------------------- */

static lathe_status fields_error(const csv_reader *r, lathe_error *err, size_t line,
                                 const char *line_start, const char *record, size_t found)
{
    char message[96];
    snprintf(message, sizeof message, "expected %zu fields, found %zu", r->n_fields, found);
    return fail_at(r, err, LATHE_PARSE, line, line_start, record, message);
}

static lathe_status read_record(csv_reader *r, lathe_error *err)
{
    const char *record = r->p;
    size_t record_line = r->line;
    const char *record_line_start = r->line_start;
    enum field_end end = FIELD_MORE;
    size_t column = 0;
    lathe_status status;
    r->scratch_length = 0;
    while (end == FIELD_MORE) {
        const char *text;
        size_t length, at = 0;
        if ((status = next_field(r, &text, &at, &length, &end, err)) != LATHE_OK)
            return status;
        if (column == r->n_fields) {
            while (end == FIELD_MORE && next_field(r, &text, &at, &length, &end, err) == LATHE_OK)
                column++;
            return fields_error(r, err, record_line, record_line_start, record, column + 1);
        }
        r->cells[column].text = text;
        r->cells[column].length = length;
        r->scratch_at[column] = at;
        r->cell_starts[column] = r->cell_start;
        column++;
    }
    if (column != r->n_fields)
        return fields_error(r, err, record_line, record_line_start, record, column);
    if ((size_t)(r->p - record) > r->options->limits.max_line_bytes) {
        char message[96];
        snprintf(message, sizeof message, "a record longer than the limit of %zu bytes",
                 r->options->limits.max_line_bytes);
        return fail_at(r, err, LATHE_LIMIT, record_line, record_line_start, record, message);
    }
    if (r->scratch_length) {
        for (size_t i = 0; i < column; i++) {
            if (!r->cells[i].text)
                r->cells[i].text = r->scratch + r->scratch_at[i];
        }
    }
    r->record = record;
    r->record_line = record_line;
    r->record_line_start = record_line_start;
    r->in_record = true;
    status = lathe__builder_text_row(r->builder, r->cells, column, err);
    r->in_record = false;
    if (status != LATHE_OK)
        return status;
    r->cell_line = record_line;
    r->cell_start = r->cell_line_start = record; /* for errors that end the row */
    return LATHE_OK;
}

static lathe_status alloc_record(csv_reader *r, lathe_error *err)
{
    size_t n = r->n_fields ? r->n_fields : 1;
    r->cells = lathe__calloc(r->ctx, n, sizeof *r->cells);
    r->scratch_at = lathe__calloc(r->ctx, n, sizeof *r->scratch_at);
    r->cell_starts = lathe__calloc(r->ctx, n, sizeof *r->cell_starts);
    if (!r->cells || !r->scratch_at || !r->cell_starts)
        return lathe__error_nomem(err);
    return LATHE_OK;
}

static void release_record(csv_reader *r)
{
    lathe__free(r->ctx, r->cells);
    lathe__free(r->ctx, r->scratch_at);
    lathe__free(r->ctx, r->cell_starts);
}

static lathe_status read_records(csv_reader *r, const char *first, size_t first_line,
                                 lathe_error *err)
{
    r->p = first;
    r->line = first_line;
    r->line_start = first;
    size_t rows = 0;
    double total = (double)(r->end - r->begin) * lathe__builder_pass(r->builder);
    double before = lathe__builder_pass(r->builder) == 2 ? (double)(r->end - r->begin) : 0.0;
    while (skip_blank_lines(r)) {
        lathe_status status = read_record(r, err);
        if (status != LATHE_OK)
            return status;
        if (++rows % PROGRESS_ROWS == 0 &&
            lathe__progress(r->ctx, "read", before + (double)(r->p - r->begin), total))
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

lathe_status lathe__read_csv(lathe_ctx *ctx, const lathe__input *input,
                             const lathe_read_options *options, lathe_frame **out, lathe_error *err)
{
    csv_reader r = {.ctx = ctx, .input = input, .options = options};
    r.begin = input->data;
    r.end = input->data + input->size;
    if (input->size >= 3 && memcmp(r.begin, "\xef\xbb\xbf", 3) == 0)
        r.begin += 3;
    r.p = r.line_start = r.cell_start = r.cell_line_start = r.begin;
    r.line = r.cell_line = 1;
    r.delimiter = options->delimiter;
    if (!r.delimiter)
        r.delimiter = options->format == LATHE_FORMAT_TSV ? '\t' : sniff_delimiter(r.p, r.end);
    if (r.delimiter == '"' || r.delimiter == '\n' || r.delimiter == '\r')
        return lathe__error(err, LATHE_INVALID, "a delimiter cannot be a quote or a line end");

    lathe_status status = lathe__builder_new(ctx, options, input->size, &r.builder, err);
    if (status != LATHE_OK)
        return status;
    lathe__builder_set_where(r.builder, csv_where, &r);
    bool again = false;
    const char *first;
    size_t first_line;
    if (!skip_blank_lines(&r)) {
        status = lathe__error(err, LATHE_PARSE, "%s: no data (the input is empty)", input->name);
        goto out;
    }
    if ((status = read_header(&r, err)) != LATHE_OK)
        goto out;
    if ((status = alloc_record(&r, err)) != LATHE_OK)
        goto out;
    first = r.p;
    first_line = r.line;
    if ((status = lathe__builder_reserve(r.builder, count_lines(r.p, r.end), err)) != LATHE_OK)
        goto out;
    if ((status = read_records(&r, first, first_line, err)) != LATHE_OK)
        goto out;
    if ((status = lathe__builder_next_pass(r.builder, &again, err)) != LATHE_OK)
        goto out;
    if (again && (status = read_records(&r, first, first_line, err)) != LATHE_OK)
        goto out;
    status = lathe__builder_finish(r.builder, out, err);
out:
    lathe__builder_free(r.builder);
    release_record(&r);
    lathe__free(ctx, r.scratch);
    return status;
}
