/*
 * plan.h: the fitted pipeline's insides (internal to src/prep).
 *
 * Every input column has one plan, of one family:
 *   numbers     numeric, boolean and datetime columns: one or more lanes,
 *               each a cell's number (or a date part of it) run through a
 *               chain of numeric steps (numbers.c)
 *   categories  categorical columns, and text columns that are encoded:
 *               the sorted training dictionary, a fill for missing cells and
 *               an encoder (categories.c)
 *   dropped     text left out; kept so describe can say so, never required
 *               when transforming
 * A plan writes its outputs to a contiguous slice of the stage row,
 * followed by its missing indicator when it has one. The matrix steps then
 * run over the whole stage row (pipeline.c).
 */
#ifndef LATHE_PREP_PLAN_H
#define LATHE_PREP_PLAN_H

#include "prep/prep.h"
#include "prep/step.h"

#define LATHE__LANE_STEPS 3     /* impute, power, scale */
#define LATHE__PREP_MAX_STEPS 2 /* selection, pca */

typedef struct lathe__lane {
    uint8_t part; /* index into lathe__date_parts for datetime columns, else 0 */
    uint8_t n_steps;
    uint8_t steps[LATHE__LANE_STEPS]; /* indexes into the table of lathe__num_step_at */
    double params[LATHE__LANE_STEPS][LATHE__NUM_PARAMS];
} lathe__lane;

typedef enum lathe__family {
    LATHE__FAMILY_DROPPED,
    LATHE__FAMILY_NUMBERS,
    LATHE__FAMILY_CATEGORIES,
    LATHE__FAMILY_COUNT
} lathe__family;

typedef struct lathe__plan {
    char *name;
    lathe_kind kind; /* as fitted */
    lathe__family family;
    bool indicator;   /* the last output is NAME.missing */
    size_t n_outputs; /* the indicator included */
    /* numbers */
    size_t n_lanes;
    lathe__lane *lanes;
    /* categories */
    lathe__dictionary dict;
    uint8_t impute;    /* a lathe__impute value: most_frequent or constant */
    int32_t fill_code; /* the code missing cells take, -1 when it is not a training category */
    char *fill_text;
    uint8_t encoder; /* a lathe__encode value */
    void *encoder_state;
} lathe__plan;

/* What fitting one column sees. */
typedef struct lathe__plan_fit {
    lathe_ctx *ctx;
    const lathe_frame *frame;
    size_t column;
    const double *y;
    lathe__task task;
    size_t n_classes;
    const lathe__prep_options *options;
} lathe__plan_fit;

typedef struct lathe__family_ops {
    /* Fits plan (name and kind already set); *training as lathe__encoder_ops.fit. */
    lathe_status (*fit)(const lathe__plan_fit *in, lathe__plan *plan, double **training,
                        lathe_error *err);
    /* The outputs before the indicator for one row of `column` of `frame`. */
    void (*write)(const lathe__plan *plan, const lathe_frame *frame, size_t column, size_t row,
                  double *out);
    /* The full name of output i (not the indicator). */
    void (*output_name)(const lathe__plan *plan, size_t output, char *buf, size_t size);
    /* How many outputs a typical row has nonzero (for choosing a sparse layout). */
    double (*nonzeros)(const lathe__plan *plan);
    void (*describe)(const lathe__plan *plan, char *buf, size_t size);
    void (*save)(const lathe__plan *plan, lathe__wbuf *buf);
    /* Reads the family's part of a plan; sets n_outputs (the indicator excluded). */
    lathe_status (*load)(lathe_ctx *ctx, lathe__rbuf *buf, lathe__plan *plan, lathe_error *err);
    void (*release)(lathe_ctx *ctx, lathe__plan *plan);
} lathe__family_ops;

extern const lathe__family_ops lathe__family_dropped, lathe__family_numbers,
    lathe__family_categories;
const lathe__family_ops *lathe__family_of(lathe__family family);

/* Whether a frame column of kind `have` can feed a plan fitted on kind `fitted`. */
bool lathe__kind_compatible(lathe_kind fitted, lathe_kind have);

/* The encoders by lathe__encode value (NULL for drop). */
const lathe__encoder_ops *lathe__encoder_of(int encode);

/* The numeric step table saved pipelines index. */
const lathe__num_step_ops *lathe__num_step_at(size_t index, size_t *count);

struct lathe__prep {
    lathe_ctx *ctx;
    size_t n_plans;
    lathe__plan *plans;
    size_t stage_width;
    char **stage_names; /* stage_width names */
    size_t n_steps;
    uint8_t step_ids[LATHE__PREP_MAX_STEPS]; /* indexes into lathe__matrix_step_at */
    void *step_states[LATHE__PREP_MAX_STEPS];
    size_t n_features;
    char **feature_names;
    size_t max_width; /* the widest row: stage or any step's output */
    bool sparse;
    size_t n_notes;
    lathe__prep_note *notes; /* subject and text owned */
};

const lathe__matrix_step_ops *lathe__matrix_step_at(size_t index);
#define LATHE__MATRIX_STEP_COUNT 2

lathe__prep *lathe__prep_new(lathe_ctx *ctx);
/* Stage width and names from the plans (before the matrix steps are fitted or loaded). */
lathe_status lathe__prep_layout(lathe__prep *prep, lathe_error *err);
/* Feature names, the widest row and the notes, once the steps are in place. */
lathe_status lathe__prep_finish(lathe__prep *prep, lathe_error *err);
/* The input width of matrix step s (s == n_steps: the final width). */
size_t lathe__prep_step_inputs(const lathe__prep *prep, size_t step);
/* Owned copies of the output names of step s, given its input names. */
lathe_status lathe__prep_names_after(const lathe__prep *prep, size_t step,
                                     const char *const *inputs, char ***out, lathe_error *err);
void lathe__prep_names_free(lathe_ctx *ctx, char **names, size_t count);
/* Checks every choice and number of a spec, naming the bad one. */
lathe_status lathe__prep_spec_check(const lathe__prep_spec *spec, lathe_error *err);

#endif
