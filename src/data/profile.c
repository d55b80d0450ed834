/*
 * profile.c: the statistics behind `lathe describe`.
 *
 * One pass per column, in a kind table: numeric and datetime columns sort a
 * copy of their values (quantiles and distinct counts come from the sorted
 * copy), categorical columns count codes, text columns sort their cells. Each
 * pass also gives every row a dense value id for the column (equal values,
 * equal ids; missing has an id of its own). The ids serve twice:
 *
 *   - they are folded into one 64-bit hash per row; rows are then sorted by
 *     hash and rows of equal hash compared cell by cell, so the duplicate
 *     count is exact whatever the hash does;
 *   - when there is a target, its ids are kept, and every other column's ids
 *     are checked for a one-to-one mapping onto them (leakage).
 *
 * Memory stays linear in the rows: the row hashes, the target's ids, and one
 * column's working copy at a time. The target is profiled first so that its
 * ids exist when the other columns are compared with it; warnings are
 * written at the end, in column order.
 *
 * Everything the profile hands out lives in blocks registered in `owned`,
 * freed together with the profile.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/number.h"
#include "core/radix.h"
#include "data/column.h"
#include "lathe/profile.h"

#include "core/banned.h"

#define TOP_DEFAULT 10
#define ID_LIKE_MIN_ROWS 20
#define MIXED_MIN_SHARE 0.05
#define MIXED_MAX_SHARE 0.95
#define HEAVY_MISSING_SHARE 0.5
#define HIGH_CARDINALITY_MIN 100
#define HIGH_CARDINALITY_SHARE 0.5
#define MESSAGE_MAX 512
#define NO_ID ((size_t)-1)

static const double default_quantiles[] = {0.05, 0.25, 0.5, 0.75, 0.95};

#define NAME_LIST(name, text) text,
static const char *const warning_names[] = {LATHE_PROFILE_WARNING_MAP(NAME_LIST)};
#undef NAME_LIST

struct lathe_profile {
    lathe_ctx *ctx;
    size_t n_rows;
    size_t n_columns;
    size_t duplicate_rows;
    double *quantiles;
    size_t n_quantiles;
    lathe_column_profile *columns;
    size_t target;
    lathe_value_count *classes;
    size_t n_classes;
    lathe_profile_warning *warnings;
    size_t n_warnings;
    size_t warnings_capacity;
    void **owned; /* every block above and below, freed with the profile */
    size_t n_owned;
    size_t owned_capacity;
};

enum { LEAK_NONE, LEAK_IDENTICAL, LEAK_MAPPING };

/* What the warnings need to know about a column beyond its public profile. */
typedef struct column_facts {
    size_t numeric_like; /* CATEGORICAL, TEXT: values that parse as numbers */
    int leak;
} column_facts;

/* A distinct value and how often it occurs; `value` points into the frame. */
typedef struct tally {
    const char *value;
    size_t length;
    size_t count;
} tally;

typedef struct text_cell {
    const char *text;
    size_t length;
    size_t row;
} text_cell;

typedef struct row_hash {
    uint64_t hash;
    size_t row;
} row_hash;

/* The state of one lathe_profile_new call. */
typedef struct work {
    lathe_ctx *ctx;
    const lathe_frame *frame;
    lathe_profile *profile;
    size_t top;
    column_facts *facts;
    uint64_t *hashes;   /* per row */
    size_t *ids;        /* per row: the current column's value ids, < n_ids */
    size_t n_ids;       /* the last id, n_ids - 1, stands for missing */
    size_t *target_ids; /* per row, when there is a target */
    size_t target_n_ids;
    tally *tallies; /* CATEGORICAL, BOOLEAN, TEXT: the column's values, sorted */
    size_t n_tallies;
    /* NUMERIC, DATETIME: a sort of the present values (see sort_present), n_rows each */
    uint64_t *keys, *key_scratch;
    uint32_t *items, *item_scratch; /* indices into present_rows */
    size_t *present_rows;
    double *values, *sorted; /* NUMERIC: the column's present values, in row order and sorted */
} work;

typedef struct kind_ops {
    lathe_status (*profile)(work *w, size_t column, lathe_column_profile *col);
    /* Cells of the same kind, neither missing. */
    bool (*equal)(const lathe_frame *frame, size_t column_a, size_t row_a, size_t column_b,
                  size_t row_b);
} kind_ops;

static const kind_ops kind_table[LATHE_KIND_COUNT];

/* ---- owned memory ---------------------------------------------------- */

static void *profile_calloc(lathe_profile *p, size_t count, size_t size)
{
    if (!lathe__grow(p->ctx, (void **)&p->owned, &p->owned_capacity, p->n_owned + 1,
                     sizeof *p->owned))
        return NULL;
    void *block = lathe__calloc(p->ctx, count ? count : 1, size);
    if (block)
        p->owned[p->n_owned++] = block;
    return block;
}

static char *profile_strndup(lathe_profile *p, const char *text, size_t length)
{
    size_t bytes;
    if (lathe__add_overflows(length, 1, &bytes))
        return NULL;
    char *copy = profile_calloc(p, bytes, 1);
    if (copy && length)
        memcpy(copy, text, length);
    return copy;
}

/* ---- small helpers ---------------------------------------------------- */

