/*
 * spec.c: reading a YAML training spec (see spec.h) with libyaml.
 *
 * libyaml loads the document as a node graph with positions; this file walks
 * it section by section with a table of known keys per section, so every
 * message can name the file, line and column and suggest the key that was
 * probably meant. Only the first document of a stream is read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "core/internal.h"
#include "core/number.h"
#include "core/suggest.h"
#include "train/spec.h"

#include "core/banned.h"

#define SPEC_MAX_BYTES (1 << 20)

typedef struct spec_reader {
    lathe_ctx *ctx;
    const char *name;
    yaml_document_t *document;
    lathe__spec *spec;
    lathe_error *err;
} spec_reader;

static lathe_status fail(spec_reader *r, const yaml_node_t *node, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static lathe_status fail(spec_reader *r, const yaml_node_t *node, const char *format, ...)
{
    char message[LATHE_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    return lathe__error(r->err, LATHE_PARSE, "%s:%zu:%zu: %s", r->name,
                        node ? node->start_mark.line + 1 : 1,
                        node ? node->start_mark.column + 1 : 1, message);
}

static yaml_node_t *node_at(spec_reader *r, int index)
{
    return yaml_document_get_node(r->document, index);
}

static const char *scalar(const yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

static lathe_status expect(spec_reader *r, const yaml_node_t *node, yaml_node_type_t type,
                           const char *what)
{
    static const char *const names[] = {"nothing", "a value", "a list", "a mapping"};
    if (node->type == type)
        return LATHE_OK;
    return fail(r, node, "%s must be %s", what, names[type]);
}

static char *copy(spec_reader *r, const char *text)
{
    return lathe__strndup(r->ctx, text, strlen(text));
}

/* A scalar's text as a new string, or a list of scalars joined with ','. */
static lathe_status text_of(spec_reader *r, const yaml_node_t *node, const char *what, char **out)
{
    if (node->type == YAML_SCALAR_NODE) {
        if (!(*out = copy(r, scalar(node))))
            return lathe__error_nomem(r->err);
        return LATHE_OK;
    }
    if (node->type != YAML_SEQUENCE_NODE)
        return fail(r, node, "%s must be a value or a list of values", what);
    size_t total = 1;
    for (yaml_node_item_t *item = node->data.sequence.items.start;
         item < node->data.sequence.items.top; item++) {
        const char *text = scalar(node_at(r, *item));
        if (!text)
            return fail(r, node_at(r, *item), "%s must be a list of values", what);
        total += strlen(text) + 1;
    }
    char *joined = lathe__alloc(r->ctx, total);
    if (!joined)
        return lathe__error_nomem(r->err);
    size_t at = 0;
    for (yaml_node_item_t *item = node->data.sequence.items.start;
         item < node->data.sequence.items.top; item++) {
        const char *text = scalar(node_at(r, *item));
        if (at)
            joined[at++] = ',';
        memcpy(joined + at, text, strlen(text));
        at += strlen(text);
    }
    joined[at] = '\0';
    *out = joined;
    return LATHE_OK;
}

static lathe_status unknown_key(spec_reader *r, const yaml_node_t *key, const char *section,
                                const char *const *known, size_t n)
{
    const char *guess = lathe__suggest(scalar(key), known, n);
    if (guess)
        return fail(r, key, "unknown key \"%s\" in %s (did you mean \"%s\"?)", scalar(key), section,
                    guess);
    return fail(r, key, "unknown key \"%s\" in %s", scalar(key), section);
}

static lathe_status number_of(spec_reader *r, const yaml_node_t *node, const char *what, double min,
                              double max, double *out)
{
    const char *text = scalar(node);
    if (!text || lathe__parse_double(text, strlen(text), out) != LATHE__NUMBER_OK)
        return fail(r, node, "%s must be a number", what);
    if (*out < min || *out > max)
        return fail(r, node, "%s must be between %g and %g, got %s", what, min, max, text);
    return LATHE_OK;
}

