/*
 * pipeline.c: fitting the pipeline and running rows through it.
 *
 * Fit: every feature column gets a plan (plan.h) fitted on the training
 * rows; the training rows are then assembled into the stage matrix (target
 * encodings out of fold), each matrix step is fitted on the output of the
 * one before, and the last output is the training matrix.
 *
 * Transform: columns are bound by name once per call (or per plan with a
 * moving guess for one row), each row is written by the plans into the
 * stage row and run through the matrix steps, ping-ponging between two
 * halves of a work buffer; nothing is allocated per row.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "prep/plan.h"

#include "core/banned.h"

#define SPARSE_MIN_FEATURES 64
#define SPARSE_MAX_DENSITY 0.25

/* ---- the tables ------------------------------------------------------- */

static const lathe__family_ops *const families[LATHE__FAMILY_COUNT] = {
    [LATHE__FAMILY_DROPPED] = &lathe__family_dropped,
    [LATHE__FAMILY_NUMBERS] = &lathe__family_numbers,
    [LATHE__FAMILY_CATEGORIES] = &lathe__family_categories,
};

const lathe__family_ops *lathe__family_of(lathe__family family)
{
    return (unsigned)family < LATHE__FAMILY_COUNT ? families[family] : NULL;
}

static const lathe__encoder_ops *const encoders[LATHE__ENCODE_COUNT] = {
    [LATHE__ENCODE_ONEHOT] = &lathe__encode_onehot,
    [LATHE__ENCODE_ORDINAL] = &lathe__encode_ordinal,
    [LATHE__ENCODE_TARGET] = &lathe__encode_target,
    [LATHE__ENCODE_DROP] = NULL,
    [LATHE__ENCODE_CODES] = &lathe__encode_codes,
};

const lathe__encoder_ops *lathe__encoder_of(int encode)
{
    return encode >= 0 && encode < LATHE__ENCODE_COUNT ? encoders[encode] : NULL;
}

/* Saved pipelines index this table: only append. */
static const lathe__matrix_step_ops *const matrix_steps[LATHE__MATRIX_STEP_COUNT] = {
    &lathe__select_step,
    &lathe__pca_step,
};

const lathe__matrix_step_ops *lathe__matrix_step_at(size_t index)
{
    return index < LATHE__MATRIX_STEP_COUNT ? matrix_steps[index] : NULL;
}

/* The family each kind's columns fit into (categories may still be dropped). */
static const lathe__family family_by_kind[LATHE_KIND_COUNT] = {
    [LATHE_KIND_NUMERIC] = LATHE__FAMILY_NUMBERS,
    [LATHE_KIND_CATEGORICAL] = LATHE__FAMILY_CATEGORIES,
    [LATHE_KIND_BOOLEAN] = LATHE__FAMILY_NUMBERS,
    [LATHE_KIND_DATETIME] = LATHE__FAMILY_NUMBERS,
    [LATHE_KIND_TEXT] = LATHE__FAMILY_CATEGORIES,
};

/* Kinds a frame may bring for a plan: numbers and booleans mix, as do categories and text. */
static const int kind_group[LATHE_KIND_COUNT] = {
    [LATHE_KIND_NUMERIC] = 0,     [LATHE_KIND_BOOLEAN] = 0, [LATHE_KIND_DATETIME] = 1,
    [LATHE_KIND_CATEGORICAL] = 2, [LATHE_KIND_TEXT] = 2,
};

bool lathe__kind_compatible(lathe_kind fitted, lathe_kind have)
{
    return kind_group[fitted] == kind_group[have];
}

/* ---- finding columns -------------------------------------------------- */

/* Finds plan's column by name, trying `*guess` (the column after the last match) first. */
static bool resolve(const lathe__plan *plan, const lathe_frame *frame, size_t *guess,
                    size_t *column)
{
    size_t n = lathe_frame_n_columns(frame);
    if (*guess < n && strcmp(lathe_frame_column_name(frame, *guess), plan->name) == 0)
        *column = *guess;
    else if (!lathe_frame_find(frame, plan->name, column))
        return false;
    *guess = *column + 1;
    return true;
}

