/*
 * builder.c: type inference and column storage for every reader (see
 * builder.h for the two-pass protocol).
 *
 * Pass 1 keeps, per column, the doubles parsed so far (while every present
 * value is a number), the missing bitmap (final after pass 1), and whether
 * all present values could be booleans or datetimes; a column that can
 * only be categorical from its first present value on is interned right
 * away (early_category). Pass 2 materializes the other columns that turned
 * out not to be numeric. Row storage is sized from the reader's hint and
 * grows by half when the hint was short. Numbers of text rows pass through
 * a small row-major stage on their way to the columns (STAGE_ROWS).
 */
#include <math.h>
#include <stdarg.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <string.h>

#include "core/datetime.h"
#include "core/intern.h"
#include "core/internal.h"
#include "core/number.h"
#include "core/number_scan.h"
#include "core/pages.h"
#include "core/utf8.h"
#include "data/builder.h"
#include "data/column.h"

#include "core/banned.h"

/* A categorical column with this many distinct values per present value, and
 * values this long on average, is free text rather than categories. */
#define TEXT_DISTINCT_SHARE 0.5
#define TEXT_MEAN_LENGTH 30.0

/* Pass 1 of text rows stores each row's values in a stage first, and writes
 * them to the columns this many rows at a time: one cache line of each
 * column at once. Stored one by one, a row of many columns touches as many
 * pages, and the TLB misses cost more than parsing the cells. */
#define STAGE_ROWS 8

static const char *const default_missing_tokens[] = {"", "NA", "N/A", "NaN", "null", "?"};

typedef struct column_state {
    char *name;
    size_t name_length;
    bool user_kind;   /* declared by the caller's schema */
    bool format_kind; /* declared by the file format (ARFF) */
    lathe_kind kind;  /* declared, or decided after pass 1 */
    bool has_role;
    lathe_role role;

    /* pass 1 */
    bool numeric_ok; /* every present value so far was a number */
    bool boolean_ok;
    bool datetime_ok;
    bool date_only;
    size_t n_present;
    uint64_t text_bytes;
    double *values;
    bool values_in_block; /* values lie in the builder's block, else in their own allocation */
    uint8_t *missing;
    size_t n_missing;
    size_t last_row; /* 1 + the row of the last cell given, so a row's cells are counted once */

    bool early; /* certainly categorical from its first present value on: built in pass 1 */
    lathe__category_memo *memo; /* early: codes of short values met so far */
    bool plain_categories; /* early, and nothing else to note of its values (first_pass_cell) */

    /* pass 2 */
    bool building;
    uint8_t *booleans;
    int64_t *datetimes;
    int32_t *codes;
    lathe__interner dictionary;
    size_t *counts;
    size_t counts_capacity;
    bool closed; /* only declared categories are allowed */
    uint64_t *offsets;
    char *bytes;
    size_t bytes_length;
    size_t bytes_capacity;
} column_state;

struct lathe__builder {
    lathe_ctx *ctx;
    lathe_read_limits limits;
    const lathe_read_options *options;
    size_t input_bytes;
    const char *const *missing_tokens;
    size_t n_missing_tokens;
    bool empty_is_missing;
    bool missing_first_byte[256];
    bool number_first_byte[256]; /* may start a number and no missing token */
    bool scanned_numbers_count;  /* no missing token can be a number a reader scanned */
    size_t current_column;
    lathe__where_fn where;
    void *where_user;
    bool sparse;

    column_state *columns;
    size_t n_columns;
    size_t columns_capacity;
    /* For the number-row fast path, side by side: numeric_ok of each
     * column, and the memo of each whose cells are plain categories. */
    bool *numeric_ok;
    size_t n_numeric_ok; /* columns whose numeric_ok is true */
    lathe__category_memo **memos;
    lathe__interner names;

    int pass;
    size_t row;          /* rows ended so far in this pass */
    size_t n_rows;       /* rows of pass 1 */
    size_t row_capacity; /* of each column's pass-1 arrays */
    /* The pass-1 numbers of the columns there were when rows were last
     * reserved, row_capacity apart; finished numeric columns keep their
     * part of it (see core/pages.h). */
    lathe__pages *block;
    size_t cells_in_row;
    bool has_text; /* pass 2 builds a text column */
    bool replay;   /* pass 2 has columns to build */

    /* Values of the last text rows of pass 1, row-major (see STAGE_ROWS). */
    double *stage;
    size_t stage_columns; /* the stage's row length */
    size_t stage_first;   /* the row of its first row */
    size_t stage_rows;    /* rows it holds */
};

static lathe_status error_at(lathe__builder *b, lathe_error *err, lathe_status status,
                             const char *format, ...) __attribute__((format(printf, 4, 5)));

