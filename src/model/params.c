/*
 * params.c: checking and storing model parameters given as text.
 *
 * Every value, defaults included, goes through one parser, so a default in a
 * family's table obeys the same rules as user input. A failed set leaves the
 * values as they were: the new value is parsed into temporaries first.
 * Messages name the parameter, the model (found by its table in the
 * registry) and the offending text exactly as the user wrote it.
 */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/internal.h"
#include "core/number.h"
#include "core/suggest.h"
#include "model/model.h"
#include "model/params.h"

#include "core/banned.h"

#define NAME_MAX_BYTES 64
#define TEXT_MAX_BYTES 4096
#define CHOICE_MAX 16

/* A parsed value before it is committed. */
typedef struct parsed_value {
    double number;
    char *text;
} parsed_value;

static const char *model_name_of(const lathe__param_spec *specs)
{
    size_t count;
    const lathe__model_ops *const *all = lathe__model_all(&count);
    for (size_t i = 0; i < count; i++)
        if (all[i]->params == specs)
            return all[i]->name;
    return NULL;
}

static size_t find_index(const lathe__param_spec *specs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(specs[i].name, name) == 0)
            return i;
    return n;
}

static size_t must_find(const lathe__param_values *values, const char *name)
{
    size_t i = find_index(values->specs, values->n, name);
    assert(i < values->n && "no parameter of that name in this family's table");
    return i;
}

static lathe_status unknown_name(const lathe__param_values *values, const char *name,
                                 lathe_error *err)
{
    const char *names[LATHE__PARAMS_MAX];
    for (size_t i = 0; i < values->n; i++)
        names[i] = values->specs[i].name;
    const char *close = lathe__suggest(name, names, values->n);
    const char *model = model_name_of(values->specs);
    char where[96] = "";
    if (model)
        snprintf(where, sizeof where, " for model \"%s\"", model);
    if (close)
        return lathe__error(err, LATHE_INVALID,
                            "unknown parameter \"%.64s\"%s (did you mean \"%s\"?)", name, where,
                            close);
    return lathe__error(err, LATHE_INVALID, "unknown parameter \"%.64s\"%s", name, where);
}

static bool in_range(const lathe__param_spec *spec, double value)
{
    bool min_open = spec->bounds & LATHE__PARAM_MIN_EXCLUSIVE;
    bool max_open = spec->bounds & LATHE__PARAM_MAX_EXCLUSIVE;
    if (min_open ? !(value > spec->min) : !(value >= spec->min))
        return false;
    return max_open ? value < spec->max : value <= spec->max;
}

/* "> 0", "<= 1", "between 0 and 1" or "> 0 and <= 1". */
static void describe_range(const lathe__param_spec *spec, char *out, size_t size)
{
    const char *low = spec->bounds & LATHE__PARAM_MIN_EXCLUSIVE ? ">" : ">=";
    const char *high = spec->bounds & LATHE__PARAM_MAX_EXCLUSIVE ? "<" : "<=";
    bool has_min = isfinite(spec->min), has_max = isfinite(spec->max);
    if (has_min && has_max && spec->bounds == 0)
        snprintf(out, size, "between %g and %g", spec->min, spec->max);
    else if (has_min && has_max)
        snprintf(out, size, "%s %g and %s %g", low, spec->min, high, spec->max);
    else if (has_min)
        snprintf(out, size, "%s %g", low, spec->min);
    else
        snprintf(out, size, "%s %g", high, spec->max);
}

static lathe_status out_of_range(const lathe__param_spec *spec, const char *text, lathe_error *err)
{
    char range[96];
    describe_range(spec, range, sizeof range);
    return lathe__error(err, LATHE_INVALID, "parameter \"%s\" must be %s, got %.64s", spec->name,
                        range, text);
}

