/*
 * csv.c: CSV and TSV per RFC 4180, with the leniencies real files need.
 *
 * Accepted: quoted fields with doubled quotes and newlines inside, CRLF, LF
 * or lone CR line ends, a UTF-8 byte order mark, blank lines (skipped), and
 * spaces around unquoted fields (trimmed). The delimiter is sniffed from the
 * first lines when not given; a header is detected when the first record has
 * no numbers in it. Every record must have as many fields as the first.
 *
 * The reader sees the input through a window: all of it when it is in
 * memory, or a part of a regular file that read.c hands over to be streamed,
 * so that a large file is never held whole next to the table built from it.
 * A record is split into fields only when it lies whole in the window; one
 * that runs off the end is split again after the window slides on (growing,
 * up to the record length limit, when one record fills it). A second pass
 * reads the file again from the first record. Fields are handed to the
 * builder as pointers into the window; only quoted fields with doubled
 * quotes are copied, to undo the doubling. Positions in messages are 1-based
 * lines and byte columns.
 *
 * Speed, since most cells of real tables are short plain numbers: where
 * fields end comes from a bitmap of delimiters and line ends made 64 bytes
 * at a time (SSE2), so finding the next field never waits for this one; a
 * field that is a plain number is converted as it is split
 * (lathe__field_number), so the builder need not parse it again; and runs
 * of plain fields are split by a loop that keeps its state in registers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/internal.h"
#include "core/number.h"
#include "core/number_scan.h"
#include "data/builder.h"
#include "data/readers.h"

#include "core/banned.h"

#define SNIFF_LINES 20
#define SNIFF_BYTES (64 * 1024)
#define PROGRESS_ROWS 65536
/* A streamed file is read this much at a time: enough to make read() calls
 * rare, little enough to stay in the L2 cache while it is split. */
#define WINDOW_BYTES (256 * 1024)
/* The number fast path may read this far past a field's start. */
#define NUMBER_MARGIN (LATHE__SCAN_NUMBER_BYTES + 1)

enum field_end { FIELD_MORE, FIELD_END_RECORD, FIELD_END_INPUT };

/* The bytes that end unquoted fields (delimiters, line ends), one bit each, for the 64 from `at`
 * on. */
typedef struct separator_map {
    const char *at;
    uint64_t bits;
} separator_map;

