/*
 * train.c: lathe_train, from a frame and options to a fitted model.
 *
 * The order is fixed so that nothing learns from test rows: choose the
 * family and task, drop rows without a target, split, fit the pipeline on
 * the training rows only (target encoding out of fold), fit the estimator
 * on the pipeline's training matrix, then score the test rows through the
 * same predict path that loaded artifacts use.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "lathe/split.h"
#include "train/train_internal.h"

#include "core/banned.h"

#define DEFAULT_HOLDOUT 0.2

typedef struct train_run {
    lathe_ctx *ctx;
    const lathe_train_options *options;
    lathe__spec *spec;
    lathe_model *model;
    const lathe_frame *data;
    size_t target;
    lathe_frame *present;  /* rows of data with a target */
    lathe_frame *features; /* present, feature columns only */
    size_t *train_rows, *test_rows;
    size_t n_train, n_test;
    lathe_frame *train;
    lathe_frame *test;
    double *y;
    double *weights;
    lathe__matrix train_x;
} train_run;

void lathe_train_options_init(lathe_train_options *options)
{
    memset(options, 0, sizeof *options);
    options->holdout = -1;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static lathe_status choose_family(train_run *run, lathe_error *err)
{
    const char *name = run->options->model;
    if (!name && run->spec)
        name = run->spec->model;
    lathe_model *model = run->model;
    const lathe__model_ops *ops = NULL;
    if (name && strcmp(name, "auto") != 0) {
        ops = lathe__model_find(name);
        if (!ops)
            return lathe__unknown_family(name, err);
    }
    lathe_status status =
        lathe__decide_task(run->options->task, ops, run->data, run->target, &model->task, err);
    if (status != LATHE_OK)
        return status;
    if (!ops)
        ops = lathe__model_find(model->task == LATHE__TASK_CLASSIFICATION ? "logistic" : "ridge");
    model->ops = ops;
    return lathe__params_init(run->ctx, ops->params, ops->n_params, &model->params, err);
}

static lathe_status set_params(train_run *run, lathe_error *err)
{
    lathe_model *model = run->model;
    lathe_status status = LATHE_OK;
    for (size_t i = 0; run->spec && i < run->spec->n_params && status == LATHE_OK; i++) {
        const lathe__option *p = &run->spec->params[i];
        status = lathe__params_set_named(run->ctx, &model->params, p->name, p->value, err);
        if (status != LATHE_OK)
            lathe__error_prefix(err, "%s", run->spec->path);
    }
    for (size_t i = 0; i < run->options->n_params && status == LATHE_OK; i++)
        status = lathe__params_set(run->ctx, &model->params, run->options->params[i], err);
    return status;
}

/* The rows of data that have a target, and the feature columns. */
static lathe_status select_rows_and_features(train_run *run, lathe_error *err)
{
    const lathe_frame *data = run->data;
    size_t n_rows = lathe_frame_n_rows(data), n_columns = lathe_frame_n_columns(data);
    size_t *rows = lathe__calloc(run->ctx, n_rows ? n_rows : 1, sizeof *rows);
    size_t *columns = lathe__calloc(run->ctx, n_columns ? n_columns : 1, sizeof *columns);
    size_t n_present = 0, n_features = 0;
    lathe_status status = LATHE_OK;
    if (!rows || !columns) {
        status = lathe__error_nomem(err);
        goto out;
    }
    for (size_t r = 0; r < n_rows; r++)
        if (!lathe_frame_is_missing(data, run->target, r))
            rows[n_present++] = r;
    run->model->lineage.n_dropped_rows = n_rows - n_present;
    if (n_present < 2) {
        status = lathe__error(err, LATHE_INVALID, "only %zu row%s with a value in target \"%s\"",
                              n_present, n_present == 1 ? "" : "s", run->model->target);
        goto out;
    }
    for (size_t c = 0; c < n_columns; c++)
        if (c != run->target && lathe_frame_column_role(data, c) == LATHE_ROLE_FEATURE)
            columns[n_features++] = c;
    if ((status = lathe_frame_take(data, rows, n_present, &run->present, err)) != LATHE_OK)
        goto out;
    status = lathe_frame_select(run->present, columns, n_features, &run->features, err);
out:
    lathe__free(run->ctx, rows);
    lathe__free(run->ctx, columns);
    return status;
}

static lathe_status find_column(const lathe_frame *frame, const char *name, const char *what,
                                size_t *index, lathe_error *err)
{
    if (lathe_frame_find(frame, name, index))
        return LATHE_OK;
    return lathe__error(err, LATHE_NOT_FOUND, "%s column \"%s\" is not in the data", what, name);
}

/* Fills the split's keys from the present rows: classes, groups, times. */
static lathe_status split_keys(train_run *run, const lathe_frame *present, lathe_split_kind kind,
                               lathe_split_keys *keys, int32_t **owned_ints, int64_t **owned_times,
                               lathe_error *err)
{
    size_t n = lathe_frame_n_rows(present), column;
    keys->n_rows = n;
    lathe_status status = LATHE_OK;
    if (kind == LATHE_SPLIT_STRATIFIED) {
        if (!(*owned_ints = lathe__calloc(run->ctx, n, sizeof **owned_ints)))
            return lathe__error_nomem(err);
        status = lathe__model_targets(run->model, present, run->target, NULL, *owned_ints, err);
        keys->classes = *owned_ints;
    } else if (kind == LATHE_SPLIT_GROUP) {
        const char *name = run->options->group_column
                               ? run->options->group_column
                               : (run->spec ? run->spec->group_column : NULL);
        if (!name)
            return lathe__error(err, LATHE_INVALID, "a group split needs a group column");
        if ((status = find_column(present, name, "group", &column, err)) != LATHE_OK)
            return status;
        if (!(*owned_ints = lathe__calloc(run->ctx, n, sizeof **owned_ints)))
            return lathe__error_nomem(err);
        status = lathe__group_codes(run->ctx, present, column, *owned_ints, err);
        keys->groups = *owned_ints;
    } else if (kind == LATHE_SPLIT_TIME) {
        const char *name = run->options->time_column ? run->options->time_column
                                                     : (run->spec ? run->spec->time_column : NULL);
        if (!name)
            return lathe__error(err, LATHE_INVALID, "a time split needs a time column");
        if ((status = find_column(present, name, "time", &column, err)) != LATHE_OK)
            return status;
        if (!(*owned_times = lathe__calloc(run->ctx, n, sizeof **owned_times)))
            return lathe__error_nomem(err);
        status = lathe__time_keys(present, column, *owned_times, err);
        keys->times = *owned_times;
    }
    return status;
}

static lathe_status split_kind_of(train_run *run, lathe_split_kind *kind, lathe_error *err)
{
    const char *name = run->options->split;
    if (!name && run->spec)
        name = run->spec->split_kind;
    if (!name) {
        *kind = run->model->task == LATHE__TASK_CLASSIFICATION ? LATHE_SPLIT_STRATIFIED
                                                               : LATHE_SPLIT_RANDOM;
        return LATHE_OK;
    }
    if (!lathe_split_kind_parse(name, kind))
        return lathe__error(err, LATHE_INVALID,
                            "unknown split \"%s\" (expected random, stratified, group or time)",
                            name);
    if (*kind == LATHE_SPLIT_STRATIFIED && run->model->task != LATHE__TASK_CLASSIFICATION)
        return lathe__error(err, LATHE_INVALID, "a stratified split needs a class target");
    return LATHE_OK;
}

static lathe_status split_rows(train_run *run, lathe_error *err)
{
    size_t n = lathe_frame_n_rows(run->present);
    double holdout = run->options->holdout;
    if (holdout < 0)
        holdout = run->spec && run->spec->holdout > 0 ? run->spec->holdout : DEFAULT_HOLDOUT;
    if (run->options->test)
        holdout = 0;
    run->train_rows = lathe__calloc(run->ctx, n, sizeof *run->train_rows);
    run->test_rows = lathe__calloc(run->ctx, n ? n : 1, sizeof *run->test_rows);
    if (!run->train_rows || !run->test_rows)
        return lathe__error_nomem(err);
    if (holdout == 0) {
        for (size_t r = 0; r < n; r++)
            run->train_rows[r] = r;
        run->n_train = n;
        return LATHE_OK;
    }
    lathe_split_kind kind;
    lathe_split_keys keys = {0};
    int32_t *ints = NULL;
    int64_t *times = NULL;
    lathe_split *split = NULL;
    lathe_status status = split_kind_of(run, &kind, err);
    if (status == LATHE_OK)
        status = split_keys(run, run->present, kind, &keys, &ints, &times, err);
    if (status == LATHE_OK)
        status = lathe_split_holdout(run->ctx, &keys, kind, holdout, lathe_ctx_seed(run->ctx),
                                     &split, err);
    if (status == LATHE_OK) {
        lathe_split_fold_sizes(split, 0, &run->n_train, &run->n_test);
        lathe_split_fold_rows(split, 0, run->train_rows, run->test_rows);
    }
    lathe_split_free(split);
    lathe__free(run->ctx, ints);
    lathe__free(run->ctx, times);
    return status;
}

static lathe_status training_targets(train_run *run, lathe_error *err)
{
    lathe_model *model = run->model;
    size_t n = run->n_train;
    lathe_frame *rows;
    lathe_status status = lathe_frame_take(run->present, run->train_rows, n, &rows, err);
    if (status != LATHE_OK)
        return status;
    run->y = lathe__calloc(run->ctx, n, sizeof *run->y);
    if (!run->y)
        status = lathe__error_nomem(err);
    else
        status = lathe__model_targets(model, rows, run->target, run->y, NULL, err);
    if (status == LATHE_OK)
        status = lathe__sample_weights(run->ctx, rows, &run->weights, err);
    lathe_frame_free(rows);
    return status;
}

static lathe_status fit_pipeline(train_run *run, lathe_error *err)
{
    lathe_model *model = run->model;
    lathe__prep_spec prep_spec;
    lathe__prep_column_options *columns = NULL;
    if (model->ops->native_missing)
        lathe__prep_spec_default_native(&prep_spec);
    else
        lathe__prep_spec_default(&prep_spec, model->ops->needs_scaling);
    lathe_status status = LATHE_OK;
    if (run->spec && run->spec->has_steps)
        status = lathe__apply_steps(run->ctx, run->spec, run->train, &prep_spec, &columns, err);
    if (status == LATHE_OK)
        status = lathe__prep_fit(run->ctx, run->train, run->y, model->task, model->n_classes,
                                 &prep_spec, &model->prep, &run->train_x, err);
    lathe__steps_release(run->ctx, columns);
    return status;
}

/* Which pipeline outputs hold category codes; NULL when none do. */
static lathe_status categorical_flags(train_run *run, bool **flags, lathe_error *err)
{
    size_t n = lathe__prep_n_features(run->model->prep), n_codes = 0;
    *flags = NULL;
    for (size_t i = 0; i < n; i++)
        n_codes += lathe__prep_feature_is_code(run->model->prep, i);
    if (n_codes == 0)
        return LATHE_OK;
    if (!(*flags = lathe__calloc(run->ctx, n, sizeof **flags)))
        return lathe__error_nomem(err);
    for (size_t i = 0; i < n; i++)
        (*flags)[i] = lathe__prep_feature_is_code(run->model->prep, i);
    return LATHE_OK;
}

/* Whether the family stops early on validation rows, and is set to. */
static lathe_status check_early_stopping(const lathe_model *model, lathe_error *err)
{
    const lathe__model_ops *ops = model->ops;
    bool stops_early = false;
    for (size_t i = 0; i < ops->n_params; i++)
        stops_early |= strcmp(ops->params[i].name, "early_stopping_rounds") == 0;
    if (!stops_early)
        return lathe__error(err, LATHE_INVALID,
                            "only early stopping uses it, and model family %s does not stop "
                            "early (gbdt does)",
                            ops->name);
    if (lathe__params_number(&model->params, "early_stopping_rounds") <= 0)
        return lathe__error(err, LATHE_INVALID,
                            "only early stopping uses it: set early_stopping_rounds (for example "
                            "--set early_stopping_rounds=20)");
    return LATHE_OK;
}

/* The caller's validation rows through the fitted pipeline, when there are any. */
static lathe_status validation_rows(train_run *run, lathe__matrix *x, double **y, lathe_error *err)
{
    *y = NULL;
    if (!run->options->valid)
        return LATHE_OK;
    lathe_status status = check_early_stopping(run->model, err);
    if (status == LATHE_OK)
        status = lathe__model_labeled_matrix(run->model, run->options->valid, x, y, err);
    if (status != LATHE_OK)
        lathe__error_prefix(err, "validation data");
    return status;
}

static lathe_status fit_estimator(train_run *run, lathe_error *err)
{
    lathe_model *model = run->model;
    bool *categorical = NULL;
    lathe__matrix valid_x = {0};
    double *valid_y = NULL;
    lathe_status status = categorical_flags(run, &categorical, err);
    if (status == LATHE_OK)
        status = validation_rows(run, &valid_x, &valid_y, err);
    if (status == LATHE_OK) {
        lathe__train_data data = {
            .x = &run->train_x,
            .y = run->y,
            .weights = run->weights,
            .task = model->task,
            .n_classes = model->n_classes,
            .categorical = categorical,
            .valid_x = valid_y ? &valid_x : NULL,
            .valid_y = valid_y,
        };
        double start = seconds_now();
        status = model->ops->fit(run->ctx, &data, &model->params, &model->estimator, err);
        model->lineage.fit_seconds = seconds_now() - start;
    }
    lathe__matrix_release(run->ctx, &valid_x);
    lathe__free(run->ctx, valid_y);
    lathe__free(run->ctx, categorical);
    return status;
}

static lathe_status score_test(train_run *run, lathe_error *err)
{
    const lathe_frame *test = run->options->test;
    lathe_frame *held = NULL;
    lathe_status status = LATHE_OK;
    if (!test && run->n_test) {
        status = lathe_frame_take(run->present, run->test_rows, run->n_test, &held, err);
        test = held;
    }
    if (status == LATHE_OK && test) {
        status = lathe_model_evaluate(run->model, test, &run->model->test_metrics, err);
        run->model->lineage.n_test_rows = lathe_frame_n_rows(test);
    }
    lathe_frame_free(held);
    return status;
}

/* Sums fold reports into model->cv_mean (values) and cv_std (squares). */
static void add_fold(lathe_model *model, const lathe_metrics_report *fold)
{
    if (model->cv_folds == 0) {
        model->cv_mean = *fold;
        model->cv_std = *fold;
        for (size_t i = 0; i < fold->n_values; i++) {
            model->cv_std.values[i].value = fold->values[i].value * fold->values[i].value;
            model->cv_mean.values[i].undefined = model->cv_std.values[i].undefined = NULL;
        }
    } else {
        for (size_t i = 0; i < fold->n_values && i < model->cv_mean.n_values; i++) {
            model->cv_mean.values[i].value += fold->values[i].value;
            model->cv_std.values[i].value += fold->values[i].value * fold->values[i].value;
        }
    }
    model->cv_folds++;
}

static void finish_folds(lathe_model *model)
{
    double k = (double)model->cv_folds;
    for (size_t i = 0; i < model->cv_mean.n_values; i++) {
        double mean = model->cv_mean.values[i].value / k;
        double variance = model->cv_std.values[i].value / k - mean * mean;
        model->cv_mean.values[i].value = mean;
        model->cv_std.values[i].value = k > 1 ? sqrt(fmax(variance, 0) * k / (k - 1)) : 0;
        if (isnan(mean))
            model->cv_mean.values[i].undefined = "undefined in some fold";
    }
}

/* Fits and scores one fold through a model that shares everything but its fitted parts. */
static lathe_status run_fold(train_run *run, const lathe_frame *rows, const size_t *train_rows,
                             size_t n_train, const size_t *test_rows, size_t n_test,
                             lathe_metrics_report *report, lathe_error *err)
{
    lathe_model fold_model = *run->model;
    fold_model.prep = NULL;
    fold_model.estimator = NULL;
    train_run fold = *run;
    fold.model = &fold_model;
    fold.present = (lathe_frame *)rows;
    fold.train_rows = (size_t *)train_rows;
    fold.n_train = n_train;
    fold.train = NULL;
    fold.y = fold.weights = NULL;
    memset(&fold.train_x, 0, sizeof fold.train_x);
    lathe_frame *held = NULL;
    lathe_status status = lathe_frame_take(run->train, train_rows, n_train, &fold.train, err);
    if (status == LATHE_OK)
        status = training_targets(&fold, err);
    if (status == LATHE_OK)
        status = fit_pipeline(&fold, err);
    if (status == LATHE_OK)
        status = fit_estimator(&fold, err);
    if (status == LATHE_OK)
        status = lathe_frame_take(rows, test_rows, n_test, &held, err);
    if (status == LATHE_OK)
        status = lathe_model_evaluate(&fold_model, held, report, err);
    lathe_frame_free(held);
    lathe_frame_free(fold.train);
    lathe__free(run->ctx, fold.y);
    lathe__free(run->ctx, fold.weights);
    lathe__matrix_release(run->ctx, &fold.train_x);
    lathe__prep_free(fold_model.prep);
    if (fold_model.estimator)
        fold_model.ops->free(run->ctx, fold_model.estimator);
    return status;
}

/* k-fold cross-validation on the training rows, before the final fit on all of them. */
static lathe_status cross_validate(train_run *run, lathe_error *err)
{
    int folds = run->options->folds ? run->options->folds : (run->spec ? run->spec->folds : 0);
    if (folds < 2)
        return LATHE_OK;
    lathe_frame *rows = NULL;
    lathe_split *split = NULL;
    int32_t *ints = NULL;
    int64_t *times = NULL;
    size_t *train_rows = NULL, *test_rows = NULL;
    lathe_split_kind kind;
    lathe_split_keys keys = {0};
    lathe_status status = lathe_frame_take(run->present, run->train_rows, run->n_train, &rows, err);
    if (status == LATHE_OK)
        status = split_kind_of(run, &kind, err);
    if (status == LATHE_OK)
        status = split_keys(run, rows, kind, &keys, &ints, &times, err);
    if (status == LATHE_OK)
        status = lathe_split_kfold(run->ctx, &keys, kind, (size_t)folds, lathe_ctx_seed(run->ctx),
                                   &split, err);
    train_rows = lathe__calloc(run->ctx, run->n_train + 1, sizeof *train_rows);
    test_rows = lathe__calloc(run->ctx, run->n_train + 1, sizeof *test_rows);
    if (status == LATHE_OK && (!train_rows || !test_rows))
        status = lathe__error_nomem(err);
    for (size_t f = 0; status == LATHE_OK && f < lathe_split_n_folds(split); f++) {
        size_t n_train, n_test;
        lathe_metrics_report report;
        lathe_split_fold_sizes(split, f, &n_train, &n_test);
        lathe_split_fold_rows(split, f, train_rows, test_rows);
        if (lathe__progress(run->ctx, "cross-validate", (double)f, (double)folds))
            status = lathe__error(err, LATHE_CANCELED, "training canceled");
        else
            status = run_fold(run, rows, train_rows, n_train, test_rows, n_test, &report, err);
        if (status == LATHE_OK)
            add_fold(run->model, &report);
        else
            lathe__error_prefix(err, "cross-validation fold %zu", f + 1);
    }
    if (status == LATHE_OK)
        finish_folds(run->model);
    lathe__free(run->ctx, train_rows);
    lathe__free(run->ctx, test_rows);
    lathe__free(run->ctx, ints);
    lathe__free(run->ctx, times);
    lathe_split_free(split);
    lathe_frame_free(rows);
    return status;
}

/* Keeps the metrics a spec lists, in its order; unknown names are errors. */
static lathe_status keep_listed(const lathe__spec *spec, lathe_metrics_report *report,
                                lathe_error *err)
{
    lathe_metrics_report kept = {0};
    for (size_t m = 0; m < spec->n_metrics; m++) {
        lathe_metric metric;
        if (!lathe_metric_parse(spec->metrics[m], &metric))
            return lathe__error(err, LATHE_INVALID, "%s: unknown metric \"%s\"", spec->path,
                                spec->metrics[m]);
        for (size_t i = 0; i < report->n_values; i++)
            if (strcmp(report->values[i].name, lathe_metric_name(metric)) == 0)
                kept.values[kept.n_values++] = report->values[i];
    }
    *report = kept;
    return LATHE_OK;
}

static lathe_status filter_metrics(train_run *run, lathe_error *err)
{
    if (!run->spec || run->spec->n_metrics == 0)
        return LATHE_OK;
    lathe_model *model = run->model;
    lathe_status status = keep_listed(run->spec, &model->test_metrics, err);
    if (status == LATHE_OK)
        status = keep_listed(run->spec, &model->cv_mean, err);
    if (status == LATHE_OK)
        status = keep_listed(run->spec, &model->cv_std, err);
    return status;
}

static lathe_status prepare(train_run *run, lathe_error *err)
{
    lathe_model *model = run->model;
    const char *target = run->options->target;
    if (!target && run->spec)
        target = run->spec->target;
    if (!target)
        return lathe__error(err, LATHE_INVALID, "no target: name the column to predict");
    if (!(model->target = lathe__strndup(run->ctx, target, strlen(target))))
        return lathe__error_nomem(err);
    lathe_status status = find_column(run->data, target, "target", &run->target, err);
    if (status != LATHE_OK)
        return status;
    model->target_kind = lathe_frame_column_kind(run->data, run->target);
    if ((status = choose_family(run, err)) != LATHE_OK || (status = set_params(run, err)))
        return status;
    if ((status = select_rows_and_features(run, err)) != LATHE_OK)
        return status;
    if (model->task == LATHE__TASK_CLASSIFICATION &&
        (status = lathe__collect_classes(model, run->present, run->target, err)) != LATHE_OK)
        return status;
    return lathe__model_record_columns(model, run->features, run->data, run->target, err);
}

static lathe_status train(train_run *run, lathe_error *err)
{
    lathe_status status = prepare(run, err);
    if (status == LATHE_OK)
        status = split_rows(run, err);
    if (status == LATHE_OK)
        status = lathe_frame_take(run->features, run->train_rows, run->n_train, &run->train, err);
    if (status == LATHE_OK)
        status = training_targets(run, err);
    if (status == LATHE_OK)
        status = cross_validate(run, err);
    if (status == LATHE_OK)
        status = fit_pipeline(run, err);
    if (status == LATHE_OK)
        status = fit_estimator(run, err);
    if (status == LATHE_OK)
        status = lathe__reference_build(run->ctx, run->train, &run->model->reference, err);
    if (status == LATHE_OK)
        status = lathe__model_record_lineage(run->model, run->options, run->spec, err);
    run->model->lineage.n_train_rows = run->n_train;
    if (status == LATHE_OK)
        status = score_test(run, err);
    if (status == LATHE_OK)
        status = filter_metrics(run, err);
    return status;
}

lathe_status lathe_train(lathe_ctx *ctx, const lathe_frame *data,
                         const lathe_train_options *options, lathe_model **out, lathe_error *err)
{
    train_run run = {.ctx = ctx, .options = options, .data = data};
    lathe_status status = LATHE_OK;
    if (options->spec_path)
        status = lathe__spec_load(ctx, options->spec_path, &run.spec, err);
    if (status == LATHE_OK && !(run.model = lathe__model_new(ctx)))
        status = lathe__error_nomem(err);
    if (status == LATHE_OK)
        status = train(&run, err);
    if (status == LATHE_OK) {
        *out = run.model;
        run.model = NULL;
    }
    lathe_model_free(run.model);
    lathe__spec_free(ctx, run.spec);
    lathe_frame_free(run.present);
    lathe_frame_free(run.features);
    lathe_frame_free(run.train);
    lathe__free(ctx, run.train_rows);
    lathe__free(ctx, run.test_rows);
    lathe__free(ctx, run.y);
    lathe__free(ctx, run.weights);
    lathe__matrix_release(ctx, &run.train_x);
    return status;
}
