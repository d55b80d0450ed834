/*
 * profile.h: what is in a table, column by column (`lathe describe`).
 *
 * A profile answers the questions asked of a new data set before anything is
 * fitted to it: how many rows and columns, how much is missing, what the
 * values look like (pandas' describe(): count, mean, std, quantiles; the most
 * frequent categories), how the target's classes are balanced, and what
 * looks wrong: constant or id-like columns, duplicate rows, a column that
 * gives the target away, numbers mixed with strings, heavy missingness,
 * categories too many to encode.
 *
 * The statistics follow pandas so that the two can be compared: `std` is the
 * sample standard deviation (ddof = 1), quantiles interpolate linearly
 * between order statistics (numpy's default), distinct counts leave missing
 * values out and duplicate rows count every row equal to an earlier one
 * (missing cells compare equal to each other), as DataFrame.duplicated().
 *
 * Building a profile takes O(n log n) time and memory linear in the rows of
 * the largest column. It reports progress as the stage "describe", one step
 * per column, and stops with LATHE_CANCELED if the callback asks.
 *
 * A profile copies everything it reports: it does not refer to the frame it
 * was built from, which may be freed first. A built profile is read-only;
 * any number of threads may read it at once.
 */
#ifndef LATHE_PROFILE_H
#define LATHE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"
#include "lathe/frame.h"

/* "No column": an unset target in the options, a warning about the whole table. */
#define LATHE_PROFILE_NO_COLUMN ((size_t)-1)
/* The largest number of quantile levels a profile computes. */
#define LATHE_PROFILE_MAX_QUANTILES 64

typedef struct lathe_profile_options {
    /*
     * The target column, by name, else by index; with neither, the first
     * column whose role is LATHE_ROLE_TARGET, if any. A name or index that
     * names no column is an error.
     */
    const char *target;
    size_t target_column;    /* LATHE_PROFILE_NO_COLUMN when unset */
    size_t top;              /* most frequent values kept per column (default 10) */
    const double *quantiles; /* levels in [0, 1]; NULL: 0.05 0.25 0.5 0.75 0.95 */
    size_t n_quantiles;
} lathe_profile_options;

/* Fills `options` with the defaults: no target but a declared one, top 10, the five quantiles. */
LATHE_API void lathe_profile_options_init(lathe_profile_options *options);

/* One value and how often it occurs. */
typedef struct lathe_value_count {
    const char *value; /* NUL-terminated; booleans are "true" and "false" */
    size_t count;
    double share; /* count over the column's non-missing cells */
} lathe_value_count;

/* A numeric column's summary; NaN where undefined (no values; std of fewer than two). */
typedef struct lathe_numeric_profile {
    double min, max, mean, std;
    const double *quantiles; /* one per level of lathe_profile_quantiles() */
    size_t zeros;
    bool integer_valued; /* every value is a finite whole number, and there is one */
} lathe_numeric_profile;

/* A text column's value lengths, in characters (UTF-8 code points); 0 with no values. */
typedef struct lathe_length_profile {
    size_t min, max;
    double mean;
} lathe_length_profile;

/* A datetime column's range, in microseconds since the Unix epoch (UTC); 0 with no values. */
typedef struct lathe_datetime_profile {
    int64_t min, max;
    bool date_only; /* every value was a plain date, without a time of day */
} lathe_datetime_profile;

typedef struct lathe_column_profile {
    const char *name;
    lathe_kind kind;
    lathe_role role;      /* the frame's role, or LATHE_ROLE_TARGET for the profile's target */
    size_t count;         /* non-missing cells */
    size_t missing;       /* missing cells */
    double missing_share; /* missing over rows; 0 for a table without rows */
    size_t distinct;      /* distinct non-missing values */
    lathe_numeric_profile numeric; /* NUMERIC only */
    /* CATEGORICAL, BOOLEAN, TEXT: the most frequent values, most frequent first, ties by value. */
    const lathe_value_count *top;
    size_t n_top;
    lathe_length_profile length;     /* TEXT only */
    lathe_datetime_profile datetime; /* DATETIME only */
} lathe_column_profile;