typedef struct csv_reader {
    lathe_ctx *ctx;
    const lathe__input *input;
    const lathe_read_options *options;
    lathe__builder *builder;
    char delimiter;
    bool numbers_split; /* the delimiter can be part of a number: never scan them */
    bool scan_numbers;  /* the pass that wants numbers scanned (pass 2 builds no numeric column) */
    bool blank_or_quote[256]; /* bytes that make a field start other than plainly */

    /* The window: [base, end) are the input's bytes from window_offset on. */
    const char *base;
    const char *end;
    uint64_t window_offset;
    bool at_eof;  /* the window reaches the end of the input */
    char *buffer; /* streamed: the window's storage, base == buffer */
    size_t buffer_capacity;
    size_t max_buffer;    /* a window this large that one record fills is an error */
    uint64_t size;        /* bytes of input (a streamed file's size when opened) */
    uint64_t data_offset; /* where the input starts after any byte order mark */

    separator_map separators;

    const char *p;
    size_t line;            /* line of p */
    const char *line_start; /* first byte of p's line */
    size_t cell_line;       /* where the current cell starts */
    const char *cell_start;
    const char *cell_line_start;
    char *scratch; /* unescaped quoted fields of the current record */
    size_t scratch_length;
    size_t scratch_capacity;
    size_t n_fields;
    /* The current record: its cells, and where each starts, for messages.
     * In a number row they hold only the fields not written to its values,
     * each from the column in other_columns (see cell_slot). */
    lathe__cell *cells;
    size_t *scratch_at; /* the offset in scratch of a cell whose text is NULL */
    const char **cell_starts;
    size_t *other_columns;
    size_t n_others;
    lathe__memo_hit *hits; /* a number row's categories that their memos knew */
    size_t n_hits;
    size_t cells_capacity;
    lathe__number_row number_row; /* values is NULL but while a number row is split */
    bool others_only;             /* the builder is taking a number row's other cells */
    const char *record;           /* where the current record starts */
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
        size_t column = lathe__builder_current_column(r->builder);
        if (r->others_only) {
            start = r->record; /* a whole-row message, unless the cell is one of the others */
            for (size_t k = 0; k < r->n_others; k++) {
                if (r->other_columns[k] == column)
                    start = r->cell_starts[k];
            }
        } else {
            start = r->cell_starts[column];
        }
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

static lathe_status record_too_long(const csv_reader *r, lathe_error *err, size_t line,
                                    const char *line_start, const char *record)
{
    char message[96];
    snprintf(message, sizeof message, "a record longer than the limit of %zu bytes",
             r->options->limits.max_line_bytes);
    return fail_at(r, err, LATHE_LIMIT, line, line_start, record, message);
}

/* --- the window ------------------------------------------------------------ */

/* The input offset of a byte in the window. */
static inline uint64_t offset_of(const csv_reader *r, const char *at)
{
    return r->window_offset + (uint64_t)(at - r->base);
}

/* Fills a streamed window from the file, after its last byte, up to its capacity. */
static lathe_status read_window(csv_reader *r, lathe_error *err)
{
    char *fill = r->buffer + (r->end - r->base);
    const char *stop = r->buffer + r->buffer_capacity;
    while (fill < stop) {
        ssize_t n = pread(r->input->fd, fill, (size_t)(stop - fill), (off_t)offset_of(r, fill));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return lathe__error(err, LATHE_IO, "%s: %s", r->input->name, strerror(errno));
        if (n == 0) {
            r->at_eof = true;
            break;
        }
        fill += n;
    }
    r->end = fill;
    return LATHE_OK;
}

/*
 * Slides a streamed window to start at r->p and reads on behind what it
 * holds. r->p is at the start of a line (between records, or back at the
 * start of one that ran off the window), so nothing before it is needed
 * again. A window that one unfinished record fills doubles instead, up to
 * max_buffer, past which the record is longer than the limit.
 */
static lathe_status refill(csv_reader *r, lathe_error *err)
{
    size_t kept = (size_t)(r->end - r->p);
    uint64_t offset = offset_of(r, r->p);
    char *buffer = r->buffer;
    if (kept == r->buffer_capacity) {
        if (r->buffer_capacity >= r->max_buffer)
            return record_too_long(r, err, r->line, r->line_start, r->p);
        size_t capacity =
            r->buffer_capacity > r->max_buffer / 2 ? r->max_buffer : r->buffer_capacity * 2;
        buffer = lathe__realloc_array(r->ctx, r->buffer, capacity, 1);
        if (!buffer)
            return lathe__error_nomem(err);
        r->buffer_capacity = capacity;
    } else if (r->p != r->base) {
        memmove(buffer, r->p, kept);
    }
    r->window_offset = offset;
    r->separators.at = NULL; /* the bytes under it move */
    r->base = r->p = r->line_start = r->buffer = buffer;
    r->end = buffer + kept;
    /* Messages between records point at the window's first line. */
    r->cell_line = r->line;
    r->cell_start = r->cell_line_start = r->p;
    return read_window(r, err);
}

/* Moves to a line start at `offset` of the input (the first record, for pass 2). */
static lathe_status seek_line(csv_reader *r, uint64_t offset, size_t line, lathe_error *err)
{
    r->line = line;
    if (!r->input->streamed) {
        r->p = r->line_start = r->base + offset;
        return LATHE_OK;
    }
    r->window_offset = offset;
    r->p = r->end = r->line_start = r->base;
    r->at_eof = false;
    return refill(r, err);
}

/* --- fields ---------------------------------------------------------------- */

static inline bool is_blank(char c, char delimiter)
{
    return (c == ' ' || c == '\t') && c != delimiter;
}

/*
 * The first byte in [p, end) that is a, b or c, or end. SSE2 (always there
 * on x86-64) tests 16 bytes per step, so a long field costs a compare per 16
 * bytes rather than a branch per byte.
 */
static inline const char *find_any(const char *p, const char *end, char a, char b, char c)
{
#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
    for (; end - p >= 16; p += 16) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hits =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, va), _mm_cmpeq_epi8(bytes, vb)),
                         _mm_cmpeq_epi8(bytes, vc));
        unsigned mask = (unsigned)_mm_movemask_epi8(hits);
        if (mask)
            return p + __builtin_ctz(mask);
    }
#endif
    while (p < end && *p != a && *p != b && *p != c)
        p++;
    return p;
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

/* What follows a field: a delimiter, a line end or the end of the window. */
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

/*
 * The closing quote of a field opened at start - 1, or NULL; newlines on the
 * way count as lines, so one pass finds both.
 */
static const char *closing_quote(csv_reader *r, const char *start, bool *doubled)
{
    for (const char *q = start;; q++) {
        q = find_any(q, r->end, '"', '\n', '\n');
        if (q == r->end)
            return NULL;
        if (*q == '\n') {
            r->line++;
            r->line_start = q + 1;
        } else if (q + 1 < r->end && q[1] == '"') {
            *doubled = true;
            q++;
        } else {
            return q;
        }
    }
}

static lathe_status quoted_field(csv_reader *r, lathe__cell *cell, size_t *at, enum field_end *end,
                                 lathe_error *err)
{
    const char *open = r->p, *open_line_start = r->line_start;
    size_t open_line = r->line;
    const char *start = r->p + 1;
    bool doubled = false;
    const char *q = closing_quote(r, start, &doubled);
    if (!q && !r->at_eof) {
        /* The rest is beyond the window: the record will be split again. */
        r->p = r->end;
        *end = FIELD_END_INPUT;
        cell->text = start;
        cell->length = 0;
        return LATHE_OK;
    }
    if (!q)
        return fail_at(r, err, LATHE_PARSE, open_line, open_line_start, open,
                       "unterminated quoted field");
    r->p = q + 1;
    while (r->p < r->end && is_blank(*r->p, r->delimiter))
        r->p++;
    if (r->p < r->end && *r->p != r->delimiter && *r->p != '\n' && *r->p != '\r')
        return fail_at(r, err, LATHE_PARSE, r->line, r->line_start, r->p,
                       "unexpected character after a closing quote (a quote inside a quoted "
                       "field must be doubled)");
    *end = finish_field(r);
    if (doubled) {
        cell->text = NULL;
        return unescape(r, start, q, at, &cell->length, err);
    }
    cell->text = start;
    cell->length = (size_t)(q - start);
    return LATHE_OK;
}

