/*
 * explain.c: what a model's predictions rest on, per feature: TreeSHAP
 * contributions of one row and the fitted trees' feature importance.
 *
 * Both need the family's tree ensemble (model/tree.h), which a tree family
 * exposes through its ops->ensemble hook; other families have none and
 * say so. Features are the pipeline's outputs, named by it, so a one-hot
 * encoded column contributes through each of its categories. A row goes
 * through the same pipeline code as in prediction (lathe__prep_transform_row),
 * so the scores explained are the ones predict computed.
 */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "model/tree.h"
#include "train/model_internal.h"

#include "core/banned.h"

size_t lathe_model_n_features(const lathe_model *model)
{
    return lathe__prep_n_features(model->prep);
}

const char *lathe_model_feature_name(const lathe_model *model, size_t feature)
{
    if (feature >= lathe__prep_n_features(model->prep))
        return NULL;
    return lathe__prep_feature_name(model->prep, feature);
}

static const lathe__ensemble *model_ensemble(const lathe_model *model)
{
    return model->ops->ensemble ? model->ops->ensemble(model->estimator) : NULL;
}

size_t lathe_model_n_scores(const lathe_model *model)
{
    const lathe__ensemble *ensemble = model_ensemble(model);
    return ensemble ? ensemble->n_raw : 0;
}

/* The class score s belongs to: class s with one score per class, else the second. */
static const char *score_class(const lathe_model *model, const lathe__ensemble *ensemble,
                               size_t score)
{
    if (model->task != LATHE__TASK_CLASSIFICATION || model->n_classes == 0)
        return NULL;
    if (ensemble->n_raw == model->n_classes && score < model->n_classes)
        return model->class_names[score];
    return model->n_classes == 2 ? model->class_names[1] : NULL;
}

size_t lathe_model_score_name(const lathe_model *model, size_t score, char *buf, size_t size)
{
    const lathe__ensemble *ensemble = model_ensemble(model);
    const char *class_name = ensemble ? score_class(model, ensemble, score) : NULL;
    const char *kind = "score of";
    switch (ensemble ? ensemble->link : LATHE__LINK_IDENTITY) {
    case LATHE__LINK_SIGMOID:
        kind = "log-odds of";
        break;
    case LATHE__LINK_SOFTMAX:
        kind = "margin of";
        break;
    case LATHE__LINK_AVERAGE:
        kind = "probability of";
        break;
    case LATHE__LINK_EXP:
        return (size_t)snprintf(buf, size, "log of %s", model->target);
    case LATHE__LINK_ISOLATION:
        return (size_t)snprintf(buf, size, "mean path length");
    default:
        break;
    }
    if (class_name)
        return (size_t)snprintf(buf, size, "%s %s", kind, class_name);
    return (size_t)snprintf(buf, size, "%s", model->target);
}

/* The model's ensemble, checked to read the pipeline's features. */
static lathe_status find_ensemble(const lathe_model *model, const lathe__ensemble **out,
                                  lathe_error *err)
{
    const lathe__ensemble *ensemble = model_ensemble(model);
    if (!ensemble)
        return lathe__error(err, LATHE_UNSUPPORTED,
                            "model %s has no per-feature contributions (only tree models have)",
                            model->ops->name);
    size_t n_features = lathe__prep_n_features(model->prep);
    if (ensemble->n_features != n_features)
        return lathe__error(err, LATHE_INVALID,
                            "the trees read %zu features but the pipeline makes %zu",
                            ensemble->n_features, n_features);
    *out = ensemble;
    return LATHE_OK;
}

lathe_status lathe_model_explain(const lathe_model *model, const lathe_frame *data, size_t row,
                                 double *phi, size_t *n, lathe_error *err)
{
    const lathe__ensemble *ensemble = NULL;
    lathe_status status = find_ensemble(model, &ensemble, err);
    if (status != LATHE_OK)
        return status;
    size_t need, n_features = ensemble->n_features;
    if (lathe__mul_overflows(ensemble->n_raw, n_features + 1, &need) || *n < need) {
        size_t capacity = *n;
        *n = need;
        return lathe__error(err, LATHE_INVALID, "contributions need room for %zu values, not %zu",
                            need, capacity);
    }
    lathe_ctx *ctx = model->ctx;
    double *x = lathe__calloc(ctx, n_features ? n_features : 1, sizeof *x);
    double *work = lathe__calloc(ctx, lathe__prep_work_size(model->prep) + 1, sizeof *work);
    if (!x || !work)
        status = lathe__error_nomem(err);
    else
        status = lathe__prep_transform_row(model->prep, data, row, x, work, err);
    if (status == LATHE_OK)
        status = lathe__ensemble_shap_row(ctx, ensemble, x, phi, err);
    if (status == LATHE_OK)
        *n = need;
    lathe__free(ctx, x);
    lathe__free(ctx, work);
    return status;
}

lathe_status lathe_model_importance(const lathe_model *model, lathe_importance_kind kind,
                                    double *out, lathe_error *err)
{
    const lathe__ensemble *ensemble = model_ensemble(model);
    if (!ensemble)
        return lathe__error(err, LATHE_UNSUPPORTED, "model %s has no feature importance",
                            model->ops->name);
    lathe_status status = find_ensemble(model, &ensemble, err);
    if (status != LATHE_OK)
        return status;
    if (kind == LATHE_IMPORTANCE_SPLITS)
        lathe__ensemble_importance_splits(ensemble, out);
    else
        lathe__ensemble_importance_gain(ensemble, out);
    return LATHE_OK;
}
