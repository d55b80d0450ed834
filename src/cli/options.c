/*
 * options.c: the table-driven option parser (see options.h) and the shared
 * data-reading options.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"

static const cli_option *find_option(const cli_option_group *groups, size_t n_groups,
                                     const char *arg, const char **inline_value, void **target)
{
    *inline_value = NULL;
    for (size_t g = 0; g < n_groups; g++) {
        for (size_t i = 0; i < groups[g].n_options; i++) {
            const cli_option *option = &groups[g].options[i];
            size_t length = strlen(option->name);
            if (strncmp(arg, option->name, length) != 0)
                continue;
            *target = groups[g].target;
            if (arg[length] == '\0')
                return option;
            if (arg[length] == '=' && option->value_name) {
                *inline_value = arg + length + 1;
                return option;
            }
        }
    }
    return NULL;
}

static int parse_option(const char *command, const cli_option_group *groups, size_t n_groups,
                        int argc, char **argv, int *i)
{
    const char *value;
    void *target;
    const cli_option *option = find_option(groups, n_groups, argv[*i], &value, &target);
    if (!option)
        return cli_usage(command, "unknown option '%s'", argv[*i]);
    if (option->value_name && !value) {
        if (*i + 1 >= argc)
            return cli_usage(command, "%s needs a value (%s)", option->name, option->value_name);
        value = argv[++*i];
    }
    char why[256];
    if (!option->apply(target, value, why, sizeof why))
        return cli_usage(command, "%s", why);
    return CLI_OK;
}

int cli_parse_options(const char *command, int argc, char **argv, const cli_option_group *groups,
                      size_t n_groups, const char **positional, size_t max_positional,
                      size_t *n_positional)
{
    bool options_done = false;
    *n_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            int status = parse_option(command, groups, n_groups, argc, argv, &i);
            if (status != CLI_OK)
                return status;
        } else if (*n_positional == max_positional) {
            return cli_usage(command, "unexpected argument '%s'", arg);
        } else {
            positional[(*n_positional)++] = arg;
        }
    }
    return CLI_OK;
}

void cli_print_options(FILE *out, const cli_option_group *groups, size_t n_groups)
{
    for (size_t g = 0; g < n_groups; g++) {
        for (size_t i = 0; i < groups[g].n_options; i++) {
            const cli_option *option = &groups[g].options[i];
            char left[64];
            snprintf(left, sizeof left, "%s%s%s", option->name, option->value_name ? " " : "",
                     option->value_name ? option->value_name : "");
            fprintf(out, "  %-22s %s\n", left, option->help);
        }
    }
    fprintf(out, "  %-22s %s\n", "-h, --help", "show this help");
}

bool cli_parse_count(const char *value, size_t max, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(value, &end, 10);
    if (errno || end == value || *end || value[0] == '-' || n > max)
        return false;
    *out = (size_t)n;
    return true;
}

bool cli_parse_fraction(const char *value, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(value, &end);
    if (errno || end == value || *end || !(x > 0 && x < 1))
        return false;
    *out = x;
    return true;
}

bool cli_parse_seed(const char *value, unsigned long long *out, char *why, size_t size)
{
    size_t seed;
    if (!cli_parse_count(value, (size_t)-1, &seed)) {
        snprintf(why, size, "--seed takes a whole number, not '%s'", value);
        return false;
    }
    *out = seed;
    return true;
}

bool cli_parse_threads(const char *value, int *out, char *why, size_t size)
{
    size_t threads;
    if (!cli_parse_count(value, 1024, &threads)) {
        snprintf(why, size, "--threads takes a whole number (0: all cores), not '%s'", value);
        return false;
    }
    *out = (int)threads;
    return true;
}

/* ---- the shared data-reading options ---------------------------------- */

static bool set_format(void *target, const char *value, char *why, size_t size)
{
    cli_read_args *args = target;
    if (lathe_format_parse(value, &args->read.format))
        return true;
    snprintf(why, size, "unknown format '%s' (expected csv, tsv, json, arff or libsvm)", value);
    return false;
}

