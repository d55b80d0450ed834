/*
 * cmd_describe.c: `lathe describe`, a data profile in the terminal or as JSON.
 *
 * Reads a table with lathe_read, profiles it with lathe_profile_new and
 * prints the result: one aligned table per column kind, the target's class
 * balance, then the warnings; or, with --json, one JSON document whose keys
 * stay stable across versions (new keys may be added, none renamed).
 *
 * Options are tables (cli/options.h) that both the parser and --help read,
 * so the two cannot drift apart. Tables are printed in two
 * passes over the columns, measuring then writing, so nothing is stored per
 * column beyond the profile itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "lathe/profile.h"

#define NAME "describe"
#define TOP_MAX 10000
#define CELL_MAX 400
#define CELLS_MAX 12
#define NAME_CHARS 32     /* a column name in a table */
#define VALUE_CHARS 24    /* one value in a top list */
#define TOP_CHARS 64      /* a whole top list */
#define CLASSES_SHOWN 20  /* target classes listed in the terminal */
#define JSON_PRECISION 15 /* round-trips every decimal of up to 15 digits, prints 0.1 as 0.1 */

/* The default quantile levels, and which of them the terminal shows. */
static const double quantile_levels[] = {0.05, 0.25, 0.5, 0.75, 0.95};
enum { Q25 = 1, Q50 = 2, Q75 = 3, N_LEVELS = 5 };

typedef struct describe_args {
    const char *path;
    const char *target;
    cli_read_args data;
    size_t top;
    bool json;
} describe_args;

/* ---- options ---------------------------------------------------------- */

static bool set_target(void *target, const char *value, char *why, size_t size)
{
    (void)why;
    (void)size;
    ((describe_args *)target)->target = value;
    return true;
}

static bool set_top(void *target, const char *value, char *why, size_t size)
{
    if (!cli_parse_count(value, TOP_MAX, &((describe_args *)target)->top)) {
        snprintf(why, size, "--top takes a whole number from 0 to %d, not '%s'", TOP_MAX, value);
        return false;
    }
    return true;
}

static bool set_json(void *target, const char *value, char *why, size_t size)
{
    (void)value;
    (void)why;
    (void)size;
    ((describe_args *)target)->json = true;
    return true;
}

static const cli_option describe_options[] = {
    {"--target", "COL", "the column to predict: its class balance, and leakage checks", set_target},
    {"--top", "N", "most frequent values shown per column (default 10)", set_top},
    {"--json", NULL, "print one JSON object instead of tables", set_json},
};

static void option_groups(describe_args *args, cli_option_group groups[2])
{
    groups[0] = (cli_option_group){describe_options,
                                   sizeof describe_options / sizeof describe_options[0], args};
    groups[1] = (cli_option_group){cli_read_options, cli_n_read_options, &args->data};
}

static void help(FILE *out)
{
    fputs("usage: lathe describe DATA [OPTIONS]\n\n"
          "Profiles a table, as pandas' describe() would: for every column its kind, missing\n"
          "and distinct values, summary statistics or most frequent values; the target's class\n"
          "balance; and warnings about constant or id-like columns, duplicate rows, leakage of\n"
          "the target, numbers mixed with text, heavy missingness and high cardinality.\n\n"
          "DATA is a CSV, TSV, JSON lines, ARFF or LibSVM file, optionally .gz, or - for\n"
          "standard input. Cells \"\", NA, N/A, NaN, null and ? are missing unless --missing\n"
          "says otherwise.\n\noptions:\n",
          out);
    describe_args unused;
    cli_option_group groups[2];
    option_groups(&unused, groups);
    cli_print_options(out, groups, 2);
    fputs("\nexit status: 0 done, 1 the data could not be read, 2 bad usage\n", out);
}

static int parse_args(describe_args *args, int argc, char **argv)
{
    cli_option_group groups[2];
    option_groups(args, groups);
    size_t n_positional;
    int status = cli_parse_options(NAME, argc, argv, groups, 2, &args->path, 1, &n_positional);
    if (status != CLI_OK)
        return status;
    if (!args->path)
        return cli_usage(NAME, "missing DATA (a file, or - for standard input)");
    cli_read_args_finish(&args->data);
    return CLI_OK;
}

