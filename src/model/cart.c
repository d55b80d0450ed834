/*
 * cart.c: the `tree` family, one CART decision tree (scikit-learn's
 * DecisionTreeClassifier / DecisionTreeRegressor, with their parameter
 * names and defaults).
 *
 * The tree is an ensemble of one with the averaging link, so it predicts,
 * explains and saves through the same code as the forests. By default every
 * feature is tried at every node (max_features "all"); features are still
 * visited in a random order drawn from the context's seed, which only
 * matters for ties between equally good splits.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/cart.h"

#include "core/banned.h"

static const lathe__param_spec tree_params[] = {
    LATHE__CART_PARAMS,
    {.name = "splitter",
     .type = LATHE__PARAM_CHOICE,
     .default_value = "best",
     .choices = "best|random",
     .help = "best: the best threshold of each feature; random: one random threshold each"},
    {.name = "class_weight",
     .type = LATHE__PARAM_STRING,
     .default_value = "none",
     .help = "none, balanced, or CLASS:WEIGHT pairs by class index such as 0:1,1:5"},
};

/* Grows the tree of `data` with `weights` into *tree. */
static lathe_status grow_one(lathe_ctx *ctx, const lathe__cart_data *data,
                             const lathe__cart_options *options, const double *weights,
                             lathe__tree *tree, lathe_error *err)
{
    lathe__cart_workspace *ws = NULL;
    lathe__rng rng;
    lathe__rng_seed(&rng, lathe_ctx_seed(ctx));
    lathe_status status = lathe__cart_workspace_new(ctx, NULL, data, options, &ws, err);
    if (status == LATHE_OK)
        status = lathe__cart_grow(ws, weights, &rng, err);
    if (status == LATHE_OK)
        status = lathe__cart_emit(ws, tree, err);
    lathe__cart_workspace_free(ws);
    return status;
}

static lathe_status new_model(lathe_ctx *ctx, const lathe__train_data *train,
                              lathe__cart_model **out, lathe_error *err)
{
    lathe__cart_model *m = lathe__calloc(ctx, 1, sizeof *m);
    if (!m || !(m->ensemble.trees = lathe__calloc(ctx, 1, sizeof *m->ensemble.trees))) {
        lathe__free(ctx, m);
        return lathe__error_nomem(err);
    }
    m->family = lathe__tree_ops.name;
    m->task = train->task;
    m->n_classes = train->task == LATHE__TASK_CLASSIFICATION ? train->n_classes : 0;
    m->oob_score = NAN;
    lathe__ensemble *e = &m->ensemble;
    e->n_features = train->x->n_cols;
    e->n_outputs = e->n_raw = m->n_classes ? m->n_classes : 1;
    e->link = LATHE__LINK_AVERAGE;
    *out = m;
    return LATHE_OK;
}

static lathe_status tree_fit(lathe_ctx *ctx, const lathe__train_data *train,
                             const lathe__param_values *params, void **model, lathe_error *err)
{
    lathe__cart_data data;
    lathe__cart_options options;
    lathe__cart_model *m = NULL;
    double *weights = NULL;
    lathe_status status = lathe__cart_data_init(ctx, &lathe__tree_ops, train, &data, err);
    if (status != LATHE_OK)
        return status;
    if ((status = lathe__cart_options_from(params, &data, "all", &options, err)) != LATHE_OK)
        goto out;
    options.random_splits = strcmp(lathe__params_choice(params, "splitter"), "random") == 0;
    status = lathe__cart_row_weights(ctx, train, lathe__params_text(params, "class_weight"),
                                     &weights, err);
    if (status == LATHE_OK)
        status = new_model(ctx, train, &m, err);
    if (status == LATHE_OK)
        status = grow_one(ctx, &data, &options, weights, &m->ensemble.trees[0], err);
    if (status == LATHE_OK) {
        m->ensemble.n_trees = 1;
        status = lathe__ensemble_prepare(ctx, &m->ensemble, err);
    }
    if (status == LATHE_OK) {
        lathe__log(ctx, LATHE_LOG_INFO, "tree: %zu nodes", m->ensemble.trees[0].n_nodes);
        *model = m;
        m = NULL;
    }
out:
    lathe__cart_model_free(ctx, m);
    lathe__free(ctx, weights);
    lathe__cart_data_release(ctx, &data);
    return status;
}

static lathe_status tree_load(lathe_ctx *ctx, lathe__rbuf *buf, void **model, lathe_error *err)
{
    return lathe__cart_model_load(ctx, buf, lathe__tree_ops.name, model, err);
}

const lathe__model_ops lathe__tree_ops = {
    .name = "tree",
    .summary = "a CART decision tree (gini/entropy or squared error, pruning, missing values)",
    .tasks = LATHE__TASK_CLASSIFICATION | LATHE__TASK_REGRESSION,
    .params = tree_params,
    .n_params = sizeof tree_params / sizeof tree_params[0],
    .native_missing = true,
    .fit = tree_fit,
    .predict = lathe__cart_model_predict,
    .predict_parallel = lathe__cart_model_predict_parallel,
    .n_outputs = lathe__cart_model_n_outputs,
    .n_features = lathe__cart_model_n_features,
    .save = lathe__cart_model_save,
    .load = tree_load,
    .free = lathe__cart_model_free,
    .ensemble = lathe__cart_model_ensemble,
    .facts = lathe__cart_model_facts,
};
