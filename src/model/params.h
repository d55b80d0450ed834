/*
 * params.h: model parameters from the command line, YAML specs and artifacts
 * (internal).
 *
 * Each family declares a table of lathe__param_spec: name, type, default,
 * range and help. lathe__params_parse checks "NAME=VALUE" pairs against it
 * and reports unknown names (with the closest known one), bad values and
 * out-of-range values in a message a user can act on. Values are stored by
 * position in the family's table. Numbers must be finite; a BOOL takes
 * true/false/1/0. Messages name the model whose table `specs` is (looked up
 * in the registry), so a table must be the one its family points at.
 */
#ifndef LATHE_PARAMS_H
#define LATHE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "lathe/core.h"

typedef enum lathe__param_type {
    LATHE__PARAM_DOUBLE,
    LATHE__PARAM_INT,
    LATHE__PARAM_BOOL,
    LATHE__PARAM_CHOICE, /* one of `choices`, a '|'-separated list */
    LATHE__PARAM_STRING  /* free text, e.g. class_weight "balanced" or "0:1,1:5" */
} lathe__param_type;

typedef struct lathe__param_spec {
    const char *name;
    lathe__param_type type;
    const char *default_value; /* as text, parsed like user input */
    double min;                /* DOUBLE/INT: bounds, inclusive unless `bounds` says otherwise */
    double max;
    const char *choices;
    const char *help;
    unsigned
        bounds; /* LATHE__PARAM_MIN_EXCLUSIVE | LATHE__PARAM_MAX_EXCLUSIVE, 0: both inclusive */
} lathe__param_spec;

#define LATHE__PARAM_MIN_EXCLUSIVE 1u
#define LATHE__PARAM_MAX_EXCLUSIVE 2u

#define LATHE__PARAMS_MAX 48

typedef struct lathe__param_values {
    const lathe__param_spec *specs;
    size_t n;
    double numbers[LATHE__PARAMS_MAX]; /* DOUBLE, INT, BOOL (0/1), CHOICE (index) */
    char *texts[LATHE__PARAMS_MAX];    /* STRING and CHOICE text (owned), else NULL */
    bool set[LATHE__PARAMS_MAX];       /* given by the user rather than defaulted */
} lathe__param_values;

/* Fills every value with its default. */
lathe_status lathe__params_init(lathe_ctx *ctx, const lathe__param_spec *specs, size_t n,
                                lathe__param_values *values, lathe_error *err);
void lathe__params_release(lathe_ctx *ctx, lathe__param_values *values);
/* Applies "NAME=VALUE". */
lathe_status lathe__params_set(lathe_ctx *ctx, lathe__param_values *values, const char *assignment,
                               lathe_error *err);
/* Applies NAME and VALUE given apart (YAML specs, JSON requests). */
lathe_status lathe__params_set_named(lathe_ctx *ctx, lathe__param_values *values, const char *name,
                                     const char *value, lathe_error *err);
double lathe__params_number(const lathe__param_values *values, const char *name);
const char *lathe__params_text(const lathe__param_values *values, const char *name);
/* The CHOICE's selected text. */
const char *lathe__params_choice(const lathe__param_values *values, const char *name);
void lathe__params_save(const lathe__param_values *values, lathe__wbuf *buf);
lathe_status lathe__params_load(lathe_ctx *ctx, lathe__rbuf *buf, const lathe__param_spec *specs,
                                size_t n, lathe__param_values *values, lathe_error *err);

#endif