/* ---- formatting values ------------------------------------------------ */

static size_t display_width(const char *text)
{
    size_t width = 0;
    for (; *text; text++)
        width += ((unsigned char)*text & 0xC0) != 0x80;
    return width;
}

/*
 * The next character of *s for a terminal, into piece (NUL-terminated):
 * control characters escaped, a UTF-8 sequence kept whole. Returns its
 * width in columns and advances *s.
 */
static size_t next_piece(const unsigned char **s, char piece[8])
{
    const unsigned char *c = *s;
    if (*c < 0x20 || *c == 0x7f) {
        snprintf(piece, 8, "%s",
                 *c == '\n'   ? "\\n"
                 : *c == '\t' ? "\\t"
                 : *c == '\r' ? "\\r"
                              : "?");
        *s = c + 1;
        return strlen(piece);
    }
    size_t n = 1;
    while (n < 4 && (c[n] & 0xC0) == 0x80)
        n++;
    memcpy(piece, c, n);
    piece[n] = '\0';
    *s = c + n;
    return 1;
}

/* Copies text into buf for a terminal, cut at max_chars columns with "..." marking the cut. */
static void clip(const char *text, size_t max_chars, char *buf, size_t size)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t at = 0, chars = 0;
    while (*s) {
        char piece[8];
        size_t width = next_piece(&s, piece), length = strlen(piece);
        if (chars + width > max_chars || at + length + 4 > size) {
            snprintf(buf + at, size - at, "...");
            return;
        }
        memcpy(buf + at, piece, length);
        at += length;
        chars += width;
    }
    buf[at] = '\0';
}

/* A value for a list: clipped, and "" where it is empty so that it can be seen. */
static void clip_value(const char *value, char *buf, size_t size)
{
    clip(value[0] ? value : "\"\"", VALUE_CHARS, buf, size);
}

/*
 * Whole numbers below 1e15 in full, other large numbers to one decimal,
 * the rest to 5 significant digits; "-" when undefined.
 */
static void format_number(double value, char *buf, size_t size)
{
    double magnitude = fabs(value);
    if (isnan(value))
        snprintf(buf, size, "-");
    else if (value == floor(value) && magnitude < 1e15)
        snprintf(buf, size, "%.0f", value);
    else if (magnitude >= 1e4 && magnitude < 1e12)
        snprintf(buf, size, "%.1f", value);
    else
        snprintf(buf, size, "%.5g", value);
}

static void format_share(double share, char *buf, size_t size)
{
    if (share > 0 && share < 0.001)
        snprintf(buf, size, "<0.1%%");
    else
        snprintf(buf, size, "%.1f%%", 100 * share);
}

