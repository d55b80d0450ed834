/*
 * cart_model.c: what the tree, forest and extra_trees families share once
 * fitted -- the model (an averaging ensemble of CART trees), its
 * prediction, save and load -- and the parameters they read alike.
 *
 * Predictions: classifiers give the mean over trees of the leaves' class
 * distributions (scikit-learn's predict_proba), regressors the mean of the
 * leaves' means.
 *
 * Saved form (after a u32 format version): the family name, the task, the
 * class count, the out-of-bag score, then the ensemble (tree.c's format).
 * Loading treats the bytes as hostile: the family must match, the task and
 * class count must agree with each other and with the ensemble's shape.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/number.h"
#include "model/cart.h"
#include "model/linear.h"

#include "core/banned.h"

#define FORMAT_VERSION 1
#define MAX_CLASSES ((size_t)1 << 20)

void lathe__cart_model_free(lathe_ctx *ctx, void *model)
{
    lathe__cart_model *m = model;
    if (!m)
        return;
    lathe__ensemble_release(ctx, &m->ensemble);
    lathe__free(ctx, m);
}

void lathe__cart_model_predict(const void *model, const lathe__matrix *x, double *out)
{
    lathe__ensemble_predict(&((const lathe__cart_model *)model)->ensemble, x, out);
}

void lathe__cart_model_predict_parallel(lathe_ctx *ctx, const void *model, const lathe__matrix *x,
                                        double *out)
{
    lathe__ensemble_predict_parallel(ctx, &((const lathe__cart_model *)model)->ensemble, x, out);
}

size_t lathe__cart_model_n_outputs(const void *model)
{
    return ((const lathe__cart_model *)model)->ensemble.n_outputs;
}

size_t lathe__cart_model_n_features(const void *model)
{
    return ((const lathe__cart_model *)model)->ensemble.n_features;
}

const lathe__ensemble *lathe__cart_model_ensemble(const void *model)
{
    return &((const lathe__cart_model *)model)->ensemble;
}

void lathe__cart_model_save(const void *model, lathe__wbuf *buf)
{
    const lathe__cart_model *m = model;
    lathe__wbuf_u32(buf, FORMAT_VERSION);
    lathe__wbuf_cstring(buf, m->family);
    lathe__wbuf_u8(buf, (uint8_t)m->task);
    lathe__wbuf_u64(buf, m->n_classes);
    lathe__wbuf_f64(buf, m->oob_score);
    lathe__ensemble_save(&m->ensemble, buf);
}

static void load_header(lathe__rbuf *buf, lathe_ctx *ctx, const char *family, lathe__cart_model *m)
{
    uint32_t version = lathe__rbuf_u32(buf);
    if (!buf->failed && version != FORMAT_VERSION)
        lathe__rbuf_fail(buf, "%s model format %u, this build reads %d", family, version,
                         FORMAT_VERSION);
    char *name = lathe__rbuf_string(buf, ctx, 64);
    if (name && strcmp(name, family) != 0)
        lathe__rbuf_fail(buf, "expected a %s model, found %s", family, name);
    lathe__free(ctx, name);
    uint8_t task = lathe__rbuf_u8(buf);
    uint64_t n_classes = lathe__rbuf_u64(buf);
    m->oob_score = lathe__rbuf_f64(buf);
    if (buf->failed)
        return;
    if (task != LATHE__TASK_CLASSIFICATION && task != LATHE__TASK_REGRESSION)
        lathe__rbuf_fail(buf, "unknown task %u", task);
    else if (task == LATHE__TASK_REGRESSION ? n_classes != 0
                                            : n_classes < 2 || n_classes > MAX_CLASSES)
        lathe__rbuf_fail(buf, "%llu classes for a %s model", (unsigned long long)n_classes,
                         task == LATHE__TASK_REGRESSION ? "regression" : "classification");
    m->task = (lathe__task)task;
    m->n_classes = (size_t)n_classes;
}

/* The ensemble must be an average of trees with one value per class (or one). */
static void check_shape(lathe__rbuf *buf, const lathe__cart_model *m)
{
    const lathe__ensemble *e = &m->ensemble;
    size_t n_outputs = m->n_classes ? m->n_classes : 1;
    if (e->link != LATHE__LINK_AVERAGE || e->tree_output || e->n_raw != n_outputs ||
        e->n_outputs != n_outputs || e->n_trees == 0) {
        lathe__rbuf_fail(buf, "the trees do not form a %s of %zu output%s", m->family, n_outputs,
                         n_outputs == 1 ? "" : "s");
        return;
    }
    for (size_t t = 0; t < e->n_trees; t++)
        if (e->trees[t].n_outputs != n_outputs) {
            lathe__rbuf_fail(buf, "tree %zu has %zu outputs, expected %zu", t,
                             e->trees[t].n_outputs, n_outputs);
            return;
        }
}