/* Names every plan column the frame lacks, or has with a kind that cannot feed it. */
static lathe_status bind_error(const lathe__prep *prep, const lathe_frame *frame, lathe_error *err)
{
    char missing[LATHE_ERROR_MESSAGE_MAX] = "";
    size_t used = 0, n_missing = 0;
    for (size_t i = 0; i < prep->n_plans; i++) {
        const lathe__plan *plan = &prep->plans[i];
        size_t column;
        if (plan->family == LATHE__FAMILY_DROPPED)
            continue;
        if (!lathe_frame_find(frame, plan->name, &column)) {
            lathe__format(missing + used, sizeof missing - used, "%s%s", n_missing ? ", " : "",
                          plan->name);
            used += strlen(missing + used);
            n_missing++;
            continue;
        }
        lathe_kind kind = lathe_frame_column_kind(frame, column);
        if (!lathe__kind_compatible(plan->kind, kind))
            return lathe__error(err, LATHE_INVALID,
                                "column %s is %s here but was %s when the pipeline was fitted",
                                plan->name, lathe_kind_name(kind), lathe_kind_name(plan->kind));
    }
    if (n_missing)
        return lathe__error(err, LATHE_NOT_FOUND,
                            "the frame lacks %zu column%s the pipeline was fitted on: %s",
                            n_missing, n_missing == 1 ? "" : "s", missing);
    return LATHE_OK;
}

static bool bind_one(const lathe__plan *plan, const lathe_frame *frame, size_t *guess,
                     size_t *column)
{
    return resolve(plan, frame, guess, column) &&
           lathe__kind_compatible(plan->kind, lathe_frame_column_kind(frame, *column));
}

/* columns[i] = the frame column of plan i (dropped plans: unused). */
static lathe_status bind_columns(const lathe__prep *prep, const lathe_frame *frame, size_t *columns,
                                 lathe_error *err)
{
    size_t guess = 0;
    for (size_t i = 0; i < prep->n_plans; i++) {
        columns[i] = 0;
        if (prep->plans[i].family != LATHE__FAMILY_DROPPED &&
            !bind_one(&prep->plans[i], frame, &guess, &columns[i]))
            return bind_error(prep, frame, err);
    }
    return LATHE_OK;
}

/* ---- rows ------------------------------------------------------------- */

/* Plan outputs for one row; `training` (out-of-fold rows) replaces the family's own. */
static void plan_row(const lathe__plan *plan, const lathe_frame *frame, size_t column, size_t row,
                     const double *training, double *out)
{
    size_t n_values = plan->n_outputs - plan->indicator;
    if (training)
        memcpy(out, training + row * n_values, n_values * sizeof *out);
    else
        families[plan->family]->write(plan, frame, column, row, out);
    if (plan->indicator)
        out[n_values] = lathe_frame_is_missing(frame, column, row) ? 1.0 : 0.0;
}

static void stage_row(const lathe__prep *prep, const lathe_frame *frame, const size_t *columns,
                      size_t row, double *const *training, double *out)
{
    for (size_t i = 0; i < prep->n_plans; i++) {
        const lathe__plan *plan = &prep->plans[i];
        if (plan->family == LATHE__FAMILY_DROPPED)
            continue;
        plan_row(plan, frame, columns[i], row, training ? training[i] : NULL, out);
        out += plan->n_outputs;
    }
}

/* Runs steps [0, n_steps) over the row in a, using b as the other half; returns the result. */
static const double *run_steps(const lathe__prep *prep, size_t n_steps, double *a, double *b)
{
    for (size_t s = 0; s < n_steps; s++) {
        matrix_steps[prep->step_ids[s]]->transform(prep->step_states[s], a, b);
        double *swap = a;
        a = b;
        b = swap;
    }
    return a;
}

size_t lathe__prep_work_size(const lathe__prep *prep)
{
    return 2 * prep->max_width;
}