/* Reads "NAME: value" pairs of a mapping into options. */
static lathe_status options_of(spec_reader *r, const yaml_node_t *node, const char *what,
                               lathe__option **out, size_t *count)
{
    lathe_status status = expect(r, node, YAML_MAPPING_NODE, what);
    if (status != LATHE_OK)
        return status;
    size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    lathe__option *options = lathe__calloc(r->ctx, n ? n : 1, sizeof *options);
    if (!options)
        return lathe__error_nomem(r->err);
    *out = options;
    *count = 0;
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = node_at(r, pair->key);
        if (!scalar(key))
            return fail(r, key, "keys of %s must be names", what);
        lathe__option *option = &options[(*count)++];
        if (!(option->name = copy(r, scalar(key))))
            return lathe__error_nomem(r->err);
        if ((status = text_of(r, node_at(r, pair->value), scalar(key), &option->value)) != LATHE_OK)
            return status;
    }
    return LATHE_OK;
}

/* --- sections ---------------------------------------------------------------- */

static lathe_status column_of(spec_reader *r, const yaml_node_t *key, const yaml_node_t *value,
                              lathe_column_decl *decl)
{
    static const char *const known[] = {"kind", "role"};
    lathe_status status = expect(r, value, YAML_MAPPING_NODE, "a column's declaration");
    if (status != LATHE_OK)
        return status;
    if (!(decl->name = copy(r, scalar(key))))
        return lathe__error_nomem(r->err);
    for (yaml_node_pair_t *pair = value->data.mapping.pairs.start;
         pair < value->data.mapping.pairs.top; pair++) {
        const yaml_node_t *k = node_at(r, pair->key), *v = node_at(r, pair->value);
        const char *name = scalar(k), *text = scalar(v);
        if (name && strcmp(name, "kind") == 0) {
            if (!text || !lathe_kind_parse(text, &decl->kind))
                return fail(r, v, "kind must be numeric, categorical, boolean, datetime or text");
            decl->has_kind = true;
        } else if (name && strcmp(name, "role") == 0) {
            if (!text || !lathe_role_parse(text, &decl->role))
                return fail(r, v,
                            "role must be feature, target, id, weight, time, group, pii or "
                            "ignore");
            decl->has_role = true;
        } else {
            return unknown_key(r, k, "a column's declaration", known, 2);
        }
    }
    return LATHE_OK;
}

static lathe_status data_section(spec_reader *r, const yaml_node_t *node)
{
    static const char *const known[] = {"target", "columns"};
    lathe_status status = expect(r, node, YAML_MAPPING_NODE, "data");
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         status == LATHE_OK && pair < node->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = node_at(r, pair->key), *value = node_at(r, pair->value);
        const char *name = scalar(key);
        if (name && strcmp(name, "target") == 0) {
            if (!scalar(value))
                return fail(r, value, "target must be a column name");
            if (!(r->spec->target = copy(r, scalar(value))))
                return lathe__error_nomem(r->err);
        } else if (name && strcmp(name, "columns") == 0) {
            if ((status = expect(r, value, YAML_MAPPING_NODE, "columns")) != LATHE_OK)
                return status;
            size_t n = (size_t)(value->data.mapping.pairs.top - value->data.mapping.pairs.start);
            r->spec->columns = lathe__calloc(r->ctx, n ? n : 1, sizeof *r->spec->columns);
            if (!r->spec->columns)
                return lathe__error_nomem(r->err);
            for (yaml_node_pair_t *c = value->data.mapping.pairs.start;
                 status == LATHE_OK && c < value->data.mapping.pairs.top; c++) {
                if (!scalar(node_at(r, c->key)))
                    return fail(r, node_at(r, c->key), "column names must be text");
                status = column_of(r, node_at(r, c->key), node_at(r, c->value),
                                   &r->spec->columns[r->spec->n_columns++]);
            }
        } else {
            status = unknown_key(r, key, "data", known, 2);
        }
    }
    return status;
}

