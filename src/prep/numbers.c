/*
 * numbers.c: the plan family for numeric, boolean and datetime columns.
 *
 * A plan holds lanes. A numeric or boolean column (booleans read as 0/1)
 * has one lane; a datetime column one per date part asked for. A lane reads
 * the cell's number (NaN when missing, or when not finite: infinities are
 * imputed like missing cells) and runs it through its numeric steps:
 * impute, then log1p or yeo-johnson (numeric columns only), then scale
 * (skipped after yeo-johnson, which standardizes). At fit each step is
 * fitted on the output of the one before over all training rows, and the
 * same apply functions then transform new rows, so training and serving
 * compute the same numbers.
 *
 * The numeric step table below is what saved pipelines index: only append.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "data/column.h"
#include "prep/plan.h"

#include "core/banned.h"

static const lathe__num_step_ops *const step_table[] = {
    &lathe__impute_mean,     &lathe__impute_median, &lathe__impute_most_frequent,
    &lathe__impute_constant, &lathe__power_log1p,   &lathe__power_yeo_johnson,
    &lathe__scale_standard,  &lathe__scale_minmax,  &lathe__scale_robust,
};
#define N_STEP_OPS (sizeof step_table / sizeof step_table[0])
#define NO_STEP 0xff

/* Table indexes by option value (NO_STEP: none). */
static const uint8_t impute_step[LATHE__IMPUTE_COUNT] = {0, 1, 2, 3, NO_STEP};
static const uint8_t power_step[LATHE__POWER_COUNT] = {NO_STEP, 4, 5};
static const uint8_t scale_step[LATHE__SCALE_COUNT] = {NO_STEP, 6, 7, 8};

const lathe__num_step_ops *lathe__num_step_at(size_t index, size_t *count)
{
    if (count)
        *count = N_STEP_OPS;
    return index < N_STEP_OPS ? step_table[index] : NULL;
}

static double lane_input(const lathe__lane *lane, const lathe_frame *frame, size_t column,
                         size_t row)
{
    if (lathe_frame_is_missing(frame, column, row))
        return NAN;
    lathe_kind kind = lathe_frame_column_kind(frame, column);
    if (kind == LATHE_KIND_DATETIME) {
        size_t n_parts;
        const lathe__date_part *parts = lathe__date_parts(&n_parts);
        return parts[lane->part].extract(lathe_frame_datetime(frame, column, row));
    }
    if (kind == LATHE_KIND_BOOLEAN)
        return lathe_frame_boolean(frame, column, row) ? 1.0 : 0.0;
    double x = lathe_frame_numeric(frame, column, row);
    return isfinite(x) ? x : NAN;
}

static double lane_apply(const lathe__lane *lane, double x)
{
    for (size_t s = 0; s < lane->n_steps; s++)
        x = step_table[lane->steps[s]]->apply(lane->params[s], x);
    return x;
}

static void numbers_write(const lathe__plan *plan, const lathe_frame *frame, size_t column,
                          size_t row, double *out)
{
    for (size_t i = 0; i < plan->n_lanes; i++)
        out[i] = lane_apply(&plan->lanes[i], lane_input(&plan->lanes[i], frame, column, row));
}

/* The steps a lane of this kind gets from the options. */
static void lane_chain(lathe__lane *lane, lathe_kind kind, const lathe__prep_options *options)
{
    if (impute_step[options->impute] != NO_STEP)
        lane->steps[lane->n_steps++] = impute_step[options->impute];
    uint8_t power = kind == LATHE_KIND_NUMERIC ? power_step[options->power] : NO_STEP;
    if (power != NO_STEP)
        lane->steps[lane->n_steps++] = power;
    uint8_t scale = scale_step[options->scale];
    if (scale != NO_STEP && power != power_step[LATHE__POWER_YEO_JOHNSON])
        lane->steps[lane->n_steps++] = scale;
}