lathe_status lathe__cart_model_load(lathe_ctx *ctx, lathe__rbuf *buf, const char *family,
                                    void **model, lathe_error *err)
{
    lathe__cart_model *m = lathe__calloc(ctx, 1, sizeof *m);
    if (!m)
        return lathe__error_nomem(err);
    m->family = family;
    load_header(buf, ctx, family, m);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status == LATHE_OK)
        status = lathe__ensemble_load(ctx, buf, &m->ensemble, err);
    if (status == LATHE_OK) {
        check_shape(buf, m);
        status = lathe__rbuf_status(buf, err);
    }
    if (status != LATHE_OK) {
        lathe__cart_model_free(ctx, m);
        return status;
    }
    *model = m;
    return LATHE_OK;
}

/* ---- parameters -------------------------------------------------------------- */

static lathe_status criterion_of(const lathe__param_values *params, const lathe__cart_data *data,
                                 lathe__cart_criterion *out, lathe_error *err)
{
    static const struct {
        const char *name;
        lathe__cart_criterion criterion;
        bool classification;
    } table[] = {
        {"gini", LATHE__CART_GINI, true},
        {"entropy", LATHE__CART_ENTROPY, true},
        {"log_loss", LATHE__CART_ENTROPY, true},
        {"squared_error", LATHE__CART_SQUARED_ERROR, false},
        {"friedman_mse", LATHE__CART_FRIEDMAN_MSE, false},
    };
    const char *name = lathe__params_choice(params, "criterion");
    bool classification = data->n_classes > 0;
    if (strcmp(name, "auto") == 0) {
        *out = classification ? LATHE__CART_GINI : LATHE__CART_SQUARED_ERROR;
        return LATHE_OK;
    }
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].name, name) != 0)
            continue;
        if (table[i].classification != classification)
            return lathe__error(err, LATHE_INVALID, "criterion %s is for %s; %s takes %s", name,
                                classification ? "regression" : "classification",
                                classification ? "classification" : "regression",
                                classification ? "gini, entropy or log_loss"
                                               : "squared_error or friedman_mse");
        *out = table[i].criterion;
        return LATHE_OK;
    }
    return lathe__error(err, LATHE_INVALID, "unknown criterion %s", name);
}

/* A count (an integer >= at_least) or a fraction in (0, 1) of n_rows, as scikit-learn. */
static lathe_status rows_of(const lathe__param_values *params, const char *name, size_t at_least,
                            size_t n_rows, size_t *out, lathe_error *err)
{
    double v = lathe__params_number(params, name);
    if (v > 0 && v < 1) {
        double rows = ceil(v * (double)n_rows);
        *out = rows < (double)at_least ? at_least : (size_t)rows;
        return LATHE_OK;
    }
    if (v >= (double)at_least && v == floor(v) && v < 1e15) {
        *out = (size_t)v;
        return LATHE_OK;
    }
    return lathe__error(err, LATHE_INVALID,
                        "%s=%g: give a whole number of rows >= %zu or a fraction between 0 and 1",
                        name, v, at_least);
}