#define LATHE_PROFILE_WARNING_MAP(X)                                                               \
    X(CONSTANT, "constant")                                                                        \
    X(ID_LIKE, "id_like")                                                                          \
    X(DUPLICATE_ROWS, "duplicate_rows")                                                            \
    X(TARGET_LEAK, "target_leak")                                                                  \
    X(MIXED_TYPES, "mixed_types")                                                                  \
    X(HEAVY_MISSING, "heavy_missing")                                                              \
    X(HIGH_CARDINALITY, "high_cardinality")

typedef enum lathe_profile_warning_code {
#define LATHE__PROFILE_WARNING_ENUM(name, text) LATHE_PROFILE_WARN_##name,
    LATHE_PROFILE_WARNING_MAP(LATHE__PROFILE_WARNING_ENUM)
#undef LATHE__PROFILE_WARNING_ENUM
        LATHE_PROFILE_WARN_COUNT
} lathe_profile_warning_code;

/*
 * What the warnings mean (n = non-missing cells of the column):
 *   constant          one distinct non-missing value
 *   id_like           categorical, text or whole-number numeric column whose
 *                     n values are all distinct, in a table of more than 20
 *                     rows (not raised for a column whose role is already id)
 *   duplicate_rows    some rows equal an earlier row in every column
 *   target_leak       equals the target row by row, or maps one-to-one onto
 *                     a target whose classes repeat (at most n/2 of them)
 *   mixed_types       categorical or text column where 5% to 95% of the
 *                     values parse as numbers
 *   heavy_missing     more than half of the cells are missing
 *   high_cardinality  categorical with more than 100 categories in use,
 *                     making up more than half of n
 */
typedef struct lathe_profile_warning {
    lathe_profile_warning_code code;
    size_t column;       /* LATHE_PROFILE_NO_COLUMN for the whole table */
    const char *message; /* for a person: "column 'id' looks like an identifier: ..." */
} lathe_profile_warning;

/* "constant", "id_like", ...; NULL for an out-of-range code. */
LATHE_API const char *lathe_profile_warning_name(lathe_profile_warning_code code);

typedef struct lathe_profile lathe_profile;

/*
 * Profiles every column of `frame`. `options` may be NULL for the defaults.
 * Errors: LATHE_NOT_FOUND for a target name that is no column, LATHE_INVALID
 * for bad options, LATHE_CANCELED, LATHE_NOMEM.
 */
LATHE_API lathe_status lathe_profile_new(lathe_ctx *ctx, const lathe_frame *frame,
                                         const lathe_profile_options *options, lathe_profile **out,
                                         lathe_error *err);
LATHE_API void lathe_profile_free(lathe_profile *profile);

LATHE_API size_t lathe_profile_n_rows(const lathe_profile *profile);
LATHE_API size_t lathe_profile_n_columns(const lathe_profile *profile);
/* Rows equal, cell by cell, to an earlier row. */
LATHE_API size_t lathe_profile_duplicate_rows(const lathe_profile *profile);
/* The quantile levels every numeric column was summarized at; their count goes to *n. */
LATHE_API const double *lathe_profile_quantiles(const lathe_profile *profile, size_t *n);
LATHE_API const lathe_column_profile *lathe_profile_column(const lathe_profile *profile,
                                                           size_t column);

/* The target's column index, or LATHE_PROFILE_NO_COLUMN when there is none. */
LATHE_API size_t lathe_profile_target(const lathe_profile *profile);
/*
 * A categorical, boolean or text target's classes, every one of them, most
 * frequent first (ties by value), each with its share of the non-missing
 * targets; NULL with *n = 0 for any other target or none. A numeric
 * target's summary is its column's `numeric` profile.
 */
LATHE_API const lathe_value_count *lathe_profile_classes(const lathe_profile *profile, size_t *n);

/* Warnings in column order; the duplicate-rows warning, if any, comes first. */
LATHE_API size_t lathe_profile_n_warnings(const lathe_profile *profile);
LATHE_API const lathe_profile_warning *lathe_profile_warning_at(const lathe_profile *profile,
                                                                size_t index);

#endif