lathe_status lathe__prep_transform_row(const lathe__prep *prep, const lathe_frame *frame,
                                       size_t row, double *out, double *work, lathe_error *err)
{
    if (row >= lathe_frame_n_rows(frame))
        return lathe__error(err, LATHE_INVALID, "row %zu is out of range (the frame has %zu)", row,
                            lathe_frame_n_rows(frame));
    size_t guess = 0, column;
    double *stage = work;
    for (size_t i = 0; i < prep->n_plans; i++) {
        const lathe__plan *plan = &prep->plans[i];
        if (plan->family == LATHE__FAMILY_DROPPED)
            continue;
        if (!bind_one(plan, frame, &guess, &column))
            return bind_error(prep, frame, err);
        plan_row(plan, frame, column, row, NULL, stage);
        stage += plan->n_outputs;
    }
    const double *result = run_steps(prep, prep->n_steps, work, work + prep->max_width);
    memcpy(out, result, prep->n_features * sizeof *out);
    return LATHE_OK;
}

/* ---- matrices --------------------------------------------------------- */

static void matrix_clear(lathe_ctx *ctx, lathe__matrix *m)
{
    lathe__free(ctx, m->dense);
    lathe__free(ctx, m->row_start);
    lathe__free(ctx, m->col_index);
    lathe__free(ctx, m->sparse_values);
    memset(m, 0, sizeof *m);
}

/* Fills a dense or CSR matrix row by row. */
typedef struct builder {
    lathe_ctx *ctx;
    lathe__matrix *m;
    size_t nonzeros;
    size_t capacity;
} builder;

static lathe_status builder_start(builder *b, lathe_ctx *ctx, size_t n_rows, size_t n_cols,
                                  bool sparse, lathe__matrix *m, lathe_error *err)
{
    size_t cells;
    memset(m, 0, sizeof *m);
    *b = (builder){ctx, m, 0, 0};
    m->n_rows = n_rows;
    m->n_cols = n_cols;
    if (sparse && n_cols > UINT32_MAX)
        return lathe__error(err, LATHE_LIMIT, "%zu features are too many for a sparse matrix",
                            n_cols);
    if (sparse)
        m->row_start = lathe__calloc(ctx, n_rows + 1, sizeof *m->row_start);
    else if (lathe__mul_overflows(n_rows, n_cols, &cells))
        return lathe__error(err, LATHE_LIMIT, "%zu rows by %zu features is too large", n_rows,
                            n_cols);
    else
        m->dense = lathe__calloc(ctx, cells ? cells : 1, sizeof *m->dense);
    if (!m->row_start && !m->dense)
        return lathe__error_nomem(err);
    return LATHE_OK;
}

static lathe_status builder_row(builder *b, size_t row, const double *values, lathe_error *err)
{
    lathe__matrix *m = b->m;
    if (m->dense) {
        memcpy(m->dense + row * m->n_cols, values, m->n_cols * sizeof *values);
        return LATHE_OK;
    }
    m->row_start[row] = b->nonzeros;
    for (size_t j = 0; j < m->n_cols; j++) {
        if (values[j] == 0)
            continue;
        size_t capacity = b->capacity;
        void *index = m->col_index, *stored = m->sparse_values;
        bool ok = lathe__grow(b->ctx, &index, &capacity, b->nonzeros + 1, sizeof *m->col_index);
        m->col_index = index;
        capacity = b->capacity;
        ok = ok && lathe__grow(b->ctx, &stored, &capacity, b->nonzeros + 1, sizeof(double));
        m->sparse_values = stored;
        if (!ok)
            return lathe__error_nomem(err);
        b->capacity = capacity;
        m->col_index[b->nonzeros] = (uint32_t)j;
        m->sparse_values[b->nonzeros++] = values[j];
    }
    m->row_start[row + 1] = b->nonzeros;
    return LATHE_OK;
}

/*
 * Runs every row of `frame` through the plans and the first `n_steps` steps
 * into *out (width `n_cols`, sparse or dense).
 */
