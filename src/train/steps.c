/*
 * steps.c: a spec's `steps:` list applied to the pipeline's options.
 *
 *   steps:
 *     - impute: {strategy: mean, add_indicator: true}
 *     - impute: {strategy: constant, fill_value: 0, columns: [insulin]}
 *     - power: {method: yeo-johnson}
 *     - scale: {method: robust}
 *     - encode: {method: onehot, min_frequency: 10}
 *     - datetime: {parts: [year, month, day_of_week]}
 *     - select: {method: f_classif, k: 20}
 *     - pca: {n_components: 0.95}
 *
 * A step without `columns` changes the defaults for the kinds it concerns;
 * a step with `columns` changes only those columns. Kind-wide steps are
 * applied first, so a column's own settings always win whatever the order.
 * Each step is a table entry: its option names (for "did you mean" hints)
 * and a function applying one option.
 */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "core/number.h"
#include "core/suggest.h"
#include "train/train_internal.h"

#include "core/banned.h"

#define MAX_OPTIONS 8

/* Where a step applies: every option struct it should change. */
typedef struct step_target {
    lathe__prep_options *options[LATHE_KIND_COUNT];
    lathe_kind kinds[LATHE_KIND_COUNT]; /* the kind of the column(s) each options serves */
    bool per_column;
    size_t n;
    lathe__prep_spec *spec; /* for matrix-stage steps */
} step_target;

typedef lathe_status (*option_fn)(const step_target *target, const char *value, const char *where,
                                  lathe_error *err);

typedef struct step_entry {
    const char *name;
    const char *options[MAX_OPTIONS];
    option_fn apply[MAX_OPTIONS];
    unsigned kinds; /* bits of lathe_kind the step changes when no columns are named */
} step_entry;

static lathe_status bad_value(const char *where, const char *option, const char *value,
                              const char *expected, lathe_error *err)
{
    return lathe__error(err, LATHE_INVALID, "%s: %s must be %s, got \"%s\"", where, option,
                        expected, value);
}

static lathe_status choice(lathe__prep_choice list, const char *option, const char *value,
                           const char *expected, const char *where, int *out, lathe_error *err)
{
    if (!lathe__prep_choice_parse(list, value, out))
        return bad_value(where, option, value, expected, err);
    return LATHE_OK;
}

static lathe_status number(const char *option, const char *value, double min, const char *where,
                           double *out, lathe_error *err)
{
    if (lathe__parse_double(value, strlen(value), out) != LATHE__NUMBER_OK || *out < min)
        return bad_value(where, option, value, min > 0 ? "a positive number" : "a number", err);
    return LATHE_OK;
}

static lathe_status impute_strategy(const step_target *t, const char *value, const char *where,
                                    lathe_error *err)
{
    int strategy;
    lathe_status status =
        choice(LATHE__CHOICE_IMPUTE, "strategy", value,
               "mean, median, most_frequent, constant or none", where, &strategy, err);
    bool numbers_only = strategy == LATHE__IMPUTE_MEAN || strategy == LATHE__IMPUTE_MEDIAN;
    for (size_t i = 0; status == LATHE_OK && i < t->n; i++) {
        bool categories = t->kinds[i] == LATHE_KIND_CATEGORICAL || t->kinds[i] == LATHE_KIND_TEXT;
        if (numbers_only && categories && t->per_column)
            return bad_value(where, "strategy", value,
                             "most_frequent or constant for a categorical column", err);
        if (!(numbers_only && categories))
            t->options[i]->impute = (lathe__impute)strategy;
    }
    return status;
}

static lathe_status impute_fill(const step_target *t, const char *value, const char *where,
                                lathe_error *err)
{
    (void)where;
    (void)err;
    double fill;
    bool is_number = lathe__parse_double(value, strlen(value), &fill) == LATHE__NUMBER_OK;
    for (size_t i = 0; i < t->n; i++) {
        t->options[i]->fill_category = value;
        if (is_number)
            t->options[i]->fill_number = fill;
    }
    return LATHE_OK;
}

