/*
 * prep.h: the preprocessing pipeline (internal): what turns a frame into the
 * numeric matrix a model trains and predicts on.
 *
 * One fitted lathe__prep travels inside the artifact, and the same code
 * below transforms rows in training, batch prediction, serving and
 * streaming, so training and serving cannot disagree. It is fitted on
 * training rows only.
 *
 * The pipeline has two stages:
 *
 *   1. Column stage, one plan per input column, by kind:
 *        numeric   impute -> [log1p | yeo-johnson] -> scale       1 column
 *        boolean   0/1 -> impute -> scale                          1 column
 *        datetime  parts (year, month, ...) -> impute -> scale    1 per part
 *        categorical (and text, when asked) impute -> encode:
 *                  one-hot (k columns), ordinal (1) or target (1 or n_classes)
 *        text      dropped (no text features yet), unless encoded as categories
 *      plus an optional "NAME.missing" indicator for a column that had
 *      missing cells in training.
 *   2. Matrix stage on the assembled row: feature selection, then PCA.
 *
 * Only columns whose role is "feature" are used; others are ignored.
 * Columns are matched by name when transforming, so a frame may hold them in
 * any order and hold extra columns; category values are matched by name, not
 * by code, so the frame's dictionary may differ from the training one.
 *
 * Thread safety: a fitted lathe__prep is immutable; any number of threads may
 * transform with it at once (allocation goes through its context's allocator,
 * which must then be thread-safe, as the C allocator is).
 */
#ifndef LATHE_PREP_H
#define LATHE_PREP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "lathe/core.h"
#include "lathe/frame.h"
#include "model/matrix.h"
#include "model/model.h"

/*
 * The choices, each a name list (the text is what the command line, YAML
 * specs and describe output say) so parsers and printers share one source.
 */
#define LATHE__IMPUTE_MAP(X)                                                                       \
    X(MEAN, "mean")                                                                                \
    X(MEDIAN, "median")                                                                            \
    X(MOST_FREQUENT, "most_frequent")                                                              \
    X(CONSTANT, "constant")                                                                        \
    X(NONE, "none")

#define LATHE__POWER_MAP(X)                                                                        \
    X(NONE, "none")                                                                                \
    X(LOG1P, "log1p")                                                                              \
    X(YEO_JOHNSON, "yeo-johnson")

#define LATHE__SCALE_MAP(X)                                                                        \
    X(NONE, "none")                                                                                \
    X(STANDARD, "standard")                                                                        \
    X(MINMAX, "minmax")                                                                            \
    X(ROBUST, "robust")

#define LATHE__ENCODE_MAP(X)                                                                       \
    X(ONEHOT, "onehot")                                                                            \
    X(ORDINAL, "ordinal")                                                                          \
    X(TARGET, "target")                                                                            \
    X(DROP, "drop")                                                                                \
    X(CODES, "codes")

#define LATHE__SELECT_MAP(X)                                                                       \
    X(NONE, "none")                                                                                \
    X(VARIANCE, "variance")                                                                        \
    X(F_CLASSIF, "f_classif")                                                                      \
    X(F_REGRESSION, "f_regression")                                                                \
    X(CHI2, "chi2")                                                                                \
    X(MUTUAL_INFO, "mutual_info")                                                                  \
    X(L1, "l1")

#define LATHE__LAYOUT_MAP(X)                                                                       \
    X(AUTO, "auto")                                                                                \
    X(DENSE, "dense")                                                                              \
    X(SPARSE, "sparse")

#define LATHE__CHOICE_ENUM(prefix, name, text) LATHE__##prefix##_##name,
#define LATHE__IMPUTE_ENUM(name, text) LATHE__CHOICE_ENUM(IMPUTE, name, text)
#define LATHE__POWER_ENUM(name, text) LATHE__CHOICE_ENUM(POWER, name, text)
#define LATHE__SCALE_ENUM(name, text) LATHE__CHOICE_ENUM(SCALE, name, text)
#define LATHE__ENCODE_ENUM(name, text) LATHE__CHOICE_ENUM(ENCODE, name, text)
#define LATHE__SELECT_ENUM(name, text) LATHE__CHOICE_ENUM(SELECT, name, text)
#define LATHE__LAYOUT_ENUM(name, text) LATHE__CHOICE_ENUM(LAYOUT, name, text)