static lathe_status parse_double(const lathe__param_spec *spec, const char *text, double *out,
                                 lathe_error *err)
{
    if (lathe__parse_double(text, strlen(text), out) != LATHE__NUMBER_OK || !isfinite(*out))
        return lathe__error(err, LATHE_INVALID, "parameter \"%s\" must be a number, got \"%.64s\"",
                            spec->name, text);
    return in_range(spec, *out) ? LATHE_OK : out_of_range(spec, text, err);
}

static lathe_status parse_int(const lathe__param_spec *spec, const char *text, double *out,
                              lathe_error *err)
{
    int64_t value;
    if (lathe__parse_int64(text, strlen(text), &value) != LATHE__NUMBER_OK)
        return lathe__error(err, LATHE_INVALID,
                            "parameter \"%s\" must be an integer, got \"%.64s\"", spec->name, text);
    *out = (double)value;
    return in_range(spec, *out) ? LATHE_OK : out_of_range(spec, text, err);
}

static lathe_status parse_bool(const lathe__param_spec *spec, const char *text, double *out,
                               lathe_error *err)
{
    if (strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0)
        *out = 1;
    else if (strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0)
        *out = 0;
    else
        return lathe__error(err, LATHE_INVALID,
                            "parameter \"%s\" must be true or false, got \"%.64s\"", spec->name,
                            text);
    return LATHE_OK;
}

/* Splits spec->choices at '|' into names[] (each NUL-terminated in storage). */
static size_t split_choices(const lathe__param_spec *spec, char *storage, size_t size,
                            const char **names)
{
    snprintf(storage, size, "%s", spec->choices ? spec->choices : "");
    size_t n = 0;
    char *at = storage;
    while (n < CHOICE_MAX) {
        names[n++] = at;
        char *bar = strchr(at, '|');
        if (!bar)
            break;
        *bar = '\0';
        at = bar + 1;
    }
    return n;
}

static lathe_status parse_choice(lathe_ctx *ctx, const lathe__param_spec *spec, const char *text,
                                 parsed_value *out, lathe_error *err)
{
    char storage[512];
    const char *names[CHOICE_MAX];
    size_t n = split_choices(spec, storage, sizeof storage, names);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], text) != 0)
            continue;
        out->number = (double)i;
        out->text = lathe__strndup(ctx, text, strlen(text));
        return out->text ? LATHE_OK : lathe__error_nomem(err);
    }
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    const char *close = lathe__suggest(text, names, n);
    if (close)
        return lathe__error(err, LATHE_INVALID,
                            "parameter \"%s\" must be one of %s, got \"%.64s\" (did you mean "
                            "\"%s\"?)",
                            spec->name, list, text, close);
    return lathe__error(err, LATHE_INVALID, "parameter \"%s\" must be one of %s, got \"%.64s\"",
                        spec->name, list, text);
}

static lathe_status parse_value(lathe_ctx *ctx, const lathe__param_spec *spec, const char *text,
                                parsed_value *out, lathe_error *err)
{
    out->number = 0;
    out->text = NULL;
    switch (spec->type) {
    case LATHE__PARAM_DOUBLE:
        return parse_double(spec, text, &out->number, err);
    case LATHE__PARAM_INT:
        return parse_int(spec, text, &out->number, err);
    case LATHE__PARAM_BOOL:
        return parse_bool(spec, text, &out->number, err);
    case LATHE__PARAM_CHOICE:
        return parse_choice(ctx, spec, text, out, err);
    case LATHE__PARAM_STRING:
        if (strlen(text) > TEXT_MAX_BYTES)
            return lathe__error(err, LATHE_LIMIT, "parameter \"%s\" is longer than %d bytes",
                                spec->name, TEXT_MAX_BYTES);
        out->text = lathe__strndup(ctx, text, strlen(text));
        return out->text ? LATHE_OK : lathe__error_nomem(err);
    }
    return lathe__error(err, LATHE_INVALID, "parameter \"%s\" has an unknown type", spec->name);
}