static lathe_status max_features_of(const char *text, size_t n_features, size_t *out,
                                    lathe_error *err)
{
    double d = (double)n_features, v;
    if (strcmp(text, "sqrt") == 0)
        v = floor(sqrt(d));
    else if (strcmp(text, "log2") == 0)
        v = floor(log2(d));
    else if (strcmp(text, "all") == 0 || strcmp(text, "none") == 0)
        v = d;
    else if (lathe__parse_double(text, strlen(text), &v) != LATHE__NUMBER_OK || !(v > 0))
        return lathe__error(err, LATHE_INVALID,
                            "max_features \"%.40s\" is not sqrt, log2, all, a fraction such as "
                            "0.5 or a count of features",
                            text);
    else if (strpbrk(text, ".eE"))
        v = v <= 1 ? floor(v * d) : -1; /* a fraction, as scikit-learn's floats */
    else if (v > d)
        return lathe__error(err, LATHE_INVALID, "max_features=%s, but there are %zu features", text,
                            n_features);
    if (v < 0)
        return lathe__error(err, LATHE_INVALID, "max_features=%s: a fraction must be at most 1.0",
                            text);
    *out = v < 1 ? 1 : (size_t)v;
    return LATHE_OK;
}

lathe_status lathe__cart_options_from(const lathe__param_values *params,
                                      const lathe__cart_data *data,
                                      const char *max_features_default,
                                      lathe__cart_options *options, lathe_error *err)
{
    memset(options, 0, sizeof *options);
    lathe_status status = criterion_of(params, data, &options->criterion, err);
    if (status == LATHE_OK)
        status =
            rows_of(params, "min_samples_split", 2, data->n_rows, &options->min_samples_split, err);
    if (status == LATHE_OK)
        status =
            rows_of(params, "min_samples_leaf", 1, data->n_rows, &options->min_samples_leaf, err);
    const char *max_features = lathe__params_text(params, "max_features");
    if (!max_features || strcmp(max_features, "auto") == 0)
        max_features = max_features_default;
    if (status == LATHE_OK)
        status = max_features_of(max_features, data->n_features, &options->max_features, err);
    if (status != LATHE_OK)
        return status;
    if (options->min_samples_split < 2 * options->min_samples_leaf)
        options->min_samples_split = 2 * options->min_samples_leaf;
    double max_depth = lathe__params_number(params, "max_depth");
    options->max_depth = max_depth > 0 ? (size_t)max_depth : SIZE_MAX;
    options->max_leaf_nodes = (size_t)lathe__params_number(params, "max_leaf_nodes");
    if (options->max_leaf_nodes == 1)
        return lathe__error(err, LATHE_INVALID, "max_leaf_nodes must be 0 (no limit) or >= 2");
    options->min_weight_fraction_leaf = lathe__params_number(params, "min_weight_fraction_leaf");
    options->min_impurity_decrease = lathe__params_number(params, "min_impurity_decrease");
    options->ccp_alpha = lathe__params_number(params, "ccp_alpha");
    return LATHE_OK;
}

lathe_status lathe__cart_row_weights(lathe_ctx *ctx, const lathe__train_data *train,
                                     const char *class_weight, double **out, lathe_error *err)
{
    if (class_weight && strcmp(class_weight, "balanced_subsample") == 0)
        class_weight = "none"; /* the forest weighs each bootstrap sample itself */
    return lathe__linear_row_weights(ctx, train, class_weight, out, err);
}

size_t lathe__cart_model_facts(const void *model, lathe__model_fact *out)
{
    const lathe__cart_model *m = model;
    size_t nodes = 0, n = 0;
    for (size_t t = 0; t < m->ensemble.n_trees; t++)
        nodes += m->ensemble.trees[t].n_nodes;
    out[n++] = (lathe__model_fact){"trees", (double)m->ensemble.n_trees};
    out[n++] = (lathe__model_fact){"nodes", (double)nodes};
    if (!isnan(m->oob_score))
        out[n++] = (lathe__model_fact){m->n_classes ? "oob_accuracy" : "oob_r2", m->oob_score};
    return n;
}