/* One bit for each byte of the 64 at block that ends an unquoted field. */
static inline uint64_t separator_bits(const char *block, char delimiter)
{
    uint64_t bits = 0;
#ifdef __SSE2__
    const __m128i d = _mm_set1_epi8(delimiter), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    for (int i = 0; i < 4; i++) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)(block + 16 * i));
        __m128i hits =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, d), _mm_cmpeq_epi8(bytes, lf)),
                         _mm_cmpeq_epi8(bytes, cr));
        bits |= (uint64_t)(unsigned)_mm_movemask_epi8(hits) << (16 * i);
    }
#else
    for (int i = 0; i < 64; i++)
        bits |= (uint64_t)(block[i] == delimiter || block[i] == '\n' || block[i] == '\r') << i;
#endif
    return bits;
}

/* separator_bits out of line: it is needed once per 64 bytes, and inlined
 * its vector constants would crowd the field loops' registers. */
static __attribute__((noinline)) uint64_t separator_bits_call(const char *block, char delimiter)
{
    return separator_bits(block, delimiter);
}

/*
 * The first delimiter or line end at or after p, or end. Where each field
 * ends comes from a bitmap of 64 bytes at a time, not from scanning the
 * field itself, so the next field's start is known after a few cycles and
 * its parse can overlap this one's in the processor. The map is made again
 * wherever p leaves it.
 */
static inline const char *next_separator(separator_map *map, const char *p, const char *end,
                                         char delimiter)
{
    for (;;) {
        uintptr_t offset = (uintptr_t)p - (uintptr_t)map->at;
        if (offset < 64) {
            uint64_t bits = map->bits >> offset;
            if (bits)
                return p + __builtin_ctzll(bits);
            p = map->at + 64;
        }
        if (end - p < 64)
            return find_any(p, end, delimiter, '\n', '\r');
        map->at = p;
        map->bits = separator_bits_call(p, delimiter);
    }
}

/* Where the text of an unquoted field [start, stop) ends: trailing blanks are cut. */
static inline const char *text_end(const csv_reader *r, const char *start, const char *stop)
{
    while (stop > start && is_blank(stop[-1], r->delimiter))
        stop--;
    return stop;
}

/*
 * An unquoted field [start, stop): a number if `scan` and it is one, else
 * text with trailing blanks cut.
 */
static inline void plain_field(const csv_reader *r, const char *start, const char *stop, bool scan,
                               lathe__cell *restrict cell)
{
    cell->text = start;
    cell->number = scan && lathe__field_number(start, (size_t)(stop - start), &cell->value);
    if (!cell->number)
        stop = text_end(r, start, stop);
    cell->length = (size_t)(stop - start);
}

/*
 * The fast path of split_record, for fields that start plainly (with
 * neither a blank nor a quote) well inside the window: by far the commonest
 * case, split in a loop that keeps its state in registers. Returns the next
 * column, having ended the record (*end) or stopped before a field that
 * next_field must take.
 */
static inline size_t plain_fields(csv_reader *r, size_t column, size_t keep, enum field_end *end)
{
    const char *p = r->p, *const window_end = r->end;
    if (window_end - p < NUMBER_MARGIN)
        return column;
    /* Every field that starts up to here may be scanned as a number. */
    const char *const last_start = window_end - NUMBER_MARGIN;
    separator_map map = r->separators;
    const char delimiter = r->delimiter;
    const bool scan = r->scan_numbers;
    const bool *restrict blank_or_quote = r->blank_or_quote;
    lathe__cell *restrict cells = r->cells;
    const char **restrict starts = r->cell_starts;
    while (column < keep && p <= last_start && !blank_or_quote[(unsigned char)*p]) {
        const char *stop = next_separator(&map, p, window_end, delimiter);
        plain_field(r, p, stop, scan, &cells[column]);
        starts[column++] = p;
        p = stop;
        if (p < window_end && *p == delimiter) {
            p++;
            continue;
        }
        r->p = p;
        r->separators = map;
        *end = finish_field(r);
        return column;
    }
    r->p = p;
    r->separators = map;
    return column;
}

/* Where the field of `column` goes in cells, scratch_at and cell_starts: its
 * own place, or in a number row the next of the others. */
static inline size_t cell_slot(csv_reader *r, size_t column)
{
    if (!r->number_row.values)
        return column;
    r->other_columns[r->n_others] = column;
    return r->n_others++;
}

/* A number row's category of 1 to 16 bytes that its column's memo knows:
 * noted as a hit instead of becoming a cell. The 16 bytes at text must be
 * readable (NUMBER_MARGIN bytes from a field's start are). */
static inline bool memo_hit(csv_reader *r, size_t column, const char *text, size_t length)
{
    lathe__category_memo *memo = r->number_row.memos[column];
    if (!memo || length - 1 >= LATHE__MEMO_MAX_BYTES)
        return false;
    int32_t id = lathe__memo_find(memo, lathe__memo_key_in(text, length), length);
    if (id < 0)
        return false;
    r->hits[r->n_hits++] =
        (lathe__memo_hit){.column = column, .id = id, .length = (uint32_t)length};
    return true;
}