static lathe_status error_at(lathe__builder *b, lathe_error *err, lathe_status status,
                             const char *format, ...)
{
    if (!err)
        return status;
    char where[256] = "";
    if (b->where)
        b->where(b->where_user, where, sizeof where);
    char message[LATHE_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (where[0])
        return lathe__error(err, status, "%s: %s", where, message);
    return lathe__error(err, status, "%s", message);
}

/* Quotes up to 40 bytes of a cell for an error message, replacing control bytes. */
static void quote_cell(const char *text, size_t length, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < length && i < 40 && n + 2 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        out[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (length > 40 && n + 4 < size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

void lathe_read_options_init(lathe_read_options *options)
{
    memset(options, 0, sizeof *options);
    options->format = LATHE_FORMAT_AUTO;
    options->header = -1;
    options->limits.max_line_bytes = (size_t)16 << 20;
    options->limits.max_columns = 100000;
    options->limits.max_cell_bytes = (size_t)1 << 20;
    options->limits.max_rows = (size_t)1 << 40;
    options->limits.max_memory_bytes = (size_t)8 << 30;
}

lathe_status lathe__builder_new(lathe_ctx *ctx, const lathe_read_options *options,
                                size_t input_bytes, lathe__builder **out, lathe_error *err)
{
    lathe__builder *b = lathe__calloc(ctx, 1, sizeof *b);
    if (!b)
        return lathe__error_nomem(err);
    b->ctx = ctx;
    b->options = options;
    b->limits = options->limits;
    b->input_bytes = input_bytes;
    b->pass = 1;
    lathe__interner_init(&b->names, ctx);
    if (options->missing_tokens) {
        b->missing_tokens = options->missing_tokens;
        b->n_missing_tokens = options->n_missing_tokens;
    } else {
        b->missing_tokens = default_missing_tokens;
        b->n_missing_tokens = sizeof default_missing_tokens / sizeof default_missing_tokens[0];
    }
    for (size_t i = 0; i < b->n_missing_tokens; i++) {
        const char *token = b->missing_tokens[i];
        if (token[0] == '\0')
            b->empty_is_missing = true;
        else
            b->missing_first_byte[(unsigned char)token[0]] = true;
    }
    b->scanned_numbers_count = true;
    for (const char *c = "0123456789+-."; *c; c++) {
        b->number_first_byte[(unsigned char)*c] = !b->missing_first_byte[(unsigned char)*c];
        b->scanned_numbers_count &= b->number_first_byte[(unsigned char)*c];
    }
    if (input_bytes > b->limits.max_memory_bytes) {
        lathe__free(ctx, b);
        return lathe__error(err, LATHE_LIMIT,
                            "the input is %zu bytes, more than the memory limit of %zu bytes",
                            input_bytes, options->limits.max_memory_bytes);
    }
    *out = b;
    return LATHE_OK;
}

static void set_numeric_ok(lathe__builder *b, column_state *c, bool ok)
{
    b->n_numeric_ok += (size_t)ok - (size_t)c->numeric_ok; /* a new column's is false */
    c->numeric_ok = ok;
    b->numeric_ok[c - b->columns] = ok;
}

/* Lets go of a column's pass-1 numbers. */
static void release_values(lathe__builder *b, column_state *c)
{
    if (c->values_in_block)
        lathe__pages_discard(b->block, c->values, b->row_capacity * sizeof *c->values);
    else
        lathe__free(b->ctx, c->values);
    c->values = NULL;
    c->values_in_block = false;
}

static void column_state_release(lathe__builder *b, column_state *c)
{
    lathe_ctx *ctx = b->ctx;
    release_values(b, c);
    lathe__free(ctx, c->name);
    lathe__free(ctx, c->missing);
    lathe__free(ctx, c->booleans);
    lathe__free(ctx, c->datetimes);
    lathe__free(ctx, c->codes);
    lathe__interner_release(&c->dictionary);
    lathe__free(ctx, c->counts);
    lathe__free(ctx, c->memo);
    lathe__free(ctx, c->offsets);
    lathe__free(ctx, c->bytes);
}

void lathe__builder_free(lathe__builder *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_columns; i++)
        column_state_release(b, &b->columns[i]);
    lathe__pages_release(b->ctx, b->block);
    lathe__free(b->ctx, b->columns);
    lathe__free(b->ctx, b->numeric_ok);
    lathe__free(b->ctx, b->memos);
    lathe__free(b->ctx, b->stage);
    lathe__interner_release(&b->names);
    lathe__free(b->ctx, b);
}

void lathe__builder_set_where(lathe__builder *b, lathe__where_fn where, void *user)
{
    b->where = where;
    b->where_user = user;
}

void lathe__builder_set_sparse(lathe__builder *b, bool sparse)
{
    b->sparse = sparse;
}

size_t lathe__builder_n_columns(const lathe__builder *b)
{
    return b->n_columns;
}

size_t lathe__builder_n_rows(const lathe__builder *b)
{
    return b->pass == 1 ? b->row : b->n_rows;
}

int lathe__builder_pass(const lathe__builder *b)
{
    return b->pass;
}

bool lathe__builder_wants(const lathe__builder *b, size_t column)
{
    return b->pass == 1 || b->columns[column].building;
}

bool lathe__builder_is_missing_token(const lathe__builder *b, const char *text, size_t length)
{
    if (length == 0)
        return b->empty_is_missing;
    if (!b->missing_first_byte[(unsigned char)text[0]])
        return false;
    for (size_t i = 0; i < b->n_missing_tokens; i++) {
        const char *token = b->missing_tokens[i];
        if (strlen(token) == length && memcmp(token, text, length) == 0)
            return true;
    }
    return false;
}

/* Bytes of pass-1 storage for `rows` rows of every column. */
static bool storage_fits(const lathe__builder *b, size_t rows, size_t n_columns)
{
    size_t per_row = n_columns * (sizeof(double) + 1), bytes;
    if (lathe__mul_overflows(per_row, rows, &bytes))
        return false;
    return bytes <= b->limits.max_memory_bytes - b->input_bytes;
}

static lathe_status memory_limit_error(lathe__builder *b, lathe_error *err)
{
    return error_at(b, err, LATHE_LIMIT,
                    "the table needs more memory than the limit of %zu bytes (%zu columns)",
                    b->limits.max_memory_bytes, b->n_columns);
}

/* Resizes one column's pass-1 arrays other than its numbers to `rows` rows. */
static bool resize_column(lathe__builder *b, column_state *c, size_t rows)
{
    if (c->codes) { /* an early category's */
        int32_t *codes = lathe__realloc_array(b->ctx, c->codes, rows, sizeof *codes);
        if (!codes)
            return false;
        if (rows > b->row_capacity)
            memset(codes + b->row_capacity, 0xff, (rows - b->row_capacity) * sizeof *codes);
        c->codes = codes;
    }
    if (c->missing) {
        size_t old_bytes = (b->row_capacity + 7) / 8, new_bytes = (rows + 7) / 8;
        uint8_t *missing = lathe__realloc_array(b->ctx, c->missing, new_bytes, 1);
        if (!missing)
            return false;
        if (new_bytes > old_bytes)
            memset(missing + old_bytes, 0, new_bytes - old_bytes);
        c->missing = missing;
    }
    return true;
}

/* Moves the numbers of every column that may still be numeric into a new
 * block of `rows` rows per column. */
static bool move_to_block(lathe__builder *b, size_t rows)
{
    lathe__pages *block = lathe__pages_new(b->ctx, b->n_columns * rows * sizeof(double));
    if (!block)
        return false;
    double *slot = (double *)(void *)block->base;
    for (size_t i = 0; i < b->n_columns; i++, slot += rows) {
        column_state *c = &b->columns[i];
        if (c->values)
            memcpy(slot, c->values, b->row * sizeof *slot);
        else if (!c->numeric_ok) {
            lathe__pages_discard(block, slot, rows * sizeof *slot);
            continue;
        }
        if (!c->values_in_block) /* the old block goes as a whole */
            lathe__free(b->ctx, c->values);
        c->values = slot;
        c->values_in_block = true;
    }
    lathe__pages_release(b->ctx, b->block);
    b->block = block;
    return true;
}

static lathe_status set_row_capacity(lathe__builder *b, size_t rows, lathe_error *err)
{
    /* A multiple of the stage's rows, so that each flush of a full stage
     * writes whole aligned cache lines of the columns in the block. */
    rows = (rows + STAGE_ROWS - 1) / STAGE_ROWS * STAGE_ROWS;
    if (!storage_fits(b, rows, b->n_columns))
        return memory_limit_error(b, err);
    for (size_t i = 0; i < b->n_columns; i++) {
        if (!resize_column(b, &b->columns[i], rows))
            return lathe__error_nomem(err);
    }
    if (b->n_columns && !move_to_block(b, rows))
        return lathe__error_nomem(err);
    b->row_capacity = rows;
    return LATHE_OK;
}

lathe_status lathe__builder_reserve(lathe__builder *b, size_t n_rows, lathe_error *err)
{
    if (b->pass != 1 || n_rows <= b->row_capacity)
        return LATHE_OK;
    if (n_rows > b->limits.max_rows)
        n_rows = b->limits.max_rows;
    /* A hint beyond the memory limit is only a hint: grow as rows come instead. */
    if (!storage_fits(b, n_rows, b->n_columns ? b->n_columns : 1))
        return LATHE_OK;
    return set_row_capacity(b, n_rows, err);
}

static const lathe_column_decl *find_decl(const lathe__builder *b, const char *name)
{
    for (size_t i = 0; i < b->options->n_columns; i++) {
        if (strcmp(b->options->columns[i].name, name) == 0)
            return &b->options->columns[i];
    }
    return NULL;
}

/* Marks rows [0, b->row) of a column added late as absent. */
static lathe_status backfill(lathe__builder *b, column_state *c, lathe_error *err)
{
    if (b->row == 0)
        return LATHE_OK;
    if (b->sparse) {
        for (size_t r = 0; c->values && r < b->row; r++)
            c->values[r] = 0.0;
        return LATHE_OK;
    }
    c->missing = lathe__calloc(b->ctx, (b->row_capacity + 7) / 8, 1);
    if (!c->missing)
        return lathe__error_nomem(err);
    for (size_t r = 0; r < b->row; r++) {
        lathe__bit_set(c->missing, r);
        if (c->values)
            c->values[r] = NAN;
    }
    c->n_missing = b->row;
    return LATHE_OK;
}

static lathe_status init_column(lathe__builder *b, column_state *c, const char *name, size_t length,
                                lathe_error *err)
{
    memset(c, 0, sizeof *c);
    lathe__interner_init(&c->dictionary, b->ctx);
    c->name = lathe__strndup(b->ctx, name, length);
    if (!c->name)
        return lathe__error_nomem(err);
    c->name_length = length;
    c->boolean_ok = c->datetime_ok = c->date_only = true;
    const lathe_column_decl *decl = find_decl(b, c->name);
    set_numeric_ok(b, c, !decl || !decl->has_kind || decl->kind == LATHE_KIND_NUMERIC);
    if (decl && decl->has_kind) {
        c->user_kind = true;
        c->kind = decl->kind;
    }
    if (decl && decl->has_role) {
        c->has_role = true;
        c->role = decl->role;
    }
    if (c->numeric_ok && b->row_capacity) {
        c->values = lathe__realloc_array(b->ctx, NULL, b->row_capacity, sizeof *c->values);
        if (!c->values)
            return lathe__error_nomem(err);
    }
    return backfill(b, c, err);
}

static lathe_status new_column(lathe__builder *b, const char *name, size_t length, size_t *index,
                               lathe_error *err)
{
    if (b->pass != 1)
        return error_at(b, err, LATHE_PARSE, "column \"%.*s\" appears only on the second reading",
                        (int)(length > 80 ? 80 : length), name);
    if (b->n_columns >= b->limits.max_columns)
        return error_at(b, err, LATHE_LIMIT, "more than %zu columns (the column limit)",
                        b->limits.max_columns);
    size_t bad;
    if (!lathe__utf8_valid(name, length, &bad))
        return error_at(b, err, LATHE_PARSE, "column name is not valid UTF-8 (byte %zu)", bad + 1);
    if (!storage_fits(b, b->row_capacity, b->n_columns + 1))
        return memory_limit_error(b, err);
    void *columns = b->columns, *numeric_ok = b->numeric_ok, *memos = b->memos;
    size_t capacity = b->columns_capacity;
    if (!lathe__grow(b->ctx, &numeric_ok, &capacity, b->n_columns + 1, sizeof(bool)))
        return lathe__error_nomem(err);
    b->numeric_ok = numeric_ok;
    capacity = b->columns_capacity;
    if (!lathe__grow(b->ctx, &memos, &capacity, b->n_columns + 1, sizeof(lathe__category_memo *)))
        return lathe__error_nomem(err);
    b->memos = memos;
    b->memos[b->n_columns] = NULL;
    if (!lathe__grow(b->ctx, &columns, &b->columns_capacity, b->n_columns + 1,
                     sizeof(column_state)))
        return lathe__error_nomem(err);
    b->columns = columns;
    int32_t id;
    bool added;
    if (lathe__interner_put(&b->names, name, length, &id, &added) != LATHE_OK)
        return lathe__error_nomem(err);
    column_state *c = &b->columns[b->n_columns];
    lathe_status status = init_column(b, c, name, length, err);
    if (status != LATHE_OK) {
        column_state_release(b, c);
        return status;
    }
    *index = b->n_columns++;
    return LATHE_OK;
}

lathe_status lathe__builder_add_column(lathe__builder *b, const char *name, size_t length,
                                       size_t *index, lathe_error *err)
{
    int32_t existing = lathe__interner_find(&b->names, name, length);
    if (existing >= 0) {
        char quoted[64];
        quote_cell(name, length, quoted, sizeof quoted);
        return error_at(b, err, LATHE_PARSE, "duplicate column name \"%s\" (columns %d and %zu)",
                        quoted, existing + 1, b->n_columns + 1);
    }
    return new_column(b, name, length, index, err);
}

lathe_status lathe__builder_column(lathe__builder *b, const char *name, size_t length,
                                   size_t *index, lathe_error *err)
{
    int32_t existing = lathe__interner_find(&b->names, name, length);
    if (existing >= 0) {
        *index = (size_t)existing;
        return LATHE_OK;
    }
    return new_column(b, name, length, index, err);
}

lathe_status lathe__builder_declare(lathe__builder *b, size_t column, lathe_kind kind,
                                    lathe_error *err)
{
    (void)err;
    column_state *c = &b->columns[column];
    if (c->user_kind)
        return LATHE_OK;
    c->format_kind = true;
    c->kind = kind;
    if (kind != LATHE_KIND_NUMERIC)
        release_values(b, c);
    set_numeric_ok(b, c, kind == LATHE_KIND_NUMERIC);
    return LATHE_OK;
}

static bool grow_counts(lathe__builder *b, column_state *c, size_t need)
{
    size_t old = c->counts_capacity;
    void *counts = c->counts;
    if (!lathe__grow(b->ctx, &counts, &c->counts_capacity, need, sizeof(size_t)))
        return false;
    c->counts = counts;
    memset(c->counts + old, 0, (c->counts_capacity - old) * sizeof(size_t));
    return true;
}

lathe_status lathe__builder_declare_category(lathe__builder *b, size_t column, const char *name,
                                             size_t length, lathe_error *err)
{
    column_state *c = &b->columns[column];
    size_t bad;
    if (!lathe__utf8_valid(name, length, &bad))
        return error_at(b, err, LATHE_PARSE, "category name is not valid UTF-8 (byte %zu)",
                        bad + 1);
    int32_t id;
    bool added;
    lathe_status status = lathe__interner_put(&c->dictionary, name, length, &id, &added);
    if (status != LATHE_OK)
        return lathe__error(err, status, "too many categories in column \"%s\"", c->name);
    if (!added) {
        char quoted[64];
        quote_cell(name, length, quoted, sizeof quoted);
        return error_at(b, err, LATHE_PARSE, "category \"%s\" is declared twice", quoted);
    }
    if (!grow_counts(b, c, c->dictionary.n_keys))
        return lathe__error_nomem(err);
    c->closed = true;
    return LATHE_OK;
}

/* --- pass 1 ------------------------------------------------------------ */

static lathe_status begin_cell(lathe__builder *b, column_state *c, lathe_error *err)
{
    if (c->last_row == b->row + 1)
        return error_at(b, err, LATHE_PARSE, "column \"%s\" is given twice in one row", c->name);
    c->last_row = b->row + 1;
    b->cells_in_row++;
    if (b->pass == 1 && b->row >= b->row_capacity) {
        size_t rows = b->row_capacity < 1024 ? 1024 : b->row_capacity + b->row_capacity / 2;
        return set_row_capacity(b, rows, err);
    }
    return LATHE_OK;
}

static lathe_status mark_missing(lathe__builder *b, column_state *c, lathe_error *err)
{
    if (!c->missing) {
        c->missing = lathe__calloc(b->ctx, (b->row_capacity + 7) / 8, 1);
        if (!c->missing)
            return lathe__error_nomem(err);
    }
    lathe__bit_set(c->missing, b->row);
    c->n_missing++;
    if (c->values)
        c->values[b->row] = NAN;
    return LATHE_OK;
}

static void drop_numbers(lathe__builder *b, column_state *c)
{
    release_values(b, c);
    set_numeric_ok(b, c, false);
    /* Earlier present values were numbers, which are neither booleans nor datetimes. */
    if (b->row > c->n_missing)
        c->boolean_ok = c->datetime_ok = false;
}

static bool is_boolean_token(const char *text, size_t length, bool *value)
{
    if (length == 4 && strncasecmp(text, "true", 4) == 0) {
        *value = true;
        return true;
    }
    if (length == 5 && strncasecmp(text, "false", 5) == 0) {
        *value = false;
        return true;
    }
    return false;
}

/* A declared boolean also takes 1/0, yes/no, y/n and t/f. */
static bool is_declared_boolean(const char *text, size_t length, bool *value)
{
    static const char *const yes[] = {"1", "yes", "y", "t"}, *const no[] = {"0", "no", "n", "f"};
    if (is_boolean_token(text, length, value))
        return true;
    for (size_t i = 0; i < 4; i++) {
        if (strlen(yes[i]) == length && strncasecmp(text, yes[i], length) == 0) {
            *value = true;
            return true;
        }
        if (strlen(no[i]) == length && strncasecmp(text, no[i], length) == 0) {
            *value = false;
            return true;
        }
    }
    return false;
}

/* Pass 1 for a present value that is not a number. */
static lathe_status note_string(lathe__builder *b, column_state *c, const char *text, size_t length,
                                lathe_error *err)
{
    char quoted[64];
    bool flag;
    int64_t micros;
    bool date_only;
    c->text_bytes += length;
    if (c->boolean_ok && !is_boolean_token(text, length, &flag))
        c->boolean_ok = false;
    if (c->datetime_ok) {
        if (lathe__parse_datetime(text, length, &micros, &date_only))
            c->date_only = c->date_only && date_only;
        else
            c->datetime_ok = false;
    }
    if (!c->user_kind && !c->format_kind)
        return LATHE_OK;
    switch (c->kind) {
    case LATHE_KIND_NUMERIC:
        quote_cell(text, length, quoted, sizeof quoted);
        return error_at(b, err, LATHE_PARSE, "column \"%s\" is numeric, found \"%s\"", c->name,
                        quoted);
    case LATHE_KIND_BOOLEAN:
        if (!is_declared_boolean(text, length, &flag)) {
            quote_cell(text, length, quoted, sizeof quoted);
            return error_at(b, err, LATHE_PARSE,
                            "column \"%s\" is boolean, found \"%s\" (expected true/false, "
                            "yes/no or 1/0)",
                            c->name, quoted);
        }
        return LATHE_OK;
    case LATHE_KIND_DATETIME:
        if (!lathe__parse_datetime(text, length, &micros, &date_only)) {
            quote_cell(text, length, quoted, sizeof quoted);
            return error_at(b, err, LATHE_PARSE,
                            "column \"%s\" is a datetime, found \"%s\" (expected ISO 8601)",
                            c->name, quoted);
        }
        return LATHE_OK;
    default:
        return LATHE_OK;
    }
}

/* --- pass 2 ------------------------------------------------------------ */

static lathe_status put_category(lathe__builder *b, column_state *c, const char *text,
                                 size_t length, lathe_error *err)
{
    int32_t id;
    bool added;
    size_t before = c->dictionary.n_keys;
    if (c->closed) {
        id = lathe__interner_find(&c->dictionary, text, length);
        if (id < 0) {
            char quoted[64];
            quote_cell(text, length, quoted, sizeof quoted);
            return error_at(b, err, LATHE_PARSE,
                            "\"%s\" is not one of the declared values of column \"%s\"", quoted,
                            c->name);
        }
    } else {
        size_t bad;
        lathe_status status = lathe__interner_put(&c->dictionary, text, length, &id, &added);
        if (status != LATHE_OK)
            return lathe__error(err, status, "too many categories in column \"%s\"", c->name);
        if (added && !lathe__utf8_valid(text, length, &bad))
            return error_at(b, err, LATHE_PARSE, "invalid UTF-8 at byte %zu of the value", bad + 1);
        if (c->dictionary.key_bytes > b->limits.max_memory_bytes)
            return memory_limit_error(b, err);
        if (c->dictionary.n_keys > before && !grow_counts(b, c, c->dictionary.n_keys))
            return lathe__error_nomem(err);
    }
    c->codes[b->row] = id;
    c->counts[id]++;
    return LATHE_OK;
}

/*
 * Pass 1 for a present value that is not a number, after note_string. A
 * column whose first present value is neither a number, a boolean nor a
 * datetime can only end up categorical (or text, which the end decides from
 * the categories), as can one declared categorical; its values are interned
 * from then on in pass 1 already, so that a table whose other columns are
 * numeric needs no second pass. Other columns wait for pass 2.
 */
static lathe_status early_category(lathe__builder *b, column_state *c, const char *text,
                                   size_t length, lathe_error *err)
{
    if (!c->early) {
        bool declared = c->user_kind && c->kind == LATHE_KIND_CATEGORICAL;
        bool inferred =
            !c->user_kind && !c->format_kind && !c->numeric_ok && !c->boolean_ok && !c->datetime_ok;
        if (b->row != c->n_missing || c->closed || !(declared || inferred))
            return LATHE_OK;
        c->codes = lathe__realloc_array(b->ctx, NULL, b->row_capacity, sizeof *c->codes);
        if (!c->codes)
            return lathe__error_nomem(err);
        memset(c->codes, 0xff, b->row_capacity * sizeof *c->codes); /* -1: missing */
        c->memo = lathe__calloc(b->ctx, LATHE__MEMO_SLOTS, sizeof *c->memo);
        if (!c->memo)
            return lathe__error_nomem(err);
        c->early = true;
    }
    return put_category(b, c, text, length, err);
}

static lathe_status put_text(lathe__builder *b, column_state *c, const char *text, size_t length,
                             lathe_error *err)
{
    size_t bad;
    if (!lathe__utf8_valid(text, length, &bad))
        return error_at(b, err, LATHE_PARSE, "invalid UTF-8 at byte %zu of the value", bad + 1);
    if (c->bytes_length + length > b->limits.max_memory_bytes)
        return memory_limit_error(b, err);
    void *bytes = c->bytes;
    if (!lathe__grow(b->ctx, &bytes, &c->bytes_capacity, c->bytes_length + length, 1))
        return lathe__error_nomem(err);
    c->bytes = bytes;
    if (length)
        memcpy(c->bytes + c->bytes_length, text, length);
    c->bytes_length += length;
    c->offsets[b->row + 1] = c->bytes_length;
    return LATHE_OK;
}

/* Pass 2: stores a present value given as text in a column being built. */
static lathe_status put_value(lathe__builder *b, column_state *c, const char *text, size_t length,
                              lathe_error *err)
{
    bool flag;
    bool date_only;
    switch (c->kind) {
    case LATHE_KIND_BOOLEAN:
        if (!is_declared_boolean(text, length, &flag))
            return error_at(b, err, LATHE_PARSE, "column \"%s\" is boolean", c->name);
        c->booleans[b->row] = flag;
        return LATHE_OK;
    case LATHE_KIND_DATETIME:
        if (!lathe__parse_datetime(text, length, &c->datetimes[b->row], &date_only))
            return error_at(b, err, LATHE_PARSE, "column \"%s\" is a datetime", c->name);
        return LATHE_OK;
    case LATHE_KIND_CATEGORICAL:
        return put_category(b, c, text, length, err);
    case LATHE_KIND_TEXT:
        return put_text(b, c, text, length, err);
    default:
        return error_at(b, err, LATHE_PARSE, "column \"%s\" changed kind between readings",
                        c->name);
    }
}

static void format_number(double value, char *buf, size_t size)
{
    snprintf(buf, size, "%.15g", value);
    double back;
    if (lathe__parse_double(buf, strlen(buf), &back) != LATHE__NUMBER_OK || back != value)
        snprintf(buf, size, "%.17g", value);
}

/* --- cells --------------------------------------------------------------- */

static lathe_status check_cell_size(lathe__builder *b, size_t length, lathe_error *err)
{
    if (length > b->limits.max_cell_bytes)
        return error_at(b, err, LATHE_LIMIT, "a cell of %zu bytes, more than the limit of %zu",
                        length, b->limits.max_cell_bytes);
    return LATHE_OK;
}

static lathe_status string_cell(lathe__builder *b, size_t column, const char *text, size_t length,
                                bool may_be_number, lathe_error *err)
{
    column_state *c = &b->columns[column];
    lathe_status status = begin_cell(b, c, err);
    if (status != LATHE_OK)
        return status;
    if (b->pass == 2) {
        if (!c->building || lathe__bit_get(c->missing, b->row))
            return LATHE_OK;
        return put_value(b, c, text, length, err);
    }
    if ((status = check_cell_size(b, length, err)) != LATHE_OK)
        return status;
    if (lathe__builder_is_missing_token(b, text, length))
        return mark_missing(b, c, err);
    if (c->numeric_ok && may_be_number) {
        double value;
        lathe__number_result result = lathe__parse_double(text, length, &value);
        if (result == LATHE__NUMBER_OK) {
            c->values[b->row] = value;
            return LATHE_OK;
        }
        if (result == LATHE__NUMBER_RANGE) {
            char quoted[64];
            quote_cell(text, length, quoted, sizeof quoted);
            return error_at(b, err, LATHE_PARSE,
                            "number out of range in column \"%s\": %s (declare the column "
                            "categorical to keep it as text)",
                            c->name, quoted);
        }
    }
    if (c->numeric_ok && !c->user_kind && !c->format_kind)
        drop_numbers(b, c);
    if ((status = note_string(b, c, text, length, err)) != LATHE_OK)
        return status;
    return early_category(b, c, text, length, err);
}

size_t lathe__builder_current_column(const lathe__builder *b)
{
    return b->current_column;
}

/* Writes staged rows [0, n_rows) of column i to `values` (a column that
 * dropped its numbers has no place for them). */
static inline void flush_column(const lathe__builder *b, size_t i, double *values, size_t n_rows)
{
    const size_t n = b->stage_columns;
    for (size_t r = 0; r < n_rows; r++)
        values[r] = b->stage[r * n + i];
}

/*
 * Writes the staged rows to their columns. A full stage is transposed two
 * columns at a time with SSE2 (always there on x86-64): a 16-byte load
 * holds two columns of a row, and two of them unpack into two rows of each
 * column, a quarter of the instructions of moving one double at a time.
 */
static void flush_stage(lathe__builder *b)
{
    const size_t n = b->stage_columns, first = b->stage_first;
    size_t i = 0;
#ifdef __SSE2__
    if (b->stage_rows == STAGE_ROWS) {
        for (; i + 1 < n; i += 2) {
            double *left = b->columns[i].values, *right = b->columns[i + 1].values;
            if (!left || !right) {
                if (left)
                    flush_column(b, i, left + first, STAGE_ROWS);
                if (right)
                    flush_column(b, i + 1, right + first, STAGE_ROWS);
                continue;
            }
            left += first;
            right += first;
            const double *at = b->stage + i;
            if ((((uintptr_t)left | (uintptr_t)right) & 15) == 0) {
                /* Whole aligned lines, not read again while reading: streamed
                 * past the cache, without first reading what they overwrite. */
                for (size_t r = 0; r < STAGE_ROWS; r += 2, at += 2 * n) {
                    __m128d upper = _mm_loadu_pd(at), lower = _mm_loadu_pd(at + n);
                    _mm_stream_pd(left + r, _mm_unpacklo_pd(upper, lower));
                    _mm_stream_pd(right + r, _mm_unpackhi_pd(upper, lower));
                }
                continue;
            }
            for (size_t r = 0; r < STAGE_ROWS; r += 2, at += 2 * n) {
                __m128d upper = _mm_loadu_pd(at), lower = _mm_loadu_pd(at + n);
                _mm_storeu_pd(left + r, _mm_unpacklo_pd(upper, lower));
                _mm_storeu_pd(right + r, _mm_unpackhi_pd(upper, lower));
            }
        }
    }
#endif
    for (; i < n; i++) {
        double *values = b->columns[i].values;
        if (values)
            flush_column(b, i, values + first, b->stage_rows);
    }
#ifdef __SSE2__
    _mm_sfence(); /* the streamed stores are seen before anything after them */
#endif
    b->stage_first += b->stage_rows;
    b->stage_rows = 0;
}

/* The stage's row for the row being added; staged rows that are not just before it go first. */
static lathe_status stage_row(lathe__builder *b, double **out, lathe_error *err)
{
    /* The commonest case first: the next row of a stage with room. */
    if (b->stage_rows - 1 < STAGE_ROWS - 1 && b->stage_first + b->stage_rows == b->row &&
        b->stage_columns == b->n_columns) {
        *out = b->stage + b->stage_rows++ * b->stage_columns;
        return LATHE_OK;
    }
    if (b->stage_rows && b->stage_columns == b->n_columns &&
        b->stage_first + b->stage_rows == b->row + 1) { /* staged already */
        *out = b->stage + (b->stage_rows - 1) * b->stage_columns;
        return LATHE_OK;
    }
    if (b->stage_rows == STAGE_ROWS || b->stage_columns != b->n_columns ||
        b->stage_first + b->stage_rows != b->row)
        flush_stage(b);
    if (b->stage_columns != b->n_columns) {
        lathe__free(b->ctx, b->stage);
        b->stage_columns = 0;
        b->stage = lathe__realloc_array(b->ctx, NULL, b->n_columns, STAGE_ROWS * sizeof(double));
        if (!b->stage)
            return lathe__error_nomem(err);
        b->stage_columns = b->n_columns;
    }
    if (b->stage_rows == 0)
        b->stage_first = b->row;
    *out = b->stage + b->stage_rows++ * b->stage_columns;
    return LATHE_OK;
}

/* Ends a row of pass 1. */
static lathe_status count_row(lathe__builder *b, lathe_error *err)
{
    if (++b->row > b->limits.max_rows)
        return error_at(b, err, LATHE_LIMIT, "more than %zu rows (the row limit)",
                        b->limits.max_rows);
    return LATHE_OK;
}

/* Room for the row being added, and its place in the stage. */
static lathe_status begin_text_row(lathe__builder *b, double **staged, lathe_error *err)
{
    if (b->row >= b->row_capacity) {
        size_t rows = b->row_capacity < 1024 ? 1024 : b->row_capacity + b->row_capacity / 2;
        lathe_status status = set_row_capacity(b, rows, err);
        if (status != LATHE_OK)
            return status;
    }
    return stage_row(b, staged, err);
}

/* A scanned number is short and starts with a digit, sign or point: when no
 * missing token starts so, and cells that short are allowed, such a cell
 * passes the tests of first_pass_cell without looking at its text. */
static bool takes_scanned(const lathe__builder *b)
{
    return b->scanned_numbers_count && b->limits.max_cell_bytes >= LATHE__SCAN_NUMBER_BYTES;
}

/* put_category for an early column, through its memo when the value is short. */
static lathe_status put_early_category(lathe__builder *b, column_state *c, const char *text,
                                       size_t length, lathe_error *err)
{
    if (length > LATHE__MEMO_MAX_BYTES)
        return put_category(b, c, text, length, err);
    lathe__memo_key key = lathe__memo_key_of(text, length);
    lathe__category_memo *m = lathe__memo_slot(c->memo, key, length);
    if (lathe__memo_holds(m, key, length)) {
        c->codes[b->row] = m->id;
        c->counts[m->id]++;
        return LATHE_OK;
    }
    lathe_status status = put_category(b, c, text, length, err);
    if (status == LATHE_OK)
        *m = (lathe__category_memo){.key = key, .length = (uint32_t)length, .id = c->codes[b->row]};
    return status;
}

/* Pass 1 of cell i of a text row, whose number goes to staged[i]. */
static lathe_status first_pass_cell(lathe__builder *b, size_t i, const lathe__cell *cell,
                                    double *staged, lathe_error *err)
{
    column_state *c = &b->columns[i];
    const char *text = cell->text;
    size_t length = cell->length;
    /* The same tests either way; a number the reader scanned is just not parsed twice. */
    if (c->numeric_ok && length && length <= b->limits.max_cell_bytes &&
        b->number_first_byte[(unsigned char)text[0]]) {
        if (cell->number) {
            staged[i] = cell->value;
            return LATHE_OK;
        }
        if (lathe__parse_double(text, length, &staged[i]) == LATHE__NUMBER_OK)
            return LATHE_OK;
    }
    b->current_column = i;
    /* A category of a column known to be categorical, what string_cell
     * would come to with nothing else to note: straight to the dictionary. */
    if (c->plain_categories && length && length <= b->limits.max_cell_bytes &&
        !b->missing_first_byte[(unsigned char)text[0]]) {
        c->text_bytes += length;
        return put_early_category(b, c, text, length, err);
    }
    lathe_status status = string_cell(b, i, text, length, true, err);
    /* Only ever false to true: early is set once, the others only cleared.
     * From then on a value in the memo needs nothing but its code, so
     * number rows may take it from there (lathe__row_rest.hits). */
    c->plain_categories = c->early && !c->boolean_ok && !c->datetime_ok && !c->closed;
    if (c->plain_categories)
        b->memos[i] = c->memo;
    /* The general path stored into the column (a number, or NaN for a
     * missing cell); the stage, written later, must say the same. */
    if (status == LATHE_OK && c->values)
        staged[i] = c->values[b->row];
    return status;
}

/* Pass 1 of a row: numbers are parsed inline; anything else takes the general path. */
static lathe_status first_pass_row(lathe__builder *b, const lathe__cell *cells, size_t n,
                                   lathe_error *err)
{
    double *staged = NULL;
    lathe_status status = begin_text_row(b, &staged, err);
    if (status != LATHE_OK)
        return status;
    const bool take_scanned = takes_scanned(b);
    const bool *numeric_ok = b->numeric_ok;
    for (size_t i = 0; i < n; i++) {
        if (cells[i].number && take_scanned && numeric_ok[i]) {
            staged[i] = cells[i].value;
            continue;
        }
        if ((status = first_pass_cell(b, i, &cells[i], staged, err)) != LATHE_OK)
            return status;
    }
    return LATHE_OK;
}

static lathe_status second_pass_row(lathe__builder *b, const lathe__cell *cells, size_t n,
                                    lathe_error *err)
{
    for (size_t i = 0; i < n; i++) {
        column_state *c = &b->columns[i];
        if (!c->building || lathe__bit_get(c->missing, b->row))
            continue;
        b->current_column = i;
        lathe_status status = put_value(b, c, cells[i].text, cells[i].length, err);
        if (status != LATHE_OK)
            return status;
    }
    return LATHE_OK;
}

/* Ends a text row whose cells all went through; errors of the whole row point at its start. */
static lathe_status end_text_row(lathe__builder *b, size_t n_cells, lathe_error *err)
{
    b->current_column = 0;
    if (b->pass == 1 && n_cells && n_cells == b->n_columns) {
        /* every cell given: nothing for lathe__builder_end_row to fill in */
        b->cells_in_row = 0;
        return count_row(b, err);
    }
    b->cells_in_row = n_cells;
    return lathe__builder_end_row(b, err);
}

lathe_status lathe__builder_number_row(lathe__builder *b, lathe__number_row *row, lathe_error *err)
{
    row->values = NULL;
    row->numeric = b->numeric_ok;
    row->all_numeric = b->n_numeric_ok == b->n_columns;
    row->memos = b->memos;
    if (b->pass != 1 || !takes_scanned(b))
        return LATHE_OK;
    return begin_text_row(b, &row->values, err);
}

lathe_status lathe__builder_end_number_row(lathe__builder *b, const lathe__number_row *row,
                                           const lathe__row_rest *rest, size_t n_cells,
                                           lathe_error *err)
{
    if (n_cells != b->n_columns)
        return error_at(b, err, LATHE_PARSE, "expected %zu fields, found %zu", b->n_columns,
                        n_cells);
    for (size_t k = 0; k < rest->n_others; k++) {
        lathe_status status =
            first_pass_cell(b, rest->columns[k], &rest->others[k], row->values, err);
        if (status != LATHE_OK)
            return status;
    }
    /* What put_early_category does for a value its memo holds. */
    for (size_t k = 0; k < rest->n_hits; k++) {
        const lathe__memo_hit *hit = &rest->hits[k];
        column_state *c = &b->columns[hit->column];
        c->text_bytes += hit->length;
        c->codes[b->row] = hit->id;
        c->counts[hit->id]++;
    }
    return end_text_row(b, n_cells, err);
}

lathe_status lathe__builder_text_row(lathe__builder *b, const lathe__cell *cells, size_t n_cells,
                                     lathe_error *err)
{
    if (n_cells != b->n_columns)
        return error_at(b, err, LATHE_PARSE, "expected %zu fields, found %zu", b->n_columns,
                        n_cells);
    b->current_column = 0;
    lathe_status status = b->pass == 1 ? first_pass_row(b, cells, n_cells, err)
                                       : second_pass_row(b, cells, n_cells, err);
    if (status != LATHE_OK)
        return status;
    return end_text_row(b, n_cells, err);
}

lathe_status lathe__builder_text(lathe__builder *b, size_t column, const char *text, size_t length,
                                 lathe_error *err)
{
    return string_cell(b, column, text, length, true, err);
}

lathe_status lathe__builder_string(lathe__builder *b, size_t column, const char *text,
                                   size_t length, lathe_error *err)
{
    return string_cell(b, column, text, length, false, err);
}

lathe_status lathe__builder_number(lathe__builder *b, size_t column, double value, lathe_error *err)
{
    column_state *c = &b->columns[column];
    if (b->pass == 1 ? c->numeric_ok : !c->building) {
        lathe_status status = begin_cell(b, c, err);
        if (status != LATHE_OK || b->pass == 2)
            return status;
        c->values[b->row] = value;
        return LATHE_OK;
    }
    char text[40];
    format_number(value, text, sizeof text);
    return string_cell(b, column, text, strlen(text), false, err);
}

lathe_status lathe__builder_boolean(lathe__builder *b, size_t column, bool value, lathe_error *err)
{
    const char *text = value ? "true" : "false";
    return string_cell(b, column, text, strlen(text), false, err);
}

lathe_status lathe__builder_missing(lathe__builder *b, size_t column, lathe_error *err)
{
    column_state *c = &b->columns[column];
    lathe_status status = begin_cell(b, c, err);
    if (status != LATHE_OK || b->pass == 2)
        return status;
    return mark_missing(b, c, err);
}

/* A cell not given in a sparse row: 0 for numbers, the first declared value for categories. */
static lathe_status absent_sparse(lathe__builder *b, column_state *c, lathe_error *err)
{
    if (b->pass == 1) {
        if (c->values) {
            c->values[b->row] = 0.0;
            return LATHE_OK;
        }
        if (c->early) /* as pass 2 would store it */
            return put_category(b, c, "0", 1, err);
        if (c->kind == LATHE_KIND_NUMERIC)
            return LATHE_OK;
        return note_string(b, c, "0", 1, err);
    }
    if (!c->building)
        return LATHE_OK;
    if (c->kind == LATHE_KIND_CATEGORICAL && c->closed && c->dictionary.n_keys > 0) {
        c->codes[b->row] = 0;
        c->counts[0]++;
        return LATHE_OK;
    }
    return put_value(b, c, "0", 1, err);
}

lathe_status lathe__builder_end_row(lathe__builder *b, lathe_error *err)
{
    if (b->pass == 1 && b->n_columns == 0 && b->row >= b->row_capacity)
        b->row_capacity = b->row + 1; /* no arrays yet: a column added later backfills this row */
    if (b->cells_in_row != b->n_columns) {
        for (size_t i = 0; i < b->n_columns; i++) {
            column_state *c = &b->columns[i];
            if (c->last_row == b->row + 1)
                continue;
            lathe_status status;
            if (b->pass == 1 && b->row >= b->row_capacity &&
                (status = begin_cell(b, c, err)) != LATHE_OK)
                return status;
            c->last_row = b->row + 1;
            if (b->sparse)
                status = absent_sparse(b, c, err);
            else
                status = b->pass == 1 ? mark_missing(b, c, err) : LATHE_OK;
            if (status != LATHE_OK)
                return status;
        }
    }
    if (b->pass == 2 && b->has_text) {
        for (size_t i = 0; i < b->n_columns; i++) {
            column_state *c = &b->columns[i];
            if (c->offsets)
                c->offsets[b->row + 1] = c->bytes_length;
        }
    }
    b->cells_in_row = 0;
    if (b->pass == 1)
        return count_row(b, err);
    b->row++;
    if (b->row > b->n_rows)
        return error_at(b, err, LATHE_PARSE, "the input changed between readings");
    return LATHE_OK;
}

/* --- between passes -------------------------------------------------------- */

static lathe_kind inferred_kind(const column_state *c)
{
    if (c->user_kind || c->format_kind)
        return c->kind;
    if (c->numeric_ok)
        return LATHE_KIND_NUMERIC;
    if (c->boolean_ok)
        return LATHE_KIND_BOOLEAN;
    if (c->datetime_ok)
        return LATHE_KIND_DATETIME;
    return LATHE_KIND_CATEGORICAL;
}

static lathe_status prepare_building(lathe__builder *b, column_state *c, lathe_error *err)
{
    size_t rows = b->n_rows;
    c->building = true;
    switch (c->kind) {
    case LATHE_KIND_BOOLEAN:
        c->booleans = lathe__calloc(b->ctx, rows, sizeof *c->booleans);
        break;
    case LATHE_KIND_DATETIME:
        c->datetimes = lathe__calloc(b->ctx, rows, sizeof *c->datetimes);
        break;
    case LATHE_KIND_CATEGORICAL:
        c->codes = lathe__realloc_array(b->ctx, NULL, rows, sizeof *c->codes);
        if (c->codes)
            memset(c->codes, 0xff, rows * sizeof *c->codes); /* -1: missing */
        break;
    case LATHE_KIND_TEXT:
        c->offsets = lathe__calloc(b->ctx, rows + 1, sizeof *c->offsets);
        b->has_text = true;
        break;
    default:
        return LATHE_OK;
    }
    if (!c->booleans && !c->datetimes && !c->codes && !c->offsets)
        return lathe__error_nomem(err);
    return LATHE_OK;
}

/* Shrinks an array allocated for `capacity` rows to exactly `count` elements. */
static void *fit(lathe__builder *b, void *items, size_t count, size_t size)
{
    void *shrunk = lathe__realloc_array(b->ctx, items, count ? count : 1, size);
    return shrunk ? shrunk : items;
}

lathe_status lathe__builder_next_pass(lathe__builder *b, bool *again, lathe_error *err)
{
    flush_stage(b);
    lathe__free(b->ctx, b->stage);
    b->stage = NULL;
    b->stage_columns = 0;
    b->n_rows = b->row;
    *again = false;
    for (size_t i = 0; i < b->n_columns; i++) {
        column_state *c = &b->columns[i];
        c->last_row = 0; /* numeric columns too, else a 1-row pass 2 sees cells "twice" */
        c->n_present = b->n_rows - c->n_missing;
        c->kind = inferred_kind(c);
        if (c->kind == LATHE_KIND_NUMERIC) {
            if (!c->values && b->n_rows) /* declared numeric after its values were dropped */
                return lathe__error(err, LATHE_PARSE, "column \"%s\" is not numeric", c->name);
            continue;
        }
        if (c->early) { /* built already */
            c->codes = fit(b, c->codes, b->n_rows, sizeof *c->codes);
            continue;
        }
        lathe_status status = prepare_building(b, c, err);
        if (status != LATHE_OK)
            return status;
        *again = true;
    }
    b->pass = 2;
    b->replay = *again;
    b->row = 0;
    b->cells_in_row = 0;
    return LATHE_OK;
}

/* --- finishing ------------------------------------------------------------- */

static bool looks_like_text(const column_state *c)
{
    if (c->user_kind || c->format_kind || c->n_present == 0)
        return false;
    double present = (double)c->n_present;
    return (double)c->dictionary.n_keys > TEXT_DISTINCT_SHARE * present &&
           (double)c->text_bytes / present >= TEXT_MEAN_LENGTH;
}

/* Rewrites a categorical column being finished as text, row by row. */
static lathe_status categories_to_text(lathe__builder *b, column_state *c, lathe_error *err)
{
    size_t rows = b->n_rows, total = 0;
    for (size_t r = 0; r < rows; r++)
        total += c->codes[r] >= 0 ? c->dictionary.lengths[c->codes[r]] : 0;
    c->offsets = lathe__calloc(b->ctx, rows + 1, sizeof *c->offsets);
    c->bytes = lathe__alloc(b->ctx, total);
    if (!c->offsets || !c->bytes)
        return lathe__error_nomem(err);
    size_t at = 0;
    for (size_t r = 0; r < rows; r++) {
        if (c->codes[r] >= 0) {
            size_t length = c->dictionary.lengths[c->codes[r]];
            memcpy(c->bytes + at, c->dictionary.keys[c->codes[r]], length);
            at += length;
        }
        c->offsets[r + 1] = at;
    }
    c->bytes_length = at;
    lathe__free(b->ctx, c->codes);
    c->codes = NULL;
    lathe__interner_release(&c->dictionary);
    c->kind = LATHE_KIND_TEXT;
    return LATHE_OK;
}

/* Moves a column's finished arrays into a frame column. */
static lathe_status make_column(lathe__builder *b, column_state *c, lathe__column **out,
                                lathe_error *err)
{
    size_t rows = b->n_rows;
    if (c->kind == LATHE_KIND_CATEGORICAL && looks_like_text(c)) {
        lathe_status status = categories_to_text(b, c, err);
        if (status != LATHE_OK)
            return status;
    }
    lathe__column *col = lathe__column_new(b->ctx, c->name, c->name_length, c->kind, rows);
    if (!col)
        return lathe__error_nomem(err);
    if (c->n_missing) {
        col->missing = fit(b, c->missing, (rows + 7) / 8, 1);
        col->n_missing = c->n_missing;
        c->missing = NULL;
    }
    switch (c->kind) {
    case LATHE_KIND_NUMERIC:
        if (c->values_in_block) {
            /* The rows reserved but not read are given back. */
            lathe__pages_discard(b->block, c->values + rows,
                                 (b->row_capacity - rows) * sizeof(double));
            lathe__pages_retain(b->block);
            col->numeric_pages = b->block;
            col->numeric = c->values;
        } else {
            col->numeric = c->values ? fit(b, c->values, rows, sizeof(double))
                                     : lathe__calloc(b->ctx, 1, sizeof(double));
        }
        c->values = NULL;
        c->values_in_block = false;
        break;
    case LATHE_KIND_BOOLEAN:
        col->boolean = c->booleans;
        c->booleans = NULL;
        break;
    case LATHE_KIND_DATETIME:
        col->datetime = c->datetimes;
        col->date_only = c->date_only;
        c->datetimes = NULL;
        break;
    case LATHE_KIND_CATEGORICAL:
        col->codes = c->codes;
        col->n_categories = c->dictionary.n_keys;
        col->category_counts = c->counts ? fit(b, c->counts, col->n_categories, sizeof(size_t))
                                         : lathe__calloc(b->ctx, 1, sizeof(size_t));
        col->categories = lathe__interner_steal_keys(&c->dictionary);
        c->codes = NULL;
        c->counts = NULL;
        break;
    case LATHE_KIND_TEXT:
        col->offsets = c->offsets;
        col->bytes = c->bytes ? c->bytes : lathe__alloc(b->ctx, 1);
        c->offsets = NULL;
        c->bytes = NULL;
        break;
    default:
        break;
    }
    bool filled = col->numeric || col->boolean || col->datetime || (col->offsets && col->bytes) ||
                  (col->codes && col->category_counts);
    if (!filled) {
        lathe__column_release(b->ctx, col);
        return lathe__error_nomem(err);
    }
    *out = col;
    return LATHE_OK;
}

static lathe_status check_declared(lathe__builder *b, lathe_error *err)
{
    for (size_t i = 0; i < b->options->n_columns; i++) {
        const char *name = b->options->columns[i].name;
        if (!b->options->columns[i].optional &&
            lathe__interner_find(&b->names, name, strlen(name)) < 0)
            return lathe__error(err, LATHE_NOT_FOUND, "declared column \"%s\" is not in the data",
                                name);
    }
    return LATHE_OK;
}

lathe_status lathe__builder_finish(lathe__builder *b, lathe_frame **out, lathe_error *err)
{
    lathe_status status;
    if (b->pass == 1) {
        bool again;
        if ((status = lathe__builder_next_pass(b, &again, err)) != LATHE_OK)
            return status;
        if (again)
            return lathe__error(err, LATHE_INVALID, "the reader skipped the second reading");
    } else if (b->replay && b->row != b->n_rows) {
        return lathe__error(err, LATHE_PARSE, "the input changed between readings");
    }
    if ((status = check_declared(b, err)) != LATHE_OK)
        return status;
    lathe_frame *frame = lathe__frame_new(b->ctx, b->n_columns, b->n_rows);
    if (!frame)
        return lathe__error_nomem(err);
    for (size_t i = 0; i < b->n_columns; i++) {
        lathe__column *col = NULL;
        if ((status = make_column(b, &b->columns[i], &col, err)) != LATHE_OK) {
            lathe_frame_free(frame);
            return status;
        }
        lathe__frame_put(frame, i, col);
        if (b->columns[i].has_role)
            lathe_frame_set_role(frame, i, b->columns[i].role);
    }
    *out = frame;
    return LATHE_OK;
}