/* Fits each step of a lane on values[0..n), transforming them as it goes. */
static lathe_status lane_fit(lathe_ctx *ctx, lathe__lane *lane, double *values, size_t n,
                             const lathe__prep_options *options, lathe_error *err)
{
    for (size_t s = 0; s < lane->n_steps; s++) {
        const lathe__num_step_ops *ops = step_table[lane->steps[s]];
        lathe_status status = ops->fit(ctx, values, n, options, lane->params[s], err);
        if (status != LATHE_OK)
            return status;
        for (size_t r = 0; r < n; r++)
            values[r] = ops->apply(lane->params[s], values[r]);
    }
    return LATHE_OK;
}

/* The lanes of a column: one, or one per date part asked for (time parts only with times). */
static size_t plan_lanes(const lathe__plan_fit *in, lathe__lane *lanes)
{
    if (lathe_frame_column_kind(in->frame, in->column) != LATHE_KIND_DATETIME) {
        lanes[0].part = 0;
        return 1;
    }
    bool date_only = in->frame->columns[in->column]->date_only;
    size_t n_parts, n = 0;
    const lathe__date_part *parts = lathe__date_parts(&n_parts);
    for (size_t p = 0; p < n_parts; p++) {
        if ((in->options->datetime_parts & parts[p].bit) && !(parts[p].needs_time && date_only))
            lanes[n++].part = (uint8_t)p;
    }
    return n;
}

static lathe_status numbers_fit(const lathe__plan_fit *in, lathe__plan *plan, double **training,
                                lathe_error *err)
{
    lathe_ctx *ctx = in->ctx;
    size_t n_rows = lathe_frame_n_rows(in->frame), n_parts;
    lathe__date_parts(&n_parts);
    *training = NULL;
    plan->lanes = lathe__calloc(ctx, n_parts, sizeof *plan->lanes);
    double *values = lathe__calloc(ctx, n_rows, sizeof *values);
    lathe_status status = LATHE_OK;
    if (!plan->lanes || !values) {
        status = lathe__error_nomem(err);
        goto out;
    }
    plan->n_lanes = plan_lanes(in, plan->lanes);
    for (size_t i = 0; i < plan->n_lanes && status == LATHE_OK; i++) {
        lathe__lane *lane = &plan->lanes[i];
        lane_chain(lane, plan->kind, in->options);
        for (size_t r = 0; r < n_rows; r++)
            values[r] = lane_input(lane, in->frame, in->column, r);
        status = lane_fit(ctx, lane, values, n_rows, in->options, err);
    }
    plan->n_outputs = plan->n_lanes;
out:
    lathe__free(ctx, values);
    return status;
}

static void numbers_output_name(const lathe__plan *plan, size_t output, char *buf, size_t size)
{
    if (plan->kind != LATHE_KIND_DATETIME) {
        lathe__format(buf, size, "%s", plan->name);
        return;
    }
    size_t n_parts;
    const lathe__date_part *parts = lathe__date_parts(&n_parts);
    lathe__format(buf, size, "%s.%s", plan->name, parts[plan->lanes[output].part].name);
}

static double numbers_nonzeros(const lathe__plan *plan)
{
    return (double)plan->n_lanes;
}

/* "impute median (117), standard scale (mean 3, std 2)"; numbers only with `params`. */
static size_t describe_chain(const lathe__lane *lane, bool params, char *buf, size_t size)
{
    size_t used = 0;
    for (size_t s = 0; s < lane->n_steps && used < size; s++) {
        const lathe__num_step_ops *ops = step_table[lane->steps[s]];
        char numbers[128] = "";
        if (params)
            ops->describe(lane->params[s], numbers, sizeof numbers);
        lathe__format(buf + used, size - used, "%s%s%s%s", s ? ", " : "", ops->name,
                      numbers[0] ? " " : "", numbers);
        used += strlen(buf + used);
    }
    return used;
}

static void numbers_describe(const lathe__plan *plan, char *buf, size_t size)
{
    size_t used = 0;
    if (plan->kind == LATHE_KIND_BOOLEAN) {
        lathe__format(buf, size, "0/1, ");
        used = strlen(buf);
    } else if (plan->kind == LATHE_KIND_DATETIME) {
        size_t n_parts;
        const lathe__date_part *parts = lathe__date_parts(&n_parts);
        lathe__format(buf, size, "expanded to");
        used = strlen(buf);
        for (size_t i = 0; i < plan->n_lanes && used < size; i++) {
            lathe__format(buf + used, size - used, "%s%s", i ? ", " : " ",
                          parts[plan->lanes[i].part].name);
            used += strlen(buf + used);
        }
        lathe__format(buf + used, size - used, "; each: ");
        used += strlen(buf + used);
    }
    if (plan->n_lanes > 0 && used < size)
        describe_chain(&plan->lanes[0], plan->n_lanes == 1, buf + used, size - used);
}

static void numbers_save(const lathe__plan *plan, lathe__wbuf *buf)
{
    lathe__wbuf_u64(buf, plan->n_lanes);
    for (size_t i = 0; i < plan->n_lanes; i++) {
        const lathe__lane *lane = &plan->lanes[i];
        lathe__wbuf_u8(buf, lane->part);
        lathe__wbuf_u8(buf, lane->n_steps);
        for (size_t s = 0; s < lane->n_steps; s++) {
            lathe__wbuf_u8(buf, lane->steps[s]);
            for (size_t p = 0; p < LATHE__NUM_PARAMS; p++)
                lathe__wbuf_f64(buf, lane->params[s][p]);
        }
    }
}

static void lane_read(lathe__rbuf *buf, lathe__lane *lane, size_t n_parts)
{
    lane->part = lathe__rbuf_u8(buf);
    lane->n_steps = lathe__rbuf_u8(buf);
    if (lane->part >= n_parts || lane->n_steps > LATHE__LANE_STEPS) {
        lathe__rbuf_fail(buf, "lane with date part %u and %u steps", lane->part, lane->n_steps);
        lane->n_steps = 0;
        return;
    }
    for (size_t s = 0; s < lane->n_steps; s++) {
        lane->steps[s] = lathe__rbuf_u8(buf);
        if (lane->steps[s] >= N_STEP_OPS) {
            lathe__rbuf_fail(buf, "unknown numeric step %u", lane->steps[s]);
            lane->n_steps = 0;
            return;
        }
        for (size_t p = 0; p < LATHE__NUM_PARAMS; p++)
            lane->params[s][p] = lathe__rbuf_f64(buf);
    }
}

static lathe_status numbers_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__plan *plan,
                                 lathe_error *err)
{
    size_t n_parts;
    lathe__date_parts(&n_parts);
    uint64_t n_lanes = lathe__rbuf_u64(buf);
    size_t most = plan->kind == LATHE_KIND_DATETIME ? n_parts : 1;
    if (!buf->failed && (n_lanes == 0 || n_lanes > most))
        lathe__rbuf_fail(buf, "%s has %llu lanes", plan->name, (unsigned long long)n_lanes);
    if (buf->failed)
        return lathe__rbuf_status(buf, err);
    plan->lanes = lathe__calloc(ctx, n_parts, sizeof *plan->lanes);
    if (!plan->lanes)
        return lathe__error_nomem(err);
    plan->n_lanes = (size_t)n_lanes;
    for (size_t i = 0; i < plan->n_lanes && !buf->failed; i++)
        lane_read(buf, &plan->lanes[i], n_parts);
    plan->n_outputs = plan->n_lanes;
    return lathe__rbuf_status(buf, err);
}

static void numbers_release(lathe_ctx *ctx, lathe__plan *plan)
{
    lathe__free(ctx, plan->lanes);
    plan->lanes = NULL;
    plan->n_lanes = 0;
}

const lathe__family_ops lathe__family_numbers = {
    numbers_fit,      numbers_write, numbers_output_name, numbers_nonzeros,
    numbers_describe, numbers_save,  numbers_load,        numbers_release,
};