/* A field of a number row that is not a number for its column: a hit, or a cell for the builder. */
static __attribute__((noinline)) void number_row_field(csv_reader *r, size_t column,
                                                       const char *start, const char *stop)
{
    if (!r->number_row.numeric[column] &&
        memo_hit(r, column, start, (size_t)(text_end(r, start, stop) - start)))
        return;
    size_t slot = cell_slot(r, column);
    plain_field(r, start, stop, true, &r->cells[slot]);
    r->cell_starts[slot] = start;
}

/*
 * A quoted field of a number row, if it is a simple one: no doubled quote,
 * no line end inside, and a delimiter or line end right after the closing
 * quote. Its text is a memo hit or goes to the builder as one of the
 * others; returns where it ends, or NULL to leave it to next_field.
 * Inlined: quoted categories are as common as numbers in many tables, and
 * a call costs as much as the memo's lookup.
 */
static inline __attribute__((always_inline)) const char *
simple_quoted_field(csv_reader *r, size_t column, const char *open)
{
    const char *q = open + 1;
#ifdef __SSE2__
    /* Most quoted fields end within 16 bytes: one compare, with constant
     * patterns rather than find_any's broadcasts. */
    if (r->end - q >= 16) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')),
                                                 _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\n'))),
                                    _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\r')));
        unsigned mask = (unsigned)_mm_movemask_epi8(hits);
        q = mask ? q + __builtin_ctz(mask) : find_any(q + 16, r->end, '"', '\n', '\r');
    } else {
        q = find_any(q, r->end, '"', '\n', '\r');
    }
#else
    q = find_any(q, r->end, '"', '\n', '\r');
#endif
    if (q + 1 >= r->end || *q != '"')
        return NULL;
    char after = q[1];
    if (after != r->delimiter && after != '\n' && after != '\r')
        return NULL;
    if (memo_hit(r, column, open + 1, (size_t)(q - open - 1)))
        return q + 1;
    size_t slot = cell_slot(r, column);
    r->cells[slot] = (lathe__cell){.text = open + 1, .length = (size_t)(q - open - 1)};
    r->cell_starts[slot] = open;
    return q + 1;
}

/*
 * plain_fields for a number row: a field that scans as a number, in a
 * column that takes numbers, goes straight to the row's values; any other
 * is kept as a cell for the builder. The loop is laid out for the
 * commonest field (up to 8 digits with at most one point, perhaps after a
 * minus sign, ending inside the separator map): that path runs straight
 * through, with its state in registers (the map as two scalars) and
 * everything else out of its way.
 */
static inline __attribute__((always_inline)) size_t split_numbers(csv_reader *r, size_t column,
                                                                  size_t keep, enum field_end *end,
                                                                  const bool all_numeric)
{
    const char *p = r->p, *const window_end = r->end;
    if (window_end - p < NUMBER_MARGIN)
        return column;
    const char *const last_start = window_end - NUMBER_MARGIN;
    const char *map_at = r->separators.at;
    uint64_t map_bits = r->separators.bits;
    const char delimiter = r->delimiter;
    const bool *restrict numeric = r->number_row.numeric;
    double *restrict values = r->number_row.values;
    while (column < keep && p <= last_start) {
        const char *stop;
        /* Blanks and quotes are all at most '"'; so are few other bytes that start a field. */
        if (__builtin_expect((unsigned char)*p <= '"', 0) && r->blank_or_quote[(unsigned char)*p]) {
            if (*p != '"' || !(stop = simple_quoted_field(r, column, p)))
                break;
            goto next;
        }
        uintptr_t offset = (uintptr_t)p - (uintptr_t)map_at;
        uint64_t bits = offset < 64 ? map_bits >> offset : 0;
        if (__builtin_expect(bits != 0, 1)) {
            stop = p + __builtin_ctzll(bits);
        } else {
            separator_map map = {map_at, map_bits};
            stop = next_separator(&map, p, window_end, delimiter);
            map_at = map.at;
            map_bits = map.bits;
        }
        size_t length = (size_t)(stop - p);
        /* A minus sign is taken without a branch: in real columns it comes and goes at random. */
        size_t minus = *p == '-', body = length - minus;
        uint64_t word;
        memcpy(&word, p + minus, sizeof word);
        double value;
        if (__builtin_expect(body - 1 < 8 && (all_numeric || numeric[column]), 1) &&
            __builtin_expect(lathe__short_decimal(word, body, &value), 1))
            values[column] = lathe__with_sign(value, (uint64_t)minus << 63);
        else if ((all_numeric || numeric[column]) && lathe__field_number(p, length, &value))
            values[column] = value;
        else
            number_row_field(r, column, p, stop);
    next:
        column++;
        p = stop;
        if (__builtin_expect(p < window_end && *p == delimiter, 1)) {
            p++;
            continue;
        }
        r->p = p;
        r->separators = (separator_map){map_at, map_bits};
        *end = finish_field(r);
        return column;
    }
    r->p = p;
    r->separators = (separator_map){map_at, map_bits};
    return column;
}

/* split_numbers out of line, for split_record, whose other paths would
 * crowd its registers. */
