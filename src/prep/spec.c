/*
 * spec.c: what the pipeline is asked to do: the choice names, the default
 * spec, and checking a spec before anything is fitted.
 *
 * Choice names come from the X-macro lists in prep.h, so the command line,
 * YAML specs and describe output can never disagree about spelling.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "prep/plan.h"

#include "core/banned.h"

#define CHOICE_TEXT(name, text) text,
static const char *const impute_names[] = {LATHE__IMPUTE_MAP(CHOICE_TEXT)};
static const char *const power_names[] = {LATHE__POWER_MAP(CHOICE_TEXT)};
static const char *const scale_names[] = {LATHE__SCALE_MAP(CHOICE_TEXT)};
static const char *const encode_names[] = {LATHE__ENCODE_MAP(CHOICE_TEXT)};
static const char *const select_names[] = {LATHE__SELECT_MAP(CHOICE_TEXT)};
static const char *const layout_names[] = {LATHE__LAYOUT_MAP(CHOICE_TEXT)};
#undef CHOICE_TEXT

typedef struct choice_list {
    const char *const *names;
    int count;
} choice_list;

static const choice_list choice_lists[] = {
    [LATHE__CHOICE_IMPUTE] = {impute_names, LATHE__IMPUTE_COUNT},
    [LATHE__CHOICE_POWER] = {power_names, LATHE__POWER_COUNT},
    [LATHE__CHOICE_SCALE] = {scale_names, LATHE__SCALE_COUNT},
    [LATHE__CHOICE_ENCODE] = {encode_names, LATHE__ENCODE_COUNT},
    [LATHE__CHOICE_SELECT] = {select_names, LATHE__SELECT_COUNT},
    [LATHE__CHOICE_LAYOUT] = {layout_names, LATHE__LAYOUT_COUNT},
};

const char *lathe__prep_choice_name(lathe__prep_choice list, int value)
{
    const choice_list *choices = &choice_lists[list];
    return value >= 0 && value < choices->count ? choices->names[value] : NULL;
}

bool lathe__prep_choice_parse(lathe__prep_choice list, const char *name, int *value)
{
    const choice_list *choices = &choice_lists[list];
    for (int i = 0; i < choices->count; i++) {
        if (strcmp(choices->names[i], name) == 0) {
            *value = i;
            return true;
        }
    }
    return false;
}

static lathe__prep_options default_options(lathe__impute impute, lathe__scale scale)
{
    lathe__prep_options options = {0};
    options.impute = impute;
    options.fill_category = NULL; /* "missing" */
    options.power = LATHE__POWER_NONE;
    options.scale = scale;
    options.encode = LATHE__ENCODE_ONEHOT;
    options.target_smoothing = -1;
    options.target_folds = 5;
    options.datetime_parts = LATHE__DATE_DEFAULT;
    return options;
}

void lathe__prep_spec_default(lathe__prep_spec *spec, bool model_needs_scaling)
{
    lathe__scale scale = model_needs_scaling ? LATHE__SCALE_STANDARD : LATHE__SCALE_NONE;
    memset(spec, 0, sizeof *spec);
    spec->by_kind[LATHE_KIND_NUMERIC] = default_options(LATHE__IMPUTE_MEDIAN, scale);
    spec->by_kind[LATHE_KIND_CATEGORICAL] =
        default_options(LATHE__IMPUTE_CONSTANT, LATHE__SCALE_NONE);
    spec->by_kind[LATHE_KIND_BOOLEAN] =
        default_options(LATHE__IMPUTE_MOST_FREQUENT, LATHE__SCALE_NONE);
    spec->by_kind[LATHE_KIND_DATETIME] = default_options(LATHE__IMPUTE_MEDIAN, scale);
    spec->by_kind[LATHE_KIND_TEXT] = default_options(LATHE__IMPUTE_CONSTANT, LATHE__SCALE_NONE);
    spec->by_kind[LATHE_KIND_TEXT].encode = LATHE__ENCODE_DROP;
    spec->select = LATHE__SELECT_NONE;
    spec->select_k = 10;
    spec->select_c = 1;
    spec->select_alpha = 1;
    spec->layout = LATHE__LAYOUT_AUTO;
}

