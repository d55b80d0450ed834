/*
 * model_io.c: a lathe_model as an artifact file (see store/artifact.h).
 *
 * Sections: "meta" (task, target, classes, input columns, family),
 * "pipeline", "estimator", "params", "reference", "metrics", "lineage".
 * Each is read through a bounds-checked lathe__rbuf and must be consumed
 * exactly; anything inconsistent between sections (a family this build does
 * not know, a pipeline whose width differs from the estimator's) is refused
 * with a message before the model can be used.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "store/artifact.h"
#include "train/train_internal.h"

#include "core/banned.h"

#define META_VERSION 1
#define MAX_NAME (1 << 16)
#define MAX_CLASSES (1 << 20)
#define MAX_COLUMNS (1 << 20)
#define MAX_TEXT (1 << 20)

/* ---- writing ------------------------------------------------------------ */

static void save_meta(const lathe_model *model, lathe__wbuf *buf)
{
    lathe__wbuf_u32(buf, META_VERSION);
    lathe__wbuf_u8(buf, (uint8_t)model->task);
    lathe__wbuf_cstring(buf, model->target);
    lathe__wbuf_u8(buf, (uint8_t)model->target_kind);
    lathe__wbuf_cstring(buf, model->ops->name);
    lathe__wbuf_u64(buf, model->n_classes);
    for (size_t i = 0; i < model->n_classes; i++)
        lathe__wbuf_cstring(buf, model->class_names[i]);
    lathe__wbuf_u64(buf, model->n_columns);
    for (size_t i = 0; i < model->n_columns; i++) {
        lathe__wbuf_cstring(buf, model->columns[i].name);
        lathe__wbuf_u8(buf, (uint8_t)model->columns[i].kind);
        lathe__wbuf_u8(buf, (uint8_t)model->columns[i].role);
    }
}

static void save_report(const lathe_metrics_report *report, lathe__wbuf *buf)
{
    lathe__wbuf_u64(buf, report->n_values);
    for (size_t i = 0; i < report->n_values; i++) {
        lathe__wbuf_cstring(buf, report->values[i].name);
        lathe__wbuf_f64(buf, report->values[i].value);
    }
}

static void save_metrics(const lathe_model *model, lathe__wbuf *buf)
{
    save_report(&model->test_metrics, buf);
}

static void save_cv(const lathe_model *model, lathe__wbuf *buf)
{
    lathe__wbuf_u64(buf, model->cv_folds);
    save_report(&model->cv_mean, buf);
    save_report(&model->cv_std, buf);
}

static void save_optional(lathe__wbuf *buf, const char *text)
{
    lathe__wbuf_u8(buf, text != NULL);
    if (text)
        lathe__wbuf_cstring(buf, text);
}

static void save_lineage(const lathe_model *model, lathe__wbuf *buf)
{
    const lathe__lineage *l = &model->lineage;
    save_optional(buf, l->lathe_version);
    save_optional(buf, l->data_source);
    save_optional(buf, l->data_sha256);
    save_optional(buf, l->spec_text);
    lathe__wbuf_u64(buf, l->seed);
    lathe__wbuf_i64(buf, l->created);
    lathe__wbuf_f64(buf, l->fit_seconds);
    lathe__wbuf_u64(buf, l->n_train_rows);
    lathe__wbuf_u64(buf, l->n_test_rows);
    lathe__wbuf_u64(buf, l->n_dropped_rows);
}

typedef void (*save_fn)(const lathe_model *model, lathe__wbuf *buf);

static void save_pipeline(const lathe_model *model, lathe__wbuf *buf)
{
    lathe__prep_save(model->prep, buf);
}

static void save_estimator(const lathe_model *model, lathe__wbuf *buf)
{
    model->ops->save(model->estimator, buf);
}

static void save_params(const lathe_model *model, lathe__wbuf *buf)
{
    lathe__params_save(&model->params, buf);
}

static void save_reference(const lathe_model *model, lathe__wbuf *buf)
{
    lathe__reference_save(&model->reference, buf);
}

static const struct {
    const char *name;
    save_fn save;
} sections[] = {
    {"meta", save_meta},           {"pipeline", save_pipeline},
    {"estimator", save_estimator}, {"params", save_params},
    {"reference", save_reference}, {"metrics", save_metrics},
    {"lineage", save_lineage},     {"cv", save_cv},
};

#define N_SECTIONS (sizeof sections / sizeof sections[0])