static __attribute__((noinline)) size_t number_fields(csv_reader *r, size_t column, size_t keep,
                                                      enum field_end *end)
{
    return split_numbers(r, column, keep, end, false);
}

/*
 * The next field: cell->text points into the window, or is NULL with the
 * field unescaped at offset *at of the scratch buffer.
 */
static inline lathe_status next_field(csv_reader *r, lathe__cell *restrict cell, size_t *at,
                                      enum field_end *end, lathe_error *err)
{
    const char *p = r->p;
    r->cell_start = p;
    /* One test for the common field, which starts with neither a blank nor a quote. */
    if (p < r->end && r->blank_or_quote[(unsigned char)*p]) {
        while (p < r->end && is_blank(*p, r->delimiter))
            p++;
        if (p < r->end && *p == '"') {
            r->p = p;
            r->cell_start = p;
            cell->number = false;
            return quoted_field(r, cell, at, end, err);
        }
    }
    const char *stop = next_separator(&r->separators, p, r->end, r->delimiter);
    plain_field(r, p, stop, r->scan_numbers && r->end - p >= NUMBER_MARGIN, cell);
    r->p = stop;
    *end = finish_field(r);
    return LATHE_OK;
}

/* Skips empty lines; *more is false at the end of the input. */
static lathe_status skip_blank_lines(csv_reader *r, bool *more, lathe_error *err)
{
    for (;;) {
        /* Two bytes in view, so that "\r\n" is never taken for two line ends. */
        if (!r->at_eof && r->end - r->p < 2) {
            lathe_status status = refill(r, err);
            if (status != LATHE_OK)
                return status;
        }
        if (r->p == r->end || (*r->p != '\n' && *r->p != '\r'))
            break;
        take_line_end(r);
    }
    *more = r->p < r->end;
    return LATHE_OK;
}

/* --- records --------------------------------------------------------------- */

/* Room for n cells in the current record. */
static lathe_status reserve_cells(csv_reader *r, size_t n, lathe_error *err)
{
    if (n <= r->cells_capacity)
        return LATHE_OK;
    size_t capacity = r->cells_capacity;
    void *cells = r->cells, *scratch_at = r->scratch_at, *cell_starts = r->cell_starts;
    void *other_columns = r->other_columns, *hits = r->hits;
    if (!lathe__grow(r->ctx, &cells, &capacity, n, sizeof *r->cells))
        return lathe__error_nomem(err);
    r->cells = cells;
    capacity = r->cells_capacity;
    if (!lathe__grow(r->ctx, &scratch_at, &capacity, n, sizeof *r->scratch_at))
        return lathe__error_nomem(err);
    r->scratch_at = scratch_at;
    capacity = r->cells_capacity;
    if (!lathe__grow(r->ctx, &cell_starts, &capacity, n, sizeof *r->cell_starts))
        return lathe__error_nomem(err);
    r->cell_starts = cell_starts;
    capacity = r->cells_capacity;
    if (!lathe__grow(r->ctx, &other_columns, &capacity, n, sizeof *r->other_columns))
        return lathe__error_nomem(err);
    r->other_columns = other_columns;
    capacity = r->cells_capacity;
    if (!lathe__grow(r->ctx, &hits, &capacity, n, sizeof *r->hits))
        return lathe__error_nomem(err);
    r->hits = hits;
    r->cells_capacity = capacity;
    return LATHE_OK;
}

/* Before a record: its start, for messages, and no cells yet. */
static inline void begin_record(csv_reader *r)
{
    r->record = r->p;
    r->record_line = r->line;
    r->record_line_start = r->line_start;
    r->n_others = r->n_hits = 0;
}

/*
 * Splits the record at r->p into r->cells, leaving r->p after its line end.
 * Fields past `keep` are counted in *n_found but not kept. A record that
 * runs off the window is not finished: see record_complete.
 */
static lathe_status split_record(csv_reader *r, size_t keep, size_t *n_found, lathe_error *err)
{
    begin_record(r);
    r->scratch_length = 0;
    enum field_end end = FIELD_MORE;
    size_t column = 0;
    lathe__cell extra;
    while (end == FIELD_MORE) {
        column = r->number_row.values ? number_fields(r, column, keep, &end)
                                      : plain_fields(r, column, keep, &end);
        if (end != FIELD_MORE)
            break;
        size_t at = 0, slot = column < keep ? cell_slot(r, column) : 0;
        lathe__cell *cell = column < keep ? &r->cells[slot] : &extra;
        lathe_status status = next_field(r, cell, &at, &end, err);
        if (status != LATHE_OK) {
            if (column <= keep)
                return status;
            break; /* past a field too many, that is the error to report */
        }
        if (column < keep) {
            r->cell_starts[slot] = r->cell_start;
            if (!cell->text)
                r->scratch_at[slot] = at;
        }
        column++;
    }
    if (r->scratch_length) {
        size_t n_cells = r->number_row.values ? r->n_others : column < keep ? column : keep;
        for (size_t i = 0; i < n_cells; i++) {
            if (!r->cells[i].text)
                r->cells[i].text = r->scratch + r->scratch_at[i];
        }
    }
    *n_found = column;
    return LATHE_OK;
}

