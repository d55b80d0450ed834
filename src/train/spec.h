/*
 * spec.h: a training run declared in YAML (internal).
 *
 *   data:
 *     target: diabetes
 *     columns: {patient: {role: id}, zip: {kind: categorical}}
 *   split: {holdout: 0.2, kind: stratified, seed: 42, folds: 5}
 *   steps:
 *     - impute: {strategy: median, add_indicator: true}
 *     - scale: {method: standard}
 *   model: {name: logistic, params: {C: 0.5}}
 *   metrics: [accuracy, roc_auc]
 *
 * Every key is checked: an unknown one is an error naming file, line and
 * column and the closest known key. Step options stay text here; the
 * pipeline checks them against its own tables. Command-line flags override
 * what a spec says.
 */
#ifndef LATHE_TRAIN_SPEC_H
#define LATHE_TRAIN_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/frame.h"
#include "lathe/read.h"

typedef struct lathe__option {
    char *name;
    char *value; /* scalar text; a list is joined with ',' */
} lathe__option;

typedef struct lathe__step_decl {
    char *name;
    lathe__option *options;
    size_t n_options;
    char *where; /* "spec.yaml:12:5", for the pipeline's messages */
} lathe__step_decl;

typedef struct lathe__spec {
    char *path;
    char *target;
    lathe_column_decl *columns; /* names owned */
    size_t n_columns;
    /* split */
    double holdout; /* 0 when not given */
    char *split_kind;
    char *group_column;
    char *time_column;
    int folds; /* 0 when not given */
    bool has_seed;
    uint64_t seed;
    /* pipeline and model */
    lathe__step_decl *steps;
    size_t n_steps;
    bool has_steps;
    char *model;
    lathe__option *params;
    size_t n_params;
    char **metrics;
    size_t n_metrics;
} lathe__spec;

lathe_status lathe__spec_load(lathe_ctx *ctx, const char *path, lathe__spec **out,
                              lathe_error *err);
/* As lathe__spec_load, from text; `name` is used in messages. */
lathe_status lathe__spec_parse(lathe_ctx *ctx, const char *text, size_t length, const char *name,
                               lathe__spec **out, lathe_error *err);
void lathe__spec_free(lathe_ctx *ctx, lathe__spec *spec);

#endif
