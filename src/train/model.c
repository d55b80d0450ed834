/*
 * model.c: a lathe_model's life: creation, what training records in it
 * (its input columns and lineage), accessors, and freeing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "store/digest.h"
#include "train/train_internal.h"

#include "core/banned.h"

#define SPEC_TEXT_MAX (1 << 20)

lathe_model *lathe__model_new(lathe_ctx *ctx)
{
    lathe_model *model = lathe__calloc(ctx, 1, sizeof *model);
    if (model)
        model->ctx = ctx;
    return model;
}

static void free_lineage(lathe_ctx *ctx, lathe__lineage *lineage)
{
    lathe__free(ctx, lineage->lathe_version);
    lathe__free(ctx, lineage->data_source);
    lathe__free(ctx, lineage->data_sha256);
    lathe__free(ctx, lineage->spec_text);
}

void lathe_model_free(lathe_model *model)
{
    if (!model)
        return;
    lathe_ctx *ctx = model->ctx;
    lathe__free(ctx, model->target);
    for (size_t i = 0; i < model->n_classes && model->class_names; i++)
        lathe__free(ctx, model->class_names[i]);
    lathe__free(ctx, model->class_names);
    for (size_t i = 0; i < model->n_columns && model->columns; i++)
        lathe__free(ctx, (char *)model->columns[i].name);
    lathe__free(ctx, model->columns);
    lathe__prep_free(model->prep);
    if (model->ops && model->estimator)
        model->ops->free(ctx, model->estimator);
    if (model->params.specs)
        lathe__params_release(ctx, &model->params);
    lathe__reference_release(ctx, &model->reference);
    free_lineage(ctx, &model->lineage);
    lathe__free(ctx, model);
}

lathe_status lathe__model_record_columns(lathe_model *model, const lathe_frame *features,
                                         const lathe_frame *data, size_t target, lathe_error *err)
{
    size_t n = lathe_frame_n_columns(features) + 1;
    model->columns = lathe__calloc(model->ctx, n, sizeof *model->columns);
    if (!model->columns)
        return lathe__error_nomem(err);
    for (size_t i = 0; i < n; i++) {
        const lathe_frame *frame = i + 1 < n ? features : data;
        size_t column = i + 1 < n ? i : target;
        const char *name = lathe_frame_column_name(frame, column);
        lathe_column_decl *decl = &model->columns[model->n_columns++];
        if (!(decl->name = lathe__strndup(model->ctx, name, strlen(name))))
            return lathe__error_nomem(err);
        decl->has_kind = true;
        decl->kind = lathe_frame_column_kind(frame, column);
        decl->has_role = true;
        decl->role = i + 1 < n ? LATHE_ROLE_FEATURE : LATHE_ROLE_TARGET;
    }
    return LATHE_OK;
}

static char *copy_or_null(lathe_ctx *ctx, const char *text, bool *failed)
{
    if (!text)
        return NULL;
    char *copy = lathe__strndup(ctx, text, strlen(text));
    if (!copy)
        *failed = true;
    return copy;
}

/* The spec file's text, kept in the lineage so a run can be reproduced. */
static lathe_status read_spec_text(lathe_model *model, const char *path, lathe_error *err)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return lathe__error(err, LATHE_IO, "%s: %s", path, strerror(errno));
    char *text = lathe__alloc(model->ctx, SPEC_TEXT_MAX + 1);
    if (!text) {
        fclose(file);
        return lathe__error_nomem(err);
    }
    size_t length = fread(text, 1, SPEC_TEXT_MAX, file);
    fclose(file);
    text[length] = '\0';
    model->lineage.spec_text = text;
    return LATHE_OK;
}

lathe_status lathe__model_record_lineage(lathe_model *model, const lathe_train_options *options,
                                         const lathe__spec *spec, lathe_error *err)
{
    lathe__lineage *lineage = &model->lineage;
    bool failed = false;
    lineage->lathe_version = copy_or_null(model->ctx, lathe_version(), &failed);
    lineage->data_source = copy_or_null(model->ctx, options->data_source, &failed);
    lineage->data_sha256 = copy_or_null(model->ctx, options->data_sha256, &failed);
    lineage->seed = lathe_ctx_seed(model->ctx);
    lineage->created = (int64_t)time(NULL);
    if (failed)
        return lathe__error_nomem(err);
    return spec ? read_spec_text(model, spec->path, err) : LATHE_OK;
}

const char *lathe_model_task(const lathe_model *model)
{
    return model->task == LATHE__TASK_CLASSIFICATION ? "classification" : "regression";
}

const char *lathe_model_family(const lathe_model *model)
{
    return model->ops->name;
}

const char *lathe_model_target(const lathe_model *model)
{
    return model->target;
}

size_t lathe_model_n_classes(const lathe_model *model)
{
    return model->n_classes;
}

const char *lathe_model_class_name(const lathe_model *model, size_t index)
{
    return index < model->n_classes ? model->class_names[index] : NULL;
}

const lathe_metrics_report *lathe_model_test_metrics(const lathe_model *model)
{
    return &model->test_metrics;
}

size_t lathe_model_cv_metrics(const lathe_model *model, const lathe_metrics_report **mean,
                              const lathe_metrics_report **std)
{
    *mean = &model->cv_mean;
    *std = &model->cv_std;
    return model->cv_folds;
}

const lathe_column_decl *lathe_model_columns(const lathe_model *model, size_t *count)
{
    *count = model->n_columns;
    return model->columns;
}

lathe_status lathe_file_sha256(lathe_ctx *ctx, const char *path, char hex[65], lathe_error *err)
{
    return lathe__sha256_file(ctx, path, hex, err);
}