static bool set_delimiter(void *target, const char *value, char *why, size_t size)
{
    cli_read_args *args = target;
    if (strcmp(value, "\\t") == 0 || strcmp(value, "tab") == 0)
        args->read.delimiter = '\t';
    else if (strlen(value) == 1)
        args->read.delimiter = value[0];
    else {
        snprintf(why, size, "--delimiter takes one character (or 'tab'), not '%s'", value);
        return false;
    }
    return true;
}

static bool set_no_header(void *target, const char *value, char *why, size_t size)
{
    (void)value;
    (void)why;
    (void)size;
    ((cli_read_args *)target)->read.header = 0;
    return true;
}

static bool add_missing(void *target, const char *value, char *why, size_t size)
{
    (void)why;
    (void)size;
    cli_read_args *args = target;
    args->missing[args->n_missing++] = value;
    return true;
}

static bool add_kind(void *target, const char *value, char *why, size_t size)
{
    cli_read_args *args = target;
    const char *equals = strrchr(value, '=');
    lathe_column_decl decl = {.has_kind = true};
    if (!equals || equals == value) {
        snprintf(why, size, "--kind takes COLUMN=KIND, not '%s'", value);
        return false;
    }
    if (!lathe_kind_parse(equals + 1, &decl.kind)) {
        snprintf(why, size,
                 "unknown kind '%s' (expected numeric, categorical, boolean, datetime or text)",
                 equals + 1);
        return false;
    }
    char *name = strndup(value, (size_t)(equals - value));
    if (!name) {
        snprintf(why, size, "out of memory");
        return false;
    }
    decl.name = name;
    args->kinds[args->n_kinds++] = decl;
    return true;
}

static bool set_max_memory(void *target, const char *value, char *why, size_t size)
{
    cli_read_args *args = target;
    size_t megabytes;
    if (!cli_parse_count(value, (size_t)1 << 30, &megabytes) || megabytes == 0) {
        snprintf(why, size, "--max-memory takes a size in MiB, not '%s'", value);
        return false;
    }
    args->read.limits.max_memory_bytes = megabytes << 20;
    return true;
}

const cli_option cli_read_options[] = {
    {"--format", "FORMAT", "csv, tsv, json, arff or libsvm (default: from the name or content)",
     set_format},
    {"--delimiter", "C", "CSV field separator, one character or 'tab' (default: sniffed)",
     set_delimiter},
    {"--no-header", NULL, "the first CSV row is data, not column names", set_no_header},
    {"--missing", "TOKEN", "cell text that means missing; repeatable, replaces the defaults",
     add_missing},
    {"--kind", "COL=KIND",
     "read COL as numeric, categorical, boolean, datetime or text; repeatable", add_kind},
    {"--max-memory", "MIB", "refuse inputs that need more memory than this (default 8192)",
     set_max_memory},
};

const size_t cli_n_read_options = sizeof cli_read_options / sizeof cli_read_options[0];

void cli_read_args_init(cli_read_args *args, int argc)
{
    memset(args, 0, sizeof *args);
    lathe_read_options_init(&args->read);
    size_t slots = argc > 0 ? (size_t)argc : 1;
    args->missing = calloc(slots, sizeof *args->missing);
    args->kinds = calloc(slots, sizeof *args->kinds);
    if (!args->missing || !args->kinds) {
        fputs("lathe: out of memory\n", stderr);
        exit(CLI_FAILED);
    }
}

void cli_read_args_finish(cli_read_args *args)
{
    if (args->n_missing) {
        args->read.missing_tokens = args->missing;
        args->read.n_missing_tokens = args->n_missing;
    }
    args->read.columns = args->kinds;
    args->read.n_columns = args->n_kinds;
}

void cli_read_args_release(cli_read_args *args)
{
    for (size_t i = 0; i < args->n_kinds; i++)
        free((char *)args->kinds[i].name);
    free(args->kinds);
    free(args->missing);
}