static lathe_status split_entry(spec_reader *r, const char *name, const yaml_node_t *value)
{
    lathe__spec *spec = r->spec;
    double number;
    lathe_status status;
    if (strcmp(name, "holdout") == 0)
        return number_of(r, value, "holdout", 1e-9, 1 - 1e-9, &spec->holdout);
    if (strcmp(name, "folds") == 0) {
        if ((status = number_of(r, value, "folds", 2, 1000, &number)) != LATHE_OK)
            return status;
        spec->folds = (int)number;
        return LATHE_OK;
    }
    if (strcmp(name, "seed") == 0) {
        int64_t seed;
        const char *text = scalar(value);
        if (!text || lathe__parse_int64(text, strlen(text), &seed) != LATHE__NUMBER_OK || seed < 0)
            return fail(r, value, "seed must be a non-negative integer");
        spec->has_seed = true;
        spec->seed = (uint64_t)seed;
        return LATHE_OK;
    }
    char **field = strcmp(name, "kind") == 0    ? &spec->split_kind
                   : strcmp(name, "group") == 0 ? &spec->group_column
                                                : &spec->time_column;
    if (!scalar(value))
        return fail(r, value, "%s must be a value", name);
    if (!(*field = copy(r, scalar(value))))
        return lathe__error_nomem(r->err);
    return LATHE_OK;
}

static lathe_status split_section(spec_reader *r, const yaml_node_t *node)
{
    static const char *const known[] = {"holdout", "kind", "group", "time", "folds", "seed"};
    lathe_status status = expect(r, node, YAML_MAPPING_NODE, "split");
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         status == LATHE_OK && pair < node->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = node_at(r, pair->key);
        const char *name = scalar(key);
        bool found = false;
        for (size_t i = 0; name && i < sizeof known / sizeof known[0]; i++)
            found = found || strcmp(name, known[i]) == 0;
        if (!found)
            return unknown_key(r, key, "split", known, sizeof known / sizeof known[0]);
        status = split_entry(r, name, node_at(r, pair->value));
    }
    return status;
}

/* One "- name: {options}" or "- name" item of steps. */
static lathe_status step_of(spec_reader *r, const yaml_node_t *item, lathe__step_decl *step)
{
    char where[256];
    snprintf(where, sizeof where, "%s:%zu:%zu", r->name, item->start_mark.line + 1,
             item->start_mark.column + 1);
    if (!(step->where = copy(r, where)))
        return lathe__error_nomem(r->err);
    if (item->type == YAML_SCALAR_NODE) {
        if (!(step->name = copy(r, scalar(item))))
            return lathe__error_nomem(r->err);
        return LATHE_OK;
    }
    if (item->type != YAML_MAPPING_NODE ||
        item->data.mapping.pairs.top - item->data.mapping.pairs.start != 1)
        return fail(r, item, "each step must be a name, or a name with its options");
    const yaml_node_t *key = node_at(r, item->data.mapping.pairs.start->key);
    const yaml_node_t *value = node_at(r, item->data.mapping.pairs.start->value);
    if (!scalar(key))
        return fail(r, key, "a step's name must be text");
    if (!(step->name = copy(r, scalar(key))))
        return lathe__error_nomem(r->err);
    if (value->type == YAML_SCALAR_NODE && scalar(value)[0] == '\0')
        return LATHE_OK; /* "- scale:" with no options */
    return options_of(r, value, "a step's options", &step->options, &step->n_options);
}

static lathe_status steps_section(spec_reader *r, const yaml_node_t *node)
{
    lathe_status status = expect(r, node, YAML_SEQUENCE_NODE, "steps");
    if (status != LATHE_OK)
        return status;
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    r->spec->steps = lathe__calloc(r->ctx, n ? n : 1, sizeof *r->spec->steps);
    if (!r->spec->steps)
        return lathe__error_nomem(r->err);
    r->spec->has_steps = true;
    for (yaml_node_item_t *item = node->data.sequence.items.start;
         status == LATHE_OK && item < node->data.sequence.items.top; item++)
        status = step_of(r, node_at(r, *item), &r->spec->steps[r->spec->n_steps++]);
    return status;
}