typedef enum lathe__impute {
    LATHE__IMPUTE_MAP(LATHE__IMPUTE_ENUM) LATHE__IMPUTE_COUNT
} lathe__impute;
typedef enum lathe__power { LATHE__POWER_MAP(LATHE__POWER_ENUM) LATHE__POWER_COUNT } lathe__power;
typedef enum lathe__scale { LATHE__SCALE_MAP(LATHE__SCALE_ENUM) LATHE__SCALE_COUNT } lathe__scale;
typedef enum lathe__encode {
    LATHE__ENCODE_MAP(LATHE__ENCODE_ENUM) LATHE__ENCODE_COUNT
} lathe__encode;
typedef enum lathe__select {
    LATHE__SELECT_MAP(LATHE__SELECT_ENUM) LATHE__SELECT_COUNT
} lathe__select;
typedef enum lathe__layout {
    LATHE__LAYOUT_MAP(LATHE__LAYOUT_ENUM) LATHE__LAYOUT_COUNT
} lathe__layout;

/* Which choice list a name belongs to, for lathe__prep_choice_name/_parse. */
typedef enum lathe__prep_choice {
    LATHE__CHOICE_IMPUTE,
    LATHE__CHOICE_POWER,
    LATHE__CHOICE_SCALE,
    LATHE__CHOICE_ENCODE,
    LATHE__CHOICE_SELECT,
    LATHE__CHOICE_LAYOUT
} lathe__prep_choice;

/* "median", "yeo-johnson", ...; NULL for an out-of-range value. */
const char *lathe__prep_choice_name(lathe__prep_choice list, int value);
/* The value named `name` in `list`; false if there is none. */
bool lathe__prep_choice_parse(lathe__prep_choice list, const char *name, int *value);

/* Datetime parts, as bits of lathe__prep_options.datetime_parts. */
#define LATHE__DATE_YEAR (1u << 0)
#define LATHE__DATE_MONTH (1u << 1)
#define LATHE__DATE_DAY (1u << 2)
#define LATHE__DATE_DAY_OF_WEEK (1u << 3) /* Monday 0 .. Sunday 6, like pandas */
#define LATHE__DATE_HOUR (1u << 4)        /* left out for columns of plain dates */
#define LATHE__DATE_EPOCH_SECONDS (1u << 5)
#define LATHE__DATE_ALL ((1u << 6) - 1)
#define LATHE__DATE_DEFAULT                                                                        \
    (LATHE__DATE_YEAR | LATHE__DATE_MONTH | LATHE__DATE_DAY | LATHE__DATE_DAY_OF_WEEK |            \
     LATHE__DATE_HOUR)

/*
 * What to do with one column. Fields that do not apply to a column's kind are
 * ignored (scaling a categorical column, encoding a numeric one).
 */
typedef struct lathe__prep_options {
    lathe__impute impute;      /* mean/median: numbers only; most_frequent, constant: any */
    double fill_number;        /* constant fill for numbers, booleans and date parts */
    const char *fill_category; /* constant fill for categories (borrowed during fit) */
    bool missing_indicator;    /* add NAME.missing when training rows had missing cells */
    lathe__power power;        /* numbers only; yeo-johnson also standardizes, like
                                  sklearn's PowerTransformer, so `scale` is then skipped */
    lathe__scale scale;        /* numbers, booleans and date parts */
    lathe__encode encode;      /* categories; for text, anything but drop encodes the
                                  distinct texts as categories */
    /* one-hot: a category seen in fewer than this many training rows (a count
       when >= 1, a fraction of the rows when below 1, 0 for off) is pooled
       into NAME=infrequent. Unknown categories at transform time go to the
       infrequent column when there is one and are all zeros otherwise
       (sklearn's handle_unknown="infrequent_if_exist"). */
    double min_frequency;
    double target_smoothing; /* target encoding: < 0 is sklearn's "auto", else m */
    size_t target_folds;     /* target encoding: out-of-fold folds for training rows, >= 2 */
    unsigned datetime_parts; /* LATHE__DATE_* bits */
} lathe__prep_options;

/* Options for one column by name, overriding its kind's defaults. */
typedef struct lathe__prep_column_options {
    const char *name;
    lathe__prep_options options;
} lathe__prep_column_options;