static lathe_status frame_to_matrix(const lathe__prep *prep, const lathe_frame *frame,
                                    double *const *training, size_t n_steps, size_t n_cols,
                                    bool sparse, lathe__matrix *out, lathe_error *err)
{
    lathe_ctx *ctx = prep->ctx;
    size_t n_rows = lathe_frame_n_rows(frame);
    memset(out, 0, sizeof *out);
    size_t *columns = lathe__calloc(ctx, prep->n_plans + 1, sizeof *columns);
    double *work = lathe__calloc(ctx, 2 * prep->max_width + 1, sizeof *work);
    builder b;
    lathe_status status =
        columns && work ? bind_columns(prep, frame, columns, err) : lathe__error_nomem(err);
    if (status == LATHE_OK)
        status = builder_start(&b, ctx, n_rows, n_cols, sparse, out, err);
    for (size_t r = 0; r < n_rows && status == LATHE_OK; r++) {
        stage_row(prep, frame, columns, r, training, work);
        status = builder_row(&b, r, run_steps(prep, n_steps, work, work + prep->max_width), err);
    }
    if (status != LATHE_OK)
        matrix_clear(ctx, out);
    lathe__free(ctx, columns);
    lathe__free(ctx, work);
    return status;
}

lathe_status lathe__prep_transform(const lathe__prep *prep, const lathe_frame *frame,
                                   lathe__matrix *out, lathe_error *err)
{
    return frame_to_matrix(prep, frame, NULL, prep->n_steps, prep->n_features, prep->sparse, out,
                           err);
}

/* ---- fitting ---------------------------------------------------------- */

static const lathe__prep_options *options_for(const lathe__prep_spec *spec, const char *name,
                                              lathe_kind kind)
{
    for (size_t i = 0; i < spec->n_columns; i++) {
        if (strcmp(spec->columns[i].name, name) == 0)
            return &spec->columns[i].options;
    }
    return &spec->by_kind[kind];
}

static lathe__family family_for(lathe_kind kind, const lathe__prep_options *options)
{
    lathe__family family = family_by_kind[kind];
    if (family == LATHE__FAMILY_CATEGORIES && options->encode == LATHE__ENCODE_DROP)
        return LATHE__FAMILY_DROPPED;
    return family;
}

typedef struct fit_job {
    lathe_ctx *ctx;
    const lathe_frame *features;
    const double *y;
    lathe__task task;
    size_t n_classes;
    const lathe__prep_spec *spec;
} fit_job;

static lathe_status fit_plan(const fit_job *job, size_t column, lathe__plan *plan,
                             double **training, lathe_error *err)
{
    const lathe_frame *frame = job->features;
    plan->kind = lathe_frame_column_kind(frame, column);
    plan->name = lathe__strndup(job->ctx, lathe_frame_column_name(frame, column),
                                strlen(lathe_frame_column_name(frame, column)));
    if (!plan->name)
        return lathe__error_nomem(err);
    const lathe__prep_options *options = options_for(job->spec, plan->name, plan->kind);
    plan->family = family_for(plan->kind, options);
    if (plan->family == LATHE__FAMILY_DROPPED)
        return LATHE_OK;
    lathe__plan_fit in = {job->ctx, frame, column, job->y, job->task, job->n_classes, options};
    lathe_status status = families[plan->family]->fit(&in, plan, training, err);
    if (status != LATHE_OK)
        return status;
    if (plan->n_outputs == 0) {
        families[plan->family]->release(job->ctx, plan);
        plan->family = LATHE__FAMILY_DROPPED;
        return LATHE_OK;
    }
    plan->indicator = options->missing_indicator && lathe_frame_column_missing(frame, column) > 0;
    plan->n_outputs += plan->indicator;
    return LATHE_OK;
}

static lathe_status fit_plans(lathe__prep *prep, const fit_job *job, double **training,
                              lathe_error *err)
{
    const lathe_frame *frame = job->features;
    size_t n_columns = lathe_frame_n_columns(frame);
    prep->plans = lathe__calloc(prep->ctx, n_columns + 1, sizeof *prep->plans);
    if (!prep->plans)
        return lathe__error_nomem(err);
    for (size_t c = 0; c < n_columns; c++) {
        if (lathe_frame_column_role(frame, c) != LATHE_ROLE_FEATURE)
            continue;
        if (lathe__progress(prep->ctx, "prep", (double)c, (double)n_columns))
            return lathe__error(err, LATHE_CANCELED, "preprocessing was canceled");
        lathe__plan *plan = &prep->plans[prep->n_plans++];
        lathe_status status = fit_plan(job, c, plan, &training[prep->n_plans - 1], err);
        if (status != LATHE_OK)
            return status;
    }
    return LATHE_OK;
}