/* A record split from a streamed window is whole only if bytes follow it there. */
static inline bool record_complete(const csv_reader *r)
{
    return r->at_eof || r->p < r->end;
}

/* Goes back to the start of the record just split. */
static void rewind_record(csv_reader *r)
{
    r->p = r->record;
    r->line = r->record_line;
    r->line_start = r->record_line_start;
}

/* Splits the record at r->p, sliding the window on until it holds the whole record. */
static lathe_status next_record(csv_reader *r, size_t keep, size_t *n_found, lathe_error *err)
{
    for (;;) {
        lathe_status status = split_record(r, keep, n_found, err);
        if (status != LATHE_OK || record_complete(r))
            return status;
        rewind_record(r);
        if ((status = refill(r, err)) != LATHE_OK)
            return status;
    }
}

/* The first record, however many fields it has, up to the column limit. */
static lathe_status first_record(csv_reader *r, size_t *n_found, lathe_error *err)
{
    const size_t max_columns = r->options->limits.max_columns;
    for (;;) {
        lathe_status status = next_record(r, r->cells_capacity, n_found, err);
        if (status != LATHE_OK)
            return status;
        if (*n_found > max_columns)
            return lathe__error(err, LATHE_LIMIT, "%s:%zu: more than %zu columns (the limit)",
                                r->input->name, r->record_line, max_columns);
        if (*n_found <= r->cells_capacity)
            return LATHE_OK;
        if ((status = reserve_cells(r, *n_found, err)) != LATHE_OK)
            return status;
        rewind_record(r);
    }
}

/* --- delimiter and header -------------------------------------------------- */

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

/* Sniffs the delimiter from the first SNIFF_BYTES of the input, however large the window. */
static lathe_status choose_delimiter(csv_reader *r, lathe_error *err)
{
    if (!r->input->streamed || r->at_eof || r->end - r->p >= SNIFF_BYTES) {
        r->delimiter = sniff_delimiter(r->p, r->end);
        return LATHE_OK;
    }
    char *head = lathe__alloc(r->ctx, SNIFF_BYTES);
    if (!head)
        return lathe__error_nomem(err);
    size_t n = 0;
    while (n < SNIFF_BYTES) {
        ssize_t got = pread(r->input->fd, head + n, SNIFF_BYTES - n, (off_t)(r->data_offset + n));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    r->delimiter = sniff_delimiter(head, head + n);
    lathe__free(r->ctx, head);
    return LATHE_OK;
}

/* A first record with a number in it is data, not names. */
static bool looks_like_header(const csv_reader *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double value;
        const lathe__cell *cell = &r->cells[i];
        if (lathe__builder_is_missing_token(r->builder, cell->text, cell->length))
            continue;
        if (lathe__parse_double(cell->text, cell->length, &value) != LATHE__NUMBER_OK)
            continue;
        return false;
    }
    return true;
}

/* Adds the columns; returns with r->p at the first data record. */
static lathe_status read_header(csv_reader *r, lathe_error *err)
{
    size_t n;
    lathe_status status = first_record(r, &n, err);
    if (status != LATHE_OK)
        return status;
    bool header = r->options->header < 0 ? looks_like_header(r, n) : r->options->header;
    r->n_fields = n;
    for (size_t i = 0; i < n && status == LATHE_OK; i++) {
        char generated[32];
        const char *name = r->cells[i].text;
        size_t length = r->cells[i].length;
        if (!header || length == 0) {
            length = (size_t)snprintf(generated, sizeof generated, "column_%zu", i + 1);
            name = generated;
        }
        size_t index;
        r->cell_line = r->record_line;
        r->cell_start = r->cell_line_start = r->record;
        status = lathe__builder_add_column(r->builder, name, length, &index, err);
    }
    if (!header) {
        r->p = r->line_start = r->record;
        r->line = r->record_line;
    }
    return status;
}

/* --- records, for the builder ---------------------------------------------- */

static lathe_status fields_error(const csv_reader *r, lathe_error *err, size_t found)
{
    char message[96];
    snprintf(message, sizeof message, "expected %zu fields, found %zu", r->n_fields, found);
    return fail_at(r, err, LATHE_PARSE, r->record_line, r->record_line_start, r->record, message);
}

/* Pass 1 takes numbers as number rows (lathe__builder_number_row) unless told not to. */
static inline bool number_rows_on(const csv_reader *r)
{
    return r->scan_numbers && !r->input->text_rows_only;
}

/* Asks the builder for the place of the record about to be split as a number row. */
static lathe_status begin_number_row(csv_reader *r, lathe_error *err)
{
    begin_record(r);
    /* A message now (no room for the row) is about the record ahead. */
    r->in_record = r->others_only = true;
    lathe_status status = lathe__builder_number_row(r->builder, &r->number_row, err);
    r->in_record = r->others_only = false;
    return status;
}

/* Hands a number row's other cells and memo hits to the builder, ending the row. */
static lathe_status end_number_row(csv_reader *r, const lathe__number_row *row, size_t n,
                                   lathe_error *err)
{
    lathe__row_rest rest = {.others = r->cells,
                            .columns = r->other_columns,
                            .n_others = r->n_others,
                            .hits = r->hits,
                            .n_hits = r->n_hits};
    r->in_record = r->others_only = true;
    lathe_status status = lathe__builder_end_number_row(r->builder, row, &rest, n, err);
    r->in_record = r->others_only = false;
    return status;
}

/* After a record the builder took: errors that end the row point at it. */
static inline void end_record(csv_reader *r)
{
    r->cell_line = r->record_line;
    r->cell_start = r->cell_line_start = r->record;
}

static lathe_status read_record(csv_reader *r, lathe_error *err)
{
    size_t n;
    lathe_status status = LATHE_OK;
    if (number_rows_on(r))
        status = begin_number_row(r, err);
    if (status == LATHE_OK)
        status = next_record(r, r->n_fields, &n, err);
    lathe__number_row row = r->number_row;
    r->number_row.values = NULL; /* only this record is a number row */
    if (status != LATHE_OK)
        return status;
    if (n != r->n_fields)
        return fields_error(r, err, n);
    if ((size_t)(r->p - r->record) > r->options->limits.max_line_bytes)
        return record_too_long(r, err, r->record_line, r->record_line_start, r->record);
    if (row.values) {
        status = end_number_row(r, &row, n, err);
    } else {
        r->in_record = true;
        status = lathe__builder_text_row(r->builder, r->cells, n, err);
        r->in_record = false;
    }
    if (status != LATHE_OK)
        return status;
    end_record(r);
    return LATHE_OK;
}

/* Counts a record read, telling the progress callback every so often. */
static inline lathe_status count_record(csv_reader *r, size_t *rows, lathe_error *err)
{
    if (++*rows % PROGRESS_ROWS != 0)
        return LATHE_OK;
    lathe__builder *b = r->builder;
    double input = (double)(r->size - r->data_offset);
    double before = lathe__builder_pass(b) == 2 ? input : 0.0;
    if (lathe__progress(r->ctx, "read", before + (double)(offset_of(r, r->p) - r->data_offset),
                        input * lathe__builder_pass(b)))
        return lathe__error(err, LATHE_CANCELED, "%s: reading canceled", r->input->name);
    return LATHE_OK;
}

/*
 * read_records' loop for the commonest records: number rows that
 * split_numbers splits whole, well inside the window, with none of
 * read_record's general steps. Stops at the first record that needs more
 * (a blank line, a field for next_field, a short or long record, the
 * window's end), leaving r->p at its start for read_record.
 */
static lathe_status number_records(csv_reader *r, size_t *rows, lathe_error *err)
{
    const size_t n_fields = r->n_fields, max_bytes = r->options->limits.max_line_bytes;
    size_t room = NUMBER_MARGIN; /* the window a record needs: twice the last one, and margin */
    for (;;) {
        if ((size_t)(r->end - r->p) < room) {
            /* A streamed window slides on before a record like the last one
             * could run off its end, rather than after splitting it in vain
             * (unless it starts here already: it would only grow). */
            if (r->input->streamed && !r->at_eof && r->p != r->base) {
                lathe_status status = refill(r, err);
                if (status != LATHE_OK)
                    return status;
            }
            if (r->end - r->p < NUMBER_MARGIN)
                return LATHE_OK;
        }
        if (*r->p == '\n' || *r->p == '\r')
            return LATHE_OK;
        lathe_status status = begin_number_row(r, err);
        if (status != LATHE_OK || !r->number_row.values)
            return status;
        enum field_end end = FIELD_MORE;
        /* A table of numbers only gets a loop that never asks a column's kind. */
        size_t n = r->number_row.all_numeric ? split_numbers(r, 0, n_fields, &end, true)
                                             : split_numbers(r, 0, n_fields, &end, false);
        lathe__number_row row = r->number_row;
        r->number_row.values = NULL;
        /* Whole only if its line end is in the window: "\r" may be half of "\r\n". */
        if (end != FIELD_END_RECORD || n != n_fields || (r->p == r->end && !r->at_eof)) {
            rewind_record(r);
            return LATHE_OK;
        }
        size_t bytes = (size_t)(r->p - r->record);
        room = 2 * bytes + NUMBER_MARGIN;
        if (bytes > max_bytes)
            return record_too_long(r, err, r->record_line, r->record_line_start, r->record);
        if ((status = end_number_row(r, &row, n, err)) != LATHE_OK)
            return status;
        end_record(r);
        if ((status = count_record(r, rows, err)) != LATHE_OK)
            return status;
    }
}