static lathe_status model_section(spec_reader *r, const yaml_node_t *node)
{
    static const char *const known[] = {"name", "params"};
    if (node->type == YAML_SCALAR_NODE) {
        if (!(r->spec->model = copy(r, scalar(node))))
            return lathe__error_nomem(r->err);
        return LATHE_OK;
    }
    lathe_status status = expect(r, node, YAML_MAPPING_NODE, "model");
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         status == LATHE_OK && pair < node->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = node_at(r, pair->key), *value = node_at(r, pair->value);
        const char *name = scalar(key);
        if (name && strcmp(name, "name") == 0) {
            if (!scalar(value))
                return fail(r, value, "the model's name must be text");
            if (!(r->spec->model = copy(r, scalar(value))))
                return lathe__error_nomem(r->err);
        } else if (name && strcmp(name, "params") == 0) {
            status = options_of(r, value, "params", &r->spec->params, &r->spec->n_params);
        } else {
            status = unknown_key(r, key, "model", known, 2);
        }
    }
    return status;
}

static lathe_status metrics_section(spec_reader *r, const yaml_node_t *node)
{
    lathe_status status = expect(r, node, YAML_SEQUENCE_NODE, "metrics");
    if (status != LATHE_OK)
        return status;
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    r->spec->metrics = lathe__calloc(r->ctx, n ? n : 1, sizeof *r->spec->metrics);
    if (!r->spec->metrics)
        return lathe__error_nomem(r->err);
    for (yaml_node_item_t *item = node->data.sequence.items.start;
         item < node->data.sequence.items.top; item++) {
        const char *text = scalar(node_at(r, *item));
        if (!text)
            return fail(r, node_at(r, *item), "metrics must be a list of metric names");
        if (!(r->spec->metrics[r->spec->n_metrics++] = copy(r, text)))
            return lathe__error_nomem(r->err);
    }
    return LATHE_OK;
}

static const struct {
    const char *name;
    lathe_status (*read)(spec_reader *r, const yaml_node_t *node);
} sections[] = {
    {"data", data_section},   {"split", split_section},     {"steps", steps_section},
    {"model", model_section}, {"metrics", metrics_section},
};

#define N_SECTIONS (sizeof sections / sizeof sections[0])

static lathe_status read_root(spec_reader *r, const yaml_node_t *root)
{
    const char *names[N_SECTIONS];
    for (size_t i = 0; i < N_SECTIONS; i++)
        names[i] = sections[i].name;
    lathe_status status = expect(r, root, YAML_MAPPING_NODE, "a spec");
    for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
         status == LATHE_OK && pair < root->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = node_at(r, pair->key);
        const char *name = scalar(key);
        size_t i = 0;
        while (name && i < N_SECTIONS && strcmp(name, sections[i].name) != 0)
            i++;
        if (!name || i == N_SECTIONS)
            return unknown_key(r, key, "the spec", names, N_SECTIONS);
        status = sections[i].read(r, node_at(r, pair->value));
    }
    return status;
}

lathe_status lathe__spec_parse(lathe_ctx *ctx, const char *text, size_t length, const char *name,
                               lathe__spec **out, lathe_error *err)
{
    yaml_parser_t parser;
    yaml_document_t document;
    if (!yaml_parser_initialize(&parser))
        return lathe__error_nomem(err);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
    if (!yaml_parser_load(&parser, &document)) {
        lathe_status status = lathe__error(
            err, LATHE_PARSE, "%s:%zu:%zu: %s%s%s", name, parser.problem_mark.line + 1,
            parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML",
            parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return status;
    }
    lathe__spec *spec = lathe__calloc(ctx, 1, sizeof *spec);
    spec_reader r = {ctx, name, &document, spec, err};
    lathe_status status = LATHE_OK;
    yaml_node_t *root = yaml_document_get_root_node(&document);
    if (!spec)
        status = lathe__error_nomem(err);
    else if (!(spec->path = copy(&r, name)))
        status = lathe__error_nomem(err);
    else if (root)
        status = read_root(&r, root);
    yaml_document_delete(&document);
    yaml_parser_delete(&parser);
    if (status != LATHE_OK) {
        lathe__spec_free(ctx, spec);
        return status;
    }
    *out = spec;
    return LATHE_OK;
}

lathe_status lathe__spec_load(lathe_ctx *ctx, const char *path, lathe__spec **out, lathe_error *err)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return lathe__error(err, errno == ENOENT ? LATHE_NOT_FOUND : LATHE_IO, "%s: %s", path,
                            strerror(errno));
    char *text = lathe__alloc(ctx, SPEC_MAX_BYTES + 1);
    if (!text) {
        fclose(file);
        return lathe__error_nomem(err);
    }
    size_t length = fread(text, 1, SPEC_MAX_BYTES + 1, file);
    bool failed = ferror(file);
    fclose(file);
    lathe_status status;
    if (failed)
        status = lathe__error(err, LATHE_IO, "%s: read error", path);
    else if (length > SPEC_MAX_BYTES)
        status = lathe__error(err, LATHE_LIMIT, "%s: a spec larger than 1 MiB", path);
    else
        status = lathe__spec_parse(ctx, text, length, path, out, err);
    lathe__free(ctx, text);
    return status;
}

static void free_options(lathe_ctx *ctx, lathe__option *options, size_t n)
{
    for (size_t i = 0; i < n && options; i++) {
        lathe__free(ctx, options[i].name);
        lathe__free(ctx, options[i].value);
    }
    lathe__free(ctx, options);
}

void lathe__spec_free(lathe_ctx *ctx, lathe__spec *spec)
{
    if (!spec)
        return;
    for (size_t i = 0; i < spec->n_columns; i++)
        lathe__free(ctx, (char *)spec->columns[i].name);
    lathe__free(ctx, spec->columns);
    for (size_t i = 0; i < spec->n_steps; i++) {
        lathe__free(ctx, spec->steps[i].name);
        lathe__free(ctx, spec->steps[i].where);
        free_options(ctx, spec->steps[i].options, spec->steps[i].n_options);
    }
    lathe__free(ctx, spec->steps);
    free_options(ctx, spec->params, spec->n_params);
    for (size_t i = 0; i < spec->n_metrics; i++)
        lathe__free(ctx, spec->metrics[i]);
    lathe__free(ctx, spec->metrics);
    lathe__free(ctx, spec->path);
    lathe__free(ctx, spec->target);
    lathe__free(ctx, spec->split_kind);
    lathe__free(ctx, spec->group_column);
    lathe__free(ctx, spec->time_column);
    lathe__free(ctx, spec->model);
    lathe__free(ctx, spec);
}

lathe_status lathe_spec_columns(lathe_ctx *ctx, const char *spec_path, lathe_column_decl **out,
                                size_t *count, lathe_error *err)
{
    lathe__spec *spec;
    lathe_status status = lathe__spec_load(ctx, spec_path, &spec, err);
    if (status != LATHE_OK)
        return status;
    /* Hand the declarations over; the names move with them. */
    *out = spec->columns;
    *count = spec->n_columns;
    spec->columns = NULL;
    spec->n_columns = 0;
    lathe__spec_free(ctx, spec);
    if (!*out && !(*out = lathe__calloc(ctx, 1, sizeof **out)))
        return lathe__error_nomem(err);
    return LATHE_OK;
}

void lathe_column_decls_free(lathe_ctx *ctx, lathe_column_decl *decls, size_t count)
{
    for (size_t i = 0; decls && i < count; i++)
        lathe__free(ctx, (char *)decls[i].name);
    lathe__free(ctx, decls);
}