lathe_status lathe_model_save(const lathe_model *model, const char *path, lathe_error *err)
{
    lathe__artifact_writer *writer;
    lathe_status status = lathe__artifact_writer_new(model->ctx, &writer, err);
    if (status != LATHE_OK)
        return status;
    for (size_t i = 0; i < N_SECTIONS && status == LATHE_OK; i++) {
        lathe__wbuf buf;
        lathe__wbuf_init(&buf, model->ctx);
        sections[i].save(model, &buf);
        status = lathe__wbuf_status(&buf, err);
        if (status == LATHE_OK)
            status = lathe__artifact_writer_take(writer, sections[i].name, &buf, err);
        lathe__wbuf_release(&buf);
    }
    if (status == LATHE_OK)
        status = lathe__artifact_write_file(writer, path, err);
    lathe__artifact_writer_free(writer);
    return status;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct model_reader {
    lathe_ctx *ctx;
    const lathe__artifact *artifact;
    const char *source;
    lathe_model *model;
    lathe_error *err;
} model_reader;

/* Opens section `name` as a buffer; a missing section is a corrupt artifact. */
static lathe_status open_section(model_reader *r, const char *name, lathe__rbuf *buf, char *what,
                                 size_t what_size)
{
    const void *data;
    size_t length;
    snprintf(what, what_size, "%s: %s section", r->source, name);
    if (!lathe__artifact_section(r->artifact, name, &data, &length))
        return lathe__error(r->err, LATHE_CORRUPT, "%s: the artifact has no %s section", r->source,
                            name);
    lathe__rbuf_init(buf, data, length, what);
    return LATHE_OK;
}

/* Every byte of a section must be accounted for. */
static lathe_status finish_section(lathe__rbuf *buf, lathe_error *err)
{
    if (!buf->failed && lathe__rbuf_left(buf) != 0)
        lathe__rbuf_fail(buf, "%zu unexpected bytes at the end", lathe__rbuf_left(buf));
    return lathe__rbuf_status(buf, err);
}

static void load_columns(model_reader *r, lathe__rbuf *buf)
{
    lathe_model *model = r->model;
    size_t n = lathe__rbuf_count(buf, MAX_COLUMNS, 10);
    if (buf->failed || n == 0) {
        if (!buf->failed)
            lathe__rbuf_fail(buf, "no target column");
        return;
    }
    if (!(model->columns = lathe__calloc(r->ctx, n, sizeof *model->columns))) {
        lathe__rbuf_fail(buf, "out of memory");
        return;
    }
    for (size_t i = 0; i < n && !buf->failed; i++) {
        lathe_column_decl *decl = &model->columns[model->n_columns++];
        decl->name = lathe__rbuf_string(buf, r->ctx, MAX_NAME);
        uint8_t kind = lathe__rbuf_u8(buf), role = lathe__rbuf_u8(buf);
        if (!buf->failed && (kind >= LATHE_KIND_COUNT || role >= LATHE_ROLE_COUNT)) {
            lathe__rbuf_fail(buf, "column %zu has an unknown kind or role", i + 1);
            return;
        }
        decl->has_kind = decl->has_role = true;
        decl->kind = (lathe_kind)kind;
        decl->role = (lathe_role)role;
    }
}

static void load_classes(model_reader *r, lathe__rbuf *buf)
{
    lathe_model *model = r->model;
    size_t n = lathe__rbuf_count(buf, MAX_CLASSES, 8);
    bool classifier = model->task == LATHE__TASK_CLASSIFICATION;
    if (!buf->failed && (classifier ? n < 2 : n != 0)) {
        lathe__rbuf_fail(buf, "%zu classes for a %s model", n,
                         classifier ? "classification" : "regression");
        return;
    }
    if (n == 0 || buf->failed)
        return;
    if (!(model->class_names = lathe__calloc(r->ctx, n, sizeof *model->class_names))) {
        lathe__rbuf_fail(buf, "out of memory");
        return;
    }
    for (size_t i = 0; i < n && !buf->failed; i++) {
        model->class_names[model->n_classes++] = lathe__rbuf_string(buf, r->ctx, MAX_NAME);
    }
}

static lathe_status load_meta(model_reader *r)
{
    lathe__rbuf buf;
    char what[300];
    lathe_model *model = r->model;
    lathe_status status = open_section(r, "meta", &buf, what, sizeof what);
    if (status != LATHE_OK)
        return status;
    uint32_t version = lathe__rbuf_u32(&buf);
    if (!buf.failed && version != META_VERSION)
        return lathe__error(r->err, LATHE_UNSUPPORTED,
                            "%s: model metadata version %u is not one this Lathe reads (%d)",
                            r->source, version, META_VERSION);
    uint8_t task = lathe__rbuf_u8(&buf);
    if (!buf.failed && task != LATHE__TASK_CLASSIFICATION && task != LATHE__TASK_REGRESSION)
        lathe__rbuf_fail(&buf, "unknown task %u", task);
    model->task = (lathe__task)task;
    model->target = lathe__rbuf_string(&buf, r->ctx, MAX_NAME);
    uint8_t target_kind = lathe__rbuf_u8(&buf);
    if (!buf.failed && target_kind >= LATHE_KIND_COUNT)
        lathe__rbuf_fail(&buf, "unknown target kind %u", target_kind);
    model->target_kind = (lathe_kind)target_kind;
    char *family = lathe__rbuf_string(&buf, r->ctx, MAX_NAME);
    if (family && !(model->ops = lathe__model_find(family)))
        status = lathe__error(r->err, LATHE_UNSUPPORTED,
                              "%s: model family \"%s\" is not known to this Lathe (%s)", r->source,
                              family, lathe_version());
    lathe__free(r->ctx, family);
    if (status != LATHE_OK)
        return status;
    load_classes(r, &buf);
    load_columns(r, &buf);
    return finish_section(&buf, r->err);
}

static lathe_status load_part(model_reader *r, const char *name,
                              lathe_status (*load)(model_reader *r, lathe__rbuf *buf))
{
    lathe__rbuf buf;
    char what[300];
    lathe_status status = open_section(r, name, &buf, what, sizeof what);
    if (status == LATHE_OK)
        status = load(r, &buf);
    if (status == LATHE_OK)
        status = finish_section(&buf, r->err);
    return status;
}

static lathe_status load_pipeline(model_reader *r, lathe__rbuf *buf)
{
    return lathe__prep_load(r->ctx, buf, &r->model->prep, r->err);
}

static lathe_status load_estimator(model_reader *r, lathe__rbuf *buf)
{
    return r->model->ops->load(r->ctx, buf, &r->model->estimator, r->err);
}

static lathe_status load_params(model_reader *r, lathe__rbuf *buf)
{
    const lathe__model_ops *ops = r->model->ops;
    return lathe__params_load(r->ctx, buf, ops->params, ops->n_params, &r->model->params, r->err);
}

static lathe_status load_reference(model_reader *r, lathe__rbuf *buf)
{
    return lathe__reference_load(r->ctx, buf, &r->model->reference, r->err);
}

static void load_report(model_reader *r, lathe__rbuf *buf, lathe_metrics_report *report)
{
    size_t n = lathe__rbuf_count(buf, LATHE_METRIC_COUNT, 16);
    for (size_t i = 0; i < n && !buf->failed; i++) {
        char *name = lathe__rbuf_string(buf, r->ctx, 64);
        double value = lathe__rbuf_f64(buf);
        lathe_metric metric;
        if (name && lathe_metric_parse(name, &metric)) {
            lathe_metric_value *v = &report->values[report->n_values++];
            v->name = lathe_metric_name(metric);
            v->value = value;
            v->undefined = isnan(value) ? "undefined on the test rows" : NULL;
        } else if (!buf->failed) {
            lathe__rbuf_fail(buf, "unknown metric \"%s\"", name ? name : "");
        }
        lathe__free(r->ctx, name);
    }
}

static lathe_status load_metrics(model_reader *r, lathe__rbuf *buf)
{
    load_report(r, buf, &r->model->test_metrics);
    return lathe__rbuf_status(buf, r->err);
}

/* Cross-validation results; a model trained without them has no "cv" section. */
static lathe_status load_cv(model_reader *r)
{
    const void *data;
    size_t length;
    if (!lathe__artifact_section(r->artifact, "cv", &data, &length))
        return LATHE_OK;
    lathe__rbuf buf;
    char what[300];
    lathe_status status = open_section(r, "cv", &buf, what, sizeof what);
    if (status != LATHE_OK)
        return status;
    r->model->cv_folds = lathe__rbuf_u64(&buf);
    if (!buf.failed && r->model->cv_folds > 100000)
        lathe__rbuf_fail(&buf, "%zu folds", r->model->cv_folds);
    load_report(r, &buf, &r->model->cv_mean);
    load_report(r, &buf, &r->model->cv_std);
    if (!buf.failed && r->model->cv_mean.n_values != r->model->cv_std.n_values)
        lathe__rbuf_fail(&buf, "means and deviations of different metrics");
    return finish_section(&buf, r->err);
}

static char *load_optional(lathe_ctx *ctx, lathe__rbuf *buf, size_t max)
{
    return lathe__rbuf_u8(buf) ? lathe__rbuf_string(buf, ctx, max) : NULL;
}

static lathe_status load_lineage(model_reader *r, lathe__rbuf *buf)
{
    lathe__lineage *l = &r->model->lineage;
    l->lathe_version = load_optional(r->ctx, buf, MAX_NAME);
    l->data_source = load_optional(r->ctx, buf, MAX_TEXT);
    l->data_sha256 = load_optional(r->ctx, buf, 64);
    l->spec_text = load_optional(r->ctx, buf, MAX_TEXT);
    l->seed = lathe__rbuf_u64(buf);
    l->created = lathe__rbuf_i64(buf);
    l->fit_seconds = lathe__rbuf_f64(buf);
    l->n_train_rows = lathe__rbuf_u64(buf);
    l->n_test_rows = lathe__rbuf_u64(buf);
    l->n_dropped_rows = lathe__rbuf_u64(buf);
    return lathe__rbuf_status(buf, r->err);
}

/* The estimator must read exactly the pipeline's features and write the classes. */
static lathe_status check_shapes(model_reader *r)
{
    const lathe_model *model = r->model;
    size_t want = model->task == LATHE__TASK_CLASSIFICATION ? model->n_classes : 1;
    size_t outputs = model->ops->n_outputs(model->estimator);
    if (outputs != want)
        return lathe__error(r->err, LATHE_CORRUPT,
                            "%s: the estimator has %zu outputs but the model needs %zu", r->source,
                            outputs, want);
    size_t features = lathe__prep_n_features(model->prep);
    size_t expected = model->ops->n_features(model->estimator);
    if (features != expected)
        return lathe__error(r->err, LATHE_CORRUPT,
                            "%s: the pipeline makes %zu features but the estimator reads %zu",
                            r->source, features, expected);
    return LATHE_OK;
}

static lathe_status load_model(model_reader *r)
{
    lathe_status status = load_meta(r);
    if (status == LATHE_OK)
        status = load_part(r, "pipeline", load_pipeline);
    if (status == LATHE_OK)
        status = load_part(r, "estimator", load_estimator);
    if (status == LATHE_OK)
        status = load_part(r, "params", load_params);
    if (status == LATHE_OK)
        status = load_part(r, "reference", load_reference);
    if (status == LATHE_OK)
        status = load_part(r, "metrics", load_metrics);
    if (status == LATHE_OK)
        status = load_part(r, "lineage", load_lineage);
    if (status == LATHE_OK)
        status = load_cv(r);
    if (status == LATHE_OK)
        status = check_shapes(r);
    return status;
}

static lathe_status load_from(lathe_ctx *ctx, lathe__artifact *artifact, const char *source,
                              lathe_model **out, lathe_error *err)
{
    model_reader r = {ctx, artifact, source, lathe__model_new(ctx), err};
    lathe_status status = r.model ? load_model(&r) : lathe__error_nomem(err);
    lathe__artifact_free(artifact);
    if (status != LATHE_OK) {
        lathe_model_free(r.model);
        return status;
    }
    *out = r.model;
    return LATHE_OK;
}

lathe_status lathe_model_load(lathe_ctx *ctx, const char *path, lathe_model **out, lathe_error *err)
{
    lathe__artifact *artifact;
    lathe_status status = lathe__artifact_open_file(ctx, path, &artifact, err);
    if (status != LATHE_OK)
        return status;
    return load_from(ctx, artifact, path, out, err);
}

lathe_status lathe_model_load_buffer(lathe_ctx *ctx, const void *data, size_t size,
                                     const char *name, lathe_model **out, lathe_error *err)
{
    lathe__artifact *artifact;
    if (!name)
        name = "<buffer>";
    lathe_status status = lathe__artifact_open_buffer(ctx, data, size, name, &artifact, err);
    if (status != LATHE_OK)
        return status;
    return load_from(ctx, artifact, name, out, err);
}