static bool choose_sparse(const lathe__prep *prep, const lathe__prep_spec *spec)
{
    if (spec->layout != LATHE__LAYOUT_AUTO)
        return spec->layout == LATHE__LAYOUT_SPARSE;
    if (spec->pca_components > 0 || prep->stage_width < SPARSE_MIN_FEATURES)
        return false;
    double nonzeros = 0;
    for (size_t i = 0; i < prep->n_plans; i++)
        nonzeros += families[prep->plans[i].family]->nonzeros(&prep->plans[i]);
    return nonzeros <= SPARSE_MAX_DENSITY * (double)prep->stage_width;
}

/* Fits matrix step `id` on m (dense) and replaces m with its output. */
static lathe_status fit_step(lathe__prep *prep, const fit_job *job, size_t id,
                             const char *const *names, lathe__matrix *m, lathe_error *err)
{
    const lathe__matrix_step_ops *ops = matrix_steps[id];
    lathe__matrix_fit_input in = {m->dense, m->n_rows, m->n_cols,      names,
                                  job->y,   job->task, job->n_classes, job->spec};
    size_t s = prep->n_steps;
    lathe_status status = ops->fit(prep->ctx, &in, &prep->step_states[s], err);
    if (status != LATHE_OK)
        return status;
    prep->step_ids[s] = (uint8_t)id;
    prep->n_steps++;
    lathe__matrix next;
    builder b;
    size_t width = ops->n_outputs(prep->step_states[s]);
    status = builder_start(&b, prep->ctx, m->n_rows, width, false, &next, err);
    for (size_t r = 0; r < m->n_rows && status == LATHE_OK; r++)
        ops->transform(prep->step_states[s], m->dense + r * m->n_cols, next.dense + r * width);
    if (status != LATHE_OK)
        return status;
    matrix_clear(prep->ctx, m);
    *m = next;
    return LATHE_OK;
}

/* Dense to CSR, for a sparse layout after selection. */
static lathe_status to_sparse(lathe_ctx *ctx, lathe__matrix *m, lathe_error *err)
{
    lathe__matrix sparse;
    builder b;
    lathe_status status = builder_start(&b, ctx, m->n_rows, m->n_cols, true, &sparse, err);
    for (size_t r = 0; r < m->n_rows && status == LATHE_OK; r++)
        status = builder_row(&b, r, m->dense + r * m->n_cols, err);
    if (status != LATHE_OK) {
        matrix_clear(ctx, &sparse);
        return status;
    }
    matrix_clear(ctx, m);
    *m = sparse;
    return LATHE_OK;
}

/* Fits the wanted matrix steps in order on the stage matrix m, leaving their output in m. */
static lathe_status fit_steps(lathe__prep *prep, const fit_job *job, lathe__matrix *m,
                              lathe_error *err)
{
    size_t wanted[LATHE__PREP_MAX_STEPS], n_wanted = 0;
    if (job->spec->select != LATHE__SELECT_NONE)
        wanted[n_wanted++] = 0;
    if (job->spec->pca_components > 0)
        wanted[n_wanted++] = 1;
    char **names = prep->stage_names, **owned = NULL;
    size_t n_owned = 0;
    lathe_status status = LATHE_OK;
    for (size_t i = 0; i < n_wanted && status == LATHE_OK; i++) {
        status = fit_step(prep, job, wanted[i], (const char *const *)names, m, err);
        char **next = NULL;
        if (status == LATHE_OK)
            status = lathe__prep_names_after(prep, prep->n_steps - 1, (const char *const *)names,
                                             &next, err);
        lathe__prep_names_free(prep->ctx, owned, n_owned);
        owned = names = next;
        n_owned = m->n_cols;
    }
    lathe__prep_names_free(prep->ctx, owned, n_owned);
    return status;
}

/* The training matrix: through the plans (out of fold), then the matrix steps, fitted on the way.
 */