static lathe_status flag(const char *option, const char *value, const char *where, bool *out,
                         lathe_error *err)
{
    if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0)
        *out = true;
    else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0)
        *out = false;
    else
        return bad_value(where, option, value, "true or false", err);
    return LATHE_OK;
}

static lathe_status impute_indicator(const step_target *t, const char *value, const char *where,
                                     lathe_error *err)
{
    bool on = false;
    lathe_status status = flag("add_indicator", value, where, &on, err);
    for (size_t i = 0; status == LATHE_OK && i < t->n; i++)
        t->options[i]->missing_indicator = on;
    return status;
}

static lathe_status scale_method(const step_target *t, const char *value, const char *where,
                                 lathe_error *err)
{
    int scale;
    lathe_status status = choice(LATHE__CHOICE_SCALE, "method", value,
                                 "standard, minmax, robust or none", where, &scale, err);
    for (size_t i = 0; status == LATHE_OK && i < t->n; i++)
        t->options[i]->scale = (lathe__scale)scale;
    return status;
}

static lathe_status power_method(const step_target *t, const char *value, const char *where,
                                 lathe_error *err)
{
    int power;
    lathe_status status = choice(LATHE__CHOICE_POWER, "method", value, "log1p, yeo-johnson or none",
                                 where, &power, err);
    for (size_t i = 0; status == LATHE_OK && i < t->n; i++)
        t->options[i]->power = (lathe__power)power;
    return status;
}

static lathe_status encode_method(const step_target *t, const char *value, const char *where,
                                  lathe_error *err)
{
    int encode;
    lathe_status status = choice(LATHE__CHOICE_ENCODE, "method", value,
                                 "onehot, ordinal, target, codes or drop", where, &encode, err);
    for (size_t i = 0; status == LATHE_OK && i < t->n; i++)
        t->options[i]->encode = (lathe__encode)encode;
    return status;
}

static lathe_status encode_min_frequency(const step_target *t, const char *value, const char *where,
                                         lathe_error *err)
{
    double x;
    lathe_status status = number("min_frequency", value, 0, where, &x, err);
    for (size_t i = 0; status == LATHE_OK && i < t->n; i++)
        t->options[i]->min_frequency = x;
    return status;
}

static lathe_status encode_smoothing(const step_target *t, const char *value, const char *where,
                                     lathe_error *err)
{
    double x = -1;
    lathe_status status =
        strcmp(value, "auto") == 0 ? LATHE_OK : number("smoothing", value, 0, where, &x, err);
    for (size_t i = 0; status == LATHE_OK && i < t->n; i++)
        t->options[i]->target_smoothing = x;
    return status;
}

static lathe_status encode_folds(const step_target *t, const char *value, const char *where,
                                 lathe_error *err)
{
    double x;
    lathe_status status = number("folds", value, 2, where, &x, err);
    for (size_t i = 0; status == LATHE_OK && i < t->n; i++)
        t->options[i]->target_folds = (size_t)x;
    return status;
}

static lathe_status datetime_parts(const step_target *t, const char *value, const char *where,
                                   lathe_error *err)
{
    static const char *const names[] = {"year",        "month", "day",
                                        "day_of_week", "hour",  "epoch_seconds"};
    unsigned parts = 0;
    for (const char *p = value; *p;) {
        size_t length = strcspn(p, ",");
        size_t i = 0;
        while (i < 6 && !(strlen(names[i]) == length && strncmp(p, names[i], length) == 0))
            i++;
        if (i == 6)
            return bad_value(where, "parts", value,
                             "a list of year, month, day, day_of_week, hour, epoch_seconds", err);
        parts |= 1u << i;
        p += length + (p[length] == ',');
    }
    for (size_t i = 0; i < t->n; i++)
        t->options[i]->datetime_parts = parts;
    return LATHE_OK;
}

static lathe_status select_method(const step_target *t, const char *value, const char *where,
                                  lathe_error *err)
{
    int select;
    lathe_status status =
        choice(LATHE__CHOICE_SELECT, "method", value,
               "variance, f_classif, f_regression, chi2, mutual_info or none", where, &select, err);
    if (status == LATHE_OK)
        t->spec->select = (lathe__select)select;
    return status;
}