static lathe_status read_records(csv_reader *r, uint64_t first, size_t first_line, lathe_error *err)
{
    lathe_status status = seek_line(r, first, first_line, err);
    if (status != LATHE_OK)
        return status;
    size_t rows = 0;
    r->scan_numbers = !r->numbers_split && lathe__builder_pass(r->builder) == 1;
    for (;;) {
        bool more;
        if ((status = skip_blank_lines(r, &more, err)) != LATHE_OK || !more)
            return status;
        if (number_rows_on(r)) {
            size_t before = rows; /* not r->p: a window that slid on may start where it was */
            if ((status = number_records(r, &rows, err)) != LATHE_OK)
                return status;
            if (rows != before)
                continue; /* blank lines or the input's end may come next */
        }
        if ((status = read_record(r, err)) != LATHE_OK ||
            (status = count_record(r, &rows, err)) != LATHE_OK)
            return status;
    }
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

/*
 * How many rows follow r->p: counted when the window holds the rest of the
 * input, else extrapolated from the window's lines, a tenth too high, since
 * storage reserved but never written costs address space, not memory, while
 * running short means growing every column.
 */
static size_t rows_ahead(const csv_reader *r)
{
    size_t lines = count_lines(r->p, r->end);
    if (r->at_eof || r->p == r->end)
        return lines;
    double rest = (double)(r->size > offset_of(r, r->p) ? r->size - offset_of(r, r->p) : 0);
    double rows = 1.1 * (double)lines * rest / (double)(r->end - r->p) + 1024;
    return rows < (double)SIZE_MAX / 2 ? (size_t)rows : SIZE_MAX / 2;
}

/* --- the input ------------------------------------------------------------- */

/* Sets up the window over the input, before any byte order mark is skipped. */
static lathe_status open_window(csv_reader *r, lathe_error *err)
{
    const lathe__input *input = r->input;
    if (!input->streamed) {
        r->base = r->p = input->data;
        r->end = input->data + input->size;
        r->size = input->size;
        r->at_eof = true;
        return LATHE_OK;
    }
    struct stat st;
    if (fstat(input->fd, &st) != 0)
        return lathe__error(err, LATHE_IO, "%s: %s", input->name, strerror(errno));
    r->size = (uint64_t)st.st_size;
    /* At least a byte order mark and a byte, so that it can be seen whole. */
    size_t window = input->window ? input->window < 4 ? 4 : input->window : WINDOW_BYTES;
    const size_t max_line = r->options->limits.max_line_bytes;
    r->max_buffer = max_line < window ? window : max_line < SIZE_MAX ? max_line + 1 : SIZE_MAX;
    /* A small file is read whole, and then split just as one in memory. */
    r->buffer_capacity = r->size < window ? (size_t)r->size + 1 : window;
    r->buffer = lathe__alloc(r->ctx, r->buffer_capacity);
    if (!r->buffer)
        return lathe__error_nomem(err);
    r->base = r->p = r->end = r->buffer;
    return read_window(r, err);
}

static lathe_status read_table(csv_reader *r, lathe_frame **out, lathe_error *err)
{
    lathe_status status;
    bool more, again = false;
    if ((status = skip_blank_lines(r, &more, err)) != LATHE_OK)
        return status;
    if (!more)
        return lathe__error(err, LATHE_PARSE, "%s: no data (the input is empty)", r->input->name);
    if ((status = read_header(r, err)) != LATHE_OK)
        return status;
    if ((status = reserve_cells(r, r->n_fields ? r->n_fields : 1, err)) != LATHE_OK)
        return status;
    uint64_t first = offset_of(r, r->p);
    size_t first_line = r->line;
    if ((status = lathe__builder_reserve(r->builder, rows_ahead(r), err)) != LATHE_OK)
        return status;
    if ((status = read_records(r, first, first_line, err)) != LATHE_OK)
        return status;
    if ((status = lathe__builder_next_pass(r->builder, &again, err)) != LATHE_OK)
        return status;
    if (again && (status = read_records(r, first, first_line, err)) != LATHE_OK)
        return status;
    return lathe__builder_finish(r->builder, out, err);
}

lathe_status lathe__read_csv(lathe_ctx *ctx, const lathe__input *input,
                             const lathe_read_options *options, lathe_frame **out, lathe_error *err)
{
    csv_reader r = {.ctx = ctx, .input = input, .options = options};
    lathe_status status = open_window(&r, err);
    if (status != LATHE_OK)
        goto out;
    if (r.end - r.p >= 3 && memcmp(r.p, "\xef\xbb\xbf", 3) == 0)
        r.p += 3;
    r.data_offset = offset_of(&r, r.p);
    r.line_start = r.cell_start = r.cell_line_start = r.p;
    r.line = r.cell_line = 1;
    r.delimiter = options->delimiter;
    if (!r.delimiter && options->format == LATHE_FORMAT_TSV)
        r.delimiter = '\t';
    if (!r.delimiter && (status = choose_delimiter(&r, err)) != LATHE_OK)
        goto out;
    if (r.delimiter == '"' || r.delimiter == '\n' || r.delimiter == '\r') {
        status = lathe__error(err, LATHE_INVALID, "a delimiter cannot be a quote or a line end");
        goto out;
    }
    r.numbers_split = strchr("0123456789+-.", r.delimiter) != NULL;
    for (const char *c = " \t\"", *stop = c + 3; c < stop; c++)
        r.blank_or_quote[(unsigned char)*c] = *c == '"' || is_blank(*c, r.delimiter);
    status = lathe__builder_new(ctx, options, input->streamed ? r.buffer_capacity : input->size,
                                &r.builder, err);
    if (status != LATHE_OK)
        goto out;
    lathe__builder_set_where(r.builder, csv_where, &r);
    status = read_table(&r, out, err);
out:
    lathe__builder_free(r.builder);
    lathe__free(ctx, r.cells);
    lathe__free(ctx, r.scratch_at);
    lathe__free(ctx, r.cell_starts);
    lathe__free(ctx, r.other_columns);
    lathe__free(ctx, r.hits);
    lathe__free(ctx, r.scratch);
    lathe__free(ctx, r.buffer);
    return status;
}
