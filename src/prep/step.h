/*
 * step.h: the tables the pipeline is assembled from (internal to src/prep).
 *
 * Three kinds of step, each a table entry with the same operations, so the
 * pipeline code never switches on what a step is:
 *
 *   - numeric steps (impute.c, scale.c, power.c): one number in, one out,
 *     with at most LATHE__NUM_PARAMS fitted numbers. They chain: each is
 *     fitted on the output of the one before.
 *   - encoders (encode.c, target_encode.c): a category index in, one or
 *     more numbers out.
 *   - matrix steps (select.c, pca.c): a whole assembled row in, a shorter
 *     row out, fitted on the assembled training matrix.
 *
 * Date parts (datetime_expand.c) are a table too. Saved pipelines name
 * steps by their index in the tables in pipeline.c, which only ever grow.
 */
#ifndef LATHE_PREP_STEP_H
#define LATHE_PREP_STEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/intern.h"
#include "prep/prep.h"

/* ---- numeric steps ---------------------------------------------------- */

#define LATHE__NUM_PARAMS 3

typedef struct lathe__num_step_ops {
    const char *name; /* "impute median", "standard scale" */
    /* Fits params on values[0..n); imputers skip NaN, the others never see it. */
    lathe_status (*fit)(lathe_ctx *ctx, const double *values, size_t n,
                        const lathe__prep_options *options, double *params, lathe_error *err);
    double (*apply)(const double *params, double x);
    /* The fitted numbers for a person, "(117)" or "(mean 3, std 2)". */
    void (*describe)(const double *params, char *buf, size_t size);
} lathe__num_step_ops;

extern const lathe__num_step_ops lathe__impute_mean, lathe__impute_median,
    lathe__impute_most_frequent, lathe__impute_constant;
extern const lathe__num_step_ops lathe__scale_standard, lathe__scale_minmax, lathe__scale_robust;
extern const lathe__num_step_ops lathe__power_log1p, lathe__power_yeo_johnson;

/* ---- categories and encoders ------------------------------------------ */

/*
 * The categories seen in training, sorted by their bytes (so codes follow
 * sklearn's sorted categories_): code i is names.keys[i].
 */
typedef struct lathe__dictionary {
    lathe__interner names;
    size_t *counts; /* training rows per category, after imputation */
} lathe__dictionary;

static inline size_t lathe__dictionary_size(const lathe__dictionary *dict)
{
    return dict->names.n_keys;
}

typedef struct lathe__encode_input {
    size_t n_rows;
    const lathe__dictionary *dict;
    const int32_t *codes; /* per training row: category code, or -1 */
    const double *y;
    lathe__task task;
    size_t n_classes;
    const uint32_t *folds; /* per training row: its out-of-fold fold */
    size_t n_folds;
    const lathe__prep_options *options;
} lathe__encode_input;

typedef struct lathe__encoder_ops {
    const char *name;
    bool needs_target;
    /*
     * Fits on the training rows. An encoder whose training rows must not be
     * encoded like new rows (target encoding) also returns them through
     * *training (n_rows * n_outputs, row-major); others leave it NULL.
     */
    lathe_status (*fit)(lathe_ctx *ctx, const lathe__encode_input *in, void **state,
                        double **training, lathe_error *err);
    size_t (*n_outputs)(const void *state);
    /* What follows the column name in output i's name: "=red", "", ".target_2". */
    void (*output_name)(const void *state, const lathe__dictionary *dict, size_t output, char *buf,
                        size_t size);
    /* code is a dictionary code or -1 for a category not seen in training. */
    void (*encode)(const void *state, int32_t code, double *out);
    void (*describe)(const void *state, const lathe__dictionary *dict, char *buf, size_t size);
    void (*save)(const void *state, lathe__wbuf *buf);
    lathe_status (*load)(lathe_ctx *ctx, lathe__rbuf *buf, size_t n_categories, void **state,
                         lathe_error *err);
    void (*free)(lathe_ctx *ctx, void *state);
} lathe__encoder_ops;

extern const lathe__encoder_ops lathe__encode_onehot, lathe__encode_ordinal, lathe__encode_target,
    lathe__encode_codes;

/* ---- date parts ------------------------------------------------------- */

typedef struct lathe__date_part {
    const char *name; /* "year", after "COLUMN." */
    unsigned bit;     /* LATHE__DATE_* */
    bool needs_time;  /* skipped for columns of plain dates */
    double (*extract)(int64_t micros);
} lathe__date_part;

const lathe__date_part *lathe__date_parts(size_t *count);

/* ---- matrix steps ----------------------------------------------------- */

typedef struct lathe__matrix_fit_input {
    const double *x; /* n_rows * n_cols, row-major */
    size_t n_rows;
    size_t n_cols;
    const char *const *names; /* n_cols feature names, for messages */
    const double *y;          /* may be NULL */
    lathe__task task;
    size_t n_classes;
    const lathe__prep_spec *spec;
} lathe__matrix_fit_input;

typedef struct lathe__matrix_step_ops {
    const char *name;
    lathe_status (*fit)(lathe_ctx *ctx, const lathe__matrix_fit_input *in, void **state,
                        lathe_error *err);
    size_t (*n_outputs)(const void *state);
    /* Output i's name: an input name it keeps, or one written to buf. */
    const char *(*output_name)(const void *state, const char *const *input_names, size_t output,
                               char *buf, size_t size);
    void (*transform)(const void *state, const double *in, double *out);
    void (*describe)(const void *state, char *buf, size_t size);
    void (*save)(const void *state, lathe__wbuf *buf);
    lathe_status (*load)(lathe_ctx *ctx, lathe__rbuf *buf, size_t n_inputs, void **state,
                         lathe_error *err);
    void (*free)(lathe_ctx *ctx, void *state);
} lathe__matrix_step_ops;

extern const lathe__matrix_step_ops lathe__select_step, lathe__pca_step;

/* ---- shared numerics (stats.c) ---------------------------------------- */

/* numpy's default ("linear") quantile of sorted[0..n), n >= 1, q in [0, 1]. */
double lathe__quantile_sorted(const double *sorted, size_t n, double q);
/* The non-NaN values of values[0..n), sorted, in a new array (*count of them). */
lathe_status lathe__sorted_present(lathe_ctx *ctx, const double *values, size_t n, double **sorted,
                                   size_t *count, lathe_error *err);
/*
 * Puts the order statistics at the ascending positions[0..count) (each < n)
 * of values[0..n) (no NaN) in their places, as sorting would, and each
 * stretch between two of them between their values: a selection on each
 * side of the middle position, so about n log(count) steps, not a sort.
 */
void lathe__select_positions(lathe_ctx *ctx, double *values, size_t n, const size_t *positions,
                             size_t count);
/* numpy's median of the values that are not NaN (the middle pair's mean when even); *count of
 * them, and NaN when there are none. */
lathe_status lathe__median_present(lathe_ctx *ctx, const double *values, size_t n, double *median,
                                   size_t *count, lathe_error *err);
/* Mean and population variance (two passes). */
void lathe__mean_variance(const double *values, size_t n, size_t stride, double *mean,
                          double *variance);
/* A deterministic 64-bit generator (splitmix64); *state advances. */
uint64_t lathe__splitmix64(uint64_t *state);
/* snprintf into buf that never fails: cut at size. */
void lathe__format(char *buf, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif
