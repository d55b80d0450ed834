/*
 * pipeline_io.c: a fitted pipeline's life outside fitting: its layout and
 * names, its notes for people, saving and loading, and freeing.
 *
 * Everything derived (stage layout, feature names, notes, the widest row)
 * is rebuilt from the fitted state by the same functions after fit and
 * after load, so a loaded pipeline cannot describe itself differently from
 * the one that was saved. The saved form holds only fitted numbers and
 * names, never anything derived.
 *
 * Format (all through buf.h): u32 version; u64 plan count, then per plan
 * its name, kind, family, indicator flag and the family's own fields; u8
 * matrix step count, then per step its table index and its fields; u8
 * sparse. The loader checks every count, index and cross-reference.
 */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "prep/plan.h"

#include "core/banned.h"

#define PREP_FORMAT_VERSION 1
#define MAX_PLANS (1u << 20)
#define MAX_NAME_BYTES (1u << 16)
#define NAME_BUFFER 1024

/* ---- the dropped family ---------------------------------------------- */

static lathe_status dropped_fit(const lathe__plan_fit *in, lathe__plan *plan, double **training,
                                lathe_error *err)
{
    (void)in;
    (void)err;
    plan->n_outputs = 0;
    *training = NULL;
    return LATHE_OK;
}

static void dropped_write(const lathe__plan *plan, const lathe_frame *frame, size_t column,
                          size_t row, double *out)
{
    (void)plan;
    (void)frame;
    (void)column;
    (void)row;
    (void)out;
}

static void dropped_output_name(const lathe__plan *plan, size_t output, char *buf, size_t size)
{
    (void)output;
    lathe__format(buf, size, "%s", plan->name);
}

static double dropped_nonzeros(const lathe__plan *plan)
{
    (void)plan;
    return 0;
}

static void dropped_describe(const lathe__plan *plan, char *buf, size_t size)
{
    if (plan->kind == LATHE_KIND_TEXT)
        lathe__format(buf, size,
                      "dropped: text columns are not used yet (encode them as "
                      "categories to use them)");
    else if (plan->kind == LATHE_KIND_DATETIME)
        lathe__format(buf, size, "dropped: none of the date parts asked for applies");
    else
        lathe__format(buf, size, "dropped, as asked");
}

static void dropped_save(const lathe__plan *plan, lathe__wbuf *buf)
{
    (void)plan;
    (void)buf;
}

static lathe_status dropped_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__plan *plan,
                                 lathe_error *err)
{
    (void)ctx;
    (void)buf;
    (void)err;
    plan->n_outputs = 0;
    return LATHE_OK;
}

static void dropped_release(lathe_ctx *ctx, lathe__plan *plan)
{
    (void)ctx;
    (void)plan;
}

const lathe__family_ops lathe__family_dropped = {
    dropped_fit,      dropped_write, dropped_output_name, dropped_nonzeros,
    dropped_describe, dropped_save,  dropped_load,        dropped_release,
};

/* ---- life cycle ------------------------------------------------------- */

lathe__prep *lathe__prep_new(lathe_ctx *ctx)
{
    lathe__prep *prep = lathe__calloc(ctx, 1, sizeof *prep);
    if (prep)
        prep->ctx = ctx;
    return prep;
}

void lathe__prep_names_free(lathe_ctx *ctx, char **names, size_t count)
{
    for (size_t i = 0; names && i < count; i++)
        lathe__free(ctx, names[i]);
    lathe__free(ctx, names);
}

void lathe__prep_free(lathe__prep *prep)
{
    if (!prep)
        return;
    lathe_ctx *ctx = prep->ctx;
    for (size_t i = 0; i < prep->n_plans; i++) {
        lathe__family_of(prep->plans[i].family)->release(ctx, &prep->plans[i]);
        lathe__free(ctx, prep->plans[i].name);
    }
    lathe__free(ctx, prep->plans);
    for (size_t s = 0; s < prep->n_steps; s++)
        lathe__matrix_step_at(prep->step_ids[s])->free(ctx, prep->step_states[s]);
    lathe__prep_names_free(ctx, prep->stage_names, prep->stage_width);
    lathe__prep_names_free(ctx, prep->feature_names, prep->n_features);
    for (size_t i = 0; prep->notes && i < prep->n_notes; i++) {
        lathe__free(ctx, (char *)prep->notes[i].subject);
        lathe__free(ctx, (char *)prep->notes[i].text);
    }
    lathe__free(ctx, prep->notes);
    lathe__free(ctx, prep);
}

/* ---- layout and names ------------------------------------------------- */

static char *name_copy(lathe_ctx *ctx, const char *name)
{
    return lathe__strndup(ctx, name, strlen(name));
}

static lathe_status plan_names(const lathe__prep *prep, const lathe__plan *plan, char **names)
{
    size_t n_values = plan->n_outputs - plan->indicator;
    char buf[NAME_BUFFER];
    for (size_t i = 0; i < plan->n_outputs; i++) {
        if (i < n_values)
            lathe__family_of(plan->family)->output_name(plan, i, buf, sizeof buf);
        else
            lathe__format(buf, sizeof buf, "%s.missing", plan->name);
        names[i] = name_copy(prep->ctx, buf);
        if (!names[i])
            return LATHE_NOMEM;
    }
    return LATHE_OK;
}

lathe_status lathe__prep_layout(lathe__prep *prep, lathe_error *err)
{
    size_t width = 0;
    for (size_t i = 0; i < prep->n_plans; i++) {
        if (lathe__add_overflows(width, prep->plans[i].n_outputs, &width))
            return lathe__error(err, LATHE_LIMIT, "the pipeline has too many features");
    }
    if (width == 0)
        return lathe__error(err, LATHE_INVALID,
                            "no usable feature column (text columns are dropped unless "
                            "encoded as categories)");
    prep->stage_names = lathe__calloc(prep->ctx, width, sizeof *prep->stage_names);
    if (!prep->stage_names)
        return lathe__error_nomem(err);
    prep->stage_width = width;
    char **next = prep->stage_names;
    for (size_t i = 0; i < prep->n_plans; i++) {
        if (plan_names(prep, &prep->plans[i], next) != LATHE_OK)
            return lathe__error_nomem(err);
        next += prep->plans[i].n_outputs;
    }
    return LATHE_OK;
}

size_t lathe__prep_step_inputs(const lathe__prep *prep, size_t step)
{
    if (step == 0)
        return prep->stage_width;
    const lathe__matrix_step_ops *ops = lathe__matrix_step_at(prep->step_ids[step - 1]);
    return ops->n_outputs(prep->step_states[step - 1]);
}

lathe_status lathe__prep_names_after(const lathe__prep *prep, size_t step,
                                     const char *const *inputs, char ***out, lathe_error *err)
{
    const lathe__matrix_step_ops *ops = lathe__matrix_step_at(prep->step_ids[step]);
    size_t n = ops->n_outputs(prep->step_states[step]);
    char **names = lathe__calloc(prep->ctx, n + 1, sizeof *names);
    if (!names)
        return lathe__error_nomem(err);
    char buf[NAME_BUFFER];
    for (size_t i = 0; i < n; i++) {
        names[i] = name_copy(prep->ctx,
                             ops->output_name(prep->step_states[step], inputs, i, buf, sizeof buf));
        if (!names[i]) {
            lathe__prep_names_free(prep->ctx, names, i);
            return lathe__error_nomem(err);
        }
    }
    *out = names;
    return LATHE_OK;
}

static lathe_status feature_names(lathe__prep *prep, lathe_error *err)
{
    size_t width = prep->stage_width;
    char **names = lathe__calloc(prep->ctx, width, sizeof *names);
    if (!names)
        return lathe__error_nomem(err);
    for (size_t i = 0; i < width; i++) {
        names[i] = name_copy(prep->ctx, prep->stage_names[i]);
        if (!names[i]) {
            lathe__prep_names_free(prep->ctx, names, i);
            return lathe__error_nomem(err);
        }
    }
    for (size_t s = 0; s < prep->n_steps; s++) {
        char **next = NULL;
        lathe_status status =
            lathe__prep_names_after(prep, s, (const char *const *)names, &next, err);
        lathe__prep_names_free(prep->ctx, names, width);
        if (status != LATHE_OK)
            return status;
        names = next;
        width = lathe__prep_step_inputs(prep, s + 1);
    }
    prep->feature_names = names;
    prep->n_features = width;
    return LATHE_OK;
}

/* ---- notes ------------------------------------------------------------ */

static lathe_status add_note(lathe__prep *prep, const char *subject, const char *text)
{
    lathe__prep_note *note = &prep->notes[prep->n_notes];
    note->subject = name_copy(prep->ctx, subject);
    note->text = name_copy(prep->ctx, text);
    prep->n_notes++;
    return note->subject && note->text ? LATHE_OK : LATHE_NOMEM;
}

static lathe_status build_notes(lathe__prep *prep)
{
    prep->notes = lathe__calloc(prep->ctx, prep->n_plans + prep->n_steps + 1, sizeof *prep->notes);
    if (!prep->notes)
        return LATHE_NOMEM;
    char text[NAME_BUFFER];
    lathe_status status = LATHE_OK;
    for (size_t i = 0; i < prep->n_plans && status == LATHE_OK; i++) {
        const lathe__plan *plan = &prep->plans[i];
        lathe__family_of(plan->family)->describe(plan, text, sizeof text);
        size_t used = strlen(text);
        if (plan->indicator)
            lathe__format(text + used, sizeof text - used, ", plus %s.missing", plan->name);
        status = add_note(prep, plan->name, text);
    }
    for (size_t s = 0; s < prep->n_steps && status == LATHE_OK; s++) {
        const lathe__matrix_step_ops *ops = lathe__matrix_step_at(prep->step_ids[s]);
        ops->describe(prep->step_states[s], text, sizeof text);
        status = add_note(prep, ops->name, text);
    }
    return status;
}

lathe_status lathe__prep_finish(lathe__prep *prep, lathe_error *err)
{
    prep->max_width = prep->stage_width;
    for (size_t s = 1; s <= prep->n_steps; s++) {
        size_t width = lathe__prep_step_inputs(prep, s);
        if (width > prep->max_width)
            prep->max_width = width;
    }
    lathe_status status = feature_names(prep, err);
    if (status == LATHE_OK && build_notes(prep) != LATHE_OK)
        status = lathe__error_nomem(err);
    return status;
}

size_t lathe__prep_n_features(const lathe__prep *prep)
{
    return prep->n_features;
}

const char *lathe__prep_feature_name(const lathe__prep *prep, size_t feature)
{
    return feature < prep->n_features ? prep->feature_names[feature] : NULL;
}

bool lathe__prep_feature_is_code(const lathe__prep *prep, size_t feature)
{
    if (prep->n_steps > 0 || feature >= prep->n_features)
        return false;
    size_t first = 0;
    for (size_t p = 0; p < prep->n_plans; p++) {
        const lathe__plan *plan = &prep->plans[p];
        if (feature < first + plan->n_outputs)
            return plan->family == LATHE__FAMILY_CATEGORIES &&
                   plan->encoder == LATHE__ENCODE_CODES &&
                   !(plan->indicator && feature == first + plan->n_outputs - 1);
        first += plan->n_outputs;
    }
    return false;
}

bool lathe__prep_is_sparse(const lathe__prep *prep)
{
    return prep->sparse;
}

size_t lathe__prep_n_notes(const lathe__prep *prep)
{
    return prep->n_notes;
}

lathe__prep_note lathe__prep_note_at(const lathe__prep *prep, size_t note)
{
    return prep->notes[note];
}

size_t lathe__prep_describe(const lathe__prep *prep, char *buf, size_t size)
{
    size_t total = 0;
    for (size_t i = 0; i < prep->n_notes; i++) {
        size_t at = total < size ? total : size;
        int n =
            snprintf(buf + at, size - at, "%s: %s\n", prep->notes[i].subject, prep->notes[i].text);
        if (n > 0)
            total += (size_t)n;
    }
    if (size > 0 && prep->n_notes == 0)
        buf[0] = '\0';
    return total;
}

/* ---- saving and loading ----------------------------------------------- */

void lathe__prep_save(const lathe__prep *prep, lathe__wbuf *buf)
{
    lathe__wbuf_u32(buf, PREP_FORMAT_VERSION);
    lathe__wbuf_u64(buf, prep->n_plans);
    for (size_t i = 0; i < prep->n_plans; i++) {
        const lathe__plan *plan = &prep->plans[i];
        lathe__wbuf_cstring(buf, plan->name);
        lathe__wbuf_u8(buf, (uint8_t)plan->kind);
        lathe__wbuf_u8(buf, (uint8_t)plan->family);
        lathe__wbuf_u8(buf, plan->indicator);
        lathe__family_of(plan->family)->save(plan, buf);
    }
    lathe__wbuf_u8(buf, (uint8_t)prep->n_steps);
    for (size_t s = 0; s < prep->n_steps; s++) {
        lathe__wbuf_u8(buf, prep->step_ids[s]);
        lathe__matrix_step_at(prep->step_ids[s])->save(prep->step_states[s], buf);
    }
    lathe__wbuf_u8(buf, prep->sparse);
}

/* The families a kind may be saved with. */
static bool family_fits_kind(lathe__family family, lathe_kind kind)
{
    if (family == LATHE__FAMILY_DROPPED)
        return true;
    bool categories = kind == LATHE_KIND_CATEGORICAL || kind == LATHE_KIND_TEXT;
    return categories == (family == LATHE__FAMILY_CATEGORIES);
}

static lathe_status plan_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__interner *seen,
                              lathe__plan *plan, lathe_error *err)
{
    plan->name = lathe__rbuf_string(buf, ctx, MAX_NAME_BYTES);
    uint8_t kind = lathe__rbuf_u8(buf), family = lathe__rbuf_u8(buf);
    uint8_t indicator = lathe__rbuf_u8(buf);
    plan->kind = kind < LATHE_KIND_COUNT ? (lathe_kind)kind : LATHE_KIND_NUMERIC;
    plan->family = family < LATHE__FAMILY_COUNT ? (lathe__family)family : LATHE__FAMILY_DROPPED;
    if (!buf->failed && (kind >= LATHE_KIND_COUNT || family >= LATHE__FAMILY_COUNT ||
                         indicator > 1 || !family_fits_kind(plan->family, plan->kind) ||
                         (indicator && family == LATHE__FAMILY_DROPPED)))
        lathe__rbuf_fail(buf, "a column plan has kind %u, family %u, indicator %u", kind, family,
                         indicator);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status != LATHE_OK)
        return status;
    if (!plan->name)
        return lathe__error_nomem(err);
    int32_t id;
    bool added;
    if (lathe__interner_put(seen, plan->name, strlen(plan->name), &id, &added) != LATHE_OK)
        return lathe__error_nomem(err);
    if (!added) {
        lathe__rbuf_fail(buf, "column %s has two plans", plan->name);
        return lathe__rbuf_status(buf, err);
    }
    status = lathe__family_of(plan->family)->load(ctx, buf, plan, err);
    plan->indicator = indicator;
    plan->n_outputs += indicator;
    return status;
}

static lathe_status plans_load(lathe__prep *prep, lathe__rbuf *buf, lathe_error *err)
{
    /* a plan takes at least an empty name (8 bytes) and 3 bytes of kind, family, indicator */
    size_t n_plans = lathe__rbuf_count(buf, MAX_PLANS, 11);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status != LATHE_OK)
        return status;
    prep->plans = lathe__calloc(prep->ctx, n_plans + 1, sizeof *prep->plans);
    if (!prep->plans)
        return lathe__error_nomem(err);
    lathe__interner seen;
    lathe__interner_init(&seen, prep->ctx);
    for (size_t i = 0; i < n_plans && status == LATHE_OK; i++) {
        prep->n_plans++;
        status = plan_load(prep->ctx, buf, &seen, &prep->plans[i], err);
    }
    lathe__interner_release(&seen);
    return status;
}

static lathe_status steps_load(lathe__prep *prep, lathe__rbuf *buf, lathe_error *err)
{
    uint8_t n_steps = lathe__rbuf_u8(buf);
    if (n_steps > LATHE__PREP_MAX_STEPS)
        lathe__rbuf_fail(buf, "%u matrix steps", n_steps);
    lathe_status status = lathe__rbuf_status(buf, err);
    for (size_t s = 0; s < n_steps && status == LATHE_OK; s++) {
        uint8_t id = lathe__rbuf_u8(buf);
        if (id >= LATHE__MATRIX_STEP_COUNT || (s > 0 && id <= prep->step_ids[s - 1]))
            lathe__rbuf_fail(buf, "matrix step %u out of place", id);
        status = lathe__rbuf_status(buf, err);
        if (status != LATHE_OK)
            break;
        size_t n_inputs = lathe__prep_step_inputs(prep, s);
        status =
            lathe__matrix_step_at(id)->load(prep->ctx, buf, n_inputs, &prep->step_states[s], err);
        if (status == LATHE_OK) {
            prep->step_ids[s] = id;
            prep->n_steps++;
        }
    }
    return status;
}

lathe_status lathe__prep_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__prep **out, lathe_error *err)
{
    uint32_t version = lathe__rbuf_u32(buf);
    if (!buf->failed && version != PREP_FORMAT_VERSION)
        lathe__rbuf_fail(buf, "pipeline format %u is not one this lathe reads (%d)", version,
                         PREP_FORMAT_VERSION);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status != LATHE_OK)
        return status;
    lathe__prep *prep = lathe__prep_new(ctx);
    if (!prep)
        return lathe__error_nomem(err);
    status = plans_load(prep, buf, err);
    if (status == LATHE_OK)
        status = lathe__prep_layout(prep, err);
    if (status == LATHE_OK)
        status = steps_load(prep, buf, err);
    if (status == LATHE_OK) {
        uint8_t sparse = lathe__rbuf_u8(buf);
        if (sparse > 1)
            lathe__rbuf_fail(buf, "sparse flag %u", sparse);
        prep->sparse = sparse;
        status = lathe__rbuf_status(buf, err);
    }
    if (status == LATHE_OK)
        status = lathe__prep_finish(prep, err);
    if (status != LATHE_OK) {
        lathe__prep_free(prep);
        return status;
    }
    *out = prep;
    return LATHE_OK;
}