static lathe_status select_k(const step_target *t, const char *value, const char *where,
                             lathe_error *err)
{
    double x;
    lathe_status status = number("k", value, 1, where, &x, err);
    if (status == LATHE_OK)
        t->spec->select_k = (size_t)x;
    return status;
}

static lathe_status select_threshold(const step_target *t, const char *value, const char *where,
                                     lathe_error *err)
{
    return number("threshold", value, 0, where, &t->spec->select_threshold, err);
}

static lathe_status pca_components(const step_target *t, const char *value, const char *where,
                                   lathe_error *err)
{
    return number("n_components", value, 1e-12, where, &t->spec->pca_components, err);
}

static lathe_status layout_kind(const step_target *t, const char *value, const char *where,
                                lathe_error *err)
{
    int layout;
    lathe_status status =
        choice(LATHE__CHOICE_LAYOUT, "type", value, "auto, dense or sparse", where, &layout, err);
    if (status == LATHE_OK)
        t->spec->layout = (lathe__layout)layout;
    return status;
}

#define KIND_BIT(kind) (1u << LATHE_KIND_##kind)
#define NUMBERS (KIND_BIT(NUMERIC) | KIND_BIT(BOOLEAN) | KIND_BIT(DATETIME))

static const step_entry steps[] = {
    {"impute",
     {"strategy", "fill_value", "add_indicator"},
     {impute_strategy, impute_fill, impute_indicator},
     NUMBERS | KIND_BIT(CATEGORICAL)},
    {"scale", {"method"}, {scale_method}, NUMBERS},
    {"power", {"method"}, {power_method}, KIND_BIT(NUMERIC)},
    {"encode",
     {"method", "min_frequency", "smoothing", "folds"},
     {encode_method, encode_min_frequency, encode_smoothing, encode_folds},
     KIND_BIT(CATEGORICAL)},
    {"datetime", {"parts"}, {datetime_parts}, KIND_BIT(DATETIME)},
    {"select", {"method", "k", "threshold"}, {select_method, select_k, select_threshold}, 0},
    {"pca", {"n_components"}, {pca_components}, 0},
    {"layout", {"type"}, {layout_kind}, 0},
};

#define N_STEPS (sizeof steps / sizeof steps[0])

static const step_entry *find_step(const lathe__step_decl *decl, lathe_error *err)
{
    const char *names[N_STEPS];
    for (size_t i = 0; i < N_STEPS; i++) {
        if (strcmp(steps[i].name, decl->name) == 0)
            return &steps[i];
        names[i] = steps[i].name;
    }
    const char *guess = lathe__suggest(decl->name, names, N_STEPS);
    lathe__error(err, LATHE_INVALID,
                 "%s: unknown step \"%s\"%s%s%s (steps: impute, scale, power, encode, datetime, "
                 "select, pca, layout)",
                 decl->where, decl->name, guess ? " (did you mean \"" : "", guess ? guess : "",
                 guess ? "\"?)" : "");
    return NULL;
}

static lathe_status apply_options(const step_entry *step, const lathe__step_decl *decl,
                                  const step_target *target, lathe_error *err)
{
    for (size_t o = 0; o < decl->n_options; o++) {
        const lathe__option *option = &decl->options[o];
        if (strcmp(option->name, "columns") == 0)
            continue;
        size_t n = 0, i = MAX_OPTIONS;
        while (n < MAX_OPTIONS && step->options[n]) {
            if (strcmp(step->options[n], option->name) == 0)
                i = n;
            n++;
        }
        if (i == MAX_OPTIONS) {
            const char *guess = lathe__suggest(option->name, step->options, n);
            return lathe__error(err, LATHE_INVALID, "%s: unknown option \"%s\" for %s%s%s%s",
                                decl->where, option->name, step->name,
                                guess ? " (did you mean \"" : "", guess ? guess : "",
                                guess ? "\"?)" : "");
        }
        lathe_status status = step->apply[i](target, option->value, decl->where, err);
        if (status != LATHE_OK)
            return status;
    }
    return LATHE_OK;
}