static void commit(lathe_ctx *ctx, lathe__param_values *values, size_t i, parsed_value *value,
                   bool set)
{
    lathe__free(ctx, values->texts[i]);
    values->numbers[i] = value->number;
    values->texts[i] = value->text;
    values->set[i] = set;
}

lathe_status lathe__params_init(lathe_ctx *ctx, const lathe__param_spec *specs, size_t n,
                                lathe__param_values *values, lathe_error *err)
{
    assert(n <= LATHE__PARAMS_MAX);
    memset(values, 0, sizeof *values);
    values->specs = specs;
    values->n = n;
    for (size_t i = 0; i < n; i++) {
        parsed_value value;
        lathe_status status = parse_value(ctx, &specs[i], specs[i].default_value, &value, err);
        if (status != LATHE_OK) {
            lathe__error_prefix(err, "default of parameter \"%s\"", specs[i].name);
            lathe__params_release(ctx, values);
            return status;
        }
        commit(ctx, values, i, &value, false);
    }
    return LATHE_OK;
}

void lathe__params_release(lathe_ctx *ctx, lathe__param_values *values)
{
    for (size_t i = 0; i < values->n; i++) {
        lathe__free(ctx, values->texts[i]);
        values->texts[i] = NULL;
    }
}

lathe_status lathe__params_set_named(lathe_ctx *ctx, lathe__param_values *values, const char *name,
                                     const char *value, lathe_error *err)
{
    size_t i = find_index(values->specs, values->n, name);
    if (i == values->n)
        return unknown_name(values, name, err);
    parsed_value parsed;
    lathe_status status = parse_value(ctx, &values->specs[i], value, &parsed, err);
    if (status == LATHE_OK)
        commit(ctx, values, i, &parsed, true);
    return status;
}

/* Copies text[0..length) without surrounding spaces into out (size bytes); false if too long. */
static bool copy_trimmed(const char *text, size_t length, char *out, size_t size)
{
    while (length && isspace((unsigned char)*text)) {
        text++;
        length--;
    }
    while (length && isspace((unsigned char)text[length - 1]))
        length--;
    if (length >= size)
        return false;
    memcpy(out, text, length);
    out[length] = '\0';
    return true;
}

lathe_status lathe__params_set(lathe_ctx *ctx, lathe__param_values *values, const char *assignment,
                               lathe_error *err)
{
    const char *equals = strchr(assignment, '=');
    if (!equals)
        return lathe__error(err, LATHE_INVALID, "expected NAME=VALUE, got \"%.64s\"", assignment);
    char name[NAME_MAX_BYTES];
    char value[TEXT_MAX_BYTES + 1];
    if (!copy_trimmed(assignment, (size_t)(equals - assignment), name, sizeof name))
        return lathe__error(err, LATHE_INVALID, "unknown parameter \"%.64s\"", assignment);
    if (!copy_trimmed(equals + 1, strlen(equals + 1), value, sizeof value))
        return lathe__error(err, LATHE_LIMIT, "parameter \"%s\" is longer than %d bytes", name,
                            TEXT_MAX_BYTES);
    return lathe__params_set_named(ctx, values, name, value, err);
}

double lathe__params_number(const lathe__param_values *values, const char *name)
{
    return values->numbers[must_find(values, name)];
}

const char *lathe__params_text(const lathe__param_values *values, const char *name)
{
    size_t i = must_find(values, name);
    assert(values->specs[i].type == LATHE__PARAM_STRING);
    return values->texts[i];
}

const char *lathe__params_choice(const lathe__param_values *values, const char *name)
{
    size_t i = must_find(values, name);
    assert(values->specs[i].type == LATHE__PARAM_CHOICE);
    return values->texts[i];
}

/*
 * Saved form: u32 count, then per parameter its name, u8 type, u8 set, and
 * the value: text for STRING and CHOICE (so reordering choices keeps old
 * files valid), an f64 otherwise.
 */