static void format_missing(const lathe_column_profile *col, char *buf, size_t size)
{
    if (col->missing == 0) {
        snprintf(buf, size, "0");
        return;
    }
    char share[16];
    format_share(col->missing_share, share, sizeof share);
    snprintf(buf, size, "%zu (%s)", col->missing, share);
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

/* "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM:SS[.ffffff]Z". */
static void format_datetime(int64_t micros, bool date_only, char *buf, size_t size)
{
    const int64_t per_day = 86400LL * 1000000;
    int64_t days = micros / per_day, rest = micros % per_day;
    if (rest < 0) {
        rest += per_day;
        days--;
    }
    int64_t year;
    int month, day;
    civil_from_days(days, &year, &month, &day);
    int length = snprintf(buf, size, "%04" PRId64 "-%02d-%02d", year, month, day);
    if (date_only || length < 0 || (size_t)length >= size)
        return;
    int64_t seconds = rest / 1000000, fraction = rest % 1000000;
    length += snprintf(buf + length, size - (size_t)length, "T%02d:%02d:%02d",
                       (int)(seconds / 3600), (int)(seconds / 60 % 60), (int)(seconds % 60));
    if (fraction && (size_t)length < size)
        length += snprintf(buf + length, size - (size_t)length, ".%06d", (int)fraction);
    if ((size_t)length < size)
        snprintf(buf + length, size - (size_t)length, "Z");
}

/* "a (3), b (2), ..." cut at TOP_CHARS characters. */
static void format_top(const lathe_column_profile *col, char *buf, size_t size)
{
    char list[CELL_MAX * 2] = "";
    size_t at = 0;
    for (size_t i = 0; i < col->n_top && at < sizeof list - 1; i++) {
        char value[VALUE_CHARS * 4 + 8];
        clip_value(col->top[i].value, value, sizeof value);
        int n = snprintf(list + at, sizeof list - at, "%s%s (%zu)", i ? ", " : "", value,
                         col->top[i].count);
        at = n < 0 ? at : at + (size_t)n;
    }
    clip(list, TOP_CHARS, buf, size);
}

/* ---- tables ----------------------------------------------------------- */

/* One table per kind: its header and how to fill a row; cell 0 is the name, 1 the role. */
typedef struct table_spec {
    lathe_kind kind;
    bool ends_with_list; /* the last cell is a list of values, left-aligned */
    size_t n_cells;
    const char *headers[CELLS_MAX];
    void (*fill)(const lathe_column_profile *col, char cells[][CELL_MAX]);
} table_spec;

static void fill_common(const lathe_column_profile *col, char cells[][CELL_MAX])
{
    clip(col->name, NAME_CHARS, cells[0], CELL_MAX);
    snprintf(cells[1], CELL_MAX, "%s", lathe_role_name(col->role));
    format_missing(col, cells[2], CELL_MAX);
    snprintf(cells[3], CELL_MAX, "%zu", col->distinct);
}

static void fill_numeric(const lathe_column_profile *col, char cells[][CELL_MAX])
{
    const lathe_numeric_profile *n = &col->numeric;
    fill_common(col, cells);
    format_number(n->mean, cells[4], CELL_MAX);
    format_number(n->std, cells[5], CELL_MAX);
    format_number(n->min, cells[6], CELL_MAX);
    format_number(n->quantiles[Q25], cells[7], CELL_MAX);
    format_number(n->quantiles[Q50], cells[8], CELL_MAX);
    format_number(n->quantiles[Q75], cells[9], CELL_MAX);
    format_number(n->max, cells[10], CELL_MAX);
    snprintf(cells[11], CELL_MAX, "%zu", n->zeros);
}

static void fill_values(const lathe_column_profile *col, char cells[][CELL_MAX])
{
    fill_common(col, cells);
    format_top(col, cells[4], CELL_MAX);
}

static void fill_text(const lathe_column_profile *col, char cells[][CELL_MAX])
{
    fill_common(col, cells);
    if (col->count)
        snprintf(cells[4], CELL_MAX, "%zu/%.1f/%zu", col->length.min, col->length.mean,
                 col->length.max);
    else
        snprintf(cells[4], CELL_MAX, "-");
    format_top(col, cells[5], CELL_MAX);
}

static void fill_datetime(const lathe_column_profile *col, char cells[][CELL_MAX])
{
    fill_common(col, cells);
    snprintf(cells[4], CELL_MAX, "-");
    snprintf(cells[5], CELL_MAX, "-");
    if (col->count) {
        format_datetime(col->datetime.min, col->datetime.date_only, cells[4], CELL_MAX);
        format_datetime(col->datetime.max, col->datetime.date_only, cells[5], CELL_MAX);
    }
}

static const table_spec tables[] = {
    {LATHE_KIND_NUMERIC,
     false,
     12,
     {"numeric", "role", "missing", "distinct", "mean", "std", "min", "25%", "50%", "75%", "max",
      "zeros"},
     fill_numeric},
    {LATHE_KIND_CATEGORICAL,
     true,
     5,
     {"categorical", "role", "missing", "distinct", "top"},
     fill_values},
    {LATHE_KIND_BOOLEAN,
     true,
     5,
     {"boolean", "role", "missing", "distinct", "values"},
     fill_values},
    {LATHE_KIND_TEXT,
     true,
     6,
     {"text", "role", "missing", "distinct", "length min/mean/max", "top"},
     fill_text},
    {LATHE_KIND_DATETIME,
     false,
     6,
     {"datetime", "role", "missing", "distinct", "min", "max"},
     fill_datetime},
};

#define N_TABLES (sizeof tables / sizeof tables[0])

/* Left-aligned: the name, the role and a list of values; everything else lines up on the right. */
static bool left_aligned(const table_spec *spec, size_t cell)
{
    return cell <= 1 || (spec->ends_with_list && cell == spec->n_cells - 1);
}

static void print_row(const table_spec *spec, const size_t *widths, bool show_role,
                      char cells[][CELL_MAX])
{
    for (size_t c = 0; c < spec->n_cells; c++) {
        if (c == 1 && !show_role)
            continue;
        size_t pad = widths[c] - display_width(cells[c]);
        bool last = c == spec->n_cells - 1;
        if (c > 0)
            fputs("  ", stdout);
        if (!left_aligned(spec, c))
            printf("%*s", (int)pad, "");
        fputs(cells[c], stdout);
        if (left_aligned(spec, c) && !last)
            printf("%*s", (int)pad, "");
    }
    putchar('\n');
}

/* Measures every row of the kind, then prints them; nothing if the table has no columns. */
static void print_table(const lathe_profile *profile, const table_spec *spec)
{
    char cells[CELLS_MAX][CELL_MAX];
    size_t widths[CELLS_MAX] = {0}, rows = 0;
    bool show_role = false;
    for (size_t c = 0; c < spec->n_cells; c++)
        widths[c] = display_width(spec->headers[c]);
    for (size_t i = 0; i < lathe_profile_n_columns(profile); i++) {
        const lathe_column_profile *col = lathe_profile_column(profile, i);
        if (col->kind != spec->kind)
            continue;
        spec->fill(col, cells);
        for (size_t c = 0; c < spec->n_cells; c++) {
            size_t width = display_width(cells[c]);
            widths[c] = width > widths[c] ? width : widths[c];
        }
        show_role |= col->role != LATHE_ROLE_FEATURE;
        rows++;
    }
    if (rows == 0)
        return;
    putchar('\n');
    for (size_t c = 0; c < spec->n_cells; c++)
        snprintf(cells[c], CELL_MAX, "%s", spec->headers[c]);
    print_row(spec, widths, show_role, cells);
    for (size_t i = 0; i < lathe_profile_n_columns(profile); i++) {
        const lathe_column_profile *col = lathe_profile_column(profile, i);
        if (col->kind != spec->kind)
            continue;
        spec->fill(col, cells);
        print_row(spec, widths, show_role, cells);
    }
}

static void print_classes(const lathe_profile *profile)
{
    size_t n_classes, width = strlen("class");
    const lathe_value_count *classes = lathe_profile_classes(profile, &n_classes);
    size_t shown = n_classes;
    if (shown > CLASSES_SHOWN)
        shown = CLASSES_SHOWN;
    char value[VALUE_CHARS * 4 + 8], share[16];
    for (size_t i = 0; i < shown; i++) {
        clip_value(classes[i].value, value, sizeof value);
        width = display_width(value) > width ? display_width(value) : width;
    }
    printf("  %-*s  %10s  %6s\n", (int)width, "class", "count", "share");
    for (size_t i = 0; i < shown; i++) {
        clip_value(classes[i].value, value, sizeof value);
        format_share(classes[i].share, share, sizeof share);
        printf("  %s%*s  %10zu  %6s\n", value, (int)(width - display_width(value)), "",
               classes[i].count, share);
    }
    if (n_classes > shown)
        printf("  ... %zu more classes\n", n_classes - shown);
}

static void print_target(const lathe_profile *profile)
{
    size_t target = lathe_profile_target(profile), n_classes;
    if (target == LATHE_PROFILE_NO_COLUMN)
        return;
    const lathe_column_profile *col = lathe_profile_column(profile, target);
    char name[CELL_MAX];
    clip(col->name, NAME_CHARS, name, sizeof name);
    printf("\ntarget '%s' (%s)", name, lathe_kind_name(col->kind));
    if (col->kind == LATHE_KIND_NUMERIC) {
        char mean[32], std[32], median[32];
        format_number(col->numeric.mean, mean, sizeof mean);
        format_number(col->numeric.std, std, sizeof std);
        format_number(col->numeric.quantiles[Q50], median, sizeof median);
        printf(": mean %s, std %s, median %s, %zu missing\n", mean, std, median, col->missing);
        return;
    }
    lathe_profile_classes(profile, &n_classes);
    printf(": %zu classes, %zu missing\n", n_classes, col->missing);
    print_classes(profile);
}

static void print_warnings(const lathe_profile *profile)
{
    size_t n = lathe_profile_n_warnings(profile);
    if (n == 0) {
        puts("\nno warnings");
        return;
    }
    printf("\nwarnings (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        const lathe_profile_warning *w = lathe_profile_warning_at(profile, i);
        char message[2048];
        clip(w->message, 600, message, sizeof message);
        printf("  %-16s  %s\n", lathe_profile_warning_name(w->code), message);
    }
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

static void print_human(const char *source, const lathe_profile *profile)
{
    char name[CELL_MAX];
    size_t n_rows = lathe_profile_n_rows(profile), n_columns = lathe_profile_n_columns(profile);
    size_t duplicates = lathe_profile_duplicate_rows(profile);
    clip(source, 200, name, sizeof name);
    printf("%s: %zu row%s, %zu column%s, %zu duplicate row%s\n", name, n_rows, plural(n_rows),
           n_columns, plural(n_columns), duplicates, plural(duplicates));
    for (size_t t = 0; t < N_TABLES; t++)
        print_table(profile, &tables[t]);
    print_target(profile);
    print_warnings(profile);
}

/* ---- JSON ------------------------------------------------------------- */

/* A JSON number, or null where JSON has none (NaN, infinities). */
static json_t *json_number(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

static json_t *json_count(size_t value)
{
    return json_integer((json_int_t)value);
}

static json_t *json_values(const lathe_value_count *values, size_t n, bool with_share)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_object();
        json_object_set_new(item, "value", json_string(values[i].value));
        json_object_set_new(item, "count", json_count(values[i].count));
        if (with_share)
            json_object_set_new(item, "share", json_number(values[i].share));
        json_array_append_new(list, item);
    }
    return list;
}

static void json_numeric(json_t *obj, const lathe_numeric_profile *n)
{
    json_t *quantiles = json_object();
    for (size_t q = 0; q < N_LEVELS; q++) {
        char key[32];
        snprintf(key, sizeof key, "%g%%", 100 * quantile_levels[q]);
        json_object_set_new(quantiles, key, json_number(n->quantiles[q]));
    }
    json_object_set_new(obj, "min", json_number(n->min));
    json_object_set_new(obj, "max", json_number(n->max));
    json_object_set_new(obj, "mean", json_number(n->mean));
    json_object_set_new(obj, "std", json_number(n->std));
    json_object_set_new(obj, "quantiles", quantiles);
    json_object_set_new(obj, "zeros", json_count(n->zeros));
}

static void json_datetime(json_t *obj, const lathe_column_profile *col)
{
    char min[64], max[64];
    format_datetime(col->datetime.min, col->datetime.date_only, min, sizeof min);
    format_datetime(col->datetime.max, col->datetime.date_only, max, sizeof max);
    json_object_set_new(obj, "min", col->count ? json_string(min) : json_null());
    json_object_set_new(obj, "max", col->count ? json_string(max) : json_null());
}

static json_t *json_column(const lathe_column_profile *col)
{
    json_t *obj = json_object();
    json_object_set_new(obj, "name", json_string(col->name));
    json_object_set_new(obj, "kind", json_string(lathe_kind_name(col->kind)));
    json_object_set_new(obj, "role", json_string(lathe_role_name(col->role)));
    json_object_set_new(obj, "count", json_count(col->count));
    json_object_set_new(obj, "missing", json_count(col->missing));
    json_object_set_new(obj, "missing_share", json_number(col->missing_share));
    json_object_set_new(obj, "distinct", json_count(col->distinct));
    if (col->kind == LATHE_KIND_NUMERIC)
        json_numeric(obj, &col->numeric);
    else if (col->kind == LATHE_KIND_DATETIME)
        json_datetime(obj, col);
    else
        json_object_set_new(obj, "top", json_values(col->top, col->n_top, false));
    if (col->kind == LATHE_KIND_TEXT) {
        json_object_set_new(obj, "min_length", json_count(col->length.min));
        json_object_set_new(obj, "mean_length", json_number(col->length.mean));
        json_object_set_new(obj, "max_length", json_count(col->length.max));
    }
    return obj;
}

static json_t *json_target(const lathe_profile *profile)
{
    size_t target = lathe_profile_target(profile), n_classes;
    if (target == LATHE_PROFILE_NO_COLUMN)
        return json_null();
    const lathe_column_profile *col = lathe_profile_column(profile, target);
    const lathe_value_count *classes = lathe_profile_classes(profile, &n_classes);
    json_t *obj = json_object();
    json_object_set_new(obj, "column", json_string(col->name));
    json_object_set_new(obj, "kind", json_string(lathe_kind_name(col->kind)));
    json_object_set_new(obj, "missing", json_count(col->missing));
    if (col->kind == LATHE_KIND_NUMERIC)
        json_numeric(obj, &col->numeric);
    else
        json_object_set_new(obj, "classes", json_values(classes, n_classes, true));
    return obj;
}

static json_t *json_warnings(const lathe_profile *profile)
{
    json_t *list = json_array();
    for (size_t i = 0; i < lathe_profile_n_warnings(profile); i++) {
        const lathe_profile_warning *w = lathe_profile_warning_at(profile, i);
        json_t *item = json_object();
        json_object_set_new(item, "code", json_string(lathe_profile_warning_name(w->code)));
        json_object_set_new(item, "column",
                            w->column == LATHE_PROFILE_NO_COLUMN
                                ? json_null()
                                : json_string(lathe_profile_column(profile, w->column)->name));
        json_object_set_new(item, "message", json_string(w->message));
        json_array_append_new(list, item);
    }
    return list;
}

static int print_json(const char *source, const lathe_profile *profile)
{
    json_t *doc = json_object(), *columns = json_array();
    json_object_set_new(doc, "source", json_string(source));
    json_object_set_new(doc, "n_rows", json_count(lathe_profile_n_rows(profile)));
    json_object_set_new(doc, "n_columns", json_count(lathe_profile_n_columns(profile)));
    json_object_set_new(doc, "duplicate_rows", json_count(lathe_profile_duplicate_rows(profile)));
    for (size_t i = 0; i < lathe_profile_n_columns(profile); i++)
        json_array_append_new(columns, json_column(lathe_profile_column(profile, i)));
    json_object_set_new(doc, "columns", columns);
    json_object_set_new(doc, "target", json_target(profile));
    json_object_set_new(doc, "warnings", json_warnings(profile));
    char *text =
        json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(JSON_PRECISION));
    json_decref(doc);
    if (!text)
        return cli_fail("out of memory writing JSON");
    puts(text);
    free(text);
    return CLI_OK;
}