typedef struct lathe__prep_spec {
    lathe__prep_options by_kind[LATHE_KIND_COUNT];
    const lathe__prep_column_options *columns; /* borrowed during fit; may be NULL */
    size_t n_columns;
    /* Selection on the assembled row. variance keeps features whose variance
       is above select_threshold (at 0: every non-constant feature, like
       sklearn's VarianceThreshold); l1 fits an L1-penalized model (logistic
       regression with C = select_c for classification, the lasso with alpha
       = select_alpha for regression) and keeps the features it gives a
       weight of at least 1e-5 in size (sklearn's SelectFromModel); the
       other criteria keep the select_k best. */
    lathe__select select;
    double select_threshold;
    size_t select_k;
    double select_c;
    double select_alpha;
    /* PCA after selection: 0 off, a count >= 1, or a fraction in (0, 1) of
       the variance to keep. */
    double pca_components;
    lathe__layout layout; /* auto: sparse when wide and mostly zeros, and no PCA */
} lathe__prep_spec;

/*
 * The defaults: numbers impute the median (and are standardized when the
 * model needs scaling), booleans the most frequent value, dates the median
 * of each part; categories impute "missing" and are one-hot encoded; text is
 * dropped; no selection, no PCA, automatic layout.
 */
void lathe__prep_spec_default(lathe__prep_spec *spec, bool model_needs_scaling);

/*
 * The defaults for models that handle missing values and categories
 * themselves (trees): nothing is imputed or scaled, so missing numbers stay
 * NaN, and categories become their codes (NaN when missing or unknown),
 * which lathe__prep_feature_is_code marks for native categorical splits.
 */
void lathe__prep_spec_default_native(lathe__prep_spec *spec);

typedef struct lathe__prep lathe__prep;

/*
 * Fits the pipeline on `features` (the training rows; columns whose role is
 * not "feature" are ignored). `y` holds n_rows targets (class indices 0..
 * n_classes-1 for classification) and may be NULL unless a step needs it
 * (target encoding, supervised selection). The seed for target encoding's
 * folds is the context's.
 *
 * If `train_x` is not NULL it receives the transformed training rows. Use it
 * rather than transforming the training frame again: target-encoded columns
 * of training rows are computed out of fold, so no row sees its own target,
 * and the later steps were fitted on exactly this matrix. The prep keeps
 * `ctx`, which must outlive it.
 */
lathe_status lathe__prep_fit(lathe_ctx *ctx, const lathe_frame *features, const double *y,
                             lathe__task task, size_t n_classes, const lathe__prep_spec *spec,
                             lathe__prep **out, lathe__matrix *train_x, lathe_error *err);

/*
 * Transforms every row of `frame` into *out (dense, or CSR when the prep
 * chose a sparse layout). Columns are found by name; missing ones are
 * reported together, by name. *out belongs to the caller
 * (lathe__matrix_release).
 */
lathe_status lathe__prep_transform(const lathe__prep *prep, const lathe_frame *frame,
                                   lathe__matrix *out, lathe_error *err);

/*
 * Transforms one row without allocating: out gets lathe__prep_n_features
 * values, `work` must hold lathe__prep_work_size doubles (intermediate rows
 * for selection and PCA; a thread reuses it from row to row).
 */
lathe_status lathe__prep_transform_row(const lathe__prep *prep, const lathe_frame *frame,
                                       size_t row, double *out, double *work, lathe_error *err);
size_t lathe__prep_work_size(const lathe__prep *prep);

size_t lathe__prep_n_features(const lathe__prep *prep);
/* "glucose", "color=red", "color=infrequent", "date.month", "mass.missing", "pca_3". */
const char *lathe__prep_feature_name(const lathe__prep *prep, size_t feature);
bool lathe__prep_is_sparse(const lathe__prep *prep);
/* True if the feature holds category codes (encode "codes", no matrix steps after it). */
bool lathe__prep_feature_is_code(const lathe__prep *prep, size_t feature);

/*
 * What was chosen, one note per input column and per matrix step, e.g.
 * subject "glucose", text "impute median (117), standard scale (mean 121.7,
 * std 30.44)". Strings belong to the prep.
 */
typedef struct lathe__prep_note {
    const char *subject;
    const char *text;
} lathe__prep_note;

size_t lathe__prep_n_notes(const lathe__prep *prep);
lathe__prep_note lathe__prep_note_at(const lathe__prep *prep, size_t note);
/* All notes as "subject: text\n" lines, snprintf-style: returns the full length. */
size_t lathe__prep_describe(const lathe__prep *prep, char *buf, size_t size);

void lathe__prep_save(const lathe__prep *prep, lathe__wbuf *buf);
/* Reads what lathe__prep_save wrote; every count and index is checked. */
lathe_status lathe__prep_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__prep **out,
                              lathe_error *err);
void lathe__prep_free(lathe__prep *prep);

#endif
