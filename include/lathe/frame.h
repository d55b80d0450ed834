/*
 * frame.h: the columnar table every part of Lathe reads.
 *
 * A frame is an ordered list of named, typed columns of equal length. Each
 * column has a kind (how its values are stored), a role (what it means to a
 * model) and a missing mask. Column data is immutable once a frame is built
 * and is shared, reference-counted, between frames: selecting columns or
 * taking a subset of rows (for a split) makes a new frame without copying any
 * values. A row subset is a list of row numbers into the frame it came from.
 *
 * Thread safety: a built frame is read-only; any number of threads may read
 * it at once. Frames sharing columns may be freed from different threads only
 * if the caller serializes the frees.
 */
#ifndef LATHE_FRAME_H
#define LATHE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"

#define LATHE_KIND_MAP(X)                                                                          \
    X(NUMERIC, "numeric")                                                                          \
    X(CATEGORICAL, "categorical")                                                                  \
    X(BOOLEAN, "boolean")                                                                          \
    X(DATETIME, "datetime")                                                                        \
    X(TEXT, "text")

typedef enum lathe_kind {
#define LATHE__KIND_ENUM(name, text) LATHE_KIND_##name,
    LATHE_KIND_MAP(LATHE__KIND_ENUM)
#undef LATHE__KIND_ENUM
        LATHE_KIND_COUNT
} lathe_kind;

#define LATHE_ROLE_MAP(X)                                                                          \
    X(FEATURE, "feature")                                                                          \
    X(TARGET, "target")                                                                            \
    X(ID, "id")                                                                                    \
    X(WEIGHT, "weight")                                                                            \
    X(TIME, "time")                                                                                \
    X(GROUP, "group")                                                                              \
    X(PII, "pii")                                                                                  \
    X(IGNORE, "ignore")

typedef enum lathe_role {
#define LATHE__ROLE_ENUM(name, text) LATHE_ROLE_##name,
    LATHE_ROLE_MAP(LATHE__ROLE_ENUM)
#undef LATHE__ROLE_ENUM
        LATHE_ROLE_COUNT
} lathe_role;

/* "numeric", "categorical", ...; NULL for an out-of-range kind. */
LATHE_API const char *lathe_kind_name(lathe_kind kind);
/* Parses a kind name; returns false if `name` names no kind. */
LATHE_API bool lathe_kind_parse(const char *name, lathe_kind *out);
LATHE_API const char *lathe_role_name(lathe_role role);
LATHE_API bool lathe_role_parse(const char *name, lathe_role *out);

typedef struct lathe_frame lathe_frame;

LATHE_API void lathe_frame_free(lathe_frame *frame);

LATHE_API size_t lathe_frame_n_rows(const lathe_frame *frame);
LATHE_API size_t lathe_frame_n_columns(const lathe_frame *frame);

/* Column index by exact name; returns false if there is none. */
LATHE_API bool lathe_frame_find(const lathe_frame *frame, const char *name, size_t *index);
LATHE_API const char *lathe_frame_column_name(const lathe_frame *frame, size_t column);
LATHE_API lathe_kind lathe_frame_column_kind(const lathe_frame *frame, size_t column);
LATHE_API lathe_role lathe_frame_column_role(const lathe_frame *frame, size_t column);
/* Roles belong to the frame, not the shared column data: setting one is cheap. */
LATHE_API void lathe_frame_set_role(lathe_frame *frame, size_t column, lathe_role role);
/* Number of missing cells in the column, among this frame's rows. */
LATHE_API size_t lathe_frame_column_missing(const lathe_frame *frame, size_t column);

/*
 * Cell access, by the frame's own row number. All are valid for any row; the
 * value of a missing cell is unspecified (NaN for numeric) and must be
 * ignored. Calling a getter of the wrong kind is a programming error.
 */
LATHE_API bool lathe_frame_is_missing(const lathe_frame *frame, size_t column, size_t row);
LATHE_API double lathe_frame_numeric(const lathe_frame *frame, size_t column, size_t row);
/* Category code in [0, n_categories), or -1 where the cell is missing. */
LATHE_API int32_t lathe_frame_category(const lathe_frame *frame, size_t column, size_t row);
LATHE_API bool lathe_frame_boolean(const lathe_frame *frame, size_t column, size_t row);
/* Microseconds since 1970-01-01T00:00:00Z. */
LATHE_API int64_t lathe_frame_datetime(const lathe_frame *frame, size_t column, size_t row);
/* The text of a text cell, not NUL-terminated; its length goes to *length. */
LATHE_API const char *lathe_frame_text(const lathe_frame *frame, size_t column, size_t row,
                                       size_t *length);

/*
 * A categorical column's dictionary: category names (NUL-terminated) in code
 * order, and how many rows of the column's full data hold each code.
 */
LATHE_API size_t lathe_frame_n_categories(const lathe_frame *frame, size_t column);
LATHE_API const char *lathe_frame_category_name(const lathe_frame *frame, size_t column,
                                                int32_t code);
LATHE_API size_t lathe_frame_category_count(const lathe_frame *frame, size_t column, int32_t code);

/*
 * Writes a datetime as ISO 8601: "YYYY-MM-DD" when date_only, else
 * "YYYY-MM-DDTHH:MM:SS[.ffffff]Z". `size` must be at least 32; returns the length.
 */
LATHE_API size_t lathe_datetime_format(int64_t micros, bool date_only, char *buf, size_t size);
/* True if every value of a datetime column was a plain date. */
LATHE_API bool lathe_frame_date_only(const lathe_frame *frame, size_t column);

/* Copies a numeric column's values for this frame's rows into out[n_rows] (NaN where missing). */
LATHE_API void lathe_frame_numeric_gather(const lathe_frame *frame, size_t column, double *out);

/* A new frame with the given columns (in that order), sharing their data. */
LATHE_API lathe_status lathe_frame_select(const lathe_frame *frame, const size_t *columns,
                                          size_t n_columns, lathe_frame **out, lathe_error *err);
/* A new frame with the given rows (in that order, repeats allowed), sharing column data. */
LATHE_API lathe_status lathe_frame_take(const lathe_frame *frame, const size_t *rows, size_t n_rows,
                                        lathe_frame **out, lathe_error *err);

#endif