/* ---- the command ------------------------------------------------------ */

static int describe(const describe_args *args)
{
    lathe_ctx *ctx = cli_ctx_new(1, 0, true);
    lathe_frame *frame = NULL;
    lathe_profile *profile = NULL;
    lathe_error err;
    lathe_error_clear(&err);
    int status = CLI_OK;
    if (lathe_read(ctx, args->path, &args->data.read, &frame, &err) != LATHE_OK) {
        status = cli_fail("%s", err.message);
        goto out;
    }
    lathe_profile_options options;
    lathe_profile_options_init(&options);
    options.target = args->target;
    options.top = args->top;
    options.quantiles = quantile_levels;
    options.n_quantiles = N_LEVELS;
    if (lathe_profile_new(ctx, frame, &options, &profile, &err) != LATHE_OK) {
        status = cli_fail("%s", err.message);
        goto out;
    }
    const char *source = strcmp(args->path, "-") == 0 ? "<stdin>" : args->path;
    if (args->json)
        status = print_json(source, profile);
    else
        print_human(source, profile);
out:
    lathe_profile_free(profile);
    lathe_frame_free(frame);
    lathe_ctx_free(ctx);
    return status;
}

static int run(int argc, char **argv)
{
    describe_args args = {.top = 10};
    cli_read_args_init(&args.data, argc);
    int status = parse_args(&args, argc, argv);
    if (status == CLI_OK)
        status = describe(&args);
    cli_read_args_release(&args.data);
    return status;
}

const cli_command cli_describe_command = {NAME, "profile a table: statistics, balance, warnings",
                                          run, help};