static const char *columns_option(const lathe__step_decl *decl)
{
    for (size_t o = 0; o < decl->n_options; o++)
        if (strcmp(decl->options[o].name, "columns") == 0)
            return decl->options[o].value;
    return NULL;
}

/* The override for column `name`, made from its kind's settings when new. */
static lathe__prep_options *column_override(lathe__prep_spec *prep,
                                            lathe__prep_column_options *columns, size_t capacity,
                                            const lathe_frame *features, const char *name,
                                            size_t length, const char *where, lathe_kind *kind,
                                            lathe_error *err)
{
    size_t index;
    char copy[256];
    snprintf(copy, sizeof copy, "%.*s", (int)(length < 255 ? length : 255), name);
    bool found = lathe_frame_find(features, copy, &index);
    if (found)
        *kind = lathe_frame_column_kind(features, index);
    for (size_t i = 0; found && i < prep->n_columns; i++)
        if (strcmp(columns[i].name, copy) == 0)
            return &columns[i].options;
    if (!found) {
        lathe__error(err, LATHE_NOT_FOUND, "%s: column \"%s\" is not a feature of the data", where,
                     copy);
        return NULL;
    }
    if (prep->n_columns == capacity) {
        lathe__error(err, LATHE_LIMIT, "%s: too many column settings", where);
        return NULL;
    }
    lathe__prep_column_options *entry = &columns[prep->n_columns++];
    entry->name = lathe_frame_column_name(features, index);
    entry->options = prep->by_kind[lathe_frame_column_kind(features, index)];
    return &entry->options;
}

static lathe_status apply_to_columns(const step_entry *step, const lathe__step_decl *decl,
                                     const char *list, lathe__prep_spec *prep,
                                     lathe__prep_column_options *columns, size_t capacity,
                                     const lathe_frame *features, lathe_error *err)
{
    if (step->kinds == 0)
        return lathe__error(err, LATHE_INVALID, "%s: %s applies to the whole row, not to columns",
                            decl->where, step->name);
    for (const char *p = list; *p;) {
        size_t length = strcspn(p, ",");
        step_target target = {.n = 1, .spec = prep, .per_column = true};
        target.options[0] = column_override(prep, columns, capacity, features, p, length,
                                            decl->where, &target.kinds[0], err);
        if (!target.options[0])
            return err ? err->status : LATHE_NOT_FOUND;
        lathe_status status = apply_options(step, decl, &target, err);
        if (status != LATHE_OK)
            return status;
        p += length + (p[length] == ',');
    }
    return LATHE_OK;
}

lathe_status lathe__apply_steps(lathe_ctx *ctx, const lathe__spec *spec,
                                const lathe_frame *features, lathe__prep_spec *prep,
                                lathe__prep_column_options **columns, lathe_error *err)
{
    size_t capacity = lathe_frame_n_columns(features);
    *columns = lathe__calloc(ctx, capacity ? capacity : 1, sizeof **columns);
    if (!*columns)
        return lathe__error_nomem(err);
    lathe_status status = LATHE_OK;
    /* Kind-wide steps first, then per-column ones over the final kind settings. */
    for (int pass = 0; pass < 2 && status == LATHE_OK; pass++) {
        for (size_t s = 0; s < spec->n_steps && status == LATHE_OK; s++) {
            const lathe__step_decl *decl = &spec->steps[s];
            const step_entry *step = find_step(decl, err);
            if (!step)
                return LATHE_INVALID;
            const char *list = columns_option(decl);
            if ((list != NULL) != (pass == 1))
                continue;
            if (list) {
                status =
                    apply_to_columns(step, decl, list, prep, *columns, capacity, features, err);
                continue;
            }
            step_target target = {.spec = prep};
            for (int kind = 0; kind < LATHE_KIND_COUNT; kind++) {
                if (step->kinds & (1u << kind)) {
                    target.kinds[target.n] = (lathe_kind)kind;
                    target.options[target.n++] = &prep->by_kind[kind];
                }
            }
            status = apply_options(step, decl, &target, err);
        }
    }
    prep->columns = *columns;
    return status;
}

void lathe__steps_release(lathe_ctx *ctx, lathe__prep_column_options *columns)
{
    lathe__free(ctx, columns);
}