static double share_of(size_t part, size_t whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

static uint64_t hash_mix(uint64_t hash, uint64_t value)
{
    hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
    hash ^= hash >> 30;
    hash *= 0xbf58476d1ce4e5b9ULL;
    hash ^= hash >> 27;
    hash *= 0x94d049bb133111ebULL;
    hash ^= hash >> 31;
    return hash;
}

static size_t utf8_length(const char *text, size_t length)
{
    size_t chars = 0;
    for (size_t i = 0; i < length; i++)
        chars += ((unsigned char)text[i] & 0xC0) != 0x80;
    return chars;
}

/* Would the readers take this for a number? Spaces around it are allowed. */
static bool looks_numeric(const char *text, size_t length)
{
    while (length && (*text == ' ' || *text == '\t')) {
        text++;
        length--;
    }
    while (length && (text[length - 1] == ' ' || text[length - 1] == '\t'))
        length--;
    double value;
    return lathe__parse_double(text, length, &value) != LATHE__NUMBER_INVALID;
}

static int compare_bytes(const char *a, size_t length_a, const char *b, size_t length_b)
{
    size_t common = length_a < length_b ? length_a : length_b;
    int order = common ? memcmp(a, b, common) : 0;
    if (order)
        return order;
    return (length_a > length_b) - (length_a < length_b);
}

/* Most frequent first, ties by value. */
static int compare_tally(const void *a, const void *b)
{
    const tally *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return compare_bytes(x->value, x->length, y->value, y->length);
}

static int compare_text_cell(const void *a, const void *b)
{
    const text_cell *x = a, *y = b;
    return compare_bytes(x->text, x->length, y->text, y->length);
}

static int compare_row_hash(const void *a, const void *b)
{
    const row_hash *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Numeric cells with NaN count as missing whatever the mask says. */
static bool cell_missing(const lathe_frame *frame, size_t column, size_t row)
{
    if (lathe_frame_is_missing(frame, column, row))
        return true;
    return lathe_frame_column_kind(frame, column) == LATHE_KIND_NUMERIC &&
           isnan(lathe_frame_numeric(frame, column, row));
}

static bool cells_equal(const lathe_frame *frame, size_t column_a, size_t row_a, size_t column_b,
                        size_t row_b)
{
    bool missing_a = cell_missing(frame, column_a, row_a);
    bool missing_b = cell_missing(frame, column_b, row_b);
    if (missing_a || missing_b)
        return missing_a && missing_b;
    lathe_kind kind = lathe_frame_column_kind(frame, column_a);
    assert(kind == lathe_frame_column_kind(frame, column_b));
    return kind_table[kind].equal(frame, column_a, row_a, column_b, row_b);
}

/* ---- numeric ---------------------------------------------------------- */

/* numpy's linear interpolation between order statistics, rounding included. */
static double quantile_sorted(const double *values, size_t count, double level)
{
    if (count == 0)
        return NAN;
    double position = level * (double)(count - 1);
    double below = floor(position);
    size_t low = (size_t)below;
    if (low >= count - 1)
        return values[count - 1];
    double t = position - below, a = values[low], b = values[low + 1];
    double diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/* Mean and sample std with compensated sums (two passes). */
static void numeric_moments(const double *values, size_t count, lathe_numeric_profile *out)
{
    out->mean = NAN;
    out->std = NAN;
    if (count == 0)
        return;
    double sum = 0, compensation = 0;
    for (size_t i = 0; i < count; i++) {
        double next = sum + values[i];
        compensation +=
            fabs(sum) >= fabs(values[i]) ? (sum - next) + values[i] : (values[i] - next) + sum;
        sum = next;
    }
    double mean = (sum + compensation) / (double)count;
    out->mean = isfinite(sum) ? mean : sum / (double)count;
    if (count < 2)
        return;
    double squares = 0, deviations = 0;
    for (size_t i = 0; i < count; i++) {
        double d = values[i] - out->mean;
        squares += d * d;
        deviations += d;
    }
    double variance = (squares - deviations * deviations / (double)count) / (double)(count - 1);
    out->std = sqrt(variance > 0 ? variance : 0);
}

static void numeric_order_stats(const lathe_profile *p, const double *sorted, size_t count,
                                lathe_numeric_profile *out, double *quantiles)
{
    out->min = count ? sorted[0] : NAN;
    out->max = count ? sorted[count - 1] : NAN;
    for (size_t q = 0; q < p->n_quantiles; q++)
        quantiles[q] = quantile_sorted(sorted, count, p->quantiles[q]);
    out->quantiles = quantiles;
    out->zeros = 0;
    out->integer_valued = count > 0;
    for (size_t i = 0; i < count; i++) {
        out->zeros += sorted[i] == 0;
        if (!isfinite(sorted[i]) || floor(sorted[i]) != sorted[i])
            out->integer_valued = false;
    }
}

/* Room for sorting a column's present values (allocated by the first column that needs it). */
static lathe_status sort_space(work *w)
{
    if (w->keys)
        return LATHE_OK;
    size_t n = w->profile->n_rows ? w->profile->n_rows : 1;
    w->keys = lathe__calloc(w->ctx, n, sizeof *w->keys);
    w->key_scratch = lathe__calloc(w->ctx, n, sizeof *w->key_scratch);
    w->items = lathe__calloc(w->ctx, n, sizeof *w->items);
    w->item_scratch = lathe__calloc(w->ctx, n, sizeof *w->item_scratch);
    w->present_rows = lathe__calloc(w->ctx, n, sizeof *w->present_rows);
    w->values = lathe__calloc(w->ctx, n, sizeof *w->values);
    w->sorted = lathe__calloc(w->ctx, n, sizeof *w->sorted);
    bool ok = w->keys && w->key_scratch && w->items && w->item_scratch && w->present_rows &&
              w->values && w->sorted;
    return ok ? LATHE_OK : LATHE_NOMEM;
}

/*
 * Sorts the keys of the column's `count` present cells (w->keys[i] for the
 * cell of row w->present_rows[i]), leaving in w->items the order of their
 * indices, and gives every row its value id: the rank of its value among
 * the distinct ones, or their count for a missing cell. Returns that count.
 */
static size_t rank_present(work *w, size_t count)
{
    for (size_t i = 0; i < count; i++)
        w->items[i] = (uint32_t)i; /* lathe_profile_new refuses 2^32 rows or more */
    lathe__radix_sort_pairs(w->keys, w->items, count, w->key_scratch, w->item_scratch);
    size_t n_rows = w->profile->n_rows, rank = 0;
    for (size_t r = 0; r < n_rows; r++)
        w->ids[r] = SIZE_MAX;
    for (size_t i = 0; i < count; i++) {
        rank += i > 0 && w->keys[i] != w->keys[i - 1];
        w->ids[w->present_rows[w->items[i]]] = rank;
    }
    size_t distinct = count ? rank + 1 : 0;
    for (size_t r = 0; r < n_rows; r++) {
        if (w->ids[r] == SIZE_MAX)
            w->ids[r] = distinct;
    }
    w->n_ids = distinct + 1;
    return distinct;
}

static lathe_status profile_numeric(work *w, size_t column, lathe_column_profile *col)
{
    lathe_profile *p = w->profile;
    size_t n_rows = p->n_rows, count = 0;
    double *quantiles = profile_calloc(p, p->n_quantiles, sizeof *quantiles);
    if (!quantiles || sort_space(w) != LATHE_OK)
        return LATHE_NOMEM;
    double *values = w->values;
    if (n_rows) /* lathe_frame_numeric_gather asserts a row exists */
        lathe_frame_numeric_gather(w->frame, column, values);
    for (size_t r = 0; r < n_rows; r++) {
        if (isnan(values[r]) || lathe_frame_is_missing(w->frame, column, r))
            continue;
        values[count] = values[r];
        w->keys[count] = lathe__double_key(values[r]);
        w->present_rows[count++] = r;
    }
    numeric_moments(values, count, &col->numeric); /* in row order, as the sums are defined */
    col->count = count;
    col->distinct = rank_present(w, count);
    for (size_t i = 0; i < count; i++)
        w->sorted[i] = values[w->items[i]];
    numeric_order_stats(p, w->sorted, count, &col->numeric, quantiles);
    return LATHE_OK;
}

static bool numeric_equal(const lathe_frame *frame, size_t column_a, size_t row_a, size_t column_b,
                          size_t row_b)
{
    return lathe_frame_numeric(frame, column_a, row_a) ==
           lathe_frame_numeric(frame, column_b, row_b);
}

/* ---- datetime --------------------------------------------------------- */

static lathe_status profile_datetime(work *w, size_t column, lathe_column_profile *col)
{
    const lathe_frame *frame = w->frame;
    size_t n_rows = w->profile->n_rows, count = 0;
    if (sort_space(w) != LATHE_OK)
        return LATHE_NOMEM;
    for (size_t r = 0; r < n_rows; r++) {
        if (lathe_frame_is_missing(frame, column, r))
            continue;
        w->keys[count] = lathe__int64_key(lathe_frame_datetime(frame, column, r));
        w->present_rows[count++] = r;
    }
    col->count = count;
    col->distinct = rank_present(w, count);
    /* the keys are sorted now, and give back their values */
    col->datetime.min = count ? lathe__int64_from_key(w->keys[0]) : 0;
    col->datetime.max = count ? lathe__int64_from_key(w->keys[count - 1]) : 0;
    col->datetime.date_only = frame->columns[column]->date_only;
    return LATHE_OK;
}

static bool datetime_equal(const lathe_frame *frame, size_t column_a, size_t row_a, size_t column_b,
                           size_t row_b)
{
    return lathe_frame_datetime(frame, column_a, row_a) ==
           lathe_frame_datetime(frame, column_b, row_b);
}

/* ---- categorical and boolean ------------------------------------------ */

/* Sorts the tallies and counts how many of their values parse as numbers. */
static void finish_tallies(work *w, size_t column)
{
    size_t numeric_like = 0;
    for (size_t i = 0; i < w->n_tallies; i++) {
        if (looks_numeric(w->tallies[i].value, w->tallies[i].length))
            numeric_like += w->tallies[i].count;
    }
    w->facts[column].numeric_like = numeric_like;
    qsort(w->tallies, w->n_tallies, sizeof *w->tallies, compare_tally);
}

static lathe_status profile_categorical(work *w, size_t column, lathe_column_profile *col)
{
    const lathe_frame *frame = w->frame;
    size_t n_rows = w->profile->n_rows, n_categories = lathe_frame_n_categories(frame, column);
    size_t *counts = lathe__calloc(w->ctx, n_categories ? n_categories : 1, sizeof *counts);
    w->tallies = lathe__calloc(w->ctx, n_categories ? n_categories : 1, sizeof *w->tallies);
    if (!counts || !w->tallies) {
        lathe__free(w->ctx, counts);
        return LATHE_NOMEM;
    }
    for (size_t r = 0; r < n_rows; r++) {
        bool missing = lathe_frame_is_missing(frame, column, r);
        size_t code = missing ? n_categories : (size_t)lathe_frame_category(frame, column, r);
        assert(code <= n_categories);
        w->ids[r] = code;
        if (!missing) {
            counts[code]++;
            col->count++;
        }
    }
    w->n_ids = n_categories + 1;
    for (size_t c = 0; c < n_categories; c++) {
        if (counts[c] == 0)
            continue;
        const char *name = lathe_frame_category_name(frame, column, (int32_t)c);
        w->tallies[w->n_tallies++] = (tally){name, strlen(name), counts[c]};
    }
    col->distinct = w->n_tallies;
    finish_tallies(w, column);
    lathe__free(w->ctx, counts);
    return LATHE_OK;
}

static bool categorical_equal(const lathe_frame *frame, size_t column_a, size_t row_a,
                              size_t column_b, size_t row_b)
{
    int32_t code_a = lathe_frame_category(frame, column_a, row_a);
    int32_t code_b = lathe_frame_category(frame, column_b, row_b);
    if (column_a == column_b)
        return code_a == code_b;
    return strcmp(lathe_frame_category_name(frame, column_a, code_a),
                  lathe_frame_category_name(frame, column_b, code_b)) == 0;
}

static lathe_status profile_boolean(work *w, size_t column, lathe_column_profile *col)
{
    static const char *const names[] = {"false", "true"};
    size_t counts[2] = {0, 0};
    w->tallies = lathe__calloc(w->ctx, 2, sizeof *w->tallies);
    if (!w->tallies)
        return LATHE_NOMEM;
    for (size_t r = 0; r < w->profile->n_rows; r++) {
        bool missing = lathe_frame_is_missing(w->frame, column, r);
        size_t value = missing ? 2 : lathe_frame_boolean(w->frame, column, r);
        w->ids[r] = value;
        if (!missing) {
            counts[value]++;
            col->count++;
        }
    }
    w->n_ids = 3;
    for (size_t v = 0; v < 2; v++) {
        if (counts[v])
            w->tallies[w->n_tallies++] = (tally){names[v], strlen(names[v]), counts[v]};
    }
    col->distinct = w->n_tallies;
    finish_tallies(w, column);
    return LATHE_OK;
}

static bool boolean_equal(const lathe_frame *frame, size_t column_a, size_t row_a, size_t column_b,
                          size_t row_b)
{
    return lathe_frame_boolean(frame, column_a, row_a) ==
           lathe_frame_boolean(frame, column_b, row_b);
}

/* ---- text ------------------------------------------------------------- */

/* Collects the non-missing cells and their lengths; returns how many there are. */
static size_t gather_text(work *w, size_t column, text_cell *cells, lathe_column_profile *col)
{
    size_t count = 0, total_length = 0;
    col->length.min = 0;
    col->length.max = 0;
    for (size_t r = 0; r < w->profile->n_rows; r++) {
        if (lathe_frame_is_missing(w->frame, column, r))
            continue;
        size_t length;
        const char *text = lathe_frame_text(w->frame, column, r, &length);
        size_t chars = utf8_length(text, length);
        if (count == 0 || chars < col->length.min)
            col->length.min = chars;
        if (chars > col->length.max)
            col->length.max = chars;
        total_length += chars;
        cells[count++] = (text_cell){text, length, r};
    }
    col->length.mean = count ? (double)total_length / (double)count : 0.0;
    return count;
}

/* Runs of equal cells (sorted) become tallies; each row gets its run's id. */
static size_t text_runs(const text_cell *cells, size_t count, size_t n_rows, tally *tallies,
                        size_t *ids)
{
    size_t n_tallies = 0;
    for (size_t r = 0; r < n_rows; r++)
        ids[r] = NO_ID;
    for (size_t i = 0; i < count; i++) {
        const tally *last = n_tallies ? &tallies[n_tallies - 1] : NULL;
        if (!last || compare_bytes(last->value, last->length, cells[i].text, cells[i].length))
            tallies[n_tallies++] = (tally){cells[i].text, cells[i].length, 0};
        tallies[n_tallies - 1].count++;
        ids[cells[i].row] = n_tallies - 1;
    }
    for (size_t r = 0; r < n_rows; r++) {
        if (ids[r] == NO_ID)
            ids[r] = n_tallies;
    }
    return n_tallies;
}

static lathe_status profile_text(work *w, size_t column, lathe_column_profile *col)
{
    size_t n_rows = w->profile->n_rows;
    text_cell *cells = lathe__calloc(w->ctx, n_rows ? n_rows : 1, sizeof *cells);
    w->tallies = lathe__calloc(w->ctx, n_rows ? n_rows : 1, sizeof *w->tallies);
    if (!cells || !w->tallies) {
        lathe__free(w->ctx, cells);
        return LATHE_NOMEM;
    }
    size_t count = gather_text(w, column, cells, col);
    qsort(cells, count, sizeof *cells, compare_text_cell);
    w->n_tallies = text_runs(cells, count, n_rows, w->tallies, w->ids);
    w->n_ids = w->n_tallies + 1;
    col->count = count;
    col->distinct = w->n_tallies;
    finish_tallies(w, column);
    lathe__free(w->ctx, cells);
    return LATHE_OK;
}

static bool text_equal(const lathe_frame *frame, size_t column_a, size_t row_a, size_t column_b,
                       size_t row_b)
{
    size_t length_a, length_b;
    const char *a = lathe_frame_text(frame, column_a, row_a, &length_a);
    const char *b = lathe_frame_text(frame, column_b, row_b, &length_b);
    return length_a == length_b && (length_a == 0 || memcmp(a, b, length_a) == 0);
}

static const kind_ops kind_table[LATHE_KIND_COUNT] = {
    [LATHE_KIND_NUMERIC] = {profile_numeric, numeric_equal},
    [LATHE_KIND_CATEGORICAL] = {profile_categorical, categorical_equal},
    [LATHE_KIND_BOOLEAN] = {profile_boolean, boolean_equal},
    [LATHE_KIND_DATETIME] = {profile_datetime, datetime_equal},
    [LATHE_KIND_TEXT] = {profile_text, text_equal},
};

/* ---- leakage ---------------------------------------------------------- */

/* Same kind and the same value wherever the target has one. */
static bool identical_to_target(const work *w, size_t column)
{
    const lathe_frame *frame = w->frame;
    size_t target = w->profile->target;
    if (lathe_frame_column_kind(frame, column) != lathe_frame_column_kind(frame, target) ||
        w->profile->columns[target].count == 0)
        return false;
    for (size_t r = 0; r < w->profile->n_rows; r++) {
        if (!cell_missing(frame, target, r) && !cells_equal(frame, column, r, target, r))
            return false;
    }
    return true;
}

/* Each value of the column goes with one target value and the other way round. */
static lathe_status maps_onto_target(const work *w, bool *maps)
{
    size_t *forward = lathe__calloc(w->ctx, w->n_ids, sizeof *forward);
    size_t *backward = lathe__calloc(w->ctx, w->target_n_ids, sizeof *backward);
    if (!forward || !backward) {
        lathe__free(w->ctx, forward);
        lathe__free(w->ctx, backward);
        return LATHE_NOMEM;
    }
    for (size_t i = 0; i < w->n_ids; i++)
        forward[i] = NO_ID;
    for (size_t i = 0; i < w->target_n_ids; i++)
        backward[i] = NO_ID;
    *maps = true;
    for (size_t r = 0; r < w->profile->n_rows && *maps; r++) {
        size_t value = w->ids[r], target = w->target_ids[r];
        if (target == w->target_n_ids - 1)
            continue;
        if (forward[value] == NO_ID && backward[target] == NO_ID) {
            forward[value] = target;
            backward[target] = value;
        }
        *maps = forward[value] == target && backward[target] == value;
    }
    lathe__free(w->ctx, forward);
    lathe__free(w->ctx, backward);
    return LATHE_OK;
}

static lathe_status check_leak(work *w, size_t column)
{
    const lathe_column_profile *target = &w->profile->columns[w->profile->target];
    if (identical_to_target(w, column)) {
        w->facts[column].leak = LEAK_IDENTICAL;
        return LATHE_OK;
    }
    /* A mapping means something only if the target's values repeat. */
    if (target->distinct < 2 || target->distinct * 2 > target->count)
        return LATHE_OK;
    bool maps;
    lathe_status status = maps_onto_target(w, &maps);
    if (status == LATHE_OK && maps)
        w->facts[column].leak = LEAK_MAPPING;
    return status;
}

/* ---- one column ------------------------------------------------------- */

static lathe_status copy_values(lathe_profile *p, const tally *tallies, size_t n, size_t whole,
                                lathe_value_count **out)
{
    lathe_value_count *values = profile_calloc(p, n, sizeof *values);
    if (!values)
        return LATHE_NOMEM;
    for (size_t i = 0; i < n; i++) {
        char *value = profile_strndup(p, tallies[i].value, tallies[i].length);
        if (!value)
            return LATHE_NOMEM;
        values[i] = (lathe_value_count){value, tallies[i].count, share_of(tallies[i].count, whole)};
    }
    *out = values;
    return LATHE_OK;
}

static lathe_status keep_values(work *w, size_t column, lathe_column_profile *col)
{
    lathe_profile *p = w->profile;
    lathe_value_count *values;
    size_t n_top = w->n_tallies < w->top ? w->n_tallies : w->top;
    lathe_status status = copy_values(p, w->tallies, n_top, col->count, &values);
    if (status != LATHE_OK)
        return status;
    col->top = values;
    col->n_top = n_top;
    if (column != p->target)
        return LATHE_OK;
    status = copy_values(p, w->tallies, w->n_tallies, col->count, &values);
    if (status == LATHE_OK) {
        p->classes = values;
        p->n_classes = w->n_tallies;
    }
    return status;
}

static void fold_hashes(work *w)
{
    for (size_t r = 0; r < w->profile->n_rows; r++)
        w->hashes[r] = hash_mix(w->hashes[r], w->ids[r]);
}

static lathe_status profile_column(work *w, size_t column)
{
    lathe_profile *p = w->profile;
    lathe_column_profile *col = &p->columns[column];
    const lathe_frame *frame = w->frame;
    const char *name = lathe_frame_column_name(frame, column);
    col->name = profile_strndup(p, name, strlen(name));
    if (!col->name)
        return LATHE_NOMEM;
    col->kind = lathe_frame_column_kind(frame, column);
    col->role = column == p->target ? LATHE_ROLE_TARGET : lathe_frame_column_role(frame, column);
    lathe_status status = kind_table[col->kind].profile(w, column, col);
    if (status == LATHE_OK && w->tallies)
        status = keep_values(w, column, col);
    lathe__free(w->ctx, w->tallies);
    w->tallies = NULL;
    w->n_tallies = 0;
    if (status != LATHE_OK)
        return status;
    col->missing = p->n_rows - col->count;
    col->missing_share = share_of(col->missing, p->n_rows);
    fold_hashes(w);
    if (column == p->target) {
        memcpy(w->target_ids, w->ids, p->n_rows * sizeof *w->ids);
        w->target_n_ids = w->n_ids;
        return LATHE_OK;
    }
    return p->target == LATHE_PROFILE_NO_COLUMN ? LATHE_OK : check_leak(w, column);
}

/*
 * The target first, then the others in order. Progress counts columns; the
 * duplicate search after the last column reports the total.
 */
static lathe_status profile_columns(work *w, lathe_error *err)
{
    lathe_profile *p = w->profile;
    for (size_t step = 0; step < p->n_columns; step++) {
        if (lathe__progress(w->ctx, "describe", (double)step, (double)p->n_columns))
            return lathe__error(err, LATHE_CANCELED, "describe canceled");
        size_t column = step;
        if (p->target != LATHE_PROFILE_NO_COLUMN)
            column = step == 0 ? p->target : step <= p->target ? step - 1 : step;
        if (profile_column(w, column) != LATHE_OK)
            return lathe__error_nomem(err);
    }
    return LATHE_OK;
}

/* ---- duplicate rows --------------------------------------------------- */

static bool rows_equal(const lathe_frame *frame, size_t a, size_t b)
{
    for (size_t c = 0; c < lathe_frame_n_columns(frame); c++) {
        if (!cells_equal(frame, c, a, c, b))
            return false;
    }
    return true;
}

/* Rows of one hash: each row equal to an earlier unmatched one is a duplicate. */
static size_t duplicates_in_group(const lathe_frame *frame, const row_hash *group, size_t size,
                                  bool *matched)
{
    size_t duplicates = 0;
    for (size_t i = 0; i < size; i++) {
        if (matched[i])
            continue;
        for (size_t j = i + 1; j < size; j++) {
            if (!matched[j] && rows_equal(frame, group[i].row, group[j].row)) {
                matched[j] = true;
                duplicates++;
            }
        }
    }
    return duplicates;
}

static lathe_status count_duplicates(work *w, lathe_error *err)
{
    size_t n_rows = w->profile->n_rows;
    if (n_rows < 2 || w->profile->n_columns == 0)
        return LATHE_OK;
    row_hash *order = lathe__calloc(w->ctx, n_rows, sizeof *order);
    bool *matched = lathe__calloc(w->ctx, n_rows, sizeof *matched);
    if (!order || !matched) {
        lathe__free(w->ctx, order);
        lathe__free(w->ctx, matched);
        return lathe__error_nomem(err);
    }
    for (size_t r = 0; r < n_rows; r++)
        order[r] = (row_hash){w->hashes[r], r};
    qsort(order, n_rows, sizeof *order, compare_row_hash);
    size_t duplicates = 0;
    for (size_t start = 0, end; start < n_rows; start = end) {
        for (end = start + 1; end < n_rows && order[end].hash == order[start].hash; end++)
            ;
        if (end - start > 1)
            duplicates +=
                duplicates_in_group(w->frame, order + start, end - start, matched + start);
    }
    w->profile->duplicate_rows = duplicates;
    lathe__free(w->ctx, order);
    lathe__free(w->ctx, matched);
    return LATHE_OK;
}

/* ---- warnings --------------------------------------------------------- */

static lathe_status warn(lathe_profile *p, lathe_profile_warning_code code, size_t column,
                         const char *format, ...) __attribute__((format(printf, 4, 5)));

static lathe_status warn(lathe_profile *p, lathe_profile_warning_code code, size_t column,
                         const char *format, ...)
{
    char message[MESSAGE_MAX];
    va_list args;
    va_start(args, format);
    int length = vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (length < 0)
        length = 0;
    if ((size_t)length >= sizeof message)
        length = (int)sizeof message - 1;
    if (!lathe__grow(p->ctx, (void **)&p->warnings, &p->warnings_capacity, p->n_warnings + 1,
                     sizeof *p->warnings))
        return LATHE_NOMEM;
    char *copy = profile_strndup(p, message, (size_t)length);
    if (!copy)
        return LATHE_NOMEM;
    p->warnings[p->n_warnings++] = (lathe_profile_warning){code, column, copy};
    return LATHE_OK;
}

/* The one value of a constant column, as text for its warning ("" if not shown). */
static void constant_value(const lathe_column_profile *col, char *buf, size_t size)
{
    buf[0] = '\0';
    if (col->kind == LATHE_KIND_NUMERIC)
        snprintf(buf, size, " (%.15g)", col->numeric.min);
    else if (col->n_top > 0)
        snprintf(buf, size, " (\"%.40s\")", col->top[0].value);
}

static bool id_like(const lathe_profile *p, const lathe_column_profile *col)
{
    bool kind_fits = col->kind == LATHE_KIND_CATEGORICAL || col->kind == LATHE_KIND_TEXT ||
                     (col->kind == LATHE_KIND_NUMERIC && col->numeric.integer_valued);
    return kind_fits && col->role != LATHE_ROLE_ID && p->n_rows > ID_LIKE_MIN_ROWS &&
           col->count > 0 && col->distinct == col->count;
}

static bool high_cardinality(const lathe_column_profile *col)
{
    return col->kind == LATHE_KIND_CATEGORICAL && col->distinct > HIGH_CARDINALITY_MIN &&
           share_of(col->distinct, col->count) > HIGH_CARDINALITY_SHARE;
}

static bool mixed_types(const lathe_column_profile *col, const column_facts *facts)
{
    if (col->kind != LATHE_KIND_CATEGORICAL && col->kind != LATHE_KIND_TEXT)
        return false;
    double share = share_of(facts->numeric_like, col->count);
    return col->count > 0 && share >= MIXED_MIN_SHARE && share <= MIXED_MAX_SHARE;
}

static lathe_status shape_warnings(lathe_profile *p, size_t c)
{
    const lathe_column_profile *col = &p->columns[c];
    lathe_status status = LATHE_OK;
    if (col->distinct == 1) {
        char value[64];
        constant_value(col, value, sizeof value);
        status = warn(p, LATHE_PROFILE_WARN_CONSTANT, c,
                      "column '%s' has one value%s in every non-missing row", col->name, value);
    }
    if (status == LATHE_OK && id_like(p, col))
        status = warn(p, LATHE_PROFILE_WARN_ID_LIKE, c,
                      "column '%s' looks like an identifier: all %zu values are distinct",
                      col->name, col->count);
    else if (status == LATHE_OK && high_cardinality(col))
        status = warn(p, LATHE_PROFILE_WARN_HIGH_CARDINALITY, c,
                      "column '%s' has %zu categories among %zu values", col->name, col->distinct,
                      col->count);
    return status;
}

static lathe_status content_warnings(lathe_profile *p, size_t c, const column_facts *facts)
{
    const lathe_column_profile *col = &p->columns[c];
    const char *target = p->target != LATHE_PROFILE_NO_COLUMN ? p->columns[p->target].name : "";
    lathe_status status = LATHE_OK;
    if (facts->leak != LEAK_NONE)
        status =
            warn(p, LATHE_PROFILE_WARN_TARGET_LEAK, c,
                 facts->leak == LEAK_IDENTICAL ? "column '%s' is identical to the target '%s'"
                                               : "column '%s' maps one-to-one onto the target '%s'",
                 col->name, target);
    if (status == LATHE_OK && mixed_types(col, facts))
        status = warn(p, LATHE_PROFILE_WARN_MIXED_TYPES, c,
                      "column '%s' mixes numbers and text: %zu of %zu values (%.0f%%) are numbers",
                      col->name, facts->numeric_like, col->count,
                      100.0 * share_of(facts->numeric_like, col->count));
    if (status == LATHE_OK && col->missing_share > HEAVY_MISSING_SHARE)
        status = warn(p, LATHE_PROFILE_WARN_HEAVY_MISSING, c,
                      "column '%s' is %.0f%% missing (%zu of %zu rows)", col->name,
                      100.0 * col->missing_share, col->missing, p->n_rows);
    return status;
}

static lathe_status collect_warnings(work *w, lathe_error *err)
{
    lathe_profile *p = w->profile;
    lathe_status status = LATHE_OK;
    if (p->duplicate_rows > 0)
        status = warn(p, LATHE_PROFILE_WARN_DUPLICATE_ROWS, LATHE_PROFILE_NO_COLUMN,
                      "%zu of %zu rows duplicate an earlier row", p->duplicate_rows, p->n_rows);
    for (size_t c = 0; c < p->n_columns && status == LATHE_OK; c++) {
        status = shape_warnings(p, c);
        if (status == LATHE_OK)
            status = content_warnings(p, c, &w->facts[c]);
    }
    return status == LATHE_OK ? LATHE_OK : lathe__error_nomem(err);
}

/* ---- building --------------------------------------------------------- */

static lathe_status resolve_target(const lathe_frame *frame, const lathe_profile_options *options,
                                   size_t *target, lathe_error *err)
{
    size_t n_columns = lathe_frame_n_columns(frame);
    *target = LATHE_PROFILE_NO_COLUMN;
    if (options->target) {
        if (!lathe_frame_find(frame, options->target, target))
            return lathe__error(err, LATHE_NOT_FOUND, "no column named '%s' for the target",
                                options->target);
        return LATHE_OK;
    }
    if (options->target_column != LATHE_PROFILE_NO_COLUMN) {
        if (options->target_column >= n_columns)
            return lathe__error(err, LATHE_INVALID,
                                "target column %zu is out of range (the table has %zu)",
                                options->target_column, n_columns);
        *target = options->target_column;
        return LATHE_OK;
    }
    for (size_t c = 0; c < n_columns && *target == LATHE_PROFILE_NO_COLUMN; c++) {
        if (lathe_frame_column_role(frame, c) == LATHE_ROLE_TARGET)
            *target = c;
    }
    return LATHE_OK;
}

static lathe_status check_quantiles(const lathe_profile_options *options, lathe_error *err)
{
    if (!options->quantiles)
        return LATHE_OK;
    if (options->n_quantiles > LATHE_PROFILE_MAX_QUANTILES)
        return lathe__error(err, LATHE_INVALID, "%zu quantiles asked for, at most %d allowed",
                            options->n_quantiles, LATHE_PROFILE_MAX_QUANTILES);
    for (size_t q = 0; q < options->n_quantiles; q++) {
        double level = options->quantiles[q];
        if (!(level >= 0 && level <= 1))
            return lathe__error(err, LATHE_INVALID, "quantile level %g is outside [0, 1]", level);
    }
    return LATHE_OK;
}

static lathe_profile *profile_create(lathe_ctx *ctx, const lathe_frame *frame,
                                     const lathe_profile_options *options, size_t target)
{
    lathe_profile *p = lathe__calloc(ctx, 1, sizeof *p);
    if (!p)
        return NULL;
    p->ctx = ctx;
    p->n_rows = lathe_frame_n_rows(frame);
    p->n_columns = lathe_frame_n_columns(frame);
    p->target = target;
    const double *levels = options->quantiles ? options->quantiles : default_quantiles;
    p->n_quantiles = options->quantiles ? options->n_quantiles : 5;
    p->quantiles = profile_calloc(p, p->n_quantiles, sizeof *p->quantiles);
    p->columns = profile_calloc(p, p->n_columns, sizeof *p->columns);
    if (!p->quantiles || !p->columns) {
        lathe_profile_free(p);
        return NULL;
    }
    if (p->n_quantiles)
        memcpy(p->quantiles, levels, p->n_quantiles * sizeof *levels);
    return p;
}

static lathe_status work_init(work *w, lathe_ctx *ctx, const lathe_frame *frame,
                              lathe_profile *profile, size_t top)
{
    size_t n_rows = profile->n_rows ? profile->n_rows : 1;
    *w = (work){.ctx = ctx, .frame = frame, .profile = profile, .top = top};
    w->facts = lathe__calloc(ctx, profile->n_columns ? profile->n_columns : 1, sizeof *w->facts);
    w->hashes = lathe__calloc(ctx, n_rows, sizeof *w->hashes);
    w->ids = lathe__calloc(ctx, n_rows, sizeof *w->ids);
    if (profile->target != LATHE_PROFILE_NO_COLUMN)
        w->target_ids = lathe__calloc(ctx, n_rows, sizeof *w->target_ids);
    bool ok = w->facts && w->hashes && w->ids &&
              (w->target_ids || profile->target == LATHE_PROFILE_NO_COLUMN);
    return ok ? LATHE_OK : LATHE_NOMEM;
}

static void work_release(work *w)
{
    lathe__free(w->ctx, w->keys);
    lathe__free(w->ctx, w->key_scratch);
    lathe__free(w->ctx, w->items);
    lathe__free(w->ctx, w->item_scratch);
    lathe__free(w->ctx, w->present_rows);
    lathe__free(w->ctx, w->values);
    lathe__free(w->ctx, w->sorted);
    lathe__free(w->ctx, w->facts);
    lathe__free(w->ctx, w->hashes);
    lathe__free(w->ctx, w->ids);
    lathe__free(w->ctx, w->target_ids);
    lathe__free(w->ctx, w->tallies);
}

void lathe_profile_options_init(lathe_profile_options *options)
{
    *options = (lathe_profile_options){
        .target = NULL,
        .target_column = LATHE_PROFILE_NO_COLUMN,
        .top = TOP_DEFAULT,
        .quantiles = NULL,
        .n_quantiles = 0,
    };
}

lathe_status lathe_profile_new(lathe_ctx *ctx, const lathe_frame *frame,
                               const lathe_profile_options *options, lathe_profile **out,
                               lathe_error *err)
{
    lathe_profile_options defaults;
    if (!options) {
        lathe_profile_options_init(&defaults);
        options = &defaults;
    }
    if (lathe_frame_n_rows(frame) > UINT32_MAX)
        return lathe__error(err, LATHE_LIMIT,
                            "cannot describe more than %u rows (this table has %zu)",
                            (unsigned)UINT32_MAX, lathe_frame_n_rows(frame));
    size_t target;
    lathe_status status = resolve_target(frame, options, &target, err);
    if (status == LATHE_OK)
        status = check_quantiles(options, err);
    if (status != LATHE_OK)
        return status;
    lathe_profile *profile = profile_create(ctx, frame, options, target);
    if (!profile)
        return lathe__error_nomem(err);
    work w;
    status = work_init(&w, ctx, frame, profile, options->top);
    if (status != LATHE_OK) {
        status = lathe__error_nomem(err);
        goto out;
    }
    status = profile_columns(&w, err);
    if (status == LATHE_OK)
        status = count_duplicates(&w, err);
    if (status == LATHE_OK &&
        lathe__progress(ctx, "describe", (double)profile->n_columns, (double)profile->n_columns))
        status = lathe__error(err, LATHE_CANCELED, "describe canceled");
    if (status == LATHE_OK)
        status = collect_warnings(&w, err);
out:
    work_release(&w);
    if (status != LATHE_OK) {
        lathe_profile_free(profile);
        return status;
    }
    *out = profile;
    return LATHE_OK;
}

void lathe_profile_free(lathe_profile *profile)
{
    if (!profile)
        return;
    lathe_ctx *ctx = profile->ctx;
    for (size_t i = 0; i < profile->n_owned; i++)
        lathe__free(ctx, profile->owned[i]);
    lathe__free(ctx, profile->owned);
    lathe__free(ctx, profile->warnings);
    lathe__free(ctx, profile);
}

/* ---- accessors -------------------------------------------------------- */

const char *lathe_profile_warning_name(lathe_profile_warning_code code)
{
    return (unsigned)code < LATHE_PROFILE_WARN_COUNT ? warning_names[code] : NULL;
}

size_t lathe_profile_n_rows(const lathe_profile *profile)
{
    return profile->n_rows;
}

size_t lathe_profile_n_columns(const lathe_profile *profile)
{
    return profile->n_columns;
}

size_t lathe_profile_duplicate_rows(const lathe_profile *profile)
{
    return profile->duplicate_rows;
}

const double *lathe_profile_quantiles(const lathe_profile *profile, size_t *n)
{
    *n = profile->n_quantiles;
    return profile->quantiles;
}

const lathe_column_profile *lathe_profile_column(const lathe_profile *profile, size_t column)
{
    assert(column < profile->n_columns);
    return &profile->columns[column];
}

size_t lathe_profile_target(const lathe_profile *profile)
{
    return profile->target;
}

const lathe_value_count *lathe_profile_classes(const lathe_profile *profile, size_t *n)
{
    *n = profile->n_classes;
    return profile->classes;
}

size_t lathe_profile_n_warnings(const lathe_profile *profile)
{
    return profile->n_warnings;
}

const lathe_profile_warning *lathe_profile_warning_at(const lathe_profile *profile, size_t index)
{
    assert(index < profile->n_warnings);
    return &profile->warnings[index];
}