void lathe__params_save(const lathe__param_values *values, lathe__wbuf *buf)
{
    lathe__wbuf_u32(buf, (uint32_t)values->n);
    for (size_t i = 0; i < values->n; i++) {
        const lathe__param_spec *spec = &values->specs[i];
        lathe__wbuf_cstring(buf, spec->name);
        lathe__wbuf_u8(buf, (uint8_t)spec->type);
        lathe__wbuf_u8(buf, values->set[i]);
        if (spec->type == LATHE__PARAM_STRING || spec->type == LATHE__PARAM_CHOICE)
            lathe__wbuf_cstring(buf, values->texts[i]);
        else
            lathe__wbuf_f64(buf, values->numbers[i]);
    }
}

/* Checks a loaded number the way parse_value checks text. */
static bool number_valid(const lathe__param_spec *spec, double value)
{
    if (!isfinite(value))
        return false;
    if (spec->type == LATHE__PARAM_BOOL)
        return value == 0 || value == 1;
    if (spec->type == LATHE__PARAM_INT && value != floor(value))
        return false;
    return in_range(spec, value);
}

/* Reads one saved parameter into `values`; failures mark `buf`. */
static void load_one(lathe_ctx *ctx, lathe__rbuf *buf, lathe__param_values *values)
{
    char *name = lathe__rbuf_string(buf, ctx, NAME_MAX_BYTES);
    uint8_t type = lathe__rbuf_u8(buf);
    bool set = lathe__rbuf_u8(buf) != 0;
    if (!name)
        return;
    size_t i = find_index(values->specs, values->n, name);
    const lathe__param_spec *spec = i < values->n ? &values->specs[i] : NULL;
    if (!spec)
        lathe__rbuf_fail(buf, "unknown parameter \"%s\"", name);
    else if (type != (uint8_t)spec->type)
        lathe__rbuf_fail(buf, "parameter \"%s\" has type %u, expected %u", name, type,
                         (unsigned)spec->type);
    lathe__free(ctx, name);
    if (!spec || buf->failed)
        return;
    parsed_value value = {0, NULL};
    if (type == LATHE__PARAM_STRING || type == LATHE__PARAM_CHOICE) {
        char *text = lathe__rbuf_string(buf, ctx, TEXT_MAX_BYTES);
        lathe_error parse_err;
        if (text && parse_value(ctx, spec, text, &value, &parse_err) != LATHE_OK)
            lathe__rbuf_fail(buf, "%s", parse_err.message);
        lathe__free(ctx, text);
    } else {
        value.number = lathe__rbuf_f64(buf);
        if (!buf->failed && !number_valid(spec, value.number))
            lathe__rbuf_fail(buf, "parameter \"%s\" has invalid value %g", spec->name,
                             value.number);
    }
    if (buf->failed) {
        lathe__free(ctx, value.text);
        return;
    }
    commit(ctx, values, i, &value, set);
}

lathe_status lathe__params_load(lathe_ctx *ctx, lathe__rbuf *buf, const lathe__param_spec *specs,
                                size_t n, lathe__param_values *values, lathe_error *err)
{
    lathe__param_values loaded;
    lathe_status status = lathe__params_init(ctx, specs, n, &loaded, err);
    if (status != LATHE_OK)
        return status;
    uint32_t count = lathe__rbuf_u32(buf);
    if (count > LATHE__PARAMS_MAX)
        lathe__rbuf_fail(buf, "%u parameters, at most %d expected", count, LATHE__PARAMS_MAX);
    for (uint32_t k = 0; k < count && !buf->failed; k++)
        load_one(ctx, buf, &loaded);
    status = lathe__rbuf_status(buf, err);
    if (status != LATHE_OK) {
        lathe__params_release(ctx, &loaded);
        return status;
    }
    *values = loaded;
    return LATHE_OK;
}