static lathe_status fit_matrix(lathe__prep *prep, const fit_job *job, double *const *training,
                               lathe__matrix *train_x, lathe_error *err)
{
    const lathe__prep_spec *spec = job->spec;
    bool steps = spec->select != LATHE__SELECT_NONE || spec->pca_components > 0;
    prep->max_width = prep->stage_width;
    if (!steps && !train_x)
        return LATHE_OK;
    lathe__matrix m;
    lathe_status status = frame_to_matrix(prep, job->features, training, 0, prep->stage_width,
                                          prep->sparse && !steps, &m, err);
    if (status == LATHE_OK && steps)
        status = fit_steps(prep, job, &m, err);
    if (status == LATHE_OK && steps && prep->sparse)
        status = to_sparse(prep->ctx, &m, err);
    if (status == LATHE_OK && train_x)
        *train_x = m;
    else
        matrix_clear(prep->ctx, &m);
    return status;
}

static lathe_status check_target(const fit_job *job, lathe_error *err)
{
    size_t n_rows = lathe_frame_n_rows(job->features);
    if (n_rows == 0)
        return lathe__error(err, LATHE_INVALID, "no training rows to fit the pipeline on");
    if (!job->y)
        return LATHE_OK;
    bool classes = job->task == LATHE__TASK_CLASSIFICATION;
    if (classes && job->n_classes < 2)
        return lathe__error(err, LATHE_INVALID, "classification needs at least 2 classes");
    for (size_t r = 0; r < n_rows; r++) {
        double y = job->y[r];
        bool ok = classes ? y >= 0 && y < (double)job->n_classes && y == floor(y) : isfinite(y);
        if (!ok)
            return lathe__error(err, LATHE_INVALID, "target of training row %zu is %g, not %s", r,
                                y, classes ? "a class index" : "a finite number");
    }
    return LATHE_OK;
}

/* Feature columns must have distinct names, since frames are matched by name. */
static lathe_status check_names(lathe_ctx *ctx, const lathe_frame *frame, lathe_error *err)
{
    lathe__interner names;
    lathe__interner_init(&names, ctx);
    lathe_status status = LATHE_OK;
    for (size_t c = 0; c < lathe_frame_n_columns(frame) && status == LATHE_OK; c++) {
        const char *name = lathe_frame_column_name(frame, c);
        int32_t id;
        bool added;
        if (lathe_frame_column_role(frame, c) != LATHE_ROLE_FEATURE)
            continue;
        status = lathe__interner_put(&names, name, strlen(name), &id, &added);
        if (status != LATHE_OK)
            status = lathe__error_nomem(err);
        else if (!added)
            status = lathe__error(err, LATHE_INVALID, "two feature columns are named %s", name);
    }
    lathe__interner_release(&names);
    return status;
}

lathe_status lathe__prep_fit(lathe_ctx *ctx, const lathe_frame *features, const double *y,
                             lathe__task task, size_t n_classes, const lathe__prep_spec *spec,
                             lathe__prep **out, lathe__matrix *train_x, lathe_error *err)
{
    fit_job job = {ctx, features, y, task, n_classes, spec};
    size_t n_columns = lathe_frame_n_columns(features);
    lathe_status status = lathe__prep_spec_check(spec, err);
    if (status == LATHE_OK)
        status = check_target(&job, err);
    if (status == LATHE_OK)
        status = check_names(ctx, features, err);
    if (status != LATHE_OK)
        return status;
    lathe__prep *prep = lathe__prep_new(ctx);
    double **training = lathe__calloc(ctx, n_columns + 1, sizeof *training);
    if (!prep || !training) {
        lathe__prep_free(prep);
        lathe__free(ctx, training);
        return lathe__error_nomem(err);
    }
    status = fit_plans(prep, &job, training, err);
    if (status == LATHE_OK)
        status = lathe__prep_layout(prep, err);
    lathe__matrix result = {0};
    if (status == LATHE_OK) {
        prep->sparse = choose_sparse(prep, spec);
        status = fit_matrix(prep, &job, training, train_x ? &result : NULL, err);
    }
    if (status == LATHE_OK)
        status = lathe__prep_finish(prep, err);
    for (size_t i = 0; i < n_columns; i++)
        lathe__free(ctx, training[i]);
    lathe__free(ctx, training);
    if (status != LATHE_OK) {
        matrix_clear(ctx, &result);
        lathe__prep_free(prep);
        return status;
    }
    if (train_x)
        *train_x = result;
    *out = prep;
    return LATHE_OK;
}