void lathe__prep_spec_default_native(lathe__prep_spec *spec)
{
    lathe__prep_spec_default(spec, false);
    for (int kind = 0; kind < LATHE_KIND_COUNT; kind++)
        spec->by_kind[kind].impute = LATHE__IMPUTE_NONE;
    spec->by_kind[LATHE_KIND_CATEGORICAL].encode = LATHE__ENCODE_CODES;
}

static bool in_range(int value, int count)
{
    return value >= 0 && value < count;
}

static lathe_status check_options(const lathe__prep_options *o, const char *whose, lathe_error *err)
{
    if (!in_range((int)o->impute, LATHE__IMPUTE_COUNT) ||
        !in_range((int)o->power, LATHE__POWER_COUNT) ||
        !in_range((int)o->scale, LATHE__SCALE_COUNT) ||
        !in_range((int)o->encode, LATHE__ENCODE_COUNT))
        return lathe__error(err, LATHE_INVALID, "%s: an option is out of range", whose);
    if (o->impute == LATHE__IMPUTE_NONE &&
        (o->power != LATHE__POWER_NONE || o->scale != LATHE__SCALE_NONE))
        return lathe__error(err, LATHE_INVALID,
                            "%s: impute none keeps missing values for models that handle them "
                            "(trees), so it cannot be combined with a power transform or scaling",
                            whose);
    if (!isfinite(o->fill_number))
        return lathe__error(err, LATHE_INVALID, "%s: fill value must be a finite number", whose);
    if (!(o->min_frequency >= 0) || !isfinite(o->min_frequency))
        return lathe__error(err, LATHE_INVALID, "%s: min_frequency must be 0 or more", whose);
    if (isnan(o->target_smoothing) || isinf(o->target_smoothing))
        return lathe__error(err, LATHE_INVALID, "%s: target smoothing must be a number", whose);
    if (o->target_folds < 2 || o->target_folds > UINT32_MAX)
        return lathe__error(err, LATHE_INVALID, "%s: target encoding needs 2 or more folds", whose);
    if ((o->datetime_parts & LATHE__DATE_ALL) == 0 || (o->datetime_parts & ~LATHE__DATE_ALL))
        return lathe__error(err, LATHE_INVALID, "%s: datetime parts must name at least one part",
                            whose);
    return LATHE_OK;
}

static lathe_status check_matrix_steps(const lathe__prep_spec *spec, lathe_error *err)
{
    if (!in_range((int)spec->select, LATHE__SELECT_COUNT) ||
        !in_range((int)spec->layout, LATHE__LAYOUT_COUNT))
        return lathe__error(err, LATHE_INVALID, "selection or layout is out of range");
    bool by_score = spec->select != LATHE__SELECT_NONE && spec->select != LATHE__SELECT_VARIANCE &&
                    spec->select != LATHE__SELECT_L1;
    if (by_score && spec->select_k == 0)
        return lathe__error(err, LATHE_INVALID, "selection must keep at least 1 feature");
    if (!(spec->select_threshold >= 0) || !isfinite(spec->select_threshold))
        return lathe__error(err, LATHE_INVALID, "the variance threshold must be 0 or more");
    if (spec->select == LATHE__SELECT_L1 &&
        (!(spec->select_c > 0) || !isfinite(spec->select_c) || !(spec->select_alpha > 0) ||
         !isfinite(spec->select_alpha)))
        return lathe__error(err, LATHE_INVALID, "l1 selection needs C and alpha above 0");
    if (!(spec->pca_components >= 0) || !isfinite(spec->pca_components))
        return lathe__error(err, LATHE_INVALID,
                            "pca components must be a count, a fraction, or 0 for none");
    return LATHE_OK;
}

lathe_status lathe__prep_spec_check(const lathe__prep_spec *spec, lathe_error *err)
{
    for (int kind = 0; kind < LATHE_KIND_COUNT; kind++) {
        lathe_status status =
            check_options(&spec->by_kind[kind], lathe_kind_name((lathe_kind)kind), err);
        if (status != LATHE_OK)
            return status;
    }
    for (size_t i = 0; i < spec->n_columns; i++) {
        if (!spec->columns[i].name)
            return lathe__error(err, LATHE_INVALID, "column options %zu have no name", i);
        lathe_status status = check_options(&spec->columns[i].options, spec->columns[i].name, err);
        if (status != LATHE_OK)
            return status;
    }
    return check_matrix_steps(spec, err);
}
