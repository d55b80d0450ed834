/*
 * model_json.c: a model described as one JSON document, for `lathe inspect
 * --json` and any tool that wants a model's signature and history without
 * linking Lathe. Keys are stable: new ones may be added, none renamed.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "train/train_internal.h"

#include "core/banned.h"

static json_t *number_or_null(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

static json_t *text_or_null(const char *text)
{
    return text ? json_string(text) : json_null();
}

static json_t *inputs_json(const lathe_model *model)
{
    json_t *inputs = json_array();
    for (size_t i = 0; i < model->n_columns; i++) {
        if (model->columns[i].role != LATHE_ROLE_FEATURE)
            continue;
        json_array_append_new(inputs, json_pack("{s:s, s:s}", "name", model->columns[i].name,
                                                "kind", lathe_kind_name(model->columns[i].kind)));
    }
    return inputs;
}

static json_t *pipeline_json(const lathe_model *model)
{
    json_t *steps = json_array();
    for (size_t i = 0; i < lathe__prep_n_notes(model->prep); i++) {
        lathe__prep_note note = lathe__prep_note_at(model->prep, i);
        json_array_append_new(steps,
                              json_pack("{s:s, s:s}", "subject", note.subject, "text", note.text));
    }
    json_t *features = json_array();
    for (size_t i = 0; i < lathe__prep_n_features(model->prep); i++)
        json_array_append_new(features, json_string(lathe__prep_feature_name(model->prep, i)));
    return json_pack("{s:o, s:o, s:b}", "steps", steps, "features", features, "sparse",
                     lathe__prep_is_sparse(model->prep));
}

static json_t *params_json(const lathe__param_values *params)
{
    json_t *out = json_object();
    for (size_t i = 0; i < params->n; i++) {
        const lathe__param_spec *spec = &params->specs[i];
        json_t *value;
        switch (spec->type) {
        case LATHE__PARAM_BOOL:
            value = json_boolean(params->numbers[i] != 0);
            break;
        case LATHE__PARAM_INT:
            value = json_integer((json_int_t)params->numbers[i]);
            break;
        case LATHE__PARAM_CHOICE:
            value = text_or_null(lathe__params_choice(params, spec->name));
            break;
        case LATHE__PARAM_STRING:
            value = text_or_null(params->texts[i]);
            break;
        default:
            value = number_or_null(params->numbers[i]);
        }
        json_object_set_new(out, spec->name, value);
    }
    return out;
}

static bool is_count(double value)
{
    return value == floor(value) && fabs(value) < 0x1p53;
}

/* The family's facts about the fitted estimator, by name (counts as integers). */
static json_t *fitted_json(const lathe_model *model)
{
    json_t *obj = json_object();
    lathe__model_fact facts[LATHE__MAX_FACTS];
    size_t n =
        model->ops->facts && model->estimator ? model->ops->facts(model->estimator, facts) : 0;
    for (size_t i = 0; i < n; i++)
        json_object_set_new(obj, facts[i].name,
                            is_count(facts[i].value) ? json_integer((json_int_t)facts[i].value)
                                                     : number_or_null(facts[i].value));
    return obj;
}

static json_t *metrics_json(const lathe_metrics_report *report)
{
    json_t *out = json_object();
    for (size_t i = 0; i < report->n_values; i++)
        json_object_set_new(out, report->values[i].name, number_or_null(report->values[i].value));
    return out;
}

static json_t *cv_json(const lathe_model *model)
{
    if (!model->cv_folds)
        return json_null();
    return json_pack("{s:I, s:o, s:o}", "folds", (json_int_t)model->cv_folds, "mean",
                     metrics_json(&model->cv_mean), "std", metrics_json(&model->cv_std));
}

static json_t *reference_column_json(const lathe__reference_column *col)
{
    json_t *out =
        json_pack("{s:s, s:s, s:I, s:I}", "name", col->name, "kind", lathe_kind_name(col->kind),
                  "rows", (json_int_t)col->n_rows, "missing", (json_int_t)col->n_missing);
    if (col->bin_counts) {
        json_t *edges = json_array(), *counts = json_array();
        for (size_t b = 0; b < col->n_edges; b++)
            json_array_append_new(edges, number_or_null(col->edges[b]));
        for (size_t b = 0; b <= col->n_edges; b++)
            json_array_append_new(counts, json_integer((json_int_t)col->bin_counts[b]));
        json_object_set_new(out, "mean", number_or_null(col->mean));
        json_object_set_new(out, "std", number_or_null(col->std));
        json_object_set_new(out, "bin_edges", edges);
        json_object_set_new(out, "bin_counts", counts);
    }
    if (col->categories) {
        json_t *categories = json_object();
        for (size_t c = 0; c < col->n_categories; c++)
            json_object_set_new(categories, col->categories[c],
                                json_integer((json_int_t)col->category_counts[c]));
        json_object_set_new(out, "categories", categories);
    }
    return out;
}

static json_t *lineage_json(const lathe__lineage *l)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:I, s:I, s:f, s:I, s:I, s:I}", "lathe_version",
                     text_or_null(l->lathe_version), "data_source", text_or_null(l->data_source),
                     "data_sha256", text_or_null(l->data_sha256), "spec",
                     text_or_null(l->spec_text), "seed", (json_int_t)l->seed, "created",
                     (json_int_t)l->created, "fit_seconds", l->fit_seconds, "train_rows",
                     (json_int_t)l->n_train_rows, "test_rows", (json_int_t)l->n_test_rows,
                     "dropped_rows", (json_int_t)l->n_dropped_rows);
}

char *lathe_model_describe_json(const lathe_model *model)
{
    json_t *classes = json_array();
    for (size_t i = 0; i < model->n_classes; i++)
        json_array_append_new(classes, json_string(model->class_names[i]));
    json_t *reference = json_array();
    for (size_t i = 0; i < model->reference.n_columns; i++)
        json_array_append_new(reference, reference_column_json(&model->reference.columns[i]));
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "task",
        lathe_model_task(model), "family", model->ops->name, "target", model->target, "target_kind",
        lathe_kind_name(model->target_kind), "classes", classes, "inputs", inputs_json(model),
        "pipeline", pipeline_json(model), "params", params_json(&model->params), "fitted",
        fitted_json(model), "test_metrics", metrics_json(&model->test_metrics), "cross_validation",
        cv_json(model), "reference", reference, "lineage", lineage_json(&model->lineage));
    if (!root)
        return NULL;
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(root);
    return text;
}
